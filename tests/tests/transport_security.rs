//! net.tcp transport security: WCF's `application/ssl-tls` stream upgrade, with a service
//! certificate, optionally a client certificate (mutual TLS), each side's validation mode, the
//! DNS identity, and the caller's identity in the OperationContext; and the
//! `application/negotiate` upgrade (NegotiateStream, SPNEGO/NTLM) with Windows credentials at
//! each protection level. Mismatched settings fail on both sides with errors that say so.
//! Certificates are made here with rcgen; no key is committed.

use indigo::security::{
    CallerIdentity, CertificateInfo, CertificateValidation, ProtectionLevel, SslProtocols,
    TcpClientCredentialType, TcpSecurity, WindowsAccount, WindowsAccounts, WindowsCredential,
};
use indigo::{Error, NetTcpBinding, OperationContext, ServiceHost};
use indigo_tests::pki::Pki;
use std::sync::Arc;
use std::time::Duration;

#[indigo::service_contract(namespace = "http://example.org/secure/")]
pub trait Whoami {
    /// The caller's identity as the service sees it, or "anonymous".
    #[operation]
    async fn whoami(&self) -> String;
}

struct WhoamiService;

impl Whoami for WhoamiService {
    async fn whoami(&self) -> String {
        OperationContext::with(|ctx| match ctx.caller_identity() {
            CallerIdentity::Certificate(info) => info.subject.clone(),
            CallerIdentity::Windows(account) => format!(
                "{}|{}|{}",
                account.name,
                account.sid.as_deref().unwrap_or("no SID"),
                account.authentication_type
            ),
            other if other.is_anonymous() => "anonymous".to_owned(),
            other => other.name(),
        })
        .unwrap_or_default()
    }
}

const ADDRESS: &str = "net.tcp://127.0.0.1:0/whoami";

/// A socket that speaks bytes, for what no client would send.
struct RawTcp(tokio::net::TcpStream);

impl RawTcp {
    async fn connect(address: &str) -> RawTcp {
        let authority = address
            .strip_prefix("net.tcp://")
            .and_then(|rest| rest.split('/').next())
            .expect("a net.tcp address");
        RawTcp(
            tokio::net::TcpStream::connect(authority)
                .await
                .expect("connects"),
        )
    }

    async fn send(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt as _;
        self.0.write_all(bytes).await.expect("sends");
    }

    async fn read_exact(&mut self, count: usize) -> Vec<u8> {
        use tokio::io::AsyncReadExt as _;
        let mut buffer = vec![0; count];
        tokio::time::timeout(Duration::from_secs(5), self.0.read_exact(&mut buffer))
            .await
            .expect("an answer in time")
            .expect("reads");
        buffer
    }

    /// Whether the peer closes the connection (EOF or reset) within `wait`.
    async fn closed_within(&mut self, wait: Duration) -> bool {
        use tokio::io::AsyncReadExt as _;
        let mut scratch = [0u8; 256];
        tokio::time::timeout(wait, async {
            loop {
                match self.0.read(&mut scratch).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await
        .is_ok()
    }
}

fn quick(binding: NetTcpBinding) -> NetTcpBinding {
    binding
        .with_open_timeout(Duration::from_secs(5))
        .with_send_timeout(Duration::from_secs(5))
}

async fn host(security: TcpSecurity) -> ServiceHost {
    ServiceHost::builder(WhoamiContract::single(WhoamiService))
        .endpoint(quick(NetTcpBinding::new().with_security(security)), ADDRESS)
        .open()
        .await
        .expect("the host opens")
}

async fn call(host: &ServiceHost, security: TcpSecurity) -> Result<String, Error> {
    call_at(&host.addresses()[0], security).await
}

async fn call_at(address: &str, security: TcpSecurity) -> Result<String, Error> {
    let binding = quick(NetTcpBinding::new().with_security(security));
    let client = WhoamiClient::connect(&binding, address).await?;
    let answer = client.whoami().await?;
    client.close().await?;
    Ok(answer)
}

fn server_side(pki: &Pki, credential: TcpClientCredentialType) -> TcpSecurity {
    TcpSecurity::transport(credential)
        .with_service_certificate(pki.issue("service", &["localhost"]))
        .with_client_certificate_validation(CertificateValidation::ChainTrustIn(pki.root()))
}

fn client_side(pki: &Pki, credential: TcpClientCredentialType) -> TcpSecurity {
    TcpSecurity::transport(credential)
        .with_service_certificate_validation(CertificateValidation::ChainTrustIn(pki.root()))
}

#[tokio::test]
async fn a_call_over_tls_with_a_service_certificate_is_anonymous() {
    let pki = Pki::new("Test CA");
    let host = host(server_side(&pki, TcpClientCredentialType::None)).await;
    let answer = call(&host, client_side(&pki, TcpClientCredentialType::None)).await;
    assert_eq!(answer.expect("the call succeeds"), "anonymous");
    host.close().await.unwrap();
}

#[tokio::test]
async fn mutual_tls_shows_the_client_certificate_as_the_caller() {
    let pki = Pki::new("Test CA");
    let host = host(server_side(&pki, TcpClientCredentialType::Certificate)).await;
    let client = client_side(&pki, TcpClientCredentialType::Certificate)
        .with_client_certificate(pki.issue("alice", &["alice.example.org"]));
    let answer = call(&host, client).await.expect("the call succeeds");
    // rcgen encodes the common name first; .NET shows the parts in reverse encoded order.
    assert_eq!(answer, "O=Indigo Tests, CN=alice");
    host.close().await.unwrap();
}

#[tokio::test]
async fn a_service_certificate_from_an_untrusted_root_is_refused_by_the_client() {
    let pki = Pki::new("Test CA");
    let stranger = Pki::new("Other CA");
    let host = host(server_side(&pki, TcpClientCredentialType::None)).await;
    let error = call(&host, client_side(&stranger, TcpClientCredentialType::None))
        .await
        .expect_err("an untrusted service certificate");
    let text = error.to_string();
    assert!(
        text.contains("TLS") && text.to_lowercase().contains("certificate"),
        "{text}"
    );
    // The host goes on serving a client that trusts it.
    let answer = call(&host, client_side(&pki, TcpClientCredentialType::None)).await;
    assert_eq!(answer.expect("a trusting client"), "anonymous");
    host.close().await.unwrap();
}

#[tokio::test]
async fn the_client_checks_the_dns_identity() {
    let pki = Pki::new("Test CA");
    let host = host(server_side(&pki, TcpClientCredentialType::None)).await;
    // The certificate is for localhost and 127.0.0.1, not for this name.
    let wrong =
        client_side(&pki, TcpClientCredentialType::None).with_dns_identity("service.example.org");
    let error = call(&host, wrong).await.expect_err("the wrong identity");
    assert!(error.to_string().contains("TLS"), "{error}");
    let right = client_side(&pki, TcpClientCredentialType::None).with_dns_identity("localhost");
    assert_eq!(call(&host, right).await.expect("localhost"), "anonymous");
    host.close().await.unwrap();
}

#[tokio::test]
async fn peer_trust_none_and_custom_validation() {
    let pki = Pki::new("Test CA");
    let service_certificate = pki.issue("service", &["localhost"]);
    let host = host(
        TcpSecurity::transport(TcpClientCredentialType::None)
            .with_service_certificate(service_certificate.clone()),
    )
    .await;
    let with = |validation| {
        TcpSecurity::transport(TcpClientCredentialType::None)
            .with_service_certificate_validation(validation)
    };
    let service_der = service_certificate.info().der;
    let other_der = pki.issue("other", &["localhost"]).info().der;
    assert!(call(
        &host,
        with(CertificateValidation::PeerTrust(vec![service_der]))
    )
    .await
    .is_ok());
    let error = call(
        &host,
        with(CertificateValidation::PeerTrust(vec![other_der])),
    )
    .await
    .expect_err("not a trusted peer");
    assert!(
        error.to_string().contains("not among the trusted peers"),
        "{error}"
    );
    assert!(call(&host, with(CertificateValidation::None)).await.is_ok());

    let seen = Arc::new(std::sync::Mutex::new(Vec::<CertificateInfo>::new()));
    let record = seen.clone();
    let custom = CertificateValidation::Custom(Arc::new(move |info: &CertificateInfo| {
        record.lock().unwrap().push(info.clone());
        if info.subject.ends_with("CN=service") {
            Ok(())
        } else {
            Err("not the service".to_owned())
        }
    }));
    assert!(call(&host, with(custom)).await.is_ok());
    let seen: Vec<CertificateInfo> = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].thumbprint.len(), 40, "a SHA-1 thumbprint in hex");
    assert_eq!(seen[0].dns_names, ["localhost"]);
    let refuse =
        CertificateValidation::Custom(Arc::new(|_: &CertificateInfo| Err("no".to_owned())));
    let error = call(&host, with(refuse))
        .await
        .expect_err("the validator refuses");
    assert!(
        error.to_string().contains("the validator refused"),
        "{error}"
    );
    host.close().await.unwrap();
}

#[tokio::test]
async fn a_client_certificate_the_service_does_not_trust_is_refused() {
    let pki = Pki::new("Test CA");
    let stranger = Pki::new("Other CA");
    let host = host(server_side(&pki, TcpClientCredentialType::Certificate)).await;
    let client = client_side(&pki, TcpClientCredentialType::Certificate)
        .with_client_certificate(stranger.issue("mallory", &["mallory.example.org"]));
    assert!(
        call(&host, client).await.is_err(),
        "an untrusted client certificate"
    );
    // Without any certificate, too.
    let anonymous = client_side(&pki, TcpClientCredentialType::None);
    assert!(
        call(&host, anonymous).await.is_err(),
        "no client certificate"
    );
    host.close().await.unwrap();
}

#[tokio::test]
async fn a_tls_client_against_a_plain_service_is_told_it_offers_no_upgrade() {
    let host = ServiceHost::builder(WhoamiContract::single(WhoamiService))
        .endpoint(quick(NetTcpBinding::new()), ADDRESS)
        .open()
        .await
        .unwrap();
    let pki = Pki::new("Test CA");
    let error = call(&host, client_side(&pki, TcpClientCredentialType::None))
        .await
        .expect_err("the service has no TLS");
    assert!(error.to_string().contains("UpgradeInvalid"), "{error}");
    host.close().await.unwrap();
}

#[tokio::test]
async fn a_plain_client_against_a_tls_service_is_told_what_may_be_wrong() {
    let pki = Pki::new("Test CA");
    let host = host(server_side(&pki, TcpClientCredentialType::None)).await;
    let error = call(&host, TcpSecurity::default())
        .await
        .expect_err("the service requires TLS");
    assert!(error.to_string().contains("transport security"), "{error}");
    host.close().await.unwrap();
}

#[tokio::test]
async fn the_upgrade_is_asked_for_in_the_preamble_as_wcf_asks() {
    // A raw peer sends WCF's bytes (net-tcp.md: the preamble without PreambleEnd, then
    // UpgradeRequest "application/ssl-tls"), and the service answers UpgradeResponse (0x0A).
    let pki = Pki::new("Test CA");
    let host = host(server_side(&pki, TcpClientCredentialType::None)).await;
    let address = host.addresses()[0].clone();
    let mut raw = RawTcp::connect(&address).await;
    raw.send(&upgrade_preamble(&address, "application/ssl-tls"))
        .await;
    assert_eq!(raw.read_exact(1).await, [0x0A], "UpgradeResponse");
    host.close().await.unwrap();
}

#[tokio::test]
async fn a_client_that_never_finishes_the_handshake_holds_nothing_for_long() {
    let pki = Pki::new("Test CA");
    let security = server_side(&pki, TcpClientCredentialType::None);
    let binding = quick(NetTcpBinding::new().with_security(security))
        .with_channel_initialization_timeout(Duration::from_millis(300))
        .with_max_pending_connections(2);
    let host = ServiceHost::builder(WhoamiContract::single(WhoamiService))
        .endpoint(binding, ADDRESS)
        .open()
        .await
        .unwrap();
    let address = host.addresses()[0].clone();
    // Two silent sockets that asked for TLS and then sent nothing: the pending table is full.
    let mut silent = Vec::new();
    for _ in 0..2 {
        let mut raw = RawTcp::connect(&address).await;
        raw.send(&upgrade_preamble(&address, "application/ssl-tls"))
            .await;
        assert_eq!(raw.read_exact(1).await, [0x0A]);
        silent.push(raw);
    }
    // A real client still gets through, and the silent ones are closed by the timeout.
    let answer = call(&host, client_side(&pki, TcpClientCredentialType::None)).await;
    assert_eq!(
        answer.expect("served despite the silent sockets"),
        "anonymous"
    );
    for mut raw in silent {
        assert!(
            raw.closed_within(Duration::from_secs(3)).await,
            "a silent TLS socket is closed"
        );
    }
    host.close().await.unwrap();
}

#[tokio::test]
async fn plaintext_where_tls_is_expected_is_dropped() {
    let pki = Pki::new("Test CA");
    let host = host(server_side(&pki, TcpClientCredentialType::None)).await;
    let address = host.addresses()[0].clone();
    let mut raw = RawTcp::connect(&address).await;
    raw.send(&upgrade_preamble(&address, "application/ssl-tls"))
        .await;
    assert_eq!(raw.read_exact(1).await, [0x0A]);
    // Framing records instead of a ClientHello.
    raw.send(&[0x0C]).await;
    assert!(raw.closed_within(Duration::from_secs(3)).await);
    let answer = call(&host, client_side(&pki, TcpClientCredentialType::None)).await;
    assert_eq!(answer.expect("others are served"), "anonymous");
    host.close().await.unwrap();
}

#[tokio::test]
async fn tls_1_2_and_1_3_both_work_and_a_version_mismatch_fails_the_handshake() {
    let pki = Pki::new("Test CA");
    let host_12 = host(
        server_side(&pki, TcpClientCredentialType::None).with_ssl_protocols(SslProtocols::Tls12),
    )
    .await;
    let client =
        |protocols| client_side(&pki, TcpClientCredentialType::None).with_ssl_protocols(protocols);
    for protocols in [SslProtocols::Tls12, SslProtocols::Tls12And13] {
        let answer = call(&host_12, client(protocols)).await;
        assert_eq!(answer.expect("TLS 1.2"), "anonymous", "{protocols:?}");
    }
    let error = call(&host_12, client(SslProtocols::Tls13))
        .await
        .expect_err("no common version");
    assert!(error.to_string().contains("TLS handshake"), "{error}");
    host_12.close().await.unwrap();

    let host_13 = host(
        server_side(&pki, TcpClientCredentialType::Certificate)
            .with_ssl_protocols(SslProtocols::Tls13),
    )
    .await;
    let mutual =
        client(SslProtocols::Tls13).with_client_certificate(pki.issue("bob", &["bob.example.org"]));
    let mutual = TcpSecurity {
        client_credential_type: TcpClientCredentialType::Certificate,
        ..mutual
    };
    assert_eq!(
        call(&host_13, mutual).await.expect("TLS 1.3, mutual"),
        "O=Indigo Tests, CN=bob"
    );
    host_13.close().await.unwrap();
}

#[indigo::service_contract(namespace = "http://example.org/secure/", session = Required)]
pub trait Teller {
    /// The caller's certificate subject and the session's id (a reliable session's is its
    /// inbound sequence's identifier).
    #[operation(initiating = true)]
    async fn who(&self) -> String;
}

struct TellerService;

impl Teller for TellerService {
    async fn who(&self) -> String {
        OperationContext::with(|ctx| {
            let subject = match ctx.caller_identity() {
                CallerIdentity::Certificate(info) => info.subject.clone(),
                _ => "anonymous".to_owned(),
            };
            format!("{subject}|{}", ctx.session_id().unwrap_or_default())
        })
        .unwrap_or_default()
    }
}

#[tokio::test]
async fn a_reliable_session_over_tls_is_bound_to_the_identity_that_created_it() {
    use indigo::__internals::ClientChannelShape;
    use indigo::message::{Body, Message, QualifiedName, RawHeader, XmlFragment};
    use indigo::Binding;
    const WSRM: &str = "http://schemas.xmlsoap.org/ws/2005/02/rm";

    let pki = Pki::new("Test CA");
    let service_binding = quick(
        NetTcpBinding::new().with_security(server_side(&pki, TcpClientCredentialType::Certificate)),
    )
    .with_reliable_session();
    let host = ServiceHost::builder(TellerContract::per_session(|| TellerService))
        .endpoint(service_binding, "net.tcp://127.0.0.1:0/teller")
        .open()
        .await
        .unwrap();
    let address = host.addresses()[0].clone();
    let as_client = |name: &str| {
        quick(
            NetTcpBinding::new().with_security(
                client_side(&pki, TcpClientCredentialType::Certificate)
                    .with_client_certificate(pki.issue(name, &[])),
            ),
        )
    };

    // Alice's session: the operation sees her certificate, also through the reliable layer.
    let alice = TellerClient::connect(&as_client("alice").with_reliable_session(), &address)
        .await
        .unwrap();
    let (alice, answer) = alice.who().await.unwrap();
    let (subject, sequence) = answer.split_once('|').expect("subject|sequence");
    assert_eq!(subject, "O=Indigo Tests, CN=alice");
    assert!(sequence.starts_with("urn:uuid:"), "{answer}");

    // Mallory, on a connection of her own authenticated as herself, asks for an
    // acknowledgement of Alice's sequence: refused with WS-Security's InvalidSecurity.
    let mallory = as_client("mallory");
    let ClientChannelShape::DuplexSession(mut channel) =
        mallory.open_channel(&address).await.expect("connect")
    else {
        panic!("a session channel");
    };
    let mut message = Message::new(
        mallory.encoder().message_version(),
        format!("{WSRM}/AckRequested"),
        Body::Empty,
    );
    message.headers.to = Some(address.clone());
    message.headers.other.push(RawHeader {
        name: QualifiedName::new(WSRM, "AckRequested"),
        must_understand: false,
        xml: XmlFragment::new(format!(
            r#"<r:AckRequested xmlns:r="{WSRM}"><r:Identifier>{sequence}</r:Identifier></r:AckRequested>"#
        )),
    });
    channel.sink.send(message).await.expect("sent");
    let reply = tokio::time::timeout(Duration::from_secs(5), channel.source.receive())
        .await
        .expect("an answer in time")
        .expect("a message")
        .expect("not the end");
    match &reply.body {
        Body::Fault(fault) => assert!(
            fault.has_subcode(
                "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
                "InvalidSecurity"
            ),
            "{fault:?}"
        ),
        other => panic!("expected the InvalidSecurity fault, got {other:?}"),
    }

    // Alice's session goes on.
    assert!(alice
        .who()
        .await
        .unwrap()
        .starts_with("O=Indigo Tests, CN=alice|"));
    alice.close().await.unwrap();
    host.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reliable_session_over_tls_survives_cuts_re_authenticating_each_connection() {
    use indigo_tests::chaos::ChaosProxy;
    let pki = Pki::new("Test CA");
    let upstream = indigo_tests::gsoap::free_port();
    let every = Duration::from_millis(150);
    let proxy = ChaosProxy::start(upstream, Some((every, every)), 0x71f5).await;
    let address = format!("net.tcp://127.0.0.1:{}/teller", proxy.port());
    let service_binding = quick(
        NetTcpBinding::new().with_security(server_side(&pki, TcpClientCredentialType::Certificate)),
    )
    .with_reliable_session();
    let host = ServiceHost::builder(TellerContract::per_session(|| TellerService))
        .endpoint_with_listen_address(
            service_binding,
            &address,
            format!("net.tcp://127.0.0.1:{upstream}/teller"),
        )
        .open()
        .await
        .unwrap();
    let client_binding = quick(
        NetTcpBinding::new().with_security(
            client_side(&pki, TcpClientCredentialType::Certificate)
                .with_client_certificate(pki.issue("alice", &[])),
        ),
    )
    .with_reliable_session();
    let alice = TellerClient::connect(&client_binding, &address)
        .await
        .unwrap();
    let (alice, first) = alice.who().await.unwrap();
    let run = async {
        let mut answers = Vec::new();
        for _ in 0..200 {
            answers.push(alice.who().await.unwrap());
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        answers
    };
    let answers = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("no stall through the cuts");
    // Every call reached the same session as Alice, over however many TLS connections.
    assert!(
        answers.iter().all(|a| *a == first),
        "{first} against {answers:?}"
    );
    assert!(
        first.starts_with("O=Indigo Tests, CN=alice|urn:uuid:"),
        "{first}"
    );
    assert!(
        proxy.connections() > 1,
        "the session moved to new connections ({} cuts)",
        proxy.cuts()
    );
    alice.close().await.unwrap();
    host.abort();
}

#[tokio::test]
async fn the_service_s_authorization_refuses_a_caller_with_wcf_s_access_denied_fault() {
    let pki = Pki::new("Test CA");
    let security = quick(
        NetTcpBinding::new().with_security(server_side(&pki, TcpClientCredentialType::Certificate)),
    );
    let host = ServiceHost::builder(WhoamiContract::single(WhoamiService))
        .authorization(|ctx: &OperationContext| match ctx.caller_identity() {
            CallerIdentity::Certificate(info) => info.subject.ends_with("CN=alice"),
            _ => false,
        })
        .endpoint(security, ADDRESS)
        .open()
        .await
        .unwrap();
    let as_client = |name: &str| {
        client_side(&pki, TcpClientCredentialType::Certificate)
            .with_client_certificate(pki.issue(name, &[]))
    };
    assert_eq!(
        call(&host, as_client("alice")).await.expect("alice may"),
        "O=Indigo Tests, CN=alice"
    );
    match call(&host, as_client("bob")).await {
        Err(Error::Fault(fault)) => {
            assert_eq!(fault.reason, "Access is denied.");
            assert!(
                fault.has_subcode(
                    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
                    "FailedAuthentication"
                ),
                "{fault:?}"
            );
        }
        other => panic!("expected Access is denied, got {other:?}"),
    }
    host.close().await.unwrap();
}

#[tokio::test]
async fn an_expired_service_certificate_is_refused_and_the_host_serves_others() {
    let pki = Pki::new("Test CA");
    let expired = TcpSecurity::transport(TcpClientCredentialType::None)
        .with_service_certificate(pki.issue_expired("service", &["localhost"]));
    let host_expired = host(expired).await;
    let error = call(
        &host_expired,
        client_side(&pki, TcpClientCredentialType::None),
    )
    .await
    .expect_err("an expired certificate");
    let text = error.to_string();
    assert!(
        text.contains("TLS") && text.to_lowercase().contains("expired"),
        "{text}"
    );
    host_expired.close().await.unwrap();
}

#[tokio::test]
async fn peer_trust_refuses_an_expired_certificate_as_wcf_does() {
    let pki = Pki::new("Test CA");
    let expired = pki.issue_expired("service", &["localhost"]);
    let trusted = expired.info().der;
    assert!(!expired.info().is_valid_at(std::time::SystemTime::now()));
    let host = host(
        TcpSecurity::transport(TcpClientCredentialType::None).with_service_certificate(expired),
    )
    .await;
    let peer_trust = TcpSecurity::transport(TcpClientCredentialType::None)
        .with_service_certificate_validation(CertificateValidation::PeerTrust(vec![trusted]));
    let error = call(&host, peer_trust).await.expect_err("expired");
    assert!(error.to_string().contains("has expired"), "{error}");
    // Validation None accepts anything, as in WCF.
    let none = TcpSecurity::transport(TcpClientCredentialType::None)
        .with_service_certificate_validation(CertificateValidation::None);
    assert_eq!(call(&host, none).await.expect("None accepts"), "anonymous");
    host.close().await.unwrap();
}

fn windows_service(level: ProtectionLevel) -> TcpSecurity {
    TcpSecurity::transport(TcpClientCredentialType::Windows)
        .with_protection_level(level)
        .with_windows_accounts(
            WindowsAccounts::new()
                .with_account(
                    WindowsAccount::new("CONTOSO", "alice", "s3cret")
                        .with_sid("S-1-5-21-3623811015-3361044348-30300820-1013"),
                )
                .with_account(WindowsAccount::new("CONTOSO", "bob", "hunter2")),
        )
}

/// Alice, with the right password and WCF's default protection, is served at `address`.
async fn alice_is_served(address: &str) {
    let client = windows_client(r"CONTOSO\alice", "s3cret", ProtectionLevel::EncryptAndSign);
    let answer = call_at(address, client).await.expect("Alice is served");
    assert!(answer.starts_with(r"CONTOSO\alice|"), "{answer}");
}

fn windows_client(logon: &str, password: &str, level: ProtectionLevel) -> TcpSecurity {
    TcpSecurity::transport(TcpClientCredentialType::Windows)
        .with_protection_level(level)
        .with_windows_credential(WindowsCredential::parse(logon, password))
}

#[tokio::test]
async fn windows_credentials_log_on_at_every_protection_level_and_name_the_account() {
    for level in [
        ProtectionLevel::None,
        ProtectionLevel::Sign,
        ProtectionLevel::EncryptAndSign,
    ] {
        let host = host(windows_service(level)).await;
        let answer = call(&host, windows_client(r"CONTOSO\alice", "s3cret", level))
            .await
            .unwrap_or_else(|e| panic!("{level:?}: {e}"));
        assert_eq!(
            answer, r"CONTOSO\alice|S-1-5-21-3623811015-3361044348-30300820-1013|NTLM",
            "{level:?}"
        );
        // Case does not matter in the names, as on Windows; the account's spelling is shown.
        let answer = call(&host, windows_client(r"contoso\BOB", "hunter2", level))
            .await
            .expect("bob logs on");
        assert_eq!(answer, r"CONTOSO\bob|no SID|NTLM");
        host.close().await.unwrap();
    }
}

#[tokio::test]
async fn the_default_wcf_binding_is_windows_with_encrypt_and_sign() {
    // `new NetTcpBinding()` in WCF: Transport, Windows, EncryptAndSign; Indigo's defaults for
    // the same security mode are these.
    let security = TcpSecurity::transport(TcpClientCredentialType::default());
    assert_eq!(
        security.client_credential_type,
        TcpClientCredentialType::Windows
    );
    assert_eq!(security.protection_level, ProtectionLevel::EncryptAndSign);
}

#[tokio::test]
async fn a_wrong_password_is_refused_as_logon_denied_and_others_are_served() {
    let host = host(windows_service(ProtectionLevel::EncryptAndSign)).await;
    for (logon, password) in [
        (r"CONTOSO\alice", "wrong"),
        (r"CONTOSO\mallory", "s3cret"),
        (r"CONTOSO\alice", "hunter2"),
        ("alice", "s3cret"),
    ] {
        let error = call(
            &host,
            windows_client(logon, password, ProtectionLevel::EncryptAndSign),
        )
        .await
        .expect_err("refused");
        assert!(
            error.to_string().contains("logon denied"),
            "{logon}: {error}"
        );
    }
    alice_is_served(&host.addresses()[0]).await;
    host.close().await.unwrap();
}

#[tokio::test]
async fn less_protection_than_the_service_requires_is_refused_naming_the_mismatch() {
    let strict = host(windows_service(ProtectionLevel::EncryptAndSign)).await;
    for level in [ProtectionLevel::None, ProtectionLevel::Sign] {
        let error = call(&strict, windows_client(r"CONTOSO\alice", "s3cret", level))
            .await
            .expect_err("too little protection");
        assert!(
            error.to_string().contains("protection level"),
            "{level:?}: {error}"
        );
    }
    strict.close().await.unwrap();
    // A client asking more than a service requires gets what it asks for.
    let lenient = host(windows_service(ProtectionLevel::None)).await;
    alice_is_served(&lenient.addresses()[0]).await;
    lenient.close().await.unwrap();
}

#[tokio::test]
async fn windows_and_tls_sides_tell_each_other_the_upgrade_is_not_offered() {
    let pki = Pki::new("Test CA");
    let tls_host = host(server_side(&pki, TcpClientCredentialType::None)).await;
    let error = call(
        &tls_host,
        windows_client(r"CONTOSO\alice", "s3cret", ProtectionLevel::EncryptAndSign),
    )
    .await
    .expect_err("the service offers TLS");
    let text = error.to_string();
    assert!(
        text.contains("UpgradeInvalid") && text.contains("application/negotiate"),
        "{text}"
    );
    tls_host.close().await.unwrap();

    let windows_host = host(windows_service(ProtectionLevel::EncryptAndSign)).await;
    let error = call(
        &windows_host,
        client_side(&pki, TcpClientCredentialType::None),
    )
    .await
    .expect_err("the service wants Windows credentials");
    assert!(error.to_string().contains("application/ssl-tls"), "{error}");
    let error = call(&windows_host, TcpSecurity::default())
        .await
        .expect_err("the service wants an upgrade");
    assert!(error.to_string().contains("transport security"), "{error}");
    windows_host.close().await.unwrap();
}

#[tokio::test]
async fn a_windows_client_without_an_account_fails_plainly() {
    let host = host(windows_service(ProtectionLevel::EncryptAndSign)).await;
    let error = call(
        &host,
        TcpSecurity::transport(TcpClientCredentialType::Windows),
    )
    .await
    .expect_err("no account");
    assert!(
        error.to_string().contains("with_windows_credential"),
        "{error}"
    );
    host.close().await.unwrap();
}

/// WCF's preamble asking for the stream upgrade `protocol` (net-tcp.md: version, duplex mode,
/// Via, binary session encoding, UpgradeRequest; PreambleEnd comes after the upgrade).
fn upgrade_preamble(address: &str, protocol: &str) -> Vec<u8> {
    let via = address.as_bytes();
    let mut preamble = vec![0x00, 0x01, 0x00, 0x01, 0x02, 0x02, via.len() as u8];
    preamble.extend_from_slice(via);
    preamble.extend_from_slice(&[0x03, 0x08, 0x09, protocol.len() as u8]);
    preamble.extend_from_slice(protocol.as_bytes());
    preamble
}

fn negotiate_preamble(address: &str) -> Vec<u8> {
    upgrade_preamble(address, "application/negotiate")
}

#[tokio::test]
async fn a_garbage_or_silent_negotiate_handshake_is_ended_and_others_are_served() {
    let binding =
        quick(NetTcpBinding::new().with_security(windows_service(ProtectionLevel::EncryptAndSign)))
            .with_channel_initialization_timeout(Duration::from_millis(300));
    let host = ServiceHost::builder(WhoamiContract::single(WhoamiService))
        .endpoint(binding, ADDRESS)
        .open()
        .await
        .unwrap();
    let address = host.addresses()[0].clone();

    // A handshake message whose token is no security token: the service answers with MS-NNS's
    // error message (0x15, version 1.0, 8 bytes: SEC_E_INVALID_TOKEN) and closes.
    let mut garbage = RawTcp::connect(&address).await;
    garbage.send(&negotiate_preamble(&address)).await;
    assert_eq!(garbage.read_exact(1).await, [0x0A], "UpgradeResponse");
    garbage
        .send(&[0x16, 0x01, 0x00, 0x00, 0x04, b'J', b'U', b'N', b'K'])
        .await;
    assert_eq!(
        garbage.read_exact(13).await,
        [0x15, 0x01, 0x00, 0x00, 0x08, 0, 0, 0, 0, 0x80, 0x09, 0x03, 0x08]
    );
    assert!(garbage.closed_within(Duration::from_secs(3)).await);

    // Framing records where the handshake should be: closed.
    let mut plaintext = RawTcp::connect(&address).await;
    plaintext.send(&negotiate_preamble(&address)).await;
    assert_eq!(plaintext.read_exact(1).await, [0x0A]);
    plaintext.send(&[0x0C]).await;
    assert!(plaintext.closed_within(Duration::from_secs(3)).await);

    // Silent after the upgrade: closed by the ChannelInitializationTimeout.
    let mut silent = RawTcp::connect(&address).await;
    silent.send(&negotiate_preamble(&address)).await;
    assert_eq!(silent.read_exact(1).await, [0x0A]);
    assert!(silent.closed_within(Duration::from_secs(3)).await);

    alice_is_served(&host.addresses()[0]).await;
    host.close().await.unwrap();
}

/// A relay on `listener` to the service on `upstream` that flips one bit in the first
/// NegotiateStream data message (the protected PreambleEnd) of the first connection, after
/// the handshake; later connections pass untouched.
fn tampering_relay(listener: tokio::net::TcpListener, upstream: u16, preamble_len: usize) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    tokio::spawn(async move {
        let mut tamper = true;
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await else {
                return;
            };
            let flip = std::mem::replace(&mut tamper, false);
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
            });
            tokio::spawn(async move {
                // Client to service: the preamble, then handshake messages (their second and
                // third bytes are the version, 1.0), then data messages.
                let mut seen = Vec::new();
                let mut chunk = [0u8; 4096];
                let mut flipped = !flip;
                loop {
                    let n = match client_read.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    let start = seen.len();
                    seen.extend_from_slice(&chunk[..n]);
                    if !flipped {
                        let mut at = preamble_len;
                        while at + 5 <= seen.len() && seen[at + 1] == 1 && seen[at + 2] == 0 {
                            at += 5 + usize::from(u16::from_be_bytes([seen[at + 3], seen[at + 4]]));
                        }
                        // The data message: 4 bytes of length, 16 of signature, then the data.
                        let target = at + 4 + 16;
                        if at + 5 <= seen.len() && (start..seen.len()).contains(&target) {
                            seen[target] ^= 0x01;
                            flipped = true;
                        }
                    }
                    if server_write.write_all(&seen[start..]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
}

#[tokio::test]
async fn a_tampered_negotiate_stream_message_closes_that_connection_only() {
    let upstream = indigo_tests::gsoap::free_port();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!(
        "net.tcp://127.0.0.1:{}/whoami",
        listener.local_addr().unwrap().port()
    );
    tampering_relay(listener, upstream, negotiate_preamble(&address).len());
    let service =
        quick(NetTcpBinding::new().with_security(windows_service(ProtectionLevel::EncryptAndSign)));
    let host = ServiceHost::builder(WhoamiContract::single(WhoamiService))
        .endpoint_with_listen_address(
            service,
            &address,
            format!("net.tcp://127.0.0.1:{upstream}/whoami"),
        )
        .open()
        .await
        .unwrap();
    let client = windows_client(r"CONTOSO\alice", "s3cret", ProtectionLevel::EncryptAndSign);
    let error = call_at(&address, client)
        .await
        .expect_err("the service drops the tampered connection");
    assert!(matches!(error, Error::Transport(_)), "{error}");
    alice_is_served(&address).await;
    host.close().await.unwrap();
}
