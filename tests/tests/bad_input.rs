//! Bad messages from a peer: each gets a SOAP fault (or a clean close), the offending session
//! ends where WCF would end it, and other sessions carry on.

use indigo::message::{ns, Body};
use indigo_tests::{calculator_host, RawPeer};

const CLEAR: &str = "http://tempuri.org/ICalculatorSession/Clear";
const ADD_TO: &str = "http://tempuri.org/ICalculatorSession/AddTo";

fn subcode(message: &indigo::message::Message) -> String {
    match &message.body {
        Body::Fault(fault) => fault
            .code
            .subcode()
            .map(|s| s.local.clone())
            .unwrap_or_default(),
        other => panic!("expected a fault, got {other:?}"),
    }
}

/// A good session that must keep working while bad ones fail.
async fn good_session(address: &str) -> RawPeer {
    let mut peer = RawPeer::connect(address).await;
    peer.send(CLEAR, r#"<Clear xmlns="http://tempuri.org/"/>"#)
        .await;
    assert!(!peer.receive().await.expect("reply").is_fault());
    peer
}

async fn still_good(peer: &mut RawPeer) {
    peer.send(
        ADD_TO,
        r#"<AddTo xmlns="http://tempuri.org/"><n>1</n></AddTo>"#,
    )
    .await;
    peer.send(
        "http://tempuri.org/ICalculatorSession/Equals",
        r#"<Equals xmlns="http://tempuri.org/"/>"#,
    )
    .await;
    let reply = peer.receive().await.expect("Equals' reply");
    assert!(!reply.is_fault(), "{reply:?}");
}

#[tokio::test]
async fn an_envelope_that_is_not_soap_gets_a_fault_and_ends_the_session() {
    let address = "memory://bad-not-soap";
    let _host = calculator_host(address).await;
    let mut good = good_session(address).await;
    let mut bad = RawPeer::connect(address).await;
    bad.send_bytes(br#"<Envelope xmlns="urn:not-soap"><Body/></Envelope>"#.to_vec())
        .await;
    assert_eq!(
        subcode(&bad.receive().await.expect("a fault")),
        "DeserializationFailed"
    );
    assert!(bad.receive().await.is_none());
    still_good(&mut good).await;
}

#[tokio::test]
async fn garbage_bytes_get_a_fault_and_end_the_session() {
    let address = "memory://bad-garbage";
    let _host = calculator_host(address).await;
    let mut good = good_session(address).await;
    let mut bad = RawPeer::connect(address).await;
    bad.send_bytes(vec![0xff, 0x00, 0x13, 0x37, b'<', 0xfe])
        .await;
    assert!(bad.receive().await.expect("a fault").is_fault());
    assert!(bad.receive().await.is_none());
    still_good(&mut good).await;
}

#[tokio::test]
async fn a_message_without_an_action_gets_message_addressing_header_required() {
    let address = "memory://bad-no-action";
    let _host = calculator_host(address).await;
    let mut peer = RawPeer::connect(address).await;
    let envelope = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:MessageID>urn:uuid:7</a:MessageID></s:Header><s:Body><Clear xmlns="http://tempuri.org/"/></s:Body></s:Envelope>"#;
    peer.send_bytes(envelope.as_bytes().to_vec()).await;
    let reply = peer.receive().await.expect("a fault");
    assert_eq!(subcode(&reply), "MessageAddressingHeaderRequired");
    assert_eq!(reply.headers.relates_to.as_deref(), Some("urn:uuid:7"));
    let Body::Fault(fault) = &reply.body else {
        unreachable!()
    };
    assert_eq!(fault.code.subcode().unwrap().namespace, ns::WSA10);
    // The session goes on: an initiating call still works.
    peer.send(CLEAR, r#"<Clear xmlns="http://tempuri.org/"/>"#)
        .await;
    assert!(!peer.receive().await.expect("reply").is_fault());
}

#[tokio::test]
async fn xml_deeper_than_the_quota_gets_quota_exceeded_and_ends_only_that_session() {
    let address = "memory://bad-depth";
    let _host = calculator_host(address).await;
    let mut good = good_session(address).await;
    let mut bad = RawPeer::connect(address).await;
    let deep = format!("{}{}", "<d>".repeat(40), "</d>".repeat(40));
    bad.send(
        ADD_TO,
        &format!(r#"<AddTo xmlns="http://tempuri.org/">{deep}</AddTo>"#),
    )
    .await;
    assert_eq!(
        subcode(&bad.receive().await.expect("a fault")),
        "QuotaExceeded"
    );
    assert!(bad.receive().await.is_none());
    still_good(&mut good).await;
}

#[tokio::test]
async fn a_one_way_call_with_an_oversized_string_is_dropped_without_a_reply() {
    // WCF answers nothing to a one-way message, even a bad one; the value must not count.
    let address = "memory://bad-long-string";
    let _host = calculator_host(address).await;
    let mut peer = good_session(address).await;
    let long = "9".repeat(9000);
    peer.send(
        ADD_TO,
        &format!(r#"<AddTo xmlns="http://tempuri.org/"><n>{long}</n></AddTo>"#),
    )
    .await;
    peer.send(
        "http://tempuri.org/ICalculatorSession/Equals",
        r#"<Equals xmlns="http://tempuri.org/"/>"#,
    )
    .await;
    let reply = peer.receive().await.expect("Equals' reply");
    let Body::Payload(payload) = &reply.body else {
        panic!("{reply:?}")
    };
    let xml = std::str::from_utf8(&payload.xml).unwrap();
    assert!(xml.contains("<EqualsResult>0</EqualsResult>"), "{xml}");
}

#[tokio::test]
async fn a_utf8_bom_before_the_envelope_is_accepted_as_mono_writes_it() {
    let address = "memory://bad-bom";
    let _host = calculator_host(address).await;
    let mut peer = RawPeer::connect(address).await;
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(
        br#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://tempuri.org/ICalculatorSession/Clear</a:Action><a:MessageID>urn:uuid:9</a:MessageID></s:Header><s:Body><Clear xmlns="http://tempuri.org/"/></s:Body></s:Envelope>"#,
    );
    peer.send_bytes(bytes).await;
    let reply = peer.receive().await.expect("Clear's reply");
    assert!(!reply.is_fault(), "{reply:?}");
    assert_eq!(reply.headers.relates_to.as_deref(), Some("urn:uuid:9"));
}

#[tokio::test]
async fn too_many_distinct_names_exceed_the_name_table_quota() {
    let address = "memory://bad-name-table";
    let _host = calculator_host(address).await;
    let mut good = good_session(address).await;
    let mut bad = RawPeer::connect(address).await;
    // 600 distinct 30-character names: 18,000 characters, over the 16,384 default.
    let junk: String = (0..600).map(|i| format!("<name{i:026}/>")).collect();
    bad.send(
        CLEAR,
        &format!(r#"<Clear xmlns="http://tempuri.org/">{junk}</Clear>"#),
    )
    .await;
    assert_eq!(
        subcode(&bad.receive().await.expect("a fault")),
        "QuotaExceeded"
    );
    assert!(bad.receive().await.is_none());
    // The same names repeated stay within the quota: it counts distinct names.
    let mut repeat = RawPeer::connect(address).await;
    let junk: String = (0..600).map(|_| "<sameNameRepeated/>").collect();
    repeat
        .send(
            CLEAR,
            &format!(r#"<Clear xmlns="http://tempuri.org/">{junk}</Clear>"#),
        )
        .await;
    assert!(!repeat.receive().await.expect("Clear's reply").is_fault());
    still_good(&mut good).await;
}
