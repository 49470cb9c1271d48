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

/// The default of
/// [`ServiceHostBuilder::callback_queue_limit`](crate::service::ServiceHostBuilder::callback_queue_limit):
/// 256 callbacks queued per session.
pub const DEFAULT_CALLBACK_QUEUE_LIMIT: usize = 256;

/// What a one-way callback does when its session's callback queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhenCallbackQueueFull {
    /// Wait for room, within the send timeout, as a WCF one-way call waits on a full
    /// transport: every callback is delivered, and the sender goes at its client's pace. The
    /// default.
    #[default]
    Wait,
    /// Fail at once with [`Error::CallbackQueueFull`]: a publisher with many subscribers is
    /// never held up by one that does not keep up, and decides what to do with it.
    Refuse,
}

/// One session's callback channel to its client.
///
/// Callbacks go out through a bounded queue and a writer task of the session's own (started by
/// the first callback), so a client that does not keep up holds only its own queue; what a
/// one-way callback to a full queue does is [`WhenCallbackQueueFull`]. Replies wait for the
/// callbacks queued before them, so the client sees everything in the order the service sent
/// it.
pub(crate) struct CallbackLink {
    sink: SharedSessionSink,
    encoder: Arc<dyn MessageEncoder>,
    timeouts: Timeouts,
    /// Request-reply callbacks waiting, by MessageID.
    pending: Mutex<HashMap<String, oneshot::Sender<Message>>>,
    /// Wakes a session loop busy with an operation: a reply is now awaited.
    awaiting: tokio::sync::Notify,
    /// The session ended: nothing more goes out, and waiting callbacks fail.
    ended: AtomicBool,
    /// Most callbacks queued at once.
    limit: usize,
    /// What a one-way callback does when the queue is full.
    when_full: WhenCallbackQueueFull,
    /// The queue to the writer task, once a callback started it.
    queue: Mutex<Option<tokio::sync::mpsc::Sender<Message>>>,
    /// Callbacks queued and not yet written, and a wake-up when that reaches zero.
    queued: Arc<(std::sync::atomic::AtomicUsize, tokio::sync::Notify)>,
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

/// One callback counted as queued, until the writer takes it over.
struct Counted<'a> {
    queued: &'a (std::sync::atomic::AtomicUsize, tokio::sync::Notify),
    handed_over: bool,
}

impl<'a> Counted<'a> {
    fn new(queued: &'a (std::sync::atomic::AtomicUsize, tokio::sync::Notify)) -> Self {
        queued.0.fetch_add(1, Ordering::AcqRel);
        Counted {
            queued,
            handed_over: false,
        }
    }

    fn hand_over(&mut self) {
        self.handed_over = true;
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        if !self.handed_over && self.queued.0.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.queued.1.notify_waiters();
        }
    }
}

impl CallbackLink {
    pub(crate) fn new(
        sink: SharedSessionSink,
        encoder: Arc<dyn MessageEncoder>,
        timeouts: Timeouts,
        limit: usize,
        when_full: WhenCallbackQueueFull,
    ) -> Self {
        CallbackLink {
            sink,
            encoder,
            timeouts,
            pending: Mutex::new(HashMap::new()),
            awaiting: tokio::sync::Notify::new(),
            ended: AtomicBool::new(false),
            limit: limit.max(1),
            when_full,
            queue: Mutex::new(None),
            queued: Arc::default(),
        }
    }

    /// The queue to the writer task, starting it on first use.
    fn queue(&self) -> tokio::sync::mpsc::Sender<Message> {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        queue
            .get_or_insert_with(|| {
                let (sender, mut messages) = tokio::sync::mpsc::channel::<Message>(self.limit);
                let (sink, queued, send_timeout) =
                    (self.sink.clone(), self.queued.clone(), self.timeouts.send);
                tokio::spawn(async move {
                    while let Some(message) = messages.recv().await {
                        let written = async {
                            let mut sink = sink.lock().await;
                            sink.send(message).await
                        };
                        match tokio::time::timeout(send_timeout, written).await {
                            Ok(Ok(())) => {}
                            Ok(Err(e)) => {
                                tracing::debug!(error = %e, "a callback was not delivered")
                            }
                            Err(_) => tracing::warn!(
                                timeout = ?send_timeout,
                                "a callback was not delivered within the send timeout"
                            ),
                        }
                        if queued.0.fetch_sub(1, Ordering::AcqRel) == 1 {
                            queued.1.notify_waiters();
                        }
                    }
                });
                sender
            })
            .clone()
    }

    /// Waits until the callbacks queued so far are written: a reply then follows them.
    pub(crate) async fn written(&self) {
        loop {
            let drained = self.queued.1.notified();
            if self.queued.0.load(Ordering::Acquire) == 0 {
                return;
            }
            drained.await;
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
        let wait = self.when_full == WhenCallbackQueueFull::Wait;
        self.transmit(message, "send a callback", wait).await
    }

    /// Sends a reply of the session's own (a refusal) in the callbacks' order, without waiting
    /// for room in a full queue.
    pub(crate) async fn send_reply(&self, message: Message) -> Result<(), Error> {
        self.transmit(message, "refuse a request", false).await
    }

    /// Sends a request-reply callback and waits for its reply, within the send timeout.
    pub(crate) async fn request(&self, mut message: Message) -> Result<Message, Error> {
        let id = crate::message::new_message_id();
        message.headers.message_id = Some(id.clone());
        message.headers.reply_to = Some(ns::WSA10_ANONYMOUS.to_owned());
        message.awaits_reply = true;
        let (tx, rx) = oneshot::channel();
        self.waiters().insert(id.clone(), tx);
        self.awaiting.notify_waiters();
        let _entry = PendingEntry { link: self, id };
        let exchange = async {
            self.transmit(message, "call back", true).await?;
            rx.await
                .map_err(|_| Self::ended_error("receive a callback's reply"))
        };
        tokio::time::timeout(self.timeouts.send, exchange)
            .await
            .map_err(|_| Error::Timeout(self.timeouts.send))?
    }

    /// Queues a callback for the writer: with `wait`, waiting for room within the send
    /// timeout; without, failing at once when the queue is full.
    async fn transmit(
        &self,
        mut message: Message,
        operation: &'static str,
        wait: bool,
    ) -> Result<(), Error> {
        if self.ended.load(Ordering::Acquire) {
            return Err(Self::ended_error(operation));
        }
        // A duplex client listens where it called from: WS-Addressing's anonymous address.
        message.headers.to = Some(ns::WSA10_ANONYMOUS.to_owned());
        let queue = self.queue();
        // Counted before it is queued (a reply must not pass it); uncounted again if it never
        // is, the call dropped while it waited for room included.
        let mut count = Counted::new(&self.queued);
        let queued = if wait {
            match tokio::time::timeout(self.timeouts.send, queue.send(message)).await {
                Ok(sent) => sent.map_err(|_| Self::ended_error(operation)),
                Err(_) => Err(Error::Timeout(self.timeouts.send)),
            }
        } else {
            queue.try_send(message).map_err(|e| match e {
                tokio::sync::mpsc::error::TrySendError::Full(_) => {
                    Error::CallbackQueueFull { limit: self.limit }
                }
                tokio::sync::mpsc::error::TrySendError::Closed(_) => Self::ended_error(operation),
            })
        };
        if queued.is_ok() {
            // The writer uncounts it once it is written.
            count.hand_over();
        }
        queued
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

    /// Whether a request-reply callback waits for its reply.
    pub(crate) fn awaits_replies(&self) -> bool {
        !self.waiters().is_empty()
    }

    /// Resolves when a request-reply callback starts waiting (create it before checking
    /// [`awaits_replies`](Self::awaits_replies), so no start is missed).
    pub(crate) fn reply_awaited(&self) -> tokio::sync::futures::Notified<'_> {
        self.awaiting.notified()
    }

    /// The session ended: callbacks waiting fail now, later ones at once.
    pub(crate) fn end(&self) {
        self.ended.store(true, Ordering::Release);
        self.waiters().clear();
        // The writer finishes what is queued, then stops.
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::TextMessageEncoder;
    use crate::message::{Body, MessageVersion};
    use futures::future::BoxFuture;
    use std::time::Duration;

    /// A sink whose sends wait until the test opens its gate.
    struct GatedSink {
        gate: Arc<tokio::sync::Semaphore>,
    }

    impl MessageSink for GatedSink {
        fn send(&mut self, _message: Message) -> BoxFuture<'_, Result<(), Error>> {
            let gate = self.gate.clone();
            Box::pin(async move {
                gate.acquire()
                    .await
                    .map_err(|_| Error::Protocol("gate closed".into()))?
                    .forget();
                Ok(())
            })
        }

        fn close(&mut self) -> BoxFuture<'_, Result<(), Error>> {
            Box::pin(async { Ok(()) })
        }
    }

    fn message() -> Message {
        Message::new(MessageVersion::SOAP12_WSA10, "urn:test/Tick", Body::Empty)
    }

    #[tokio::test]
    async fn a_callback_given_up_while_it_waits_for_room_does_not_hold_back_the_replies() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let sink: SharedSessionSink = Arc::new(tokio::sync::Mutex::new(Box::new(GatedSink {
            gate: gate.clone(),
        })));
        let encoder = Arc::new(TextMessageEncoder::new(MessageVersion::SOAP12_WSA10));
        let link = CallbackLink::new(
            sink,
            encoder,
            Timeouts::default(),
            1,
            WhenCallbackQueueFull::Wait,
        );
        // One callback with the writer (stuck at the gate), one in the queue of one.
        link.send(message()).await.expect("taken by the writer");
        tokio::time::sleep(Duration::from_millis(20)).await;
        link.send(message()).await.expect("queued");
        // A third waits for room; its caller gives up.
        let given_up = tokio::time::timeout(Duration::from_millis(50), link.send(message())).await;
        assert!(given_up.is_err(), "there was no room");
        // Once the two are written, a reply may go: the abandoned one is not counted.
        gate.add_permits(2);
        tokio::time::timeout(Duration::from_secs(5), link.written())
            .await
            .expect("the queue drains");
        // The refusing policy says so at once instead of waiting.
        let refusing = CallbackLink::new(
            Arc::new(tokio::sync::Mutex::new(Box::new(GatedSink {
                gate: Arc::new(tokio::sync::Semaphore::new(0)),
            }))),
            Arc::new(TextMessageEncoder::new(MessageVersion::SOAP12_WSA10)),
            Timeouts::default(),
            1,
            WhenCallbackQueueFull::Refuse,
        );
        refusing.send(message()).await.expect("taken by the writer");
        tokio::time::sleep(Duration::from_millis(20)).await;
        refusing.send(message()).await.expect("queued");
        assert!(matches!(
            refusing.send(message()).await,
            Err(Error::CallbackQueueFull { limit: 1 })
        ));
        refusing.end();
        assert!(matches!(
            refusing.send(message()).await,
            Err(Error::InvalidState { .. })
        ));
    }
}
