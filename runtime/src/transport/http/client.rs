//! The client half: one pooled hyper client per channel, a POST per message.

use super::{content_type, HttpOptions};
use crate::message::EnvelopeVersion;
use crate::transport::{RequestTransport, TransportError};
use bytes::Bytes;
use futures::future::BoxFuture;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

/// Sends messages as HTTP POSTs to one address.
#[derive(Debug, Clone)]
pub struct HttpClientTransport {
    client: Client<HttpConnector, Full<Bytes>>,
    uri: http::Uri,
    options: HttpOptions,
}

impl HttpClientTransport {
    /// A transport posting to `address`.
    pub fn new(address: &str, options: HttpOptions) -> Result<Self, TransportError> {
        super::split_address(address)?;
        let uri = address.parse().map_err(|_| {
            TransportError::InvalidAddress(address.to_owned(), "not a URI".to_owned())
        })?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(HttpClientTransport {
            client,
            uri,
            options,
        })
    }
}

fn io_error(e: impl std::fmt::Display) -> TransportError {
    TransportError::Io(e.to_string())
}

impl RequestTransport for HttpClientTransport {
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
            let request = request.body(Full::new(frame)).map_err(io_error)?;
            let response = self.client.request(request).await.map_err(|e| {
                if e.is_connect() {
                    TransportError::EndpointNotFound(self.uri.to_string())
                } else {
                    io_error(e)
                }
            })?;
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
