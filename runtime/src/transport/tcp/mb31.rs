//! MB31 ("MultiByteInt31"), the variable-length integer behind every length in the framing:
//! little-endian base 128, 1 to 5 bytes, values 0 to 2^31 − 1 ([MC-NMF] §2.2.2, [MC-NBFX] §2.1.2).

use bytes::BufMut;

/// The largest value MB31 can carry.
pub const MAX_VALUE: u32 = 0x7FFF_FFFF;
/// The most bytes an MB31 takes.
pub const MAX_LEN: usize = 5;

/// What can be wrong with an MB31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Mb31Error {
    /// The 5th byte sets bits above bit 2 (a value past 31 bits, or a 6th byte announced).
    #[error("a multi-byte int31 overflows 31 bits")]
    Overflow,
    /// A value to encode does not fit in 31 bits.
    #[error("{0} does not fit in a multi-byte int31")]
    TooLarge(usize),
}

/// Appends the minimal MB31 form of `value` (what .NET's writer emits).
pub fn encode(value: usize, out: &mut impl BufMut) -> Result<(), Mb31Error> {
    let mut rest = u32::try_from(value)
        .ok()
        .filter(|v| *v <= MAX_VALUE)
        .ok_or(Mb31Error::TooLarge(value))?;
    loop {
        // Truncation keeps exactly the low 7 bits, which is the point.
        let group = (rest & 0x7F) as u8;
        rest >>= 7;
        if rest == 0 {
            out.put_u8(group);
            return Ok(());
        }
        out.put_u8(group | 0x80);
    }
}

/// Decodes an MB31 at the start of `input`: the value and how many bytes it took, or `None` when
/// `input` ends before the MB31 does. Over-long forms such as `80 00` are accepted, as .NET's
/// decoder accepts them.
pub fn decode(input: &[u8]) -> Result<Option<(u32, usize)>, Mb31Error> {
    let mut value: u32 = 0;
    for (index, &byte) in input.iter().take(MAX_LEN).enumerate() {
        if index == MAX_LEN - 1 {
            // Only bits 0–2 may be set in the 5th byte: 4 × 7 + 3 = 31 bits, and no 6th byte.
            if byte & 0xF8 != 0 {
                return Err(Mb31Error::Overflow);
            }
            return Ok(Some((value | (u32::from(byte) << 28), MAX_LEN)));
        }
        value |= u32::from(byte & 0x7F) << (7 * index);
        if byte & 0x80 == 0 {
            return Ok(Some((value, index + 1)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(value: usize) -> Vec<u8> {
        let mut out = Vec::new();
        encode(value, &mut out).unwrap();
        out
    }

    #[test]
    fn reference_table() {
        // The examples of net-tcp.md §1.3.
        let table: &[(usize, &[u8])] = &[
            (0, &[0x00]),
            (0x7F, &[0x7F]),
            (0x80, &[0x80, 0x01]),
            (215, &[0xD7, 0x01]),
            (562, &[0xB2, 0x04]),
            (0x3FFF, &[0xFF, 0x7F]),
            (16384, &[0x80, 0x80, 0x01]),
            (0x1F_FFFF, &[0xFF, 0xFF, 0x7F]),
            (0x20_0000, &[0x80, 0x80, 0x80, 0x01]),
            (0x0FFF_FFFF, &[0xFF, 0xFF, 0xFF, 0x7F]),
            (0x1000_0000, &[0x80, 0x80, 0x80, 0x80, 0x01]),
            (0x7FFF_FFFF, &[0xFF, 0xFF, 0xFF, 0xFF, 0x07]),
        ];
        for &(value, bytes) in table {
            assert_eq!(encoded(value), bytes, "encoding {value}");
            assert_eq!(
                decode(bytes).unwrap(),
                Some((u32::try_from(value).unwrap(), bytes.len())),
                "decoding {bytes:02X?}"
            );
        }
    }

    #[test]
    fn rejects_values_past_31_bits() {
        assert_eq!(
            encode(0x8000_0000, &mut Vec::new()),
            Err(Mb31Error::TooLarge(0x8000_0000))
        );
        // Bit 3 of the 5th byte would be bit 31.
        assert_eq!(
            decode(&[0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
            Err(Mb31Error::Overflow)
        );
        assert_eq!(
            decode(&[0x80, 0x80, 0x80, 0x80, 0x10]),
            Err(Mb31Error::Overflow)
        );
        // A continuation bit on the 5th byte announces a 6th byte.
        assert_eq!(
            decode(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
            Err(Mb31Error::Overflow)
        );
    }

    #[test]
    fn over_long_forms_are_accepted_like_dotnet() {
        assert_eq!(decode(&[0x80, 0x00]).unwrap(), Some((0, 2)));
        assert_eq!(decode(&[0xFF, 0x80, 0x00]).unwrap(), Some((0x7F, 3)));
    }

    #[test]
    fn partial_input_needs_more() {
        assert_eq!(decode(&[]).unwrap(), None);
        assert_eq!(decode(&[0x80]).unwrap(), None);
        assert_eq!(decode(&[0xFF, 0xFF, 0xFF, 0xFF]).unwrap(), None);
        // Bytes after the MB31 are not its business.
        assert_eq!(decode(&[0x05, 0xAA, 0xBB]).unwrap(), Some((5, 1)));
    }
}
