//! `System.Xml.XmlQualifiedName` as `xs:QName`: a namespace and a local name, written as
//! `prefix:local` with the prefix declared on the element, as DataContractSerializer does.

use std::fmt;
use std::str::FromStr;

/// .NET's `XmlQualifiedName`: a name in a namespace. On the wire its text is `prefix:name`,
/// the prefix bound to the namespace on the element; the empty name writes no text.
///
/// `Display` and `FromStr` use the `{namespace}name` notation.
///
/// ```
/// use indigo::dotnet::QualifiedName;
///
/// let kind = QualifiedName::new("urn:example:kinds", "widget");
/// assert_eq!(kind.to_string(), "{urn:example:kinds}widget");
/// assert_eq!("{urn:example:kinds}widget".parse(), Ok(kind));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct QualifiedName {
    namespace: String,
    name: String,
}

/// A text that is not `{namespace}name` or `name`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a qualified name: write `{{namespace}}name`")]
pub struct ParseQualifiedNameError(String);

impl QualifiedName {
    /// `name` in `namespace` (empty for none).
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// The namespace, empty for none.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The local name, empty for the empty qualified name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{{{}}}{}", self.namespace, self.name)
        }
    }
}

impl FromStr for QualifiedName {
    type Err = ParseQualifiedNameError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParseQualifiedNameError(text.to_owned());
        match text.strip_prefix('{') {
            Some(rest) => {
                let (namespace, name) = rest.split_once('}').ok_or_else(error)?;
                if name.contains(['{', '}']) {
                    return Err(error());
                }
                Ok(QualifiedName::new(namespace, name))
            }
            None if text.contains(['{', '}']) => Err(error()),
            None => Ok(QualifiedName::new("", text)),
        }
    }
}

super::text_serde!(QualifiedName, super::xsd_name!("QName"), "an xs:QName");
