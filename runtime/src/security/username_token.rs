//! WS-Security's UsernameToken in a `wsse:Security` header: WCF's
//! `TransportWithMessageCredential` with a `UserName` credential, over HTTPS. The client writes
//! the header WCF writes (a `wsu:Timestamp` valid five minutes, then the token with a
//! `PasswordText` password); the service reads the token, refuses a stale timestamp and hands
//! the user name and password to its validator.
//!
//! Written here because the header is two small elements; no crate reads WS-Security.

use super::UserNameCredential;
use crate::message::{ns, QualifiedName, RawHeader, ReaderQuotas, XmlFragment};
use crate::xml::{FragmentReader, Node};
use std::time::{Duration, SystemTime};

/// WS-Security 1.0's utility namespace (`wsu`: Timestamp, Id).
const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
/// The password type WCF writes and reads: the password itself (over TLS).
const PASSWORD_TEXT: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
/// How long the client's timestamp is valid (WCF's default `TimestampValidityDuration`).
const VALIDITY: Duration = Duration::from_secs(5 * 60);
/// How far the two clocks may disagree (WCF's default `MaxClockSkew`).
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// A user name and password read from a message.
#[derive(Debug)]
pub(crate) struct Token {
    pub(crate) user_name: String,
    pub(crate) password: String,
}

/// Why a message's security header is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// No `wsse:Security` header, or one without a UsernameToken.
    Missing,
    /// The header is there but malformed, of an unsupported kind, or stale.
    Invalid(String),
}

/// The `wsse:Security` header a client sends: a timestamp valid for five minutes from `now`,
/// and the UsernameToken.
pub(crate) fn header(
    credential: &UserNameCredential,
    envelope_ns: &str,
    now: SystemTime,
) -> RawHeader {
    let created = timestamp(now);
    let expires = timestamp(now + VALIDITY);
    let id = crate::message::new_message_id();
    let xml = format!(
        concat!(
            r#"<o:Security s:mustUnderstand="1" xmlns:o="{wsse}">"#,
            r#"<u:Timestamp u:Id="_0" xmlns:u="{wsu}"><u:Created>{created}</u:Created>"#,
            r#"<u:Expires>{expires}</u:Expires></u:Timestamp>"#,
            r#"<o:UsernameToken u:Id="{id}" xmlns:u="{wsu}"><o:Username>{user}</o:Username>"#,
            r#"<o:Password Type="{text}">{password}</o:Password></o:UsernameToken>"#,
            r#"</o:Security>"#
        ),
        wsse = ns::WSSE,
        wsu = WSU,
        created = created,
        expires = expires,
        id = id,
        user = escape(&credential.user_name),
        text = PASSWORD_TEXT,
        password = escape(&credential.password),
    );
    RawHeader {
        name: QualifiedName::new(ns::WSSE, "Security"),
        must_understand: true,
        // `s` is the envelope's prefix: declared around the header already.
        xml: XmlFragment::with_inherited_namespaces(
            xml,
            vec![("s".to_owned(), envelope_ns.to_owned())],
        ),
    }
}

fn escape(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    crate::xml::write_text(&mut out, text);
    String::from_utf8(out).unwrap_or_default()
}

/// `xs:dateTime` in UTC with milliseconds, as WCF writes its timestamps.
fn timestamp(at: SystemTime) -> String {
    let at: chrono::DateTime<chrono::Utc> = at.into();
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Reads the UsernameToken of the `wsse:Security` header among `headers`, checking the
/// timestamp against `now` if there is one.
pub(crate) fn read(headers: &[RawHeader], now: SystemTime) -> Result<Token, TokenError> {
    let Some(security) = headers
        .iter()
        .find(|h| h.name.namespace == ns::WSSE && h.name.local == "Security")
    else {
        return Err(TokenError::Missing);
    };
    let invalid = |why: &str| TokenError::Invalid(why.to_owned());
    let mut reader = FragmentReader::new(&security.xml, &ReaderQuotas::default())
        .map_err(|e| TokenError::Invalid(e.to_string()))?;
    let mut path: Vec<(String, String)> = Vec::new();
    let mut text = String::new();
    let (mut user_name, mut password, mut password_type) = (None, None, None);
    let (mut created, mut expires) = (None, None);
    loop {
        match reader
            .next()
            .map_err(|e| TokenError::Invalid(e.to_string()))?
        {
            Node::Start(element) => {
                let namespace = reader
                    .namespace_of(&element)
                    .map_err(|e| TokenError::Invalid(e.to_string()))?
                    .to_owned();
                if namespace == ns::WSSE && element.local() == "Password" {
                    password_type = Some(
                        element
                            .start
                            .attributes()
                            .flatten()
                            .find(|a| a.key.local_name().as_ref() == "Type")
                            .map(|a| a.value.to_string())
                            .unwrap_or_else(|| PASSWORD_TEXT.to_owned()),
                    );
                }
                text.clear();
                if !element.empty {
                    path.push((namespace, element.local().to_owned()));
                } else {
                    let name = (namespace, element.local().to_owned());
                    store(
                        &name,
                        "",
                        &mut user_name,
                        &mut password,
                        &mut created,
                        &mut expires,
                    );
                }
            }
            Node::Text(piece) => text.push_str(&piece),
            Node::End => {
                if let Some(name) = path.pop() {
                    store(
                        &name,
                        &text,
                        &mut user_name,
                        &mut password,
                        &mut created,
                        &mut expires,
                    );
                }
                text.clear();
            }
            Node::Eof => break,
        }
    }
    let user_name = user_name.ok_or(TokenError::Missing)?;
    if password_type.as_deref().is_some_and(|t| t != PASSWORD_TEXT) {
        return Err(invalid(
            "only PasswordText passwords are accepted (as by WCF); a digest cannot be checked",
        ));
    }
    if let Some(expires) = expires {
        let expires =
            parse_time(&expires).ok_or_else(|| invalid("the timestamp does not parse"))?;
        if expires + MAX_CLOCK_SKEW < now {
            return Err(invalid("the message's timestamp has expired"));
        }
    }
    if let Some(created) = created {
        let created =
            parse_time(&created).ok_or_else(|| invalid("the timestamp does not parse"))?;
        if created > now + MAX_CLOCK_SKEW {
            return Err(invalid("the message's timestamp is in the future"));
        }
    }
    Ok(Token {
        user_name,
        password: password.unwrap_or_default(),
    })
}

fn store(
    (namespace, local): &(String, String),
    text: &str,
    user_name: &mut Option<String>,
    password: &mut Option<String>,
    created: &mut Option<String>,
    expires: &mut Option<String>,
) {
    match (namespace.as_str(), local.as_str()) {
        (ns::WSSE, "Username") => *user_name = Some(text.trim().to_owned()),
        (ns::WSSE, "Password") => *password = Some(text.to_owned()),
        (WSU, "Created") => *created = Some(text.trim().to_owned()),
        (WSU, "Expires") => *expires = Some(text.trim().to_owned()),
        _ => {}
    }
}

fn parse_time(text: &str) -> Option<SystemTime> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| SystemTime::from(t.with_timezone(&chrono::Utc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_a_client_writes_is_read_back() {
        let now = SystemTime::now();
        let header = header(&UserNameCredential::new("alice", "s<cret"), ns::SOAP12, now);
        let token = read(&[header], now).expect("readable");
        assert_eq!(token.user_name, "alice");
        assert_eq!(token.password, "s<cret");
    }

    #[test]
    fn zeep_s_header_without_a_timestamp_is_read() {
        let xml = format!(
            r#"<wsse:Security xmlns:wsse="{}"><wsse:UsernameToken><wsse:Username>bob</wsse:Username><wsse:Password Type="{PASSWORD_TEXT}">pw</wsse:Password></wsse:UsernameToken></wsse:Security>"#,
            ns::WSSE
        );
        let header = RawHeader {
            name: QualifiedName::new(ns::WSSE, "Security"),
            must_understand: true,
            xml: XmlFragment::new(xml),
        };
        let token = read(&[header], SystemTime::now()).expect("readable");
        assert_eq!(
            (token.user_name.as_str(), token.password.as_str()),
            ("bob", "pw")
        );
    }

    #[test]
    fn a_stale_timestamp_a_digest_and_no_header_are_refused() {
        let then = SystemTime::now() - Duration::from_secs(3600);
        let stale = header(&UserNameCredential::new("alice", "x"), ns::SOAP11, then);
        assert!(
            matches!(read(&[stale], SystemTime::now()), Err(TokenError::Invalid(why)) if why.contains("expired"))
        );
        assert_eq!(
            read(&[], SystemTime::now()).err(),
            Some(TokenError::Missing)
        );
        let digest = format!(
            r#"<wsse:Security xmlns:wsse="{}"><wsse:UsernameToken><wsse:Username>bob</wsse:Username><wsse:Password Type="urn:digest">pw</wsse:Password></wsse:UsernameToken></wsse:Security>"#,
            ns::WSSE
        );
        let header = RawHeader {
            name: QualifiedName::new(ns::WSSE, "Security"),
            must_understand: true,
            xml: XmlFragment::new(digest),
        };
        assert!(matches!(
            read(&[header], SystemTime::now()),
            Err(TokenError::Invalid(_))
        ));
    }
}
