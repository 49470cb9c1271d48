//! The service's run-time session rules, driven by hand-written messages as a non-Rust peer
//! might send them: WCF's faults for a non-initiating first call, an unknown action, and any
//! call after a terminating operation.

use indigo::message::{ns, Body, Message};
use indigo_tests::{calculator_host as host, RawPeer};
use std::time::Duration;

const NS: &str = "http://tempuri.org/";

fn action(op: &str) -> String {
    format!("{NS}ICalculatorSession/{op}")
}

fn assert_fault(message: &Message, request_id: &str, namespace: &str, subcode: &str) {
    let Body::Fault(fault) = &message.body else {
        panic!("expected a fault, got {message:?}");
    };
    assert!(
        fault.has_subcode(namespace, subcode),
        "expected subcode {subcode}, got {:?}",
        fault.code
    );
    assert_eq!(message.headers.relates_to.as_deref(), Some(request_id));
}

#[tokio::test]
async fn a_non_initiating_first_call_gets_action_not_supported() {
    let address = "memory://order-first-call";
    let _host = host(address).await;
    let mut peer = RawPeer::connect(address).await;

    let id = peer
        .send(
            &action("AddTo"),
            r#"<AddTo xmlns="http://tempuri.org/"><n>5</n></AddTo>"#,
        )
        .await;
    let reply = peer.receive().await.expect("a fault");
    assert_fault(&reply, &id, ns::WSA10, "ActionNotSupported");
    assert_eq!(reply.action(), ns::WSA10_ADDRESSING_FAULT_ACTION);
    let Body::Fault(fault) = &reply.body else {
        unreachable!()
    };
    assert!(
        fault.reason.contains("ContractFilter mismatch"),
        "{}",
        fault.reason
    );

    // The session has not started, so an initiating call still works, and the refused AddTo
    // left no trace in the total.
    let id = peer
        .send(&action("Clear"), r#"<Clear xmlns="http://tempuri.org/"/>"#)
        .await;
    let reply = peer.receive().await.expect("Clear's reply");
    assert_eq!(reply.action(), action("ClearResponse"));
    assert_eq!(reply.headers.relates_to.as_deref(), Some(id.as_str()));
    peer.send(
        &action("AddTo"),
        r#"<AddTo xmlns="http://tempuri.org/"><n>2.5</n></AddTo>"#,
    )
    .await;
    peer.expect_silence(Duration::from_millis(100)).await;
    let id = peer
        .send(
            &action("Equals"),
            r#"<Equals xmlns="http://tempuri.org/"/>"#,
        )
        .await;
    let reply = peer.receive().await.expect("Equals' reply");
    assert_eq!(reply.headers.relates_to.as_deref(), Some(id.as_str()));
    let Body::Payload(payload) = &reply.body else {
        panic!("{reply:?}")
    };
    let xml = std::str::from_utf8(&payload.xml).unwrap();
    assert!(xml.contains("<EqualsResult>2.5</EqualsResult>"), "{xml}");
}

#[tokio::test]
async fn an_unknown_action_gets_action_not_supported_and_the_session_goes_on() {
    let address = "memory://order-unknown";
    let _host = host(address).await;
    let mut peer = RawPeer::connect(address).await;
    let id = peer.send("urn:no-such-action", "<Nothing/>").await;
    let reply = peer.receive().await.expect("a fault");
    assert_fault(&reply, &id, ns::WSA10, "ActionNotSupported");

    peer.send(&action("Clear"), r#"<Clear xmlns="http://tempuri.org/"/>"#)
        .await;
    assert!(!peer.receive().await.expect("reply").is_fault());
    let id = peer.send("urn:still-no-such-action", "<Nothing/>").await;
    assert_fault(
        &peer.receive().await.expect("a fault"),
        &id,
        ns::WSA10,
        "ActionNotSupported",
    );
}

#[tokio::test]
async fn a_call_after_a_terminating_operation_gets_session_terminated_and_the_session_ends() {
    let address = "memory://order-terminated";
    let _host = host(address).await;
    let mut peer = RawPeer::connect(address).await;
    peer.send(&action("Clear"), r#"<Clear xmlns="http://tempuri.org/"/>"#)
        .await;
    assert!(!peer.receive().await.expect("reply").is_fault());
    peer.send(
        &action("Equals"),
        r#"<Equals xmlns="http://tempuri.org/"/>"#,
    )
    .await;
    assert!(!peer.receive().await.expect("reply").is_fault());

    let id = peer
        .send(
            &action("AddTo"),
            r#"<AddTo xmlns="http://tempuri.org/"><n>1</n></AddTo>"#,
        )
        .await;
    let reply = peer.receive().await.expect("a fault");
    assert_fault(&reply, &id, ns::WCF_DISPATCHER, "SessionTerminated");
    assert_eq!(reply.action(), ns::WCF_DISPATCHER_FAULT_ACTION);
    // ... and the service closes the session.
    assert!(
        peer.receive().await.is_none(),
        "the session should have ended"
    );
}

#[tokio::test]
async fn a_body_that_does_not_match_the_operation_gets_a_fault() {
    let address = "memory://order-bad-body";
    let _host = host(address).await;
    let mut peer = RawPeer::connect(address).await;
    let id = peer
        .send(&action("Clear"), r#"<Wrong xmlns="http://tempuri.org/"/>"#)
        .await;
    let reply = peer.receive().await.expect("a fault");
    assert_fault(&reply, &id, ns::WCF_DISPATCHER, "DeserializationFailed");
    // The session was not started by the bad request.
    let id = peer
        .send(
            &action("Equals"),
            r#"<Equals xmlns="http://tempuri.org/"/>"#,
        )
        .await;
    assert_fault(
        &peer.receive().await.expect("a fault"),
        &id,
        ns::WSA10,
        "ActionNotSupported",
    );
}

#[tokio::test]
async fn malformed_xml_gets_a_fault_and_ends_only_that_session() {
    let address = "memory://order-malformed";
    let _host = host(address).await;
    let mut bad = RawPeer::connect(address).await;
    let mut good = RawPeer::connect(address).await;
    good.send(&action("Clear"), r#"<Clear xmlns="http://tempuri.org/"/>"#)
        .await;
    assert!(!good.receive().await.expect("reply").is_fault());

    bad.send_bytes(
        b"<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><s:Body><oops".to_vec(),
    )
    .await;
    assert!(bad.receive().await.expect("a fault").is_fault());
    assert!(
        bad.receive().await.is_none(),
        "the bad session should have ended"
    );

    good.send(
        &action("AddTo"),
        r#"<AddTo xmlns="http://tempuri.org/"><n>4</n></AddTo>"#,
    )
    .await;
    good.send(
        &action("Equals"),
        r#"<Equals xmlns="http://tempuri.org/"/>"#,
    )
    .await;
    let reply = good.receive().await.expect("reply");
    let Body::Payload(payload) = &reply.body else {
        panic!("{reply:?}")
    };
    assert!(std::str::from_utf8(&payload.xml).unwrap().contains(">4<"));
}
