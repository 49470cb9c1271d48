//! A service with stream operations is hosted on streamed transfer, which only net.tcp has:
//! an HTTP endpoint for it does not compile.

use indigo::{BasicHttpBinding, ByteStream, ServiceHost};

#[indigo::service_contract]
pub trait Files {
    #[operation]
    async fn upload(&self, data: ByteStream) -> u64;
}

struct Store;

impl Files for Store {
    async fn upload(&self, _data: ByteStream) -> u64 {
        0
    }
}

fn main() {
    let _builder = ServiceHost::builder(FilesContract::per_call(|| Store))
        .endpoint(BasicHttpBinding::new(), "http://h/files");
}
