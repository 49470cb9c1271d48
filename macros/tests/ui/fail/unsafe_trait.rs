use indigo::service_contract;

#[service_contract]
unsafe trait Calculator {
    #[operation]
    async fn clear(&mut self);
}

fn main() {}
