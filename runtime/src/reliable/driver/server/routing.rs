//! Where messages go. Input from the inner binding is read and given to the listener, which says whose
//! session it is (or answers it itself); each session's output follows the [`Route`] it was
//! last heard on. Apart from the sessions' own bookkeeping because this is where a client that
//! reconnects moves its session onto the new connection, and where input that is no usable
//! protocol message is refused.

use super::super::app;
use super::super::envelope::{Incoming, IncomingError, RequestIds};
use super::hub::Hub;
use super::slots::Slot;
use super::HubEvent;
use crate::message::{Message, MessageFault};
use crate::reliable::proto::{ProtocolMessage, Routing, SessionKey};
use crate::reliable::wire::InvalidInputAnswer;
use std::collections::VecDeque;
use tracing::{debug, warn};

/// Where a session's output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    Connection(u64),
    Http,
}

impl Hub {
    pub(super) fn on_event(&mut self, event: HubEvent) {
        match event {
            HubEvent::Connected(id, out, identity) => {
                self.connections.insert(id, out);
                if !identity.is_anonymous() {
                    self.identities.insert(id, identity);
                }
            }
            HubEvent::Disconnected(id) => {
                self.connections.remove(&id);
                self.identities.remove(&id);
            }
            HubEvent::Message(id, message) => {
                let mut message_id = None;
                match message.map_err(IncomingError::from).and_then(|message| {
                    message_id.clone_from(&message.headers.message_id);
                    self.codec.read(*message)
                }) {
                    Ok(incoming) => {
                        let identity = self.identities.get(&id).cloned().unwrap_or_default();
                        self.on_input(Route::Connection(id), incoming, identity);
                    }
                    Err(e) => {
                        if let Some(reply) = self.refusal(e, message_id.as_deref()) {
                            self.send_on(Route::Connection(id), reply);
                        }
                    }
                }
            }
            HubEvent::Exchange(exchange) => self.on_exchange(exchange),
        }
    }

    /// The answer to a message that is no usable protocol message, if it gets one.
    pub(super) fn refusal(
        &self,
        error: IncomingError,
        relates_to: Option<&str>,
    ) -> Option<Message> {
        match error {
            IncomingError::Unreadable(e) => {
                warn!(error = %e, "unreadable message on a reliable endpoint");
                let fault = MessageFault::unreadable(&e, "The message");
                Some(self.fault_message(fault, relates_to))
            }
            IncomingError::Wire(e) => {
                warn!(error = %e, "unusable WS-RM message");
                match e.answer(self.codec.version) {
                    InvalidInputAnswer::Wsrm(fault) => {
                        self.codec
                            .message(ProtocolMessage::fault(fault), None, relates_to)
                    }
                    InvalidInputAnswer::Soap(fault) => Some(self.fault_message(fault, relates_to)),
                }
            }
        }
    }

    fn fault_message(&self, fault: MessageFault, relates_to: Option<&str>) -> Message {
        let action = fault.default_action().to_owned();
        let mut message = Message::new(
            self.codec.message_version,
            action,
            crate::message::Body::Fault(fault),
        );
        message.headers.relates_to = relates_to.map(str::to_owned);
        message
    }

    /// Takes one input message from `route`, whose transport authenticated its sender as
    /// `identity`.
    pub(super) fn on_input(
        &mut self,
        route: Route,
        incoming: Incoming,
        identity: crate::security::CallerIdentity,
    ) -> InputOutcome {
        let Incoming {
            message,
            message_id,
        } = incoming;
        tracing::trace!(kind = message.kind(), ?route, "service receives");
        // A session is bound to the identity that created it: a message for it from anyone
        // else (another client's connection, or none) is refused before the session sees it.
        if let Some(key) = self.listener.session_of(&message) {
            let owner = self.sessions.get(&key).map(|slot| &slot.owner);
            if owner.is_some_and(|owner| *owner != identity) {
                warn!(
                    ?route,
                    caller = %identity.name(),
                    "a message for a reliable session from another identity than its creator's; refused"
                );
                let fault = MessageFault::new(
                    // WS-Security's fault for a message whose security is not acceptable.
                    crate::message::FaultCode::sender(crate::message::QualifiedName::new(
                        crate::message::ns::WSSE,
                        "InvalidSecurity",
                    )),
                    "The message is for a reliable session that another client identity created.",
                );
                let refusal = self.fault_message(fault, message_id.as_deref());
                if route == Route::Http {
                    return InputOutcome::Answer(Box::new(refusal));
                }
                self.send_on(route, refusal);
                return InputOutcome::Done;
            }
        }
        let mut requests = RequestIds::default();
        requests.record(&message, message_id.as_ref());
        let now = self.clock.now();
        let dispatch = if route == Route::Http {
            self.listener.handle_request(now, message)
        } else {
            self.listener.handle_input(now, message)
        };
        match dispatch {
            Routing::Created(key) => {
                // WCF's session id of a reliable session is its inbound sequence's identifier.
                let session_id = self
                    .listener
                    .session(key)
                    .and_then(|session| session.input_identifier())
                    .map(str::to_owned);
                let (channel, deliver) = app::channel(
                    key,
                    self.commands_tx.clone(),
                    self.address.clone(),
                    session_id,
                    identity.clone(),
                );
                self.sessions.insert(
                    key,
                    Slot {
                        route: Some(route),
                        deliver: Some(deliver),
                        channel: Some(channel),
                        waiting: VecDeque::new(),
                        closing: Vec::new(),
                        requests,
                        responder: None,
                        owner: identity,
                    },
                );
                InputOutcome::Session(key)
            }
            Routing::Session(key) => {
                let mut moved = false;
                if let Some(slot) = self.sessions.get_mut(&key) {
                    // The client reconnected: its session now speaks on another connection.
                    moved = matches!(
                        (slot.route, route),
                        (Some(Route::Connection(old)), Route::Connection(new)) if old != new
                    );
                    slot.route = Some(route);
                    slot.requests.merge(requests);
                }
                if moved {
                    // What was sent on the old connection may be lost with it: re-send the
                    // unacknowledged output on the new one now, as the client does on its
                    // side, instead of at the next retransmission timer (backed off by
                    // every send lost on the dead connection), which under frequent cuts
                    // left a reply, a terminating one included, undelivered for a minute.
                    if let Some(session) = self.listener.session_mut(key) {
                        session.transport_restored(now);
                    }
                }
                InputOutcome::Session(key)
            }
            Routing::Reply(reply) if route == Route::Http => {
                match self.codec.message(*reply, None, message_id.as_deref()) {
                    Some(fault) => InputOutcome::Answer(Box::new(fault)),
                    None => InputOutcome::Done,
                }
            }
            Routing::Reply(reply) => {
                if let Some(out) = self.codec.message(*reply, None, message_id.as_deref()) {
                    self.send_on(route, out);
                }
                InputOutcome::Done
            }
            Routing::Ignored => InputOutcome::Done,
        }
    }

    pub(super) fn send_on(&mut self, route: Route, message: Message) {
        match route {
            Route::Connection(id) => {
                if let Some(out) = self.connections.get_mut(&id) {
                    if out.try_send(Box::new(message)).is_err() {
                        debug!(connection = id, "connection queue full; message dropped");
                    }
                }
            }
            Route::Http => {
                debug!("an answer for an HTTP request that is gone; dropped");
            }
        }
    }
}

/// What became of an input message.
pub(super) enum InputOutcome {
    /// It belongs to this session.
    Session(SessionKey),
    /// Answer its sender with this message (a fault).
    Answer(Box<Message>),
    /// Nothing more to do.
    Done,
}
