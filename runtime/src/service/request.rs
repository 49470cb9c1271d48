//! Serving request channels (HTTP): every request stands alone, with no session, so it gets a
//! per-call (or the single) instance. One-way requests are accepted at once and run in the
//! background, as WCF answers them with 202 before dispatching. Requests arrive decoded (the
//! binding's request listener applies the encoder) and replies leave as messages.

use super::context::{ChannelInfo, OperationContext};
use super::dispatch::Dispatch;
use super::session_dispatch::{
    admit, begin_call, fault_reply, reply_message, EndpointShared, Refusal,
};
use crate::channel::RequestMessageHandler;
use crate::message::Message;
use futures::future::BoxFuture;
use std::sync::Arc;
use tracing::Instrument;

/// The host's handler for one request-reply endpoint.
pub(crate) struct RequestDispatcher<C: Dispatch<S>, S: Send + 'static> {
    pub(crate) endpoint: Arc<EndpointShared<C, S>>,
}

impl<C: Dispatch<S>, S: Send + 'static> RequestMessageHandler for RequestDispatcher<C, S> {
    fn handle(
        &self,
        request: Message,
        origin: crate::transport::RequestOrigin,
    ) -> BoxFuture<'static, Option<Message>> {
        let endpoint = self.endpoint.clone();
        let span = tracing::info_span!("request", contract = C::DESCRIPTION.name);
        Box::pin(serve_one(endpoint, request, origin).instrument(span))
    }
}

/// Answers one request; `None` accepts it without a reply (one-way, or a refusal that owes
/// none).
async fn serve_one<C, S>(
    endpoint: Arc<EndpointShared<C, S>>,
    mut request: Message,
    origin: crate::transport::RequestOrigin,
) -> Option<Message>
where
    C: Dispatch<S>,
    S: Send + 'static,
{
    let version = endpoint.encoder.message_version();
    let (op, call) = match admit::<C, S>(&endpoint, true, &mut request) {
        Ok(admitted) => admitted,
        Err(Refusal { fault, reply: true }) => {
            let request_id = request.headers.message_id.as_deref();
            return reply_message(version, request_id, fault_reply(*fault));
        }
        Err(Refusal { reply: false, .. }) => return None,
    };
    let channel = Arc::new(ChannelInfo {
        peer: origin
            .remote_address
            .map_or_else(|| "HTTP client".to_owned(), |a| a.to_string()),
        remote_address: origin.remote_address,
        session_id: None,
        identity: origin.identity,
        callback: None,
    });
    let context = OperationContext::new(op, request.headers, channel);
    // The reply goes to the request's MessageID, which the context keeps.
    let request_context = context.clone();
    let invocation = async move { begin_call(&endpoint, None, op, call, context).await.await };
    if op.is_one_way {
        tokio::spawn(invocation.in_current_span());
        return None;
    }
    let reply = invocation.await;
    reply_message(version, request_context.message_id(), reply)
}
