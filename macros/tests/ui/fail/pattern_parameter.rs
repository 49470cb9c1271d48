use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation]
    async fn add(&self, (a, b): (f64, f64)) -> f64;
    #[operation]
    async fn ignore(&self, _: f64);
    #[operation]
    async fn bump(&self, mut value: f64) -> f64;
}

fn main() {}
