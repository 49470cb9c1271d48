#[indigo::service_contract(session = Required)]
pub trait Calculator {
    #[operation(initiating)]
    async fn clear(&mut self);
    #[operation(one_way, initiating = false)]
    async fn add_to(&mut self, n: f64);
    #[operation(initiating = false, terminating)]
    async fn equals(&mut self) -> f64;
}

async fn misuse() -> Result<(), indigo::Error> {
    let client = CalculatorClient::connect(&indigo::MemoryBinding::new(), "memory://calc").await?;
    let session = client.clear().await?;
    let _total = session.equals().await?;
    session.add_to(1.0).await?;
    Ok(())
}

fn main() {
    let _ = misuse();
}
