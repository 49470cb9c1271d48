//! serde -> XML in DataContractSerializer's conventions, written straight into a `Vec<u8>`.

use super::sniff::{
    collection_names, contract_of, data_contract_name, key_value_name, CollectionNames, Contract,
    ContractNs,
};
use super::Error;
use super::{BASE_MEMBERS, FAULT_CHOICE, KNOWN_TYPES, QNAME};
use crate::message::{ns, XmlError};
use crate::xml::{write_ns_decl, write_text, TextType, TypedText};
use base64::Engine as _;
use serde::ser::{self, Serialize};
use smallvec::SmallVec;
use std::borrow::Cow;
use std::ops::Range;

/// One namespace declaration in scope while writing.
#[derive(Debug)]
struct Binding<'a> {
    prefix: Cow<'static, str>,
    ns: &'a str,
}

/// The output buffer plus the namespace declarations in scope at the write position.
#[derive(Debug)]
pub(crate) struct Writer<'a> {
    pub(crate) out: Vec<u8>,
    /// Four fit inline (the default namespace, a struct's data namespace, `i` and one more),
    /// so most bodies write without allocating a scope.
    scope: SmallVec<[Binding<'a>; 4]>,
    data_ns: &'a str,
    /// Where typed values (decimals, dates, floats, bytes...) were written, for the binary
    /// encoder's typed records.
    pub(crate) typed: Vec<TypedText>,
}

/// An element whose start tag has been written: where its qualified name sits in the output
/// (copied for the end tag, so no name is ever allocated) and how much scope to drop at its end.
#[derive(Debug)]
struct Tag {
    name: Range<usize>,
    mark: usize,
}

/// Prefixes handed out for namespaces nobody declared yet, in WCF's order.
const LETTERS: [&str; 26] = [
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s",
    "t", "u", "v", "w", "x", "y", "z",
];

impl<'a> Writer<'a> {
    /// A writer appending to `out`, where `default_ns` is the default namespace in scope.
    pub(crate) fn new(out: Vec<u8>, default_ns: &'a str, data_ns: &'a str) -> Self {
        let mut scope = SmallVec::new();
        scope.push(Binding {
            prefix: Cow::Borrowed(""),
            ns: default_ns,
        });
        Writer {
            out,
            scope,
            data_ns,
            typed: Vec::new(),
        }
    }

    /// Writes `value` as one element `local` in `namespace`. With `as_default`, a namespace not
    /// in scope becomes the element's default namespace instead of getting a prefix.
    pub(crate) fn element<T: Serialize + ?Sized>(
        &mut self,
        local: &str,
        namespace: &'a str,
        as_default: bool,
        value: &T,
    ) -> Result<(), XmlError> {
        value
            .serialize(ElementSer {
                w: self,
                local,
                ns: namespace,
                as_default,
                declared: None,
                collection: None,
                text_type: None,
                qualified_name: false,
            })
            .map_err(|e| e.into_xml_error(None))
    }

    /// The prefix `ns` is bound to, unless a nearer declaration hides that binding.
    fn lookup(&self, ns: &str, allow_default: bool) -> Option<Cow<'static, str>> {
        let scope = &self.scope;
        scope.iter().enumerate().rev().find_map(|(i, b)| {
            let usable = b.ns == ns
                && (allow_default || !b.prefix.is_empty())
                && !scope[i + 1..].iter().any(|later| later.prefix == b.prefix);
            usable.then(|| b.prefix.clone())
        })
    }

    fn is_bound(&self, prefix: &str) -> bool {
        self.scope.iter().any(|b| b.prefix == prefix)
    }

    fn fresh_prefix(&self, preferred: &'static str) -> Cow<'static, str> {
        if !self.is_bound(preferred) {
            return Cow::Borrowed(preferred);
        }
        match LETTERS.iter().find(|p| !self.is_bound(p)) {
            Some(p) => Cow::Borrowed(p),
            // Every scope entry was pushed at a smaller length, so this name is unused.
            None => Cow::Owned(format!("p{}", self.scope.len())),
        }
    }

    fn push_prefix(&mut self, prefix: &str) {
        if !prefix.is_empty() {
            self.out.extend_from_slice(prefix.as_bytes());
            self.out.push(b':');
        }
    }

    /// Writes `<prefix:local` plus a declaration when `ns` is not in scope; the tag stays open
    /// so the caller can add attributes.
    fn start(&mut self, local: &str, ns: &'a str, as_default: bool) -> Tag {
        self.open_tag(local, ns, as_default, None)
    }

    /// As [`start`](Self::start), with a prefix for any namespace but none (WCF's `q`).
    fn start_prefixed(&mut self, local: &str, ns: &'a str) -> Tag {
        self.open_tag(local, ns, false, (!ns.is_empty()).then_some("q"))
    }

    /// The start tag: `ns` by a prefix in scope (the default one too unless `prefixed` names
    /// the prefix to declare), or declared here: as the default namespace with `as_default`,
    /// else under a fresh prefix.
    fn open_tag(
        &mut self,
        local: &str,
        ns: &'a str,
        as_default: bool,
        prefixed: Option<&'static str>,
    ) -> Tag {
        let mark = self.scope.len();
        self.out.push(b'<');
        let name_start = self.out.len();
        let declared = match self.lookup(ns, prefixed.is_none()) {
            Some(prefix) => {
                self.push_prefix(&prefix);
                None
            }
            None if prefixed.is_none() && (as_default || ns.is_empty()) => Some(Cow::Borrowed("")),
            None => {
                let prefix = self.fresh_prefix(prefixed.unwrap_or("a"));
                self.push_prefix(&prefix);
                Some(prefix)
            }
        };
        self.out.extend_from_slice(local.as_bytes());
        let name = name_start..self.out.len();
        if let Some(prefix) = declared {
            write_ns_decl(&mut self.out, &prefix, ns);
            self.scope.push(Binding { prefix, ns });
        }
        Tag { name, mark }
    }

    /// The default namespace in scope ("" for none).
    fn default_namespace(&self) -> &'a str {
        self.scope
            .iter()
            .rev()
            .find(|b| b.prefix.is_empty())
            .map_or("", |b| b.ns)
    }

    /// Declares `ns` on the still-open start tag, so that all children share one declaration.
    fn declare_for_children(&mut self, ns: &'a str) {
        // An empty namespace cannot get a prefix, and undeclaring the default here would move
        // the open element itself; each child undeclares it instead.
        if ns.is_empty() || self.lookup(ns, true).is_some() {
            return;
        }
        let prefix = self.fresh_prefix("a");
        write_ns_decl(&mut self.out, &prefix, ns);
        self.scope.push(Binding { prefix, ns });
    }

    /// Adds `i:nil="true"` to the open start tag.
    fn nil_attribute(&mut self) {
        let (prefix, declare) = match self.lookup(ns::XSI, false) {
            Some(prefix) => (prefix, false),
            None => (self.fresh_prefix("i"), true),
        };
        self.out.push(b' ');
        self.push_prefix(&prefix);
        self.out.extend_from_slice(b"nil=\"true\"");
        if declare {
            write_ns_decl(&mut self.out, &prefix, ns::XSI);
            self.scope.push(Binding {
                prefix,
                ns: ns::XSI,
            });
        }
    }

    /// Adds `i:type="prefix:local"` to the open start tag, declaring `ns` there if no
    /// declaration is in scope (an unprefixed name when it is the default namespace, as
    /// XmlWriter's `WriteQualifiedName` does).
    fn type_attribute(&mut self, local: &str, ns: &'a str) {
        let (xsi, declare_xsi) = match self.lookup(ns::XSI, false) {
            Some(prefix) => (prefix, false),
            None => (self.fresh_prefix("i"), true),
        };
        if declare_xsi {
            write_ns_decl(&mut self.out, &xsi, ns::XSI);
            self.scope.push(Binding {
                prefix: xsi.clone(),
                ns: ns::XSI,
            });
        }
        let (prefix, declare) = match self.lookup(ns, true) {
            Some(prefix) => (prefix, false),
            None => (self.fresh_prefix("a"), true),
        };
        if declare {
            write_ns_decl(&mut self.out, &prefix, ns);
            self.scope.push(Binding {
                prefix: prefix.clone(),
                ns,
            });
        }
        self.out.push(b' ');
        self.push_prefix(&xsi);
        self.out.extend_from_slice(b"type=\"");
        self.push_prefix(&prefix);
        self.out.extend_from_slice(local.as_bytes());
        self.out.push(b'"');
    }

    fn end(&mut self, tag: Tag) {
        self.out.extend_from_slice(b"</");
        self.out.extend_from_within(tag.name);
        self.out.push(b'>');
        self.scope.truncate(tag.mark);
    }

    fn end_empty(&mut self, tag: Tag) {
        self.out.extend_from_slice(b"/>");
        self.scope.truncate(tag.mark);
    }

    /// The namespace of a collection data contract, which its items share.
    fn collection_ns(&self, names: &CollectionNames) -> &'a str {
        names.ns.unwrap_or(self.data_ns)
    }

    fn namespace_of(&self, contract: &Contract) -> &'a str {
        match contract.ns {
            ContractNs::Arrays => ns::DC_ARRAYS,
            ContractNs::Data => self.data_ns,
            ContractNs::Named(namespace) => namespace,
        }
    }
}

/// Serializes one value as one element with a known name.
struct ElementSer<'w, 'a, 'n> {
    w: &'w mut Writer<'a>,
    local: &'n str,
    ns: &'a str,
    as_default: bool,
    /// Inside a `#[data_contract(known_types)]` enum: the declared contract's serde name. A
    /// value of any other contract is written with `i:type`.
    declared: Option<&'static str>,
    /// Inside a `#[data_contract(collection)]` newtype: the names and namespace of the items
    /// of the list or map it holds.
    collection: Option<CollectionNames>,
    /// The .NET type of the text about to be written, when it has one.
    text_type: Option<TextType>,
    /// The string about to be written is a `QualifiedName`'s `{namespace}name`.
    qualified_name: bool,
}

impl<'w, 'a> ElementSer<'w, 'a, '_> {
    fn open(self) -> (&'w mut Writer<'a>, Tag) {
        let tag = self.w.start(self.local, self.ns, self.as_default);
        (self.w, tag)
    }

    /// An element with text content; empty text gives an empty element, as WCF writes `""`.
    fn text_with(self, write: impl FnOnce(&mut Vec<u8>)) -> Result<(), Error> {
        let text_type = self.text_type;
        let (w, tag) = self.open();
        w.out.push(b'>');
        let content_start = w.out.len();
        write(&mut w.out);
        if w.out.len() == content_start {
            w.out.pop();
            w.end_empty(tag);
        } else {
            if let Some(ty) = text_type {
                w.typed.push(TypedText {
                    at: content_start,
                    ty,
                });
            }
            w.end(tag);
        }
        Ok(())
    }

    /// An `xs:QName`: `prefix:name`, the namespace declared on this element unless a prefix
    /// for it is in scope (DataContractSerializer's `WriteQualifiedName`); no text for the
    /// empty name. As WCF does, the element itself gets a prefix, so that the default
    /// namespace is free to be undeclared for a name in no namespace.
    fn qualified_name(self, clark: &str) -> Result<(), Error> {
        let (namespace, local) = match clark.strip_prefix('{').and_then(|r| r.split_once('}')) {
            Some((namespace, local)) => (namespace, local),
            None => ("", clark),
        };
        let w = self.w;
        let tag = w.start_prefixed(self.local, self.ns);
        let prefix = if namespace.is_empty() {
            // An unprefixed name is in the default namespace: make that none.
            if !w.default_namespace().is_empty() {
                write_ns_decl(&mut w.out, "", "");
            }
            None
        } else {
            Some(match w.lookup(namespace, false) {
                Some(prefix) => prefix,
                None => {
                    // The element has no children, so the declaration need not enter the
                    // writer's scope.
                    let prefix = w.fresh_prefix("a");
                    write_ns_decl(&mut w.out, &prefix, namespace);
                    prefix
                }
            })
        };
        if local.is_empty() {
            w.end_empty(tag);
            return Ok(());
        }
        w.out.push(b'>');
        if let Some(prefix) = prefix {
            w.push_prefix(&prefix);
        }
        write_text(&mut w.out, local);
        w.end(tag);
        Ok(())
    }

    fn typed(self, ty: TextType) -> Self {
        ElementSer {
            text_type: Some(ty),
            ..self
        }
    }

    fn display(self, value: impl std::fmt::Display) -> Result<(), Error> {
        self.text_with(|out| {
            use std::io::Write as _;
            // Writing into a Vec cannot fail.
            let _ = write!(out, "{value}");
        })
    }

    /// An integer as text, written digit by digit: `fmt` costs more than the digits.
    fn signed(self, value: i64) -> Result<(), Error> {
        self.text_with(|out| {
            if value < 0 {
                out.push(b'-');
            }
            write_decimal(out, value.unsigned_abs());
        })
    }

    fn unsigned(self, value: u64) -> Result<(), Error> {
        self.text_with(|out| write_decimal(out, value))
    }

    fn empty(self) -> Result<(), Error> {
        let (w, tag) = self.open();
        w.end_empty(tag);
        Ok(())
    }

    fn unsupported_variant(name: &str, variant: &str) -> Error {
        Error::from(XmlError::Serialize(format!(
            "enum variant `{name}::{variant}` carries data; DataContract enums are written by \
             name, so only unit variants are supported"
        )))
    }
}

impl<'w, 'a> ser::Serializer for ElementSer<'w, 'a, '_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = SeqSer<'w, 'a>;
    type SerializeTuple = SeqSer<'w, 'a>;
    type SerializeTupleStruct = SeqSer<'w, 'a>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = MapSer<'w, 'a>;
    type SerializeStruct = StructSer<'w, 'a>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.text_with(|out| out.extend_from_slice(if v { b"true" } else { b"false" }))
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.signed(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.signed(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.signed(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.signed(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.unsigned(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.unsigned(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.unsigned(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.unsigned(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.typed(TextType::Float)
            .text_with(|out| write_f32(out, v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.typed(TextType::Double)
            .text_with(|out| write_f64(out, v))
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        // DataContractSerializer writes a char as its numeric code, not as text.
        self.unsigned(u64::from(u32::from(v)))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        if self.qualified_name {
            return self.qualified_name(v);
        }
        self.text_with(|out| write_text(out, v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        self.typed(TextType::Base64)
            .text_with(|out| write_base64(out, v))
    }
    fn serialize_none(self) -> Result<(), Error> {
        let (w, tag) = self.open();
        w.nil_attribute();
        w.end_empty(tag);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.empty()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.empty()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.text_with(|out| write_text(out, variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let collection = collection_names(name);
        let text_type = text_type_of(name);
        value.serialize(ElementSer {
            collection,
            text_type,
            qualified_name: name == QNAME,
            ..self
        })
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        // A `#[fault_contracts]` choice is written as the detail it holds.
        if name == FAULT_CHOICE {
            return value.serialize(self);
        }
        // A known type: the element is named for the declared contract (`name`), its content
        // is the variant's value, tagged with its own contract when that differs.
        if variant == KNOWN_TYPES {
            return value.serialize(ElementSer {
                declared: Some(name),
                ..self
            });
        }
        Err(Self::unsupported_variant(name, variant))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<SeqSer<'w, 'a>, Error> {
        let collection = self.collection;
        let (w, tag) = self.open();
        let named = collection.map(|names| (names.item, w.collection_ns(&names)));
        Ok(SeqSer {
            w,
            tag,
            open: true,
            last: None,
            named,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSer<'w, 'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqSer<'w, 'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Self::unsupported_variant(name, variant))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapSer<'w, 'a>, Error> {
        let collection = self.collection;
        let (w, tag) = self.open();
        let names = match collection {
            Some(names) => MapNames {
                ns: w.collection_ns(&names),
                item: names.item,
                key: names.key,
                value: names.value,
            },
            None => MapNames {
                ns: ns::DC_ARRAYS,
                item: None,
                key: "Key",
                value: "Value",
            },
        };
        w.declare_for_children(names.ns);
        Ok(MapSer {
            w,
            tag,
            open: true,
            pending_key: None,
            key_buf: Vec::new(),
            names,
        })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<StructSer<'w, 'a>, Error> {
        // A `#[data_contract]` type names its members' namespace and writes them in
        // DataContractSerializer's order itself (it knows their `order` keys).
        let contract = data_contract_name(name);
        let (member_ns, in_order) = match contract {
            Some((namespace, _)) => (namespace.unwrap_or(self.w.data_ns), true),
            None => (self.w.data_ns, false),
        };
        let declared = self.declared;
        let (w, tag) = self.open();
        match (declared, contract) {
            (Some(declared), Some((_, local))) if declared != name => {
                w.type_attribute(local, member_ns);
            }
            (Some(_), None) => {
                return Err(Error::from(XmlError::Serialize(format!(
                    "a known type must be a data contract; `{name}` is not"
                ))))
            }
            _ => {}
        }
        w.declare_for_children(member_ns);
        Ok(StructSer {
            w,
            tag: Some(tag),
            member_ns,
            content_start: None,
            fields: Vec::with_capacity(len),
            sorted: true,
            in_order,
        })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Self::unsupported_variant(name, variant))
    }
}

/// The .NET type an `indigo::dotnet` primitive's contract name stands for, when the binary
/// encoder has a typed record for it.
fn text_type_of(name: &str) -> Option<TextType> {
    match data_contract_name_any(name)? {
        (Some(ns::XSD), "decimal") => Some(TextType::Decimal),
        (Some(ns::XSD), "dateTime") => Some(TextType::DateTime),
        (Some(ns::DC_SERIALIZATION), "duration") => Some(TextType::TimeSpan),
        _ => None,
    }
}

/// [`data_contract_name`] for a name that need not be `'static`.
fn data_contract_name_any(name: &str) -> Option<(Option<&str>, &str)> {
    let rest = name.strip_prefix('{')?;
    let (namespace, local) = rest.split_once('}')?;
    Some(((!namespace.is_empty()).then_some(namespace), local))
}

/// A struct: one element per field in the data namespace, in ordinal name order.
pub(crate) struct StructSer<'w, 'a> {
    w: &'w mut Writer<'a>,
    /// `None` for a base type's members, written inline into the derived type's element.
    tag: Option<Tag>,
    /// The namespace of the member elements.
    member_ns: &'a str,
    content_start: Option<usize>,
    /// Field name and where its element landed in the output.
    fields: Vec<(&'static str, Range<usize>)>,
    sorted: bool,
    /// The fields come in their wire order already (a `#[data_contract]` type).
    in_order: bool,
}

impl StructSer<'_, '_> {
    /// WCF orders members by `String.CompareOrdinal`; serde hands them out in declaration
    /// order, so out-of-order fields are moved once the struct is complete. (Byte order of
    /// UTF-8 equals UTF-16 code-unit order except against surrogate pairs.)
    fn sort_fields(&mut self) {
        let Some(base) = self.content_start else {
            return;
        };
        self.fields
            .sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let tail = self.w.out.split_off(base);
        for (_, range) in &self.fields {
            self.w
                .out
                .extend_from_slice(&tail[range.start - base..range.end - base]);
        }
    }
}

impl ser::SerializeStruct for StructSer<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        if self.content_start.is_none() {
            self.w.out.push(b'>');
            self.content_start = Some(self.w.out.len());
        }
        if key == BASE_MEMBERS {
            // The base type's members come first, in the base's namespace; the base's own
            // `serialize_struct` call says which.
            return value.serialize(BaseSer { w: &mut *self.w });
        }
        if let Some((last, _)) = self.fields.last() {
            self.sorted &= last.as_bytes() <= key.as_bytes();
        }
        let start = self.w.out.len();
        self.w
            .element(key, self.member_ns, false, value)
            .map_err(Error::from)?;
        self.fields.push((key, start..self.w.out.len()));
        Ok(())
    }

    fn end(mut self) -> Result<(), Error> {
        let Some(tag) = self.tag.take() else {
            return Ok(());
        };
        if self.content_start.is_none() {
            self.w.end_empty(tag);
            return Ok(());
        }
        if !self.sorted && !self.in_order {
            self.sort_fields();
        }
        self.w.end(tag);
        Ok(())
    }
}

/// A collection: one element per item, named after the item's contract.
pub(crate) struct SeqSer<'w, 'a> {
    w: &'w mut Writer<'a>,
    tag: Tag,
    /// The start tag still awaits `>`, so the first item's namespace can be declared on it.
    open: bool,
    /// The last item contract seen, to name `None` items.
    last: Option<Contract>,
    /// A collection data contract's item name (`None`: the item's contract name) and
    /// namespace.
    named: Option<(Option<&'static str>, &'a str)>,
}

impl SeqSer<'_, '_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let contract = match contract_of(value, self.w.data_ns) {
            Some(contract) => {
                self.last = Some(contract.clone());
                contract
            }
            None => self.last.clone().unwrap_or(Contract::ANY),
        };
        let (name, ns) = match self.named {
            Some((Some(item), ns)) => (item, ns),
            Some((None, ns)) => (&*contract.name, ns),
            None => (&*contract.name, self.w.namespace_of(&contract)),
        };
        if self.open {
            self.w.declare_for_children(ns);
            self.w.out.push(b'>');
            self.open = false;
        }
        self.w.element(name, ns, false, value).map_err(Error::from)
    }

    fn finish(self) -> Result<(), Error> {
        if self.open {
            self.w.end_empty(self.tag);
        } else {
            self.w.end(self.tag);
        }
        Ok(())
    }
}

impl ser::SerializeSeq for SeqSer<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for SeqSer<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for SeqSer<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// A dictionary: `<KeyValueOf{K}{V}><Key>..</Key><Value>..</Value></KeyValueOf{K}{V}>` items,
/// all in the Arrays namespace (a collection data contract's names, in its namespace).
pub(crate) struct MapSer<'w, 'a> {
    w: &'w mut Writer<'a>,
    tag: Tag,
    open: bool,
    /// A key given without its value: its contract and its `<Key>` element, already written.
    pending_key: Option<Option<Contract>>,
    key_buf: Vec<u8>,
    names: MapNames<'a>,
}

/// The element names of a dictionary's items and their namespace.
struct MapNames<'a> {
    ns: &'a str,
    /// `None`: `KeyValueOf{K}{V}`.
    item: Option<&'static str>,
    key: &'static str,
    value: &'static str,
}

impl MapSer<'_, '_> {
    fn start_item(&mut self, key: Option<&Contract>, value: Option<&Contract>) -> Tag {
        if self.open {
            self.w.out.push(b'>');
            self.open = false;
        }
        let name = match self.names.item {
            Some(item) => Cow::Borrowed(item),
            None => Cow::Owned(key_value_name(key, value, self.w.data_ns)),
        };
        let tag = self.w.start(&name, self.names.ns, false);
        self.w.out.push(b'>');
        tag
    }

    /// Writes a `<Key>` element into `key_buf` rather than the output, because the item's name
    /// depends on the value's contract, which is not known yet.
    fn buffer_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key_buf.clear();
        std::mem::swap(&mut self.w.out, &mut self.key_buf);
        let result = self.w.element(self.names.key, self.names.ns, false, key);
        std::mem::swap(&mut self.w.out, &mut self.key_buf);
        result.map_err(Error::from)
    }
}

impl ser::SerializeMap for MapSer<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.buffer_key(key)?;
        self.pending_key = Some(contract_of(key, self.w.data_ns));
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .pending_key
            .take()
            .ok_or_else(|| Error::from(XmlError::Serialize("map value without a key".into())))?;
        let tag = self.start_item(key.as_ref(), contract_of(value, self.w.data_ns).as_ref());
        self.w.out.extend_from_slice(&self.key_buf);
        self.w
            .element(self.names.value, self.names.ns, false, value)
            .map_err(Error::from)?;
        self.w.end(tag);
        Ok(())
    }

    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), Error> {
        let data_ns = self.w.data_ns;
        let tag = self.start_item(
            contract_of(key, data_ns).as_ref(),
            contract_of(value, data_ns).as_ref(),
        );
        self.w
            .element(self.names.key, self.names.ns, false, key)
            .map_err(Error::from)?;
        self.w
            .element(self.names.value, self.names.ns, false, value)
            .map_err(Error::from)?;
        self.w.end(tag);
        Ok(())
    }

    fn end(self) -> Result<(), Error> {
        if self.open {
            self.w.end_empty(self.tag);
        } else {
            self.w.end(self.tag);
        }
        Ok(())
    }
}

/// `value` in decimal, as `Display` writes it.
fn write_decimal(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        // A digit is below 10, so the cast keeps it whole.
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    let engine = &base64::engine::general_purpose::STANDARD;
    let start = out.len();
    let Some(len) = base64::encoded_len(bytes.len(), true) else {
        return;
    };
    out.resize(start + len, 0);
    match engine.encode_slice(bytes, &mut out[start..]) {
        Ok(written) => out.truncate(start + written),
        Err(_) => out.truncate(start),
    }
}

fn write_f64(out: &mut Vec<u8>, v: f64) {
    // 2^53: below it every whole number is exact, its shortest round-trip digits are its own
    // digits, and it has fewer than 17 of them, so the text is the integer as written.
    if v.fract() == 0.0 && v != 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        write_whole(out, v < 0.0, v.abs() as u64);
    } else if !write_float_special(out, v.is_nan(), v.is_infinite(), v.is_sign_negative()) {
        write_float(out, format_args!("{v:e}"), 17);
    }
}

fn write_f32(out: &mut Vec<u8>, v: f32) {
    // 2^24, as for `f64`; such numbers have at most 8 digits, below the precision of 9.
    if v.fract() == 0.0 && v != 0.0 && v.abs() < 16_777_216.0 {
        write_whole(out, v < 0.0, v.abs() as u64);
    } else if !write_float_special(out, v.is_nan(), v.is_infinite(), v.is_sign_negative()) {
        write_float(out, format_args!("{v:e}"), 9);
    }
}

/// A whole-number float's text: what `write_float` writes for it, without `fmt`.
fn write_whole(out: &mut Vec<u8>, negative: bool, magnitude: u64) {
    if negative {
        out.push(b'-');
    }
    write_decimal(out, magnitude);
}

fn write_float_special(out: &mut Vec<u8>, nan: bool, infinite: bool, negative: bool) -> bool {
    let text: &[u8] = match (nan, infinite, negative) {
        (true, _, _) => b"NaN",
        (_, true, false) => b"INF",
        (_, true, true) => b"-INF",
        _ => return false,
    };
    out.extend_from_slice(text);
    true
}

/// Writes a finite float the way .NET Core's "R" format does: the shortest digits that round
/// trip (which Rust's `{:e}` gives), in fixed notation unless the exponent is at least
/// `precision` or below -4, then as `d.dddE+XX`.
fn write_float(out: &mut Vec<u8>, scientific: std::fmt::Arguments<'_>, precision: i32) {
    let mut buf = [0u8; 48];
    let len = {
        use std::io::Write as _;
        let mut cursor = std::io::Cursor::new(&mut buf[..]);
        if cursor.write_fmt(scientific).is_err() {
            return;
        }
        usize::try_from(cursor.position()).unwrap_or(0)
    };
    let text = std::str::from_utf8(&buf[..len]).unwrap_or("0e0");
    let Some((mantissa, exp)) = text.split_once('e') else {
        out.extend_from_slice(text.as_bytes());
        return;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    if negative {
        out.push(b'-');
    }
    let mut digits = [0u8; 40];
    let mut n = 0;
    for b in mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .take(digits.len())
    {
        digits[n] = b;
        n += 1;
    }
    write_digits(out, &digits[..n], exp, precision);
}

fn write_digits(out: &mut Vec<u8>, digits: &[u8], exp: i32, precision: i32) {
    let Some((first, rest)) = digits.split_first() else {
        out.push(b'0');
        return;
    };
    if exp >= precision || exp < -4 {
        out.push(*first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        out.push(b'E');
        out.push(if exp < 0 { b'-' } else { b'+' });
        use std::io::Write as _;
        // Writing into a Vec cannot fail.
        let _ = write!(out, "{:02}", exp.unsigned_abs());
    } else if exp >= 0 {
        let int_len = usize::try_from(exp).unwrap_or(0) + 1;
        if digits.len() <= int_len {
            out.extend_from_slice(digits);
            out.resize(out.len() + int_len - digits.len(), b'0');
        } else {
            out.extend_from_slice(&digits[..int_len]);
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..]);
        }
    } else {
        out.extend_from_slice(b"0.");
        let zeros = usize::try_from(-exp - 1).unwrap_or(0);
        out.resize(out.len() + zeros, b'0');
        out.extend_from_slice(digits);
    }
}

/// Writes a base type's members into the element of the derived type being written.
struct BaseSer<'w, 'a> {
    w: &'w mut Writer<'a>,
}

impl BaseSer<'_, '_> {
    fn not_a_contract() -> Error {
        Error::from(XmlError::Serialize(
            "a `#[data_member(base)]` field must be a `#[data_contract]` struct".to_owned(),
        ))
    }
}

impl<'w, 'a> ser::Serializer for BaseSer<'w, 'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = StructSer<'w, 'a>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<StructSer<'w, 'a>, Error> {
        let Some((namespace, _)) = data_contract_name(name) else {
            return Err(Self::not_a_contract());
        };
        let member_ns = namespace.unwrap_or(self.w.data_ns);
        let content_start = Some(self.w.out.len());
        Ok(StructSer {
            w: self.w,
            tag: None,
            member_ns,
            content_start,
            fields: Vec::with_capacity(len),
            sorted: true,
            in_order: true,
        })
    }

    fn serialize_bool(self, _: bool) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_i8(self, _: i8) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_i16(self, _: i16) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_i32(self, _: i32) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_i64(self, _: i64) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_u8(self, _: u8) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_u16(self, _: u16) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_u32(self, _: u32) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_u64(self, _: u64) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_f32(self, _: f32) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_f64(self, _: f64) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_char(self, _: char) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_str(self, _: &str) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(Self::not_a_contract())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Self::not_a_contract())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64_text(v: f64) -> String {
        let mut out = Vec::new();
        write_f64(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn f32_text(v: f32) -> String {
        let mut out = Vec::new();
        write_f32(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn doubles_use_dotnet_core_round_trip_text() {
        let cases = [
            (5.0, "5"),
            (-0.0, "-0"),
            (0.0, "0"),
            (1e15, "1000000000000000"),
            (1e16, "10000000000000000"),
            (1e17, "1E+17"),
            (std::f64::consts::PI, "3.141592653589793"),
            (0.0001, "0.0001"),
            (0.00001, "1E-05"),
            (0.1, "0.1"),
            (-123.456, "-123.456"),
            (1.5e-300, "1.5E-300"),
            (f64::MAX, "1.7976931348623157E+308"),
            (f64::INFINITY, "INF"),
            (f64::NEG_INFINITY, "-INF"),
            (f64::NAN, "NaN"),
        ];
        for (v, text) in cases {
            assert_eq!(f64_text(v), text, "{v:e}");
            if v.is_finite() {
                assert_eq!(text.parse::<f64>().unwrap().to_bits(), v.to_bits());
            }
        }
    }

    #[test]
    fn integers_are_written_as_display_writes_them() {
        for v in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            42,
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ] {
            let mut out = Vec::new();
            if v < 0 {
                out.push(b'-');
            }
            write_decimal(&mut out, v.unsigned_abs());
            assert_eq!(String::from_utf8(out).unwrap(), v.to_string());
        }
        let mut out = Vec::new();
        write_decimal(&mut out, u64::MAX);
        assert_eq!(String::from_utf8(out).unwrap(), u64::MAX.to_string());
    }

    #[test]
    fn whole_floats_are_written_as_the_general_path_writes_them() {
        let slow64 = |v: f64| {
            let mut out = Vec::new();
            write_float(&mut out, format_args!("{v:e}"), 17);
            String::from_utf8(out).unwrap()
        };
        let slow32 = |v: f32| {
            let mut out = Vec::new();
            write_float(&mut out, format_args!("{v:e}"), 9);
            String::from_utf8(out).unwrap()
        };
        let mut wholes: Vec<i64> = (-2000..2000).collect();
        for k in 0..53 {
            wholes.extend([1i64 << k, (1i64 << k) - 1, -(1i64 << k), (1i64 << k) + 1]);
        }
        for k in 0..16 {
            let p = 10i64.pow(k);
            wholes.extend([p, p - 1, p + 1, 7 * p, -p]);
        }
        for n in wholes {
            let v = n as f64;
            if v != 0.0 && v.abs() < 9_007_199_254_740_992.0 {
                assert_eq!(f64_text(v), slow64(v), "{n}");
            }
            let v = n as f32;
            if v != 0.0 && v.abs() < 16_777_216.0 {
                assert_eq!(f32_text(v), slow32(v), "{n}");
            }
        }
        // Just past the fast path's bounds, the general path still decides.
        assert_eq!(f64_text(9_007_199_254_740_992.0), "9007199254740992");
        assert_eq!(f32_text(16_777_216.0), "16777216");
        assert_eq!(f32_text(1e9), "1E+09");
    }

    #[test]
    fn floats_use_nine_digit_precision() {
        assert_eq!(f32_text(1e9), "1E+09");
        assert_eq!(f32_text(1_234_567.5), "1234567.5");
        assert_eq!(f32_text(0.1), "0.1");
        assert_eq!(f32_text(f32::NAN), "NaN");
    }
}
