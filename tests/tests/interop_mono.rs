//! Interop with a real WCF stack: Mono 6.8's `System.ServiceModel`, in both directions.
//!
//! The peer is `tests/interop/CalculatorPeer.cs` (built once per test process with
//! `tests/interop/build.sh`). It hosts or calls the calculator session contract over net.tcp
//! with text encoding (`tcp-text`), a sessionless echo contract over HTTP, SOAP 1.1
//! (`basic-http`) or SOAP 1.2 + WS-Addressing 1.0 (`soap12-http`), and a streamed upload and
//! download over `NetTcpBinding` with `TransferMode.Streamed` (`tcp-streamed`). What Mono puts on the wire is
//! summarized in `tests/interop/WIRE-NOTES.md`.
//!
//! Needs `mono` and `mcs` (Debian: `mono-mcs mono-runtime libmono-system-servicemodel4.0a-cil`).
//! Without them the tests report `SKIPPED` in the test run's output
//! (`indigo_tests::report_skip`) and pass, unless `INDIGO_REQUIRE_MONO` is set (CI sets it), in
//! which case they fail. The peer is compiled under cargo's `CARGO_TARGET_TMPDIR`.
//!
//! Mono listens on 127.0.0.1 only: net.tcp binds the address as written, and the HTTP bindings
//! use `HostNameComparisonMode.Exact` (without it Mono's HTTP listener binds 0.0.0.0).

use indigo::{
    BasicHttpBinding, CallError, CustomBinding, NetTcpBinding, ServiceHost, WsHttpBinding,
};
use indigo_examples::calculator::{Calculator, CalculatorSessionClient, CalculatorSessionContract};
use indigo_tests::echo::{EchoClient, EchoContract, EchoService, REFUSED_NAMESPACE};
use indigo_tests::orders::{exercise, OrderService, OrdersClient, OrdersContract};
use std::time::Duration;

/// Starting, driving and stopping the Mono peer.
mod mono {
    use std::io::{BufRead, BufReader, Read};
    use std::net::{Ipv4Addr, TcpListener};
    use std::path::{Path, PathBuf};
    use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
    use std::sync::{Arc, Mutex, OnceLock};
    use std::time::Duration;
    use tokio::sync::mpsc;
    use tokio::time::Instant;

    /// How long a Mono server may take to print `READY`.
    const READY_WAIT: Duration = Duration::from_secs(30);
    /// How long a Mono client scenario, or a server's shutdown, may take.
    const RUN_WAIT: Duration = Duration::from_secs(60);

    /// The built peer, or `None` (after printing why) when Mono is not installed and
    /// `INDIGO_REQUIRE_MONO` is not set. Panics when it is set, or when the build fails.
    /// Held by each test while its Mono peers run. Several Mono runtimes JIT-compiling WCF at
    /// once on a 2-core machine starve Mono's own listener (a new connection's preamble went
    /// unanswered for over 10 s), so Mono tests take turns.
    pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
        static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        TURN.lock().await
    }

    pub fn peer_exe() -> Option<PathBuf> {
        static INSTALLED: OnceLock<bool> = OnceLock::new();
        static EXE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
        if !*INSTALLED.get_or_init(|| runs("mono") && runs("mcs")) {
            let install =
                "apt-get install mono-mcs mono-runtime libmono-system-servicemodel4.0a-cil";
            if required() {
                panic!(
                    "INDIGO_REQUIRE_MONO is set, but `mono`/`mcs` are not installed ({install})"
                );
            }
            indigo_tests::report_skip(&format!(
                "`mono`/`mcs` are not installed, so the Mono interop test did not run \
                 ({install}; set INDIGO_REQUIRE_MONO=1 to make this a failure)"
            ));
            return None;
        }
        match EXE.get_or_init(build) {
            Ok(exe) => Some(exe.clone()),
            Err(why) => panic!("{why}"),
        }
    }

    fn required() -> bool {
        std::env::var_os("INDIGO_REQUIRE_MONO").is_some_and(|v| !v.is_empty() && v != "0")
    }

    fn runs(tool: &str) -> bool {
        Command::new(tool)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Compiles the peer into `<target>/tmp/interop-mono/` (cargo's scratch directory for
    /// integration tests, `CARGO_TARGET_TMPDIR`), never into the checkout.
    fn build() -> Result<PathBuf, String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/build.sh");
        let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-mono");
        let output = Command::new("sh")
            .arg(&script)
            .arg(&out_dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("could not run {}: {e}", script.display()))?;
        if !output.status.success() {
            return Err(format!(
                "building the Mono peer failed ({}); is libmono-system-servicemodel4.0a-cil \
                 installed?\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let exe = out_dir.join("CalculatorPeer.exe");
        exe.is_file()
            .then_some(exe)
            .ok_or_else(|| format!("{} did not produce CalculatorPeer.exe", script.display()))
    }

    /// A free port on 127.0.0.1: bound to port 0, read, and released for Mono to take.
    pub fn free_port() -> u16 {
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("reserve a loopback port")
            .port()
    }

    /// Everything a finished peer printed.
    #[derive(Debug)]
    pub struct Transcript {
        pub status: Option<ExitStatus>,
        pub lines: Vec<String>,
        pub stderr: String,
    }

    impl Transcript {
        fn tagged(&self, tag: &str) -> Vec<&str> {
            self.lines
                .iter()
                .filter_map(|l| l.strip_prefix(tag))
                .collect()
        }

        /// `RESULT` lines, without the tag.
        pub fn results(&self) -> Vec<&str> {
            self.tagged("RESULT ")
        }

        /// The server's `CALL` lines, without the tag: `<instance> <Op> [arg]`.
        pub fn calls(&self) -> Vec<&str> {
            self.tagged("CALL ")
        }

        /// Panics, showing the whole transcript, unless the peer exited with 0 and no `ERROR`.
        pub fn assert_success(&self) -> &Self {
            let ok = self.status.is_some_and(|s| s.success())
                && !self.lines.iter().any(|l| l.starts_with("ERROR "));
            assert!(ok, "the Mono peer failed:\n{self}");
            self
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

    /// A running `mono CalculatorPeer.exe`. Dropping it closes its stdin and kills it.
    #[derive(Debug)]
    pub struct MonoPeer {
        child: Child,
        stdin: Option<ChildStdin>,
        lines: mpsc::UnboundedReceiver<String>,
        seen: Vec<String>,
        stderr: Arc<Mutex<String>>,
        stderr_reader: Option<std::thread::JoinHandle<()>>,
    }

    impl MonoPeer {
        /// Starts the peer with `args` (after the exe).
        pub fn spawn(exe: &Path, args: &[&str]) -> MonoPeer {
            MonoPeer::spawn_with(exe, args, &[])
        }

        /// Starts the peer with `args` and these environment variables.
        pub fn spawn_with(exe: &Path, args: &[&str], env: &[(&str, &str)]) -> MonoPeer {
            let mut command = Command::new("mono");
            command.envs(env.iter().copied());
            // A fixed local time zone: a Local DateTime's offset is then known (+00:00).
            command.env("TZ", "UTC");
            // Run beside the exe, so anything Mono writes stays out of the checkout.
            if let Some(dir) = exe.parent() {
                command.current_dir(dir);
            }
            let mut child = command
                .arg(exe)
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start mono");
            let (tx, lines) = mpsc::unbounded_channel();
            let stdout = child.stdout.take().expect("piped stdout");
            std::thread::spawn(move || {
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
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
            MonoPeer {
                stdin: child.stdin.take(),
                child,
                lines,
                seen: Vec::new(),
                stderr,
                stderr_reader: Some(stderr_reader),
            }
        }

        /// Hosts `binding` at `address` and waits for `READY`.
        pub async fn server(exe: &Path, binding: &str, address: &str) -> MonoPeer {
            MonoPeer::server_with(exe, binding, address, &[]).await
        }

        /// As [`server`](Self::server), with environment variables.
        pub async fn server_with(
            exe: &Path,
            binding: &str,
            address: &str,
            env: &[(&str, &str)],
        ) -> MonoPeer {
            let mut peer = MonoPeer::spawn_with(
                exe,
                &[
                    "server",
                    "--binding",
                    binding,
                    "--address",
                    address,
                    "--seconds",
                    "300",
                ],
                env,
            );
            peer.expect_line("READY ", READY_WAIT).await;
            // Mono's HttpListener (HTTPS especially) may print READY a moment before its socket
            // accepts: wait until it does, so a refused first connection means a real failure.
            if let Some(authority) = address
                .strip_prefix("https://")
                .or_else(|| address.strip_prefix("http://"))
                .and_then(|rest| rest.split('/').next())
            {
                let deadline = Instant::now() + Duration::from_secs(5);
                while tokio::net::TcpStream::connect(authority).await.is_err()
                    && Instant::now() < deadline
                {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            peer
        }

        /// Runs the client scenario for `binding` against `address` to the end.
        pub async fn client(exe: &Path, binding: &str, address: &str) -> Transcript {
            MonoPeer::client_with(exe, binding, address, &[]).await
        }

        /// As [`client`](Self::client), with environment variables.
        pub async fn client_with(
            exe: &Path,
            binding: &str,
            address: &str,
            env: &[(&str, &str)],
        ) -> Transcript {
            MonoPeer::spawn_with(
                exe,
                &["client", "--binding", binding, "--address", address],
                env,
            )
            .finish()
            .await
        }

        /// Waits for the next line starting with `prefix` and returns it. Panics, showing the
        /// output so far, on `ERROR`, on EOF, or after `wait`.
        pub async fn expect_line(&mut self, prefix: &str, wait: Duration) -> String {
            let deadline = Instant::now() + wait;
            loop {
                let line = match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                    Ok(Some(line)) => line,
                    Ok(None) => panic!(
                        "the Mono peer ended before printing {prefix:?}:\n{}",
                        self.snapshot()
                    ),
                    Err(_) => panic!(
                        "no {prefix:?} from the Mono peer within {wait:?}:\n{}",
                        self.snapshot()
                    ),
                };
                self.seen.push(line.clone());
                if line.starts_with("ERROR ") {
                    panic!("the Mono peer failed:\n{}", self.snapshot());
                }
                if line.starts_with(prefix) {
                    return line;
                }
            }
        }

        fn snapshot(&self) -> String {
            let mut text = String::new();
            for line in &self.seen {
                text.push_str(&format!("stdout| {line}\n"));
            }
            for line in self.stderr.lock().unwrap().lines() {
                text.push_str(&format!("stderr| {line}\n"));
            }
            text
        }

        /// Closes the peer's stdin (a server then closes its host and exits), collects the
        /// rest of its output and waits for it to exit; kills it after [`RUN_WAIT`].
        pub async fn finish(mut self) -> Transcript {
            drop(self.stdin.take());
            let deadline = Instant::now() + RUN_WAIT;
            let mut timed_out = false;
            loop {
                match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                    Ok(Some(line)) => self.seen.push(line),
                    Ok(None) => break,
                    Err(_) => {
                        timed_out = true;
                        break;
                    }
                }
            }
            let status = loop {
                match self.child.try_wait() {
                    Ok(Some(status)) => break Some(status),
                    Ok(None) if !timed_out && Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    _ => {
                        let _ = self.child.kill();
                        let _ = self.child.wait();
                        break None;
                    }
                }
            };
            if let Some(reader) = self.stderr_reader.take() {
                let _ = reader.join();
            }
            let stderr = std::mem::take(&mut *self.stderr.lock().unwrap());
            let mut transcript = Transcript {
                status,
                lines: std::mem::take(&mut self.seen),
                stderr,
            };
            if status.is_none() {
                transcript
                    .lines
                    .push(format!("(killed: still running after {RUN_WAIT:?})"));
            }
            transcript
        }
    }

    impl Drop for MonoPeer {
        fn drop(&mut self) {
            drop(self.stdin.take());
            if let Ok(None) = self.child.try_wait() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}

use mono::MonoPeer;

/// The calculator session's server-side trace for the Mono client's fixed scenario.
const CALCULATOR_CALLS: [&str; 9] = [
    "1 Clear",
    "1 AddTo 5",
    "1 SubtractFrom 2",
    "1 MultiplyBy 10",
    "1 DivideBy 4",
    "1 Equals 7.5",
    "2 Clear",
    "2 AddTo 1.5",
    "2 Equals 1.5",
];

/// What the Mono client prints for the echo scenario.
const ECHO_RESULTS: [&str; 4] = [
    "Echo hello",
    "Echo-last n1",
    "Fault echo failed why",
    "Refused refused no Refused urn:example:echo",
];

/// Checks the echo service's server-side trace for the fixed scenario. `Notify` is one-way, so
/// the client may poll `Echo("last-notify")` more than once, and the service may log `Notify`
/// after a poll has started.
fn assert_echo_calls(server: &mono::Transcript) {
    let calls = server.calls();
    assert_eq!(calls.first(), Some(&"- Echo hello"), "{server}");
    assert!(calls.contains(&"- Notify n1"), "{server}");
    assert!(calls.contains(&"- Echo last-notify"), "{server}");
    for once in ["- Fail why", "- Refuse no"] {
        assert_eq!(calls.iter().filter(|c| **c == once).count(), 1, "{server}");
    }
    assert_eq!(calls.last(), Some(&"- Refuse no"), "{server}");
}

/// Send/open timeout for Indigo clients of a Mono service: Mono answers some bad messages (a
/// `To` that does not match, an unknown action) with silence, so fail fast instead of after
/// WCF's default minute.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

fn tcp_address() -> String {
    format!("net.tcp://127.0.0.1:{}/calculator", mono::free_port())
}

fn http_address() -> String {
    format!("http://127.0.0.1:{}/echo", mono::free_port())
}

// ---------------------------------------------------------------------------------------------
// Mono against Mono: proves the peer (and this harness) before Indigo is involved.

#[tokio::test]
async fn mono_self_check_tcp_text() {
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let address = tcp_address();
    let server = MonoPeer::server(&exe, "tcp-text", &address).await;
    let client = MonoPeer::client(&exe, "tcp-text", &address).await;
    client.assert_success();
    assert_eq!(client.results(), ["Equals 7.5", "Equals 1.5"], "{client}");
    let server = server.finish().await;
    server.assert_success();
    assert_eq!(server.calls(), CALCULATOR_CALLS, "{server}");
}

#[tokio::test]
async fn mono_self_check_http() {
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    for binding in ["basic-http", "soap12-http"] {
        let address = http_address();
        let server = MonoPeer::server(&exe, binding, &address).await;
        let client = MonoPeer::client(&exe, binding, &address).await;
        client.assert_success();
        // Mono's service answers a plain FaultException with InternalServiceFault (see
        // WIRE-NOTES.md), so only the Indigo service gives the last line as WCF would.
        let results = client.results();
        assert_eq!(results[..3], ECHO_RESULTS[..3], "{binding}: {client}");
        assert!(
            results.get(3).is_some_and(|r| r.starts_with("Refused ")),
            "{binding}: {client}"
        );
        let server = server.finish().await;
        server.assert_success();
        assert_echo_calls(&server);
    }
}

// ---------------------------------------------------------------------------------------------
// The calculator session over net.tcp, text encoding.

async fn calculator_host(address: &str) -> ServiceHost {
    ServiceHost::builder(CalculatorSessionContract::per_session(Calculator::default))
        .endpoint(CustomBinding::tcp_text(), address)
        .open()
        .await
        .expect("open the calculator host")
}

#[tokio::test]
async fn mono_client_drives_an_indigo_calculator_over_tcp_text() {
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let address = tcp_address();
    let host = calculator_host(&address).await;
    let client = MonoPeer::client(&exe, "tcp-text", &address).await;
    client.assert_success();
    assert_eq!(client.results(), ["Equals 7.5", "Equals 1.5"], "{client}");
    host.close().await.unwrap();
}

#[tokio::test]
async fn indigo_client_drives_a_mono_calculator_over_tcp_text() {
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let address = tcp_address();
    let server = MonoPeer::server(&exe, "tcp-text", &address).await;
    let binding = CustomBinding::tcp_text()
        .with_open_timeout(CALL_TIMEOUT)
        .with_send_timeout(CALL_TIMEOUT);

    // Mono silently drops (no reply, no fault) a message whose To has another port or path than
    // its endpoint address, so the client must send To = `address`.
    let client = CalculatorSessionClient::connect(&binding, &address)
        .await
        .unwrap();
    let session = client.clear().await.unwrap();
    session.add_to(5.0).await.unwrap();
    session.subtract_from(2.0).await.unwrap();
    session.multiply_by(10.0).await.unwrap();
    session.divide_by(4.0).await.unwrap();
    assert_eq!(session.equals().await.unwrap(), 7.5);

    // A second connection is a second session, with its own service instance. A Mono listener
    // sometimes leaves a connection made right after the previous session's socket closed
    // unanswered (no PreambleAck); a short pause avoids that Mono quirk.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let client = CalculatorSessionClient::connect(&binding, &address)
        .await
        .unwrap();
    let session = client.clear().await.unwrap();
    session.add_to(1.5).await.unwrap();
    assert_eq!(session.equals().await.unwrap(), 1.5);

    let server = server.finish().await;
    server.assert_success();
    assert_eq!(server.calls(), CALCULATOR_CALLS, "{server}");
}

// ---------------------------------------------------------------------------------------------
// Binary XML over net.tcp: the calculator over NetTcpBinding, and a contract whose ~250-char
// operation names fill Indigo's 2,048-byte session dictionary (MaxSessionSize) within one
// session: Indigo puts operation (wrapper) names into it, Mono only parameter and result names
// ("v", "EndResult"), so Mono's own tables stay far below the quota Indigo enforces on them.

/// `ILongNames` in `CalculatorPeer.cs`: every `StepNN` operation's wire name is `StepNN` and
/// the same 240-character pad.
#[indigo::service_contract(
    name = "ILongNames",
    namespace = "http://example.org/names",
    session = Required
)]
pub trait LongNames {
    #[operation(initiating)]
    async fn begin(&mut self, v: String);
    #[operation(
        name = "Step01abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01",
        initiating = false
    )]
    async fn step01(&mut self, v: String);
    #[operation(
        name = "Step02abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01",
        initiating = false
    )]
    async fn step02(&mut self, v: String);
    #[operation(
        name = "Step03abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01",
        initiating = false
    )]
    async fn step03(&mut self, v: String);
    #[operation(
        name = "Step04abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01",
        initiating = false
    )]
    async fn step04(&mut self, v: String);
    #[operation(
        name = "Step05abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01",
        initiating = false
    )]
    async fn step05(&mut self, v: String);
    #[operation(
        name = "Step06abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01",
        initiating = false
    )]
    async fn step06(&mut self, v: String);
    #[operation(
        name = "Step07abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01",
        initiating = false
    )]
    async fn step07(&mut self, v: String);
    #[operation(
        name = "Step08abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01",
        initiating = false
    )]
    async fn step08(&mut self, v: String);
    #[operation(
        name = "Step09abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01",
        initiating = false
    )]
    async fn step09(&mut self, v: String);
    #[operation(
        name = "Step10abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01",
        initiating = false
    )]
    async fn step10(&mut self, v: String);
    #[operation(initiating = false, terminating)]
    async fn end(&mut self) -> String;
}

#[derive(Debug, Default)]
struct LongNamesService {
    seen: Vec<String>,
}

impl LongNames for LongNamesService {
    async fn begin(&mut self, v: String) {
        self.seen = vec![v];
    }
    async fn step01(&mut self, v: String) {
        self.seen.push(v);
    }
    async fn step02(&mut self, v: String) {
        self.seen.push(v);
    }
    async fn step03(&mut self, v: String) {
        self.seen.push(v);
    }
    async fn step04(&mut self, v: String) {
        self.seen.push(v);
    }
    async fn step05(&mut self, v: String) {
        self.seen.push(v);
    }
    async fn step06(&mut self, v: String) {
        self.seen.push(v);
    }
    async fn step07(&mut self, v: String) {
        self.seen.push(v);
    }
    async fn step08(&mut self, v: String) {
        self.seen.push(v);
    }
    async fn step09(&mut self, v: String) {
        self.seen.push(v);
    }
    async fn step10(&mut self, v: String) {
        self.seen.push(v);
    }
    async fn end(&mut self) -> String {
        self.seen.join(",")
    }
}

/// The long-names scenario, as the Mono client runs it: Begin, each StepNN, Step01 again (by
/// then past the quota), End.
async fn run_long_names(session: &LongNamesClient<indigo::client::Active>) {
    session.step01("1".to_owned()).await.unwrap();
    session.step02("2".to_owned()).await.unwrap();
    session.step03("3".to_owned()).await.unwrap();
    session.step04("4".to_owned()).await.unwrap();
    session.step05("5".to_owned()).await.unwrap();
    session.step06("6".to_owned()).await.unwrap();
    session.step07("7".to_owned()).await.unwrap();
    session.step08("8".to_owned()).await.unwrap();
    session.step09("9".to_owned()).await.unwrap();
    session.step10("10".to_owned()).await.unwrap();
    session.step01("again".to_owned()).await.unwrap();
}

const LONG_NAMES_RESULT: &str = "a,1,2,3,4,5,6,7,8,9,10,again";

/// The Mono server's trace for one long-names session.
fn long_names_calls() -> Vec<String> {
    let mut calls = vec!["1 Begin a".to_owned()];
    calls.extend((1..=10).map(|i| format!("1 Step{i:02} {i}")));
    calls.push("1 Step01 again".to_owned());
    calls.push(format!("1 End {LONG_NAMES_RESULT}"));
    calls
}

#[tokio::test]
async fn mono_self_check_tcp_binary() {
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let address = tcp_address();
    let server = MonoPeer::server(&exe, "tcp-binary", &address).await;
    let client = MonoPeer::client(&exe, "tcp-binary", &address).await;
    client.assert_success();
    assert_eq!(client.results(), ["Equals 7.5", "Equals 1.5"], "{client}");
    let server = server.finish().await;
    server.assert_success();
    assert_eq!(server.calls(), CALCULATOR_CALLS, "{server}");
}

#[tokio::test]
async fn mono_client_drives_an_indigo_calculator_over_net_tcp_binary() {
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let address = tcp_address();
    let host = ServiceHost::builder(CalculatorSessionContract::per_session(Calculator::default))
        .endpoint(NetTcpBinding::new(), &address)
        .open()
        .await
        .expect("open the calculator host");
    let client = MonoPeer::client(&exe, "tcp-binary", &address).await;
    client.assert_success();
    assert_eq!(client.results(), ["Equals 7.5", "Equals 1.5"], "{client}");
    host.close().await.unwrap();
}

#[tokio::test]
async fn indigo_client_drives_a_mono_calculator_over_net_tcp_binary() {
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let address = tcp_address();
    let server = MonoPeer::server(&exe, "tcp-binary", &address).await;
    let binding = NetTcpBinding::new()
        .with_open_timeout(CALL_TIMEOUT)
        .with_send_timeout(CALL_TIMEOUT);
    let client = CalculatorSessionClient::connect(&binding, &address)
        .await
        .unwrap();
    let session = client.clear().await.unwrap();
    session.add_to(5.0).await.unwrap();
    session.subtract_from(2.0).await.unwrap();
    session.multiply_by(10.0).await.unwrap();
    session.divide_by(4.0).await.unwrap();
    assert_eq!(session.equals().await.unwrap(), 7.5);

    // See the text test: a short pause before Mono's listener takes the next connection.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let client = CalculatorSessionClient::connect(&binding, &address)
        .await
        .unwrap();
    let session = client.clear().await.unwrap();
    session.add_to(1.5).await.unwrap();
    assert_eq!(session.equals().await.unwrap(), 1.5);

    let server = server.finish().await;
    server.assert_success();
    assert_eq!(server.calls(), CALCULATOR_CALLS, "{server}");
}

#[tokio::test]
async fn mono_self_check_tcp_binary_long_names() {
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let address = tcp_address();
    let server = MonoPeer::server(&exe, "tcp-binary-names", &address).await;
    let client = MonoPeer::client(&exe, "tcp-binary-names", &address).await;
    client.assert_success();
    assert_eq!(
        client.results(),
        [format!("End {LONG_NAMES_RESULT}")],
        "{client}"
    );
    let server = server.finish().await;
    server.assert_success();
    assert_eq!(server.calls(), long_names_calls(), "{server}");
}

/// Indigo's replies define `StepNN<pad>Response` (about 250 bytes each) until its table is
/// full, then write the rest inline; the Mono client must read both.
#[tokio::test]
async fn mono_client_fills_an_indigo_session_dictionary_over_net_tcp_binary() {
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let address = tcp_address();
    let host = ServiceHost::builder(LongNamesContract::per_session(LongNamesService::default))
        .endpoint(NetTcpBinding::new(), &address)
        .open()
        .await
        .expect("open the long-names host");
    let client = MonoPeer::client(&exe, "tcp-binary-names", &address).await;
    client.assert_success();
    assert_eq!(
        client.results(),
        [format!("End {LONG_NAMES_RESULT}")],
        "{client}"
    );
    host.close().await.unwrap();
}

/// Indigo's requests define `StepNN<pad>` until its table is full, then write the rest inline;
/// the Mono service must read both.
#[tokio::test]
async fn indigo_client_fills_its_session_dictionary_against_mono_over_net_tcp_binary() {
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let address = tcp_address();
    let server = MonoPeer::server(&exe, "tcp-binary-names", &address).await;
    let binding = NetTcpBinding::new()
        .with_open_timeout(CALL_TIMEOUT)
        .with_send_timeout(CALL_TIMEOUT);
    let client = LongNamesClient::connect(&binding, &address).await.unwrap();
    let session = client.begin("a".to_owned()).await.unwrap();
    run_long_names(&session).await;
    assert_eq!(session.end().await.unwrap(), LONG_NAMES_RESULT);
    let server = server.finish().await;
    server.assert_success();
    assert_eq!(server.calls(), long_names_calls(), "{server}");
}

/// The same contract Indigo to Indigo, no Mono needed: both directions fill their tables.
#[tokio::test]
async fn indigo_fills_both_session_dictionaries_over_net_tcp_binary() {
    let host = ServiceHost::builder(LongNamesContract::per_session(LongNamesService::default))
        .endpoint(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/names")
        .open()
        .await
        .expect("open the long-names host");
    let address = host.addresses().remove(0);
    let client = LongNamesClient::connect(&NetTcpBinding::new(), &address)
        .await
        .unwrap();
    let session = client.begin("a".to_owned()).await.unwrap();
    run_long_names(&session).await;
    assert_eq!(session.end().await.unwrap(), LONG_NAMES_RESULT);
    host.close().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// The echo contract over HTTP: BasicHttpBinding (SOAP 1.1) and SOAP 1.2 + WS-Addressing 1.0.

async fn mono_client_against_indigo_echo<B>(binding: B, mono_binding: &str)
where
    B: indigo::Binding,
    EchoContract: indigo::binding::CarriedBy<B>,
{
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let address = http_address();
    let host = ServiceHost::builder(EchoContract::single(EchoService::default()))
        .endpoint(binding, &address)
        .open()
        .await
        .expect("open the echo host");
    let client = MonoPeer::client(&exe, mono_binding, &address).await;
    client.assert_success();
    assert_eq!(client.results(), ECHO_RESULTS, "{client}");
    host.close().await.unwrap();
}

async fn indigo_client_against_mono_echo<B>(binding: B, mono_binding: &str)
where
    B: indigo::Binding,
    EchoContract: indigo::binding::CarriedBy<B>,
{
    indigo_client_against_mono_echo_at(binding, mono_binding, http_address()).await;
}

async fn indigo_client_against_mono_echo_at<B>(binding: B, mono_binding: &str, address: String)
where
    B: indigo::Binding,
    EchoContract: indigo::binding::CarriedBy<B>,
{
    indigo_client_against_mono_echo_with(binding, mono_binding, address, &[]).await;
}

/// As [`indigo_client_against_mono_echo_at`], the Mono service started with `env`.
async fn indigo_client_against_mono_echo_with<B>(
    binding: B,
    mono_binding: &str,
    address: String,
    env: &[(&str, &str)],
) where
    B: indigo::Binding,
    EchoContract: indigo::binding::CarriedBy<B>,
{
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let server = MonoPeer::server_with(&exe, mono_binding, &address, env).await;
    let client = EchoClient::connect(&binding, &address).await.unwrap();

    assert_eq!(client.echo("hello".to_owned()).await.unwrap(), "hello");

    // Mono answers a one-way POST with 200 and an empty body (not 202), possibly before the
    // operation ran: poll until the service has seen it.
    client.notify("n1".to_owned()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let last = client.echo("last-notify".to_owned()).await.unwrap();
        if last == "n1" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the one-way Notify never ran (last: {last:?})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Mono's fault has an unqualified code (`Sender`) and, over SOAP 1.1, an Action header
    // in the addressing/none namespace with mustUnderstand="1"; see WIRE-NOTES.md.
    match client.fail("why".to_owned()).await {
        Err(CallError::Fault(fault)) => {
            assert_eq!(fault.reason, "echo failed");
            assert_eq!(fault.detail.reason, "why");
        }
        other => panic!("expected the typed fault, got {other:?}"),
    }
    // A fault for an operation declared with an untyped fault is that fault, whatever it
    // carries. Mono's service sends InternalServiceFault for the plain FaultException its
    // `Refuse` throws (WIRE-NOTES.md), so its reason and subcode are Mono's, not Refuse's;
    // the code and subcode a WCF service sends are checked against the Indigo service.
    match client.refuse("no".to_owned()).await {
        Err(CallError::Fault(fault)) => {
            // Over SOAP 1.2 and net.tcp Mono even puts InternalServiceFault in the top-level
            // Code.
            let top = match &fault.code.value {
                indigo::message::FaultCodeValue::Other(name) => Some(name),
                _ => None,
            };
            assert!(
                top.into_iter().chain(fault.code.subcode()).any(|s| s.local
                    == "InternalServiceFault"
                    || s.is(REFUSED_NAMESPACE, "Refused")),
                "{:?}",
                fault.code
            );
        }
        other => panic!("expected the untyped fault, got {other:?}"),
    }
    client.close().await.unwrap();

    let server = server.finish().await;
    server.assert_success();
    assert_echo_calls(&server);
}

#[tokio::test]
async fn mono_client_calls_indigo_echo_over_basic_http() {
    mono_client_against_indigo_echo(BasicHttpBinding::new(), "basic-http").await;
}

#[tokio::test]
async fn mono_client_calls_indigo_echo_over_soap12_http() {
    mono_client_against_indigo_echo(WsHttpBinding::new(), "soap12-http").await;
}

#[tokio::test]
async fn indigo_client_calls_mono_echo_over_basic_http() {
    let binding = BasicHttpBinding::new()
        .with_open_timeout(CALL_TIMEOUT)
        .with_send_timeout(CALL_TIMEOUT);
    indigo_client_against_mono_echo(binding, "basic-http").await;
}

// Mono sends the typed fault of `Fail` over net.tcp without RelatesTo; the Indigo client takes
// it as the answer to its one outstanding request (as Mono's own client does) instead of
// dropping it and timing out.

#[tokio::test]
async fn a_typed_fault_from_mono_over_net_tcp_text_reaches_the_indigo_client() {
    let binding = CustomBinding::tcp_text()
        .with_open_timeout(CALL_TIMEOUT)
        .with_send_timeout(CALL_TIMEOUT);
    let address = format!("net.tcp://127.0.0.1:{}/echo", mono::free_port());
    indigo_client_against_mono_echo_at(binding, "tcp-text-echo", address).await;
}

#[tokio::test]
async fn a_typed_fault_from_mono_over_net_tcp_binary_reaches_the_indigo_client() {
    let binding = NetTcpBinding::new()
        .with_open_timeout(CALL_TIMEOUT)
        .with_send_timeout(CALL_TIMEOUT);
    let address = format!("net.tcp://127.0.0.1:{}/echo", mono::free_port());
    indigo_client_against_mono_echo_at(binding, "tcp-binary-echo", address).await;
}

#[tokio::test]
async fn indigo_client_calls_mono_echo_over_soap12_http() {
    let binding = WsHttpBinding::new()
        .with_open_timeout(CALL_TIMEOUT)
        .with_send_timeout(CALL_TIMEOUT);
    indigo_client_against_mono_echo(binding, "soap12-http").await;
}

// ---------------------------------------------------------------------------------------------
// Data contracts: the orders contract's `#[data_contract]` types against Mono's
// DataContractSerializer (`[DataContract(Namespace)]`, `[DataMember(Name, Order, IsRequired,
// EmitDefaultValue)]`, `[EnumMember(Value)]`, a renamed fault detail in its own namespace).

/// What the Mono client prints: Reprice's answer read back through DataContractSerializer
/// (product, discount, quantity, note, colour, tags), Reserve's, and the typed fault's detail.
const ORDERS_RESULTS: [&str; 6] = [
    concat!("Reprice 7 0 3 nil Green [gift|] ", dotnet_values!()),
    "Reserve 2",
    "OutOfStock 7",
    "Cancel ok",
    "Cancel StoreClosed Monday",
    "Cancel OutOfStock 7",
];

/// How the Mono peer prints the sample line's .NET values: decimal, DateTime (round-trip
/// form, so its Kind shows), Guid, TimeSpan, DateTimeOffset (`"o"`) and two `byte[]` (base64,
/// and a null one).
macro_rules! dotnet_values {
    () => {
        concat!(
            "79228162514264337593543950.335 1969-07-20T20:17:40.1234567Z ",
            "0f8fad5b-d9cb-469f-a165-70867728950e -P1DT2H3M4.0000005S ",
            "2024-02-29T23:30:00.0000000-05:30 AAEC/f7/ nil http://example.org/a%20b?q=1&r=%3C2%3E ",
            "{berlin=3,paris=-1} [1,2||3] [0] ",
            "7 0 Circle:round:1.5 [Shape:plain|Circle:disc:2] [small|large] {a-1=9.99} ",
            "[-79228162514264337593543950335|0.0000000000000000000000000001|1.50] ",
            "[9999-12-31T23:59:59.9999999|2024-02-29T12:00:00+00:00|0001-01-01T00:00:00Z] ",
            "{box=Shape:square} urn:example:kinds#widget"
        )
    };
}
use dotnet_values;

async fn mono_client_against_indigo_orders<B>(binding: B, mono_binding: &str, address: String)
where
    B: indigo::Binding,
    OrdersContract: indigo::binding::CarriedBy<B>,
{
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let host = ServiceHost::builder(OrdersContract::single(OrderService))
        .endpoint(binding, &address)
        .open()
        .await
        .expect("open the orders host");
    let client = MonoPeer::client(&exe, mono_binding, &address).await;
    client.assert_success();
    assert_eq!(client.results(), ORDERS_RESULTS, "{client}");
    host.close().await.unwrap();
}

async fn indigo_client_against_mono_orders<B>(binding: B, mono_binding: &str, address: String)
where
    B: indigo::Binding,
    OrdersContract: indigo::binding::CarriedBy<B>,
{
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let server = MonoPeer::server(&exe, mono_binding, &address).await;
    let client = OrdersClient::connect(&binding, &address).await.unwrap();
    // Mono's DataContractSerializer reads each request and writes each answer.
    exercise(&client).await;
    client.close().await.unwrap();
    let server = server.finish().await;
    server.assert_success();
    // What Mono's DataContractSerializer read from Indigo's requests.
    assert_eq!(
        server.calls(),
        [
            concat!("- Reprice 7 0.25 2 nil Green [gift|] ", dotnet_values!()),
            concat!("- Reserve 7 0.25 2 nil Green [gift|] ", dotnet_values!()),
            concat!("- Reserve 7 0.25 11 nil Green [gift|] ", dotnet_values!()),
            "- Cancel 7 2",
            "- Cancel 0 2",
            "- Cancel 7 11",
        ],
        "{server}"
    );
}

/// `{namespace}local` for text that is `prefix:local` with the prefix declared in scope.
fn qualified(reader: &quick_xml::NsReader<&[u8]>, text: &str) -> Option<String> {
    use quick_xml::name::{QName, ResolveResult};
    let (prefix, _) = text.split_once(':')?;
    if prefix.is_empty() || text.contains(|c: char| c.is_whitespace() || c == '/') {
        return None;
    }
    match reader.resolver().resolve_element(QName(text)) {
        (ResolveResult::Bound(ns), local) => {
            Some(format!("{{{}}}{}", ns.into_inner(), local.into_inner()))
        }
        _ => None,
    }
}

/// One XML document as a list of what it says, independent of prefixes, of where namespaces
/// are declared and of `<x/>` against `<x></x>`: start tags by (namespace, local name) with
/// their other attributes sorted, end tags, and text that is not whitespace between elements.
fn canonical(xml: &str) -> Vec<String> {
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;
    let mut reader = quick_xml::NsReader::from_str(xml);
    let mut out = Vec::new();
    let namespace = |resolved: ResolveResult<'_>| match resolved {
        ResolveResult::Bound(ns) => format!("{:?}", ns.into_inner()),
        _ => String::new(),
    };
    loop {
        let (resolved, event) = reader.read_resolved_event().expect("well-formed XML");
        let resolved = namespace(resolved);
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let mut attributes: Vec<String> = start
                    .attributes()
                    .map(|a| a.expect("an attribute"))
                    .filter(|a| a.key.as_namespace_binding().is_none())
                    .map(|a| {
                        let (ns, local) = reader.resolver().resolve_attribute(a.key);
                        let ns = namespace(ns);
                        // `i:type`'s value is a qualified name: compare what it names.
                        let value =
                            if local.into_inner() == "type" && ns.contains("XMLSchema-instance") {
                                let (named, local) = reader
                                    .resolver()
                                    .resolve_element(quick_xml::name::QName(&a.value));
                                format!("{}{:?}", namespace(named), local.into_inner())
                            } else {
                                format!("{:?}", a.value)
                            };
                        format!("@{ns}{:?}={value}", local.into_inner())
                    })
                    .collect();
                attributes.sort();
                out.push(format!(
                    "<{resolved}{:?} {}",
                    start.local_name().into_inner(),
                    attributes.join(" ")
                ));
                // `<x/>` is `<x></x>`.
                if matches!(event, Event::Empty(_)) {
                    out.push(">".to_owned());
                }
            }
            Event::End(_) => out.push(">".to_owned()),
            Event::Eof => break,
            Event::Text(text)
                if format!("{text:?}")
                    .trim_matches(|c: char| c.is_whitespace())
                    .is_empty() => {}
            // Text that is a qualified name with a declared prefix (an XmlQualifiedName):
            // compare what it names.
            Event::Text(ref text) if qualified(&reader, &text.xml10_content()).is_some() => {
                let content = text.xml10_content();
                if let Some(named) = qualified(&reader, &content) {
                    out.push(format!("QName {named}"));
                }
            }
            other => out.push(format!("{other:?}")),
        }
    }
    out
}

#[tokio::test]
async fn indigo_writes_a_data_contract_as_mono_s_data_contract_serializer_does() {
    let Some(exe) = mono::peer_exe() else { return };
    let output = std::process::Command::new("mono")
        .env("TZ", "UTC")
        .arg(&exe)
        .arg("dcs-xml")
        .current_dir(exe.parent().expect("the exe's folder"))
        .output()
        .expect("run the Mono peer");
    assert!(output.status.success(), "{output:?}");
    let mono = String::from_utf8(output.stdout).expect("UTF-8");
    let fragment = indigo::serialization::to_fragment(
        "OrderLine",
        "http://example.org/shop",
        indigo::message::ns::DC_DEFAULT,
        &indigo_tests::orders::sample_line(),
    )
    .expect("serializes");
    let indigo = String::from_utf8(fragment.xml.to_vec()).expect("UTF-8");
    assert_eq!(
        canonical(&indigo),
        canonical(&mono),
        "Indigo:\n{indigo}\nMono's DataContractSerializer:\n{mono}"
    );
}

#[tokio::test]
async fn mono_client_reads_and_writes_indigo_data_contracts_over_basic_http() {
    mono_client_against_indigo_orders(BasicHttpBinding::new(), "basic-http-orders", http_address())
        .await;
}

#[tokio::test]
async fn mono_client_reads_and_writes_indigo_data_contracts_over_net_tcp_binary() {
    let address = format!("net.tcp://127.0.0.1:{}/orders", mono::free_port());
    mono_client_against_indigo_orders(NetTcpBinding::new(), "tcp-binary-orders", address).await;
}

#[tokio::test]
async fn mono_client_reads_and_writes_indigo_data_contracts_over_net_tcp_text() {
    let address = format!("net.tcp://127.0.0.1:{}/orders", mono::free_port());
    mono_client_against_indigo_orders(CustomBinding::tcp_text(), "tcp-text-orders", address).await;
}

#[tokio::test]
async fn indigo_data_contracts_read_and_written_by_a_mono_service_over_net_tcp_text() {
    let binding = CustomBinding::tcp_text()
        .with_open_timeout(CALL_TIMEOUT)
        .with_send_timeout(CALL_TIMEOUT);
    let address = format!("net.tcp://127.0.0.1:{}/orders", mono::free_port());
    indigo_client_against_mono_orders(binding, "tcp-text-orders", address).await;
}

#[tokio::test]
async fn indigo_data_contracts_read_and_written_by_a_mono_service_over_basic_http() {
    let binding = BasicHttpBinding::new()
        .with_open_timeout(CALL_TIMEOUT)
        .with_send_timeout(CALL_TIMEOUT);
    indigo_client_against_mono_orders(binding, "basic-http-orders", http_address()).await;
}

#[tokio::test]
async fn indigo_data_contracts_read_and_written_by_a_mono_service_over_net_tcp_binary() {
    let binding = NetTcpBinding::new()
        .with_open_timeout(CALL_TIMEOUT)
        .with_send_timeout(CALL_TIMEOUT);
    let address = format!("net.tcp://127.0.0.1:{}/orders", mono::free_port());
    indigo_client_against_mono_orders(binding, "tcp-binary-orders", address).await;
}

// ---------------------------------------------------------------------------------------------
// Streamed transfer over net.tcp (singleton mode, msbin1): a large upload and download each
// way, content checked by a running digest on both sides (the peer's `Pattern`).

mod files {
    use indigo::ByteStream;
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

    /// The Mono peer's `IFiles`: `string Upload(Stream data)`, `Stream Download(long size)`.
    #[indigo::service_contract(name = "IFiles", namespace = "http://example.org/files")]
    pub trait Files {
        #[operation]
        async fn upload(&self, data: ByteStream) -> String;
        #[operation]
        async fn download(&self, size: i64) -> ByteStream;
    }

    pub struct FilesService;

    impl Files for FilesService {
        async fn upload(&self, data: ByteStream) -> String {
            digest(data).await.expect("read the upload")
        }

        async fn download(&self, size: i64) -> ByteStream {
            ByteStream::new(Pattern::new(u64::try_from(size).unwrap_or(0)))
        }
    }

    /// The peer's pattern: xorshift64 words, little-endian, generated as they are read.
    pub struct Pattern {
        remaining: u64,
        state: u64,
        word: [u8; 8],
        used: usize,
    }

    impl Pattern {
        pub fn new(size: u64) -> Self {
            Pattern {
                remaining: size,
                state: 0x9E37_79B9_7F4A_7C15,
                word: [0; 8],
                used: 8,
            }
        }
    }

    impl AsyncRead for Pattern {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let n = usize::try_from(self.remaining)
                .unwrap_or(usize::MAX)
                .min(buf.remaining());
            let mut out = Vec::with_capacity(n);
            while out.len() < n {
                if self.used == 8 {
                    let mut x = self.state;
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    self.state = x;
                    self.word = x.to_le_bytes();
                    self.used = 0;
                }
                let take = (8 - self.used).min(n - out.len());
                let used = self.used;
                out.extend_from_slice(&self.word[used..used + take]);
                self.used += take;
            }
            buf.put_slice(&out);
            self.remaining -= n as u64;
            Poll::Ready(Ok(()))
        }
    }

    /// `len:sum`, with sum = rotl(sum, 5) ^ byte over every byte, as the peer prints it.
    pub async fn digest(mut stream: impl AsyncRead + Unpin) -> io::Result<String> {
        let mut buf = vec![0u8; 64 * 1024];
        let (mut len, mut sum) = (0u64, 0u64);
        loop {
            let read = stream.read(&mut buf).await?;
            if read == 0 {
                return Ok(format!("{len}:{sum}"));
            }
            for &byte in &buf[..read] {
                sum = sum.rotate_left(5) ^ u64::from(byte);
            }
            len += read as u64;
        }
    }
}

/// The payload each way: large enough to be many chunks, small enough for Mono, which reads a
/// stream part into one string.
const STREAMED_SIZE: u64 = 32 << 20;

fn streamed_binding() -> NetTcpBinding {
    NetTcpBinding::new()
        .with_max_received_message_size(1 << 30)
        .with_open_timeout(CALL_TIMEOUT)
}

fn files_address() -> String {
    format!("net.tcp://127.0.0.1:{}/files", mono::free_port())
}

#[tokio::test]
async fn mono_client_streams_to_and_from_indigo_over_net_tcp() {
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let expected = files::digest(files::Pattern::new(STREAMED_SIZE))
        .await
        .unwrap();
    let address = files_address();
    let host = indigo::ServiceHost::builder(files::FilesContract::single(files::FilesService))
        .endpoint(streamed_binding(), &address)
        .open()
        .await
        .expect("open the streamed host");
    let size = STREAMED_SIZE.to_string();
    let client = MonoPeer::spawn(
        &exe,
        &[
            "client",
            "--binding",
            "tcp-streamed",
            "--address",
            &address,
            "--size",
            &size,
        ],
    )
    .finish()
    .await;
    client.assert_success();
    assert_eq!(
        client.results(),
        [format!("Upload {expected}"), format!("Download {expected}")],
        "{client}"
    );
    drop(host);
}

#[tokio::test]
async fn indigo_client_streams_to_and_from_mono_over_net_tcp() {
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let expected = files::digest(files::Pattern::new(STREAMED_SIZE))
        .await
        .unwrap();
    let address = files_address();
    let server = MonoPeer::server(&exe, "tcp-streamed", &address).await;
    let client = files::FilesClient::new(&streamed_binding(), &address);
    let upload = files::Pattern::new(STREAMED_SIZE);
    let uploaded = client.upload(indigo::ByteStream::new(upload)).await;
    assert_eq!(uploaded.unwrap(), expected);
    let size = i64::try_from(STREAMED_SIZE).unwrap();
    let download = client.download(size).await.unwrap();
    assert_eq!(files::digest(download).await.unwrap(), expected);
    let server = server.finish().await;
    server.assert_success();
    assert_eq!(
        server.calls(),
        [format!("- Upload {expected}"), format!("- Download {size}")],
        "{server}"
    );
}

// ---------------------------------------------------------------------------------------------
// HTTPS (BasicHttpBinding with BasicHttpSecurityMode.Transport), both ways. Mono speaks TLS 1.0
// to 1.2 and finds its service certificate for a port under
// $XDG_CONFIG_HOME/.mono/httplistener/<port>.cer and .pvk (what `httpcfg -add` writes).

#[tokio::test]
async fn mono_client_calls_indigo_echo_over_https() {
    use indigo::security::{HttpClientCredentialType, HttpSecurity};
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let pki = indigo_tests::pki::Pki::new("Interop CA");
    let certificate = pki.issue("localhost", &["localhost"]);
    let thumbprint = certificate.info().thumbprint;
    let address = format!("https://127.0.0.1:{}/echo", mono::free_port());
    let binding = BasicHttpBinding::new().with_security(
        HttpSecurity::transport(HttpClientCredentialType::None)
            .with_service_certificate(certificate),
    );
    let host = ServiceHost::builder(EchoContract::single(EchoService::default()))
        .endpoint(binding, &address)
        .open()
        .await
        .expect("open the HTTPS echo host");
    let client = MonoPeer::client_with(
        &exe,
        "basic-https",
        &address,
        &[("PEER_TRUSTED_THUMBPRINT", &thumbprint)],
    )
    .await;
    client.assert_success();
    assert_eq!(client.results(), ECHO_RESULTS, "{client}");
    host.close().await.unwrap();
}

/// An RSA certificate for 127.0.0.1 made with openssl, as Mono's listener wants it (a DER
/// certificate and a PVK key) under `config/.mono/httplistener/<port>`; returns the PEM
/// certificate.
fn mono_listener_certificate(config: &std::path::Path, port: u16) -> String {
    let dir = config.join(".mono").join("httplistener");
    std::fs::create_dir_all(&dir).expect("the listener folder");
    let key = dir.join("key.pem");
    let pem = dir.join("cert.pem");
    let run = |args: &[&str]| {
        let output = std::process::Command::new("openssl")
            .args(args)
            .output()
            .expect("run openssl");
        assert!(output.status.success(), "openssl {args:?}: {output:?}");
    };
    let path = |p: &std::path::Path| p.to_str().expect("a UTF-8 path").to_owned();
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout",
        &path(&key),
        "-out",
        &path(&pem),
    ]);
    run(&[
        "x509",
        "-in",
        &path(&pem),
        "-outform",
        "DER",
        "-out",
        &path(&dir.join(format!("{port}.cer"))),
    ]);
    run(&[
        "rsa",
        "-in",
        &path(&key),
        "-outform",
        "PVK",
        "-pvk-none",
        "-out",
        &path(&dir.join(format!("{port}.pvk"))),
    ]);
    std::fs::read_to_string(&pem).expect("the PEM certificate")
}

#[tokio::test]
async fn indigo_client_calls_mono_echo_over_https() {
    use indigo::security::{
        certificates_from_pem, CertificateValidation, HttpClientCredentialType, HttpSecurity,
    };
    if mono::peer_exe().is_none() {
        return;
    }
    let port = mono::free_port();
    let config =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mono-https-{port}"));
    let pem = mono_listener_certificate(&config, port);
    let trusted = certificates_from_pem(&pem).expect("the certificate");
    let binding = BasicHttpBinding::new()
        .with_security(
            HttpSecurity::transport(HttpClientCredentialType::None)
                .with_service_certificate_validation(CertificateValidation::PeerTrust(trusted)),
        )
        .with_open_timeout(CALL_TIMEOUT)
        .with_send_timeout(CALL_TIMEOUT);
    let config_home = config.to_str().expect("a UTF-8 path").to_owned();
    indigo_client_against_mono_echo_with(
        binding,
        "basic-https",
        format!("https://127.0.0.1:{port}/echo"),
        &[("XDG_CONFIG_HOME", &config_home)],
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Duplex: a service calling back into its client (WCF's CallbackContract), both directions.

/// The callback side of `ITicker`. WCF names callback actions after the service contract, so
/// the callback contract carries the service contract's name and namespace.
#[indigo::service_contract(name = "ITicker", namespace = "http://example.org/ticker/")]
pub trait TickerCallback {
    #[operation(one_way)]
    async fn price_changed(&mut self, symbol: String, price: f64);

    #[operation]
    async fn confirm(&self, order: String) -> bool;
}

#[indigo::service_contract(
    name = "ITicker",
    namespace = "http://example.org/ticker/",
    session = Required,
    callback = TickerCallback
)]
pub trait Ticker {
    #[operation]
    async fn subscribe(&mut self, symbol: String, count: i32) -> bool;

    #[operation(one_way)]
    async fn publish_later(&mut self, count: i32);

    #[operation(terminating)]
    async fn unsubscribe(&mut self);
}

/// The service Mono's duplex client calls: the same behaviour as the C# `TickerService`.
#[derive(Default)]
struct TickerService {
    symbol: String,
    client: Option<std::sync::Arc<TickerCallbackClient>>,
}

impl Ticker for TickerService {
    async fn subscribe(&mut self, symbol: String, count: i32) -> bool {
        let client = std::sync::Arc::new(TickerContract::callback().expect("a callback proxy"));
        for i in 0..count {
            client
                .price_changed(symbol.clone(), f64::from(i) + 0.5)
                .await
                .expect("a price callback");
        }
        let confirmed = client
            .confirm(format!("buy {symbol}"))
            .await
            .expect("Mono's client confirms");
        self.symbol = symbol;
        self.client = Some(client);
        confirmed
    }

    async fn publish_later(&mut self, count: i32) {
        let (Some(client), symbol) = (self.client.clone(), self.symbol.clone()) else {
            return;
        };
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            for i in 0..count {
                let _ = client
                    .price_changed(symbol.clone(), 1000.0 + f64::from(i))
                    .await;
            }
        });
    }

    async fn unsubscribe(&mut self) {}
}

/// The Indigo client's callback instance: what Mono's service called back with.
struct TickerWatcher {
    prices: tokio::sync::mpsc::UnboundedSender<(String, f64)>,
}

impl TickerCallback for TickerWatcher {
    async fn price_changed(&mut self, symbol: String, price: f64) {
        let _ = self.prices.send((symbol, price));
    }

    async fn confirm(&self, order: String) -> bool {
        order.starts_with("buy ")
    }
}

#[tokio::test]
async fn mono_duplex_client_gets_callbacks_from_an_indigo_service_over_net_tcp() {
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let address = format!("net.tcp://127.0.0.1:{}/ticker", mono::free_port());
    let host = ServiceHost::builder(TickerContract::per_session(TickerService::default))
        .endpoint(NetTcpBinding::new(), &address)
        .open()
        .await
        .expect("open the ticker host");
    let client = MonoPeer::client(&exe, "tcp-binary-ticker", &address).await;
    client.assert_success();
    // Five one-way callbacks and a request-reply one during Subscribe (Mono's client answered
    // true), then three after PublishLater returned.
    assert_eq!(client.results(), ["Subscribe True", "Prices 8"], "{client}");
    let prices: Vec<&str> = client
        .lines
        .iter()
        .filter_map(|line| line.strip_prefix("PRICE CONTOSO "))
        .collect();
    assert_eq!(
        prices,
        ["0.5", "1.5", "2.5", "3.5", "4.5", "1000", "1001", "1002"],
        "{client}"
    );
    assert!(
        client.lines.iter().any(|l| l == "CONFIRM buy CONTOSO"),
        "{client}"
    );
    host.close().await.unwrap();
}

#[tokio::test]
async fn indigo_duplex_client_gets_callbacks_from_a_mono_service_over_net_tcp() {
    let Some(exe) = mono::peer_exe() else { return };
    let _turn = mono::one_at_a_time().await;
    let address = format!("net.tcp://127.0.0.1:{}/ticker", mono::free_port());
    let server = MonoPeer::server(&exe, "tcp-binary-ticker", &address).await;
    let binding = NetTcpBinding::new()
        .with_open_timeout(CALL_TIMEOUT)
        .with_send_timeout(CALL_TIMEOUT)
        .with_close_timeout(Duration::from_secs(2));
    let (prices, mut received) = tokio::sync::mpsc::unbounded_channel();
    let client = TickerClient::connect_with_callback(&binding, &address, TickerWatcher { prices })
        .await
        .expect("connects to Mono");
    // Mono's Reentrant service calls back five times and asks for a confirmation during the
    // call, which the Indigo client answers.
    let (client, confirmed) = client
        .subscribe("CONTOSO".to_owned(), 5)
        .await
        .expect("subscribed");
    assert!(confirmed);
    client.publish_later(3).await.expect("sent");
    let mut got = Vec::new();
    while got.len() < 8 {
        let (symbol, price) = tokio::time::timeout(Duration::from_secs(10), received.recv())
            .await
            .expect("a callback from Mono in time")
            .expect("a callback");
        assert_eq!(symbol, "CONTOSO");
        got.push(price);
    }
    assert_eq!(got, [0.5, 1.5, 2.5, 3.5, 4.5, 1000.0, 1001.0, 1002.0]);
    client.unsubscribe().await.expect("unsubscribed");
    drop(server);
}
