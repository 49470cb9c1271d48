//! A session channel of the inner binding under a reliable session: one connection of it, as
//! the driver sees it (a reconnection is a new channel).
//!
//! The channel encodes and decodes itself (`DuplexChannel::encoded`, with a session encoder of
//! its own per connection when the encoding has one, NetTcp's msbinsession1 string tables), so
//! the driver hands it whole messages and gets whole messages back. What stays here is why
//! the driver needs tasks around it: a writer per connection drains a bounded queue, so that
//! the state machine never waits on a socket, and a reader tells an unreadable message (the
//! connection is still sound) from a connection that ended or broke.

use crate::channel::{MessageSink, MessageSource, ReceiveError};
use crate::error::Error;
use crate::message::{Message, XmlError};
use futures::channel::mpsc;
use futures::StreamExt;
use tracing::{debug, error};

/// Writes queued messages until the queue ends (then closes the channel gracefully, its End)
/// or the channel fails (returned).
pub(crate) async fn write_messages(
    mut sink: Box<dyn MessageSink>,
    mut queue: mpsc::Receiver<Box<Message>>,
) -> Result<(), Error> {
    while let Some(message) = queue.next().await {
        match sink.send(*message).await {
            Ok(()) => {}
            // The message is our own, so this is a local bug, and a session encoder rolls its
            // table back: the connection stays usable; the protocol re-sends what matters.
            Err(Error::Xml(e)) => {
                error!(error = %e, "cannot encode a WS-RM message");
            }
            Err(e) => return Err(e),
        }
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

/// The next message of a connection.
pub(crate) async fn read_message(source: &mut Box<dyn MessageSource>) -> Received {
    match source.receive().await {
        Ok(Some(message)) => Received::Message(Ok(Box::new(message))),
        Err(ReceiveError::Unreadable(e)) => Received::Message(Err(e)),
        Ok(None) => Received::Ended,
        Err(ReceiveError::Failed(e)) => {
            // A transport failure, or a session encoding the peer broke (the channel aborts
            // the connection then, as WCF faults a session channel: no SOAP fault).
            debug!(error = %e, "reliable session's connection failed while reading");
            Received::Ended
        }
    }
}
