use indigo::service_contract;

#[service_contract(session = Required)]
trait Calculator {
    #[operation(initiating = false)]
    async fn add_to(&mut self, value: f64);
    #[operation(initiating = false, terminating)]
    async fn equals(&mut self) -> f64;
}

fn main() {}
