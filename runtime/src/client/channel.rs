//! The client end of a channel, over the message channel its binding opened. Over a duplex
//! session channel (net.tcp, in-process, a reliable session) requests are correlated with
//! replies by MessageID and RelatesTo, so several calls may be in flight on one connection,
//! and a background task reads. Over a request channel (HTTP) each request carries its own
//! reply. Nothing here encodes: the binding's channel speaks messages.

use crate::binding::Timeouts;
use crate::callback::{CallbackHandler, CallbackLink};
use crate::channel::{
    ClientChannelShape, CommunicationState, DuplexChannel, MessageSink, MessageSource,
    ReceiveError, RequestChannel, StateCell,
};
use crate::error::Error;
use crate::message::{ns, Message, MessageKey};
use crate::transport::TransportError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

type Pending = Arc<Mutex<HashMap<MessageKey, oneshot::Sender<Message>>>>;
/// Why the channel faulted, once it has: kept for the errors of later calls.
type Cause = Arc<Mutex<Option<Arc<Error>>>>;

/// The sending half of a duplex channel, shared by the calls. A call takes its turn (the
/// lock is fair, so messages go out in the order their calls asked), then drives the send
/// itself: no task hop on the way out.
type SharedSink = Arc<tokio::sync::Mutex<Sending>>;

struct Sending {
    sink: Box<dyn MessageSink>,
    /// The direction ended (closed, or a send failed in a way that leaves the session broken):
    /// later sends are refused. The sink itself lives on with the channel (a reliable
    /// session's sink aborts the session when dropped).
    ended: bool,
}

/// The duplex half of a channel: the shared sink, the requests awaiting replies, and the task
/// reading replies.
///
/// A send, once its call has the sink, runs to the end even if the call gives up (its future
/// dropped by a timeout or a `select!`): the rest of it moves to a task of its own (see
/// [`RunToEnd`]). A message is never cut half-way: a session encoder that already counted a
/// message's strings as sent, or a record cut off on the socket, would break every later
/// message of the session.
struct Duplex {
    sink: SharedSink,
    pending: Pending,
    reader: JoinHandle<()>,
    /// Why the reader stopped, when the connection failed: calls still waiting report it
    /// instead of a bare `Closed` (a framing fault such as MaxMessageSizeExceeded says why).
    failure: Failure,
}

/// Removes a request's entry from the pending replies when its call ends, however it ends: a
/// call dropped while it waits must not leave an entry that nothing will ever take.
struct PendingReply<'a> {
    pending: &'a Pending,
    id: MessageKey,
}

impl Drop for PendingReply<'_> {
    fn drop(&mut self) {
        lock(self.pending).remove(&self.id);
    }
}

fn lock(
    pending: &Pending,
) -> std::sync::MutexGuard<'_, HashMap<MessageKey, oneshot::Sender<Message>>> {
    // A panic while holding this lock cannot leave the map inconsistent (single inserts and
    // removes), so a poisoned lock is still usable.
    pending.lock().unwrap_or_else(|p| p.into_inner())
}

type Failure = Arc<std::sync::OnceLock<TransportError>>;

enum Link {
    Duplex(Duplex),
    RequestReply(Box<dyn RequestChannel>),
    /// A service's proxy of its session's client: callbacks over the session's channel.
    Callback(Arc<CallbackLink>),
}

/// One client channel: a session over a duplex session channel, or a request channel.
pub(crate) struct ClientChannel {
    address: String,
    timeouts: Timeouts,
    link: Link,
    state: Arc<StateCell>,
    cause: Cause,
}

impl std::fmt::Debug for ClientChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientChannel")
            .field("address", &self.address)
            .field("state", &self.state.get())
            .finish()
    }
}

impl ClientChannel {
    /// Wraps the channel a binding opened; on a duplex session channel, the service's
    /// callbacks go to `callbacks` (without one, they are dropped).
    pub(crate) fn new(
        channel: ClientChannelShape,
        address: String,
        timeouts: Timeouts,
        callbacks: Option<Arc<dyn CallbackHandler>>,
    ) -> Self {
        let state = Arc::new(StateCell::new(CommunicationState::Opened));
        let cause = Cause::default();
        let link = match channel {
            ClientChannelShape::DuplexSession(channel) => Link::Duplex(Duplex::start(
                channel,
                state.clone(),
                cause.clone(),
                callbacks,
                timeouts,
            )),
            ClientChannelShape::Request(channel) => Link::RequestReply(channel),
        };
        ClientChannel {
            address,
            timeouts,
            link,
            state,
            cause,
        }
    }

    /// What faulted the channel, if it faulted and the reason is known.
    fn cause(&self) -> Option<Arc<Error>> {
        self.cause.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A service's channel to its session's client, for callbacks.
    pub(crate) fn for_callbacks(link: Arc<CallbackLink>) -> Self {
        let timeouts = link.timeouts();
        ClientChannel {
            address: ns::WSA10_ANONYMOUS.to_owned(),
            timeouts,
            link: Link::Callback(link),
            state: Arc::new(StateCell::new(CommunicationState::Opened)),
            cause: Cause::default(),
        }
    }

    pub(crate) fn state(&self) -> CommunicationState {
        match &self.link {
            Link::Callback(link) => link.state(),
            _ => self.state.get(),
        }
    }

    fn ensure_open(&self, operation: &'static str) -> Result<(), Error> {
        if let Link::Callback(_) = &self.link {
            // The session's link says for itself when it has ended.
            return Ok(());
        }
        match self.state() {
            CommunicationState::Opened => Ok(()),
            state => Err(Error::InvalidState {
                operation,
                object: "client channel",
                state,
                cause: self.cause(),
            }),
        }
    }

    /// Sends a message, within the send timeout. Dropping this future while it waits for its
    /// turn sends nothing; once the message has the sink it goes out whole, the call waiting
    /// or not.
    async fn transmit(&self, duplex: &Duplex, message: Message) -> Result<(), Error> {
        let send_timeout = self.timeouts.send;
        let state = self.state.clone();
        let send = async {
            let mut sending = duplex.sink.clone().lock_owned().await;
            if sending.ended {
                return Err(Error::Transport(TransportError::Closed));
            }
            RunToEnd::new(async move {
                let sent = tokio::time::timeout(send_timeout, sending.sink.send(message)).await;
                match sent {
                    Ok(Ok(())) => Ok(()),
                    // Encoding failed before anything was written (the session encoder rolls
                    // back): this message is lost, the session is not.
                    Ok(Err(e @ Error::Xml(_))) => Err(e),
                    Ok(Err(e)) => {
                        sending.ended = true;
                        state.fault();
                        Err(e)
                    }
                    Err(_) => {
                        // The transport took the message only in part, if at all; what the
                        // peer reads next is unknown, so the session cannot go on.
                        warn!(
                            timeout = ?send_timeout,
                            "a message could not be sent within the send timeout; faulting the channel"
                        );
                        sending.ended = true;
                        state.fault();
                        Err(Error::Timeout(send_timeout))
                    }
                }
            })
            .await
        };
        tokio::time::timeout(send_timeout, send)
            .await
            .map_err(|_| Error::Timeout(send_timeout))?
    }

    /// Sends a request and waits for the reply that relates to it, within the send timeout.
    pub(crate) async fn request(&self, mut message: Message) -> Result<Message, Error> {
        self.ensure_open("send a request")?;
        let (id, text) = crate::message::new_keyed_message_id();
        message.headers.message_id = Some(text);
        message.headers.reply_to = Some(ns::WSA10_ANONYMOUS.to_owned());
        message.headers.to = Some(self.address.clone());
        message.awaits_reply = true;
        match &self.link {
            Link::Duplex(duplex) => self.duplex_request(duplex, id, message).await,
            Link::Callback(link) => link.request(message).await,
            Link::RequestReply(transport) => match self.exchange(&**transport, &message).await? {
                Some(reply) => Ok(reply),
                None => Err(Error::Protocol(format!(
                    "the service sent no reply to {}",
                    message.action()
                ))),
            },
        }
    }

    async fn duplex_request(
        &self,
        duplex: &Duplex,
        id: MessageKey,
        message: Message,
    ) -> Result<Message, Error> {
        let (tx, rx) = oneshot::channel();
        lock(&duplex.pending).insert(id, tx);
        let _entry = PendingReply {
            pending: &duplex.pending,
            id,
        };
        let outcome = async {
            self.transmit(duplex, message).await?;
            // The reader dropped the waiter: the channel ended; say why when it is known (a
            // transport failure such as a framing fault, or what faulted the channel).
            rx.await
                .map_err(|_| match (duplex.failure.get(), self.cause()) {
                    (Some(reason), _) => Error::Transport(reason.clone()),
                    (None, Some(cause)) => Error::InvalidState {
                        operation: "receive the reply",
                        object: "client channel",
                        state: self.state.get(),
                        cause: Some(cause),
                    },
                    (None, None) => Error::Transport(TransportError::Closed),
                })
        };
        tokio::time::timeout(self.timeouts.send, outcome)
            .await
            .map_err(|_| Error::Timeout(self.timeouts.send))?
    }

    /// One exchange on a request channel, within the send timeout.
    async fn exchange(
        &self,
        channel: &dyn RequestChannel,
        message: &Message,
    ) -> Result<Option<Message>, Error> {
        tokio::time::timeout(self.timeouts.send, channel.request(message))
            .await
            .map_err(|_| Error::Timeout(self.timeouts.send))?
    }

    /// Sends a one-way message.
    pub(crate) async fn send(&self, mut message: Message) -> Result<(), Error> {
        self.ensure_open("send a message")?;
        message.headers.to = Some(self.address.clone());
        // WS-Addressing allows a MessageID on any message, and Mono's own client sends one (with
        // ReplyTo) on one-way messages too. Its service needs that: after a session of one-way
        // messages without MessageID, a Mono listener stops accepting connections.
        message.headers.message_id = Some(crate::message::new_message_id());
        message.headers.reply_to = Some(ns::WSA10_ANONYMOUS.to_owned());
        match &self.link {
            Link::Duplex(duplex) => self.transmit(duplex, message).await,
            Link::Callback(link) => link.send(message).await,
            Link::RequestReply(transport) => match self.exchange(&**transport, &message).await? {
                Some(reply) if reply.is_fault() => match reply.body {
                    crate::message::Body::Fault(fault) => Err(Error::Fault(Box::new(fault))),
                    _ => Ok(()),
                },
                _ => Ok(()),
            },
        }
    }

    /// Ends the session gracefully: closes the sending direction, then waits (within the close
    /// timeout) for the service to close its own.
    pub(crate) async fn close(&mut self) -> Result<(), Error> {
        match self.state.get() {
            CommunicationState::Closed | CommunicationState::Closing => return Ok(()),
            CommunicationState::Faulted => {
                self.abort();
                return Err(Error::InvalidState {
                    operation: "close",
                    object: "client channel",
                    state: CommunicationState::Faulted,
                    cause: self.cause(),
                });
            }
            _ => {}
        }
        self.state.set(CommunicationState::Closing);
        let result = match &mut self.link {
            Link::Duplex(duplex) => {
                let graceful = async {
                    // After every message whose call already has its turn.
                    let mut sending = duplex.sink.clone().lock_owned().await;
                    if !sending.ended {
                        sending.ended = true;
                        sending.sink.close().await?;
                    }
                    drop(sending);
                    (&mut duplex.reader)
                        .await
                        .map_err(|e| Error::Protocol(format!("reply reader failed: {e}")))
                };
                match tokio::time::timeout(self.timeouts.close, graceful).await {
                    Ok(result) => result,
                    Err(_) => Err(Error::Timeout(self.timeouts.close)),
                }
            }
            // The session is the service's to end; its proxy only lets go.
            Link::RequestReply(_) | Link::Callback(_) => Ok(()),
        };
        self.abort();
        result
    }

    /// Drops the connection without any handshake.
    pub(crate) fn abort(&self) {
        if let Link::Duplex(duplex) = &self.link {
            duplex.reader.abort();
            lock(&duplex.pending).clear();
        }
        self.state.set(CommunicationState::Closed);
    }
}

impl Duplex {
    fn start(
        channel: DuplexChannel,
        state: Arc<StateCell>,
        cause: Cause,
        callbacks: Option<Arc<dyn CallbackHandler>>,
        timeouts: Timeouts,
    ) -> Self {
        let pending: Pending = Arc::default();
        let failure: Failure = Arc::default();
        let sink = Arc::new(tokio::sync::Mutex::new(Sending {
            sink: channel.sink,
            ended: false,
        }));
        let callbacks =
            callbacks.map(|handler| Callbacks::start(handler, sink.clone(), timeouts.send));
        let reader = tokio::spawn(read_replies(
            channel.source,
            pending.clone(),
            state,
            failure.clone(),
            cause,
            callbacks,
        ));
        Duplex {
            sink,
            pending,
            reader,
            failure,
        }
    }
}

/// Most callbacks a client's reader queues for its instance before it stops reading: a callback
/// instance that does not keep up then slows its service down, over the transport's flow
/// control, instead of growing this client's memory.
const CALLBACK_QUEUE: usize = 256;

/// Where a client's reader sends the service's callbacks: a queue, in arrival order, to a task
/// that gives each its turn on the instance and then runs it in a task of its own (it may call
/// the service, whose reply the reader must be free to read), sending its reply on the
/// session.
struct Callbacks {
    handler: Arc<dyn CallbackHandler>,
    queue: tokio::sync::mpsc::Sender<Message>,
}

impl Callbacks {
    fn start(handler: Arc<dyn CallbackHandler>, sink: SharedSink, send_timeout: Duration) -> Self {
        let (queue, mut arrivals) = tokio::sync::mpsc::channel::<Message>(CALLBACK_QUEUE);
        let turns = handler.clone();
        tokio::spawn(async move {
            while let Some(message) = arrivals.recv().await {
                let run = turns.begin(message).await;
                let sink = sink.clone();
                tokio::spawn(async move {
                    let Some(reply) = run.await else {
                        return;
                    };
                    let mut sending = sink.lock_owned().await;
                    if sending.ended {
                        debug!("a callback's reply is dropped: the session is closing");
                        return;
                    }
                    match tokio::time::timeout(send_timeout, sending.sink.send(reply)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => warn!(error = %e, "a callback's reply could not be sent"),
                        Err(_) => {
                            warn!(timeout = ?send_timeout, "a callback's reply was not sent in time")
                        }
                    }
                });
            }
        });
        Callbacks { handler, queue }
    }
}

/// A future that, once started, finishes even if its caller stops waiting: dropped before it
/// is done, it hands the rest of itself to a task of its own. What a send has begun (a
/// message half on the socket) must end whole; the caller's patience is another matter.
struct RunToEnd<F: std::future::Future + Send + 'static> {
    future: Option<std::pin::Pin<Box<F>>>,
}

impl<F: std::future::Future + Send + 'static> RunToEnd<F> {
    fn new(future: F) -> Self {
        RunToEnd {
            future: Some(Box::pin(future)),
        }
    }
}

impl<F: std::future::Future + Send + 'static> std::future::Future for RunToEnd<F> {
    type Output = F::Output;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let Some(future) = self.future.as_mut() else {
            return std::task::Poll::Pending;
        };
        let output = std::task::ready!(future.as_mut().poll(cx));
        self.future = None;
        std::task::Poll::Ready(output)
    }
}

impl<F: std::future::Future + Send + 'static> Drop for RunToEnd<F> {
    fn drop(&mut self) {
        if let Some(future) = self.future.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(async move {
                        future.await;
                    });
                }
                // No runtime left to finish it (the program is ending): the connection goes
                // with the runtime anyway.
                Err(_) => drop(future),
            }
        }
    }
}

async fn read_replies(
    mut source: Box<dyn MessageSource>,
    pending: Pending,
    state: Arc<StateCell>,
    failure: Failure,
    cause: Cause,
    callbacks: Option<Callbacks>,
) {
    let fault = |error: Error| {
        *cause.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(error));
        state.fault();
    };
    loop {
        let reply = match source.receive().await {
            Ok(Some(reply)) => reply,
            Ok(None) => break,
            Err(ReceiveError::Unreadable(e)) => {
                warn!(error = %e, "unreadable message from the service; faulting the channel");
                fault(Error::from(e));
                break;
            }
            Err(ReceiveError::Failed(e)) => {
                let idle = lock(&pending).is_empty();
                if idle && matches!(e, Error::Transport(TransportError::Closed)) {
                    // The connection ended between records with no call waiting: a service
                    // that closes without End (Mono does) has lost nothing of ours. The
                    // channel still faults, as WCF's does on a close without End.
                    debug!("the service closed the connection with no call in progress");
                } else {
                    warn!(error = %e, "client connection failed");
                }
                if let Error::Transport(reason) = &e {
                    let _ = failure.set(reason.clone());
                }
                fault(e);
                // No reply can come any more: the calls waiting for one fail now, with the
                // reason, instead of at their timeout.
                lock(&pending).clear();
                break;
            }
        };
        // A message that answers no call and names a callback operation is a callback.
        if let Some(callbacks) = &callbacks {
            let answers_a_call = reply
                .headers
                .relates_to
                .as_deref()
                .and_then(MessageKey::of)
                .is_some_and(|id| lock(&pending).contains_key(&id));
            if !answers_a_call && callbacks.handler.handles(reply.action()) {
                // Waits when the queue is full: the instance is not keeping up.
                if callbacks.queue.send(reply).await.is_err() {
                    debug!("a callback is dropped: the client is closing");
                }
                continue;
            }
        }
        let waiter = {
            let mut pending = lock(&pending);
            match reply.headers.relates_to.as_deref() {
                Some(id) => MessageKey::of(id).and_then(|id| pending.remove(&id)),
                None => sole_request(&mut pending, &reply),
            }
        };
        match waiter {
            Some(waiter) => {
                if let Err(reply) = waiter.send(reply) {
                    debug!(
                        action = reply.action(),
                        "dropping a reply whose call was cancelled"
                    );
                }
            }
            // Also the late reply of a cancelled call, whose entry went with the call.
            None => debug!(
                action = reply.action(),
                "dropping a message that answers no pending request"
            ),
        }
    }
    // The service ended the session: an open channel becomes unusable.
    if state.get() == CommunicationState::Opened {
        state.fault();
    }
    lock(&pending).clear();
}

/// The request a reply without RelatesTo answers. Mono's WCF sends its typed faults over
/// net.tcp without RelatesTo, and its own client takes such a reply as the answer; with
/// exactly one request outstanding there is no doubt which one it answers. With several it
/// cannot be told, and the reply is dropped (the calls time out) with a warning.
fn sole_request(
    pending: &mut HashMap<MessageKey, oneshot::Sender<Message>>,
    reply: &Message,
) -> Option<oneshot::Sender<Message>> {
    match pending.len() {
        0 => None,
        1 => {
            let id = *pending.keys().next()?;
            debug!(
                action = reply.action(),
                request = %id,
                "a reply without RelatesTo answers the one outstanding request"
            );
            pending.remove(&id)
        }
        outstanding => {
            warn!(
                action = reply.action(),
                outstanding, "a reply without RelatesTo with several requests outstanding; dropped"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::{MessageEncoder, TextMessageEncoder};
    use crate::message::{Body, MessageVersion};
    use crate::transport::{memory, Connection, Listener};
    use std::time::Duration;

    const VERSION: MessageVersion = MessageVersion::SOAP12_WSA10;

    async fn pair(name: &str) -> (ClientChannel, Connection, Arc<dyn MessageEncoder>) {
        let address = format!("memory://{name}");
        let mut listener = memory::listen(&address).expect("listen");
        let connection = memory::connect(&address).await.expect("connect");
        let service = listener.accept().await.expect("accept");
        let encoder: Arc<dyn MessageEncoder> = Arc::new(TextMessageEncoder::new(VERSION));
        let channel = ClientChannel::new(
            ClientChannelShape::DuplexSession(DuplexChannel::encoded(connection, encoder.clone())),
            address,
            Timeouts::default(),
            None,
        );
        (channel, service, encoder)
    }

    async fn receive(service: &mut Connection, encoder: &Arc<dyn MessageEncoder>) -> Message {
        let frame = service
            .stream
            .receive()
            .await
            .expect("receive")
            .expect("a frame");
        encoder.decode(frame).expect("decode")
    }

    async fn answer(service: &mut Connection, encoder: &Arc<dyn MessageEncoder>, to: &Message) {
        let mut reply = Message::new(VERSION, "urn:test/AskResponse", Body::Empty);
        reply.headers.relates_to = to.headers.message_id.clone();
        let mut frame = Vec::new();
        encoder.encode(&reply, &mut frame).expect("encode");
        service.sink.send(frame).await.expect("send");
    }

    fn pending_len(channel: &ClientChannel) -> usize {
        match &channel.link {
            Link::Duplex(duplex) => lock(&duplex.pending).len(),
            Link::RequestReply(_) | Link::Callback(_) => 0,
        }
    }

    #[tokio::test]
    async fn a_dropped_request_forgets_its_reply_and_the_next_request_gets_its_own() {
        let (channel, mut service, encoder) = pair("client-channel-dropped-request").await;
        let ask = || Message::new(VERSION, "urn:test/Ask", Body::Empty);

        let cut = tokio::time::timeout(Duration::from_millis(20), channel.request(ask())).await;
        assert!(
            cut.is_err(),
            "nothing answered, so the call cannot complete"
        );
        assert_eq!(pending_len(&channel), 0, "the dropped call left its entry");

        let first = receive(&mut service, &encoder).await;
        answer(&mut service, &encoder, &first).await;
        let (reply, ()) = tokio::join!(channel.request(ask()), async {
            let second = receive(&mut service, &encoder).await;
            assert_ne!(first.headers.message_id, second.headers.message_id);
            answer(&mut service, &encoder, &second).await;
        });
        let reply = reply.expect("the next request");
        let second_id = reply.headers.relates_to.clone();
        assert!(second_id.is_some() && second_id != first.headers.message_id);
        assert_eq!(channel.state(), CommunicationState::Opened);
        assert_eq!(pending_len(&channel), 0);
    }

    #[tokio::test]
    async fn a_message_dropped_before_its_turn_is_not_sent() {
        let (channel, mut service, encoder) = pair("client-channel-never-sent").await;
        // Not polled once: the message never asks for the sink.
        drop(channel.request(Message::new(VERSION, "urn:test/Never", Body::Empty)));
        // Polled once while another send has the sink, then dropped: it never got its turn.
        let Link::Duplex(duplex) = &channel.link else {
            unreachable!("a duplex pair")
        };
        let held = duplex.sink.clone().lock_owned().await;
        let once = drop_after_one_poll(channel.send(Message::new(
            VERSION,
            "urn:test/Skipped",
            Body::Empty,
        )));
        once.await;
        drop(held);
        channel
            .send(Message::new(VERSION, "urn:test/Sent", Body::Empty))
            .await
            .expect("send");
        let first = receive(&mut service, &encoder).await;
        assert_eq!(first.action(), "urn:test/Sent");
    }

    /// A sink that takes a while over each message and records what it finished.
    struct SlowSink {
        finished: Arc<Mutex<Vec<String>>>,
    }

    impl MessageSink for SlowSink {
        fn send(&mut self, message: Message) -> futures::future::BoxFuture<'_, Result<(), Error>> {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                lock_vec(&self.finished).push(message.action().to_owned());
                Ok(())
            })
        }

        fn close(&mut self) -> futures::future::BoxFuture<'_, Result<(), Error>> {
            Box::pin(async { Ok(()) })
        }
    }

    struct SilentSource;

    impl MessageSource for SilentSource {
        fn receive(
            &mut self,
        ) -> futures::future::BoxFuture<'_, Result<Option<Message>, ReceiveError>> {
            Box::pin(futures::future::pending())
        }
    }

    fn lock_vec(v: &Mutex<Vec<String>>) -> std::sync::MutexGuard<'_, Vec<String>> {
        v.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[tokio::test]
    async fn a_message_whose_call_gives_up_mid_send_still_goes_out_whole() {
        let finished = Arc::new(Mutex::new(Vec::new()));
        let channel = ClientChannel::new(
            ClientChannelShape::DuplexSession(DuplexChannel {
                sink: Box::new(SlowSink {
                    finished: finished.clone(),
                }),
                source: Box::new(SilentSource),
                peer: "slow".to_owned(),
                remote_address: None,
                session_id: None,
                identity: Default::default(),
            }),
            "memory://slow".to_owned(),
            Timeouts::default(),
            None,
        );
        let gave_up = tokio::time::timeout(
            Duration::from_millis(10),
            channel.send(Message::new(VERSION, "urn:test/Begun", Body::Empty)),
        )
        .await;
        assert!(gave_up.is_err(), "the call gave up while the sink was busy");
        assert!(lock_vec(&finished).is_empty());
        channel
            .send(Message::new(VERSION, "urn:test/Next", Body::Empty))
            .await
            .expect("the next send");
        assert_eq!(
            *lock_vec(&finished),
            ["urn:test/Begun", "urn:test/Next"],
            "the begun message finished first, whole, and the session went on"
        );
        assert_eq!(channel.state(), CommunicationState::Opened);
    }

    async fn drop_after_one_poll<F: std::future::Future>(call: F) {
        let mut call = std::pin::pin!(call);
        let polled = futures::poll!(call.as_mut());
        assert!(polled.is_pending(), "the call completed in one poll");
    }
}
