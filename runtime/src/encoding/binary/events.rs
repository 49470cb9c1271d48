//! The XML event stream both codecs meet in: the binary reader and the text parser produce
//! it, the binary writer and the text writer consume it. Names keep their prefixes exactly;
//! namespace declarations are ordinary attributes (`xmlns` or `xmlns:p`), in document order,
//! so prefixes and declarations survive any round trip.

use super::error::BinaryXmlError;
use smallvec::SmallVec;
use std::borrow::Cow;

/// One attribute, or a namespace declaration (`xmlns="..."`, `xmlns:p="..."`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// The prefix, empty for none; `xmlns` for a prefixed namespace declaration.
    pub prefix: Cow<'a, str>,
    /// The local name; `xmlns` (with an empty prefix) for a default namespace declaration.
    pub local: Cow<'a, str>,
    /// The value as text.
    pub value: Cow<'a, str>,
}

impl<'a> Attribute<'a> {
    /// A plain attribute.
    pub fn new(
        prefix: impl Into<Cow<'a, str>>,
        local: impl Into<Cow<'a, str>>,
        value: impl Into<Cow<'a, str>>,
    ) -> Self {
        Attribute {
            prefix: prefix.into(),
            local: local.into(),
            value: value.into(),
        }
    }

    /// A namespace declaration; an empty `prefix` declares the default namespace.
    pub fn xmlns(prefix: impl Into<Cow<'a, str>>, namespace: impl Into<Cow<'a, str>>) -> Self {
        let prefix = prefix.into();
        if prefix.is_empty() {
            Attribute::new("", "xmlns", namespace)
        } else {
            Attribute::new("xmlns", prefix, namespace)
        }
    }

    /// If this is a namespace declaration, the prefix it declares (empty for the default).
    pub fn declared_prefix(&self) -> Option<&str> {
        match (&*self.prefix, &*self.local) {
            ("", "xmlns") => Some(""),
            ("xmlns", p) => Some(p),
            _ => None,
        }
    }

    /// A copy that owns its strings.
    #[cfg(test)]
    pub fn into_owned(self) -> Attribute<'static> {
        Attribute {
            prefix: Cow::Owned(self.prefix.into_owned()),
            local: Cow::Owned(self.local.into_owned()),
            value: Cow::Owned(self.value.into_owned()),
        }
    }
}

/// One step of an XML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlEvent<'a> {
    /// `<prefix:local attributes...>`.
    StartElement {
        /// The prefix, empty for none.
        prefix: Cow<'a, str>,
        /// The local name.
        local: Cow<'a, str>,
        /// Attributes and namespace declarations, in document order.
        attributes: Vec<Attribute<'a>>,
    },
    /// Character data (typed binary records already rendered as their text form).
    Text(Cow<'a, str>),
    /// The end of the innermost open element.
    EndElement,
    /// `<!--...-->`.
    Comment(Cow<'a, str>),
}

impl XmlEvent<'_> {
    /// A copy that owns its strings.
    #[cfg(test)]
    pub fn into_owned(self) -> XmlEvent<'static> {
        match self {
            XmlEvent::StartElement {
                prefix,
                local,
                attributes,
            } => XmlEvent::StartElement {
                prefix: Cow::Owned(prefix.into_owned()),
                local: Cow::Owned(local.into_owned()),
                attributes: attributes.into_iter().map(Attribute::into_owned).collect(),
            },
            XmlEvent::Text(t) => XmlEvent::Text(Cow::Owned(t.into_owned())),
            XmlEvent::EndElement => XmlEvent::EndElement,
            XmlEvent::Comment(c) => XmlEvent::Comment(Cow::Owned(c.into_owned())),
        }
    }
}

/// A producer's attributes of one start tag, reused from tag to tag: four fit inline.
pub type AttributeBuffer<'a> = SmallVec<[Attribute<'a>; 4]>;

/// Receives events one by one; an error stops the producer.
pub trait EventSink<'a> {
    /// Takes the next event.
    fn event(&mut self, event: XmlEvent<'a>) -> Result<(), BinaryXmlError>;

    /// Takes a start tag whose attributes are in `attributes`, which the producer empties and
    /// reuses for the next tag. A sink that keeps attributes elsewhere, or only reads them,
    /// overrides this and spares the producer an allocation per start tag.
    fn start_element(
        &mut self,
        prefix: Cow<'a, str>,
        local: Cow<'a, str>,
        attributes: &mut AttributeBuffer<'a>,
    ) -> Result<(), BinaryXmlError> {
        self.event(XmlEvent::StartElement {
            prefix,
            local,
            attributes: attributes.drain(..).collect(),
        })
    }

    /// Whether the sink has seen all it wants; a reader that supports stopping early (a
    /// streamed message's head) stops after the event that made this true.
    fn done(&self) -> bool {
        false
    }
}

/// Collecting into a vector, for tests and small documents.
impl<'a> EventSink<'a> for Vec<XmlEvent<'a>> {
    fn event(&mut self, event: XmlEvent<'a>) -> Result<(), BinaryXmlError> {
        self.push(event);
        Ok(())
    }
}

/// Joins adjacent text events and drops empty ones: binary XML may split text across records
/// (and text XML across references or CDATA) without changing the document.
#[cfg(test)]
pub fn normalize_text(events: Vec<XmlEvent<'_>>) -> Vec<XmlEvent<'static>> {
    let mut out: Vec<XmlEvent<'static>> = Vec::with_capacity(events.len());
    for event in events {
        match event {
            XmlEvent::Text(t) if t.is_empty() => {}
            XmlEvent::Text(t) => match out.last_mut() {
                Some(XmlEvent::Text(prev)) => prev.to_mut().push_str(&t),
                _ => out.push(XmlEvent::Text(Cow::Owned(t.into_owned()))),
            },
            other => out.push(other.into_owned()),
        }
    }
    out
}

/// Collects events as owned values; unlike a `Vec`, it accepts events of any lifetime, as
/// [`parse_text`](super::parse_text) requires.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[cfg(test)]
pub struct OwnedEvents(pub Vec<XmlEvent<'static>>);

#[cfg(test)]
impl<'a> EventSink<'a> for OwnedEvents {
    fn event(&mut self, event: XmlEvent<'a>) -> Result<(), BinaryXmlError> {
        self.0.push(event.into_owned());
        Ok(())
    }
}
