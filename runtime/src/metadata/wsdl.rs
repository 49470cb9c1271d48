//! A hosted service as WSDL 1.1, in the shape WCF's `WsdlExporter` gives it: document/literal
//! wrapped messages, `wsaw:Action` on every message, a `wsdl:fault` per declared detail, the
//! session flags (`msc:usingSession`, `msc:isInitiating`, `msc:isTerminating`), one SOAP
//! binding per endpoint with its WS-Policy, and one `wsdl:service` with a port per endpoint.
//!
//! The documents are numbered as WCF numbers them: `?wsdl` is the service's namespace (its
//! bindings and service), `?wsdl=wsdl0` the contract's namespace when it differs (messages
//! and port type), and `?xsd=xsdN` one schema per namespace, the contract's first and the
//! serialization namespace's second. `?singleWsdl` has everything in one document.

use super::document::Element;
use super::policy::{BindingDescription, WSAW, WSP, WSU};
use super::schema::{member, FaultDetail, SchemaSet, TypeUse, XmlName};
use super::xsd;
use crate::contract::{ContractDescription, SessionMode};
use crate::message::{ns, AddressingVersion};

const WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
const SOAP11_BINDING: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
const SOAP12_BINDING: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
const MSC: &str = "http://schemas.microsoft.com/ws/2005/12/wsdl/contract";

/// What one operation's messages carry, from the contract's generated code.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct OperationTypes {
    /// Each parameter's type, in order.
    pub parameters: Vec<TypeUse>,
    /// The result's type; `None` for `()` and one-way operations.
    pub result: Option<TypeUse>,
    /// The declared fault details.
    pub faults: Vec<FaultDetail>,
}

/// One endpoint as metadata shows it.
#[derive(Debug, Clone)]
pub(crate) struct EndpointMetadata {
    pub(crate) binding: BindingDescription,
    /// The address clients use.
    pub(crate) address: String,
}

/// Everything the documents are made of, gathered once when the host opens.
#[derive(Debug, Clone)]
pub(crate) struct ServiceModel {
    pub(crate) service_name: String,
    pub(crate) service_namespace: String,
    pub(crate) contract: &'static ContractDescription,
    pub(crate) schemas: SchemaSet,
    pub(crate) operations: Vec<OperationTypes>,
    /// A duplex contract's callback contract and its operations' types: WCF writes callbacks
    /// into the port type as operations the service starts (an output, then an input).
    pub(crate) callback: Option<(&'static ContractDescription, Vec<OperationTypes>)>,
    pub(crate) endpoints: Vec<EndpointMetadata>,
}

/// What a contract's generated code tells of its callbacks.
pub(crate) type CallbackTypes =
    fn(&mut SchemaSet) -> Option<(&'static ContractDescription, Vec<OperationTypes>)>;

impl ServiceModel {
    pub(crate) fn new(
        service_name: &str,
        service_namespace: &str,
        contract: &'static ContractDescription,
        message_types: fn(&mut SchemaSet) -> Vec<OperationTypes>,
        callback_types: CallbackTypes,
        endpoints: Vec<EndpointMetadata>,
    ) -> Self {
        let mut schemas = SchemaSet::new(contract.data_namespace);
        // The contract's namespace is xsd0 and the serialization namespace xsd1, as in WCF.
        schemas.touch(contract.namespace);
        schemas.touch(ns::DC_SERIALIZATION);
        let operations = message_types(&mut schemas);
        let callback = callback_types(&mut schemas);
        let callback_operations = callback.iter().flat_map(|(description, types)| {
            description
                .operations
                .iter()
                .zip(types)
                .map(move |(op, t)| (description.namespace, op, t))
        });
        let service_operations = contract
            .operations
            .iter()
            .zip(&operations)
            .map(|(op, t)| (contract.namespace, op, t));
        for (namespace, op, types) in service_operations.chain(callback_operations) {
            let parameters = op
                .parameters
                .iter()
                .zip(&types.parameters)
                .map(|(name, type_use)| member(name, type_use.clone(), false))
                .collect();
            schemas.wrapper(namespace, op.name, parameters);
            if !op.is_one_way {
                let result = types
                    .result
                    .iter()
                    .map(|type_use| member(&format!("{}Result", op.name), type_use.clone(), false))
                    .collect();
                schemas.wrapper(namespace, &format!("{}Response", op.name), result);
            }
        }
        let endpoints = endpoints
            .into_iter()
            // In-process endpoints have no address another process could use.
            .filter(|endpoint| {
                endpoint.binding.scheme != "memory" && !endpoint.binding.scheme.is_empty()
            })
            .collect();
        ServiceModel {
            service_name: service_name.to_owned(),
            service_namespace: service_namespace.to_owned(),
            contract,
            schemas,
            operations,
            callback,
            endpoints,
        }
    }

    /// Whether the contract's messages and port type need a document of their own.
    pub(crate) fn has_contract_document(&self) -> bool {
        self.contract.namespace != self.service_namespace
    }

    /// Rust types the documents describe as `xs:anyType`.
    pub(crate) fn undescribed(&self) -> &[&'static str] {
        &self.schemas.undescribed
    }

    /// `?xsd=xsdN`'s schema.
    /// `base` is the address the documents are served at; `None` for documents sent inline
    /// (WS-MetadataExchange), which refer to each other by namespace alone.
    pub(crate) fn schema_document(&self, index: usize, base: Option<&str>) -> Option<Element> {
        let namespace = self.schemas.order.get(index)?;
        Some(xsd::schema_element(&self.schemas, namespace, &|import| {
            self.schema_location(base, import)
        }))
    }

    fn schema_location(&self, base: Option<&str>, namespace: &str) -> Option<String> {
        let index = self.schemas.order.iter().position(|n| n == namespace)?;
        Some(format!("{}?xsd=xsd{index}", base?))
    }

    /// `?wsdl`: the service's namespace. `base` is the address the documents are served at.
    pub(crate) fn main_document(&self, base: Option<&str>) -> Element {
        let target = self.service_namespace.clone();
        let mut definitions = definitions(&self.service_name, &target);
        if self.has_contract_document() {
            definitions = definitions.attr("xmlns:i0", self.contract.namespace);
        }
        let (items, foreign) = self.contract_items();
        if !self.has_contract_document() {
            definitions = declare(definitions, &foreign);
        }
        definitions = definitions.children(self.policies());
        if self.has_contract_document() {
            definitions.push(
                Element::new("wsdl:import")
                    .attr("namespace", self.contract.namespace)
                    .attr(
                        "location",
                        base.map(|base| format!("{base}?wsdl=wsdl0"))
                            .unwrap_or_default(),
                    ),
            );
            definitions.push(Element::new("wsdl:types"));
        } else {
            definitions.push(self.types_by_import(base));
            definitions = definitions.children(items);
        }
        definitions.children(self.bindings()).child(self.service())
    }

    /// `?wsdl=wsdl0`: the contract's namespace, when it is not the service's.
    pub(crate) fn contract_document(&self, base: Option<&str>) -> Option<Element> {
        if !self.has_contract_document() {
            return None;
        }
        let (items, foreign) = self.contract_items();
        Some(
            declare(definitions_root(self.contract.namespace), &foreign)
                .child(self.types_by_import(base))
                .children(items),
        )
    }

    /// `?singleWsdl`: every schema inline, and everything in one namespace (the contract's).
    pub(crate) fn single_document(&self) -> Element {
        let types = Element::new("wsdl:types").children(
            self.schemas
                .order
                .iter()
                .map(|namespace| xsd::schema_element(&self.schemas, namespace, &|_| None)),
        );
        let (items, foreign) = self.contract_items();
        declare(
            definitions(&self.service_name, self.contract.namespace),
            &foreign,
        )
        .children(self.policies())
        .child(types)
        .children(items)
        .children(self.bindings_in("tns"))
        .child(self.service_in("tns"))
    }

    /// The prefix of the contract's namespace in the main document.
    fn contract_prefix(&self) -> &'static str {
        if self.has_contract_document() {
            "i0"
        } else {
            "tns"
        }
    }

    /// `wsdl:types` importing every schema document (WCF's `{ns}/Imports` schema).
    fn types_by_import(&self, base: Option<&str>) -> Element {
        let imports = Element::new("xsd:schema")
            .attr(
                "targetNamespace",
                format!("{}/Imports", self.contract.namespace.trim_end_matches('/')),
            )
            .children(
                self.schemas
                    .order
                    .iter()
                    .enumerate()
                    .map(|(index, namespace)| {
                        Element::new("xsd:import")
                            .attr_opt(
                                "schemaLocation",
                                base.map(|base| format!("{base}?xsd=xsd{index}")),
                            )
                            .attr("namespace", namespace.clone())
                    }),
            );
        Element::new("wsdl:types").child(imports)
    }

    /// The messages and the port type, in the contract's namespace (prefix `tns`), and the
    /// prefixes (`q1`...) they use for other namespaces, to declare on the root.
    fn contract_items(&self) -> (Vec<Element>, Vec<(String, String)>) {
        let contract = self.contract;
        let mut messages = Vec::new();
        let mut operations = Vec::new();
        let mut prefixes = ElementPrefixes::new(contract.namespace);
        for (op, types) in contract.operations.iter().zip(&self.operations) {
            let input = format!("{}_{}_InputMessage", contract.name, op.name);
            messages.push(message(
                &input,
                "parameters",
                &prefixes.qualify(&XmlName::new(contract.namespace, op.name)),
            ));
            let mut operation = Element::new("wsdl:operation");
            // WCF states both flags on every operation of a sessionful contract.
            if contract.session_mode == SessionMode::Required {
                operation = operation
                    .attr("msc:isInitiating", op.is_initiating.to_string())
                    .attr("msc:isTerminating", op.is_terminating.to_string());
            }
            operation = operation.attr("name", op.name);
            operation.push(message_ref("wsdl:input", op.action, &input));
            if !op.is_one_way {
                let output = format!("{}_{}_OutputMessage", contract.name, op.name);
                let response = XmlName::new(contract.namespace, format!("{}Response", op.name));
                messages.push(message(&output, "parameters", &prefixes.qualify(&response)));
                operation.push(message_ref("wsdl:output", op.reply_action, &output));
                for fault in &types.faults {
                    let name = fault_name(fault);
                    let message_name =
                        format!("{}_{}_{}_FaultMessage", contract.name, op.name, name);
                    messages.push(message(
                        &message_name,
                        "detail",
                        &prefixes.qualify(&fault.element),
                    ));
                    operation.push(
                        Element::new("wsdl:fault")
                            .attr("wsaw:Action", fault_action(contract, op.name, fault))
                            .attr("name", name)
                            .attr("message", format!("tns:{message_name}")),
                    );
                }
            }
            operations.push(operation);
        }
        if let Some((callback, _)) = &self.callback {
            for op in callback.operations {
                let output = format!("{}_{}_OutputCallbackMessage", contract.name, op.name);
                let request = XmlName::new(callback.namespace, op.name);
                messages.push(message(&output, "parameters", &prefixes.qualify(&request)));
                let mut operation = Element::new("wsdl:operation");
                if contract.session_mode == SessionMode::Required {
                    operation = operation
                        .attr("msc:isInitiating", "true")
                        .attr("msc:isTerminating", "false");
                }
                operation = operation.attr("name", op.name).child(message_ref(
                    "wsdl:output",
                    op.action,
                    &output,
                ));
                if !op.is_one_way {
                    let input = format!("{}_{}_InputCallbackMessage", contract.name, op.name);
                    let reply = XmlName::new(callback.namespace, format!("{}Response", op.name));
                    messages.push(message(&input, "parameters", &prefixes.qualify(&reply)));
                    operation.push(message_ref("wsdl:input", op.reply_action, &input));
                }
                operations.push(operation);
            }
        }
        let port_type = Element::new("wsdl:portType")
            .attr_opt(
                "msc:usingSession",
                (contract.session_mode == SessionMode::Required).then_some("true"),
            )
            .attr("name", contract.name)
            .children(operations);
        messages.push(port_type);
        (messages, prefixes.declarations())
    }

    /// The binding name of each endpoint: `{Binding}_{Contract}`, numbered when repeated.
    fn binding_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for endpoint in &self.endpoints {
            let base = format!("{}_{}", endpoint.binding.name, self.contract.name);
            let mut name = base.clone();
            let mut n = 1;
            while names.contains(&name) {
                name = format!("{base}{n}");
                n += 1;
            }
            names.push(name);
        }
        names
    }

    fn policies(&self) -> Vec<Element> {
        self.endpoints
            .iter()
            .zip(self.binding_names())
            .filter(|(endpoint, _)| endpoint.binding.has_policy())
            .map(|(endpoint, name)| endpoint.binding.policy(&format!("{name}_policy")))
            .collect()
    }

    fn bindings(&self) -> Vec<Element> {
        self.bindings_in(self.contract_prefix())
    }

    fn bindings_in(&self, contract_prefix: &str) -> Vec<Element> {
        self.endpoints
            .iter()
            .zip(self.binding_names())
            .map(|(endpoint, name)| self.binding(endpoint, &name, contract_prefix))
            .collect()
    }

    fn binding(&self, endpoint: &EndpointMetadata, name: &str, contract_prefix: &str) -> Element {
        let soap = endpoint.binding.soap_prefix();
        let mut binding = Element::new("wsdl:binding")
            .attr("name", name)
            .attr("type", format!("{contract_prefix}:{}", self.contract.name));
        if endpoint.binding.has_policy() {
            binding
                .push(Element::new("wsp:PolicyReference").attr("URI", format!("#{name}_policy")));
        }
        binding.push(
            Element::new(format!("{soap}:binding"))
                .attr("transport", endpoint.binding.transport_uri()),
        );
        let body = || Element::new(format!("{soap}:body")).attr("use", "literal");
        for (op, types) in self.contract.operations.iter().zip(&self.operations) {
            let mut operation = Element::new("wsdl:operation")
                .attr("name", op.name)
                .child(
                    Element::new(format!("{soap}:operation"))
                        .attr("soapAction", op.action)
                        .attr("style", "document"),
                )
                .child(Element::new("wsdl:input").child(body()));
            if !op.is_one_way {
                operation.push(Element::new("wsdl:output").child(body()));
                for fault in &types.faults {
                    let fault_name = fault_name(fault);
                    operation.push(
                        Element::new("wsdl:fault")
                            .attr("name", fault_name.clone())
                            .child(
                                Element::new(format!("{soap}:fault"))
                                    .attr("use", "literal")
                                    .attr("name", fault_name)
                                    .attr("namespace", ""),
                            ),
                    );
                }
            }
            binding.push(operation);
        }
        if let Some((callback, _)) = &self.callback {
            for op in callback.operations {
                let mut operation = Element::new("wsdl:operation").attr("name", op.name).child(
                    Element::new(format!("{soap}:operation"))
                        .attr("soapAction", op.action)
                        .attr("style", "document"),
                );
                // A binding operation lists its input first (the WSDL 1.1 schema's order), even
                // where the port type starts with the output.
                if !op.is_one_way {
                    operation.push(Element::new("wsdl:input").child(body()));
                }
                operation.push(Element::new("wsdl:output").child(body()));
                binding.push(operation);
            }
        }
        binding
    }

    fn service(&self) -> Element {
        self.service_in("tns")
    }

    fn service_in(&self, prefix: &str) -> Element {
        let ports = self
            .endpoints
            .iter()
            .zip(self.binding_names())
            .map(|(endpoint, name)| {
                let soap = endpoint.binding.soap_prefix();
                let mut port = Element::new("wsdl:port")
                    .attr("name", name.clone())
                    .attr("binding", format!("{prefix}:{name}"))
                    .child(
                        Element::new(format!("{soap}:address"))
                            .attr("location", endpoint.address.clone()),
                    );
                if endpoint.binding.version.addressing == AddressingVersion::WsAddressing10 {
                    port.push(
                        Element::new("wsa10:EndpointReference")
                            .child(Element::new("wsa10:Address").text(endpoint.address.clone())),
                    );
                }
                port
            });
        Element::new("wsdl:service")
            .attr("name", self.service_name.clone())
            .children(ports)
    }
}

/// The root with every namespace WCF declares on it.
fn definitions_root(target: &str) -> Element {
    Element::new("wsdl:definitions")
        .attr("xmlns:wsdl", WSDL)
        .attr("xmlns:xsd", ns::XSD)
        .attr("xmlns:soap", SOAP11_BINDING)
        .attr("xmlns:soap12", SOAP12_BINDING)
        .attr("xmlns:wsaw", WSAW)
        .attr("xmlns:wsp", WSP)
        .attr("xmlns:wsu", WSU)
        .attr("xmlns:msc", MSC)
        .attr("xmlns:wsa10", ns::WSA10)
        .attr("xmlns:tns", target)
        .attr("targetNamespace", target)
}

fn definitions(name: &str, target: &str) -> Element {
    definitions_root(target).attr("name", name)
}

/// A port type operation's `wsdl:input` or `wsdl:output`: its action and message.
fn message_ref(kind: &str, action: &str, message: &str) -> Element {
    Element::new(kind)
        .attr("wsaw:Action", action)
        .attr("message", format!("tns:{message}"))
}

fn message(name: &str, part: &str, element: &str) -> Element {
    Element::new("wsdl:message").attr("name", name).child(
        Element::new("wsdl:part")
            .attr("name", part)
            .attr("element", element),
    )
}

/// WCF names a fault after its detail type: `{Type}Fault`.
fn fault_name(fault: &FaultDetail) -> String {
    format!("{}Fault", fault.type_name)
}

/// The action a declared fault travels under (`{ns}{Contract}/{Op}{Type}Fault`), as the
/// dispatcher sends it.
fn fault_action(contract: &ContractDescription, operation: &str, fault: &FaultDetail) -> String {
    crate::contract::default_action(
        contract.namespace,
        contract.name,
        &format!("{operation}{}Fault", fault.type_name),
    )
}

/// `root` with `xmlns:{prefix}` for each of `prefixes`.
fn declare(root: Element, prefixes: &[(String, String)]) -> Element {
    prefixes.iter().fold(root, |root, (prefix, namespace)| {
        root.attr(format!("xmlns:{prefix}"), namespace.clone())
    })
}

/// Prefixes for elements in namespaces other than the document's: each gets `q{n}`.
struct ElementPrefixes {
    target: String,
    others: Vec<String>,
}

impl ElementPrefixes {
    fn new(target: &str) -> Self {
        ElementPrefixes {
            target: target.to_owned(),
            others: Vec::new(),
        }
    }

    fn qualify(&mut self, name: &XmlName) -> String {
        if name.namespace == self.target {
            return format!("tns:{}", name.name);
        }
        let index = match self.others.iter().position(|n| *n == name.namespace) {
            Some(index) => index,
            None => {
                self.others.push(name.namespace.to_string());
                self.others.len() - 1
            }
        };
        format!("q{}:{}", index + 1, name.name)
    }

    fn declarations(&self) -> Vec<(String, String)> {
        self.others
            .iter()
            .enumerate()
            .map(|(index, namespace)| (format!("q{}", index + 1), namespace.clone()))
            .collect()
    }
}
