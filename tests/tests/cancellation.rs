//! Dropping a call's future at any point (a timeout around it, a `select!` that lost) must
//! leave the session usable: a message goes out whole or not at all, and a late reply for a
//! call nobody waits for any more is discarded.

use indigo::binding::{CarriedBy, TcpTransport};
use indigo::client::deadline;
use indigo::message::ReaderQuotas;
use indigo::{Binding, CommunicationState, CustomBinding, Error, NetTcpBinding, ServiceHost};
use std::time::Duration;

/// A session that echoes values and counts one-way notes, so a test can check that replies
/// answer their own requests and that the session still works at the end.
#[indigo::service_contract(namespace = "urn:indigo:tests:cancellation", session = Required)]
pub trait Ledger {
    /// Starts the session.
    #[operation(initiating)]
    async fn start(&mut self);

    /// Returns `value`; `padding` only makes the request as large as a test wants.
    #[operation(initiating = false)]
    async fn echo(&mut self, value: u64, padding: String) -> u64;

    /// Records `value`.
    #[operation(one_way, initiating = false)]
    async fn note(&mut self, value: u64);

    /// Sleeps `millis`, then returns them.
    #[operation(initiating = false)]
    async fn nap(&mut self, millis: u64) -> u64;

    /// How many notes arrived; ends the session.
    #[operation(initiating = false, terminating)]
    async fn finish(&mut self) -> u64;
}

#[derive(Debug, Default)]
struct LedgerService {
    notes: u64,
}

impl Ledger for LedgerService {
    async fn start(&mut self) {}

    async fn echo(&mut self, value: u64, _padding: String) -> u64 {
        value
    }

    async fn note(&mut self, _value: u64) {
        self.notes += 1;
    }

    async fn nap(&mut self, millis: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(millis)).await;
        millis
    }

    async fn finish(&mut self) -> u64 {
        self.notes
    }
}

/// Text over net.tcp with room for the multi-megabyte requests that keep a write in progress
/// (the binary reader caps a message at 4 MiB of text, too little to outgrow the socket
/// buffers reliably).
fn large_tcp() -> CustomBinding<TcpTransport> {
    let mut binding = CustomBinding::tcp_text()
        .with_reader_quotas(ReaderQuotas {
            max_string_content_length: 64 << 20,
            ..Default::default()
        })
        .with_send_timeout(Duration::from_secs(10));
    binding.transport_mut().max_received_message_size = 64 << 20;
    binding
}

async fn tcp_host<B: Binding>(binding: B) -> (ServiceHost, String)
where
    LedgerContract: CarriedBy<B>,
{
    let host = ServiceHost::builder(LedgerContract::per_session(LedgerService::default))
        .endpoint(binding, "net.tcp://127.0.0.1:0/ledger")
        .open()
        .await
        .expect("open the net.tcp host");
    let address = host.addresses().remove(0);
    (host, address)
}

const PATIENCE: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_call_dropped_while_its_request_is_written_leaves_the_session_usable() {
    let (host, address) = tcp_host(large_tcp()).await;
    let client = LedgerClient::connect(&large_tcp(), &address)
        .await
        .expect("connect")
        .start()
        .await
        .expect("start the session");
    assert_eq!(client.echo(1, String::new()).await.expect("first call"), 1);
    // A zero timeout polls the call once: the request is encoded and its write starts, but
    // 16 MiB do not fit in the socket buffers while the service (on this same thread) cannot
    // read, so the write is cut short.
    let big = "x".repeat(16 << 20);
    let cut = tokio::time::timeout(Duration::ZERO, client.echo(2, big)).await;
    assert!(
        cut.is_err(),
        "the call should not have completed in one poll"
    );
    assert_eq!(client.state(), CommunicationState::Opened);

    let next = tokio::time::timeout(PATIENCE, client.echo(3, "small".to_owned()))
        .await
        .expect("the session is wedged: the call after a cancelled one never completes")
        .expect("the call after a cancelled one fails");
    assert_eq!(next, 3);
    tokio::time::timeout(PATIENCE, client.note(4))
        .await
        .expect("one-way call timed out")
        .expect("one-way call");
    let notes = tokio::time::timeout(PATIENCE, client.finish())
        .await
        .expect("terminating call timed out")
        .expect("terminating call");
    assert_eq!(notes, 1);
    host.close().await.expect("close the host");
}

/// The binary encoding with room for requests of a few megabytes.
fn tcp_binding() -> NetTcpBinding {
    NetTcpBinding::new()
        .with_max_received_message_size(8 << 20)
        .with_reader_quotas(ReaderQuotas {
            max_string_content_length: 8 << 20,
            ..Default::default()
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_its_deadline_fails_alone_and_the_session_goes_on() {
    let (host, address) = tcp_host(tcp_binding()).await;
    let session = LedgerClient::connect(&tcp_binding(), &address)
        .await
        .expect("connect")
        .start()
        .await
        .expect("start the session");

    let late = deadline(Duration::from_millis(50), session.nap(300)).await;
    match late {
        Err(Error::OperationTimeout { operation, timeout }) => {
            assert_eq!(operation, "Nap");
            assert_eq!(timeout, Duration::from_millis(50));
        }
        other => panic!("expected the deadline to fail the call, got {other:?}"),
    }
    assert_eq!(session.state(), CommunicationState::Opened);
    // The service finishes the abandoned nap first (one call at a time), then answers.
    let next = deadline(PATIENCE, session.echo(7, "after".to_owned()))
        .await
        .expect("the call after a deadline");
    assert_eq!(next, 7);

    // A client-wide timeout applies to every call; a deadline of the call's own overrides it.
    let session = session.with_operation_timeout(Duration::from_millis(50));
    let late = session.nap(300).await;
    assert!(
        matches!(
            late,
            Err(Error::OperationTimeout {
                operation: "Nap",
                ..
            })
        ),
        "{late:?}"
    );
    let patient = deadline(PATIENCE, session.echo(8, String::new()))
        .await
        .expect("a per-call deadline overrides the client's");
    assert_eq!(patient, 8);
    session.note(1).await.expect("a quick one-way call");
    assert_eq!(
        deadline(PATIENCE, session.finish()).await.expect("finish"),
        1
    );
    host.close().await.expect("close the host");
}
