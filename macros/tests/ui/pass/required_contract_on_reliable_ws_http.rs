// With a reliable session a WsHttpBinding carries a session (WCF's
// `WSHttpBinding(SecurityMode.None, reliableSessionEnabled: true)`), so a `session = Required`
// contract is accepted on it, by the host and by the typestate client.
#[indigo::service_contract(session = Required)]
pub trait Cart {
    #[operation(initiating)]
    async fn begin(&mut self);
    #[operation(initiating = false, terminating)]
    async fn checkout(&mut self) -> u32;
}

#[derive(Default)]
struct Shop;

impl Cart for Shop {
    async fn begin(&mut self) {}
    async fn checkout(&mut self) -> u32 {
        1
    }
}

async fn shop() -> Result<u32, indigo::Error> {
    let binding = indigo::WsHttpBinding::new().with_reliable_session();
    let host = indigo::ServiceHost::builder(CartContract::per_session(Shop::default))
        .endpoint(binding.clone(), "http://127.0.0.1:0/cart")
        .open()
        .await?;
    let cart = CartClient::connect(&binding, &host.addresses()[0]).await?;
    let total = cart.begin().await?.checkout().await?;
    host.close().await?;
    Ok(total)
}

fn main() {
    let _ = shop();
}
