//! Dropping a call's future at any point (a timeout around it, a `select!` that lost) must
//! leave the session usable: a message goes out whole or not at all, and a late reply for a
//! call nobody waits for any more is discarded.

use indigo::binding::{CarriedBy, TcpTransport};
use indigo::client::deadline;
use indigo::message::ReaderQuotas;
use indigo::{
    Binding, CommunicationState, CustomBinding, Error, MemoryBinding, NetTcpBinding, ServiceHost,
    WsHttpBinding,
};
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

/// splitmix64: a seeded sequence, so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// `INDIGO_CANCEL_SEED` when set, else a fresh seed; printed if the test fails.
fn seed() -> u64 {
    match std::env::var("INDIGO_CANCEL_SEED") {
        Ok(text) => text.parse().expect("INDIGO_CANCEL_SEED is a u64"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as u64),
    }
}

/// Prints the seed when the test panics, so the run can be repeated.
struct SeedReport(u64, &'static str);

impl Drop for SeedReport {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{} failed with INDIGO_CANCEL_SEED={}", self.1, self.0);
        }
    }
}

/// Polls `call` at most `polls` times, yielding between polls, then drops it.
async fn drop_after_polls<F: std::future::Future>(call: F, polls: u64) -> Option<F::Output> {
    let mut call = std::pin::pin!(call);
    for _ in 0..polls {
        if let std::task::Poll::Ready(output) = futures::poll!(call.as_mut()) {
            return Some(output);
        }
        tokio::task::yield_now().await;
    }
    None
}

/// How a call of the random run ends.
enum Cut {
    /// Dropped after this many polls, if not done by then.
    Polls(u64),
    /// Dropped after this long, if not done by then.
    After(Duration),
    /// Awaited to the end.
    Never,
}

impl Cut {
    /// Runs `call` (the `what` call carrying `value`) until this cut: its output if it finished.
    async fn run<F: std::future::Future>(
        self,
        call: F,
        what: &str,
        value: u64,
    ) -> Option<F::Output> {
        match self {
            Cut::Polls(polls) => drop_after_polls(call, polls).await,
            Cut::After(after) => tokio::time::timeout(after, call).await.ok(),
            Cut::Never => Some(
                tokio::time::timeout(PATIENCE, call)
                    .await
                    .unwrap_or_else(|_| panic!("{what} {value} never completed")),
            ),
        }
    }
}

const CALLS: u64 = 1_000;

/// Makes [`CALLS`] calls on one session, cutting most of them short at a random point, then
/// checks that the session still answers correctly and ends cleanly. A cut call may or may not
/// have reached the service, so the count of notes is checked against bounds, not a value.
/// Now and then a request carries up to `large` bytes of padding, so that it takes many writes
/// and a cut may land inside it.
async fn cancel_at_random<B>(binding: B, address: &str, large: usize, label: &'static str)
where
    B: Binding,
    LedgerContract: CarriedBy<B>,
{
    let seed = seed();
    let _report = SeedReport(seed, label);
    let mut rng = Rng(seed);
    let session = LedgerClient::connect(&binding, address)
        .await
        .expect("connect")
        .start()
        .await
        .expect("start the session");
    let (mut notes_sent, mut notes_tried) = (0u64, 0u64);
    for value in 0..CALLS {
        let cut = match rng.below(4) {
            0 => Cut::Polls(rng.below(6)),
            1 | 2 => Cut::After(Duration::from_micros(rng.below(2000))),
            _ => Cut::Never,
        };
        let padding = match rng.below(40) {
            0 => "p".repeat(large / 2 + rng.below(large as u64 / 2) as usize),
            _ => "p".repeat(rng.below(2048) as usize),
        };
        if rng.below(2) == 0 {
            notes_tried += 1;
            let done = cut.run(session.note(value), "note", value).await;
            if let Some(result) = done {
                result.unwrap_or_else(|e| panic!("note {value} failed: {e}"));
                notes_sent += 1;
            }
        } else {
            let done = cut.run(session.echo(value, padding), "echo", value).await;
            if let Some(result) = done {
                let echoed = result.unwrap_or_else(|e| panic!("echo {value} failed: {e}"));
                assert_eq!(echoed, value, "a reply answered another request");
            }
        }
    }
    assert_eq!(session.state(), CommunicationState::Opened);
    let last = tokio::time::timeout(PATIENCE, session.echo(CALLS, String::new()))
        .await
        .expect("the last echo never completed")
        .expect("the last echo failed");
    assert_eq!(last, CALLS);
    let notes = tokio::time::timeout(PATIENCE, session.finish())
        .await
        .expect("finish never completed")
        .expect("finish failed");
    assert!(
        (notes_sent..=notes_tried).contains(&notes),
        "the service counted {notes} notes; {notes_sent} were sent for sure, {notes_tried} tried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_cancelled_at_random_points_leave_a_net_tcp_session_intact() {
    let (host, address) = tcp_host(tcp_binding()).await;
    cancel_at_random(tcp_binding(), &address, 3 << 20, "net.tcp").await;
    host.close().await.expect("close the host");
}

/// Text has no cap on a message's size (binary has 4 MiB), so its requests can outgrow the
/// socket buffers while the service reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_cancelled_at_random_points_leave_a_net_tcp_text_session_intact() {
    let (host, address) = tcp_host(large_tcp()).await;
    cancel_at_random(large_tcp(), &address, 16 << 20, "net.tcp text").await;
    host.close().await.expect("close the host");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_cancelled_at_random_points_leave_an_in_process_session_intact() {
    let address = "memory://cancellation-at-random";
    let binding = MemoryBinding::new().with_reader_quotas(ReaderQuotas {
        max_string_content_length: 8 << 20,
        ..Default::default()
    });
    let host = ServiceHost::builder(LedgerContract::per_session(LedgerService::default))
        .endpoint(binding.clone(), address)
        .open()
        .await
        .expect("open the in-process host");
    cancel_at_random(binding, address, 1 << 20, "memory").await;
    host.close().await.expect("close the host");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_cancelled_at_random_points_leave_a_reliable_session_intact() {
    let binding = tcp_binding().with_reliable_session();
    let (host, address) = tcp_host(binding.clone()).await;
    cancel_at_random(binding, &address, 1 << 20, "reliable net.tcp").await;
    host.close().await.expect("close the host");
}

/// A sessionless contract, for HTTP.
#[indigo::service_contract(namespace = "urn:indigo:tests:cancellation")]
pub trait Clock {
    /// Sleeps `millis`, then returns them.
    #[operation]
    async fn wait(&self, millis: u64) -> u64;
}

struct ClockService;

impl Clock for ClockService {
    async fn wait(&self, millis: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(millis)).await;
        millis
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_calls_cut_short_or_past_their_deadline_leave_the_client_usable() {
    let host = ServiceHost::builder(ClockContract::per_call(|| ClockService))
        .endpoint(WsHttpBinding::new(), "http://127.0.0.1:0/clock")
        .open()
        .await
        .expect("open the HTTP host");
    let address = host.addresses().remove(0);
    let client = ClockClient::connect(&WsHttpBinding::new(), &address)
        .await
        .expect("connect");

    let late = deadline(Duration::from_millis(30), client.wait(300)).await;
    assert!(
        matches!(
            late,
            Err(Error::OperationTimeout {
                operation: "Wait",
                ..
            })
        ),
        "{late:?}"
    );
    let seed = seed();
    let _report = SeedReport(seed, "http");
    let mut rng = Rng(seed);
    for _ in 0..100 {
        let after = Duration::from_micros(rng.below(1500));
        let _ = tokio::time::timeout(after, client.wait(rng.below(2))).await;
    }
    let next = tokio::time::timeout(PATIENCE, client.wait(1))
        .await
        .expect("the call after cancelled ones never completed")
        .expect("the call after cancelled ones failed");
    assert_eq!(next, 1);
    host.close().await.expect("close the host");
}

/// Over WS-HTTP with a reliable session: the requests of cancelled calls may still be
/// exchanged (the session took them), and the session carries on. (Before the request-reply
/// core, one-way sessions over HTTP stalled after a few hundred calls, cancelled or not.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_cancelled_at_random_points_leave_a_reliable_http_session_intact() {
    let binding = WsHttpBinding::new()
        .with_max_received_message_size(8 << 20)
        .with_reader_quotas(ReaderQuotas {
            max_string_content_length: 8 << 20,
            ..Default::default()
        })
        .with_reliable_session();
    let host = ServiceHost::builder(LedgerContract::per_session(LedgerService::default))
        .endpoint(binding.clone(), "http://127.0.0.1:0/ledger")
        .open()
        .await
        .expect("open the HTTP host");
    let address = host.addresses().remove(0);
    cancel_at_random(binding, &address, 1 << 20, "reliable http").await;
    host.close().await.expect("close the host");
}
