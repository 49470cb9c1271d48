//! InstanceContextMode: PerSession, PerCall and Single, and when instances are dropped.

use indigo::{MemoryBinding, MemoryDatagramBinding, ServiceHost};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[indigo::service_contract(namespace = "urn:indigo:tests")]
pub trait Counter {
    /// Counts calls on this instance.
    #[operation]
    async fn increment(&mut self) -> u32;
}

/// Counts its own calls, and reports its drop.
struct CountingService {
    calls: u32,
    dropped: Arc<AtomicUsize>,
}

impl Counter for CountingService {
    async fn increment(&mut self) -> u32 {
        self.calls += 1;
        self.calls
    }
}

impl Drop for CountingService {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

fn factory(dropped: &Arc<AtomicUsize>) -> impl Fn() -> CountingService + Send + Sync + 'static {
    let dropped = dropped.clone();
    move || CountingService {
        calls: 0,
        dropped: dropped.clone(),
    }
}

async fn wait_for(counter: &AtomicUsize, expected: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while counter.load(Ordering::SeqCst) != expected {
        assert!(
            tokio::time::Instant::now() < deadline,
            "expected {expected}, still {}",
            counter.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn per_session_keeps_one_instance_per_session_and_drops_it_at_close() {
    let address = "memory://instancing-per-session";
    let dropped = Arc::new(AtomicUsize::new(0));
    let host = ServiceHost::builder(CounterContract::per_session(factory(&dropped)))
        .endpoint(MemoryBinding::new(), address)
        .open()
        .await
        .unwrap();
    let a = CounterClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    let b = CounterClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    assert_eq!(a.increment().await.unwrap(), 1);
    assert_eq!(a.increment().await.unwrap(), 2);
    assert_eq!(b.increment().await.unwrap(), 1);
    assert_eq!(a.increment().await.unwrap(), 3);
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
    a.close().await.unwrap();
    wait_for(&dropped, 1).await;
    b.abort();
    wait_for(&dropped, 2).await;
    host.close().await.unwrap();
}

#[tokio::test]
async fn per_call_makes_a_new_instance_for_every_call() {
    let address = "memory://instancing-per-call";
    let dropped = Arc::new(AtomicUsize::new(0));
    let host = ServiceHost::builder(CounterContract::per_call(factory(&dropped)))
        .endpoint(MemoryBinding::new(), address)
        .open()
        .await
        .unwrap();
    let client = CounterClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    for _ in 0..5 {
        assert_eq!(client.increment().await.unwrap(), 1);
    }
    wait_for(&dropped, 5).await;
    client.close().await.unwrap();
    host.close().await.unwrap();
}

#[tokio::test]
async fn single_shares_one_instance_across_sessions() {
    let address = "memory://instancing-single";
    let dropped = Arc::new(AtomicUsize::new(0));
    let host = ServiceHost::builder(CounterContract::single(factory(&dropped)()))
        .endpoint(MemoryBinding::new(), address)
        .open()
        .await
        .unwrap();
    let a = CounterClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    let b = CounterClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    assert_eq!(a.increment().await.unwrap(), 1);
    assert_eq!(b.increment().await.unwrap(), 2);
    a.close().await.unwrap();
    assert_eq!(b.increment().await.unwrap(), 3);
    b.close().await.unwrap();
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        0,
        "the single instance outlives sessions"
    );
    host.close().await.unwrap();
}

#[tokio::test]
async fn per_session_on_a_sessionless_binding_behaves_per_call() {
    let address = "memory://instancing-datagram";
    let dropped = Arc::new(AtomicUsize::new(0));
    let host = ServiceHost::builder(CounterContract::per_session(factory(&dropped)))
        .endpoint(MemoryDatagramBinding::new(), address)
        .open()
        .await
        .unwrap();
    let client = CounterClient::connect(&MemoryDatagramBinding::new(), address)
        .await
        .unwrap();
    assert_eq!(client.increment().await.unwrap(), 1);
    assert_eq!(client.increment().await.unwrap(), 1);
    client.close().await.unwrap();
    host.close().await.unwrap();
}
