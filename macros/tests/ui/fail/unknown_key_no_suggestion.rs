use indigo::service_contract;

#[service_contract(timeout = 30)]
trait Calculator {
    #[operation(async)]
    async fn clear(&mut self);
    #[operation(timeout = 5)]
    async fn add_to(&mut self, #[param(xml::attribute)] value: f64);
}

fn main() {}
