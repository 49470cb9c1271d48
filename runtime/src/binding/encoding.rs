//! The encoding element of a binding: WCF's `TextMessageEncodingBindingElement` or
//! `BinaryMessageEncodingBindingElement`.

use crate::encoding::binary::BinaryMessageEncoder;
use crate::encoding::{MessageEncoder, TextMessageEncoder};
use crate::message::ReaderQuotas;
use std::sync::Arc;

/// The message encoding of a [`CustomBinding`](super::CustomBinding).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MessageEncoding {
    /// Text XML (UTF-8).
    Text(TextMessageEncoder),
    /// .NET Binary XML: msbinsession1 over net.tcp and in process (a string table per
    /// connection), msbin1 where messages stand alone.
    Binary(BinaryMessageEncoder),
}

impl MessageEncoding {
    /// The encoder as the layers above share it.
    pub fn encoder(&self) -> Arc<dyn MessageEncoder> {
        match self {
            MessageEncoding::Text(text) => Arc::new(text.clone()),
            MessageEncoding::Binary(binary) => Arc::new(binary.clone()),
        }
    }

    /// The same encoding with other reader quotas.
    pub fn with_reader_quotas(self, quotas: ReaderQuotas) -> Self {
        match self {
            MessageEncoding::Text(text) => MessageEncoding::Text(text.with_reader_quotas(quotas)),
            MessageEncoding::Binary(binary) => {
                MessageEncoding::Binary(binary.with_reader_quotas(quotas))
            }
        }
    }
}

impl MessageEncoding {
    /// The same encoding, made ready for messages of up to `bytes`: the binary encoder's
    /// expansion bound ([`BinaryMessageEncoder::with_max_expanded_size`]) becomes 64 times
    /// that (its ratio at WCF's default 65,536-byte limit: 4 MiB), never less than its default,
    /// so that raising `MaxReceivedMessageSize` is not undone by a second, fixed cap. The text
    /// encoder has no such bound.
    pub fn for_max_received_message_size(self, bytes: usize) -> Self {
        match self {
            MessageEncoding::Binary(binary) => MessageEncoding::Binary(
                binary.with_max_expanded_size(
                    bytes
                        .saturating_mul(64)
                        .max(crate::encoding::binary::DEFAULT_MAX_TEXT_BYTES),
                ),
            ),
            text => text,
        }
    }
}

impl From<TextMessageEncoder> for MessageEncoding {
    fn from(text: TextMessageEncoder) -> Self {
        MessageEncoding::Text(text)
    }
}

impl From<BinaryMessageEncoder> for MessageEncoding {
    fn from(binary: BinaryMessageEncoder) -> Self {
        MessageEncoding::Binary(binary)
    }
}
