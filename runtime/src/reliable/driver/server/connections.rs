//! The tasks around the inner binding's session channels: the accept loop, and a reader and a
//! writer for each channel (one connection). They are tasks of their own, not part of the hub,
//! so that no socket can hold the hub up: they turn received messages into [`HubEvent`]s and
//! send queued ones, and the hub only ever queues without waiting.

use super::super::connection::{read_message, write_messages, Received};
use super::super::MESSAGE_QUEUE;
use super::HubEvent;
use crate::channel::{ChannelListener, DuplexChannel, MessageSource};
use futures::channel::mpsc as queue;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

pub(super) async fn abort_when_closed(events: mpsc::Sender<HubEvent>, task: JoinHandle<()>) {
    events.closed().await;
    task.abort();
}

pub(super) async fn accept_connections(
    mut listener: Box<dyn ChannelListener>,
    events: mpsc::Sender<HubEvent>,
    idle_limit: std::time::Duration,
) {
    let mut next_id = 0u64;
    loop {
        let channel = match listener.accept().await {
            Ok(channel) => channel,
            Err(e) => {
                warn!(error = %e, "reliable endpoint's listener failed");
                return;
            }
        };
        next_id += 1;
        let DuplexChannel {
            sink,
            source,
            peer,
            identity,
            ..
        } = channel;
        debug!(%peer, id = next_id, "connection for reliable sessions");
        let (out_tx, out) = queue::channel(MESSAGE_QUEUE);
        if events
            .send(HubEvent::Connected(next_id, out_tx, identity))
            .await
            .is_err()
        {
            return;
        }
        // A failed write needs no report: a broken connection ends both directions, and the
        // reader reports that.
        let id = next_id;
        tokio::spawn(async move {
            if let Err(e) = write_messages(sink, out).await {
                debug!(error = %e, connection = id, "connection failed while writing");
            }
        });
        tokio::spawn(read_connection(source, events.clone(), next_id, idle_limit));
    }
}

async fn read_connection(
    mut source: Box<dyn MessageSource>,
    events: mpsc::Sender<HubEvent>,
    id: u64,
    idle_limit: std::time::Duration,
) {
    loop {
        let reading = read_message(&mut source);
        let Ok(received) = tokio::time::timeout(idle_limit, reading).await else {
            debug!(connection = id, ?idle_limit, "closing an idle connection");
            break;
        };
        match received {
            Received::Message(message) => match events.try_send(HubEvent::Message(id, message)) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    debug!("reliable endpoint's input queue is full; dropping a message");
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return,
            },
            Received::Ended => break,
        }
    }
    let _ = events.send(HubEvent::Disconnected(id)).await;
}
