//! What the hub keeps for each session ([`Slot`]), and the two streams that change it: the
//! application's commands from the session's channel, and the actions of the session's state
//! machine. Apart from routing because this is the session's side of the hub, the same
//! whatever carries it: only over HTTP do its output and a request's "no reply" go to its
//! responder instead of down a route.

use super::super::app::{AppCommand, Delivery};
use super::super::envelope::RequestIds;
use super::super::Payload;
use super::exchange::new_responder;
use super::hub::Hub;
use super::routing::Route;
use crate::channel::DuplexChannel;
use crate::error::Error;
use crate::reliable::proto::request_reply::Responder;
use crate::reliable::proto::{Action, SendBlocked, SessionKey};
use futures::channel::mpsc as queue;
use std::collections::VecDeque;
use tokio::sync::oneshot;
use tracing::debug;

type Waiter = oneshot::Sender<Result<(), Error>>;

pub(super) struct Slot {
    pub(super) route: Option<Route>,
    pub(super) deliver: Option<queue::UnboundedSender<Delivery>>,
    /// The application's channel, until the host accepts the session.
    pub(super) channel: Option<DuplexChannel>,
    pub(super) waiting: VecDeque<(Payload, Waiter)>,
    pub(super) closing: Vec<Waiter>,
    pub(super) requests: RequestIds,
    /// Over HTTP: when and with what each request is answered.
    pub(super) responder: Option<Box<Responder<Payload>>>,
    /// Who created the session, as its transport authenticated it: its messages must keep
    /// coming from that identity, whatever connection carries them.
    pub(super) owner: crate::security::CallerIdentity,
}

impl Hub {
    /// Notes that an HTTP session's responder should be asked again (sessions over a
    /// connection have none: their sends go out as they are made).
    fn mark_http_dirty(&mut self, key: SessionKey) {
        if self.http_sessions.contains(&key) {
            self.http_dirty.insert(key);
        }
    }

    pub(super) fn on_command(&mut self, key: SessionKey, command: AppCommand) {
        self.mark_http_dirty(key);
        let now = self.clock.now();
        let Some(slot) = self.sessions.get_mut(&key) else {
            // The session is gone: answer what waits for an answer.
            match command {
                AppCommand::Send(_, waiter) => {
                    let _ = waiter.send(Err(closed_error()));
                }
                AppCommand::Close(waiter) => {
                    let _ = waiter.send(Ok(()));
                }
                _ => {}
            }
            return;
        };
        match command {
            AppCommand::Send(message, waiter) => {
                slot.waiting.push_back((message, waiter));
                self.blocked.insert(key);
            }
            // Only an HTTP request waits for its answer; over a connection a one-way
            // message needs nothing (it cost a parked-set update and a scan per message).
            AppCommand::NoReply(id) if slot.route == Some(Route::Http) => {
                if let (Some(responder), Some(id)) = (slot.responder.as_mut(), id) {
                    responder.no_reply(&id);
                }
                self.answer(key);
            }
            AppCommand::NoReply(_) => {}
            AppCommand::Close(waiter) => {
                slot.closing.push(waiter);
                if let Some(session) = self.listener.session_mut(key) {
                    session.close(now);
                }
            }
            AppCommand::Dequeued => {
                if let Some(session) = self.listener.session_mut(key) {
                    session.message_dequeued(now, 1);
                }
            }
            AppCommand::Dropped => {
                if slot.closing.is_empty() {
                    if let Some(session) = self.listener.session_mut(key) {
                        session.abort();
                    }
                }
            }
        }
    }

    pub(super) fn admit_waiting(&mut self) {
        // Called after every action: the usual case, nothing blocked, reads no clock.
        if self.blocked.is_empty() {
            return;
        }
        let now = self.clock.now();
        let blocked = std::mem::take(&mut self.blocked);
        for key in blocked {
            self.mark_http_dirty(key);
            let (Some(slot), Some(session)) =
                (self.sessions.get_mut(&key), self.listener.session_mut(key))
            else {
                continue;
            };
            while let Some((message, waiter)) = slot.waiting.pop_front() {
                match session.send(now, message) {
                    Ok(_) => {
                        let _ = waiter.send(Ok(()));
                    }
                    Err(rejected) => match rejected.reason {
                        SendBlocked::Busy(_) | SendBlocked::NotOpen => {
                            slot.waiting.push_front((rejected.payload, waiter));
                            self.blocked.insert(key);
                            break;
                        }
                        _ => {
                            let _ = waiter.send(Err(closed_error()));
                        }
                    },
                }
            }
        }
    }

    pub(super) fn on_action(&mut self, key: SessionKey, action: Action<Payload>) {
        self.mark_http_dirty(key);
        let Some(slot) = self.sessions.get_mut(&key) else {
            return;
        };
        match action {
            Action::Send(message) => {
                tracing::trace!(kind = message.kind(), route = ?slot.route, "service sends");
                if slot.route == Some(Route::Http) {
                    slot.responder
                        .get_or_insert_with(new_responder)
                        .on_send(message);
                    self.http_sessions.insert(key);
                    return;
                }
                let relates_to = slot.requests.answered_by(&message).map(str::to_owned);
                let Some(out) = self.codec.message(message, None, relates_to.as_deref()) else {
                    return;
                };
                if let Some(route) = slot.route {
                    self.send_on(route, out);
                }
            }
            Action::Deliver(message) => {
                if let Some(deliver) = &slot.deliver {
                    let _ = deliver.unbounded_send(Ok(message));
                }
            }
            Action::Opened => {}
            Action::InputCompleted => slot.deliver = None,
            Action::Closed => {
                self.flush_parked(key);
                let Some(slot) = self.sessions.get_mut(&key) else {
                    return;
                };
                slot.deliver = None;
                for waiter in slot.closing.drain(..) {
                    let _ = waiter.send(Ok(()));
                }
                fail_slot(slot, "the reliable session is closed");
                self.sweep();
            }
            Action::Fault(error) => {
                debug!(%error, "reliable session faulted");
                self.flush_parked(key);
                let Some(slot) = self.sessions.get_mut(&key) else {
                    return;
                };
                if let Some(deliver) = slot.deliver.take() {
                    let _ = deliver
                        .unbounded_send(Err(Box::new(Error::ReliableSession(error.clone()))));
                }
                for waiter in slot.closing.drain(..) {
                    let _ = waiter.send(Err(Error::ReliableSession(error.clone())));
                }
                fail_slot(slot, "the reliable session faulted");
                self.sweep();
            }
        }
    }
}

fn closed_error() -> Error {
    Error::InvalidState {
        operation: "send on the reliable session",
        object: "reliable session",
        state: crate::CommunicationState::Closed,
        cause: None,
    }
}

/// Answers everything still waiting on a session that ended.
pub(super) fn fail_slot(slot: &mut Slot, why: &str) {
    slot.deliver = None;
    slot.channel = None;
    for (_, waiter) in slot.waiting.drain(..) {
        let _ = waiter.send(Err(closed_error()));
    }
    for waiter in slot.closing.drain(..) {
        let _ = waiter.send(Err(Error::Protocol(why.to_owned())));
    }
    if let Some(responder) = slot.responder.as_mut() {
        responder.clear();
    }
}
