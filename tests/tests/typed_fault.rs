//! A typed SOAP fault travels from the service's `Err(Fault<D>)` to the client's
//! `CallError::Fault(Fault<D>)`, with WCF's fault action and detail element.

use indigo::message::{Body, MessageFault};
use indigo::{CallError, Error, Fault, MemoryBinding, ServiceHost};
use indigo_tests::RawPeer;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DivideByZero {
    pub dividend: f64,
    pub explanation: String,
}

#[indigo::service_contract(namespace = "http://example.org/arithmetic/")]
pub trait Arithmetic {
    #[operation]
    async fn divide(&self, dividend: f64, divisor: f64) -> Result<f64, Fault<DivideByZero>>;

    #[operation]
    async fn check(&self, value: i32) -> Result<(), Fault<DivideByZero>>;

    #[operation]
    async fn explode(&self) -> u8;
}

struct ArithmeticService;

impl Arithmetic for ArithmeticService {
    async fn divide(&self, dividend: f64, divisor: f64) -> Result<f64, Fault<DivideByZero>> {
        if divisor == 0.0 {
            return Err(Fault::new(
                "division by zero",
                DivideByZero {
                    dividend,
                    explanation: "the divisor was 0 <zero>".to_owned(),
                },
            ));
        }
        Ok(dividend / divisor)
    }

    async fn check(&self, value: i32) -> Result<(), Fault<DivideByZero>> {
        match value {
            0 => Err(Fault::new(
                "zero",
                DivideByZero {
                    dividend: 0.0,
                    explanation: String::new(),
                },
            )),
            _ => Ok(()),
        }
    }

    async fn explode(&self) -> u8 {
        panic!("the service failed")
    }
}

async fn host(address: &str) -> indigo::ServiceHost {
    ServiceHost::builder(ArithmeticContract::single(ArithmeticService))
        .endpoint(MemoryBinding::new(), address)
        .open()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_typed_fault_round_trips_with_its_detail() {
    let address = "memory://typed-fault";
    let _host = host(address).await;
    let client = ArithmeticClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    assert_eq!(client.divide(7.0, 2.0).await.unwrap(), 3.5);
    match client.divide(7.0, 0.0).await {
        Err(CallError::Fault(fault)) => {
            assert_eq!(fault.reason, "division by zero");
            assert_eq!(
                fault.detail,
                DivideByZero {
                    dividend: 7.0,
                    explanation: "the divisor was 0 <zero>".to_owned()
                }
            );
        }
        other => panic!("expected the typed fault, got {other:?}"),
    }
    client.check(1).await.unwrap();
    assert!(matches!(client.check(0).await, Err(CallError::Fault(_))));
    // The session survives a fault.
    assert_eq!(client.divide(1.0, 4.0).await.unwrap(), 0.25);
}

/// Calls a fallible and an infallible operation with `?` in a function returning
/// `indigo::Error`.
async fn divide_then_explain(client: &ArithmeticClient, divisor: f64) -> Result<f64, Error> {
    let quotient = client.divide(6.0, divisor).await?;
    client.check(1).await?;
    Ok(quotient)
}

#[tokio::test]
async fn a_call_error_converts_into_indigo_error_with_its_typed_fault() {
    let address = "memory://typed-fault-question-mark";
    let _host = host(address).await;
    let client = ArithmeticClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    assert_eq!(divide_then_explain(&client, 3.0).await.unwrap(), 2.0);
    let error = divide_then_explain(&client, 0.0).await.unwrap_err();
    assert!(
        error.to_string().contains("division by zero"),
        "the display names the fault: {error}"
    );
    let Error::DeclaredFault(fault) = error else {
        panic!("expected Error::DeclaredFault, got {error:?}");
    };
    let fault = fault
        .downcast_ref::<Fault<DivideByZero>>()
        .expect("the box holds the typed fault");
    assert_eq!(fault.reason, "division by zero");
    assert_eq!(fault.detail.dividend, 6.0);
    // `CallError::Other` converts to the error it holds.
    let other: Error = CallError::<DivideByZero>::Other(Error::Protocol("x".to_owned())).into();
    assert!(
        matches!(other, Error::Protocol(ref why) if why == "x"),
        "{other:?}"
    );
}

#[tokio::test]
async fn a_typed_fault_has_wcf_s_action_and_detail_element() {
    let address = "memory://typed-fault-wire";
    let _host = host(address).await;
    let mut peer = RawPeer::connect(address).await;
    peer.send(
        "http://example.org/arithmetic/Arithmetic/Divide",
        r#"<Divide xmlns="http://example.org/arithmetic/"><dividend>3</dividend><divisor>0</divisor></Divide>"#,
    )
    .await;
    let reply = peer.receive().await.expect("fault");
    assert_eq!(
        reply.action(),
        "http://example.org/arithmetic/Arithmetic/DivideDivideByZeroFault"
    );
    let Body::Fault(MessageFault {
        detail: Some(detail),
        reason,
        ..
    }) = &reply.body
    else {
        panic!("{reply:?}");
    };
    assert_eq!(reason, "division by zero");
    let xml = std::str::from_utf8(&detail.xml).unwrap();
    assert!(xml.starts_with("<DivideByZero"), "{xml}");
    assert!(
        xml.contains("http://schemas.datacontract.org/2004/07/"),
        "{xml}"
    );
}

#[tokio::test]
async fn a_panicking_operation_becomes_an_internal_service_fault() {
    let address = "memory://typed-fault-panic";
    let _host = host(address).await;
    let client = ArithmeticClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    match client.explode().await {
        Err(Error::Fault(fault)) => {
            assert!(fault.has_subcode(indigo::message::ns::WCF_DISPATCHER, "InternalServiceFault"))
        }
        other => panic!("expected InternalServiceFault, got {other:?}"),
    }
    assert_eq!(client.divide(1.0, 1.0).await.unwrap(), 1.0);
}
