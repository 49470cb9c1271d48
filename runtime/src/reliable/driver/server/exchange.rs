//! The hub's HTTP side. Request messages arrive as [`Exchange`]s (the inner binding's
//! request listener has decoded them, and encodes the answers); each HTTP session's [`Responder`]
//! decides when and with what each is answered, and the hub keeps the response channels under
//! their exchange ids until then. Apart from routing because only HTTP sessions have a
//! responder and parked answers: over a connection nothing waits to be answered.
//!
//! [`Exchange`] lives here, not beside the request handler in
//! [`driver::http`](super::super::http), so that the handler depends on the hub and not the
//! hub on the handler.

use super::super::Payload;
use super::hub::Hub;
use super::routing::{InputOutcome, Route};
use crate::message::Message;
use crate::reliable::proto::request_reply::{RequestInfo, Responder, ResponderConfig};
use crate::reliable::proto::SessionKey;
use tokio::sync::oneshot;

/// The answer to one HTTP request: a message (a fault travels as HTTP 500, the request
/// listener sees to that), or `None` for an empty 202.
pub(crate) type Answer = Option<Message>;

/// One HTTP request handed to the hub, and where its response goes.
#[derive(Debug)]
pub(crate) struct Exchange {
    /// Boxed: the hub's event queue allocates its slots in blocks, and most events are small.
    pub(crate) message: Box<Message>,
    pub(crate) reply: oneshot::Sender<Answer>,
    /// Who the request's transport authenticated the sender as.
    pub(crate) identity: crate::security::CallerIdentity,
}

impl Hub {
    /// An HTTP request: fed to the session it belongs to, then parked until it can be
    /// answered (see [`driver::http`](super::super::http)).
    pub(super) fn on_exchange(&mut self, exchange: Exchange) {
        let Exchange {
            message,
            reply,
            identity,
        } = exchange;
        let message_id = message.headers.message_id.clone();
        let incoming = match self.codec.read(*message) {
            Ok(incoming) => incoming,
            Err(e) => {
                // Never an empty 202 for input that is no usable WS-RM message: the refusal
                // is a fault, which the request listener sends as HTTP 500.
                let _ = reply.send(self.refusal(e, message_id.as_deref()));
                return;
            }
        };
        let info = RequestInfo::read(&incoming.message, &self.listener);
        match self.on_input(Route::Http, incoming, identity) {
            InputOutcome::Session(key) => {
                let id = self.next_exchange;
                self.next_exchange += 1;
                self.exchanges.insert(id, reply);
                self.http_sessions.insert(key);
                self.http_dirty.insert(key);
                if let Some(slot) = self.sessions.get_mut(&key) {
                    slot.responder.get_or_insert_with(new_responder);
                }
                // What the request produced at once (a handshake response, a fault) first,
                // so that it can answer the request.
                self.drain_actions();
                let now = self.clock.now();
                if let (Some(responder), Some(session)) = (
                    self.sessions
                        .get_mut(&key)
                        .and_then(|s| s.responder.as_mut()),
                    self.listener.session(key),
                ) {
                    responder.on_request(now, id, info, session);
                    self.http_dirty.insert(key);
                } else if let Some(reply) = self.exchanges.remove(&id) {
                    let _ = reply.send(None);
                }
                self.drain_actions();
            }
            InputOutcome::Answer(fault) => {
                let _ = reply.send(Some(*fault));
            }
            InputOutcome::Done => {
                let _ = reply.send(None);
            }
        }
    }

    /// Sends the answers a session's responder has ready.
    pub(super) fn answer(&mut self, key: SessionKey) {
        let now = self.clock.now();
        let (Some(slot), Some(session)) =
            (self.sessions.get_mut(&key), self.listener.session_mut(key))
        else {
            return;
        };
        let Some(responder) = slot.responder.as_mut() else {
            return;
        };
        if session.state() == crate::CommunicationState::Closing {
            responder.update(session);
        }
        while let Some((id, message)) = responder.poll_answer(now, session) {
            let Some(reply) = self.exchanges.remove(&id) else {
                continue;
            };
            let answer = message.and_then(|message| {
                let relates_to = slot.requests.answered_by(&message).map(str::to_owned);
                self.codec.message(message, None, relates_to.as_deref())
            });
            let _ = reply.send(answer);
        }
    }

    /// Answers every parked request of a session that is ending.
    pub(super) fn flush_parked(&mut self, key: SessionKey) {
        if let Some(responder) = self
            .sessions
            .get_mut(&key)
            .and_then(|s| s.responder.as_mut())
        {
            responder.flush();
            self.answer(key);
        }
    }
}

pub(super) fn new_responder() -> Box<Responder<Payload>> {
    Box::new(Responder::new(ResponderConfig::default()))
}
