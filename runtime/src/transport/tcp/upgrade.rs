//! Stream upgrades in the net.tcp preamble ([MC-NMF] 2.2.3.5): after an UpgradeRequest and
//! its UpgradeResponse, the connection's bytes belong to the upgrade protocol, and the rest of
//! the framing travels inside it. The one offered here is WCF's `application/ssl-tls`: TLS
//! (rustls) on the raw connection, as `SslStreamSecurityUpgradeProvider` does.

use super::io::{ReadHalf, Reader, RecordReader, WriteHalf};
use crate::security::{CallerIdentity, CertificateInfo};
use crate::transport::TransportError;
use rustls::pki_types::ServerName;
use std::sync::Arc;

/// What a side needs for the TLS upgrade.
#[derive(Clone)]
pub(crate) enum TlsUpgrade {
    /// A client: its configuration and the name the service's certificate must carry.
    Client {
        config: Arc<rustls::ClientConfig>,
        server_name: ServerName<'static>,
    },
    /// A listener: its configuration. Every connection must upgrade.
    Server { config: Arc<rustls::ServerConfig> },
}

impl std::fmt::Debug for TlsUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsUpgrade::Client { server_name, .. } => f
                .debug_struct("TlsUpgrade::Client")
                .field("server_name", server_name)
                .finish_non_exhaustive(),
            TlsUpgrade::Server { .. } => f.write_str("TlsUpgrade::Server"),
        }
    }
}

/// The connection's halves joined again, for the TLS stream to own.
fn joined(
    reader: Reader,
    write: WriteHalf,
) -> Result<tokio::io::Join<ReadHalf, WriteHalf>, String> {
    let mut reader = reader;
    // The initiator waits for UpgradeResponse before its handshake, and the receiver sends
    // nothing after it: bytes already read past the record would be lost to TLS.
    if !reader.buffer().is_empty() {
        return Err("bytes arrived after the upgrade record, before the TLS handshake".into());
    }
    Ok(tokio::io::join(reader.into_inner(), write))
}

fn split<S>(stream: S) -> (Reader, WriteHalf)
where
    S: tokio::io::AsyncRead
        + tokio::io::AsyncWrite
        + Send
        + Sync
        + Unpin
        + std::fmt::Debug
        + 'static,
{
    let (read, write) = tokio::io::split(stream);
    (RecordReader::new(Box::new(read)), Box::new(write))
}

/// The client's TLS handshake on a connection whose UpgradeResponse just arrived.
pub(crate) async fn client(
    reader: Reader,
    write: WriteHalf,
    config: Arc<rustls::ClientConfig>,
    server_name: ServerName<'static>,
) -> Result<(Reader, WriteHalf), TransportError> {
    let io = joined(reader, write).map_err(TransportError::Security)?;
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(server_name, io)
        .await
        .map_err(|e| TransportError::Security(format!("TLS handshake with the service: {e}")))?;
    Ok(split(stream))
}

/// The listener's TLS handshake on a connection it just sent UpgradeResponse on; the client's
/// certificate, if it gave one, is the caller's identity.
pub(crate) async fn server(
    reader: Reader,
    write: WriteHalf,
    config: Arc<rustls::ServerConfig>,
) -> Result<(Reader, WriteHalf, CallerIdentity), String> {
    let io = joined(reader, write)?;
    let stream = tokio_rustls::TlsAcceptor::from(config)
        .accept(io)
        .await
        .map_err(|e| format!("TLS handshake with the client: {e}"))?;
    let identity = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map_or(CallerIdentity::Anonymous, |cert| {
            CallerIdentity::Certificate(Arc::new(CertificateInfo::from_der(cert)))
        });
    let (reader, write) = split(stream);
    Ok((reader, write, identity))
}
