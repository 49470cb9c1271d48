//! [MC-NBFX] writer: [`XmlEvent`]s to bytes.
//!
//! Names and namespaces go out as dictionary records whenever the static dictionary or the
//! session table has them (new ones are added to the session table while its quota lasts,
//! as WCF does for its contract names). Text uses a compact record only where reading it back
//! yields the very same string: `0`/`1`/`true`/`false`, canonical integers, lowercase GUIDs
//! and `urn:uuid:` ids, the empty string, and strings already in a dictionary. Everything
//! else is UTF-8 `Chars` text. Text that closes its element uses the WithEndElement form.

use super::cursor::{len_to_mb31, write_mb31};
use super::dictionary::static_id;
use super::error::BinaryXmlError;
use super::events::{Attribute, EventSink, XmlEvent};
use super::records::*;
use super::string_table::WriterSession;
use super::text::comment_is_xml;
use super::values::{canonical_guid, canonical_integer, typed_record, TypedRecord};
use crate::xml::TextType;

/// The largest pending-text buffer a session keeps between messages.
const KEPT_TEXT_BUFFER: usize = 4096;

/// Writes one NBFX document from events. With a session, new names are added to it; the
/// caller writes the session's table in front of the document (see
/// [`text_to_binary`](super::text_to_binary)).
#[derive(Debug)]
pub struct BinaryWriter<'s> {
    out: Vec<u8>,
    session: Option<&'s mut WriterSession>,
    /// Text not yet written (when `pending`): it becomes a WithEndElement record if an end
    /// element follows. The buffer is kept between texts so that each costs no allocation.
    text: String,
    pending: bool,
    /// The .NET type of the pending text, when the serializer said (see
    /// [`typed_text`](Self::typed_text)).
    pending_type: Option<TextType>,
    depth: usize,
}

impl<'s> BinaryWriter<'s> {
    /// A writer using the static dictionary and, if given, a session table.
    pub fn new(session: Option<&'s mut WriterSession>) -> Self {
        BinaryWriter {
            out: Vec::new(),
            session,
            text: String::new(),
            pending: false,
            pending_type: None,
            depth: 0,
        }
    }

    /// A writer that appends to `buffer` (handed back by [`finish_into`](Self::finish_into)),
    /// so a message can be written where it will be sent from.
    pub(crate) fn appending(mut session: Option<&'s mut WriterSession>, buffer: Vec<u8>) -> Self {
        // The session lends its text buffer for the message (given back by `finish_into`).
        let text = session
            .as_deref_mut()
            .map(|s| std::mem::take(&mut s.text_buffer))
            .unwrap_or_default();
        BinaryWriter {
            out: buffer,
            text,
            ..BinaryWriter::new(session)
        }
    }

    /// As [`finish`](Self::finish), but the buffer comes back whatever the outcome, for the
    /// caller to keep or roll back.
    pub(crate) fn finish_into(mut self) -> (Result<(), BinaryXmlError>, Vec<u8>) {
        let closed = match self.depth {
            0 => Ok(()),
            open => Err(BinaryXmlError::Unclosed { open }),
        };
        let result = self.flush_text().and(closed);
        if let Some(session) = self.session.as_deref_mut() {
            let mut text = std::mem::take(&mut self.text);
            text.clear();
            // A huge text is not kept for the rest of the connection.
            if text.capacity() <= KEPT_TEXT_BUFFER {
                session.text_buffer = text;
            }
        }
        (result, self.out)
    }

    /// What [`start`](Self::start) writes for an element named by the static dictionary's
    /// string `id`, with the one-letter prefix `letter` (0 for `a`), no attributes. For
    /// callers that know their names at compile time: no lookup and no name check, because
    /// the caller's constants were checked once (in the tests).
    pub(crate) fn start_static(&mut self, letter: u8, id: u32) -> Result<(), BinaryXmlError> {
        self.flush_text()?;
        self.depth += 1;
        self.dictionary_record(PREFIX_DICTIONARY_ELEMENT_A + letter, id);
        Ok(())
    }

    /// What [`start`](Self::start) writes for `{letter}:{static name id}="value"`.
    pub(crate) fn attribute_static(
        &mut self,
        letter: u8,
        id: u32,
        value: &str,
    ) -> Result<(), BinaryXmlError> {
        self.dictionary_record(PREFIX_DICTIONARY_ATTRIBUTE_A + letter, id);
        self.text_record(value, false)
    }

    /// What [`start`](Self::start) writes for an element named by the static dictionary's
    /// string `id` with a prefix longer than a letter (a valid name, checked by the caller's
    /// tests), no attributes.
    pub(crate) fn start_static_prefixed(
        &mut self,
        prefix: &str,
        id: u32,
    ) -> Result<(), BinaryXmlError> {
        self.flush_text()?;
        self.depth += 1;
        self.out.push(DICTIONARY_ELEMENT);
        self.string(prefix)?;
        write_mb31(&mut self.out, id);
        Ok(())
    }

    /// What [`start`](Self::start) writes for the unprefixed attribute named by the static
    /// dictionary's string `id`, with `value`.
    pub(crate) fn attribute_static_unprefixed(
        &mut self,
        id: u32,
        value: &str,
    ) -> Result<(), BinaryXmlError> {
        self.dictionary_record(SHORT_DICTIONARY_ATTRIBUTE, id);
        self.text_record(value, false)
    }

    /// What the events `Text(text)` then `EndElement` write, right after a start tag: the
    /// text's record with the end folded in (no text event for empty text, as text XML
    /// has no empty text node).
    pub(crate) fn text_and_end(&mut self, text: &str) -> Result<(), BinaryXmlError> {
        if text.is_empty() || self.pending {
            if !text.is_empty() {
                self.event(XmlEvent::Text(std::borrow::Cow::Borrowed(text)))?;
            }
            return self.end();
        }
        if self.depth == 0 {
            return Err(BinaryXmlError::Text("end element without a start".into()));
        }
        self.pending_type = None;
        self.text_record(text, true)?;
        self.depth -= 1;
        Ok(())
    }

    /// What [`start`](Self::start) writes for a declaration of `prefix` (a valid, non-empty
    /// one) as the static dictionary's string `id`.
    pub(crate) fn declare_static(&mut self, prefix: &str, id: u32) -> Result<(), BinaryXmlError> {
        self.out.push(DICTIONARY_XMLNS_ATTRIBUTE);
        self.string(prefix)?;
        write_mb31(&mut self.out, id);
        Ok(())
    }

    /// A namespace declaration on the element just started.
    pub(crate) fn declare(&mut self, prefix: &str, namespace: &str) -> Result<(), BinaryXmlError> {
        self.xmlns(prefix, namespace)
    }

    /// The document, once every element is closed.
    pub fn finish(mut self) -> Result<Vec<u8>, BinaryXmlError> {
        self.flush_text()?;
        if self.depth != 0 {
            return Err(BinaryXmlError::Unclosed { open: self.depth });
        }
        Ok(self.out)
    }

    /// A dictionary id for `s`: static first, then the session (adding it if `may_add`).
    fn key(&mut self, s: &str, may_add: bool) -> Option<u32> {
        static_id(s).or_else(|| self.session.as_mut()?.key(s, may_add))
    }

    fn string(&mut self, s: &str) -> Result<(), BinaryXmlError> {
        write_mb31(&mut self.out, len_to_mb31(s.len(), "string")?);
        self.out.extend_from_slice(s.as_bytes());
        Ok(())
    }

    fn start(
        &mut self,
        prefix: &str,
        local: &str,
        attributes: &[Attribute<'_>],
    ) -> Result<(), BinaryXmlError> {
        self.flush_text()?;
        check_names(prefix, local, "element")?;
        self.depth += 1;
        let key = self.key(local, true);
        match (prefix.is_empty(), letter_index(prefix), key) {
            (true, _, Some(id)) => self.dictionary_record(SHORT_DICTIONARY_ELEMENT, id),
            (true, _, None) => {
                self.out.push(SHORT_ELEMENT);
                self.string(local)?;
            }
            (false, Some(letter), Some(id)) => {
                self.dictionary_record(PREFIX_DICTIONARY_ELEMENT_A + letter, id)
            }
            (false, Some(letter), None) => {
                self.out.push(PREFIX_ELEMENT_A + letter);
                self.string(local)?;
            }
            (false, None, Some(id)) => {
                self.out.push(DICTIONARY_ELEMENT);
                self.string(prefix)?;
                write_mb31(&mut self.out, id);
            }
            (false, None, None) => {
                self.out.push(ELEMENT);
                self.string(prefix)?;
                self.string(local)?;
            }
        }
        for attribute in attributes {
            match attribute.declared_prefix() {
                Some(declared) => self.xmlns(declared, &attribute.value)?,
                None => self.attribute(attribute)?,
            }
        }
        Ok(())
    }

    fn dictionary_record(&mut self, record: u8, id: u32) {
        self.out.push(record);
        write_mb31(&mut self.out, id);
    }

    fn xmlns(&mut self, prefix: &str, namespace: &str) -> Result<(), BinaryXmlError> {
        if !prefix.is_empty() && (!is_ncname(prefix) || prefix == "xmlns") {
            return Err(BinaryXmlError::Text(format!(
                "cannot declare prefix {prefix:?}"
            )));
        }
        let key = self.key(namespace, true);
        match (prefix.is_empty(), key) {
            (true, Some(id)) => self.dictionary_record(SHORT_DICTIONARY_XMLNS_ATTRIBUTE, id),
            (true, None) => {
                self.out.push(SHORT_XMLNS_ATTRIBUTE);
                self.string(namespace)?;
            }
            (false, Some(id)) => {
                self.out.push(DICTIONARY_XMLNS_ATTRIBUTE);
                self.string(prefix)?;
                write_mb31(&mut self.out, id);
            }
            (false, None) => {
                self.out.push(XMLNS_ATTRIBUTE);
                self.string(prefix)?;
                self.string(namespace)?;
            }
        }
        Ok(())
    }

    fn attribute(&mut self, attribute: &Attribute<'_>) -> Result<(), BinaryXmlError> {
        let (prefix, local) = (&*attribute.prefix, &*attribute.local);
        check_names(prefix, local, "attribute")?;
        let key = self.key(local, true);
        match (prefix.is_empty(), letter_index(prefix), key) {
            (true, _, Some(id)) => self.dictionary_record(SHORT_DICTIONARY_ATTRIBUTE, id),
            (true, _, None) => {
                self.out.push(SHORT_ATTRIBUTE);
                self.string(local)?;
            }
            (false, Some(letter), Some(id)) => {
                self.dictionary_record(PREFIX_DICTIONARY_ATTRIBUTE_A + letter, id)
            }
            (false, Some(letter), None) => {
                self.out.push(PREFIX_ATTRIBUTE_A + letter);
                self.string(local)?;
            }
            (false, None, Some(id)) => {
                self.out.push(DICTIONARY_ATTRIBUTE);
                self.string(prefix)?;
                write_mb31(&mut self.out, id);
            }
            (false, None, None) => {
                self.out.push(ATTRIBUTE);
                self.string(prefix)?;
                self.string(local)?;
            }
        }
        self.text_record(&attribute.value, false)
    }

    fn end(&mut self) -> Result<(), BinaryXmlError> {
        if self.depth == 0 {
            return Err(BinaryXmlError::Text("end element without a start".into()));
        }
        if self.pending {
            self.with_pending_text(|writer, text| writer.text_record(text, true))?;
        } else {
            self.out.push(END_ELEMENT);
        }
        self.depth -= 1;
        Ok(())
    }

    /// Runs `write` on the pending text, which is then no longer pending.
    fn with_pending_text<F>(&mut self, write: F) -> Result<(), BinaryXmlError>
    where
        F: FnOnce(&mut Self, &str) -> Result<(), BinaryXmlError>,
    {
        let mut text = std::mem::take(&mut self.text);
        self.pending = false;
        let result = write(self, &text);
        text.clear();
        self.text = text;
        result
    }

    fn flush_text(&mut self) -> Result<(), BinaryXmlError> {
        if !self.pending {
            return Ok(());
        }
        if self.depth > 0 {
            return self.with_pending_text(|writer, text| writer.text_record(text, false));
        }
        self.pending = false;
        self.pending_type = None;
        let text = &self.text;
        // Outside the root only whitespace is XML, and binary XML has no place for it.
        let whitespace = text
            .bytes()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        self.text.clear();
        if whitespace {
            Ok(())
        } else {
            Err(BinaryXmlError::Text("text outside the root element".into()))
        }
    }

    /// Text holding a value of .NET type `ty`: written as that type's record (as WCF's writer
    /// writes `WriteValue`) where the record reads back as the same text.
    pub(crate) fn typed_text(&mut self, ty: TextType, text: &str) {
        self.pending_type = if self.pending { None } else { Some(ty) };
        self.text.push_str(text);
        self.pending = true;
    }

    /// The record of a typed value, if `text` has one.
    fn typed_value_record(&mut self, ty: TextType, text: &str, end: u8) -> bool {
        let Some(record) = typed_record(ty, text) else {
            return false;
        };
        match record {
            TypedRecord::Integer(value) => self.integer(value, end),
            TypedRecord::Float(value) => {
                self.out.push(FLOAT_TEXT | end);
                self.out.extend_from_slice(&value.to_le_bytes());
            }
            TypedRecord::Double(value) => {
                self.out.push(DOUBLE_TEXT | end);
                self.out.extend_from_slice(&value.to_le_bytes());
            }
            TypedRecord::Decimal(bytes) => {
                self.out.push(DECIMAL_TEXT | end);
                self.out.extend_from_slice(&bytes);
            }
            TypedRecord::DateTime(raw) => {
                self.out.push(DATETIME_TEXT | end);
                self.out.extend_from_slice(&raw.to_le_bytes());
            }
            TypedRecord::TimeSpan(ticks) => {
                self.out.push(TIMESPAN_TEXT | end);
                self.out.extend_from_slice(&ticks.to_le_bytes());
            }
            TypedRecord::Bytes(bytes) => {
                let len = bytes.len();
                if let Ok(len8) = u8::try_from(len) {
                    self.out.extend_from_slice(&[BYTES8_TEXT | end, len8]);
                } else if let Ok(len16) = u16::try_from(len) {
                    self.out.push(BYTES16_TEXT | end);
                    self.out.extend_from_slice(&len16.to_le_bytes());
                } else if let Ok(len32) = u32::try_from(len) {
                    self.out.push(BYTES32_TEXT | end);
                    self.out.extend_from_slice(&len32.to_le_bytes());
                } else {
                    return false;
                }
                self.out.extend_from_slice(&bytes);
            }
        }
        true
    }

    /// The most compact text record that reads back as exactly `text`.
    fn text_record(&mut self, text: &str, ends_element: bool) -> Result<(), BinaryXmlError> {
        let end = u8::from(ends_element);
        if let Some(ty) = self.pending_type.take() {
            if self.typed_value_record(ty, text, end) {
                return Ok(());
            }
        }
        let simple = match text {
            "" => Some(EMPTY_TEXT),
            "0" => Some(ZERO_TEXT),
            "1" => Some(ONE_TEXT),
            "false" => Some(FALSE_TEXT),
            "true" => Some(TRUE_TEXT),
            _ => None,
        };
        if let Some(record) = simple {
            self.out.push(record | end);
            return Ok(());
        }
        if let Some(value) = canonical_integer(text) {
            self.integer(value, end);
            return Ok(());
        }
        if let Some(bytes) = text.strip_prefix("urn:uuid:").and_then(canonical_guid) {
            self.out.push(UNIQUE_ID_TEXT | end);
            self.out.extend_from_slice(&bytes);
            return Ok(());
        }
        if let Some(bytes) = canonical_guid(text) {
            self.out.push(UUID_TEXT | end);
            self.out.extend_from_slice(&bytes);
            return Ok(());
        }
        // Text is not added to the session table (WCF adds only names it knows statically),
        // but a string the peer already knows costs a dictionary id.
        if let Some(id) = self.key(text, false) {
            self.dictionary_record(DICTIONARY_TEXT | end, id);
            return Ok(());
        }
        let len = text.len();
        if let Ok(len8) = u8::try_from(len) {
            self.out.extend_from_slice(&[CHARS8_TEXT | end, len8]);
        } else if let Ok(len16) = u16::try_from(len) {
            self.out.push(CHARS16_TEXT | end);
            self.out.extend_from_slice(&len16.to_le_bytes());
        } else {
            let len32 = len_to_mb31(len, "text")?;
            self.out.push(CHARS32_TEXT | end);
            self.out.extend_from_slice(&len32.to_le_bytes());
        }
        self.out.extend_from_slice(text.as_bytes());
        Ok(())
    }

    /// The smallest Int record for `value`, or UInt64 above `i64::MAX`, as .NET's writer does.
    fn integer(&mut self, value: i128, end: u8) {
        if let Ok(v) = i8::try_from(value) {
            self.out.extend_from_slice(&[INT8_TEXT | end, v as u8]);
        } else if let Ok(v) = i16::try_from(value) {
            self.out.push(INT16_TEXT | end);
            self.out.extend_from_slice(&v.to_le_bytes());
        } else if let Ok(v) = i32::try_from(value) {
            self.out.push(INT32_TEXT | end);
            self.out.extend_from_slice(&v.to_le_bytes());
        } else if let Ok(v) = i64::try_from(value) {
            self.out.push(INT64_TEXT | end);
            self.out.extend_from_slice(&v.to_le_bytes());
        } else {
            // canonical_integer bounds values to u64's range.
            let v = u64::try_from(value).unwrap_or(u64::MAX);
            self.out.push(UINT64_TEXT | end);
            self.out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

impl<'a> EventSink<'a> for BinaryWriter<'_> {
    fn event(&mut self, event: XmlEvent<'a>) -> Result<(), BinaryXmlError> {
        match event {
            XmlEvent::StartElement {
                prefix,
                local,
                attributes,
            } => self.start(&prefix, &local, &attributes),
            XmlEvent::Text(text) => {
                // More text after a typed value makes the whole of it plain text.
                self.pending_type = None;
                self.text.push_str(&text);
                self.pending = true;
                Ok(())
            }
            XmlEvent::EndElement => self.end(),
            XmlEvent::Comment(comment) => {
                if !comment_is_xml(&comment) {
                    return Err(BinaryXmlError::Text(format!(
                        "comment {comment:?} is not XML"
                    )));
                }
                self.flush_text()?;
                self.out.push(COMMENT);
                self.string(&comment)
            }
        }
    }
}

fn check_names(prefix: &str, local: &str, what: &str) -> Result<(), BinaryXmlError> {
    if !is_ncname(local) || !(prefix.is_empty() || is_ncname(prefix)) || prefix == "xmlns" {
        return Err(BinaryXmlError::Text(format!(
            "{prefix:?}:{local:?} is not a valid {what} name"
        )));
    }
    Ok(())
}
