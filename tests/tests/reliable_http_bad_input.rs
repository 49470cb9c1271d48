//! Bad WS-RM input against a reliable endpoint over HTTP (WsHttpBinding): every request gets
//! an answer, and an invalid one gets a fault (HTTP 500 with the fault envelope), never an
//! empty `202`. The misbehaving peer POSTs raw SOAP 1.2 envelopes on loopback.

use bytes::Bytes;
use indigo::__internals::read_envelope;
use indigo::__internals::wsrm::{self as wire, ProtocolBody, ProtocolMessage};
use indigo::message::{Message, MessageVersion, ReaderQuotas};
use indigo::reliable::{ReliableMessagingVersion, WsrmFault};
use indigo::{ServiceHost, WsHttpBinding};
use indigo_tests::echo::{EchoContract, EchoService};
use indigo_tests::gsoap::{post_soap12, HttpResponse};
use std::sync::Arc;

const V10: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessagingFebruary2005;
const V11: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessaging11;
const ANONYMOUS: &str = "http://www.w3.org/2005/08/addressing/anonymous";
const ECHO_BODY: &str = r#"<Echo xmlns="http://example.org/echo/"><text>raw</text></Echo>"#;
const ECHO_ACTION: &str = "http://example.org/echo/IEcho/Echo";

async fn host(version: ReliableMessagingVersion) -> (ServiceHost, String) {
    let binding = WsHttpBinding::new()
        .with_reliable_session()
        .with_version(version);
    let host = ServiceHost::builder(EchoContract::per_session(EchoService::default))
        .endpoint(binding, "http://127.0.0.1:0/echo")
        .open()
        .await
        .unwrap();
    let address = host.addresses()[0].clone();
    (host, address)
}

fn envelope(version: ReliableMessagingVersion, action: &str, headers: &str, body: &str) -> String {
    let rm = version.namespace();
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:r="{rm}"><s:Header><a:Action s:mustUnderstand="1">{action}</a:Action><a:MessageID>urn:uuid:{}</a:MessageID><a:ReplyTo><a:Address>{ANONYMOUS}</a:Address></a:ReplyTo>{headers}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#,
        indigo::message::new_message_id().trim_start_matches("urn:uuid:")
    )
}

fn create_sequence(version: ReliableMessagingVersion, offer: &str) -> String {
    let body = format!(
        "<r:CreateSequence><r:AcksTo><a:Address>{ANONYMOUS}</a:Address></r:AcksTo><r:Offer><r:Identifier>{offer}</r:Identifier>{}</r:Offer></r:CreateSequence>",
        if version.is_11() {
            format!("<r:Endpoint><a:Address>{ANONYMOUS}</a:Address></r:Endpoint>")
        } else {
            String::new()
        }
    );
    envelope(
        version,
        &format!("{}/CreateSequence", version.namespace()),
        "",
        &body,
    )
}

fn message_of(response: &HttpResponse) -> Message {
    read_envelope(
        Bytes::from(response.body.clone()),
        MessageVersion::SOAP12_WSA10,
        &ReaderQuotas::default(),
    )
    .expect("a readable SOAP envelope")
}

fn protocol(
    version: ReliableMessagingVersion,
    response: &HttpResponse,
) -> ProtocolMessage<Message> {
    wire::read_message(version, message_of(response), &ReaderQuotas::default())
        .expect("a WS-RM message")
}

/// Asserts an HTTP 500 carrying a SOAP fault; returns the fault's message.
fn assert_fault(response: &HttpResponse, what: &str) -> Message {
    assert_eq!(
        response.status,
        500,
        "{what}: expected HTTP 500 with a fault, got {} {:?}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    let message = message_of(response);
    assert!(
        matches!(message.body, indigo::message::Body::Fault(_)),
        "{what}: the 500 carries a fault"
    );
    message
}

/// Opens a sequence; returns the service's identifier for it.
async fn open_sequence(version: ReliableMessagingVersion, address: &str) -> String {
    let action = format!("{}/CreateSequence", version.namespace());
    let offer = indigo::message::new_message_id();
    let response = post_soap12(address, &action, &create_sequence(version, &offer))
        .await
        .unwrap();
    match protocol(version, &response).body {
        ProtocolBody::CreateSequenceResponse(r) => r.identifier,
        other => panic!("expected CreateSequenceResponse, got {other:?}"),
    }
}

#[tokio::test]
async fn invalid_message_numbers_over_http_get_a_fault_not_a_202() {
    for version in [V10, V11] {
        let (host, address) = host(version).await;
        let id = open_sequence(version, &address).await;
        for number in ["0", "-1", "abc"] {
            let sequence = format!(
                r#"<r:Sequence s:mustUnderstand="1"><r:Identifier>{id}</r:Identifier><r:MessageNumber>{number}</r:MessageNumber></r:Sequence>"#
            );
            let request = envelope(version, ECHO_ACTION, &sequence, ECHO_BODY);
            let response = post_soap12(&address, ECHO_ACTION, &request).await.unwrap();
            let fault = assert_fault(&response, &format!("{version:?} MessageNumber {number}"));
            let indigo::message::Body::Fault(fault) = fault.body else {
                unreachable!()
            };
            assert_eq!(
                fault.code.value,
                indigo::message::FaultCodeValue::Sender,
                "{version:?} MessageNumber {number}: the sender is at fault"
            );
            assert!(
                fault.reason.contains("MessageNumber"),
                "{version:?} MessageNumber {number}: the reason names the element: {}",
                fault.reason
            );
        }
        host.abort();
    }
}

#[tokio::test]
async fn an_application_message_without_a_sequence_header_over_http_gets_a_fault() {
    for version in [V10, V11] {
        let (host, address) = host(version).await;
        let request = envelope(version, ECHO_ACTION, "", ECHO_BODY);
        let response = post_soap12(&address, ECHO_ACTION, &request).await.unwrap();
        let message = assert_fault(&response, &format!("{version:?} no Sequence header"));
        let indigo::message::Body::Fault(fault) = &message.body else {
            unreachable!()
        };
        if version.is_11() {
            // WS-RM 1.1's own fault for a message that does not use WS-RM.
            match protocol(version, &response).body {
                ProtocolBody::Fault(WsrmFault::WsrmRequired) => {}
                other => panic!("expected WSRMRequired, got {other:?}"),
            }
        } else {
            // 1.0 has no such fault; WCF answers ActionNotSupported.
            assert!(
                fault.has_subcode("http://www.w3.org/2005/08/addressing", "ActionNotSupported"),
                "1.0: expected ActionNotSupported, got {fault:?}"
            );
        }
        host.abort();
    }
}

#[tokio::test]
async fn a_malformed_create_sequence_over_http_is_refused() {
    for version in [V10, V11] {
        let (host, address) = host(version).await;
        let action = format!("{}/CreateSequence", version.namespace());
        // No AcksTo, and an empty body.
        for body in ["<r:CreateSequence><r:Offer/></r:CreateSequence>", ""] {
            let request = envelope(version, &action, "", body);
            let response = post_soap12(&address, &action, &request).await.unwrap();
            assert_fault(&response, &format!("{version:?} CreateSequence `{body}`"));
            match protocol(version, &response).body {
                ProtocolBody::Fault(WsrmFault::CreateSequenceRefused { .. }) => {}
                other => panic!("{version:?}: expected CreateSequenceRefused, got {other:?}"),
            }
        }
        host.abort();
    }
}

#[tokio::test]
async fn two_thousand_create_sequences_at_once_are_each_answered_or_refused() {
    let (host, address) = host(V11).await;
    let address = Arc::new(address);
    // Many at once, but not 2,000 sockets at once on a shared machine.
    let gate = Arc::new(tokio::sync::Semaphore::new(256));
    let mut tasks = Vec::new();
    for _ in 0..2_000 {
        let (address, gate) = (address.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            let action = format!("{}/CreateSequence", V11.namespace());
            let offer = indigo::message::new_message_id();
            post_soap12(&address, &action, &create_sequence(V11, &offer)).await
        }));
    }
    let (mut created, mut limited) = (0, 0);
    for task in tasks {
        let response = task.await.unwrap().expect("an HTTP response");
        assert_ne!(
            response.status, 202,
            "a CreateSequence answered with an empty 202"
        );
        match protocol(V11, &response).body {
            ProtocolBody::CreateSequenceResponse(_) => {
                assert_eq!(response.status, 200);
                created += 1;
            }
            ProtocolBody::Fault(WsrmFault::CreateSequenceRefused {
                connection_limit_reached: true,
                ..
            }) => {
                assert_eq!(response.status, 500);
                limited += 1;
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(created + limited, 2_000);
    assert!(limited > 0, "MaxPendingChannels never refused anything");
    host.abort();
}
