//! Writers: core values to header and body fragments in WCF's layout.

use super::{TypedHeaders, WireError, WsrmAction, NETRM_NAMESPACE};
use crate::message::{
    ns, Body as SoapBody, EnvelopeVersion, FaultCode, FaultCodeValue, Message, MessageFault,
    MessageVersion, QualifiedName, RawHeader, XmlFragment,
};
use crate::reliable::proto::{
    AckRequested, CloseSequence, CreateSequence, CreateSequenceResponse,
    IncompleteSequenceBehavior, ProtocolBody, ProtocolMessage, ReliableMessagingVersion,
    SequenceAcknowledgement, SequenceHeader, SoapFaultCode, TerminateSequence, WsrmFault,
};
use crate::xml::{write_ns_decl, write_text};

/// WCF's prefix for the WS-RM namespace in both versions.
const RM: &str = "r";

/// Builds one WS-RM element as text. Fragments rely on the envelope's `s` and `a` prefixes
/// (listed as inherited, so the envelope writer declares them only where it has not already).
struct Xml {
    out: Vec<u8>,
}

impl Xml {
    fn new() -> Self {
        // Enough for the usual header or body in one allocation.
        Xml {
            out: Vec::with_capacity(256),
        }
    }

    /// Runs `write` on an `Xml` that appends to `out`.
    fn append_to(out: &mut Vec<u8>, write: impl FnOnce(&mut Xml)) {
        let mut x = Xml {
            out: std::mem::take(out),
        };
        write(&mut x);
        *out = x.out;
    }

    fn raw(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    /// `<r:{local}` with the WS-RM namespace declared: the root of a fragment.
    fn open_root(&mut self, version: ReliableMessagingVersion, local: &str) {
        self.raw("<r:");
        self.raw(local);
        write_ns_decl(&mut self.out, RM, version.namespace());
    }

    fn text_element(&mut self, local: &str, text: &str) {
        self.raw("<r:");
        self.raw(local);
        self.raw(">");
        write_text(&mut self.out, text);
        self.raw("</r:");
        self.raw(local);
        self.raw(">");
    }

    /// A WS-Addressing endpoint reference holding only an address (all WCF sends).
    fn epr(&mut self, local: &str, address: &str) {
        self.raw("<r:");
        self.raw(local);
        self.raw("><a:Address>");
        write_text(&mut self.out, address);
        self.raw("</a:Address></r:");
        self.raw(local);
        self.raw(">");
    }

    fn close(&mut self, local: &str) {
        self.raw("</r:");
        self.raw(local);
        self.raw(">");
    }

    fn fragment(self, inherited: &[(&str, &str)]) -> XmlFragment {
        XmlFragment {
            xml: self.out.into(),
            inherited_namespaces: inherited
                .iter()
                .map(|(p, u)| ((*p).to_owned(), (*u).to_owned()))
                .collect(),
            typed: Vec::new(),
        }
    }
}

fn envelope_ns(envelope: EnvelopeVersion) -> &'static str {
    match envelope {
        EnvelopeVersion::Soap11 => ns::SOAP11,
        EnvelopeVersion::Soap12 => ns::SOAP12,
    }
}

fn header(
    version: ReliableMessagingVersion,
    local: &str,
    must_understand: bool,
    xml: Xml,
    envelope: EnvelopeVersion,
) -> RawHeader {
    RawHeader {
        name: QualifiedName::new(version.namespace(), local),
        must_understand,
        xml: xml.fragment(&[("s", envelope_ns(envelope))]),
    }
}

fn isb_text(behavior: IncompleteSequenceBehavior) -> &'static str {
    match behavior {
        IncompleteSequenceBehavior::DiscardEntireSequence => "DiscardEntireSequence",
        IncompleteSequenceBehavior::DiscardFollowingFirstGap => "DiscardFollowingFirstGap",
        IncompleteSequenceBehavior::NoDiscard => "NoDiscard",
    }
}

/// The `wsrm:Sequence` header, with `mustUnderstand="1"` as WCF sends it. `LastMessage` exists
/// only in 1.0; asking for it in 1.1 is [`WireError::Unsupported`].
pub fn sequence_header(
    version: ReliableMessagingVersion,
    envelope: EnvelopeVersion,
    sequence: &SequenceHeader,
) -> Result<RawHeader, WireError> {
    if sequence.last_message && version.is_11() {
        return Err(WireError::Unsupported {
            what: "LastMessage",
            version,
        });
    }
    let mut x = Xml::new();
    write_sequence(&mut x.out, version, sequence);
    Ok(header(version, "Sequence", true, x, envelope))
}

/// The text of [`sequence_header`], appended to `out` (the caller checked `LastMessage`).
pub(super) fn write_sequence(
    out: &mut Vec<u8>,
    version: ReliableMessagingVersion,
    sequence: &SequenceHeader,
) {
    Xml::append_to(out, |x| write_sequence_xml(x, version, sequence));
}

fn write_sequence_xml(x: &mut Xml, version: ReliableMessagingVersion, sequence: &SequenceHeader) {
    x.open_root(version, "Sequence");
    x.raw(" s:mustUnderstand=\"1\">");
    x.text_element("Identifier", &sequence.identifier);
    x.text_element(
        "MessageNumber",
        itoa::Buffer::new().format(sequence.message_number),
    );
    if sequence.last_message {
        x.raw("<r:LastMessage/>");
    }
    x.close("Sequence");
}

/// The `wsrm:SequenceAcknowledgement` header. No ranges is written as WCF does: `0-0` in 1.0
/// (B1402), `wsrm:None` in 1.1. Nacks are written only when there are no ranges, because the
/// schema allows one or the other; WCF never sends them. `Final` exists only in 1.1.
pub fn acknowledgement_header(
    version: ReliableMessagingVersion,
    envelope: EnvelopeVersion,
    ack: &SequenceAcknowledgement,
) -> Result<RawHeader, WireError> {
    if ack.is_final && !version.is_11() {
        return Err(WireError::Unsupported {
            what: "Final",
            version,
        });
    }
    let mut x = Xml::new();
    write_acknowledgement(&mut x.out, version, ack);
    Ok(header(
        version,
        "SequenceAcknowledgement",
        false,
        x,
        envelope,
    ))
}

/// The text of [`acknowledgement_header`], appended to `out` (the caller checked `Final`).
pub(super) fn write_acknowledgement(
    out: &mut Vec<u8>,
    version: ReliableMessagingVersion,
    ack: &SequenceAcknowledgement,
) {
    Xml::append_to(out, |x| write_acknowledgement_xml(x, version, ack));
}

fn write_acknowledgement_xml(
    x: &mut Xml,
    version: ReliableMessagingVersion,
    ack: &SequenceAcknowledgement,
) {
    x.open_root(version, "SequenceAcknowledgement");
    x.raw(">");
    x.text_element("Identifier", &ack.identifier);
    let range = |x: &mut Xml, lower: u64, upper: u64| {
        x.raw("<r:AcknowledgementRange Upper=\"");
        x.raw(itoa::Buffer::new().format(upper));
        x.raw("\" Lower=\"");
        x.raw(itoa::Buffer::new().format(lower));
        x.raw("\"/>");
    };
    if !ack.ranges.is_empty() {
        for r in &ack.ranges {
            range(x, r.lower, r.upper);
        }
    } else if !ack.nacks.is_empty() {
        for n in &ack.nacks {
            x.text_element("Nack", itoa::Buffer::new().format(*n));
        }
    } else if version.is_11() {
        x.raw("<r:None/>");
    } else {
        range(x, 0, 0);
    }
    // The schema puts Final after the ranges (gSOAP gets this wrong), and WCF puts
    // BufferRemaining last, in the extension slot.
    if ack.is_final {
        x.raw("<r:Final/>");
    }
    if let Some(remaining) = ack.buffer_remaining {
        x.raw("<netrm:BufferRemaining");
        write_ns_decl(&mut x.out, "netrm", NETRM_NAMESPACE);
        x.raw(">");
        x.raw(itoa::Buffer::new().format(remaining));
        x.raw("</netrm:BufferRemaining>");
    }
    x.close("SequenceAcknowledgement");
}

/// The `wsrm:AckRequested` header. The 1.0 message number is never written (WCF does not).
pub fn ack_requested_header(
    version: ReliableMessagingVersion,
    envelope: EnvelopeVersion,
    request: &AckRequested,
) -> RawHeader {
    let mut x = Xml::new();
    write_ack_requested(&mut x.out, version, request);
    header(version, "AckRequested", false, x, envelope)
}

/// The text of [`ack_requested_header`], appended to `out`.
pub(super) fn write_ack_requested(
    out: &mut Vec<u8>,
    version: ReliableMessagingVersion,
    request: &AckRequested,
) {
    Xml::append_to(out, |x| {
        x.open_root(version, "AckRequested");
        x.raw(">");
        x.text_element("Identifier", &request.identifier);
        x.close("AckRequested");
    });
}

fn body(x: Xml) -> XmlFragment {
    x.fragment(&[("a", ns::WSA10)])
}

/// The `wsrm:CreateSequence` body. In 1.1 `Offer/Endpoint` is required; when the core leaves
/// it unset the AcksTo address is used, which is what WCF requires it to be anyway (R1102).
/// 1.1-only fields are left out in 1.0.
pub fn create_sequence_body(
    version: ReliableMessagingVersion,
    create: &CreateSequence,
) -> XmlFragment {
    let mut x = Xml::new();
    x.open_root(version, "CreateSequence");
    x.raw(">");
    x.epr("AcksTo", &create.acks_to);
    if let Some(expires) = &create.expires {
        x.text_element("Expires", expires);
    }
    if let Some(offer) = &create.offer {
        x.raw("<r:Offer>");
        x.text_element("Identifier", &offer.identifier);
        if version.is_11() {
            x.epr(
                "Endpoint",
                offer.endpoint.as_deref().unwrap_or(&create.acks_to),
            );
        }
        if let Some(expires) = &offer.expires {
            x.text_element("Expires", expires);
        }
        if let (true, Some(b)) = (version.is_11(), offer.incomplete_sequence_behavior) {
            x.text_element("IncompleteSequenceBehavior", isb_text(b));
        }
        x.close("Offer");
    }
    x.close("CreateSequence");
    body(x)
}

/// The `wsrm:CreateSequenceResponse` body (IncompleteSequenceBehavior only in 1.1).
pub fn create_sequence_response_body(
    version: ReliableMessagingVersion,
    response: &CreateSequenceResponse,
) -> XmlFragment {
    let mut x = Xml::new();
    x.open_root(version, "CreateSequenceResponse");
    x.raw(">");
    x.text_element("Identifier", &response.identifier);
    if let Some(expires) = &response.expires {
        x.text_element("Expires", expires);
    }
    if let (true, Some(b)) = (version.is_11(), response.incomplete_sequence_behavior) {
        x.text_element("IncompleteSequenceBehavior", isb_text(b));
    }
    if let Some(accept) = &response.accept {
        x.raw("<r:Accept>");
        x.epr("AcksTo", &accept.acks_to);
        x.close("Accept");
    }
    x.close("CreateSequenceResponse");
    body(x)
}

fn require_11(version: ReliableMessagingVersion, what: &'static str) -> Result<(), WireError> {
    if version.is_11() {
        Ok(())
    } else {
        Err(WireError::Unsupported { what, version })
    }
}

fn identifier_body(
    version: ReliableMessagingVersion,
    local: &str,
    identifier: &str,
    last_msg_number: Option<u64>,
) -> XmlFragment {
    let mut x = Xml::new();
    x.open_root(version, local);
    x.raw(">");
    x.text_element("Identifier", identifier);
    if let Some(n) = last_msg_number {
        x.text_element("LastMsgNumber", &n.to_string());
    }
    x.close(local);
    body(x)
}

/// The 1.1 `wsrm:CloseSequence` body.
pub fn close_sequence_body(
    version: ReliableMessagingVersion,
    close: &CloseSequence,
) -> Result<XmlFragment, WireError> {
    require_11(version, "CloseSequence")?;
    Ok(identifier_body(
        version,
        "CloseSequence",
        &close.identifier,
        close.last_msg_number,
    ))
}

/// The 1.1 `wsrm:CloseSequenceResponse` body.
pub fn close_sequence_response_body(
    version: ReliableMessagingVersion,
    identifier: &str,
) -> Result<XmlFragment, WireError> {
    require_11(version, "CloseSequenceResponse")?;
    Ok(identifier_body(
        version,
        "CloseSequenceResponse",
        identifier,
        None,
    ))
}

/// The `wsrm:TerminateSequence` body; `LastMsgNumber` is left out in 1.0, which lacks it.
pub fn terminate_sequence_body(
    version: ReliableMessagingVersion,
    terminate: &TerminateSequence,
) -> XmlFragment {
    let last = terminate.last_msg_number.filter(|_| version.is_11());
    identifier_body(version, "TerminateSequence", &terminate.identifier, last)
}

/// The 1.1 `wsrm:TerminateSequenceResponse` body.
pub fn terminate_sequence_response_body(
    version: ReliableMessagingVersion,
    identifier: &str,
) -> Result<XmlFragment, WireError> {
    require_11(version, "TerminateSequenceResponse")?;
    Ok(identifier_body(
        version,
        "TerminateSequenceResponse",
        identifier,
        None,
    ))
}

fn check_fault_version(
    version: ReliableMessagingVersion,
    fault: &WsrmFault,
) -> Result<(), WireError> {
    if fault.code().is_defined_in(version) {
        Ok(())
    } else {
        Err(WireError::Unsupported {
            what: fault.code().local_name(),
            version,
        })
    }
}

/// The SOAP fault of a WS-RM fault: `Sender`/`Receiver` with the `wsrm:` subcode (and WCF's
/// nested `netrm:ConnectionLimitReached`), the spec's reason and the `wsrm:Identifier` as
/// detail. SOAP 1.1 has room for one code only, so there the code is the `wsrm:` QName and
/// the nested subcode is dropped; [`sequence_fault_header`] carries the code as well.
pub fn fault_body(
    version: ReliableMessagingVersion,
    envelope: EnvelopeVersion,
    fault: &WsrmFault,
) -> Result<MessageFault, WireError> {
    check_fault_version(version, fault)?;
    let mut subcodes = vec![QualifiedName::new(
        version.namespace(),
        fault.code().local_name(),
    )];
    if let (EnvelopeVersion::Soap12, Some((nested_ns, nested))) = (envelope, fault.nested_subcode())
    {
        subcodes.push(QualifiedName::new(nested_ns, nested));
    }
    let value = match fault.soap_code() {
        SoapFaultCode::Sender => FaultCodeValue::Sender,
        SoapFaultCode::Receiver => FaultCodeValue::Receiver,
    };
    let mut message = MessageFault::new(FaultCode { value, subcodes }, fault.reason());
    if let Some(id) = fault.identifier() {
        let mut x = Xml::new();
        x.open_root(version, "Identifier");
        x.raw(">");
        write_text(&mut x.out, id);
        x.close("Identifier");
        message.detail = Some(x.fragment(&[]));
    }
    Ok(message)
}

/// WCF's `wsrm:SequenceFault` header, added to faults in SOAP 1.1 envelopes: the fault code,
/// then the identifier (inside `wsrm:Detail` in 1.1, directly in 1.0's extension slot).
pub fn sequence_fault_header(
    version: ReliableMessagingVersion,
    envelope: EnvelopeVersion,
    fault: &WsrmFault,
) -> Result<RawHeader, WireError> {
    check_fault_version(version, fault)?;
    let mut x = Xml::new();
    x.open_root(version, "SequenceFault");
    x.raw("><r:FaultCode>r:");
    x.raw(fault.code().local_name());
    x.raw("</r:FaultCode>");
    if let Some(id) = fault.identifier() {
        if version.is_11() {
            x.raw("<r:Detail>");
        }
        x.text_element("Identifier", id);
        if version.is_11() {
            x.raw("</r:Detail>");
        }
    }
    x.close("SequenceFault");
    Ok(header(version, "SequenceFault", false, x, envelope))
}

/// Writes a whole protocol message: body and action per §1.2, then the `Sequence`,
/// `SequenceAcknowledgement` and `AckRequested` headers. An application message
/// (`ProtocolBody::Sequence` with a payload) keeps its own action and headers and gains the WS-RM
/// ones. MessageID, ReplyTo and RelatesTo are left for the caller to set.
pub fn write_message(
    version: ReliableMessagingVersion,
    message_version: MessageVersion,
    message: &ProtocolMessage<Message>,
) -> Result<Message, WireError> {
    write_protocol_message(version, message_version, message, Headers::Raw)
}

/// How the WS-RM headers of a written message are kept.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Headers {
    /// As [`RawHeader`]s in `headers.other`: every reader of a message sees them.
    Raw,
    /// As [`TypedHeaders`], for the encoder alone to write (what the driver sends).
    Typed,
}

fn write_protocol_message(
    version: ReliableMessagingVersion,
    message_version: MessageVersion,
    message: &ProtocolMessage<Message>,
    form: Headers,
) -> Result<Message, WireError> {
    let envelope = message_version.envelope;
    let mut sequence = None;
    let uri = |action: WsrmAction, what: &'static str| {
        action
            .uri(version)
            .ok_or(WireError::Unsupported { what, version })
    };
    let payload = |action: WsrmAction, what: &'static str, fragment: XmlFragment| {
        Ok::<_, WireError>(Message::new(
            message_version,
            uri(action, what)?,
            SoapBody::Payload(fragment),
        ))
    };
    let mut out = match &message.body {
        ProtocolBody::Empty => {
            let (action, what) = if message.acknowledgement.is_some() {
                (
                    WsrmAction::SequenceAcknowledgement,
                    "SequenceAcknowledgement",
                )
            } else if message.ack_requested.is_some() {
                (WsrmAction::AckRequested, "AckRequested")
            } else {
                return Err(WireError::invalid(
                    "message",
                    "an empty protocol message needs an acknowledgement or an ack request",
                ));
            };
            Message::new(message_version, uri(action, what)?, SoapBody::Empty)
        }
        ProtocolBody::CreateSequence(c) => payload(
            WsrmAction::CreateSequence,
            "CreateSequence",
            create_sequence_body(version, c),
        )?,
        ProtocolBody::CreateSequenceResponse(r) => payload(
            WsrmAction::CreateSequenceResponse,
            "CreateSequenceResponse",
            create_sequence_response_body(version, r),
        )?,
        ProtocolBody::Sequence { header, payload } => {
            let out = match payload {
                Some(app) => app.clone(),
                None => Message::new(
                    message_version,
                    uri(WsrmAction::LastMessage, "LastMessage")?,
                    SoapBody::Empty,
                ),
            };
            sequence = Some(header);
            out
        }
        ProtocolBody::CloseSequence(c) => payload(
            WsrmAction::CloseSequence,
            "CloseSequence",
            close_sequence_body(version, c)?,
        )?,
        ProtocolBody::CloseSequenceResponse(id) => payload(
            WsrmAction::CloseSequenceResponse,
            "CloseSequenceResponse",
            close_sequence_response_body(version, id)?,
        )?,
        ProtocolBody::TerminateSequence(t) => payload(
            WsrmAction::TerminateSequence,
            "TerminateSequence",
            terminate_sequence_body(version, t),
        )?,
        ProtocolBody::TerminateSequenceResponse(id) => payload(
            WsrmAction::TerminateSequenceResponse,
            "TerminateSequenceResponse",
            terminate_sequence_response_body(version, id)?,
        )?,
        ProtocolBody::Fault(fault) => {
            let mut out = Message::new(
                message_version,
                uri(WsrmAction::Fault, "fault")?,
                SoapBody::Fault(fault_body(version, envelope, fault)?),
            );
            if envelope == EnvelopeVersion::Soap11 {
                out.headers
                    .other
                    .push(sequence_fault_header(version, envelope, fault)?);
            }
            out
        }
    };
    add_wsrm_headers(version, sequence, message, &mut out, form)?;
    Ok(out)
}

/// [`write_message`] taking the message: an application message's payload becomes the
/// output as it is, instead of being copied (it is the one message of the two that carries
/// a body, headers and all, on every send).
pub fn into_message(
    version: ReliableMessagingVersion,
    message_version: MessageVersion,
    message: ProtocolMessage<Message>,
) -> Result<Message, WireError> {
    let ProtocolMessage {
        body,
        acknowledgement,
        ack_requested,
    } = message;
    match body {
        ProtocolBody::Sequence {
            header,
            payload: Some(mut out),
        } => {
            out.headers.wsrm = Some(Box::new(TypedHeaders::new(
                version,
                Some(header),
                acknowledgement,
                ack_requested,
            )?));
            Ok(out)
        }
        body => write_protocol_message(
            version,
            message_version,
            &ProtocolMessage {
                body,
                acknowledgement,
                ack_requested,
            },
            Headers::Typed,
        ),
    }
}

/// Appends the `Sequence` header (if any) and the piggy-backed `SequenceAcknowledgement` and
/// `AckRequested` headers, in that order, in the form asked for.
fn add_wsrm_headers<T>(
    version: ReliableMessagingVersion,
    sequence: Option<&SequenceHeader>,
    message: &ProtocolMessage<T>,
    out: &mut Message,
    form: Headers,
) -> Result<(), WireError> {
    if form == Headers::Typed {
        if sequence.is_some()
            || message.acknowledgement.is_some()
            || message.ack_requested.is_some()
        {
            out.headers.wsrm = Some(Box::new(TypedHeaders::new(
                version,
                sequence.cloned(),
                message.acknowledgement.clone(),
                message.ack_requested.clone(),
            )?));
        }
        return Ok(());
    }
    let envelope = out.version.envelope;
    if let Some(sequence) = sequence {
        out.headers
            .other
            .push(sequence_header(version, envelope, sequence)?);
    }
    if let Some(ack) = &message.acknowledgement {
        out.headers
            .other
            .push(acknowledgement_header(version, envelope, ack)?);
    }
    if let Some(request) = &message.ack_requested {
        out.headers
            .other
            .push(ack_requested_header(version, envelope, request));
    }
    Ok(())
}
