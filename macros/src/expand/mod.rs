//! Code generation: one submodule per generated item.

use crate::model::Contract;
use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemTrait;

/// Everything a valid contract generates.
pub fn contract(contract: &Contract) -> TokenStream {
    let _ = contract;
    quote! {}
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
