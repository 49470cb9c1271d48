use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation]
    async fn zero(&self) -> f64 {
        0.0
    }
}

fn main() {}
