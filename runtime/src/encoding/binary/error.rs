//! The one error type of the binary XML codec.

use crate::message::XmlError;

/// What went wrong reading or writing .NET Binary XML ([MC-NBFX]/[MC-NBFS]/[MC-NBFSE]) or
/// transcoding it to and from text XML. Offsets are byte positions in the buffer being read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BinaryXmlError {
    /// A record or value needs more bytes than remain in the buffer.
    #[error("truncated {what} at offset {offset}: needs {needed} bytes, {remaining} remain")]
    Truncated {
        /// The kind of thing being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs (may be a peer's claim).
        needed: u64,
        /// Bytes left in the buffer.
        remaining: usize,
    },
    /// A MultiByteInt31 longer than 5 bytes or above 2^31 - 1.
    #[error("bad MultiByteInt31 at offset {offset}")]
    BadMb31 {
        /// Where the integer starts.
        offset: usize,
    },
    /// A record type byte that is undefined, or not allowed where it appears.
    #[error("record 0x{record:02X} at offset {offset} is not valid {context}")]
    UnexpectedRecord {
        /// The record type byte.
        record: u8,
        /// Where it is.
        offset: usize,
        /// Where it was found ("in element content", "as an attribute value", ...).
        context: &'static str,
    },
    /// An even dictionary id past the end of the [MC-NBFS] static dictionary.
    #[error("static dictionary id {id} at offset {offset} is undefined")]
    UndefinedStaticString {
        /// The wire id.
        id: u32,
        /// Where it was read.
        offset: usize,
    },
    /// An odd dictionary id that the session string table does not (yet) define.
    #[error("session dictionary id {id} at offset {offset} is undefined ({known} strings known)")]
    UndefinedSessionString {
        /// The wire id.
        id: u32,
        /// Where it was read.
        offset: usize,
        /// How many session strings the reader knows.
        known: usize,
    },
    /// Bytes that should be UTF-8 (or UTF-16LE for the Unicode text records) but are not.
    #[error("invalid {encoding} in {what} at offset {offset}")]
    InvalidEncoding {
        /// "UTF-8" or "UTF-16LE".
        encoding: &'static str,
        /// The kind of string.
        what: &'static str,
        /// Where the string starts.
        offset: usize,
    },
    /// A well-typed record whose content makes no sense (a bool that is 2, a bad name, ...).
    #[error("invalid {what} at offset {offset}: {reason}")]
    Invalid {
        /// The kind of thing.
        what: &'static str,
        /// Where it is.
        offset: usize,
        /// Why it is rejected.
        reason: String,
    },
    /// Elements nested deeper than the limit.
    #[error("elements nested deeper than {max}")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// The document ends inside an element.
    #[error("document ends with {open} element(s) still open")]
    Unclosed {
        /// Elements left open.
        open: usize,
    },
    /// A limit on arrays or output size was hit.
    #[error("quota exceeded: {0}")]
    QuotaExceeded(String),
    /// The peer's session string tables add up to more than the session quota
    /// (WCF's `MaxSessionSize`, 2,048 bytes by default).
    #[error("session string tables total {total} bytes, over the quota of {quota}")]
    SessionQuotaExceeded {
        /// Bytes the tables would total.
        total: u64,
        /// The quota.
        quota: usize,
    },
    /// A session string table that contradicts its own size; WCF then treats the session
    /// as broken for good, and so does this reader's session.
    #[error("malformed session string table: {0}")]
    MalformedStringTable(String),
    /// The reader session already failed once; nothing more can be read from it.
    #[error("the session string table was malformed earlier; the session is unusable")]
    SessionBroken,
    /// The text XML side could not be parsed or cannot be expressed in binary XML.
    #[error("text XML: {0}")]
    Text(String),
}

impl BinaryXmlError {
    pub(crate) fn invalid(what: &'static str, offset: usize, reason: impl Into<String>) -> Self {
        BinaryXmlError::Invalid {
            what,
            offset,
            reason: reason.into(),
        }
    }
}

/// Lets an encoder built on this codec report through the message layer's error type.
impl From<BinaryXmlError> for XmlError {
    fn from(err: BinaryXmlError) -> Self {
        match err {
            BinaryXmlError::TooDeep { .. }
            | BinaryXmlError::QuotaExceeded(_)
            | BinaryXmlError::SessionQuotaExceeded { .. } => {
                XmlError::QuotaExceeded(err.to_string())
            }
            other => XmlError::Malformed(other.to_string()),
        }
    }
}
