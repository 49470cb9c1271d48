//! Client-side API beyond the generated clients themselves: per-call deadlines and the
//! typestate markers of `session = Required` clients. (The runtime each generated client wraps,
//! one client session, is crate plumbing reached through `indigo::__private`.)
//!
//! # Deadlines
//!
//! A call may be given a deadline of its own with [`deadline`], and a client a deadline for
//! each of its calls with its `with_operation_timeout`. A call past its deadline fails with
//! [`Error::OperationTimeout`](crate::Error::OperationTimeout); only that call fails, and the session goes on. Dropping a
//! call's future (under `tokio::time::timeout`, in a `select!`) is just as safe: a message is
//! sent whole or not at all, and a reply that comes too late is discarded.
//!
//! ```
//! use indigo::{Error, MemoryBinding, ServiceHost};
//! use std::time::Duration;
//!
//! #[indigo::service_contract(session = Required)]
//! pub trait Oracle {
//!     #[operation(initiating)]
//!     async fn ask(&mut self, think_ms: u64) -> u64;
//! }
//!
//! struct Slow;
//!
//! impl Oracle for Slow {
//!     async fn ask(&mut self, think_ms: u64) -> u64 {
//!         tokio::time::sleep(Duration::from_millis(think_ms)).await;
//!         42
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Error> {
//! let host = ServiceHost::builder(OracleContract::per_session(|| Slow))
//!     .endpoint(MemoryBinding::new(), "memory://oracle-doc")
//!     .open()
//!     .await?;
//! // Every call of this client gets two seconds...
//! let client = OracleClient::connect(&MemoryBinding::new(), "memory://oracle-doc")
//!     .await?
//!     .with_operation_timeout(Duration::from_secs(2));
//! let (session, answer) = client.ask(0).await?;
//! assert_eq!(answer, 42);
//!
//! // ...and this one 20 ms.
//! let late = indigo::client::deadline(Duration::from_millis(20), session.ask(300)).await;
//! assert!(matches!(
//!     late,
//!     Err(Error::OperationTimeout { operation: "Ask", .. })
//! ));
//! // The session goes on. (This service takes one call at a time, so it answers once it has
//! // finished thinking about the abandoned one.)
//! assert_eq!(session.ask(0).await?, 42);
//! session.close().await?;
//! host.close().await?;
//! # Ok(())
//! # }
//! ```

mod channel;
pub(crate) mod runtime;

use std::future::Future;
use std::time::Duration;

tokio::task_local! {
    /// The deadline [`deadline`] gives the calls made while its future runs.
    static CALL_TIMEOUT: Duration;
}

/// Runs `call` (a call of a generated client) with a deadline of `timeout`: past it, the call
/// fails with [`Error::OperationTimeout`](crate::Error::OperationTimeout) (inside
/// [`CallError::Other`](crate::CallError::Other) for an operation with a
/// declared fault), and the session stays usable. This overrides the client's own
/// `with_operation_timeout` for this call. The call is still bounded by the binding's send
/// timeout too; stream operations take no deadline.
///
/// The deadline reaches the calls `call` makes on its own task: not those of tasks it spawns.
pub async fn deadline<F: Future>(timeout: Duration, call: F) -> F::Output {
    CALL_TIMEOUT.scope(timeout, call).await
}

/// Typestate of a `session = Required` client before its first (initiating) call: only
/// initiating operations can be called, and each returns the client in the [`Active`] state.
#[derive(Debug, Clone, Copy)]
pub enum Idle {}

/// Typestate of a `session = Required` client whose session has started: every operation can be
/// called; a terminating operation consumes the client.
#[derive(Debug, Clone, Copy)]
pub enum Active {}
