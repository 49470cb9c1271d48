//! The errors clients and hosts report.

use crate::message::{MessageFault, XmlError};
use crate::transport::TransportError;
use crate::CommunicationState;
use std::sync::Arc;
use std::time::Duration;

/// The `: cause` part of a faulted object's message.
fn because(cause: &Option<Arc<Error>>) -> String {
    cause
        .as_ref()
        .map(|cause| format!(" ({cause})"))
        .unwrap_or_default()
}

/// An error from a client call or a host operation.
///
/// Operations declared `-> Result<T, Fault<D>>` return [`CallError<D>`] instead, which converts
/// into this type (so `?` works in a function returning `Result<_, indigo::Error>`); the typed
/// fault then arrives as [`Error::DeclaredFault`].
///
/// New variants may be added: match with a catch-all arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with a SOAP fault that the operation does not declare (or the
    /// dispatcher refused the message: unknown action, terminated session...).
    #[error("the service returned a fault: {0}")]
    Fault(Box<MessageFault>),
    /// The service returned a fault the operation declares (`-> Result<T, Fault<D>>`), converted
    /// from [`CallError::Fault`]. The box holds the [`Fault<D>`](crate::Fault) itself, detail
    /// included: get it back with `downcast_ref::<Fault<D>>()`.
    #[error("the service returned a declared fault: {0}")]
    DeclaredFault(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The operation did not complete within its timeout.
    #[error("the operation did not complete within {0:?}")]
    Timeout(Duration),
    /// A call did not complete within the deadline its caller gave it (see
    /// [`client::deadline`](crate::client::deadline)). Only that call failed: the session
    /// goes on.
    #[error("the call to {operation} did not complete within its deadline of {timeout:?}")]
    OperationTimeout {
        /// The operation called.
        operation: &'static str,
        /// The deadline it was given.
        timeout: Duration,
    },
    /// The transport failed or the peer went away.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A message could not be written or read.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The object is not in a state that allows the operation (for example, used after close).
    /// When it faulted, `cause` is the error that faulted it (an inactivity timeout, a broken
    /// connection...), also the [`source`](std::error::Error::source).
    #[error("cannot {operation}: the {object} is {state:?}{}", because(.cause))]
    #[non_exhaustive]
    InvalidState {
        /// What was attempted.
        operation: &'static str,
        /// What it was attempted on.
        object: &'static str,
        /// The state it was in.
        state: CommunicationState,
        /// What faulted it, when known.
        #[source]
        cause: Option<Arc<Error>>,
    },
    /// The peer broke the protocol (an unexpected reply, a reply without correlation...).
    #[error("protocol violation: {0}")]
    Protocol(String),
    /// The reliable session faulted (or could not open or close); the error says which
    /// timeout or rule ended it.
    #[error("the reliable session faulted: {0}")]
    ReliableSession(#[from] crate::reliable::proto::SessionError),
    /// The binding or address was rejected.
    #[error("invalid configuration: {0}")]
    Configuration(String),
    /// A one-way callback was refused at once because the client's session already has
    /// `limit` callbacks queued and the host refuses rather than waits
    /// (`WhenCallbackQueueFull::Refuse`): the client is not keeping up. Other sessions are
    /// unaffected; the service decides (skip this update, or drop the subscriber).
    #[error("the client's callback queue is full ({limit} queued): it is not keeping up")]
    CallbackQueueFull {
        /// The session's limit (`ServiceHostBuilder::callback_queue_limit`).
        limit: usize,
    },
}

/// The error of an operation declared `-> Result<T, Fault<D>>`: either the declared fault, or
/// anything else that can go wrong with a call.
#[derive(Debug, thiserror::Error)]
pub enum CallError<D: std::fmt::Debug> {
    /// The service returned the operation's declared fault.
    #[error("{0}")]
    Fault(Box<crate::Fault<D>>),
    /// Any other failure.
    #[error(transparent)]
    Other(#[from] Error),
}

impl<D> From<CallError<D>> for Error
where
    D: std::fmt::Debug + Send + Sync + 'static,
{
    /// [`CallError::Other`] is the error it holds; [`CallError::Fault`] becomes
    /// [`Error::DeclaredFault`], keeping the typed [`Fault<D>`](crate::Fault).
    fn from(error: CallError<D>) -> Self {
        match error {
            CallError::Fault(fault) => Error::DeclaredFault(fault),
            CallError::Other(error) => error,
        }
    }
}
