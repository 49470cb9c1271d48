//! Code generation: one submodule per generated item. Everything is named through
//! `::indigo::__private` (or `::core`), so expansions work under `#![no_implicit_prelude]`.

mod client;
mod description;
mod dispatcher;
mod service_trait;
#[cfg(test)]
mod tests;

use crate::model::{Contract, Operation, Output};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use syn::ItemTrait;

/// Identifiers shared by the generated items.
pub(crate) struct Names {
    /// `{Trait}Contract`: the contract marker.
    pub marker: Ident,
    /// `{Trait}Client`.
    pub client: Ident,
    /// `__{Trait}Call`: the decoded-request enum.
    pub call: Ident,
}

impl Names {
    fn of(contract: &Contract) -> Self {
        let ident = &contract.ident;
        Names {
            marker: format_ident!("{}Contract", ident),
            client: format_ident!("{}Client", ident),
            call: format_ident!("__{}Call", ident),
        }
    }
}

/// A local variable (or parameter) of generated code. Mixed-site hygiene keeps it apart from
/// the user's parameter names, so a parameter called `body` or `guard` cannot shadow it.
pub(crate) fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// The `Call` enum variant of an operation.
pub(crate) fn variant(op: &Operation) -> Ident {
    format_ident!("{}", crate::naming::pascal_case(&op.ident.to_string()))
}

/// `{Op}Result`, the element holding a reply's value.
pub(crate) fn result_name(op: &Operation) -> String {
    format!("{}Result", op.name.value)
}

/// The success type of an operation (`()` when there is none).
pub(crate) fn ok_type(op: &Operation) -> TokenStream {
    match &op.output {
        Output::Unit | Output::Fallible { ok: None, .. } => quote!(()),
        Output::Value(ty) | Output::Fallible { ok: Some(ty), .. } => quote!(#ty),
    }
}

/// `&<Marker as Contract>::DESCRIPTION.operations[index]`.
pub(crate) fn op_description(names: &Names, index: usize) -> TokenStream {
    let marker = &names.marker;
    quote! {
        &<#marker as ::indigo::__private::Contract>::DESCRIPTION.operations[#index]
    }
}

/// Everything a valid contract generates.
pub fn contract(contract: &Contract) -> TokenStream {
    let names = Names::of(contract);
    let mut out = service_trait::expand(contract);
    out.extend(description::expand(contract, &names));
    out.extend(dispatcher::expand(contract, &names));
    out.extend(client::expand(contract, &names));
    out
}

/// What an invalid contract generates: the errors, plus the trait as written (minus Indigo's
/// own attributes) so implementations of it still resolve.
pub fn fallback(item: &ItemTrait, error: syn::Error) -> TokenStream {
    let mut item = item.clone();
    crate::parse::strip_indigo_attributes(&mut item);
    let errors = error.into_compile_error();
    quote! {
        #errors
        #item
    }
}
