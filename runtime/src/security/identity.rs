//! Who is calling: the facts a service can see about its caller, as WCF's
//! `ServiceSecurityContext` shows them.

use rustls_pki_types::CertificateDer;
use sha1::{Digest as _, Sha1};
use std::fmt::Write as _;

/// An X.509 certificate as WCF names it: the subject in .NET's order (`CN=..., O=...`), the
/// SHA-1 thumbprint in uppercase hex, and the DNS names it carries (its subject alternative
/// names, or the common name when it has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The subject's distinguished name, most specific part first (`CN=host, O=Org`).
    pub subject: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// SHA-1 of the DER bytes, uppercase hex (`X509Certificate2.Thumbprint`).
    pub thumbprint: String,
    /// The DNS names the certificate is for.
    pub dns_names: Vec<String>,
    /// The IP addresses the certificate is for (its IP address alternative names).
    pub ip_addresses: Vec<std::net::IpAddr>,
    /// When the certificate becomes valid (`NotBefore`), if it parses.
    pub not_before: Option<std::time::SystemTime>,
    /// When the certificate stops being valid (`NotAfter`), if it parses.
    pub not_after: Option<std::time::SystemTime>,
    /// The certificate itself.
    pub der: CertificateDer<'static>,
}

impl Default for CertificateInfo {
    fn default() -> Self {
        CertificateInfo {
            subject: String::new(),
            issuer: String::new(),
            thumbprint: String::new(),
            dns_names: Vec::new(),
            ip_addresses: Vec::new(),
            not_before: None,
            not_after: None,
            der: CertificateDer::from(Vec::new()),
        }
    }
}

impl CertificateInfo {
    /// The facts of a DER certificate; a certificate that does not parse still has its
    /// thumbprint.
    pub fn from_der(der: &CertificateDer<'_>) -> Self {
        let mut thumbprint = String::with_capacity(40);
        for byte in Sha1::digest(der.as_ref()) {
            // Writing to a String cannot fail.
            let _ = write!(thumbprint, "{byte:02X}");
        }
        let mut info = CertificateInfo {
            thumbprint,
            der: der.clone().into_owned(),
            ..CertificateInfo::default()
        };
        let Ok((_, parsed)) = x509_parser::parse_x509_certificate(der.as_ref()) else {
            return info;
        };
        let at = |time: x509_parser::time::ASN1Time| {
            let seconds = time.timestamp();
            let magnitude = std::time::Duration::from_secs(seconds.unsigned_abs());
            if seconds >= 0 {
                std::time::UNIX_EPOCH.checked_add(magnitude)
            } else {
                std::time::UNIX_EPOCH.checked_sub(magnitude)
            }
        };
        info.not_before = at(parsed.validity().not_before);
        info.not_after = at(parsed.validity().not_after);
        info.subject = reversed_dn(parsed.subject());
        info.issuer = reversed_dn(parsed.issuer());
        if let Ok(Some(names)) = parsed.subject_alternative_name() {
            for name in &names.value.general_names {
                match name {
                    x509_parser::extensions::GeneralName::DNSName(dns) => {
                        info.dns_names.push((*dns).to_owned());
                    }
                    x509_parser::extensions::GeneralName::IPAddress(bytes) => {
                        let ip = match bytes.len() {
                            4 => <[u8; 4]>::try_from(*bytes).ok().map(std::net::IpAddr::from),
                            16 => <[u8; 16]>::try_from(*bytes)
                                .ok()
                                .map(std::net::IpAddr::from),
                            _ => None,
                        };
                        info.ip_addresses.extend(ip);
                    }
                    _ => {}
                }
            }
        }
        if info.dns_names.is_empty() {
            info.dns_names.extend(
                parsed
                    .subject()
                    .iter_common_name()
                    .filter_map(|cn| cn.as_str().ok())
                    .map(str::to_owned),
            );
        }
        info
    }

    /// Whether `now` is within the certificate's validity period (false when it does not
    /// parse).
    pub fn is_valid_at(&self, now: std::time::SystemTime) -> bool {
        match (self.not_before, self.not_after) {
            (Some(from), Some(until)) => from <= now && now <= until,
            _ => false,
        }
    }

    /// Whether the certificate is for `dns_name` (case-insensitive; a leading `*.` matches one
    /// label), as WCF's `DnsEndpointIdentity` check does; an IP address matches the
    /// certificate's IP address names.
    pub fn is_for(&self, dns_name: &str) -> bool {
        if let Ok(ip) = dns_name.parse::<std::net::IpAddr>() {
            return self.ip_addresses.contains(&ip);
        }
        self.dns_names.iter().any(|name| {
            if name.eq_ignore_ascii_case(dns_name) {
                return true;
            }
            match (name.strip_prefix("*."), dns_name.split_once('.')) {
                (Some(suffix), Some((_, rest))) => suffix.eq_ignore_ascii_case(rest),
                _ => false,
            }
        })
    }
}

/// .NET writes a distinguished name most specific part first; X.509 stores it the other way.
fn reversed_dn(name: &x509_parser::x509::X509Name<'_>) -> String {
    let parts: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|attribute| {
                    let key = x509_parser::objects::oid2abbrev(
                        attribute.attr_type(),
                        x509_parser::objects::oid_registry(),
                    )
                    .map(str::to_owned)
                    .unwrap_or_else(|_| attribute.attr_type().to_id_string());
                    let value = attribute.as_str().unwrap_or("?");
                    format!("{key}={value}")
                })
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect();
    parts.into_iter().rev().collect::<Vec<_>>().join(", ")
}

/// Who the caller of an operation is (WCF's `ServiceSecurityContext.PrimaryIdentity`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CallerIdentity {
    /// No credential: an unsecured binding, or a secured one whose client presents none.
    #[default]
    Anonymous,
    /// The client's certificate, from mutual TLS (shared by every call of the session).
    Certificate(std::sync::Arc<CertificateInfo>),
    /// A user name whose password the service's validator accepted (HTTP Basic).
    UserName(String),
    /// A Windows account that logged on over NegotiateStream (net.tcp with Windows
    /// credentials), shared by every call of the session.
    Windows(std::sync::Arc<super::WindowsIdentity>),
}

impl CallerIdentity {
    /// The name WCF shows for the identity (`PrimaryIdentity.Name`): for a certificate, its
    /// subject and thumbprint (`CN=client; 8F...`); for a Windows account, `DOMAIN\user`;
    /// empty when anonymous.
    pub fn name(&self) -> String {
        match self {
            CallerIdentity::Anonymous => String::new(),
            CallerIdentity::Certificate(info) => format!("{}; {}", info.subject, info.thumbprint),
            CallerIdentity::UserName(name) => name.clone(),
            CallerIdentity::Windows(identity) => identity.name.clone(),
        }
    }

    /// Whether the caller is anonymous.
    pub fn is_anonymous(&self) -> bool {
        matches!(self, CallerIdentity::Anonymous)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_thumbprint_read_as_dotnet_shows_them() {
        let mut params =
            rcgen::CertificateParams::new(vec!["a.example.org".to_owned()]).expect("params");
        params.subject_alt_names.push(rcgen::SanType::IpAddress(
            "127.0.0.1".parse().expect("an IP"),
        ));
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "host");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Org");
        let key = rcgen::KeyPair::generate().expect("a key");
        let cert = params.self_signed(&key).expect("a certificate");
        let (_, parsed) = x509_parser::parse_x509_certificate(cert.der()).expect("parses");
        let encoded: Vec<String> = parsed
            .subject()
            .iter_rdn()
            .filter_map(|rdn| rdn.iter().next().map(|a| a.attr_type().to_id_string()))
            .collect();
        // CN (2.5.4.3) is encoded first; .NET's X500DistinguishedName.Name reverses the order.
        assert_eq!(encoded, ["2.5.4.3", "2.5.4.10"]);
        let info = CertificateInfo::from_der(cert.der());
        assert_eq!(info.subject, "O=Org, CN=host");
        assert_eq!(info.issuer, info.subject, "self-signed");
        assert_eq!(info.dns_names, ["a.example.org"]);
        assert!(info.is_for("A.example.org") && info.is_for("127.0.0.1"));
        assert!(!info.is_for("b.example.org") && !info.is_for("::1"));
        let digest = Sha1::digest(cert.der().as_ref());
        assert_eq!(info.thumbprint.len(), 40);
        assert!(info.thumbprint.starts_with(&format!("{:02X}", digest[0])));
        assert_eq!(
            CallerIdentity::Certificate(std::sync::Arc::new(info.clone())).name(),
            format!("O=Org, CN=host; {}", info.thumbprint)
        );
    }
}
