//! Transport security in WCF's terms: the security mode of a binding, the kind of credential a
//! client presents, certificates and how each side validates the other's, and the caller's
//! identity a service sees.
//!
//! On net.tcp, `SecurityMode::Transport` with [`TcpClientCredentialType::None`] or
//! [`Certificate`](TcpClientCredentialType::Certificate) is WCF's `application/ssl-tls` stream
//! upgrade: the preamble asks for it, and TLS (rustls) runs on the connection before the
//! session starts. With [`TcpClientCredentialType::Windows`] it is `application/negotiate`:
//! .NET's NegotiateStream, SPNEGO with NTLM inside (see [`WindowsCredential`],
//! [`WindowsAccounts`] and [`ProtectionLevel`]).
//!
//! Indigo's `NetTcpBinding` defaults to [`SecurityMode::None`], unlike WCF's (Transport with
//! Windows credentials), so that a fresh machine runs it without certificates or a domain. A
//! WCF peer with `new NetTcpBinding(SecurityMode.None)` matches `NetTcpBinding::new()`; one with
//! `SecurityMode.Transport` and `TcpClientCredentialType.None` (or `Certificate`) matches
//! [`NetTcpBinding::with_security`](crate::NetTcpBinding::with_security) with
//! [`TcpSecurity::transport`]. A default-configured WCF peer (`new NetTcpBinding()`: Transport,
//! Windows, EncryptAndSign) matches `TcpSecurity::transport(TcpClientCredentialType::Windows)`
//! with the client's [`WindowsCredential`] or the service's [`WindowsAccounts`].
//!
//! Certificates and keys are rustls's types (`rustls-pki-types`); [`Certificate::from_pem`]
//! reads PEM. Nothing here parses X.509 by hand: `x509-parser` reads the names WCF's identity
//! shows, `sha1` gives the thumbprint.

mod identity;
pub(crate) mod negotiate;
pub(crate) mod tls;
pub(crate) mod username_token;

pub use identity::{CallerIdentity, CertificateInfo};
pub use negotiate::{
    ProtectionLevel, WindowsAccount, WindowsAccounts, WindowsCredential, WindowsIdentity,
};
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
    /// `NetTcpBinding`), HTTPS on HTTP.
    Transport,
    /// HTTPS, and the client's user name and password in every message's WS-Security header
    /// (a UsernameToken): WCF's `TransportWithMessageCredential` with a `UserName` message
    /// credential. HTTP bindings only.
    TransportWithMessageCredential,
}

/// What a net.tcp client proves itself with under transport security (WCF's
/// `TcpClientCredentialType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TcpClientCredentialType {
    /// Nothing: the client stays anonymous; only the service presents a certificate.
    None,
    /// A Windows account over NegotiateStream (SPNEGO with NTLM inside), WCF's default: the
    /// client's [`WindowsCredential`], checked by the service against its
    /// [`WindowsAccounts`].
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

/// The certificates a secured transport uses and how each side judges the other's: the
/// service's certificate (WCF's `ServiceCredentials.ServiceCertificate`), the client's
/// (`ClientCredentials.ClientCertificate`), the validation modes, the DNS identity and the TLS
/// versions. Shared by [`TcpSecurity`] and [`HttpSecurity`].
#[derive(Debug, Clone, Default)]
pub struct TransportCredentials {
    /// Service: the certificate it presents. Required for transport security.
    pub service_certificate: Option<Certificate>,
    /// Client: its certificate, when its credential type is a certificate.
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

/// The builder methods of the credentials, on a security type that holds them.
macro_rules! credential_setters {
    ($ty:ty) => {
        impl $ty {
            /// Sets the service's certificate ([`TransportCredentials::service_certificate`]).
            pub fn with_service_certificate(mut self, certificate: Certificate) -> Self {
                self.credentials.service_certificate = Some(certificate);
                self
            }

            /// Sets the client's certificate ([`TransportCredentials::client_certificate`]).
            pub fn with_client_certificate(mut self, certificate: Certificate) -> Self {
                self.credentials.client_certificate = Some(certificate);
                self
            }

            /// Sets how the client judges the service's certificate
            /// ([`TransportCredentials::service_certificate_validation`]).
            pub fn with_service_certificate_validation(
                mut self,
                validation: CertificateValidation,
            ) -> Self {
                self.credentials.service_certificate_validation = validation;
                self
            }

            /// Sets how the service judges a client's certificate
            /// ([`TransportCredentials::client_certificate_validation`]).
            pub fn with_client_certificate_validation(
                mut self,
                validation: CertificateValidation,
            ) -> Self {
                self.credentials.client_certificate_validation = validation;
                self
            }

            /// Sets the TLS versions ([`TransportCredentials::ssl_protocols`]).
            pub fn with_ssl_protocols(mut self, protocols: SslProtocols) -> Self {
                self.credentials.ssl_protocols = protocols;
                self
            }

            /// Sets the DNS identity the client expects
            /// ([`TransportCredentials::dns_identity`]).
            pub fn with_dns_identity(mut self, dns_name: impl Into<String>) -> Self {
                self.credentials.dns_identity = Some(dns_name.into());
                self
            }
        }
    };
}

/// The transport security of a net.tcp binding (WCF's `NetTcpSecurity` with its transport
/// part) and its credentials.
#[derive(Debug, Clone, Default)]
pub struct TcpSecurity {
    /// The security mode. Default [`SecurityMode::None`].
    pub mode: SecurityMode,
    /// What the client presents under [`SecurityMode::Transport`]. Default
    /// [`TcpClientCredentialType::Windows`], as in WCF.
    pub client_credential_type: TcpClientCredentialType,
    /// With Windows credentials, how the bytes are protected (WCF's
    /// `Security.Transport.ProtectionLevel`). Default
    /// [`EncryptAndSign`](ProtectionLevel::EncryptAndSign), as in WCF. (TLS always encrypts.)
    pub protection_level: ProtectionLevel,
    /// The certificates and how they are judged.
    pub credentials: TransportCredentials,
    /// Client, Windows credentials: the account it logs on with. Required for them.
    pub windows_credential: Option<WindowsCredential>,
    /// Service, Windows credentials: the accounts it accepts. With none, every logon is
    /// refused.
    pub windows_accounts: WindowsAccounts,
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
}

credential_setters!(TcpSecurity);

impl TcpSecurity {
    /// Sets the client's Windows account ([`windows_credential`](Self::windows_credential)).
    pub fn with_windows_credential(mut self, credential: WindowsCredential) -> Self {
        self.windows_credential = Some(credential);
        self
    }

    /// Sets the accounts a service accepts ([`windows_accounts`](Self::windows_accounts)).
    pub fn with_windows_accounts(mut self, accounts: WindowsAccounts) -> Self {
        self.windows_accounts = accounts;
        self
    }

    /// Sets the [`protection_level`](Self::protection_level) of Windows credentials.
    pub fn with_protection_level(mut self, level: ProtectionLevel) -> Self {
        self.protection_level = level;
        self
    }
}

/// What an HTTP client proves itself with under transport security (WCF's
/// `HttpClientCredentialType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpClientCredentialType {
    /// Nothing: only the service presents a certificate. WCF's default.
    #[default]
    None,
    /// A user name and password in the `Authorization: Basic` header (over HTTPS).
    Basic,
    /// An X.509 certificate: mutual TLS.
    Certificate,
}

/// A user name and password, as a client presents them.
#[derive(Clone)]
pub struct UserNameCredential {
    /// The user name.
    pub user_name: String,
    /// The password.
    pub password: String,
}

impl UserNameCredential {
    /// A user name and its password.
    pub fn new(user_name: impl Into<String>, password: impl Into<String>) -> Self {
        UserNameCredential {
            user_name: user_name.into(),
            password: password.into(),
        }
    }
}

impl fmt::Debug for UserNameCredential {
    /// The user name, never the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserNameCredential")
            .field("user_name", &self.user_name)
            .finish_non_exhaustive()
    }
}

/// Decides whether a user name and password are valid (WCF's `UserNamePasswordValidator`):
/// `Err` refuses them with a reason, which is logged but not sent to the client.
pub type UserNameValidator = Arc<dyn Fn(&str, &str) -> Result<(), String> + Send + Sync>;

/// The security of an HTTP binding (WCF's `BasicHttpSecurity` / `WSHttpSecurity` transport part)
/// and its credentials. `https` addresses need [`SecurityMode::Transport`], and it needs them.
#[derive(Clone, Default)]
pub struct HttpSecurity {
    /// The security mode. Default [`SecurityMode::None`].
    pub mode: SecurityMode,
    /// What the client presents. Default [`HttpClientCredentialType::None`].
    pub client_credential_type: HttpClientCredentialType,
    /// The certificates and how they are judged.
    pub credentials: TransportCredentials,
    /// Client: the user name and password it sends with [`HttpClientCredentialType::Basic`],
    /// or in the message under [`SecurityMode::TransportWithMessageCredential`].
    pub user_name: Option<UserNameCredential>,
    /// Service: how it checks a user name and password. Required for
    /// [`HttpClientCredentialType::Basic`] and for
    /// [`SecurityMode::TransportWithMessageCredential`].
    pub user_name_validator: Option<UserNameValidator>,
}

impl HttpSecurity {
    /// HTTPS with the given client credential type and nothing else set yet (WCF's
    /// `BasicHttpsBinding`, or `BasicHttpSecurityMode.Transport`).
    pub fn transport(client_credential_type: HttpClientCredentialType) -> Self {
        HttpSecurity {
            mode: SecurityMode::Transport,
            client_credential_type,
            ..HttpSecurity::default()
        }
    }

    /// HTTPS with a WS-Security UsernameToken in every message (WCF's
    /// `BasicHttpSecurityMode.TransportWithMessageCredential` with
    /// `BasicHttpMessageCredentialType.UserName`).
    pub fn transport_with_message_credential() -> Self {
        HttpSecurity {
            mode: SecurityMode::TransportWithMessageCredential,
            ..HttpSecurity::default()
        }
    }

    /// Sets the user name and password a client sends ([`user_name`](Self::user_name)).
    pub fn with_user_name(mut self, credential: UserNameCredential) -> Self {
        self.user_name = Some(credential);
        self
    }

    /// Sets how a service checks user names and passwords
    /// ([`user_name_validator`](Self::user_name_validator)).
    pub fn with_user_name_validator(
        mut self,
        validator: impl Fn(&str, &str) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.user_name_validator = Some(Arc::new(validator));
        self
    }
}

credential_setters!(HttpSecurity);

impl fmt::Debug for HttpSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSecurity")
            .field("mode", &self.mode)
            .field("client_credential_type", &self.client_credential_type)
            .field("credentials", &self.credentials)
            .field("user_name", &self.user_name)
            .field("user_name_validator", &self.user_name_validator.is_some())
            .finish()
    }
}

/// Why a security setting cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecurityError {
    /// The settings miss something or contradict each other.
    #[error("transport security is misconfigured: {0}")]
    Configuration(String),
    /// A client with Windows credentials has no account to log on with.
    #[error(
        "TcpClientCredentialType::Windows needs the client's account: \
         TcpSecurity::with_windows_credential"
    )]
    NoWindowsCredential,
}
