//! Scenario 5: many idle reliable sessions (NetTcp + reliable session) on one host.
//!
//! The host runs in this process on the server runtime; the clients run in a child process
//! (this binary with `--s5-child`), so each side's resident memory is measured on its own and
//! each process stays within the file-descriptor limit (one socket per session per side).
//!
//! The child opens the sessions (TCP connect, net.tcp preamble, CreateSequence handshake:
//! `EchoClient::connect`), `concurrency` at a time, then makes one echo call on every session
//! (so the service side has dispatched on each), reports on stdout and waits for a line on
//! stdin before exiting.

use crate::systems::indigo_echo::{EchoClient, EchoContract, EchoService};
use futures::StreamExt;
use indigo::reliable::Reliable;
use indigo::ReliableSessionSettings;
use indigo::{NetTcpBinding, ServiceHost, ServiceThrottle};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// MaxPendingChannels for this scenario: sessions the host has created but not yet accepted.
/// WCF's default of 4 refuses most CreateSequences when 64 arrive at once; with 1024, every run
/// of 2,000 sessions or more had one batch of CreateSequences refused and retried 10 s later
/// (see BENCHMARKS.md), so this is WCF's maximum.
pub const MAX_PENDING_CHANNELS: u32 = 16384;

/// MaxPendingConnections for this scenario: connections that have not finished their
/// preamble or are not yet accepted. WCF's default (12 per processor, 24 here) sheds the
/// oldest when 64 set-ups run at once, which the client sees as a connection closed before
/// its preamble was acknowledged (about 15% of 10,000 sessions); the scenario measures
/// set-up, not that shedding.
pub const MAX_PENDING_CONNECTIONS: usize = 1024;

/// Environment variable naming a program (with arguments) to run the client process under.
pub const CHILD_WRAPPER_VAR: &str = "INDIGO_BENCH_S5_CHILD_WRAPPER";

/// The binding both sides use.
pub fn binding(sessions: usize) -> Reliable<NetTcpBinding> {
    let mut settings = ReliableSessionSettings::default();
    settings
        .set_max_pending_channels(MAX_PENDING_CHANNELS)
        .expect("a MaxPendingChannels WCF allows");
    NetTcpBinding::new()
        .with_max_pending_connections(MAX_PENDING_CONNECTIONS)
        .with_reliable_session()
        .with_settings(settings)
        .with_max_sessions(sessions + 64)
}

/// VmRSS of this process, in KiB.
pub fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The soft and hard RLIMIT_NOFILE of this process, from /proc/self/limits.
pub fn fd_limits() -> Option<(String, String)> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut fields = line["Max open files".len()..].split_whitespace();
    Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
}

/// What the child reported.
#[derive(Debug, Clone, Default)]
pub struct ChildReport {
    pub opened: usize,
    pub failed: usize,
    pub first_error: String,
    pub connect_secs: f64,
    pub call_secs: f64,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub connect_p50_ms: f64,
    pub connect_p99_ms: f64,
    pub connect_max_ms: f64,
    /// Sessions whose set-up took 1 s or more.
    pub connect_slow: usize,
}

/// Scenario 5's figures.
#[derive(Debug, Clone)]
pub struct IdleResult {
    pub requested: usize,
    pub concurrency: usize,
    pub child: ChildReport,
    pub server_rss_before_kib: u64,
    pub server_rss_after_kib: u64,
    pub server_rss_settled_kib: u64,
}

impl IdleResult {
    pub fn server_kib_per_session(&self) -> f64 {
        self.server_rss_settled_kib
            .saturating_sub(self.server_rss_before_kib) as f64
            / self.child.opened.max(1) as f64
    }

    pub fn client_kib_per_session(&self) -> f64 {
        self.child
            .rss_after_kib
            .saturating_sub(self.child.rss_before_kib) as f64
            / self.child.opened.max(1) as f64
    }

    pub fn setup_per_s(&self) -> f64 {
        self.child.opened as f64 / self.child.connect_secs.max(1e-9)
    }

    pub fn first_call_per_s(&self) -> f64 {
        self.child.opened as f64 / self.child.call_secs.max(1e-9)
    }
}

/// Runs the scenario: host here, clients in a child process.
pub async fn run(
    sessions: usize,
    concurrency: usize,
    server_rt: &tokio::runtime::Handle,
) -> Result<IdleResult, String> {
    let throttle = ServiceThrottle {
        max_concurrent_calls: 4096,
        max_concurrent_sessions: sessions + 64,
        max_concurrent_instances: sessions + 64,
    };
    let binding = binding(sessions);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel::<Result<String, String>>();
    let done = server_rt.spawn(async move {
        let opened = ServiceHost::builder(EchoContract::single(EchoService))
            .endpoint(binding, "net.tcp://127.0.0.1:0/idle")
            .throttle(throttle)
            .open()
            .await;
        match opened {
            Ok(host) => {
                let _ = addr_tx.send(Ok(host.addresses().remove(0)));
                let _ = stop_rx.await;
                host.abort();
            }
            Err(e) => {
                let _ = addr_tx.send(Err(format!("open the host: {e}")));
            }
        }
    });
    let address = addr_rx
        .await
        .map_err(|_| "the host ended before it reported an address".to_owned())??;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let server_rss_before_kib = rss_kib().ok_or("no VmRSS in /proc/self/status")?;

    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    // A heap profiler for the client side (e.g. `heaptrack -o /tmp/client`): the child then
    // runs as `WRAPPER... indigo-bench --s5-child ...`.
    let wrapper = std::env::var(CHILD_WRAPPER_VAR).unwrap_or_default();
    let mut words = wrapper.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(exe);
            command
        }
        None => Command::new(exe),
    };
    let mut child = command
        .args([
            "--s5-child",
            &address,
            &sessions.to_string(),
            &concurrency.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("spawn the client process: {e}"))?;
    let stdout = child.stdout.take().ok_or("no child stdout")?;
    // Blocking read of the child's report line, off the runtime. A wrapper (a heap profiler)
    // may print lines of its own before and after it: those are skipped, and whatever comes
    // after the report is drained so the child never blocks on a full pipe.
    let line = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line.starts_with("ready ") => {
                    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
                    break;
                }
                Ok(_) => {}
            }
        }
        line
    })
    .await
    .map_err(|e| format!("read the child report: {e}"))?;
    let report = parse_report(&line);
    let server_rss_after_kib = rss_kib().unwrap_or(0);
    // Let the idle sessions settle (acknowledgement timers, buffers) and look again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let server_rss_settled_kib = rss_kib().unwrap_or(0);
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"quit\n");
    }
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    let _ = stop_tx.send(());
    let _ = done.await;
    let child = report.ok_or_else(|| format!("the client process reported {line:?}"))?;
    Ok(IdleResult {
        requested: sessions,
        concurrency,
        child,
        server_rss_before_kib,
        server_rss_after_kib,
        server_rss_settled_kib,
    })
}

fn parse_report(line: &str) -> Option<ChildReport> {
    let mut report = ChildReport::default();
    let line = line.trim().strip_prefix("ready ")?;
    let (fields, error) = match line.split_once(" error=") {
        Some((fields, error)) => (fields, error.to_owned()),
        None => (line, String::new()),
    };
    report.first_error = error;
    for field in fields.split_whitespace() {
        let (key, value) = field.split_once('=')?;
        match key {
            "opened" => report.opened = value.parse().ok()?,
            "failed" => report.failed = value.parse().ok()?,
            "connect_secs" => report.connect_secs = value.parse().ok()?,
            "call_secs" => report.call_secs = value.parse().ok()?,
            "rss_before_kib" => report.rss_before_kib = value.parse().ok()?,
            "rss_after_kib" => report.rss_after_kib = value.parse().ok()?,
            "connect_p50_ms" => report.connect_p50_ms = value.parse().ok()?,
            "connect_p99_ms" => report.connect_p99_ms = value.parse().ok()?,
            "connect_max_ms" => report.connect_max_ms = value.parse().ok()?,
            "connect_slow" => report.connect_slow = value.parse().ok()?,
            _ => {}
        }
    }
    Some(report)
}

/// The child process: `--s5-child ADDRESS SESSIONS CONCURRENCY`.
pub fn child_main(args: &[String]) -> ! {
    let [address, sessions, concurrency] = args else {
        eprintln!("--s5-child ADDRESS SESSIONS CONCURRENCY");
        std::process::exit(2);
    };
    let sessions: usize = sessions.parse().expect("SESSIONS is a number");
    let concurrency: usize = concurrency.parse().expect("CONCURRENCY is a number");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build the child runtime");
    let line = rt.block_on(async {
        let binding = binding(sessions);
        let rss_before = rss_kib().unwrap_or(0);
        let started = Instant::now();
        let results: Vec<(Result<EchoClient, String>, Duration)> = futures::stream::iter(0..sessions)
            .map(|_| {
                let binding = binding.clone();
                let address = address.clone();
                async move {
                    let began = Instant::now();
                    let client = EchoClient::connect(&binding, &address)
                        .await
                        .map_err(|e| e.to_string());
                    (client, began.elapsed())
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let connect_secs = started.elapsed().as_secs_f64();
        let mut clients = Vec::with_capacity(sessions);
        let mut first_error = String::new();
        let mut failed = 0;
        let mut latencies: Vec<Duration> = results.iter().map(|(_, took)| *took).collect();
        latencies.sort_unstable();
        let slow = latencies.iter().filter(|d| **d >= Duration::from_secs(1)).count();
        let pick = |p: f64| {
            latencies
                .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        let (p50_ms, p99_ms, max_ms) = (pick(0.5), pick(0.99), pick(1.0));
        for (result, _) in results {
            match result {
                Ok(client) => clients.push(client),
                Err(e) => {
                    failed += 1;
                    if first_error.is_empty() {
                        first_error = e;
                    }
                }
            }
        }
        let started = Instant::now();
        let calls: Vec<Result<String, String>> = futures::stream::iter(clients.iter())
            .map(|client| async move {
                client.echo("hi".to_owned()).await.map_err(|e| e.to_string())
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let call_secs = started.elapsed().as_secs_f64();
        for call in calls {
            if let Err(e) = call {
                failed += 1;
                if first_error.is_empty() {
                    first_error = format!("first call: {e}");
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss_after = rss_kib().unwrap_or(0);
        let mut line = format!(
            "ready opened={} failed={failed} connect_secs={connect_secs:.3} call_secs={call_secs:.3} \
             rss_before_kib={rss_before} rss_after_kib={rss_after} connect_p50_ms={p50_ms:.1} \
             connect_p99_ms={p99_ms:.1} connect_max_ms={max_ms:.1} connect_slow={slow}",
            clients.len()
        );
        if !first_error.is_empty() {
            line.push_str(" error=");
            line.push_str(&first_error.replace('\n', " "));
        }
        (line, clients)
    });
    let (line, clients) = line;
    println!("{line}");
    let _ = std::io::stdout().flush();
    // Idle until the parent has measured, with the runtime still driving the sessions.
    rt.block_on(async {
        let _ = tokio::task::spawn_blocking(|| {
            let mut answer = String::new();
            let _ = std::io::stdin().read_line(&mut answer);
        })
        .await;
    });
    drop(clients);
    std::process::exit(0);
}
