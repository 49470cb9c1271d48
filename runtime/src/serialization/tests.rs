use super::*;
use crate::message::ns;
use serde::{Deserialize, Deserializer, Serializer};
use std::collections::BTreeMap;
use std::fmt::Debug;

const ARRAYS: &str = "http://schemas.microsoft.com/2003/10/Serialization/Arrays";
const XSI_DECL: &str = r#"xmlns:i="http://www.w3.org/2001/XMLSchema-instance""#;
const SHOP: &str = "http://schemas.datacontract.org/2004/07/Shop";

fn xml<T: Serialize + ?Sized>(value: &T) -> String {
    let fragment = to_fragment("v", "", SHOP, value).unwrap();
    String::from_utf8(fragment.xml.to_vec()).unwrap()
}

fn read<T: DeserializeOwned>(text: &str) -> Result<T, XmlError> {
    from_fragment(&XmlFragment::new(text.to_owned()), &ReaderQuotas::default())
}

/// Writes `value`, checks the text, reads it back and checks it is unchanged.
fn round_trip<T>(value: T, expected: &str)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let text = xml(&value);
    assert_eq!(text, expected);
    let back: T = read(&text).unwrap_or_else(|e| panic!("{expected}: {e}"));
    assert_eq!(back, value, "{expected}");
}

#[test]
fn primitives() {
    round_trip(true, "<v>true</v>");
    round_trip(false, "<v>false</v>");
    round_trip(-5i8, "<v>-5</v>");
    round_trip(255u8, "<v>255</v>");
    round_trip(i16::MIN, "<v>-32768</v>");
    round_trip(u16::MAX, "<v>65535</v>");
    round_trip(i32::MIN, "<v>-2147483648</v>");
    round_trip(u32::MAX, "<v>4294967295</v>");
    round_trip(i64::MIN, "<v>-9223372036854775808</v>");
    round_trip(u64::MAX, "<v>18446744073709551615</v>");
    round_trip(i128::MIN, "<v>-170141183460469231731687303715884105728</v>");
    round_trip(2.5f32, "<v>2.5</v>");
    round_trip(5.0f64, "<v>5</v>");
    round_trip(1e17f64, "<v>1E+17</v>");
    round_trip(-0.00001f64, "<v>-1E-05</v>");
    round_trip(f64::INFINITY, "<v>INF</v>");
    round_trip(f64::NEG_INFINITY, "<v>-INF</v>");
    round_trip(f32::INFINITY, "<v>INF</v>");
    round_trip('A', "<v>65</v>");
    round_trip('€', "<v>8364</v>");
    round_trip((), "<v/>");
    assert_eq!(xml(&f64::NAN), "<v>NaN</v>");
    assert!(read::<f64>("<v>NaN</v>").unwrap().is_nan());
    assert!(read::<f32>("<v> NaN </v>").unwrap().is_nan());
}

#[test]
fn root_declares_its_namespace_only_when_needed() {
    let with_ns = to_fragment("n", "http://tempuri.org/", SHOP, &1i32).unwrap();
    assert_eq!(&with_ns.xml[..], br#"<n xmlns="http://tempuri.org/">1</n>"#);
    assert!(with_ns.inherited_namespaces.is_empty());
    let without = to_fragment("n", "", SHOP, &1i32).unwrap();
    assert_eq!(&without.xml[..], b"<n>1</n>");
}

#[test]
fn readers_accept_what_other_writers_send() {
    assert_eq!(read::<i32>("<v>\n  7 \t</v>").unwrap(), 7);
    assert!(read::<bool>("<v> 1 </v>").unwrap());
    assert!(!read::<bool>("<v>0</v>").unwrap());
    assert_eq!(read::<f64>("<v>1e17</v>").unwrap(), 1e17);
    assert_eq!(read::<f64>("<v>-INF</v>").unwrap(), f64::NEG_INFINITY);
    assert_eq!(read::<String>("<v></v>").unwrap(), "");
    assert_eq!(
        read::<String>("<v><![CDATA[a<b]]>&amp;c</v>").unwrap(),
        "a<b&c"
    );
    assert_eq!(read::<String>("<v>&#x1;&#0;</v>").unwrap(), "\u{1}\0");
    assert_eq!(read::<char>("<v>120</v>").unwrap(), 'x');
    // The element's own name and namespace do not matter.
    assert_eq!(
        read::<u8>(r#"<q:Other xmlns:q="urn:q">3</q:Other>"#).unwrap(),
        3
    );
    // Comments and whitespace around the element are skipped.
    assert_eq!(read::<u8>("<!-- c --> <v>3<!-- d --></v>").unwrap(), 3);
}

#[test]
fn strings_are_escaped_like_wcf() {
    round_trip(
        "a<b>&\"'\r\n\t\u{1}\u{FFFE}".to_owned(),
        "<v>a&lt;b&gt;&amp;\"'&#xD;\n\t&#x1;&#xFFFE;</v>",
    );
    round_trip(String::new(), "<v/>");
    round_trip(" padded ".to_owned(), "<v> padded </v>");
    round_trip("ünïcødé 🎉".to_owned(), "<v>ünïcødé 🎉</v>");
}

#[test]
fn options_use_xsi_nil() {
    round_trip(None::<i32>, &format!(r#"<v i:nil="true" {XSI_DECL}/>"#));
    round_trip(Some(4i32), "<v>4</v>");
    round_trip(Some(String::new()), "<v/>");
    // Any prefix bound to the XML Schema instance namespace will do.
    let other_prefix = r#"<v xsi:nil="1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>"#;
    assert_eq!(read::<Option<String>>(other_prefix).unwrap(), None);
    // `nil` in another namespace is just an attribute.
    assert_eq!(
        read::<Option<String>>(r#"<v x:nil="true" xmlns:x="urn:x">s</v>"#)
            .unwrap()
            .as_deref(),
        Some("s")
    );
    let err = read::<i32>(other_prefix).unwrap_err();
    assert!(
        matches!(err, XmlError::Deserialize(ref m) if m.contains("nil") && m.contains("<v>")),
        "{err}"
    );
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Inner {
    zed: bool,
    #[serde(rename = "Alpha")]
    alpha: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Outer {
    zeta: i32,
    alpha: Inner,
    mid: Option<String>,
    #[serde(rename = "NZ")]
    upper: u8,
}

fn outer() -> Outer {
    Outer {
        zeta: 1,
        alpha: Inner {
            zed: true,
            alpha: "x".into(),
        },
        mid: None,
        upper: 2,
    }
}

#[test]
fn struct_fields_are_written_in_ordinal_order() {
    round_trip(
        outer(),
        &format!(
            concat!(
                r#"<v xmlns:a="{shop}"><a:NZ>2</a:NZ>"#,
                r#"<a:alpha><a:Alpha>x</a:Alpha><a:zed>true</a:zed></a:alpha>"#,
                r#"<a:mid i:nil="true" {xsi}/><a:zeta>1</a:zeta></v>"#
            ),
            shop = SHOP,
            xsi = XSI_DECL
        ),
    );
}

#[test]
fn struct_members_share_the_parts_namespace_when_equal() {
    let fragment = to_fragment(
        "p",
        SHOP,
        SHOP,
        &Inner {
            zed: false,
            alpha: String::new(),
        },
    )
    .unwrap();
    assert_eq!(
        &fragment.xml[..],
        format!(r#"<p xmlns="{SHOP}"><Alpha/><zed>false</zed></p>"#).as_bytes()
    );
}

#[test]
fn struct_readers_tolerate_order_unknowns_and_prefixes() {
    let text = r#"<o xmlns:s="http://schemas.datacontract.org/2004/07/Shop">
        <s:zeta>1</s:zeta>
        <s:Unknown><deep><deeper/></deep></s:Unknown>
        <NZ>2</NZ>
        <s:alpha><s:zed>1</s:zed><s:Alpha>x</s:Alpha></s:alpha>
    </o>"#;
    assert_eq!(read::<Outer>(text).unwrap(), outer());
    let missing = read::<Outer>("<o><zeta>1</zeta><NZ>2</NZ></o>").unwrap_err();
    assert_eq!(
        missing,
        XmlError::Deserialize("at o: missing field `alpha`".into())
    );
    let bad = read::<Outer>("<o><zeta>one</zeta></o>").unwrap_err();
    assert_eq!(
        bad,
        XmlError::Deserialize("at o.zeta: `one` in element <zeta> is not a valid int".into())
    );
    let nested = read::<Outer>("<o><zeta>1</zeta><NZ>2</NZ><alpha><zed>maybe</zed></alpha></o>")
        .unwrap_err();
    assert_eq!(
        nested,
        XmlError::Deserialize(
            "at o.alpha.zed: `maybe` in element <zed> is not a valid boolean".into()
        ),
        "the member path names every step"
    );
    let item = read::<Vec<Outer>>(
        "<v><Outer><zeta>1</zeta><NZ>2</NZ><alpha><zed>true</zed><Alpha/></alpha></Outer>\
         <Outer><zeta>x</zeta></Outer></v>",
    )
    .unwrap_err();
    assert_eq!(
        item,
        XmlError::Deserialize("at v[1].zeta: `x` in element <zeta> is not a valid int".into()),
        "a collection item is named by its index"
    );
    let mixed = read::<Outer>("<o>text<zeta>1</zeta></o>").unwrap_err();
    assert!(matches!(mixed, XmlError::Deserialize(ref m) if m.contains("unexpected text")));
}

#[test]
fn prefixes_may_be_inherited_from_the_envelope() {
    let fragment = XmlFragment {
        xml: bytes::Bytes::from_static(
            b"<t:v><t:zed>true</t:zed><t:Alpha>y</t:Alpha></t:v><t:ignored/>",
        ),
        inherited_namespaces: vec![("t".into(), SHOP.into()), ("".into(), "urn:d".into())],
        typed: Vec::new(),
    };
    let inner: Inner = from_fragment(&fragment, &ReaderQuotas::default()).unwrap();
    assert_eq!(inner.alpha, "y");
    let undeclared = read::<Inner>("<u:v/>").unwrap_err();
    assert!(
        matches!(undeclared, XmlError::Malformed(ref m) if m.contains("`u`")),
        "{undeclared}"
    );
}

#[test]
fn sequences_name_items_after_their_contract() {
    round_trip(
        vec![1i32, -2],
        &format!(r#"<v xmlns:a="{ARRAYS}"><a:int>1</a:int><a:int>-2</a:int></v>"#),
    );
    round_trip(
        vec!["a".to_owned(), String::new()],
        &format!(r#"<v xmlns:a="{ARRAYS}"><a:string>a</a:string><a:string/></v>"#),
    );
    round_trip(Vec::<u64>::new(), "<v/>");
    round_trip(
        vec![Some(1i64), None],
        &format!(
            r#"<v xmlns:a="{ARRAYS}"><a:long>1</a:long><a:long i:nil="true" {XSI_DECL}/></v>"#
        ),
    );
    round_trip(
        vec![vec![1u8], vec![]],
        &format!(
            r#"<v xmlns:a="{ARRAYS}"><a:ArrayOfunsignedByte><a:unsignedByte>1</a:unsignedByte></a:ArrayOfunsignedByte><a:ArrayOfunsignedByte/></v>"#
        ),
    );
    round_trip(
        (1u16, "x".to_owned()),
        &format!(
            r#"<v xmlns:a="{ARRAYS}"><a:unsignedShort>1</a:unsignedShort><a:string>x</a:string></v>"#
        ),
    );
}

#[test]
fn sequences_of_structs_use_the_struct_name_and_data_namespace() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Line {
        qty: i32,
        tags: Vec<String>,
    }
    round_trip(
        vec![
            Line {
                qty: 1,
                tags: vec!["t".into()],
            },
            Line {
                qty: 2,
                tags: vec![],
            },
        ],
        &format!(
            concat!(
                r#"<v xmlns:a="{shop}"><a:Line><a:qty>1</a:qty>"#,
                r#"<a:tags xmlns:b="{arrays}"><b:string>t</b:string></a:tags></a:Line>"#,
                r#"<a:Line><a:qty>2</a:qty><a:tags/></a:Line></v>"#
            ),
            shop = SHOP,
            arrays = ARRAYS
        ),
    );
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Color {
    Red,
    #[serde(rename = "GRN")]
    Green,
}

#[test]
fn unit_enum_variants_are_written_by_name() {
    round_trip(Color::Red, "<v>Red</v>");
    round_trip(Color::Green, "<v>GRN</v>");
    round_trip(
        vec![Color::Green, Color::Red],
        &format!(r#"<v xmlns:a="{SHOP}"><a:Color>GRN</a:Color><a:Color>Red</a:Color></v>"#),
    );
    let unknown = read::<Color>("<c>Blue</c>").unwrap_err();
    assert!(
        matches!(unknown, XmlError::Deserialize(ref m) if m.starts_with("at c: unknown variant `Blue`")),
        "{unknown}"
    );
}

#[test]
fn data_carrying_variants_are_refused() {
    #[derive(Serialize)]
    enum Shape {
        Circle(f64),
        Square { side: f64 },
        Pair(u8, u8),
    }
    for shape in [
        Shape::Circle(1.0),
        Shape::Square { side: 1.0 },
        Shape::Pair(1, 2),
    ] {
        let err = to_fragment("s", "", SHOP, &shape).unwrap_err();
        assert!(matches!(err, XmlError::Serialize(ref m) if m.contains("only unit variants")));
    }
}

/// Bytes the way `serde_bytes` hands them to a serializer.
#[derive(Debug, PartialEq)]
struct Blob(Vec<u8>);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Blob;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes")
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Blob, E> {
                Ok(Blob(v))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

#[test]
fn bytes_are_base64() {
    round_trip(Blob(vec![1, 2, 3]), "<v>AQID</v>");
    round_trip(Blob(vec![]), "<v/>");
    round_trip(
        Blob((0..=255).collect()),
        &format!("<v>{}</v>", {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode((0..=255).collect::<Vec<u8>>())
        }),
    );
    assert_eq!(
        read::<Blob>("<v>AQ\r\n ID</v>").unwrap(),
        Blob(vec![1, 2, 3])
    );
    assert!(matches!(
        read::<Blob>("<v>!!!</v>"),
        Err(XmlError::Deserialize(_))
    ));
}

#[test]
fn maps_are_key_value_items() {
    let map: BTreeMap<String, i32> = [("a".to_owned(), 1), ("b".to_owned(), 2)].into();
    round_trip(
        map,
        &format!(
            concat!(
                r#"<v xmlns:a="{arrays}">"#,
                r#"<a:KeyValueOfstringint><a:Key>a</a:Key><a:Value>1</a:Value></a:KeyValueOfstringint>"#,
                r#"<a:KeyValueOfstringint><a:Key>b</a:Key><a:Value>2</a:Value></a:KeyValueOfstringint></v>"#
            ),
            arrays = ARRAYS
        ),
    );
}

#[test]
fn newtypes_and_unit_structs_are_transparent() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Meters(f64);
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Marker;
    round_trip(Meters(1.5), "<v>1.5</v>");
    round_trip(Marker, "<v/>");
}

#[test]
fn quotas_are_enforced() {
    let quotas = ReaderQuotas {
        max_depth: 4,
        max_string_content_length: 8,
        max_array_length: 3,
        ..ReaderQuotas::default()
    };
    let read_q = |text: &str| -> XmlError {
        from_fragment::<serde::de::IgnoredAny>(&XmlFragment::new(text.to_owned()), &quotas)
            .unwrap_err()
    };
    let nested = XmlFragment::new("<a><b><c><d>1</d></c></b></a>");
    assert!(from_fragment::<Vec<Vec<Vec<u8>>>>(&nested, &quotas).is_ok());
    assert!(matches!(
        read_q("<a><b><c><d><e/></d></c></b></a>"),
        XmlError::QuotaExceeded(_)
    ));
    let long = from_fragment::<String>(&XmlFragment::new("<s>123456789</s>"), &quotas).unwrap_err();
    assert!(
        matches!(long, XmlError::QuotaExceeded(ref m) if m.contains("<s>")),
        "{long}"
    );
    let exact = from_fragment::<String>(&XmlFragment::new("<s>1234&amp;678</s>"), &quotas);
    assert_eq!(exact.unwrap(), "1234&678");
    let multibyte = from_fragment::<String>(&XmlFragment::new("<s>éééééééé</s>"), &quotas);
    assert_eq!(multibyte.unwrap(), "éééééééé");
    let items = from_fragment::<Vec<u8>>(
        &XmlFragment::new("<v><i>1</i><i>2</i><i>3</i><i>4</i></v>"),
        &quotas,
    );
    assert!(matches!(items, Err(XmlError::QuotaExceeded(_))));
    let blob = from_fragment::<Blob>(&XmlFragment::new("<b>AQIDBA==</b>"), &quotas);
    assert!(matches!(blob, Err(XmlError::QuotaExceeded(_))));
    let small_blob = from_fragment::<Blob>(&XmlFragment::new("<b>AQID</b>"), &quotas);
    assert_eq!(small_blob.unwrap(), Blob(vec![1, 2, 3]));
}

#[test]
fn bad_input_gives_errors_not_panics() {
    assert!(matches!(read::<i32>(""), Err(XmlError::Deserialize(_))));
    assert!(matches!(
        read::<i32>("just text"),
        Err(XmlError::Deserialize(_))
    ));
    assert!(matches!(
        read::<i32>("<v>1</w>"),
        Err(XmlError::Malformed(_))
    ));
    assert!(matches!(read::<i32>("<v>1"), Err(XmlError::Malformed(_))));
    assert!(matches!(
        read::<String>("<v>&bogus;</v>"),
        Err(XmlError::Malformed(_))
    ));
    assert!(matches!(
        read::<String>(r#"<v a="1" a="2">x</v>"#),
        Err(XmlError::Malformed(_))
    ));
    assert_eq!(
        read::<u8>("<v/>").unwrap_err(),
        XmlError::Deserialize("element <v> is empty; expected unsignedByte".into())
    );
    assert_eq!(
        read::<u8>("<v>256</v>").unwrap_err(),
        XmlError::Deserialize("`256` in element <v> is not a valid unsignedByte".into())
    );
    assert!(matches!(
        read::<i32>("<v><x>1</x></v>"),
        Err(XmlError::Deserialize(_))
    ));
    assert!(matches!(
        read::<char>("<v>55296</v>"),
        Err(XmlError::Deserialize(_))
    ));
    let invalid_utf8 = XmlFragment::new(&b"<v>\xFF\xFE</v>"[..]);
    assert!(matches!(
        from_fragment::<String>(&invalid_utf8, &ReaderQuotas::default()),
        Err(XmlError::Malformed(_))
    ));
    let text = xml(&outer());
    for end in 0..text.len() {
        let _ = read::<Outer>(&text[..end]);
    }
}

#[test]
fn deserialize_any_sees_text_and_elements() {
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum Loose {
        Record { a: String },
        Text(String),
    }
    assert_eq!(
        read::<Loose>("<v><a>1</a></v>").unwrap(),
        Loose::Record { a: "1".into() }
    );
    assert_eq!(
        read::<Loose>("<v>hi</v>").unwrap(),
        Loose::Text("hi".into())
    );
    assert_eq!(read::<Loose>("<v/>").unwrap(), Loose::Text(String::new()));
}

#[test]
fn writes_dc_default_namespace_fields() {
    let fragment = to_fragment(
        "x",
        "http://tempuri.org/",
        ns::DC_DEFAULT,
        &Inner {
            zed: true,
            alpha: "q".into(),
        },
    )
    .unwrap();
    assert_eq!(
        &fragment.xml[..],
        br#"<x xmlns="http://tempuri.org/" xmlns:a="http://schemas.datacontract.org/2004/07/"><a:Alpha>q</a:Alpha><a:zed>true</a:zed></x>"#
    );
}

#[test]
fn empty_data_namespace_undeclares_the_default_on_each_field() {
    let fragment = to_fragment(
        "x",
        "http://tempuri.org/",
        "",
        &Inner {
            zed: true,
            alpha: "q".into(),
        },
    )
    .unwrap();
    assert_eq!(
        &fragment.xml[..],
        br#"<x xmlns="http://tempuri.org/"><Alpha xmlns="">q</Alpha><zed xmlns="">true</zed></x>"#
    );
    let back: Inner = from_fragment(&fragment, &ReaderQuotas::default()).unwrap();
    assert_eq!(back.alpha, "q");
}

#[test]
fn empty_collections_inside_collections_are_kept() {
    let nested: Vec<Vec<i32>> = read(
        "<v><ArrayOfint><int>1</int></ArrayOfint><ArrayOfint/><ArrayOfint></ArrayOfint>\
         <ArrayOfint><int>3</int></ArrayOfint></v>",
    )
    .unwrap();
    assert_eq!(nested, vec![vec![1], vec![], vec![], vec![3]]);
}

/// .NET sends an unset reference member (a string, a list, an object) as `i:nil`: a member
/// whose Rust type cannot be null reads as if it were left out (its default), an `Option` as
/// `None`; a required member with no default is still refused.
#[test]
fn nil_members_read_as_members_left_out() {
    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(default)]
    struct Line {
        name: String,
        tags: Vec<String>,
        note: Option<String>,
        count: i32,
    }
    let text = format!(
        r#"<v {XSI_DECL}><name i:nil="true"/><tags i:nil="true"></tags><note i:nil="true"/><count>3</count></v>"#
    );
    assert_eq!(
        read::<Line>(&text).unwrap(),
        Line {
            count: 3,
            ..Line::default()
        }
    );

    #[derive(Debug, Deserialize)]
    struct Required {
        #[allow(dead_code)]
        name: String,
    }
    let err = read::<Required>(&format!(r#"<v {XSI_DECL}><name i:nil="true"/></v>"#)).unwrap_err();
    assert!(err.to_string().contains("name"), "{err}");
}
