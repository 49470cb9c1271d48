// A reliable session makes every channel a session, so a `session = NotAllowed` contract cannot
// go over it, whatever the transport underneath.
#[indigo::service_contract(session = NotAllowed)]
pub trait Clock {
    #[operation]
    async fn now(&self) -> u64;
}

async fn ask() {
    let binding = indigo::WsHttpBinding::new().with_reliable_session();
    let _ = ClockClient::connect(&binding, "http://127.0.0.1:8080/clock").await;
}

fn main() {
    let _ = ask();
}
