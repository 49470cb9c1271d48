//! `WsDualHttpBinding` (issue 15): a reliable session over two HTTP directions, the client
//! listening at its own address for replies and callbacks, as WCF's `WSDualHttpBinding`.

use indigo::binding::WsDualHttpBinding;
use indigo::ServiceHost;
use indigo_examples::calculator::{Calculator, CalculatorSessionClient, CalculatorSessionContract};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_runs_over_two_http_directions() {
    let binding = WsDualHttpBinding::new();
    let host = ServiceHost::builder(CalculatorSessionContract::per_session(Calculator::default))
        .endpoint(binding.clone(), "http://127.0.0.1:0/calculator")
        .open()
        .await
        .expect("open");
    let address = host.addresses()[0].clone();
    // Two clients at once: each its own session, its own listening address.
    let mut sessions = Vec::new();
    for start in [1.0, 10.0] {
        let binding = binding.clone();
        let address = address.clone();
        sessions.push(tokio::spawn(async move {
            let client = CalculatorSessionClient::connect(&binding, &address)
                .await
                .expect("connect");
            let session = client.clear().await.expect("clear");
            session.add_to(start).await.expect("add");
            session.multiply_by(3.0).await.expect("multiply");
            session.equals().await.expect("equals")
        }));
    }
    let mut results = Vec::new();
    for session in sessions {
        results.push(session.await.expect("the session's task"));
    }
    assert_eq!(results, [3.0, 30.0]);
    host.close().await.expect("close");
}

#[indigo::service_contract(namespace = "http://example.org/dual/")]
pub trait Progress {
    /// `&mut self`: the client runs the steps one at a time, in the order they came.
    #[operation(one_way)]
    async fn step(&mut self, n: u32);

    #[operation]
    async fn confirm(&mut self, total: u32) -> bool;
}

#[indigo::service_contract(
    namespace = "http://example.org/dual/",
    session = Required,
    callback = Progress
)]
pub trait Job {
    #[operation]
    async fn run(&mut self, steps: u32) -> String;
}

struct JobService;

impl Job for JobService {
    async fn run(&mut self, steps: u32) -> String {
        let Ok(callback) = JobContract::callback() else {
            return "no callback".into();
        };
        for n in 1..=steps {
            if callback.step(n).await.is_err() {
                return "lost".into();
            }
        }
        match callback.confirm(steps).await {
            Ok(true) => format!("{steps} steps confirmed"),
            Ok(false) => "refused".into(),
            Err(e) => format!("no answer: {e}"),
        }
    }
}

#[derive(Clone, Default)]
struct Watcher {
    steps: Arc<AtomicU32>,
}

impl Progress for Watcher {
    async fn step(&mut self, n: u32) {
        // In order: the n-th step is the n-th to arrive.
        let before = self.steps.fetch_add(1, Ordering::SeqCst);
        assert_eq!(before + 1, n, "steps out of order");
    }

    async fn confirm(&mut self, total: u32) -> bool {
        self.steps.load(Ordering::SeqCst) == total
    }
}

/// A duplex contract over WSDualHttpBinding: the callbacks reach the client's own listener,
/// in order, and a request-reply callback's answer reaches the service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_reach_the_clients_own_listener() {
    let binding =
        WsDualHttpBinding::new().with_client_base_address("http://127.0.0.1:0/job-client");
    let host = ServiceHost::builder(JobContract::per_session(|| JobService))
        .endpoint(binding.clone(), "http://127.0.0.1:0/job")
        .open()
        .await
        .expect("open");
    let watcher = Watcher::default();
    let client = JobClient::connect_with_callback(&binding, &host.addresses()[0], watcher.clone())
        .await
        .expect("connect");
    let (session, answer) = client.run(50).await.expect("run");
    assert_eq!(answer, "50 steps confirmed");
    assert_eq!(watcher.steps.load(Ordering::SeqCst), 50);
    // Closing ends the reliable session (its TerminateSequence both ways) and the client's
    // listener; the host then closes at once.
    let started = std::time::Instant::now();
    session.close().await.expect("the session closes");
    host.close().await.expect("close");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

/// Through an intermediary that loses a fifth of the client's POSTs (reset, closed, or
/// forwarded with the response lost), the reliable session still delivers every call and
/// callback once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lossy_intermediary_loses_nothing() {
    use indigo_tests::http_proxy::{Drop, Faults, HttpProxy};
    if let Ok(filter) = std::env::var("INDIGO_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
    let binding = WsDualHttpBinding::new();
    // When the client's last acknowledgement is lost and the client is gone, the service's
    // side of the session waits out its CloseTimeout (WS-RM has no acknowledgement of the last
    // acknowledgement, and the client's address no longer answers): kept short here.
    let service_binding = WsDualHttpBinding::new().with_timeouts(indigo::Timeouts {
        close: std::time::Duration::from_secs(2),
        ..indigo::Timeouts::default()
    });
    let host = ServiceHost::builder(JobContract::per_session(|| JobService))
        .endpoint(service_binding, "http://127.0.0.1:0/job")
        .address_filter_mode(indigo::AddressFilterMode::Any)
        .open()
        .await
        .expect("open");
    let address = host.addresses()[0].clone();
    let port: u16 = address
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the port");
    let proxy = HttpProxy::start(
        port,
        Faults {
            drop_permille: 200,
            drops: vec![Drop::Reset, Drop::Close, Drop::ResponseLost],
            delay: std::time::Duration::ZERO,
            seed: 7,
        },
    )
    .await;
    // The client addresses the proxy; `To` stays the service's address (an endpoint behind
    // an intermediary), so the host's filter takes any address.
    let through = format!("http://127.0.0.1:{}/job", proxy.port());
    let watcher = Watcher::default();
    let client = JobClient::connect_with_callback(&binding, &through, watcher.clone())
        .await
        .expect("connect");
    let (session, answer) = client.run(30).await.expect("run");
    assert_eq!(answer, "30 steps confirmed");
    assert_eq!(
        watcher.steps.load(Ordering::SeqCst),
        30,
        "each callback once"
    );
    assert!(
        proxy.dropped() > 0,
        "the proxy lost nothing: the test proves nothing"
    );
    session.close().await.expect("the session closes");
    let closing = tokio::time::timeout(std::time::Duration::from_secs(10), host.close()).await;
    assert!(closing.is_ok(), "the host closes within its close timeout");
}

/// A message without the client's address to answer to has no channel to go on: refused with
/// WS-Addressing's fault, and the endpoint serves the next client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_without_an_address_to_answer_is_refused() {
    let host = ServiceHost::builder(CalculatorSessionContract::per_session(Calculator::default))
        .endpoint(WsDualHttpBinding::new(), "http://127.0.0.1:0/calculator")
        .open()
        .await
        .expect("open");
    let address = host.addresses()[0].clone();
    let (status, body) = indigo_tests::metadata::raw_soap12_post(
        &address,
        "http://schemas.xmlsoap.org/ws/2005/02/rm/CreateSequence",
        "<x xmlns=\"urn:x\"/>",
    )
    .await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("InvalidAddressingHeader"), "{body}");
    let client = CalculatorSessionClient::connect(&WsDualHttpBinding::new(), &address)
        .await
        .expect("connect");
    let session = client.clear().await.expect("clear");
    session.add_to(2.0).await.expect("add");
    assert_eq!(session.equals().await.expect("equals"), 2.0);
    host.close().await.expect("close");
}
