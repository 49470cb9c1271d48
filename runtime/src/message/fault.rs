//! SOAP faults as they travel: code, subcodes, reason, detail; and the faults WCF's dispatcher
//! sends, with WCF's exact codes, actions and reasons so WCF clients recognise them.

use super::{ns, QualifiedName, XmlFragment};
use std::fmt;

/// The top-level SOAP fault code, named as in SOAP 1.2 (SOAP 1.1's Client and Server map to
/// Sender and Receiver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultCodeValue {
    /// The message was at fault (SOAP 1.1 `Client`).
    Sender,
    /// The receiver failed to process a good message (SOAP 1.1 `Server`).
    Receiver,
    /// The envelope version is not understood.
    VersionMismatch,
    /// A `mustUnderstand` header was not understood.
    MustUnderstand,
    /// SOAP 1.2 `DataEncodingUnknown`.
    DataEncodingUnknown,
    /// A code outside the SOAP envelope namespace (SOAP 1.1 allows these).
    Other(QualifiedName),
}

/// A fault code with its chain of subcodes (outermost first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultCode {
    /// The top-level code.
    pub value: FaultCodeValue,
    /// Subcodes, outermost first (SOAP 1.1 carries only the innermost, as `faultcode`).
    pub subcodes: Vec<QualifiedName>,
}

impl FaultCode {
    /// A `Sender` code with one subcode.
    pub fn sender(subcode: QualifiedName) -> Self {
        FaultCode {
            value: FaultCodeValue::Sender,
            subcodes: vec![subcode],
        }
    }

    /// A `Receiver` code with one subcode.
    pub fn receiver(subcode: QualifiedName) -> Self {
        FaultCode {
            value: FaultCodeValue::Receiver,
            subcodes: vec![subcode],
        }
    }

    /// The innermost subcode, if any.
    pub fn subcode(&self) -> Option<&QualifiedName> {
        self.subcodes.last()
    }
}

/// A SOAP fault as carried in a message body.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageFault {
    /// Code and subcodes.
    pub code: FaultCode,
    /// The human-readable reason (the first translation).
    pub reason: String,
    /// The `xml:lang` of the reason.
    pub reason_lang: String,
    /// SOAP 1.2 `Node` / SOAP 1.1 `faultactor`, if any.
    pub node: Option<String>,
    /// The detail's content: the detail element's children, if any.
    pub detail: Option<XmlFragment>,
}

/// WCF's reason text for a message whose action matches no operation of the endpoint.
fn contract_filter_mismatch_reason(action: &str) -> String {
    format!(
        "The message with Action '{action}' cannot be processed at the receiver, due to a \
         ContractFilter mismatch at the EndpointDispatcher. This may be because of either a \
         contract mismatch (mismatched Actions between sender and receiver) or a binding/security \
         mismatch between the sender and the receiver.  Check that sender and receiver have the \
         same contract and the same binding (including security requirements, e.g. Message, \
         Transport, None)."
    )
}

const SESSION_TERMINATED_REASON: &str = "An operation marked as IsTerminating has already been \
     invoked on this channel, causing the channel's connection to terminate.  No more operations \
     may be invoked on this channel. Please re-create the channel to continue communication.";

impl MessageFault {
    /// A fault with the given code and reason, no detail, reason in `en-US`.
    pub fn new(code: FaultCode, reason: impl Into<String>) -> Self {
        MessageFault {
            code,
            reason: reason.into(),
            reason_lang: "en-US".to_owned(),
            node: None,
            detail: None,
        }
    }

    /// WS-Addressing's `ActionNotSupported`, as WCF sends for an unknown action or a
    /// non-initiating operation at the start of a session (ContractFilter mismatch).
    pub fn action_not_supported(action: &str) -> Self {
        MessageFault::new(
            FaultCode::sender(QualifiedName::new(ns::WSA10, "ActionNotSupported")),
            contract_filter_mismatch_reason(action),
        )
    }

    /// SOAP's `MustUnderstand`: the message carries a header marked `mustUnderstand` that the
    /// service does not process, with WCF's reason.
    pub fn must_understand(header: &QualifiedName) -> Self {
        MessageFault::new(
            FaultCode {
                value: FaultCodeValue::MustUnderstand,
                subcodes: Vec::new(),
            },
            format!(
                "The header '{}' from the namespace '{}' was not understood by the recipient of \
                 this message, causing the message to not be processed.  This error typically \
                 indicates that the sender of this message has enabled a communication protocol \
                 that the receiver cannot process.  Please ensure that the configuration of the \
                 client's binding is consistent with the service's binding. ",
                header.local, header.namespace
            ),
        )
    }

    /// WS-Addressing's `MessageAddressingHeaderRequired`: a message without an Action where
    /// WS-Addressing is in use.
    pub fn addressing_header_required(header: &str) -> Self {
        MessageFault::new(
            FaultCode::sender(QualifiedName::new(
                ns::WSA10,
                "MessageAddressingHeaderRequired",
            )),
            format!(
                "A required header representing a Message Addressing Property is not present: \
                 {header}"
            ),
        )
    }

    /// WS-Addressing's `DestinationUnreachable`: the message's `To` is not the endpoint's
    /// address (WCF's AddressFilter mismatch), with WCF's reason.
    pub fn destination_unreachable(to: &str) -> Self {
        MessageFault::new(
            FaultCode::sender(QualifiedName::new(ns::WSA10, "DestinationUnreachable")),
            format!(
                "The message with To '{to}' cannot be processed at the receiver, due to an \
                 AddressFilter mismatch at the EndpointDispatcher.  Check that the sender and \
                 receiver's EndpointAddresses agree."
            ),
        )
    }

    /// A message that exceeds a reader quota (depth, string length, array length).
    pub fn quota_exceeded(reason: impl Into<String>) -> Self {
        MessageFault::new(
            FaultCode::sender(QualifiedName::new(ns::WCF_DISPATCHER, "QuotaExceeded")),
            reason,
        )
    }

    /// The fault for a message (or part of one) that could not be read.
    pub fn unreadable(error: &super::XmlError, what: &str) -> Self {
        match error {
            super::XmlError::QuotaExceeded(_) => {
                MessageFault::quota_exceeded(format!("{what} exceeds a reader quota: {error}"))
            }
            _ => MessageFault::deserialization_failed(format!("{what} could not be read: {error}")),
        }
    }

    /// WCF's `SessionTerminated`: a message arrived after a terminating operation.
    pub fn session_terminated() -> Self {
        MessageFault::new(
            FaultCode::sender(QualifiedName::new(ns::WCF_DISPATCHER, "SessionTerminated")),
            SESSION_TERMINATED_REASON,
        )
    }

    /// WCF's answer when the service's authorization refuses a call
    /// (`SecurityAccessDeniedException` at the client): `Sender`, subcode WS-Security's
    /// `FailedAuthentication`, "Access is denied.".
    pub fn access_denied() -> Self {
        MessageFault::new(
            FaultCode::sender(QualifiedName::new(ns::WSSE, "FailedAuthentication")),
            "Access is denied.",
        )
    }

    /// WCF's fault of last resort for a failure inside the service (a panic in Rust).
    pub fn internal_service_fault() -> Self {
        MessageFault::new(
            FaultCode::receiver(QualifiedName::new(
                ns::WCF_DISPATCHER,
                "InternalServiceFault",
            )),
            "The server was unable to process the request due to an internal error.",
        )
    }

    /// A `Sender` fault for a message the service could not read (bad body, wrong wrapper).
    pub fn deserialization_failed(reason: impl Into<String>) -> Self {
        MessageFault::new(
            FaultCode::sender(QualifiedName::new(
                ns::WCF_DISPATCHER,
                "DeserializationFailed",
            )),
            reason,
        )
    }

    /// The action a reply carrying this fault gets when no operation-specific action applies:
    /// WS-Addressing's own fault action for addressing faults, WCF's dispatcher fault action for
    /// dispatcher faults, the default SOAP fault action otherwise.
    pub fn default_action(&self) -> &'static str {
        match self.code.subcode() {
            Some(sub) if sub.namespace == ns::WSA10 => ns::WSA10_ADDRESSING_FAULT_ACTION,
            Some(sub) if sub.namespace == ns::WCF_DISPATCHER => ns::WCF_DISPATCHER_FAULT_ACTION,
            _ => ns::WSA10_FAULT_ACTION,
        }
    }

    /// Whether the innermost subcode is `local` in `namespace`.
    pub fn has_subcode(&self, namespace: &str, local: &str) -> bool {
        self.code.subcode().is_some_and(|s| s.is(namespace, local))
    }
}

impl fmt::Display for MessageFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code.subcode() {
            Some(sub) => write!(f, "{} ({})", self.reason, sub.local),
            None => f.write_str(&self.reason),
        }
    }
}
