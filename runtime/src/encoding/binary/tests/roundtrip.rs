//! Write-then-read round trips of generated documents, binary and through text XML, with
//! session tables carried across many messages; plus the record choices of the writer.

use super::super::text::TextWriter;
use super::super::*;
use super::generator::document;
use super::Rng;

fn feed<'a>(events: &[XmlEvent<'a>], sink: &mut impl EventSink<'a>) -> Result<(), BinaryXmlError> {
    for event in events {
        sink.event(event.clone())?;
    }
    Ok(())
}

pub(super) fn to_text(events: &[XmlEvent<'_>]) -> Vec<u8> {
    let mut writer = TextWriter::new(usize::MAX);
    feed(events, &mut writer).expect("text");
    writer.finish().expect("text")
}

#[test]
fn generated_documents_survive_binary_round_trips() {
    for quota in [DEFAULT_MAX_SESSION_SIZE, 64, 0] {
        let mut rng = Rng::new(quota as u64 + 1);
        let mut writer = WriterSession::with_quota(quota);
        let mut reader = ReaderSession::with_quota(quota);
        for seed in 0..150 {
            let doc = document(&mut rng);
            let message = write_message(Some(&mut writer), |w| feed(&doc, w)).expect("writes");
            let table = reader.read_table(&message).expect("table");
            let back = read_events(
                &message[table..],
                reader.strings(),
                &BinaryLimits::default(),
            )
            .unwrap_or_else(|e| panic!("quota {quota} doc {seed}: {e}"));
            assert_eq!(
                normalize_text(back),
                normalize_text(doc),
                "quota {quota} doc {seed}"
            );
        }
        assert_eq!(writer.len(), reader.strings().len());
    }
}

#[test]
fn generated_documents_survive_msbin1_round_trips() {
    let mut rng = Rng::new(7);
    for seed in 0..150 {
        let doc = document(&mut rng);
        let binary = write_message(None, |w| feed(&doc, w)).expect("writes");
        let back = read_events(&binary, &[], &BinaryLimits::default())
            .unwrap_or_else(|e| panic!("doc {seed}: {e}"));
        assert_eq!(normalize_text(back), normalize_text(doc), "doc {seed}");
    }
}

#[test]
fn generated_documents_survive_text_binary_text() {
    let mut rng = Rng::new(99);
    let mut writer = WriterSession::new();
    let mut reader = ReaderSession::new();
    for seed in 0..150 {
        let doc = document(&mut rng);
        let text = to_text(&doc);
        // The text parser sees the same events the generator made.
        let mut parsed = OwnedEvents::default();
        parse_text(&text, &mut parsed).unwrap_or_else(|e| panic!("doc {seed}: {e}"));
        assert_eq!(
            normalize_text(parsed.0),
            normalize_text(doc.clone()),
            "doc {seed}"
        );

        let binary = text_to_binary(&text, Some(&mut writer)).expect("encodes");
        let back = binary_to_text(&binary, Some(&mut reader), &BinaryLimits::default())
            .unwrap_or_else(|e| panic!("doc {seed}: {e}"));
        assert_eq!(
            String::from_utf8_lossy(&back),
            String::from_utf8_lossy(&text),
            "doc {seed}"
        );
    }
}

#[test]
fn text_with_declaration_bom_and_whitespace_outside_the_root() {
    let xml = "\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<r a=\"1\">t<!--c--></r>\n";
    let binary = text_to_binary(xml.as_bytes(), None).expect("encodes");
    let back = binary_to_text(&binary, None, &BinaryLimits::default()).expect("decodes");
    assert_eq!(back, b"<r a=\"1\">t<!--c--></r>");
}

#[test]
fn failed_message_leaves_the_writer_session_as_it_was() {
    let mut writer = WriterSession::new();
    assert!(text_to_binary(b"<NewName><Other>", Some(&mut writer)).is_err());
    assert!(writer.is_empty());
    let message = text_to_binary(b"<Other/>", Some(&mut writer)).expect("encodes");
    // Table: size 6, "Other"; then ShortDictionaryElement id 1, EndElement.
    assert_eq!(
        message,
        [6, 5, b'O', b't', b'h', b'e', b'r', 0x42, 0x01, 0x01]
    );
}

fn encode(xml: &str) -> Vec<u8> {
    text_to_binary(xml.as_bytes(), None).expect("encodes")
}

#[test]
fn compact_text_records_only_where_they_read_back_exactly() {
    // <x>value</x> as ShortElement "x", then the text record with end element.
    let cases: &[(&str, &[u8])] = &[
        ("10", &[0x89, 10]),
        ("0", &[0x81]),
        ("1", &[0x83]),
        ("false", &[0x85]),
        ("true", &[0x87]),
        ("-129", &[0x8B, 0x7F, 0xFF]),
        ("40000", &[0x8D, 0x40, 0x9C, 0, 0]),
        (
            "9223372036854775807",
            &[0x8F, 255, 255, 255, 255, 255, 255, 255, 0x7F],
        ),
        (
            "18446744073709551615",
            &[0xB3, 255, 255, 255, 255, 255, 255, 255, 255],
        ),
        ("01", &[0x99, 2, b'0', b'1']),
        ("-0", &[0x99, 2, b'-', b'0']),
        ("True", &[0x99, 4, b'T', b'r', b'u', b'e']),
        ("Body", &[0xAB, 0x0E]),
    ];
    for (text, record) in cases {
        let binary = encode(&format!("<x>{text}</x>"));
        assert_eq!(&binary[..3], &[0x40, 1, b'x'], "{text}");
        assert_eq!(&binary[3..], *record, "{text}");
    }
    let id = encode("<a:MessageID xmlns:a=\"http://www.w3.org/2005/08/addressing\">urn:uuid:97eba9c4-dfb0-4899-9019-4b5005bef575</a:MessageID>");
    assert_eq!(
        id,
        [
            0x44, 0x1A, 0x0B, 1, b'a', 0x06, 0xAD, 0xc4, 0xa9, 0xeb, 0x97, 0xb0, 0xdf, 0x99, 0x48,
            0x90, 0x19, 0x4b, 0x50, 0x05, 0xbe, 0xf5, 0x75
        ]
    );
    // An empty element and an empty-text element are the same XML.
    assert_eq!(encode("<x/>"), [0x40, 1, b'x', 0x01]);
    assert_eq!(
        encode("<x n=\"\"/>"),
        [0x40, 1, b'x', 0x04, 1, b'n', 0xA8, 0x01]
    );
}

#[test]
fn every_name_form() {
    let xml = "<p:el xmlns:p=\"urn:p\" xmlns:pp=\"http://www.w3.org/2005/08/addressing\" \
               pp:Action=\"v\" pp:n=\"v\" s:To=\"v\" s:zz=\"v\" To=\"v\" n=\"v\">\
               <pp:Body/><pp:n2/><Body/><n3/><z:Body/><z:n4/></p:el>";
    let binary = encode(xml);
    let back = binary_to_text(&binary, None, &BinaryLimits::default()).expect("decodes");
    assert_eq!(
        String::from_utf8(back).expect("UTF-8"),
        xml.replace("               ", "")
    );
    for record in [
        0x5E + 15, // PrefixElement p
        0x09,      // XmlnsAttribute
        0x0B,      // DictionaryXmlnsAttribute
        0x07,      // DictionaryAttribute (prefix "pp")
        0x05,      // Attribute
        0x0C + 18, // PrefixDictionaryAttribute s
        0x26 + 18, // PrefixAttribute s
        0x06,      // ShortDictionaryAttribute
        0x04,      // ShortAttribute
        0x43,      // DictionaryElement
        0x41,      // Element
        0x42,      // ShortDictionaryElement
        0x40,      // ShortElement
        0x44 + 25, // PrefixDictionaryElement z
        0x5E + 25, // PrefixElement z
    ] {
        assert!(binary.contains(&record), "record 0x{record:02X} missing");
    }
}

#[test]
fn writer_session_quota_closes_at_the_first_string_that_does_not_fit() {
    // "aaaa" costs 5 bytes, "bbbbbbb" 8: with 10 bytes the second does not fit, and then
    // not even the 2-byte "c" is added.
    let mut writer = WriterSession::with_quota(10);
    let message = text_to_binary(b"<aaaa><bbbbbbb/><c/></aaaa>", Some(&mut writer)).expect("ok");
    assert_eq!(writer.len(), 1);
    assert_eq!(&message[..6], &[5, 4, b'a', b'a', b'a', b'a']);
    assert_eq!(&message[6..8], &[0x42, 0x01]);
    let mut reader = ReaderSession::with_quota(10);
    let back = binary_to_text(&message, Some(&mut reader), &BinaryLimits::default()).expect("ok");
    assert_eq!(back, b"<aaaa><bbbbbbb/><c/></aaaa>");
    // Later messages keep using id 1 and send empty tables.
    let next = text_to_binary(b"<aaaa/>", Some(&mut writer)).expect("ok");
    assert_eq!(next, [0, 0x42, 0x01, 0x01]);
}

#[test]
fn all_text_records_decode_to_their_text_form() {
    let mut guid = vec![0xAC];
    guid.extend_from_slice(&[0xc4, 0xa9, 0xeb, 0x97, 0xb0, 0xdf, 0x99, 0x48]);
    guid.extend_from_slice(&[0x90, 0x19, 0x4b, 0x50, 0x05, 0xbe, 0xf5, 0x75]);
    let mut uuid = guid.clone();
    uuid[0] = 0xB0;
    let mut decimal = vec![0x94, 0, 0, 2, 0x80, 0, 0, 0, 0];
    decimal.extend_from_slice(&150u64.to_le_bytes());
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![0x80], "0"),
        (vec![0x82], "1"),
        (vec![0x84], "false"),
        (vec![0x86], "true"),
        (vec![0x88, 0xFF], "-1"),
        (vec![0x8A, 0x00, 0x80], "-32768"),
        (vec![0x8C, 0xFF, 0xFF, 0xFF, 0x7F], "2147483647"),
        (
            vec![0x8E, 0, 0, 0, 0, 0, 0, 0, 0x80],
            "-9223372036854775808",
        ),
        ([vec![0x90], 1.5f32.to_le_bytes().to_vec()].concat(), "1.5"),
        (
            [vec![0x92], (-0.25f64).to_le_bytes().to_vec()].concat(),
            "-0.25",
        ),
        (decimal, "-1.50"),
        (
            [
                vec![0x96],
                (630_822_816_000_000_000u64 | 1 << 62)
                    .to_le_bytes()
                    .to_vec(),
            ]
            .concat(),
            "2000-01-01T00:00:00Z",
        ),
        (vec![0x98, 2, b'h', b'i'], "hi"),
        (vec![0x9A, 2, 0, b'h', b'i'], "hi"),
        (vec![0x9C, 2, 0, 0, 0, b'h', b'i'], "hi"),
        (vec![0x9E, 3, 1, 2, 3], "AQID"),
        (vec![0xA0, 3, 0, 1, 2, 3], "AQID"),
        (vec![0xA2, 3, 0, 0, 0, 1, 2, 3], "AQID"),
        (vec![0xA4, 0x88, 5, 0x86, 0x98, 1, b'x', 0xA6], "5 true x"),
        (vec![0xA8], ""),
        (
            vec![0xAA, 0x14],
            "http://www.w3.org/2005/08/addressing/anonymous",
        ),
        (guid, "urn:uuid:97eba9c4-dfb0-4899-9019-4b5005bef575"),
        (
            [vec![0xAE], 10_000_000i64.to_le_bytes().to_vec()].concat(),
            "PT1S",
        ),
        (uuid, "97eba9c4-dfb0-4899-9019-4b5005bef575"),
        (
            [vec![0xB2], u64::MAX.to_le_bytes().to_vec()].concat(),
            "18446744073709551615",
        ),
        (vec![0xB4, 1], "true"),
        (vec![0xB6, 4, b'h', 0, b'i', 0], "hi"),
        (vec![0xB8, 4, 0, b'h', 0, b'i', 0], "hi"),
        (vec![0xBA, 4, 0, 0, 0, 0x34, 0xD8, 0x1E, 0xDD], "𝄞"),
        (vec![0xBC, 18, 0x0E], "s:Body"),
    ];
    for (record, expected) in cases {
        // As element content, with and without the end-element variant.
        let mut plain = vec![0x40, 1, b'x'];
        plain.extend_from_slice(&record);
        plain.push(0x01);
        let events = read_events(&plain, &[], &BinaryLimits::default())
            .unwrap_or_else(|e| panic!("{record:02X?}: {e}"));
        let mut expected_events = Vec::new();
        if !expected.is_empty() {
            expected_events.push(XmlEvent::Text(expected.into()));
        }
        expected_events.push(XmlEvent::EndElement);
        assert_eq!(
            normalize_text(events)[1..],
            expected_events[..],
            "{record:02X?}"
        );
        let mut with_end = vec![0x40, 1, b'x'];
        with_end.extend_from_slice(&record);
        let last = with_end.len() - 1;
        // The WithEndElement form is the odd type byte (for a list, on EndList).
        if record[0] == 0xA4 {
            with_end[last] |= 1;
        } else {
            with_end[3] |= 1;
        }
        let text = binary_to_text(&with_end, None, &BinaryLimits::default())
            .unwrap_or_else(|e| panic!("{with_end:02X?}: {e}"));
        let expected_xml = if expected.is_empty() {
            "<x/>".to_string()
        } else {
            format!("<x>{expected}</x>")
        };
        assert_eq!(String::from_utf8(text).expect("UTF-8"), expected_xml);
        // And as an attribute value.
        let mut attribute = vec![0x40, 1, b'x', 0x04, 1, b'a'];
        attribute.extend_from_slice(&record);
        attribute.push(0x01);
        let events = read_events(&attribute, &[], &BinaryLimits::default())
            .unwrap_or_else(|e| panic!("attribute {record:02X?}: {e}"));
        let XmlEvent::StartElement { attributes, .. } = &events[0] else {
            panic!("start");
        };
        assert_eq!(attributes[0].value, expected);
    }
}

#[test]
fn arrays_expand_to_repeated_elements() {
    // Array of <a:int i="1"> with Int32 values 1, 2 ... as .NET writes int[].
    let mut bytes = vec![0x40, 1, b'r'];
    bytes.extend_from_slice(&[0x03, 0x40, 3, b'i', b'n', b't', 0x04, 1, b'i', 0x82, 0x01]);
    bytes.extend_from_slice(&[0x8D, 3]);
    for v in [1i32, -2, 300] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes.push(0x01);
    let text = binary_to_text(&bytes, None, &BinaryLimits::default()).expect("decodes");
    assert_eq!(
        String::from_utf8(text).expect("UTF-8"),
        "<r><int i=\"1\">1</int><int i=\"1\">-2</int><int i=\"1\">300</int></r>"
    );
    for (value_type, item, expected) in [
        (0xB5u8, vec![1u8], "true"),
        (0x8B, vec![0xFF, 0xFF], "-1"),
        (0x8F, 5i64.to_le_bytes().to_vec(), "5"),
        (0x91, 2.5f32.to_le_bytes().to_vec(), "2.5"),
        (0x93, 2.5f64.to_le_bytes().to_vec(), "2.5"),
        (
            0x95,
            vec![0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0],
            "7",
        ),
        (
            0x97,
            (1u64 << 62).to_le_bytes().to_vec(),
            "0001-01-01T00:00:00Z",
        ),
        (0xAF, 0i64.to_le_bytes().to_vec(), "PT0S"),
        (0xB1, vec![0; 16], "00000000-0000-0000-0000-000000000000"),
    ] {
        let mut bytes = vec![0x03, 0x40, 1, b'v', 0x01, value_type, 1];
        bytes.extend_from_slice(&item);
        let text = binary_to_text(&bytes, None, &BinaryLimits::default())
            .unwrap_or_else(|e| panic!("0x{value_type:02X}: {e}"));
        assert_eq!(
            String::from_utf8(text).expect("UTF-8"),
            format!("<v>{expected}</v>")
        );
    }
}

#[test]
fn comments_and_lists_in_attributes() {
    let bytes = [
        0x02, 2, b'h', b'i', 0x40, 1, b'r', 0x04, 1, b'l', 0xA4, 0x82, 0x80, 0xA6, 0x02, 0, 0x01,
    ];
    let text = binary_to_text(&bytes, None, &BinaryLimits::default()).expect("decodes");
    assert_eq!(text, b"<!--hi--><r l=\"1 0\"><!----></r>");
}
