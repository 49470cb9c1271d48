use indigo::service_contract;

#[service_contract]
trait Empty {}

fn main() {}
