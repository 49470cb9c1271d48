//! Scenarios 3, 4 and 5: running them and their tables.

use crate::idle::{self, IdleResult};
use crate::lossy::{LossyProxy, Snapshot};
use crate::lossy_http::LossyHttpProxy;
use crate::measure::{Summary, Timing};
use crate::oneway::{self, OneWayRun, RmTweaks, RoundHooks, SinkHost};
use indigo::{CustomBinding, NetTcpBinding, WsHttpBinding};
use std::fmt::Write as _;
use std::time::Duration;

/// Transfer windows measured in scenario 3.
pub const S3_WINDOWS: [u32; 3] = [8, 64, 512];
/// The encodings scenario 4 runs over net.tcp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum S4Encoding {
    /// `CustomBinding::tcp_text()`: SOAP 1.2 text, so the proxy can read sequence numbers.
    Text,
    /// `NetTcpBinding`: binary session encoding (msbinsession1); counts are approximate.
    Binary,
    /// `WsHttpBinding`: SOAP 1.2 text over HTTP, every message an exchange; loss is per
    /// request and per response, and counts are of exchanges.
    Http,
}

impl S4Encoding {
    fn label(self) -> &'static str {
        match self {
            S4Encoding::Text => "net.tcp text (CustomBinding::tcp_text)",
            S4Encoding::Binary => "NetTcpBinding (binary session)",
            S4Encoding::Http => "WsHttpBinding (HTTP exchanges)",
        }
    }
}

/// (encoding, window, loss) cases measured in scenario 4.
pub const S4_CASES: [(S4Encoding, u32, f64); 11] = [
    (S4Encoding::Text, 64, 0.0),
    (S4Encoding::Text, 64, 0.01),
    (S4Encoding::Text, 64, 0.05),
    (S4Encoding::Text, 8, 0.01),
    (S4Encoding::Text, 8, 0.05),
    (S4Encoding::Binary, 64, 0.0),
    (S4Encoding::Binary, 64, 0.01),
    (S4Encoding::Binary, 64, 0.05),
    // Over HTTP at most 32 exchanges run at once (the requester's cap), so window 32.
    (S4Encoding::Http, 32, 0.0),
    (S4Encoding::Http, 32, 0.01),
    (S4Encoding::Http, 32, 0.05),
];
/// The proxy's delay each way in scenario 4.
pub const S4_DELAY: Duration = Duration::from_millis(25);

/// One row of scenario 3.
#[derive(Debug)]
pub struct OneWayRow {
    /// `None`: plain NetTcp without a reliable session.
    pub window: Option<u32>,
    pub result: Result<OneWayRun, String>,
}

pub async fn scenario3(
    tweaks: RmTweaks,
    payload: usize,
    timing: Timing,
    server_rt: &tokio::runtime::Handle,
) -> Vec<OneWayRow> {
    let mut rows = Vec::new();
    let windows = std::iter::once(None).chain(S3_WINDOWS.iter().copied().map(Some));
    for window in windows {
        eprintln!(
            "scenario 3: one-way, {}",
            window.map_or("plain NetTcp".to_owned(), |w| format!(
                "NetTcp + reliable session, window {w}"
            ))
        );
        let result = match window {
            None => one_way_direct(NetTcpBinding::new(), payload, timing, server_rt).await,
            Some(w) => {
                one_way_direct(
                    oneway::reliable_net_tcp(w, tweaks),
                    payload,
                    timing,
                    server_rt,
                )
                .await
            }
        };
        if let Err(e) = &result {
            eprintln!("  failed: {e}");
        }
        rows.push(OneWayRow { window, result });
    }
    rows
}

async fn one_way_direct<B>(
    binding: B,
    payload: usize,
    timing: Timing,
    server_rt: &tokio::runtime::Handle,
) -> Result<OneWayRun, String>
where
    B: indigo::Binding,
    oneway::SinkContract: indigo::binding::CarriedBy<B>,
{
    let host = SinkHost::start(binding.clone(), "net.tcp://127.0.0.1:0/sink", server_rt).await?;
    let run = oneway::run(
        &binding,
        &host.address,
        &host.delivered,
        payload,
        timing,
        &mut (),
    )
    .await;
    host.stop().await;
    run
}

/// One row of scenario 4.
#[derive(Debug)]
pub struct LossyRow {
    pub encoding: S4Encoding,
    pub window: u32,
    pub loss: f64,
    pub result: Result<(OneWayRun, Snapshot), String>,
}

impl LossyRow {
    /// window / RTT in messages/s.
    pub fn window_bound(&self) -> f64 {
        self.window as f64 / (2.0 * S4_DELAY.as_secs_f64())
    }
}

/// What the round hooks need of a lossy proxy.
trait Lossy {
    fn set_loss(&self, loss: f64);
    fn snapshot(&self) -> Snapshot;
}

impl Lossy for LossyProxy {
    fn set_loss(&self, loss: f64) {
        LossyProxy::set_loss(self, loss);
    }
    fn snapshot(&self) -> Snapshot {
        LossyProxy::snapshot(self)
    }
}

impl Lossy for LossyHttpProxy {
    fn set_loss(&self, loss: f64) {
        LossyHttpProxy::set_loss(self, loss);
    }
    fn snapshot(&self) -> Snapshot {
        LossyHttpProxy::snapshot(self)
    }
}

struct ProxyHooks<'a, P> {
    proxy: &'a P,
    loss: f64,
    at_start: Snapshot,
    total: Snapshot,
}

impl<P: Lossy> RoundHooks for ProxyHooks<'_, P> {
    fn warmup_start(&mut self) {
        self.proxy.set_loss(self.loss);
    }

    fn round_start(&mut self) {
        self.at_start = self.proxy.snapshot();
    }

    fn round_end(&mut self) {
        self.total.add(self.proxy.snapshot().since(self.at_start));
    }
}

pub async fn scenario4(
    tweaks: RmTweaks,
    payload: usize,
    timing: Timing,
    server_rt: &tokio::runtime::Handle,
) -> Vec<LossyRow> {
    let mut rows = Vec::new();
    for (i, &(encoding, window, loss)) in S4_CASES.iter().enumerate() {
        eprintln!(
            "scenario 4: {}, window {window}, loss {:.0}%, {} ms each way",
            encoding.label(),
            loss * 100.0,
            S4_DELAY.as_millis()
        );
        let settings = oneway::rm_settings(window, tweaks);
        let seed = i as u64;
        let result = match encoding {
            S4Encoding::Text => {
                let binding = CustomBinding::tcp_text()
                    .with_reliable_session()
                    .with_settings(settings);
                lossy_run(
                    LinkKind::NetTcp,
                    binding,
                    loss,
                    payload,
                    timing,
                    server_rt,
                    seed,
                )
                .await
            }
            S4Encoding::Binary => {
                let binding = NetTcpBinding::new()
                    .with_reliable_session()
                    .with_settings(settings);
                lossy_run(
                    LinkKind::NetTcp,
                    binding,
                    loss,
                    payload,
                    timing,
                    server_rt,
                    seed,
                )
                .await
            }
            S4Encoding::Http => {
                let binding = WsHttpBinding::new()
                    .with_reliable_session()
                    .with_settings(settings);
                lossy_run(
                    LinkKind::Http,
                    binding,
                    loss,
                    payload,
                    timing,
                    server_rt,
                    seed,
                )
                .await
            }
        };
        if let Err(e) = &result {
            eprintln!("  failed: {e}");
        }
        rows.push(LossyRow {
            encoding,
            window,
            loss,
            result,
        });
    }
    rows
}

/// Which lossy proxy a scenario-4 case runs through, by the binding's scheme.
#[derive(Debug, Clone, Copy)]
enum LinkKind {
    /// net.tcp records delayed and dropped ([`LossyProxy`]).
    NetTcp,
    /// HTTP requests and responses delayed and lost ([`LossyHttpProxy`]).
    Http,
}

impl LinkKind {
    fn scheme(self) -> &'static str {
        match self {
            LinkKind::NetTcp => "net.tcp",
            LinkKind::Http => "http",
        }
    }
}

/// One scenario-4 case: a sink host, the lossy proxy in front of it, the one-way run through
/// the proxy, and the proxy's counters over the measured rounds.
async fn lossy_run<B>(
    link: LinkKind,
    binding: B,
    loss: f64,
    payload: usize,
    timing: Timing,
    server_rt: &tokio::runtime::Handle,
    seed: u64,
) -> Result<(OneWayRun, Snapshot), String>
where
    B: indigo::Binding,
    oneway::SinkContract: indigo::binding::CarriedBy<B>,
{
    let scheme = link.scheme();
    let listen = format!("{scheme}://127.0.0.1:0/sink");
    let host = SinkHost::start(binding.clone(), &listen, server_rt).await?;
    let upstream = host
        .address
        .trim_start_matches(&format!("{scheme}://"))
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let seed = 0x5EED_0000 + seed;
    let (run, total) = match link {
        LinkKind::NetTcp => {
            let proxy = LossyProxy::start(upstream, S4_DELAY, seed).await?;
            through(
                &proxy,
                proxy.port(),
                scheme,
                &binding,
                &host,
                loss,
                payload,
                timing,
            )
            .await
        }
        LinkKind::Http => {
            let proxy = LossyHttpProxy::start(upstream, S4_DELAY, seed).await?;
            through(
                &proxy,
                proxy.port(),
                scheme,
                &binding,
                &host,
                loss,
                payload,
                timing,
            )
            .await
        }
    };
    host.stop().await;
    Ok((run?, total))
}

/// The one-way run through `proxy` (listening on `port`), with its round hooks.
#[allow(clippy::too_many_arguments)]
async fn through<P: Lossy, B>(
    proxy: &P,
    port: u16,
    scheme: &str,
    binding: &B,
    host: &SinkHost,
    loss: f64,
    payload: usize,
    timing: Timing,
) -> (Result<OneWayRun, String>, Snapshot)
where
    B: indigo::Binding,
    oneway::SinkContract: indigo::binding::CarriedBy<B>,
{
    let address = format!("{scheme}://127.0.0.1:{port}/sink");
    let mut hooks = ProxyHooks {
        proxy,
        loss,
        at_start: Snapshot::default(),
        total: Snapshot::default(),
    };
    let run = oneway::run(
        binding,
        &address,
        &host.delivered,
        payload,
        timing,
        &mut hooks,
    )
    .await;
    (run, hooks.total)
}

pub async fn scenario5(
    sessions: usize,
    concurrency: usize,
    server_rt: &tokio::runtime::Handle,
) -> Result<IdleResult, String> {
    eprintln!("scenario 5: {sessions} idle reliable sessions, {concurrency} opened at once");
    let result = idle::run(sessions, concurrency, server_rt).await;
    if let Err(e) = &result {
        eprintln!("  failed: {e}");
    }
    result
}

fn rate(s: &Summary) -> String {
    format!("{:.0} [{:.0}–{:.0}]", s.median, s.min, s.max)
}

pub fn table3(rows: &[OneWayRow]) -> String {
    let plain = rows
        .iter()
        .find(|r| r.window.is_none())
        .and_then(|r| r.result.as_ref().ok())
        .map(|r| r.summary().median);
    let mut out = String::new();
    out.push_str(
        "| scenario | system | window | delivered msg/s median [min–max] | × plain NetTcp one-way | sent | delivered (final count) |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|\n");
    for row in rows {
        let (system, window) = match row.window {
            None => ("Indigo NetTcpBinding (no reliable session)", "—".to_owned()),
            Some(w) => ("Indigo NetTcpBinding + reliable session", w.to_string()),
        };
        match &row.result {
            Ok(run) => {
                let s = run.summary();
                let vs = match (row.window, plain) {
                    (Some(_), Some(p)) if p > 0.0 => format!("{:.2}×", s.median / p),
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "| 3 one-way in one session | {system} | {window} | {} | {vs} | {} | {} |",
                    rate(&s),
                    run.sent,
                    run.delivered
                );
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "| 3 one-way in one session | {system} | {window} | FAILED: {} | | | |",
                    e.replace('|', "/")
                );
            }
        }
    }
    out
}

/// Scenario 4's table; `link` is scenario 3's rate at the same window, if measured (the link's
/// rate without delay or loss; scenario 3 runs NetTcpBinding, binary).
pub fn table4(rows: &[LossyRow], s3: &[OneWayRow]) -> String {
    let link = |window: u32| {
        s3.iter()
            .find(|r| r.window == Some(window))
            .and_then(|r| r.result.as_ref().ok())
            .map(|r| r.summary().median)
    };
    let mut out = String::new();
    out.push_str(
        "| scenario | binding + reliable session | window | loss | goodput msg/s median [min–max] | bound msg/s | × bound | data msgs sent (proxy) | data msgs dropped | retransmissions | retx / losses | acks dropped | reconnects |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for row in rows {
        let loss = format!("{:.0}%", row.loss * 100.0);
        let window_bound = row.window_bound();
        let (bound, bound_text) = match link(row.window) {
            Some(l) if l < window_bound => (l, format!("{l:.0} (link)")),
            _ => (window_bound, format!("{window_bound:.0} (window/RTT)")),
        };
        let label = row.encoding.label();
        match &row.result {
            Ok((run, stats)) => {
                let s = run.summary();
                // Text: exact, from the Sequence headers. Binary: every client envelope counts
                // as a data message, and retransmissions are envelopes beyond the messages
                // delivered in the same rounds (approximate: standalone acks and the window in
                // flight at the round edges blur it).
                let (sent, dropped, retx, approx) = match row.encoding {
                    S4Encoding::Text => (
                        stats.up_sequence,
                        stats.up_sequence_dropped,
                        stats.up_retransmitted,
                        "",
                    ),
                    S4Encoding::Binary => (
                        stats.up_envelopes,
                        stats.up_dropped,
                        stats.up_envelopes.saturating_sub(run.delivered_in_rounds),
                        "≈",
                    ),
                    // Exchanges: a lost response loses the exchange too, so both count.
                    S4Encoding::Http => (
                        stats.up_envelopes,
                        stats.up_dropped + stats.down_dropped,
                        stats.up_envelopes.saturating_sub(run.delivered_in_rounds),
                        "≈",
                    ),
                };
                let retx_ratio = if dropped > 0 {
                    format!("{approx}{:.2}", retx as f64 / dropped as f64)
                } else {
                    "—".to_owned()
                };
                let _ = writeln!(
                    out,
                    "| 4 lossy 50 ms RTT link | {label} | {} | {loss} | {} | {bound_text} | {:.2}× | {sent} | {dropped} | {approx}{retx} | {retx_ratio} | {} of {} | {} |",
                    row.window,
                    rate(&s),
                    s.median / bound,
                    stats.down_dropped,
                    stats.down_envelopes,
                    stats.connections,
                );
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "| 4 lossy 50 ms RTT link | {label} | {} | {loss} | FAILED: {} | {bound_text} | | | | | | | | |",
                    row.window,
                    e.replace('|', "/")
                );
            }
        }
    }
    out
}

pub fn table5(result: &Result<IdleResult, String>, sessions: usize) -> String {
    let mut out = String::new();
    out.push_str(
        "| scenario | sessions open / asked | set-up sessions/s (connect + CreateSequence) | first call on each, calls/s | server RSS KiB per session | client RSS KiB per session |\n",
    );
    out.push_str("|---|---|---|---|---|---|\n");
    match result {
        Ok(r) => {
            let _ = writeln!(
                out,
                "| 5 idle NetTcp + reliable sessions | {} / {} | {:.0} | {:.0} | {:.1} | {:.1} |",
                r.child.opened,
                r.requested,
                r.setup_per_s(),
                r.first_call_per_s(),
                r.server_kib_per_session(),
                r.client_kib_per_session()
            );
            let _ = writeln!(
                out,
                "\nScenario 5 details: {} sessions opened {} at a time; {} failures{}. Server process VmRSS {} KiB before, \
                 {} KiB right after, {} KiB 2 s later (per session uses the last); client process VmRSS {} KiB before, {} KiB after. \
                 Set-up took {:.2} s, the first calls {:.2} s. Set-up time per session: p50 {:.1} ms, p99 {:.1} ms, \
                 max {:.1} ms; {} sessions took 1 s or more.",
                r.child.opened,
                r.concurrency,
                r.child.failed,
                if r.child.first_error.is_empty() {
                    String::new()
                } else {
                    format!(" (first: {})", r.child.first_error.replace('|', "/"))
                },
                r.server_rss_before_kib,
                r.server_rss_after_kib,
                r.server_rss_settled_kib,
                r.child.rss_before_kib,
                r.child.rss_after_kib,
                r.child.connect_secs,
                r.child.call_secs,
                r.child.connect_p50_ms,
                r.child.connect_p99_ms,
                r.child.connect_max_ms,
                r.child.connect_slow,
            );
        }
        Err(e) => {
            let _ = writeln!(
                out,
                "| 5 idle NetTcp + reliable sessions | 0 / {sessions} | FAILED: {} | | | |",
                e.replace('|', "/")
            );
        }
    }
    out
}
