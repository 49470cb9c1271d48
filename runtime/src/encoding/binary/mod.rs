//! .NET Binary XML: the encoding of WCF's `NetTcpBinding` and `BinaryMessageEncodingBindingElement`.
//!
//! * [MC-NBFX]: the record format ([`reader`], [`writer`]).
//! * [MC-NBFS]: the static dictionary of 487 SOAP/WS-* strings ([`dictionary`]);
//!   `application/soap+msbin1` is NBFX with this dictionary.
//! * [MC-NBFSE]: `application/soap+msbinsession1`, which adds a per-connection string table in
//!   front of each message ([`string_table`]).
//!
//! This is hand-written because no Rust crate implements these formats (crates.io has .NET
//! remoting (NRBF) and `BinaryWriter` readers, nothing for Binary XML); the PyPI `wcf`
//! package, a Python NBFX decoder, serves as a test oracle where it is installed.
//!
//! The message model stays the text one (bodies and verbatim headers are text XML): the
//! encoder goes between it and records on two routes, through a common [`XmlEvent`] stream.
//!
//! * The direct route, for ordinary messages: the envelope's own elements (Envelope, Header,
//!   the WS-Addressing headers, Body) are written from the [`Message`](crate::message::Message)
//!   as dictionary records and read from the records into its headers, and only the parts the
//!   model keeps as text are parsed (`fragment_scan`, or quick-xml for anything beyond plain
//!   elements and text) or rendered. Private modules `direct_write` and `direct_read`.
//! * The text route, for everything else (faults, comments, unusual namespaces, every
//!   error): [`text_to_binary`] after [`write_envelope`](crate::message::write_envelope), and
//!   [`binary_to_text`] before [`read_envelope`](crate::message::read_envelope), so that one
//!   envelope reader has the last word on what is accepted. The direct route declines what it
//!   does not mirror exactly, and the tests check that both routes agree wherever it accepts.
//!
//! Prefixes and namespace declarations pass through unchanged on both.
//! [`BinaryMessageEncoder`] puts the sessionless form behind the
//! [`MessageEncoder`](super::MessageEncoder) trait and hands out the session form per connection
//! ([`session_encoder`](super::MessageEncoder::session_encoder)), which `NetTcpBinding` uses;
//! [`SessionBinaryCodec`] is the session form as one object, for callers that own a connection.

pub mod dictionary;
mod direct_read;
mod direct_write;
mod encoder;
mod error;
pub(crate) mod events;
mod fragment_scan;
pub mod reader;
mod records;
pub mod stream;
pub mod string_table;
mod text;
mod values;
pub mod writer;

mod cursor;

#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzz;

#[cfg(test)]
mod tests;

pub use encoder::BinaryMessageEncoder;
#[cfg(test)]
pub use encoder::SessionBinaryCodec;
pub use error::BinaryXmlError;
#[cfg(test)]
pub use events::{normalize_text, Attribute, EventSink, OwnedEvents, XmlEvent};
#[cfg(test)]
pub use reader::read_events;
pub use reader::{read_document, BinaryLimits, DEFAULT_MAX_TEXT_BYTES};
pub use string_table::{ReaderSession, WriterSession, DEFAULT_MAX_SESSION_SIZE};
pub use text::parse_text;
pub use writer::BinaryWriter;

/// Binary XML to UTF-8 text XML (no declaration).
///
/// With a `session` (msbinsession1), `bytes` is one whole message: its string table is read
/// into the session first, then the document. Without one (msbin1), `bytes` is just the
/// document and odd dictionary ids are errors.
#[cfg(any(test, feature = "fuzzing"))]
pub fn binary_to_text(
    bytes: &[u8],
    session: Option<&mut ReaderSession>,
    limits: &BinaryLimits,
) -> Result<Vec<u8>, BinaryXmlError> {
    let mut text = text::TextWriter::new(limits.max_text_bytes);
    match session {
        Some(session) => {
            let table_len = session.read_table(bytes)?;
            let document = &bytes[table_len..];
            reader::read_document_at(document, table_len, session.strings(), limits, &mut text)?;
        }
        None => read_document(bytes, &[], limits, &mut text)?,
    }
    text.finish()
}

/// UTF-8 text XML to binary XML.
///
/// With a `session` (msbinsession1) the result is one whole message: the table of the strings
/// this message adds to the session, then the document. If the XML cannot be encoded, the
/// session is left as it was. Without a session (msbin1) the result is just the document.
pub fn text_to_binary(
    xml: &[u8],
    session: Option<&mut WriterSession>,
) -> Result<Vec<u8>, BinaryXmlError> {
    write_message(session, |writer| parse_text(xml, writer))
}

/// A session string table that defines no string: its size, 0, as one MB31 byte.
const EMPTY_TABLE: u8 = 0;

/// Runs `produce` against a fresh [`BinaryWriter`] and frames the result as a message: with a
/// session, table then document, rolling the session back on error.
pub fn write_message<F>(
    session: Option<&mut WriterSession>,
    produce: F,
) -> Result<Vec<u8>, BinaryXmlError>
where
    F: FnOnce(&mut BinaryWriter<'_>) -> Result<(), BinaryXmlError>,
{
    let mut message = Vec::new();
    write_message_into(session, &mut message, produce)?;
    Ok(message)
}

/// As [`write_message`], appending the message to `out`, which is left as it was on error
/// (and so is the session).
pub(crate) fn write_message_into<F>(
    mut session: Option<&mut WriterSession>,
    out: &mut Vec<u8>,
    produce: F,
) -> Result<(), BinaryXmlError>
where
    F: FnOnce(&mut BinaryWriter<'_>) -> Result<(), BinaryXmlError>,
{
    let start = out.len();
    let mark = session.as_deref().map(WriterSession::mark);
    // The document is written in place; the session's table, known only once the document
    // is, then goes in front of it. Most messages add no string, and their table is the one
    // byte of an empty one: written ahead, it needs no moving of the document after.
    let mut buffer = std::mem::take(out);
    if session.is_some() {
        buffer.push(EMPTY_TABLE);
    }
    let mut writer = BinaryWriter::appending(session.as_deref_mut(), buffer);
    let produced = produce(&mut writer);
    let (finished, mut buffer) = writer.finish_into();
    let mut result = produced.and(finished);
    if let (Ok(()), Some(session)) = (&result, session.as_deref_mut()) {
        if session.has_pending() {
            let mut table = Vec::new();
            result = session.write_table(&mut table);
            if result.is_ok() {
                buffer.splice(start..start + 1, table);
            }
        }
    }
    if result.is_err() {
        buffer.truncate(start);
        if let (Some(session), Some(mark)) = (session, mark) {
            session.rollback(mark);
        }
    }
    *out = buffer;
    result
}
