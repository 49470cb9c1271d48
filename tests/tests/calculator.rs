//! The calculator session end to end over the in-process binding.

use indigo::{CommunicationState, MemoryBinding};
use indigo_examples::calculator::CalculatorSessionClient;
use indigo_tests::calculator_host as host;

#[tokio::test]
async fn a_session_accumulates_and_equals_ends_it() {
    let address = "memory://calculator-e2e";
    let host = host(address).await;
    let client = CalculatorSessionClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    assert_eq!(client.state(), CommunicationState::Opened);
    let session = client.clear().await.unwrap();
    session.add_to(5.0).await.unwrap();
    session.subtract_from(2.0).await.unwrap();
    session.multiply_by(10.0).await.unwrap();
    session.divide_by(4.0).await.unwrap();
    assert_eq!(session.equals().await.unwrap(), 7.5);
    host.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sessions_keep_separate_state() {
    let address = "memory://calculator-concurrent";
    let host = host(address).await;
    let mut tasks = Vec::new();
    for i in 0..16u32 {
        tasks.push(tokio::spawn(async move {
            let client = CalculatorSessionClient::connect(&MemoryBinding::new(), address)
                .await
                .unwrap();
            let session = client.clear().await.unwrap();
            for _ in 0..50 {
                session.add_to(f64::from(i)).await.unwrap();
                tokio::task::yield_now().await;
            }
            session.equals().await.unwrap()
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(task.await.unwrap(), 50.0 * i as f64, "session {i}");
    }
    host.close().await.unwrap();
}

#[tokio::test]
async fn calls_of_one_session_are_processed_in_order() {
    // Non-commutative operations: any reordering changes the result.
    let address = "memory://calculator-order";
    let host = host(address).await;
    let client = CalculatorSessionClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    let session = client.clear().await.unwrap();
    let mut expected = 0.0;
    for i in 1..=200 {
        let n = f64::from(i % 7 + 1);
        if i % 2 == 0 {
            session.add_to(n).await.unwrap();
            expected += n;
        } else {
            session.multiply_by(n).await.unwrap();
            expected *= n;
        }
        if i % 3 == 0 {
            session.subtract_from(1.0).await.unwrap();
            expected -= 1.0;
        }
    }
    assert_eq!(session.equals().await.unwrap(), expected);
    host.close().await.unwrap();
}

#[tokio::test]
async fn connecting_to_a_missing_address_is_an_error() {
    let err = CalculatorSessionClient::connect(&MemoryBinding::new(), "memory://nobody-here")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no endpoint listens"), "{err}");
}

#[tokio::test]
async fn a_closed_session_can_be_abandoned_without_leaks() {
    let address = "memory://calculator-abort";
    let host = host(address).await;
    let client = CalculatorSessionClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    let session = client.clear().await.unwrap();
    session.add_to(1.0).await.unwrap();
    session.abort();
    // A new session starts from zero: the aborted session's instance is gone.
    let client = CalculatorSessionClient::connect(&MemoryBinding::new(), address)
        .await
        .unwrap();
    let session = client.clear().await.unwrap();
    assert_eq!(session.equals().await.unwrap(), 0.0);
    host.close().await.unwrap();
}
