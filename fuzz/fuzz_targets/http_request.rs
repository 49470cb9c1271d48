//! One HTTP request through a service host, in process: the bytes are the request body and
//! (optionally) the transport's action, handed to the host's request handler, the very one
//! an HTTP listener calls for each POST (decode, admit, dispatch, run, encode the reply).
//!
//! No sockets: the host is opened on a transport whose listener only keeps the handler the
//! host gives it. A contract with structured parameters, a one-way operation and a declared
//! fault is served over SOAP 1.2 with WS-Addressing (WsHttpBinding's encoding) and over
//! SOAP 1.1 (BasicHttpBinding's).
//!
//! Input: the first byte picks the endpoint (bit 0: SOAP 1.2 or SOAP 1.1) and the transport
//! action (bits 1-3: none, one of the five operations', an unknown one, or the input's bytes
//! up to the first newline); the rest is the body. Checks: no panic, and a reply or fault the
//! host sends decodes with the endpoint's own encoder.
#![no_main]

use bytes::Bytes;
use indigo::binding::{Sessionless, TransportBindingElement};
use indigo::encoding::{MessageEncoder, TextMessageEncoder};
use indigo::message::MessageVersion;
use indigo::transport::{
    ClientTransport, ReplyFrame, RequestHandler, RequestListener, ServerTransport, TransportError,
};
use indigo::{CustomBinding, Fault, ServiceHost, Timeouts};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

#[derive(Debug, Serialize, Deserialize)]
pub struct Line {
    pub sku: String,
    pub quantity: u32,
    pub price: f64,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub enum Status {
    Open,
    Shipped,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Order {
    pub id: i64,
    pub customer: String,
    pub lines: Vec<Line>,
    pub status: Status,
    pub tags: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Refused {
    pub missing: u64,
}

#[indigo::service_contract(namespace = "http://example.org/fuzz")]
pub trait Shop {
    #[operation]
    async fn place(&self, order: Order) -> u64;
    #[operation]
    async fn echo(&self, text: String, count: Option<i32>) -> String;
    #[operation(one_way)]
    async fn log(&self, line: String);
    #[operation]
    async fn withdraw(&self, amount: u64) -> Result<u64, Fault<Refused>>;
    #[operation]
    async fn cheapest(&self, lines: Vec<Line>) -> Option<Line>;
}

/// Total on every input: no overflow, no indexing (a panic here would be a crash too).
struct ShopService;

impl Shop for ShopService {
    async fn place(&self, order: Order) -> u64 {
        order.lines.iter().fold(order.id.unsigned_abs(), |n, line| {
            n.wrapping_add(u64::from(line.quantity))
        })
    }
    async fn echo(&self, text: String, count: Option<i32>) -> String {
        let times = usize::try_from(count.unwrap_or(1)).unwrap_or(0).min(4);
        text.repeat(times)
    }
    async fn log(&self, line: String) {
        let _ = line;
    }
    async fn withdraw(&self, amount: u64) -> Result<u64, Fault<Refused>> {
        if amount > 100 {
            Err(Fault::new(
                "insufficient funds",
                Refused {
                    missing: amount - 100,
                },
            ))
        } else {
            Ok(100 - amount)
        }
    }
    async fn cheapest(&self, lines: Vec<Line>) -> Option<Line> {
        lines.into_iter().min_by(|a, b| a.price.total_cmp(&b.price))
    }
}

/// The handlers the hosts gave their listeners, by address.
static HANDLERS: Mutex<Vec<(String, Arc<dyn RequestHandler>)>> = Mutex::new(Vec::new());

/// A request-reply transport without a network: its listener keeps the host's handler.
#[derive(Debug, Clone, Copy)]
struct InProcess;

struct KeepHandler {
    address: String,
}

impl RequestListener for KeepHandler {
    fn local_address(&self) -> String {
        self.address.clone()
    }

    fn serve(
        self: Box<Self>,
        handler: Arc<dyn RequestHandler>,
        shutdown: BoxFuture<()>,
    ) -> BoxFuture<()> {
        HANDLERS
            .lock()
            .expect("not poisoned")
            .push((self.address, handler));
        shutdown
    }
}

impl TransportBindingElement for InProcess {
    type Session = Sessionless;

    fn scheme(&self) -> &'static str {
        "http"
    }

    fn connect(
        &self,
        address: &str,
        _encoder: &Arc<dyn MessageEncoder>,
        _timeouts: &Timeouts,
    ) -> BoxFuture<Result<ClientTransport, TransportError>> {
        let address = address.to_owned();
        Box::pin(async move {
            Err(TransportError::InvalidAddress(
                address,
                "the fuzzing transport has no client side".to_owned(),
            ))
        })
    }

    fn listen(
        &self,
        address: &str,
        _encoder: &Arc<dyn MessageEncoder>,
        _timeouts: &Timeouts,
    ) -> BoxFuture<Result<ServerTransport, TransportError>> {
        let listener = KeepHandler {
            address: address.to_owned(),
        };
        Box::pin(async move { Ok(ServerTransport::RequestReply(Box::new(listener))) })
    }
}

const VERSIONS: [MessageVersion; 2] = [MessageVersion::SOAP12_WSA10, MessageVersion::SOAP11];
const ADDRESSES: [&str; 2] = ["http://fuzz/soap12", "http://fuzz/soap11"];
const ACTIONS: [&str; 6] = [
    "http://example.org/fuzz/Shop/Place",
    "http://example.org/fuzz/Shop/Echo",
    "http://example.org/fuzz/Shop/Log",
    "http://example.org/fuzz/Shop/Withdraw",
    "http://example.org/fuzz/Shop/Cheapest",
    "http://example.org/fuzz/Shop/Missing",
];

struct Harness {
    runtime: tokio::runtime::Runtime,
    handlers: [Arc<dyn RequestHandler>; 2],
    /// Kept open for the whole run; dropping it would stop the endpoints.
    _host: ServiceHost,
}

fn harness() -> Harness {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let host = runtime.block_on(async {
        let mut builder = ServiceHost::builder(ShopContract::single(ShopService));
        for (version, address) in VERSIONS.into_iter().zip(ADDRESSES) {
            let binding = CustomBinding::new(TextMessageEncoder::new(version), InProcess);
            builder = builder.endpoint(binding, address);
        }
        let host = builder.open().await.expect("the host opens");
        // The endpoints' tasks hand the listeners their handler once they run.
        while HANDLERS.lock().expect("not poisoned").len() < ADDRESSES.len() {
            tokio::task::yield_now().await;
        }
        host
    });
    let handler = |address: &str| {
        let handlers = HANDLERS.lock().expect("not poisoned");
        let (_, handler) = handlers
            .iter()
            .find(|(a, _)| a == address)
            .expect("the endpoint was served");
        handler.clone()
    };
    Harness {
        handlers: [handler(ADDRESSES[0]), handler(ADDRESSES[1])],
        runtime,
        _host: host,
    }
}

thread_local! {
    static HARNESS: Harness = harness();
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&setup, rest)) = data.split_first() else {
        return;
    };
    let endpoint = usize::from(setup & 1);
    let (action, body) = match (setup >> 1) & 7 {
        0 => (None, rest),
        n @ 1..=6 => (Some(ACTIONS[usize::from(n) - 1].to_owned()), rest),
        _ => {
            let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let action = String::from_utf8_lossy(&rest[..end]).into_owned();
            (Some(action), rest.get(end + 1..).unwrap_or_default())
        }
    };
    HARNESS.with(|harness| {
        let handler = &harness.handlers[endpoint];
        let reply = harness
            .runtime
            .block_on(handler.handle(Bytes::copy_from_slice(body), action));
        let encoder = TextMessageEncoder::new(VERSIONS[endpoint]);
        match reply {
            ReplyFrame::Reply(frame) | ReplyFrame::Fault(frame) => {
                if let Err(e) = encoder.decode(frame.clone()) {
                    panic!("the host's reply does not decode ({e}): {frame:?}");
                }
            }
            ReplyFrame::Accepted => {}
        }
    });
});
