//! WS-RM protocol messages as Rust values (reference §1.2, §1.3). No XML here: the encoder
//! maps these to and from envelopes, choosing the action URI from the body and the version.
//!
//! Identifiers are URIs kept as `String`; message numbers are `u64`. Application payloads are
//! an opaque `T` (a buffered message, an id...): the core never looks inside, it only clones
//! them for retransmission, so `T` should be cheap to clone.

use super::fault::WsrmFault;
use super::ranges::AckRange;

/// The WS-Addressing 1.0 anonymous address, WCF's `AcksTo` for a non-addressable client.
pub const ANONYMOUS_ADDRESS: &str = "http://www.w3.org/2005/08/addressing/anonymous";

/// WS-RM 1.1 `IncompleteSequenceBehavior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncompleteSequenceBehavior {
    /// Discard the whole sequence if it is incomplete.
    DiscardEntireSequence,
    /// Discard messages after the first gap (WCF sends this when Ordered).
    DiscardFollowingFirstGap,
    /// Discard nothing (WCF sends this when unordered).
    NoDiscard,
}

/// `wsrm:Offer` inside CreateSequence: the sequence the initiator offers for the other direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The offered sequence's identifier.
    pub identifier: String,
    /// 1.1 only (required there): where the responder sends messages of the offered sequence.
    pub endpoint: Option<String>,
    /// `Expires`, kept lexically (`xs:duration`); WCF never sends it.
    pub expires: Option<String>,
    /// 1.1 only.
    pub incomplete_sequence_behavior: Option<IncompleteSequenceBehavior>,
}

/// `wsrm:CreateSequence`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSequence {
    /// `AcksTo` address: where acknowledgements for the new sequence go.
    pub acks_to: String,
    /// `Expires`, kept lexically; WCF's initiator never sends it and a 1.1 responder echoes it.
    pub expires: Option<String>,
    /// The offered return sequence (duplex and request-reply).
    pub offer: Option<Offer>,
}

/// `wsrm:Accept` inside CreateSequenceResponse: the responder accepts the offered sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accept {
    /// Where acknowledgements for the offered sequence go.
    pub acks_to: String,
}

/// `wsrm:CreateSequenceResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSequenceResponse {
    /// The new sequence's identifier (chosen by the responder).
    pub identifier: String,
    /// `Expires` (1.1 responder echoes the request's).
    pub expires: Option<String>,
    /// 1.1 only.
    pub incomplete_sequence_behavior: Option<IncompleteSequenceBehavior>,
    /// Present when the offered sequence is accepted.
    pub accept: Option<Accept>,
}

/// The `wsrm:Sequence` header of a sequence message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceHeader {
    /// The sequence.
    pub identifier: String,
    /// The message's number, 1-based.
    pub message_number: u64,
    /// 1.0 only: the `LastMessage` marker.
    pub last_message: bool,
}

/// The `wsrm:SequenceAcknowledgement` header, standalone or piggy-backed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SequenceAcknowledgement {
    /// The acknowledged sequence.
    pub identifier: String,
    /// `AcknowledgementRange`s. Empty means nothing received: the encoder writes `0-0` in 1.0
    /// (WCF B1402) and `wsrm:None` in 1.1.
    pub ranges: Vec<AckRange>,
    /// 1.1 `wsrm:Final`: the destination accepts no further message.
    pub is_final: bool,
    /// `wsrm:Nack`s. WCF never sends them and ignores them; so does Indigo.
    pub nacks: Vec<u64>,
    /// WCF's `netrm:BufferRemaining` flow-control extension (reference §2.2).
    pub buffer_remaining: Option<u32>,
}

/// The `wsrm:AckRequested` header, standalone or piggy-backed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckRequested {
    /// The sequence whose acknowledgement is wanted.
    pub identifier: String,
    /// 1.0 `MessageNumber`/`MaxMessageNumberUsed`: accepted, never sent, value ignored (as WCF).
    pub message_number: Option<u64>,
}

/// 1.1 `wsrm:CloseSequence`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseSequence {
    /// The sequence to close.
    pub identifier: String,
    /// The number of the last message sent, if any.
    pub last_msg_number: Option<u64>,
}

/// `wsrm:TerminateSequence`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminateSequence {
    /// The sequence to terminate.
    pub identifier: String,
    /// 1.1 only: the number of the last message sent, if any.
    pub last_msg_number: Option<u64>,
}

/// The body of a protocol message: what decides its action URI.
#[derive(Debug, Clone, PartialEq)]
pub enum ProtocolBody<T> {
    /// No body of its own: a standalone SequenceAcknowledgement (action
    /// `.../SequenceAcknowledgement`) or, with only `ack_requested`, a standalone AckRequested.
    Empty,
    /// CreateSequence.
    CreateSequence(CreateSequence),
    /// CreateSequenceResponse.
    CreateSequenceResponse(CreateSequenceResponse),
    /// An application message with its Sequence header. `payload: None` is WCF's empty-bodied
    /// 1.0 LastMessage message (action `.../LastMessage`, `header.last_message` set).
    Sequence {
        /// The Sequence header.
        header: SequenceHeader,
        /// The application message, opaque to the core.
        payload: Option<T>,
    },
    /// 1.1 CloseSequence.
    CloseSequence(CloseSequence),
    /// 1.1 CloseSequenceResponse (identifier).
    CloseSequenceResponse(String),
    /// TerminateSequence.
    TerminateSequence(TerminateSequence),
    /// 1.1 TerminateSequenceResponse (identifier).
    TerminateSequenceResponse(String),
    /// A WS-RM fault.
    Fault(WsrmFault),
}

/// One WS-RM message: a body plus the headers that may ride on any message.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolMessage<T> {
    /// What the message is.
    pub body: ProtocolBody<T>,
    /// A piggy-backed (or, with `ProtocolBody::Empty`, standalone) SequenceAcknowledgement.
    pub acknowledgement: Option<SequenceAcknowledgement>,
    /// A piggy-backed (or standalone) AckRequested.
    pub ack_requested: Option<AckRequested>,
}

impl<T> ProtocolMessage<T> {
    /// A message with only a body.
    pub fn new(body: ProtocolBody<T>) -> Self {
        ProtocolMessage {
            body,
            acknowledgement: None,
            ack_requested: None,
        }
    }

    /// A standalone SequenceAcknowledgement.
    pub fn acknowledgement(ack: SequenceAcknowledgement) -> Self {
        ProtocolMessage {
            body: ProtocolBody::Empty,
            acknowledgement: Some(ack),
            ack_requested: None,
        }
    }

    /// A standalone AckRequested for `identifier`.
    pub fn ack_requested(identifier: impl Into<String>) -> Self {
        ProtocolMessage {
            body: ProtocolBody::Empty,
            acknowledgement: None,
            ack_requested: Some(AckRequested {
                identifier: identifier.into(),
                message_number: None,
            }),
        }
    }

    /// A fault message.
    pub fn fault(fault: WsrmFault) -> Self {
        ProtocolMessage::new(ProtocolBody::Fault(fault))
    }

    /// The sequence identifier the body refers to, if any.
    pub fn body_identifier(&self) -> Option<&str> {
        match &self.body {
            ProtocolBody::Empty | ProtocolBody::CreateSequence(_) => None,
            ProtocolBody::CreateSequenceResponse(r) => Some(&r.identifier),
            ProtocolBody::Sequence { header, .. } => Some(&header.identifier),
            ProtocolBody::CloseSequence(c) => Some(&c.identifier),
            ProtocolBody::CloseSequenceResponse(id)
            | ProtocolBody::TerminateSequenceResponse(id) => Some(id),
            ProtocolBody::TerminateSequence(t) => Some(&t.identifier),
            ProtocolBody::Fault(f) => f.identifier(),
        }
    }

    /// The same message with its application payload (if any) passed through `f`; the
    /// driver boxes payloads this way (see [`ProtocolBody::Sequence`]).
    pub fn map_payload<U>(self, f: impl FnOnce(T) -> U) -> ProtocolMessage<U> {
        let body = match self.body {
            ProtocolBody::Empty => ProtocolBody::Empty,
            ProtocolBody::CreateSequence(c) => ProtocolBody::CreateSequence(c),
            ProtocolBody::CreateSequenceResponse(r) => ProtocolBody::CreateSequenceResponse(r),
            ProtocolBody::Sequence { header, payload } => ProtocolBody::Sequence {
                header,
                payload: payload.map(f),
            },
            ProtocolBody::CloseSequence(c) => ProtocolBody::CloseSequence(c),
            ProtocolBody::CloseSequenceResponse(id) => ProtocolBody::CloseSequenceResponse(id),
            ProtocolBody::TerminateSequence(t) => ProtocolBody::TerminateSequence(t),
            ProtocolBody::TerminateSequenceResponse(id) => {
                ProtocolBody::TerminateSequenceResponse(id)
            }
            ProtocolBody::Fault(fault) => ProtocolBody::Fault(fault),
        };
        ProtocolMessage {
            body,
            acknowledgement: self.acknowledgement,
            ack_requested: self.ack_requested,
        }
    }

    /// A short name for logs and errors.
    pub fn kind(&self) -> &'static str {
        match &self.body {
            ProtocolBody::Empty if self.acknowledgement.is_some() => "SequenceAcknowledgement",
            ProtocolBody::Empty if self.ack_requested.is_some() => "AckRequested",
            ProtocolBody::Empty => "Empty",
            ProtocolBody::CreateSequence(_) => "CreateSequence",
            ProtocolBody::CreateSequenceResponse(_) => "CreateSequenceResponse",
            ProtocolBody::Sequence { payload: None, .. } => "LastMessage",
            ProtocolBody::Sequence { .. } => "Sequence",
            ProtocolBody::CloseSequence(_) => "CloseSequence",
            ProtocolBody::CloseSequenceResponse(_) => "CloseSequenceResponse",
            ProtocolBody::TerminateSequence(_) => "TerminateSequence",
            ProtocolBody::TerminateSequenceResponse(_) => "TerminateSequenceResponse",
            ProtocolBody::Fault(_) => "Fault",
        }
    }
}
