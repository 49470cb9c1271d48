//! WCF's own importer reads Indigo's metadata (issue 13): Mono's `WsdlImporter` and
//! `ServiceContractGenerator` (what svcutil runs) turn the WSDL an Indigo host publishes into
//! a C# proxy, `mcs` compiles it with a small caller, and the caller calls the Indigo service:
//! a session over net.tcp with its one-way and terminating operations, and a sessionless
//! service over HTTP with data contracts and typed faults.
//!
//! Mono's importer leaves out what .NET's reads (session flags, one-way operations, faults);
//! `tests/interop/metadata/ImportProxy.cs` applies those rules from the same documents and
//! says so. Needs `mono` and `mcs`; skipped without them unless `INDIGO_REQUIRE_MONO` is set.

use indigo::metadata::ServiceMetadata;
use indigo::{BasicHttpBinding, ServiceHost};
use indigo_tests::metadata::{calculator_over_net_tcp, FetchedMetadata};
use indigo_tests::orders::{OrderService, OrdersContract};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const RUN_LIMIT: Duration = Duration::from_secs(120);

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("interop")
        .join("metadata")
}

fn scratch(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("mono-metadata-{name}-{}", std::process::id()))
}

fn mono_installed() -> bool {
    indigo_tests::metadata::mono_available("the Mono metadata interop")
}

/// Runs `command` to its end, within [`RUN_LIMIT`], off the async runtime.
async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the command starts");
        let started = Instant::now();
        loop {
            if child.try_wait().expect("wait").is_some() {
                return child.wait_with_output().expect("output");
            }
            if started.elapsed() > RUN_LIMIT {
                let _ = child.kill();
                let output = child.wait_with_output().expect("output");
                panic!(
                    "{command:?} ran over {RUN_LIMIT:?}:\n{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    })
    .await
    .expect("the command's thread")
}

fn check(what: &str, output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn mcs(sources: &[PathBuf], out: &Path, references: &[&str]) -> Command {
    let mut command = Command::new("mcs");
    command.arg("-nologo");
    for reference in references {
        command.arg(format!("-r:{reference}"));
    }
    command.args(sources).arg(format!("-out:{}", out.display()));
    command
}

/// The importer, built once per test run (the tests wait for the one build: two writing the
/// same file at once would leave a half-written exe).
async fn import_proxy_exe() -> PathBuf {
    static BUILT: tokio::sync::OnceCell<PathBuf> = tokio::sync::OnceCell::const_new();
    BUILT
        .get_or_init(|| async {
            let dir = scratch("importer");
            std::fs::create_dir_all(&dir).expect("a directory");
            let exe = dir.join("ImportProxy.exe");
            let output = run(mcs(
                &[interop_dir().join("ImportProxy.cs")],
                &exe,
                &[
                    "System.ServiceModel.dll",
                    "System.Runtime.Serialization.dll",
                    "System.Web.Services.dll",
                    "System.Xml.dll",
                ],
            ))
            .await;
            check("compiling ImportProxy.cs", &output);
            exe
        })
        .await
        .clone()
}

/// Generates the proxy from `fetched`, compiles it with `caller`, and returns what the
/// importer reported and the caller's exe.
async fn proxy_with(fetched: &FetchedMetadata, caller: &str) -> (String, PathBuf) {
    let mut sources = vec!["main.wsdl".to_owned()];
    if fetched.contract.is_some() {
        sources.push("wsdl0.wsdl".to_owned());
    }
    sources.extend((0..fetched.schemas.len()).map(|index| format!("xsd{index}.xsd")));
    proxy_from(&fetched.dir, &sources, caller).await
}

/// As [`proxy_with`], from `sources` (files in `dir`, or `--mex ADDRESS`).
async fn proxy_from(dir: &Path, sources: &[String], caller: &str) -> (String, PathBuf) {
    let importer = import_proxy_exe().await;
    std::fs::create_dir_all(dir).expect("a directory");
    let proxy = dir.join("proxy.cs");
    let mut command = Command::new("mono");
    command
        .arg(&importer)
        .arg(&proxy)
        .current_dir(dir)
        .args(sources);
    let report = check("the WSDL import", &run(command).await);
    assert!(!report.contains("IMPORT-ERROR"), "{report}");
    let exe = dir.join(caller.replace(".cs", ".exe"));
    let output = run(mcs(
        &[proxy, interop_dir().join(caller)],
        &exe,
        &[
            "System.ServiceModel.dll",
            "System.Runtime.Serialization.dll",
        ],
    ))
    .await;
    check("compiling the generated proxy", &output);
    (report, exe)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_generated_by_wcfs_importer_drives_an_indigo_session_over_net_tcp() {
    if !mono_installed() {
        return;
    }
    let host = calculator_over_net_tcp(
        ServiceMetadata::new().with_http_get_url("http://127.0.0.1:0/calculator/meta"),
    )
    .await;
    let base = host.metadata_address().expect("the metadata address");
    let fetched = FetchedMetadata::fetch(&base, &scratch("calculator")).await;
    let (report, exe) = proxy_with(&fetched, "CalculatorCaller.cs").await;
    // What the importer took from the documents.
    for line in [
        "CONTRACT ICalculatorSession session=Required",
        "OPERATION Clear oneway=False initiating=True terminating=False faults=",
        "OPERATION AddTo oneway=True initiating=False terminating=False faults=",
        "OPERATION Equals oneway=False initiating=False terminating=True faults=",
    ] {
        assert!(
            report.lines().any(|l| l == line),
            "missing `{line}` in:\n{report}"
        );
    }
    assert!(
        report.contains(&format!(
            "ENDPOINT NetTcpBinding_ICalculatorSession NetTcpBinding {}",
            host.addresses()[0]
        )),
        "{report}"
    );
    let mut command = Command::new("mono");
    command.arg(&exe).arg(&host.addresses()[0]);
    let output = check("the generated proxy's calls", &run(command).await);
    // Clear, then one-way AddTo 5, MultiplyBy 4, SubtractFrom 2, then the terminating Equals.
    assert!(output.lines().any(|l| l == "EQUALS 18"), "{output}");
    // The proxy keeps the rules as .NET's svcutil writes them. (Mono's client does not enforce
    // IsTerminating itself: its call after Equals is sent, where .NET's would throw.)
    let proxy = std::fs::read_to_string(fetched.dir.join("proxy.cs")).expect("the proxy");
    assert!(
        proxy.contains("SessionMode=System.ServiceModel.SessionMode.Required"),
        "{proxy}"
    );
    assert!(proxy.contains(r#"Action="http://tempuri.org/ICalculatorSession/AddTo", IsOneWay=true, IsInitiating=false)"#), "{proxy}");
    assert!(
        proxy.contains("IsInitiating=false, IsTerminating=true)"),
        "{proxy}"
    );
    host.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_generated_by_wcfs_importer_calls_an_indigo_service_over_http() {
    if !mono_installed() {
        return;
    }
    let host = ServiceHost::builder(OrdersContract::per_call(|| OrderService))
        .endpoint(BasicHttpBinding::new(), "http://127.0.0.1:0/orders")
        .metadata(ServiceMetadata::new().with_service_name("OrderService"))
        .open()
        .await
        .expect("open");
    let address = host.addresses()[0].clone();
    let fetched = FetchedMetadata::fetch(&address, &scratch("orders")).await;
    let (report, exe) = proxy_with(&fetched, "OrdersCaller.cs").await;
    assert!(
        report
            .lines()
            .any(|l| l == "CONTRACT Orders session=Allowed"),
        "{report}"
    );
    assert!(
        report
            .lines()
            .any(|l| l == "FAULT-DETAIL urn:example:stock:StoreClosed"),
        "{report}"
    );
    let mut command = Command::new("mono");
    command.arg(&exe).arg(&address);
    let output = check("the generated proxy's calls", &run(command).await);
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(
        lines,
        [
            "REPRICE 7 3 from mono 0 a,b",
            "RESERVE 3",
            "FAULT Reserve OutOfStockFault 7 out of stock",
            "FAULT Cancel StoreClosed Monday closed",
        ],
        "{output}"
    );
    host.close().await.expect("close");
}

/// WCF's `MetadataExchangeClient` (over `mexHttpBinding`) reads an Indigo MEX endpoint, and the
/// proxy generated from what it got drives the session. (Mono's client cannot use
/// `mexTcpBinding`: its channel refuses the net.tcp scheme for `IMetadataExchange`; MEX over
/// net.tcp is covered by Indigo's own client and generator in codegen.rs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wcfs_metadata_exchange_client_reads_an_indigo_mex_endpoint() {
    use indigo::metadata::MexBinding;
    if !mono_installed() {
        return;
    }
    let host = calculator_over_net_tcp(
        ServiceMetadata::new()
            .with_mex_endpoint(MexBinding::Http, "http://127.0.0.1:0/calculator/mex"),
    )
    .await;
    let mex = host.mex_addresses().remove(0);
    let (report, exe) = proxy_from(
        &scratch("calculator-mex"),
        &["--mex".to_owned(), mex],
        "CalculatorCaller.cs",
    )
    .await;
    assert!(
        report.contains("MEX-SECTION http://schemas.xmlsoap.org/wsdl/ http://tempuri.org/"),
        "{report}"
    );
    assert!(
        report
            .lines()
            .any(|l| l == "CONTRACT ICalculatorSession session=Required"),
        "{report}"
    );
    let mut command = Command::new("mono");
    command.arg(&exe).arg(&host.addresses()[0]);
    let output = check("the generated proxy's calls", &run(command).await);
    assert!(output.lines().any(|l| l == "EQUALS 18"), "{output}");
    host.close().await.expect("close");
}
