//! The contract rules.
use crate::model::Contract;

pub fn contract(contract: &Contract) -> syn::Result<()> {
    let _ = contract;
    Ok(())
}
