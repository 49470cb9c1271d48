//! Binary XML behind the message layer.
//!
//! [`BinaryMessageEncoder`] is WCF's `BinaryMessageEncodingBindingElement`: on its own it is
//! `application/soap+msbin1` (no string table), which needs no state between messages and so
//! fits the shared [`MessageEncoder`] trait as it is (HTTP, streamed net.tcp). For session
//! transports it also hands out `application/soap+msbinsession1` session encoders
//! ([`MessageEncoder::session_encoder`]), one per connection, each holding the string table
//! this end has sent and the one it has received. [`SessionBinaryCodec`] is the same state
//! as one object, for callers that own a connection outright.

use super::reader::read_document_at;
use super::text::TextWriter;
use super::{
    direct_read, direct_write, read_document, text_to_binary, write_message, write_message_into,
    BinaryLimits, BinaryWriter, BinaryXmlError, ReaderSession, WriterSession,
    DEFAULT_MAX_SESSION_SIZE, DEFAULT_MAX_TEXT_BYTES,
};
use crate::encoding::{
    MessageEncoder, SessionDecodeError, SessionEncoder, SessionReader, SessionWriter,
};
use crate::message::{
    read_envelope, write_envelope, Message, MessageVersion, ReaderQuotas, XmlError,
};
use bytes::Bytes;

/// The media type of the sessionless form (KnownEncoding 0x07).
const MSBIN1: &str = "application/soap+msbin1";
/// The media type of the session form (KnownEncoding 0x08).
const MSBINSESSION1: &str = "application/soap+msbinsession1";

/// WCF's binary message encoding: `application/soap+msbin1` for each message on its own
/// (KnownEncoding 0x07), and `application/soap+msbinsession1` session encoders (0x08, NetTcp's
/// default) for session transports.
#[derive(Debug, Clone)]
pub struct BinaryMessageEncoder {
    version: MessageVersion,
    quotas: ReaderQuotas,
    /// Bytes of string table per direction and connection; `None`: no session encoder.
    max_session_size: Option<usize>,
    /// Most bytes of XML one message may expand to ([`BinaryLimits::max_text_bytes`]).
    max_expanded_size: usize,
}

impl BinaryMessageEncoder {
    /// An encoder for `version` with WCF's default reader quotas and session size (2,048).
    pub fn new(version: MessageVersion) -> Self {
        BinaryMessageEncoder {
            version,
            quotas: ReaderQuotas::default(),
            max_session_size: Some(DEFAULT_MAX_SESSION_SIZE),
            max_expanded_size: DEFAULT_MAX_TEXT_BYTES,
        }
    }

    /// Sets how many bytes of XML one received message may expand to: a few bytes of binary
    /// can stand for a long dictionary string or a long array, so this bounds what a peer
    /// can make the reader produce, apart from the message's own size. Default 4 MiB
    /// (4,194,304 bytes); the standard bindings' `with_max_received_message_size`
    /// raises it to 64 times the message size, so that a raised limit is not undone here.
    pub fn with_max_expanded_size(mut self, bytes: usize) -> Self {
        self.max_expanded_size = bytes;
        self
    }

    /// The limits a received message is read under.
    fn limits(&self) -> BinaryLimits {
        limits(&self.quotas, self.max_expanded_size)
    }

    /// Replaces the reader quotas.
    pub fn with_reader_quotas(mut self, quotas: ReaderQuotas) -> Self {
        self.quotas = quotas;
        self
    }

    /// Sets WCF's `MaxSessionSize`: how many bytes of string table each direction of a
    /// connection may define. A peer that defines more gets its connection aborted.
    pub fn with_max_session_size(mut self, bytes: usize) -> Self {
        self.max_session_size = Some(bytes);
        self
    }

    /// Plain msbin1 everywhere, sessions included (KnownEncoding 0x07 over net.tcp). WCF
    /// itself never does this on a buffered net.tcp connection; it is for peers that want it.
    pub fn sessionless(mut self) -> Self {
        self.max_session_size = None;
        self
    }

    /// The reader quotas in force.
    pub fn reader_quotas(&self) -> &ReaderQuotas {
        &self.quotas
    }
}

impl MessageEncoder for BinaryMessageEncoder {
    fn message_version(&self) -> MessageVersion {
        self.version
    }

    fn media_type(&self) -> &'static str {
        MSBIN1
    }

    fn encode(&self, message: &Message, out: &mut Vec<u8>) -> Result<(), XmlError> {
        encode_message(message, None, out)
    }

    fn decode(&self, bytes: Bytes) -> Result<Message, XmlError> {
        let limits = self.limits();
        decode_document(&bytes, 0, &[], &limits, self.version, &self.quotas).map_err(|e| match e {
            Failure::Binary(e) => e.into(),
            Failure::Xml(e) => e,
        })
    }

    fn reader_quotas(&self) -> ReaderQuotas {
        self.quotas
    }

    fn session_encoder(&self) -> Option<SessionEncoder> {
        let max = self.max_session_size?;
        Some(SessionEncoder {
            media_type: MSBINSESSION1,
            writer: Box::new(BinarySessionWriter {
                session: WriterSession::with_quota(max),
            }),
            reader: Box::new(BinarySessionReader {
                version: self.version,
                quotas: self.quotas,
                max_expanded_size: self.max_expanded_size,
                session: ReaderSession::with_quota(max),
            }),
        })
    }

    fn session_media_type(&self) -> &'static str {
        match self.max_session_size {
            Some(_) => MSBINSESSION1,
            None => MSBIN1,
        }
    }
}

/// The sending half of an msbinsession1 connection.
#[derive(Debug)]
struct BinarySessionWriter {
    session: WriterSession,
}

impl SessionWriter for BinarySessionWriter {
    fn encode(&mut self, message: &Message, out: &mut Vec<u8>) -> Result<(), XmlError> {
        encode_message(message, Some(&mut self.session), out)
    }

    fn encode_frame(&mut self, frame: &[u8], out: &mut Vec<u8>) -> Result<(), XmlError> {
        // Our own msbin1 output, so the default limits never bind.
        let limits = BinaryLimits::default();
        let message = write_message(Some(&mut self.session), |writer| {
            read_document(frame, &[], &limits, writer)
        })?;
        out.extend_from_slice(&message);
        Ok(())
    }
}

/// The reader's limits: the quotas', and the expansion bound.
fn limits(quotas: &ReaderQuotas, max_expanded_size: usize) -> BinaryLimits {
    BinaryLimits {
        max_text_bytes: max_expanded_size,
        ..BinaryLimits::from_quotas(quotas)
    }
}

/// The receiving half of an msbinsession1 connection.
#[derive(Debug)]
struct BinarySessionReader {
    version: MessageVersion,
    quotas: ReaderQuotas,
    max_expanded_size: usize,
    session: ReaderSession,
}

impl BinarySessionReader {
    /// Reads the frame's string table into the session; the document follows at the
    /// returned offset.
    fn read_table(&mut self, frame: &[u8]) -> Result<usize, SessionDecodeError> {
        self.session.read_table(frame).map_err(classify)
    }
}

impl SessionReader for BinarySessionReader {
    fn decode(&mut self, frame: Bytes) -> Result<Message, SessionDecodeError> {
        let limits = limits(&self.quotas, self.max_expanded_size);
        let table_len = self.read_table(&frame)?;
        let document = frame.get(table_len..).unwrap_or_default();
        let strings = self.session.strings();
        decode_document(
            document,
            table_len,
            strings,
            &limits,
            self.version,
            &self.quotas,
        )
        .map_err(|e| match e {
            Failure::Binary(e) => classify(e),
            Failure::Xml(e) => SessionDecodeError::Message(e),
        })
    }

    fn decode_frame(&mut self, frame: Bytes) -> Result<Bytes, SessionDecodeError> {
        let limits = limits(&self.quotas, self.max_expanded_size);
        let table_len = self.read_table(&frame)?;
        let document = frame.get(table_len..).unwrap_or_default();
        let mut writer = BinaryWriter::new(None);
        read_document_at(
            document,
            table_len,
            self.session.strings(),
            &limits,
            &mut writer,
        )
        .map_err(classify)?;
        Ok(writer.finish().map_err(classify)?.into())
    }
}

/// Appends one message as msbin1 (no `session`) or msbinsession1 to `out`: straight from the
/// message model where [`direct_write`] covers it, else through text XML.
fn encode_message(
    message: &Message,
    mut session: Option<&mut WriterSession>,
    out: &mut Vec<u8>,
) -> Result<(), XmlError> {
    if direct_write::eligible(message) {
        out.reserve(direct_write::size_hint(message));
        let direct = write_message_into(session.as_deref_mut(), out, |writer| {
            direct_write::write(message, writer)
        });
        // On failure `out` and the session were rolled back; the text route then reports
        // the error as it always has.
        if direct.is_ok() {
            return Ok(());
        }
    }
    out.extend_from_slice(&encode_via_text(message, session)?);
    Ok(())
}

/// The general route: the envelope as text XML, transcoded.
pub(crate) fn encode_via_text(
    message: &Message,
    session: Option<&mut WriterSession>,
) -> Result<Vec<u8>, XmlError> {
    let mut xml = Vec::new();
    write_envelope(message, &mut xml)?;
    Ok(text_to_binary(&xml, session)?)
}

/// Why a document could not be decoded: the binary layer (which may break a session) or
/// the envelope.
#[derive(Debug)]
pub(crate) enum Failure {
    Binary(BinaryXmlError),
    Xml(XmlError),
}

/// Decodes one NBFX document (`base` bytes into its frame, after a session table of
/// `strings`): straight into the message model where [`direct_read`] covers it, else
/// through text XML, which decides every error.
pub(crate) fn decode_document(
    document: &[u8],
    base: usize,
    strings: &[String],
    limits: &BinaryLimits,
    version: MessageVersion,
    quotas: &ReaderQuotas,
) -> Result<Message, Failure> {
    if let Some(message) = direct_read::read(document, base, strings, limits, version, quotas) {
        return Ok(message);
    }
    decode_via_text(document, base, strings, limits, version, quotas)
}

/// The general route: the document rendered as text XML, read as an envelope.
pub(crate) fn decode_via_text(
    document: &[u8],
    base: usize,
    strings: &[String],
    limits: &BinaryLimits,
    version: MessageVersion,
    quotas: &ReaderQuotas,
) -> Result<Message, Failure> {
    let mut text = TextWriter::new(limits.max_text_bytes);
    read_document_at(document, base, strings, limits, &mut text).map_err(Failure::Binary)?;
    let xml = text.finish().map_err(Failure::Binary)?;
    read_envelope(Bytes::from(xml), version, quotas).map_err(Failure::Xml)
}

/// Sorts a read error: one that leaves the session's string table untrustworthy (or names a
/// string it never defined) ends the connection; anything else costs only the message.
fn classify(error: BinaryXmlError) -> SessionDecodeError {
    match error {
        BinaryXmlError::MalformedStringTable(_)
        | BinaryXmlError::SessionQuotaExceeded { .. }
        | BinaryXmlError::SessionBroken
        | BinaryXmlError::UndefinedSessionString { .. } => {
            SessionDecodeError::Session(error.to_string())
        }
        other => SessionDecodeError::Message(other.into()),
    }
}

/// `application/soap+msbinsession1` for one connection: the string table this end has sent
/// and the one it has received. Create one per framing session (a new preamble, even on a
/// reused socket, starts empty tables) and drop it with the session.
#[derive(Debug, Clone)]
#[cfg(any(test, feature = "fuzzing"))]
pub struct SessionBinaryCodec {
    version: MessageVersion,
    quotas: ReaderQuotas,
    reader: ReaderSession,
    writer: WriterSession,
}

#[cfg(any(test, feature = "fuzzing"))]
impl SessionBinaryCodec {
    /// A codec with empty tables of `max_session_size` bytes each way (WCF: 2,048).
    pub fn new(version: MessageVersion, quotas: ReaderQuotas, max_session_size: usize) -> Self {
        SessionBinaryCodec {
            version,
            quotas,
            reader: ReaderSession::with_quota(max_session_size),
            writer: WriterSession::with_quota(max_session_size),
        }
    }

    /// The media type to announce (KnownEncoding 0x08).
    #[cfg(test)]
    pub fn media_type(&self) -> &'static str {
        "application/soap+msbinsession1"
    }

    /// Encodes one message (string table + document), as the payload of a SizedEnvelope.
    pub fn encode(&mut self, message: &Message, out: &mut Vec<u8>) -> Result<(), XmlError> {
        encode_message(message, Some(&mut self.writer), out)
    }

    /// Decodes one SizedEnvelope payload. An error in the string table breaks the session
    /// for good (as in WCF): the connection should be faulted.
    pub fn decode(&mut self, bytes: Bytes) -> Result<Message, XmlError> {
        let limits = BinaryLimits::from_quotas(&self.quotas);
        let table_len = self.reader.read_table(&bytes)?;
        let document = bytes.get(table_len..).unwrap_or_default();
        let strings = self.reader.strings();
        decode_document(
            document,
            table_len,
            strings,
            &limits,
            self.version,
            &self.quotas,
        )
        .map_err(|e| match e {
            Failure::Binary(e) => e.into(),
            Failure::Xml(e) => e,
        })
    }
}
