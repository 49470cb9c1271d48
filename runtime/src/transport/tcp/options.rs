//! Settings of the net.tcp transport, with WCF's defaults.

use super::framing::KnownEncoding;
use super::upgrade::StreamUpgrade;
use std::time::Duration;

/// WCF's `MaxReceivedMessageSize` (and `MaxBufferSize`, equal to it in buffered mode).
pub const DEFAULT_MAX_RECEIVED_MESSAGE_SIZE: usize = 65_536;
/// WCF's `ChannelInitializationTimeout` (`ConnectionOrientedTransportDefaults`).
pub const DEFAULT_PREAMBLE_TIMEOUT: Duration = Duration::from_secs(30);
/// WCF's `CloseTimeout` (`ServiceDefaults`).
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(60);

/// WCF's default `MaxPendingConnections` on .NET 4.5 and later: 12 per processor
/// (`ConnectionOrientedTransportDefaults.GetMaxPendingConnections`; 10 before 4.5).
pub fn default_max_pending_connections() -> usize {
    12 * processor_count()
}

/// WCF's default `MaxPendingAccepts` on .NET 4.5 and later: 2 per processor
/// (`ConnectionOrientedTransportDefaults.GetMaxPendingAccepts`; 1 before 4.5).
pub fn default_max_pending_accepts() -> usize {
    2 * processor_count()
}

fn processor_count() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Settings of a net.tcp client or listener.
#[derive(Debug, Clone)]
pub struct TcpOptions {
    /// Largest message accepted, in bytes. A larger SizedEnvelope fails the receive with
    /// `FrameTooLarge` before any of it is buffered; a listener also sends the peer a
    /// `MaxMessageSizeExceededFault`. Default 65,536 (WCF's `MaxReceivedMessageSize`, which
    /// equals `MaxBufferSize` in buffered mode). Any value up to 2^31 − 1 (the largest size a
    /// SizedEnvelope can declare) works; there is no other cap.
    pub max_received_message_size: usize,
    /// The message encoding announced in (client) or required of (listener) the preamble.
    /// Default [`KnownEncoding::Soap12Utf8`] (`0x03`, SOAP 1.2 UTF-8 text); bindings set it
    /// from their encoder (`NetTcpBinding`: [`KnownEncoding::BinarySession`], `0x08`). The
    /// transport only announces and checks it: frames are whatever the layer above encodes.
    pub encoding: KnownEncoding,
    /// Listener: how long a new connection may take to deliver a valid preamble before it is
    /// closed without a fault (WCF's `ChannelInitializationTimeout`); it also bounds the drain
    /// after a preamble fault. Client: how long connecting plus the preamble exchange may take
    /// (WCF's `OpenTimeout` plays that role there). Default 30 s.
    pub preamble_timeout: Duration,
    /// How long sending End may take (a peer that stops reading cannot hang a close), and how
    /// long a listener drains input after a fault during the session. Default 60 s (WCF's
    /// `CloseTimeout`).
    pub close_timeout: Duration,
    /// Listener: most connections accepted but not yet taken by the host, that is still in
    /// their preamble or handshaken and queued (WCF's `MaxPendingConnections`). When they are
    /// all taken, a new connection takes the place of the oldest one that has not sent a
    /// framing record yet (else the oldest still in its preamble), which is closed; only when
    /// every one has finished its preamble does the listener stop accepting until the host
    /// takes one. Default [`default_max_pending_connections`], 12 per processor.
    pub max_pending_connections: usize,
    /// Listener: how many `accept` calls are outstanding on the socket at once (WCF's
    /// `MaxPendingAccepts`). Default [`default_max_pending_accepts`], 2 per processor.
    pub max_pending_accepts: usize,
    /// Transport security: the stream upgrade a client asks for, or a listener requires.
    pub(crate) upgrade: Option<StreamUpgrade>,
}

impl Default for TcpOptions {
    fn default() -> Self {
        TcpOptions {
            max_received_message_size: DEFAULT_MAX_RECEIVED_MESSAGE_SIZE,
            encoding: KnownEncoding::Soap12Utf8,
            preamble_timeout: DEFAULT_PREAMBLE_TIMEOUT,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            max_pending_connections: default_max_pending_connections(),
            max_pending_accepts: default_max_pending_accepts(),
            upgrade: None,
        }
    }
}
