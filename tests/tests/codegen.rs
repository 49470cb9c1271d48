//! Rust contracts generated from WSDL (issue 13): `indigo-codegen` turns the WSDL Indigo and
//! Mono publish into Rust, and the generated clients call those services.
//!
//! The generated code comes from WSDL fixtures (`tests/interop/metadata/fixtures/`, compiled
//! by this crate's build script into `indigo_tests::generated`); the first tests prove the
//! fixtures are what the services publish now (run with `INDIGO_BLESS=1` to refresh them),
//! so what the build generated is what a user would generate from the live `?wsdl`.

use indigo::metadata::ServiceMetadata;
use indigo::{BasicHttpBinding, NetTcpBinding, ServiceHost};
use indigo_examples::calculator::{Calculator, CalculatorSessionContract};
use indigo_tests::metadata::{check_fixtures, fixtures_dir, FetchedMetadata};
use indigo_tests::orders::{OrderService, OrdersContract};
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("codegen-{name}-{}", std::process::id()))
}

async fn orders_host() -> ServiceHost {
    ServiceHost::builder(OrdersContract::per_call(|| OrderService))
        .endpoint(BasicHttpBinding::new(), "http://127.0.0.1:0/orders")
        .endpoint(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/orders")
        .metadata(ServiceMetadata::new().with_service_name("OrderService"))
        .open()
        .await
        .expect("open")
}

async fn calculator_host() -> ServiceHost {
    ServiceHost::builder(CalculatorSessionContract::per_session(Calculator::default))
        .endpoint(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/calculator")
        .metadata(
            ServiceMetadata::new()
                .with_service_name("CalculatorService")
                .with_http_get_url("http://127.0.0.1:0/calculator"),
        )
        .open()
        .await
        .expect("open")
}

#[tokio::test]
async fn the_orders_fixture_is_what_indigo_publishes() {
    let host = orders_host().await;
    let fetched = FetchedMetadata::fetch(&host.addresses()[0], &scratch("orders")).await;
    check_fixtures(&fixtures_dir().join("orders"), &fetched.normalized_files());
    host.close().await.expect("close");
}

#[tokio::test]
async fn the_calculator_fixture_is_what_indigo_publishes() {
    let host = calculator_host().await;
    let base = host.metadata_address().expect("the metadata address");
    let fetched = FetchedMetadata::fetch(&base, &scratch("calculator")).await;
    check_fixtures(
        &fixtures_dir().join("calculator"),
        &fetched.normalized_files(),
    );
    host.close().await.expect("close");
}

/// The Mono service of `tests/interop/metadata/MonoMetaService.cs`.
mod mono {
    use std::io::{BufRead, BufReader};
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};
    use std::sync::OnceLock;

    pub struct MonoService {
        child: Child,
        pub http_base: String,
        pub tcp_address: String,
    }

    impl Drop for MonoService {
        fn drop(&mut self) {
            drop(self.child.stdin.take());
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// Whether Mono runs here; without it the caller skips, unless `INDIGO_REQUIRE_MONO`.
    pub fn installed() -> bool {
        let runs = |tool: &str| {
            Command::new(tool)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
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
            indigo_tests::report_skip(
                "mono/mcs are not installed: the Mono codegen test did not run",
            );
        }
        installed
    }

    fn exe() -> PathBuf {
        static EXE: OnceLock<PathBuf> = OnceLock::new();
        EXE.get_or_init(|| {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mono-meta-service");
            std::fs::create_dir_all(&dir).expect("a directory");
            let exe = dir.join("MonoMetaService.exe");
            let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("interop/metadata/MonoMetaService.cs");
            let output = Command::new("mcs")
                .args([
                    "-nologo",
                    "-r:System.ServiceModel.dll",
                    "-r:System.Runtime.Serialization.dll",
                ])
                .arg(&source)
                .arg(format!("-out:{}", exe.display()))
                .output()
                .expect("mcs runs");
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stdout)
            );
            exe
        })
        .clone()
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port()
    }

    pub fn start() -> MonoService {
        let http_base = format!("http://127.0.0.1:{}/svc", free_port());
        let tcp_address = format!("net.tcp://127.0.0.1:{}/svc", free_port());
        let mut child = Command::new("mono")
            .env("TZ", "UTC")
            .arg(exe())
            .args([&http_base, &tcp_address])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("mono starts");
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("READY");
        assert_eq!(line.trim(), "READY", "the Mono service did not start");
        MonoService {
            child,
            http_base,
            tcp_address,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mono_fixture_is_what_mono_publishes() {
    if !mono::installed() {
        return;
    }
    let service = tokio::task::spawn_blocking(mono::start)
        .await
        .expect("start");
    let fetched = FetchedMetadata::fetch(&service.http_base, &scratch("mono")).await;
    check_fixtures(&fixtures_dir().join("mono"), &fetched.normalized_files());
}
