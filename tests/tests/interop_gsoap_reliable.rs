//! Indigo's reliable sessions against gSOAP's WS-RM plugin over HTTP, both directions: an
//! Indigo client (`WsHttpBinding` with a reliable session) against a gSOAP WS-RM server, and
//! the gSOAP client against an Indigo service. WS-RM 1.1 runs the whole session (create with
//! offer, several requests, close, terminate); WS-RM 1.0 runs up to its last message, where
//! gSOAP's 1.0 support ends (`tests/interop/gsoap/NOTES.md`).
//!
//! Reports `SKIPPED` in the test run's output and passes when gSOAP is not installed, unless
//! `INDIGO_REQUIRE_GSOAP` is set.

use indigo::ReliableMessagingVersion;
use indigo::{ServiceHost, WsHttpBinding};
use indigo_tests::echo::{EchoClient, EchoContract, EchoService};
use indigo_tests::gsoap::{run_gsoap_client, GsoapServer};
use std::time::Duration;

/// Where the gSOAP programs are built: cargo's scratch directory for integration tests.
const BUILD_ROOT: &str = env!("CARGO_TARGET_TMPDIR");
const V10: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessagingFebruary2005;
const V11: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessaging11;

fn binding(version: ReliableMessagingVersion) -> indigo::reliable::Reliable<WsHttpBinding> {
    WsHttpBinding::new()
        .with_open_timeout(Duration::from_secs(10))
        .with_send_timeout(Duration::from_secs(10))
        .with_close_timeout(Duration::from_secs(5))
        .with_reliable_session()
        .with_version(version)
}

async fn indigo_client_calls(client: &EchoClient, count: usize) {
    for n in 1..=count {
        let text = format!("hello {n}");
        let reply = client.echo(text.clone()).await.expect("gSOAP answers");
        assert_eq!(reply, text);
    }
}

#[tokio::test]
async fn indigo_client_runs_a_whole_wsrm11_session_against_a_gsoap_server() {
    let Some((server, url)) = GsoapServer::start(BUILD_ROOT.as_ref(), V11).await else {
        return;
    };
    let client = EchoClient::connect(&binding(V11), &url)
        .await
        .expect("CreateSequence with an offer accepted by gSOAP");
    indigo_client_calls(&client, 5).await;
    client
        .close()
        .await
        .expect("CloseSequence and TerminateSequence answered by gSOAP");
    let transcript = server.stop().await;
    let served: Vec<&str> = transcript.tagged("SERVED ").collect();
    let echoes = served.iter().filter(|l| l.contains("IEcho/Echo")).count();
    assert_eq!(echoes, 5, "each request served once:\n{transcript}");
    for action in ["CreateSequence", "CloseSequence", "TerminateSequence"] {
        assert!(
            served
                .iter()
                .any(|l| l.contains(&format!("200702/{action}"))),
            "gSOAP never saw {action}:\n{transcript}"
        );
    }
}

#[tokio::test]
async fn indigo_client_runs_wsrm10_against_a_gsoap_server_up_to_the_last_message() {
    let Some((server, url)) = GsoapServer::start(BUILD_ROOT.as_ref(), V10).await else {
        return;
    };
    let client = EchoClient::connect(&binding(V10), &url)
        .await
        .expect("CreateSequence with an offer accepted by gSOAP");
    indigo_client_calls(&client, 5).await;
    // gSOAP's 1.0 server answers LastMessage with an empty 202 and no acknowledgement, so the
    // close cannot complete; it must fail within the close timeout, not hang.
    let closing = tokio::time::timeout(Duration::from_secs(30), client.close()).await;
    assert!(
        closing.is_ok(),
        "close did not end within the close timeout"
    );
    let transcript = server.stop().await;
    let served: Vec<&str> = transcript.tagged("SERVED ").collect();
    let echoes = served.iter().filter(|l| l.contains("IEcho/Echo")).count();
    assert_eq!(echoes, 5, "each request served once:\n{transcript}");
    assert!(
        served.iter().any(|l| l.contains("rm/LastMessage")),
        "gSOAP never saw the LastMessage:\n{transcript}"
    );
}

async fn indigo_service(version: ReliableMessagingVersion) -> (ServiceHost, String) {
    let host = ServiceHost::builder(EchoContract::per_session(EchoService::default))
        .endpoint(binding(version), "http://127.0.0.1:0/echo")
        .open()
        .await
        .expect("open the Indigo service");
    let url = host.addresses().remove(0);
    (host, url)
}

#[tokio::test]
async fn gsoap_client_runs_a_whole_wsrm11_session_against_an_indigo_service() {
    let (host, url) = indigo_service(V11).await;
    let Some(outcome) = run_gsoap_client(BUILD_ROOT.as_ref(), V11, &url, 5).await else {
        host.abort();
        return;
    };
    outcome.assert_echoed(5);
    assert!(
        outcome.closed,
        "CloseSequence failed:\n{}",
        outcome.transcript
    );
    assert_eq!(
        outcome.terminate.as_deref(),
        Some("ok"),
        "TerminateSequence failed:\n{}",
        outcome.transcript
    );
    host.abort();
}

#[tokio::test]
async fn gsoap_client_runs_wsrm10_against_an_indigo_service_up_to_the_last_message() {
    let (host, url) = indigo_service(V10).await;
    let Some(outcome) = run_gsoap_client(BUILD_ROOT.as_ref(), V10, &url, 5).await else {
        host.abort();
        return;
    };
    outcome.assert_echoed(5);
    assert!(
        outcome.closed,
        "the LastMessage exchange failed:\n{}",
        outcome.transcript
    );
    host.abort();
}
