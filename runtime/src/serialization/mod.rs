//! serde <-> XML in DataContractSerializer's conventions (ARCHITECTURE.md, "Wire defaults"):
//! one element per struct member in ordinal name order, `i:nil="true"` for `None`, enums by
//! variant name, sequences as one element per item named after the item type.
//!
//! Hand-written on purpose: quick-xml's own serde support has no notion of the namespaces and
//! naming rules WCF peers expect. quick-xml still does all reading.
//!
//! What maps to what:
//!
//! | Rust | XML |
//! |---|---|
//! | `bool`, integers, `f32`/`f64` | text: `true`, `42`, `1E+17`, `INF`, `NaN` |
//! | `char` | its numeric code, as DataContractSerializer writes `char` |
//! | `String` | escaped text; `""` is an empty element |
//! | bytes (`serde_bytes`) | base64 (a plain `Vec<u8>` is a sequence of `unsignedByte`) |
//! | `None` / `Some(v)` | `i:nil="true"` / `v` |
//! | struct | one element per field in the data namespace, in ordinal name order |
//! | `Vec<T>` | one element per item, named `int`, `string`, ... (Arrays namespace) or after the item struct |
//! | map | `KeyValueOf{K}{V}` items holding `Key` and `Value` |
//! | unit enum variant | the variant name |

mod de;
mod flags;
mod ser;
mod sniff;

pub use flags::{Flags, FlagsContract};

use crate::message::{ReaderQuotas, XmlError, XmlFragment};
use serde::{de::DeserializeOwned, Serialize};
use std::fmt;

use crate::xml::{self, FragmentReader, Node};
pub(crate) use ser::Writer;
pub(crate) use sniff::namespaces_digest;

/// The enum name under which a `#[fault_contracts]` choice serializes (as a newtype variant
/// whose variant name is the detail's type name) and deserializes (the variant is picked by
/// the detail element's name).
pub(crate) const FAULT_CHOICE: &str = "{urn:indigo:fault-choice}";

/// The variant name under which a `#[data_contract(known_types)]` enum serializes its value
/// (a newtype variant whose enum name is the declared contract), and the enum name under which
/// it deserializes (the variant is picked by `i:type`; the variant names given are the declared
/// contract's name and then each variant's contract name).
#[doc(hidden)]
pub const KNOWN_TYPES: &str = "{urn:indigo:known-types}";

/// The serde name of `indigo::dotnet::QualifiedName`, whose text is `{namespace}name`: the
/// serializer writes it as `prefix:name` with the prefix declared, and reads it back resolved.
pub(crate) const QNAME: &str = "{http://www.w3.org/2001/XMLSchema}QName";

/// The field name of a data contract's base type (`#[data_member(base)]`): its members are
/// written first, inline, in the base's namespace, as WCF writes a base class's members.
#[doc(hidden)]
pub const BASE_MEMBERS: &str = "{urn:indigo:base}";

/// What `#[data_contract]` implements: the type's data contract name and namespace (WCF's
/// `[DataContract(Name, Namespace)]`).
pub trait DataContract {
    /// The contract name (default: the type's name).
    const NAME: &'static str;
    /// The contract namespace; `None` for the data namespace of the service contract the type
    /// travels in.
    const NAMESPACE: Option<&'static str>;
}

/// Serializes `value` as one element `name` in namespace `namespace`; struct members go in
/// `data_namespace`.
pub fn to_fragment<T: Serialize + ?Sized>(
    name: &str,
    namespace: &str,
    data_namespace: &str,
    value: &T,
) -> Result<XmlFragment, XmlError> {
    let mut writer = Writer::new(Vec::new(), "", data_namespace);
    writer.element(name, namespace, true, value)?;
    let mut fragment = XmlFragment::new(writer.out);
    fragment.typed = writer.typed;
    Ok(fragment)
}

/// How a fault detail is written: the element (its data contract name, and its namespace,
/// `None` for the data namespace) and, for a `#[fault_contracts]` choice, the Rust type name
/// of the detail it holds.
pub(crate) struct DetailName {
    pub(crate) element: Option<(std::borrow::Cow<'static, str>, Option<&'static str>)>,
    pub(crate) fault_type: Option<&'static str>,
}

/// The [`DetailName`] of a fault detail. The element is `None` for primitives and
/// collections.
pub(crate) fn detail_name<T: Serialize + ?Sized>(value: &T) -> DetailName {
    // A detail's own name needs no data namespace (only a dictionary's hash would).
    let Some(contract) = sniff::contract_of(value, "") else {
        return DetailName {
            element: None,
            fault_type: None,
        };
    };
    let element = match contract.ns {
        sniff::ContractNs::Data => Some((contract.name, None)),
        sniff::ContractNs::Named(namespace) => Some((contract.name, Some(namespace))),
        sniff::ContractNs::Arrays => None,
    };
    DetailName {
        element,
        fault_type: contract.fault_type,
    }
}

/// Deserializes the first element of `fragment` as a `T`, ignoring the element's own name.
pub fn from_fragment<T: DeserializeOwned>(
    fragment: &XmlFragment,
    quotas: &ReaderQuotas,
) -> Result<T, XmlError> {
    let mut reader = FragmentReader::new(fragment, quotas)?;
    let root = loop {
        match reader.next()? {
            Node::Start(root) => break root,
            Node::Text(text) if xml::is_whitespace(&text) => {}
            Node::Text(text) => {
                return Err(XmlError::Deserialize(format!(
                    "expected an element, found text `{}`",
                    xml::truncate_for_message(&text)
                )))
            }
            Node::End => return Err(XmlError::Malformed("unexpected end tag".into())),
            Node::Eof => return Err(XmlError::Deserialize("the XML holds no element".into())),
        }
    };
    read_element(&mut reader, root)
}

/// Deserializes the element whose start tag `reader` just returned.
pub(crate) fn read_element<'de, T: DeserializeOwned>(
    reader: &mut FragmentReader<'de>,
    element: xml::Element<'de>,
) -> Result<T, XmlError> {
    let named = element.clone();
    T::deserialize(de::ElementDe::new(reader, element))
        .map_err(|e| e.into_xml_error(Some(named.local())))
}

/// The value of a parameter that is not there: `None` for options, an error otherwise.
pub(crate) fn read_missing<T: DeserializeOwned>(name: &str) -> Result<T, XmlError> {
    T::deserialize(de::MissingDe { name }).map_err(|e| e.into_xml_error(None))
}

/// serde's error type for both directions. A reading error collects, as it unwinds, the
/// member path to the value that failed (`order.Lines[2].UnitPrice`), innermost first.
#[derive(Debug)]
pub(crate) struct Error {
    inner: XmlError,
    path: Vec<String>,
    /// The message names the element it is about (so at the root it needs no path).
    named: bool,
}

/// Which step of a member path a value is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Segment {
    /// A struct member (or dictionary key or value): the element's name.
    Member,
    /// The `n`th item of a collection.
    Index(usize),
}

impl Error {
    fn located(message: String) -> Self {
        Error {
            inner: XmlError::Deserialize(message),
            path: Vec::new(),
            named: true,
        }
    }

    /// Adds the step through `element` to the path of a reading error.
    fn within(mut self, segment: Segment, element: &xml::Element<'_>) -> Self {
        if matches!(self.inner, XmlError::Deserialize(_)) {
            self.path.push(match segment {
                Segment::Member => element.local().to_owned(),
                Segment::Index(n) => format!("[{n}]"),
            });
        }
        self
    }

    /// The error, its message led by the member path when it has one.
    fn into_xml_error(self, root: Option<&str>) -> XmlError {
        match self.inner {
            XmlError::Deserialize(message)
                if !self.path.is_empty() || (root.is_some() && !self.named) =>
            {
                let mut path = root.unwrap_or_default().to_owned();
                for segment in self.path.iter().rev() {
                    if !segment.starts_with('[') && !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(segment);
                }
                XmlError::Deserialize(format!("at {path}: {message}"))
            }
            other => other,
        }
    }
}

impl From<XmlError> for Error {
    fn from(inner: XmlError) -> Self {
        Error {
            inner,
            path: Vec::new(),
            named: false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl std::error::Error for Error {}

impl serde::ser::Error for Error {
    fn custom<M: fmt::Display>(message: M) -> Self {
        XmlError::Serialize(message.to_string()).into()
    }
}

impl serde::de::Error for Error {
    fn custom<M: fmt::Display>(message: M) -> Self {
        XmlError::Deserialize(message.to_string()).into()
    }
}

#[cfg(test)]
mod tests;
