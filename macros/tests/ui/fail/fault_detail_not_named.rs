use indigo::{service_contract, Fault};

#[service_contract]
trait Calculator {
    #[operation]
    async fn divide(&self, a: f64, b: f64) -> Result<f64, Fault<(i32, String)>>;
}

fn main() {}
