//! Runs one codec path in a loop, for instruction counts that the shared VM's noise cannot
//! blur: `valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/codec_loop <path> 10000`
//! (the summary line "Collected" / iterations = instructions per message). Paths:
//! `text-encode`, `text-decode`, `binary-encode`, `binary-decode` (msbinsession1 in steady
//! state), each on the echo request the benchmarks send.

use bytes::Bytes;
use indigo::__internals::{read_envelope, write_envelope};
use indigo::encoding::BinaryMessageEncoder;
use indigo::encoding::MessageEncoder;
use indigo::message::{Body, BodyWriter, Message, MessageVersion, ReaderQuotas};
use std::hint::black_box;

fn echo_request() -> Message {
    let mut body = BodyWriter::new(
        "Echo",
        "http://example.org/bench/",
        "http://schemas.datacontract.org/2004/07/Bench",
    );
    body.part("text", &"x".repeat(64)).expect("write the part");
    let mut message = Message::new(
        MessageVersion::SOAP12_WSA10,
        "http://example.org/bench/IEcho/Echo",
        Body::Payload(body.finish()),
    );
    message.headers.message_id = Some("urn:uuid:6f1c7d9e-2b1a-4c4e-9d55-0a3f7e1b2c3d".to_owned());
    message.headers.reply_to = Some("http://www.w3.org/2005/08/addressing/anonymous".to_owned());
    message.headers.to = Some("net.tcp://127.0.0.1:8000/echo".to_owned());
    message
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_default();
    let iterations: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let message = echo_request();
    let quotas = ReaderQuotas::default();
    let encoder = BinaryMessageEncoder::new(MessageVersion::SOAP12_WSA10);
    let mut sender = encoder.session_encoder().expect("a session encoder");
    let mut receiver = encoder.session_encoder().expect("a session encoder");
    let mut out = Vec::with_capacity(1024);
    sender.writer.encode(&message, &mut out).expect("encode");
    receiver
        .reader
        .decode(Bytes::from(out.clone()))
        .expect("decode");
    out.clear();
    sender.writer.encode(&message, &mut out).expect("encode");
    let frame = Bytes::from(out.clone());
    let mut text = Vec::new();
    write_envelope(&message, &mut text).expect("write");
    let text = Bytes::from(text);
    for _ in 0..iterations {
        match path.as_str() {
            "text-encode" => {
                out.clear();
                write_envelope(black_box(&message), &mut out).expect("write");
            }
            "text-decode" => {
                black_box(
                    read_envelope(
                        black_box(text.clone()),
                        MessageVersion::SOAP12_WSA10,
                        &quotas,
                    )
                    .expect("read"),
                );
            }
            "binary-encode" => {
                out.clear();
                sender
                    .writer
                    .encode(black_box(&message), &mut out)
                    .expect("encode");
            }
            "binary-decode" => {
                black_box(
                    receiver
                        .reader
                        .decode(black_box(frame.clone()))
                        .expect("decode"),
                );
            }
            other => {
                eprintln!("unknown path {other:?}: text-encode, text-decode, binary-encode, binary-decode");
                std::process::exit(2);
            }
        }
    }
}
