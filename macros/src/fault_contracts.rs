//! `#[fault_contracts]`: an enum whose newtype variants are the fault details one operation
//! declares (WCF's `[FaultContract]` more than once). Each variant holds a `#[data_contract]`
//! type. A fault is written as its variant's detail, under the action WCF gives that detail
//! type (`{Op}{Type}Fault`), and read back into the variant whose contract name the detail
//! element carries.
//!
//! The enum serializes as a newtype variant of a marker enum name the serializer knows: it
//! writes the detail as itself and learns the variant's type name for the action.

use crate::naming::one_of;
use crate::parse::Errors;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Fields, Item};

/// The enum name the serializer recognises (`serialization::FAULT_CHOICE`).
const FAULT_CHOICE: &str = "{urn:indigo:fault-choice}";

pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    if !attr.is_empty() {
        errors.spanned(&attr, "#[fault_contracts] takes no keys");
    }
    let item: Item = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let mut out = syn::Error::new_spanned(&item, USAGE).into_compile_error();
            out.extend(item);
            return out;
        }
    };
    let Item::Enum(item) = item else {
        errors.spanned(&item, USAGE);
        let mut out = errors
            .finish()
            .err()
            .map(syn::Error::into_compile_error)
            .unwrap_or_default();
        out.extend(item.into_token_stream());
        return out;
    };
    if !item.generics.params.is_empty() {
        errors.spanned(&item.generics, "a fault contract enum cannot be generic");
    }
    crate::data_contract::refuse_serde_derives(&item.attrs, "#[fault_contracts]", &mut errors);
    let mut variants = Vec::new();
    for variant in &item.variants {
        match &variant.fields {
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                let ty = &fields.unnamed[0].ty;
                let type_name = match ty {
                    syn::Type::Path(path) if path.qself.is_none() => path
                        .path
                        .segments
                        .last()
                        .map(|segment| segment.ident.unraw().to_string()),
                    _ => None,
                };
                match type_name {
                    Some(type_name) => variants.push((&variant.ident, ty, type_name)),
                    None => errors.spanned(
                        ty,
                        "a fault detail must be a named `#[data_contract]` type: WCF names the \
                         fault's action after it",
                    ),
                }
            }
            other => errors.spanned(
                if matches!(other, Fields::Unit) {
                    variant.to_token_stream()
                } else {
                    other.to_token_stream()
                },
                "each variant holds one fault detail, e.g. `OutOfStock(OutOfStock)`",
            ),
        }
    }
    if variants.is_empty() && item.variants.is_empty() {
        errors.spanned(
            &item.ident,
            "a fault contract enum needs at least one variant",
        );
    }
    let mut seen: Vec<&str> = Vec::new();
    for (_, ty, type_name) in &variants {
        if seen.contains(&type_name.as_str()) {
            errors.spanned(
                ty,
                format!(
                    "two variants hold a `{type_name}`: WCF tells faults apart by their detail \
                     type"
                ),
            );
        }
        seen.push(type_name);
    }
    if let Err(error) = errors.finish() {
        let mut out = error.into_compile_error();
        out.extend(item.into_token_stream());
        return out;
    }
    let ident = &item.ident;
    let serialize_arms = variants
        .iter()
        .enumerate()
        .map(|(index, (variant, _, type_name))| {
            let index = index as u32;
            quote! {
                #ident::#variant(__detail) => __serializer.serialize_newtype_variant(
                    #FAULT_CHOICE, #index, #type_name, __detail,
                ),
            }
        });
    let read_arms = variants.iter().map(|(variant, ty, _)| {
        let bound = quote_spanned! {ty.span()=>
            <#ty as ::indigo::DataContract>::NAME
        };
        quote! {
            if __name == #bound {
                return ::indigo::__private::VariantAccess::newtype_variant::<#ty>(__variant)
                    .map(#ident::#variant);
            }
        }
    });
    let expected = one_of(
        &variants
            .iter()
            .map(|(_, _, type_name)| type_name.as_str())
            .collect::<Vec<_>>(),
    );
    let serialize = crate::data_contract::serialize_impl(
        ident,
        quote! {
            match self {
                #(#serialize_arms)*
            }
        },
    );
    let details = variants.iter().map(|(_, ty, type_name)| {
        quote! {
            ::indigo::__private::FaultDetail {
                type_name: #type_name,
                element: (&::indigo::__private::Probe::<#ty>::new()).schema(__schemas).element(),
            }
        }
    });
    quote! {
        #item

        #serialize

        impl ::indigo::__private::SchemaType for #ident {
            /// A choice of details is no type of its own: each detail is described by
            /// `fault_details`.
            fn describe(
                __schemas: &mut ::indigo::__private::SchemaSet,
            ) -> ::indigo::__private::TypeUse {
                __schemas.undescribed(::core::any::type_name::<Self>())
            }

            fn fault_details(
                __schemas: &mut ::indigo::__private::SchemaSet,
                _declared: &'static str,
            ) -> ::indigo::__private::Vec<::indigo::__private::FaultDetail> {
                #[allow(unused_imports)]
                use ::indigo::__private::{Described as _, Undescribed as _};
                ::indigo::__private::vec![#(#details),*]
            }
        }

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
                        __f.write_str(concat!("a fault detail: ", #expected))
                    }
                    fn visit_enum<__A: ::indigo::__private::EnumAccess<'de>>(
                        self,
                        __data: __A,
                    ) -> ::core::result::Result<#ident, __A::Error> {
                        let (__name, __variant): (::std::string::String, _) =
                            ::indigo::__private::EnumAccess::variant(__data)?;
                        #(#read_arms)*
                        ::core::result::Result::Err(
                            <__A::Error as ::indigo::__private::DeError>::custom(
                                ::std::format!("`{}` is not one of this operation's fault details", __name),
                            ),
                        )
                    }
                }
                __deserializer.deserialize_enum(#FAULT_CHOICE, &[], __Visitor)
            }
        }
    }
}

const USAGE: &str = "#[fault_contracts] goes on an enum whose variants each hold one \
                     `#[data_contract]` fault detail, e.g. `enum ReserveFault { \
                     OutOfStock(OutOfStock), Closed(StoreClosed) }`";
