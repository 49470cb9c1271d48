//! Service metadata: WSDL 1.1 and XML Schema for a hosted contract, as WCF's
//! `ServiceMetadataBehavior` publishes them.
//!
//! Off by default, as in WCF. [`ServiceHostBuilder::metadata`](crate::service::ServiceHostBuilder::metadata)
//! turns it on: the host's HTTP endpoints then answer `GET ?wsdl`, `?wsdl=wsdl0`,
//! `?xsd=xsdN` and `?singleWsdl` (WCF's `HttpGetEnabled`), and
//! [`ServiceMetadata::with_http_get_url`] adds an address of its own for them (WCF's
//! `HttpGetUrl`: the way to publish the metadata of a service with only net.tcp endpoints).
//!
//! [`ServiceMetadata::with_mex_endpoint`] adds WS-MetadataExchange endpoints (WCF's
//! `mexHttpBinding` and `mexTcpBinding`), and [`get_metadata`] asks one for a service's
//! documents.
//!
//! What the documents say: one `wsdl:portType` for the contract (with `msc:usingSession`,
//! `msc:isInitiating`, `msc:isTerminating`), document/literal wrapped messages with
//! `wsaw:Action`, a `wsdl:fault` per declared fault detail, a SOAP 1.1 or 1.2 binding per
//! endpoint with the WS-Policy WCF attaches (binary encoding, WS-Addressing, reliable session,
//! transport security), a port per endpoint, and the schema of every type the operations
//! carry. Types come from [`SchemaType`], which `#[data_contract]` implements; a plain serde
//! type has no schema and is described as `xs:anyType` (and logged).
//!
//! ```
//! # async fn demo() -> Result<(), indigo::Error> {
//! use indigo::metadata::ServiceMetadata;
//! use indigo::{BasicHttpBinding, ServiceHost};
//!
//! #[indigo::service_contract]
//! pub trait Echo {
//!     #[operation]
//!     async fn echo(&self, text: String) -> String;
//! }
//!
//! struct EchoService;
//! impl Echo for EchoService {
//!     async fn echo(&self, text: String) -> String {
//!         text
//!     }
//! }
//!
//! let host = ServiceHost::builder(EchoContract::single(EchoService))
//!     .endpoint(BasicHttpBinding::new(), "http://127.0.0.1:0/echo")
//!     .metadata(ServiceMetadata::new())
//!     .open()
//!     .await?;
//! // GET http://127.0.0.1:{port}/echo?wsdl now answers with the WSDL.
//! # host.close().await?;
//! # Ok(())
//! # }
//! ```

mod document;
mod mex;
mod policy;
mod schema;
mod wsdl;
mod xsd;

pub(crate) use mex::serve as serve_mex;
pub use mex::{get_metadata, MetadataSection, MexBinding};
pub use policy::{BindingDescription, TransportSecurityPolicy};
pub use schema::{
    member, probe, CollectionShape, ElementDecl, FaultDetail, SchemaSet, SchemaType, TypeUse,
    XmlName,
};
pub use wsdl::OperationTypes;

pub(crate) use wsdl::{EndpointMetadata, ServiceModel};

use crate::transport::MetadataSource;

/// The default namespace of a service's own WSDL (WCF's `ServiceBehavior.Namespace`).
pub const DEFAULT_SERVICE_NAMESPACE: &str = "http://tempuri.org/";

/// WCF's `ServiceMetadataBehavior`: publishes the host's WSDL and schemas over HTTP GET.
#[derive(Debug, Clone)]
pub struct ServiceMetadata {
    pub(crate) http_get_enabled: bool,
    pub(crate) http_get_url: Option<String>,
    pub(crate) service_name: Option<String>,
    pub(crate) service_namespace: String,
    pub(crate) mex_endpoints: Vec<(MexBinding, String)>,
}

impl Default for ServiceMetadata {
    fn default() -> Self {
        ServiceMetadata {
            http_get_enabled: true,
            http_get_url: None,
            service_name: None,
            service_namespace: DEFAULT_SERVICE_NAMESPACE.to_owned(),
            mex_endpoints: Vec::new(),
        }
    }
}

impl ServiceMetadata {
    /// Metadata answered at the host's HTTP endpoints (`HttpGetEnabled`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the host's HTTP endpoints answer GET for metadata (default true).
    pub fn with_http_get_enabled(mut self, enabled: bool) -> Self {
        self.http_get_enabled = enabled;
        self
    }

    /// Also serves the metadata at `url` (`http://host:port/path`, port 0 picks one;
    /// [`ServiceHost::metadata_address`](crate::ServiceHost::metadata_address) says which),
    /// an address of its own (WCF's `HttpGetUrl`).
    pub fn with_http_get_url(mut self, url: impl Into<String>) -> Self {
        self.http_get_url = Some(url.into());
        self
    }

    /// Adds a WS-MetadataExchange endpoint at `address` (WCF's `IMetadataExchange` endpoint
    /// over `mexHttpBinding` or `mexTcpBinding`; port 0 picks one,
    /// [`ServiceHost::mex_addresses`](crate::ServiceHost::mex_addresses) says which). It
    /// answers WS-Transfer `Get` with every document inline;
    /// [`get_metadata`] is its client.
    pub fn with_mex_endpoint(mut self, binding: MexBinding, address: impl Into<String>) -> Self {
        self.mex_endpoints.push((binding, address.into()));
        self
    }

    /// The `wsdl:service` name (default: the service type's name, as WCF's default is the
    /// service class's).
    pub fn with_service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// The namespace of the service's own WSDL document: its bindings and `wsdl:service`
    /// (default `http://tempuri.org/`, WCF's `ServiceBehavior.Namespace`).
    pub fn with_service_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.service_namespace = namespace.into();
        self
    }
}

/// WCF's name of a standard binding, which the WSDL's binding names start with.
#[doc(hidden)]
pub fn wcf_binding_name(rust_name: &'static str) -> &'static str {
    match rust_name {
        "WsHttpBinding" => "WSHttpBinding",
        other => other,
    }
}

/// The last path segment of a Rust type name, without generics (`my::Calculator` ->
/// `Calculator`): WCF's default service name is its class's.
pub(crate) fn short_type_name(full: &str) -> String {
    let without_generics = full.split('<').next().unwrap_or(full);
    without_generics
        .rsplit("::")
        .next()
        .unwrap_or(without_generics)
        .to_owned()
}

impl MetadataSource for ServiceModel {
    fn document(&self, base: &str, query: &str) -> Option<String> {
        // WCF's queries are case-insensitive in their keys (`?WSDL`, `?singleWsdl`).
        let (key, value) = match query.split_once('=') {
            Some((key, value)) => (key.to_ascii_lowercase(), Some(value)),
            None => (query.to_ascii_lowercase(), None),
        };
        let element = match (key.as_str(), value) {
            ("wsdl", None | Some("")) => self.main_document(Some(base)),
            ("wsdl", Some("wsdl0")) => self.contract_document(Some(base))?,
            ("singlewsdl", None | Some("")) => self.single_document(),
            ("xsd", Some(name)) => {
                let index = name.strip_prefix("xsd")?.parse().ok()?;
                self.schema_document(index, Some(base))?
            }
            _ => return None,
        };
        Some(element.to_document())
    }
}

/// Serves the metadata alone at `url` (WCF's `HttpGetUrl`): GET answers as at an endpoint, a
/// POST gets a fault saying there is no endpoint here. Returns the address (with the real
/// port) and the serving future, which ends after `shutdown`.
pub(crate) async fn serve_http_get(
    url: &str,
    model: std::sync::Arc<ServiceModel>,
    shutdown: futures::future::BoxFuture<'static, ()>,
) -> Result<(String, futures::future::BoxFuture<'static, ()>), crate::Error> {
    use crate::binding::Binding;
    use crate::channel::ServerChannelShape;
    let binding = crate::BasicHttpBinding::new();
    let ServerChannelShape::Requests(mut listener) = binding.open_listener(url, false).await?
    else {
        return Err(crate::Error::Configuration(format!(
            "the metadata address {url} is not an HTTP address"
        )));
    };
    let address = listener.local_address();
    listener.publish_metadata(model, address.clone());
    let run = listener.serve(std::sync::Arc::new(NoEndpoint), shutdown);
    Ok((address, run))
}

/// The POST handler of a metadata-only address.
struct NoEndpoint;

impl crate::channel::RequestMessageHandler for NoEndpoint {
    fn handle(
        &self,
        request: crate::message::Message,
        _origin: crate::transport::RequestOrigin,
    ) -> futures::future::BoxFuture<'static, Option<crate::message::Message>> {
        let fault = crate::message::MessageFault::action_not_supported(
            request.headers.action.as_deref().unwrap_or(""),
        );
        let mut reply = crate::message::Message::new(
            request.version,
            fault.default_action().to_owned(),
            crate::message::Body::Fault(fault),
        );
        reply.headers.relates_to = request.headers.message_id.clone();
        Box::pin(async move { Some(reply) })
    }
}
