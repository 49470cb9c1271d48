//! The listener: accepts sockets in a background task, checks each preamble in a task of its
//! own under the preamble timeout (so a slow or hostile client never holds up another), and
//! queues handshaken sessions for `accept`.

use super::address;
use super::envelope_stream::{Reuse, UnsizedReader, UnsizedWriter};
use super::fault::FramingFault;
use super::framing::{self, Limits, Mode, Record};
use super::io::{
    deadline_after, drain, shared_writer, write_fault, ReadError, Reader, RecordReader,
    MAX_DRAIN_SIZE,
};
use super::options::TcpOptions;
use super::preamble::{PreambleCheck, Step};
use super::session::{connection, Role};
use crate::transport::{Connection, Listener, TransportError};
use futures::future::BoxFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tracing::{debug, warn};

/// Pause after a failed `accept` (say, out of file descriptors) before trying again, so the
/// loop does not spin.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// What every handshake task needs.
#[derive(Debug)]
struct Endpoint {
    /// The path Vias must match.
    path: String,
    /// The address clients use, for logs and errors.
    address: String,
    options: TcpOptions,
    /// Duplex for buffered endpoints, singleton for streamed ones.
    mode: Mode,
}

/// A handshaken connection and its place among the pending ones.
type Pending<T> = (T, OwnedSemaphorePermit);

/// Turns a handshaken socket into what the listener hands out; streamed endpoints also get
/// the [`Reuse`] that takes the socket back for another preamble after a clean exchange.
type Wrap<T> = fn(Reader, OwnedWriteHalf, &Endpoint, SocketAddr, Option<Arc<Reuse>>) -> T;

/// What serving one connection needs: the endpoint, where accepted connections go, and the
/// pending-connection limit.
struct Serving<T> {
    endpoint: Arc<Endpoint>,
    queue: mpsc::Sender<Pending<T>>,
    pending: Arc<Semaphore>,
    wrap: Wrap<T>,
}

impl<T> Clone for Serving<T> {
    fn clone(&self) -> Self {
        Serving {
            endpoint: self.endpoint.clone(),
            queue: self.queue.clone(),
            pending: self.pending.clone(),
            wrap: self.wrap,
        }
    }
}

/// A net.tcp listener on one address. Dropping it stops accepting and frees the port.
#[derive(Debug)]
pub struct TcpListener {
    address: String,
    incoming: mpsc::Receiver<Pending<Connection>>,
    accept_task: JoinHandle<()>,
}

/// One streamed (singleton) exchange accepted by a [`StreamedListener`]: the request comes in
/// through `request`, the reply goes out through `reply`.
#[derive(Debug)]
pub struct StreamedExchange {
    /// The request envelope.
    pub request: UnsizedReader,
    /// Where the reply envelope goes.
    pub reply: UnsizedWriter,
    /// A description of the peer, for logs.
    pub peer: String,
}

/// A net.tcp listener for streamed transfer (mode `0x01`): every connection carries one
/// request and its reply. Duplex clients get `UnsupportedMode`, as from a WCF streamed
/// endpoint. Dropping it stops accepting and frees the port.
#[derive(Debug)]
pub struct StreamedListener {
    address: String,
    incoming: mpsc::Receiver<Pending<StreamedExchange>>,
    accept_task: JoinHandle<()>,
}

impl StreamedListener {
    /// The next exchange.
    pub async fn accept(&mut self) -> Result<StreamedExchange, TransportError> {
        let (exchange, _permit) = self.incoming.recv().await.ok_or(TransportError::Closed)?;
        Ok(exchange)
    }

    /// The address clients connect to (with the real port when port 0 was asked for).
    pub fn local_address(&self) -> String {
        self.address.clone()
    }
}

impl Drop for StreamedListener {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

/// Binds a streamed endpoint; otherwise as [`listen`].
pub async fn listen_streamed(
    address: &str,
    options: TcpOptions,
) -> Result<StreamedListener, TransportError> {
    let wrap: Wrap<StreamedExchange> = |reader, write, endpoint, peer, reuse| StreamedExchange {
        request: UnsizedReader::new(
            reader,
            endpoint.options.max_received_message_size,
            false,
            endpoint.address.clone(),
        )
        .with_reuse(reuse.clone()),
        reply: UnsizedWriter::new(write).with_reuse(reuse),
        peer: format!("net.tcp client {peer}"),
    };
    let (address, incoming, accept_task) = bind(address, options, Mode::Singleton, wrap).await?;
    Ok(StreamedListener {
        address,
        incoming,
        accept_task,
    })
}

/// Binds `net.tcp://host[:port]/path` (port 0 picks a free port; the real one shows in
/// [`Listener::local_address`]) and starts accepting.
pub async fn listen(address: &str, options: TcpOptions) -> Result<TcpListener, TransportError> {
    let wrap: Wrap<Connection> = |reader, write, endpoint, peer, _reuse| {
        let mut connection = connection(
            Role::Server,
            reader,
            shared_writer(write),
            endpoint.options.max_received_message_size,
            endpoint.options.close_timeout,
            endpoint.address.clone(),
            format!("net.tcp client {peer}"),
        );
        connection.remote_address = Some(peer);
        connection
    };
    let (address, incoming, accept_task) = bind(address, options, Mode::Duplex, wrap).await?;
    Ok(TcpListener {
        address,
        incoming,
        accept_task,
    })
}

/// What a bound listener consists of: its address, its queue and its accept task.
type Bound<T> = (String, mpsc::Receiver<Pending<T>>, JoinHandle<()>);

async fn bind<T: Send + 'static>(
    address: &str,
    options: TcpOptions,
    mode: Mode,
    wrap: Wrap<T>,
) -> Result<Bound<T>, TransportError> {
    let target = address::parse(address)
        .map_err(|why| TransportError::InvalidAddress(address.to_owned(), why.to_owned()))?;
    let socket = tokio::net::TcpListener::bind((target.host.as_str(), target.port))
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => TransportError::AddressInUse(address.to_owned()),
            _ => TransportError::from(e),
        })?;
    let local = socket.local_addr().map_err(TransportError::from)?;
    let host = if local.is_ipv6() {
        format!("[{}]", local.ip())
    } else {
        local.ip().to_string()
    };
    let address = format!("net.tcp://{host}:{}{}", local.port(), target.path);
    let pending_limit = max_pending_connections();
    let (queue, incoming) = mpsc::channel(pending_limit);
    let endpoint = Arc::new(Endpoint {
        path: target.path,
        address: address.clone(),
        options,
        mode,
    });
    let accept_task = tokio::spawn(accept_loop(socket, endpoint, queue, pending_limit, wrap));
    debug!(%address, ?mode, "net.tcp listener started");
    Ok((address, incoming, accept_task))
}

/// WCF's `MaxPendingConnections` default: 12 per CPU. Sockets beyond it wait in the kernel's
/// backlog instead of costing a task each.
fn max_pending_connections() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    12 * cpus
}

impl Listener for TcpListener {
    fn accept(&mut self) -> BoxFuture<'_, Result<Connection, TransportError>> {
        Box::pin(async move {
            // The permit drops here: the connection is no longer pending.
            let (connection, _permit) = self.incoming.recv().await.ok_or(TransportError::Closed)?;
            Ok(connection)
        })
    }

    fn local_address(&self) -> String {
        self.address.clone()
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        // Ends the accept loop, which closes the socket and aborts handshakes in flight.
        self.accept_task.abort();
    }
}

async fn accept_loop<T: Send + 'static>(
    socket: tokio::net::TcpListener,
    endpoint: Arc<Endpoint>,
    queue: mpsc::Sender<Pending<T>>,
    pending_limit: usize,
    wrap: Wrap<T>,
) {
    let pending = Arc::new(Semaphore::new(pending_limit));
    let serving = Serving {
        endpoint,
        queue,
        pending: pending.clone(),
        wrap,
    };
    // Owning the handshakes means dropping the loop aborts them all.
    let mut handshakes = JoinSet::new();
    loop {
        // A connection counts as pending from accept until `accept()` takes it.
        let Ok(permit) = pending.clone().acquire_owned().await else {
            return;
        };
        let (tcp, peer) = tokio::select! {
            accepted = socket.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    warn!(address = %serving.endpoint.address, error = %e, "net.tcp accept failed");
                    tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
                    continue;
                }
            },
            () = serving.queue.closed() => return,
        };
        while handshakes.try_join_next().is_some() {}
        if let Err(e) = tcp.set_nodelay(true) {
            debug!(%peer, error = %e, "could not set TCP_NODELAY");
        }
        let (read, write) = tcp.into_split();
        handshakes.spawn(serve_connection(
            serving.clone(),
            RecordReader::new(read),
            write,
            peer,
            permit,
        ));
    }
}

/// Runs a preamble on a connection and queues what it yields. Boxed, because a reused
/// streamed connection comes back here from inside the future.
fn serve_connection<T: Send + 'static>(
    serving: Serving<T>,
    reader: Reader,
    write: OwnedWriteHalf,
    peer: SocketAddr,
    permit: OwnedSemaphorePermit,
) -> BoxFuture<'static, ()> {
    Box::pin(async move {
        let Some((reader, write)) = handshake(reader, write, peer, &serving.endpoint).await else {
            return;
        };
        // A singleton exchange ends with End both ways, after which the client may send a new
        // preamble on the same socket (MS-NMFTB; Mono's client does), as WCF's listener allows.
        let reuse = (serving.endpoint.mode == Mode::Singleton).then(|| {
            let again = serving.clone();
            Reuse::new(Box::new(move |reader, write| {
                // A reused connection is pending again; with no room it just closes.
                let Ok(permit) = again.pending.clone().try_acquire_owned() else {
                    debug!(%peer, "no room to reuse a net.tcp connection; closing");
                    return;
                };
                tokio::spawn(serve_connection(again.clone(), reader, write, peer, permit));
            }))
        });
        let accepted = (serving.wrap)(reader, write, &serving.endpoint, peer, reuse);
        // Fails only when the listener is gone; the connection then just closes.
        let _ = serving.queue.send((accepted, permit)).await;
    })
}

/// Runs one preamble; `None` when the connection was refused or dropped.
async fn handshake(
    mut reader: Reader,
    mut write: OwnedWriteHalf,
    peer: SocketAddr,
    endpoint: &Endpoint,
) -> Option<(Reader, OwnedWriteHalf)> {
    let options = &endpoint.options;
    let deadline = deadline_after(options.preamble_timeout);
    let mut check = PreambleCheck::new(&endpoint.path, options.encoding).with_mode(endpoint.mode);
    // The preamble has no envelopes, so the envelope limit is moot here.
    let limits = Limits::new(0);
    let outcome = tokio::time::timeout_at(deadline, async {
        loop {
            let record = match reader.next(&limits, |byte| check.expects(byte)).await {
                Ok(record) => record,
                Err(error) => return Step::Abort(describe(&error)),
            };
            let step = check.next(record);
            if step != Step::Continue {
                return step;
            }
        }
    })
    .await;
    match outcome {
        Err(_) => {
            debug!(%peer, "net.tcp preamble timed out; closing");
            None
        }
        Ok(Step::Abort(why)) => {
            debug!(%peer, %why, "bad net.tcp preamble; closing without a fault");
            None
        }
        Ok(Step::Fault(fault)) => {
            refuse(write, reader, fault, deadline, peer).await;
            None
        }
        Ok(Step::Accept) => {
            let mut ack = Vec::with_capacity(1);
            // PreambleAck has no payload, so encoding cannot fail.
            let _ = framing::encode(&Record::PreambleAck, &mut ack);
            match tokio::time::timeout_at(deadline, write.write_all(&ack)).await {
                Ok(Ok(())) => {}
                _ => {
                    debug!(%peer, "could not send PreambleAck; closing");
                    return None;
                }
            }
            debug!(%peer, address = %endpoint.address, "net.tcp connection accepted");
            Some((reader, write))
        }
        Ok(Step::Continue) => None,
    }
}

/// Sends a fault the way WCF does: the Fault record, a half-close, then a drain of the input
/// until EOF (bounded in bytes and by the preamble deadline) so the client can read the fault
/// before the socket goes away.
async fn refuse(
    mut write: tokio::net::tcp::OwnedWriteHalf,
    reader: RecordReader<tokio::net::tcp::OwnedReadHalf>,
    fault: FramingFault,
    deadline: tokio::time::Instant,
    peer: SocketAddr,
) {
    debug!(%peer, %fault, "refusing a net.tcp preamble");
    match tokio::time::timeout_at(deadline, write_fault(&mut write, fault)).await {
        Ok(Ok(())) => {
            let clean = drain(reader.into_inner(), MAX_DRAIN_SIZE, deadline).await;
            debug!(%peer, clean, "drained a refused net.tcp connection");
        }
        _ => debug!(%peer, "could not send the fault"),
    }
}

fn describe(error: &ReadError) -> String {
    match error {
        ReadError::Eof { mid_record } => {
            format!("the client closed the connection (inside a record: {mid_record})")
        }
        ReadError::Unexpected(byte) => format!("unexpected record type 0x{byte:02X}"),
        ReadError::Framing(error) => error.to_string(),
        ReadError::Io(error) => error.to_string(),
    }
}
