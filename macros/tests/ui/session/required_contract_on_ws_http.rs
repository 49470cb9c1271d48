// A session contract cannot go over plain HTTP: WCF refuses it when the host opens ("Contract
// requires Session, but Binding 'WSHttpBinding' doesn't support it"); Indigo at compile time.
#[indigo::service_contract(session = Required)]
pub trait Cart {
    #[operation(initiating)]
    async fn begin(&mut self);
    #[operation(initiating = false, terminating)]
    async fn checkout(&mut self) -> u32;
}

async fn shop() {
    let _ = CartClient::connect(&indigo::WsHttpBinding::new(), "http://127.0.0.1:8080/cart").await;
}

fn main() {
    let _ = shop();
}
