//! Transport binding elements: the bottom layer of a binding, which decides how bytes travel
//! and whether channels are sessions.

use super::{SessionCapability, Sessionful, Sessionless, Timeouts};
use crate::encoding::MessageEncoder;
use crate::transport::http::{HttpClientTransport, HttpListener, HttpOptions, HttpSecured};
use crate::transport::{memory, tcp, ClientTransport, ServerTransport, TransportError};
use futures::future::BoxFuture;
use std::fmt::Debug;
use std::sync::Arc;

/// WCF's default `MaxReceivedMessageSize` (and `MaxBufferSize`).
pub const DEFAULT_MAX_RECEIVED_MESSAGE_SIZE: usize = 65_536;

/// The transport layer of a binding.
pub trait TransportBindingElement: Clone + Debug + Send + Sync + 'static {
    /// Whether channels over this transport are sessions.
    type Session: SessionCapability;
    /// The URI scheme of its addresses.
    fn scheme(&self) -> &'static str;
    /// The transport security a WSDL policy states for it.
    #[doc(hidden)]
    fn security_policy(&self) -> crate::metadata::TransportSecurityPolicy {
        crate::metadata::TransportSecurityPolicy::None
    }
    /// Opens a client channel's transport.
    #[doc(hidden)]
    fn connect(
        &self,
        address: &str,
        encoder: &Arc<dyn MessageEncoder>,
        timeouts: &Timeouts,
    ) -> BoxFuture<'static, Result<ClientTransport, TransportError>>;
    /// Starts listening.
    #[doc(hidden)]
    fn listen(
        &self,
        address: &str,
        encoder: &Arc<dyn MessageEncoder>,
        timeouts: &Timeouts,
    ) -> BoxFuture<'static, Result<ServerTransport, TransportError>>;
    /// Starts listening for streamed exchanges; `None` when the transport has no streamed
    /// transfer.
    #[doc(hidden)]
    fn listen_streamed(
        &self,
        address: &str,
        encoder: &Arc<dyn MessageEncoder>,
        timeouts: &Timeouts,
    ) -> Option<BoxFuture<'static, Result<ServerTransport, TransportError>>> {
        let _ = (address, encoder, timeouts);
        None
    }
}

/// In-process transport, sessionful: one connection is one session.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryTransport;

/// In-process transport without sessions: every message stands alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryDatagramTransport;

macro_rules! memory_transport {
    ($ty:ty, $session:ty) => {
        impl TransportBindingElement for $ty {
            type Session = $session;

            fn scheme(&self) -> &'static str {
                "memory"
            }

            fn connect(
                &self,
                address: &str,
                _encoder: &Arc<dyn MessageEncoder>,
                _timeouts: &Timeouts,
            ) -> BoxFuture<'static, Result<ClientTransport, TransportError>> {
                let address = address.to_owned();
                Box::pin(
                    async move { Ok(ClientTransport::Duplex(memory::connect(&address).await?)) },
                )
            }

            fn listen(
                &self,
                address: &str,
                _encoder: &Arc<dyn MessageEncoder>,
                _timeouts: &Timeouts,
            ) -> BoxFuture<'static, Result<ServerTransport, TransportError>> {
                let listener = memory::listen(address);
                Box::pin(async move { Ok(ServerTransport::Duplex(Box::new(listener?))) })
            }
        }
    };
}

memory_transport!(MemoryTransport, Sessionful);
memory_transport!(MemoryDatagramTransport, Sessionless);

/// net.tcp: .NET Message Framing over TCP, duplex session mode. One connection is one session.
/// The preamble announces the encoder's session form when it has one (binary: msbinsession1,
/// `0x08`), else its media type (msbin1 `0x07`, SOAP 1.2 text `0x03`, SOAP 1.1 text `0x00`).
///
/// The settings are WCF's `TcpTransportBindingElement` ones, with WCF's defaults; each has a
/// setter here and on [`NetTcpBinding`](super::NetTcpBinding).
#[derive(Debug, Clone)]
pub struct TcpTransport {
    /// Largest message accepted (WCF's `MaxReceivedMessageSize`, and `MaxBufferSize`, equal to
    /// it in buffered mode). A larger one is refused with the `MaxMessageSizeExceededFault`
    /// framing fault before any of it is buffered. Default 65,536 bytes; anything up to
    /// 2^31 − 1 (the largest size net.tcp framing can declare) works.
    pub max_received_message_size: usize,
    /// How long a new connection may take to complete its preamble before the listener closes
    /// it without a fault (WCF's `ChannelInitializationTimeout`). Default 30 s. The binding's
    /// open timeout bounds it too (WCF bounds the rest of the channel's opening by it), and a
    /// client's connect and preamble take at most the shorter of the two.
    pub channel_initialization_timeout: std::time::Duration,
    /// Most connections a listener holds that the host has not taken yet: still in their
    /// preamble, or handshaken and queued (WCF's `MaxPendingConnections`). When all are
    /// taken, a new connection takes the place of the oldest one that has not sent a framing
    /// record (else the oldest one still in its preamble), which is closed, so idle sockets
    /// cannot lock well-behaved clients out; only when every one has finished its preamble
    /// does the listener stop accepting until the host takes one. Default 12 per processor
    /// (WCF's default since .NET 4.5).
    pub max_pending_connections: usize,
    /// How many accepts a listener keeps outstanding on its socket (WCF's
    /// `MaxPendingAccepts`). Default 2 per processor (WCF's default since .NET 4.5).
    pub max_pending_accepts: usize,
    /// Transport security and its credentials (WCF's `NetTcpSecurity`, and the service's and
    /// client's certificates). Default [`SecurityMode::None`](crate::security::SecurityMode).
    pub security: crate::security::TcpSecurity,
}

impl Default for TcpTransport {
    fn default() -> Self {
        TcpTransport {
            max_received_message_size: DEFAULT_MAX_RECEIVED_MESSAGE_SIZE,
            channel_initialization_timeout: tcp::DEFAULT_PREAMBLE_TIMEOUT,
            max_pending_connections: tcp::default_max_pending_connections(),
            max_pending_accepts: tcp::default_max_pending_accepts(),
            security: crate::security::TcpSecurity::default(),
        }
    }
}

impl TcpTransport {
    /// Sets [`max_received_message_size`](Self::max_received_message_size).
    pub fn with_max_received_message_size(mut self, bytes: usize) -> Self {
        self.max_received_message_size = bytes;
        self
    }

    /// Sets [`channel_initialization_timeout`](Self::channel_initialization_timeout).
    pub fn with_channel_initialization_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.channel_initialization_timeout = timeout;
        self
    }

    /// Sets [`max_pending_connections`](Self::max_pending_connections).
    pub fn with_max_pending_connections(mut self, connections: usize) -> Self {
        self.max_pending_connections = connections;
        self
    }

    /// Sets [`max_pending_accepts`](Self::max_pending_accepts).
    pub fn with_max_pending_accepts(mut self, accepts: usize) -> Self {
        self.max_pending_accepts = accepts;
        self
    }

    /// Sets [`security`](Self::security).
    pub fn with_security(mut self, security: crate::security::TcpSecurity) -> Self {
        self.security = security;
        self
    }

    /// The stream upgrade a client of `address` asks for, if the security mode wants one.
    fn client_upgrade(&self, address: &str) -> Result<Option<tcp::StreamUpgrade>, TransportError> {
        use crate::security::TcpClientCredentialType;
        if !self.secured()? {
            return Ok(None);
        }
        let host = tcp::host_of(address).ok_or_else(|| {
            TransportError::InvalidAddress(address.to_owned(), "no host".to_owned())
        })?;
        let security = &self.security;
        let present_certificate = match security.client_credential_type {
            TcpClientCredentialType::Windows => {
                let credential = security.windows_credential.clone().ok_or_else(|| {
                    TransportError::Security(
                        crate::security::SecurityError::NoWindowsCredential.to_string(),
                    )
                })?;
                // WCF's default SPN for a net.tcp address is host/<the address's host>.
                let name = security
                    .credentials
                    .dns_identity
                    .as_deref()
                    .unwrap_or(&host);
                return Ok(Some(tcp::StreamUpgrade::NegotiateClient {
                    credential,
                    target: format!("host/{name}"),
                    level: security.protection_level,
                }));
            }
            TcpClientCredentialType::None => false,
            TcpClientCredentialType::Certificate => true,
        };
        let (config, server_name) =
            crate::security::tls::client_config(&security.credentials, present_certificate, &host)
                .map_err(|e| TransportError::Security(e.to_string()))?;
        Ok(Some(tcp::StreamUpgrade::TlsClient {
            config,
            server_name,
        }))
    }

    /// The stream upgrade a listener requires, if the security mode wants one.
    fn server_upgrade(&self) -> Result<Option<tcp::StreamUpgrade>, TransportError> {
        use crate::security::TcpClientCredentialType;
        if !self.secured()? {
            return Ok(None);
        }
        let security = &self.security;
        let ask_client_certificate = match security.client_credential_type {
            TcpClientCredentialType::Windows => {
                return Ok(Some(tcp::StreamUpgrade::NegotiateServer {
                    accounts: security.windows_accounts.clone(),
                    level: security.protection_level,
                }));
            }
            TcpClientCredentialType::None => false,
            TcpClientCredentialType::Certificate => true,
        };
        let config =
            crate::security::tls::server_config(&security.credentials, ask_client_certificate)
                .map_err(|e| TransportError::Security(e.to_string()))?;
        Ok(Some(tcp::StreamUpgrade::TlsServer { config }))
    }

    /// Whether the security mode secures the transport; message credentials are refused.
    fn secured(&self) -> Result<bool, TransportError> {
        match self.security.mode {
            crate::security::SecurityMode::None => Ok(false),
            crate::security::SecurityMode::Transport => Ok(true),
            crate::security::SecurityMode::TransportWithMessageCredential => {
                Err(TransportError::Security(
                    "TransportWithMessageCredential is available on the HTTP bindings only"
                        .to_owned(),
                ))
            }
        }
    }

    fn options(
        &self,
        address: &str,
        encoder: &dyn MessageEncoder,
        timeouts: &Timeouts,
    ) -> Result<tcp::TcpOptions, TransportError> {
        // A session encoding (NetTcp's binary default) is announced as such: WCF's buffered
        // net.tcp always uses the encoder's session form.
        let media_type = encoder.session_media_type();
        let encoding = tcp::KnownEncoding::for_media_type(media_type).ok_or_else(|| {
            TransportError::InvalidAddress(
                address.to_owned(),
                format!("net.tcp has no KnownEncoding for {media_type}"),
            )
        })?;
        Ok(self.tcp_options(encoding, timeouts))
    }

    /// The settings of a streamed (singleton mode) endpoint: the encoder's sessionless media
    /// type (msbin1, `0x07`), as WCF's streamed net.tcp never uses a session encoding.
    pub(crate) fn streamed_options(
        &self,
        address: &str,
        encoder: &dyn MessageEncoder,
        timeouts: &Timeouts,
    ) -> Result<tcp::TcpOptions, TransportError> {
        if self.security.mode != crate::security::SecurityMode::None {
            // Never plaintext when security was asked for.
            return Err(TransportError::Security(
                "transport security over streamed net.tcp is not available yet".to_owned(),
            ));
        }
        let media_type = encoder.media_type();
        let encoding = tcp::KnownEncoding::for_media_type(media_type).ok_or_else(|| {
            TransportError::InvalidAddress(
                address.to_owned(),
                format!("net.tcp has no KnownEncoding for {media_type}"),
            )
        })?;
        Ok(self.tcp_options(encoding, timeouts))
    }

    fn tcp_options(&self, encoding: tcp::KnownEncoding, timeouts: &Timeouts) -> tcp::TcpOptions {
        tcp::TcpOptions {
            max_received_message_size: self.max_received_message_size,
            encoding,
            // WCF keeps ChannelInitializationTimeout apart from OpenTimeout; the shorter of the
            // two bounds a handshake here.
            preamble_timeout: timeouts.open.min(self.channel_initialization_timeout),
            close_timeout: timeouts.close,
            max_pending_connections: self.max_pending_connections,
            max_pending_accepts: self.max_pending_accepts,
            upgrade: None,
        }
    }
}

impl TransportBindingElement for TcpTransport {
    type Session = Sessionful;

    fn scheme(&self) -> &'static str {
        "net.tcp"
    }

    fn security_policy(&self) -> crate::metadata::TransportSecurityPolicy {
        use crate::metadata::TransportSecurityPolicy as Policy;
        use crate::security::{ProtectionLevel, SecurityMode, TcpClientCredentialType};
        if self.security.mode == SecurityMode::None {
            return Policy::None;
        }
        match self.security.client_credential_type {
            TcpClientCredentialType::Windows => Policy::TcpWindows {
                protection_level: match self.security.protection_level {
                    ProtectionLevel::None => "None",
                    ProtectionLevel::Sign => "Sign",
                    ProtectionLevel::EncryptAndSign => "EncryptAndSign",
                },
            },
            TcpClientCredentialType::Certificate => Policy::TcpTls {
                client_certificate: true,
            },
            TcpClientCredentialType::None => Policy::TcpTls {
                client_certificate: false,
            },
        }
    }

    fn connect(
        &self,
        address: &str,
        encoder: &Arc<dyn MessageEncoder>,
        timeouts: &Timeouts,
    ) -> BoxFuture<'static, Result<ClientTransport, TransportError>> {
        let options = self
            .options(address, &**encoder, timeouts)
            .and_then(|mut options| {
                options.upgrade = self.client_upgrade(address)?;
                Ok(options)
            });
        let address = address.to_owned();
        Box::pin(async move {
            Ok(ClientTransport::Duplex(
                tcp::connect(&address, &options?).await?,
            ))
        })
    }

    fn listen(
        &self,
        address: &str,
        encoder: &Arc<dyn MessageEncoder>,
        timeouts: &Timeouts,
    ) -> BoxFuture<'static, Result<ServerTransport, TransportError>> {
        let options = self
            .options(address, &**encoder, timeouts)
            .and_then(|mut options| {
                options.upgrade = self.server_upgrade()?;
                Ok(options)
            });
        let address = address.to_owned();
        Box::pin(async move {
            let listener = tcp::listen(&address, options?).await?;
            Ok(ServerTransport::Duplex(Box::new(listener)))
        })
    }

    fn listen_streamed(
        &self,
        address: &str,
        encoder: &Arc<dyn MessageEncoder>,
        timeouts: &Timeouts,
    ) -> Option<BoxFuture<'static, Result<ServerTransport, TransportError>>> {
        let options = self.streamed_options(address, &**encoder, timeouts);
        let address = address.to_owned();
        Some(Box::pin(async move {
            let listener = tcp::listen_streamed(&address, options?).await?;
            Ok(ServerTransport::Streamed(listener))
        }))
    }
}

/// SOAP over HTTP. Sessionless: every request stands alone. With transport security, HTTPS.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    /// Largest request (service) or response (client) accepted. Default 65,536 bytes.
    pub max_received_message_size: usize,
    /// Transport security and its credentials (WCF's `BasicHttpSecurity` /
    /// `WSHttpSecurity`). Default [`SecurityMode::None`](crate::security::SecurityMode): plain
    /// `http://`.
    pub security: crate::security::HttpSecurity,
    /// Service: how long a connection may take to send a request's headers, the first or the
    /// next on a kept-alive connection, before it is closed (HTTP.sys's `HeaderWait` plays
    /// this role for WCF). Default 30 s.
    pub request_header_timeout: std::time::Duration,
    /// Service: how long an HTTPS client may take to complete its TLS handshake before the
    /// connection is closed. Default 30 s.
    pub tls_handshake_timeout: std::time::Duration,
    /// Service: most connections open at once. When they are all open, the next connection
    /// waits in the socket's backlog until one closes (a silent one does within the header
    /// timeout), so a flood of connections costs the host a bounded number of tasks and
    /// buffers. Default [`DEFAULT_MAX_HTTP_CONNECTIONS`].
    pub max_connections: usize,
}

/// The default of [`HttpTransport::max_connections`]: 10,000 (IIS's and HTTP.sys's order of
/// magnitude for one site; raise it for more concurrent keep-alive clients).
pub const DEFAULT_MAX_HTTP_CONNECTIONS: usize = 10_000;

impl Default for HttpTransport {
    fn default() -> Self {
        HttpTransport {
            max_received_message_size: DEFAULT_MAX_RECEIVED_MESSAGE_SIZE,
            security: crate::security::HttpSecurity::default(),
            request_header_timeout: std::time::Duration::from_secs(30),
            tls_handshake_timeout: std::time::Duration::from_secs(30),
            max_connections: DEFAULT_MAX_HTTP_CONNECTIONS,
        }
    }
}

impl HttpTransport {
    /// Sets [`security`](Self::security).
    pub fn with_security(mut self, security: crate::security::HttpSecurity) -> Self {
        self.security = security;
        self
    }

    /// Sets [`request_header_timeout`](Self::request_header_timeout).
    pub fn with_request_header_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.request_header_timeout = timeout;
        self
    }

    /// Sets [`tls_handshake_timeout`](Self::tls_handshake_timeout).
    pub fn with_tls_handshake_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.tls_handshake_timeout = timeout;
        self
    }

    /// Sets [`max_connections`](Self::max_connections) (at least 1).
    pub fn with_max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    fn secured(&self) -> bool {
        self.security.mode != crate::security::SecurityMode::None
    }

    /// What a client runs with: TLS, and the user name it sends for HTTP Basic.
    fn client_security(&self, address: &str) -> Result<HttpSecured, TransportError> {
        use crate::security::HttpClientCredentialType;
        let security = &self.security;
        let basic = security.client_credential_type == HttpClientCredentialType::Basic;
        if basic && !self.secured() {
            return Err(TransportError::Security(
                "HTTP Basic credentials travel only over HTTPS (SecurityMode::Transport)"
                    .to_owned(),
            ));
        }
        let basic = match basic {
            true => Some(security.user_name.clone().ok_or_else(|| {
                TransportError::Security(
                    "HttpClientCredentialType::Basic needs a user name and password \
                     (HttpSecurity::with_user_name)"
                        .to_owned(),
                )
            })?),
            false => None,
        };
        let client_tls = if self.secured() {
            let present = security.client_credential_type == HttpClientCredentialType::Certificate;
            let host = address
                .parse::<http::Uri>()
                .ok()
                .and_then(|uri| uri.host().map(|h| h.trim_matches(['[', ']']).to_owned()))
                .ok_or_else(|| {
                    TransportError::InvalidAddress(address.to_owned(), "no host".to_owned())
                })?;
            let (config, name) =
                crate::security::tls::client_config(&security.credentials, present, &host)
                    .map_err(|e| TransportError::Security(e.to_string()))?;
            let name = security.credentials.dns_identity.is_some().then_some(name);
            Some((config, name))
        } else {
            None
        };
        let message_credential = match security.mode {
            crate::security::SecurityMode::TransportWithMessageCredential => {
                Some(security.user_name.clone().ok_or_else(|| {
                    TransportError::Security(
                        "TransportWithMessageCredential needs a user name and password \
                         (HttpSecurity::with_user_name)"
                            .to_owned(),
                    )
                })?)
            }
            _ => None,
        };
        Ok(HttpSecured {
            client_tls,
            basic,
            message_credential,
            ..HttpSecured::default()
        })
    }

    /// What a listener runs with: TLS, and the validator of HTTP Basic credentials.
    fn server_security(&self) -> Result<HttpSecured, TransportError> {
        use crate::security::HttpClientCredentialType;
        let security = &self.security;
        if !self.secured() {
            if security.client_credential_type != HttpClientCredentialType::None {
                return Err(TransportError::Security(
                    "client credentials over HTTP need transport security (https)".to_owned(),
                ));
            }
            return Ok(HttpSecured::default());
        }
        let ask = security.client_credential_type == HttpClientCredentialType::Certificate;
        let config = crate::security::tls::server_config(&security.credentials, ask)
            .map_err(|e| TransportError::Security(e.to_string()))?;
        let basic_validator = match security.client_credential_type {
            HttpClientCredentialType::Basic => {
                Some(security.user_name_validator.clone().ok_or_else(|| {
                    TransportError::Security(
                        "HttpClientCredentialType::Basic needs a validator on the service \
                         (HttpSecurity::with_user_name_validator)"
                            .to_owned(),
                    )
                })?)
            }
            _ => None,
        };
        let message_validator = match security.mode {
            crate::security::SecurityMode::TransportWithMessageCredential => {
                Some(security.user_name_validator.clone().ok_or_else(|| {
                    TransportError::Security(
                        "TransportWithMessageCredential needs a validator on the service \
                         (HttpSecurity::with_user_name_validator)"
                            .to_owned(),
                    )
                })?)
            }
            _ => None,
        };
        Ok(HttpSecured {
            server_tls: Some(config),
            basic_validator,
            handshake_timeout: self.tls_handshake_timeout,
            message_validator,
            ..HttpSecured::default()
        })
    }

    /// The HTTP transport writes text content types, so it takes text encoders only.
    fn options(
        &self,
        address: &str,
        encoder: &dyn MessageEncoder,
    ) -> Result<HttpOptions, TransportError> {
        let media_type = encoder.media_type();
        if !matches!(media_type, "text/xml" | "application/soap+xml") {
            return Err(TransportError::InvalidAddress(
                address.to_owned(),
                format!("the HTTP transport carries text encodings only, not {media_type}"),
            ));
        }
        Ok(HttpOptions {
            envelope: encoder.message_version().envelope,
            max_received_message_size: self.max_received_message_size,
            request_header_timeout: self.request_header_timeout,
            max_connections: self.max_connections,
        })
    }
}

impl TransportBindingElement for HttpTransport {
    type Session = Sessionless;

    fn scheme(&self) -> &'static str {
        if self.secured() {
            "https"
        } else {
            "http"
        }
    }

    fn security_policy(&self) -> crate::metadata::TransportSecurityPolicy {
        use crate::metadata::TransportSecurityPolicy as Policy;
        use crate::security::{HttpClientCredentialType, SecurityMode};
        if !self.secured() {
            return Policy::None;
        }
        if self.security.mode == SecurityMode::TransportWithMessageCredential {
            return Policy::HttpsWithUserName;
        }
        match self.security.client_credential_type {
            HttpClientCredentialType::Basic => Policy::HttpBasic,
            HttpClientCredentialType::Certificate => Policy::Https {
                client_certificate: true,
            },
            HttpClientCredentialType::None => Policy::Https {
                client_certificate: false,
            },
        }
    }

    fn connect(
        &self,
        address: &str,
        encoder: &Arc<dyn MessageEncoder>,
        _timeouts: &Timeouts,
    ) -> BoxFuture<'static, Result<ClientTransport, TransportError>> {
        let transport = self.options(address, &**encoder).and_then(|options| {
            HttpClientTransport::secured(address, options, self.client_security(address)?)
        });
        Box::pin(async move { Ok(ClientTransport::RequestReply(Box::new(transport?))) })
    }

    fn listen(
        &self,
        address: &str,
        encoder: &Arc<dyn MessageEncoder>,
        _timeouts: &Timeouts,
    ) -> BoxFuture<'static, Result<ServerTransport, TransportError>> {
        let options = self.options(address, &**encoder);
        let security = self.server_security();
        let address = address.to_owned();
        Box::pin(async move {
            Ok(ServerTransport::RequestReply(Box::new(
                HttpListener::bind_secured(&address, options?, security?).await?,
            )))
        })
    }
}
