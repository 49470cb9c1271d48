//! Finds the data contract name of a value before it is written, because DataContractSerializer
//! names collection items after the item's contract (`<int>`, `<Line>`, `<ArrayOfint>`) and the
//! name must be known when the item's start tag is written.
//!
//! The sniffer is a serde serializer that stops at the first call telling it the contract (for
//! a struct that is `serialize_struct`, before any field), so sniffing costs one dispatch.

use serde::ser::{self, Impossible, Serialize};
use std::borrow::Cow;
use std::fmt;

/// Which namespace a contract's collection items go in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContractNs {
    /// XML Schema and serialization primitives: collections of them use the Arrays namespace.
    Arrays,
    /// User types: the data namespace.
    Data,
    /// A `#[data_contract]` type with a namespace of its own.
    Named(&'static str),
}

/// The name `#[data_contract]` passes to serde for a type: `{namespace}Name`, with `{}` for the
/// contract's data namespace. Returns the namespace (`None`: the data namespace) and the local
/// name; `None` for any other type's name.
///
/// The braces carry the namespace through serde's `&'static str` type names, which is the only
/// thing a serializer learns of the type being written; no Rust type name starts with `{`.
pub(crate) fn data_contract_name(
    name: &'static str,
) -> Option<(Option<&'static str>, &'static str)> {
    let rest = name.strip_prefix('{')?;
    let (namespace, local) = rest.split_once('}')?;
    // A collection data contract's names follow its own after a space.
    let local = local.split_once(' ').map_or(local, |(local, _)| local);
    Some(((!namespace.is_empty()).then_some(namespace), local))
}

/// The item, key and value names of a `#[data_contract(collection)]` type, whose serde name is
/// `{namespace}Name Item Key Value` (`-` for a name left to its default).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CollectionNames {
    /// The collection's namespace (`None`: the data namespace); its items live in it.
    pub(crate) ns: Option<&'static str>,
    pub(crate) item: Option<&'static str>,
    pub(crate) key: &'static str,
    pub(crate) value: &'static str,
}

pub(crate) fn collection_names(name: &'static str) -> Option<CollectionNames> {
    let (namespace, _) = data_contract_name(name)?;
    let mut parts = name.split(' ').skip(1);
    let mut next = || parts.next().filter(|part| *part != "-");
    let item = next();
    let key = next();
    let value = next();
    if !name.contains(' ') {
        return None;
    }
    Some(CollectionNames {
        ns: namespace,
        item,
        key: key.unwrap_or("Key"),
        value: value.unwrap_or("Value"),
    })
}

/// A data contract name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Contract {
    pub(crate) name: Cow<'static, str>,
    pub(crate) ns: ContractNs,
    /// For a `#[fault_contracts]` choice: the Rust type name of the detail it holds (WCF's
    /// fault action names the detail type).
    pub(crate) fault_type: Option<&'static str>,
}

impl Contract {
    const fn primitive(name: &'static str) -> Self {
        Contract {
            name: Cow::Borrowed(name),
            ns: ContractNs::Arrays,
            fault_type: None,
        }
    }

    fn data(name: &'static str) -> Self {
        match data_contract_name(name) {
            Some((namespace, local)) => Contract {
                name: Cow::Borrowed(local),
                ns: namespace.map_or(ContractNs::Data, ContractNs::Named),
                fault_type: None,
            },
            None => Contract {
                name: Cow::Borrowed(name),
                ns: ContractNs::Data,
                fault_type: None,
            },
        }
    }

    /// What DataContractSerializer calls a value it knows nothing about.
    pub(crate) const ANY: Contract = Contract::primitive("anyType");

    /// The namespace the contract itself is in.
    fn namespace<'n>(&self, data_ns: &'n str) -> &'n str {
        match self.ns {
            ContractNs::Arrays if self.name.starts_with("ArrayOf") => crate::message::ns::DC_ARRAYS,
            ContractNs::Arrays if matches!(&*self.name, "guid" | "char" | "duration") => {
                crate::message::ns::DC_SERIALIZATION
            }
            ContractNs::Arrays => crate::message::ns::XSD,
            ContractNs::Data => data_ns,
            ContractNs::Named(namespace) => namespace,
        }
    }

    /// A collection of `item`s: `ArrayOf{item}` in the item's namespace.
    fn array_of(item: &Contract) -> Self {
        Contract {
            name: Cow::Owned(format!("ArrayOf{}", item.name)),
            ns: item.ns,
            fault_type: None,
        }
    }
}

/// The contract of `value`, or `None` when it is a `None` (no type to learn from).
/// `data_ns` is the data namespace, which names in a dictionary's hash may need.
pub(crate) fn contract_of<T: Serialize + ?Sized>(value: &T, data_ns: &str) -> Option<Contract> {
    match value.serialize(Sniffer { data_ns }) {
        Ok(found) | Err(Stop::Found(found)) => found,
        Err(Stop::Custom) => Some(Contract::ANY),
    }
}

/// The item name of a dictionary entry: `KeyValueOf{K}{V}`, and when K or V is not an XML
/// Schema or serialization primitive, the hash of their namespaces that WCF appends to a
/// generic type's name (`KeyValueOfstringLineoqmWvj_PW`).
pub(crate) fn key_value_name(
    key: Option<&Contract>,
    value: Option<&Contract>,
    data_ns: &str,
) -> String {
    const ANY: &Contract = &Contract::ANY;
    let key = key.unwrap_or(ANY);
    let value = value.unwrap_or(ANY);
    let mut name = format!("KeyValueOf{}{}", key.name, value.name);
    let namespaces = [key.namespace(data_ns), value.namespace(data_ns)];
    if !namespaces.iter().all(|ns| is_builtin(ns)) {
        name.push_str(&namespaces_digest(&namespaces));
    }
    name
}

/// XML Schema and the serialization namespace: generic arguments from them add no hash. (The
/// Arrays namespace does not count.)
fn is_builtin(namespace: &str) -> bool {
    namespace == crate::message::ns::XSD || namespace == crate::message::ns::DC_SERIALIZATION
}

/// DataContractSerializer's hash of a generic type's argument namespaces (one level of
/// nesting): MD5 of `" {count} {ns1} {ns2}..."`, its first 6 bytes in base64 without `=`,
/// with `/` as `_S` and `+` as `_P`.
pub(crate) fn namespaces_digest(namespaces: &[&str]) -> String {
    use base64::Engine as _;
    use md5::Digest as _;
    let mut input = format!(" {}", namespaces.len());
    for namespace in namespaces {
        input.push(' ');
        input.push_str(namespace);
    }
    let digest = md5::Md5::digest(input.as_bytes());
    let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&digest[..6]);
    encoded.replace('/', "_S").replace('+', "_P")
}

#[derive(Debug)]
enum Stop {
    Found(Option<Contract>),
    Custom,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("contract sniffing stopped")
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<M: fmt::Display>(_: M) -> Self {
        Stop::Custom
    }
}

type Found = Result<Option<Contract>, Stop>;

fn found(contract: Contract) -> Found {
    Ok(Some(contract))
}

#[derive(Clone, Copy)]
struct Sniffer<'d> {
    data_ns: &'d str,
}

impl<'d> ser::Serializer for Sniffer<'d> {
    type Ok = Option<Contract>;
    type Error = Stop;
    type SerializeSeq = SniffSeq<'d>;
    type SerializeTuple = SniffSeq<'d>;
    type SerializeTupleStruct = SniffSeq<'d>;
    type SerializeTupleVariant = Impossible<Self::Ok, Stop>;
    type SerializeMap = SniffMap<'d>;
    type SerializeStruct = Impossible<Self::Ok, Stop>;
    type SerializeStructVariant = Impossible<Self::Ok, Stop>;

    fn serialize_bool(self, _: bool) -> Found {
        found(Contract::primitive("boolean"))
    }
    fn serialize_i8(self, _: i8) -> Found {
        found(Contract::primitive("byte"))
    }
    fn serialize_i16(self, _: i16) -> Found {
        found(Contract::primitive("short"))
    }
    fn serialize_i32(self, _: i32) -> Found {
        found(Contract::primitive("int"))
    }
    fn serialize_i64(self, _: i64) -> Found {
        found(Contract::primitive("long"))
    }
    fn serialize_i128(self, _: i128) -> Found {
        found(Contract::primitive("decimal"))
    }
    fn serialize_u8(self, _: u8) -> Found {
        found(Contract::primitive("unsignedByte"))
    }
    fn serialize_u16(self, _: u16) -> Found {
        found(Contract::primitive("unsignedShort"))
    }
    fn serialize_u32(self, _: u32) -> Found {
        found(Contract::primitive("unsignedInt"))
    }
    fn serialize_u64(self, _: u64) -> Found {
        found(Contract::primitive("unsignedLong"))
    }
    fn serialize_u128(self, _: u128) -> Found {
        found(Contract::primitive("decimal"))
    }
    fn serialize_f32(self, _: f32) -> Found {
        found(Contract::primitive("float"))
    }
    fn serialize_f64(self, _: f64) -> Found {
        found(Contract::primitive("double"))
    }
    fn serialize_char(self, _: char) -> Found {
        found(Contract::primitive("char"))
    }
    fn serialize_str(self, _: &str) -> Found {
        found(Contract::primitive("string"))
    }
    fn serialize_bytes(self, _: &[u8]) -> Found {
        found(Contract::primitive("base64Binary"))
    }
    fn serialize_none(self) -> Found {
        Ok(None)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Found {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Found {
        found(Contract::ANY)
    }
    fn serialize_unit_struct(self, name: &'static str) -> Found {
        found(Contract::data(name))
    }
    fn serialize_unit_variant(self, name: &'static str, _: u32, _: &'static str) -> Found {
        found(Contract::data(name))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Found {
        // `indigo::dotnet`'s primitives name their XML Schema or serialization contract.
        match data_contract_name(name) {
            Some((Some(crate::message::ns::XSD | crate::message::ns::DC_SERIALIZATION), local)) => {
                found(Contract::primitive(local))
            }
            // A `Flags<E>` names its enum's contract.
            Some(_) => found(Contract::data(name)),
            None => value.serialize(self),
        }
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Found {
        if name == super::FAULT_CHOICE {
            // The detail's own contract, and the detail type's name for the fault action.
            let inner = match value.serialize(self) {
                Ok(found) | Err(Stop::Found(found)) => found,
                Err(Stop::Custom) => Some(Contract::ANY),
            };
            return Ok(inner.map(|contract| Contract {
                fault_type: Some(variant),
                ..contract
            }));
        }
        found(Contract::data(name))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<SniffSeq<'d>, Stop> {
        Ok(SniffSeq {
            data_ns: self.data_ns,
        })
    }
    fn serialize_tuple(self, _: usize) -> Result<SniffSeq<'d>, Stop> {
        Ok(SniffSeq {
            data_ns: self.data_ns,
        })
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<SniffSeq<'d>, Stop> {
        Ok(SniffSeq {
            data_ns: self.data_ns,
        })
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Stop> {
        Err(Stop::Found(Some(Contract::data(name))))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<SniffMap<'d>, Stop> {
        Ok(SniffMap {
            key: None,
            data_ns: self.data_ns,
        })
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Self::SerializeStruct, Stop> {
        Err(Stop::Found(Some(Contract::data(name))))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Stop> {
        Err(Stop::Found(Some(Contract::data(name))))
    }
}

/// A collection is named after its first item. An empty one tells nothing (as `None` does):
/// among the items of an outer collection it takes the name of the items before it, as
/// `List<List<int>>`'s empty `ArrayOfint` does in WCF; alone, it is `ArrayOfanyType`.
struct SniffSeq<'d> {
    data_ns: &'d str,
}

impl SniffSeq<'_> {
    fn item<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), Stop> {
        let item = contract_of(value, self.data_ns).unwrap_or(Contract::ANY);
        Err(Stop::Found(Some(Contract::array_of(&item))))
    }

    fn empty() -> Found {
        Ok(None)
    }
}

impl ser::SerializeSeq for SniffSeq<'_> {
    type Ok = Option<Contract>;
    type Error = Stop;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.item(value)
    }
    fn end(self) -> Found {
        SniffSeq::empty()
    }
}

impl ser::SerializeTuple for SniffSeq<'_> {
    type Ok = Option<Contract>;
    type Error = Stop;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.item(value)
    }
    fn end(self) -> Found {
        SniffSeq::empty()
    }
}

impl ser::SerializeTupleStruct for SniffSeq<'_> {
    type Ok = Option<Contract>;
    type Error = Stop;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.item(value)
    }
    fn end(self) -> Found {
        SniffSeq::empty()
    }
}

/// A dictionary is `ArrayOfKeyValueOf{K}{V}` after its first entry.
struct SniffMap<'d> {
    key: Option<Contract>,
    data_ns: &'d str,
}

impl SniffMap<'_> {
    fn stop(&self, key: Option<&Contract>, value: Option<&Contract>) -> Stop {
        Stop::Found(Some(Contract {
            name: Cow::Owned(format!(
                "ArrayOf{}",
                key_value_name(key, value, self.data_ns)
            )),
            ns: ContractNs::Arrays,
            fault_type: None,
        }))
    }
}

impl ser::SerializeMap for SniffMap<'_> {
    type Ok = Option<Contract>;
    type Error = Stop;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Stop> {
        self.key = contract_of(key, self.data_ns);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        Err(self.stop(self.key.as_ref(), contract_of(value, self.data_ns).as_ref()))
    }
    fn end(self) -> Found {
        Err(self.stop(None, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(serde::Serialize)]
    struct Line {
        qty: i32,
    }

    fn name<T: Serialize>(v: &T) -> Option<String> {
        contract_of(v, "urn:data").map(|c| c.name.into_owned())
    }

    #[test]
    fn the_namespace_hash_is_data_contract_serializer_s() {
        // The checks in shared/reference/datacontract.md, section 1.2.
        assert_eq!(
            namespaces_digest(&["urn:shapes", "urn:default"]),
            "5HWGAU6h"
        );
        let shop = "http://schemas.datacontract.org/2004/07/Shop";
        assert_eq!(namespaces_digest(&[shop]), "SaTnBy87");
        let line = Contract {
            name: Cow::Borrowed("Line"),
            ns: ContractNs::Named(shop),
            fault_type: None,
        };
        let string = Contract::primitive("string");
        assert_eq!(
            key_value_name(Some(&string), Some(&line), "urn:unused"),
            "KeyValueOfstringLineoqmWvj_PW"
        );
        // Primitives of both built-in namespaces add no hash; a nested collection does.
        let guid = Contract::primitive("guid");
        assert_eq!(
            key_value_name(Some(&string), Some(&guid), "urn:unused"),
            "KeyValueOfstringguid"
        );
        let ints = Contract::array_of(&Contract::primitive("int"));
        assert!(key_value_name(Some(&string), Some(&ints), "urn:unused")
            .starts_with("KeyValueOfstringArrayOfint"));
        assert_ne!(
            key_value_name(Some(&string), Some(&ints), "urn:unused"),
            "KeyValueOfstringArrayOfint"
        );
    }

    #[test]
    fn names_follow_data_contract_serializer() {
        assert_eq!(name(&5i32).as_deref(), Some("int"));
        assert_eq!(name(&5u8).as_deref(), Some("unsignedByte"));
        assert_eq!(name(&-5i8).as_deref(), Some("byte"));
        assert_eq!(name(&"x").as_deref(), Some("string"));
        assert_eq!(name(&Some(1.5f64)).as_deref(), Some("double"));
        assert_eq!(name(&None::<i32>), None);
        assert_eq!(name(&Line { qty: 1 }).as_deref(), Some("Line"));
        assert_eq!(
            name(&vec![vec![1i32]]).as_deref(),
            Some("ArrayOfArrayOfint")
        );
        // An empty collection says nothing of its items (its siblings name it).
        assert_eq!(name(&Vec::<i32>::new()), None);
        let map: BTreeMap<String, i32> = [("k".to_owned(), 1)].into();
        assert_eq!(name(&map).as_deref(), Some("ArrayOfKeyValueOfstringint"));
        assert_eq!(
            contract_of(&Line { qty: 1 }, "urn:data").map(|c| c.ns),
            Some(ContractNs::Data)
        );
    }
}
