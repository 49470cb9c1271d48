//! Entry points for the fuzz targets in the repository's `fuzz/` directory. Not public API:
//! compiled only with the `fuzzing` feature (and for the unit tests, which replay the seed
//! corpus and the crashes found through them), and hidden from the documentation.
//!
//! Each function takes arbitrary bytes and must return normally for every input: errors are
//! expected, panics are bugs. Several also check a property that holds for any input
//! (re-encoding what was decoded gives it back; a fast path agrees with the general reader),
//! with an assertion, so that a violation is a crash the fuzzer reports. Nothing here catches
//! panics.

use crate::message::{
    read_envelope, write_envelope, Body, Message, MessageVersion, ReaderQuotas, XmlFragment,
};
use crate::reliable::proto::ReliableMessagingVersion;
use crate::transport::tcp::framing::{self, KnownEncoding, Limits, Mode, Record};
use crate::transport::tcp::preamble::{PreambleCheck, Step};
use bytes::{Bytes, BytesMut};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::collections::BTreeMap;

/// The envelope limit of the framing targets (WCF's default `MaxReceivedMessageSize`).
const MAX_ENVELOPE: usize = 65_536;

/// net.tcp records (MC-NMF) decoded one after the other from `data`, as a receiver's buffer
/// would hold them. Every record decoded is encoded again, and that must decode to the same
/// record, taking exactly the bytes written.
pub fn framing(data: &[u8]) {
    decode_records(BytesMut::from(data), &Limits::new(MAX_ENVELOPE));
}

fn decode_records(mut buf: BytesMut, limits: &Limits) {
    while let Ok(Some(record)) = framing::decode(&mut buf, limits) {
        round_trip(&record, limits);
    }
}

fn round_trip(record: &Record, limits: &Limits) {
    let mut encoded = Vec::new();
    if framing::encode(record, &mut encoded).is_err() {
        return;
    }
    let mut again = BytesMut::from(&encoded[..]);
    match framing::decode(&mut again, limits) {
        Ok(Some(back)) => assert_eq!(&back, record, "a re-encoded record decodes differently"),
        other => panic!("a re-encoded {record:?} does not decode: {other:?}"),
    }
    assert!(again.is_empty(), "a re-encoded record leaves bytes behind");
}

/// A listener's side of a connection: the preamble check fed the records decoded from `data`
/// (refusing a record from its first byte as the socket reader does), then, once the preamble
/// is accepted, the session's records. The first byte picks the endpoint's encoding, mode and
/// whether it requires the TLS upgrade.
pub fn preamble(data: &[u8]) {
    let Some((&setup, rest)) = data.split_first() else {
        return;
    };
    let encodings = [
        KnownEncoding::Soap11Utf8,
        KnownEncoding::Soap12Utf8,
        KnownEncoding::Binary,
        KnownEncoding::BinarySession,
    ];
    let encoding = encodings[usize::from(setup & 3)];
    let mode = if setup & 4 == 0 {
        Mode::Duplex
    } else {
        Mode::Singleton
    };
    let path = if setup & 8 == 0 { "/calc" } else { "/echo" };
    let mut check = PreambleCheck::new(path, encoding).with_mode(mode);
    if setup & 16 != 0 {
        // An endpoint with transport security; the upgraded stream carries on with the rest.
        check = check.with_upgrade("application/ssl-tls");
    }
    let mut buf = BytesMut::from(rest);
    // The preamble has no envelopes (as in the listener's handshake).
    let preamble_limits = Limits::new(0);
    loop {
        if let Some(&first) = buf.first() {
            if !check.expects(first) {
                return;
            }
        }
        let record = match framing::decode(&mut buf, &preamble_limits) {
            Ok(Some(record)) => record,
            Ok(None) | Err(_) => return,
        };
        match check.next(record) {
            Step::Continue => {}
            Step::Upgrade => check.upgraded(),
            Step::Accept => break,
            Step::Fault(_) | Step::Abort(_) => return,
        }
        // Once done, the check expects nothing more.
    }
    assert!(
        (0..=u8::MAX).all(|byte| !check.expects(byte)),
        "an accepted preamble expects more records"
    );
    decode_records(buf, &Limits::new(MAX_ENVELOPE));
}

/// .NET Binary XML with session string tables (msbinsession1): `data` is split into the
/// messages of one direction of a connection (each a 2-byte little-endian length then that
/// many bytes; a short last one takes what is left), which are decoded on every route, the
/// decoded ones re-encoded and decoded again (see `encoding::binary::fuzz`).
pub fn binary_xml(data: &[u8]) {
    let mut messages = Vec::new();
    let mut rest = data;
    while let [low, high, tail @ ..] = rest {
        let len = usize::from(u16::from_le_bytes([*low, *high])).min(tail.len());
        let (message, next) = tail.split_at(len);
        messages.push(message);
        rest = next;
    }
    crate::encoding::binary::fuzz::session_messages(&messages);
}

/// A SOAP envelope as text, read as SOAP 1.2 with WS-Addressing 1.0 and as SOAP 1.1. What
/// reads is written again, and that must read back to the same message.
pub fn soap_envelope(data: &[u8]) {
    let quotas = ReaderQuotas::default();
    for version in [MessageVersion::SOAP12_WSA10, MessageVersion::SOAP11] {
        let Ok(message) = read_envelope(Bytes::copy_from_slice(data), version, &quotas) else {
            continue;
        };
        let mut written = Vec::new();
        if write_envelope(&message, &mut written).is_err() {
            continue;
        }
        match read_envelope(Bytes::from(written), version, &quotas) {
            Ok(back) => assert_same_message(message, back),
            Err(e) => panic!("a re-written envelope does not read: {e}"),
        }
    }
}

/// `back` (read from what `original` was written as) says what `original` says. Fragments are
/// not compared byte for byte: the writer moves namespace declarations (a header declares
/// what it inherited, the envelope drops unused ones), so only their count is; the
/// addressing headers, the other headers' names and the fault (if any) must be equal.
pub(crate) fn assert_same_message(original: Message, back: Message) {
    let summary = |m: &Message| {
        let mut headers = m.headers.clone();
        let names: Vec<_> = headers
            .other
            .drain(..)
            .map(|h| (h.name, h.must_understand))
            .collect();
        let body = match &m.body {
            Body::Empty => "empty".to_owned(),
            Body::Payload(_) => "payload".to_owned(),
            Body::Fault(fault) => format!(
                "fault {:?} {:?} {:?} {:?} {}",
                fault.code,
                fault.reason,
                fault.reason_lang,
                fault.node,
                fault.detail.is_some()
            ),
        };
        (headers, names, body)
    };
    assert_eq!(
        summary(&back),
        summary(&original),
        "a re-written message reads differently"
    );
}

/// The WS-ReliableMessaging readers (`reliable::wire`). The first byte picks the input's
/// shape: bit 0 the WS-RM version; bit 1 a whole SOAP 1.2 envelope (read with
/// `read_message`, each of its headers also through the header readers) or a bare header
/// element (the header readers only). Wherever the fast path reads a header, the general
/// reader must read the same.
pub fn wsrm(data: &[u8]) {
    let Some((&setup, rest)) = data.split_first() else {
        return;
    };
    let version = if setup & 1 == 0 {
        ReliableMessagingVersion::WsReliableMessagingFebruary2005
    } else {
        ReliableMessagingVersion::WsReliableMessaging11
    };
    let quotas = ReaderQuotas::default();
    if setup & 2 == 0 {
        let fragment = XmlFragment::new(Bytes::copy_from_slice(rest));
        crate::reliable::wire::fast_path_agrees(version, &fragment, &quotas);
        return;
    }
    let bytes = Bytes::copy_from_slice(rest);
    let Ok(message) = read_envelope(bytes, MessageVersion::SOAP12_WSA10, &quotas) else {
        return;
    };
    for header in &message.headers.other {
        crate::reliable::wire::fast_path_agrees(version, &header.xml, &quotas);
    }
    let _ = crate::reliable::wire::read_message(version, message, &quotas);
}

/// A data contract with the shapes the serializer maps: members in ordinal order, options,
/// sequences of values and of contracts, a map, an enum, text, numbers, `char`, `bool`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Order {
    id: i64,
    customer: String,
    note: Option<String>,
    status: Status,
    lines: Vec<Line>,
    tags: Vec<String>,
    codes: Vec<i32>,
    totals: BTreeMap<String, f64>,
    gift: Option<Line>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Line {
    sku: String,
    quantity: u32,
    price: f64,
    rush: bool,
    grade: char,
    weight: f32,
    bin: u8,
    offset: i16,
}

#[derive(Debug, Serialize, Deserialize)]
enum Status {
    Open,
    Shipped,
    Cancelled,
}

/// The data namespace of the contracts above.
const DATA_NS: &str = "http://schemas.datacontract.org/2004/07/Fuzz";

/// The data-contract deserializer (`serialization::from_fragment`) on arbitrary XML, into
/// several types. What deserializes is serialized, deserialized and serialized again: the two
/// serializations must be equal (values are compared through their XML, since `NaN` is not
/// equal to itself).
pub fn data_contract(data: &[u8]) {
    let fragment = XmlFragment::new(Bytes::copy_from_slice(data));
    let quotas = ReaderQuotas::default();
    stable::<Order>(&fragment, &quotas);
    stable::<Line>(&fragment, &quotas);
    stable::<Vec<Line>>(&fragment, &quotas);
    stable::<Option<Status>>(&fragment, &quotas);
    stable::<String>(&fragment, &quotas);
    stable::<f64>(&fragment, &quotas);
    stable::<Vec<u8>>(&fragment, &quotas);
    stable::<BTreeMap<i32, Vec<String>>>(&fragment, &quotas);
}

fn stable<T: Serialize + DeserializeOwned>(fragment: &XmlFragment, quotas: &ReaderQuotas) {
    use crate::serialization::{from_fragment, to_fragment};
    let Ok(value) = from_fragment::<T>(fragment, quotas) else {
        return;
    };
    let Ok(first) = to_fragment("Value", "http://tempuri.org/", DATA_NS, &value) else {
        return;
    };
    let again: T = match from_fragment(&first, quotas) {
        Ok(again) => again,
        Err(e) => panic!(
            "{} does not read back: {e}",
            String::from_utf8_lossy(&first.xml)
        ),
    };
    match to_fragment("Value", "http://tempuri.org/", DATA_NS, &again) {
        Ok(second) => assert_eq!(
            String::from_utf8_lossy(&second.xml),
            String::from_utf8_lossy(&first.xml),
            "a value read back serializes differently"
        ),
        Err(e) => panic!("a value read back does not serialize: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Runs `entry` on every file of `fuzz/corpus/<target>` (the seeds and the crashes kept
    /// there); returns how many there were.
    fn replay(target: &str, entry: fn(&[u8])) -> usize {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/corpus")
            .join(target);
        let mut count = 0;
        for file in std::fs::read_dir(&dir).expect("the corpus directory exists") {
            let path = file.expect("a directory entry").path();
            let data = std::fs::read(&path).expect("a corpus file reads");
            entry(&data);
            count += 1;
        }
        count
    }

    #[test]
    fn the_seed_corpus_runs_clean() {
        for (target, entry) in [
            ("framing", framing as fn(&[u8])),
            ("preamble", preamble),
            ("binary_xml", binary_xml),
            ("soap_envelope", soap_envelope),
            ("wsrm", wsrm),
            ("data_contract", data_contract),
        ] {
            assert!(replay(target, entry) > 0, "no seeds for {target}");
        }
    }
}
