//! The client end of a duplex session: requests are correlated with replies by MessageID and
//! RelatesTo, so several calls may be in flight on one connection; a background task reads.

use crate::binding::Timeouts;
use crate::channel::{CommunicationState, StateCell};
use crate::encoding::MessageEncoder;
use crate::error::Error;
use crate::message::{ns, Message};
use crate::transport::{Connection, FrameSink, FrameStream, TransportError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Message>>>>;

/// One client session over one connection.
pub(crate) struct ClientChannel {
    address: String,
    encoder: Arc<dyn MessageEncoder>,
    timeouts: Timeouts,
    sink: tokio::sync::Mutex<Box<dyn FrameSink>>,
    pending: Pending,
    state: Arc<StateCell>,
    reader: JoinHandle<()>,
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
    /// Wraps an open connection.
    pub(crate) fn new(
        connection: Connection,
        address: String,
        encoder: Arc<dyn MessageEncoder>,
        timeouts: Timeouts,
    ) -> Self {
        let pending: Pending = Arc::default();
        let state = Arc::new(StateCell::new(CommunicationState::Opened));
        let reader = tokio::spawn(read_replies(
            connection.stream,
            encoder.clone(),
            pending.clone(),
            state.clone(),
        ));
        ClientChannel {
            address,
            encoder,
            timeouts,
            sink: tokio::sync::Mutex::new(connection.sink),
            pending,
            state,
            reader,
        }
    }

    pub(crate) fn state(&self) -> CommunicationState {
        self.state.get()
    }

    pub(crate) fn encoder(&self) -> &dyn MessageEncoder {
        &*self.encoder
    }

    fn ensure_open(&self, operation: &'static str) -> Result<(), Error> {
        match self.state.get() {
            CommunicationState::Opened => Ok(()),
            state => Err(Error::InvalidState {
                operation,
                object: "client channel",
                state,
            }),
        }
    }

    async fn transmit(&self, message: &Message) -> Result<(), Error> {
        let mut frame = Vec::with_capacity(512);
        self.encoder.encode(message, &mut frame)?;
        let mut sink = self.sink.lock().await;
        match tokio::time::timeout(self.timeouts.send, sink.send(frame.into())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                self.state.fault();
                Err(e.into())
            }
            Err(_) => Err(Error::Timeout(self.timeouts.send)),
        }
    }

    /// Sends a request and waits for the reply that relates to it, within the send timeout.
    pub(crate) async fn request(&self, mut message: Message) -> Result<Message, Error> {
        self.ensure_open("send a request")?;
        let id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
        message.headers.message_id = Some(id.clone());
        message.headers.reply_to = Some(ns::WSA10_ANONYMOUS.to_owned());
        message.headers.to = Some(self.address.clone());
        let (tx, rx) = oneshot::channel();
        self.lock_pending().insert(id.clone(), tx);
        let outcome = async {
            self.transmit(&message).await?;
            rx.await
                .map_err(|_| Error::Transport(TransportError::Closed))
        };
        match tokio::time::timeout(self.timeouts.send, outcome).await {
            Ok(result) => {
                if result.is_err() {
                    self.lock_pending().remove(&id);
                }
                result
            }
            Err(_) => {
                self.lock_pending().remove(&id);
                Err(Error::Timeout(self.timeouts.send))
            }
        }
    }

    /// Sends a one-way message.
    pub(crate) async fn send(&self, mut message: Message) -> Result<(), Error> {
        self.ensure_open("send a message")?;
        message.headers.to = Some(self.address.clone());
        self.transmit(&message).await
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Message>>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts and
        // removes), so a poisoned lock is still usable.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
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
                });
            }
            _ => {}
        }
        self.state.set(CommunicationState::Closing);
        let graceful = async {
            self.sink.lock().await.close().await?;
            (&mut self.reader)
                .await
                .map_err(|e| Error::Protocol(format!("reply reader failed: {e}")))
        };
        let result = match tokio::time::timeout(self.timeouts.close, graceful).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout(self.timeouts.close)),
        };
        self.abort();
        result
    }

    /// Drops the connection without any handshake.
    pub(crate) fn abort(&self) {
        self.reader.abort();
        self.state.set(CommunicationState::Closed);
        self.lock_pending().clear();
    }
}

impl Drop for ClientChannel {
    fn drop(&mut self) {
        // Dropping the channel without closing it aborts it: no task outlives the handle.
        self.reader.abort();
    }
}

async fn read_replies(
    mut stream: Box<dyn FrameStream>,
    encoder: Arc<dyn MessageEncoder>,
    pending: Pending,
    state: Arc<StateCell>,
) {
    loop {
        let frame = match stream.receive().await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(e) => {
                warn!(error = %e, "client connection failed");
                state.fault();
                break;
            }
        };
        let reply = match encoder.decode(frame) {
            Ok(reply) => reply,
            Err(e) => {
                warn!(error = %e, "unreadable message from the service; faulting the channel");
                state.fault();
                break;
            }
        };
        let waiter = reply
            .headers
            .relates_to
            .as_ref()
            .and_then(|id| pending.lock().unwrap_or_else(|p| p.into_inner()).remove(id));
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
