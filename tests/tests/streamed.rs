//! Streamed transfer over net.tcp (singleton mode, msbin1): a large upload and a large
//! download over loopback, content checked on the fly and peak memory flat.
//!
//! This binary holds only streamed tests, all small (at most 8 MB) except the large one, so
//! the process's peak RSS (VmHWM) is the large transfer's doing. The large case moves 100 MB
//! each way through a generated client and dispatcher, in debug builds too (a few seconds).
//! Every endpoint is a `ServiceHost` endpoint: a contract with stream operations gets a
//! streamed one.

use indigo::{ByteStream, Error, NetTcpBinding, ServiceHost};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

/// Deterministic bytes, generated as they are read: no payload is ever held in memory.
struct Pattern {
    remaining: u64,
    state: u64,
}

impl Pattern {
    fn new(len: u64) -> Self {
        Pattern {
            remaining: len,
            state: 0x9E37_79B9_7F4A_7C15,
        }
    }
}

impl AsyncRead for Pattern {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // Whole words keep this fast in debug builds.
        let room = buf.remaining() & !7;
        let n = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(room);
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            // xorshift64
            let mut x = self.state;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.state = x;
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.truncate(n);
        buf.put_slice(&out);
        self.remaining -= n as u64;
        Poll::Ready(Ok(()))
    }
}

/// Length and an order-sensitive checksum of a stream, read in pieces.
async fn digest(mut stream: impl AsyncRead + Unpin) -> io::Result<(u64, u64)> {
    let mut buf = vec![0u8; 64 * 1024];
    let (mut len, mut sum) = (0u64, 0u64);
    loop {
        let read = stream.read(&mut buf).await?;
        if read == 0 {
            return Ok((len, sum));
        }
        for &byte in &buf[..read] {
            sum = sum.rotate_left(5) ^ u64::from(byte);
        }
        len += read as u64;
    }
}

async fn expected_digest(len: u64) -> (u64, u64) {
    digest(Pattern::new(len)).await.unwrap()
}

fn binding() -> NetTcpBinding {
    // WCF applies MaxReceivedMessageSize to streamed messages too; raise it as WCF users do.
    NetTcpBinding::new().with_max_received_message_size(1 << 30)
}

/// Peak and current resident memory of this process, in bytes.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[indigo::service_contract(name = "IFiles", namespace = "http://example.org/files")]
pub trait Files {
    /// WCF: `string Upload(Stream data)`.
    #[operation]
    async fn upload(&self, data: ByteStream) -> String;
    /// WCF: `Stream Download(long size)`.
    #[operation]
    async fn download(&self, size: u64) -> ByteStream;
    /// A buffered operation of a streamed contract also travels in singleton mode.
    #[operation]
    async fn echo(&self, text: String) -> String;
    /// A stream that goes nowhere: one-way, answered with End only.
    #[operation(one_way)]
    async fn discard(&self, data: ByteStream);
}

/// Answers with digests; an upload it could not read is answered with the read's error, and
/// reported on `seen` when there is one.
#[derive(Default)]
struct FilesService {
    seen: Option<tokio::sync::mpsc::Sender<io::Result<(u64, u64)>>>,
}

impl Files for FilesService {
    async fn upload(&self, data: ByteStream) -> String {
        let read = digest(data).await;
        let answer = match &read {
            Ok((len, sum)) => format!("{len}:{sum}"),
            Err(error) => format!("unread: {error}"),
        };
        if let Some(seen) = &self.seen {
            let _ = seen.send(read).await;
        }
        answer
    }

    async fn download(&self, size: u64) -> ByteStream {
        ByteStream::new(Pattern::new(size))
    }

    async fn echo(&self, text: String) -> String {
        format!("echo:{text}")
    }

    async fn discard(&self, data: ByteStream) {
        digest(data).await.expect("read the discarded stream");
    }
}

/// The files service hosted by `ServiceHost` (a streamed contract gets a streamed endpoint).
async fn files_host(service: indigo::Service<FilesContract, FilesService>) -> ServiceHost {
    ServiceHost::builder(service)
        .endpoint(binding(), "net.tcp://127.0.0.1:0/files")
        .open()
        .await
        .expect("open the streamed host")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_contract_uploads_downloads_and_echoes() {
    let host = files_host(FilesContract::per_call(FilesService::default)).await;
    let client = FilesClient::new(&binding(), &host.addresses()[0]);
    for len in [0u64, 1, 3, 7, 65_536, 200_001, 1 << 20] {
        let (elen, esum) = expected_digest(len).await;
        let stream = ByteStream::new(Pattern::new(len));
        assert_eq!(
            client.upload(stream).await.unwrap(),
            format!("{elen}:{esum}"),
            "upload of {len} bytes"
        );
        let download = client.download(len).await.unwrap();
        assert_eq!(
            digest(download).await.unwrap(),
            (elen, esum),
            "download of {len} bytes"
        );
    }
    assert_eq!(client.echo("hi".to_owned()).await.unwrap(), "echo:hi");
    client
        .discard(ByteStream::from_bytes(&b"gone"[..]))
        .await
        .unwrap();
    host.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_received_message_size_applies_to_streamed_messages() {
    // As in WCF, the operation starts with the head and meets the limit while it reads.
    let (seen, mut saw) = tokio::sync::mpsc::channel(1);
    let host = ServiceHost::builder(FilesContract::single(FilesService { seen: Some(seen) }))
        .endpoint(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/files")
        .open()
        .await
        .unwrap();
    let client = FilesClient::new(&binding(), &host.addresses()[0]);
    let upload = client.upload(ByteStream::new(Pattern::new(1 << 20))).await;
    let error = saw.recv().await.unwrap().unwrap_err().to_string();
    assert!(error.contains("exceeds the maximum of 65536"), "{error}");
    match upload {
        Err(_) => {}
        Ok(answer) => assert!(answer.starts_with("unread: "), "{answer}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_never_answers_times_the_call_out() {
    use tokio::io::AsyncWriteExt;
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("net.tcp://{}/files", socket.local_addr().unwrap());
    let silent = tokio::spawn(async move {
        let (mut tcp, _) = socket.accept().await.unwrap();
        let mut preamble = vec![0u8; 1024];
        let _ = tcp.read(&mut preamble).await.unwrap();
        tcp.write_all(&[0x0B]).await.unwrap();
        // Read the request, answer nothing.
        let mut sink = Vec::new();
        let _ = tcp.read_to_end(&mut sink).await;
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
    });
    let binding = binding().with_send_timeout(std::time::Duration::from_millis(300));
    let client = FilesClient::new(&binding, &address);
    let error = client
        .upload(ByteStream::from_bytes(&b"data"[..]))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout(_)), "{error}");
    silent.abort();
}

/// Through the generated client and dispatcher: 100 MB up, 100 MB down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_megabytes_each_way_in_flat_memory() {
    const LEN: u64 = 100 * 1024 * 1024;
    let host = files_host(FilesContract::single(FilesService::default())).await;
    let client = FilesClient::new(&binding(), &host.addresses()[0]);
    let (elen, esum) = expected_digest(LEN).await;
    // Warm up the runtime and allocator before the baseline.
    client
        .upload(ByteStream::new(Pattern::new(1 << 20)))
        .await
        .unwrap();
    let (peak_before, _) = memory();

    let upload = client.upload(ByteStream::new(Pattern::new(LEN))).await;
    assert_eq!(upload.unwrap(), format!("{elen}:{esum}"));
    let download = client.download(LEN).await.unwrap();
    assert_eq!(digest(download).await.unwrap(), (elen, esum));

    let (peak_after, rss_after) = memory();
    let growth = peak_after.saturating_sub(peak_before);
    eprintln!("VmHWM {peak_before} -> {peak_after} (+{growth}), VmRSS {rss_after}");
    assert!(
        growth < 32 << 20,
        "peak memory grew by {growth} bytes for a {LEN}-byte transfer each way"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_binding_cannot_carry_streamed_calls() {
    let client = FilesClient::new(
        &indigo::CustomBinding::tcp_text(),
        "net.tcp://127.0.0.1:9/files",
    );
    let error = client.echo("hi".to_owned()).await.unwrap_err();
    assert!(matches!(error, Error::Configuration(_)), "{error}");
    let error = ServiceHost::builder(FilesContract::single(FilesService::default()))
        .endpoint(
            indigo::CustomBinding::tcp_text(),
            "net.tcp://127.0.0.1:0/files",
        )
        .open()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Configuration(_)), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closing_host_lets_a_running_upload_finish() {
    use tokio::io::AsyncWriteExt;
    let host = files_host(FilesContract::single(FilesService::default())).await;
    let client = FilesClient::new(&binding(), &host.addresses()[0]);
    let (mut writer, reader) = tokio::io::duplex(64 * 1024);
    let upload = tokio::spawn(async move { client.upload(ByteStream::new(reader)).await });
    writer.write_all(b"before the close, ").await.unwrap();
    // Let the service start reading the stream, then close the host while it is.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let closing = tokio::spawn(host.close());
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(
        !closing.is_finished(),
        "the close waits for the running upload"
    );
    writer.write_all(b"and after it").await.unwrap();
    drop(writer);
    let sent = b"before the close, and after it";
    let expected = digest(&sent[..]).await.unwrap();
    assert_eq!(
        upload.await.unwrap().unwrap(),
        format!("{}:{}", expected.0, expected.1)
    );
    closing.await.unwrap().unwrap();
}
