//! The service trait as implementors see it: each operation returns a `Send` future, so a
//! service can be driven from any tokio task. `async fn` in an impl satisfies it.

use crate::model::{Contract, Operation, Receiver};
use proc_macro2::TokenStream;
use quote::quote;

pub fn expand(contract: &Contract) -> TokenStream {
    let Contract {
        attrs, vis, ident, ..
    } = contract;
    let needs_sync = contract
        .operations
        .iter()
        .any(|op| op.receiver == Receiver::Shared);
    let sync_bound = needs_sync.then(|| quote!(+ ::core::marker::Sync));
    let methods = contract.operations.iter().map(method);
    quote! {
        #(#attrs)*
        #vis trait #ident: ::core::marker::Send #sync_bound + 'static {
            #(#methods)*
        }
    }
}

fn method(op: &Operation) -> TokenStream {
    let Operation { attrs, ident, .. } = op;
    let receiver = match op.receiver {
        Receiver::Shared => quote!(&self),
        Receiver::Exclusive => quote!(&mut self),
    };
    let params = op.params.iter().map(|p| {
        let (name, ty) = (&p.ident, &p.ty);
        quote!(#name: #ty)
    });
    let output = declared_output(op);
    quote! {
        #(#attrs)*
        fn #ident(#receiver, #(#params),*)
            -> impl ::core::future::Future<Output = #output> + ::core::marker::Send;
    }
}

/// The operation's return type exactly as the user declared it, so the user's own imports
/// (`use indigo::Fault;`) are the ones in use.
pub fn declared_output(op: &Operation) -> TokenStream {
    match &op.output {
        crate::model::Output::Unit => quote!(()),
        crate::model::Output::Value(ty) => quote!(#ty),
        crate::model::Output::Fallible { declared, .. } => quote!(#declared),
    }
}
