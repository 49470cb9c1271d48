use indigo::service_contract;

#[service_contract]
trait Calculator: Send + Sync {
    #[operation]
    async fn clear(&mut self);
}

fn main() {}
