//! net.tcp: WCF's TCP transport, .NET Message Framing ([MC-NMF]) over a TCP connection.
//!
//! The framing is hand-written because no crate implements MC-NMF. It follows the records,
//! orders, limits and faults of the specification and of WCF's own reader (see
//! `shared/reference/net-tcp.md`), and is checked against captures of real Mono sessions.
//!
//! Only duplex mode (`0x02`, WCF's buffered transfer, a transport session) is served, with
//! one known encoding per endpoint and no stream upgrades: an upgrade request gets the
//! `UpgradeInvalid` fault, streamed (singleton) clients get `UnsupportedMode`.
//!
//! * [`framing`], [`mb31`], [`fault`]: the wire format, sans-IO.
//! * [`connect`]: the client; [`listen`]: the listener.

mod address;
mod client;
pub mod fault;
pub mod framing;
mod io;
pub mod mb31;
mod options;
mod preamble;
mod server;
mod session;

#[cfg(test)]
mod tests;

pub use address::DEFAULT_PORT;
pub use client::connect;
pub use fault::FramingFault;
pub use framing::{KnownEncoding, Mode};
pub use options::{
    TcpOptions, DEFAULT_CLOSE_TIMEOUT, DEFAULT_MAX_RECEIVED_MESSAGE_SIZE, DEFAULT_PREAMBLE_TIMEOUT,
};
pub use server::{listen, TcpListener};
