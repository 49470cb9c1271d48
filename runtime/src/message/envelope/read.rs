//! Reading an envelope: any prefixes, well-formedness and the reader quotas checked over the
//! whole envelope, the body kept as a zero-copy slice of the input.

use super::*;

/// The WS-Addressing headers Indigo interprets.
#[derive(Clone, Copy)]
pub(super) enum AddressingHeader {
    Action,
    MessageId,
    To,
    RelatesTo,
    ReplyTo,
}

impl AddressingHeader {
    pub(super) fn from_local(local: &str) -> Option<Self> {
        Some(match local {
            "Action" => AddressingHeader::Action,
            "MessageID" => AddressingHeader::MessageId,
            "To" => AddressingHeader::To,
            "RelatesTo" => AddressingHeader::RelatesTo,
            "ReplyTo" => AddressingHeader::ReplyTo,
            _ => return None,
        })
    }

    pub(super) fn slot(self, headers: &mut Headers) -> &mut Option<String> {
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
pub(super) struct Open<'i> {
    pub(super) start: BytesStart<'i>,
    pub(super) empty: bool,
    pub(super) at: usize,
}

pub(super) struct EnvelopeReader<'i> {
    pub(super) reader: NsEvents<'i>,
    pub(super) bytes: &'i Bytes,
    /// Length of a skipped byte order mark: reader positions are relative to what follows it.
    pub(super) base: usize,
    pub(super) quotas: ReaderQuotas,
    pub(super) env_ns: &'static str,
    pub(super) depth: usize,
    pub(super) names: NameTable,
}

impl<'i> EnvelopeReader<'i> {
    pub(super) fn new(bytes: &'i Bytes, version: EnvelopeVersion, quotas: &ReaderQuotas) -> Self {
        let base = if bytes.starts_with(UTF8_BOM) {
            UTF8_BOM.len()
        } else {
            0
        };
        EnvelopeReader {
            reader: NsEvents::new(bytes.get(base..).unwrap_or_default(), 0),
            bytes,
            base,
            quotas: *quotas,
            env_ns: envelope_ns(version),
            depth: 0,
            names: NameTable::new(quotas.max_name_table_char_count),
        }
    }

    pub(super) fn position(&self) -> usize {
        usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX)
    }

    /// The next event, with depth and well-formedness checked; comments and processing
    /// instructions are skipped.
    pub(super) fn next(&mut self) -> Result<Event<'i>, XmlError> {
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
    pub(super) fn next_child(&mut self, context: &str) -> Result<Option<Open<'i>>, XmlError> {
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

    pub(super) fn enter(&mut self, start: &BytesStart<'_>, push: bool) -> Result<(), XmlError> {
        if self.depth >= self.quotas.max_depth {
            return Err(XmlError::QuotaExceeded(format!(
                "elements are nested deeper than max_depth ({}) at <{}>",
                self.quotas.max_depth,
                start.name().into_inner()
            )));
        }
        check_start_and_record(
            self.reader.resolver(),
            start,
            self.reader.buffer_position(),
            &mut self.names,
        )?;
        if push {
            self.depth += 1;
        }
        Ok(())
    }

    pub(super) fn namespace(&self, start: &BytesStart<'_>) -> Result<&str, XmlError> {
        element_ns(
            self.reader.resolver(),
            start.name(),
            self.reader.buffer_position(),
        )
    }

    pub(super) fn qualified(&self, start: &BytesStart<'_>) -> Result<QualifiedName, XmlError> {
        let ns = self.namespace(start)?;
        Ok(QualifiedName::new(ns, start.local_name().into_inner()))
    }

    pub(super) fn is_env(&self, start: &BytesStart<'_>, local: &str) -> Result<bool, XmlError> {
        Ok(start.local_name().into_inner() == local && self.namespace(start)? == self.env_ns)
    }

    /// Skips the rest of an element whose start tag was just read.
    pub(super) fn skip(&mut self, open: &Open<'_>) -> Result<(), XmlError> {
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

    /// The content from `start` to `end` of the element just ended, with the declarations
    /// in scope inside it that the content may use.
    fn fragment(&self, start: usize, end: usize) -> Result<XmlFragment, XmlError> {
        let xml = self.slice(start, end)?;
        Ok(XmlFragment {
            inherited_namespaces: inherited_used_by(&xml, bindings(self.reader.resolver())),
            xml,
            typed: Vec::new(),
        })
    }

    pub(super) fn slice(&self, start: usize, end: usize) -> Result<Bytes, XmlError> {
        let (start, end) = (start + self.base, end + self.base);
        if start <= end && end <= self.bytes.len() {
            Ok(self.bytes.slice(start..end))
        } else {
            Err(XmlError::Malformed("element positions out of range".into()))
        }
    }

    pub(super) fn read(&mut self) -> Result<(Headers, Body), XmlError> {
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
    pub(super) fn read_root(&mut self) -> Result<Open<'i>, XmlError> {
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

    pub(super) fn check_root(&self, start: &BytesStart<'_>) -> Result<(), XmlError> {
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

    pub(super) fn read_epilog(&mut self) -> Result<(), XmlError> {
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

    pub(super) fn read_headers(&mut self, headers: &mut Headers) -> Result<(), XmlError> {
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

    pub(super) fn read_addressing_header(
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
    pub(super) fn read_reply_to(&mut self, header: &Open<'_>) -> Result<Option<String>, XmlError> {
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

    pub(super) fn read_raw_header(&mut self, header: &Open<'_>) -> Result<RawHeader, XmlError> {
        let name = self.qualified(&header.start)?;
        let must_understand = self.must_understand(&header.start)?;
        self.skip(header)?;
        let xml = self.slice(header.at, self.position())?;
        Ok(RawHeader {
            name,
            must_understand,
            xml: XmlFragment {
                inherited_namespaces: self.inherited_by_current_element(&xml),
                xml,
                typed: Vec::new(),
            },
        })
    }

    /// The declarations in scope at the element just read (or just skipped: its scope stays
    /// until the next event) that it does not make itself and that `xml` may use.
    pub(super) fn inherited_by_current_element(&self, xml: &[u8]) -> Vec<(String, String)> {
        let resolver = self.reader.resolver();
        let own: SmallVec<[PrefixDeclaration<'_>; 4]> = resolver
            .bindings_of(resolver.level())
            .map(|(p, _)| p)
            .collect();
        let inherited = bindings(resolver).filter(|&(prefix, _)| {
            let decl = if prefix.is_empty() {
                PrefixDeclaration::Default
            } else {
                PrefixDeclaration::Named(prefix)
            };
            !own.contains(&decl)
        });
        inherited_used_by(xml, inherited)
    }

    pub(super) fn must_understand(&self, start: &BytesStart<'_>) -> Result<bool, XmlError> {
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
    pub(super) fn read_text(&mut self, open: &Open<'_>) -> Result<Cow<'i, str>, XmlError> {
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

    pub(super) fn read_body(&mut self) -> Result<Body, XmlError> {
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
        // The Body's scope stays until the next event, so what is in scope now is what was
        // in scope inside it.
        Ok(match range {
            None => Body::Empty,
            Some((start, end)) => Body::Payload(self.fragment(start, end)?),
        })
    }

    pub(super) fn read_fault(&mut self, open: &Open<'_>) -> Result<MessageFault, XmlError> {
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
    pub(super) fn read_code12(&mut self, open: &Open<'_>) -> Result<FaultCode, XmlError> {
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
    pub(super) fn read_code11(&mut self, open: &Open<'_>) -> Result<FaultCode, XmlError> {
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
    pub(super) fn read_qname(&mut self, open: &Open<'_>) -> Result<QualifiedName, XmlError> {
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
    pub(super) fn read_reason12(
        &mut self,
        open: &Open<'_>,
        fault: &mut MessageFault,
    ) -> Result<(), XmlError> {
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

    pub(super) fn lang(&self, start: &BytesStart<'_>) -> Result<String, XmlError> {
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
    pub(super) fn read_detail(&mut self, open: &Open<'_>) -> Result<Option<XmlFragment>, XmlError> {
        if open.empty {
            return Ok(None);
        }
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
            Some((start, end)) => Ok(Some(self.fragment(start, end)?)),
        }
    }
}

pub(super) fn eof(element: &str) -> XmlError {
    XmlError::Malformed(format!("the XML ends inside <{element}>"))
}
