//! Reliable sessions over a request-reply channel (HTTP) on the service side. The client is
//! not addressable, so the service can only speak in responses (reference §1.6): the hub
//! hands each request to the session's [`Responder`](crate::reliable::proto::request_reply::Responder),
//! the sans-IO core that decides when and with what it is answered, and keeps the response
//! channel under the exchange's id until then.
//!
//! The inner binding's request listener decodes each request and encodes each answer (a fault
//! as HTTP 500), as it does for the host's own dispatcher; it answers a request it cannot read
//! with a fault itself. What the hub gets here is messages.

use super::envelope::Codec;
use super::server::{start_hub, Answer, Exchange, HubEvent, ReliableChannelListener};
use crate::channel::{RequestChannelListener, RequestMessageHandler};
use crate::message::{ns, FaultCode, Message, MessageFault, QualifiedName};
use crate::reliable::proto::request_reply::ResponderConfig;
use crate::reliable::proto::ListenerConfig;
use futures::future::BoxFuture;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Serves the inner binding's request listener through a hub.
pub(crate) fn serve_requests(
    listener: Box<dyn RequestChannelListener>,
    config: ListenerConfig,
    codec: Codec,
) -> ReliableChannelListener {
    let address = listener.local_address();
    let unavailable = unavailable_faults(&codec, &address);
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
    unavailable: Arc<Unavailable>,
}

struct Unavailable {
    closed: Message,
    busy: Message,
}

/// Receiver faults for a hub that cannot answer, built once.
fn unavailable_faults(codec: &Codec, address: &str) -> Arc<Unavailable> {
    let message = |fault: MessageFault| {
        Message::new(
            codec.message_version,
            fault.default_action().to_owned(),
            crate::message::Body::Fault(fault),
        )
    };
    let receiver = || FaultCode::receiver(QualifiedName::new(ns::WCF_DISPATCHER, "ServerTooBusy"));
    Arc::new(Unavailable {
        closed: message(MessageFault::new(
            receiver(),
            format!("The reliable endpoint at '{address}' is closed."),
        )),
        busy: message(MessageFault::new(
            receiver(),
            format!("Server '{address}' is too busy to process this request. Try again later."),
        )),
    })
}

impl RequestMessageHandler for ReliableRequestHandler {
    fn handle(
        &self,
        request: Message,
        // A session moves between connections, so no one address is its peer's: the host
        // sees none for a reliable session, whatever carries it. Who sent it counts: a
        // session is bound to the identity that created it.
        origin: crate::transport::RequestOrigin,
    ) -> BoxFuture<'static, Answer> {
        let events = self.events.clone();
        let unavailable = self.unavailable.clone();
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            let exchange = Exchange {
                message: Box::new(request),
                reply,
                identity: origin.identity,
            };
            if events.send(HubEvent::Exchange(exchange)).await.is_err() {
                return Some(unavailable.closed.clone());
            }
            // The hub answers every request within the responder's hold; this only bounds a
            // hub too busy to, so that no HTTP connection waits forever.
            match tokio::time::timeout(ResponderConfig::default().hold * 5, answer).await {
                Ok(Ok(answer)) => answer,
                // Dropped unanswered: the hub ended with the session or endpoint, after
                // answering everything a client still waits for.
                Ok(Err(_)) => None,
                Err(_) => Some(unavailable.busy.clone()),
            }
        })
    }
}
