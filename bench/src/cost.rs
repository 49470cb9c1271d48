//! Scenario 6: what one call costs, counted rather than timed. A fixed number of calls per
//! system after a warm-up, with the heap allocations (client and service, both in this
//! process) counted by a global allocator; and a fixed amount of work, so that two runs under
//! `valgrind --tool=callgrind` with different `--cost-calls` give instructions per call by
//! difference (BENCHMARKS.md has the commands). Counts, unlike rates, do not move with the
//! machine's load.

use crate::oneway::{SinkClient, SinkHost};
use crate::systems::{self, Caller, System};
use indigo::NetTcpBinding;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System as SystemAllocator;

/// The process's allocator: the system's, counting allocations and their bytes.
pub static ALLOCATOR: &StatsAlloc<SystemAllocator> = &INSTRUMENTED_SYSTEM;

/// Calls made before counting starts (connections, caches and buffers settle).
pub const WARMUP_CALLS: u64 = 500;

/// One row of scenario 6.
#[derive(Debug)]
pub struct CostRow {
    pub label: String,
    pub calls: u64,
    /// Allocations and allocated bytes per call, both ends together.
    pub result: Result<(f64, f64), String>,
}

/// Request-reply calls on one connection of each system, then (with a payload length for
/// them) one-way calls on one NetTcp session.
pub async fn scenario6(
    selected: &[System],
    payload_len: usize,
    oneway_payload_len: Option<usize>,
    calls: u64,
    server_rt: &tokio::runtime::Handle,
) -> Vec<CostRow> {
    let payload = "x".repeat(payload_len);
    let mut rows = Vec::new();
    for &system in selected {
        eprintln!("counting {} ...", system.label());
        let result = request_reply(system, &payload, calls, server_rt).await;
        rows.push(CostRow {
            label: format!("request-reply: {}", system.label()),
            calls,
            result,
        });
    }
    let Some(oneway_payload_len) = oneway_payload_len else {
        return rows;
    };
    eprintln!("counting one-way NetTcpBinding ...");
    rows.push(CostRow {
        label: "one-way: Indigo NetTcpBinding (no reliable session)".to_owned(),
        calls,
        result: one_way(&"x".repeat(oneway_payload_len), calls, server_rt).await,
    });
    rows
}

async fn request_reply(
    system: System,
    payload: &str,
    calls: u64,
    server_rt: &tokio::runtime::Handle,
) -> Result<(f64, f64), String> {
    let server = systems::start(system, server_rt).await?;
    let counted = async {
        match system {
            System::Raw => {
                count_calls(
                    systems::raw::connect(&server.address).await?,
                    payload,
                    calls,
                )
                .await
            }
            System::Tarpc => {
                count_calls(
                    systems::tarpc_echo::connect(&server.address).await?,
                    payload,
                    calls,
                )
                .await
            }
            System::Tonic => {
                count_calls(
                    systems::tonic_echo::connect(&server.address).await?,
                    payload,
                    calls,
                )
                .await
            }
            _ => {
                count_calls(
                    systems::indigo_echo::connect(system, &server.address).await?,
                    payload,
                    calls,
                )
                .await
            }
        }
    }
    .await;
    server.stop().await;
    counted
}

async fn count_calls(
    mut caller: impl Caller,
    payload: &str,
    calls: u64,
) -> Result<(f64, f64), String> {
    for _ in 0..WARMUP_CALLS {
        caller.call(payload).await?;
    }
    let region = Region::new(ALLOCATOR);
    for _ in 0..calls {
        caller.call(payload).await?;
    }
    Ok(per_call(&region, calls))
}

async fn one_way(
    payload: &str,
    calls: u64,
    server_rt: &tokio::runtime::Handle,
) -> Result<(f64, f64), String> {
    let binding = NetTcpBinding::new();
    let host = SinkHost::start(binding.clone(), "net.tcp://127.0.0.1:0/sink", server_rt).await?;
    let counted = async {
        let client = SinkClient::connect(&binding, &host.address)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let send = |n: u64| {
            let client = &client;
            async move {
                for _ in 0..n {
                    client
                        .record(payload.to_owned())
                        .await
                        .map_err(|e| e.to_string())?;
                }
                // A request-reply call last: every one-way message before it was handled.
                client.count().await.map_err(|e| e.to_string())
            }
        };
        send(WARMUP_CALLS).await?;
        let region = Region::new(ALLOCATOR);
        let delivered = send(calls).await?;
        let cost = per_call(&region, calls);
        if delivered != WARMUP_CALLS + calls {
            return Err(format!(
                "the service counted {delivered} of {} messages",
                WARMUP_CALLS + calls
            ));
        }
        Ok(cost)
    }
    .await;
    host.stop().await;
    counted
}

/// Allocations (reallocations included) and allocated bytes per call since `region` began.
fn per_call(region: &Region<'_, SystemAllocator>, calls: u64) -> (f64, f64) {
    let stats = region.change();
    let calls = calls.max(1) as f64;
    (
        (stats.allocations + stats.reallocations) as f64 / calls,
        (stats.bytes_allocated + stats.bytes_reallocated.max(0) as usize) as f64 / calls,
    )
}

/// The markdown table of scenario 6.
pub fn table(rows: &[CostRow]) -> String {
    let mut out = String::from(
        "| scenario | calls | allocations per call | allocated bytes per call |\n|---|---|---|---|\n",
    );
    for row in rows {
        match &row.result {
            Ok((allocations, bytes)) => out.push_str(&format!(
                "| 6 {} | {} | {allocations:.1} | {bytes:.0} |\n",
                row.label, row.calls
            )),
            Err(e) => out.push_str(&format!(
                "| 6 {} | {} | failed: {e} | |\n",
                row.label, row.calls
            )),
        }
    }
    out
}
