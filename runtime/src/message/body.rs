//! Document/literal wrapped operation bodies: a wrapper element named after the operation, one
//! child element per parameter, values in DataContractSerializer's conventions.

use super::{ReaderQuotas, XmlError, XmlFragment};
use serde::{de::DeserializeOwned, Serialize};

/// Writes `<{wrapper} xmlns="{namespace}">` and then one element per part.
#[derive(Debug)]
pub struct BodyWriter {
    _private: (),
}

impl BodyWriter {
    /// Starts the wrapper element. `data_namespace` is the namespace of user struct members.
    pub fn new(wrapper: &str, namespace: &str, data_namespace: &str) -> Self {
        let _ = (wrapper, namespace, data_namespace);
        todo!()
    }

    /// Writes the next part.
    pub fn part<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), XmlError> {
        let _ = (name, value);
        todo!()
    }

    /// Closes the wrapper.
    pub fn finish(self) -> XmlFragment {
        todo!()
    }
}

/// Reads a wrapper element and its parts, forward-only.
#[derive(Debug)]
pub struct BodyReader<'a> {
    _fragment: &'a XmlFragment,
}

impl<'a> BodyReader<'a> {
    /// Opens the wrapper, which must be `wrapper` in `namespace`.
    pub fn open(
        fragment: &'a XmlFragment,
        wrapper: &str,
        namespace: &str,
        quotas: &ReaderQuotas,
    ) -> Result<Self, XmlError> {
        let _ = (wrapper, namespace, quotas);
        Ok(BodyReader {
            _fragment: fragment,
        })
    }

    /// Reads the part named `name`.
    pub fn part<T: DeserializeOwned>(&mut self, name: &str) -> Result<T, XmlError> {
        let _ = name;
        todo!()
    }
}
