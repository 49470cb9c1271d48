//! Reliable sessions end to end: the calculator session and the echo contract over
//! `Reliable<...>` bindings on every transport, both WS-RM versions, and a 10,000-message
//! session through a proxy that keeps cutting the connection.

use indigo::binding::{Binding, CarriedBy};
use indigo::reliable::Reliable;
use indigo::reliable::{ReliableMessagingVersion, ReliableSessionSettings};
use indigo::{CommunicationState, MemoryBinding, NetTcpBinding, ServiceHost, WsHttpBinding};
use indigo_examples::calculator::{Calculator, CalculatorSessionClient, CalculatorSessionContract};
use indigo_tests::chaos::ChaosProxy;
use indigo_tests::echo::{EchoClient, EchoContract, EchoService};
use indigo_tests::gsoap::free_port;
use indigo_tests::ledger::{LedgerClient, LedgerContract, LedgerService, Tally};
use std::time::Duration;

const V10: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessagingFebruary2005;
const V11: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessaging11;

async fn calculator_round<B>(binding: B, address: &str)
where
    B: Binding,
    CalculatorSessionContract: CarriedBy<B>,
{
    let host = ServiceHost::builder(CalculatorSessionContract::per_session(Calculator::default))
        .endpoint(binding.clone(), address)
        .open()
        .await
        .expect("open the host");
    let address = host.addresses().remove(0);
    let client = CalculatorSessionClient::connect(&binding, &address)
        .await
        .expect("open the reliable session");
    assert_eq!(client.state(), CommunicationState::Opened);
    let session = client.clear().await.unwrap();
    session.add_to(5.0).await.unwrap();
    session.subtract_from(2.0).await.unwrap();
    session.multiply_by(10.0).await.unwrap();
    session.divide_by(4.0).await.unwrap();
    assert_eq!(session.equals().await.unwrap(), 7.5);
    tokio::time::timeout(Duration::from_secs(10), host.close())
        .await
        .expect("the host closes promptly after the session ended")
        .unwrap();
}

#[tokio::test]
async fn calculator_session_over_reliable_in_process_binding_both_versions() {
    for (version, name) in [(V10, "10"), (V11, "11")] {
        let binding = MemoryBinding::new()
            .with_reliable_session()
            .with_version(version);
        calculator_round(binding, &format!("memory://reliable-calculator-{name}")).await;
    }
}

#[tokio::test]
async fn calculator_session_over_reliable_net_tcp_both_versions() {
    for version in [V10, V11] {
        let binding = NetTcpBinding::new()
            .with_reliable_session()
            .with_version(version);
        calculator_round(binding, "net.tcp://127.0.0.1:0/calculator").await;
    }
}

#[tokio::test]
async fn calculator_session_over_reliable_ws_http_both_versions() {
    // A `session = Required` contract over HTTP: only possible with the reliable session.
    for version in [V10, V11] {
        let binding = WsHttpBinding::new()
            .with_reliable_session()
            .with_version(version);
        calculator_round(binding, "http://127.0.0.1:0/calculator").await;
    }
}

#[tokio::test]
async fn echo_requests_one_way_and_typed_faults_over_reliable_http() {
    for version in [V10, V11] {
        let binding = WsHttpBinding::new()
            .with_reliable_session()
            .with_version(version);
        let host = ServiceHost::builder(EchoContract::per_session(EchoService::default))
            .endpoint(binding.clone(), "http://127.0.0.1:0/echo")
            .open()
            .await
            .unwrap();
        let address = host.addresses().remove(0);
        let client = EchoClient::connect(&binding, &address).await.unwrap();
        for i in 0..20 {
            let text = format!("hello {i}");
            assert_eq!(client.echo(text.clone()).await.unwrap(), text);
        }
        client.notify("remembered".to_owned()).await.unwrap();
        // In order: the one-way message is dispatched before the request that follows it.
        assert_eq!(
            client.echo("last-notify".to_owned()).await.unwrap(),
            "remembered"
        );
        let fault = client.fail("why".to_owned()).await.unwrap_err();
        assert!(
            matches!(&fault, indigo::CallError::Fault(f) if f.detail.reason == "why"),
            "{fault:?}"
        );
        client.close().await.unwrap();
        tokio::time::timeout(Duration::from_secs(10), host.close())
            .await
            .unwrap()
            .unwrap();
    }
}

/// A host listening on `port` of its own, addressed through a proxy at `address`: its
/// clients send To = the proxy's address, the endpoint's public address.
async fn behind_proxy<C, S>(
    service: indigo::Service<C, S>,
    binding: Reliable<NetTcpBinding>,
    address: &str,
    port: u16,
) -> ServiceHost
where
    C: indigo::service::Dispatch<S> + CarriedBy<Reliable<NetTcpBinding>>,
    S: Send + 'static,
{
    let path = address.rsplit('/').next().unwrap_or_default();
    ServiceHost::builder(service)
        .endpoint_with_listen_address(
            binding,
            address,
            format!("net.tcp://127.0.0.1:{port}/{path}"),
        )
        .open()
        .await
        .unwrap()
}

/// 10,000 one-way messages through a proxy that cuts every connection every 50 ms; returns
/// how long they took and how many connections the proxy saw.
///
/// In a release build both versions take about 1 s over 15-20 connections. The proxy must not
/// delay small writes (TCP_NODELAY): with Nagle's algorithm at the proxy, each window of
/// acknowledgements waited 40 ms for the kernel's delayed ACK, and runs took 7-100 s in ways
/// that depended on the cut timing, not on the WS-RM version.
async fn through_cuts_every_50_ms(version: ReliableMessagingVersion) -> (Duration, u64) {
    if let Ok(filter) = std::env::var("RUST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
    const MESSAGES: u64 = 10_000;
    let mut settings = ReliableSessionSettings::default();
    settings
        .set_reliable_messaging_version(version)
        .set_max_transfer_window_size(64)
        .unwrap();
    let binding = NetTcpBinding::new()
        .with_reliable_session()
        .with_settings(settings);
    let upstream = free_port();
    let every = Duration::from_millis(50);
    let proxy = ChaosProxy::start(upstream, Some((every, every)), 0x5eed).await;
    let address = format!("net.tcp://127.0.0.1:{}/ledger", proxy.port());
    let host = behind_proxy(
        LedgerContract::per_session(LedgerService::default),
        binding.clone(),
        &address,
        upstream,
    )
    .await;
    let client = LedgerClient::connect(&binding, &address).await.unwrap();
    let session = client.begin().await.unwrap();
    let started = std::time::Instant::now();
    let run = async {
        for n in 1..=MESSAGES {
            session.record(n).await.unwrap();
        }
        session.finish().await.unwrap()
    };
    let tally = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .unwrap_or_else(|_| panic!("{version:?}: stalled"));
    let elapsed = started.elapsed();
    assert_eq!(
        tally,
        Tally {
            count: MESSAGES,
            out_of_order: 0,
            last: MESSAGES
        },
        "{version:?}: exactly once, in order"
    );
    let connections = proxy.connections();
    host.abort();
    (elapsed, connections)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_rm_1_1_reconnects_as_fast_as_1_0_under_cuts_every_50_ms() {
    let (v10, v10_connections) = through_cuts_every_50_ms(V10).await;
    let (v11, v11_connections) = through_cuts_every_50_ms(V11).await;
    eprintln!(
        "cuts every 50 ms: WS-RM 1.0 {v10:?} over {v10_connections} connections, \
         1.1 {v11:?} over {v11_connections} connections"
    );
    // Both run on the same machine in the same test, so the ratio holds under load.
    let ratio = v11.as_secs_f64() / v10.as_secs_f64().max(0.05);
    assert!(
        ratio < 3.0,
        "WS-RM 1.1 took {ratio:.1} times as long as 1.0 ({v11:?} against {v10:?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_through_a_proxy_that_cuts_the_connection() {
    const MESSAGES: u64 = 10_000;
    let mut settings = ReliableSessionSettings::default();
    settings.set_max_transfer_window_size(64).unwrap();
    const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
    let binding = NetTcpBinding::new()
        .with_close_timeout(CLOSE_TIMEOUT)
        .with_reliable_session()
        .with_settings(settings);
    let upstream = free_port();
    let proxy = ChaosProxy::start(
        upstream,
        Some((Duration::from_millis(100), Duration::from_millis(400))),
        0x5eed,
    )
    .await;
    let address = format!("net.tcp://127.0.0.1:{}/ledger", proxy.port());
    let host = behind_proxy(
        LedgerContract::per_session(LedgerService::default),
        binding.clone(),
        &address,
        upstream,
    )
    .await;
    let client = LedgerClient::connect(&binding, &address).await.unwrap();
    let session = client.begin().await.unwrap();
    let started = std::time::Instant::now();
    for n in 1..=MESSAGES {
        session.record(n).await.unwrap();
        if n % 1_000 == 0 {
            let tally = session.tally().await.unwrap();
            assert_eq!(tally.last, n, "every message so far arrived");
        }
    }
    let tally = session.finish().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(
        tally,
        Tally {
            count: MESSAGES,
            out_of_order: 0,
            last: MESSAGES
        },
        "exactly once, in order"
    );
    assert!(
        proxy.cuts() >= 3 && proxy.connections() >= 3,
        "the proxy cut {} times over {} connections in {elapsed:?}: the test proved nothing",
        proxy.cuts(),
        proxy.connections()
    );
    eprintln!(
        "{MESSAGES} messages in {elapsed:?} through {} cuts and {} connections",
        proxy.cuts(),
        proxy.connections()
    );
    // The client's last acknowledgement (of the service's LastMessage) is sent once, as WCF
    // sends it; when a cut takes it, the service waits for it until the close timeout and then
    // aborts the session, as WCF's does. Either way the close ends within its timeout.
    let closing = std::time::Instant::now();
    match tokio::time::timeout(CLOSE_TIMEOUT * 2, host.close()).await {
        Ok(Ok(())) => {}
        Ok(Err(indigo::Error::Timeout(timeout))) => {
            assert_eq!(timeout, CLOSE_TIMEOUT);
            eprintln!("a cut took the last acknowledgement; the host closed at its close timeout");
        }
        Ok(Err(other)) => panic!("the host failed to close: {other}"),
        Err(_) => panic!(
            "the host's close ran {:?}, past twice its close timeout",
            closing.elapsed()
        ),
    }
}

#[tokio::test]
async fn a_service_gone_silent_faults_the_session_at_the_inactivity_timeout() {
    let mut settings = ReliableSessionSettings::default();
    settings
        .set_inactivity_timeout(Duration::from_secs(1))
        .unwrap();
    let binding = NetTcpBinding::new()
        .with_reliable_session()
        .with_settings(settings);
    let upstream = free_port();
    let proxy = ChaosProxy::start(upstream, None, 1).await;
    let address = format!("net.tcp://127.0.0.1:{}/echo", proxy.port());
    let host = behind_proxy(
        EchoContract::per_session(EchoService::default),
        binding.clone(),
        &address,
        upstream,
    )
    .await;
    let client = EchoClient::connect(&binding, &address).await.unwrap();
    assert_eq!(client.echo("alive".into()).await.unwrap(), "alive");
    proxy.go_silent();
    let started = std::time::Instant::now();
    let outcome = tokio::time::timeout(Duration::from_secs(10), client.echo("lost".into())).await;
    let error = outcome
        .expect("the call ends when the session faults, it does not hang")
        .expect_err("nothing can answer through a silent proxy");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the session faulted only after {:?}",
        started.elapsed()
    );
    assert_eq!(client.state(), CommunicationState::Faulted, "{error}");
    // The error says which rule ended the session, and keeps it as its source.
    assert_says_inactivity_timeout(&error);
    let later = client
        .echo("after".into())
        .await
        .expect_err("the session is faulted");
    assert_says_inactivity_timeout(&later);
    host.abort();
}

/// The error's text names the InactivityTimeout of 1 s, and its source chain holds the
/// session's own error.
fn assert_says_inactivity_timeout(error: &indigo::Error) {
    let text = error.to_string();
    assert!(
        text.contains("the reliable session faulted")
            && text.contains("no message from the peer within the InactivityTimeout of 1s"),
        "the error does not say why the session faulted: {text}"
    );
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut found = false;
    while let Some(e) = source {
        found |= matches!(
            e.downcast_ref::<indigo::reliable::SessionError>(),
            Some(indigo::reliable::SessionError::InactivityTimeout(_))
        );
        source = e.source();
    }
    assert!(found, "the source chain lost the session error: {error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_max_pending_channels_create_sequence_is_refused_and_retried_until_accepted() {
    // One session at a time (throttle) and one pending: a third client is refused with
    // ConnectionLimitReached and retries CreateSequence until the first session ends.
    let mut settings = ReliableSessionSettings::default();
    settings.set_max_pending_channels(1).unwrap();
    let binding = MemoryBinding::new()
        .with_reliable_session()
        .with_settings(settings)
        .with_version(V11);
    let address = "memory://reliable-pending";
    let throttle = indigo::ServiceThrottle {
        max_concurrent_sessions: 1,
        ..indigo::ServiceThrottle::default()
    };
    let host = ServiceHost::builder(LedgerContract::per_session(LedgerService::default))
        .endpoint(binding.clone(), address)
        .throttle(throttle)
        .open()
        .await
        .unwrap();
    let first = LedgerClient::connect(&binding, address).await.unwrap();
    let first = first.begin().await.unwrap();
    first.record(1).await.unwrap();
    let later_session = |binding: indigo::reliable::Reliable<MemoryBinding>| async move {
        let client = LedgerClient::connect(&binding, address).await?;
        let session = client.begin().await?;
        session.record(7).await?;
        session.finish().await
    };
    // Handshaken, then pending: the host has no session slot to accept it with yet.
    let second = tokio::spawn(later_session(binding.clone()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Refused (the one pending place is taken); its CreateSequence is retried.
    let third = tokio::spawn(later_session(binding.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !second.is_finished() && !third.is_finished(),
        "a session ran past the throttle"
    );
    let ended = std::time::Instant::now();
    assert_eq!(first.finish().await.unwrap().count, 1);
    for later in [second, third] {
        let tally = tokio::time::timeout(Duration::from_secs(40), later)
            .await
            .expect("the waiting sessions ran within their open timeout")
            .unwrap()
            .expect("the session ran once a slot was free");
        assert_eq!(tally.count, 1);
    }
    eprintln!("both waiting sessions ran within {:?}", ended.elapsed());
    host.abort();
}
