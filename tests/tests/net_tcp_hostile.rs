//! Hostile peers against a running service on loopback (issue 11): floods of idle and
//! byte-a-second sockets, connections that never finish their preamble, messages and requests
//! over the size limits, and a message far over the 65,536-byte default that a raised limit
//! lets through.

use indigo::binding::{CustomBinding, TcpTransport};
use indigo::{BasicHttpBinding, Error, NetTcpBinding, ServiceHost};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How many idle sockets the flood opens, when the file-descriptor limit allows it.
const FLOOD: usize = 2_000;
/// How many of the flood's sockets trickle their preamble one byte a second instead.
const TRICKLERS: usize = 50;
/// The most a well-behaved client may take to open a session and make a call during a flood.
const SERVED_WITHIN: Duration = Duration::from_secs(1);

const MAX_MESSAGE_SIZE_EXCEEDED: &str =
    "http://schemas.microsoft.com/ws/2006/05/framing/faults/MaxMessageSizeExceededFault";

#[indigo::service_contract(namespace = "urn:indigo:tests:hostile")]
pub trait Blob {
    #[operation]
    async fn size(&self, data: String) -> u64;
}

struct BlobService;

impl Blob for BlobService {
    async fn size(&self, data: String) -> u64 {
        data.len() as u64
    }
}

/// Logs to the test output when `INDIGO_TEST_LOG` names a filter (e.g. `indigo=debug`).
fn logs() {
    if let Ok(filter) = std::env::var("INDIGO_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}

/// Reader quotas that let long strings through, so the transport's limit is the one tested.
fn roomy_quotas() -> indigo::message::ReaderQuotas {
    indigo::message::ReaderQuotas {
        max_string_content_length: 1 << 30,
        ..Default::default()
    }
}

async fn blob_host<B>(binding: B, address: &str) -> (ServiceHost, String)
where
    B: indigo::binding::Binding,
    BlobContract: indigo::binding::CarriedBy<B>,
{
    logs();
    let host = ServiceHost::builder(BlobContract::per_call(|| BlobService))
        .endpoint(binding, address)
        .open()
        .await
        .expect("open the host");
    let address = host.addresses().remove(0);
    (host, address)
}

/// `host:port` of a `scheme://host:port/path` address.
fn socket_address(address: &str) -> String {
    let rest = address.split_once("://").map_or(address, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

/// The process's resident set size in kB, from /proc/self/status.
fn rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The soft limit on open files, from /proc/self/limits.
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// How many flood sockets fit: each costs this process two descriptors (the client's, and the
/// service's while it keeps it), with room left for everything else.
fn flood_size() -> usize {
    match open_files_limit() {
        Some(limit) if limit < 2 * FLOOD + 512 => {
            let fits = limit.saturating_sub(512) / 2;
            println!("open-file limit {limit}: the flood is scaled down to {fits} sockets");
            fits
        }
        _ => FLOOD,
    }
}

/// The binary-session preamble (NetTcpBinding's) for `address`.
fn preamble(address: &str, encoding: u8) -> Vec<u8> {
    let mut bytes = vec![0x00, 0x01, 0x00, 0x01, 0x02, 0x02];
    mb31(address.len(), &mut bytes);
    bytes.extend_from_slice(address.as_bytes());
    bytes.extend_from_slice(&[0x03, encoding, 0x0C]);
    bytes
}

fn mb31(mut value: usize, out: &mut Vec<u8>) {
    loop {
        let low = u8::try_from(value & 0x7F).unwrap();
        value >>= 7;
        if value == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// A raw connection that has done the preamble with `encoding`.
async fn handshaken(address: &str, encoding: u8) -> TcpStream {
    let mut socket = TcpStream::connect(socket_address(address)).await.unwrap();
    socket
        .write_all(&preamble(address, encoding))
        .await
        .unwrap();
    let mut ack = [0u8; 1];
    tokio::time::timeout(Duration::from_secs(5), socket.read_exact(&mut ack))
        .await
        .expect("PreambleAck in time")
        .unwrap();
    assert_eq!(ack[0], 0x0B, "PreambleAck");
    socket
}

/// Reads until EOF (or reset), at most 5 s.
async fn read_to_end(socket: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while let Ok(Ok(read)) = tokio::time::timeout_at(deadline, socket.read(&mut buf)).await {
        if read == 0 {
            break;
        }
        out.extend_from_slice(&buf[..read]);
    }
    out
}

/// The URI of the Fault record (`08`, MB31 length, UTF-8) `bytes` start with.
fn fault_uri(bytes: &[u8]) -> String {
    assert_eq!(
        bytes.first(),
        Some(&0x08),
        "expected a Fault record, got {:02X?}",
        &bytes[..bytes.len().min(16)]
    );
    let (mut length, mut shift, mut at) = (0usize, 0, 1);
    loop {
        let byte = bytes[at];
        length |= usize::from(byte & 0x7F) << shift;
        at += 1;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    String::from_utf8(bytes[at..at + length].to_vec()).unwrap()
}

/// Opens a session and makes one call, timed.
async fn serve_one(binding: &NetTcpBinding, address: &str) -> Duration {
    let started = Instant::now();
    let client = tokio::time::timeout(Duration::from_secs(10), async {
        let client = BlobClient::connect(binding, address).await.unwrap();
        assert_eq!(client.size("hello".to_owned()).await.unwrap(), 5);
        client
    })
    .await
    .expect("a well-behaved client is served during the flood");
    let took = started.elapsed();
    client.close().await.unwrap();
    took
}

/// Opens `count` idle sockets, of which the first `TRICKLERS` send a preamble one byte a second
/// (at most 40 bytes each; the tasks end with the returned handles).
async fn flood(address: &str, count: usize) -> (Vec<TcpStream>, Vec<tokio::task::JoinHandle<()>>) {
    let target = socket_address(address);
    let mut idle = Vec::with_capacity(count);
    let mut tricklers = Vec::new();
    for i in 0..count {
        // Bounded: a listener that stops accepting fills the kernel's backlog, and connect
        // would then hang in SYN retries.
        let socket = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(&target))
            .await
            .unwrap_or_else(|_| panic!("flood socket {i} not accepted within 5 s"))
            .expect("flood connect");
        if i < TRICKLERS {
            let bytes = preamble(address, 0x08);
            tricklers.push(tokio::spawn(async move {
                let mut socket = socket;
                for byte in bytes.into_iter().take(40) {
                    if socket.write_all(&[byte]).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }));
        } else {
            idle.push(socket);
        }
    }
    (idle, tricklers)
}

/// How many of `sockets` the service has closed (EOF or reset on a non-blocking read).
fn closed_by_peer(sockets: &[TcpStream]) -> usize {
    let mut buf = [0u8; 16];
    sockets
        .iter()
        .filter(|socket| match socket.try_read(&mut buf) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_idle_and_trickling_sockets_does_not_lock_new_sessions_out() {
    let binding = NetTcpBinding::new();
    let max_pending = binding.transport().max_pending_connections;
    let (host, address) = blob_host(binding.clone(), "net.tcp://127.0.0.1:0/blob").await;
    let count = flood_size();
    // Warm up (first connection costs more: lazy statics, the runtime's threads).
    serve_one(&binding, &address).await;

    for round in 1..=2 {
        let before = rss_kb();
        let started = Instant::now();
        let (idle, tricklers) = flood(&address, count).await;
        let flooded_in = started.elapsed();
        let after = rss_kb();
        println!(
            "round {round}: {count} sockets ({TRICKLERS} trickling a byte a second) opened in \
             {flooded_in:?}; VmRSS before {before:?} kB, after {after:?} kB"
        );
        // A new session from the same address as the flood, three times over.
        for attempt in 1..=3 {
            let took = serve_one(&binding, &address).await;
            println!("round {round}, session {attempt}: opened and served in {took:?}");
            assert!(
                took < SERVED_WITHIN,
                "round {round}, session {attempt} took {took:?} with {count} sockets open"
            );
        }
        // The service kept at most MaxPendingConnections of the silent sockets and closed the
        // rest, oldest first.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let closed = closed_by_peer(&idle);
        println!(
            "round {round}: the service closed {closed} of {} idle sockets (MaxPendingConnections {max_pending}); VmRSS {:?} kB",
            idle.len(),
            rss_kb()
        );
        assert!(
            closed + max_pending >= idle.len(),
            "only {closed} of {} idle sockets were shed",
            idle.len()
        );
        for trickler in tricklers {
            trickler.abort();
        }
        drop(idle);
    }
    host.close().await.unwrap();
}

#[tokio::test]
async fn connections_without_a_preamble_are_closed_at_the_channel_initialization_timeout() {
    let timeout = Duration::from_millis(500);
    let binding = NetTcpBinding::new().with_channel_initialization_timeout(timeout);
    assert_eq!(binding.transport().channel_initialization_timeout, timeout);
    let (_host, address) = blob_host(binding.clone(), "net.tcp://127.0.0.1:0/blob").await;
    let target = socket_address(&address);
    let started = tokio::time::Instant::now();
    let mut silent = Vec::new();
    for _ in 0..5 {
        silent.push(TcpStream::connect(&target).await.unwrap());
    }
    // Version and Mode, then nothing: a preamble that never finishes.
    let mut partial = TcpStream::connect(&target).await.unwrap();
    partial
        .write_all(&[0x00, 0x01, 0x00, 0x01, 0x02])
        .await
        .unwrap();
    silent.push(partial);
    // While they wait, a well-behaved client is served.
    serve_one(&binding, &address).await;
    for socket in &mut silent {
        let mut buf = [0u8; 8];
        let read = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buf))
            .await
            .expect("the service closes the socket well before 5 s");
        // EOF, or a reset: either way the service closed it, and sent nothing.
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
    let elapsed = started.elapsed();
    println!("silent sockets closed after {elapsed:?} (ChannelInitializationTimeout {timeout:?})");
    assert!(
        elapsed >= timeout - Duration::from_millis(50),
        "{elapsed:?}"
    );
    assert!(elapsed < timeout * 4, "{elapsed:?}");
    serve_one(&binding, &address).await;
}

#[tokio::test]
async fn pending_connection_limits_have_wcf_defaults_and_setters() {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let binding = NetTcpBinding::new();
    assert_eq!(binding.transport().max_pending_connections, 12 * cpus);
    assert_eq!(binding.transport().max_pending_accepts, 2 * cpus);
    assert_eq!(
        binding.transport().channel_initialization_timeout,
        Duration::from_secs(30)
    );
    let binding = binding
        .with_max_pending_connections(3)
        .with_max_pending_accepts(1)
        .with_channel_initialization_timeout(Duration::from_secs(30));
    assert_eq!(binding.transport().max_pending_connections, 3);
    assert_eq!(binding.transport().max_pending_accepts, 1);
    // With three places and one accept, ten silent sockets still cannot lock a client out.
    let (_host, address) = blob_host(binding.clone(), "net.tcp://127.0.0.1:0/blob").await;
    let target = socket_address(&address);
    let mut silent = Vec::new();
    for _ in 0..10 {
        silent.push(TcpStream::connect(&target).await.unwrap());
    }
    let took = serve_one(&binding, &address).await;
    assert!(took < SERVED_WITHIN, "{took:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        closed_by_peer(&silent) >= 7,
        "the oldest silent sockets are shed"
    );
}

#[tokio::test]
async fn a_record_declaring_2_gib_gets_max_message_size_exceeded() {
    let (_host, address) = blob_host(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/blob").await;
    let mut socket = handshaken(&address, 0x08).await;
    // SizedEnvelope of 2^31 - 1 bytes, none of which follow.
    socket
        .write_all(&[0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0x07])
        .await
        .unwrap();
    let answer = read_to_end(&mut socket).await;
    assert_eq!(fault_uri(&answer), MAX_MESSAGE_SIZE_EXCEEDED);
}

#[tokio::test]
async fn a_10_mb_text_envelope_gets_max_message_size_exceeded() {
    let binding = CustomBinding::tcp_text();
    let (_host, address) = blob_host(binding, "net.tcp://127.0.0.1:0/blob").await;
    let socket = handshaken(&address, 0x03).await;
    let (mut read, mut write) = socket.into_split();
    let size = 10 * 1024 * 1024;
    let head = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" \
         xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header><a:Action \
         s:mustUnderstand=\"1\">urn:indigo:tests:hostile/Blob/Size</a:Action></s:Header>\
         <s:Body><Size xmlns=\"urn:indigo:tests:hostile\"><data>";
    let tail = "</data></Size></s:Body></s:Envelope>";
    let mut envelope = Vec::with_capacity(size);
    envelope.extend_from_slice(head.as_bytes());
    envelope.resize(size - tail.len(), b'x');
    envelope.extend_from_slice(tail.as_bytes());
    let mut record = vec![0x06];
    mb31(envelope.len(), &mut record);
    record.extend_from_slice(&envelope);
    // The service stops reading after MaxDrainSize, so the write may fail: only the answer
    // matters.
    let writer = tokio::spawn(async move {
        let _ = write.write_all(&record).await;
        write
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, read.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    assert_eq!(fault_uri(&answer), MAX_MESSAGE_SIZE_EXCEEDED);
    writer.abort();
}

#[tokio::test]
async fn an_http_content_length_over_the_limit_gets_413_before_the_body() {
    let (_host, address) = blob_host(BasicHttpBinding::new(), "http://127.0.0.1:0/blob").await;
    let mut socket = TcpStream::connect(socket_address(&address)).await.unwrap();
    let head = format!(
        "POST /blob HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml; charset=utf-8\r\n\
         SOAPAction: \"urn:indigo:tests:hostile/Blob/Size\"\r\nContent-Length: 99999999999\r\n\r\n",
        socket_address(&address)
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    // Not a byte of the body: the answer must come from the headers alone.
    let mut response = Vec::new();
    let mut buf = [0u8; 1024];
    let started = Instant::now();
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = tokio::time::timeout(Duration::from_secs(1), socket.read(&mut buf))
            .await
            .expect("413 within a second, before any of the body")
            .unwrap();
        assert_ne!(read, 0, "closed without a response");
        response.extend_from_slice(&buf[..read]);
    }
    let text = String::from_utf8_lossy(&response);
    println!(
        "answered in {:?}: {}",
        started.elapsed(),
        text.lines().next().unwrap_or("")
    );
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
}

#[tokio::test]
async fn an_http_client_over_the_service_limit_is_told_so() {
    let (_host, address) = blob_host(BasicHttpBinding::new(), "http://127.0.0.1:0/blob").await;
    let client = BlobClient::connect(
        &BasicHttpBinding::new().with_reader_quotas(roomy_quotas()),
        &address,
    )
    .await
    .unwrap();
    let error = client.size("x".repeat(100_000)).await.unwrap_err();
    assert!(
        error.to_string().contains("MaxReceivedMessageSize"),
        "{error}"
    );
}

#[tokio::test]
async fn a_net_tcp_client_over_the_service_limit_is_told_which_limit() {
    let service = NetTcpBinding::new()
        .with_max_received_message_size(4096)
        .with_reader_quotas(roomy_quotas());
    let (_host, address) = blob_host(service, "net.tcp://127.0.0.1:0/blob").await;
    let client_binding = NetTcpBinding::new()
        .with_max_received_message_size(64 << 20)
        .with_reader_quotas(roomy_quotas());
    // 10 kB fits in the socket buffers, so the fault arrives while the call waits for its
    // reply; 4 MB does not, so the send itself fails when the service gives up draining.
    for size in [10_000, 4 << 20] {
        let client = BlobClient::connect(&client_binding, &address)
            .await
            .unwrap();
        let started = Instant::now();
        let error = client.size("y".repeat(size)).await.unwrap_err();
        println!("{size} bytes: {error} (after {:?})", started.elapsed());
        assert!(matches!(error, Error::Transport(_)), "{error:?}");
        let text = error.to_string();
        assert!(
            text.contains("MaxReceivedMessageSize") && text.contains("MaxMessageSizeExceeded"),
            "{size} bytes: {text}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20_mb_message_passes_a_64_mib_limit() {
    let binding = NetTcpBinding::new()
        .with_max_received_message_size(64 << 20)
        .with_reader_quotas(roomy_quotas());
    let (_host, address) = blob_host(binding.clone(), "net.tcp://127.0.0.1:0/blob").await;
    let client = BlobClient::connect(&binding, &address).await.unwrap();
    let size = 20_000_000;
    let started = Instant::now();
    assert_eq!(client.size("z".repeat(size)).await.unwrap(), size as u64);
    println!("20 MB over net.tcp in {:?}", started.elapsed());

    // The same over text.
    let text = CustomBinding::new(
        indigo::encoding::TextMessageEncoder::new(indigo::message::MessageVersion::SOAP12_WSA10),
        TcpTransport::default().with_max_received_message_size(64 << 20),
    )
    .with_reader_quotas(roomy_quotas());
    let (_text_host, text_address) = blob_host(text.clone(), "net.tcp://127.0.0.1:0/blob").await;
    let client = BlobClient::connect(&text, &text_address).await.unwrap();
    assert_eq!(client.size("z".repeat(size)).await.unwrap(), size as u64);
}
