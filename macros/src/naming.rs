//! Name conversions (PascalCase operations, camelCase parameters, WCF action URIs) and
//! "did you mean" suggestions.

/// WCF's default operation name for a Rust method: PascalCase of the identifier
/// (`add_to` -> `AddTo`, `equals` -> `Equals`). Pass the identifier without its `r#` prefix.
///
/// Each `_`-separated part gets its first character upper-cased; the rest of the part is kept as
/// written, so `get_HTTP_status` -> `GetHTTPStatus`. Leading, trailing and doubled underscores
/// disappear.
pub fn pascal_case(ident: &str) -> String {
    ident.split('_').map(capitalize).collect()
}

/// The default wire name of a parameter: camelCase of the identifier (`first_value` ->
/// `firstValue`, `n` -> `n`). The first part is kept as written; later parts are capitalised.
/// Pass the identifier without its `r#` prefix.
pub fn camel_case(ident: &str) -> String {
    let mut parts = ident.split('_').filter(|part| !part.is_empty());
    let mut out = String::with_capacity(ident.len());
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for part in parts {
        out.push_str(&capitalize(part));
    }
    out
}

fn capitalize(part: &str) -> String {
    let mut chars = part.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// WCF's default request action: `{ns}{contract}/{operation}` when the namespace ends with `/`,
/// `{ns}/{contract}/{operation}` otherwise, and `urn:{contract}/{operation}` when the namespace
/// is empty.
pub fn action(namespace: &str, contract: &str, operation: &str) -> String {
    if namespace.is_empty() {
        format!("urn:{contract}/{operation}")
    } else if namespace.ends_with('/') {
        format!("{namespace}{contract}/{operation}")
    } else {
        format!("{namespace}/{contract}/{operation}")
    }
}

/// WCF's default reply action: the request action followed by `Response`.
pub fn reply_action(action: &str) -> String {
    format!("{action}Response")
}

/// Why a string is not an XML NCName (a name without a colon, as XML element names in a
/// namespace must be), or `None` when it is one.
pub fn ncname_error(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let first = match chars.next() {
        None => return Some("it is empty".to_owned()),
        Some(c) => c,
    };
    if !is_name_start_char(first) {
        return Some(format!("it cannot start with {}", describe(first)));
    }
    chars
        .find(|&c| !is_name_char(c))
        .map(|c| format!("it cannot contain {}", describe(c)))
}

fn describe(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        ':' => "`:` (XML reserves it for namespace prefixes)".to_owned(),
        c if c.is_control() || c.is_whitespace() => format!("{:?}", c),
        c => format!("`{c}`"),
    }
}

/// XML 1.0 (5th edition) NameStartChar, without `:`.
fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 (5th edition) NameChar, without `:`.
fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c,
            '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// The candidate closest to `unknown`, if one is close enough to be a likely typo.
///
/// Keys are compared in snake_case with a leading `is_` removed, so WCF spellings such as
/// `IsOneWay`, `ReplyAction` or `SessionMode` find `one_way`, `reply_action` and `session`.
pub fn did_you_mean<'a>(unknown: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let normalized = normalize_key(unknown);
    if let Some(exact) = candidates
        .iter()
        .find(|candidate| normalize_key(candidate) == normalized)
    {
        return Some(exact);
    }
    // `SessionMode` -> `session_mode` -> `session`: a candidate that is a whole leading part.
    if let Some(prefix) = candidates.iter().find(|candidate| {
        normalized
            .strip_prefix(&normalize_key(candidate))
            .is_some_and(|rest| rest.starts_with('_'))
    }) {
        return Some(prefix);
    }
    candidates
        .iter()
        .map(|candidate| {
            (
                candidate,
                strsim::jaro_winkler(&normalized, &normalize_key(candidate)),
            )
        })
        .filter(|(_, score)| *score >= 0.85)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(candidate, _)| *candidate)
}

/// `IsOneWay` -> `one_way`, `one-way` -> `one_way`, `oneway` stays `oneway`.
fn normalize_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut prev_lower = false;
    for c in key.chars() {
        if c.is_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.extend(c.to_lowercase());
            prev_lower = false;
        } else if c == '-' {
            out.push('_');
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
        }
    }
    match out.strip_prefix("is_") {
        Some(rest) => rest.to_owned(),
        None => out,
    }
}

/// `a`, `a` or `b`, `a`, `b` or `c` — each wrapped in backticks.
pub fn one_of(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("`{item}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {}", rest.join(", "), last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_of_method_names() {
        assert_eq!(pascal_case("add_to"), "AddTo");
        assert_eq!(pascal_case("equals"), "Equals");
        assert_eq!(pascal_case("clear"), "Clear");
        assert_eq!(pascal_case("type"), "Type");
        assert_eq!(pascal_case("get_http_status_2"), "GetHttpStatus2");
        assert_eq!(pascal_case("get_HTTP_status"), "GetHTTPStatus");
        assert_eq!(pascal_case("add2_numbers"), "Add2Numbers");
        assert_eq!(pascal_case("_private__name_"), "PrivateName");
        assert_eq!(pascal_case("AlreadyPascal"), "AlreadyPascal");
        assert_eq!(pascal_case("été_chaud"), "ÉtéChaud");
    }

    #[test]
    fn camel_case_of_parameter_names() {
        assert_eq!(camel_case("first_value"), "firstValue");
        assert_eq!(camel_case("n"), "n");
        assert_eq!(camel_case("value"), "value");
        assert_eq!(camel_case("type"), "type");
        assert_eq!(camel_case("a_b_c"), "aBC");
        assert_eq!(camel_case("_unused"), "unused");
        assert_eq!(camel_case("max_retries_2"), "maxRetries2");
        assert_eq!(camel_case("alreadyCamel"), "alreadyCamel");
    }

    #[test]
    fn actions_follow_wcf() {
        assert_eq!(
            action("http://tempuri.org/", "ICalculator", "Add"),
            "http://tempuri.org/ICalculator/Add"
        );
        assert_eq!(
            action("http://example.org/calc", "ICalculator", "Add"),
            "http://example.org/calc/ICalculator/Add"
        );
        assert_eq!(
            action("urn:example:calc", "ICalculator", "Add"),
            "urn:example:calc/ICalculator/Add"
        );
        assert_eq!(action("", "ICalculator", "Add"), "urn:ICalculator/Add");
        assert_eq!(
            reply_action("http://tempuri.org/ICalculator/Add"),
            "http://tempuri.org/ICalculator/AddResponse"
        );
    }

    #[test]
    fn ncnames() {
        for ok in ["AddTo", "a", "_x", "x-y.z", "x1", "Été", "名前", "a\u{B7}b"] {
            assert_eq!(ncname_error(ok), None, "{ok}");
        }
        assert_eq!(ncname_error("").as_deref(), Some("it is empty"));
        assert_eq!(
            ncname_error("add to").as_deref(),
            Some("it cannot contain a space")
        );
        assert_eq!(
            ncname_error("1st").as_deref(),
            Some("it cannot start with `1`")
        );
        assert_eq!(
            ncname_error("-x").as_deref(),
            Some("it cannot start with `-`")
        );
        assert!(ncname_error("ns:Add").is_some_and(|e| e.contains("`:`")));
        assert!(ncname_error("a<b").is_some());
        assert!(ncname_error("a\tb").is_some());
    }

    #[test]
    fn suggestions() {
        let keys = [
            "name",
            "action",
            "reply_action",
            "one_way",
            "initiating",
            "terminating",
        ];
        assert_eq!(did_you_mean("initating", &keys), Some("initiating"));
        assert_eq!(did_you_mean("terminate", &keys), Some("terminating"));
        assert_eq!(did_you_mean("oneway", &keys), Some("one_way"));
        assert_eq!(did_you_mean("IsOneWay", &keys), Some("one_way"));
        assert_eq!(did_you_mean("IsInitiating", &keys), Some("initiating"));
        assert_eq!(did_you_mean("ReplyAction", &keys), Some("reply_action"));
        assert_eq!(did_you_mean("one-way", &keys), Some("one_way"));
        assert_eq!(did_you_mean("Name", &keys), Some("name"));
        assert_eq!(did_you_mean("timeout", &keys), None);
        assert_eq!(did_you_mean("xyz", &keys), None);

        let contract = ["name", "namespace", "data_namespace", "session"];
        assert_eq!(did_you_mean("SessionMode", &contract), Some("session"));
        assert_eq!(did_you_mean("sesion", &contract), Some("session"));
        assert_eq!(did_you_mean("Namespace", &contract), Some("namespace"));
        assert_eq!(did_you_mean("data_ns", &contract), Some("data_namespace"));

        let modes = ["Required", "Allowed", "NotAllowed"];
        assert_eq!(did_you_mean("Require", &modes), Some("Required"));
        assert_eq!(did_you_mean("required", &modes), Some("Required"));
        assert_eq!(did_you_mean("Sometimes", &modes), None);
    }

    #[test]
    fn lists() {
        assert_eq!(one_of(&[]), "");
        assert_eq!(one_of(&["a"]), "`a`");
        assert_eq!(one_of(&["a", "b"]), "`a` or `b`");
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
