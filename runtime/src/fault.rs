//! Typed SOAP faults: what an operation returns as `Err(Fault<D>)` and what a client receives.

use crate::message::{FaultCode, FaultCodeValue, MessageFault};
use std::fmt;

/// A SOAP fault with a typed detail, WCF's `FaultException<TDetail>`.
///
/// An operation declared as `-> Result<T, Fault<D>>` returns `Err(Fault::new(reason, detail))`;
/// the service sends a SOAP fault whose detail element is `D` serialized in DataContract style,
/// and a generated client hands it back as `CallError::Fault(Fault<D>)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault<D> {
    /// The fault's code (`Sender` unless set otherwise).
    pub code: FaultCode,
    /// The human-readable reason.
    pub reason: String,
    /// The typed detail.
    pub detail: D,
}

impl<D> Fault<D> {
    /// A `Sender` fault with the given reason and detail.
    pub fn new(reason: impl Into<String>, detail: D) -> Self {
        Fault {
            code: FaultCode {
                value: FaultCodeValue::Sender,
                subcodes: Vec::new(),
            },
            reason: reason.into(),
            detail,
        }
    }

    /// Replaces the code.
    pub fn with_code(mut self, code: FaultCode) -> Self {
        self.code = code;
        self
    }
}

impl<D: fmt::Debug> fmt::Display for Fault<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (detail: {:?})", self.reason, self.detail)
    }
}

impl<D: fmt::Debug> std::error::Error for Fault<D> {}

impl<D> From<Fault<D>> for MessageFault {
    /// Drops the detail: for logging and for paths that cannot serialize it.
    fn from(fault: Fault<D>) -> Self {
        MessageFault::new(fault.code, fault.reason)
    }
}
