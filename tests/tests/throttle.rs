//! ServiceThrottle: over a limit, work waits for a slot and then completes; nothing is dropped.

use indigo::{MemoryBinding, ServiceHost, ServiceThrottle};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[indigo::service_contract(namespace = "urn:indigo:tests")]
pub trait Work {
    /// Holds a call slot for a while and reports how many calls were inside at once.
    #[operation]
    async fn busy(&self) -> usize;
}

#[derive(Clone, Default)]
struct WorkService {
    inside: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

impl Work for WorkService {
    async fn busy(&self) -> usize {
        let now = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(15)).await;
        self.inside.fetch_sub(1, Ordering::SeqCst);
        now
    }
}

fn limits(calls: usize, sessions: usize, instances: usize) -> ServiceThrottle {
    ServiceThrottle {
        max_concurrent_calls: calls,
        max_concurrent_sessions: sessions,
        max_concurrent_instances: instances,
    }
}

#[test]
fn the_default_throttle_is_wcf_s() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let throttle = ServiceThrottle::default();
    assert_eq!(throttle.max_concurrent_calls, 16 * cores);
    assert_eq!(throttle.max_concurrent_sessions, 100 * cores);
    assert_eq!(throttle.max_concurrent_instances, 116 * cores);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_over_the_limit_wait_and_all_complete() {
    let address = "memory://throttle-calls";
    let service = WorkService::default();
    let most = service.most.clone();
    let _host = ServiceHost::builder(WorkContract::single(service))
        .throttle(limits(2, 100, 100))
        .endpoint(MemoryBinding::new(), address)
        .open()
        .await
        .unwrap();
    let mut clients = Vec::new();
    for _ in 0..6 {
        clients.push(
            WorkClient::connect(&MemoryBinding::new(), address)
                .await
                .unwrap(),
        );
    }
    let calls = clients.iter().flat_map(|c| [c.busy(), c.busy()]);
    let results = futures::future::join_all(calls).await;
    assert_eq!(results.len(), 12);
    for result in results {
        assert!(result.unwrap() <= 2);
    }
    assert_eq!(
        most.load(Ordering::SeqCst),
        2,
        "the limit was reached but never passed"
    );
}

/// With `limits`, a second session's first call must wait while the first session is open,
/// and complete once it closes.
async fn second_session_waits_for_the_first(address: &str, limits: ServiceThrottle, what: &str) {
    let _host = ServiceHost::builder(WorkContract::per_session(WorkService::default))
        .throttle(limits)
        .endpoint(MemoryBinding::new(), address)
        .open()
        .await
        .unwrap();
    let first = WorkClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    first.busy().await.unwrap();
    let second = WorkClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    let waiting = tokio::spawn(async move { second.busy().await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(!waiting.is_finished(), "{what}: served over the limit");
    first.close().await.unwrap();
    let served = tokio::time::timeout(Duration::from_secs(5), waiting).await;
    assert_eq!(
        served.expect("served once a slot freed").unwrap().unwrap(),
        1,
        "{what}"
    );
}

#[tokio::test]
async fn a_session_over_the_limit_waits_until_one_ends() {
    second_session_waits_for_the_first(
        "memory://throttle-sessions",
        limits(16, 1, 100),
        "sessions",
    )
    .await;
}

#[tokio::test]
async fn instances_over_the_limit_wait() {
    second_session_waits_for_the_first(
        "memory://throttle-instances",
        limits(16, 100, 1),
        "instances",
    )
    .await;
}
