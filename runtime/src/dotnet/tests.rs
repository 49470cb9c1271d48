use super::*;
use crate::message::{ReaderQuotas, XmlFragment};
use crate::serialization::{from_fragment, to_fragment};

fn decimal(text: &str) -> Decimal {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn decimals_keep_their_scale_and_never_use_an_exponent() {
    for text in [
        "0",
        "1.50",
        "-1.50",
        "79228162514264337593543950335",
        "-79228162514264337593543950335",
        "0.0000000000000000000000000001",
        "123456789.123456789",
    ] {
        assert_eq!(decimal(text).to_string(), text);
    }
    assert_eq!(decimal(" +7.5 ").to_string(), "7.5");
    for bad in [
        "1E2",
        "1e2",
        "",
        "1,000",
        "1.2.3",
        ".",
        "79228162514264337593543950336",
        "x",
    ] {
        assert!(bad.parse::<Decimal>().is_err(), "{bad:?} must be refused");
    }
}

fn span(text: &str) -> TimeSpan {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn time_spans_are_written_as_xml_convert_writes_them() {
    let second = 10_000_000;
    for (ticks, text) in [
        (0, "PT0S"),
        (1, "PT0.0000001S"),
        (-1, "-PT0.0000001S"),
        ((3600 + 2 * 60 + 3) * second + second / 2, "PT1H2M3.5S"),
        ((24 + 2) * 3600 * second, "P1DT2H"),
        (400 * 86_400 * second, "P400D"),
        (i64::MAX, "P10675199DT2H48M5.4775807S"),
        (i64::MIN + 1, "-P10675199DT2H48M5.4775807S"),
    ] {
        assert_eq!(TimeSpan::from_ticks(ticks).to_string(), text);
        assert_eq!(span(text).ticks(), ticks, "{text}");
    }
    assert_eq!(span("P1Y").ticks(), 365 * 86_400 * second);
    assert_eq!(span("P1M").ticks(), 30 * 86_400 * second);
    assert_eq!(span("PT1.123456789S").ticks(), 11_234_567, "whole ticks");
    for bad in [
        "", "P", "PT", "1D", "P1H", "PT1D", "P1.5D", "PT1.S", "P-1D", "PT5M4H",
    ] {
        assert!(bad.parse::<TimeSpan>().is_err(), "{bad:?} must be refused");
    }
    assert!(
        "P10675199DT2H48M5.4775808S".parse::<TimeSpan>().is_err(),
        "overflow"
    );
}

fn date(text: &str) -> DateTime {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn date_times_keep_their_kind_and_seven_digits() {
    for text in [
        "2024-01-02T03:04:05.12Z",
        "2024-01-02T03:04:05",
        "2024-06-01T00:00:00+02:00",
        "2024-06-01T00:00:00-05:30",
        "2024-02-29T23:59:59.1234567Z",
        "1601-01-01T00:00:00",
        "1969-12-31T23:59:59.9999999Z",
        "0001-01-01T00:00:00",
        "9999-12-31T23:59:59.9999999",
    ] {
        assert_eq!(date(text).to_string(), text);
    }
    assert_eq!(date("0001-01-01T00:00:00").ticks(), 0);
    assert_eq!(
        date("9999-12-31T23:59:59.9999999").ticks(),
        3_155_378_975_999_999_999
    );
    // 1970-01-01 is 621355968000000000 ticks, as .NET's DateTime.UnixEpoch.
    assert_eq!(
        date("1970-01-01T00:00:00Z").ticks(),
        621_355_968_000_000_000
    );
    assert_eq!(date("2024-01-02T03:04:05Z").kind(), DateTimeKind::Utc);
    assert_eq!(
        date("2024-01-02T03:04:05").kind(),
        DateTimeKind::Unspecified
    );
    assert_eq!(
        date("2024-01-02T03:04:05-05:30").kind(),
        DateTimeKind::Local {
            offset_minutes: -330
        }
    );
    assert_eq!(
        date("2024-01-02T03:04:05.123456789Z").to_string(),
        "2024-01-02T03:04:05.1234567Z",
        "whole ticks"
    );
    for bad in [
        "2023-02-29T00:00:00",
        "2024-01-02",
        "2024-01-02T03:04",
        "2024-01-02T03:04:05.Z",
        "2024-01-02T03:04:05+15:00",
        "24-01-02T03:04:05",
        "x",
    ] {
        assert!(bad.parse::<DateTime>().is_err(), "{bad:?} must be refused");
    }
    let utc = date("2024-06-01T00:00:00+02:00").to_utc().unwrap();
    assert_eq!(utc.to_rfc3339(), "2024-05-31T22:00:00+00:00");
    assert_eq!(date("2024-06-01T00:00:00").to_utc(), None);
}

#[test]
fn guids_are_lowercase_8_4_4_4_12() {
    let id: Guid = "0F8FAD5B-D9CB-469F-A165-70867728950E".parse().unwrap();
    assert_eq!(id.to_string(), "0f8fad5b-d9cb-469f-a165-70867728950e");
    let braced: Guid = "{0f8fad5b-d9cb-469f-a165-70867728950e}".parse().unwrap();
    assert_eq!(braced, id);
    assert!("0f8fad5b".parse::<Guid>().is_err());
}

#[test]
fn uris_keep_their_text() {
    let uri: Uri = " http://x/a%20b ".parse().unwrap();
    assert_eq!(uri.to_string(), "http://x/a%20b");
    assert_eq!(
        "../relative".parse::<Uri>().unwrap().as_str(),
        "../relative"
    );
    assert_eq!(
        "".parse::<Uri>().unwrap().as_str(),
        "",
        "the empty relative URI"
    );
    assert!("http://x/a b".parse::<Uri>().is_err());
}

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Everything {
    #[serde(rename = "At")]
    at: DateTime,
    #[serde(rename = "Id")]
    id: Guid,
    #[serde(rename = "Offset")]
    offset: DateTimeOffset,
    #[serde(rename = "Price")]
    price: Decimal,
    #[serde(rename = "Prices")]
    prices: Vec<Decimal>,
    #[serde(rename = "Spans")]
    spans: Vec<TimeSpan>,
    #[serde(rename = "Urls")]
    urls: Vec<Uri>,
    #[serde(rename = "Wait")]
    wait: TimeSpan,
}

#[test]
fn the_types_are_written_and_named_as_data_contract_serializer_does() {
    let value = Everything {
        at: date("2024-01-02T03:04:05.12Z"),
        id: "0f8fad5b-d9cb-469f-a165-70867728950e".parse().unwrap(),
        offset: DateTimeOffset::try_from(
            chrono::DateTime::parse_from_rfc3339("2024-01-02T03:04:05+02:00").unwrap(),
        )
        .unwrap(),
        price: decimal("1.50"),
        prices: vec![decimal("0.10"), decimal("-2")],
        spans: vec![span("PT1H")],
        urls: vec!["http://x/a%20b".parse().unwrap()],
        wait: span("PT1.5S"),
    };
    let shop = "http://schemas.datacontract.org/2004/07/Shop";
    let fragment = to_fragment("v", "", shop, &value).unwrap();
    let xml = std::str::from_utf8(&fragment.xml).unwrap();
    let expected = concat!(
        r#"<v xmlns:a="http://schemas.datacontract.org/2004/07/Shop">"#,
        "<a:At>2024-01-02T03:04:05.12Z</a:At>",
        "<a:Id>0f8fad5b-d9cb-469f-a165-70867728950e</a:Id>",
        r#"<a:Offset xmlns:b="http://schemas.datacontract.org/2004/07/System">"#,
        "<b:DateTime>2024-01-02T01:04:05Z</b:DateTime><b:OffsetMinutes>120</b:OffsetMinutes>",
        "</a:Offset>",
        "<a:Price>1.50</a:Price>",
        r#"<a:Prices xmlns:b="http://schemas.microsoft.com/2003/10/Serialization/Arrays">"#,
        "<b:decimal>0.10</b:decimal><b:decimal>-2</b:decimal></a:Prices>",
        r#"<a:Spans xmlns:b="http://schemas.microsoft.com/2003/10/Serialization/Arrays">"#,
        "<b:duration>PT1H</b:duration></a:Spans>",
        r#"<a:Urls xmlns:b="http://schemas.microsoft.com/2003/10/Serialization/Arrays">"#,
        "<b:anyURI>http://x/a%20b</b:anyURI></a:Urls>",
        "<a:Wait>PT1.5S</a:Wait>",
        "</v>"
    );
    assert_eq!(xml, expected);
    let back: Everything =
        from_fragment(&XmlFragment::new(xml.to_owned()), &ReaderQuotas::default())
            .expect("read back");
    assert_eq!(back, value);
}
