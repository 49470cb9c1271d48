use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation(one_way, reply_action = "urn:calc/AddToResponse")]
    async fn add_to(&mut self, value: f64);
}

fn main() {}
