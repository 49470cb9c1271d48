//! The hub: its state and its loop. The other files of this module add methods to [`Hub`],
//! one concern each; this one holds what they share (the listener, the session slots, the
//! connection and exchange tables) and decides when each runs, so that the order of draining
//! actions, handing sessions over and sleeping until the next deadline reads in one place.

use super::super::app::{self, AppCommand};
use super::super::envelope::Codec;
use super::super::{Clock, Payload, Timer};
use super::exchange::Answer;
use super::slots::{fail_slot, Slot};
use super::HubEvent;
use crate::channel::DuplexChannel;
use crate::message::Message;
use crate::reliable::proto::request_reply::ExchangeId;
use crate::reliable::proto::{ReliableListener, SessionKey};
use futures::channel::mpsc as queue;
use futures::StreamExt;
use std::collections::{BTreeSet, HashMap, VecDeque};
use tokio::sync::{mpsc, oneshot};
use tracing::debug;

pub(super) struct Hub {
    pub(super) clock: Clock,
    pub(super) listener: ReliableListener<Payload>,
    pub(super) codec: Codec,
    /// Boxed messages, as everything queued per session or connection.
    pub(super) connections: HashMap<u64, queue::Sender<Box<Message>>>,
    /// Who each connection's peer proved to be (transport security), where it is not
    /// anonymous.
    pub(super) identities: HashMap<u64, crate::security::CallerIdentity>,
    pub(super) sessions: HashMap<SessionKey, Slot>,
    /// Sessions with sends waiting for room in their window.
    pub(super) blocked: BTreeSet<SessionKey>,
    /// Sessions served over HTTP (with a responder).
    pub(super) http_sessions: BTreeSet<SessionKey>,
    /// HTTP sessions whose responder may have an answer to give: something happened to them
    /// since they were last asked. Asking only these keeps the work per event independent of
    /// how many sessions the endpoint serves.
    pub(super) http_dirty: BTreeSet<SessionKey>,
    /// Where each HTTP exchange's response goes, until its responder answers it.
    pub(super) exchanges: HashMap<ExchangeId, oneshot::Sender<Answer>>,
    pub(super) next_exchange: ExchangeId,
    pub(super) commands_tx: app::Commands<SessionKey>,
    pub(super) commands: queue::UnboundedReceiver<(SessionKey, AppCommand)>,
    pub(super) events: mpsc::Receiver<HubEvent>,
    pub(super) accept_requests: mpsc::Receiver<oneshot::Sender<DuplexChannel>>,
    /// `accept` calls waiting for a session.
    pub(super) acceptors: VecDeque<oneshot::Sender<DuplexChannel>>,
    /// Whether the host still accepts sessions.
    pub(super) listening: bool,
    pub(super) address: String,
}

impl Hub {
    pub(super) async fn run(mut self) {
        let mut timer = Timer::new();
        loop {
            self.drain_actions();
            self.hand_over();
            let listening = self.listening;
            // Closed sessions the listener keeps to answer late re-sends hold nothing up.
            if !listening && self.listener.session_count() == 0 {
                break;
            }
            let deadline = [
                self.listener.poll_timeout().map(|t| self.clock.instant(t)),
                self.http_sessions
                    .iter()
                    .filter_map(|k| {
                        let responder = self.sessions.get(k)?.responder.as_ref()?;
                        responder.poll_timeout().map(|t| self.clock.instant(t))
                    })
                    .min(),
            ]
            .into_iter()
            .flatten()
            .min();
            timer.arm(deadline);
            let wake = tokio::select! {
                Some((key, command)) = self.commands.next() => Wake::Command(key, command),
                event = self.events.recv() => match event {
                    Some(event) => Wake::Event(event),
                    None => break,
                },
                request = self.accept_requests.recv(), if listening => match request {
                    Some(acceptor) => Wake::Accept(acceptor),
                    None => Wake::StoppedListening,
                },
                () = timer.fired() => Wake::Timer,
            };
            match wake {
                Wake::Command(key, command) => self.on_command(key, command),
                Wake::Event(event) => self.on_event(event),
                Wake::Accept(acceptor) => self.acceptors.push_back(acceptor),
                Wake::Timer => {
                    let now = self.clock.now();
                    self.listener.handle_timeout(now);
                    self.http_dirty.extend(self.http_sessions.iter().copied());
                    for key in &self.http_sessions {
                        if let Some(responder) = self
                            .sessions
                            .get_mut(key)
                            .and_then(|s| s.responder.as_mut())
                        {
                            responder.handle_timeout(now);
                        }
                    }
                    // Exchanges whose HTTP side gave up (the handler's own bound).
                    self.exchanges.retain(|_, reply| !reply.is_closed());
                    self.drain_actions();
                }
                // The host stopped accepting: take no new session, serve those that are open.
                Wake::StoppedListening => {
                    debug!("reliable endpoint closing; draining its sessions");
                    self.listening = false;
                    self.acceptors.clear();
                    self.abort_pending();
                }
            }
        }
        for slot in self.sessions.values_mut() {
            fail_slot(slot, "the reliable endpoint closed");
        }
    }

    pub(super) fn drain_actions(&mut self) {
        self.admit_waiting();
        // Answering may end a session (its responder finishes it once the client has
        // terminated), which makes more actions: drain until there are none.
        loop {
            let mut any = false;
            while let Some((key, action)) = self.listener.poll_action() {
                any = true;
                self.on_action(key, action);
                self.admit_waiting();
            }
            let dirty = std::mem::take(&mut self.http_dirty);
            for key in dirty {
                if self.http_sessions.contains(&key) {
                    self.answer(key);
                }
            }
            if !any {
                break;
            }
        }
    }

    /// Forgets slots whose sessions the listener no longer keeps.
    pub(super) fn sweep(&mut self) {
        let listener = &self.listener;
        self.sessions
            .retain(|key, _| listener.session(*key).is_some());
        let sessions = &self.sessions;
        self.http_sessions.retain(|key| sessions.contains_key(key));
        let http_sessions = &self.http_sessions;
        self.http_dirty.retain(|key| http_sessions.contains(key));
    }
}

/// What woke the hub.
enum Wake {
    Command(SessionKey, AppCommand),
    Event(HubEvent),
    Accept(oneshot::Sender<DuplexChannel>),
    Timer,
    StoppedListening,
}
