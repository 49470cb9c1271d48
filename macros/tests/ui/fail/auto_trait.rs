use indigo::service_contract;

#[service_contract]
auto trait Calculator {
    #[operation]
    async fn clear(&mut self);
}

fn main() {}
