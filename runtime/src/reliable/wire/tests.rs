use super::*;
use crate::message::{
    read_envelope, write_envelope, Body as SoapBody, Message, MessageVersion, QualifiedName,
    RawHeader, ReaderQuotas, XmlFragment,
};
use crate::reliable::proto::{
    Accept, AckRange, AckRequested, CloseSequence, CreateSequence, CreateSequenceResponse,
    IncompleteSequenceBehavior, Offer, ProtocolBody, ProtocolMessage, ReliableMessagingVersion,
    SequenceAcknowledgement, SequenceHeader, SoapFaultCode, TerminateSequence, WsrmFault,
};
use ReliableMessagingVersion::{
    WsReliableMessaging11 as V11, WsReliableMessagingFebruary2005 as V10,
};

const MV: MessageVersion = MessageVersion::SOAP12_WSA10;
const ID: &str = "urn:uuid:b92af031-1787-4e12-ab8b-45673200000000";

fn q() -> ReaderQuotas {
    ReaderQuotas::default()
}

/// Writes, serialises, parses and reads back.
fn round_trip(
    version: ReliableMessagingVersion,
    m: &ProtocolMessage<Message>,
) -> ProtocolMessage<Message> {
    let written = write_message(version, MV, m).unwrap();
    let mut bytes = Vec::new();
    write_envelope(&written, &mut bytes).unwrap();
    let parsed = read_envelope(bytes.into(), MV, &q()).unwrap();
    read_message(version, parsed, &q()).unwrap()
}

fn ack(ranges: &[(u64, u64)], is_final: bool, buffer: Option<u32>) -> SequenceAcknowledgement {
    SequenceAcknowledgement {
        identifier: ID.into(),
        ranges: ranges.iter().map(|&(l, u)| AckRange::new(l, u)).collect(),
        is_final,
        nacks: vec![],
        buffer_remaining: buffer,
    }
}

fn all_messages(version: ReliableMessagingVersion) -> Vec<ProtocolMessage<Message>> {
    let v11 = version.is_11();
    let isb = v11.then_some(IncompleteSequenceBehavior::DiscardFollowingFirstGap);
    let mut out = vec![
        ProtocolMessage::new(ProtocolBody::CreateSequence(CreateSequence {
            acks_to: "http://www.w3.org/2005/08/addressing/anonymous".into(),
            expires: None,
            offer: Some(Offer {
                identifier: "urn:uuid:066b4730-fc82-458a-a5c1-210be4fb4e4e".into(),
                endpoint: v11.then(|| "http://www.w3.org/2005/08/addressing/anonymous".into()),
                expires: Some("PT1M".into()),
                incomplete_sequence_behavior: isb,
            }),
        })),
        ProtocolMessage::new(ProtocolBody::CreateSequence(CreateSequence {
            acks_to: "http://host/a?x=1&y=<2>".into(),
            expires: Some("PT10M".into()),
            offer: None,
        })),
        ProtocolMessage::new(ProtocolBody::CreateSequenceResponse(
            CreateSequenceResponse {
                identifier: ID.into(),
                expires: Some("PT1M".into()),
                incomplete_sequence_behavior: isb,
                accept: Some(Accept {
                    acks_to: "http://host/svc".into(),
                }),
            },
        )),
        ProtocolMessage::new(ProtocolBody::CreateSequenceResponse(
            CreateSequenceResponse {
                identifier: "my:any-uri".into(),
                expires: None,
                incomplete_sequence_behavior: None,
                accept: None,
            },
        )),
        ProtocolMessage::new(ProtocolBody::TerminateSequence(TerminateSequence {
            identifier: ID.into(),
            last_msg_number: v11.then_some(3),
        })),
        ProtocolMessage::acknowledgement(ack(&[(1, 3), (5, 9)], false, Some(7))),
        ProtocolMessage::acknowledgement(ack(&[], false, None)),
        ProtocolMessage::ack_requested(ID),
        {
            let mut m = ProtocolMessage::new(ProtocolBody::Sequence {
                header: SequenceHeader {
                    identifier: ID.into(),
                    message_number: 9_223_372_036_854_775_807,
                    last_message: false,
                },
                payload: Some(Message::new(
                    MV,
                    "http://example.org/echo/IEcho/Echo",
                    SoapBody::Payload(XmlFragment::new(
                        &b"<Echo xmlns=\"http://example.org/echo\"><s>hi</s></Echo>"[..],
                    )),
                )),
            });
            m.acknowledgement = Some(ack(&[(1, 1)], false, Some(0)));
            m.ack_requested = Some(AckRequested {
                identifier: ID.into(),
                message_number: None,
            });
            m
        },
    ];
    let faults = [
        WsrmFault::SequenceTerminated {
            identifier: ID.into(),
            code: SoapFaultCode::Receiver,
            reason: "The retries were exhausted.".into(),
        },
        WsrmFault::UnknownSequence {
            identifier: ID.into(),
        },
        WsrmFault::InvalidAcknowledgement {
            identifier: ID.into(),
            reason: "Message 9 was never sent.".into(),
        },
        WsrmFault::MessageNumberRollover {
            identifier: ID.into(),
            max_message_number: 9_223_372_036_854_775_807,
        },
        WsrmFault::connection_limit_reached("http://host/svc"),
        WsrmFault::CreateSequenceRefused {
            code: SoapFaultCode::Sender,
            reason: "No offer.".into(),
            connection_limit_reached: false,
        },
    ];
    out.extend(faults.into_iter().map(ProtocolMessage::fault));
    if v11 {
        out.extend([
            ProtocolMessage::acknowledgement(ack(&[(1, 30)], true, Some(8))),
            ProtocolMessage::acknowledgement(ack(&[], true, None)),
            ProtocolMessage::new(ProtocolBody::CloseSequence(CloseSequence {
                identifier: ID.into(),
                last_msg_number: Some(3),
            })),
            ProtocolMessage::new(ProtocolBody::CloseSequence(CloseSequence {
                identifier: ID.into(),
                last_msg_number: None,
            })),
            ProtocolMessage::new(ProtocolBody::CloseSequenceResponse(ID.into())),
            ProtocolMessage::new(ProtocolBody::TerminateSequenceResponse(ID.into())),
            ProtocolMessage::fault(WsrmFault::SequenceClosed {
                identifier: ID.into(),
            }),
            ProtocolMessage::fault(WsrmFault::WsrmRequired),
        ]);
    } else {
        out.extend([
            ProtocolMessage::new(ProtocolBody::Sequence {
                header: SequenceHeader {
                    identifier: ID.into(),
                    message_number: 4,
                    last_message: true,
                },
                payload: None,
            }),
            ProtocolMessage::fault(WsrmFault::LastMessageNumberExceeded {
                identifier: ID.into(),
            }),
        ]);
    }
    out
}

#[test]
fn every_message_round_trips_in_both_versions() {
    for version in [V10, V11] {
        for m in all_messages(version) {
            let back = round_trip(version, &m);
            match (&m.body, &back.body) {
                // The payload comes back as a parsed message: compare what matters.
                (
                    ProtocolBody::Sequence {
                        header: h1,
                        payload: Some(p1),
                    },
                    ProtocolBody::Sequence {
                        header: h2,
                        payload: Some(p2),
                    },
                ) => {
                    assert_eq!(h1, h2);
                    assert_eq!(p1.action(), p2.action());
                    assert!(p2.headers.other.is_empty(), "WS-RM headers taken out");
                    assert!(matches!(p2.body, SoapBody::Payload(_)));
                }
                _ => assert_eq!(m.body, back.body, "{version:?} {}", m.kind()),
            }
            assert_eq!(m.acknowledgement, back.acknowledgement, "{version:?}");
            assert_eq!(m.ack_requested, back.ack_requested, "{version:?}");
        }
    }
}

#[test]
fn writes_wcf_layout_and_actions() {
    let m = write_message(
        V10,
        MV,
        &ProtocolMessage::acknowledgement(ack(&[(1, 1)], false, Some(1))),
    )
    .unwrap();
    assert_eq!(
        m.action(),
        "http://schemas.xmlsoap.org/ws/2005/02/rm/SequenceAcknowledgement"
    );
    let xml = std::str::from_utf8(&m.headers.other[0].xml.xml)
        .unwrap()
        .to_owned();
    assert_eq!(
        xml,
        "<r:SequenceAcknowledgement xmlns:r=\"http://schemas.xmlsoap.org/ws/2005/02/rm\">\
         <r:Identifier>urn:uuid:b92af031-1787-4e12-ab8b-45673200000000</r:Identifier>\
         <r:AcknowledgementRange Upper=\"1\" Lower=\"1\"/><netrm:BufferRemaining \
         xmlns:netrm=\"http://schemas.microsoft.com/ws/2006/05/rm\">1</netrm:BufferRemaining>\
         </r:SequenceAcknowledgement>"
    );
    let empty10 = acknowledgement_header(V10, MV.envelope, &ack(&[], false, None)).unwrap();
    assert!(std::str::from_utf8(&empty10.xml.xml)
        .unwrap()
        .contains("Upper=\"0\" Lower=\"0\""));
    let seq = sequence_header(
        V11,
        MV.envelope,
        &SequenceHeader {
            identifier: ID.into(),
            message_number: 1,
            last_message: false,
        },
    )
    .unwrap();
    assert!(seq.must_understand);
    assert!(std::str::from_utf8(&seq.xml.xml)
        .unwrap()
        .contains("s:mustUnderstand=\"1\""));
    let fault = write_message(V11, MV, &ProtocolMessage::fault(WsrmFault::WsrmRequired)).unwrap();
    assert_eq!(
        fault.action(),
        "http://docs.oasis-open.org/ws-rx/wsrm/200702/fault"
    );
    let fault = write_message(
        V10,
        MV,
        &ProtocolMessage::fault(WsrmFault::UnknownSequence {
            identifier: ID.into(),
        }),
    )
    .unwrap();
    assert_eq!(
        fault.action(),
        "http://www.w3.org/2005/08/addressing/soap/fault"
    );
    assert_eq!(
        WsrmAction::from_uri("http://docs.oasis-open.org/ws-rx/wsrm/200702/fault", V11),
        Some(WsrmAction::Fault)
    );
    assert_eq!(WsrmAction::from_uri(LAST_MESSAGE_ACTION_10, V11), None);
}

#[test]
fn version_mismatches_are_errors() {
    let unsupported =
        |r: Result<Message, WireError>| matches!(r, Err(WireError::Unsupported { .. }));
    assert!(unsupported(write_message(
        V10,
        MV,
        &ProtocolMessage::new(ProtocolBody::CloseSequenceResponse(ID.into()))
    )));
    assert!(unsupported(write_message(
        V10,
        MV,
        &ProtocolMessage::new(ProtocolBody::TerminateSequenceResponse(ID.into()))
    )));
    assert!(unsupported(write_message(
        V10,
        MV,
        &ProtocolMessage::acknowledgement(ack(&[(1, 1)], true, None))
    )));
    assert!(unsupported(write_message(
        V10,
        MV,
        &ProtocolMessage::fault(WsrmFault::WsrmRequired)
    )));
    assert!(unsupported(write_message(
        V11,
        MV,
        &ProtocolMessage::new(ProtocolBody::Sequence {
            header: SequenceHeader {
                identifier: ID.into(),
                message_number: 1,
                last_message: true
            },
            payload: None,
        })
    )));
    assert!(write_message(V10, MV, &ProtocolMessage::new(ProtocolBody::Empty)).is_err());
}

#[test]
fn soap11_faults_carry_a_sequence_fault_header() {
    let fault = WsrmFault::UnknownSequence {
        identifier: ID.into(),
    };
    for version in [V10, V11] {
        let m = write_message(
            version,
            MessageVersion::SOAP11,
            &ProtocolMessage::fault(fault.clone()),
        )
        .unwrap();
        assert!(m.headers.other[0]
            .name
            .is(version.namespace(), "SequenceFault"));
        let mut bytes = Vec::new();
        write_envelope(&m, &mut bytes).unwrap();
        let parsed = read_envelope(bytes.into(), MessageVersion::SOAP11, &q()).unwrap();
        let back = read_message(version, parsed, &q()).unwrap();
        assert_eq!(back.body, ProtocolBody::Fault(fault.clone()));
    }
}

fn header(version: ReliableMessagingVersion, local: &str, inner: &str) -> RawHeader {
    let xml = format!(
        "<w:{local} xmlns:w=\"{}\" xmlns:x=\"urn:ext\" x:attr=\"1\">{inner}</w:{local}>",
        version.namespace()
    );
    RawHeader {
        name: QualifiedName::new(version.namespace(), local),
        must_understand: false,
        xml: XmlFragment::new(xml.into_bytes()),
    }
}

fn invalid_ack(version: ReliableMessagingVersion, inner: &str) -> bool {
    let h = header(version, "SequenceAcknowledgement", inner);
    matches!(
        read_acknowledgement(version, &h, &q()),
        Err(WireError::Fault(WsrmFault::InvalidAcknowledgement { .. }))
    )
}

#[test]
fn tolerant_reading() {
    // Final before the range (gSOAP), extensions and whitespace anywhere.
    let h = header(
        V11,
        "SequenceAcknowledgement",
        " <w:Final/> <x:ext><w:Identifier>nested-ignored</w:Identifier></x:ext>\
         <w:AcknowledgementRange Lower=\" 1\" Upper=\"+0003\" x:y=\"z\"/>\
         <w:Identifier> any:uri </w:Identifier>",
    );
    let a = read_acknowledgement(V11, &h, &q()).unwrap();
    assert_eq!(a.identifier, "any:uri");
    assert_eq!(a.ranges, vec![AckRange::new(1, 3)]);
    assert!(a.is_final);
    // 1.0 AckRequested with either optional number child.
    for child in ["MessageNumber", "MaxMessageNumberUsed"] {
        let h = header(
            V10,
            "AckRequested",
            &format!("<w:Identifier>a:b</w:Identifier><w:{child}>5</w:{child}>"),
        );
        assert_eq!(
            read_ack_requested(V10, &h, &q()).unwrap().message_number,
            Some(5)
        );
    }
}

#[test]
fn strict_bounds() {
    let id = "<w:Identifier>a:b</w:Identifier>";
    let range = |l: &str, u: &str| format!("<w:AcknowledgementRange Lower=\"{l}\" Upper=\"{u}\"/>");
    let too_many: String = (1..=129u64)
        .map(|n| range(&(2 * n).to_string(), &(2 * n).to_string()))
        .collect();
    let exactly: String = (1..=128u64)
        .map(|n| range(&(2 * n).to_string(), &(2 * n).to_string()))
        .collect();
    assert!(invalid_ack(V11, &format!("{id}{too_many}")));
    let ok = read_acknowledgement(
        V11,
        &header(V11, "SequenceAcknowledgement", &format!("{id}{exactly}")),
        &q(),
    )
    .unwrap();
    assert_eq!(ok.ranges.len(), 128);
    for bad in [
        range("0", "3"),
        range("4", "3"),
        range("1", "9223372036854775808"),
        range("1", "18446744073709551616"),
        range("-1", "3"),
        range("x", "3"),
        "<w:AcknowledgementRange Lower=\"1\"/>".to_owned(),
        format!("{}<w:None/>", range("1", "1")),
        String::new(),
    ] {
        assert!(invalid_ack(V11, &format!("{id}{bad}")), "{bad}");
    }
    // 1.0 `0-0` is "nothing yet"; in 1.1 it is invalid.
    let zero = read_acknowledgement(
        V10,
        &header(
            V10,
            "SequenceAcknowledgement",
            &format!("{id}{}", range("0", "0")),
        ),
        &q(),
    )
    .unwrap();
    assert!(zero.ranges.is_empty());
    assert!(invalid_ack(V11, &format!("{id}{}", range("0", "0"))));
    // BufferRemaining: negative or repeated is an error.
    let netrm = |v: &str| {
        format!("<n:BufferRemaining xmlns:n=\"{NETRM_NAMESPACE}\">{v}</n:BufferRemaining>")
    };
    for bad in [
        netrm("-1"),
        netrm("2147483648"),
        format!("{}{}", netrm("1"), netrm("2")),
    ] {
        let h = header(
            V10,
            "SequenceAcknowledgement",
            &format!("{id}{}{bad}", range("1", "1")),
        );
        assert!(matches!(
            read_acknowledgement(V10, &h, &q()),
            Err(WireError::Invalid { .. })
        ));
    }
    // Sequence numbers.
    let seq = |n: &str| {
        header(
            V11,
            "Sequence",
            &format!("{id}<w:MessageNumber>{n}</w:MessageNumber>"),
        )
    };
    assert!(matches!(
        read_sequence_header(V11, &seq("9223372036854775808"), &q()),
        Err(WireError::Fault(WsrmFault::MessageNumberRollover { .. }))
    ));
    for bad in ["0", "", "1.5", "99999999999999999999999"] {
        assert!(read_sequence_header(V11, &seq(bad), &q()).is_err(), "{bad}");
    }
    assert!(read_sequence_header(V11, &header(V11, "Sequence", id), &q()).is_err());
    assert!(read_sequence_header(
        V11,
        &header(
            V11,
            "Sequence",
            &format!("{id}{id}<w:MessageNumber>1</w:MessageNumber>")
        ),
        &q()
    )
    .is_err());
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let inputs = [
        "<w:Sequence",
        "not xml at all <",
        "<w:Sequence xmlns:w=\"http://docs.oasis-open.org/ws-rx/wsrm/200702\"><w:Identifier><b/></w:Identifier></w:Sequence>",
        "<Sequence/>",
    ];
    for input in inputs {
        let h = RawHeader {
            name: QualifiedName::new(V11.namespace(), "Sequence"),
            must_understand: true,
            xml: XmlFragment::new(input.as_bytes().to_vec()),
        };
        assert!(read_sequence_header(V11, &h, &q()).is_err(), "{input}");
        assert!(read_create_sequence(V11, &h.xml, &q()).is_err(), "{input}");
    }
}

/// The SOAP envelopes of an HTTP capture, in order.
fn envelopes(capture: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = capture;
    while let Some(start) = rest.find("<SOAP-ENV:Envelope") {
        let end_tag = "</SOAP-ENV:Envelope>";
        let Some(end) = rest[start..].find(end_tag) else {
            break;
        };
        out.push(rest[start..start + end + end_tag.len()].to_owned());
        rest = &rest[start + end + end_tag.len()..];
    }
    out
}

fn read_capture(version: ReliableMessagingVersion, capture: &str) -> Vec<ProtocolMessage<Message>> {
    envelopes(capture)
        .into_iter()
        .map(|e| {
            let m = read_envelope(e.into_bytes().into(), MV, &q()).unwrap();
            read_message(version, m, &q()).unwrap()
        })
        .collect()
}

#[test]
fn reads_the_gsoap_wsrm11_capture() {
    let msgs = read_capture(V11, include_str!("testdata/gsoap-wsrm11-http.txt"));
    let kinds: Vec<_> = msgs.iter().map(|m| m.kind()).collect();
    let mut expected = vec!["CreateSequence", "CreateSequenceResponse"];
    expected.extend(["Sequence"; 4]);
    expected.extend([
        "CloseSequence",
        "CloseSequenceResponse",
        "TerminateSequence",
        "TerminateSequenceResponse",
    ]);
    assert_eq!(kinds, expected);
    let ProtocolBody::CreateSequence(cs) = &msgs[0].body else {
        panic!()
    };
    let offer = cs.offer.as_ref().unwrap();
    assert!(offer.identifier.starts_with("urn:uuid:"));
    assert!(offer.endpoint.is_some());
    let sequences: Vec<_> = msgs
        .iter()
        .filter_map(|m| match &m.body {
            ProtocolBody::Sequence {
                header,
                payload: Some(_),
            } => Some(header.message_number),
            _ => None,
        })
        .collect();
    assert!(sequences.contains(&3));
    // Replies piggy-back acks with BufferRemaining; the last one is Final (written first).
    assert!(msgs.iter().any(|m| m
        .acknowledgement
        .as_ref()
        .is_some_and(|a| a.buffer_remaining.is_some())));
    let last = msgs.last().unwrap().acknowledgement.as_ref().unwrap();
    assert!(last.is_final);
    assert!(!last.ranges.is_empty());
    assert!(msgs.iter().any(|m| m.ack_requested.is_some()));
    let Some(ProtocolBody::CloseSequence(close)) = msgs
        .iter()
        .map(|m| &m.body)
        .find(|b| matches!(b, ProtocolBody::CloseSequence(_)))
    else {
        panic!()
    };
    assert_eq!(close.last_msg_number, Some(3));
}

#[test]
fn reads_the_gsoap_wsrm10_capture() {
    let text = include_str!("testdata/gsoap-wsrm10-http.txt");
    let all = envelopes(text);
    let mut kinds = Vec::new();
    for e in all {
        let m = read_envelope(e.into_bytes().into(), MV, &q()).unwrap();
        match read_message(V10, m, &q()) {
            Ok(p) => {
                if let ProtocolBody::CreateSequence(cs) = &p.body {
                    // gSOAP sends 1.1's Offer children in 1.0 too; they are skipped.
                    assert_eq!(cs.offer.as_ref().unwrap().endpoint, None);
                }
                kinds.push(p.kind());
            }
            Err(e) => panic!("{e}"),
        }
    }
    // Request and reply for each of 3 echoes and the LastMessage exchange; gSOAP answers
    // TerminateSequence with a TerminateSequence of the offered sequence (peers.md §6).
    let mut expected = vec!["CreateSequence", "CreateSequenceResponse"];
    expected.extend(["Sequence"; 6]);
    expected.extend(["LastMessage", "TerminateSequence", "TerminateSequence"]);
    assert_eq!(kinds, expected);
}

#[test]
fn the_gsoap_wsrm10_last_message_is_marked() {
    let msgs = read_capture(V10, include_str!("testdata/gsoap-wsrm10-http.txt"));
    let last = msgs
        .iter()
        .find_map(|m| match &m.body {
            ProtocolBody::Sequence {
                header,
                payload: None,
            } => Some(header),
            _ => None,
        })
        .unwrap();
    assert!(last.last_message);
}

#[test]
fn survives_byte_flips() {
    // Every protocol message, each byte replaced in turn: errors are fine, panics are not.
    for version in [V10, V11] {
        for m in all_messages(version) {
            let written = write_message(version, MV, &m).unwrap();
            let mut bytes = Vec::new();
            write_envelope(&written, &mut bytes).unwrap();
            for i in (0..bytes.len()).step_by(3) {
                for b in [b'<', b'"', b'0', b'x'] {
                    let mut flipped = bytes.clone();
                    flipped[i] = b;
                    if let Ok(parsed) = read_envelope(flipped.into(), MV, &q()) {
                        let _ = read_message(version, parsed, &q());
                    }
                }
            }
        }
    }
}
