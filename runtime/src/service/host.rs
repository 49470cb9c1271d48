//! The service host: one service (contract + instancing) on one or more endpoints, opened and
//! closed as one object.

use super::context::OperationContext;
use super::dispatch::Dispatch;
use super::instance::InstanceContextMode;
use super::lifetime::{Factory, InstanceSource, Registry};
use super::request::RequestDispatcher;
use super::session_dispatch::{run_connection, EndpointShared};
use super::streamed::serve_streamed;
use super::throttle::{ServiceThrottle, Throttle};
use super::{AddressFilter, AddressFilterMode};
use crate::binding::{Binding, CarriedBy, SessionCapability, Timeouts};
use crate::channel::{ChannelListener, ServerChannelShape};
use crate::channel::{CommunicationState, StateCell};
use crate::error::Error;
use futures::future::BoxFuture;
use std::marker::PhantomData;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tracing::{info, warn, Instrument};

/// A service implementation with its instancing mode, ready to be hosted. Generated contract
/// markers offer shortcuts: `CalculatorContract::per_session(MyCalculator::default)`.
pub struct Service<C: Dispatch<S>, S: Send + 'static> {
    instances: InstanceSource<C, S>,
    _contract: PhantomData<fn() -> C>,
}

impl<C: Dispatch<S>, S: Send + 'static> std::fmt::Debug for Service<C, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("contract", &C::DESCRIPTION.name)
            .field("instancing", &self.instances.mode())
            .finish()
    }
}

impl<C: Dispatch<S>, S: Send + 'static> Service<C, S> {
    /// One instance per client session, made by `factory` at the session's first call.
    pub fn per_session(factory: impl Fn() -> S + Send + Sync + 'static) -> Self {
        Self::from_source(InstanceSource::PerSession(Factory::new(factory)))
    }

    /// A new instance, made by `factory`, for every call.
    pub fn per_call(factory: impl Fn() -> S + Send + Sync + 'static) -> Self {
        Self::from_source(InstanceSource::PerCall(Factory::new(factory)))
    }

    /// One instance for every call of every session.
    pub fn single(instance: S) -> Self {
        Self::from_source(InstanceSource::single(instance))
    }

    /// Instances shared between sessions, as WCF's `IInstanceContextProvider`: `key` looks at
    /// the first message of each session and names the instance the session is bound to.
    /// Sessions with the same key share one instance, made by `factory` when the first of them
    /// starts and released when the last of them ends; a session whose key is `None` gets an
    /// instance of its own, as with [`per_session`](Self::per_session). On a binding without
    /// sessions every call is looked at, and calls with one key share an instance while any
    /// of them runs.
    ///
    /// The contract's concurrency holds across the sessions of a shared instance: its
    /// `&mut self` operations run one at a time, whichever session calls them, and its
    /// `&self` operations at once.
    ///
    /// ```
    /// use indigo::{OperationContext, ServiceHost, NetTcpBinding};
    ///
    /// #[indigo::service_contract]
    /// pub trait Tally {
    ///     #[operation]
    ///     async fn add(&mut self, n: i32) -> i32;
    /// }
    ///
    /// #[derive(Default)]
    /// struct Team(i32);
    ///
    /// impl Tally for Team {
    ///     async fn add(&mut self, n: i32) -> i32 {
    ///         self.0 += n;
    ///         self.0
    ///     }
    /// }
    ///
    /// # async fn run() -> Result<(), indigo::Error> {
    /// // Sessions that send the same `<t:Team xmlns:t="urn:teams">` header share a tally.
    /// let service = TallyContract::shared_by(
    ///     |ctx: &OperationContext| ctx.header_text("urn:teams", "Team"),
    ///     Team::default,
    /// )
    /// .on_instance_closed(|team: &mut Team| println!("team done at {}", team.0));
    /// let host = ServiceHost::builder(service)
    ///     .endpoint(NetTcpBinding::default(), "net.tcp://127.0.0.1:0/tally")
    ///     .open()
    ///     .await?;
    /// host.close().await
    /// # }
    /// ```
    pub fn shared_by(
        key: impl Fn(&OperationContext) -> Option<String> + Send + Sync + 'static,
        factory: impl Fn() -> S + Send + Sync + 'static,
    ) -> Self {
        Self::from_source(InstanceSource::Shared(
            Factory::new(factory),
            Arc::new(Registry::new(key)),
        ))
    }

    /// Runs `hook` on every instance the service makes, once, before its first operation:
    /// with a session, when the session starts (its first message is in `context`, and is
    /// also the [current](OperationContext::current) one). An instance given to
    /// [`single`](Self::single) was not made by the service and gets no hooks. A panic in
    /// the hook is logged and the instance serves the call anyway.
    pub fn on_instance_opened(
        mut self,
        hook: impl Fn(&mut S, &OperationContext) + Send + Sync + 'static,
    ) -> Self {
        if let Some(factory) = self.instances.factory_mut() {
            factory.set_opened(hook);
        }
        self
    }

    /// Runs `hook` on every instance the service makes, once, when it is released: after
    /// the last call on it, when its session ends (for a shared instance, the last of its
    /// sessions), however the session ends (a terminating operation, close, abort by the
    /// client, fault, receive timeout, or the host closing or being dropped). The hook is
    /// WCF's instance `Dispose`; a service type can also just implement `Drop`, but the hook
    /// runs while the instance is still owned by the service, with exclusive access.
    pub fn on_instance_closed(mut self, hook: impl Fn(&mut S) + Send + Sync + 'static) -> Self {
        if let Some(factory) = self.instances.factory_mut() {
            factory.set_closed(hook);
        }
        self
    }

    fn from_source(instances: InstanceSource<C, S>) -> Self {
        Service {
            instances,
            _contract: PhantomData,
        }
    }

    /// The instancing mode.
    pub fn instance_context_mode(&self) -> InstanceContextMode {
        self.instances.mode()
    }
}

type ListenFuture = BoxFuture<'static, Result<ServerChannelShape, Error>>;

struct EndpointConfig {
    address: String,
    /// The address clients send to (`To`), when it is not the one listened at (behind a
    /// proxy): WCF's endpoint address, where `address` is its ListenUri.
    public_address: Option<String>,
    /// This endpoint's address filter, if not the host's.
    filter: Option<AddressFilterMode>,
    binding: &'static str,
    /// What the binding's WSDL says of it, for published metadata.
    description: crate::metadata::BindingDescription,
    listen: ListenFuture,
    shared_parts: (Arc<dyn crate::encoding::MessageEncoder>, Timeouts, bool),
}

/// Collects endpoints, then opens them together.
pub struct ServiceHostBuilder<C: Dispatch<S>, S: Send + 'static> {
    service: Service<C, S>,
    endpoints: Vec<EndpointConfig>,
    throttle: ServiceThrottle,
    address_filter: AddressFilterMode,
    authorization: Option<Authorization>,
    understood_headers: Vec<crate::message::QualifiedName>,
    callback_queue_limit: usize,
    when_callback_queue_full: crate::callback::WhenCallbackQueueFull,
    metadata: Option<crate::metadata::ServiceMetadata>,
}

/// Decides whether a call may run, from its [`OperationContext`] (the operation, the caller's
/// identity, the headers): WCF's `ServiceAuthorizationManager.CheckAccessCore`.
pub type Authorization = Arc<dyn Fn(&OperationContext) -> bool + Send + Sync>;

impl<C: Dispatch<S>, S: Send + 'static> std::fmt::Debug for ServiceHostBuilder<C, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceHostBuilder")
            .field("service", &self.service)
            .field(
                "endpoints",
                &self
                    .endpoints
                    .iter()
                    .map(|e| (&e.address, e.binding))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<C: Dispatch<S>, S: Send + 'static> ServiceHostBuilder<C, S> {
    /// Adds an endpoint: the contract over `binding` at `address`. A binding whose session
    /// capability does not fit the contract's session mode does not compile.
    pub fn endpoint<B>(mut self, binding: B, address: impl Into<String>) -> Self
    where
        B: Binding,
        C: CarriedBy<B>,
    {
        let address = address.into();
        // A contract with stream operations is served by streamed transfer: every call an
        // exchange of its own (WCF's `TransferMode.Streamed`); its `CarriedBy` bound admits
        // only bindings that have it.
        let listen = binding.open_listener(&address, C::STREAMED);
        self.endpoints.push(EndpointConfig {
            address,
            public_address: None,
            filter: None,
            binding: binding.name(),
            description: binding.describe(),
            listen,
            shared_parts: (
                binding.encoder(),
                binding.timeouts(),
                B::Session::HAS_SESSION && !C::STREAMED,
            ),
        });
        self
    }

    /// Adds an endpoint that listens at `listen_address` but is addressed as `address`: the
    /// `To` its clients send, checked by the address filter. That is an endpoint behind a
    /// proxy or a load balancer, whose clients address the proxy (WCF's endpoint address and
    /// `ListenUri`).
    pub fn endpoint_with_listen_address<B>(
        mut self,
        binding: B,
        address: impl Into<String>,
        listen_address: impl Into<String>,
    ) -> Self
    where
        B: Binding,
        C: CarriedBy<B>,
    {
        self = self.endpoint(binding, listen_address);
        if let Some(endpoint) = self.endpoints.last_mut() {
            endpoint.public_address = Some(address.into());
        }
        self
    }

    /// How every endpoint matches the `To` header of what it receives against its address
    /// (default [`AddressFilterMode::Exact`], as WCF); a message addressed elsewhere gets
    /// WS-Addressing's `DestinationUnreachable` fault.
    pub fn address_filter_mode(mut self, mode: AddressFilterMode) -> Self {
        self.address_filter = mode;
        self
    }

    /// The address filter of the endpoint added last, instead of the host's
    /// [`address_filter_mode`](Self::address_filter_mode).
    pub fn endpoint_address_filter_mode(mut self, mode: AddressFilterMode) -> Self {
        if let Some(endpoint) = self.endpoints.last_mut() {
            endpoint.filter = Some(mode);
        }
        self
    }

    /// Replaces the throttle (default: WCF's, see [`ServiceThrottle`]).
    pub fn throttle(mut self, throttle: ServiceThrottle) -> Self {
        self.throttle = throttle;
        self
    }

    /// Checks every call before it runs (WCF's `ServiceAuthorizationManager`, or a
    /// `PrincipalPermission` on an operation when the check looks at
    /// [`OperationContext::operation`]). A refused call gets WCF's "Access is denied." fault
    /// (`Sender`, subcode `wsse:FailedAuthentication`) without touching the instance; a refused
    /// one-way call is dropped.
    ///
    /// ```
    /// use indigo::security::CallerIdentity;
    /// use indigo::{OperationContext, ServiceHost};
    ///
    /// #[indigo::service_contract]
    /// pub trait Admin {
    ///     #[operation]
    ///     async fn status(&self) -> String;
    ///     #[operation]
    ///     async fn shutdown(&self);
    /// }
    /// # struct Service;
    /// # impl Admin for Service {
    /// #     async fn status(&self) -> String { String::new() }
    /// #     async fn shutdown(&self) {}
    /// # }
    ///
    /// // Anyone may ask for the status; only the operator's certificate may shut down.
    /// let builder = ServiceHost::builder(AdminContract::single(Service)).authorization(
    ///     |ctx: &OperationContext| match ctx.operation().name {
    ///         "Shutdown" => matches!(
    ///             ctx.caller_identity(),
    ///             CallerIdentity::Certificate(info) if info.subject.ends_with("CN=operator")
    ///         ),
    ///         _ => true,
    ///     },
    /// );
    /// # let _ = builder;
    /// ```
    pub fn authorization(
        mut self,
        check: impl Fn(&OperationContext) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.authorization = Some(Arc::new(check));
        self
    }

    /// Declares a header the service's operations process themselves (read through
    /// [`OperationContext::header`]), so that a message marking it `mustUnderstand` is
    /// dispatched. Any other header marked `mustUnderstand` that no layer of the service
    /// processes fails the message with SOAP's `MustUnderstand` fault, as WCF does; headers the
    /// layers process (WS-Addressing, WS-ReliableMessaging, a checked WS-Security header) are
    /// understood already.
    ///
    /// ```
    /// # #[indigo::service_contract]
    /// # pub trait Echo { #[operation] async fn echo(&self, text: String) -> String; }
    /// # struct Service;
    /// # impl Echo for Service { async fn echo(&self, text: String) -> String { text } }
    /// use indigo::ServiceHost;
    /// let builder = ServiceHost::builder(EchoContract::single(Service))
    ///     .understood_header("http://example.org/tenancy", "Tenant");
    /// # let _ = builder;
    /// ```
    pub fn understood_header(mut self, namespace: &str, local: &str) -> Self {
        self.understood_headers
            .push(crate::message::QualifiedName::new(namespace, local));
        self
    }

    /// Sets how many callbacks (duplex contracts) each session may have queued for its client,
    /// default [`DEFAULT_CALLBACK_QUEUE_LIMIT`](crate::service::DEFAULT_CALLBACK_QUEUE_LIMIT)
    /// (256). What a one-way callback to a full queue does is
    /// [`when_callback_queue_full`](Self::when_callback_queue_full); a request-reply callback
    /// always waits for room, within the send timeout.
    pub fn callback_queue_limit(mut self, limit: usize) -> Self {
        self.callback_queue_limit = limit.max(1);
        self
    }

    /// Sets what a one-way callback does when its session's queue is full: wait for room
    /// ([`WhenCallbackQueueFull::Wait`](crate::service::WhenCallbackQueueFull::Wait), the
    /// default, as WCF), or fail at once with [`Error::CallbackQueueFull`] so that a publisher
    /// is never held up by one subscriber
    /// ([`Refuse`](crate::service::WhenCallbackQueueFull::Refuse)).
    pub fn when_callback_queue_full(
        mut self,
        policy: crate::callback::WhenCallbackQueueFull,
    ) -> Self {
        self.when_callback_queue_full = policy;
        self
    }

    /// Publishes the service's WSDL and schemas (off by default, as WCF's
    /// `ServiceMetadataBehavior`): the HTTP endpoints answer `GET ?wsdl`, `?wsdl=wsdl0`,
    /// `?xsd=xsdN` and `?singleWsdl`, and so does the address of
    /// [`ServiceMetadata::with_http_get_url`](crate::metadata::ServiceMetadata::with_http_get_url)
    /// when one is set. See [`metadata`](crate::metadata).
    pub fn metadata(mut self, metadata: crate::metadata::ServiceMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Starts listening on every endpoint. If one fails, none stays open.
    pub async fn open(self) -> Result<ServiceHost, Error> {
        if self.endpoints.is_empty() {
            return Err(Error::Configuration(format!(
                "service host for {} has no endpoints",
                C::DESCRIPTION.name
            )));
        }
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let throttle = Arc::new(Throttle::new(self.throttle));
        let understood_headers: Arc<[crate::message::QualifiedName]> =
            self.understood_headers.into();
        let mut listeners = Vec::with_capacity(self.endpoints.len());
        let mut published = Vec::with_capacity(self.endpoints.len());
        // The host's close waits as long as its slowest endpoint's close timeout.
        let mut close_timeout = std::time::Duration::ZERO;
        for config in self.endpoints {
            let (encoder, timeouts, has_session) = config.shared_parts;
            let listener = tokio::time::timeout(timeouts.open, config.listen)
                .await
                .map_err(|_| Error::Timeout(timeouts.open))??;
            close_timeout = close_timeout.max(timeouts.close);
            // `To` is checked against the public address, or the address listened at (with
            // the port the OS picked for port 0).
            let filter_address = config
                .public_address
                .unwrap_or_else(|| listener.local_address());
            published.push(crate::metadata::EndpointMetadata {
                binding: config.description,
                address: filter_address.clone(),
            });
            let shared = Arc::new(EndpointShared::<C, S> {
                instances: self.service.instances.clone(),
                encoder,
                timeouts,
                has_session,
                throttle: throttle.clone(),
                address_filter: Some(AddressFilter {
                    mode: config.filter.unwrap_or(self.address_filter),
                    address: filter_address,
                }),
                authorization: self.authorization.clone(),
                understood_headers: understood_headers.clone(),
                callback_queue_limit: self.callback_queue_limit,
                when_callback_queue_full: self.when_callback_queue_full,
            });
            listeners.push((listener, shared, config.binding));
        }
        let metadata = self.metadata.map(|settings| {
            let name = settings
                .service_name
                .clone()
                .unwrap_or_else(|| crate::metadata::short_type_name(std::any::type_name::<S>()));
            let model = crate::metadata::ServiceModel::new(
                &name,
                &settings.service_namespace,
                C::DESCRIPTION,
                C::message_types,
                C::callback_types,
                published,
            );
            for rust_type in model.undescribed() {
                warn!(
                    contract = C::DESCRIPTION.name,
                    rust_type, "the metadata describes a type without a schema as xs:anyType"
                );
            }
            (settings, Arc::new(model))
        });
        let mut endpoints = Vec::with_capacity(listeners.len() + 1);
        if let Some((settings, model)) = &metadata {
            if let Some(url) = &settings.http_get_url {
                let mut shutdown = shutdown_rx.clone();
                let stop = Box::pin(async move {
                    let _ = shutdown.changed().await;
                });
                let (address, run) =
                    crate::metadata::serve_http_get(url, model.clone(), stop).await?;
                info!(%address, contract = C::DESCRIPTION.name, "metadata published");
                endpoints.push(RunningEndpoint {
                    address,
                    task: tokio::spawn(run),
                    kind: EndpointKind::MetadataGet,
                });
            }
            for (binding, address) in &settings.mex_endpoints {
                let mut shutdown = shutdown_rx.clone();
                let stop = Box::pin(async move {
                    let _ = shutdown.changed().await;
                });
                let (address, run) =
                    crate::metadata::serve_mex(*binding, address, model.clone(), stop).await?;
                info!(%address, contract = C::DESCRIPTION.name, "metadata exchange endpoint");
                endpoints.push(RunningEndpoint {
                    address,
                    task: tokio::spawn(run),
                    kind: EndpointKind::Mex,
                });
            }
        }
        for (transport, shared, binding) in listeners {
            let (address, run) = match transport {
                // A session listener over a transport accepts at once and reads once a session
                // slot is free; a reliable listener keeps sessions pending (MaxPendingChannels)
                // until they are accepted, so it is asked only with a slot in hand, as WCF's
                // channel dispatcher does: past the throttle, new sessions wait there, then are
                // refused.
                ServerChannelShape::DuplexSessions(listener) => {
                    let order = if listener.queues_pending_sessions() {
                        SlotOrder::BeforeAccept
                    } else {
                        SlotOrder::AfterAccept
                    };
                    (
                        listener.local_address(),
                        accept_loop(listener, shared, shutdown_rx.clone(), order),
                    )
                }
                ServerChannelShape::Requests(mut listener) => {
                    if let Some((settings, model)) = &metadata {
                        if settings.http_get_enabled {
                            let base = shared
                                .address_filter
                                .as_ref()
                                .map_or_else(|| listener.local_address(), |f| f.address.clone());
                            listener.publish_metadata(model.clone(), base);
                        }
                    }
                    let mut shutdown = shutdown_rx.clone();
                    let stop = Box::pin(async move {
                        let _ = shutdown.changed().await;
                    });
                    let handler = Arc::new(RequestDispatcher { endpoint: shared });
                    (listener.local_address(), listener.serve(handler, stop))
                }
                ServerChannelShape::Streamed(listener) => (
                    listener.local_address(),
                    Box::pin(serve_streamed(listener, shared, shutdown_rx.clone()))
                        as BoxFuture<'static, ()>,
                ),
            };
            info!(%address, binding, contract = C::DESCRIPTION.name, "listening");
            let task = tokio::spawn(run.instrument(tracing::info_span!("endpoint", %address)));
            endpoints.push(RunningEndpoint {
                address,
                task,
                kind: EndpointKind::Contract,
            });
        }
        Ok(ServiceHost {
            state: StateCell::new(CommunicationState::Opened),
            shutdown: shutdown_tx,
            endpoints,
            close_timeout,
        })
    }
}

/// When a session takes its throttle slot relative to being accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotOrder {
    /// Accept at once, read once a slot is free (transport connections).
    AfterAccept,
    /// Accept only with a free slot (listeners that hold pending sessions themselves).
    BeforeAccept,
}

fn accept_loop<C, S>(
    listener: Box<dyn ChannelListener>,
    shared: Arc<EndpointShared<C, S>>,
    shutdown: watch::Receiver<bool>,
    order: SlotOrder,
) -> BoxFuture<'static, ()>
where
    C: Dispatch<S>,
    S: Send + 'static,
{
    Box::pin(accept_connections(listener, shared, shutdown, order))
}

async fn accept_connections<C, S>(
    mut listener: Box<dyn ChannelListener>,
    shared: Arc<EndpointShared<C, S>>,
    mut shutdown: watch::Receiver<bool>,
    order: SlotOrder,
) where
    C: Dispatch<S>,
    S: Send + 'static,
{
    let mut sessions = JoinSet::new();
    loop {
        while sessions.try_join_next().is_some() {}
        let early_slot = match order {
            SlotOrder::BeforeAccept => tokio::select! {
                biased;
                _ = shutdown.changed() => break,
                slot = shared.throttle.session() => Some(slot),
            },
            SlotOrder::AfterAccept => None,
        };
        let accepted = tokio::select! {
            biased;
            _ = shutdown.changed() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok(connection) => {
                let (shared, shutdown) = (shared.clone(), shutdown.clone());
                sessions.spawn(async move {
                    // Accepted but not read until a session slot is free, as WCF does.
                    let _slot = match early_slot {
                        Some(slot) => slot,
                        None => shared.throttle.session().await,
                    };
                    run_connection(connection, shared, shutdown).await;
                });
            }
            Err(e) => {
                warn!(error = %e, "listener failed");
                break;
            }
        }
    }
    // Stop accepting before draining, so no new session starts during close.
    drop(listener);
    while sessions.join_next().await.is_some() {}
}

struct RunningEndpoint {
    address: String,
    task: JoinHandle<()>,
    kind: EndpointKind,
}

/// What a running endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EndpointKind {
    /// The contract.
    Contract,
    /// The metadata's own HTTP GET address.
    MetadataGet,
    /// A WS-MetadataExchange endpoint.
    Mex,
}

/// A running service host. Dropping it aborts it.
pub struct ServiceHost {
    state: StateCell,
    shutdown: watch::Sender<bool>,
    endpoints: Vec<RunningEndpoint>,
    close_timeout: std::time::Duration,
}

impl std::fmt::Debug for ServiceHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceHost")
            .field("state", &self.state.get())
            .field("addresses", &self.addresses())
            .finish()
    }
}

impl ServiceHost {
    /// Starts describing a host for `service`: add endpoints (a binding and an address each),
    /// optionally a throttle, then [`open`](ServiceHostBuilder::open) them all.
    ///
    /// ```
    /// use indigo::{MemoryBinding, NetTcpBinding, ServiceHost, ServiceThrottle};
    ///
    /// #[indigo::service_contract]
    /// pub trait Echo {
    ///     #[operation]
    ///     async fn echo(&self, text: String) -> String;
    /// }
    ///
    /// struct Parrot;
    ///
    /// impl Echo for Parrot {
    ///     async fn echo(&self, text: String) -> String {
    ///         text
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), indigo::Error> {
    /// let host = ServiceHost::builder(EchoContract::per_call(|| Parrot))
    ///     .endpoint(MemoryBinding::new(), "memory://echo-doc")
    ///     .endpoint(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/echo")
    ///     .throttle(ServiceThrottle {
    ///         max_concurrent_calls: 64,
    ///         ..ServiceThrottle::default()
    ///     })
    ///     .open()
    ///     .await?;
    /// assert_eq!(host.addresses()[0], "memory://echo-doc");
    /// assert!(host.addresses()[1].starts_with("net.tcp://127.0.0.1:"));
    ///
    /// let client = EchoClient::connect(&NetTcpBinding::new(), &host.addresses()[1]).await?;
    /// assert_eq!(client.echo("hi".to_owned()).await?, "hi");
    /// host.close().await?; // stops accepting, lets running calls finish
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder<C: Dispatch<S>, S: Send + 'static>(
        service: Service<C, S>,
    ) -> ServiceHostBuilder<C, S> {
        ServiceHostBuilder {
            service,
            endpoints: Vec::new(),
            throttle: ServiceThrottle::default(),
            address_filter: AddressFilterMode::default(),
            authorization: None,
            understood_headers: Vec::new(),
            callback_queue_limit: crate::callback::DEFAULT_CALLBACK_QUEUE_LIMIT,
            when_callback_queue_full: crate::callback::WhenCallbackQueueFull::default(),
            metadata: None,
        }
    }

    /// The addresses the endpoints listen at, in the order they were added (with real ports
    /// where port 0 was asked for).
    pub fn addresses(&self) -> Vec<String> {
        self.endpoints
            .iter()
            .filter(|e| e.kind == EndpointKind::Contract)
            .map(|e| e.address.clone())
            .collect()
    }

    /// The addresses of the WS-MetadataExchange endpoints
    /// ([`ServiceMetadata::with_mex_endpoint`](crate::metadata::ServiceMetadata::with_mex_endpoint)),
    /// in the order they were added, with real ports.
    pub fn mex_addresses(&self) -> Vec<String> {
        self.endpoints
            .iter()
            .filter(|e| e.kind == EndpointKind::Mex)
            .map(|e| e.address.clone())
            .collect()
    }

    /// The address metadata is served at on its own
    /// ([`ServiceMetadata::with_http_get_url`](crate::metadata::ServiceMetadata::with_http_get_url),
    /// with the real port where port 0 was asked for).
    pub fn metadata_address(&self) -> Option<String> {
        self.endpoints
            .iter()
            .find(|e| e.kind == EndpointKind::MetadataGet)
            .map(|e| e.address.clone())
    }

    /// The host's lifecycle state.
    pub fn state(&self) -> CommunicationState {
        self.state.get()
    }

    /// Stops accepting, lets sessions finish the calls they are running, and closes them,
    /// all within the close timeout; what is left then is aborted.
    pub async fn close(mut self) -> Result<(), Error> {
        self.state.set(CommunicationState::Closing);
        let _ = self.shutdown.send(true);
        let tasks = std::mem::take(&mut self.endpoints);
        let aborts: Vec<_> = tasks.iter().map(|e| e.task.abort_handle()).collect();
        let drain = futures::future::join_all(tasks.into_iter().map(|e| e.task));
        let result = match tokio::time::timeout(self.close_timeout, drain).await {
            Ok(_) => Ok(()),
            Err(_) => {
                aborts.iter().for_each(|a| a.abort());
                Err(Error::Timeout(self.close_timeout))
            }
        };
        self.state.set(CommunicationState::Closed);
        result
    }

    /// Stops everything at once.
    pub fn abort(mut self) {
        self.abort_all();
    }

    fn abort_all(&mut self) {
        for endpoint in self.endpoints.drain(..) {
            endpoint.task.abort();
        }
        self.state.set(CommunicationState::Closed);
    }
}

impl Drop for ServiceHost {
    fn drop(&mut self) {
        self.abort_all();
    }
}
