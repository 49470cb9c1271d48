//! WS-RM over a request-reply transport (HTTP), as WCF's reliable request and reply session
//! channels do it: the client is not addressable, so everything the service says rides on the
//! responses to the client's requests (reference §1.6).
//!
//! Two state machines sit beside the [`ReliableSession`]s, fed `(now, input)` like them:
//!
//! * [`Requester`], the client's: each protocol message the session sends becomes one
//!   exchange (a request and its response). Up to
//!   [`RequesterConfig::max_in_flight`] exchanges run at once, over parallel connections.
//!   A message is taken from the queue only when an exchange is free, and a sequence message
//!   the service has acknowledged by then is dropped, never re-sent. A failed exchange is
//!   re-sent after a short back-off without waiting for the retransmission timer. A request
//!   whose reply is awaited is re-sent until a response carries that reply: an acknowledgement
//!   alone is not enough (WCF's request-reply initiator does the same). While closing, the
//!   requester polls, since the service's end of its own sequence can only ride on a response.
//! * [`Responder`], the service's, one per session: parks each request until it can be
//!   answered. A request whose operation has a reply waits for that reply (up to
//!   [`ResponderConfig::hold`]); the reply is kept until the client acknowledges it, so a
//!   re-sent request gets the same reply again; a re-sent request that was already answered
//!   without a reply is answered at once; handshake requests wait for their response.
//!   Every answer carries a fresh acknowledgement of the client's sequence.
//!
//! Exchanges are named by [`ExchangeId`]s the caller hands out; the driver keeps whatever
//! answers an exchange (an HTTP response channel) under that id.

use super::listener::ReliableListener;
use super::messages::{ProtocolBody, ProtocolMessage};
use super::session::ReliableSession;
use super::time::{earliest, Timestamp};
use crate::channel::CommunicationState;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

/// Names one request and its response.
pub type ExchangeId = u64;

/// What the request-reply layer reads of an application payload to pair requests with
/// replies: the request's MessageID, and the RelatesTo of a reply.
pub trait Correlated {
    /// The MessageID, if the payload has one.
    fn message_id(&self) -> Option<Cow<'_, str>>;
    /// The RelatesTo, if the payload answers a request.
    fn relates_to(&self) -> Option<Cow<'_, str>>;
}

impl<T: Correlated + ?Sized> Correlated for Box<T> {
    fn message_id(&self) -> Option<Cow<'_, str>> {
        (**self).message_id()
    }
    fn relates_to(&self) -> Option<Cow<'_, str>> {
        (**self).relates_to()
    }
}

/// The control requests whose own response answers them. A peer such as gSOAP reads only the
/// response it asked for, so nothing else may answer these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// CreateSequence, answered by CreateSequenceResponse.
    Create,
    /// CloseSequence (1.1), answered by CloseSequenceResponse.
    Close,
    /// TerminateSequence, answered by TerminateSequenceResponse in 1.1.
    Terminate,
}

impl RequestKind {
    /// The kind of request `message` is, if any.
    pub fn of_request<T>(message: &ProtocolMessage<T>) -> Option<Self> {
        match message.body {
            ProtocolBody::CreateSequence(_) => Some(RequestKind::Create),
            ProtocolBody::CloseSequence(_) => Some(RequestKind::Close),
            ProtocolBody::TerminateSequence(_) => Some(RequestKind::Terminate),
            _ => None,
        }
    }

    /// The kind of request `message` answers, if any.
    pub fn of_response<T>(message: &ProtocolMessage<T>) -> Option<Self> {
        match message.body {
            ProtocolBody::CreateSequenceResponse(_) => Some(RequestKind::Create),
            ProtocolBody::CloseSequenceResponse(_) => Some(RequestKind::Close),
            ProtocolBody::TerminateSequenceResponse(_) => Some(RequestKind::Terminate),
            _ => None,
        }
    }
}

fn sequence_number<T>(message: &ProtocolMessage<T>) -> Option<u64> {
    match &message.body {
        ProtocolBody::Sequence { header, .. } => Some(header.message_number),
        _ => None,
    }
}

fn payload_of<T>(message: &ProtocolMessage<T>) -> Option<&T> {
    match &message.body {
        ProtocolBody::Sequence {
            payload: Some(payload),
            ..
        } => Some(payload),
        _ => None,
    }
}

/// The client side's timing and limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequesterConfig {
    /// Exchanges running at once. Default 8; the HTTP binding sets it to the transfer window.
    pub max_in_flight: usize,
    /// The first pause before a failed exchange is re-sent; doubles with each consecutive
    /// failure up to [`RequesterConfig::max_retry_delay`]. Default 20 ms.
    pub retry_delay: Duration,
    /// The longest pause between re-sends after failures. Default 2 s.
    pub max_retry_delay: Duration,
    /// How soon a request whose response did not carry its reply is re-sent; doubles up to
    /// [`RequesterConfig::max_retry_delay`] while the reply stays missing. Default 50 ms (the
    /// service already holds a request up to [`ResponderConfig::hold`] for its reply).
    pub reply_chase: Duration,
    /// How often a closing session polls for the service's end of its sequence. Default 50 ms.
    pub close_poll: Duration,
    /// How long a closing session whose own sequence has ended still polls for the service to
    /// end its sequence before closing without that. Default 500 ms.
    pub input_end_grace: Duration,
    /// An exchange not answered in this time is taken for failed (an intermediary that holds
    /// a request forever would otherwise keep its slot). Must exceed the service's
    /// [`ResponderConfig::hold`]. Default 10 s.
    pub exchange_timeout: Duration,
    /// After the session ended, how long its last requests (a TerminateSequence, the final
    /// acknowledgement, answers to the service's own close) are still re-sent when their
    /// exchanges fail: the service can learn of the end only from them. Default 2 s.
    pub linger: Duration,
}

impl Default for RequesterConfig {
    fn default() -> Self {
        RequesterConfig {
            max_in_flight: 8,
            retry_delay: Duration::from_millis(20),
            max_retry_delay: Duration::from_secs(2),
            reply_chase: Duration::from_millis(50),
            close_poll: Duration::from_millis(50),
            input_end_grace: Duration::from_millis(500),
            exchange_timeout: Duration::from_secs(10),
            linger: Duration::from_secs(2),
        }
    }
}

/// Counters of a [`Requester`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequesterStats {
    /// Exchanges started.
    pub exchanges: u64,
    /// Exchanges that failed (request or response lost, connection closed).
    pub failed: u64,
    /// Sequence messages dropped from the queue because the service had acknowledged them.
    pub acknowledged_dropped: u64,
    /// Requests re-sent because their response did not carry the awaited reply.
    pub chased: u64,
}

#[derive(Debug)]
struct Flight<T> {
    message: ProtocolMessage<T>,
    deadline: Timestamp,
}

#[derive(Debug)]
struct Awaited<T> {
    /// The latest form of the request, to re-send.
    request: Option<ProtocolMessage<T>>,
    resend_at: Option<Timestamp>,
    delay: Duration,
}

/// The client side of a reliable session over a request-reply transport.
#[derive(Debug)]
pub struct Requester<T> {
    config: RequesterConfig,
    queue: VecDeque<ProtocolMessage<T>>,
    in_flight: BTreeMap<ExchangeId, Flight<T>>,
    next_exchange: ExchangeId,
    /// Failed exchanges' messages, re-sent when due.
    retries: VecDeque<(Timestamp, ProtocolMessage<T>)>,
    consecutive_failures: u32,
    /// Requests waiting for their replies, by MessageID.
    awaiting: HashMap<String, Awaited<T>>,
    /// The order the awaited requests were made in, to re-send them in that order.
    awaiting_order: VecDeque<String>,
    poll_at: Option<Timestamp>,
    abandon_at: Option<Timestamp>,
    /// Set once the session ended: until then its last requests are still sent.
    linger_until: Option<Timestamp>,
    stats: RequesterStats,
}

impl<T: Clone + Correlated> Requester<T> {
    /// A requester with nothing to send.
    pub fn new(config: RequesterConfig) -> Self {
        Requester {
            config: RequesterConfig {
                max_in_flight: config.max_in_flight.max(1),
                ..config
            },
            queue: VecDeque::new(),
            in_flight: BTreeMap::new(),
            next_exchange: 1,
            retries: VecDeque::new(),
            consecutive_failures: 0,
            awaiting: HashMap::new(),
            awaiting_order: VecDeque::new(),
            poll_at: None,
            abandon_at: None,
            linger_until: None,
            stats: RequesterStats::default(),
        }
    }

    /// Counters.
    pub fn stats(&self) -> RequesterStats {
        self.stats
    }

    /// Exchanges running.
    #[cfg(test)]
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Messages waiting for an exchange, and failed ones waiting to be re-sent.
    #[cfg(test)]
    pub fn queued(&self) -> usize {
        self.queue.len() + self.retries.len()
    }

    /// Requests whose replies are still awaited.
    #[cfg(test)]
    pub fn awaiting_replies(&self) -> usize {
        self.awaiting.len()
    }

    /// The application is about to send a request with this MessageID that expects a reply:
    /// it is re-sent until a response carries the reply.
    pub fn expect_reply(&mut self, message_id: String) {
        if !self.awaiting.contains_key(&message_id) {
            self.awaiting_order.push_back(message_id.clone());
            self.awaiting.insert(
                message_id,
                Awaited {
                    request: None,
                    resend_at: None,
                    delay: self.config.reply_chase,
                },
            );
        }
    }

    /// The reply to `message_id` has been delivered (or the caller gave up on it).
    pub fn reply_received(&mut self, message_id: &str) {
        if self.awaiting.remove(message_id).is_some() {
            self.awaiting_order.retain(|id| id != message_id);
        }
    }

    fn awaited_id(&self, message: &ProtocolMessage<T>) -> Option<String> {
        if self.awaiting.is_empty() {
            return None;
        }
        let id = payload_of(message)?.message_id()?;
        self.awaiting
            .contains_key(id.as_ref())
            .then(|| id.into_owned())
    }

    /// Takes a message the session sends (its `Action::Send`).
    pub fn push(&mut self, message: ProtocolMessage<T>) {
        if let Some(id) = self.awaited_id(&message) {
            if let Some(awaited) = self.awaiting.get_mut(&id) {
                awaited.request = Some(message.clone());
            }
        }
        match sequence_number(&message) {
            Some(number) => {
                // One copy per number: a queued one is replaced by the newer form (fresher
                // acknowledgement), and one in flight answers for both.
                self.queue
                    .retain(|queued| sequence_number(queued) != Some(number));
                self.retries
                    .retain(|(_, queued)| sequence_number(queued) != Some(number));
                let flying = self
                    .in_flight
                    .values()
                    .any(|f| sequence_number(&f.message) == Some(number));
                if !flying {
                    self.queue.push_back(message);
                }
            }
            None => {
                if matches!(message.body, ProtocolBody::Empty) {
                    // A standalone acknowledgement or AckRequested: the newest says it all.
                    self.queue
                        .retain(|queued| !matches!(queued.body, ProtocolBody::Empty));
                }
                self.queue.push_back(message);
            }
        }
    }

    /// The next request to send, if an exchange is free: send it and report its outcome with
    /// [`Requester::on_response`] or [`Requester::on_failure`].
    pub fn poll_transmit(
        &mut self,
        now: Timestamp,
        session: &mut ReliableSession<T>,
    ) -> Option<(ExchangeId, ProtocolMessage<T>)> {
        if self.linger_until.is_some_and(|until| until <= now) {
            self.queue.clear();
            self.retries.clear();
            return None;
        }
        if self.retries.iter().any(|(at, _)| *at <= now) {
            // Due re-sends go first, in the order they failed.
            let (due, later): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.retries)
                .into_iter()
                .partition(|(at, _)| *at <= now);
            self.retries = later;
            for (_, message) in due.into_iter().rev() {
                self.queue.push_front(message);
            }
        }
        while self.in_flight.len() < self.config.max_in_flight {
            let mut message = self.queue.pop_front()?;
            if let Some(number) = sequence_number(&message) {
                let awaited = self.awaited_id(&message).is_some();
                if session.output_acked(number) && !awaited {
                    self.stats.acknowledged_dropped += 1;
                    continue;
                }
                if self
                    .in_flight
                    .values()
                    .any(|f| sequence_number(&f.message) == Some(number))
                {
                    continue;
                }
            }
            // Every request acknowledges the service's sequence as it stands now, which is
            // what lets the service forget the replies the client has.
            if matches!(
                message.body,
                ProtocolBody::Sequence { .. } | ProtocolBody::Empty
            ) || message.acknowledgement.is_some()
            {
                if let Some(ack) = session.acknowledgement(now) {
                    message.acknowledgement = Some(ack);
                }
            }
            let id = self.next_exchange;
            self.next_exchange += 1;
            self.stats.exchanges += 1;
            self.in_flight.insert(
                id,
                Flight {
                    message: message.clone(),
                    deadline: now + self.config.exchange_timeout,
                },
            );
            return Some((id, message));
        }
        None
    }

    /// Exchange `id` completed; `response` is what the service answered with, if anything.
    pub fn on_response(
        &mut self,
        now: Timestamp,
        id: ExchangeId,
        response: Option<ProtocolMessage<T>>,
        session: &mut ReliableSession<T>,
    ) {
        let Some(flight) = self.in_flight.remove(&id) else {
            return;
        };
        self.consecutive_failures = 0;
        // A reply that arrives is not yet a reply received: the session may refuse it (its
        // receive window full), so the request stays awaited until the reply is delivered
        // (`reply_received`), and is chased meanwhile.
        if let Some(response) = response {
            session.handle_input(now, response);
        }
        if let Some(awaited_id) = self.awaited_id(&flight.message) {
            if let Some(awaited) = self.awaiting.get_mut(&awaited_id) {
                self.stats.chased += 1;
                awaited.resend_at = Some(now + awaited.delay);
                awaited.delay = (awaited.delay * 2).min(self.config.max_retry_delay);
                if awaited.request.is_none() {
                    awaited.request = Some(flight.message);
                }
            }
        }
    }

    /// Exchange `id` failed: the request or its response was lost. What still matters is
    /// re-sent after a back-off.
    pub fn on_failure(&mut self, now: Timestamp, id: ExchangeId, session: &ReliableSession<T>) {
        let Some(flight) = self.in_flight.remove(&id) else {
            return;
        };
        self.stats.failed += 1;
        if self.linger_until.is_some_and(|until| until <= now) {
            return;
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        let message = flight.message;
        let awaited = self.awaited_id(&message).is_some();
        if let Some(number) = sequence_number(&message) {
            let newer_queued = self
                .queue
                .iter()
                .chain(self.retries.iter().map(|(_, m)| m))
                .any(|m| sequence_number(m) == Some(number));
            if newer_queued || (session.output_acked(number) && !awaited) {
                return;
            }
        } else if matches!(message.body, ProtocolBody::Empty)
            && self
                .queue
                .iter()
                .any(|m| matches!(m.body, ProtocolBody::Empty))
        {
            return;
        }
        let exponent = self.consecutive_failures.saturating_sub(1).min(16);
        let delay = self
            .config
            .retry_delay
            .saturating_mul(1u32 << exponent)
            .min(self.config.max_retry_delay);
        self.retries.push_back((now + delay, message));
    }

    /// The earliest time [`Requester::handle_timeout`] (or a free exchange) has work.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let chase = self.awaiting.values().filter_map(|a| a.resend_at).min();
        let retry = self.retries.iter().map(|(at, _)| *at).min();
        let expiry = self.in_flight.values().map(|f| f.deadline).min();
        let linger = self.linger_until.filter(|_| !self.is_idle());
        earliest(
            earliest(earliest(chase, retry), earliest(expiry, linger)),
            earliest(self.poll_at, self.abandon_at),
        )
    }

    /// Re-sends what is due, polls while closing, and gives up waiting for the service's end
    /// of its sequence after the grace period.
    pub fn handle_timeout(&mut self, now: Timestamp, session: &mut ReliableSession<T>) {
        if self.linger_until.is_some_and(|until| until <= now) {
            // The session ended a while ago: what has not got through by now is given up,
            // and the answers to exchanges still running are of no use.
            self.queue.clear();
            self.retries.clear();
            self.in_flight.clear();
            return;
        }
        let expired: Vec<ExchangeId> = self
            .in_flight
            .iter()
            .filter(|(_, f)| f.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.on_failure(now, id, session);
        }
        let mut due = Vec::new();
        for id in &self.awaiting_order {
            if let Some(awaited) = self.awaiting.get_mut(id) {
                if awaited.resend_at.is_some_and(|at| at <= now) {
                    awaited.resend_at = None;
                    if let Some(request) = &awaited.request {
                        due.push(request.clone());
                    }
                }
            }
        }
        for request in due {
            self.push(request);
        }
        if self.poll_at.is_some_and(|at| at <= now) {
            self.poll_at = Some(now + self.config.close_poll);
            if self.in_flight.is_empty() && self.queue.is_empty() {
                if let Some(ack) = session.acknowledgement(now) {
                    self.push(ProtocolMessage::acknowledgement(ack));
                }
            }
        }
        if self.abandon_at.is_some_and(|at| at <= now) {
            self.abandon_at = None;
            session.abandon_input();
        }
        self.update(now, session);
    }

    /// Follows the session's state: call after draining its actions. Starts polling once it
    /// closes, and the grace period once its own sequence has ended.
    pub fn update(&mut self, now: Timestamp, session: &ReliableSession<T>) {
        if session.state() != CommunicationState::Closing {
            self.poll_at = None;
            self.abandon_at = None;
            return;
        }
        if self.poll_at.is_none() {
            self.poll_at = Some(now + self.config.close_poll);
        }
        if self.abandon_at.is_none() && session.output_ended() && session.receiver().is_some() {
            self.abandon_at = Some(now + self.config.input_end_grace);
        }
    }

    /// Whether nothing is queued, waiting to be re-sent or in flight.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.retries.is_empty() && self.in_flight.is_empty()
    }

    /// The session ended. Its last requests (a TerminateSequence, the final acknowledgement,
    /// answers to the service's own close) still go out, and are re-sent if their exchanges
    /// fail, for [`RequesterConfig::linger`]: without them the service would wait for them
    /// until its own timeouts. Application messages and replies are no longer sent or chased.
    /// Keep driving the requester until [`Requester::is_idle`]. Idempotent.
    pub fn finish(&mut self, now: Timestamp) {
        if self.linger_until.is_some() {
            return;
        }
        self.linger_until = Some(now + self.config.linger);
        let control = |m: &ProtocolMessage<T>| !matches!(m.body, ProtocolBody::Sequence { .. });
        self.queue.retain(control);
        self.retries.retain(|(_, m)| control(m));
        self.awaiting.clear();
        self.awaiting_order.clear();
        self.poll_at = None;
        self.abandon_at = None;
    }
}

/// The service side's timing and limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponderConfig {
    /// How long a request waits for its reply before it is answered with an acknowledgement
    /// only (the client then re-sends it to collect the reply). Default 1 s.
    pub hold: Duration,
    /// Requests parked at once; past it the oldest is answered at once. Default 64.
    pub max_parked: usize,
    /// Requests remembered (awaiting their outcome, or replied and not yet acknowledged by the
    /// client). Past it the oldest is forgotten. Default 256.
    pub max_remembered: usize,
    /// Control messages queued for the next response; past it the oldest is dropped (the
    /// session re-sends control messages). Default 64.
    pub max_queued: usize,
}

impl Default for ResponderConfig {
    fn default() -> Self {
        ResponderConfig {
            hold: Duration::from_secs(1),
            max_parked: 64,
            max_remembered: 256,
            max_queued: 64,
        }
    }
}

/// What the responder needs to know of a request, read before the session takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    kind: Option<RequestKind>,
    message_id: Option<String>,
    application: bool,
    duplicate: bool,
    /// A TerminateSequence of the client's own sequence.
    terminates: bool,
}

impl RequestInfo {
    /// Reads `message`; `listener` tells whether a sequence message is one its session
    /// already received (a re-sent request).
    pub fn read<T: Correlated + Clone>(
        message: &ProtocolMessage<T>,
        listener: &ReliableListener<T>,
    ) -> Self {
        let (application, duplicate) = match &message.body {
            ProtocolBody::Sequence { header, payload } => (
                payload.is_some(),
                listener
                    .find(&header.identifier)
                    .and_then(|key| listener.session(key))
                    .is_some_and(|s| s.input_received(header.message_number)),
            ),
            _ => (false, false),
        };
        // A 1.0 TerminateSequence has no response: it is answered with what is queued (the
        // service's own TerminateSequence, in WCF's request-reply 1.0).
        let version = listener
            .config()
            .session
            .settings
            .reliable_messaging_version();
        let kind = RequestKind::of_request(message)
            .filter(|kind| *kind != RequestKind::Terminate || version.is_11());
        RequestInfo {
            terminates: matches!(message.body, ProtocolBody::TerminateSequence(_)),
            kind,
            message_id: payload_of(message)
                .and_then(|p| p.message_id())
                .map(Cow::into_owned),
            application,
            duplicate,
        }
    }
}

#[derive(Debug)]
enum Wait {
    Reply(String),
    Response(RequestKind),
}

#[derive(Debug)]
struct Parked {
    exchange: ExchangeId,
    wait: Wait,
    deadline: Timestamp,
}

#[derive(Debug)]
enum Outcome<T> {
    /// Delivered (or about to be); the dispatcher has not said yet.
    Pending,
    /// Answered by reply number `number` of the service's sequence.
    Replied {
        number: u64,
        reply: Box<ProtocolMessage<T>>,
    },
}

/// The service side of one reliable session over a request-reply transport.
#[derive(Debug)]
pub struct Responder<T> {
    config: ResponderConfig,
    parked: VecDeque<Parked>,
    outcomes: HashMap<String, Outcome<T>>,
    /// MessageIDs in the order they were first seen, for forgetting the oldest.
    order: VecDeque<String>,
    queued: VecDeque<ProtocolMessage<T>>,
    /// The service's latest request of its own (CloseSequence, TerminateSequence, 1.0's
    /// LastMessage): it rides on every answer that has nothing else to carry until the session
    /// moves past it, since the response that carried it may have been lost and only another
    /// request from the client can fetch it again.
    standing: Option<ProtocolMessage<T>>,
    answers: VecDeque<(ExchangeId, Option<ProtocolMessage<T>>)>,
    /// The client has terminated its sequence.
    requester_terminated: bool,
}

impl<T: Clone + Correlated> Responder<T> {
    /// A responder with nothing parked.
    pub fn new(config: ResponderConfig) -> Self {
        Responder {
            config,
            parked: VecDeque::new(),
            outcomes: HashMap::new(),
            order: VecDeque::new(),
            queued: VecDeque::new(),
            standing: None,
            answers: VecDeque::new(),
            requester_terminated: false,
        }
    }

    /// Requests parked.
    #[cfg(test)]
    pub fn parked(&self) -> usize {
        self.parked.len()
    }

    /// Requests remembered (awaiting an outcome or a kept reply).
    #[cfg(test)]
    pub fn remembered(&self) -> usize {
        self.outcomes.len()
    }

    /// Exchange `exchange` carried a request the session has now taken (`info` was read
    /// before). It is answered now or parked; answers come from [`Responder::poll_answer`].
    pub fn on_request(
        &mut self,
        now: Timestamp,
        exchange: ExchangeId,
        info: RequestInfo,
        session: &ReliableSession<T>,
    ) {
        self.forget_acknowledged(session);
        self.requester_terminated |= info.terminates;
        let wait = match (info.kind, info.message_id) {
            (Some(kind), _) => Wait::Response(kind),
            (None, Some(id)) if info.application => match self.outcomes.get(&id) {
                Some(Outcome::Replied { reply, .. }) => {
                    let reply = (**reply).clone();
                    self.answers.push_back((exchange, Some(reply)));
                    return;
                }
                Some(Outcome::Pending) => Wait::Reply(id),
                // A re-sent request with no outcome left was answered without a reply, or
                // its reply has been acknowledged: the acknowledgement says all.
                None if info.duplicate => return self.answer_now(exchange),
                None => {
                    self.remember(id.clone(), Outcome::Pending);
                    Wait::Reply(id)
                }
            },
            // Acknowledgements, AckRequested, LastMessage, one-way messages without a
            // MessageID: nothing to wait for.
            _ => return self.answer_now(exchange),
        };
        self.parked.push_back(Parked {
            exchange,
            wait,
            deadline: now + self.config.hold,
        });
        if self.parked.len() > self.config.max_parked {
            if let Some(oldest) = self.parked.pop_front() {
                self.answer_now(oldest.exchange);
            }
        }
        self.match_responses();
    }

    /// Answers `exchange` with whatever is queued, or an acknowledgement only.
    fn answer_now(&mut self, exchange: ExchangeId) {
        let next = self.queued.pop_front();
        self.answers.push_back((exchange, next));
    }

    /// Follows the session's state: call after draining its actions. Once the client has
    /// terminated its sequence and the session is closing, it finishes without waiting for
    /// the client (see [`ReliableSession::finish_after_requester_terminated`]).
    pub fn update(&mut self, session: &mut ReliableSession<T>) {
        if self.requester_terminated && session.state() == CommunicationState::Closing {
            session.finish_after_requester_terminated();
        }
    }

    /// The dispatcher took request `message_id` and has no reply for it.
    pub fn no_reply(&mut self, message_id: &str) {
        if matches!(self.outcomes.get(message_id), Some(Outcome::Pending)) {
            self.outcomes.remove(message_id);
        }
        self.answer_waiting_for(message_id, None);
    }

    /// Takes a message the session sends (its `Action::Send`).
    pub fn on_send(&mut self, message: ProtocolMessage<T>) {
        match &message.body {
            // Every response carries a fresh acknowledgement: standalone ones add nothing.
            ProtocolBody::Empty => {}
            ProtocolBody::Sequence {
                header,
                payload: Some(payload),
            } => {
                let number = header.message_number;
                let Some(id) = payload.relates_to().map(Cow::into_owned) else {
                    // No request to answer it with: the next response carries it.
                    self.enqueue(message);
                    return;
                };
                self.answer_waiting_for(&id, Some(&message));
                let replied = Outcome::Replied {
                    number,
                    reply: Box::new(message),
                };
                match self.outcomes.get_mut(&id) {
                    Some(outcome) => *outcome = replied,
                    None => self.remember(id, replied),
                }
            }
            ProtocolBody::Sequence { payload: None, .. }
            | ProtocolBody::CloseSequence(_)
            | ProtocolBody::TerminateSequence(_) => {
                self.queued.retain(|queued| {
                    !matches!(
                        queued.body,
                        ProtocolBody::Sequence { payload: None, .. }
                            | ProtocolBody::CloseSequence(_)
                            | ProtocolBody::TerminateSequence(_)
                    )
                });
                self.standing = Some(message.clone());
                self.enqueue(message);
            }
            _ => {
                self.enqueue(message);
                self.match_responses();
            }
        }
    }

    /// The next answer: send `message` (with its fresh acknowledgement) as the response to
    /// the exchange; `None` answers with no body (HTTP 202).
    pub fn poll_answer(
        &mut self,
        now: Timestamp,
        session: &mut ReliableSession<T>,
    ) -> Option<(ExchangeId, Option<ProtocolMessage<T>>)> {
        let (exchange, mut message) = self.answers.pop_front()?;
        if message.is_none() {
            message = self.standing_message(session);
        }
        let ack = session.acknowledgement(now);
        let message = match (message, ack) {
            (Some(mut message), Some(ack)) => {
                message.acknowledgement = Some(ack);
                Some(message)
            }
            (Some(message), None) => Some(message),
            (None, Some(ack)) => Some(ProtocolMessage::acknowledgement(ack)),
            (None, None) => None,
        };
        Some((exchange, message))
    }

    /// When the oldest parked request must be answered.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.parked.iter().map(|p| p.deadline).min()
    }

    /// Answers the requests that have waited [`ResponderConfig::hold`].
    pub fn handle_timeout(&mut self, now: Timestamp) {
        let mut still = VecDeque::with_capacity(self.parked.len());
        for parked in std::mem::take(&mut self.parked) {
            if parked.deadline <= now {
                let next = match parked.wait {
                    Wait::Reply(_) => self.queued.pop_front(),
                    Wait::Response(kind) => self.take_response(kind),
                };
                self.answers.push_back((parked.exchange, next));
            } else {
                still.push_back(parked);
            }
        }
        self.parked = still;
    }

    /// Answers every parked request (the session is ending), each with what is queued.
    pub fn flush(&mut self) {
        for parked in std::mem::take(&mut self.parked) {
            let next = self.queued.pop_front();
            self.answers.push_back((parked.exchange, next));
        }
    }

    /// The standing request, while the session has not moved past it.
    fn standing_message(&mut self, session: &ReliableSession<T>) -> Option<ProtocolMessage<T>> {
        let current = match &self.standing {
            Some(message) => match &message.body {
                ProtocolBody::Sequence { header, .. } => {
                    !session.output_acked(header.message_number)
                }
                _ => !matches!(
                    session.state(),
                    CommunicationState::Closed | CommunicationState::Faulted
                ),
            },
            None => false,
        };
        if !current {
            self.standing = None;
        }
        self.standing.clone()
    }

    fn enqueue(&mut self, message: ProtocolMessage<T>) {
        if self.queued.len() >= self.config.max_queued {
            self.queued.pop_front();
        }
        self.queued.push_back(message);
    }

    fn take_response(&mut self, kind: RequestKind) -> Option<ProtocolMessage<T>> {
        let at = self
            .queued
            .iter()
            .position(|m| RequestKind::of_response(m) == Some(kind))?;
        self.queued.remove(at)
    }

    /// Answers parked control requests whose responses are queued.
    fn match_responses(&mut self) {
        let mut index = 0;
        while index < self.parked.len() {
            let Wait::Response(kind) = self.parked[index].wait else {
                index += 1;
                continue;
            };
            match self.take_response(kind) {
                Some(response) => {
                    if let Some(parked) = self.parked.remove(index) {
                        self.answers.push_back((parked.exchange, Some(response)));
                    }
                }
                None => index += 1,
            }
        }
    }

    fn answer_waiting_for(&mut self, message_id: &str, reply: Option<&ProtocolMessage<T>>) {
        let mut index = 0;
        while index < self.parked.len() {
            if matches!(&self.parked[index].wait, Wait::Reply(id) if id == message_id) {
                if let Some(parked) = self.parked.remove(index) {
                    let answer = match reply {
                        Some(reply) => Some(reply.clone()),
                        None => self.queued.pop_front(),
                    };
                    self.answers.push_back((parked.exchange, answer));
                }
            } else {
                index += 1;
            }
        }
    }

    fn remember(&mut self, id: String, outcome: Outcome<T>) {
        while self.outcomes.len() >= self.config.max_remembered {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.outcomes.remove(&oldest);
        }
        self.order.push_back(id.clone());
        self.outcomes.insert(id, outcome);
    }

    /// Forgets the replies the client has acknowledged: it has them.
    fn forget_acknowledged(&mut self, session: &ReliableSession<T>) {
        let outcomes = &mut self.outcomes;
        self.order.retain(|id| match outcomes.get(id) {
            Some(Outcome::Replied { number, .. }) if session.output_acked(*number) => {
                outcomes.remove(id);
                false
            }
            Some(_) => true,
            None => false,
        });
    }

    /// Forgets everything (the session ended); parked requests should be flushed first.
    pub fn clear(&mut self) {
        self.parked.clear();
        self.outcomes.clear();
        self.order.clear();
        self.queued.clear();
        self.standing = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reliable::proto::listener::Routing;
    use crate::reliable::proto::session::Action;
    use crate::reliable::proto::settings::ReliableSessionSettings;
    use crate::reliable::proto::test_support::Harness;

    /// A test request is its number: its MessageID, and the RelatesTo of the reply echoing it.
    impl Correlated for u32 {
        fn message_id(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Owned(self.to_string()))
        }
        fn relates_to(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Owned(self.to_string()))
        }
    }

    fn sent(session: &mut ReliableSession<u32>) -> Vec<ProtocolMessage<u32>> {
        let mut out = Vec::new();
        while let Some(action) = session.poll_action() {
            if let Action::Send(message) = action {
                out.push(message);
            }
        }
        out
    }

    /// An open duplex session, a client request carrying `payload` (not yet delivered), and
    /// the service side's responder.
    fn session_and_request(payload: u32) -> (Harness, ProtocolMessage<u32>, Responder<u32>) {
        let mut h = Harness::new(ReliableSessionSettings::default(), true);
        h.open();
        let now = h.now;
        h.client.send(now, payload).expect("room in the window");
        let request = sent(&mut h.client)
            .into_iter()
            .find(|m| matches!(m.body, ProtocolBody::Sequence { .. }))
            .expect("the request");
        (h, request, Responder::new(ResponderConfig::default()))
    }

    /// Feeds `request` to the listener as exchange `exchange`, as the hub does.
    fn take(
        h: &mut Harness,
        responder: &mut Responder<u32>,
        exchange: ExchangeId,
        request: &ProtocolMessage<u32>,
    ) {
        let info = RequestInfo::read(request, &h.listener);
        let now = h.now;
        let Routing::Session(key) = h.listener.handle_input(now, request.clone()) else {
            panic!("the request belongs to the session");
        };
        while h.listener.poll_action().is_some() {}
        let session = h.listener.session(key).expect("live");
        responder.on_request(now, exchange, info, session);
    }

    fn answers(
        h: &mut Harness,
        responder: &mut Responder<u32>,
    ) -> Vec<(ExchangeId, Option<ProtocolMessage<u32>>)> {
        let key = h.server_key().expect("a session");
        let now = h.now;
        let session = h.listener.session_mut(key).expect("live");
        std::iter::from_fn(|| responder.poll_answer(now, session)).collect()
    }

    fn reply_payload(message: &Option<ProtocolMessage<u32>>) -> Option<u32> {
        message.as_ref().and_then(|m| payload_of(m).copied())
    }

    #[test]
    fn a_re_sent_request_gets_the_kept_reply_until_the_client_acknowledges_it() {
        let (mut h, request, mut responder) = session_and_request(7);
        take(&mut h, &mut responder, 1, &request);
        assert!(
            answers(&mut h, &mut responder).is_empty(),
            "parked for its reply"
        );
        // The operation replies.
        let now = h.now;
        h.server().send(now, 7).expect("room");
        for message in sent(h.server()) {
            responder.on_send(message);
        }
        let first = answers(&mut h, &mut responder);
        assert_eq!(first.len(), 1);
        assert_eq!((first[0].0, reply_payload(&first[0].1)), (1, Some(7)));
        // That response is lost; the client sends the request again and gets the same reply,
        // at once.
        take(&mut h, &mut responder, 2, &request);
        let again = answers(&mut h, &mut responder);
        assert_eq!(again.len(), 1);
        assert_eq!((again[0].0, reply_payload(&again[0].1)), (2, Some(7)));
        assert_eq!(responder.remembered(), 1);
        // Once a request acknowledges the reply, it is forgotten: a further copy of the request
        // is answered with the acknowledgement alone.
        let reply = again[0].1.clone().expect("the reply");
        h.client.handle_input(now, reply);
        while h.client.poll_action().is_some() {}
        let mut acking = request.clone();
        acking.acknowledgement = h.client.acknowledgement(now);
        take(&mut h, &mut responder, 3, &acking);
        let last = answers(&mut h, &mut responder);
        assert_eq!(responder.remembered(), 0);
        assert_eq!(last.len(), 1);
        assert_eq!(reply_payload(&last[0].1), None, "no reply kept any more");
    }

    #[test]
    fn a_one_way_request_is_answered_when_dispatched_and_its_copies_at_once() {
        let (mut h, request, mut responder) = session_and_request(9);
        take(&mut h, &mut responder, 1, &request);
        assert!(
            answers(&mut h, &mut responder).is_empty(),
            "parked until dispatched"
        );
        responder.no_reply("9");
        let first = answers(&mut h, &mut responder);
        assert_eq!(first.len(), 1);
        let ack = first[0].1.as_ref().and_then(|m| m.acknowledgement.clone());
        assert!(ack.is_some_and(|a| a.ranges.iter().any(|r| r.lower <= 1 && 1 <= r.upper)));
        // A copy of it (its response was lost) is not held for the hold time.
        take(&mut h, &mut responder, 2, &request);
        assert_eq!(answers(&mut h, &mut responder).len(), 1);
        assert_eq!(responder.parked(), 0);
    }

    #[test]
    fn a_request_whose_reply_is_late_is_answered_after_the_hold() {
        let (mut h, request, mut responder) = session_and_request(5);
        take(&mut h, &mut responder, 1, &request);
        let deadline = responder.poll_timeout().expect("a parked request");
        assert_eq!(deadline, h.now + ResponderConfig::default().hold);
        responder.handle_timeout(deadline);
        let answered = answers(&mut h, &mut responder);
        assert_eq!(answered.len(), 1);
        assert_eq!(
            reply_payload(&answered[0].1),
            None,
            "an acknowledgement only"
        );
    }

    #[test]
    fn the_requester_never_sends_what_the_service_acknowledged() {
        let mut h = Harness::new(ReliableSessionSettings::default(), true);
        h.open();
        let mut requester = Requester::new(RequesterConfig {
            max_in_flight: 1,
            ..RequesterConfig::default()
        });
        let now = h.now;
        h.client.send(now, 1).expect("room");
        for message in sent(&mut h.client) {
            requester.push(message);
        }
        let (id, first) = requester
            .poll_transmit(now, &mut h.client)
            .expect("a request");
        // The request reaches the service, but its exchange fails on the way back...
        h.listener.handle_input(now, first.clone());
        requester.on_failure(now, id, &h.client);
        assert_eq!(requester.queued(), 1, "queued for a re-send");
        // ...and before the re-send, another response acknowledges it.
        let key = h.server_key().expect("a session");
        let ack = h
            .listener
            .session_mut(key)
            .and_then(|s| s.acknowledgement(now))
            .expect("an acknowledgement");
        h.client
            .handle_input(now, ProtocolMessage::acknowledgement(ack));
        let later = now + Duration::from_secs(1);
        assert!(requester.poll_transmit(later, &mut h.client).is_none());
        assert_eq!(requester.stats().acknowledged_dropped, 1);
    }

    #[test]
    fn an_awaited_request_is_re_sent_until_its_reply_is_delivered() {
        let mut h = Harness::new(ReliableSessionSettings::default(), true);
        h.open();
        let mut requester = Requester::new(RequesterConfig::default());
        let now = h.now;
        h.client.send(now, 4).expect("room");
        requester.expect_reply("4".to_owned());
        for message in sent(&mut h.client) {
            requester.push(message);
        }
        let (id, _) = requester
            .poll_transmit(now, &mut h.client)
            .expect("a request");
        // Answered with an acknowledgement only (the operation is slow).
        requester.on_response(now, id, None, &mut h.client);
        let chase_at = requester.poll_timeout().expect("a chase");
        assert_eq!(chase_at, now + RequesterConfig::default().reply_chase);
        requester.handle_timeout(chase_at, &mut h.client);
        let (_, again) = requester
            .poll_transmit(chase_at, &mut h.client)
            .expect("the request again");
        assert_eq!(payload_of(&again).copied(), Some(4));
        assert_eq!(requester.stats().chased, 1);
        // Its reply delivered, it is no longer awaited.
        requester.reply_received("4");
        assert_eq!(requester.awaiting_replies(), 0);
    }
}
