use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation]
    async fn clear(&mut self);
    #[operation(terminating)]
    async fn equals(&mut self) -> f64;
}

fn main() {}
