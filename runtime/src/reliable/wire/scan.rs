//! A fast path for the headers on every sequence message: `Sequence`,
//! `SequenceAcknowledgement` and `AckRequested` in the plain layout WCF, gSOAP and Indigo
//! write (prefixed or default-namespace elements, `Identifier`, `MessageNumber`, ranges and
//! `BufferRemaining`, no comments, entities or extensions).
//!
//! The general readers run a namespace-aware XML reader with quota bookkeeping per header;
//! on a request-reply call that was about 8% of all the CPU of a reliable session
//! (BENCHMARKS.md, "Reliable session per-message cost"). This scanner reads those few bytes
//! directly. It only ever answers for input that is valid and simple: anything else (an
//! error, an extension element, `LastMessage`, `Final`, `None`, `Nack`, a character
//! reference, a comment, a name outside ASCII, a fragment near a reader quota) returns
//! `None`, and the caller uses the general reader, which decides and words the error. So
//! whatever the scanner accepts, the general reader accepts with the same result
//! (`tests::fast_path_agrees_with_the_general_reader` checks this).

use crate::message::{ReaderQuotas, XmlFragment};
use crate::reliable::proto::ranges::{DEFAULT_MAX_RANGES, MAX_MESSAGE_NUMBER};
use crate::reliable::proto::{
    AckRange, AckRequested, ReliableMessagingVersion, SequenceAcknowledgement, SequenceHeader,
};
use std::borrow::Cow;

/// Deepest nesting the scanner reads (root, child): a `Sequence` is two levels deep.
const MAX_LEVELS: usize = 2;
/// Leaves ample margin under any depth quota a fragment could hit inside an envelope.
const MIN_DEPTH_QUOTA: usize = 8;

/// One element of a header: its namespace, local name, the attributes that are not
/// namespace declarations, and either its text or its children.
///
/// The binary reader builds these too, from the events of a header
/// (`encoding::binary::direct_read`), so that both routes share the rules below. Strings are
/// borrowed from the text here; from binary records a value may have been rendered (a typed
/// number), hence `Cow`.
pub(crate) struct Element<'a> {
    pub(crate) namespace: Cow<'a, str>,
    pub(crate) local: Cow<'a, str>,
    /// Attribute names as written (qualified), with their values.
    pub(crate) attributes: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub(crate) text: Cow<'a, str>,
    pub(crate) children: Vec<Element<'a>>,
}

/// A namespace declaration in scope: prefix ("" for the default namespace) and URI.
type Declaration<'a> = (&'a str, &'a str);

struct Scanner<'a> {
    xml: &'a str,
    pos: usize,
    /// Declarations in scope, innermost last; the fragment's inherited ones first.
    scope: Vec<Declaration<'a>>,
    max_text: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.xml.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, token: &str) -> Option<()> {
        self.xml[self.pos..].starts_with(token).then(|| {
            self.pos += token.len();
        })
    }

    /// An ASCII XML name with at most one colon, neither first nor last.
    fn name(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let bytes = self.xml.as_bytes();
        while bytes
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
        {
            self.pos += 1;
        }
        let name = &self.xml[start..self.pos];
        let first_ok = name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
        let colons = name.bytes().filter(|b| *b == b':').count();
        let colon_ok = colons == 0 || (colons == 1 && !name.ends_with(':'));
        (first_ok && colon_ok && name.split(':').all(|part| !part.is_empty())).then_some(name)
    }

    /// A quoted attribute value without markup, references or characters that attribute
    /// normalisation would change.
    fn value(&mut self) -> Option<&'a str> {
        let quote = self.peek().filter(|q| matches!(q, b'"' | b'\''))?;
        self.pos += 1;
        let start = self.pos;
        let end = start + self.xml[start..].find(quote as char)?;
        let value = &self.xml[start..end];
        if value.len() > self.max_text || value.contains(['<', '&', '\t', '\n', '\r']) {
            return None;
        }
        self.pos = end + 1;
        Some(value)
    }

    fn resolve(&self, prefix: &str) -> Option<&'a str> {
        let uri = self
            .scope
            .iter()
            .rev()
            .find(|(p, _)| *p == prefix)
            .map(|(_, uri)| *uri);
        match (prefix, uri) {
            // No default namespace declared: the element is in no namespace.
            ("", None) => Some(""),
            (_, uri) => uri,
        }
    }

    fn element(&mut self, level: usize) -> Option<Element<'a>> {
        if level > MAX_LEVELS {
            return None;
        }
        self.eat("<")?;
        let qname = self.name()?;
        let scope_mark = self.scope.len();
        let mut attributes: Vec<(&str, &str)> = Vec::new();
        let empty = loop {
            let before = self.pos;
            self.skip_whitespace();
            if self.eat("/>").is_some() {
                break true;
            }
            if self.eat(">").is_some() {
                break false;
            }
            if self.pos == before {
                return None; // attributes must be separated by whitespace
            }
            let name = self.name()?;
            self.skip_whitespace();
            self.eat("=")?;
            self.skip_whitespace();
            let value = self.value()?;
            if name == "xmlns" {
                self.scope.push(("", value));
            } else if let Some(prefix) = name.strip_prefix("xmlns:") {
                if value.is_empty() || prefix == "xml" || prefix == "xmlns" {
                    return None;
                }
                self.scope.push((prefix, value));
            } else {
                if attributes.iter().any(|(n, _)| *n == name) {
                    return None;
                }
                attributes.push((name, value));
            }
        };
        let (prefix, local) = qname.split_once(':').unwrap_or(("", qname));
        let namespace = self.resolve(prefix)?;
        // Attribute prefixes must be declared too (unprefixed ones are in no namespace).
        for (name, _) in &attributes {
            if let Some((prefix, _)) = name.split_once(':') {
                self.resolve(prefix)?;
            }
        }
        let mut element = Element {
            namespace: Cow::Borrowed(namespace),
            local: Cow::Borrowed(local),
            attributes: attributes
                .into_iter()
                .map(|(n, v)| (Cow::Borrowed(n), Cow::Borrowed(v)))
                .collect(),
            text: Cow::Borrowed(""),
            children: Vec::new(),
        };
        if !empty {
            let text_start = self.pos;
            loop {
                let rest = &self.xml[self.pos..];
                let markup = rest.find(['<', '&', '\r'])?;
                if !rest[..markup].trim_matches([' ', '\t', '\n']).is_empty() {
                    // Text: only in a leaf, and then the whole content.
                    if !element.children.is_empty() {
                        return None;
                    }
                    element.text = Cow::Borrowed(&self.xml[text_start..self.pos + markup]);
                }
                self.pos += markup;
                if self.eat("</").is_some() {
                    if self.name()? != qname {
                        return None;
                    }
                    self.skip_whitespace();
                    self.eat(">")?;
                    break;
                }
                if !element.text.is_empty() || !matches!(self.peek(), Some(b'<')) {
                    return None;
                }
                if matches!(self.xml.as_bytes().get(self.pos + 1), Some(b'!' | b'?')) {
                    return None;
                }
                let child = self.element(level + 1)?;
                element.children.push(child);
            }
            if element.text.len() > self.max_text {
                return None;
            }
        }
        self.scope.truncate(scope_mark);
        Some(element)
    }
}

/// The fragment's root element, when the whole fragment is within the scanner's subset.
fn scan<'a>(fragment: &'a XmlFragment, quotas: &ReaderQuotas) -> Option<Element<'a>> {
    let xml = std::str::from_utf8(&fragment.xml).ok()?;
    let inherited_len: usize = fragment
        .inherited_namespaces
        .iter()
        .map(|(p, u)| p.len() + u.len())
        .sum();
    // Names are a subset of these characters, so the name table quota cannot bind.
    if quotas.max_depth < MIN_DEPTH_QUOTA
        || xml.len() + inherited_len > quotas.max_name_table_char_count
    {
        return None;
    }
    let mut scanner = Scanner {
        xml,
        pos: 0,
        scope: fragment
            .inherited_namespaces
            .iter()
            .map(|(p, u)| (p.as_str(), u.as_str()))
            .collect(),
        max_text: quotas.max_string_content_length,
    };
    scanner.skip_whitespace();
    let root = scanner.element(1)?;
    scanner.skip_whitespace();
    (scanner.pos == xml.len()).then_some(root)
}

/// The text of a leaf element as the general reader returns it (trimmed).
fn leaf<'e>(element: &'e Element<'_>) -> Option<&'e str> {
    element
        .children
        .is_empty()
        .then(|| element.text.trim_matches([' ', '\t', '\n']))
}

/// `xs:unsignedLong` digits (optional `+`) within 1..=MAX_MESSAGE_NUMBER.
fn number(text: &str) -> Option<u64> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits
        .parse()
        .ok()
        .filter(|n| (1..=MAX_MESSAGE_NUMBER).contains(n))
}

/// The root if it is `local` in the WS-RM namespace of `version`.
fn root<'a>(
    version: ReliableMessagingVersion,
    fragment: &'a XmlFragment,
    quotas: &ReaderQuotas,
    local: &str,
) -> Option<Element<'a>> {
    scan(fragment, quotas).filter(|r| r.namespace == version.namespace() && r.local == local)
}

/// Whether `root` is `local` in the WS-RM namespace of `version`.
fn is_root(version: ReliableMessagingVersion, root: &Element<'_>, local: &str) -> Option<()> {
    (root.namespace == version.namespace() && root.local == local).then_some(())
}

/// `Identifier` and `MessageNumber`, nothing else (so no 1.0 `LastMessage`).
pub(super) fn sequence_header(
    version: ReliableMessagingVersion,
    fragment: &XmlFragment,
    quotas: &ReaderQuotas,
) -> Option<SequenceHeader> {
    sequence_header_of(version, &root(version, fragment, quotas, "Sequence")?)
}

/// [`sequence_header`] of an element tree.
pub(crate) fn sequence_header_of(
    version: ReliableMessagingVersion,
    root: &Element<'_>,
) -> Option<SequenceHeader> {
    is_root(version, root, "Sequence")?;
    let (mut identifier, mut number_text) = (None, None);
    for child in &root.children {
        if child.namespace != version.namespace() {
            return None;
        }
        let slot = match &*child.local {
            "Identifier" => &mut identifier,
            "MessageNumber" => &mut number_text,
            _ => return None,
        };
        if slot.replace(leaf(child)?).is_some() {
            return None;
        }
    }
    Some(SequenceHeader {
        identifier: identifier?.to_owned(),
        message_number: number(number_text?)?,
        last_message: false,
    })
}

/// `Identifier`, one or more valid `AcknowledgementRange`s and an optional
/// `netrm:BufferRemaining`; no `Final`, `None` or `Nack`.
pub(super) fn acknowledgement(
    version: ReliableMessagingVersion,
    fragment: &XmlFragment,
    quotas: &ReaderQuotas,
) -> Option<SequenceAcknowledgement> {
    acknowledgement_of(
        version,
        &root(version, fragment, quotas, "SequenceAcknowledgement")?,
    )
}

/// [`acknowledgement`] of an element tree.
pub(crate) fn acknowledgement_of(
    version: ReliableMessagingVersion,
    root: &Element<'_>,
) -> Option<SequenceAcknowledgement> {
    is_root(version, root, "SequenceAcknowledgement")?;
    let mut identifier = None;
    let mut ack = SequenceAcknowledgement::default();
    for child in &root.children {
        match (&*child.namespace, &*child.local) {
            (ns, "Identifier") if ns == version.namespace() => {
                if identifier.replace(leaf(child)?).is_some() {
                    return None;
                }
            }
            (ns, "AcknowledgementRange") if ns == version.namespace() => {
                if ack.ranges.len() >= DEFAULT_MAX_RANGES {
                    return None;
                }
                ack.ranges.push(range(child)?);
            }
            (super::NETRM_NAMESPACE, "BufferRemaining") => {
                let text = leaf(child)?;
                let value = text.strip_prefix('+').unwrap_or(text).parse::<i32>().ok()?;
                if ack
                    .buffer_remaining
                    .replace(u32::try_from(value).ok()?)
                    .is_some()
                {
                    return None;
                }
            }
            _ => return None,
        }
    }
    if ack.ranges.is_empty() {
        return None;
    }
    ack.identifier = identifier?.to_owned();
    Some(ack)
}

/// A range with exactly `Lower` and `Upper`, 1 <= Lower <= Upper <= the maximum.
fn range(element: &Element<'_>) -> Option<AckRange> {
    if !element.children.is_empty() || !element.text.is_empty() {
        return None;
    }
    let (mut lower, mut upper) = (None, None);
    for (name, value) in &element.attributes {
        let slot = match &**name {
            "Lower" => &mut lower,
            "Upper" => &mut upper,
            _ => return None,
        };
        *slot = Some(number(value.trim_matches(' '))?);
    }
    let (lower, upper) = (lower?, upper?);
    (lower <= upper).then(|| AckRange::new(lower, upper))
}

/// `Identifier` only.
pub(super) fn ack_requested(
    version: ReliableMessagingVersion,
    fragment: &XmlFragment,
    quotas: &ReaderQuotas,
) -> Option<AckRequested> {
    ack_requested_of(version, &root(version, fragment, quotas, "AckRequested")?)
}

/// [`ack_requested`] of an element tree.
pub(crate) fn ack_requested_of(
    version: ReliableMessagingVersion,
    root: &Element<'_>,
) -> Option<AckRequested> {
    is_root(version, root, "AckRequested")?;
    let [child] = root.children.as_slice() else {
        return None;
    };
    (child.namespace == version.namespace() && child.local == "Identifier").then_some(())?;
    Some(AckRequested {
        identifier: leaf(child)?.to_owned(),
        message_number: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::read::{
        general_ack_requested, general_acknowledgement, general_sequence_header,
    };
    use super::super::write::{ack_requested_header, acknowledgement_header, sequence_header};
    use super::*;
    use crate::encoding::binary::BinaryMessageEncoder;
    use crate::encoding::MessageEncoder;
    use crate::message::{
        read_envelope, write_envelope, Body, EnvelopeVersion, Message, MessageVersion, RawHeader,
    };
    use ReliableMessagingVersion::{
        WsReliableMessaging11 as V11, WsReliableMessagingFebruary2005 as V10,
    };

    const MV: MessageVersion = MessageVersion::SOAP12_WSA10;
    const ID: &str = "urn:uuid:b92af031-1787-4e12-ab8b-456732000001";

    /// Whatever the scanner accepts, the general reader reads the same; returns whether the
    /// scanner accepted.
    fn agrees(version: ReliableMessagingVersion, fragment: &XmlFragment) -> bool {
        let q = ReaderQuotas::default();
        let mut accepted = false;
        if let Some(fast) = super::sequence_header(version, fragment, &q) {
            assert_eq!(Ok(fast), general_sequence_header(version, fragment, &q));
            accepted = true;
        }
        if let Some(fast) = super::acknowledgement(version, fragment, &q) {
            assert_eq!(Ok(fast), general_acknowledgement(version, fragment, &q));
            accepted = true;
        }
        if let Some(fast) = super::ack_requested(version, fragment, &q) {
            assert_eq!(Ok(fast), general_ack_requested(version, fragment, &q));
            accepted = true;
        }
        accepted
    }

    /// The three headers as they arrive: written, put in an envelope, encoded (text, or
    /// binary in a session), decoded and cut out again (over binary, see
    /// `the_binary_reader_types_the_headers_indigo_and_wcf_send`).
    fn received_headers(version: ReliableMessagingVersion, binary: bool) -> Vec<RawHeader> {
        received(version, binary).headers.other
    }

    /// The message the three headers arrive in (see [`received_headers`]).
    fn received(version: ReliableMessagingVersion, binary: bool) -> Message {
        let envelope = EnvelopeVersion::Soap12;
        let mut message = Message::new(MV, "urn:test/Echo", Body::Empty);
        let sequence = crate::reliable::proto::SequenceHeader {
            identifier: ID.to_owned(),
            message_number: 42,
            last_message: false,
        };
        let ack = SequenceAcknowledgement {
            identifier: ID.to_owned(),
            ranges: vec![AckRange::new(1, 7), AckRange::new(9, 12)],
            buffer_remaining: Some(8),
            ..SequenceAcknowledgement::default()
        };
        let request = AckRequested {
            identifier: ID.to_owned(),
            message_number: None,
        };
        message.headers.other = vec![
            sequence_header(version, envelope, &sequence).unwrap(),
            acknowledgement_header(version, envelope, &ack).unwrap(),
            ack_requested_header(version, envelope, &request),
        ];
        if binary {
            let encoder = BinaryMessageEncoder::new(MV);
            let mut session = encoder.session_encoder().unwrap();
            let mut bytes = Vec::new();
            // Twice: the second message uses the session's string table.
            session.writer.encode(&message, &mut bytes).unwrap();
            let _ = session.reader.decode(bytes.into()).unwrap();
            let mut bytes = Vec::new();
            session.writer.encode(&message, &mut bytes).unwrap();
            session.reader.decode(bytes.into()).unwrap()
        } else {
            let mut bytes = Vec::new();
            write_envelope(&message, &mut bytes).unwrap();
            read_envelope(bytes.into(), MV, &ReaderQuotas::default()).unwrap()
        }
    }

    /// Over binary the reader types them itself, by these rules, and as the writer wrote
    /// them; made raw again, they are what the text route reads.
    #[test]
    fn the_binary_reader_types_the_headers_indigo_and_wcf_send() {
        for version in [V10, V11] {
            let mut message = received(version, true);
            assert!(message.headers.other.is_empty());
            let typed = message
                .headers
                .wsrm
                .clone()
                .expect("typed by the binary reader");
            assert_eq!(typed.version, version);
            assert_eq!(typed.sequence.expect("Sequence").message_number, 42);
            let ack = typed.acknowledgement.expect("SequenceAcknowledgement");
            assert_eq!(ack.ranges, [AckRange::new(1, 7), AckRange::new(9, 12)]);
            assert_eq!(ack.buffer_remaining, Some(8));
            assert_eq!(typed.ack_requested.expect("AckRequested").identifier, ID);
            message.headers.untype_wsrm(EnvelopeVersion::Soap12);
            // The same text; the received ones also list the envelope's `a` as inherited.
            let text = |headers: &[RawHeader]| {
                headers
                    .iter()
                    .map(|h| (h.name.clone(), h.must_understand, h.xml.xml.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                text(&message.headers.other),
                text(&received_headers(version, false))
            );
        }
    }

    #[test]
    fn reads_the_headers_indigo_and_wcf_send() {
        for version in [V10, V11] {
            let headers = received_headers(version, false);
            assert_eq!(headers.len(), 3);
            for header in &headers {
                assert!(
                    agrees(version, &header.xml),
                    "{version:?}: not taken: {:?}",
                    String::from_utf8_lossy(&header.xml.xml)
                );
            }
        }
    }

    fn fragment(xml: &str) -> XmlFragment {
        XmlFragment::new(xml.as_bytes().to_vec())
    }

    #[test]
    fn hand_written_layouts_agree_or_fall_back() {
        let rm = V10.namespace();
        let netrm = super::super::NETRM_NAMESPACE;
        let accepted = [
            format!("<r:Sequence xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier><r:MessageNumber>1</r:MessageNumber></r:Sequence>"),
            format!("<Sequence xmlns=\"{rm}\">\n  <Identifier> x </Identifier>\n  <MessageNumber>+0007</MessageNumber>\n</Sequence>"),
            format!("<r:Sequence xmlns:r='{rm}' xmlns:s='urn:s' s:mustUnderstand='1'><r:MessageNumber>3</r:MessageNumber><r:Identifier>x</r:Identifier></r:Sequence>"),
            format!("<r:SequenceAcknowledgement xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier><r:AcknowledgementRange Upper=\"5\" Lower=\"1\"/><n:BufferRemaining xmlns:n=\"{netrm}\">0</n:BufferRemaining></r:SequenceAcknowledgement>"),
            format!("<r:AckRequested xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier></r:AckRequested>"),
        ];
        for xml in &accepted {
            assert!(agrees(V10, &fragment(xml)), "not taken: {xml}");
        }
        let declined = [
            format!("<r:Sequence xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier><r:MessageNumber>1</r:MessageNumber><r:LastMessage/></r:Sequence>"),
            format!("<r:Sequence xmlns:r=\"{rm}\"><r:Identifier>a&amp;b</r:Identifier><r:MessageNumber>1</r:MessageNumber></r:Sequence>"),
            format!("<r:Sequence xmlns:r=\"{rm}\"><!-- c --><r:Identifier>x</r:Identifier><r:MessageNumber>1</r:MessageNumber></r:Sequence>"),
            format!("<r:Sequence xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier><r:MessageNumber>0</r:MessageNumber></r:Sequence>"),
            format!("<r:Sequence xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier><r:MessageNumber>99999999999999999999</r:MessageNumber></r:Sequence>"),
            format!("<r:Sequence xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier><r:Identifier>y</r:Identifier><r:MessageNumber>1</r:MessageNumber></r:Sequence>"),
            format!("<r:Sequence xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier><x:Ext xmlns:x=\"urn:x\"/><r:MessageNumber>1</r:MessageNumber></r:Sequence>"),
            "<r:Sequence xmlns:r=\"urn:other\"><r:Identifier>x</r:Identifier><r:MessageNumber>1</r:MessageNumber></r:Sequence>".to_owned(),
            format!("<r:Sequence xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier><r:MessageNumber>1</r:MessageNumber></r:Sequenc>"),
            format!("<r:SequenceAcknowledgement xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier><r:AcknowledgementRange Upper=\"0\" Lower=\"0\"/></r:SequenceAcknowledgement>"),
            format!("<r:SequenceAcknowledgement xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier><r:AcknowledgementRange Upper=\"1\" Lower=\"5\"/></r:SequenceAcknowledgement>"),
            format!("<r:SequenceAcknowledgement xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier><r:Nack>3</r:Nack></r:SequenceAcknowledgement>"),
            format!("<r:SequenceAcknowledgement xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier><r:AcknowledgementRange Upper=\"5\" Lower=\"1\"/><n:BufferRemaining xmlns:n=\"{netrm}\">-1</n:BufferRemaining></r:SequenceAcknowledgement>"),
            format!("<r:AckRequested xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier><r:MessageNumber>4</r:MessageNumber></r:AckRequested>"),
            format!("<r:AckRequested xmlns:r=\"{rm}\"><r:Identifier>x</r:Identifier></r:AckRequested>trailing"),
            format!("<r:AckRequested xmlns:r=\"{rm}\" a=\"1\" a=\"2\"><r:Identifier>x</r:Identifier></r:AckRequested>"),
        ];
        for xml in &declined {
            assert!(!agrees(V10, &fragment(xml)), "taken: {xml}");
        }
    }

    #[test]
    fn mutated_headers_never_disagree() {
        for version in [V10, V11] {
            for header in received_headers(version, true) {
                let original = header.xml.xml.to_vec();
                for at in 0..original.len() {
                    for replacement in [b'<', b'>', b'/', b'"', b' ', b'0', b'9', b'x', b':'] {
                        let mut bytes = original.clone();
                        bytes[at] = replacement;
                        let mutated = XmlFragment {
                            xml: bytes.into(),
                            inherited_namespaces: header.xml.inherited_namespaces.clone(),
                            typed: Vec::new(),
                        };
                        agrees(version, &mutated);
                    }
                    let mut bytes = original.clone();
                    bytes.remove(at);
                    let mutated = XmlFragment {
                        xml: bytes.into(),
                        inherited_namespaces: header.xml.inherited_namespaces.clone(),
                        typed: Vec::new(),
                    };
                    agrees(version, &mutated);
                }
            }
        }
    }
}
