//! Message -> binary records without writing the envelope as text first.
//!
//! The text route ([`write_envelope`](crate::message::write_envelope), then
//! [`parse_text`]) spends most of its time writing markup only to parse it again. Here the
//! envelope's own elements (Envelope, Header, the WS-Addressing headers, Body) go to the
//! [`BinaryWriter`] as events straight from the [`Message`]; only what the message model holds
//! as text XML (the body payload and headers kept verbatim) is parsed, because that is the
//! only form it has.
//!
//! Hand-written because it mirrors [`write_envelope`] event for event: for every message it
//! accepts, the events are exactly those `parse_text` would produce from the text route's
//! output, so the bytes are identical (the tests compare the two routes). Messages it does
//! not cover, faults and values whose text form would not read back verbatim, are left to
//! the text route ([`eligible`] says which).

use super::events::{Attribute, EventSink, XmlEvent};
use super::fragment_scan;
use super::{parse_text, BinaryWriter, BinaryXmlError};
use crate::message::{ns, AddressingVersion, Body, EnvelopeVersion, Headers, Message, XmlFragment};
use crate::reliable::wire::TypedHeaders;
use crate::xml::UTF8_BOM;
use std::borrow::Cow;

/// Whether [`write`] produces what the text route would for `message`: no fault body, and
/// every value it writes itself free of characters the text route escapes as references
/// (those read back through quick-xml's own reference handling, which is not worth
/// mirroring for values that never occur in practice).
pub(crate) fn eligible(message: &Message) -> bool {
    let headers = &message.headers;
    let values = [
        &headers.action,
        &headers.message_id,
        &headers.to,
        &headers.reply_to,
        &headers.relates_to,
    ];
    let fragment_ok = |f: &XmlFragment| {
        !f.xml.starts_with(UTF8_BOM)
            && f.inherited_namespaces
                .iter()
                .all(|(p, u)| plain(p) && plain(u))
    };
    values.iter().all(|v| v.as_deref().is_none_or(plain))
        && headers.other.iter().all(|h| fragment_ok(&h.xml))
        && match &message.body {
            Body::Empty => true,
            Body::Payload(payload) => fragment_ok(payload),
            Body::Fault(_) => false,
        }
}

/// About how many bytes `message` takes in binary: its text parts plus room for records.
pub(crate) fn size_hint(message: &Message) -> usize {
    let headers = &message.headers;
    let values: usize = [
        &headers.action,
        &headers.message_id,
        &headers.to,
        &headers.reply_to,
        &headers.relates_to,
    ]
    .iter()
    .map(|v| v.as_deref().map_or(0, |v| v.len() + 8))
    .sum();
    let other: usize = headers.other.iter().map(|h| h.xml.xml.len()).sum::<usize>()
        + headers.wsrm.as_ref().map_or(0, |wsrm| wsrm.size_hint());
    let body = match &message.body {
        Body::Payload(payload) => payload.xml.len(),
        Body::Empty | Body::Fault(_) => 0,
    };
    64 + values + other + body
}

/// No control characters and no byte 0xEF (which starts U+FFFE/U+FFFF): the text route writes
/// those as character references.
fn plain(s: &str) -> bool {
    // Without an early exit the loop vectorizes; these strings are short.
    !s.bytes()
        .fold(false, |bad, b| bad | (b < 0x20) | (b == 0xEF))
}

/// Static dictionary ids ([MC-NBFS]) of the envelope's own names and namespaces; the tests
/// check each against the dictionary.
pub(crate) mod ids {
    pub(crate) const MUST_UNDERSTAND: u32 = 0x00;
    pub(crate) const ENVELOPE: u32 = 0x02;
    pub(crate) const SOAP12_NS: u32 = 0x04;
    pub(crate) const WSA10_NS: u32 = 0x06;
    pub(crate) const HEADER: u32 = 0x08;
    pub(crate) const ACTION: u32 = 0x0A;
    pub(crate) const TO: u32 = 0x0C;
    pub(crate) const BODY: u32 = 0x0E;
    pub(crate) const RELATES_TO: u32 = 0x12;
    pub(crate) const MESSAGE_ID: u32 = 0x1A;
    pub(crate) const ADDRESS: u32 = 0x2A;
    pub(crate) const REPLY_TO: u32 = 0x2C;
    pub(crate) const SOAP11_NS: u32 = 0x3C2;
    // WS-ReliableMessaging (1.0's namespace and the names both versions share) and WCF's
    // flow-control extension.
    pub(crate) const IDENTIFIER: u32 = 0x1E;
    pub(crate) const RM10_NS: u32 = 0x20;
    pub(crate) const SEQUENCE_ACKNOWLEDGEMENT: u32 = 0x2E;
    pub(crate) const ACKNOWLEDGEMENT_RANGE: u32 = 0x30;
    pub(crate) const UPPER: u32 = 0x32;
    pub(crate) const LOWER: u32 = 0x34;
    pub(crate) const BUFFER_REMAINING: u32 = 0x36;
    pub(crate) const NETRM_NS: u32 = 0x38;
    pub(crate) const SEQUENCE: u32 = 0x3E;
    pub(crate) const MESSAGE_NUMBER: u32 = 0x40;
    pub(crate) const ACK_REQUESTED: u32 = 0x290;
    pub(crate) const LAST_MESSAGE: u32 = 0x2A6;
    pub(crate) const NACK: u32 = 0x2AE;
}

/// The prefix-family offsets of the envelope's two prefixes.
const S: u8 = b's' - b'a';
const A: u8 = 0;

/// Writes `message` (which must be [`eligible`]) into `writer`: the envelope's own elements
/// as the dictionary records the text route's events would become, the fragments parsed.
pub(crate) fn write(
    message: &Message,
    writer: &mut BinaryWriter<'_>,
) -> Result<(), BinaryXmlError> {
    let (env_ns, env_id) = match message.version.envelope {
        EnvelopeVersion::Soap11 => (ns::SOAP11, ids::SOAP11_NS),
        EnvelopeVersion::Soap12 => (ns::SOAP12, ids::SOAP12_NS),
    };
    let addressing = message.version.addressing == AddressingVersion::WsAddressing10;
    let scope: &[(&str, &str)] = if addressing {
        &[("s", env_ns), ("a", ns::WSA10)]
    } else {
        &[("s", env_ns)]
    };
    writer.start_static(S, ids::ENVELOPE)?;
    writer.declare_static("s", env_id)?;
    if addressing {
        writer.declare_static("a", ids::WSA10_NS)?;
    }
    write_header(message, addressing, scope, writer)?;
    writer.start_static(S, ids::BODY)?;
    // `eligible` sends faults the text way; an empty body is `<s:Body/>`.
    if let Body::Payload(payload) = &message.body {
        let (on_body, inject) = split_inherited(payload, scope, Some("s"));
        for (prefix, uri) in on_body {
            writer.declare(prefix, uri)?;
        }
        fragment(payload, &inject, writer)?;
    }
    writer.event(XmlEvent::EndElement)?;
    writer.event(XmlEvent::EndElement)
}

fn write_header(
    message: &Message,
    addressing: bool,
    scope: &[(&str, &str)],
    writer: &mut BinaryWriter<'_>,
) -> Result<(), BinaryXmlError> {
    let headers = &message.headers;
    let addressing = addressing
        && (headers.action.is_some()
            || headers.message_id.is_some()
            || headers.reply_to.is_some()
            || headers.relates_to.is_some()
            || headers.to.is_some());
    if !addressing && headers.other.is_empty() && headers.wsrm.is_none() {
        return Ok(());
    }
    writer.start_static(S, ids::HEADER)?;
    if addressing {
        write_addressing(headers, writer)?;
    }
    for header in &headers.other {
        let (_, inject) = split_inherited(&header.xml, scope, None);
        fragment(&header.xml, &inject, writer)?;
    }
    // Typed WS-RM headers rely on the envelope's `s` prefix alone, as their text form does.
    if let Some(wsrm) = &headers.wsrm {
        write_wsrm(wsrm, writer)?;
    }
    writer.event(XmlEvent::EndElement)
}

fn write_addressing(
    headers: &Headers,
    writer: &mut BinaryWriter<'_>,
) -> Result<(), BinaryXmlError> {
    text_header(writer, ids::ACTION, true, headers.action.as_deref())?;
    text_header(
        writer,
        ids::MESSAGE_ID,
        false,
        headers.message_id.as_deref(),
    )?;
    if let Some(address) = &headers.reply_to {
        writer.start_static(A, ids::REPLY_TO)?;
        text_header(writer, ids::ADDRESS, false, Some(address))?;
        writer.event(XmlEvent::EndElement)?;
    }
    text_header(
        writer,
        ids::RELATES_TO,
        false,
        headers.relates_to.as_deref(),
    )?;
    text_header(writer, ids::TO, true, headers.to.as_deref())
}

/// The prefix-family offset of WCF's WS-RM prefix.
const R: u8 = b'r' - b'a';

/// Typed WS-RM headers (`reliable::wire::typed`) as the records their text form would
/// become, event for event (the tests compare the bytes): WS-RM's names are in the static
/// dictionary, so they need no lookup and no check; 1.1's namespace and its `None` and
/// `Final` are not, and go the general way.
fn write_wsrm(wsrm: &TypedHeaders, writer: &mut BinaryWriter<'_>) -> Result<(), BinaryXmlError> {
    let v11 = wsrm.version.is_11();
    let declare = |writer: &mut BinaryWriter<'_>| {
        if v11 {
            writer.declare("r", wsrm.version.namespace())
        } else {
            writer.declare_static("r", ids::RM10_NS)
        }
    };
    let leaf = |writer: &mut BinaryWriter<'_>, id: u32, text: &str| {
        writer.start_static(R, id)?;
        writer.text_and_end(text)
    };
    let general_leaf = |writer: &mut BinaryWriter<'_>, local: &'static str| {
        writer.event(XmlEvent::StartElement {
            prefix: Cow::Borrowed("r"),
            local: Cow::Borrowed(local),
            attributes: Vec::new(),
        })?;
        writer.event(XmlEvent::EndElement)
    };
    let mut number = itoa::Buffer::new();
    if let Some(sequence) = &wsrm.sequence {
        writer.start_static(R, ids::SEQUENCE)?;
        declare(writer)?;
        writer.attribute_static(S, ids::MUST_UNDERSTAND, "1")?;
        leaf(writer, ids::IDENTIFIER, &sequence.identifier)?;
        leaf(
            writer,
            ids::MESSAGE_NUMBER,
            number.format(sequence.message_number),
        )?;
        if sequence.last_message {
            writer.start_static(R, ids::LAST_MESSAGE)?;
            writer.event(XmlEvent::EndElement)?;
        }
        writer.event(XmlEvent::EndElement)?;
    }
    if let Some(ack) = &wsrm.acknowledgement {
        writer.start_static(R, ids::SEQUENCE_ACKNOWLEDGEMENT)?;
        declare(writer)?;
        leaf(writer, ids::IDENTIFIER, &ack.identifier)?;
        let range = |writer: &mut BinaryWriter<'_>, upper: u64, lower: u64| {
            writer.start_static(R, ids::ACKNOWLEDGEMENT_RANGE)?;
            writer.attribute_static_unprefixed(ids::UPPER, itoa::Buffer::new().format(upper))?;
            writer.attribute_static_unprefixed(ids::LOWER, itoa::Buffer::new().format(lower))?;
            writer.event(XmlEvent::EndElement)
        };
        if !ack.ranges.is_empty() {
            for r in &ack.ranges {
                range(writer, r.upper, r.lower)?;
            }
        } else if !ack.nacks.is_empty() {
            for n in &ack.nacks {
                leaf(writer, ids::NACK, number.format(*n))?;
            }
        } else if v11 {
            general_leaf(writer, "None")?;
        } else {
            range(writer, 0, 0)?;
        }
        if ack.is_final {
            general_leaf(writer, "Final")?;
        }
        if let Some(remaining) = ack.buffer_remaining {
            writer.start_static_prefixed("netrm", ids::BUFFER_REMAINING)?;
            writer.declare_static("netrm", ids::NETRM_NS)?;
            writer.text_and_end(number.format(remaining))?;
        }
        writer.event(XmlEvent::EndElement)?;
    }
    if let Some(request) = &wsrm.ack_requested {
        writer.start_static(R, ids::ACK_REQUESTED)?;
        declare(writer)?;
        leaf(writer, ids::IDENTIFIER, &request.identifier)?;
        writer.event(XmlEvent::EndElement)?;
    }
    Ok(())
}

/// `<a:{name}>value</a:{name}>`, with `s:mustUnderstand="1"` if `must_understand`. Text XML
/// has no empty text node, so none is sent for an empty value either: the element then ends
/// with an end record, as the text route's `<a:X></a:X>` reads back.
fn text_header(
    writer: &mut BinaryWriter<'_>,
    name: u32,
    must_understand: bool,
    value: Option<&str>,
) -> Result<(), BinaryXmlError> {
    let Some(value) = value else {
        return Ok(());
    };
    writer.start_static(A, name)?;
    if must_understand {
        writer.attribute_static(S, ids::MUST_UNDERSTAND, "1")?;
    }
    if !value.is_empty() {
        writer.event(XmlEvent::Text(Cow::Borrowed(value)))?;
    }
    writer.event(XmlEvent::EndElement)
}

/// Largest fragment the scanner reads (bytes of text XML).
const MAX_SCANNED: usize = 64 * 1024;

/// `(prefix, namespace)` pairs to declare.
type Declarations<'f> = Vec<(&'f str, &'f str)>;

/// The text route's placement of a fragment's inherited declarations (see
/// `write_fragment` in the envelope writer): those the envelope already makes are dropped;
/// with a `container`, the others go on its start tag except the ones that would rename the
/// container itself, which, like all of them without a container, go on each top-level
/// element of the fragment.
fn split_inherited<'f>(
    fragment: &'f XmlFragment,
    scope: &[(&str, &str)],
    container: Option<&str>,
) -> (Declarations<'f>, Declarations<'f>) {
    let mut on_container = Vec::new();
    let mut inject = Vec::new();
    for (prefix, uri) in &fragment.inherited_namespaces {
        let already = scope.iter().any(|(p, u)| p == prefix && u == uri);
        if already || prefix == "xml" || prefix == "xmlns" {
            continue;
        }
        if container.is_some_and(|c| c != prefix) {
            on_container.push((prefix.as_str(), uri.as_str()));
        } else {
            inject.push((prefix.as_str(), uri.as_str()));
        }
    }
    (on_container, inject)
}

/// Parses a fragment's text into `writer`, adding `inject` to its top-level elements. The
/// fragment must close every element it opens and no other, so that it cannot change the
/// envelope around it.
fn fragment(
    fragment: &XmlFragment,
    inject: &[(&str, &str)],
    writer: &mut BinaryWriter<'_>,
) -> Result<(), BinaryXmlError> {
    let mut sink = FragmentSink {
        writer,
        inject,
        depth: 0,
    };
    // The plain XML Indigo's serializers write is scanned directly; anything else (and any
    // error) is quick-xml's to read. The scanner holds a fragment's events in memory (three
    // for a start tag, its text and its end), so a large fragment goes to quick-xml, which
    // streams.
    let small = fragment.xml.len() <= MAX_SCANNED;
    let mut events = Vec::with_capacity(if small {
        fragment.xml.len() / 16 + 4
    } else {
        0
    });
    match std::str::from_utf8(&fragment.xml) {
        Ok(xml) if small && fragment_scan::scan(xml, &mut events) => {
            // The serializer's typed values, in document order as the events are.
            let mut typed = fragment.typed.iter().peekable();
            for event in events {
                if let XmlEvent::Text(Cow::Borrowed(text)) = &event {
                    let at = text.as_ptr() as usize - xml.as_ptr() as usize;
                    while typed.next_if(|t| t.at < at).is_some() {}
                    if let Some(t) = typed.next_if(|t| t.at == at) {
                        sink.writer.typed_text(t.ty, text);
                        continue;
                    }
                }
                sink.event(event)?;
            }
        }
        _ => parse_text(&fragment.xml, &mut sink)?,
    }
    if sink.depth != 0 {
        return Err(BinaryXmlError::Text(
            "a fragment leaves an element open".into(),
        ));
    }
    Ok(())
}

struct FragmentSink<'w, 's, 'i> {
    writer: &'w mut BinaryWriter<'s>,
    inject: &'i [(&'i str, &'i str)],
    depth: usize,
}

impl<'e> EventSink<'e> for FragmentSink<'_, '_, '_> {
    fn event(&mut self, event: XmlEvent<'e>) -> Result<(), BinaryXmlError> {
        match event {
            XmlEvent::StartElement {
                prefix,
                local,
                mut attributes,
            } => {
                if self.depth == 0 {
                    for &(prefix, uri) in self.inject {
                        let declares = attributes
                            .iter()
                            .any(|a| a.declared_prefix() == Some(prefix));
                        if !declares {
                            attributes.push(Attribute::xmlns(prefix.to_owned(), uri.to_owned()));
                        }
                    }
                }
                self.depth += 1;
                self.writer.event(XmlEvent::StartElement {
                    prefix,
                    local,
                    attributes,
                })
            }
            XmlEvent::EndElement => {
                self.depth = self.depth.checked_sub(1).ok_or_else(|| {
                    BinaryXmlError::Text("a fragment closes an element it did not open".into())
                })?;
                self.writer.event(XmlEvent::EndElement)
            }
            other => self.writer.event(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ids;
    use crate::encoding::binary::dictionary::static_id;
    use crate::message::ns;

    #[test]
    fn the_envelope_constants_are_the_dictionary_ids() {
        for (s, id) in [
            ("mustUnderstand", ids::MUST_UNDERSTAND),
            ("Envelope", ids::ENVELOPE),
            (ns::SOAP12, ids::SOAP12_NS),
            (ns::WSA10, ids::WSA10_NS),
            ("Header", ids::HEADER),
            ("Action", ids::ACTION),
            ("To", ids::TO),
            ("Body", ids::BODY),
            ("RelatesTo", ids::RELATES_TO),
            ("MessageID", ids::MESSAGE_ID),
            ("Address", ids::ADDRESS),
            ("ReplyTo", ids::REPLY_TO),
            (ns::SOAP11, ids::SOAP11_NS),
            ("Identifier", ids::IDENTIFIER),
            ("http://schemas.xmlsoap.org/ws/2005/02/rm", ids::RM10_NS),
            ("SequenceAcknowledgement", ids::SEQUENCE_ACKNOWLEDGEMENT),
            ("AcknowledgementRange", ids::ACKNOWLEDGEMENT_RANGE),
            ("Upper", ids::UPPER),
            ("Lower", ids::LOWER),
            ("BufferRemaining", ids::BUFFER_REMAINING),
            ("http://schemas.microsoft.com/ws/2006/05/rm", ids::NETRM_NS),
            ("Sequence", ids::SEQUENCE),
            ("MessageNumber", ids::MESSAGE_NUMBER),
            ("AckRequested", ids::ACK_REQUESTED),
            ("LastMessage", ids::LAST_MESSAGE),
            ("Nack", ids::NACK),
        ] {
            assert_eq!(static_id(s), Some(id), "{s}");
        }
    }
}
