use super::*;

/// A WCF-shaped single WSDL for contract `ICalc` in `urn:calc`, with `schema` as the
/// wrappers' and types' schema, `operations` the port type's operations, `binding_ops` the
/// binding's.
fn wsdl(schema: &str, port_type_attrs: &str, operations: &str, binding_ops: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions name="CalcService" targetNamespace="urn:calc"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl"
    xmlns:msc="http://schemas.microsoft.com/ws/2005/12/wsdl/contract"
    xmlns:tns="urn:calc">
  <wsdl:types>
    <xs:schema elementFormDefault="qualified" targetNamespace="urn:calc"
        xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:calc">
{schema}
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="ICalc_Add_InputMessage"><wsdl:part name="parameters" element="tns:Add"/></wsdl:message>
  <wsdl:message name="ICalc_Add_OutputMessage"><wsdl:part name="parameters" element="tns:AddResponse"/></wsdl:message>
  <wsdl:message name="ICalc_Clear_InputMessage"><wsdl:part name="parameters" element="tns:Clear"/></wsdl:message>
  <wsdl:portType name="ICalc" {port_type_attrs}>
{operations}
  </wsdl:portType>
  <wsdl:binding name="NetTcpBinding_ICalc" type="tns:ICalc">
    <soap12:binding transport="http://schemas.microsoft.com/soap/tcp"/>
{binding_ops}
  </wsdl:binding>
  <wsdl:service name="CalcService">
    <wsdl:port name="NetTcpBinding_ICalc" binding="tns:NetTcpBinding_ICalc">
      <soap12:address location="net.tcp://localhost:808/calc"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>"#
    )
}

const ADD_SCHEMA: &str = r#"
      <xs:element name="Add"><xs:complexType><xs:sequence>
        <xs:element minOccurs="0" name="a" type="xs:double"/>
        <xs:element minOccurs="0" name="b" type="xs:double"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="AddResponse"><xs:complexType><xs:sequence>
        <xs:element minOccurs="0" name="AddResult" type="xs:double"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="Clear"><xs:complexType><xs:sequence/></xs:complexType></xs:element>"#;

const OPERATIONS: &str = r#"
    <wsdl:operation name="Clear" msc:isInitiating="true" msc:isTerminating="false">
      <wsdl:documentation>Starts over.</wsdl:documentation>
      <wsdl:input wsaw:Action="urn:calc/ICalc/Clear" message="tns:ICalc_Clear_InputMessage"/>
    </wsdl:operation>
    <wsdl:operation name="Add" msc:isInitiating="false" msc:isTerminating="true">
      <wsdl:input wsaw:Action="urn:calc:add" message="tns:ICalc_Add_InputMessage"/>
      <wsdl:output wsaw:Action="urn:calc/ICalc/AddResponse" message="tns:ICalc_Add_OutputMessage"/>
    </wsdl:operation>"#;

fn generate(text: String) -> Result<Generated, Error> {
    Generator::new().document("calc.wsdl", text).generate()
}

#[test]
fn session_flags_one_way_actions_and_documentation_are_kept() {
    let generated = generate(wsdl(
        ADD_SCHEMA,
        r#"msc:usingSession="true""#,
        OPERATIONS,
        "",
    ))
    .unwrap();
    let code = &generated.code;
    assert!(
        code.contains(
            r#"#[::indigo::service_contract(namespace = "urn:calc", session = Required)]"#
        ),
        "{code}"
    );
    assert!(code.contains("/// Starts over."), "{code}");
    assert!(
        code.contains("#[operation(one_way)]\n    async fn clear(&self);"),
        "{code}"
    );
    // A non-default action is kept; the reply action is the action + Response: not the
    // default here, so it is kept too.
    assert!(code.contains(r#"action = "urn:calc:add""#), "{code}");
    assert!(
        code.contains(r#"reply_action = "urn:calc/ICalc/AddResponse""#),
        "{code}"
    );
    assert!(
        code.contains("initiating = false,\n        terminating,"),
        "{code}"
    );
    assert!(
        code.contains("async fn add(&self, a: f64, b: f64) -> f64;"),
        "{code}"
    );
    assert!(
        code.contains("pub fn net_tcp_binding_i_calc() -> ::indigo::NetTcpBinding"),
        "{code}"
    );
    assert!(generated.warnings.is_empty(), "{:?}", generated.warnings);
}

#[test]
fn missing_session_flags_are_a_note_saying_the_default() {
    let operations = OPERATIONS
        .replace(r#" msc:isInitiating="true" msc:isTerminating="false""#, "")
        .replace(r#" msc:isInitiating="false" msc:isTerminating="true""#, "");
    let generated = generate(wsdl(ADD_SCHEMA, "", &operations, "")).unwrap();
    assert!(generated.warnings.is_empty(), "{:?}", generated.warnings);
    assert_eq!(generated.notes.len(), 1, "{:?}", generated.notes);
    assert!(generated.notes[0].contains("session = Allowed"));
    assert!(generated
        .code
        .contains("// Note: port type ICalc states no session flags"));
    assert!(!generated.code.contains("initiating = false"));
}

fn unsupported(text: String) -> String {
    match generate(text) {
        Err(e @ Error::Unsupported { .. }) => e.to_string(),
        other => panic!("expected an unsupported construct, got {other:?}"),
    }
}

#[test]
fn rpc_style_is_an_error_with_its_position() {
    let binding = r#"
    <wsdl:operation name="Add">
      <soap12:operation soapAction="urn:calc:add" style="rpc"/>
      <wsdl:input><soap12:body use="literal"/></wsdl:input>
    </wsdl:operation>"#;
    let e = unsupported(wsdl(ADD_SCHEMA, "", OPERATIONS, binding));
    assert!(e.starts_with("calc.wsdl:"), "{e}");
    assert!(e.contains("RPC style (operation Add)"), "{e}");
}

#[test]
fn encoded_use_is_an_error() {
    let binding = r#"
    <wsdl:operation name="Add">
      <soap12:operation soapAction="urn:calc:add"/>
      <wsdl:input><soap12:body use="encoded"/></wsdl:input>
    </wsdl:operation>"#;
    let e = unsupported(wsdl(ADD_SCHEMA, "", OPERATIONS, binding));
    assert!(e.contains("use=\"encoded\""), "{e}");
}

#[test]
fn out_parameters_are_an_error() {
    let schema = ADD_SCHEMA.replace(
        r#"<xs:element minOccurs="0" name="AddResult" type="xs:double"/>"#,
        r#"<xs:element minOccurs="0" name="AddResult" type="xs:double"/><xs:element minOccurs="0" name="carry" type="xs:int"/>"#,
    );
    let e = unsupported(wsdl(&schema, "", OPERATIONS, ""));
    assert!(e.contains("the reply elements AddResult, carry"), "{e}");
    assert!(e.contains("out and ref parameters"), "{e}");
}

#[test]
fn a_choice_in_a_type_is_an_error_naming_the_type() {
    let schema = ADD_SCHEMA.replace(
        r#"name="a" type="xs:double""#,
        r#"name="a" type="tns:Either""#,
    ) + r#"
      <xs:complexType name="Either"><xs:choice>
        <xs:element name="left" type="xs:int"/><xs:element name="right" type="xs:string"/>
      </xs:choice></xs:complexType>"#;
    let e = unsupported(wsdl(&schema, "", OPERATIONS, ""));
    assert!(e.contains("xs:choice in the type Either"), "{e}");
    // The position is the type's line in the document.
    let line: u32 = e.split(':').nth(1).and_then(|l| l.parse().ok()).unwrap();
    assert!(line > 10, "{e}");
}

#[test]
fn an_undefined_type_is_an_error() {
    let schema = ADD_SCHEMA.replace(
        r#"name="a" type="xs:double""#,
        r#"name="a" type="tns:Nowhere""#,
    );
    match generate(wsdl(&schema, "", OPERATIONS, "")) {
        Err(Error::Missing { what, .. }) => assert!(what.contains("{urn:calc}Nowhere"), "{what}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_document_that_is_no_wsdl_is_an_error() {
    match Generator::new()
        .document("page.html", "<html><body/></html>")
        .generate()
    {
        Err(Error::Xml { message, .. }) => assert!(message.contains("<html>"), "{message}"),
        other => panic!("{other:?}"),
    }
}

/// Damaged documents (cut short, a character changed, an attribute dropped) give an error or
/// code, never a panic: the generator reads documents from servers it does not control.
#[test]
fn damaged_documents_never_panic() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/interop/metadata/fixtures/orders");
    let mut documents = Vec::new();
    for entry in std::fs::read_dir(&fixtures).expect("the Orders fixtures") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        documents.push((name, std::fs::read_to_string(&path).expect("a fixture")));
    }
    documents.sort();
    // A small deterministic generator (xorshift): the same damage on every run.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % u64::try_from(bound.max(1)).unwrap_or(1)).unwrap_or(0)
    };
    let mut outcomes = (0, 0);
    for round in 0..300 {
        let victim = next(documents.len());
        let mut damaged = documents.clone();
        let text = &mut damaged[victim].1;
        let at = text.floor_char_boundary(next(text.len()));
        match round % 3 {
            0 => text.truncate(at),
            1 => {
                let end = text.ceil_char_boundary(at + 1).min(text.len());
                text.replace_range(at..end, ["<", "\"", "x", ":", ">"][next(5)]);
            }
            _ => {
                if let Some(offset) = text[at..].find("=\"") {
                    let start = text[..at + offset].rfind(' ').unwrap_or(at);
                    let end = text[at + offset + 2..]
                        .find('"')
                        .map_or(text.len(), |e| at + offset + 3 + e);
                    text.replace_range(start..end, "");
                }
            }
        }
        let mut generator = Generator::new();
        for (name, text) in damaged {
            let path = format!("{}/{name}", fixtures.display());
            generator = generator.document(path, text);
        }
        match generator.generate() {
            Ok(_) => outcomes.0 += 1,
            Err(_) => outcomes.1 += 1,
        }
    }
    assert!(outcomes.1 > 0, "some damage must be noticed: {outcomes:?}");
}

/// `byte[]` parameters (`xs:base64Binary`) are `Vec<u8>`, which Indigo's operations send as
/// base64, as WCF does.
#[test]
fn base64_parameters_are_byte_vectors() {
    let schema = ADD_SCHEMA.replace(
        r#"name="a" type="xs:double""#,
        r#"name="a" nillable="true" type="xs:base64Binary""#,
    );
    let generated = generate(wsdl(&schema, "", OPERATIONS, "")).unwrap();
    assert!(
        generated
            .code
            .contains("async fn add(&self, a: ::std::vec::Vec<u8>, b: f64) -> f64;"),
        "{}",
        generated.code
    );
}
