//! The client end of a channel. Over a duplex connection (net.tcp, in-process) requests are
//! correlated with replies by MessageID and RelatesTo, so several calls may be in flight on one
//! connection, and a background task reads. Over a request-reply transport (HTTP) each request
//! carries its own reply.

use crate::binding::Timeouts;
use crate::channel::{
    CommunicationState, DuplexChannel, MessageSink, MessageSource, ReceiveError, StateCell,
};
use crate::encoding::MessageEncoder;
use crate::error::Error;
use crate::message::{ns, Message};
use crate::transport::{ClientTransport, RequestTransport, TransportError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Message>>>>;
/// Why the channel faulted, once it has: kept for the errors of later calls.
type Cause = Arc<Mutex<Option<Arc<Error>>>>;

/// The duplex half of a channel: the session channel's sink, the requests awaiting replies,
/// and the task reading replies.
struct Duplex {
    sink: tokio::sync::Mutex<Box<dyn MessageSink>>,
    pending: Pending,
    reader: JoinHandle<()>,
}

enum Link {
    Duplex(Duplex),
    RequestReply(Box<dyn RequestTransport>),
}

/// One client channel: a session over a duplex connection, or a request-reply transport.
pub(crate) struct ClientChannel {
    address: String,
    encoder: Arc<dyn MessageEncoder>,
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
    /// Wraps an open transport.
    pub(crate) fn new(
        transport: ClientTransport,
        address: String,
        encoder: Arc<dyn MessageEncoder>,
        timeouts: Timeouts,
    ) -> Self {
        let state = Arc::new(StateCell::new(CommunicationState::Opened));
        let cause = Cause::default();
        let link = match transport {
            ClientTransport::Duplex(connection) => Link::Duplex(Duplex::start(
                DuplexChannel::encoded(connection, encoder.clone()),
                state.clone(),
                cause.clone(),
            )),
            ClientTransport::Channel(channel) => {
                Link::Duplex(Duplex::start(channel, state.clone(), cause.clone()))
            }
            ClientTransport::RequestReply(transport) => Link::RequestReply(transport),
        };
        ClientChannel {
            address,
            encoder,
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

    fn encode(&self, message: &Message) -> Result<bytes::Bytes, Error> {
        let mut frame = Vec::with_capacity(512);
        self.encoder.encode(message, &mut frame)?;
        Ok(frame.into())
    }

    async fn transmit(&self, duplex: &Duplex, message: Message) -> Result<(), Error> {
        let mut sink = duplex.sink.lock().await;
        match tokio::time::timeout(self.timeouts.send, sink.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e @ Error::Xml(_))) => Err(e),
            Ok(Err(e)) => {
                self.state.fault();
                Err(e)
            }
            Err(_) => Err(Error::Timeout(self.timeouts.send)),
        }
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
        duplex.lock_pending().insert(id.clone(), tx);
        let outcome = async {
            self.transmit(duplex, message).await?;
            // The reader dropped the waiter: the channel ended; say why when it is known.
            rx.await.map_err(|_| match self.cause() {
                Some(cause) => Error::InvalidState {
                    operation: "receive the reply",
                    object: "client channel",
                    state: self.state.get(),
                    cause: Some(cause),
                },
                None => Error::Transport(TransportError::Closed),
            })
        };
        match tokio::time::timeout(self.timeouts.send, outcome).await {
            Ok(result) => {
                if result.is_err() {
                    duplex.lock_pending().remove(&id);
                }
                result
            }
            Err(_) => {
                duplex.lock_pending().remove(&id);
                Err(Error::Timeout(self.timeouts.send))
            }
        }
    }

    /// One exchange on a request-reply transport, within the send timeout.
    async fn exchange(
        &self,
        transport: &dyn RequestTransport,
        message: &Message,
    ) -> Result<Option<Message>, Error> {
        let frame = self.encode(message)?;
        let response = tokio::time::timeout(
            self.timeouts.send,
            transport.request(frame, message.action()),
        )
        .await
        .map_err(|_| Error::Timeout(self.timeouts.send))?;
        match response {
            Ok(Some(bytes)) => Ok(Some(self.encoder.decode(bytes)?)),
            Ok(None) => Ok(None),
            Err(e) => Err(e.into()),
        }
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
                    duplex.sink.lock().await.close().await?;
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
            duplex.lock_pending().clear();
        }
        self.state.set(CommunicationState::Closed);
    }
}

impl Duplex {
    fn start(channel: DuplexChannel, state: Arc<StateCell>, cause: Cause) -> Self {
        let pending: Pending = Arc::default();
        let reader = tokio::spawn(read_replies(channel.source, pending.clone(), state, cause));
        Duplex {
            sink: tokio::sync::Mutex::new(channel.sink),
            pending,
            reader,
        }
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Message>>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts and
        // removes), so a poisoned lock is still usable.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Duplex {
    fn drop(&mut self) {
        // Dropping the channel without closing it aborts it: no task outlives the handle.
        self.reader.abort();
    }
}

async fn read_replies(
    mut source: Box<dyn MessageSource>,
    pending: Pending,
    state: Arc<StateCell>,
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
                warn!(error = %e, "client connection failed");
                fault(e);
                break;
            }
        };
        let waiter = {
            let mut pending = pending.lock().unwrap_or_else(|p| p.into_inner());
            match reply.headers.relates_to.as_ref() {
                Some(id) => pending.remove(id),
                None => sole_request(&mut pending, &reply),
            }
        };
        match waiter {
            Some(waiter) => {
                let _ = waiter.send(reply);
            }
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
    pending.lock().unwrap_or_else(|p| p.into_inner()).clear();
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
