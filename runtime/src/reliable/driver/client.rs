//! The client side: one task per reliable session. It owns the [`ReliableSession`] (initiator,
//! offering the return sequence), the [`Link`] to the service, and the application's channel,
//! and runs until the session is closed, faults, or the application drops it.
//!
//! Over a duplex transport a dropped connection is reopened and the session continues: the
//! core resends its handshake request and everything unacknowledged, and re-acknowledges what
//! it received. Over HTTP, where the service can only answer, a request whose reply has not
//! come is re-sent until it does (WCF's request-reply initiator does the same, reference §1.6).

use super::app::{self, AppCommand, Delivery};
use super::envelope::{Codec, IncomingError, RequestIds};
use super::link::{Link, LinkEvent};
use super::{Clock, Payload, Timer, FRAME_QUEUE};
use crate::channel::DuplexChannel;
use crate::error::Error;
use crate::message::Message;
use crate::reliable::proto::{
    Action, Body, ProtocolMessage, ReliableSession, SendBlocked, SessionConfig, SessionError,
};
use futures::channel::mpsc;
use futures::StreamExt;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{debug, warn, Instrument};

/// How often a request whose reply is missing is re-sent over HTTP.
const REPLY_CHASE_INTERVAL: Duration = Duration::from_millis(500);
/// How often a closing session polls over HTTP, where the service can only answer: its own
/// sequence's end (LastMessage, CloseSequence, TerminateSequence) rides on the responses.
const CLOSE_POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Over HTTP, how long a closing session whose own sequence has ended still polls for the
/// service to end its sequence before it closes without that (see
/// [`ReliableSession::abandon_input`]).
const INPUT_END_GRACE: Duration = Duration::from_millis(500);

pub(crate) use super::link::Opener;

/// Opens a reliable session to `address` over the transport `opener` makes: connects,
/// runs the CreateSequence handshake, and returns the session as a channel.
pub(crate) async fn open(
    opener: Opener,
    codec: Codec,
    mut config: SessionConfig,
    address: String,
) -> Result<DuplexChannel, Error> {
    let transport = opener().await?;
    // Over HTTP every response acknowledges, so WCF piggy-backs no AckRequested there.
    config.request_acks = !matches!(
        transport,
        crate::transport::ClientTransport::RequestReply(_)
    );
    let (events_tx, events) = mpsc::channel(FRAME_QUEUE * 2);
    let link = Link::new(transport, opener, codec.encoder.clone(), events_tx)?;
    let (commands_tx, commands) = mpsc::unbounded();
    let (channel, deliver) = app::channel((), commands_tx, address.clone(), None);
    let (opened_tx, opened) = oneshot::channel();
    let mut session = ReliableSession::initiator(config, Some(super::new_id()));
    let clock = Clock::new();
    session.open(clock.now());
    let driver = Box::new(ClientDriver {
        clock,
        session,
        codec,
        address: address.clone(),
        link,
        events,
        commands,
        deliver: Some(deliver),
        opened: Some(opened_tx),
        waiting: VecDeque::new(),
        closing: Vec::new(),
        requests: RequestIds::default(),
        expecting: HashSet::new(),
        chase: HashMap::new(),
        next_poll: None,
        abandon_at: None,
        done: false,
    });
    let span = tracing::info_span!("reliable client", %address);
    tokio::spawn(driver.run().instrument(span));
    match opened.await {
        Ok(Ok(())) => Ok(channel),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(Error::Protocol(
            "the reliable session ended while opening".to_owned(),
        )),
    }
}

/// A request sent over HTTP whose reply has not arrived yet.
struct Chase {
    message: Message,
    resend_at: Instant,
}

type Waiter = oneshot::Sender<Result<(), Error>>;

struct ClientDriver {
    clock: Clock,
    session: ReliableSession<Payload>,
    codec: Codec,
    address: String,
    link: Link,
    events: mpsc::Receiver<LinkEvent>,
    commands: mpsc::UnboundedReceiver<((), AppCommand)>,
    deliver: Option<mpsc::UnboundedSender<Delivery>>,
    opened: Option<Waiter>,
    /// Sends waiting for room in the window, in order.
    waiting: VecDeque<(Payload, Waiter)>,
    closing: Vec<Waiter>,
    requests: RequestIds,
    /// MessageIDs of requests that expect a reply (HTTP only).
    expecting: HashSet<String>,
    chase: HashMap<String, Chase>,
    /// When a closing session over HTTP next polls the service.
    next_poll: Option<Instant>,
    /// When a closing session over HTTP stops waiting for the service's sequence to end.
    abandon_at: Option<Instant>,
    done: bool,
}

impl ClientDriver {
    /// Takes the driver boxed: an async fn keeps its by-value arguments apart from the locals
    /// they are moved into, so an unboxed driver would sit in its task twice.
    async fn run(mut self: Box<Self>) {
        let mut timer = Timer::new();
        loop {
            self.drain_actions();
            if self.done {
                break;
            }
            let deadline = [
                self.session.poll_timeout().map(|t| self.clock.instant(t)),
                self.link.deadline(),
                self.chase.values().map(|c| c.resend_at).min(),
                self.next_poll,
                self.abandon_at,
            ]
            .into_iter()
            .flatten()
            .min();
            timer.arm(deadline);
            tokio::select! {
                command = self.commands.next() => match command {
                    Some(((), command)) => self.on_command(command),
                    None => {
                        // Every handle is gone: nobody can use or close the session.
                        self.session.abort();
                    }
                },
                Some(event) = self.events.next() => self.on_link_event(event),
                () = timer.fired() => self.on_timer(),
            }
        }
        // Let the last frames (TerminateSequence's answer...) leave, then end the connection.
        let _ = tokio::time::timeout(Duration::from_secs(1), self.link.finish()).await;
    }

    fn on_timer(&mut self) {
        let now = self.clock.now();
        self.session.handle_timeout(now);
        self.link.poll();
        let instant = Instant::now();
        if self.next_poll.is_some_and(|at| at <= instant) {
            self.poll_service(now, instant);
        }
        if self.abandon_at.is_some_and(|at| at <= instant) {
            debug!("the service did not end its sequence; closing without it");
            self.session.abandon_input();
        }
        for chase in self.chase.values_mut() {
            if chase.resend_at <= instant {
                chase.resend_at = instant + REPLY_CHASE_INTERVAL;
                self.link.send(chase.message.clone());
            }
        }
    }

    /// Sends the acknowledgement of the service's sequence as a request, so the response can
    /// carry what the service has to say.
    fn poll_service(&mut self, now: crate::reliable::proto::Timestamp, instant: Instant) {
        if self.session.state() != crate::CommunicationState::Closing {
            self.next_poll = None;
            return;
        }
        self.next_poll = Some(instant + CLOSE_POLL_INTERVAL);
        if let Some(ack) = self.session.acknowledgement(now) {
            self.transmit(ProtocolMessage::acknowledgement(ack), None);
        }
    }

    fn on_command(&mut self, command: AppCommand) {
        let now = self.clock.now();
        match command {
            AppCommand::Send(message, waiter) => {
                if self.link.is_request_reply() && message.headers.reply_to.is_some() {
                    if let Some(id) = &message.headers.message_id {
                        self.expecting.insert(id.clone());
                    }
                }
                self.waiting.push_back((message, waiter));
            }
            AppCommand::NoReply(_) => {}
            AppCommand::Close(waiter) => {
                self.closing.push(waiter);
                self.session.close(now);
                if self.link.is_request_reply() {
                    self.next_poll = Some(Instant::now() + CLOSE_POLL_INTERVAL);
                }
            }
            AppCommand::Dequeued => self.session.message_dequeued(now, 1),
            AppCommand::Dropped => {
                if self.closing.is_empty() {
                    self.session.abort();
                }
            }
        }
    }

    fn on_link_event(&mut self, event: LinkEvent) {
        let mut event = Some(event);
        if self.link.on_event(&mut event) {
            debug!("reconnected; resuming the reliable session");
            self.session.transport_restored(self.clock.now());
            return;
        }
        let Some(LinkEvent::Message(message)) = event else {
            return;
        };
        let incoming = message
            .map_err(IncomingError::from)
            .and_then(|message| self.codec.read(*message));
        match incoming {
            Ok(incoming) => {
                tracing::trace!(kind = incoming.message.kind(), "client receives");
                self.requests
                    .record(&incoming.message, incoming.message_id.as_ref());
                self.session
                    .handle_input(self.clock.now(), incoming.message);
            }
            Err(IncomingError::Unreadable(e)) => {
                warn!(error = %e, "unreadable message from the service; dropped");
            }
            Err(IncomingError::Wire(e)) => match e.fault() {
                // The core would fault for this; reading already found it, so tell the peer
                // and fault as the core does for the same violation.
                Some(fault) => {
                    warn!(error = %e, "the service broke the protocol");
                    let error = SessionError::ProtocolViolation(fault.clone());
                    self.transmit(ProtocolMessage::fault(fault.clone()), None);
                    self.session.abort();
                    self.fail(error);
                }
                None => warn!(error = %e, "unusable WS-RM message from the service; dropped"),
            },
        }
    }

    /// Moves waiting sends into the window, then carries out the session's actions.
    fn drain_actions(&mut self) {
        self.admit_waiting();
        while let Some(action) = self.session.poll_action() {
            match action {
                Action::Send(message) => {
                    let relates_to = self.requests.answered_by(&message).map(str::to_owned);
                    self.transmit(message, relates_to.as_deref());
                }
                Action::Deliver(message) => {
                    if let Some(id) = &message.headers.relates_to {
                        self.chase.remove(id);
                        self.expecting.remove(id);
                    }
                    if let Some(deliver) = &self.deliver {
                        let _ = deliver.unbounded_send(Ok(message));
                    }
                }
                Action::Opened => {
                    if let Some(opened) = self.opened.take() {
                        let _ = opened.send(Ok(()));
                    }
                }
                Action::InputCompleted => self.deliver = None,
                Action::Closed => {
                    self.finish(Ok(()));
                }
                Action::Fault(e) => self.fail(e),
            }
            self.admit_waiting();
        }
        self.watch_input_end();
    }

    /// Over HTTP, once the output sequence has ended while closing, gives the service a
    /// grace period to end its sequence.
    fn watch_input_end(&mut self) {
        if self.abandon_at.is_none()
            && self.link.is_request_reply()
            && self.session.state() == crate::CommunicationState::Closing
            && self.session.output_ended()
        {
            self.abandon_at = Some(Instant::now() + INPUT_END_GRACE);
        }
    }

    fn admit_waiting(&mut self) {
        let now = self.clock.now();
        while let Some((message, waiter)) = self.waiting.pop_front() {
            match self.session.send(now, message) {
                Ok(_) => {
                    let _ = waiter.send(Ok(()));
                }
                Err(rejected) => match rejected.reason {
                    SendBlocked::Busy(_) | SendBlocked::NotOpen if !self.done => {
                        self.waiting.push_front((rejected.payload, waiter));
                        return;
                    }
                    reason => {
                        let _ = waiter.send(Err(Error::InvalidState {
                            operation: "send on the reliable session",
                            object: "reliable session",
                            state: blocked_state(reason, self.session.state()),
                        }));
                    }
                },
            }
        }
    }

    fn transmit(&mut self, message: ProtocolMessage<Payload>, relates_to: Option<&str>) {
        tracing::trace!(
            kind = message.kind(),
            ack = message.acknowledgement.is_some(),
            "client sends"
        );
        // Over HTTP, a request whose reply is awaited is re-sent until the reply comes.
        let chased = match &message.body {
            Body::Sequence {
                payload: Some(app), ..
            } if !self.expecting.is_empty() => app
                .headers
                .message_id
                .as_ref()
                .filter(|id| self.expecting.contains(*id))
                .cloned(),
            _ => None,
        };
        let Some(out) = self.codec.message(message, Some(&self.address), relates_to) else {
            return;
        };
        if let Some(id) = chased {
            self.chase.insert(
                id,
                Chase {
                    message: out.clone(),
                    resend_at: Instant::now() + REPLY_CHASE_INTERVAL,
                },
            );
        }
        self.link.send(out);
    }

    fn fail(&mut self, error: SessionError) {
        if let Some(opened) = self.opened.take() {
            let _ = opened.send(Err(Error::ReliableSession(error.clone())));
        } else if let Some(deliver) = self.deliver.take() {
            let _ = deliver.unbounded_send(Err(Box::new(Error::ReliableSession(error.clone()))));
        }
        self.finish(Err(error));
    }

    fn finish(&mut self, outcome: Result<(), SessionError>) {
        self.done = true;
        self.deliver = None;
        self.chase.clear();
        for waiter in self.closing.drain(..) {
            let _ = waiter.send(outcome.clone().map_err(Error::ReliableSession));
        }
        for (_, waiter) in self.waiting.drain(..) {
            let _ = waiter.send(Err(Error::InvalidState {
                operation: "send on the reliable session",
                object: "reliable session",
                state: self.session.state(),
            }));
        }
        if let Some(opened) = self.opened.take() {
            let _ = opened.send(Err(Error::Protocol(
                "the reliable session closed while opening".to_owned(),
            )));
        }
        if self.link.dropped > 0 {
            debug!(
                dropped = self.link.dropped,
                "frames dropped by the link (retransmitted)"
            );
        }
    }
}

fn blocked_state(
    reason: SendBlocked,
    state: crate::CommunicationState,
) -> crate::CommunicationState {
    match reason {
        SendBlocked::Faulted => crate::CommunicationState::Faulted,
        SendBlocked::Closed => crate::CommunicationState::Closed,
        _ => state,
    }
}
