//! Paths generated code uses. Not public API: it changes with the macros.

pub use crate::binding::{Binding, CarriedBy, DatagramBinding, DuplexBinding, SessionfulBinding};
pub use crate::client::runtime::{write_part, ClientRuntime};
pub use crate::client::{Active, Idle};
pub use crate::contract::{
    Contract, ContractDescription, InstanceAccess, OperationDescription, SessionMode,
};
pub use crate::error::{CallError, Error};
pub use crate::fault::Fault;
pub use crate::message::{Body, BodyReader, BodyWriter, Message, MessageFault, ReaderQuotas};
pub use crate::metadata::probe::{Described, Probe, Undescribed};
pub use crate::metadata::{
    member, CollectionShape, FaultDetail, OperationTypes, SchemaSet, SchemaType, TypeUse, XmlName,
};
pub use crate::serialization::{BASE_MEMBERS, KNOWN_TYPES};
pub use crate::service::dispatch::Reply;
pub use crate::service::generated::{
    access_violation, open_request, read_param, reply_fault, reply_stream, reply_unit,
    reply_untyped_fault, reply_value, stream_expected,
};
pub use crate::service::instance::{ExclusiveCell, InstanceCell, InstanceGuard, SharedCell};
pub use crate::service::{Dispatch, OperationContext, Service};
pub use crate::stream::{ByteStream, StreamedBinding};
pub use futures::future::BoxFuture;
pub use serde;
pub use std::vec;
pub use std::vec::Vec;

/// `byte[]` members of `#[data_contract]` types: base64 text, as WCF writes them.
pub mod base64_member {
    use serde::de::{Deserializer, SeqAccess, Visitor};
    use std::fmt;

    /// Writes the bytes as one base64 value.
    #[derive(Debug)]
    pub struct Base64<'a>(pub &'a [u8]);

    impl serde::Serialize for Base64<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(self.0)
        }
    }

    struct Bytes;

    impl<'de> Visitor<'de> for Bytes {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("base64 bytes")
        }

        fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
            Ok(bytes.to_vec())
        }

        fn visit_byte_buf<E: serde::de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(bytes)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut bytes = Vec::new();
            while let Some(byte) = seq.next_element()? {
                bytes.push(byte);
            }
            Ok(bytes)
        }
    }

    /// Reads a `Vec<u8>` member.
    pub fn vec<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        deserializer.deserialize_byte_buf(Bytes)
    }

    struct OptionBytes;

    impl<'de> Visitor<'de> for OptionBytes {
        type Value = Option<Vec<u8>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("base64 bytes or nil")
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
            vec(inner).map(Some)
        }
    }

    /// Reads an `Option<Vec<u8>>` member (`i:nil` is `None`).
    pub fn option_vec<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        deserializer.deserialize_option(OptionBytes)
    }
}
/// A `byte[]` parameter or result of an operation: base64 text on the wire, as WCF writes it
/// (a `Vec<u8>` elsewhere is a list of `unsignedByte`).
#[derive(Debug)]
pub struct Base64Value(pub Vec<u8>);

impl<'de> Deserialize<'de> for Base64Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        base64_member::vec(deserializer).map(Base64Value)
    }
}

/// Writes a `byte[]` parameter or result as base64.
pub fn base64(value: &[u8]) -> base64_member::Base64<'_> {
    base64_member::Base64(value)
}

/// `byte[]` in metadata.
pub fn base64_type() -> crate::metadata::TypeUse {
    crate::metadata::TypeUse::reference(crate::metadata::XmlName::new(
        crate::message::ns::XSD,
        "base64Binary",
    ))
}

pub use serde::de::{EnumAccess, Error as DeError, VariantAccess, Visitor};
pub use serde::ser::{Error as SerError, SerializeStruct, Serializer};
pub use serde::Deserializer;
pub use serde::{de::DeserializeOwned, Deserialize, Serialize};
pub use std::boxed::Box;
pub use std::future::Future;
pub use std::marker::{PhantomData, Send, Sized, Sync};
pub use std::option::Option;
pub use std::result::Result;
pub use std::string::String;
