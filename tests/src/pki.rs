//! Test certificates: a CA made at test time and the certificates it issues (rcgen). No key
//! is ever committed.

use indigo::security::{Certificate, CertificateDer};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};

/// A CA and certificates it issues, as PEM.
pub struct Pki {
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki").finish_non_exhaustive()
    }
}

impl Pki {
    /// A self-signed CA named `name`.
    pub fn new(name: &str) -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // What strict verifiers (urllib3's X509_STRICT) want of a CA.
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        params.distinguished_name.push(DnType::CommonName, name);
        let ca_key = KeyPair::generate().expect("a key");
        let ca = params.self_signed(&ca_key).expect("a CA");
        Pki { ca, ca_key }
    }

    /// The CA's certificate as PEM, for peers that read trusted roots from a file.
    pub fn root_pem(&self) -> String {
        self.ca.pem()
    }

    /// The CA's certificate, to trust.
    pub fn root(&self) -> Vec<CertificateDer<'static>> {
        vec![self.ca.der().clone()]
    }

    /// A certificate for `dns` (and 127.0.0.1) issued by this CA.
    pub fn issue(&self, common_name: &str, dns: &[&str]) -> Certificate {
        self.issue_with(common_name, dns, |_| {})
    }

    /// A certificate that expired long ago (valid in 2000 only).
    pub fn issue_expired(&self, common_name: &str, dns: &[&str]) -> Certificate {
        self.issue_with(common_name, dns, |params| {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2000, 12, 31);
        })
    }

    fn issue_with(
        &self,
        common_name: &str,
        dns: &[&str],
        adjust: impl FnOnce(&mut CertificateParams),
    ) -> Certificate {
        let mut params =
            CertificateParams::new(dns.iter().map(|d| (*d).to_owned()).collect::<Vec<_>>())
                .expect("params");
        params
            .subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().expect("an IP")));
        // Strict verifiers want the issuer's key named in the certificate.
        params.use_authority_key_identifier_extension = true;
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Indigo Tests");
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        adjust(&mut params);
        let key = KeyPair::generate().expect("a key");
        let cert = params
            .signed_by(&key, &self.ca, &self.ca_key)
            .expect("issued");
        Certificate::from_pem(&cert.pem(), &key.serialize_pem()).expect("PEM")
    }
}
