//! The message-level pieces: the sessionless encoder behind the `MessageEncoder` trait and the
//! per-connection session codec, each talking to itself and read by the other side's state.

use super::super::*;
use super::{sized_envelopes, C2S};
use crate::encoding::MessageEncoder;
use crate::message::{Body, Message, MessageVersion, ReaderQuotas, XmlFragment};
use bytes::Bytes;

fn request(n: i32) -> Message {
    let body = XmlFragment::new(format!(
        "<Add xmlns=\"http://example.org/calc\"><x>{n}</x></Add>"
    ));
    Message::new(
        MessageVersion::SOAP12_WSA10,
        "http://example.org/calc/ICalc/Add",
        Body::Payload(body),
    )
}

#[test]
fn msbin1_encoder_round_trips_a_message() {
    let encoder = BinaryMessageEncoder::new(MessageVersion::SOAP12_WSA10);
    assert_eq!(encoder.media_type(), "application/soap+msbin1");
    let mut bytes = vec![0xEE]; // encode appends
    encoder.encode(&request(5), &mut bytes).expect("encodes");
    assert_eq!(&bytes[..3], &[0xEE, 0x56, 0x02]); // <s:Envelope, no string table
    let message = encoder
        .decode(Bytes::from(bytes[1..].to_vec()))
        .expect("decodes");
    assert_eq!(message.action(), "http://example.org/calc/ICalc/Add");
    let Body::Payload(body) = &message.body else {
        panic!("payload");
    };
    assert_eq!(
        &body.xml[..],
        b"<Add xmlns=\"http://example.org/calc\"><x>5</x></Add>"
    );
}

#[test]
fn msbin1_decoder_refuses_session_ids_and_garbage() {
    let encoder = BinaryMessageEncoder::new(MessageVersion::SOAP12_WSA10);
    // A Mono msbinsession1 message is not msbin1: its table byte is no record.
    let mono = sized_envelopes(C2S)[0];
    assert!(encoder.decode(Bytes::copy_from_slice(mono)).is_err());
    assert!(encoder.decode(Bytes::copy_from_slice(&mono[3..])).is_err()); // id 1 undefined
    assert!(encoder.decode(Bytes::from_static(&[0x42])).is_err());
}

#[test]
fn session_codecs_carry_tables_across_messages() {
    let version = MessageVersion::SOAP12_WSA10;
    let quotas = ReaderQuotas::default();
    let mut client = SessionBinaryCodec::new(version, quotas, DEFAULT_MAX_SESSION_SIZE);
    let mut server = SessionBinaryCodec::new(version, quotas, DEFAULT_MAX_SESSION_SIZE);
    assert_eq!(client.media_type(), "application/soap+msbinsession1");
    let mut sizes = Vec::new();
    for n in 2..6 {
        let mut bytes = Vec::new();
        client.encode(&request(n), &mut bytes).expect("encodes");
        sizes.push(bytes.len());
        let message = server.decode(Bytes::from(bytes)).expect("decodes");
        let Body::Payload(body) = &message.body else {
            panic!("payload");
        };
        assert!(String::from_utf8_lossy(&body.xml).contains(&format!("<x>{n}</x>")));
    }
    // The first message defines Add, x and the namespace; later ones send an empty table.
    assert!(sizes[1] < sizes[0], "{sizes:?}");
    assert_eq!(sizes[1], sizes[2]);
}

#[test]
fn session_codec_reads_the_mono_capture() {
    let mut server = SessionBinaryCodec::new(
        MessageVersion::SOAP12_WSA10,
        ReaderQuotas::default(),
        DEFAULT_MAX_SESSION_SIZE,
    );
    for payload in sized_envelopes(C2S) {
        let message = server
            .decode(Bytes::copy_from_slice(payload))
            .expect("decodes");
        assert!(message
            .action()
            .starts_with("http://example.org/calc/ICalc/"));
    }
}

#[test]
fn limits_follow_the_reader_quotas() {
    let quotas = ReaderQuotas {
        max_depth: 7,
        max_array_length: 9,
        ..ReaderQuotas::default()
    };
    let limits = BinaryLimits::from_quotas(&quotas);
    assert_eq!((limits.max_depth, limits.max_array_length), (7, 9));
}

/// What a session encoder's halves make of two messages: the second reuses the first's ids.
#[test]
fn session_encoder_halves_talk_to_each_other() {
    let encoder = BinaryMessageEncoder::new(MessageVersion::SOAP12_WSA10);
    assert_eq!(
        encoder.session_media_type(),
        "application/soap+msbinsession1"
    );
    let crate::encoding::SessionEncoder { mut writer, .. } = encoder
        .session_encoder()
        .expect("binary has a session form");
    let crate::encoding::SessionEncoder { mut reader, .. } = encoder.session_encoder().unwrap();
    let (mut first, mut second) = (Vec::new(), Vec::new());
    writer.encode(&request(1), &mut first).unwrap();
    writer.encode(&request(2), &mut second).unwrap();
    assert_ne!(first[0], 0x00, "the first message defines strings");
    assert_eq!(second[0], 0x00, "the second defines none");
    for (bytes, n) in [(first, "1"), (second, "2")] {
        let message = reader.decode(Bytes::from(bytes)).unwrap();
        let Body::Payload(body) = &message.body else {
            panic!("payload");
        };
        let expected = format!("<Add xmlns=\"http://example.org/calc\"><x>{n}</x></Add>");
        assert_eq!(&body.xml[..], expected.as_bytes());
    }
}

/// Frame rewriting (the reliable-session path): msbin1 frames in, session frames on the wire,
/// msbin1 frames out again that the shared encoder reads.
#[test]
fn session_encoder_rewrites_shared_frames_both_ways() {
    let encoder = BinaryMessageEncoder::new(MessageVersion::SOAP12_WSA10);
    let session = encoder.session_encoder().unwrap();
    let (mut writer, mut reader) = (session.writer, session.reader);
    for n in 0..3 {
        let mut msbin1 = Vec::new();
        encoder.encode(&request(n), &mut msbin1).unwrap();
        let mut wire = Vec::new();
        writer.encode_frame(&msbin1, &mut wire).unwrap();
        let back = reader.decode_frame(Bytes::from(wire)).unwrap();
        let message = encoder.decode(back).unwrap();
        assert_eq!(message.action(), "http://example.org/calc/ICalc/Add");
    }
}

/// A broken table is a session error (abort the connection), a bad document only a message
/// error, and nothing is readable after a session error.
#[test]
fn session_reader_sorts_session_errors_from_message_errors() {
    use crate::encoding::SessionDecodeError;
    let encoder = BinaryMessageEncoder::new(MessageVersion::SOAP12_WSA10).with_max_session_size(4);
    let mut reader = encoder.session_encoder().unwrap().reader;
    let bad_document = reader.decode(Bytes::from_static(&[0x00, 0xFF]));
    assert!(
        matches!(bad_document, Err(SessionDecodeError::Message(_))),
        "{bad_document:?}"
    );
    let over_quota = reader.decode(Bytes::from_static(&[
        0x06, 0x05, b'a', b'b', b'c', b'd', b'e',
    ]));
    assert!(
        matches!(over_quota, Err(SessionDecodeError::Session(_))),
        "{over_quota:?}"
    );
    let after = reader.decode(Bytes::from_static(&[0x00, 0x56, 0x02, 0x01]));
    assert!(
        matches!(after, Err(SessionDecodeError::Session(_))),
        "{after:?}"
    );

    let mut reader = encoder.session_encoder().unwrap().reader;
    let undefined = reader.decode(Bytes::from_static(&[0x00, 0x56, 0x01, 0x01]));
    assert!(
        matches!(undefined, Err(SessionDecodeError::Session(_))),
        "{undefined:?}"
    );
}
