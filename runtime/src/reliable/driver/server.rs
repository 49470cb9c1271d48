//! The service side: one hub task per endpoint owns the [`Listener`] (admission with
//! MaxPendingChannels, routing by sequence identifier), reads every transport connection, and
//! sends each session's output on the connection that session was last heard on, so a client
//! that reconnects finds its session where it left it. Sessions are handed to the host as
//! [`DuplexChannel`]s by [`ReliableChannelListener::accept`]; a session stays pending (and
//! counts against MaxPendingChannels) until the host takes it.
//!
//! Over HTTP the hub gets requests instead of connections (see [`super::http`]): each
//! session's [`Responder`] (the sans-IO core's) decides when and with what each request is
//! answered, and the hub keeps the response channels under their exchange ids until then.

use super::app::{self, AppCommand, Delivery};
use super::connection::{codec_for_connection, read_message, write_messages, Decode, Received};
use super::envelope::{Codec, Incoming, IncomingError, RequestIds};
use super::http::Exchange;
use super::{Clock, Payload, Timer, FRAME_QUEUE};
use crate::channel::{ChannelListener, DuplexChannel};
use crate::encoding::MessageEncoder;
use crate::error::Error;
use crate::message::{Message, MessageFault, XmlError};
use crate::reliable::proto::request_reply::{ExchangeId, RequestInfo, Responder, ResponderConfig};
use crate::reliable::proto::{
    Action, Body, Dispatch, Listener, ListenerConfig, ProtocolMessage, SendBlocked, SessionKey,
};
use crate::reliable::wire::InvalidInputAnswer;
use crate::transport::{
    Connection, FrameStream, Listener as TransportListener, ReplyFrame, TransportError,
};
use bytes::Bytes;
use futures::channel::mpsc as queue;
use futures::future::BoxFuture;
use futures::StreamExt;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{debug, info_span, warn, Instrument};

type Waiter = oneshot::Sender<Result<(), Error>>;

/// What reaches the hub from the transport side.
#[derive(Debug)]
pub(crate) enum HubEvent {
    /// A new connection; messages for it go to the sender (its writer encodes them).
    Connected(u64, queue::Sender<Box<Message>>),
    /// A message from connection `id`, or why it was unreadable.
    Message(u64, Result<Box<Message>, XmlError>),
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
    /// Over HTTP: when and with what each request is answered.
    responder: Option<Box<Responder<Payload>>>,
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
        http_sessions: BTreeSet::new(),
        exchanges: HashMap::new(),
        next_exchange: 1,
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
    let encoder = codec.encoder.clone();
    let (channels, events) = start_hub(config, codec, address);
    let accept_task = tokio::spawn(accept_connections(
        listener,
        encoder,
        events.clone(),
        idle_limit,
    ));
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
    encoder: Arc<dyn MessageEncoder>,
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
        let Connection {
            sink, stream, peer, ..
        } = connection;
        debug!(%peer, id = next_id, "connection for reliable sessions");
        let (out_tx, out) = queue::channel(FRAME_QUEUE);
        if events
            .send(HubEvent::Connected(next_id, out_tx))
            .await
            .is_err()
        {
            return;
        }
        // Each connection is a framing session of its own: its own string tables.
        let (encode, decode) = codec_for_connection(&encoder);
        // A failed write needs no report: a broken connection ends both directions, and the
        // reader reports that.
        let id = next_id;
        tokio::spawn(async move {
            if let Err(e) = write_messages(sink, encode, out).await {
                debug!(error = %e, connection = id, "connection failed while writing");
            }
        });
        tokio::spawn(read_connection(
            stream,
            decode,
            events.clone(),
            next_id,
            idle_limit,
        ));
    }
}

async fn read_connection(
    mut stream: Box<dyn FrameStream>,
    mut decode: Decode,
    events: mpsc::Sender<HubEvent>,
    id: u64,
    idle_limit: std::time::Duration,
) {
    loop {
        let reading = read_message(&mut stream, &mut decode);
        let Ok(received) = tokio::time::timeout(idle_limit, reading).await else {
            debug!(connection = id, ?idle_limit, "closing an idle connection");
            break;
        };
        match received {
            Received::Message(message) => match events.try_send(HubEvent::Message(id, message)) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    debug!("reliable endpoint's input queue is full; dropping a message");
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return,
            },
            Received::Ended => break,
        }
    }
    let _ = events.send(HubEvent::Disconnected(id)).await;
}

struct Hub {
    clock: Clock,
    listener: Listener<Payload>,
    codec: Codec,
    /// Boxed messages, as everything queued per session or connection.
    connections: HashMap<u64, queue::Sender<Box<Message>>>,
    sessions: HashMap<SessionKey, Slot>,
    /// Sessions with sends waiting for room in their window.
    blocked: BTreeSet<SessionKey>,
    /// Sessions served over HTTP (with a responder).
    http_sessions: BTreeSet<SessionKey>,
    /// Where each HTTP exchange's response goes, until its responder answers it.
    exchanges: HashMap<ExchangeId, oneshot::Sender<ReplyFrame>>,
    next_exchange: ExchangeId,
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

    /// Aborts the sessions the host never accepted: the host is closing and will not take
    /// them, and nothing else would end them before their InactivityTimeout.
    fn abort_pending(&mut self) {
        let pending: Vec<SessionKey> = self
            .sessions
            .iter()
            .filter(|(_, slot)| slot.channel.is_some())
            .map(|(key, _)| *key)
            .collect();
        for key in pending {
            if let Some(slot) = self.sessions.get_mut(&key) {
                slot.channel = None;
            }
            if let Some(session) = self.listener.session_mut(key) {
                debug!("aborting a reliable session the host never accepted");
                session.abort();
            }
        }
        self.drain_actions();
        self.sweep();
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
            HubEvent::Message(id, message) => {
                let mut message_id = None;
                match message.map_err(IncomingError::from).and_then(|message| {
                    message_id.clone_from(&message.headers.message_id);
                    self.codec.read(*message)
                }) {
                    Ok(incoming) => {
                        self.on_input(Route::Connection(id), incoming);
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
    fn refusal(&self, error: IncomingError, relates_to: Option<&str>) -> Option<Message> {
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
            self.codec.encoder.message_version(),
            action,
            crate::message::Body::Fault(fault),
        );
        message.headers.relates_to = relates_to.map(str::to_owned);
        message
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
        let dispatch = if route == Route::Http {
            self.listener.handle_request(now, message)
        } else {
            self.listener.handle_input(now, message)
        };
        match dispatch {
            Dispatch::Created(key) => {
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
                    },
                );
                InputOutcome::Session(key)
            }
            Dispatch::Session(key) => {
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
            Dispatch::Reply(reply) if route == Route::Http => {
                match self.codec.frame(*reply, None, message_id.as_deref()) {
                    Some(frame) => InputOutcome::Answer(frame),
                    None => InputOutcome::Done,
                }
            }
            Dispatch::Reply(reply) => {
                if let Some(out) = self.codec.message(*reply, None, message_id.as_deref()) {
                    self.send_on(route, out);
                }
                InputOutcome::Done
            }
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
    fn answer(&mut self, key: SessionKey) {
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
                let is_fault = matches!(message.body, Body::Fault(_));
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

    fn send_on(&mut self, route: Route, message: Message) {
        match route {
            Route::Connection(id) => {
                if let Some(out) = self.connections.get_mut(&id) {
                    if out.try_send(Box::new(message)).is_err() {
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

    fn drain_actions(&mut self) {
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
            let keys: Vec<SessionKey> = self.http_sessions.iter().copied().collect();
            for key in keys {
                self.answer(key);
            }
            if !any {
                break;
            }
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

    /// Answers every parked request of a session that is ending.
    fn flush_parked(&mut self, key: SessionKey) {
        if let Some(responder) = self
            .sessions
            .get_mut(&key)
            .and_then(|s| s.responder.as_mut())
        {
            responder.flush();
            self.answer(key);
        }
    }

    /// Forgets slots whose sessions the listener no longer keeps.
    fn sweep(&mut self) {
        let listener = &self.listener;
        self.sessions
            .retain(|key, _| listener.session(*key).is_some());
        let sessions = &self.sessions;
        self.http_sessions.retain(|key| sessions.contains_key(key));
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
        cause: None,
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
    if let Some(responder) = slot.responder.as_mut() {
        responder.clear();
    }
}

fn new_responder() -> Box<Responder<Payload>> {
    Box::new(Responder::new(ResponderConfig::default()))
}
