//! Settings of the net.tcp transport, with WCF's defaults.

use super::framing::KnownEncoding;
use std::time::Duration;

/// WCF's `MaxReceivedMessageSize` (and `MaxBufferSize`, equal to it in buffered mode).
pub const DEFAULT_MAX_RECEIVED_MESSAGE_SIZE: usize = 65_536;
/// WCF's `ChannelInitializationTimeout` (`ConnectionOrientedTransportDefaults`).
pub const DEFAULT_PREAMBLE_TIMEOUT: Duration = Duration::from_secs(30);
/// WCF's `CloseTimeout` (`ServiceDefaults`).
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(60);

/// Settings of a net.tcp client or listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpOptions {
    /// Largest message accepted, in bytes. A larger SizedEnvelope fails the receive with
    /// `FrameTooLarge` before any of it is buffered; a listener also sends the peer a
    /// `MaxMessageSizeExceededFault`. Default 65,536 (WCF's `MaxReceivedMessageSize`, which
    /// equals `MaxBufferSize` in buffered mode).
    pub max_received_message_size: usize,
    /// The message encoding announced in (client) or required of (listener) the preamble.
    /// Default [`KnownEncoding::Soap12Utf8`] (`0x03`, SOAP 1.2 UTF-8 text); bindings set it
    /// from their encoder (`NetTcpBinding`: [`KnownEncoding::BinarySession`], `0x08`). The
    /// transport only announces and checks it: frames are whatever the layer above encodes.
    pub encoding: KnownEncoding,
    /// Listener: how long a new connection may take to deliver a valid preamble before it is
    /// dropped without a fault; it also bounds the drain after a preamble fault. Client: how
    /// long connecting plus the preamble exchange may take (WCF's `OpenTimeout` plays that
    /// role there). Default 30 s (WCF's `ChannelInitializationTimeout`).
    pub preamble_timeout: Duration,
    /// How long sending End may take (a peer that stops reading cannot hang a close), and how
    /// long a listener drains input after a fault during the session. Default 60 s (WCF's
    /// `CloseTimeout`).
    pub close_timeout: Duration,
}

impl Default for TcpOptions {
    fn default() -> Self {
        TcpOptions {
            max_received_message_size: DEFAULT_MAX_RECEIVED_MESSAGE_SIZE,
            encoding: KnownEncoding::Soap12Utf8,
            preamble_timeout: DEFAULT_PREAMBLE_TIMEOUT,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
        }
    }
}
