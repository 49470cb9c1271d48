//! A forwarding HTTP/1.1 proxy on loopback that loses exchanges on purpose: the intermediary of
//! the reliable-session-over-HTTP tests. It reads each request whole, then, by a seeded draw,
//! forwards it or drops it in one of the ways a real intermediary loses a request:
//!
//! * [`Drop::Reset`]: the client's connection is closed with RST, the request never forwarded;
//! * [`Drop::Close`]: closed with FIN, the request never forwarded;
//! * [`Drop::ResponseLost`]: the request is forwarded and answered, but the connection is
//!   closed before the response reaches the client.
//!
//! Only `Content-Length` bodies are understood, which is what Indigo's hyper client and server
//! send; anything else ends the connection.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How a dropped exchange is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drop {
    /// RST before forwarding.
    Reset,
    /// FIN before forwarding.
    Close,
    /// Forwarded, then the response is thrown away and the connection closed.
    ResponseLost,
}

/// What the proxy does to the exchanges through it.
#[derive(Debug, Clone)]
pub struct Faults {
    /// Per mille of exchanges dropped.
    pub drop_permille: u32,
    /// The ways to drop, picked in turn by the seeded draw.
    pub drops: Vec<Drop>,
    /// Added before each request is forwarded.
    pub delay: Duration,
    /// Seeds the draws.
    pub seed: u64,
}

impl Faults {
    /// Forwards everything at once.
    pub fn none() -> Self {
        Faults {
            drop_permille: 0,
            drops: vec![Drop::Reset],
            delay: Duration::ZERO,
            seed: 1,
        }
    }
}

/// A running proxy; dropping it stops accepting.
#[derive(Debug)]
pub struct HttpProxy {
    port: u16,
    forwarded: Arc<AtomicU64>,
    dropped: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl HttpProxy {
    /// Listens on a free loopback port and forwards to `127.0.0.1:upstream`.
    pub async fn start(upstream: u16, faults: Faults) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let forwarded = Arc::new(AtomicU64::new(0));
        let dropped = Arc::new(AtomicU64::new(0));
        let state = Arc::new(Shared {
            upstream,
            faults,
            rng: Mutex::new(0),
            forwarded: forwarded.clone(),
            dropped: dropped.clone(),
        });
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                // No Nagle delay at the proxy: the tests time the product, not it.
                let _ = client.set_nodelay(true);
                tokio::spawn(serve(client, state.clone()));
            }
        });
        HttpProxy {
            port,
            forwarded,
            dropped,
            task,
        }
    }

    /// The port clients send to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Exchanges forwarded and answered.
    pub fn forwarded(&self) -> u64 {
        self.forwarded.load(Ordering::Relaxed)
    }

    /// Exchanges dropped.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl std::ops::Drop for HttpProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Shared {
    upstream: u16,
    faults: Faults,
    /// A counter hashed into each draw, so the sequence of decisions follows the seed.
    rng: Mutex<u64>,
    forwarded: Arc<AtomicU64>,
    dropped: Arc<AtomicU64>,
}

impl Shared {
    /// The fate of the next exchange: `None` forwards it.
    fn draw(&self) -> Option<Drop> {
        let n = {
            let mut counter = self.rng.lock().unwrap_or_else(|e| e.into_inner());
            *counter += 1;
            *counter
        };
        // splitmix64 of (seed, n).
        let mut z = self
            .faults
            .seed
            .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        if z % 1000 >= u64::from(self.faults.drop_permille) || self.faults.drops.is_empty() {
            return None;
        }
        let pick = (z / 1000) as usize % self.faults.drops.len();
        Some(self.faults.drops[pick])
    }
}

/// One HTTP message, head and body, as read off a connection.
struct HttpMessage {
    bytes: Vec<u8>,
    keep_alive: bool,
}

/// Reads one request or response; `None` when the connection ends or speaks something else.
async fn read_message<R: AsyncRead + Unpin>(
    stream: &mut R,
    buffer: &mut Vec<u8>,
) -> Option<HttpMessage> {
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buffer.len() > 64 * 1024 {
            return None;
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    if head.contains("transfer-encoding:") {
        return None;
    }
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let keep_alive = !head.contains("connection: close");
    while buffer.len() < head_end + length {
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let rest = buffer.split_off(head_end + length);
    let bytes = std::mem::replace(buffer, rest);
    Some(HttpMessage { bytes, keep_alive })
}

async fn serve(mut client: TcpStream, shared: Arc<Shared>) {
    let mut from_client = Vec::new();
    let mut upstream: Option<(TcpStream, Vec<u8>)> = None;
    while let Some(request) = read_message(&mut client, &mut from_client).await {
        let fate = shared.draw();
        match fate {
            Some(Drop::Reset) => {
                shared.dropped.fetch_add(1, Ordering::Relaxed);
                reset(&client);
                return;
            }
            Some(Drop::Close) => {
                shared.dropped.fetch_add(1, Ordering::Relaxed);
                let _ = client.shutdown().await;
                return;
            }
            _ => {}
        }
        if !shared.faults.delay.is_zero() {
            tokio::time::sleep(shared.faults.delay).await;
        }
        if upstream.is_none() {
            match TcpStream::connect(("127.0.0.1", shared.upstream)).await {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    upstream = Some((stream, Vec::new()));
                }
                Err(_) => return,
            }
        }
        let Some((server, from_server)) = upstream.as_mut() else {
            return;
        };
        if server.write_all(&request.bytes).await.is_err() {
            return;
        }
        let Some(response) = read_message(server, from_server).await else {
            return;
        };
        if fate == Some(Drop::ResponseLost) {
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            reset(&client);
            return;
        }
        if client.write_all(&response.bytes).await.is_err() {
            return;
        }
        shared.forwarded.fetch_add(1, Ordering::Relaxed);
        if !request.keep_alive || !response.keep_alive {
            return;
        }
    }
}

/// Makes dropping `stream` send RST instead of FIN. A zero linger never blocks the dropping
/// thread (only a non-zero one waits for unsent data), which is what tokio's deprecation of
/// `set_linger` warns about.
#[allow(deprecated)]
fn reset(stream: &TcpStream) {
    let _ = stream.set_linger(Some(Duration::ZERO));
}
