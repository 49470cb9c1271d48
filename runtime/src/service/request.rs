//! Serving request-reply transports (HTTP): every request stands alone, with no session, so
//! it gets a per-call (or the single) instance. One-way requests are accepted at once and run
//! in the background, as WCF answers them with 202 before dispatching.

use super::context::{ChannelInfo, OperationContext};
use super::dispatch::Dispatch;
use super::lifetime::instance_for_call;
use super::session_dispatch::{
    admit, fault_for_unreadable, fault_reply, reply_message, run_call, EndpointShared, Refusal,
};
use crate::transport::{ReplyFrame, RequestHandler};
use bytes::Bytes;
use futures::future::BoxFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use tracing::{error, warn, Instrument};

/// The host's handler for one request-reply endpoint.
pub(crate) struct RequestDispatcher<C: Dispatch<S>, S: Send + 'static> {
    pub(crate) endpoint: Arc<EndpointShared<C, S>>,
}

impl<C: Dispatch<S>, S: Send + 'static> RequestHandler for RequestDispatcher<C, S> {
    fn handle(&self, frame: Bytes, action: Option<String>) -> BoxFuture<'static, ReplyFrame> {
        self.handle_from(frame, action, None)
    }

    fn handle_from(
        &self,
        frame: Bytes,
        action: Option<String>,
        remote_address: Option<SocketAddr>,
    ) -> BoxFuture<'static, ReplyFrame> {
        let endpoint = self.endpoint.clone();
        let span = tracing::info_span!("request", contract = C::DESCRIPTION.name);
        Box::pin(serve_one(endpoint, frame, action, remote_address).instrument(span))
    }
}

async fn serve_one<C, S>(
    endpoint: Arc<EndpointShared<C, S>>,
    frame: Bytes,
    transport_action: Option<String>,
    remote_address: Option<SocketAddr>,
) -> ReplyFrame
where
    C: Dispatch<S>,
    S: Send + 'static,
{
    let encoder = endpoint.encoder.clone();
    let mut request = match encoder.decode(frame) {
        Ok(request) => request,
        Err(e) => {
            warn!(error = %e, "unreadable request");
            return frame_for(&*encoder, None, fault_reply(fault_for_unreadable(&e)));
        }
    };
    if request.headers.action.is_none() {
        request.headers.action = transport_action;
    }
    let (op, call) = match admit::<C, S>(&endpoint, true, &request) {
        Ok(admitted) => admitted,
        Err(Refusal { fault, reply: true }) => {
            let request_id = request.headers.message_id.as_deref();
            return frame_for(&*encoder, request_id, fault_reply(*fault));
        }
        Err(Refusal { reply: false, .. }) => return ReplyFrame::Accepted,
    };
    let channel = Arc::new(ChannelInfo {
        peer: remote_address.map_or_else(|| "HTTP client".to_owned(), |a| a.to_string()),
        remote_address,
        session_id: None,
    });
    let context = OperationContext::new(op, request.headers, channel);
    // The reply goes to the request's MessageID, which the context keeps.
    let request_context = context.clone();
    let invocation = async move {
        let call_slot = endpoint.throttle.call().await;
        let lease = instance_for_call(&endpoint, None, &context).await;
        let guard = lease.lock(op.access).await;
        let reply = run_call::<C, S>(call, guard, op, context).await;
        drop((call_slot, lease));
        reply
    };
    if op.is_one_way {
        tokio::spawn(invocation.in_current_span());
        return ReplyFrame::Accepted;
    }
    let reply = invocation.await;
    frame_for(&*encoder, request_context.message_id(), reply)
}

/// Encodes a reply for the transport.
fn frame_for(
    encoder: &dyn crate::encoding::MessageEncoder,
    request_id: Option<&str>,
    reply: super::dispatch::Reply,
) -> ReplyFrame {
    let Some(message) = reply_message(encoder.message_version(), request_id, reply) else {
        return ReplyFrame::Accepted;
    };
    let mut out = Vec::with_capacity(512);
    match encoder.encode(&message, &mut out) {
        Ok(()) if message.is_fault() => ReplyFrame::Fault(out.into()),
        Ok(()) => ReplyFrame::Reply(out.into()),
        Err(e) => {
            error!(error = %e, "cannot encode a reply");
            ReplyFrame::Accepted
        }
    }
}
