//! The request/reply channel shape (WCF's `IRequestChannel` and `IReplyChannel`): every request
//! carries its own reply, as over HTTP. The encoder is applied here, once, between the
//! transport's frames and the messages the layers above see; and the two shapes a binding
//! opens, client side ([`ClientChannelShape`]) and service side ([`ServerChannelShape`]).

use super::{ChannelListener, EncodedListener};
use crate::encoding::MessageEncoder;
use crate::error::Error;
use crate::message::{Body, Message, MessageFault};
use crate::transport::{
    ReplyFrame, RequestHandler, RequestListener, RequestTransport, ServerTransport,
};
use bytes::Bytes;
use futures::future::BoxFuture;
use std::sync::Arc;
use tracing::{error, warn};

/// A channel whose requests each get their own reply.
pub trait RequestChannel: Send + Sync + 'static {
    /// Sends `message`; its reply, or `None` when the peer took it without one (HTTP 202).
    fn request<'a>(&'a self, message: &'a Message)
        -> BoxFuture<'a, Result<Option<Message>, Error>>;
}

/// `encoder` over a request/reply transport: the bottom channel of an HTTP binding.
pub(crate) struct EncodedRequestChannel {
    transport: Box<dyn RequestTransport>,
    encoder: Arc<dyn MessageEncoder>,
}

impl EncodedRequestChannel {
    pub(crate) fn new(
        transport: Box<dyn RequestTransport>,
        encoder: Arc<dyn MessageEncoder>,
    ) -> Self {
        EncodedRequestChannel { transport, encoder }
    }
}

impl RequestChannel for EncodedRequestChannel {
    fn request<'a>(
        &'a self,
        message: &'a Message,
    ) -> BoxFuture<'a, Result<Option<Message>, Error>> {
        Box::pin(async move {
            let mut frame = Vec::with_capacity(512);
            match self.transport.message_credential() {
                // TransportWithMessageCredential: the user name goes in the message's own
                // WS-Security header.
                Some(credential) => {
                    let mut secured = message.clone();
                    secured
                        .headers
                        .other
                        .push(crate::security::username_token::header(
                            credential,
                            self.encoder.message_version().envelope.namespace(),
                            std::time::SystemTime::now(),
                        ));
                    self.encoder.encode(&secured, &mut frame)?;
                }
                None => self.encoder.encode(message, &mut frame)?,
            }
            match self
                .transport
                .request(frame.into(), message.action())
                .await?
            {
                Some(bytes) => Ok(Some(self.encoder.decode(bytes)?)),
                None => Ok(None),
            }
        })
    }
}

/// What a binding opens on the client side, in WCF's channel shapes.
#[doc(hidden)]
pub enum ClientChannelShape {
    /// A session channel: messages both ways, in order (net.tcp, in-process, any reliable
    /// session).
    DuplexSession(super::DuplexChannel),
    /// Independent request/reply exchanges (HTTP).
    Request(Box<dyn RequestChannel>),
}

impl std::fmt::Debug for ClientChannelShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientChannelShape::DuplexSession(channel) => {
                f.debug_tuple("DuplexSession").field(channel).finish()
            }
            ClientChannelShape::Request(_) => f.write_str("Request"),
        }
    }
}

/// The service's side of a request channel: answers one request message (WCF's
/// `RequestContext`). `None` accepts the request without a reply (a one-way operation).
pub trait RequestMessageHandler: Send + Sync + 'static {
    /// Answers `request`, which came from `origin` as far as the transport knows.
    fn handle(
        &self,
        request: Message,
        origin: crate::transport::RequestOrigin,
    ) -> BoxFuture<'static, Option<Message>>;
}

/// Listens for request channels: serves every request with a message handler.
pub trait RequestChannelListener: Send + 'static {
    /// The address clients send to (with the real port when port 0 was asked for).
    fn local_address(&self) -> String;
    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    fn serve(
        self: Box<Self>,
        handler: Arc<dyn RequestMessageHandler>,
        shutdown: BoxFuture<'static, ()>,
    ) -> BoxFuture<'static, ()>;

    /// Answers HTTP GET for metadata from `source` (see
    /// [`RequestListener::publish_metadata`](crate::transport::RequestListener::publish_metadata)).
    fn publish_metadata(
        &mut self,
        source: Arc<dyn crate::transport::MetadataSource>,
        base: String,
    ) {
        let _ = (source, base);
    }
}

/// `encoder` over a request/reply transport listener: requests are decoded before the handler
/// sees them and replies encoded after. A request that cannot be read is answered here with a
/// SOAP fault saying why, in the encoder's message version.
pub(crate) struct EncodedRequestListener {
    listener: Box<dyn RequestListener>,
    encoder: Arc<dyn MessageEncoder>,
}

impl EncodedRequestListener {
    pub(crate) fn new(
        listener: Box<dyn RequestListener>,
        encoder: Arc<dyn MessageEncoder>,
    ) -> Self {
        EncodedRequestListener { listener, encoder }
    }
}

impl RequestChannelListener for EncodedRequestListener {
    fn local_address(&self) -> String {
        self.listener.local_address()
    }

    fn publish_metadata(
        &mut self,
        source: Arc<dyn crate::transport::MetadataSource>,
        base: String,
    ) {
        self.listener.publish_metadata(source, base);
    }

    fn serve(
        self: Box<Self>,
        handler: Arc<dyn RequestMessageHandler>,
        shutdown: BoxFuture<'static, ()>,
    ) -> BoxFuture<'static, ()> {
        let codec = Arc::new(Decoding {
            handler,
            encoder: self.encoder,
            message_credential: self.listener.message_credential_validator(),
        });
        self.listener.serve(codec, shutdown)
    }
}

/// The frame-level handler a transport calls: decodes, hands over, encodes.
struct Decoding {
    handler: Arc<dyn RequestMessageHandler>,
    encoder: Arc<dyn MessageEncoder>,
    /// `TransportWithMessageCredential`: every request's WS-Security UsernameToken is checked
    /// by this validator, and its user name is the caller.
    message_credential: Option<crate::security::UserNameValidator>,
}

impl Decoding {
    /// Checks the request's UsernameToken; the refusal is WCF's fault for it.
    fn check_credential(
        validator: &crate::security::UserNameValidator,
        request: &Message,
    ) -> Result<String, Box<MessageFault>> {
        use crate::message::{ns, FaultCode, QualifiedName};
        use crate::security::username_token::{read, TokenError};
        let token = read(&request.headers.other, std::time::SystemTime::now()).map_err(|e| {
            let why = match e {
                TokenError::Missing => "no UsernameToken in a WS-Security header".to_owned(),
                TokenError::Invalid(why) => why,
            };
            warn!(%why, "a request's message credential is not acceptable");
            Box::new(MessageFault::new(
                FaultCode::sender(QualifiedName::new(ns::WSSE, "InvalidSecurity")),
                "An error occurred when verifying security for the message.",
            ))
        })?;
        validator(&token.user_name, &token.password).map_err(|why| {
            warn!(user = %token.user_name, %why, "a UsernameToken was refused");
            Box::new(MessageFault::new(
                FaultCode::sender(QualifiedName::new(ns::WSSE, "FailedAuthentication")),
                "At least one security token in the message could not be validated.",
            ))
        })?;
        Ok(token.user_name)
    }
}

impl RequestHandler for Decoding {
    fn handle(&self, frame: Bytes, action: Option<String>) -> BoxFuture<'static, ReplyFrame> {
        self.handle_from(frame, action, crate::transport::RequestOrigin::default())
    }

    fn handle_from(
        &self,
        frame: Bytes,
        action: Option<String>,
        origin: crate::transport::RequestOrigin,
    ) -> BoxFuture<'static, ReplyFrame> {
        let encoder = self.encoder.clone();
        let mut request = match encoder.decode(frame) {
            Ok(request) => request,
            Err(error) => {
                warn!(%error, "unreadable request");
                let fault = MessageFault::unreadable(&error, "The message");
                let action = fault.default_action().to_owned();
                let reply = Message::new(encoder.message_version(), action, Body::Fault(fault));
                return Box::pin(async move { frame_for(&*encoder, reply) });
            }
        };
        // An envelope without an Action of its own (SOAP 1.1 over HTTP) takes the transport's.
        if request.headers.action.is_none() {
            request.headers.action = action;
        }
        let mut origin = origin;
        if let Some(validator) = &self.message_credential {
            match Decoding::check_credential(validator, &request) {
                Ok(user) => {
                    origin.identity = crate::security::CallerIdentity::UserName(user);
                    // The security header is processed: a mustUnderstand on it is satisfied,
                    // and the operations see the caller, not the password.
                    request
                        .headers
                        .other
                        .retain(|header| !header.name.is(crate::message::ns::WSSE, "Security"));
                }
                Err(fault) => {
                    let action = fault.default_action().to_owned();
                    let mut reply =
                        Message::new(encoder.message_version(), action, Body::Fault(*fault));
                    reply.headers.relates_to = request.headers.message_id.clone();
                    return Box::pin(async move { frame_for(&*encoder, reply) });
                }
            }
        }
        let answering = self.handler.handle(request, origin);
        Box::pin(async move {
            match answering.await {
                Some(reply) => frame_for(&*encoder, reply),
                None => ReplyFrame::Accepted,
            }
        })
    }
}

/// Encodes a reply for the transport: a fault travels as one (HTTP 500).
fn frame_for(encoder: &dyn MessageEncoder, reply: Message) -> ReplyFrame {
    let mut out = Vec::with_capacity(512);
    match encoder.encode(&reply, &mut out) {
        Ok(()) if reply.is_fault() => ReplyFrame::Fault(out.into()),
        Ok(()) => ReplyFrame::Reply(out.into()),
        Err(error) => {
            error!(%error, "cannot encode a reply");
            ReplyFrame::Accepted
        }
    }
}

/// What a binding opens on the service side, in WCF's channel shapes.
#[doc(hidden)]
pub enum ServerChannelShape {
    /// Accepts session channels (net.tcp, in-process, reliable sessions).
    DuplexSessions(Box<dyn ChannelListener>),
    /// Serves independent requests (HTTP).
    Requests(Box<dyn RequestChannelListener>),
    /// Accepts streamed exchanges, each one request and its reply with the stream unbuffered
    /// (net.tcp's singleton mode).
    Streamed(crate::transport::tcp::StreamedListener),
}

impl ServerChannelShape {
    /// The address the listener is reachable at.
    pub fn local_address(&self) -> String {
        match self {
            ServerChannelShape::DuplexSessions(l) => l.local_address(),
            ServerChannelShape::Requests(l) => l.local_address(),
            ServerChannelShape::Streamed(l) => l.local_address(),
        }
    }

    /// The binding's transport listener with `encoder` applied: the one place a service-side
    /// encoder meets the transport.
    pub(crate) fn encoded(transport: ServerTransport, encoder: Arc<dyn MessageEncoder>) -> Self {
        match transport {
            ServerTransport::Duplex(listener) => ServerChannelShape::DuplexSessions(Box::new(
                EncodedListener::new(listener, encoder),
            )),
            ServerTransport::RequestReply(listener) => ServerChannelShape::Requests(Box::new(
                EncodedRequestListener::new(listener, encoder),
            )),
            ServerTransport::Streamed(listener) => ServerChannelShape::Streamed(listener),
        }
    }
}

impl std::fmt::Debug for ServerChannelShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shape = match self {
            ServerChannelShape::DuplexSessions(_) => "DuplexSessions",
            ServerChannelShape::Requests(_) => "Requests",
            ServerChannelShape::Streamed(_) => "Streamed",
        };
        write!(f, "{shape}({})", self.local_address())
    }
}
