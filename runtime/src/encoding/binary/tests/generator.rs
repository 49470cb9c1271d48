//! Seeded generator of well-formed XML documents as events, biased towards what stresses the
//! codec: dictionary and session names, every prefix form, values that have compact records
//! and near-misses that must stay text, characters that need escaping.

use super::super::{Attribute, XmlEvent};
use super::Rng;
use std::borrow::Cow;

const PREFIXES: &[&str] = &["", "s", "a", "z", "ns1", "wsrm"];
const ATTRIBUTE_PREFIXES: &[&str] = &["", "s", "a", "ns1"];
const NAMES: &[&str] = &[
    // In the static dictionary.
    "Envelope",
    "Header",
    "Body",
    "Action",
    "mustUnderstand",
    "Address",
    "Fault",
    "detail",
    "Value",
    "type",
    // Not in it: session or inline.
    "x",
    "Start",
    "StartResult",
    "Item",
    "élément",
    "a-b.c",
    "_9",
];
const NAMESPACES: &[&str] = &[
    "http://www.w3.org/2003/05/soap-envelope",
    "http://www.w3.org/2005/08/addressing",
    "http://schemas.xmlsoap.org/ws/2005/02/rm",
    "http://example.org/calc",
    "urn:example:other",
    "",
];
const VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "true",
    "false",
    "10",
    "-1",
    "127",
    "128",
    "-128",
    "-129",
    "32767",
    "32768",
    "-32769",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "-0",
    "01",
    "+5",
    "1.5",
    "True",
    "97eba9c4-dfb0-4899-9019-4b5005bef575",
    "97EBA9C4-DFB0-4899-9019-4B5005BEF575",
    "urn:uuid:97eba9c4-dfb0-4899-9019-4b5005bef575",
    "urn:uuid:97EBA9C4-dfb0-4899-9019-4b5005bef575",
    "http://www.w3.org/2005/08/addressing/anonymous",
    "Envelope",
    "http://example.org/calc",
    "a < b && c > d",
    "quote \" and apos '",
    "tab\there",
    "line\nbreak",
    "cr\rlf\r\n",
    "ctrl \u{1} char",
    " leading and trailing ",
    "ünïcödé ✓ 𝄞",
    "]]>",
];

/// A random document: one root element that declares the prefixes it may use.
pub(in super::super) fn document(rng: &mut Rng) -> Vec<XmlEvent<'static>> {
    let mut events = Vec::new();
    let mut attributes = Vec::new();
    for prefix in PREFIXES {
        if !prefix.is_empty() || rng.chance(50) {
            attributes.push(Attribute::xmlns(*prefix, *rng.pick(NAMESPACES)));
        }
    }
    element(rng, &mut events, attributes, 0);
    events
}

fn element(
    rng: &mut Rng,
    events: &mut Vec<XmlEvent<'static>>,
    mut attributes: Vec<Attribute<'static>>,
    depth: usize,
) {
    let prefix = if attributes.iter().any(|a| a.declared_prefix() == Some("")) {
        *rng.pick(PREFIXES)
    } else {
        // Without a default declaration keep names prefixed, as real messages are.
        *rng.pick(&PREFIXES[1..])
    };
    for _ in 0..rng.below(4) {
        let a_prefix = *rng.pick(ATTRIBUTE_PREFIXES);
        let local = name(rng);
        let taken = attributes
            .iter()
            .any(|a| a.prefix == a_prefix && a.local == local);
        let declaration = a_prefix.is_empty() && local == "xmlns";
        if !taken && !declaration {
            attributes.push(Attribute::new(a_prefix, local, value(rng)));
        }
    }
    if depth > 0 && rng.chance(15) {
        // A redeclaration deeper down.
        let prefix = *rng.pick(&PREFIXES[1..]);
        if !attributes
            .iter()
            .any(|a| a.declared_prefix() == Some(prefix))
        {
            attributes.push(Attribute::xmlns(prefix, *rng.pick(NAMESPACES)));
        }
    }
    events.push(XmlEvent::StartElement {
        prefix: Cow::Borrowed(prefix),
        local: Cow::Owned(name(rng)),
        attributes,
    });
    let children = if depth >= 5 { 0 } else { rng.below(5) };
    for _ in 0..children {
        match rng.below(10) {
            0..=4 => element(rng, events, Vec::new(), depth + 1),
            5..=8 => events.push(XmlEvent::Text(Cow::Owned(value(rng)))),
            _ => events.push(XmlEvent::Comment(Cow::Borrowed(" a comment "))),
        }
    }
    if children == 0 && rng.chance(70) {
        events.push(XmlEvent::Text(Cow::Owned(value(rng))));
    }
    events.push(XmlEvent::EndElement);
}

fn name(rng: &mut Rng) -> String {
    if rng.chance(20) {
        // A fresh name, so session tables grow and fill.
        let len = 1 + rng.below(12);
        (0..len)
            .map(|i| {
                let letters = if i == 0 {
                    &b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"[..]
                } else {
                    &b"abcdefghijklmnopqrstuvwxyz0123456789-._"[..]
                };
                char::from(*rng.pick(letters))
            })
            .collect()
    } else {
        rng.pick(NAMES).to_string()
    }
}

fn value(rng: &mut Rng) -> String {
    match rng.below(20) {
        0 => {
            // Long enough for Chars16 (and now and then Chars32).
            let len = if rng.chance(10) { 70_000 } else { 300 };
            "v".repeat(len)
        }
        1 => rng.below(1 << 20).to_string(),
        _ => rng.pick(VALUES).to_string(),
    }
}
