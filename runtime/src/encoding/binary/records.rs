//! [MC-NBFX] record type bytes, and the XML name rules both directions check names against.
//!
//! Layout of the type byte space (MC-NBFX 2.2, .NET `XmlBinaryNodeType`):
//! `01`-`03` structure, `04`-`3F` attributes, `40`-`77` elements, `80`-`BD` text
//! (odd = the same text followed by an implicit end element).

pub(crate) const END_ELEMENT: u8 = 0x01;
pub(crate) const COMMENT: u8 = 0x02;
pub(crate) const ARRAY: u8 = 0x03;

pub(crate) const SHORT_ATTRIBUTE: u8 = 0x04;
pub(crate) const ATTRIBUTE: u8 = 0x05;
pub(crate) const SHORT_DICTIONARY_ATTRIBUTE: u8 = 0x06;
pub(crate) const DICTIONARY_ATTRIBUTE: u8 = 0x07;
pub(crate) const SHORT_XMLNS_ATTRIBUTE: u8 = 0x08;
pub(crate) const XMLNS_ATTRIBUTE: u8 = 0x09;
pub(crate) const SHORT_DICTIONARY_XMLNS_ATTRIBUTE: u8 = 0x0A;
pub(crate) const DICTIONARY_XMLNS_ATTRIBUTE: u8 = 0x0B;
/// `0C`-`25`: prefix `a`-`z`, dictionary name.
pub(crate) const PREFIX_DICTIONARY_ATTRIBUTE_A: u8 = 0x0C;
/// `26`-`3F`: prefix `a`-`z`, inline name.
pub(crate) const PREFIX_ATTRIBUTE_A: u8 = 0x26;

pub(crate) const SHORT_ELEMENT: u8 = 0x40;
pub(crate) const ELEMENT: u8 = 0x41;
pub(crate) const SHORT_DICTIONARY_ELEMENT: u8 = 0x42;
pub(crate) const DICTIONARY_ELEMENT: u8 = 0x43;
/// `44`-`5D`: prefix `a`-`z`, dictionary name.
pub(crate) const PREFIX_DICTIONARY_ELEMENT_A: u8 = 0x44;
/// `5E`-`77`: prefix `a`-`z`, inline name.
pub(crate) const PREFIX_ELEMENT_A: u8 = 0x5E;
pub(crate) const LAST_ELEMENT: u8 = 0x77;

// Text records, even values; `| 1` is the WithEndElement variant.
pub(crate) const ZERO_TEXT: u8 = 0x80;
pub(crate) const ONE_TEXT: u8 = 0x82;
pub(crate) const FALSE_TEXT: u8 = 0x84;
pub(crate) const TRUE_TEXT: u8 = 0x86;
pub(crate) const INT8_TEXT: u8 = 0x88;
pub(crate) const INT16_TEXT: u8 = 0x8A;
pub(crate) const INT32_TEXT: u8 = 0x8C;
pub(crate) const INT64_TEXT: u8 = 0x8E;
pub(crate) const FLOAT_TEXT: u8 = 0x90;
pub(crate) const DOUBLE_TEXT: u8 = 0x92;
pub(crate) const DECIMAL_TEXT: u8 = 0x94;
pub(crate) const DATETIME_TEXT: u8 = 0x96;
pub(crate) const CHARS8_TEXT: u8 = 0x98;
pub(crate) const CHARS16_TEXT: u8 = 0x9A;
pub(crate) const CHARS32_TEXT: u8 = 0x9C;
pub(crate) const BYTES8_TEXT: u8 = 0x9E;
pub(crate) const BYTES16_TEXT: u8 = 0xA0;
pub(crate) const BYTES32_TEXT: u8 = 0xA2;
/// StartList has no WithEndElement variant: `A5` is undefined.
pub(crate) const START_LIST_TEXT: u8 = 0xA4;
pub(crate) const END_LIST_TEXT: u8 = 0xA6;
pub(crate) const EMPTY_TEXT: u8 = 0xA8;
pub(crate) const DICTIONARY_TEXT: u8 = 0xAA;
pub(crate) const UNIQUE_ID_TEXT: u8 = 0xAC;
pub(crate) const TIMESPAN_TEXT: u8 = 0xAE;
pub(crate) const UUID_TEXT: u8 = 0xB0;
pub(crate) const UINT64_TEXT: u8 = 0xB2;
pub(crate) const BOOL_TEXT: u8 = 0xB4;
pub(crate) const UNICODE_CHARS8_TEXT: u8 = 0xB6;
pub(crate) const UNICODE_CHARS16_TEXT: u8 = 0xB8;
pub(crate) const UNICODE_CHARS32_TEXT: u8 = 0xBA;
pub(crate) const QNAME_DICTIONARY_TEXT: u8 = 0xBC;
pub(crate) const LAST_TEXT: u8 = 0xBD;

/// The prefix letter (`a`-`z`) a prefix-family record stands for.
pub(crate) fn prefix_letter(record: u8, family_start: u8) -> &'static str {
    const LETTERS: [&str; 26] = [
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r",
        "s", "t", "u", "v", "w", "x", "y", "z",
    ];
    LETTERS[usize::from(record.wrapping_sub(family_start)) % 26]
}

/// Offset (0-25) of a one-letter lowercase prefix, for the prefix-family records.
pub(crate) fn letter_index(prefix: &str) -> Option<u8> {
    match prefix.as_bytes() {
        [b @ b'a'..=b'z'] => Some(b - b'a'),
        _ => None,
    }
}

/// Whether `name` is an XML NCName (a name without a colon), so text output stays well-formed.
pub(crate) fn is_ncname(name: &str) -> bool {
    // Nearly every name is ASCII: one table lookup a byte.
    if name.is_ascii() {
        return match name.as_bytes() {
            [first, rest @ ..] => {
                ASCII_NAME[usize::from(*first)] == 2
                    && rest.iter().all(|&b| ASCII_NAME[usize::from(b)] != 0)
            }
            [] => false,
        };
    }
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if is_name_start_char(c) => chars.all(is_name_char),
        _ => false,
    }
}

/// For ASCII bytes: 2 if a name may start with it, 1 if it may only follow, 0 if neither
/// (XML 1.0 NameStartChar and NameChar, without ':').
static ASCII_NAME: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphabetic() || c == b'_' {
            2
        } else if c.is_ascii_digit() || c == b'-' || c == b'.' {
            1
        } else {
            0
        };
        b += 1;
    }
    table
};

// XML 1.0 (fifth edition) NameStartChar and NameChar, without ':'.
fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_families() {
        assert_eq!(prefix_letter(0x56, PREFIX_DICTIONARY_ELEMENT_A), "s");
        assert_eq!(prefix_letter(0x44, PREFIX_DICTIONARY_ELEMENT_A), "a");
        assert_eq!(prefix_letter(0x1E, PREFIX_DICTIONARY_ATTRIBUTE_A), "s");
        assert_eq!(prefix_letter(0x77, PREFIX_ELEMENT_A), "z");
        assert_eq!(letter_index("s"), Some(18));
        assert_eq!(letter_index("S"), None);
        assert_eq!(letter_index("ab"), None);
    }

    #[test]
    fn names() {
        assert!(is_ncname("Envelope"));
        assert!(is_ncname("_a-b.c9"));
        assert!(!is_ncname(""));
        assert!(!is_ncname("9a"));
        assert!(!is_ncname("a:b"));
        assert!(!is_ncname("a b"));
        assert!(!is_ncname("a<"));
    }
}
