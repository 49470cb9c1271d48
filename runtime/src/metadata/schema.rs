//! The XML Schema of the types a contract carries, as DataContractSerializer's exporter
//! (`XsdDataContractExporter`) writes it: what `SchemaType` describes, collected in a
//! `SchemaSet`, one schema per namespace.
//!
//! Written by hand: no crate models XML Schema for writing, and what is needed is the small
//! subset WCF's exporter itself uses (complex types with a sequence, string enumerations,
//! lists, `ArrayOf` collections, key-value items, the serialization namespace's types).

use crate::message::ns;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A qualified XML name (a type's or an element's).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct XmlName {
    /// The namespace URI.
    pub namespace: Cow<'static, str>,
    /// The local name.
    pub name: Cow<'static, str>,
}

impl XmlName {
    /// `name` in `namespace`.
    pub fn new(
        namespace: impl Into<Cow<'static, str>>,
        name: impl Into<Cow<'static, str>>,
    ) -> Self {
        XmlName {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    fn xs(name: &'static str) -> Self {
        XmlName::new(ns::XSD, name)
    }

    fn ser(name: &'static str) -> Self {
        XmlName::new(ns::DC_SERIALIZATION, name)
    }
}

/// How an element of a type is declared: its type and whether it may be `nil` (WCF's
/// reference types, and `Option`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeUse {
    /// The schema type.
    pub type_name: XmlName,
    /// Whether an element of it may carry `i:nil="true"`.
    pub nillable: bool,
}

impl TypeUse {
    /// A value type: never nil.
    pub fn value(type_name: XmlName) -> Self {
        TypeUse {
            type_name,
            nillable: false,
        }
    }

    /// A reference type: may be nil.
    pub fn reference(type_name: XmlName) -> Self {
        TypeUse {
            type_name,
            nillable: true,
        }
    }

    /// The global element an instance of this type is written as on its own (a fault detail,
    /// a collection's item name): XML Schema's built-in types have theirs in the
    /// serialization namespace, as WCF declares them.
    pub fn element(&self) -> XmlName {
        if self.type_name.namespace == ns::XSD {
            XmlName::new(ns::DC_SERIALIZATION, self.type_name.name.clone())
        } else {
            self.type_name.clone()
        }
    }
}

/// One element of a sequence: a data member, a parameter, a collection's item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementDecl {
    /// The element's local name (in the namespace of the schema that declares it).
    pub name: String,
    /// Its type.
    pub type_use: TypeUse,
    /// `minOccurs="0"`: the element may be left out.
    pub optional: bool,
    /// `maxOccurs="unbounded"`.
    pub repeated: bool,
}

/// A type's definition in its namespace's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TypeDef {
    /// A complex type with a sequence of elements (a data contract, a collection), extending
    /// `base` when it has one.
    Complex {
        base: Option<XmlName>,
        elements: Vec<ElementDecl>,
    },
    /// A dictionary: a sequence of key-value items whose element is `item` with `key` and
    /// `value` inside (WCF marks it with `IsDictionary`).
    Dictionary {
        item: String,
        key: ElementDecl,
        value: ElementDecl,
    },
    /// A string enumeration (a data contract enum); `flags`: a list of them, with each
    /// member's value (a `[Flags]` enum).
    Enumeration {
        members: Vec<(String, i64)>,
        flags: bool,
    },
}

/// One namespace's schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Schema {
    /// Named types, in the order they were first met.
    pub(crate) types: Vec<(String, TypeDef)>,
    /// Global elements: operation wrappers (an anonymous sequence) and the element of each
    /// named type.
    pub(crate) elements: Vec<(String, GlobalElement)>,
}

/// A global element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GlobalElement {
    /// `<xs:element name="X" nillable="…" type="…"/>`.
    Typed(TypeUse),
    /// An operation's wrapper: an anonymous complex type with a sequence.
    Wrapper(Vec<ElementDecl>),
}

/// The schemas of everything a set of contracts carries, one per namespace, filled by
/// [`SchemaType::describe`].
#[derive(Debug, Clone)]
pub struct SchemaSet {
    data_namespace: String,
    pub(crate) schemas: BTreeMap<String, Schema>,
    /// Namespaces in the order they were first met (the order documents are numbered in).
    pub(crate) order: Vec<String>,
    /// Rust types with no schema (plain serde types), described as `xs:anyType`.
    pub(crate) undescribed: Vec<&'static str>,
}

impl SchemaSet {
    /// An empty set for contracts whose data namespace is `data_namespace`.
    pub fn new(data_namespace: &str) -> Self {
        SchemaSet {
            data_namespace: data_namespace.to_owned(),
            schemas: BTreeMap::new(),
            order: Vec::new(),
            undescribed: Vec::new(),
        }
    }

    /// The data namespace types without a namespace of their own go in.
    pub fn data_namespace(&self) -> &str {
        &self.data_namespace
    }

    /// The name of a data contract: `namespace`, or the data namespace for `None`.
    pub fn contract_name(&self, namespace: Option<&'static str>, name: &'static str) -> XmlName {
        match namespace {
            Some(namespace) => XmlName::new(namespace, name),
            None => XmlName::new(self.data_namespace.clone(), name),
        }
    }

    fn schema(&mut self, namespace: &str) -> &mut Schema {
        if !self.schemas.contains_key(namespace) {
            self.order.push(namespace.to_owned());
        }
        self.schemas.entry(namespace.to_owned()).or_default()
    }

    /// Whether `name` is defined (or being defined) already.
    pub fn is_defined(&self, name: &XmlName) -> bool {
        self.schemas
            .get(&*name.namespace)
            .is_some_and(|schema| schema.types.iter().any(|(n, _)| *n == name.name))
    }

    /// Defines a type (its global element too); the first definition of a name wins, so a
    /// type met twice is described once. Returns whether it was new.
    pub(crate) fn define(&mut self, name: &XmlName, def: TypeDef, nillable: bool) -> bool {
        if self.is_defined(name) {
            return false;
        }
        let schema = self.schema(&name.namespace);
        schema.types.push((name.name.to_string(), def));
        schema.elements.push((
            name.name.to_string(),
            GlobalElement::Typed(TypeUse {
                type_name: name.clone(),
                nillable,
            }),
        ));
        true
    }

    /// Reserves `name` before its members are described, so a type that refers to itself
    /// (through an `Option` or a list) ends; [`SchemaSet::complete`] fills it in.
    pub fn reserve(&mut self, name: &XmlName, nillable: bool) -> bool {
        self.define(
            name,
            TypeDef::Complex {
                base: None,
                elements: Vec::new(),
            },
            nillable,
        )
    }

    /// Fills in a complex type reserved with [`SchemaSet::reserve`].
    pub fn complete(&mut self, name: &XmlName, base: Option<XmlName>, elements: Vec<ElementDecl>) {
        if let Some(schema) = self.schemas.get_mut(&*name.namespace) {
            if let Some((_, def)) = schema.types.iter_mut().find(|(n, _)| *n == name.name) {
                *def = TypeDef::Complex { base, elements };
            }
        }
    }

    /// Defines a data contract enum: its members' names and values, and whether it is a
    /// `[Flags]` enum.
    pub fn enumeration(&mut self, name: &XmlName, members: &[(&str, i64)], flags: bool) {
        let members = members
            .iter()
            .map(|(name, value)| ((*name).to_owned(), *value))
            .collect();
        self.define(name, TypeDef::Enumeration { members, flags }, false);
    }

    /// Declares a global element of `type_use` (once).
    pub(crate) fn element(&mut self, name: &XmlName, type_use: TypeUse) {
        let schema = self.schema(&name.namespace);
        if !schema.elements.iter().any(|(n, _)| *n == name.name) {
            schema
                .elements
                .push((name.name.to_string(), GlobalElement::Typed(type_use)));
        }
    }

    /// Declares an operation's wrapper element in `namespace`.
    pub(crate) fn wrapper(&mut self, namespace: &str, name: &str, elements: Vec<ElementDecl>) {
        let schema = self.schema(namespace);
        if !schema.elements.iter().any(|(n, _)| n == name) {
            schema
                .elements
                .push((name.to_owned(), GlobalElement::Wrapper(elements)));
        }
    }

    /// Notes a Rust type without a schema and describes it as `xs:anyType`.
    pub fn undescribed(&mut self, rust_type: &'static str) -> TypeUse {
        if !self.undescribed.contains(&rust_type) {
            tracing::warn!(
                rust_type,
                "a contract carries a type with no schema (a plain serde type, not a \
                 #[data_contract]); the metadata describes it as xs:anyType"
            );
            self.undescribed.push(rust_type);
        }
        TypeUse::reference(XmlName::xs("anyType"))
    }

    /// The `ArrayOf{Item}` collection of `item` (a `Vec<T>` or a slice): in the Arrays
    /// namespace for XML Schema and serialization types, else in the item's namespace.
    pub fn array_of(&mut self, item: TypeUse) -> TypeUse {
        let item_element = item.element();
        let namespace = if is_builtin(&item_element.namespace) {
            Cow::Borrowed(ns::DC_ARRAYS)
        } else {
            item_element.namespace.clone()
        };
        let name = XmlName::new(namespace, format!("ArrayOf{}", item_element.name));
        self.define(
            &name,
            TypeDef::Complex {
                base: None,
                elements: vec![ElementDecl {
                    name: item_element.name.to_string(),
                    type_use: item,
                    optional: true,
                    repeated: true,
                }],
            },
            true,
        );
        TypeUse::reference(name)
    }

    /// The `ArrayOfKeyValueOf{K}{V}` dictionary of `key` and `value` (a map).
    pub fn dictionary_of(&mut self, key: TypeUse, value: TypeUse) -> TypeUse {
        // Named after the key and value contracts, hashed by their namespaces (the types',
        // not their elements': `string` counts as XML Schema's), as WCF names generic types.
        let (key_type, value_type) = (&key.type_name, &value.type_name);
        let mut item = format!("KeyValueOf{}{}", key_type.name, value_type.name);
        let namespaces = [&*key_type.namespace, &*value_type.namespace];
        if !namespaces.iter().all(|ns| is_xsd_or_serialization(ns)) {
            item.push_str(&crate::serialization::namespaces_digest(&namespaces));
        }
        let name = XmlName::new(ns::DC_ARRAYS, format!("ArrayOf{item}"));
        self.define(
            &name,
            TypeDef::Dictionary {
                item,
                key: member("Key", key, true),
                value: member("Value", value, true),
            },
            true,
        );
        TypeUse::reference(name)
    }

    /// A collection data contract `name` whose items are the elements `item_name` of `item`.
    pub fn collection(&mut self, name: &XmlName, item_name: Option<&str>, item: TypeUse) {
        let item_name = item_name.map_or_else(|| item.element().name.to_string(), str::to_owned);
        self.define(
            name,
            TypeDef::Complex {
                base: None,
                elements: vec![ElementDecl {
                    name: item_name,
                    type_use: item,
                    optional: true,
                    repeated: true,
                }],
            },
            true,
        );
    }

    /// A dictionary collection data contract `name`.
    pub fn dictionary_collection(
        &mut self,
        name: &XmlName,
        item_name: Option<&str>,
        (key_name, key): (&str, TypeUse),
        (value_name, value): (&str, TypeUse),
    ) {
        let item = item_name.map_or_else(
            || format!("KeyValueOf{}{}", key.element().name, value.element().name),
            str::to_owned,
        );
        self.define(
            name,
            TypeDef::Dictionary {
                item,
                key: member(key_name, key, true),
                value: member(value_name, value, true),
            },
            true,
        );
    }

    /// Makes sure `namespace` has a schema document, even an empty one (the service
    /// contract's namespace always has one: it holds the wrappers).
    pub(crate) fn touch(&mut self, namespace: &str) {
        self.schema(namespace);
    }
}

/// A sequence element named `name` of `type_use`; `required` keeps `minOccurs="0"` off (a
/// `required` data member).
pub fn member(name: &str, type_use: TypeUse, required: bool) -> ElementDecl {
    ElementDecl {
        name: name.to_owned(),
        type_use,
        optional: !required,
        repeated: false,
    }
}

/// XML Schema and the serialization namespace: their types' collections go in the Arrays
/// namespace.
fn is_builtin(namespace: &str) -> bool {
    namespace == ns::XSD || namespace == ns::DC_SERIALIZATION || namespace == ns::DC_ARRAYS
}

fn is_xsd_or_serialization(namespace: &str) -> bool {
    namespace == ns::XSD || namespace == ns::DC_SERIALIZATION
}

/// How a collection data contract's inner type holds its items.
#[derive(Debug, Clone)]
pub enum CollectionShape {
    /// A list of items.
    List(TypeUse),
    /// A map of keys to values.
    Map(TypeUse, TypeUse),
}

/// A type that has an XML Schema description: what WCF's metadata says of it. Implemented
/// for the primitives, the `dotnet` types, `Option`, lists and maps, and by
/// `#[data_contract]` and `#[fault_contracts]`.
///
/// A contract's operations may also carry plain serde types; their metadata says
/// `xs:anyType` (with a warning in the log), since nothing tells their shape.
pub trait SchemaType {
    /// Describes the type in `set` (with every type it refers to) and says how an element of
    /// it is declared.
    fn describe(set: &mut SchemaSet) -> TypeUse;

    /// For a list or a map: its items, which a collection data contract over it names.
    #[doc(hidden)]
    fn collection_shape(set: &mut SchemaSet) -> Option<CollectionShape> {
        let _ = set;
        None
    }

    /// The fault details a `Fault<Self>` may carry: each detail's Rust type name (WCF's fault
    /// name and action use it) and its element. `declared` is the name the operation's
    /// signature gives the detail type.
    #[doc(hidden)]
    fn fault_details(set: &mut SchemaSet, declared: &'static str) -> Vec<FaultDetail> {
        let type_use = Self::describe(set);
        vec![FaultDetail {
            type_name: declared,
            element: type_use.element(),
        }]
    }
}

/// One fault detail an operation declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultDetail {
    /// The detail's Rust type name, as WCF names the fault after the detail's class.
    pub type_name: &'static str,
    /// The detail's element.
    pub element: XmlName,
}

macro_rules! primitives {
    ($($ty:ty => $ctor:ident($name:literal) $nil:ident),* $(,)?) => {$(
        impl SchemaType for $ty {
            fn describe(_: &mut SchemaSet) -> TypeUse {
                TypeUse::$nil(XmlName::$ctor($name))
            }
        }
    )*};
}

primitives! {
    bool => xs("boolean") value,
    i8 => xs("byte") value,
    u8 => xs("unsignedByte") value,
    i16 => xs("short") value,
    u16 => xs("unsignedShort") value,
    i32 => xs("int") value,
    u32 => xs("unsignedInt") value,
    i64 => xs("long") value,
    u64 => xs("unsignedLong") value,
    f32 => xs("float") value,
    f64 => xs("double") value,
    char => ser("char") value,
    String => xs("string") reference,
    str => xs("string") reference,
    crate::dotnet::Decimal => xs("decimal") value,
    crate::dotnet::DateTime => xs("dateTime") value,
    crate::dotnet::TimeSpan => ser("duration") value,
    crate::dotnet::Guid => ser("guid") value,
    crate::dotnet::Uri => xs("anyURI") reference,
    crate::dotnet::QualifiedName => xs("QName") reference,
    crate::ByteStream => xs("base64Binary") reference,
}

impl SchemaType for crate::dotnet::DateTimeOffset {
    fn describe(set: &mut SchemaSet) -> TypeUse {
        // WCF's surrogate: a struct of the UTC time and the offset in minutes.
        let name = XmlName::new(
            "http://schemas.datacontract.org/2004/07/System",
            "DateTimeOffset",
        );
        if set.reserve(&name, false) {
            let elements = vec![
                member("DateTime", TypeUse::value(XmlName::xs("dateTime")), true),
                member("OffsetMinutes", TypeUse::value(XmlName::xs("short")), true),
            ];
            set.complete(&name, None, elements);
        }
        TypeUse::value(name)
    }
}

impl<T: SchemaType> SchemaType for Option<T> {
    fn describe(set: &mut SchemaSet) -> TypeUse {
        TypeUse {
            nillable: true,
            ..T::describe(set)
        }
    }
}

impl<T: SchemaType + ?Sized> SchemaType for Box<T> {
    fn describe(set: &mut SchemaSet) -> TypeUse {
        T::describe(set)
    }
}

impl<T: SchemaType + ?Sized> SchemaType for std::sync::Arc<T> {
    fn describe(set: &mut SchemaSet) -> TypeUse {
        T::describe(set)
    }
}

macro_rules! lists {
    ($($ty:ty),*) => {$(
        impl<T: SchemaType> SchemaType for $ty {
            fn describe(set: &mut SchemaSet) -> TypeUse {
                let item = T::describe(set);
                set.array_of(item)
            }

            fn collection_shape(set: &mut SchemaSet) -> Option<CollectionShape> {
                Some(CollectionShape::List(T::describe(set)))
            }
        }
    )*};
}

lists!(
    Vec<T>,
    [T],
    std::collections::VecDeque<T>,
    std::collections::BTreeSet<T>,
    std::collections::HashSet<T>
);

macro_rules! maps {
    ($($ty:ty),*) => {$(
        impl<K: SchemaType, V: SchemaType> SchemaType for $ty {
            fn describe(set: &mut SchemaSet) -> TypeUse {
                let key = K::describe(set);
                let value = V::describe(set);
                set.dictionary_of(key, value)
            }

            fn collection_shape(set: &mut SchemaSet) -> Option<CollectionShape> {
                Some(CollectionShape::Map(K::describe(set), V::describe(set)))
            }
        }
    )*};
}

maps!(
    std::collections::BTreeMap<K, V>,
    std::collections::HashMap<K, V>
);

impl<E: crate::serialization::FlagsContract + SchemaType> SchemaType
    for crate::serialization::Flags<E>
{
    fn describe(set: &mut SchemaSet) -> TypeUse {
        E::describe(set)
    }
}

/// The serialization namespace's schema as WCF writes it: an element for each primitive, and
/// its own `char`, `duration` and `guid` types and attributes.
pub(crate) const SERIALIZATION_ELEMENTS: [(&str, &str); 18] = [
    ("anyType", "anyType"),
    ("anyURI", "anyURI"),
    ("base64Binary", "base64Binary"),
    ("boolean", "boolean"),
    ("byte", "byte"),
    ("dateTime", "dateTime"),
    ("decimal", "decimal"),
    ("double", "double"),
    ("float", "float"),
    ("int", "int"),
    ("long", "long"),
    ("QName", "QName"),
    ("short", "short"),
    ("string", "string"),
    ("unsignedByte", "unsignedByte"),
    ("unsignedInt", "unsignedInt"),
    ("unsignedLong", "unsignedLong"),
    ("unsignedShort", "unsignedShort"),
];

/// Hidden helpers for generated code: pick a type's [`SchemaType`] description when it has
/// one, `xs:anyType` when it does not (autoref specialization: the generated call is
/// `(&Probe::<T>::new()).schema(set)`, and the first impl applies only with the bound met).
pub mod probe {
    use super::{CollectionShape, FaultDetail, SchemaSet, SchemaType, TypeUse};
    use std::marker::PhantomData;

    /// A type to ask about.
    pub struct Probe<T: ?Sized>(PhantomData<fn() -> Box<T>>);

    impl<T: ?Sized> std::fmt::Debug for Probe<T> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "Probe<{}>", std::any::type_name::<T>())
        }
    }

    impl<T: ?Sized> Probe<T> {
        /// The probe of `T`.
        #[allow(clippy::new_without_default)]
        pub fn new() -> Self {
            Probe(PhantomData)
        }
    }

    /// `T` has a schema.
    pub trait Described {
        /// `T::describe`.
        fn schema(&self, set: &mut SchemaSet) -> TypeUse;
        /// `T::fault_details`.
        fn faults(&self, set: &mut SchemaSet, declared: &'static str) -> Vec<FaultDetail>;
        /// `T::collection_shape`.
        fn shape(&self, set: &mut SchemaSet) -> Option<CollectionShape>;
    }

    impl<T: SchemaType + ?Sized> Described for Probe<T> {
        fn schema(&self, set: &mut SchemaSet) -> TypeUse {
            T::describe(set)
        }
        fn faults(&self, set: &mut SchemaSet, declared: &'static str) -> Vec<FaultDetail> {
            T::fault_details(set, declared)
        }
        fn shape(&self, set: &mut SchemaSet) -> Option<CollectionShape> {
            T::collection_shape(set)
        }
    }

    /// `T` has none: `xs:anyType`.
    pub trait Undescribed {
        /// `xs:anyType`, noted.
        fn schema(&self, set: &mut SchemaSet) -> TypeUse;
        /// One detail of `xs:anyType`.
        fn faults(&self, set: &mut SchemaSet, declared: &'static str) -> Vec<FaultDetail>;
        /// None known.
        fn shape(&self, set: &mut SchemaSet) -> Option<CollectionShape>;
    }

    impl<T: ?Sized> Undescribed for &Probe<T> {
        fn schema(&self, set: &mut SchemaSet) -> TypeUse {
            set.undescribed(std::any::type_name::<T>())
        }
        fn faults(&self, set: &mut SchemaSet, declared: &'static str) -> Vec<FaultDetail> {
            // Written as an element named after the type, in the data namespace.
            let type_use = set.undescribed(std::any::type_name::<T>());
            let element = set.contract_name(None, declared);
            set.element(&element, type_use);
            vec![FaultDetail {
                type_name: declared,
                element,
            }]
        }
        fn shape(&self, set: &mut SchemaSet) -> Option<CollectionShape> {
            let _ = set.undescribed(std::any::type_name::<T>());
            None
        }
    }
}
