//! Transport security in WCF's terms: the security mode of a binding, the kind of credential a
//! client presents, certificates and how each side validates the other's, and the caller's
//! identity a service sees.
//!
//! On net.tcp, `SecurityMode::Transport` with [`TcpClientCredentialType::None`] or
//! [`Certificate`](TcpClientCredentialType::Certificate) is WCF's `application/ssl-tls` stream
//! upgrade: the preamble asks for it, and TLS (rustls) runs on the connection before the
//! session starts. [`TcpClientCredentialType::Windows`] (NegotiateStream) is not available yet:
//! a binding asking for it fails to open with a clear error.
//!
//! Indigo's `NetTcpBinding` defaults to [`SecurityMode::None`], unlike WCF's (Transport with
//! Windows credentials), so that a fresh machine runs it without certificates or a domain. A
//! WCF peer with `new NetTcpBinding(SecurityMode.None)` matches `NetTcpBinding::new()`; one with
//! `SecurityMode.Transport` and `TcpClientCredentialType.None` (or `Certificate`) matches
//! [`NetTcpBinding::with_security`](crate::NetTcpBinding::with_security) with
//! [`TcpSecurity::transport`]. A default-configured WCF peer (Windows credentials) cannot be
//! matched yet.
//!
//! Certificates and keys are rustls's types (`rustls-pki-types`); [`Certificate::from_pem`]
//! reads PEM. Nothing here parses X.509 by hand: `x509-parser` reads the names WCF's identity
//! shows, `sha1` gives the thumbprint.

mod identity;
pub(crate) mod tls;

pub use identity::{CallerIdentity, CertificateInfo};
pub use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use std::fmt;
use std::sync::Arc;

/// How a binding secures its messages (WCF's `SecurityMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityMode {
    /// No security: messages travel in the clear. Indigo's default.
    #[default]
    None,
    /// The transport secures the connection: TLS on net.tcp (WCF's default mode for
    /// `NetTcpBinding`).
    Transport,
}

/// What a net.tcp client proves itself with under transport security (WCF's
/// `TcpClientCredentialType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TcpClientCredentialType {
    /// Nothing: the client stays anonymous; only the service presents a certificate.
    None,
    /// A Windows account over NegotiateStream (SPNEGO: Kerberos or NTLM), WCF's default. Not
    /// available yet.
    #[default]
    Windows,
    /// An X.509 certificate: mutual TLS.
    Certificate,
}

/// Which TLS versions a side accepts (WCF's `SslProtocols`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslProtocols {
    /// TLS 1.2 and 1.3: the highest both sides have wins.
    #[default]
    Tls12And13,
    /// TLS 1.2 only (what .NET Framework and Mono peers speak).
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// A certificate chain (the end entity first) and its private key: what a side presents.
#[derive(Clone)]
pub struct Certificate {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: Arc<PrivateKeyDer<'static>>,
}

/// Why a certificate or key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// The PEM text holds no certificate.
    #[error("the PEM text holds no certificate")]
    NoCertificate,
    /// The PEM text holds no private key, or not one of PKCS#8, PKCS#1 or SEC1.
    #[error("the PEM text holds no private key: {0}")]
    NoKey(String),
    /// The PEM text is malformed.
    #[error("the PEM text is malformed: {0}")]
    Pem(String),
}

impl Certificate {
    /// A chain of DER certificates (end entity first) and its key.
    pub fn new(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Self {
        Certificate {
            chain,
            key: Arc::new(key),
        }
    }

    /// Reads a PEM chain (end entity first) and a PEM private key.
    ///
    /// ```
    /// # let generated = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let (chain_pem, key_pem) = (generated.cert.pem(), generated.key_pair.serialize_pem());
    /// let certificate = indigo::security::Certificate::from_pem(&chain_pem, &key_pem)?;
    /// assert_eq!(certificate.info().dns_names, ["localhost"]);
    /// # Ok::<(), indigo::security::CertificateError>(())
    /// ```
    pub fn from_pem(chain: &str, key: &str) -> Result<Self, CertificateError> {
        let chain = certificates_from_pem(chain)?;
        use rustls_pki_types::pem::PemObject;
        let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
            .map_err(|e| CertificateError::NoKey(e.to_string()))?;
        Ok(Certificate::new(chain, key))
    }

    /// The end entity certificate's names and thumbprint.
    pub fn info(&self) -> CertificateInfo {
        self.chain
            .first()
            .map(CertificateInfo::from_der)
            .unwrap_or_default()
    }
}

/// Reads every certificate of a PEM text (for trusted roots or peers).
pub fn certificates_from_pem(pem: &str) -> Result<Vec<CertificateDer<'static>>, CertificateError> {
    use rustls_pki_types::pem::PemObject;
    let chain = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CertificateError::Pem(e.to_string()))?;
    if chain.is_empty() {
        return Err(CertificateError::NoCertificate);
    }
    Ok(chain)
}

impl fmt::Debug for Certificate {
    /// The certificate's names, never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.info().subject)
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// A custom validator: `Ok` accepts the certificate, `Err` refuses it with a reason.
pub type CertificateValidator =
    Arc<dyn Fn(&CertificateInfo) -> Result<(), String> + Send + Sync + 'static>;

/// How one side judges the other's certificate (WCF's `X509CertificateValidationMode`).
#[derive(Clone, Default)]
pub enum CertificateValidation {
    /// The chain must lead to one of the machine's trusted roots (WCF's default, `ChainTrust`
    /// against the machine store).
    #[default]
    ChainTrust,
    /// The chain must lead to one of these roots.
    ChainTrustIn(Vec<CertificateDer<'static>>),
    /// The certificate itself must be one of these (WCF's `PeerTrust`): no chain is built.
    PeerTrust(Vec<CertificateDer<'static>>),
    /// Any certificate is accepted (the TLS handshake still proves the peer holds its key).
    /// For tests, as in WCF.
    None,
    /// The validator decides (WCF's `Custom` with an `X509CertificateValidator`).
    Custom(CertificateValidator),
}

impl fmt::Debug for CertificateValidation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertificateValidation::ChainTrust => f.write_str("ChainTrust"),
            CertificateValidation::ChainTrustIn(roots) => {
                write!(f, "ChainTrustIn({} roots)", roots.len())
            }
            CertificateValidation::PeerTrust(peers) => {
                write!(f, "PeerTrust({} certificates)", peers.len())
            }
            CertificateValidation::None => f.write_str("None"),
            CertificateValidation::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// The transport security of a net.tcp binding (WCF's `NetTcpSecurity` with its transport
/// part), and the credentials each side uses: the service's certificate (WCF's
/// `ServiceCredentials.ServiceCertificate`), the client's (`ClientCredentials.ClientCertificate`)
/// and how each validates the other's.
#[derive(Debug, Clone, Default)]
pub struct TcpSecurity {
    /// The security mode. Default [`SecurityMode::None`].
    pub mode: SecurityMode,
    /// What the client presents under [`SecurityMode::Transport`]. Default
    /// [`TcpClientCredentialType::Windows`], as in WCF (not available yet: choose `None` or
    /// `Certificate`).
    pub client_credential_type: TcpClientCredentialType,
    /// Service: the certificate it presents. Required for transport security.
    pub service_certificate: Option<Certificate>,
    /// Client: its certificate, for [`TcpClientCredentialType::Certificate`].
    pub client_certificate: Option<Certificate>,
    /// Client: how it judges the service's certificate. Default chain trust in the machine's
    /// roots.
    pub service_certificate_validation: CertificateValidation,
    /// Service: how it judges a client's certificate. Default chain trust in the machine's
    /// roots.
    pub client_certificate_validation: CertificateValidation,
    /// Client: the DNS name the service's certificate must carry (WCF's `DnsEndpointIdentity`).
    /// Default: the host of the address.
    pub dns_identity: Option<String>,
    /// The TLS versions either side accepts. Default TLS 1.2 and 1.3.
    pub ssl_protocols: SslProtocols,
}

impl TcpSecurity {
    /// Transport security with the given client credential type and nothing else set yet.
    pub fn transport(client_credential_type: TcpClientCredentialType) -> Self {
        TcpSecurity {
            mode: SecurityMode::Transport,
            client_credential_type,
            ..TcpSecurity::default()
        }
    }

    /// Sets [`service_certificate`](Self::service_certificate).
    pub fn with_service_certificate(mut self, certificate: Certificate) -> Self {
        self.service_certificate = Some(certificate);
        self
    }

    /// Sets [`client_certificate`](Self::client_certificate).
    pub fn with_client_certificate(mut self, certificate: Certificate) -> Self {
        self.client_certificate = Some(certificate);
        self
    }

    /// Sets [`service_certificate_validation`](Self::service_certificate_validation).
    pub fn with_service_certificate_validation(
        mut self,
        validation: CertificateValidation,
    ) -> Self {
        self.service_certificate_validation = validation;
        self
    }

    /// Sets [`client_certificate_validation`](Self::client_certificate_validation).
    pub fn with_client_certificate_validation(mut self, validation: CertificateValidation) -> Self {
        self.client_certificate_validation = validation;
        self
    }

    /// Sets [`ssl_protocols`](Self::ssl_protocols).
    pub fn with_ssl_protocols(mut self, protocols: SslProtocols) -> Self {
        self.ssl_protocols = protocols;
        self
    }

    /// Sets [`dns_identity`](Self::dns_identity).
    pub fn with_dns_identity(mut self, dns_name: impl Into<String>) -> Self {
        self.dns_identity = Some(dns_name.into());
        self
    }
}

/// Why a security setting cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecurityError {
    /// The settings miss something or contradict each other.
    #[error("transport security is misconfigured: {0}")]
    Configuration(String),
    /// WCF's Windows credentials (NegotiateStream) are not available yet.
    #[error(
        "TcpClientCredentialType::Windows (NegotiateStream) is not available yet; use None or \
         Certificate"
    )]
    WindowsNotAvailable,
}
