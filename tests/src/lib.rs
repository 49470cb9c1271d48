//! Helpers for the end-to-end suites: a raw peer that speaks hand-written SOAP, to test what
//! the service does with messages a generated client would never send.

pub mod chaos;
pub mod echo;
pub mod generated;
pub mod gsoap;
pub mod http_proxy;
pub mod ledger;
pub mod metadata;
pub mod orders;
pub mod pki;

use std::io::Write;

use indigo::encoding::{MessageEncoder, TextMessageEncoder};
use indigo::message::{Message, MessageVersion};
use indigo::transport::{ClientTransport, Connection};
use indigo::Binding;
use std::time::Duration;

/// Reports that a test did not run (a peer it needs is not installed) where a plain
/// `cargo test` run shows it: `SKIPPED (<test>): <why>` on the process's standard error.
///
/// libtest captures what `println!` and `eprintln!` print in a test and shows it only when the
/// test fails (or under `--nocapture`), so a skipped test that passes would otherwise be silent.
/// A direct write to `std::io::stderr()` is not captured.
pub fn report_skip(why: &str) {
    let thread = std::thread::current();
    let line = match thread.name() {
        Some(test) if test != "main" => format!("SKIPPED ({test}): {why}\n"),
        _ => format!("SKIPPED: {why}\n"),
    };
    // One write of the whole line, so lines of tests running in parallel do not interleave.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// How long a raw peer waits for a reply before a test fails.
pub const REPLY_WAIT: Duration = Duration::from_secs(5);

/// A peer on a raw in-process connection that sends envelopes as text.
#[derive(Debug)]
pub struct RawPeer {
    connection: Connection,
    encoder: TextMessageEncoder,
    next_id: u32,
}

impl RawPeer {
    /// Connects to an in-process address.
    pub async fn connect(address: &str) -> Self {
        // The binding's transport without its channel stack: frames go out exactly as given.
        let ClientTransport::Duplex(connection) = indigo::MemoryBinding::new()
            .connect(address)
            .await
            .expect("connect")
        else {
            panic!("the in-process transport is a duplex connection");
        };
        RawPeer {
            connection,
            encoder: TextMessageEncoder::new(MessageVersion::SOAP12_WSA10),
            next_id: 0,
        }
    }

    /// Sends a SOAP 1.2 request with `action` and `body` (raw XML), returning its MessageID.
    pub async fn send(&mut self, action: &str, body: &str) -> String {
        self.next_id += 1;
        let id = format!("urn:uuid:00000000-0000-0000-0000-{:012}", self.next_id);
        let envelope = format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">{action}</a:Action><a:MessageID>{id}</a:MessageID><a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo></s:Header><s:Body>{body}</s:Body></s:Envelope>"#
        );
        self.send_bytes(envelope.into_bytes()).await;
        id
    }

    /// Sends arbitrary bytes as one frame.
    pub async fn send_bytes(&mut self, bytes: Vec<u8>) {
        self.connection.sink.send(bytes).await.expect("send frame");
    }

    /// The next message from the service, or `None` when it closed the session. Panics when
    /// nothing arrives within [`REPLY_WAIT`].
    pub async fn receive(&mut self) -> Option<Message> {
        let frame = tokio::time::timeout(REPLY_WAIT, self.connection.stream.receive())
            .await
            .expect("the service did not answer in time")
            .expect("connection failed")?;
        Some(
            self.encoder
                .decode(frame)
                .expect("the service sent a readable message"),
        )
    }

    /// Asserts that nothing arrives within `wait` (for one-way operations).
    pub async fn expect_silence(&mut self, wait: Duration) {
        if let Ok(frame) = tokio::time::timeout(wait, self.connection.stream.receive()).await {
            panic!("expected no message, got {frame:?}");
        }
    }
}

/// Hosts the example calculator (per-session instancing) at an in-process address.
pub async fn calculator_host(address: &str) -> indigo::ServiceHost {
    use indigo_examples::calculator::{Calculator, CalculatorSessionContract};
    indigo::ServiceHost::builder(CalculatorSessionContract::per_session(Calculator::default))
        .endpoint(indigo::MemoryBinding::new(), address)
        .open()
        .await
        .expect("open the calculator host")
}
