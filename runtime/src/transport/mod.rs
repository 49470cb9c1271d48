//! Transports move whole encoded messages (frames) between two ends of a connection. A
//! connection is one transport session; what a frame holds is the encoder's business.

pub mod memory;

use bytes::Bytes;
use futures::future::BoxFuture;

/// What can go wrong below the message layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// Nothing listens at the address.
    #[error("no endpoint listens at {0}")]
    EndpointNotFound(String),
    /// Another listener already uses the address.
    #[error("the address {0} is already in use")]
    AddressInUse(String),
    /// The address is not one this transport understands.
    #[error("invalid address {0}: {1}")]
    InvalidAddress(String, String),
    /// The connection is closed (by the peer, or locally).
    #[error("the connection is closed")]
    Closed,
    /// A frame is larger than the receiver accepts.
    #[error("a message of {size} bytes exceeds the maximum of {max} bytes")]
    FrameTooLarge {
        /// The frame's size (or a lower bound of it).
        size: usize,
        /// The limit.
        max: usize,
    },
    /// An I/O error from the operating system.
    #[error("I/O error: {0}")]
    Io(String),
}

/// The sending half of a connection.
pub trait FrameSink: Send + 'static {
    /// Sends one frame.
    fn send(&mut self, frame: Bytes) -> BoxFuture<'_, Result<(), TransportError>>;
    /// Ends the sending direction gracefully (the peer's stream then ends).
    fn close(&mut self) -> BoxFuture<'_, Result<(), TransportError>>;
}

/// The receiving half of a connection.
pub trait FrameStream: Send + 'static {
    /// The next frame, or `None` once the peer has closed its sending direction.
    fn receive(&mut self) -> BoxFuture<'_, Result<Option<Bytes>, TransportError>>;
}

/// Both halves of one connection.
pub struct Connection {
    /// Where frames go.
    pub sink: Box<dyn FrameSink>,
    /// Where frames come from.
    pub stream: Box<dyn FrameStream>,
    /// A description of the peer, for logs.
    pub peer: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.peer)
            .finish()
    }
}

/// Accepts connections at one address.
pub trait Listener: Send + 'static {
    /// The next inbound connection.
    fn accept(&mut self) -> BoxFuture<'_, Result<Connection, TransportError>>;
    /// The address clients connect to (with the real port when the user asked for port 0).
    fn local_address(&self) -> String;
}
