//! `System.Decimal`: 96 bits of mantissa and a scale of 0-28, kept as written (`1.50` stays
//! `1.50`), in plain notation both ways (WCF rejects an exponent).

use std::fmt;
use std::str::FromStr;

/// .NET's `decimal`: a `rust_decimal::Decimal` (the same 96-bit mantissa and 0-28 scale), on
/// the wire as `xs:decimal` in .NET's text form.
///
/// ```
/// use indigo::dotnet::Decimal;
///
/// let price: Decimal = "1.50".parse().unwrap();
/// assert_eq!(price.to_string(), "1.50");
/// assert!("1E2".parse::<Decimal>().is_err(), "WCF reads no exponent");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Decimal(pub rust_decimal::Decimal);

/// Why a text is not a .NET decimal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an xs:decimal as .NET reads it: {why}")]
pub struct ParseDecimalError {
    text: String,
    why: String,
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // rust_decimal prints plain notation with the scale kept, as `decimal.ToString()`.
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Decimal {
    type Err = ParseDecimalError;

    /// .NET's `XmlConvert.ToDecimal`: surrounding whitespace, a leading sign and a decimal
    /// point; no exponent, no thousands separators.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |why: &str| ParseDecimalError {
            text: text.to_owned(),
            why: why.to_owned(),
        };
        let trimmed = text.trim_matches([' ', '\t', '\r', '\n']);
        let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(error(
                "only digits, one point and a leading sign are allowed",
            ));
        }
        if digits.bytes().filter(|&b| b == b'.').count() > 1 || digits == "." {
            return Err(error("not a number"));
        }
        let unsigned = trimmed.strip_prefix('+').unwrap_or(trimmed);
        rust_decimal::Decimal::from_str_exact(unsigned)
            .map(Decimal)
            .map_err(|e| error(&e.to_string()))
    }
}

impl From<rust_decimal::Decimal> for Decimal {
    fn from(value: rust_decimal::Decimal) -> Self {
        Decimal(value)
    }
}

impl From<Decimal> for rust_decimal::Decimal {
    fn from(value: Decimal) -> Self {
        value.0
    }
}

super::text_serde!(Decimal, super::xsd_name!("decimal"), "an xs:decimal");
