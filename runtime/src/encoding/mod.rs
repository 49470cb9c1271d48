//! Message <-> bytes. The encoder is a layer of its own so a binding can swap text XML for
//! .NET binary XML without anything above it noticing.

use crate::message::{
    read_envelope, write_envelope, Message, MessageVersion, ReaderQuotas, XmlError,
};
use bytes::Bytes;
use std::fmt::Debug;
pub mod binary;

/// Turns messages into bytes and back.
pub trait MessageEncoder: Debug + Send + Sync + 'static {
    /// The message version this encoder writes and expects.
    fn message_version(&self) -> MessageVersion;
    /// The MIME type of what this encoder writes (HTTP `Content-Type` without parameters).
    fn media_type(&self) -> &'static str;
    /// Appends the encoded message to `out`.
    fn encode(&self, message: &Message, out: &mut Vec<u8>) -> Result<(), XmlError>;
    /// Decodes one whole message.
    fn decode(&self, bytes: Bytes) -> Result<Message, XmlError>;
    /// The limits applied when reading (also to bodies the dispatcher deserializes).
    fn reader_quotas(&self) -> ReaderQuotas;
}

/// SOAP as UTF-8 text XML, WCF's `TextMessageEncodingBindingElement`.
#[derive(Debug, Clone)]
pub struct TextMessageEncoder {
    version: MessageVersion,
    quotas: ReaderQuotas,
}

impl TextMessageEncoder {
    /// A text encoder for `version` with WCF's default reader quotas.
    pub fn new(version: MessageVersion) -> Self {
        TextMessageEncoder {
            version,
            quotas: ReaderQuotas::default(),
        }
    }

    /// Replaces the reader quotas.
    pub fn with_reader_quotas(mut self, quotas: ReaderQuotas) -> Self {
        self.quotas = quotas;
        self
    }

    /// The reader quotas in force.
    pub fn reader_quotas(&self) -> &ReaderQuotas {
        &self.quotas
    }
}

impl MessageEncoder for TextMessageEncoder {
    fn message_version(&self) -> MessageVersion {
        self.version
    }

    fn media_type(&self) -> &'static str {
        match self.version.envelope {
            crate::message::EnvelopeVersion::Soap11 => "text/xml",
            crate::message::EnvelopeVersion::Soap12 => "application/soap+xml",
        }
    }

    fn encode(&self, message: &Message, out: &mut Vec<u8>) -> Result<(), XmlError> {
        write_envelope(message, out)
    }

    fn decode(&self, bytes: Bytes) -> Result<Message, XmlError> {
        read_envelope(bytes, self.version, &self.quotas)
    }

    fn reader_quotas(&self) -> ReaderQuotas {
        self.quotas
    }
}
