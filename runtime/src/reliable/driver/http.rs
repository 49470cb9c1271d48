//! Reliable sessions over a request-reply transport (HTTP) on the service side. The client is
//! not addressable, so the service can only speak in responses (reference §1.6): each request
//! is fed to the hub and parked until there is something to answer it with.
//!
//! * A request that may get a reply (an application message with a MessageID) waits for the
//!   reply that relates to it, up to [`HOLD`]; a one-way request is answered as soon as the
//!   dispatcher says it takes no reply. A re-sent request whose reply was already produced is
//!   answered with that reply again (the last [`MAX_KEPT_REPLIES`] are kept per session).
//! * Any other request (acks, AckRequested, handshakes) is answered at once with the next
//!   queued protocol message (a handshake response, the service's own CloseSequence...).
//! * Every response carries a fresh acknowledgement of the client's sequence.

use super::envelope::{Codec, Incoming, RequestKind};
use super::server::{start_hub, HubEvent, ReliableChannelListener};
use super::Payload;
use crate::reliable::proto::{Body, ListenerConfig, ProtocolMessage};
use crate::transport::{ReplyFrame, RequestHandler, RequestListener};
use bytes::Bytes;
use futures::future::BoxFuture;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// How long a request waits for its reply before it is answered with an acknowledgement
/// (the client then re-sends it to collect the reply).
pub(crate) const HOLD: Duration = Duration::from_secs(1);
/// Replies kept per session to answer re-sent requests.
const MAX_KEPT_REPLIES: usize = 32;
/// Protocol messages queued per session for the next response.
const MAX_QUEUED: usize = 64;
/// Requests parked per session; past it the oldest is answered at once.
const MAX_PARKED: usize = 16;
/// One-way MessageIDs remembered, so a re-sent one-way request is answered at once.
const MAX_NO_REPLY_IDS: usize = 64;

/// One HTTP request handed to the hub, and where its response goes.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub(crate) frame: Bytes,
    pub(crate) action: Option<String>,
    pub(crate) reply: oneshot::Sender<ReplyFrame>,
}

/// A parked request.
#[derive(Debug)]
pub(crate) struct Parked {
    /// The MessageID of the request whose reply answers it, if it expects one.
    waiting_for: Option<String>,
    /// The control request it is, whose response (and nothing else) answers it: a peer such
    /// as gSOAP reads only the response it asked for.
    responds_to: Option<RequestKind>,
    pub(crate) reply: oneshot::Sender<ReplyFrame>,
    deadline: Instant,
}

/// A protocol message waiting for a response to carry it, with its RelatesTo.
pub(crate) type Queued = (ProtocolMessage<Payload>, Option<String>);

/// A session's output over HTTP, and the requests waiting to carry it.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    replies: VecDeque<(String, Queued)>,
    queued: VecDeque<Queued>,
    parked: VecDeque<Parked>,
    no_reply: VecDeque<String>,
}

impl Outbox {
    /// Takes a message the session sends.
    pub(crate) fn push(&mut self, message: ProtocolMessage<Payload>, relates_to: Option<String>) {
        match &message.body {
            // Standalone acks and ack requests are redundant: every response carries a fresh ack.
            Body::Empty => {}
            Body::Sequence {
                payload: Some(app), ..
            } if app.headers.relates_to.is_some() => {
                let id = app.headers.relates_to.clone().unwrap_or_default();
                self.replies.retain(|(kept, _)| *kept != id);
                if self.replies.len() == MAX_KEPT_REPLIES {
                    self.replies.pop_front();
                }
                self.replies.push_back((id, (message, relates_to)));
            }
            _ => {
                if self.queued.len() == MAX_QUEUED {
                    self.queued.pop_front();
                }
                self.queued.push_back((message, relates_to));
            }
        }
    }

    /// The request `id` is answered without a reply.
    pub(crate) fn no_reply(&mut self, id: Option<String>) {
        if let Some(id) = id {
            if self.no_reply.len() == MAX_NO_REPLY_IDS {
                self.no_reply.pop_front();
            }
            self.no_reply.push_back(id);
        }
    }

    /// Parks a request until [`Outbox::ready`] answers it.
    pub(crate) fn park(
        &mut self,
        waiting_for: Option<String>,
        responds_to: Option<RequestKind>,
        reply: oneshot::Sender<ReplyFrame>,
    ) {
        self.parked.push_back(Parked {
            waiting_for,
            responds_to,
            reply,
            deadline: Instant::now() + HOLD,
        });
    }

    /// The earliest time a parked request must be answered.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.parked.iter().map(|p| p.deadline).min()
    }

    /// Whether requests are parked.
    pub(crate) fn has_parked(&self) -> bool {
        !self.parked.is_empty()
    }

    /// The parked requests that can be answered now, each with what to answer (`None`: only
    /// an acknowledgement). With `flush`, every parked request is answered.
    pub(crate) fn ready(&mut self, flush: bool) -> Vec<(Parked, Option<Queued>)> {
        let now = Instant::now();
        let mut answers = Vec::new();
        let mut still = VecDeque::new();
        let overflow = self.parked.len().saturating_sub(MAX_PARKED);
        for (index, parked) in std::mem::take(&mut self.parked).into_iter().enumerate() {
            if parked.reply.is_closed() {
                continue;
            }
            let reply = parked.waiting_for.as_ref().and_then(|id| {
                self.replies
                    .iter()
                    .find(|(kept, _)| kept == id)
                    .map(|(_, queued)| queued.clone())
            });
            let answered_without_reply = parked
                .waiting_for
                .as_ref()
                .is_none_or(|id| self.no_reply.contains(id));
            if let Some(kind) = parked.responds_to {
                let response = self
                    .queued
                    .iter()
                    .position(|(m, _)| RequestKind::of_response(m) == Some(kind))
                    .and_then(|at| self.queued.remove(at));
                answers.push((parked, response));
            } else if reply.is_some() {
                answers.push((parked, reply));
            } else if answered_without_reply || flush || parked.deadline <= now || index < overflow
            {
                let next = self.queued.pop_front();
                answers.push((parked, next));
            } else {
                still.push_back(parked);
            }
        }
        self.parked = still;
        answers
    }

    /// Forgets everything (the session ended).
    pub(crate) fn clear(&mut self) {
        self.replies.clear();
        self.queued.clear();
        self.parked.clear();
        self.no_reply.clear();
    }
}

/// The MessageID of the request whose reply a received message waits for, if it may wait:
/// any application message with a MessageID (an absent ReplyTo means anonymous, so gSOAP
/// sends none); the dispatcher says when a one-way message gets no reply.
pub(crate) fn awaited_reply(incoming: &Incoming) -> Option<String> {
    match &incoming.message.body {
        Body::Sequence {
            payload: Some(app), ..
        } => app.headers.message_id.clone(),
        _ => None,
    }
}

/// Serves an HTTP listener through a hub.
pub(crate) fn serve_requests(
    listener: Box<dyn RequestListener>,
    config: ListenerConfig,
    codec: Codec,
) -> ReliableChannelListener {
    let address = listener.local_address();
    let (channels, events) = start_hub(config, codec, address);
    let shutdown_events = events.clone();
    let shutdown = Box::pin(async move { shutdown_events.closed().await });
    let handler = Arc::new(ReliableRequestHandler { events });
    tokio::spawn(listener.serve(handler, shutdown));
    channels
}

struct ReliableRequestHandler {
    events: mpsc::Sender<HubEvent>,
}

impl RequestHandler for ReliableRequestHandler {
    fn handle(&self, frame: Bytes, action: Option<String>) -> BoxFuture<'static, ReplyFrame> {
        let events = self.events.clone();
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            let exchange = Exchange {
                frame,
                action,
                reply,
            };
            if events.send(HubEvent::Exchange(exchange)).await.is_err() {
                return ReplyFrame::Accepted;
            }
            // The hub answers every parked request within HOLD; the margin covers a busy hub.
            match tokio::time::timeout(HOLD * 5, answer).await {
                Ok(Ok(frame)) => frame,
                _ => ReplyFrame::Accepted,
            }
        })
    }
}
