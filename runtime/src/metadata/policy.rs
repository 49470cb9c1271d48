//! What a binding says of itself in metadata: the SOAP binding of its WSDL (envelope version,
//! transport URI) and the WS-Policy assertions WCF's exporters attach to it (binary encoding,
//! WS-Addressing, a reliable session and its timings, transport security).

use super::document::Element;
use crate::message::{AddressingVersion, EnvelopeVersion, MessageVersion};
use crate::reliable::{ReliableMessagingVersion, ReliableSessionSettings};
use std::time::Duration;

pub(crate) const WSP: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy";
pub(crate) const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
pub(crate) const WSAW: &str = "http://www.w3.org/2006/05/addressing/wsdl";
const MSB: &str = "http://schemas.microsoft.com/ws/06/2004/mspolicy/netbinary1";
const WSRM10_POLICY: &str = "http://schemas.xmlsoap.org/ws/2005/02/rm/policy";
const WSRM11_POLICY: &str = "http://docs.oasis-open.org/ws-rx/wsrmp/200702";
const NETRM11_POLICY: &str = "http://schemas.microsoft.com/ws-rx/wsrmp/200702";
const SP: &str = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy";
const MSF: &str = "http://schemas.microsoft.com/ws/2006/05/framing/policy";
const HTTP_POLICY: &str = "http://schemas.microsoft.com/ws/06/2004/policy/http";

/// The transport URI of a SOAP binding over net.tcp, as WCF writes it.
pub(crate) const TCP_TRANSPORT_URI: &str = "http://schemas.microsoft.com/soap/tcp";
/// The transport URI of SOAP over HTTP.
pub(crate) const HTTP_TRANSPORT_URI: &str = "http://schemas.xmlsoap.org/soap/http";

/// A binding as metadata describes it. Bindings fill it in (`Binding::describe`); nothing
/// here is read at run time.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct BindingDescription {
    /// WCF's binding name (`NetTcpBinding`, `WSHttpBinding`...): the WSDL binding is named
    /// `{name}_{Contract}`.
    pub name: &'static str,
    /// The message version.
    pub version: MessageVersion,
    /// Binary encoding (`msbin1`).
    pub binary: bool,
    /// The transport's URI scheme (`net.tcp`, `http`, `https`, `memory`).
    pub scheme: &'static str,
    /// Transport security.
    pub security: TransportSecurityPolicy,
    /// A reliable session's settings.
    pub reliable: Option<ReliableSessionSettings>,
}

/// Transport security as a policy says it.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportSecurityPolicy {
    /// None.
    None,
    /// HTTPS; `client_certificate` when the client must show one.
    Https {
        /// Whether a client certificate is required.
        client_certificate: bool,
    },
    /// HTTP Basic authentication (over HTTPS).
    HttpBasic,
    /// HTTPS with a WS-Security UsernameToken in every message
    /// (`TransportWithMessageCredential`, user name).
    HttpsWithUserName,
    /// TLS on net.tcp (`application/ssl-tls`).
    TcpTls {
        /// Whether a client certificate is required.
        client_certificate: bool,
    },
    /// Windows (`application/negotiate`) on net.tcp, with its protection level's name.
    TcpWindows {
        /// `None`, `Sign` or `EncryptAndSign`.
        protection_level: &'static str,
    },
}

impl BindingDescription {
    /// What an encoder alone says of a binding named `name` (no transport facts).
    pub(crate) fn from_encoder(
        name: &'static str,
        encoder: &dyn crate::encoding::MessageEncoder,
    ) -> Self {
        BindingDescription {
            name,
            version: encoder.message_version(),
            binary: encoder.media_type().contains("msbin"),
            scheme: "",
            security: TransportSecurityPolicy::None,
            reliable: None,
        }
    }

    /// The SOAP binding's namespace prefix in WSDL: `soap` (1.1) or `soap12`.
    pub(crate) fn soap_prefix(&self) -> &'static str {
        match self.version.envelope {
            EnvelopeVersion::Soap11 => "soap",
            EnvelopeVersion::Soap12 => "soap12",
        }
    }

    /// The transport URI of the SOAP binding.
    pub(crate) fn transport_uri(&self) -> &'static str {
        match self.scheme {
            "net.tcp" => TCP_TRANSPORT_URI,
            _ => HTTP_TRANSPORT_URI,
        }
    }

    /// Whether the binding has anything for a policy to say.
    pub(crate) fn has_policy(&self) -> bool {
        !self.assertions().is_empty()
    }

    /// The policy assertions, in the order WCF's exporters write them.
    pub(crate) fn assertions(&self) -> Vec<Element> {
        let mut assertions = Vec::new();
        if let Some(settings) = &self.reliable {
            assertions.extend(reliable_assertions(settings));
        }
        assertions.extend(security_assertions(self.security));
        if self.binary {
            assertions.push(Element::new("msb:BinaryEncoding").attr("xmlns:msb", MSB));
        }
        if self.version.addressing != AddressingVersion::None {
            assertions.push(Element::new("wsaw:UsingAddressing"));
        }
        assertions
    }

    /// `<wsp:Policy wsu:Id="{id}">` with the assertions, as one alternative.
    pub(crate) fn policy(&self, id: &str) -> Element {
        Element::new("wsp:Policy").attr("wsu:Id", id).child(
            Element::new("wsp:ExactlyOne")
                .child(Element::new("wsp:All").children(self.assertions())),
        )
    }
}

fn milliseconds(duration: Duration) -> String {
    duration.as_millis().to_string()
}

fn reliable_assertions(settings: &ReliableSessionSettings) -> Vec<Element> {
    let inactivity = milliseconds(settings.inactivity_timeout());
    let acknowledgement = milliseconds(settings.acknowledgement_interval());
    match settings.reliable_messaging_version() {
        ReliableMessagingVersion::WsReliableMessagingFebruary2005 => {
            vec![Element::new("wsrm:RMAssertion")
                .attr("xmlns:wsrm", WSRM10_POLICY)
                .child(Element::new("wsrm:InactivityTimeout").attr("Milliseconds", inactivity))
                .child(
                    Element::new("wsrm:AcknowledgementInterval")
                        .attr("Milliseconds", acknowledgement),
                )]
        }
        ReliableMessagingVersion::WsReliableMessaging11 => {
            let mut assurance = vec![Element::new("wsrmp:ExactlyOnce")];
            if settings.ordered() {
                assurance.push(Element::new("wsrmp:InOrder"));
            }
            vec![
                Element::new("wsrmp:RMAssertion")
                    .attr("xmlns:wsrmp", WSRM11_POLICY)
                    .child(
                        Element::new("wsp:Policy").child(
                            Element::new("wsrmp:DeliveryAssurance")
                                .child(Element::new("wsp:Policy").children(assurance)),
                        ),
                    ),
                Element::new("netrmp:RMAssertion")
                    .attr("xmlns:netrmp", NETRM11_POLICY)
                    .child(
                        Element::new("netrmp:InactivityTimeout").attr("Milliseconds", inactivity),
                    )
                    .child(
                        Element::new("netrmp:AcknowledgementInterval")
                            .attr("Milliseconds", acknowledgement),
                    ),
            ]
        }
    }
}

/// `sp:TransportBinding` with the transport's token, as WCF writes it for transport security
/// (and the UsernameToken every message carries, for `TransportWithMessageCredential`).
fn security_assertions(security: TransportSecurityPolicy) -> Vec<Element> {
    let token = match security {
        TransportSecurityPolicy::None => return Vec::new(),
        TransportSecurityPolicy::HttpBasic => {
            return vec![Element::new("http:BasicAuthentication").attr("xmlns:http", HTTP_POLICY)];
        }
        TransportSecurityPolicy::HttpsWithUserName => {
            let https = Element::new("sp:HttpsToken").attr("RequireClientCertificate", "false");
            return vec![transport_binding(https), username_token()];
        }
        TransportSecurityPolicy::Https { client_certificate } => Element::new("sp:HttpsToken")
            .attr(
                "RequireClientCertificate",
                if client_certificate { "true" } else { "false" },
            ),
        TransportSecurityPolicy::TcpTls { client_certificate } => {
            let ssl = Element::new("msf:SslTransportSecurity").attr("xmlns:msf", MSF);
            if client_certificate {
                ssl.child(Element::new("msf:RequireClientCertificate"))
            } else {
                ssl
            }
        }
        TransportSecurityPolicy::TcpWindows { protection_level } => {
            Element::new("msf:WindowsTransportSecurity")
                .attr("xmlns:msf", MSF)
                .child(Element::new("msf:ProtectionLevel").text(protection_level))
        }
    };
    vec![transport_binding(token)]
}

/// `sp:TransportBinding` with `token` as its transport token.
fn transport_binding(token: Element) -> Element {
    let policy = |child: Element| Element::new("wsp:Policy").child(child);
    Element::new("sp:TransportBinding")
        .attr("xmlns:sp", SP)
        .child(
            Element::new("wsp:Policy")
                .child(Element::new("sp:TransportToken").child(policy(token)))
                .child(Element::new("sp:AlgorithmSuite").child(policy(Element::new("sp:Basic256"))))
                .child(Element::new("sp:Layout").child(policy(Element::new("sp:Strict")))),
        )
}

/// The UsernameToken every message carries (`sp:SignedSupportingTokens`), as WCF states it for
/// `TransportWithMessageCredential` with a user name.
fn username_token() -> Element {
    let token = Element::new("sp:UsernameToken")
        .attr(
            "sp:IncludeToken",
            "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy/IncludeToken/AlwaysToRecipient",
        )
        .child(Element::new("wsp:Policy").child(Element::new("sp:WssUsernameToken10")));
    Element::new("sp:SignedSupportingTokens")
        .attr("xmlns:sp", SP)
        .child(Element::new("wsp:Policy").child(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::Binding;
    use crate::security::{
        HttpClientCredentialType, HttpSecurity, TcpClientCredentialType, TcpSecurity,
    };

    fn assertions(description: &BindingDescription) -> String {
        description
            .assertions()
            .iter()
            .map(Element::to_fragment)
            .collect()
    }

    #[test]
    fn each_binding_states_what_it_carries() {
        let tcp = crate::NetTcpBinding::new().describe();
        assert_eq!(
            (tcp.name, tcp.scheme, tcp.soap_prefix()),
            ("NetTcpBinding", "net.tcp", "soap12")
        );
        assert_eq!(tcp.transport_uri(), TCP_TRANSPORT_URI);
        assert_eq!(
            assertions(&tcp),
            format!(r#"<msb:BinaryEncoding xmlns:msb="{MSB}"/><wsaw:UsingAddressing/>"#)
        );

        let basic = crate::BasicHttpBinding::new().describe();
        assert_eq!(
            (basic.soap_prefix(), basic.transport_uri()),
            ("soap", HTTP_TRANSPORT_URI)
        );
        assert!(!basic.has_policy(), "plain BasicHttpBinding states nothing");

        let https = crate::BasicHttpBinding::new()
            .with_security(HttpSecurity::transport(
                HttpClientCredentialType::Certificate,
            ))
            .describe();
        assert_eq!(https.scheme, "https");
        assert!(assertions(&https).contains(r#"<sp:HttpsToken RequireClientCertificate="true"/>"#));

        let username = crate::BasicHttpBinding::new()
            .with_security(HttpSecurity::transport_with_message_credential())
            .describe();
        let text = assertions(&username);
        assert!(
            text.contains(r#"<sp:HttpsToken RequireClientCertificate="false"/>"#),
            "{text}"
        );
        assert!(text.contains("<sp:WssUsernameToken10/>"), "{text}");

        let windows = crate::NetTcpBinding::new()
            .with_security(TcpSecurity::transport(TcpClientCredentialType::Windows))
            .describe();
        assert!(assertions(&windows).contains(
            "<msf:WindowsTransportSecurity xmlns:msf=\"http://schemas.microsoft.com/ws/2006/05/framing/policy\"><msf:ProtectionLevel>EncryptAndSign</msf:ProtectionLevel>"
        ));

        let ws = crate::WsHttpBinding::new().describe();
        assert_eq!(ws.name, "WSHttpBinding", "WCF's spelling");
    }

    #[test]
    fn reliable_sessions_state_their_version_and_timings() {
        let rm10 = crate::NetTcpBinding::new()
            .with_reliable_session()
            .describe();
        let text = assertions(&rm10);
        assert!(
            text.starts_with(&format!(
                r#"<wsrm:RMAssertion xmlns:wsrm="{WSRM10_POLICY}">"#
            )),
            "{text}"
        );
        assert!(text.contains(r#"<wsrm:InactivityTimeout Milliseconds="600000"/>"#));
        assert!(text.contains(r#"<wsrm:AcknowledgementInterval Milliseconds="200"/>"#));

        let rm11 = crate::NetTcpBinding::new()
            .with_reliable_session()
            .with_version(ReliableMessagingVersion::WsReliableMessaging11)
            .describe();
        let text = assertions(&rm11);
        assert!(
            text.contains("<wsrmp:ExactlyOnce/><wsrmp:InOrder/>"),
            "{text}"
        );
        assert!(
            text.contains(r#"<netrmp:InactivityTimeout Milliseconds="600000"/>"#),
            "{text}"
        );
    }
}
