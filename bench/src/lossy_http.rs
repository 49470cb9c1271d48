//! Scenario 4 over HTTP: a forwarding HTTP/1.1 proxy on loopback that delays each request and
//! each response by a fixed one-way delay and loses whole exchanges with a given probability
//! each way: a lost request is never forwarded (the client's connection is reset), a lost
//! response is thrown away after the service answered (the connection is reset). Loss is per
//! message, as on the net.tcp link of [`crate::lossy`], while every other exchange keeps its
//! connection.
//!
//! Only `Content-Length` bodies are understood, which is what Indigo's hyper client and
//! server send.

use crate::lossy::Snapshot;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy; dropping it stops accepting.
#[derive(Debug)]
pub struct LossyHttpProxy {
    port: u16,
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for LossyHttpProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

#[derive(Debug)]
struct Shared {
    upstream: String,
    delay: Duration,
    loss_ppm: AtomicU32,
    draws: AtomicU64,
    seed: u64,
    requests: AtomicU64,
    requests_dropped: AtomicU64,
    responses: AtomicU64,
    responses_dropped: AtomicU64,
    connections: AtomicU64,
}

impl Shared {
    /// Whether the next message is lost: a seeded draw (splitmix64 of a counter).
    fn lose(&self) -> bool {
        let ppm = self.loss_ppm.load(Ordering::Relaxed);
        if ppm == 0 {
            return false;
        }
        let n = self.draws.fetch_add(1, Ordering::Relaxed);
        let mut z = self
            .seed
            .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        z % 1_000_000 < u64::from(ppm)
    }
}

impl LossyHttpProxy {
    /// Listens on a free loopback port and forwards to `upstream` (`host:port`). Loss starts
    /// at zero: see [`LossyHttpProxy::set_loss`].
    pub async fn start(upstream: String, delay: Duration, seed: u64) -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("bind the HTTP proxy: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("HTTP proxy address: {e}"))?
            .port();
        let shared = Arc::new(Shared {
            upstream,
            delay,
            loss_ppm: AtomicU32::new(0),
            draws: AtomicU64::new(0),
            seed,
            requests: AtomicU64::new(0),
            requests_dropped: AtomicU64::new(0),
            responses: AtomicU64::new(0),
            responses_dropped: AtomicU64::new(0),
            connections: AtomicU64::new(0),
        });
        let accepting = shared.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                accepting.connections.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(serve(client, accepting.clone()));
            }
        });
        Ok(LossyHttpProxy {
            port,
            shared,
            accept,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Loses each request and each response with probability `loss` from now on.
    pub fn set_loss(&self, loss: f64) {
        let ppm = (loss.clamp(0.0, 1.0) * 1e6).round() as u32;
        self.shared.loss_ppm.store(ppm, Ordering::Relaxed);
    }

    /// The counters in scenario 4's terms: requests are "up" envelopes, responses "down".
    pub fn snapshot(&self) -> Snapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Snapshot {
            up_envelopes: get(&self.shared.requests),
            up_dropped: get(&self.shared.requests_dropped),
            down_envelopes: get(&self.shared.responses),
            down_dropped: get(&self.shared.responses_dropped),
            connections: get(&self.shared.connections),
            ..Snapshot::default()
        }
    }
}

/// Reads one request or response, head and `Content-Length` body; `None` when the connection
/// ends or speaks something else.
async fn read_message<R: AsyncRead + Unpin>(
    stream: &mut R,
    buffer: &mut Vec<u8>,
) -> Option<Vec<u8>> {
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buffer.len() > 64 * 1024 {
            return None;
        }
        let mut chunk = [0u8; 16 * 1024];
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
    while buffer.len() < head_end + length {
        let mut chunk = [0u8; 16 * 1024];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let rest = buffer.split_off(head_end + length);
    Some(std::mem::replace(buffer, rest))
}

/// Makes dropping `stream` send RST. A zero linger never blocks the dropping thread.
#[allow(deprecated)]
fn reset(stream: &TcpStream) {
    let _ = stream.set_linger(Some(Duration::ZERO));
}

async fn serve(mut client: TcpStream, shared: Arc<Shared>) {
    let _ = client.set_nodelay(true);
    let mut from_client = Vec::new();
    let mut upstream: Option<(TcpStream, Vec<u8>)> = None;
    while let Some(request) = read_message(&mut client, &mut from_client).await {
        shared.requests.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(shared.delay).await;
        if shared.lose() {
            shared.requests_dropped.fetch_add(1, Ordering::Relaxed);
            reset(&client);
            return;
        }
        if upstream.is_none() {
            let Ok(stream) = TcpStream::connect(&shared.upstream).await else {
                return;
            };
            let _ = stream.set_nodelay(true);
            upstream = Some((stream, Vec::new()));
        }
        let Some((server, from_server)) = upstream.as_mut() else {
            return;
        };
        if server.write_all(&request).await.is_err() {
            return;
        }
        let Some(response) = read_message(server, from_server).await else {
            return;
        };
        shared.responses.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(shared.delay).await;
        if shared.lose() {
            shared.responses_dropped.fetch_add(1, Ordering::Relaxed);
            reset(&client);
            return;
        }
        if client.write_all(&response).await.is_err() {
            return;
        }
    }
}
