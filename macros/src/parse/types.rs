//! Looking inside types: `impl Trait` and borrows where an owned type is needed, and the
//! arguments of `Result<..>` and `Fault<..>`.

use super::*;

/// The span of the first `impl` keyword in a type, if any.
pub(super) fn find_impl(tokens: TokenStream) -> Option<Span> {
    tokens.into_iter().find_map(|tree| match tree {
        TokenTree::Ident(ident) if ident == "impl" => Some(ident.span()),
        TokenTree::Group(group) => find_impl(group.stream()),
        _ => None,
    })
}

/// The span of the first borrow (`&` or a lifetime) in a type, if any.
pub(super) fn find_borrow(tokens: TokenStream) -> Option<Span> {
    tokens.into_iter().find_map(|tree| match tree {
        TokenTree::Punct(punct) if punct.as_char() == '&' || punct.as_char() == '\'' => {
            Some(punct.span())
        }
        TokenTree::Group(group) => find_borrow(group.stream()),
        _ => None,
    })
}

/// Looks through invisible groups and parentheses.
pub(super) fn peel_type(ty: &Type) -> &Type {
    match ty {
        Type::Group(group) => peel_type(&group.elem),
        Type::Paren(paren) => peel_type(&paren.elem),
        other => other,
    }
}

/// The generic type arguments of the last segment of `ty` if it is named `name`.
pub(super) fn generic_args_of<'a>(ty: &'a Type, name: &str) -> Option<Vec<&'a Type>> {
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

pub(super) fn is_unit(ty: &Type) -> bool {
    matches!(peel_type(ty), Type::Tuple(tuple) if tuple.elems.is_empty())
}
