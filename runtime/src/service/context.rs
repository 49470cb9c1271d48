//! WCF's `OperationContext`: what an operation can learn about the message it serves and the
//! channel it came on. The dispatcher sets it as a task-local around each call's future, so a
//! service method reaches it with [`OperationContext::current`] without a parameter for it,
//! and two calls running at once on one instance each see their own.

use crate::contract::OperationDescription;
use crate::message::{Headers, RawHeader};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::borrow::Cow;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

tokio::task_local! {
    static CURRENT: OperationContext;
}

/// The context of the operation being served, as WCF's `OperationContext.Current`: the
/// incoming message's headers, the session and the peer.
///
/// It is set for the future of each operation (and for the
/// [instance hooks](crate::Service::on_instance_opened)), and is reached from there:
///
/// ```
/// use indigo::OperationContext;
///
/// #[indigo::service_contract]
/// pub trait Echo {
///     #[operation]
///     async fn whoami(&self) -> String;
/// }
///
/// struct EchoService;
///
/// impl Echo for EchoService {
///     async fn whoami(&self) -> String {
///         OperationContext::with(|ctx| {
///             let session = ctx.session_id().unwrap_or("no session");
///             format!("{} in {session} from {}", ctx.action(), ctx.peer())
///         })
///         .unwrap_or_default()
///     }
/// }
/// ```
///
/// It is task-local: a task the operation spawns does not inherit it; clone the context
/// ([`current`](Self::current)) into the task if it needs it. Cloning is cheap.
#[derive(Clone)]
pub struct OperationContext {
    inner: Arc<Inner>,
}

struct Inner {
    operation: &'static OperationDescription,
    headers: Headers,
    channel: Arc<ChannelInfo>,
}

/// What every call on one channel (a session, or one HTTP request) shares.
#[derive(Debug)]
pub(crate) struct ChannelInfo {
    pub(crate) peer: String,
    pub(crate) remote_address: Option<SocketAddr>,
    pub(crate) session_id: Option<String>,
    pub(crate) identity: crate::security::CallerIdentity,
    /// The session's way back to its client, on a session channel (duplex contracts).
    pub(crate) callback: Option<Arc<crate::callback::CallbackLink>>,
}

impl OperationContext {
    pub(crate) fn new(
        operation: &'static OperationDescription,
        headers: Headers,
        channel: Arc<ChannelInfo>,
    ) -> Self {
        OperationContext {
            inner: Arc::new(Inner {
                operation,
                headers,
                channel,
            }),
        }
    }

    /// The context of the operation running on this task, or `None` outside an operation.
    pub fn current() -> Option<OperationContext> {
        CURRENT.try_with(Clone::clone).ok()
    }

    /// Runs `f` with the context of the operation running on this task, without cloning it;
    /// `None` outside an operation.
    pub fn with<R>(f: impl FnOnce(&OperationContext) -> R) -> Option<R> {
        CURRENT.try_with(f).ok()
    }

    /// Runs `future` with `self` as the current context.
    pub(crate) async fn scope<F: std::future::Future>(self, future: F) -> F::Output {
        CURRENT.scope(self, future).await
    }

    /// Runs `f` with `self` as the current context.
    pub(crate) fn sync_scope<R>(self, f: impl FnOnce() -> R) -> R {
        CURRENT.sync_scope(self, f)
    }

    /// The session's way back to its client, when the call came on a session channel.
    pub(crate) fn callback_link(&self) -> Option<Arc<crate::callback::CallbackLink>> {
        self.inner.channel.callback.clone()
    }

    /// The operation being served.
    pub fn operation(&self) -> &'static OperationDescription {
        self.inner.operation
    }

    /// The incoming message's action (`wsa:Action`, or the transport's SOAPAction).
    pub fn action(&self) -> &str {
        self.inner.headers.action.as_deref().unwrap_or("")
    }

    /// The incoming message's `wsa:MessageID` (requests that expect a reply carry one).
    pub fn message_id(&self) -> Option<&str> {
        self.inner.headers.message_id.as_deref()
    }

    /// The incoming message's `wsa:To`.
    pub fn to(&self) -> Option<&str> {
        self.inner.headers.to.as_deref()
    }

    /// The address in the incoming message's `wsa:ReplyTo`.
    pub fn reply_to(&self) -> Option<&str> {
        self.inner.headers.reply_to.as_deref()
    }

    /// The incoming message's other headers (not the addressing ones above), verbatim and in
    /// the order received.
    pub fn custom_headers(&self) -> &[RawHeader] {
        &self.inner.headers.other
    }

    /// The first custom header named `local` in `namespace`.
    pub fn header(&self, namespace: &str, local: &str) -> Option<&RawHeader> {
        self.custom_headers()
            .iter()
            .find(|h| h.name.is(namespace, local))
    }

    /// The text content of the first custom header named `local` in `namespace`; `None`
    /// when there is no such header, or it holds elements rather than text.
    pub fn header_text(&self, namespace: &str, local: &str) -> Option<String> {
        header_text(self.header(namespace, local)?)
    }

    /// The session's identifier, on a sessionful channel: a reliable session's sequence
    /// identifier, or an id the service gave the transport session (net.tcp, in-process),
    /// as WCF's `SessionId`. `None` without a session (HTTP request-reply).
    pub fn session_id(&self) -> Option<&str> {
        self.inner.channel.session_id.as_deref()
    }

    /// The peer's socket address, where the transport has one (net.tcp, HTTP); `None` for
    /// in-process channels and reliable sessions, whose messages may come over several
    /// connections.
    pub fn remote_address(&self) -> Option<SocketAddr> {
        self.inner.channel.remote_address
    }

    /// Who the caller proved to be (WCF's `ServiceSecurityContext.PrimaryIdentity`): its
    /// certificate under transport security with client certificates, else anonymous.
    pub fn caller_identity(&self) -> &crate::security::CallerIdentity {
        &self.inner.channel.identity
    }

    /// A description of the peer for logs, whatever the transport (`"memory client"` for
    /// an in-process one).
    pub fn peer(&self) -> &str {
        &self.inner.channel.peer
    }
}

impl fmt::Debug for OperationContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OperationContext")
            .field("operation", &self.inner.operation.name)
            .field("action", &self.action())
            .field("message_id", &self.message_id())
            .field("session_id", &self.session_id())
            .field("peer", &self.peer())
            .finish_non_exhaustive()
    }
}

/// The character content of a header element that holds text only. The header came from a
/// peer, so anything unexpected is `None`, never a panic.
fn header_text(header: &RawHeader) -> Option<String> {
    let xml = std::str::from_utf8(&header.xml.xml).ok()?;
    let mut reader = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut text = String::new();
    loop {
        let piece: Cow<'_, str> = match reader.read_event().ok()? {
            Event::Start(_) if depth == 0 => {
                depth = 1;
                continue;
            }
            Event::Empty(_) if depth == 0 => return Some(String::new()),
            // A child element: not a text header.
            Event::Start(_) | Event::Empty(_) => return None,
            Event::End(_) => return Some(text),
            Event::Text(t) if depth == 1 => t.xml10_content(),
            Event::CData(c) if depth == 1 => c.into_inner(),
            Event::GeneralRef(r) if depth == 1 => crate::xml::resolve_ref(&r).ok()?,
            Event::Eof => return None,
            _ => continue,
        };
        text.push_str(&piece);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{QualifiedName, XmlFragment};

    fn raw(xml: &'static str) -> RawHeader {
        RawHeader {
            name: QualifiedName::new("urn:t", "H"),
            must_understand: false,
            xml: XmlFragment::new(xml),
        }
    }

    #[test]
    fn header_text_reads_text_and_refuses_anything_else() {
        assert_eq!(
            header_text(&raw(r#"<h:H xmlns:h="urn:t">a &amp; b</h:H>"#)).as_deref(),
            Some("a & b")
        );
        assert_eq!(
            header_text(&raw(r#"<H xmlns="urn:t"><![CDATA[x<y]]></H>"#)).as_deref(),
            Some("x<y")
        );
        assert_eq!(
            header_text(&raw(r#"<H xmlns="urn:t"/>"#)).as_deref(),
            Some("")
        );
        assert_eq!(header_text(&raw(r#"<H xmlns="urn:t"><c/></H>"#)), None);
        assert_eq!(header_text(&raw(r#"<H xmlns="urn:t">unclosed"#)), None);
        assert_eq!(header_text(&raw("\u{0}garbage")), None);
        assert_eq!(header_text(&raw("<H>&bogus;</H>")), None);
    }
}
