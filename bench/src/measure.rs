//! Warm-up, measured rounds and their summaries.

use crate::systems::Caller;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long to warm up and measure.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub warmup: Duration,
    pub rounds: usize,
    pub round: Duration,
}

/// Median, min and max of one figure over the measured rounds.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    pub fn of(values: &[f64]) -> Summary {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Summary {
            median,
            min: sorted[0],
            max: sorted[n - 1],
        }
    }
}

/// Scenario 1's figures.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    pub calls_per_s: Summary,
    pub p50_us: Summary,
    pub p99_us: Summary,
}

fn percentile(sorted_ns: &[u64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted_ns.len() as f64).ceil() as usize;
    sorted_ns[rank.clamp(1, sorted_ns.len()) - 1] as f64 / 1000.0
}

/// Scenario 1: one caller, calls one after another.
pub async fn latency<C: Caller>(
    caller: &mut C,
    payload: &str,
    timing: Timing,
) -> Result<Latency, String> {
    let warm_end = Instant::now() + timing.warmup;
    while Instant::now() < warm_end {
        caller.call(payload).await?;
    }
    let (mut rates, mut p50s, mut p99s) = (Vec::new(), Vec::new(), Vec::new());
    let mut samples: Vec<u64> = Vec::with_capacity(1 << 18);
    for _ in 0..timing.rounds {
        samples.clear();
        let start = Instant::now();
        let mut last = start;
        loop {
            caller.call(payload).await?;
            let now = Instant::now();
            samples.push((now - last).as_nanos() as u64);
            last = now;
            if now - start >= timing.round {
                break;
            }
        }
        let elapsed = (last - start).as_secs_f64();
        rates.push(samples.len() as f64 / elapsed);
        samples.sort_unstable();
        p50s.push(percentile(&samples, 50.0));
        p99s.push(percentile(&samples, 99.0));
    }
    Ok(Latency {
        calls_per_s: Summary::of(&rates),
        p50_us: Summary::of(&p50s),
        p99_us: Summary::of(&p99s),
    })
}

/// Scenario 2: every caller on its own task, calling back to back; the aggregate rate is read
/// off a shared counter at the start and end of each round.
pub async fn throughput<C: Caller>(
    callers: Vec<C>,
    payload: &str,
    timing: Timing,
) -> Result<Summary, String> {
    let count = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let failure: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let mut tasks = Vec::new();
    for mut caller in callers {
        let (count, stop, failure) = (count.clone(), stop.clone(), failure.clone());
        let payload = payload.to_owned();
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if let Err(e) = caller.call(&payload).await {
                    failure.lock().expect("not poisoned").get_or_insert(e);
                    stop.store(true, Ordering::Relaxed);
                    break;
                }
                count.fetch_add(1, Ordering::Relaxed);
            }
            caller
        }));
    }
    tokio::time::sleep(timing.warmup).await;
    let mut rates = Vec::new();
    for _ in 0..timing.rounds {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let (c0, t0) = (count.load(Ordering::Relaxed), Instant::now());
        tokio::time::sleep(timing.round).await;
        let (c1, t1) = (count.load(Ordering::Relaxed), Instant::now());
        rates.push((c1 - c0) as f64 / (t1 - t0).as_secs_f64());
    }
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        // Callers are dropped here, after every task has stopped calling.
        let _ = task.await;
    }
    if let Some(e) = failure.lock().expect("not poisoned").take() {
        return Err(e);
    }
    Ok(Summary::of(&rates))
}
