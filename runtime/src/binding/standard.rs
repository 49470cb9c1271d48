//! The bindings users pick: a custom composition of encoder and transport, and the standard
//! WCF bindings as fixed compositions with WCF's defaults.

use super::transport::{
    HttpTransport, MemoryDatagramTransport, MemoryTransport, TcpTransport, TransportBindingElement,
};
use super::{
    Binding, DatagramBinding, DuplexBinding, MessageEncoding, SessionfulBinding, Timeouts,
};
use crate::encoding::binary::BinaryMessageEncoder;
use crate::encoding::{MessageEncoder, TextMessageEncoder};
use crate::error::Error;
use crate::message::{MessageVersion, ReaderQuotas};
use crate::reliable::Reliable;
use crate::stream::StreamedBinding;
use crate::transport::tcp::TcpOptions;
use crate::transport::{ClientTransport, ServerTransport};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

/// An encoder over a transport, as WCF's `CustomBinding(TextMessageEncodingBindingElement or
/// BinaryMessageEncodingBindingElement, TransportBindingElement)`. Its session capability is
/// its transport's.
#[derive(Debug, Clone)]
pub struct CustomBinding<T> {
    encoder: MessageEncoding,
    transport: T,
    timeouts: Timeouts,
}

impl<T: TransportBindingElement> CustomBinding<T> {
    /// Composes `encoder` (a [`TextMessageEncoder`] or a [`BinaryMessageEncoder`]) over
    /// `transport`, with WCF's default timeouts.
    pub fn new(encoder: impl Into<MessageEncoding>, transport: T) -> Self {
        CustomBinding {
            encoder: encoder.into(),
            transport,
            timeouts: Timeouts::default(),
        }
    }

    /// The encoding element.
    pub fn encoding(&self) -> &MessageEncoding {
        &self.encoder
    }

    /// The transport element.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport element, to change its settings.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }
}

impl CustomBinding<TcpTransport> {
    /// Sets the largest message accepted (WCF's `MaxReceivedMessageSize`, default 65,536
    /// bytes) on the transport, and lets a binary encoder's expansion bound grow with it (see
    /// [`MessageEncoding::for_max_received_message_size`]).
    pub fn with_max_received_message_size(mut self, bytes: usize) -> Self {
        self.transport.max_received_message_size = bytes;
        self.encoder = self.encoder.clone().for_max_received_message_size(bytes);
        self
    }
    /// SOAP 1.2 + WS-Addressing 1.0 text over net.tcp: what WCF builds from
    /// `CustomBinding(TextMessageEncodingBindingElement(Soap12WSAddressing10), TcpTransportBindingElement)`.
    pub fn tcp_text() -> Self {
        Self::new(
            TextMessageEncoder::new(MessageVersion::SOAP12_WSA10),
            TcpTransport::default(),
        )
    }

    /// SOAP 1.2 + WS-Addressing 1.0 as .NET Binary XML over net.tcp, with a string table per
    /// connection (msbinsession1, KnownEncoding 0x08): what WCF builds from
    /// `CustomBinding(BinaryMessageEncodingBindingElement, TcpTransportBindingElement)`, and
    /// the encoding of [`NetTcpBinding`].
    pub fn tcp_binary() -> Self {
        Self::new(
            BinaryMessageEncoder::new(MessageVersion::SOAP12_WSA10),
            TcpTransport::default(),
        )
    }
}

impl CustomBinding<HttpTransport> {
    /// Sets the largest message accepted (WCF's `MaxReceivedMessageSize`, default 65,536
    /// bytes) on the transport, and lets a binary encoder's expansion bound grow with it (see
    /// [`MessageEncoding::for_max_received_message_size`]).
    pub fn with_max_received_message_size(mut self, bytes: usize) -> Self {
        self.transport.max_received_message_size = bytes;
        self.encoder = self.encoder.clone().for_max_received_message_size(bytes);
        self
    }
    /// SOAP 1.2 + WS-Addressing 1.0 text over HTTP.
    pub fn http_soap12() -> Self {
        Self::new(
            TextMessageEncoder::new(MessageVersion::SOAP12_WSA10),
            HttpTransport::default(),
        )
    }
}

/// Setters shared by every binding, on the type that holds the `CustomBinding`.
macro_rules! binding_settings {
    () => {
        /// Sets all four timeouts.
        pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
            self.timeouts = timeouts;
            self
        }

        /// Sets the open timeout (default one minute).
        pub fn with_open_timeout(mut self, timeout: Duration) -> Self {
            self.timeouts.open = timeout;
            self
        }

        /// Sets the close timeout (default one minute).
        pub fn with_close_timeout(mut self, timeout: Duration) -> Self {
            self.timeouts.close = timeout;
            self
        }

        /// Sets the send timeout (default one minute).
        pub fn with_send_timeout(mut self, timeout: Duration) -> Self {
            self.timeouts.send = timeout;
            self
        }

        /// Sets the receive timeout: how long a service session may idle (default ten minutes).
        pub fn with_receive_timeout(mut self, timeout: Duration) -> Self {
            self.timeouts.receive = timeout;
            self
        }

        /// Sets the reader quotas (WCF's defaults: depth 32, string content 8,192, array
        /// length 16,384, name table 16,384).
        pub fn with_reader_quotas(mut self, quotas: ReaderQuotas) -> Self {
            self.encoder = self.encoder.clone().with_reader_quotas(quotas);
            self
        }
    };
}

impl<T: TransportBindingElement> CustomBinding<T> {
    binding_settings!();

    /// Adds a reliable session with WCF's defaults (WCF's `ReliableSessionBindingElement`).
    pub fn with_reliable_session(self) -> Reliable<Self> {
        Reliable::new(self)
    }
}

impl<T: TransportBindingElement> Binding for CustomBinding<T> {
    type Session = T::Session;

    fn name(&self) -> &'static str {
        "CustomBinding"
    }

    fn encoder(&self) -> Arc<dyn MessageEncoder> {
        self.encoder.encoder()
    }

    fn describe(&self) -> crate::metadata::BindingDescription {
        crate::metadata::BindingDescription {
            scheme: self.transport.scheme(),
            security: self.transport.security_policy(),
            ..crate::metadata::BindingDescription::from_encoder(self.name(), &*self.encoder())
        }
    }

    fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    fn connect(&self, address: &str) -> BoxFuture<'static, Result<ClientTransport, Error>> {
        let connecting = self
            .transport
            .connect(address, &self.encoder(), &self.timeouts);
        Box::pin(async move { Ok(connecting.await?) })
    }

    fn listen(&self, address: &str) -> BoxFuture<'static, Result<ServerTransport, Error>> {
        let listening = self
            .transport
            .listen(address, &self.encoder(), &self.timeouts);
        Box::pin(async move { Ok(listening.await?) })
    }

    fn listen_streamed(&self, address: &str) -> BoxFuture<'static, Result<ServerTransport, Error>> {
        let encoder = self.encoder();
        let listening = crate::stream::check_encoder(&*encoder).map(|()| {
            self.transport
                .listen_streamed(address, &encoder, &self.timeouts)
        });
        let address = address.to_owned();
        Box::pin(async move {
            match listening? {
                Some(listening) => Ok(listening.await?),
                None => Err(Error::Configuration(format!(
                    "this transport has no streamed transfer ({address})"
                ))),
            }
        })
    }
}

impl SessionfulBinding for CustomBinding<TcpTransport> {}

/// Streamed calls use the transport's settings with the sessionless form of the encoder.
impl StreamedBinding for CustomBinding<TcpTransport> {
    fn streamed_options(&self, address: &str) -> Result<TcpOptions, Error> {
        Ok(self
            .transport
            .streamed_options(address, &*self.encoder(), &self.timeouts)?)
    }
}

impl StreamedBinding for NetTcpBinding {
    fn streamed_options(&self, address: &str) -> Result<TcpOptions, Error> {
        self.inner.streamed_options(address)
    }
}
impl SessionfulBinding for CustomBinding<MemoryTransport> {}
impl DatagramBinding for CustomBinding<HttpTransport> {}
impl DatagramBinding for CustomBinding<MemoryDatagramTransport> {}

/// The `CustomBinding` setters, forwarded by a standard binding to the composition inside it.
macro_rules! delegated_settings {
    ($($setter:ident($arg:ident: $ty:ty)),* $(,)?) => {
        $(
            #[doc = concat!("See [`CustomBinding::", stringify!($setter), "`].")]
            pub fn $setter(mut self, $arg: $ty) -> Self {
                self.inner = self.inner.$setter($arg);
                self
            }
        )*
    };
}

/// A standard binding: a fixed composition with its own name, so errors and logs say which.
macro_rules! standard_binding {
    (
        $(#[$doc:meta])*
        $name:ident, $transport:ty, $encoder:expr
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            inner: CustomBinding<$transport>,
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    inner: CustomBinding::new($encoder, <$transport>::default()),
                }
            }
        }

        impl $name {
            /// The binding with WCF's defaults.
            pub fn new() -> Self {
                Self::default()
            }

            delegated_settings!(
                with_timeouts(timeouts: Timeouts),
                with_open_timeout(timeout: Duration),
                with_close_timeout(timeout: Duration),
                with_send_timeout(timeout: Duration),
                with_receive_timeout(timeout: Duration),
                with_reader_quotas(quotas: ReaderQuotas),
            );
        }

        impl Binding for $name {
            type Session = <$transport as TransportBindingElement>::Session;

            fn name(&self) -> &'static str {
                stringify!($name)
            }

            fn encoder(&self) -> Arc<dyn MessageEncoder> {
                self.inner.encoder()
            }

            fn describe(&self) -> crate::metadata::BindingDescription {
                crate::metadata::BindingDescription {
                    name: crate::metadata::wcf_binding_name(stringify!($name)),
                    ..self.inner.describe()
                }
            }

            fn timeouts(&self) -> Timeouts {
                self.inner.timeouts
            }

            fn connect(&self, address: &str) -> BoxFuture<'static, Result<ClientTransport, Error>> {
                self.inner.connect(address)
            }

            fn listen(&self, address: &str) -> BoxFuture<'static, Result<ServerTransport, Error>> {
                self.inner.listen(address)
            }

            fn listen_streamed(
                &self,
                address: &str,
            ) -> BoxFuture<'static, Result<ServerTransport, Error>> {
                self.inner.listen_streamed(address)
            }
        }
    };
}

/// Sets the largest message the transport accepts.
macro_rules! max_message_size_setter {
    ($name:ident) => {
        impl $name {
            /// Sets the largest message accepted (WCF's `MaxReceivedMessageSize`, default
            /// 65,536 bytes). A larger one is refused with the transport's fault. Any value
            /// works: no other fixed cap stands in the way (a binary encoder's expansion bound
            /// grows with it, see [`MessageEncoding::for_max_received_message_size`]).
            pub fn with_max_received_message_size(mut self, bytes: usize) -> Self {
                self.inner.transport.max_received_message_size = bytes;
                self.inner.encoder = self
                    .inner
                    .encoder
                    .clone()
                    .for_max_received_message_size(bytes);
                self
            }
        }
    };
}

standard_binding!(
    /// net.tcp with SOAP 1.2 + WS-Addressing 1.0, sessionful: WCF's `NetTcpBinding` with
    /// `SecurityMode.None`. Messages are .NET Binary XML with a string table per connection
    /// (msbinsession1, KnownEncoding 0x08, 2,048 bytes of table each way), as in WCF; for
    /// text over net.tcp use [`CustomBinding::tcp_text`].
    ///
    /// Addresses are `net.tcp://host[:port]/path` (port 808 by default). A service asking for
    /// port 0 gets a free one, which [`ServiceHost::addresses`](crate::ServiceHost::addresses)
    /// reports:
    ///
    /// ```
    /// use indigo::{NetTcpBinding, ServiceHost};
    /// use std::time::Duration;
    ///
    /// #[indigo::service_contract]
    /// pub trait Greeter {
    ///     #[operation]
    ///     async fn greet(&self, name: String) -> String;
    /// }
    ///
    /// struct English;
    ///
    /// impl Greeter for English {
    ///     async fn greet(&self, name: String) -> String {
    ///         format!("hello, {name}")
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), indigo::Error> {
    /// let binding = NetTcpBinding::new().with_send_timeout(Duration::from_secs(10));
    /// let host = ServiceHost::builder(GreeterContract::single(English))
    ///     .endpoint(binding.clone(), "net.tcp://127.0.0.1:0/greeter")
    ///     .open()
    ///     .await?;
    /// let address = host.addresses().remove(0); // net.tcp://127.0.0.1:<port>/greeter
    ///
    /// let client = GreeterClient::connect(&binding, &address).await?;
    /// assert_eq!(client.greet("net.tcp".to_owned()).await?, "hello, net.tcp");
    /// client.close().await?;
    /// host.close().await?;
    /// # Ok(())
    /// # }
    /// ```
    NetTcpBinding, TcpTransport, BinaryMessageEncoder::new(MessageVersion::SOAP12_WSA10)
);
standard_binding!(
    /// SOAP 1.2 + WS-Addressing 1.0 over HTTP, sessionless: WCF's `WSHttpBinding` with
    /// `SecurityMode.None` and no reliable session.
    ///
    /// Addresses are `http://host:port/path`; every call is a POST whose response carries the
    /// reply. Being sessionless, it carries `session = Allowed` and `session = NotAllowed`
    /// contracts; [`with_reliable_session`](Self::with_reliable_session) makes it sessionful.
    ///
    /// ```
    /// use indigo::{ServiceHost, WsHttpBinding};
    ///
    /// #[indigo::service_contract(session = NotAllowed)]
    /// pub trait Clock {
    ///     #[operation]
    ///     async fn year(&self) -> u32;
    /// }
    ///
    /// struct Fixed;
    ///
    /// impl Clock for Fixed {
    ///     async fn year(&self) -> u32 {
    ///         2026
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), indigo::Error> {
    /// let host = ServiceHost::builder(ClockContract::single(Fixed))
    ///     .endpoint(WsHttpBinding::new(), "http://127.0.0.1:0/clock")
    ///     .open()
    ///     .await?;
    /// let client = ClockClient::connect(&WsHttpBinding::new(), &host.addresses()[0]).await?;
    /// assert_eq!(client.year().await?, 2026);
    /// host.close().await?;
    /// # Ok(())
    /// # }
    /// ```
    WsHttpBinding, HttpTransport, TextMessageEncoder::new(MessageVersion::SOAP12_WSA10)
);
standard_binding!(
    /// SOAP 1.1 over HTTP without WS-Addressing, sessionless: WCF's `BasicHttpBinding`.
    /// The action travels in the `SOAPAction` header. Used like [`WsHttpBinding`]:
    ///
    /// ```
    /// use indigo::BasicHttpBinding;
    /// use indigo::message::ReaderQuotas;
    ///
    /// let quotas = ReaderQuotas {
    ///     max_string_content_length: 1 << 20,
    ///     ..ReaderQuotas::default()
    /// };
    /// let binding = BasicHttpBinding::new()
    ///     .with_max_received_message_size(4 << 20)
    ///     .with_reader_quotas(quotas);
    /// # let _ = binding;
    /// ```
    BasicHttpBinding, HttpTransport, TextMessageEncoder::new(MessageVersion::SOAP11)
);
standard_binding!(
    /// The in-process binding: sessionful, SOAP 1.2 + WS-Addressing 1.0 text, addresses
    /// `memory://name`. For tests and examples; messages are still encoded to bytes. The
    /// [crate documentation](crate) opens with an example over it.
    MemoryBinding, MemoryTransport, TextMessageEncoder::new(MessageVersion::SOAP12_WSA10)
);
standard_binding!(
    /// The in-process binding without sessions: every message stands alone, as over HTTP.
    MemoryDatagramBinding, MemoryDatagramTransport, TextMessageEncoder::new(MessageVersion::SOAP12_WSA10)
);

impl SessionfulBinding for NetTcpBinding {}
impl SessionfulBinding for MemoryBinding {}
impl DuplexBinding for NetTcpBinding {}
impl DuplexBinding for MemoryBinding {}
impl DuplexBinding for CustomBinding<TcpTransport> {}
impl DuplexBinding for CustomBinding<MemoryTransport> {}
impl DatagramBinding for WsHttpBinding {}
impl DatagramBinding for BasicHttpBinding {}
impl DatagramBinding for MemoryDatagramBinding {}

max_message_size_setter!(NetTcpBinding);
max_message_size_setter!(WsHttpBinding);
max_message_size_setter!(BasicHttpBinding);

/// `with_security` on an HTTP binding.
macro_rules! http_security_setter {
    ($name:ident) => {
        impl $name {
            /// Sets the transport security and its credentials: with
            /// [`SecurityMode::Transport`](crate::security::SecurityMode), HTTPS (`https://`
            /// addresses), as WCF's `BasicHttpsBinding` or `BasicHttpSecurityMode.Transport`,
            /// with the client credential type's certificate or HTTP Basic user name. See
            /// [`HttpSecurity`](crate::security::HttpSecurity).
            pub fn with_security(mut self, security: crate::security::HttpSecurity) -> Self {
                self.inner.transport.security = security;
                self
            }

            /// Sets how long a connection may take to send a request's headers (default
            /// 30 s). See [`HttpTransport::request_header_timeout`].
            pub fn with_request_header_timeout(mut self, timeout: Duration) -> Self {
                self.inner.transport.request_header_timeout = timeout;
                self
            }

            /// Sets how long an HTTPS client may take to complete its TLS handshake (default
            /// 30 s). See [`HttpTransport::tls_handshake_timeout`].
            pub fn with_tls_handshake_timeout(mut self, timeout: Duration) -> Self {
                self.inner.transport.tls_handshake_timeout = timeout;
                self
            }

            /// Sets the most connections a service keeps open at once (default 10,000). See
            /// [`HttpTransport::max_connections`].
            pub fn with_max_connections(mut self, connections: usize) -> Self {
                self.inner.transport = self.inner.transport.with_max_connections(connections);
                self
            }
        }
    };
}
http_security_setter!(WsHttpBinding);
http_security_setter!(BasicHttpBinding);

impl NetTcpBinding {
    /// Sets how long a new connection may take to complete its preamble before the service
    /// closes it (WCF's `ChannelInitializationTimeout`, default 30 s). See
    /// [`TcpTransport::channel_initialization_timeout`].
    pub fn with_channel_initialization_timeout(mut self, timeout: Duration) -> Self {
        self.inner.transport.channel_initialization_timeout = timeout;
        self
    }

    /// Sets how many connections the service holds before the host takes them (WCF's
    /// `MaxPendingConnections`, default 12 per processor), and so how many silent sockets it
    /// keeps before shedding the oldest. See [`TcpTransport::max_pending_connections`].
    pub fn with_max_pending_connections(mut self, connections: usize) -> Self {
        self.inner.transport.max_pending_connections = connections;
        self
    }

    /// Sets how many accepts the service keeps outstanding (WCF's `MaxPendingAccepts`,
    /// default 2 per processor). See [`TcpTransport::max_pending_accepts`].
    pub fn with_max_pending_accepts(mut self, accepts: usize) -> Self {
        self.inner.transport.max_pending_accepts = accepts;
        self
    }

    /// Sets the transport security and its credentials (WCF's `NetTcpBinding.Security`, with
    /// the service's and the client's certificates). See [`TcpSecurity`](crate::security::TcpSecurity).
    ///
    /// ```
    /// use indigo::security::{Certificate, CertificateValidation, TcpClientCredentialType, TcpSecurity};
    /// use indigo::NetTcpBinding;
    /// # let generated = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let (chain_pem, key_pem) = (generated.cert.pem(), generated.key_pair.serialize_pem());
    ///
    /// // WCF: new NetTcpBinding(SecurityMode.Transport) with
    /// // Security.Transport.ClientCredentialType = TcpClientCredentialType.None.
    /// let service_side = NetTcpBinding::new().with_security(
    ///     TcpSecurity::transport(TcpClientCredentialType::None)
    ///         .with_service_certificate(Certificate::from_pem(&chain_pem, &key_pem)?),
    /// );
    /// let client_side = NetTcpBinding::new().with_security(
    ///     TcpSecurity::transport(TcpClientCredentialType::None)
    ///         .with_service_certificate_validation(CertificateValidation::ChainTrustIn(
    ///             indigo::security::certificates_from_pem(&chain_pem)?,
    ///         )),
    /// );
    /// # let _ = (service_side, client_side);
    /// # Ok::<(), indigo::security::CertificateError>(())
    /// ```
    pub fn with_security(mut self, security: crate::security::TcpSecurity) -> Self {
        self.inner.transport.security = security;
        self
    }

    /// The transport settings, with their current values.
    pub fn transport(&self) -> &TcpTransport {
        &self.inner.transport
    }
}

/// `with_reliable_session` on the standard bindings WCF offers it on.
macro_rules! reliable_session_option {
    ($($name:ident),*) => {
        $(
            impl $name {
                /// Adds a reliable session with WCF's defaults: WCF's
                #[doc = concat!("`", stringify!($name), ".ReliableSession.Enabled = true`.")]
                /// The result is sessionful, whatever the transport.
                pub fn with_reliable_session(self) -> Reliable<Self> {
                    Reliable::new(self)
                }
            }
        )*
    };
}

reliable_session_option!(
    NetTcpBinding,
    WsHttpBinding,
    MemoryBinding,
    MemoryDatagramBinding
);
