//! The client side of a duplex contract: runs the service's callbacks on the client's callback
//! instance, with the dispatch machinery a service uses.

use crate::message::{Message, MessageFault, MessageVersion, ReaderQuotas};
use crate::service::context::{ChannelInfo, OperationContext};
use crate::service::dispatch::{Dispatch, Reply};
use crate::service::instance::InstanceCell;
use crate::service::session_dispatch::{fault_reply, reply_message, run_call};
use futures::future::BoxFuture;
use futures::FutureExt;
use std::sync::Arc;
use tracing::warn;

/// A callback's run, once it has its turn on the instance: the reply to send back, if any.
pub(crate) type CallbackRun = BoxFuture<'static, Option<Message>>;

/// What a client's reader hands the messages that are not replies to.
pub(crate) trait CallbackHandler: Send + Sync {
    /// Whether `action` is one of the callback contract's operations.
    fn handles(&self, action: &str) -> bool;

    /// Takes the turn on the instance the callback `message` asks for (callbacks take their
    /// turns in the order they arrive, as a service's calls do), then gives its run.
    fn begin(&self, message: Message) -> BoxFuture<'static, CallbackRun>;
}

fn ready(reply: Option<Message>) -> BoxFuture<'static, CallbackRun> {
    Box::pin(futures::future::ready(
        Box::pin(futures::future::ready(reply)) as CallbackRun,
    ))
}

/// Runs the callbacks of contract `C` on one instance of `S`.
pub(crate) struct CallbackDispatcher<C: Dispatch<S>, S: Send + 'static> {
    cell: C::Cell,
    version: MessageVersion,
    quotas: ReaderQuotas,
    channel: Arc<ChannelInfo>,
}

impl<C: Dispatch<S>, S: Send + 'static> CallbackDispatcher<C, S> {
    /// Callbacks of the service at `address` run on `instance`.
    pub(crate) fn new(
        instance: S,
        version: MessageVersion,
        quotas: ReaderQuotas,
        address: &str,
    ) -> Self {
        CallbackDispatcher {
            cell: C::Cell::new(instance),
            version,
            quotas,
            channel: Arc::new(ChannelInfo {
                peer: address.to_owned(),
                remote_address: None,
                session_id: None,
                identity: crate::security::CallerIdentity::Anonymous,
                callback: None,
            }),
        }
    }
}

impl<C: Dispatch<S>, S: Send + 'static> CallbackHandler for CallbackDispatcher<C, S> {
    fn handles(&self, action: &str) -> bool {
        C::DESCRIPTION.operation_by_action(action).is_some()
    }

    fn begin(&self, message: Message) -> BoxFuture<'static, CallbackRun> {
        let version = self.version;
        let request_id = message.headers.message_id.clone();
        let Some((index, op)) = C::DESCRIPTION.operation_by_action(message.action()) else {
            let fault = MessageFault::action_not_supported(message.action());
            return ready(reply_message(
                version,
                request_id.as_deref(),
                fault_reply(fault),
            ));
        };
        let call = match C::decode(index, &message, &self.quotas) {
            Ok(call) => call,
            Err(fault) => {
                warn!(operation = op.name, reason = %fault.reason, "cannot read a callback");
                let reply = if op.is_one_way {
                    Reply::None
                } else {
                    fault_reply(*fault)
                };
                return ready(reply_message(version, request_id.as_deref(), reply));
            }
        };
        let cell = self.cell.clone();
        let context = OperationContext::new(op, message.headers, self.channel.clone());
        // `&mut self` callbacks one at a time, `&self` ones together, as on a service.
        let turn = async move { cell.lock(op.access).await };
        Box::pin(turn.map(move |guard| {
            Box::pin(async move {
                let reply = run_call::<C, S>(call, guard, op, context).await;
                reply_message(version, request_id.as_deref(), reply)
            }) as CallbackRun
        }))
    }
}
