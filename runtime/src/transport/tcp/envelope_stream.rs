//! One UnsizedEnvelope (net-tcp.md §1.1, record `0x05`), written and read chunk by chunk so a
//! streamed message never has to be in memory as a whole: the writer sends each piece the
//! layer above produces as one chunk, the reader hands out the chunks' bytes as they arrive.

use super::fault::fault_error;
use super::framing::{self, Limits, Record, RecordType};
use super::io::{io_error, ReadError, Reader, WriteHalf};
use super::mb31;
use crate::transport::TransportError;
use bytes::{Buf, Bytes};
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;

/// Where a listener's two halves of a connection go after a clean singleton exchange (End
/// read and End written): once both are back, the connection waits for another preamble.
pub(crate) struct Reuse {
    parts: Mutex<(Option<Reader>, Option<WriteHalf>)>,
    again: Box<dyn Fn(Reader, WriteHalf) + Send + Sync>,
}

impl std::fmt::Debug for Reuse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reuse")
    }
}

impl Reuse {
    pub(crate) fn new(again: Box<dyn Fn(Reader, WriteHalf) + Send + Sync>) -> Arc<Self> {
        Arc::new(Reuse {
            parts: Mutex::new((None, None)),
            again,
        })
    }

    fn put_reader(&self, reader: Reader) {
        self.put(|parts| parts.0 = Some(reader));
    }

    fn put_writer(&self, writer: WriteHalf) {
        self.put(|parts| parts.1 = Some(writer));
    }

    fn put(&self, store: impl FnOnce(&mut (Option<Reader>, Option<WriteHalf>))) {
        let both = {
            // A poisoned lock only means another deposit panicked; the parts are still valid.
            let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
            store(&mut parts);
            match &mut *parts {
                (reader @ Some(_), writer @ Some(_)) => reader.take().zip(writer.take()),
                _ => None,
            }
        };
        if let Some((reader, writer)) = both {
            (self.again)(reader, writer);
        }
    }
}

/// Writes one UnsizedEnvelope, then End: the whole sending direction of a singleton exchange.
#[derive(Debug)]
pub struct UnsizedWriter {
    half: WriteHalf,
    started: bool,
    reuse: Option<Arc<Reuse>>,
}

impl UnsizedWriter {
    pub(crate) fn new(half: WriteHalf) -> Self {
        UnsizedWriter {
            half,
            started: false,
            reuse: None,
        }
    }

    pub(crate) fn with_reuse(mut self, reuse: Option<Arc<Reuse>>) -> Self {
        self.reuse = reuse;
        self
    }

    /// After End: hands the half back for reuse, or half-closes the socket.
    async fn done(mut self) -> Result<(), TransportError> {
        self.half.flush().await.map_err(|e| io_error(&e))?;
        match self.reuse.take() {
            Some(reuse) => {
                reuse.put_writer(self.half);
                Ok(())
            }
            None => self.half.shutdown().await.map_err(|e| io_error(&e)),
        }
    }

    /// Sends `bytes` as one chunk (the record type first, before the first chunk). Empty
    /// pieces are skipped: a zero-length chunk is the terminator.
    pub async fn write_chunk(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        if bytes.is_empty() {
            return Ok(());
        }
        let mut header = Vec::with_capacity(1 + mb31::MAX_LEN);
        if !self.started {
            header.push(RecordType::UnsizedEnvelope.byte());
            self.started = true;
        }
        mb31::encode(bytes.len(), &mut header).map_err(|_| TransportError::FrameTooLarge {
            size: bytes.len(),
            max: usize::try_from(mb31::MAX_VALUE).unwrap_or(usize::MAX),
        })?;
        let mut out = Buf::chain(&header[..], bytes);
        self.half
            .write_all_buf(&mut out)
            .await
            .map_err(|e| io_error(&e))
    }

    /// Sends End with no envelope (the answer to a one-way request).
    pub async fn end(mut self) -> Result<(), TransportError> {
        let mut end = Vec::with_capacity(1);
        // End has no payload, so encoding cannot fail.
        let _ = framing::encode(&Record::End, &mut end);
        self.half.write_all(&end).await.map_err(|e| io_error(&e))?;
        self.done().await
    }

    /// Ends the envelope (terminator `0x00`) and sends End. A client half-closes the socket; a
    /// listener keeps it for the client's next preamble.
    pub async fn finish(mut self) -> Result<(), TransportError> {
        let mut tail = Vec::with_capacity(3);
        if !self.started {
            // An empty message still needs its record: type, then the terminator.
            tail.push(RecordType::UnsizedEnvelope.byte());
        }
        tail.push(0x00);
        // End has no payload, so encoding cannot fail.
        let _ = framing::encode(&Record::End, &mut tail);
        self.half.write_all(&tail).await.map_err(|e| io_error(&e))?;
        self.done().await
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the record type.
    Start,
    /// Before a chunk's length.
    ChunkHeader,
    /// Inside a chunk, with this many bytes to come.
    InChunk(usize),
    /// The terminator has arrived.
    Done,
    /// End arrived where the envelope should have started.
    Ended,
}

/// Reads one UnsizedEnvelope incrementally. The total of the chunks is checked against
/// `max_received_message_size` as each length arrives, as WCF applies
/// `MaxReceivedMessageSize` to streamed messages too.
#[derive(Debug)]
pub struct UnsizedReader {
    reader: Reader,
    state: State,
    total: usize,
    max: usize,
    /// Whether a Fault record may stand in for the envelope (only the listener sends them).
    accept_fault: bool,
    address: String,
    reuse: Option<Arc<Reuse>>,
}

impl UnsizedReader {
    pub(crate) fn new(reader: Reader, max: usize, accept_fault: bool, address: String) -> Self {
        UnsizedReader {
            reader,
            state: State::Start,
            total: 0,
            max,
            accept_fault,
            address,
            reuse: None,
        }
    }

    pub(crate) fn with_reuse(mut self, reuse: Option<Arc<Reuse>>) -> Self {
        self.reuse = reuse;
        self
    }

    /// The envelope's next bytes (at most what one socket read brought), or `None` after the
    /// terminator. Also `None` when the peer sent End instead of a message.
    pub async fn next_piece(&mut self) -> Result<Option<Bytes>, TransportError> {
        loop {
            match self.state {
                State::Done | State::Ended => return Ok(None),
                State::Start => {
                    let Some(&first) = self.reader.buffer().first() else {
                        self.fill().await?;
                        continue;
                    };
                    match RecordType::from_byte(first) {
                        Some(RecordType::UnsizedEnvelope) => {
                            self.reader.buffer().advance(1);
                            self.state = State::ChunkHeader;
                        }
                        Some(RecordType::End) => {
                            // End instead of a message: the direction is over already.
                            self.reader.buffer().advance(1);
                            self.state = State::Ended;
                            return Ok(None);
                        }
                        Some(RecordType::Fault) if self.accept_fault => {
                            return Err(self.read_fault().await);
                        }
                        _ => {
                            return Err(TransportError::Framing(format!(
                                "expected an UnsizedEnvelope, got record type 0x{first:02X}"
                            )))
                        }
                    }
                }
                State::ChunkHeader => {
                    let decoded = mb31::decode(self.reader.buffer())
                        .map_err(|e| TransportError::Framing(format!("invalid chunk size: {e}")))?;
                    let Some((size, used)) = decoded else {
                        self.fill().await?;
                        continue;
                    };
                    self.reader.buffer().advance(used);
                    let size = usize::try_from(size).unwrap_or(usize::MAX);
                    if size == 0 {
                        self.state = State::Done;
                        return Ok(None);
                    }
                    self.total = self.total.saturating_add(size);
                    if self.total > self.max {
                        return Err(TransportError::FrameTooLarge {
                            size: self.total,
                            max: self.max,
                        });
                    }
                    self.state = State::InChunk(size);
                }
                State::InChunk(remaining) => {
                    let available = self.reader.buffer().len();
                    if available == 0 {
                        self.fill().await?;
                        continue;
                    }
                    let take = remaining.min(available);
                    let piece = self.reader.buffer().split_to(take).freeze();
                    self.state = if take == remaining {
                        State::ChunkHeader
                    } else {
                        State::InChunk(remaining - take)
                    };
                    return Ok(Some(piece));
                }
            }
        }
    }

    /// After the envelope: waits for the peer's End (or EOF, which Mono and WCF both treat as
    /// the end of a singleton exchange). After End, a listener's connection may be reused.
    pub async fn finish(mut self) -> Result<(), TransportError> {
        while self.state != State::Done {
            if self.state == State::Ended {
                return Ok(());
            }
            if self.next_piece().await?.is_none() {
                break;
            }
        }
        loop {
            match self.reader.buffer().first() {
                Some(&byte) if byte == RecordType::End.byte() => {
                    self.reader.buffer().advance(1);
                    if let Some(reuse) = self.reuse.take() {
                        reuse.put_reader(self.reader);
                    }
                    return Ok(());
                }
                Some(&byte) => {
                    return Err(TransportError::Framing(format!(
                        "expected End after the envelope, got record type 0x{byte:02X}"
                    )))
                }
                None => {
                    if !self.reader.fill().await.map_err(read_error)? {
                        return Ok(());
                    }
                }
            }
        }
    }

    async fn fill(&mut self) -> Result<(), TransportError> {
        if self.reader.fill().await.map_err(read_error)? {
            Ok(())
        } else if self.state == State::Start && self.reader.buffer().is_empty() {
            Err(TransportError::Closed)
        } else {
            Err(TransportError::Framing(
                "the connection ended inside an UnsizedEnvelope".to_owned(),
            ))
        }
    }

    async fn read_fault(&mut self) -> TransportError {
        let limits = Limits::new(0);
        let is_fault = |byte| RecordType::from_byte(byte) == Some(RecordType::Fault);
        match self.reader.next(&limits, is_fault).await {
            Ok(Record::Fault(uri)) => fault_error(&uri, &self.address),
            Ok(other) => {
                TransportError::Framing(format!("unexpected {:?} record", other.record_type()))
            }
            Err(error) => read_error(error),
        }
    }
}

fn read_error(error: ReadError) -> TransportError {
    match error {
        ReadError::Io(error) => io_error(&error),
        ReadError::Eof { .. } => TransportError::Closed,
        ReadError::Framing(error) => TransportError::Framing(error.to_string()),
        ReadError::Unexpected(byte) => {
            TransportError::Framing(format!("unexpected record type 0x{byte:02X}"))
        }
    }
}
