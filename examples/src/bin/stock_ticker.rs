//! A duplex contract: a stock ticker that calls back into its subscribers (WCF's
//! `CallbackContract`), over net.tcp.
//!
//! ```text
//! cargo run -p indigo-examples --bin stock_ticker                  # net.tcp on 127.0.0.1
//! cargo run -p indigo-examples --bin stock_ticker -- --reliable    # + a WS-RM session
//! ```
//!
//! Three clients subscribe to symbols. The service keeps each session's callback proxy and a
//! publisher task sends every subscriber the prices of its symbol as one-way callbacks; when a
//! price crosses a subscriber's limit the service asks it, with a request-reply callback,
//! whether to sell. A client that leaves ends its session; the publisher then finds that
//! subscriber's proxy refusing callbacks and forgets it.

use indigo::binding::DuplexBinding;
use indigo::{Binding, NetTcpBinding, ServiceHost};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the service calls on its subscribers.
#[indigo::service_contract(namespace = "http://example.org/stocks/")]
pub trait TickerCallback {
    /// A new price for a subscribed symbol.
    #[operation(one_way)]
    async fn price(&mut self, symbol: String, price: f64);

    /// The price crossed the subscriber's limit: sell?
    #[operation]
    async fn sell(&self, symbol: String, price: f64) -> bool;
}

/// The ticker service.
#[indigo::service_contract(
    namespace = "http://example.org/stocks/",
    session = Required,
    callback = TickerCallback
)]
pub trait Ticker {
    /// Subscribes the calling session to `symbol`, asking to sell above `limit`.
    #[operation]
    async fn subscribe(&mut self, symbol: String, limit: f64) -> String;

    /// Ends the session (the publisher finds out on its next callback).
    #[operation(terminating)]
    async fn leave(&mut self);
}

/// One subscriber, as the publisher sees it.
struct Subscriber {
    symbol: String,
    limit: f64,
    client: TickerCallbackClient,
}

/// Subscribers by id, shared by the sessions and the publisher.
type Subscribers = Arc<Mutex<HashMap<u64, Arc<Subscriber>>>>;

struct TickerSession {
    subscribers: Subscribers,
    id: u64,
}

impl Ticker for TickerSession {
    async fn subscribe(&mut self, symbol: String, limit: f64) -> String {
        let client = match TickerContract::callback() {
            Ok(client) => client,
            Err(e) => return format!("no callback channel: {e}"),
        };
        let subscriber = Arc::new(Subscriber {
            symbol: symbol.clone(),
            limit,
            client,
        });
        let mut all = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        all.insert(self.id, subscriber);
        format!("subscriber {} watches {symbol}", self.id)
    }

    async fn leave(&mut self) {}
}

/// Sends every subscriber the prices of its symbol, for rounds `rounds`.
async fn publish(subscribers: &Subscribers, rounds: std::ops::Range<u32>) {
    for round in rounds {
        let current: Vec<(u64, Arc<Subscriber>)> = subscribers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(id, s)| (*id, s.clone()))
            .collect();
        for (id, subscriber) in current {
            let price = 100.0 + f64::from(round) * 2.5 + subscriber.symbol.len() as f64;
            let sent = subscriber
                .client
                .price(subscriber.symbol.clone(), price)
                .await;
            let answered = match sent {
                Ok(()) if price > subscriber.limit => subscriber
                    .client
                    .sell(subscriber.symbol.clone(), price)
                    .await
                    .map(Some),
                Ok(()) => Ok(None),
                Err(e) => Err(e),
            };
            match answered {
                Ok(Some(true)) => println!(
                    "publisher: subscriber {id} sells {} at {price}",
                    subscriber.symbol
                ),
                Ok(_) => {}
                Err(e) => {
                    // The subscriber's session ended: its proxy refuses callbacks.
                    println!("publisher: subscriber {id} is gone ({e})");
                    subscribers
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&id);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A client's callback instance: prints what it is told.
struct Watcher {
    name: &'static str,
    seen: u32,
}

impl TickerCallback for Watcher {
    async fn price(&mut self, symbol: String, price: f64) {
        self.seen += 1;
        println!("{}: {symbol} at {price} (price #{})", self.name, self.seen);
    }

    async fn sell(&self, symbol: String, price: f64) -> bool {
        println!("{}: asked to sell {symbol} at {price}: yes", self.name);
        true
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reliable = std::env::args().any(|arg| arg == "--reliable");
    if reliable {
        run(NetTcpBinding::new().with_reliable_session()).await
    } else {
        run(NetTcpBinding::new()).await
    }
}

async fn run<B>(binding: B) -> Result<(), Box<dyn std::error::Error>>
where
    B: Binding + DuplexBinding,
    TickerContract: indigo::binding::CarriedBy<B>,
{
    let subscribers: Subscribers = Arc::default();
    let next_id = Arc::new(std::sync::atomic::AtomicU64::new(1));
    let for_sessions = subscribers.clone();
    let host = ServiceHost::builder(TickerContract::per_session(move || TickerSession {
        subscribers: for_sessions.clone(),
        id: next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
    }))
    .endpoint(binding.clone(), "net.tcp://127.0.0.1:0/ticker")
    .open()
    .await?;
    let address = host.addresses().remove(0);
    println!("ticker listening at {address} ({})", binding.name());

    let mut clients = Vec::new();
    for (name, symbol, limit) in [
        ("ann", "CONTOSO", 106.0),
        ("bo", "FABRIKAM", 1e9),
        ("cy", "NWIND", 1e9),
    ] {
        let client =
            TickerClient::connect_with_callback(&binding, &address, Watcher { name, seen: 0 })
                .await?;
        let (client, answer) = client.subscribe(symbol.to_owned(), limit).await?;
        println!("{name}: {answer}");
        clients.push(client);
    }

    publish(&subscribers, 0..3).await;
    // One client leaves; the publisher finds out on its next callback and carries on with
    // the others.
    let early = clients.remove(0);
    early.leave().await?;
    println!("ann: left");
    publish(&subscribers, 3..6).await;
    for client in clients {
        client.leave().await?;
    }
    host.close().await?;
    println!(
        "ticker closed; {} subscribers left",
        subscribers.lock().unwrap_or_else(|p| p.into_inner()).len()
    );
    Ok(())
}
