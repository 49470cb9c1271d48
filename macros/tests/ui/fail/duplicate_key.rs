use indigo::service_contract;

#[service_contract(name = "ICalculator", name = "ICalc")]
trait Calculator {
    #[operation(one_way, one_way = false)]
    async fn add_to(&mut self, #[param(name = "n", name = "m")] value: f64);
}

fn main() {}
