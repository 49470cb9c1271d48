//! Message <-> bytes. The encoder is a layer of its own so a binding can swap text XML for
//! .NET binary XML without anything above it noticing.
//!
//! Encodings with per-connection state (msbinsession1) add a session encoder per connection
//! on top of the shared encoder (`session_encoder.rs`, crate-private like the binary XML codec in
//! `binary/`): bindings choose an encoding with [`MessageEncoding`](crate::binding::MessageEncoding).

pub(crate) mod binary;
pub(crate) mod session_encoder;

use crate::message::{
    read_envelope, write_envelope, Message, MessageVersion, ReaderQuotas, XmlError,
};
use bytes::Bytes;
use std::fmt::Debug;

pub use binary::{BinaryMessageEncoder, BinaryXmlError};

#[doc(hidden)]
pub use session_encoder::{SessionDecodeError, SessionEncoder, SessionReader, SessionWriter};

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

    /// WCF's `CreateSessionEncoder`: for an encoding that keeps state per connection, a fresh
    /// encoder for one new connection, which a session transport (net.tcp, in-process) must
    /// use instead of [`encode`](Self::encode)/[`decode`](Self::decode). `None` (the
    /// default) when every message stands alone.
    #[doc(hidden)]
    fn session_encoder(&self) -> Option<SessionEncoder> {
        None
    }

    /// The media type a session transport announces: the session encoder's when there is
    /// one, else [`media_type`](Self::media_type).
    fn session_media_type(&self) -> &'static str {
        self.session_encoder()
            .map_or_else(|| self.media_type(), |session| session.media_type)
    }
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
