//! serde <-> XML in DataContractSerializer's conventions (see DESIGN.md, "Wire defaults"):
//! one element per struct member in ordinal name order, `i:nil="true"` for `None`, enums by
//! variant name, sequences as one element per item named after the item type.
//!
//! Hand-written on purpose: quick-xml's own serde support has no notion of the namespaces and
//! naming rules WCF peers expect. quick-xml still does all reading and escaping.

use crate::message::{ReaderQuotas, XmlError, XmlFragment};
use serde::{de::DeserializeOwned, Serialize};

/// Serializes `value` as one element `name` in namespace `namespace`; struct members go in
/// `data_namespace`.
pub fn to_fragment<T: Serialize + ?Sized>(
    name: &str,
    namespace: &str,
    data_namespace: &str,
    value: &T,
) -> Result<XmlFragment, XmlError> {
    let _ = (name, namespace, data_namespace, value);
    todo!()
}

/// Deserializes the first element of `fragment` as a `T`, ignoring the element's own name.
pub fn from_fragment<T: DeserializeOwned>(
    fragment: &XmlFragment,
    quotas: &ReaderQuotas,
) -> Result<T, XmlError> {
    let _ = (fragment, quotas);
    todo!()
}
