//! A TCP proxy on loopback that cuts every connection through it at intervals: the
//! intermediary that drops connections in the reliable-session tests.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running proxy; dropping it stops it and closes every connection.
#[derive(Debug)]
pub struct ChaosProxy {
    port: u16,
    cuts: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    silent: Arc<AtomicBool>,
    stop: watch::Sender<()>,
    tasks: Vec<JoinHandle<()>>,
}

impl ChaosProxy {
    /// Listens on a free loopback port and forwards to `upstream` (`127.0.0.1:port`). Every
    /// `min..=max` (a pseudo-random pick from `seed`) all open connections are cut; `None`
    /// never cuts.
    pub async fn start(upstream: u16, cut_every: Option<(Duration, Duration)>, seed: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let (stop, stopped) = watch::channel(());
        let (cut_tx, cut_rx) = watch::channel(0u64);
        let cuts = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicU64::new(0));
        let silent = Arc::new(AtomicBool::new(false));
        let mut tasks = vec![tokio::spawn(accept(
            listener,
            upstream,
            cut_rx,
            stopped,
            connections.clone(),
            silent.clone(),
        ))];
        if let Some((min, max)) = cut_every {
            tasks.push(tokio::spawn(cutter(cut_tx, cuts.clone(), min, max, seed)));
        }
        ChaosProxy {
            port,
            cuts,
            connections,
            silent,
            stop,
            tasks,
        }
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many times the proxy has cut its connections.
    pub fn cuts(&self) -> u64 {
        self.cuts.load(Ordering::Relaxed)
    }

    /// Swallows everything from now on (both ways) while keeping the connections open: a
    /// peer that went silent without closing anything.
    pub fn go_silent(&self) {
        self.silent.store(true, Ordering::Relaxed);
    }

    /// How many connections it has accepted.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn cutter(
    cut: watch::Sender<u64>,
    cuts: Arc<AtomicU64>,
    min: Duration,
    max: Duration,
    seed: u64,
) {
    let mut state = seed | 1;
    let span = (max.saturating_sub(min)).as_millis().max(1) as u64;
    loop {
        // xorshift: a reproducible sequence of pauses for a given seed.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let pause = min + Duration::from_millis(state % span);
        tokio::time::sleep(pause).await;
        let n = cuts.fetch_add(1, Ordering::Relaxed) + 1;
        if cut.send(n).is_err() {
            return;
        }
    }
}

async fn accept(
    listener: TcpListener,
    upstream: u16,
    cut: watch::Receiver<u64>,
    stopped: watch::Receiver<()>,
    connections: Arc<AtomicU64>,
    silent: Arc<AtomicBool>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            return;
        };
        connections.fetch_add(1, Ordering::Relaxed);
        let (cut, stopped, silent) = (cut.clone(), stopped.clone(), silent.clone());
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                return;
            };
            // Without this, Nagle's algorithm against delayed acknowledgements holds small
            // messages up to 40 ms at the proxy: the stalls would be the proxy's, not the
            // product's.
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            pipe(client, server, cut, stopped, silent).await;
        });
    }
}

/// Copies both ways until either side closes, the proxy stops, or the next cut.
async fn pipe(
    mut client: TcpStream,
    mut server: TcpStream,
    mut cut: watch::Receiver<u64>,
    mut stopped: watch::Receiver<()>,
    silent: Arc<AtomicBool>,
) {
    cut.borrow_and_update();
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let upstream = forward(&mut client_read, &mut server_write, &silent);
    let downstream = forward(&mut server_read, &mut client_write, &silent);
    tokio::select! {
        _ = async { tokio::join!(upstream, downstream) } => {}
        Ok(()) = cut.changed() => {}
        _ = stopped.changed() => {}
    }
    // Both streams drop here, mid-message as likely as not: the peers see the connection
    // end without any closing handshake of their protocol.
    drop((client, server));
}

/// Copies one direction until its source ends; while `silent`, what is read is dropped.
async fn forward(
    from: &mut (impl AsyncRead + Unpin),
    to: &mut (impl AsyncWrite + Unpin),
    silent: &AtomicBool,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if silent.load(Ordering::Relaxed) {
            continue;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
