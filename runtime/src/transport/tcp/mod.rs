//! net.tcp: WCF's TCP transport, .NET Message Framing ([MC-NMF]) over a TCP connection.
//!
//! The framing is hand-written because no crate implements MC-NMF. It follows the records,
//! orders, limits and faults of the specification and of WCF's own reader (see
//! `shared/reference/net-tcp.md`), and is checked against captures of real Mono sessions.
//!
//! Two modes are served, one per endpoint: duplex (`0x02`, WCF's buffered transfer, a
//! transport session; [`connect`], [`listen`]) and singleton (`0x01`, streamed transfer, one
//! request and reply per connection, each an UnsizedEnvelope read and written chunk by chunk;
//! [`connect_streamed`], [`listen_streamed`]). A client of the other mode gets
//! `UnsupportedMode`. One known encoding per endpoint. The one stream upgrade is TLS
//! (`application/ssl-tls`, [`upgrade`]): an endpoint with transport security requires it, and
//! any other upgrade request (or one to an endpoint without security) gets the
//! `UpgradeInvalid` fault.
//!
//! * [`framing`], [`mb31`], [`fault`]: the wire format, sans-IO.
//! * [`connect`]: the client; [`listen`]: the listener.

mod address;
mod admission;
mod client;
mod envelope_stream;
pub mod fault;
pub mod framing;
mod io;
pub mod mb31;
mod message_phase;
mod options;
pub(crate) mod preamble;
mod server;
mod upgrade;

#[cfg(test)]
mod tests;

pub use client::{connect, connect_streamed};
pub use envelope_stream::{UnsizedReader, UnsizedWriter};
pub use fault::FramingFault;
pub use framing::KnownEncoding;
pub use options::{
    default_max_pending_accepts, default_max_pending_connections, TcpOptions,
    DEFAULT_PREAMBLE_TIMEOUT,
};
pub(crate) use upgrade::StreamUpgrade;

/// The host of a net.tcp address (without IPv6 brackets), for the name TLS checks.
pub(crate) fn host_of(address: &str) -> Option<String> {
    address::parse(address).ok().map(|target| target.host)
}
#[cfg(test)]
pub use server::TcpListener;
pub use server::{listen, listen_streamed, StreamedExchange, StreamedListener};
