//! The seed's calculator session, hosted and called in one process.
//!
//! Run with `cargo run -p indigo-examples --bin calculator`.

use indigo::{MemoryBinding, ServiceHost};
use indigo_examples::calculator::{Calculator, CalculatorSessionClient, CalculatorSessionContract};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();

    let address = "memory://calculator";
    let host = ServiceHost::builder(CalculatorSessionContract::per_session(Calculator::default))
        .endpoint(MemoryBinding::new(), address)
        .open()
        .await?;
    println!("service listening at {address}");

    let client = CalculatorSessionClient::connect(&MemoryBinding::new(), address).await?;
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
