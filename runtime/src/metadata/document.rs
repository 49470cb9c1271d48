//! A small element tree for the metadata documents, written with quick-xml: the documents are
//! built whole (WSDL refers to names declared further down) and then written indented, as
//! WCF's are easiest to read.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

/// An element: a prefixed name, attributes (namespace declarations among them) and children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    pub(crate) fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Adds an attribute.
    pub(crate) fn attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((name.into(), value.into()));
        self
    }

    /// Adds an attribute when `value` is `Some`.
    pub(crate) fn attr_opt(self, name: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(value) => self.attr(name, value),
            None => self,
        }
    }

    /// Adds a child element.
    pub(crate) fn child(mut self, child: Element) -> Self {
        self.children.push(Node::Element(child));
        self
    }

    /// Adds child elements.
    pub(crate) fn children(mut self, children: impl IntoIterator<Item = Element>) -> Self {
        self.children
            .extend(children.into_iter().map(Node::Element));
        self
    }

    /// Adds text content.
    pub(crate) fn text(mut self, text: impl Into<String>) -> Self {
        self.children.push(Node::Text(text.into()));
        self
    }

    /// Adds a child in place.
    pub(crate) fn push(&mut self, child: Element) {
        self.children.push(Node::Element(child));
    }

    /// The document: an XML declaration and this element, indented.
    pub(crate) fn to_document(&self) -> String {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
        // Writing to a Vec cannot fail.
        let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)));
        self.write(&mut writer);
        String::from_utf8(writer.into_inner()).unwrap_or_default()
    }

    /// This element alone, without a declaration, unindented (inside a SOAP body).
    pub(crate) fn to_fragment(&self) -> String {
        let mut writer = Writer::new(Vec::new());
        self.write(&mut writer);
        String::from_utf8(writer.into_inner()).unwrap_or_default()
    }

    fn write(&self, writer: &mut Writer<Vec<u8>>) {
        let mut start = BytesStart::new(self.name.as_str());
        for (name, value) in &self.attributes {
            start.push_attribute((name.as_str(), value.as_str()));
        }
        if self.children.is_empty() {
            let _ = writer.write_event(Event::Empty(start));
            return;
        }
        let _ = writer.write_event(Event::Start(start));
        for child in &self.children {
            match child {
                Node::Element(element) => element.write(writer),
                Node::Text(text) => {
                    let _ = writer.write_event(Event::Text(BytesText::new(text)));
                }
            }
        }
        let _ = writer.write_event(Event::End(BytesEnd::new(self.name.as_str())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_attributes_and_text() {
        let doc = Element::new("a")
            .attr("x", "1 < 2 & \"q\"")
            .child(Element::new("b").text("<&>"))
            .to_fragment();
        assert_eq!(
            doc,
            r#"<a x="1 &lt; 2 &amp; &quot;q&quot;"><b>&lt;&amp;&gt;</b></a>"#
        );
    }
}
