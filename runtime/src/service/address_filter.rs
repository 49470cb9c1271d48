//! The endpoint's address filter: which `To` headers an endpoint takes as addressed to it
//! (WCF's `AddressFilterMode` and `EndpointAddressMessageFilter`). A message addressed
//! elsewhere is refused with WS-Addressing's `DestinationUnreachable`, as WCF's dispatcher
//! refuses it.

/// How an endpoint matches the `To` header of the messages it receives against its address
/// (WCF's `ServiceBehaviorAttribute.AddressFilterMode`).
///
/// The host name is not compared (WCF's default filter leaves it out too: a service is reached
/// as `localhost`, by its IP or by any of its names); the scheme, the port and the path are,
/// the path without regard to case or a trailing `/`. For addresses without a port
/// (`memory://name`) the name is compared.
///
/// A message without a `To` header is not filtered: without WS-Addressing (BasicHttpBinding,
/// SOAP 1.1) there is none, and WCF's transports take such a message as addressed to the
/// address it arrived at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddressFilterMode {
    /// `To` must be the endpoint's address (WCF's default).
    #[default]
    Exact,
    /// `To` must be the endpoint's address or below it (`/svc` takes `/svc/a/b`, not
    /// `/svcx`).
    Prefix,
    /// Every `To` is taken.
    Any,
}

/// One endpoint's filter: its mode and the address `To` is checked against (the endpoint's
/// public address, which differs from the address it listens at behind a proxy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AddressFilter {
    pub(crate) mode: AddressFilterMode,
    pub(crate) address: String,
}

impl AddressFilter {
    /// Whether a message with this `To` is addressed to the endpoint.
    pub(crate) fn accepts(&self, to: Option<&str>) -> bool {
        let Some(to) = to else {
            return true;
        };
        // The common case, a client that uses the endpoint's own address: no parsing.
        if to == self.address {
            return true;
        }
        match self.mode {
            AddressFilterMode::Any => true,
            AddressFilterMode::Exact => matches(&self.address, to, false),
            AddressFilterMode::Prefix => matches(&self.address, to, true),
        }
    }
}

/// The parts of an address that are compared.
#[derive(Debug, PartialEq, Eq)]
struct Parts<'a> {
    scheme: &'a str,
    /// The port, or the whole authority when it has none (`memory://name`).
    place: Place<'a>,
    path: &'a str,
}

#[derive(Debug, PartialEq, Eq)]
enum Place<'a> {
    Port(u16),
    Authority(&'a str),
}

fn default_port(scheme: &str) -> Option<u16> {
    [("http", 80), ("https", 443), ("net.tcp", 808)]
        .into_iter()
        .find(|(known, _)| scheme.eq_ignore_ascii_case(known))
        .map(|(_, port)| port)
}

fn parts(address: &str) -> Option<Parts<'_>> {
    let (scheme, rest) = address.split_once("://")?;
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = path.trim_end_matches('/');
    // The port follows the last `:` that is not inside an IPv6 literal's brackets.
    let host_end = authority.rfind(']').map_or(0, |i| i + 1);
    let port = authority[host_end..]
        .rsplit_once(':')
        .map(|(_, port)| port.parse::<u16>().ok());
    let place = match port {
        Some(Some(port)) => Place::Port(port),
        Some(None) => return None,
        None => match default_port(scheme) {
            Some(port) => Place::Port(port),
            None => Place::Authority(authority),
        },
    };
    Some(Parts {
        scheme,
        place,
        path,
    })
}

fn matches(endpoint: &str, to: &str, prefix: bool) -> bool {
    let (Some(mine), Some(theirs)) = (parts(endpoint), parts(to)) else {
        // Not URIs of the usual shape: only the very same text matches.
        return endpoint == to;
    };
    let place = match (&mine.place, &theirs.place) {
        (Place::Port(a), Place::Port(b)) => a == b,
        (Place::Authority(a), Place::Authority(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    };
    if !place || !mine.scheme.eq_ignore_ascii_case(theirs.scheme) {
        return false;
    }
    if mine.path.eq_ignore_ascii_case(theirs.path) {
        return true;
    }
    // Below the endpoint's path, at a segment boundary.
    prefix
        && theirs.path.len() > mine.path.len()
        && theirs.path.as_bytes()[mine.path.len()] == b'/'
        && theirs.path[..mine.path.len()].eq_ignore_ascii_case(mine.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(mode: AddressFilterMode, address: &str) -> AddressFilter {
        AddressFilter {
            mode,
            address: address.to_owned(),
        }
    }

    #[test]
    fn exact_compares_scheme_port_and_path_but_not_the_host() {
        let f = filter(AddressFilterMode::Exact, "net.tcp://127.0.0.1:9000/calc");
        assert!(f.accepts(Some("net.tcp://127.0.0.1:9000/calc")));
        assert!(f.accepts(Some("net.tcp://localhost:9000/calc")));
        assert!(f.accepts(Some("net.tcp://LOCALHOST:9000/Calc/")));
        assert!(!f.accepts(Some("net.tcp://127.0.0.1:9001/calc")));
        assert!(!f.accepts(Some("net.tcp://127.0.0.1:9000/other")));
        assert!(!f.accepts(Some("net.tcp://127.0.0.1:9000/calc/more")));
        assert!(!f.accepts(Some("http://127.0.0.1:9000/calc")));
        assert!(!f.accepts(Some("http://www.w3.org/2005/08/addressing/anonymous")));
        assert!(!f.accepts(Some("urn:somewhere")));
        assert!(f.accepts(None), "no To: not filtered");
    }

    #[test]
    fn default_ports_and_memory_names() {
        let f = filter(AddressFilterMode::Exact, "http://example.org/svc");
        assert!(f.accepts(Some("http://example.org:80/svc")));
        assert!(!f.accepts(Some("http://example.org:8080/svc")));
        let m = filter(AddressFilterMode::Exact, "memory://echo");
        assert!(m.accepts(Some("memory://echo")));
        assert!(!m.accepts(Some("memory://other")));
    }

    #[test]
    fn prefix_takes_addresses_below_the_endpoint() {
        let f = filter(AddressFilterMode::Prefix, "http://127.0.0.1:80/svc");
        assert!(f.accepts(Some("http://127.0.0.1/svc")));
        assert!(f.accepts(Some("http://127.0.0.1/svc/a/b")));
        assert!(!f.accepts(Some("http://127.0.0.1/svcx")));
        assert!(!f.accepts(Some("http://127.0.0.1/other")));
    }

    #[test]
    fn any_takes_everything() {
        let f = filter(AddressFilterMode::Any, "http://127.0.0.1:80/svc");
        assert!(f.accepts(Some("urn:anything")));
        assert!(f.accepts(Some("http://elsewhere:1/x")));
    }
}
