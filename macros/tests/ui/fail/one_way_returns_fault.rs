use indigo::{service_contract, Fault};

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Overflow;

#[service_contract]
trait Calculator {
    #[operation(one_way)]
    async fn add_to(&mut self, value: f64) -> Result<(), Fault<Overflow>>;
}

fn main() {}
