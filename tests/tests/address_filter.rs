//! The `To` header is checked against the endpoint's address, as WCF's AddressFilterMode:
//! Exact (the default), Prefix and Any; an endpoint behind a proxy declares the public address
//! its clients send. A message addressed elsewhere gets WS-Addressing's
//! `DestinationUnreachable` (HTTP 500 with the fault).

use bytes::Bytes;
use indigo::__internals::read_envelope;
use indigo::message::{Body, MessageVersion, ReaderQuotas};
use indigo::{AddressFilterMode, ServiceHost, WsHttpBinding};
use indigo_tests::echo::{EchoContract, EchoService};
use indigo_tests::gsoap::{free_port, post_soap12, HttpResponse};

const ECHO_ACTION: &str = "http://example.org/echo/IEcho/Echo";
const WSA: &str = "http://www.w3.org/2005/08/addressing";

/// An Echo request with `To` (none when `None`).
fn echo(to: Option<&str>) -> String {
    let to = to
        .map(|to| format!(r#"<a:To s:mustUnderstand="1">{to}</a:To>"#))
        .unwrap_or_default();
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="{WSA}"><s:Header><a:Action s:mustUnderstand="1">{ECHO_ACTION}</a:Action><a:MessageID>urn:uuid:6d7c7a4e-54b3-4b0e-9d43-7f6d3b3c1a01</a:MessageID><a:ReplyTo><a:Address>{WSA}/anonymous</a:Address></a:ReplyTo>{to}</s:Header><s:Body><Echo xmlns="http://example.org/echo/"><text>hi</text></Echo></s:Body></s:Envelope>"#
    )
}

async fn host(mode: Option<AddressFilterMode>) -> (ServiceHost, String) {
    let mut builder = ServiceHost::builder(EchoContract::single(EchoService::default()))
        .endpoint(WsHttpBinding::new(), "http://127.0.0.1:0/echo");
    if let Some(mode) = mode {
        builder = builder.address_filter_mode(mode);
    }
    let host = builder.open().await.unwrap();
    let address = host.addresses()[0].clone();
    (host, address)
}

async fn send(address: &str, to: Option<&str>) -> HttpResponse {
    post_soap12(address, ECHO_ACTION, &echo(to)).await.unwrap()
}

fn assert_answered(response: &HttpResponse, what: &str) {
    assert_eq!(
        response.status,
        200,
        "{what}: {}",
        String::from_utf8_lossy(&response.body)
    );
}

fn assert_destination_unreachable(response: &HttpResponse, what: &str) {
    assert_eq!(response.status, 500, "{what}: expected a fault");
    let message = read_envelope(
        Bytes::from(response.body.clone()),
        MessageVersion::SOAP12_WSA10,
        &ReaderQuotas::default(),
    )
    .unwrap();
    match message.body {
        Body::Fault(fault) => assert!(
            fault.has_subcode(WSA, "DestinationUnreachable"),
            "{what}: expected DestinationUnreachable, got {fault:?}"
        ),
        other => panic!("{what}: expected a fault, got {other:?}"),
    }
    assert_eq!(
        message.headers.action.as_deref(),
        Some("http://www.w3.org/2005/08/addressing/fault")
    );
}

#[tokio::test]
async fn exact_is_the_default_and_refuses_another_address_with_destination_unreachable() {
    let (host, address) = host(None).await;
    assert_answered(&send(&address, Some(&address)).await, "To = the endpoint");
    let localhost = address.replace("127.0.0.1", "localhost");
    assert_answered(
        &send(&address, Some(&localhost)).await,
        "the host name is not compared",
    );
    assert_answered(&send(&address, None).await, "no To: not filtered");
    let other_path = address.replace("/echo", "/elsewhere");
    assert_destination_unreachable(&send(&address, Some(&other_path)).await, "another path");
    let below = format!("{address}/below");
    assert_destination_unreachable(&send(&address, Some(&below)).await, "below the path");
    let other_port = "http://127.0.0.1:1/echo";
    assert_destination_unreachable(&send(&address, Some(other_port)).await, "another port");
    host.close().await.unwrap();
}

#[tokio::test]
async fn prefix_takes_addresses_below_the_endpoint() {
    let (host, address) = host(Some(AddressFilterMode::Prefix)).await;
    let below = format!("{address}/below/deeper");
    assert_answered(&send(&address, Some(&below)).await, "below the path");
    let sibling = format!("{address}x");
    assert_destination_unreachable(&send(&address, Some(&sibling)).await, "a sibling path");
    host.close().await.unwrap();
}

#[tokio::test]
async fn any_takes_every_address() {
    let (host, address) = host(Some(AddressFilterMode::Any)).await;
    assert_answered(&send(&address, Some("urn:anywhere")).await, "any To");
    host.close().await.unwrap();
}

#[tokio::test]
async fn the_filter_can_be_set_per_endpoint() {
    let host = ServiceHost::builder(EchoContract::single(EchoService::default()))
        .endpoint(WsHttpBinding::new(), "http://127.0.0.1:0/strict")
        .endpoint(WsHttpBinding::new(), "http://127.0.0.1:0/lenient")
        .endpoint_address_filter_mode(AddressFilterMode::Any)
        .open()
        .await
        .unwrap();
    let (strict, lenient) = (host.addresses()[0].clone(), host.addresses()[1].clone());
    assert_destination_unreachable(&send(&strict, Some("urn:anywhere")).await, "strict");
    assert_answered(&send(&lenient, Some("urn:anywhere")).await, "lenient");
    host.close().await.unwrap();
}

#[tokio::test]
async fn an_endpoint_behind_a_proxy_checks_to_against_its_public_address() {
    let port = free_port();
    let public = "http://proxy.example:8080/public/echo";
    let host = ServiceHost::builder(EchoContract::single(EchoService::default()))
        .endpoint_with_listen_address(
            WsHttpBinding::new(),
            public,
            format!("http://127.0.0.1:{port}/echo"),
        )
        .open()
        .await
        .unwrap();
    let listen = host.addresses()[0].clone();
    assert!(listen.ends_with(&format!(":{port}/echo")), "{listen}");
    assert_answered(
        &send(&listen, Some(public)).await,
        "To = the public address",
    );
    assert_destination_unreachable(
        &send(&listen, Some(&listen)).await,
        "To = the address listened at",
    );
    host.close().await.unwrap();
}
