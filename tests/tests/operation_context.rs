//! The service side's OperationContext (headers, session id, peer address, per call), the
//! instance hooks (opened and closed once each, however a session ends), and instances shared
//! between sessions by a header of their first message.
//!
//! Typed clients cannot add custom headers, so the header tests speak through a raw message
//! channel of the binding, with envelopes built by hand.

use indigo::__internals::{ClientChannelShape, DuplexChannel};
use indigo::binding::Binding;
use indigo::message::{Body, Message, QualifiedName, RawHeader, XmlFragment};
use indigo::{
    BasicHttpBinding, Contract, MemoryBinding, NetTcpBinding, OperationContext, ServiceHost,
    WsHttpBinding,
};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Barrier;

const TENANT_NS: &str = "urn:indigo:tests:tenant";

#[indigo::service_contract(namespace = "urn:indigo:tests:context")]
pub trait Probe {
    /// What the operation context shows, as `name=value` lines, read before and after
    /// waiting `wait_ms` so that calls overlap.
    #[operation]
    async fn inspect(&self, wait_ms: u32) -> String;

    /// Adds `n` to the instance's total and returns the new total.
    #[operation]
    async fn add(&mut self, n: i32) -> i32;

    /// Waits for a second caller of this instance: true when one came (the two ran at once).
    #[operation]
    async fn meet(&self) -> bool;
}

/// What the hooks saw, shared with the test.
#[derive(Default)]
struct Log {
    opened: AtomicUsize,
    closed: AtomicUsize,
    /// Per closed instance: the session id its opened hook saw, and its final total.
    finals: Mutex<Vec<(Option<String>, i32)>>,
}

struct ProbeService {
    total: i32,
    opened_in: Option<String>,
    rendezvous: Barrier,
}

impl ProbeService {
    fn new() -> Self {
        ProbeService {
            total: 0,
            opened_in: None,
            rendezvous: Barrier::new(2),
        }
    }
}

fn snapshot() -> Vec<(&'static str, String)> {
    OperationContext::with(|ctx| {
        vec![
            ("operation", ctx.operation().name.to_owned()),
            ("action", ctx.action().to_owned()),
            ("message_id", ctx.message_id().unwrap_or("-").to_owned()),
            ("to", ctx.to().unwrap_or("-").to_owned()),
            ("reply_to", ctx.reply_to().unwrap_or("-").to_owned()),
            (
                "tenant",
                ctx.header_text(TENANT_NS, "Tenant")
                    .unwrap_or_else(|| "-".to_owned()),
            ),
            ("session", ctx.session_id().unwrap_or("-").to_owned()),
            (
                "remote",
                ctx.remote_address()
                    .map_or_else(|| "-".to_owned(), |a| a.to_string()),
            ),
            ("peer", ctx.peer().to_owned()),
        ]
    })
    .expect("an operation runs with a context")
}

impl Probe for ProbeService {
    async fn inspect(&self, wait_ms: u32) -> String {
        let before = snapshot();
        tokio::time::sleep(Duration::from_millis(wait_ms.into())).await;
        let after = snapshot();
        assert_eq!(before, after, "the context changed across an await");
        after
            .into_iter()
            .map(|(name, value)| format!("{name}={value}\n"))
            .collect()
    }

    async fn add(&mut self, n: i32) -> i32 {
        // Read, yield, write: calls interleaving on one instance would lose updates.
        let before = self.total;
        tokio::time::sleep(Duration::from_millis(2)).await;
        self.total = before + n;
        self.total
    }

    async fn meet(&self) -> bool {
        tokio::time::timeout(Duration::from_secs(5), self.rendezvous.wait())
            .await
            .is_ok()
    }
}

fn with_hooks(
    service: indigo::Service<ProbeContract, ProbeService>,
    log: &Arc<Log>,
) -> indigo::Service<ProbeContract, ProbeService> {
    let (opened, closed) = (log.clone(), log.clone());
    service
        .on_instance_opened(move |instance: &mut ProbeService, ctx: &OperationContext| {
            // The hook runs with the first call's context, also as the current one.
            assert_eq!(
                OperationContext::current().map(|c| c.message_id().map(str::to_owned)),
                Some(ctx.message_id().map(str::to_owned))
            );
            instance.opened_in = ctx.session_id().map(str::to_owned);
            opened.opened.fetch_add(1, Ordering::SeqCst);
        })
        .on_instance_closed(move |instance: &mut ProbeService| {
            closed
                .finals
                .lock()
                .unwrap()
                .push((instance.opened_in.clone(), instance.total));
            closed.closed.fetch_add(1, Ordering::SeqCst);
        })
}

async fn open_host<B>(
    service: indigo::Service<ProbeContract, ProbeService>,
    binding: B,
    address: &str,
) -> (ServiceHost, String)
where
    B: Binding,
    ProbeContract: indigo::binding::CarriedBy<B>,
{
    let host = ServiceHost::builder(service)
        .endpoint(binding, address)
        .open()
        .await
        .expect("open the host");
    let address = host.addresses()[0].clone();
    (host, address)
}

async fn wait_for(counter: &AtomicUsize, expected: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while counter.load(Ordering::SeqCst) != expected {
        assert!(
            tokio::time::Instant::now() < deadline,
            "expected {expected}, still {}",
            counter.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Asserts that `counter` stays at `expected` for a while (nothing more is coming).
async fn stays(counter: &AtomicUsize, expected: usize) {
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(counter.load(Ordering::SeqCst), expected);
}

// ---------------------------------------------------------------------------------------------
// A raw session channel that sends hand-built requests.

struct RawSession {
    channel: DuplexChannel,
    binding_version: indigo::message::MessageVersion,
    to: String,
    next: u32,
    name: &'static str,
}

impl RawSession {
    async fn open<B: Binding>(binding: &B, address: &str, name: &'static str) -> Self {
        // The binding's channel, as a client gets it, but driven by hand.
        let channel = match binding.open_channel(address).await.expect("connect") {
            ClientChannelShape::DuplexSession(channel) => channel,
            ClientChannelShape::Request(_) => panic!("not a session binding"),
        };
        RawSession {
            channel,
            binding_version: binding.encoder().message_version(),
            to: address.to_owned(),
            next: 0,
            name,
        }
    }

    /// Sends a request of operation `index` with `parts` (`(wire name, value)`) and, when
    /// given, a Tenant header; returns its MessageID.
    async fn send(&mut self, index: usize, parts: &[&str], tenant: Option<&str>) -> String {
        self.send_with(
            index,
            parts,
            tenant.map(tenant_header).into_iter().collect(),
        )
        .await
    }

    /// As [`send`](Self::send), with these headers.
    async fn send_with(&mut self, index: usize, parts: &[&str], headers: Vec<RawHeader>) -> String {
        let contract = ProbeContract::DESCRIPTION;
        let op = &contract.operations[index];
        let parts: String = op
            .parameters
            .iter()
            .zip(parts)
            .map(|(name, value)| format!("<{name}>{value}</{name}>"))
            .collect();
        let body = format!(
            r#"<{name} xmlns="{ns}">{parts}</{name}>"#,
            name = op.name,
            ns = contract.namespace
        );
        self.next += 1;
        // Unique per session (named by `name`) and recognisable in what the service saw.
        let id = format!("urn:uuid:{:08}-0000-4000-8000-{}", self.next, self.name);
        let mut message = Message::new(
            self.binding_version,
            op.action,
            Body::Payload(XmlFragment::new(body)),
        );
        message.headers.message_id = Some(id.clone());
        message.headers.to = Some(self.to.clone());
        message.headers.reply_to = Some("http://www.w3.org/2005/08/addressing/anonymous".into());
        message.headers.other = headers;
        self.channel.sink.send(message).await.expect("send");
        id
    }

    async fn receive(&mut self) -> Message {
        tokio::time::timeout(Duration::from_secs(5), self.channel.source.receive())
            .await
            .expect("a reply in time")
            .expect("the channel works")
            .expect("a reply, not the end")
    }

    /// Calls `add(n)` and returns the total.
    async fn add(&mut self, n: i32, tenant: Option<&str>) -> i32 {
        let id = self.send(1, &[&n.to_string()], tenant).await;
        let reply = self.receive().await;
        assert_eq!(reply.headers.relates_to.as_deref(), Some(id.as_str()));
        result(&reply, "AddResult").parse().expect("a number")
    }

    /// Calls `inspect` and returns what the operation saw.
    async fn inspect(&mut self, tenant: Option<&str>) -> HashMap<String, String> {
        let id = self.send(0, &["0"], tenant).await;
        let reply = self.receive().await;
        assert_eq!(reply.headers.relates_to.as_deref(), Some(id.as_str()));
        seen(&result(&reply, "InspectResult"))
    }

    async fn close(mut self) {
        self.channel.sink.close().await.expect("close");
        // The service ends its direction too.
        let end = tokio::time::timeout(Duration::from_secs(5), self.channel.source.receive()).await;
        assert!(matches!(end, Ok(Ok(None))), "{end:?}");
    }
}

fn tenant_header(tenant: &str) -> RawHeader {
    RawHeader {
        name: QualifiedName::new(TENANT_NS, "Tenant"),
        must_understand: false,
        xml: XmlFragment::new(format!(
            r#"<t:Tenant xmlns:t="{TENANT_NS}">{}</t:Tenant>"#,
            tenant.replace('&', "&amp;").replace('<', "&lt;")
        )),
    }
}

/// The text of `<{element}>` in a reply body.
fn result(reply: &Message, element: &str) -> String {
    let Body::Payload(payload) = &reply.body else {
        panic!("not a payload: {reply:?}");
    };
    let xml = std::str::from_utf8(&payload.xml).expect("UTF-8");
    let open = format!("<{element}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no {element} in {xml}"))
        + open.len();
    let end = xml[start..].find("</").expect("an end tag") + start;
    xml[start..end].replace("&amp;", "&")
}

/// The `name=value` lines of `inspect`.
fn seen(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

fn action(index: usize) -> &'static str {
    ProbeContract::DESCRIPTION.operations[index].action
}

// ---------------------------------------------------------------------------------------------
// Headers, session id and peer.

async fn headers_and_session_over<B>(binding: B, address: &str) -> Vec<HashMap<String, String>>
where
    B: Binding,
    ProbeContract: indigo::binding::CarriedBy<B>,
{
    let (_host, address) = open_host(
        ProbeContract::per_session(ProbeService::new),
        binding.clone(),
        address,
    )
    .await;
    let mut first = RawSession::open(&binding, &address, "first").await;
    let a = first.inspect(Some("acme & co")).await;
    let b = first.inspect(None).await;
    let mut second = RawSession::open(&binding, &address, "second").await;
    let c = second.inspect(Some("globex")).await;

    for seen in [&a, &b, &c] {
        assert_eq!(seen["operation"], "Inspect");
        assert_eq!(seen["action"], action(0));
        assert_eq!(seen["to"], address);
        assert_eq!(
            seen["reply_to"],
            "http://www.w3.org/2005/08/addressing/anonymous"
        );
        assert!(seen["message_id"].starts_with("urn:uuid:"), "{seen:?}");
        assert_ne!(seen["session"], "-", "a session has an id: {seen:?}");
    }
    assert!(a["message_id"].ends_with("-first"));
    assert_ne!(a["message_id"], b["message_id"]);
    assert!(c["message_id"].ends_with("-second"));
    assert_eq!(a["tenant"], "acme & co");
    assert_eq!(b["tenant"], "-");
    assert_eq!(c["tenant"], "globex");
    // One id per session.
    assert_eq!(a["session"], b["session"]);
    assert_ne!(a["session"], c["session"]);
    first.close().await;
    second.close().await;
    vec![a, b, c]
}

#[tokio::test]
async fn an_operation_reads_its_headers_and_session_over_memory() {
    let seen = headers_and_session_over(MemoryBinding::new(), "memory://context-headers").await;
    assert_eq!(seen[0]["remote"], "-");
    assert_eq!(seen[0]["peer"], "memory client");
}

#[tokio::test]
async fn an_operation_reads_its_headers_session_and_peer_address_over_net_tcp() {
    let seen =
        headers_and_session_over(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/context").await;
    for seen in &seen {
        let remote: std::net::SocketAddr = seen["remote"].parse().expect("a socket address");
        assert!(remote.ip().is_loopback(), "{remote}");
        assert!(seen["peer"].contains(&seen["remote"]), "{seen:?}");
    }
    // Two connections: two client ports.
    assert_ne!(seen[0]["remote"], seen[2]["remote"]);
}

#[tokio::test]
async fn a_reliable_session_id_is_its_sequence_identifier() {
    let binding = NetTcpBinding::new().with_reliable_session();
    let seen = headers_and_session_over(binding, "net.tcp://127.0.0.1:0/context-reliable").await;
    assert!(seen[0]["session"].starts_with("urn:uuid:"), "{:?}", seen[0]);
}

#[tokio::test]
async fn concurrent_shared_calls_each_see_their_own_context() {
    let (_host, address) = open_host(
        ProbeContract::per_session(ProbeService::new),
        MemoryBinding::new(),
        "memory://context-concurrent",
    )
    .await;
    let mut session = RawSession::open(&MemoryBinding::new(), &address, "concurrent").await;
    // All sent before any reply: the `&self` calls overlap on the session's instance, each
    // waiting a different time so they finish out of order.
    let mut sent = HashSet::new();
    for i in 0..8u32 {
        let wait = (80 - i * 10).to_string();
        let tenant = format!("tenant-{i}");
        sent.insert(session.send(0, &[&wait], Some(&tenant)).await);
    }
    let mut replied = HashSet::new();
    for _ in 0..8 {
        let reply = session.receive().await;
        let id = reply.headers.relates_to.clone().expect("RelatesTo");
        let seen = seen(&result(&reply, "InspectResult"));
        assert_eq!(seen["message_id"], id, "a call saw another call's context");
        replied.insert(id);
    }
    assert_eq!(sent, replied);
    session.close().await;
}

#[tokio::test]
async fn outside_an_operation_there_is_no_context() {
    assert!(OperationContext::current().is_none());
    assert!(OperationContext::with(|_| ()).is_none());
}

/// POSTs `envelope` to `address` and returns the reply body and the client's own address.
async fn post(
    address: &str,
    content_type: &str,
    soap_action: Option<&str>,
    envelope: &str,
) -> (String, std::net::SocketAddr) {
    let rest = address.strip_prefix("http://").expect("an http address");
    let (authority, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connect");
    let local = stream.local_addr().expect("local address");
    let soap_action = soap_action
        .map(|a| format!("SOAPAction: \"{a}\"\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {content_type}\r\n{soap_action}Content-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
        envelope.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response))
        .await
        .expect("a response in time")
        .expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    (response, local)
}

fn inspect_body() -> String {
    let contract = ProbeContract::DESCRIPTION;
    let op = &contract.operations[0];
    format!(
        r#"<Inspect xmlns="{}"><{p}>0</{p}></Inspect>"#,
        contract.namespace,
        p = op.parameters[0]
    )
}

#[tokio::test]
async fn an_operation_reads_its_headers_and_peer_address_over_ws_http() {
    let (_host, address) = open_host(
        ProbeContract::per_call(ProbeService::new),
        WsHttpBinding::new(),
        "http://127.0.0.1:0/context",
    )
    .await;
    let envelope = format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">{action}</a:Action><a:MessageID>urn:uuid:6c1b4d52-0000-4000-8000-000000000001</a:MessageID><a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo><a:To s:mustUnderstand="1">{address}</a:To><t:Tenant xmlns:t="{TENANT_NS}">initech</t:Tenant></s:Header><s:Body>{body}</s:Body></s:Envelope>"#,
        action = action(0),
        body = inspect_body(),
    );
    let (response, local) = post(
        &address,
        &format!(
            "application/soap+xml; charset=utf-8; action=\"{}\"",
            action(0)
        ),
        None,
        &envelope,
    )
    .await;
    let start = response.find("<InspectResult>").expect("a result") + "<InspectResult>".len();
    let end = response[start..].find("</InspectResult>").expect("its end") + start;
    let seen = seen(&response[start..end]);
    assert_eq!(seen["action"], action(0));
    assert_eq!(
        seen["message_id"],
        "urn:uuid:6c1b4d52-0000-4000-8000-000000000001"
    );
    assert_eq!(seen["to"], address);
    assert_eq!(seen["tenant"], "initech");
    assert_eq!(seen["session"], "-");
    assert_eq!(seen["remote"], local.to_string());
}

#[tokio::test]
async fn an_operation_reads_the_soap_action_and_a_custom_header_over_basic_http() {
    let (_host, address) = open_host(
        ProbeContract::per_call(ProbeService::new),
        BasicHttpBinding::new(),
        "http://127.0.0.1:0/context-basic",
    )
    .await;
    let envelope = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><t:Tenant xmlns:t="{TENANT_NS}">hooli</t:Tenant></s:Header><s:Body>{}</s:Body></s:Envelope>"#,
        inspect_body()
    );
    let (response, local) = post(
        &address,
        "text/xml; charset=utf-8",
        Some(action(0)),
        &envelope,
    )
    .await;
    let start = response.find("<InspectResult>").expect("a result") + "<InspectResult>".len();
    let end = response[start..].find("</InspectResult>").expect("its end") + start;
    let seen = seen(&response[start..end]);
    assert_eq!(seen["action"], action(0));
    assert_eq!(seen["message_id"], "-");
    assert_eq!(seen["tenant"], "hooli");
    assert_eq!(seen["remote"], local.to_string());
}

// ---------------------------------------------------------------------------------------------
// Instance hooks.

#[tokio::test]
async fn hooks_run_once_each_when_a_client_closes_and_when_it_aborts() {
    let log = Arc::new(Log::default());
    let (_host, address) = open_host(
        with_hooks(ProbeContract::per_session(ProbeService::new), &log),
        MemoryBinding::new(),
        "memory://context-hooks",
    )
    .await;

    // No instance before the first call.
    let client = ProbeClient::connect(&MemoryBinding::new(), &address)
        .await
        .unwrap();
    stays(&log.opened, 0).await;
    assert_eq!(client.add(2).await.unwrap(), 2);
    assert_eq!(client.add(3).await.unwrap(), 5);
    assert_eq!(log.opened.load(Ordering::SeqCst), 1);
    client.close().await.unwrap();
    wait_for(&log.closed, 1).await;

    // An abort: the client is dropped mid-session.
    let client = ProbeClient::connect(&MemoryBinding::new(), &address)
        .await
        .unwrap();
    assert_eq!(client.add(7).await.unwrap(), 7);
    drop(client);
    wait_for(&log.closed, 2).await;
    stays(&log.closed, 2).await;
    assert_eq!(log.opened.load(Ordering::SeqCst), 2);
    let finals = log.finals.lock().unwrap().clone();
    assert_eq!(finals.iter().map(|f| f.1).collect::<Vec<_>>(), [5, 7]);
    // The opened hook saw each session's id.
    assert!(finals.iter().all(|f| f.0.is_some()));
    assert_ne!(finals[0].0, finals[1].0);
}

#[tokio::test]
async fn hooks_run_once_each_when_a_net_tcp_client_aborts() {
    let log = Arc::new(Log::default());
    let (_host, address) = open_host(
        with_hooks(ProbeContract::per_session(ProbeService::new), &log),
        NetTcpBinding::new(),
        "net.tcp://127.0.0.1:0/context-hooks",
    )
    .await;
    let client = ProbeClient::connect(&NetTcpBinding::new(), &address)
        .await
        .unwrap();
    assert_eq!(client.add(4).await.unwrap(), 4);
    client.abort();
    wait_for(&log.closed, 1).await;
    stays(&log.closed, 1).await;
    assert_eq!(log.opened.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_closed_hook_runs_when_the_host_closes_or_is_dropped() {
    let log = Arc::new(Log::default());
    let (host, address) = open_host(
        with_hooks(ProbeContract::per_session(ProbeService::new), &log),
        MemoryBinding::new(),
        "memory://context-host-close",
    )
    .await;
    let client = ProbeClient::connect(&MemoryBinding::new(), &address)
        .await
        .unwrap();
    client.add(1).await.unwrap();
    host.close().await.unwrap();
    // The session's instance was released before close returned.
    assert_eq!(log.closed.load(Ordering::SeqCst), 1);
    stays(&log.closed, 1).await;
    drop(client);

    let log = Arc::new(Log::default());
    let (host, address) = open_host(
        with_hooks(ProbeContract::per_session(ProbeService::new), &log),
        MemoryBinding::new(),
        "memory://context-host-drop",
    )
    .await;
    let client = ProbeClient::connect(&MemoryBinding::new(), &address)
        .await
        .unwrap();
    client.add(1).await.unwrap();
    drop(host);
    wait_for(&log.closed, 1).await;
    stays(&log.closed, 1).await;
    assert_eq!(log.opened.load(Ordering::SeqCst), 1);
    drop(client);
}

#[tokio::test]
async fn per_call_instances_open_and_close_around_each_call() {
    let log = Arc::new(Log::default());
    let (_host, address) = open_host(
        with_hooks(ProbeContract::per_call(ProbeService::new), &log),
        MemoryBinding::new(),
        "memory://context-per-call",
    )
    .await;
    let client = ProbeClient::connect(&MemoryBinding::new(), &address)
        .await
        .unwrap();
    assert_eq!(client.add(1).await.unwrap(), 1);
    assert_eq!(client.add(1).await.unwrap(), 1);
    wait_for(&log.closed, 2).await;
    assert_eq!(log.opened.load(Ordering::SeqCst), 2);
    client.close().await.unwrap();
    stays(&log.closed, 2).await;
}

// ---------------------------------------------------------------------------------------------
// Shared instances.

fn by_tenant(ctx: &OperationContext) -> Option<String> {
    ctx.header_text(TENANT_NS, "Tenant")
}

async fn sessions_share_instances_by_header_over<B>(binding: B, address: &str)
where
    B: Binding,
    ProbeContract: indigo::binding::CarriedBy<B>,
{
    let log = Arc::new(Log::default());
    let (_host, address) = open_host(
        with_hooks(ProbeContract::shared_by(by_tenant, ProbeService::new), &log),
        binding.clone(),
        address,
    )
    .await;
    let mut a = RawSession::open(&binding, &address, "a").await;
    let mut b = RawSession::open(&binding, &address, "b").await;
    let mut c = RawSession::open(&binding, &address, "c").await;
    assert_eq!(a.add(1, Some("acme")).await, 1);
    assert_eq!(b.add(2, Some("acme")).await, 3);
    assert_eq!(c.add(5, Some("globex")).await, 5);
    // Only the first message binds a session: a later header does not move it.
    assert_eq!(a.add(10, Some("globex")).await, 13);
    assert_eq!(b.add(100, None).await, 113);
    assert_eq!(log.opened.load(Ordering::SeqCst), 2);

    // `&mut self` calls from both sessions of the shared instance are serialised (no lost
    // updates), and `&self` calls from both run at once (they meet).
    tokio::join!(
        async {
            for _ in 0..5 {
                a.add(1, None).await;
            }
        },
        async {
            for _ in 0..5 {
                b.add(1, None).await;
            }
        }
    );
    assert_eq!(a.add(0, None).await, 123);
    a.send(2, &[], None).await;
    b.send(2, &[], None).await;
    for session in [&mut a, &mut b] {
        let reply = session.receive().await;
        assert_eq!(result(&reply, "MeetResult"), "true");
    }

    // The shared instance outlives its first session...
    a.close().await;
    c.close().await;
    wait_for(&log.closed, 1).await;
    stays(&log.closed, 1).await;
    assert_eq!(b.add(1, None).await, 124);
    // ...and is released with its last one.
    b.close().await;
    wait_for(&log.closed, 2).await;
    let finals: Vec<i32> = log.finals.lock().unwrap().iter().map(|f| f.1).collect();
    assert_eq!(finals, [5, 124]);

    // A new session with the key gets a new instance: the old one is gone.
    let mut d = RawSession::open(&binding, &address, "d").await;
    assert_eq!(d.add(1, Some("acme")).await, 1);
    d.close().await;
    wait_for(&log.closed, 3).await;
}

#[tokio::test]
async fn sessions_with_one_header_value_share_an_instance_over_memory() {
    sessions_share_instances_by_header_over(MemoryBinding::new(), "memory://context-shared").await;
}

#[tokio::test]
async fn sessions_with_one_header_value_share_an_instance_over_net_tcp() {
    sessions_share_instances_by_header_over(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/shared")
        .await;
}

#[tokio::test]
async fn a_shared_instance_is_released_when_its_sessions_abort() {
    let log = Arc::new(Log::default());
    let binding = MemoryBinding::new();
    let (_host, address) = open_host(
        with_hooks(ProbeContract::shared_by(by_tenant, ProbeService::new), &log),
        binding.clone(),
        "memory://context-shared-abort",
    )
    .await;
    let mut a = RawSession::open(&binding, &address, "a").await;
    let mut b = RawSession::open(&binding, &address, "b").await;
    a.add(1, Some("acme")).await;
    b.add(1, Some("acme")).await;
    drop(a);
    stays(&log.closed, 0).await;
    drop(b);
    wait_for(&log.closed, 1).await;
    stays(&log.closed, 1).await;
    assert_eq!(log.opened.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_closed_hook_runs_once_when_the_host_is_dropped_during_a_call() {
    let log = Arc::new(Log::default());
    let binding = MemoryBinding::new();
    let (host, address) = open_host(
        with_hooks(ProbeContract::per_session(ProbeService::new), &log),
        binding.clone(),
        "memory://context-drop-mid-call",
    )
    .await;
    let mut session = RawSession::open(&binding, &address, "mid-call").await;
    session.add(1, None).await;
    // A long `&self` call holds the instance when the host goes: aborting it releases the
    // instance in whatever order its task drops the guard and the lease.
    session.send(0, &["60000"], None).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(host);
    wait_for(&log.closed, 1).await;
    stays(&log.closed, 1).await;
    assert_eq!(log.finals.lock().unwrap()[0].1, 1);
}

// ---------------------------------------------------------------------------------------------
// mustUnderstand.

/// A Tenant header marked mustUnderstand (SOAP 1.2), in the XML as on the wire.
fn must_understand_tenant(tenant: &str) -> RawHeader {
    RawHeader {
        name: QualifiedName::new(TENANT_NS, "Tenant"),
        must_understand: true,
        xml: XmlFragment::new(format!(
            r#"<t:Tenant xmlns:t="{TENANT_NS}" xmlns:s="http://www.w3.org/2003/05/soap-envelope" s:mustUnderstand="1">{tenant}</t:Tenant>"#
        )),
    }
}

/// Opens a per-session Probe host on NetTcpBinding at `path` and a raw session to it, sends
/// an Add carrying `header` (marked mustUnderstand, not declared), and checks what WCF does:
/// SOAP 1.2's MustUnderstand fault naming the header, the operation not run (the total is
/// still 0) and the session going on. Returns the host and the session for more.
async fn refused_as_not_understood(
    path: &str,
    session_id: &'static str,
    header: RawHeader,
) -> (ServiceHost, RawSession) {
    let host = ServiceHost::builder(ProbeContract::per_session(ProbeService::new))
        .endpoint(
            NetTcpBinding::new(),
            format!("net.tcp://127.0.0.1:0/{path}"),
        )
        .open()
        .await
        .expect("open the host");
    let address = host.addresses()[0].clone();
    let mut session = RawSession::open(&NetTcpBinding::new(), &address, session_id).await;
    let (namespace, local) = (header.name.namespace.clone(), header.name.local.clone());
    session.send_with(1, &["5"], vec![header]).await;
    let reply = session.receive().await;
    let Body::Fault(fault) = &reply.body else {
        panic!("expected a fault, got {:?}", reply.body);
    };
    assert_eq!(
        fault.code.value,
        indigo::message::FaultCodeValue::MustUnderstand
    );
    assert!(
        fault.reason.contains(&format!("'{local}'")) && fault.reason.contains(&namespace),
        "{}",
        fault.reason
    );
    assert_eq!(session.add(1, None).await, 1);
    (host, session)
}

#[tokio::test]
async fn a_must_understand_header_nothing_processes_is_refused_as_wcf_refuses_it() {
    let (host, mut session) = refused_as_not_understood(
        "must-understand",
        "000000000001",
        must_understand_tenant("initech"),
    )
    .await;
    // Not marked: an ordinary header, read by the operation.
    assert_eq!(session.inspect(Some("hooli")).await["tenant"], "hooli");
    session.close().await;
    host.close().await.expect("close");
}

/// A WS-RM `Sequence` header reaching an endpoint without a reliable session: over
/// NetTcpBinding the binary reader reads it as a value (for the reliable layer), and the
/// dispatcher must still see it, marked mustUnderstand, and refuse it as WCF does.
#[tokio::test]
async fn a_reliable_messaging_header_without_a_reliable_session_is_not_understood() {
    const RM10: &str = "http://schemas.xmlsoap.org/ws/2005/02/rm";
    let sequence = RawHeader {
        name: QualifiedName::new(RM10, "Sequence"),
        must_understand: true,
        xml: XmlFragment::new(format!(
            r#"<r:Sequence xmlns:r="{RM10}" xmlns:s="http://www.w3.org/2003/05/soap-envelope" s:mustUnderstand="1"><r:Identifier>urn:uuid:5b0a6a4e-3c8e-4c55-9a55-1c0f1f3a6b01</r:Identifier><r:MessageNumber>1</r:MessageNumber></r:Sequence>"#
        )),
    };
    let (host, session) =
        refused_as_not_understood("must-understand-rm", "000000000003", sequence).await;
    session.close().await;
    host.close().await.expect("close");
}

#[tokio::test]
async fn a_declared_header_may_be_marked_must_understand() {
    let host = ServiceHost::builder(ProbeContract::per_session(ProbeService::new))
        .understood_header(TENANT_NS, "Tenant")
        .endpoint(MemoryBinding::new(), "memory://must-understand-declared")
        .open()
        .await
        .expect("open the host");
    let address = host.addresses()[0].clone();
    let mut session = RawSession::open(&MemoryBinding::new(), &address, "000000000002").await;
    session
        .send_with(0, &["0"], vec![must_understand_tenant("initech")])
        .await;
    let reply = session.receive().await;
    assert_eq!(seen(&result(&reply, "InspectResult"))["tenant"], "initech");
    session.close().await;
    host.close().await.expect("close");
}

#[tokio::test]
async fn over_basic_http_an_unknown_must_understand_header_is_a_soap_1_1_fault() {
    let (_host, address) = open_host(
        ProbeContract::per_call(ProbeService::new),
        BasicHttpBinding::new(),
        "http://127.0.0.1:0/must-understand-basic",
    )
    .await;
    let envelope = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><t:Tenant s:mustUnderstand="1" xmlns:t="{TENANT_NS}">hooli</t:Tenant></s:Header><s:Body>{}</s:Body></s:Envelope>"#,
        inspect_body()
    );
    let rest = address.strip_prefix("http://").expect("an http address");
    let (authority, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: \"{}\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
        action(0),
        envelope.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response))
        .await
        .expect("a response in time")
        .expect("read");
    assert!(response.starts_with("HTTP/1.1 500"), "{response}");
    assert!(
        response.contains("<faultcode>s:MustUnderstand</faultcode>"),
        "{response}"
    );
    assert!(!response.contains("InspectResult"), "{response}");
}
