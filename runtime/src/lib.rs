//! Indigo: WCF-style service contracts, sessions and reliable messaging for Rust.
//!
//! Annotate a trait with [`service_contract`] and its methods with `#[operation]`; the macro
//! generates the trait for implementors, a `{Trait}Contract` marker (description, hosting
//! shortcuts), the dispatcher, and a typed `{Trait}Client`. Contracts with
//! `session = Required` get a typestate client: only initiating operations can start the session,
//! and terminating operations consume it.
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
//! session.add(40).await?;
//! session.add(2).await?;
//! assert_eq!(session.total().await?, 42); // consumes the session
//! host.close().await?;
//! # Ok(())
//! # }
//! ```
#![cfg_attr(not(test), warn(clippy::unwrap_used))]
#![warn(missing_docs)]

pub mod binding;
pub mod channel;
pub mod client;
pub mod contract;
pub mod encoding;
mod error;
mod fault;
pub mod message;
pub mod reliable;
pub mod serialization;
pub mod service;
pub mod stream;
pub mod transport;

#[doc(hidden)]
pub mod __private;

pub use binding::{
    BasicHttpBinding, Binding, CustomBinding, MemoryBinding, MemoryDatagramBinding, NetTcpBinding,
    Timeouts, WsHttpBinding,
};
pub use channel::CommunicationState;
pub use contract::{Contract, ContractDescription, OperationDescription, SessionMode};
pub use error::{CallError, Error};
pub use fault::Fault;
pub use indigo_macros::{operation, service_contract};
pub use service::{InstanceContextMode, OperationContext, Service, ServiceHost, ServiceThrottle};
pub use stream::ByteStream;
