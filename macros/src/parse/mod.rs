//! syn -> model.
//!
//! Everything the user wrote is read here: the `#[service_contract(...)]` keys, each method's
//! `#[operation(...)]` keys and each parameter's `#[param(...)]` keys, plus the shape of the
//! trait and of each signature. Errors are collected (see [`Errors`]) so that one compilation
//! shows every mistake at once; the contract-wide rules live in `check`.
//!
//! * [`errors`]: collecting errors;
//! * [`attrs`]: the attributes' keys and values;
//! * [`signature`]: each method's receiver, parameters and output;
//! * [`types`]: what is inside a type.

mod attrs;
mod errors;
mod signature;
mod types;

use attrs::*;
pub(crate) use errors::Errors;
use signature::*;
use types::*;

use crate::model::{Contract, Operation, Output, Param, Receiver, SessionMode, Spanned};
use crate::naming;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use std::collections::HashSet;
use std::fmt::Display;
use syn::ext::IdentExt;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{
    Attribute, Expr, ExprLit, FnArg, GenericArgument, ItemTrait, Lit, Meta, Pat, PathArguments,
    ReturnType, Signature, Token, TraitItem, TraitItemFn, Type,
};

/// The keys of `#[service_contract(...)]`.
const CONTRACT_KEYS: &[&str] = &["name", "namespace", "data_namespace", "session", "callback"];
/// The keys of `#[operation(...)]`.
const OPERATION_KEYS: &[&str] = &[
    "name",
    "action",
    "reply_action",
    "one_way",
    "initiating",
    "terminating",
];
/// The keys of `#[param(...)]`.
const PARAM_KEYS: &[&str] = &["name"];
/// The values of `session = ...`, in WCF's order.
const SESSION_MODES: &[&str] = &["Required", "Allowed", "NotAllowed"];

const DEFAULT_NAMESPACE: &str = "http://tempuri.org/";
const DEFAULT_DATA_NAMESPACE: &str = "http://schemas.datacontract.org/2004/07/";

/// Reads a `#[service_contract]` trait into the model. Errors are collected; on any error no
/// model is returned (the contract-wide rules in `check` then do not run).
pub fn contract(attr: TokenStream, item: &ItemTrait) -> syn::Result<Contract> {
    let mut errors = Errors::new();
    let trait_name = item.ident.unraw().to_string();
    let args = contract_args(attr, &trait_name, &mut errors);
    trait_shape(item, &mut errors);

    let name = args
        .name
        .unwrap_or_else(|| Spanned::default_at(trait_name, item.ident.span()));
    let namespace = args
        .namespace
        .unwrap_or_else(|| Spanned::default_at(DEFAULT_NAMESPACE.to_owned(), item.ident.span()));
    let data_namespace = args.data_namespace.unwrap_or_else(|| {
        Spanned::default_at(DEFAULT_DATA_NAMESPACE.to_owned(), item.ident.span())
    });
    let session = args
        .session
        .unwrap_or_else(|| Spanned::default_at(SessionMode::Allowed, item.ident.span()));

    let mut operations = Vec::new();
    for trait_item in &item.items {
        match trait_item {
            TraitItem::Fn(method) => {
                operations.push(operation(
                    method,
                    &name.value,
                    &namespace.value,
                    &mut errors,
                ));
            }
            TraitItem::Const(item) => errors.spanned(
                pair(&item.const_token, &item.ident),
                not_an_operation("an associated const"),
            ),
            TraitItem::Type(item) => errors.spanned(
                pair(&item.type_token, &item.ident),
                not_an_operation("an associated type"),
            ),
            TraitItem::Macro(item) => {
                errors.spanned(&item.mac.path, not_an_operation("a macro invocation"))
            }
            other => errors.spanned(other, not_an_operation("this item")),
        }
    }

    errors.finish()?;
    Ok(Contract {
        attrs: item.attrs.clone(),
        vis: item.vis.clone(),
        ident: item.ident.clone(),
        name,
        namespace,
        data_namespace,
        session,
        callback: args.callback,
        operations,
    })
}

/// Two token groups as one, for an error that spans from the first to the second.
fn pair(first: &impl ToTokens, second: &impl ToTokens) -> TokenStream {
    let mut tokens = first.to_token_stream();
    second.to_tokens(&mut tokens);
    tokens
}

fn not_an_operation(what: &str) -> String {
    format!(
        "a service contract can only contain #[operation] methods; move {what} out of the trait"
    )
}

/// Rejects trait features a contract cannot express on the wire.
fn trait_shape(item: &ItemTrait, errors: &mut Errors) {
    if let Some(token) = &item.unsafety {
        errors.spanned(
            token,
            "a service contract trait cannot be `unsafe`; remove `unsafe`",
        );
    }
    if let Some(token) = &item.auto_token {
        errors.spanned(
            token,
            "a service contract trait cannot be an `auto trait`; remove `auto`",
        );
    }
    if !item.generics.params.is_empty() {
        errors.spanned(
            &item.generics,
            "a service contract trait cannot have generic parameters: every message needs a \
             concrete type; remove the `<...>` and use concrete types in the operations",
        );
    }
    if let Some(where_clause) = &item.generics.where_clause {
        errors.spanned(
            where_clause,
            "a service contract trait cannot have a `where` clause; remove it",
        );
    }
    if item.colon_token.is_some() || !item.supertraits.is_empty() {
        let tokens = match &item.colon_token {
            Some(colon) => {
                let supertraits = &item.supertraits;
                quote!(#colon #supertraits)
            }
            None => item.supertraits.to_token_stream(),
        };
        errors.spanned(
            tokens,
            "a service contract trait cannot have supertraits; remove the `: ...` bounds \
             (Indigo adds the bounds the generated code needs)",
        );
    }
}

/// Attributes rustc itself accepts on a parameter; `contract` rejects them, but the fallback
/// keeps them so that the trait keeps its shape (a `#[cfg]` may remove a parameter).
fn is_builtin_param_attr(attr: &Attribute) -> bool {
    [
        "cfg", "cfg_attr", "allow", "warn", "deny", "forbid", "expect",
    ]
    .iter()
    .any(|name| attr.path().is_ident(name))
}

/// Removes `#[operation]` from methods and `#[param]` from parameters, so that the trait can be
/// emitted as plain Rust when the contract has errors.
///
/// It also removes what `contract` reported and rustc would report a second time in a body-less
/// trait method (parameter patterns, `mut` bindings, `...`, `const fn`) or could not resolve
/// (other attributes on parameters), so the user sees each mistake once.
pub fn strip_indigo_attributes(item: &mut ItemTrait) {
    // `auto trait` is unstable; the error for it has been reported.
    item.auto_token = None;
    for trait_item in &mut item.items {
        let TraitItem::Fn(method) = trait_item else {
            match trait_item {
                TraitItem::Const(item) => item.attrs.retain(|attr| !is_operation_attr(attr)),
                TraitItem::Type(item) => item.attrs.retain(|attr| !is_operation_attr(attr)),
                TraitItem::Macro(item) => item.attrs.retain(|attr| !is_operation_attr(attr)),
                _ => {}
            }
            continue;
        };
        method.attrs.retain(|attr| !is_operation_attr(attr));
        method.sig.constness = None;
        method.sig.variadic = None;
        for input in &mut method.sig.inputs {
            match input {
                FnArg::Receiver(receiver) => {
                    receiver.attrs.retain(|attr| !is_param_attr(attr));
                    if receiver.reference.is_none() && receiver.colon_token.is_none() {
                        receiver.mutability = None;
                    }
                }
                FnArg::Typed(typed) => {
                    typed.attrs.retain(is_builtin_param_attr);
                    let plain = matches!(
                        &*typed.pat,
                        Pat::Ident(pat) if pat.by_ref.is_none()
                            && pat.mutability.is_none()
                            && pat.subpat.is_none()
                    );
                    if !plain {
                        *typed.pat = Pat::Wild(syn::PatWild {
                            attrs: Vec::new(),
                            underscore_token: Token![_](typed.pat.span()),
                        });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
