//! A duplex connection under a reliable session, carrying messages rather than frames.
//!
//! The driver hands each connection whole SOAP messages; the connection's writer task encodes
//! them with the connection's own session encoder (NetTcp's msbinsession1 string tables) and
//! its reader decodes with the matching session reader. Encoding once, straight into the
//! session form, costs about half what encoding with the shared encoder and then rewriting
//! every frame into the session form (and back on receipt) did; it was ~14% of all CPU in
//! scenarios 2 and 3 of BENCHMARKS.md. Encodings without per-connection state use the shared
//! encoder as they are.

use crate::encoding::{MessageEncoder, SessionDecodeError, SessionReader, SessionWriter};
use crate::message::{Message, XmlError};
use crate::transport::{FrameSink, FrameStream, TransportError};
use bytes::Bytes;
use futures::channel::mpsc;
use futures::StreamExt;
use std::sync::Arc;
use tracing::{debug, error};

/// Encodes what one connection sends.
pub(crate) enum Encode {
    /// The connection's session encoder (a new string table per connection).
    Session(Box<dyn SessionWriter>),
    /// The shared encoder: every message stands alone.
    Shared(Arc<dyn MessageEncoder>),
}

/// Decodes what one connection receives.
pub(crate) enum Decode {
    /// The connection's session decoder.
    Session(Box<dyn SessionReader>),
    /// The shared encoder.
    Shared(Arc<dyn MessageEncoder>),
}

/// The encoder and decoder of one new connection (a new framing session).
pub(crate) fn codec_for_connection(encoder: &Arc<dyn MessageEncoder>) -> (Encode, Decode) {
    match encoder.session_encoder() {
        Some(session) => (
            Encode::Session(session.writer),
            Decode::Session(session.reader),
        ),
        None => (
            Encode::Shared(encoder.clone()),
            Decode::Shared(encoder.clone()),
        ),
    }
}

impl Encode {
    /// One frame for `message`. A failure is a local bug (the message is our own), and the
    /// session encoder rolls its table back, so the connection stays usable.
    fn encode(&mut self, message: &Message, buffer_hint: usize) -> Result<Bytes, XmlError> {
        let mut out = Vec::with_capacity(buffer_hint);
        match self {
            Encode::Session(writer) => writer.encode(message, &mut out)?,
            Encode::Shared(encoder) => encoder.encode(message, &mut out)?,
        }
        Ok(out.into())
    }
}

impl Decode {
    /// The message in `frame`. [`SessionDecodeError::Session`] means the connection's
    /// string tables can no longer be trusted: the connection must go.
    fn decode(&mut self, frame: Bytes) -> Result<Message, SessionDecodeError> {
        match self {
            Decode::Session(reader) => reader.decode(frame),
            Decode::Shared(encoder) => Ok(encoder.decode(frame)?),
        }
    }
}

/// Writes queued messages, encoded for this connection, until the queue ends (then closes
/// the connection gracefully) or a write fails (returned).
pub(crate) async fn write_messages(
    mut sink: Box<dyn FrameSink>,
    mut encode: Encode,
    mut queue: mpsc::Receiver<Box<Message>>,
) -> Result<(), TransportError> {
    // Frames of one session are alike in size; start each buffer at the last one's.
    let mut hint = 512;
    while let Some(message) = queue.next().await {
        let frame = match encode.encode(&message, hint) {
            Ok(frame) => frame,
            Err(e) => {
                error!(error = %e, action = message.action(), "cannot encode a WS-RM message");
                continue;
            }
        };
        hint = frame.len() + 64;
        sink.send(frame).await?;
    }
    let _ = sink.close().await;
    Ok(())
}

/// What [`read_message`] found.
pub(crate) enum Received {
    /// A message, or why this one message is unreadable (the connection is still sound).
    Message(Result<Box<Message>, XmlError>),
    /// The connection ended or broke.
    Ended,
}

/// Reads and decodes the next message of a connection.
pub(crate) async fn read_message(
    stream: &mut Box<dyn FrameStream>,
    decode: &mut Decode,
) -> Received {
    match stream.receive().await {
        Ok(Some(frame)) => match decode.decode(frame) {
            Ok(message) => Received::Message(Ok(Box::new(message))),
            Err(SessionDecodeError::Message(e)) => Received::Message(Err(e)),
            Err(SessionDecodeError::Session(why)) => {
                // As WCF faults a session channel: abort the connection, no SOAP fault.
                debug!(%why, "the connection's session encoding broke; dropping it");
                Received::Ended
            }
        },
        Ok(None) => Received::Ended,
        Err(e) => {
            debug!(error = %e, "reliable session's connection failed while reading");
            Received::Ended
        }
    }
}
