// A contract that breaks a rule still generates its client and host types, so code using them
// shows only the real error.
#[indigo::service_contract]
pub trait Calculator {
    #[operation]
    async fn clear(&mut self);
    #[operation(initiating = false)]
    async fn add_to(&mut self, n: f64);
}

struct Service;

impl Calculator for Service {
    async fn clear(&mut self) {}
    async fn add_to(&mut self, _n: f64) {}
}

async fn use_it() -> Result<(), indigo::Error> {
    let _host = indigo::ServiceHost::builder(CalculatorContract::per_session(|| Service))
        .endpoint(indigo::MemoryBinding::new(), "memory://calc")
        .open()
        .await?;
    let client = CalculatorClient::connect(&indigo::MemoryBinding::new(), "memory://calc").await?;
    client.add_to(1.0).await?;
    Ok(())
}

fn main() {
    let _ = use_it();
}
