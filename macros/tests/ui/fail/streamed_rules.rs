use indigo::{service_contract, ByteStream, Fault};

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Denied;

// The stream is the whole request body, so it is the only parameter.
#[service_contract]
pub trait Files {
    #[operation]
    async fn upload(&self, name: String, data: ByteStream) -> u64;
    #[operation]
    async fn download(&self, name: String) -> Result<ByteStream, Fault<Denied>>;
}

// Streamed calls do not carry the session.
#[service_contract(session = Required)]
pub trait Session {
    #[operation(initiating)]
    async fn start(&mut self);
    #[operation(initiating = false)]
    async fn upload(&mut self, data: ByteStream);
    #[operation(initiating = false, terminating)]
    async fn finish(&mut self) -> ByteStream;
}

fn main() {}
