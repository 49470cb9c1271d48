//! The text form of the typed [MC-NBFX] text records, as .NET's `XmlConverter` renders them
//! when a typed record is read as a string, and the inverse checks the writer uses to pick a
//! compact record only when reading it back gives the very same text.

use crate::xml::TextType;
use base64::Engine as _;

const TICKS_PER_SECOND: u64 = 10_000_000;
const TICKS_PER_DAY: u64 = 86_400 * TICKS_PER_SECOND;
/// `DateTime.MaxValue.Ticks`.
const MAX_DATETIME_TICKS: u64 = 3_155_378_975_999_999_999;
/// Days from 0001-01-01 to 1970-01-01 in the proleptic Gregorian calendar.
const DAYS_0001_TO_1970: i64 = 719_162;

/// `Float`/`Double` text: `INF`, `-INF`, `NaN`, `-0`, else the shortest round-trip digits,
/// with an exponent (`1E+20`, `1E-05`) where .NET's "R" format uses one.
pub(crate) fn render_f64(value: f64) -> String {
    render_float(
        value,
        value.is_sign_negative(),
        format!("{value:E}"),
        || format!("{value}"),
    )
}

/// A `Float` record's text: the digits of the double it widens to, so that a double read
/// from it is the very value .NET's reader gives (`(double)f`), and a float read from it
/// rounds back to the same float. (.NET renders `0.1f` as `0.1` when asked for a string; WCF
/// writes no string as a Float record.)
pub(crate) fn render_f32(value: f32) -> String {
    render_f64(f64::from(value))
}

fn render_float(
    value: f64,
    negative: bool,
    scientific: String,
    positional: impl FnOnce() -> String,
) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if negative { "-INF" } else { "INF" }.into();
    }
    if value == 0.0 {
        return if negative { "-0" } else { "0" }.into();
    }
    // `{:E}` gives "1.5E-7": shortest mantissa digits and the decimal exponent.
    let (mantissa, exponent) = scientific.split_once('E').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-5..15).contains(&exponent) {
        return positional();
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}E{sign}{:02}", exponent.unsigned_abs())
}

/// A 16-byte [MS-OAUT] DECIMAL: reserved u16, scale u8, sign u8, Hi32, Lo64 (little-endian).
pub(crate) fn render_decimal(bytes: &[u8; 16]) -> Result<String, String> {
    let scale = bytes[2];
    let sign = bytes[3];
    if scale > 28 {
        return Err(format!("scale {scale} is over 28"));
    }
    if sign != 0 && sign != 0x80 {
        return Err(format!("sign byte 0x{sign:02X} is neither 0 nor 0x80"));
    }
    let hi = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    let mut lo = [0u8; 8];
    lo.copy_from_slice(&bytes[8..16]);
    let magnitude = (u128::from(hi) << 64) | u128::from(u64::from_le_bytes(lo));
    let mut digits = magnitude.to_string();
    let scale = usize::from(scale);
    if scale > 0 {
        if digits.len() <= scale {
            digits = format!("{}{digits}", "0".repeat(scale + 1 - digits.len()));
        }
        digits.insert(digits.len() - scale, '.');
    }
    if sign != 0 && magnitude != 0 {
        digits.insert(0, '-');
    }
    Ok(digits)
}

/// A `DateTime.ToBinary` value: 62 bits of ticks, 2 bits of kind (0 unspecified, 1 UTC,
/// 2 local). Local times carry UTC ticks; they render with offset `+00:00`, as .NET would
/// on a machine whose zone is UTC, since the writer's real offset is not on the wire.
pub(crate) fn render_datetime(raw: u64) -> Result<String, String> {
    let ticks = raw & 0x3FFF_FFFF_FFFF_FFFF;
    let kind = raw >> 62;
    if ticks > MAX_DATETIME_TICKS {
        return Err(format!("{ticks} ticks is past DateTime.MaxValue"));
    }
    let days = (ticks / TICKS_PER_DAY) as i64;
    let in_day = ticks % TICKS_PER_DAY;
    let (year, month, day) = civil_from_days(days - DAYS_0001_TO_1970);
    let seconds = in_day / TICKS_PER_SECOND;
    let fraction = in_day % TICKS_PER_SECOND;
    let mut out = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    push_fraction(&mut out, fraction);
    match kind {
        0 => {}
        1 => out.push('Z'),
        2 => out.push_str("+00:00"),
        _ => return Err("kind 3 is undefined".into()),
    }
    Ok(out)
}

/// `.fffffff` with trailing zeros trimmed, nothing for zero.
fn push_fraction(out: &mut String, fraction_ticks: u64) {
    if fraction_ticks != 0 {
        let digits = format!("{fraction_ticks:07}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

/// Howard Hinnant's days-to-civil algorithm, for days relative to 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A `TimeSpan` as `XmlConvert.ToString` writes it: an xs:duration with days, hours,
/// minutes and seconds (`P1DT2H3M4.5S`, `-PT1S`, `PT0S`).
pub(crate) fn render_timespan(ticks: i64) -> String {
    let mut out = String::from(if ticks < 0 { "-P" } else { "P" });
    let t = ticks.unsigned_abs();
    let days = t / TICKS_PER_DAY;
    let in_day = t % TICKS_PER_DAY;
    let (hours, minutes) = (
        in_day / (3600 * TICKS_PER_SECOND),
        in_day / (60 * TICKS_PER_SECOND) % 60,
    );
    let seconds = in_day / TICKS_PER_SECOND % 60;
    let fraction = in_day % TICKS_PER_SECOND;
    if days != 0 {
        out.push_str(&format!("{days}D"));
    }
    if in_day != 0 {
        out.push('T');
        if hours != 0 {
            out.push_str(&format!("{hours}H"));
        }
        if minutes != 0 {
            out.push_str(&format!("{minutes}M"));
        }
        if seconds != 0 || fraction != 0 {
            out.push_str(&seconds.to_string());
            push_fraction(&mut out, fraction);
            out.push('S');
        }
    }
    if out.ends_with('P') {
        out.push_str("T0S");
    }
    out
}

/// A GUID in .NET `Guid.ToByteArray` order, as lowercase `8-4-4-4-12` hex.
pub(crate) fn render_guid(bytes: [u8; 16]) -> String {
    let mut buffer = uuid::Uuid::encode_buffer();
    uuid::Uuid::from_bytes_le(bytes)
        .hyphenated()
        .encode_lower(&mut buffer)
        .to_owned()
}

/// A UniqueId record's text: `urn:uuid:` and the GUID, in one allocation.
pub(crate) fn render_unique_id(bytes: [u8; 16]) -> String {
    let mut buffer = uuid::Uuid::encode_buffer();
    let guid = uuid::Uuid::from_bytes_le(bytes)
        .hyphenated()
        .encode_lower(&mut buffer);
    let mut text = String::with_capacity(9 + guid.len());
    text.push_str("urn:uuid:");
    text.push_str(guid);
    text
}

/// Bytes as base64, the text form of the Bytes records.
pub(crate) fn render_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The bytes of `text` if it is a GUID exactly as [`render_guid`] writes it.
pub(crate) fn canonical_guid(text: &str) -> Option<[u8; 16]> {
    if text.len() != 36 {
        return None;
    }
    let parsed = uuid::Uuid::try_parse(text).ok()?;
    let mut buffer = uuid::Uuid::encode_buffer();
    (parsed.hyphenated().encode_lower(&mut buffer) == text).then(|| parsed.to_bytes_le())
}

/// An integer in canonical decimal form (no sign on zero, no `+`, no leading zeros) that
/// fits an `i64` or a `u64`, so an Int or UInt64 record reads back as the same text.
pub(crate) fn canonical_integer(text: &str) -> Option<i128> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.len() <= 20
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && text != "-0";
    if !canonical {
        return None;
    }
    let value: i128 = text.parse().ok()?;
    (i128::from(i64::MIN)..=i128::from(u64::MAX))
        .contains(&value)
        .then_some(value)
}

/// A typed value's record, chosen only when the record reads back as the very same text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TypedRecord {
    Integer(i128),
    Float(f32),
    Double(f64),
    Decimal([u8; 16]),
    DateTime(u64),
    TimeSpan(i64),
    Bytes(Vec<u8>),
}

/// The record WCF's writer uses for a value of type `ty` whose text is `text`, if reading that
/// record gives `text` back; `None` leaves it to the writer's text records.
pub(crate) fn typed_record(ty: TextType, text: &str) -> Option<TypedRecord> {
    match ty {
        // .NET writes a whole-number float as an integer record, then a float record when the
        // value fits one, then a double record.
        TextType::Float | TextType::Double => {
            if let Some(value) = canonical_integer(text) {
                return Some(TypedRecord::Integer(value));
            }
            let single = parse_xsd_float::<f32>(text, f32::INFINITY, f32::NAN)?;
            if render_f32(single) == text {
                return Some(TypedRecord::Float(single));
            }
            let double = parse_xsd_float::<f64>(text, f64::INFINITY, f64::NAN)?;
            (render_f64(double) == text).then_some(TypedRecord::Double(double))
        }
        TextType::Decimal => {
            let value = rust_decimal::Decimal::from_str_exact(text).ok()?;
            let bytes = decimal_bytes(value);
            (render_decimal(&bytes).ok()? == text).then_some(TypedRecord::Decimal(bytes))
        }
        TextType::DateTime => {
            let value: crate::dotnet::DateTime = text.parse().ok()?;
            let ticks = u64::try_from(value.ticks()).ok()?;
            let raw = match value.kind() {
                crate::dotnet::DateTimeKind::Unspecified => ticks,
                crate::dotnet::DateTimeKind::Utc => ticks | 1 << 62,
                // On the wire a local time is its UTC instant, read back as +00:00: only a
                // zero offset reads back as the same text.
                crate::dotnet::DateTimeKind::Local { offset_minutes: 0 } => ticks | 2 << 62,
                crate::dotnet::DateTimeKind::Local { .. } => return None,
            };
            (render_datetime(raw).ok()? == text).then_some(TypedRecord::DateTime(raw))
        }
        TextType::TimeSpan => {
            let value: crate::dotnet::TimeSpan = text.parse().ok()?;
            (render_timespan(value.ticks()) == text).then_some(TypedRecord::TimeSpan(value.ticks()))
        }
        TextType::Base64 => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()?;
            (render_base64(&bytes) == text).then_some(TypedRecord::Bytes(bytes))
        }
    }
}

/// XML Schema's float text: `INF`, `-INF`, `NaN`, or a number.
fn parse_xsd_float<T: std::str::FromStr + std::ops::Neg<Output = T>>(
    text: &str,
    infinity: T,
    nan: T,
) -> Option<T> {
    match text {
        "INF" => Some(infinity),
        "-INF" => Some(-infinity),
        "NaN" => Some(nan),
        // Rust also reads `inf` and `infinity`, which XML Schema does not.
        _ if text
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E')) =>
        {
            None
        }
        _ => text.parse().ok(),
    }
}

/// A decimal in the layout [`render_decimal`] reads.
fn decimal_bytes(value: rust_decimal::Decimal) -> [u8; 16] {
    let magnitude = value.mantissa().unsigned_abs();
    let mut bytes = [0u8; 16];
    // rust_decimal's scale is at most 28, so it fits the byte.
    bytes[2] = value.scale() as u8;
    bytes[3] = if value.is_sign_negative() { 0x80 } else { 0 };
    // The mantissa has 96 bits: the high 32 and the low 64.
    bytes[4..8].copy_from_slice(&((magnitude >> 64) as u32).to_le_bytes());
    bytes[8..16].copy_from_slice(&(magnitude as u64).to_le_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        assert_eq!(render_f64(1.5), "1.5");
        assert_eq!(render_f64(-0.0), "-0");
        assert_eq!(render_f64(f64::INFINITY), "INF");
        assert_eq!(render_f64(f64::NEG_INFINITY), "-INF");
        assert_eq!(render_f64(f64::NAN), "NaN");
        assert_eq!(render_f64(1e20), "1E+20");
        assert_eq!(render_f64(1.25e-7), "1.25E-07");
        assert_eq!(render_f64(0.0001), "0.0001");
        assert_eq!(render_f32(0.1), "0.10000000149011612");
        assert_eq!(render_f32(0.1).parse::<f32>(), Ok(0.1));
        assert_eq!(render_f32(-2.5), "-2.5");
        for v in [1e20, 1.25e-7, 0.1, 123456.789, f64::MAX, f64::MIN_POSITIVE] {
            assert_eq!(render_f64(v).parse::<f64>(), Ok(v));
        }
    }

    #[test]
    fn decimals() {
        let mut b = [0u8; 16];
        b[8] = 150; // 150, scale 2 -> 1.50
        b[2] = 2;
        assert_eq!(render_decimal(&b).as_deref(), Ok("1.50"));
        b[3] = 0x80;
        assert_eq!(render_decimal(&b).as_deref(), Ok("-1.50"));
        b[2] = 5;
        assert_eq!(render_decimal(&b).as_deref(), Ok("-0.00150"));
        b[2] = 29;
        assert!(render_decimal(&b).is_err());
        let max = [
            0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        ];
        assert_eq!(
            render_decimal(&max).as_deref(),
            Ok("79228162514264337593543950335")
        );
    }

    #[test]
    fn datetimes() {
        // 2000-01-01T00:00:00Z = 630822816000000000 ticks.
        let t: u64 = 630_822_816_000_000_000;
        assert_eq!(
            render_datetime(t | 1 << 62).as_deref(),
            Ok("2000-01-01T00:00:00Z")
        );
        assert_eq!(
            render_datetime(t + 1_234_500).as_deref(),
            Ok("2000-01-01T00:00:00.12345")
        );
        assert_eq!(render_datetime(0).as_deref(), Ok("0001-01-01T00:00:00"));
        assert_eq!(
            render_datetime(MAX_DATETIME_TICKS | 2 << 62).as_deref(),
            Ok("9999-12-31T23:59:59.9999999+00:00")
        );
        assert!(render_datetime(MAX_DATETIME_TICKS + 1).is_err());
        assert!(render_datetime(3 << 62).is_err());
    }

    #[test]
    fn timespans() {
        assert_eq!(render_timespan(0), "PT0S");
        assert_eq!(render_timespan(10_000_000), "PT1S");
        assert_eq!(render_timespan(-10_000_000), "-PT1S");
        assert_eq!(
            render_timespan((86_400 + 2 * 3600 + 3 * 60 + 4) * 10_000_000 + 5_000_000),
            "P1DT2H3M4.5S"
        );
        assert_eq!(render_timespan(86_400 * 10_000_000), "P1D");
        assert!(render_timespan(i64::MIN).starts_with("-P"));
    }

    #[test]
    fn guids_in_dotnet_byte_order() {
        // From the capture: a:MessageID of the first request.
        let bytes = [
            0xc4, 0xa9, 0xeb, 0x97, 0xb0, 0xdf, 0x99, 0x48, 0x90, 0x19, 0x4b, 0x50, 0x05, 0xbe,
            0xf5, 0x75,
        ];
        let text = render_guid(bytes);
        assert_eq!(text, "97eba9c4-dfb0-4899-9019-4b5005bef575");
        assert_eq!(canonical_guid(&text), Some(bytes));
        assert_eq!(canonical_guid("97EBA9C4-DFB0-4899-9019-4B5005BEF575"), None);
        assert_eq!(
            canonical_guid("{97eba9c4-dfb0-4899-9019-4b5005bef575}"),
            None
        );
    }

    #[test]
    fn integers() {
        assert_eq!(canonical_integer("10"), Some(10));
        assert_eq!(canonical_integer("-128"), Some(-128));
        assert_eq!(canonical_integer("0"), Some(0));
        assert_eq!(
            canonical_integer("18446744073709551615"),
            Some(u64::MAX.into())
        );
        for bad in [
            "",
            "-",
            "-0",
            "+1",
            "01",
            " 1",
            "1.0",
            "18446744073709551616",
            "1e3",
        ] {
            assert_eq!(canonical_integer(bad), None, "{bad:?}");
        }
    }
}
