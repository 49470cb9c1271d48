//! The contract rules: what WCF's `ContractDescription.EnsureInvariants` checks when a host
//! opens, plus the rules the wire format needs (unique names and actions, XML names). Every
//! rule runs and all errors are reported together, each at the tokens that break the rule.

use crate::model::{is_byte_stream, Contract, Operation, Output, SessionMode, Spanned};
use crate::naming;
use crate::parse::Errors;
use std::collections::HashMap;

pub fn contract(contract: &Contract) -> syn::Result<()> {
    let mut errors = Errors::new();
    xml_names(contract, &mut errors);
    session_consistency(contract, &mut errors);
    duplex_needs_a_session(contract, &mut errors);
    has_operations(contract, &mut errors);
    one_way_outputs(contract, &mut errors);
    unique_names_and_actions(contract, &mut errors);
    unique_parameters(contract, &mut errors);
    streamed_operations(contract, &mut errors);
    errors.finish()
}

/// Methods every generated client has; an operation with one of these names would clash.
const CLIENT_METHODS: &[&str] = &[
    "new",
    "connect",
    "open",
    "close",
    "abort",
    "state",
    "from_runtime",
    "__from_runtime",
    "connect_with_callback",
    "with_operation_timeout",
];

/// Operations whose method names clash with the generated client's own methods. Unlike the
/// other rules, a clash cannot be expanded around, so it is checked first.
pub fn reserved_names(contract: &Contract) -> syn::Result<()> {
    let mut errors = Errors::new();
    for op in &contract.operations {
        let method = op.ident.to_string();
        if CLIENT_METHODS.contains(&method.as_str()) {
            let client = format!("{}Client", contract.ident);
            errors.at(
                op.ident.span(),
                format!(
                    "operation `{method}` clashes with the generated `{client}::{method}`; rename \
                     the method and keep its wire name with `#[operation(name = \"{}\")]`",
                    op.name.value
                ),
            );
        }
    }
    errors.finish()
}

fn session_name(mode: SessionMode) -> &'static str {
    match mode {
        SessionMode::Required => "Required",
        SessionMode::Allowed => "Allowed",
        SessionMode::NotAllowed => "NotAllowed",
    }
}

/// WCF: "The contract is not self-consistent -- it has one or more IsTerminating or
/// non-IsInitiating operations, but it does not have the SessionMode property set to
/// SessionMode.Required."
fn session_consistency(contract: &Contract, errors: &mut Errors) {
    let session = &contract.session;
    if session.value == SessionMode::Required {
        return;
    }
    let trait_name = &contract.ident;
    let mode = session_name(session.value);
    let has = if session.explicit {
        format!("has `session = {mode}`")
    } else {
        format!("has session = {mode} (the default)")
    };
    let mut offenders = Vec::new();
    for op in &contract.operations {
        let mut offend = |flag: &Spanned<bool>, what: &str| {
            errors.at(
                flag.span,
                format!(
                    "{what} operations need a session: contract `{trait_name}` {has}; set \
                     `session = Required` on #[service_contract] (WCF: the contract is not \
                     self-consistent)"
                ),
            );
            offenders.push(format!("`{}`", op.ident));
        };
        if !op.initiating.value {
            offend(&op.initiating, "non-initiating (`initiating = false`)");
        }
        if op.terminating.value {
            offend(&op.terminating, "`terminating`");
        }
    }
    if session.explicit && !offenders.is_empty() {
        offenders.dedup();
        let list = match offenders.len() {
            1 => format!("operation {} needs", offenders.join(", ")),
            _ => format!("operations {} need", offenders.join(", ")),
        };
        errors.at(
            session.span,
            format!(
                "contract `{trait_name}` sets `session = {mode}` here, but {list} a session; \
                 write `session = Required`"
            ),
        );
    }
}

/// WCF: "Contract requires Duplex, but Binding ... doesn't support it" starts here: callbacks
/// travel on the session's channel, so a duplex contract cannot refuse sessions.
fn duplex_needs_a_session(contract: &Contract, errors: &mut Errors) {
    let Some(callback) = &contract.callback else {
        return;
    };
    let name = callback
        .segments
        .last()
        .map(|segment| segment.ident.to_string())
        .unwrap_or_default();
    if let Some(streamed) = contract.operations.iter().find(|op| op.is_streamed()) {
        errors.at(
            streamed.ident.span(),
            format!(
                "a duplex contract (`callback = {name}`) cannot have stream operations: \
                 streamed transfer has no session to call back on (WCF: TransferMode.Streamed \
                 does not support duplex)"
            ),
        );
    }
    if contract.session.value != SessionMode::NotAllowed {
        return;
    }
    errors.at(
        contract.session.span,
        format!(
            "a duplex contract (`callback = {name}`) calls back on the session's channel, so it \
             cannot be `session = NotAllowed`; write `session = Required` or `Allowed`"
        ),
    );
}

/// WCF: a contract needs at least one operation, and at least one initiating operation.
fn has_operations(contract: &Contract, errors: &mut Errors) {
    let trait_name = &contract.ident;
    if contract.operations.is_empty() {
        errors.at(
            trait_name.span(),
            format!(
                "service contract `{trait_name}` has no operations; add at least one \
                 #[operation] method"
            ),
        );
    } else if !contract.operations.iter().any(|op| op.initiating.value) {
        errors.at(
            trait_name.span(),
            format!(
                "service contract `{trait_name}` has no initiating operation; mark at least one \
                 operation `#[operation(initiating)]` (WCF requires one to start a session)"
            ),
        );
    }
}

/// A one-way call gets no reply message, so it can carry neither a value nor a fault.
fn one_way_outputs(contract: &Contract, errors: &mut Errors) {
    for op in contract.operations.iter().filter(|op| op.one_way.value) {
        let ident = &op.ident;
        match &op.output {
            Output::Unit => {}
            Output::Value(_) => errors.at(
                op.output_span,
                format!(
                    "one-way operation `{ident}` cannot return a value: remove the return type, \
                     or drop `one_way`"
                ),
            ),
            Output::Fallible { .. } => errors.at(
                op.output_span,
                format!(
                    "one-way operation `{ident}` cannot return a typed fault: no reply comes \
                     back to carry it; remove the `Result<_, Fault<_>>` return type, or drop \
                     `one_way`"
                ),
            ),
        }
        if op.reply_action.explicit {
            errors.at(
                op.reply_action.span,
                format!(
                    "one-way operation `{ident}` has no reply, so `reply_action` means nothing \
                     here; remove it, or drop `one_way`"
                ),
            );
        }
    }
}

/// Operation names and request actions identify operations on the wire: both must be unique.
fn unique_names_and_actions(contract: &Contract, errors: &mut Errors) {
    let mut names: HashMap<&str, &Operation> = HashMap::new();
    let mut actions: HashMap<&str, &Operation> = HashMap::new();
    for op in &contract.operations {
        let name_taken = names.contains_key(op.name.value.as_str());
        if let Some(first) = names.get(op.name.value.as_str()) {
            errors.at(
                op.name.span,
                format!(
                    "operation name `{}` is already used by `{}`; give one of them another \
                     `name = \"...\"`",
                    op.name.value, first.ident
                ),
            );
        } else {
            names.insert(&op.name.value, op);
        }
        if let Some(first) = actions.get(op.action.value.as_str()) {
            if name_taken && !op.action.explicit {
                // The default action repeats because the name does: one error is enough.
                continue;
            }
            errors.at(
                op.action.span,
                format!(
                    "action `{}` is already used by `{}`; give one of them another \
                     `action = \"...\"`",
                    op.action.value, first.ident
                ),
            );
        } else {
            actions.insert(&op.action.value, op);
        }
    }
}

/// Parameters become child elements of the request body: their wire names must differ.
fn unique_parameters(contract: &Contract, errors: &mut Errors) {
    for op in &contract.operations {
        let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
        for param in &op.params {
            let name = param.wire_name.value.as_str();
            if let Some(first) = seen.get(name) {
                errors.at(
                    param.wire_name.span,
                    format!(
                        "parameter name `{name}` is already used by `{first}` in operation `{}`; \
                         give one of them another #[param(name = \"...\")]",
                        op.ident
                    ),
                );
            } else {
                seen.insert(name, &param.ident);
            }
        }
    }
}

/// Contract, operation and parameter names become XML element names (NCNames).
fn xml_names(contract: &Contract, errors: &mut Errors) {
    let mut check = |name: &Spanned<String>, what: &str, example: &str| {
        if let Some(reason) = naming::ncname_error(&name.value) {
            let fix = if name.explicit {
                format!("write a name like `name = \"{example}\"`")
            } else {
                format!("set one with `name = \"{example}\"`")
            };
            errors.at(
                name.span,
                format!(
                    "{what} `{}` is not a valid XML name: {reason}; {fix}",
                    name.value
                ),
            );
        }
    };
    check(&contract.name, "contract name", "ICalculator");
    for op in &contract.operations {
        check(&op.name, "operation name", "AddTo");
        for param in &op.params {
            check(&param.wire_name, "parameter name", "value");
        }
    }
}

/// WCF's rules for `Stream` operations: the stream is the whole body (so it is the only
/// parameter), and streamed transfer has no transport session, so streamed operations do not
/// carry one and cannot be in a `session = Required` contract.
fn streamed_operations(contract: &Contract, errors: &mut Errors) {
    for op in &contract.operations {
        let ident = &op.ident;
        let streams = op.params.iter().filter(|p| is_byte_stream(&p.ty)).count();
        if streams > 0 && op.params.len() > 1 {
            for param in op.params.iter().filter(|p| is_byte_stream(&p.ty)) {
                errors.at(
                    param.ident.span(),
                    format!(
                        "a `ByteStream` parameter must be the only parameter of `{ident}`: the \
                         stream is the whole request body (as WCF's `Stream`); move the other \
                         values into the stream, or into an operation of their own"
                    ),
                );
            }
        }
        if let Output::Fallible { ok: Some(ok), .. } = &op.output {
            if is_byte_stream(ok) {
                errors.at(
                    op.output_span,
                    format!(
                        "`{ident}` returns a stream: it cannot also declare a typed fault; \
                         return `ByteStream`"
                    ),
                );
            }
        }
        if op.is_streamed() && contract.session.value == SessionMode::Required {
            errors.at(
                ident.span(),
                format!(
                    "streamed operation `{ident}` does not carry the session (WCF's streamed \
                     transfer has no transport session), so it cannot be in a `session = \
                     Required` contract; use `session = Allowed` or `NotAllowed`, or move the \
                     stream operations into a contract of their own"
                ),
            );
        }
    }
}

/// A copy of a contract that failed `contract` with the inconsistencies that would make the
/// generated code itself fail to compile smoothed over, so the expansion only adds the real error.
pub fn expandable(mut contract: Contract) -> Contract {
    for op in &mut contract.operations {
        // A one-way operation with a result cannot be expanded as one-way.
        if op.one_way.value && !matches!(op.output, Output::Unit) {
            op.one_way.value = false;
        }
    }
    contract
}

#[cfg(test)]
mod tests {
    use quote::quote;
    use syn::parse_quote;

    fn messages(attr: proc_macro2::TokenStream, item: syn::ItemTrait) -> Vec<String> {
        let contract = crate::parse::contract(attr, &item).expect("parses");
        match super::contract(&contract) {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn a_session_calculator_is_consistent() {
        let found = messages(
            quote!(session = Required),
            parse_quote! {
                trait Calculator {
                    #[operation(initiating)]
                    async fn clear(&mut self);
                    #[operation(one_way, initiating = false)]
                    async fn add_to(&mut self, value: f64);
                    // WCF allows one-way terminating and initiating-terminating operations.
                    #[operation(one_way, terminating)]
                    async fn reset(&mut self);
                    #[operation(initiating = false, terminating)]
                    async fn equals(&mut self) -> f64;
                }
            },
        );
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn a_repeated_name_is_reported_once() {
        let found = messages(
            quote!(),
            parse_quote! {
                trait T {
                    #[operation]
                    async fn add_to(&self);
                    #[operation(name = "AddTo")]
                    async fn add(&self);
                }
            },
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with("operation name `AddTo` is already used by `add_to`"));
    }

    #[test]
    fn session_rules() {
        let found = messages(
            quote!(session = Allowed),
            parse_quote! {
                trait T {
                    #[operation(initiating = false, terminating)]
                    async fn only(&self);
                }
            },
        );
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found[0].starts_with("non-initiating"));
        assert!(found[1].starts_with("`terminating` operations need a session"));
        assert!(found[2].contains("sets `session = Allowed` here, but operation `only` needs"));
        assert!(found[3].contains("has no initiating operation"));
    }
}
