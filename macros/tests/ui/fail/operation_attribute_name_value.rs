use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation = "AddTo"]
    async fn add_to(&mut self, value: f64);
}

fn main() {}
