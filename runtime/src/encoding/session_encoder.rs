//! Session encoders: WCF's `MessageEncoderFactory.CreateSessionEncoder`.
//!
//! Some encodings keep state for the life of one connection: `application/soap+msbinsession1`
//! (NetTcp's default) numbers the strings each side defines, separately per direction, from
//! the first message of a framing session to its end. A shared [`MessageEncoder`](super::MessageEncoder) has `&self`
//! methods and serves every connection, so it cannot hold that state; instead it hands out a
//! fresh [`SessionEncoder`] per connection. Its two halves are separate because a connection's
//! directions run independently (one task sends while another receives).
//!
//! Whoever owns the connection encodes and decodes messages with the halves directly: the
//! message channel ([`DuplexChannel::encoded`](crate::channel::DuplexChannel::encoded)) and
//! the reliable-session driver's connections alike.

use crate::message::{Message, XmlError};
use bytes::Bytes;

/// Why a session reader could not deliver a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionDecodeError {
    /// The session state is broken (a malformed or over-quota string table, an id the table
    /// never defined): nothing later on this connection can be trusted, so the connection
    /// must be aborted. WCF faults the channel without a SOAP fault here.
    #[error("session encoding broken: {0}")]
    Session(String),
    /// This one message is unreadable, but the session state is intact.
    #[error(transparent)]
    Message(#[from] XmlError),
}

/// The sending half of a session encoder: what this end has told its peer so far.
pub trait SessionWriter: Send + 'static {
    /// Encodes one message for this connection (appending to `out`).
    fn encode(&mut self, message: &Message, out: &mut Vec<u8>) -> Result<(), XmlError>;

    /// Rewrites a frame that the shared encoder's [`MessageEncoder::encode`](super::MessageEncoder::encode) wrote into this
    /// connection's form (appending to `out`).
    fn encode_frame(&mut self, frame: &[u8], out: &mut Vec<u8>) -> Result<(), XmlError>;
}

/// The receiving half of a session encoder: what the peer has told this end so far.
pub trait SessionReader: Send + 'static {
    /// Decodes one message received on this connection.
    fn decode(&mut self, frame: Bytes) -> Result<Message, SessionDecodeError>;

    /// Rewrites a received frame into the form the shared encoder's
    /// [`MessageEncoder::decode`](super::MessageEncoder::decode) reads.
    fn decode_frame(&mut self, frame: Bytes) -> Result<Bytes, SessionDecodeError>;
}

/// One connection's session encoder, from [`MessageEncoder::session_encoder`](super::MessageEncoder::session_encoder). Create it when
/// the connection (framing session) starts and drop it with the connection.
pub struct SessionEncoder {
    /// The content type the connection announces (net.tcp: the KnownEncoding record).
    pub media_type: &'static str,
    /// Encodes what this end sends.
    pub writer: Box<dyn SessionWriter>,
    /// Decodes what this end receives.
    pub reader: Box<dyn SessionReader>,
}

impl std::fmt::Debug for SessionEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionEncoder")
            .field("media_type", &self.media_type)
            .finish_non_exhaustive()
    }
}
