//! .NET's primitive types with the exact text forms DataContractSerializer writes and reads:
//! [`Decimal`] (scale kept, never an exponent), [`DateTime`] (100 ns ticks and a `Kind`),
//! [`DateTimeOffset`] (its `System` class contract), [`TimeSpan`] (`xs:duration`), [`Guid`]
//! [`Uri`] (`xs:anyURI`) and [`QualifiedName`] (`xs:QName`). Each converts to and from the common crate's type (`rust_decimal`, `chrono`,
//! `uuid`), which also does the arithmetic and the calendar; only the wire forms are written
//! here, since no crate writes .NET's.
//!
//! In a collection each is named as WCF names it (`ArrayOfdecimal`, `ArrayOfdateTime`,
//! `ArrayOfduration`, `ArrayOfguid`): the serializer learns the contract from the newtype
//! name each type serializes under.

mod date_time;
mod decimal;
mod guid;
mod qualified_name;
mod time_span;
mod uri;

pub use date_time::{DateTime, DateTimeKind, DateTimeOffset, ParseDateTimeError};
pub use decimal::{Decimal, ParseDecimalError};
pub use guid::Guid;
pub use qualified_name::{ParseQualifiedNameError, QualifiedName};
pub use time_span::{ParseTimeSpanError, TimeSpan};
pub use uri::{ParseUriError, Uri};

/// The newtype name under which a primitive serializes: `{namespace}contract`, read by the
/// serializer's contract sniffer (see `serialization::sniff`).
macro_rules! xsd_name {
    ($local:literal) => {
        concat!("{http://www.w3.org/2001/XMLSchema}", $local)
    };
}
macro_rules! ser_name {
    ($local:literal) => {
        concat!(
            "{http://schemas.microsoft.com/2003/10/Serialization/}",
            $local
        )
    };
}
pub(crate) use {ser_name, xsd_name};

/// Serializes `text` as the text of a primitive contract named `name`.
fn serialize_text<S: serde::Serializer>(
    serializer: S,
    name: &'static str,
    text: &str,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_newtype_struct(name, text)
}

/// A visitor for a primitive written as text, parsed by `parse`.
struct TextVisitor<T, E> {
    expecting: &'static str,
    parse: fn(&str) -> Result<T, E>,
}

impl<'de, T, E: std::fmt::Display> serde::de::Visitor<'de> for TextVisitor<T, E> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<Er: serde::de::Error>(self, text: &str) -> Result<T, Er> {
        (self.parse)(text).map_err(Er::custom)
    }

    fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, inner: D) -> Result<T, D::Error> {
        inner.deserialize_str(self)
    }
}

fn deserialize_text<'de, D, T, E>(
    deserializer: D,
    name: &'static str,
    expecting: &'static str,
    parse: fn(&str) -> Result<T, E>,
) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    E: std::fmt::Display,
{
    deserializer.deserialize_newtype_struct(name, TextVisitor { expecting, parse })
}

/// Implements Serialize and Deserialize through `Display` and `FromStr` under a primitive
/// contract name.
macro_rules! text_serde {
    ($ty:ty, $name:expr, $expecting:literal) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                super::serialize_text(serializer, $name, &self.to_string())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                super::deserialize_text(deserializer, $name, $expecting, |text| text.parse::<$ty>())
            }
        }
    };
}
pub(crate) use text_serde;

#[cfg(test)]
mod tests;
