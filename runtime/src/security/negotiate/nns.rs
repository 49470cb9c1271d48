//! The .NET NegotiateStream framing ([MS-NNS]), sans IO: the handshake messages that carry the
//! security tokens, and the data messages that carry the protected bytes afterwards.
//!
//! Written by hand: it is five bytes of header and four of length, and no crate implements it.
//!
//! - Handshake message (MS-NNS 2.2.1): `MessageId` (1 byte: `0x16` in progress, `0x14` done,
//!   `0x15` error), `MajorVersion` 1, `MinorVersion` 0, `PayloadSize` (2 bytes, big-endian),
//!   then the token.
//! - Data message (MS-NNS 2.2.2): `PayloadSize` (4 bytes, little-endian), then the signature
//!   and the (sealed) data. .NET writes at most 63 KiB of data per message and refuses to read
//!   a payload over 64 KiB, or one of four bytes or fewer.

use bytes::{Buf, BytesMut};

/// The header of a handshake message.
pub(crate) const HANDSHAKE_HEADER_LEN: usize = 5;
/// Most plaintext bytes per data message (.NET's `MaxWriteDataSize`, 63 KiB).
pub(crate) const MAX_DATA_PER_MESSAGE: usize = 63 * 1024;
/// Largest data-message payload accepted (.NET's `MaxReadFrameSize`, 64 KiB).
pub(crate) const MAX_DATA_PAYLOAD: usize = 64 * 1024;
/// The data message's length prefix.
pub(crate) const DATA_HEADER_LEN: usize = 4;

/// The kind of a handshake message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandshakeId {
    /// `0x16`: a token, more to come.
    InProgress,
    /// `0x14`: the sender's security context is complete (the token may be empty).
    Done,
    /// `0x15`: the sender failed; the payload is an 8-byte big-endian error code.
    Error,
}

impl HandshakeId {
    fn byte(self) -> u8 {
        match self {
            HandshakeId::InProgress => 0x16,
            HandshakeId::Done => 0x14,
            HandshakeId::Error => 0x15,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x16 => Some(HandshakeId::InProgress),
            0x14 => Some(HandshakeId::Done),
            0x15 => Some(HandshakeId::Error),
            _ => None,
        }
    }
}

/// One handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HandshakeMessage {
    pub(crate) id: HandshakeId,
    pub(crate) payload: Vec<u8>,
}

/// Bytes that break the framing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NnsError {
    #[error("not a NegotiateStream handshake message (message id 0x{0:02X})")]
    UnknownMessageId(u8),
    #[error("NegotiateStream version {0}.{1}; only 1.0 exists")]
    Version(u8, u8),
    #[error("a security token of {0} bytes does not fit a handshake message (65,535 at most)")]
    TokenTooLarge(usize),
    #[error("a NegotiateStream data message of {0} bytes (more than 4 and at most 65,536)")]
    DataSize(usize),
}

/// The handshake message's bytes.
pub(crate) fn encode_handshake(id: HandshakeId, payload: &[u8]) -> Result<Vec<u8>, NnsError> {
    let size = u16::try_from(payload.len()).map_err(|_| NnsError::TokenTooLarge(payload.len()))?;
    let mut out = Vec::with_capacity(HANDSHAKE_HEADER_LEN + payload.len());
    out.push(id.byte());
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// The next handshake message in `buf`, if it is all there; its bytes are consumed.
pub(crate) fn decode_handshake(buf: &mut BytesMut) -> Result<Option<HandshakeMessage>, NnsError> {
    let Some(header) = buf.get(..HANDSHAKE_HEADER_LEN) else {
        // Judge the message id as soon as it arrives: a peer speaking something else (TLS, a
        // framing record) is told apart at its first byte.
        if let Some(&first) = buf.first() {
            HandshakeId::from_byte(first).ok_or(NnsError::UnknownMessageId(first))?;
        }
        return Ok(None);
    };
    let id = HandshakeId::from_byte(header[0]).ok_or(NnsError::UnknownMessageId(header[0]))?;
    if (header[1], header[2]) != (1, 0) {
        return Err(NnsError::Version(header[1], header[2]));
    }
    let size = usize::from(u16::from_be_bytes([header[3], header[4]]));
    if buf.len() < HANDSHAKE_HEADER_LEN + size {
        return Ok(None);
    }
    buf.advance(HANDSHAKE_HEADER_LEN);
    let payload = buf.split_to(size).to_vec();
    Ok(Some(HandshakeMessage { id, payload }))
}

/// The 8-byte payload of an error message: the code, big-endian, as .NET writes it.
pub(crate) fn error_payload(code: u32) -> [u8; 8] {
    u64::from(code).to_be_bytes()
}

/// The code in an error message's payload, if it has one.
pub(crate) fn error_code(payload: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = payload.get(..8)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// Appends a data message carrying `payload` (signature and data) to `out`.
pub(crate) fn encode_data(payload: &[u8], out: &mut Vec<u8>) {
    // Callers wrap at most MAX_DATA_PER_MESSAGE bytes plus a signature: it fits in 32 bits.
    let size = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(payload);
}

/// The payload of the next data message in `buf`, if it is all there; its bytes are consumed.
/// The size is checked before anything is buffered for it.
pub(crate) fn decode_data(buf: &mut BytesMut) -> Result<Option<BytesMut>, NnsError> {
    let Some(header) = buf.get(..DATA_HEADER_LEN) else {
        return Ok(None);
    };
    let size = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    if size <= 4 || size > MAX_DATA_PAYLOAD {
        return Err(NnsError::DataSize(size));
    }
    if buf.len() < DATA_HEADER_LEN + size {
        return Ok(None);
    }
    buf.advance(DATA_HEADER_LEN);
    Ok(Some(buf.split_to(size)))
}

/// The bytes of an empty "done" handshake message. A .NET client whose context completes on
/// the service's last token answers it with this; a service must skip it before the data.
pub(crate) const EMPTY_DONE: [u8; HANDSHAKE_HEADER_LEN] = [0x14, 1, 0, 0, 0];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_header_is_id_version_and_big_endian_size() {
        let bytes = encode_handshake(HandshakeId::InProgress, &[0xAA; 0x0102]).expect("fits");
        assert_eq!(&bytes[..5], &[0x16, 0x01, 0x00, 0x01, 0x02]);
        assert_eq!(bytes.len(), 5 + 0x0102);
        let done = encode_handshake(HandshakeId::Done, &[]).expect("fits");
        assert_eq!(done, EMPTY_DONE);
        let error =
            encode_handshake(HandshakeId::Error, &error_payload(0x8009_030C)).expect("fits");
        assert_eq!(
            error,
            [0x15, 1, 0, 0, 8, 0, 0, 0, 0, 0x80, 0x09, 0x03, 0x0C]
        );
    }

    #[test]
    fn handshake_round_trips_in_pieces() {
        let bytes = encode_handshake(HandshakeId::Done, b"token").expect("fits");
        let mut buf = BytesMut::new();
        for (i, byte) in bytes.iter().enumerate() {
            assert_eq!(decode_handshake(&mut buf), Ok(None), "after {i} bytes");
            buf.extend_from_slice(&[*byte]);
        }
        let message = decode_handshake(&mut buf)
            .expect("valid")
            .expect("complete");
        assert_eq!(message.id, HandshakeId::Done);
        assert_eq!(message.payload, b"token");
        assert!(buf.is_empty());
    }

    #[test]
    fn bad_handshake_bytes_are_errors() {
        let mut tls = BytesMut::from(&[0x16, 0x03, 0x01, 0x00, 0x05][..]);
        assert_eq!(decode_handshake(&mut tls), Err(NnsError::Version(3, 1)));
        let mut record = BytesMut::from(&[0x0C][..]);
        assert_eq!(
            decode_handshake(&mut record),
            Err(NnsError::UnknownMessageId(0x0C))
        );
        assert_eq!(
            encode_handshake(HandshakeId::InProgress, &vec![0; 70_000]),
            Err(NnsError::TokenTooLarge(70_000))
        );
        assert_eq!(error_code(&error_payload(1790)), Some(1790));
        assert_eq!(error_code(&[1, 2]), None);
    }

    #[test]
    fn data_messages_are_little_endian_and_bounded() {
        let mut out = Vec::new();
        encode_data(&[7; 20], &mut out);
        assert_eq!(&out[..4], &[20, 0, 0, 0]);
        let mut buf = BytesMut::from(&out[..10]);
        assert_eq!(decode_data(&mut buf), Ok(None));
        buf.extend_from_slice(&out[10..]);
        assert_eq!(
            decode_data(&mut buf).expect("valid").expect("whole").len(),
            20
        );
        for size in [0_u32, 4, 65_537, u32::MAX] {
            let mut buf = BytesMut::from(&size.to_le_bytes()[..]);
            assert_eq!(
                decode_data(&mut buf),
                Err(NnsError::DataSize(size as usize))
            );
        }
    }
}
