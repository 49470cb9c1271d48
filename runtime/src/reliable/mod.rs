//! WS-ReliableMessaging 1.0 (February 2005) and 1.1 (OASIS 2007) with WCF's reliable-session
//! behaviour.
//!
//! `proto` (crate-private) is the sans-IO protocol core: sequences, windows, acknowledgement ranges,
//! retransmission, keep-alive and inactivity timers as state machines fed `(now, input)` and
//! returning actions. It has no clock, no sockets and no async runtime, so the same code runs
//! under the async binding layer and under a deterministic simulated network in tests.
//! The XML form of WS-RM messages and the async driver live outside `proto`.

mod binding;
pub(crate) mod driver;
pub(crate) mod proto;
pub(crate) mod wire;

pub use binding::Reliable;
pub use proto::{
    ReliableMessagingVersion, ReliableSessionSettings, SessionError, SettingsError, SoapFaultCode,
    WsrmFault, WsrmFaultCode,
};
