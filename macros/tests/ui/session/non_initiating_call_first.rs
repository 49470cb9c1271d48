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
    client.add_to(5.0).await?;
    Ok(())
}

fn main() {
    let _ = misuse();
}
