//! The application's side of a reliable session: a [`DuplexChannel`] whose halves talk to the
//! driver task through commands, and receive what the session delivers.

use crate::channel::{DuplexChannel, MessageSink, MessageSource, ReceiveError};
use crate::error::Error;
use crate::message::Message;
use futures::channel::mpsc;
use futures::future::BoxFuture;
use futures::StreamExt;
use tokio::sync::oneshot;

/// What the application asks of the driver.
#[derive(Debug)]
pub(crate) enum AppCommand {
    /// Put a message on the output sequence; answered once it is in the window.
    Send(Box<Message>, oneshot::Sender<Result<(), Error>>),
    /// A request was handled without a reply (one-way).
    NoReply(Option<String>),
    /// Close the session gracefully; answered when it is closed.
    Close(oneshot::Sender<Result<(), Error>>),
    /// The application took one delivered message (frees receive buffer: flow control).
    Dequeued,
    /// The sending half was dropped: abort unless the session is already closed.
    Dropped,
}

/// What the driver hands the application: messages in order, then the end or the fault.
/// Both sides boxed: a channel allocates its slots in blocks of 32 when it is created, and an
/// idle session should not hold a block of whole messages (about 11 KiB) or of errors (2 KiB)
/// for its one delivery.
pub(crate) type Delivery = Result<Box<Message>, Box<Error>>;

/// Sends commands for one session, tagged with the session's key.
pub(crate) type Commands<K> = mpsc::UnboundedSender<(K, AppCommand)>;

/// A channel for session `key` (identified on the wire by `session_id`): the driver keeps the
/// returned sender to deliver messages.
pub(crate) fn channel<K: Copy + Send + Sync + 'static>(
    key: K,
    commands: Commands<K>,
    peer: String,
    session_id: Option<String>,
    identity: crate::security::CallerIdentity,
) -> (DuplexChannel, mpsc::UnboundedSender<Delivery>) {
    let (deliver, deliveries) = mpsc::unbounded();
    let channel = DuplexChannel {
        sink: Box::new(SessionSink {
            key,
            commands: commands.clone(),
        }),
        source: Box::new(SessionSource {
            key,
            commands,
            deliveries,
        }),
        peer,
        remote_address: None,
        session_id,
        identity,
    };
    (channel, deliver)
}

struct SessionSink<K: Copy + Send + Sync + 'static> {
    key: K,
    commands: Commands<K>,
}

impl<K: Copy + Send + Sync + 'static> SessionSink<K> {
    async fn ask(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<(), Error>>) -> AppCommand,
    ) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .unbounded_send((self.key, command(tx)))
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}

fn gone() -> Error {
    Error::InvalidState {
        operation: "use the reliable session",
        object: "reliable session",
        state: crate::CommunicationState::Closed,
        cause: None,
    }
}

impl<K: Copy + Send + Sync + 'static> MessageSink for SessionSink<K> {
    fn send(&mut self, message: Message) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.ask(|tx| AppCommand::Send(Box::new(message), tx)))
    }

    fn no_reply(&mut self, request_id: Option<&str>) {
        let _ = self
            .commands
            .unbounded_send((self.key, AppCommand::NoReply(request_id.map(str::to_owned))));
    }

    fn close(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.ask(AppCommand::Close))
    }
}

impl<K: Copy + Send + Sync + 'static> Drop for SessionSink<K> {
    fn drop(&mut self) {
        let _ = self
            .commands
            .unbounded_send((self.key, AppCommand::Dropped));
    }
}

struct SessionSource<K: Copy + Send + Sync + 'static> {
    key: K,
    commands: Commands<K>,
    deliveries: mpsc::UnboundedReceiver<Delivery>,
}

impl<K: Copy + Send + Sync + 'static> MessageSource for SessionSource<K> {
    fn receive(&mut self) -> BoxFuture<'_, Result<Option<Message>, ReceiveError>> {
        Box::pin(async move {
            match self.deliveries.next().await {
                Some(Ok(message)) => {
                    let _ = self
                        .commands
                        .unbounded_send((self.key, AppCommand::Dequeued));
                    Ok(Some(*message))
                }
                Some(Err(e)) => Err(ReceiveError::Failed(*e)),
                None => Ok(None),
            }
        })
    }
}
