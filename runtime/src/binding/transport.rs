//! Transport binding elements: the bottom layer of a binding, which decides how bytes travel
//! and whether channels are sessions.

use super::{SessionCapability, Sessionful, Sessionless, Timeouts};
use crate::encoding::MessageEncoder;
use crate::transport::http::{HttpClientTransport, HttpListener, HttpOptions};
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
    /// Opens a client channel's transport.
    fn connect(
        &self,
        address: &str,
        encoder: &Arc<dyn MessageEncoder>,
        timeouts: &Timeouts,
    ) -> BoxFuture<'static, Result<ClientTransport, TransportError>>;
    /// Starts listening.
    fn listen(
        &self,
        address: &str,
        encoder: &Arc<dyn MessageEncoder>,
        timeouts: &Timeouts,
    ) -> BoxFuture<'static, Result<ServerTransport, TransportError>>;
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
#[derive(Debug, Clone, Copy)]
pub struct TcpTransport {
    /// Largest message accepted (a framing fault answers a larger one). Default 65,536 bytes.
    pub max_received_message_size: usize,
}

impl Default for TcpTransport {
    fn default() -> Self {
        TcpTransport {
            max_received_message_size: DEFAULT_MAX_RECEIVED_MESSAGE_SIZE,
        }
    }
}

impl TcpTransport {
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
            // WCF keeps ChannelInitializationTimeout (30 s) apart from OpenTimeout; the shorter
            // of the two bounds a handshake here.
            preamble_timeout: timeouts.open.min(tcp::DEFAULT_PREAMBLE_TIMEOUT),
            close_timeout: timeouts.close,
        }
    }
}

impl TransportBindingElement for TcpTransport {
    type Session = Sessionful;

    fn scheme(&self) -> &'static str {
        "net.tcp"
    }

    fn connect(
        &self,
        address: &str,
        encoder: &Arc<dyn MessageEncoder>,
        timeouts: &Timeouts,
    ) -> BoxFuture<'static, Result<ClientTransport, TransportError>> {
        let options = self.options(address, &**encoder, timeouts);
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
        let options = self.options(address, &**encoder, timeouts);
        let address = address.to_owned();
        Box::pin(async move {
            let listener = tcp::listen(&address, options?).await?;
            Ok(ServerTransport::Duplex(Box::new(listener)))
        })
    }
}

/// SOAP over HTTP. Sessionless: every request stands alone.
#[derive(Debug, Clone, Copy)]
pub struct HttpTransport {
    /// Largest request (service) or response (client) accepted. Default 65,536 bytes.
    pub max_received_message_size: usize,
}

impl Default for HttpTransport {
    fn default() -> Self {
        HttpTransport {
            max_received_message_size: DEFAULT_MAX_RECEIVED_MESSAGE_SIZE,
        }
    }
}

impl HttpTransport {
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
        })
    }
}

impl TransportBindingElement for HttpTransport {
    type Session = Sessionless;

    fn scheme(&self) -> &'static str {
        "http"
    }

    fn connect(
        &self,
        address: &str,
        encoder: &Arc<dyn MessageEncoder>,
        _timeouts: &Timeouts,
    ) -> BoxFuture<'static, Result<ClientTransport, TransportError>> {
        let transport = self
            .options(address, &**encoder)
            .and_then(|options| HttpClientTransport::new(address, options));
        Box::pin(async move { Ok(ClientTransport::RequestReply(Box::new(transport?))) })
    }

    fn listen(
        &self,
        address: &str,
        encoder: &Arc<dyn MessageEncoder>,
        _timeouts: &Timeouts,
    ) -> BoxFuture<'static, Result<ServerTransport, TransportError>> {
        let options = self.options(address, &**encoder);
        let address = address.to_owned();
        Box::pin(async move {
            Ok(ServerTransport::RequestReply(Box::new(
                HttpListener::bind(&address, options?).await?,
            )))
        })
    }
}
