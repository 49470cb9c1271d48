use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation]
    async fn add_to(&mut self, value: f64);
    #[operation(name = "AddTo")]
    async fn add_to_twice(&mut self, value: f64);
}

fn main() {}
