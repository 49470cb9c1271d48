use indigo::service_contract;

#[service_contract]
struct Calculator {
    total: f64,
}

fn main() {}
