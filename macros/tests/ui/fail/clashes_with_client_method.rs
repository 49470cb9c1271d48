#[indigo::service_contract(session = Required)]
pub trait Door {
    #[operation(initiating)]
    async fn open(&mut self);
    #[operation(initiating = false, terminating)]
    async fn close(&mut self);
}

fn main() {}
