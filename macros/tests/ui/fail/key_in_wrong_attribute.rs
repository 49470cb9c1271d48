use indigo::service_contract;

#[service_contract(one_way)]
trait Calculator {
    #[operation(session = Required)]
    async fn clear(&mut self);
    #[operation(namespace = "urn:calc")]
    async fn add_to(&mut self, #[param(action = "urn:x")] value: f64);
}

fn main() {}
