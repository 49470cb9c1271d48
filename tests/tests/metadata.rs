//! Published metadata (issue 13): the WSDL and schemas an Indigo host serves over HTTP GET are
//! valid WSDL 1.1 and XML Schema (checked with xmllint against the official WSDL 1.1 schema),
//! say what WCF says (actions, session flags, faults, policies, one port per endpoint), and
//! describe the messages that really go over the wire (captured requests, replies and fault
//! details validate against them; a broken copy does not).

use indigo::metadata::ServiceMetadata;
use indigo::{BasicHttpBinding, NetTcpBinding, ServiceHost, WsHttpBinding};
use indigo_tests::metadata::{
    body_content, calculator_over_net_tcp, http_get, validate_wsdl, xmllint_available,
    xmllint_validate, FetchedMetadata, Recorder,
};
use indigo_tests::orders::{sample_line, OrderService, OrdersClient, OrdersContract};
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("metadata-{name}-{}", std::process::id()))
}

async fn orders_host() -> ServiceHost {
    ServiceHost::builder(OrdersContract::per_call(|| OrderService))
        .endpoint(BasicHttpBinding::new(), "http://127.0.0.1:0/orders")
        .endpoint(WsHttpBinding::new(), "http://127.0.0.1:0/orders/ws")
        .endpoint(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/orders")
        .endpoint(
            NetTcpBinding::new().with_reliable_session(),
            "net.tcp://127.0.0.1:0/orders/rm",
        )
        .metadata(ServiceMetadata::new().with_service_name("OrderService"))
        .open()
        .await
        .expect("open")
}

#[tokio::test]
async fn the_wsdl_says_what_wcf_says_and_is_valid_wsdl() {
    let host = orders_host().await;
    let addresses = host.addresses();
    let base = addresses[0].clone();
    let fetched = FetchedMetadata::fetch(&base, &scratch("orders")).await;

    // The service's document: a binding and a port per endpoint, with WCF's names, each
    // endpoint's real address, and the policies its binding carries.
    let main = &fetched.main;
    assert!(main.contains(r#"name="OrderService""#), "{main}");
    for (binding, address) in [
        ("BasicHttpBinding_Orders", &addresses[0]),
        ("WSHttpBinding_Orders", &addresses[1]),
        ("NetTcpBinding_Orders", &addresses[2]),
        ("NetTcpBinding_Orders1", &addresses[3]),
    ] {
        assert!(
            main.contains(&format!(
                r#"<wsdl:binding name="{binding}" type="i0:Orders">"#
            )),
            "{binding}: {main}"
        );
        assert!(
            main.contains(&format!(
                r#"<wsdl:port name="{binding}" binding="tns:{binding}">"#
            )),
            "{main}"
        );
        assert!(
            main.contains(&format!(r#"location="{address}""#)),
            "{address}: {main}"
        );
    }
    assert!(main.contains(r#"<soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>"#));
    assert!(main.contains(r#"<soap12:binding transport="http://schemas.microsoft.com/soap/tcp"/>"#));
    assert!(
        main.contains("<msb:BinaryEncoding"),
        "net.tcp's binary encoding"
    );
    assert!(main.contains("<wsaw:UsingAddressing/>"));
    assert!(
        main.contains(r#"<wsrm:InactivityTimeout Milliseconds="600000"/>"#)
            && main.contains(r#"<wsrm:AcknowledgementInterval Milliseconds="200"/>"#),
        "the reliable session's policy: {main}"
    );
    assert!(main.contains(r##"<wsp:PolicyReference URI="#NetTcpBinding_Orders1_policy"/>"##));

    // The contract's document: wrapped messages, actions, and a fault per declared detail.
    let contract = fetched
        .contract
        .as_ref()
        .expect("the contract's own document");
    assert!(contract.contains(r#"targetNamespace="http://example.org/orders/""#));
    assert!(contract.contains(r#"<wsdl:part name="parameters" element="tns:Reprice"/>"#));
    assert!(contract.contains(
        r#"<wsdl:input wsaw:Action="http://example.org/orders/Orders/Reprice" message="tns:Orders_Reprice_InputMessage"/>"#
    ));
    assert!(contract.contains(
        r#"<wsdl:output wsaw:Action="http://example.org/orders/Orders/RepriceResponse" message="tns:Orders_Reprice_OutputMessage"/>"#
    ));
    for (operation, detail, element) in [
        ("Reserve", "OutOfStock", "OutOfStockFault"),
        ("Cancel", "OutOfStock", "OutOfStockFault"),
        ("Cancel", "StoreClosed", "StoreClosed"),
    ] {
        assert!(
            contract.contains(&format!(
                r#"<wsdl:fault wsaw:Action="http://example.org/orders/Orders/{operation}{detail}Fault" name="{detail}Fault" message="tns:Orders_{operation}_{detail}Fault_FaultMessage"/>"#
            )),
            "{operation}'s {detail} fault: {contract}"
        );
        assert!(
            contract.contains(&format!(r#"element="q1:{element}""#)),
            "{contract}"
        );
    }
    assert!(
        !contract.contains("msc:usingSession"),
        "Orders allows sessions, does not need one"
    );

    if xmllint_available() {
        validate_wsdl(&fetched.dir.join("main.wsdl"));
        validate_wsdl(&fetched.dir.join("wsdl0.wsdl"));
        let (status, single) = http_get(&format!("{base}?singleWsdl")).await;
        assert_eq!(status, 200);
        let single_file = fetched.dir.join("single.wsdl");
        std::fs::write(&single_file, &single).expect("write");
        validate_wsdl(&single_file);
        assert!(
            !single.contains("?xsd="),
            "a single WSDL refers to nothing outside it"
        );
    }
    host.close().await.expect("close");
}

#[tokio::test]
async fn session_flags_and_one_way_operations_are_described() {
    let host = calculator_over_net_tcp(
        ServiceMetadata::new().with_http_get_url("http://127.0.0.1:0/calculator/meta"),
    )
    .await;
    let base = host.metadata_address().expect("the metadata's own address");
    assert_eq!(
        host.addresses().len(),
        1,
        "the metadata address is no endpoint"
    );
    let fetched = FetchedMetadata::fetch(&base, &scratch("calculator")).await;
    // The contract is in tempuri.org like the service: one document.
    assert!(fetched.contract.is_none());
    let wsdl = &fetched.main;
    assert!(
        wsdl.contains(r#"<wsdl:portType msc:usingSession="true" name="ICalculatorSession">"#),
        "{wsdl}"
    );
    assert!(
        wsdl.contains(
            r#"<wsdl:operation msc:isInitiating="true" msc:isTerminating="false" name="Clear">"#
        ),
        "{wsdl}"
    );
    assert!(
        wsdl.contains(
            r#"<wsdl:operation msc:isInitiating="false" msc:isTerminating="true" name="Equals">"#
        ),
        "{wsdl}"
    );
    // A one-way operation has an input and no output.
    let add_to = wsdl
        .split(r#"name="AddTo">"#)
        .nth(1)
        .and_then(|rest| rest.split("</wsdl:operation>").next())
        .expect("AddTo in the port type");
    assert!(
        add_to.contains("<wsdl:input") && !add_to.contains("<wsdl:output"),
        "{add_to}"
    );
    assert!(
        !fetched.schemas[0].contains("AddToResponse"),
        "no reply element for a one-way operation"
    );
    assert!(fetched.schemas[0].contains(r#"<xs:element minOccurs="0" name="n" type="xs:double"/>"#));

    // Unknown documents are 404; a POST to the metadata address is answered with a fault.
    assert_eq!(http_get(&format!("{base}?xsd=xsd99")).await.0, 404);
    assert_eq!(http_get(&format!("{base}?wsdl=wsdl7")).await.0, 404);
    assert_eq!(http_get(&format!("{base}?nonsense")).await.0, 404);
    assert_eq!(
        http_get(&format!("{base}?WSDL")).await.0,
        200,
        "keys are case-insensitive"
    );
    if xmllint_available() {
        validate_wsdl(&fetched.dir.join("main.wsdl"));
    }
    host.close().await.expect("close");
}

#[tokio::test]
async fn no_metadata_unless_asked_for() {
    let host = ServiceHost::builder(OrdersContract::per_call(|| OrderService))
        .endpoint(BasicHttpBinding::new(), "http://127.0.0.1:0/quiet")
        .open()
        .await
        .expect("open");
    let (status, _) = http_get(&format!("{}?wsdl", host.addresses()[0])).await;
    assert_eq!(status, 405, "off by default, as WCF's HttpGetEnabled");
    host.close().await.expect("close");
}

/// The schemas describe what Indigo really sends: the request, the reply and a fault detail
/// of a call captured on the wire validate against the published XSDs.
#[tokio::test]
async fn captured_messages_validate_against_the_published_schemas() {
    if !xmllint_available() {
        return;
    }
    let host = orders_host().await;
    let base = host.addresses()[0].clone();
    let fetched = FetchedMetadata::fetch(&base, &scratch("wire")).await;
    let port: u16 = base
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the port");
    let recorder = Recorder::start(port).await;
    let client = OrdersClient::connect(
        &BasicHttpBinding::new(),
        &format!("http://127.0.0.1:{}/orders", recorder.port),
    )
    .await
    .expect("connect");
    // libxml2 reads xs:decimal with at most 24 digits (its limit, not XML Schema's): the
    // sample's extremes of .NET's decimal are left out here.
    let mut line = sample_line();
    line.limits = vec!["1.50".parse().expect("a decimal")];
    line.unit_price = "9.99".parse().expect("a decimal");
    client.reprice(line).await.expect("reprice");
    let mut closed = sample_line();
    closed.product_id = 0;
    assert!(
        client.cancel(closed).await.is_err(),
        "product 0: the store is closed"
    );
    let exchanges = recorder.exchanges();
    assert_eq!(exchanges.len(), 2);

    // What a WSDL reader loads: every schema (a derived type sent with xsi:type is in a
    // namespace the declared type's schema need not import).
    let all = fetched.dir.join("all.xsd");
    std::fs::write(&all, fetched.driver_schema()).expect("write");
    let xsd0 = all.clone();
    let stock = fetched
        .schemas
        .iter()
        .position(|schema| schema.contains(r#"targetNamespace="urn:example:stock""#))
        .expect("the fault details' schema");
    let stock = fetched.dir.join(format!("xsd{stock}.xsd"));
    let fault_detail = {
        let response = &exchanges[1].response;
        let start = response.find("<StoreClosed").expect("the detail");
        let end = response.find("</StoreClosed>").expect("its end") + "</StoreClosed>".len();
        response[start..end].to_owned()
    };
    for (name, xml, schema) in [
        ("request", body_content(&exchanges[0].request), &xsd0),
        ("reply", body_content(&exchanges[0].response), &xsd0),
        ("fault-detail", fault_detail, &stock),
    ] {
        let file = fetched.dir.join(format!("{name}.xml"));
        std::fs::write(&file, &xml).expect("write");
        if let Err(why) = xmllint_validate(schema, &file) {
            panic!("the captured {name} does not match the published schema:\n{why}\n{xml}");
        }
    }
    // The schemas are really applied: a product id that is no int is refused.
    let request = body_content(&exchanges[0].request);
    let broken = request.replacen("ProductId>7<", "ProductId>seven<", 1);
    assert_ne!(broken, request, "the sample's product id is 7");
    let file = fetched.dir.join("broken.xml");
    std::fs::write(&file, broken).expect("write");
    assert!(
        xmllint_validate(&xsd0, &file).is_err(),
        "xmllint accepted a non-integer ProductId"
    );
    host.close().await.expect("close");
}

/// WS-MetadataExchange over `mexTcpBinding` and `mexHttpBinding`: a WS-Transfer Get is
/// answered with every document inline, each a valid WSDL or schema; other actions get
/// WS-Addressing's ActionNotSupported fault.
#[tokio::test]
async fn mex_endpoints_answer_with_every_document() {
    use indigo::metadata::{get_metadata, MexBinding};
    let host = ServiceHost::builder(OrdersContract::per_call(|| OrderService))
        .endpoint(BasicHttpBinding::new(), "http://127.0.0.1:0/orders")
        .endpoint(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/orders")
        .metadata(
            ServiceMetadata::new()
                .with_mex_endpoint(MexBinding::Tcp, "net.tcp://127.0.0.1:0/orders/mex")
                .with_mex_endpoint(MexBinding::Http, "http://127.0.0.1:0/orders/mex"),
        )
        .open()
        .await
        .expect("open");
    let mex = host.mex_addresses();
    assert_eq!(mex.len(), 2);
    assert!(mex[0].starts_with("net.tcp://127.0.0.1:") && mex[1].starts_with("http://127.0.0.1:"));
    let over_tcp = get_metadata(&mex[0]).await.expect("MEX over net.tcp");
    let over_http = get_metadata(&mex[1]).await.expect("MEX over HTTP");
    assert_eq!(over_tcp, over_http, "the same documents over both bindings");
    let dialects: Vec<(&str, &str)> = over_tcp
        .iter()
        .map(|s| (s.dialect.as_str(), s.identifier.as_str()))
        .collect();
    assert_eq!(
        dialects[0],
        ("http://schemas.xmlsoap.org/wsdl/", "http://tempuri.org/")
    );
    assert_eq!(
        dialects[1],
        (
            "http://schemas.xmlsoap.org/wsdl/",
            "http://example.org/orders/"
        )
    );
    assert_eq!(
        dialects.len(),
        2 + 9,
        "the two WSDL documents and nine schemas"
    );
    assert!(dialects[2..]
        .iter()
        .all(|(dialect, _)| *dialect == "http://www.w3.org/2001/XMLSchema"));
    // Inline documents refer to each other by namespace, not location.
    assert!(
        over_tcp.iter().all(|s| !s.document.contains("?xsd=")),
        "no locations"
    );
    if xmllint_available() {
        let dir = scratch("mex");
        std::fs::create_dir_all(&dir).expect("a directory");
        for (index, section) in over_tcp.iter().take(2).enumerate() {
            let file = dir.join(format!("section{index}.wsdl"));
            std::fs::write(&file, &section.document).expect("write");
            validate_wsdl(&file);
        }
    }

    // A request for anything else is refused with WS-Addressing's fault.
    let mut peer = indigo_tests::metadata::raw_soap12_post(
        &mex[1],
        "urn:not-a-metadata-request",
        "<x xmlns=\"urn:x\"/>",
    )
    .await;
    assert_eq!(peer.0, 500, "{}", peer.1);
    peer.1.make_ascii_lowercase();
    assert!(peer.1.contains("actionnotsupported"), "{}", peer.1);
    host.close().await.expect("close");
}
