//! SOAP over HTTP: WsHttpBinding (SOAP 1.2 + WS-Addressing 1.0) and BasicHttpBinding (SOAP 1.1),
//! request-reply, one-way (202 Accepted), typed faults, and what the service does with bad
//! HTTP input.

use indigo::{BasicHttpBinding, CallError, ServiceHost, WsHttpBinding};
use indigo_tests::echo::{EchoClient, EchoContract, EchoService};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn host<B>(binding: B) -> (ServiceHost, String)
where
    B: indigo::Binding,
    EchoContract: indigo::binding::CarriedBy<B>,
{
    let host = ServiceHost::builder(EchoContract::single(EchoService::default()))
        .endpoint(binding, "http://127.0.0.1:0/echo")
        .open()
        .await
        .expect("open the HTTP host");
    let address = host.addresses()[0].clone();
    (host, address)
}

async fn wait_for_notification(client: &EchoClient, expected: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if client.echo("last-notify".to_owned()).await.unwrap() == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "one-way call never ran"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn exercise<B>(binding: B)
where
    B: indigo::Binding,
    EchoContract: indigo::binding::CarriedBy<B>,
{
    let (host, address) = host(binding.clone()).await;
    assert!(
        address.starts_with("http://127.0.0.1:") && address.ends_with("/echo"),
        "{address}"
    );
    let client = EchoClient::connect(&binding, &address).await.unwrap();
    assert_eq!(
        client.echo("hello <&> world".to_owned()).await.unwrap(),
        "hello <&> world"
    );
    client.notify("n1".to_owned()).await.unwrap();
    wait_for_notification(&client, "n1").await;
    match client.fail("why".to_owned()).await {
        Err(CallError::Fault(fault)) => {
            assert_eq!(fault.reason, "echo failed");
            assert_eq!(fault.detail.reason, "why");
        }
        other => panic!("expected the typed fault, got {other:?}"),
    }
    client.close().await.unwrap();
    host.close().await.unwrap();
}

#[tokio::test]
async fn ws_http_binding_round_trips() {
    exercise(WsHttpBinding::new()).await;
}

#[tokio::test]
async fn basic_http_binding_round_trips() {
    exercise(BasicHttpBinding::new()).await;
}

/// Sends raw bytes to `address`'s host and port; returns the status code and body.
async fn raw_http(address: &str, request: impl FnOnce(&str, &str) -> Vec<u8>) -> (u16, String) {
    let rest = address.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    stream.write_all(&request(authority, path)).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response))
        .await
        .expect("the service answered")
        .unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn post(content_type: &str, extra: &str, body: &str) -> impl FnOnce(&str, &str) -> Vec<u8> {
    let (content_type, extra, body) = (content_type.to_owned(), extra.to_owned(), body.to_owned());
    move |authority, path| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {content_type}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }
}

const SOAP12: &str =
    r#"application/soap+xml; charset=utf-8; action="http://example.org/echo/IEcho/Echo""#;

#[tokio::test]
async fn bad_http_input_gets_the_right_status() {
    let (_host, address) = host(WsHttpBinding::new()).await;
    let echo = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://example.org/echo/IEcho/Echo</a:Action><a:MessageID>urn:uuid:1</a:MessageID></s:Header><s:Body><Echo xmlns="http://example.org/echo/"><text>hi</text></Echo></s:Body></s:Envelope>"#;

    let (status, body) = raw_http(&address, post(SOAP12, "", echo)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<EchoResult>hi</EchoResult>"), "{body}");

    let get = |authority: &str, path: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")
            .into_bytes()
    };
    assert_eq!(raw_http(&address, get).await.0, 405);
    assert_eq!(
        raw_http(&address, post("text/plain", "", echo)).await.0,
        415
    );
    let wrong_path = address.replace("/echo", "/nothing");
    assert_eq!(raw_http(&wrong_path, post(SOAP12, "", echo)).await.0, 404);

    let huge = format!("{}{}", echo, " ".repeat(70_000));
    assert_eq!(raw_http(&address, post(SOAP12, "", &huge)).await.0, 413);

    let (status, body) = raw_http(&address, post(SOAP12, "", "<s:Envelope><oops")).await;
    assert_eq!(status, 500);
    assert!(body.contains("Fault"), "{body}");

    let unknown = echo.replace("IEcho/Echo<", "IEcho/Nothing<");
    let (status, body) = raw_http(&address, post(SOAP12, "", &unknown)).await;
    assert_eq!(status, 500);
    assert!(body.contains("ActionNotSupported"), "{body}");

    // The service still works after all that.
    let client = EchoClient::connect(&WsHttpBinding::new(), &address)
        .await
        .unwrap();
    assert_eq!(
        client.echo("still here".to_owned()).await.unwrap(),
        "still here"
    );
}

#[tokio::test]
async fn soap11_takes_the_action_from_soapaction() {
    let (_host, address) = host(BasicHttpBinding::new()).await;
    let body = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Echo xmlns="http://example.org/echo/"><text>one-one</text></Echo></s:Body></s:Envelope>"#;
    let (status, reply) = raw_http(
        &address,
        post(
            "text/xml; charset=utf-8",
            "SOAPAction: \"http://example.org/echo/IEcho/Echo\"\r\n",
            body,
        ),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert!(
        reply.contains("<EchoResult>one-one</EchoResult>"),
        "{reply}"
    );
    assert!(
        !reply.contains("addressing"),
        "SOAP 1.1 replies carry no WS-Addressing: {reply}"
    );
}

#[tokio::test]
async fn one_host_serves_several_endpoints_and_closes_them_together() {
    let host = ServiceHost::builder(EchoContract::single(EchoService::default()))
        .endpoint(WsHttpBinding::new(), "http://127.0.0.1:0/ws")
        .endpoint(BasicHttpBinding::new(), "http://127.0.0.1:0/basic")
        .endpoint(indigo::MemoryBinding::new(), "memory://multi-endpoint-echo")
        .open()
        .await
        .unwrap();
    let addresses = host.addresses();
    assert_eq!(addresses.len(), 3);
    let ws = EchoClient::connect(&WsHttpBinding::new(), &addresses[0])
        .await
        .unwrap();
    let basic = EchoClient::connect(&BasicHttpBinding::new(), &addresses[1])
        .await
        .unwrap();
    let memory = EchoClient::connect(&indigo::MemoryBinding::new(), &addresses[2])
        .await
        .unwrap();
    // One Single instance behind all three endpoints.
    ws.notify("from ws".to_owned()).await.unwrap();
    wait_for_notification(&basic, "from ws").await;
    assert_eq!(
        memory.echo("last-notify".to_owned()).await.unwrap(),
        "from ws"
    );

    host.close().await.unwrap();
    assert!(
        ws.echo("x".to_owned()).await.is_err(),
        "the HTTP endpoint still answers"
    );
    assert!(
        EchoClient::connect(&indigo::MemoryBinding::new(), &addresses[2])
            .await
            .is_err(),
        "the in-process endpoint still accepts"
    );
}
