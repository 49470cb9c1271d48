//! `System.Uri` as `xs:anyURI`: the text as written (WCF writes the escaped form), named so
//! that a collection of them is `ArrayOfanyURI`.

use std::fmt;
use std::str::FromStr;

/// .NET's `Uri` on the wire: its text. Indigo does not resolve, escape or normalise it (a
/// relative URI is as valid here as it is to WCF's `UriKind.RelativeOrAbsolute`); WCF writes
/// the escaped form (`%3C` for `<`), so give it escaped URIs to compare equal with a .NET peer.
///
/// ```
/// use indigo::dotnet::Uri;
///
/// let home: Uri = "http://x/a%20b".parse().unwrap();
/// assert_eq!(home.as_str(), "http://x/a%20b");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Uri(String);

/// A URI .NET would not read: one holding whitespace inside.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a URI: it holds whitespace")]
pub struct ParseUriError(String);

impl Uri {
    /// The URI's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Uri {
    type Err = ParseUriError;

    /// The text around whitespace (empty is the empty relative URI); refused when
    /// whitespace is left inside.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim_matches([' ', '\t', '\r', '\n']);
        if trimmed.contains(char::is_whitespace) {
            return Err(ParseUriError(text.to_owned()));
        }
        Ok(Uri(trimmed.to_owned()))
    }
}

impl TryFrom<String> for Uri {
    type Error = ParseUriError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Uri> for String {
    fn from(uri: Uri) -> Self {
        uri.0
    }
}

super::text_serde!(Uri, super::xsd_name!("anyURI"), "an xs:anyURI");
