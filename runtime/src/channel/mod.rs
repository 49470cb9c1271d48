//! Communication objects: WCF's `CommunicationState` and the shared state holder every
//! host, listener and client channel uses, and the message-level channels bindings stack.

pub(crate) mod composite_duplex;
mod message;
mod request;

pub use message::{
    ChannelListener, DuplexChannel, EncodedListener, MessageSink, MessageSource, ReceiveError,
};
pub(crate) use request::EncodedRequestChannel;
pub use request::{
    ClientChannelShape, RequestChannel, RequestChannelListener, RequestMessageHandler,
    ServerChannelShape,
};

use std::sync::atomic::{AtomicU8, Ordering};

/// The lifecycle state of a host or channel, as WCF's `CommunicationState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommunicationState {
    /// Built, not yet opened.
    Created,
    /// Opening.
    Opening,
    /// Open: usable.
    Opened,
    /// Closing gracefully.
    Closing,
    /// Closed (gracefully or by abort); cannot be used again.
    Closed,
    /// Failed; can only be aborted (or closed, which aborts and reports the fault).
    Faulted,
}

impl CommunicationState {
    fn from_u8(value: u8) -> Self {
        match value {
            0 => CommunicationState::Created,
            1 => CommunicationState::Opening,
            2 => CommunicationState::Opened,
            3 => CommunicationState::Closing,
            4 => CommunicationState::Closed,
            _ => CommunicationState::Faulted,
        }
    }
}

/// A `CommunicationState` shared between a handle and its background tasks.
#[derive(Debug)]
pub(crate) struct StateCell(AtomicU8);

impl StateCell {
    pub(crate) fn new(state: CommunicationState) -> Self {
        StateCell(AtomicU8::new(state as u8))
    }

    pub(crate) fn get(&self) -> CommunicationState {
        CommunicationState::from_u8(self.0.load(Ordering::Acquire))
    }

    pub(crate) fn set(&self, state: CommunicationState) {
        self.0.store(state as u8, Ordering::Release);
    }

    /// Moves from `from` to `to`; false (and no change) when the state was not `from`.
    pub(crate) fn transition(&self, from: CommunicationState, to: CommunicationState) -> bool {
        self.0
            .compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// WCF's `Fault()`: ignored once closing, closed or already faulted.
    pub(crate) fn fault(&self) {
        for from in [
            CommunicationState::Opened,
            CommunicationState::Opening,
            CommunicationState::Created,
        ] {
            if self.transition(from, CommunicationState::Faulted) {
                return;
            }
        }
    }
}
