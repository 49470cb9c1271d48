//! The WS-RM headers of an outgoing message kept as values until an encoder writes them.
//!
//! Every sequence message carries a `Sequence` header and most carry a piggy-backed
//! `SequenceAcknowledgement`. Built as text fragments ([`RawHeader`]s), each header was
//! formatted, allocated piece by piece, and then, on a binary connection, parsed back into
//! events for the binary writer. Kept typed, the text encoder still writes the very text the
//! fragment writers produce ([`TypedHeaders::write_text`], [`TypedHeaders::to_raw`]), while
//! the binary encoder writes the records straight from the values
//! (`encoding::binary::direct_write`): the records the fragment would have become, so the
//! bytes on the wire do not change (the tests compare the two routes byte for byte).
//!
//! The binary reader also reads these headers into values (`encoding::binary::direct_read`);
//! code that knows only raw headers gets them back as [`RawHeader`]s
//! ([`Headers::untype_wsrm`](crate::message::Headers::untype_wsrm)).

use super::write::{
    ack_requested_header, acknowledgement_header, sequence_header, write_ack_requested,
    write_acknowledgement, write_sequence,
};
use super::WireError;
use crate::message::{EnvelopeVersion, RawHeader};
use crate::reliable::proto::{
    AckRequested, ReliableMessagingVersion, SequenceAcknowledgement, SequenceHeader,
};

/// The WS-RM headers of one outgoing message, written after every other header in this
/// order, as [`write_message`](super::write_message) appends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TypedHeaders {
    pub(crate) version: ReliableMessagingVersion,
    pub(crate) sequence: Option<SequenceHeader>,
    pub(crate) acknowledgement: Option<SequenceAcknowledgement>,
    pub(crate) ack_requested: Option<AckRequested>,
}

impl TypedHeaders {
    /// Headers for `version`, refusing what the version cannot say (the checks of the
    /// fragment writers, made here so that writing cannot fail later).
    pub(crate) fn new(
        version: ReliableMessagingVersion,
        sequence: Option<SequenceHeader>,
        acknowledgement: Option<SequenceAcknowledgement>,
        ack_requested: Option<AckRequested>,
    ) -> Result<Self, WireError> {
        if sequence.as_ref().is_some_and(|s| s.last_message) && version.is_11() {
            return Err(WireError::Unsupported {
                what: "LastMessage",
                version,
            });
        }
        if acknowledgement.as_ref().is_some_and(|a| a.is_final) && !version.is_11() {
            return Err(WireError::Unsupported {
                what: "Final",
                version,
            });
        }
        Ok(TypedHeaders {
            version,
            sequence,
            acknowledgement,
            ack_requested,
        })
    }

    /// The headers as the fragment writers write them, for the text encoder.
    pub(crate) fn to_raw(&self, envelope: EnvelopeVersion) -> Result<Vec<RawHeader>, WireError> {
        let mut raw = Vec::with_capacity(3);
        if let Some(sequence) = &self.sequence {
            raw.push(sequence_header(self.version, envelope, sequence)?);
        }
        if let Some(ack) = &self.acknowledgement {
            raw.push(acknowledgement_header(self.version, envelope, ack)?);
        }
        if let Some(request) = &self.ack_requested {
            raw.push(ack_requested_header(self.version, envelope, request));
        }
        Ok(raw)
    }

    /// Appends the text of [`to_raw`](Self::to_raw)'s headers to `out`, where the envelope
    /// has declared `s` (the one prefix they inherit), as the envelope writer would write
    /// those fragments.
    pub(crate) fn write_text(&self, out: &mut Vec<u8>) {
        if let Some(sequence) = &self.sequence {
            write_sequence(out, self.version, sequence);
        }
        if let Some(ack) = &self.acknowledgement {
            write_acknowledgement(out, self.version, ack);
        }
        if let Some(request) = &self.ack_requested {
            write_ack_requested(out, self.version, request);
        }
    }

    /// About how many bytes of text the headers take.
    pub(crate) fn size_hint(&self) -> usize {
        let id = |s: &str| s.len() + 120;
        self.sequence.as_ref().map_or(0, |s| id(&s.identifier))
            + self
                .acknowledgement
                .as_ref()
                .map_or(0, |a| id(&a.identifier) + 60 * a.ranges.len().max(1))
            + self.ack_requested.as_ref().map_or(0, |r| id(&r.identifier))
    }
}
