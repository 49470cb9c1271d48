//! SOAP over HTTP with hyper: SOAP 1.2 (`application/soap+xml; action="..."`) and SOAP 1.1
//! (`text/xml` with `SOAPAction`). A request's reply is its response: 200 with the reply, 500
//! with a fault, 202 Accepted for one-way operations. HTTP has no session of its own.

mod client;
mod server;

pub use client::HttpClientTransport;
pub use server::HttpListener;

use super::TransportError;
use crate::message::EnvelopeVersion;

/// Settings of the HTTP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOptions {
    /// The envelope version, which decides the content type and where the action travels.
    pub envelope: EnvelopeVersion,
    /// Largest request (service) or response (client) body accepted. Default 65,536 bytes.
    pub max_received_message_size: usize,
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

/// Splits `http://host:port/path` into the socket address part and the path.
fn split_address(address: &str) -> Result<(String, u16, String), TransportError> {
    let invalid = |why: &str| TransportError::InvalidAddress(address.to_owned(), why.to_owned());
    let uri: http::Uri = address.parse().map_err(|_| invalid("not a URI"))?;
    if uri.scheme_str() != Some("http") {
        return Err(invalid("HTTP addresses start with http://"));
    }
    let host = uri.host().ok_or_else(|| invalid("no host"))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let path = match uri.path() {
        "" => "/".to_owned(),
        path => path.to_owned(),
    };
    Ok((host, port, path))
}
