//! Session encoders: WCF's `MessageEncoderFactory.CreateSessionEncoder`.
//!
//! Some encodings keep state for the life of one connection: `application/soap+msbinsession1`
//! (NetTcp's default) numbers the strings each side defines, separately per direction, from
//! the first message of a framing session to its end. A shared [`MessageEncoder`] has `&self`
//! methods and serves every connection, so it cannot hold that state; instead it hands out a
//! fresh [`SessionEncoder`] per connection. Its two halves are separate because a connection's
//! directions run independently (one task sends while another receives).
//!
//! Whoever owns the connection decides how to use the halves: the message channel
//! ([`DuplexChannel::encoded`](crate::channel::DuplexChannel::encoded)) encodes and decodes
//! messages with them directly; a layer that works on frames of the shared encoder (the
//! reliable-session driver) wraps the connection with [`session_framed`] instead, which
//! rewrites each frame between the shared encoder's form and the session form.

use super::MessageEncoder;
use crate::message::{Message, XmlError};
use crate::transport::{Connection, FrameSink, FrameStream, Listener, TransportError};
use bytes::Bytes;
use futures::future::BoxFuture;

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

    /// Rewrites a frame that the shared encoder's [`MessageEncoder::encode`] wrote into this
    /// connection's form (appending to `out`).
    fn encode_frame(&mut self, frame: &[u8], out: &mut Vec<u8>) -> Result<(), XmlError>;
}

/// The receiving half of a session encoder: what the peer has told this end so far.
pub trait SessionReader: Send + 'static {
    /// Decodes one message received on this connection.
    fn decode(&mut self, frame: Bytes) -> Result<Message, SessionDecodeError>;

    /// Rewrites a received frame into the form the shared encoder's
    /// [`MessageEncoder::decode`] reads.
    fn decode_frame(&mut self, frame: Bytes) -> Result<Bytes, SessionDecodeError>;
}

/// One connection's session encoder, from [`MessageEncoder::session_encoder`]. Create it when
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

/// `connection` with every frame rewritten through a fresh session encoder of `encoder`: the
/// frames above are the shared encoder's, the frames below the session's. Without a session
/// encoding, `connection` as it is.
///
/// A broken session fails the receive with a framing error; the connection is then useless,
/// and its owner drops it (an abort, without End), as WCF faults a session channel.
pub fn session_framed(connection: Connection, encoder: &dyn MessageEncoder) -> Connection {
    let Some(session) = encoder.session_encoder() else {
        return connection;
    };
    let Connection { sink, stream, peer } = connection;
    Connection {
        sink: Box::new(FramedSink {
            frames: sink,
            writer: session.writer,
        }),
        stream: Box::new(FramedStream {
            frames: Some(stream),
            reader: session.reader,
        }),
        peer,
    }
}

/// A listener whose connections go through [`session_framed`].
pub struct SessionFramedListener {
    inner: Box<dyn Listener>,
    encoder: std::sync::Arc<dyn MessageEncoder>,
}

impl SessionFramedListener {
    /// Wraps `inner`; each accepted connection gets its own session encoder of `encoder`.
    pub fn new(inner: Box<dyn Listener>, encoder: std::sync::Arc<dyn MessageEncoder>) -> Self {
        SessionFramedListener { inner, encoder }
    }
}

impl std::fmt::Debug for SessionFramedListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionFramedListener")
            .field("address", &self.inner.local_address())
            .finish_non_exhaustive()
    }
}

impl Listener for SessionFramedListener {
    fn accept(&mut self) -> BoxFuture<'_, Result<Connection, TransportError>> {
        Box::pin(async move {
            let connection = self.inner.accept().await?;
            Ok(session_framed(connection, &*self.encoder))
        })
    }

    fn local_address(&self) -> String {
        self.inner.local_address()
    }
}

struct FramedSink {
    frames: Box<dyn FrameSink>,
    writer: Box<dyn SessionWriter>,
}

impl FrameSink for FramedSink {
    fn send(&mut self, frame: Bytes) -> BoxFuture<'_, Result<(), TransportError>> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(frame.len() + 16);
            // The frame came from our own encoder: failing to rewrite it is a local bug, and
            // the session state was rolled back, so the connection itself is still sound.
            self.writer
                .encode_frame(&frame, &mut out)
                .map_err(|e| TransportError::Framing(format!("cannot encode a frame: {e}")))?;
            self.frames.send(out.into()).await
        })
    }

    fn close(&mut self) -> BoxFuture<'_, Result<(), TransportError>> {
        self.frames.close()
    }
}

struct FramedStream {
    /// `None` once the session broke: the stream is dropped, later receives fail.
    frames: Option<Box<dyn FrameStream>>,
    reader: Box<dyn SessionReader>,
}

impl FrameStream for FramedStream {
    fn receive(&mut self) -> BoxFuture<'_, Result<Option<Bytes>, TransportError>> {
        Box::pin(async move {
            let frames = self.frames.as_mut().ok_or(TransportError::Closed)?;
            let Some(frame) = frames.receive().await? else {
                return Ok(None);
            };
            match self.reader.decode_frame(frame) {
                Ok(frame) => Ok(Some(frame)),
                Err(SessionDecodeError::Session(why)) => {
                    self.frames = None;
                    Err(TransportError::Framing(why))
                }
                // The shared encoder would fail on it too; let it say so.
                Err(SessionDecodeError::Message(e)) => {
                    Err(TransportError::Framing(format!("unreadable message: {e}")))
                }
            }
        })
    }
}
