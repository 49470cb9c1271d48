//! Allowed contracts work over both kinds of binding; NotAllowed ones over sessionless ones.

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Oops {
    pub why: String,
}

#[indigo::service_contract(namespace = "urn:example")]
pub trait Echo {
    #[operation]
    async fn echo(&self, text: String) -> String;
    #[operation(name = "Check", action = "urn:check")]
    async fn validate(&self, value: i32) -> Result<(), indigo::Fault<Oops>>;
    #[operation(one_way)]
    async fn note(&mut self, text: String);
}

#[indigo::service_contract(session = NotAllowed)]
pub trait Clock {
    #[operation]
    async fn now(&self) -> u64;
}

struct Service;

impl Echo for Service {
    async fn echo(&self, text: String) -> String {
        text
    }
    async fn validate(&self, _value: i32) -> Result<(), indigo::Fault<Oops>> {
        Ok(())
    }
    async fn note(&mut self, _text: String) {}
}

impl Clock for Service {
    async fn now(&self) -> u64 {
        0
    }
}

fn main() {
    let _ = indigo::ServiceHost::builder(EchoContract::per_call(|| Service))
        .endpoint(indigo::MemoryBinding::new(), "memory://echo")
        .endpoint(indigo::MemoryDatagramBinding::new(), "memory://echo-datagram");
    let _ = indigo::ServiceHost::builder(ClockContract::single(Service))
        .endpoint(indigo::MemoryDatagramBinding::new(), "memory://clock");
}
