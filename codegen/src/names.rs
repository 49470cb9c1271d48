//! Rust names for XML names: `snake_case` for fields, methods and parameters, `PascalCase` for
//! types, and the inverse conversions the macros apply (so a generated item only carries a
//! `name = "..."` key when the macro's default would differ from the document's name).

use proc_macro2::{Ident, Span};

/// Rust keywords, which become raw identifiers (`r#type`).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while",
    "abstract", "become", "box", "do", "final", "gen", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Splits an XML name into words: at `_`, `-`, `.`, and where case changes (`OrderLine` ->
/// `Order`, `Line`; `HTTPStatus` -> `HTTP`, `Status`).
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let boundary = i > 0
            && c.is_uppercase()
            && (chars[i - 1].is_lowercase()
                || chars[i - 1].is_ascii_digit()
                || (chars[i - 1].is_uppercase()
                    && chars.get(i + 1).is_some_and(|n| n.is_lowercase())));
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// `snake_case` of an XML name.
pub fn snake_case(name: &str) -> String {
    let snake = words(name)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    if snake.is_empty() {
        "value".to_owned()
    } else if snake.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{snake}")
    } else {
        snake
    }
}

/// `PascalCase` of an XML name, for types and variants.
pub fn pascal_case(name: &str) -> String {
    let pascal: String = words(name)
        .iter()
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect();
    if pascal.is_empty() {
        "Value".to_owned()
    } else if pascal.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{pascal}")
    } else {
        pascal
    }
}

/// The macros' default wire name of a method or field: PascalCase of its `_` parts.
pub fn macro_pascal(ident: &str) -> String {
    ident
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// The macros' default wire name of a parameter: camelCase of its `_` parts.
pub fn macro_camel(ident: &str) -> String {
    let mut parts = ident.split('_').filter(|p| !p.is_empty());
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        out.push_str(&macro_pascal(part));
    }
    out
}

/// An identifier for `name` (already converted), raw for keywords.
pub fn ident(name: &str) -> Ident {
    if NOT_RAW.contains(&name) {
        Ident::new(&format!("{name}_"), Span::call_site())
    } else if KEYWORDS.contains(&name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// Hands out names unique within one scope, numbering repeats.
#[derive(Debug, Default)]
pub struct Unique {
    taken: std::collections::HashSet<String>,
}

impl Unique {
    pub fn take(&mut self, wanted: &str) -> String {
        let mut name = wanted.to_owned();
        let mut n = 2;
        while !self.taken.insert(name.clone()) {
            name = format!("{wanted}{n}");
            n += 1;
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(snake_case("OrderLine"), "order_line");
        assert_eq!(snake_case("productId"), "product_id");
        assert_eq!(snake_case("HTTPStatus"), "http_status");
        assert_eq!(snake_case("Add2Numbers"), "add2_numbers");
        assert_eq!(pascal_case("orderLine"), "OrderLine");
        assert_eq!(pascal_case("ArrayOfint"), "ArrayOfint");
        assert_eq!(pascal_case("GRN"), "GRN");
        assert_eq!(macro_pascal("order_line"), "OrderLine");
        assert_eq!(macro_camel("first_value"), "firstValue");
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("self").to_string(), "self_");
    }
}
