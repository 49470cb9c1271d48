//! HTTPS for BasicHttpBinding and WsHttpBinding (WCF's `BasicHttpsBinding` and
//! `SecurityMode.Transport`): TLS with the service's certificate, client certificates, HTTP
//! Basic with the service's validator, the caller's identity, and the refusals a WCF service
//! gives (401 with `WWW-Authenticate: Basic`).

use indigo::security::{
    CallerIdentity, CertificateValidation, HttpClientCredentialType, HttpSecurity,
    UserNameCredential,
};
use indigo::{BasicHttpBinding, Error, OperationContext, ServiceHost, WsHttpBinding};
use indigo_tests::pki::Pki;
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
            CallerIdentity::Certificate(info) => format!("certificate {}", info.subject),
            CallerIdentity::UserName(name) => format!("user {name}"),
            _ => "anonymous".to_owned(),
        })
        .unwrap_or_default()
    }
}

fn service_security(pki: &Pki, credential: HttpClientCredentialType) -> HttpSecurity {
    HttpSecurity::transport(credential)
        .with_service_certificate(pki.issue("service", &["localhost"]))
        .with_client_certificate_validation(CertificateValidation::ChainTrustIn(pki.root()))
        .with_user_name_validator(|user, password| match (user, password) {
            ("alice", "secret") => Ok(()),
            _ => Err("wrong user name or password".to_owned()),
        })
}

fn client_security(pki: &Pki, credential: HttpClientCredentialType) -> HttpSecurity {
    HttpSecurity::transport(credential)
        .with_service_certificate_validation(CertificateValidation::ChainTrustIn(pki.root()))
}

fn basic(security: HttpSecurity) -> BasicHttpBinding {
    BasicHttpBinding::new()
        .with_security(security)
        .with_open_timeout(Duration::from_secs(5))
        .with_send_timeout(Duration::from_secs(5))
}

async fn host(security: HttpSecurity) -> ServiceHost {
    ServiceHost::builder(WhoamiContract::single(WhoamiService))
        .endpoint(basic(security), "https://127.0.0.1:0/whoami")
        .open()
        .await
        .expect("the host opens")
}

async fn call(host: &ServiceHost, security: HttpSecurity) -> Result<String, Error> {
    let client = WhoamiClient::connect(&basic(security), &host.addresses()[0]).await?;
    client.whoami().await
}

#[tokio::test]
async fn basic_http_over_https_with_a_service_certificate() {
    let pki = Pki::new("Test CA");
    let host = host(service_security(&pki, HttpClientCredentialType::None)).await;
    assert!(
        host.addresses()[0].starts_with("https://127.0.0.1:"),
        "{:?}",
        host.addresses()
    );
    let answer = call(&host, client_security(&pki, HttpClientCredentialType::None)).await;
    assert_eq!(answer.expect("the call succeeds"), "anonymous");
    host.close().await.unwrap();
}

#[tokio::test]
async fn ws_http_over_https() {
    let pki = Pki::new("Test CA");
    let binding = |security| {
        WsHttpBinding::new()
            .with_security(security)
            .with_open_timeout(Duration::from_secs(5))
    };
    let host = ServiceHost::builder(WhoamiContract::single(WhoamiService))
        .endpoint(
            binding(service_security(&pki, HttpClientCredentialType::None)),
            "https://127.0.0.1:0/whoami",
        )
        .open()
        .await
        .unwrap();
    let client = WhoamiClient::connect(
        &binding(client_security(&pki, HttpClientCredentialType::None)),
        &host.addresses()[0],
    )
    .await
    .unwrap();
    assert_eq!(client.whoami().await.unwrap(), "anonymous");
    host.close().await.unwrap();
}

#[tokio::test]
async fn a_client_certificate_is_the_caller() {
    let pki = Pki::new("Test CA");
    let host = host(service_security(
        &pki,
        HttpClientCredentialType::Certificate,
    ))
    .await;
    let client = client_security(&pki, HttpClientCredentialType::Certificate)
        .with_client_certificate(pki.issue("carol", &["carol.example.org"]));
    let answer = call(&host, client).await.expect("mutual TLS");
    assert_eq!(answer, "certificate O=Indigo Tests, CN=carol");
    let without = client_security(&pki, HttpClientCredentialType::None);
    assert!(call(&host, without).await.is_err(), "no client certificate");
    host.close().await.unwrap();
}

#[tokio::test]
async fn basic_credentials_are_checked_by_the_service_s_validator() {
    let pki = Pki::new("Test CA");
    let host = host(service_security(&pki, HttpClientCredentialType::Basic)).await;
    let as_user = |user: &str, password: &str| {
        client_security(&pki, HttpClientCredentialType::Basic)
            .with_user_name(UserNameCredential::new(user, password))
    };
    assert_eq!(
        call(&host, as_user("alice", "secret"))
            .await
            .expect("right password"),
        "user alice"
    );
    let error = call(&host, as_user("alice", "wrong"))
        .await
        .expect_err("wrong password");
    assert!(error.to_string().contains("401"), "{error}");
    let error = call(&host, client_security(&pki, HttpClientCredentialType::None))
        .await
        .expect_err("no credentials");
    assert!(error.to_string().contains("401"), "{error}");
    host.close().await.unwrap();
}

#[tokio::test]
async fn an_untrusted_service_certificate_is_refused_by_the_client() {
    let pki = Pki::new("Test CA");
    let host = host(service_security(&pki, HttpClientCredentialType::None)).await;
    let stranger = Pki::new("Other CA");
    let error = call(
        &host,
        client_security(&stranger, HttpClientCredentialType::None),
    )
    .await
    .expect_err("untrusted");
    let text = error.to_string();
    assert!(
        text.contains("TLS") && text.contains("certificate"),
        "{text}"
    );
    host.close().await.unwrap();
}

#[tokio::test]
async fn schemes_and_security_must_agree() {
    let pki = Pki::new("Test CA");
    // A secured binding on an http:// address, and a plain one on https://, as WCF refuses.
    let opened = ServiceHost::builder(WhoamiContract::single(WhoamiService))
        .endpoint(
            basic(service_security(&pki, HttpClientCredentialType::None)),
            "http://127.0.0.1:0/whoami",
        )
        .open()
        .await;
    let Err(error) = opened else {
        panic!("a secured binding needs https");
    };
    assert!(error.to_string().contains("https://"), "{error}");
    let opened = ServiceHost::builder(WhoamiContract::single(WhoamiService))
        .endpoint(BasicHttpBinding::new(), "https://127.0.0.1:0/whoami")
        .open()
        .await;
    let Err(error) = opened else {
        panic!("https needs security");
    };
    assert!(error.to_string().contains("transport security"), "{error}");
}

#[tokio::test]
async fn a_plain_http_client_against_https_fails_and_the_service_goes_on() {
    let pki = Pki::new("Test CA");
    let host = host(service_security(&pki, HttpClientCredentialType::None)).await;
    let address = host.addresses()[0].replace("https://", "http://");
    let client = WhoamiClient::connect(&BasicHttpBinding::new(), &address)
        .await
        .unwrap();
    assert!(client.whoami().await.is_err(), "plaintext to a TLS port");
    let answer = call(&host, client_security(&pki, HttpClientCredentialType::None)).await;
    assert_eq!(answer.expect("served"), "anonymous");
    host.close().await.unwrap();
}

fn message_credential(pki: &Pki) -> HttpSecurity {
    HttpSecurity::transport_with_message_credential()
        .with_service_certificate(pki.issue("service", &["localhost"]))
        .with_user_name_validator(|user, password| match (user, password) {
            ("alice", "secret") => Ok(()),
            _ => Err("wrong user name or password".to_owned()),
        })
}

#[tokio::test]
async fn a_username_token_in_the_message_is_checked_by_the_validator() {
    let pki = Pki::new("Test CA");
    let host = host(message_credential(&pki)).await;
    let as_user = |user: &str, password: &str| {
        HttpSecurity::transport_with_message_credential()
            .with_service_certificate_validation(CertificateValidation::ChainTrustIn(pki.root()))
            .with_user_name(UserNameCredential::new(user, password))
    };
    assert_eq!(
        call(&host, as_user("alice", "secret"))
            .await
            .expect("right password"),
        "user alice"
    );
    match call(&host, as_user("alice", "wrong")).await {
        Err(Error::Fault(fault)) => {
            assert_eq!(
                fault.reason,
                "At least one security token in the message could not be validated."
            );
            assert!(fault.has_subcode(indigo::message::ns::WSSE, "FailedAuthentication"));
        }
        other => panic!("expected FailedAuthentication, got {other:?}"),
    }
    // A client with transport security only sends no token.
    match call(&host, client_security(&pki, HttpClientCredentialType::None)).await {
        Err(Error::Fault(fault)) => {
            assert!(
                fault.has_subcode(indigo::message::ns::WSSE, "InvalidSecurity"),
                "{fault:?}"
            );
        }
        other => panic!("expected InvalidSecurity, got {other:?}"),
    }
    host.close().await.unwrap();
}

#[indigo::service_contract(namespace = "http://example.org/secure/", session = Required)]
pub trait Teller {
    /// The caller and the session's id (a reliable session's inbound sequence).
    #[operation(initiating = true)]
    async fn who(&self) -> String;
}

struct TellerService;

impl Teller for TellerService {
    async fn who(&self) -> String {
        OperationContext::with(|ctx| {
            let caller = match ctx.caller_identity() {
                CallerIdentity::UserName(name) => name.clone(),
                _ => "anonymous".to_owned(),
            };
            format!("{caller}|{}", ctx.session_id().unwrap_or_default())
        })
        .unwrap_or_default()
    }
}

#[tokio::test]
async fn a_reliable_session_over_https_is_bound_to_the_user_who_created_it() {
    use indigo::__internals::ClientChannelShape;
    use indigo::message::{Body, Message, QualifiedName, RawHeader, XmlFragment};
    use indigo::Binding;
    const WSRM: &str = "http://schemas.xmlsoap.org/ws/2005/02/rm";
    let pki = Pki::new("Test CA");
    // Alice and Bob are both valid users.
    let both = service_security(&pki, HttpClientCredentialType::Basic).with_user_name_validator(
        |_, password| match password {
            "secret" => Ok(()),
            _ => Err("wrong password".to_owned()),
        },
    );
    let service = WsHttpBinding::new()
        .with_security(both)
        .with_open_timeout(Duration::from_secs(5))
        .with_reliable_session();
    let host = ServiceHost::builder(TellerContract::per_session(|| TellerService))
        .endpoint(service, "https://127.0.0.1:0/teller")
        .open()
        .await
        .unwrap();
    let address = host.addresses()[0].clone();
    let as_user = |user: &str, password: &str| {
        WsHttpBinding::new()
            .with_security(
                client_security(&pki, HttpClientCredentialType::Basic)
                    .with_user_name(UserNameCredential::new(user, password)),
            )
            .with_open_timeout(Duration::from_secs(5))
            .with_send_timeout(Duration::from_secs(5))
    };
    let alice = TellerClient::connect(
        &as_user("alice", "secret").with_reliable_session(),
        &address,
    )
    .await
    .unwrap();
    let (alice, answer) = alice.who().await.unwrap();
    let (caller, sequence) = answer.split_once('|').expect("caller|sequence");
    assert_eq!(caller, "alice", "the reliable session shows its creator");

    // Another valid user asks for an acknowledgement of Alice's sequence: refused.
    let bob = as_user("bob", "secret");
    let ClientChannelShape::Request(channel) = bob.open_channel(&address).await.expect("open")
    else {
        panic!("a request channel");
    };
    let mut message = Message::new(
        bob.encoder().message_version(),
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
    let reply = channel.request(&message).await;
    match reply {
        Ok(Some(reply)) => match &reply.body {
            Body::Fault(fault) => {
                assert!(
                    fault.has_subcode(indigo::message::ns::WSSE, "InvalidSecurity"),
                    "{fault:?}"
                )
            }
            other => panic!("expected InvalidSecurity, got {other:?}"),
        },
        Err(Error::Fault(fault)) => {
            assert!(
                fault.has_subcode(indigo::message::ns::WSSE, "InvalidSecurity"),
                "{fault:?}"
            )
        }
        other => panic!("expected InvalidSecurity, got {other:?}"),
    }
    assert!(alice.who().await.unwrap().starts_with("alice|"));
    alice.close().await.unwrap();
    host.close().await.unwrap();
}

/// Whether a raw TCP connection to `address` (which sends nothing, or `send`) is closed by the
/// service within `wait`.
async fn closed_by_service(address: &str, send: &[u8], wait: Duration) -> bool {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let authority = address
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("an authority");
    let mut socket = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connects");
    socket.write_all(send).await.expect("sends");
    let mut scratch = [0u8; 256];
    tokio::time::timeout(wait, async {
        loop {
            match socket.read(&mut scratch).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn silent_connections_are_closed_by_the_handshake_and_header_timeouts() {
    let pki = Pki::new("Test CA");
    let secured = basic(service_security(&pki, HttpClientCredentialType::None))
        .with_tls_handshake_timeout(Duration::from_millis(300))
        .with_request_header_timeout(Duration::from_millis(300));
    let host = ServiceHost::builder(WhoamiContract::single(WhoamiService))
        .endpoint(secured, "https://127.0.0.1:0/whoami")
        .open()
        .await
        .unwrap();
    let address = host.addresses()[0].clone();
    // Nothing at all, and a start of a ClientHello that never ends.
    assert!(closed_by_service(&address, &[], Duration::from_secs(3)).await);
    assert!(closed_by_service(&address, &[0x16, 0x03, 0x01], Duration::from_secs(3)).await);
    let answer = call(&host, client_security(&pki, HttpClientCredentialType::None)).await;
    assert_eq!(answer.expect("served meanwhile"), "anonymous");
    host.close().await.unwrap();

    let plain = BasicHttpBinding::new().with_request_header_timeout(Duration::from_millis(300));
    let host = ServiceHost::builder(WhoamiContract::single(WhoamiService))
        .endpoint(plain, "http://127.0.0.1:0/whoami")
        .open()
        .await
        .unwrap();
    let address = host.addresses()[0].clone();
    // Nothing at all, or half a request line and then silence.
    assert!(closed_by_service(&address, &[], Duration::from_secs(3)).await);
    assert!(
        closed_by_service(
            &address,
            b"POST /whoami HTTP/1.1\r\n",
            Duration::from_secs(3)
        )
        .await
    );
    host.close().await.unwrap();
}

#[tokio::test]
async fn with_every_connection_slot_taken_a_new_client_waits_until_one_frees() {
    let plain = BasicHttpBinding::new()
        .with_max_connections(2)
        .with_request_header_timeout(Duration::from_secs(30));
    let host = ServiceHost::builder(WhoamiContract::single(WhoamiService))
        .endpoint(plain, "http://127.0.0.1:0/whoami")
        .open()
        .await
        .unwrap();
    let address = host.addresses()[0].clone();
    let authority = address
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .expect("an authority")
        .to_owned();
    // Two silent connections take both slots (the header timeout would free them in 30 s).
    let first = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let second = tokio::net::TcpStream::connect(&authority).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let client = BasicHttpBinding::new().with_open_timeout(Duration::from_secs(10));
    let waiting = tokio::spawn(async move {
        let client = WhoamiClient::connect(&client, &address).await?;
        client.whoami().await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "served beyond the connection limit");
    // One silent client goes away: its slot is the waiting client's.
    drop(first);
    let answer = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("served once a slot freed")
        .expect("the task");
    assert_eq!(answer.expect("the call succeeds"), "anonymous");
    drop(second);
    host.close().await.unwrap();
}
