//! `net.tcp://host[:port]/path` addresses, and matching a preamble's Via to a listener.
//! Parsed by hand: the crate has no URL parser, and the format needs only the authority and
//! the path.

/// WCF's default net.tcp port (`TcpChannelListener.DefaultPort`).
pub const DEFAULT_PORT: u16 = 808;

/// The parts of an address this transport uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TcpAddress {
    /// Host name or IP address, without IPv6 brackets.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Path, `/` when the address has none; query and fragment dropped.
    pub path: String,
}

/// A URI split into scheme, authority and path; no validation beyond the shape.
struct UriParts<'a> {
    scheme: &'a str,
    authority: &'a str,
    path: &'a str,
}

fn split_uri(uri: &str) -> Option<UriParts<'_>> {
    let (scheme, rest) = uri.split_once("://")?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    // Spaces stay allowed: Mono sends the Via unescaped, and .NET's Uri escapes them itself.
    if !scheme_ok || rest.chars().any(char::is_control) {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(end);
    let path_end = rest.find(['?', '#']).unwrap_or(rest.len());
    Some(UriParts {
        scheme,
        authority,
        path: &rest[..path_end],
    })
}

/// Parses `net.tcp://host[:port]/path`; the error says why not.
pub(crate) fn parse(address: &str) -> Result<TcpAddress, &'static str> {
    const SHAPE: &str = "net.tcp addresses look like net.tcp://host:port/path";
    let parts = split_uri(address).ok_or(SHAPE)?;
    if !parts.scheme.eq_ignore_ascii_case("net.tcp") {
        return Err(SHAPE);
    }
    if parts.authority.contains('@') {
        return Err("net.tcp addresses carry no user information");
    }
    let (host, port) = if let Some(bracketed) = parts.authority.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or("unclosed [ in the host")?;
        (
            host,
            after
                .strip_prefix(':')
                .or_else(|| after.is_empty().then_some("")),
        )
    } else {
        match parts.authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (parts.authority, Some("")),
        }
    };
    let port = port.ok_or("unexpected characters after the host")?;
    if host.is_empty() {
        return Err("the address has no host");
    }
    let port = if port.is_empty() {
        DEFAULT_PORT
    } else if port.bytes().all(|b| b.is_ascii_digit()) {
        port.parse().map_err(|_| "the port is out of range")?
    } else {
        return Err("the port is not a number");
    };
    let path = if parts.path.is_empty() {
        "/"
    } else {
        parts.path
    };
    Ok(TcpAddress {
        host: host.to_owned(),
        port,
        path: path.to_owned(),
    })
}

/// The path of a preamble's Via, if it is a net.tcp URI at all. A Via that is not an absolute
/// URI makes WCF abort; one with another scheme simply matches no net.tcp endpoint.
pub(crate) enum ViaPath<'a> {
    /// A net.tcp URI with this path.
    NetTcp(&'a str),
    /// An absolute URI of another scheme.
    OtherScheme,
    /// Not an absolute URI.
    Invalid,
}

pub(crate) fn via_path(via: &str) -> ViaPath<'_> {
    match split_uri(via) {
        // `net.tcp:///x` has no host; .NET's Uri would refuse it.
        Some(parts) if !parts.authority.is_empty() => {
            if parts.scheme.eq_ignore_ascii_case("net.tcp") {
                ViaPath::NetTcp(parts.path)
            } else {
                ViaPath::OtherScheme
            }
        }
        _ => ViaPath::Invalid,
    }
}

/// Whether two paths name the same endpoint the way WCF compares them: segment by segment,
/// ignoring empty segments (so trailing and doubled slashes), ignoring case, and after
/// percent-decoding (.NET sends the Via escaped, Mono unescaped).
pub(crate) fn same_path(a: &str, b: &str) -> bool {
    let segments = |path: &str| -> Vec<String> {
        path.split('/')
            .filter(|segment| !segment.is_empty())
            .map(|segment| percent_decode(segment).to_lowercase())
            .collect()
    };
    segments(a) == segments(b)
}

/// Decodes `%XX` escapes; malformed escapes and escapes that do not form UTF-8 stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let escaped = (byte == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(decoded) => {
                out.push(decoded);
                index += 3;
            }
            None => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(address: &str) -> (String, u16, String) {
        let parsed = parse(address).unwrap();
        (parsed.host, parsed.port, parsed.path)
    }

    #[test]
    fn parses_addresses() {
        assert_eq!(
            ok("net.tcp://127.0.0.1:18202/calc"),
            ("127.0.0.1".into(), 18202, "/calc".into())
        );
        assert_eq!(
            ok("net.tcp://localhost/a/b"),
            ("localhost".into(), 808, "/a/b".into())
        );
        assert_eq!(ok("NET.TCP://host:0"), ("host".into(), 0, "/".into()));
        assert_eq!(
            ok("net.tcp://host:/x?q#f"),
            ("host".into(), 808, "/x".into())
        );
        assert_eq!(ok("net.tcp://[::1]:9/x"), ("::1".into(), 9, "/x".into()));
        assert_eq!(ok("net.tcp://[::1]/x"), ("::1".into(), 808, "/x".into()));
    }

    #[test]
    fn rejects_bad_addresses() {
        for address in [
            "http://host/x",
            "net.tcp:/host/x",
            "net.tcp://",
            "net.tcp:///x",
            "net.tcp://:80/x",
            "net.tcp://host:65536/x",
            "net.tcp://host:8a/x",
            "net.tcp://host:1:2/x",
            "net.tcp://user@host/x",
            "net.tcp://[::1/x",
            "net.tcp://[::1]x/y",
            "net.tcp://host/a\tb",
            "",
        ] {
            assert!(parse(address).is_err(), "{address}");
        }
    }

    #[test]
    fn via_paths() {
        assert!(matches!(
            via_path("net.tcp://h:1/calc"),
            ViaPath::NetTcp("/calc")
        ));
        assert!(matches!(via_path("http://h/calc"), ViaPath::OtherScheme));
        assert!(matches!(via_path("calc"), ViaPath::Invalid));
        assert!(matches!(via_path(""), ViaPath::Invalid));
        assert!(matches!(via_path("net.tcp:///calc"), ViaPath::Invalid));
    }

    #[test]
    fn path_matching() {
        assert!(same_path("/calc", "/calc"));
        assert!(same_path("/calc", "/Calc/"));
        assert!(same_path("/", ""));
        assert!(same_path("/a b/c", "/a%20b//c"));
        assert!(!same_path("/calc", "/calc/more"));
        assert!(!same_path("/calc", "/other"));
        assert!(!same_path("/calc", "/"));
        // A broken escape stays literal instead of failing.
        assert!(same_path("/a%zz", "/a%ZZ"));
    }
}
