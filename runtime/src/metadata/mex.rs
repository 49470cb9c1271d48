//! WS-MetadataExchange: the service's documents answered to a WS-Transfer `Get` (and to
//! WS-MEX's `GetMetadata`), over WCF's `mexHttpBinding` (SOAP 1.2 with WS-Addressing 1.0,
//! text, over HTTP) and `mexTcpBinding` (the same over net.tcp), and the client side that
//! asks a MEX endpoint for a service's documents.
//!
//! The answer is one `wsx:Metadata` with a `wsx:MetadataSection` per document, every WSDL
//! and schema inline, as WCF's `MetadataExchangeClient` expects it.

use super::document::Element;
use super::ServiceModel;
use crate::binding::{Binding, CustomBinding, TcpTransport};
use crate::channel::{
    ChannelListener, ClientChannelShape, RequestMessageHandler, ServerChannelShape,
};
use crate::encoding::TextMessageEncoder;
use crate::error::Error;
use crate::message::{Body, Message, MessageFault, MessageVersion, XmlFragment};
use futures::future::BoxFuture;
use std::sync::Arc;
use tracing::{debug, warn};

const WSX: &str = "http://schemas.xmlsoap.org/ws/2004/09/mex";
/// WS-Transfer's `Get`, which WCF's clients send.
pub(crate) const TRANSFER_GET: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";
const TRANSFER_GET_RESPONSE: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse";
const GET_METADATA: &str = "http://schemas.xmlsoap.org/ws/2004/09/mex/GetMetadata/Request";
const GET_METADATA_RESPONSE: &str =
    "http://schemas.xmlsoap.org/ws/2004/09/mex/GetMetadata/Response";
const WSDL_DIALECT: &str = "http://schemas.xmlsoap.org/wsdl/";
const XSD_DIALECT: &str = "http://www.w3.org/2001/XMLSchema";

/// The binding of a MEX endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MexBinding {
    /// WCF's `mexHttpBinding`: SOAP 1.2, WS-Addressing 1.0, text, HTTP.
    Http,
    /// WCF's `mexTcpBinding`: SOAP 1.2, WS-Addressing 1.0, text, net.tcp.
    Tcp,
}

impl MexBinding {
    /// The binding a MEX `address` is reached with, from its scheme.
    pub fn for_address(address: &str) -> Option<Self> {
        if address.starts_with("net.tcp://") {
            Some(MexBinding::Tcp)
        } else if address.starts_with("http://") || address.starts_with("https://") {
            Some(MexBinding::Http)
        } else {
            None
        }
    }
}

fn mex_tcp_binding() -> CustomBinding<TcpTransport> {
    CustomBinding::new(
        TextMessageEncoder::new(MessageVersion::SOAP12_WSA10),
        TcpTransport::default(),
    )
}

/// One document of a MEX answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataSection {
    /// `http://schemas.xmlsoap.org/wsdl/` or `http://www.w3.org/2001/XMLSchema`.
    pub dialect: String,
    /// The document's target namespace.
    pub identifier: String,
    /// The document, as XML text.
    pub document: String,
}

/// The `wsx:Metadata` body: every document of `model`, inline.
fn metadata_body(model: &ServiceModel) -> Element {
    let mut metadata = Element::new("wsx:Metadata").attr("xmlns:wsx", WSX);
    let section = |dialect: &str, identifier: &str, document: Element| {
        Element::new("wsx:MetadataSection")
            .attr("Dialect", dialect)
            .attr("Identifier", identifier)
            .child(document)
    };
    metadata.push(section(
        WSDL_DIALECT,
        &model.service_namespace,
        model.main_document(None),
    ));
    if let Some(contract) = model.contract_document(None) {
        metadata.push(section(WSDL_DIALECT, model.contract.namespace, contract));
    }
    for (index, namespace) in model.schemas.order.iter().enumerate() {
        if let Some(schema) = model.schema_document(index, None) {
            metadata.push(section(XSD_DIALECT, namespace, schema));
        }
    }
    metadata
}

/// The answer to a MEX request, or the fault for any other action.
fn answer(model: &ServiceModel, request: &Message) -> Message {
    let action = request.headers.action.as_deref().unwrap_or_default();
    let reply_action = match action {
        TRANSFER_GET => TRANSFER_GET_RESPONSE,
        GET_METADATA => GET_METADATA_RESPONSE,
        other => {
            debug!(action = other, "not a metadata request");
            let fault = MessageFault::action_not_supported(other);
            let mut reply = Message::new(
                request.version,
                fault.default_action().to_owned(),
                Body::Fault(fault),
            );
            reply.headers.relates_to = request.headers.message_id.clone();
            return reply;
        }
    };
    let body = XmlFragment::new(metadata_body(model).to_fragment());
    let mut reply = Message::new(
        request.version,
        reply_action.to_owned(),
        Body::Payload(body),
    );
    reply.headers.relates_to = request.headers.message_id.clone();
    reply
}

/// Answers MEX requests over HTTP.
struct MexRequests(Arc<ServiceModel>);

impl RequestMessageHandler for MexRequests {
    fn handle(
        &self,
        request: Message,
        _origin: crate::transport::RequestOrigin,
    ) -> BoxFuture<'static, Option<Message>> {
        let reply = answer(&self.0, &request);
        Box::pin(async move { Some(reply) })
    }
}

/// Opens a MEX endpoint at `address`; returns its address (the real port) and the future
/// that serves it until `shutdown`.
pub(crate) async fn serve(
    binding: MexBinding,
    address: &str,
    model: Arc<ServiceModel>,
    shutdown: BoxFuture<'static, ()>,
) -> Result<(String, BoxFuture<'static, ()>), Error> {
    let listener = match binding {
        MexBinding::Http => {
            crate::WsHttpBinding::new()
                .open_listener(address, false)
                .await?
        }
        MexBinding::Tcp => mex_tcp_binding().open_listener(address, false).await?,
    };
    match listener {
        ServerChannelShape::Requests(listener) => {
            let address = listener.local_address();
            Ok((
                address,
                listener.serve(Arc::new(MexRequests(model)), shutdown),
            ))
        }
        ServerChannelShape::DuplexSessions(listener) => {
            let address = listener.local_address();
            Ok((address, Box::pin(serve_sessions(listener, model, shutdown))))
        }
        ServerChannelShape::Streamed(_) => Err(Error::Configuration(format!(
            "a MEX endpoint cannot be streamed ({address})"
        ))),
    }
}

/// Each connection to a net.tcp MEX endpoint: requests answered in order until the client
/// closes it.
async fn serve_sessions(
    mut listener: Box<dyn ChannelListener>,
    model: Arc<ServiceModel>,
    mut shutdown: BoxFuture<'static, ()>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let mut channel = match accepted {
            Ok(channel) => channel,
            Err(e) => {
                warn!(error = %e, "the MEX listener failed");
                break;
            }
        };
        let model = model.clone();
        connections.spawn(async move {
            // Bounded by the binding's receive timeout, as any session.
            let receive_timeout = mex_tcp_binding().timeouts().receive;
            loop {
                let request =
                    match tokio::time::timeout(receive_timeout, channel.source.receive()).await {
                        Ok(Ok(Some(request))) => request,
                        Ok(Ok(None)) | Err(_) => break,
                        Ok(Err(e)) => {
                            debug!(error = %e, "a MEX connection ended");
                            break;
                        }
                    };
                let reply = answer(&model, &request);
                if channel.sink.send(reply).await.is_err() {
                    break;
                }
            }
            let _ = channel.sink.close().await;
        });
    }
    drop(listener);
    connections.abort_all();
}

/// Asks the MEX endpoint at `address` (`http(s)://` or `net.tcp://`) for a service's
/// documents, as WCF's `MetadataExchangeClient` does (WS-Transfer `Get`).
///
/// ```no_run
/// # async fn demo() -> Result<(), indigo::Error> {
/// let sections = indigo::metadata::get_metadata("net.tcp://127.0.0.1:8731/mex").await?;
/// for section in &sections {
///     println!("{} {}", section.dialect, section.identifier);
/// }
/// # Ok(())
/// # }
/// ```
pub async fn get_metadata(address: &str) -> Result<Vec<MetadataSection>, Error> {
    let binding = MexBinding::for_address(address).ok_or_else(|| {
        Error::Configuration(format!("{address} is no http, https or net.tcp address"))
    })?;
    let mut request = Message::new(
        MessageVersion::SOAP12_WSA10,
        TRANSFER_GET.to_owned(),
        Body::Payload(XmlFragment::new(String::new())),
    );
    request.headers.message_id = Some(crate::message::new_message_id());
    request.headers.to = Some(address.to_owned());
    request.headers.reply_to = Some(crate::message::ns::WSA10_ANONYMOUS.to_owned());
    let timeouts = crate::binding::Timeouts::default();
    let reply = match binding {
        MexBinding::Http => {
            let channel = crate::WsHttpBinding::new().open_channel(address).await?;
            exchange(channel, &request, timeouts).await?
        }
        MexBinding::Tcp => {
            let channel = mex_tcp_binding().open_channel(address).await?;
            exchange(channel, &request, timeouts).await?
        }
    };
    match reply.body {
        Body::Fault(fault) => Err(Error::Fault(Box::new(fault))),
        Body::Payload(payload) => sections(&payload),
        _ => Err(Error::Protocol("the MEX answer has an empty body".into())),
    }
}

async fn exchange(
    channel: ClientChannelShape,
    request: &Message,
    timeouts: crate::binding::Timeouts,
) -> Result<Message, Error> {
    match channel {
        ClientChannelShape::Request(channel) => {
            tokio::time::timeout(timeouts.send, channel.request(request))
                .await
                .map_err(|_| Error::Timeout(timeouts.send))??
                .ok_or_else(|| Error::Protocol("the MEX endpoint sent no answer".into()))
        }
        ClientChannelShape::DuplexSession(mut channel) => {
            tokio::time::timeout(timeouts.send, channel.sink.send(request.clone()))
                .await
                .map_err(|_| Error::Timeout(timeouts.send))??;
            let reply = tokio::time::timeout(timeouts.receive, channel.source.receive())
                .await
                .map_err(|_| Error::Timeout(timeouts.receive))?
                .map_err(|e| Error::Protocol(format!("reading the MEX answer: {e}")))?
                .ok_or_else(|| Error::Protocol("the MEX endpoint closed the connection".into()))?;
            let _ = channel.sink.close().await;
            Ok(reply)
        }
    }
}

/// The sections of a `wsx:Metadata` body, each document's text as it came (its namespace
/// declarations are on its own root, as WCF and Indigo write them).
fn sections(payload: &XmlFragment) -> Result<Vec<MetadataSection>, Error> {
    use quick_xml::events::Event;
    let text = std::str::from_utf8(&payload.xml)
        .map_err(|_| Error::Protocol("the MEX answer is not UTF-8".into()))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut found = Vec::new();
    let mut current: Option<(String, String)> = None;
    let bad = |e: quick_xml::Error| Error::Protocol(format!("an unreadable MEX answer: {e}"));
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match reader.read_event().map_err(bad)? {
            Event::Start(start) if start.local_name().into_inner() == "MetadataSection" => {
                let attribute = |name: &str| {
                    start
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().into_inner() == name)
                        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
                        .map(|v| v.into_owned())
                        .unwrap_or_default()
                };
                current = Some((attribute("Dialect"), attribute("Identifier")));
            }
            Event::Start(start) if current.is_some() => {
                let name = start.name().into_inner().to_owned();
                reader
                    .read_to_end(quick_xml::name::QName(&name))
                    .map_err(bad)?;
                let after = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                let (dialect, identifier) = current.take().unwrap_or_default();
                let document = text
                    .get(before..after)
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                found.push(MetadataSection {
                    dialect,
                    identifier,
                    document,
                });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(found)
}
