use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation]
    async fn sum(&self, values: impl IntoIterator<Item = f64>) -> f64;
    #[operation]
    async fn describe(&self) -> impl std::fmt::Display;
}

fn main() {}
