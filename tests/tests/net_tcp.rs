//! The calculator and friends over NetTcpBinding on loopback: sessions, ordering, limits and
//! peers that misbehave.

use indigo::{CommunicationState, Error, NetTcpBinding, ServiceHost};
use indigo_examples::calculator::{Calculator, CalculatorSessionClient, CalculatorSessionContract};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn calculator_host(binding: NetTcpBinding) -> (ServiceHost, String) {
    let host = ServiceHost::builder(CalculatorSessionContract::per_session(Calculator::default))
        .endpoint(binding, "net.tcp://127.0.0.1:0/calculator")
        .open()
        .await
        .expect("open the net.tcp host");
    let address = host.addresses().remove(0);
    (host, address)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_over_net_tcp_keep_their_own_state_in_order() {
    let (host, address) = calculator_host(NetTcpBinding::new()).await;
    assert!(
        address.starts_with("net.tcp://127.0.0.1:") && !address.contains(":0/"),
        "{address}"
    );
    let mut sessions = Vec::new();
    for i in 0..8u32 {
        let address = address.clone();
        sessions.push(tokio::spawn(async move {
            let client = CalculatorSessionClient::connect(&NetTcpBinding::new(), &address)
                .await
                .unwrap();
            let session = client.clear().await.unwrap();
            let mut expected = 0.0;
            for step in 1..=40 {
                let n = f64::from(i + step % 5);
                if step % 3 == 0 {
                    session.multiply_by(n).await.unwrap();
                    expected *= n;
                } else {
                    session.add_to(n).await.unwrap();
                    expected += n;
                }
            }
            (session.equals().await.unwrap(), expected)
        }));
    }
    for session in sessions {
        let (got, expected) = session.await.unwrap();
        assert_eq!(got, expected);
    }
    host.close().await.unwrap();
}

#[indigo::service_contract(namespace = "urn:indigo:tests")]
pub trait Blob {
    #[operation]
    async fn size(&self, data: String) -> u64;
    #[operation]
    async fn nap(&self, millis: u64) -> u64;
}

struct BlobService;

impl Blob for BlobService {
    async fn size(&self, data: String) -> u64 {
        data.len() as u64
    }

    async fn nap(&self, millis: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(millis)).await;
        millis
    }
}

async fn blob_host(binding: NetTcpBinding) -> (ServiceHost, String) {
    let host = ServiceHost::builder(BlobContract::per_call(|| BlobService))
        .endpoint(binding, "net.tcp://127.0.0.1:0/blob")
        .open()
        .await
        .unwrap();
    let address = host.addresses().remove(0);
    (host, address)
}

#[tokio::test]
async fn a_message_over_the_size_limit_ends_only_its_own_session() {
    let small = NetTcpBinding::new()
        .with_max_received_message_size(4096)
        .with_reader_quotas(indigo::message::ReaderQuotas {
            max_string_content_length: 100_000,
            ..Default::default()
        });
    let (_host, address) = blob_host(small.clone()).await;
    let bystander = BlobClient::connect(&small, &address).await.unwrap();
    assert_eq!(bystander.size("x".repeat(10)).await.unwrap(), 10);

    let big = BlobClient::connect(&NetTcpBinding::new(), &address)
        .await
        .unwrap();
    let err = big.size("y".repeat(10_000)).await.unwrap_err();
    assert!(
        matches!(err, Error::Transport(_)),
        "the framing fault surfaces as a transport error: {err:?}"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(big.state(), CommunicationState::Faulted);

    assert_eq!(bystander.size("z".repeat(1000)).await.unwrap(), 1000);
}

#[tokio::test]
async fn a_client_that_disconnects_mid_call_harms_no_one() {
    let (_host, address) = blob_host(NetTcpBinding::new()).await;
    let leaver = BlobClient::connect(&NetTcpBinding::new(), &address)
        .await
        .unwrap();
    let call = tokio::spawn(async move { leaver.nap(300).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    call.abort();
    let stayer = BlobClient::connect(&NetTcpBinding::new(), &address)
        .await
        .unwrap();
    assert_eq!(stayer.nap(1).await.unwrap(), 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(stayer.size("ok".to_owned()).await.unwrap(), 2);
}

#[tokio::test]
async fn a_connection_that_sends_nothing_after_the_preamble_is_closed_at_the_receive_timeout() {
    let binding = NetTcpBinding::new().with_receive_timeout(Duration::from_millis(200));
    let (_host, address) = blob_host(binding).await;
    let authority = address
        .trim_start_matches("net.tcp://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut socket = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let mut preamble = vec![0x00, 0x01, 0x00, 0x01, 0x02, 0x02, address.len() as u8];
    preamble.extend_from_slice(address.as_bytes());
    // KnownEncoding 0x08: NetTcpBinding speaks binary XML with a session dictionary.
    preamble.extend_from_slice(&[0x03, 0x08, 0x0C]);
    socket.write_all(&preamble).await.unwrap();
    let mut ack = [0u8; 1];
    socket.read_exact(&mut ack).await.unwrap();
    assert_eq!(ack[0], 0x0B, "PreambleAck");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the idle connection was not closed");
}

#[tokio::test]
async fn garbage_instead_of_a_preamble_is_dropped_and_the_host_serves_on() {
    let (_host, address) = blob_host(NetTcpBinding::new()).await;
    let authority = address
        .trim_start_matches("net.tcp://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut socket = tokio::net::TcpStream::connect(&authority).await.unwrap();
    socket
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "garbage was not dropped");
    let client = BlobClient::connect(&NetTcpBinding::new(), &address)
        .await
        .unwrap();
    assert_eq!(client.size("fine".to_owned()).await.unwrap(), 4);
}

#[tokio::test]
async fn an_unknown_path_is_endpoint_not_found() {
    let (_host, address) = blob_host(NetTcpBinding::new()).await;
    let wrong = address.replace("/blob", "/nothing-here");
    match BlobClient::connect(&NetTcpBinding::new(), &wrong).await {
        Err(Error::Transport(indigo::transport::TransportError::EndpointNotFound(_))) => {}
        other => panic!("expected EndpointNotFound, got {other:?}"),
    }
}

/// A raw socket that has done a binary-session preamble (KnownEncoding 0x08) with the host at
/// `address` and read its PreambleAck.
async fn raw_binary_session(address: &str) -> tokio::net::TcpStream {
    let authority = address
        .trim_start_matches("net.tcp://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut socket = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let mut preamble = vec![0x00, 0x01, 0x00, 0x01, 0x02, 0x02, address.len() as u8];
    preamble.extend_from_slice(address.as_bytes());
    preamble.extend_from_slice(&[0x03, 0x08, 0x0C]);
    socket.write_all(&preamble).await.unwrap();
    let mut ack = [0u8; 1];
    socket.read_exact(&mut ack).await.unwrap();
    assert_eq!(ack[0], 0x0B, "PreambleAck");
    socket
}

/// `payload` as a SizedEnvelope record.
fn sized_envelope(payload: &[u8]) -> Vec<u8> {
    let mut record = vec![0x06];
    let mut n = payload.len();
    while n >= 0x80 {
        record.push((n as u8 & 0x7F) | 0x80);
        n >>= 7;
    }
    record.push(n as u8);
    record.extend_from_slice(payload);
    record
}

/// Sends `payload` on a fresh binary session and checks that the service aborts the connection:
/// no reply, no SOAP fault, no End record, just the socket closing. Meanwhile another session
/// on the same host carries on.
async fn assert_binary_payload_aborts_only_its_connection(payload: &[u8]) {
    let (_host, address) = blob_host(NetTcpBinding::new()).await;
    let bystander = BlobClient::connect(&NetTcpBinding::new(), &address)
        .await
        .unwrap();
    assert_eq!(bystander.size("before".to_owned()).await.unwrap(), 6);

    let mut socket = raw_binary_session(&address).await;
    socket.write_all(&sized_envelope(payload)).await.unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection was not aborted");
    assert!(
        rest.is_empty(),
        "an abort sends nothing (no fault, no End): got {rest:02X?}"
    );

    assert_eq!(bystander.size("after".to_owned()).await.unwrap(), 5);
}

#[tokio::test]
async fn a_session_string_table_over_the_quota_aborts_the_connection() {
    // One 2,100-byte string: a 2,102-byte table, over WCF's MaxSessionSize of 2,048.
    let string = vec![b'n'; 2100];
    let mut payload = vec![0xB6, 0x10]; // table size 2,102 (MB31)
    payload.extend_from_slice(&[0xB4, 0x10]); // string length 2,100 (MB31)
    payload.extend_from_slice(&string);
    payload.extend_from_slice(&[0x42, 0x01, 0x01]); // <(session string 0)/>
    assert_binary_payload_aborts_only_its_connection(&payload).await;
}

#[tokio::test]
async fn a_session_string_table_that_overruns_itself_aborts_the_connection() {
    // Table size 3, but its one string claims 10 bytes.
    let payload = [0x03, 0x0A, b'a', b'b', 0x42, 0x01, 0x01];
    assert_binary_payload_aborts_only_its_connection(&payload).await;
}

#[tokio::test]
async fn an_undefined_session_dictionary_id_aborts_the_connection() {
    // An empty table, then `<s:Envelope>` named by session id 1, which was never defined.
    let payload = [0x00, 0x56, 0x01, 0x01];
    assert_binary_payload_aborts_only_its_connection(&payload).await;
}

#[tokio::test]
async fn a_text_client_is_refused_by_a_binary_endpoint() {
    let (_host, address) = blob_host(NetTcpBinding::new()).await;
    let binding = indigo::CustomBinding::tcp_text();
    match BlobClient::connect(&binding, &address).await {
        Err(Error::Transport(indigo::transport::TransportError::Framing(why))) => {
            assert!(why.contains("ContentTypeInvalid"), "{why}");
        }
        other => panic!("expected a ContentTypeInvalid fault, got {other:?}"),
    }
}

#[tokio::test]
async fn custom_bindings_choose_text_or_binary_over_net_tcp() {
    for binding in [
        indigo::CustomBinding::tcp_text(),
        indigo::CustomBinding::tcp_binary(),
    ] {
        let host = ServiceHost::builder(BlobContract::per_call(|| BlobService))
            .endpoint(binding.clone(), "net.tcp://127.0.0.1:0/blob")
            .open()
            .await
            .unwrap();
        let address = host.addresses().remove(0);
        let client = BlobClient::connect(&binding, &address).await.unwrap();
        assert_eq!(client.size("same".to_owned()).await.unwrap(), 4);
        host.close().await.unwrap();
    }
}
