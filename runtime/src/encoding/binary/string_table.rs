//! [MC-NBFSE] (`application/soap+msbinsession1`): the per-connection string tables.
//!
//! Every message starts with a string table: an MB31 byte size, then that many bytes of
//! MB31-length-prefixed UTF-8 strings. Each new string gets the next odd id (1, 3, 5, ...) for
//! the rest of the connection, separately in each direction, so a connection holds one
//! [`ReaderSession`] for what it receives and one [`WriterSession`] for what it sends. Nothing
//! ever resets a table; a new framing preamble starts new sessions.
//!
//! WCF bounds each direction by `MaxSessionSize` (2,048 bytes by default), counting each
//! string's UTF-8 bytes plus its length prefix. Its writer stops adding strings at the first
//! one that does not fit and writes later names inline; its reader fails the connection when
//! the tables add up to more. Both are mirrored here.

use super::cursor::{len_to_mb31, mb31_len, write_mb31, Cursor};
use super::error::BinaryXmlError;
use std::collections::HashMap;

/// WCF's `BinaryEncoderDefaults.MaxSessionSize`: bytes of string table per direction.
pub const DEFAULT_MAX_SESSION_SIZE: usize = 2048;

/// The strings a peer has sent on one connection, in the order they were defined.
#[derive(Debug, Clone)]
pub struct ReaderSession {
    strings: Vec<String>,
    /// Sum of the table sizes read so far.
    total: u64,
    quota: usize,
    broken: bool,
}

impl Default for ReaderSession {
    fn default() -> Self {
        ReaderSession::new()
    }
}

impl ReaderSession {
    /// An empty table with WCF's default quota.
    pub fn new() -> Self {
        ReaderSession::with_quota(DEFAULT_MAX_SESSION_SIZE)
    }

    /// An empty table that accepts at most `quota` bytes of tables in all.
    pub fn with_quota(quota: usize) -> Self {
        ReaderSession {
            strings: Vec::new(),
            total: 0,
            quota,
            broken: false,
        }
    }

    /// The strings defined so far; string *i* has wire id 2*i* + 1.
    pub fn strings(&self) -> &[String] {
        &self.strings
    }

    /// Reads the string table at the start of `message`, adds its strings, and returns the
    /// number of bytes it took (the NBFX document follows). After any error the session is
    /// unusable, as in WCF: the ids of later messages could no longer be trusted.
    pub fn read_table(&mut self, message: &[u8]) -> Result<usize, BinaryXmlError> {
        if self.broken {
            return Err(BinaryXmlError::SessionBroken);
        }
        let result = self.parse_table(message);
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    fn parse_table(&mut self, message: &[u8]) -> Result<usize, BinaryXmlError> {
        let mut cur = Cursor::new(message);
        let size = cur.mb31()?;
        if size as usize > cur.remaining() {
            return Err(BinaryXmlError::MalformedStringTable(format!(
                "size {size} exceeds the {} bytes that follow",
                cur.remaining()
            )));
        }
        let total = self.total + u64::from(size);
        if total > self.quota as u64 {
            return Err(BinaryXmlError::SessionQuotaExceeded {
                total,
                quota: self.quota,
            });
        }
        let table_offset = cur.offset();
        let table = cur.take(u64::from(size), "string table")?;
        let mut strings = Cursor::with_base(table, table_offset);
        let mut added = Vec::new();
        while !strings.is_empty() {
            let s = strings.string("session string").map_err(|e| match e {
                BinaryXmlError::Truncated { offset, .. } | BinaryXmlError::BadMb31 { offset } => {
                    BinaryXmlError::MalformedStringTable(format!(
                        "string at offset {offset} overruns the table"
                    ))
                }
                other => other,
            })?;
            added.push(s.to_owned());
        }
        self.strings.extend(added);
        self.total = total;
        Ok(cur.consumed())
    }
}

/// The strings this end has defined for its peer on one connection.
#[derive(Debug, Clone)]
pub struct WriterSession {
    /// foldhash, randomly seeded per session like SipHash's `RandomState` but several times
    /// cheaper on the short names looked up for every element.
    ids: HashMap<String, u32, foldhash::fast::RandomState>,
    /// Strings defined so far; the next gets id 2 * count + 1.
    count: u32,
    /// Quota left; 0 once a string did not fit, as in WCF.
    remaining: usize,
    /// Strings added while writing the current message, for its table (or for rollback).
    pending: Vec<String>,
    /// The binary writer's buffer for pending text, kept between the messages of a
    /// connection so that writing one costs no allocation for it.
    pub(crate) text_buffer: String,
}

/// A writer session's state before a message, to return to if the message fails.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    count: u32,
    remaining: usize,
}

impl Default for WriterSession {
    fn default() -> Self {
        WriterSession::new()
    }
}

impl WriterSession {
    /// An empty table with WCF's default quota.
    pub fn new() -> Self {
        WriterSession::with_quota(DEFAULT_MAX_SESSION_SIZE)
    }

    /// An empty table that may grow to `quota` bytes in all.
    pub fn with_quota(quota: usize) -> Self {
        WriterSession {
            ids: HashMap::default(),
            count: 0,
            remaining: quota,
            pending: Vec::new(),
            text_buffer: String::new(),
        }
    }

    /// How many strings the peer knows (or will know once the current message is sent).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether no string was defined yet.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The wire id of `s` if defined; otherwise, with `may_add`, defines it when the quota
    /// allows. The first string that does not fit closes the table for good.
    pub(crate) fn key(&mut self, s: &str, may_add: bool) -> Option<u32> {
        if let Some(&index) = self.ids.get(s) {
            return Some(index * 2 + 1);
        }
        if !may_add || self.remaining == 0 || self.count >= 0x3FFF_FFFF {
            return None;
        }
        let cost = u32::try_from(s.len())
            .ok()
            .map(|len| s.len() + mb31_len(len))
            .filter(|&cost| cost <= self.remaining);
        let Some(cost) = cost else {
            self.remaining = 0;
            return None;
        };
        self.remaining -= cost;
        let index = self.count;
        self.count += 1;
        self.ids.insert(s.to_owned(), index);
        self.pending.push(s.to_owned());
        Some(index * 2 + 1)
    }

    pub(crate) fn mark(&self) -> Mark {
        Mark {
            count: self.count,
            remaining: self.remaining,
        }
    }

    /// Forgets the strings of a message that was not sent.
    pub(crate) fn rollback(&mut self, mark: Mark) {
        for s in self.pending.drain(..) {
            self.ids.remove(&s);
        }
        self.count = mark.count;
        self.remaining = mark.remaining;
    }

    /// Appends the table of the strings added since the last call (`00` if none).
    /// Whether the message being written added strings (its table is not empty).
    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    pub(crate) fn write_table(&mut self, out: &mut Vec<u8>) -> Result<(), BinaryXmlError> {
        let size: usize = self
            .pending
            .iter()
            .map(|s| s.len() + mb31_len(s.len() as u32))
            .sum();
        write_mb31(out, len_to_mb31(size, "string table")?);
        for s in self.pending.drain(..) {
            write_mb31(out, len_to_mb31(s.len(), "session string")?);
            out.extend_from_slice(s.as_bytes());
        }
        Ok(())
    }
}
