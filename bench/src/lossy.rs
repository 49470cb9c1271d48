//! Scenario 4's slow, lossy link: a TCP proxy on loopback that understands net.tcp framing
//! ([MC-NMF] records). Every record is delayed by a fixed one-way delay; SizedEnvelope records
//! (whole SOAP messages) are dropped with a given probability, so loss is per message, as on a
//! datagram link, while the TCP connections themselves stay intact.
//!
//! With a text encoding the proxy also reads the WS-RM `Sequence` header of each envelope the
//! client sends to tell first transmissions from retransmissions. NetTcpBinding's binary
//! session encoding (msbinsession1) cannot be read without the connection's string tables, so
//! there only envelopes are counted.

use bytes::BytesMut;
use indigo::__internals::framing::{self, Limits, Record};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Counters of one proxy. "up" is client to service, "down" service to client.
#[derive(Debug, Default)]
pub struct Stats {
    /// Envelopes the client sent (before any drop).
    pub up_envelopes: AtomicU64,
    /// Client envelopes carrying a WS-RM sequence message (application data, LastMessage...).
    pub up_sequence: AtomicU64,
    /// Sequence messages whose (identifier, number) the proxy had seen before: retransmissions.
    pub up_retransmitted: AtomicU64,
    /// Client envelopes dropped.
    pub up_dropped: AtomicU64,
    /// Client sequence messages dropped.
    pub up_sequence_dropped: AtomicU64,
    /// Envelopes the service sent.
    pub down_envelopes: AtomicU64,
    /// Service envelopes dropped (acknowledgements, replies).
    pub down_dropped: AtomicU64,
    /// Framing the proxy could not parse (the connection is then closed).
    pub errors: AtomicU64,
    /// Connections accepted (more than one: the client reconnected).
    pub connections: AtomicU64,
}

/// A plain copy of [`Stats`] at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Snapshot {
    pub up_envelopes: u64,
    pub up_sequence: u64,
    pub up_retransmitted: u64,
    pub up_dropped: u64,
    pub up_sequence_dropped: u64,
    pub down_envelopes: u64,
    pub down_dropped: u64,
    pub errors: u64,
    pub connections: u64,
}

impl Snapshot {
    pub fn since(self, before: Snapshot) -> Snapshot {
        Snapshot {
            up_envelopes: self.up_envelopes - before.up_envelopes,
            up_sequence: self.up_sequence - before.up_sequence,
            up_retransmitted: self.up_retransmitted - before.up_retransmitted,
            up_dropped: self.up_dropped - before.up_dropped,
            up_sequence_dropped: self.up_sequence_dropped - before.up_sequence_dropped,
            down_envelopes: self.down_envelopes - before.down_envelopes,
            down_dropped: self.down_dropped - before.down_dropped,
            errors: self.errors - before.errors,
            connections: self.connections - before.connections,
        }
    }

    pub fn add(&mut self, other: Snapshot) {
        self.up_envelopes += other.up_envelopes;
        self.up_sequence += other.up_sequence;
        self.up_retransmitted += other.up_retransmitted;
        self.up_dropped += other.up_dropped;
        self.up_sequence_dropped += other.up_sequence_dropped;
        self.down_envelopes += other.down_envelopes;
        self.down_dropped += other.down_dropped;
        self.errors += other.errors;
        self.connections += other.connections;
    }
}

impl Stats {
    pub fn snapshot(&self) -> Snapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Snapshot {
            up_envelopes: get(&self.up_envelopes),
            up_sequence: get(&self.up_sequence),
            up_retransmitted: get(&self.up_retransmitted),
            up_dropped: get(&self.up_dropped),
            up_sequence_dropped: get(&self.up_sequence_dropped),
            down_envelopes: get(&self.down_envelopes),
            down_dropped: get(&self.down_dropped),
            errors: get(&self.errors),
            connections: get(&self.connections),
        }
    }
}

/// A running proxy. Dropping it stops accepting; open connections end with their peers.
#[derive(Debug)]
pub struct LossyProxy {
    port: u16,
    /// Drop probability in parts per million, changeable while running.
    loss_ppm: Arc<AtomicU32>,
    stats: Arc<Stats>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for LossyProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// What both directions of one connection share.
#[derive(Debug, Clone)]
struct Shared {
    delay: Duration,
    loss_ppm: Arc<AtomicU32>,
    stats: Arc<Stats>,
    seen: Arc<Mutex<HashSet<(String, u64)>>>,
}

impl LossyProxy {
    /// Listens on a free loopback port and forwards to `upstream`, delaying every record by
    /// `delay` in each direction. Loss starts at zero: see [`LossyProxy::set_loss`].
    pub async fn start(upstream: String, delay: Duration, seed: u64) -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("bind the proxy: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("proxy address: {e}"))?
            .port();
        let loss_ppm = Arc::new(AtomicU32::new(0));
        let stats = Arc::new(Stats::default());
        let shared = Shared {
            delay,
            loss_ppm: loss_ppm.clone(),
            stats: stats.clone(),
            seen: Arc::default(),
        };
        let accept = tokio::spawn(async move {
            let mut seed = seed;
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                shared.stats.connections.fetch_add(1, Ordering::Relaxed);
                let service = match TcpStream::connect(&upstream).await {
                    Ok(service) => service,
                    Err(e) => {
                        eprintln!("  lossy proxy: connect {upstream}: {e}");
                        continue;
                    }
                };
                let _ = client.set_nodelay(true);
                let _ = service.set_nodelay(true);
                let (client_read, client_write) = client.into_split();
                let (service_read, service_write) = service.into_split();
                seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
                tokio::spawn(pipe(
                    client_read,
                    service_write,
                    Direction::Up,
                    shared.clone(),
                    seed,
                ));
                tokio::spawn(pipe(
                    service_read,
                    client_write,
                    Direction::Down,
                    shared.clone(),
                    seed ^ 0xD1B5_4A32_D192_ED03,
                ));
            }
        });
        Ok(LossyProxy {
            port,
            loss_ppm,
            stats,
            accept,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Drops each envelope with probability `loss` (0.0..=1.0) from now on.
    pub fn set_loss(&self, loss: f64) {
        let ppm = (loss.clamp(0.0, 1.0) * 1e6).round() as u32;
        self.loss_ppm.store(ppm, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Snapshot {
        self.stats.snapshot()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

/// splitmix64: a small deterministic generator, enough to pick which envelopes to drop.
fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The text between `<r:NAME>` and the next `<` after `from`.
fn element_text<'a>(xml: &'a [u8], from: usize, name: &[u8]) -> Option<&'a [u8]> {
    let rest = xml.get(from..)?;
    let mut open = b"<r:".to_vec();
    open.extend_from_slice(name);
    open.push(b'>');
    let start = find(rest, &open)? + open.len();
    let len = rest.get(start..)?.iter().position(|&b| b == b'<')?;
    rest.get(start..start + len)
}

/// The WS-RM `Sequence` header's identifier and message number, if the envelope has one.
fn sequence_key(envelope: &[u8]) -> Option<(String, u64)> {
    let header = find(envelope, b"<r:Sequence ")?;
    let identifier = element_text(envelope, header, b"Identifier")?;
    let number = element_text(envelope, header, b"MessageNumber")?;
    let number = std::str::from_utf8(number).ok()?.trim().parse().ok()?;
    Some((String::from_utf8_lossy(identifier).into_owned(), number))
}

/// Reads records from `from`, drops or delays them, and writes them to `to` after the delay.
async fn pipe(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    direction: Direction,
    shared: Shared,
    seed: u64,
) {
    let (queue_tx, mut queue) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((due, bytes)) = queue.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    });
    let limits = Limits::new(64 * 1024 * 1024);
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut random = seed;
    let stats = &shared.stats;
    'read: loop {
        match from.read_buf(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        loop {
            let record = match framing::decode(&mut buf, &limits) {
                Ok(Some(record)) => record,
                Ok(None) => break,
                Err(e) => {
                    eprintln!("  lossy proxy: unparsable framing ({direction:?}): {e}");
                    stats.errors.fetch_add(1, Ordering::Relaxed);
                    break 'read;
                }
            };
            let due = Instant::now() + shared.delay;
            if let Record::SizedEnvelope(payload) = &record {
                let ppm = shared.loss_ppm.load(Ordering::Relaxed);
                let drop = ppm > 0 && next_random(&mut random) % 1_000_000 < u64::from(ppm);
                match direction {
                    Direction::Up => {
                        stats.up_envelopes.fetch_add(1, Ordering::Relaxed);
                        if let Some(key) = sequence_key(payload) {
                            stats.up_sequence.fetch_add(1, Ordering::Relaxed);
                            let fresh = shared
                                .seen
                                .lock()
                                .map(|mut seen| seen.insert(key))
                                .unwrap_or(true);
                            if !fresh {
                                stats.up_retransmitted.fetch_add(1, Ordering::Relaxed);
                            }
                            if drop {
                                stats.up_sequence_dropped.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        if drop {
                            stats.up_dropped.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Direction::Down => {
                        stats.down_envelopes.fetch_add(1, Ordering::Relaxed);
                        if drop {
                            stats.down_dropped.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                if drop {
                    continue;
                }
            }
            let mut bytes = Vec::new();
            if let Err(e) = framing::encode(&record, &mut bytes) {
                eprintln!("  lossy proxy: could not re-encode a record: {e}");
                stats.errors.fetch_add(1, Ordering::Relaxed);
                break 'read;
            }
            if queue_tx.send((due, bytes)).is_err() {
                break 'read;
            }
        }
    }
    drop(queue_tx);
    let _ = writer.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sequence_header() {
        let xml = br#"<s:Envelope><s:Header><r:Sequence xmlns:r="x" s:mustUnderstand="1"><r:Identifier>urn:uuid:1</r:Identifier><r:MessageNumber>42</r:MessageNumber></r:Sequence></s:Header></s:Envelope>"#;
        assert_eq!(sequence_key(xml), Some(("urn:uuid:1".to_owned(), 42)));
        let ack = br#"<r:SequenceAcknowledgement xmlns:r="x"><r:Identifier>a</r:Identifier></r:SequenceAcknowledgement>"#;
        assert_eq!(sequence_key(ack), None);
    }
}
