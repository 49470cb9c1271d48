//! Issue 11's load test: well-behaved clients keep calling a service (over net.tcp, and over
//! WS-HTTP with a reliable session) while, at the same time, another task opens 2,000 idle
//! net.tcp connections, floods the reliable endpoint with CreateSequence and AckRequested,
//! and sends each kind of bad input. Every good call must succeed, every bad request must be
//! answered (never an empty 202), the service's memory must stay bounded, nothing may panic.

use indigo::{NetTcpBinding, ServiceHost, WsHttpBinding};
use indigo_tests::echo::{EchoClient, EchoContract, EchoService};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const RM10: &str = "http://schemas.xmlsoap.org/ws/2005/02/rm";
const ANONYMOUS: &str = "http://www.w3.org/2005/08/addressing/anonymous";
/// Idle sockets opened against the net.tcp endpoint (scaled down to the open-file limit).
const IDLE_SOCKETS: usize = 2_000;
const CREATE_SEQUENCES: u32 = 300;
const ACK_REQUESTS: u32 = 300;

fn host_port(address: &str) -> String {
    let rest = address.split_once("://").map_or(address, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

fn open_files_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            let line = limits
                .lines()
                .find(|l| l.starts_with("Max open files"))?
                .to_owned();
            line.split_whitespace().nth(3)?.parse().ok()
        })
        .unwrap_or(1024)
}

fn envelope(action: &str, id: u32, headers: &str, body: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:r="{RM10}"><s:Header><a:Action s:mustUnderstand="1">{action}</a:Action><a:MessageID>urn:uuid:00000000-0000-0000-0000-{id:012}</a:MessageID><a:ReplyTo><a:Address>{ANONYMOUS}</a:Address></a:ReplyTo>{headers}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

fn create_sequence(id: u32) -> String {
    let body = format!(
        "<r:CreateSequence><r:AcksTo><a:Address>{ANONYMOUS}</a:Address></r:AcksTo><r:Offer><r:Identifier>urn:uuid:offer-{id}</r:Identifier></r:Offer></r:CreateSequence>"
    );
    envelope(&format!("{RM10}/CreateSequence"), id, "", &body)
}

fn ack_requested(id: u32) -> String {
    let header =
        "<r:AckRequested><r:Identifier>urn:uuid:no-such-sequence</r:Identifier></r:AckRequested>";
    envelope(&format!("{RM10}/AckRequested"), id, header, "")
}

fn with_message_number(id: u32, number: &str) -> String {
    let header = format!(
        r#"<r:Sequence s:mustUnderstand="1"><r:Identifier>urn:uuid:no-such-sequence</r:Identifier><r:MessageNumber>{number}</r:MessageNumber></r:Sequence>"#
    );
    envelope(
        "http://example.org/echo/IEcho/Echo",
        id,
        &header,
        r#"<Echo xmlns="http://example.org/echo/"><text>x</text></Echo>"#,
    )
}

/// POSTs `body` as SOAP 1.2 and returns the status code and the response body's length.
async fn post(target: &str, path: &str, body: &str) -> Result<(u16, usize), String> {
    let mut socket = TcpStream::connect(target)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {target}\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    socket
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), socket.read_to_end(&mut response))
        .await
        .map_err(|_| "no response within 20 s".to_owned())?
        .map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP response: {text:.80}"))?;
    let body_len = text.split_once("\r\n\r\n").map_or(0, |(_, b)| b.len());
    Ok((status, body_len))
}

/// Every bad or flooding request must get an answer with a body (a response or a fault).
async fn expect_answered(target: &str, path: &str, body: String, what: &str) {
    match post(target, path, &body).await {
        Ok((status, len)) => assert!(
            len > 0 && (status == 200 || status == 500 || status == 400 || status == 413),
            "{what}: answered {status} with {len} bytes"
        ),
        Err(e) => panic!("{what}: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn good_clients_carry_on_through_floods_and_bad_input() {
    let tcp = NetTcpBinding::new();
    let http = WsHttpBinding::new().with_reliable_session();
    let host = ServiceHost::builder(EchoContract::per_session(EchoService::default))
        .endpoint(tcp.clone(), "net.tcp://127.0.0.1:0/echo")
        .endpoint(http.clone(), "http://127.0.0.1:0/rm")
        .open()
        .await
        .unwrap();
    let addresses = host.addresses();
    let (tcp_address, http_address) = (addresses[0].clone(), addresses[1].clone());
    let rss_before = rss_kb();

    // The well-behaved clients call throughout, counting successes and failures.
    let stop = Arc::new(AtomicBool::new(false));
    let good = Arc::new(AtomicU64::new(0));
    let bad = Arc::new(AtomicU64::new(0));
    let mut callers = Vec::new();
    for (binding_is_tcp, address) in [(true, tcp_address.clone()), (false, http_address.clone())] {
        let (stop, good, bad) = (stop.clone(), good.clone(), bad.clone());
        let (tcp, http) = (tcp.clone(), http.clone());
        callers.push(tokio::spawn(async move {
            let client = if binding_is_tcp {
                EchoClient::connect(&tcp, &address).await
            } else {
                EchoClient::connect(&http, &address).await
            }
            .expect("a good client connects during the attack");
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let text = format!("call {n}");
                let started = Instant::now();
                match client.echo(text.clone()).await {
                    Ok(echoed) if echoed == text && started.elapsed() < Duration::from_secs(5) => {
                        good.fetch_add(1, Ordering::Relaxed);
                    }
                    other => {
                        eprintln!(
                            "a good call failed or was slow: {other:?} after {:?}",
                            started.elapsed()
                        );
                        bad.fetch_add(1, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            client.close().await.expect("a good client closes cleanly");
        }));
    }

    // The attack.
    let idle_count = IDLE_SOCKETS.min(open_files_limit().saturating_sub(1024) / 2);
    if idle_count < IDLE_SOCKETS {
        eprintln!("open-file limit: the idle flood is scaled down to {idle_count} sockets");
    }
    let tcp_target = host_port(&tcp_address);
    let mut idle = Vec::with_capacity(idle_count);
    for i in 0..idle_count {
        let socket = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(&tcp_target))
            .await
            .unwrap_or_else(|_| panic!("idle socket {i} not accepted within 5 s"))
            .expect("idle connect");
        idle.push(socket);
    }
    // Garbage and a record declaring 2^31-1 bytes on net.tcp: each connection is refused.
    for bytes in [vec![0xFFu8; 64], {
        let mut record = vec![
            0x00, 0x01, 0x00, 0x01, 0x02, 0x02, 0x01, b'x', 0x03, 0x08, 0x0C, 0x06,
        ];
        record.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0x07]);
        record
    }] {
        let mut socket = TcpStream::connect(&tcp_target).await.unwrap();
        let _ = socket.write_all(&bytes).await;
        let mut sink = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut sink)).await;
        assert!(read.is_ok(), "a bad net.tcp peer is dropped, not held");
    }
    let http_target = host_port(&http_address);
    let path = "/rm";
    let mut floods = tokio::task::JoinSet::new();
    for id in 0..CREATE_SEQUENCES {
        let target = http_target.clone();
        floods.spawn(async move {
            expect_answered(
                &target,
                path,
                create_sequence(10_000 + id),
                "CreateSequence",
            )
            .await;
        });
    }
    for id in 0..ACK_REQUESTS {
        let target = http_target.clone();
        floods.spawn(async move {
            expect_answered(&target, path, ack_requested(20_000 + id), "AckRequested").await;
        });
    }
    for (i, number) in ["0", "-1", "abc"].into_iter().enumerate() {
        let target = http_target.clone();
        floods.spawn(async move {
            let body = with_message_number(30_000 + i as u32, number);
            expect_answered(&target, path, body, "a bad MessageNumber").await;
        });
    }
    floods.spawn({
        let target = http_target.clone();
        async move {
            let body = envelope(
                &format!("{RM10}/CreateSequence"),
                40_000,
                "",
                "<r:CreateSequence>",
            );
            expect_answered(&target, path, body, "a malformed CreateSequence").await;
        }
    });
    while let Some(joined) = floods.join_next().await {
        joined.expect("no flood task panicked");
    }
    // Let the good clients run a little longer with the idle sockets still open.
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        caller.await.expect("no good client panicked");
    }
    let rss_after = rss_kb();
    drop(idle);
    let (good, bad) = (good.load(Ordering::Relaxed), bad.load(Ordering::Relaxed));
    println!(
        "good calls {good}, failed {bad}; {idle_count} idle sockets, {CREATE_SEQUENCES} \
         CreateSequence, {ACK_REQUESTS} AckRequested; RSS {rss_before} kB -> {rss_after} kB"
    );
    assert_eq!(bad, 0, "every good call succeeds during the attack");
    assert!(good >= 20, "the good clients made progress: {good} calls");
    assert!(
        rss_after.saturating_sub(rss_before) < 256 * 1024,
        "memory stays bounded: RSS {rss_before} kB -> {rss_after} kB"
    );
    // Not `close`: the sessions the attacker's CreateSequences opened never answer a close
    // handshake, so a graceful close waits CloseTimeout (a minute) for them, as WCF's does.
    host.abort();
}
