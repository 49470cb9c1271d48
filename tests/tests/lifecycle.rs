//! The WCF lifecycle of clients and hosts: Created -> Opened -> Closed, Faulted on failure,
//! graceful close draining calls, abort and drop releasing everything.

use indigo::{CommunicationState, Error, MemoryBinding, ServiceHost};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[indigo::service_contract(namespace = "urn:indigo:tests")]
pub trait Slow {
    /// Sleeps `millis`, then answers it.
    #[operation]
    async fn wait(&mut self, millis: u64) -> u64;
}

struct SlowService {
    dropped: Arc<AtomicUsize>,
}

impl Slow for SlowService {
    async fn wait(&mut self, millis: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(millis)).await;
        millis
    }
}

impl Drop for SlowService {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

async fn host(address: &str, binding: MemoryBinding) -> (ServiceHost, Arc<AtomicUsize>) {
    let dropped = Arc::new(AtomicUsize::new(0));
    let counter = dropped.clone();
    let host = ServiceHost::builder(SlowContract::per_session(move || SlowService {
        dropped: counter.clone(),
    }))
    .endpoint(binding, address)
    .open()
    .await
    .unwrap();
    (host, dropped)
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_client_opens_explicitly_or_at_its_first_call() {
    let address = "memory://lifecycle-open";
    // Creating a client does no I/O: nothing listens yet.
    let lazy = SlowClient::new(&MemoryBinding::new(), address);
    assert_eq!(lazy.state(), CommunicationState::Created);
    let (_host, _) = host(address, MemoryBinding::new()).await;
    assert_eq!(lazy.wait(1).await.unwrap(), 1);
    assert_eq!(lazy.state(), CommunicationState::Opened);

    let explicit = SlowClient::new(&MemoryBinding::new(), address);
    explicit.open().await.unwrap();
    assert_eq!(explicit.state(), CommunicationState::Opened);
    explicit.close().await.unwrap();
}

#[tokio::test]
async fn a_failed_open_faults_the_client() {
    let client = SlowClient::new(&MemoryBinding::new(), "memory://lifecycle-nobody");
    assert!(matches!(client.open().await, Err(Error::Transport(_))));
    assert_eq!(client.state(), CommunicationState::Faulted);
    match client.wait(1).await {
        Err(Error::InvalidState {
            state: CommunicationState::Faulted,
            ..
        }) => {}
        other => panic!("expected a clear faulted-state error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_aborted_host_faults_its_clients_and_close_then_reports_it() {
    let address = "memory://lifecycle-host-abort";
    let (host, _) = host(address, MemoryBinding::new()).await;
    let client = SlowClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    client.wait(1).await.unwrap();
    host.abort();
    eventually("the client faults", || {
        client.state() == CommunicationState::Faulted
    })
    .await;
    assert!(client.wait(1).await.is_err());
    match client.close().await {
        Err(Error::InvalidState {
            state: CommunicationState::Faulted,
            ..
        }) => {}
        other => panic!("closing a faulted client aborts it and says so, got {other:?}"),
    }
}

#[tokio::test]
async fn dropping_a_client_ends_its_session() {
    let address = "memory://lifecycle-drop";
    let (_host, dropped) = host(address, MemoryBinding::new()).await;
    let client = SlowClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    client.wait(1).await.unwrap();
    drop(client);
    eventually("the session's instance is dropped", || {
        dropped.load(Ordering::SeqCst) == 1
    })
    .await;
}

#[tokio::test]
async fn closing_a_host_lets_running_calls_finish() {
    let address = "memory://lifecycle-drain";
    let (host, _) = host(address, MemoryBinding::new()).await;
    let client = SlowClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    let call = tokio::spawn(async move { client.wait(200).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    host.close().await.unwrap();
    assert_eq!(
        call.await.unwrap().unwrap(),
        200,
        "the in-flight call was not drained"
    );
}

#[tokio::test]
async fn an_idle_session_is_closed_at_the_receive_timeout() {
    let address = "memory://lifecycle-idle";
    let binding = MemoryBinding::new().with_receive_timeout(Duration::from_millis(100));
    let (_host, dropped) = host(address, binding.clone()).await;
    let client = SlowClient::connect(&binding, address).await.unwrap();
    client.wait(1).await.unwrap();
    eventually("the idle session ends", || {
        dropped.load(Ordering::SeqCst) == 1
    })
    .await;
    eventually("the client sees it", || {
        client.state() == CommunicationState::Faulted
    })
    .await;
}

#[tokio::test]
async fn an_os_error_is_kept_as_the_source_of_the_transport_error() {
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: binding fails in the OS, locally.
    let opened = ServiceHost::builder(SlowContract::per_session(|| SlowService {
        dropped: Arc::default(),
    }))
    .endpoint(
        indigo::NetTcpBinding::new(),
        "net.tcp://192.0.2.1:0/nowhere",
    )
    .open()
    .await;
    let Err(error) = opened else {
        panic!("bound to an address this machine does not have")
    };
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    let mut os_error = None;
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            os_error = Some(io.kind());
        }
        source = e.source();
    }
    assert_eq!(
        os_error,
        Some(std::io::ErrorKind::AddrNotAvailable),
        "the OS error is not in the source chain of {error:?}"
    );
}
