use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation]
    async fn clear(&mut self);
    /// Adds.
    async fn add_to(&mut self, value: f64);
}

fn main() {}
