use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation]
    async fn close(self);
    #[operation]
    async fn reset(mut self);
    #[operation]
    async fn boxed(self: Box<Self>);
}

fn main() {}
