//! Bad WS-RM input against a reliable endpoint: each gets the right WS-RM fault (or a bounded
//! answer), memory stays bounded, and a well-behaved session on the same endpoint carries on.
//! The misbehaving peer writes raw SOAP 1.2 envelopes on an in-process connection.

use indigo::__internals::wsrm::{self as wire, ProtocolBody, ProtocolMessage};
use indigo::message::{Message, ReaderQuotas};
use indigo::reliable::{ReliableMessagingVersion, WsrmFaultCode};
use indigo::{MemoryBinding, ServiceHost};
use indigo_tests::echo::{EchoClient, EchoContract, EchoService};
use indigo_tests::RawPeer;
use std::time::Duration;

const RM11: &str = "http://docs.oasis-open.org/ws-rx/wsrm/200702";
const V11: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessaging11;
const V10: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessagingFebruary2005;
const ANONYMOUS: &str = "http://www.w3.org/2005/08/addressing/anonymous";

fn envelope(action: &str, id: u32, headers: &str, body: &str) -> Vec<u8> {
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:r="{RM11}"><s:Header><a:Action s:mustUnderstand="1">{action}</a:Action><a:MessageID>urn:uuid:00000000-0000-0000-0000-{id:012}</a:MessageID><a:ReplyTo><a:Address>{ANONYMOUS}</a:Address></a:ReplyTo>{headers}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#
    )
    .into_bytes()
}

fn read(message: Message) -> ProtocolMessage<Message> {
    wire::read_message(V11, message, &ReaderQuotas::default()).expect("a WS-RM message")
}

fn fault_code(message: Message) -> WsrmFaultCode {
    match read(message).body {
        ProtocolBody::Fault(fault) => fault.code(),
        other => panic!("expected a WS-RM fault, got {other:?}"),
    }
}

/// A host for the echo contract over a reliable in-process binding (WS-RM 1.1), and a client
/// session that keeps working throughout.
async fn setup(name: &str) -> (ServiceHost, String, EchoClient) {
    let address = format!("memory://reliable-bad-{name}");
    let binding = MemoryBinding::new()
        .with_reliable_session()
        .with_version(V11)
        .with_max_sessions(8);
    let host = ServiceHost::builder(EchoContract::per_session(EchoService::default))
        .endpoint(binding.clone(), address.clone())
        .open()
        .await
        .unwrap();
    let client = EchoClient::connect(&binding, &address).await.unwrap();
    assert_eq!(client.echo("before".into()).await.unwrap(), "before");
    (host, address, client)
}

async fn still_serving(client: &EchoClient) {
    assert_eq!(
        client.echo("after".into()).await.unwrap(),
        "after",
        "the well-behaved session carries on"
    );
}

/// A WCF-style CreateSequence offering `offer` as the return sequence.
fn create_sequence_envelope(id: u32, offer: &str) -> Vec<u8> {
    let body = format!(
        "<r:CreateSequence><r:AcksTo><a:Address>{ANONYMOUS}</a:Address></r:AcksTo><r:Offer><r:Identifier>{offer}</r:Identifier><r:Endpoint><a:Address>{ANONYMOUS}</a:Address></r:Endpoint></r:Offer></r:CreateSequence>"
    );
    envelope(&format!("{RM11}/CreateSequence"), id, "", &body)
}

/// Creates a sequence (with an offer) on the raw peer; returns the service's identifier of
/// the peer's sequence.
async fn create_sequence(peer: &mut RawPeer, id: u32, offer: &str) -> String {
    peer.send_bytes(create_sequence_envelope(id, offer)).await;
    let response = peer.receive().await.expect("CreateSequenceResponse");
    match read(response).body {
        ProtocolBody::CreateSequenceResponse(r) => r.identifier,
        other => panic!("expected CreateSequenceResponse, got {other:?}"),
    }
}

fn sequence_header(identifier: &str, number: &str) -> String {
    format!(
        r#"<r:Sequence s:mustUnderstand="1"><r:Identifier>{identifier}</r:Identifier><r:MessageNumber>{number}</r:MessageNumber></r:Sequence>"#
    )
}

const ECHO_BODY: &str = r#"<Echo xmlns="http://example.org/echo/"><text>raw</text></Echo>"#;
const ECHO_ACTION: &str = "http://example.org/echo/IEcho/Echo";

#[tokio::test]
async fn a_message_for_an_unknown_sequence_gets_unknown_sequence() {
    let (host, address, client) = setup("unknown").await;
    let mut peer = RawPeer::connect(&address).await;
    let headers = sequence_header("urn:uuid:never-created", "1");
    peer.send_bytes(envelope(ECHO_ACTION, 1, &headers, ECHO_BODY))
        .await;
    let answer = peer.receive().await.expect("a fault");
    assert_eq!(fault_code(answer), WsrmFaultCode::UnknownSequence);
    still_serving(&client).await;
    host.abort();
}

#[tokio::test]
async fn an_ack_for_messages_never_sent_gets_invalid_acknowledgement() {
    let (host, address, client) = setup("invalid-ack").await;
    let mut peer = RawPeer::connect(&address).await;
    let offer = "urn:uuid:offered-by-the-raw-peer";
    create_sequence(&mut peer, 1, offer).await;
    // The service has sent nothing on the offered sequence: acknowledging 1-5 is a lie.
    let ack = format!(
        r#"<r:SequenceAcknowledgement><r:Identifier>{offer}</r:Identifier><r:AcknowledgementRange Lower="1" Upper="5"/></r:SequenceAcknowledgement>"#
    );
    peer.send_bytes(envelope(
        &format!("{RM11}/SequenceAcknowledgement"),
        2,
        &ack,
        "",
    ))
    .await;
    let answer = peer.receive().await.expect("a fault");
    assert_eq!(fault_code(answer), WsrmFaultCode::InvalidAcknowledgement);
    still_serving(&client).await;
    host.abort();
}

#[tokio::test]
async fn a_message_number_past_the_maximum_gets_message_number_rollover() {
    let (host, address, client) = setup("rollover").await;
    let mut peer = RawPeer::connect(&address).await;
    let id = create_sequence(&mut peer, 1, "urn:uuid:rollover-offer").await;
    // One past xs:long's maximum, the largest message number WS-RM allows.
    let headers = sequence_header(&id, "9223372036854775808");
    peer.send_bytes(envelope(ECHO_ACTION, 2, &headers, ECHO_BODY))
        .await;
    let answer = peer.receive().await.expect("a fault");
    assert_eq!(fault_code(answer), WsrmFaultCode::MessageNumberRollover);
    still_serving(&client).await;
    host.abort();
}

#[tokio::test]
async fn a_message_past_the_last_one_gets_last_message_number_exceeded() {
    let (host, address, client) = setup("past-last").await;
    let mut peer = RawPeer::connect(&address).await;
    let id = create_sequence(&mut peer, 1, "urn:uuid:past-last-offer").await;
    let close = format!(
        "<r:CloseSequence><r:Identifier>{id}</r:Identifier><r:LastMsgNumber>1</r:LastMsgNumber></r:CloseSequence>"
    );
    peer.send_bytes(envelope(&format!("{RM11}/CloseSequence"), 2, "", &close))
        .await;
    // Whatever answers the close (a response or an ack), message 3 must be refused.
    let _ = peer.receive().await;
    let headers = sequence_header(&id, "3");
    peer.send_bytes(envelope(ECHO_ACTION, 3, &headers, ECHO_BODY))
        .await;
    let mut codes = Vec::new();
    for _ in 0..4 {
        match tokio::time::timeout(Duration::from_secs(2), peer.receive()).await {
            Ok(Some(message)) => {
                if let ProtocolBody::Fault(fault) = read(message).body {
                    codes.push(fault.code());
                    break;
                }
            }
            _ => break,
        }
    }
    assert!(
        codes.iter().any(|c| matches!(
            c,
            WsrmFaultCode::LastMessageNumberExceeded | WsrmFaultCode::SequenceClosed
        )),
        "expected LastMessageNumberExceeded (or SequenceClosed), got {codes:?}"
    );
    still_serving(&client).await;
    host.abort();
}

#[tokio::test]
async fn a_create_sequence_flood_is_refused_past_the_limit_with_memory_bounded() {
    let (host, address, client) = setup("flood").await;
    let mut peer = RawPeer::connect(&address).await;
    let mut created = 0;
    let mut refused = 0;
    for i in 0..40u32 {
        let offer = format!("urn:uuid:flood-{i}");
        peer.send_bytes(create_sequence_envelope(i, &offer)).await;
        match read(peer.receive().await.expect("an answer")).body {
            ProtocolBody::CreateSequenceResponse(_) => created += 1,
            ProtocolBody::Fault(fault) => {
                assert_eq!(fault.code(), WsrmFaultCode::CreateSequenceRefused);
                refused += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    // The endpoint keeps at most 8 sessions, one of which is the well-behaved client's.
    assert_eq!(created, 7, "sessions beyond the limit were created");
    assert_eq!(refused, 33);
    still_serving(&client).await;
    host.abort();
}

#[tokio::test]
async fn an_ack_requested_storm_gets_a_bounded_number_of_acks() {
    let (host, address, client) = setup("storm").await;
    let mut peer = RawPeer::connect(&address).await;
    let id = create_sequence(&mut peer, 1, "urn:uuid:storm-offer").await;
    let request = format!("<r:AckRequested><r:Identifier>{id}</r:Identifier></r:AckRequested>");
    for i in 0..1_000u32 {
        peer.send_bytes(envelope(
            &format!("{RM11}/AckRequested"),
            i + 2,
            &request,
            "",
        ))
        .await;
    }
    let mut acks = 0;
    while let Ok(Some(message)) =
        tokio::time::timeout(Duration::from_millis(600), peer.receive()).await
    {
        if read(message).acknowledgement.is_some() {
            acks += 1;
        }
    }
    // The first is answered at once; after that at most one redundant ack per
    // AcknowledgementInterval (200 ms), whatever the request rate.
    assert!(acks >= 1, "the storm got no ack at all");
    assert!(acks <= 8, "{acks} acks for an ack-request storm");
    still_serving(&client).await;
    host.abort();
}

#[tokio::test]
async fn a_connection_that_never_speaks_is_closed_at_the_inactivity_timeout() {
    let mut settings = indigo::ReliableSessionSettings::default();
    settings
        .set_inactivity_timeout(Duration::from_millis(300))
        .unwrap();
    let binding = MemoryBinding::new()
        .with_reliable_session()
        .with_settings(settings);
    let address = "memory://reliable-bad-idle";
    let host = ServiceHost::builder(EchoContract::per_session(EchoService::default))
        .endpoint(binding, address)
        .open()
        .await
        .unwrap();
    let mut peer = RawPeer::connect(address).await;
    // `receive` panics if nothing happens within its wait; the service must close instead.
    assert!(
        peer.receive().await.is_none(),
        "the idle connection was closed"
    );
    host.abort();
}

#[tokio::test]
async fn a_create_sequence_flood_past_max_pending_channels_is_refused_with_connection_limit_reached(
) {
    // The host serves one session at a time, so flooding sessions stay pending: four
    // (MaxPendingChannels' default) are created, the rest refused with WCF's subcode.
    let address = "memory://reliable-bad-pending-flood";
    let binding = MemoryBinding::new()
        .with_reliable_session()
        .with_version(V11);
    let throttle = indigo::ServiceThrottle {
        max_concurrent_sessions: 1,
        ..indigo::ServiceThrottle::default()
    };
    let host = ServiceHost::builder(EchoContract::per_session(EchoService::default))
        .endpoint(binding.clone(), address)
        .throttle(throttle)
        .open()
        .await
        .unwrap();
    let client = EchoClient::connect(&binding, address).await.unwrap();
    assert_eq!(client.echo("before".into()).await.unwrap(), "before");
    let mut peer = RawPeer::connect(address).await;
    let (mut created, mut limited) = (0, 0);
    for i in 0..40u32 {
        let offer = format!("urn:uuid:pending-flood-{i}");
        peer.send_bytes(create_sequence_envelope(i, &offer)).await;
        match read(peer.receive().await.expect("an answer")).body {
            ProtocolBody::CreateSequenceResponse(_) => created += 1,
            ProtocolBody::Fault(indigo::reliable::WsrmFault::CreateSequenceRefused {
                connection_limit_reached: true,
                ..
            }) => limited += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((created, limited), (4, 36));
    still_serving(&client).await;
    host.abort();
}

#[tokio::test]
async fn twenty_thousand_pipelined_ack_requested_over_text_tcp_are_answered() {
    for version in [V10, V11] {
        pipelined_ack_requested(version).await;
    }
}

async fn pipelined_ack_requested(version: ReliableMessagingVersion) {
    use indigo::transport::ClientTransport;
    use indigo::Binding;
    let rm = version.namespace();
    let binding = indigo::CustomBinding::tcp_text()
        .with_reliable_session()
        .with_version(version);
    let host = ServiceHost::builder(EchoContract::per_session(EchoService::default))
        .endpoint(binding, "net.tcp://127.0.0.1:0/echo")
        .open()
        .await
        .unwrap();
    let address = host.addresses()[0].clone();
    // The text binding's bare transport: envelopes go out exactly as written here.
    let ClientTransport::Duplex(connection) = indigo::CustomBinding::tcp_text()
        .connect(&address)
        .await
        .unwrap()
    else {
        panic!("net.tcp is a duplex connection");
    };
    let (mut sink, mut stream) = (connection.sink, connection.stream);
    let encoder =
        indigo::encoding::TextMessageEncoder::new(indigo::message::MessageVersion::SOAP12_WSA10);
    use indigo::encoding::MessageEncoder;
    let decode = |frame| encoder.decode(frame).expect("a readable message");
    let create = String::from_utf8(create_sequence_envelope(1, "urn:uuid:pipelined-offer"))
        .unwrap()
        .replace(RM11, rm);
    let create = if version.is_11() {
        create
    } else {
        // 1.0's Offer has no Endpoint.
        let start = create.find("<r:Endpoint>").unwrap();
        let end = create.find("</r:Endpoint>").unwrap() + "</r:Endpoint>".len();
        format!("{}{}", &create[..start], &create[end..])
    };
    sink.send(create.into_bytes()).await.unwrap();
    let response = tokio::time::timeout(Duration::from_secs(5), stream.receive())
        .await
        .expect("CreateSequenceResponse in time")
        .unwrap()
        .expect("CreateSequenceResponse");
    let read = |message| {
        wire::read_message(version, message, &ReaderQuotas::default()).expect("a WS-RM message")
    };
    let id = match read(decode(response)).body {
        ProtocolBody::CreateSequenceResponse(r) => r.identifier,
        other => panic!("expected CreateSequenceResponse, got {other:?}"),
    };
    let request = format!("<r:AckRequested><r:Identifier>{id}</r:Identifier></r:AckRequested>");
    // Pipelined: all written before anything is read, on one connection.
    let writer = tokio::spawn(async move {
        for i in 0..20_000u32 {
            let frame =
                String::from_utf8(envelope(&format!("{rm}/AckRequested"), i + 2, &request, ""))
                    .unwrap()
                    .replace(RM11, rm);
            sink.send(frame.into_bytes())
                .await
                .expect("the connection stays open");
        }
        sink
    });
    // Nothing is read until every request is written, as a pipelining peer does.
    let sink = writer.await.unwrap();
    let mut acks = 0usize;
    let mut last_ack_at = None;
    loop {
        match tokio::time::timeout(Duration::from_secs(3), stream.receive()).await {
            Ok(Ok(Some(frame))) => {
                if read(decode(frame)).acknowledgement.is_some() {
                    acks += 1;
                    last_ack_at = Some(std::time::Instant::now());
                }
            }
            Ok(Ok(None)) => panic!("the service closed the connection after {acks} acks"),
            Ok(Err(e)) => panic!("the connection failed after {acks} acks: {e}"),
            Err(_) => break,
        }
    }
    drop(sink);
    eprintln!("{version:?}: {acks} acks");
    assert!(
        acks >= 1,
        "20,000 AckRequested got no acknowledgement at all"
    );
    // Coalesced: far fewer acks than requests.
    assert!(acks < 2_000, "{acks} acks for 20,000 requests");
    assert!(last_ack_at.is_some());
    host.abort();
}
