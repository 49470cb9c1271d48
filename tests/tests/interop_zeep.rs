//! zeep (PyPI), a SOAP client from outside this project, calls an Indigo BasicHttpBinding
//! service over HTTPS with a WS-Security UsernameToken (`zeep.wsse.username`), WCF's
//! `TransportWithMessageCredential`: the right password is served as that user, a wrong one
//! gets WCF's fault. zeep reads the WSDL the Indigo host publishes (`?wsdl`, over HTTPS too).
//!
//! zeep also loads the Orders service's published WSDL and calls it over SOAP 1.1
//! (BasicHttpBinding) and SOAP 1.2 with WS-Addressing (WSHttpBinding), its data contracts and
//! typed faults included (issue 13).
//!
//! Needs a Python with zeep: `INDIGO_PYTHON` (CI installs it in its venv beside `wcf`). Without
//! one the test is skipped, unless `INDIGO_REQUIRE_ZEEP` is set.

use indigo::metadata::ServiceMetadata;
use indigo::security::{CallerIdentity, HttpSecurity};
use indigo::{BasicHttpBinding, OperationContext, ServiceHost, WsHttpBinding};
use indigo_tests::orders::{OrderService, OrdersContract};
use indigo_tests::pki::Pki;
use std::path::{Path, PathBuf};
use std::process::Command;

#[indigo::service_contract(namespace = "http://example.org/secure/")]
pub trait Whoami {
    #[operation]
    async fn whoami(&self) -> String;
}

struct WhoamiService;

impl Whoami for WhoamiService {
    async fn whoami(&self) -> String {
        OperationContext::with(|ctx| match ctx.caller_identity() {
            CallerIdentity::UserName(name) => format!("user {name}"),
            _ => "anonymous".to_owned(),
        })
        .unwrap_or_default()
    }
}

/// The interpreter that has zeep, or `None` (after saying why) when there is none.
fn python_with_zeep() -> Option<String> {
    let python = std::env::var("INDIGO_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let has = Command::new(&python)
        .args(["-c", "import zeep"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has {
        return Some(python);
    }
    assert!(
        std::env::var_os("INDIGO_REQUIRE_ZEEP").is_none(),
        "INDIGO_REQUIRE_ZEEP is set but {python} cannot import zeep"
    );
    indigo_tests::report_skip("no Python with zeep (set INDIGO_PYTHON)");
    None
}

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("interop")
        .join("zeep")
}

/// Runs a zeep script with `args`; its standard output, trimmed. Panics with zeep's output when
/// the script fails.
async fn run_zeep(python: &str, args: Vec<String>) -> String {
    let python = python.to_owned();
    let output = tokio::task::spawn_blocking(move || Command::new(python).args(args).output())
        .await
        .expect("the zeep run")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(
        output.status.success(),
        "zeep failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Runs the zeep client; its one output line.
async fn zeep_call(python: &str, address: &str, ca: &Path, user: &str, password: &str) -> String {
    let dir = interop_dir();
    let args = vec![
        dir.join("call_whoami.py").to_string_lossy().into_owned(),
        format!("{address}?wsdl"),
        address.to_owned(),
        ca.to_string_lossy().into_owned(),
        user.to_owned(),
        password.to_owned(),
    ];
    run_zeep(python, args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zeep_calls_an_indigo_https_service_with_a_username_token() {
    let Some(python) = python_with_zeep() else {
        return;
    };
    let pki = Pki::new("zeep CA");
    let security = HttpSecurity::transport_with_message_credential()
        .with_service_certificate(pki.issue("service", &["localhost"]))
        .with_user_name_validator(|user, password| match (user, password) {
            ("alice", "secret") => Ok(()),
            _ => Err("wrong user name or password".to_owned()),
        });
    let host = ServiceHost::builder(WhoamiContract::single(WhoamiService))
        .endpoint(
            BasicHttpBinding::new().with_security(security),
            "https://127.0.0.1:0/whoami",
        )
        .metadata(ServiceMetadata::new())
        .open()
        .await
        .unwrap();
    let address = host.addresses()[0].clone();
    let ca = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "zeep-ca-{}.pem",
        address
            .rsplit(':')
            .next()
            .unwrap_or("0")
            .replace("/whoami", "")
    ));
    std::fs::write(&ca, pki.root_pem()).expect("the CA file");

    let right = zeep_call(&python, &address, &ca, "alice", "secret").await;
    assert_eq!(right, "RESULT user alice");
    let wrong = zeep_call(&python, &address, &ca, "alice", "guess").await;
    assert!(
        wrong.starts_with(
            "FAULT At least one security token in the message could not be validated."
        ),
        "{wrong}"
    );
    host.close().await.unwrap();
}

/// Runs `call_orders.py` against the WSDL at `wsdl_url` through `port`; its output lines.
async fn zeep_orders(python: &str, wsdl_url: &str, port: &str) -> Vec<String> {
    let args = vec![
        interop_dir()
            .join("call_orders.py")
            .to_string_lossy()
            .into_owned(),
        wsdl_url.to_owned(),
        port.to_owned(),
    ];
    let stdout = run_zeep(python, args).await;
    stdout.lines().map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zeep_calls_an_indigo_service_from_its_published_wsdl() {
    let Some(python) = python_with_zeep() else {
        return;
    };
    let host = ServiceHost::builder(OrdersContract::per_call(|| OrderService))
        .endpoint(BasicHttpBinding::new(), "http://127.0.0.1:0/orders")
        .endpoint(WsHttpBinding::new(), "http://127.0.0.1:0/orders/ws")
        .metadata(ServiceMetadata::new().with_service_name("OrderService"))
        .open()
        .await
        .unwrap();
    let wsdl = format!("{}?wsdl", host.addresses()[0]);
    for port in ["BasicHttpBinding_Orders", "WSHttpBinding_Orders"] {
        let lines = zeep_orders(&python, &wsdl, port).await;
        // Reprice takes the discount off and adds one to the quantity; the rest comes back.
        assert_eq!(
            lines,
            [
                "REPRICE 7 3 from zeep GRN a,b",
                "RESERVE 3",
                "FAULT Reserve {urn:example:stock}OutOfStockFault ProductId=7",
                "FAULT Cancel {urn:example:stock}StoreClosed Until=Monday",
            ],
            "through {port}"
        );
    }
    host.close().await.unwrap();
}

#[indigo::service_contract(namespace = "http://example.org/blobs/")]
pub trait Blobs {
    /// `byte[] Reverse(byte[] data)`: base64 both ways.
    #[operation]
    async fn reverse(&self, data: Vec<u8>) -> Vec<u8>;
}

struct BlobService;

impl Blobs for BlobService {
    async fn reverse(&self, mut data: Vec<u8>) -> Vec<u8> {
        data.reverse();
        data
    }
}

/// A `byte[]` parameter and result travel as base64, as WCF sends them: zeep, reading the
/// published `xs:base64Binary`, sends base64 and reads the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zeep_sends_and_reads_byte_arrays_as_base64() {
    let Some(python) = python_with_zeep() else {
        return;
    };
    let host = ServiceHost::builder(BlobsContract::single(BlobService))
        .endpoint(BasicHttpBinding::new(), "http://127.0.0.1:0/blobs")
        .metadata(ServiceMetadata::new())
        .open()
        .await
        .unwrap();
    let args = vec![
        interop_dir()
            .join("call_blobs.py")
            .to_string_lossy()
            .into_owned(),
        format!("{}?wsdl", host.addresses()[0]),
    ];
    let stdout = run_zeep(&python, args).await;
    assert_eq!(stdout, "REVERSED fa030201");
    // And Indigo's own client, the same way.
    let client = BlobsClient::connect(&BasicHttpBinding::new(), &host.addresses()[0])
        .await
        .unwrap();
    assert_eq!(client.reverse(vec![1, 2, 3]).await.unwrap(), vec![3, 2, 1]);
    host.close().await.unwrap();
}
