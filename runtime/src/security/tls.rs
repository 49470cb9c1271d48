//! rustls configurations from [`TransportCredentials`]: the client's (how it judges the service's
//! certificate, which it presents itself) and the service's (its certificate, whether and how
//! it asks for the client's). The validation modes rustls has no verifier for (WCF's
//! `PeerTrust`, `None`, `Custom`) are verifiers here; each still checks the handshake
//! signatures with the crypto provider, so the peer must hold the certificate's key.

use super::{
    CertificateInfo, CertificateValidation, SecurityError, SslProtocols, TransportCredentials,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};
use std::sync::Arc;

/// WCF's name for the TLS stream upgrade in the net.tcp preamble.
pub(crate) const SSL_TLS_UPGRADE: &str = "application/ssl-tls";

/// ring as the crypto provider: it builds with a C compiler alone. rustls deprecates it for
/// having no post-quantum key exchange, which no WCF peer offers.
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn versions(protocols: SslProtocols) -> &'static [&'static rustls::SupportedProtocolVersion] {
    static TLS12: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    static TLS13: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    match protocols {
        SslProtocols::Tls12And13 => rustls::DEFAULT_VERSIONS,
        SslProtocols::Tls12 => &TLS12,
        SslProtocols::Tls13 => &TLS13,
    }
}

fn configuration(why: impl Into<String>) -> SecurityError {
    SecurityError::Configuration(why.into())
}

/// The roots a chain-trust validation accepts.
fn roots(validation: &CertificateValidation) -> Result<RootCertStore, SecurityError> {
    let mut store = RootCertStore::empty();
    match validation {
        CertificateValidation::ChainTrustIn(roots) => {
            for root in roots {
                store
                    .add(root.clone())
                    .map_err(|e| configuration(format!("a trusted root is unusable: {e}")))?;
            }
        }
        _ => {
            let native = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(native.certs);
            if added == 0 {
                return Err(configuration(
                    "chain trust: the machine has no trusted root certificates; give the roots \
                     with CertificateValidation::ChainTrustIn",
                ));
            }
        }
    }
    Ok(store)
}

/// The client's TLS configuration, and the name it expects the service's certificate to
/// carry. With `present_certificate`, the client certificate is required and presented.
pub(crate) fn client_config(
    security: &TransportCredentials,
    present_certificate: bool,
    host: &str,
) -> Result<(Arc<rustls::ClientConfig>, ServerName<'static>), SecurityError> {
    let identity = security
        .dns_identity
        .clone()
        .unwrap_or_else(|| host.to_owned());
    let server_name = ServerName::try_from(identity.clone())
        .map_err(|e| configuration(format!("`{identity}` is not a DNS name or address: {e}")))?;
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions(security.ssl_protocols))
        .map_err(|e| configuration(e.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = match &security.service_certificate_validation {
        validation @ (CertificateValidation::ChainTrust
        | CertificateValidation::ChainTrustIn(_)) => {
            rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots(validation)?),
                provider.clone(),
            )
            .build()
            .map_err(|e| configuration(e.to_string()))?
        }
        other => Arc::new(Judged {
            validation: other.clone(),
            identity: Some(identity),
            provider: provider.clone(),
        }),
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = if present_certificate {
        let certificate = security.client_certificate.as_ref().ok_or_else(|| {
            configuration(
                "the Certificate client credential type needs a client certificate \
                 (with_client_certificate)",
            )
        })?;
        builder
            .with_client_auth_cert(certificate.chain.clone(), certificate.key.clone_key())
            .map_err(|e| configuration(format!("the client certificate is unusable: {e}")))?
    } else {
        builder.with_no_client_auth()
    };
    Ok((Arc::new(config), server_name))
}

/// The service's TLS configuration. With `ask_client_certificate`, a client must present a
/// certificate that passes the client validation.
pub(crate) fn server_config(
    security: &TransportCredentials,
    ask_client_certificate: bool,
) -> Result<Arc<rustls::ServerConfig>, SecurityError> {
    let certificate = security.service_certificate.as_ref().ok_or_else(|| {
        configuration(
            "a service with transport security needs its certificate \
             (with_service_certificate)",
        )
    })?;
    let provider = provider();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions(security.ssl_protocols))
        .map_err(|e| configuration(e.to_string()))?;
    let builder = match ask_client_certificate {
        false => builder.with_no_client_auth(),
        true => {
            let verifier: Arc<dyn ClientCertVerifier> =
                match &security.client_certificate_validation {
                    validation @ (CertificateValidation::ChainTrust
                    | CertificateValidation::ChainTrustIn(_)) => {
                        rustls::server::WebPkiClientVerifier::builder_with_provider(
                            Arc::new(roots(validation)?),
                            provider.clone(),
                        )
                        .build()
                        .map_err(|e| configuration(e.to_string()))?
                    }
                    other => Arc::new(Judged {
                        validation: other.clone(),
                        identity: None,
                        provider: provider.clone(),
                    }),
                };
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = builder
        .with_single_cert(certificate.chain.clone(), certificate.key.clone_key())
        .map_err(|e| configuration(format!("the service certificate is unusable: {e}")))?;
    Ok(Arc::new(config))
}

/// Judges a peer's certificate by WCF's `PeerTrust`, `None` or `Custom` validation, and the
/// service's against the DNS identity the client expects.
#[derive(Debug)]
struct Judged {
    validation: CertificateValidation,
    /// Client side: the DNS name the service's certificate must carry.
    identity: Option<String>,
    provider: Arc<CryptoProvider>,
}

impl Judged {
    fn judge(&self, end_entity: &CertificateDer<'_>, now: UnixTime) -> Result<(), rustls::Error> {
        let refuse = |why: String| rustls::Error::General(why);
        let info = CertificateInfo::from_der(end_entity);
        match &self.validation {
            CertificateValidation::PeerTrust(trusted) => {
                if !trusted.iter().any(|t| t.as_ref() == end_entity.as_ref()) {
                    return Err(refuse(format!(
                        "the certificate {} ({}) is not among the trusted peers",
                        info.subject, info.thumbprint
                    )));
                }
                // WCF's peer trust checks the validity period too.
                let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(now.as_secs());
                if !info.is_valid_at(now) {
                    return Err(refuse(format!(
                        "the certificate {} ({}) has expired or is not valid yet",
                        info.subject, info.thumbprint
                    )));
                }
            }
            CertificateValidation::Custom(validator) => validator(&info).map_err(|why| {
                refuse(format!(
                    "the validator refused the certificate {}: {why}",
                    info.subject
                ))
            })?,
            CertificateValidation::None
            | CertificateValidation::ChainTrust
            | CertificateValidation::ChainTrustIn(_) => {}
        }
        if let Some(identity) = &self.identity {
            if !info.is_for(identity) {
                return Err(refuse(format!(
                    "the service's certificate ({}) is not for `{identity}`, the expected DNS \
                     identity",
                    info.subject
                )));
            }
        }
        Ok(())
    }

    fn tls12(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

impl ServerCertVerifier for Judged {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.judge(end_entity, now)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes()
    }
}

impl ClientCertVerifier for Judged {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.judge(end_entity, now)?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes()
    }
}
