//! ReliableListener tests: MaxPendingChannels, offers, idempotent CreateSequence, UnknownSequence, the
//! bad-input cases of the issue (flood, storm, bad session beside good ones), closed sessions.

use crate::channel::CommunicationState;
use crate::reliable::proto::fault::WsrmFault;
use crate::reliable::proto::listener::{ChannelShape, ListenerConfig, ReliableListener, Routing};
use crate::reliable::proto::messages::{
    AckRequested, CreateSequence, Offer, ProtocolBody, ProtocolMessage, SequenceHeader,
};
use crate::reliable::proto::session::Action;
use crate::reliable::proto::settings::{ReliableMessagingVersion, ReliableSessionSettings};
use crate::reliable::proto::test_support::{at, Dir, Harness};
use std::time::Duration;

fn listener(shape: ChannelShape, version: ReliableMessagingVersion) -> ReliableListener<u32> {
    let mut config = ListenerConfig::new(shape);
    config
        .session
        .settings
        .set_reliable_messaging_version(version);
    config.address = "test://svc".into();
    let mut n = 0;
    ReliableListener::new(
        config,
        Box::new(move || {
            n += 1;
            format!("urn:s:{n}")
        }),
    )
}

fn create(offer: Option<&str>) -> ProtocolMessage<u32> {
    ProtocolMessage::new(ProtocolBody::CreateSequence(CreateSequence {
        acks_to: "urn:client".into(),
        expires: None,
        offer: offer.map(|id| Offer {
            identifier: id.into(),
            endpoint: None,
            expires: None,
            incomplete_sequence_behavior: None,
        }),
    }))
}

fn fault_of(d: &Routing<u32>) -> Option<&WsrmFault> {
    match d {
        Routing::Reply(m) => match &m.body {
            ProtocolBody::Fault(f) => Some(f),
            _ => None,
        },
        _ => None,
    }
}

fn drain(l: &mut ReliableListener<u32>) -> Vec<Action<u32>> {
    std::iter::from_fn(|| l.poll_action())
        .map(|(_, a)| a)
        .collect()
}

const V10: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessagingFebruary2005;
const V11: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessaging11;

#[test]
fn max_pending_channels_refuses_with_connection_limit_reached() {
    let mut l = listener(ChannelShape::OneWay, V10);
    for _ in 0..4 {
        assert!(matches!(
            l.handle_input(at(0), create(None)),
            Routing::Created(_)
        ));
    }
    let refused = l.handle_input(at(0), create(None));
    let fault = fault_of(&refused).expect("a refusal");
    assert_eq!(
        fault.nested_subcode(),
        Some((
            crate::reliable::proto::fault::NETRM_NAMESPACE,
            "ConnectionLimitReached"
        ))
    );
    assert!(fault.reason().contains("Server 'test://svc' is too busy"));
    assert_eq!(l.pending_count(), 4);
    // Accepting one frees a slot.
    assert!(l.accept().is_some());
    assert!(matches!(
        l.handle_input(at(0), create(None)),
        Routing::Created(_)
    ));
}

#[test]
fn a_create_sequence_flood_is_bounded() {
    let mut l = listener(ChannelShape::OneWay, V10);
    let mut replies = 0;
    for i in 0..10_000u64 {
        // 10,000 requests within one second.
        let d = l.handle_input(at(i / 10), create(None));
        replies += usize::from(matches!(d, Routing::Reply(_)));
    }
    assert_eq!(l.session_count(), 4, "MaxPendingChannels");
    assert!(replies <= 64 + 64, "rate-limited refusals, got {replies}");
    assert!(l.stats().suppressed > 9_000);
    // The flood did not stop the listener: after accepting, new sessions come in.
    while l.accept().is_some() {}
    assert!(matches!(
        l.handle_input(at(5_000), create(None)),
        Routing::Created(_)
    ));
}

#[test]
fn a_create_sequence_flood_over_requests_gets_a_refusal_for_each() {
    // Over a request-reply transport every request is owed a response: each refusal is
    // sent (a silent 202 would tell the client nothing), and the rate limit does not apply.
    let mut l = listener(ChannelShape::OneWay, V10);
    let mut limited = 0;
    for i in 0..2_000u64 {
        let d = l.handle_request(at(i / 10), create(None));
        match fault_of(&d) {
            Some(fault) if fault.nested_subcode().is_some() => limited += 1,
            Some(other) => panic!("unexpected fault {other:?}"),
            None => assert!(matches!(d, Routing::Created(_)), "{d:?}"),
        }
    }
    assert_eq!(l.session_count(), 4, "MaxPendingChannels");
    assert_eq!(limited, 2_000 - 4, "every refusal answered");
    assert_eq!(l.stats().suppressed, 0);
    // The limit still holds for messages off a request (a duplex connection).
    let mut replies = 0;
    for i in 0..1_000u64 {
        let d = l.handle_input(at(200 + i / 10), create(None));
        replies += usize::from(matches!(d, Routing::Reply(_)));
    }
    assert!(replies < 1_000, "the duplex path stays rate-limited");
}

#[test]
fn offers_follow_the_channel_shape() {
    let mut duplex = listener(ChannelShape::Duplex, V10);
    assert!(fault_of(&duplex.handle_input(at(0), create(None)))
        .is_some_and(|f| f.reason().contains("must contain an offer")));
    let mut one_way_10 = listener(ChannelShape::OneWay, V10);
    assert!(
        fault_of(&one_way_10.handle_input(at(0), create(Some("urn:o"))))
            .is_some_and(|f| f.reason().contains("must not contain an offer"))
    );
    let mut one_way_11 = listener(ChannelShape::OneWay, V11);
    let Routing::Created(key) = one_way_11.handle_input(at(0), create(Some("urn:o"))) else {
        panic!("created");
    };
    let Some(Action::Send(m)) = drain(&mut one_way_11).into_iter().next() else {
        panic!("a response");
    };
    let ProtocolBody::CreateSequenceResponse(response) = m.body else {
        panic!();
    };
    assert!(
        response.accept.is_none(),
        "B1109: the offer is not accepted"
    );
    assert_eq!(one_way_11.session(key).unwrap().output_identifier(), None);
}

#[test]
fn a_resent_create_sequence_gets_the_same_session() {
    let mut l = listener(ChannelShape::Duplex, V11);
    let Routing::Created(key) = l.handle_input(at(0), create(Some("urn:offer"))) else {
        panic!();
    };
    let first = drain(&mut l);
    assert_eq!(
        l.handle_input(at(10), create(Some("urn:offer"))),
        Routing::Session(key)
    );
    let second = drain(&mut l);
    let response = |actions: &[Action<u32>]| {
        actions.iter().find_map(|a| match a {
            Action::Send(m) => match &m.body {
                ProtocolBody::CreateSequenceResponse(r) => Some(r.clone()),
                _ => None,
            },
            _ => None,
        })
    };
    assert_eq!(response(&first), response(&second));
    assert_eq!(l.session_count(), 1);
    // Someone else offering an identifier in use is refused.
    let mut other = create(Some("urn:s:1"));
    if let ProtocolBody::CreateSequence(c) = &mut other.body {
        c.acks_to = "urn:other".into();
    }
    assert!(fault_of(&l.handle_input(at(11), other)).is_some());
}

#[test]
fn session_of_finds_the_session_a_message_would_reach_without_handing_it_over() {
    // The reliable hub checks who sends a message before the session sees it: whatever
    // routes to a session must be found, a re-sent CreateSequence (by its offer) included.
    let mut l = listener(ChannelShape::Duplex, V11);
    let Routing::Created(key) = l.handle_input(at(0), create(Some("urn:offer"))) else {
        panic!();
    };
    drain(&mut l);
    assert_eq!(l.session_of(&create(Some("urn:offer"))), Some(key));
    assert_eq!(l.session_of(&create(Some("urn:elsewhere"))), None);
    let mut ack = ProtocolMessage::new(ProtocolBody::Empty);
    ack.ack_requested = Some(AckRequested {
        identifier: "urn:s:1".into(),
        message_number: None,
    });
    assert_eq!(l.session_of(&ack), Some(key));
    // Looking did not feed the session: a resend still routes to it as before.
    assert!(drain(&mut l).is_empty());
    assert_eq!(
        l.handle_input(at(10), create(Some("urn:offer"))),
        Routing::Session(key)
    );
}

#[test]
fn unknown_sequences_get_unknown_sequence_rate_limited() {
    let mut l = listener(ChannelShape::OneWay, V10);
    let message = ProtocolMessage::new(ProtocolBody::Sequence {
        header: SequenceHeader {
            identifier: "urn:ghost".into(),
            message_number: 1,
            last_message: false,
        },
        payload: Some(1),
    });
    assert!(matches!(
        fault_of(&l.handle_input(at(0), message.clone())),
        Some(WsrmFault::UnknownSequence { identifier }) if identifier == "urn:ghost"
    ));
    // Faults and responses are never answered.
    let fault = ProtocolMessage::fault(WsrmFault::UnknownSequence {
        identifier: "urn:ghost".into(),
    });
    assert_eq!(l.handle_input(at(0), fault), Routing::Ignored);
    let mut replies = 1;
    for _ in 0..1000 {
        replies += usize::from(matches!(
            l.handle_input(at(0), message.clone()),
            Routing::Reply(_)
        ));
    }
    assert_eq!(
        replies, 64,
        "the burst, then nothing within the same instant"
    );
    assert!(matches!(
        l.handle_input(at(1_000), message),
        Routing::Reply(_)
    ));
}

#[test]
fn an_ack_requested_storm_gets_bounded_answers_and_spares_other_sessions() {
    let mut h = Harness::new(ReliableSessionSettings::default(), false);
    h.open();
    let id = h.client.output_identifier().unwrap().to_owned();
    let mark = h.log.len();
    // 10,000 AckRequested within 100 ms.
    for i in 0..10_000u64 {
        h.now = at(i / 100);
        h.listener
            .handle_input(h.now, ProtocolMessage::ack_requested(id.clone()));
        h.pump();
    }
    h.advance(Duration::from_millis(500));
    let acks = h
        .kinds(Dir::ToClient, mark)
        .iter()
        .filter(|k| **k == "SequenceAcknowledgement")
        .count();
    assert!(
        acks <= 3,
        "at most one redundant ack per interval, got {acks}"
    );
    assert_eq!(h.client.state(), CommunicationState::Opened);
    // The same session still works, and a second one is unaffected.
    h.client.send(h.now, 5).unwrap();
    h.pump();
    assert_eq!(h.delivered_to_server(), [5]);
    assert!(matches!(
        h.listener.handle_input(h.now, create(None)),
        Routing::Created(_)
    ));
}

#[test]
fn a_bad_session_does_not_harm_another() {
    let mut l = listener(ChannelShape::OneWay, V10);
    let Routing::Created(good) = l.handle_input(at(0), create(None)) else {
        panic!();
    };
    let Routing::Created(bad) = l.handle_input(at(0), create(None)) else {
        panic!();
    };
    drain(&mut l);
    let good_id = "urn:s:1";
    let bad_id = "urn:s:2";
    let seq = |id: &str, n: u64| {
        let mut m = ProtocolMessage::new(ProtocolBody::Sequence {
            header: SequenceHeader {
                identifier: id.into(),
                message_number: n,
                last_message: false,
            },
            payload: Some(n as u32),
        });
        m.ack_requested = Some(AckRequested {
            identifier: id.into(),
            message_number: None,
        });
        m
    };
    // Message number 0 is a protocol violation: that session faults and is removed.
    l.handle_input(at(1), seq(bad_id, 0));
    let actions = drain(&mut l);
    assert!(actions.iter().any(|a| matches!(a, Action::Fault(_))));
    assert!(l.session(bad).is_none());
    assert_eq!(l.find(bad_id), None);
    // Its identifier is now unknown.
    assert!(matches!(
        fault_of(&l.handle_input(at(2), seq(bad_id, 1))),
        Some(WsrmFault::UnknownSequence { .. })
    ));
    // The good one carries on.
    l.handle_input(at(3), seq(good_id, 1));
    let actions = drain(&mut l);
    assert!(actions.contains(&Action::Deliver(1)));
    assert_eq!(l.session(good).unwrap().state(), CommunicationState::Opened);
}

#[test]
fn closed_sessions_answer_late_resends_within_a_bound() {
    let mut h = Harness::new(
        {
            let mut s = ReliableSessionSettings::default();
            s.set_reliable_messaging_version(V11);
            s
        },
        false,
    );
    h.open();
    h.client.send(h.now, 1).unwrap();
    h.pump();
    h.client.close(h.now);
    h.pump();
    h.close_server();
    h.pump();
    assert_eq!(h.listener.closed_count(), 1);
    let id = h.client.output_identifier().unwrap().to_owned();
    // The TerminateSequenceResponse was lost and the client re-sends TerminateSequence.
    let again = ProtocolMessage::new(ProtocolBody::TerminateSequence(
        crate::reliable::proto::messages::TerminateSequence {
            identifier: id.clone(),
            last_msg_number: Some(1),
        },
    ));
    let mark = h.log.len();
    h.listener.handle_input(h.now, again);
    h.pump();
    assert_eq!(h.kinds(Dir::ToClient, mark), ["TerminateSequenceResponse"]);
    // Only a bounded number of closed sessions is kept.
    let mut l = listener(ChannelShape::OneWay, V10);
    for i in 0..200u64 {
        let Routing::Created(key) = l.handle_input(at(i), create(None)) else {
            panic!();
        };
        l.accept();
        l.session_mut(key).unwrap().abort();
        drain(&mut l);
    }
    assert_eq!(
        l.closed_count(),
        crate::reliable::proto::listener::DEFAULT_MAX_CLOSED_SESSIONS
    );
    assert_eq!(l.session_count(), 0);
}
