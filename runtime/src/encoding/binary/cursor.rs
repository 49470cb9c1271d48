//! A bounds-checked reader over a byte slice. Every length a peer sends goes through
//! [`Cursor::take`], which fails before anything is allocated when the bytes are not there.

use super::error::BinaryXmlError;

#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Added to positions in errors, so offsets point into the enclosing buffer.
    base: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Cursor::with_base(bytes, 0)
    }

    pub(crate) fn with_base(bytes: &'a [u8], base: usize) -> Self {
        Cursor {
            bytes,
            pos: 0,
            base,
        }
    }

    /// Position in the enclosing buffer, for error messages.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes consumed so far.
    pub(crate) fn consumed(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The next `n` bytes; `n` may be any value a peer claims.
    pub(crate) fn take(&mut self, n: u64, what: &'static str) -> Result<&'a [u8], BinaryXmlError> {
        let remaining = self.remaining();
        let fits = usize::try_from(n).ok().filter(|&n| n <= remaining);
        let Some(n) = fits else {
            return Err(BinaryXmlError::Truncated {
                what,
                offset: self.offset(),
                needed: n,
                remaining,
            });
        };
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], BinaryXmlError> {
        let slice = self.take(N as u64, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, BinaryXmlError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, BinaryXmlError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn i32(&mut self, what: &'static str) -> Result<i32, BinaryXmlError> {
        Ok(i32::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, BinaryXmlError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// An MB31 ([MC-NBFX] 2.1.2): 7 bits a byte, least significant first, at most 5 bytes,
    /// value at most 2^31 - 1. Over-long forms (`80 00`) are accepted, as WCF does.
    pub(crate) fn mb31(&mut self) -> Result<u32, BinaryXmlError> {
        let start = self.offset();
        let mut value: u32 = 0;
        for i in 0..5 {
            let byte = self.u8("MultiByteInt31")?;
            if i == 4 && byte & 0xF8 != 0 {
                return Err(BinaryXmlError::BadMb31 { offset: start });
            }
            value |= u32::from(byte & 0x7F) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        // Five bytes with the continuation bit set in the last: the 0xF8 check fired first.
        Err(BinaryXmlError::BadMb31 { offset: start })
    }

    /// An [MC-NBFX] String: MB31 byte length, then UTF-8.
    pub(crate) fn string(&mut self, what: &'static str) -> Result<&'a str, BinaryXmlError> {
        let len = self.mb31()?;
        self.utf8(u64::from(len), what)
    }

    /// `len` bytes of UTF-8.
    pub(crate) fn utf8(&mut self, len: u64, what: &'static str) -> Result<&'a str, BinaryXmlError> {
        let offset = self.offset();
        let bytes = self.take(len, what)?;
        std::str::from_utf8(bytes).map_err(|_| BinaryXmlError::InvalidEncoding {
            encoding: "UTF-8",
            what,
            offset,
        })
    }
}

/// Appends `value` as an MB31, minimal form (as WCF's `IntEncoder`). Values above 2^31 - 1
/// cannot occur: callers pass lengths of in-memory strings that were checked before.
pub(crate) fn write_mb31(out: &mut Vec<u8>, value: u32) {
    let mut value = value & 0x7FFF_FFFF;
    loop {
        let low = (value & 0x7F) as u8;
        value >>= 7;
        if value == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// Bytes [`write_mb31`] would write for `value`.
pub(crate) fn mb31_len(value: u32) -> usize {
    match value {
        0..=0x7F => 1,
        0x80..=0x3FFF => 2,
        0x4000..=0x1F_FFFF => 3,
        0x20_0000..=0xFFF_FFFF => 4,
        _ => 5,
    }
}

/// A length as an MB31, or an error if it cannot be one.
pub(crate) fn len_to_mb31(len: usize, what: &'static str) -> Result<u32, BinaryXmlError> {
    u32::try_from(len)
        .ok()
        .filter(|&n| n <= 0x7FFF_FFFF)
        .ok_or_else(|| BinaryXmlError::Text(format!("{what} of {len} bytes is too long")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mb31_examples_from_the_reference() {
        for (value, bytes) in [
            (0x7Fu32, &[0x7F][..]),
            (0x80, &[0x80, 0x01]),
            (215, &[0xD7, 0x01]),
            (562, &[0xB2, 0x04]),
            (16384, &[0x80, 0x80, 0x01]),
            (0x7FFF_FFFF, &[0xFF, 0xFF, 0xFF, 0xFF, 0x07]),
        ] {
            let mut out = Vec::new();
            write_mb31(&mut out, value);
            assert_eq!(out, bytes, "{value}");
            assert_eq!(mb31_len(value), bytes.len());
            assert_eq!(Cursor::new(bytes).mb31(), Ok(value));
        }
    }

    #[test]
    fn mb31_rejects_too_long_and_too_big() {
        assert!(Cursor::new(&[0xFF, 0xFF, 0xFF, 0xFF, 0x08]).mb31().is_err());
        assert!(Cursor::new(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00])
            .mb31()
            .is_err());
        assert!(matches!(
            Cursor::new(&[0x80]).mb31(),
            Err(BinaryXmlError::Truncated { .. })
        ));
        // Over-long but in range: accepted like WCF's IntDecoder.
        assert_eq!(Cursor::new(&[0x80, 0x00]).mb31(), Ok(0));
    }

    #[test]
    fn take_never_trusts_a_claimed_length() {
        let mut c = Cursor::new(b"abc");
        assert!(c.take(u64::MAX, "x").is_err());
        assert!(c.take(4, "x").is_err());
        assert_eq!(c.take(3, "x"), Ok(&b"abc"[..]));
    }
}
