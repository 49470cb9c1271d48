//! Loopback tests of the client and the listener over real sockets on 127.0.0.1.

use super::framing::{encode, encode_fault, Record};
use super::*;
use crate::transport::{Connection, Listener, TransportError};
use bytes::Bytes;
use std::future::Future;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Upper bound for any single step, so a bug fails the test instead of hanging it.
const STEP: Duration = Duration::from_secs(5);

async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, future)
        .await
        .expect("step timed out")
}

fn options() -> TcpOptions {
    TcpOptions {
        max_received_message_size: 1024,
        preamble_timeout: Duration::from_secs(3),
        close_timeout: Duration::from_secs(3),
        ..TcpOptions::default()
    }
}

async fn listener(options: TcpOptions) -> TcpListener {
    listen("net.tcp://127.0.0.1:0/calc", options).await.unwrap()
}

/// Opens a session and returns (client, server).
async fn pair(listener: &mut TcpListener, options: &TcpOptions) -> (Connection, Connection) {
    let address = listener.local_address();
    let (client, server) =
        within(async { tokio::join!(connect(&address, options), listener.accept()) }).await;
    (client.unwrap(), server.unwrap())
}

async fn send(connection: &mut Connection, frame: &[u8]) {
    within(connection.sink.send(frame.to_vec())).await.unwrap();
}

async fn receive(connection: &mut Connection) -> Option<Bytes> {
    within(connection.stream.receive()).await.unwrap()
}

/// A good client still gets through: the listener survived whatever came before.
async fn assert_alive(listener: &mut TcpListener) {
    let options = options();
    let (mut client, mut server) = pair(listener, &options).await;
    send(&mut client, b"ping").await;
    assert_eq!(receive(&mut server).await.as_deref(), Some(&b"ping"[..]));
    send(&mut server, b"pong").await;
    assert_eq!(receive(&mut client).await.as_deref(), Some(&b"pong"[..]));
}

fn socket_address(listener: &TcpListener) -> String {
    let address = listener.local_address();
    let rest = address.strip_prefix("net.tcp://").unwrap();
    rest[..rest.find('/').unwrap()].to_owned()
}

async fn raw(listener: &TcpListener) -> TcpStream {
    TcpStream::connect(socket_address(listener)).await.unwrap()
}

fn records(records: &[Record]) -> Vec<u8> {
    let mut out = Vec::new();
    for record in records {
        encode(record, &mut out).unwrap();
    }
    out
}

fn preamble_with(via: &str, mode: u8, encoding: u8) -> Vec<u8> {
    records(&[
        Record::Version { major: 1, minor: 0 },
        Record::Mode(mode),
        Record::Via(via.to_owned()),
        Record::KnownEncoding(encoding),
        Record::PreambleEnd,
    ])
}

fn good_preamble(listener: &TcpListener) -> Vec<u8> {
    preamble_with(&listener.local_address(), 0x02, 0x03)
}

/// Reads until EOF or a reset; what arrived before.
async fn read_all(socket: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        match within(socket.read(&mut chunk)).await {
            Ok(0) | Err(_) => return out,
            Ok(read) => out.extend_from_slice(&chunk[..read]),
        }
    }
}

/// Sends `bytes` without closing and expects exactly `fault` back, then EOF once we close:
/// the fault comes as soon as the offending record is complete, and no End follows it.
async fn expect_fault(listener: &mut TcpListener, bytes: &[u8], fault: FramingFault) {
    let mut socket = raw(listener).await;
    socket.write_all(bytes).await.unwrap();
    let expected = encode_fault(fault);
    let mut answer = vec![0u8; expected.len()];
    within(socket.read_exact(&mut answer)).await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&answer),
        String::from_utf8_lossy(&expected)
    );
    // The listener drains until our EOF, then closes without another byte.
    socket.shutdown().await.unwrap();
    assert_eq!(read_all(&mut socket).await, b"");
    assert_alive(listener).await;
}

/// Sends `bytes` (then EOF when `then_close`) and expects the listener to close without a word.
async fn expect_dropped(listener: &mut TcpListener, bytes: &[u8], then_close: bool) {
    let mut socket = raw(listener).await;
    // The listener may already be gone by the time a long write ends.
    let _ = socket.write_all(bytes).await;
    if then_close {
        let _ = socket.shutdown().await;
    }
    assert_eq!(read_all(&mut socket).await, b"");
    assert_alive(listener).await;
}

#[tokio::test]
async fn local_address_has_the_real_port_and_path() {
    let listener = listener(options()).await;
    let address = listener.local_address();
    assert!(address.starts_with("net.tcp://127.0.0.1:"), "{address}");
    assert!(address.ends_with("/calc"), "{address}");
    assert!(!address.contains(":0/"), "{address}");
}

#[tokio::test]
async fn client_closes_first() {
    let options = options();
    let mut listener = listener(options.clone()).await;
    let (mut client, mut server) = pair(&mut listener, &options).await;
    send(&mut client, b"request").await;
    assert_eq!(receive(&mut server).await.as_deref(), Some(&b"request"[..]));
    within(client.sink.close()).await.unwrap();
    assert_eq!(receive(&mut server).await, None);
    assert_eq!(receive(&mut server).await, None, "End stays ended");
    // After the client's End the server may still send; the client keeps reading.
    send(&mut server, b"late reply").await;
    within(server.sink.close()).await.unwrap();
    assert_eq!(
        receive(&mut client).await.as_deref(),
        Some(&b"late reply"[..])
    );
    assert_eq!(receive(&mut client).await, None);
    assert_eq!(
        within(client.sink.send(b"x".to_vec())).await,
        Err(TransportError::Closed)
    );
}

#[tokio::test]
async fn server_closes_first() {
    let options = options();
    let mut listener = listener(options.clone()).await;
    let (mut client, mut server) = pair(&mut listener, &options).await;
    send(&mut server, b"callback").await;
    within(server.sink.close()).await.unwrap();
    assert_eq!(
        receive(&mut client).await.as_deref(),
        Some(&b"callback"[..])
    );
    assert_eq!(receive(&mut client).await, None);
    send(&mut client, b"last words").await;
    within(client.sink.close()).await.unwrap();
    assert_eq!(
        receive(&mut server).await.as_deref(),
        Some(&b"last words"[..])
    );
    assert_eq!(receive(&mut server).await, None);
}

#[tokio::test]
async fn ends_may_cross() {
    let options = options();
    let mut listener = listener(options.clone()).await;
    let (mut client, mut server) = pair(&mut listener, &options).await;
    let (a, b) = within(async { tokio::join!(client.sink.close(), server.sink.close()) }).await;
    a.unwrap();
    b.unwrap();
    assert_eq!(receive(&mut client).await, None);
    assert_eq!(receive(&mut server).await, None);
    // Closing twice is harmless.
    within(client.sink.close()).await.unwrap();
}

#[tokio::test]
async fn many_frames_of_many_sizes_both_ways() {
    let options = options();
    let mut listener = listener(options.clone()).await;
    let (mut client, mut server) = pair(&mut listener, &options).await;
    let frames: Vec<Vec<u8>> = (0..200)
        .map(|i: usize| vec![u8::try_from(i % 251).unwrap(); (i * 37) % 1025])
        .collect();
    let sender = {
        let frames = frames.clone();
        let mut sink = client.sink;
        tokio::spawn(async move {
            for frame in frames {
                sink.send(frame).await.unwrap();
            }
            sink.close().await.unwrap();
        })
    };
    for frame in &frames {
        assert_eq!(receive(&mut server).await.as_deref(), Some(&frame[..]));
    }
    assert_eq!(receive(&mut server).await, None);
    within(sender).await.unwrap();
    for frame in &frames {
        send(&mut server, frame).await;
    }
    for frame in &frames {
        let received = within(client.stream.receive()).await.unwrap();
        assert_eq!(received.as_deref(), Some(&frame[..]));
    }
}

#[tokio::test]
async fn frames_up_to_the_limit_pass_and_a_larger_one_is_faulted() {
    let options = options();
    let mut listener = listener(options.clone()).await;
    let (mut client, mut server) = pair(&mut listener, &options).await;
    let max = options.max_received_message_size;
    for size in [max - 1, max] {
        send(&mut client, &vec![1u8; size]).await;
        assert_eq!(receive(&mut server).await.map(|f| f.len()), Some(size));
        send(&mut server, &vec![2u8; size]).await;
        assert_eq!(receive(&mut client).await.map(|f| f.len()), Some(size));
    }
    send(&mut client, &vec![3u8; max + 1]).await;
    assert_eq!(
        within(server.stream.receive()).await,
        Err(TransportError::FrameTooLarge { size: max + 1, max })
    );
    // The client learns why from the fault.
    match within(client.stream.receive()).await {
        Err(TransportError::Framing(text)) => {
            assert!(text.contains("MaxMessageSizeExceededFault"), "{text}")
        }
        other => panic!("expected the fault, got {other:?}"),
    }
    // Both sides are done with the connection.
    assert_eq!(
        within(server.stream.receive()).await,
        Err(TransportError::Closed)
    );
    assert_eq!(
        within(server.sink.send(b"x".to_vec())).await,
        Err(TransportError::Closed)
    );
    assert_eq!(
        within(client.stream.receive()).await,
        Err(TransportError::Closed)
    );
}

#[tokio::test]
async fn a_huge_size_is_refused_from_the_header_alone() {
    let options = options();
    let mut listener = listener(options.clone()).await;
    let mut socket = raw(&listener).await;
    socket.write_all(&good_preamble(&listener)).await.unwrap();
    let mut ack = [0u8; 1];
    within(socket.read_exact(&mut ack)).await.unwrap();
    assert_eq!(ack, [0x0B]);
    let mut server = within(listener.accept()).await.unwrap();
    // 2 GiB announced, none of it sent: the listener must answer without waiting for it (or
    // allocating it).
    socket
        .write_all(&[0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0x07])
        .await
        .unwrap();
    assert_eq!(
        within(server.stream.receive()).await,
        Err(TransportError::FrameTooLarge {
            size: 0x7FFF_FFFF,
            max: options.max_received_message_size
        })
    );
    let expected = encode_fault(FramingFault::MaxMessageSizeExceeded);
    let mut answer = vec![0u8; expected.len()];
    within(socket.read_exact(&mut answer)).await.unwrap();
    assert_eq!(answer, expected);
    socket.shutdown().await.unwrap();
    assert_eq!(read_all(&mut socket).await, b"");
}

#[tokio::test]
async fn a_client_refuses_too_large_frames_too() {
    let options = options();
    let mut listener = listener(options.clone()).await;
    let (mut client, mut server) = pair(&mut listener, &options).await;
    let max = options.max_received_message_size;
    send(&mut server, &vec![0u8; max + 1]).await;
    assert_eq!(
        within(client.stream.receive()).await,
        Err(TransportError::FrameTooLarge { size: max + 1, max })
    );
}

#[tokio::test]
async fn frames_sent_right_after_the_ack_are_not_lost() {
    let options = options();
    let mut listener = listener(options.clone()).await;
    let mut socket = raw(&listener).await;
    // The preamble and two messages in one write: nothing may be dropped between the phases.
    let mut bytes = good_preamble(&listener);
    bytes.extend(records(&[
        Record::SizedEnvelope(Bytes::from_static(b"one")),
        Record::SizedEnvelope(Bytes::from_static(b"two")),
        Record::End,
    ]));
    socket.write_all(&bytes).await.unwrap();
    let mut server = within(listener.accept()).await.unwrap();
    assert_eq!(receive(&mut server).await.as_deref(), Some(&b"one"[..]));
    assert_eq!(receive(&mut server).await.as_deref(), Some(&b"two"[..]));
    assert_eq!(receive(&mut server).await, None);
    within(server.sink.close()).await.unwrap();
    assert_eq!(read_all(&mut socket).await, [0x0B, 0x07]);
}

#[tokio::test]
async fn garbage_is_dropped() {
    let mut listener = listener(options()).await;
    expect_dropped(
        &mut listener,
        b"GET /calc HTTP/1.1\r\nHost: x\r\n\r\n",
        false,
    )
    .await;
}

#[tokio::test]
async fn wrong_version_is_faulted_after_the_mode_record() {
    let mut listener = listener(options()).await;
    let bytes = records(&[Record::Version { major: 2, minor: 0 }, Record::Mode(0x02)]);
    expect_fault(&mut listener, &bytes, FramingFault::UnsupportedVersion).await;
}

#[tokio::test]
async fn singleton_mode_is_faulted() {
    let mut listener = listener(options()).await;
    let bytes = records(&[Record::Version { major: 1, minor: 0 }, Record::Mode(0x01)]);
    expect_fault(&mut listener, &bytes, FramingFault::UnsupportedMode).await;
    let bytes = records(&[Record::Version { major: 1, minor: 0 }, Record::Mode(0x07)]);
    expect_fault(&mut listener, &bytes, FramingFault::UnsupportedMode).await;
}

#[tokio::test]
async fn unknown_via_path_is_faulted_after_the_encoding_record() {
    let mut listener = listener(options()).await;
    let via = listener.local_address().replace("/calc", "/other");
    let bytes = records(&[
        Record::Version { major: 1, minor: 0 },
        Record::Mode(0x02),
        Record::Via(via),
        Record::KnownEncoding(0x03),
    ]);
    expect_fault(&mut listener, &bytes, FramingFault::EndpointNotFound).await;
}

#[tokio::test]
async fn via_host_and_port_do_not_matter() {
    let mut listener = listener(options()).await;
    // What a client behind a proxy sends (net-tcp.md §5.1): another port, same path.
    let mut socket = raw(&listener).await;
    socket
        .write_all(&preamble_with(
            "net.tcp://example.invalid:18202/CALC/",
            0x02,
            0x03,
        ))
        .await
        .unwrap();
    let mut ack = [0u8; 1];
    within(socket.read_exact(&mut ack)).await.unwrap();
    assert_eq!(ack, [0x0B]);
    within(listener.accept()).await.unwrap();
}

#[tokio::test]
async fn wrong_encoding_is_faulted() {
    let mut listener = listener(options()).await;
    let bytes = preamble_with(&listener.local_address(), 0x02, 0x08);
    expect_fault(&mut listener, &bytes, FramingFault::ContentTypeInvalid).await;
}

#[tokio::test]
async fn upgrade_request_is_faulted() {
    let mut listener = listener(options()).await;
    let bytes = records(&[
        Record::Version { major: 1, minor: 0 },
        Record::Mode(0x02),
        Record::Via(listener.local_address()),
        Record::KnownEncoding(0x03),
        Record::UpgradeRequest("application/ssl-tls".to_owned()),
    ]);
    expect_fault(&mut listener, &bytes, FramingFault::UpgradeInvalid).await;
}

#[tokio::test]
async fn truncated_preamble_then_eof_is_dropped() {
    let mut listener = listener(options()).await;
    let bytes = good_preamble(&listener);
    expect_dropped(&mut listener, &bytes[..12], true).await;
}

#[tokio::test]
async fn records_out_of_order_are_dropped() {
    let mut listener = listener(options()).await;
    let bytes = records(&[Record::Version { major: 1, minor: 0 }, Record::PreambleEnd]);
    expect_dropped(&mut listener, &bytes, false).await;
    let mut bytes = good_preamble(&listener);
    bytes.truncate(bytes.len() - 1);
    bytes.extend(records(&[Record::SizedEnvelope(Bytes::from_static(
        b"early",
    ))]));
    expect_dropped(&mut listener, &bytes, false).await;
}

#[tokio::test]
async fn via_longer_than_2048_bytes_is_dropped() {
    let mut listener = listener(options()).await;
    let via = format!("{}/{}", listener.local_address(), "x".repeat(2048));
    let bytes = records(&[
        Record::Version { major: 1, minor: 0 },
        Record::Mode(0x02),
        Record::Via(via),
    ]);
    expect_dropped(&mut listener, &bytes, false).await;
}

#[tokio::test]
async fn bad_mb31_is_dropped() {
    let mut listener = listener(options()).await;
    let mut bytes = records(&[Record::Version { major: 1, minor: 0 }, Record::Mode(0x02)]);
    bytes.extend([0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]);
    expect_dropped(&mut listener, &bytes, false).await;
}

#[tokio::test]
async fn a_silent_client_is_dropped_at_the_preamble_timeout() {
    let options = TcpOptions {
        preamble_timeout: Duration::from_millis(300),
        ..options()
    };
    let mut listener = listener(options.clone()).await;
    let mut socket = raw(&listener).await;
    let started = tokio::time::Instant::now();
    assert_eq!(read_all(&mut socket).await, b"");
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_alive(&mut listener).await;
}

#[tokio::test]
async fn a_silent_client_does_not_block_others() {
    let options = TcpOptions {
        preamble_timeout: Duration::from_secs(30),
        ..options()
    };
    let mut listener = listener(options.clone()).await;
    let _silent = raw(&listener).await;
    let mut half_done = raw(&listener).await;
    half_done.write_all(&[0x00, 0x01]).await.unwrap();
    let started = tokio::time::Instant::now();
    assert_alive(&mut listener).await;
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn client_maps_endpoint_not_found() {
    let options = options();
    let listener = listener(options.clone()).await;
    let address = listener.local_address().replace("/calc", "/nothing");
    assert_eq!(
        within(connect(&address, &options)).await.unwrap_err(),
        TransportError::EndpointNotFound(address)
    );
}

#[tokio::test]
async fn client_reports_content_type_invalid() {
    let mut listener = listener(options()).await;
    let client_options = TcpOptions {
        encoding: KnownEncoding::BinarySession,
        ..options()
    };
    let address = listener.local_address();
    match within(connect(&address, &client_options)).await {
        Err(TransportError::Framing(text)) => {
            assert!(text.contains("ContentTypeInvalid"), "{text}")
        }
        other => panic!("expected a fault, got {other:?}"),
    }
    assert_alive(&mut listener).await;
}

#[tokio::test]
async fn client_reports_nothing_listening() {
    let address = {
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("net.tcp://{}/calc", socket.local_addr().unwrap())
    };
    assert_eq!(
        within(connect(&address, &options())).await.unwrap_err(),
        TransportError::EndpointNotFound(address)
    );
}

#[tokio::test]
async fn client_hints_at_http() {
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("net.tcp://{}/calc", socket.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut stream, _) = socket.accept().await.unwrap();
        let mut scratch = [0u8; 64];
        let _ = stream.read(&mut scratch).await;
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        // Keep the socket open until the client has read the answer.
        let _ = stream.read(&mut scratch).await;
    });
    match within(connect(&address, &options())).await {
        Err(TransportError::Framing(text)) => assert!(text.contains("HTTP endpoint"), "{text}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    within(server).await.unwrap();
}

#[tokio::test]
async fn client_rejects_bad_addresses() {
    for address in [
        "http://127.0.0.1:1/x",
        "net.tcp://",
        "net.tcp://127.0.0.1:99999/x",
    ] {
        assert!(
            matches!(
                connect(address, &options()).await,
                Err(TransportError::InvalidAddress(..))
            ),
            "{address}"
        );
    }
    let long = format!("net.tcp://127.0.0.1:1/{}", "x".repeat(2048));
    assert!(matches!(
        connect(&long, &options()).await,
        Err(TransportError::InvalidAddress(..))
    ));
}

#[tokio::test]
async fn the_port_is_taken_while_listening() {
    let listener = listener(options()).await;
    let address = listener.local_address();
    assert_eq!(
        listen(&address, options()).await.unwrap_err(),
        TransportError::AddressInUse(address)
    );
}

/// Streamed (singleton) mode: the Mono capture, both roles, and the limits.
mod streamed {
    use super::super::framing::{encode_preamble, KnownEncoding, Mode};
    use super::*;

    const C2S: &[u8] = include_bytes!("testdata/mono-nettcp-streamed.c2s.bin");
    const S2C: &[u8] = include_bytes!("testdata/mono-nettcp-streamed.s2c.bin");
    /// The capture's preamble: version, mode 0x01, Via, encoding 0x07, PreambleEnd.
    const PREAMBLE: usize = 40;
    /// Mono sends each envelope as one chunk: `05`, an MB31 of two bytes, the message, `00`.
    const REQUEST: std::ops::Range<usize> = PREAMBLE + 3..C2S.len() - 2;
    const REPLY: std::ops::Range<usize> = 4..S2C.len() - 2;

    fn streamed_options() -> TcpOptions {
        TcpOptions {
            encoding: KnownEncoding::Binary,
            ..options()
        }
    }

    async fn read_all(reader: &mut UnsizedReader) -> Result<Vec<u8>, TransportError> {
        let mut out = Vec::new();
        while let Some(piece) = within(reader.next_piece()).await? {
            out.extend_from_slice(&piece);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn a_mono_streamed_client_is_served_byte_for_byte() {
        let mut listener = listen_streamed("net.tcp://127.0.0.1:0/echo", streamed_options())
            .await
            .unwrap();
        let port = listener
            .local_address()
            .rsplit(':')
            .next()
            .unwrap()
            .to_owned();
        let port: u16 = port.trim_end_matches("/echo").parse().unwrap();
        let mut raw = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        // The capture's Via names another port; the listener matches the path only.
        raw.write_all(C2S).await.unwrap();
        let exchange = within(listener.accept()).await.unwrap();
        let mut request = exchange.request;
        assert_eq!(read_all(&mut request).await.unwrap(), C2S[REQUEST]);
        within(request.finish()).await.unwrap();
        let mut reply = exchange.reply;
        // Two chunks where Mono wrote one: chunk boundaries carry no meaning.
        let (first, second) = S2C[REPLY].split_at(100);
        reply.write_chunk(first).await.unwrap();
        reply.write_chunk(second).await.unwrap();
        within(reply.finish()).await.unwrap();
        let mut expected = vec![0x0B, 0x05, 100];
        expected.extend_from_slice(first);
        expected.extend_from_slice(&[0x31]);
        expected.extend_from_slice(second);
        expected.extend_from_slice(&[0x00, 0x07]);
        // No EOF follows: the listener keeps the connection for another preamble.
        let mut answer = vec![0u8; expected.len()];
        within(raw.read_exact(&mut answer)).await.unwrap();
        assert_eq!(answer, expected);
    }

    /// After End both ways the client may send a new preamble on the same socket, as Mono's
    /// client does.
    #[tokio::test]
    async fn a_streamed_connection_is_reused_after_end() {
        let mut listener = listen_streamed("net.tcp://127.0.0.1:0/echo", streamed_options())
            .await
            .unwrap();
        let address = listener.local_address();
        let port: u16 = address
            .trim_end_matches("/echo")
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let mut raw = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        for _ in 0..3 {
            raw.write_all(C2S).await.unwrap();
            let exchange = within(listener.accept()).await.unwrap();
            let mut request = exchange.request;
            assert_eq!(read_all(&mut request).await.unwrap(), C2S[REQUEST]);
            within(request.finish()).await.unwrap();
            let mut reply = exchange.reply;
            reply.write_chunk(&S2C[REPLY]).await.unwrap();
            within(reply.finish()).await.unwrap();
            let mut answer = vec![0u8; S2C.len()];
            within(raw.read_exact(&mut answer)).await.unwrap();
            assert_eq!(answer, S2C);
        }
    }

    #[tokio::test]
    async fn the_streamed_client_writes_what_mono_writes() {
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("net.tcp://{}/echo", socket.local_addr().unwrap());
        // The capture's Via is 30 bytes long; ours is as long as it is.
        let preamble_len = PREAMBLE - 30 + address.len();
        let peer = tokio::spawn(async move {
            let (mut tcp, _) = socket.accept().await.unwrap();
            let mut preamble = vec![0u8; preamble_len];
            tcp.read_exact(&mut preamble).await.unwrap();
            tcp.write_all(&[0x0B]).await.unwrap();
            let mut rest = Vec::new();
            tcp.read_to_end(&mut rest).await.unwrap();
            tcp.write_all(S2C[1..].as_ref()).await.unwrap();
            (preamble, rest)
        });
        let (mut writer, mut reader) = within(connect_streamed(&address, &streamed_options()))
            .await
            .unwrap();
        writer.write_chunk(&C2S[REQUEST]).await.unwrap();
        within(writer.finish()).await.unwrap();
        assert_eq!(read_all(&mut reader).await.unwrap(), S2C[REPLY]);
        within(reader.finish()).await.unwrap();
        let (preamble, rest) = within(peer).await.unwrap();
        assert_eq!(
            preamble,
            encode_preamble(Mode::Singleton, &address, KnownEncoding::Binary).unwrap()
        );
        assert_eq!(rest, C2S[PREAMBLE..]);
    }

    #[tokio::test]
    async fn buffered_and_streamed_endpoints_refuse_each_other() {
        let streamed = listen_streamed("net.tcp://127.0.0.1:0/calc", streamed_options())
            .await
            .unwrap();
        let error = within(connect(&streamed.local_address(), &streamed_options()))
            .await
            .unwrap_err();
        assert!(error.to_string().contains("UnsupportedMode"), "{error}");
        let buffered = listener(options()).await;
        let error = within(connect_streamed(&buffered.local_address(), &options()))
            .await
            .unwrap_err();
        assert!(error.to_string().contains("UnsupportedMode"), "{error}");
    }

    #[tokio::test]
    async fn a_streamed_request_over_the_limit_fails_as_its_size_arrives() {
        let mut listener = listen_streamed("net.tcp://127.0.0.1:0/calc", streamed_options())
            .await
            .unwrap();
        let address = listener.local_address();
        let client = tokio::spawn(async move {
            let (mut writer, _reader) = connect_streamed(&address, &streamed_options())
                .await
                .unwrap();
            // 600 + 600 bytes against a limit of 1024: the second chunk's length breaks it.
            let _ = writer.write_chunk(&[0x56; 600]).await;
            let _ = writer.write_chunk(&[0x56; 600]).await;
            tokio::time::sleep(STEP).await;
        });
        let mut request = within(listener.accept()).await.unwrap().request;
        let error = read_all(&mut request).await.unwrap_err();
        assert_eq!(
            error,
            TransportError::FrameTooLarge {
                size: 1200,
                max: 1024
            }
        );
        client.abort();
    }
}

/// A peer that acknowledges the preamble and, once the client's End has arrived, closes the
/// socket without an End of its own, as a Mono service does; or closes at once, before any
/// End, when `abort` is set.
async fn mono_like_server(abort: bool) -> String {
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("net.tcp://{}/calc", socket.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut peer, _) = socket.accept().await.unwrap();
        let mut byte = [0u8; 1];
        // The preamble ends with PreambleEnd (0x0C); the Via holds no 0x0C byte.
        loop {
            peer.read_exact(&mut byte).await.unwrap();
            if byte[0] == 0x0C {
                break;
            }
        }
        peer.write_all(&[0x0B]).await.unwrap();
        if !abort {
            peer.read_exact(&mut byte).await.unwrap();
            assert_eq!(byte[0], 0x07, "the client's End");
        }
        drop(peer);
    });
    address
}

#[tokio::test]
async fn a_peer_that_closes_after_our_end_without_its_own_ends_the_stream_normally() {
    let options = options();
    let address = mono_like_server(false).await;
    let mut client = within(connect(&address, &options)).await.unwrap();
    within(client.sink.close()).await.unwrap();
    assert_eq!(within(client.stream.receive()).await, Ok(None));
    assert_eq!(within(client.stream.receive()).await, Ok(None));
}

#[tokio::test]
async fn a_peer_that_closes_before_our_end_still_aborts_the_session() {
    let options = options();
    let address = mono_like_server(true).await;
    let mut client = within(connect(&address, &options)).await.unwrap();
    assert_eq!(
        within(client.stream.receive()).await,
        Err(TransportError::Closed)
    );
}
