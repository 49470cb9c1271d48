//! Transports move whole encoded messages (frames) between two ends of a connection. A
//! connection is one transport session; what a frame holds is the encoder's business.
//!
//! Public here: [`TransportError`] and what it carries. The transports themselves (net.tcp,
//! HTTP, in-process) are crate-private; the connection and listener types bindings hand out
//! are hidden from the documentation, for bindings and tests that speak raw frames.

pub(crate) mod http;
pub(crate) mod memory;
pub(crate) mod tcp;

pub use tcp::FramingFault;

use bytes::Bytes;
use futures::future::BoxFuture;

/// What can go wrong below the message layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
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
    #[error(
        "a message of {size} bytes exceeds the maximum of {max} bytes (MaxReceivedMessageSize)"
    )]
    FrameTooLarge {
        /// The frame's size (or a lower bound of it).
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The peer broke the framing protocol, or refused the connection with a framing fault.
    #[error("framing error: {0}")]
    Framing(String),
    /// Transport security failed: a TLS handshake, a certificate refused by either side, or
    /// the two sides configured differently (one asks for security the other lacks).
    #[error("transport security: {0}")]
    Security(String),
    /// An I/O error, described in words (no operating-system error behind it).
    #[error("I/O error: {0}")]
    Io(String),
    /// An I/O error from the operating system, kept as the error's source so that callers
    /// see the OS error (its kind, its code, its own source) and not only its text.
    #[error("I/O error: {0}")]
    Os(#[source] IoError),
}

/// A shared [`std::io::Error`]: cloneable, so that [`TransportError`] stays `Clone`; two are
/// equal when their kind and text are.
#[derive(Debug, Clone)]
pub struct IoError(std::sync::Arc<std::io::Error>);

impl IoError {
    /// The kind of the OS error.
    pub fn kind(&self) -> std::io::ErrorKind {
        self.0.kind()
    }

    /// The OS error itself.
    pub fn get(&self) -> &std::io::Error {
        &self.0
    }
}

impl std::fmt::Display for IoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The source is the [`std::io::Error`] itself, so that `downcast_ref::<std::io::Error>()`
/// along the chain finds it.
impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

impl PartialEq for IoError {
    fn eq(&self, other: &Self) -> bool {
        self.0.kind() == other.0.kind() && self.0.to_string() == other.0.to_string()
    }
}

impl Eq for IoError {}

impl From<std::io::Error> for TransportError {
    fn from(error: std::io::Error) -> Self {
        TransportError::Os(IoError(std::sync::Arc::new(error)))
    }
}

/// The sending half of a connection.
#[doc(hidden)]
pub trait FrameSink: Send + 'static {
    /// Sends one frame. A `Vec`, as encoders write it: turning it into `Bytes` would cost an
    /// allocation per message that a socket write does not need.
    fn send(&mut self, frame: Vec<u8>) -> BoxFuture<'_, Result<(), TransportError>>;
    /// Ends the sending direction gracefully (the peer's stream then ends).
    fn close(&mut self) -> BoxFuture<'_, Result<(), TransportError>>;
}

/// The receiving half of a connection.
#[doc(hidden)]
pub trait FrameStream: Send + 'static {
    /// The next frame, or `None` once the peer has closed its sending direction.
    fn receive(&mut self) -> BoxFuture<'_, Result<Option<Bytes>, TransportError>>;
}

/// Both halves of one connection.
#[doc(hidden)]
pub struct Connection {
    /// Where frames go.
    pub sink: Box<dyn FrameSink>,
    /// Where frames come from.
    pub stream: Box<dyn FrameStream>,
    /// A description of the peer, for logs.
    pub peer: String,
    /// The peer's socket address, where the transport has one (the service side of net.tcp).
    pub remote_address: Option<std::net::SocketAddr>,
    /// Who the peer proved to be, where transport security authenticated it (the service side
    /// of net.tcp with client certificates).
    pub identity: crate::security::CallerIdentity,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.peer)
            .field("remote_address", &self.remote_address)
            .field("identity", &self.identity)
            .finish()
    }
}

/// Accepts connections at one address.
#[doc(hidden)]
pub trait Listener: Send + 'static {
    /// The next inbound connection.
    fn accept(&mut self) -> BoxFuture<'_, Result<Connection, TransportError>>;
    /// The address clients connect to (with the real port when the user asked for port 0).
    fn local_address(&self) -> String;
}

/// A transport where every request gets its own response (HTTP's shape, WCF's
/// `IRequestChannel`).
#[doc(hidden)]
pub trait RequestTransport: Send + Sync + 'static {
    /// Sends one encoded message; returns the response body, or `None` when the peer accepted
    /// the message without a reply (HTTP 202).
    fn request<'a>(
        &'a self,
        frame: Bytes,
        action: &'a str,
    ) -> BoxFuture<'a, Result<Option<Bytes>, TransportError>>;

    /// The user name and password every message must carry in a WS-Security header
    /// (`TransportWithMessageCredential`), which the channel above adds.
    fn message_credential(&self) -> Option<&crate::security::UserNameCredential> {
        None
    }
}

/// What a binding's client side opens: a duplex connection carrying a session, or a
/// request-reply transport.
#[doc(hidden)]
pub enum ClientTransport {
    /// One connection, messages both ways (net.tcp, in-process).
    Duplex(Connection),
    /// Independent request-reply exchanges (HTTP).
    RequestReply(Box<dyn RequestTransport>),
}

impl std::fmt::Debug for ClientTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientTransport::Duplex(c) => f.debug_tuple("Duplex").field(c).finish(),
            ClientTransport::RequestReply(_) => f.write_str("RequestReply"),
        }
    }
}

/// The answer to one request on a request-reply transport.
#[derive(Debug, Clone, PartialEq, Eq)]
#[doc(hidden)]
pub enum ReplyFrame {
    /// A reply message.
    Reply(Bytes),
    /// A fault message (HTTP 500).
    Fault(Bytes),
    /// Accepted with nothing to say (one-way; HTTP 202).
    Accepted,
}

/// Where a request came from, as far as its transport knows: the sender's socket address and
/// who it proved to be (a client certificate, a user name).
#[derive(Debug, Clone, Default)]
pub struct RequestOrigin {
    /// The sender's socket address.
    pub remote_address: Option<std::net::SocketAddr>,
    /// Who the sender proved to be.
    pub identity: crate::security::CallerIdentity,
}

/// Serves one request of a request-reply transport: the host supplies it, the transport calls
/// it for every request.
#[doc(hidden)]
pub trait RequestHandler: Send + Sync + 'static {
    /// Handles one encoded request; `action` is the transport's (HTTP `SOAPAction` or the
    /// content type's `action` parameter), for envelopes that carry none themselves.
    fn handle(&self, frame: Bytes, action: Option<String>) -> BoxFuture<'static, ReplyFrame>;

    /// As [`handle`](Self::handle), for a transport that knows where the request came from
    /// (`origin`); handlers that want it override this, others need not.
    fn handle_from(
        &self,
        frame: Bytes,
        action: Option<String>,
        origin: RequestOrigin,
    ) -> BoxFuture<'static, ReplyFrame> {
        let _ = origin;
        self.handle(frame, action)
    }
}

/// The documents a service publishes about itself (WSDL and XML Schema), answered to HTTP
/// GET: the transport only asks; the host's metadata decides.
#[doc(hidden)]
pub trait MetadataSource: std::fmt::Debug + Send + Sync + 'static {
    /// The document a GET with `query` (after the `?`) asks for, with the documents it refers
    /// to located under `base`; `None` when there is no such document.
    fn document(&self, base: &str, query: &str) -> Option<String>;
}

/// A request-reply listener (HTTP): serves requests with a handler until shut down.
#[doc(hidden)]
pub trait RequestListener: Send + 'static {
    /// The address clients send to (with the real port when port 0 was asked for).
    fn local_address(&self) -> String;
    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    fn serve(
        self: Box<Self>,
        handler: std::sync::Arc<dyn RequestHandler>,
        shutdown: BoxFuture<'static, ()>,
    ) -> BoxFuture<'static, ()>;

    /// How the user name and password every message must carry in a WS-Security header
    /// are checked (`TransportWithMessageCredential`), which the channel above does.
    fn message_credential_validator(&self) -> Option<crate::security::UserNameValidator> {
        None
    }

    /// Answers HTTP GET at this listener's address from `source`, its documents located
    /// under `base` (WCF's `HttpGetEnabled`). Transports without GET ignore it.
    fn publish_metadata(&mut self, source: std::sync::Arc<dyn MetadataSource>, base: String) {
        let _ = (source, base);
    }
}

/// What a binding's service side opens.
#[doc(hidden)]
pub enum ServerTransport {
    /// Accepts connections, each a session or a stream of datagrams.
    Duplex(Box<dyn Listener>),
    /// Serves independent requests.
    RequestReply(Box<dyn RequestListener>),
    /// Accepts streamed exchanges: each connection carries one request and its reply, the
    /// stream unbuffered (net.tcp's singleton mode, WCF's `TransferMode.Streamed`).
    Streamed(tcp::StreamedListener),
}

impl ServerTransport {
    /// The address the listener is reachable at (with the port the OS picked for port 0).
    pub fn local_address(&self) -> String {
        match self {
            ServerTransport::Duplex(l) => l.local_address(),
            ServerTransport::RequestReply(l) => l.local_address(),
            ServerTransport::Streamed(l) => l.local_address(),
        }
    }
}

impl std::fmt::Debug for ServerTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerTransport::Duplex(l) => write!(f, "Duplex({})", l.local_address()),
            ServerTransport::RequestReply(l) => write!(f, "RequestReply({})", l.local_address()),
            ServerTransport::Streamed(l) => write!(f, "Streamed({})", l.local_address()),
        }
    }
}
