//! Cross-check against an independent NBFX decoder: the PyPI `wcf` package (`peers.md` §3).
//! Our writer's bytes, decoded by `wcf`, must give the same elements, attributes and text as
//! decoded by our reader. Skips (with a note) when Python or the package is missing; set
//! `INDIGO_PYTHON` to an interpreter that has it (`python3 -m venv v && v/bin/pip install wcf`).

use super::super::*;
use super::{sized_envelopes, C2S, S2C};
use std::io::Write;
use std::process::{Command, Stdio};

/// Session strings go in at odd ids, then the document is printed as XML.
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
doc = binascii.unhexlify(lines[1 + count])
out = io.StringIO()
print_records(Record.parse(io.BytesIO(doc)), fp=out)
sys.stdout.write(out.getvalue())
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

fn wcf_decode(python: &str, document: &[u8], session: &[String]) -> String {
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
    for b in document {
        input.push_str(&format!("{b:02x}"));
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
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Events without the indentation `wcf` adds between elements.
fn significant(events: Vec<XmlEvent<'_>>) -> Vec<XmlEvent<'static>> {
    normalize_text(events)
        .into_iter()
        .filter(|e| !matches!(e, XmlEvent::Text(t) if t.trim().is_empty()))
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
    let mut writer = WriterSession::new();
    let mut reader = ReaderSession::new();
    for xml in documents {
        let message = text_to_binary(xml.as_bytes(), Some(&mut writer)).expect("encodes");
        let table = reader.read_table(&message).expect("table");
        let ours = read_events(
            &message[table..],
            reader.strings(),
            &BinaryLimits::default(),
        )
        .expect("decodes");
        let theirs_text = wcf_decode(&python, &message[table..], reader.strings());
        let mut theirs = OwnedEvents::default();
        parse_text(theirs_text.as_bytes(), &mut theirs)
            .unwrap_or_else(|e| panic!("{e}: {theirs_text}"));
        assert_eq!(significant(theirs.0), significant(ours), "{xml}");
    }
}
