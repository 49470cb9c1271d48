//! `WsDualHttpBinding`: WCF's `WSDualHttpBinding` (with `SecurityMode.None`): a reliable
//! session (WS-RM 1.0) over composite duplex HTTP, so a duplex contract's callbacks and a
//! session's replies reach a client that listens for them at an HTTP address of its own.
//!
//! The composition is WCF's: `ReliableSessionBindingElement` over `CompositeDuplex` and
//! `OneWay` over text SOAP 1.2 with WS-Addressing 1.0 over HTTP. The client's address is its
//! *client base address* (WCF's `ClientBaseAddress`; default: a free port on 127.0.0.1).

use super::{Binding, DuplexBinding, HttpTransport, Sessionful, SessionfulBinding, Timeouts};
use crate::channel::{ClientChannelShape, ServerChannelShape};
use crate::encoding::{MessageEncoder, TextMessageEncoder};
use crate::error::Error;
use crate::message::MessageVersion;
use crate::reliable::{Reliable, ReliableMessagingVersion, ReliableSessionSettings};
use crate::transport::{ClientTransport, ServerTransport};
use futures::future::BoxFuture;
use std::sync::Arc;

/// Most clients a composite duplex listener keeps at once by default.
pub const DEFAULT_MAX_DUAL_CLIENTS: usize = 1024;

/// The channel layer under [`WsDualHttpBinding`]: one duplex channel per client made of two
/// one-way HTTP directions. It has no session of its own; the reliable session above gives
/// one.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct CompositeDuplexHttp {
    http: HttpTransport,
    timeouts: Timeouts,
    client_base_address: String,
    max_clients: usize,
}

impl CompositeDuplexHttp {
    fn encoder_of() -> Arc<dyn MessageEncoder> {
        Arc::new(TextMessageEncoder::new(MessageVersion::SOAP12_WSA10))
    }
}

impl Binding for CompositeDuplexHttp {
    type Session = Sessionful;

    fn name(&self) -> &'static str {
        "WSDualHttpBinding"
    }

    fn encoder(&self) -> Arc<dyn MessageEncoder> {
        Self::encoder_of()
    }

    fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    fn describe(&self) -> crate::metadata::BindingDescription {
        crate::metadata::BindingDescription {
            name: "WSDualHttpBinding",
            version: MessageVersion::SOAP12_WSA10,
            binary: false,
            scheme: "http",
            security: crate::metadata::TransportSecurityPolicy::None,
            reliable: None,
        }
    }

    fn connect(&self, address: &str) -> BoxFuture<'static, Result<ClientTransport, Error>> {
        let error = Error::Configuration(format!(
            "composite duplex HTTP is a channel layer, not a transport ({address})"
        ));
        Box::pin(async move { Err(error) })
    }

    fn listen(&self, address: &str) -> BoxFuture<'static, Result<ServerTransport, Error>> {
        let error = Error::Configuration(format!(
            "composite duplex HTTP is a channel layer, not a transport ({address})"
        ));
        Box::pin(async move { Err(error) })
    }

    fn open_channel(&self, address: &str) -> BoxFuture<'static, Result<ClientChannelShape, Error>> {
        let (http, timeouts) = (self.http.clone(), self.timeouts);
        let (service, client_base) = (address.to_owned(), self.client_base_address.clone());
        Box::pin(async move {
            let channel = crate::channel::composite_duplex::open_client(
                http,
                &service,
                &client_base,
                Self::encoder_of(),
                timeouts,
            )
            .await?;
            Ok(ClientChannelShape::DuplexSession(channel))
        })
    }

    fn open_listener(
        &self,
        address: &str,
        streamed: bool,
    ) -> BoxFuture<'static, Result<ServerChannelShape, Error>> {
        let (http, timeouts, max_clients) = (self.http.clone(), self.timeouts, self.max_clients);
        let address = address.to_owned();
        Box::pin(async move {
            if streamed {
                return Err(Error::Configuration(format!(
                    "WSDualHttpBinding has no streamed transfer ({address})"
                )));
            }
            let listener = crate::channel::composite_duplex::open_listener(
                http,
                &address,
                Self::encoder_of(),
                timeouts,
                max_clients,
            )
            .await?;
            Ok(ServerChannelShape::DuplexSessions(listener))
        })
    }
}

/// WCF's `WSDualHttpBinding` with `SecurityMode.None`: a reliable session over two HTTP
/// directions. The client listens at its client base address for what the service sends:
/// replies, and a duplex contract's callbacks.
///
/// ```no_run
/// # async fn demo() -> Result<(), indigo::Error> {
/// use indigo::binding::WsDualHttpBinding;
/// let binding = WsDualHttpBinding::new().with_client_base_address("http://127.0.0.1:0/ticker-client");
/// # let _ = binding;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct WsDualHttpBinding {
    inner: Reliable<CompositeDuplexHttp>,
}

impl Default for WsDualHttpBinding {
    fn default() -> Self {
        let composite = CompositeDuplexHttp {
            http: HttpTransport::default(),
            timeouts: Timeouts::default(),
            client_base_address: "http://127.0.0.1:0/indigo-dual-client".to_owned(),
            max_clients: DEFAULT_MAX_DUAL_CLIENTS,
        };
        WsDualHttpBinding {
            inner: Reliable::new(composite)
                .with_version(ReliableMessagingVersion::WsReliableMessagingFebruary2005),
        }
    }
}

impl WsDualHttpBinding {
    /// The binding with WCF's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where the client listens for what the service sends (WCF's `ClientBaseAddress`);
    /// port 0 picks a free one, per channel.
    pub fn with_client_base_address(self, address: impl Into<String>) -> Self {
        self.map_composite(|c| c.client_base_address = address.into())
    }

    /// Most clients a service's listener keeps at once (default
    /// [`DEFAULT_MAX_DUAL_CLIENTS`]); a new one past it is refused with `ServerTooBusy`.
    pub fn with_max_clients(self, clients: usize) -> Self {
        self.map_composite(|c| c.max_clients = clients.max(1))
    }

    /// The binding's timeouts.
    pub fn with_timeouts(self, timeouts: Timeouts) -> Self {
        self.map_composite(|c| c.timeouts = timeouts)
    }

    /// The reliable session's settings.
    pub fn with_reliable_settings(self, settings: ReliableSessionSettings) -> Self {
        WsDualHttpBinding {
            inner: self.inner.with_settings(settings),
        }
    }

    fn map_composite(self, change: impl FnOnce(&mut CompositeDuplexHttp)) -> Self {
        let mut composite = self.inner.inner().clone();
        change(&mut composite);
        WsDualHttpBinding {
            inner: Reliable::new(composite).with_settings(self.inner.settings().clone()),
        }
    }
}

impl Binding for WsDualHttpBinding {
    type Session = Sessionful;

    fn name(&self) -> &'static str {
        "WSDualHttpBinding"
    }

    fn encoder(&self) -> Arc<dyn MessageEncoder> {
        self.inner.encoder()
    }

    fn timeouts(&self) -> Timeouts {
        self.inner.timeouts()
    }

    fn has_reliable_session(&self) -> bool {
        true
    }

    fn describe(&self) -> crate::metadata::BindingDescription {
        self.inner.describe()
    }

    fn connect(&self, address: &str) -> BoxFuture<'static, Result<ClientTransport, Error>> {
        self.inner.connect(address)
    }

    fn listen(&self, address: &str) -> BoxFuture<'static, Result<ServerTransport, Error>> {
        self.inner.listen(address)
    }

    fn open_channel(&self, address: &str) -> BoxFuture<'static, Result<ClientChannelShape, Error>> {
        self.inner.open_channel(address)
    }

    fn open_listener(
        &self,
        address: &str,
        streamed: bool,
    ) -> BoxFuture<'static, Result<ServerChannelShape, Error>> {
        self.inner.open_listener(address, streamed)
    }
}

impl SessionfulBinding for WsDualHttpBinding {}
impl DuplexBinding for WsDualHttpBinding {}
