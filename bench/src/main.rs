//! `indigo-bench`: Indigo side by side with tarpc and a raw TCP echo floor, in one run, on
//! loopback. Server and client run on separate tokio runtimes in one process.
//!
//! Scenario 1: one client, sequential request-reply calls: calls/s, p50, p99.
//! Scenario 2: N concurrent connections/sessions (default 64), one client each: aggregate calls/s.
//! Scenario 3: one-way messages inside one reliable session at several window sizes, against
//! plain NetTcp one-way: delivered messages/s.
//! Scenario 4: the same through a proxy that delays every net.tcp record and drops envelopes.
//! Scenario 5: many idle reliable sessions: memory per session and set-up rate.
//! Scenario 6: what one call costs: heap allocations per call (and, under callgrind,
//! instructions per call), counted over a fixed number of calls.

mod cost;

#[global_allocator]
static ALLOCATOR: &stats_alloc::StatsAlloc<std::alloc::System> = cost::ALLOCATOR;

mod idle;
mod lossy;
mod lossy_http;
mod measure;
mod oneway;
mod scenarios;
mod systems;

use measure::{Latency, Summary, Timing};
use std::fmt::Write as _;
use std::time::Duration;
use systems::{Caller, System};

const USAGE: &str = "\
indigo-bench: Indigo against tarpc and a raw TCP echo floor (loopback, one run)

USAGE: indigo-bench [OPTIONS]

  --warmup SECS       warm-up before each measurement        [default 1]
  --rounds N          measured rounds per figure              [default 3]
  --round-secs SECS   length of one measured round            [default 2]
  --conns N           connections/sessions in scenario 2      [default 64]
  --payload BYTES     payload size (a String of that length)  [default 64]
  --runtime KIND      tokio flavour of both runtimes: current | multi [default current]
  --systems LIST      scenarios 1-2 and 6: comma list of raw,tarpc,tonic,nettcp,nettcp-rm,
                      wshttp,wshttp-rm [default all of these], and the opt-in nettcp-text (SOAP
                      text over net.tcp)
                      and nettcp-tls (NetTcpBinding with TLS transport security)
  --scenarios LIST    comma list of 1,2,3,4,5,6               [default 1,2,3,4,5,6]
  --oneway-payload N  scenarios 3-4: one-way message size     [default 256]
  --s4-round-secs S   scenario 4: length of one round         [default 5]
  --rm-flow-control on|off  scenarios 3-4: FlowControlEnabled [default on, WCF's]
  --rm-selective on|off     scenarios 3-4: selective retransmission [default on; off is WCF's]
  --rm-karn on|off          scenarios 3-4: Karn RTT sampling [default on; off is WCF's]
  --s5-sessions N     scenario 5: idle sessions               [default 10000]
  --s5-concurrency N  scenario 5: sessions opened at once     [default 64]
  --cost-calls N      scenario 6: calls counted per system    [default 10000]
  --cost-oneway on|off  scenario 6: the one-way NetTcp row; off for a callgrind profile of
                      request-reply calls alone                 [default on]
  --out PATH          markdown output                         [default bench/results.md]
";

#[derive(Debug, Clone)]
struct Options {
    timing: Timing,
    conns: usize,
    payload: usize,
    multi_thread: bool,
    systems: Vec<System>,
    scenarios: Vec<u8>,
    oneway_payload: usize,
    s4_round: Duration,
    s5_sessions: usize,
    s5_concurrency: usize,
    cost_calls: u64,
    cost_oneway: bool,
    rm_tweaks: oneway::RmTweaks,
    out: String,
}

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        timing: Timing {
            warmup: Duration::from_secs(1),
            rounds: 3,
            round: Duration::from_secs(2),
        },
        conns: 64,
        payload: 64,
        multi_thread: false,
        systems: System::ALL.to_vec(),
        scenarios: vec![1, 2, 3, 4, 5, 6],
        oneway_payload: 256,
        s4_round: Duration::from_secs(5),
        s5_sessions: 10_000,
        s5_concurrency: 64,
        cost_calls: 10_000,
        cost_oneway: true,
        rm_tweaks: oneway::RmTweaks::default(),
        out: concat!(env!("CARGO_MANIFEST_DIR"), "/results.md").to_owned(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            print!("{USAGE}");
            std::process::exit(0);
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let secs = |v: &str| -> Result<Duration, String> {
            v.parse::<f64>()
                .ok()
                .filter(|s| *s >= 0.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| format!("{flag}: not a number of seconds: {v}"))
        };
        let count = |v: &str| -> Result<usize, String> {
            v.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{flag}: not a positive integer: {v}"))
        };
        let on_off = |v: &str| -> Result<bool, String> {
            match v {
                "on" => Ok(true),
                "off" => Ok(false),
                other => Err(format!("{flag}: on or off, not {other}")),
            }
        };
        match flag.as_str() {
            "--warmup" => opts.timing.warmup = secs(&value)?,
            "--rounds" => opts.timing.rounds = count(&value)?,
            "--round-secs" => opts.timing.round = secs(&value)?,
            "--conns" => opts.conns = count(&value)?,
            "--payload" => opts.payload = count(&value)?,
            "--out" => opts.out = value,
            "--oneway-payload" => opts.oneway_payload = count(&value)?,
            "--s4-round-secs" => opts.s4_round = secs(&value)?,
            "--s5-sessions" => opts.s5_sessions = count(&value)?,
            "--s5-concurrency" => opts.s5_concurrency = count(&value)?,
            "--cost-calls" => opts.cost_calls = count(&value)? as u64,
            "--cost-oneway" => opts.cost_oneway = on_off(&value)?,
            "--rm-flow-control" => opts.rm_tweaks.flow_control = on_off(&value)?,
            "--rm-selective" => opts.rm_tweaks.selective = on_off(&value)?,
            "--rm-karn" => opts.rm_tweaks.karn = on_off(&value)?,
            "--scenarios" => {
                opts.scenarios = value
                    .split(',')
                    .map(|n| match n.trim() {
                        "1" => Ok(1),
                        "2" => Ok(2),
                        "3" => Ok(3),
                        "4" => Ok(4),
                        "5" => Ok(5),
                        "6" => Ok(6),
                        other => Err(format!("--scenarios: no scenario {other}")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--runtime" => {
                opts.multi_thread = match value.as_str() {
                    "current" => false,
                    "multi" => true,
                    other => return Err(format!("--runtime: current or multi, not {other}")),
                }
            }
            "--systems" => {
                opts.systems = value
                    .split(',')
                    .map(|key| {
                        System::KNOWN
                            .into_iter()
                            .find(|s| s.key() == key.trim())
                            .ok_or_else(|| format!("--systems: unknown system {key}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            other => return Err(format!("unknown option {other}\n\n{USAGE}")),
        }
    }
    Ok(opts)
}

fn runtime(multi_thread: bool, name: &str) -> tokio::runtime::Runtime {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder
        .enable_all()
        .thread_name(name)
        .build()
        .expect("build a tokio runtime")
}

/// A runtime driven by a thread of its own until the sender fires; then it is shut down
/// (its remaining tasks dropped) and the thread ends.
fn server_runtime(
    multi_thread: bool,
    name: &str,
) -> (
    tokio::runtime::Handle,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    let rt = runtime(multi_thread, name);
    let handle = rt.handle().clone();
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            rt.block_on(async {
                let _ = shutdown_rx.await;
            });
            rt.shutdown_timeout(Duration::from_secs(30));
        })
        .expect("spawn a server thread");
    (handle, shutdown_tx, thread)
}

/// The error text of a scenario that was not selected.
const SKIPPED: &str = "not selected";

/// What one system gave in both scenarios.
#[derive(Debug)]
struct Row {
    system: System,
    latency: Result<Latency, String>,
    throughput: Result<Summary, String>,
}

async fn run_with<C, F, Fut>(
    opts: &Options,
    address: &str,
    connect: F,
) -> (Result<Latency, String>, Result<Summary, String>)
where
    C: Caller,
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<C, String>>,
{
    let payload = "x".repeat(opts.payload);
    let latency = async {
        if !opts.scenarios.contains(&1) {
            return Err(SKIPPED.to_owned());
        }
        let mut caller = connect(address.to_owned()).await?;
        measure::latency(&mut caller, &payload, opts.timing).await
    }
    .await;
    let throughput = async {
        if !opts.scenarios.contains(&2) {
            return Err(SKIPPED.to_owned());
        }
        let mut callers = Vec::with_capacity(opts.conns);
        for _ in 0..opts.conns {
            callers.push(connect(address.to_owned()).await?);
        }
        measure::throughput(callers, &payload, opts.timing).await
    }
    .await;
    (latency, throughput)
}

async fn run_system(system: System, opts: &Options, server_rt: &tokio::runtime::Handle) -> Row {
    let server = match systems::start(system, server_rt).await {
        Ok(server) => server,
        Err(e) => {
            return Row {
                system,
                latency: Err(e.clone()),
                throughput: Err(e),
            }
        }
    };
    let address = server.address.clone();
    let (latency, throughput) = match system {
        System::Raw => {
            run_with(opts, &address, |a| async move {
                systems::raw::connect(&a).await
            })
            .await
        }
        System::Tarpc => {
            run_with(opts, &address, |a| async move {
                systems::tarpc_echo::connect(&a).await
            })
            .await
        }
        System::Tonic => {
            run_with(opts, &address, |a| async move {
                systems::tonic_echo::connect(&a).await
            })
            .await
        }
        System::NetTcp
        | System::NetTcpRm
        | System::NetTcpText
        | System::NetTcpTls
        | System::WsHttp
        | System::WsHttpRm => {
            run_with(opts, &address, |a| async move {
                systems::indigo_echo::connect(system, &a).await
            })
            .await
        }
    };
    server.stop().await;
    Row {
        system,
        latency,
        throughput,
    }
}

fn fmt_rate(s: &Summary) -> String {
    let k = |v: f64| format!("{:.1}k", v / 1000.0);
    format!("{} [{}–{}]", k(s.median), k(s.min), k(s.max))
}

fn fmt_us(s: &Summary) -> String {
    format!("{:.1} [{:.1}–{:.1}]", s.median, s.min, s.max)
}

fn ratio(figure: f64, peer: Option<f64>) -> String {
    match peer {
        Some(peer) if peer > 0.0 => format!("{:.2}×", figure / peer),
        _ => "—".to_owned(),
    }
}

fn table(rows: &[Row], opts: &Options) -> String {
    let find = |system: System| rows.iter().find(|r| r.system == system);
    let peer_latency = |system: System| {
        find(system).and_then(|r| r.latency.as_ref().ok().map(|l| l.calls_per_s.median))
    };
    let peer_throughput =
        |system: System| find(system).and_then(|r| r.throughput.as_ref().ok().map(|t| t.median));
    let mut out = String::new();
    out.push_str(
        "| scenario | system | conns | calls/s median [min–max] | p50 µs median [min–max] | p99 µs median [min–max] | × raw floor | × tarpc |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for row in rows {
        let label = row.system.label();
        match &row.latency {
            Ok(l) => {
                let (vs_raw, vs_tarpc) = if row.system.is_indigo() {
                    (
                        ratio(l.calls_per_s.median, peer_latency(System::Raw)),
                        ratio(l.calls_per_s.median, peer_latency(System::Tarpc)),
                    )
                } else {
                    ("".to_owned(), "".to_owned())
                };
                let _ = writeln!(
                    out,
                    "| 1 request-reply latency | {label} | 1 | {} | {} | {} | {vs_raw} | {vs_tarpc} |",
                    fmt_rate(&l.calls_per_s),
                    fmt_us(&l.p50_us),
                    fmt_us(&l.p99_us)
                );
            }
            Err(e) if e == SKIPPED => {}
            Err(e) => {
                let _ = writeln!(
                    out,
                    "| 1 request-reply latency | {label} | 1 | FAILED: {} | | | | |",
                    e.replace('|', "/")
                );
            }
        }
    }
    for row in rows {
        let label = row.system.label();
        match &row.throughput {
            Ok(t) => {
                let (vs_raw, vs_tarpc) = if row.system.is_indigo() {
                    (
                        ratio(t.median, peer_throughput(System::Raw)),
                        ratio(t.median, peer_throughput(System::Tarpc)),
                    )
                } else {
                    ("".to_owned(), "".to_owned())
                };
                let _ = writeln!(
                    out,
                    "| 2 request-reply throughput | {label} | {} | {} | — | — | {vs_raw} | {vs_tarpc} |",
                    opts.conns,
                    fmt_rate(t)
                );
            }
            Err(e) if e == SKIPPED => {}
            Err(e) => {
                let _ = writeln!(
                    out,
                    "| 2 request-reply throughput | {label} | {} | FAILED: {} | | | | |",
                    opts.conns,
                    e.replace('|', "/")
                );
            }
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--s5-child") {
        idle::child_main(&args[2..]);
    }
    let opts = match parse_args() {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };

    // The server runtime runs on its own thread until the end of the run.
    let (server_handle, shutdown_tx, server_thread) =
        server_runtime(opts.multi_thread, "bench-server");

    let client_rt = runtime(opts.multi_thread, "bench-client");
    let started = std::time::Instant::now();
    // Scenario 5 first, while this process's heap is fresh: memory freed by the other
    // scenarios would otherwise be reused and hide part of what the sessions cost.
    // Its host gets a runtime of its own, shut down afterwards, so tearing down thousands of
    // sessions cannot spill into the scenarios measured after it.
    let s5 = opts.scenarios.contains(&5).then(|| {
        let (idle_handle, idle_stop, idle_thread) =
            server_runtime(opts.multi_thread, "bench-idle-server");
        let result = client_rt.block_on(scenarios::scenario5(
            opts.s5_sessions,
            opts.s5_concurrency,
            &idle_handle,
        ));
        let teardown = std::time::Instant::now();
        let _ = idle_stop.send(());
        let _ = idle_thread.join();
        eprintln!(
            "  scenario 5's host runtime shut down in {:.1} s",
            teardown.elapsed().as_secs_f64()
        );
        result
    });
    let mut rows = Vec::new();
    let systems = if opts.scenarios.iter().any(|s| *s == 1 || *s == 2) {
        opts.systems.clone()
    } else {
        Vec::new()
    };
    for &system in &systems {
        eprintln!("measuring {} ...", system.label());
        let row = client_rt.block_on(run_system(system, &opts, &server_handle));
        if let Err(e) = &row.latency {
            eprintln!("  scenario 1 failed: {e}");
        }
        if let Err(e) = &row.throughput {
            eprintln!("  scenario 2 failed: {e}");
        }
        rows.push(row);
    }
    let s3 = if opts.scenarios.contains(&3) {
        client_rt.block_on(scenarios::scenario3(
            opts.rm_tweaks,
            opts.oneway_payload,
            opts.timing,
            &server_handle,
        ))
    } else {
        Vec::new()
    };
    let s4 = opts.scenarios.contains(&4).then(|| {
        let timing = measure::Timing {
            round: opts.s4_round,
            ..opts.timing
        };
        client_rt.block_on(scenarios::scenario4(
            opts.rm_tweaks,
            opts.oneway_payload,
            timing,
            &server_handle,
        ))
    });
    let s6 = opts.scenarios.contains(&6).then(|| {
        client_rt.block_on(cost::scenario6(
            &opts.systems,
            opts.payload,
            opts.cost_oneway.then_some(opts.oneway_payload),
            opts.cost_calls,
            &server_handle,
        ))
    });
    let elapsed = started.elapsed();
    drop(client_rt);
    let _ = shutdown_tx.send(());
    let _ = server_thread.join();

    let t = opts.timing;
    let processors = std::thread::available_parallelism().map_or(1, usize::from);
    let mut md = String::new();
    let _ = writeln!(md, "## indigo-bench results\n");
    let _ = writeln!(
        md,
        "Loopback 127.0.0.1, {processors} processors; server and client on separate tokio {} runtimes in one process; \
         payload {} bytes; each figure: {:.1} s warm-up then {} rounds of {:.1} s, median [min–max] over rounds. \
         Scenario 2 uses {} clients, each with its own connection (Indigo: its own session), calling back to back. \
         Indigo hosts a singleton service (`&self` operation) with ServiceThrottle raised to {} calls / {} sessions / {} instances. \
         TCP_NODELAY on every connection. Ratios are calls/s medians measured in this run.\n",
        if opts.multi_thread { "multi_thread" } else { "current_thread" },
        opts.payload,
        t.warmup.as_secs_f64(),
        t.rounds,
        t.round.as_secs_f64(),
        opts.conns,
        systems::indigo_echo::THROTTLE.max_concurrent_calls,
        systems::indigo_echo::THROTTLE.max_concurrent_sessions,
        systems::indigo_echo::THROTTLE.max_concurrent_instances,
    );
    if !rows.is_empty() {
        md.push_str(&table(&rows, &opts));
        md.push_str(
            "\nReliable-session rows use Indigo's defaults: WCF's (WS-RM 1.0, MaxTransferWindowSize 8, \
             ordered, AcknowledgementInterval 200 ms) plus selective retransmission and Karn RTT \
             sampling; every client is its own reliable session.\n",
        );
    }
    if opts.scenarios.iter().any(|s| *s == 3 || *s == 4) {
        let _ = writeln!(
            md,
            "\nScenarios 3-4 reliable-session settings: Indigo's defaults except MaxTransferWindowSize; \
             FlowControlEnabled {}, selective retransmission {}, Karn RTT sampling {}.",
            opts.rm_tweaks.flow_control, opts.rm_tweaks.selective, opts.rm_tweaks.karn
        );
    }
    if !s3.is_empty() {
        let _ = writeln!(
            md,
            "\n### Scenario 3: one-way messages inside one session\n\n\
             One client sends one-way `record(String)` calls of {} bytes back to back on one session; the service \
             (a singleton) counts deliveries and the harness reads that counter at the start and end of each round \
             ({:.1} s warm-up, {} rounds of {:.1} s). The run ends with a request-reply `count()` call \
             (\"delivered (final count)\"). \"sent\" counts the one-way calls that returned on the client.\n",
            opts.oneway_payload,
            t.warmup.as_secs_f64(),
            t.rounds,
            t.round.as_secs_f64(),
        );
        md.push_str(&scenarios::table3(&s3));
    }
    if let Some(s4) = &s4 {
        let _ = writeln!(
            md,
            "\n### Scenario 4: one-way through a slow, lossy link\n\n\
             A reliable session over net.tcp through an in-process proxy (bench/src/lossy.rs) that parses net.tcp \
             framing records, delays every record {} ms each way (50 ms RTT) and drops SizedEnvelope records (whole \
             messages) with the given probability in both directions, from the warm-up on. {}-byte one-way messages, \
             {:.1} s warm-up then {} rounds of {:.1} s. Bound = min(window / RTT, the link's rate: scenario 3's \
             NetTcpBinding + reliable session at the same window without delay or loss, when measured). Proxy counts \
             cover the measured rounds only. Text encoding: \"retransmissions\" are client sequence messages whose \
             (Identifier, MessageNumber) the proxy had already seen, \"dropped\" the client sequence messages it \
             dropped (exact). NetTcpBinding's binary session encoding cannot be read by the proxy: every client \
             envelope counts, and retransmissions ≈ client envelopes − messages delivered in the same rounds \
             (marked ≈; standalone acks and the window in flight at the round edges blur it). \"reconnects\": \
             connections the proxy accepted during the rounds.\n",
            scenarios::S4_DELAY.as_millis(),
            opts.oneway_payload,
            t.warmup.as_secs_f64(),
            t.rounds,
            opts.s4_round.as_secs_f64(),
        );
        md.push_str(&scenarios::table4(s4, &s3));
    }
    if let Some(s5) = &s5 {
        let _ = writeln!(
            md,
            "\n### Scenario 5: idle reliable sessions\n\n\
             NetTcp + reliable session (MaxPendingChannels {}, max sessions and ServiceThrottle sessions raised to \
             the count + 64), an echo singleton. The host runs in this process; the clients run in a child process \
             (this binary with `--s5-child`, one current_thread runtime), so server and client memory are \
             measured apart (VmRSS from /proc/self/status, delta over the sessions' lifetime divided by the \
             sessions open). RLIMIT_NOFILE (soft/hard) here: {}.\n",
            idle::MAX_PENDING_CHANNELS,
            idle::fd_limits().map_or("unknown".to_owned(), |(soft, hard)| format!("{soft}/{hard}")),
        );
        md.push_str(&scenarios::table5(s5, opts.s5_sessions));
    }
    if let Some(s6) = &s6 {
        let _ = writeln!(
            md,
            "\n### Scenario 6: what one call costs\n\n\
             After {} warm-up calls, {} calls on one connection or session of each system, one after another \
             ({}-byte payload; the one-way row: {}-byte messages, then a request-reply call that proves every one \
             arrived). Heap allocations are counted by the harness's global allocator, client and service \
             together (both run in this process); reallocations count as allocations.\n",
            cost::WARMUP_CALLS,
            opts.cost_calls,
            opts.payload,
            opts.oneway_payload,
        );
        md.push_str(&cost::table(s6));
    }
    let _ = writeln!(md, "\nWhole run: {:.0} s.", elapsed.as_secs_f64());
    println!("{md}");
    if let Some(dir) = std::path::Path::new(&opts.out).parent() {
        if !dir.as_os_str().is_empty() {
            let _ = std::fs::create_dir_all(dir);
        }
    }
    match std::fs::write(&opts.out, &md) {
        Ok(()) => eprintln!("wrote {}", opts.out),
        Err(e) => {
            eprintln!("could not write {}: {e}", opts.out);
            std::process::exit(1);
        }
    }
}
