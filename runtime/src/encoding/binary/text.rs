//! The text XML side of the transcoder: events to UTF-8 XML (escaped the way the rest of
//! Indigo escapes, so the envelope reader reads back exactly what the binary said), and UTF-8
//! XML parsed with quick-xml into events.

use super::error::BinaryXmlError;
use super::events::{Attribute, AttributeBuffer, EventSink, XmlEvent};
use crate::xml::{resolve_ref, write_attr, write_text, UTF8_BOM};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use smallvec::SmallVec;
use std::borrow::Cow;

/// Writes events as text XML (no declaration), at most `max_bytes` of it.
#[derive(Debug)]
pub(crate) struct TextWriter {
    out: Vec<u8>,
    /// Where the qualified names of the open elements are in `out` (as written in their
    /// start tags), for their end tags.
    /// Sixteen levels fit inline, deeper than most messages go, so rendering one allocates
    /// nothing but its output.
    open: SmallVec<[(usize, usize); 16]>,
    /// A start tag is written up to its attributes; `>` or `/>` comes with the next event.
    tag_open: bool,
    max_bytes: usize,
}

impl TextWriter {
    pub(crate) fn new(max_bytes: usize) -> Self {
        TextWriter::with_capacity(max_bytes, 0)
    }

    /// A writer with room for `capacity` bytes of output before it grows.
    pub(crate) fn with_capacity(max_bytes: usize, capacity: usize) -> Self {
        TextWriter {
            out: Vec::with_capacity(capacity.min(max_bytes)),
            open: SmallVec::new(),
            tag_open: false,
            max_bytes,
        }
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.out.len()
    }

    /// What was written so far.
    pub(crate) fn written(&self) -> &[u8] {
        &self.out
    }

    pub(crate) fn finish(mut self) -> Result<Vec<u8>, BinaryXmlError> {
        if !self.open.is_empty() {
            return Err(BinaryXmlError::Unclosed {
                open: self.open.len(),
            });
        }
        self.close_tag();
        Ok(self.out)
    }

    fn close_tag(&mut self) {
        if self.tag_open {
            self.out.push(b'>');
            self.tag_open = false;
        }
    }

    /// Writes a start tag, leaving it open for its content or `/>`.
    pub(crate) fn start_tag(
        &mut self,
        prefix: &str,
        local: &str,
        attributes: &[Attribute<'_>],
    ) -> Result<(), BinaryXmlError> {
        self.close_tag();
        self.out.push(b'<');
        let name_start = self.out.len();
        self.qname(prefix, local);
        self.open.push((name_start, self.out.len()));
        for attribute in attributes {
            self.out.push(b' ');
            self.qname(&attribute.prefix, &attribute.local);
            self.out.extend_from_slice(b"=\"");
            write_attr(&mut self.out, &attribute.value);
            self.out.push(b'"');
        }
        self.tag_open = true;
        self.check_size()
    }

    fn check_size(&self) -> Result<(), BinaryXmlError> {
        if self.out.len() > self.max_bytes {
            return Err(BinaryXmlError::QuotaExceeded(format!(
                "text XML longer than {} bytes",
                self.max_bytes
            )));
        }
        Ok(())
    }

    fn qname(&mut self, prefix: &str, local: &str) {
        if !prefix.is_empty() {
            self.out.extend_from_slice(prefix.as_bytes());
            self.out.push(b':');
        }
        self.out.extend_from_slice(local.as_bytes());
    }
}

impl<'a> EventSink<'a> for TextWriter {
    fn event(&mut self, event: XmlEvent<'a>) -> Result<(), BinaryXmlError> {
        match event {
            XmlEvent::StartElement {
                prefix,
                local,
                attributes,
            } => return self.start_tag(&prefix, &local, &attributes),
            XmlEvent::Text(text) => {
                if !text.is_empty() {
                    self.close_tag();
                    write_text(&mut self.out, &text);
                }
            }
            XmlEvent::EndElement => {
                let Some((from, to)) = self.open.pop() else {
                    return Err(BinaryXmlError::Text("end element without a start".into()));
                };
                if self.tag_open {
                    self.out.extend_from_slice(b"/>");
                    self.tag_open = false;
                } else {
                    self.out.extend_from_slice(b"</");
                    self.out.extend_from_within(from..to);
                    self.out.push(b'>');
                }
            }
            XmlEvent::Comment(comment) => {
                if !comment_has_text_form(&comment) {
                    return Err(BinaryXmlError::Text(
                        "a comment containing \"--\" or a carriage return, or ending in '-', has \
                         no text XML form"
                            .into(),
                    ));
                }
                self.close_tag();
                self.out.extend_from_slice(b"<!--");
                self.out.extend_from_slice(comment.as_bytes());
                self.out.extend_from_slice(b"-->");
            }
        }
        self.check_size()
    }

    fn start_element(
        &mut self,
        prefix: Cow<'a, str>,
        local: Cow<'a, str>,
        attributes: &mut AttributeBuffer<'a>,
    ) -> Result<(), BinaryXmlError> {
        self.start_tag(&prefix, &local, attributes)
    }
}

/// Parses UTF-8 text XML (an optional BOM and XML declaration are skipped) into events.
/// Processing instructions and DTDs have no binary XML form and are refused.
pub fn parse_text<S>(xml: &[u8], sink: &mut S) -> Result<(), BinaryXmlError>
where
    S: for<'e> EventSink<'e> + ?Sized,
{
    let xml = xml.strip_prefix(UTF8_BOM).unwrap_or(xml);
    let xml =
        std::str::from_utf8(xml).map_err(|e| BinaryXmlError::Text(format!("not UTF-8: {e}")))?;
    let mut reader = Reader::from_str(xml);
    let config = reader.config_mut();
    config.check_end_names = true;
    // "--" inside a comment is not XML; the binary side would carry it, text could not.
    config.check_comments = true;
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| BinaryXmlError::Text(format!("{e} (at byte {position})")))?;
        match event {
            Event::Start(start) => start_event(&start, sink)?,
            Event::Empty(start) => {
                start_event(&start, sink)?;
                sink.event(XmlEvent::EndElement)?;
            }
            Event::End(_) => sink.event(XmlEvent::EndElement)?,
            Event::Text(text) => sink.event(XmlEvent::Text(text.xml10_content()))?,
            Event::CData(data) => sink.event(XmlEvent::Text(data.xml10_content()))?,
            Event::GeneralRef(r) => {
                let text = resolve_ref(&r).map_err(|e| BinaryXmlError::Text(e.to_string()))?;
                sink.event(XmlEvent::Text(text))?;
            }
            Event::Comment(comment) => sink.event(XmlEvent::Comment(comment.xml10_content()))?,
            Event::Decl(_) => {}
            Event::PI(_) => {
                return Err(BinaryXmlError::Text(
                    "processing instructions have no binary XML form".into(),
                ))
            }
            Event::DocType(_) => {
                return Err(BinaryXmlError::Text("DTDs are not accepted".into()));
            }
            Event::Eof => return Ok(()),
        }
    }
}

fn start_event<S>(start: &BytesStart<'_>, sink: &mut S) -> Result<(), BinaryXmlError>
where
    S: for<'e> EventSink<'e> + ?Sized,
{
    let (prefix, local) = split_qname(start.name().0)?;
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| BinaryXmlError::Text(e.to_string()))?;
        let (a_prefix, a_local) = split_qname(attribute.key.0)?;
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| BinaryXmlError::Text(e.to_string()))?;
        attributes.push(Attribute {
            prefix: Cow::Borrowed(a_prefix),
            local: Cow::Borrowed(a_local),
            value,
        });
    }
    sink.event(XmlEvent::StartElement {
        prefix: Cow::Borrowed(prefix),
        local: Cow::Borrowed(local),
        attributes,
    })
}

fn split_qname(name: &str) -> Result<(&str, &str), BinaryXmlError> {
    match name.split_once(':') {
        None => Ok(("", name)),
        Some((prefix, local)) if !local.contains(':') => Ok((prefix, local)),
        Some(_) => Err(BinaryXmlError::Text(format!(
            "{name:?} has more than one colon"
        ))),
    }
}

/// Whether `comment` is a valid XML comment: no `--` inside, no `-` at the end (what .NET's
/// `XmlWriter.WriteComment` insists on, in binary XML too).
pub(crate) fn comment_is_xml(comment: &str) -> bool {
    !comment.contains("--") && !comment.ends_with('-')
}

/// Whether `comment` reads back as it was from `<!--comment-->`: a valid comment without a
/// carriage return, which an XML reader turns into a line feed (end-of-line handling). Binary
/// XML carries such a comment; text cannot (found by the `binary_xml` fuzz target).
fn comment_has_text_form(comment: &str) -> bool {
    comment_is_xml(comment) && !comment.contains('\r')
}
