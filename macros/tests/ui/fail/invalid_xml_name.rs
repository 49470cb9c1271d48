use indigo::service_contract;

#[service_contract(name = "calc:ICalculator")]
trait Calculator {
    #[operation(name = "Add To")]
    async fn add_to(&mut self, #[param(name = "1st")] value: f64);
    #[operation(name = "<Clear>")]
    async fn clear(&mut self);
}

fn main() {}
