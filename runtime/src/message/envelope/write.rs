//! Writing an envelope in WCF's byte layout.

use super::*;

pub(super) struct EnvelopeWriter<'m, 'o> {
    pub(super) message: &'m Message,
    pub(super) out: &'o mut Vec<u8>,
    pub(super) env_ns: &'static str,
    /// The declarations on `<s:Envelope>`, which everything inside may rely on.
    pub(super) scope: [(&'static str, &'static str); 2],
    pub(super) scope_len: usize,
}

impl<'m, 'o> EnvelopeWriter<'m, 'o> {
    pub(super) fn new(message: &'m Message, out: &'o mut Vec<u8>) -> Self {
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

    pub(super) fn scope(&self) -> &[(&'static str, &'static str)] {
        &self.scope[..self.scope_len]
    }

    pub(super) fn fragment(
        &mut self,
        fragment: &XmlFragment,
        container: Option<&str>,
    ) -> Result<(), XmlError> {
        let scope = self.scope;
        write_fragment(self.out, fragment, &scope[..self.scope_len], container)
    }

    pub(super) fn addressing(&self) -> bool {
        self.scope_len == 2
    }

    pub(super) fn raw(&mut self, bytes: &str) {
        self.out.extend_from_slice(bytes.as_bytes());
    }

    pub(super) fn write(&mut self) -> Result<(), XmlError> {
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

    pub(super) fn write_header(&mut self) -> Result<(), XmlError> {
        let headers = &self.message.headers;
        let addressing = self.addressing()
            && (headers.action.is_some()
                || headers.message_id.is_some()
                || headers.reply_to.is_some()
                || headers.relates_to.is_some()
                || headers.to.is_some());
        // WCF omits an empty header (basicHttp has no addressing headers at all).
        if !addressing && headers.other.is_empty() && headers.wsrm.is_none() {
            return Ok(());
        }
        self.raw("<s:Header>");
        if addressing {
            self.write_addressing(headers);
        }
        for header in &headers.other {
            self.fragment(&header.xml, None)?;
        }
        if let Some(wsrm) = &headers.wsrm {
            wsrm.write_text(self.out);
        }
        self.raw("</s:Header>");
        Ok(())
    }

    pub(super) fn write_addressing(&mut self, headers: &Headers) {
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

    pub(super) fn text_header(&mut self, local: &str, must_understand: bool, value: Option<&str>) {
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

    pub(super) fn write_body(&mut self) -> Result<(), XmlError> {
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

    pub(super) fn write_fault12(&mut self, fault: &MessageFault) -> Result<(), XmlError> {
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

    pub(super) fn write_fault11(&mut self, fault: &MessageFault) -> Result<(), XmlError> {
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
    pub(super) fn qname_element(&mut self, element: &str, name: &QualifiedName) {
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

pub(super) fn soap12_code(value: &FaultCodeValue) -> &'static str {
    match value {
        FaultCodeValue::Sender | FaultCodeValue::Other(_) => "Sender",
        FaultCodeValue::Receiver => "Receiver",
        FaultCodeValue::VersionMismatch => "VersionMismatch",
        FaultCodeValue::MustUnderstand => "MustUnderstand",
        FaultCodeValue::DataEncodingUnknown => "DataEncodingUnknown",
    }
}

pub(super) fn soap11_code(value: &FaultCodeValue) -> &'static str {
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
pub(super) fn write_fragment(
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
pub(super) fn inject_declarations(
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

pub(super) fn declares(start: &BytesStart<'_>, prefix: &str) -> bool {
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
