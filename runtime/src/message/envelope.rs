//! SOAP 1.1 / 1.2 envelopes with WS-Addressing 1.0 headers, written and read with quick-xml.
//!
//! Writing follows WCF's byte layout (prefixes `s` and `a`, `mustUnderstand="1"` on Action and
//! To) so captures compare equal. Reading accepts any prefixes, checks well-formedness and the
//! reader quotas over the whole envelope, and keeps the body as a zero-copy slice of the input.

use super::{
    ns, AddressingVersion, Body, EnvelopeVersion, FaultCode, FaultCodeValue, Headers, Message,
    MessageFault, MessageVersion, QualifiedName, RawHeader, ReaderQuotas, XmlError, XmlFragment,
};
use crate::serialization::xml::{
    check_start_and_record, check_string_quota, element_ns, in_scope_namespaces, is_whitespace,
    map_error, resolve_ref, trim, write_attr, write_ns_decl, write_text, NameTable, UTF8_BOM,
};
use bytes::Bytes;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, PrefixDeclaration, QName, ResolveResult};
use quick_xml::{NsReader, Reader, XmlVersion};
use std::borrow::Cow;

/// Appends `message` to `out` as a complete SOAP envelope (no XML declaration).
pub fn write_envelope(message: &Message, out: &mut Vec<u8>) -> Result<(), XmlError> {
    // One allocation up front instead of a doubling series while the envelope is written.
    out.reserve(size_hint(message));
    let rollback = out.len();
    let result = EnvelopeWriter::new(message, out).write();
    if result.is_err() {
        out.truncate(rollback);
    }
    result
}

/// Parses a complete SOAP envelope of the binding's `version`.
pub fn read_envelope(
    bytes: Bytes,
    version: MessageVersion,
    quotas: &ReaderQuotas,
) -> Result<Message, XmlError> {
    // A U+FEFF right after the byte order mark is content before the root element. quick-xml
    // would skip it as a second BOM without counting it in its positions, and the body and
    // headers, cut out of `bytes` by those positions, would come out shifted (found by the
    // `soap_envelope` fuzz target).
    if bytes.starts_with(UTF8_BOM) && bytes[UTF8_BOM.len()..].starts_with(UTF8_BOM) {
        return Err(XmlError::Malformed(
            "content before the root element: a second byte order mark".into(),
        ));
    }
    let mut reader = EnvelopeReader::new(&bytes, version.envelope, quotas);
    let (headers, body) = reader.read()?;
    Ok(Message {
        version,
        headers,
        body,
        awaits_reply: false,
    })
}

/// About how many bytes `message` takes as an envelope: the variable parts plus room for the
/// markup around them (escaping may add a little more).
fn size_hint(message: &Message) -> usize {
    const MARKUP: usize = 320;
    let headers = &message.headers;
    let addressing: usize = [
        &headers.action,
        &headers.message_id,
        &headers.to,
        &headers.reply_to,
        &headers.relates_to,
    ]
    .iter()
    .map(|value| value.as_deref().map_or(0, |v| v.len() + 40))
    .sum();
    let fragment = |f: &XmlFragment| {
        f.xml.len()
            + f.inherited_namespaces
                .iter()
                .map(|(prefix, uri)| prefix.len() + uri.len() + 10)
                .sum::<usize>()
    };
    let other: usize = headers.other.iter().map(|h| fragment(&h.xml)).sum();
    let body = match &message.body {
        Body::Empty => 0,
        Body::Payload(payload) => fragment(payload),
        Body::Fault(fault) => {
            fault.reason.len()
                + fault.node.as_deref().map_or(0, str::len)
                + fault.detail.as_ref().map_or(0, fragment)
                + MARKUP
        }
    };
    MARKUP + addressing + other + body
}

fn envelope_ns(version: EnvelopeVersion) -> &'static str {
    match version {
        EnvelopeVersion::Soap11 => ns::SOAP11,
        EnvelopeVersion::Soap12 => ns::SOAP12,
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

struct EnvelopeWriter<'m, 'o> {
    message: &'m Message,
    out: &'o mut Vec<u8>,
    env_ns: &'static str,
    /// The declarations on `<s:Envelope>`, which everything inside may rely on.
    scope: [(&'static str, &'static str); 2],
    scope_len: usize,
}

impl<'m, 'o> EnvelopeWriter<'m, 'o> {
    fn new(message: &'m Message, out: &'o mut Vec<u8>) -> Self {
        let env_ns = envelope_ns(message.version.envelope);
        let addressing = message.version.addressing == AddressingVersion::WsAddressing10;
        EnvelopeWriter {
            message,
            out,
            env_ns,
            scope: [("s", env_ns), ("a", ns::WSA10)],
            scope_len: if addressing { 2 } else { 1 },
        }
    }

    fn scope(&self) -> &[(&'static str, &'static str)] {
        &self.scope[..self.scope_len]
    }

    fn fragment(
        &mut self,
        fragment: &XmlFragment,
        container: Option<&str>,
    ) -> Result<(), XmlError> {
        let scope = self.scope;
        write_fragment(self.out, fragment, &scope[..self.scope_len], container)
    }

    fn addressing(&self) -> bool {
        self.scope_len == 2
    }

    fn raw(&mut self, bytes: &str) {
        self.out.extend_from_slice(bytes.as_bytes());
    }

    fn write(&mut self) -> Result<(), XmlError> {
        self.raw("<s:Envelope");
        write_ns_decl(self.out, "s", self.env_ns);
        if self.addressing() {
            write_ns_decl(self.out, "a", ns::WSA10);
        }
        self.raw(">");
        self.write_header()?;
        self.write_body()?;
        self.raw("</s:Envelope>");
        Ok(())
    }

    fn write_header(&mut self) -> Result<(), XmlError> {
        let headers = &self.message.headers;
        let addressing = self.addressing()
            && (headers.action.is_some()
                || headers.message_id.is_some()
                || headers.reply_to.is_some()
                || headers.relates_to.is_some()
                || headers.to.is_some());
        // WCF omits an empty header (basicHttp has no addressing headers at all).
        if !addressing && headers.other.is_empty() {
            return Ok(());
        }
        self.raw("<s:Header>");
        if addressing {
            self.write_addressing(headers);
        }
        for header in &headers.other {
            self.fragment(&header.xml, None)?;
        }
        self.raw("</s:Header>");
        Ok(())
    }

    fn write_addressing(&mut self, headers: &Headers) {
        self.text_header("Action", true, headers.action.as_deref());
        self.text_header("MessageID", false, headers.message_id.as_deref());
        if let Some(address) = &headers.reply_to {
            self.raw("<a:ReplyTo><a:Address>");
            write_text(self.out, address);
            self.raw("</a:Address></a:ReplyTo>");
        }
        self.text_header("RelatesTo", false, headers.relates_to.as_deref());
        self.text_header("To", true, headers.to.as_deref());
    }

    fn text_header(&mut self, local: &str, must_understand: bool, value: Option<&str>) {
        let Some(value) = value else {
            return;
        };
        self.raw("<a:");
        self.raw(local);
        if must_understand {
            self.raw(" s:mustUnderstand=\"1\"");
        }
        self.raw(">");
        write_text(self.out, value);
        self.raw("</a:");
        self.raw(local);
        self.raw(">");
    }

    fn write_body(&mut self) -> Result<(), XmlError> {
        match &self.message.body {
            Body::Empty => self.raw("<s:Body/>"),
            Body::Payload(payload) => {
                self.raw("<s:Body");
                self.fragment(payload, Some("s"))?;
                self.raw("</s:Body>");
            }
            Body::Fault(fault) => {
                self.raw("<s:Body><s:Fault>");
                match self.message.version.envelope {
                    EnvelopeVersion::Soap12 => self.write_fault12(fault)?,
                    EnvelopeVersion::Soap11 => self.write_fault11(fault)?,
                }
                self.raw("</s:Fault></s:Body>");
            }
        }
        Ok(())
    }

    fn write_fault12(&mut self, fault: &MessageFault) -> Result<(), XmlError> {
        self.raw("<s:Code>");
        match &fault.code.value {
            FaultCodeValue::Other(name) => self.qname_element("s:Value", name),
            value => {
                self.raw("<s:Value>s:");
                self.raw(soap12_code(value));
                self.raw("</s:Value>");
            }
        }
        for subcode in &fault.code.subcodes {
            self.raw("<s:Subcode>");
            self.qname_element("s:Value", subcode);
        }
        for _ in &fault.code.subcodes {
            self.raw("</s:Subcode>");
        }
        self.raw("</s:Code><s:Reason><s:Text xml:lang=\"");
        write_attr(self.out, &fault.reason_lang);
        self.raw("\">");
        write_text(self.out, &fault.reason);
        self.raw("</s:Text></s:Reason>");
        if let Some(node) = fault.node.as_deref().filter(|n| !n.is_empty()) {
            self.raw("<s:Node>");
            write_text(self.out, node);
            self.raw("</s:Node>");
        }
        if let Some(detail) = &fault.detail {
            self.raw("<s:Detail");
            self.fragment(detail, Some("s"))?;
            self.raw("</s:Detail>");
        }
        Ok(())
    }

    fn write_fault11(&mut self, fault: &MessageFault) -> Result<(), XmlError> {
        // SOAP 1.1 has room for one code: WCF sends the innermost subcode when there is one.
        match (fault.code.subcode(), &fault.code.value) {
            (Some(name), _) | (None, FaultCodeValue::Other(name)) => {
                self.qname_element("faultcode", name);
            }
            (None, value) => {
                self.raw("<faultcode>s:");
                self.raw(soap11_code(value));
                self.raw("</faultcode>");
            }
        }
        self.raw("<faultstring");
        if !fault.reason_lang.is_empty() {
            self.raw(" xml:lang=\"");
            write_attr(self.out, &fault.reason_lang);
            self.raw("\"");
        }
        self.raw(">");
        write_text(self.out, &fault.reason);
        self.raw("</faultstring>");
        if let Some(node) = fault.node.as_deref().filter(|n| !n.is_empty()) {
            self.raw("<faultactor>");
            write_text(self.out, node);
            self.raw("</faultactor>");
        }
        if let Some(detail) = &fault.detail {
            self.raw("<detail");
            self.fragment(detail, Some(""))?;
            self.raw("</detail>");
        }
        Ok(())
    }

    /// `<{element}>prefix:local</{element}>`, declaring the name's namespace on the element
    /// (as `a`, like WCF) unless the envelope already binds it.
    fn qname_element(&mut self, element: &str, name: &QualifiedName) {
        self.raw("<");
        self.raw(element);
        let prefix = match self.scope().iter().find(|(_, uri)| *uri == name.namespace) {
            Some((prefix, _)) => *prefix,
            None if name.namespace.is_empty() => "",
            None => {
                write_ns_decl(self.out, "a", &name.namespace);
                "a"
            }
        };
        self.raw(">");
        if !prefix.is_empty() {
            self.raw(prefix);
            self.raw(":");
        }
        write_text(self.out, &name.local);
        self.raw("</");
        self.raw(element);
        self.raw(">");
    }
}

fn soap12_code(value: &FaultCodeValue) -> &'static str {
    match value {
        FaultCodeValue::Sender | FaultCodeValue::Other(_) => "Sender",
        FaultCodeValue::Receiver => "Receiver",
        FaultCodeValue::VersionMismatch => "VersionMismatch",
        FaultCodeValue::MustUnderstand => "MustUnderstand",
        FaultCodeValue::DataEncodingUnknown => "DataEncodingUnknown",
    }
}

fn soap11_code(value: &FaultCodeValue) -> &'static str {
    match value {
        FaultCodeValue::Receiver => "Server",
        FaultCodeValue::VersionMismatch => "VersionMismatch",
        FaultCodeValue::MustUnderstand => "MustUnderstand",
        // SOAP 1.1 has no DataEncodingUnknown; it is the sender's problem.
        FaultCodeValue::Sender | FaultCodeValue::DataEncodingUnknown | FaultCodeValue::Other(_) => {
            "Client"
        }
    }
}

/// Writes a fragment cut out of another document so it means the same here. With `container`
/// set, the container's start tag is open (`<s:Body`) and gets the fragment's inherited
/// declarations, except those that would rename the container itself (its own prefix); those,
/// and all of them without a container, go on each top-level element of the fragment instead.
/// Declarations the envelope already makes are skipped.
fn write_fragment(
    out: &mut Vec<u8>,
    fragment: &XmlFragment,
    scope: &[(&str, &str)],
    container: Option<&str>,
) -> Result<(), XmlError> {
    let mut inject = Vec::new();
    for (prefix, uri) in &fragment.inherited_namespaces {
        let already = scope.iter().any(|(p, u)| p == prefix && u == uri);
        if already || prefix == "xml" || prefix == "xmlns" {
            continue;
        }
        if container.is_some_and(|c| c != prefix) {
            write_ns_decl(out, prefix, uri);
        } else {
            inject.push((prefix.as_str(), uri.as_str()));
        }
    }
    if container.is_some() {
        out.push(b'>');
    }
    if inject.is_empty() {
        out.extend_from_slice(&fragment.xml);
        Ok(())
    } else {
        inject_declarations(out, &fragment.xml, &inject)
    }
}

/// Copies `xml`, adding `declarations` to every top-level start tag that does not make them.
fn inject_declarations(
    out: &mut Vec<u8>,
    xml: &[u8],
    declarations: &[(&str, &str)],
) -> Result<(), XmlError> {
    let bad =
        |what: String| XmlError::Serialize(format!("a fragment is not well-formed XML: {what}"));
    let mut reader = Reader::from_reader(xml);
    let mut depth = 0usize;
    let mut copied = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| bad(e.to_string()))?;
        let end = usize::try_from(reader.buffer_position()).map_err(|e| bad(e.to_string()))?;
        let (start, empty) = match &event {
            Event::Start(start) if depth == 0 => (start, false),
            Event::Empty(start) if depth == 0 => (start, true),
            Event::Start(_) => {
                depth += 1;
                continue;
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Event::Eof if depth == 0 => break,
            Event::Eof => return Err(bad("an element is not closed".into())),
            _ => continue,
        };
        // The tag ends in `>` or `/>`; declarations go just before.
        let insert_at = end
            .checked_sub(if empty { 2 } else { 1 })
            .filter(|&at| at >= copied && at <= xml.len())
            .ok_or_else(|| bad("truncated start tag".into()))?;
        out.extend_from_slice(&xml[copied..insert_at]);
        for (prefix, uri) in declarations {
            if !declares(start, prefix) {
                write_ns_decl(out, prefix, uri);
            }
        }
        copied = insert_at;
        if !empty {
            depth += 1;
        }
    }
    out.extend_from_slice(xml.get(copied..).unwrap_or_default());
    Ok(())
}

fn declares(start: &BytesStart<'_>, prefix: &str) -> bool {
    start.attributes().with_checks(false).flatten().any(|attr| {
        match attr.key.as_namespace_binding() {
            Some(PrefixDeclaration::Default) => prefix.is_empty(),
            Some(PrefixDeclaration::Named(p)) => p == prefix,
            None => false,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Reading

/// The WS-Addressing headers Indigo interprets.
#[derive(Clone, Copy)]
enum AddressingHeader {
    Action,
    MessageId,
    To,
    RelatesTo,
    ReplyTo,
}

impl AddressingHeader {
    fn from_local(local: &str) -> Option<Self> {
        Some(match local {
            "Action" => AddressingHeader::Action,
            "MessageID" => AddressingHeader::MessageId,
            "To" => AddressingHeader::To,
            "RelatesTo" => AddressingHeader::RelatesTo,
            "ReplyTo" => AddressingHeader::ReplyTo,
            _ => return None,
        })
    }

    fn slot(self, headers: &mut Headers) -> &mut Option<String> {
        match self {
            AddressingHeader::Action => &mut headers.action,
            AddressingHeader::MessageId => &mut headers.message_id,
            AddressingHeader::To => &mut headers.to,
            AddressingHeader::RelatesTo => &mut headers.relates_to,
            AddressingHeader::ReplyTo => &mut headers.reply_to,
        }
    }
}

/// A start tag together with whether it was an empty-element tag and where it began.
struct Open<'i> {
    start: BytesStart<'i>,
    empty: bool,
    at: usize,
}

struct EnvelopeReader<'i> {
    reader: NsReader<&'i [u8]>,
    bytes: &'i Bytes,
    /// Length of a skipped byte order mark: reader positions are relative to what follows it.
    base: usize,
    quotas: ReaderQuotas,
    env_ns: &'static str,
    depth: usize,
    names: NameTable,
}

impl<'i> EnvelopeReader<'i> {
    fn new(bytes: &'i Bytes, version: EnvelopeVersion, quotas: &ReaderQuotas) -> Self {
        let base = if bytes.starts_with(UTF8_BOM) {
            UTF8_BOM.len()
        } else {
            0
        };
        EnvelopeReader {
            reader: NsReader::from_reader(bytes.get(base..).unwrap_or_default()),
            bytes,
            base,
            quotas: *quotas,
            env_ns: envelope_ns(version),
            depth: 0,
            names: NameTable::new(quotas.max_name_table_char_count),
        }
    }

    fn position(&self) -> usize {
        usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX)
    }

    /// The next event, with depth and well-formedness checked; comments and processing
    /// instructions are skipped.
    fn next(&mut self) -> Result<Event<'i>, XmlError> {
        loop {
            let event = self
                .reader
                .read_event()
                .map_err(|e| map_error(e, self.reader.buffer_position()))?;
            match &event {
                Event::Start(start) => self.enter(start, true)?,
                Event::Empty(start) => self.enter(start, false)?,
                Event::End(_) => self.depth = self.depth.saturating_sub(1),
                Event::Comment(_) | Event::PI(_) => continue,
                Event::Decl(_) if self.depth > 0 => {
                    return Err(XmlError::Malformed(
                        "an XML declaration inside the document".into(),
                    ))
                }
                Event::DocType(_) => {
                    return Err(XmlError::NotSoap(
                        "a SOAP message must not contain a document type declaration".into(),
                    ))
                }
                _ => {}
            }
            return Ok(event);
        }
    }

    /// The next element start (or `None` at the end of the current element), skipping
    /// whitespace; `context` names the parent in errors about stray text.
    fn next_child(&mut self, context: &str) -> Result<Option<Open<'i>>, XmlError> {
        loop {
            let at = self.position();
            match self.next()? {
                Event::Start(start) => {
                    return Ok(Some(Open {
                        start,
                        empty: false,
                        at,
                    }))
                }
                Event::Empty(start) => {
                    return Ok(Some(Open {
                        start,
                        empty: true,
                        at,
                    }))
                }
                Event::End(_) => return Ok(None),
                Event::Text(text) if is_whitespace(&text) => {}
                Event::Eof => return Err(eof(context)),
                _ => {
                    return Err(XmlError::NotSoap(format!(
                        "unexpected character data in {context}"
                    )))
                }
            }
        }
    }

    fn enter(&mut self, start: &BytesStart<'_>, push: bool) -> Result<(), XmlError> {
        if self.depth >= self.quotas.max_depth {
            return Err(XmlError::QuotaExceeded(format!(
                "elements are nested deeper than max_depth ({}) at <{}>",
                self.quotas.max_depth,
                start.name().into_inner()
            )));
        }
        check_start_and_record(
            &self.reader,
            start,
            self.reader.buffer_position(),
            &mut self.names,
        )?;
        if push {
            self.depth += 1;
        }
        Ok(())
    }

    fn namespace(&self, start: &BytesStart<'_>) -> Result<&str, XmlError> {
        element_ns(&self.reader, start.name(), self.reader.buffer_position())
    }

    fn qualified(&self, start: &BytesStart<'_>) -> Result<QualifiedName, XmlError> {
        let ns = self.namespace(start)?;
        Ok(QualifiedName::new(ns, start.local_name().into_inner()))
    }

    fn is_env(&self, start: &BytesStart<'_>, local: &str) -> Result<bool, XmlError> {
        Ok(start.local_name().into_inner() == local && self.namespace(start)? == self.env_ns)
    }

    /// Skips the rest of an element whose start tag was just read.
    fn skip(&mut self, open: &Open<'_>) -> Result<(), XmlError> {
        if open.empty {
            return Ok(());
        }
        let outer = self.depth.saturating_sub(1);
        while self.depth > outer {
            if let Event::Eof = self.next()? {
                return Err(eof(open.start.name().into_inner()));
            }
        }
        Ok(())
    }

    fn slice(&self, start: usize, end: usize) -> Result<Bytes, XmlError> {
        let (start, end) = (start + self.base, end + self.base);
        if start <= end && end <= self.bytes.len() {
            Ok(self.bytes.slice(start..end))
        } else {
            Err(XmlError::Malformed("element positions out of range".into()))
        }
    }

    fn read(&mut self) -> Result<(Headers, Body), XmlError> {
        let envelope = self.read_root()?;
        if envelope.empty {
            return Err(XmlError::NotSoap("the Envelope has no Body".into()));
        }
        let mut headers = Headers::default();
        let mut seen_header = false;
        let body = loop {
            let Some(child) = self.next_child("Envelope")? else {
                return Err(XmlError::NotSoap("the Envelope has no Body".into()));
            };
            if !seen_header && self.is_env(&child.start, "Header")? {
                seen_header = true;
                if !child.empty {
                    self.read_headers(&mut headers)?;
                }
            } else if self.is_env(&child.start, "Body")? {
                break if child.empty {
                    Body::Empty
                } else {
                    self.read_body()?
                };
            } else {
                return Err(XmlError::NotSoap(format!(
                    "expected Header or Body in the Envelope, found {}",
                    self.qualified(&child.start)?
                )));
            }
        };
        // SOAP 1.1 allows elements after the Body; nobody reads them.
        while let Some(extra) = self.next_child("Envelope")? {
            self.skip(&extra)?;
        }
        self.read_epilog()?;
        Ok((headers, body))
    }

    /// Reads up to the root start tag and checks it is this version's Envelope.
    fn read_root(&mut self) -> Result<Open<'i>, XmlError> {
        let mut first = true;
        loop {
            let at = self.position();
            let (start, empty) = match self.next()? {
                Event::Start(start) => (start, false),
                Event::Empty(start) => (start, true),
                Event::Decl(_) if first => {
                    first = false;
                    continue;
                }
                Event::Text(text) if is_whitespace(&text) => {
                    first = false;
                    continue;
                }
                Event::Eof => return Err(XmlError::Malformed("no root element".into())),
                _ => {
                    return Err(XmlError::Malformed(
                        "content before the root element".into(),
                    ))
                }
            };
            self.check_root(&start)?;
            return Ok(Open { start, empty, at });
        }
    }

    fn check_root(&self, start: &BytesStart<'_>) -> Result<(), XmlError> {
        let found = self.namespace(start)?;
        let is_envelope = start.local_name().into_inner() == "Envelope";
        if is_envelope && found == self.env_ns {
            Ok(())
        } else if is_envelope && (found == ns::SOAP11 || found == ns::SOAP12) {
            Err(XmlError::EnvelopeVersionMismatch {
                expected: self.env_ns,
                found: found.to_owned(),
            })
        } else {
            Err(XmlError::NotSoap(format!(
                "the root element is {}, not a SOAP Envelope",
                QualifiedName::new(found, start.local_name().into_inner())
            )))
        }
    }

    fn read_epilog(&mut self) -> Result<(), XmlError> {
        loop {
            match self.next()? {
                Event::Eof => return Ok(()),
                Event::Text(text) if is_whitespace(&text) => {}
                _ => {
                    return Err(XmlError::Malformed(
                        "content after the end of the Envelope".into(),
                    ))
                }
            }
        }
    }

    fn read_headers(&mut self, headers: &mut Headers) -> Result<(), XmlError> {
        while let Some(header) = self.next_child("Header")? {
            let addressing = if self.namespace(&header.start)? == ns::WSA10 {
                AddressingHeader::from_local(header.start.local_name().into_inner())
            } else {
                None
            };
            match addressing {
                Some(kind) => self.read_addressing_header(kind, &header, headers)?,
                None => {
                    let raw = self.read_raw_header(&header)?;
                    headers.other.push(raw);
                }
            }
        }
        Ok(())
    }

    fn read_addressing_header(
        &mut self,
        kind: AddressingHeader,
        header: &Open<'_>,
        headers: &mut Headers,
    ) -> Result<(), XmlError> {
        let local = header.start.local_name().into_inner();
        if kind.slot(headers).is_some() {
            return Err(XmlError::NotSoap(format!(
                "the message has more than one {local} header"
            )));
        }
        let value = match kind {
            AddressingHeader::ReplyTo => self.read_reply_to(header)?,
            _ => Some(trim(&self.read_text(header)?).to_owned()),
        };
        *kind.slot(headers) = value;
        Ok(())
    }

    /// The `Address` inside an endpoint reference; reference parameters are not kept.
    fn read_reply_to(&mut self, header: &Open<'_>) -> Result<Option<String>, XmlError> {
        if header.empty {
            return Ok(None);
        }
        let mut address = None;
        while let Some(child) = self.next_child("ReplyTo")? {
            if address.is_none() && child.start.local_name().into_inner() == "Address" {
                address = Some(trim(&self.read_text(&child)?).to_owned());
            } else {
                self.skip(&child)?;
            }
        }
        Ok(address)
    }

    fn read_raw_header(&mut self, header: &Open<'_>) -> Result<RawHeader, XmlError> {
        let name = self.qualified(&header.start)?;
        let must_understand = self.must_understand(&header.start)?;
        let inherited = self.inherited_by_current_element();
        self.skip(header)?;
        Ok(RawHeader {
            name,
            must_understand,
            xml: XmlFragment {
                xml: self.slice(header.at, self.position())?,
                inherited_namespaces: inherited,
            },
        })
    }

    /// The declarations in scope at the element just read that it does not make itself.
    fn inherited_by_current_element(&self) -> Vec<(String, String)> {
        let resolver = self.reader.resolver();
        let own: Vec<PrefixDeclaration<'_>> = resolver
            .bindings_of(resolver.level())
            .map(|(p, _)| p)
            .collect();
        let mut all = in_scope_namespaces(&self.reader);
        all.retain(|(prefix, _)| {
            let decl = if prefix.is_empty() {
                PrefixDeclaration::Default
            } else {
                PrefixDeclaration::Named(prefix)
            };
            !own.contains(&decl)
        });
        all
    }

    fn must_understand(&self, start: &BytesStart<'_>) -> Result<bool, XmlError> {
        for attr in start.attributes() {
            let attr = attr.map_err(|e| XmlError::Malformed(e.to_string()))?;
            if attr.key.local_name().into_inner() != "mustUnderstand" {
                continue;
            }
            let (ns, _) = self.reader.resolver().resolve_attribute(attr.key);
            if ns == ResolveResult::Bound(Namespace(self.env_ns)) {
                return Ok(matches!(trim(&attr.value), "1" | "true"));
            }
        }
        Ok(false)
    }

    /// Character content up to the end tag, within `max_string_content_length`. Borrowed
    /// when it is one piece of text, which header values almost always are.
    fn read_text(&mut self, open: &Open<'_>) -> Result<Cow<'i, str>, XmlError> {
        let local = open.start.local_name().into_inner();
        if open.empty {
            return Ok(Cow::Borrowed(""));
        }
        let max_bytes = self.quotas.max_string_content_length.saturating_mul(4);
        let mut text: Cow<'i, str> = Cow::Borrowed("");
        loop {
            let piece: Cow<'i, str> = match self.next()? {
                Event::Text(t) => t.xml10_content(),
                Event::CData(c) => c.into_inner(),
                Event::GeneralRef(r) => resolve_ref(&r)?,
                Event::End(_) => break,
                Event::Eof => return Err(eof(local)),
                _ => return Err(XmlError::NotSoap(format!("<{local}> must hold text only"))),
            };
            if text.is_empty() {
                text = piece;
            } else {
                text.to_mut().push_str(&piece);
            }
            if text.len() > max_bytes {
                break;
            }
        }
        check_string_quota(&text, &self.quotas, local)?;
        Ok(text)
    }

    fn read_body(&mut self) -> Result<Body, XmlError> {
        let inherited = in_scope_namespaces(&self.reader);
        let mut range: Option<(usize, usize)> = None;
        loop {
            let at = self.position();
            let open = match self.next()? {
                Event::Start(start) => Open {
                    start,
                    empty: false,
                    at,
                },
                Event::Empty(start) => Open {
                    start,
                    empty: true,
                    at,
                },
                Event::End(_) => break,
                Event::Eof => return Err(eof("Body")),
                Event::Text(text) if is_whitespace(&text) => continue,
                _ => {
                    range = Some((range.map_or(at, |r| r.0), self.position()));
                    continue;
                }
            };
            if range.is_none() && self.is_env(&open.start, "Fault")? {
                let fault = self.read_fault(&open)?;
                while let Some(extra) = self.next_child("Body")? {
                    self.skip(&extra)?;
                }
                return Ok(Body::Fault(fault));
            }
            self.skip(&open)?;
            range = Some((range.map_or(at, |r| r.0), self.position()));
        }
        Ok(match range {
            None => Body::Empty,
            Some((start, end)) => Body::Payload(XmlFragment {
                xml: self.slice(start, end)?,
                inherited_namespaces: inherited,
            }),
        })
    }

    fn read_fault(&mut self, open: &Open<'_>) -> Result<MessageFault, XmlError> {
        if open.empty {
            return Err(XmlError::NotSoap("an empty Fault".into()));
        }
        let mut code = None;
        let mut fault = MessageFault::new(
            FaultCode {
                value: FaultCodeValue::Sender,
                subcodes: Vec::new(),
            },
            "",
        );
        fault.reason_lang = String::new();
        while let Some(child) = self.next_child("Fault")? {
            match (self.env_ns, child.start.local_name().into_inner()) {
                (ns::SOAP12, "Code") => code = Some(self.read_code12(&child)?),
                (ns::SOAP12, "Reason") => self.read_reason12(&child, &mut fault)?,
                (ns::SOAP12, "Node") | (ns::SOAP11, "faultactor") => {
                    fault.node = Some(self.read_text(&child)?.into_owned());
                }
                (ns::SOAP12, "Detail") | (ns::SOAP11, "detail") => {
                    fault.detail = self.read_detail(&child)?;
                }
                (ns::SOAP11, "faultcode") => code = Some(self.read_code11(&child)?),
                (ns::SOAP11, "faultstring") => {
                    fault.reason_lang = self.lang(&child.start)?;
                    fault.reason = self.read_text(&child)?.into_owned();
                }
                _ => self.skip(&child)?,
            }
        }
        fault.code = code.ok_or_else(|| XmlError::NotSoap("a Fault without a code".into()))?;
        Ok(fault)
    }

    /// `Code/Value` then nested `Subcode/Value`s, read without recursion so a deep chain
    /// costs no stack.
    fn read_code12(&mut self, open: &Open<'_>) -> Result<FaultCode, XmlError> {
        let mut values = Vec::new();
        if !open.empty {
            let outer = self.depth.saturating_sub(1);
            while self.depth > outer {
                let Some(child) = self.next_child("Code")? else {
                    continue;
                };
                match child.start.local_name().into_inner() {
                    "Value" => values.push(self.read_qname(&child)?),
                    "Subcode" => {}
                    _ => self.skip(&child)?,
                }
            }
        }
        let mut values = values.into_iter();
        let value = values
            .next()
            .ok_or_else(|| XmlError::NotSoap("a fault Code without a Value".into()))?;
        let value = if value.namespace == ns::SOAP12 {
            match value.local.as_str() {
                "Sender" => FaultCodeValue::Sender,
                "Receiver" => FaultCodeValue::Receiver,
                "VersionMismatch" => FaultCodeValue::VersionMismatch,
                "MustUnderstand" => FaultCodeValue::MustUnderstand,
                "DataEncodingUnknown" => FaultCodeValue::DataEncodingUnknown,
                _ => FaultCodeValue::Other(value),
            }
        } else {
            FaultCodeValue::Other(value)
        };
        Ok(FaultCode {
            value,
            subcodes: values.collect(),
        })
    }

    /// SOAP 1.1's single code: `Client`/`Server` (and dotted refinements) map to Sender and
    /// Receiver; a code outside the envelope namespace is, as in WCF, a Sender subcode.
    fn read_code11(&mut self, open: &Open<'_>) -> Result<FaultCode, XmlError> {
        let name = self.read_qname(open)?;
        if name.namespace != ns::SOAP11 {
            return Ok(FaultCode::sender(name));
        }
        let base = name.local.split('.').next().unwrap_or_default();
        let value = match base {
            "Client" => FaultCodeValue::Sender,
            "Server" => FaultCodeValue::Receiver,
            "VersionMismatch" => FaultCodeValue::VersionMismatch,
            "MustUnderstand" => FaultCodeValue::MustUnderstand,
            _ => FaultCodeValue::Other(name),
        };
        Ok(FaultCode {
            value,
            subcodes: Vec::new(),
        })
    }

    /// Reads `prefix:local` text and resolves the prefix in the element's scope, which is
    /// still current right after its end tag.
    fn read_qname(&mut self, open: &Open<'_>) -> Result<QualifiedName, XmlError> {
        let text = self.read_text(open)?;
        let text = trim(&text);
        let (local, prefix) = QName(text).decompose();
        match self.reader.resolver().resolve_prefix(prefix, true) {
            ResolveResult::Bound(Namespace(uri)) => Ok(QualifiedName::new(uri, local.into_inner())),
            ResolveResult::Unbound => Ok(QualifiedName::new("", local.into_inner())),
            ResolveResult::Unknown(p) => Err(XmlError::NotSoap(format!(
                "fault code `{text}` uses the undeclared prefix `{p}`"
            ))),
        }
    }

    /// The first `Text` of a SOAP 1.2 `Reason`.
    fn read_reason12(&mut self, open: &Open<'_>, fault: &mut MessageFault) -> Result<(), XmlError> {
        if open.empty {
            return Ok(());
        }
        let mut first = true;
        while let Some(child) = self.next_child("Reason")? {
            if first && child.start.local_name().into_inner() == "Text" {
                first = false;
                fault.reason_lang = self.lang(&child.start)?;
                fault.reason = self.read_text(&child)?.into_owned();
            } else {
                self.skip(&child)?;
            }
        }
        Ok(())
    }

    fn lang(&self, start: &BytesStart<'_>) -> Result<String, XmlError> {
        for attr in start.attributes() {
            let attr = attr.map_err(|e| XmlError::Malformed(e.to_string()))?;
            if attr.key.into_inner() == "xml:lang" {
                let value = attr
                    .normalized_value(XmlVersion::Implicit1_0)
                    .map_err(|e| XmlError::Malformed(e.to_string()))?;
                return Ok(value.into_owned());
            }
        }
        Ok(String::new())
    }

    /// The detail element's content, with the declarations in scope at the detail element.
    fn read_detail(&mut self, open: &Open<'_>) -> Result<Option<XmlFragment>, XmlError> {
        if open.empty {
            return Ok(None);
        }
        let inherited = in_scope_namespaces(&self.reader);
        let mut range: Option<(usize, usize)> = None;
        loop {
            let at = self.position();
            match self.next()? {
                Event::End(_) => break,
                Event::Eof => return Err(eof("Detail")),
                Event::Text(text) if is_whitespace(&text) => continue,
                Event::Start(start) => self.skip(&Open {
                    start,
                    empty: false,
                    at,
                })?,
                _ => {}
            }
            range = Some((range.map_or(at, |r| r.0), self.position()));
        }
        match range {
            None => Ok(None),
            Some((start, end)) => Ok(Some(XmlFragment {
                xml: self.slice(start, end)?,
                inherited_namespaces: inherited,
            })),
        }
    }
}

fn eof(element: &str) -> XmlError {
    XmlError::Malformed(format!("the XML ends inside <{element}>"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::BodyReader;

    const ENV12: &str = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">"#;
    const ENV11: &str = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">"#;
    const TEMPURI: &str = "http://tempuri.org/";

    fn write(message: &Message) -> String {
        let mut out = Vec::new();
        write_envelope(message, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn read(text: impl Into<Bytes>, version: MessageVersion) -> Result<Message, XmlError> {
        read_envelope(text.into(), version, &ReaderQuotas::default())
    }

    /// Writes, reads back and checks nothing changed.
    fn round_trip(message: &Message) -> String {
        let text = write(message);
        let mut back =
            read(text.clone(), message.version).unwrap_or_else(|e| panic!("{e}: {text}"));
        forget_envelope_namespaces(&mut back);
        assert_eq!(&back, message, "{text}");
        text
    }

    /// Read-back fragments inherit the envelope's own declarations, which the originals did
    /// not need; checks that is all they inherited and drops them.
    fn forget_envelope_namespaces(message: &mut Message) {
        let mut envelope = vec![(
            "s".to_owned(),
            envelope_ns(message.version.envelope).to_owned(),
        )];
        if message.version.addressing == AddressingVersion::WsAddressing10 {
            envelope.push(("a".to_owned(), ns::WSA10.to_owned()));
        }
        let mut fragments: Vec<&mut XmlFragment> = message
            .headers
            .other
            .iter_mut()
            .map(|h| &mut h.xml)
            .collect();
        match &mut message.body {
            Body::Payload(payload) => fragments.push(payload),
            Body::Fault(MessageFault {
                detail: Some(detail),
                ..
            }) => fragments.push(detail),
            _ => {}
        }
        for fragment in fragments {
            assert_eq!(fragment.inherited_namespaces, envelope);
            fragment.inherited_namespaces.clear();
        }
    }

    fn add_to_request(version: MessageVersion) -> Message {
        let mut message = Message::new(
            version,
            "http://tempuri.org/ICalculator/AddTo",
            Body::Payload(XmlFragment::new(
                r#"<AddTo xmlns="http://tempuri.org/"><n>5</n></AddTo>"#,
            )),
        );
        message.headers.message_id = Some("urn:uuid:6c8b3a44-1c50-4d2c-9d7b-5b2a1b0f3e21".into());
        message.headers.reply_to = Some(ns::WSA10_ANONYMOUS.into());
        message.headers.to = Some("net.tcp://localhost:8000/calc".into());
        message
    }

    fn raw_header(xml: &str, local: &str, must_understand: bool) -> RawHeader {
        RawHeader {
            name: QualifiedName::new("urn:custom", local),
            must_understand,
            xml: XmlFragment {
                xml: Bytes::copy_from_slice(xml.as_bytes()),
                inherited_namespaces: Vec::new(),
            },
        }
    }

    #[test]
    fn writes_a_request_exactly_as_wcf() {
        let text = write(&add_to_request(MessageVersion::SOAP12_WSA10));
        let expected = concat!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">"#,
            r#"<s:Header><a:Action s:mustUnderstand="1">http://tempuri.org/ICalculator/AddTo</a:Action>"#,
            r#"<a:MessageID>urn:uuid:6c8b3a44-1c50-4d2c-9d7b-5b2a1b0f3e21</a:MessageID>"#,
            r#"<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>"#,
            r#"<a:To s:mustUnderstand="1">net.tcp://localhost:8000/calc</a:To></s:Header>"#,
            r#"<s:Body><AddTo xmlns="http://tempuri.org/"><n>5</n></AddTo></s:Body></s:Envelope>"#
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn appends_and_rolls_back_on_error() {
        let mut out = b"prefix".to_vec();
        write_envelope(&add_to_request(MessageVersion::SOAP12_WSA10), &mut out).unwrap();
        assert!(out.starts_with(b"prefix<s:Envelope"));
        let mut message = add_to_request(MessageVersion::SOAP12_WSA10);
        let mut bad = raw_header("<h:X xmlns:h=\"urn:h\">", "X", false);
        bad.xml
            .inherited_namespaces
            .push(("q".into(), "urn:q".into()));
        message.headers.other.push(bad);
        let mut out = b"prefix".to_vec();
        assert!(matches!(
            write_envelope(&message, &mut out),
            Err(XmlError::Serialize(_))
        ));
        assert_eq!(out, b"prefix");
    }

    #[test]
    fn soap12_request_and_reply_round_trip() {
        let mut request = add_to_request(MessageVersion::SOAP12_WSA10);
        request.headers.other.push(raw_header(
            r#"<h:Session xmlns:h="urn:custom" s:mustUnderstand="1">42</h:Session>"#,
            "Session",
            true,
        ));
        request.headers.other.push(raw_header(
            r#"<h:Trace xmlns:h="urn:custom"><h:Id>a&amp;b</h:Id></h:Trace>"#,
            "Trace",
            false,
        ));
        // Read-back headers carry the envelope's declarations (the `s:mustUnderstand` above
        // relies on them); written again, those are already in scope: same bytes.
        let text = round_trip(&request);
        let back = read(text.clone(), request.version).unwrap();
        assert_eq!(write(&back), text);

        let mut reply = Message::new(
            MessageVersion::SOAP12_WSA10,
            "http://tempuri.org/ICalculator/AddToResponse",
            Body::Payload(XmlFragment::new(
                r#"<AddToResponse xmlns="http://tempuri.org/"><AddToResult>7</AddToResult></AddToResponse>"#,
            )),
        );
        reply.headers.relates_to = request.headers.message_id.clone();
        let text = write(&reply);
        let back = read(text, reply.version).unwrap();
        assert_eq!(back.headers, reply.headers);
        let Body::Payload(payload) = &back.body else {
            panic!("{:?}", back.body)
        };
        let mut body =
            BodyReader::open(payload, "AddToResponse", TEMPURI, &ReaderQuotas::default()).unwrap();
        assert_eq!(body.part::<i32>("AddToResult").unwrap(), 7);
    }

    #[test]
    fn soap11_has_no_addressing_and_no_empty_header() {
        let mut message = add_to_request(MessageVersion::SOAP11);
        let text = write(&message);
        assert_eq!(
            text,
            format!(
                r#"{ENV11}<s:Body><AddTo xmlns="http://tempuri.org/"><n>5</n></AddTo></s:Body></s:Envelope>"#
            )
        );
        message.headers = Headers::default();
        round_trip(&message);
        message.headers.other.push(raw_header(
            r#"<h:Ticket xmlns:h="urn:custom" s:mustUnderstand="true">t</h:Ticket>"#,
            "Ticket",
            true,
        ));
        let text = write(&message);
        assert!(
            text.starts_with(&format!("{ENV11}<s:Header><h:Ticket")),
            "{text}"
        );
        let back = read(text, message.version).unwrap();
        assert_eq!(
            back.headers.other[0].name,
            QualifiedName::new("urn:custom", "Ticket")
        );
        assert!(back.headers.other[0].must_understand);
        round_trip(&message);
    }

    #[test]
    fn empty_bodies() {
        let message = Message::new(MessageVersion::SOAP12_WSA10, "urn:a", Body::Empty);
        let text = round_trip(&message);
        assert!(text.ends_with("<s:Body/></s:Envelope>"));
        let spaced = format!("{ENV12}<s:Body> <!-- nothing --> </s:Body></s:Envelope>");
        assert_eq!(read(spaced, message.version).unwrap().body, Body::Empty);
    }

    fn detailed_fault() -> MessageFault {
        let mut fault = MessageFault::new(
            FaultCode {
                value: FaultCodeValue::Sender,
                subcodes: vec![QualifiedName::new("urn:svc/faults", "OrderRejected")],
            },
            "Bad order & worse",
        );
        fault.detail = Some(XmlFragment::new(
            r#"<MyFault xmlns="http://schemas.datacontract.org/2004/07/Svc"><Message>x</Message></MyFault>"#,
        ));
        fault
    }

    #[test]
    fn soap12_fault_is_written_exactly_and_round_trips() {
        let mut message = Message::new(
            MessageVersion::SOAP12_WSA10,
            ns::WSA10_FAULT_ACTION,
            Body::Fault(detailed_fault()),
        );
        message.headers.relates_to = Some("urn:uuid:1".into());
        let text = round_trip(&message);
        let expected = concat!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">"#,
            r#"<s:Header><a:Action s:mustUnderstand="1">http://www.w3.org/2005/08/addressing/soap/fault</a:Action>"#,
            r#"<a:RelatesTo>urn:uuid:1</a:RelatesTo></s:Header><s:Body><s:Fault>"#,
            r#"<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:a="urn:svc/faults">a:OrderRejected</s:Value></s:Subcode></s:Code>"#,
            r#"<s:Reason><s:Text xml:lang="en-US">Bad order &amp; worse</s:Text></s:Reason>"#,
            r#"<s:Detail><MyFault xmlns="http://schemas.datacontract.org/2004/07/Svc"><Message>x</Message></MyFault></s:Detail>"#,
            r#"</s:Fault></s:Body></s:Envelope>"#
        );
        assert_eq!(text, expected);

        // Addressing subcodes reuse the envelope's `a`; nested subcodes nest.
        let mut fault = MessageFault::action_not_supported("urn:nope");
        fault
            .code
            .subcodes
            .push(QualifiedName::new(ns::WCF_DISPATCHER, "Inner"));
        fault.node = Some("urn:node".into());
        let message = Message::new(
            MessageVersion::SOAP12_WSA10,
            ns::WSA10_ADDRESSING_FAULT_ACTION,
            Body::Fault(fault),
        );
        let text = round_trip(&message);
        assert!(text.contains(
            r#"<s:Subcode><s:Value>a:ActionNotSupported</s:Value><s:Subcode><s:Value xmlns:a="http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher">a:Inner</s:Value></s:Subcode></s:Subcode>"#
        ), "{text}");
        assert!(text.contains("<s:Node>urn:node</s:Node>"));

        for fault in [
            MessageFault::internal_service_fault(),
            MessageFault::session_terminated(),
        ] {
            round_trip(&Message::new(
                MessageVersion::SOAP12_WSA10,
                fault.default_action(),
                Body::Fault(fault),
            ));
        }
    }

    #[test]
    fn soap11_fault_is_written_exactly_and_round_trips() {
        let message = Message {
            version: MessageVersion::SOAP11,
            headers: Headers::default(),
            body: Body::Fault(detailed_fault()),
            awaits_reply: false,
        };
        let text = round_trip(&message);
        let expected = format!(
            concat!(
                "{env}<s:Body><s:Fault>",
                r#"<faultcode xmlns:a="urn:svc/faults">a:OrderRejected</faultcode>"#,
                r#"<faultstring xml:lang="en-US">Bad order &amp; worse</faultstring>"#,
                r#"<detail><MyFault xmlns="http://schemas.datacontract.org/2004/07/Svc"><Message>x</Message></MyFault></detail>"#,
                "</s:Fault></s:Body></s:Envelope>"
            ),
            env = ENV11
        );
        assert_eq!(text, expected);

        let mut server = MessageFault::new(
            FaultCode {
                value: FaultCodeValue::Receiver,
                subcodes: vec![],
            },
            "boom",
        );
        server.reason_lang = String::new();
        server.node = Some("http://actor".into());
        let message = Message {
            version: MessageVersion::SOAP11,
            headers: Headers::default(),
            body: Body::Fault(server),
            awaits_reply: false,
        };
        let text = round_trip(&message);
        assert!(text.contains("<faultcode>s:Server</faultcode><faultstring>boom</faultstring><faultactor>http://actor</faultactor>"), "{text}");

        // SOAP 1.1 keeps only the innermost subcode; WCF reads it back as a Sender subcode.
        let internal = Message {
            version: MessageVersion::SOAP11,
            headers: Headers::default(),
            body: Body::Fault(MessageFault::internal_service_fault()),
            awaits_reply: false,
        };
        let back = read(write(&internal), MessageVersion::SOAP11).unwrap();
        let Body::Fault(fault) = back.body else {
            panic!()
        };
        assert_eq!(
            fault.code,
            FaultCode::sender(QualifiedName::new(
                ns::WCF_DISPATCHER,
                "InternalServiceFault"
            ))
        );
    }

    #[test]
    fn reads_soap11_faults_from_other_stacks() {
        let text = format!(
            concat!(
                r#"<soap:Envelope xmlns:soap="{ns}"><soap:Body><soap:Fault>"#,
                "<faultcode>soap:Client.Authentication</faultcode><faultstring>no</faultstring>",
                "<detail>\n  <e:Info xmlns:e=\"urn:e\">1</e:Info>\n</detail>",
                "</soap:Fault></soap:Body></soap:Envelope>"
            ),
            ns = ns::SOAP11
        );
        let message = read(text, MessageVersion::SOAP11).unwrap();
        let Body::Fault(fault) = message.body else {
            panic!()
        };
        assert_eq!(fault.code.value, FaultCodeValue::Sender);
        assert_eq!(fault.reason, "no");
        assert_eq!(fault.reason_lang, "");
        let detail = fault.detail.unwrap();
        assert_eq!(&detail.xml[..], br#"<e:Info xmlns:e="urn:e">1</e:Info>"#);
        assert_eq!(
            detail.inherited_namespaces,
            vec![("soap".to_owned(), ns::SOAP11.to_owned())]
        );
    }

    #[test]
    fn reads_envelopes_with_other_prefixes() {
        let text = concat!(
            "\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- sent by a test -->\n",
            r#"<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:t="http://tempuri.org/">"#,
            "\n  <env:Header>\n",
            r#"    <wsa:Action env:mustUnderstand="true"> http://tempuri.org/ICalculator/AddTo </wsa:Action>"#,
            "\n",
            r#"    <wsa:ReplyTo><wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address><wsa:ReferenceParameters><x/></wsa:ReferenceParameters></wsa:ReplyTo>"#,
            r#"<wsa:MessageID>urn:uuid:1</wsa:MessageID><wsa:To>net.tcp://h/c</wsa:To>"#,
            "\n  </env:Header>\n  <env:Body>\n    <t:AddTo><t:n> 5 </t:n></t:AddTo>\n  </env:Body>\n</env:Envelope>\n"
        );
        let message = read(text.as_bytes().to_vec(), MessageVersion::SOAP12_WSA10).unwrap();
        assert_eq!(message.action(), "http://tempuri.org/ICalculator/AddTo");
        assert_eq!(
            message.headers.reply_to.as_deref(),
            Some(ns::WSA10_ANONYMOUS)
        );
        assert_eq!(message.headers.message_id.as_deref(), Some("urn:uuid:1"));
        assert_eq!(message.headers.to.as_deref(), Some("net.tcp://h/c"));
        assert!(message.headers.other.is_empty());
        let Body::Payload(payload) = &message.body else {
            panic!()
        };
        assert_eq!(&payload.xml[..], b"<t:AddTo><t:n> 5 </t:n></t:AddTo>");
        assert_eq!(
            payload.inherited_namespaces,
            vec![
                ("env".to_owned(), ns::SOAP12.to_owned()),
                ("wsa".to_owned(), ns::WSA10.to_owned()),
                ("t".to_owned(), TEMPURI.to_owned()),
            ]
        );
        let mut body =
            BodyReader::open(payload, "AddTo", TEMPURI, &ReaderQuotas::default()).unwrap();
        assert_eq!(body.part::<f64>("n").unwrap(), 5.0);

        // Written with Indigo's prefixes, the body still finds `t`.
        let rewritten = write(&message);
        assert!(rewritten.contains(r#"<s:Body xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:t="http://tempuri.org/"><t:AddTo>"#), "{rewritten}");
        let again = read(rewritten, MessageVersion::SOAP12_WSA10).unwrap();
        let Body::Payload(payload) = &again.body else {
            panic!()
        };
        let mut body =
            BodyReader::open(payload, "AddTo", TEMPURI, &ReaderQuotas::default()).unwrap();
        assert_eq!(body.part::<f64>("n").unwrap(), 5.0);
    }

    #[test]
    fn reads_a_mono_capture() {
        let mut bytes = b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>".to_vec();
        bytes.extend_from_slice(concat!(
            r#"<s:Envelope xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>"#,
            r#"<a:Action s:mustUnderstand="1">http://example.org/calc/ICalc/Start</a:Action>"#,
            r#"<a:MessageID>urn:uuid:1238b75a-8394-4eb0-9d5d-0165f9cb42b2</a:MessageID>"#,
            r#"<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>"#,
            r#"<a:To s:mustUnderstand="1">net.tcp://127.0.0.1:18201/calc</a:To></s:Header>"#,
            r#"<s:Body><Start xmlns="http://example.org/calc"><x>10</x></Start></s:Body></s:Envelope>"#
        ).as_bytes());
        let message = read(bytes, MessageVersion::SOAP12_WSA10).unwrap();
        assert_eq!(message.action(), "http://example.org/calc/ICalc/Start");
        let Body::Payload(payload) = &message.body else {
            panic!()
        };
        let mut body = BodyReader::open(
            payload,
            "Start",
            "http://example.org/calc",
            &ReaderQuotas::default(),
        )
        .unwrap();
        assert_eq!(body.part::<i32>("x").unwrap(), 10);
    }

    const GSOAP_ECHO: &str = concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa5="http://www.w3.org/2005/08/addressing" xmlns:wsrm="http://docs.oasis-open.org/ws-rx/wsrm/200702" xmlns:ns="http://example.org/echo">"#,
        "\n\t<SOAP-ENV:Header>\n",
        "\t\t<wsa5:MessageID>urn:uuid:e373bf51-59cf-49be-a43c-986966334873</wsa5:MessageID>\n",
        "\t\t<wsa5:To SOAP-ENV:mustUnderstand=\"true\">http://127.0.0.1:18902/echo</wsa5:To>\n",
        "\t\t<wsa5:Action SOAP-ENV:mustUnderstand=\"true\">http://example.org/echo/IEcho/Echo</wsa5:Action>\n",
        "\t\t<wsrm:Sequence>\n\t\t\t<wsrm:Identifier>urn:uuid:e2db01e6-1787-4e12-ab8b-45673200000000</wsrm:Identifier>\n",
        "\t\t\t<wsrm:MessageNumber>1</wsrm:MessageNumber>\n\t\t</wsrm:Sequence>\n",
        "\t\t<wsrm:AckRequested>\n\t\t\t<wsrm:Identifier>urn:uuid:e2db01e6-1787-4e12-ab8b-45673200000000</wsrm:Identifier>\n\t\t</wsrm:AckRequested>\n",
        "\t</SOAP-ENV:Header>\n\t<SOAP-ENV:Body>\n\t\t<ns:Echo>\n\t\t\t<ns:s>msg1</ns:s>\n\t\t</ns:Echo>\n\t</SOAP-ENV:Body>\n</SOAP-ENV:Envelope>\n"
    );

    #[test]
    fn reads_a_gsoap_capture_and_forwards_its_headers() {
        let message = read(GSOAP_ECHO, MessageVersion::SOAP12_WSA10).unwrap();
        assert_eq!(message.action(), "http://example.org/echo/IEcho/Echo");
        let names: Vec<_> = message
            .headers
            .other
            .iter()
            .map(|h| h.name.local.as_str())
            .collect();
        assert_eq!(names, ["Sequence", "AckRequested"]);
        let sequence = &message.headers.other[0];
        assert!(!sequence.must_understand);
        assert!(sequence.xml.xml.starts_with(b"<wsrm:Sequence>"));
        assert!(sequence.xml.xml.ends_with(b"</wsrm:Sequence>"));
        // Rewritten with Indigo's prefixes, each header declares what it borrowed.
        let text = write(&message);
        assert!(text.contains(r#"<wsrm:Sequence xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa5="http://www.w3.org/2005/08/addressing" xmlns:wsrm="http://docs.oasis-open.org/ws-rx/wsrm/200702" xmlns:ns="http://example.org/echo">"#), "{text}");
        let again = read(text, MessageVersion::SOAP12_WSA10).unwrap();
        assert_eq!(again.headers.other.len(), 2);
        assert_eq!(
            again.headers.other[0].name,
            QualifiedName::new("http://docs.oasis-open.org/ws-rx/wsrm/200702", "Sequence")
        );
        let Body::Payload(payload) = &again.body else {
            panic!()
        };
        let mut body = BodyReader::open(
            payload,
            "Echo",
            "http://example.org/echo",
            &ReaderQuotas::default(),
        )
        .unwrap();
        assert_eq!(body.part::<String>("s").unwrap(), "msg1");
    }

    #[test]
    fn conflicting_inherited_prefixes_move_onto_the_payload() {
        // A SOAP 1.1 body forwarded into a SOAP 1.2 envelope: its `s` must not rename s:Body.
        let payload = XmlFragment {
            xml: Bytes::from_static(b"<s:Thing>1</s:Thing><s:Other/>"),
            inherited_namespaces: vec![
                ("s".into(), ns::SOAP11.into()),
                ("".into(), "urn:d".into()),
            ],
        };
        let message = Message::new(
            MessageVersion::SOAP12_WSA10,
            "urn:a",
            Body::Payload(payload),
        );
        let text = write(&message);
        assert!(text.contains(&format!(
            r#"<s:Body xmlns="urn:d"><s:Thing xmlns:s="{0}">1</s:Thing><s:Other xmlns:s="{0}"/></s:Body>"#,
            ns::SOAP11
        )), "{text}");
        let back = read(text, MessageVersion::SOAP12_WSA10).unwrap();
        let Body::Payload(payload) = back.body else {
            panic!()
        };
        let value: i32 =
            crate::serialization::from_fragment(&payload, &ReaderQuotas::default()).unwrap();
        assert_eq!(value, 1);

        // In SOAP 1.1, `<detail>` is unprefixed: a default namespace goes on the content.
        let mut fault = MessageFault::new(FaultCode::sender(QualifiedName::new("urn:f", "F")), "r");
        fault.detail = Some(XmlFragment {
            xml: Bytes::from_static(b"<D/>"),
            inherited_namespaces: vec![("".into(), "urn:d".into()), ("p".into(), "urn:p".into())],
        });
        let message = Message {
            version: MessageVersion::SOAP11,
            headers: Headers::default(),
            body: Body::Fault(fault),
            awaits_reply: false,
        };
        let text = write(&message);
        assert!(
            text.contains(r#"<detail xmlns:p="urn:p"><D xmlns="urn:d"/></detail>"#),
            "{text}"
        );
    }

    fn assert_err(
        text: impl Into<Bytes>,
        version: MessageVersion,
        check: impl Fn(&XmlError) -> bool,
    ) {
        let bytes: Bytes = text.into();
        match read(bytes.clone(), version) {
            Ok(m) => panic!("accepted {:?}: {m:?}", String::from_utf8_lossy(&bytes)),
            Err(e) => assert!(check(&e), "{e:?} for {:?}", String::from_utf8_lossy(&bytes)),
        }
    }

    fn malformed(e: &XmlError) -> bool {
        matches!(e, XmlError::Malformed(_))
    }

    fn not_soap(e: &XmlError) -> bool {
        matches!(e, XmlError::NotSoap(_))
    }

    fn quota(e: &XmlError) -> bool {
        matches!(e, XmlError::QuotaExceeded(_))
    }

    #[test]
    fn rejects_bad_input() {
        let v12 = MessageVersion::SOAP12_WSA10;
        assert_err(&b"\x00\x01garbage\xFF"[..], v12, malformed);
        assert_err("", v12, malformed);
        assert_err("hello", v12, malformed);
        assert_err(format!("{ENV12}<s:Body><x>"), v12, malformed);
        assert_err(format!("{ENV12}<s:Body></s:Body>"), v12, malformed);
        assert_err(
            "<html><body/></html>",
            v12,
            |e| matches!(e, XmlError::NotSoap(m) if m.contains("html")),
        );
        assert_err(format!("{ENV11}<s:Body/></s:Envelope>"), v12, |e| {
            *e == XmlError::EnvelopeVersionMismatch {
                expected: ns::SOAP12,
                found: ns::SOAP11.into(),
            }
        });
        assert_err(
            format!("{ENV12}<s:Body/></s:Envelope>"),
            MessageVersion::SOAP11,
            |e| matches!(e, XmlError::EnvelopeVersionMismatch { expected, .. } if *expected == ns::SOAP11),
        );
        assert_err(format!("{ENV12}<s:Header/></s:Envelope>"), v12, not_soap);
        assert_err(format!("{ENV12}</s:Envelope>"), v12, not_soap);
        assert_err(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>"#,
            v12,
            not_soap,
        );
        assert_err(
            format!("{ENV12}<s:Foo/><s:Body/></s:Envelope>"),
            v12,
            not_soap,
        );
        assert_err(
            format!("{ENV12}<s:Body><a>1</b></s:Body></s:Envelope>"),
            v12,
            malformed,
        );
        assert_err(
            format!("{ENV12}<s:Body><a x='1' x='2'/></s:Body></s:Envelope>"),
            v12,
            malformed,
        );
        assert_err(
            format!("{ENV12}<s:Body><q:a/></s:Body></s:Envelope>"),
            v12,
            malformed,
        );
        let mut invalid_utf8 = format!("{ENV12}<s:Body><a>").into_bytes();
        invalid_utf8.extend_from_slice(b"\xC3\x28</a></s:Body></s:Envelope>");
        assert_err(invalid_utf8, v12, malformed);
        assert_err(format!("{ENV12}<s:Body/></s:Envelope><x/>"), v12, malformed);
        assert_err(
            format!("{ENV12}<s:Body/></s:Envelope>trailing"),
            v12,
            malformed,
        );
        assert_err(
            format!("<!DOCTYPE x>{ENV12}<s:Body/></s:Envelope>"),
            v12,
            not_soap,
        );
        assert_err(
            format!("{ENV12}<s:Header><a:Action>x</a:Action><a:Action>y</a:Action></s:Header><s:Body/></s:Envelope>"),
            v12,
            not_soap,
        );
        assert_err(
            format!("{ENV12}<s:Header><a:Action>x<b/></a:Action></s:Header><s:Body/></s:Envelope>"),
            v12,
            not_soap,
        );
        assert_err(
            format!("{ENV12}<s:Body><s:Fault><s:Reason/></s:Fault></s:Body></s:Envelope>"),
            v12,
            not_soap,
        );
        assert_err(
            format!("{ENV12}<s:Body><s:Fault><s:Code><s:Value>zz:Sender</s:Value></s:Code></s:Fault></s:Body></s:Envelope>"),
            v12,
            not_soap,
        );
    }

    #[test]
    fn enforces_quotas() {
        let v12 = MessageVersion::SOAP12_WSA10;
        let quotas = ReaderQuotas::default();
        let nested = |depth: usize| {
            let mut text = format!("{ENV12}<s:Body>");
            text.push_str(&"<d>".repeat(depth));
            text.push_str(&"</d>".repeat(depth));
            text.push_str("</s:Body></s:Envelope>");
            text
        };
        // Envelope and Body are two levels: 30 more fit in the default 32.
        assert!(read(nested(quotas.max_depth - 2), v12).is_ok());
        assert_err(nested(quotas.max_depth - 1), v12, quota);
        assert_err(nested(100_000), v12, quota);

        let header = |len: usize| {
            format!(
                "{ENV12}<s:Header><a:Action>{}</a:Action></s:Header><s:Body/></s:Envelope>",
                "x".repeat(len)
            )
        };
        assert!(read(header(quotas.max_string_content_length), v12).is_ok());
        assert_err(header(quotas.max_string_content_length + 1), v12, quota);
        assert_err(header(10_000_000), v12, quota);

        let tight = ReaderQuotas {
            max_depth: 4,
            ..ReaderQuotas::default()
        };
        let text = format!("{ENV12}<s:Body><w><p>1</p></w></s:Body></s:Envelope>");
        assert!(read_envelope(text.into(), v12, &tight).is_ok());
        let text = format!("{ENV12}<s:Body><w><p><x/></p></w></s:Body></s:Envelope>");
        assert!(quota(&read_envelope(text.into(), v12, &tight).unwrap_err()));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let mut message = add_to_request(MessageVersion::SOAP12_WSA10);
        message.headers.other.push(raw_header(
            r#"<h:X xmlns:h="urn:custom">&amp;</h:X>"#,
            "X",
            false,
        ));
        let text = write(&message);
        let bytes = Bytes::from(text.clone());
        for end in 0..bytes.len() {
            let result = read_envelope(
                bytes.slice(..end),
                message.version,
                &ReaderQuotas::default(),
            );
            assert!(result.is_err(), "prefix of {end} bytes accepted");
        }
        assert!(read(bytes, message.version).is_ok());
        for text in [
            GSOAP_ECHO.as_bytes().to_vec(),
            write(&Message::new(
                MessageVersion::SOAP12_WSA10,
                "a",
                Body::Fault(detailed_fault()),
            ))
            .into_bytes(),
        ] {
            let bytes = Bytes::from(text);
            for end in 0..bytes.len() {
                let _ = read_envelope(
                    bytes.slice(..end),
                    MessageVersion::SOAP12_WSA10,
                    &ReaderQuotas::default(),
                );
                let _ = read_envelope(
                    bytes.slice(end..),
                    MessageVersion::SOAP12_WSA10,
                    &ReaderQuotas::default(),
                );
            }
        }
    }

    #[test]
    fn the_size_hint_covers_ordinary_envelopes() {
        let mut with_header = add_to_request(MessageVersion::SOAP12_WSA10);
        with_header.headers.other.push(raw_header(
            r#"<h:X xmlns:h="urn:custom">&amp;</h:X>"#,
            "X",
            false,
        ));
        for message in [
            add_to_request(MessageVersion::SOAP12_WSA10),
            add_to_request(MessageVersion::SOAP11),
            with_header,
            Message::new(
                MessageVersion::SOAP12_WSA10,
                "a",
                Body::Fault(detailed_fault()),
            ),
        ] {
            let written = write(&message).len();
            assert!(size_hint(&message) >= written, "{written}: {message:?}");
        }
    }

    #[test]
    fn survives_byte_flips() {
        // A cheap deterministic fuzz: flip each byte of a valid envelope to a few values.
        let text = write(&add_to_request(MessageVersion::SOAP12_WSA10));
        let original = text.into_bytes();
        for i in 0..original.len() {
            for replacement in [b'<', b'>', b'/', b'"', b'&', b':', 0xFF, b' '] {
                let mut bytes = original.clone();
                bytes[i] = replacement;
                let _ = read_envelope(
                    Bytes::from(bytes),
                    MessageVersion::SOAP12_WSA10,
                    &ReaderQuotas::default(),
                );
            }
        }
    }

    /// Found by the `soap_envelope` fuzz target: a namespace declaration holding a tab was
    /// read with the tab, written back as `&#x9;` and read again as the six characters, so
    /// the headers' namespace changed on the way through. Declarations with references,
    /// control characters or markup are refused now, raw or escaped.
    #[test]
    fn fuzz_namespace_with_a_tab_is_refused() {
        const CRASH: &[u8] =
            b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-7\"?><s:Envelope xmlns:a=\"htt\tp:/\
          /www.w3.org/2005/08/addressing\" xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"\
          ><s:Header><a:Action s:mustUnderstand=\"1\">http://example.org/calc/ICalc/Add</a:Act\
          ion><a:MessageID>urn:uuid:de6c1c5c-9087-4ae2-9d75-6e8d71d49984</a:MessageID><a:Reply\
          To><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>\
          <a:To s:mustUnderstand=\"1\">net.tcp://127.0.0.1:18201/calc</a:To></s:Header><s:Body\
          ><Add xmlns=\"http://example.org/calc\"><x>5</x></Add></s:Body></s:Envelope>";
        for version in [MessageVersion::SOAP12_WSA10, MessageVersion::SOAP11] {
            assert!(matches!(read(CRASH, version), Err(XmlError::Malformed(_))));
        }
        for uri in ["a&amp;b", "a&#x9;b", "a&#38;b", "a\nb", "a&gt;b"] {
            let text = format!(
                r#"<s:Envelope xmlns:s="{}" xmlns:z="{uri}"><s:Body/></s:Envelope>"#,
                ns::SOAP12
            );
            let result = read(text, MessageVersion::SOAP12_WSA10);
            assert!(
                matches!(result, Err(XmlError::Malformed(_))),
                "{uri}: {result:?}"
            );
        }
        // A URI with none of them reads as before.
        let text = format!(
            r#"<s:Envelope xmlns:s="{}" xmlns:z="urn:a'b?c=d"><s:Body/></s:Envelope>"#,
            ns::SOAP12
        );
        assert!(read(text, MessageVersion::SOAP12_WSA10).is_ok());
    }

    /// Found by the `soap_envelope` fuzz target: after a doubled byte order mark, quick-xml
    /// skipped the second one without counting it, so the body was cut out of the input three
    /// bytes early (`dy><x>1<` for `<x>1</x>`). The second mark is content before the root.
    #[test]
    fn fuzz_doubled_byte_order_mark_is_refused() {
        const CRASH: &[u8] = &[
            0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF, 0x3C, 0x3F, 0x78, 0x6D, 0x6C, 0x20, 0x76, 0x65,
            0x72, 0x73, 0x69, 0x6F, 0x6E, 0x3D, 0x22, 0x31, 0x2E, 0x30, 0x22, 0x20, 0x65, 0x6E,
            0x63, 0x6F, 0x64, 0x69, 0x6E, 0x67, 0x3D, 0x22, 0x28, 0x74, 0x66, 0x2D, 0x38, 0x22,
            0x3F, 0x3E, 0x3C, 0x73, 0x3A, 0x45, 0x6E, 0x76, 0x65, 0x6C, 0x6F, 0x70, 0x65, 0x20,
            0x78, 0x6D, 0x6C, 0x6E, 0x73, 0x3A, 0x61, 0x3D, 0x22, 0x68, 0x74, 0x74, 0x70, 0x3A,
            0x2F, 0x2F, 0x77, 0x77, 0x77, 0x2E, 0x77, 0x33, 0x2E, 0x6F, 0x72, 0x67, 0x2F, 0x32,
            0x30, 0x30, 0x35, 0x2F, 0x30, 0x38, 0x2F, 0x61, 0x64, 0x64, 0x72, 0x65, 0x73, 0x73,
            0x69, 0x6E, 0x67, 0x22, 0x20, 0x78, 0x6D, 0x6C, 0x6E, 0x73, 0x3A, 0x73, 0x3D, 0x22,
            0x68, 0x74, 0x74, 0x70, 0x3A, 0x2F, 0x2F, 0x77, 0x77, 0x77, 0x2E, 0x77, 0x33, 0x2E,
            0x6F, 0x72, 0x67, 0x2F, 0x32, 0x30, 0x30, 0x33, 0x2F, 0x30, 0x35, 0x2F, 0x73, 0x6F,
            0x61, 0x70, 0x2D, 0x65, 0x6E, 0x76, 0x65, 0x6C, 0x6F, 0x70, 0x65, 0x22, 0x3E, 0x3C,
            0x73, 0x3A, 0x48, 0x65, 0x61, 0x64, 0x65, 0x72, 0x3E, 0x3C, 0x61, 0x3A, 0x41, 0x63,
            0x74, 0x69, 0x6F, 0x6E, 0x20, 0x73, 0x3A, 0x6D, 0x75, 0x73, 0x74, 0x55, 0x6E, 0x64,
            0x65, 0x72, 0x73, 0x74, 0x61, 0x6E, 0x64, 0x3D, 0x22, 0x31, 0x22, 0x3E, 0x68, 0x74,
            0x74, 0x70, 0x3A, 0x2F, 0x2F, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6C, 0x65,
            0x2E, 0x6F, 0x72, 0x67, 0x2F, 0x63, 0x61, 0x6C, 0x63, 0x2F, 0x49, 0x43, 0x61, 0x6C,
            0x63, 0x2F, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x34,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x41, 0x64, 0x64, 0x52, 0x65, 0x73, 0x70, 0x6F,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3A, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3C, 0x3F, 0x65, 0x22, 0x3F, 0x3E,
            0x2E, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x5D, 0x00,
            0x67, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6E, 0x73, 0x65, 0x3C, 0x2F, 0x61, 0x3A,
            0x41, 0x63, 0x74, 0x69, 0x6F, 0x6E, 0x3E, 0x3C, 0x61, 0x3A, 0x52, 0x65, 0x6C, 0x61,
            0x74, 0x65, 0x73, 0x54, 0x6F, 0x3E, 0x75, 0x72, 0x6E, 0x3A, 0x75, 0x75, 0x69, 0x64,
            0x65, 0x64, 0x3A, 0x35, 0x63, 0x31, 0x63, 0x35, 0x63, 0x2D, 0x39, 0x30, 0x38, 0x37,
            0x2D, 0x34, 0x61, 0x65, 0x32, 0x2D, 0x39, 0x64, 0x37, 0x35, 0x2D, 0x36, 0x65, 0x38,
            0x64, 0x37, 0x31, 0x64, 0x34, 0x39, 0x41, 0x63, 0x74, 0x69, 0x6F, 0x6E, 0x20, 0x73,
            0x3A, 0x6D, 0x75, 0x73, 0x74, 0x55, 0x6E, 0x64, 0x65, 0x72, 0x73, 0x74, 0x61, 0x6E,
            0x64, 0x3D, 0x22, 0x31, 0x22, 0x3E, 0x68, 0x74, 0x74, 0x70, 0x3A, 0x2F, 0x2F, 0x65,
            0x78, 0x61, 0x6D, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2E, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x00, 0x00, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x00, 0x00, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x1C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C,
            0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x6C, 0x41,
            0x64, 0x64, 0x52, 0x65, 0x73, 0x70, 0x00, 0x00, 0x6F, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x39, 0x38, 0x34, 0x3C, 0x2F, 0x61, 0x3A, 0x52, 0x65, 0x6C,
            0x61, 0x74, 0x65, 0x73, 0x54, 0x6F, 0x3E, 0x3C, 0x2F, 0x73, 0x3A, 0x48, 0x65, 0x61,
            0x64, 0x65, 0x72, 0x3E, 0x3C, 0x73, 0x3A, 0x42, 0x6F, 0x64, 0x79, 0x3E, 0x3C, 0x41,
            0x64, 0x64, 0x52, 0x65, 0x73, 0x70, 0x6F, 0x6E, 0x73, 0x65, 0x20, 0x78, 0x6D, 0x6C,
            0x6E, 0x73, 0x3D, 0x22, 0x68, 0x74, 0x74, 0x70, 0x3A, 0x2F, 0x2F, 0x65, 0x78, 0x61,
            0x6D, 0x70, 0x6C, 0x65, 0x2E, 0x6F, 0x72, 0x67, 0x2F, 0x63, 0x61, 0x6C, 0x63, 0x22,
            0x3E, 0x3C, 0x41, 0x64, 0x64, 0x52, 0x65, 0x73, 0x75, 0x6C, 0x74, 0x3E, 0x39, 0x10,
            0x3C, 0x2F, 0x41, 0x64, 0x64, 0x52, 0x65, 0x73, 0x75, 0x6C, 0x74, 0x3E, 0x3C, 0x2F,
            0x41, 0x64, 0x64, 0x52, 0x65, 0x73, 0x70, 0x6F, 0x6E, 0x73, 0x65, 0x3E, 0x3C, 0x2F,
            0x73, 0x3A, 0x42, 0x6F, 0x64, 0x79, 0x3E, 0x3C, 0x2F, 0x73, 0x3A, 0x45, 0x6E, 0x76,
            0x65, 0x6C, 0x6F, 0x70, 0x65, 0x3E,
        ];
        assert!(matches!(
            read(CRASH, MessageVersion::SOAP12_WSA10),
            Err(XmlError::Malformed(_))
        ));
        let body = format!(
            "<s:Envelope xmlns:s=\"{}\"><s:Body><x>1</x></s:Body></s:Envelope>",
            ns::SOAP12
        );
        let twice = format!("\u{FEFF}\u{FEFF}{body}");
        assert!(matches!(
            read(twice, MessageVersion::SOAP12_WSA10),
            Err(XmlError::Malformed(_))
        ));
        let once = read(format!("\u{FEFF}{body}"), MessageVersion::SOAP12_WSA10).unwrap();
        assert!(matches!(once.body, Body::Payload(ref f) if &f.xml[..] == b"<x>1</x>"));
    }
}
