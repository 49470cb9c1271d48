//! SOAP over HTTP with hyper: SOAP 1.2 (`application/soap+xml; action="..."`) and SOAP 1.1
//! (`text/xml` with `SOAPAction`). A request's reply is its response: 200 with the reply, 500
//! with a fault, 202 Accepted for one-way operations. HTTP has no session of its own.
//!
//! HTTPS is rustls under hyper (the server accepts TLS itself; the client uses hyper-rustls),
//! with client certificates where asked for, and HTTP Basic authentication (WCF's
//! `HttpClientCredentialType.Basic`) checked by the service's validator: 401 with
//! `WWW-Authenticate: Basic` when it fails.

mod client;
mod server;

pub use client::HttpClientTransport;
pub use server::HttpListener;

use super::TransportError;
use crate::message::EnvelopeVersion;
use crate::security::{UserNameCredential, UserNameValidator};
use std::sync::Arc;
use std::time::Duration;

/// The security one side of an HTTP binding runs with, made from its `HttpSecurity`.
#[derive(Clone, Default)]
pub(crate) struct HttpSecured {
    /// Service: HTTPS with this configuration.
    pub(crate) server_tls: Option<Arc<rustls::ServerConfig>>,
    /// Client: HTTPS with this configuration, and the name the service's certificate must
    /// carry when it is not the address's host.
    pub(crate) client_tls: Option<(
        Arc<rustls::ClientConfig>,
        Option<rustls::pki_types::ServerName<'static>>,
    )>,
    /// Client: the user name and password sent as HTTP Basic.
    pub(crate) basic: Option<UserNameCredential>,
    /// Service: how HTTP Basic credentials are checked; every request must carry valid ones.
    pub(crate) basic_validator: Option<UserNameValidator>,
    /// Service: how long a client may take to complete its TLS handshake.
    pub(crate) handshake_timeout: Duration,
    /// Client: the user name every message carries in a WS-Security header.
    pub(crate) message_credential: Option<UserNameCredential>,
    /// Service: how the WS-Security user names are checked; every message must carry one.
    pub(crate) message_validator: Option<UserNameValidator>,
}

impl HttpSecured {
    fn is_tls(&self) -> bool {
        self.server_tls.is_some() || self.client_tls.is_some()
    }
}

impl std::fmt::Debug for HttpSecured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSecured")
            .field("tls", &self.is_tls())
            .field("basic", &self.basic)
            .field("basic_validator", &self.basic_validator.is_some())
            .finish()
    }
}

/// Settings of the HTTP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOptions {
    /// The envelope version, which decides the content type and where the action travels.
    pub envelope: EnvelopeVersion,
    /// Largest request (service) or response (client) body accepted. Default 65,536 bytes.
    pub max_received_message_size: usize,
    /// Service: how long a connection may take to send a request's headers, the first or
    /// the next on a kept-alive connection.
    pub request_header_timeout: Duration,
    /// Service: most connections open at once; more wait in the backlog.
    pub max_connections: usize,
}

/// The `Content-Type` of a request carrying `action`.
fn content_type(envelope: EnvelopeVersion, action: Option<&str>) -> String {
    match (envelope, action) {
        (EnvelopeVersion::Soap12, Some(action)) if !action.is_empty() => {
            format!("application/soap+xml; charset=utf-8; action=\"{action}\"")
        }
        (EnvelopeVersion::Soap12, _) => "application/soap+xml; charset=utf-8".to_owned(),
        (EnvelopeVersion::Soap11, _) => "text/xml; charset=utf-8".to_owned(),
    }
}

/// Splits `http://host:port/path` (`https://` with TLS) into the socket address part and the
/// path.
fn split_address(address: &str, tls: bool) -> Result<(String, u16, String), TransportError> {
    let invalid = |why: &str| TransportError::InvalidAddress(address.to_owned(), why.to_owned());
    let uri: http::Uri = address.parse().map_err(|_| invalid("not a URI"))?;
    match (uri.scheme_str(), tls) {
        (Some("http"), false) | (Some("https"), true) => {}
        (Some("https"), false) => {
            return Err(invalid(
                "an https address needs transport security (HttpSecurity::transport)",
            ))
        }
        (Some("http"), true) => {
            return Err(invalid(
                "a binding with transport security needs an https:// address, as in WCF",
            ))
        }
        _ => return Err(invalid("HTTP addresses start with http:// or https://")),
    }
    let host = uri.host().ok_or_else(|| invalid("no host"))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let path = match uri.path() {
        "" => "/".to_owned(),
        path => path.to_owned(),
    };
    Ok((host, port, path))
}
