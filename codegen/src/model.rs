//! What the generator reads out of WSDL 1.1 and XML Schema documents: only the constructs
//! that decide a contract's Rust form, each with the position it came from so an error can
//! point at it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// A qualified name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QName {
    pub namespace: String,
    pub name: String,
}

impl QName {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        QName {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}{}", self.namespace, self.name)
    }
}

/// Where a construct is: its document and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub document: Arc<str>,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.document, self.line, self.column)
    }
}

/// `wsdl:message`.
#[derive(Debug, Clone)]
pub struct Message {
    pub parts: Vec<Part>,
    pub position: Position,
}

/// `wsdl:part`.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub element: Option<QName>,
}

/// A port type's input, output or fault: its message and WS-Addressing action.
#[derive(Debug, Clone)]
pub struct MessageRef {
    pub name: Option<String>,
    pub message: QName,
    pub action: Option<String>,
}

/// `wsdl:portType/wsdl:operation`.
#[derive(Debug, Clone)]
pub struct Operation {
    pub name: String,
    pub documentation: Option<String>,
    pub input: Option<MessageRef>,
    pub output: Option<MessageRef>,
    pub faults: Vec<MessageRef>,
    /// `msc:isInitiating`, when the document states it.
    pub is_initiating: Option<bool>,
    /// `msc:isTerminating`, when the document states it.
    pub is_terminating: Option<bool>,
    /// Whether the output came before the input (a solicit-response or notification).
    pub output_first: bool,
    pub position: Position,
}

/// `wsdl:portType`.
#[derive(Debug, Clone)]
pub struct PortType {
    pub name: QName,
    pub documentation: Option<String>,
    /// `msc:usingSession`, when the document states it.
    pub using_session: Option<bool>,
    pub operations: Vec<Operation>,
}

/// The SOAP version of a binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Soap {
    V11,
    V12,
}

/// `wsdl:binding/wsdl:operation`: what the generator checks of it.
#[derive(Debug, Clone)]
pub struct BindingOperation {
    pub name: String,
    pub soap_action: Option<String>,
    pub style: Option<String>,
    /// `use` of the input body (`literal` or `encoded`).
    pub input_use: Option<String>,
    pub position: Position,
}

/// `wsdl:binding`.
#[derive(Debug, Clone)]
pub struct Binding {
    pub name: QName,
    pub port_type: QName,
    /// `None` for a binding that is not SOAP (HTTP GET/POST, MIME).
    pub soap: Option<Soap>,
    pub transport: Option<String>,
    pub style: Option<String>,
    pub operations: Vec<BindingOperation>,
    pub policy: PolicyFacts,
    pub position: Position,
}

/// What the policies a binding refers to (or carries) say, as far as a binding needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyFacts {
    pub binary_encoding: bool,
    pub addressing: bool,
    /// A reliable session: (WS-RM 1.1?, inactivity timeout ms, acknowledgement interval ms).
    pub reliable: Option<ReliableFacts>,
    pub https: bool,
    pub windows: bool,
    pub tls: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReliableFacts {
    pub version11: bool,
    pub inactivity_timeout_ms: Option<u64>,
    pub acknowledgement_interval_ms: Option<u64>,
    pub ordered: bool,
}

/// `wsdl:service/wsdl:port`.
#[derive(Debug, Clone)]
pub struct Port {
    pub name: String,
    pub binding: QName,
    pub address: Option<String>,
}

/// `wsdl:service`.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: QName,
    pub ports: Vec<Port>,
}

/// An element declaration, global or in a sequence.
#[derive(Debug, Clone)]
pub struct ElementDecl {
    pub name: QName,
    /// Its named type; `None` with an anonymous type (or none: `xs:anyType`).
    pub type_name: Option<QName>,
    pub anonymous: Option<Box<TypeDef>>,
    pub min_occurs: u64,
    /// `maxOccurs` above one (`unbounded` included).
    pub repeated: bool,
    pub nillable: bool,
    /// A `ref=` to a global element, resolved later.
    pub reference: Option<QName>,
    pub documentation: Option<String>,
    pub position: Position,
}

/// A type definition.
#[derive(Debug, Clone)]
pub enum TypeDef {
    Complex(ComplexType),
    Simple(SimpleType),
}

#[derive(Debug, Clone)]
pub struct ComplexType {
    /// `complexContent/extension@base`.
    pub base: Option<QName>,
    pub elements: Vec<ElementDecl>,
    /// `IsDictionary` in WCF's appinfo.
    pub is_dictionary: bool,
    pub is_abstract: bool,
    /// A construct the generator cannot map (`xs:choice`, attributes, `xs:any`...): its name.
    pub unsupported: Option<String>,
    pub documentation: Option<String>,
    pub position: Position,
}

#[derive(Debug, Clone)]
pub struct SimpleType {
    /// `restriction@base`, or the list's item's.
    pub base: Option<QName>,
    /// Enumeration values with WCF's `EnumerationValue`, when given.
    pub enumeration: Vec<(String, Option<i64>)>,
    /// `xs:list` (a `[Flags]` enum).
    pub list: bool,
    pub documentation: Option<String>,
    pub position: Position,
}

/// Everything read from the documents.
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    pub messages: BTreeMap<QName, Message>,
    pub port_types: Vec<PortType>,
    pub bindings: Vec<Binding>,
    pub services: Vec<Service>,
    pub elements: BTreeMap<QName, ElementDecl>,
    pub types: BTreeMap<QName, TypeDef>,
    /// Schema namespaces in the order they were read (the order types are generated in).
    pub type_order: Vec<QName>,
}
