//! Interop with gSOAP 2.8's WS-ReliableMessaging plugin, the only WS-RM stack installable
//! here (reference `peers.md` §6), for WS-RM 1.1 and 1.0 over SOAP 1.2 + WS-Addressing 1.0 on
//! HTTP.
//!
//! * gSOAP client ↔ gSOAP server, through a recording proxy: proves the peer and the harness,
//!   and feeds every message either side sends through Indigo's WS-RM wire reader.
//! * Hand-written, WCF-style WS-RM messages → gSOAP server: what gSOAP answers to what WCF (and
//!   so Indigo) sends, each answer parsed by Indigo's reader.
//!
//! The peer is `tests/interop/gsoap/` (built at test time by `tests/src/gsoap.rs`; gSOAP is GPL,
//! so no generated code is committed). What gSOAP puts on the wire is in
//! `tests/interop/gsoap/NOTES.md`. Without gSOAP (Debian: `gsoap libgsoap-dev`) the tests report
//! `SKIPPED` in the test run's output and pass, unless `INDIGO_REQUIRE_GSOAP` is set (CI sets it).

use bytes::Bytes;
use indigo::__internals::wsrm::{
    read_message, AckRange, ProtocolBody, ProtocolMessage, SequenceAcknowledgement,
};
use indigo::encoding::{MessageEncoder, TextMessageEncoder};
use indigo::message::{
    Body as SoapBody, BodyReader, Headers, Message, MessageVersion, ReaderQuotas,
};
use indigo::reliable::{ReliableMessagingVersion, WsrmFault};
use indigo_tests::gsoap::{
    self, post_soap12, run_client, split_http, Exchange, GsoapServer, HttpResponse, RecordingProxy,
    Served, ECHO_ACTION, ECHO_NAMESPACE, ECHO_RESPONSE_ACTION,
};
use std::time::Duration;

/// Where the gSOAP programs are built: cargo's scratch directory for integration tests.
const BUILD_ROOT: &str = env!("CARGO_TARGET_TMPDIR");
const V10: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessagingFebruary2005;
const V11: ReliableMessagingVersion = ReliableMessagingVersion::WsReliableMessaging11;
const ANONYMOUS: &str = "http://www.w3.org/2005/08/addressing/anonymous";
/// What gSOAP built with `WITH_WCF_SIM` puts in every `netrm:BufferRemaining`.
const GSOAP_BUFFER_REMAINING: u32 = 8;
/// How long to wait for the server's `SERVED` line after a response arrived.
const SERVED_WAIT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// Reading with Indigo

/// A message as Indigo reads it: the addressing headers, and the WS-RM view.
struct Read {
    headers: Headers,
    rm: ProtocolMessage<Message>,
}

/// Decodes a SOAP 1.2 body with the text encoder and reads it as WS-RM `version`; panics,
/// showing the XML, when Indigo cannot.
fn read(version: ReliableMessagingVersion, body: &[u8]) -> Read {
    let encoder = TextMessageEncoder::new(MessageVersion::SOAP12_WSA10);
    let text = String::from_utf8_lossy(body);
    let message = encoder
        .decode(Bytes::copy_from_slice(body))
        .unwrap_or_else(|e| panic!("Indigo cannot decode gSOAP's envelope ({e}):\n{text}"));
    let headers = message.headers.clone();
    let rm = read_message(version, message, encoder.reader_quotas())
        .unwrap_or_else(|e| panic!("Indigo's WS-RM reader rejects gSOAP's message ({e}):\n{text}"));
    Read { headers, rm }
}

/// The `EchoResult` of an Echo reply payload.
fn echo_result(payload: &Message) -> String {
    let SoapBody::Payload(fragment) = &payload.body else {
        panic!("the Echo reply has no payload: {payload:?}");
    };
    BodyReader::open(
        fragment,
        "EchoResponse",
        ECHO_NAMESPACE,
        &ReaderQuotas::default(),
    )
    .and_then(|mut reader| reader.part::<String>("EchoResult"))
    .expect("a qualified EchoResponse/EchoResult")
}

fn ranges(ack: &SequenceAcknowledgement) -> Vec<(u64, u64)> {
    ack.ranges
        .iter()
        .map(|&AckRange { lower, upper }| (lower, upper))
        .collect()
}

/// Asserts an acknowledgement of `identifier` for 1..=`upper` with gSOAP's BufferRemaining.
fn assert_ack(ack: Option<&SequenceAcknowledgement>, identifier: &str, upper: u64) {
    let ack = ack.expect("a SequenceAcknowledgement header");
    assert_eq!(ack.identifier, identifier);
    assert_eq!(ranges(ack), [(1, upper)]);
    assert_eq!(ack.buffer_remaining, Some(GSOAP_BUFFER_REMAINING));
}

/// Every request and response body of a recorded conversation, read by Indigo: `> Kind` for
/// requests, `< Kind` for responses with a body, `< 202` for empty ones.
fn read_conversation(version: ReliableMessagingVersion, exchanges: &[Exchange]) -> Vec<String> {
    let mut kinds = Vec::new();
    for exchange in exchanges {
        for (arrow, raw) in [(">", &exchange.request), ("<", &exchange.response)] {
            let (head, body) = split_http(raw).expect("a complete HTTP message");
            if body.is_empty() {
                let status = head.split(' ').nth(1).unwrap_or("?");
                kinds.push(format!("{arrow} {status}"));
            } else {
                kinds.push(format!("{arrow} {}", read(version, body).rm.kind()));
            }
        }
    }
    kinds
}

// ---------------------------------------------------------------------------------------------
// gSOAP client against gSOAP server

/// Runs the gSOAP client (3 echoes) against the gSOAP server through a recording proxy.
/// Returns the client's outcome, the server's requests and the conversation.
async fn gsoap_pair(
    version: ReliableMessagingVersion,
) -> Option<(gsoap::ClientOutcome, Vec<Served>, Vec<Exchange>)> {
    let programs = gsoap::programs(BUILD_ROOT.as_ref(), version)?;
    let (mut server, _) = GsoapServer::spawn(&programs).await;
    let proxy = RecordingProxy::start(server.port()).await;
    let outcome = run_client(&programs, &proxy.url(), 3).await;
    // The server prints SERVED after sending its response, so the client may have exited
    // before the last line: wait for all six requests (create, 3 echoes, close, terminate).
    let mut served = Vec::new();
    for _ in 0..6 {
        served.push(server.next_served(SERVED_WAIT).await);
    }
    Some((outcome, served, proxy.exchanges()))
}

fn served_actions(served: &[Served]) -> Vec<String> {
    served
        .iter()
        .map(|s| s.action.rsplit('/').next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn gsoap_client_and_server_complete_a_wsrm11_session() {
    let Some((outcome, served, exchanges)) = gsoap_pair(V11).await else {
        return;
    };
    outcome.assert_echoed(3);
    assert!(outcome.closed, "{}", outcome.transcript);
    assert_eq!(outcome.terminate.as_deref(), Some("ok"));
    assert_eq!(
        served_actions(&served),
        [
            "CreateSequence",
            "Echo",
            "Echo",
            "Echo",
            "CloseSequence",
            "TerminateSequence"
        ]
    );
    assert!(served.iter().all(|s| s.status == 0), "{served:?}");

    let mut expected = vec!["> CreateSequence", "< CreateSequenceResponse"];
    expected.extend(["> Sequence", "< Sequence"].repeat(3));
    expected.extend([
        "> CloseSequence",
        "< CloseSequenceResponse",
        "> TerminateSequence",
        "< TerminateSequenceResponse",
    ]);
    assert_eq!(read_conversation(V11, &exchanges), expected);
}

#[tokio::test]
async fn gsoap_client_and_server_run_wsrm10_up_to_the_last_message() {
    let Some((outcome, served, exchanges)) = gsoap_pair(V10).await else {
        return;
    };
    outcome.assert_echoed(3);
    assert!(outcome.closed, "{}", outcome.transcript);
    // gSOAP's 1.0 server answers TerminateSequence with a TerminateSequence for the offered
    // sequence; its own client expects its sequence's id there and reports UnknownSequence.
    let terminate = outcome.terminate.as_deref().unwrap_or_default();
    assert!(
        terminate == "ok" || terminate.contains("UnknownSequence"),
        "{}",
        outcome.transcript
    );
    assert_eq!(
        served_actions(&served),
        [
            "CreateSequence",
            "Echo",
            "Echo",
            "Echo",
            "LastMessage",
            "TerminateSequence"
        ]
    );

    let mut expected = vec!["> CreateSequence", "< CreateSequenceResponse"];
    expected.extend(["> Sequence", "< Sequence"].repeat(3));
    expected.extend([
        "> LastMessage",
        "< 202",
        "> TerminateSequence",
        "< TerminateSequence",
    ]);
    assert_eq!(read_conversation(V10, &exchanges), expected);
}

// ---------------------------------------------------------------------------------------------
// WCF-style messages against the gSOAP server

/// A hand-written WS-RM initiator that writes what WCF writes (prefixes `s`, `a`, `r`,
/// mustUnderstand="1", WS-RM headers before the addressing headers, MessageID and anonymous
/// ReplyTo on every request) and reads every answer with Indigo.
struct WcfStyleClient {
    version: ReliableMessagingVersion,
    url: String,
    next_id: u32,
}

/// The answer to one request.
struct Answer {
    http: HttpResponse,
    /// The request's MessageID.
    message_id: String,
    /// The body read by Indigo; `None` for an empty body.
    read: Option<Read>,
}

impl Answer {
    /// The WS-RM message, asserting HTTP 200 and a body.
    fn message(&self) -> &Read {
        assert_eq!(self.http.status, 200, "{}", self.text());
        let read = self.read.as_ref().expect("a response body");
        assert_eq!(
            read.headers.relates_to.as_deref(),
            Some(self.message_id.as_str()),
            "gSOAP correlates its answer with RelatesTo"
        );
        read
    }

    /// Asserts gSOAP's "accepted, nothing to say" answer: HTTP 202 with an empty body.
    fn assert_empty_202(&self) {
        assert_eq!(self.http.status, 202, "{}", self.text());
        assert!(self.http.body.is_empty(), "{}", self.text());
    }

    fn text(&self) -> String {
        format!(
            "HTTP {}\n{}",
            self.http.status,
            String::from_utf8_lossy(&self.http.body)
        )
    }
}

impl WcfStyleClient {
    fn new(version: ReliableMessagingVersion, url: &str) -> Self {
        WcfStyleClient {
            version,
            url: url.to_owned(),
            next_id: 0,
        }
    }

    fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("urn:uuid:6a1b2c3d-0000-4000-8000-{:012}", self.next_id)
    }

    fn rm(&self, local: &str) -> String {
        format!("{}/{local}", self.version.namespace())
    }

    /// POSTs a request with `rm_headers` and `body`; reads a non-empty answer with Indigo.
    async fn send(&mut self, action: &str, rm_headers: &str, body: &str) -> Answer {
        let message_id = self.new_id();
        let envelope = format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:r="{rm}"><s:Header>{rm_headers}<a:Action s:mustUnderstand="1">{action}</a:Action><a:MessageID>{message_id}</a:MessageID><a:ReplyTo><a:Address>{ANONYMOUS}</a:Address></a:ReplyTo><a:To s:mustUnderstand="1">{url}</a:To></s:Header><s:Body>{body}</s:Body></s:Envelope>"#,
            rm = self.version.namespace(),
            url = self.url,
        );
        let http = post_soap12(&self.url, action, &envelope)
            .await
            .expect("an HTTP response from the gSOAP server");
        let read = (!http.body.is_empty()).then(|| read(self.version, &http.body));
        Answer {
            http,
            message_id,
            read,
        }
    }

    /// CreateSequence offering `offer_id`, as WCF's request-reply channel sends it (1.1:
    /// anonymous Endpoint, DiscardFollowingFirstGap because WCF sessions are ordered).
    async fn create_sequence(&mut self, offer_id: &str) -> Answer {
        let offer_extra = if self.version.is_11() {
            format!(
                "<r:Endpoint><a:Address>{ANONYMOUS}</a:Address></r:Endpoint>\
                 <r:IncompleteSequenceBehavior>DiscardFollowingFirstGap</r:IncompleteSequenceBehavior>"
            )
        } else {
            String::new()
        };
        let body = format!(
            "<r:CreateSequence><r:AcksTo><a:Address>{ANONYMOUS}</a:Address></r:AcksTo>\
             <r:Offer><r:Identifier>{offer_id}</r:Identifier>{offer_extra}</r:Offer>\
             </r:CreateSequence>"
        );
        self.send(&self.rm("CreateSequence"), "", &body).await
    }

    fn sequence_header(&self, sequence: &str, number: u64, last: bool) -> String {
        let last = if last { "<r:LastMessage/>" } else { "" };
        format!(
            r#"<r:Sequence s:mustUnderstand="1"><r:Identifier>{sequence}</r:Identifier><r:MessageNumber>{number}</r:MessageNumber>{last}</r:Sequence>"#
        )
    }

    fn ack_requested_header(&self, sequence: &str) -> String {
        format!("<r:AckRequested><r:Identifier>{sequence}</r:Identifier></r:AckRequested>")
    }

    /// A WCF-style ack for 1..=`upper` of the offered sequence, with BufferRemaining.
    fn ack_header(&self, sequence: &str, upper: u64) -> String {
        format!(
            r#"<r:SequenceAcknowledgement><r:Identifier>{sequence}</r:Identifier><r:AcknowledgementRange Lower="1" Upper="{upper}"></r:AcknowledgementRange><netrm:BufferRemaining xmlns:netrm="http://schemas.microsoft.com/ws/2006/05/rm">8</netrm:BufferRemaining></r:SequenceAcknowledgement>"#
        )
    }

    /// Echo `text` as message `number` of `sequence`, with AckRequested and, when given, an
    /// ack of the offered sequence.
    async fn echo(&mut self, sequence: &str, number: u64, text: &str, ack: &str) -> Answer {
        let headers = format!(
            "{}{}{ack}",
            self.sequence_header(sequence, number, false),
            self.ack_requested_header(sequence)
        );
        let body = format!(r#"<Echo xmlns="{ECHO_NAMESPACE}"><text>{text}</text></Echo>"#);
        self.send(ECHO_ACTION, &headers, &body).await
    }
}

/// Asserts an Echo reply: message `number` of the offered sequence carrying `text`, with a
/// piggy-backed ack of 1..=`number` of our sequence.
fn assert_echo_reply(answer: &Answer, offer_id: &str, sequence: &str, number: u64, text: &str) {
    let read = answer.message();
    assert_eq!(read.headers.action.as_deref(), Some(ECHO_RESPONSE_ACTION));
    let ProtocolBody::Sequence {
        header,
        payload: Some(payload),
    } = &read.rm.body
    else {
        panic!("expected a sequence message, got {}", read.rm.kind());
    };
    assert_eq!(
        header.identifier, offer_id,
        "the reply travels on the offer"
    );
    assert_eq!(header.message_number, number);
    assert!(!header.last_message);
    assert_eq!(echo_result(payload), text);
    assert_ack(read.rm.acknowledgement.as_ref(), sequence, number);
    assert!(read.rm.ack_requested.is_none(), "gSOAP never asks for acks");
}

/// Opens a session: CreateSequence with an Offer, checked; returns (our id, offered id).
async fn open_session(client: &mut WcfStyleClient) -> (String, String) {
    let offer_id = client.new_id();
    let answer = client.create_sequence(&offer_id).await;
    let read = answer.message();
    let ProtocolBody::CreateSequenceResponse(response) = &read.rm.body else {
        panic!("expected CreateSequenceResponse, got {}", read.rm.kind());
    };
    let accept = response.accept.as_ref().expect("the offer is accepted");
    assert!(
        accept.acks_to.starts_with("http://127.0.0.1:"),
        "gSOAP's Accept/AcksTo is the request's To, not anonymous: {}",
        accept.acks_to
    );
    assert!(response.identifier.starts_with("urn:uuid:"));
    (response.identifier.clone(), offer_id)
}

/// The WCF request-reply flow up to the end of our sequence: two echoes (the second also
/// acks the first reply), a duplicate of the second, a standalone AckRequested.
async fn echo_twice(
    client: &mut WcfStyleClient,
    server: &mut GsoapServer,
    sequence: &str,
    offer_id: &str,
) {
    let answer = client.echo(sequence, 1, "hello 1", "").await;
    assert_echo_reply(&answer, offer_id, sequence, 1, "hello 1");
    let ack = client.ack_header(offer_id, 1);
    let answer = client.echo(sequence, 2, "hello 2", &ack).await;
    assert_echo_reply(&answer, offer_id, sequence, 2, "hello 2");
    for text in ["hello 1", "hello 2"] {
        let served = server.next_served(SERVED_WAIT).await;
        assert_eq!((served.status, served.text.as_deref()), (0, Some(text)));
    }

    // A resent request (its reply was "lost"): gSOAP does not run it again, and answers 202
    // with no body: neither the cached reply nor an ack.
    let answer = client.echo(sequence, 2, "hello 2", &ack).await;
    answer.assert_empty_202();
    assert_eq!(server.next_served(SERVED_WAIT).await.status, 1000);

    // A standalone AckRequested: 202 with no body, so no ack on the back-channel either.
    let headers = client.ack_requested_header(sequence);
    let answer = client.send(&client.rm("AckRequested"), &headers, "").await;
    answer.assert_empty_202();
    server.next_served(SERVED_WAIT).await;
}

/// After TerminateSequence the sequence is gone: a further message gets a WS-RM fault (HTTP
/// 400, generic WS-Addressing fault action) that Indigo reads by its subcode.
async fn assert_terminated(client: &mut WcfStyleClient, sequence: &str) {
    let answer = client.echo(sequence, 9, "too late", "").await;
    assert_eq!(answer.http.status, 400, "{}", answer.text());
    let read = answer.read.as_ref().expect("a fault body");
    assert_eq!(
        read.headers.action.as_deref(),
        Some("http://www.w3.org/2005/08/addressing/soap/fault")
    );
    let ProtocolBody::Fault(fault) = &read.rm.body else {
        panic!("expected a WS-RM fault, got {}", read.rm.kind());
    };
    assert!(
        matches!(
            fault,
            WsrmFault::SequenceTerminated { .. } | WsrmFault::UnknownSequence { .. }
        ),
        "{fault:?}"
    );
}

#[tokio::test]
async fn wcf_style_wsrm11_session_against_the_gsoap_server() {
    let Some((mut server, url)) = GsoapServer::start(BUILD_ROOT.as_ref(), V11).await else {
        return;
    };
    let mut client = WcfStyleClient::new(V11, &url);
    let (sequence, offer_id) = open_session(&mut client).await;
    server.next_served(SERVED_WAIT).await;
    echo_twice(&mut client, &mut server, &sequence, &offer_id).await;

    // CloseSequence: CloseSequenceResponse with a full (not Final) ack.
    let body = format!(
        "<r:CloseSequence><r:Identifier>{sequence}</r:Identifier>\
         <r:LastMsgNumber>2</r:LastMsgNumber></r:CloseSequence>"
    );
    let ack = client.ack_header(&offer_id, 2);
    let answer = client.send(&client.rm("CloseSequence"), &ack, &body).await;
    let read = answer.message();
    assert_eq!(
        read.rm.body,
        ProtocolBody::CloseSequenceResponse(sequence.clone()),
        "{}",
        answer.text()
    );
    assert_ack(read.rm.acknowledgement.as_ref(), &sequence, 2);
    assert!(!read.rm.acknowledgement.as_ref().is_some_and(|a| a.is_final));

    // TerminateSequence: TerminateSequenceResponse with a Final ack (Final written first).
    let body = format!(
        "<r:TerminateSequence><r:Identifier>{sequence}</r:Identifier>\
         <r:LastMsgNumber>2</r:LastMsgNumber></r:TerminateSequence>"
    );
    let answer = client
        .send(&client.rm("TerminateSequence"), "", &body)
        .await;
    let read = answer.message();
    assert_eq!(
        read.rm.body,
        ProtocolBody::TerminateSequenceResponse(sequence.clone()),
        "{}",
        answer.text()
    );
    assert_ack(read.rm.acknowledgement.as_ref(), &sequence, 2);
    assert!(read.rm.acknowledgement.as_ref().is_some_and(|a| a.is_final));

    assert_terminated(&mut client, &sequence).await;
    let served: Vec<_> = server
        .stop()
        .await
        .tagged("SERVED ")
        .map(str::to_owned)
        .collect();
    assert!(
        served.iter().any(|s| s.contains("/TerminateSequence")),
        "{served:?}"
    );
}

#[tokio::test]
async fn wcf_style_wsrm10_session_against_the_gsoap_server() {
    let Some((mut server, url)) = GsoapServer::start(BUILD_ROOT.as_ref(), V10).await else {
        return;
    };
    let mut client = WcfStyleClient::new(V10, &url);
    let (sequence, offer_id) = open_session(&mut client).await;
    server.next_served(SERVED_WAIT).await;
    echo_twice(&mut client, &mut server, &sequence, &offer_id).await;

    // WCF ends a 1.0 sequence with an empty-bodied LastMessage (B1202). WCF's own responder
    // answers with the reply sequence's LastMessage; gSOAP answers 202 with no body (no ack).
    let mut headers = client.sequence_header(&sequence, 3, true);
    headers.push_str(&client.ack_requested_header(&sequence));
    headers.push_str(&client.ack_header(&offer_id, 2));
    let answer = client
        .send(
            indigo::__internals::wsrm::LAST_MESSAGE_ACTION_10,
            &headers,
            "",
        )
        .await;
    answer.assert_empty_202();

    // TerminateSequence: answered, as WCF's 1.0 responder does, with the reply sequence's
    // TerminateSequence (same action, no TerminateSequenceResponse in 1.0) and an ack of all
    // three messages including the LastMessage.
    let body = format!(
        "<r:TerminateSequence><r:Identifier>{sequence}</r:Identifier></r:TerminateSequence>"
    );
    let answer = client
        .send(&client.rm("TerminateSequence"), "", &body)
        .await;
    let read = answer.message();
    let ProtocolBody::TerminateSequence(terminate) = &read.rm.body else {
        panic!("expected TerminateSequence, got {}", answer.text());
    };
    assert_eq!(
        terminate.identifier, offer_id,
        "gSOAP terminates the offered sequence"
    );
    assert_ack(read.rm.acknowledgement.as_ref(), &sequence, 3);

    assert_terminated(&mut client, &sequence).await;
    let served: Vec<_> = server
        .stop()
        .await
        .tagged("SERVED ")
        .map(str::to_owned)
        .collect();
    assert!(
        served.iter().any(|s| s.contains("/LastMessage")),
        "{served:?}"
    );
}
