use indigo::service_contract;

#[service_contract(namespace = "urn:calc")]
trait Calculator {
    #[operation(action = "urn:calc/Calculator/Add")]
    async fn add(&mut self, value: f64);
    #[operation(action = "urn:calc/Calculator/Add")]
    async fn subtract(&mut self, value: f64);
}

fn main() {}
