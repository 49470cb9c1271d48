//! Harness for the gSOAP WS-ReliableMessaging peer in `tests/interop/gsoap/`: building it,
//! running its echo server and client, a raw HTTP/1.1 SOAP POST, and a recording proxy.
//!
//! gSOAP is GPL, so nothing it generates is committed: `build.sh` compiles our small C
//! programs against the Debian packages (`gsoap libgsoap-dev`) at test time, into
//! `<build_root>/gsoap/<1.0|1.1>/{server,client}`, once per test process and only when the
//! sources are newer than the binaries. `build_root` is the calling test's
//! `env!("CARGO_TARGET_TMPDIR")`, so nothing is written into the checkout; the programs also run
//! in their own directory. What gSOAP puts on the wire is in `tests/interop/gsoap/NOTES.md`.
//!
//! Without gSOAP, [`programs`] (and everything built on it) reports a skip with
//! [`report_skip`](crate::report_skip) and returns `None`, unless `INDIGO_REQUIRE_GSOAP` is set
//! (CI sets it), in which case it panics.
//!
//! Everything listens and connects on 127.0.0.1 only.

use indigo::ReliableMessagingVersion;
use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The echo contract's namespace, as `tests/src/echo.rs` declares it.
pub const ECHO_NAMESPACE: &str = "http://example.org/echo/";
/// The action of `IEcho.Echo`.
pub const ECHO_ACTION: &str = "http://example.org/echo/IEcho/Echo";
/// The action of its reply.
pub const ECHO_RESPONSE_ACTION: &str = "http://example.org/echo/IEcho/EchoResponse";

/// How long the gSOAP server may take to print `READY`.
const READY_WAIT: Duration = Duration::from_secs(10);
/// How long a gSOAP client run may take (its own socket timeouts are 10 s).
const CLIENT_WAIT: Duration = Duration::from_secs(60);
/// How long the server runs at most, in case a test leaks it (it is killed on drop anyway).
const SERVER_LIFETIME_SECS: &str = "300";
/// How long a raw HTTP exchange may take.
const HTTP_WAIT: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------------------------------------
// Building

/// The built gSOAP programs for one WS-RM version.
#[derive(Debug, Clone)]
pub struct Programs {
    /// `server PORT [SECONDS]`.
    pub server: PathBuf,
    /// `client URL COUNT`.
    pub client: PathBuf,
}

/// `1.0` or `1.1`: the `build.sh` argument and the output directory's name.
pub fn version_name(version: ReliableMessagingVersion) -> &'static str {
    if version.is_11() {
        "1.1"
    } else {
        "1.0"
    }
}

/// The built programs for `version` under `build_root` (the test's
/// `env!("CARGO_TARGET_TMPDIR")`), or `None` (after reporting why) when gSOAP is not installed
/// and `INDIGO_REQUIRE_GSOAP` is not set. Panics when it is set, or when the build fails.
/// Builds at most once per process and version (a process passes one `build_root`).
pub fn programs(build_root: &Path, version: ReliableMessagingVersion) -> Option<Programs> {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    static BUILT_10: OnceLock<Result<Programs, String>> = OnceLock::new();
    static BUILT_11: OnceLock<Result<Programs, String>> = OnceLock::new();
    if !*INSTALLED.get_or_init(installed) {
        let install = "apt-get install gsoap libgsoap-dev gcc";
        if required() {
            panic!("INDIGO_REQUIRE_GSOAP is set, but gSOAP is not installed ({install})");
        }
        crate::report_skip(&format!(
            "gSOAP (soapcpp2, /usr/share/gsoap, cc) is not installed, so the gSOAP interop \
             test did not run ({install}; set INDIGO_REQUIRE_GSOAP=1 to make this a failure)"
        ));
        return None;
    }
    let cell = if version.is_11() {
        &BUILT_11
    } else {
        &BUILT_10
    };
    match cell.get_or_init(|| build(build_root, version)) {
        Ok(programs) => Some(programs.clone()),
        Err(why) => panic!("{why}"),
    }
}

fn required() -> bool {
    std::env::var_os("INDIGO_REQUIRE_GSOAP").is_some_and(|v| !v.is_empty() && v != "0")
}

/// soapcpp2, the plugin sources from libgsoap-dev, and a C compiler.
fn installed() -> bool {
    let runs = |tool: &str, arg: &str| {
        Command::new(tool)
            .arg(arg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    runs("soapcpp2", "-V") && runs("cc", "--version") && gsoap_plugin().is_file()
}

fn gsoap_plugin() -> PathBuf {
    PathBuf::from("/usr/share/gsoap/plugin/wsrmapi.c")
}

/// `tests/interop/gsoap`.
fn sources_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/gsoap")
}

/// `<build_root>/gsoap/<version>`.
fn output_dir(build_root: &Path, version: ReliableMessagingVersion) -> PathBuf {
    build_root.join("gsoap").join(version_name(version))
}

fn build(build_root: &Path, version: ReliableMessagingVersion) -> Result<Programs, String> {
    let out = output_dir(build_root, version);
    let programs = Programs {
        server: out.join("server"),
        client: out.join("client"),
    };
    let sources = sources_dir();
    let inputs: Vec<PathBuf> = ["build.sh", "echo.h", "server.c", "client.c", "fault.c"]
        .iter()
        .map(|f| sources.join(f))
        .chain([gsoap_plugin()])
        .collect();
    if up_to_date(&[&programs.server, &programs.client], &inputs) {
        return Ok(programs);
    }
    let script = sources.join("build.sh");
    let output = Command::new("sh")
        .arg(&script)
        .arg(&out)
        .arg(version_name(version))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "building the gSOAP WS-RM {} peer failed ({}):\n{}{}",
            version_name(version),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(programs)
}

/// Every output exists and is newer than every input.
fn up_to_date(outputs: &[&Path], inputs: &[PathBuf]) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let newest_input = inputs
        .iter()
        .map(|p| modified(p).unwrap_or(SystemTime::now()))
        .max();
    let oldest_output = outputs.iter().map(|p| modified(p)).min().flatten();
    matches!((oldest_output, newest_input), (Some(o), Some(i)) if o > i)
}

/// A free port on 127.0.0.1: bound to port 0, read, and released for a peer to take.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("reserve a loopback port")
        .port()
}

// ---------------------------------------------------------------------------------------------
// Processes

/// A child process whose stdout lines arrive on a channel and whose stderr is collected.
/// Dropping it kills the process.
#[derive(Debug)]
struct Process {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
    stdout_reader: Option<std::thread::JoinHandle<()>>,
}

impl Process {
    fn spawn(program: &Path, args: &[&str]) -> Process {
        let mut command = Command::new(program);
        // Run where the program was built, so anything it writes stays out of the checkout.
        if let Some(dir) = program.parent() {
            command.current_dir(dir);
        }
        let mut child = command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        let (tx, lines) = mpsc::unbounded_channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let stdout_reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("piped stderr");
        let sink = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Process {
            child,
            lines,
            seen: Vec::new(),
            stderr,
            stderr_reader: Some(stderr_reader),
            stdout_reader: Some(stdout_reader),
        }
    }

    /// The next stdout line, `None` at EOF or after `deadline`.
    async fn next_line(&mut self, deadline: Instant) -> Option<String> {
        let line = tokio::time::timeout_at(deadline, self.lines.recv())
            .await
            .ok()??;
        self.seen.push(line.clone());
        Some(line)
    }

    /// Waits until the process exits on its own (killing it after `deadline`), collecting
    /// the rest of its output.
    async fn finish(mut self, deadline: Instant) -> Transcript {
        while self.next_line(deadline).await.is_some() {}
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                _ => break None,
            }
        };
        self.kill_and_collect(status)
    }

    /// Kills the process now and collects what it printed.
    fn kill_and_collect(mut self, status: Option<ExitStatus>) -> Transcript {
        if status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // The reader thread ends at EOF, which the exit guarantees: join it so no line printed
        // before the kill is lost in the pipe.
        if let Some(reader) = self.stdout_reader.take() {
            let _ = reader.join();
        }
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
        let stderr = std::mem::take(&mut *self.stderr.lock().unwrap_or_else(|p| p.into_inner()));
        Transcript {
            status,
            lines: std::mem::take(&mut self.seen),
            stderr,
        }
    }

    fn snapshot(&self) -> String {
        let stderr = self
            .stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        Transcript {
            status: None,
            lines: self.seen.clone(),
            stderr,
        }
        .to_string()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Everything a finished gSOAP program printed.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// The exit status; `None` when it had to be killed.
    pub status: Option<ExitStatus>,
    /// Its stdout lines.
    pub lines: Vec<String>,
    /// Its stderr.
    pub stderr: String,
}

impl Transcript {
    /// The lines starting with `tag`, without it.
    pub fn tagged<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.lines.iter().filter_map(move |l| l.strip_prefix(tag))
    }
}

impl std::fmt::Display for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "exit: {:?}", self.status)?;
        for line in &self.lines {
            writeln!(f, "stdout| {line}")?;
        }
        for line in self.stderr.lines() {
            writeln!(f, "stderr| {line}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The server

/// A running gSOAP echo server on 127.0.0.1. Dropping it kills the process.
#[derive(Debug)]
pub struct GsoapServer {
    process: Process,
    port: u16,
}

/// One `SERVED <status> <action> [<text>]` line of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// gSOAP's error code for the request: 0 = OK (a reply or a 202 was sent), 12 = a SOAP
    /// fault was sent, 1000 (`SOAP_STOP`) = a duplicate or out-of-order message got 202.
    pub status: i32,
    /// The request's action (`-` when it had none).
    pub action: String,
    /// The Echo text, for an Echo that ran.
    pub text: Option<String>,
}

impl GsoapServer {
    /// Builds (if needed, under `build_root`) and starts the server for `version` on a free
    /// loopback port. Returns it with its URL (`http://127.0.0.1:<port>/echo`), or `None` when
    /// gSOAP is not installed (see [`programs`]).
    pub async fn start(
        build_root: &Path,
        version: ReliableMessagingVersion,
    ) -> Option<(GsoapServer, String)> {
        let programs = programs(build_root, version)?;
        Some(GsoapServer::spawn(&programs).await)
    }

    /// Starts `programs.server` on a free loopback port and waits for `READY`.
    pub async fn spawn(programs: &Programs) -> (GsoapServer, String) {
        let port = free_port();
        let process = Process::spawn(&programs.server, &[&port.to_string(), SERVER_LIFETIME_SECS]);
        let mut server = GsoapServer { process, port };
        let deadline = Instant::now() + READY_WAIT;
        loop {
            match server.process.next_line(deadline).await {
                Some(line) if line.starts_with("READY ") => break,
                Some(line) if line.starts_with("ERROR ") => {
                    panic!("the gSOAP server failed:\n{}", server.process.snapshot())
                }
                Some(_) => {}
                None => panic!(
                    "no READY from the gSOAP server within {READY_WAIT:?}:\n{}",
                    server.process.snapshot()
                ),
            }
        }
        let url = server.url();
        (server, url)
    }

    /// `http://127.0.0.1:<port>/echo` (the server answers on any path).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/echo", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits for the next `SERVED` line. Panics, showing the output so far, after `wait`.
    pub async fn next_served(&mut self, wait: Duration) -> Served {
        let deadline = Instant::now() + wait;
        loop {
            let Some(line) = self.process.next_line(deadline).await else {
                panic!(
                    "no SERVED line from the gSOAP server within {wait:?}:\n{}",
                    self.process.snapshot()
                );
            };
            if let Some(served) = parse_served(&line) {
                return served;
            }
        }
    }

    /// Kills the server and returns everything it printed. The server prints a `SERVED` line
    /// after it has answered, so output is first given a moment to settle (until nothing new
    /// comes for [`QUIET`], at most [`SETTLE`]).
    pub async fn stop(mut self) -> Transcript {
        let give_up = Instant::now() + SETTLE;
        while Instant::now() < give_up {
            let quiet = (Instant::now() + QUIET).min(give_up);
            if self.process.next_line(quiet).await.is_none() {
                break;
            }
        }
        self.process.kill_and_collect(None)
    }
}

/// How long the server's output must stay quiet before [`GsoapServer::stop`] kills it.
pub const QUIET: Duration = Duration::from_millis(150);
/// The longest [`GsoapServer::stop`] waits for the output to settle.
pub const SETTLE: Duration = Duration::from_secs(2);

/// Parses `SERVED <status> <action> [<text>]`.
pub fn parse_served(line: &str) -> Option<Served> {
    let rest = line.strip_prefix("SERVED ")?;
    let mut parts = rest.splitn(3, ' ');
    let status = parts.next()?.parse().ok()?;
    let action = parts.next()?.to_owned();
    let text = parts.next().map(str::to_owned);
    Some(Served {
        status,
        action,
        text,
    })
}

// ---------------------------------------------------------------------------------------------
// The client

/// What a gSOAP client run printed, interpreted.
#[derive(Debug, Clone)]
pub struct ClientOutcome {
    /// The texts of the Echo replies, in order (`REPLY <text>`).
    pub replies: Vec<String>,
    /// `CLOSE ok` was printed: CloseSequence (1.1) or the LastMessage exchange (1.0) succeeded.
    pub closed: bool,
    /// `TERMINATE ok` (`Some("ok")`), `TERMINATE fault ...` (`Some("fault ...")`), or `None`
    /// when it never got that far.
    pub terminate: Option<String>,
    /// `DONE` was printed: 1.1 after a clean terminate; 1.0 after the close, before the
    /// terminate (gSOAP's own 1.0 terminate is not clean, see NOTES.md).
    pub done: bool,
    /// The `ERROR ...` line, without the tag.
    pub error: Option<String>,
    /// Everything it printed.
    pub transcript: Transcript,
}

impl ClientOutcome {
    fn from_transcript(transcript: Transcript) -> ClientOutcome {
        let first = |tag: &str| transcript.tagged(tag).next().map(str::to_owned);
        let (terminate, error) = (first("TERMINATE "), first("ERROR "));
        ClientOutcome {
            replies: transcript.tagged("REPLY ").map(str::to_owned).collect(),
            closed: transcript.lines.iter().any(|l| l == "CLOSE ok"),
            terminate,
            done: transcript.lines.iter().any(|l| l == "DONE"),
            error,
            transcript,
        }
    }

    /// The client exited with 0 and printed `DONE` and no `ERROR`.
    pub fn succeeded(&self) -> bool {
        self.done && self.error.is_none() && self.transcript.status.is_some_and(|s| s.success())
    }

    /// Panics, showing the transcript, unless [`succeeded`](Self::succeeded) and the replies
    /// are `hello 1`..`hello <count>`.
    pub fn assert_echoed(&self, count: usize) -> &Self {
        let expected: Vec<String> = (1..=count).map(|n| format!("hello {n}")).collect();
        assert!(
            self.succeeded(),
            "the gSOAP client failed:\n{}",
            self.transcript
        );
        assert_eq!(self.replies, expected, "{}", self.transcript);
        self
    }
}

/// Builds (if needed, under `build_root`) and runs the gSOAP client for `version` against `url`
/// with `count` Echo requests, to its end. `None` when gSOAP is not installed (see
/// [`programs`]).
pub async fn run_gsoap_client(
    build_root: &Path,
    version: ReliableMessagingVersion,
    url: &str,
    count: usize,
) -> Option<ClientOutcome> {
    let programs = programs(build_root, version)?;
    Some(run_client(&programs, url, count).await)
}

/// Runs `programs.client URL COUNT` to its end (killed after a minute).
pub async fn run_client(programs: &Programs, url: &str, count: usize) -> ClientOutcome {
    let process = Process::spawn(&programs.client, &[url, &count.to_string()]);
    let transcript = process.finish(Instant::now() + CLIENT_WAIT).await;
    ClientOutcome::from_transcript(transcript)
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP

/// An HTTP response, read to the end of the connection.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header lines as `(name, value)`, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body (as delimited by Content-Length, or everything up to EOF).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// POSTs a SOAP 1.2 envelope to `url` (`http://127.0.0.1:<port>/<path>`) over a fresh
/// connection with `Connection: close`, the way gSOAP's own client does, and reads the
/// response to EOF.
pub async fn post_soap12(url: &str, action: &str, envelope: &str) -> std::io::Result<HttpResponse> {
    let (authority, path) = split_http_url(url)?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\n\
         Content-Type: application/soap+xml; charset=utf-8; action=\"{action}\"\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
        envelope.len()
    );
    let exchange = async {
        let mut stream = TcpStream::connect(authority).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(HTTP_WAIT, exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no HTTP response"))??;
    parse_http_response(&raw)
}

/// `http://host:port/path` → (`host:port`, `/path`).
fn split_http_url(url: &str) -> std::io::Result<(&str, &str)> {
    let invalid = || std::io::Error::new(std::io::ErrorKind::InvalidInput, url.to_owned());
    let rest = url.strip_prefix("http://").ok_or_else(invalid)?;
    Ok(match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    })
}

/// Splits a raw HTTP message into its head (start line and headers) and body. `None` when
/// the head is incomplete.
pub fn split_http(raw: &[u8]) -> Option<(&str, &[u8])> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    Some((head, &raw[end + 4..]))
}

fn content_length(head: &str) -> Option<usize> {
    head.lines().skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
}

/// Parses a whole HTTP/1.x response (no chunked encoding: gSOAP sends Content-Length).
pub fn parse_http_response(raw: &[u8]) -> std::io::Result<HttpResponse> {
    let bad = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_owned());
    let (head, body) = split_http(raw).ok_or_else(|| bad("incomplete HTTP response head"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad HTTP status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let body = match content_length(head) {
        Some(n) => body.get(..n).ok_or_else(|| bad("truncated HTTP body"))?,
        None => body,
    };
    Ok(HttpResponse {
        status,
        headers,
        body: body.to_vec(),
    })
}

// ---------------------------------------------------------------------------------------------
// Recording proxy

/// One HTTP request and its response, as raw bytes.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The raw request (head and body).
    pub request: Vec<u8>,
    /// The raw response (head and body); empty when the target did not answer.
    pub response: Vec<u8>,
}

/// A loopback HTTP proxy that forwards each connection's one request to a target port and
/// records the exchange: for looking at what two peers (gSOAP, Indigo) send each other.
/// Handles `Connection: close` traffic with Content-Length bodies (what gSOAP sends).
/// Dropping it stops it.
#[derive(Debug)]
pub struct RecordingProxy {
    port: u16,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingProxy {
    /// Listens on a free loopback port and forwards to `127.0.0.1:<target_port>`.
    pub async fn start(target_port: u16) -> RecordingProxy {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind the recording proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let log = exchanges.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(forward(client, target_port, log.clone()));
            }
        });
        RecordingProxy {
            port,
            exchanges,
            task,
        }
    }

    /// `http://127.0.0.1:<proxy port>/echo`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/echo", self.port)
    }

    /// The exchanges recorded so far, in the order their responses arrived.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request from `client`, sends it to the target, reads the response to EOF,
/// records the exchange and only then relays the response: a client that sends its next
/// request after a response finds every earlier exchange recorded, in order.
async fn forward(mut client: TcpStream, target_port: u16, log: Arc<Mutex<Vec<Exchange>>>) {
    let Ok(Some(request)) = tokio::time::timeout(HTTP_WAIT, read_request(&mut client)).await else {
        return;
    };
    let mut response = Vec::new();
    if let Ok(mut target) = TcpStream::connect((Ipv4Addr::LOCALHOST, target_port)).await {
        if target.write_all(&request).await.is_ok() {
            let _ = tokio::time::timeout(HTTP_WAIT, target.read_to_end(&mut response)).await;
        }
    }
    log.lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Exchange {
            request,
            response: response.clone(),
        });
    let _ = client.write_all(&response).await;
    let _ = client.shutdown().await;
}

/// Reads a request head and its Content-Length body.
async fn read_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some((head, body)) = split_http(&raw) {
            if body.len() >= content_length(head).unwrap_or(0) {
                return Some(raw);
            }
        }
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return (!raw.is_empty()).then_some(raw);
        }
        raw.extend_from_slice(&buf[..n]);
    }
}
