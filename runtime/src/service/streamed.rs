//! Serving a contract on a streamed endpoint: every request is a connection of its own and
//! stands alone (no session, as in WCF's streamed transfer), so it gets a per-call (or the
//! single) instance, as on HTTP. Requests of operations that take a stream are decoded from
//! their head, with the stream handed to the operation as it arrives.

use super::context::{ChannelInfo, OperationContext};
use super::dispatch::{Dispatch, Reply};
use super::host::Service;
use super::lifetime::instance_for_call;
use super::session::{admit, fault_reply, reply_message, run_call};
use super::session::{EndpointShared, Refusal};
use super::throttle::{ServiceThrottle, Throttle};
use crate::binding::Timeouts;
use crate::encoding::MessageEncoder;
use crate::message::{Body, Message};
use crate::stream::{StreamedHandler, StreamedMessage};
use futures::future::BoxFuture;
use std::sync::Arc;
use tracing::warn;

/// The [`StreamedHandler`] that dispatches to `service`.
pub(crate) fn streamed_dispatcher<C: Dispatch<S>, S: Send + 'static>(
    service: Service<C, S>,
    encoder: Arc<dyn MessageEncoder>,
    timeouts: Timeouts,
) -> impl StreamedHandler {
    StreamedDispatcher {
        endpoint: Arc::new(EndpointShared {
            instances: service.into_instances(),
            encoder,
            timeouts,
            has_session: false,
            throttle: Arc::new(Throttle::new(ServiceThrottle::default())),
            // The streamed host has no endpoint address of its own to check `To` against.
            address_filter: None,
        }),
    }
}

struct StreamedDispatcher<C: Dispatch<S>, S: Send + 'static> {
    endpoint: Arc<EndpointShared<C, S>>,
}

impl<C: Dispatch<S>, S: Send + 'static> StreamedHandler for StreamedDispatcher<C, S> {
    fn request_has_stream(&self, action: &str) -> bool {
        C::DESCRIPTION
            .operation_by_action(action)
            .is_some_and(|(index, _)| C::takes_stream(index))
    }

    fn handle(&self, request: StreamedMessage) -> BoxFuture<'static, Option<StreamedMessage>> {
        let endpoint = self.endpoint.clone();
        Box::pin(async move { serve_one(endpoint, request).await })
    }
}

async fn serve_one<C: Dispatch<S>, S: Send + 'static>(
    endpoint: Arc<EndpointShared<C, S>>,
    request: StreamedMessage,
) -> Option<StreamedMessage> {
    let StreamedMessage {
        message: request,
        stream,
    } = request;
    let version = endpoint.encoder.message_version();
    let request_id = request.headers.message_id.clone();
    let admitted = match stream {
        None => admit::<C, S>(&endpoint, true, &request),
        Some(stream) => {
            // `request_has_stream` found the operation by this action.
            let (index, op) = C::DESCRIPTION.operation_by_action(request.action())?;
            let quotas = endpoint.encoder.reader_quotas();
            C::decode_streamed(index, &request, stream, &quotas)
                .map(|call| (op, call))
                .map_err(|fault| Refusal {
                    fault,
                    reply: !op.is_one_way,
                })
        }
    };
    let (op, call) = match admitted {
        Ok(admitted) => admitted,
        Err(Refusal { fault, reply }) => {
            warn!(reason = %fault.reason, "streamed request refused");
            return reply
                .then(|| reply_message(version, request_id.as_deref(), fault_reply(*fault)))
                .flatten()
                .map(StreamedMessage::buffered);
        }
    };
    let call_slot = endpoint.throttle.call().await;
    // A streamed exchange stands alone and the streamed transports do not say who sent it.
    let channel = Arc::new(ChannelInfo {
        peer: "streamed client".to_owned(),
        remote_address: None,
        session_id: None,
    });
    let context = OperationContext::new(op, request.headers, channel);
    let lease = instance_for_call(&endpoint, None, &context).await;
    let guard = lease.lock(op.access).await;
    let reply = run_call::<C, S>(call, guard, op, context).await;
    drop((call_slot, lease));
    match reply {
        Reply::Stream {
            action,
            body,
            stream,
        } => {
            let mut message = Message::new(version, action, Body::Payload(body));
            message.headers.relates_to = request_id;
            Some(StreamedMessage {
                message,
                stream: Some(stream),
            })
        }
        reply => {
            reply_message(version, request_id.as_deref(), reply).map(StreamedMessage::buffered)
        }
    }
}
