//! Composite duplex over HTTP (WCF's `CompositeDuplexBindingElement` + `OneWayBindingElement`
//! over HTTP, the channel stack under `WSDualHttpBinding`): two one-way HTTP directions made
//! into one duplex channel per client.
//!
//! A client listens at an address of its own (its *client base address*) and stamps it as
//! `ReplyTo` on everything it POSTs to the service; every POST, both ways, is answered `202
//! Accepted` at once. The service's listener tells its clients apart by that `ReplyTo`: the
//! first message from a new address makes a new channel (accepted as a session by the layer
//! above: WS-ReliableMessaging), whose sink POSTs to that address.
//!
//! Bounds: each channel queues at most [`INBOX`] messages (more are dropped, which the
//! reliable session above re-sends), the listener holds at most `max_clients` clients, and a
//! `ReplyTo` that is no `http(s)://` address is refused with a fault.

use super::{
    ChannelListener, DuplexChannel, EncodedRequestChannel, MessageSink, MessageSource,
    ReceiveError, RequestChannel, RequestChannelListener, RequestMessageHandler,
};
use crate::binding::{HttpTransport, Timeouts, TransportBindingElement};
use crate::encoding::MessageEncoder;
use crate::error::Error;
use crate::message::{Body, Message, MessageFault};
use crate::transport::{ClientTransport, RequestOrigin, ServerTransport, TransportError};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

/// Messages queued for one channel before more are dropped.
pub(crate) const INBOX: usize = 256;

/// The outgoing half: POSTs to `target`, stamping `reply_to` (the client's own address) on a
/// client's messages.
struct PostSink {
    channel: EncodedRequestChannel,
    reply_to: Option<String>,
}

impl MessageSink for PostSink {
    fn send(&mut self, message: Message) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let mut message = message;
            if let Some(reply_to) = &self.reply_to {
                message.headers.reply_to = Some(reply_to.clone());
            }
            match self.channel.request(&message).await? {
                None => Ok(()),
                // A one-way POST is answered 202; a body back is a fault from the peer.
                Some(answer) => match answer.body {
                    Body::Fault(fault) => Err(Error::Fault(Box::new(fault))),
                    _ => Ok(()),
                },
            }
        })
    }

    fn close(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }
}

/// The incoming half: messages the listener routed to this channel. Dropping it ends the
/// client's listener (on a client) or frees the client's slot (on a service).
struct QueueSource {
    inbox: mpsc::Receiver<Message>,
    _stop: Option<oneshot::Sender<()>>,
}

impl MessageSource for QueueSource {
    fn receive(&mut self) -> BoxFuture<'_, Result<Option<Message>, ReceiveError>> {
        Box::pin(async move { Ok(self.inbox.recv().await) })
    }
}

fn channel_of(sink: PostSink, source: QueueSource, peer: String) -> DuplexChannel {
    DuplexChannel {
        sink: Box::new(sink),
        source: Box::new(source),
        peer,
        remote_address: None,
        session_id: None,
        identity: crate::security::CallerIdentity::Anonymous,
    }
}

fn post_channel(
    http: &HttpTransport,
    address: &str,
    encoder: &Arc<dyn MessageEncoder>,
    timeouts: &Timeouts,
) -> BoxFuture<'static, Result<EncodedRequestChannel, Error>> {
    let connecting = http.connect(address, encoder, timeouts);
    let encoder = encoder.clone();
    Box::pin(async move {
        match connecting.await? {
            ClientTransport::RequestReply(transport) => {
                Ok(EncodedRequestChannel::new(transport, encoder))
            }
            ClientTransport::Duplex(_) => Err(Error::Configuration(
                "composite duplex needs HTTP below it".to_owned(),
            )),
        }
    })
}

async fn listen(
    http: &HttpTransport,
    address: &str,
    encoder: &Arc<dyn MessageEncoder>,
    timeouts: &Timeouts,
) -> Result<super::request::EncodedRequestListener, Error> {
    match http.listen(address, encoder, timeouts).await? {
        ServerTransport::RequestReply(listener) => Ok(super::request::EncodedRequestListener::new(
            listener,
            encoder.clone(),
        )),
        _ => Err(Error::Configuration(
            "composite duplex needs HTTP below it".to_owned(),
        )),
    }
}

/// A client's channel: POSTs to `service`, messages back through its own listener at
/// `client_base` (port 0 picks one).
pub(crate) async fn open_client(
    http: HttpTransport,
    service: &str,
    client_base: &str,
    encoder: Arc<dyn MessageEncoder>,
    timeouts: Timeouts,
) -> Result<DuplexChannel, Error> {
    let listener = listen(&http, client_base, &encoder, &timeouts).await?;
    let own_address = listener.local_address();
    let (tx, inbox) = mpsc::channel(INBOX);
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let serving = Box::new(listener).serve(
        Arc::new(ClientInbox { tx }),
        Box::pin(async move {
            let _ = stop_rx.await;
        }),
    );
    tokio::spawn(serving);
    let channel = post_channel(&http, service, &encoder, &timeouts).await?;
    Ok(channel_of(
        PostSink {
            channel,
            reply_to: Some(own_address),
        },
        QueueSource {
            inbox,
            _stop: Some(stop_tx),
        },
        service.to_owned(),
    ))
}

/// What a client's listener does with a message: into the channel's queue, `202` back.
struct ClientInbox {
    tx: mpsc::Sender<Message>,
}

impl RequestMessageHandler for ClientInbox {
    fn handle(&self, request: Message, _: RequestOrigin) -> BoxFuture<'static, Option<Message>> {
        if self.tx.try_send(request).is_err() {
            debug!("a composite duplex client's queue is full; a message is dropped");
        }
        Box::pin(async { None })
    }
}

/// The service's listener: one channel per client address.
pub(crate) async fn open_listener(
    http: HttpTransport,
    address: &str,
    encoder: Arc<dyn MessageEncoder>,
    timeouts: Timeouts,
    max_clients: usize,
) -> Result<Box<dyn ChannelListener>, Error> {
    let listener = listen(&http, address, &encoder, &timeouts).await?;
    let local_address = listener.local_address();
    let (accepted_tx, accepted) = mpsc::channel(max_clients.clamp(1, 1024));
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let demux = Arc::new(Demux {
        clients: Mutex::new(HashMap::new()),
        accepted: accepted_tx,
        http,
        encoder,
        timeouts,
        max_clients,
    });
    tokio::spawn(Box::new(listener).serve(
        demux,
        Box::pin(async move {
            let _ = stop_rx.await;
        }),
    ));
    Ok(Box::new(DualListener {
        accepted,
        local_address,
        _stop: stop_tx,
    }))
}

struct DualListener {
    accepted: mpsc::Receiver<DuplexChannel>,
    local_address: String,
    _stop: oneshot::Sender<()>,
}

impl ChannelListener for DualListener {
    fn accept(&mut self) -> BoxFuture<'_, Result<DuplexChannel, TransportError>> {
        Box::pin(async move { self.accepted.recv().await.ok_or(TransportError::Closed) })
    }

    fn local_address(&self) -> String {
        self.local_address.clone()
    }
}

/// Routes each incoming message to its client's channel, making one for a new client.
struct Demux {
    clients: Mutex<HashMap<String, mpsc::Sender<Message>>>,
    accepted: mpsc::Sender<DuplexChannel>,
    http: HttpTransport,
    encoder: Arc<dyn MessageEncoder>,
    timeouts: Timeouts,
    max_clients: usize,
}

fn refusal(request: &Message, fault: MessageFault) -> Option<Message> {
    let mut reply = Message::new(
        request.version,
        fault.default_action().to_owned(),
        Body::Fault(fault),
    );
    reply.headers.relates_to = request.headers.message_id.clone();
    Some(reply)
}

impl RequestMessageHandler for Demux {
    fn handle(&self, request: Message, _: RequestOrigin) -> BoxFuture<'static, Option<Message>> {
        let client = request
            .headers
            .reply_to
            .clone()
            .filter(|a| a.starts_with("http://") || a.starts_with("https://"));
        let Some(client) = client else {
            warn!("a composite duplex message without an http(s) ReplyTo; refused");
            let fault = MessageFault::new(
                crate::message::FaultCode::sender(crate::message::QualifiedName::new(
                    crate::message::ns::WSA10,
                    "InvalidAddressingHeader",
                )),
                "A composite duplex message needs the client's http(s) address as its ReplyTo.",
            );
            let reply = refusal(&request, fault);
            return Box::pin(async move { reply });
        };
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients.retain(|_, tx| !tx.is_closed());
        if let Some(tx) = clients.get(&client) {
            if tx.try_send(request).is_err() {
                debug!(%client, "a composite duplex channel's queue is full; a message is dropped");
            }
            return Box::pin(async { None });
        }
        if clients.len() >= self.max_clients {
            warn!(%client, max_clients = self.max_clients, "composite duplex: too many clients");
            let fault = MessageFault::new(
                crate::message::FaultCode::receiver(crate::message::QualifiedName::new(
                    crate::message::ns::WCF_DISPATCHER,
                    "ServerTooBusy",
                )),
                "The server has as many composite duplex clients as it takes. Try again later.",
            );
            let reply = refusal(&request, fault);
            return Box::pin(async move { reply });
        }
        let (tx, inbox) = mpsc::channel(INBOX);
        let _ = tx.try_send(request);
        clients.insert(client.clone(), tx);
        drop(clients);
        let connecting = post_channel(&self.http, &client, &self.encoder, &self.timeouts);
        let accepted = self.accepted.clone();
        Box::pin(async move {
            match connecting.await {
                Ok(channel) => {
                    let channel = channel_of(
                        PostSink {
                            channel,
                            reply_to: None,
                        },
                        QueueSource { inbox, _stop: None },
                        client,
                    );
                    if accepted.try_send(channel).is_err() {
                        warn!("composite duplex: the accept queue is full; a client waits for its re-send");
                    }
                }
                Err(e) => warn!(error = %e, %client, "cannot reach a composite duplex client"),
            }
            None
        })
    }
}
