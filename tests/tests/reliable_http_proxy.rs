//! Reliable sessions over WsHttpBinding through an HTTP intermediary on loopback: plain, with
//! delay, and dropping 20% and 50% of the exchanges (the connection closed with RST or FIN
//! before forwarding, or the response lost after the service answered), for WS-RM 1.0 and 1.1.
//! Each session sends 2,000 one-way messages with a request-reply call every 100: every
//! message must arrive exactly once and in order, every call must be answered, nothing stalls.

use indigo::reliable::{ReliableMessagingVersion, ReliableSessionSettings};
use indigo::{ServiceHost, WsHttpBinding};
use indigo_tests::http_proxy::{Drop, Faults, HttpProxy};
use indigo_tests::ledger::{LedgerClient, LedgerContract, LedgerService, Tally};
use std::time::{Duration, Instant};

const V10: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessagingFebruary2005;
const V11: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessaging11;

const MESSAGES: u64 = 2_000;
/// A session that needs longer than this has stalled.
const SESSION_LIMIT: Duration = Duration::from_secs(90);

async fn session_through(version: ReliableMessagingVersion, faults: Faults) {
    if let Ok(filter) = std::env::var("RUST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
    let label = format!("{version:?} {faults:?}");
    let mut settings = ReliableSessionSettings::default();
    settings
        .set_reliable_messaging_version(version)
        .set_max_transfer_window_size(32)
        .unwrap();
    let binding = WsHttpBinding::new()
        .with_reliable_session()
        .with_settings(settings);
    let lossy = faults.drop_permille > 0;
    // The service listens on a port of its own; its clients address the proxy, which is the
    // endpoint's public address (the To they send).
    let upstream = indigo_tests::gsoap::free_port();
    let proxy = HttpProxy::start(upstream, faults).await;
    let address = format!("http://127.0.0.1:{}/ledger", proxy.port());
    let host = ServiceHost::builder(LedgerContract::per_session(LedgerService::default))
        .endpoint_with_listen_address(
            binding.clone(),
            &address,
            format!("http://127.0.0.1:{upstream}/ledger"),
        )
        .open()
        .await
        .unwrap();
    let started = Instant::now();
    let run = async {
        let client = LedgerClient::connect(&binding, &address).await.unwrap();
        let session = client.begin().await.unwrap();
        for n in 1..=MESSAGES {
            session.record(n).await.unwrap();
            if n % 100 == 0 {
                let tally = session.tally().await.unwrap();
                assert_eq!(
                    tally,
                    Tally {
                        count: n,
                        out_of_order: 0,
                        last: n
                    },
                    "{label}: every message so far, once, in order"
                );
            }
        }
        session.finish().await.unwrap()
    };
    let tally = tokio::time::timeout(SESSION_LIMIT, run)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{label}: stalled ({} exchanges forwarded, {} dropped)",
                proxy.forwarded(),
                proxy.dropped()
            )
        });
    assert_eq!(
        tally,
        Tally {
            count: MESSAGES,
            out_of_order: 0,
            last: MESSAGES
        },
        "{label}: exactly once, in order"
    );
    if lossy {
        assert!(proxy.dropped() > 0, "{label}: the proxy dropped nothing");
    }
    eprintln!(
        "{label}: {MESSAGES} messages in {:?}, {} exchanges forwarded, {} dropped",
        started.elapsed(),
        proxy.forwarded(),
        proxy.dropped()
    );
    tokio::time::timeout(Duration::from_secs(10), host.close())
        .await
        .expect("the host closes promptly")
        .unwrap();
}

fn dropping(permille: u32, drops: Vec<Drop>, seed: u64) -> Faults {
    Faults {
        drop_permille: permille,
        drops,
        delay: Duration::ZERO,
        seed,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_plain_proxy_both_versions() {
    for version in [V10, V11] {
        session_through(version, Faults::none()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_proxy_with_delay_both_versions() {
    for version in [V10, V11] {
        let faults = Faults {
            delay: Duration::from_millis(2),
            ..Faults::none()
        };
        session_through(version, faults).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_percent_of_requests_reset_or_closed_both_versions() {
    for (version, seed) in [(V10, 11), (V11, 12)] {
        session_through(version, dropping(200, vec![Drop::Reset, Drop::Close], seed)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_percent_of_responses_lost_both_versions() {
    for (version, seed) in [(V10, 21), (V11, 22)] {
        session_through(version, dropping(200, vec![Drop::ResponseLost], seed)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_of_all_exchanges_lost_both_versions() {
    for (version, seed) in [(V10, 31), (V11, 32)] {
        let drops = vec![Drop::Reset, Drop::Close, Drop::ResponseLost];
        session_through(version, dropping(500, drops, seed)).await;
    }
}
