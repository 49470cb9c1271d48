//! Framing faults: the URIs a receiver puts in a Fault record (`0x08`) when it refuses a
//! preamble or a message (net-tcp.md §2), and what they mean to a client.

use crate::transport::TransportError;

/// The namespace every framing fault URI starts with.
pub const FAULT_NAMESPACE: &str = "http://schemas.microsoft.com/ws/2006/05/framing/faults/";

/// Builds a fault URI at compile time, so `uri()` can hand out `&'static str`.
macro_rules! fault_uri {
    ($name:literal) => {
        concat!(
            "http://schemas.microsoft.com/ws/2006/05/framing/faults/",
            $name
        )
    };
}

/// A framing fault that WCF defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FramingFault {
    /// No endpoint listens at the preamble's Via.
    EndpointNotFound,
    /// The framing mode is unknown or the endpoint does not serve it.
    UnsupportedMode,
    /// The framing major version is not 1.
    UnsupportedVersion,
    /// The endpoint's encoder does not accept the preamble's encoding.
    ContentTypeInvalid,
    /// The endpoint offers no stream upgrade of the requested kind.
    UpgradeInvalid,
    /// A message is larger than the receiver's limit (`MaxMessageSizeExceededFault` on the wire).
    MaxMessageSizeExceeded,
    /// The receiver refuses the connection under load.
    ServerTooBusy,
    /// Hosting could not activate the service behind the Via (IIS/WAS).
    ServiceActivationFailed,
    /// The endpoint exists but is not available (port sharing service).
    EndpointUnavailable,
    /// The port sharing service could not hand the connection over.
    ConnectionDispatchFailed,
    /// The Via is longer than the receiver accepts.
    ViaTooLong,
    /// The content type or upgrade name is longer than the receiver accepts.
    ContentTypeTooLong,
}

impl FramingFault {
    /// Every fault, for parsing.
    const ALL: [FramingFault; 12] = [
        FramingFault::EndpointNotFound,
        FramingFault::UnsupportedMode,
        FramingFault::UnsupportedVersion,
        FramingFault::ContentTypeInvalid,
        FramingFault::UpgradeInvalid,
        FramingFault::MaxMessageSizeExceeded,
        FramingFault::ServerTooBusy,
        FramingFault::ServiceActivationFailed,
        FramingFault::EndpointUnavailable,
        FramingFault::ConnectionDispatchFailed,
        FramingFault::ViaTooLong,
        FramingFault::ContentTypeTooLong,
    ];

    /// The fault's URI, as it travels in a Fault record.
    pub fn uri(self) -> &'static str {
        match self {
            FramingFault::EndpointNotFound => fault_uri!("EndpointNotFound"),
            FramingFault::UnsupportedMode => fault_uri!("UnsupportedMode"),
            FramingFault::UnsupportedVersion => fault_uri!("UnsupportedVersion"),
            FramingFault::ContentTypeInvalid => fault_uri!("ContentTypeInvalid"),
            FramingFault::UpgradeInvalid => fault_uri!("UpgradeInvalid"),
            // The only one whose name carries a "Fault" suffix on the wire.
            FramingFault::MaxMessageSizeExceeded => fault_uri!("MaxMessageSizeExceededFault"),
            FramingFault::ServerTooBusy => fault_uri!("ServerTooBusy"),
            FramingFault::ServiceActivationFailed => fault_uri!("ServiceActivationFailed"),
            FramingFault::EndpointUnavailable => fault_uri!("EndpointUnavailable"),
            FramingFault::ConnectionDispatchFailed => fault_uri!("ConnectionDispatchFailed"),
            FramingFault::ViaTooLong => fault_uri!("ViaTooLong"),
            FramingFault::ContentTypeTooLong => fault_uri!("ContentTypeTooLong"),
        }
    }

    /// The fault's name: the URI without the namespace.
    pub fn name(self) -> &'static str {
        // Every URI starts with the namespace (see `uri`), so the fallback never shows.
        let uri = self.uri();
        uri.strip_prefix(FAULT_NAMESPACE).unwrap_or(uri)
    }

    /// The fault a URI names, if WCF defines it. The comparison is exact, as in .NET.
    pub fn parse(uri: &str) -> Option<FramingFault> {
        Self::ALL.into_iter().find(|fault| fault.uri() == uri)
    }

    /// What the fault means, for error messages.
    fn description(self) -> &'static str {
        match self {
            FramingFault::EndpointNotFound => "no endpoint listens at the address",
            FramingFault::UnsupportedMode => "the server does not support the framing mode",
            FramingFault::UnsupportedVersion => "the server does not support the framing version",
            FramingFault::ContentTypeInvalid => {
                "the server's encoder does not accept the message encoding"
            }
            FramingFault::UpgradeInvalid => "the server does not support the stream upgrade",
            FramingFault::MaxMessageSizeExceeded => {
                "the message is larger than the service's MaxReceivedMessageSize (quota exceeded)"
            }
            FramingFault::ServerTooBusy => "the server is too busy",
            FramingFault::ServiceActivationFailed => "the service could not be activated",
            FramingFault::EndpointUnavailable => "the endpoint is unavailable",
            FramingFault::ConnectionDispatchFailed => "the connection could not be dispatched",
            FramingFault::ViaTooLong => "the address is too long for the server",
            FramingFault::ContentTypeTooLong => "the content type is too long for the server",
        }
    }
}

impl std::fmt::Display for FramingFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The error a client reports for a Fault record with `uri`, received from `address`.
pub(crate) fn fault_error(uri: &str, address: &str) -> TransportError {
    match FramingFault::parse(uri) {
        // The same mapping as .NET's EndpointNotFoundException, so callers can tell "wrong
        // address" apart from everything else.
        Some(FramingFault::EndpointNotFound) => {
            TransportError::EndpointNotFound(address.to_owned())
        }
        Some(fault) => TransportError::Framing(format!(
            "the server sent framing fault {}: {}",
            fault.uri(),
            fault.description()
        )),
        None => {
            TransportError::Framing(format!("the server sent unrecognized framing fault {uri}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip() {
        for fault in FramingFault::ALL {
            assert!(fault.uri().starts_with(FAULT_NAMESPACE));
            assert_eq!(FramingFault::parse(fault.uri()), Some(fault));
        }
        assert_eq!(
            FramingFault::MaxMessageSizeExceeded.uri(),
            "http://schemas.microsoft.com/ws/2006/05/framing/faults/MaxMessageSizeExceededFault"
        );
        assert_eq!(FramingFault::EndpointNotFound.name(), "EndpointNotFound");
        assert_eq!(FramingFault::parse("EndpointNotFound"), None);
        assert_eq!(
            FramingFault::parse(
                "https://schemas.microsoft.com/ws/2006/05/framing/faults/EndpointNotFound"
            ),
            None
        );
    }

    #[test]
    fn client_mapping() {
        assert_eq!(
            fault_error(FramingFault::EndpointNotFound.uri(), "net.tcp://h/x"),
            TransportError::EndpointNotFound("net.tcp://h/x".to_owned())
        );
        let TransportError::Framing(text) =
            fault_error(FramingFault::ContentTypeInvalid.uri(), "net.tcp://h/x")
        else {
            panic!("expected a framing error");
        };
        assert!(text.contains("ContentTypeInvalid"), "{text}");
        let TransportError::Framing(text) = fault_error("urn:odd", "net.tcp://h/x") else {
            panic!("expected a framing error");
        };
        assert!(
            text.contains("unrecognized") && text.contains("urn:odd"),
            "{text}"
        );
    }
}
