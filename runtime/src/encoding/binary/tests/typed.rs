//! Typed values go out as the typed records WCF's writer uses for them (Decimal, DateTime,
//! TimeSpan, Float/Double, Bytes), where the record reads back as the same text, and every
//! other text keeps its text record.

use super::super::records::*;
use super::super::values::{typed_record, TypedRecord};
use super::super::*;
use crate::dotnet::{DateTime, Decimal, TimeSpan};
use crate::encoding::MessageEncoder;
use crate::message::{Body, BodyWriter, Message, MessageVersion, XmlFragment};
use crate::xml::TextType;
use bytes::Bytes;

#[test]
fn each_type_gets_its_record_only_where_the_record_reads_back_as_the_text() {
    use TextType::*;
    let cases: &[(TextType, &str, Option<TypedRecord>)] = &[
        (Double, "2", Some(TypedRecord::Integer(2))),
        (Double, "0.25", Some(TypedRecord::Float(0.25))),
        // 0.1 is no float: a double reader would see another number. An f32 member's 0.1
        // goes as the double 0.1, which a float reader rounds back to the same float.
        (Double, "0.1", Some(TypedRecord::Double(0.1))),
        (Float, "0.1", Some(TypedRecord::Double(0.1))),
        (Double, "0.10000000149011612", Some(TypedRecord::Float(0.1))),
        // An integer record would read back as `100000000000000000`.
        (Double, "1E+17", Some(TypedRecord::Double(1e17))),
        (Double, "1.5E+300", Some(TypedRecord::Double(1.5e300))),
        (Double, "INF", Some(TypedRecord::Float(f32::INFINITY))),
        (Double, "inf", None),
        (Double, "0.10", None),
        (
            Decimal,
            "1.50",
            Some(TypedRecord::Decimal(decimal(150, 2, false))),
        ),
        (
            Decimal,
            "-3",
            Some(TypedRecord::Decimal(decimal(3, 0, true))),
        ),
        (Decimal, "1.5E3", None),
        (Decimal, "+1", None),
        (
            DateTime,
            "2024-02-29T12:00:00.5Z",
            Some(TypedRecord::DateTime(utc(638_448_048_005_000_000))),
        ),
        (
            DateTime,
            "2024-02-29T12:00:00",
            Some(TypedRecord::DateTime(638_448_048_000_000_000)),
        ),
        // A local time's offset is not on the wire: only +00:00 reads back the same.
        (
            DateTime,
            "2024-02-29T12:00:00+00:00",
            Some(TypedRecord::DateTime(local(638_448_048_000_000_000))),
        ),
        (DateTime, "2024-02-29T12:00:00+02:00", None),
        (DateTime, "2024-02-29T12:00:00.50Z", None),
        (
            TimeSpan,
            "-P1DT2H3M4.0000005S",
            Some(TypedRecord::TimeSpan(-937_840_000_005)),
        ),
        (TimeSpan, "PT24H", None),
        (
            Base64,
            "AAEC/f7/",
            Some(TypedRecord::Bytes(vec![0, 1, 2, 253, 254, 255])),
        ),
        (Base64, "AAEC\n/f7/", None),
        (Base64, "AAE", None),
    ];
    for (ty, text, expected) in cases {
        assert_eq!(&typed_record(*ty, text), expected, "{ty:?} {text:?}");
    }
}

fn decimal(magnitude: u64, scale: u8, negative: bool) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[2] = scale;
    bytes[3] = if negative { 0x80 } else { 0 };
    bytes[8..].copy_from_slice(&magnitude.to_le_bytes());
    bytes
}

fn utc(ticks: u64) -> u64 {
    ticks | 1 << 62
}

fn local(ticks: u64) -> u64 {
    ticks | 2 << 62
}

fn encode(body: XmlFragment) -> Vec<u8> {
    let message = Message::new(
        MessageVersion::SOAP12_WSA10,
        "http://example.org/shop/Price",
        Body::Payload(body),
    );
    let mut bytes = Vec::new();
    BinaryMessageEncoder::new(MessageVersion::SOAP12_WSA10)
        .encode(&message, &mut bytes)
        .expect("encodes");
    bytes
}

/// Where `record` and then `payload` sit in `bytes`.
fn has_record(bytes: &[u8], record: u8, payload: &[u8]) -> bool {
    let mut wanted = vec![record];
    wanted.extend_from_slice(payload);
    bytes.windows(wanted.len()).any(|w| w == wanted)
}

#[test]
fn a_body_s_typed_values_go_out_as_typed_records_and_read_back_as_their_text() {
    let mut body = BodyWriter::new("Price", "http://example.org/shop", "urn:data");
    let price: Decimal = "79228162514264337593543950.335".parse().expect("a decimal");
    let at: DateTime = "1969-07-20T20:17:40.1234567Z".parse().expect("a date");
    let lead: TimeSpan = "PT1H".parse().expect("a duration");
    body.part("price", &price).expect("writes");
    body.part("at", &at).expect("writes");
    body.part("lead", &lead).expect("writes");
    body.part("ratio", &0.25f64).expect("writes");
    body.part(
        "thumbnail",
        &crate::__private::base64_member::Base64(&[1, 2, 3]),
    )
    .expect("writes");
    // A string that looks like a number stays text: only the serializer's types count.
    body.part("code", "0.25").expect("writes");
    let body = body.finish();
    let text = body.xml.clone();
    let bytes = encode(body);

    let price_bytes = {
        let mut b = [0u8; 16];
        b[2] = 3;
        b[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        b[8..].copy_from_slice(&u64::MAX.to_le_bytes());
        b
    };
    assert!(
        has_record(&bytes, DECIMAL_TEXT | 1, &price_bytes),
        "{bytes:02X?}"
    );
    let ticks = at.ticks() as u64 | 1 << 62;
    assert!(has_record(&bytes, DATETIME_TEXT | 1, &ticks.to_le_bytes()));
    assert!(has_record(
        &bytes,
        TIMESPAN_TEXT | 1,
        &36_000_000_000i64.to_le_bytes()
    ));
    assert!(has_record(&bytes, FLOAT_TEXT | 1, &0.25f32.to_le_bytes()));
    assert!(has_record(&bytes, BYTES8_TEXT | 1, &[3, 1, 2, 3]));
    assert!(
        has_record(&bytes, CHARS8_TEXT | 1, b"\x040.25"),
        "the string stays text"
    );

    let decoded = BinaryMessageEncoder::new(MessageVersion::SOAP12_WSA10)
        .decode(Bytes::from(bytes))
        .expect("decodes");
    let Body::Payload(payload) = &decoded.body else {
        panic!("a payload");
    };
    assert_eq!(
        payload.xml, text,
        "every typed record reads back as the text written"
    );
}
