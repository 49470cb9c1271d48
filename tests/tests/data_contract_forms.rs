//! The data contract forms beyond a plain struct or enum, on the wire as DataContractSerializer
//! writes and reads them: `[Flags]` enums (`Flags<E>`), known types (`i:type`, with a base
//! class's members first in the base's namespace) and `[CollectionDataContract]` names.

use indigo::message::{ReaderQuotas, XmlFragment};
use indigo::serialization::{from_fragment, to_fragment};
use indigo::{DataContract, Flags};
use indigo_tests::orders::{Access, AnyShape, Circle, Parcels, PriceList, Shape};
use serde::{de::DeserializeOwned, Serialize};

const SHOP: &str = "http://example.org/shop";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

fn write<T: Serialize>(value: &T) -> String {
    let fragment = to_fragment("V", SHOP, SHOP, value).expect("serializes");
    String::from_utf8(fragment.xml.to_vec()).expect("UTF-8")
}

fn read<T: DeserializeOwned>(xml: &str) -> Result<T, String> {
    from_fragment(
        &XmlFragment::new(xml.as_bytes().to_vec()),
        &ReaderQuotas::default(),
    )
    .map_err(|e| e.to_string())
}

fn access(members: &[Access]) -> Flags<Access> {
    members.iter().copied().collect()
}

#[test]
fn flags_are_written_as_wcf_chooses_their_member_names() {
    let cases = [
        // A member equal to the whole value wins, wherever it is declared.
        (access(&[Access::Read, Access::Write]), "ReadWrite"),
        // Otherwise members in declaration order, each clearing its bits.
        (
            access(&[Access::Read, Access::Write, Access::Delete]),
            "Read Write Delete",
        ),
        (access(&[Access::Write, Access::Delete]), "Write Delete"),
        // Zero is the zero-valued member.
        (Flags::empty(), "None"),
    ];
    for (value, text) in cases {
        assert_eq!(write(&value), format!(r#"<V xmlns="{SHOP}">{text}</V>"#));
        assert_eq!(read::<Flags<Access>>(&write(&value)), Ok(value), "{text}");
    }
}

#[test]
fn flags_read_any_order_of_names_and_refuse_an_unknown_one() {
    let read_back = read::<Flags<Access>>(r#"<V>Delete  Read</V>"#).expect("reads");
    assert_eq!(read_back, access(&[Access::Read, Access::Delete]));
    assert_eq!(
        read::<Flags<Access>>("<V/>"),
        Ok(Flags::empty()),
        "empty text is no flags"
    );
    let error = read::<Flags<Access>>("<V>Read Execute</V>").expect_err("Execute is unknown");
    assert!(
        error.contains("`Execute` is not a member of the flags enum Access"),
        "{error}"
    );
}

#[test]
fn bits_no_member_covers_are_refused() {
    assert!(
        Flags::<Access>::from_bits(8).is_none(),
        "no member has bit 8"
    );
    let covered = Flags::<Access>::from_bits(5).expect("Read and Delete cover 5");
    assert_eq!(
        write(&covered),
        format!(r#"<V xmlns="{SHOP}">Read Delete</V>"#)
    );
    let flags = access(&[Access::Read]);
    assert!(flags.contains(Access::Read) && !flags.contains(Access::Write));
    assert_eq!(format!("{flags:?}"), "Flags<Access>(Read)");
}

fn circle(label: &str, radius: f64) -> AnyShape {
    AnyShape::Circle(Circle {
        shape: Shape {
            label: label.to_owned(),
        },
        radius,
    })
}

#[test]
fn a_known_type_is_written_with_i_type_and_its_base_members_first() {
    let xml = write(&circle("disc", 2.0));
    assert_eq!(
        xml,
        format!(
            r#"<V xmlns="{SHOP}" xmlns:i="{XSI}" xmlns:a="urn:example:circles" i:type="a:Circle">"#,
        ) + r#"<b:Label xmlns:b="urn:example:geometry">disc</b:Label><a:Radius>2</a:Radius></V>"#
    );
    // The declared type itself is written plainly.
    let plain = write(&AnyShape::Shape(Shape {
        label: "plain".to_owned(),
    }));
    assert_eq!(
        plain,
        format!(r#"<V xmlns="{SHOP}" xmlns:a="urn:example:geometry"><a:Label>plain</a:Label></V>"#)
    );
    assert!(!plain.contains("type="), "{plain}");
}

#[test]
fn a_known_type_is_read_by_its_i_type_under_any_prefix() {
    // As WCF writes it: the prefixes are the writer's choice, and an unprefixed i:type is in
    // the default namespace.
    let wcf = format!(
        r#"<V xmlns:x="{XSI}" xmlns="urn:example:circles" x:type="Circle"><g:Label xmlns:g="urn:example:geometry">c</g:Label><Radius>0.5</Radius></V>"#
    );
    assert_eq!(read::<AnyShape>(&wcf), Ok(circle("c", 0.5)));
    let untagged = r#"<V xmlns:g="urn:example:geometry"><g:Label>p</g:Label></V>"#;
    assert_eq!(
        read::<AnyShape>(untagged),
        Ok(AnyShape::Shape(Shape {
            label: "p".to_owned()
        }))
    );
    // In a list, each item is told apart by its own i:type.
    let shapes = vec![circle("a", 1.0), AnyShape::Shape(Shape::default())];
    let xml = write(&shapes);
    assert!(
        xml.starts_with(
            r#"<V xmlns="http://example.org/shop" xmlns:a="urn:example:geometry"><a:Shape "#
        ),
        "items are named after the declared contract: {xml}"
    );
    assert_eq!(read::<Vec<AnyShape>>(&xml), Ok(shapes));
}

#[test]
fn an_unknown_i_type_is_refused_with_the_types_that_are_known() {
    let xml = format!(
        r#"<V xmlns:i="{XSI}" xmlns:s="urn:example:squares" i:type="s:Square"><Side>1</Side></V>"#
    );
    let error = read::<AnyShape>(&xml).expect_err("Square is not a known type");
    assert!(
        error.contains("i:type `{urn:example:squares}Square`")
            && error.contains("known: Shape, Circle"),
        "{error}"
    );
    let undeclared =
        r#"<V xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="q:Circle"/>"#;
    let error = read::<AnyShape>(undeclared).expect_err("the prefix is not declared");
    assert!(error.contains("`q`"), "{error}");
}

#[test]
fn a_base_type_reads_only_the_leading_members_that_are_its_own() {
    // The derived type's member first: the base stops there, and Radius is still read. The
    // base's Label after it is out of order, which WCF skips too.
    let xml = r#"<V xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="Circle"><Radius>3</Radius><Label>late</Label></V>"#;
    assert_eq!(read::<AnyShape>(xml), Ok(circle("", 3.0)));
    assert_eq!(
        read::<Circle>("<V><Label>l</Label><Extra>x</Extra><Radius>4</Radius></V>"),
        Ok(Circle {
            shape: Shape {
                label: "l".to_owned()
            },
            radius: 4.0
        }),
        "an unknown element between the two is skipped"
    );
}

#[test]
fn a_qualified_name_is_written_with_its_prefix_declared_and_read_back_resolved() {
    use indigo::dotnet::QualifiedName;
    let kind = QualifiedName::new("urn:example:kinds", "widget");
    let xml = write(&kind);
    assert_eq!(
        xml,
        format!(r#"<q:V xmlns:q="{SHOP}" xmlns:a="urn:example:kinds">a:widget</q:V>"#),
        "WCF's form: the element prefixed too"
    );
    assert_eq!(read::<QualifiedName>(&xml), Ok(kind.clone()));
    // Any prefix in scope, or the default namespace for an unprefixed name, as XML Schema
    // resolves a QName.
    let outer = r#"<V xmlns:k="urn:example:kinds"><!-- c --> k:widget </V>"#;
    assert_eq!(read::<QualifiedName>(outer), Ok(kind.clone()));
    assert_eq!(
        read::<QualifiedName>(r#"<V xmlns="urn:example:kinds">widget</V>"#),
        Ok(kind)
    );
    assert_eq!(
        write(&QualifiedName::default()),
        format!(r#"<q:V xmlns:q="{SHOP}"/>"#)
    );
    // A name in no namespace undeclares the default one, which the prefix leaves free.
    let bare = vec![QualifiedName::new("", "bare")];
    let xml = write(&bare);
    assert_eq!(
        xml,
        format!(
            r#"<V xmlns="{SHOP}" xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays"><a:QName xmlns="">bare</a:QName></V>"#
        )
    );
    assert_eq!(read::<Vec<QualifiedName>>(&xml), Ok(bare));
    assert_eq!(read::<QualifiedName>("<V/>"), Ok(QualifiedName::default()));
    let error = read::<QualifiedName>("<V>q:widget</V>").expect_err("q is not declared");
    assert!(error.contains("prefix `q`"), "{error}");
}

#[test]
fn collection_data_contracts_name_their_items_in_their_own_namespace() {
    let parcels = Parcels(vec!["s".to_owned(), "l".to_owned()]);
    let xml = to_fragment("P", "urn:other", "urn:other", &parcels).expect("serializes");
    let xml = String::from_utf8(xml.xml.to_vec()).expect("UTF-8");
    assert_eq!(
        xml,
        format!(
            r#"<P xmlns="urn:other" xmlns:a="{SHOP}"><a:Parcel>s</a:Parcel><a:Parcel>l</a:Parcel></P>"#
        )
    );
    assert_eq!(read::<Parcels>(&xml), Ok(parcels));

    let prices = PriceList([("k".to_owned(), "1.10".parse().expect("a decimal"))].into());
    let xml = write(&prices);
    assert_eq!(
        xml,
        format!(r#"<V xmlns="{SHOP}"><Entry><Sku>k</Sku><Price>1.10</Price></Entry></V>"#)
    );
    assert_eq!(read::<PriceList>(&xml), Ok(prices));
    assert_eq!(Parcels::NAME, "Parcels");
    assert_eq!(Parcels::NAMESPACE, Some(SHOP));
}

#[test]
fn a_list_of_collection_contracts_is_named_after_the_collection() {
    let lists = vec![Parcels(vec!["x".to_owned()])];
    let xml = write(&lists);
    assert!(
        xml.contains("<Parcels><Parcel>x</Parcel></Parcels>"),
        "items named by the collection contract: {xml}"
    );
    assert_eq!(read::<Vec<Parcels>>(&xml), Ok(lists));
}
