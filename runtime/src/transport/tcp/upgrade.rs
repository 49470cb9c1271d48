//! Stream upgrades in the net.tcp preamble ([MC-NMF] 2.2.3.5): after an UpgradeRequest and
//! its UpgradeResponse, the connection's bytes belong to the upgrade protocol, and the rest of
//! the framing travels inside it. Two are offered, as WCF's: `application/ssl-tls`, TLS
//! (rustls) on the raw connection (`SslStreamSecurityUpgradeProvider`), and
//! `application/negotiate`, .NET's NegotiateStream with Windows credentials
//! (`WindowsStreamSecurityUpgradeProvider`, see `security::negotiate`).

use super::io::{ReadHalf, Reader, RecordReader, WriteHalf};
use crate::security::negotiate::{self, NEGOTIATE_UPGRADE};
use crate::security::tls::SSL_TLS_UPGRADE;
use crate::security::{
    CallerIdentity, CertificateInfo, ProtectionLevel, WindowsAccounts, WindowsCredential,
};
use crate::transport::TransportError;
use rustls::pki_types::ServerName;
use std::sync::Arc;

/// The upgrade a side asks for (client) or requires (listener).
#[derive(Clone)]
pub(crate) enum StreamUpgrade {
    /// A TLS client: its configuration and the name the service's certificate must carry.
    TlsClient {
        config: Arc<rustls::ClientConfig>,
        server_name: ServerName<'static>,
    },
    /// A TLS listener: its configuration.
    TlsServer { config: Arc<rustls::ServerConfig> },
    /// A NegotiateStream client: its account, the service's name (SPN) and the protection.
    NegotiateClient {
        credential: WindowsCredential,
        target: String,
        level: ProtectionLevel,
    },
    /// A NegotiateStream listener: the accounts it accepts and the least protection.
    NegotiateServer {
        accounts: WindowsAccounts,
        level: ProtectionLevel,
    },
}

impl StreamUpgrade {
    /// The protocol name of the UpgradeRequest.
    pub(crate) fn protocol(&self) -> &'static str {
        match self {
            StreamUpgrade::TlsClient { .. } | StreamUpgrade::TlsServer { .. } => SSL_TLS_UPGRADE,
            StreamUpgrade::NegotiateClient { .. } | StreamUpgrade::NegotiateServer { .. } => {
                NEGOTIATE_UPGRADE
            }
        }
    }

    /// Whether this is a client's upgrade.
    pub(crate) fn is_client(&self) -> bool {
        matches!(
            self,
            StreamUpgrade::TlsClient { .. } | StreamUpgrade::NegotiateClient { .. }
        )
    }
}

impl std::fmt::Debug for StreamUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamUpgrade::TlsClient { server_name, .. } => f
                .debug_struct("TlsClient")
                .field("server_name", server_name)
                .finish_non_exhaustive(),
            StreamUpgrade::TlsServer { .. } => f.write_str("TlsServer"),
            StreamUpgrade::NegotiateClient {
                credential,
                target,
                level,
            } => f
                .debug_struct("NegotiateClient")
                .field("credential", credential)
                .field("target", target)
                .field("level", level)
                .finish(),
            StreamUpgrade::NegotiateServer { accounts, level } => f
                .debug_struct("NegotiateServer")
                .field("accounts", &accounts.len())
                .field("level", level)
                .finish(),
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
    // nothing after it: bytes already read past the record would be lost to the upgrade.
    if !reader.buffer().is_empty() {
        return Err(
            "bytes arrived after the upgrade record, before the upgrade's handshake".into(),
        );
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

/// The client's side of the upgrade on a connection whose UpgradeResponse just arrived.
pub(crate) async fn client(
    reader: Reader,
    write: WriteHalf,
    upgrade: &StreamUpgrade,
) -> Result<(Reader, WriteHalf), TransportError> {
    let io = joined(reader, write).map_err(TransportError::Security)?;
    match upgrade {
        StreamUpgrade::TlsClient {
            config,
            server_name,
        } => {
            let stream = tokio_rustls::TlsConnector::from(config.clone())
                .connect(server_name.clone(), io)
                .await
                .map_err(|e| {
                    TransportError::Security(format!("TLS handshake with the service: {e}"))
                })?;
            Ok(split(stream))
        }
        StreamUpgrade::NegotiateClient {
            credential,
            target,
            level,
        } => {
            let stream = negotiate::client(io, credential, target.clone(), *level)
                .await
                .map_err(|e| {
                    TransportError::Security(format!("Windows (NegotiateStream) logon: {e}"))
                })?;
            Ok(split(stream))
        }
        StreamUpgrade::TlsServer { .. } | StreamUpgrade::NegotiateServer { .. } => Err(
            TransportError::Security("a listener's upgrade on a client connection".to_owned()),
        ),
    }
}

/// The listener's side of the upgrade on a connection it just sent UpgradeResponse on, and
/// the caller's identity it proved: the client's certificate, if it gave one, or its Windows
/// account.
pub(crate) async fn server(
    reader: Reader,
    write: WriteHalf,
    upgrade: &StreamUpgrade,
) -> Result<(Reader, WriteHalf, CallerIdentity), String> {
    let io = joined(reader, write)?;
    match upgrade {
        StreamUpgrade::TlsServer { config } => {
            let stream = tokio_rustls::TlsAcceptor::from(config.clone())
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
        StreamUpgrade::NegotiateServer { accounts, level } => {
            let (stream, identity) = negotiate::server(io, accounts.clone(), *level)
                .await
                .map_err(|e| format!("Windows (NegotiateStream) logon: {e}"))?;
            let (reader, write) = split(stream);
            Ok((reader, write, CallerIdentity::Windows(Arc::new(identity))))
        }
        StreamUpgrade::TlsClient { .. } | StreamUpgrade::NegotiateClient { .. } => {
            Err("a client's upgrade on a listener's connection".to_owned())
        }
    }
}
