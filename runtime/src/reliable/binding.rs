//! A reliable session as a binding layer: WCF's `ReliableSessionBindingElement`, or
//! `ReliableSession.Enabled = true` on a standard binding. It turns any binding into a
//! sessionful one, so a `session = Required` contract can run over HTTP with it.
//!
//! As WCF's element sits on the channels below it, this one consumes its inner binding's
//! message channels (`open_channel`, `open_listener`): the inner binding encodes, once, and
//! the reliable layer only ever sees messages. What it hands up is again a session channel
//! (`ClientChannelShape::DuplexSession`, `ServerChannelShape::DuplexSessions`): it is a
//! channel layer, with no transport-level form of its own.

use super::driver::{client, envelope::Codec, http, server};
use super::proto::messages::ANONYMOUS_ADDRESS;
use super::proto::{
    ChannelShape, ListenerConfig, ReliableMessagingVersion, ReliableSessionSettings, SessionConfig,
    SessionTimeouts,
};
use crate::binding::{Binding, Sessionful, SessionfulBinding, Timeouts};
use crate::channel::{ClientChannelShape, ServerChannelShape};
use crate::encoding::MessageEncoder;
use crate::error::Error;
use crate::transport::{ClientTransport, ServerTransport, TransportError};
use futures::future::BoxFuture;
use std::sync::Arc;

/// A binding with a reliable session on top: `NetTcpBinding::new().with_reliable_session()`
/// or `WsHttpBinding::new().with_reliable_session()`.
///
/// Messages of one session are delivered exactly once and in order (unless unordered is
/// chosen) over lossy links, and a client whose connection drops reconnects and carries on.
/// The settings are WCF's, with WCF's defaults: see [`ReliableSessionSettings`].
///
/// With a reliable session, a `session = Required` contract runs over HTTP:
///
/// ```
/// use indigo::{ReliableMessagingVersion, ReliableSessionSettings};
/// use indigo::{ServiceHost, WsHttpBinding};
/// use std::time::Duration;
///
/// #[indigo::service_contract(session = Required)]
/// pub trait Counter {
///     #[operation(initiating)]
///     async fn bump(&mut self) -> u32;
///     #[operation(initiating = false, terminating)]
///     async fn finish(&mut self) -> u32;
/// }
///
/// #[derive(Default)]
/// struct Count(u32);
///
/// impl Counter for Count {
///     async fn bump(&mut self) -> u32 {
///         self.0 += 1;
///         self.0
///     }
///     async fn finish(&mut self) -> u32 {
///         self.0
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut settings = ReliableSessionSettings::default();
/// settings
///     .set_max_transfer_window_size(32)?
///     .set_inactivity_timeout(Duration::from_secs(120))?;
/// let binding = WsHttpBinding::new()
///     .with_reliable_session()
///     .with_settings(settings)
///     .with_version(ReliableMessagingVersion::WsReliableMessaging11);
///
/// let host = ServiceHost::builder(CounterContract::per_session(Count::default))
///     .endpoint(binding.clone(), "http://127.0.0.1:0/counter")
///     .open()
///     .await?;
/// let client = CounterClient::connect(&binding, &host.addresses()[0]).await?;
/// let (session, first) = client.bump().await?; // the session starts
/// assert_eq!(first, 1);
/// assert_eq!(session.bump().await?, 2);
/// assert_eq!(session.finish().await?, 2); // and ends
/// host.close().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Reliable<B> {
    inner: B,
    settings: ReliableSessionSettings,
    max_sessions: usize,
}

impl<B: Binding> Reliable<B> {
    /// `inner` with a reliable session using WCF's defaults (WS-RM 1.0, window 8, ordered).
    pub fn new(inner: B) -> Self {
        Reliable {
            inner,
            settings: ReliableSessionSettings::default(),
            max_sessions: super::proto::listener::DEFAULT_MAX_SESSIONS,
        }
    }

    /// Replaces the reliable-session settings.
    pub fn with_settings(mut self, settings: ReliableSessionSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Sets the WS-ReliableMessaging version (default: WS-RM 1.0, February 2005, as WCF).
    pub fn with_version(mut self, version: ReliableMessagingVersion) -> Self {
        self.settings.set_reliable_messaging_version(version);
        self
    }

    /// Caps the reliable sessions a service endpoint keeps at once (default 1,024); past it
    /// CreateSequence is refused as when MaxPendingChannels is reached.
    pub fn with_max_sessions(mut self, sessions: usize) -> Self {
        self.max_sessions = sessions.max(1);
        self
    }

    /// The reliable-session settings.
    pub fn settings(&self) -> &ReliableSessionSettings {
        &self.settings
    }

    /// The binding underneath.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    fn session_config(&self) -> SessionConfig {
        let timeouts = self.inner.timeouts();
        SessionConfig {
            settings: self.settings.clone(),
            timeouts: session_timeouts(&timeouts),
            acks_to: ANONYMOUS_ADDRESS.to_owned(),
            request_acks: true,
        }
    }

    /// WCF allows one reliable session per binding. The inner binding's channels no longer
    /// show it (a reliable session's channel is a session channel like a connection's), so
    /// the binding says so itself.
    fn refuse_nested(&self, address: &str) -> Option<Error> {
        self.inner.has_reliable_session().then(|| {
            Error::from(TransportError::InvalidAddress(
                address.to_owned(),
                "a reliable session cannot run over another reliable session".to_owned(),
            ))
        })
    }

    fn codec(&self) -> Codec {
        // Metadata only: the WS-RM messages are written in the inner binding's message
        // version and their bodies read under its quotas. Its channels do the encoding.
        let encoder = self.inner.encoder();
        Codec::new(
            self.settings.reliable_messaging_version(),
            encoder.message_version(),
            encoder.reader_quotas(),
        )
    }
}

fn session_timeouts(timeouts: &Timeouts) -> SessionTimeouts {
    SessionTimeouts {
        open: timeouts.open,
        close: timeouts.close,
        send: timeouts.send,
    }
}

impl<B: Binding> Binding for Reliable<B> {
    type Session = Sessionful;

    fn name(&self) -> &'static str {
        self.inner.name()
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
        crate::metadata::BindingDescription {
            reliable: Some(self.settings.clone()),
            ..self.inner.describe()
        }
    }

    /// A reliable session is a channel layer with no transport of its own: what it offers is
    /// [`open_channel`](Binding::open_channel), over its inner binding's channels.
    fn connect(&self, address: &str) -> BoxFuture<'static, Result<ClientTransport, Error>> {
        Box::pin(no_transport(address.to_owned()))
    }

    /// As [`connect`](Self::connect): see [`open_listener`](Binding::open_listener).
    fn listen(&self, address: &str) -> BoxFuture<'static, Result<ServerTransport, Error>> {
        Box::pin(no_transport(address.to_owned()))
    }

    fn open_channel(&self, address: &str) -> BoxFuture<'static, Result<ClientChannelShape, Error>> {
        if let Some(refused) = self.refuse_nested(address) {
            return Box::pin(async move { Err(refused) });
        }
        let (inner, target) = (self.inner.clone(), address.to_owned());
        // A reconnection is a new inner channel, and so a new framing session: a session
        // encoding (NetTcp's binary one) starts new string tables with it.
        let opener: client::Opener = Arc::new(move || inner.open_channel(&target));
        let (codec, config, address) = (self.codec(), self.session_config(), address.to_owned());
        Box::pin(async move {
            let channel = client::open(opener, codec, config, address).await?;
            Ok(ClientChannelShape::DuplexSession(channel))
        })
    }

    fn open_listener(
        &self,
        address: &str,
        streamed: bool,
    ) -> BoxFuture<'static, Result<ServerChannelShape, Error>> {
        if let Some(refused) = self.refuse_nested(address) {
            return Box::pin(async move { Err(refused) });
        }
        let target = address.to_owned();
        if streamed {
            return Box::pin(async move {
                Err(Error::from(TransportError::InvalidAddress(
                    target,
                    "a reliable session cannot run over streamed transfer".to_owned(),
                )))
            });
        }
        let listening = self.inner.open_listener(address, false);
        let codec = self.codec();
        let mut config = ListenerConfig::new(ChannelShape::Duplex);
        config.session = self.session_config();
        config.address = address.to_owned();
        config.max_sessions = self.max_sessions;
        Box::pin(async move {
            let listener = match listening.await? {
                ServerChannelShape::DuplexSessions(listener) => {
                    server::serve_connections(listener, config, codec)
                }
                ServerChannelShape::Requests(listener) => {
                    // Over HTTP every response acknowledges, so WCF piggy-backs no AckRequested.
                    config.session.request_acks = false;
                    http::serve_requests(listener, config, codec)
                }
                ServerChannelShape::Streamed(_) => {
                    return Err(Error::from(TransportError::InvalidAddress(
                        target,
                        "a reliable session cannot run over streamed transfer".to_owned(),
                    )))
                }
            };
            Ok(ServerChannelShape::DuplexSessions(Box::new(listener)))
        })
    }
}

async fn no_transport<T>(address: String) -> Result<T, Error> {
    Err(Error::Configuration(format!(
        "a reliable session has no transport of its own ({address}): open its channels"
    )))
}

impl<B: Binding> SessionfulBinding for Reliable<B> {}
impl<B: crate::binding::DuplexBinding> crate::binding::DuplexBinding for Reliable<B> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::MemoryBinding;

    #[tokio::test]
    async fn a_reliable_session_over_another_is_refused() {
        let nested = Reliable::new(Reliable::new(MemoryBinding::new()));
        let address = "memory://reliable-over-reliable";
        for error in [
            nested.open_listener(address, false).await.err(),
            nested.open_channel(address).await.err(),
        ] {
            let error = error.expect("refused").to_string();
            assert!(error.contains("another reliable session"), "{error}");
        }
    }
}
