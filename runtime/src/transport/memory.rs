//! The in-process transport: connections are pairs of bounded queues of frames, addresses
//! (`memory://anything`) live in a process-wide table. Messages still go through the encoder,
//! so in-process tests exercise the same bytes a network would carry.

use super::{Connection, FrameSink, FrameStream, Listener, TransportError};
use bytes::Bytes;
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use tokio::sync::mpsc;

/// Frames in flight per direction before a sender waits: enough to keep both ends busy,
/// small enough to bound memory per connection.
const QUEUE_DEPTH: usize = 64;
/// Connections waiting to be accepted before `connect` waits.
const ACCEPT_BACKLOG: usize = 128;

type Registry = Mutex<HashMap<String, (u64, mpsc::Sender<Connection>)>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

fn check_address(address: &str) -> Result<(), TransportError> {
    match address.strip_prefix("memory://") {
        Some(rest) if !rest.is_empty() => Ok(()),
        _ => Err(TransportError::InvalidAddress(
            address.to_owned(),
            "in-process addresses look like memory://name".to_owned(),
        )),
    }
}

/// Starts listening at `address`.
pub fn listen(address: &str) -> Result<MemoryListener, TransportError> {
    check_address(address)?;
    let mut table = registry()
        .lock()
        .map_err(|_| TransportError::Io("memory registry poisoned".to_owned()))?;
    if table.get(address).is_some_and(|entry| !entry.1.is_closed()) {
        return Err(TransportError::AddressInUse(address.to_owned()));
    }
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = mpsc::channel(ACCEPT_BACKLOG);
    table.insert(address.to_owned(), (id, tx));
    Ok(MemoryListener {
        id,
        address: address.to_owned(),
        incoming: rx,
    })
}

/// Connects to the listener at `address`.
pub async fn connect(address: &str) -> Result<Connection, TransportError> {
    check_address(address)?;
    let accept_queue = registry()
        .lock()
        .map_err(|_| TransportError::Io("memory registry poisoned".to_owned()))?
        .get(address)
        .map(|entry| entry.1.clone())
        .ok_or_else(|| TransportError::EndpointNotFound(address.to_owned()))?;
    let (to_server, from_client) = mpsc::channel(QUEUE_DEPTH);
    let (to_client, from_server) = mpsc::channel(QUEUE_DEPTH);
    let server_side = Connection {
        sink: Box::new(MemorySink(Some(to_client))),
        stream: Box::new(MemoryStream(from_client)),
        peer: "memory client".to_owned(),
        remote_address: None,
        identity: Default::default(),
    };
    accept_queue
        .send(server_side)
        .await
        .map_err(|_| TransportError::EndpointNotFound(address.to_owned()))?;
    Ok(Connection {
        sink: Box::new(MemorySink(Some(to_server))),
        stream: Box::new(MemoryStream(from_server)),
        peer: address.to_owned(),
        remote_address: None,
        identity: Default::default(),
    })
}

/// A listener on an in-process address; the address is freed when it is dropped.
#[derive(Debug)]
pub struct MemoryListener {
    id: u64,
    address: String,
    incoming: mpsc::Receiver<Connection>,
}

impl Listener for MemoryListener {
    fn accept(&mut self) -> BoxFuture<'_, Result<Connection, TransportError>> {
        Box::pin(async move { self.incoming.recv().await.ok_or(TransportError::Closed) })
    }

    fn local_address(&self) -> String {
        self.address.clone()
    }
}

impl Drop for MemoryListener {
    fn drop(&mut self) {
        if let Ok(mut table) = registry().lock() {
            // Only remove our own entry: a new listener may already have taken the address.
            if table
                .get(&self.address)
                .is_some_and(|entry| entry.0 == self.id)
            {
                table.remove(&self.address);
            }
        }
    }
}

struct MemorySink(Option<mpsc::Sender<Bytes>>);

impl FrameSink for MemorySink {
    fn send(&mut self, frame: Vec<u8>) -> BoxFuture<'_, Result<(), TransportError>> {
        Box::pin(async move {
            match &self.0 {
                Some(tx) => tx
                    .send(Bytes::from(frame))
                    .await
                    .map_err(|_| TransportError::Closed),
                None => Err(TransportError::Closed),
            }
        })
    }

    fn close(&mut self) -> BoxFuture<'_, Result<(), TransportError>> {
        self.0 = None;
        Box::pin(async { Ok(()) })
    }
}

struct MemoryStream(mpsc::Receiver<Bytes>);

impl FrameStream for MemoryStream {
    fn receive(&mut self) -> BoxFuture<'_, Result<Option<Bytes>, TransportError>> {
        Box::pin(async move { Ok(self.0.recv().await) })
    }
}
