//! Indigo: WCF-style service contracts, sessions and reliable messaging for Rust.
//!
//! Annotate a trait with [`service_contract`] and its methods with [`operation`]; the macro
//! generates the trait for implementors, a `{Trait}Contract` marker (description, hosting
//! shortcuts), the dispatcher, and a typed `{Trait}Client`. Messages are SOAP as WCF writes it,
//! so a C# client or service built from the same contract interoperates. Contracts with
//! `session = Required` get a typestate client: only initiating operations can start the
//! session, and terminating operations consume it.
//!
//! How the crate is built inside (layers, one call hop by hop) is in the repository's
//! `ARCHITECTURE.md`.
//!
//! # A contract, a service and a client
//!
//! ```
//! use indigo::{MemoryBinding, ServiceHost};
//!
//! #[indigo::service_contract(session = Required)]
//! pub trait Tally {
//!     #[operation(initiating)]
//!     async fn start(&mut self);
//!     #[operation(one_way, initiating = false)]
//!     async fn add(&mut self, n: i64);
//!     #[operation(initiating = false, terminating)]
//!     async fn total(&mut self) -> i64;
//! }
//!
//! #[derive(Default)]
//! struct TallyService(i64);
//!
//! impl Tally for TallyService {
//!     async fn start(&mut self) {
//!         self.0 = 0;
//!     }
//!     async fn add(&mut self, n: i64) {
//!         self.0 += n;
//!     }
//!     async fn total(&mut self) -> i64 {
//!         self.0
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), indigo::Error> {
//! let host = ServiceHost::builder(TallyContract::per_session(TallyService::default))
//!     .endpoint(MemoryBinding::new(), "memory://tally-doc")
//!     .open()
//!     .await?;
//!
//! let client = TallyClient::connect(&MemoryBinding::new(), "memory://tally-doc").await?;
//! let session = client.start().await?; // Idle -> Active
//! session.add(40).await?; // one-way
//! session.add(2).await?;
//! assert_eq!(session.total().await?, 42); // terminating: consumes the session, then closes it
//! host.close().await?;
//! # Ok(())
//! # }
//! ```
//!
//! Swapping `MemoryBinding` for [`NetTcpBinding`] (and the address for
//! `net.tcp://host:port/path`) is all it takes to go over the network.
//!
//! # Contract keys
//!
//! `#[indigo::service_contract(...)]` on a trait:
//!
//! | key | meaning | default |
//! | --- | --- | --- |
//! | `name = "..."` | wire name of the contract | the trait's name |
//! | `namespace = "..."` | contract namespace (of actions and body wrappers) | `http://tempuri.org/` |
//! | `data_namespace = "..."` | namespace of struct members inside bodies | `http://schemas.datacontract.org/2004/07/` |
//! | `session = ...` | `Required`, `Allowed` or `NotAllowed` ([`SessionMode`]) | `Allowed` |
//!
//! # Operation keys
//!
//! `#[operation(...)]` on every method of the trait (each method must have one):
//!
//! | key | meaning | default |
//! | --- | --- | --- |
//! | `name = "..."` | wire name: the request body's wrapper element | PascalCase of the method name (`add_to` -> `AddTo`) |
//! | `action = "..."` | request action | `{namespace}{Contract}/{Name}` (a `/` is added after a namespace without one; `urn:{Contract}/{Name}` for an empty namespace) |
//! | `reply_action = "..."` | reply action | the action followed by `Response` |
//! | `one_way` | no reply message (the method returns `()`) | `false` |
//! | `initiating` | may start a session | `true` |
//! | `terminating` | ends the session | `false` |
//!
//! The flags take `one_way`, `one_way = true` or `one_way = false`. Parameters are camelCase
//! on the wire (`first_value` -> `firstValue`); `#[param(name = "x")]` on a parameter renames
//! it. Results travel as `{Name}Result` inside `{Name}Response`. An unknown key is a compile
//! error (with a "did you mean" when a known key is close).
//!
//! The macro checks the contract as WCF checks it when a host opens: non-initiating or
//! terminating operations need `session = Required`; a contract needs an initiating
//! operation; a one-way operation has no result and no declared fault; operation names,
//! actions and parameter names must be unique and valid XML names; an operation may not be
//! named like the client's own methods (`new`, `connect`, `open`, `close`, `abort`, `state`,
//! `from_runtime`).
//!
//! Methods are `async fn` taking `&self` or `&mut self` (see [Instancing and
//! concurrency](#instancing-and-concurrency)); parameters and results are serde types
//! (`Serialize + DeserializeOwned`), or [`ByteStream`] for streamed transfer (see
//! [`stream`]). An operation may return `Result<T, Fault<D>>` or `Result<T, Fault>` (see
//! [Faults](#faults)).
//!
//! # What is generated for `trait Calculator`
//!
//! - the trait itself, with `Send` futures, for implementors;
//! - `CalculatorContract`: its [`ContractDescription`] (through [`Contract`]), the bindings that
//!   may carry it, and `per_session`, `per_call` and `single` to host an implementation;
//! - the dispatcher (`Dispatch` for `CalculatorContract`);
//! - `CalculatorClient`, with `new` (no I/O), `connect` (new, then open), `open`, `state`,
//!   `close`, `abort` and one `async` method per operation. For `session = Required` it is a
//!   typestate, `CalculatorClient<Idle>` then `CalculatorClient<Active>`: calling a
//!   non-initiating operation first, or anything after a terminating one, does not compile.
//!
//! # Bindings
//!
//! | binding | wire | session |
//! | --- | --- | --- |
//! | [`NetTcpBinding`] | SOAP 1.2 + WS-Addressing 1.0 in .NET Binary XML with per-connection string tables, over net.tcp (.NET Message Framing) | yes: a connection is a session |
//! | [`WsHttpBinding`] | SOAP 1.2 + WS-Addressing 1.0 text over HTTP | no |
//! | [`BasicHttpBinding`] | SOAP 1.1 text over HTTP, no WS-Addressing | no |
//! | [`MemoryBinding`] / [`MemoryDatagramBinding`] | in process (`memory://name`), still encoded to bytes | yes / no |
//! | [`CustomBinding<T>`] | a text or binary encoder over a transport element ([`binding::TcpTransport`], [`binding::HttpTransport`], ...) | the transport's |
//! | [`Reliable<B>`](Reliable), from `b.with_reliable_session()` | WS-ReliableMessaging 1.0 or 1.1 over `B` | yes, whatever `B` is |
//!
//! A `session = Required` contract only compiles with a binding that has a session, and a
//! `session = NotAllowed` one only with a binding without. The standard bindings and
//! [`CustomBinding`] have WCF's defaults and setters for them: `with_open_timeout`,
//! `with_close_timeout`, `with_send_timeout` (one minute each), `with_receive_timeout` (ten
//! minutes: an idle session is closed), `with_timeouts` ([`Timeouts`]), `with_reader_quotas`
//! (depth 32, string content 8,192, array length 16,384), and on the net.tcp and HTTP bindings
//! `with_max_received_message_size` (65,536 bytes). Set them before `with_reliable_session()`,
//! which wraps the binding.
//!
//! ```
//! use indigo::{BasicHttpBinding, NetTcpBinding, WsHttpBinding};
//! use std::time::Duration;
//!
//! let tcp = NetTcpBinding::new()
//!     .with_send_timeout(Duration::from_secs(5))
//!     .with_max_received_message_size(1 << 20);
//! let reliable_http = WsHttpBinding::new().with_reliable_session();
//! let soap11 = BasicHttpBinding::new();
//! # let _ = (tcp, reliable_http, soap11);
//! ```
//!
//! ## Reliable sessions
//!
//! `NetTcpBinding::new().with_reliable_session()` and `WsHttpBinding::new().with_reliable_session()`
//! (also on the memory bindings and on [`CustomBinding`]) add WS-ReliableMessaging: the messages
//! of a session arrive exactly once and in order across lossy links, and a net.tcp client whose
//! connection drops reconnects and carries on. [`Reliable`] takes
//! [`ReliableSessionSettings`] (WCF's
//! `ReliableSessionBindingElement` properties, with WCF's defaults and ranges) with
//! `with_settings`, the protocol version with `with_version`, and a cap on a service endpoint's
//! sessions with `with_max_sessions`. Since the result is sessionful, a `session = Required`
//! contract can run over HTTP this way.
//!
//! # Data contracts
//!
//! Parameters and results are serde types written as WCF's DataContractSerializer writes
//! them. A type declared with [`data_contract`] (WCF's `[DataContract]`) controls its wire
//! form: `name` and `namespace` of the type (default: its Rust name, in the service contract's
//! `data_namespace`); per field, `#[data_member(name = "...", order = N, required,
//! emit_default = false)]` (default name: PascalCase of the field, as a C# peer declares it);
//! per unit enum variant, `#[enum_member(value = "...")]`. Members go out in the type's
//! namespace, in DataContractSerializer's order (ordinal by name, then by `order`); a member
//! that is not `required` may be missing on the wire and then takes its `Default`; a fault
//! detail that is a data contract is named by it; a `Vec<u8>` member is `byte[]` (base64).
//! What cannot map (enums with data, two members with one wire name, names that are not XML
//! names, generic types) is a compile error. [`dotnet`] has .NET's `Decimal`, `DateTime`,
//! `DateTimeOffset`, `TimeSpan`, `Guid`, `Uri` and `QualifiedName` in their wire forms. An unreadable value is
//! reported with its member path (`at order.Lines[2].UnitPrice: ...`).
//!
//! Three more forms follow WCF's attributes:
//!
//! - **`[Flags]` enums**: `#[data_contract(flags)]` on an enum of the flags (with their values
//!   as discriminants); a combination is a [`Flags<E>`](Flags), written as WCF writes it
//!   (`Read Write`).
//! - **Known types** (`[KnownType]`): `#[data_contract(known_types)]` on an enum whose variants
//!   each hold one data contract. Give the enum the declared (base) type's name and namespace;
//!   a value of another variant's type is written with `i:type`, and reading picks the variant
//!   by `i:type`. A derived type holds its base as its first field, marked
//!   `#[data_member(base)]`: the base's members come first, in the base's namespace, as WCF
//!   writes a base class's.
//! - **Collection contracts** (`[CollectionDataContract]`): `#[data_contract(collection,
//!   item_name = "...", key_name = "...", value_name = "...")]` on a newtype over a list or a
//!   map; its items are named by the keys, in the collection's namespace.
//!
//! ```
//! use indigo::Flags;
//!
//! #[indigo::data_contract(namespace = "urn:geometry", flags)]
//! #[derive(Debug, Clone, Copy, PartialEq)]
//! pub enum Edge {
//!     None = 0,
//!     Dashed = 1,
//!     Bold = 2,
//! }
//!
//! #[indigo::data_contract(namespace = "urn:geometry")]
//! #[derive(Debug, Clone, PartialEq, Default)]
//! pub struct Shape {
//!     label: String,
//! }
//!
//! /// `class Circle : Shape`, in a namespace of its own.
//! #[indigo::data_contract(namespace = "urn:circles")]
//! #[derive(Debug, Clone, PartialEq, Default)]
//! pub struct Circle {
//!     #[data_member(base)]
//!     shape: Shape,
//!     radius: f64,
//!     edge: Flags<Edge>,
//! }
//!
//! /// A value declared `Shape`: `[KnownType(typeof(Circle))]`.
//! #[indigo::data_contract(name = "Shape", namespace = "urn:geometry", known_types)]
//! #[derive(Debug, Clone, PartialEq)]
//! pub enum AnyShape {
//!     Shape(Shape),
//!     Circle(Circle),
//! }
//!
//! /// `[CollectionDataContract(ItemName = "Item")] class Drawing : List<Shape>`.
//! #[indigo::data_contract(collection, namespace = "urn:geometry", item_name = "Item")]
//! #[derive(Debug, Clone, PartialEq, Default)]
//! pub struct Drawing(Vec<AnyShape>);
//!
//! let circle = AnyShape::Circle(Circle {
//!     shape: Shape { label: "disc".into() },
//!     radius: 2.0,
//!     edge: Flags::from(Edge::Dashed) | Edge::Bold,
//! });
//! let xml = indigo::serialization::to_fragment("Drawing", "urn:app", "urn:app", &Drawing(vec![circle]))?;
//! let xml = String::from_utf8(xml.xml.to_vec())?;
//! assert!(xml.contains(r#"<a:Item xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:b="urn:circles" i:type="b:Circle">"#));
//! assert!(xml.contains("<a:Label>disc</a:Label>"), "the base's members, in its namespace");
//! assert!(xml.contains("<b:Edge>Dashed Bold</b:Edge>"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ```
//! #[indigo::data_contract(namespace = "http://example.org/shop")]
//! #[derive(Debug, Clone, PartialEq, Default)]
//! pub struct Order {
//!     #[data_member(required)]
//!     id: i64,
//!     customer: String,
//!     #[data_member(emit_default = false)]
//!     rush: bool,
//! }
//!
//! #[indigo::service_contract(namespace = "http://example.org/orders/")]
//! pub trait Orders {
//!     #[operation]
//!     async fn place(&self, order: Order) -> i64;
//! }
//! ```
//!
//! # Faults
//!
//! An operation declared `-> Result<T, Fault<D>>` returns `Err(Fault::new(reason, detail))`
//! ([`Fault`]); the service sends a SOAP fault with `D` serialized as its detail, and the
//! generated client method returns `Err(CallError::Fault(..))` with the typed detail
//! ([`CallError`]). Every other failure of such a call is `CallError::Other(Error)`, and
//! operations without a declared fault return [`Error`] directly: a SOAP fault the contract
//! does not declare (or one the dispatcher sends: unknown action, terminated session, a panic
//! in the operation as `InternalServiceFault`) is `Error::Fault`.
//!
//! An operation declared `-> Result<T, Fault>` (no detail: WCF's plain `FaultException`)
//! returns `Err(Fault::untyped(reason))`, with `.with_code(..)` for a code and subcode; the
//! service sends a fault without detail under WS-Addressing's default fault action, and the
//! client returns `Err(CallError::Fault(..))` for it and for any other fault the service
//! sends, as a WCF client surfaces every SOAP fault as a `FaultException`. An error type that
//! is not a fault (`Result<T, String>`, an `io::Result<T>` alias) is a compile error: it
//! cannot travel in a reply.
//!
//! An operation with several fault details (WCF's `[FaultContract]` more than once) declares
//! an enum of them with [`fault_contracts`], each variant holding one [`data_contract`] type;
//! each detail goes out under the action WCF gives its type (`{Op}{Type}Fault`) and comes back
//! as its own variant:
//!
//! ```
//! use indigo::Fault;
//!
//! #[indigo::data_contract]
//! #[derive(Debug, Clone, PartialEq, Default)]
//! pub struct OutOfStock { product_id: i32 }
//!
//! #[indigo::data_contract]
//! #[derive(Debug, Clone, PartialEq, Default)]
//! pub struct StoreClosed { until: String }
//!
//! #[indigo::fault_contracts]
//! #[derive(Debug, Clone, PartialEq)]
//! pub enum ReserveFault {
//!     OutOfStock(OutOfStock),
//!     Closed(StoreClosed),
//! }
//!
//! #[indigo::service_contract]
//! pub trait Stock {
//!     #[operation]
//!     async fn reserve(&self, product_id: i32) -> Result<u32, Fault<ReserveFault>>;
//! }
//! ```
//!
//! `CallError<D>` converts into `Error` (the typed fault becomes `Error::DeclaredFault`, which
//! downcasts back to `Fault<D>`), so `?` works on every operation in a function returning
//! `Result<_, indigo::Error>`:
//!
//! ```
//! use indigo::{CallError, Error, Fault, MemoryBinding, ServiceHost};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Serialize, Deserialize)]
//! pub struct Overdrawn {
//!     pub missing: u64,
//! }
//!
//! #[indigo::service_contract]
//! pub trait Account {
//!     #[operation]
//!     async fn withdraw(&self, amount: u64) -> Result<u64, Fault<Overdrawn>>;
//! }
//!
//! struct Empty;
//!
//! impl Account for Empty {
//!     async fn withdraw(&self, amount: u64) -> Result<u64, Fault<Overdrawn>> {
//!         Err(Fault::new("insufficient funds", Overdrawn { missing: amount }))
//!     }
//! }
//!
//! async fn withdraw_twice(client: &AccountClient) -> Result<u64, Error> {
//!     Ok(client.withdraw(1).await? + client.withdraw(2).await?)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Error> {
//! let host = ServiceHost::builder(AccountContract::single(Empty))
//!     .endpoint(MemoryBinding::new(), "memory://account-doc")
//!     .open()
//!     .await?;
//! let client = AccountClient::connect(&MemoryBinding::new(), "memory://account-doc").await?;
//!
//! match client.withdraw(5).await {
//!     Err(CallError::Fault(fault)) => assert_eq!(fault.detail.missing, 5),
//!     other => panic!("expected the declared fault, got {other:?}"),
//! }
//! let Err(Error::DeclaredFault(fault)) = withdraw_twice(&client).await else {
//!     panic!("expected the declared fault");
//! };
//! assert_eq!(fault.downcast_ref::<Fault<Overdrawn>>().unwrap().detail.missing, 1);
//! host.close().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Instancing and concurrency
//!
//! The contract marker makes the [`Service`] to host:
//!
//! - `per_session(factory)` (WCF's default): one instance per client session, made at the
//!   session's first call and dropped when the session ends. Over a sessionless binding
//!   (HTTP) it behaves per call, as in WCF.
//! - `per_call(factory)`: a new instance for every call.
//! - `single(instance)`: one instance shared by every call of every session.
//!
//! The receiver of each method says how a call uses the instance: `&mut self` calls on one
//! instance run one at a time (WCF's `ConcurrencyMode.Single`), `&self` calls may overlap
//! (`ConcurrencyMode.Multiple`), so a service with any `&self` operation must be `Sync`. A
//! session's calls start in the order they arrive. [`ServiceThrottle`] limits calls, sessions
//! and instances host-wide (WCF's defaults); over a limit, work waits.
//!
//! The service enforces WCF's session rules at run time too, since its peer may not be Rust:
//! a first message for a non-initiating operation and an unknown action get WS-Addressing's
//! `ActionNotSupported` fault, a message after a terminating operation gets
//! `SessionTerminated` and ends the session.
//!
//! # Hosts and clients
//!
//! [`ServiceHost::builder`] hosts one service on any number of endpoints; `close` stops
//! accepting and lets running calls finish within the close timeout, `abort` (or dropping the
//! host) stops at once. A generated client follows WCF's lifecycle ([`CommunicationState`]):
//! `new` creates it without I/O and the first call (or `open`) opens it, `connect` does both;
//! `close` ends the session gracefully, `abort` or dropping it ends it at once. A client whose
//! service went away is `Faulted`, and calling it then is `Error::InvalidState`.
//!
//! ## Sharing a client between tasks
//!
//! A generated client is not `Clone`: it is one channel (one session, on a sessionful
//! binding). It is `Send` and `Sync`, and its operations take `&self` (except those that move a
//! `session = Required` client to another state: initiating operations on `Idle` and
//! terminating ones, which take `self`), so share it with an
//! [`Arc`](std::sync::Arc): calls from several tasks are in flight on the one channel at once,
//! each reply finding its request by its MessageID. To close it at the end, get it back with
//! `Arc::try_unwrap`, or simply drop the last `Arc` (which aborts it). Alternatively, let one
//! task own the client and send it requests over a channel.
//!
//! ```
//! use indigo::{MemoryBinding, ServiceHost};
//! use std::sync::Arc;
//!
//! #[indigo::service_contract]
//! pub trait Squares {
//!     #[operation]
//!     async fn square(&self, n: u32) -> u32;
//! }
//!
//! struct SquareService;
//!
//! impl Squares for SquareService {
//!     async fn square(&self, n: u32) -> u32 {
//!         n * n
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), indigo::Error> {
//! let host = ServiceHost::builder(SquaresContract::single(SquareService))
//!     .endpoint(MemoryBinding::new(), "memory://squares-doc")
//!     .open()
//!     .await?;
//!
//! let client = Arc::new(SquaresClient::connect(&MemoryBinding::new(), "memory://squares-doc").await?);
//! let tasks: Vec<_> = (1..=4)
//!     .map(|n| {
//!         let client = Arc::clone(&client);
//!         tokio::spawn(async move { client.square(n).await })
//!     })
//!     .collect();
//! let mut total = 0;
//! for task in tasks {
//!     total += task.await.expect("the task ran")?;
//! }
//! assert_eq!(total, 1 + 4 + 9 + 16);
//!
//! // Every task is done, so this is the last Arc: close the session gracefully.
//! Arc::try_unwrap(client).expect("no other owner").close().await?;
//! host.close().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Streamed transfer
//!
//! An operation whose only parameter, or whose result, is a [`ByteStream`] makes its contract
//! streamed (WCF's `TransferMode.Streamed`): every call goes over a net.tcp connection of its
//! own, sent and received chunk by chunk, and carries no session. See [`stream`].
#![cfg_attr(not(test), warn(clippy::unwrap_used))]
#![warn(missing_docs)]

pub mod binding;
mod callback;
pub(crate) mod channel;
pub mod client;
pub mod contract;
pub mod dotnet;
pub mod encoding;
mod error;
mod fault;
pub mod message;
pub mod metadata;
pub mod reliable;
pub mod security;
pub mod serialization;
pub mod service;
pub mod stream;
pub mod transport;
pub(crate) mod xml;

#[doc(hidden)]
pub mod __private;

#[doc(hidden)]
pub mod __internals;

#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod __fuzz;

pub use binding::{
    BasicHttpBinding, Binding, CustomBinding, MemoryBinding, MemoryDatagramBinding, NetTcpBinding,
    Timeouts, WsDualHttpBinding, WsHttpBinding,
};
pub use channel::CommunicationState;
pub use contract::{Contract, ContractDescription, OperationDescription, SessionMode};
pub use error::{CallError, Error};
pub use fault::Fault;
/// See the [crate documentation](crate#operation-keys) for the keys.
///
/// ```
/// #[indigo::service_contract(namespace = "urn:calc")]
/// pub trait Calculator {
///     #[operation(name = "Add", reply_action = "urn:calc/AddReply")]
///     async fn add(&self, a: f64, b: f64) -> f64;
///     #[operation(one_way)]
///     async fn log(&self, #[param(name = "Text")] text: String);
/// }
///
/// let add = &<CalculatorContract as indigo::Contract>::DESCRIPTION.operations[0];
/// assert_eq!(add.action, "urn:calc/Calculator/Add");
/// assert_eq!(add.reply_action, "urn:calc/AddReply");
/// let log = &<CalculatorContract as indigo::Contract>::DESCRIPTION.operations[1];
/// assert_eq!((log.name, log.is_one_way, log.parameters), ("Log", true, &["Text"][..]));
/// ```
#[doc(inline)]
pub use indigo_macros::operation;
/// See the [crate documentation](crate#contract-keys) for the keys, what is generated and a
/// complete example with a host and a client.
///
/// ```
/// use indigo::{ContractDescription, SessionMode};
///
/// #[indigo::service_contract(name = "ICounter", namespace = "http://example.org/", session = Required)]
/// pub trait Counter {
///     #[operation(initiating)]
///     async fn start(&mut self);
///     #[operation(initiating = false, terminating)]
///     async fn stop(&mut self) -> u32;
/// }
///
/// let description: &ContractDescription = <CounterContract as indigo::Contract>::DESCRIPTION;
/// assert_eq!(description.name, "ICounter");
/// assert_eq!(description.session_mode, SessionMode::Required);
/// assert_eq!(description.operations[1].action, "http://example.org/ICounter/Stop");
/// assert_eq!(description.operations[1].reply_action, "http://example.org/ICounter/StopResponse");
/// ```
#[doc(inline)]
pub use indigo_macros::service_contract;

/// Declares a struct or a unit enum as a data contract (WCF's `[DataContract]`): its name and
/// namespace, its members' wire names (PascalCase of the fields by default), order, `required`
/// and `emit_default`, and enum members' values. It implements serde's `Serialize` and
/// `Deserialize` (do not derive them) and [`DataContract`]. With `flags`, an enum is a C#
/// `[Flags]` enum (it implements [`FlagsContract`]; combinations are [`Flags<E>`](Flags));
/// with `known_types`, an enum of data contracts told apart by `i:type`; with `collection`,
/// a newtype over a list or a map is a `[CollectionDataContract]`.
///
/// See the [crate documentation](crate#data-contracts) for the keys.
///
/// ```
/// use indigo::DataContract;
///
/// #[indigo::data_contract(namespace = "http://example.org/shop")]
/// #[derive(Debug, Clone, PartialEq, Default)]
/// pub struct OrderLine {
///     #[data_member(required)]
///     product_id: i32,
///     #[data_member(emit_default = false)]
///     discount: f64,
///     #[data_member(name = "Qty", order = 1)]
///     quantity: u32,
/// }
///
/// #[indigo::data_contract(name = "Colour")]
/// #[derive(Debug, Clone, Copy, PartialEq)]
/// pub enum Color {
///     Red,
///     #[enum_member(value = "GRN")]
///     Green,
/// }
///
/// assert_eq!(OrderLine::NAME, "OrderLine");
/// assert_eq!(OrderLine::NAMESPACE, Some("http://example.org/shop"));
/// assert_eq!(Color::NAME, "Colour");
/// ```
#[doc(inline)]
pub use indigo_macros::data_contract;
#[doc(inline)]
pub use indigo_macros::fault_contracts;
pub use message::ReaderQuotas;
pub use reliable::Reliable;
pub use reliable::{ReliableMessagingVersion, ReliableSessionSettings, SettingsError};
pub use serialization::{DataContract, Flags, FlagsContract};
pub use service::{
    AddressFilterMode, InstanceContextMode, OperationContext, Service, ServiceHost, ServiceThrottle,
};
pub use stream::ByteStream;
