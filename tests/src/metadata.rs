//! Helpers for the metadata suites: fetching documents over plain HTTP GET, keeping them as
//! local files for xmllint, and capturing what goes over an HTTP exchange.

use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// `GET url` over HTTP/1.1 (`Connection: close`): the status and the body.
pub async fn http_get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(authority).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8(response).expect("UTF-8");
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, body.to_owned())
}

/// The documents of a service's `?wsdl`, fetched and kept as files whose references to each
/// other are local file names: `main.wsdl`, `wsdl0.wsdl`, `xsd{N}.xsd`.
#[derive(Debug)]
pub struct FetchedMetadata {
    pub dir: PathBuf,
    pub main: String,
    pub contract: Option<String>,
    pub schemas: Vec<String>,
}

impl FetchedMetadata {
    /// Fetches every document reachable from `{base}?wsdl`.
    pub async fn fetch(base: &str, dir: &Path) -> Self {
        std::fs::create_dir_all(dir).expect("a directory for the documents");
        let (status, main) = http_get(&format!("{base}?wsdl")).await;
        assert_eq!(status, 200, "?wsdl: {main}");
        let contract = if main.contains("?wsdl=wsdl0") {
            let (status, doc) = http_get(&format!("{base}?wsdl=wsdl0")).await;
            assert_eq!(status, 200, "?wsdl=wsdl0: {doc}");
            Some(doc)
        } else {
            None
        };
        let mut schemas = Vec::new();
        loop {
            let (status, doc) = http_get(&format!("{base}?xsd=xsd{}", schemas.len())).await;
            // Indigo answers 404 past the last schema; Mono answers its HTML help page.
            if status == 404 || !doc.contains("schema") || doc.contains("<html") {
                break;
            }
            assert_eq!(status, 200, "?xsd=xsd{}: {doc}", schemas.len());
            schemas.push(doc);
        }
        let localize = |doc: &str| {
            let mut doc = doc.replace(&format!("{base}?wsdl=wsdl0"), "wsdl0.wsdl");
            for index in (0..schemas.len()).rev() {
                doc = doc.replace(
                    &format!("{base}?xsd=xsd{index}"),
                    &format!("xsd{index}.xsd"),
                );
            }
            doc
        };
        std::fs::write(dir.join("main.wsdl"), localize(&main)).expect("write");
        if let Some(contract) = &contract {
            std::fs::write(dir.join("wsdl0.wsdl"), localize(contract)).expect("write");
        }
        for (index, schema) in schemas.iter().enumerate() {
            std::fs::write(dir.join(format!("xsd{index}.xsd")), localize(schema)).expect("write");
        }
        FetchedMetadata {
            dir: dir.to_owned(),
            main,
            contract,
            schemas,
        }
    }
}

impl FetchedMetadata {
    /// The documents as stored under `fixtures/`: local file names for the links between
    /// them, and every loopback address `127.0.0.1:{port}` as `localhost`.
    pub fn normalized_files(&self) -> Vec<(String, String)> {
        let mut names = vec!["main.wsdl".to_owned()];
        if self.contract.is_some() {
            names.push("wsdl0.wsdl".to_owned());
        }
        names.extend((0..self.schemas.len()).map(|index| format!("xsd{index}.xsd")));
        names
            .into_iter()
            .map(|name| {
                let text = std::fs::read_to_string(self.dir.join(&name)).expect("a fetched file");
                (name, normalize_addresses(&text))
            })
            .collect()
    }

    /// A schema that imports every fetched schema by its local file, as the WSDL's types do.
    pub fn driver_schema(&self) -> String {
        let imports: String = self
            .schemas
            .iter()
            .enumerate()
            .map(|(index, schema)| {
                let namespace = schema
                    .split("targetNamespace=\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .expect("a target namespace");
                format!(r#"<xs:import namespace="{namespace}" schemaLocation="xsd{index}.xsd"/>"#)
            })
            .collect();
        format!(
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:indigo:test:all">{imports}</xs:schema>"#
        )
    }
}

/// The schema folder of the runtime's tests (`wsdl-1.1.xsd` and the SOAP and WS-* schemas).
pub fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("runtime")
        .join("tests")
        .join("schemas")
}

/// Whether xmllint runs here; without it the caller skips, unless `INDIGO_REQUIRE_XMLLINT`
/// is set.
pub fn xmllint_available() -> bool {
    let found = std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok();
    assert!(
        found || std::env::var_os("INDIGO_REQUIRE_XMLLINT").is_none(),
        "INDIGO_REQUIRE_XMLLINT is set but xmllint was not found"
    );
    if !found {
        crate::report_skip("xmllint is not installed (apt-get install libxml2-utils)");
    }
    found
}

/// `xmllint --schema schema file`: `Ok` or xmllint's complaint.
pub fn xmllint_validate(schema: &Path, file: &Path) -> Result<(), String> {
    let output = std::process::Command::new("xmllint")
        .env("XML_CATALOG_FILES", schemas_dir().join("catalog.xml"))
        .args(["--noout", "--nonet", "--catalogs", "--schema"])
        .arg(schema)
        .arg(file)
        .output()
        .expect("xmllint runs");
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// One HTTP exchange as it went over the wire.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: String,
    pub response: String,
}

/// A loopback forwarder that records the bodies of the first exchange on each connection
/// and passes everything on to `upstream`.
#[derive(Debug)]
pub struct Recorder {
    pub port: u16,
    exchanges: std::sync::Arc<std::sync::Mutex<Vec<Exchange>>>,
}

impl Recorder {
    pub async fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let exchanges = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = exchanges.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let record = record.clone();
                tokio::spawn(async move {
                    let Some(request) = read_message(&mut client).await else {
                        return;
                    };
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                        return;
                    };
                    // One exchange per connection: ask the service to close after it.
                    let request = request.replacen("\r\n", "\r\nConnection: close\r\n", 1);
                    if server.write_all(request.as_bytes()).await.is_err() {
                        return;
                    }
                    let mut response = Vec::new();
                    let _ = server.read_to_end(&mut response).await;
                    let response = String::from_utf8_lossy(&response).into_owned();
                    let _ = client.write_all(response.as_bytes()).await;
                    let body = |message: &str| {
                        message
                            .split_once("\r\n\r\n")
                            .map(|(_, body)| body.to_owned())
                            .unwrap_or_default()
                    };
                    record.lock().expect("lock").push(Exchange {
                        request: body(&request),
                        response: body(&response),
                    });
                });
            }
        });
        Recorder { port, exchanges }
    }

    pub fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.lock().expect("lock").clone()
    }
}

/// One HTTP request with a `Content-Length` body, as text.
async fn read_message(stream: &mut TcpStream) -> Option<String> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buffer);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return Some(String::from_utf8_lossy(&buffer).into_owned());
            }
        }
    }
}

/// The first element inside a SOAP envelope's body.
pub fn body_content(envelope: &str) -> String {
    let start = envelope.find(":Body>").expect("a SOAP body") + ":Body>".len();
    let end = envelope.rfind("</").expect("the body's end");
    let end = envelope[..end].rfind("</").expect("the body's end tag");
    envelope[start..end].to_owned()
}

/// `text` with every `127.0.0.1:{port}` as `localhost`.
pub fn normalize_addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("127.0.0.1:") {
        out.push_str(&rest[..at]);
        out.push_str("localhost");
        rest = rest[at + "127.0.0.1:".len()..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

/// Compares `files` with the fixture folder `dir`, or writes them there with
/// `INDIGO_BLESS=1`.
pub fn check_fixtures(dir: &Path, files: &[(String, String)]) {
    if std::env::var_os("INDIGO_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).expect("the fixture folder");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write a fixture");
        }
        return;
    }
    for (name, text) in files {
        let stored = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with INDIGO_BLESS=1 to write the fixtures)",
                dir.join(name).display()
            )
        });
        assert_eq!(
            &stored,
            text,
            "{} differs from what is published now (run with INDIGO_BLESS=1 to update it)",
            dir.join(name).display()
        );
    }
    let stored = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(stored, files.len(), "{} holds other files", dir.display());
}

/// The folder of the WSDL fixtures the generated contracts of `indigo-tests` come from.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/metadata/fixtures")
}

/// POSTs a SOAP 1.2 envelope with WS-Addressing `action` and `body` to `url`: the status and
/// the response body.
pub async fn raw_soap12_post(url: &str, action: &str, body: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let envelope = format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">{action}</a:Action><a:MessageID>urn:uuid:5e4f3f9c-0000-4000-8000-000000000001</a:MessageID><a:To s:mustUnderstand="1">{url}</a:To></s:Header><s:Body>{body}</s:Body></s:Envelope>"#
    );
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/soap+xml; charset=utf-8; action=\"{action}\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
        envelope.len()
    );
    let mut stream = TcpStream::connect(authority).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_owned())
}

/// Checks `file` against the WSDL 1.1 schema. The schema allows no foreign attributes on a
/// port type's `wsdl:operation`, where WCF (and so Indigo) writes `msc:isInitiating` and
/// `msc:isTerminating`; those two are taken out of a copy first (the caller asserts them).
pub fn validate_wsdl(file: &Path) {
    let text = std::fs::read_to_string(file).expect("read");
    let mut stripped = String::with_capacity(text.len());
    for line in text.lines() {
        let mut line = line.to_owned();
        for flag in ["msc:isInitiating", "msc:isTerminating"] {
            for value in ["true", "false"] {
                line = line.replace(&format!(" {flag}=\"{value}\""), "");
            }
        }
        stripped.push_str(&line);
        stripped.push('\n');
    }
    let copy = file.with_extension("checked.wsdl");
    std::fs::write(&copy, stripped).expect("write");
    if let Err(why) = xmllint_validate(&schemas_dir().join("wsdl-1.1.xsd"), &copy) {
        panic!("{} is not valid WSDL 1.1:\n{why}", file.display());
    }
}

/// Every file of `dir` as (name, text), sorted by name.
pub fn read_folder(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the folder") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        files.push((name, std::fs::read_to_string(&path).expect("a file")));
    }
    files.sort();
    files
}

/// Whether `mono` and `mcs` run here; without them the caller skips (saying what did not
/// run), unless `INDIGO_REQUIRE_MONO` is set.
pub fn mono_available(what: &str) -> bool {
    let runs = |tool: &str| {
        std::process::Command::new(tool)
            .arg("--version")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let installed = runs("mono") && runs("mcs");
    let required =
        std::env::var_os("INDIGO_REQUIRE_MONO").is_some_and(|v| !v.is_empty() && v != "0");
    assert!(
        installed || !required,
        "INDIGO_REQUIRE_MONO is set but mono/mcs are missing"
    );
    if !installed {
        crate::report_skip(&format!("mono/mcs are not installed: {what} did not run"));
    }
    installed
}

/// The example calculator session hosted over NetTcpBinding at
/// `net.tcp://127.0.0.1:0/calculator`, publishing `metadata`: the service the metadata tests
/// and the WCF importer tests read their documents from.
pub async fn calculator_over_net_tcp(
    metadata: indigo::metadata::ServiceMetadata,
) -> indigo::ServiceHost {
    use indigo_examples::calculator::{Calculator, CalculatorSessionContract};
    indigo::ServiceHost::builder(CalculatorSessionContract::per_session(Calculator::default))
        .endpoint(
            indigo::NetTcpBinding::new(),
            "net.tcp://127.0.0.1:0/calculator",
        )
        .metadata(metadata)
        .open()
        .await
        .expect("open the calculator host")
}
