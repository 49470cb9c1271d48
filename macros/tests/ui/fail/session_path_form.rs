use indigo::service_contract;

// The path form is accepted; the contract is rejected for its terminating operation.
#[service_contract(session = SessionMode::Allowed)]
trait Calculator {
    #[operation]
    async fn clear(&mut self);
    #[operation(terminating = true)]
    async fn equals(&mut self) -> f64;
}

fn main() {}
