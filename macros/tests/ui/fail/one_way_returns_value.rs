use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation(one_way)]
    async fn add_to(&mut self, value: f64) -> f64;
}

fn main() {}
