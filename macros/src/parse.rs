//! syn -> model.
use crate::model::Contract;
use proc_macro2::TokenStream;
use syn::ItemTrait;

pub fn contract(attr: TokenStream, item: &ItemTrait) -> syn::Result<Contract> {
    let _ = (attr, item);
    todo!()
}

/// Removes `#[operation]` from methods and `#[param]` from parameters.
pub fn strip_indigo_attributes(item: &mut ItemTrait) {
    let _ = item;
}
