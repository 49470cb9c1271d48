//! Wire internals for the benchmarks (`bench/`) and the fuzz targets (`fuzz/`). Not public
//! API: hidden from the documentation, and free to change with the code behind it.

pub use crate::message::envelope::{read_envelope, write_envelope};
pub use crate::reliable::proto::ranges::RangeSet;
pub use crate::transport::tcp::framing::{self, Limits, Record};

/// The fuzz targets' entry points (with the `fuzzing` feature).
#[cfg(any(test, feature = "fuzzing"))]
pub use crate::__fuzz as fuzz;

/// The message channels a binding stacks, for tests that speak raw envelopes through them.
pub use crate::channel::{ClientChannelShape, DuplexChannel, MessageSink, MessageSource};

/// WS-RM messages as values and their XML form, for tests that check what a reliable
/// endpoint sends.
pub mod wsrm {
    pub use crate::reliable::proto::{
        Accept, AckRange, AckRequested, CloseSequence, CreateSequence, CreateSequenceResponse,
        IncompleteSequenceBehavior, Offer, ProtocolBody, ProtocolMessage, SequenceAcknowledgement,
        SequenceHeader, TerminateSequence,
    };
    pub use crate::reliable::wire::{
        read_message, sequence_fault_header, write_message, LAST_MESSAGE_ACTION_10,
    };
}
