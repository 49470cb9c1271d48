//! A zero-latency harness for session and listener unit tests: one client session, one
//! listener, a manual clock, a log of every message sent and an optional drop filter.

use super::listener::{ChannelShape, ListenerConfig, ReliableListener, Routing, SessionKey};
use super::messages::ProtocolMessage;
use super::session::{Action, ReliableSession, SessionConfig};
use super::settings::ReliableSessionSettings;
use super::time::{earliest, Timestamp};
use std::collections::VecDeque;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    ToServer,
    ToClient,
}

pub(crate) type DropFilter = Box<dyn FnMut(Dir, &ProtocolMessage<u32>) -> bool>;

pub(crate) struct Harness {
    pub now: Timestamp,
    pub client: ReliableSession<u32>,
    pub listener: ReliableListener<u32>,
    /// Every message sent, in order, dropped or not.
    pub log: Vec<(Timestamp, Dir, ProtocolMessage<u32>)>,
    pub client_events: Vec<Action<u32>>,
    pub server_events: Vec<(SessionKey, Action<u32>)>,
    pub drop: DropFilter,
    /// Dequeue deliveries at once (otherwise the test calls `message_dequeued`).
    pub auto_dequeue: bool,
}

pub(crate) fn at(ms: u64) -> Timestamp {
    Timestamp::from_epoch(Duration::from_millis(ms))
}

impl Harness {
    pub fn new(settings: ReliableSessionSettings, duplex: bool) -> Self {
        let config = SessionConfig {
            settings,
            ..SessionConfig::default()
        };
        Harness::with_config(config, duplex)
    }

    pub fn with_config(config: SessionConfig, duplex: bool) -> Self {
        let shape = if duplex {
            ChannelShape::Duplex
        } else {
            ChannelShape::OneWay
        };
        let mut listener_config = ListenerConfig::new(shape);
        listener_config.session = config.clone();
        listener_config.address = "test://service".into();
        let mut n = 0;
        let listener = ReliableListener::new(
            listener_config,
            Box::new(move || {
                n += 1;
                format!("urn:test:server:{n}")
            }),
        );
        let offer = duplex.then(|| "urn:test:offer".to_owned());
        Harness {
            now: Timestamp::ZERO,
            client: ReliableSession::initiator(config, offer),
            listener,
            log: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            drop: Box::new(|_, _| false),
            auto_dequeue: true,
        }
    }

    /// Delivers everything (zero latency) until both sides are quiet.
    pub fn pump(&mut self) {
        let now = self.now;
        loop {
            let mut to_server = VecDeque::new();
            let mut to_client = VecDeque::new();
            while let Some(action) = self.client.poll_action() {
                match action {
                    Action::Send(m) => {
                        self.log.push((now, Dir::ToServer, m.clone()));
                        if !(self.drop)(Dir::ToServer, &m) {
                            to_server.push_back(m);
                        }
                    }
                    other => {
                        if matches!(other, Action::Deliver(_)) && self.auto_dequeue {
                            self.client.message_dequeued(now, 1);
                        }
                        self.client_events.push(other);
                    }
                }
            }
            while let Some((key, action)) = self.listener.poll_action() {
                match action {
                    Action::Send(m) => {
                        self.log.push((now, Dir::ToClient, m.clone()));
                        if !(self.drop)(Dir::ToClient, &m) {
                            to_client.push_back(m);
                        }
                    }
                    other => {
                        if matches!(other, Action::Deliver(_)) && self.auto_dequeue {
                            if let Some(s) = self.listener.session_mut(key) {
                                s.message_dequeued(now, 1);
                            }
                        }
                        self.server_events.push((key, other));
                    }
                }
            }
            if to_server.is_empty() && to_client.is_empty() {
                break;
            }
            for m in to_server {
                if let Routing::Reply(reply) = self.listener.handle_input(now, m) {
                    self.log.push((now, Dir::ToClient, (*reply).clone()));
                    if !(self.drop)(Dir::ToClient, &reply) {
                        self.client.handle_input(now, *reply);
                    }
                }
            }
            for m in to_client {
                self.client.handle_input(now, m);
            }
        }
    }

    /// Runs timers and deliveries up to `t`.
    pub fn advance_to(&mut self, t: Timestamp) {
        self.pump();
        loop {
            let next = earliest(self.client.poll_timeout(), self.listener.poll_timeout());
            match next {
                Some(next) if next <= t => {
                    self.now = self.now.max(next);
                    self.client.handle_timeout(self.now);
                    self.listener.handle_timeout(self.now);
                    self.pump();
                }
                _ => break,
            }
        }
        self.now = self.now.max(t);
        self.pump();
    }

    pub fn advance(&mut self, d: Duration) {
        self.advance_to(self.now + d);
    }

    /// Opens the client and accepts the service session.
    pub fn open(&mut self) -> SessionKey {
        self.client.open(self.now);
        self.pump();
        while self.listener.accept().is_some() {}
        self.server_key().expect("a service session")
    }

    pub fn server_key(&self) -> Option<SessionKey> {
        self.client
            .output_identifier()
            .and_then(|id| self.listener.find(id))
    }

    pub fn server(&mut self) -> &mut ReliableSession<u32> {
        let key = self.server_key().expect("a service session");
        self.listener.session_mut(key).expect("live")
    }

    pub fn close_server(&mut self) {
        let now = self.now;
        self.server().close(now);
    }

    /// Kinds of messages sent in one direction since log index `from`.
    pub fn kinds(&self, dir: Dir, from: usize) -> Vec<&'static str> {
        self.log[from..]
            .iter()
            .filter(|(_, d, _)| *d == dir)
            .map(|(_, _, m)| m.kind())
            .collect()
    }

    pub fn delivered_to_server(&self) -> Vec<u32> {
        self.server_events
            .iter()
            .filter_map(|(_, a)| match a {
                Action::Deliver(p) => Some(*p),
                _ => None,
            })
            .collect()
    }

    pub fn delivered_to_client(&self) -> Vec<u32> {
        self.client_events
            .iter()
            .filter_map(|a| match a {
                Action::Deliver(p) => Some(*p),
                _ => None,
            })
            .collect()
    }

    pub fn server_has(&self, pred: impl Fn(&Action<u32>) -> bool) -> bool {
        self.server_events.iter().any(|(_, a)| pred(a))
    }
}
