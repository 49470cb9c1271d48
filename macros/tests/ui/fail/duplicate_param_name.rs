use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation]
    async fn add(&self, first_value: f64, #[param(name = "firstValue")] second: f64) -> f64;
}

fn main() {}
