//! The server side: a `Call` enum with one variant per operation, and the `Dispatch` impl that
//! decodes a request into a `Call` and runs it on an instance.

use super::{op_description, result_name, variant, Names};
use crate::model::{Contract, Operation, Output, Receiver};
use proc_macro2::TokenStream;
use quote::quote;

pub fn expand(contract: &Contract, names: &Names) -> TokenStream {
    let vis = &contract.vis;
    let trait_ident = &contract.ident;
    let (marker, call) = (&names.marker, &names.call);
    let cell = if contract
        .operations
        .iter()
        .any(|op| op.receiver == Receiver::Shared)
    {
        quote!(::indigo::__private::SharedCell<S>)
    } else {
        quote!(::indigo::__private::ExclusiveCell<S>)
    };
    let variants = contract.operations.iter().map(|op| {
        let variant = variant(op);
        let fields = op.params.iter().map(|p| {
            let (ident, ty) = (&p.ident, &p.ty);
            quote!(#ident: #ty)
        });
        quote!(#variant { #(#fields),* })
    });
    let decode_arms = contract
        .operations
        .iter()
        .enumerate()
        .map(|(index, op)| decode_arm(names, index, op));
    let invoke_arms = contract
        .operations
        .iter()
        .enumerate()
        .map(|(index, op)| invoke_arm(contract, names, index, op));
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis enum #call {
            #(#variants),*
        }

        impl<S: #trait_ident> ::indigo::__private::Dispatch<S> for #marker {
            type Cell = #cell;
            type Call = #call;

            fn decode(
                index: usize,
                request: &::indigo::__private::Message,
                quotas: &::indigo::__private::ReaderQuotas,
            ) -> ::core::result::Result<#call, ::indigo::__private::MessageFault> {
                let contract = <#marker as ::indigo::__private::Contract>::DESCRIPTION;
                match index {
                    #(#decode_arms)*
                    _ => ::core::result::Result::Err(
                        ::indigo::__private::MessageFault::action_not_supported(request.action()),
                    ),
                }
            }

            fn invoke(
                call: #call,
                guard: <Self::Cell as ::indigo::__private::InstanceCell<S>>::Guard,
            ) -> ::indigo::__private::BoxFuture<'static, ::indigo::__private::Reply> {
                let contract = <#marker as ::indigo::__private::Contract>::DESCRIPTION;
                ::indigo::__private::Box::pin(async move {
                    #[allow(unused_mut)]
                    let mut guard = guard;
                    match call {
                        #(#invoke_arms)*
                    }
                })
            }
        }
    }
}

fn decode_arm(names: &Names, index: usize, op: &Operation) -> TokenStream {
    let call = &names.call;
    let variant = variant(op);
    let op_ref = op_description(names, index);
    let reads = op.params.iter().map(|p| {
        let (ident, wire) = (&p.ident, &p.wire_name.value);
        quote! {
            let #ident = ::indigo::__private::read_param(op, &mut reader, #wire)?;
        }
    });
    let fields = op.params.iter().map(|p| &p.ident);
    quote! {
        #index => {
            let op = #op_ref;
            #[allow(unused_mut, unused_variables)]
            let mut reader = ::indigo::__private::open_request(contract, op, request, quotas)?;
            #(#reads)*
            ::core::result::Result::Ok(#call::#variant { #(#fields),* })
        }
    }
}

fn invoke_arm(contract: &Contract, names: &Names, index: usize, op: &Operation) -> TokenStream {
    let trait_ident = &contract.ident;
    let call = &names.call;
    let variant = variant(op);
    let method = &op.ident;
    let op_ref = op_description(names, index);
    let fields: Vec<_> = op.params.iter().map(|p| &p.ident).collect();
    let instance = match op.receiver {
        Receiver::Shared => quote!(let instance: &S = &guard;),
        Receiver::Exclusive => quote! {
            let ::core::option::Option::Some(instance) =
                ::indigo::__private::InstanceGuard::exclusive(&mut guard)
            else {
                return ::indigo::__private::access_violation(op);
            };
        },
    };
    let invocation = quote!(<S as #trait_ident>::#method(instance, #(#fields),*).await);
    let reply = match &op.output {
        Output::Unit => quote! {
            #invocation;
            ::indigo::__private::reply_unit(contract, op)
        },
        Output::Value(_) => {
            let result = result_name(op);
            quote! {
                let value = #invocation;
                ::indigo::__private::reply_value(contract, op, #result, &value)
            }
        }
        Output::Fallible {
            ok, detail_name, ..
        } => {
            let fault_action = crate::naming::action(
                &contract.namespace.value,
                &contract.name.value,
                &format!("{}{}Fault", op.name.value, detail_name),
            );
            let on_ok = match ok {
                Some(_) => {
                    let result = result_name(op);
                    quote!(::indigo::__private::reply_value(contract, op, #result, &value))
                }
                None => quote!({
                    let () = value;
                    ::indigo::__private::reply_unit(contract, op)
                }),
            };
            quote! {
                match #invocation {
                    ::core::result::Result::Ok(value) => #on_ok,
                    ::core::result::Result::Err(fault) => ::indigo::__private::reply_fault(
                        contract, op, fault, #fault_action, #detail_name,
                    ),
                }
            }
        }
    };
    quote! {
        #call::#variant { #(#fields),* } => {
            let op = #op_ref;
            #instance
            #reply
        }
    }
}
