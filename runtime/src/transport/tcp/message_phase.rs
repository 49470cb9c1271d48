//! The message phase of a duplex connection (net-tcp.md §1.5): messages as SizedEnvelopes both
//! ways, End as a half-close, a Fault from the listener instead of the next message.

use super::fault::{fault_error, FramingFault};
use super::framing::{FramingError, Limits, Record, RecordType};
use super::io::{deadline_after, drain, io_error, ReadError, Reader, SharedWriter, MAX_DRAIN_SIZE};
use crate::transport::{Connection, FrameSink, FrameStream, TransportError};
use bytes::Bytes;
use futures::future::BoxFuture;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{debug, warn};

/// How long a send that failed on a broken connection waits for the receiving side to say
/// why. A listener that refuses a message sends its fault and then resets the connection, so
/// the write fails with a bare reset while the fault is in the read buffer; the reader (a
/// client always has one running) takes microseconds to get to it. It is only waited for when
/// the send has failed already, and it ends as soon as the receiving side ends in any way.
const FAULT_GRACE: Duration = Duration::from_secs(1);

/// How the receiving direction ended, shared with the sink of the same connection: `None`
/// while it runs, then the error it ended with (a fault, or `Closed`).
type Verdict = watch::Sender<Option<TransportError>>;

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
    let verdict = watch::Sender::new(None);
    Connection {
        sink: Box::new(TcpSink {
            role,
            writer: writer.clone(),
            close_timeout,
            verdict: verdict.clone(),
        }),
        stream: Box::new(TcpStream {
            role,
            reader: Some(reader),
            writer,
            limits,
            close_timeout,
            address,
            ended: false,
            verdict,
        }),
        peer,
        // The listener knows them and sets them.
        remote_address: None,
        identity: Default::default(),
    }
}

/// Sends messages as SizedEnvelopes.
struct TcpSink {
    role: Role,
    writer: SharedWriter,
    close_timeout: Duration,
    verdict: Verdict,
}

impl TcpSink {
    /// The error to report for a send that failed with `error`: the fault the listener sent,
    /// if that is why the connection broke (a client whose message was too large learns it
    /// here), else `error` itself.
    async fn explain(&self, error: TransportError) -> TransportError {
        if self.role != Role::Client || !matches!(error, TransportError::Closed) {
            return error;
        }
        let mut verdict = self.verdict.subscribe();
        let ended = tokio::time::timeout(FAULT_GRACE, verdict.wait_for(Option::is_some)).await;
        let fault = match &ended {
            Ok(Ok(seen)) => match &**seen {
                Some(fault @ TransportError::Framing(_)) => Some(fault.clone()),
                _ => None,
            },
            _ => None,
        };
        fault.unwrap_or(error)
    }
}

impl FrameSink for TcpSink {
    fn send(&mut self, frame: Vec<u8>) -> BoxFuture<'_, Result<(), TransportError>> {
        Box::pin(async move {
            let sent = {
                let mut writer = self.writer.lock().await;
                if writer.is_finished() {
                    // Closed here, by End or a fault: nothing to explain.
                    return Err(TransportError::Closed);
                }
                writer.write_envelope(frame).await
            };
            match sent {
                Ok(()) => Ok(()),
                Err(error) => Err(self.explain(error).await),
            }
        })
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
    /// Where the sink learns how this direction ended.
    verdict: Verdict,
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
                self.verdict.send_replace(Some(TransportError::Closed));
                return Ok(None);
            }
            Ok(Record::Fault(uri)) => {
                debug!(fault = %uri, address = %self.address, "net.tcp peer sent a fault");
                let error = fault_error(&uri, &self.address);
                // Before the half-close, which may wait for a send that is failing because of
                // this very fault and wants to report it.
                self.verdict.send_replace(Some(error.clone()));
                let writer = self.writer.clone();
                let abandon = async move { writer.lock().await.abandon().await };
                // Bounded: a send stuck on a full socket must not hold the error back forever.
                let _ = tokio::time::timeout(self.close_timeout, abandon).await;
                error
            }
            Ok(other) => protocol_error(format!(
                "unexpected {:?} record in the session",
                other.record_type()
            )),
            Err(ReadError::Framing(FramingError::EnvelopeTooLarge { size, max })) => {
                if self.role == Role::Server {
                    warn!(
                        address = %self.address,
                        size,
                        max_received_message_size = max,
                        "a message larger than MaxReceivedMessageSize; refusing it with \
                         MaxMessageSizeExceededFault and closing the session"
                    );
                    self.refuse_oversized().await;
                } else {
                    warn!(
                        address = %self.address,
                        size,
                        max_received_message_size = max,
                        "the service sent a message larger than MaxReceivedMessageSize; \
                         aborting the session"
                    );
                }
                TransportError::FrameTooLarge { size, max }
            }
            Err(ReadError::Framing(error)) => protocol_error(error.to_string()),
            Err(ReadError::Unexpected(byte)) => protocol_error(format!(
                "unexpected record type 0x{byte:02X} in the session"
            )),
            Err(ReadError::Eof { mid_record: false }) if self.end_sent().await => {
                // Our End is out and the peer closed at a record boundary without its own: a
                // Mono service does exactly this. Nothing was lost, so it is a normal close.
                debug!(address = %self.address, "net.tcp peer closed after our End without its own");
                self.ended = true;
                self.reader = None;
                self.verdict.send_replace(Some(TransportError::Closed));
                return Ok(None);
            }
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
        self.verdict.send_replace(Some(error.clone()));
        Err(error)
    }

    /// Whether this side has sent End (or a fault): its writer is finished.
    async fn end_sent(&self) -> bool {
        // Bounded: a send stuck on a full socket holds the lock, and then End is not out.
        tokio::time::timeout(Duration::from_millis(100), self.writer.lock())
            .await
            .is_ok_and(|writer| writer.is_finished())
    }

    /// Answers a too-large message as WCF does: a MaxMessageSizeExceededFault, then drain the
    /// input so the peer gets to read the fault, then close. The fault is written before
    /// receive reports the error, so the End that the session's close sends next cannot
    /// overtake it (the writer is finished once the fault is out); the drain runs in a task of
    /// its own.
    async fn refuse_oversized(&mut self) {
        let (Some(reader), writer) = (self.reader.take(), self.writer.clone()) else {
            return;
        };
        let deadline = deadline_after(self.close_timeout);
        let address = self.address.clone();
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
        tokio::spawn(async move {
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
