//! A contract with stream operations: its client needs a binding that can carry streamed
//! calls, and its service is hosted on a streamed endpoint.

use indigo::{ByteStream, NetTcpBinding, ServiceHost};

#[indigo::service_contract(namespace = "http://example.org/files")]
pub trait Files {
    #[operation]
    async fn upload(&self, data: ByteStream) -> u64;
    #[operation]
    async fn download(&self, name: String) -> ByteStream;
    #[operation(one_way)]
    async fn discard(&self, data: ByteStream);
    #[operation]
    async fn size(&self, name: String) -> u64;
}

struct Store;

impl Files for Store {
    async fn upload(&self, _data: ByteStream) -> u64 {
        0
    }
    async fn download(&self, _name: String) -> ByteStream {
        ByteStream::from_bytes(&b""[..])
    }
    async fn discard(&self, _data: ByteStream) {}
    async fn size(&self, _name: String) -> u64 {
        0
    }
}

#[allow(dead_code)]
async fn use_it() -> Result<(), indigo::Error> {
    let binding = NetTcpBinding::new();
    let _host = ServiceHost::builder(FilesContract::per_call(|| Store))
        .endpoint(binding.clone(), "net.tcp://h/f")
        .open()
        .await?;
    let client = FilesClient::new(&binding, "net.tcp://h/f");
    let _: u64 = client.upload(ByteStream::from_bytes(&b"x"[..])).await?;
    let _: ByteStream = client.download("a".to_owned()).await?;
    client.discard(ByteStream::from_bytes(&b"x"[..])).await?;
    let _: u64 = client.size("a".to_owned()).await?;
    Ok(())
}

fn main() {}
