use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation]
    async fn add<T>(&self, value: T);
    #[operation]
    async fn scale<const N: usize>(&self, values: [f64; N]);
    #[operation]
    async fn echo<'a>(&'a self, text: String) -> String;
}

fn main() {}
