//! The socket side of the framing: reading whole records from a TCP read half, writing records
//! to a write half that the sink and the stream of one connection share, and the drain that
//! follows a fault.

use super::fault::FramingFault;
use super::framing::{self, EnvelopeHeader, FramingError, Limits, Record};
use crate::transport::TransportError;
use bytes::{Buf, BytesMut};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::time::Instant;

/// Bytes read per system call (WCF's `ConnectionBufferSize`).
const READ_CHUNK: usize = 8192;
/// Most bytes discarded after a fault before giving up on a clean EOF (WCF's `MaxDrainSize`).
pub(crate) const MAX_DRAIN_SIZE: usize = 65_536;

/// Why no record came.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer closed its direction; `mid_record` if it did so inside a record.
    Eof { mid_record: bool },
    /// The next record is of a type not allowed here (its first byte).
    Unexpected(u8),
    /// The bytes are not valid framing, or break a limit.
    Framing(FramingError),
    /// The socket failed.
    Io(std::io::Error),
}

/// Reads records from a socket. Bytes past the current record stay buffered for the next call,
/// so nothing is lost between the preamble and the session.
///
/// The buffer holds only bytes not consumed yet: each read lands in a scratch array on the
/// stack and is copied out, and an emptied buffer is released before waiting for the next
/// read. So an idle connection (thousands of them, in a host of idle reliable sessions) holds
/// no read buffer at all, a large message's buffer goes away with it, and a frame handed out
/// keeps alive only an allocation of its own size, not a whole read chunk.
#[derive(Debug)]
pub(crate) struct RecordReader<R> {
    half: R,
    buf: BytesMut,
}

impl<R: AsyncRead + Unpin> RecordReader<R> {
    pub(crate) fn new(half: R) -> Self {
        RecordReader {
            half,
            buf: BytesMut::new(),
        }
    }

    /// The next record, if its type byte passes `expected` and it keeps within `limits`.
    /// The buffer only ever holds one incomplete record plus one read's worth of bytes, and
    /// every record is bounded by `limits`, so a peer cannot make it grow without bound.
    pub(crate) async fn next(
        &mut self,
        limits: &Limits,
        expected: impl Fn(u8) -> bool,
    ) -> Result<Record, ReadError> {
        loop {
            if let Some(&first) = self.buf.first() {
                if !expected(first) {
                    return Err(ReadError::Unexpected(first));
                }
            }
            if let Some(record) =
                framing::decode(&mut self.buf, limits).map_err(ReadError::Framing)?
            {
                return Ok(record);
            }
            let read = self.read_more().await.map_err(ReadError::Io)?;
            if read == 0 {
                return Err(ReadError::Eof {
                    mid_record: !self.buf.is_empty(),
                });
            }
        }
    }

    /// Gives up the socket, dropping whatever is buffered.
    pub(crate) fn into_inner(self) -> R {
        self.half
    }

    /// The bytes read but not consumed yet, for readers that decode incrementally (the chunks
    /// of a streamed envelope).
    pub(crate) fn buffer(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Reads more bytes into the buffer; `false` at EOF. The buffer grows by at most one read,
    /// and only callers that consume what they were given call it again.
    pub(crate) async fn fill(&mut self) -> Result<bool, ReadError> {
        let read = self.read_more().await.map_err(ReadError::Io)?;
        Ok(read != 0)
    }

    /// One read of at most [`READ_CHUNK`] bytes appended to the buffer; 0 at EOF. The scratch
    /// array lives only inside one poll, never across the wait, so the waiting future holds
    /// no buffer either.
    async fn read_more(&mut self) -> std::io::Result<usize> {
        if self.buf.is_empty() {
            // Drops what is left of the last read's allocation (shared with the frames
            // handed out, or grown for a large message) instead of keeping it while idle.
            self.buf = BytesMut::new();
        }
        let (half, buf) = (&mut self.half, &mut self.buf);
        std::future::poll_fn(|cx| {
            let mut scratch = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut read = ReadBuf::uninit(&mut scratch);
            ready!(Pin::new(&mut *half).poll_read(cx, &mut read))?;
            buf.extend_from_slice(read.filled());
            Poll::Ready(Ok(read.filled().len()))
        })
        .await
    }
}

/// Reads and discards input until EOF, at most `max` bytes and until `deadline`. Returns
/// whether EOF came. This lets the peer read a fault before the socket closes: closing with
/// unread input would reset the connection and could destroy the fault in flight.
pub(crate) async fn drain(mut half: impl AsyncRead + Unpin, max: usize, deadline: Instant) -> bool {
    let mut scratch = [0u8; 4096];
    let mut total = 0usize;
    let drained = tokio::time::timeout_at(deadline, async {
        loop {
            match half.read(&mut scratch).await {
                Ok(0) => return true,
                Ok(read) => {
                    total += read;
                    if total > max {
                        return false;
                    }
                }
                Err(_) => return false,
            }
        }
    })
    .await;
    drained.unwrap_or(false)
}

/// Maps a socket error; the peer going away is `Closed`, not an I/O failure.
pub(crate) fn io_error(error: &std::io::Error) -> TransportError {
    use std::io::ErrorKind::*;
    match error.kind() {
        BrokenPipe | ConnectionReset | ConnectionAborted | NotConnected | UnexpectedEof => {
            TransportError::Closed
        }
        // Borrowed here, so rebuilt: the OS code when there is one, else kind and text.
        _ => TransportError::from(
            error
                .raw_os_error()
                .map(std::io::Error::from_raw_os_error)
                .unwrap_or_else(|| std::io::Error::new(error.kind(), error.to_string())),
        ),
    }
}

/// The write half of a connection and whether its direction has ended (End or Fault sent).
#[derive(Debug)]
pub(crate) struct Writer {
    half: WriteHalf,
    finished: bool,
}

/// The write half shared by a connection's sink and stream: the stream must be able to send a
/// fault when a message is too large.
pub(crate) type SharedWriter = Arc<tokio::sync::Mutex<Writer>>;

pub(crate) fn shared_writer(half: WriteHalf) -> SharedWriter {
    Arc::new(tokio::sync::Mutex::new(Writer {
        half,
        finished: false,
    }))
}

impl Writer {
    /// Whether this direction has ended (End or Fault sent).
    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    /// Writes one SizedEnvelope. Header and payload go out in one vectored write, so a small
    /// message is one segment without copying the payload.
    pub(crate) async fn write_envelope(&mut self, frame: Vec<u8>) -> Result<(), TransportError> {
        if self.finished {
            return Err(TransportError::Closed);
        }
        let header =
            EnvelopeHeader::new(frame.len()).map_err(|_| TransportError::FrameTooLarge {
                size: frame.len(),
                max: usize::try_from(super::mb31::MAX_VALUE).unwrap_or(usize::MAX),
            })?;
        let mut bytes = Buf::chain(header.as_slice(), frame.as_slice());
        self.half
            .write_all_buf(&mut bytes)
            .await
            .map_err(|e| io_error(&e))?;
        self.half.flush().await.map_err(|e| io_error(&e))
    }

    /// Writes End and half-closes the socket. Does nothing if the direction already ended.
    pub(crate) async fn write_end(&mut self) -> Result<(), TransportError> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        let mut end = Vec::with_capacity(1);
        // End has no payload, so encoding cannot fail.
        let _ = framing::encode(&Record::End, &mut end);
        self.half.write_all(&end).await.map_err(|e| io_error(&e))?;
        self.half.shutdown().await.map_err(|e| io_error(&e))
    }

    /// Ends the direction without End, after the peer has faulted the connection: the
    /// half-close is the EOF a faulting listener drains for.
    pub(crate) async fn abandon(&mut self) {
        if !self.finished {
            self.finished = true;
            // The connection is over either way; a failed shutdown changes nothing.
            let _ = self.half.shutdown().await;
        }
    }

    /// Writes a Fault record and half-closes the socket: WCF sends no End after a fault.
    pub(crate) async fn write_fault(&mut self, fault: FramingFault) -> Result<(), TransportError> {
        if self.finished {
            return Err(TransportError::Closed);
        }
        self.finished = true;
        write_fault(&mut self.half, fault).await
    }
}

/// Writes a Fault record and half-closes `half`.
pub(crate) async fn write_fault(
    half: &mut (impl tokio::io::AsyncWrite + Unpin + ?Sized),
    fault: FramingFault,
) -> Result<(), TransportError> {
    half.write_all(&framing::encode_fault(fault))
        .await
        .map_err(|e| io_error(&e))?;
    half.shutdown().await.map_err(|e| io_error(&e))
}

/// A deadline `timeout` from now, saturating instead of overflowing for huge timeouts.
pub(crate) fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(60 * 60 * 24 * 365))
}

/// What a connection reads from: the socket's read half, or after a stream upgrade the
/// upgraded stream's (TLS).
pub(crate) trait ReadStream: AsyncRead + Send + Sync + Unpin + std::fmt::Debug {}
impl<T: AsyncRead + Send + Sync + Unpin + std::fmt::Debug> ReadStream for T {}

/// What a connection writes to, as [`ReadStream`].
pub(crate) trait WriteStream:
    tokio::io::AsyncWrite + Send + Sync + Unpin + std::fmt::Debug
{
}
impl<T: tokio::io::AsyncWrite + Send + Sync + Unpin + std::fmt::Debug> WriteStream for T {}

/// A connection's read half, whichever stream it is.
pub(crate) type ReadHalf = Box<dyn ReadStream>;
/// A connection's write half, whichever stream it is.
pub(crate) type WriteHalf = Box<dyn WriteStream>;

/// The read half of a connection, for spawning a drain.
pub(crate) type Reader = RecordReader<ReadHalf>;
