//! Scenario 3 (and the traffic of scenario 4): one-way messages sent back to back inside one
//! session, counted where they are delivered, at the service.

use crate::measure::{Summary, Timing};
use indigo::reliable::Reliable;
use indigo::ReliableSessionSettings;
use indigo::{NetTcpBinding, ServiceHost, ServiceThrottle};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// A sink for one-way messages that counts what the service received.
#[indigo::service_contract(name = "ISink", namespace = "http://example.org/bench/sink/")]
pub trait Sink {
    /// Counts one delivered message.
    #[operation(one_way)]
    async fn record(&self, data: String);
    /// Messages delivered so far (ends a run with a request-reply call).
    #[operation]
    async fn count(&self) -> u64;
}

#[derive(Debug, Clone, Default)]
pub struct SinkService {
    pub delivered: Arc<AtomicU64>,
}

impl Sink for SinkService {
    async fn record(&self, data: String) {
        std::hint::black_box(data);
        self.delivered.fetch_add(1, Ordering::Relaxed);
    }

    async fn count(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }
}

const THROTTLE: ServiceThrottle = ServiceThrottle {
    max_concurrent_calls: 4096,
    max_concurrent_sessions: 4096,
    max_concurrent_instances: 8192,
};

/// Reliable-session settings scenarios 3 and 4 may change from Indigo's defaults (for
/// investigation; the default run keeps the library's defaults, which a user gets).
#[derive(Debug, Clone, Copy)]
pub struct RmTweaks {
    /// FlowControlEnabled (WCF default: true).
    pub flow_control: bool,
    /// Indigo's selective retransmission (library default: true; false is WCF's behaviour).
    pub selective: bool,
    /// Indigo's Karn RTT sampling (library default: true; false is WCF's behaviour).
    pub karn: bool,
}

impl Default for RmTweaks {
    fn default() -> Self {
        let library = ReliableSessionSettings::default();
        RmTweaks {
            flow_control: library.flow_control_enabled(),
            selective: library.selective_retransmission(),
            karn: library.karn_rtt_sampling(),
        }
    }
}

/// The NetTcp binding with a reliable session and `window` as MaxTransferWindowSize.
pub fn reliable_net_tcp(window: u32, tweaks: RmTweaks) -> Reliable<NetTcpBinding> {
    NetTcpBinding::new()
        .with_reliable_session()
        .with_settings(rm_settings(window, tweaks))
}

/// WCF's reliable-session defaults with `window` as MaxTransferWindowSize and `tweaks`.
pub fn rm_settings(window: u32, tweaks: RmTweaks) -> ReliableSessionSettings {
    let mut settings = ReliableSessionSettings::default();
    settings
        .set_max_transfer_window_size(window)
        .expect("a window WCF allows");
    settings
        .set_flow_control_enabled(tweaks.flow_control)
        .set_selective_retransmission(tweaks.selective)
        .set_karn_rtt_sampling(tweaks.karn);
    settings
}

/// A sink host running on the server runtime.
#[derive(Debug)]
pub struct SinkHost {
    pub address: String,
    pub delivered: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<()>>,
}

impl SinkHost {
    pub async fn start<B>(
        binding: B,
        address: &str,
        server_rt: &tokio::runtime::Handle,
    ) -> Result<SinkHost, String>
    where
        B: indigo::Binding,
        SinkContract: indigo::binding::CarriedBy<B>,
    {
        let service = SinkService::default();
        let delivered = service.delivered.clone();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (addr_tx, addr_rx) = oneshot::channel::<Result<String, String>>();
        let address = address.to_owned();
        let done = server_rt.spawn(async move {
            // Scenario 4's clients reach the sink through a proxy whose address is not the
            // sink's: filter on nothing, as WCF services behind proxies do (AddressFilterMode.Any).
            let opened = ServiceHost::builder(SinkContract::single(service))
                .endpoint(binding, &address)
                .address_filter_mode(indigo::AddressFilterMode::Any)
                .throttle(THROTTLE)
                .open()
                .await;
            let host = match opened {
                Ok(host) => host,
                Err(e) => {
                    let _ = addr_tx.send(Err(format!("open the sink host: {e}")));
                    return;
                }
            };
            let _ = addr_tx.send(Ok(host.addresses().remove(0)));
            let _ = stop_rx.await;
            host.abort();
        });
        let address = addr_rx
            .await
            .map_err(|_| "the sink host ended before it reported an address".to_owned())??;
        Ok(SinkHost {
            address,
            delivered,
            stop: Some(stop_tx),
            done: Some(done),
        })
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

/// What one one-way run measured: delivered messages/s per round, and the service's final
/// count checked by a request-reply call.
#[derive(Debug, Clone)]
pub struct OneWayRun {
    pub rates: Vec<f64>,
    /// Messages delivered during the measured rounds.
    pub delivered_in_rounds: u64,
    pub sent: u64,
    pub delivered: u64,
}

impl OneWayRun {
    pub fn summary(&self) -> Summary {
        Summary::of(&self.rates)
    }
}

/// Hooks called at the start and end of each measured round (scenario 4 snapshots its proxy).
pub trait RoundHooks {
    /// The session is open; the warm-up starts.
    fn warmup_start(&mut self) {}
    fn round_start(&mut self) {}
    fn round_end(&mut self) {}
}

impl RoundHooks for () {}

/// Connects a `SinkClient` over `binding` to `address`, sends one-way `payload`s back to back
/// on their own task for the warm-up and the rounds, and reads the delivered count at the
/// service at the start and end of each round.
pub async fn run<B>(
    binding: &B,
    address: &str,
    delivered: &Arc<AtomicU64>,
    payload_len: usize,
    timing: Timing,
    hooks: &mut impl RoundHooks,
) -> Result<OneWayRun, String>
where
    B: indigo::Binding,
    SinkContract: indigo::binding::CarriedBy<B>,
{
    let client = SinkClient::connect(binding, address)
        .await
        .map_err(|e| format!("connect {address}: {e}"))?;
    // One request-reply call first, so the session is fully up before the clock starts.
    client
        .count()
        .await
        .map_err(|e| format!("first call: {e}"))?;
    let client = Arc::new(client);
    hooks.warmup_start();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let failure: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let sender = {
        let (client, stop, sent, failure) =
            (client.clone(), stop.clone(), sent.clone(), failure.clone());
        let payload = "x".repeat(payload_len);
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if let Err(e) = client.record(payload.clone()).await {
                    failure
                        .lock()
                        .expect("not poisoned")
                        .get_or_insert(e.to_string());
                    stop.store(true, Ordering::Relaxed);
                    break;
                }
                sent.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    tokio::time::sleep(timing.warmup).await;
    let mut rates = Vec::new();
    let mut delivered_in_rounds = 0;
    for _ in 0..timing.rounds {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        hooks.round_start();
        let (c0, t0) = (delivered.load(Ordering::Relaxed), Instant::now());
        tokio::time::sleep(timing.round).await;
        let (c1, t1) = (delivered.load(Ordering::Relaxed), Instant::now());
        hooks.round_end();
        delivered_in_rounds += c1 - c0;
        rates.push((c1 - c0) as f64 / (t1 - t0).as_secs_f64());
    }
    stop.store(true, Ordering::Relaxed);
    let _ = sender.await;
    if let Some(e) = failure.lock().expect("not poisoned").take() {
        return Err(e);
    }
    // Everything sent before the request-reply call is delivered before it (in order).
    let counted = tokio::time::timeout(Duration::from_secs(30), client.count())
        .await
        .map_err(|_| "the final count call timed out".to_owned())?
        .map_err(|e| format!("final count call: {e}"))?;
    if let Ok(client) = Arc::try_unwrap(client) {
        let _ = tokio::time::timeout(Duration::from_secs(5), client.close()).await;
    }
    if rates.is_empty() {
        return Err("no round measured".to_owned());
    }
    Ok(OneWayRun {
        rates,
        delivered_in_rounds,
        sent: sent.load(Ordering::Relaxed),
        delivered: counted,
    })
}
