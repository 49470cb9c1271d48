//! The orders contract, whose data are `#[data_contract]` types: shared by the data contract
//! suite and the Mono interop suite (Mono's peer declares the same `IOrders` and types in C#,
//! with `[DataContract]`, `[DataMember]` and `[EnumMember]`).

use indigo::dotnet::{DateTime, DateTimeOffset, Decimal, Guid, QualifiedName, TimeSpan, Uri};
use indigo::{CallError, Fault, Flags};
use std::collections::BTreeMap;

/// What a line grants, a C# `[Flags]` enum: combinations are `Flags<Access>`.
#[indigo::data_contract(namespace = "http://example.org/shop", flags)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    None = 0,
    Read = 1,
    Write = 2,
    Delete = 4,
    /// A combined member, declared last: written only for exactly Read and Write.
    ReadWrite = 3,
}

/// The base of a small class hierarchy (`[KnownType(typeof(Circle))]` in C#).
#[indigo::data_contract(namespace = "urn:example:geometry")]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Shape {
    pub label: String,
}

/// `class Circle : Shape`, in a namespace of its own: the base's members come first, in the
/// base's namespace.
#[indigo::data_contract(namespace = "urn:example:circles")]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Circle {
    #[data_member(base)]
    pub shape: Shape,
    pub radius: f64,
}

/// A value declared as `Shape`: a plain shape, or a circle written with `i:type`.
#[indigo::data_contract(name = "Shape", namespace = "urn:example:geometry", known_types)]
#[derive(Debug, Clone, PartialEq)]
pub enum AnyShape {
    Shape(Shape),
    Circle(Circle),
}

impl Default for AnyShape {
    fn default() -> Self {
        AnyShape::Shape(Shape::default())
    }
}

/// `[CollectionDataContract(ItemName = "Parcel")]` over a list of strings.
#[indigo::data_contract(
    collection,
    namespace = "http://example.org/shop",
    item_name = "Parcel"
)]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parcels(pub Vec<String>);

/// `[CollectionDataContract(ItemName = "Entry", KeyName = "Sku", ValueName = "Price")]` over
/// a dictionary.
#[indigo::data_contract(
    collection,
    namespace = "http://example.org/shop",
    item_name = "Entry",
    key_name = "Sku",
    value_name = "Price"
)]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PriceList(pub BTreeMap<String, Decimal>);

/// A colour, with one member renamed on the wire (`[EnumMember(Value = "GRN")]`).
#[indigo::data_contract(name = "Colour")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Color {
    #[default]
    Red,
    #[enum_member(value = "GRN")]
    Green,
}

/// An order line in a namespace of its own, with every member rule WCF has.
#[indigo::data_contract(namespace = "http://example.org/shop")]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrderLine {
    #[data_member(required)]
    pub product_id: i32,
    #[data_member(emit_default = false)]
    pub discount: f64,
    #[data_member(name = "Qty", order = 1)]
    pub quantity: u32,
    pub note: Option<String>,
    pub colour: Color,
    pub tags: Vec<String>,
    pub unit_price: Decimal,
    pub ordered_at: DateTime,
    pub id: Guid,
    pub lead_time: TimeSpan,
    pub promised: DateTimeOffset,
    /// `byte[]`: base64 on the wire.
    pub thumbnail: Vec<u8>,
    pub signature: Option<Vec<u8>>,
    pub home: Option<Uri>,
    /// `Dictionary<string, int>`: `ArrayOfKeyValueOfstringint`.
    pub stock: std::collections::BTreeMap<String, i32>,
    /// `List<List<int>>`: `ArrayOfArrayOfint`.
    pub batches: Vec<Vec<i32>>,
    /// An empty list.
    pub returns: Vec<String>,
    /// Every flag but the combined one: `Read Write Delete`.
    pub access: Flags<Access>,
    /// No flags: the zero member, `None`.
    pub no_access: Flags<Access>,
    /// A circle declared as a shape.
    pub wrapping: AnyShape,
    /// `List<Shape>` holding a shape and a circle.
    pub shapes: Vec<AnyShape>,
    pub parcels: Parcels,
    pub prices: PriceList,
    /// Decimal's extremes: its minimum and its smallest scale, and a kept trailing zero.
    pub limits: Vec<Decimal>,
    /// A DateTime of each Kind: Unspecified (the maximum), Local, Utc (the minimum).
    pub times: Vec<DateTime>,
    /// `Dictionary<string, Shape>`: its items' name carries WCF's namespace hash.
    pub outlines: BTreeMap<String, Shape>,
    /// `XmlQualifiedName`: `prefix:widget`, the prefix declared on the element.
    pub kind: QualifiedName,
}

/// The fault detail of `Reserve`, renamed on the wire.
#[indigo::data_contract(name = "OutOfStockFault", namespace = "urn:example:stock")]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutOfStock {
    pub product_id: i32,
}

/// Another fault detail, in the same namespace.
#[indigo::data_contract(namespace = "urn:example:stock")]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoreClosed {
    pub until: String,
}

/// The two faults `Cancel` declares (`[FaultContract]` twice).
#[indigo::fault_contracts]
#[derive(Debug, Clone, PartialEq)]
pub enum CancelFault {
    OutOfStock(OutOfStock),
    Closed(StoreClosed),
}

#[indigo::service_contract(namespace = "http://example.org/orders/")]
pub trait Orders {
    /// Takes the discount off and adds one to the quantity.
    #[operation]
    async fn reprice(&self, line: OrderLine) -> OrderLine;

    /// The quantity, or `OutOfStock` above 10.
    #[operation]
    async fn reserve(&self, line: OrderLine) -> Result<u32, Fault<OutOfStock>>;

    /// `Closed` for product 0, `OutOfStock` above 10, otherwise fine.
    #[operation]
    async fn cancel(&self, line: OrderLine) -> Result<(), Fault<CancelFault>>;
}

/// The service behind [`Orders`].
#[derive(Debug, Default, Clone, Copy)]
pub struct OrderService;

impl Orders for OrderService {
    async fn reprice(&self, line: OrderLine) -> OrderLine {
        OrderLine {
            discount: 0.0,
            quantity: line.quantity + 1,
            ..line
        }
    }

    async fn reserve(&self, line: OrderLine) -> Result<u32, Fault<OutOfStock>> {
        if line.quantity > 10 {
            return Err(Fault::new(
                "out of stock",
                OutOfStock {
                    product_id: line.product_id,
                },
            ));
        }
        Ok(line.quantity)
    }

    async fn cancel(&self, line: OrderLine) -> Result<(), Fault<CancelFault>> {
        if line.product_id == 0 {
            return Err(Fault::new(
                "closed",
                CancelFault::Closed(StoreClosed {
                    until: "Monday".to_owned(),
                }),
            ));
        }
        if line.quantity > 10 {
            return Err(Fault::new(
                "out of stock",
                CancelFault::OutOfStock(OutOfStock {
                    product_id: line.product_id,
                }),
            ));
        }
        Ok(())
    }
}

/// The line both peers send: every kind of member, a nil, an empty string in a list.
pub fn sample_line() -> OrderLine {
    OrderLine {
        product_id: 7,
        discount: 0.25,
        quantity: 2,
        note: None,
        colour: Color::Green,
        tags: vec!["gift".to_owned(), String::new()],
        unit_price: parse("79228162514264337593543950.335"),
        ordered_at: parse("1969-07-20T20:17:40.1234567Z"),
        id: parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
        lead_time: parse("-P1DT2H3M4.0000005S"),
        promised: DateTimeOffset::try_from(
            chrono::DateTime::parse_from_rfc3339("2024-02-29T23:30:00-05:30")
                .expect("an RFC 3339 date"),
        )
        .expect("in .NET's range"),
        thumbnail: vec![0, 1, 2, 253, 254, 255],
        signature: None,
        home: Some(parse("http://example.org/a%20b?q=1&r=%3C2%3E")),
        stock: [("berlin".to_owned(), 3), ("paris".to_owned(), -1)].into(),
        batches: vec![vec![1, 2], vec![], vec![3]],
        returns: Vec::new(),
        access: Flags::from(Access::Read) | Access::Write | Access::Delete,
        no_access: Flags::empty(),
        wrapping: AnyShape::Circle(Circle {
            shape: Shape {
                label: "round".to_owned(),
            },
            radius: 1.5,
        }),
        shapes: vec![
            AnyShape::Shape(Shape {
                label: "plain".to_owned(),
            }),
            AnyShape::Circle(Circle {
                shape: Shape {
                    label: "disc".to_owned(),
                },
                radius: 2.0,
            }),
        ],
        parcels: Parcels(vec!["small".to_owned(), "large".to_owned()]),
        prices: PriceList([("a-1".to_owned(), parse("9.99"))].into()),
        limits: vec![
            parse("-79228162514264337593543950335"),
            parse("0.0000000000000000000000000001"),
            parse("1.50"),
        ],
        // The Mono peer runs with TZ=UTC, so a Local time's offset is +00:00 both ways.
        times: vec![
            parse("9999-12-31T23:59:59.9999999"),
            parse("2024-02-29T12:00:00+00:00"),
            parse("0001-01-01T00:00:00Z"),
        ],
        outlines: [(
            "box".to_owned(),
            Shape {
                label: "square".to_owned(),
            },
        )]
        .into(),
        kind: QualifiedName::new("urn:example:kinds", "widget"),
    }
}

fn parse<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().expect("a valid sample value")
}

/// Calls every operation of `client` the way both suites do and checks each answer: Reprice
/// reads back the sample line repriced, Reserve answers and faults with its typed detail, and
/// Cancel faults with each of its two details.
pub async fn exercise(client: &OrdersClient) {
    let repriced = client.reprice(sample_line()).await.expect("reprice");
    assert_eq!(
        repriced,
        OrderLine {
            discount: 0.0,
            quantity: 3,
            ..sample_line()
        },
        "the repriced line, read back"
    );
    assert_eq!(client.reserve(sample_line()).await.expect("reserve"), 2);
    let many = OrderLine {
        quantity: 11,
        ..sample_line()
    };
    match client.reserve(many.clone()).await {
        Err(CallError::Fault(fault)) => {
            assert_eq!(fault.reason, "out of stock");
            assert_eq!(fault.detail, OutOfStock { product_id: 7 });
        }
        other => panic!("expected the typed fault, got {other:?}"),
    }
    // Two fault types on one operation: each comes back as its own variant.
    client.cancel(sample_line()).await.expect("cancel");
    let closed = OrderLine {
        product_id: 0,
        ..sample_line()
    };
    for (line, expected) in [
        (
            closed,
            CancelFault::Closed(StoreClosed {
                until: "Monday".to_owned(),
            }),
        ),
        (many, CancelFault::OutOfStock(OutOfStock { product_id: 7 })),
    ] {
        match client.cancel(line).await {
            Err(CallError::Fault(fault)) => assert_eq!(fault.detail, expected),
            other => panic!("expected {expected:?}, got {other:?}"),
        }
    }
}
