//! Rust contracts generated from WSDL (issue 13): `indigo-codegen` turns the WSDL Indigo and
//! Mono publish into Rust, and the generated clients call those services.
//!
//! The generated code comes from WSDL fixtures (`tests/interop/metadata/fixtures/`, compiled
//! by this crate's build script into `indigo_tests::generated`); the first tests prove the
//! fixtures are what the services publish now (run with `INDIGO_BLESS=1` to refresh them),
//! so what the build generated is what a user would generate from the live `?wsdl`.

use indigo::metadata::ServiceMetadata;
use indigo::{BasicHttpBinding, NetTcpBinding, ServiceHost};
use indigo_tests::metadata::{
    calculator_over_net_tcp, check_fixtures, fixtures_dir, FetchedMetadata,
};
use indigo_tests::orders::{OrderService, OrdersContract};
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("codegen-{name}-{}", std::process::id()))
}

async fn orders_host() -> ServiceHost {
    orders_host_with(ServiceMetadata::new().with_service_name("OrderService")).await
}

/// The Orders service over BasicHttp and net.tcp, publishing `metadata`.
async fn orders_host_with(metadata: ServiceMetadata) -> ServiceHost {
    ServiceHost::builder(OrdersContract::per_call(|| OrderService))
        .endpoint(BasicHttpBinding::new(), "http://127.0.0.1:0/orders")
        .endpoint(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/orders")
        .metadata(metadata)
        .open()
        .await
        .expect("open")
}

/// Metadata as `service`, served at an address of its own (`url`).
fn published_at(service: &str, url: &str) -> ServiceMetadata {
    ServiceMetadata::new()
        .with_service_name(service)
        .with_http_get_url(url)
}

async fn calculator_host() -> ServiceHost {
    calculator_over_net_tcp(published_at(
        "CalculatorService",
        "http://127.0.0.1:0/calculator",
    ))
    .await
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

    /// Mono services take turns: several Mono runtimes JIT-compiling WCF at once on two
    /// cores starve each other (interop_mono.rs saw the same).
    pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
        static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        TURN.lock().await
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
        indigo_tests::metadata::mono_available("the Mono codegen test")
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

use indigo::{CallError, Error, Fault};
use indigo_tests::generated;
use indigo_tests::metadata::normalize_addresses;

/// A line of the generated Orders types: a circle in a known-types member, a collection
/// contract, an enum member renamed on the wire.
fn generated_line(product_id: i32, qty: u32) -> generated::orders::OrderLine {
    use generated::orders::*;
    OrderLine {
        product_id,
        qty,
        note: "generated".into(),
        colour: Colour::GRN,
        tags: vec!["a".into(), "b".into()],
        discount: 0.5,
        wrapping: AnyShape::Circle(Circle {
            base: Shape {
                label: "disc".into(),
            },
            radius: 1.5,
        }),
        parcels: Parcels(vec!["box".into()]),
        access: indigo::Flags::from(Access::Read) | Access::Write,
        ..OrderLine::default()
    }
}

async fn exercise_generated_orders(client: &generated::orders::OrdersClient) {
    use generated::orders::*;
    let line = generated_line(7, 2);
    let repriced = client.reprice(line.clone()).await.expect("reprice");
    assert_eq!(repriced.qty, 3, "the service adds one");
    assert_eq!(repriced.discount, 0.0, "and takes the discount off");
    assert_eq!(
        repriced.wrapping, line.wrapping,
        "a circle declared as a shape"
    );
    assert_eq!(repriced.parcels, line.parcels);
    assert_eq!(repriced.colour, Colour::GRN);
    assert_eq!(repriced.access, line.access);
    assert_eq!(client.reserve(line).await.expect("reserve"), 2);
    match client.reserve(generated_line(7, 11)).await {
        Err(CallError::Fault(fault)) => assert_eq!(fault.detail.product_id, 7),
        other => panic!("expected the OutOfStockFault detail, got {other:?}"),
    }
    match client.cancel(generated_line(0, 1)).await {
        Err(CallError::Fault(fault)) => match fault.detail {
            OrdersCancelFault::StoreClosed(closed) => assert_eq!(closed.until, "Monday"),
            other => panic!("expected StoreClosed, got {other:?}"),
        },
        other => panic!("expected a typed fault, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_generated_from_indigos_wsdl_calls_indigo_over_http_and_net_tcp() {
    use generated::orders::{endpoints, OrdersClient};
    let host = orders_host().await;
    let addresses = host.addresses();
    let http = OrdersClient::connect(&endpoints::basic_http_binding_orders(), &addresses[0])
        .await
        .expect("connect over HTTP");
    exercise_generated_orders(&http).await;
    let tcp = OrdersClient::connect(&endpoints::net_tcp_binding_orders(), &addresses[1])
        .await
        .expect("connect over net.tcp");
    exercise_generated_orders(&tcp).await;
    host.close().await.expect("close");
}

/// Hosts the generated Orders contract, as the hand-written service behaves.
struct GeneratedOrders;

impl generated::orders::Orders for GeneratedOrders {
    async fn reprice(&self, line: generated::orders::OrderLine) -> generated::orders::OrderLine {
        generated::orders::OrderLine {
            discount: 0.0,
            qty: line.qty + 1,
            ..line
        }
    }

    async fn reserve(
        &self,
        line: generated::orders::OrderLine,
    ) -> Result<u32, Fault<generated::orders::OutOfStock>> {
        if line.qty > 10 {
            return Err(Fault::new(
                "out of stock",
                generated::orders::OutOfStock {
                    product_id: line.product_id,
                },
            ));
        }
        Ok(line.qty)
    }

    async fn cancel(
        &self,
        line: generated::orders::OrderLine,
    ) -> Result<(), Fault<generated::orders::OrdersCancelFault>> {
        if line.product_id == 0 {
            return Err(Fault::new(
                "closed",
                generated::orders::OrdersCancelFault::StoreClosed(generated::orders::StoreClosed {
                    until: "Monday".into(),
                }),
            ));
        }
        Ok(())
    }
}

/// Documents compared for equivalence: each schema named by its target namespace instead of
/// its number (`xsdN` is the order namespaces were first met in, which the Rust field types
/// may change), and each run of schema imports in namespace order.
fn equivalent(files: &[(String, String)]) -> std::collections::BTreeMap<String, String> {
    let namespace_of = |text: &str| {
        text.split("targetNamespace=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned()
    };
    let renames: Vec<(String, String)> = files
        .iter()
        .filter(|(name, _)| name.ends_with(".xsd"))
        .map(|(name, text)| (name.clone(), format!("schema[{}]", namespace_of(text))))
        .collect();
    files
        .iter()
        .map(|(name, text)| {
            let mut text = text.clone();
            // Longest names first: xsd10.xsd before xsd1.xsd.
            let mut ordered = renames.clone();
            ordered.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
            for (from, to) in &ordered {
                text = text.replace(&format!("\"{from}\""), &format!("\"{to}\""));
            }
            let mut lines: Vec<String> = Vec::new();
            let mut imports: Vec<String> = Vec::new();
            for line in text.lines() {
                if line.trim_start().starts_with("<xsd:import ")
                    || line.trim_start().starts_with("<xs:import ")
                {
                    imports.push(line.to_owned());
                    continue;
                }
                imports.sort();
                lines.append(&mut imports);
                lines.push(line.to_owned());
            }
            imports.sort();
            lines.append(&mut imports);
            let key = renames
                .iter()
                .find(|(from, _)| from == name)
                .map_or_else(|| name.clone(), |(_, to)| to.clone());
            (key, lines.join("\n"))
        })
        .collect()
}

/// Fails when `files` are not equivalent to the fixture folder `dir` (never rewrites it).
fn assert_same_documents(dir: &Path, files: &[(String, String)]) {
    let originals = indigo_tests::metadata::read_folder(dir);
    let (original, again) = (equivalent(&originals), equivalent(files));
    assert_eq!(
        original.keys().collect::<Vec<_>>(),
        again.keys().collect::<Vec<_>>(),
        "other documents after the round trip"
    );
    for (name, text) in &original {
        assert_eq!(text, &again[name], "{name} differs after the round trip");
    }
}

/// Export -> import -> export: the contract generated from Indigo's WSDL, hosted, publishes
/// the very documents it was generated from.
#[tokio::test]
async fn the_generated_orders_contract_publishes_the_wsdl_it_came_from() {
    let host = ServiceHost::builder(generated::orders::OrdersContract::single(GeneratedOrders))
        .endpoint(BasicHttpBinding::new(), "http://127.0.0.1:0/orders")
        .endpoint(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/orders")
        .metadata(ServiceMetadata::new().with_service_name("OrderService"))
        .open()
        .await
        .expect("open");
    let fetched = FetchedMetadata::fetch(&host.addresses()[0], &scratch("orders-again")).await;
    assert_same_documents(&fixtures_dir().join("orders"), &fetched.normalized_files());
    // And it serves the generated client as the original did.
    let client =
        generated::orders::OrdersClient::connect(&BasicHttpBinding::new(), &host.addresses()[0])
            .await
            .expect("connect");
    exercise_generated_orders(&client).await;
    host.close().await.expect("close");
}

/// The calculator session, hosted from the generated contract (`&self`, so its state is in a
/// mutex).
#[derive(Default)]
struct GeneratedCalculator {
    value: std::sync::Mutex<f64>,
}

impl GeneratedCalculator {
    fn apply(&self, f: impl FnOnce(f64) -> f64) {
        let mut value = self.value.lock().expect("not poisoned");
        *value = f(*value);
    }
}

impl generated::calculator::ICalculatorSession for GeneratedCalculator {
    async fn clear(&self) {
        self.apply(|_| 0.0);
    }
    async fn add_to(&self, n: f64) {
        self.apply(|v| v + n);
    }
    async fn subtract_from(&self, n: f64) {
        self.apply(|v| v - n);
    }
    async fn multiply_by(&self, n: f64) {
        self.apply(|v| v * n);
    }
    async fn divide_by(&self, n: f64) {
        self.apply(|v| v / n);
    }
    async fn equals(&self) -> f64 {
        *self.value.lock().expect("not poisoned")
    }
}

/// The session contract keeps its session, one-way, initiating and terminating operations
/// through the WSDL: the generated typestate client drives the hand-written calculator, and
/// the generated contract, hosted, publishes the same WSDL again.
#[tokio::test]
async fn a_generated_session_contract_keeps_its_session_rules() {
    use generated::calculator::{endpoints, ICalculatorSessionClient, ICalculatorSessionContract};
    let host = calculator_host().await;
    let client = ICalculatorSessionClient::connect(
        &endpoints::net_tcp_binding_i_calculator_session(),
        &host.addresses()[0],
    )
    .await
    .expect("connect");
    // `clear` starts the session (the typestate client allows nothing else first); the
    // one-way calls follow; `equals` ends it.
    let session = client.clear().await.expect("clear");
    session.add_to(5.0).await.expect("add");
    session.multiply_by(4.0).await.expect("multiply");
    session.subtract_from(2.0).await.expect("subtract");
    assert_eq!(session.equals().await.expect("equals"), 18.0);
    host.close().await.expect("close");

    let host = ServiceHost::builder(ICalculatorSessionContract::per_session(
        GeneratedCalculator::default,
    ))
    .endpoint(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/calculator")
    .metadata(published_at(
        "CalculatorService",
        "http://127.0.0.1:0/calculator",
    ))
    .open()
    .await
    .expect("open");
    let base = host.metadata_address().expect("the metadata address");
    let fetched = FetchedMetadata::fetch(&base, &scratch("calculator-again")).await;
    assert_same_documents(
        &fixtures_dir().join("calculator"),
        &fetched.normalized_files(),
    );
    host.close().await.expect("close");
}

/// The code generated from a live `?wsdl` URL is the code the build generated from the
/// fixture, but for the addresses and the source lines.
fn comparable(code: &str) -> String {
    normalize_addresses(code)
        .lines()
        .filter(|line| !line.starts_with("// Source:") && !line.starts_with("// Warning:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Mono's WSDL into Indigo's generator: the client generated from what a Mono WCF service
/// publishes (no session flags, no faults, an import of XML Schema from an HTML page) calls
/// that service over net.tcp and HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_generated_from_monos_wsdl_calls_the_mono_service() {
    use generated::mono_probe::*;
    if !mono::installed() {
        return;
    }
    let _turn = mono::one_at_a_time().await;
    let service = tokio::task::spawn_blocking(mono::start)
        .await
        .expect("start");
    let url = format!("{}?wsdl", service.http_base);
    let live = tokio::task::spawn_blocking(move || indigo_codegen_from(&url))
        .await
        .expect("the generator's thread");
    let built = include_str!(concat!(env!("OUT_DIR"), "/mono_probe.rs"));
    assert_eq!(
        comparable(&live.code),
        comparable(built),
        "the live WSDL generates other code"
    );
    assert!(
        live.warnings
            .iter()
            .any(|w| w.contains("skipped the import of XML Schema's own namespace")),
        "Mono's broken import is reported: {:?}",
        live.warnings
    );
    assert!(live
        .notes
        .iter()
        .any(|n| n.contains("IOrderSession states no session flags")));

    let session = IOrderSessionClient::connect(
        &endpoints::net_tcp_binding_i_order_session(),
        &service.tcp_address,
    )
    .await
    .expect("connect over net.tcp");
    let line = |sku: &str, quantity: i32, price: &str| OrderLine {
        sku: sku.into(),
        quantity,
        unit_price: price.parse().expect("a decimal"),
    };
    session.begin("ada".into()).await.expect("begin (one-way)");
    assert_eq!(
        session.add_line(line("tea", 2, "1.50")).await.expect("add"),
        1
    );
    assert_eq!(
        session
            .add_line(line("cake", 1, "3.25"))
            .await
            .expect("add"),
        2
    );
    let order = session.peek().await.expect("peek");
    assert_eq!(order.customer, "ada");
    assert_eq!(order.lines.len(), 2);
    assert_eq!(order.lines[1].sku, "cake");
    assert_eq!(order.status, OrderStatus::Placed);
    assert_eq!(order.total, "6.25".parse().expect("a decimal"));
    match session.fail("no reason".into()).await {
        Err(Error::Fault(fault)) => assert!(fault.reason.contains("no reason"), "{fault:?}"),
        other => panic!("expected the service's fault, got {other:?}"),
    }
    assert_eq!(
        session.submit().await.expect("submit"),
        "6.25".parse().expect("a decimal")
    );

    let quote = IQuoteClient::connect(
        &endpoints::basic_http_binding_i_quote(),
        &format!("{}/basic", service.http_base),
    )
    .await
    .expect("connect over HTTP");
    assert_eq!(
        quote.quote(line("tea", 4, "1.25")).await.expect("quote"),
        "5.00".parse().expect("a decimal")
    );
}

fn indigo_codegen_from(url: &str) -> indigo_codegen::Generated {
    indigo_codegen::Generator::new()
        .wsdl(url)
        .generate()
        .expect("generate from the live WSDL")
}

/// What the build generated is formatted as rustfmt formats it (and, being compiled into this
/// crate, builds without warnings under the workspace's lints and clippy in CI).
#[test]
fn the_generated_code_is_rustfmt_formatted() {
    let rustfmt_runs = std::process::Command::new("rustfmt")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !rustfmt_runs {
        indigo_tests::report_skip("rustfmt is not installed");
        return;
    }
    let dir = scratch("rustfmt");
    std::fs::create_dir_all(&dir).expect("a directory");
    for (name, code) in [
        (
            "orders.rs",
            include_str!(concat!(env!("OUT_DIR"), "/orders.rs")),
        ),
        (
            "calculator.rs",
            include_str!(concat!(env!("OUT_DIR"), "/calculator.rs")),
        ),
        (
            "mono_probe.rs",
            include_str!(concat!(env!("OUT_DIR"), "/mono_probe.rs")),
        ),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, code).expect("write");
        let output = std::process::Command::new("rustfmt")
            .args(["--edition", "2021", "--check"])
            .arg(&file)
            .output()
            .expect("rustfmt runs");
        assert!(
            output.status.success(),
            "{name} is not rustfmt-formatted:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}

/// The generator asks a MEX endpoint (net.tcp and HTTP) for the documents and generates the
/// same code as from the `?wsdl` documents.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generator_reads_a_mex_endpoint() {
    use indigo::metadata::MexBinding;
    let host = orders_host_with(
        ServiceMetadata::new()
            .with_service_name("OrderService")
            .with_mex_endpoint(MexBinding::Tcp, "net.tcp://127.0.0.1:0/orders/mex")
            .with_mex_endpoint(MexBinding::Http, "http://127.0.0.1:0/orders/mex"),
    )
    .await;
    let built = include_str!(concat!(env!("OUT_DIR"), "/orders.rs"));
    for address in host.mex_addresses() {
        let generated = tokio::task::spawn_blocking(move || {
            indigo_codegen::Generator::new().mex(address).generate()
        })
        .await
        .expect("the generator's thread")
        .expect("generate from MEX");
        assert_eq!(comparable(&generated.code), comparable(built));
    }
    host.close().await.expect("close");
}

/// What the ticker service calls on its subscribers.
#[indigo::service_contract(namespace = "http://example.org/stocks/")]
pub trait TickerCallback {
    #[operation(one_way)]
    async fn price(&mut self, symbol: String, price: f64);

    #[operation]
    async fn sell(&self, symbol: String, price: f64) -> bool;
}

/// A duplex contract: its callbacks travel in its WSDL's port type.
#[indigo::service_contract(
    namespace = "http://example.org/stocks/",
    session = Required,
    callback = TickerCallback
)]
pub trait Ticker {
    #[operation]
    async fn subscribe(&mut self, symbol: String, limit: f64) -> String;

    #[operation(terminating)]
    async fn leave(&mut self);
}

struct TickerService;

impl Ticker for TickerService {
    async fn subscribe(&mut self, symbol: String, limit: f64) -> String {
        let Ok(callback) = TickerContract::callback() else {
            return "no callback".into();
        };
        let _ = callback.price(symbol.clone(), limit - 1.0).await;
        let sold = callback.sell(symbol.clone(), limit + 1.0).await;
        format!("{symbol} sold={}", sold.unwrap_or(false))
    }

    async fn leave(&mut self) {}
}

async fn ticker_host() -> ServiceHost {
    ServiceHost::builder(TickerContract::per_session(|| TickerService))
        .endpoint(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/ticker")
        .metadata(published_at("TickerService", "http://127.0.0.1:0/ticker"))
        .open()
        .await
        .expect("open")
}

#[tokio::test]
async fn the_ticker_fixture_is_what_indigo_publishes() {
    let host = ticker_host().await;
    let base = host.metadata_address().expect("the metadata address");
    let fetched = FetchedMetadata::fetch(&base, &scratch("ticker")).await;
    // The callbacks are operations the service starts: an output, then for a request-reply
    // callback its input.
    let contract = fetched
        .contract
        .as_deref()
        .expect("the contract's document");
    assert!(
        contract.contains(r#"<wsdl:output wsaw:Action="http://example.org/stocks/TickerCallback/Price" message="tns:Ticker_Price_OutputCallbackMessage"/>"#),
        "{contract}"
    );
    assert!(contract.contains(
        r#"<wsdl:input wsaw:Action="http://example.org/stocks/TickerCallback/SellResponse" message="tns:Ticker_Sell_InputCallbackMessage"/>"#
    ));
    if indigo_tests::metadata::xmllint_available() {
        indigo_tests::metadata::validate_wsdl(&fetched.dir.join("wsdl0.wsdl"));
        indigo_tests::metadata::validate_wsdl(&fetched.dir.join("main.wsdl"));
    }
    check_fixtures(&fixtures_dir().join("ticker"), &fetched.normalized_files());
    host.close().await.expect("close");
}

/// The generated callback contract's implementation, counting what the service called.
#[derive(Default)]
struct Watcher {
    prices: std::sync::atomic::AtomicU32,
}

impl generated::ticker::TickerCallback for Watcher {
    async fn price(&self, _symbol: String, _price: f64) {
        self.prices
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    async fn sell(&self, symbol: String, price: f64) -> bool {
        symbol == "ACME" && price > 100.0
    }
}

/// A duplex contract through its WSDL: the generated client, with the generated callback
/// contract implemented, subscribes to the hand-written ticker and answers its callbacks.
#[tokio::test]
async fn a_generated_duplex_client_answers_the_services_callbacks() {
    use generated::ticker::{endpoints, TickerClient};
    let host = ticker_host().await;
    let client = TickerClient::connect_with_callback(
        &endpoints::net_tcp_binding_ticker(),
        &host.addresses()[0],
        Watcher::default(),
    )
    .await
    .expect("connect");
    let (session, answer) = client
        .subscribe("ACME".into(), 100.0)
        .await
        .expect("subscribe");
    assert_eq!(
        answer, "ACME sold=true",
        "the callback's answer reached the service"
    );
    session.leave().await.expect("leave");
    host.close().await.expect("close");
}

struct GeneratedTicker;

impl generated::ticker::Ticker for GeneratedTicker {
    async fn subscribe(&self, symbol: String, _limit: f64) -> String {
        symbol
    }

    async fn leave(&self) {}
}

/// The generated duplex contract, hosted, publishes the documents it came from, callbacks
/// included.
#[tokio::test]
async fn the_generated_duplex_contract_publishes_the_wsdl_it_came_from() {
    let host = ServiceHost::builder(generated::ticker::TickerContract::per_session(|| {
        GeneratedTicker
    }))
    .endpoint(NetTcpBinding::new(), "net.tcp://127.0.0.1:0/ticker")
    .metadata(published_at("TickerService", "http://127.0.0.1:0/ticker"))
    .open()
    .await
    .expect("open");
    let base = host.metadata_address().expect("the metadata address");
    let fetched = FetchedMetadata::fetch(&base, &scratch("ticker-again")).await;
    assert_same_documents(&fixtures_dir().join("ticker"), &fetched.normalized_files());
    host.close().await.expect("close");
}
