//! The client end of a channel, over the message channel its binding opened. Over a duplex
//! session channel (net.tcp, in-process, a reliable session) requests are correlated with
//! replies by MessageID and RelatesTo, so several calls may be in flight on one connection,
//! and a background task reads. Over a request channel (HTTP) each request carries its own
//! reply. Nothing here encodes: the binding's channel speaks messages.

use crate::binding::Timeouts;
use crate::channel::{
    ClientChannelShape, CommunicationState, DuplexChannel, MessageSink, MessageSource,
    ReceiveError, RequestChannel, StateCell,
};
use crate::error::Error;
use crate::message::{ns, Message};
use crate::transport::TransportError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{debug, warn};

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Message>>>>;
/// Why the channel faulted, once it has: kept for the errors of later calls.
type Cause = Arc<Mutex<Option<Arc<Error>>>>;

/// Messages waiting for the writer task. A few are enough: callers wait for the write anyway.
const OUTBOX_CAPACITY: usize = 16;

/// What the writer task is asked to do.
enum Outgoing {
    /// Send a message; `sent` learns how the write went.
    ///
    /// Boxed: the queue allocates its slots in blocks of 32, which should not each be the
    /// size of a whole message.
    Message {
        message: Box<Message>,
        sent: oneshot::Sender<Result<(), Error>>,
    },
    /// Close the sending direction after everything queued before.
    Close(oneshot::Sender<Result<(), Error>>),
}

/// The duplex half of a channel: the queue of the task that owns the session channel's sink,
/// the requests awaiting replies, and the tasks writing and reading.
///
/// Only the writer task drives the sink, so a caller that gives up (its future dropped by a
/// timeout or a `select!`) can never stop a message half-way: a session encoder that already
/// counted a message's strings as sent, or a record cut off on the socket, would break every
/// later message of the session.
struct Duplex {
    outbox: mpsc::Sender<Outgoing>,
    pending: Pending,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
    /// Why the reader stopped, when the connection failed: calls still waiting report it
    /// instead of a bare `Closed` (a framing fault such as MaxMessageSizeExceeded says why).
    failure: Failure,
}

/// Removes a request's entry from the pending replies when its call ends, however it ends: a
/// call dropped while it waits must not leave an entry that nothing will ever take.
struct PendingReply<'a> {
    pending: &'a Pending,
    id: String,
}

impl Drop for PendingReply<'_> {
    fn drop(&mut self) {
        lock(self.pending).remove(&self.id);
    }
}

fn lock(pending: &Pending) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Message>>> {
    // A panic while holding this lock cannot leave the map inconsistent (single inserts and
    // removes), so a poisoned lock is still usable.
    pending.lock().unwrap_or_else(|p| p.into_inner())
}

type Failure = Arc<std::sync::OnceLock<TransportError>>;

enum Link {
    Duplex(Duplex),
    RequestReply(Box<dyn RequestChannel>),
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
    /// Wraps the channel a binding opened.
    pub(crate) fn new(channel: ClientChannelShape, address: String, timeouts: Timeouts) -> Self {
        let state = Arc::new(StateCell::new(CommunicationState::Opened));
        let cause = Cause::default();
        let link = match channel {
            ClientChannelShape::DuplexSession(channel) => Link::Duplex(Duplex::start(
                channel,
                state.clone(),
                timeouts.send,
                cause.clone(),
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

    pub(crate) fn state(&self) -> CommunicationState {
        self.state.get()
    }

    fn ensure_open(&self, operation: &'static str) -> Result<(), Error> {
        match self.state.get() {
            CommunicationState::Opened => Ok(()),
            state => Err(Error::InvalidState {
                operation,
                object: "client channel",
                state,
                cause: self.cause(),
            }),
        }
    }

    /// Hands a message to the writer task and waits, within the send timeout, until it is
    /// written. Dropping this future at any point is harmless: the message is then written
    /// whole, or not at all if the writer had not started on it.
    async fn transmit(&self, duplex: &Duplex, message: Message) -> Result<(), Error> {
        let (sent, written) = oneshot::channel();
        let handed_over = async {
            duplex
                .outbox
                .send(Outgoing::Message {
                    message: Box::new(message),
                    sent,
                })
                .await
                .map_err(|_| Error::Transport(TransportError::Closed))?;
            // The writer dropped the answer unsent: it was aborted, or the direction had ended
            // (closed or faulted) before this message's turn.
            written
                .await
                .map_err(|_| Error::Transport(TransportError::Closed))?
        };
        tokio::time::timeout(self.timeouts.send, handed_over)
            .await
            .map_err(|_| Error::Timeout(self.timeouts.send))?
    }

    /// Sends a request and waits for the reply that relates to it, within the send timeout.
    pub(crate) async fn request(&self, mut message: Message) -> Result<Message, Error> {
        self.ensure_open("send a request")?;
        let id = crate::message::new_message_id();
        message.headers.message_id = Some(id.clone());
        message.headers.reply_to = Some(ns::WSA10_ANONYMOUS.to_owned());
        message.headers.to = Some(self.address.clone());
        message.awaits_reply = true;
        match &self.link {
            Link::Duplex(duplex) => self.duplex_request(duplex, id, message).await,
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
        id: String,
        message: Message,
    ) -> Result<Message, Error> {
        let (tx, rx) = oneshot::channel();
        lock(&duplex.pending).insert(id.clone(), tx);
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
                    let (done, closed) = oneshot::channel();
                    duplex
                        .outbox
                        .send(Outgoing::Close(done))
                        .await
                        .map_err(|_| Error::Transport(TransportError::Closed))?;
                    closed
                        .await
                        .map_err(|_| Error::Transport(TransportError::Closed))??;
                    (&mut duplex.reader)
                        .await
                        .map_err(|e| Error::Protocol(format!("reply reader failed: {e}")))
                };
                match tokio::time::timeout(self.timeouts.close, graceful).await {
                    Ok(result) => result,
                    Err(_) => Err(Error::Timeout(self.timeouts.close)),
                }
            }
            Link::RequestReply(_) => Ok(()),
        };
        self.abort();
        result
    }

    /// Drops the connection without any handshake.
    pub(crate) fn abort(&self) {
        if let Link::Duplex(duplex) = &self.link {
            duplex.reader.abort();
            duplex.writer.abort();
            lock(&duplex.pending).clear();
        }
        self.state.set(CommunicationState::Closed);
    }
}

impl Duplex {
    fn start(
        channel: DuplexChannel,
        state: Arc<StateCell>,
        send_timeout: Duration,
        cause: Cause,
    ) -> Self {
        let pending: Pending = Arc::default();
        let (outbox, queue) = mpsc::channel(OUTBOX_CAPACITY);
        let writer = tokio::spawn(write_messages(
            channel.sink,
            queue,
            state.clone(),
            send_timeout,
        ));
        let failure: Failure = Arc::default();
        let reader = tokio::spawn(read_replies(
            channel.source,
            pending.clone(),
            state,
            failure.clone(),
            cause,
        ));
        Duplex {
            outbox,
            pending,
            reader,
            writer,
            failure,
        }
    }
}

impl Drop for Duplex {
    fn drop(&mut self) {
        // Dropping the channel without closing it aborts it: no task outlives the handle.
        self.reader.abort();
        self.writer.abort();
    }
}

/// The writer task: sends queued messages one at a time, each to the end.
async fn write_messages(
    mut sink: Box<dyn MessageSink>,
    mut queue: mpsc::Receiver<Outgoing>,
    state: Arc<StateCell>,
    send_timeout: Duration,
) {
    while let Some(outgoing) = queue.recv().await {
        let (message, sent) = match outgoing {
            Outgoing::Message { message, sent } => (message, sent),
            Outgoing::Close(done) => {
                let _ = done.send(sink.close().await);
                break;
            }
        };
        if sent.is_closed() {
            // Its call was dropped before the message went anywhere: not sending it at all
            // is as whole as sending it, and cheaper.
            debug!(
                action = message.action(),
                "not sending a message whose call was cancelled"
            );
            continue;
        }
        let result = match tokio::time::timeout(send_timeout, sink.send(*message)).await {
            Ok(Ok(())) => Ok(()),
            // Encoding failed before anything was written (the session encoder rolls back).
            Ok(Err(e @ Error::Xml(_))) => Err(e),
            Ok(Err(e)) => {
                state.fault();
                Err(e)
            }
            Err(_) => {
                // The transport took the message only in part, if at all; what the peer reads
                // next is unknown, so the session cannot go on.
                warn!(
                    timeout = ?send_timeout,
                    "a message could not be sent within the send timeout; faulting the channel"
                );
                state.fault();
                Err(Error::Timeout(send_timeout))
            }
        };
        let failed = result.is_err() && state.get() == CommunicationState::Faulted;
        let _ = sent.send(result);
        if failed {
            break;
        }
    }
    // The direction is over. The sink lives on with the channel (a reliable session's sink
    // aborts the session when dropped); anything still queued is refused, its caller
    // learning from the dropped answer that the channel closed.
    while queue.recv().await.is_some() {}
    drop(sink);
}

async fn read_replies(
    mut source: Box<dyn MessageSource>,
    pending: Pending,
    state: Arc<StateCell>,
    failure: Failure,
    cause: Cause,
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
        let waiter = {
            let mut pending = lock(&pending);
            match reply.headers.relates_to.as_ref() {
                Some(id) => pending.remove(id),
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
    pending: &mut HashMap<String, oneshot::Sender<Message>>,
    reply: &Message,
) -> Option<oneshot::Sender<Message>> {
    match pending.len() {
        0 => None,
        1 => {
            let id = pending.keys().next()?.clone();
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
        service.sink.send(frame.into()).await.expect("send");
    }

    fn pending_len(channel: &ClientChannel) -> usize {
        match &channel.link {
            Link::Duplex(duplex) => lock(&duplex.pending).len(),
            Link::RequestReply(_) => 0,
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
    async fn a_request_dropped_before_the_writer_took_it_is_not_sent() {
        let (channel, mut service, encoder) = pair("client-channel-never-sent").await;
        // Not polled once: the message never reaches the queue.
        drop(channel.request(Message::new(VERSION, "urn:test/Never", Body::Empty)));
        // Polled once, then dropped at once: the writer, which has not run yet, skips it.
        let once = drop_after_one_poll(channel.send(Message::new(
            VERSION,
            "urn:test/Skipped",
            Body::Empty,
        )));
        once.await;
        channel
            .send(Message::new(VERSION, "urn:test/Sent", Body::Empty))
            .await
            .expect("send");
        let first = receive(&mut service, &encoder).await;
        assert_eq!(first.action(), "urn:test/Sent");
    }

    async fn drop_after_one_poll<F: std::future::Future>(call: F) {
        let mut call = std::pin::pin!(call);
        let polled = futures::poll!(call.as_mut());
        assert!(polled.is_pending(), "the call completed in one poll");
    }
}
