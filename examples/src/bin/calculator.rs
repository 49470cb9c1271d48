//! The seed's calculator session, hosted and called in one process.
//!
//! ```text
//! cargo run -p indigo-examples --bin calculator                     # in-process
//! cargo run -p indigo-examples --bin calculator -- --binding tcp    # net.tcp on 127.0.0.1
//! cargo run -p indigo-examples --bin calculator -- --binding tcp-reliable   # + WS-RM session
//! cargo run -p indigo-examples --bin calculator -- --binding http-reliable  # WsHttp + WS-RM
//! ```
//!
//! The contract requires a session, so it cannot travel over plain HTTP: a sessionless binding
//! such as `WsHttpBinding` is rejected at compile time, as WCF rejects it when the host opens.
//! With a reliable session (`WsHttpBinding::new().with_reliable_session()`) it can.

use indigo::{Binding, MemoryBinding, NetTcpBinding, ServiceHost, WsHttpBinding};
use indigo_examples::calculator::{Calculator, CalculatorSessionClient, CalculatorSessionContract};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();

    let binding = std::env::args()
        .skip_while(|arg| arg != "--binding")
        .nth(1)
        .unwrap_or_else(|| "memory".to_owned());
    match binding.as_str() {
        "memory" => run(MemoryBinding::new(), "memory://calculator").await,
        "tcp" => run(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/calculator").await,
        "tcp-reliable" => {
            let binding = NetTcpBinding::new().with_reliable_session();
            run(binding, "net.tcp://127.0.0.1:0/calculator").await
        }
        "http-reliable" => {
            let binding = WsHttpBinding::new().with_reliable_session();
            run(binding, "http://127.0.0.1:0/calculator").await
        }
        other => Err(format!(
            "unknown binding {other:?}: use memory, tcp, tcp-reliable or http-reliable"
        )
        .into()),
    }
}

async fn run<B>(binding: B, address: &str) -> Result<(), Box<dyn std::error::Error>>
where
    B: Binding,
    CalculatorSessionContract: indigo::binding::CarriedBy<B>,
{
    let host = ServiceHost::builder(CalculatorSessionContract::per_session(Calculator::default))
        .endpoint(binding.clone(), address)
        .open()
        .await?;
    let address = host.addresses().remove(0);
    println!("service listening at {address} ({})", binding.name());

    let client = CalculatorSessionClient::connect(&binding, &address).await?;
    println!("client connected; session state: {:?}", client.state());

    let session = client.clear().await?;
    step("Clear()", "session started");
    session.add_to(5.0).await?;
    step("AddTo(5)", "sent one-way");
    session.subtract_from(2.0).await?;
    step("SubtractFrom(2)", "sent one-way");
    session.multiply_by(10.0).await?;
    step("MultiplyBy(10)", "sent one-way");
    session.divide_by(4.0).await?;
    step("DivideBy(4)", "sent one-way");
    let result = session.equals().await?;
    step("Equals()", &format!("{result} (session ended)"));

    host.close().await?;
    println!("service closed");
    Ok(())
}

fn step(call: &str, outcome: &str) {
    println!("{call:<18}-> {outcome}");
}
