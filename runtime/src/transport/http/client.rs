//! The client half: one pooled hyper client per channel, a POST per message.

use super::{content_type, HttpOptions, HttpSecured};
use crate::message::EnvelopeVersion;
use crate::transport::{RequestTransport, TransportError};
use bytes::Bytes;
use futures::future::BoxFuture;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

/// A pooled hyper client, over plain TCP or TLS.
#[derive(Debug, Clone)]
enum Pool {
    Plain(Client<HttpConnector, Full<Bytes>>),
    Tls(Client<HttpsConnector<HttpConnector>, Full<Bytes>>),
}

/// Sends messages as HTTP POSTs to one address.
#[derive(Debug, Clone)]
pub struct HttpClientTransport {
    pool: Pool,
    uri: http::Uri,
    options: HttpOptions,
    /// The `Authorization` header of HTTP Basic, when the binding sends credentials.
    authorization: Option<http::HeaderValue>,
    /// The user name every message carries (`TransportWithMessageCredential`).
    message_credential: Option<crate::security::UserNameCredential>,
}

impl HttpClientTransport {
    /// A transport posting to `address` with the binding's security.
    pub(crate) fn secured(
        address: &str,
        options: HttpOptions,
        security: HttpSecured,
    ) -> Result<Self, TransportError> {
        super::split_address(address, security.client_tls.is_some())?;
        let uri = address.parse().map_err(|_| {
            TransportError::InvalidAddress(address.to_owned(), "not a URI".to_owned())
        })?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let pool = match security.client_tls {
            None => Pool::Plain(Client::builder(TokioExecutor::new()).build(connector)),
            Some((config, dns_identity)) => {
                // The connector must see https:// URIs, which it hands to TLS.
                connector.enforce_http(false);
                let builder = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config((*config).clone())
                    .https_only();
                let builder = match dns_identity {
                    Some(name) => builder.with_server_name_resolver(
                        hyper_rustls::FixedServerNameResolver::new(name),
                    ),
                    None => builder,
                };
                let connector = builder.enable_http1().wrap_connector(connector);
                Pool::Tls(Client::builder(TokioExecutor::new()).build(connector))
            }
        };
        let authorization = match security.basic {
            Some(credential) => {
                use base64::Engine as _;
                let token = base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", credential.user_name, credential.password));
                Some(
                    http::HeaderValue::from_str(&format!("Basic {token}")).map_err(|_| {
                        TransportError::Security(
                            "the user name or password cannot travel in an HTTP header".to_owned(),
                        )
                    })?,
                )
            }
            None => None,
        };
        Ok(HttpClientTransport {
            pool,
            uri,
            options,
            authorization,
            message_credential: security.message_credential,
        })
    }
}

fn io_error(e: impl std::fmt::Display) -> TransportError {
    TransportError::Io(e.to_string())
}

/// A failed request: nothing listening, a TLS handshake that failed (with rustls's reason,
/// kept inside hyper's error, sometimes in an `io::Error` inside another), or another I/O error.
fn connect_error(error: &hyper_util::client::legacy::Error, uri: &http::Uri) -> TransportError {
    if let Some(tls) = tls_cause(error) {
        return TransportError::Security(format!("TLS handshake with the service: {tls}"));
    }
    if error.is_connect() {
        TransportError::EndpointNotFound(uri.to_string())
    } else {
        io_error(error)
    }
}

/// The rustls error behind `error`, if any. An `io::Error`'s own `source` skips the error it
/// wraps, so those are opened with `get_ref`.
fn tls_cause<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    let mut next: Option<&'e (dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = next {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                let inner: &'e (dyn std::error::Error + 'static) = inner;
                if let Some(tls) = tls_cause(inner) {
                    return Some(tls);
                }
            }
        }
        next = cause.source();
    }
    None
}

impl RequestTransport for HttpClientTransport {
    fn message_credential(&self) -> Option<&crate::security::UserNameCredential> {
        self.message_credential.as_ref()
    }

    fn request<'a>(
        &'a self,
        frame: Bytes,
        action: &'a str,
    ) -> BoxFuture<'a, Result<Option<Bytes>, TransportError>> {
        Box::pin(async move {
            let mut request = Request::post(self.uri.clone()).header(
                http::header::CONTENT_TYPE,
                content_type(self.options.envelope, Some(action)),
            );
            if self.options.envelope == EnvelopeVersion::Soap11 {
                request = request.header("SOAPAction", format!("\"{action}\""));
            }
            if let Some(authorization) = &self.authorization {
                request = request.header(http::header::AUTHORIZATION, authorization.clone());
            }
            let request = request.body(Full::new(frame)).map_err(io_error)?;
            let sent = match &self.pool {
                Pool::Plain(client) => client.request(request).await,
                Pool::Tls(client) => client.request(request).await,
            };
            let response = sent.map_err(|e| connect_error(&e, &self.uri))?;
            let status = response.status();
            let max = self.options.max_received_message_size;
            let body = Limited::new(response.into_body(), max)
                .collect()
                .await
                .map_err(|e| match e.downcast::<http_body_util::LengthLimitError>() {
                    Ok(_) => TransportError::FrameTooLarge { size: max + 1, max },
                    Err(e) => io_error(e),
                })?
                .to_bytes();
            match status {
                StatusCode::ACCEPTED => Ok(None),
                StatusCode::OK | StatusCode::INTERNAL_SERVER_ERROR if !body.is_empty() => {
                    Ok(Some(body))
                }
                StatusCode::OK => Ok(None),
                StatusCode::NOT_FOUND => {
                    Err(TransportError::EndpointNotFound(self.uri.to_string()))
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(TransportError::Security(
                    format!("the service refused the client's credentials (HTTP {status})"),
                )),
                StatusCode::PAYLOAD_TOO_LARGE => Err(TransportError::Io(
                    "the service refused the message as larger than its \
                     MaxReceivedMessageSize (HTTP 413)"
                        .to_owned(),
                )),
                other => Err(TransportError::Io(format!(
                    "the service answered HTTP {other}"
                ))),
            }
        })
    }
}
