//! NegotiateStream on a connection: the handshake driven over real IO, then a stream whose
//! writes leave as protected data messages and whose reads are checked and decrypted; with
//! [`ProtectionLevel::None`] the bytes pass through unframed, as .NET's do.

use super::context::{ClientHandshake, NegotiateError, SecurityContext, ServerHandshake};
use super::nns::{self, HandshakeMessage};
use super::{ProtectionLevel, WindowsAccounts, WindowsCredential, WindowsIdentity};
use bytes::{Buf, BytesMut};
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

/// Why the handshake failed on this side.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HandshakeError {
    #[error("{0}")]
    Negotiate(#[from] NegotiateError),
    #[error("the connection failed during the NegotiateStream handshake: {0}")]
    Io(#[from] io::Error),
    #[error("the peer closed the connection during the NegotiateStream handshake")]
    Closed,
}

async fn read_handshake<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut BytesMut,
) -> Result<HandshakeMessage, HandshakeError> {
    loop {
        if let Some(message) = nns::decode_handshake(buf).map_err(NegotiateError::from)? {
            return Ok(message);
        }
        // A handshake message is at most 5 + 65,535 bytes: the buffer is bounded by that.
        if io.read_buf(buf).await? == 0 {
            return Err(HandshakeError::Closed);
        }
    }
}

/// Runs the client's handshake on `io`; the stream it returns carries the data.
pub(crate) async fn client<S: AsyncRead + AsyncWrite + Unpin>(
    mut io: S,
    credential: &WindowsCredential,
    target: String,
    level: ProtectionLevel,
) -> Result<NegotiatedStream<S>, HandshakeError> {
    let mut handshake = ClientHandshake::new(credential, target, level)?;
    io.write_all(&handshake.start()?).await?;
    io.flush().await?;
    let mut buf = BytesMut::new();
    loop {
        let message = read_handshake(&mut io, &mut buf).await?;
        let progress = handshake.receive(message)?;
        if !progress.send.is_empty() {
            io.write_all(&progress.send).await?;
            io.flush().await?;
        }
        if progress.finished {
            break;
        }
    }
    if !buf.is_empty() {
        return Err(NegotiateError::InvalidToken(
            "the service sent data before the client's first message".to_owned(),
        )
        .into());
    }
    Ok(NegotiatedStream::new(io, handshake.into_context(), false))
}

/// Runs the service's handshake on `io`: the stream and the client's identity. A refused
/// client is sent the error message before the error returns.
pub(crate) async fn server<S: AsyncRead + AsyncWrite + Unpin>(
    mut io: S,
    accounts: WindowsAccounts,
    required: ProtectionLevel,
) -> Result<(NegotiatedStream<S>, WindowsIdentity), HandshakeError> {
    let mut handshake = ServerHandshake::new(accounts, required);
    let mut buf = BytesMut::new();
    loop {
        let message = read_handshake(&mut io, &mut buf).await?;
        match handshake.receive(message) {
            Ok(progress) => {
                io.write_all(&progress.send).await?;
                io.flush().await?;
                if progress.finished {
                    break;
                }
            }
            Err(refusal) => {
                // Best effort: the client learns why, then the connection closes.
                let _ = io.write_all(&refusal.send).await;
                let _ = io.flush().await;
                return Err(refusal.error.into());
            }
        }
    }
    let (context, identity) = handshake.into_context()?;
    let mut stream = NegotiatedStream::new(io, context, true);
    // Bytes the client sent right after its last handshake message belong to the data.
    stream.raw = buf;
    Ok((stream, identity))
}

/// The data phase of a NegotiateStream.
pub(crate) struct NegotiatedStream<S> {
    io: S,
    context: SecurityContext,
    /// Received bytes not yet unwrapped.
    raw: BytesMut,
    /// Unwrapped bytes not yet read.
    plain: BytesMut,
    /// Wrapped bytes not yet written.
    pending: Vec<u8>,
    /// A service skips one empty "done" message a .NET client may send after the handshake.
    skip_empty_done: bool,
    /// The peer closed its direction.
    eof: bool,
}

impl<S> std::fmt::Debug for NegotiatedStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NegotiatedStream")
            .field("level", &self.context.level())
            .finish_non_exhaustive()
    }
}

fn invalid_data(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

impl<S> NegotiatedStream<S> {
    pub(super) fn new(io: S, context: SecurityContext, is_service: bool) -> Self {
        NegotiatedStream {
            io,
            context,
            raw: BytesMut::new(),
            plain: BytesMut::new(),
            pending: Vec::new(),
            skip_empty_done: is_service,
            eof: false,
        }
    }

    fn framed(&self) -> bool {
        self.context.level() != ProtectionLevel::None
    }

    /// Whether the buffered bytes may still start with the empty "done" message, so more must
    /// be read to decide; drops it when it is there.
    fn settle_empty_done(&mut self) -> bool {
        if !self.skip_empty_done {
            return false;
        }
        let known = self.raw.len().min(nns::EMPTY_DONE.len());
        if self.raw[..known] != nns::EMPTY_DONE[..known] {
            // A data message (or, unframed, PreambleEnd) starts otherwise.
            self.skip_empty_done = false;
            return false;
        }
        if known == nns::EMPTY_DONE.len() {
            self.raw.advance(known);
            self.skip_empty_done = false;
            return false;
        }
        !self.eof
    }
}

impl<S: AsyncRead + Unpin> NegotiatedStream<S> {
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let mut chunk = [0_u8; 8192];
        let mut read = ReadBuf::new(&mut chunk);
        ready!(Pin::new(&mut self.io).poll_read(cx, &mut read))?;
        let filled = read.filled();
        if filled.is_empty() {
            self.eof = true;
        }
        self.raw.extend_from_slice(filled);
        Poll::Ready(Ok(filled.len()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for NegotiatedStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.plain.is_empty() {
                let n = this.plain.len().min(out.remaining());
                out.put_slice(&this.plain[..n]);
                this.plain.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.settle_empty_done() {
                ready!(this.poll_fill(cx))?;
                continue;
            }
            if !this.framed() {
                if !this.raw.is_empty() {
                    this.plain = this.raw.split();
                    continue;
                }
                if this.eof {
                    return Poll::Ready(Ok(()));
                }
                ready!(this.poll_fill(cx))?;
                continue;
            }
            match nns::decode_data(&mut this.raw).map_err(invalid_data)? {
                Some(payload) => {
                    let data = this
                        .context
                        .unwrap(payload.to_vec())
                        .map_err(invalid_data)?;
                    this.plain = BytesMut::from(&data[..]);
                }
                None if this.eof => {
                    return if this.raw.is_empty() {
                        Poll::Ready(Ok(()))
                    } else {
                        Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the peer closed the connection inside a NegotiateStream message",
                        )))
                    };
                }
                None => {
                    ready!(this.poll_fill(cx))?;
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> NegotiatedStream<S> {
    /// Writes out the wrapped bytes already accepted.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let written = ready!(Pin::new(&mut self.io).poll_write(cx, &self.pending))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..written);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for NegotiatedStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.framed() {
            return Pin::new(&mut this.io).poll_write(cx, data);
        }
        // Earlier messages go first; only then is more accepted, so the buffer holds at most
        // one message.
        ready!(this.poll_drain(cx))?;
        let n = data.len().min(nns::MAX_DATA_PER_MESSAGE);
        this.context
            .wrap(&data[..n], &mut this.pending)
            .map_err(io::Error::other)?;
        // The bytes are accepted: they are sealed and queued. Pushing them now is a bonus;
        // flush finishes the job.
        if let Poll::Ready(Err(error)) = this.poll_drain(cx) {
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}
