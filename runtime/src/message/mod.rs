//! The SOAP message model: one [`Message`] type flows through every layer.
//!
//! A message is an envelope version, the WS-Addressing headers Indigo understands, any other
//! headers kept verbatim, and a body. Bodies are kept as raw XML ([`XmlFragment`]) so the
//! dispatcher can hand them straight to serde without a second tree model; faults are parsed
//! eagerly because every layer needs to look at them.

mod body;
pub(crate) mod envelope;
mod fault;
mod ids;
mod names;

pub use crate::xml::{ReaderQuotas, XmlError, XmlFragment};
pub use body::{BodyReader, BodyWriter};
pub(crate) use envelope::{read_envelope, write_envelope};
pub use fault::{FaultCode, FaultCodeValue, MessageFault};
pub use ids::new_message_id;
pub(crate) use ids::{new_keyed_message_id, MessageKey};
pub use names::{ns, QualifiedName};

/// Which SOAP envelope a message uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnvelopeVersion {
    /// SOAP 1.1 (`http://schemas.xmlsoap.org/soap/envelope/`), as BasicHttpBinding sends.
    Soap11,
    /// SOAP 1.2 (`http://www.w3.org/2003/05/soap-envelope`), as NetTcp and WsHttp send.
    Soap12,
}

impl EnvelopeVersion {
    /// The envelope's namespace.
    pub fn namespace(self) -> &'static str {
        match self {
            EnvelopeVersion::Soap11 => ns::SOAP11,
            EnvelopeVersion::Soap12 => ns::SOAP12,
        }
    }
}

/// Which WS-Addressing version the headers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressingVersion {
    /// No addressing headers: the action travels in the transport (HTTP `SOAPAction`).
    None,
    /// WS-Addressing 1.0 (`http://www.w3.org/2005/08/addressing`).
    WsAddressing10,
}

/// The envelope and addressing pair of a binding, as WCF's `MessageVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageVersion {
    /// The SOAP envelope version.
    pub envelope: EnvelopeVersion,
    /// The WS-Addressing version.
    pub addressing: AddressingVersion,
}

impl MessageVersion {
    /// SOAP 1.2 with WS-Addressing 1.0: NetTcpBinding and WsHttpBinding.
    pub const SOAP12_WSA10: MessageVersion = MessageVersion {
        envelope: EnvelopeVersion::Soap12,
        addressing: AddressingVersion::WsAddressing10,
    };
    /// SOAP 1.1 without addressing: BasicHttpBinding.
    pub const SOAP11: MessageVersion = MessageVersion {
        envelope: EnvelopeVersion::Soap11,
        addressing: AddressingVersion::None,
    };
}

/// A header Indigo does not interpret, kept as the raw XML of the header element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHeader {
    /// The header element's name.
    pub name: QualifiedName,
    /// Whether the header carried `mustUnderstand="true"` (or `"1"`).
    pub must_understand: bool,
    /// The whole header element. Prefixes it uses but does not declare itself are listed in the
    /// fragment's `inherited_namespaces`; the envelope writer declares them again on output.
    pub xml: XmlFragment,
}

/// The addressing headers of a message, plus any others verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    /// `wsa:Action` (or, for SOAP 1.1 without addressing, the transport's SOAPAction).
    pub action: Option<String>,
    /// `wsa:MessageID`: set on every request that expects a reply.
    pub message_id: Option<String>,
    /// `wsa:To`.
    pub to: Option<String>,
    /// The address inside `wsa:ReplyTo/wsa:Address`.
    pub reply_to: Option<String>,
    /// `wsa:RelatesTo`: on a reply, the request's MessageID.
    pub relates_to: Option<String>,
    /// Headers not listed above, in the order received.
    pub other: Vec<RawHeader>,
    /// WS-RM's per-message headers as values (`reliable::wire::typed`): on an outgoing
    /// message, written after `other` by the encoder; on a received one, what the binary
    /// reader read directly, for the reliable session (or [`untype_wsrm`](Self::untype_wsrm)).
    pub(crate) wsrm: Option<Box<crate::reliable::wire::TypedHeaders>>,
}

impl Headers {
    /// Moves WS-RM headers the binary reader read as values into [`other`](Self::other), in
    /// the form their writers give them, for code that knows only raw headers (the
    /// dispatcher's mustUnderstand check, `OperationContext`, a reliable session of the other
    /// version). Only their text can differ from what was received: names, `mustUnderstand`
    /// and values are the same.
    pub(crate) fn untype_wsrm(&mut self, envelope: EnvelopeVersion) {
        let Some(typed) = self.wsrm.take() else {
            return;
        };
        match typed.to_raw(envelope) {
            Ok(raw) => self.other.extend(raw),
            // The reader makes only headers their version can say.
            Err(e) => tracing::error!(error = %e, "dropping WS-RM headers that cannot be written"),
        }
    }
}

/// What the SOAP Body holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// An empty body.
    Empty,
    /// The body's content as raw XML (for operation messages, the wrapper element).
    Payload(XmlFragment),
    /// A SOAP fault.
    Fault(MessageFault),
}

/// A SOAP message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Envelope and addressing versions.
    pub version: MessageVersion,
    /// Headers.
    pub headers: Headers,
    /// Body.
    pub body: Body,
    /// Set by the client channel on a request whose reply it waits for; never on the wire
    /// (Indigo's one-way messages carry ReplyTo too, for Mono). A reliable session over HTTP
    /// re-sends such a request until its reply arrives.
    pub(crate) awaits_reply: bool,
}

impl Message {
    /// A message with the given action and payload and no other headers.
    pub fn new(version: MessageVersion, action: impl Into<String>, body: Body) -> Self {
        Message {
            version,
            headers: Headers {
                action: Some(action.into()),
                ..Headers::default()
            },
            body,
            awaits_reply: false,
        }
    }

    /// The action, or the empty string when there is none.
    pub fn action(&self) -> &str {
        self.headers.action.as_deref().unwrap_or("")
    }

    /// Whether the body is a fault.
    pub fn is_fault(&self) -> bool {
        matches!(self.body, Body::Fault(_))
    }
}
