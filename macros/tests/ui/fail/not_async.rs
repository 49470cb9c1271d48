use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation]
    fn clear(&mut self);
}

fn main() {}
