//! Protocol messages to and from SOAP messages, with the WS-Addressing headers the wire layer
//! leaves to the driver: WCF requires MessageID and ReplyTo on CreateSequence, CloseSequence
//! and TerminateSequence, and RelatesTo on their responses (reference §1.6). Nothing is
//! encoded here: the inner binding's channels carry these messages and encode them.

use super::{new_id, Payload};
use crate::message::{ns, Message, MessageVersion, ReaderQuotas, XmlError};
use crate::reliable::proto::{ProtocolBody, ProtocolMessage, ReliableMessagingVersion};
use crate::reliable::wire::{self, WireError};

/// A control request whose response must carry its MessageID in RelatesTo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestKind {
    Create,
    Close,
    Terminate,
}

impl RequestKind {
    /// The kind of request `message` is, if any.
    pub(crate) fn of_request<T>(message: &ProtocolMessage<T>) -> Option<Self> {
        match message.body {
            ProtocolBody::CreateSequence(_) => Some(RequestKind::Create),
            ProtocolBody::CloseSequence(_) => Some(RequestKind::Close),
            ProtocolBody::TerminateSequence(_) => Some(RequestKind::Terminate),
            _ => None,
        }
    }

    /// The kind of request `message` answers, if any.
    pub(crate) fn of_response<T>(message: &ProtocolMessage<T>) -> Option<Self> {
        match message.body {
            ProtocolBody::CreateSequenceResponse(_) => Some(RequestKind::Create),
            ProtocolBody::CloseSequenceResponse(_) => Some(RequestKind::Close),
            ProtocolBody::TerminateSequenceResponse(_) => Some(RequestKind::Terminate),
            _ => None,
        }
    }
}

/// The MessageIDs of the last control requests of each kind, to answer them.
#[derive(Debug, Default)]
pub(crate) struct RequestIds {
    ids: [Option<String>; 3],
}

impl RequestIds {
    fn slot(kind: RequestKind) -> usize {
        kind as usize
    }

    /// Remembers the request's MessageID, if `message` is a control request.
    pub(crate) fn record<T>(&mut self, message: &ProtocolMessage<T>, id: Option<&String>) {
        if let (Some(kind), Some(id)) = (RequestKind::of_request(message), id) {
            self.ids[Self::slot(kind)] = Some(id.clone());
        }
    }

    /// Takes over what `other` recorded.
    pub(crate) fn merge(&mut self, other: RequestIds) {
        for (mine, theirs) in self.ids.iter_mut().zip(other.ids) {
            if theirs.is_some() {
                *mine = theirs;
            }
        }
    }

    /// The MessageID a response answers.
    pub(crate) fn answered_by<T>(&self, message: &ProtocolMessage<T>) -> Option<&str> {
        RequestKind::of_response(message).and_then(|k| self.ids[Self::slot(k)].as_deref())
    }
}

/// A received protocol message with the addressing the driver needs.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) message: ProtocolMessage<Payload>,
    pub(crate) message_id: Option<String>,
}

/// Why a received message is not a usable protocol message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IncomingError {
    #[error(transparent)]
    Unreadable(#[from] XmlError),
    #[error(transparent)]
    Wire(WireError),
}

/// Writes and reads one session's (or endpoint's) protocol messages.
#[derive(Debug, Clone)]
pub(crate) struct Codec {
    pub(crate) version: ReliableMessagingVersion,
    /// The envelope and addressing versions of the inner binding's messages.
    pub(crate) message_version: MessageVersion,
    /// The inner binding's limits, applied again to the bodies of WS-RM messages.
    quotas: ReaderQuotas,
}

impl Codec {
    pub(crate) fn new(
        version: ReliableMessagingVersion,
        message_version: MessageVersion,
        quotas: ReaderQuotas,
    ) -> Self {
        Codec {
            version,
            message_version,
            quotas,
        }
    }

    /// The SOAP message for `message`: requests get a MessageID and ReplyTo, responses (and
    /// faults) `relates_to`, and messages without a `To` get `to`.
    pub(crate) fn to_message(
        &self,
        message: ProtocolMessage<Payload>,
        to: Option<&str>,
        relates_to: Option<&str>,
    ) -> Result<Message, WireError> {
        let is_request = RequestKind::of_request(&message).is_some();
        // Unboxing moves the payload's fields, it does not copy the message.
        let message = message.map_payload(|payload| *payload);
        let mut out = wire::into_message(self.version, self.message_version, message)?;
        if is_request {
            out.headers.message_id = Some(new_id());
            out.headers.reply_to = Some(ns::WSA10_ANONYMOUS.to_owned());
        }
        if out.headers.relates_to.is_none() {
            out.headers.relates_to = relates_to.map(str::to_owned);
        }
        if out.headers.to.is_none() {
            out.headers.to = to.map(str::to_owned);
        }
        Ok(out)
    }

    /// [`to_message`](Self::to_message); logs and drops what cannot be written (a bug, not a
    /// peer's doing).
    pub(crate) fn message(
        &self,
        message: ProtocolMessage<Payload>,
        to: Option<&str>,
        relates_to: Option<&str>,
    ) -> Option<Message> {
        let kind = message.kind();
        match self.to_message(message, to, relates_to) {
            Ok(out) => Some(out),
            Err(e) => {
                tracing::error!(error = %e, kind, "cannot write a WS-RM message");
                None
            }
        }
    }

    /// Reads a received SOAP message as a protocol message.
    pub(crate) fn read(&self, message: Message) -> Result<Incoming, IncomingError> {
        let message_id = message.headers.message_id.clone();
        let message = wire::read_message(self.version, message, &self.quotas)
            .map_err(IncomingError::Wire)?
            .map_payload(Box::new);
        Ok(Incoming {
            message,
            message_id,
        })
    }
}

/// Requests and replies pair by MessageID and RelatesTo over a request-reply transport.
impl crate::reliable::proto::request_reply::Correlated for Message {
    fn message_id(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.headers
            .message_id
            .as_deref()
            .map(std::borrow::Cow::Borrowed)
    }
    fn relates_to(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.headers
            .relates_to
            .as_deref()
            .map(std::borrow::Cow::Borrowed)
    }
}
