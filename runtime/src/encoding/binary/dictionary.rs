//! The [MC-NBFS] static dictionary: 487 strings that both ends of an `application/soap+msbin1`
//! or `msbinsession1` connection know, addressed by even ids (string *i* has id 2*i*).
//!
//! The strings live in `static_dictionary.txt`, one a line, in index order, byte-exact (entry
//! 81 is the empty string; entry 212 starts with a space, as in WCF's
//! `ServiceModelStringsVersion1.String212`). They were taken from the PyPI `wcf` package's
//! `dictionary.py` and checked against .NET's `ServiceModelStringsVersion1.cs`; the Python
//! copy had dropped entry 212's leading space, which the data file restores.

use std::collections::HashMap;
use std::sync::OnceLock;

const DATA: &str = include_str!("static_dictionary.txt");

/// Number of strings in the static dictionary.
pub const STATIC_DICTIONARY_LEN: usize = 487;

fn strings() -> &'static [&'static str] {
    static STRINGS: OnceLock<Vec<&'static str>> = OnceLock::new();
    STRINGS.get_or_init(|| {
        // The file ends with a newline after the last entry; every line is one entry.
        let body = DATA.strip_suffix('\n').unwrap_or(DATA);
        body.split('\n').collect()
    })
}

/// The writer looks up every name and most texts here, so the hash is foldhash rather than
/// SipHash. A fixed seed is safe: the table never grows, so no input can make a lookup cost
/// more than a probe among these 487 strings.
type Ids = HashMap<&'static str, u32, foldhash::fast::FixedState>;

fn ids() -> &'static Ids {
    static IDS: OnceLock<Ids> = OnceLock::new();
    IDS.get_or_init(|| {
        let mut map = Ids::with_capacity_and_hasher(STATIC_DICTIONARY_LEN, Default::default());
        for (index, s) in strings().iter().enumerate() {
            // The list has no duplicates; keep the first id should one ever appear.
            map.entry(*s).or_insert(index as u32 * 2);
        }
        map
    })
}

/// The static string with wire id `id`, if `id` is even and in range.
pub fn static_string(id: u32) -> Option<&'static str> {
    if id % 2 != 0 {
        return None;
    }
    strings().get((id / 2) as usize).copied()
}

/// The static string with wire id `id`, and whether it is an XML name without a colon (most
/// are names, some are namespaces or values).
pub(crate) fn static_name(id: u32) -> Option<(&'static str, bool)> {
    static NAMES: OnceLock<Vec<bool>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        strings()
            .iter()
            .map(|s| super::records::is_ncname(s))
            .collect()
    });
    let name = static_string(id)?;
    Some((name, names.get((id / 2) as usize).copied().unwrap_or(false)))
}

/// The wire id (even) of `s` in the static dictionary.
pub fn static_id(s: &str) -> Option<u32> {
    ids().get(s).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_487_strings_with_even_ids() {
        assert_eq!(strings().len(), STATIC_DICTIONARY_LEN);
        assert_eq!(static_string(0x3CC), Some("detail"));
        assert_eq!(static_string(0x3CE), None);
        assert_eq!(static_string(1), None);
    }

    #[test]
    fn known_ids_from_the_reference_and_the_capture() {
        for (id, s) in [
            (0x00, "mustUnderstand"),
            (0x02, "Envelope"),
            (0x04, "http://www.w3.org/2003/05/soap-envelope"),
            (0x06, "http://www.w3.org/2005/08/addressing"),
            (0x08, "Header"),
            (0x0A, "Action"),
            (0x0C, "To"),
            (0x0E, "Body"),
            (0x12, "RelatesTo"),
            (0x14, "http://www.w3.org/2005/08/addressing/anonymous"),
            (0x1A, "MessageID"),
            (0x2A, "Address"),
            (0x2C, "ReplyTo"),
            (0x86, "Fault"),
            (0xA2, ""),
            (
                0x1A8,
                " http://schemas.xmlsoap.org/ws/2005/02/trust/tlsnego",
            ),
            (0x3C2, "http://schemas.xmlsoap.org/soap/envelope/"),
            (0x3CC, "detail"),
        ] {
            assert_eq!(static_string(id), Some(s), "id 0x{id:X}");
            assert_eq!(static_id(s), Some(id), "{s:?}");
        }
    }

    #[test]
    fn data_file_is_plain_lf_text() {
        assert!(!DATA.contains('\r'));
        assert!(DATA.ends_with("detail\n"));
    }
}
