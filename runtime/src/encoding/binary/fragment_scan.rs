//! A scanner for the plain text XML that Indigo's own serializers write into message bodies
//! and headers: elements, double-quoted attributes and character data, nothing else.
//!
//! The binary writer has to turn such fragments (the message model keeps bodies as text XML)
//! into records, and quick-xml's general reader ([`parse_text`](super::parse_text)) was
//! most of that cost. Hand-written because only a subset is handled, where quick-xml's events
//! are known exactly: the scanner declines (returns `false`) at the first reference, CR,
//! comment, CDATA section, processing instruction, single-quoted or whitespace-bearing
//! attribute value, duplicate attribute or mismatched end tag, and the caller then parses the
//! fragment with quick-xml as before. The tests check both produce the same events.

use super::events::{Attribute, XmlEvent};
use smallvec::SmallVec;
use std::borrow::Cow;

/// Appends the events of `xml` to `events`, or returns `false` (with `events` in any state)
/// if `xml` is not in the plain subset.
pub(crate) fn scan<'x>(xml: &'x str, events: &mut Vec<XmlEvent<'x>>) -> bool {
    Scanner {
        xml,
        bytes: xml.as_bytes(),
        at: 0,
        open: SmallVec::new(),
        events,
    }
    .run()
    .is_some()
}

struct Scanner<'x, 'e> {
    xml: &'x str,
    bytes: &'x [u8],
    at: usize,
    /// Names of the open elements, for their end tags; sixteen levels inline.
    open: SmallVec<[&'x str; 16]>,
    events: &'e mut Vec<XmlEvent<'x>>,
}

impl<'x> Scanner<'x, '_> {
    fn run(&mut self) -> Option<()> {
        while self.at < self.bytes.len() {
            if self.bytes[self.at] == b'<' {
                self.markup()?;
            } else {
                self.text()?;
            }
        }
        self.open.is_empty().then_some(())
    }

    /// Character data up to the next `<`: verbatim unless it holds `&` (a reference) or CR
    /// (line-end normalisation), which quick-xml would change.
    fn text(&mut self) -> Option<()> {
        let start = self.at;
        let rest = &self.bytes[start..];
        // One vectorised pass: the text is most of a body's bytes.
        let len = match memchr::memchr3(b'<', b'&', b'\r', rest) {
            Some(at) if rest[at] != b'<' => return None,
            Some(at) => at,
            None => rest.len(),
        };
        self.at += len;
        let text = self.xml.get(start..self.at)?;
        self.events.push(XmlEvent::Text(Cow::Borrowed(text)));
        Some(())
    }

    fn markup(&mut self) -> Option<()> {
        match self.bytes.get(self.at + 1)? {
            b'/' => self.end_tag(),
            b'!' | b'?' => None,
            _ => self.start_tag(),
        }
    }

    fn end_tag(&mut self) -> Option<()> {
        self.at += 2;
        let name = self.name()?;
        self.expect(b'>')?;
        (self.open.pop()? == name).then_some(())?;
        self.events.push(XmlEvent::EndElement);
        Some(())
    }

    fn start_tag(&mut self) -> Option<()> {
        self.at += 1;
        let name = self.name()?;
        let (prefix, local) = split(name)?;
        let mut attributes: Vec<Attribute<'x>> = Vec::new();
        loop {
            let spaced = self.skip_whitespace();
            match *self.bytes.get(self.at)? {
                b'>' => {
                    self.at += 1;
                    self.open.push(name);
                    self.events.push(start(prefix, local, attributes));
                    return Some(());
                }
                b'/' => {
                    self.at += 1;
                    self.expect(b'>')?;
                    self.events.push(start(prefix, local, attributes));
                    self.events.push(XmlEvent::EndElement);
                    return Some(());
                }
                _ if spaced => {
                    let key = self.name()?;
                    self.expect(b'=')?;
                    self.expect(b'"')?;
                    let value = self.attribute_value()?;
                    let (a_prefix, a_local) = split(key)?;
                    let duplicate = attributes
                        .iter()
                        .any(|a| a.prefix == a_prefix && a.local == a_local);
                    if duplicate {
                        return None;
                    }
                    attributes.push(Attribute {
                        prefix: Cow::Borrowed(a_prefix),
                        local: Cow::Borrowed(a_local),
                        value: Cow::Borrowed(value),
                    });
                }
                _ => return None,
            }
        }
    }

    /// A double-quoted value (the quote already read) that attribute-value normalisation
    /// leaves alone: no references, no `<`, no TAB, LF or CR.
    fn attribute_value(&mut self) -> Option<&'x str> {
        let start = self.at;
        let rest = &self.bytes[start..];
        let len = memchr::memchr(b'"', rest)?;
        if rest[..len]
            .iter()
            .any(|&b| matches!(b, b'&' | b'<' | b'\t' | b'\n' | b'\r'))
        {
            return None;
        }
        self.at += len + 1;
        self.xml.get(start..start + len)
    }

    /// A name: up to whitespace, `/`, `>` or `=`; non-empty, and nothing a name cannot hold
    /// that would make quick-xml read the tag differently.
    fn name(&mut self) -> Option<&'x str> {
        let start = self.at;
        let rest = &self.bytes[start..];
        let len = rest
            .iter()
            .position(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'>' | b'='))
            .unwrap_or(rest.len());
        if len == 0
            || rest[..len]
                .iter()
                .any(|&b| matches!(b, b'<' | b'"' | b'\'' | b'&'))
        {
            return None;
        }
        self.at += len;
        self.xml.get(start..start + len)
    }

    /// Skips XML whitespace; whether there was any.
    fn skip_whitespace(&mut self) -> bool {
        let start = self.at;
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
        self.at > start
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }
}

fn start<'x>(prefix: &'x str, local: &'x str, attributes: Vec<Attribute<'x>>) -> XmlEvent<'x> {
    XmlEvent::StartElement {
        prefix: Cow::Borrowed(prefix),
        local: Cow::Borrowed(local),
        attributes,
    }
}

/// `prefix:local`, or `("", name)`; more than one colon is quick-xml's error to report.
fn split(name: &str) -> Option<(&str, &str)> {
    match name.split_once(':') {
        None => Some(("", name)),
        Some((prefix, local)) if !local.contains(':') => Some((prefix, local)),
        Some(_) => None,
    }
}
