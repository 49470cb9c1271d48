use indigo::service_contract;

#[service_contract]
trait Calculator {
    const PRECISION: u32;
    type Number;
    #[operation]
    async fn clear(&mut self);
}

fn main() {}
