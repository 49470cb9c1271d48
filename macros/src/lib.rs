//! Procedural macros for Indigo service contracts. Users depend on the `indigo` crate, which
//! re-exports these; generated code names everything through `::indigo::__private`.
//!
//! The pipeline is parse (syn -> [`model`]) -> check (the contract rules, errors collected) ->
//! expand (one module per generated item). On any error the trait itself is still emitted,
//! so the user sees the real error and not a cascade of "cannot find trait" errors.

mod check;
mod expand;
mod model;
mod naming;
mod parse;

use proc_macro::TokenStream;

/// Declares a trait as a WCF-style service contract.
///
/// See the `indigo` crate's documentation for the keys and what is generated.
#[proc_macro_attribute]
pub fn service_contract(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    let trait_item: syn::ItemTrait = match syn::parse2(item.clone()) {
        Ok(t) => t,
        Err(_) => {
            let err = syn::Error::new_spanned(
                &item,
                "#[service_contract] goes on a trait: write `pub trait MyService { ... }`",
            );
            let mut out = err.into_compile_error();
            out.extend(item);
            return out.into();
        }
    };
    let contract = match parse::contract(attr.into(), &trait_item) {
        Ok(contract) => contract,
        Err(err) => return expand::fallback(&trait_item, err).into(),
    };
    if let Err(mut err) = check::reserved_names(&contract) {
        if let Err(more) = check::contract(&contract) {
            err.combine(more);
        }
        return expand::fallback(&trait_item, err).into();
    }
    match check::contract(&contract) {
        Ok(()) => expand::contract(&contract).into(),
        Err(err) => {
            // The contract breaks a rule but is fully known: generate everything anyway, so
            // code that uses the client or host reports nothing but the real error.
            let mut out = err.into_compile_error();
            out.extend(expand::contract(&check::expandable(contract)));
            out.into()
        }
    }
}

/// Marks a method of a `#[service_contract]` trait as an operation. It has meaning only inside
/// such a trait, where `#[service_contract]` reads it; anywhere else it is an error.
#[proc_macro_attribute]
pub fn operation(_attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    let err = syn::Error::new_spanned(
        &item,
        "#[operation] is only valid on a method inside a #[service_contract] trait",
    );
    let mut out = err.into_compile_error();
    out.extend(item);
    out.into()
}
