#[indigo::service_contract]
pub trait Greeter {
    #[operation]
    async fn greet(&self, name: &str) -> String;
    #[operation]
    async fn first(&self, names: Vec<&'static str>) -> u32;
    #[operation]
    async fn motto(&self) -> &'static str;
}

fn main() {}
