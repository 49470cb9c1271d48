//! Micro-benchmarks of Indigo's per-message hot paths, through the public API:
//! `cargo bench -p indigo-bench`.

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use indigo::__internals::framing::{decode, encode, Limits, Record};
use indigo::__internals::RangeSet;
use indigo::__internals::{read_envelope, write_envelope};
use indigo::encoding::BinaryMessageEncoder;
use indigo::encoding::MessageEncoder;
use indigo::message::{
    new_message_id, Body, BodyReader, BodyWriter, Message, MessageVersion, ReaderQuotas,
    XmlFragment,
};
use serde::{Deserialize, Serialize};
use std::hint::black_box;
use std::time::Duration;

const NS: &str = "http://example.org/bench/";
const DATA_NS: &str = "http://schemas.datacontract.org/2004/07/Bench";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order {
    id: u32,
    customer: String,
    quantity: i32,
    price: f64,
    urgent: bool,
}

fn order() -> Order {
    Order {
        id: 42,
        customer: "Contoso Ltd.".to_owned(),
        quantity: 7,
        price: 19.95,
        urgent: true,
    }
}

/// The request an echo client sends: a 64-character string in an `Echo` wrapper, with the
/// addressing headers a request-reply call carries.
fn echo_request() -> Message {
    let mut body = BodyWriter::new("Echo", NS, DATA_NS);
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

fn envelope(c: &mut Criterion) {
    let message = echo_request();
    let mut out = Vec::with_capacity(1024);
    write_envelope(&message, &mut out).expect("write the envelope");
    let bytes = Bytes::from(out.clone());
    let quotas = ReaderQuotas::default();

    let mut group = c.benchmark_group("envelope");
    group.bench_function(format!("write ({} bytes)", bytes.len()), |b| {
        b.iter(|| {
            out.clear();
            write_envelope(black_box(&message), &mut out).expect("write");
            black_box(out.len())
        })
    });
    group.bench_function(format!("read ({} bytes)", bytes.len()), |b| {
        b.iter(|| {
            read_envelope(
                black_box(bytes.clone()),
                MessageVersion::SOAP12_WSA10,
                &quotas,
            )
            .expect("read")
        })
    });
    group.finish();
}

/// NetTcpBinding's msbinsession1 encoder in steady state: the connection's string tables
/// already hold the contract's names (the first message defined them), as on every call
/// after the first.
fn binary(c: &mut Criterion) {
    let message = echo_request();
    let encoder = BinaryMessageEncoder::new(MessageVersion::SOAP12_WSA10);
    let mut sender = encoder.session_encoder().expect("a session encoder");
    let mut receiver = encoder.session_encoder().expect("a session encoder");
    let mut first = Vec::new();
    sender
        .writer
        .encode(&message, &mut first)
        .expect("encode the first message");
    receiver
        .reader
        .decode(Bytes::from(first))
        .expect("decode the first message");
    let mut out = Vec::with_capacity(1024);
    sender.writer.encode(&message, &mut out).expect("encode");
    let frame = Bytes::from(out.clone());

    let mut group = c.benchmark_group("binary session");
    group.bench_function(format!("encode ({} bytes)", frame.len()), |b| {
        b.iter(|| {
            out.clear();
            sender
                .writer
                .encode(black_box(&message), &mut out)
                .expect("encode");
            black_box(out.len())
        })
    });
    group.bench_function(format!("decode ({} bytes)", frame.len()), |b| {
        b.iter(|| {
            receiver
                .reader
                .decode(black_box(frame.clone()))
                .expect("decode")
        })
    });
    group.finish();
}

fn message_id(c: &mut Criterion) {
    let mut group = c.benchmark_group("message id");
    group.bench_function("new_message_id", |b| b.iter(new_message_id));
    group.finish();
}

fn body(c: &mut Criterion) {
    let quotas = ReaderQuotas::default();
    let write = |value: &dyn Fn(&mut BodyWriter)| -> XmlFragment {
        let mut writer = BodyWriter::new("Submit", NS, DATA_NS);
        value(&mut writer);
        writer.finish()
    };
    let order_fragment = write(&|w| w.part("order", &order()).expect("part"));
    let f64_fragment = write(&|w| w.part("value", &1234.5678f64).expect("part"));

    let mut group = c.benchmark_group("body");
    group.bench_function("write struct (5 fields)", |b| {
        let value = order();
        b.iter(|| {
            let mut writer = BodyWriter::new("Submit", NS, DATA_NS);
            writer.part("order", black_box(&value)).expect("part");
            writer.finish()
        })
    });
    group.bench_function("read struct (5 fields)", |b| {
        b.iter(|| {
            let mut reader =
                BodyReader::open(black_box(&order_fragment), "Submit", NS, &quotas).expect("open");
            reader.part::<Order>("order").expect("part")
        })
    });
    group.bench_function("write f64", |b| {
        b.iter(|| {
            let mut writer = BodyWriter::new("Submit", NS, DATA_NS);
            writer
                .part("value", black_box(&1234.5678f64))
                .expect("part");
            writer.finish()
        })
    });
    group.bench_function("read f64", |b| {
        b.iter(|| {
            let mut reader =
                BodyReader::open(black_box(&f64_fragment), "Submit", NS, &quotas).expect("open");
            reader.part::<f64>("value").expect("part")
        })
    });
    group.finish();
}

fn framing(c: &mut Criterion) {
    let mut envelope_bytes = Vec::new();
    write_envelope(&echo_request(), &mut envelope_bytes).expect("write the envelope");
    let record = Record::SizedEnvelope(Bytes::from(envelope_bytes));
    let mut encoded = BytesMut::new();
    encode(&record, &mut encoded).expect("encode");
    let limits = Limits::new(65536);

    let mut group = c.benchmark_group("net.tcp framing");
    group.bench_function(
        format!("encode SizedEnvelope ({} bytes)", encoded.len()),
        |b| {
            let mut out = BytesMut::with_capacity(2048);
            b.iter(|| {
                out.clear();
                encode(black_box(&record), &mut out).expect("encode");
                black_box(out.len())
            })
        },
    );
    group.bench_function(
        format!("decode SizedEnvelope ({} bytes)", encoded.len()),
        |b| {
            b.iter_batched(
                || encoded.clone(),
                |mut buf| {
                    decode(&mut buf, &limits)
                        .expect("decode")
                        .expect("whole record")
                },
                BatchSize::SmallInput,
            )
        },
    );
    group.finish();
}

fn ranges(c: &mut Criterion) {
    let mut group = c.benchmark_group("ack ranges");
    for n in [64u64, 1024] {
        group.bench_with_input(BenchmarkId::new("insert in order", n), &n, |b, &n| {
            b.iter(|| {
                let mut set = RangeSet::new();
                for i in 1..=n {
                    set.insert(black_box(i));
                }
                set
            })
        });
        group.bench_with_input(BenchmarkId::new("insert reversed", n), &n, |b, &n| {
            b.iter(|| {
                let mut set = RangeSet::new();
                for i in (1..=n).rev() {
                    set.insert(black_box(i));
                }
                set
            })
        });
        // Odd numbers first (n/2 disjoint ranges), then the even ones fill the gaps.
        group.bench_with_input(BenchmarkId::new("insert odd then even", n), &n, |b, &n| {
            b.iter(|| {
                let mut set = RangeSet::with_max_ranges(n as usize);
                for i in (1..=n).step_by(2).chain((2..=n).step_by(2)) {
                    set.insert(black_box(i));
                }
                set
            })
        });
    }
    group.finish();
}

fn short() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30)
}

criterion_group! {
    name = hot_paths;
    config = short();
    targets = envelope, binary, message_id, body, framing, ranges
}
criterion_main!(hot_paths);
