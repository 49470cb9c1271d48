//! The [MC-NMF] records (net-tcp.md §1.1): their types, an incremental decoder and the
//! encoders. Sans-IO: it works on byte buffers and knows nothing about sockets, so every byte
//! path can be tested with captures and partial input.

use super::fault::FramingFault;
use super::mb31::{self, Mb31Error};
use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Largest Via the server accepts, in UTF-8 bytes (WCF's `MaxViaSize`).
pub const MAX_VIA_SIZE: usize = 2048;
/// Largest ExtensibleEncoding or UpgradeRequest string (WCF's `MaxContentTypeSize`).
pub const MAX_CONTENT_TYPE_SIZE: usize = 256;
/// Largest fault URI a client accepts (.NET's `FaultStringDecoder.FaultSizeQuota`).
pub const MAX_FAULT_SIZE: usize = 256;

/// The first byte of every record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RecordType {
    /// Framing version (major, minor).
    Version = 0x00,
    /// Framing mode.
    Mode = 0x01,
    /// The address the initiator wants.
    Via = 0x02,
    /// Message encoding by number.
    KnownEncoding = 0x03,
    /// Message encoding by MIME content type.
    ExtensibleEncoding = 0x04,
    /// A message as a list of chunks (singleton mode).
    UnsizedEnvelope = 0x05,
    /// A message with its size up front (duplex and simplex modes).
    SizedEnvelope = 0x06,
    /// End of the message stream in one direction.
    End = 0x07,
    /// The receiver refuses: a fault URI follows.
    Fault = 0x08,
    /// The initiator asks for a stream upgrade (TLS, negotiate).
    UpgradeRequest = 0x09,
    /// The receiver agrees to the upgrade.
    UpgradeResponse = 0x0A,
    /// The receiver accepts the preamble.
    PreambleAck = 0x0B,
    /// The initiator's preamble is complete.
    PreambleEnd = 0x0C,
}

impl RecordType {
    /// The record type a byte announces, if any.
    pub fn from_byte(byte: u8) -> Option<RecordType> {
        Some(match byte {
            0x00 => RecordType::Version,
            0x01 => RecordType::Mode,
            0x02 => RecordType::Via,
            0x03 => RecordType::KnownEncoding,
            0x04 => RecordType::ExtensibleEncoding,
            0x05 => RecordType::UnsizedEnvelope,
            0x06 => RecordType::SizedEnvelope,
            0x07 => RecordType::End,
            0x08 => RecordType::Fault,
            0x09 => RecordType::UpgradeRequest,
            0x0A => RecordType::UpgradeResponse,
            0x0B => RecordType::PreambleAck,
            0x0C => RecordType::PreambleEnd,
            _ => return None,
        })
    }

    /// The byte on the wire.
    pub fn byte(self) -> u8 {
        self as u8
    }
}

/// The framing mode of the Mode record (net-tcp.md §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Mode {
    /// One request and at most one reply per preamble, as UnsizedEnvelopes (streamed transfer).
    Singleton = 0x01,
    /// Any number of SizedEnvelopes both ways: a transport session (buffered transfer).
    Duplex = 0x02,
    /// One-way SizedEnvelopes (MSMQ sessiongrams).
    Simplex = 0x03,
    /// One message with no envelope record (MSMQ datagrams).
    SingletonSized = 0x04,
}

impl Mode {
    /// The mode a byte names, if any.
    pub fn from_byte(byte: u8) -> Option<Mode> {
        Some(match byte {
            0x01 => Mode::Singleton,
            0x02 => Mode::Duplex,
            0x03 => Mode::Simplex,
            0x04 => Mode::SingletonSized,
            _ => return None,
        })
    }

    /// The byte on the wire.
    pub fn byte(self) -> u8 {
        self as u8
    }
}

/// The encodings a KnownEncoding record can name (net-tcp.md §1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum KnownEncoding {
    /// SOAP 1.1 text, UTF-8.
    Soap11Utf8 = 0x00,
    /// SOAP 1.1 text, UTF-16.
    Soap11Utf16 = 0x01,
    /// SOAP 1.1 text, "unicodeFFFE" (the spec and .NET disagree on its byte order).
    Soap11UnicodeFffe = 0x02,
    /// SOAP 1.2 text, UTF-8.
    Soap12Utf8 = 0x03,
    /// SOAP 1.2 text, UTF-16.
    Soap12Utf16 = 0x04,
    /// SOAP 1.2 text, "unicodeFFFE".
    Soap12UnicodeFffe = 0x05,
    /// MTOM.
    Mtom = 0x06,
    /// .NET binary XML without a session dictionary ([MC-NBFS]).
    Binary = 0x07,
    /// .NET binary XML with a per-session dictionary ([MC-NBFSE]), NetTcpBinding's default.
    BinarySession = 0x08,
}

impl KnownEncoding {
    /// The encoding a byte names, if any (0x09 and up are reserved).
    pub fn from_byte(byte: u8) -> Option<KnownEncoding> {
        Some(match byte {
            0x00 => KnownEncoding::Soap11Utf8,
            0x01 => KnownEncoding::Soap11Utf16,
            0x02 => KnownEncoding::Soap11UnicodeFffe,
            0x03 => KnownEncoding::Soap12Utf8,
            0x04 => KnownEncoding::Soap12Utf16,
            0x05 => KnownEncoding::Soap12UnicodeFffe,
            0x06 => KnownEncoding::Mtom,
            0x07 => KnownEncoding::Binary,
            0x08 => KnownEncoding::BinarySession,
            _ => return None,
        })
    }

    /// The byte on the wire.
    pub fn byte(self) -> u8 {
        self as u8
    }

    /// The KnownEncoding for an encoder's media type (without parameters): UTF-8 text for the
    /// text types, as .NET writes them, or one of the binary forms. `None` for anything else.
    pub fn for_media_type(media_type: &str) -> Option<KnownEncoding> {
        Some(match media_type {
            "text/xml" => KnownEncoding::Soap11Utf8,
            "application/soap+xml" => KnownEncoding::Soap12Utf8,
            "application/soap+msbin1" => KnownEncoding::Binary,
            "application/soap+msbinsession1" => KnownEncoding::BinarySession,
            _ => return None,
        })
    }

    /// The content type .NET associates with the byte (`FramingEncodingString`).
    pub fn content_type(self) -> &'static str {
        match self {
            KnownEncoding::Soap11Utf8 => "text/xml; charset=utf-8",
            KnownEncoding::Soap11Utf16 => "text/xml; charset=utf16",
            KnownEncoding::Soap11UnicodeFffe => "text/xml; charset=unicodeFFFE",
            KnownEncoding::Soap12Utf8 => "application/soap+xml; charset=utf-8",
            KnownEncoding::Soap12Utf16 => "application/soap+xml; charset=utf16",
            KnownEncoding::Soap12UnicodeFffe => "application/soap+xml; charset=unicodeFFFE",
            KnownEncoding::Mtom => "multipart/related",
            KnownEncoding::Binary => "application/soap+msbin1",
            KnownEncoding::BinarySession => "application/soap+msbinsession1",
        }
    }
}

/// One framing record. Mode and encoding stay raw bytes here, because a receiver has to answer
/// unknown values with a fault instead of failing to decode them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Framing version.
    Version {
        /// Major version; 1 is the only one.
        major: u8,
        /// Minor version; 0 is the only one.
        minor: u8,
    },
    /// Framing mode byte (see [`Mode`]).
    Mode(u8),
    /// The address the initiator wants.
    Via(String),
    /// Encoding byte (see [`KnownEncoding`]).
    KnownEncoding(u8),
    /// Encoding as a MIME content type.
    ExtensibleEncoding(String),
    /// A whole message of singleton mode, its chunks joined.
    UnsizedEnvelope(Bytes),
    /// A whole message of duplex or simplex mode.
    SizedEnvelope(Bytes),
    /// End of the message stream in one direction.
    End,
    /// A fault URI (see [`FramingFault`]).
    Fault(String),
    /// A stream upgrade protocol name.
    UpgradeRequest(String),
    /// The upgrade is accepted.
    UpgradeResponse,
    /// The preamble is accepted.
    PreambleAck,
    /// The preamble is complete.
    PreambleEnd,
}

impl Record {
    /// The record's type.
    pub fn record_type(&self) -> RecordType {
        match self {
            Record::Version { .. } => RecordType::Version,
            Record::Mode(_) => RecordType::Mode,
            Record::Via(_) => RecordType::Via,
            Record::KnownEncoding(_) => RecordType::KnownEncoding,
            Record::ExtensibleEncoding(_) => RecordType::ExtensibleEncoding,
            Record::UnsizedEnvelope(_) => RecordType::UnsizedEnvelope,
            Record::SizedEnvelope(_) => RecordType::SizedEnvelope,
            Record::End => RecordType::End,
            Record::Fault(_) => RecordType::Fault,
            Record::UpgradeRequest(_) => RecordType::UpgradeRequest,
            Record::UpgradeResponse => RecordType::UpgradeResponse,
            Record::PreambleAck => RecordType::PreambleAck,
            Record::PreambleEnd => RecordType::PreambleEnd,
        }
    }
}

/// Size limits the decoder enforces as soon as a length is known, before the bytes arrive, so
/// a peer cannot make the receiver buffer more than it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest Via, in bytes.
    pub max_via: usize,
    /// Largest ExtensibleEncoding or UpgradeRequest string, in bytes.
    pub max_content_type: usize,
    /// Largest fault URI, in bytes.
    pub max_fault: usize,
    /// Largest envelope (sized, or the sum of an unsized envelope's chunks), in bytes.
    pub max_envelope: usize,
}

impl Limits {
    /// WCF's string limits with `max_envelope` for messages.
    pub fn new(max_envelope: usize) -> Limits {
        Limits {
            max_via: MAX_VIA_SIZE,
            max_content_type: MAX_CONTENT_TYPE_SIZE,
            max_fault: MAX_FAULT_SIZE,
            max_envelope,
        }
    }
}

/// Bytes that are not valid framing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// A length is not a valid MB31.
    #[error("invalid length: {0}")]
    Mb31(#[from] Mb31Error),
    /// The byte announces no record type.
    #[error("unknown framing record type 0x{0:02X}")]
    UnknownRecordType(u8),
    /// A string record is longer than allowed.
    #[error("{record:?} record of {size} bytes exceeds the limit of {max} bytes")]
    StringTooLong {
        /// The record.
        record: RecordType,
        /// The announced size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A string record must not be empty.
    #[error("empty {0:?} record")]
    EmptyString(RecordType),
    /// A string record is not UTF-8.
    #[error("{0:?} record is not UTF-8")]
    InvalidUtf8(RecordType),
    /// An envelope is larger than allowed.
    #[error("a message of {size} bytes exceeds the limit of {max} bytes")]
    EnvelopeTooLarge {
        /// The announced size (a lower bound for unsized envelopes).
        size: usize,
        /// The limit.
        max: usize,
    },
}

/// Decodes the record at the start of `buf` and removes it from `buf`. Returns `Ok(None)` and
/// leaves `buf` untouched while the record is incomplete; feed more bytes and call again.
/// Limits are checked as soon as a length has arrived.
pub fn decode(buf: &mut BytesMut, limits: &Limits) -> Result<Option<Record>, FramingError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let record_type = RecordType::from_byte(first).ok_or(FramingError::UnknownRecordType(first))?;
    let body = &buf[1..];
    let (record, consumed) = match record_type {
        RecordType::Version => match body {
            [major, minor, ..] => (
                Record::Version {
                    major: *major,
                    minor: *minor,
                },
                3,
            ),
            _ => return Ok(None),
        },
        RecordType::Mode => match body.first() {
            Some(&mode) => (Record::Mode(mode), 2),
            None => return Ok(None),
        },
        RecordType::KnownEncoding => match body.first() {
            Some(&encoding) => (Record::KnownEncoding(encoding), 2),
            None => return Ok(None),
        },
        RecordType::Via => match decode_string(body, record_type, limits.max_via)? {
            Some((via, used)) => (Record::Via(via), 1 + used),
            None => return Ok(None),
        },
        RecordType::ExtensibleEncoding => {
            match decode_string(body, record_type, limits.max_content_type)? {
                Some((content_type, used)) => (Record::ExtensibleEncoding(content_type), 1 + used),
                None => return Ok(None),
            }
        }
        RecordType::UpgradeRequest => {
            match decode_string(body, record_type, limits.max_content_type)? {
                Some((name, _)) if name.is_empty() => {
                    return Err(FramingError::EmptyString(record_type))
                }
                Some((name, used)) => (Record::UpgradeRequest(name), 1 + used),
                None => return Ok(None),
            }
        }
        RecordType::Fault => match decode_string(body, record_type, limits.max_fault)? {
            Some((uri, used)) => (Record::Fault(uri), 1 + used),
            None => return Ok(None),
        },
        RecordType::SizedEnvelope => {
            let Some((size, header)) = mb31::decode(body)? else {
                return Ok(None);
            };
            let size = to_usize(size);
            if size > limits.max_envelope {
                return Err(FramingError::EnvelopeTooLarge {
                    size,
                    max: limits.max_envelope,
                });
            }
            if body.len() - header < size {
                return Ok(None);
            }
            // Hand out the payload without copying it.
            buf.advance(1 + header);
            return Ok(Some(Record::SizedEnvelope(buf.split_to(size).freeze())));
        }
        RecordType::UnsizedEnvelope => match decode_chunks(body, limits.max_envelope)? {
            Some((payload, used)) => (Record::UnsizedEnvelope(payload), 1 + used),
            None => return Ok(None),
        },
        RecordType::End => (Record::End, 1),
        RecordType::UpgradeResponse => (Record::UpgradeResponse, 1),
        RecordType::PreambleAck => (Record::PreambleAck, 1),
        RecordType::PreambleEnd => (Record::PreambleEnd, 1),
    };
    buf.advance(consumed);
    Ok(Some(record))
}

/// An MB31 is at most 2^31 − 1, which fits every `usize` this crate runs on (32 or 64 bits).
fn to_usize(value: u32) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// A length-prefixed UTF-8 string and the bytes it took, or `None` while incomplete.
fn decode_string(
    body: &[u8],
    record: RecordType,
    max: usize,
) -> Result<Option<(String, usize)>, FramingError> {
    let Some((size, header)) = mb31::decode(body)? else {
        return Ok(None);
    };
    let size = to_usize(size);
    if size > max {
        return Err(FramingError::StringTooLong { record, size, max });
    }
    let Some(bytes) = body.get(header..header + size) else {
        return Ok(None);
    };
    let text = std::str::from_utf8(bytes).map_err(|_| FramingError::InvalidUtf8(record))?;
    Ok(Some((text.to_owned(), header + size)))
}

/// An unsized envelope's chunk list (MB31 n ≥ 1 + n bytes, …, then `00`), joined, and the bytes
/// it took; `None` while incomplete. The running total is checked against `max` chunk by chunk.
fn decode_chunks(body: &[u8], max: usize) -> Result<Option<(Bytes, usize)>, FramingError> {
    let mut position = 0;
    let mut chunks = Vec::new();
    let mut total = 0usize;
    loop {
        let Some((size, header)) = mb31::decode(&body[position..])? else {
            return Ok(None);
        };
        position += header;
        let size = to_usize(size);
        if size == 0 {
            break;
        }
        total = total.saturating_add(size);
        if total > max {
            return Err(FramingError::EnvelopeTooLarge { size: total, max });
        }
        let Some(chunk) = body.get(position..position + size) else {
            return Ok(None);
        };
        chunks.push(chunk);
        position += size;
    }
    let mut payload = BytesMut::with_capacity(total);
    for chunk in chunks {
        payload.put_slice(chunk);
    }
    Ok(Some((payload.freeze(), position)))
}

/// Appends `record`'s bytes to `out`. An unsized envelope goes out as one chunk (an empty one
/// as just the terminator, because chunks are never empty).
pub fn encode(record: &Record, out: &mut impl BufMut) -> Result<(), FramingError> {
    out.put_u8(record.record_type().byte());
    match record {
        Record::Version { major, minor } => {
            out.put_u8(*major);
            out.put_u8(*minor);
        }
        Record::Mode(byte) | Record::KnownEncoding(byte) => out.put_u8(*byte),
        Record::Via(text)
        | Record::ExtensibleEncoding(text)
        | Record::Fault(text)
        | Record::UpgradeRequest(text) => {
            mb31::encode(text.len(), out)?;
            out.put_slice(text.as_bytes());
        }
        Record::SizedEnvelope(payload) => {
            mb31::encode(payload.len(), out)?;
            out.put_slice(payload);
        }
        Record::UnsizedEnvelope(payload) => {
            if !payload.is_empty() {
                mb31::encode(payload.len(), out)?;
                out.put_slice(payload);
            }
            out.put_u8(0);
        }
        Record::End | Record::UpgradeResponse | Record::PreambleAck | Record::PreambleEnd => {}
    }
    Ok(())
}

/// The initiator's whole preamble, for one write: Version 1.0, Mode, Via, KnownEncoding,
/// PreambleEnd (net-tcp.md §1.5).
pub fn encode_preamble(
    mode: Mode,
    via: &str,
    encoding: KnownEncoding,
) -> Result<Vec<u8>, FramingError> {
    let mut out = encode_preamble_head(mode, via, encoding)?;
    encode(&Record::PreambleEnd, &mut out)?;
    Ok(out)
}

/// The preamble up to its encoding: what a client sends before an UpgradeRequest.
pub fn encode_preamble_head(
    mode: Mode,
    via: &str,
    encoding: KnownEncoding,
) -> Result<Vec<u8>, FramingError> {
    let mut out = Vec::with_capacity(via.len() + 40);
    for record in [
        Record::Version { major: 1, minor: 0 },
        Record::Mode(mode.byte()),
        Record::Via(via.to_owned()),
        Record::KnownEncoding(encoding.byte()),
    ] {
        encode(&record, &mut out)?;
    }
    Ok(out)
}

/// A Fault record's bytes.
pub fn encode_fault(fault: FramingFault) -> Vec<u8> {
    let uri = fault.uri();
    let mut out = Vec::with_capacity(uri.len() + 2);
    out.put_u8(RecordType::Fault.byte());
    // Fault URIs are short constants, so the MB31 always fits.
    let _ = mb31::encode(uri.len(), &mut out);
    out.put_slice(uri.as_bytes());
    out
}

/// The header of a SizedEnvelope (type byte and MB31 size), kept apart from the payload so the
/// payload need not be copied to send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvelopeHeader {
    bytes: [u8; 1 + mb31::MAX_LEN],
    len: usize,
}

impl EnvelopeHeader {
    /// The header for a payload of `size` bytes.
    pub fn new(size: usize) -> Result<EnvelopeHeader, FramingError> {
        let mut bytes = [0u8; 1 + mb31::MAX_LEN];
        bytes[0] = RecordType::SizedEnvelope.byte();
        let mut rest = &mut bytes[1..];
        let before = rest.len();
        mb31::encode(size, &mut rest)?;
        let len = 1 + before - rest.len();
        Ok(EnvelopeHeader { bytes, len })
    }

    /// The header's bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION_C2S: &[u8] = include_bytes!("testdata/mono-nettcp-session.c2s.bin");
    const SESSION_S2C: &[u8] = include_bytes!("testdata/mono-nettcp-session.s2c.bin");
    const TEXT_C2S: &[u8] = include_bytes!("testdata/mono-tcp-text.c2s.bin");
    const TEXT_S2C: &[u8] = include_bytes!("testdata/mono-tcp-text.s2c.bin");
    const STREAMED_C2S: &[u8] = include_bytes!("testdata/mono-nettcp-streamed.c2s.bin");
    const STREAMED_S2C: &[u8] = include_bytes!("testdata/mono-nettcp-streamed.s2c.bin");

    fn limits() -> Limits {
        Limits::new(65_536)
    }

    /// Decodes a whole stream, all bytes at once.
    fn decode_all(bytes: &[u8]) -> Vec<Record> {
        let mut buf = BytesMut::from(bytes);
        let mut records = Vec::new();
        while let Some(record) = decode(&mut buf, &limits()).unwrap() {
            records.push(record);
        }
        assert!(buf.is_empty(), "{} bytes left over", buf.len());
        records
    }

    /// Decodes a whole stream fed one byte at a time.
    fn decode_bytewise(bytes: &[u8]) -> Vec<Record> {
        let mut buf = BytesMut::new();
        let mut records = Vec::new();
        for &byte in bytes {
            buf.put_u8(byte);
            while let Some(record) = decode(&mut buf, &limits()).unwrap() {
                records.push(record);
            }
        }
        assert!(buf.is_empty(), "{} bytes left over", buf.len());
        records
    }

    fn reencode(records: &[Record]) -> Vec<u8> {
        let mut out = Vec::new();
        for record in records {
            encode(record, &mut out).unwrap();
        }
        out
    }

    fn envelope_sizes(records: &[Record]) -> Vec<usize> {
        records
            .iter()
            .filter_map(|r| match r {
                Record::SizedEnvelope(p) | Record::UnsizedEnvelope(p) => Some(p.len()),
                _ => None,
            })
            .collect()
    }

    fn preamble(via: &str, mode: Mode, encoding: KnownEncoding) -> Vec<Record> {
        vec![
            Record::Version { major: 1, minor: 0 },
            Record::Mode(mode.byte()),
            Record::Via(via.to_owned()),
            Record::KnownEncoding(encoding.byte()),
            Record::PreambleEnd,
        ]
    }

    #[test]
    fn mono_binary_session_capture() {
        let c2s = decode_all(SESSION_C2S);
        assert_eq!(
            c2s[..5],
            preamble(
                "net.tcp://127.0.0.1:18202/calc",
                Mode::Duplex,
                KnownEncoding::BinarySession
            )
        );
        assert_eq!(envelope_sizes(&c2s), [215, 209, 209, 205]);
        assert_eq!(c2s.len(), 5 + 4 + 1);
        assert_eq!(c2s.last(), Some(&Record::End));
        // The first request's session string table: 2 bytes, one string "x".
        let Record::SizedEnvelope(first) = &c2s[5] else {
            panic!("expected an envelope");
        };
        assert_eq!(first[..3], [0x02, 0x01, b'x']);

        let s2c = decode_all(SESSION_S2C);
        assert_eq!(s2c.first(), Some(&Record::PreambleAck));
        assert_eq!(envelope_sizes(&s2c), [144, 138, 128, 138]);
        assert_eq!(s2c.len(), 1 + 4 + 1);
        assert_eq!(s2c.last(), Some(&Record::End));

        // Mono writes minimal MB31s, as we do, so re-encoding reproduces the capture.
        assert_eq!(reencode(&c2s), SESSION_C2S);
        assert_eq!(reencode(&s2c), SESSION_S2C);
    }

    #[test]
    fn mono_text_capture() {
        let c2s = decode_all(TEXT_C2S);
        assert_eq!(
            c2s[..5],
            preamble(
                "net.tcp://127.0.0.1:18202/calc",
                Mode::Duplex,
                KnownEncoding::Soap12Utf8
            )
        );
        assert_eq!(envelope_sizes(&c2s), [562, 555, 555, 543]);
        assert_eq!(c2s.last(), Some(&Record::End));
        // The BOM is the encoder's business: the framing hands it through untouched.
        for record in &c2s[5..9] {
            let Record::SizedEnvelope(payload) = record else {
                panic!("expected an envelope, got {record:?}");
            };
            assert!(payload.starts_with(b"\xEF\xBB\xBF<?xml"));
        }

        let s2c = decode_all(TEXT_S2C);
        assert_eq!(s2c.first(), Some(&Record::PreambleAck));
        assert_eq!(envelope_sizes(&s2c), [450, 440, 440, 440]);
        assert_eq!(s2c.last(), Some(&Record::End));
        assert_eq!(reencode(&c2s), TEXT_C2S);
        assert_eq!(reencode(&s2c), TEXT_S2C);
    }

    #[test]
    fn mono_streamed_capture() {
        let c2s = decode_all(STREAMED_C2S);
        assert_eq!(
            c2s[..5],
            preamble(
                "net.tcp://127.0.0.1:18982/echo",
                Mode::Singleton,
                KnownEncoding::Binary
            )
        );
        assert_eq!(envelope_sizes(&c2s), [216]);
        assert_eq!(c2s.len(), 7);
        assert_eq!(c2s.last(), Some(&Record::End));

        let s2c = decode_all(STREAMED_S2C);
        assert_eq!(s2c.len(), 3);
        assert_eq!(s2c.first(), Some(&Record::PreambleAck));
        assert_eq!(envelope_sizes(&s2c), [149]);
        assert_eq!(s2c.last(), Some(&Record::End));
        assert_eq!(reencode(&c2s), STREAMED_C2S);
        assert_eq!(reencode(&s2c), STREAMED_S2C);
    }

    #[test]
    fn byte_at_a_time_gives_the_same_records() {
        for capture in [
            SESSION_C2S,
            SESSION_S2C,
            TEXT_C2S,
            TEXT_S2C,
            STREAMED_C2S,
            STREAMED_S2C,
        ] {
            assert_eq!(decode_bytewise(capture), decode_all(capture));
        }
    }

    #[test]
    fn preamble_encoder_matches_mono() {
        let preamble = encode_preamble(
            Mode::Duplex,
            "net.tcp://127.0.0.1:18202/calc",
            KnownEncoding::BinarySession,
        )
        .unwrap();
        assert_eq!(preamble, SESSION_C2S[..40]);
    }

    #[test]
    fn string_limits_apply_before_the_bytes_arrive() {
        // Via of 2049 bytes: only the length has arrived.
        let mut buf = BytesMut::from(&[0x02, 0x81, 0x10][..]);
        assert_eq!(
            decode(&mut buf, &limits()),
            Err(FramingError::StringTooLong {
                record: RecordType::Via,
                size: 2049,
                max: 2048
            })
        );
        let mut buf = BytesMut::from(&[0x04, 0x81, 0x02][..]);
        assert!(matches!(
            decode(&mut buf, &limits()),
            Err(FramingError::StringTooLong { size: 257, .. })
        ));
        let mut buf = BytesMut::from(&[0x08, 0x81, 0x02][..]);
        assert!(matches!(
            decode(&mut buf, &limits()),
            Err(FramingError::StringTooLong { size: 257, .. })
        ));
        // Exactly at the limit is fine.
        let mut buf = BytesMut::new();
        encode(&Record::Via("v".repeat(2048)), &mut buf).unwrap();
        assert_eq!(
            decode(&mut buf, &limits()).unwrap(),
            Some(Record::Via("v".repeat(2048)))
        );
    }

    #[test]
    fn envelope_limit_applies_to_the_header() {
        // Claims 2^31 − 1 bytes; nothing of it has arrived, nothing is allocated.
        let mut buf = BytesMut::from(&[0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0x07][..]);
        assert_eq!(
            decode(&mut buf, &limits()),
            Err(FramingError::EnvelopeTooLarge {
                size: 0x7FFF_FFFF,
                max: 65_536
            })
        );
        let small = Limits::new(4);
        let mut buf = BytesMut::from(&[0x06, 0x04, 1, 2, 3, 4][..]);
        assert_eq!(
            decode(&mut buf, &small).unwrap(),
            Some(Record::SizedEnvelope(Bytes::from_static(&[1, 2, 3, 4])))
        );
        let mut buf = BytesMut::from(&[0x06, 0x05][..]);
        assert!(matches!(
            decode(&mut buf, &small),
            Err(FramingError::EnvelopeTooLarge { size: 5, max: 4 })
        ));
        // The sum of an unsized envelope's chunks counts.
        let mut buf = BytesMut::from(&[0x05, 0x03, 1, 2, 3, 0x02][..]);
        assert!(matches!(
            decode(&mut buf, &small),
            Err(FramingError::EnvelopeTooLarge { size: 5, max: 4 })
        ));
    }

    #[test]
    fn malformed_records() {
        let cases: &[(&[u8], FramingError)] = &[
            (&[0x0D], FramingError::UnknownRecordType(0x0D)),
            (b"GET /", FramingError::UnknownRecordType(b'G')),
            (
                &[0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
                FramingError::Mb31(Mb31Error::Overflow),
            ),
            (
                &[0x09, 0x00],
                FramingError::EmptyString(RecordType::UpgradeRequest),
            ),
            (
                &[0x02, 0x01, 0xFF],
                FramingError::InvalidUtf8(RecordType::Via),
            ),
        ];
        for (bytes, error) in cases {
            let mut buf = BytesMut::from(*bytes);
            assert_eq!(
                decode(&mut buf, &limits()).as_ref(),
                Err(error),
                "{bytes:02X?}"
            );
        }
    }

    #[test]
    fn incomplete_records_leave_the_buffer_alone() {
        for bytes in [
            &[0x00, 0x01][..],
            &[0x01],
            &[0x02, 0x05, b'a'],
            &[0x06, 0x80],
            &[0x06, 0x03, 1, 2],
            &[0x05, 0x02, 1, 2],
            &[0x05, 0x02, 1],
        ] {
            let mut buf = BytesMut::from(bytes);
            assert_eq!(decode(&mut buf, &limits()).unwrap(), None, "{bytes:02X?}");
            assert_eq!(&buf[..], bytes);
        }
    }

    #[test]
    fn every_record_round_trips() {
        let records = [
            Record::Version { major: 1, minor: 0 },
            Record::Mode(Mode::Duplex.byte()),
            Record::Via("net.tcp://localhost/x".to_owned()),
            Record::KnownEncoding(KnownEncoding::Soap12Utf8.byte()),
            Record::ExtensibleEncoding("application/soap+msbin1+gzip".to_owned()),
            Record::UpgradeRequest("application/ssl-tls".to_owned()),
            Record::PreambleEnd,
            Record::PreambleAck,
            Record::UpgradeResponse,
            Record::SizedEnvelope(Bytes::from(vec![7u8; 300])),
            Record::SizedEnvelope(Bytes::new()),
            Record::UnsizedEnvelope(Bytes::from_static(b"chunk")),
            Record::UnsizedEnvelope(Bytes::new()),
            Record::Fault(FramingFault::ServerTooBusy.uri().to_owned()),
            Record::End,
        ];
        let bytes = reencode(&records);
        assert_eq!(decode_all(&bytes), records);
        assert_eq!(decode_bytewise(&bytes), records);
    }

    #[test]
    fn unsized_chunks_are_joined() {
        let mut buf = BytesMut::from(&[0x05, 0x02, b'a', b'b', 0x01, b'c', 0x00, 0x07][..]);
        assert_eq!(
            decode(&mut buf, &limits()).unwrap(),
            Some(Record::UnsizedEnvelope(Bytes::from_static(b"abc")))
        );
        assert_eq!(decode(&mut buf, &limits()).unwrap(), Some(Record::End));
    }

    #[test]
    fn envelope_header() {
        assert_eq!(EnvelopeHeader::new(0).unwrap().as_slice(), [0x06, 0x00]);
        assert_eq!(
            EnvelopeHeader::new(215).unwrap().as_slice(),
            [0x06, 0xD7, 0x01]
        );
        assert_eq!(
            EnvelopeHeader::new(0x7FFF_FFFF).unwrap().as_slice(),
            [0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0x07]
        );
        assert!(EnvelopeHeader::new(0x8000_0000).is_err());
    }

    #[test]
    fn fault_record() {
        let bytes = encode_fault(FramingFault::EndpointNotFound);
        let mut buf = BytesMut::from(&bytes[..]);
        assert_eq!(
            decode(&mut buf, &limits()).unwrap(),
            Some(Record::Fault(
                FramingFault::EndpointNotFound.uri().to_owned()
            ))
        );
    }
}
