//! One trait method as an operation: its receiver, parameters and output, and what a
//! signature may not have.

use super::*;

/// Reads one method. Mistakes are reported and the method still yields an operation (with
/// defaults where the user's value was unusable), so later mistakes are found in the same pass.
pub(super) fn operation(
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
pub(super) fn signature_shape(sig: &Signature, rust_name: &str, errors: &mut Errors) {
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

pub(super) const RECEIVER_HINT: &str =
    "write `&self` (calls on one instance may run concurrently) or \
                             `&mut self` (calls on one instance run one at a time)";

pub(super) fn receiver(sig: &Signature, rust_name: &str, errors: &mut Errors) -> Option<Receiver> {
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

pub(super) fn params(sig: &Signature, errors: &mut Errors) -> Vec<Param> {
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

pub(super) fn output(sig: &Signature, errors: &mut Errors) -> (Output, Span) {
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
    let Some((ok, error)) = result_args(ty, errors) else {
        return (Output::Value(Box::new(ty.clone())), span);
    };
    let (detail, detail_name) = match fault_detail(error) {
        Some(FaultKind::Untyped) => (syn::parse_quote!(()), None),
        Some(FaultKind::Typed(detail)) => {
            let name = match peel_type(detail) {
                Type::Path(path) if path.qself.is_none() => path
                    .path
                    .segments
                    .last()
                    .map(|segment| segment.ident.unraw().to_string()),
                _ => None,
            };
            if name.is_none() {
                errors.spanned(
                    detail,
                    "the fault detail must be a named type, e.g. `Fault<DivideByZero>` with \
                     `struct DivideByZero { ... }`: WCF names the fault after it (for a fault \
                     without detail, write `Fault`)",
                );
            }
            (detail.clone(), Some(name.unwrap_or_default()))
        }
        None => {
            errors.spanned(
                error,
                "an operation's error must be a SOAP fault: `indigo::Fault<D>` for a fault with \
                 a detail (WCF's `FaultException<D>`, `D` serializable), or `indigo::Fault` for \
                 one with a code and a reason only (WCF's `FaultException`); any other error \
                 type cannot travel in a reply",
            );
            (syn::parse_quote!(()), None)
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
            detail: Box::new(detail),
            detail_name,
        },
        span,
    )
}

/// `T` and `E` of a return type named `Result`. A `Result` alias without its error type
/// (`io::Result<T>`) is an error: its error cannot be a fault.
fn result_args<'a>(ty: &'a Type, errors: &mut Errors) -> Option<(&'a Type, &'a Type)> {
    let Type::Path(path) = peel_type(ty) else {
        return None;
    };
    if path.path.segments.last()?.ident != "Result" {
        return None;
    }
    match generic_args_of(ty, "Result").as_deref() {
        Some([ok, error]) => Some((ok, error)),
        _ => {
            errors.spanned(
                ty,
                "an operation that can fail returns `Result<T, indigo::Fault<D>>` or \
                 `Result<T, indigo::Fault>`: write both type arguments (a `Result` alias hides \
                 an error type that cannot travel in a reply)",
            );
            None
        }
    }
}

enum FaultKind<'a> {
    /// `Fault` or `Fault<()>`.
    Untyped,
    Typed(&'a Type),
}

/// What kind of fault `error` is, if it is one.
fn fault_detail(error: &Type) -> Option<FaultKind<'_>> {
    let Type::Path(path) = peel_type(error) else {
        return None;
    };
    let last = path.path.segments.last()?;
    if path.qself.is_some() || last.ident != "Fault" {
        return None;
    }
    if last.arguments.is_none() {
        return Some(FaultKind::Untyped);
    }
    match generic_args_of(error, "Fault").as_deref() {
        Some([detail]) if is_unit(detail) => Some(FaultKind::Untyped),
        Some([detail]) => Some(FaultKind::Typed(detail)),
        _ => None,
    }
}
