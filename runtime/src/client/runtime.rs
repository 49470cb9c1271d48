//! The runtime behind every generated client: one client session and the contract it speaks.
//! Generated code reaches it through `indigo::__private`; it is not public API.

use super::channel::ClientChannel;
use super::CALL_TIMEOUT;
use crate::binding::Binding;
use crate::binding::Timeouts;
use crate::callback::{CallbackDispatcher, CallbackHandler};
use crate::channel::ClientChannelShape;
use crate::contract::{ContractDescription, OperationDescription};
use crate::encoding::MessageEncoder;
use crate::error::{CallError, Error};
use crate::message::{Body, BodyReader, BodyWriter, Message, XmlFragment};
use crate::serialization::from_fragment;
use crate::service::dispatch::Dispatch;
use crate::stream::{ByteStream, StreamedBinding, StreamedClient, StreamedMessage};
use crate::{CommunicationState, Fault};
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

type Opener = Box<dyn Fn() -> BoxFuture<'static, Result<ClientChannelShape, Error>> + Send + Sync>;

/// One client session: the channel plus the contract it speaks. Generated clients wrap one.
///
/// It starts `Created`; [`open`](Self::open), or the first call, opens the channel within the
/// binding's open timeout. A failed open leaves it `Faulted`, as in WCF.
pub struct ClientRuntime {
    contract: &'static ContractDescription,
    address: String,
    encoder: Arc<dyn MessageEncoder>,
    timeouts: Timeouts,
    opener: Opener,
    channel: OnceCell<ClientChannel>,
    open_failed: AtomicBool,
    /// Set for contracts with stream operations: every call then goes over streamed transfer,
    /// one connection per call, and `channel` stays unused.
    /// An error when the binding cannot carry streamed calls, reported by every call.
    streamed: Option<Result<StreamedClient, String>>,
    /// The deadline of each call, unless [`deadline`](super::deadline) gives one.
    operation_timeout: Option<Duration>,
    /// A duplex client's callback instance, which the service's callbacks run on.
    callbacks: Option<Arc<dyn CallbackHandler>>,
}

impl Debug for ClientRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRuntime")
            .field("contract", &self.contract.name)
            .field("address", &self.address)
            .field("state", &self.state())
            .finish()
    }
}

impl ClientRuntime {
    /// A client of `address` over `binding`, not yet opened (no I/O happens here).
    pub fn new<B: Binding>(
        contract: &'static ContractDescription,
        binding: &B,
        address: &str,
    ) -> Self {
        let (binding, target) = (binding.clone(), address.to_owned());
        ClientRuntime {
            contract,
            address: address.to_owned(),
            encoder: binding.encoder(),
            timeouts: binding.timeouts(),
            opener: Box::new(move || binding.open_channel(&target)),
            channel: OnceCell::new(),
            open_failed: AtomicBool::new(false),
            streamed: None,
            operation_timeout: None,
            callbacks: None,
        }
    }

    /// A client of a duplex contract: the service's callbacks (contract `C`) run on
    /// `callback`, as on a service instance (WCF's `InstanceContext`), with `&mut self`
    /// callbacks one at a time and `&self` ones together.
    pub fn new_duplex<C, S, B>(
        contract: &'static ContractDescription,
        binding: &B,
        address: &str,
        callback: S,
    ) -> Self
    where
        C: Dispatch<S>,
        S: Send + 'static,
        B: Binding,
    {
        let mut runtime = Self::new(contract, binding, address);
        let encoder = binding.encoder();
        runtime.callbacks = Some(Arc::new(CallbackDispatcher::<C, S>::new(
            callback,
            encoder.message_version(),
            encoder.reader_quotas(),
            address,
        )));
        runtime
    }

    /// Creates and opens a client of a duplex contract (see [`new_duplex`](Self::new_duplex)).
    pub async fn connect_duplex<C, S, B>(
        contract: &'static ContractDescription,
        binding: &B,
        address: &str,
        callback: S,
    ) -> Result<Self, Error>
    where
        C: Dispatch<S>,
        S: Send + 'static,
        B: Binding,
    {
        let runtime = Self::new_duplex::<C, S, B>(contract, binding, address, callback);
        runtime.open().await?;
        Ok(runtime)
    }

    /// The service's proxy of the client of the session the current operation serves: its
    /// calls are callbacks of `contract`, sent on the session's channel. It can be kept after
    /// the operation; once the session ends, its calls fail with [`Error::InvalidState`].
    pub fn for_current_callback(contract: &'static ContractDescription) -> Result<Self, Error> {
        let link = crate::service::context::OperationContext::with(|ctx| ctx.callback_link())
            .ok_or_else(|| {
                Error::Configuration(
                    "a callback proxy is taken from within an operation (OperationContext)"
                        .to_owned(),
                )
            })?
            .ok_or_else(|| {
                Error::Configuration(
                    "this operation came without a session channel: a sessionless binding \
                     cannot carry callbacks"
                        .to_owned(),
                )
            })?;
        let encoder = link.encoder();
        let timeouts = link.timeouts();
        let channel = ClientChannel::for_callbacks(link);
        Ok(ClientRuntime {
            contract,
            address: crate::message::ns::WSA10_ANONYMOUS.to_owned(),
            encoder,
            timeouts,
            opener: Box::new(|| {
                Box::pin(async {
                    Err(Error::Configuration(
                        "a callback proxy opens nothing: it uses the session's channel".to_owned(),
                    ))
                })
            }),
            channel: OnceCell::new_with(Some(channel)),
            open_failed: AtomicBool::new(false),
            streamed: None,
            operation_timeout: None,
            callbacks: None,
        })
    }

    /// Gives every later call `timeout` to complete (see [`deadline`](super::deadline) for one call).
    pub fn with_operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    /// Runs one call of `op` within its deadline, if it has one.
    async fn within_deadline<T>(
        &self,
        op: &OperationDescription,
        call: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let timeout = CALL_TIMEOUT
            .try_with(|t| *t)
            .ok()
            .or(self.operation_timeout);
        let Some(timeout) = timeout else {
            return call.await;
        };
        // Giving up is safe at any point: the channel sends a message whole or not at all, and
        // forgets the reply it would have waited for.
        tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| Error::OperationTimeout {
                operation: op.name,
                timeout,
            })?
    }

    /// A client of a contract with stream operations: all its calls use streamed transfer
    /// (WCF's `TransferMode.Streamed`), each over a connection of its own, so none carries a
    /// session. When the binding cannot carry streamed calls (a text encoder), opening and
    /// every call fail with [`Error::Configuration`].
    pub fn new_streamed<B: StreamedBinding>(
        contract: &'static ContractDescription,
        binding: &B,
        address: &str,
    ) -> Self {
        let mut runtime = Self::new(contract, binding, address);
        runtime.streamed = Some(StreamedClient::new(binding, address).map_err(|e| e.to_string()));
        runtime
    }

    /// The streamed client, for contracts with stream operations.
    fn streamed(&self) -> Option<Result<&StreamedClient, Error>> {
        self.streamed.as_ref().map(|streamed| {
            streamed
                .as_ref()
                .map_err(|why| Error::Configuration(why.clone()))
        })
    }

    fn require_streamed(&self) -> Result<&StreamedClient, Error> {
        self.streamed().unwrap_or_else(|| {
            Err(Error::Configuration(
                "a stream operation needs a client made with new_streamed".to_owned(),
            ))
        })
    }

    /// Creates and opens a client.
    pub async fn connect<B: Binding>(
        contract: &'static ContractDescription,
        binding: &B,
        address: &str,
    ) -> Result<Self, Error> {
        let runtime = Self::new(contract, binding, address);
        runtime.open().await?;
        Ok(runtime)
    }

    /// Opens the channel if it is not open yet. A streamed client has no channel to open:
    /// each call connects.
    pub async fn open(&self) -> Result<(), Error> {
        if let Some(streamed) = self.streamed() {
            return streamed.map(drop);
        }
        self.channel().await.map(drop)
    }

    async fn channel(&self) -> Result<&ClientChannel, Error> {
        if let Some(channel) = self.channel.get() {
            return Ok(channel);
        }
        if self.open_failed.load(Ordering::Acquire) {
            return Err(Error::InvalidState {
                operation: "open",
                object: "client channel",
                state: CommunicationState::Faulted,
                cause: None,
            });
        }
        self.channel
            .get_or_try_init(|| async {
                let opened = tokio::time::timeout(self.timeouts.open, (self.opener)())
                    .await
                    .map_err(|_| Error::Timeout(self.timeouts.open))
                    .and_then(|transport| transport);
                match opened {
                    Ok(channel) => Ok(ClientChannel::new(
                        channel,
                        self.address.clone(),
                        self.timeouts,
                        self.callbacks.clone(),
                    )),
                    Err(e) => {
                        self.open_failed.store(true, Ordering::Release);
                        Err(e)
                    }
                }
            })
            .await
    }

    /// The channel's lifecycle state.
    pub fn state(&self) -> CommunicationState {
        match self.channel.get() {
            Some(channel) => channel.state(),
            None if self.open_failed.load(Ordering::Acquire) => CommunicationState::Faulted,
            None => CommunicationState::Created,
        }
    }

    /// The contract this client speaks.
    pub fn contract(&self) -> &'static ContractDescription {
        self.contract
    }

    /// Starts a request body for `op`.
    pub fn body(&self, op: &OperationDescription) -> BodyWriter {
        BodyWriter::for_operation(
            op.name,
            "",
            self.contract.namespace,
            self.contract.data_namespace,
        )
    }

    fn message(&self, op: &OperationDescription, body: XmlFragment) -> Message {
        Message::new(
            self.encoder.message_version(),
            op.action,
            Body::Payload(body),
        )
    }

    /// Sends a one-way operation.
    pub async fn send(&self, op: &OperationDescription, body: XmlFragment) -> Result<(), Error> {
        self.within_deadline(op, async {
            if let Some(streamed) = self.streamed() {
                let request = StreamedMessage::buffered(self.message(op, body));
                return streamed?.send_one_way(request).await;
            }
            self.channel().await?.send(self.message(op, body)).await
        })
        .await
    }

    /// Sends a request-reply operation and returns the reply message (which may be a fault).
    pub async fn request(
        &self,
        op: &OperationDescription,
        body: XmlFragment,
    ) -> Result<Message, Error> {
        self.within_deadline(op, async {
            if let Some(streamed) = self.streamed() {
                let request = StreamedMessage::buffered(self.message(op, body));
                return Ok(streamed?.call(request, false).await?.message);
            }
            self.channel().await?.request(self.message(op, body)).await
        })
        .await
    }

    /// The request of an operation whose only parameter, `part`, is a stream.
    pub fn stream_request(
        &self,
        op: &OperationDescription,
        part: &str,
        stream: ByteStream,
    ) -> StreamedMessage {
        StreamedMessage::with_stream(
            self.encoder.message_version(),
            op.action,
            op.name,
            self.contract.namespace,
            part,
            stream,
        )
    }

    /// The request of an operation with buffered parameters, for a streamed call.
    pub fn buffered_request(
        &self,
        op: &OperationDescription,
        body: XmlFragment,
    ) -> StreamedMessage {
        StreamedMessage::buffered(self.message(op, body))
    }

    /// Sends a streamed call; `reply_has_stream` when the operation returns a stream.
    pub async fn call_streamed(
        &self,
        request: StreamedMessage,
        reply_has_stream: bool,
    ) -> Result<StreamedMessage, Error> {
        self.require_streamed()?
            .call(request, reply_has_stream)
            .await
    }

    /// Sends a one-way streamed call.
    pub async fn send_streamed(&self, request: StreamedMessage) -> Result<(), Error> {
        self.require_streamed()?.send_one_way(request).await
    }

    /// The stream `{Op}Response/{result}` of a streamed reply. A fault becomes
    /// [`Error::Fault`].
    pub fn read_stream(
        &self,
        op: &OperationDescription,
        reply: StreamedMessage,
    ) -> Result<ByteStream, Error> {
        let quotas = self.encoder.reader_quotas();
        self.open_reply(op, &reply.message, &quotas)?;
        reply
            .stream
            .ok_or_else(|| Error::Protocol(format!("the reply to {} carries no stream", op.name)))
    }

    /// Checks a reply to `op` and opens its `{Op}Response` wrapper. An untyped fault becomes
    /// [`Error::Fault`].
    fn open_reply<'a>(
        &self,
        op: &OperationDescription,
        reply: &'a Message,
        quotas: &'a crate::message::ReaderQuotas,
    ) -> Result<BodyReader<'a>, Error> {
        let payload = match &reply.body {
            Body::Fault(fault) => return Err(Error::Fault(Box::new(fault.clone()))),
            Body::Payload(payload) => payload,
            Body::Empty => {
                return Err(Error::Protocol(format!(
                    "the reply to {} has an empty body",
                    op.name
                )))
            }
        };
        if let Some(action) = reply.headers.action.as_deref() {
            if action != op.reply_action {
                return Err(Error::Protocol(format!(
                    "expected reply action {}, got {action}",
                    op.reply_action
                )));
            }
        }
        Ok(BodyReader::open_named(
            payload,
            op.name,
            "Response",
            self.contract.namespace,
            quotas,
        )?)
    }

    /// Reads `{Op}Response/{result_name}` from a reply.
    pub fn read_result<T: DeserializeOwned>(
        &self,
        op: &OperationDescription,
        reply: Message,
        result_name: &str,
    ) -> Result<T, Error> {
        let quotas = self.encoder.reader_quotas();
        Ok(self.open_reply(op, &reply, &quotas)?.part(result_name)?)
    }

    /// Checks the reply of an operation that returns nothing.
    pub fn read_unit(&self, op: &OperationDescription, reply: Message) -> Result<(), Error> {
        let quotas = self.encoder.reader_quotas();
        self.open_reply(op, &reply, &quotas).map(drop)
    }

    /// The declared fault carried by `reply`, if it is a fault whose detail reads as `D`.
    fn typed_fault<D: DeserializeOwned + Debug>(&self, reply: &Message) -> Option<Fault<D>> {
        let Body::Fault(fault) = &reply.body else {
            return None;
        };
        let quotas = self.encoder.reader_quotas();
        let detail = from_fragment::<D>(fault.detail.as_ref()?, &quotas).ok()?;
        Some(Fault {
            code: fault.code.clone(),
            reason: fault.reason.clone(),
            detail,
        })
    }

    /// [`read_result`](Self::read_result) for an operation declared with a typed fault.
    pub fn read_fallible_result<T: DeserializeOwned, D: DeserializeOwned + Debug>(
        &self,
        op: &OperationDescription,
        reply: Message,
        result_name: &str,
    ) -> Result<T, CallError<D>> {
        match self.typed_fault(&reply) {
            Some(fault) => Err(CallError::Fault(Box::new(fault))),
            None => Ok(self.read_result(op, reply, result_name)?),
        }
    }

    /// [`read_unit`](Self::read_unit) for an operation declared with a typed fault.
    pub fn read_fallible_unit<D: DeserializeOwned + Debug>(
        &self,
        op: &OperationDescription,
        reply: Message,
    ) -> Result<(), CallError<D>> {
        match self.typed_fault(&reply) {
            Some(fault) => Err(CallError::Fault(Box::new(fault))),
            None => Ok(self.read_unit(op, reply)?),
        }
    }

    /// [`read_result`](Self::read_result) for an operation declared with an untyped fault:
    /// any fault the service sends is the operation's [`Fault`].
    pub fn read_untyped_fallible_result<T: DeserializeOwned>(
        &self,
        op: &OperationDescription,
        reply: Message,
        result_name: &str,
    ) -> Result<T, CallError<()>> {
        match untyped_fault(&reply) {
            Some(fault) => Err(CallError::Fault(Box::new(fault))),
            None => Ok(self.read_result(op, reply, result_name)?),
        }
    }

    /// [`read_unit`](Self::read_unit) for an operation declared with an untyped fault.
    pub fn read_untyped_fallible_unit(
        &self,
        op: &OperationDescription,
        reply: Message,
    ) -> Result<(), CallError<()>> {
        match untyped_fault(&reply) {
            Some(fault) => Err(CallError::Fault(Box::new(fault))),
            None => Ok(self.read_unit(op, reply)?),
        }
    }

    /// Closes the session gracefully.
    pub async fn close(mut self) -> Result<(), Error> {
        match self.channel.get_mut() {
            Some(channel) => channel.close().await,
            // Closing a client that never opened just releases it, as WCF's Close on Created.
            None => Ok(()),
        }
    }

    /// Drops the session without a handshake.
    pub fn abort(self) {
        if let Some(channel) = self.channel.get() {
            channel.abort();
        }
    }
}

/// The fault `reply` carries, as an untyped [`Fault`] (its detail, if any, is not read).
fn untyped_fault(reply: &Message) -> Option<Fault> {
    let Body::Fault(fault) = &reply.body else {
        return None;
    };
    Some(Fault {
        code: fault.code.clone(),
        reason: fault.reason.clone(),
        detail: (),
    })
}

/// Serializes one part into `body`; a helper so generated code stays one line per parameter.
pub fn write_part<T: Serialize + ?Sized>(
    body: &mut BodyWriter,
    name: &str,
    value: &T,
) -> Result<(), Error> {
    body.part(name, value).map_err(Error::from)
}
