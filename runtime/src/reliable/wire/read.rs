//! Readers: received headers and bodies to core values, tolerant of real peers' quirks and
//! strict about bounds.

use super::{WireError, WsrmAction, NETRM_NAMESPACE};
use crate::message::{
    ns, Body as SoapBody, FaultCodeValue, Message, MessageFault, RawHeader, ReaderQuotas,
    XmlFragment,
};
use crate::reliable::proto::ranges::{DEFAULT_MAX_RANGES, MAX_MESSAGE_NUMBER};
use crate::reliable::proto::{
    Accept, AckRange, AckRequested, CloseSequence, CreateSequence, CreateSequenceResponse,
    IncompleteSequenceBehavior, Offer, ProtocolBody, ProtocolMessage, ReliableMessagingVersion,
    SequenceAcknowledgement, SequenceHeader, SoapFaultCode, TerminateSequence, WsrmFault,
    WsrmFaultCode,
};
use crate::xml::{trim, Element, FragmentReader};
use quick_xml::XmlVersion;

/// Where a child element belongs, decided while its namespace scope is current.
#[derive(PartialEq, Eq)]
enum Space {
    Rm,
    Wsa,
    Netrm,
    Other,
}

struct Reader<'a> {
    r: FragmentReader<'a>,
    rm: &'static str,
}

impl<'a> Reader<'a> {
    fn new(
        fragment: &'a XmlFragment,
        version: ReliableMessagingVersion,
        quotas: &ReaderQuotas,
    ) -> Result<Self, WireError> {
        Ok(Reader {
            r: FragmentReader::new(fragment, quotas)?,
            rm: version.namespace(),
        })
    }

    fn space(&self, element: &Element<'_>) -> Result<Space, WireError> {
        let uri = self.r.namespace_of(element)?;
        Ok(if uri == self.rm {
            Space::Rm
        } else if uri == ns::WSA10 {
            Space::Wsa
        } else if uri == NETRM_NAMESPACE {
            Space::Netrm
        } else {
            Space::Other
        })
    }

    /// The fragment's root element, which must be `local` in the WS-RM namespace.
    fn root(&mut self, local: &'static str) -> Result<Element<'a>, WireError> {
        let root = self
            .r
            .next_child(local)?
            .ok_or_else(|| WireError::invalid(local, "the element is missing"))?;
        if self.space(&root)? != Space::Rm || root.local() != local {
            return Err(WireError::invalid(
                local,
                format!("expected wsrm:{local}, found <{}>", root.local()),
            ));
        }
        Ok(root)
    }

    /// Calls `each` for every child in the WS-RM (or netrm/wsa) namespace; it returns whether it
    /// consumed the child. Everything else is an extension and skipped.
    fn children(
        &mut self,
        parent: &Element<'a>,
        mut each: impl FnMut(&mut Self, &Element<'a>, Space) -> Result<bool, WireError>,
    ) -> Result<(), WireError> {
        if parent.empty {
            return Ok(());
        }
        while let Some(child) = self.r.next_child(parent.local())? {
            let space = self.space(&child)?;
            if !each(self, &child, space)? {
                self.r.skip(&child)?;
            }
        }
        Ok(())
    }

    fn text(&mut self, element: &Element<'_>) -> Result<String, WireError> {
        Ok(trim(&self.r.read_text(element)?).to_owned())
    }

    /// `wsa:Address` inside an endpoint reference; reference parameters and metadata skipped.
    fn epr(&mut self, element: &Element<'a>, name: &'static str) -> Result<String, WireError> {
        let mut address = None;
        self.children(element, |me, child, space| {
            if space == Space::Wsa && child.local() == "Address" {
                set_once(&mut address, me.text(child)?, name)?;
                return Ok(true);
            }
            Ok(false)
        })?;
        address.ok_or_else(|| WireError::invalid(name, "wsa:Address is missing"))
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, element: &'static str) -> Result<(), WireError> {
    if slot.is_some() {
        return Err(WireError::invalid(element, "a child appears twice"));
    }
    *slot = Some(value);
    Ok(())
}

fn required<T>(slot: Option<T>, element: &'static str, child: &str) -> Result<T, WireError> {
    slot.ok_or_else(|| WireError::invalid(element, format!("{child} is missing")))
}

/// `xs:unsignedLong` lexically (optional `+`, leading zeros), as `u64`.
fn parse_u64(text: &str) -> Option<u64> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A message number within 1..=MAX_MESSAGE_NUMBER, or a clear error.
fn message_number(text: &str, element: &'static str) -> Result<u64, WireError> {
    match parse_u64(text) {
        Some(n) if (1..=MAX_MESSAGE_NUMBER).contains(&n) => Ok(n),
        _ => Err(WireError::invalid(
            element,
            format!("`{text}` is not a message number (1..={MAX_MESSAGE_NUMBER})"),
        )),
    }
}

fn incomplete_sequence_behavior(text: &str) -> Result<IncompleteSequenceBehavior, WireError> {
    Ok(match text {
        "DiscardEntireSequence" => IncompleteSequenceBehavior::DiscardEntireSequence,
        "DiscardFollowingFirstGap" => IncompleteSequenceBehavior::DiscardFollowingFirstGap,
        "NoDiscard" => IncompleteSequenceBehavior::NoDiscard,
        _ => {
            return Err(WireError::invalid(
                "IncompleteSequenceBehavior",
                format!("unknown value `{text}`"),
            ))
        }
    })
}

fn header_fragment<'h>(
    version: ReliableMessagingVersion,
    header: &'h RawHeader,
    local: &'static str,
) -> Result<&'h XmlFragment, WireError> {
    if header.name.is(version.namespace(), local) {
        Ok(&header.xml)
    } else {
        Err(WireError::invalid(
            local,
            format!("the header is {}", header.name),
        ))
    }
}

/// Reads a `wsrm:Sequence` header. A number above the WS-RM maximum is the
/// MessageNumberRollover fault; 0 or a non-number is [`WireError::Invalid`]. `LastMessage` is
/// honoured in 1.0 only.
pub fn read_sequence_header(
    version: ReliableMessagingVersion,
    header: &RawHeader,
    quotas: &ReaderQuotas,
) -> Result<SequenceHeader, WireError> {
    const E: &str = "Sequence";
    let fragment = header_fragment(version, header, E)?;
    if let Some(sequence) = super::scan::sequence_header(version, fragment, quotas) {
        return Ok(sequence);
    }
    general_sequence_header(version, fragment, quotas)
}

/// The general reader behind the fast path: any layout, and every error.
pub(super) fn general_sequence_header(
    version: ReliableMessagingVersion,
    fragment: &XmlFragment,
    quotas: &ReaderQuotas,
) -> Result<SequenceHeader, WireError> {
    const E: &str = "Sequence";
    let mut rd = Reader::new(fragment, version, quotas)?;
    let root = rd.root(E)?;
    let (mut identifier, mut number, mut last_message) = (None, None, false);
    rd.children(&root, |me, child, space| {
        if space != Space::Rm {
            return Ok(false);
        }
        match child.local() {
            "Identifier" => set_once(&mut identifier, me.text(child)?, E)?,
            "MessageNumber" => set_once(&mut number, me.text(child)?, E)?,
            "LastMessage" if !version.is_11() => {
                last_message = true;
                return Ok(false);
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    let identifier = required(identifier, E, "Identifier")?;
    let number = required(number, E, "MessageNumber")?;
    let message_number = match parse_u64(&number) {
        Some(n) if n > MAX_MESSAGE_NUMBER => {
            return Err(WireError::Fault(WsrmFault::MessageNumberRollover {
                identifier,
                max_message_number: MAX_MESSAGE_NUMBER,
            }))
        }
        _ => message_number(&number, "MessageNumber")?,
    };
    Ok(SequenceHeader {
        identifier,
        message_number,
        last_message,
    })
}

/// Reads a `wsrm:SequenceAcknowledgement` header. Children may come in any order (gSOAP puts
/// `Final` first). Anything that breaks the acknowledgement invariant as far as one header can
/// tell is the InvalidAcknowledgement fault: more than 128 ranges or nacks, a bound that is 0
/// (except 1.0's `0-0` "nothing yet", read as no ranges), above the maximum or inverted, or
/// `None`/`Final` with ranges they exclude. A negative or repeated `BufferRemaining` is
/// [`WireError::Invalid`], as in WCF.
pub fn read_acknowledgement(
    version: ReliableMessagingVersion,
    header: &RawHeader,
    quotas: &ReaderQuotas,
) -> Result<SequenceAcknowledgement, WireError> {
    const E: &str = "SequenceAcknowledgement";
    let fragment = header_fragment(version, header, E)?;
    if let Some(ack) = super::scan::acknowledgement(version, fragment, quotas) {
        return Ok(ack);
    }
    general_acknowledgement(version, fragment, quotas)
}

/// The general reader behind the fast path: any layout, and every error.
pub(super) fn general_acknowledgement(
    version: ReliableMessagingVersion,
    fragment: &XmlFragment,
    quotas: &ReaderQuotas,
) -> Result<SequenceAcknowledgement, WireError> {
    const E: &str = "SequenceAcknowledgement";
    let mut rd = Reader::new(fragment, version, quotas)?;
    let root = rd.root(E)?;
    let mut identifier = None;
    let mut ack = SequenceAcknowledgement::default();
    let (mut none, mut zero_range) = (false, false);
    // Problems are collected, not returned at once, so the fault can name the identifier
    // even when it comes after the bad child.
    let mut problem: Option<String> = None;
    rd.children(&root, |me, child, space| {
        match (space, child.local()) {
            (Space::Rm, "Identifier") => set_once(&mut identifier, me.text(child)?, E)?,
            (Space::Rm, "AcknowledgementRange") => {
                if ack.ranges.len() + usize::from(zero_range) >= DEFAULT_MAX_RANGES {
                    problem.get_or_insert(format!("more than {DEFAULT_MAX_RANGES} ranges"));
                    return Ok(false);
                }
                match range(child) {
                    Ok(AckRange { lower: 0, upper: 0 }) if !version.is_11() => zero_range = true,
                    // 1.1 says "nothing yet" with None; its MessageNumberType starts at 1.
                    Ok(AckRange { lower: 0, .. }) => {
                        problem.get_or_insert("AcknowledgementRange 0-0 in WS-RM 1.1".to_owned());
                    }
                    Ok(r) => ack.ranges.push(r),
                    Err(e) => {
                        problem.get_or_insert(e);
                    }
                }
                return Ok(false);
            }
            (Space::Rm, "Nack") => {
                let text = me.text(child)?;
                match parse_u64(&text) {
                    _ if ack.nacks.len() >= DEFAULT_MAX_RANGES => {
                        problem.get_or_insert(format!("more than {DEFAULT_MAX_RANGES} nacks"));
                    }
                    Some(n) if (1..=MAX_MESSAGE_NUMBER).contains(&n) => ack.nacks.push(n),
                    _ => {
                        problem.get_or_insert(format!("Nack `{text}` is not a message number"));
                    }
                }
            }
            (Space::Rm, "None") if version.is_11() => {
                none = true;
                return Ok(false);
            }
            (Space::Rm, "Final") if version.is_11() => {
                ack.is_final = true;
                return Ok(false);
            }
            (Space::Netrm, "BufferRemaining") => {
                let text = me.text(child)?;
                // WCF: an int, negative is an error, and so is a second one.
                let value = text
                    .strip_prefix('+')
                    .unwrap_or(&text)
                    .parse::<i32>()
                    .ok()
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or_else(|| {
                        WireError::invalid("BufferRemaining", format!("`{text}` is not 0..int max"))
                    })?;
                set_once(&mut ack.buffer_remaining, value, "BufferRemaining")?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    let identifier = required(identifier, E, "Identifier")?;
    let has_ranges = !ack.ranges.is_empty() || zero_range;
    if problem.is_none() {
        problem = match (has_ranges, none, ack.nacks.is_empty()) {
            (true, true, _) => Some("both AcknowledgementRange and None".to_owned()),
            (true, _, false) | (_, true, false) => {
                Some("Nack together with AcknowledgementRange or None".to_owned())
            }
            (false, false, true) => Some("no AcknowledgementRange, None or Nack".to_owned()),
            _ if ack.is_final && !ack.nacks.is_empty() => Some("Final with Nack".to_owned()),
            _ => None,
        };
    }
    if let Some(reason) = problem {
        return Err(WireError::Fault(WsrmFault::InvalidAcknowledgement {
            identifier,
            reason,
        }));
    }
    ack.identifier = identifier;
    Ok(ack)
}

/// The `Upper`/`Lower` attributes of one `AcknowledgementRange`; other attributes are
/// extensions and ignored.
fn range(element: &Element<'_>) -> Result<AckRange, String> {
    let (mut upper, mut lower) = (None, None);
    for attr in element.start.attributes() {
        let attr = attr.map_err(|e| format!("bad attribute in AcknowledgementRange: {e}"))?;
        if attr.key.prefix().is_some() {
            continue;
        }
        let slot = match attr.key.local_name().into_inner() {
            "Upper" => &mut upper,
            "Lower" => &mut lower,
            _ => continue,
        };
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("bad attribute in AcknowledgementRange: {e}"))?;
        let value = trim(&value);
        *slot = Some(parse_u64(value).ok_or_else(|| format!("`{value}` is not a number"))?);
    }
    let (Some(upper), Some(lower)) = (upper, lower) else {
        return Err("an AcknowledgementRange lacks Upper or Lower".to_owned());
    };
    let r = AckRange::new(lower, upper);
    if lower == 0 && upper == 0 {
        return Ok(r);
    }
    if lower == 0 || lower > upper || upper > MAX_MESSAGE_NUMBER {
        return Err(format!("invalid AcknowledgementRange {lower}-{upper}"));
    }
    Ok(r)
}

/// Reads a `wsrm:AckRequested` header. The optional 1.0 number (`MessageNumber` as WCF reads it,
/// `MaxMessageNumberUsed` as the XSD names it) is kept when it is a valid number and otherwise
/// ignored, like WCF ignores its value.
pub fn read_ack_requested(
    version: ReliableMessagingVersion,
    header: &RawHeader,
    quotas: &ReaderQuotas,
) -> Result<AckRequested, WireError> {
    const E: &str = "AckRequested";
    let fragment = header_fragment(version, header, E)?;
    if let Some(request) = super::scan::ack_requested(version, fragment, quotas) {
        return Ok(request);
    }
    general_ack_requested(version, fragment, quotas)
}

/// The general reader behind the fast path: any layout, and every error.
pub(super) fn general_ack_requested(
    version: ReliableMessagingVersion,
    fragment: &XmlFragment,
    quotas: &ReaderQuotas,
) -> Result<AckRequested, WireError> {
    const E: &str = "AckRequested";
    let mut rd = Reader::new(fragment, version, quotas)?;
    let root = rd.root(E)?;
    let (mut identifier, mut message_number) = (None, None);
    rd.children(&root, |me, child, space| {
        match (space, child.local()) {
            (Space::Rm, "Identifier") => set_once(&mut identifier, me.text(child)?, E)?,
            (Space::Rm, "MessageNumber" | "MaxMessageNumberUsed") if !version.is_11() => {
                message_number = parse_u64(&me.text(child)?).filter(|n| *n <= MAX_MESSAGE_NUMBER);
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(AckRequested {
        identifier: required(identifier, E, "Identifier")?,
        message_number,
    })
}

fn payload(message: &Message, element: &'static str) -> Result<XmlFragment, WireError> {
    match &message.body {
        SoapBody::Payload(fragment) => Ok(fragment.clone()),
        _ => Err(WireError::invalid(element, "the body is empty or a fault")),
    }
}

/// Reads a `wsrm:CreateSequence` body. 1.1's `Offer/Endpoint` and `IncompleteSequenceBehavior`
/// are read in 1.1 only (gSOAP also sends them in 1.0; they are skipped there).
pub fn read_create_sequence(
    version: ReliableMessagingVersion,
    body: &XmlFragment,
    quotas: &ReaderQuotas,
) -> Result<CreateSequence, WireError> {
    const E: &str = "CreateSequence";
    let mut rd = Reader::new(body, version, quotas)?;
    let root = rd.root(E)?;
    let (mut acks_to, mut expires, mut offer) = (None, None, None);
    rd.children(&root, |me, child, space| {
        if space != Space::Rm {
            return Ok(false);
        }
        match child.local() {
            "AcksTo" => set_once(&mut acks_to, me.epr(child, "AcksTo")?, E)?,
            "Expires" => set_once(&mut expires, me.text(child)?, E)?,
            "Offer" => set_once(&mut offer, read_offer(me, child, version)?, E)?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(CreateSequence {
        acks_to: required(acks_to, E, "AcksTo")?,
        expires,
        offer,
    })
}

fn read_offer<'a>(
    rd: &mut Reader<'a>,
    element: &Element<'a>,
    version: ReliableMessagingVersion,
) -> Result<Offer, WireError> {
    const E: &str = "Offer";
    let (mut identifier, mut endpoint, mut expires, mut behavior) = (None, None, None, None);
    rd.children(element, |me, child, space| {
        if space != Space::Rm {
            return Ok(false);
        }
        match child.local() {
            "Identifier" => set_once(&mut identifier, me.text(child)?, E)?,
            "Expires" => set_once(&mut expires, me.text(child)?, E)?,
            "Endpoint" if version.is_11() => {
                set_once(&mut endpoint, me.epr(child, "Endpoint")?, E)?;
            }
            "IncompleteSequenceBehavior" if version.is_11() => {
                let b = incomplete_sequence_behavior(&me.text(child)?)?;
                set_once(&mut behavior, b, E)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    if version.is_11() && endpoint.is_none() {
        return Err(WireError::invalid(E, "Endpoint is missing"));
    }
    Ok(Offer {
        identifier: required(identifier, E, "Identifier")?,
        endpoint,
        expires,
        incomplete_sequence_behavior: behavior,
    })
}

/// Reads a `wsrm:CreateSequenceResponse` body.
pub fn read_create_sequence_response(
    version: ReliableMessagingVersion,
    body: &XmlFragment,
    quotas: &ReaderQuotas,
) -> Result<CreateSequenceResponse, WireError> {
    const E: &str = "CreateSequenceResponse";
    let mut rd = Reader::new(body, version, quotas)?;
    let root = rd.root(E)?;
    let (mut identifier, mut expires, mut behavior, mut accept) = (None, None, None, None);
    rd.children(&root, |me, child, space| {
        if space != Space::Rm {
            return Ok(false);
        }
        match child.local() {
            "Identifier" => set_once(&mut identifier, me.text(child)?, E)?,
            "Expires" => set_once(&mut expires, me.text(child)?, E)?,
            "IncompleteSequenceBehavior" if version.is_11() => {
                let b = incomplete_sequence_behavior(&me.text(child)?)?;
                set_once(&mut behavior, b, E)?;
            }
            "Accept" => {
                let mut acks_to = None;
                me.children(child, |me, c, space| {
                    if space == Space::Rm && c.local() == "AcksTo" {
                        set_once(&mut acks_to, me.epr(c, "AcksTo")?, "Accept")?;
                        return Ok(true);
                    }
                    Ok(false)
                })?;
                let acks_to = required(acks_to, "Accept", "AcksTo")?;
                set_once(&mut accept, Accept { acks_to }, E)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(CreateSequenceResponse {
        identifier: required(identifier, E, "Identifier")?,
        expires,
        incomplete_sequence_behavior: behavior,
        accept,
    })
}

/// Identifier and optional LastMsgNumber of Close/Terminate and their responses.
fn identifier_body(
    version: ReliableMessagingVersion,
    body: &XmlFragment,
    quotas: &ReaderQuotas,
    element: &'static str,
) -> Result<(String, Option<u64>), WireError> {
    let mut rd = Reader::new(body, version, quotas)?;
    let root = rd.root(element)?;
    let (mut identifier, mut last) = (None, None);
    rd.children(&root, |me, child, space| {
        match (space, child.local()) {
            (Space::Rm, "Identifier") => set_once(&mut identifier, me.text(child)?, element)?,
            (Space::Rm, "LastMsgNumber") if version.is_11() => {
                let n = message_number(&me.text(child)?, "LastMsgNumber")?;
                set_once(&mut last, n, element)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok((required(identifier, element, "Identifier")?, last))
}

fn require_11(version: ReliableMessagingVersion, what: &'static str) -> Result<(), WireError> {
    if version.is_11() {
        Ok(())
    } else {
        Err(WireError::Unsupported { what, version })
    }
}

/// Reads a 1.1 `wsrm:CloseSequence` body.
pub fn read_close_sequence(
    version: ReliableMessagingVersion,
    body: &XmlFragment,
    quotas: &ReaderQuotas,
) -> Result<CloseSequence, WireError> {
    require_11(version, "CloseSequence")?;
    let (identifier, last_msg_number) = identifier_body(version, body, quotas, "CloseSequence")?;
    Ok(CloseSequence {
        identifier,
        last_msg_number,
    })
}

/// Reads a 1.1 `wsrm:CloseSequenceResponse` body: the identifier.
pub fn read_close_sequence_response(
    version: ReliableMessagingVersion,
    body: &XmlFragment,
    quotas: &ReaderQuotas,
) -> Result<String, WireError> {
    require_11(version, "CloseSequenceResponse")?;
    Ok(identifier_body(version, body, quotas, "CloseSequenceResponse")?.0)
}

/// Reads a `wsrm:TerminateSequence` body (LastMsgNumber in 1.1 only).
pub fn read_terminate_sequence(
    version: ReliableMessagingVersion,
    body: &XmlFragment,
    quotas: &ReaderQuotas,
) -> Result<TerminateSequence, WireError> {
    let (identifier, last_msg_number) =
        identifier_body(version, body, quotas, "TerminateSequence")?;
    Ok(TerminateSequence {
        identifier,
        last_msg_number,
    })
}

/// Reads a 1.1 `wsrm:TerminateSequenceResponse` body: the identifier.
pub fn read_terminate_sequence_response(
    version: ReliableMessagingVersion,
    body: &XmlFragment,
    quotas: &ReaderQuotas,
) -> Result<String, WireError> {
    require_11(version, "TerminateSequenceResponse")?;
    Ok(identifier_body(version, body, quotas, "TerminateSequenceResponse")?.0)
}

/// Strips the spec's `[Reason]` wording [`WsrmFault::reason`] puts in front, so a fault read
/// back carries the specific reason only.
fn specific_reason(fault_reason: &str, template: &WsrmFault) -> String {
    let spec = template.reason();
    let spec = spec.trim_end();
    fault_reason
        .strip_prefix(spec)
        .unwrap_or(fault_reason)
        .trim()
        .to_owned()
}

/// The identifier and max number found in a fault detail or SequenceFault header.
#[derive(Default)]
struct FaultDetail {
    identifier: Option<String>,
    code: Option<String>,
    max_message_number: Option<u64>,
}

/// Looks for `wsrm:Identifier`, `wsrm:MaxMessageNumber` and `wsrm:FaultCode` among the
/// fragment's elements at any depth up to `wsrm:Detail`.
fn scan_detail(
    version: ReliableMessagingVersion,
    fragment: &XmlFragment,
    quotas: &ReaderQuotas,
    found: &mut FaultDetail,
) -> Result<(), WireError> {
    let mut rd = Reader::new(fragment, version, quotas)?;
    loop {
        use crate::xml::Node;
        match rd.r.next()? {
            Node::Start(el) => {
                let rm = rd.space(&el)? == Space::Rm;
                match (rm, el.local()) {
                    (true, "Identifier") if found.identifier.is_none() => {
                        found.identifier = Some(rd.text(&el)?);
                    }
                    (true, "MaxMessageNumber") => {
                        found.max_message_number = parse_u64(&rd.text(&el)?);
                    }
                    (true, "FaultCode") => found.code = Some(rd.text(&el)?),
                    // Descend into anything else (SequenceFault, Detail, wrappers).
                    _ => {}
                }
            }
            Node::Eof => return Ok(()),
            Node::End | Node::Text(_) => {}
        }
    }
}

/// Recognises a WS-RM fault: a SOAP fault whose code or a subcode is in the version's WS-RM
/// namespace (or, failing that, a `wsrm:SequenceFault` header naming the code). Returns `None`
/// for any other fault. The identifier comes from the detail or the SequenceFault header.
pub fn read_fault(
    version: ReliableMessagingVersion,
    message: &Message,
    quotas: &ReaderQuotas,
) -> Result<Option<WsrmFault>, WireError> {
    let SoapBody::Fault(fault) = &message.body else {
        return Ok(None);
    };
    let mut found = FaultDetail::default();
    if let Some(detail) = &fault.detail {
        scan_detail(version, detail, quotas, &mut found)?;
    }
    for header in &message.headers.other {
        if header.name.is(version.namespace(), "SequenceFault") {
            scan_detail(version, &header.xml, quotas, &mut found)?;
        }
    }
    let code = fault_code(version, fault).or_else(|| {
        // The header's FaultCode is `prefix:Local`; the prefix is not resolved here because
        // only WS-RM names are acceptable and the local name decides.
        let text = found.code.as_deref()?;
        WsrmFaultCode::from_local_name(text.rsplit(':').next().unwrap_or(text))
    });
    let Some(code) = code else {
        return Ok(None);
    };
    let soap_code = match fault.code.value {
        FaultCodeValue::Receiver => SoapFaultCode::Receiver,
        _ => SoapFaultCode::Sender,
    };
    let identifier = found.identifier.unwrap_or_default();
    Ok(Some(match code {
        WsrmFaultCode::SequenceTerminated => {
            let template = WsrmFault::SequenceTerminated {
                identifier: String::new(),
                code: soap_code,
                reason: String::new(),
            };
            WsrmFault::SequenceTerminated {
                identifier,
                code: soap_code,
                reason: specific_reason(&fault.reason, &template),
            }
        }
        WsrmFaultCode::UnknownSequence => WsrmFault::UnknownSequence { identifier },
        WsrmFaultCode::InvalidAcknowledgement => {
            let template = WsrmFault::InvalidAcknowledgement {
                identifier: String::new(),
                reason: String::new(),
            };
            WsrmFault::InvalidAcknowledgement {
                identifier,
                reason: specific_reason(&fault.reason, &template),
            }
        }
        WsrmFaultCode::MessageNumberRollover => WsrmFault::MessageNumberRollover {
            identifier,
            max_message_number: found
                .max_message_number
                .unwrap_or(MAX_MESSAGE_NUMBER)
                .min(MAX_MESSAGE_NUMBER),
        },
        WsrmFaultCode::CreateSequenceRefused => {
            let template = WsrmFault::CreateSequenceRefused {
                code: soap_code,
                reason: String::new(),
                connection_limit_reached: false,
            };
            WsrmFault::CreateSequenceRefused {
                code: soap_code,
                reason: specific_reason(&fault.reason, &template),
                connection_limit_reached: fault
                    .code
                    .subcodes
                    .iter()
                    .any(|s| s.is(NETRM_NAMESPACE, "ConnectionLimitReached")),
            }
        }
        WsrmFaultCode::LastMessageNumberExceeded => {
            WsrmFault::LastMessageNumberExceeded { identifier }
        }
        WsrmFaultCode::SequenceClosed => WsrmFault::SequenceClosed { identifier },
        WsrmFaultCode::WsrmRequired => WsrmFault::WsrmRequired,
    }))
}

fn fault_code(version: ReliableMessagingVersion, fault: &MessageFault) -> Option<WsrmFaultCode> {
    let top = match &fault.code.value {
        FaultCodeValue::Other(name) => Some(name),
        _ => None,
    };
    top.into_iter()
        .chain(&fault.code.subcodes)
        .filter(|name| name.namespace == version.namespace())
        .find_map(|name| WsrmFaultCode::from_local_name(&name.local))
}

/// Reads a received message into the core's terms. Protocol messages are recognised by their
/// action (§1.2) or, for faults, by their `wsrm:` subcode; any other message with a `Sequence`
/// header is an application message, returned as the payload with the WS-RM headers taken
/// out. The WS-RM headers of the version are parsed wherever they ride; each may appear once.
pub fn read_message(
    version: ReliableMessagingVersion,
    mut message: Message,
    quotas: &ReaderQuotas,
) -> Result<ProtocolMessage<Message>, WireError> {
    let (mut sequence, mut acknowledgement, mut ack_requested) = (None, None, None);
    // The binary reader hands over the usual headers as values already.
    if let Some(typed) = message.headers.wsrm.take() {
        if typed.version == version {
            (sequence, acknowledgement, ack_requested) =
                (typed.sequence, typed.acknowledgement, typed.ack_requested);
        } else {
            message.headers.wsrm = Some(typed);
            message.headers.untype_wsrm(message.version.envelope);
        }
    }
    let mut rest = Vec::with_capacity(message.headers.other.len());
    for header in std::mem::take(&mut message.headers.other) {
        if header.name.namespace != version.namespace() {
            rest.push(header);
            continue;
        }
        match header.name.local.as_str() {
            "Sequence" => set_once(
                &mut sequence,
                read_sequence_header(version, &header, quotas)?,
                "Sequence",
            )?,
            "SequenceAcknowledgement" => set_once(
                &mut acknowledgement,
                read_acknowledgement(version, &header, quotas)?,
                "SequenceAcknowledgement",
            )?,
            "AckRequested" => set_once(
                &mut ack_requested,
                read_ack_requested(version, &header, quotas)?,
                "AckRequested",
            )?,
            _ => rest.push(header),
        }
    }
    message.headers.other = rest;
    let action = WsrmAction::from_uri(message.action(), version);
    let body = if let Some(fault) = read_fault(version, &message, quotas)? {
        ProtocolBody::Fault(fault)
    } else {
        match action {
            // WCF answers a CreateSequence it cannot use with CreateSequenceRefused (Sender):
            // an empty body, AcksTo unlike ReplyTo (RS `CreateSequenceInfo.ReadMessage`).
            Some(WsrmAction::CreateSequence) => ProtocolBody::CreateSequence(
                payload(&message, "CreateSequence")
                    .and_then(|body| read_create_sequence(version, &body, quotas))
                    .map_err(WireError::refusing_create_sequence)?,
            ),
            Some(WsrmAction::CreateSequenceResponse) => {
                ProtocolBody::CreateSequenceResponse(read_create_sequence_response(
                    version,
                    &payload(&message, "CreateSequenceResponse")?,
                    quotas,
                )?)
            }
            Some(WsrmAction::CloseSequence) => ProtocolBody::CloseSequence(read_close_sequence(
                version,
                &payload(&message, "CloseSequence")?,
                quotas,
            )?),
            Some(WsrmAction::CloseSequenceResponse) => {
                ProtocolBody::CloseSequenceResponse(read_close_sequence_response(
                    version,
                    &payload(&message, "CloseSequenceResponse")?,
                    quotas,
                )?)
            }
            Some(WsrmAction::TerminateSequence) => ProtocolBody::TerminateSequence(
                read_terminate_sequence(version, &payload(&message, "TerminateSequence")?, quotas)?,
            ),
            Some(WsrmAction::TerminateSequenceResponse) => {
                ProtocolBody::TerminateSequenceResponse(read_terminate_sequence_response(
                    version,
                    &payload(&message, "TerminateSequenceResponse")?,
                    quotas,
                )?)
            }
            Some(WsrmAction::LastMessage) => ProtocolBody::Sequence {
                header: sequence.take().ok_or_else(|| {
                    WireError::invalid("Sequence", "a LastMessage message has no Sequence header")
                })?,
                payload: None,
            },
            Some(WsrmAction::SequenceAcknowledgement) if acknowledgement.is_some() => {
                ProtocolBody::Empty
            }
            Some(WsrmAction::AckRequested) if ack_requested.is_some() => ProtocolBody::Empty,
            Some(WsrmAction::SequenceAcknowledgement) => {
                return Err(WireError::invalid(
                    "SequenceAcknowledgement",
                    "the header is missing",
                ))
            }
            Some(WsrmAction::AckRequested) => {
                return Err(WireError::invalid("AckRequested", "the header is missing"))
            }
            Some(WsrmAction::Fault) | None => match sequence.take() {
                Some(header) => {
                    let payload = Some(message);
                    return Ok(ProtocolMessage {
                        body: ProtocolBody::Sequence { header, payload },
                        acknowledgement,
                        ack_requested,
                    });
                }
                None => {
                    return Err(WireError::NotReliableMessaging {
                        action: message.action().to_owned(),
                    })
                }
            },
        }
    };
    Ok(ProtocolMessage {
        body,
        acknowledgement,
        ack_requested,
    })
}
