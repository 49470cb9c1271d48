//! The direct routes (message model <-> records) against the text routes they short-cut:
//! wherever a direct route accepts, it must give exactly what the text route gives, bytes
//! and session tables when writing, the same `Message` when reading.

use super::super::direct_read;
use super::super::direct_write;
use super::super::encoder::{decode_document, decode_via_text, encode_via_text};
use super::super::XmlEvent;
use super::super::*;
use super::generator::document;
use super::roundtrip::to_text;
use super::{sized_envelopes, Rng, C2S, S2C};
use crate::message::{
    ns, Body, FaultCode, Message, MessageFault, MessageVersion, QualifiedName, RawHeader,
    ReaderQuotas, XmlFragment,
};

const HEADER_VALUES: &[&str] = &[
    "",
    "1",
    "true",
    " padded ",
    "http://example.org/calc/ICalc/Add",
    "urn:uuid:97eba9c4-dfb0-4899-9019-4b5005bef575",
    "http://www.w3.org/2005/08/addressing/anonymous",
    "net.tcp://127.0.0.1:8000/calc",
    "a < b && c > d \"q\"",
    "ünïcödé ✓ 𝄞",
    "tab\there and\nthere",
    // Not eligible for the direct writer: the text route escapes them.
    "cr\r\nlf",
    "ctrl \u{1}",
];

const INHERITED: &[(&str, &str)] = &[
    ("s", ns::SOAP12),
    ("a", ns::WSA10),
    ("", "http://example.org/default"),
    ("s", "urn:other-s"),
    ("z", "urn:example:z"),
    ("xml", "http://www.w3.org/XML/1998/namespace"),
];

fn maybe(rng: &mut Rng) -> Option<String> {
    rng.chance(60).then(|| rng.pick(HEADER_VALUES).to_string())
}

/// A generated document, mostly without comments and empty declarations (which send the
/// direct reader to the text route) so that both routes get exercised.
fn generated(rng: &mut Rng) -> Vec<u8> {
    let mut events = document(rng);
    if rng.chance(80) {
        events.retain(|e| !matches!(e, XmlEvent::Comment(_)));
        for event in &mut events {
            if let XmlEvent::StartElement { attributes, .. } = event {
                for a in attributes.iter_mut() {
                    if a.declared_prefix().is_some() && a.value.is_empty() {
                        a.value = "urn:was-empty".into();
                    }
                }
            }
        }
    }
    to_text(&events)
}

fn fragment(rng: &mut Rng) -> XmlFragment {
    let mut xml = generated(rng);
    if rng.chance(20) {
        xml.extend_from_slice(b" \n");
        xml.extend_from_slice(&generated(rng));
    }
    let mut inherited: Vec<(String, String)> = Vec::new();
    for _ in 0..rng.below(3) {
        let (p, u) = *rng.pick(INHERITED);
        if !inherited.iter().any(|(q, _)| q == p) {
            inherited.push((p.to_owned(), u.to_owned()));
        }
    }
    XmlFragment {
        xml: xml.into(),
        inherited_namespaces: inherited,
        typed: Vec::new(),
    }
}

fn message(rng: &mut Rng) -> Message {
    let version = if rng.chance(85) {
        MessageVersion::SOAP12_WSA10
    } else {
        MessageVersion::SOAP11
    };
    let body = match rng.below(10) {
        0 => Body::Empty,
        1 => Body::Fault(MessageFault::new(
            FaultCode::sender(QualifiedName::new("urn:example:z", "Oops")),
            "went wrong",
        )),
        _ => Body::Payload(fragment(rng)),
    };
    let mut message = Message::new(version, rng.pick(HEADER_VALUES).to_string(), body);
    if rng.chance(10) {
        message.headers.action = None;
    }
    message.headers.message_id = maybe(rng);
    message.headers.to = maybe(rng);
    message.headers.reply_to = maybe(rng);
    message.headers.relates_to = maybe(rng);
    for _ in 0..rng.below(3) {
        message.headers.other.push(RawHeader {
            name: QualifiedName::new("urn:example:h", "H"),
            must_understand: false,
            xml: fragment(rng),
        });
    }
    message
}

#[test]
fn the_direct_writer_writes_what_the_text_route_writes() {
    let mut direct_count = 0;
    for quota in [DEFAULT_MAX_SESSION_SIZE, 64] {
        let mut rng = Rng::new(quota as u64 + 7);
        let mut direct = WriterSession::with_quota(quota);
        let mut text = WriterSession::with_quota(quota);
        for seed in 0..400 {
            let message = message(&mut rng);
            let expected = encode_via_text(&message, Some(&mut text));
            if direct_write::eligible(&message) {
                let got = write_message(Some(&mut direct), |w| direct_write::write(&message, w));
                match (&got, &expected) {
                    (Ok(got), Ok(expected)) => {
                        direct_count += 1;
                        assert_eq!(got, expected, "seed {seed}, quota {quota}: {message:?}");
                    }
                    // Both refuse, or only the direct route does (it then defers): the
                    // session must be as the text route left it, checked below.
                    (Err(_), _) => {
                        let again = encode_via_text(&message, Some(&mut direct));
                        assert_eq!(again.is_ok(), expected.is_ok(), "seed {seed}");
                    }
                    (Ok(_), Err(e)) => {
                        panic!("seed {seed}: direct accepted what the text route refuses ({e}): {message:?}")
                    }
                }
            } else {
                let again = encode_via_text(&message, Some(&mut direct));
                assert_eq!(again, expected, "seed {seed}");
            }
            assert_eq!(
                direct.len(),
                text.len(),
                "seed {seed}: session tables diverged"
            );
        }
    }
    assert!(
        direct_count > 300,
        "the direct writer took only {direct_count} messages"
    );
}

/// Decodes `document` both ways; returns whether the direct route accepted it.
fn compare_reads(
    document: &[u8],
    base: usize,
    strings: &[String],
    version: MessageVersion,
) -> bool {
    match read_both_ways(document, base, strings, version) {
        (None, _) => false,
        (Some(direct), Ok(text)) => {
            assert_eq!(direct, text, "document {document:02X?}");
            true
        }
        (Some(direct), Err(failure)) => {
            panic!("direct read {direct:?} where the text route fails: {failure:?}")
        }
    }
}

/// `document` read by the direct route and by the text route, at the default quotas.
fn read_both_ways(
    document: &[u8],
    base: usize,
    strings: &[String],
    version: MessageVersion,
) -> (
    Option<Message>,
    Result<Message, super::super::encoder::Failure>,
) {
    let quotas = ReaderQuotas::default();
    let limits = BinaryLimits::from_quotas(&quotas);
    (
        direct_read::read(document, base, strings, &limits, version, &quotas),
        decode_via_text(document, base, strings, &limits, version, &quotas),
    )
}

#[test]
fn the_direct_reader_reads_what_the_text_route_reads() {
    let mut accepted = 0;
    let mut total = 0;
    for quota in [DEFAULT_MAX_SESSION_SIZE, 64] {
        let mut rng = Rng::new(quota as u64 + 11);
        let mut writer = WriterSession::with_quota(quota);
        let mut reader = ReaderSession::with_quota(quota);
        for _ in 0..400 {
            let message = message(&mut rng);
            let Ok(bytes) = encode_via_text(&message, Some(&mut writer)) else {
                continue;
            };
            let table = reader.read_table(&bytes).expect("our own table");
            total += 1;
            if compare_reads(&bytes[table..], table, reader.strings(), message.version) {
                accepted += 1;
            }
        }
    }
    assert!(
        accepted * 2 > total,
        "direct read took {accepted} of {total}"
    );
}

#[test]
fn the_direct_reader_agrees_on_hand_written_envelopes() {
    let soap = ns::SOAP12;
    let wsa = ns::WSA10;
    let cases = [
        // Ordinary, other prefixes, default namespaces.
        format!(
            r#"<s:Envelope xmlns:s="{soap}" xmlns:a="{wsa}"><s:Header><a:Action s:mustUnderstand="1">x</a:Action></s:Header><s:Body><A xmlns="urn:a"><b>1</b></A></s:Body></s:Envelope>"#
        ),
        format!(
            r#"<env:Envelope xmlns:env="{soap}"><env:Header><wsa:To xmlns:wsa="{wsa}"> t </wsa:To><wsa:ReplyTo xmlns:wsa="{wsa}"><x/><wsa:Address>r</wsa:Address><wsa:Address>second</wsa:Address></wsa:ReplyTo></env:Header><env:Body/></env:Envelope>"#
        ),
        format!(
            r#"<Envelope xmlns="{soap}"><Header/><Body> <A xmlns="urn:a"/> <B xmlns="urn:b">t</B> </Body></Envelope>"#
        ),
        // Headers kept verbatim, with mustUnderstand in its forms and inherited prefixes.
        format!(
            r#"<s:Envelope xmlns:s="{soap}" xmlns:z="urn:z"><s:Header><z:H s:mustUnderstand="true" z:k="v">1</z:H><z:H mustUnderstand="1"/><z:H s:mustUnderstand=" 1 "/><q:H xmlns:q="urn:q" xmlns:z="urn:z2"><z:c/></q:H></s:Header><s:Body/></s:Envelope>"#
        ),
        // What the text route refuses or handles its own way: the direct route must defer.
        format!(
            r#"<s:Envelope xmlns:s="{soap}"><s:Header><a:RelatesTo xmlns:a="{wsa}">r</a:RelatesTo><a:RelatesTo xmlns:a="{wsa}">again</a:RelatesTo></s:Header><s:Body/></s:Envelope>"#
        ),
        format!(
            r#"<s:Envelope xmlns:s="{soap}"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason><s:Text xml:lang="en">r</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"#
        ),
        format!(r#"<s:Envelope xmlns:s="{soap}"><s:Body>text<A/></s:Body></s:Envelope>"#),
        format!(r#"<s:Envelope xmlns:s="{soap}"><s:Body><!-- c --><A/></s:Body></s:Envelope>"#),
        format!(r#"<s:Envelope xmlns:s="{soap}"><s:Body/><s:Extra/></s:Envelope>"#),
        format!(r#"<s:Envelope xmlns:s="{soap}"><s:Header/><s:Header/><s:Body/></s:Envelope>"#),
        format!(r#"<s:Envelope xmlns:s="{soap}"><s:Body><q:A/></s:Body></s:Envelope>"#),
        format!(
            r#"<s:Envelope xmlns:s="{soap}"><s:Header><a:Action xmlns:a="{wsa}"><x/></a:Action></s:Header><s:Body/></s:Envelope>"#
        ),
        format!(
            r#"<s:Envelope xmlns:s="{}"><s:Body/></s:Envelope>"#,
            ns::SOAP11
        ),
        format!(r#"<s:Envelope xmlns:s="{soap}"><s:Body xmlns=""><A/></s:Body></s:Envelope>"#),
        format!(r#"<s:Envelope xmlns:s="{soap}"/>"#),
        format!(
            r#"<s:Envelope xmlns:s="{soap}"><s:Header><a:Action xmlns:a="{wsa}">{}</a:Action></s:Header><s:Body/></s:Envelope>"#,
            "x".repeat(9000)
        ),
    ];
    let mut accepted = 0;
    for (i, xml) in cases.iter().enumerate() {
        let mut writer = WriterSession::new();
        let bytes = text_to_binary(xml.as_bytes(), Some(&mut writer)).expect("transcodes");
        let mut reader = ReaderSession::new();
        let table = reader.read_table(&bytes).expect("table");
        if compare_reads(
            &bytes[table..],
            table,
            reader.strings(),
            MessageVersion::SOAP12_WSA10,
        ) {
            accepted += 1;
        } else {
            assert!(i >= 4, "case {i} should take the direct route: {xml}");
        }
    }
    assert_eq!(accepted, 4);
}

#[test]
fn the_direct_reader_defers_duplicate_attributes() {
    // Text XML cannot even carry these; binary can.
    let start = |prefix: &'static str, local: &'static str, attributes| XmlEvent::StartElement {
        prefix: prefix.into(),
        local: local.into(),
        attributes,
    };
    let events = [
        start("s", "Envelope", vec![Attribute::xmlns("s", ns::SOAP12)]),
        start("s", "Body", Vec::new()),
        start(
            "",
            "A",
            vec![Attribute::new("", "a", "1"), Attribute::new("", "a", "2")],
        ),
        XmlEvent::EndElement,
        XmlEvent::EndElement,
        XmlEvent::EndElement,
    ];
    let bytes = write_message(None, |w| events.iter().try_for_each(|e| w.event(e.clone())))
        .expect("writes");
    assert!(!compare_reads(&bytes, 0, &[], MessageVersion::SOAP12_WSA10));
}

#[test]
fn the_direct_reader_agrees_on_the_mono_capture() {
    for stream in [C2S, S2C] {
        let mut reader = ReaderSession::new();
        for frame in sized_envelopes(stream) {
            let table = reader.read_table(frame).expect("table");
            let direct = compare_reads(
                &frame[table..],
                table,
                reader.strings(),
                MessageVersion::SOAP12_WSA10,
            );
            assert!(direct, "a Mono message took the text route");
        }
    }
}

#[test]
fn the_direct_reader_agrees_on_damaged_messages() {
    let mut rng = Rng::new(99);
    let mut writer = WriterSession::new();
    let mut reader = ReaderSession::new();
    let mut frames = Vec::new();
    for _ in 0..20 {
        let message = message(&mut rng);
        if let Ok(bytes) = encode_via_text(&message, Some(&mut writer)) {
            let table = reader.read_table(&bytes).expect("table");
            frames.push((bytes, table, message.version));
        }
    }
    let strings = reader.strings().to_vec();
    for _ in 0..3000 {
        let (frame, table, version) = rng.pick(&frames);
        let mut damaged = frame[*table..].to_vec();
        if damaged.is_empty() {
            continue;
        }
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(damaged.len());
            damaged[at] = rng.next_u64() as u8;
        }
        compare_reads(&damaged, *table, &strings, *version);
    }
}

/// quick-xml's events for `xml`, for comparison with the scanner's.
fn quick_xml_events(xml: &str) -> Option<Vec<XmlEvent<'static>>> {
    let mut events = OwnedEvents::default();
    parse_text(xml.as_bytes(), &mut events).ok()?;
    Some(events.0)
}

fn compare_scan(xml: &str) -> bool {
    let mut scanned = Vec::new();
    if !super::super::fragment_scan::scan(xml, &mut scanned) {
        return false;
    }
    let scanned: Vec<XmlEvent<'static>> = scanned.into_iter().map(XmlEvent::into_owned).collect();
    assert_eq!(Some(scanned), quick_xml_events(xml), "{xml:?}");
    true
}

#[test]
fn the_fragment_scanner_reads_what_quick_xml_reads() {
    let mut rng = Rng::new(5);
    let mut scanned = 0;
    for _ in 0..2000 {
        let xml = generated(&mut rng);
        let xml = String::from_utf8(xml).expect("UTF-8");
        if compare_scan(&xml) {
            scanned += 1;
        }
    }
    assert!(scanned > 500, "scanned only {scanned}");
    for (xml, plain) in [
        (
            r#"<Echo xmlns="http://tempuri.org/"><text>xxx</text></Echo>"#,
            true,
        ),
        (
            r#"<a:E xmlns:a="urn:a" a:k="v" k="w"><b/> text <c  x="1"	y="2" /></a:E>"#,
            true,
        ),
        (" lead <a/> trail ", true),
        ("<a>\u{e9}l\u{e9}ment \u{1d11e}</a>", true),
        ("<a>x &amp; y</a>", false),
        ("<a>line\r\nend</a>", false),
        ("<a k='v'/>", false),
        ("<a k=\"t\tab\"/>", false),
        ("<a k = \"v\"/>", false),
        ("<a k=\"1\" k=\"2\"/>", false),
        ("<a><!-- c --></a>", false),
        ("<a><![CDATA[x]]></a>", false),
        ("<?pi x?><a/>", false),
        ("<a></b>", false),
        ("<a></a >", false),
        ("<a>", false),
        ("</a>", false),
        ("<a b=\"1\"c=\"2\"/>", false),
        ("<a:b:c/>", false),
        ("<a / >", false),
    ] {
        assert_eq!(compare_scan(xml), plain, "{xml:?}");
    }
}

#[test]
fn documents_with_many_records_take_the_streaming_route() {
    let body = format!("<List xmlns=\"urn:l\">{}</List>", "<x>0</x>".repeat(5000));
    let message = Message::new(
        MessageVersion::SOAP12_WSA10,
        "urn:action",
        Body::Payload(XmlFragment::new(body)),
    );
    let bytes = encode_via_text(&message, None).expect("encodes");
    let quotas = ReaderQuotas::default();
    let limits = BinaryLimits::from_quotas(&quotas);
    let version = MessageVersion::SOAP12_WSA10;
    assert!(direct_read::read(&bytes, 0, &[], &limits, version, &quotas).is_none());
    let decoded = decode_document(&bytes, 0, &[], &limits, version, &quotas).expect("decodes");
    let via_text = decode_via_text(&bytes, 0, &[], &limits, version, &quotas).expect("decodes");
    // Compared without Debug output: the body is 40 KB.
    assert!(decoded == via_text, "the routes disagree");
    let (Body::Payload(got), Body::Payload(sent)) = (&decoded.body, &message.body) else {
        panic!("payloads expected");
    };
    assert!(got.xml == sent.xml, "the body changed");
}

/// Typed WS-RM headers (what a reliable session sends) against the fragments the WS-RM
/// writers make of the same values: the same text from the text encoder, the same bytes and
/// session tables from the direct binary writer, for every shape a header can take.
#[test]
fn typed_wsrm_headers_are_written_as_their_fragments_are() {
    use crate::message::write_envelope;
    use crate::reliable::proto::{
        AckRange, AckRequested, ReliableMessagingVersion, SequenceAcknowledgement, SequenceHeader,
    };
    use crate::reliable::wire::TypedHeaders;

    let mut rng = Rng::new(16);
    let mut typed_session = WriterSession::with_quota(DEFAULT_MAX_SESSION_SIZE);
    let mut raw_session = WriterSession::with_quota(DEFAULT_MAX_SESSION_SIZE);
    let mut direct_count = 0;
    for seed in 0..600 {
        let version = if rng.chance(50) {
            ReliableMessagingVersion::WsReliableMessaging11
        } else {
            ReliableMessagingVersion::WsReliableMessagingFebruary2005
        };
        let identifier = |rng: &mut Rng| rng.pick(HEADER_VALUES).to_string();
        let number = |rng: &mut Rng| match rng.below(3) {
            0 => 1 + rng.below(9) as u64,
            1 => 1 + rng.next_u64() % 100_000,
            _ => i64::MAX as u64,
        };
        let sequence = rng.chance(70).then(|| SequenceHeader {
            identifier: identifier(&mut rng),
            message_number: number(&mut rng),
            last_message: !version.is_11() && rng.chance(20),
        });
        let acknowledgement = rng.chance(70).then(|| {
            let mut ack = SequenceAcknowledgement {
                identifier: identifier(&mut rng),
                ..SequenceAcknowledgement::default()
            };
            match rng.below(4) {
                0 => {}
                1 => ack.nacks = (0..1 + rng.below(3)).map(|_| number(&mut rng)).collect(),
                _ => {
                    for _ in 0..1 + rng.below(4) {
                        let lower = number(&mut rng);
                        ack.ranges.push(AckRange {
                            lower,
                            upper: lower + rng.below(50) as u64,
                        });
                    }
                }
            }
            ack.is_final = version.is_11() && rng.chance(20);
            ack.buffer_remaining = rng.chance(60).then(|| rng.below(9000) as u32);
            ack
        });
        let ack_requested = rng.chance(40).then(|| AckRequested {
            identifier: identifier(&mut rng),
            message_number: None,
        });
        if sequence.is_none() && acknowledgement.is_none() && ack_requested.is_none() {
            continue; // the writer never makes an empty set
        }
        let typed = TypedHeaders::new(version, sequence, acknowledgement, ack_requested)
            .expect("values the version can say");
        let mut with_typed = message(&mut rng);
        if matches!(with_typed.body, Body::Fault(_)) {
            with_typed.body = Body::Empty;
        }
        let mut with_raw = with_typed.clone();
        with_raw.headers.other.extend(
            typed
                .to_raw(with_typed.version.envelope)
                .expect("text form"),
        );
        with_typed.headers.wsrm = Some(Box::new(typed));

        let (mut typed_text, mut raw_text) = (Vec::new(), Vec::new());
        write_envelope(&with_typed, &mut typed_text).expect("typed, as text");
        write_envelope(&with_raw, &mut raw_text).expect("raw, as text");
        assert_eq!(typed_text, raw_text, "seed {seed}: text differs");

        assert_eq!(
            direct_write::eligible(&with_typed),
            direct_write::eligible(&with_raw),
            "seed {seed}: {with_typed:?}"
        );
        if direct_write::eligible(&with_typed) {
            let typed_bytes = write_message(Some(&mut typed_session), |w| {
                direct_write::write(&with_typed, w)
            });
            let raw_bytes = write_message(Some(&mut raw_session), |w| {
                direct_write::write(&with_raw, w)
            });
            if let (Ok(typed_bytes), Ok(raw_bytes)) = (&typed_bytes, &raw_bytes) {
                direct_count += 1;
                assert_eq!(typed_bytes, raw_bytes, "seed {seed}: bytes differ");
            } else {
                assert_eq!(typed_bytes.is_ok(), raw_bytes.is_ok(), "seed {seed}");
            }
            assert_eq!(typed_session.len(), raw_session.len(), "seed {seed}");
        }
    }
    assert!(
        direct_count > 200,
        "only {direct_count} went the direct way"
    );
}

/// WS-RM headers as peers may send them, the plain ones and the odd: whatever the direct
/// reader types, the reliable session must read exactly as it reads the text route's raw
/// headers (the same values, the same error), and what it does not type stays as the text
/// route reads it.
#[test]
fn typed_wsrm_headers_read_as_the_raw_ones_do() {
    const R10: &str = "http://schemas.xmlsoap.org/ws/2005/02/rm";
    const R11: &str = "http://docs.oasis-open.org/ws-rx/wsrm/200702";
    const ID: &str = "urn:uuid:0b5b4b0e-6b9a-4c3e-9d4e-2f1f4c5e6a7b";
    let sequence = |ns: &str, body: &str, attrs: &str| {
        format!(r#"<r:Sequence xmlns:r="{ns}"{attrs}>{body}</r:Sequence>"#)
    };
    let plain_sequence = |ns: &str| {
        sequence(
            ns,
            &format!("<r:Identifier>{ID}</r:Identifier><r:MessageNumber>7</r:MessageNumber>"),
            r#" s:mustUnderstand="1""#,
        )
    };
    let ack = |ns: &str, body: &str| {
        format!(
            r#"<r:SequenceAcknowledgement xmlns:r="{ns}"><r:Identifier>{ID}</r:Identifier>{body}</r:SequenceAcknowledgement>"#
        )
    };
    let netrm = r#"<netrm:BufferRemaining xmlns:netrm="http://schemas.microsoft.com/ws/2006/05/rm">8</netrm:BufferRemaining>"#;
    let mut variants: Vec<Vec<String>> = Vec::new();
    for ns in [R10, R11] {
        variants.extend([
            vec![plain_sequence(ns)],
            vec![
                plain_sequence(ns),
                ack(ns, &format!(r#"<r:AcknowledgementRange Upper="9" Lower="1"/>{netrm}"#)),
            ],
            vec![
                plain_sequence(ns),
                format!(
                    r#"<r:AckRequested xmlns:r="{ns}"><r:Identifier>{ID}</r:Identifier></r:AckRequested>"#
                ),
            ],
            // Odd but valid, or invalid: each must come out as the raw route says.
            vec![sequence(
                ns,
                &format!("<r:Identifier>{ID}</r:Identifier><r:MessageNumber>7</r:MessageNumber><r:LastMessage/>"),
                r#" s:mustUnderstand="1""#,
            )],
            vec![sequence(
                ns,
                &format!("<r:Identifier>{ID}</r:Identifier><r:MessageNumber>7</r:MessageNumber>"),
                "",
            )],
            vec![sequence(
                ns,
                &format!("<r:Identifier> {ID} </r:Identifier><r:MessageNumber> +7 </r:MessageNumber>"),
                r#" s:mustUnderstand="true""#,
            )],
            vec![sequence(
                ns,
                &format!("<r:Identifier>{ID}</r:Identifier><r:MessageNumber>0</r:MessageNumber>"),
                r#" s:mustUnderstand="1""#,
            )],
            vec![sequence(
                ns,
                &format!("<r:Identifier>{ID}</r:Identifier><r:MessageNumber>9223372036854775808</r:MessageNumber>"),
                r#" s:mustUnderstand="1""#,
            )],
            vec![sequence(
                ns,
                &format!("<r:Identifier>{ID}</r:Identifier><r:MessageNumber>7</r:MessageNumber><x:Ext xmlns:x=\"urn:x\">1</x:Ext>"),
                r#" s:mustUnderstand="1""#,
            )],
            vec![plain_sequence(ns), plain_sequence(ns)],
            vec![plain_sequence(R10), plain_sequence(R11)],
            vec![
                plain_sequence(ns),
                ack(ns, r#"<r:AcknowledgementRange Upper="1" Lower="9"/>"#),
            ],
            vec![plain_sequence(ns), ack(ns, "<r:None/>")],
            vec![plain_sequence(ns), ack(ns, "<r:Final/><r:AcknowledgementRange Upper=\"3\" Lower=\"1\"/>")],
            vec![plain_sequence(ns), ack(ns, "<r:Nack>4</r:Nack>")],
            vec![plain_sequence(ns), ack(ns, r#"<r:AcknowledgementRange Upper="0" Lower="0"/>"#)],
            vec![
                plain_sequence(ns),
                ack(ns, r#"<r:AcknowledgementRange Upper="3" Lower="1" Extra="x"/>"#),
            ],
            vec![ack(ns, "")],
        ]);
    }
    let envelope_ns = ns::SOAP12;
    let mut typed_seen = 0;
    for (i, headers) in variants.iter().enumerate() {
        let mut message = Message::new(MessageVersion::SOAP12_WSA10, "urn:test/Echo", Body::Empty);
        for xml in headers {
            let fragment = XmlFragment {
                xml: xml.clone().into_bytes().into(),
                inherited_namespaces: vec![("s".to_owned(), envelope_ns.to_owned())],
                typed: Vec::new(),
            };
            let name = QualifiedName::new("urn:placeholder", "Header");
            message.headers.other.push(RawHeader {
                name,
                must_understand: false,
                xml: fragment,
            });
        }
        let mut writer = WriterSession::with_quota(DEFAULT_MAX_SESSION_SIZE);
        let mut reader = ReaderSession::with_quota(DEFAULT_MAX_SESSION_SIZE);
        let bytes = encode_via_text(&message, Some(&mut writer)).expect("encodes");
        let table = reader.read_table(&bytes).expect("our own table");
        let (direct, text) =
            read_both_ways(&bytes[table..], table, reader.strings(), message.version);
        let text = text.expect("the text route reads it");
        let Some(direct) = direct else {
            continue;
        };
        if direct.headers.wsrm.is_none() {
            assert_eq!(direct, text, "variant {i}: untyped, so as the text route");
            continue;
        }
        typed_seen += 1;
        crate::reliable::wire::assert_typed_reads_as_raw(&direct, &text, &ReaderQuotas::default());
    }
    assert!(typed_seen >= 6, "only {typed_seen} variants were typed");
}
