//! The async layer of reliable sessions: drives the sans-IO [`proto`](super::proto) state
//! machines with tokio's clock over the inner binding's message channels (session channels,
//! reopened when they drop, or request channels), and hands the layer above a plain
//! [`DuplexChannel`](crate::channel::DuplexChannel), so the client channel and the service
//! dispatcher work unchanged over a reliable session (WCF's `ReliableSessionBindingElement`).
//!
//! * [`client`]: one task per client session over an inner channel that it reopens when the
//!   connection drops; the sequences continue where they were.
//! * [`server`]: one hub task per endpoint that owns the [`ReliableListener`](super::proto::ReliableListener),
//!   reads every connection (or HTTP request) and routes each session's output to the
//!   connection it last heard from.
//! * [`app`]: the channel halves the layer above holds, and the commands they send the driver.
//! * [`envelope`]: protocol messages to and from SOAP messages, with the addressing headers
//!   WCF requires (MessageID and ReplyTo on requests, RelatesTo on responses).
//!
//! The driver never encodes: the inner channels do, each connection with its own session
//! encoder where the encoding has one, and the driver moves only messages.
//!
//! Messages are queued to a connection without waiting: a full queue drops the message, which
//! the protocol then retransmits. That keeps a slow connection from ever blocking the state
//! machine (and so from deadlocking two peers that both write), and bounds memory per
//! connection.
//!
//! The queues of each session and connection are `futures::channel::mpsc`, not tokio's: a
//! tokio channel allocates a block of 32 slots and a 512-byte cache-padded header as soon as
//! it exists, about 1.5 KiB that every idle session held per queue (four on a client, two on
//! the service), while a futures channel allocates per queued message. The endpoint-wide
//! queues (one per hub) stay tokio's.

pub(crate) mod app;
pub(crate) mod client;
pub(crate) mod connection;
pub(crate) mod envelope;
pub(crate) mod http;
pub(crate) mod link;
pub(crate) mod server;

use super::proto::Timestamp;
use std::pin::Pin;
use tokio::time::{Instant, Sleep};

/// An application message as the session state machines hold it. Boxed: the cores keep
/// messages in containers that outlive them (the receiver's reorder map keeps a node of 11
/// slots, the action and window queues keep their capacity), and each slot of a whole
/// `Message` costs hundreds of bytes that every idle session would otherwise carry.
pub(crate) type Payload = Box<crate::message::Message>;

/// Messages queued per connection (each way) before the driver drops rather than waits.
pub(crate) const MESSAGE_QUEUE: usize = 256;

/// tokio's monotonic clock as the core's [`Timestamp`]s.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    epoch: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock {
            epoch: Instant::now(),
        }
    }

    pub(crate) fn now(&self) -> Timestamp {
        Timestamp::from_epoch(self.epoch.elapsed())
    }

    pub(crate) fn instant(&self, at: Timestamp) -> Instant {
        self.epoch + at.since_epoch()
    }
}

/// A fresh sequence identifier or MessageID.
pub(crate) fn new_id() -> String {
    crate::message::new_message_id()
}

/// A driver's one timer, moved only when a deadline comes earlier than the one it is set for.
///
/// A session's next deadline moves with nearly every message (the acknowledgement and
/// retransmission timers restart), and registering a tokio timer earlier than the runtime's
/// next wake-up makes the timer driver wake itself through the I/O driver: a `write` to an
/// eventfd and one more `epoll_wait` each time. A fresh sleep per loop turn cost about two
/// of those per message on each side. Firing early is harmless: the sans-IO core acts only
/// on what is due, and the timer is then set for the real deadline.
pub(crate) struct Timer {
    sleep: Pin<Box<Sleep>>,
    /// The deadline the sleep is set for; `None` once fired (or never set).
    armed: Option<Instant>,
}

impl Timer {
    pub(crate) fn new() -> Self {
        Timer {
            sleep: Box::pin(tokio::time::sleep_until(Instant::now())),
            armed: None,
        }
    }

    /// Makes sure the timer fires no later than `deadline`.
    pub(crate) fn arm(&mut self, deadline: Option<Instant>) {
        if let Some(at) = deadline {
            if self.armed.is_none_or(|armed| at < armed) {
                self.sleep.as_mut().reset(at);
                self.armed = Some(at);
            }
        }
    }

    /// Completes when the armed deadline passes; never while unarmed. Cancel-safe.
    pub(crate) async fn fired(&mut self) {
        if self.armed.is_none() {
            return std::future::pending().await;
        }
        self.sleep.as_mut().await;
        self.armed = None;
    }
}
