//! Indigo: WCF-style service contracts, sessions and reliable messaging for Rust.
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
pub mod serialization;
pub mod service;
pub mod transport;

#[doc(hidden)]
pub mod __private;

pub use binding::{Binding, MemoryBinding, MemoryDatagramBinding, Timeouts};
pub use channel::CommunicationState;
pub use contract::{Contract, ContractDescription, OperationDescription, SessionMode};
pub use error::{CallError, Error};
pub use fault::Fault;
pub use indigo_macros::{operation, service_contract};
pub use service::{InstanceContextMode, Service, ServiceHost};
