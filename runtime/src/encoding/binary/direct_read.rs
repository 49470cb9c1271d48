//! Binary records -> Message without rendering the whole envelope as text XML and parsing it
//! again.
//!
//! The text route (every event rendered by the text writer, then
//! [`read_envelope`](crate::message::read_envelope)) spends its time on markup that only
//! says what the binary events already say. Here the events of the envelope's own elements
//! are read directly into [`Headers`]; only what the message model keeps as text XML (the
//! body payload and headers kept verbatim) is rendered, by the same text writer, so those
//! bytes are the very bytes the text route would slice out.
//!
//! Hand-written because it mirrors `read_envelope`'s rules for the shape every ordinary
//! message has: Envelope, an optional Header of WS-Addressing and other headers, a Body that
//! is empty or holds elements. Whatever else arrives (a fault, a comment, stray text, an
//! element after the Body, an undeclared prefix, a name-table or string quota reached,
//! unusual namespace declarations, or a document the binary reader refuses) makes it
//! decline, and the caller takes the text route, which has the final word on every error
//! and every rare form. The tests check that both routes agree wherever this one accepts.
//!
//! One bound is looser here: the text route also fails a document whose whole rendering as
//! text exceeds `max_text_bytes`, while here only the rendered fragments count against it.
//! They are part of that text, so the bound on memory still holds; the binary reader's own
//! limit on what a document may expand to applies on both routes.

use super::events::{Attribute, AttributeBuffer, EventSink, XmlEvent};
use super::reader::read_document_at;
use super::text::TextWriter;
use super::{BinaryLimits, BinaryXmlError};
use crate::message::{
    ns, Body, EnvelopeVersion, Headers, Message, MessageVersion, QualifiedName, RawHeader,
    ReaderQuotas, XmlFragment,
};
use crate::reliable::proto::ReliableMessagingVersion;
use crate::reliable::wire::{scan, TypedHeaders};
use crate::xml::{inherited_used_by, plain_namespace, trim, NameTable};
use bytes::Bytes;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::ops::Range;

/// `xml:` is bound without a declaration.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace no prefix may be bound to but `xmlns`.
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";
/// quick-xml's limit on declarations in scope at once (`DEFAULT_MAX_NAMESPACE_BINDINGS`),
/// which the text route enforces; beyond it, this route declines.
const MAX_BINDINGS: usize = 128;
/// Start tags with more attributes than this go the text route, which checks duplicates
/// without a quadratic scan.
const MAX_ATTRIBUTES: usize = 16;
/// Below this depth quota the WS-RM headers are kept raw, for the general reader to judge
/// (as the text scanner does: `reliable::wire::scan`).
const TYPED_WSRM_MIN_DEPTH: usize = 8;

/// Reads one NBFX document (after any session table; `base` is its offset in the frame,
/// `strings` the session's strings) as a message, or `None` if this route declines.
pub(crate) fn read(
    document: &[u8],
    base: usize,
    strings: &[String],
    limits: &BinaryLimits,
    version: MessageVersion,
    quotas: &ReaderQuotas,
) -> Option<Message> {
    // A start tag, its text and its end are three events; 32 fit an addressed request.
    let mut collected = Collector {
        events: Vec::with_capacity(32),
        attributes: SmallVec::new(),
    };
    read_document_at(document, base, strings, limits, &mut collected).ok()?;
    let Collector { events, attributes } = collected;
    let mut walker = Walker {
        events: events.into_iter(),
        attributes: &attributes,
        scope: SmallVec::new(),
        marks: SmallVec::new(),
        names: NameTable::new(quotas.max_name_table_char_count),
        env_ns: match version.envelope {
            EnvelopeVersion::Soap11 => ns::SOAP11,
            EnvelopeVersion::Soap12 => ns::SOAP12,
        },
        max_text: quotas.max_string_content_length,
        // The depth the typed WS-RM headers need, with the margin the text scanner keeps.
        typed_wsrm: quotas.max_depth >= TYPED_WSRM_MIN_DEPTH,
        // The body's text is about twice its binary form.
        out: TextWriter::with_capacity(limits.max_text_bytes, document.len() * 2),
    };
    let (headers, raw, body) = walker.envelope().ok()?;
    walker.finish(version, headers, raw, body).ok()
}

/// Events are held in memory here, about 80 bytes each for as little as one byte of record,
/// so a document with more than this many goes the text route, which streams.
const MAX_EVENTS: usize = 8192;

/// An event as the walker reads it: a start tag's attributes are a range of the collected
/// attributes, so that reading a message allocates for none of its start tags.
enum Walk<'a> {
    Start {
        prefix: Cow<'a, str>,
        local: Cow<'a, str>,
        attributes: Range<usize>,
    },
    Text(Cow<'a, str>),
    End,
    Comment,
}

/// Collects at most [`MAX_EVENTS`] events, and every start tag's attributes in one list (a
/// message's usually fit inline: the envelope's declarations, the headers' mustUnderstand,
/// the body wrapper's namespace).
struct Collector<'a> {
    events: Vec<Walk<'a>>,
    attributes: SmallVec<[Attribute<'a>; 8]>,
}

impl<'a> Collector<'a> {
    fn push(&mut self, event: Walk<'a>) -> Result<(), BinaryXmlError> {
        if self.events.len() >= MAX_EVENTS {
            return Err(BinaryXmlError::QuotaExceeded(
                "too many records for the direct route".into(),
            ));
        }
        self.events.push(event);
        Ok(())
    }

    fn start(
        &mut self,
        prefix: Cow<'a, str>,
        local: Cow<'a, str>,
        attributes: impl Iterator<Item = Attribute<'a>>,
    ) -> Result<(), BinaryXmlError> {
        let from = self.attributes.len();
        self.attributes.extend(attributes);
        let attributes = from..self.attributes.len();
        self.push(Walk::Start {
            prefix,
            local,
            attributes,
        })
    }
}

impl<'a> EventSink<'a> for Collector<'a> {
    #[inline]
    fn event(&mut self, event: XmlEvent<'a>) -> Result<(), BinaryXmlError> {
        match event {
            XmlEvent::StartElement {
                prefix,
                local,
                attributes,
            } => self.start(prefix, local, attributes.into_iter()),
            XmlEvent::Text(text) => self.push(Walk::Text(text)),
            XmlEvent::EndElement => self.push(Walk::End),
            XmlEvent::Comment(_) => self.push(Walk::Comment),
        }
    }

    #[inline]
    fn start_element(
        &mut self,
        prefix: Cow<'a, str>,
        local: Cow<'a, str>,
        attributes: &mut AttributeBuffer<'a>,
    ) -> Result<(), BinaryXmlError> {
        self.start(prefix, local, attributes.drain(..))
    }
}

/// This route does not handle the document; the text route will.
struct Declined;

type Step<T> = Result<T, Declined>;

/// A start tag whose checks passed and whose declarations are in scope.
struct Start<'a, 'w> {
    prefix: Cow<'a, str>,
    local: Cow<'a, str>,
    attributes: &'w [Attribute<'a>],
    ns: Cow<'a, str>,
}

/// A header kept verbatim, its XML a range of the rendered fragments.
struct PendingHeader {
    name: QualifiedName,
    must_understand: bool,
    range: (usize, usize),
    inherited: Vec<(String, String)>,
}

/// The body's content: a range of the rendered fragments, and the declarations in scope.
struct PendingBody {
    range: Option<(usize, usize)>,
    inherited: Vec<(String, String)>,
}

struct Walker<'a, 'w> {
    events: std::vec::IntoIter<Walk<'a>>,
    /// The start tags' attributes, which [`Walk::Start`] ranges index.
    attributes: &'w [Attribute<'a>],
    /// Namespace declarations in scope, outermost first, as quick-xml keeps them.
    scope: SmallVec<[(Cow<'a, str>, Cow<'a, str>); 8]>,
    /// For each open element, the length of `scope` before its declarations.
    marks: SmallVec<[usize; 16]>,
    names: NameTable,
    env_ns: &'static str,
    /// `max_string_content_length`, applied (in bytes, so conservatively) to header values.
    max_text: usize,
    /// The rendered fragments, back to back.
    out: TextWriter,
    /// Whether WS-RM's per-message headers are read as values (see [`Walker::wsrm_header`]).
    typed_wsrm: bool,
}

impl<'a, 'w> Walker<'a, 'w> {
    fn envelope(&mut self) -> Step<(Headers, Vec<PendingHeader>, PendingBody)> {
        let root = match self.events.next() {
            Some(Walk::Start {
                prefix,
                local,
                attributes,
            }) => self.start(prefix, local, attributes)?,
            _ => return Err(Declined),
        };
        if root.local != "Envelope" || root.ns != self.env_ns {
            return Err(Declined);
        }
        let mut headers = Headers::default();
        let mut raw = Vec::new();
        let mut seen_header = false;
        let body = loop {
            let child = self.child()?.ok_or(Declined)?;
            if child.ns != self.env_ns {
                return Err(Declined);
            }
            match &*child.local {
                "Header" if !seen_header => {
                    seen_header = true;
                    self.headers(&mut headers, &mut raw)?;
                }
                "Body" => break self.body()?,
                _ => return Err(Declined),
            }
        };
        // Elements after the Body (SOAP 1.1 allows them) are the text route's business, and
        // nothing may follow the Envelope.
        if self.child()?.is_some() || self.events.next().is_some() {
            return Err(Declined);
        }
        Ok((headers, raw, body))
    }

    /// The next child element of the open element (its declarations then in scope), or
    /// `None` once the element ends. Whitespace between elements is skipped.
    fn child(&mut self) -> Step<Option<Start<'a, 'w>>> {
        loop {
            match self.events.next().ok_or(Declined)? {
                Walk::Start {
                    prefix,
                    local,
                    attributes,
                } => return self.start(prefix, local, attributes).map(Some),
                Walk::End => {
                    self.end();
                    return Ok(None);
                }
                Walk::Text(text) if is_plain_whitespace(&text) => {}
                _ => return Err(Declined),
            }
        }
    }

    /// What the text route checks on every start tag: declarations it accepts, prefixes
    /// declared, no duplicate attributes, the name table quota.
    fn start(
        &mut self,
        prefix: Cow<'a, str>,
        local: Cow<'a, str>,
        attributes: Range<usize>,
    ) -> Step<Start<'a, 'w>> {
        let attributes = self.attributes.get(attributes).ok_or(Declined)?;
        if attributes.len() > MAX_ATTRIBUTES {
            return Err(Declined);
        }
        self.marks.push(self.scope.len());
        for attribute in attributes {
            let Some(declared) = attribute.declared_prefix() else {
                continue;
            };
            let uri = &*attribute.value;
            if declared == "xml"
                || uri.is_empty()
                || uri == XML_NS
                || uri == XMLNS_NS
                || !plain_namespace(uri)
            {
                return Err(Declined);
            }
            if self.scope.len() >= MAX_BINDINGS {
                return Err(Declined);
            }
            let declared = if declared.is_empty() {
                Cow::Borrowed("")
            } else {
                attribute.local.clone()
            };
            self.scope.push((declared, attribute.value.clone()));
        }
        self.record(&local)?;
        self.record(&prefix)?;
        for (i, attribute) in attributes.iter().enumerate() {
            self.record(&attribute.local)?;
            self.record(&attribute.prefix)?;
            let duplicate = attributes[..i]
                .iter()
                .any(|a| a.prefix == attribute.prefix && a.local == attribute.local);
            if duplicate {
                return Err(Declined);
            }
            if attribute.declared_prefix().is_none() && !attribute.prefix.is_empty() {
                self.resolve(&attribute.prefix)?;
            }
        }
        let ns = self.resolve(&prefix)?;
        Ok(Start {
            prefix,
            local,
            attributes,
            ns,
        })
    }

    fn record(&mut self, name: &str) -> Step<()> {
        if name.is_empty() {
            return Ok(());
        }
        self.names.add(name).map_err(|_| Declined)
    }

    /// The namespace `prefix` is bound to ("" for no prefix and no default namespace).
    fn resolve(&self, prefix: &str) -> Step<Cow<'a, str>> {
        if prefix == "xml" {
            return Ok(Cow::Borrowed(XML_NS));
        }
        match self.scope.iter().rev().find(|(p, _)| same(p, prefix)) {
            Some((_, uri)) => Ok(uri.clone()),
            None if prefix.is_empty() => Ok(Cow::Borrowed("")),
            None => Err(Declined),
        }
    }

    fn end(&mut self) {
        if let Some(mark) = self.marks.pop() {
            self.scope.truncate(mark);
        }
    }

    /// The declarations in scope that the fragment rendered at `range` may use
    /// ([`inherited_used_by`]), each prefix once at the place of its innermost declaration,
    /// as quick-xml lists them, without the prefixes in `own`. Called once the fragment's
    /// element has ended, so its own declarations are out of scope; the text route does not
    /// list a prefix the element declares itself, so neither does this one.
    fn inherited_by(
        &self,
        range: (usize, usize),
        own: &[Cow<'a, str>],
    ) -> Step<Vec<(String, String)>> {
        let xml = self.out.written().get(range.0..range.1).ok_or(Declined)?;
        let scope = &self.scope;
        let in_scope = scope.iter().enumerate().filter_map(|(i, (prefix, uri))| {
            let overridden = scope[i + 1..].iter().any(|(p, _)| same(p, prefix));
            let declared_by_fragment = own.iter().any(|p| same(p, prefix));
            (!overridden && !declared_by_fragment).then_some((&**prefix, &**uri))
        });
        Ok(inherited_used_by(xml, in_scope))
    }

    fn headers(&mut self, headers: &mut Headers, raw: &mut Vec<PendingHeader>) -> Step<()> {
        while let Some(header) = self.child()? {
            let slot = match (&*header.ns, &*header.local) {
                (ns::WSA10, "Action") => &mut headers.action,
                (ns::WSA10, "MessageID") => &mut headers.message_id,
                (ns::WSA10, "To") => &mut headers.to,
                (ns::WSA10, "RelatesTo") => &mut headers.relates_to,
                (ns::WSA10, "ReplyTo") => &mut headers.reply_to,
                (namespace, local) if self.typed_wsrm => {
                    match (wsrm_version(namespace), local) {
                        (
                            Some(version),
                            "Sequence" | "SequenceAcknowledgement" | "AckRequested",
                        ) => self.wsrm_header(version, header, &mut headers.wsrm)?,
                        _ => raw.push(self.raw_header(header)?),
                    }
                    continue;
                }
                _ => {
                    raw.push(self.raw_header(header)?);
                    continue;
                }
            };
            if slot.is_some() {
                return Err(Declined);
            }
            *slot = if header.local == "ReplyTo" {
                self.reply_to()?
            } else {
                Some(trimmed(self.text()?))
            };
        }
        Ok(())
    }

    /// The `Address` inside an endpoint reference; anything else in it is skipped.
    fn reply_to(&mut self) -> Step<Option<String>> {
        let mut address = None;
        while let Some(child) = self.child()? {
            if address.is_none() && child.local == "Address" {
                address = Some(trimmed(self.text()?));
            } else {
                self.subtree(child, false)?;
            }
        }
        Ok(address)
    }

    /// The text content of the open element, which must hold text only.
    fn text(&mut self) -> Step<Cow<'a, str>> {
        let mut text: Cow<'a, str> = Cow::Borrowed("");
        loop {
            match self.events.next().ok_or(Declined)? {
                Walk::Text(piece) if text.is_empty() => text = piece,
                Walk::Text(piece) => text.to_mut().push_str(&piece),
                Walk::End => {
                    self.end();
                    return Ok(text);
                }
                _ => return Err(Declined),
            }
            if text.len() > self.max_text {
                return Err(Declined);
            }
        }
    }

    /// A WS-RM `Sequence`, `SequenceAcknowledgement` or `AckRequested` header read into its
    /// value, by the rules of the WS-RM text scanner (`reliable::wire::scan`), which answers
    /// only for valid input in the plain layout. Anything else (an extension, `LastMessage`,
    /// `Final`, `None`, a bad number, a second header of a kind, two versions, a
    /// `mustUnderstand` other than the one the writer puts) sends the whole message the text
    /// route, whose raw headers the general WS-RM reader then judges and words.
    fn wsrm_header(
        &mut self,
        version: ReliableMessagingVersion,
        header: Start<'a, 'w>,
        typed: &mut Option<Box<TypedHeaders>>,
    ) -> Step<()> {
        let mut must_understand = false;
        for attribute in header.attributes {
            if attribute.declared_prefix().is_some() {
                continue;
            }
            let enveloped =
                !attribute.prefix.is_empty() && self.resolve(&attribute.prefix)? == self.env_ns;
            if attribute.local != "mustUnderstand" || !enveloped {
                return Err(Declined);
            }
            must_understand = match trim(&attribute.value) {
                "1" | "true" => true,
                "0" | "false" => false,
                _ => return Err(Declined),
            };
        }
        // What the writer puts, so the header means the same if it has to be made raw again.
        if must_understand != (header.local == "Sequence") {
            return Err(Declined);
        }
        let mut root = scan::Element {
            namespace: header.ns,
            local: header.local,
            attributes: Vec::new(),
            text: Cow::Borrowed(""),
            children: Vec::new(),
        };
        while let Some(child) = self.child()? {
            let mut attributes = Vec::new();
            for attribute in child.attributes {
                if attribute.declared_prefix().is_some() {
                    continue;
                }
                // The scanner's subset: no prefixed attribute here, nothing that attribute
                // normalisation or escaping would touch.
                if !attribute.prefix.is_empty()
                    || attribute.value.contains(['<', '&', '\t', '\n', '\r'])
                {
                    return Err(Declined);
                }
                attributes.push((
                    Cow::Borrowed(&*attribute.local),
                    Cow::Borrowed(&*attribute.value),
                ));
            }
            let text = self.text()?;
            root.children.push(scan::Element {
                namespace: child.ns,
                local: child.local,
                attributes,
                text,
                children: Vec::new(),
            });
        }
        let set = typed.get_or_insert_with(|| {
            Box::new(TypedHeaders {
                version,
                sequence: None,
                acknowledgement: None,
                ack_requested: None,
            })
        });
        if set.version != version {
            return Err(Declined);
        }
        let placed = match &*root.local {
            "Sequence" => set
                .sequence
                .replace(scan::sequence_header_of(version, &root).ok_or(Declined)?)
                .is_none(),
            "SequenceAcknowledgement" => set
                .acknowledgement
                .replace(scan::acknowledgement_of(version, &root).ok_or(Declined)?)
                .is_none(),
            _ => set
                .ack_requested
                .replace(scan::ack_requested_of(version, &root).ok_or(Declined)?)
                .is_none(),
        };
        if placed {
            Ok(())
        } else {
            Err(Declined)
        }
    }

    fn raw_header(&mut self, header: Start<'a, 'w>) -> Step<PendingHeader> {
        let name = QualifiedName::new(&*header.ns, &*header.local);
        let mut must_understand = false;
        for attribute in header.attributes {
            if attribute.local != "mustUnderstand" || attribute.declared_prefix().is_some() {
                continue;
            }
            if !attribute.prefix.is_empty() && self.resolve(&attribute.prefix)? == self.env_ns {
                // The text route compares the escaped form; for values with nothing to
                // escape, that is the value.
                if attribute.value.bytes().any(escaped_in_attribute) {
                    return Err(Declined);
                }
                must_understand = matches!(trim(&attribute.value), "1" | "true");
                break;
            }
        }
        let own: SmallVec<[Cow<'a, str>; 2]> = match self.marks.last() {
            Some(&mark) => self.scope[mark..].iter().map(|(p, _)| p.clone()).collect(),
            None => SmallVec::new(),
        };
        let range = self.subtree(header, true)?;
        let inherited = self.inherited_by(range, &own)?;
        Ok(PendingHeader {
            name,
            must_understand,
            range,
            inherited,
        })
    }

    /// The rest of the element `start` opened, rendered into the fragments when `render`;
    /// returns where it landed there.
    fn subtree(&mut self, start: Start<'a, 'w>, render: bool) -> Step<(usize, usize)> {
        let from = self.out.len();
        let level = self.marks.len();
        self.emit_start(&start, render)?;
        while self.marks.len() >= level {
            match self.events.next().ok_or(Declined)? {
                Walk::Start {
                    prefix,
                    local,
                    attributes,
                } => {
                    let start = self.start(prefix, local, attributes)?;
                    self.emit_start(&start, render)?;
                }
                Walk::End => {
                    self.end();
                    self.emit(XmlEvent::EndElement, render)?;
                }
                Walk::Text(text) => self.emit(XmlEvent::Text(text), render)?,
                Walk::Comment => return Err(Declined),
            }
        }
        Ok((from, self.out.len()))
    }

    fn emit_start(&mut self, start: &Start<'a, 'w>, render: bool) -> Step<()> {
        if !render {
            return Ok(());
        }
        self.out
            .start_tag(&start.prefix, &start.local, start.attributes)
            .map_err(|_| Declined)
    }

    fn emit(&mut self, event: XmlEvent<'a>, render: bool) -> Step<()> {
        if !render {
            return Ok(());
        }
        self.out.event(event).map_err(|_| Declined)
    }

    /// The Body's content: elements (and the whitespace between them); a fault, or text of
    /// its own, is the text route's.
    fn body(&mut self) -> Step<PendingBody> {
        let mut range: Option<(usize, usize)> = None;
        loop {
            match self.events.next().ok_or(Declined)? {
                Walk::Start {
                    prefix,
                    local,
                    attributes,
                } => {
                    let start = self.start(prefix, local, attributes)?;
                    if range.is_none() && start.ns == self.env_ns && start.local == "Fault" {
                        return Err(Declined);
                    }
                    let (from, to) = self.subtree(start, true)?;
                    range = Some((range.map_or(from, |r| r.0), to));
                }
                Walk::End => {
                    // The Body's declarations are still in scope, its content's are not.
                    let inherited = match range {
                        Some(range) => self.inherited_by(range, &[])?,
                        None => Vec::new(),
                    };
                    self.end();
                    return Ok(PendingBody { range, inherited });
                }
                // Whitespace before the first element and after the last is not part of the
                // payload; between elements it is, so it is rendered once an element was.
                Walk::Text(text) if is_plain_whitespace(&text) => {
                    if range.is_some() {
                        self.emit(XmlEvent::Text(text), true)?;
                    }
                }
                _ => return Err(Declined),
            }
        }
    }

    fn finish(
        self,
        version: MessageVersion,
        mut headers: Headers,
        raw: Vec<PendingHeader>,
        body: PendingBody,
    ) -> Step<Message> {
        let fragments = Bytes::from(self.out.finish().map_err(|_| Declined)?);
        let slice = |(from, to): (usize, usize)| {
            if from <= to && to <= fragments.len() {
                Ok(fragments.slice(from..to))
            } else {
                Err(Declined)
            }
        };
        for header in raw {
            headers.other.push(RawHeader {
                name: header.name,
                must_understand: header.must_understand,
                xml: XmlFragment {
                    xml: slice(header.range)?,
                    inherited_namespaces: header.inherited,
                    typed: Vec::new(),
                },
            });
        }
        let body = match body.range {
            None => Body::Empty,
            Some(range) => Body::Payload(XmlFragment {
                xml: slice(range)?,
                inherited_namespaces: body.inherited,
                typed: Vec::new(),
            }),
        };
        Ok(Message {
            version,
            headers,
            body,
            awaits_reply: false,
        })
    }
}

/// The WS-RM version whose namespace `namespace` is.
fn wsrm_version(namespace: &str) -> Option<ReliableMessagingVersion> {
    [
        ReliableMessagingVersion::WsReliableMessagingFebruary2005,
        ReliableMessagingVersion::WsReliableMessaging11,
    ]
    .into_iter()
    .find(|v| v.namespace() == namespace)
}

/// `text` without XML whitespace around it, reusing its allocation when it has one.
fn trimmed(text: Cow<'_, str>) -> String {
    let trimmed = trim(&text);
    if trimmed.len() == text.len() {
        text.into_owned()
    } else {
        trimmed.to_owned()
    }
}

/// String equality for prefixes, which are a byte or two: compared inline rather than
/// through a `memcmp` call per scope entry.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// Whitespace the text writer writes as it is (it escapes CR), so the text route skips it
/// as whitespace too.
fn is_plain_whitespace(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n'))
}

/// Bytes the text writer escapes in an attribute value.
fn escaped_in_attribute(b: u8) -> bool {
    b < 0x20 || matches!(b, b'&' | b'<' | b'>' | b'"' | 0xEF)
}
