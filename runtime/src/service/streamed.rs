//! Serving a contract on a streamed endpoint: every request is a connection of its own and
//! stands alone (no session, as in WCF's streamed transfer), so it gets a per-call (or the
//! single) instance, as on HTTP. Requests of operations that take a stream are decoded from
//! their head, with the stream handed to the operation as it arrives.

use super::context::{ChannelInfo, OperationContext};
use super::dispatch::{Dispatch, Reply};
use super::session_dispatch::{admit, begin_call, fault_reply, reply_message};
use super::session_dispatch::{EndpointShared, Refusal};
use crate::error::Error;
use crate::message::{Body, Message};
use crate::stream::{read_message, write_message, StreamedMessage};
use crate::transport::tcp::{StreamedExchange, StreamedListener};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, warn};

/// Serves the streamed exchanges `listener` accepts until `shutdown`, each in a task of its
/// own; then stops accepting and lets the running exchanges finish.
pub(crate) async fn serve_streamed<C: Dispatch<S>, S: Send + 'static>(
    mut listener: StreamedListener,
    endpoint: Arc<EndpointShared<C, S>>,
    mut shutdown: watch::Receiver<bool>,
) {
    // WCF's ReceiveTimeout bounds every wait for a request's bytes, its SendTimeout the
    // writing of a reply (a stream included).
    let (idle, send) = (endpoint.timeouts.receive, endpoint.timeouts.send);
    let mut exchanges = JoinSet::new();
    loop {
        while exchanges.try_join_next().is_some() {}
        let exchange = tokio::select! {
            biased;
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok(exchange) => exchange,
                Err(error) => {
                    warn!(%error, "streamed listener failed");
                    break;
                }
            },
        };
        let endpoint = endpoint.clone();
        exchanges.spawn(async move {
            let StreamedExchange {
                request,
                reply,
                peer,
            } = exchange;
            let has_stream = |action: &str| {
                C::DESCRIPTION
                    .operation_by_action(action)
                    .is_some_and(|(index, _)| C::takes_stream(index))
            };
            let encoder = endpoint.encoder.clone();
            let request = match read_message(request, encoder.clone(), has_stream, idle).await {
                Ok(request) => request,
                Err(error) => {
                    debug!(%peer, %error, "unreadable streamed request");
                    return;
                }
            };
            let answer = serve_one(endpoint, request).await;
            let sent = tokio::time::timeout(send, async {
                match answer {
                    Some(answer) => write_message(reply, &*encoder, answer).await,
                    None => reply.end().await.map_err(Error::from),
                }
            })
            .await
            .unwrap_or(Err(Error::Timeout(send)));
            if let Err(error) = sent {
                debug!(%peer, %error, "could not send a streamed reply");
            }
        });
    }
    // Stop accepting before draining, so no new exchange starts during close.
    drop(listener);
    while exchanges.join_next().await.is_some() {}
}

async fn serve_one<C: Dispatch<S>, S: Send + 'static>(
    endpoint: Arc<EndpointShared<C, S>>,
    request: StreamedMessage,
) -> Option<StreamedMessage> {
    let StreamedMessage {
        message: mut request,
        stream,
    } = request;
    let version = endpoint.encoder.message_version();
    let request_id = request.headers.message_id.clone();
    let admitted = match stream {
        None => admit::<C, S>(&endpoint, true, &mut request),
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
    // A streamed exchange stands alone and the streamed transports do not say who sent it.
    let channel = Arc::new(ChannelInfo {
        peer: "streamed client".to_owned(),
        remote_address: None,
        session_id: None,
        identity: Default::default(),
        callback: None,
    });
    let context = OperationContext::new(op, request.headers, channel);
    let reply = begin_call(&endpoint, None, op, call, context).await.await;
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
