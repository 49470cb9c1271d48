//! Cross-check against an independent NBFX decoder: the PyPI `wcf` package (`peers.md` §3).
//! Our writer's bytes, decoded by `wcf`, must give the same elements, attributes and text as
//! decoded by our reader. Skips (with a note) when Python or the package is missing; set
//! `INDIGO_PYTHON` to an interpreter that has it (`python3 -m venv v && v/bin/pip install wcf`).

use super::super::*;
use super::generator::document;
use super::roundtrip::to_text;
use super::{sized_envelopes, Rng, C2S, S2C};
use std::io::Write;
use std::process::{Command, Stdio};

/// Session strings go in at odd ids, then each document (a hex line) is printed as XML,
/// followed by a NUL.
const SCRIPT: &str = r#"
import io, sys, binascii
import wcf.dictionary
import wcf.records.elements, wcf.records.attributes, wcf.records.text
from wcf.records import print_records
from wcf.records.base import Record
lines = sys.stdin.read().split("\n")
count = int(lines[0])
for i in range(count):
    wcf.dictionary.dictionary[2 * i + 1] = lines[1 + i]
for line in lines[1 + count:]:
    if line:
        out = io.StringIO()
        print_records(Record.parse(io.BytesIO(binascii.unhexlify(line))), fp=out)
        sys.stdout.write(out.getvalue() + "\0")
"#;

fn python() -> Option<String> {
    let python = std::env::var("INDIGO_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import wcf.records.elements"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(python)
}

fn wcf_decode(python: &str, documents: &[&[u8]], session: &[String]) -> Vec<String> {
    let mut child = Command::new(python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    let mut input = format!("{}\n", session.len());
    for s in session {
        input.push_str(s);
        input.push('\n');
    }
    for document in documents {
        for b in *document {
            input.push_str(&format!("{b:02x}"));
        }
        input.push('\n');
    }
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("python runs");
    assert!(
        output.status.success(),
        "wcf failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let mut texts: Vec<String> = text.split('\0').map(str::to_owned).collect();
    texts.pop(); // after the last NUL
    texts
}

/// Events without the indentation `wcf` adds around elements (also inside mixed content) and
/// comments: texts are compared trimmed, on both sides.
fn significant(events: Vec<XmlEvent<'_>>) -> Vec<XmlEvent<'static>> {
    normalize_text(events)
        .into_iter()
        .filter(|e| !matches!(e, XmlEvent::Text(t) if t.trim().is_empty()))
        .map(|e| match e {
            XmlEvent::Comment(c) => XmlEvent::Comment(c.trim().to_owned().into()),
            XmlEvent::Text(t) => XmlEvent::Text(t.trim().to_owned().into()),
            other => other,
        })
        .collect()
}

#[test]
fn wcf_decodes_our_bytes_like_we_do() {
    let Some(python) = python() else {
        eprintln!("skipped: no Python with the `wcf` package (set INDIGO_PYTHON)");
        return;
    };
    let mut documents: Vec<String> = Vec::new();
    for stream in [C2S, S2C] {
        let mut reader = ReaderSession::new();
        for payload in sized_envelopes(stream) {
            let xml = binary_to_text(payload, Some(&mut reader), &BinaryLimits::default())
                .expect("capture decodes");
            documents.push(String::from_utf8(xml).expect("UTF-8"));
        }
    }
    documents.push(
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">\
         <s:Body><r xmlns=\"urn:x\" xmlns:q=\"urn:q\" q:n=\"-129\" flag=\"true\">\
         <i>2147483647</i><i>-40000</i><b>false</b><g>97eba9c4-dfb0-4899-9019-4b5005bef575</g>\
         <q:e>0</q:e><Body>Envelope</Body><long>"
            .to_string()
            + &"y".repeat(300)
            + "</long></r></s:Body></s:Envelope>",
    );
    // Generated documents, without the characters text XML would normalise on the way back
    // from `wcf`'s output (CR, and TAB/LF in attributes), and without empty attribute values:
    // `wcf` 0.5.5 prints an EmptyText attribute value as its Python repr (.NET writes and
    // reads that record there, so the bug is theirs); ASCII only, as `wcf` escapes the rest
    // with HTML entities.
    let mut rng = Rng::new(2024);
    while documents.len() < 150 {
        let text = String::from_utf8(to_text(&document(&mut rng))).expect("UTF-8");
        if !text.contains(['\r', '\t', '\n'])
            && !text.contains("&#x")
            && !text.contains("=\"\"")
            && text.is_ascii()
        {
            documents.push(text);
        }
    }
    let mut writer = WriterSession::new();
    let mut reader = ReaderSession::new();
    let mut binary = Vec::new();
    for xml in &documents {
        let message = text_to_binary(xml.as_bytes(), Some(&mut writer)).expect("encodes");
        let table = reader.read_table(&message).expect("table");
        binary.push(message[table..].to_vec());
    }
    let slices: Vec<&[u8]> = binary.iter().map(Vec::as_slice).collect();
    let theirs_all = wcf_decode(&python, &slices, reader.strings());
    assert_eq!(theirs_all.len(), documents.len());
    for ((xml, doc), theirs_text) in documents.iter().zip(&binary).zip(&theirs_all) {
        let ours = read_events(doc, reader.strings(), &BinaryLimits::default()).expect("decodes");
        let mut theirs = OwnedEvents::default();
        parse_text(theirs_text.as_bytes(), &mut theirs)
            .unwrap_or_else(|e| panic!("{e}: {theirs_text}"));
        assert_eq!(significant(theirs.0), significant(ours), "{xml}");
    }
}
