//! Binary XML behind the message layer.
//!
//! [`BinaryMessageEncoder`] is `application/soap+msbin1` (no string table), which needs no
//! state between messages and so fits the shared [`MessageEncoder`] trait as it is.
//! `application/soap+msbinsession1` (NetTcp's default) keeps a string table per connection and
//! direction; the trait's `&self` methods on a shared `Arc<dyn MessageEncoder>` have no place
//! for that state, so [`SessionBinaryCodec`] is a per-connection object the framing layer owns.

use super::{binary_to_text, text_to_binary, BinaryLimits, ReaderSession, WriterSession};
use crate::encoding::MessageEncoder;
use crate::message::{
    read_envelope, write_envelope, Message, MessageVersion, ReaderQuotas, XmlError,
};
use bytes::Bytes;

/// `application/soap+msbin1`: binary XML with the static dictionary only (KnownEncoding 0x07,
/// WCF's streamed NetTcp transfer mode).
#[derive(Debug, Clone)]
pub struct BinaryMessageEncoder {
    version: MessageVersion,
    quotas: ReaderQuotas,
}

impl BinaryMessageEncoder {
    /// An encoder for `version` with WCF's default reader quotas.
    pub fn new(version: MessageVersion) -> Self {
        BinaryMessageEncoder {
            version,
            quotas: ReaderQuotas::default(),
        }
    }

    /// Replaces the reader quotas.
    pub fn with_reader_quotas(mut self, quotas: ReaderQuotas) -> Self {
        self.quotas = quotas;
        self
    }
}

impl MessageEncoder for BinaryMessageEncoder {
    fn message_version(&self) -> MessageVersion {
        self.version
    }

    fn media_type(&self) -> &'static str {
        "application/soap+msbin1"
    }

    fn encode(&self, message: &Message, out: &mut Vec<u8>) -> Result<(), XmlError> {
        let mut xml = Vec::new();
        write_envelope(message, &mut xml)?;
        out.extend_from_slice(&text_to_binary(&xml, None)?);
        Ok(())
    }

    fn decode(&self, bytes: Bytes) -> Result<Message, XmlError> {
        let xml = binary_to_text(&bytes, None, &BinaryLimits::from_quotas(&self.quotas))?;
        read_envelope(Bytes::from(xml), self.version, &self.quotas)
    }

    fn reader_quotas(&self) -> ReaderQuotas {
        self.quotas
    }
}

/// `application/soap+msbinsession1` for one connection: the string table this end has sent
/// and the one it has received. Create one per framing session (a new preamble, even on a
/// reused socket, starts empty tables) and drop it with the session.
#[derive(Debug, Clone)]
pub struct SessionBinaryCodec {
    version: MessageVersion,
    quotas: ReaderQuotas,
    reader: ReaderSession,
    writer: WriterSession,
}

impl SessionBinaryCodec {
    /// A codec with empty tables of `max_session_size` bytes each way (WCF: 2,048).
    pub fn new(version: MessageVersion, quotas: ReaderQuotas, max_session_size: usize) -> Self {
        SessionBinaryCodec {
            version,
            quotas,
            reader: ReaderSession::with_quota(max_session_size),
            writer: WriterSession::with_quota(max_session_size),
        }
    }

    /// The media type to announce (KnownEncoding 0x08).
    pub fn media_type(&self) -> &'static str {
        "application/soap+msbinsession1"
    }

    /// Encodes one message (string table + document), as the payload of a SizedEnvelope.
    pub fn encode(&mut self, message: &Message, out: &mut Vec<u8>) -> Result<(), XmlError> {
        let mut xml = Vec::new();
        write_envelope(message, &mut xml)?;
        out.extend_from_slice(&text_to_binary(&xml, Some(&mut self.writer))?);
        Ok(())
    }

    /// Decodes one SizedEnvelope payload. An error in the string table breaks the session
    /// for good (as in WCF): the connection should be faulted.
    pub fn decode(&mut self, bytes: Bytes) -> Result<Message, XmlError> {
        let limits = BinaryLimits::from_quotas(&self.quotas);
        let xml = binary_to_text(&bytes, Some(&mut self.reader), &limits)?;
        read_envelope(Bytes::from(xml), self.version, &self.quotas)
    }
}
