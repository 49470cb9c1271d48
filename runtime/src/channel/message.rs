//! Message-level channels: what clients and the service dispatcher talk to. A binding's
//! layers stack here, as WCF's binding elements do: the bottom channel encodes messages onto
//! a transport connection ([`DuplexChannel::encoded`]); a reliable session is a channel over
//! other channels. Everything above sees only [`Message`]s.
//!
//! An encoding with per-connection state (msbinsession1, NetTcp's default) gets a fresh
//! session encoder for each connection here, on the client and the service side alike (WCF's
//! `CreateSessionEncoder`, once per framing preamble).

use crate::encoding::{
    MessageEncoder, SessionDecodeError, SessionEncoder, SessionReader, SessionWriter,
};
use crate::error::Error;
use crate::message::{Message, XmlError};
use crate::transport::{Connection, FrameSink, FrameStream, Listener, TransportError};
use futures::future::BoxFuture;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Why a channel could not deliver the next message.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// The bytes that arrived are not a readable message (the session cannot go on: the
    /// framing of what follows is unknown).
    #[error(transparent)]
    Unreadable(#[from] XmlError),
    /// The channel failed (transport error, reliable session fault...).
    #[error(transparent)]
    Failed(#[from] Error),
}

/// The sending half of a message channel.
pub trait MessageSink: Send + 'static {
    /// Sends one message. A reliable channel returns once the message is in its window.
    fn send(&mut self, message: Message) -> BoxFuture<'_, Result<(), Error>>;

    /// Tells the channel that the request identified by `request_id` was handled and gets no
    /// reply (a one-way operation). Request-reply transports answer such a request at once
    /// (WCF closes its `RequestContext` without a reply); others need nothing.
    fn no_reply(&mut self, request_id: Option<&str>) {
        let _ = request_id;
    }

    /// Ends the sending direction gracefully.
    fn close(&mut self) -> BoxFuture<'_, Result<(), Error>>;
}

/// The receiving half of a message channel.
pub trait MessageSource: Send + 'static {
    /// The next message, or `None` once the peer has ended its direction.
    fn receive(&mut self) -> BoxFuture<'_, Result<Option<Message>, ReceiveError>>;
}

/// Both halves of one session channel.
pub struct DuplexChannel {
    /// Where messages go.
    pub sink: Box<dyn MessageSink>,
    /// Where messages come from.
    pub source: Box<dyn MessageSource>,
    /// A description of the peer, for logs.
    pub peer: String,
    /// The peer's socket address, where the transport below has one.
    pub remote_address: Option<std::net::SocketAddr>,
    /// The session's identifier, for channels whose protocol names the session (a reliable
    /// session's sequence); `None` for a bare transport connection.
    pub session_id: Option<String>,
    /// Who the peer proved to be, where transport security authenticated it.
    pub identity: crate::security::CallerIdentity,
}

impl std::fmt::Debug for DuplexChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DuplexChannel")
            .field("peer", &self.peer)
            .field("remote_address", &self.remote_address)
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

impl DuplexChannel {
    /// The bottom channel of a binding: `encoder` over a transport connection, through a
    /// session encoder of its own when the encoding has one.
    pub fn encoded(connection: Connection, encoder: Arc<dyn MessageEncoder>) -> Self {
        let Connection {
            sink,
            stream,
            peer,
            remote_address,
            identity,
        } = connection;
        let (writer, reader) = match encoder.session_encoder() {
            Some(SessionEncoder { writer, reader, .. }) => {
                (Codec::Session(writer), Decoder::Session(reader))
            }
            None => (Codec::Shared(encoder.clone()), Decoder::Shared(encoder)),
        };
        let broken = Arc::new(AtomicBool::new(false));
        DuplexChannel {
            sink: Box::new(EncodingSink {
                frames: sink,
                encoder: writer,
                buffer_hint: 512,
                broken: broken.clone(),
            }),
            source: Box::new(DecodingSource {
                frames: Some(stream),
                decoder: reader,
                broken,
            }),
            peer,
            remote_address,
            session_id: None,
            identity,
        }
    }
}

/// Accepts session channels at one address.
pub trait ChannelListener: Send + 'static {
    /// The next inbound session channel.
    fn accept(&mut self) -> BoxFuture<'_, Result<DuplexChannel, TransportError>>;
    /// The address clients connect to.
    fn local_address(&self) -> String;
    /// Whether the listener keeps new sessions pending itself until they are accepted (a
    /// reliable listener, up to MaxPendingChannels): the host then accepts only with a
    /// session slot free, so that sessions past the throttle wait, and are refused, there.
    fn queues_pending_sessions(&self) -> bool {
        false
    }
}

/// A transport listener whose connections become encoded channels.
pub struct EncodedListener {
    listener: Box<dyn Listener>,
    encoder: Arc<dyn MessageEncoder>,
}

impl std::fmt::Debug for EncodedListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodedListener")
            .field("address", &self.listener.local_address())
            .finish_non_exhaustive()
    }
}

impl EncodedListener {
    /// Wraps `listener`; every accepted connection speaks `encoder`.
    pub fn new(listener: Box<dyn Listener>, encoder: Arc<dyn MessageEncoder>) -> Self {
        EncodedListener { listener, encoder }
    }
}

impl ChannelListener for EncodedListener {
    fn accept(&mut self) -> BoxFuture<'_, Result<DuplexChannel, TransportError>> {
        Box::pin(async move {
            let connection = self.listener.accept().await?;
            Ok(DuplexChannel::encoded(connection, self.encoder.clone()))
        })
    }

    fn local_address(&self) -> String {
        self.listener.local_address()
    }
}

/// How a channel encodes: the shared encoder, or this connection's session encoder.
enum Codec {
    Shared(Arc<dyn MessageEncoder>),
    Session(Box<dyn SessionWriter>),
}

enum Decoder {
    Shared(Arc<dyn MessageEncoder>),
    Session(Box<dyn SessionReader>),
}

struct EncodingSink {
    frames: Box<dyn FrameSink>,
    encoder: Codec,
    /// The size of the last frame, so the next buffer rarely grows.
    buffer_hint: usize,
    /// Set by the source when the peer broke the session encoding.
    broken: Arc<AtomicBool>,
}

impl MessageSink for EncodingSink {
    fn send(&mut self, message: Message) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let mut frame = Vec::with_capacity(self.buffer_hint);
            match &mut self.encoder {
                Codec::Shared(encoder) => encoder.encode(&message, &mut frame)?,
                Codec::Session(writer) => writer.encode(&message, &mut frame)?,
            }
            self.buffer_hint = frame.len().next_power_of_two().clamp(256, 64 * 1024);
            self.frames.send(frame).await?;
            Ok(())
        })
    }

    fn close(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            if self.broken.load(Ordering::Acquire) {
                // An abort, as WCF faults the channel: no End for a peer that broke the
                // session; dropping the connection closes it.
                return Err(TransportError::Framing(
                    "connection aborted: the peer broke the session encoding".to_owned(),
                )
                .into());
            }
            Ok(self.frames.close().await?)
        })
    }
}

struct DecodingSource {
    /// `None` once the session broke: the connection is being aborted.
    frames: Option<Box<dyn FrameStream>>,
    decoder: Decoder,
    broken: Arc<AtomicBool>,
}

impl MessageSource for DecodingSource {
    fn receive(&mut self) -> BoxFuture<'_, Result<Option<Message>, ReceiveError>> {
        Box::pin(async move {
            let frames = self
                .frames
                .as_mut()
                .ok_or_else(|| Error::from(TransportError::Closed))?;
            let Some(frame) = frames.receive().await.map_err(Error::from)? else {
                return Ok(None);
            };
            match &mut self.decoder {
                Decoder::Shared(encoder) => Ok(Some(encoder.decode(frame)?)),
                Decoder::Session(reader) => match reader.decode(frame) {
                    Ok(message) => Ok(Some(message)),
                    Err(SessionDecodeError::Message(e)) => Err(ReceiveError::Unreadable(e)),
                    Err(SessionDecodeError::Session(why)) => {
                        // A framing-level failure, not a SOAP one: abort the connection.
                        self.broken.store(true, Ordering::Release);
                        self.frames = None;
                        Err(ReceiveError::Failed(Error::from(TransportError::Framing(
                            format!("connection aborted: {why}"),
                        ))))
                    }
                },
            }
        })
    }
}
