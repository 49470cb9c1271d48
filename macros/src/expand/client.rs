//! The typed client. For `session = Required` contracts it is a typestate: `Client<Idle>` offers
//! only initiating operations, each of which returns `Client<Active>`; terminating operations
//! take the client by value, so calling anything after one is a use-after-move. Other contracts
//! get a plain client whose operations all take `&self`.

use super::{ok_type, op_description, result_name, Names};
use crate::model::{Contract, Operation, Output, SessionMode};
use proc_macro2::TokenStream;
use quote::quote;

pub fn expand(contract: &Contract, names: &Names) -> TokenStream {
    if contract.session.value == SessionMode::Required {
        typestate_client(contract, names)
    } else {
        plain_client(contract, names)
    }
}

/// The client's error type for an operation.
fn error_type(op: &Operation) -> TokenStream {
    match &op.output {
        Output::Fallible { detail, .. } => quote!(::indigo::__private::CallError<#detail>),
        _ => quote!(::indigo::__private::Error),
    }
}

/// Parameters as the client method takes them.
fn params(op: &Operation) -> TokenStream {
    let params = op.params.iter().map(|p| {
        let (ident, ty) = (&p.ident, &p.ty);
        quote!(#ident: #ty)
    });
    quote!(#(#params),*)
}

/// Statements that send the request and bind its result to `value` (of `ok_type(op)`), with
/// errors returned through `?`.
fn call_body(names: &Names, index: usize, op: &Operation) -> TokenStream {
    if op.is_streamed() {
        return streamed_call_body(names, index, op);
    }
    let l_body = super::local("body");
    let l_op = super::local("op");
    let l_reply = super::local("reply");
    let l_value = super::local("value");
    let op_ref = op_description(names, index);
    let writes = op.params.iter().map(|p| {
        let (ident, wire) = (&p.ident, &p.wire_name.value);
        if crate::data_contract::is_byte_vec(&p.ty) {
            return quote! {
                ::indigo::__private::write_part(&mut #l_body, #wire, &::indigo::__private::base64(&#ident))?;
            };
        }
        quote! {
            ::indigo::__private::write_part(&mut #l_body, #wire, &#ident)?;
        }
    });
    // A `byte[]` result is read as base64.
    let bytes_result = match &op.output {
        Output::Value(ty) => crate::data_contract::is_byte_vec(ty),
        Output::Fallible { ok: Some(ty), .. } => crate::data_contract::is_byte_vec(ty),
        _ => false,
    };
    let (result_ty, unwrap) = if bytes_result {
        (quote!(::indigo::__private::Base64Value), quote!(.0))
    } else {
        (quote!(_), TokenStream::new())
    };
    let send = if op.one_way.value {
        quote! {
            self.runtime.send(#l_op, #l_body.finish()).await?;
            let #l_value = ();
        }
    } else {
        let read = match &op.output {
            Output::Unit => quote!(self.runtime.read_unit(#l_op, #l_reply)?),
            Output::Value(_) => {
                let result = result_name(op);
                quote!(self.runtime.read_result::<#result_ty>(#l_op, #l_reply, #result)?#unwrap)
            }
            Output::Fallible {
                ok: None,
                detail_name: None,
                ..
            } => quote!(self.runtime.read_untyped_fallible_unit(#l_op, #l_reply)?),
            Output::Fallible {
                ok: Some(_),
                detail_name: None,
                ..
            } => {
                let result = result_name(op);
                quote!(self.runtime.read_untyped_fallible_result::<#result_ty>(#l_op, #l_reply, #result)?#unwrap)
            }
            Output::Fallible {
                ok: None, detail, ..
            } => {
                quote!(self.runtime.read_fallible_unit::<#detail>(#l_op, #l_reply)?)
            }
            Output::Fallible {
                ok: Some(_),
                detail,
                ..
            } => {
                let result = result_name(op);
                quote!(self.runtime.read_fallible_result::<#result_ty, #detail>(#l_op, #l_reply, #result)?#unwrap)
            }
        };
        quote! {
            let #l_reply = self.runtime.request(#l_op, #l_body.finish()).await?;
            let #l_value = #read;
        }
    };
    quote! {
        let #l_op = #op_ref;
        #[allow(unused_mut)]
        let mut #l_body = self.runtime.body(#l_op);
        #(#writes)*
        #send
    }
}

/// [`call_body`] for an operation that takes or returns a stream: a streamed call.
fn streamed_call_body(names: &Names, index: usize, op: &Operation) -> TokenStream {
    let l_body = super::local("body");
    let l_op = super::local("op");
    let l_reply = super::local("reply");
    let l_request = super::local("request");
    let l_value = super::local("value");
    let op_ref = op_description(names, index);
    let request = match op.stream_param() {
        Some(stream) => {
            let (ident, wire) = (&stream.ident, &stream.wire_name.value);
            // Other parameters only exist in invalid contracts; they are not sent.
            let others = op.params.iter().filter(|p| p.ident != *ident).map(|p| {
                let ident = &p.ident;
                quote!(let _ = &#ident;)
            });
            quote! {
                #(#others)*
                let #l_request = self.runtime.stream_request(#l_op, #wire, #ident);
            }
        }
        None => {
            let writes = op.params.iter().map(|p| {
                let (ident, wire) = (&p.ident, &p.wire_name.value);
                quote! {
                    ::indigo::__private::write_part(&mut #l_body, #wire, &#ident)?;
                }
            });
            quote! {
                #[allow(unused_mut)]
                let mut #l_body = self.runtime.body(#l_op);
                #(#writes)*
                let #l_request = self.runtime.buffered_request(#l_op, #l_body.finish());
            }
        }
    };
    let send = if op.one_way.value {
        quote! {
            self.runtime.send_streamed(#l_request).await?;
            let #l_value = ();
        }
    } else {
        let returns_stream = op.returns_stream();
        let read = match &op.output {
            _ if returns_stream => quote!(self.runtime.read_stream(#l_op, #l_reply)?),
            Output::Unit => quote!(self.runtime.read_unit(#l_op, #l_reply.message)?),
            Output::Value(_) => {
                let result = result_name(op);
                quote!(self.runtime.read_result(#l_op, #l_reply.message, #result)?)
            }
            Output::Fallible {
                ok: None,
                detail_name: None,
                ..
            } => quote!(self.runtime.read_untyped_fallible_unit(#l_op, #l_reply.message)?),
            Output::Fallible {
                ok: Some(_),
                detail_name: None,
                ..
            } => {
                let result = result_name(op);
                quote!(self.runtime.read_untyped_fallible_result(#l_op, #l_reply.message, #result)?)
            }
            Output::Fallible {
                ok: None, detail, ..
            } => {
                quote!(self.runtime.read_fallible_unit::<#detail>(#l_op, #l_reply.message)?)
            }
            Output::Fallible {
                ok: Some(_),
                detail,
                ..
            } => {
                let result = result_name(op);
                quote!(self.runtime.read_fallible_result::<_, #detail>(#l_op, #l_reply.message, #result)?)
            }
        };
        quote! {
            let #l_reply = self.runtime.call_streamed(#l_request, #returns_stream).await?;
            let #l_value = #read;
        }
    };
    quote! {
        let #l_op = #op_ref;
        #request
        #send
    }
}

fn docs(op: &Operation) -> TokenStream {
    let attrs = op.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let wire = format!(
        "\n\nOperation `{}` (action `{}`){}{}{}.",
        op.name.value,
        op.action.value,
        if op.one_way.value { ", one-way" } else { "" },
        if op.initiating.value {
            ""
        } else {
            ", non-initiating"
        },
        if op.terminating.value {
            ", terminating: ends the session"
        } else {
            ""
        },
    );
    quote!(#(#attrs)* #[doc = #wire])
}

fn connect_fn(contract: &Contract, names: &Names) -> TokenStream {
    let marker = &names.marker;
    let name = &contract.name.value;
    let connect_doc = format!(
        "Creates a client of the `{name}` service at `address` over `binding` and opens it."
    );
    let new_doc = format!(
        "Creates a client of the `{name}` service at `address` over `binding` without opening \
         it: [`open`](Self::open), or the first call, opens it."
    );
    // A contract with stream operations uses streamed transfer for every call, so it needs a
    // binding that can carry it (net.tcp with the binary encoding).
    let (binding_bound, runtime_new, streamed_doc) = if contract.is_streamed() {
        (
            quote!(::indigo::__private::StreamedBinding),
            quote!(new_streamed),
            quote! {
                ///
                /// The contract has stream operations, so every call uses streamed transfer
                /// (one connection per call, no session), as WCF's `TransferMode.Streamed`.
            },
        )
    } else {
        (quote!(::indigo::__private::Binding), quote!(new), quote!())
    };
    let duplex = duplex_connect(contract, names);
    quote! {
        #[doc = #new_doc]
        #streamed_doc
        pub fn new<B>(binding: &B, address: &str) -> Self
        where
            B: #binding_bound,
            #marker: ::indigo::__private::CarriedBy<B>,
        {
            Self::from_runtime(::indigo::__private::ClientRuntime::#runtime_new(
                <#marker as ::indigo::__private::Contract>::DESCRIPTION,
                binding,
                address,
            ))
        }

        #[doc = #connect_doc]
        ///
        /// The future does not borrow its arguments; it is boxed so that a binding that cannot
        /// carry this contract is reported once, at this call.
        pub fn connect<B>(
            binding: &B,
            address: &str,
        ) -> ::indigo::__private::BoxFuture<
            'static,
            ::core::result::Result<Self, ::indigo::__private::Error>,
        >
        where
            B: #binding_bound,
            #marker: ::indigo::__private::CarriedBy<B>,
        {
            let client = Self::new(binding, address);
            ::indigo::__private::Box::pin(async move {
                client.runtime.open().await?;
                ::core::result::Result::Ok(client)
            })
        }

        #duplex

        /// Opens the channel now rather than at the first call.
        pub async fn open(&self) -> ::core::result::Result<(), ::indigo::__private::Error> {
            self.runtime.open().await
        }
    }
}

/// The callback contract's generated names: its marker and its client.
pub(super) fn callback_names(callback: &syn::Path) -> (syn::Path, syn::Path) {
    let renamed = |suffix: &str| {
        let mut path = callback.clone();
        if let Some(last) = path.segments.last_mut() {
            last.ident = quote::format_ident!("{}{}", last.ident, suffix);
        }
        path
    };
    (renamed("Contract"), renamed("Client"))
}

/// `connect_with_callback`, for a duplex contract.
fn duplex_connect(contract: &Contract, names: &Names) -> TokenStream {
    let Some(callback) = &contract.callback else {
        return quote!();
    };
    let marker = &names.marker;
    let (callback_marker, _) = callback_names(callback);
    let doc = format!(
        "Creates a client of the duplex `{}` service at `address` over `binding` and opens it: \
         the service's callbacks run on `callback` (WCF's `InstanceContext`), `&mut self` \
         callbacks one at a time and `&self` ones together.",
        contract.name.value
    );
    quote! {
        #[doc = #doc]
        pub fn connect_with_callback<B, S>(
            binding: &B,
            address: &str,
            callback: S,
        ) -> ::indigo::__private::BoxFuture<
            'static,
            ::core::result::Result<Self, ::indigo::__private::Error>,
        >
        where
            B: ::indigo::__private::Binding,
            #marker: ::indigo::__private::CarriedBy<B>,
            #callback_marker: ::indigo::__private::Dispatch<S>,
            S: ::core::marker::Send + 'static,
        {
            let client = Self::from_runtime(
                ::indigo::__private::ClientRuntime::new_duplex::<#callback_marker, S, B>(
                    <#marker as ::indigo::__private::Contract>::DESCRIPTION,
                    binding,
                    address,
                    callback,
                ),
            );
            ::indigo::__private::Box::pin(async move {
                client.runtime.open().await?;
                ::core::result::Result::Ok(client)
            })
        }
    }
}

fn lifecycle_fns() -> TokenStream {
    quote! {
        /// The session's lifecycle state.
        pub fn state(&self) -> ::indigo::CommunicationState {
            self.runtime.state()
        }

        /// Ends the session gracefully.
        pub async fn close(self) -> ::core::result::Result<(), ::indigo::__private::Error> {
            self.runtime.close().await
        }

        /// Drops the session without a handshake. Dropping the client does the same.
        pub fn abort(self) {
            self.runtime.abort()
        }

        /// Gives every later call of this client `timeout` to complete; a call that takes
        /// longer fails with `Error::OperationTimeout` and the session stays usable. For one
        /// call only, see `indigo::client::deadline`.
        pub fn with_operation_timeout(self, timeout: ::core::time::Duration) -> Self {
            Self::from_runtime(self.runtime.with_operation_timeout(timeout))
        }
    }
}

fn plain_client(contract: &Contract, names: &Names) -> TokenStream {
    let l_value = super::local("value");
    let vis = &contract.vis;
    let client = &names.client;
    let connect = connect_fn(contract, names);
    let lifecycle = lifecycle_fns();
    let doc = format!("A client of the `{}` contract.", contract.name.value);
    let methods = contract.operations.iter().enumerate().map(|(index, op)| {
        let ident = &op.ident;
        let (params, ok, err, docs) = (params(op), ok_type(op), error_type(op), docs(op));
        let body = call_body(names, index, op);
        quote! {
            #docs
            pub async fn #ident(&self, #params) -> ::core::result::Result<#ok, #err> {
                #body
                ::core::result::Result::Ok(#l_value)
            }
        }
    });
    quote! {
        #[doc = #doc]
        #vis struct #client {
            runtime: ::indigo::__private::ClientRuntime,
        }

        impl ::core::fmt::Debug for #client {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(::core::stringify!(#client)).field("runtime", &self.runtime).finish()
            }
        }

        impl #client {
            #connect

            fn from_runtime(runtime: ::indigo::__private::ClientRuntime) -> Self {
                #client { runtime }
            }

            /// Used by a duplex service contract for its callback proxy; not public API.
            #[doc(hidden)]
            pub fn __from_runtime(runtime: ::indigo::__private::ClientRuntime) -> Self {
                #client { runtime }
            }

            #lifecycle

            #(#methods)*
        }
    }
}

fn typestate_client(contract: &Contract, names: &Names) -> TokenStream {
    let vis = &contract.vis;
    let client = &names.client;
    let connect = connect_fn(contract, names);
    let lifecycle = lifecycle_fns();
    let doc = format!(
        "A client session of the `{}` contract. It starts `Idle`, where only initiating \
         operations can be called; the first one moves it to `Active`. A terminating operation \
         consumes it and closes the session.",
        contract.name.value
    );
    let idle_methods = contract
        .operations
        .iter()
        .enumerate()
        .filter(|(_, op)| op.initiating.value)
        .map(|(index, op)| idle_method(names, index, op));
    let active_methods = contract
        .operations
        .iter()
        .enumerate()
        .map(|(index, op)| active_method(names, index, op));
    quote! {
        #[doc = #doc]
        #vis struct #client<State = ::indigo::__private::Idle> {
            runtime: ::indigo::__private::ClientRuntime,
            _state: ::core::marker::PhantomData<fn() -> State>,
        }

        impl<State> ::core::fmt::Debug for #client<State> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(::core::stringify!(#client))
                    .field("state", &::core::any::type_name::<State>())
                    .field("runtime", &self.runtime)
                    .finish()
            }
        }

        impl #client<::indigo::__private::Idle> {
            #connect

            #(#idle_methods)*
        }

        impl #client<::indigo::__private::Active> {
            #(#active_methods)*
        }

        impl<State> #client<State> {
            fn from_runtime(runtime: ::indigo::__private::ClientRuntime) -> Self {
                #client { runtime, _state: ::core::marker::PhantomData }
            }

            /// Used by a duplex service contract for its callback proxy; not public API.
            #[doc(hidden)]
            pub fn __from_runtime(runtime: ::indigo::__private::ClientRuntime) -> Self {
                #client { runtime, _state: ::core::marker::PhantomData }
            }

            #lifecycle
        }
    }
}

/// An initiating operation on an idle client: consumes it and returns the active client (with
/// the operation's value, if it has one). An initiating and terminating operation just returns
/// the value.
fn idle_method(names: &Names, index: usize, op: &Operation) -> TokenStream {
    let l_value = super::local("value");
    let client = &names.client;
    let ident = &op.ident;
    let (params, ok, err, docs) = (params(op), ok_type(op), error_type(op), docs(op));
    let body = call_body(names, index, op);
    if op.terminating.value {
        return terminating_method(&params, &ok, &err, &docs, ident, &body);
    }
    let returns_value = !matches!(op.output, Output::Unit | Output::Fallible { ok: None, .. });
    let (ret, value) = if returns_value {
        (
            quote!((#client<::indigo::__private::Active>, #ok)),
            quote!((#client::from_runtime(self.runtime), #l_value)),
        )
    } else {
        (
            quote!(#client<::indigo::__private::Active>),
            quote!({
                let () = #l_value;
                #client::from_runtime(self.runtime)
            }),
        )
    };
    quote! {
        #docs
        pub async fn #ident(self, #params) -> ::core::result::Result<#ret, #err> {
            #body
            ::core::result::Result::Ok(#value)
        }
    }
}

fn active_method(names: &Names, index: usize, op: &Operation) -> TokenStream {
    let l_value = super::local("value");
    let ident = &op.ident;
    let (params, ok, err, docs) = (params(op), ok_type(op), error_type(op), docs(op));
    let body = call_body(names, index, op);
    if op.terminating.value {
        return terminating_method(&params, &ok, &err, &docs, ident, &body);
    }
    quote! {
        #docs
        pub async fn #ident(&self, #params) -> ::core::result::Result<#ok, #err> {
            #body
            ::core::result::Result::Ok(#l_value)
        }
    }
}

/// A terminating operation: takes the client, and closes the session once the call is done
/// (as WCF closes the channel after a terminating operation).
fn terminating_method(
    params: &TokenStream,
    ok: &TokenStream,
    err: &TokenStream,
    docs: &TokenStream,
    ident: &syn::Ident,
    body: &TokenStream,
) -> TokenStream {
    let l_error = super::local("error");
    let l_outcome = super::local("outcome");
    let l_value = super::local("value");
    quote! {
        #docs
        pub async fn #ident(self, #params) -> ::core::result::Result<#ok, #err> {
            let #l_outcome: ::core::result::Result<#ok, #err> = async {
                #body
                ::core::result::Result::Ok(#l_value)
            }
            .await;
            match #l_outcome {
                ::core::result::Result::Ok(#l_value) => {
                    self.runtime.close().await?;
                    ::core::result::Result::Ok(#l_value)
                }
                ::core::result::Result::Err(#l_error) => {
                    self.runtime.abort();
                    ::core::result::Result::Err(#l_error)
                }
            }
        }
    }
}
