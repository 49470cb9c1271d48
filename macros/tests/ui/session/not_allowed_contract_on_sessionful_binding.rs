#[indigo::service_contract(session = NotAllowed)]
pub trait Clock {
    #[operation]
    async fn now(&self) -> u64;
}

struct ClockService;

impl Clock for ClockService {
    async fn now(&self) -> u64 {
        0
    }
}

fn main() {
    let _ = indigo::ServiceHost::builder(ClockContract::single(ClockService))
        .endpoint(indigo::MemoryBinding::new(), "memory://clock");
}
