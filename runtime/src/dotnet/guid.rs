//! `System.Guid`: lowercase 8-4-4-4-12 on the wire (`ser:guid`); any of .NET's forms read.

use std::fmt;
use std::str::FromStr;

/// .NET's `Guid`: a `uuid::Uuid`, written as `Guid.ToString()` writes it.
///
/// ```
/// use indigo::dotnet::Guid;
///
/// let id: Guid = "{0F8FAD5B-D9CB-469F-A165-70867728950E}".parse().unwrap();
/// assert_eq!(id.to_string(), "0f8fad5b-d9cb-469f-a165-70867728950e");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Guid(pub uuid::Uuid);

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl FromStr for Guid {
    type Err = uuid::Error;

    /// The "D", "N", "B" forms and URNs (uuid's parser), around whitespace.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(text.trim()).map(Guid)
    }
}

impl From<uuid::Uuid> for Guid {
    fn from(value: uuid::Uuid) -> Self {
        Guid(value)
    }
}

impl From<Guid> for uuid::Uuid {
    fn from(value: Guid) -> Self {
        value.0
    }
}

super::text_serde!(Guid, super::ser_name!("guid"), "a GUID");
