//! The keys of `#[service_contract(...)]`, `#[operation(...)]` and `#[param(...)]`: splitting
//! an attribute into keys, reading each value, and the did-you-mean for unknown keys.

use super::*;

/// Which of Indigo's attributes a set of keys belongs to; used in messages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum AttrKind {
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
pub(super) struct Arg {
    pub(super) key: String,
    pub(super) key_span: Span,
    pub(super) meta: Meta,
}

/// Splits an attribute's arguments into keys, reporting unknown and duplicated keys.
/// Returns the known, first-seen keys; on a syntax error the whole list is reported and dropped.
pub(super) fn args(tokens: TokenStream, kind: AttrKind, errors: &mut Errors) -> Vec<Arg> {
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

pub(super) fn example(kind: AttrKind) -> &'static str {
    match kind {
        AttrKind::Contract => "#[service_contract(name = \"ICalculator\", session = Required)]",
        AttrKind::Operation => "#[operation(one_way, initiating = false, name = \"AddTo\")]",
        AttrKind::Param => "#[param(name = \"n\")]",
    }
}

pub(super) fn unknown_key_message(key: &str, kind: AttrKind) -> String {
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
pub(super) fn peel(expr: &Expr) -> &Expr {
    match expr {
        Expr::Group(group) => peel(&group.expr),
        other => other,
    }
}

/// `key = "text"`. Returns the string with the span of the literal.
pub(super) fn string_arg(arg: &Arg, errors: &mut Errors) -> Option<Spanned<String>> {
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
pub(super) fn bool_arg(arg: &Arg, errors: &mut Errors) -> Option<Spanned<bool>> {
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
pub(super) fn session_arg(arg: &Arg, errors: &mut Errors) -> Option<Spanned<SessionMode>> {
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
pub(super) fn non_empty(
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
pub(super) fn is_indigo_attr(attr: &Attribute, name: &str) -> bool {
    let segments: Vec<&syn::PathSegment> = attr.path().segments.iter().collect();
    match segments.as_slice() {
        [only] => only.ident == name,
        [krate, only] => krate.ident == "indigo" && only.ident == name,
        _ => false,
    }
}

pub(super) fn is_operation_attr(attr: &Attribute) -> bool {
    is_indigo_attr(attr, "operation")
}

pub(super) fn is_param_attr(attr: &Attribute) -> bool {
    is_indigo_attr(attr, "param")
}

/// The arguments of `#[operation]` / `#[param]`: nothing for the bare form, the list for
/// `#[x(...)]`; `#[x = ...]` is an error.
pub(super) fn attr_args(attr: &Attribute, kind: AttrKind, errors: &mut Errors) -> Vec<Arg> {
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
pub(super) struct ContractArgs {
    pub(super) name: Option<Spanned<String>>,
    pub(super) namespace: Option<Spanned<String>>,
    pub(super) data_namespace: Option<Spanned<String>>,
    pub(super) session: Option<Spanned<SessionMode>>,
    pub(super) callback: Option<syn::Path>,
}

pub(super) fn contract_args(
    attr: TokenStream,
    default_name: &str,
    errors: &mut Errors,
) -> ContractArgs {
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
            "callback" => out.callback = callback_arg(&arg, errors),
            _ => {}
        }
    }
    out
}

/// `callback = SomeCallback`: the trait of the callback contract (WCF's `CallbackContract`).
fn callback_arg(arg: &Arg, errors: &mut Errors) -> Option<syn::Path> {
    let expected = "`callback` names the callback contract's trait: write e.g. \
                    `callback = ChatCallback`";
    let Meta::NameValue(name_value) = &arg.meta else {
        errors.spanned(&arg.meta, expected);
        return None;
    };
    match peel(&name_value.value) {
        Expr::Path(path)
            if path.qself.is_none()
                && path
                    .path
                    .segments
                    .iter()
                    .all(|segment| matches!(segment.arguments, PathArguments::None)) =>
        {
            Some(path.path.clone())
        }
        other => {
            errors.spanned(other, expected);
            None
        }
    }
}

/// The keys of `#[operation(...)]`.
#[derive(Default)]
pub(super) struct OperationArgs {
    pub(super) name: Option<Spanned<String>>,
    pub(super) action: Option<Spanned<String>>,
    pub(super) reply_action: Option<Spanned<String>>,
    pub(super) one_way: Option<Spanned<bool>>,
    pub(super) initiating: Option<Spanned<bool>>,
    pub(super) terminating: Option<Spanned<bool>>,
}

pub(super) fn operation_args(
    args: Vec<Arg>,
    default_name: &str,
    errors: &mut Errors,
) -> OperationArgs {
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
