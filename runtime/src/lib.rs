//! Indigo: WCF-style service contracts, sessions and reliable messaging for Rust.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]
#![warn(missing_docs)]

pub mod encoding;
mod fault;
pub mod message;
pub mod serialization;

pub use fault::Fault;
pub use indigo_macros::{operation, service_contract};
