use super::context::{ClientHandshake, NegotiateError, ServerHandshake};
use super::nns::{self, HandshakeId};
use super::stream::NegotiatedStream;
use super::*;
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn accounts() -> WindowsAccounts {
    WindowsAccounts::new()
        .with_account(WindowsAccount::new("CONTOSO", "alice", "s3cret").with_sid("S-1-5-21-7-1001"))
        .with_account(WindowsAccount::new("CONTOSO", "bob", "hunter2"))
}

fn alice(password: &str) -> WindowsCredential {
    WindowsCredential::new("CONTOSO", "alice", password)
}

/// The messages of one handshake run in memory: what the client sent, and how it ended.
struct Run {
    client_tokens: Vec<Vec<u8>>,
    client: Result<ClientHandshake, NegotiateError>,
    server: Result<ServerHandshake, NegotiateError>,
}

fn decode_all(bytes: &[u8]) -> Vec<nns::HandshakeMessage> {
    let mut buf = BytesMut::from(bytes);
    let mut messages = Vec::new();
    while let Some(message) = nns::decode_handshake(&mut buf).expect("valid framing") {
        messages.push(message);
    }
    assert!(buf.is_empty());
    messages
}

fn run(credential: &WindowsCredential, level: ProtectionLevel, required: ProtectionLevel) -> Run {
    let mut client =
        ClientHandshake::new(credential, "host/server".to_owned(), level).expect("client");
    let mut server = ServerHandshake::new(accounts(), required);
    let mut to_server = client.start().expect("first token");
    let mut client_tokens = Vec::new();
    let (mut client_done, mut server_done) = (false, false);
    for _ in 0..8 {
        for message in decode_all(&to_server) {
            client_tokens.push(message.payload.clone());
            match server.receive(message) {
                Ok(progress) => {
                    server_done |= progress.finished;
                    for answer in decode_all(&progress.send) {
                        match client.receive(answer) {
                            Ok(progress) => {
                                client_done |= progress.finished;
                                to_server = progress.send;
                            }
                            Err(error) => {
                                return Run {
                                    client_tokens,
                                    client: Err(error),
                                    server: Ok(server),
                                }
                            }
                        }
                    }
                }
                Err(refusal) => {
                    let answer = decode_all(&refusal.send).remove(0);
                    assert_eq!(answer.id, HandshakeId::Error);
                    return Run {
                        client_tokens,
                        client: client.receive(answer).map(|_| client),
                        server: Err(refusal.error),
                    };
                }
            }
        }
        if client_done && server_done {
            break;
        }
    }
    assert!(client_done && server_done, "the handshake did not finish");
    Run {
        client_tokens,
        client: Ok(client),
        server: Ok(server),
    }
}

#[test]
fn spnego_over_ntlm_logs_on_and_names_the_account() {
    let run = run(
        &alice("s3cret"),
        ProtectionLevel::EncryptAndSign,
        ProtectionLevel::EncryptAndSign,
    );
    assert_eq!(
        run.client_tokens[0].first(),
        Some(&0x60),
        "SPNEGO's GSS-API tag"
    );
    let (context, identity) = run
        .server
        .expect("server")
        .into_context()
        .expect("logged on");
    assert_eq!(context.level(), ProtectionLevel::EncryptAndSign);
    assert_eq!(identity.name, r"CONTOSO\alice");
    assert_eq!(identity.sid.as_deref(), Some("S-1-5-21-7-1001"));
    assert_eq!(identity.authentication_type, "NTLM");
    assert!(run.client.is_ok());
}

#[test]
fn no_protection_uses_bare_ntlm_as_dotnet_does() {
    let run = run(
        &alice("s3cret"),
        ProtectionLevel::None,
        ProtectionLevel::None,
    );
    assert!(run.client_tokens[0].starts_with(b"NTLMSSP\0"));
    let (context, _) = run
        .server
        .expect("server")
        .into_context()
        .expect("logged on");
    assert_eq!(context.level(), ProtectionLevel::None);
}

#[test]
fn wrong_password_and_unknown_user_are_logon_denied_on_both_sides() {
    for credential in [
        alice("wrong"),
        WindowsCredential::new("CONTOSO", "mallory", "s3cret"),
        WindowsCredential::new("FABRIKAM", "alice", "s3cret"),
        // Bob's password does not open Alice's account.
        alice("hunter2"),
    ] {
        for level in [ProtectionLevel::None, ProtectionLevel::EncryptAndSign] {
            let run = run(&credential, level, ProtectionLevel::None);
            assert_eq!(
                run.server.err(),
                Some(NegotiateError::LogonDenied),
                "{credential:?}"
            );
            assert_eq!(run.client.err(), Some(NegotiateError::RemoteLogonDenied));
        }
    }
}

#[test]
fn a_client_asking_less_protection_than_the_service_requires_is_refused() {
    let refused = run(
        &alice("s3cret"),
        ProtectionLevel::Sign,
        ProtectionLevel::EncryptAndSign,
    );
    assert!(matches!(
        refused.server.err(),
        Some(NegotiateError::ProtectionTooLow {
            offered: ProtectionLevel::Sign,
            required: ProtectionLevel::EncryptAndSign
        })
    ));
    assert_eq!(
        refused.client.err(),
        Some(NegotiateError::RemoteProtectionMismatch)
    );
    // More than required is fine: the client's level is used.
    let more = run(
        &alice("s3cret"),
        ProtectionLevel::EncryptAndSign,
        ProtectionLevel::Sign,
    );
    let (context, _) = more
        .server
        .expect("server")
        .into_context()
        .expect("logged on");
    assert_eq!(context.level(), ProtectionLevel::EncryptAndSign);
}

#[test]
fn a_recorded_logon_replayed_to_a_new_challenge_is_refused() {
    // Bare NTLM, so the recorded tokens can be replayed as they are.
    let recorded = run(
        &alice("s3cret"),
        ProtectionLevel::None,
        ProtectionLevel::None,
    );
    assert!(recorded.server.is_ok());
    let mut server = ServerHandshake::new(accounts(), ProtectionLevel::None);
    let mut last = None;
    for token in &recorded.client_tokens {
        let id = if token == recorded.client_tokens.last().expect("tokens") {
            HandshakeId::Done
        } else {
            HandshakeId::InProgress
        };
        last = Some(server.receive(nns::HandshakeMessage {
            id,
            payload: token.clone(),
        }));
    }
    match last {
        Some(Err(refusal)) => assert_eq!(refusal.error, NegotiateError::LogonDenied),
        other => panic!("the replay was not refused: {other:?}"),
    }
}

#[test]
fn garbage_tokens_are_refused_with_an_error_message() {
    let mut server = ServerHandshake::new(accounts(), ProtectionLevel::None);
    let refusal = server
        .receive(nns::HandshakeMessage {
            id: HandshakeId::InProgress,
            payload: b"GET / HTTP/1.1".to_vec(),
        })
        .expect_err("not a token");
    assert!(matches!(refusal.error, NegotiateError::InvalidToken(_)));
    assert_eq!(decode_all(&refusal.send)[0].id, HandshakeId::Error);
    let mut server = ServerHandshake::new(accounts(), ProtectionLevel::None);
    let mut truncated = vec![0x60, 0x82, 0xFF, 0xFF];
    truncated.extend_from_slice(&[0xA0; 12]);
    assert!(server
        .receive(nns::HandshakeMessage {
            id: HandshakeId::InProgress,
            payload: truncated,
        })
        .is_err());
}

/// A client and a service over an in-memory connection, plus a tap of the client's bytes.
async fn connected(
    level: ProtectionLevel,
) -> (
    NegotiatedStream<tokio::io::DuplexStream>,
    NegotiatedStream<tokio::io::DuplexStream>,
) {
    let (client_io, server_io) = tokio::io::duplex(1 << 20);
    let server = tokio::spawn(server(server_io, accounts(), ProtectionLevel::None));
    let client = client(client_io, &alice("s3cret"), "host/server".to_owned(), level)
        .await
        .expect("client handshake");
    let (server, identity) = server.await.expect("task").expect("server handshake");
    assert_eq!(identity.name, r"CONTOSO\alice");
    (client, server)
}

#[tokio::test]
async fn data_crosses_both_ways_at_every_level_in_messages_of_at_most_63_kib() {
    for level in [
        ProtectionLevel::None,
        ProtectionLevel::Sign,
        ProtectionLevel::EncryptAndSign,
    ] {
        let (mut client, mut server) = connected(level).await;
        let big: Vec<u8> = (0..200_000_u32).map(|i| (i % 251) as u8).collect();
        client.write_all(&big).await.expect("write");
        client.flush().await.expect("flush");
        let mut got = vec![0; big.len()];
        server.read_exact(&mut got).await.expect("read");
        assert_eq!(got, big, "{level:?}");
        server.write_all(b"reply").await.expect("write");
        server.flush().await.expect("flush");
        let mut reply = [0; 5];
        client.read_exact(&mut reply).await.expect("read");
        assert_eq!(&reply, b"reply");
    }
}

/// Both sides' contexts after a handshake in memory.
fn contexts(
    level: ProtectionLevel,
) -> (
    super::context::SecurityContext,
    super::context::SecurityContext,
) {
    let run = run(&alice("s3cret"), level, ProtectionLevel::None);
    let client = run.client.expect("client").into_context();
    let (server, _) = run
        .server
        .expect("server")
        .into_context()
        .expect("logged on");
    (client, server)
}

fn payload_of(frame: &[u8]) -> Vec<u8> {
    let mut buf = BytesMut::from(frame);
    let payload = nns::decode_data(&mut buf).expect("valid").expect("whole");
    assert!(buf.is_empty());
    payload.to_vec()
}

#[test]
fn sealed_bytes_hide_the_data_and_signed_ones_carry_it() {
    let secret = b"the quarterly numbers are confidential";
    let (mut client, mut server) = contexts(ProtectionLevel::EncryptAndSign);
    let mut frame = Vec::new();
    client.wrap(secret, &mut frame).expect("wrap");
    assert_eq!(&frame[..4], &((16 + secret.len()) as u32).to_le_bytes());
    assert!(!frame.windows(secret.len()).any(|w| w == secret));
    assert_eq!(server.unwrap(payload_of(&frame)).expect("unwrap"), secret);

    let (mut client, mut server) = contexts(ProtectionLevel::Sign);
    let mut frame = Vec::new();
    client.wrap(secret, &mut frame).expect("wrap");
    assert_eq!(&frame[4 + 16..], secret);
    assert_eq!(server.unwrap(payload_of(&frame)).expect("unwrap"), secret);
}

#[test]
fn a_tampered_replayed_or_truncated_message_is_refused() {
    for level in [ProtectionLevel::Sign, ProtectionLevel::EncryptAndSign] {
        let (mut client, mut server) = contexts(level);
        let mut first = Vec::new();
        client.wrap(b"pay 10 to bob", &mut first).expect("wrap");
        let mut tampered = payload_of(&first);
        tampered[16 + 4] ^= 0x01;
        assert!(
            matches!(server.unwrap(tampered), Err(NegotiateError::Tampered(_))),
            "{level:?}: a flipped data bit"
        );

        let (mut client, mut server) = contexts(level);
        let mut frame = Vec::new();
        client.wrap(b"pay 10 to bob", &mut frame).expect("wrap");
        let payload = payload_of(&frame);
        server.unwrap(payload.clone()).expect("the original");
        assert!(
            matches!(server.unwrap(payload), Err(NegotiateError::Tampered(_))),
            "{level:?}: a replay"
        );
        assert!(matches!(
            server.unwrap(vec![1; 10]),
            Err(NegotiateError::Tampered(_))
        ));
    }
}

#[tokio::test]
async fn the_service_skips_the_empty_done_message_a_dotnet_client_may_send() {
    let (mut client, server_context) = contexts(ProtectionLevel::EncryptAndSign);
    let (mut peer, server_io) = tokio::io::duplex(4096);
    let mut server = NegotiatedStream::new(server_io, server_context, true);
    let mut bytes = nns::EMPTY_DONE.to_vec();
    client.wrap(b"hello", &mut bytes).expect("wrap");
    // One byte at a time: the decision must wait for all five bytes of the header.
    for byte in bytes {
        peer.write_all(&[byte]).await.expect("write");
    }
    let mut got = [0; 5];
    server.read_exact(&mut got).await.expect("read");
    assert_eq!(&got, b"hello");
}

#[tokio::test]
async fn a_data_message_over_64_kib_is_an_error_before_it_is_buffered() {
    let (_, server_context) = contexts(ProtectionLevel::EncryptAndSign);
    let (mut peer, server_io) = tokio::io::duplex(4096);
    let mut server = NegotiatedStream::new(server_io, server_context, true);
    peer.write_all(&(100_000_u32).to_le_bytes())
        .await
        .expect("write");
    let mut got = [0; 1];
    let error = server.read_exact(&mut got).await.expect_err("too large");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
}
