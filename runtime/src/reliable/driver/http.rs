//! Reliable sessions over a request-reply transport (HTTP) on the service side. The client is
//! not addressable, so the service can only speak in responses (reference §1.6): the hub
//! hands each request to the session's [`Responder`](crate::reliable::proto::request_reply::Responder),
//! the sans-IO core that decides when and with what it is answered, and keeps the response
//! channel under the exchange's id until then.

use super::envelope::Codec;
use super::server::{start_hub, HubEvent, ReliableChannelListener};
use crate::reliable::proto::request_reply::ResponderConfig;
use crate::reliable::proto::ListenerConfig;
use crate::transport::{ReplyFrame, RequestHandler, RequestListener};
use bytes::Bytes;
use futures::future::BoxFuture;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// One HTTP request handed to the hub, and where its response goes.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub(crate) frame: Bytes,
    pub(crate) action: Option<String>,
    pub(crate) reply: oneshot::Sender<ReplyFrame>,
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
            // The hub answers every request within the responder's hold; this only bounds a
            // hub too busy to, so that no HTTP connection waits forever.
            match tokio::time::timeout(ResponderConfig::default().hold * 5, answer).await {
                Ok(Ok(frame)) => frame,
                _ => ReplyFrame::Accepted,
            }
        })
    }
}
