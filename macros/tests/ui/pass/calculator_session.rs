//! A valid session contract hosted and called the intended way compiles, including under
//! `#![no_implicit_prelude]` (generated code names everything by full path).
#![no_implicit_prelude]

extern crate indigo;
extern crate std;

#[indigo::service_contract(session = Required)]
pub trait Calculator {
    #[operation(initiating)]
    async fn clear(&mut self);
    #[operation(one_way, initiating = false)]
    async fn add_to(&mut self, #[param(name = "n")] value: f64);
    #[operation(initiating = false, terminating)]
    async fn equals(&mut self) -> f64;
}

struct CalculatorService(f64);

impl Calculator for CalculatorService {
    async fn clear(&mut self) {
        self.0 = 0.0;
    }
    async fn add_to(&mut self, value: f64) {
        self.0 += value;
    }
    async fn equals(&mut self) -> f64 {
        self.0
    }
}

async fn run() -> std::result::Result<f64, indigo::Error> {
    let _host = indigo::ServiceHost::builder(CalculatorContract::per_session(|| CalculatorService(0.0)))
        .endpoint(indigo::MemoryBinding::new(), "memory://pass-calc")
        .open()
        .await?;
    let client = CalculatorClient::connect(&indigo::MemoryBinding::new(), "memory://pass-calc").await?;
    let session = client.clear().await?;
    session.add_to(1.0).await?;
    session.equals().await
}

fn main() {
    let _ = run();
}
