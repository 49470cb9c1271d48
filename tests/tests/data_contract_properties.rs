//! Property tests: any value of the orders contract's data (every kind of member, .NET's
//! types at their edges, arbitrary text) comes back equal after a trip through the text and
//! the binary encoders, as a message body.

use indigo::dotnet::{
    DateTime, DateTimeKind, DateTimeOffset, Decimal, Guid, QualifiedName, TimeSpan, Uri,
};
use indigo::encoding::{BinaryMessageEncoder, MessageEncoder, TextMessageEncoder};
use indigo::message::{Body, Message, MessageVersion, ReaderQuotas};
use indigo::serialization::{from_fragment, to_fragment};
use indigo::Flags;
use indigo_tests::orders::{AnyShape, Circle, Color, OrderLine, Parcels, PriceList, Shape};
use proptest::prelude::*;

/// Text XML can carry: any character but the C0 controls other than tab, LF and CR (which
/// WCF writes as character references, and XML 1.0 readers refuse).
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        any::<char>().prop_filter("XML 1.0 characters", |c| {
            !c.is_control() || matches!(c, '\t' | '\n' | '\r') || *c as u32 >= 0x7F
        }),
        0..12,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn date_time() -> impl Strategy<Value = DateTime> {
    (
        0..=3_155_378_975_999_999_999i64,
        prop_oneof![
            Just(DateTimeKind::Unspecified),
            Just(DateTimeKind::Utc),
            (-840i16..=840).prop_map(|offset_minutes| DateTimeKind::Local { offset_minutes }),
        ],
    )
        .prop_map(|(ticks, kind)| DateTime::from_ticks(ticks, kind).expect("in range"))
}

fn date_time_offset() -> impl Strategy<Value = DateTimeOffset> {
    // 0001-01-02 to 9999-12-30 in whole ticks, so any offset keeps the local time in range.
    (
        -62_135_510_400i64..253_402_214_400,
        0u32..10_000_000,
        -840i32..=840,
    )
        .prop_map(|(seconds, ticks, offset)| {
            let utc = chrono::DateTime::from_timestamp(seconds, ticks * 100).expect("in range");
            let offset = chrono::FixedOffset::east_opt(offset * 60).expect("an offset");
            DateTimeOffset::try_from(utc.with_timezone(&offset)).expect("in .NET's range")
        })
}

fn decimal() -> impl Strategy<Value = Decimal> {
    (any::<i64>(), 0u32..=28)
        .prop_map(|(mantissa, scale)| Decimal(rust_decimal::Decimal::new(mantissa, scale)))
}

fn finite() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("finite", |d| d.is_finite())
}

/// A shape or a circle, as declared `Shape`.
fn shape() -> impl Strategy<Value = AnyShape> {
    prop_oneof![
        text().prop_map(|label| AnyShape::Shape(Shape { label })),
        (text(), finite()).prop_map(|(label, radius)| AnyShape::Circle(Circle {
            shape: Shape { label },
            radius
        })),
    ]
}

fn order_line() -> impl Strategy<Value = OrderLine> {
    (
        (
            any::<i32>(),
            any::<f64>().prop_filter("finite", |d| d.is_finite()),
            any::<u32>(),
        ),
        (
            proptest::option::of(text()),
            any::<bool>(),
            proptest::collection::vec(text(), 0..4),
        ),
        (
            any::<i64>(),
            0u32..=28,
            date_time(),
            any::<u128>(),
            any::<i64>(),
        ),
        (
            date_time_offset(),
            proptest::collection::vec(any::<u8>(), 0..40),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..8)),
            proptest::option::of(
                "[a-z]{1,8}:(//[a-z0-9.]{1,12})?(/[A-Za-z0-9%._~&=?-]{0,12}){0,3}",
            ),
        ),
        (
            proptest::collection::btree_map(text(), any::<i32>(), 0..4),
            proptest::collection::vec(proptest::collection::vec(any::<i32>(), 0..3), 0..3),
            proptest::collection::vec(text(), 0..2),
        ),
        (
            (0u64..8, 0u64..8),
            shape(),
            proptest::collection::vec(shape(), 0..3),
            proptest::collection::vec(text(), 0..3),
            proptest::collection::btree_map(text(), decimal(), 0..3),
            proptest::collection::vec(decimal(), 0..3),
            proptest::collection::vec(date_time(), 0..3),
            proptest::collection::btree_map(text(), text(), 0..3),
            prop_oneof![
                Just(QualifiedName::default()),
                ("(urn:[a-z]{1,8})?", "[A-Za-z_][A-Za-z0-9._-]{0,8}")
                    .prop_map(|(namespace, name)| QualifiedName::new(namespace, name)),
            ],
        ),
    )
        .prop_map(
            |(
                (product_id, discount, quantity),
                (note, green, tags),
                (mantissa, scale, ordered_at, id, lead_time),
                (promised, thumbnail, signature, home),
                (stock, batches, returns),
                (
                    (access, no_access),
                    wrapping,
                    shapes,
                    parcels,
                    prices,
                    limits,
                    times,
                    outlines,
                    kind,
                ),
            )| OrderLine {
                product_id,
                discount,
                quantity,
                note,
                colour: if green { Color::Green } else { Color::Red },
                tags,
                unit_price: Decimal(rust_decimal::Decimal::new(mantissa, scale)),
                ordered_at,
                id: Guid(uuid::Uuid::from_u128(id)),
                lead_time: TimeSpan::from_ticks(lead_time),
                promised,
                thumbnail,
                signature,
                home: home.map(|text| text.parse::<Uri>().expect("a URI")),
                stock,
                batches,
                returns,
                access: Flags::from_bits(access).expect("Read, Write and Delete cover 0..8"),
                no_access: Flags::from_bits(no_access).expect("covered"),
                wrapping,
                shapes,
                parcels: Parcels(parcels),
                prices: PriceList(prices),
                limits,
                times,
                outlines: outlines
                    .into_iter()
                    .map(|(name, label)| (name, Shape { label }))
                    .collect(),
                kind,
            },
        )
}

fn through(encoder: &dyn MessageEncoder, line: &OrderLine) -> OrderLine {
    let fragment = to_fragment(
        "line",
        "http://example.org/orders/",
        "http://schemas.datacontract.org/2004/07/",
        line,
    )
    .expect("serializes");
    let message = Message::new(
        MessageVersion::SOAP12_WSA10,
        "http://example.org/orders/Orders/Reprice",
        Body::Payload(fragment),
    );
    let mut bytes = Vec::new();
    encoder.encode(&message, &mut bytes).expect("encodes");
    let back = encoder.decode(bytes.into()).expect("decodes");
    let Body::Payload(payload) = &back.body else {
        panic!("the body came back as {:?}", back.body);
    };
    from_fragment(payload, &ReaderQuotas::default()).expect("deserializes")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_order_line_round_trips_through_text(line in order_line()) {
        let encoder = TextMessageEncoder::new(MessageVersion::SOAP12_WSA10);
        prop_assert_eq!(through(&encoder, &line), line);
    }

    #[test]
    fn any_order_line_round_trips_through_binary(line in order_line()) {
        let encoder = BinaryMessageEncoder::new(MessageVersion::SOAP12_WSA10);
        prop_assert_eq!(through(&encoder, &line), line);
    }
}
