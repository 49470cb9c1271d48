use indigo::service_contract;

#[service_contract(name = "")]
trait Calculator {
    #[operation(name = "", action = "")]
    async fn add_to(&mut self, #[param(name = "")] value: f64);
}

fn main() {}
