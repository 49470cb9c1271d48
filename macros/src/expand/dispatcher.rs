//! The server side: a `Call` enum with one variant per operation, and the `Dispatch` impl that
//! decodes a request into a `Call` and runs it on an instance.

use super::{op_description, result_name, variant, Names};
use crate::model::{Contract, Operation, Output, Receiver};
use proc_macro2::TokenStream;
use quote::quote;

pub fn expand(contract: &Contract, names: &Names) -> TokenStream {
    let l_call = super::local("call");
    let l_contract = super::local("contract");
    let l_guard = super::local("guard");
    let l_index = super::local("index");
    let l_quotas = super::local("quotas");
    let l_request = super::local("request");
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
    let streamed = streamed_decode(contract, names);
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
                #l_index: usize,
                #l_request: &::indigo::__private::Message,
                #l_quotas: &::indigo::__private::ReaderQuotas,
            ) -> ::core::result::Result<#call, ::indigo::__private::Box<::indigo::__private::MessageFault>> {
                let #l_contract = <#marker as ::indigo::__private::Contract>::DESCRIPTION;
                match #l_index {
                    #(#decode_arms)*
                    _ => ::core::result::Result::Err(::indigo::__private::Box::new(
                        ::indigo::__private::MessageFault::action_not_supported(#l_request.action()),
                    )),
                }
            }

            #streamed

            fn invoke(
                #l_call: #call,
                #l_guard: <Self::Cell as ::indigo::__private::InstanceCell<S>>::Guard,
            ) -> ::indigo::__private::BoxFuture<'static, ::indigo::__private::Reply> {
                let #l_contract = <#marker as ::indigo::__private::Contract>::DESCRIPTION;
                ::indigo::__private::Box::pin(async move {
                    #[allow(unused_mut)]
                    let mut #l_guard = #l_guard;
                    match #l_call {
                        #(#invoke_arms)*
                    }
                })
            }
        }
    }
}

/// For contracts with stream operations: which operations take a stream, and how their calls
/// are read from a streamed request (the head, plus the stream as the stream parameter).
fn streamed_decode(contract: &Contract, names: &Names) -> TokenStream {
    if !contract.is_streamed() {
        return TokenStream::new();
    }
    let l_contract = super::local("contract");
    let l_index = super::local("index");
    let l_op = super::local("op");
    let l_quotas = super::local("quotas");
    let l_reader = super::local("reader");
    let l_request = super::local("request");
    let l_stream = super::local("stream");
    let (call, marker) = (&names.call, &names.marker);
    let indices: Vec<usize> = contract
        .operations
        .iter()
        .enumerate()
        .filter(|(_, op)| op.stream_param().is_some())
        .map(|(index, _)| index)
        .collect();
    let takes = if indices.is_empty() {
        quote!(false)
    } else {
        quote!(::core::matches!(#l_index, #(#indices)|*))
    };
    let arms = contract.operations.iter().enumerate().filter_map(|(index, op)| {
        let stream_param = op.stream_param()?;
        let variant = variant(op);
        let op_ref = op_description(names, index);
        let stream_ident = &stream_param.ident;
        // Only the stream parameter is valid here; reading others keeps an invalid contract's
        // expansion compiling, so its only error is the rule it breaks.
        let reads = op
            .params
            .iter()
            .filter(|p| p.ident != *stream_ident)
            .map(|p| {
                let (ident, wire) = (&p.ident, &p.wire_name.value);
                quote! {
                    let #ident = ::indigo::__private::read_param(#l_op, &mut #l_reader, #wire)?;
                }
            });
        let fields = op.params.iter().map(|p| &p.ident);
        Some(quote! {
            #index => {
                let #l_op = #op_ref;
                #[allow(unused_mut, unused_variables)]
                let mut #l_reader = ::indigo::__private::open_request(#l_contract, #l_op, #l_request, #l_quotas)?;
                let #stream_ident = #l_stream;
                #(#reads)*
                ::core::result::Result::Ok(#call::#variant { #(#fields),* })
            }
        })
    });
    quote! {
        const STREAMED: bool = true;

        fn takes_stream(#l_index: usize) -> bool {
            #takes
        }

        fn decode_streamed(
            #l_index: usize,
            #l_request: &::indigo::__private::Message,
            #l_stream: ::indigo::__private::ByteStream,
            #l_quotas: &::indigo::__private::ReaderQuotas,
        ) -> ::core::result::Result<#call, ::indigo::__private::Box<::indigo::__private::MessageFault>> {
            let #l_contract = <#marker as ::indigo::__private::Contract>::DESCRIPTION;
            match #l_index {
                #(#arms)*
                _ => {
                    ::core::mem::drop(#l_stream);
                    <Self as ::indigo::__private::Dispatch<S>>::decode(#l_index, #l_request, #l_quotas)
                }
            }
        }
    }
}

fn decode_arm(names: &Names, index: usize, op: &Operation) -> TokenStream {
    let l_contract = super::local("contract");
    let l_op = super::local("op");
    let l_quotas = super::local("quotas");
    let l_reader = super::local("reader");
    let l_request = super::local("request");
    let call = &names.call;
    let variant = variant(op);
    let op_ref = op_description(names, index);
    if op.stream_param().is_some() {
        // A stream comes only over streamed transfer; see `decode_streamed`.
        return quote! {
            #index => ::core::result::Result::Err(::indigo::__private::stream_expected(#op_ref)),
        };
    }
    let reads = op.params.iter().map(|p| {
        let (ident, wire) = (&p.ident, &p.wire_name.value);
        if crate::data_contract::is_byte_vec(&p.ty) {
            return quote! {
                let #ident = ::indigo::__private::read_param::<::indigo::__private::Base64Value>(#l_op, &mut #l_reader, #wire)?.0;
            };
        }
        quote! {
            let #ident = ::indigo::__private::read_param(#l_op, &mut #l_reader, #wire)?;
        }
    });
    let fields = op.params.iter().map(|p| &p.ident);
    quote! {
        #index => {
            let #l_op = #op_ref;
            #[allow(unused_mut, unused_variables)]
            let mut #l_reader = ::indigo::__private::open_request(#l_contract, #l_op, #l_request, #l_quotas)?;
            #(#reads)*
            ::core::result::Result::Ok(#call::#variant { #(#fields),* })
        }
    }
}

fn invoke_arm(contract: &Contract, names: &Names, index: usize, op: &Operation) -> TokenStream {
    let l_contract = super::local("contract");
    let l_fault = super::local("fault");
    let l_guard = super::local("guard");
    let l_instance = super::local("instance");
    let l_op = super::local("op");
    let l_value = super::local("value");
    let trait_ident = &contract.ident;
    let call = &names.call;
    let variant = variant(op);
    let method = &op.ident;
    let op_ref = op_description(names, index);
    let fields: Vec<_> = op.params.iter().map(|p| &p.ident).collect();
    let instance = match op.receiver {
        Receiver::Shared => quote!(let #l_instance: &S = &#l_guard;),
        Receiver::Exclusive => quote! {
            let ::core::option::Option::Some(#l_instance) =
                ::indigo::__private::InstanceGuard::exclusive(&mut #l_guard)
            else {
                return ::indigo::__private::access_violation(#l_op);
            };
        },
    };
    let invocation = quote!(<S as #trait_ident>::#method(#l_instance, #(#fields),*).await);
    let reply = match &op.output {
        Output::Unit => quote! {
            #invocation;
            ::indigo::__private::reply_unit(#l_contract, #l_op)
        },
        Output::Value(_) if op.returns_stream() => {
            let result = result_name(op);
            quote! {
                let #l_value = #invocation;
                ::indigo::__private::reply_stream(#l_contract, #l_op, #result, #l_value)
            }
        }
        Output::Value(ty) if crate::data_contract::is_byte_vec(ty) => {
            let result = result_name(op);
            quote! {
                let #l_value = #invocation;
                ::indigo::__private::reply_value(#l_contract, #l_op, #result, &::indigo::__private::base64(&#l_value))
            }
        }
        Output::Value(_) => {
            let result = result_name(op);
            quote! {
                let #l_value = #invocation;
                ::indigo::__private::reply_value(#l_contract, #l_op, #result, &#l_value)
            }
        }
        Output::Fallible {
            ok, detail_name, ..
        } => {
            let on_fault = match detail_name {
                Some(detail_name) => {
                    let fault_action = crate::naming::action(
                        &contract.namespace.value,
                        &contract.name.value,
                        &format!("{}{}Fault", op.name.value, detail_name),
                    );
                    quote!(::indigo::__private::reply_fault(
                        #l_contract, #l_op, #l_fault, #fault_action, #detail_name,
                    ))
                }
                None => quote!(::indigo::__private::reply_untyped_fault(#l_fault)),
            };
            let on_ok = match ok {
                // Invalid (a stream with a typed fault), expanded so that it still compiles.
                Some(_) if op.returns_stream() => {
                    let result = result_name(op);
                    quote!(::indigo::__private::reply_stream(#l_contract, #l_op, #result, #l_value))
                }
                Some(ty) if crate::data_contract::is_byte_vec(ty) => {
                    let result = result_name(op);
                    quote!(::indigo::__private::reply_value(#l_contract, #l_op, #result, &::indigo::__private::base64(&#l_value)))
                }
                Some(_) => {
                    let result = result_name(op);
                    quote!(::indigo::__private::reply_value(#l_contract, #l_op, #result, &#l_value))
                }
                None => quote!({
                    let () = #l_value;
                    ::indigo::__private::reply_unit(#l_contract, #l_op)
                }),
            };
            quote! {
                match #invocation {
                    ::core::result::Result::Ok(#l_value) => #on_ok,
                    ::core::result::Result::Err(#l_fault) => #on_fault,
                }
            }
        }
    };
    quote! {
        #call::#variant { #(#fields),* } => {
            let #l_op = #op_ref;
            #instance
            #reply
        }
    }
}
