//! The client side: one task per reliable session. It owns the [`ReliableSession`] (initiator,
//! offering the return sequence), the [`Link`] to the service, and the application's channel,
//! and runs until the session is closed, faults, or the application drops it.
//!
//! Over a duplex transport a dropped connection is reopened and the session continues: the
//! core resends its handshake request and everything unacknowledged, and re-acknowledges what
//! it received. Over HTTP, the core's [`Requester`] decides which exchanges run and what is
//! re-sent (a request whose reply has not come is re-sent until it does, as WCF's
//! request-reply initiator does, reference §1.6); the driver only starts them and reports
//! their outcomes, reading its one clock.

use super::app::{self, AppCommand, Delivery};
use super::envelope::{Codec, IncomingError, RequestIds};
use super::link::{Link, LinkEvent};
use super::{Clock, Payload, Timer, MESSAGE_QUEUE};
use crate::channel::{ClientChannelShape, DuplexChannel};
use crate::error::Error;
use crate::reliable::proto::request_reply::{Requester, RequesterConfig};
use crate::reliable::proto::{
    Action, ProtocolMessage, ReliableSession, SendBlocked, SessionConfig, SessionError,
};
use futures::channel::mpsc;
use futures::StreamExt;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::oneshot;
use tracing::{debug, warn, Instrument};

/// Exchanges run at once over HTTP: the transfer window, up to this many connections.
const MAX_PARALLEL_EXCHANGES: usize = 32;

pub(crate) use super::link::Opener;

/// Opens a reliable session to `address` over the inner channels `opener` makes: opens one,
/// runs the CreateSequence handshake, and returns the session as a channel.
pub(crate) async fn open(
    opener: Opener,
    codec: Codec,
    mut config: SessionConfig,
    address: String,
) -> Result<DuplexChannel, Error> {
    let inner = opener().await?;
    let request_reply = matches!(inner, ClientChannelShape::Request(_));
    // Over HTTP every response acknowledges, so WCF piggy-backs no AckRequested there.
    config.request_acks = !request_reply;
    let requester = request_reply.then(|| {
        Box::new(Requester::new(RequesterConfig {
            max_in_flight: (config.settings.max_transfer_window_size() as usize)
                .clamp(1, MAX_PARALLEL_EXCHANGES),
            ..RequesterConfig::default()
        }))
    });
    let (events_tx, events) = mpsc::channel(MESSAGE_QUEUE * 2);
    let link = Link::new(inner, opener, events_tx)?;
    let (commands_tx, commands) = mpsc::unbounded();
    let (channel, deliver) = app::channel(
        (),
        commands_tx,
        address.clone(),
        None,
        crate::security::CallerIdentity::Anonymous,
    );
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
        requester,
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
    /// Over HTTP: which exchanges run and what is re-sent. Boxed: most sessions run over a
    /// connection, and an idle one should not carry it.
    requester: Option<Box<Requester<Payload>>>,
    done: bool,
}

impl ClientDriver {
    /// Takes the driver boxed: an async fn keeps its by-value arguments apart from the locals
    /// they are moved into, so an unboxed driver would sit in its task twice.
    async fn run(mut self: Box<Self>) {
        let mut timer = Timer::new();
        // Once every handle is gone the command stream ends; polling it again would return at
        // once, forever, and spin the task while it lingers (see below).
        let mut commands_open = true;
        loop {
            self.drain_actions();
            // Over HTTP the last requests (TerminateSequence, the final acknowledgement) are
            // the service's only news of the end: the requester lingers until they are through.
            if self.done && self.requester.as_ref().is_none_or(|r| r.is_idle()) {
                break;
            }
            let deadline = [
                self.session.poll_timeout().map(|t| self.clock.instant(t)),
                self.link.deadline(),
                self.requester
                    .as_ref()
                    .and_then(|r| r.poll_timeout())
                    .map(|t| self.clock.instant(t)),
            ]
            .into_iter()
            .flatten()
            .min();
            timer.arm(deadline);
            tokio::select! {
                command = self.commands.next(), if commands_open => match command {
                    Some(((), command)) => self.on_command(command),
                    None => {
                        // Every handle is gone: nobody can use or close the session.
                        commands_open = false;
                        self.session.abort();
                    }
                },
                Some(event) = self.events.next() => self.on_link_event(event),
                () = timer.fired() => self.on_timer(),
            }
        }
        // Let the last messages (TerminateSequence's answer...) leave, then end the connection.
        let _ = tokio::time::timeout(Duration::from_secs(1), self.link.finish()).await;
    }

    fn on_timer(&mut self) {
        let now = self.clock.now();
        self.session.handle_timeout(now);
        self.link.poll();
        if let Some(requester) = self.requester.as_mut() {
            if requester.poll_timeout().is_some_and(|t| t <= now) {
                requester.handle_timeout(now, &mut self.session);
            }
        }
    }

    fn on_command(&mut self, command: AppCommand) {
        let now = self.clock.now();
        match command {
            AppCommand::Send(message, waiter) => {
                if let Some(requester) = self.requester.as_mut() {
                    if message.awaits_reply {
                        if let Some(id) = &message.headers.message_id {
                            requester.expect_reply(id.clone());
                        }
                    }
                }
                self.waiting.push_back((message, waiter));
            }
            AppCommand::NoReply(_) => {}
            AppCommand::Close(waiter) => {
                self.closing.push(waiter);
                self.session.close(now);
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
        let (exchange, message) = match event {
            Some(LinkEvent::Message(message)) => (None, message),
            Some(LinkEvent::Answered(id, Some(message))) => (Some(id), message),
            Some(LinkEvent::Answered(id, None)) => {
                let now = self.clock.now();
                if let Some(requester) = self.requester.as_mut() {
                    requester.on_response(now, id, None, &mut self.session);
                }
                return;
            }
            Some(LinkEvent::Failed(id)) => {
                let now = self.clock.now();
                if let Some(requester) = self.requester.as_mut() {
                    requester.on_failure(now, id, &self.session);
                }
                return;
            }
            _ => return,
        };
        let incoming = message
            .map_err(IncomingError::from)
            .and_then(|message| self.codec.read(*message));
        let now = self.clock.now();
        if let (Some(id), Err(_)) = (exchange, &incoming) {
            // An answer that cannot be used is as good as lost: what matters is re-sent.
            if let Some(requester) = self.requester.as_mut() {
                requester.on_failure(now, id, &self.session);
            }
        }
        match incoming {
            Ok(incoming) => {
                tracing::trace!(kind = incoming.message.kind(), "client receives");
                self.requests
                    .record(&incoming.message, incoming.message_id.as_ref());
                match (exchange, self.requester.as_mut()) {
                    (Some(id), Some(requester)) => {
                        requester.on_response(now, id, Some(incoming.message), &mut self.session)
                    }
                    _ => self.session.handle_input(now, incoming.message),
                }
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
                    if let (Some(id), Some(requester)) =
                        (&message.headers.relates_to, self.requester.as_mut())
                    {
                        requester.reply_received(id);
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
        self.start_exchanges();
    }

    /// Over HTTP: lets the requester follow the session, and starts the exchanges it has
    /// room for.
    fn start_exchanges(&mut self) {
        let Some(requester) = self.requester.as_mut() else {
            return;
        };
        let now = self.clock.now();
        requester.update(now, &self.session);
        while let Some((id, message)) = requester.poll_transmit(now, &mut self.session) {
            let relates_to = self.requests.answered_by(&message).map(str::to_owned);
            match self
                .codec
                .message(message, Some(&self.address), relates_to.as_deref())
            {
                Some(out) => self.link.exchange(id, out),
                None => requester.on_failure(now, id, &self.session),
            }
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
                            cause: None,
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
        if let Some(requester) = self.requester.as_mut() {
            // Over HTTP the requester decides when it goes out (see `start_exchanges`).
            requester.push(message);
            return;
        }
        let Some(out) = self.codec.message(message, Some(&self.address), relates_to) else {
            return;
        };
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
        if let Some(requester) = self.requester.as_mut() {
            debug!(stats = ?requester.stats(), "request-reply exchanges");
            requester.finish(self.clock.now());
        }
        for waiter in self.closing.drain(..) {
            let _ = waiter.send(outcome.clone().map_err(Error::ReliableSession));
        }
        let cause = outcome
            .as_ref()
            .err()
            .map(|e| std::sync::Arc::new(Error::ReliableSession(e.clone())));
        for (_, waiter) in self.waiting.drain(..) {
            let _ = waiter.send(Err(Error::InvalidState {
                operation: "send on the reliable session",
                object: "reliable session",
                state: self.session.state(),
                cause: cause.clone(),
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
                "messages dropped by the link (retransmitted)"
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
