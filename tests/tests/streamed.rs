//! Streamed transfer over net.tcp (singleton mode, msbin1): a large upload and a large
//! download over loopback, content checked on the fly and peak memory flat.
//!
//! This binary holds only streamed tests, all small (at most 1 MB) except the large one, so
//! the process's peak RSS (VmHWM) is the large transfer's doing. The large case moves 100 MB
//! each way through a generated client and dispatcher, in debug builds too (a few seconds).

use indigo::message::{Body, BodyReader, BodyWriter, Message};
use indigo::stream::{handler_fn, StreamedClient, StreamedHost, StreamedMessage};
use indigo::{ByteStream, NetTcpBinding};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

const NS: &str = "http://example.org/files";
const UPLOAD: &str = "http://example.org/files/IFiles/Upload";
const DOWNLOAD: &str = "http://example.org/files/IFiles/Download";

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

fn payload(message: &Message) -> &indigo::message::XmlFragment {
    match &message.body {
        Body::Payload(payload) => payload,
        other => panic!("unexpected body {other:?}"),
    }
}

/// Upload(Stream data) -> "len:sum"; Download(size) -> Stream.
async fn files_host() -> StreamedHost {
    let version = NetTcpBinding::new().encoder_version();
    StreamedHost::open(
        &binding(),
        "net.tcp://127.0.0.1:0/files",
        handler_fn(&[UPLOAD], move |request: StreamedMessage| async move {
            let quotas = indigo::message::ReaderQuotas::default();
            match request.message.action() {
                UPLOAD => {
                    let stream = request.stream.expect("the upload's stream");
                    let (len, sum) = digest(stream).await.expect("read the upload");
                    let mut body = BodyWriter::new("UploadResponse", NS, NS);
                    body.part("UploadResult", &format!("{len}:{sum}")).unwrap();
                    StreamedMessage::buffered(Message::new(
                        version,
                        format!("{UPLOAD}Response"),
                        Body::Payload(body.finish()),
                    ))
                }
                DOWNLOAD => {
                    let mut reader =
                        BodyReader::open(payload(&request.message), "Download", NS, &quotas)
                            .unwrap();
                    let size: u64 = reader.part("size").unwrap();
                    StreamedMessage::with_stream(
                        version,
                        &format!("{DOWNLOAD}Response"),
                        "DownloadResponse",
                        NS,
                        "DownloadResult",
                        ByteStream::new(Pattern::new(size)),
                    )
                }
                other => panic!("unexpected action {other}"),
            }
        }),
    )
    .await
    .expect("open the streamed host")
}

trait Version {
    fn encoder_version(&self) -> indigo::message::MessageVersion;
}

impl Version for NetTcpBinding {
    fn encoder_version(&self) -> indigo::message::MessageVersion {
        use indigo::Binding;
        self.encoder().message_version()
    }
}

async fn upload(client: &StreamedClient, len: u64) -> String {
    let request = StreamedMessage::with_stream(
        client.message_version(),
        UPLOAD,
        "Upload",
        NS,
        "data",
        ByteStream::new(Pattern::new(len)),
    );
    let reply = client.call(request, false).await.expect("upload");
    assert!(reply.stream.is_none());
    let quotas = indigo::message::ReaderQuotas::default();
    let mut reader =
        BodyReader::open(payload(&reply.message), "UploadResponse", NS, &quotas).unwrap();
    reader.part("UploadResult").unwrap()
}

async fn download(client: &StreamedClient, len: u64) -> (u64, u64) {
    let mut body = BodyWriter::new("Download", NS, NS);
    body.part("size", &len).unwrap();
    let request = StreamedMessage::buffered(Message::new(
        client.message_version(),
        DOWNLOAD,
        Body::Payload(body.finish()),
    ));
    let reply = client.call(request, true).await.expect("download");
    digest(reply.stream.expect("the download's stream"))
        .await
        .expect("read the download")
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_and_empty_streams_round_trip() {
    let host = files_host().await;
    let client = StreamedClient::new(&binding(), host.address()).unwrap();
    for len in [0u64, 1, 7, 65_536, 200_001] {
        let (elen, esum) = expected_digest(len).await;
        assert_eq!(upload(&client, len).await, format!("{elen}:{esum}"));
        assert_eq!(download(&client, len).await, (elen, esum));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_received_message_size_applies_to_streamed_messages() {
    // As in WCF, the operation starts with the head and meets the limit while it reads.
    let (seen, mut saw) = tokio::sync::mpsc::channel(1);
    let host = StreamedHost::open(
        &NetTcpBinding::new(),
        "net.tcp://127.0.0.1:0/files",
        handler_fn(&[UPLOAD], move |request: StreamedMessage| {
            let seen = seen.clone();
            async move {
                let read = digest(request.stream.expect("a stream")).await;
                seen.send(read.map_err(|e| e.to_string())).await.unwrap();
                StreamedMessage::buffered(request.message)
            }
        }),
    )
    .await
    .unwrap();
    let client = StreamedClient::new(&binding(), host.address()).unwrap();
    let request = StreamedMessage::with_stream(
        client.message_version(),
        UPLOAD,
        "Upload",
        NS,
        "data",
        ByteStream::new(Pattern::new(1 << 20)),
    );
    assert!(client.call(request, false).await.is_err());
    let error = saw.recv().await.unwrap().unwrap_err();
    assert!(error.contains("exceeds the maximum of 65536"), "{error}");
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
    let client = StreamedClient::new(&binding, &address).unwrap();
    let request = StreamedMessage::with_stream(
        client.message_version(),
        UPLOAD,
        "Upload",
        NS,
        "data",
        ByteStream::from_bytes(&b"data"[..]),
    );
    let error = client.call(request, false).await.unwrap_err();
    assert!(matches!(error, indigo::Error::Timeout(_)), "{error}");
    silent.abort();
}

/// The same operations as a contract: the macro generates the streamed client and dispatcher.
mod contract {
    use super::*;
    use indigo::Error;

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

    struct FilesService;

    impl Files for FilesService {
        async fn upload(&self, data: ByteStream) -> String {
            let (len, sum) = digest(data).await.expect("read the upload");
            format!("{len}:{sum}")
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_streamed_contract_uploads_downloads_and_echoes() {
        let host = StreamedHost::serve(
            FilesContract::per_call(|| FilesService),
            &binding(),
            "net.tcp://127.0.0.1:0/files",
        )
        .await
        .unwrap();
        let client = FilesClient::new(&binding(), host.address());
        for len in [0u64, 3, 1 << 20] {
            let (elen, esum) = expected_digest(len).await;
            let stream = ByteStream::new(Pattern::new(len));
            assert_eq!(
                client.upload(stream).await.unwrap(),
                format!("{elen}:{esum}")
            );
            let download = client.download(len).await.unwrap();
            assert_eq!(digest(download).await.unwrap(), (elen, esum));
        }
        assert_eq!(client.echo("hi".to_owned()).await.unwrap(), "echo:hi");
        client
            .discard(ByteStream::from_bytes(&b"gone"[..]))
            .await
            .unwrap();
    }

    /// Through the generated client and dispatcher: 100 MB up, 100 MB down.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hundred_megabytes_each_way_in_flat_memory() {
        const LEN: u64 = 100 * 1024 * 1024;
        let host = StreamedHost::serve(
            FilesContract::single(FilesService),
            &binding(),
            "net.tcp://127.0.0.1:0/files",
        )
        .await
        .unwrap();
        let client = FilesClient::new(&binding(), host.address());
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
    }
}
