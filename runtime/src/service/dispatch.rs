//! The seam between the service runtime and generated dispatchers.

use super::instance::InstanceCell;
use crate::contract::Contract;
use crate::message::{Message, MessageFault, ReaderQuotas, XmlFragment};
use futures::future::BoxFuture;

/// What an operation produced.
#[derive(Debug)]
pub enum Reply {
    /// Nothing to send (one-way operations).
    None,
    /// A reply body with its action.
    Body {
        /// The reply action.
        action: &'static str,
        /// The `{Op}Response` element.
        body: XmlFragment,
    },
    /// A reply whose `{Op}Result` is a stream (streamed endpoints only).
    Stream {
        /// The reply action.
        action: &'static str,
        /// The `{Op}Response` element with the result part empty.
        body: XmlFragment,
        /// The result's content.
        stream: crate::ByteStream,
    },
    /// A fault with its action.
    Fault {
        /// The fault action.
        action: String,
        /// The fault.
        fault: MessageFault,
    },
}

/// Implemented by `#[service_contract]` for its contract marker and every type implementing
/// the contract's trait: turns request messages into calls on an instance and results into
/// replies.
pub trait Dispatch<S: Send + 'static>: Contract {
    /// How instances are held: shared if any operation takes `&self`.
    type Cell: InstanceCell<S>;
    /// A decoded request: which operation, with its arguments.
    type Call: Send + 'static;

    /// Reads the arguments of operation `index` from `request`'s body.
    fn decode(
        index: usize,
        request: &Message,
        quotas: &ReaderQuotas,
    ) -> Result<Self::Call, Box<MessageFault>>;

    /// Whether the contract travels by streamed transfer (it has stream operations): every
    /// call is then an exchange of its own, with no session, as WCF's `TransferMode.Streamed`.
    const STREAMED: bool = false;

    /// Whether operation `index` takes a stream (its only parameter is a `ByteStream`).
    fn takes_stream(index: usize) -> bool {
        let _ = index;
        false
    }

    /// Reads the call of operation `index` from a streamed request: `request` is its head
    /// (the stream part empty), `stream` the part's content. The default serves contracts
    /// without stream parameters.
    fn decode_streamed(
        index: usize,
        request: &Message,
        stream: crate::ByteStream,
        quotas: &ReaderQuotas,
    ) -> Result<Self::Call, Box<MessageFault>> {
        drop(stream);
        Self::decode(index, request, quotas)
    }

    /// Runs the call on the instance behind `guard`.
    fn invoke(
        call: Self::Call,
        guard: <Self::Cell as InstanceCell<S>>::Guard,
    ) -> BoxFuture<'static, Reply>;
}
