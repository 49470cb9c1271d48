//! WSDL port types as `#[service_contract]` traits, and services' ports as binding
//! constructors.
//!
//! Only document/literal wrapped operations have a Rust form (what WCF writes): the input is
//! one part whose element is named after the operation and holds the parameters, the output
//! one part whose element `{Operation}Response` holds at most `{Operation}Result`. Anything
//! else (RPC style, encoded use, bare parts, out parameters) is an error naming it.

use crate::error::Error;
use crate::model::*;
use crate::names::{ident, macro_camel, macro_pascal, pascal_case, snake_case, Unique};
use crate::types::{doc_attr, Types};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

const TCP_TRANSPORT: &str = "http://schemas.microsoft.com/soap/tcp";

/// WCF's default action of `operation` in `contract` (as the macros compute it).
fn default_action(namespace: &str, contract: &str, operation: &str) -> String {
    indigo::contract::default_action(namespace, contract, operation)
}

/// Gives each fault detail type the name WCF's fault action expects: the fault `XFault` has
/// a detail type named `X`.
pub(crate) fn prefer_fault_names(defs: &Definitions, types: &mut Types<'_>) {
    for port_type in &defs.port_types {
        for operation in &port_type.operations {
            for fault in &operation.faults {
                let Some(detail) = detail_element(defs, fault) else {
                    continue;
                };
                let Some(type_name) = &detail.type_name else {
                    continue;
                };
                let Some(fault_name) = &fault.name else {
                    continue;
                };
                if let Some(stem) = fault_name.strip_suffix("Fault").filter(|s| !s.is_empty()) {
                    types
                        .preferred
                        .entry(type_name.clone())
                        .or_insert_with(|| pascal_case(stem));
                }
            }
        }
    }
}

fn detail_element<'d>(defs: &'d Definitions, fault: &MessageRef) -> Option<&'d ElementDecl> {
    let message = defs.messages.get(&fault.message)?;
    let element = message.parts.first()?.element.as_ref()?;
    defs.elements.get(element)
}

/// One `#[service_contract]` trait per port type (and the `#[fault_contracts]` enums its
/// operations need).
pub(crate) fn port_type(
    defs: &Definitions,
    types: &mut Types<'_>,
    port_type: &PortType,
    notes: &mut Vec<String>,
) -> Result<TokenStream, Error> {
    contract_trait(defs, types, port_type, notes, false).map(|(tokens, _)| tokens)
}

/// A contract's trait (and what it needs beside it), and the trait's Rust name.
fn contract_trait(
    defs: &Definitions,
    types: &mut Types<'_>,
    port_type: &PortType,
    notes: &mut Vec<String>,
    is_callback: bool,
) -> Result<(TokenStream, String), Error> {
    let contract_name = &port_type.name.name;
    let namespace = &port_type.name.namespace;
    let trait_name = types.names.take(&pascal_case(contract_name));
    // The macros generate these beside the trait.
    types.names.take(&format!("{trait_name}Client"));
    types.names.take(&format!("{trait_name}Contract"));
    let trait_ident = ident(&trait_name);
    let binding = defs.bindings.iter().find(|b| b.port_type == port_type.name);
    if let Some(binding) = binding {
        check_binding(binding)?;
    }
    let states_flags = port_type.using_session.is_some()
        || port_type
            .operations
            .iter()
            .any(|op| op.is_initiating.is_some() || op.is_terminating.is_some());
    if !states_flags && !is_callback {
        notes.push(format!(
            "port type {contract_name} states no session flags (msc:usingSession, \
             msc:isInitiating, msc:isTerminating): generated with session = Allowed and every \
             operation initiating (WCF states them for a contract that requires a session; \
             Mono's WSDL never does)"
        ));
    }
    let mut methods = Vec::new();
    let mut extra = Vec::new();
    let mut method_names = Unique::default();
    // Operations the service starts (an output first) are a duplex contract's callbacks:
    // WCF writes them into the port type; they become a callback contract of their own.
    let callbacks: Vec<Operation> = port_type
        .operations
        .iter()
        .filter(|op| op.output_first || op.input.is_none())
        .map(|op| Operation {
            input: op.output.clone(),
            output: op.input.clone(),
            output_first: false,
            is_initiating: None,
            is_terminating: None,
            ..op.clone()
        })
        .collect();
    let callback_key = if callbacks.is_empty() {
        TokenStream::new()
    } else {
        let callback_contract = PortType {
            name: QName::new(namespace.clone(), format!("{contract_name}Callback")),
            documentation: Some(format!(
                "The callbacks of `{contract_name}`: what its service calls on a duplex client."
            )),
            using_session: None,
            operations: callbacks,
        };
        let (callback_trait, callback_name) =
            contract_trait(defs, types, &callback_contract, notes, true)?;
        extra.push(callback_trait);
        let callback_ident = ident(&callback_name);
        quote!(, callback = #callback_ident)
    };
    for operation in &port_type.operations {
        if operation.output_first || operation.input.is_none() {
            continue;
        }
        let (method, fault_enum) = self::operation(
            defs,
            types,
            port_type,
            operation,
            &trait_name,
            &mut method_names,
        )?;
        methods.push(method);
        extra.extend(fault_enum);
    }
    let session = if port_type.using_session == Some(true) {
        quote!(, session = Required)
    } else {
        TokenStream::new()
    };
    let name_key = (trait_name != *contract_name).then(|| quote!(name = #contract_name,));
    let session = quote!(#session #callback_key);
    let doc = doc_attr(Some(port_type.documentation.as_deref().unwrap_or(
        &format!("The service contract `{contract_name}` in `{namespace}`."),
    )));
    Ok((
        quote! {
            #(#extra)*

            #doc
            #[::indigo::service_contract(#name_key namespace = #namespace #session)]
            pub trait #trait_ident {
                #(#methods)*
            }
        },
        trait_name,
    ))
}

/// Refuses the bindings that are no document/literal SOAP binding.
fn check_binding(binding: &Binding) -> Result<(), Error> {
    if binding.soap.is_none() {
        return Err(Error::Unsupported {
            construct: format!("the binding {} (not a SOAP binding)", binding.name.name),
            why: "Indigo speaks SOAP".into(),
            position: binding.position.clone(),
        });
    }
    for operation in &binding.operations {
        let style = operation.style.as_deref().or(binding.style.as_deref());
        if style == Some("rpc") {
            return Err(Error::Unsupported {
                construct: format!("RPC style (operation {})", operation.name),
                why: "WCF and Indigo contracts are document/literal wrapped".into(),
                position: operation.position.clone(),
            });
        }
        if operation.input_use.as_deref() == Some("encoded") {
            return Err(Error::Unsupported {
                construct: format!(
                    "SOAP encoding, use=\"encoded\" (operation {})",
                    operation.name
                ),
                why: "only literal bodies are supported".into(),
                position: operation.position.clone(),
            });
        }
    }
    Ok(())
}

/// The wrapper element of a message: its one part's element, and that element's sequence.
fn wrapper(
    defs: &Definitions,
    reference: &MessageRef,
    at: &Position,
) -> Result<(QName, Vec<ElementDecl>), Error> {
    let message = defs
        .messages
        .get(&reference.message)
        .ok_or_else(|| Error::Missing {
            what: format!("the message {}", reference.message),
            position: at.clone(),
        })?;
    let [part] = message.parts.as_slice() else {
        return Err(Error::Unsupported {
            construct: format!(
                "the message {} with {} parts",
                reference.message.name,
                message.parts.len()
            ),
            why: "a wrapped message has one part".into(),
            position: message.position.clone(),
        });
    };
    let Some(element) = &part.element else {
        return Err(Error::Unsupported {
            construct: format!("the part {} typed by type=, not element=", part.name),
            why: "document/literal messages name an element".into(),
            position: message.position.clone(),
        });
    };
    let decl = defs.elements.get(element).ok_or_else(|| Error::Missing {
        what: format!("the element {element}"),
        position: message.position.clone(),
    })?;
    let sequence = match (&decl.anonymous, &decl.type_name) {
        (Some(anonymous), _) => match anonymous.as_ref() {
            TypeDef::Complex(complex)
                if complex.unsupported.is_none() && complex.base.is_none() =>
            {
                complex.elements.clone()
            }
            _ => {
                return Err(Error::Unsupported {
                    construct: format!("the wrapper element {}", element.name),
                    why: "a wrapper is a sequence of parameter elements".into(),
                    position: decl.position.clone(),
                })
            }
        },
        (None, Some(type_name)) => match defs.types.get(type_name) {
            Some(TypeDef::Complex(complex)) if complex.unsupported.is_none() => {
                complex.elements.clone()
            }
            _ => {
                return Err(Error::Unsupported {
                    construct: format!(
                        "the bare message part {} of type {type_name}",
                        element.name
                    ),
                    why: "only wrapped messages have a Rust form".into(),
                    position: decl.position.clone(),
                })
            }
        },
        (None, None) => Vec::new(),
    };
    Ok((element.clone(), sequence))
}

fn operation(
    defs: &Definitions,
    types: &mut Types<'_>,
    port_type: &PortType,
    operation: &Operation,
    trait_name: &str,
    method_names: &mut Unique,
) -> Result<(TokenStream, Option<TokenStream>), Error> {
    let contract_name = &port_type.name.name;
    let namespace = &port_type.name.namespace;
    let at = &operation.position;
    let input = operation.input.as_ref().ok_or_else(|| Error::Missing {
        what: format!("the input of operation {}", operation.name),
        position: at.clone(),
    })?;
    let (input_element, parameters) = wrapper(defs, input, at)?;
    if input_element.name != operation.name || input_element.namespace != *namespace {
        return Err(Error::Unsupported {
            construct: format!(
                "the input element {input_element} of operation {}",
                operation.name
            ),
            why: format!(
                "a wrapped request is an element named after its operation in the contract's \
                 namespace ({{{namespace}}}{})",
                operation.name
            ),
            position: at.clone(),
        });
    }
    let method_name = method_names.take(&snake_case(&operation.name));
    let method = ident(&method_name);
    let mut keys = Vec::new();
    if macro_pascal(&method_name) != operation.name {
        let name = &operation.name;
        keys.push(quote!(name = #name));
    }
    let action = input
        .action
        .clone()
        .filter(|a| !a.is_empty())
        .or_else(|| binding_action(defs, port_type, &operation.name))
        .unwrap_or_else(|| default_action(namespace, contract_name, &operation.name));
    if action != default_action(namespace, contract_name, &operation.name) {
        keys.push(quote!(action = #action));
    }
    let one_way = operation.output.is_none();
    if one_way {
        keys.push(quote!(one_way));
    }
    if operation.is_initiating == Some(false) {
        keys.push(quote!(initiating = false));
    }
    if operation.is_terminating == Some(true) {
        keys.push(quote!(terminating));
    }
    // Parameters.
    let mut params = Vec::new();
    let mut param_names = Unique::default();
    for decl in &parameters {
        if decl.name.namespace != *namespace {
            return Err(Error::Unsupported {
                construct: format!("the parameter element {}", decl.name),
                why: "parameters are elements in the contract's namespace".into(),
                position: decl.position.clone(),
            });
        }
        let ty = types.element_type(decl)?;
        let param_name = param_names.take(&snake_case(&decl.name.name));
        let param = ident(&param_name);
        let wire = &decl.name.name;
        let attribute = (macro_camel(&param_name) != *wire).then(|| quote!(#[param(name = #wire)]));
        params.push(quote!(#attribute #param: #ty));
    }
    // Result.
    let mut result_ty = None;
    if let Some(output) = &operation.output {
        let (output_element, results) = wrapper(defs, output, at)?;
        let response = format!("{}Response", operation.name);
        if output_element.name != response || output_element.namespace != *namespace {
            return Err(Error::Unsupported {
                construct: format!("the output element {output_element}"),
                why: format!("a wrapped reply is the element {{{namespace}}}{response}"),
                position: at.clone(),
            });
        }
        match results.as_slice() {
            [] => {}
            [result] if result.name.name == format!("{}Result", operation.name) => {
                result_ty = Some(types.element_type(result)?);
            }
            _ => {
                return Err(Error::Unsupported {
                    construct: format!(
                        "the reply elements {} of operation {}",
                        results
                            .iter()
                            .map(|r| r.name.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        operation.name
                    ),
                    why: format!(
                        "a reply holds at most {}Result (out and ref parameters have no Rust \
                         form)",
                        operation.name
                    ),
                    position: at.clone(),
                });
            }
        }
        let reply_action = output.action.clone().filter(|a| !a.is_empty());
        if let Some(reply_action) = reply_action {
            if reply_action != format!("{action}Response") {
                keys.push(quote!(reply_action = #reply_action));
            }
        }
    }
    // Faults.
    let mut details = Vec::new();
    let mut variant_names = Unique::default();
    for fault in &operation.faults {
        let element = detail_element(defs, fault).ok_or_else(|| Error::Missing {
            what: format!(
                "the detail element of fault {}",
                fault.name.as_deref().unwrap_or("?")
            ),
            position: at.clone(),
        })?;
        let ty = types.decl_type(element)?;
        // The variant is named after the fault (`XFault` -> `X`), as its detail type is.
        let stem = fault
            .name
            .as_deref()
            .and_then(|name| name.strip_suffix("Fault"))
            .filter(|stem| !stem.is_empty())
            .unwrap_or(&element.name.name);
        let variant = ident(&variant_names.take(&pascal_case(stem)));
        details.push((variant, ty.tokens));
    }
    let mut fault_enum = None;
    let fault_ty = match details.as_slice() {
        [] => None,
        [(_, detail)] => Some(detail.clone()),
        _ => {
            let enum_name = types.names.take(&format!(
                "{}{}Fault",
                trait_name,
                pascal_case(&operation.name)
            ));
            let enum_ident = ident(&enum_name);
            let variants = details
                .iter()
                .map(|(variant, detail)| quote!(#variant(#detail)));
            let doc = format!(
                " The faults operation `{}` of `{contract_name}` declares.",
                operation.name
            );
            fault_enum = Some(quote! {
                #[doc = #doc]
                #[::indigo::fault_contracts]
                #[derive(Debug, Clone, PartialEq)]
                pub enum #enum_ident {
                    #(#variants),*
                }
            });
            Some(quote!(#enum_ident))
        }
    };
    let output = match (result_ty, fault_ty) {
        (Some(result), None) => quote!(-> #result),
        (None, None) => TokenStream::new(),
        (Some(result), Some(fault)) => {
            quote!(-> ::core::result::Result<#result, ::indigo::Fault<#fault>>)
        }
        (None, Some(fault)) => quote!(-> ::core::result::Result<(), ::indigo::Fault<#fault>>),
    };
    let doc = doc_attr(operation.documentation.as_deref());
    let attribute = if keys.is_empty() {
        quote!(#[operation])
    } else {
        quote!(#[operation(#(#keys),*)])
    };
    Ok((
        quote! {
            #doc
            #attribute
            async fn #method(&self, #(#params),*) #output;
        },
        fault_enum,
    ))
}

/// The `soapAction` a binding gives an operation of `port_type`.
fn binding_action(defs: &Definitions, port_type: &PortType, operation: &str) -> Option<String> {
    defs.bindings
        .iter()
        .filter(|b| b.port_type == port_type.name)
        .flat_map(|b| &b.operations)
        .find(|o| o.name == operation)
        .and_then(|o| o.soap_action.clone())
        .filter(|a| !a.is_empty())
}

/// `pub mod endpoints`: for each port of each service, its address and a constructor of the
/// binding its WSDL binding and policy describe.
pub(crate) fn endpoints(defs: &Definitions, warnings: &mut Vec<String>) -> TokenStream {
    let mut items = Vec::new();
    let mut names = Unique::default();
    for service in &defs.services {
        for port in &service.ports {
            let Some(binding) = defs.bindings.iter().find(|b| b.name == port.binding) else {
                warnings.push(format!(
                    "port {} names the binding {}, which no document defines: no endpoint \
                     generated",
                    port.name, port.binding
                ));
                continue;
            };
            let Some(address) = &port.address else {
                continue;
            };
            let Some((binding_ty, construct, what)) = binding_constructor(binding, address) else {
                warnings.push(format!(
                    "port {} ({address}) has a binding Indigo has no standard form for: no \
                     endpoint generated",
                    port.name
                ));
                continue;
            };
            let fn_name = names.take(&snake_case(&port.name));
            let fn_ident = ident(&fn_name);
            let const_ident = format_ident!("{}", fn_name.trim_start_matches("r#").to_uppercase());
            let doc = format!(
                " The address of port `{}` of service `{}`.",
                port.name, service.name.name
            );
            let fn_doc = format!(
                " The binding of port `{}` ({what}), for [`{}`].",
                port.name, const_ident
            );
            items.push(quote! {
                #[doc = #doc]
                pub const #const_ident: &str = #address;

                #[doc = #fn_doc]
                pub fn #fn_ident() -> #binding_ty {
                    #construct
                }
            });
        }
    }
    if items.is_empty() {
        return TokenStream::new();
    }
    quote! {
        /// The endpoints the WSDL's services publish: each port's address and binding.
        pub mod endpoints {
            #(#items)*
        }
    }
}

/// The Rust binding for a WSDL binding at `address`: its type, the expression building it,
/// and a description.
fn binding_constructor(
    binding: &Binding,
    address: &str,
) -> Option<(TokenStream, TokenStream, String)> {
    let soap = binding.soap?;
    let transport = binding.transport.as_deref().unwrap_or_default();
    let policy = &binding.policy;
    let (mut ty, mut construct, mut what) =
        if transport == TCP_TRANSPORT || address.starts_with("net.tcp://") {
            (
                quote!(::indigo::NetTcpBinding),
                quote!(::indigo::NetTcpBinding::new()),
                "net.tcp, binary, SOAP 1.2 with WS-Addressing".to_owned(),
            )
        } else if soap == Soap::V11 {
            (
                quote!(::indigo::BasicHttpBinding),
                quote!(::indigo::BasicHttpBinding::new()),
                "HTTP, SOAP 1.1".to_owned(),
            )
        } else {
            (
                quote!(::indigo::WsHttpBinding),
                quote!(::indigo::WsHttpBinding::new()),
                "HTTP, SOAP 1.2 with WS-Addressing".to_owned(),
            )
        };
    if address.starts_with("https://") || policy.https {
        construct = quote!(#construct.with_security(::indigo::security::HttpSecurity::transport(
            ::indigo::security::HttpClientCredentialType::None
        )));
        what.push_str(", HTTPS");
    }
    if policy.windows || policy.tls {
        what.push_str(if policy.windows {
            "; the service asks for Windows transport security: add it with `with_security`"
        } else {
            "; the service asks for TLS transport security: add it with `with_security`"
        });
    }
    if let Some(reliable) = &policy.reliable {
        ty = quote!(::indigo::Reliable<#ty>);
        construct = if reliable.version11 {
            quote!(#construct.with_reliable_session().with_version(
                ::indigo::ReliableMessagingVersion::WsReliableMessaging11
            ))
        } else {
            quote!(#construct.with_reliable_session())
        };
        what.push_str(", reliable session");
        if let Some(ms) = reliable.inactivity_timeout_ms {
            what.push_str(&format!(" (inactivity timeout {ms} ms"));
            if let Some(ack) = reliable.acknowledgement_interval_ms {
                what.push_str(&format!(", acknowledgement interval {ack} ms"));
            }
            what.push(')');
        }
    }
    Some((ty, construct, what))
}
