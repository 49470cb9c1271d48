use indigo::service_contract;

#[service_contract(name = ICalculator, namespace = 5)]
trait Calculator {
    #[operation(one_way = 1, initiating = "yes", terminating(true))]
    async fn add_to(&mut self, value: f64);
    #[operation(name, action = urn)]
    async fn clear(&mut self, #[param(name = 'n')] value: f64);
}

fn main() {}
