//! The WS-RM headers of an outgoing message kept as values until an encoder writes them.
//!
//! Every sequence message carries a `Sequence` header and most carry a piggy-backed
//! `SequenceAcknowledgement`. Built as text fragments ([`RawHeader`]s), each header was
//! formatted, allocated piece by piece, and then, on a binary connection, parsed back into
//! events for the binary writer. Kept typed, the text encoder still writes the very text the
//! fragment writers produce ([`TypedHeaders::to_raw`] is those writers), while the binary
//! encoder takes the events straight from the values ([`TypedHeaders::events`]): the same
//! events the fragment would have been scanned into, so the bytes on the wire do not change
//! (the tests compare the two routes byte for byte).
//!
//! Only outgoing messages carry these: what arrives is read from [`RawHeader`]s as before.

use super::write::{
    ack_requested_header, acknowledgement_header, sequence_header, write_ack_requested,
    write_acknowledgement, write_sequence,
};
use super::{WireError, NETRM_NAMESPACE};
use crate::encoding::binary::events::{Attribute, XmlEvent};
use crate::message::{EnvelopeVersion, RawHeader};
use crate::reliable::proto::{
    AckRange, AckRequested, ReliableMessagingVersion, SequenceAcknowledgement, SequenceHeader,
};
use std::borrow::Cow;

/// WCF's prefix for the WS-RM namespace, as the fragment writers use it.
const RM: &str = "r";

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

    /// The XML events of the headers, exactly those the text form reads back as, in order.
    /// `s` is the envelope's prefix, in scope where headers are written.
    pub(crate) fn events<E>(
        &self,
        mut emit: impl FnMut(XmlEvent<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let namespace = self.version.namespace();
        let mut number = itoa::Buffer::new();
        if let Some(sequence) = &self.sequence {
            emit(start(
                "Sequence",
                vec![
                    Attribute::xmlns(RM, namespace),
                    Attribute::new("s", "mustUnderstand", "1"),
                ],
            ))?;
            text_element(&mut emit, "Identifier", &sequence.identifier)?;
            text_element(
                &mut emit,
                "MessageNumber",
                number.format(sequence.message_number),
            )?;
            if sequence.last_message {
                emit(start("LastMessage", Vec::new()))?;
                emit(XmlEvent::EndElement)?;
            }
            emit(XmlEvent::EndElement)?;
        }
        if let Some(ack) = &self.acknowledgement {
            emit(start(
                "SequenceAcknowledgement",
                vec![Attribute::xmlns(RM, namespace)],
            ))?;
            text_element(&mut emit, "Identifier", &ack.identifier)?;
            if !ack.ranges.is_empty() {
                for r in &ack.ranges {
                    range_element(&mut emit, *r)?;
                }
            } else if !ack.nacks.is_empty() {
                for n in &ack.nacks {
                    text_element(&mut emit, "Nack", itoa::Buffer::new().format(*n))?;
                }
            } else if self.version.is_11() {
                emit(start("None", Vec::new()))?;
                emit(XmlEvent::EndElement)?;
            } else {
                range_element(&mut emit, AckRange { lower: 0, upper: 0 })?;
            }
            if ack.is_final {
                emit(start("Final", Vec::new()))?;
                emit(XmlEvent::EndElement)?;
            }
            if let Some(remaining) = ack.buffer_remaining {
                emit(XmlEvent::StartElement {
                    prefix: Cow::Borrowed("netrm"),
                    local: Cow::Borrowed("BufferRemaining"),
                    attributes: vec![Attribute::xmlns("netrm", NETRM_NAMESPACE)],
                })?;
                emit(XmlEvent::Text(Cow::Borrowed(
                    itoa::Buffer::new().format(remaining),
                )))?;
                emit(XmlEvent::EndElement)?;
            }
            emit(XmlEvent::EndElement)?;
        }
        if let Some(request) = &self.ack_requested {
            emit(start("AckRequested", vec![Attribute::xmlns(RM, namespace)]))?;
            text_element(&mut emit, "Identifier", &request.identifier)?;
            emit(XmlEvent::EndElement)?;
        }
        Ok(())
    }
}

fn start<'a>(local: &'a str, attributes: Vec<Attribute<'a>>) -> XmlEvent<'a> {
    XmlEvent::StartElement {
        prefix: Cow::Borrowed(RM),
        local: Cow::Borrowed(local),
        attributes,
    }
}

/// `<r:AcknowledgementRange Upper=".." Lower=".."/>`, the attributes in WCF's order.
fn range_element<E>(
    emit: &mut impl FnMut(XmlEvent<'_>) -> Result<(), E>,
    range: AckRange,
) -> Result<(), E> {
    let (mut upper, mut lower) = (itoa::Buffer::new(), itoa::Buffer::new());
    emit(start(
        "AcknowledgementRange",
        vec![
            Attribute::new("", "Upper", upper.format(range.upper)),
            Attribute::new("", "Lower", lower.format(range.lower)),
        ],
    ))?;
    emit(XmlEvent::EndElement)
}

/// `<r:{local}>text</r:{local}>`; text XML has no empty text node, so an empty value is an
/// element with no content, as the text form reads back.
fn text_element<E>(
    emit: &mut impl FnMut(XmlEvent<'_>) -> Result<(), E>,
    local: &str,
    text: &str,
) -> Result<(), E> {
    emit(start(local, Vec::new()))?;
    if !text.is_empty() {
        emit(XmlEvent::Text(Cow::Borrowed(text)))?;
    }
    emit(XmlEvent::EndElement)
}
