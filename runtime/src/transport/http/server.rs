//! The service half: a hyper HTTP/1.1 server handing each POST to the host's handler.

use super::{split_address, HttpOptions, HttpSecured};
use crate::message::EnvelopeVersion;
use crate::security::{CallerIdentity, CertificateInfo};
use crate::transport::{
    MetadataSource, ReplyFrame, RequestHandler, RequestListener, RequestOrigin, TransportError,
};
use bytes::Bytes;
use futures::future::BoxFuture;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, warn};

/// How long in-flight requests get to finish after shutdown before connections are dropped.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);
/// The pause after a failed accept (descriptors exhausted), so the loop does not spin.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// An HTTP listener on one address and path.
#[derive(Debug)]
pub struct HttpListener {
    listener: tokio::net::TcpListener,
    address: String,
    path: Arc<str>,
    options: HttpOptions,
    security: HttpSecured,
    /// The documents GET answers with, and the address they are located under.
    metadata: Option<(Arc<dyn MetadataSource>, Arc<str>)>,
}

impl HttpListener {
    /// Binds `http://host:port/path` or, with TLS, `https://`; port 0 picks a free port.
    pub(crate) async fn bind_secured(
        address: &str,
        options: HttpOptions,
        security: HttpSecured,
    ) -> Result<Self, TransportError> {
        let tls = security.server_tls.is_some();
        let (host, port, path) = split_address(address, tls)?;
        let listener = tokio::net::TcpListener::bind((host.as_str(), port))
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AddrInUse => TransportError::AddressInUse(address.to_owned()),
                _ => TransportError::from(e),
            })?;
        let local = listener.local_addr().map_err(TransportError::from)?;
        let host = if local.is_ipv6() {
            format!("[{}]", local.ip())
        } else {
            local.ip().to_string()
        };
        let scheme = if tls { "https" } else { "http" };
        Ok(HttpListener {
            address: format!("{scheme}://{host}:{}{path}", local.port()),
            listener,
            path: path.into(),
            options,
            security,
            metadata: None,
        })
    }
}

impl RequestListener for HttpListener {
    fn local_address(&self) -> String {
        self.address.clone()
    }

    fn message_credential_validator(&self) -> Option<crate::security::UserNameValidator> {
        self.security.message_validator.clone()
    }

    fn publish_metadata(&mut self, source: Arc<dyn MetadataSource>, base: String) {
        self.metadata = Some((source, base.into()));
    }

    fn serve(
        self: Box<Self>,
        handler: Arc<dyn RequestHandler>,
        shutdown: BoxFuture<'static, ()>,
    ) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let graceful = GracefulShutdown::new();
            let mut shutdown = shutdown;
            // One permit per open connection, held by its task: with none left, nothing more is
            // accepted until a connection closes.
            let slots = Arc::new(tokio::sync::Semaphore::new(self.options.max_connections));
            loop {
                let permit = tokio::select! {
                    biased;
                    () = &mut shutdown => break,
                    permit = slots.clone().acquire_owned() => match permit {
                        Ok(permit) => permit,
                        // The semaphore is never closed.
                        Err(_) => break,
                    },
                };
                let (stream, peer) = tokio::select! {
                    biased;
                    () = &mut shutdown => break,
                    accepted = self.listener.accept() => match accepted {
                        Ok(accepted) => accepted,
                        Err(e) => {
                            warn!(error = %e, "HTTP accept failed");
                            tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
                            continue;
                        }
                    },
                };
                let _ = stream.set_nodelay(true);
                let context = RequestContext {
                    handler: handler.clone(),
                    path: self.path.clone(),
                    options: self.options,
                    peer,
                    identity: CallerIdentity::Anonymous,
                    basic_validator: self.security.basic_validator.clone(),
                    metadata: self.metadata.clone(),
                };
                let watcher = graceful.watcher();
                match &self.security.server_tls {
                    None => {
                        tokio::spawn(async move {
                            serve_connection(stream, context, watcher).await;
                            drop(permit);
                        });
                    }
                    Some(config) => {
                        let acceptor = tokio_rustls::TlsAcceptor::from(config.clone());
                        let timeout = self.security.handshake_timeout;
                        // The handshake runs in the connection's own task, bounded, so a
                        // client that never finishes it holds only its own socket, briefly.
                        tokio::spawn(async move {
                            let _permit = permit;
                            let tls = match tokio::time::timeout(timeout, acceptor.accept(stream))
                                .await
                            {
                                Ok(Ok(tls)) => tls,
                                Ok(Err(e)) => {
                                    debug!(%peer, error = %e, "TLS handshake failed");
                                    return;
                                }
                                Err(_) => {
                                    debug!(%peer, ?timeout, "no TLS handshake in time; closing");
                                    return;
                                }
                            };
                            let identity = tls
                                .get_ref()
                                .1
                                .peer_certificates()
                                .and_then(|chain| chain.first())
                                .map_or(CallerIdentity::Anonymous, |cert| {
                                    CallerIdentity::Certificate(Arc::new(
                                        CertificateInfo::from_der(cert),
                                    ))
                                });
                            serve_connection(
                                tls,
                                RequestContext {
                                    identity,
                                    ..context
                                },
                                watcher,
                            )
                            .await;
                        });
                    }
                }
            }
            drop(self.listener);
            if tokio::time::timeout(DRAIN_LIMIT, graceful.shutdown())
                .await
                .is_err()
            {
                warn!("HTTP requests still running at shutdown were dropped");
            }
        })
    }
}

/// Serves the requests of one connection, plain or TLS, until it ends or the host shuts down.
async fn serve_connection<IO>(
    io: IO,
    context: RequestContext,
    watcher: hyper_util::server::graceful::Watcher,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let peer = context.peer;
    let header_timeout = context.options.request_header_timeout;
    let context = Arc::new(context);
    let service = hyper::service::service_fn(move |request| {
        let context = context.clone();
        async move { Ok::<_, std::convert::Infallible>(context.respond(request).await) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(connection).await {
        debug!(%peer, error = %e, "HTTP connection ended with an error");
    }
}

struct RequestContext {
    handler: Arc<dyn RequestHandler>,
    path: Arc<str>,
    options: HttpOptions,
    /// The client's socket address, for the service's operation context.
    peer: std::net::SocketAddr,
    /// Who the client proved to be on this connection (its TLS certificate).
    identity: CallerIdentity,
    /// How HTTP Basic credentials are checked, when the endpoint requires them.
    basic_validator: Option<crate::security::UserNameValidator>,
    /// The metadata GET answers with (and the base address of its documents), when published.
    metadata: Option<(Arc<dyn MetadataSource>, Arc<str>)>,
}

/// The 401 answer to a request without valid HTTP Basic credentials.
fn unauthorized() -> Response<Full<Bytes>> {
    let mut response = plain(StatusCode::UNAUTHORIZED, "valid credentials are required");
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Basic realm=\"\""),
    );
    response
}

/// The user name and password of an `Authorization: Basic` header.
fn basic_credentials(request: &Request<Incoming>) -> Option<(String, String)> {
    use base64::Engine as _;
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The answer to a GET at a listener that publishes metadata: the document the query names,
/// a short guide without a query, 404 for a document that does not exist.
fn metadata_response(
    source: &dyn MetadataSource,
    base: &str,
    query: Option<&str>,
) -> Response<Full<Bytes>> {
    let query = query.unwrap_or("");
    if query.is_empty() {
        return plain(
            StatusCode::OK,
            &format!(
                "This is an Indigo service. Its metadata: {base}?wsdl (or {base}?singleWsdl, \
                 everything in one document)."
            ),
        );
    }
    match source.document(base, query) {
        Some(document) => {
            let mut response = Response::new(Full::new(Bytes::from(document)));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/xml; charset=UTF-8"),
            );
            response
        }
        None => plain(
            StatusCode::NOT_FOUND,
            &format!("no metadata document answers ?{query}"),
        ),
    }
}

/// The 413 answer to a request over `max` bytes.
fn too_large(max: usize) -> Response<Full<Bytes>> {
    plain(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the message exceeds the maximum of {max} bytes (MaxReceivedMessageSize)"),
    )
}

/// The body length a request's `Content-Length` declares, if it declares one that parses.
/// An unparsable one is left to hyper, which refuses it before the request gets here.
fn declared_length(request: &Request<Incoming>) -> Option<u64> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The `action="..."` parameter of a SOAP 1.2 content type.
fn action_parameter(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("action")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

impl RequestContext {
    async fn respond(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        if request.uri().path() != &*self.path {
            return plain(StatusCode::NOT_FOUND, "no endpoint at this path");
        }
        if request.method() == Method::GET {
            if let Some((source, base)) = &self.metadata {
                return metadata_response(&**source, base, request.uri().query());
            }
        }
        if request.method() != Method::POST {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "SOAP messages are POSTed");
        }
        let mut identity = self.identity.clone();
        if let Some(validator) = &self.basic_validator {
            let Some((user, password)) = basic_credentials(&request) else {
                debug!(peer = %self.peer, "a request without HTTP Basic credentials; 401");
                return unauthorized();
            };
            if let Err(why) = validator(&user, &password) {
                warn!(peer = %self.peer, %user, %why, "HTTP Basic credentials refused; 401");
                return unauthorized();
            }
            identity = CallerIdentity::UserName(user);
        }
        let max = self.options.max_received_message_size;
        if let Some(declared) = declared_length(&request) {
            if declared > u64::try_from(max).unwrap_or(u64::MAX) {
                // Answered from the headers alone: waiting for (or reading) a body that is
                // known to be too large only helps a client tie the connection up.
                warn!(
                    peer = %self.peer,
                    content_length = declared,
                    max_received_message_size = max,
                    "request larger than MaxReceivedMessageSize; answering 413 before its body"
                );
                return too_large(max);
            }
        }
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let (expected, action) = match self.options.envelope {
            EnvelopeVersion::Soap12 => ("application/soap+xml", action_parameter(&content_type)),
            EnvelopeVersion::Soap11 => (
                "text/xml",
                request
                    .headers()
                    .get("SOAPAction")
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.trim().trim_matches('"').to_owned()),
            ),
        };
        if media_type != expected {
            debug!(%content_type, "unsupported content type");
            return plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!("this endpoint expects {expected}"),
            );
        }
        let body = match Limited::new(request.into_body(), max).collect().await {
            Ok(body) => body.to_bytes(),
            Err(e)
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some() =>
            {
                warn!(
                    peer = %self.peer,
                    max_received_message_size = max,
                    "request body larger than MaxReceivedMessageSize; answering 413"
                );
                return too_large(max);
            }
            Err(e) => {
                debug!(error = %e, "could not read the request body");
                return plain(StatusCode::BAD_REQUEST, "unreadable request body");
            }
        };
        let (status, body) = match self
            .handler
            .handle_from(
                body,
                action,
                RequestOrigin {
                    remote_address: Some(self.peer),
                    identity,
                },
            )
            .await
        {
            ReplyFrame::Reply(body) => (StatusCode::OK, body),
            ReplyFrame::Fault(body) => (StatusCode::INTERNAL_SERVER_ERROR, body),
            ReplyFrame::Accepted => (StatusCode::ACCEPTED, Bytes::new()),
        };
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = status;
        if status != StatusCode::ACCEPTED {
            if let Ok(value) =
                header::HeaderValue::from_str(&super::content_type(self.options.envelope, None))
            {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::action_parameter;

    #[test]
    fn reads_the_action_parameter() {
        assert_eq!(
            action_parameter(r#"application/soap+xml; charset=utf-8; action="urn:a""#).as_deref(),
            Some("urn:a")
        );
        assert_eq!(
            action_parameter("application/soap+xml;Action=urn:b").as_deref(),
            Some("urn:b")
        );
        assert_eq!(
            action_parameter("application/soap+xml; charset=utf-8"),
            None
        );
    }
}
