//! The service side: one hub task per endpoint owns the [`ReliableListener`] (admission with
//! MaxPendingChannels, routing by sequence identifier), reads every session channel the inner
//! binding's listener accepts (one per connection; the inner channels encode), and
//! sends each session's output on the connection that session was last heard on, so a client
//! that reconnects finds its session where it left it. Sessions are handed to the host as
//! [`DuplexChannel`](crate::channel::DuplexChannel)s by
//! [`ReliableChannelListener::accept`](crate::channel::ChannelListener::accept); a session stays
//! pending (and counts against MaxPendingChannels) until the host takes it.
//!
//! Over HTTP the hub gets request messages instead of connections (see [`super::http`]): each
//! session's [`Responder`](crate::reliable::proto::request_reply::Responder) (the sans-IO
//! core's) decides when and with what each request is answered, and the hub keeps the response
//! channels under their exchange ids until then.
//!
//! The hub is one struct, [`hub::Hub`], and one task; its methods are spread over this
//! module's files by what they answer to, so that each can be read without the others: the
//! loop in `hub`, transport input and output in `routing`, HTTP exchanges in `exchange`, the
//! application's commands and the session's actions in `slots`, handing sessions to the host
//! in `accept`. The tasks around connections, which the hub never waits on, are in
//! `connections`.

mod accept;
mod connections;
mod exchange;
mod hub;
mod routing;
mod slots;

pub(crate) use accept::ReliableChannelListener;
pub(crate) use exchange::{Answer, Exchange};

use super::envelope::Codec;
use super::{Clock, MESSAGE_QUEUE};
use crate::channel::ChannelListener;
use crate::message::{Message, XmlError};
use crate::reliable::proto::{ListenerConfig, ReliableListener};
use connections::{abort_when_closed, accept_connections};
use futures::channel::mpsc as queue;
use hub::Hub;
use std::collections::{BTreeSet, HashMap, VecDeque};
use tokio::sync::mpsc;
use tracing::{info_span, Instrument};

/// What reaches the hub from the inner binding's side.
#[derive(Debug)]
pub(crate) enum HubEvent {
    /// A new connection; messages for it go to the sender (its writer task sends them). The
    /// identity is who the transport authenticated the peer as.
    Connected(
        u64,
        queue::Sender<Box<Message>>,
        crate::security::CallerIdentity,
    ),
    /// A message from connection `id`, or why it was unreadable.
    Message(u64, Result<Box<Message>, XmlError>),
    /// Connection `id` ended.
    Disconnected(u64),
    /// An HTTP request, answered through the exchange.
    Exchange(Exchange),
}

/// Starts a hub; the returned sender feeds it the inner binding's events (connections or
/// HTTP requests).
pub(crate) fn start_hub(
    config: ListenerConfig,
    codec: Codec,
    address: String,
) -> (ReliableChannelListener, mpsc::Sender<HubEvent>) {
    let (events_tx, events) = mpsc::channel(MESSAGE_QUEUE * 4);
    let (requests, accept_requests) = mpsc::channel(1);
    let (commands_tx, commands) = queue::unbounded();
    let hub = Hub {
        clock: Clock::new(),
        listener: ReliableListener::new(config, Box::new(super::new_id)),
        codec,
        connections: HashMap::new(),
        identities: HashMap::new(),
        sessions: HashMap::new(),
        blocked: BTreeSet::new(),
        http_sessions: BTreeSet::new(),
        http_dirty: BTreeSet::new(),
        exchanges: HashMap::new(),
        next_exchange: 1,
        commands_tx,
        commands,
        events,
        accept_requests,
        acceptors: VecDeque::new(),
        listening: true,
        address: address.clone(),
    };
    let span = info_span!("reliable endpoint", %address);
    tokio::spawn(hub.run().instrument(span));
    (ReliableChannelListener { address, requests }, events_tx)
}

/// Serves the inner binding's session channels through a hub.
pub(crate) fn serve_connections(
    listener: Box<dyn ChannelListener>,
    config: ListenerConfig,
    codec: Codec,
) -> ReliableChannelListener {
    let address = listener.local_address();
    // A connection that carries nothing for this long is closed: a healthy client polls every
    // half InactivityTimeout, so only a dead or hostile one stays this quiet.
    let idle_limit = config.session.settings.inactivity_timeout();
    let (channels, events) = start_hub(config, codec, address);
    let accept_task = tokio::spawn(accept_connections(listener, events.clone(), idle_limit));
    // The accept loop lives as long as the hub listens: when the hub's event queue closes,
    // sending the next connection fails and the loop ends; the guard covers a quiet listener.
    tokio::spawn(abort_when_closed(events, accept_task));
    channels
}
