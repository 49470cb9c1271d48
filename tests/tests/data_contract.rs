//! `#[data_contract]` types on the wire as DataContractSerializer writes them: the type's own
//! namespace for its members, PascalCase member names, members in ordinal name order and then
//! by `order`, `emit_default = false` members left out at their default, `required` members
//! enforced when reading, enum members by value, and fault details named by their contract.

use indigo::message::{Body, MessageFault};
use indigo::{BasicHttpBinding, Binding, DataContract, MemoryBinding};
use indigo::{NetTcpBinding, ServiceHost};
use indigo_tests::orders::{
    exercise, Color, OrderLine, OrderService, OrdersClient, OrdersContract, OutOfStock,
};
use indigo_tests::RawPeer;

const SHOP: &str = "http://example.org/shop";

async fn round_trip<B>(binding: B, address: &str)
where
    B: Binding + Clone,
    OrdersContract: indigo::binding::CarriedBy<B>,
{
    let host = ServiceHost::builder(OrdersContract::single(OrderService))
        .endpoint(binding.clone(), address)
        .open()
        .await
        .unwrap();
    let address = host.addresses().remove(0);
    let client = OrdersClient::connect(&binding, &address).await.unwrap();
    exercise(&client).await;
    host.close().await.unwrap();
}

#[tokio::test]
async fn data_contracts_round_trip_over_net_tcp_binary() {
    round_trip(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/orders").await;
}

#[tokio::test]
async fn data_contracts_round_trip_over_basic_http() {
    round_trip(BasicHttpBinding::new(), "http://127.0.0.1:0/orders").await;
}

#[test]
fn a_data_contract_knows_its_name_and_namespace() {
    assert_eq!(OrderLine::NAME, "OrderLine");
    assert_eq!(OrderLine::NAMESPACE, Some(SHOP));
    assert_eq!(Color::NAME, "Colour");
    assert_eq!(Color::NAMESPACE, None);
    assert_eq!(OutOfStock::NAME, "OutOfStockFault");
}

async fn memory_host(address: &str) -> ServiceHost {
    ServiceHost::builder(OrdersContract::single(OrderService))
        .endpoint(MemoryBinding::new(), address)
        .open()
        .await
        .unwrap()
}

/// The body of the reply to `body`, as text.
/// Calls operation `op` of the orders contract with `line` (its XML) from a raw peer.
async fn call(address: &str, op: &str, line: &str) -> indigo::message::Message {
    let mut peer = RawPeer::connect(address).await;
    let body = format!(r#"<{op} xmlns="http://example.org/orders/">{line}</{op}>"#);
    peer.send(&format!("http://example.org/orders/Orders/{op}"), &body)
        .await;
    peer.receive().await.expect("a reply")
}

fn fault_of(reply: &indigo::message::Message) -> &MessageFault {
    match &reply.body {
        Body::Fault(fault) => fault,
        other => panic!("expected a fault, got {other:?}"),
    }
}

/// The detail of a fault reply, as text.
fn detail_of(reply: &indigo::message::Message) -> String {
    let detail = fault_of(reply).detail.as_ref().expect("a fault detail");
    String::from_utf8(detail.xml.to_vec()).expect("UTF-8")
}

fn payload(reply: &indigo::message::Message) -> String {
    match &reply.body {
        Body::Payload(payload) => String::from_utf8(payload.xml.to_vec()).unwrap(),
        other => panic!("expected a payload, got {other:?}"),
    }
}

/// What a WCF client writes for `line()`: members in the type's namespace, in
/// DataContractSerializer's order.
const WCF_LINE: &str = concat!(
    r#"<line xmlns:a="http://example.org/shop" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">"#,
    r#"<a:Colour>GRN</a:Colour><a:Discount>0.25</a:Discount><a:Note i:nil="true"/>"#,
    r#"<a:ProductId>7</a:ProductId>"#,
    r#"<a:Tags xmlns:b="http://schemas.microsoft.com/2003/10/Serialization/Arrays"><b:string>gift</b:string><b:string/></a:Tags>"#,
    r#"<a:Thumbnail>AAEC/f7/</a:Thumbnail>"#,
    r#"<a:Qty>2</a:Qty></line>"#
);

#[tokio::test]
async fn members_go_in_the_type_s_namespace_in_wcf_s_order() {
    let address = "memory://data-contract-wire";
    let _host = memory_host(address).await;
    let reply = call(address, "Reprice", WCF_LINE).await;
    let xml = payload(&reply);
    // The discount is 0 after repricing, so `emit_default = false` leaves it out.
    let order = ["Colour>GRN<", "Note ", "ProductId>7<", "Tags", "Qty>3<"];
    let mut at = 0;
    for member in order {
        let found = xml[at..]
            .find(member)
            .unwrap_or_else(|| panic!("`{member}` missing or out of order in {xml}"));
        at += found + member.len();
    }
    assert!(!xml.contains("Discount"), "{xml}");
    assert!(
        xml.contains("<a:Thumbnail>AAEC/f7/</a:Thumbnail>"),
        "a Vec<u8> member is byte[], base64: {xml}"
    );
    assert!(xml.contains(r#"<a:Signature i:nil="true""#), "{xml}");
    assert!(
        xml.contains(r#"xmlns:a="http://example.org/shop""#),
        "the members' namespace is the type's: {xml}"
    );
    assert!(xml.contains("<a:ProductId>"), "{xml}");
}

#[tokio::test]
async fn a_missing_required_member_is_refused_and_a_missing_optional_one_is_its_default() {
    let address = "memory://data-contract-required";
    let _host = memory_host(address).await;
    let without_product = WCF_LINE.replace("<a:ProductId>7</a:ProductId>", "");
    let reply = call(address, "Reprice", &without_product).await;
    let fault = fault_of(&reply);
    assert!(
        fault.reason.contains("ProductId"),
        "the fault names the member: {}",
        fault.reason
    );

    let minimal = r#"<line xmlns:a="http://example.org/shop"><a:ProductId>9</a:ProductId></line>"#;
    let reply = call(address, "Reprice", minimal).await;
    let xml = payload(&reply);
    assert!(xml.contains("ProductId>9<"), "{xml}");
    assert!(xml.contains("Colour>Red<"), "the default colour: {xml}");
    assert!(
        xml.contains("Qty>1<"),
        "a default quantity of 0, plus one: {xml}"
    );
}

#[tokio::test]
async fn a_fault_detail_is_named_by_its_data_contract() {
    let address = "memory://data-contract-fault";
    let _host = memory_host(address).await;
    let many = WCF_LINE.replace("<a:Qty>2</a:Qty>", "<a:Qty>12</a:Qty>");
    let reply = call(address, "Reserve", &many).await;
    assert_eq!(
        reply.action(),
        "http://example.org/orders/Orders/ReserveOutOfStockFault",
        "the action names the Rust type, as WCF's names the CLR type"
    );
    let xml = detail_of(&reply);
    assert!(
        xml.starts_with(r#"<OutOfStockFault xmlns="urn:example:stock""#),
        "{xml}"
    );
    assert!(xml.contains("<ProductId>7</ProductId>"), "{xml}");
}

#[tokio::test]
async fn a_request_that_cannot_be_read_is_refused_with_the_member_path() {
    let address = "memory://data-contract-path";
    let _host = memory_host(address).await;
    for (replace, with, path) in [
        ("<a:Qty>2</a:Qty>", "<a:Qty>abc</a:Qty>", "at line.Qty: "),
        (
            "<b:string>gift</b:string>",
            "<b:string><x/></b:string>",
            "at line.Tags[0]: ",
        ),
    ] {
        let bad = WCF_LINE.replace(replace, with);
        let reply = call(address, "Reprice", &bad).await;
        let fault = fault_of(&reply);
        assert!(fault.reason.contains(path), "{path} in {}", fault.reason);
    }
}

#[tokio::test]
async fn each_of_several_fault_details_has_wcf_s_action_and_element() {
    let address = "memory://data-contract-faults";
    let _host = memory_host(address).await;
    for (replace, with, action, element) in [
        (
            "<a:ProductId>7</a:ProductId>",
            "<a:ProductId>0</a:ProductId>",
            "http://example.org/orders/Orders/CancelStoreClosedFault",
            r#"<StoreClosed xmlns="urn:example:stock""#,
        ),
        (
            "<a:Qty>2</a:Qty>",
            "<a:Qty>12</a:Qty>",
            "http://example.org/orders/Orders/CancelOutOfStockFault",
            r#"<OutOfStockFault xmlns="urn:example:stock""#,
        ),
    ] {
        let line = WCF_LINE.replace(replace, with);
        let reply = call(address, "Cancel", &line).await;
        assert_eq!(reply.action(), action);
        let xml = detail_of(&reply);
        assert!(xml.starts_with(element), "{xml}");
    }
}
