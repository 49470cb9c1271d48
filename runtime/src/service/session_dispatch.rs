//! One inbound connection: reads messages in order, enforces WCF's session rules
//! (initiating first, nothing after a terminating operation), picks the instance and runs
//! each call, and sends replies.

use super::context::{ChannelInfo, OperationContext};
use super::dispatch::{Dispatch, Reply};
use super::instance::InstanceCell;
use super::lifetime::{instance_for_call, InstanceSource, Lease};
use super::throttle::Throttle;
use crate::binding::Timeouts;
use crate::callback::CallbackLink;
use crate::callback::SharedSessionSink;
use crate::channel::{DuplexChannel, MessageSource, ReceiveError};
use crate::contract::{InstanceAccess, OperationDescription};
use crate::encoding::MessageEncoder;
use crate::message::{Body, Message, MessageFault, XmlError};
use futures::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, error, warn, Instrument};

/// What every connection of one endpoint shares.
pub(crate) struct EndpointShared<C: Dispatch<S>, S: Send + 'static> {
    pub(crate) instances: InstanceSource<C, S>,
    pub(crate) encoder: Arc<dyn MessageEncoder>,
    pub(crate) timeouts: Timeouts,
    pub(crate) has_session: bool,
    pub(crate) throttle: Arc<Throttle>,
    /// Which `To` headers are addressed to this endpoint; `None` takes every message.
    pub(crate) address_filter: Option<super::AddressFilter>,
    /// Whether a call may run (WCF's `ServiceAuthorizationManager`); `None` allows every call.
    pub(crate) authorization: Option<super::Authorization>,
    /// Headers the operations process themselves, beyond those the layers take out.
    pub(crate) understood_headers: Arc<[crate::message::QualifiedName]>,
    /// Most callbacks a session queues for its client.
    pub(crate) callback_queue_limit: usize,
    /// What a one-way callback does when that queue is full.
    pub(crate) when_callback_queue_full: crate::callback::WhenCallbackQueueFull,
}

/// Per-connection session state.
struct SessionState<C: Dispatch<S>, S: Send + 'static> {
    /// Whether an initiating operation has been accepted.
    started: bool,
    /// Whether a terminating operation has completed.
    terminated: bool,
    /// The session's instance (PerSession or shared, on a sessionful binding only).
    instance: Option<Lease<C, S>>,
}

enum Flow {
    Continue,
    End,
}

/// Sends replies on the connection; shared with calls that run concurrently, and its sink with
/// the session's callbacks.
struct Replier {
    sink: SharedSessionSink,
    /// The session's callbacks, which a reply waits to follow.
    callbacks: Arc<CallbackLink>,
    version: crate::message::MessageVersion,
    timeouts: Timeouts,
}

/// The message that carries `reply` back to the sender of request `request_id`.
pub(crate) fn reply_message(
    version: crate::message::MessageVersion,
    request_id: Option<&str>,
    reply: Reply,
) -> Option<Message> {
    let (action, body) = match reply {
        Reply::None => return None,
        Reply::Body { action, body } => (action.to_owned(), Body::Payload(body)),
        Reply::Fault { action, fault } => (action, Body::Fault(fault)),
        Reply::Stream { .. } => {
            // Only a streamed endpoint can send a stream; a buffered one reports the mismatch.
            error!("an operation returned a stream on a buffered endpoint");
            let fault = MessageFault::internal_service_fault();
            (fault.default_action().to_owned(), Body::Fault(fault))
        }
    };
    let mut message = Message::new(version, action, body);
    message.headers.relates_to = request_id.map(str::to_owned);
    Some(message)
}

/// A fault reply with the fault's default action.
pub(crate) fn fault_reply(fault: MessageFault) -> Reply {
    Reply::Fault {
        action: fault.default_action().to_owned(),
        fault,
    }
}

impl Replier {
    async fn send(&self, request_id: Option<&str>, reply: Reply) {
        let Some(message) = reply_message(self.version, request_id, reply) else {
            return;
        };
        // The callbacks the operation queued go out first.
        self.callbacks.written().await;
        let mut sink = self.sink.lock().await;
        match tokio::time::timeout(self.timeouts.send, sink.send(message)).await {
            Ok(Ok(())) => {}
            Ok(Err(e @ crate::Error::Xml(_))) => error!(error = %e, "cannot encode a reply"),
            Ok(Err(e)) => debug!(error = %e, "reply not delivered: the client went away"),
            Err(_) => {
                warn!(timeout = ?self.timeouts.send, "reply not delivered within the send timeout")
            }
        }
    }

    /// The request gets no reply (one-way): a request-reply transport below may answer it now.
    async fn no_reply(&self, request_id: Option<&str>) {
        self.sink.lock().await.no_reply(request_id);
    }

    async fn fault(&self, request: &Message, fault: MessageFault) {
        let action = fault.default_action().to_owned();
        self.send(
            request.headers.message_id.as_deref(),
            Reply::Fault { action, fault },
        )
        .await;
    }
}

/// The fault WCF answers an unreadable message with.
pub(crate) fn fault_for_unreadable(error: &XmlError) -> MessageFault {
    MessageFault::unreadable(error, "The message")
}

type Received = Result<Option<Message>, ReceiveError>;

/// A receive that must not be cut off halfway: it owns the source until it finishes.
type Receiving = futures::future::BoxFuture<'static, (Box<dyn MessageSource>, Received)>;

enum Reading {
    Idle(Box<dyn MessageSource>),
    Busy(Receiving),
    Gone,
}

/// The session's incoming side: hands replies to callbacks to the [`CallbackLink`] as they
/// come, and keeps what was read ahead while an operation ran.
struct Inbox {
    reading: Reading,
    /// The next message (or the end) to dispatch, read while an operation ran.
    ahead: Option<Received>,
    link: Arc<CallbackLink>,
    /// The session's contract: which messages are requests a caller waits on.
    contract: &'static crate::contract::ContractDescription,
}

impl Inbox {
    /// The next message to dispatch, past callback replies.
    async fn receive(&mut self) -> Received {
        if let Some(ahead) = self.ahead.take() {
            return ahead;
        }
        loop {
            let received = match &mut self.reading {
                Reading::Idle(source) => source.receive().await,
                Reading::Busy(_) => self.finish_receive().await,
                Reading::Gone => return Ok(None),
            };
            match received {
                Ok(Some(message)) => {
                    if let Some(message) = self.link.deliver(message) {
                        return Ok(Some(message));
                    }
                }
                other => return other,
            }
        }
    }

    /// Waits for the receive under way; if this wait is dropped, the receive goes on.
    async fn finish_receive(&mut self) -> Received {
        let Reading::Busy(receiving) = &mut self.reading else {
            return Ok(None);
        };
        let (source, received) = receiving.await;
        self.reading = Reading::Idle(source);
        received
    }

    /// Runs `work` (an operation that holds the session's turn) to its end while delivering
    /// replies to callbacks, so a callback the operation makes and waits for is answered.
    /// Reads ahead at most one other message, which waits for `work`.
    ///
    /// Indigo's re-entrancy rule: while `work` waits for a request-reply callback's answer, a
    /// request its caller waits on cannot run before `work` ends, and `work` may be waiting on
    /// that very caller (a callback handler calling the service back): such a request is
    /// refused at once with a fault saying why, never left to deadlock until a timeout.
    async fn while_running<T>(
        &mut self,
        running: &'static str,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        tokio::pin!(work);
        loop {
            if self.ahead.is_some() {
                return work.await;
            }
            if let Reading::Idle(_) = &self.reading {
                // Nothing to read for until a callback waits for its reply: a contract without
                // callbacks pays no extra receive here.
                let link = self.link.clone();
                let awaited = link.reply_awaited();
                if !link.awaits_replies() {
                    tokio::select! {
                        biased;
                        out = &mut work => return out,
                        () = awaited => continue,
                    }
                }
                let Reading::Idle(mut source) = std::mem::replace(&mut self.reading, Reading::Gone)
                else {
                    return work.await;
                };
                self.reading = Reading::Busy(Box::pin(async move {
                    let received = source.receive().await;
                    (source, received)
                }));
            }
            tokio::select! {
                biased;
                out = &mut work => return out,
                received = self.finish_receive() => match received {
                    Ok(Some(message)) => {
                        if let Some(message) = self.link.deliver(message) {
                            if self.link.awaits_replies() && self.awaits_reply(&message) {
                                let link = self.link.clone();
                                if let Some(refusal) = reentrant_refusal(running, &message) {
                                    if let Err(e) = link.send_reply(refusal).await {
                                        debug!(error = %e, "a re-entrant request's refusal was not sent");
                                    }
                                }
                                continue;
                            }
                            self.ahead = Some(Ok(Some(message)));
                        }
                    }
                    other => self.ahead = Some(other),
                },
            }
        }
    }
}

impl Inbox {
    /// Whether `message` is a request whose sender waits for the reply (not one-way).
    fn awaits_reply(&self, message: &Message) -> bool {
        let action = message.headers.action.as_deref().unwrap_or_default();
        self.contract
            .operation_by_action(action)
            .is_some_and(|(_, op)| !op.is_one_way)
    }
}

/// The fault of Indigo's re-entrancy rule, answering `request` while `running` waits for a
/// callback's reply.
fn reentrant_refusal(running: &'static str, request: &Message) -> Option<Message> {
    use crate::message::{ns, FaultCode, QualifiedName};
    warn!(
        operation = running,
        "a request arrived while the operation waits for a callback's reply; refused"
    );
    let fault = MessageFault::new(
        FaultCode::receiver(QualifiedName::new(ns::WCF_DISPATCHER, "ReentrantCall")),
        format!(
            "The session's operation '{running}' holds its instance (`&mut self`) and waits for \
             a callback's reply, so this request could only run after it: it would deadlock \
             and is refused. Make the operation `&self`, the callback one-way, or call the \
             service after the callback returns."
        ),
    );
    reply_message(
        request.version,
        request.headers.message_id.as_deref(),
        fault_reply(fault),
    )
}

/// Serves one session channel until the peer closes it, it idles past the receive timeout, a
/// terminated session sees another message, or the host shuts down.
pub(crate) async fn run_connection<C, S>(
    channel: DuplexChannel,
    endpoint: Arc<EndpointShared<C, S>>,
    mut shutdown: watch::Receiver<bool>,
) where
    C: Dispatch<S>,
    S: Send + 'static,
{
    let DuplexChannel {
        sink,
        source,
        peer,
        remote_address,
        session_id,
        identity,
    } = channel;
    let span = tracing::info_span!("session", %peer, contract = C::DESCRIPTION.name);
    // A transport session has no id on the wire; the service names it, as WCF does.
    let session_id =
        session_id.or_else(|| endpoint.has_session.then(crate::message::new_message_id));
    let sink: SharedSessionSink = Arc::new(tokio::sync::Mutex::new(sink));
    let link = Arc::new(CallbackLink::new(
        sink.clone(),
        endpoint.encoder.clone(),
        endpoint.timeouts,
        endpoint.callback_queue_limit,
        endpoint.when_callback_queue_full,
    ));
    let replier = Arc::new(Replier {
        sink,
        callbacks: link.clone(),
        version: endpoint.encoder.message_version(),
        timeouts: endpoint.timeouts,
    });
    let channel = Arc::new(ChannelInfo {
        peer,
        remote_address,
        session_id,
        identity,
        callback: Some(link.clone()),
    });
    let mut inbox = Inbox {
        reading: Reading::Idle(source),
        ahead: None,
        link: link.clone(),
        contract: C::DESCRIPTION,
    };
    async move {
        let mut state = SessionState {
            started: false,
            terminated: false,
            instance: None,
        };
        let mut in_flight = JoinSet::new();
        loop {
            while in_flight.try_join_next().is_some() {}
            // After a terminating operation WCF gives the client the close timeout to go away.
            let idle_limit = if state.terminated {
                endpoint.timeouts.close
            } else {
                endpoint.timeouts.receive
            };
            let received = {
                let receive = tokio::time::timeout(idle_limit, inbox.receive());
                tokio::pin!(receive);
                loop {
                    tokio::select! {
                        biased;
                        _ = shutdown.changed() => break None,
                        // A finished call's task is freed now, not when the next message
                        // comes: an idle session would otherwise keep its last call's task.
                        Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                        received = &mut receive => break Some(received),
                    }
                }
            };
            let Some(received) = received else {
                break;
            };
            let request = match received {
                Err(_) => {
                    debug!(?idle_limit, "closing an idle session");
                    break;
                }
                Ok(Ok(Some(request))) => request,
                Ok(Ok(None)) => break,
                Ok(Err(ReceiveError::Failed(e))) => {
                    debug!(error = %e, "connection failed");
                    break;
                }
                Ok(Err(ReceiveError::Unreadable(e))) => {
                    warn!(error = %e, "unreadable message; ending the session");
                    replier
                        .send(
                            None,
                            Reply::Fault {
                                action: crate::message::ns::WCF_DISPATCHER_FAULT_ACTION.to_owned(),
                                fault: fault_for_unreadable(&e),
                            },
                        )
                        .await;
                    break;
                }
            };
            // Boxed: handling a message needs far more state than waiting for one, and the
            // task of an idle session should only be as large as the wait.
            let handling = handle::<C, S>(
                &endpoint,
                &channel,
                &mut state,
                request,
                &replier,
                &mut in_flight,
                &mut inbox,
            );
            match Box::pin(handling).await {
                Flow::Continue => {}
                Flow::End => break,
            }
        }
        let drain = async { while in_flight.join_next().await.is_some() {} };
        if tokio::time::timeout(endpoint.timeouts.close, drain)
            .await
            .is_err()
        {
            warn!("calls still running at the close timeout were aborted");
        }
        drop(state.instance.take());
        // Callbacks kept by the service fail from now on, with a clear error.
        link.end();
        let _ = replier.sink.lock().await.close().await;
    }
    .instrument(span)
    .await
}

async fn handle<C, S>(
    endpoint: &EndpointShared<C, S>,
    channel: &Arc<ChannelInfo>,
    state: &mut SessionState<C, S>,
    mut request: Message,
    replier: &Arc<Replier>,
    in_flight: &mut JoinSet<()>,
    inbox: &mut Inbox,
) -> Flow
where
    C: Dispatch<S>,
    S: Send + 'static,
{
    if state.terminated {
        debug!(
            action = request.action(),
            "message after a terminating operation"
        );
        replier
            .fault(&request, MessageFault::session_terminated())
            .await;
        return Flow::End;
    }
    let (op, call) = match admit::<C, S>(endpoint, state.started, &mut request) {
        Ok(admitted) => admitted,
        Err(Refusal { fault, reply }) => {
            if reply {
                replier.fault(&request, *fault).await;
            } else {
                replier
                    .no_reply(request.headers.message_id.as_deref())
                    .await;
            }
            return Flow::Continue;
        }
    };
    state.started = true;
    if op.is_one_way {
        // WCF answers a one-way request before the operation runs.
        replier
            .no_reply(request.headers.message_id.as_deref())
            .await;
    }
    // Taking the slots and the guard here, before the next message is read, is what keeps
    // calls of one session in order: they queue in arrival order.
    let context = OperationContext::new(op, request.headers, channel.clone());
    // The reply goes to the request's MessageID, which the context keeps.
    let request_context = context.clone();
    let session_instance = endpoint.has_session.then_some(&mut state.instance);
    let invocation = begin_call(endpoint, session_instance, op, call, context).await;
    let concurrent =
        !endpoint.has_session || (op.access == InstanceAccess::Shared && !op.is_terminating);
    if concurrent {
        let replier = replier.clone();
        in_flight.spawn(
            async move {
                let reply = invocation.await;
                replier.send(request_context.message_id(), reply).await;
            }
            .in_current_span(),
        );
    } else {
        // The session's turn is this call's; replies to its callbacks still come in.
        let reply = inbox.while_running(op.name, invocation).await;
        replier.send(request_context.message_id(), reply).await;
    }
    if op.is_terminating && endpoint.has_session {
        debug!(
            operation = op.name,
            "terminating operation completed; session ends"
        );
        state.terminated = true;
        state.instance = None;
    }
    Flow::Continue
}

/// Why a request was not dispatched, and whether the sender gets the fault.
pub(crate) struct Refusal {
    pub(crate) fault: Box<MessageFault>,
    pub(crate) reply: bool,
}

/// Finds the operation a request is for and reads its arguments, enforcing the session rule
/// that only an initiating operation may start a session (`started` is always true without
/// a session).
pub(crate) fn admit<C, S>(
    endpoint: &EndpointShared<C, S>,
    started: bool,
    request: &mut Message,
) -> Result<(&'static OperationDescription, C::Call), Refusal>
where
    C: Dispatch<S>,
    S: Send + 'static,
{
    // WS-RM headers the binary reader typed, on a message no reliable session took: the
    // checks below and `OperationContext` see headers as they were received.
    request.headers.untype_wsrm(request.version.envelope);
    let contract = C::DESCRIPTION;
    // WCF's dispatcher matches the address filter first, then the contract filter.
    if let Some(filter) = &endpoint.address_filter {
        if !filter.accepts(request.headers.to.as_deref()) {
            warn!(
                to = request.headers.to.as_deref(),
                endpoint = %filter.address,
                "a message addressed to another endpoint"
            );
            return Err(Refusal {
                fault: Box::new(MessageFault::destination_unreachable(
                    request.headers.to.as_deref().unwrap_or_default(),
                )),
                reply: true,
            });
        }
    }
    if request.headers.action.is_none() {
        warn!("a message without an Action");
        return Err(Refusal {
            fault: Box::new(MessageFault::addressing_header_required("Action")),
            reply: true,
        });
    }
    let Some((index, op)) = contract.operation_by_action(request.action()) else {
        warn!(action = request.action(), "no operation has this action");
        return Err(Refusal {
            fault: Box::new(MessageFault::action_not_supported(request.action())),
            reply: true,
        });
    };
    // The layers below took out the headers they process (WS-RM's, a checked WS-Security
    // header), and WS-Addressing's are the dispatcher's own (From and FaultTo included); what
    // is left marked mustUnderstand must be one the operations declared.
    if let Some(header) = request.headers.other.iter().find(|header| {
        header.must_understand
            && header.name.namespace != crate::message::ns::WSA10
            && !endpoint
                .understood_headers
                .iter()
                .any(|known| known.is(&header.name.namespace, &header.name.local))
    }) {
        warn!(
            header = %header.name.local,
            namespace = %header.name.namespace,
            "a mustUnderstand header nothing here processes"
        );
        return Err(Refusal {
            fault: Box::new(MessageFault::must_understand(&header.name)),
            reply: !op.is_one_way,
        });
    }
    if endpoint.has_session && !started && !op.is_initiating {
        // WCF's contract filter for a new session matches initiating actions only.
        warn!(
            operation = op.name,
            "a non-initiating operation cannot start a session"
        );
        return Err(Refusal {
            fault: Box::new(MessageFault::action_not_supported(request.action())),
            reply: true,
        });
    }
    match C::decode(index, request, &endpoint.encoder.reader_quotas()) {
        Ok(call) => Ok((op, call)),
        Err(fault) => {
            warn!(operation = op.name, reason = %fault.reason, "cannot read the request");
            Err(Refusal {
                fault,
                reply: !op.is_one_way,
            })
        }
    }
}

/// The dispatch step every channel shape takes once a request is admitted: a call slot from
/// the throttle, then the instance (the session's, or one for this call), then its lock in
/// the operation's access mode, in that order. Returns the call, ready to run, holding all
/// three until it has: a session that awaits this before reading its next message keeps its
/// calls in arrival order.
pub(crate) async fn begin_call<C, S>(
    endpoint: &EndpointShared<C, S>,
    session_instance: Option<&mut Option<Lease<C, S>>>,
    op: &'static OperationDescription,
    call: C::Call,
    context: OperationContext,
) -> impl std::future::Future<Output = Reply> + Send + 'static
where
    C: Dispatch<S>,
    S: Send + 'static,
{
    // As WCF's dispatcher, authorization comes before the call takes a slot or an instance.
    if let Some(authorize) = &endpoint.authorization {
        if !authorize(&context) {
            tracing::warn!(
                operation = op.name,
                caller = %context.caller_identity().name(),
                "the service's authorization refused the call: access denied"
            );
            let denied = if op.is_one_way {
                Reply::None
            } else {
                let fault = MessageFault::access_denied();
                Reply::Fault {
                    action: fault.default_action().to_owned(),
                    fault,
                }
            };
            return futures::future::Either::Left(std::future::ready(denied));
        }
    }
    let call_slot = endpoint.throttle.call().await;
    let lease = instance_for_call(endpoint, session_instance, &context).await;
    let guard = lease.lock(op.access).await;
    let call = run_call::<C, S>(call, guard, op, context);
    futures::future::Either::Right(async move {
        let reply = call.await;
        // The instance is released (if this was its last lease) after the call let go of it.
        drop((call_slot, lease));
        reply
    })
}

/// Runs one call with `context` as its [`OperationContext`], turning a panic in the service
/// into WCF's InternalServiceFault.
pub(crate) async fn run_call<C, S>(
    call: C::Call,
    guard: <C::Cell as InstanceCell<S>>::Guard,
    op: &'static OperationDescription,
    context: OperationContext,
) -> Reply
where
    C: Dispatch<S>,
    S: Send + 'static,
{
    match context
        .scope(AssertUnwindSafe(C::invoke(call, guard)).catch_unwind())
        .await
    {
        Ok(Reply::Fault { .. } | Reply::Body { .. }) if op.is_one_way => Reply::None,
        Ok(reply) => reply,
        Err(_) => {
            error!(operation = op.name, "the service panicked");
            if op.is_one_way {
                Reply::None
            } else {
                let fault = MessageFault::internal_service_fault();
                Reply::Fault {
                    action: fault.default_action().to_owned(),
                    fault,
                }
            }
        }
    }
}
