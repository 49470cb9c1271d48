use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation]
    async fn add(a: f64, b: f64) -> f64;
}

fn main() {}
