//! SOAP faults an operation declares: typed (`Err(Fault<D>)`, WCF's `FaultException<D>`) or
//! untyped (`Err(Fault)`, WCF's plain `FaultException`), and what a client receives.

use crate::message::{FaultCode, FaultCodeValue, MessageFault};
use std::fmt;

/// A SOAP fault an operation declares: with a typed detail, WCF's `FaultException<TDetail>`,
/// or without one (`Fault`, that is `Fault<()>`), WCF's plain `FaultException`.
///
/// An operation declared as `-> Result<T, Fault<D>>` returns `Err(Fault::new(reason, detail))`;
/// the service sends a SOAP fault whose detail element is `D` serialized in DataContract style,
/// and a generated client hands it back as `CallError::Fault(Fault<D>)`.
///
/// An operation declared as `-> Result<T, Fault>` returns `Err(Fault::untyped(reason))`
/// (optionally `.with_code(..)` for a subcode): the fault carries a code and a reason and no
/// detail, with WS-Addressing's default fault action, as WCF sends a `FaultException`. Its
/// client hands back *any* fault the service sends as `CallError::Fault(Fault)`, as a WCF
/// client surfaces every SOAP fault as a `FaultException`.
///
/// ```
/// use indigo::message::{FaultCode, QualifiedName};
/// use indigo::Fault;
///
/// let refused = Fault::untyped("The order is closed.").with_code(FaultCode::sender(
///     QualifiedName::new("urn:shop", "OrderClosed"),
/// ));
/// assert_eq!(refused.reason, "The order is closed.");
/// assert_eq!(refused.detail, ());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Fault<D = ()> {
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

impl Fault {
    /// A `Sender` fault without detail (WCF's `new FaultException(reason)`).
    pub fn untyped(reason: impl Into<String>) -> Self {
        Fault::new(reason, ())
    }
}

/// The reason, as WCF's `FaultException.Message`; the detail is the `detail` field.
impl<D> fmt::Display for Fault<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl<D: fmt::Debug> std::error::Error for Fault<D> {}

impl<D> From<Fault<D>> for MessageFault {
    /// Drops the detail: for logging and for paths that cannot serialize it.
    fn from(fault: Fault<D>) -> Self {
        MessageFault::new(fault.code, fault.reason)
    }
}
