//! The contract marker: its static description, the bindings it may travel over, and the
//! shortcuts for hosting an implementation.

use super::Names;
use crate::model::{Contract, Output, Receiver, SessionMode};
use proc_macro2::TokenStream;
use quote::quote;

pub fn expand(contract: &Contract, names: &Names) -> TokenStream {
    let vis = &contract.vis;
    let ident = &contract.ident;
    let marker = &names.marker;
    let name = &contract.name.value;
    let namespace = &contract.namespace.value;
    let data_namespace = &contract.data_namespace.value;
    let session = match contract.session.value {
        SessionMode::Allowed => quote!(Allowed),
        SessionMode::Required => quote!(Required),
        SessionMode::NotAllowed => quote!(NotAllowed),
    };
    let operations = contract.operations.iter().map(|op| {
        let method = op.ident.to_string();
        let op_name = &op.name.value;
        let action = &op.action.value;
        let reply_action = &op.reply_action.value;
        let (one_way, initiating, terminating) =
            (op.one_way.value, op.initiating.value, op.terminating.value);
        let access = match op.receiver {
            Receiver::Shared => quote!(Shared),
            Receiver::Exclusive => quote!(Exclusive),
        };
        let params = op.params.iter().map(|p| &p.wire_name.value);
        quote! {
            ::indigo::__private::OperationDescription {
                method: #method,
                name: #op_name,
                action: #action,
                reply_action: #reply_action,
                is_one_way: #one_way,
                is_initiating: #initiating,
                is_terminating: #terminating,
                access: ::indigo::__private::InstanceAccess::#access,
                parameters: &[#(#params),*],
            }
        }
    });
    let message_types = contract.operations.iter().map(|op| {
        let probe = |ty: &syn::Type| {
            if crate::data_contract::is_byte_vec(ty) {
                // `byte[]`: base64.
                quote!(::indigo::__private::base64_type())
            } else {
                quote!((&::indigo::__private::Probe::<#ty>::new()).schema(__schemas))
            }
        };
        let params = op.params.iter().map(|p| probe(&p.ty));
        let result = match &op.output {
            _ if op.one_way.value => None,
            Output::Unit | Output::Fallible { ok: None, .. } => None,
            Output::Value(ty) | Output::Fallible { ok: Some(ty), .. } => Some(probe(ty)),
        };
        let result = match result {
            Some(result) => quote!(::core::option::Option::Some(#result)),
            None => quote!(::core::option::Option::None),
        };
        let faults = match &op.output {
            Output::Fallible {
                detail,
                detail_name: Some(detail_name),
                ..
            } => quote!((&::indigo::__private::Probe::<#detail>::new()).faults(__schemas, #detail_name)),
            _ => quote!(::indigo::__private::Vec::new()),
        };
        quote! {
            ::indigo::__private::OperationTypes {
                parameters: ::indigo::__private::vec![#(#params),*],
                result: #result,
                faults: #faults,
            }
        }
    });
    let callback_types = contract.callback.as_ref().map(|callback| {
        let (callback_marker, _) = super::client::callback_names(callback);
        quote! {
            fn callback_types(
                __schemas: &mut ::indigo::__private::SchemaSet,
            ) -> ::core::option::Option<(
                &'static ::indigo::__private::ContractDescription,
                ::indigo::__private::Vec<::indigo::__private::OperationTypes>,
            )> {
                ::core::option::Option::Some((
                    <#callback_marker as ::indigo::__private::Contract>::DESCRIPTION,
                    <#callback_marker as ::indigo::__private::Contract>::message_types(__schemas),
                ))
            }
        }
    });
    let binding_bound = match contract.session.value {
        // Callbacks travel on the session's channel, so a duplex contract needs a binding
        // that can send them.
        _ if contract.callback.is_some() => quote!(::indigo::__private::DuplexBinding),
        SessionMode::Required => quote!(::indigo::__private::SessionfulBinding),
        SessionMode::NotAllowed => quote!(::indigo::__private::DatagramBinding),
        SessionMode::Allowed => quote!(::indigo::__private::Binding),
    };
    let callback_fn = contract.callback.as_ref().map(|callback| {
        let (callback_marker, callback_client) = super::client::callback_names(callback);
        quote! {
            /// The proxy of the calling session's client, for callbacks: taken within an
            /// operation (from its `OperationContext`), usable during the operation and after
            /// it, until the session ends; its calls then fail with `Error::InvalidState`.
            #vis fn callback() -> ::core::result::Result<#callback_client, ::indigo::__private::Error> {
                ::core::result::Result::Ok(#callback_client::__from_runtime(
                    ::indigo::__private::ClientRuntime::for_current_callback(
                        <#callback_marker as ::indigo::__private::Contract>::DESCRIPTION,
                    )?,
                ))
            }
        }
    });
    // Stream operations travel by streamed transfer, which only some bindings carry: hosting
    // or calling such a contract over any other binding does not compile.
    let binding_bound = if contract.is_streamed() {
        quote!(#binding_bound + ::indigo::__private::StreamedBinding)
    } else {
        binding_bound
    };
    let doc = format!(
        "The `{ident}` contract (`{name}` in `{namespace}`): its description, the bindings that \
         can carry it, and constructors for hosting an implementation."
    );
    quote! {
        #[doc = #doc]
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy)]
        #vis struct #marker;

        impl ::indigo::__private::Contract for #marker {
            const DESCRIPTION: &'static ::indigo::__private::ContractDescription =
                &::indigo::__private::ContractDescription {
                    name: #name,
                    namespace: #namespace,
                    data_namespace: #data_namespace,
                    session_mode: ::indigo::__private::SessionMode::#session,
                    operations: &[#(#operations),*],
                };

            fn message_types(
                __schemas: &mut ::indigo::__private::SchemaSet,
            ) -> ::indigo::__private::Vec<::indigo::__private::OperationTypes> {
                #[allow(unused_imports)]
                use ::indigo::__private::{Described as _, Undescribed as _};
                ::indigo::__private::vec![#(#message_types),*]
            }

            #callback_types
        }

        impl<B: #binding_bound> ::indigo::__private::CarriedBy<B> for #marker {}

        impl #marker {
            #callback_fn

            /// Hosts `S` with one instance per client session, made by `factory`.
            #vis fn per_session<S, F>(factory: F) -> ::indigo::__private::Service<Self, S>
            where
                S: #ident,
                F: ::core::ops::Fn() -> S + ::core::marker::Send + ::core::marker::Sync + 'static,
            {
                ::indigo::__private::Service::per_session(factory)
            }

            /// Hosts `S` with a new instance, made by `factory`, for every call.
            #vis fn per_call<S, F>(factory: F) -> ::indigo::__private::Service<Self, S>
            where
                S: #ident,
                F: ::core::ops::Fn() -> S + ::core::marker::Send + ::core::marker::Sync + 'static,
            {
                ::indigo::__private::Service::per_call(factory)
            }

            /// Hosts one instance for every call of every session.
            #vis fn single<S: #ident>(instance: S) -> ::indigo::__private::Service<Self, S> {
                ::indigo::__private::Service::single(instance)
            }

            /// Hosts `S` with instances shared by the sessions whose first message `key` maps
            /// to the same value, made by `factory` (see `Service::shared_by`).
            #vis fn shared_by<S, K, F>(key: K, factory: F) -> ::indigo::__private::Service<Self, S>
            where
                S: #ident,
                K: ::core::ops::Fn(&::indigo::__private::OperationContext)
                        -> ::indigo::__private::Option<::indigo::__private::String>
                    + ::core::marker::Send + ::core::marker::Sync + 'static,
                F: ::core::ops::Fn() -> S + ::core::marker::Send + ::core::marker::Sync + 'static,
            {
                ::indigo::__private::Service::shared_by(key, factory)
            }
        }
    }
}
