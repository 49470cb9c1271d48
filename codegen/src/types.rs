//! XML Schema types as Rust data contracts, by the rules WCF's `XsdDataContractImporter`
//! reads them with: a sequence is a `#[data_contract]` struct (an extension's base its first,
//! `base` member), a string enumeration an enum (a list of one a `[Flags]` enum), a single
//! repeated element a list (`ArrayOf{Item}` a plain `Vec`, another name a `collection`
//! contract), WCF's dictionaries maps, a type other types extend a `known_types` enum, and the
//! XML Schema and serialization primitives Rust's and `indigo::dotnet`'s types.

use crate::error::Error;
use crate::model::*;
use crate::names::{ident, macro_pascal, pascal_case, snake_case, Unique};
use crate::read::{SERIALIZATION, XSD};
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::BTreeMap;

const SYSTEM: &str = "http://schemas.datacontract.org/2004/07/System";

/// A Rust type for an XML type, and whether it is a value type (one `nillable` makes an
/// `Option`).
#[derive(Debug, Clone)]
pub(crate) struct RustType {
    pub(crate) tokens: TokenStream,
    pub(crate) value_type: bool,
}

impl RustType {
    fn value(tokens: TokenStream) -> Self {
        RustType {
            tokens,
            value_type: true,
        }
    }

    fn reference(tokens: TokenStream) -> Self {
        RustType {
            tokens,
            value_type: false,
        }
    }

    /// The type of an element of it: `Option` when the element may be nil and the type is a
    /// value type (a reference type reads nil as its default).
    pub(crate) fn for_element(&self, nillable: bool) -> TokenStream {
        let tokens = &self.tokens;
        if nillable && self.value_type {
            quote!(::core::option::Option<#tokens>)
        } else {
            tokens.clone()
        }
    }
}

/// The types generated so far, and the names handed out.
pub(crate) struct Types<'d> {
    defs: &'d Definitions,
    pub(crate) names: Unique,
    rust_names: BTreeMap<QName, String>,
    /// The name a fault detail's type should have (WCF's fault action names the type).
    pub(crate) preferred: BTreeMap<QName, String>,
    generated: BTreeMap<QName, Option<TokenStream>>,
    order: Vec<QName>,
    /// For each type other types extend: those types (transitively).
    derived: BTreeMap<QName, Vec<QName>>,
    known_type_enums: BTreeMap<QName, String>,
}

impl<'d> Types<'d> {
    pub(crate) fn new(defs: &'d Definitions) -> Self {
        let mut derived: BTreeMap<QName, Vec<QName>> = BTreeMap::new();
        for name in &defs.type_order {
            let mut current = name.clone();
            // Walk up the bases, each one learning of this type.
            let mut guard = 0;
            while let Some(TypeDef::Complex(ComplexType {
                base: Some(base), ..
            })) = defs.types.get(&current)
            {
                derived.entry(base.clone()).or_default().push(name.clone());
                current = base.clone();
                guard += 1;
                if guard > 64 {
                    break;
                }
            }
        }
        Types {
            defs,
            names: Unique::default(),
            rust_names: BTreeMap::new(),
            preferred: BTreeMap::new(),
            generated: BTreeMap::new(),
            order: Vec::new(),
            derived,
            known_type_enums: BTreeMap::new(),
        }
    }

    /// The generated items, in the order they were first needed.
    pub(crate) fn items(&self) -> Vec<TokenStream> {
        self.order
            .iter()
            .filter_map(|name| self.generated.get(name).cloned().flatten())
            .collect()
    }

    fn rust_name(&mut self, name: &QName) -> String {
        if let Some(rust) = self.rust_names.get(name) {
            return rust.clone();
        }
        let wanted = self
            .preferred
            .get(name)
            .cloned()
            .unwrap_or_else(|| pascal_case(&name.name));
        let rust = self.names.take(&wanted);
        self.rust_names.insert(name.clone(), rust.clone());
        rust
    }

    /// The Rust type of an element declaration (a member, a parameter, a result).
    pub(crate) fn element_type(&mut self, decl: &ElementDecl) -> Result<TokenStream, Error> {
        let decl = self.resolve_ref(decl)?;
        if decl.repeated {
            return Err(Error::Unsupported {
                construct: format!("the repeated element {}", decl.name.name),
                why: "WCF sends lists as one element of an ArrayOf type; a repeated element \
                      outside a collection type has no data contract form"
                    .into(),
                position: decl.position.clone(),
            });
        }
        let ty = self.decl_type(&decl)?;
        Ok(ty.for_element(decl.nillable))
    }

    fn resolve_ref(&self, decl: &ElementDecl) -> Result<ElementDecl, Error> {
        let Some(reference) = &decl.reference else {
            return Ok(decl.clone());
        };
        let global = self
            .defs
            .elements
            .get(reference)
            .ok_or_else(|| Error::Missing {
                what: format!("the element {reference}"),
                position: decl.position.clone(),
            })?;
        Ok(ElementDecl {
            min_occurs: decl.min_occurs,
            repeated: decl.repeated,
            position: decl.position.clone(),
            ..global.clone()
        })
    }

    /// The type of `decl` (its named type; an anonymous type has no Rust name to take).
    pub(crate) fn decl_type(&mut self, decl: &ElementDecl) -> Result<RustType, Error> {
        match (&decl.type_name, &decl.anonymous) {
            (Some(type_name), _) => self.type_ref(type_name, &decl.position),
            (None, Some(_)) => Err(Error::Unsupported {
                construct: format!("the anonymous type of element {}", decl.name.name),
                why: "data contract members have named types".into(),
                position: decl.position.clone(),
            }),
            (None, None) => Err(Error::Unsupported {
                construct: format!("element {} without a type (xs:anyType)", decl.name.name),
                why: "an untyped value has no data contract".into(),
                position: decl.position.clone(),
            }),
        }
    }

    /// The Rust type for the XML type `name`.
    pub(crate) fn type_ref(&mut self, name: &QName, at: &Position) -> Result<RustType, Error> {
        if let Some(builtin) = builtin(name) {
            return builtin.ok_or_else(|| Error::Unsupported {
                construct: format!("the type {name}"),
                why: "it has no Rust form in Indigo's data contracts".into(),
                position: at.clone(),
            });
        }
        let def = self.defs.types.get(name).ok_or_else(|| Error::Missing {
            what: format!("the type {name}"),
            position: at.clone(),
        })?;
        match def {
            TypeDef::Simple(simple) => self.simple_ref(name, simple, at),
            TypeDef::Complex(complex) => self.complex_ref(name, complex),
        }
    }

    fn simple_ref(
        &mut self,
        name: &QName,
        simple: &SimpleType,
        at: &Position,
    ) -> Result<RustType, Error> {
        if simple.enumeration.is_empty() {
            // A restriction of a primitive (a pattern, a range): the primitive.
            return match &simple.base {
                Some(base) => self.type_ref(base, at),
                None => Err(Error::Unsupported {
                    construct: format!("the simple type {name}"),
                    why: "it is neither an enumeration nor a restriction of a primitive".into(),
                    position: simple.position.clone(),
                }),
            };
        }
        let rust = self.rust_name(name);
        if !self.generated.contains_key(name) {
            self.generated.insert(name.clone(), None);
            self.order.push(name.clone());
            let item = enumeration(name, &rust, simple);
            self.generated.insert(name.clone(), Some(item));
        }
        let ident = ident(&rust);
        Ok(if simple.list {
            RustType::value(quote!(::indigo::Flags<#ident>))
        } else {
            RustType::value(quote!(#ident))
        })
    }

    fn complex_ref(&mut self, name: &QName, complex: &ComplexType) -> Result<RustType, Error> {
        if let Some(shape) = self.collection_shape(complex)? {
            return self.collection_ref(name, complex, shape);
        }
        let rust = self.struct_ref(name, complex)?;
        if self.derived.contains_key(name) {
            let any = self.known_types_ref(name, complex, &rust)?;
            return Ok(RustType::reference(quote!(#any)));
        }
        let ident = ident(&rust);
        Ok(RustType::reference(quote!(#ident)))
    }

    /// The struct of a complex type, generated on first use; its Rust name.
    fn struct_ref(&mut self, name: &QName, complex: &ComplexType) -> Result<String, Error> {
        let rust = self.rust_name(name);
        if self.generated.contains_key(name) {
            return Ok(rust);
        }
        if let Some(construct) = &complex.unsupported {
            return Err(Error::Unsupported {
                construct: format!("{construct} in the type {}", name.name),
                why: "data contracts are sequences of elements".into(),
                position: complex.position.clone(),
            });
        }
        // Reserved first: a member of the type's own type ends here.
        self.generated.insert(name.clone(), None);
        self.order.push(name.clone());
        let item = self.data_struct(name, &rust, complex)?;
        self.generated.insert(name.clone(), Some(item));
        Ok(rust)
    }

    fn data_struct(
        &mut self,
        name: &QName,
        rust: &str,
        complex: &ComplexType,
    ) -> Result<TokenStream, Error> {
        let mut fields = Vec::new();
        let mut field_names = Unique::default();
        if let Some(base) = &complex.base {
            let base_def = match self.defs.types.get(base) {
                Some(TypeDef::Complex(base_def)) => base_def.clone(),
                _ => {
                    return Err(Error::Missing {
                        what: format!("the base type {base}"),
                        position: complex.position.clone(),
                    })
                }
            };
            let base_rust = self.struct_ref(base, &base_def)?;
            let base_ident = ident(&base_rust);
            let field = ident(&field_names.take("base"));
            fields.push(quote! {
                #[data_member(base)]
                pub #field: #base_ident
            });
        }
        // WCF writes members without an order by name, then the rest by order: the longest
        // prefix in ordinal order needs no `order`, each member after it gets one.
        let sorted_prefix = complex
            .elements
            .windows(2)
            .position(|pair| pair[0].name.name.as_bytes() > pair[1].name.name.as_bytes())
            .map_or(complex.elements.len(), |i| i + 1);
        for (index, decl) in complex.elements.iter().enumerate() {
            let wire = &decl.name.name;
            let field_name = field_names.take(&snake_case(wire));
            let field = ident(&field_name);
            let ty = if decl.type_name.as_ref() == Some(name) {
                // A member of the type's own type.
                let own = ident(rust);
                quote!(::std::boxed::Box<#own>)
            } else {
                self.element_type(decl)?
            };
            let mut keys = Vec::new();
            if macro_pascal(&field_name) != *wire {
                keys.push(quote!(name = #wire));
            }
            if decl.min_occurs > 0 {
                keys.push(quote!(required));
            }
            if index >= sorted_prefix {
                let order = proc_macro2::Literal::usize_unsuffixed(index - sorted_prefix + 1);
                keys.push(quote!(order = #order));
            }
            let attribute = (!keys.is_empty()).then(|| quote!(#[data_member(#(#keys),*)]));
            let doc = doc_attr(decl.documentation.as_deref());
            fields.push(quote! {
                #doc
                #attribute
                pub #field: #ty
            });
        }
        let (wire, namespace) = (&name.name, &name.namespace);
        let ident = ident(rust);
        let doc =
            doc_attr(Some(complex.documentation.as_deref().unwrap_or(&format!(
                "The data contract `{wire}` in `{namespace}`."
            ))));
        Ok(quote! {
            #doc
            #[::indigo::data_contract(name = #wire, namespace = #namespace)]
            #[derive(Debug, Clone, PartialEq, Default)]
            pub struct #ident {
                #(#fields),*
            }
        })
    }

    /// `#[data_contract(known_types)]`: the declared type and every type extending it.
    fn known_types_ref(
        &mut self,
        name: &QName,
        complex: &ComplexType,
        rust: &str,
    ) -> Result<proc_macro2::Ident, Error> {
        if let Some(any) = self.known_type_enums.get(name) {
            return Ok(ident(any));
        }
        let any = self.names.take(&format!("Any{rust}"));
        self.known_type_enums.insert(name.clone(), any.clone());
        let mut variants = Vec::new();
        let mut members = Vec::new();
        if !complex.is_abstract {
            members.push((name.clone(), rust.to_owned()));
        }
        for derived in self.derived.get(name).cloned().unwrap_or_default() {
            let Some(TypeDef::Complex(def)) = self.defs.types.get(&derived).cloned() else {
                continue;
            };
            if def.is_abstract {
                continue;
            }
            let derived_rust = self.struct_ref(&derived, &def)?;
            members.push((derived, derived_rust));
        }
        for (_, member) in &members {
            let variant = ident(member);
            variants.push(quote!(#variant(#variant)));
        }
        let any_ident = ident(&any);
        let (wire, namespace) = (&name.name, &name.namespace);
        let default = members.first().map(|(_, first)| {
            let first = ident(first);
            quote! {
                impl ::core::default::Default for #any_ident {
                    fn default() -> Self {
                        #any_ident::#first(::core::default::Default::default())
                    }
                }
            }
        });
        let doc = format!(
            " A value declared as `{wire}`: the type itself or one of the types extending it \
             (WCF's known types), told apart by `i:type`."
        );
        let key = QName::new(
            name.namespace.clone(),
            format!("{} (known types)", name.name),
        );
        self.order.push(key.clone());
        self.generated.insert(
            key,
            Some(quote! {
                #[doc = #doc]
                #[::indigo::data_contract(name = #wire, namespace = #namespace, known_types)]
                #[derive(Debug, Clone, PartialEq)]
                pub enum #any_ident {
                    #(#variants),*
                }
                #default
            }),
        );
        Ok(any_ident)
    }

    /// Whether `complex` is a collection: one repeated element and nothing else.
    fn collection_shape(&self, complex: &ComplexType) -> Result<Option<Shape>, Error> {
        if complex.base.is_some() || complex.elements.len() != 1 || !complex.elements[0].repeated {
            return Ok(None);
        }
        let item = self.resolve_ref(&complex.elements[0])?;
        let pair = match item.anonymous.as_deref() {
            Some(TypeDef::Complex(pair)) if pair.elements.len() == 2 => Some(pair.clone()),
            _ => None,
        };
        match pair {
            Some(pair) if complex.is_dictionary || item.type_name.is_none() => {
                Ok(Some(Shape::Map {
                    item: item.name.name.clone(),
                    key: Box::new(pair.elements[0].clone()),
                    value: Box::new(pair.elements[1].clone()),
                }))
            }
            _ => Ok(Some(Shape::List(Box::new(item)))),
        }
    }

    fn collection_ref(
        &mut self,
        name: &QName,
        complex: &ComplexType,
        shape: Shape,
    ) -> Result<RustType, Error> {
        match shape {
            Shape::List(item) => {
                let item_ty = self.element_type(&ElementDecl {
                    repeated: false,
                    ..(*item).clone()
                })?;
                let list = quote!(::std::vec::Vec<#item_ty>);
                if name.name == format!("ArrayOf{}", item.name.name) {
                    return Ok(RustType::reference(list));
                }
                let item_name = item.name.name.clone();
                self.collection_contract(name, complex, list, quote!(item_name = #item_name))
            }
            Shape::Map { item, key, value } => {
                let key_ty = self.element_type(&key)?;
                let value_ty = self.element_type(&value)?;
                let map = quote!(::std::collections::BTreeMap<#key_ty, #value_ty>);
                let plain = name.name == format!("ArrayOf{item}")
                    && item.starts_with("KeyValueOf")
                    && key.name.name == "Key"
                    && value.name.name == "Value";
                if plain {
                    return Ok(RustType::reference(map));
                }
                let (key_name, value_name) = (&key.name.name, &value.name.name);
                self.collection_contract(
                    name,
                    complex,
                    map,
                    quote!(item_name = #item, key_name = #key_name, value_name = #value_name),
                )
            }
        }
    }

    fn collection_contract(
        &mut self,
        name: &QName,
        complex: &ComplexType,
        inner: TokenStream,
        keys: TokenStream,
    ) -> Result<RustType, Error> {
        let rust = self.rust_name(name);
        let ident = ident(&rust);
        if !self.generated.contains_key(name) {
            let (wire, namespace) = (&name.name, &name.namespace);
            let doc = doc_attr(Some(complex.documentation.as_deref().unwrap_or(&format!(
                "The collection data contract `{wire}` in `{namespace}`."
            ))));
            self.order.push(name.clone());
            self.generated.insert(
                name.clone(),
                Some(quote! {
                    #doc
                    #[::indigo::data_contract(collection, name = #wire, namespace = #namespace, #keys)]
                    #[derive(Debug, Clone, PartialEq, Default)]
                    pub struct #ident(pub #inner);
                }),
            );
        }
        Ok(RustType::reference(quote!(#ident)))
    }
}

enum Shape {
    List(Box<ElementDecl>),
    Map {
        item: String,
        key: Box<ElementDecl>,
        value: Box<ElementDecl>,
    },
}

/// `#[doc = ...]` for documentation text.
pub(crate) fn doc_attr(text: Option<&str>) -> TokenStream {
    match text {
        Some(text) => {
            let lines = text.lines().map(|line| format!(" {}", line.trim()));
            quote!(#(#[doc = #lines])*)
        }
        None => TokenStream::new(),
    }
}

fn enumeration(name: &QName, rust: &str, simple: &SimpleType) -> TokenStream {
    let mut variant_names = Unique::default();
    let explicit_values = simple
        .enumeration
        .iter()
        .enumerate()
        .any(|(index, (_, value))| value.is_some_and(|v| i64::try_from(index).ok() != Some(v)));
    let variants = simple
        .enumeration
        .iter()
        .enumerate()
        .map(|(index, (wire, value))| {
            let variant_name = variant_names.take(&pascal_case(wire));
            let variant = ident(&variant_name);
            let member = (variant_name != *wire).then(|| quote!(#[enum_member(value = #wire)]));
            let default = (index == 0 && !simple.list).then(|| quote!(#[default]));
            let discriminant = if simple.list || explicit_values {
                let value = value.unwrap_or(i64::try_from(index).unwrap_or(0));
                let value = proc_macro2::Literal::i64_unsuffixed(value);
                Some(quote!(= #value))
            } else {
                None
            };
            quote!(#default #member #variant #discriminant)
        });
    let (wire, namespace) = (&name.name, &name.namespace);
    let ident = ident(rust);
    let doc =
        doc_attr(Some(simple.documentation.as_deref().unwrap_or(&format!(
            "The enumeration `{wire}` in `{namespace}`."
        ))));
    if simple.list {
        quote! {
            #doc
            #[::indigo::data_contract(name = #wire, namespace = #namespace, flags)]
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub enum #ident {
                #(#variants),*
            }
        }
    } else {
        quote! {
            #doc
            #[::indigo::data_contract(name = #wire, namespace = #namespace)]
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
            pub enum #ident {
                #(#variants),*
            }
        }
    }
}

/// XML Schema's and the serialization namespace's types: `Some(Some(type))` for those with a
/// Rust form, `Some(None)` for those without, `None` for any other name.
fn builtin(name: &QName) -> Option<Option<RustType>> {
    let value = |tokens| Some(Some(RustType::value(tokens)));
    let reference = |tokens| Some(Some(RustType::reference(tokens)));
    match (name.namespace.as_str(), name.name.as_str()) {
        (XSD, "string") => reference(quote!(::std::string::String)),
        (XSD, "boolean") => value(quote!(bool)),
        (XSD, "byte") => value(quote!(i8)),
        (XSD, "unsignedByte") => value(quote!(u8)),
        (XSD, "short") => value(quote!(i16)),
        (XSD, "unsignedShort") => value(quote!(u16)),
        (XSD, "int") => value(quote!(i32)),
        (XSD, "unsignedInt") => value(quote!(u32)),
        (XSD, "long") => value(quote!(i64)),
        (XSD, "unsignedLong") => value(quote!(u64)),
        (XSD, "float") => value(quote!(f32)),
        (XSD, "double") => value(quote!(f64)),
        (XSD, "decimal") => value(quote!(::indigo::dotnet::Decimal)),
        (XSD, "dateTime") => value(quote!(::indigo::dotnet::DateTime)),
        (XSD, "duration") | (SERIALIZATION, "duration") => {
            value(quote!(::indigo::dotnet::TimeSpan))
        }
        (XSD, "anyURI") => reference(quote!(::indigo::dotnet::Uri)),
        (XSD, "QName") => reference(quote!(::indigo::dotnet::QualifiedName)),
        (XSD, "base64Binary") => reference(quote!(::std::vec::Vec<u8>)),
        (SERIALIZATION, "char") => value(quote!(char)),
        (SERIALIZATION, "guid") => value(quote!(::indigo::dotnet::Guid)),
        (SYSTEM, "DateTimeOffset") => value(quote!(::indigo::dotnet::DateTimeOffset)),
        (XSD | SERIALIZATION, _) => Some(None),
        _ => None,
    }
}
