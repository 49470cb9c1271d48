//! The XML form of WS-ReliableMessaging 1.0 and 1.1 messages (reference `wcf-wsrm.md` §1, §2.2):
//! turns the sans-IO core's [`ProtocolMessage`](super::proto::ProtocolMessage)s into SOAP
//! [`Message`](crate::message::Message)s and back.
//!
//! * Writers ([`write_message`] and the per-element functions) produce what WCF produces: the
//!   `r` prefix for the WS-RM namespace, `netrm:BufferRemaining` after the ranges and `Final`,
//!   `mustUnderstand="1"` on `Sequence`, WS-RM 1.0 paired with WS-Addressing 1.0.
//! * Readers ([`read_message`] and the per-element functions) accept what real peers send:
//!   any URI as identifier, children in any order (gSOAP writes `Final` before the ranges),
//!   unknown extension elements and attributes skipped. Every number is bounded by the WS-RM
//!   maximum and an acknowledgement by 128 ranges; violations become a [`WsrmFault`] in
//!   [`WireError::Fault`] or another [`WireError`], never a panic.
//!
//! Addressing headers other than the Action (MessageID, ReplyTo, RelatesTo, To) are the
//! caller's business: the driver correlates requests and replies.

mod read;
pub(crate) mod scan;
mod typed;
mod write;

#[cfg(test)]
mod tests;

pub use read::read_message;
pub(crate) use typed::TypedHeaders;
pub use write::{into_message, sequence_fault_header, write_message};
// The per-element readers and writers, one per WS-RM element, for the unit tests.
#[cfg(test)]
use read::{read_ack_requested, read_acknowledgement, read_create_sequence, read_sequence_header};
#[cfg(test)]
use write::{acknowledgement_header, sequence_header};

use super::proto::SoapFaultCode;
use super::proto::{ReliableMessagingVersion, WsrmFault};
use crate::message::{ns, FaultCode, FaultCodeValue, MessageFault, XmlError};

/// WCF's namespace for `netrm:BufferRemaining` (and `ConnectionLimitReached`).
pub const NETRM_NAMESPACE: &str = super::proto::fault::NETRM_NAMESPACE;

/// The 1.0 action of the empty-bodied message that ends a sequence (WCF B1202).
pub const LAST_MESSAGE_ACTION_10: &str = "http://schemas.xmlsoap.org/ws/2005/02/rm/LastMessage";

/// The WS-RM protocol messages that have an action of their own (reference §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WsrmAction {
    /// `CreateSequence`.
    CreateSequence,
    /// `CreateSequenceResponse`.
    CreateSequenceResponse,
    /// `CloseSequence` (1.1 only).
    CloseSequence,
    /// `CloseSequenceResponse` (1.1 only).
    CloseSequenceResponse,
    /// `TerminateSequence`.
    TerminateSequence,
    /// `TerminateSequenceResponse` (1.1 only).
    TerminateSequenceResponse,
    /// The empty-bodied `LastMessage` (1.0 only).
    LastMessage,
    /// A standalone `SequenceAcknowledgement`.
    SequenceAcknowledgement,
    /// A standalone `AckRequested`.
    AckRequested,
    /// A WS-RM fault: 1.1's `.../fault`, 1.0's WS-Addressing 1.0 default fault action.
    Fault,
}

impl WsrmAction {
    const ALL: [WsrmAction; 10] = [
        WsrmAction::CreateSequence,
        WsrmAction::CreateSequenceResponse,
        WsrmAction::CloseSequence,
        WsrmAction::CloseSequenceResponse,
        WsrmAction::TerminateSequence,
        WsrmAction::TerminateSequenceResponse,
        WsrmAction::LastMessage,
        WsrmAction::SequenceAcknowledgement,
        WsrmAction::AckRequested,
        WsrmAction::Fault,
    ];

    /// The action URI in `version`, or `None` where the version has no such message.
    pub fn uri(self, version: ReliableMessagingVersion) -> Option<&'static str> {
        use ReliableMessagingVersion::{
            WsReliableMessaging11 as V11, WsReliableMessagingFebruary2005 as V10,
        };
        use WsrmAction::*;
        Some(match (self, version) {
            (CreateSequence, V10) => "http://schemas.xmlsoap.org/ws/2005/02/rm/CreateSequence",
            (CreateSequence, V11) => "http://docs.oasis-open.org/ws-rx/wsrm/200702/CreateSequence",
            (CreateSequenceResponse, V10) => {
                "http://schemas.xmlsoap.org/ws/2005/02/rm/CreateSequenceResponse"
            }
            (CreateSequenceResponse, V11) => {
                "http://docs.oasis-open.org/ws-rx/wsrm/200702/CreateSequenceResponse"
            }
            (CloseSequence, V11) => "http://docs.oasis-open.org/ws-rx/wsrm/200702/CloseSequence",
            (CloseSequenceResponse, V11) => {
                "http://docs.oasis-open.org/ws-rx/wsrm/200702/CloseSequenceResponse"
            }
            (TerminateSequence, V10) => {
                "http://schemas.xmlsoap.org/ws/2005/02/rm/TerminateSequence"
            }
            (TerminateSequence, V11) => {
                "http://docs.oasis-open.org/ws-rx/wsrm/200702/TerminateSequence"
            }
            (TerminateSequenceResponse, V11) => {
                "http://docs.oasis-open.org/ws-rx/wsrm/200702/TerminateSequenceResponse"
            }
            (LastMessage, V10) => LAST_MESSAGE_ACTION_10,
            (SequenceAcknowledgement, V10) => {
                "http://schemas.xmlsoap.org/ws/2005/02/rm/SequenceAcknowledgement"
            }
            (SequenceAcknowledgement, V11) => {
                "http://docs.oasis-open.org/ws-rx/wsrm/200702/SequenceAcknowledgement"
            }
            (AckRequested, V10) => "http://schemas.xmlsoap.org/ws/2005/02/rm/AckRequested",
            (AckRequested, V11) => "http://docs.oasis-open.org/ws-rx/wsrm/200702/AckRequested",
            // WCF's WsrmIndex.GetFaultActionString: 1.0 has no fault action of its own.
            (Fault, V10) => ns::WSA10_FAULT_ACTION,
            (Fault, V11) => "http://docs.oasis-open.org/ws-rx/wsrm/200702/fault",
            (CloseSequence | CloseSequenceResponse | TerminateSequenceResponse, V10)
            | (LastMessage, V11) => return None,
        })
    }

    /// The protocol message an action URI names in `version`. The 1.0 fault action is the
    /// generic WS-Addressing one, so it is not recognised here: faults are recognised by their
    /// subcode instead.
    pub fn from_uri(uri: &str, version: ReliableMessagingVersion) -> Option<WsrmAction> {
        WsrmAction::ALL
            .into_iter()
            .find(|a| (*a != WsrmAction::Fault || version.is_11()) && a.uri(version) == Some(uri))
    }
}

/// The fault a service answers an unusable message with (see [`WireError::answer`]).
#[derive(Debug, Clone, PartialEq)]
pub enum InvalidInputAnswer {
    /// A WS-RM fault.
    Wsrm(WsrmFault),
    /// A plain SOAP fault.
    Soap(MessageFault),
}

/// Why a WS-RM message could not be written or read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WireError {
    /// The XML is malformed or exceeds a reader quota.
    #[error("unreadable WS-RM XML: {0}")]
    Xml(#[from] XmlError),
    /// An element is missing, duplicated or has an unusable value.
    #[error("invalid WS-RM {element}: {reason}")]
    Invalid {
        /// The WS-RM element at fault.
        element: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The input violates the protocol in a way WS-RM answers with a fault
    /// (InvalidAcknowledgement, MessageNumberRollover): send it to the peer.
    #[error("WS-RM protocol violation: {0}")]
    Fault(WsrmFault),
    /// The message or element does not exist in this WS-RM version.
    #[error("{what} does not exist in {version:?}")]
    Unsupported {
        /// What was asked for.
        what: &'static str,
        /// The session's version.
        version: ReliableMessagingVersion,
    },
    /// The message is neither a WS-RM protocol message nor carries a `Sequence` header.
    #[error("not a WS-ReliableMessaging message (action `{action}`)")]
    NotReliableMessaging {
        /// The message's action.
        action: String,
    },
}

impl WireError {
    /// The WS-RM fault to answer the peer with, when the error is one.
    pub fn fault(&self) -> Option<&WsrmFault> {
        match self {
            WireError::Fault(fault) => Some(fault),
            _ => None,
        }
    }

    /// How a service answers a message it could not read as WS-RM, so that no invalid input
    /// goes unanswered (WCF's `WsrmMessageInfo.Get` turns each into a fault reply): the WS-RM
    /// fault the error names; WSRMRequired (1.1) or ActionNotSupported (1.0) for a message
    /// without WS-RM; a SOAP Sender fault naming the element for anything else (a
    /// MessageNumber of `0`, `-1` or `abc`, a duplicated header).
    pub fn answer(&self, version: ReliableMessagingVersion) -> InvalidInputAnswer {
        match self {
            WireError::Fault(fault) => InvalidInputAnswer::Wsrm(fault.clone()),
            WireError::NotReliableMessaging { .. } if version.is_11() => {
                InvalidInputAnswer::Wsrm(WsrmFault::WsrmRequired)
            }
            WireError::NotReliableMessaging { action } => {
                InvalidInputAnswer::Soap(MessageFault::action_not_supported(action))
            }
            // WS-RM has no subcode for a malformed header: a plain Sender fault, no
            // invented `wsrm:` subcode that the schemas would not know.
            other => InvalidInputAnswer::Soap(MessageFault::new(
                FaultCode {
                    value: FaultCodeValue::Sender,
                    subcodes: Vec::new(),
                },
                format!("The message is not a valid WS-ReliableMessaging message: {other}."),
            )),
        }
    }

    /// A CreateSequence that cannot be read is refused (Sender), with the reason.
    fn refusing_create_sequence(self) -> Self {
        match self {
            WireError::Fault(_) => self,
            other => WireError::Fault(WsrmFault::CreateSequenceRefused {
                code: SoapFaultCode::Sender,
                reason: format!("The CreateSequence request is invalid: {other}."),
                connection_limit_reached: false,
            }),
        }
    }

    fn invalid(element: &'static str, reason: impl Into<String>) -> Self {
        WireError::Invalid {
            element,
            reason: reason.into(),
        }
    }
}

/// The fuzzing hook of the header readers (`crate::__fuzz::wsrm`): whatever the fast path in
/// `scan` accepts, the general reader must read the same. Here because both are private.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn fast_path_agrees(
    version: ReliableMessagingVersion,
    fragment: &crate::message::XmlFragment,
    quotas: &crate::message::ReaderQuotas,
) {
    if let Some(fast) = scan::sequence_header(version, fragment, quotas) {
        assert_eq!(
            Ok(fast),
            read::general_sequence_header(version, fragment, quotas)
        );
    }
    if let Some(fast) = scan::acknowledgement(version, fragment, quotas) {
        assert_eq!(
            Ok(fast),
            read::general_acknowledgement(version, fragment, quotas)
        );
    }
    if let Some(fast) = scan::ack_requested(version, fragment, quotas) {
        assert_eq!(
            Ok(fast),
            read::general_ack_requested(version, fragment, quotas)
        );
    }
}

/// The check behind the binary reader's typed WS-RM headers (`encoding::binary::direct_read`),
/// for its tests and the fuzz target: a reliable session of either version reads `typed` (a
/// message whose headers that reader typed) as it reads `raw` (the same message read by the
/// text route): the same kind of message, the same WS-RM values and the same other headers
/// by name, or the same error.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn assert_typed_reads_as_raw(
    typed: &crate::message::Message,
    raw: &crate::message::Message,
    quotas: &crate::message::ReaderQuotas,
) {
    use crate::message::Message;
    use crate::reliable::proto::{ProtocolBody, ProtocolMessage};
    // Untyped again, the headers' text is the writer's, so other headers compare by name.
    let parts = |m: &ProtocolMessage<Message>| {
        let sequence = match &m.body {
            ProtocolBody::Sequence { header, payload } => Some((
                header.clone(),
                payload.as_ref().map(|p| {
                    p.headers
                        .other
                        .iter()
                        .map(|h| (h.name.clone(), h.must_understand))
                        .collect::<Vec<_>>()
                }),
            )),
            _ => None,
        };
        (
            m.kind(),
            m.acknowledgement.clone(),
            m.ack_requested.clone(),
            sequence,
        )
    };
    for version in [
        ReliableMessagingVersion::WsReliableMessagingFebruary2005,
        ReliableMessagingVersion::WsReliableMessaging11,
    ] {
        match (
            read_message(version, typed.clone(), quotas),
            read_message(version, raw.clone(), quotas),
        ) {
            (Ok(t), Ok(r)) => assert_eq!(parts(&t), parts(&r), "{version:?}"),
            (Err(t), Err(r)) => assert_eq!(t, r, "{version:?}"),
            (t, r) => panic!("{version:?}: typed {t:?} against raw {r:?}"),
        }
    }
}
