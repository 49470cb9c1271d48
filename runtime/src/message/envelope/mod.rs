//! SOAP 1.1 / 1.2 envelopes with WS-Addressing 1.0 headers, written and read with quick-xml.
//!
//! Writing follows WCF's byte layout (prefixes `s` and `a`, `mustUnderstand="1"` on Action and
//! To) so captures compare equal. Reading accepts any prefixes, checks well-formedness and the
//! reader quotas over the whole envelope, and keeps the body as a zero-copy slice of the input.

mod read;
mod write;

use read::*;
use write::*;

use super::{
    ns, AddressingVersion, Body, EnvelopeVersion, FaultCode, FaultCodeValue, Headers, Message,
    MessageFault, MessageVersion, QualifiedName, RawHeader, ReaderQuotas, XmlError, XmlFragment,
};
use crate::xml::{
    bindings, check_start_and_record, check_string_quota, element_ns, inherited_used_by,
    is_whitespace, map_error, resolve_ref, trim, write_attr, write_ns_decl, write_text, NameTable,
    NsEvents, UTF8_BOM,
};
use bytes::Bytes;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, PrefixDeclaration, QName, ResolveResult};
use quick_xml::{Reader, XmlVersion};
use smallvec::SmallVec;
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
    let other: usize = headers
        .other
        .iter()
        .map(|h| fragment(&h.xml))
        .sum::<usize>()
        + headers.wsrm.as_ref().map_or(0, |wsrm| wsrm.size_hint());
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
    version.namespace()
}

// ---------------------------------------------------------------------------------------------
// Writing

#[cfg(test)]
mod tests;
