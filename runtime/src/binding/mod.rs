//! Bindings: how a contract's messages travel (transport, encoder, session capability), and the
//! compile-time rules that match a contract's session mode to a binding.

mod dual_http;
mod encoding;
mod standard;
mod transport;

pub use dual_http::{CompositeDuplexHttp, WsDualHttpBinding, DEFAULT_MAX_DUAL_CLIENTS};
pub use encoding::MessageEncoding;

pub use standard::{
    BasicHttpBinding, CustomBinding, MemoryBinding, MemoryDatagramBinding, NetTcpBinding,
    WsHttpBinding,
};
pub use transport::{
    HttpTransport, MemoryDatagramTransport, MemoryTransport, TcpTransport, TransportBindingElement,
    DEFAULT_MAX_HTTP_CONNECTIONS,
};

use crate::channel::{
    ClientChannelShape, DuplexChannel, EncodedRequestChannel, ServerChannelShape,
};
use crate::encoding::MessageEncoder;
use crate::error::Error;
use crate::transport::{ClientTransport, ServerTransport};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

/// The session capability of a binding, known at compile time.
pub trait SessionCapability: Send + Sync + 'static {
    /// Whether every channel of the binding is a session.
    const HAS_SESSION: bool;
}

/// Marker: every channel of the binding is a session (net.tcp, in-process, any binding with a
/// reliable session).
#[derive(Debug, Clone, Copy)]
pub struct Sessionful;
/// Marker: the binding's channels carry independent messages (plain HTTP).
#[derive(Debug, Clone, Copy)]
pub struct Sessionless;

impl SessionCapability for Sessionful {
    const HAS_SESSION: bool = true;
}
impl SessionCapability for Sessionless {
    const HAS_SESSION: bool = false;
}

/// WCF's default timeouts: open, close and send one minute, receive ten minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// How long opening a channel or host may take.
    pub open: Duration,
    /// How long a graceful close may take before it becomes an abort.
    pub close: Duration,
    /// How long a send, or a request and its reply, may take. A session channel whose
    /// transport has not taken a message within it faults: the peer may have part of it.
    pub send: Duration,
    /// How long a service session may stay idle before it is closed.
    pub receive: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            open: Duration::from_secs(60),
            close: Duration::from_secs(60),
            send: Duration::from_secs(60),
            receive: Duration::from_secs(600),
        }
    }
}

/// A binding: transport, encoder and session capability.
pub trait Binding: Clone + Send + Sync + 'static {
    /// Whether the binding's channels are sessions.
    type Session: SessionCapability;

    /// A short name for logs and errors.
    fn name(&self) -> &'static str;

    /// The encoder messages go through.
    fn encoder(&self) -> Arc<dyn MessageEncoder>;

    /// The binding's timeouts.
    fn timeouts(&self) -> Timeouts;

    /// What the binding's WSDL says of it (its SOAP binding and policy).
    #[doc(hidden)]
    fn describe(&self) -> crate::metadata::BindingDescription {
        crate::metadata::BindingDescription::from_encoder(self.name(), &*self.encoder())
    }

    /// Whether the binding has a reliable session among its layers (a second one cannot go on
    /// top: WCF allows one per binding).
    #[doc(hidden)]
    fn has_reliable_session(&self) -> bool {
        false
    }

    /// Opens the client side of a channel to `address`.
    #[doc(hidden)]
    fn connect(&self, address: &str) -> BoxFuture<'static, Result<ClientTransport, Error>>;

    /// Opens a client channel to `address`: the transport's connection with the binding's
    /// encoder applied, in the shape the transport has. Every client opens its channel here,
    /// so the encoder is applied once, by the binding, as WCF's binding elements stack.
    #[doc(hidden)]
    fn open_channel(&self, address: &str) -> BoxFuture<'static, Result<ClientChannelShape, Error>> {
        let connecting = self.connect(address);
        let encoder = self.encoder();
        Box::pin(async move {
            Ok(match connecting.await? {
                ClientTransport::Duplex(connection) => {
                    ClientChannelShape::DuplexSession(DuplexChannel::encoded(connection, encoder))
                }
                ClientTransport::RequestReply(transport) => ClientChannelShape::Request(Box::new(
                    EncodedRequestChannel::new(transport, encoder),
                )),
            })
        })
    }

    /// Starts listening at `address` for the contract's channels (`streamed`: one exchange
    /// per connection, for contracts with stream operations): the transport's listener with
    /// the binding's encoder applied, in the shape the transport has.
    #[doc(hidden)]
    fn open_listener(
        &self,
        address: &str,
        streamed: bool,
    ) -> BoxFuture<'static, Result<ServerChannelShape, Error>> {
        let listening = if streamed {
            self.listen_streamed(address)
        } else {
            self.listen(address)
        };
        let encoder = self.encoder();
        Box::pin(async move { Ok(ServerChannelShape::encoded(listening.await?, encoder)) })
    }

    /// Starts listening at `address`.
    #[doc(hidden)]
    fn listen(&self, address: &str) -> BoxFuture<'static, Result<ServerTransport, Error>>;

    /// Starts listening for streamed exchanges at `address` (a contract with stream
    /// operations). Only a [`StreamedBinding`](crate::stream::StreamedBinding) has them; the
    /// contract's `CarriedBy` bound keeps any other binding from getting here.
    #[doc(hidden)]
    fn listen_streamed(&self, address: &str) -> BoxFuture<'static, Result<ServerTransport, Error>> {
        let error = Error::Configuration(format!(
            "{} cannot carry streamed transfer ({address})",
            self.name()
        ));
        Box::pin(async move { Err(error) })
    }
}

/// A binding whose channels are sessions: required by `session = Required` contracts.
///
/// Implemented by each sessionful binding type itself rather than derived from
/// [`Binding::Session`], so a mismatch reports this trait's message instead of a type mismatch.
#[diagnostic::on_unimplemented(
    message = "binding `{Self}` has no session, so it cannot carry a contract declared with `session = Required`",
    label = "this binding is sessionless",
    note = "use a sessionful binding such as `NetTcpBinding` (or `MemoryBinding` in process), add a reliable session (`WsHttpBinding::new().with_reliable_session()`), or declare the contract with `session = Allowed`"
)]
pub trait SessionfulBinding: Binding {}

/// A binding that can carry a duplex contract's callbacks (`callback = ...`): its channels are
/// sessions the service can send on at any time. net.tcp, the in-process binding, and a
/// reliable session over either.
#[diagnostic::on_unimplemented(
    message = "binding `{Self}` cannot carry callbacks, so it cannot carry a duplex contract (`callback = ...`)",
    label = "this binding has no channel back to the client",
    note = "use `NetTcpBinding` (WCF's usual duplex binding), `WsDualHttpBinding` over HTTP, or `MemoryBinding` in process; net.tcp and memory also with `.with_reliable_session()`"
)]
pub trait DuplexBinding: SessionfulBinding {}

/// A binding that can run without a session: required by `session = NotAllowed` contracts.
#[diagnostic::on_unimplemented(
    message = "binding `{Self}` always has a session, so it cannot carry a contract declared with `session = NotAllowed`",
    label = "this binding always has a session",
    note = "use a sessionless binding such as `BasicHttpBinding` or `WsHttpBinding`, or declare the contract with `session = Allowed`"
)]
pub trait DatagramBinding: Binding {}

/// Implemented (by `#[service_contract]`) for every binding a contract's session mode accepts;
/// hosts and clients require it, which turns a session mismatch into a compile error.
pub trait CarriedBy<B: Binding> {}
