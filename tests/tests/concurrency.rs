//! Concurrency follows the receiver: `&self` operations of one session overlap, `&mut self`
//! operations run one at a time.

use indigo::{MemoryBinding, ServiceHost};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Barrier;

#[indigo::service_contract(namespace = "urn:indigo:tests")]
pub trait Meeting {
    /// Returns once two callers are inside at the same time.
    #[operation]
    async fn rendezvous(&self) -> bool;

    /// Records how many callers are inside at once.
    #[operation]
    async fn alone(&mut self) -> usize;
}

struct MeetingService {
    barrier: Arc<Barrier>,
    inside: Arc<AtomicUsize>,
}

impl Meeting for MeetingService {
    async fn rendezvous(&self) -> bool {
        self.barrier.wait().await;
        true
    }

    async fn alone(&mut self) -> usize {
        let now = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.inside.fetch_sub(1, Ordering::SeqCst);
        now
    }
}

async fn host(address: &str) -> ServiceHost {
    let service = MeetingService {
        barrier: Arc::new(Barrier::new(2)),
        inside: Arc::new(AtomicUsize::new(0)),
    };
    ServiceHost::builder(MeetingContract::single(service))
        .endpoint(MemoryBinding::new(), address)
        .open()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_operations_of_one_session_run_concurrently() {
    let address = "memory://concurrency-shared";
    let _host = host(address).await;
    let client = MeetingClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    // Each call waits for the other: this completes only if both run at once.
    let both = async { tokio::join!(client.rendezvous(), client.rendezvous()) };
    let (a, b) = tokio::time::timeout(Duration::from_secs(5), both)
        .await
        .expect("shared calls were serialised");
    assert!(a.unwrap() && b.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclusive_operations_run_one_at_a_time() {
    let address = "memory://concurrency-exclusive";
    let _host = host(address).await;
    let a = MeetingClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    let b = MeetingClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    let calls = (0..4).map(|i| {
        let client = if i % 2 == 0 { &a } else { &b };
        client.alone()
    });
    for inside in futures::future::join_all(calls).await {
        assert_eq!(inside.unwrap(), 1, "two exclusive calls overlapped");
    }
}
