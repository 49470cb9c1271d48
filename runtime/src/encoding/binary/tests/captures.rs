//! Every SizedEnvelope of the Mono NetTcp session capture (`peers.md` §1, `net-tcp.md` §5.1),
//! decoded with the session table carried across the messages of each direction.

use super::super::*;
use super::{sized_envelopes, C2S, S2C};
use crate::message::{read_envelope, Body, MessageVersion, ReaderQuotas};
use bytes::Bytes;

fn decode_direction(stream: &[u8]) -> (Vec<String>, ReaderSession) {
    let mut session = ReaderSession::new();
    let texts = sized_envelopes(stream)
        .into_iter()
        .map(|payload| {
            let xml = binary_to_text(payload, Some(&mut session), &BinaryLimits::default())
                .expect("capture decodes");
            String::from_utf8(xml).expect("UTF-8")
        })
        .collect();
    (texts, session)
}

const ENVELOPE_START: &str = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" \
                              xmlns:a=\"http://www.w3.org/2005/08/addressing\">";

#[test]
fn first_request_decodes_to_the_annotated_xml() {
    let (texts, session) = decode_direction(C2S);
    assert_eq!(texts.len(), 4);
    let expected = format!(
        "{ENVELOPE_START}<s:Header>\
         <a:Action s:mustUnderstand=\"1\">http://example.org/calc/ICalc/Start</a:Action>\
         <a:MessageID>urn:uuid:97eba9c4-dfb0-4899-9019-4b5005bef575</a:MessageID>\
         <a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>\
         <a:To s:mustUnderstand=\"1\">net.tcp://127.0.0.1:18201/calc</a:To>\
         </s:Header><s:Body><Start xmlns=\"http://example.org/calc\"><x>10</x></Start></s:Body>\
         </s:Envelope>"
    );
    assert_eq!(texts[0], expected);
    // Mono put only the parameter name into its table: "x" = id 1, reused by later requests.
    assert_eq!(session.strings(), ["x"]);
}

#[test]
fn requests_carry_the_session_string_across_messages() {
    let (texts, _) = decode_direction(C2S);
    let actions: Vec<&str> = texts.iter().map(|t| action_of(t)).collect();
    assert_eq!(
        actions,
        [
            "http://example.org/calc/ICalc/Start",
            "http://example.org/calc/ICalc/Add",
            "http://example.org/calc/ICalc/Add",
            "http://example.org/calc/ICalc/End",
        ]
    );
    // Messages 2 and 3 have empty tables and still name `<x>` by session id 1.
    assert!(texts[1].contains("<Add xmlns=\"http://example.org/calc\"><x>5</x></Add>"));
    assert!(texts[2].contains("<x>7</x>"));
    assert!(texts[3].contains("<End xmlns=\"http://example.org/calc\"/>"));
}

#[test]
fn replies_have_their_own_table_and_the_annotated_results() {
    let (texts, session) = decode_direction(S2C);
    assert_eq!(session.strings(), ["StartResult", "AddResult", "EndResult"]);
    let results: Vec<(String, String)> = texts.iter().map(|t| result_of(t)).collect();
    assert_eq!(
        results,
        [
            ("StartResult".to_string(), "10".to_string()),
            ("AddResult".to_string(), "15".to_string()),
            ("AddResult".to_string(), "22".to_string()),
            ("EndResult".to_string(), "22".to_string()),
        ]
    );
    assert!(texts[0].starts_with(ENVELOPE_START));
    assert!(texts[0]
        .contains("<a:RelatesTo>urn:uuid:97eba9c4-dfb0-4899-9019-4b5005bef575</a:RelatesTo>"));
    assert_eq!(
        action_of(&texts[0]),
        "http://example.org/calc/ICalc/StartResponse"
    );
}

#[test]
fn decoded_captures_read_as_messages() {
    let version = MessageVersion::SOAP12_WSA10;
    for stream in [C2S, S2C] {
        let (texts, _) = decode_direction(stream);
        for text in texts {
            let message =
                read_envelope(Bytes::from(text.clone()), version, &ReaderQuotas::default())
                    .unwrap_or_else(|e| panic!("{e}: {text}"));
            assert_eq!(message.action(), action_of(&text));
            assert!(matches!(message.body, Body::Payload(_)));
        }
    }
}

#[test]
fn re_encoding_the_captures_gives_the_same_xml() {
    // Our writer differs from Mono's (more names go to the table, Address is static), but the
    // XML must survive: encode with a writer session, decode with a matching reader session.
    for stream in [C2S, S2C] {
        let (texts, _) = decode_direction(stream);
        let mut writer = WriterSession::new();
        let mut reader = ReaderSession::new();
        for text in &texts {
            let binary = text_to_binary(text.as_bytes(), Some(&mut writer)).expect("encodes");
            let back = binary_to_text(&binary, Some(&mut reader), &BinaryLimits::default())
                .expect("decodes");
            assert_eq!(String::from_utf8(back).expect("UTF-8"), *text);
        }
        assert_eq!(writer.len(), reader.strings().len());
    }
}

#[test]
fn our_encoding_of_the_first_request_is_compact() {
    let (texts, _) = decode_direction(C2S);
    let mut writer = WriterSession::new();
    let binary = text_to_binary(texts[0].as_bytes(), Some(&mut writer)).expect("encodes");
    let mono_len = sized_envelopes(C2S)[0].len();
    assert!(binary.len() < mono_len, "{} >= {mono_len}", binary.len());
    // `<s:Envelope xmlns:s=... xmlns:a=...>` exactly as .NET and Mono write it.
    let table_len = 1 + usize::from(binary[0]);
    assert_eq!(
        &binary[table_len..table_len + 10],
        &[0x56, 0x02, 0x0B, 0x01, b's', 0x04, 0x0B, 0x01, b'a', 0x06]
    );
    // The ReplyTo as .NET writes it: <a:ReplyTo><a:Address> anonymous (dictionary text).
    let reply_to = [0x44, 0x2C, 0x44, 0x2A, 0xAB, 0x14, 0x01];
    assert!(binary.windows(reply_to.len()).any(|w| w == reply_to));
}

fn action_of(text: &str) -> &str {
    let start = text.find("<a:Action").expect("action");
    let value = &text[start..];
    let open = value.find('>').expect(">") + 1;
    let close = value.find("</a:Action>").expect("end");
    &value[open..close]
}

/// The `<...Result>` element of a reply body and its value.
fn result_of(text: &str) -> (String, String) {
    let body = &text[text.find("<s:Body>").expect("body")..];
    let start = body.find("Result>").expect("result");
    let open = body[..start].rfind('<').expect("<");
    let name = body[open + 1..start + "Result".len()].to_string();
    let value_end = body[start..].find("</").expect("end") + start;
    (name, body[start + "Result>".len()..value_end].to_string())
}
