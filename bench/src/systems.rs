//! The systems under test: a server started on the server runtime, and callers (one
//! connection or session each) made on the client runtime.

use futures::StreamExt;
use indigo::{CustomBinding, NetTcpBinding, WsHttpBinding};
use std::future::Future;
use std::net::SocketAddr;
use tarpc::server::Channel;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// One connection (or session) that can make echo calls one after another.
pub trait Caller: Send + 'static {
    /// Sends `payload` and waits for its echo.
    fn call(&mut self, payload: &str) -> impl Future<Output = Result<(), String>> + Send;
}

/// Which system a row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    Raw,
    Tarpc,
    /// tonic (gRPC over HTTP/2), a unary echo.
    Tonic,
    NetTcp,
    NetTcpRm,
    /// SOAP 1.2 text over net.tcp: opt-in, to compare the binary encoding with text on the
    /// same transport.
    NetTcpText,
    /// NetTcpBinding with transport security (TLS, a service certificate): opt-in, to set the
    /// cost of TLS beside plain net.tcp.
    NetTcpTls,
    WsHttp,
    WsHttpRm,
}

impl System {
    pub const ALL: [System; 7] = [
        System::Raw,
        System::Tarpc,
        System::Tonic,
        System::NetTcp,
        System::NetTcpRm,
        System::WsHttp,
        System::WsHttpRm,
    ];

    /// Every system `--systems` accepts: [`ALL`](Self::ALL) and the opt-in ones.
    pub const KNOWN: [System; 9] = [
        System::Raw,
        System::Tarpc,
        System::Tonic,
        System::NetTcp,
        System::NetTcpRm,
        System::NetTcpText,
        System::NetTcpTls,
        System::WsHttp,
        System::WsHttpRm,
    ];

    pub fn label(self) -> &'static str {
        match self {
            System::Raw => "raw tokio TCP echo (floor)",
            System::Tarpc => "tarpc 0.38, bincode/TCP",
            System::Tonic => "tonic 0.14, gRPC unary (protobuf over HTTP/2)",
            System::NetTcp => "Indigo NetTcpBinding",
            System::NetTcpRm => "Indigo NetTcpBinding + reliable session",
            System::NetTcpText => "Indigo CustomBinding::tcp_text() (SOAP text over net.tcp)",
            System::NetTcpTls => "Indigo NetTcpBinding + transport security (TLS)",
            System::WsHttp => "Indigo WsHttpBinding",
            System::WsHttpRm => "Indigo WsHttpBinding + reliable session",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            System::Raw => "raw",
            System::Tarpc => "tarpc",
            System::Tonic => "tonic",
            System::NetTcp => "nettcp",
            System::NetTcpRm => "nettcp-rm",
            System::NetTcpText => "nettcp-text",
            System::NetTcpTls => "nettcp-tls",
            System::WsHttp => "wshttp",
            System::WsHttpRm => "wshttp-rm",
        }
    }

    pub fn is_indigo(self) -> bool {
        !matches!(self, System::Raw | System::Tarpc | System::Tonic)
    }
}

/// A running server: where to reach it, and how to stop it.
#[derive(Debug)]
pub struct Server {
    pub address: String,
    stop: Option<oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Stops the server and waits until it has closed.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

/// Starts `system`'s server on the runtime behind `server_rt`.
pub async fn start(system: System, server_rt: &tokio::runtime::Handle) -> Result<Server, String> {
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let (addr_tx, addr_rx) = oneshot::channel::<Result<String, String>>();
    let done = server_rt.spawn(async move {
        match system {
            System::Raw => raw::serve(addr_tx, stop_rx).await,
            System::Tarpc => tarpc_echo::serve(addr_tx, stop_rx).await,
            System::Tonic => tonic_echo::serve(addr_tx, stop_rx).await,
            System::NetTcp => {
                indigo_echo::serve(
                    NetTcpBinding::new(),
                    indigo_echo::NET_TCP_ADDRESS,
                    addr_tx,
                    stop_rx,
                )
                .await
            }
            System::NetTcpRm => {
                indigo_echo::serve(
                    NetTcpBinding::new().with_reliable_session(),
                    indigo_echo::NET_TCP_ADDRESS,
                    addr_tx,
                    stop_rx,
                )
                .await
            }
            System::NetTcpText => {
                indigo_echo::serve(
                    CustomBinding::tcp_text(),
                    indigo_echo::NET_TCP_ADDRESS,
                    addr_tx,
                    stop_rx,
                )
                .await
            }
            System::NetTcpTls => {
                indigo_echo::serve(
                    indigo_echo::tls_binding(true),
                    indigo_echo::NET_TCP_ADDRESS,
                    addr_tx,
                    stop_rx,
                )
                .await
            }
            System::WsHttp => {
                indigo_echo::serve(
                    WsHttpBinding::new(),
                    indigo_echo::WS_HTTP_ADDRESS,
                    addr_tx,
                    stop_rx,
                )
                .await
            }
            System::WsHttpRm => {
                indigo_echo::serve(
                    WsHttpBinding::new().with_reliable_session(),
                    indigo_echo::WS_HTTP_ADDRESS,
                    addr_tx,
                    stop_rx,
                )
                .await
            }
        }
    });
    let address = addr_rx
        .await
        .map_err(|_| "the server task ended before it reported an address".to_owned())??;
    Ok(Server {
        address,
        stop: Some(stop_tx),
        done: Some(done),
    })
}

/// Runs an accept loop until `stop` fires, handing each accepted (NODELAY) stream to `serve`.
async fn accept_loop<F, Fut>(listener: TcpListener, mut stop: oneshot::Receiver<()>, serve: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                connections.spawn(serve(stream));
            }
        }
    }
    connections.shutdown().await;
}

async fn bind() -> Result<(TcpListener, SocketAddr), String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("local_addr: {e}"))?;
    Ok((listener, addr))
}

async fn connect_tcp(address: &str) -> Result<TcpStream, String> {
    let stream = TcpStream::connect(address)
        .await
        .map_err(|e| format!("connect {address}: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("nodelay: {e}"))?;
    Ok(stream)
}

/// The floor: frames of a 4-byte big-endian length and that many bytes, echoed back.
pub mod raw {
    use super::*;

    pub async fn serve(
        addr_tx: oneshot::Sender<Result<String, String>>,
        stop: oneshot::Receiver<()>,
    ) {
        let (listener, addr) = match bind().await {
            Ok(bound) => bound,
            Err(e) => {
                let _ = addr_tx.send(Err(e));
                return;
            }
        };
        let _ = addr_tx.send(Ok(addr.to_string()));
        accept_loop(listener, stop, |stream| async move {
            let _ = echo_connection(stream).await;
        })
        .await;
    }

    async fn echo_connection(mut stream: TcpStream) -> std::io::Result<()> {
        let mut frame = Vec::with_capacity(1024);
        loop {
            let mut len = [0u8; 4];
            if stream.read_exact(&mut len).await.is_err() {
                return Ok(());
            }
            let n = u32::from_be_bytes(len) as usize;
            frame.clear();
            frame.extend_from_slice(&len);
            frame.resize(4 + n, 0);
            stream.read_exact(&mut frame[4..]).await?;
            stream.write_all(&frame).await?;
        }
    }

    #[derive(Debug)]
    pub struct RawCaller {
        stream: TcpStream,
        frame: Vec<u8>,
    }

    pub async fn connect(address: &str) -> Result<RawCaller, String> {
        Ok(RawCaller {
            stream: connect_tcp(address).await?,
            frame: Vec::with_capacity(1024),
        })
    }

    impl Caller for RawCaller {
        async fn call(&mut self, payload: &str) -> Result<(), String> {
            let err = |e: std::io::Error| e.to_string();
            self.frame.clear();
            self.frame
                .extend_from_slice(&(payload.len() as u32).to_be_bytes());
            self.frame.extend_from_slice(payload.as_bytes());
            self.stream.write_all(&self.frame).await.map_err(err)?;
            let mut len = [0u8; 4];
            self.stream.read_exact(&mut len).await.map_err(err)?;
            let n = u32::from_be_bytes(len) as usize;
            self.frame.resize(n, 0);
            self.stream
                .read_exact(&mut self.frame[..n])
                .await
                .map_err(err)?;
            if n != payload.len() {
                return Err(format!("echo of {} bytes came back as {n}", payload.len()));
            }
            Ok(())
        }
    }
}

/// tarpc over TCP with its length-delimited framing and bincode, NODELAY on both ends.
pub mod tarpc_echo {
    use super::*;
    use tarpc::tokio_serde::formats::Bincode;

    #[tarpc::service]
    pub trait EchoRpc {
        async fn echo(text: String) -> String;
    }

    #[derive(Clone, Debug)]
    struct EchoRpcServer;

    impl EchoRpc for EchoRpcServer {
        async fn echo(self, _: tarpc::context::Context, text: String) -> String {
            text
        }
    }

    pub async fn serve(
        addr_tx: oneshot::Sender<Result<String, String>>,
        stop: oneshot::Receiver<()>,
    ) {
        let (listener, addr) = match bind().await {
            Ok(bound) => bound,
            Err(e) => {
                let _ = addr_tx.send(Err(e));
                return;
            }
        };
        let _ = addr_tx.send(Ok(addr.to_string()));
        accept_loop(listener, stop, |stream| async move {
            let transport = tarpc::serde_transport::Transport::from((stream, Bincode::default()));
            tarpc::server::BaseChannel::with_defaults(transport)
                .execute(EchoRpcServer.serve())
                .for_each(|response| async move {
                    tokio::spawn(response);
                })
                .await;
        })
        .await;
    }

    #[derive(Debug)]
    pub struct TarpcCaller {
        client: EchoRpcClient,
    }

    pub async fn connect(address: &str) -> Result<TarpcCaller, String> {
        let stream = connect_tcp(address).await?;
        let transport = tarpc::serde_transport::Transport::from((stream, Bincode::default()));
        let client = EchoRpcClient::new(tarpc::client::Config::default(), transport).spawn();
        Ok(TarpcCaller { client })
    }

    impl Caller for TarpcCaller {
        async fn call(&mut self, payload: &str) -> Result<(), String> {
            let reply = self
                .client
                .echo(tarpc::context::current(), payload.to_owned())
                .await
                .map_err(|e| e.to_string())?;
            if reply.len() != payload.len() {
                return Err("wrong echo".to_owned());
            }
            Ok(())
        }
    }
}

/// tonic: a unary gRPC echo. The service is written out as tonic's generated code would be
/// (a `Service` routing one path to a `UnaryService`), since the message is declared by hand.
pub mod tonic_echo {
    use super::*;
    use std::convert::Infallible;
    use std::task::{Context, Poll};
    use tonic::codegen::{http, Body, BoxFuture, Service, StdError};
    use tonic::server::{Grpc, NamedService, UnaryService};

    const PATH: &str = "/bench.Echo/Echo";

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Text {
        #[prost(string, tag = "1")]
        pub text: String,
    }

    #[derive(Clone, Debug, Default)]
    struct EchoService;

    struct EchoCall;

    impl UnaryService<Text> for EchoCall {
        type Response = Text;
        type Future = BoxFuture<tonic::Response<Text>, tonic::Status>;
        fn call(&mut self, request: tonic::Request<Text>) -> Self::Future {
            Box::pin(async move { Ok(tonic::Response::new(request.into_inner())) })
        }
    }

    impl<B> Service<http::Request<B>> for EchoService
    where
        B: Body + Send + 'static,
        B::Error: Into<StdError> + Send + 'static,
    {
        type Response = http::Response<tonic::body::Body>;
        type Error = Infallible;
        type Future = BoxFuture<Self::Response, Self::Error>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: http::Request<B>) -> Self::Future {
            Box::pin(async move {
                if request.uri().path() != PATH {
                    return Ok(tonic::Status::unimplemented("no such method").into_http());
                }
                let mut grpc = Grpc::new(tonic_prost::ProstCodec::<Text, Text>::default());
                Ok(grpc.unary(EchoCall, request).await)
            })
        }
    }

    impl NamedService for EchoService {
        const NAME: &'static str = "bench.Echo";
    }

    pub async fn serve(
        addr_tx: oneshot::Sender<Result<String, String>>,
        stop: oneshot::Receiver<()>,
    ) {
        let (listener, addr) = match bind().await {
            Ok(bound) => bound,
            Err(e) => {
                let _ = addr_tx.send(Err(e));
                return;
            }
        };
        let _ = addr_tx.send(Ok(addr.to_string()));
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        let served = tonic::transport::Server::builder()
            .tcp_nodelay(true)
            .add_service(EchoService)
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stop.await;
            })
            .await;
        if let Err(e) = served {
            eprintln!("tonic server: {e}");
        }
    }

    #[derive(Debug)]
    pub struct TonicCaller {
        client: tonic::client::Grpc<tonic::transport::Channel>,
    }

    pub async fn connect(address: &str) -> Result<TonicCaller, String> {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
            .map_err(|e| e.to_string())?
            .tcp_nodelay(true)
            .connect()
            .await
            .map_err(|e| format!("connect {address}: {e}"))?;
        Ok(TonicCaller {
            client: tonic::client::Grpc::new(channel),
        })
    }

    impl Caller for TonicCaller {
        async fn call(&mut self, payload: &str) -> Result<(), String> {
            self.client.ready().await.map_err(|e| e.to_string())?;
            let reply: tonic::Response<Text> = self
                .client
                .unary(
                    tonic::Request::new(Text {
                        text: payload.to_owned(),
                    }),
                    http::uri::PathAndQuery::from_static(PATH),
                    tonic_prost::ProstCodec::default(),
                )
                .await
                .map_err(|e| e.to_string())?;
            if reply.into_inner().text.len() != payload.len() {
                return Err("wrong echo".to_owned());
            }
            Ok(())
        }
    }
}

/// Indigo: one echo contract with a `&self` operation, hosted by `ServiceHost` as a singleton.
pub mod indigo_echo {
    use super::*;
    use indigo::{ServiceHost, ServiceThrottle};

    #[indigo::service_contract(name = "IEcho", namespace = "http://example.org/bench/")]
    pub trait Echo {
        #[operation]
        async fn echo(&self, text: String) -> String;
    }

    #[derive(Debug, Default)]
    pub struct EchoService;

    impl Echo for EchoService {
        async fn echo(&self, text: String) -> String {
            text
        }
    }

    /// Generous limits so the host's throttle never holds back 64 concurrent sessions (the
    /// defaults are 16 calls and 100 sessions per processor).
    pub const THROTTLE: ServiceThrottle = ServiceThrottle {
        max_concurrent_calls: 4096,
        max_concurrent_sessions: 4096,
        max_concurrent_instances: 8192,
    };

    pub const NET_TCP_ADDRESS: &str = "net.tcp://127.0.0.1:0/echo";
    pub const WS_HTTP_ADDRESS: &str = "http://127.0.0.1:0/echo";

    pub async fn serve<B>(
        binding: B,
        address: &str,
        addr_tx: oneshot::Sender<Result<String, String>>,
        stop: oneshot::Receiver<()>,
    ) where
        B: indigo::Binding,
        EchoContract: indigo::binding::CarriedBy<B>,
    {
        let opened = ServiceHost::builder(EchoContract::single(EchoService))
            .endpoint(binding, address)
            .throttle(THROTTLE)
            .open()
            .await;
        let host = match opened {
            Ok(host) => host,
            Err(e) => {
                let _ = addr_tx.send(Err(format!("open the host: {e}")));
                return;
            }
        };
        let address = host.addresses().remove(0);
        let _ = addr_tx.send(Ok(address));
        let _ = stop.await;
        host.abort();
    }

    /// A self-signed certificate for 127.0.0.1, made once per run.
    fn certificate() -> &'static indigo::security::Certificate {
        static CERTIFICATE: std::sync::OnceLock<indigo::security::Certificate> =
            std::sync::OnceLock::new();
        CERTIFICATE.get_or_init(|| {
            let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
                .expect("a certificate");
            indigo::security::Certificate::from_pem(
                &made.cert.pem(),
                &made.key_pair.serialize_pem(),
            )
            .expect("PEM")
        })
    }

    /// NetTcpBinding with TLS: the service presents the certificate, the client trusts it.
    pub fn tls_binding(service: bool) -> NetTcpBinding {
        use indigo::security::{CertificateValidation, TcpClientCredentialType, TcpSecurity};
        let security = TcpSecurity::transport(TcpClientCredentialType::None);
        let security = if service {
            security.with_service_certificate(certificate().clone())
        } else {
            security.with_service_certificate_validation(CertificateValidation::PeerTrust(vec![
                certificate().info().der,
            ]))
        };
        NetTcpBinding::new().with_security(security)
    }

    #[derive(Debug)]
    pub struct IndigoCaller {
        client: EchoClient,
    }

    pub async fn connect(system: System, address: &str) -> Result<IndigoCaller, String> {
        let client = match system {
            System::NetTcp => EchoClient::connect(&NetTcpBinding::new(), address).await,
            System::NetTcpRm => {
                EchoClient::connect(&NetTcpBinding::new().with_reliable_session(), address).await
            }
            System::NetTcpText => EchoClient::connect(&CustomBinding::tcp_text(), address).await,
            System::NetTcpTls => EchoClient::connect(&tls_binding(false), address).await,
            System::WsHttp => EchoClient::connect(&WsHttpBinding::new(), address).await,
            System::WsHttpRm => {
                EchoClient::connect(&WsHttpBinding::new().with_reliable_session(), address).await
            }
            _ => unreachable!("not an Indigo system"),
        }
        .map_err(|e| format!("connect {address}: {e}"))?;
        Ok(IndigoCaller { client })
    }

    impl Caller for IndigoCaller {
        async fn call(&mut self, payload: &str) -> Result<(), String> {
            let reply = self
                .client
                .echo(payload.to_owned())
                .await
                .map_err(|e| e.to_string())?;
            if reply.len() != payload.len() {
                return Err("wrong echo".to_owned());
            }
            Ok(())
        }
    }
}
