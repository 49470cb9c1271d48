//! Loading and reading the documents: WSDL 1.1 definitions and XML Schemas from files or
//! URLs, following `wsdl:import`, `xs:import` and `xs:include`, into [`Definitions`].
//!
//! An import that cannot be loaded is a warning, not an error, when the namespace it names
//! is available otherwise (or is XML Schema's own): Mono's WSDL imports XML Schema from a URL
//! that answers with an HTML page.

use crate::error::Error;
use crate::model::*;
use roxmltree::{Document, Node};
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;

pub(crate) const WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
pub(crate) const XSD: &str = "http://www.w3.org/2001/XMLSchema";
const SOAP11: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
const SOAP12: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
const WSAW: &str = "http://www.w3.org/2006/05/addressing/wsdl";
const WSAM: &str = "http://www.w3.org/2007/05/addressing/metadata";
const MSC: &str = "http://schemas.microsoft.com/ws/2005/12/wsdl/contract";
const WSP: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy";
const WSP15: &str = "http://www.w3.org/ns/ws-policy";
const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
pub(crate) const SERIALIZATION: &str = "http://schemas.microsoft.com/2003/10/Serialization/";

/// Fetches a document's text: from a file, or an `http(s)://` URL.
pub(crate) trait Fetch {
    fn fetch(&self, location: &str) -> Result<String, String>;
}

/// Files and URLs (blocking HTTP GET).
pub(crate) struct DefaultFetch;

impl Fetch for DefaultFetch {
    fn fetch(&self, location: &str) -> Result<String, String> {
        if location.starts_with("http://") || location.starts_with("https://") {
            let response = ureq::get(location)
                .call()
                .map_err(|e| format!("GET {location}: {e}"))?;
            response
                .into_string()
                .map_err(|e| format!("GET {location}: {e}"))
        } else {
            std::fs::read_to_string(location).map_err(|e| format!("{location}: {e}"))
        }
    }
}

/// What reading found that a user should know (a broken import, a missing flag).
pub(crate) type Warnings = Vec<String>;

/// `location` relative to `base` (a URL or a file path).
fn resolve(base: &str, location: &str) -> String {
    if location.contains("://") || location.starts_with('/') {
        return location.to_owned();
    }
    if base.contains("://") {
        if location.starts_with('?') {
            let without_query = base.split('?').next().unwrap_or(base);
            return format!("{without_query}{location}");
        }
        let without_query = base.split('?').next().unwrap_or(base);
        let dir = without_query
            .rsplit_once('/')
            .map_or(without_query, |(dir, _)| dir);
        return format!("{dir}/{location}");
    }
    match std::path::Path::new(base).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            dir.join(location).to_string_lossy().into_owned()
        }
        _ => location.to_owned(),
    }
}

/// Reads every document reachable from `roots`.
pub(crate) fn read_all(
    roots: &[String],
    inline: &[(String, String)],
    fetch: &dyn Fetch,
) -> Result<(Definitions, Warnings), Error> {
    let mut reader = Reader::default();
    let mut queue: VecDeque<(String, Option<String>, Importance)> = roots
        .iter()
        .map(|root| (root.clone(), None, Importance::Root))
        .collect();
    for (name, text) in inline {
        reader.seen.insert(name.clone());
        reader.read_document(name, text, &mut queue)?;
    }
    while let Some((location, namespace, importance)) = queue.pop_front() {
        if !reader.seen.insert(location.clone()) {
            continue;
        }
        match fetch.fetch(&location) {
            Ok(text) => {
                if let Err(e) = reader.read_document(&location, &text, &mut queue) {
                    match importance {
                        Importance::Root => return Err(e),
                        Importance::Import => reader.warnings.push(format!(
                            "skipped the import of {} from {location}: {e}",
                            namespace.as_deref().unwrap_or("(no namespace)")
                        )),
                    }
                }
            }
            Err(why) => match importance {
                Importance::Root => {
                    return Err(Error::Load {
                        location,
                        reason: why,
                    })
                }
                Importance::Import => reader.warnings.push(format!(
                    "could not load the import of {} from {location}: {why}",
                    namespace.as_deref().unwrap_or("(no namespace)")
                )),
            },
        }
    }
    reader.resolve_policies();
    Ok((reader.definitions, reader.warnings))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Importance {
    Root,
    Import,
}

#[derive(Default)]
struct Reader {
    definitions: Definitions,
    warnings: Warnings,
    seen: HashSet<String>,
    /// Policies by `wsu:Id`.
    policies: BTreeMap<String, PolicyFacts>,
    /// Each binding's policy references (`#id`), resolved once everything is read.
    policy_refs: Vec<(QName, Vec<String>)>,
}

type Queue = VecDeque<(String, Option<String>, Importance)>;

fn position(location: &Arc<str>, document: &Document<'_>, node: Node<'_, '_>) -> Position {
    let pos = document.text_pos_at(node.range().start);
    Position {
        document: location.clone(),
        line: pos.row,
        column: pos.col,
    }
}

fn is(node: Node<'_, '_>, namespace: &str, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && node.tag_name().namespace() == Some(namespace)
}

fn children<'a, 'input>(
    node: Node<'a, 'input>,
    namespace: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children()
        .filter(move |child| is(*child, namespace, name))
}

/// A QName-valued attribute, resolved against the namespaces in scope.
fn qname_attr(node: Node<'_, '_>, attribute: &str) -> Option<QName> {
    let value = node.attribute(attribute)?.trim();
    Some(resolve_qname(node, value))
}

fn resolve_qname(node: Node<'_, '_>, value: &str) -> QName {
    match value.split_once(':') {
        Some((prefix, local)) => QName::new(
            node.lookup_namespace_uri(Some(prefix)).unwrap_or_default(),
            local,
        ),
        None => QName::new(node.lookup_namespace_uri(None).unwrap_or_default(), value),
    }
}

/// An attribute in `namespace`.
fn ns_attr<'a>(node: Node<'a, '_>, namespace: &str, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == name && a.namespace() == Some(namespace))
        .map(|a| a.value())
}

fn flag(node: Node<'_, '_>, namespace: &str, name: &str) -> Option<bool> {
    ns_attr(node, namespace, name).map(|v| v.trim() == "true" || v.trim() == "1")
}

/// The text of a `wsdl:documentation` child.
fn wsdl_documentation(node: Node<'_, '_>) -> Option<String> {
    children(node, WSDL, "documentation")
        .next()
        .map(text_of)
        .filter(|t| !t.is_empty())
}

/// The text of `xs:annotation/xs:documentation`.
fn xsd_documentation(node: Node<'_, '_>) -> Option<String> {
    children(node, XSD, "annotation")
        .flat_map(|a| children(a, XSD, "documentation"))
        .next()
        .map(text_of)
        .filter(|t| !t.is_empty())
}

fn text_of(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<String>()
        .trim()
        .to_owned()
}

impl Reader {
    fn read_document(
        &mut self,
        location: &str,
        text: &str,
        queue: &mut Queue,
    ) -> Result<(), Error> {
        let document = Document::parse(text).map_err(|e| Error::Xml {
            document: location.to_owned(),
            message: e.to_string(),
        })?;
        let root = document.root_element();
        let name: Arc<str> = location.into();
        if is(root, WSDL, "definitions") {
            self.read_definitions(&name, &document, root, queue);
            Ok(())
        } else if is(root, XSD, "schema") {
            self.read_schema(&name, &document, root, queue);
            Ok(())
        } else {
            Err(Error::Xml {
                document: location.to_owned(),
                message: format!(
                    "the root element is <{}>, neither wsdl:definitions nor xs:schema",
                    root.tag_name().name()
                ),
            })
        }
    }

    fn read_definitions(
        &mut self,
        location: &Arc<str>,
        document: &Document<'_>,
        root: Node<'_, '_>,
        queue: &mut Queue,
    ) {
        let target = root
            .attribute("targetNamespace")
            .unwrap_or_default()
            .to_owned();
        for child in root.children().filter(Node::is_element) {
            let pos = position(location, document, child);
            match (child.tag_name().namespace(), child.tag_name().name()) {
                (Some(WSDL), "import") => {
                    // An empty location: the document came inline (WS-MetadataExchange).
                    if let Some(at) = child.attribute("location").filter(|at| !at.is_empty()) {
                        queue.push_back((
                            resolve(location, at),
                            child.attribute("namespace").map(str::to_owned),
                            Importance::Import,
                        ));
                    }
                }
                (Some(WSDL), "types") => {
                    for schema in children(child, XSD, "schema") {
                        self.read_schema(location, document, schema, queue);
                    }
                }
                (Some(WSDL), "message") => {
                    let Some(name) = child.attribute("name") else {
                        continue;
                    };
                    let parts = children(child, WSDL, "part")
                        .map(|part| Part {
                            name: part.attribute("name").unwrap_or_default().to_owned(),
                            element: qname_attr(part, "element"),
                        })
                        .collect();
                    self.definitions.messages.insert(
                        QName::new(&target, name),
                        Message {
                            parts,
                            position: pos,
                        },
                    );
                }
                (Some(WSDL), "portType") => {
                    let Some(name) = child.attribute("name") else {
                        continue;
                    };
                    let operations = children(child, WSDL, "operation")
                        .map(|op| self.read_operation(location, document, op))
                        .collect();
                    self.definitions.port_types.push(PortType {
                        name: QName::new(&target, name),
                        documentation: wsdl_documentation(child),
                        using_session: flag(child, MSC, "usingSession"),
                        operations,
                    });
                }
                (Some(WSDL), "binding") => {
                    if let Some(binding) = self.read_binding(location, document, child, &target) {
                        self.definitions.bindings.push(binding);
                    }
                }
                (Some(WSDL), "service") => {
                    let Some(name) = child.attribute("name") else {
                        continue;
                    };
                    let ports = children(child, WSDL, "port")
                        .filter_map(|port| {
                            let address = port
                                .children()
                                .find(|c| {
                                    c.is_element()
                                        && c.tag_name().name() == "address"
                                        && matches!(c.tag_name().namespace(), Some(SOAP11 | SOAP12))
                                })
                                .and_then(|a| a.attribute("location"))
                                .map(str::to_owned);
                            Some(Port {
                                name: port.attribute("name")?.to_owned(),
                                binding: qname_attr(port, "binding")?,
                                address,
                            })
                        })
                        .collect();
                    self.definitions.services.push(Service {
                        name: QName::new(&target, name),
                        ports,
                    });
                }
                (Some(WSP | WSP15), "Policy") => self.read_policy(child),
                _ => {}
            }
        }
    }

    fn read_operation(
        &mut self,
        location: &Arc<str>,
        document: &Document<'_>,
        op: Node<'_, '_>,
    ) -> Operation {
        let message_ref = |node: Node<'_, '_>| {
            Some(MessageRef {
                name: node.attribute("name").map(str::to_owned),
                message: qname_attr(node, "message")?,
                action: ns_attr(node, WSAW, "Action")
                    .or_else(|| ns_attr(node, WSAM, "Action"))
                    .map(str::to_owned),
            })
        };
        let first = op
            .children()
            .find(|c| is(*c, WSDL, "input") || is(*c, WSDL, "output"));
        Operation {
            name: op.attribute("name").unwrap_or_default().to_owned(),
            documentation: wsdl_documentation(op),
            input: children(op, WSDL, "input").next().and_then(message_ref),
            output: children(op, WSDL, "output").next().and_then(message_ref),
            faults: children(op, WSDL, "fault")
                .filter_map(message_ref)
                .collect(),
            is_initiating: flag(op, MSC, "isInitiating"),
            is_terminating: flag(op, MSC, "isTerminating"),
            output_first: first.is_some_and(|f| is(f, WSDL, "output")),
            position: position(location, document, op),
        }
    }

    fn read_binding(
        &mut self,
        location: &Arc<str>,
        document: &Document<'_>,
        node: Node<'_, '_>,
        target: &str,
    ) -> Option<Binding> {
        let name = QName::new(target, node.attribute("name")?);
        let mut binding = Binding {
            name: name.clone(),
            port_type: qname_attr(node, "type")?,
            soap: None,
            transport: None,
            style: None,
            operations: Vec::new(),
            policy: PolicyFacts::default(),
            position: position(location, document, node),
        };
        let mut refs = Vec::new();
        for child in node.children().filter(Node::is_element) {
            match (child.tag_name().namespace(), child.tag_name().name()) {
                (Some(ns @ (SOAP11 | SOAP12)), "binding") => {
                    binding.soap = Some(if ns == SOAP11 { Soap::V11 } else { Soap::V12 });
                    binding.transport = child.attribute("transport").map(str::to_owned);
                    binding.style = child.attribute("style").map(str::to_owned);
                }
                (Some(WSP | WSP15), "PolicyReference") => {
                    if let Some(uri) = child.attribute("URI") {
                        refs.push(uri.trim_start_matches('#').to_owned());
                    }
                }
                (Some(WSP | WSP15), "Policy") => {
                    binding.policy = merge(binding.policy, policy_facts(child));
                }
                (Some(WSDL), "operation") => {
                    let soap_operation = child.children().find(|c| {
                        c.is_element()
                            && c.tag_name().name() == "operation"
                            && matches!(c.tag_name().namespace(), Some(SOAP11 | SOAP12))
                    });
                    let input_use = children(child, WSDL, "input")
                        .next()
                        .and_then(|input| {
                            input
                                .children()
                                .find(|c| c.is_element() && c.tag_name().name() == "body")
                        })
                        .and_then(|body| body.attribute("use"))
                        .map(str::to_owned);
                    binding.operations.push(BindingOperation {
                        name: child.attribute("name").unwrap_or_default().to_owned(),
                        soap_action: soap_operation
                            .and_then(|o| o.attribute("soapAction"))
                            .map(str::to_owned),
                        style: soap_operation
                            .and_then(|o| o.attribute("style"))
                            .map(str::to_owned),
                        input_use,
                        position: position(location, document, child),
                    });
                }
                _ => {}
            }
        }
        self.policy_refs.push((name, refs));
        Some(binding)
    }

    fn read_policy(&mut self, node: Node<'_, '_>) {
        let id = ns_attr(node, WSU, "Id").or_else(|| node.attribute("Id"));
        if let Some(id) = id {
            self.policies.insert(id.to_owned(), policy_facts(node));
        }
    }

    fn resolve_policies(&mut self) {
        for (name, refs) in std::mem::take(&mut self.policy_refs) {
            let Some(binding) = self
                .definitions
                .bindings
                .iter_mut()
                .find(|b| b.name == name)
            else {
                continue;
            };
            for id in refs {
                match self.policies.get(&id) {
                    Some(facts) => binding.policy = merge(binding.policy.clone(), facts.clone()),
                    None => self.warnings.push(format!(
                        "binding {} refers to policy #{id}, which no document defines",
                        name.name
                    )),
                }
            }
        }
    }

    fn read_schema(
        &mut self,
        location: &Arc<str>,
        document: &Document<'_>,
        schema: Node<'_, '_>,
        queue: &mut Queue,
    ) {
        let target = schema
            .attribute("targetNamespace")
            .unwrap_or_default()
            .to_owned();
        let qualified = schema.attribute("elementFormDefault") == Some("qualified");
        let context = SchemaContext {
            location,
            document,
            target: &target,
            qualified,
        };
        for child in schema.children().filter(Node::is_element) {
            if child.tag_name().namespace() != Some(XSD) {
                continue;
            }
            match child.tag_name().name() {
                "import" | "include" => {
                    if let Some(at) = child
                        .attribute("schemaLocation")
                        .filter(|at| !at.is_empty())
                    {
                        let namespace = child
                            .attribute("namespace")
                            .map(str::to_owned)
                            .or_else(|| Some(target.clone()));
                        // XML Schema's own namespace needs no document (Mono imports it from
                        // a page that is HTML).
                        if namespace.as_deref() == Some(XSD) {
                            self.warnings.push(format!(
                                "{location}: skipped the import of XML Schema's own namespace \
                                 from {at} (its types are built in; Mono points this import \
                                 at an HTML page)"
                            ));
                            continue;
                        }
                        queue.push_back((resolve(location, at), namespace, Importance::Import));
                    }
                }
                "element" => {
                    let element = context.element(child, true);
                    self.definitions
                        .elements
                        .insert(element.name.clone(), element);
                }
                "complexType" => {
                    if let Some(name) = child.attribute("name") {
                        let name = QName::new(&target, name);
                        let def = TypeDef::Complex(context.complex(child));
                        self.add_type(name, def);
                    }
                }
                "simpleType" => {
                    if let Some(name) = child.attribute("name") {
                        let name = QName::new(&target, name);
                        let def = TypeDef::Simple(context.simple(child));
                        self.add_type(name, def);
                    }
                }
                _ => {}
            }
        }
    }

    fn add_type(&mut self, name: QName, def: TypeDef) {
        if self.definitions.types.insert(name.clone(), def).is_none() {
            self.definitions.type_order.push(name);
        }
    }
}

fn merge(a: PolicyFacts, b: PolicyFacts) -> PolicyFacts {
    PolicyFacts {
        binary_encoding: a.binary_encoding || b.binary_encoding,
        addressing: a.addressing || b.addressing,
        reliable: b.reliable.or(a.reliable),
        https: a.https || b.https,
        windows: a.windows || b.windows,
        tls: a.tls || b.tls,
    }
}

/// What a policy asserts, by the assertions' local names (their first alternative and any
/// other alike: WCF writes one).
fn policy_facts(policy: Node<'_, '_>) -> PolicyFacts {
    let mut facts = PolicyFacts::default();
    let millis = |node: Node<'_, '_>| {
        node.attribute("Milliseconds")
            .and_then(|v| v.trim().parse().ok())
    };
    for node in policy.descendants().filter(Node::is_element) {
        let ns = node.tag_name().namespace().unwrap_or_default();
        match node.tag_name().name() {
            "BinaryEncoding" => facts.binary_encoding = true,
            "UsingAddressing" | "Addressing" => facts.addressing = true,
            "RMAssertion" => {
                let reliable = facts.reliable.get_or_insert_with(ReliableFacts::default);
                if ns.contains("ws-rx/wsrmp/200702") && !ns.contains("microsoft") {
                    reliable.version11 = true;
                }
                if ns == "http://schemas.xmlsoap.org/ws/2005/02/rm/policy" {
                    reliable.ordered = true;
                }
            }
            "InOrder" => {
                facts
                    .reliable
                    .get_or_insert_with(ReliableFacts::default)
                    .ordered = true;
            }
            "InactivityTimeout" => {
                facts
                    .reliable
                    .get_or_insert_with(ReliableFacts::default)
                    .inactivity_timeout_ms = millis(node);
            }
            "AcknowledgementInterval" => {
                facts
                    .reliable
                    .get_or_insert_with(ReliableFacts::default)
                    .acknowledgement_interval_ms = millis(node);
            }
            "HttpsToken" => facts.https = true,
            "WindowsTransportSecurity" => facts.windows = true,
            "SslTransportSecurity" => facts.tls = true,
            _ => {}
        }
    }
    facts
}

/// The schema an element or type is read in.
struct SchemaContext<'a, 'd, 'input> {
    location: &'a Arc<str>,
    document: &'d Document<'input>,
    target: &'a str,
    qualified: bool,
}

impl SchemaContext<'_, '_, '_> {
    fn position(&self, node: Node<'_, '_>) -> Position {
        position(self.location, self.document, node)
    }

    fn element(&self, node: Node<'_, '_>, global: bool) -> ElementDecl {
        let namespace = if global || self.qualified || node.attribute("form") == Some("qualified") {
            self.target
        } else {
            ""
        };
        let max = node.attribute("maxOccurs").unwrap_or("1");
        let anonymous = node
            .children()
            .find(|c| is(*c, XSD, "complexType"))
            .map(|c| Box::new(TypeDef::Complex(self.complex(c))))
            .or_else(|| {
                node.children()
                    .find(|c| is(*c, XSD, "simpleType"))
                    .map(|c| Box::new(TypeDef::Simple(self.simple(c))))
            });
        ElementDecl {
            name: QName::new(namespace, node.attribute("name").unwrap_or_default()),
            type_name: qname_attr(node, "type"),
            anonymous,
            min_occurs: node
                .attribute("minOccurs")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1),
            repeated: max == "unbounded" || max.parse::<u64>().is_ok_and(|m| m > 1),
            nillable: matches!(node.attribute("nillable"), Some("true" | "1")),
            reference: qname_attr(node, "ref"),
            documentation: xsd_documentation(node),
            position: self.position(node),
        }
    }

    fn complex(&self, node: Node<'_, '_>) -> ComplexType {
        let mut complex = ComplexType {
            base: None,
            elements: Vec::new(),
            is_dictionary: false,
            is_abstract: matches!(node.attribute("abstract"), Some("true" | "1")),
            unsupported: None,
            documentation: xsd_documentation(node),
            position: self.position(node),
        };
        if node.descendants().any(|d| {
            d.is_element() && d.tag_name().name() == "IsDictionary" && text_of(d) == "true"
        }) {
            complex.is_dictionary = true;
        }
        self.content(node, &mut complex);
        complex
    }

    fn content(&self, node: Node<'_, '_>, complex: &mut ComplexType) {
        for child in node.children().filter(Node::is_element) {
            if child.tag_name().namespace() != Some(XSD) {
                continue;
            }
            match child.tag_name().name() {
                "annotation" => {}
                "sequence" => {
                    for item in child.children().filter(Node::is_element) {
                        if is(item, XSD, "element") {
                            complex.elements.push(self.element(item, false));
                        } else if !is(item, XSD, "annotation") {
                            complex.unsupported.get_or_insert_with(|| {
                                format!("xs:{} in a sequence", item.tag_name().name())
                            });
                        }
                    }
                }
                "complexContent" => {
                    for derivation in child.children().filter(Node::is_element) {
                        match derivation.tag_name().name() {
                            "extension" => {
                                complex.base = qname_attr(derivation, "base");
                                self.content(derivation, complex);
                            }
                            "restriction"
                                if qname_attr(derivation, "base")
                                    == Some(QName::new(XSD, "anyType")) =>
                            {
                                self.content(derivation, complex);
                            }
                            "annotation" => {}
                            other => {
                                complex
                                    .unsupported
                                    .get_or_insert_with(|| format!("xs:complexContent/xs:{other}"));
                            }
                        }
                    }
                }
                // WCF's IsReference types carry the serialization namespace's Id and Ref.
                "attribute"
                    if qname_attr(child, "ref").is_some_and(|r| r.namespace == SERIALIZATION) => {}
                other => {
                    complex
                        .unsupported
                        .get_or_insert_with(|| format!("xs:{other}"));
                }
            }
        }
    }

    fn simple(&self, node: Node<'_, '_>) -> SimpleType {
        let mut simple = SimpleType {
            base: None,
            enumeration: Vec::new(),
            list: false,
            documentation: xsd_documentation(node),
            position: self.position(node),
        };
        self.simple_content(node, &mut simple);
        simple
    }

    fn simple_content(&self, node: Node<'_, '_>, simple: &mut SimpleType) {
        for child in node.children().filter(Node::is_element) {
            match child.tag_name().name() {
                "restriction" => {
                    simple.base = qname_attr(child, "base");
                    for value in children(child, XSD, "enumeration") {
                        let number = value
                            .descendants()
                            .find(|d| d.is_element() && d.tag_name().name() == "EnumerationValue")
                            .and_then(|d| text_of(d).parse().ok());
                        simple.enumeration.push((
                            value.attribute("value").unwrap_or_default().to_owned(),
                            number,
                        ));
                    }
                    if let Some(inner) = children(child, XSD, "simpleType").next() {
                        self.simple_content(inner, simple);
                    }
                }
                "list" => {
                    simple.list = true;
                    if let Some(item) = qname_attr(child, "itemType") {
                        simple.base = Some(item);
                    }
                    if let Some(inner) = children(child, XSD, "simpleType").next() {
                        self.simple_content(inner, simple);
                    }
                }
                _ => {}
            }
        }
    }
}
