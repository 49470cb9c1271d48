//! The hub's HTTP side. Requests arrive as [`Exchange`]s; each HTTP session's [`Responder`]
//! decides when and with what each is answered, and the hub keeps the response channels under
//! their exchange ids until then. Apart from routing because only HTTP sessions have a
//! responder and parked answers: over a connection nothing waits to be answered.
//!
//! [`Exchange`] lives here, not beside the request handler in
//! [`driver::http`](super::super::http), so that the handler depends on the hub and not the
//! hub on the handler.

use super::super::envelope::IncomingError;
use super::super::Payload;
use super::hub::Hub;
use super::routing::{InputOutcome, Route};
use crate::reliable::proto::request_reply::{RequestInfo, Responder, ResponderConfig};
use crate::reliable::proto::{ProtocolBody, SessionKey};
use crate::transport::ReplyFrame;
use bytes::Bytes;
use tokio::sync::oneshot;

/// One HTTP request handed to the hub, and where its response goes.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub(crate) frame: Bytes,
    pub(crate) action: Option<String>,
    pub(crate) reply: oneshot::Sender<ReplyFrame>,
}

impl Hub {
    /// An HTTP request: fed to the session it belongs to, then parked until it can be
    /// answered (see [`driver::http`](super::super::http)).
    pub(super) fn on_exchange(&mut self, exchange: Exchange) {
        let Exchange {
            frame,
            action,
            reply,
        } = exchange;
        let mut message_id = None;
        let decoded = self
            .codec
            .encoder
            .decode(frame)
            .map_err(IncomingError::from)
            .and_then(|mut message| {
                if message.headers.action.is_none() {
                    message.headers.action = action;
                }
                message_id.clone_from(&message.headers.message_id);
                self.codec.read(message)
            });
        let incoming = match decoded {
            Ok(incoming) => incoming,
            Err(e) => {
                let refusal = self.refusal(e, message_id.as_deref());
                let answer = match refusal.map(|m| self.codec.encode(&m)) {
                    Some(Ok(frame)) => ReplyFrame::Fault(frame),
                    Some(Err(e)) => {
                        tracing::error!(error = %e, "cannot encode a fault");
                        ReplyFrame::Accepted
                    }
                    None => ReplyFrame::Accepted,
                };
                let _ = reply.send(answer);
                return;
            }
        };
        let info = RequestInfo::read(&incoming.message, &self.listener);
        match self.on_input(Route::Http, incoming) {
            InputOutcome::Session(key) => {
                let id = self.next_exchange;
                self.next_exchange += 1;
                self.exchanges.insert(id, reply);
                self.http_sessions.insert(key);
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
                } else if let Some(reply) = self.exchanges.remove(&id) {
                    let _ = reply.send(ReplyFrame::Accepted);
                }
                self.drain_actions();
            }
            InputOutcome::Answer(frame) => {
                let _ = reply.send(ReplyFrame::Fault(frame));
            }
            InputOutcome::Done => {
                let _ = reply.send(ReplyFrame::Accepted);
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
            let frame = message.and_then(|message| {
                let is_fault = matches!(message.body, ProtocolBody::Fault(_));
                let relates_to = slot.requests.answered_by(&message).map(str::to_owned);
                self.codec
                    .frame(message, None, relates_to.as_deref())
                    .map(|frame| (frame, is_fault))
            });
            let _ = reply.send(match frame {
                Some((frame, true)) => ReplyFrame::Fault(frame),
                Some((frame, false)) => ReplyFrame::Reply(frame),
                None => ReplyFrame::Accepted,
            });
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
