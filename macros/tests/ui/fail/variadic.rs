use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation]
    async fn sum(&self, first: f64, rest: ...) -> f64;
}

fn main() {}
