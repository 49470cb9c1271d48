//! Reliable sessions over a request-reply transport (HTTP) on the service side. The client is
//! not addressable, so the service can only speak in responses (reference §1.6): the hub
//! hands each request to the session's [`Responder`](crate::reliable::proto::request_reply::Responder),
//! the sans-IO core that decides when and with what it is answered, and keeps the response
//! channel under the exchange's id until then.

use super::envelope::Codec;
use super::server::{start_hub, Exchange, HubEvent, ReliableChannelListener};
use crate::message::{ns, FaultCode, Message, MessageFault, QualifiedName};
use crate::reliable::proto::request_reply::ResponderConfig;
use crate::reliable::proto::ListenerConfig;
use crate::transport::{ReplyFrame, RequestHandler, RequestListener};
use bytes::Bytes;
use futures::future::BoxFuture;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Serves an HTTP listener through a hub.
pub(crate) fn serve_requests(
    listener: Box<dyn RequestListener>,
    config: ListenerConfig,
    codec: Codec,
) -> ReliableChannelListener {
    let address = listener.local_address();
    let unavailable = unavailable_frames(&codec, &address);
    let (channels, events) = start_hub(config, codec, address);
    let shutdown_events = events.clone();
    let shutdown = Box::pin(async move { shutdown_events.closed().await });
    let handler = Arc::new(ReliableRequestHandler {
        events,
        unavailable,
    });
    tokio::spawn(listener.serve(handler, shutdown));
    channels
}

struct ReliableRequestHandler {
    events: mpsc::Sender<HubEvent>,
    /// The answers when the hub cannot give one: it is gone, or too busy to answer in time.
    /// A request is never answered with an empty 202 it did not earn.
    unavailable: Unavailable,
}

#[derive(Clone)]
struct Unavailable {
    closed: ReplyFrame,
    busy: ReplyFrame,
}

/// Receiver faults for a hub that cannot answer, encoded once.
fn unavailable_frames(codec: &Codec, address: &str) -> Unavailable {
    let frame = |fault: MessageFault| {
        let message = Message::new(
            codec.encoder.message_version(),
            fault.default_action().to_owned(),
            crate::message::Body::Fault(fault),
        );
        match codec.encode(&message) {
            Ok(frame) => ReplyFrame::Fault(frame),
            Err(e) => {
                tracing::error!(error = %e, "cannot encode a fault");
                ReplyFrame::Accepted
            }
        }
    };
    let receiver = || FaultCode::receiver(QualifiedName::new(ns::WCF_DISPATCHER, "ServerTooBusy"));
    Unavailable {
        closed: frame(MessageFault::new(
            receiver(),
            format!("The reliable endpoint at '{address}' is closed."),
        )),
        busy: frame(MessageFault::new(
            receiver(),
            format!("Server '{address}' is too busy to process this request. Try again later."),
        )),
    }
}

impl RequestHandler for ReliableRequestHandler {
    fn handle(&self, frame: Bytes, action: Option<String>) -> BoxFuture<'static, ReplyFrame> {
        let events = self.events.clone();
        let unavailable = self.unavailable.clone();
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            let exchange = Exchange {
                frame,
                action,
                reply,
            };
            if events.send(HubEvent::Exchange(exchange)).await.is_err() {
                return unavailable.closed;
            }
            // The hub answers every request within the responder's hold; this only bounds a
            // hub too busy to, so that no HTTP connection waits forever.
            match tokio::time::timeout(ResponderConfig::default().hold * 5, answer).await {
                Ok(Ok(frame)) => frame,
                // Dropped unanswered: the hub ended with the session or endpoint, after
                // answering everything a client still waits for.
                Ok(Err(_)) => ReplyFrame::Accepted,
                Err(_) => unavailable.busy,
            }
        })
    }
}
