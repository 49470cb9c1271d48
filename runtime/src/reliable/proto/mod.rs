//! The sans-IO core of WS-ReliableMessaging, like quinn-proto and rustls (ARCHITECTURE.md,
//! "Where the protocol rules live").
//!
//! * [`ranges`]: acknowledgement range sets and ack validation.
//! * [`settings`]: [`ReliableSessionSettings`], WCF's names, defaults and ranges.
//! * [`rtt`]: WCF's RTT estimation and retransmission timeout.
//! * [`sender`] / [`receiver`]: one sequence's source and destination.
//! * [`session`]: one reliable session (handshake, keep-alive, close, faults).
//! * [`listener`]: the service side: admission (MaxPendingChannels) and routing.
//! * [`messages`] / [`fault`]: protocol messages and faults as Rust values.
//!
//! Time is a [`Timestamp`] supplied by the caller; nothing here reads a clock, sleeps,
//! spawns or does I/O. Every input from the peer is validated and answered with a WS-RM
//! fault or dropped; nothing panics on it. Every buffer is bounded by a setting.

pub mod fault;
pub mod listener;
pub mod messages;
pub mod ranges;
pub mod receiver;
pub mod request_reply;
pub mod rtt;
pub mod sender;
pub mod session;
pub mod settings;
mod time;

#[cfg(test)]
mod sim;
#[cfg(test)]
mod test_support;

pub use fault::{SoapFaultCode, WsrmFault, WsrmFaultCode};
pub use listener::{ChannelShape, ListenerConfig, ReliableListener, Routing, SessionKey};
pub use messages::{
    Accept, AckRequested, CloseSequence, CreateSequence, CreateSequenceResponse,
    IncompleteSequenceBehavior, Offer, ProtocolBody, ProtocolMessage, SequenceAcknowledgement,
    SequenceHeader, TerminateSequence,
};
pub use ranges::AckRange;
pub use session::{
    Action, ReliableSession, SendBlocked, SessionConfig, SessionError, SessionTimeouts,
};
pub use settings::{ReliableMessagingVersion, ReliableSessionSettings, SettingsError};
pub use time::Timestamp;
