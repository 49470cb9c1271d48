//! Message-level channels: what clients and the service dispatcher talk to. A binding's
//! layers stack here, as WCF's binding elements do: the bottom channel encodes messages onto
//! a transport connection ([`DuplexChannel::encoded`]); a reliable session is a channel over
//! other channels. Everything above sees only [`Message`]s.

use crate::encoding::MessageEncoder;
use crate::error::Error;
use crate::message::{Message, XmlError};
use crate::transport::{Connection, FrameSink, FrameStream, Listener, TransportError};
use futures::future::BoxFuture;
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
}

impl std::fmt::Debug for DuplexChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DuplexChannel")
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

impl DuplexChannel {
    /// The bottom channel of a binding: `encoder` over a transport connection.
    pub fn encoded(connection: Connection, encoder: Arc<dyn MessageEncoder>) -> Self {
        let Connection { sink, stream, peer } = connection;
        DuplexChannel {
            sink: Box::new(EncodingSink {
                frames: sink,
                encoder: encoder.clone(),
                buffer_hint: 512,
            }),
            source: Box::new(DecodingSource {
                frames: stream,
                encoder,
            }),
            peer,
        }
    }
}

/// Accepts session channels at one address.
pub trait ChannelListener: Send + 'static {
    /// The next inbound session channel.
    fn accept(&mut self) -> BoxFuture<'_, Result<DuplexChannel, TransportError>>;
    /// The address clients connect to.
    fn local_address(&self) -> String;
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

struct EncodingSink {
    frames: Box<dyn FrameSink>,
    encoder: Arc<dyn MessageEncoder>,
    /// The size of the last frame, so the next buffer rarely grows.
    buffer_hint: usize,
}

impl MessageSink for EncodingSink {
    fn send(&mut self, message: Message) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let mut frame = Vec::with_capacity(self.buffer_hint);
            self.encoder.encode(&message, &mut frame)?;
            self.buffer_hint = frame.len().next_power_of_two().clamp(256, 64 * 1024);
            self.frames.send(frame.into()).await?;
            Ok(())
        })
    }

    fn close(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move { Ok(self.frames.close().await?) })
    }
}

struct DecodingSource {
    frames: Box<dyn FrameStream>,
    encoder: Arc<dyn MessageEncoder>,
}

impl MessageSource for DecodingSource {
    fn receive(&mut self) -> BoxFuture<'_, Result<Option<Message>, ReceiveError>> {
        Box::pin(async move {
            let frame = self.frames.receive().await.map_err(Error::from)?;
            match frame {
                Some(frame) => Ok(Some(self.encoder.decode(frame)?)),
                None => Ok(None),
            }
        })
    }
}
