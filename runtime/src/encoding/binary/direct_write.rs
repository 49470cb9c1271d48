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
use super::{parse_text, BinaryWriter, BinaryXmlError};
use crate::message::{ns, AddressingVersion, Body, EnvelopeVersion, Headers, Message, XmlFragment};
use crate::serialization::xml::UTF8_BOM;
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

/// No control characters and no byte 0xEF (which starts U+FFFE/U+FFFF): the text route writes
/// those as character references.
fn plain(s: &str) -> bool {
    // Without an early exit the loop vectorizes; these strings are short.
    !s.bytes()
        .fold(false, |bad, b| bad | (b < 0x20) | (b == 0xEF))
}

/// Writes `message` (which must be [`eligible`]) into `writer`.
pub(crate) fn write(
    message: &Message,
    writer: &mut BinaryWriter<'_>,
) -> Result<(), BinaryXmlError> {
    let env_ns = match message.version.envelope {
        EnvelopeVersion::Soap11 => ns::SOAP11,
        EnvelopeVersion::Soap12 => ns::SOAP12,
    };
    let addressing = message.version.addressing == AddressingVersion::WsAddressing10;
    let scope: &[(&str, &str)] = if addressing {
        &[("s", env_ns), ("a", ns::WSA10)]
    } else {
        &[("s", env_ns)]
    };
    let declarations = scope
        .iter()
        .map(|&(prefix, uri)| Attribute::xmlns(prefix, uri))
        .collect();
    start(writer, "s", "Envelope", declarations)?;
    write_header(message, addressing, scope, writer)?;
    match &message.body {
        Body::Payload(payload) => {
            let (on_body, inject) = split_inherited(payload, scope, Some("s"));
            start(writer, "s", "Body", on_body)?;
            fragment(payload, &inject, writer)?;
            writer.event(XmlEvent::EndElement)?;
        }
        // `eligible` sends faults the text way; an empty body is `<s:Body/>`.
        Body::Empty | Body::Fault(_) => {
            start(writer, "s", "Body", Vec::new())?;
            writer.event(XmlEvent::EndElement)?;
        }
    }
    writer.event(XmlEvent::EndElement)
}

fn start<'a>(
    writer: &mut BinaryWriter<'_>,
    prefix: &'a str,
    local: &'a str,
    attributes: Vec<Attribute<'a>>,
) -> Result<(), BinaryXmlError> {
    writer.event(XmlEvent::StartElement {
        prefix: Cow::Borrowed(prefix),
        local: Cow::Borrowed(local),
        attributes,
    })
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
    if !addressing && headers.other.is_empty() {
        return Ok(());
    }
    start(writer, "s", "Header", Vec::new())?;
    if addressing {
        write_addressing(headers, writer)?;
    }
    for header in &headers.other {
        let (_, inject) = split_inherited(&header.xml, scope, None);
        fragment(&header.xml, &inject, writer)?;
    }
    writer.event(XmlEvent::EndElement)
}

fn write_addressing(
    headers: &Headers,
    writer: &mut BinaryWriter<'_>,
) -> Result<(), BinaryXmlError> {
    text_header(writer, "Action", true, headers.action.as_deref())?;
    text_header(writer, "MessageID", false, headers.message_id.as_deref())?;
    if let Some(address) = &headers.reply_to {
        start(writer, "a", "ReplyTo", Vec::new())?;
        text_element(writer, "Address", Vec::new(), address)?;
        writer.event(XmlEvent::EndElement)?;
    }
    text_header(writer, "RelatesTo", false, headers.relates_to.as_deref())?;
    text_header(writer, "To", true, headers.to.as_deref())
}

fn text_header(
    writer: &mut BinaryWriter<'_>,
    local: &str,
    must_understand: bool,
    value: Option<&str>,
) -> Result<(), BinaryXmlError> {
    let Some(value) = value else {
        return Ok(());
    };
    let attributes = if must_understand {
        vec![Attribute::new("s", "mustUnderstand", "1")]
    } else {
        Vec::new()
    };
    text_element(writer, local, attributes, value)
}

/// `<a:{local}>value</a:{local}>`. Text XML has no empty text node, so neither is one sent
/// here for an empty value: the element is then written with an end record, as the text
/// route's `<a:X></a:X>` reads back.
fn text_element<'a>(
    writer: &mut BinaryWriter<'_>,
    local: &'a str,
    attributes: Vec<Attribute<'a>>,
    value: &'a str,
) -> Result<(), BinaryXmlError> {
    start(writer, "a", local, attributes)?;
    if !value.is_empty() {
        writer.event(XmlEvent::Text(Cow::Borrowed(value)))?;
    }
    writer.event(XmlEvent::EndElement)
}

/// The text route's placement of a fragment's inherited declarations (see
/// `write_fragment` in the envelope writer): those the envelope already makes are dropped;
/// with a `container`, the others go on its start tag except the ones that would rename the
/// container itself, which, like all of them without a container, go on each top-level
/// element of the fragment.
fn split_inherited<'f>(
    fragment: &'f XmlFragment,
    scope: &[(&str, &str)],
    container: Option<&str>,
) -> (Vec<Attribute<'f>>, Vec<(&'f str, &'f str)>) {
    let mut on_container = Vec::new();
    let mut inject = Vec::new();
    for (prefix, uri) in &fragment.inherited_namespaces {
        let already = scope.iter().any(|(p, u)| p == prefix && u == uri);
        if already || prefix == "xml" || prefix == "xmlns" {
            continue;
        }
        if container.is_some_and(|c| c != prefix) {
            on_container.push(Attribute::xmlns(prefix.as_str(), uri.as_str()));
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
    parse_text(&fragment.xml, &mut sink)?;
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
