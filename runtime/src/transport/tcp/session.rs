//! The message phase of a duplex connection (net-tcp.md §1.5): messages as SizedEnvelopes both
//! ways, End as a half-close, a Fault from the listener instead of the next message.

use super::fault::{fault_error, FramingFault};
use super::framing::{FramingError, Limits, Record, RecordType};
use super::io::{deadline_after, drain, io_error, ReadError, Reader, SharedWriter, MAX_DRAIN_SIZE};
use crate::transport::{Connection, FrameSink, FrameStream, TransportError};
use bytes::Bytes;
use futures::future::BoxFuture;
use std::time::Duration;
use tracing::debug;

/// Which end of the connection this is; only the listener may send faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Client,
    Server,
}

/// Builds the `Connection` of a handshaken socket. `reader` may already hold the first bytes
/// of the session.
pub(crate) fn connection(
    role: Role,
    reader: Reader,
    writer: SharedWriter,
    max_received_message_size: usize,
    close_timeout: Duration,
    address: String,
    peer: String,
) -> Connection {
    let limits = Limits::new(max_received_message_size);
    Connection {
        sink: Box::new(TcpSink {
            writer: writer.clone(),
            close_timeout,
        }),
        stream: Box::new(TcpStream {
            role,
            reader: Some(reader),
            writer,
            limits,
            close_timeout,
            address,
            ended: false,
        }),
        peer,
        // The listener knows it and sets it.
        remote_address: None,
    }
}

/// Sends messages as SizedEnvelopes.
struct TcpSink {
    writer: SharedWriter,
    close_timeout: Duration,
}

impl FrameSink for TcpSink {
    fn send(&mut self, frame: Bytes) -> BoxFuture<'_, Result<(), TransportError>> {
        Box::pin(async move { self.writer.lock().await.write_envelope(frame).await })
    }

    fn close(&mut self) -> BoxFuture<'_, Result<(), TransportError>> {
        Box::pin(async move {
            let timeout = self.close_timeout;
            let end = async { self.writer.lock().await.write_end().await };
            tokio::time::timeout(timeout, end)
                .await
                .unwrap_or_else(|_| {
                    Err(TransportError::Io(format!(
                        "sending End timed out after {timeout:?}"
                    )))
                })
        })
    }
}

/// Receives messages.
struct TcpStream {
    role: Role,
    /// `None` once the stream has failed: later receives report `Closed`.
    reader: Option<Reader>,
    writer: SharedWriter,
    limits: Limits,
    close_timeout: Duration,
    /// The address, for fault errors.
    address: String,
    /// End has arrived: later receives report `None` again.
    ended: bool,
}

impl TcpStream {
    async fn next(&mut self) -> Result<Option<Bytes>, TransportError> {
        if self.ended {
            return Ok(None);
        }
        let Some(reader) = self.reader.as_mut() else {
            return Err(TransportError::Closed);
        };
        let role = self.role;
        let expected = move |byte: u8| match RecordType::from_byte(byte) {
            Some(RecordType::SizedEnvelope | RecordType::End) => true,
            Some(RecordType::Fault) => role == Role::Client,
            _ => false,
        };
        let error = match reader.next(&self.limits, expected).await {
            Ok(Record::SizedEnvelope(frame)) => return Ok(Some(frame)),
            Ok(Record::End) => {
                self.ended = true;
                return Ok(None);
            }
            Ok(Record::Fault(uri)) => {
                debug!(fault = %uri, address = %self.address, "net.tcp peer sent a fault");
                let writer = self.writer.clone();
                let abandon = async move { writer.lock().await.abandon().await };
                // Bounded: a send stuck on a full socket must not hold the error back forever.
                let _ = tokio::time::timeout(self.close_timeout, abandon).await;
                fault_error(&uri, &self.address)
            }
            Ok(other) => protocol_error(format!(
                "unexpected {:?} record in the session",
                other.record_type()
            )),
            Err(ReadError::Framing(FramingError::EnvelopeTooLarge { size, max })) => {
                if self.role == Role::Server {
                    self.refuse_oversized();
                }
                TransportError::FrameTooLarge { size, max }
            }
            Err(ReadError::Framing(error)) => protocol_error(error.to_string()),
            Err(ReadError::Unexpected(byte)) => protocol_error(format!(
                "unexpected record type 0x{byte:02X} in the session"
            )),
            Err(ReadError::Eof { mid_record: false }) => {
                // EOF without End: the peer aborted the session.
                debug!(address = %self.address, "net.tcp peer closed without End");
                TransportError::Closed
            }
            Err(ReadError::Eof { mid_record: true }) => {
                protocol_error("the connection ended inside a record".to_owned())
            }
            Err(ReadError::Io(error)) => io_error(&error),
        };
        // Nothing after a broken record can be trusted, so the stream stays failed.
        self.reader = None;
        Err(error)
    }

    /// Answers a too-large message as WCF does: a MaxMessageSizeExceededFault, then drain the
    /// input so the peer gets to read the fault, then close. Runs in its own task so that
    /// receive reports the error at once.
    fn refuse_oversized(&mut self) {
        let (Some(reader), writer) = (self.reader.take(), self.writer.clone()) else {
            return;
        };
        let deadline = deadline_after(self.close_timeout);
        let address = self.address.clone();
        tokio::spawn(async move {
            let sent = tokio::time::timeout_at(deadline, async {
                writer
                    .lock()
                    .await
                    .write_fault(FramingFault::MaxMessageSizeExceeded)
                    .await
            })
            .await;
            if !matches!(sent, Ok(Ok(()))) {
                debug!(%address, "could not send MaxMessageSizeExceededFault");
                return;
            }
            let clean = drain(reader.into_inner(), MAX_DRAIN_SIZE, deadline).await;
            debug!(%address, clean, "drained a net.tcp connection after a fault");
        });
    }
}

fn protocol_error(text: String) -> TransportError {
    TransportError::Framing(text)
}

impl FrameStream for TcpStream {
    fn receive(&mut self) -> BoxFuture<'_, Result<Option<Bytes>, TransportError>> {
        Box::pin(self.next())
    }
}
