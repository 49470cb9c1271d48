//! Duplex contracts (WCF's `CallbackContract`): a service calling back into its client over
//! the session's channel. One-way and request-reply callbacks, during an operation (a
//! `&mut self` one included: Indigo's session reads callback replies while any operation runs,
//! so WCF's re-entrancy deadlock cannot happen) and after it from a proxy the service kept;
//! the proxy fails plainly once the session has ended. Over the in-process binding and
//! net.tcp, and over net.tcp with a reliable session.

use indigo::{Error, MemoryBinding, NetTcpBinding, ServiceHost};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

#[indigo::service_contract(namespace = "http://example.org/ticker/")]
pub trait TickerCallback {
    /// A price moved.
    #[operation(one_way)]
    async fn price_changed(&mut self, symbol: String, price: f64);

    /// The service asks the client to confirm an order.
    #[operation]
    async fn confirm(&self, order: String) -> bool;
}

#[indigo::service_contract(
    namespace = "http://example.org/ticker/",
    session = Required,
    callback = TickerCallback
)]
pub trait Ticker {
    /// Sends `count` prices of `symbol` as one-way callbacks during the call, then asks the
    /// client to confirm (a request-reply callback from a `&mut self` operation) and returns
    /// its answer. Keeps the proxy for later.
    #[operation]
    async fn subscribe(&mut self, symbol: String, count: u32) -> bool;

    /// Returns at once; a task of the service sends `count` more prices afterwards.
    #[operation(one_way)]
    async fn publish_later(&mut self, count: u32);

    /// Whether a callback through the kept proxy fails, after `wait_ms`: what the service
    /// saw, as text.
    #[operation]
    async fn try_callback(&self, wait_ms: u32) -> String;

    #[operation(terminating)]
    async fn unsubscribe(&mut self);
}

/// What the client's callback instance saw.
#[derive(Default)]
struct Seen {
    prices: Vec<(String, f64)>,
}

struct ClientCallbacks {
    seen: Arc<Mutex<Seen>>,
    prices: mpsc::UnboundedSender<f64>,
    confirm: bool,
}

impl TickerCallback for ClientCallbacks {
    async fn price_changed(&mut self, symbol: String, price: f64) {
        self.seen.lock().unwrap().prices.push((symbol, price));
        let _ = self.prices.send(price);
    }

    async fn confirm(&self, order: String) -> bool {
        self.confirm && order.starts_with("buy ")
    }
}

struct TickerService {
    symbol: String,
    proxy: Option<Arc<TickerCallbackClient>>,
    /// What a kept proxy's later callback did, for `try_callback`.
    outcome: Arc<Mutex<Vec<String>>>,
}

impl TickerService {
    fn new(outcome: Arc<Mutex<Vec<String>>>) -> Self {
        TickerService {
            symbol: String::new(),
            proxy: None,
            outcome,
        }
    }
}

impl Ticker for TickerService {
    async fn subscribe(&mut self, symbol: String, count: u32) -> bool {
        let proxy = Arc::new(TickerContract::callback().expect("a callback proxy"));
        for i in 0..count {
            proxy
                .price_changed(symbol.clone(), f64::from(i) + 0.5)
                .await
                .expect("a one-way callback");
        }
        // A request-reply callback from an exclusive operation: the session reads its reply
        // while this operation holds the session's turn.
        let confirmed = proxy
            .confirm(format!("buy {symbol}"))
            .await
            .expect("the client answers");
        self.symbol = symbol;
        self.proxy = Some(proxy);
        confirmed
    }

    async fn publish_later(&mut self, count: u32) {
        let proxy = self.proxy.clone().expect("subscribed first");
        let symbol = self.symbol.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            for i in 0..count {
                if proxy
                    .price_changed(symbol.clone(), 1000.0 + f64::from(i))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
    }

    async fn try_callback(&self, wait_ms: u32) -> String {
        let proxy = self.proxy.clone().expect("subscribed first");
        let outcome = self.outcome.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(u64::from(wait_ms))).await;
            let result = proxy.confirm("buy later".to_owned()).await;
            outcome.lock().unwrap().push(match result {
                Ok(answer) => format!("ok {answer}"),
                Err(Error::InvalidState { .. }) => "session ended".to_owned(),
                Err(other) => format!("error {other}"),
            });
        });
        "scheduled".to_owned()
    }

    async fn unsubscribe(&mut self) {}
}

async fn duplex_over<B>(binding: B, address: &str)
where
    B: indigo::Binding + indigo::binding::DuplexBinding,
    TickerContract: indigo::binding::CarriedBy<B>,
{
    let outcome = Arc::new(Mutex::new(Vec::new()));
    let for_factory = outcome.clone();
    let host = ServiceHost::builder(TickerContract::per_session(move || {
        TickerService::new(for_factory.clone())
    }))
    .endpoint(binding.clone(), address)
    .open()
    .await
    .expect("the host opens");
    let address = host.addresses()[0].clone();

    let seen = Arc::new(Mutex::new(Seen::default()));
    let (prices, mut price_rx) = mpsc::unbounded_channel();
    let callbacks = ClientCallbacks {
        seen: seen.clone(),
        prices,
        confirm: true,
    };
    let client = TickerClient::connect_with_callback(&binding, &address, callbacks)
        .await
        .expect("connects");

    // During the call: 20 one-way callbacks, in order, then a request-reply one.
    let (client, confirmed) = tokio::time::timeout(
        Duration::from_secs(10),
        client.subscribe("CONTOSO".to_owned(), 20),
    )
    .await
    .expect("no deadlock")
    .expect("subscribed");
    assert!(confirmed, "the client's answer came back");
    for i in 0..20 {
        let price = tokio::time::timeout(Duration::from_secs(5), price_rx.recv())
            .await
            .expect("a price in time")
            .expect("a price");
        assert_eq!(price, f64::from(i) + 0.5, "callbacks keep their order");
    }

    // After the call: the service's kept proxy goes on calling back.
    client.publish_later(5).await.expect("sent");
    for i in 0..5 {
        let price = tokio::time::timeout(Duration::from_secs(5), price_rx.recv())
            .await
            .expect("a later price in time")
            .expect("a price");
        assert_eq!(price, 1000.0 + f64::from(i));
    }
    assert!(seen
        .lock()
        .unwrap()
        .prices
        .iter()
        .all(|(symbol, _)| symbol == "CONTOSO"));

    // A callback made after the session ended fails with a clear error.
    assert_eq!(
        client.try_callback(300).await.expect("scheduled"),
        "scheduled"
    );
    client.unsubscribe().await.expect("unsubscribed");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while outcome.lock().unwrap().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(outcome.lock().unwrap().as_slice(), ["session ended"]);
    host.close().await.expect("closes");
}

#[tokio::test]
async fn callbacks_during_and_after_an_operation_over_memory() {
    duplex_over(MemoryBinding::new(), "memory://duplex-ticker").await;
}

#[tokio::test]
async fn callbacks_during_and_after_an_operation_over_net_tcp() {
    duplex_over(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/ticker").await;
}

#[tokio::test]
async fn callbacks_over_a_reliable_session_on_net_tcp() {
    duplex_over(
        NetTcpBinding::new().with_reliable_session(),
        "net.tcp://127.0.0.1:0/reliable-ticker",
    )
    .await;
}

#[tokio::test]
async fn a_callback_proxy_outside_an_operation_is_an_error() {
    let error = TickerContract::callback().expect_err("no operation");
    assert!(error.to_string().contains("within an operation"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// Callbacks over a reliable session through dropped connections.

#[indigo::service_contract(namespace = "http://example.org/feed/")]
pub trait FeedCallback {
    #[operation(one_way)]
    async fn item(&mut self, number: u32);
}

#[indigo::service_contract(namespace = "http://example.org/feed/", callback = FeedCallback)]
pub trait Feed {
    /// Returns at once; a task of the service then sends `count` numbered callbacks.
    #[operation]
    async fn start(&self, count: u32) -> bool;
}

struct FeedService;

impl Feed for FeedService {
    async fn start(&self, count: u32) -> bool {
        let client = FeedContract::callback().expect("a callback proxy");
        tokio::spawn(async move {
            for number in 0..count {
                if let Err(e) = client.item(number).await {
                    panic!("callback {number} failed: {e}");
                }
            }
        });
        true
    }
}

struct FeedWatcher {
    items: mpsc::UnboundedSender<u32>,
}

impl FeedCallback for FeedWatcher {
    async fn item(&mut self, number: u32) {
        let _ = self.items.send(number);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_callbacks_over_a_reliable_session_arrive_once_and_in_order_through_cuts() {
    use indigo_tests::chaos::ChaosProxy;
    const COUNT: u32 = 10_000;
    let upstream = indigo_tests::gsoap::free_port();
    // Every connection through the proxy is cut every 150-400 ms (seeded).
    let every = (Duration::from_millis(150), Duration::from_millis(400));
    let proxy = ChaosProxy::start(upstream, Some(every), 0x0dd_ba11).await;
    let address = format!("net.tcp://127.0.0.1:{}/feed", proxy.port());
    let host = ServiceHost::builder(FeedContract::per_session(|| FeedService))
        .endpoint_with_listen_address(
            NetTcpBinding::new().with_reliable_session(),
            &address,
            format!("net.tcp://127.0.0.1:{upstream}/feed"),
        )
        .open()
        .await
        .expect("the host opens");
    let (items, mut received) = mpsc::unbounded_channel();
    let client = FeedClient::connect_with_callback(
        &NetTcpBinding::new().with_reliable_session(),
        &address,
        FeedWatcher { items },
    )
    .await
    .expect("connects");
    assert!(client.start(COUNT).await.expect("started"));
    let all = async {
        for expected in 0..COUNT {
            let number = received.recv().await.expect("a callback");
            assert_eq!(number, expected, "exactly once and in order");
        }
    };
    tokio::time::timeout(Duration::from_secs(240), all)
        .await
        .expect("every callback through the cuts in time");
    assert!(proxy.cuts() > 0, "the proxy cut the connection");
    // Nothing more than the ten thousand.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), received.recv())
            .await
            .is_err(),
        "a callback came twice"
    );
    client.close().await.expect("closes");
    host.close().await.expect("closes");
}

// ---------------------------------------------------------------------------------------------
// Many subscribers, one of them stuck.

#[indigo::service_contract(namespace = "http://example.org/news/")]
pub trait NewsCallback {
    #[operation(one_way)]
    async fn news(&mut self, number: u32);
}

#[indigo::service_contract(namespace = "http://example.org/news/", callback = NewsCallback)]
pub trait News {
    /// Registers the calling session's client as a subscriber.
    #[operation]
    async fn join(&self) -> bool;
}

type Subscribers = Arc<Mutex<Vec<Arc<NewsCallbackClient>>>>;

struct NewsService {
    subscribers: Subscribers,
}

impl News for NewsService {
    async fn join(&self) -> bool {
        let client = NewsContract::callback().expect("a callback proxy");
        self.subscribers.lock().unwrap().push(Arc::new(client));
        true
    }
}

/// A subscriber that counts its news, or one stuck in its first callback for good.
struct Reader {
    received: mpsc::UnboundedSender<u32>,
    stuck: bool,
}

impl NewsCallback for Reader {
    async fn news(&mut self, number: u32) {
        if self.stuck {
            std::future::pending::<()>().await;
        }
        let _ = self.received.send(number);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_subscriber_fills_only_its_own_queue_and_a_thousand_others_carry_on() {
    const FAST: usize = 999;
    let subscribers: Subscribers = Arc::default();
    let for_service = subscribers.clone();
    let host = ServiceHost::builder(NewsContract::per_session(move || NewsService {
        subscribers: for_service.clone(),
    }))
    .callback_queue_limit(16)
    .when_callback_queue_full(indigo::service::WhenCallbackQueueFull::Refuse)
    // A thousand sessions at once: above WCF's default of 100 per processor.
    .throttle(indigo::ServiceThrottle {
        max_concurrent_calls: 2_000,
        max_concurrent_sessions: 2_000,
        max_concurrent_instances: 2_000,
    })
    .endpoint(MemoryBinding::new(), "memory://news")
    .open()
    .await
    .expect("the host opens");
    let binding = MemoryBinding::new();

    // The stuck subscriber joins first: it is subscribers[0].
    let (stuck_tx, _stuck_rx) = mpsc::unbounded_channel();
    let stuck = NewsClient::connect_with_callback(
        &binding,
        "memory://news",
        Reader {
            received: stuck_tx,
            stuck: true,
        },
    )
    .await
    .expect("connects");
    assert!(stuck.join().await.expect("joined"));
    let (received, mut news) = mpsc::unbounded_channel();
    let mut clients = Vec::with_capacity(FAST);
    for _ in 0..FAST {
        let client = NewsClient::connect_with_callback(
            &binding,
            "memory://news",
            Reader {
                received: received.clone(),
                stuck: false,
            },
        )
        .await
        .expect("connects");
        assert!(client.join().await.expect("joined"));
        clients.push(client);
    }
    let all: Vec<Arc<NewsCallbackClient>> = subscribers.lock().unwrap().clone();
    assert_eq!(all.len(), FAST + 1);

    // The stuck subscriber takes callbacks until its own pipeline is full (its client's queue,
    // the in-process transport's, then its session's 16), then each one is refused at once.
    let mut accepted = 0;
    let refused = loop {
        match all[0].news(accepted).await {
            Ok(()) => accepted += 1,
            Err(e) => break e,
        }
        assert!(
            accepted < 10_000,
            "the stuck subscriber's queue never filled"
        );
    };
    assert!(
        matches!(refused, Error::CallbackQueueFull { limit: 16 }),
        "{refused}"
    );
    // Every other subscriber still gets its news.
    for subscriber in &all[1..] {
        subscriber
            .news(7)
            .await
            .expect("a working subscriber takes it");
    }
    for _ in 0..FAST {
        let number = tokio::time::timeout(Duration::from_secs(10), news.recv())
            .await
            .expect("every working subscriber's news in time")
            .expect("news");
        assert_eq!(number, 7);
    }
    for client in clients {
        client.close().await.expect("closes");
    }
    stuck.abort();
    host.abort();
}

mod reentrancy {
    use indigo::{NetTcpBinding, ServiceHost};
    use std::sync::{Arc, OnceLock};
    use std::time::{Duration, Instant};

    /// The callback: a question the client answers.
    #[indigo::service_contract(namespace = "urn:reentry")]
    pub trait Ask {
        #[operation]
        async fn ask(&self, question: String) -> String;
    }

    #[indigo::service_contract(namespace = "urn:reentry", callback = Ask)]
    pub trait Quiz {
        /// Holds the instance and asks the client a question.
        #[operation]
        async fn start(&mut self) -> String;

        #[operation]
        async fn hint(&self) -> String;
    }

    struct QuizService;

    impl Quiz for QuizService {
        async fn start(&mut self) -> String {
            match QuizContract::callback() {
                Ok(callback) => callback
                    .ask("?".into())
                    .await
                    .unwrap_or_else(|e| format!("no answer: {e}")),
                Err(e) => format!("no callback: {e}"),
            }
        }

        async fn hint(&self) -> String {
            "a hint".into()
        }
    }

    /// Answers the question by calling the service back on the same session: the call that
    /// WCF's ConcurrencyMode.Single would deadlock on.
    struct Asker {
        client: Arc<OnceLock<Arc<QuizClient>>>,
    }

    impl Ask for Asker {
        async fn ask(&self, _question: String) -> String {
            let Some(client) = self.client.get() else {
                return "no client".into();
            };
            match client.hint().await {
                Ok(hint) => format!("got {hint}"),
                Err(e) => format!("refused: {e}"),
            }
        }
    }

    /// Indigo's re-entrancy rule: while a `&mut self` operation waits for a request-reply
    /// callback, a call back into the session is refused at once with a fault saying why, so
    /// the callback can answer and the operation ends: no deadlock until a timeout.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_call_back_into_a_busy_session_is_refused_not_deadlocked() {
        let host = ServiceHost::builder(QuizContract::per_session(|| QuizService))
            .endpoint(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/quiz")
            .open()
            .await
            .expect("open");
        let cell = Arc::new(OnceLock::new());
        let client = QuizClient::connect_with_callback(
            &NetTcpBinding::new(),
            &host.addresses()[0],
            Asker {
                client: cell.clone(),
            },
        )
        .await
        .expect("connect");
        let client = Arc::new(client);
        let _ = cell.set(client.clone());
        let started = Instant::now();
        let answer = client.start().await.expect("start");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert!(answer.starts_with("refused: "), "{answer}");
        assert!(answer.contains("would deadlock"), "{answer}");
        // Outside a callback the same call runs.
        assert_eq!(client.hint().await.expect("hint"), "a hint");
        host.close().await.expect("close");
    }
}
