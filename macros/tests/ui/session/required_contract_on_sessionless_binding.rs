#[indigo::service_contract(session = Required)]
pub trait Cart {
    #[operation(initiating)]
    async fn begin(&mut self);
    #[operation(initiating = false, terminating)]
    async fn checkout(&mut self) -> u32;
}

struct CartService;

impl Cart for CartService {
    async fn begin(&mut self) {}
    async fn checkout(&mut self) -> u32 {
        0
    }
}

fn main() {
    let _ = indigo::ServiceHost::builder(CartContract::per_session(|| CartService))
        .endpoint(indigo::MemoryDatagramBinding::new(), "memory://cart");
}
