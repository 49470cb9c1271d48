//! Message IDs: `urn:uuid:` and a random (version 4) UUID, for every request's `wsa:MessageID`.
//!
//! A MessageID is a correlation id, not a secret: the peer echoes it in `wsa:RelatesTo` so a
//! reply finds its request, and it is sent in clear in every message anyway. It only has to be
//! unique, which 122 random bits from a good statistical generator are with overwhelming
//! probability; nothing is gained by drawing it from a cryptographic source. Drawing every id
//! from the OS (`Uuid::new_v4`) cost one `getrandom` system call per call in the profile, so
//! each thread instead seeds a xoshiro256++ generator once from the OS and draws ids from it.
//!
//! Uniqueness: each thread's 256-bit state is seeded independently from the OS, so two threads
//! (or two processes) run into the same part of the generator's 2^256 - 1 period with
//! negligible probability. One case is not covered: a process that `fork`s and goes on drawing
//! ids on the same thread in both parent and child (without `exec`) repeats the parent's ids
//! in the child. Indigo does not fork, and a tokio runtime does not survive a fork.

use std::cell::Cell;

thread_local! {
    /// This thread's generator state; all zero until the first id is drawn (xoshiro's state
    /// must never be all zero, so zero doubles as "not seeded yet").
    static STATE: Cell<[u64; 4]> = const { Cell::new([0; 4]) };
}

/// A fresh `urn:uuid:…` message id (lower-case, hyphenated RFC 4122 version 4 UUID), as
/// `format!("urn:uuid:{}", Uuid::new_v4())` writes it, without a system call per id.
pub fn new_message_id() -> String {
    new_keyed_message_id().1
}

/// A `urn:uuid:` message id by value, for maps of requests awaiting replies: looking a reply
/// up by its RelatesTo then needs no copy of the id's text. Two ids have the same key when
/// they name the same UUID, as WCF's `UniqueId` compares them.
///
/// Bytes rather than a `u128`: a `u128` would give every future that holds a key 16-byte
/// alignment, and the client's call future was then copied twice per call (12k instructions
/// of memcpy per call under callgrind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct MessageKey(uuid::Bytes);

impl MessageKey {
    /// The key of `id`, if it is a `urn:uuid:` id (other ids never answer Indigo's requests).
    pub(crate) fn of(id: &str) -> Option<MessageKey> {
        let uuid = id.strip_prefix("urn:uuid:")?;
        if uuid.len() != uuid::fmt::Hyphenated::LENGTH {
            return None;
        }
        uuid::Uuid::try_parse(uuid)
            .ok()
            .map(|uuid| MessageKey(uuid.into_bytes()))
    }
}

impl std::fmt::Display for MessageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        uuid::Uuid::from_bytes(self.0).urn().fmt(f)
    }
}

/// [`new_message_id`] and its key.
pub(crate) fn new_keyed_message_id() -> (MessageKey, String) {
    let bytes = STATE.with(|cell| {
        let mut state = cell.get();
        if state == [0; 4] {
            state = seed();
        }
        let high = next(&mut state);
        let low = next(&mut state);
        cell.set(state);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&high.to_le_bytes());
        bytes[8..].copy_from_slice(&low.to_le_bytes());
        bytes
    });
    // The builder sets the version (4) and variant (RFC 4122) bits over the random ones.
    let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
    let mut buf = [0u8; uuid::fmt::Urn::LENGTH];
    let text = String::from(&*uuid.urn().encode_lower(&mut buf));
    (MessageKey(uuid.into_bytes()), text)
}

/// 256 bits from the OS; should the OS refuse, std's per-thread random hash keys mixed with
/// the time and the thread, which still differ between threads and processes.
fn seed() -> [u64; 4] {
    let mut bytes = [0u8; 32];
    let mut state = [0u64; 4];
    if getrandom::fill(&mut bytes).is_ok() {
        for (word, chunk) in state.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut le = [0u8; 8];
            le.copy_from_slice(chunk);
            *word = u64::from_le_bytes(le);
        }
    } else {
        state = fallback_seed();
    }
    if state == [0; 4] {
        // All zero is xoshiro's one fixed point (and 2^-256 likely); any other state will do.
        state[0] = 0x9E37_79B9_7F4A_7C15;
    }
    state
}

#[cold]
fn fallback_seed() -> [u64; 4] {
    use std::hash::BuildHasher;
    let keys = std::collections::hash_map::RandomState::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut state = [0u64; 4];
    for (i, word) in state.iter_mut().enumerate() {
        *word = keys.hash_one((i, now, std::process::id(), std::thread::current().id()));
    }
    state
}

/// xoshiro256++ (Blackman and Vigna), a fast generator with a 2^256 - 1 period that passes the
/// usual statistical test suites.
fn next(s: &mut [u64; 4]) -> u64 {
    let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
    let t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s[3].rotate_left(45);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_urn_uuid_version_4() {
        for _ in 0..1000 {
            let id = new_message_id();
            let text = id.strip_prefix("urn:uuid:").expect("urn:uuid: prefix");
            let uuid = uuid::Uuid::parse_str(text).expect("a UUID");
            assert_eq!(uuid.get_version_num(), 4, "{id}");
            assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122, "{id}");
            // The same text `Uuid`'s Display writes: lower case, hyphenated.
            assert_eq!(text, uuid.hyphenated().to_string());
        }
    }

    #[test]
    fn keys_name_the_uuid_of_an_id() {
        let (key, id) = new_keyed_message_id();
        assert_eq!(MessageKey::of(&id), Some(key));
        assert_eq!(key.to_string(), id);
        // The UUID's value, as WCF's UniqueId compares: upper case is the same id.
        let upper = format!("urn:uuid:{}", id["urn:uuid:".len()..].to_uppercase());
        assert_eq!(MessageKey::of(&upper), Some(key));
        // Other forms and other ids have no key.
        for other in [
            &id["urn:uuid:".len()..],
            "urn:uuid:{00000000-0000-0000-0000-000000000000}",
            "urn:uuid:00000000000000000000000000000000",
            "uuid:00000000-0000-0000-0000-000000000000",
            "urn:uuid:",
            "http://example.org/1",
        ] {
            assert_eq!(MessageKey::of(other), None, "{other}");
        }
    }

    #[test]
    fn ids_do_not_repeat_within_or_across_threads() {
        let threads: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..10_000).map(|_| new_message_id()).collect()))
            .collect();
        let mut all = HashSet::new();
        for thread in threads {
            let ids: Vec<String> = thread.join().expect("thread");
            for id in ids {
                assert!(all.insert(id), "repeated id");
            }
        }
        assert_eq!(all.len(), 40_000);
    }

    #[test]
    fn generator_matches_the_reference_xoshiro256_plus_plus() {
        // The reference implementation's first outputs for the state {1, 2, 3, 4}.
        let mut state = [1, 2, 3, 4];
        assert_eq!(next(&mut state), 41_943_041);
        assert_eq!(next(&mut state), 58_720_359);
        assert_eq!(next(&mut state), 3_588_806_011_781_223);
    }

    #[test]
    fn seeds_are_never_all_zero() {
        assert_ne!(seed(), [0; 4]);
        assert_ne!(fallback_seed(), fallback_seed());
    }
}
