//! The client's channel under a reliable session, opened from the inner binding as WCF's
//! reliable channel factory opens its inner channels: a duplex session channel that is
//! reopened when it drops (the sequences outlive connections), or a request channel (HTTP)
//! where the driver starts exchanges, each a task, and their outcomes come back as events.
//! Which exchanges run, and what is re-sent, is the core's
//! [`Requester`](crate::reliable::proto::request_reply::Requester)'s business. The inner
//! channels encode; the link only moves messages.

use super::connection::{read_message, write_messages, Received};
use super::MESSAGE_QUEUE;
use crate::channel::{ClientChannelShape, DuplexChannel, MessageSource, RequestChannel};
use crate::error::Error;
use crate::message::{Message, XmlError};
use crate::reliable::proto::request_reply::ExchangeId;
use crate::transport::TransportError;
use futures::channel::mpsc;
use futures::future::BoxFuture;
use futures::SinkExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::debug;

/// Opens a fresh channel of the inner binding to the service.
pub(crate) type Opener =
    Arc<dyn Fn() -> BoxFuture<'static, Result<ClientChannelShape, Error>> + Send + Sync>;

/// The first retry after a dropped connection; doubles up to [`MAX_RECONNECT_DELAY`].
const FIRST_RECONNECT_DELAY: Duration = Duration::from_millis(20);
/// The longest pause between reconnection attempts.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(2);

/// What the link tells the driver. The rare variants are boxed to keep the common one (a
/// message) the size of the enum: the driver's event channel allocates a block of 32 of them
/// up front, which every idle session holds.
#[derive(Debug)]
pub(crate) enum LinkEvent {
    /// A message from the service, or why one was unreadable. Boxed, as everything queued
    /// per session: a channel allocates its slots 32 at a time and keeps them.
    Message(Result<Box<Message>, XmlError>),
    /// Exchange `id` (HTTP) was answered: with a message, an unreadable one, or no body.
    Answered(ExchangeId, Option<Result<Box<Message>, XmlError>>),
    /// Exchange `id` failed: the request or its response was lost.
    Failed(ExchangeId),
    /// Connection `generation` is gone.
    Down(u64),
    /// A reconnection attempt succeeded.
    Connected(u64, Box<DuplexChannel>),
    /// A reconnection attempt failed.
    ConnectFailed(u64, Box<Error>),
}

enum Kind {
    Duplex {
        opener: Opener,
        out: Option<mpsc::Sender<Box<Message>>>,
        reconnect_at: Option<Instant>,
        connecting: bool,
        delay: Duration,
    },
    /// Each exchange is a task of its own, so several run at once over parallel connections.
    RequestReply {
        channel: Option<Arc<dyn RequestChannel>>,
    },
}

/// The inner channel under one client session.
pub(crate) struct Link {
    kind: Kind,
    events: mpsc::Sender<LinkEvent>,
    generation: u64,
    tasks: JoinSet<()>,
    /// Messages dropped because a queue was full or the connection was down.
    pub(crate) dropped: u64,
}

impl Link {
    /// A link over an opened channel; its events go to `events`.
    pub(crate) fn new(
        channel: ClientChannelShape,
        opener: Opener,
        events: mpsc::Sender<LinkEvent>,
    ) -> Result<Self, TransportError> {
        let tasks = JoinSet::new();
        let (kind, duplex) = match channel {
            ClientChannelShape::DuplexSession(channel) => (
                Kind::Duplex {
                    opener,
                    out: None,
                    reconnect_at: None,
                    connecting: false,
                    delay: FIRST_RECONNECT_DELAY,
                },
                Some(channel),
            ),
            ClientChannelShape::Request(channel) => (
                Kind::RequestReply {
                    channel: Some(Arc::from(channel)),
                },
                None,
            ),
        };
        let mut link = Link {
            kind,
            events,
            generation: 0,
            tasks,
            dropped: 0,
        };
        if let Some(duplex) = duplex {
            link.attach(duplex);
        }
        Ok(link)
    }

    /// Queues a message; never waits. Over a connection the connection's writer task sends
    /// it; over HTTP it is an exchange of its own.
    pub(crate) fn send(&mut self, message: Message) {
        while self.tasks.try_join_next().is_some() {}
        match &mut self.kind {
            Kind::Duplex { out, .. } => {
                // Full or closed alike: the message is dropped, and retransmitted if it matters.
                let sent = out.as_mut().map(|o| o.try_send(Box::new(message)));
                if !matches!(sent, Some(Ok(()))) {
                    self.dropped += 1;
                }
            }
            Kind::RequestReply { .. } => self.exchange(0, message),
        }
    }

    /// Starts exchange `id` (HTTP): `message` is the request; the outcome comes back as
    /// [`LinkEvent::Answered`] or [`LinkEvent::Failed`].
    pub(crate) fn exchange(&mut self, id: ExchangeId, message: Message) {
        while self.tasks.try_join_next().is_some() {}
        let Kind::RequestReply {
            channel: Some(channel),
        } = &self.kind
        else {
            self.dropped += 1;
            return;
        };
        let channel = channel.clone();
        let mut events = self.events.clone();
        self.tasks.spawn(async move {
            let event = match channel.request(&message).await {
                Ok(Some(response)) => LinkEvent::Answered(id, Some(Ok(Box::new(response)))),
                Ok(None) => LinkEvent::Answered(id, None),
                // The request channel cannot say whether it was our request that it could not
                // write or the response that it could not read; either way the exchange is as
                // good as lost, and the requester re-sends what matters.
                Err(Error::Xml(e)) => {
                    debug!(error = %e, exchange = id, "reliable request or its response unreadable");
                    LinkEvent::Answered(id, Some(Err(e)))
                }
                Err(e) => {
                    debug!(error = %e, exchange = id, "reliable request failed");
                    LinkEvent::Failed(id)
                }
            };
            let _ = events.send(event).await;
        });
    }

    /// When the link next wants [`Link::poll`].
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match &self.kind {
            Kind::Duplex {
                reconnect_at,
                connecting: false,
                ..
            } => *reconnect_at,
            _ => None,
        }
    }

    /// Starts a due reconnection attempt.
    pub(crate) fn poll(&mut self) {
        let Kind::Duplex {
            opener,
            reconnect_at,
            connecting,
            ..
        } = &mut self.kind
        else {
            return;
        };
        if *connecting || reconnect_at.is_none_or(|at| at > Instant::now()) {
            return;
        }
        *connecting = true;
        *reconnect_at = None;
        let (opener, mut events, generation) =
            (opener.clone(), self.events.clone(), self.generation);
        self.tasks.spawn(async move {
            let event = match opener().await {
                Ok(ClientChannelShape::DuplexSession(channel)) => {
                    LinkEvent::Connected(generation, Box::new(channel))
                }
                Ok(_) => LinkEvent::ConnectFailed(
                    generation,
                    Box::new(
                        TransportError::Io("the transport changed shape on reconnect".to_owned())
                            .into(),
                    ),
                ),
                Err(e) => LinkEvent::ConnectFailed(generation, Box::new(e)),
            };
            let _ = events.send(event).await;
        });
    }

    /// Handles a connection event; true when a new connection replaced a lost one (the
    /// session should then resend what may have been lost).
    pub(crate) fn on_event(&mut self, event: &mut Option<LinkEvent>) -> bool {
        let generation = self.generation;
        match event.take() {
            Some(LinkEvent::Down(g)) if g == generation => {
                debug!(
                    generation,
                    "reliable session's connection dropped; reconnecting"
                );
                self.detach();
                false
            }
            Some(LinkEvent::Connected(g, channel)) if g == generation => {
                if let Kind::Duplex {
                    connecting, delay, ..
                } = &mut self.kind
                {
                    *connecting = false;
                    *delay = FIRST_RECONNECT_DELAY;
                }
                self.attach(*channel);
                true
            }
            Some(LinkEvent::ConnectFailed(g, e)) if g == generation => {
                debug!(error = %e, "reconnection failed");
                if let Kind::Duplex {
                    connecting,
                    reconnect_at,
                    delay,
                    ..
                } = &mut self.kind
                {
                    *connecting = false;
                    *reconnect_at = Some(Instant::now() + *delay);
                    *delay = (*delay * 2).min(MAX_RECONNECT_DELAY);
                }
                false
            }
            other => {
                *event = other;
                false
            }
        }
    }

    fn detach(&mut self) {
        self.generation += 1;
        self.tasks.abort_all();
        if let Kind::Duplex {
            out,
            reconnect_at,
            connecting,
            ..
        } = &mut self.kind
        {
            *out = None;
            *connecting = false;
            *reconnect_at = Some(Instant::now());
        }
    }

    fn attach(&mut self, channel: DuplexChannel) {
        let Kind::Duplex { out, .. } = &mut self.kind else {
            return;
        };
        let (tx, rx) = mpsc::channel(MESSAGE_QUEUE);
        *out = Some(tx);
        let generation = self.generation;
        let mut events = self.events.clone();
        self.tasks.spawn(async move {
            if let Err(e) = write_messages(channel.sink, rx).await {
                debug!(error = %e, "reliable session's connection failed while writing");
                let _ = events.send(LinkEvent::Down(generation)).await;
            }
        });
        self.tasks.spawn(read_messages(
            channel.source,
            self.events.clone(),
            generation,
        ));
    }

    /// Ends the connection gracefully (the writer closes it once its queue is sent).
    pub(crate) fn shutdown(&mut self) {
        match &mut self.kind {
            Kind::Duplex {
                out, reconnect_at, ..
            } => {
                *out = None;
                *reconnect_at = None;
            }
            Kind::RequestReply { channel } => *channel = None,
        }
    }

    /// Waits (bounded by the caller) for queued messages to leave and the connection to close.
    pub(crate) async fn finish(mut self) {
        self.shutdown();
        while self.tasks.join_next().await.is_some() {}
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// Reads messages into the driver's queue, dropping them when it is full.
async fn read_messages(
    mut source: Box<dyn MessageSource>,
    mut events: mpsc::Sender<LinkEvent>,
    generation: u64,
) {
    loop {
        match read_message(&mut source).await {
            Received::Message(message) => match events.try_send(LinkEvent::Message(message)) {
                Ok(()) => {}
                Err(e) if e.is_disconnected() => return,
                Err(_) => debug!("reliable session's input queue is full; dropping a message"),
            },
            Received::Ended => {
                let _ = events.send(LinkEvent::Down(generation)).await;
                return;
            }
        }
    }
}
