//! The service's handle on the client of one session: sends callbacks on the session's sink
//! and waits for the replies the session loop hands over.

use crate::binding::Timeouts;
use crate::channel::{CommunicationState, MessageSink};
use crate::encoding::MessageEncoder;
use crate::error::Error;
use crate::message::{ns, Message};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The session's sink, shared by the replies and the callbacks.
pub(crate) type SharedSessionSink = Arc<tokio::sync::Mutex<Box<dyn MessageSink>>>;

/// One session's callback channel to its client.
pub(crate) struct CallbackLink {
    sink: SharedSessionSink,
    encoder: Arc<dyn MessageEncoder>,
    timeouts: Timeouts,
    /// Request-reply callbacks waiting, by MessageID.
    pending: Mutex<HashMap<String, oneshot::Sender<Message>>>,
    /// The session ended: nothing more goes out, and waiting callbacks fail.
    ended: AtomicBool,
}

impl std::fmt::Debug for CallbackLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackLink")
            .field("ended", &self.ended.load(Ordering::Acquire))
            .finish_non_exhaustive()
    }
}

/// Removes a callback's entry when its call ends, however it ends.
struct PendingEntry<'a> {
    link: &'a CallbackLink,
    id: String,
}

impl Drop for PendingEntry<'_> {
    fn drop(&mut self) {
        self.link.waiters().remove(&self.id);
    }
}

impl CallbackLink {
    pub(crate) fn new(
        sink: SharedSessionSink,
        encoder: Arc<dyn MessageEncoder>,
        timeouts: Timeouts,
    ) -> Self {
        CallbackLink {
            sink,
            encoder,
            timeouts,
            pending: Mutex::new(HashMap::new()),
            ended: AtomicBool::new(false),
        }
    }

    fn waiters(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Message>>> {
        // Single inserts and removes: a poisoned map is still consistent.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session's encoder (callbacks are written in its message version).
    pub(crate) fn encoder(&self) -> Arc<dyn MessageEncoder> {
        self.encoder.clone()
    }

    /// The session's timeouts, which callbacks keep to.
    pub(crate) fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The link's state, as a client channel's.
    pub(crate) fn state(&self) -> CommunicationState {
        if self.ended.load(Ordering::Acquire) {
            CommunicationState::Closed
        } else {
            CommunicationState::Opened
        }
    }

    fn ended_error(operation: &'static str) -> Error {
        Error::InvalidState {
            operation,
            object: "client's session",
            state: CommunicationState::Closed,
            cause: None,
        }
    }

    /// Sends a one-way callback.
    pub(crate) async fn send(&self, mut message: Message) -> Result<(), Error> {
        message.headers.message_id = Some(crate::message::new_message_id());
        self.transmit(message, "send a callback").await
    }

    /// Sends a request-reply callback and waits for its reply, within the send timeout.
    pub(crate) async fn request(&self, mut message: Message) -> Result<Message, Error> {
        let id = crate::message::new_message_id();
        message.headers.message_id = Some(id.clone());
        message.headers.reply_to = Some(ns::WSA10_ANONYMOUS.to_owned());
        message.awaits_reply = true;
        let (tx, rx) = oneshot::channel();
        self.waiters().insert(id.clone(), tx);
        let _entry = PendingEntry { link: self, id };
        let exchange = async {
            self.transmit(message, "call back").await?;
            rx.await
                .map_err(|_| Self::ended_error("receive a callback's reply"))
        };
        tokio::time::timeout(self.timeouts.send, exchange)
            .await
            .map_err(|_| Error::Timeout(self.timeouts.send))?
    }

    async fn transmit(&self, mut message: Message, operation: &'static str) -> Result<(), Error> {
        if self.ended.load(Ordering::Acquire) {
            return Err(Self::ended_error(operation));
        }
        // A duplex client listens where it called from: WS-Addressing's anonymous address.
        message.headers.to = Some(ns::WSA10_ANONYMOUS.to_owned());
        let send = async {
            let mut sink = self.sink.lock().await;
            if self.ended.load(Ordering::Acquire) {
                return Err(Self::ended_error(operation));
            }
            sink.send(message).await
        };
        tokio::time::timeout(self.timeouts.send, send)
            .await
            .map_err(|_| Error::Timeout(self.timeouts.send))?
    }

    /// Hands `message` to the callback waiting for it, if it is the reply to one; otherwise
    /// gives it back, for the session to dispatch.
    pub(crate) fn deliver(&self, message: Message) -> Option<Message> {
        let Some(id) = message.headers.relates_to.as_deref() else {
            return Some(message);
        };
        let waiter = self.waiters().remove(id);
        match waiter {
            Some(waiter) => {
                // The callback may have given up meanwhile; its reply is then dropped.
                let _ = waiter.send(message);
                None
            }
            None => Some(message),
        }
    }

    /// The session ended: callbacks waiting fail now, later ones at once.
    pub(crate) fn end(&self) {
        self.ended.store(true, Ordering::Release);
        self.waiters().clear();
    }
}
