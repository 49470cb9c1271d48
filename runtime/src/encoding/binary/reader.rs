//! [MC-NBFX] reader: bytes to [`XmlEvent`]s.
//!
//! Every record type of MC-NBFX 2.2 is understood. The reader trusts nothing a peer sends:
//! each length is checked against the bytes that remain before it is used (so nothing is ever
//! allocated beyond the input's size, except text rendered from typed values and arrays, which
//! [`BinaryLimits`] bounds), nesting is limited, and names must be XML names so that the text
//! rendered from the events is well-formed.

use super::cursor::Cursor;
use super::dictionary::static_name;
use super::error::BinaryXmlError;
use super::events::{Attribute, AttributeBuffer, EventSink, XmlEvent};
use super::records::*;
use super::values;
use std::borrow::Cow;

/// Limits on what a binary document may make the reader produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinaryLimits {
    /// Deepest element nesting. Default 128 (what WCF relaxes `MaxDepth` to for buffered reads).
    pub max_depth: usize,
    /// Most items in one Array record. Default 16,384 (WCF's `MaxArrayLength`).
    pub max_array_length: usize,
    /// Most bytes of text XML [`binary_to_text`](super::binary_to_text) may produce; a few
    /// bytes of binary can stand for a long dictionary string or a long array. Default
    /// [`DEFAULT_MAX_TEXT_BYTES`] (4 MiB); [`BinaryMessageEncoder`](super::BinaryMessageEncoder)
    /// sets it with `with_max_expanded_size`, and a binding's `with_max_received_message_size`
    /// raises it with the message size.
    pub max_text_bytes: usize,
}

/// The default of [`BinaryLimits::max_text_bytes`]: 4 MiB, 64 times WCF's default
/// `MaxReceivedMessageSize`.
pub const DEFAULT_MAX_TEXT_BYTES: usize = 4 << 20;

impl Default for BinaryLimits {
    fn default() -> Self {
        BinaryLimits {
            max_depth: 128,
            max_array_length: 16_384,
            max_text_bytes: DEFAULT_MAX_TEXT_BYTES,
        }
    }
}

impl BinaryLimits {
    /// Limits taken from the message layer's reader quotas (depth and array length).
    pub fn from_quotas(quotas: &crate::message::ReaderQuotas) -> Self {
        BinaryLimits {
            max_depth: quotas.max_depth,
            max_array_length: quotas.max_array_length,
            ..BinaryLimits::default()
        }
    }
}

/// Reads one NBFX document and hands its events to `sink`. Odd dictionary ids are looked up
/// in `session` (the reader's [MC-NBFSE] table; empty for `msbin1`).
pub fn read_document<'a, S: EventSink<'a> + ?Sized>(
    bytes: &'a [u8],
    session: &'a [String],
    limits: &BinaryLimits,
    sink: &mut S,
) -> Result<(), BinaryXmlError> {
    read_document_at(bytes, 0, session, limits, sink)
}

/// Reads one NBFX document into a vector of events.
#[cfg(test)]
pub fn read_events<'a>(
    bytes: &'a [u8],
    session: &'a [String],
    limits: &BinaryLimits,
) -> Result<Vec<XmlEvent<'a>>, BinaryXmlError> {
    let mut events = Vec::new();
    read_document(bytes, session, limits, &mut events)?;
    Ok(events)
}

/// As [`read_document`], for a document that starts `base` bytes into a larger buffer (after
/// a session string table), so error offsets point into that buffer.
pub(crate) fn read_document_at<'a, S: EventSink<'a> + ?Sized>(
    bytes: &'a [u8],
    base: usize,
    session: &'a [String],
    limits: &BinaryLimits,
    sink: &mut S,
) -> Result<(), BinaryXmlError> {
    Reader {
        cur: Cursor::with_base(bytes, base),
        session,
        limits,
        depth: 0,
        produced: 0,
        attributes: AttributeBuffer::new(),
        sink,
    }
    .run()
    .map(drop)
}

/// Reads a document's records until `sink` reports [`done`](EventSink::done) after an
/// event, and returns the offset just past that event's record; `None` if the document ended
/// first. A streamed message's head is read this way: up to the element that holds the
/// stream, whose content then follows record by record.
pub(crate) fn read_until_done<'a, S: EventSink<'a> + ?Sized>(
    bytes: &'a [u8],
    limits: &BinaryLimits,
    sink: &mut S,
) -> Result<Option<usize>, BinaryXmlError> {
    Reader {
        cur: Cursor::new(bytes),
        session: &[],
        limits,
        depth: 0,
        produced: 0,
        attributes: AttributeBuffer::new(),
        sink,
    }
    .run()
}

/// Where a text record appears; each place allows different records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Content,
    AttributeValue,
    ListItem,
}

impl Place {
    fn describe(self) -> &'static str {
        match self {
            Place::Content => "in element content",
            Place::AttributeValue => "as an attribute value",
            Place::ListItem => "inside a text list",
        }
    }
}

struct Reader<'a, 'r, S: ?Sized> {
    cur: Cursor<'a>,
    session: &'a [String],
    limits: &'r BinaryLimits,
    depth: usize,
    /// Approximate size of the text the events stand for, bounded by `max_text_bytes`: a few
    /// bytes of Array or dictionary records can expand to far more.
    produced: usize,
    /// The current start tag's attributes, handed to the sink and reused.
    attributes: AttributeBuffer<'a>,
    sink: &'r mut S,
}

impl<'a, S: EventSink<'a> + ?Sized> Reader<'a, '_, S> {
    fn run(&mut self) -> Result<Option<usize>, BinaryXmlError> {
        while !self.cur.is_empty() {
            if self.sink.done() {
                return Ok(Some(self.cur.offset()));
            }
            let offset = self.cur.offset();
            let record = self.cur.u8("record type")?;
            match record {
                END_ELEMENT => self.end(offset)?,
                COMMENT => {
                    let comment = self.cur.string("comment")?;
                    self.emit(XmlEvent::Comment(comment.into()))?;
                }
                ARRAY => self.array()?,
                SHORT_ELEMENT..=LAST_ELEMENT => {
                    let (prefix, local) = self.element_name(record)?;
                    self.attributes()?;
                    self.push()?;
                    self.emit_start(prefix, local)?;
                }
                ZERO_TEXT..=LAST_TEXT => {
                    if self.depth == 0 {
                        return Err(unexpected(record, offset, "outside the root element"));
                    }
                    let (text, ends_element) = self.text(record, offset, Place::Content)?;
                    self.emit(XmlEvent::Text(text))?;
                    if ends_element {
                        self.end(offset)?;
                    }
                }
                _ => return Err(unexpected(record, offset, "as a record here")),
            }
        }
        if self.sink.done() {
            return Ok(Some(self.cur.offset()));
        }
        if self.depth != 0 {
            return Err(BinaryXmlError::Unclosed { open: self.depth });
        }
        Ok(None)
    }

    /// Emits the start tag whose attributes [`attributes`](Self::attributes) read.
    fn emit_start(
        &mut self,
        prefix: Cow<'a, str>,
        local: Cow<'a, str>,
    ) -> Result<(), BinaryXmlError> {
        self.charge(start_tag_size(&prefix, &local, &self.attributes))?;
        self.sink.start_element(prefix, local, &mut self.attributes)
    }

    fn emit(&mut self, event: XmlEvent<'a>) -> Result<(), BinaryXmlError> {
        let size = match &event {
            XmlEvent::StartElement {
                prefix,
                local,
                attributes,
            } => start_tag_size(prefix, local, attributes),
            XmlEvent::Text(text) | XmlEvent::Comment(text) => text.len(),
            XmlEvent::EndElement => 0,
        };
        self.charge(size)?;
        self.sink.event(event)
    }

    /// Counts `size` bytes of text XML against `max_text_bytes`.
    fn charge(&mut self, size: usize) -> Result<(), BinaryXmlError> {
        self.produced = self.produced.saturating_add(size);
        if self.produced > self.limits.max_text_bytes {
            return Err(BinaryXmlError::QuotaExceeded(format!(
                "document expands to more than {} bytes of XML",
                self.limits.max_text_bytes
            )));
        }
        Ok(())
    }

    fn push(&mut self) -> Result<(), BinaryXmlError> {
        if self.depth >= self.limits.max_depth {
            return Err(BinaryXmlError::TooDeep {
                max: self.limits.max_depth,
            });
        }
        self.depth += 1;
        Ok(())
    }

    fn end(&mut self, offset: usize) -> Result<(), BinaryXmlError> {
        if self.depth == 0 {
            return Err(unexpected(END_ELEMENT, offset, "without an open element"));
        }
        self.depth -= 1;
        self.emit(XmlEvent::EndElement)
    }

    /// A DictionaryString: even ids are static, odd ids index the session table.
    fn dictionary_string(&mut self) -> Result<Cow<'a, str>, BinaryXmlError> {
        self.dictionary_name().map(|(name, _)| name)
    }

    /// A DictionaryString, and whether it is a static string known to be an XML name (so
    /// that the names of SOAP and WS-* elements need no check on every message).
    fn dictionary_name(&mut self) -> Result<(Cow<'a, str>, bool), BinaryXmlError> {
        let offset = self.cur.offset();
        let id = self.cur.mb31()?;
        if id % 2 == 0 {
            static_name(id)
                .map(|(name, is_ncname)| (Cow::Borrowed(name), is_ncname))
                .ok_or(BinaryXmlError::UndefinedStaticString { id, offset })
        } else {
            let session = self.session;
            session
                .get((id / 2) as usize)
                .map(|s| (Cow::Borrowed(s.as_str()), false))
                .ok_or(BinaryXmlError::UndefinedSessionString {
                    id,
                    offset,
                    known: session.len(),
                })
        }
    }

    fn inline_string(&mut self, what: &'static str) -> Result<Cow<'a, str>, BinaryXmlError> {
        self.cur.string(what).map(Cow::Borrowed)
    }

    /// Prefix and local name of an element record (the type byte is already read).
    fn element_name(&mut self, record: u8) -> Result<(Cow<'a, str>, Cow<'a, str>), BinaryXmlError> {
        let offset = self.cur.offset();
        let (prefix, local) = match record {
            SHORT_ELEMENT => (Cow::Borrowed(""), self.inline_string("element name")?),
            ELEMENT => {
                let prefix = self.inline_string("element prefix")?;
                (prefix, self.inline_string("element name")?)
            }
            SHORT_DICTIONARY_ELEMENT => (Cow::Borrowed(""), self.dictionary_string()?),
            DICTIONARY_ELEMENT => {
                let prefix = self.inline_string("element prefix")?;
                (prefix, self.dictionary_string()?)
            }
            PREFIX_DICTIONARY_ELEMENT_A..PREFIX_ELEMENT_A => {
                let prefix = prefix_letter(record, PREFIX_DICTIONARY_ELEMENT_A);
                let (local, checked) = self.dictionary_name()?;
                if checked {
                    // A letter and a static XML name: nothing to check.
                    return Ok((Cow::Borrowed(prefix), local));
                }
                (Cow::Borrowed(prefix), local)
            }
            PREFIX_ELEMENT_A..=LAST_ELEMENT => (
                Cow::Borrowed(prefix_letter(record, PREFIX_ELEMENT_A)),
                self.inline_string("element name")?,
            ),
            _ => return Err(unexpected(record, offset, "as an element record")),
        };
        check_qname(&prefix, &local, "element name", offset)?;
        if prefix == "xmlns" {
            return Err(BinaryXmlError::invalid(
                "element name",
                offset,
                "the xmlns prefix cannot name an element",
            ));
        }
        Ok((prefix, local))
    }

    /// Reads the attribute records that follow an element record into
    /// [`attributes`](Self::attributes).
    fn attributes(&mut self) -> Result<(), BinaryXmlError> {
        self.attributes.clear();
        while let Some(record @ SHORT_ATTRIBUTE..=0x3F) = self.cur.peek() {
            self.cur.u8("attribute record")?;
            let attribute = self.attribute(record)?;
            self.attributes.push(attribute);
        }
        Ok(())
    }

    fn attribute(&mut self, record: u8) -> Result<Attribute<'a>, BinaryXmlError> {
        let offset = self.cur.offset();
        let (prefix, local) = match record {
            SHORT_XMLNS_ATTRIBUTE | SHORT_DICTIONARY_XMLNS_ATTRIBUTE => {
                let ns = if record == SHORT_XMLNS_ATTRIBUTE {
                    self.inline_string("namespace")?
                } else {
                    self.dictionary_string()?
                };
                return Ok(Attribute::new("", "xmlns", ns));
            }
            XMLNS_ATTRIBUTE | DICTIONARY_XMLNS_ATTRIBUTE => {
                let prefix = self.inline_string("namespace prefix")?;
                if !is_ncname(&prefix) || prefix == "xmlns" {
                    return Err(BinaryXmlError::invalid(
                        "namespace prefix",
                        offset,
                        format!("{prefix:?} cannot be declared"),
                    ));
                }
                let ns = if record == XMLNS_ATTRIBUTE {
                    self.inline_string("namespace")?
                } else {
                    self.dictionary_string()?
                };
                return Ok(Attribute::new("xmlns", prefix, ns));
            }
            SHORT_ATTRIBUTE => (Cow::Borrowed(""), self.inline_string("attribute name")?),
            ATTRIBUTE => {
                let prefix = self.inline_string("attribute prefix")?;
                (prefix, self.inline_string("attribute name")?)
            }
            SHORT_DICTIONARY_ATTRIBUTE => (Cow::Borrowed(""), self.dictionary_string()?),
            DICTIONARY_ATTRIBUTE => {
                let prefix = self.inline_string("attribute prefix")?;
                (prefix, self.dictionary_string()?)
            }
            PREFIX_DICTIONARY_ATTRIBUTE_A..PREFIX_ATTRIBUTE_A => {
                let prefix = prefix_letter(record, PREFIX_DICTIONARY_ATTRIBUTE_A);
                let (local, checked) = self.dictionary_name()?;
                if checked {
                    // A letter and a static XML name: no check, and never a declaration.
                    return self.attribute_value(Cow::Borrowed(prefix), local);
                }
                (Cow::Borrowed(prefix), local)
            }
            _ => (
                Cow::Borrowed(prefix_letter(record, PREFIX_ATTRIBUTE_A)),
                self.inline_string("attribute name")?,
            ),
        };
        check_qname(&prefix, &local, "attribute name", offset)?;
        // Declarations have records of their own; as a plain attribute they would change
        // the namespace scope behind the reader's back.
        if prefix == "xmlns" || (prefix.is_empty() && local == "xmlns") {
            return Err(BinaryXmlError::invalid(
                "attribute name",
                offset,
                "namespace declarations need an xmlns record",
            ));
        }
        self.attribute_value(prefix, local)
    }

    /// The value record of the attribute named so far.
    fn attribute_value(
        &mut self,
        prefix: Cow<'a, str>,
        local: Cow<'a, str>,
    ) -> Result<Attribute<'a>, BinaryXmlError> {
        let value_offset = self.cur.offset();
        let value_record = self.cur.u8("attribute value")?;
        let (value, _) = self.text(value_record, value_offset, Place::AttributeValue)?;
        Ok(Attribute {
            prefix,
            local,
            value,
        })
    }

    /// A text record's value, and whether it also ends the element.
    fn text(
        &mut self,
        record: u8,
        offset: usize,
        place: Place,
    ) -> Result<(Cow<'a, str>, bool), BinaryXmlError> {
        if !(ZERO_TEXT..=LAST_TEXT).contains(&record) {
            return Err(unexpected(record, offset, place.describe()));
        }
        let ends_element = record & 1 == 1;
        if ends_element && place != Place::Content {
            return Err(unexpected(record, offset, place.describe()));
        }
        let kind = record & !1;
        let text: Cow<'a, str> = match kind {
            START_LIST_TEXT if !ends_element && place != Place::ListItem => {
                return self.list(place);
            }
            START_LIST_TEXT | END_LIST_TEXT => {
                return Err(unexpected(record, offset, place.describe()))
            }
            ZERO_TEXT => "0".into(),
            ONE_TEXT => "1".into(),
            FALSE_TEXT => "false".into(),
            TRUE_TEXT => "true".into(),
            EMPTY_TEXT => "".into(),
            CHARS8_TEXT | CHARS16_TEXT | CHARS32_TEXT => {
                let len = self.length(kind - CHARS8_TEXT)?;
                Cow::Borrowed(self.cur.utf8(len, "text")?)
            }
            BYTES8_TEXT | BYTES16_TEXT | BYTES32_TEXT => {
                let len = self.length(kind - BYTES8_TEXT)?;
                values::render_base64(self.cur.take(len, "bytes")?).into()
            }
            UNICODE_CHARS8_TEXT | UNICODE_CHARS16_TEXT | UNICODE_CHARS32_TEXT => {
                let len = self.length(kind - UNICODE_CHARS8_TEXT)?;
                let start = self.cur.offset();
                utf16(self.cur.take(len, "UTF-16 text")?, start)?.into()
            }
            DICTIONARY_TEXT => self.dictionary_string()?,
            QNAME_DICTIONARY_TEXT => {
                let letter = self.cur.u8("QName prefix")?;
                if letter >= 26 {
                    return Err(BinaryXmlError::invalid(
                        "QName prefix",
                        offset,
                        format!("index {letter} is past 'z'"),
                    ));
                }
                let local = self.dictionary_string()?;
                format!("{}:{local}", prefix_letter(letter, 0)).into()
            }
            _ => fixed_value(kind, &mut self.cur, offset)?.into(),
        };
        Ok((text, ends_element))
    }

    /// The length of a Chars/Bytes/UnicodeChars record: `step` 0, 2, 4 selects the 8-, 16- or
    /// 32-bit form (the 32-bit one is signed, and negative is invalid).
    fn length(&mut self, step: u8) -> Result<u64, BinaryXmlError> {
        let offset = self.cur.offset();
        match step {
            0 => Ok(u64::from(self.cur.u8("length")?)),
            2 => Ok(u64::from(self.cur.u16("length")?)),
            _ => {
                let len = self.cur.i32("length")?;
                u64::try_from(len)
                    .map_err(|_| BinaryXmlError::invalid("length", offset, "negative"))
            }
        }
    }

    /// StartList ... EndList: text records joined by single spaces.
    fn list(&mut self, place: Place) -> Result<(Cow<'a, str>, bool), BinaryXmlError> {
        let mut joined = String::new();
        let mut first = true;
        loop {
            let offset = self.cur.offset();
            let record = self.cur.u8("list item")?;
            if record & !1 == END_LIST_TEXT {
                let ends_element = record & 1 == 1;
                if ends_element && place != Place::Content {
                    return Err(unexpected(record, offset, place.describe()));
                }
                return Ok((joined.into(), ends_element));
            }
            let (item, _) = self.text(record, offset, Place::ListItem)?;
            if !first {
                joined.push(' ');
            }
            first = false;
            joined.push_str(&item);
            if joined.len() > self.limits.max_text_bytes {
                return Err(BinaryXmlError::QuotaExceeded(format!(
                    "text list longer than {} bytes",
                    self.limits.max_text_bytes
                )));
            }
        }
    }

    /// Array: an element record with attributes, EndElement, a value type, an MB31 count, and
    /// that many fixed-size values; it stands for `count` copies of the element, each holding
    /// one value.
    fn array(&mut self) -> Result<(), BinaryXmlError> {
        let offset = self.cur.offset();
        let record = self.cur.u8("array element")?;
        if !(SHORT_ELEMENT..=LAST_ELEMENT).contains(&record) {
            return Err(unexpected(record, offset, "as an array's element record"));
        }
        let (prefix, local) = self.element_name(record)?;
        self.attributes()?;
        let attributes = std::mem::take(&mut self.attributes);
        let end_offset = self.cur.offset();
        let end = self.cur.u8("array element end")?;
        if end != END_ELEMENT {
            return Err(unexpected(
                end,
                end_offset,
                "after an array's element record",
            ));
        }
        let type_offset = self.cur.offset();
        let value_type = self.cur.u8("array value type")?;
        let Some(size) = array_item_size(value_type) else {
            return Err(unexpected(
                value_type,
                type_offset,
                "as an array value type",
            ));
        };
        let count = self.cur.mb31()?;
        if count as usize > self.limits.max_array_length {
            return Err(BinaryXmlError::QuotaExceeded(format!(
                "array of {count} items, over the limit of {}",
                self.limits.max_array_length
            )));
        }
        let data_offset = self.cur.offset();
        let data = self.cur.take(u64::from(count) * size, "array values")?;
        // The array's elements nest one level below the current element.
        self.push()?;
        self.depth -= 1;
        let mut items = Cursor::with_base(data, data_offset);
        for _ in 0..count {
            let item_offset = items.offset();
            let value = fixed_value(value_type & !1, &mut items, item_offset)?;
            self.attributes.clone_from(&attributes);
            self.emit_start(prefix.clone(), local.clone())?;
            self.emit(XmlEvent::Text(value.into()))?;
            self.emit(XmlEvent::EndElement)?;
        }
        Ok(())
    }
}

/// Bytes per item of the value types an Array record may hold (all WithEndElement variants).
fn array_item_size(value_type: u8) -> Option<u64> {
    Some(match value_type {
        0xB5 => 1,                      // Bool
        0x8B => 2,                      // Int16
        0x8D | 0x91 => 4,               // Int32, Float
        0x8F | 0x93 | 0x97 | 0xAF => 8, // Int64, Double, DateTime, TimeSpan
        0x95 | 0xB1 => 16,              // Decimal, Guid
        _ => return None,
    })
}

/// A fixed-size typed value (the payload of text record `kind`, an even type byte) as text.
fn fixed_value(kind: u8, cur: &mut Cursor<'_>, offset: usize) -> Result<String, BinaryXmlError> {
    Ok(match kind {
        INT8_TEXT => (cur.u8("Int8")? as i8).to_string(),
        INT16_TEXT => i16::from_le_bytes(cur.array("Int16")?).to_string(),
        INT32_TEXT => cur.i32("Int32")?.to_string(),
        INT64_TEXT => i64::from_le_bytes(cur.array("Int64")?).to_string(),
        UINT64_TEXT => cur.u64("UInt64")?.to_string(),
        FLOAT_TEXT => values::render_f32(f32::from_le_bytes(cur.array("Float")?)),
        DOUBLE_TEXT => values::render_f64(f64::from_le_bytes(cur.array("Double")?)),
        DECIMAL_TEXT => values::render_decimal(&cur.array("Decimal")?)
            .map_err(|reason| BinaryXmlError::invalid("Decimal", offset, reason))?,
        DATETIME_TEXT => values::render_datetime(cur.u64("DateTime")?)
            .map_err(|reason| BinaryXmlError::invalid("DateTime", offset, reason))?,
        TIMESPAN_TEXT => values::render_timespan(i64::from_le_bytes(cur.array("TimeSpan")?)),
        UUID_TEXT => values::render_guid(cur.array("Guid")?),
        UNIQUE_ID_TEXT => values::render_unique_id(cur.array("UniqueId")?),
        BOOL_TEXT => match cur.u8("Bool")? {
            0 => "false".into(),
            1 => "true".into(),
            other => {
                return Err(BinaryXmlError::invalid(
                    "Bool",
                    offset,
                    format!("byte {other} is neither 0 nor 1"),
                ))
            }
        },
        _ => return Err(unexpected(kind, offset, "as a text record")),
    })
}

fn utf16(bytes: &[u8], offset: usize) -> Result<String, BinaryXmlError> {
    let bad = || BinaryXmlError::InvalidEncoding {
        encoding: "UTF-16LE",
        what: "text",
        offset,
    };
    if bytes.len() % 2 != 0 {
        return Err(bad());
    }
    let units = bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| bad())
}

/// About the bytes a start tag takes as text XML, its end tag included.
fn start_tag_size(prefix: &str, local: &str, attributes: &[Attribute<'_>]) -> usize {
    let attributes: usize = attributes
        .iter()
        .map(|a| a.prefix.len() + a.local.len() + a.value.len() + 4)
        .sum();
    2 * (prefix.len() + local.len()) + attributes + 5
}

fn check_qname(
    prefix: &str,
    local: &str,
    what: &'static str,
    offset: usize,
) -> Result<(), BinaryXmlError> {
    if !is_ncname(local) || !(prefix.is_empty() || is_ncname(prefix)) {
        return Err(BinaryXmlError::invalid(
            what,
            offset,
            format!("{prefix:?}:{local:?} is not an XML name"),
        ));
    }
    Ok(())
}

fn unexpected(record: u8, offset: usize, context: &'static str) -> BinaryXmlError {
    BinaryXmlError::UnexpectedRecord {
        record,
        offset,
        context,
    }
}
