//! The host's side of the endpoint: [`ReliableChannelListener`], and how the hub hands it
//! sessions. Apart from the rest because admission to the host is its own exchange with the hub
//! (an `accept` is a request the hub answers when a session is pending), with its own rules: a
//! session counts against MaxPendingChannels until the host takes it, and one the host never
//! takes is aborted when the host stops listening.

use super::hub::Hub;
use crate::channel::{ChannelListener, DuplexChannel};
use crate::reliable::proto::SessionKey;
use crate::transport::TransportError;
use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};
use tracing::debug;

/// Accepts reliable sessions: the host's view of a reliable endpoint.
pub(crate) struct ReliableChannelListener {
    pub(super) address: String,
    /// Each `accept` asks the hub for the oldest pending session; a session is handed over
    /// only then, so MaxPendingChannels counts exactly the sessions the host has not taken.
    pub(super) requests: mpsc::Sender<oneshot::Sender<DuplexChannel>>,
}

impl std::fmt::Debug for ReliableChannelListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReliableChannelListener")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl ChannelListener for ReliableChannelListener {
    fn accept(&mut self) -> BoxFuture<'_, Result<DuplexChannel, TransportError>> {
        Box::pin(async move {
            let (tx, rx) = oneshot::channel();
            self.requests
                .send(tx)
                .await
                .map_err(|_| TransportError::Closed)?;
            rx.await.map_err(|_| TransportError::Closed)
        })
    }

    fn local_address(&self) -> String {
        self.address.clone()
    }

    fn queues_pending_sessions(&self) -> bool {
        true
    }
}

impl Hub {
    /// Aborts the sessions the host never accepted: the host is closing and will not take
    /// them, and nothing else would end them before their InactivityTimeout.
    pub(super) fn abort_pending(&mut self) {
        let pending: Vec<SessionKey> = self
            .sessions
            .iter()
            .filter(|(_, slot)| slot.channel.is_some())
            .map(|(key, _)| *key)
            .collect();
        for key in pending {
            if let Some(slot) = self.sessions.get_mut(&key) {
                slot.channel = None;
            }
            if let Some(session) = self.listener.session_mut(key) {
                debug!("aborting a reliable session the host never accepted");
                session.abort();
            }
        }
        self.drain_actions();
        self.sweep();
    }

    /// Gives pending sessions to waiting `accept` calls, oldest first.
    pub(super) fn hand_over(&mut self) {
        self.acceptors.retain(|a| !a.is_closed());
        while !self.acceptors.is_empty() && self.listener.pending_count() > 0 {
            let Some(channel) = self.take_pending() else {
                break;
            };
            if let Some(acceptor) = self.acceptors.pop_front() {
                if let Err(channel) = acceptor.send(channel) {
                    // The caller gave up between the check and now: nobody runs the session.
                    drop(channel);
                }
            }
        }
    }

    fn take_pending(&mut self) -> Option<DuplexChannel> {
        while let Some(key) = self.listener.accept() {
            if let Some(channel) = self.sessions.get_mut(&key).and_then(|s| s.channel.take()) {
                return Some(channel);
            }
        }
        None
    }
}
