//! Session tests: handshakes, close sequences of both versions and shapes, keep-alive and
//! inactivity, control-message retries, and the faults.

use crate::channel::CommunicationState;
use crate::reliable::proto::fault::{SoapFaultCode, WsrmFault};
use crate::reliable::proto::messages::{
    AckRequested, CloseSequence, CreateSequence, IncompleteSequenceBehavior, ProtocolBody,
    ProtocolMessage, SequenceAcknowledgement, SequenceHeader, ANONYMOUS_ADDRESS,
};
use crate::reliable::proto::ranges::{AckRange, MAX_MESSAGE_NUMBER};
use crate::reliable::proto::sender::AddError;
use crate::reliable::proto::session::{
    Action, PollingMode, ReliableSession, SendBlocked, SessionConfig, SessionError,
};
use crate::reliable::proto::settings::{ReliableMessagingVersion, ReliableSessionSettings};
use crate::reliable::proto::test_support::{at, Dir, Harness};
use std::time::Duration;

const V10: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessagingFebruary2005;
const V11: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessaging11;

/// The session module's example: the driver's loop in miniature.
#[test]
fn opening_sends_create_sequence_and_arms_its_retry() {
    use crate::reliable::proto::Timestamp;
    let mut client = ReliableSession::<&str>::initiator(SessionConfig::default(), None);
    client.open(Timestamp::ZERO);
    let mut sent = Vec::new();
    while let Some(action) = client.poll_action() {
        match action {
            Action::Send(message) => sent.push(message.kind()),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(sent, ["CreateSequence"]);
    assert!(client.poll_timeout().is_some(), "CreateSequence is retried");
}

fn settings(version: ReliableMessagingVersion) -> ReliableSessionSettings {
    let mut s = ReliableSessionSettings::default();
    s.set_reliable_messaging_version(version);
    s
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn seq(id: &str, n: u64, payload: Option<u32>, last: bool) -> ProtocolMessage<u32> {
    ProtocolMessage::new(ProtocolBody::Sequence {
        header: SequenceHeader {
            identifier: id.into(),
            message_number: n,
            last_message: last,
        },
        payload,
    })
}

/// Sends `count` messages from the client, pumping after each.
fn send_all(h: &mut Harness, from: u32, count: u32) {
    for i in from..from + count {
        let mut payload = i;
        loop {
            match h.client.send(h.now, payload) {
                Ok(_) => break,
                Err(e) => {
                    assert!(matches!(e.reason, SendBlocked::Busy(_)), "{e}");
                    payload = e.payload;
                    h.advance(Duration::from_millis(100));
                }
            }
        }
        h.pump();
    }
}

fn sent_faults(h: &Harness, dir: Dir) -> Vec<WsrmFault> {
    h.log
        .iter()
        .filter(|(_, d, _)| *d == dir)
        .filter_map(|(_, _, m)| match &m.body {
            ProtocolBody::Fault(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

fn client_error(h: &Harness) -> Option<SessionError> {
    h.client_events.iter().find_map(|a| match a {
        Action::Fault(e) => Some(e.clone()),
        _ => None,
    })
}

fn server_error(h: &Harness) -> Option<SessionError> {
    h.server_events.iter().find_map(|(_, a)| match a {
        Action::Fault(e) => Some(e.clone()),
        _ => None,
    })
}

#[test]
fn one_way_10_lifecycle() {
    let mut h = Harness::new(settings(V10), false);
    h.open();
    assert_eq!(h.kinds(Dir::ToServer, 0), ["CreateSequence"]);
    assert_eq!(h.kinds(Dir::ToClient, 0), ["CreateSequenceResponse"]);
    let ProtocolBody::CreateSequence(create) = &h.log[0].2.body else {
        panic!("not a CreateSequence");
    };
    assert_eq!(create.acks_to, ANONYMOUS_ADDRESS);
    assert_eq!(
        (create.expires.as_ref(), create.offer.as_ref()),
        (None, None)
    );
    assert_eq!(h.client.state(), CommunicationState::Opened);
    assert_eq!(h.client.output_identifier(), Some("urn:test:server:1"));
    assert_eq!(h.client.input_identifier(), None);

    send_all(&mut h, 0, 5);
    assert_eq!(h.delivered_to_server(), [0, 1, 2, 3, 4]);
    let mark = h.log.len();
    h.client.close(h.now);
    h.pump();
    assert_eq!(
        h.kinds(Dir::ToServer, mark),
        ["LastMessage", "TerminateSequence"]
    );
    let last = h.log[mark..]
        .iter()
        .find_map(|(_, _, m)| match &m.body {
            ProtocolBody::Sequence {
                header,
                payload: None,
            } => Some(header.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!((last.message_number, last.last_message), (6, true));
    assert_eq!(h.client.state(), CommunicationState::Closed);
    assert!(h.server_has(|a| matches!(a, Action::InputCompleted)));
    h.close_server();
    h.pump();
    assert!(h.server_has(|a| matches!(a, Action::Closed)));
    assert_eq!(h.listener.closed_count(), 1);
}

#[test]
fn one_way_11_lifecycle() {
    let mut h = Harness::new(settings(V11), false);
    h.open();
    send_all(&mut h, 0, 3);
    let mark = h.log.len();
    h.client.close(h.now);
    h.pump();
    assert_eq!(
        h.kinds(Dir::ToServer, mark),
        ["CloseSequence", "TerminateSequence"]
    );
    assert_eq!(
        h.kinds(Dir::ToClient, mark),
        ["CloseSequenceResponse", "TerminateSequenceResponse"]
    );
    for (_, _, m) in &h.log[mark..] {
        match &m.body {
            ProtocolBody::CloseSequence(c) => assert_eq!(c.last_msg_number, Some(3)),
            ProtocolBody::TerminateSequence(t) => assert_eq!(t.last_msg_number, Some(3)),
            ProtocolBody::CloseSequenceResponse(_) | ProtocolBody::TerminateSequenceResponse(_) => {
                let ack = m.acknowledgement.as_ref().expect("a final ack");
                assert!(ack.is_final);
                assert_eq!(ack.ranges, [AckRange::new(1, 3)]);
            }
            _ => panic!("unexpected {}", m.kind()),
        }
    }
    assert_eq!(h.client.state(), CommunicationState::Closed);
    assert!(h.server_has(|a| matches!(a, Action::InputCompleted)));
    h.close_server();
    h.pump();
    assert!(h.server_has(|a| matches!(a, Action::Closed)));
}

fn duplex_lifecycle(version: ReliableMessagingVersion) -> Harness {
    let mut h = Harness::new(settings(version), true);
    let key = h.open();
    assert_eq!(h.client.input_identifier(), Some("urn:test:offer"));
    send_all(&mut h, 0, 4);
    // The service echoes each request on its output sequence.
    for p in h.delivered_to_server() {
        let mut payload = p + 100;
        loop {
            match h.listener.session_mut(key).unwrap().send(h.now, payload) {
                Ok(_) => break,
                Err(e) => {
                    payload = e.payload;
                    h.advance(Duration::from_millis(100));
                }
            }
        }
        h.pump();
    }
    h.advance(secs(1));
    assert_eq!(h.delivered_to_client(), [100, 101, 102, 103]);
    h.client.close(h.now);
    h.pump();
    assert_eq!(
        h.client.state(),
        CommunicationState::Closing,
        "waits for the service"
    );
    assert!(h.server_has(|a| matches!(a, Action::InputCompleted)));
    h.close_server();
    h.advance(secs(1));
    assert_eq!(h.client.state(), CommunicationState::Closed);
    assert!(h.server_has(|a| matches!(a, Action::Closed)));
    h
}

#[test]
fn duplex_10_lifecycle() {
    let h = duplex_lifecycle(V10);
    let to_client = h.kinds(Dir::ToClient, 0);
    assert!(
        to_client.ends_with(&["LastMessage", "TerminateSequence"]),
        "{to_client:?}"
    );
}

#[test]
fn duplex_11_lifecycle_with_offer() {
    let h = duplex_lifecycle(V11);
    let ProtocolBody::CreateSequence(create) = &h.log[0].2.body else {
        panic!();
    };
    let offer = create.offer.as_ref().unwrap();
    assert_eq!(offer.identifier, "urn:test:offer");
    assert_eq!(offer.endpoint.as_deref(), Some(ANONYMOUS_ADDRESS));
    assert_eq!(
        offer.incomplete_sequence_behavior,
        Some(IncompleteSequenceBehavior::DiscardFollowingFirstGap)
    );
    let ProtocolBody::CreateSequenceResponse(response) = &h.log[1].2.body else {
        panic!();
    };
    assert!(response.accept.is_some());
    let to_client = h.kinds(Dir::ToClient, 0);
    assert!(to_client.contains(&"CloseSequence") && to_client.contains(&"TerminateSequence"));
    let to_server = h.kinds(Dir::ToServer, 0);
    assert!(to_server.contains(&"CloseSequenceResponse"));
    assert!(to_server.contains(&"TerminateSequenceResponse"));
}

#[test]
fn abort_sends_nothing() {
    let mut h = Harness::new(settings(V11), false);
    h.open();
    h.client.send(h.now, 1).unwrap();
    h.client.abort();
    assert_eq!(h.client.poll_action(), Some(Action::Closed));
    assert_eq!(h.client.poll_action(), None);
    assert_eq!(h.client.poll_timeout(), None);
    // Closing a session that never opened is an abort too, as in WCF.
    let mut fresh = ReliableSession::<u32>::initiator(SessionConfig::default(), None);
    fresh.close(at(0));
    assert_eq!(fresh.poll_action(), Some(Action::Closed));
}

#[test]
fn create_sequence_is_retried_until_the_open_timeout() {
    let mut h = Harness::new(settings(V10), false);
    h.drop = Box::new(|dir, _| dir == Dir::ToServer);
    h.client.open(h.now);
    h.advance(secs(120));
    let times: Vec<_> = h
        .log
        .iter()
        .filter(|(_, _, m)| m.kind() == "CreateSequence")
        .map(|(t, _, _)| t.since_epoch().as_secs())
        .collect();
    assert_eq!(times, [0, 10, 20, 30, 40, 50]);
    assert_eq!(client_error(&h), Some(SessionError::OpenTimeout(secs(60))));
    assert_eq!(h.client.stats().control_retries, 5);
}

#[test]
fn initial_rtt_comes_from_the_create_sequence_round_trip() {
    for (karn, expected) in [(false, secs(30)), (true, Duration::from_millis(400))] {
        let mut s = settings(V10);
        s.set_karn_rtt_sampling(karn);
        let mut h = Harness::new(s, false);
        // The first CreateSequence is lost; the second (at 10 s) is answered at once.
        let mut first = true;
        h.drop = Box::new(move |dir, m| {
            let lose = first && dir == Dir::ToServer && m.kind() == "CreateSequence";
            first &= !lose;
            lose
        });
        h.client.open(h.now);
        h.advance(secs(11));
        let rtt = h.client.sender().unwrap().rtt();
        // WCF: 10 s from the first attempt, timeout 3 x 10 s. Karn: 0 from the last attempt,
        // timeout 400 ms.
        assert_eq!(rtt.timeout(), expected, "karn {karn}");
    }
}

#[test]
fn a_full_listener_is_retried_other_refusals_fault() {
    let mut s = settings(V10);
    s.set_max_pending_channels(1).unwrap();
    let mut h = Harness::new(s, false);
    let blocker = ProtocolMessage::new(ProtocolBody::CreateSequence(CreateSequence {
        acks_to: ANONYMOUS_ADDRESS.into(),
        expires: None,
        offer: None,
    }));
    assert!(matches!(
        h.listener.handle_input(h.now, blocker),
        crate::reliable::proto::listener::Routing::Created(_)
    ));
    while h.listener.poll_action().is_some() {} // its response goes to someone else
    h.client.open(h.now);
    h.pump();
    let refusal = sent_faults(&h, Dir::ToClient);
    assert_eq!(refusal.len(), 1);
    assert_eq!(
        refusal[0].nested_subcode().map(|(_, n)| n),
        Some("ConnectionLimitReached")
    );
    assert_eq!(h.client.state(), CommunicationState::Opening);
    assert!(h.listener.accept().is_some());
    h.advance(secs(10));
    assert_eq!(h.client.state(), CommunicationState::Opened);

    // A duplex client against a one-way 1.0 listener: refused for good.
    let mut h = Harness::new(settings(V10), false);
    h.client = ReliableSession::initiator(h.client.config().clone(), Some("urn:offer".into()));
    h.client.open(h.now);
    h.pump();
    assert!(matches!(
        client_error(&h),
        Some(SessionError::CreateSequenceRefused(_))
    ));
}

#[test]
fn one_way_11_listener_does_not_accept_an_offer() {
    let mut h = Harness::new(settings(V11), false);
    h.client = ReliableSession::initiator(h.client.config().clone(), Some("urn:offer".into()));
    h.client.open(h.now);
    h.pump();
    let ProtocolBody::CreateSequenceResponse(response) = &h.log[1].2.body else {
        panic!();
    };
    assert!(response.accept.is_none());
    assert_eq!(client_error(&h), Some(SessionError::OfferNotAccepted));
}

#[test]
fn healthy_idle_session_polls_every_half_inactivity_timeout() {
    let mut h = Harness::new(settings(V10), false);
    h.open();
    assert_eq!(h.client.polling_mode(), PollingMode::Idle);
    h.advance(secs(1000));
    let probes: Vec<_> = h
        .log
        .iter()
        .filter(|(_, d, m)| *d == Dir::ToServer && m.kind() == "AckRequested")
        .map(|(t, _, _)| t.since_epoch().as_secs())
        .collect();
    assert_eq!(probes, [300, 600, 900]);
    assert_eq!(h.client.state(), CommunicationState::Opened);
    assert_eq!(h.client.polling_mode(), PollingMode::Idle);
}

#[test]
fn a_silent_peer_gets_keep_alive_probes_then_faults_at_the_inactivity_timeout() {
    let mut h = Harness::new(settings(V10), false);
    h.open();
    h.drop = Box::new(|_, _| true);
    h.advance(secs(700));
    let probes: Vec<_> = h
        .log
        .iter()
        .filter(|(_, d, m)| *d == Dir::ToServer && m.kind() == "AckRequested")
        .map(|(t, _, _)| t.since_epoch().as_millis())
        .collect();
    // Idle probe at InactivityTimeout/2, then every InactivityTimeout/2/MaxRetryCount = 37.5 s.
    assert_eq!(
        probes,
        [300_000, 337_500, 375_000, 412_500, 450_000, 487_500, 525_000, 562_500]
    );
    assert_eq!(
        client_error(&h),
        Some(SessionError::InactivityTimeout(secs(600)))
    );
    let faults = sent_faults(&h, Dir::ToServer);
    assert!(matches!(
        &faults[..],
        [WsrmFault::SequenceTerminated { code: SoapFaultCode::Receiver, reason, .. }]
            if reason.contains("inactivity timeout")
    ));
    // The service never polls, and faults at its own inactivity timeout.
    assert_eq!(
        server_error(&h),
        Some(SessionError::InactivityTimeout(secs(600)))
    );
}

#[test]
fn max_retry_count_faults_with_sequence_terminated() {
    let mut h = Harness::new(settings(V10), false);
    h.open();
    h.drop = Box::new(|dir, _| dir == Dir::ToServer);
    h.client.send(h.now, 7).unwrap();
    h.advance(secs(600));
    let sends = h
        .log
        .iter()
        .filter(|(_, _, m)| m.kind() == "Sequence")
        .count();
    assert_eq!(sends, 9, "the first send and MaxRetryCount retransmissions");
    assert_eq!(
        client_error(&h),
        Some(SessionError::MaxRetryCountExceeded {
            message_number: 1,
            retry_count: 8
        })
    );
    assert!(matches!(
        &sent_faults(&h, Dir::ToServer)[..],
        [WsrmFault::SequenceTerminated {
            code: SoapFaultCode::Receiver,
            ..
        }]
    ));
}

#[test]
fn backoff_doubles_between_retransmissions() {
    let mut h = Harness::new(settings(V10), false);
    h.open();
    h.drop = Box::new(|dir, _| dir == Dir::ToServer);
    h.client.send(h.now, 7).unwrap();
    h.advance(secs(60));
    let times: Vec<_> = h
        .log
        .iter()
        .filter(|(_, _, m)| m.kind() == "Sequence")
        .map(|(t, _, _)| t.since_epoch().as_millis())
        .collect();
    // Zero RTT: 400 ms, then doubling.
    assert_eq!(times, [0, 400, 1200, 2800, 6000, 12400, 25200, 50800]);
}

#[test]
fn flow_control_switches_the_client_to_fast_polling() {
    let mut s = settings(V10);
    s.set_max_transfer_window_size(2).unwrap();
    let mut h = Harness::new(s, false);
    h.auto_dequeue = false;
    h.open();
    send_all(&mut h, 0, 2);
    h.advance(secs(1));
    // The service application took nothing: BufferRemaining 0.
    let blocked = h.client.send(h.now, 9).unwrap_err();
    assert_eq!(blocked.reason, SendBlocked::Busy(AddError::NoQuota));
    assert_eq!(h.client.polling_mode(), PollingMode::FastPolling);
    let mark = h.log.len();
    h.advance(secs(31));
    // min(SendTimeout / 2, 37.5 s) = 30 s.
    assert_eq!(h.kinds(Dir::ToServer, mark), ["AckRequested"]);
    let key = h.server_key().unwrap();
    h.listener
        .session_mut(key)
        .unwrap()
        .message_dequeued(h.now, 2);
    h.pump();
    assert!(h.client.can_send());
    assert_eq!(h.client.polling_mode(), PollingMode::Idle);
}

#[test]
fn request_acks_off_sends_no_ack_requested() {
    let config = SessionConfig {
        request_acks: false,
        ..SessionConfig::default()
    };
    let mut h = Harness::with_config(config, false);
    h.open();
    send_all(&mut h, 0, 4);
    h.advance(secs(1));
    assert_eq!(h.delivered_to_server(), [0, 1, 2, 3]);
    assert!(h
        .log
        .iter()
        .all(|(_, _, m)| m.ack_requested.is_none() || m.kind() == "AckRequested"));
}

#[test]
fn an_ack_for_messages_never_sent_is_an_invalid_acknowledgement() {
    let mut h = Harness::new(settings(V10), false);
    h.open();
    send_all(&mut h, 0, 1);
    let id = h.client.output_identifier().unwrap().to_owned();
    h.client.handle_input(
        h.now,
        ProtocolMessage::acknowledgement(SequenceAcknowledgement {
            identifier: id.clone(),
            ranges: vec![AckRange::new(1, 5)],
            ..Default::default()
        }),
    );
    h.pump();
    assert!(matches!(
        client_error(&h),
        Some(SessionError::ProtocolViolation(
            WsrmFault::InvalidAcknowledgement { .. }
        ))
    ));
    assert!(matches!(
        &sent_faults(&h, Dir::ToServer)[..],
        [WsrmFault::InvalidAcknowledgement { identifier, .. }] if *identifier == id
    ));
    // The service faults on receipt (a peer's WS-RM fault terminates the sequence).
    assert!(matches!(server_error(&h), Some(SessionError::PeerFault(_))));
}

#[test]
fn unknown_identifiers_inside_a_session_are_unknown_sequence() {
    let mut h = Harness::new(settings(V10), true);
    h.open();
    h.client
        .handle_input(h.now, seq("urn:nobody", 1, Some(1), false));
    h.pump();
    assert!(matches!(
        &sent_faults(&h, Dir::ToServer)[..],
        [WsrmFault::UnknownSequence { identifier }] if identifier == "urn:nobody"
    ));
    assert!(matches!(
        client_error(&h),
        Some(SessionError::ProtocolViolation(_))
    ));
}

#[test]
fn a_number_past_the_last_message_is_last_message_number_exceeded_in_10() {
    let mut h = Harness::new(settings(V10), false);
    h.open();
    let id = h.client.output_identifier().unwrap().to_owned();
    // Messages injected as if from the client; the real client must not see the acks.
    h.drop = Box::new(|dir, m| dir == Dir::ToClient && m.kind() != "Fault");
    h.listener.handle_input(h.now, seq(&id, 2, None, true));
    h.pump();
    h.listener.handle_input(h.now, seq(&id, 3, Some(3), false));
    h.pump();
    assert!(matches!(
        sent_faults(&h, Dir::ToClient).last(),
        Some(WsrmFault::LastMessageNumberExceeded { identifier }) if *identifier == id
    ));
    assert!(matches!(
        server_error(&h),
        Some(SessionError::ProtocolViolation(_))
    ));
    assert!(matches!(client_error(&h), Some(SessionError::PeerFault(_))));
}

#[test]
fn a_new_message_after_close_sequence_is_sequence_closed_in_11() {
    let mut h = Harness::new(settings(V11), false);
    h.open();
    let id = h.client.output_identifier().unwrap().to_owned();
    h.listener.handle_input(
        h.now,
        ProtocolMessage::new(ProtocolBody::CloseSequence(CloseSequence {
            identifier: id.clone(),
            last_msg_number: None,
        })),
    );
    h.pump();
    let mark = h.log.len();
    h.drop = Box::new(|dir, _| dir == Dir::ToClient);
    h.listener.handle_input(h.now, seq(&id, 1, Some(1), false));
    h.pump();
    assert_eq!(
        h.kinds(Dir::ToClient, mark),
        ["Fault", "SequenceAcknowledgement"]
    );
    assert!(matches!(
        sent_faults(&h, Dir::ToClient).last(),
        Some(WsrmFault::SequenceClosed { .. })
    ));
    assert_eq!(server_error(&h), None, "the sequence itself is fine");
    assert!(h.delivered_to_server().is_empty());
}

#[test]
fn the_maximum_message_number_is_a_rollover_on_both_sides() {
    // Receiver: a number at the limit.
    let mut h = Harness::new(settings(V11), false);
    h.open();
    let id = h.client.output_identifier().unwrap().to_owned();
    h.listener
        .handle_input(h.now, seq(&id, MAX_MESSAGE_NUMBER, Some(1), false));
    h.pump();
    assert!(matches!(
        sent_faults(&h, Dir::ToClient).last(),
        Some(WsrmFault::MessageNumberRollover { max_message_number, .. })
            if *max_message_number == MAX_MESSAGE_NUMBER
    ));
    assert!(server_error(&h).is_some());

    // Sender: the next number would reach the limit (WCF's ThrowIfRollover).
    let mut h = Harness::new(settings(V10), false);
    h.open();
    h.client
        .sender_mut()
        .unwrap()
        .set_next_number(MAX_MESSAGE_NUMBER);
    let refused = h.client.send(h.now, 1).unwrap_err();
    assert_eq!(refused.reason, SendBlocked::Busy(AddError::Rollover));
    assert_eq!(refused.payload, 1);
    h.pump();
    assert_eq!(client_error(&h), Some(SessionError::MessageNumberRollover));
    assert!(matches!(
        &sent_faults(&h, Dir::ToServer)[..],
        [WsrmFault::MessageNumberRollover { .. }]
    ));
}

#[test]
fn a_peer_fault_ends_the_session() {
    let mut h = Harness::new(settings(V10), false);
    h.open();
    let id = h.client.output_identifier().unwrap().to_owned();
    let fault = WsrmFault::SequenceTerminated {
        identifier: id,
        code: SoapFaultCode::Receiver,
        reason: "bye".into(),
    };
    h.client
        .handle_input(h.now, ProtocolMessage::fault(fault.clone()));
    assert_eq!(
        h.client.poll_action(),
        Some(Action::Fault(SessionError::PeerFault(fault)))
    );
    assert_eq!(h.client.state(), CommunicationState::Faulted);
    assert_eq!(h.client.poll_timeout(), None);
    // A fault about someone else's sequence is not ours.
    let mut h = Harness::new(settings(V10), false);
    h.open();
    h.client.handle_input(
        h.now,
        ProtocolMessage::fault(WsrmFault::UnknownSequence {
            identifier: "urn:other".into(),
        }),
    );
    assert_eq!(h.client.state(), CommunicationState::Opened);
}

#[test]
fn duplicates_are_acknowledged_and_not_delivered_twice() {
    let mut h = Harness::new(settings(V10), false);
    h.open();
    let id = h.client.output_identifier().unwrap().to_owned();
    h.drop = Box::new(|dir, _| dir == Dir::ToClient);
    for _ in 0..3 {
        let mut m = seq(&id, 1, Some(42), false);
        m.ack_requested = Some(AckRequested {
            identifier: id.clone(),
            message_number: None,
        });
        h.listener.handle_input(h.now, m);
        h.advance(secs(1));
    }
    assert_eq!(h.delivered_to_server(), [42]);
    // One ack per copy, and one window update when the service dequeued the message (the
    // first ack advertised a buffer one short of the quota).
    assert_eq!(
        h.kinds(Dir::ToClient, 0)
            .iter()
            .filter(|k| **k == "SequenceAcknowledgement")
            .count(),
        4
    );
}

#[test]
fn unordered_sessions_deliver_on_arrival() {
    let mut s = settings(V10);
    s.set_ordered(false);
    let mut h = Harness::new(s, false);
    h.open();
    let id = h.client.output_identifier().unwrap().to_owned();
    for n in [3, 1, 2] {
        h.listener
            .handle_input(h.now, seq(&id, n, Some(n as u32), false));
    }
    h.pump();
    assert_eq!(h.delivered_to_server(), [3, 1, 2]);
}
