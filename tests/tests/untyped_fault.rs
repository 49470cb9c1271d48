//! An untyped SOAP fault (WCF's plain `FaultException`): the service's `Err(Fault::untyped(..))`
//! travels as a fault with a code, an optional subcode and a reason and no detail, under
//! WS-Addressing's default fault action, and the client gets it back as `CallError::Fault`.
//! Its client also surfaces the service's other faults that way, as a WCF client does.

use indigo::message::{ns, Body, FaultCode, FaultCodeValue, MessageFault, QualifiedName};
use indigo::{BasicHttpBinding, Binding, CallError, Fault, MemoryBinding, NetTcpBinding};
use indigo::{ServiceHost, WsHttpBinding};
use indigo_tests::RawPeer;

const SHOP: &str = "urn:example:shop";

#[indigo::service_contract(namespace = "http://example.org/orders/")]
pub trait Orders {
    #[operation]
    async fn place(&self, quantity: i32) -> Result<i32, Fault>;

    #[operation]
    async fn cancel(&self, order: i32) -> Result<(), Fault>;

    #[operation]
    async fn explode(&self) -> Result<u8, Fault>;
}

struct OrderService;

impl Orders for OrderService {
    async fn place(&self, quantity: i32) -> Result<i32, Fault> {
        if quantity <= 0 {
            return Err(Fault::untyped("A quantity must be positive."));
        }
        Ok(quantity * 10)
    }

    async fn cancel(&self, order: i32) -> Result<(), Fault> {
        if order == 7 {
            return Err(
                Fault::untyped("The order has shipped.").with_code(FaultCode::receiver(
                    QualifiedName::new(SHOP, "AlreadyShipped"),
                )),
            );
        }
        Ok(())
    }

    async fn explode(&self) -> Result<u8, Fault> {
        panic!("the service failed")
    }
}

/// `soap11`: SOAP 1.1's `faultcode` carries only the innermost subcode, so the top-level code
/// of a fault with a subcode does not travel.
async fn round_trip<B>(binding: B, address: &str, soap11: bool)
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
    assert_eq!(client.place(3).await.unwrap(), 30);
    match client.place(0).await {
        Err(CallError::Fault(fault)) => {
            assert_eq!(fault.reason, "A quantity must be positive.");
            assert_eq!(fault.code.value, FaultCodeValue::Sender);
            assert!(fault.code.subcodes.is_empty(), "{:?}", fault.code);
        }
        other => panic!("expected the untyped fault, got {other:?}"),
    }
    client.cancel(1).await.unwrap();
    match client.cancel(7).await {
        Err(CallError::Fault(fault)) => {
            assert_eq!(fault.reason, "The order has shipped.");
            if !soap11 {
                assert_eq!(fault.code.value, FaultCodeValue::Receiver);
            }
            assert!(
                fault
                    .code
                    .subcode()
                    .is_some_and(|s| s.is(SHOP, "AlreadyShipped")),
                "{:?}",
                fault.code
            );
        }
        other => panic!("expected the untyped fault with its subcode, got {other:?}"),
    }
    // Any fault is the operation's fault, as WCF's client makes every fault a FaultException.
    match client.explode().await {
        Err(CallError::Fault(fault)) => assert!(
            fault
                .code
                .subcode()
                .is_some_and(|s| s.is(ns::WCF_DISPATCHER, "InternalServiceFault")),
            "{:?}",
            fault.code
        ),
        other => panic!("expected InternalServiceFault as a fault, got {other:?}"),
    }
    assert_eq!(client.place(1).await.unwrap(), 10, "the client goes on");
    host.close().await.unwrap();
}

#[tokio::test]
async fn an_untyped_fault_round_trips_in_process() {
    round_trip(MemoryBinding::new(), "memory://untyped-fault", false).await;
}

#[tokio::test]
async fn an_untyped_fault_round_trips_over_net_tcp() {
    round_trip(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/orders", false).await;
}

#[tokio::test]
async fn an_untyped_fault_round_trips_over_basic_http() {
    round_trip(BasicHttpBinding::new(), "http://127.0.0.1:0/orders", true).await;
}

#[tokio::test]
async fn an_untyped_fault_round_trips_over_ws_http() {
    round_trip(WsHttpBinding::new(), "http://127.0.0.1:0/orders", false).await;
}

#[tokio::test]
async fn an_untyped_fault_has_the_default_fault_action_and_no_detail() {
    let address = "memory://untyped-fault-wire";
    let _host = ServiceHost::builder(OrdersContract::single(OrderService))
        .endpoint(MemoryBinding::new(), address)
        .open()
        .await
        .unwrap();
    let mut peer = RawPeer::connect(address).await;
    peer.send(
        "http://example.org/orders/Orders/Cancel",
        r#"<Cancel xmlns="http://example.org/orders/"><order>7</order></Cancel>"#,
    )
    .await;
    let reply = peer.receive().await.expect("a fault");
    assert_eq!(
        reply.action(),
        "http://www.w3.org/2005/08/addressing/soap/fault"
    );
    let Body::Fault(MessageFault {
        detail,
        reason,
        code,
        ..
    }) = &reply.body
    else {
        panic!("{reply:?}");
    };
    assert_eq!(reason, "The order has shipped.");
    assert!(detail.is_none(), "an untyped fault has no detail");
    assert!(code.subcode().is_some_and(|s| s.is(SHOP, "AlreadyShipped")));
}
