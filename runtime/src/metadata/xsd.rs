//! One namespace of a [`SchemaSet`] as an `xs:schema` element, in the form WCF's exporter
//! writes: qualified elements, `minOccurs="0"` members, `nillable` reference types, a global
//! element beside each named type, and the serialization namespace's fixed schema.

use super::document::Element;
use super::schema::{
    ElementDecl, GlobalElement, SchemaSet, TypeDef, XmlName, SERIALIZATION_ELEMENTS,
};
use crate::message::ns;
use std::collections::BTreeMap;

/// The prefixes of one schema document: `tns` for its own namespace, `xs`, `ser`, then `q1`,
/// `q2`... for every other namespace its types refer to.
struct Prefixes {
    target: String,
    others: BTreeMap<String, String>,
}

impl Prefixes {
    fn of(&self, name: &XmlName) -> String {
        let prefix = if name.namespace == self.target {
            "tns"
        } else if name.namespace == ns::XSD {
            "xs"
        } else {
            self.others
                .get(&*name.namespace)
                .map_or("xs", String::as_str)
        };
        format!("{prefix}:{}", name.name)
    }
}

/// The namespaces `namespace`'s schema refers to, other than its own and XML Schema's.
pub(crate) fn references(set: &SchemaSet, namespace: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut note = |name: &XmlName| {
        if name.namespace != namespace
            && name.namespace != ns::XSD
            && !found.iter().any(|n: &String| *n == name.namespace)
        {
            found.push(name.namespace.to_string());
        }
    };
    let Some(schema) = set.schemas.get(namespace) else {
        return found;
    };
    let mut decls: Vec<&ElementDecl> = Vec::new();
    for (_, def) in &schema.types {
        match def {
            TypeDef::Complex { base, elements } => {
                if let Some(base) = base {
                    note(base);
                }
                decls.extend(elements);
            }
            TypeDef::Dictionary { key, value, .. } => decls.extend([key, value]),
            TypeDef::Enumeration { .. } => {}
        }
    }
    for (_, element) in &schema.elements {
        match element {
            GlobalElement::Typed(type_use) => note(&type_use.type_name),
            GlobalElement::Wrapper(elements) => decls.extend(elements),
        }
    }
    for decl in decls {
        note(&decl.type_use.type_name);
    }
    found
}

/// `namespace`'s schema; `location` gives the `schemaLocation` of an imported namespace
/// (`None` inside a single WSDL, where every schema is inline).
pub(crate) fn schema_element(
    set: &SchemaSet,
    namespace: &str,
    location: &dyn Fn(&str) -> Option<String>,
) -> Element {
    if namespace == ns::DC_SERIALIZATION {
        return serialization_schema();
    }
    let imports = references(set, namespace);
    let prefixes = Prefixes {
        target: namespace.to_owned(),
        others: imports
            .iter()
            .enumerate()
            .map(|(index, ns)| (ns.clone(), format!("q{}", index + 1)))
            .collect(),
    };
    let mut schema = Element::new("xs:schema")
        .attr("xmlns:tns", namespace)
        .attr("elementFormDefault", "qualified")
        .attr("targetNamespace", namespace)
        .attr("xmlns:xs", ns::XSD);
    for import in &imports {
        schema = schema.attr(format!("xmlns:{}", prefixes.others[import]), import.clone());
    }
    for import in &imports {
        schema.push(
            Element::new("xs:import")
                .attr_opt("schemaLocation", location(import))
                .attr("namespace", import.clone()),
        );
    }
    let Some(content) = set.schemas.get(namespace) else {
        return schema;
    };
    // WCF writes each type's global element right after the type, and wrappers in order.
    let mut written_elements = Vec::new();
    for (name, element) in &content.elements {
        if let GlobalElement::Wrapper(decls) = element {
            schema.push(
                Element::new("xs:element")
                    .attr("name", name.clone())
                    .child(Element::new("xs:complexType").child(sequence(decls, &prefixes))),
            );
            written_elements.push(name.clone());
        }
    }
    for (name, def) in &content.types {
        schema.push(type_element(name, def, &prefixes));
        if let Some((_, GlobalElement::Typed(type_use))) =
            content.elements.iter().find(|(n, _)| n == name)
        {
            schema.push(typed_element(name, type_use, &prefixes));
            written_elements.push(name.clone());
        }
    }
    for (name, element) in &content.elements {
        if let GlobalElement::Typed(type_use) = element {
            if !written_elements.contains(name) {
                schema.push(typed_element(name, type_use, &prefixes));
            }
        }
    }
    schema
}

fn typed_element(name: &str, type_use: &super::schema::TypeUse, prefixes: &Prefixes) -> Element {
    Element::new("xs:element")
        .attr("name", name)
        .attr_opt("nillable", type_use.nillable.then_some("true"))
        .attr("type", prefixes.of(&type_use.type_name))
}

fn sequence(decls: &[ElementDecl], prefixes: &Prefixes) -> Element {
    Element::new("xs:sequence").children(decls.iter().map(|decl| member(decl, prefixes)))
}

fn member(decl: &ElementDecl, prefixes: &Prefixes) -> Element {
    Element::new("xs:element")
        .attr_opt("minOccurs", decl.optional.then_some("0"))
        .attr_opt("maxOccurs", decl.repeated.then_some("unbounded"))
        .attr("name", decl.name.clone())
        .attr_opt("nillable", decl.type_use.nillable.then_some("true"))
        .attr("type", prefixes.of(&decl.type_use.type_name))
}

/// `<xs:annotation><xs:appinfo><{name} xmlns="ser">{value}</{name}>…`: WCF's hints to its
/// importer.
fn appinfo(name: &str, value: &str) -> Element {
    Element::new("xs:annotation").child(
        Element::new("xs:appinfo").child(
            Element::new(name)
                .attr("xmlns", ns::DC_SERIALIZATION)
                .text(value),
        ),
    )
}

fn type_element(name: &str, def: &TypeDef, prefixes: &Prefixes) -> Element {
    match def {
        TypeDef::Complex {
            base: None,
            elements,
        } => Element::new("xs:complexType")
            .attr("name", name)
            .child(sequence(elements, prefixes)),
        TypeDef::Complex {
            base: Some(base),
            elements,
        } => Element::new("xs:complexType").attr("name", name).child(
            Element::new("xs:complexContent")
                .attr("mixed", "false")
                .child(
                    Element::new("xs:extension")
                        .attr("base", prefixes.of(base))
                        .child(sequence(elements, prefixes)),
                ),
        ),
        TypeDef::Dictionary { item, key, value } => Element::new("xs:complexType")
            .attr("name", name)
            .child(appinfo("IsDictionary", "true"))
            .child(
                Element::new("xs:sequence").child(
                    Element::new("xs:element")
                        .attr("minOccurs", "0")
                        .attr("maxOccurs", "unbounded")
                        .attr("name", item.clone())
                        .child(
                            Element::new("xs:complexType").child(
                                Element::new("xs:sequence")
                                    .child(member(key, prefixes))
                                    .child(member(value, prefixes)),
                            ),
                        ),
                ),
            ),
        TypeDef::Enumeration { members, flags } => {
            let restriction = Element::new("xs:restriction")
                .attr("base", "xs:string")
                .children(members.iter().enumerate().map(|(index, (member, value))| {
                    let enumeration = Element::new("xs:enumeration").attr("value", member.clone());
                    // WCF notes a value only where its importer could not infer it.
                    if *flags || i64::try_from(index).ok() != Some(*value) {
                        enumeration.child(appinfo("EnumerationValue", &value.to_string()))
                    } else {
                        enumeration
                    }
                }));
            let simple = Element::new("xs:simpleType").attr("name", name);
            if *flags {
                simple.child(
                    Element::new("xs:list").child(Element::new("xs:simpleType").child(restriction)),
                )
            } else {
                simple.child(restriction)
            }
        }
    }
}

/// The serialization namespace's schema, as WCF writes it.
fn serialization_schema() -> Element {
    let element = |name: &str, ty: String| {
        Element::new("xs:element")
            .attr("name", name)
            .attr("nillable", "true")
            .attr("type", ty)
    };
    let restriction = |name: &str, base: &str, facets: Vec<Element>| {
        Element::new("xs:simpleType").attr("name", name).child(
            Element::new("xs:restriction")
                .attr("base", base)
                .children(facets),
        )
    };
    let facet = |kind: &str, value: &str| Element::new(kind).attr("value", value);
    Element::new("xs:schema")
        .attr("xmlns:tns", ns::DC_SERIALIZATION)
        .attr("attributeFormDefault", "qualified")
        .attr("elementFormDefault", "qualified")
        .attr("targetNamespace", ns::DC_SERIALIZATION)
        .attr("xmlns:xs", ns::XSD)
        .children(
            SERIALIZATION_ELEMENTS
                .iter()
                .map(|(name, ty)| element(name, format!("xs:{ty}"))),
        )
        .child(element("char", "tns:char".into()))
        .child(restriction("char", "xs:int", Vec::new()))
        .child(element("duration", "tns:duration".into()))
        .child(restriction(
            "duration",
            "xs:duration",
            vec![
                facet(
                    "xs:pattern",
                    r"\-?P(\d*D)?(T(\d*H)?(\d*M)?(\d*(\.\d*)?S)?)?",
                ),
                facet("xs:minInclusive", "-P10675199DT2H48M5.4775808S"),
                facet("xs:maxInclusive", "P10675199DT2H48M5.4775807S"),
            ],
        ))
        .child(element("guid", "tns:guid".into()))
        .child(restriction(
            "guid",
            "xs:string",
            vec![facet(
                "xs:pattern",
                r"[\da-fA-F]{8}-[\da-fA-F]{4}-[\da-fA-F]{4}-[\da-fA-F]{4}-[\da-fA-F]{12}",
            )],
        ))
        .child(
            Element::new("xs:attribute")
                .attr("name", "FactoryType")
                .attr("type", "xs:QName"),
        )
        .child(
            Element::new("xs:attribute")
                .attr("name", "Id")
                .attr("type", "xs:ID"),
        )
        .child(
            Element::new("xs:attribute")
                .attr("name", "Ref")
                .attr("type", "xs:IDREF"),
        )
}
