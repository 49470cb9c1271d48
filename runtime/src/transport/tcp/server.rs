//! The listener: accepts sockets in background tasks (WCF's `MaxPendingAccepts` of them), runs
//! each preamble in a task of its own under the ChannelInitializationTimeout (so a slow or
//! hostile client never holds up another), and queues handshaken sessions for `accept`. Which
//! connections stay pending, and which are shed when `MaxPendingConnections` is reached, is
//! decided by the sans-IO [`PendingTable`](super::admission::PendingTable).

use super::address;
use super::admission::{Admission, PendingId, PendingTable};
use super::envelope_stream::{Reuse, UnsizedReader, UnsizedWriter};
use super::fault::FramingFault;
use super::framing::{self, Limits, Mode, Record, RecordType};
use super::io::{
    deadline_after, drain, shared_writer, write_fault, ReadError, Reader, RecordReader, WriteHalf,
    MAX_DRAIN_SIZE,
};
use super::message_phase::{connection, Role};
use super::options::TcpOptions;
use super::preamble::{PreambleCheck, Step};
use super::upgrade;
use crate::security::CallerIdentity;
use crate::transport::{Connection, Listener, TransportError};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, Notify};
use tokio::task::{AbortHandle, JoinSet};
use tracing::{debug, info, warn};

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

/// The pending connections of a listener: the table that decides, and the preamble task of
/// each entry, to close a connection the table sheds.
#[derive(Debug)]
struct PendingConnections {
    state: Mutex<PendingState>,
    /// Signalled when an entry leaves, for accept loops waiting on a table full of handshaken
    /// connections.
    room: Notify,
}

#[derive(Debug)]
struct PendingState {
    table: PendingTable,
    tasks: HashMap<PendingId, AbortHandle>,
    /// Connections shed so far, for the log.
    shed: u64,
}

impl PendingConnections {
    fn new(max: usize) -> Arc<Self> {
        Arc::new(PendingConnections {
            state: Mutex::new(PendingState {
                table: PendingTable::new(max),
                tasks: HashMap::new(),
                shed: 0,
            }),
            room: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, PendingState> {
        // Every update is a single map operation, so a panic elsewhere cannot leave the state
        // half-changed: a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Returns once a new connection could be admitted.
    async fn wait_for_room(&self) {
        loop {
            if self.lock().table.has_room() {
                return;
            }
            self.room.notified().await;
        }
    }

    /// Admits a connection and spawns `task` with its slot; sheds (closes) the connection the
    /// table gives up for it. `false` when there is no room: the caller drops the socket.
    fn start(
        self: &Arc<Self>,
        peer: SocketAddr,
        task: impl FnOnce(Slot) -> BoxFuture<'static, ()>,
    ) -> bool {
        let victim = {
            let mut state = self.lock();
            let (id, shed) = match state.table.admit() {
                Admission::Admitted { id, shed } => (id, shed),
                Admission::Full => return false,
            };
            let slot = Slot {
                pending: self.clone(),
                id,
            };
            // Inserted under the lock, so the task cannot finish (and remove its entry) first.
            let handle = tokio::spawn(task(slot)).abort_handle();
            state.tasks.insert(id, handle);
            let victim = shed.and_then(|victim| state.tasks.remove(&victim));
            if victim.is_some() {
                state.shed += 1;
                let shed = state.shed;
                // Once per power of two, so a flood is visible without a line per socket.
                if shed.is_power_of_two() {
                    info!(
                        %peer,
                        shed,
                        max_pending_connections = state.table.len(),
                        "net.tcp pending connections full: closing the oldest without a \
                         preamble to admit a new one"
                    );
                }
            }
            victim
        };
        if let Some(victim) = victim {
            // Dropping the task closes its socket.
            victim.abort();
        }
        true
    }

    /// Closes every pending connection (the listener is gone).
    fn close_all(&self) {
        let tasks: Vec<AbortHandle> = self.lock().tasks.drain().map(|(_, task)| task).collect();
        for task in tasks {
            task.abort();
        }
    }
}

/// A connection's place among the pending ones, from accept until the host takes it (or it is
/// refused, times out or is shed). Dropping it frees the place.
#[derive(Debug)]
struct Slot {
    pending: Arc<PendingConnections>,
    id: PendingId,
}

impl Slot {
    /// A preamble record arrived: the connection is no longer silent.
    fn progressed(&self) {
        self.pending.lock().table.progressed(self.id);
    }

    /// The preamble is accepted: the connection can no longer be shed.
    fn handshaken(&self) {
        self.pending.lock().table.handshaken(self.id);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let freed = {
            let mut state = self.pending.lock();
            state.tasks.remove(&self.id);
            state.table.remove(self.id)
        };
        if freed {
            self.pending.room.notify_one();
        }
    }
}

/// A handshaken connection and its place among the pending ones.
type Pending<T> = (T, Slot);

/// Turns a handshaken socket into what the listener hands out; streamed endpoints also get
/// the [`Reuse`] that takes the socket back for another preamble after a clean exchange.
type Wrap<T> =
    fn(Reader, WriteHalf, &Endpoint, SocketAddr, CallerIdentity, Option<Arc<Reuse>>) -> T;

/// What serving one connection needs: the endpoint, where accepted connections go, and the
/// pending connections.
struct Serving<T> {
    endpoint: Arc<Endpoint>,
    queue: mpsc::Sender<Pending<T>>,
    pending: Arc<PendingConnections>,
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

/// What keeps a listener running: its accept loops and its pending connections. Dropping it
/// stops accepting, closes the socket and every connection still in its preamble.
#[derive(Debug)]
struct Running {
    accept_loops: JoinSet<()>,
    pending: Arc<PendingConnections>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.accept_loops.abort_all();
        self.pending.close_all();
    }
}

/// A net.tcp listener on one address. Dropping it stops accepting and frees the port.
#[derive(Debug)]
pub struct TcpListener {
    address: String,
    incoming: mpsc::Receiver<Pending<Connection>>,
    _running: Running,
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
    _running: Running,
}

impl StreamedListener {
    /// The next exchange.
    pub async fn accept(&mut self) -> Result<StreamedExchange, TransportError> {
        let (exchange, _slot) = self.incoming.recv().await.ok_or(TransportError::Closed)?;
        Ok(exchange)
    }

    /// The address clients connect to (with the real port when port 0 was asked for).
    pub fn local_address(&self) -> String {
        self.address.clone()
    }
}

/// Binds a streamed endpoint; otherwise as [`listen`].
pub async fn listen_streamed(
    address: &str,
    options: TcpOptions,
) -> Result<StreamedListener, TransportError> {
    let wrap: Wrap<StreamedExchange> =
        |reader, write, endpoint, peer, _identity, reuse| StreamedExchange {
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
    let (address, incoming, running) = bind(address, options, Mode::Singleton, wrap).await?;
    Ok(StreamedListener {
        address,
        incoming,
        _running: running,
    })
}

/// Binds `net.tcp://host[:port]/path` (port 0 picks a free port; the real one shows in
/// [`Listener::local_address`]) and starts accepting.
pub async fn listen(address: &str, options: TcpOptions) -> Result<TcpListener, TransportError> {
    let wrap: Wrap<Connection> = |reader, write, endpoint, peer, identity, _reuse| {
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
        connection.identity = identity;
        connection
    };
    let (address, incoming, running) = bind(address, options, Mode::Duplex, wrap).await?;
    Ok(TcpListener {
        address,
        incoming,
        _running: running,
    })
}

/// What a bound listener consists of: its address, its queue and what keeps it running.
type Bound<T> = (String, mpsc::Receiver<Pending<T>>, Running);

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
    let pending_limit = options.max_pending_connections.max(1);
    let accepts = options.max_pending_accepts.max(1);
    let (queue, incoming) = mpsc::channel(pending_limit);
    let endpoint = Arc::new(Endpoint {
        path: target.path,
        address: address.clone(),
        options,
        mode,
    });
    let pending = PendingConnections::new(pending_limit);
    let serving = Serving {
        endpoint,
        queue,
        pending: pending.clone(),
        wrap,
    };
    let socket = Arc::new(socket);
    let mut accept_loops = JoinSet::new();
    for _ in 0..accepts {
        accept_loops.spawn(accept_loop(socket.clone(), serving.clone()));
    }
    debug!(
        %address,
        ?mode,
        max_pending_connections = pending_limit,
        max_pending_accepts = accepts,
        "net.tcp listener started"
    );
    Ok((
        address,
        incoming,
        Running {
            accept_loops,
            pending,
        },
    ))
}

impl Listener for TcpListener {
    fn accept(&mut self) -> BoxFuture<'_, Result<Connection, TransportError>> {
        Box::pin(async move {
            // The slot drops here: the connection is no longer pending.
            let (connection, _slot) = self.incoming.recv().await.ok_or(TransportError::Closed)?;
            Ok(connection)
        })
    }

    fn local_address(&self) -> String {
        self.address.clone()
    }
}

/// One of the listener's outstanding accepts (WCF's `MaxPendingAccepts`): waits for room among
/// the pending connections, accepts, and starts the preamble in a task of its own.
async fn accept_loop<T: Send + 'static>(socket: Arc<tokio::net::TcpListener>, serving: Serving<T>) {
    loop {
        tokio::select! {
            () = serving.pending.wait_for_room() => {}
            () = serving.queue.closed() => return,
        }
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
        if let Err(e) = tcp.set_nodelay(true) {
            debug!(%peer, error = %e, "could not set TCP_NODELAY");
        }
        let (read, write) = tcp.into_split();
        let reader: Reader = RecordReader::new(Box::new(read));
        let write: WriteHalf = Box::new(write);
        let again = serving.clone();
        let started = serving.pending.start(peer, move |slot| {
            serve_connection(again, reader, write, peer, slot)
        });
        if !started {
            // Another accept loop took the last place since the wait: the socket closes.
            debug!(%peer, "no room among the pending net.tcp connections; closing");
        }
    }
}

/// Runs a preamble on a connection and queues what it yields. Boxed, because a reused
/// streamed connection comes back here from inside the future.
fn serve_connection<T: Send + 'static>(
    serving: Serving<T>,
    reader: Reader,
    write: WriteHalf,
    peer: SocketAddr,
    slot: Slot,
) -> BoxFuture<'static, ()> {
    Box::pin(async move {
        let Some((reader, write, identity)) =
            handshake(reader, write, peer, &serving.endpoint, &slot).await
        else {
            return;
        };
        slot.handshaken();
        // A singleton exchange ends with End both ways, after which the client may send a new
        // preamble on the same socket (MS-NMFTB; Mono's client does), as WCF's listener allows.
        let reuse = (serving.endpoint.mode == Mode::Singleton).then(|| {
            let again = serving.clone();
            Reuse::new(Box::new(move |reader, write| {
                // A reused connection is pending again; with no room it just closes.
                let serving = again.clone();
                let started = again.pending.start(peer, move |slot| {
                    serve_connection(serving, reader, write, peer, slot)
                });
                if !started {
                    debug!(%peer, "no room to reuse a net.tcp connection; closing");
                }
            }))
        });
        let accepted = (serving.wrap)(reader, write, &serving.endpoint, peer, identity, reuse);
        // Fails only when the listener is gone; the connection then just closes.
        let _ = serving.queue.send((accepted, slot)).await;
    })
}

/// Runs one preamble, with its stream upgrade when the endpoint requires one; `None` when
/// the connection was refused or dropped. The identity is the client's certificate, where
/// the upgrade asked for one.
async fn handshake(
    mut reader: Reader,
    mut write: WriteHalf,
    peer: SocketAddr,
    endpoint: &Endpoint,
    slot: &Slot,
) -> Option<(Reader, WriteHalf, CallerIdentity)> {
    let options = &endpoint.options;
    let deadline = deadline_after(options.preamble_timeout);
    let mut check = PreambleCheck::new(&endpoint.path, options.encoding).with_mode(endpoint.mode);
    let required = match &options.upgrade {
        Some(upgrade) if !upgrade.is_client() => {
            check = check.with_upgrade(upgrade.protocol());
            Some(upgrade.clone())
        }
        _ => None,
    };
    let mut identity = CallerIdentity::Anonymous;
    // The preamble has no envelopes, so the envelope limit is moot here.
    let limits = Limits::new(0);
    let outcome = loop {
        let next = reader.next(&limits, |byte| check.expects(byte));
        let record = match tokio::time::timeout_at(deadline, next).await {
            Err(_) => break None,
            Ok(Ok(record)) => record,
            Ok(Err(error)) => break Some(Step::Abort(describe(&error))),
        };
        slot.progressed();
        match check.next(record) {
            Step::Continue => {}
            Step::Upgrade => {
                let Some(required) = required.clone() else {
                    break Some(Step::Abort("an upgrade nobody offered".to_owned()));
                };
                let upgrade = async move {
                    write
                        .write_all(&[RecordType::UpgradeResponse.byte()])
                        .await
                        .map_err(|e| format!("could not send UpgradeResponse: {e}"))?;
                    upgrade::server(reader, write, &required).await
                };
                match tokio::time::timeout_at(deadline, upgrade).await {
                    Ok(Ok((upgraded_reader, upgraded_write, who))) => {
                        reader = upgraded_reader;
                        write = upgraded_write;
                        identity = who;
                        check.upgraded();
                    }
                    Ok(Err(why)) => {
                        debug!(%peer, %why, "net.tcp stream upgrade failed; closing");
                        return None;
                    }
                    Err(_) => {
                        debug!(
                            %peer,
                            timeout = ?options.preamble_timeout,
                            "no upgrade handshake within the ChannelInitializationTimeout; closing"
                        );
                        return None;
                    }
                }
            }
            other => break Some(other),
        }
    };
    match outcome {
        None => {
            debug!(
                %peer,
                timeout = ?options.preamble_timeout,
                "no complete net.tcp preamble within the ChannelInitializationTimeout; closing"
            );
            None
        }
        Some(Step::Abort(why)) => {
            debug!(%peer, %why, "bad net.tcp preamble; closing without a fault");
            None
        }
        Some(Step::Fault(fault)) => {
            refuse(write, reader, fault, deadline, peer).await;
            None
        }
        Some(Step::Accept) => {
            let mut ack = Vec::with_capacity(1);
            // PreambleAck has no payload, so encoding cannot fail.
            let _ = framing::encode(&Record::PreambleAck, &mut ack);
            let sent = async {
                write.write_all(&ack).await?;
                write.flush().await
            };
            match tokio::time::timeout_at(deadline, sent).await {
                Ok(Ok(())) => {}
                _ => {
                    debug!(%peer, "could not send PreambleAck; closing");
                    return None;
                }
            }
            debug!(%peer, address = %endpoint.address, secured = required.is_some(), "net.tcp connection accepted");
            Some((reader, write, identity))
        }
        Some(Step::Continue | Step::Upgrade) => None,
    }
}

/// Sends a fault the way WCF does: the Fault record, a half-close, then a drain of the input
/// until EOF (bounded in bytes and by the preamble deadline) so the client can read the fault
/// before the socket goes away.
async fn refuse(
    mut write: WriteHalf,
    reader: Reader,
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
