//! `Flags<E>`: a set of the members of a `[Flags]` enum, the value a C# `[Flags]` enum holds.
//!
//! DataContractSerializer writes such a value as its members' names separated by single spaces
//! (`Read Write`): a member whose value equals the whole value if there is one, otherwise the
//! members in declaration order whose bits are all still set, each clearing its bits. Bits no
//! member covers cannot be written. Reading ORs the named members; empty text is no flags.

use super::DataContract;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{self, Serialize, Serializer};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::ops::{BitOr, BitOrAssign};

/// What `#[data_contract(flags)]` implements for an enum whose variants are the flags: each
/// variant's wire name and value, in declaration order.
pub trait FlagsContract: DataContract + Sized + 'static {
    /// `(wire name, value)` of every member, in declaration order.
    const MEMBERS: &'static [(&'static str, u64)];
    /// The serde type name that carries the contract's name and namespace to the serializer.
    #[doc(hidden)]
    const SERDE_NAME: &'static str;
    /// This member's value (its discriminant).
    fn bits(&self) -> u64;
}

/// A combination of the flags of `E`, a `#[data_contract(flags)]` enum, as a C# `[Flags]` enum
/// value holds several members at once.
///
/// ```
/// use indigo::Flags;
///
/// #[indigo::data_contract(flags)]
/// #[derive(Debug, Clone, Copy, PartialEq)]
/// enum Access {
///     Read = 1,
///     Write = 2,
///     Delete = 4,
/// }
///
/// let access = Flags::from(Access::Read) | Access::Write;
/// assert!(access.contains(Access::Write));
/// assert!(!access.contains(Access::Delete));
/// assert_eq!(access.bits(), 3);
/// assert_eq!(access.to_string(), "Read Write");
/// ```
pub struct Flags<E> {
    bits: u64,
    members: PhantomData<fn() -> E>,
}

impl<E: FlagsContract> Flags<E> {
    /// No flags set.
    pub const fn empty() -> Self {
        Flags {
            bits: 0,
            members: PhantomData,
        }
    }

    /// The flags of a raw value, if its members cover every set bit.
    pub fn from_bits(bits: u64) -> Option<Self> {
        let known = E::MEMBERS.iter().fold(0, |all, (_, value)| all | value);
        (bits & !known == 0).then_some(Flags {
            bits,
            members: PhantomData,
        })
    }

    /// The raw value.
    pub const fn bits(&self) -> u64 {
        self.bits
    }

    /// Whether no flag is set.
    pub const fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// Whether every bit of `member` is set.
    pub fn contains(&self, member: E) -> bool {
        let bits = member.bits();
        self.bits & bits == bits
    }

    /// Sets `member`'s bits.
    pub fn insert(&mut self, member: E) {
        self.bits |= member.bits();
    }

    /// Clears `member`'s bits.
    pub fn remove(&mut self, member: E) {
        self.bits &= !member.bits();
    }

    /// The wire names, as DataContractSerializer chooses them; `None` when bits are left that
    /// no member covers.
    fn names(&self) -> Option<Vec<&'static str>> {
        if let Some((name, _)) = E::MEMBERS.iter().find(|(_, value)| *value == self.bits) {
            return Some(vec![name]);
        }
        let mut left = self.bits;
        let mut names = Vec::new();
        for (name, value) in E::MEMBERS {
            if left == 0 {
                break;
            }
            if *value != 0 && left & value == *value {
                names.push(*name);
                left &= !value;
            }
        }
        (left == 0).then_some(names)
    }

    /// Reads the space-separated member names.
    fn parse(text: &str) -> Result<Self, String> {
        let mut bits = 0;
        for name in text.split(' ').filter(|name| !name.is_empty()) {
            let (_, value) = E::MEMBERS
                .iter()
                .find(|(member, _)| *member == name)
                .ok_or_else(|| format!("`{name}` is not a member of the flags enum {}", E::NAME))?;
            bits |= value;
        }
        Ok(Flags {
            bits,
            members: PhantomData,
        })
    }
}

impl<E: FlagsContract> From<E> for Flags<E> {
    fn from(member: E) -> Self {
        Flags {
            bits: member.bits(),
            members: PhantomData,
        }
    }
}

impl<E: FlagsContract> FromIterator<E> for Flags<E> {
    fn from_iter<I: IntoIterator<Item = E>>(members: I) -> Self {
        let mut flags = Flags::empty();
        for member in members {
            flags.insert(member);
        }
        flags
    }
}

impl<E: FlagsContract> BitOr<E> for Flags<E> {
    type Output = Flags<E>;
    fn bitor(mut self, member: E) -> Flags<E> {
        self.insert(member);
        self
    }
}

impl<E> BitOr for Flags<E> {
    type Output = Flags<E>;
    fn bitor(self, other: Flags<E>) -> Flags<E> {
        Flags {
            bits: self.bits | other.bits,
            members: PhantomData,
        }
    }
}

impl<E: FlagsContract> BitOrAssign<E> for Flags<E> {
    fn bitor_assign(&mut self, member: E) {
        self.insert(member);
    }
}

// Written by hand: a derive would ask `E` for the same traits, which a set of flags does not
// need.
impl<E> Clone for Flags<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for Flags<E> {}

impl<E> PartialEq for Flags<E> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}

impl<E> Eq for Flags<E> {}

impl<E> Hash for Flags<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bits.hash(state);
    }
}

impl<E: FlagsContract> Default for Flags<E> {
    fn default() -> Self {
        Flags::empty()
    }
}

/// The wire text: member names separated by spaces (`Read Write`), or the hexadecimal value
/// when bits are left that no member covers.
impl<E: FlagsContract> fmt::Display for Flags<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.names() {
            Some(names) => f.write_str(&names.join(" ")),
            None => write!(f, "{:#x}", self.bits),
        }
    }
}

impl<E: FlagsContract> fmt::Debug for Flags<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags<{}>({self})", E::NAME)
    }
}

impl<E: FlagsContract> Serialize for Flags<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let names = self.names().ok_or_else(|| {
            ser::Error::custom(format!(
                "flags value {:#x} has bits that no member of {} covers; \
                 DataContractSerializer cannot write it",
                self.bits,
                E::NAME
            ))
        })?;
        serializer.serialize_newtype_struct(E::SERDE_NAME, &names.join(" "))
    }
}

impl<'de, E: FlagsContract> Deserialize<'de> for Flags<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text<E>(PhantomData<fn() -> E>);
        impl<E: FlagsContract> Visitor<'_> for Text<E> {
            type Value = Flags<E>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "member names of the flags enum {}", E::NAME)
            }
            fn visit_str<Er: de::Error>(self, text: &str) -> Result<Flags<E>, Er> {
                Flags::parse(text).map_err(Er::custom)
            }
        }
        deserializer.deserialize_str(Text(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Members with two bits each, so a value their union covers can still be unwritable.
    #[derive(Clone, Copy)]
    enum Pairs {
        Low = 3,
        High = 6,
    }

    impl DataContract for Pairs {
        const NAME: &'static str = "Pairs";
        const NAMESPACE: Option<&'static str> = None;
    }

    impl FlagsContract for Pairs {
        const MEMBERS: &'static [(&'static str, u64)] =
            &[("Low", Pairs::Low as u64), ("High", Pairs::High as u64)];
        const SERDE_NAME: &'static str = "{}Pairs";
        fn bits(&self) -> u64 {
            *self as u64
        }
    }

    #[test]
    fn the_greedy_rule_can_leave_bits_that_no_member_then_covers() {
        // Low takes bits 1 and 2; High needs bit 2 again, so bit 4 is left: .NET throws too.
        let both = Flags::from(Pairs::Low) | Pairs::High;
        assert_eq!(both.bits(), 7);
        assert!(both.names().is_none());
        assert_eq!(both.to_string(), "0x7");
        let error = crate::serialization::to_fragment("P", "", "", &both).err();
        let error = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("no member of Pairs covers"), "{error}");
        assert_eq!(Flags::from(Pairs::High).to_string(), "High");
    }
}
