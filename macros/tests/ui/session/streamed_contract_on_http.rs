//! A contract with stream operations needs streamed transfer, which only net.tcp carries.

use indigo::{BasicHttpBinding, ByteStream};

#[indigo::service_contract]
pub trait Files {
    #[operation]
    async fn upload(&self, data: ByteStream) -> u64;
}

fn main() {
    let _client = FilesClient::new(&BasicHttpBinding::new(), "http://h/files");
}
