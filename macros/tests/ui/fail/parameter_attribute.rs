use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation]
    async fn add_to(&mut self, #[serde(rename = "n")] value: f64, #[param(name = "m")] #[param] other: f64);
}

fn main() {}
