//! The service side of reliable sessions: CreateSequence admission with MaxPendingChannels,
//! routing by sequence identifier, UnknownSequence for everything else, and bounded memory
//! and work whatever peers send (reference §2.7; RS `ReliableChannelListener.cs`
//! `ProcessCreateSequence`).
//!
//! The listener owns its sessions. Drive it like a session: [`ReliableListener::handle_input`] for
//! every message that arrives (its [`Routing`] says whether to answer the sender directly),
//! [`ReliableListener::handle_timeout`] at [`ReliableListener::poll_timeout`], and drain
//! [`ReliableListener::poll_action`] after each call. Accept new sessions with [`ReliableListener::accept`].
//!
//! Bounds:
//! * sessions created but not accepted: MaxPendingChannels (then CreateSequenceRefused with
//!   WCF's ConnectionLimitReached);
//! * live sessions: [`ListenerConfig::max_sessions`] (same refusal);
//! * closed sessions kept to answer late re-sends: [`ListenerConfig::max_closed_sessions`],
//!   oldest evicted first;
//! * answers to messages for unknown sequences and refusals: a token bucket of
//!   [`ListenerConfig::fault_replies_per_second`], so a flood costs O(1) per message and
//!   produces a bounded stream of faults;
//! * AckRequested for a known sequence: coalesced by the receiver to at most one redundant ack
//!   per AcknowledgementInterval.

use super::fault::{SoapFaultCode, WsrmFault};
use super::messages::{CreateSequence, ProtocolBody, ProtocolMessage};
use super::session::{Action, ReliableSession, SessionConfig};
use super::time::{earliest, Timestamp};
use crate::channel::CommunicationState;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;

/// Default cap on live sessions per listener.
pub const DEFAULT_MAX_SESSIONS: usize = 1024;
/// Default number of closed sessions kept to answer late re-sends.
pub const DEFAULT_MAX_CLOSED_SESSIONS: usize = 64;
/// Default rate (and burst) of listener-level fault replies.
pub const DEFAULT_FAULT_REPLIES_PER_SECOND: u32 = 64;

/// The channel shape the listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelShape {
    /// One-way (WCF's input session channel): sessions have only an input sequence. A 1.0
    /// CreateSequence with an Offer is refused; a 1.1 Offer is not accepted (B1109).
    // WCF's input session channel: its rules are here and simulated, but no binding builds
    // a one-way reliable channel yet.
    #[cfg_attr(not(test), allow(dead_code))]
    OneWay,
    /// Duplex or request-reply: CreateSequence must carry an Offer, which becomes the output.
    Duplex,
}

/// A listener's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerConfig {
    /// What each session gets (MaxPendingChannels is taken from its settings).
    pub session: SessionConfig,
    /// The channel shape.
    pub shape: ChannelShape,
    /// The listener's address, for the "too busy" reason text.
    pub address: String,
    /// Cap on live sessions (accepted or not). Default [`DEFAULT_MAX_SESSIONS`].
    pub max_sessions: usize,
    /// Closed sessions kept to answer late re-sends. Default [`DEFAULT_MAX_CLOSED_SESSIONS`].
    pub max_closed_sessions: usize,
    /// ReliableListener-level fault replies allowed per second (and burst). Default
    /// [`DEFAULT_FAULT_REPLIES_PER_SECOND`].
    pub fault_replies_per_second: u32,
}

impl ListenerConfig {
    /// A configuration with the defaults for everything but the shape.
    pub fn new(shape: ChannelShape) -> Self {
        ListenerConfig {
            session: SessionConfig::default(),
            shape,
            address: String::new(),
            max_sessions: DEFAULT_MAX_SESSIONS,
            max_closed_sessions: DEFAULT_MAX_CLOSED_SESSIONS,
            fault_replies_per_second: DEFAULT_FAULT_REPLIES_PER_SECOND,
        }
    }
}

/// A session's handle within its listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionKey(u64);

/// What the listener did with a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Routing<T> {
    /// A new session was created; accept it with [`ReliableListener::accept`]. Its
    /// CreateSequenceResponse is among its actions.
    Created(SessionKey),
    /// Handed to this session; poll the actions.
    Session(SessionKey),
    /// Answer the sender of the message with this (a refusal or UnknownSequence).
    Reply(Box<ProtocolMessage<T>>),
    /// Nothing to do: not for this listener, or answered too often already.
    Ignored,
}

/// Counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListenerStats {
    /// Sessions created.
    pub created: u64,
    /// CreateSequence refusals sent.
    pub refused: u64,
    /// UnknownSequence faults sent.
    pub unknown: u64,
    /// Fault replies suppressed by the rate limit.
    pub suppressed: u64,
}

struct Entry<T> {
    session: ReliableSession<T>,
    ids: Vec<String>,
    closed: bool,
}

/// Produces identifiers for new sequences (the async layer uses `urn:uuid:` v4 ids).
pub type IdGenerator = Box<dyn FnMut() -> String + Send>;

/// Accepts and hosts the service side of reliable sessions.
pub struct ReliableListener<T> {
    config: ListenerConfig,
    /// Boxed entries: a B-tree node holds 11 values and is often half full, and a session is
    /// large, so inline entries would cost each idle session the room of a second one.
    sessions: BTreeMap<SessionKey, Box<Entry<T>>>,
    ids: HashMap<String, SessionKey>,
    pending: VecDeque<SessionKey>,
    closed: VecDeque<SessionKey>,
    ready: BTreeSet<SessionKey>,
    /// Each drained session's next deadline, ordered: the timer index.
    timers: BTreeSet<(Timestamp, SessionKey)>,
    armed: HashMap<SessionKey, Timestamp>,
    next_key: u64,
    new_id: IdGenerator,
    tokens: u32,
    refilled_at: Timestamp,
    /// Set while handling a request whose transport owes its sender a response anyway.
    answer_every_fault: bool,
    stats: ListenerStats,
}

impl<T> fmt::Debug for ReliableListener<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReliableListener")
            .field("shape", &self.config.shape)
            .field("sessions", &self.sessions.len())
            .field("pending", &self.pending.len())
            .field("closed", &self.closed.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<T: Clone> ReliableListener<T> {
    /// A listener; `new_id` names the sequences it creates (identifiers must be unique).
    pub fn new(config: ListenerConfig, new_id: IdGenerator) -> Self {
        ReliableListener {
            tokens: config.fault_replies_per_second,
            config,
            sessions: BTreeMap::new(),
            ids: HashMap::new(),
            pending: VecDeque::new(),
            closed: VecDeque::new(),
            ready: BTreeSet::new(),
            timers: BTreeSet::new(),
            armed: HashMap::new(),
            next_key: 0,
            new_id,
            refilled_at: Timestamp::ZERO,
            answer_every_fault: false,
            stats: ListenerStats::default(),
        }
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &ListenerConfig {
        &self.config
    }

    /// Counters.
    #[cfg(test)]
    pub fn stats(&self) -> ListenerStats {
        self.stats
    }

    /// Live sessions (pending or accepted, not closed).
    pub fn session_count(&self) -> usize {
        self.sessions.len() - self.closed.len()
    }

    /// Sessions created and not yet accepted.
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// Closed sessions kept to answer late re-sends.
    #[cfg(test)]
    pub fn closed_count(&self) -> usize {
        self.closed.len()
    }

    /// Takes the oldest session waiting to be accepted.
    pub fn accept(&mut self) -> Option<SessionKey> {
        self.pending.pop_front()
    }

    /// A session, for inspection.
    pub fn session(&self, key: SessionKey) -> Option<&ReliableSession<T>> {
        self.sessions.get(&key).map(|e| &e.session)
    }

    /// A session, to send on, close, or report dequeued messages. Its actions then come out
    /// of [`ReliableListener::poll_action`].
    pub fn session_mut(&mut self, key: SessionKey) -> Option<&mut ReliableSession<T>> {
        let entry = self.sessions.get_mut(&key)?;
        self.ready.insert(key);
        Some(&mut entry.session)
    }

    /// Every session, live or closed-and-kept, for inspection.
    #[cfg(test)]
    pub fn sessions(&self) -> impl Iterator<Item = (SessionKey, &ReliableSession<T>)> + '_ {
        self.sessions.iter().map(|(k, e)| (*k, &e.session))
    }

    /// The session a sequence identifier belongs to.
    pub fn find(&self, identifier: &str) -> Option<SessionKey> {
        self.ids.get(identifier).copied()
    }

    /// The session `message` would go to, without handing it over (for the driver's checks of
    /// what the transport knows: who sent it).
    pub fn session_of(&self, message: &ProtocolMessage<T>) -> Option<SessionKey> {
        // A re-sent CreateSequence goes to the session whose return sequence it offered.
        let offered = match &message.body {
            ProtocolBody::CreateSequence(create) => {
                create.offer.as_ref().map(|o| o.identifier.as_str())
            }
            _ => None,
        };
        std::iter::once(offered)
            .chain(sequence_identifiers(message))
            .flatten()
            .find_map(|id| self.ids.get(id).copied())
            .filter(|key| self.sessions.contains_key(key))
    }

    fn take_token(&mut self, now: Timestamp) -> bool {
        let rate = u64::from(self.config.fault_replies_per_second);
        let elapsed = now.saturating_since(self.refilled_at).as_millis();
        let earned =
            u64::try_from(elapsed.saturating_mul(u128::from(rate)) / 1000).unwrap_or(u64::MAX);
        if earned > 0 {
            let tokens = u64::from(self.tokens).saturating_add(earned).min(rate);
            self.tokens = u32::try_from(tokens).unwrap_or(u32::MAX);
            self.refilled_at = now;
        }
        if self.tokens == 0 {
            self.stats.suppressed += 1;
            return false;
        }
        self.tokens -= 1;
        true
    }

    fn fault_reply(&mut self, now: Timestamp, fault: WsrmFault) -> Routing<T> {
        if self.answer_every_fault || self.take_token(now) {
            Routing::Reply(Box::new(ProtocolMessage::fault(fault)))
        } else {
            Routing::Ignored
        }
    }

    fn refuse(&mut self, now: Timestamp, code: SoapFaultCode, reason: &str) -> Routing<T> {
        self.stats.refused += 1;
        self.fault_reply(
            now,
            WsrmFault::CreateSequenceRefused {
                code,
                reason: reason.to_owned(),
                connection_limit_reached: false,
            },
        )
    }

    /// Handles one message that came as a request of a request-reply transport (HTTP). The
    /// transport owes each request a response, so a refusal or UnknownSequence costs nothing
    /// the request did not already cost: every one is answered with its fault, never limited
    /// by [`ListenerConfig::fault_replies_per_second`] into silence (WCF answers each
    /// CreateSequence over the limit with ConnectionLimitReached).
    pub fn handle_request(&mut self, now: Timestamp, message: ProtocolMessage<T>) -> Routing<T> {
        self.answer_every_fault = true;
        let dispatch = self.handle_input(now, message);
        self.answer_every_fault = false;
        dispatch
    }

    /// Handles one incoming message.
    pub fn handle_input(&mut self, now: Timestamp, message: ProtocolMessage<T>) -> Routing<T> {
        if let ProtocolBody::CreateSequence(create) = &message.body {
            let create = create.clone();
            return self.on_create_sequence(now, &create, message);
        }
        let candidates = sequence_identifiers(&message);
        let known = candidates
            .iter()
            .flatten()
            .find_map(|id| self.ids.get(*id).copied());
        if let Some(key) = known {
            if let Some(entry) = self.sessions.get_mut(&key) {
                entry.session.handle_input(now, message);
                self.ready.insert(key);
                return Routing::Session(key);
            }
        }
        // Never answer a fault or a response with a fault.
        let answerable = matches!(
            message.body,
            ProtocolBody::Empty
                | ProtocolBody::Sequence { .. }
                | ProtocolBody::CloseSequence(_)
                | ProtocolBody::TerminateSequence(_)
        );
        match candidates.iter().flatten().next() {
            Some(id) if answerable => {
                let fault = WsrmFault::UnknownSequence {
                    identifier: (*id).to_owned(),
                };
                self.stats.unknown += 1;
                self.fault_reply(now, fault)
            }
            _ => Routing::Ignored,
        }
    }

    /// WCF's `ProcessCreateSequence` checks, in order (reference §2.7).
    fn on_create_sequence(
        &mut self,
        now: Timestamp,
        create: &CreateSequence,
        message: ProtocolMessage<T>,
    ) -> Routing<T> {
        let is_11 = self
            .config
            .session
            .settings
            .reliable_messaging_version()
            .is_11();
        match (self.config.shape, &create.offer) {
            (ChannelShape::Duplex, None) => {
                return self.refuse(
                    now,
                    SoapFaultCode::Sender,
                    "The create sequence request must contain an offer for a return sequence.",
                );
            }
            (ChannelShape::OneWay, Some(_)) if !is_11 => {
                return self.refuse(
                    now,
                    SoapFaultCode::Sender,
                    "The create sequence request must not contain an offer.",
                );
            }
            _ => {}
        }
        let accept_offer = self.config.shape == ChannelShape::Duplex;
        if let Some(offer) = create.offer.as_ref().filter(|_| accept_offer) {
            if let Some(key) = self.find(&offer.identifier) {
                // A re-sent CreateSequence: the existing session answers it again.
                let reusable = self.sessions.get(&key).is_some_and(|e| {
                    !e.closed && e.session.output_identifier() == Some(offer.identifier.as_str())
                });
                if !reusable {
                    return self.refuse(
                        now,
                        SoapFaultCode::Sender,
                        "The offered identifier is already in use.",
                    );
                }
                if let Some(entry) = self.sessions.get_mut(&key) {
                    entry.session.handle_input(now, message);
                    self.ready.insert(key);
                }
                return Routing::Session(key);
            }
        }
        let sessions = &self.sessions;
        self.pending.retain(|k| {
            sessions
                .get(k)
                .is_some_and(|e| !e.closed && e.session.state() != CommunicationState::Faulted)
        });
        let max_pending = self.config.session.settings.max_pending_channels() as usize;
        if self.pending.len() >= max_pending || self.session_count() >= self.config.max_sessions {
            self.stats.refused += 1;
            let fault = WsrmFault::connection_limit_reached(&self.config.address);
            return self.fault_reply(now, fault);
        }
        let id = (self.new_id)();
        if self.ids.contains_key(&id) {
            return self.refuse(
                now,
                SoapFaultCode::Receiver,
                "Sequence identifier collision.",
            );
        }
        let session = ReliableSession::responder(
            now,
            self.config.session.clone(),
            create,
            id.clone(),
            accept_offer,
        );
        let key = SessionKey(self.next_key);
        self.next_key += 1;
        let mut ids = vec![id];
        if let Some(output) = session.output_identifier() {
            ids.push(output.to_owned());
        }
        for id in &ids {
            self.ids.insert(id.clone(), key);
        }
        self.sessions.insert(
            key,
            Box::new(Entry {
                session,
                ids,
                closed: false,
            }),
        );
        self.pending.push_back(key);
        self.ready.insert(key);
        self.stats.created += 1;
        Routing::Created(key)
    }

    /// The earliest time a session has timer work. Sessions touched since their actions were
    /// last drained are asked directly; the others' deadlines come from the timer index, so
    /// this costs O(touched + log n), not a scan of every session.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let indexed = self.timers.first().map(|(t, _)| *t);
        self.ready
            .iter()
            .filter_map(|k| self.sessions.get(k))
            .fold(indexed, |t, e| earliest(t, e.session.poll_timeout()))
    }

    /// Runs the due timers.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        let mut due: Vec<SessionKey> = self
            .timers
            .iter()
            .take_while(|(t, _)| *t <= now)
            .map(|(_, k)| *k)
            .collect();
        due.extend(self.ready.iter().copied());
        for key in due {
            if let Some(entry) = self.sessions.get_mut(&key) {
                if entry.session.poll_timeout().is_some_and(|t| t <= now) {
                    entry.session.handle_timeout(now);
                    self.ready.insert(key);
                }
            }
        }
    }

    /// Re-files a session's deadline in the timer index (after its actions were drained).
    fn rearm(&mut self, key: SessionKey) {
        if let Some(old) = self.armed.remove(&key) {
            self.timers.remove(&(old, key));
        }
        if let Some(at) = self
            .sessions
            .get(&key)
            .and_then(|e| e.session.poll_timeout())
        {
            self.timers.insert((at, key));
            self.armed.insert(key, at);
        }
    }

    /// The next action of any session.
    pub fn poll_action(&mut self) -> Option<(SessionKey, Action<T>)> {
        while let Some(&key) = self.ready.iter().next() {
            let Some(entry) = self.sessions.get_mut(&key) else {
                self.ready.remove(&key);
                continue;
            };
            if let Some(action) = entry.session.poll_action() {
                return Some((key, action));
            }
            self.ready.remove(&key);
            self.rearm(key);
            self.reap(key);
        }
        None
    }

    /// Faulted sessions go at once; closed ones stay (bounded) to answer late re-sends.
    fn reap(&mut self, key: SessionKey) {
        let Some(entry) = self.sessions.get_mut(&key) else {
            return;
        };
        match entry.session.state() {
            CommunicationState::Faulted => self.remove(key),
            CommunicationState::Closed if !entry.closed => {
                entry.closed = true;
                self.pending.retain(|k| *k != key);
                self.closed.push_back(key);
                while self.closed.len() > self.config.max_closed_sessions {
                    if let Some(oldest) = self.closed.pop_front() {
                        self.remove(oldest);
                    }
                }
            }
            _ => {}
        }
    }

    fn remove(&mut self, key: SessionKey) {
        if let Some(entry) = self.sessions.remove(&key) {
            for id in entry.ids {
                self.ids.remove(&id);
            }
        }
        self.pending.retain(|k| *k != key);
        self.closed.retain(|k| *k != key);
        self.ready.remove(&key);
        if let Some(at) = self.armed.remove(&key) {
            self.timers.remove(&(at, key));
        }
    }
}

/// The sequences a message names, in the order its session is looked up by: its body's,
/// then an AckRequested's, then an acknowledgement's.
fn sequence_identifiers<T>(message: &ProtocolMessage<T>) -> [Option<&str>; 3] {
    [
        message.body_identifier(),
        message
            .ack_requested
            .as_ref()
            .map(|r| r.identifier.as_str()),
        message
            .acknowledgement
            .as_ref()
            .map(|a| a.identifier.as_str()),
    ]
}

#[cfg(test)]
#[path = "listener_tests.rs"]
mod tests;
