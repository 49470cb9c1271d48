use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation(one_way)]
    #[indigo::operation(initiating)]
    async fn add_to(&mut self, value: f64);
}

fn main() {}
