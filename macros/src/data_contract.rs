//! `#[data_contract]`: a struct or a unit enum as a WCF data contract. It reads the type's keys
//! and its members' `#[data_member]` / `#[enum_member]` attributes, checks them (names that
//! are XML names, no duplicates, nothing WCF cannot express), and emits the type with serde's
//! `Deserialize` derived (member names as renames) and a `Serialize` written here, since only
//! this macro knows the wire order (`order` keys) and the type's namespace.
//!
//! The namespace travels to the serializer inside the serde type name, `{namespace}Name` (`{}`
//! for the contract's data namespace): serde gives a serializer nothing else about the type.

use crate::naming::{did_you_mean, ncname_error, one_of, pascal_case};
use crate::parse::Errors;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Attribute, Fields, Item, LitInt, LitStr};

/// The field name under which a base type's members travel; the runtime's
/// `serialization::BASE_MEMBERS`, which its tests pin to this one.
const BASE_MEMBERS: &str = "{urn:indigo:base}";

/// The serialization namespace: WCF reserves it for its own types.
const SERIALIZATION_NS: &str = "http://schemas.microsoft.com/2003/10/Serialization/";

pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let item: Item = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let mut out = syn::Error::new_spanned(
                &item,
                "#[data_contract] goes on a struct with named fields or an enum of unit variants",
            )
            .into_compile_error();
            out.extend(item);
            return out;
        }
    };
    let keys = type_keys(attr, &mut errors);
    let Expansion { clean, full } = match item {
        Item::Struct(item) => data_struct(item, keys, &mut errors),
        Item::Enum(item) => data_enum(item, keys, &mut errors),
        other => {
            errors.spanned(
                &other,
                "#[data_contract] goes on a struct with named fields or an enum of unit variants",
            );
            let clean = other.into_token_stream();
            Expansion {
                full: clean.clone(),
                clean,
            }
        }
    };
    match errors.finish() {
        Ok(()) => full,
        // Only the type itself, as written less the member attributes: the user sees the
        // real errors, not a cascade from impls of a type that is not what it should be.
        Err(error) => {
            let mut with_errors = error.into_compile_error();
            with_errors.extend(clean);
            with_errors
        }
    }
}

/// The type without the member attributes, and everything generated for it.
struct Expansion {
    clean: TokenStream,
    full: TokenStream,
}

/// The type's keys: `name` and `namespace`; `flags` and `known_types` for enums; `collection`
/// with `item_name`, `key_name` and `value_name` for a newtype over a list or a map.
#[derive(Default)]
struct TypeKeys {
    name: Option<LitStr>,
    namespace: Option<LitStr>,
    /// `flags` (a C# `[Flags]` enum), with its span.
    flags: Option<Span>,
    /// `known_types`: an enum of data contracts, told apart by `i:type`.
    known_types: Option<Span>,
    /// `collection` (`[CollectionDataContract]`).
    collection: Option<Span>,
    item_name: Option<LitStr>,
    key_name: Option<LitStr>,
    value_name: Option<LitStr>,
}

const TYPE_KEYS: [&str; 8] = [
    "name",
    "namespace",
    "flags",
    "known_types",
    "collection",
    "item_name",
    "key_name",
    "value_name",
];

fn type_keys(attr: TokenStream, errors: &mut Errors) -> TypeKeys {
    let mut keys = TypeKeys::default();
    let parser = syn::meta::parser(|meta| {
        let key = meta.path.get_ident().map(|i| i.unraw().to_string());
        let span = meta.path.span();
        match key.as_deref() {
            Some("name") => keys.name = Some(meta.value()?.parse()?),
            Some("namespace") => keys.namespace = Some(meta.value()?.parse()?),
            Some("flags") => keys.flags = Some(span),
            Some("known_types") => keys.known_types = Some(span),
            Some("collection") => keys.collection = Some(span),
            Some("item_name") => keys.item_name = Some(meta.value()?.parse()?),
            Some("key_name") => keys.key_name = Some(meta.value()?.parse()?),
            Some("value_name") => keys.value_name = Some(meta.value()?.parse()?),
            _ => {
                let written = meta.path.to_token_stream().to_string();
                let hint = did_you_mean(&written, &TYPE_KEYS)
                    .map(|k| format!(" (did you mean `{k}`?)"))
                    .unwrap_or_default();
                return Err(meta.error(format!(
                    "unknown data contract key `{written}`{hint}; the keys are {}",
                    one_of(&TYPE_KEYS)
                )));
            }
        }
        Ok(())
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, attr) {
        errors.push(error);
    }
    for name in [
        &keys.name,
        &keys.item_name,
        &keys.key_name,
        &keys.value_name,
    ]
    .into_iter()
    .flatten()
    {
        if let Some(why) = ncname_error(&name.value()) {
            errors.spanned(
                name,
                format!("`{}` is not an XML name: {why}", name.value()),
            );
        }
    }
    if keys.collection.is_none() {
        for key in [&keys.item_name, &keys.key_name, &keys.value_name]
            .into_iter()
            .flatten()
        {
            errors.spanned(
                key,
                "item, key and value names belong to a collection data contract: add \
                 `collection`",
            );
        }
    }
    if let (Some(_), Some(known)) = (keys.flags, keys.known_types) {
        errors.at(
            known,
            "an enum is either `flags` or `known_types`, not both",
        );
    }
    if let Some(namespace) = &keys.namespace {
        match namespace.value().as_str() {
            "" => errors.spanned(
                namespace,
                "an empty data contract namespace is not supported; leave `namespace` out for \
                 the service contract's data namespace",
            ),
            SERIALIZATION_NS => errors.spanned(
                namespace,
                "WCF reserves the serialization namespace for its own types",
            ),
            uri if uri.contains(['{', '}']) => errors.spanned(
                namespace,
                "a data contract namespace cannot contain `{` or `}`",
            ),
            _ => {}
        }
    }
    keys
}

/// The serde type name that carries the contract's name and namespace to the serializer.
fn serde_name(keys: &TypeKeys, ident: &syn::Ident) -> (String, String) {
    let name = keys
        .name
        .as_ref()
        .map_or_else(|| ident.unraw().to_string(), LitStr::value);
    let namespace = keys
        .namespace
        .as_ref()
        .map(LitStr::value)
        .unwrap_or_default();
    (format!("{{{namespace}}}{name}"), name)
}

/// A collection data contract's serde name: `{namespace}Name Item Key Value`, where `-` is a
/// name left to its default (the serializer splits at the spaces; no XML name has one).
fn collection_serde_name(keys: &TypeKeys, serde_name: &str) -> String {
    let part = |name: &Option<LitStr>| name.as_ref().map_or_else(|| "-".to_owned(), LitStr::value);
    format!(
        "{serde_name} {} {} {}",
        part(&keys.item_name),
        part(&keys.key_name),
        part(&keys.value_name)
    )
}

/// Refuses what this macro provides itself, and generics (WCF's generic contract names need a
/// namespace hash: not supported yet).
fn check_item(attrs: &[Attribute], generics: &syn::Generics, errors: &mut Errors) {
    refuse_serde_derives(attrs, "#[data_contract]", errors);
    if !generics.params.is_empty() {
        errors.spanned(
            generics,
            "generic data contracts are not supported yet (WCF names them with a hash of their \
             arguments' namespaces)",
        );
    }
}

/// `#[derive(Serialize)]` or `Deserialize` beside `macro_name`, which implements them itself.
pub(crate) fn refuse_serde_derives(attrs: &[Attribute], macro_name: &str, errors: &mut Errors) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("derive")) {
        let _ = attr.parse_nested_meta(|meta| {
            let last = meta.path.segments.last().map(|s| s.ident.to_string());
            if matches!(last.as_deref(), Some("Serialize" | "Deserialize")) {
                errors.spanned(
                    &meta.path,
                    format!(
                        "{macro_name} implements serde's traits itself (it knows the wire \
                         names); remove `Serialize` and `Deserialize` from the derive"
                    ),
                );
            }
            Ok(())
        });
    }
}

/// The item with serde's `Deserialize` derived, the `Serialize` whose body is `serialize`,
/// and `DataContract`.
fn generated(
    item: TokenStream,
    ident: &syn::Ident,
    serialize: TokenStream,
    contract_name: &str,
    keys: &TypeKeys,
) -> TokenStream {
    let namespace = namespace_tokens(keys);
    let serialize = serialize_impl(ident, serialize);
    quote! {
        #[derive(::indigo::__private::Deserialize)]
        #[serde(crate = "::indigo::__private::serde")]
        #item

        #serialize

        impl ::indigo::DataContract for #ident {
            const NAME: &'static str = #contract_name;
            const NAMESPACE: ::core::option::Option<&'static str> = #namespace;
        }
    }
}

/// `impl Serialize for #ident` whose body is `body`, with the serializer as `__serializer`.
pub(crate) fn serialize_impl(ident: &syn::Ident, body: TokenStream) -> TokenStream {
    quote! {
        impl ::indigo::__private::Serialize for #ident {
            fn serialize<__S: ::indigo::__private::Serializer>(
                &self,
                __serializer: __S,
            ) -> ::core::result::Result<__S::Ok, __S::Error> {
                #body
            }
        }
    }
}

/// One member of a struct, as written on the wire.
struct Member {
    ident: syn::Ident,
    ty: syn::Type,
    name: String,
    name_span: Span,
    order: Option<i64>,
    required: bool,
    emit_default: bool,
    bytes: Bytes,
    /// `base`: the field is the base type (`class Derived : Base`), whose members come first.
    base: bool,
    base_span: Span,
}

/// Whether a member is `byte[]` to WCF: base64 text, not a list of `unsignedByte`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bytes {
    No,
    /// `Vec<u8>`.
    Vec,
    /// `Option<Vec<u8>>`.
    OptionVec,
}

/// Whether `ty` is written `Vec<u8>`: WCF's `byte[]`, base64 on the wire.
pub(crate) fn is_byte_vec(ty: &syn::Type) -> bool {
    bytes_of(ty) == Bytes::Vec
}

/// How `ty` maps to WCF's `byte[]`, read from the written type (`Vec<u8>`, `Option<Vec<u8>>`).
fn bytes_of(ty: &syn::Type) -> Bytes {
    fn single_arg<'a>(ty: &'a syn::Type, name: &str) -> Option<&'a syn::Type> {
        let syn::Type::Path(path) = ty else {
            return None;
        };
        let last = path.path.segments.last()?;
        if last.ident != name {
            return None;
        }
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        match args.args.first()? {
            syn::GenericArgument::Type(inner) if args.args.len() == 1 => Some(inner),
            _ => None,
        }
    }
    let is_vec_u8 = |ty: &syn::Type| {
        single_arg(ty, "Vec")
            .is_some_and(|item| matches!(item, syn::Type::Path(p) if p.path.is_ident("u8")))
    };
    if is_vec_u8(ty) {
        Bytes::Vec
    } else if single_arg(ty, "Option").is_some_and(is_vec_u8) {
        Bytes::OptionVec
    } else {
        Bytes::No
    }
}

fn data_struct(mut item: syn::ItemStruct, keys: TypeKeys, errors: &mut Errors) -> Expansion {
    check_item(&item.attrs, &item.generics, errors);
    for (key, name) in [(keys.flags, "flags"), (keys.known_types, "known_types")] {
        if let Some(span) = key {
            errors.at(span, format!("`{name}` goes on an enum"));
        }
    }
    if keys.collection.is_some() {
        return collection_struct(item, keys, errors);
    }
    let Fields::Named(fields) = &mut item.fields else {
        errors.spanned(
            &item.fields,
            "a data contract struct has named fields (each is a data member); a newtype over \
             a list or a map is a `collection` data contract",
        );
        let clean = item.into_token_stream();
        return Expansion {
            full: clean.clone(),
            clean,
        };
    };
    let mut members = Vec::new();
    for field in fields.named.iter_mut() {
        if let Some(ident) = field.ident.clone() {
            members.push(member(&ident, &field.ty, &mut field.attrs, errors));
        }
    }
    let clean = item.to_token_stream();
    if let Fields::Named(fields) = &mut item.fields {
        for (field, member) in fields.named.iter_mut().zip(&members) {
            if member.base {
                field
                    .attrs
                    .push(syn::parse_quote!(#[serde(rename = #BASE_MEMBERS)]));
                continue;
            }
            let wire = &member.name;
            field
                .attrs
                .push(syn::parse_quote!(#[serde(rename = #wire)]));
            if !member.required {
                // WCF leaves a missing optional member at its default.
                field.attrs.push(syn::parse_quote!(#[serde(default)]));
            }
            match member.bytes {
                Bytes::No => {}
                Bytes::Vec => field.attrs.push(syn::parse_quote!(
                    #[serde(deserialize_with = "::indigo::__private::base64_member::vec")]
                )),
                Bytes::OptionVec => field.attrs.push(syn::parse_quote!(
                    #[serde(deserialize_with = "::indigo::__private::base64_member::option_vec")]
                )),
            }
        }
    }
    check_duplicates(
        members
            .iter()
            .filter(|m| !m.base)
            .map(|m| (m.name.as_str(), m.name_span)),
        "data member",
        errors,
    );
    for (index, member) in members.iter().enumerate().filter(|(_, m)| m.base) {
        if index != 0 {
            errors.at(
                member.base_span,
                "the base type is the first field: WCF writes a base class's members before \
                 the derived class's",
            );
        }
    }
    // DataContractSerializer's order: the base type's members, then members without `order`
    // by ordinal name, then those with one by order and then name.
    let base = members.iter().find(|m| m.base).map(|m| {
        let ident = &m.ident;
        quote!(__state.serialize_field(::indigo::__private::BASE_MEMBERS, &self.#ident)?;)
    });
    let mut ordered: Vec<&Member> = members.iter().filter(|m| !m.base).collect();
    ordered.sort_by(|a, b| {
        (a.order.is_some(), a.order, a.name.as_bytes()).cmp(&(
            b.order.is_some(),
            b.order,
            b.name.as_bytes(),
        ))
    });
    let ident = &item.ident;
    let (serde_name, contract_name) = serde_name(&keys, ident);
    let count = members.len();
    let writes = ordered.iter().map(|m| write_member(m));
    let serialize = quote! {
        use ::indigo::__private::SerializeStruct as _;
        let mut __state = __serializer.serialize_struct(#serde_name, #count)?;
        #base
        #(#writes)*
        __state.end()
    };
    let mut full = generated(
        item.to_token_stream(),
        ident,
        serialize,
        &contract_name,
        &keys,
    );
    let base_type = members.iter().find(|m| m.base).map(|m| {
        let ty = &m.ty;
        quote!(::core::option::Option::Some(
            (&::indigo::__private::Probe::<#ty>::new()).schema(__schemas).type_name
        ))
    });
    let base_type = base_type.unwrap_or_else(|| quote!(::core::option::Option::None));
    let schema_members = ordered.iter().map(|m| {
        let (wire, ty, required) = (&m.name, &m.ty, m.required);
        let type_use = match m.bytes {
            Bytes::No => quote!((&::indigo::__private::Probe::<#ty>::new()).schema(__schemas)),
            // `byte[]`: base64 text.
            Bytes::Vec | Bytes::OptionVec => quote!(::indigo::__private::TypeUse::reference(
                ::indigo::__private::XmlName::new(
                    "http://www.w3.org/2001/XMLSchema",
                    "base64Binary"
                )
            )),
        };
        quote!(::indigo::__private::member(#wire, #type_use, #required))
    });
    let named = schema_name();
    full.extend(schema_impl(
        ident,
        quote! {
            #named
            if __schemas.reserve(&__name, true) {
                let __base = #base_type;
                let __members = ::indigo::__private::vec![#(#schema_members),*];
                __schemas.complete(&__name, __base, __members);
            }
            ::indigo::__private::TypeUse::reference(__name)
        },
    ));
    Expansion { clean, full }
}

/// `let __name`: the type's contract name in the set (its namespace, or the data namespace).
fn schema_name() -> TokenStream {
    quote! {
        let __name = __schemas.contract_name(
            <Self as ::indigo::DataContract>::NAMESPACE,
            <Self as ::indigo::DataContract>::NAME,
        );
    }
}

/// `impl SchemaType for #ident` whose `describe` is `body`, with the set as `__schemas`.
fn schema_impl(ident: &syn::Ident, body: TokenStream) -> TokenStream {
    quote! {
        impl ::indigo::__private::SchemaType for #ident {
            fn describe(
                __schemas: &mut ::indigo::__private::SchemaSet,
            ) -> ::indigo::__private::TypeUse {
                #[allow(unused_imports)]
                use ::indigo::__private::{Described as _, Undescribed as _};
                #body
            }
        }
    }
}

/// `#[data_contract(collection)] struct Lines(Vec<Line>);`: WCF's `[CollectionDataContract]`.
/// Its items (and a map's keys and values) are named by the keys and live in the
/// collection's namespace.
fn collection_struct(item: syn::ItemStruct, keys: TypeKeys, errors: &mut Errors) -> Expansion {
    let clean = item.to_token_stream();
    let newtype = matches!(&item.fields, Fields::Unnamed(fields) if fields.unnamed.len() == 1);
    if !newtype {
        errors.spanned(
            &item,
            "a collection data contract is a newtype over a list or a map, e.g. \
             `struct Lines(Vec<Line>);`",
        );
        return Expansion {
            full: clean.clone(),
            clean,
        };
    }
    let ident = &item.ident;
    let (serde_name, contract_name) = serde_name(&keys, ident);
    let wire = collection_serde_name(&keys, &serde_name);
    let serialize = quote!(__serializer.serialize_newtype_struct(#wire, &self.0));
    let mut full = generated(clean.clone(), ident, serialize, &contract_name, &keys);
    let inner = match &item.fields {
        Fields::Unnamed(fields) => fields.unnamed[0].ty.clone(),
        _ => unreachable!("checked above: a newtype"),
    };
    let name_of = |name: &Option<LitStr>| match name {
        Some(name) => {
            let name = name.value();
            quote!(::core::option::Option::Some(#name))
        }
        None => quote!(::core::option::Option::None),
    };
    let item_name = name_of(&keys.item_name);
    let key_name = keys
        .key_name
        .as_ref()
        .map_or_else(|| "Key".to_owned(), LitStr::value);
    let value_name = keys
        .value_name
        .as_ref()
        .map_or_else(|| "Value".to_owned(), LitStr::value);
    let named = schema_name();
    full.extend(schema_impl(
        ident,
        quote! {
            #named
            if !__schemas.is_defined(&__name) {
                match (&::indigo::__private::Probe::<#inner>::new()).shape(__schemas) {
                    ::core::option::Option::Some(::indigo::__private::CollectionShape::Map(__key, __value)) => {
                        __schemas.dictionary_collection(&__name, #item_name, (#key_name, __key), (#value_name, __value));
                    }
                    ::core::option::Option::Some(::indigo::__private::CollectionShape::List(__item)) => {
                        __schemas.collection(&__name, #item_name, __item);
                    }
                    ::core::option::Option::None => {
                        let __item = __schemas.undescribed(::core::any::type_name::<#inner>());
                        __schemas.collection(&__name, #item_name, __item);
                    }
                }
            }
            ::indigo::__private::TypeUse::reference(__name)
        },
    ));
    Expansion { clean, full }
}

fn namespace_tokens(keys: &TypeKeys) -> TokenStream {
    match &keys.namespace {
        Some(namespace) => quote!(::core::option::Option::Some(#namespace)),
        None => quote!(::core::option::Option::None),
    }
}

fn write_member(member: &Member) -> TokenStream {
    let Member {
        ident,
        ty,
        name,
        name_span,
        required,
        emit_default,
        bytes,
        ..
    } = member;
    let value = match bytes {
        Bytes::No => quote!(&self.#ident),
        Bytes::Vec => quote!(&::indigo::__private::base64_member::Base64(&self.#ident)),
        Bytes::OptionVec => quote!(
            &self.#ident.as_deref().map(::indigo::__private::base64_member::Base64)
        ),
    };
    let write = quote_spanned!(*name_span=> __state.serialize_field(#name, #value)?;);
    if *emit_default {
        return write;
    }
    let is_default =
        quote_spanned!(ty.span()=> self.#ident == <#ty as ::core::default::Default>::default());
    if *required {
        let message = format!(
            "data member `{name}` is required and has emit_default = false, but its value is \
             the default: WCF refuses to write it"
        );
        quote! {
            if #is_default {
                return ::core::result::Result::Err(
                    <__S::Error as ::indigo::__private::SerError>::custom(#message),
                );
            }
            #write
        }
    } else {
        quote! {
            if #is_default {
                __state.skip_field(#name)?;
            } else {
                #write
            }
        }
    }
}

/// Reads and removes a field's `#[data_member(...)]`.
fn member(
    ident: &syn::Ident,
    ty: &syn::Type,
    attrs: &mut Vec<Attribute>,
    errors: &mut Errors,
) -> Member {
    let mut member = Member {
        ident: ident.clone(),
        ty: ty.clone(),
        name: pascal_case(&ident.unraw().to_string()),
        name_span: ident.span(),
        order: None,
        required: false,
        emit_default: true,
        bytes: bytes_of(ty),
        base: false,
        base_span: ident.span(),
    };
    const KEYS: [&str; 5] = ["name", "order", "required", "emit_default", "base"];
    let mut other_keys = Vec::new();
    attrs.retain(|attr| {
        if !attr.path().is_ident("data_member") {
            return true;
        }
        let parsed = attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(|i| i.unraw().to_string());
            match key.as_deref() {
                Some("name") => {
                    let name: LitStr = meta.value()?.parse()?;
                    if let Some(why) = ncname_error(&name.value()) {
                        errors.spanned(
                            &name,
                            format!("`{}` is not an XML name: {why}", name.value()),
                        );
                    }
                    member.name = name.value();
                    member.name_span = name.span();
                }
                Some("order") => {
                    let order: LitInt = meta.value()?.parse()?;
                    member.order = Some(order.base10_parse()?);
                }
                Some("required") => member.required = flag(&meta)?,
                Some("emit_default") => member.emit_default = flag(&meta)?,
                Some("base") => {
                    member.base = flag(&meta)?;
                    member.base_span = meta.path.span();
                    return Ok(());
                }
                _ => {
                    let written = meta.path.to_token_stream().to_string();
                    let hint = did_you_mean(&written, &KEYS)
                        .map(|k| format!(" (did you mean `{k}`?)"))
                        .unwrap_or_default();
                    return Err(meta.error(format!(
                        "unknown data member key `{written}`{hint}; the keys are {}",
                        one_of(&KEYS)
                    )));
                }
            }
            other_keys.push(meta.path.span());
            Ok(())
        });
        if let Err(error) = parsed {
            errors.push(error);
        }
        false
    });
    if member.base {
        for span in other_keys {
            errors.at(
                span,
                "a base type has no member keys of its own: its members keep theirs",
            );
        }
    }
    member
}

/// `flag`, `flag = true` or `flag = false`.
fn flag(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<bool> {
    if meta.input.peek(syn::Token![=]) {
        let value: syn::LitBool = meta.value()?.parse()?;
        Ok(value.value)
    } else {
        Ok(true)
    }
}

fn check_duplicates<'a>(
    names: impl Iterator<Item = (&'a str, Span)>,
    what: &str,
    errors: &mut Errors,
) {
    let mut seen: Vec<&str> = Vec::new();
    for (name, span) in names {
        if seen.contains(&name) {
            errors.at(span, format!("two {what}s are named `{name}` on the wire"));
        }
        seen.push(name);
    }
}

fn data_enum(mut item: syn::ItemEnum, keys: TypeKeys, errors: &mut Errors) -> Expansion {
    check_item(&item.attrs, &item.generics, errors);
    if let Some(span) = keys.collection {
        errors.at(
            span,
            "`collection` goes on a newtype struct over a list or a map",
        );
    }
    if keys.known_types.is_some() {
        return known_types_enum(item, keys, errors);
    }
    let mut values = Vec::new();
    for variant in item.variants.iter_mut() {
        if !matches!(variant.fields, Fields::Unit) {
            errors.spanned(
                &variant.fields,
                "a data contract enum has unit variants only: WCF enums are named values, and \
                 variants with data have no DataContract form (an enum of data contracts told \
                 apart by `i:type` is `#[data_contract(known_types)]`, with one contract per \
                 variant)",
            );
        }
        let mut value = (variant.ident.unraw().to_string(), variant.ident.span());
        variant.attrs.retain(|attr| {
            if !attr.path().is_ident("enum_member") {
                return true;
            }
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("value") {
                    let written: LitStr = meta.value()?.parse()?;
                    value = (written.value(), written.span());
                    Ok(())
                } else {
                    Err(meta.error(
                        "the enum member key is `value`, e.g. #[enum_member(value = \"RED\")]",
                    ))
                }
            });
            if let Err(error) = parsed {
                errors.push(error);
            }
            false
        });
        values.push((variant.ident.clone(), value));
    }
    let clean = item.to_token_stream();
    for (variant, (_, (wire, _))) in item.variants.iter_mut().zip(&values) {
        variant
            .attrs
            .push(syn::parse_quote!(#[serde(rename = #wire)]));
    }
    check_duplicates(
        values
            .iter()
            .map(|(_, (name, span))| (name.as_str(), *span)),
        "enum member",
        errors,
    );
    let ident = &item.ident;
    let (serde_name, contract_name) = serde_name(&keys, ident);
    let arms = values.iter().enumerate().map(|(index, (variant, (wire, _)))| {
        let index = index as u32;
        quote!(#ident::#variant => __serializer.serialize_unit_variant(#serde_name, #index, #wire),)
    });
    let body = if values.is_empty() {
        quote!(match *self {})
    } else {
        quote!(match self { #(#arms)* })
    };
    let mut full = generated(item.to_token_stream(), ident, body, &contract_name, &keys);
    let schema_members = values
        .iter()
        .map(|(variant, (wire, _))| quote!((#wire, #ident::#variant as i64)));
    let flags = keys.flags.is_some();
    let named = schema_name();
    full.extend(schema_impl(
        ident,
        quote! {
            #named
            __schemas.enumeration(&__name, &[#(#schema_members),*], #flags);
            ::indigo::__private::TypeUse::value(__name)
        },
    ));
    if keys.flags.is_some() {
        let members = values
            .iter()
            .map(|(variant, (wire, _))| quote!((#wire, #ident::#variant as u64)));
        let bits = values
            .iter()
            .map(|(variant, _)| quote!(#ident::#variant => #ident::#variant as u64,));
        let bits = if values.is_empty() {
            quote!(match *self {})
        } else {
            quote!(match self { #(#bits)* })
        };
        full.extend(quote! {
            impl ::indigo::FlagsContract for #ident {
                const MEMBERS: &'static [(&'static str, u64)] = &[#(#members),*];
                const SERDE_NAME: &'static str = #serde_name;
                fn bits(&self) -> u64 {
                    #bits
                }
            }
        });
    }
    Expansion { clean, full }
}

/// `#[data_contract(known_types)]`: an enum of data contracts, the declared type and its
/// known types (WCF's `[KnownType]`). The variant whose contract is the enum's own is written
/// plainly; any other with `i:type` naming its contract. Reading picks the variant by `i:type`.
fn known_types_enum(item: syn::ItemEnum, keys: TypeKeys, errors: &mut Errors) -> Expansion {
    let clean = item.to_token_stream();
    let mut variants = Vec::new();
    for variant in &item.variants {
        match &variant.fields {
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                variants.push((variant.ident.clone(), fields.unnamed[0].ty.clone()));
            }
            other => errors.spanned(
                if matches!(other, Fields::Unit) {
                    variant.to_token_stream()
                } else {
                    other.to_token_stream()
                },
                "a `known_types` variant holds one data contract, e.g. `Circle(Circle)`",
            ),
        }
    }
    if item.variants.is_empty() {
        errors.spanned(
            &item.ident,
            "a `known_types` enum needs at least one variant",
        );
    }
    let ident = &item.ident;
    let (serde_name, contract_name) = serde_name(&keys, ident);
    let arms = variants.iter().enumerate().map(|(index, (variant, _))| {
        let index = index as u32;
        quote! {
            #ident::#variant(__value) => __serializer.serialize_newtype_variant(
                #serde_name,
                #index,
                ::indigo::__private::KNOWN_TYPES,
                __value,
            ),
        }
    });
    let serialize = serialize_impl(ident, quote!(match self { #(#arms)* }));
    let picks = variants.iter().enumerate().map(|(index, (variant, ty))| {
        let index = index as u32;
        quote! {
            #index => ::indigo::__private::VariantAccess::newtype_variant::<#ty>(__variant)
                .map(#ident::#variant),
        }
    });
    let types = variants.iter().map(|(_, ty)| ty);
    let expecting = format!("{contract_name} or one of its known types");
    let namespace = namespace_tokens(&keys);
    let full = quote! {
        #clean

        #serialize

        impl<'de> ::indigo::__private::Deserialize<'de> for #ident {
            fn deserialize<__D: ::indigo::__private::Deserializer<'de>>(
                __deserializer: __D,
            ) -> ::core::result::Result<Self, __D::Error> {
                struct __Visitor;
                impl<'de> ::indigo::__private::Visitor<'de> for __Visitor {
                    type Value = #ident;
                    fn expecting(
                        &self,
                        __f: &mut ::core::fmt::Formatter<'_>,
                    ) -> ::core::fmt::Result {
                        __f.write_str(#expecting)
                    }
                    fn visit_enum<__A: ::indigo::__private::EnumAccess<'de>>(
                        self,
                        __data: __A,
                    ) -> ::core::result::Result<#ident, __A::Error> {
                        let (__index, __variant): (u32, _) =
                            ::indigo::__private::EnumAccess::variant(__data)?;
                        match __index {
                            #(#picks)*
                            _ => ::core::result::Result::Err(
                                <__A::Error as ::indigo::__private::DeError>::custom(#expecting),
                            ),
                        }
                    }
                }
                const __NAMES: &[&str] = &[
                    #contract_name,
                    #(<#types as ::indigo::DataContract>::NAME),*
                ];
                ::indigo::__private::Deserializer::deserialize_enum(
                    __deserializer,
                    ::indigo::__private::KNOWN_TYPES,
                    __NAMES,
                    __Visitor,
                )
            }
        }

        impl ::indigo::DataContract for #ident {
            const NAME: &'static str = #contract_name;
            const NAMESPACE: ::core::option::Option<&'static str> = #namespace;
        }
    };
    let described = variants.iter().map(
        |(_, ty)| quote!(let _ = (&::indigo::__private::Probe::<#ty>::new()).schema(__schemas);),
    );
    let mut full = full;
    let named = schema_name();
    full.extend(schema_impl(
        ident,
        quote! {
            // The declared type and every known type, each its own complex type; a declared
            // type that is no variant's (an abstract base) is an empty one.
            #(#described)*
            #named
            if __schemas.reserve(&__name, true) {
                __schemas.complete(&__name, ::core::option::Option::None, ::indigo::__private::vec![]);
            }
            ::indigo::__private::TypeUse::reference(__name)
        },
    ));
    Expansion { clean, full }
}
