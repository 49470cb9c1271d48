//! syn -> model.
//!
//! Everything the user wrote is read here: the `#[service_contract(...)]` keys, each method's
//! `#[operation(...)]` keys and each parameter's `#[param(...)]` keys, plus the shape of the
//! trait and of each signature. Errors are collected (see [`Errors`]) so that one compilation
//! shows every mistake at once; the contract-wide rules live in `check`.

use crate::model::{Contract, Operation, Output, Param, Receiver, SessionMode, Spanned};
use crate::naming;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use std::collections::HashSet;
use std::fmt::Display;
use syn::ext::IdentExt;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{
    Attribute, Expr, ExprLit, FnArg, GenericArgument, ItemTrait, Lit, Meta, Pat, PathArguments,
    ReturnType, Signature, Token, TraitItem, TraitItemFn, Type,
};

/// The keys of `#[service_contract(...)]`.
const CONTRACT_KEYS: &[&str] = &["name", "namespace", "data_namespace", "session"];
/// The keys of `#[operation(...)]`.
const OPERATION_KEYS: &[&str] = &[
    "name",
    "action",
    "reply_action",
    "one_way",
    "initiating",
    "terminating",
];
/// The keys of `#[param(...)]`.
const PARAM_KEYS: &[&str] = &["name"];
/// The values of `session = ...`, in WCF's order.
const SESSION_MODES: &[&str] = &["Required", "Allowed", "NotAllowed"];

const DEFAULT_NAMESPACE: &str = "http://tempuri.org/";
const DEFAULT_DATA_NAMESPACE: &str = "http://schemas.datacontract.org/2004/07/";

/// Collects errors so that parsing and checking go on after a recoverable mistake, and all of
/// them are reported together (serde_derive's `Ctxt`, without the drop bomb: `finish` takes
/// `self`).
#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<syn::Error>,
}

impl Errors {
    pub(crate) fn new() -> Self {
        Errors::default()
    }

    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// An error at one span.
    pub(crate) fn at(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// An error covering the given tokens (from their first to their last token).
    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.combined {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// Which of Indigo's attributes a set of keys belongs to; used in messages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AttrKind {
    Contract,
    Operation,
    Param,
}

impl AttrKind {
    fn label(self) -> &'static str {
        match self {
            AttrKind::Contract => "#[service_contract]",
            AttrKind::Operation => "#[operation]",
            AttrKind::Param => "#[param]",
        }
    }

    fn keys(self) -> &'static [&'static str] {
        match self {
            AttrKind::Contract => CONTRACT_KEYS,
            AttrKind::Operation => OPERATION_KEYS,
            AttrKind::Param => PARAM_KEYS,
        }
    }
}

/// One `key`, `key = value` or `key(...)` inside one of our attributes.
struct Arg {
    key: String,
    key_span: Span,
    meta: Meta,
}

/// Splits an attribute's arguments into keys, reporting unknown and duplicated keys.
/// Returns the known, first-seen keys; on a syntax error the whole list is reported and dropped.
fn args(tokens: TokenStream, kind: AttrKind, errors: &mut Errors) -> Vec<Arg> {
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(metas) => metas,
        Err(error) => {
            errors.push(syn::Error::new(
                error.span(),
                format!(
                    "{error}; {} takes `key = \"value\"` or flag keys separated by commas, e.g. {}",
                    kind.label(),
                    example(kind)
                ),
            ));
            return Vec::new();
        }
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for meta in metas {
        let path = meta.path();
        let Some(ident) = path.get_ident() else {
            errors.spanned(
                path,
                format!(
                    "unknown key `{}` in {}; the keys are {}",
                    path.to_token_stream().to_string().replace(' ', ""),
                    kind.label(),
                    naming::one_of(kind.keys())
                ),
            );
            continue;
        };
        let key = ident.unraw().to_string();
        if !kind.keys().contains(&key.as_str()) {
            errors.at(ident.span(), unknown_key_message(&key, kind));
            continue;
        }
        if !seen.insert(key.clone()) {
            errors.at(
                ident.span(),
                format!("`{key}` is set twice in {}; remove one", kind.label()),
            );
            continue;
        }
        out.push(Arg {
            key,
            key_span: ident.span(),
            meta,
        });
    }
    out
}

fn example(kind: AttrKind) -> &'static str {
    match kind {
        AttrKind::Contract => "#[service_contract(name = \"ICalculator\", session = Required)]",
        AttrKind::Operation => "#[operation(one_way, initiating = false, name = \"AddTo\")]",
        AttrKind::Param => "#[param(name = \"n\")]",
    }
}

fn unknown_key_message(key: &str, kind: AttrKind) -> String {
    let mut message = format!("unknown key `{key}` in {}", kind.label());
    let elsewhere = [AttrKind::Contract, AttrKind::Operation, AttrKind::Param]
        .into_iter()
        .find(|other| *other != kind && other.keys().contains(&key));
    if let Some(other) = elsewhere {
        message.push_str(&format!(
            "; `{key}` belongs in {}, not in {}",
            other.label(),
            kind.label()
        ));
    } else if let Some(suggestion) = naming::did_you_mean(key, kind.keys()) {
        message.push_str(&format!("; did you mean `{suggestion}`?"));
    } else {
        message.push_str(&format!("; the keys are {}", naming::one_of(kind.keys())));
    }
    message
}

/// Looks through invisible groups (tokens passed through `macro_rules!`).
fn peel(expr: &Expr) -> &Expr {
    match expr {
        Expr::Group(group) => peel(&group.expr),
        other => other,
    }
}

/// `key = "text"`. Returns the string with the span of the literal.
fn string_arg(arg: &Arg, errors: &mut Errors) -> Option<Spanned<String>> {
    if let Meta::NameValue(name_value) = &arg.meta {
        if let Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) = peel(&name_value.value)
        {
            return Some(Spanned::explicit(lit.value(), lit.span()));
        }
        errors.spanned(
            &name_value.value,
            format!(
                "`{}` takes a string literal: write `{} = \"...\"`",
                arg.key, arg.key
            ),
        );
    } else {
        errors.spanned(
            &arg.meta,
            format!(
                "`{}` takes a string literal: write `{} = \"...\"`",
                arg.key, arg.key
            ),
        );
    }
    None
}

/// `key` (true), `key = true` or `key = false`. Returns the value with the span of the key.
fn bool_arg(arg: &Arg, errors: &mut Errors) -> Option<Spanned<bool>> {
    let message = format!(
        "`{}` takes a bool: write `{}` or `{} = false`",
        arg.key, arg.key, arg.key
    );
    match &arg.meta {
        Meta::Path(_) => return Some(Spanned::explicit(true, arg.key_span)),
        Meta::NameValue(name_value) => {
            if let Expr::Lit(ExprLit {
                lit: Lit::Bool(lit),
                ..
            }) = peel(&name_value.value)
            {
                return Some(Spanned::explicit(lit.value, arg.key_span));
            }
            errors.spanned(&name_value.value, message);
        }
        Meta::List(list) => errors.spanned(list, message),
    }
    None
}

/// `session = Required`, also `session = SessionMode::Required` (any path ending so).
/// Returns the mode with the span of the value.
fn session_arg(arg: &Arg, errors: &mut Errors) -> Option<Spanned<SessionMode>> {
    let expected = format!(
        "`session` is {}: write e.g. `session = Required`",
        naming::one_of(SESSION_MODES)
    );
    let Meta::NameValue(name_value) = &arg.meta else {
        errors.spanned(&arg.meta, expected);
        return None;
    };
    let value = peel(&name_value.value);
    let written = match value {
        Expr::Path(path) if path.qself.is_none() => {
            let segments: Vec<&syn::PathSegment> = path.path.segments.iter().collect();
            let plain = segments
                .iter()
                .all(|segment| matches!(segment.arguments, PathArguments::None));
            // `Required`, or `SessionMode::Required` with any leading path.
            let prefix_ok = segments.len() == 1
                || segments
                    .iter()
                    .rev()
                    .nth(1)
                    .is_some_and(|segment| segment.ident == "SessionMode");
            match segments.last() {
                Some(last) if plain && prefix_ok => Some(last.ident.unraw().to_string()),
                _ => None,
            }
        }
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => {
            // A string is a near miss: say how to write it.
            let text = lit.value();
            if SESSION_MODES.contains(&text.as_str()) {
                errors.spanned(
                    lit,
                    format!("`session` takes a name, not a string: write `session = {text}`"),
                );
                return None;
            }
            Some(text)
        }
        _ => None,
    };
    let mode = match written.as_deref() {
        Some("Required") => Some(SessionMode::Required),
        Some("Allowed") => Some(SessionMode::Allowed),
        Some("NotAllowed") => Some(SessionMode::NotAllowed),
        _ => None,
    };
    match mode {
        Some(mode) => Some(Spanned::explicit(mode, value.span())),
        None => {
            let suggestion = written
                .as_deref()
                .and_then(|written| naming::did_you_mean(written, SESSION_MODES));
            let message = match suggestion {
                Some(suggestion) => format!("{expected}; did you mean `{suggestion}`?"),
                None => expected,
            };
            errors.spanned(value, message);
            None
        }
    }
}

/// Reports an empty `name = ""` and drops it, so the default applies for the rest of the pass.
fn non_empty(
    value: Option<Spanned<String>>,
    key: &str,
    default_hint: &str,
    errors: &mut Errors,
) -> Option<Spanned<String>> {
    match value {
        Some(value) if value.value.is_empty() => {
            errors.at(
                value.span,
                format!("`{key}` cannot be empty; write {default_hint}, or remove the key"),
            );
            None
        }
        other => other,
    }
}

/// Whether `attr` is `#[name]`, `#[name(...)]` or the same through `indigo::` / `::indigo::`.
fn is_indigo_attr(attr: &Attribute, name: &str) -> bool {
    let segments: Vec<&syn::PathSegment> = attr.path().segments.iter().collect();
    match segments.as_slice() {
        [only] => only.ident == name,
        [krate, only] => krate.ident == "indigo" && only.ident == name,
        _ => false,
    }
}

fn is_operation_attr(attr: &Attribute) -> bool {
    is_indigo_attr(attr, "operation")
}

fn is_param_attr(attr: &Attribute) -> bool {
    is_indigo_attr(attr, "param")
}

/// The arguments of `#[operation]` / `#[param]`: nothing for the bare form, the list for
/// `#[x(...)]`; `#[x = ...]` is an error.
fn attr_args(attr: &Attribute, kind: AttrKind, errors: &mut Errors) -> Vec<Arg> {
    match &attr.meta {
        Meta::Path(_) => Vec::new(),
        Meta::List(list) => args(list.tokens.clone(), kind, errors),
        Meta::NameValue(name_value) => {
            errors.spanned(
                name_value,
                format!(
                    "write {} or {}",
                    kind.label(),
                    example(kind).replace('\\', "")
                ),
            );
            Vec::new()
        }
    }
}

/// The keys of `#[service_contract(...)]`.
#[derive(Default)]
struct ContractArgs {
    name: Option<Spanned<String>>,
    namespace: Option<Spanned<String>>,
    data_namespace: Option<Spanned<String>>,
    session: Option<Spanned<SessionMode>>,
}

fn contract_args(attr: TokenStream, default_name: &str, errors: &mut Errors) -> ContractArgs {
    let mut out = ContractArgs::default();
    for arg in args(attr, AttrKind::Contract, errors) {
        match arg.key.as_str() {
            "name" => {
                out.name = non_empty(
                    string_arg(&arg, errors),
                    "name",
                    &format!("a contract name like `name = \"{default_name}\"`"),
                    errors,
                );
            }
            "namespace" => out.namespace = string_arg(&arg, errors),
            "data_namespace" => out.data_namespace = string_arg(&arg, errors),
            "session" => out.session = session_arg(&arg, errors),
            _ => {}
        }
    }
    out
}

/// The keys of `#[operation(...)]`.
#[derive(Default)]
struct OperationArgs {
    name: Option<Spanned<String>>,
    action: Option<Spanned<String>>,
    reply_action: Option<Spanned<String>>,
    one_way: Option<Spanned<bool>>,
    initiating: Option<Spanned<bool>>,
    terminating: Option<Spanned<bool>>,
}

fn operation_args(args: Vec<Arg>, default_name: &str, errors: &mut Errors) -> OperationArgs {
    let mut out = OperationArgs::default();
    for arg in args {
        match arg.key.as_str() {
            "name" => {
                out.name = non_empty(
                    string_arg(&arg, errors),
                    "name",
                    &format!("an operation name like `name = \"{default_name}\"`"),
                    errors,
                );
            }
            "action" => {
                out.action = non_empty(
                    string_arg(&arg, errors),
                    "action",
                    "an action URI like `action = \"urn:example/Service/Operation\"`",
                    errors,
                );
            }
            "reply_action" => {
                out.reply_action = non_empty(
                    string_arg(&arg, errors),
                    "reply_action",
                    "an action URI like `reply_action = \"urn:example/Service/OperationResponse\"`",
                    errors,
                );
            }
            "one_way" => out.one_way = bool_arg(&arg, errors),
            "initiating" => out.initiating = bool_arg(&arg, errors),
            "terminating" => out.terminating = bool_arg(&arg, errors),
            _ => {}
        }
    }
    out
}

/// Reads a `#[service_contract]` trait into the model. Errors are collected; on any error no
/// model is returned (the contract-wide rules in `check` then do not run).
pub fn contract(attr: TokenStream, item: &ItemTrait) -> syn::Result<Contract> {
    let mut errors = Errors::new();
    let trait_name = item.ident.unraw().to_string();
    let args = contract_args(attr, &trait_name, &mut errors);
    trait_shape(item, &mut errors);

    let name = args
        .name
        .unwrap_or_else(|| Spanned::default_at(trait_name, item.ident.span()));
    let namespace = args
        .namespace
        .unwrap_or_else(|| Spanned::default_at(DEFAULT_NAMESPACE.to_owned(), item.ident.span()));
    let data_namespace = args.data_namespace.unwrap_or_else(|| {
        Spanned::default_at(DEFAULT_DATA_NAMESPACE.to_owned(), item.ident.span())
    });
    let session = args
        .session
        .unwrap_or_else(|| Spanned::default_at(SessionMode::Allowed, item.ident.span()));

    let mut operations = Vec::new();
    for trait_item in &item.items {
        match trait_item {
            TraitItem::Fn(method) => {
                operations.push(operation(
                    method,
                    &name.value,
                    &namespace.value,
                    &mut errors,
                ));
            }
            TraitItem::Const(item) => errors.spanned(
                pair(&item.const_token, &item.ident),
                not_an_operation("an associated const"),
            ),
            TraitItem::Type(item) => errors.spanned(
                pair(&item.type_token, &item.ident),
                not_an_operation("an associated type"),
            ),
            TraitItem::Macro(item) => {
                errors.spanned(&item.mac.path, not_an_operation("a macro invocation"))
            }
            other => errors.spanned(other, not_an_operation("this item")),
        }
    }

    errors.finish()?;
    Ok(Contract {
        attrs: item.attrs.clone(),
        vis: item.vis.clone(),
        ident: item.ident.clone(),
        name,
        namespace,
        data_namespace,
        session,
        operations,
    })
}

/// Two token groups as one, for an error that spans from the first to the second.
fn pair(first: &impl ToTokens, second: &impl ToTokens) -> TokenStream {
    let mut tokens = first.to_token_stream();
    second.to_tokens(&mut tokens);
    tokens
}

fn not_an_operation(what: &str) -> String {
    format!(
        "a service contract can only contain #[operation] methods; move {what} out of the trait"
    )
}

/// Rejects trait features a contract cannot express on the wire.
fn trait_shape(item: &ItemTrait, errors: &mut Errors) {
    if let Some(token) = &item.unsafety {
        errors.spanned(
            token,
            "a service contract trait cannot be `unsafe`; remove `unsafe`",
        );
    }
    if let Some(token) = &item.auto_token {
        errors.spanned(
            token,
            "a service contract trait cannot be an `auto trait`; remove `auto`",
        );
    }
    if !item.generics.params.is_empty() {
        errors.spanned(
            &item.generics,
            "a service contract trait cannot have generic parameters: every message needs a \
             concrete type; remove the `<...>` and use concrete types in the operations",
        );
    }
    if let Some(where_clause) = &item.generics.where_clause {
        errors.spanned(
            where_clause,
            "a service contract trait cannot have a `where` clause; remove it",
        );
    }
    if item.colon_token.is_some() || !item.supertraits.is_empty() {
        let tokens = match &item.colon_token {
            Some(colon) => {
                let supertraits = &item.supertraits;
                quote!(#colon #supertraits)
            }
            None => item.supertraits.to_token_stream(),
        };
        errors.spanned(
            tokens,
            "a service contract trait cannot have supertraits; remove the `: ...` bounds \
             (Indigo adds the bounds the generated code needs)",
        );
    }
}

/// Reads one method. Mistakes are reported and the method still yields an operation (with
/// defaults where the user's value was unusable), so later mistakes are found in the same pass.
fn operation(
    method: &TraitItemFn,
    contract_name: &str,
    namespace: &str,
    errors: &mut Errors,
) -> Operation {
    let sig = &method.sig;
    let ident = &sig.ident;
    let rust_name = ident.unraw().to_string();
    let default_name = naming::pascal_case(&rust_name);

    // #[operation(...)]: exactly one.
    let mut op_attrs = method.attrs.iter().filter(|attr| is_operation_attr(attr));
    let op_args = match op_attrs.next() {
        Some(attr) => operation_args(
            attr_args(attr, AttrKind::Operation, errors),
            &default_name,
            errors,
        ),
        None => {
            errors.spanned(
                pair(&sig.fn_token, ident),
                format!(
                    "every method of a service contract must be an #[operation]; add \
                     `#[operation]` above `fn {rust_name}`"
                ),
            );
            OperationArgs::default()
        }
    };
    for extra in op_attrs {
        errors.spanned(
            extra,
            format!(
                "#[operation] is given twice on `{rust_name}`; merge the keys into one \
                 #[operation(...)]"
            ),
        );
    }
    let attrs: Vec<Attribute> = method
        .attrs
        .iter()
        .filter(|attr| !is_operation_attr(attr))
        .cloned()
        .collect();

    signature_shape(sig, &rust_name, errors);
    let receiver = receiver(sig, &rust_name, errors);
    let params = params(sig, errors);
    let (output, output_span) = output(sig, errors);

    if let Some(body) = &method.default {
        errors.spanned(
            body,
            format!(
                "operations have no default body; remove the body of `{rust_name}` and end \
                 the signature with `;`"
            ),
        );
    }

    let name = op_args
        .name
        .unwrap_or_else(|| Spanned::default_at(default_name, ident.span()));
    let action = op_args.action.unwrap_or_else(|| {
        Spanned::default_at(
            naming::action(namespace, contract_name, &name.value),
            ident.span(),
        )
    });
    let reply_action = op_args
        .reply_action
        .unwrap_or_else(|| Spanned::default_at(naming::reply_action(&action.value), ident.span()));
    Operation {
        attrs,
        ident: ident.clone(),
        name,
        action,
        reply_action,
        one_way: op_args
            .one_way
            .unwrap_or_else(|| Spanned::default_at(false, ident.span())),
        initiating: op_args
            .initiating
            .unwrap_or_else(|| Spanned::default_at(true, ident.span())),
        terminating: op_args
            .terminating
            .unwrap_or_else(|| Spanned::default_at(false, ident.span())),
        receiver: receiver.unwrap_or(Receiver::Shared),
        params,
        output,
        output_span,
    }
}

/// `async`, not `const`/`unsafe`/`extern`, not generic, not variadic.
fn signature_shape(sig: &Signature, rust_name: &str, errors: &mut Errors) {
    if let Some(token) = &sig.constness {
        errors.spanned(
            token,
            format!("operation `{rust_name}` cannot be a `const fn`; remove `const`"),
        );
    }
    if let Some(token) = &sig.unsafety {
        errors.spanned(
            token,
            format!("operation `{rust_name}` cannot be an `unsafe fn`; remove `unsafe`"),
        );
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(
            abi,
            format!(
                "operation `{rust_name}` cannot have an ABI; remove `{}`",
                abi.to_token_stream()
            ),
        );
    }
    if sig.asyncness.is_none() {
        errors.spanned(
            pair(&sig.fn_token, &sig.ident),
            format!(
                "operation `{rust_name}` must be an `async fn`: write `async fn {rust_name}(...)`"
            ),
        );
    }
    if !sig.generics.params.is_empty() {
        errors.spanned(
            &sig.generics,
            format!(
                "operation `{rust_name}` cannot be generic: its messages need concrete types; \
                 remove the `<...>` and use concrete types"
            ),
        );
    } else if let Some(where_clause) = &sig.generics.where_clause {
        errors.spanned(
            where_clause,
            format!("operation `{rust_name}` cannot have a `where` clause; remove it"),
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(
            variadic,
            "operations cannot be variadic; remove the `...` and list the parameters",
        );
    }
}

const RECEIVER_HINT: &str = "write `&self` (calls on one instance may run concurrently) or \
                             `&mut self` (calls on one instance run one at a time)";

fn receiver(sig: &Signature, rust_name: &str, errors: &mut Errors) -> Option<Receiver> {
    let receiver = match sig.inputs.first() {
        Some(FnArg::Receiver(receiver)) => receiver,
        _ => {
            errors.at(
                sig.paren_token.span.join(),
                format!("operation `{rust_name}` needs a receiver: {RECEIVER_HINT}"),
            );
            return None;
        }
    };
    for attr in &receiver.attrs {
        errors.spanned(attr, "attributes aren't allowed on the receiver; remove it");
    }
    if receiver.colon_token.is_some() {
        let ty = &receiver.ty;
        errors.spanned(
            pair(&receiver.self_token, ty),
            format!("operations take a plain receiver, not `self: Type`; {RECEIVER_HINT}"),
        );
        return None;
    }
    match (&receiver.reference, &receiver.mutability) {
        (Some(_), None) => Some(Receiver::Shared),
        (Some(_), Some(_)) => Some(Receiver::Exclusive),
        (None, mutability) => {
            errors.spanned(
                pair(mutability, &receiver.self_token),
                format!(
                    "operations cannot take `self` by value: the service instance outlives the \
                     call; {RECEIVER_HINT}"
                ),
            );
            None
        }
    }
}

fn params(sig: &Signature, errors: &mut Errors) -> Vec<Param> {
    let mut out = Vec::new();
    for (index, input) in sig.inputs.iter().enumerate() {
        let typed = match input {
            FnArg::Typed(typed) => typed,
            FnArg::Receiver(receiver) => {
                if index > 0 {
                    errors.spanned(
                        receiver,
                        "the receiver must be the first parameter; move it to the front",
                    );
                }
                continue;
            }
        };

        let mut wire_name = None;
        let mut seen_param_attr = false;
        for attr in &typed.attrs {
            if !is_param_attr(attr) {
                errors.spanned(
                    attr,
                    "only #[param(name = \"...\")] is allowed on operation parameters; remove \
                     this attribute",
                );
                continue;
            }
            if seen_param_attr {
                errors.spanned(
                    attr,
                    "#[param] is given twice on this parameter; merge the keys into one \
                     #[param(...)]",
                );
                continue;
            }
            seen_param_attr = true;
            for arg in attr_args(attr, AttrKind::Param, errors) {
                if arg.key == "name" {
                    wire_name = non_empty(
                        string_arg(&arg, errors),
                        "name",
                        "a parameter name like `name = \"value\"`",
                        errors,
                    );
                }
            }
        }

        let ident = match &*typed.pat {
            Pat::Ident(pat)
                if pat.by_ref.is_none() && pat.mutability.is_none() && pat.subpat.is_none() =>
            {
                Some(pat.ident.clone())
            }
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                let name = pat.ident.unraw();
                errors.spanned(
                    pat,
                    format!(
                        "`mut` isn't allowed on operation parameters (there is no body to \
                         mutate them in); write `{name}: T`"
                    ),
                );
                None
            }
            other => {
                errors.spanned(
                    other,
                    "patterns aren't allowed in operation parameters; use a plain name like \
                     `value: T`",
                );
                None
            }
        };

        if let Some(span) = find_impl(typed.ty.to_token_stream()) {
            errors.at(
                span,
                "`impl Trait` isn't allowed in operation parameters: the parameter is \
                 deserialised from a message, so it needs a concrete type",
            );
        }

        if let Some(span) = find_borrow(typed.ty.to_token_stream()) {
            errors.at(
                span,
                "operation parameters must be owned types: each call's arguments are \
                 deserialised from its message and handed to a task, so nothing can borrow from \
                 them; write `String` for `&str`, `Vec<T>` for `&[T]`, or `T` for `&T`",
            );
        }

        if let Some(ident) = ident {
            let wire_name = wire_name.unwrap_or_else(|| {
                Spanned::default_at(naming::camel_case(&ident.unraw().to_string()), ident.span())
            });
            out.push(Param {
                ident,
                ty: (*typed.ty).clone(),
                wire_name,
            });
        }
    }
    out
}

/// The span of the first `impl` keyword in a type, if any.
fn find_impl(tokens: TokenStream) -> Option<Span> {
    tokens.into_iter().find_map(|tree| match tree {
        TokenTree::Ident(ident) if ident == "impl" => Some(ident.span()),
        TokenTree::Group(group) => find_impl(group.stream()),
        _ => None,
    })
}

/// The span of the first borrow (`&` or a lifetime) in a type, if any.
fn find_borrow(tokens: TokenStream) -> Option<Span> {
    tokens.into_iter().find_map(|tree| match tree {
        TokenTree::Punct(punct) if punct.as_char() == '&' || punct.as_char() == '\'' => {
            Some(punct.span())
        }
        TokenTree::Group(group) => find_borrow(group.stream()),
        _ => None,
    })
}

/// Looks through invisible groups and parentheses.
fn peel_type(ty: &Type) -> &Type {
    match ty {
        Type::Group(group) => peel_type(&group.elem),
        Type::Paren(paren) => peel_type(&paren.elem),
        other => other,
    }
}

/// The generic type arguments of the last segment of `ty` if it is named `name`.
fn generic_args_of<'a>(ty: &'a Type, name: &str) -> Option<Vec<&'a Type>> {
    let Type::Path(path) = peel_type(ty) else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args
        .iter()
        .map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect()
}

fn is_unit(ty: &Type) -> bool {
    matches!(peel_type(ty), Type::Tuple(tuple) if tuple.elems.is_empty())
}

fn output(sig: &Signature, errors: &mut Errors) -> (Output, Span) {
    let ty = match &sig.output {
        ReturnType::Default => return (Output::Unit, sig.ident.span()),
        ReturnType::Type(_, ty) => &**ty,
    };
    let span = ty.span();
    if let Some(impl_span) = find_impl(ty.to_token_stream()) {
        errors.at(
            impl_span,
            "`impl Trait` isn't allowed in an operation's return type: the reply is serialised \
             into a message, so it needs a concrete type (write the value type; the method is \
             already `async`)",
        );
    }
    if let Some(borrow_span) = find_borrow(ty.to_token_stream()) {
        errors.at(
            borrow_span,
            "an operation must return an owned type: the result is serialised into a reply \
             after the call returns; write `String` for `&str`, `Vec<T>` for `&[T]`, or `T` for `&T`",
        );
    }
    if is_unit(ty) {
        return (Output::Unit, span);
    }
    let fallible = generic_args_of(ty, "Result")
        .filter(|args| args.len() == 2)
        .and_then(|args| {
            let fault = generic_args_of(args[1], "Fault").filter(|fault| fault.len() == 1)?;
            Some((args[0], fault[0]))
        });
    let Some((ok, detail)) = fallible else {
        return (Output::Value(Box::new(ty.clone())), span);
    };
    let detail_name = match peel_type(detail) {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .map(|segment| segment.ident.unraw().to_string()),
        _ => None,
    };
    let detail_name = match detail_name {
        Some(name) => name,
        None => {
            errors.spanned(
                detail,
                "the fault detail must be a named type, e.g. `Fault<DivideByZero>` with \
                 `struct DivideByZero { ... }`: WCF names the fault after it",
            );
            String::new()
        }
    };
    let ok = if is_unit(ok) {
        None
    } else {
        Some(Box::new(ok.clone()))
    };
    (
        Output::Fallible {
            declared: Box::new(ty.clone()),
            ok,
            detail: Box::new(detail.clone()),
            detail_name,
        },
        span,
    )
}

/// Attributes rustc itself accepts on a parameter; `contract` rejects them, but the fallback
/// keeps them so that the trait keeps its shape (a `#[cfg]` may remove a parameter).
fn is_builtin_param_attr(attr: &Attribute) -> bool {
    [
        "cfg", "cfg_attr", "allow", "warn", "deny", "forbid", "expect",
    ]
    .iter()
    .any(|name| attr.path().is_ident(name))
}

/// Removes `#[operation]` from methods and `#[param]` from parameters, so that the trait can be
/// emitted as plain Rust when the contract has errors.
///
/// It also removes what `contract` reported and rustc would report a second time in a body-less
/// trait method (parameter patterns, `mut` bindings, `...`, `const fn`) or could not resolve
/// (other attributes on parameters), so the user sees each mistake once.
pub fn strip_indigo_attributes(item: &mut ItemTrait) {
    // `auto trait` is unstable; the error for it has been reported.
    item.auto_token = None;
    for trait_item in &mut item.items {
        let TraitItem::Fn(method) = trait_item else {
            match trait_item {
                TraitItem::Const(item) => item.attrs.retain(|attr| !is_operation_attr(attr)),
                TraitItem::Type(item) => item.attrs.retain(|attr| !is_operation_attr(attr)),
                TraitItem::Macro(item) => item.attrs.retain(|attr| !is_operation_attr(attr)),
                _ => {}
            }
            continue;
        };
        method.attrs.retain(|attr| !is_operation_attr(attr));
        method.sig.constness = None;
        method.sig.variadic = None;
        for input in &mut method.sig.inputs {
            match input {
                FnArg::Receiver(receiver) => {
                    receiver.attrs.retain(|attr| !is_param_attr(attr));
                    if receiver.reference.is_none() && receiver.colon_token.is_none() {
                        receiver.mutability = None;
                    }
                }
                FnArg::Typed(typed) => {
                    typed.attrs.retain(is_builtin_param_attr);
                    let plain = matches!(
                        &*typed.pat,
                        Pat::Ident(pat) if pat.by_ref.is_none()
                            && pat.mutability.is_none()
                            && pat.subpat.is_none()
                    );
                    if !plain {
                        *typed.pat = Pat::Wild(syn::PatWild {
                            attrs: Vec::new(),
                            underscore_token: Token![_](typed.pat.span()),
                        });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn parse(attr: TokenStream, item: ItemTrait) -> syn::Result<Contract> {
        contract(attr, &item)
    }

    #[test]
    fn calculator() {
        let contract = parse(
            quote!(name = "ICalculator", namespace = "http://example.org/", session = Required),
            parse_quote! {
                /// A calculator.
                pub trait Calculator {
                    /// Clears.
                    #[operation(initiating)]
                    async fn clear(&mut self);
                    #[operation(one_way, initiating = false)]
                    async fn add_to(&mut self, #[param(name = "n")] value: f64, first_value: i32);
                    #[operation(initiating = false, terminating, name = "Equals", action = "urn:x", reply_action = "urn:y")]
                    async fn equals(&mut self) -> f64;
                    #[indigo::operation]
                    async fn divide(&self, a: f64, b: f64) -> Result<f64, indigo::Fault<DivideByZero>>;
                    #[operation]
                    async fn check(&self) -> Result<(), Fault<Bad>>;
                    #[operation]
                    async fn r#type(&self) -> ();
                }
            },
        )
        .unwrap();
        assert_eq!(contract.name.value, "ICalculator");
        assert!(contract.name.explicit);
        assert_eq!(contract.namespace.value, "http://example.org/");
        assert_eq!(
            contract.data_namespace.value,
            "http://schemas.datacontract.org/2004/07/"
        );
        assert!(!contract.data_namespace.explicit);
        assert_eq!(contract.session.value, SessionMode::Required);
        assert_eq!(contract.attrs.len(), 1);
        let ops = &contract.operations;
        assert_eq!(ops.len(), 6);

        assert_eq!(ops[0].name.value, "Clear");
        assert!(!ops[0].name.explicit);
        assert_eq!(ops[0].attrs.len(), 1);
        assert_eq!(ops[0].action.value, "http://example.org/ICalculator/Clear");
        assert_eq!(
            ops[0].reply_action.value,
            "http://example.org/ICalculator/ClearResponse"
        );
        assert!(ops[0].initiating.value && ops[0].initiating.explicit);
        assert_eq!(ops[0].receiver, Receiver::Exclusive);
        assert!(matches!(ops[0].output, Output::Unit));

        assert_eq!(ops[1].name.value, "AddTo");
        assert!(ops[1].one_way.value);
        assert!(!ops[1].initiating.value);
        assert!(!ops[1].terminating.value && !ops[1].terminating.explicit);
        assert_eq!(ops[1].params.len(), 2);
        assert_eq!(ops[1].params[0].wire_name.value, "n");
        assert!(ops[1].params[0].wire_name.explicit);
        assert_eq!(ops[1].params[1].wire_name.value, "firstValue");
        assert!(!ops[1].params[1].wire_name.explicit);

        assert_eq!(ops[2].name.value, "Equals");
        assert_eq!(ops[2].action.value, "urn:x");
        assert_eq!(ops[2].reply_action.value, "urn:y");
        assert!(ops[2].terminating.value);
        assert!(matches!(ops[2].output, Output::Value(_)));

        assert_eq!(ops[3].receiver, Receiver::Shared);
        match &ops[3].output {
            Output::Fallible {
                ok, detail_name, ..
            } => {
                assert!(ok.is_some());
                assert_eq!(detail_name, "DivideByZero");
            }
            other => panic!("{other:?}"),
        }
        match &ops[4].output {
            Output::Fallible {
                ok, detail_name, ..
            } => {
                assert!(ok.is_none());
                assert_eq!(detail_name, "Bad");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ops[5].name.value, "Type");
        assert!(matches!(ops[5].output, Output::Unit));
    }

    #[test]
    fn defaults() {
        let contract = parse(
            TokenStream::new(),
            parse_quote! {
                trait Echo {
                    #[operation]
                    async fn echo(&self, text: String) -> String;
                }
            },
        )
        .unwrap();
        assert_eq!(contract.name.value, "Echo");
        assert_eq!(contract.namespace.value, "http://tempuri.org/");
        assert_eq!(contract.session.value, SessionMode::Allowed);
        assert!(!contract.session.explicit);
        let op = &contract.operations[0];
        assert_eq!(op.action.value, "http://tempuri.org/Echo/Echo");
        assert_eq!(
            op.reply_action.value,
            "http://tempuri.org/Echo/EchoResponse"
        );
        assert!(op.initiating.value && !op.initiating.explicit);
        assert!(!op.one_way.value);
    }

    #[test]
    fn session_path_forms_and_namespaces() {
        for (attr, mode) in [
            (
                quote!(session = SessionMode::NotAllowed),
                SessionMode::NotAllowed,
            ),
            (
                quote!(session = indigo::SessionMode::Required),
                SessionMode::Required,
            ),
            (quote!(session = Allowed), SessionMode::Allowed),
        ] {
            let contract = parse(
                attr,
                parse_quote!(
                    trait T {}
                ),
            )
            .unwrap();
            assert_eq!(contract.session.value, mode);
        }
        let contract = parse(
            quote!(namespace = "urn:calc", name = "C"),
            parse_quote!(
                trait T {
                    #[operation]
                    async fn add_to(&self);
                }
            ),
        )
        .unwrap();
        assert_eq!(contract.operations[0].action.value, "urn:calc/C/AddTo");
        let contract = parse(
            quote!(namespace = ""),
            parse_quote!(
                trait T {
                    #[operation(action = "a")]
                    async fn add_to(&self);
                }
            ),
        )
        .unwrap();
        assert_eq!(contract.operations[0].action.value, "a");
        assert_eq!(contract.operations[0].reply_action.value, "aResponse");
    }

    fn messages(attr: TokenStream, item: ItemTrait) -> Vec<String> {
        match parse(attr, item) {
            Ok(_) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn errors_are_collected() {
        let found = messages(
            quote!(sesion = Required, name = 5),
            parse_quote! {
                trait T {
                    #[operation(initating, one_way = 1, name = "A", name = "B")]
                    fn a(self, (x, y): (i32, i32), f: impl Fn());
                    async fn b(&self);
                    const C: u8;
                }
            },
        );
        let expected = [
            "unknown key `sesion` in #[service_contract]; did you mean `session`?",
            "`name` takes a string literal",
            "unknown key `initating` in #[operation]; did you mean `initiating`?",
            "`name` is set twice in #[operation]",
            "`one_way` takes a bool",
            "must be an `async fn`",
            "operations cannot take `self` by value",
            "patterns aren't allowed",
            "`impl Trait` isn't allowed",
            "every method of a service contract must be an #[operation]",
            "a service contract can only contain #[operation] methods",
        ];
        for part in expected {
            assert!(
                found.iter().any(|message| message.contains(part)),
                "missing {part:?} in {found:#?}"
            );
        }
        assert_eq!(found.len(), expected.len(), "{found:#?}");
    }

    #[test]
    fn key_in_the_wrong_attribute() {
        let found = messages(
            quote!(one_way),
            parse_quote!(
                trait T {
                    #[operation(session = Required)]
                    async fn a(&self);
                }
            ),
        );
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].contains("`one_way` belongs in #[operation]"));
        assert!(found[1].contains("`session` belongs in #[service_contract]"));
    }

    #[test]
    fn strip_removes_only_ours() {
        let mut item: ItemTrait = parse_quote! {
            trait T {
                /// doc
                #[operation(one_way)]
                #[cfg(all())]
                async fn a(&self, #[param(name = "x")] #[indigo::param] y: i32);
                #[indigo::operation]
                async fn b(&self);
            }
        };
        strip_indigo_attributes(&mut item);
        let expected: ItemTrait = parse_quote! {
            trait T {
                /// doc
                #[cfg(all())]
                async fn a(&self, y: i32);
                async fn b(&self);
            }
        };
        assert_eq!(
            item.to_token_stream().to_string(),
            expected.to_token_stream().to_string()
        );
    }
}
