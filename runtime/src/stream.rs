//! Streamed transfer (WCF's `TransferMode.Streamed`) over net.tcp: operations whose body is a
//! byte stream, sent and received piece by piece so that neither side ever holds the whole
//! body. Memory stays at a few chunks of [`STREAM_CHUNK_SIZE`] whatever the payload's size.
//!
//! On the wire (net-tcp.md §1.2) every call is a connection of its own in singleton mode
//! (`0x01`) with msbin1 (`0x07`): one request, one reply, each an UnsizedEnvelope. The message
//! is WCF's: the stream is the content of `Body/{wrapper}/{part}` in Bytes records.
//!
//! **Streamed calls do not carry the session**, as in WCF: there is no transport session in
//! singleton mode, so a streamed call neither starts nor continues one.

use crate::binding::{Binding, Timeouts};
use crate::encoding::binary::stream::{
    bytes_record_header, scan_head, HeadScan, StreamContentDecoder, STREAM_TAIL,
};
use crate::encoding::binary::BinaryLimits;
use crate::encoding::MessageEncoder;
use crate::error::Error;
use crate::message::{Body, Message, MessageVersion, XmlError, XmlFragment};
use crate::transport::tcp::{self, TcpOptions, UnsizedReader, UnsizedWriter};
use crate::transport::TransportError;
use bytes::{Bytes, BytesMut};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
use tokio::sync::mpsc;
use tracing::debug;

/// Most stream bytes per chunk on the wire, and so the read buffer of a sender.
pub const STREAM_CHUNK_SIZE: usize = 64 * 1024;
/// Largest head (everything before the stream's content) a receiver buffers while it looks
/// for the stream part. A message without a stream part is buffered whole, up to the
/// transport's `MaxReceivedMessageSize`.
pub(crate) const MAX_STREAM_HEAD: usize = 64 * 1024;
/// Pieces a receiver reads ahead of the consumer of a stream.
const READ_AHEAD: usize = 4;

/// A byte stream: the body of a streamed operation (WCF's `Stream` parameter or return).
/// Read it with [`tokio::io::AsyncReadExt`].
pub struct ByteStream(Pin<Box<dyn AsyncRead + Send>>);

impl std::fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ByteStream")
    }
}

impl ByteStream {
    /// A stream that reads from `reader`.
    pub fn new(reader: impl AsyncRead + Send + 'static) -> Self {
        ByteStream(Box::pin(reader))
    }

    /// A stream of bytes already in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        ByteStream::new(io::Cursor::new(bytes.into()))
    }
}

impl AsyncRead for ByteStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_read(cx, buf)
    }
}

/// A message whose body may hold a stream: `message` is the envelope with the stream part
/// empty, `stream` its content. Without a stream it is an ordinary (buffered) message, such as
/// a fault or the reply of an operation that returns nothing.
#[derive(Debug)]
#[doc(hidden)]
pub struct StreamedMessage {
    /// The envelope; with a stream, its body is `<{wrapper}><{part}/></{wrapper}>`.
    pub message: Message,
    /// The stream part's content.
    pub stream: Option<ByteStream>,
}

impl StreamedMessage {
    /// A message whose body is `<{wrapper} xmlns="{namespace}"><{part}>stream</{part}>`, WCF's
    /// form of an operation with one `Stream` parameter (wrapper = operation name) or
    /// return value (wrapper = `{Op}Response`, part = `{Op}Result`).
    pub fn with_stream(
        version: MessageVersion,
        action: &str,
        wrapper: &str,
        namespace: &str,
        part: &str,
        stream: ByteStream,
    ) -> Self {
        let xml = format!(
            "<{wrapper} xmlns=\"{}\"><{part}/></{wrapper}>",
            escape_attribute(namespace)
        );
        StreamedMessage {
            message: Message::new(version, action, Body::Payload(XmlFragment::new(xml))),
            stream: Some(stream),
        }
    }

    /// A message without a stream.
    pub fn buffered(message: Message) -> Self {
        StreamedMessage {
            message,
            stream: None,
        }
    }
}

fn escape_attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// Streamed transfer needs msbin1: the stream travels as Bytes records.
pub(crate) fn check_encoder(encoder: &dyn MessageEncoder) -> Result<(), Error> {
    match encoder.media_type() {
        "application/soap+msbin1" => Ok(()),
        other => Err(Error::Configuration(format!(
            "streamed transfer needs the binary encoding (msbin1), not {other}"
        ))),
    }
}

/// Sends `message` as the envelope of `writer`, then ends the direction. The stream goes out
/// one chunk per read of at most [`STREAM_CHUNK_SIZE`] bytes, each one Bytes32 record.
pub(crate) async fn write_message(
    mut writer: UnsizedWriter,
    encoder: &dyn MessageEncoder,
    message: StreamedMessage,
) -> Result<(), Error> {
    let mut encoded = Vec::new();
    encoder.encode(&message.message, &mut encoded)?;
    match message.stream {
        None => {
            for chunk in encoded.chunks(STREAM_CHUNK_SIZE) {
                writer.write_chunk(chunk).await?;
            }
        }
        Some(mut stream) => {
            let head_len = stream_head_len(&encoded)?;
            writer.write_chunk(&encoded[..head_len]).await?;
            // Every Bytes record but the last holds a multiple of 3 bytes: readers that turn
            // each record into base64 and join the pieces (Mono's) would otherwise find
            // padding in the middle.
            let mut chunk = vec![0u8; 5 + STREAM_CHUNK_SIZE];
            let mut filled = 0;
            loop {
                let read = stream
                    .read(&mut chunk[5 + filled..])
                    .await
                    .map_err(|e| Error::Protocol(format!("reading the stream to send: {e}")))?;
                filled += read;
                let whole = if read == 0 {
                    filled
                } else {
                    filled - filled % 3
                };
                if whole > 0 {
                    let header = bytes_record_header(whole).map_err(XmlError::from)?;
                    chunk[..5].copy_from_slice(&header);
                    writer.write_chunk(&chunk[..5 + whole]).await?;
                    chunk.copy_within(5 + whole..5 + filled, 5);
                    filled -= whole;
                }
                if read == 0 {
                    break;
                }
            }
            writer.write_chunk(&STREAM_TAIL).await?;
        }
    }
    writer.finish().await?;
    Ok(())
}

/// Where the stream's content goes in our own encoding of a message whose stream part is
/// empty: after the part's start element, before its four end elements.
fn stream_head_len(encoded: &[u8]) -> Result<usize, Error> {
    let head_len = encoded.len().saturating_sub(STREAM_TAIL.len());
    let limits = BinaryLimits::default();
    if encoded.ends_with(&STREAM_TAIL)
        && scan_head(encoded, &limits).map_err(XmlError::from)? == HeadScan::Stream(head_len)
    {
        Ok(head_len)
    } else {
        Err(Error::Protocol(
            "a streamed message's body must be <wrapper><part/></wrapper>".to_owned(),
        ))
    }
}

/// Reads one envelope from `reader`. When the message's action is one `has_stream` names
/// streamed, returns as soon as the head has arrived: the stream then reads the rest from the
/// connection as it is consumed, a few pieces ahead. Other messages (faults, buffered
/// operations) are read whole, bounded by the reader's maximum. The action decides because
/// the wire cannot: a buffered `byte[]` part looks like a stream.
///
/// Every wait for the peer's next bytes is bounded by `idle` (WCF's ReceiveTimeout), so a peer
/// that stalls mid-message fails the read (or the stream) instead of holding it forever.
pub(crate) async fn read_message(
    mut reader: UnsizedReader,
    encoder: Arc<dyn MessageEncoder>,
    has_stream: impl Fn(&str) -> bool,
    idle: Duration,
) -> Result<StreamedMessage, Error> {
    let limits = BinaryLimits::from_quotas(&encoder.reader_quotas());
    let mut buf = BytesMut::new();
    let mut scanning = true;
    loop {
        let Some(piece) = next_piece(&mut reader, idle).await? else {
            break;
        };
        buf.extend_from_slice(&piece);
        if !scanning {
            continue;
        }
        match scan_head(&buf, &limits).map_err(XmlError::from)? {
            HeadScan::Incomplete if buf.len() > MAX_STREAM_HEAD => scanning = false,
            HeadScan::Incomplete | HeadScan::Complete => {}
            HeadScan::Stream(offset) => {
                let mut head = BytesMut::with_capacity(offset + STREAM_TAIL.len());
                head.extend_from_slice(&buf[..offset]);
                head.extend_from_slice(&STREAM_TAIL);
                let message = encoder.decode(head.freeze())?;
                scanning = false;
                if !has_stream(message.action()) {
                    continue;
                }
                let _ = buf.split_to(offset);
                let (sender, receiver) = mpsc::channel(READ_AHEAD);
                tokio::spawn(pump(reader, buf, sender, idle));
                return Ok(StreamedMessage {
                    message,
                    stream: Some(ByteStream::new(ChannelReader {
                        receiver,
                        current: Bytes::new(),
                    })),
                });
            }
        }
    }
    if buf.is_empty() {
        return Err(TransportError::Closed.into());
    }
    let message = encoder.decode(buf.freeze())?;
    tokio::time::timeout(idle, reader.finish())
        .await
        .map_err(|_| Error::Timeout(idle))??;
    Ok(StreamedMessage::buffered(message))
}

/// The envelope's next bytes, waiting at most `idle` for them.
async fn next_piece(reader: &mut UnsizedReader, idle: Duration) -> Result<Option<Bytes>, Error> {
    match tokio::time::timeout(idle, reader.next_piece()).await {
        Ok(piece) => Ok(piece?),
        Err(_) => Err(Error::Timeout(idle)),
    }
}

/// Decodes a stream part's content from the connection into `sender` until the part ends,
/// then checks the message's tail and the peer's End. Stops early when the consumer drops
/// the stream (dropping the connection with it).
async fn pump(
    mut reader: UnsizedReader,
    mut buf: BytesMut,
    sender: mpsc::Sender<io::Result<Bytes>>,
    idle: Duration,
) {
    let result = async {
        let mut decoder = StreamContentDecoder::default();
        loop {
            while let Some(bytes) = decoder.next(&mut buf).map_err(XmlError::from)? {
                if sender.send(Ok(bytes)).await.is_err() {
                    debug!("the consumer dropped a received stream");
                    return Ok(());
                }
            }
            if decoder.is_done() {
                break;
            }
            match next_piece(&mut reader, idle).await? {
                Some(piece) => buf.extend_from_slice(&piece),
                None => {
                    return Err(Error::Protocol(
                        "the message ended inside its stream".to_owned(),
                    ))
                }
            }
        }
        // Left: the end elements of the wrapper, Body and Envelope.
        let tail = &STREAM_TAIL[1..];
        while buf.len() < tail.len() {
            match next_piece(&mut reader, idle).await? {
                Some(piece) if buf.len() + piece.len() <= tail.len() => {
                    buf.extend_from_slice(&piece)
                }
                _ => break,
            }
        }
        if buf[..] != *tail || next_piece(&mut reader, idle).await?.is_some() {
            return Err(Error::Protocol(
                "unexpected content after a message's stream".to_owned(),
            ));
        }
        tokio::time::timeout(idle, reader.finish())
            .await
            .map_err(|_| Error::Timeout(idle))??;
        Ok::<(), Error>(())
    }
    .await;
    if let Err(error) = result {
        debug!(%error, "reading a stream failed");
        let _ = sender
            .send(Err(io::Error::new(io::ErrorKind::InvalidData, error)))
            .await;
    }
}

/// The consumer's end of a received stream.
struct ChannelReader {
    receiver: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl AsyncRead for ChannelReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        while self.current.is_empty() {
            match self.receiver.poll_recv(cx) {
                Poll::Ready(Some(Ok(bytes))) => self.current = bytes,
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Err(error)),
                // The pump ended after the last piece: end of stream.
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
        let take = self.current.len().min(buf.remaining());
        let piece = self.current.split_to(take);
        buf.put_slice(&piece);
        Poll::Ready(Ok(()))
    }
}

/// A binding that can carry streamed calls: net.tcp with the binary encoding.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot carry streamed calls",
    label = "a contract with `ByteStream` operations needs streamed transfer",
    note = "streamed transfer is net.tcp's: use `NetTcpBinding` or `CustomBinding<TcpTransport>`"
)]
pub trait StreamedBinding: Binding {
    /// The transport settings of a streamed endpoint at `address`.
    fn streamed_options(&self, address: &str) -> Result<TcpOptions, Error>;
}

/// The client side of streamed calls: each [`call`](Self::call) is one connection.
#[derive(Debug, Clone)]
pub(crate) struct StreamedClient {
    address: String,
    options: TcpOptions,
    encoder: Arc<dyn MessageEncoder>,
    timeouts: Timeouts,
}

impl StreamedClient {
    /// A client of the streamed endpoint at `address`.
    pub fn new<B: StreamedBinding>(binding: &B, address: &str) -> Result<Self, Error> {
        let encoder = binding.encoder();
        check_encoder(&*encoder)?;
        Ok(StreamedClient {
            address: address.to_owned(),
            options: binding.streamed_options(address)?,
            encoder,
            timeouts: binding.timeouts(),
        })
    }

    /// Sends `request` and returns the reply as soon as its head has arrived. Sending is
    /// bounded by the send timeout only while the request is written; a reply stream is read
    /// at the consumer's pace.
    /// `reply_has_stream`: whether the operation returns a stream (a fault never does).
    pub async fn call(
        &self,
        mut request: StreamedMessage,
        reply_has_stream: bool,
    ) -> Result<StreamedMessage, Error> {
        self.address_request(&mut request.message);
        let (writer, reader) = tcp::connect_streamed(&self.address, &self.options).await?;
        // The reply may start before the request is complete (a fault), so both run at once.
        // As WCF's SendTimeout, the send timeout covers the whole request (raise it for large
        // uploads) and the wait for the reply's head; a reply stream then reads at the
        // consumer's pace, each wait bounded by the receive timeout.
        let send = write_message(writer, &*self.encoder, request);
        let receive = read_message(
            reader,
            self.encoder.clone(),
            |_| reply_has_stream,
            self.timeouts.receive,
        );
        let timeout = self.timeouts.send;
        let (sent, received) = tokio::time::timeout(timeout, async { tokio::join!(send, receive) })
            .await
            .map_err(|_| Error::Timeout(timeout))?;
        let reply = received?;
        sent?;
        Ok(reply)
    }

    /// Sends a one-way request: the service answers with End and no envelope.
    pub async fn send_one_way(&self, mut request: StreamedMessage) -> Result<(), Error> {
        self.address_request(&mut request.message);
        let (writer, mut reader) = tcp::connect_streamed(&self.address, &self.options).await?;
        let timeout = self.timeouts.send;
        tokio::time::timeout(timeout, write_message(writer, &*self.encoder, request))
            .await
            .map_err(|_| Error::Timeout(timeout))??;
        match tokio::time::timeout(timeout, reader.next_piece())
            .await
            .map_err(|_| Error::Timeout(timeout))?
        {
            Ok(None) | Err(TransportError::Closed) => Ok(()),
            Ok(Some(_)) => Err(Error::Protocol(
                "the service answered a one-way request".to_owned(),
            )),
            Err(error) => Err(error.into()),
        }
    }

    /// The addressing headers of a request, as the buffered client sends them (a WCF service
    /// needs `To`; Mono's also wants a MessageID and ReplyTo).
    fn address_request(&self, message: &mut Message) {
        message.headers.to = Some(self.address.clone());
        message.headers.message_id = Some(crate::message::new_message_id());
        message.headers.reply_to = Some(crate::message::ns::WSA10_ANONYMOUS.to_owned());
    }
}
