#[indigo::service_contract(session = Required)]
pub trait Cart {
    #[operation(initiating)]
    async fn begin(&mut self);
    #[operation(initiating = false, terminating)]
    async fn checkout(&mut self) -> u32;
}

async fn shop() {
    let _ = CartClient::connect(&indigo::MemoryDatagramBinding::new(), "memory://cart").await;
}

fn main() {
    let _ = shop();
}
