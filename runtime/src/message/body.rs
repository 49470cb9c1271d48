//! Document/literal wrapped operation bodies: a wrapper element named after the operation, one
//! child element per parameter, values in DataContractSerializer's conventions.

use super::{ReaderQuotas, XmlError, XmlFragment};
use crate::serialization::{read_element, read_missing, Writer};
use crate::xml::{self, Element, FragmentReader, Node};
use serde::{de::DeserializeOwned, Serialize};

/// Writes `<{wrapper} xmlns="{namespace}">` and then one element per part.
#[derive(Debug)]
pub struct BodyWriter {
    out: Vec<u8>,
    /// Where the wrapper's name sits in `out`, copied for its end tag.
    wrapper_len: usize,
    namespaces: Namespaces,
    /// The wrapper's start tag still lacks its `>`, so an empty body can become `<W/>`.
    open: bool,
    /// Where the parts' typed values are (see [`XmlFragment`]).
    typed: Vec<crate::xml::TypedText>,
}

/// The wrapper's namespace and the data namespace: borrowed for a contract's (they are
/// static), otherwise one allocation for both.
#[derive(Debug)]
enum Namespaces {
    Static {
        namespace: &'static str,
        data_namespace: &'static str,
    },
    Owned {
        /// The wrapper's namespace followed by the data namespace.
        both: String,
        /// Where the data namespace starts in `both`.
        data_at: usize,
    },
}

impl Namespaces {
    fn split(&self) -> (&str, &str) {
        match self {
            Namespaces::Static {
                namespace,
                data_namespace,
            } => (namespace, data_namespace),
            Namespaces::Owned { both, data_at } => both.split_at(*data_at),
        }
    }
}

impl BodyWriter {
    /// Starts the wrapper element. `data_namespace` is the namespace of user struct members.
    pub fn new(wrapper: &str, namespace: &str, data_namespace: &str) -> Self {
        let mut both = String::with_capacity(namespace.len() + data_namespace.len());
        both.push_str(namespace);
        both.push_str(data_namespace);
        let namespaces = Namespaces::Owned {
            both,
            data_at: namespace.len(),
        };
        BodyWriter::start(wrapper, "", namespace, namespaces)
    }

    /// Starts the wrapper `{operation}{suffix}` (the request's, or the `Response` one) of an
    /// operation of a contract, whose namespaces are static.
    pub(crate) fn for_operation(
        operation: &str,
        suffix: &str,
        namespace: &'static str,
        data_namespace: &'static str,
    ) -> Self {
        let namespaces = Namespaces::Static {
            namespace,
            data_namespace,
        };
        BodyWriter::start(operation, suffix, namespace, namespaces)
    }

    fn start(name: &str, suffix: &str, namespace: &str, namespaces: Namespaces) -> Self {
        let wrapper_len = name.len() + suffix.len();
        let mut out = Vec::with_capacity(128 + wrapper_len + namespace.len());
        out.push(b'<');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(suffix.as_bytes());
        if !namespace.is_empty() {
            xml::write_ns_decl(&mut out, "", namespace);
        }
        BodyWriter {
            out,
            wrapper_len,
            namespaces,
            open: true,
            typed: Vec::new(),
        }
    }

    /// Writes the next part.
    pub fn part<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), XmlError> {
        let rollback = self.out.len();
        let was_open = self.open;
        if self.open {
            self.out.push(b'>');
            self.open = false;
        }
        let out = std::mem::take(&mut self.out);
        let (namespace, data_namespace) = self.namespaces.split();
        let mut writer = Writer::new(out, namespace, data_namespace);
        writer.typed = std::mem::take(&mut self.typed);
        let result = writer.element(name, namespace, false, value);
        self.out = writer.out;
        self.typed = writer.typed;
        if result.is_err() {
            // A failed part leaves no half-written element behind.
            self.out.truncate(rollback);
            self.typed.retain(|typed| typed.at < rollback);
            self.open = was_open;
        }
        result
    }

    /// Closes the wrapper.
    pub fn finish(mut self) -> XmlFragment {
        if self.open {
            self.out.extend_from_slice(b"/>");
        } else {
            self.out.extend_from_slice(b"</");
            self.out.extend_from_within(1..1 + self.wrapper_len);
            self.out.push(b'>');
        }
        let mut fragment = XmlFragment::new(self.out);
        fragment.typed = self.typed;
        fragment
    }
}

/// Reads a wrapper element and its parts, forward-only.
#[derive(Debug)]
pub struct BodyReader<'a> {
    reader: FragmentReader<'a>,
    wrapper: Element<'a>,
    /// The wrapper's end tag has not been read yet.
    inside: bool,
    /// A part failed half-way, so the reader's position is meaningless.
    failed: bool,
}

impl<'a> BodyReader<'a> {
    /// Opens the wrapper, which must be `wrapper` in `namespace`.
    pub fn open(
        fragment: &'a XmlFragment,
        wrapper: &str,
        namespace: &str,
        quotas: &ReaderQuotas,
    ) -> Result<Self, XmlError> {
        BodyReader::open_named(fragment, wrapper, "", namespace, quotas)
    }

    /// Opens the wrapper, which must be `{name}{suffix}` in `namespace`.
    pub(crate) fn open_named(
        fragment: &'a XmlFragment,
        name: &str,
        suffix: &str,
        namespace: &str,
        quotas: &ReaderQuotas,
    ) -> Result<Self, XmlError> {
        let mut reader = FragmentReader::new(fragment, quotas)?;
        let root = first_element(&mut reader)?;
        let found_ns = reader.namespace_of(&root)?;
        let named = root
            .local()
            .strip_suffix(suffix)
            .is_some_and(|found| found == name);
        if !named || found_ns != namespace {
            return Err(XmlError::Deserialize(format!(
                "expected element {{{namespace}}}{name}{suffix}, found {}",
                super::QualifiedName::new(found_ns, root.local())
            )));
        }
        Ok(BodyReader {
            reader,
            inside: !root.empty,
            wrapper: root,
            failed: false,
        })
    }

    /// Reads the part named `name`.
    ///
    /// Parts are matched forward-only, as WCF does: elements before the wanted one are skipped
    /// and lost, so a part that arrives after a later one reads as missing. A missing part is
    /// `None` for an `Option` and an error for anything else.
    pub fn part<T: DeserializeOwned>(&mut self, name: &str) -> Result<T, XmlError> {
        if self.failed {
            return Err(XmlError::Deserialize(format!(
                "cannot read parameter `{name}`: an earlier parameter failed to deserialize"
            )));
        }
        let result = self.find_and_read(name);
        self.failed = result.is_err();
        result
    }

    fn find_and_read<T: DeserializeOwned>(&mut self, name: &str) -> Result<T, XmlError> {
        while self.inside {
            match self.reader.next_child(self.wrapper.local())? {
                Some(part) if part.local() == name => return read_element(&mut self.reader, part),
                Some(other) => self.reader.skip(&other)?,
                None => self.inside = false,
            }
        }
        read_missing(name)
    }
}

fn first_element<'a>(reader: &mut FragmentReader<'a>) -> Result<Element<'a>, XmlError> {
    loop {
        match reader.next()? {
            Node::Start(element) => return Ok(element),
            Node::Text(text) if xml::is_whitespace(&text) => {}
            Node::Text(_) | Node::End | Node::Eof => {
                return Err(XmlError::Deserialize(
                    "expected an operation wrapper element, found none".into(),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::ns;
    use serde::Deserialize;

    const TEMPURI: &str = "http://tempuri.org/";

    fn text(fragment: &XmlFragment) -> &str {
        std::str::from_utf8(&fragment.xml).unwrap()
    }

    #[test]
    fn writes_wcf_wrapped_request_and_reply() {
        let mut w = BodyWriter::new("AddTo", TEMPURI, ns::DC_DEFAULT);
        w.part("n", &5.0f64).unwrap();
        assert_eq!(
            text(&w.finish()),
            r#"<AddTo xmlns="http://tempuri.org/"><n>5</n></AddTo>"#
        );

        let mut w = BodyWriter::new("EqualsResponse", TEMPURI, ns::DC_DEFAULT);
        w.part("EqualsResult", &7i32).unwrap();
        assert_eq!(
            text(&w.finish()),
            r#"<EqualsResponse xmlns="http://tempuri.org/"><EqualsResult>7</EqualsResult></EqualsResponse>"#
        );

        let w = BodyWriter::new("ClearResponse", TEMPURI, ns::DC_DEFAULT);
        assert_eq!(
            text(&w.finish()),
            r#"<ClearResponse xmlns="http://tempuri.org/"/>"#
        );
    }

    #[derive(Debug, PartialEq, serde::Serialize, Deserialize)]
    struct Order {
        id: i32,
        tags: Vec<String>,
    }

    #[test]
    fn writes_struct_parts_like_wcf() {
        let mut w = BodyWriter::new(
            "PlaceOrder",
            TEMPURI,
            "http://schemas.datacontract.org/2004/07/Shop",
        );
        let order = Order {
            id: 5,
            tags: vec!["t".into()],
        };
        w.part("order", &order).unwrap();
        w.part("priority", &1i32).unwrap();
        w.part("note", &None::<String>).unwrap();
        let body = w.finish();
        assert_eq!(
            text(&body),
            concat!(
                r#"<PlaceOrder xmlns="http://tempuri.org/">"#,
                r#"<order xmlns:a="http://schemas.datacontract.org/2004/07/Shop"><a:id>5</a:id>"#,
                r#"<a:tags xmlns:b="http://schemas.microsoft.com/2003/10/Serialization/Arrays"><b:string>t</b:string></a:tags></order>"#,
                r#"<priority>1</priority>"#,
                r#"<note i:nil="true" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"/>"#,
                r#"</PlaceOrder>"#
            )
        );
        let quotas = ReaderQuotas::default();
        let mut r = BodyReader::open(&body, "PlaceOrder", TEMPURI, &quotas).unwrap();
        assert_eq!(r.part::<Order>("order").unwrap(), order);
        assert_eq!(r.part::<i32>("priority").unwrap(), 1);
        assert_eq!(r.part::<Option<String>>("note").unwrap(), None);
        assert_eq!(r.part::<Option<String>>("extra").unwrap(), None);
    }

    #[test]
    fn failed_part_leaves_the_body_unchanged() {
        #[derive(serde::Serialize)]
        enum Shape {
            Circle(f64),
        }
        let mut w = BodyWriter::new("Draw", TEMPURI, ns::DC_DEFAULT);
        let err = w.part("shape", &Shape::Circle(1.0)).unwrap_err();
        assert!(
            matches!(err, XmlError::Serialize(ref m) if m.contains("Shape::Circle")),
            "{err}"
        );
        w.part("n", &1u8).unwrap();
        assert_eq!(
            text(&w.finish()),
            r#"<Draw xmlns="http://tempuri.org/"><n>1</n></Draw>"#
        );
    }

    #[test]
    fn reads_parts_forward_only() {
        let body = XmlFragment::new(
            r#"<p:Op xmlns:p="http://tempuri.org/"><p:b>2</p:b><x>skip me<y/></x><p:a>1</p:a><p:c> 3 </p:c></p:Op>"#,
        );
        let quotas = ReaderQuotas::default();
        let mut r = BodyReader::open(&body, "Op", TEMPURI, &quotas).unwrap();
        // `a` arrives after `b`: reading `a` first skips `b` and `x`.
        assert_eq!(r.part::<i32>("a").unwrap(), 1);
        assert_eq!(r.part::<Option<i32>>("b").unwrap(), None);
        let err = r.part::<f64>("c").unwrap_err();
        assert_eq!(err, XmlError::Deserialize("missing parameter `c`".into()));
    }

    #[test]
    fn missing_parts_are_none_or_errors() {
        let body = XmlFragment::new(r#"<Op xmlns="http://tempuri.org/"/>"#);
        let quotas = ReaderQuotas::default();
        let mut r = BodyReader::open(&body, "Op", TEMPURI, &quotas).unwrap();
        assert_eq!(r.part::<Option<f64>>("x").unwrap(), None);
        let err = r.part::<f64>("n").unwrap_err();
        assert!(matches!(err, XmlError::Deserialize(ref m) if m.contains("missing parameter `n`")));
    }

    #[test]
    fn wrong_wrapper_is_rejected() {
        let body = XmlFragment::new(r#"<AddTo xmlns="http://tempuri.org/"><n>5</n></AddTo>"#);
        let quotas = ReaderQuotas::default();
        let err = BodyReader::open(&body, "SubtractFrom", TEMPURI, &quotas).unwrap_err();
        assert_eq!(
            err,
            XmlError::Deserialize(
                "expected element {http://tempuri.org/}SubtractFrom, found {http://tempuri.org/}AddTo"
                    .into()
            )
        );
        let err = BodyReader::open(&body, "AddTo", "urn:other", &quotas).unwrap_err();
        assert!(matches!(err, XmlError::Deserialize(_)));
    }

    #[test]
    fn wrapper_namespace_may_come_from_the_envelope() {
        let body = XmlFragment {
            xml: bytes::Bytes::from_static(b"<t:AddTo><t:n>5</t:n></t:AddTo>"),
            inherited_namespaces: vec![("t".into(), TEMPURI.into())],
            typed: Vec::new(),
        };
        let quotas = ReaderQuotas::default();
        let mut r = BodyReader::open(&body, "AddTo", TEMPURI, &quotas).unwrap();
        assert_eq!(r.part::<f64>("n").unwrap(), 5.0);
    }

    #[test]
    fn a_bad_part_stops_the_reader() {
        let body = XmlFragment::new(r#"<Op xmlns="http://tempuri.org/"><a>x</a><b>1</b></Op>"#);
        let quotas = ReaderQuotas::default();
        let mut r = BodyReader::open(&body, "Op", TEMPURI, &quotas).unwrap();
        let err = r.part::<i32>("a").unwrap_err();
        assert_eq!(
            err,
            XmlError::Deserialize("`x` in element <a> is not a valid int".into())
        );
        assert!(r.part::<i32>("b").is_err());
    }

    #[test]
    fn malformed_body_is_malformed() {
        let body = XmlFragment::new(r#"<Op xmlns="http://tempuri.org/"><a>1</b></Op>"#);
        let quotas = ReaderQuotas::default();
        let mut r = BodyReader::open(&body, "Op", TEMPURI, &quotas).unwrap();
        assert!(matches!(r.part::<i32>("a"), Err(XmlError::Malformed(_))));
    }
}
