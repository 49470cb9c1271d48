//! The client's transport under a reliable session: a duplex connection that is reconnected
//! when it drops (the sequences outlive connections), or a request-reply transport (HTTP)
//! where the driver starts exchanges, each a task, and their outcomes come back as events.
//! Which exchanges run, and what is re-sent, is the core's
//! [`Requester`](crate::reliable::proto::request_reply::Requester)'s business.

use super::connection::{codec_for_connection, read_message, write_messages, Decode, Received};
use super::FRAME_QUEUE;
use crate::encoding::MessageEncoder;
use crate::error::Error;
use crate::message::{Message, XmlError};
use crate::reliable::proto::request_reply::ExchangeId;
use crate::transport::{
    ClientTransport, Connection, FrameStream, RequestTransport, TransportError,
};
use bytes::Bytes;
use futures::channel::mpsc;
use futures::future::BoxFuture;
use futures::SinkExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::debug;

/// Opens a fresh transport to the service.
pub(crate) type Opener =
    Arc<dyn Fn() -> BoxFuture<'static, Result<ClientTransport, Error>> + Send + Sync>;

/// The first retry after a dropped connection; doubles up to [`MAX_RECONNECT_DELAY`].
const FIRST_RECONNECT_DELAY: Duration = Duration::from_millis(20);
/// The longest pause between reconnection attempts.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(2);

/// What the link tells the driver. The rare variants are boxed to keep the common one (a
/// frame) the size of the enum: the driver's event channel allocates a block of 32 of them
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
    Connected(u64, Box<Connection>),
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
        transport: Option<Arc<dyn RequestTransport>>,
    },
}

/// The transport under one client session.
pub(crate) struct Link {
    kind: Kind,
    /// Encodes requests (HTTP) and makes each connection's session encoder.
    encoder: Arc<dyn MessageEncoder>,
    events: mpsc::Sender<LinkEvent>,
    generation: u64,
    tasks: JoinSet<()>,
    /// Frames dropped because a queue was full or the connection was down.
    pub(crate) dropped: u64,
}

impl Link {
    /// A link over an opened transport; its events go to `events`.
    pub(crate) fn new(
        transport: ClientTransport,
        opener: Opener,
        encoder: Arc<dyn MessageEncoder>,
        events: mpsc::Sender<LinkEvent>,
    ) -> Result<Self, TransportError> {
        let tasks = JoinSet::new();
        let (kind, connection) = match transport {
            ClientTransport::Duplex(connection) => (
                Kind::Duplex {
                    opener,
                    out: None,
                    reconnect_at: None,
                    connecting: false,
                    delay: FIRST_RECONNECT_DELAY,
                },
                Some(connection),
            ),
            ClientTransport::RequestReply(transport) => (
                Kind::RequestReply {
                    transport: Some(Arc::from(transport)),
                },
                None,
            ),
            ClientTransport::Channel(_) => {
                return Err(TransportError::InvalidAddress(
                    String::new(),
                    "a reliable session cannot run over another reliable session".to_owned(),
                ))
            }
        };
        let mut link = Link {
            kind,
            encoder,
            events,
            generation: 0,
            tasks,
            dropped: 0,
        };
        if let Some(connection) = connection {
            link.attach(connection);
        }
        Ok(link)
    }

    /// Queues a message; never waits. Over a connection it is encoded by the connection's
    /// writer (in the connection's session encoding); over HTTP here.
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
            transport: Some(transport),
        } = &self.kind
        else {
            self.dropped += 1;
            return;
        };
        let mut frame = Vec::with_capacity(1024);
        if let Err(e) = self.encoder.encode(&message, &mut frame) {
            tracing::error!(error = %e, action = message.action(), "cannot encode a WS-RM message");
            let mut events = self.events.clone();
            self.tasks.spawn(async move {
                let _ = events.send(LinkEvent::Failed(id)).await;
            });
            return;
        }
        let frame: Bytes = frame.into();
        let action = message.action().to_owned();
        let transport = transport.clone();
        let encoder = self.encoder.clone();
        let mut events = self.events.clone();
        self.tasks.spawn(async move {
            let event = match transport.request(frame, &action).await {
                Ok(Some(response)) => {
                    LinkEvent::Answered(id, Some(encoder.decode(response).map(Box::new)))
                }
                Ok(None) => LinkEvent::Answered(id, None),
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
                Ok(ClientTransport::Duplex(connection)) => {
                    LinkEvent::Connected(generation, Box::new(connection))
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
            Some(LinkEvent::Connected(g, connection)) if g == generation => {
                if let Kind::Duplex {
                    connecting, delay, ..
                } = &mut self.kind
                {
                    *connecting = false;
                    *delay = FIRST_RECONNECT_DELAY;
                }
                self.attach(*connection);
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

    fn attach(&mut self, connection: Connection) {
        let Kind::Duplex { out, .. } = &mut self.kind else {
            return;
        };
        let (tx, rx) = mpsc::channel(FRAME_QUEUE);
        *out = Some(tx);
        let generation = self.generation;
        // A new connection is a new framing session: new string tables both ways.
        let (encode, decode) = codec_for_connection(&self.encoder);
        let mut events = self.events.clone();
        self.tasks.spawn(async move {
            if let Err(e) = write_messages(connection.sink, encode, rx).await {
                debug!(error = %e, "reliable session's connection failed while writing");
                let _ = events.send(LinkEvent::Down(generation)).await;
            }
        });
        self.tasks.spawn(read_messages(
            connection.stream,
            decode,
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
            Kind::RequestReply { transport } => *transport = None,
        }
    }

    /// Waits (bounded by the caller) for queued frames to leave and the connection to close.
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
    mut stream: Box<dyn FrameStream>,
    mut decode: Decode,
    mut events: mpsc::Sender<LinkEvent>,
    generation: u64,
) {
    loop {
        match read_message(&mut stream, &mut decode).await {
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
