//! The service side: one hub task per endpoint owns the [`Listener`] (admission with
//! MaxPendingChannels, routing by sequence identifier), reads every transport connection, and
//! sends each session's output on the connection that session was last heard on, so a client
//! that reconnects finds its session where it left it. Sessions are handed to the host as
//! [`DuplexChannel`]s by [`ReliableChannelListener::accept`]; a session stays pending (and
//! counts against MaxPendingChannels) until the host takes it.
//!
//! Over HTTP the hub gets requests instead of connections (see [`super::http`]): a session's
//! output then waits in its outbox for the next response.

use super::app::{self, AppCommand, Delivery};
use super::envelope::{Codec, Incoming, IncomingError, RequestIds, RequestKind};
use super::http::{awaited_reply, Exchange, Outbox};
use super::link::write_frames;
use super::{sleep_until, Clock, Payload, FRAME_QUEUE};
use crate::channel::{ChannelListener, DuplexChannel};
use crate::error::Error;
use crate::message::{Message, MessageFault};
use crate::reliable::proto::{
    Action, Dispatch, Listener, ListenerConfig, ProtocolMessage, SendBlocked, SessionKey, WsrmFault,
};
use crate::transport::{
    Connection, FrameStream, Listener as TransportListener, ReplyFrame, TransportError,
};
use bytes::Bytes;
use futures::channel::mpsc as queue;
use futures::future::BoxFuture;
use futures::StreamExt;
use std::collections::{BTreeSet, HashMap, VecDeque};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{debug, info_span, warn, Instrument};

type Waiter = oneshot::Sender<Result<(), Error>>;

/// What reaches the hub from the transport side.
#[derive(Debug)]
pub(crate) enum HubEvent {
    /// A new connection; frames for it go to the sender.
    Connected(u64, queue::Sender<Bytes>),
    /// A frame from connection `id`.
    Frame(u64, Bytes),
    /// Connection `id` ended.
    Disconnected(u64),
    /// An HTTP request, answered through the exchange.
    Exchange(Exchange),
}

/// Where a session's output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Connection(u64),
    Http,
}

struct Slot {
    route: Option<Route>,
    deliver: Option<queue::UnboundedSender<Delivery>>,
    /// The application's channel, until the host accepts the session.
    channel: Option<DuplexChannel>,
    waiting: VecDeque<(Payload, Waiter)>,
    closing: Vec<Waiter>,
    requests: RequestIds,
    outbox: Outbox,
}

/// Accepts reliable sessions: the host's view of a reliable endpoint.
pub(crate) struct ReliableChannelListener {
    address: String,
    /// Each `accept` asks the hub for the oldest pending session; a session is handed over
    /// only then, so MaxPendingChannels counts exactly the sessions the host has not taken.
    requests: mpsc::Sender<oneshot::Sender<DuplexChannel>>,
}

impl std::fmt::Debug for ReliableChannelListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReliableChannelListener")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl ChannelListener for ReliableChannelListener {
    fn accept(&mut self) -> BoxFuture<'_, Result<DuplexChannel, TransportError>> {
        Box::pin(async move {
            let (tx, rx) = oneshot::channel();
            self.requests
                .send(tx)
                .await
                .map_err(|_| TransportError::Closed)?;
            rx.await.map_err(|_| TransportError::Closed)
        })
    }

    fn local_address(&self) -> String {
        self.address.clone()
    }
}

/// Starts a hub; the returned sender feeds it transport events (connections or HTTP).
pub(crate) fn start_hub(
    config: ListenerConfig,
    codec: Codec,
    address: String,
) -> (ReliableChannelListener, mpsc::Sender<HubEvent>) {
    let (events_tx, events) = mpsc::channel(FRAME_QUEUE * 4);
    let (requests, accept_requests) = mpsc::channel(1);
    let (commands_tx, commands) = queue::unbounded();
    let hub = Hub {
        clock: Clock::new(),
        listener: Listener::new(config, Box::new(super::new_id)),
        codec,
        connections: HashMap::new(),
        sessions: HashMap::new(),
        blocked: BTreeSet::new(),
        parked: BTreeSet::new(),
        commands_tx,
        commands,
        events,
        accept_requests,
        acceptors: VecDeque::new(),
        listening: true,
        address: address.clone(),
    };
    let span = info_span!("reliable endpoint", %address);
    tokio::spawn(hub.run().instrument(span));
    (ReliableChannelListener { address, requests }, events_tx)
}

/// Serves a duplex transport listener through a hub.
pub(crate) fn serve_connections(
    listener: Box<dyn TransportListener>,
    config: ListenerConfig,
    codec: Codec,
) -> ReliableChannelListener {
    let address = listener.local_address();
    // A connection that carries nothing for this long is closed: a healthy client polls every
    // half InactivityTimeout, so only a dead or hostile one stays this quiet.
    let idle_limit = config.session.settings.inactivity_timeout();
    let (channels, events) = start_hub(config, codec, address);
    let accept_task = tokio::spawn(accept_connections(listener, events.clone(), idle_limit));
    // The accept loop lives as long as the hub listens: when the hub's event queue closes,
    // sending the next connection fails and the loop ends; the guard covers a quiet listener.
    tokio::spawn(abort_when_closed(events, accept_task));
    channels
}

async fn abort_when_closed(events: mpsc::Sender<HubEvent>, task: JoinHandle<()>) {
    events.closed().await;
    task.abort();
}

async fn accept_connections(
    mut listener: Box<dyn TransportListener>,
    events: mpsc::Sender<HubEvent>,
    idle_limit: std::time::Duration,
) {
    let mut next_id = 0u64;
    loop {
        let connection = match listener.accept().await {
            Ok(connection) => connection,
            Err(e) => {
                warn!(error = %e, "reliable endpoint's listener failed");
                return;
            }
        };
        next_id += 1;
        let Connection { sink, stream, peer } = connection;
        debug!(%peer, id = next_id, "connection for reliable sessions");
        let (out_tx, out) = queue::channel(FRAME_QUEUE);
        if events
            .send(HubEvent::Connected(next_id, out_tx))
            .await
            .is_err()
        {
            return;
        }
        // A failed write needs no report of its own: a broken connection ends both
        // directions, and the reader reports that.
        tokio::spawn(async move {
            if let Err(e) = write_frames(sink, out).await {
                debug!(error = %e, connection = next_id, "writing to a connection failed");
            }
        });
        tokio::spawn(read_connection(stream, events.clone(), next_id, idle_limit));
    }
}

async fn read_connection(
    mut stream: Box<dyn FrameStream>,
    events: mpsc::Sender<HubEvent>,
    id: u64,
    idle_limit: std::time::Duration,
) {
    loop {
        let Ok(received) = tokio::time::timeout(idle_limit, stream.receive()).await else {
            debug!(connection = id, ?idle_limit, "closing an idle connection");
            break;
        };
        match received {
            Ok(Some(frame)) => match events.try_send(HubEvent::Frame(id, frame)) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    debug!("reliable endpoint's input queue is full; dropping a frame");
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return,
            },
            Ok(None) => break,
            Err(e) => {
                debug!(error = %e, "connection failed");
                break;
            }
        }
    }
    let _ = events.send(HubEvent::Disconnected(id)).await;
}

struct Hub {
    clock: Clock,
    listener: Listener<Payload>,
    codec: Codec,
    connections: HashMap<u64, queue::Sender<Bytes>>,
    sessions: HashMap<SessionKey, Slot>,
    /// Sessions with sends waiting for room in their window.
    blocked: BTreeSet<SessionKey>,
    /// HTTP sessions with parked requests or new output for them.
    parked: BTreeSet<SessionKey>,
    commands_tx: app::Commands<SessionKey>,
    commands: queue::UnboundedReceiver<(SessionKey, AppCommand)>,
    events: mpsc::Receiver<HubEvent>,
    accept_requests: mpsc::Receiver<oneshot::Sender<DuplexChannel>>,
    /// `accept` calls waiting for a session.
    acceptors: VecDeque<oneshot::Sender<DuplexChannel>>,
    /// Whether the host still accepts sessions.
    listening: bool,
    address: String,
}

impl Hub {
    async fn run(mut self) {
        loop {
            self.drain_actions();
            self.hand_over();
            let listening = self.listening;
            if !listening && self.sessions.is_empty() {
                break;
            }
            let deadline = [
                self.listener.poll_timeout().map(|t| self.clock.instant(t)),
                self.parked
                    .iter()
                    .filter_map(|k| self.sessions.get(k).and_then(|s| s.outbox.deadline()))
                    .min(),
            ]
            .into_iter()
            .flatten()
            .min();
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
                () = sleep_until(deadline) => Wake::Timer,
            };
            match wake {
                Wake::Command(key, command) => self.on_command(key, command),
                Wake::Event(event) => self.on_event(event),
                Wake::Accept(acceptor) => self.acceptors.push_back(acceptor),
                Wake::Timer => {
                    self.listener.handle_timeout(self.clock.now());
                    self.drain_actions();
                    self.answer_parked(false);
                }
                // The host stopped accepting: take no new session, serve those that are open.
                Wake::StoppedListening => {
                    debug!("reliable endpoint closing; draining its sessions");
                    self.listening = false;
                    self.acceptors.clear();
                }
            }
        }
        for slot in self.sessions.values_mut() {
            fail_slot(slot, "the reliable endpoint closed");
        }
    }

    /// Gives pending sessions to waiting `accept` calls, oldest first.
    fn hand_over(&mut self) {
        self.acceptors.retain(|a| !a.is_closed());
        while !self.acceptors.is_empty() && self.listener.pending_count() > 0 {
            let Some(channel) = self.take_pending() else {
                break;
            };
            if let Some(acceptor) = self.acceptors.pop_front() {
                if let Err(channel) = acceptor.send(channel) {
                    // The caller gave up between the check and now: nobody runs the session.
                    drop(channel);
                }
            }
        }
    }

    fn take_pending(&mut self) -> Option<DuplexChannel> {
        while let Some(key) = self.listener.accept() {
            if let Some(channel) = self.sessions.get_mut(&key).and_then(|s| s.channel.take()) {
                return Some(channel);
            }
        }
        None
    }

    fn on_event(&mut self, event: HubEvent) {
        match event {
            HubEvent::Connected(id, out) => {
                self.connections.insert(id, out);
            }
            HubEvent::Disconnected(id) => {
                self.connections.remove(&id);
            }
            HubEvent::Frame(id, frame) => match self.codec.decode(frame) {
                Ok(incoming) => {
                    self.on_input(Route::Connection(id), incoming);
                }
                Err(e) => {
                    if let Some(reply) = self.refusal(e) {
                        self.send_on(Route::Connection(id), reply);
                    }
                }
            },
            HubEvent::Exchange(exchange) => self.on_exchange(exchange),
        }
    }

    /// The answer to a frame that is no usable protocol message, if it gets one.
    fn refusal(&self, error: IncomingError) -> Option<Bytes> {
        match error {
            IncomingError::Unreadable(e) => {
                warn!(error = %e, "unreadable message on a reliable endpoint");
                let fault = MessageFault::unreadable(&e, "The message");
                self.fault_frame(fault, None)
            }
            IncomingError::Wire(e) => {
                warn!(error = %e, "unusable WS-RM message");
                let fault = match e.fault() {
                    Some(fault) => fault.clone(),
                    None if self.codec.version.is_11() => WsrmFault::WsrmRequired,
                    None => return None,
                };
                self.codec
                    .frame(&ProtocolMessage::fault(fault), None, None)
                    .map(|(frame, _)| frame)
            }
        }
    }

    fn fault_frame(&self, fault: MessageFault, relates_to: Option<&str>) -> Option<Bytes> {
        let action = fault.default_action().to_owned();
        let mut message = Message::new(
            self.codec.encoder.message_version(),
            action,
            crate::message::Body::Fault(fault),
        );
        message.headers.relates_to = relates_to.map(str::to_owned);
        self.codec.encode(&message).ok()
    }

    fn on_input(&mut self, route: Route, incoming: Incoming) -> InputOutcome {
        let Incoming {
            message,
            message_id,
        } = incoming;
        tracing::trace!(kind = message.kind(), ?route, "service receives");
        let mut requests = RequestIds::default();
        requests.record(&message, message_id.as_ref());
        let now = self.clock.now();
        match self.listener.handle_input(now, message) {
            Dispatch::Created(key) => {
                let (channel, deliver) =
                    app::channel(key, self.commands_tx.clone(), self.address.clone());
                self.sessions.insert(
                    key,
                    Slot {
                        route: Some(route),
                        deliver: Some(deliver),
                        channel: Some(channel),
                        waiting: VecDeque::new(),
                        closing: Vec::new(),
                        requests,
                        outbox: Outbox::default(),
                    },
                );
                InputOutcome::Session(key)
            }
            Dispatch::Session(key) => {
                if let Some(slot) = self.sessions.get_mut(&key) {
                    slot.route = Some(route);
                    slot.requests.merge(requests);
                }
                InputOutcome::Session(key)
            }
            Dispatch::Reply(reply) => match self.codec.frame(&reply, None, message_id.as_deref()) {
                Some((frame, _)) if route == Route::Http => InputOutcome::Answer(frame),
                Some((frame, _)) => {
                    self.send_on(route, frame);
                    InputOutcome::Done
                }
                None => InputOutcome::Done,
            },
            Dispatch::Ignored => InputOutcome::Done,
        }
    }

    /// An HTTP request: fed to the session it belongs to, then parked until it can be
    /// answered (see [`super::http`]).
    fn on_exchange(&mut self, exchange: Exchange) {
        let Exchange {
            frame,
            action,
            reply,
        } = exchange;
        let decoded = self
            .codec
            .encoder
            .decode(frame)
            .map_err(IncomingError::from)
            .and_then(|mut message| {
                if message.headers.action.is_none() {
                    message.headers.action = action;
                }
                self.codec.read(message)
            });
        let incoming = match decoded {
            Ok(incoming) => incoming,
            Err(e) => {
                let answer = match self.refusal(e) {
                    Some(frame) => ReplyFrame::Fault(frame),
                    None => ReplyFrame::Accepted,
                };
                let _ = reply.send(answer);
                return;
            }
        };
        let waiting_for = awaited_reply(&incoming);
        let responds_to = RequestKind::of_request(&incoming.message);
        match self.on_input(Route::Http, incoming) {
            InputOutcome::Session(key) => {
                if let Some(slot) = self.sessions.get_mut(&key) {
                    slot.outbox.park(waiting_for, responds_to, reply);
                    self.parked.insert(key);
                }
                self.drain_actions();
                self.answer_parked(false);
            }
            InputOutcome::Answer(frame) => {
                let _ = reply.send(ReplyFrame::Fault(frame));
            }
            InputOutcome::Done => {
                let _ = reply.send(ReplyFrame::Accepted);
            }
        }
    }

    /// Answers the parked HTTP requests that can be answered.
    fn answer_parked(&mut self, flush: bool) {
        let now = self.clock.now();
        let keys: Vec<SessionKey> = self.parked.iter().copied().collect();
        for key in keys {
            let Some(slot) = self.sessions.get_mut(&key) else {
                self.parked.remove(&key);
                continue;
            };
            for (parked, answer) in slot.outbox.ready(flush) {
                let (mut message, relates_to) = match answer {
                    Some(queued) => queued,
                    None => (
                        ProtocolMessage::new(crate::reliable::proto::Body::Empty),
                        None,
                    ),
                };
                if let Some(session) = self.listener.session_mut(key) {
                    if let Some(ack) = session.acknowledgement(now) {
                        message.acknowledgement = Some(ack);
                    }
                }
                let is_fault = matches!(message.body, crate::reliable::proto::Body::Fault(_));
                let frame = match (&message.body, &message.acknowledgement) {
                    (crate::reliable::proto::Body::Empty, None) => None,
                    _ => self
                        .codec
                        .frame(&message, None, relates_to.as_deref())
                        .map(|(f, _)| f),
                };
                let _ = parked.reply.send(match frame {
                    Some(frame) if is_fault => ReplyFrame::Fault(frame),
                    Some(frame) => ReplyFrame::Reply(frame),
                    None => ReplyFrame::Accepted,
                });
            }
            if !slot.outbox.has_parked() {
                self.parked.remove(&key);
            }
        }
    }

    fn send_on(&mut self, route: Route, frame: Bytes) {
        match route {
            Route::Connection(id) => {
                if let Some(out) = self.connections.get_mut(&id) {
                    if out.try_send(frame).is_err() {
                        debug!(connection = id, "connection queue full; frame dropped");
                    }
                }
            }
            Route::Http => {
                debug!("an answer for an HTTP request that is gone; dropped");
            }
        }
    }

    fn on_command(&mut self, key: SessionKey, command: AppCommand) {
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
            AppCommand::NoReply(id) => {
                slot.outbox.no_reply(id);
                self.parked.insert(key);
            }
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

    fn drain_actions(&mut self) {
        self.admit_waiting();
        while let Some((key, action)) = self.listener.poll_action() {
            self.on_action(key, action);
            self.admit_waiting();
        }
        if !self.parked.is_empty() {
            self.answer_parked(false);
        }
    }

    fn admit_waiting(&mut self) {
        let now = self.clock.now();
        let blocked = std::mem::take(&mut self.blocked);
        for key in blocked {
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

    fn on_action(&mut self, key: SessionKey, action: Action<Payload>) {
        let Some(slot) = self.sessions.get_mut(&key) else {
            return;
        };
        match action {
            Action::Send(message) => {
                tracing::trace!(kind = message.kind(), route = ?slot.route, "service sends");
                let relates_to = slot.requests.answered_by(&message).map(str::to_owned);
                if slot.route == Some(Route::Http) {
                    slot.outbox.push(message, relates_to);
                    self.parked.insert(key);
                    return;
                }
                let Some((frame, _)) = self.codec.frame(&message, None, relates_to.as_deref())
                else {
                    return;
                };
                if let Some(route) = slot.route {
                    self.send_on(route, frame);
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

    /// Answers every parked request of a session that is ending.
    fn flush_parked(&mut self, key: SessionKey) {
        if self.parked.contains(&key) {
            let others: BTreeSet<SessionKey> = std::mem::take(&mut self.parked);
            self.parked.insert(key);
            self.answer_parked(true);
            self.parked = others;
            self.parked.remove(&key);
        }
    }

    /// Forgets slots whose sessions the listener no longer keeps.
    fn sweep(&mut self) {
        let listener = &self.listener;
        self.sessions
            .retain(|key, _| listener.session(*key).is_some());
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

/// What became of an input message.
enum InputOutcome {
    /// It belongs to this session.
    Session(SessionKey),
    /// Answer its sender with this frame (a fault).
    Answer(Bytes),
    /// Nothing more to do.
    Done,
}

fn closed_error() -> Error {
    Error::InvalidState {
        operation: "send on the reliable session",
        object: "reliable session",
        state: crate::CommunicationState::Closed,
    }
}

/// Answers everything still waiting on a session that ended.
fn fail_slot(slot: &mut Slot, why: &str) {
    slot.deliver = None;
    slot.channel = None;
    for (_, waiter) in slot.waiting.drain(..) {
        let _ = waiter.send(Err(closed_error()));
    }
    for waiter in slot.closing.drain(..) {
        let _ = waiter.send(Err(Error::Protocol(why.to_owned())));
    }
    slot.outbox.clear();
}
