//! The WS-RM faults of both versions with their subcodes (reference §1.4), and WCF's
//! `netrm:ConnectionLimitReached` nested subcode for a full listener (§2.7).

use super::settings::ReliableMessagingVersion;
use std::fmt;

/// The WCF namespace of `ConnectionLimitReached` (and `BufferRemaining`).
pub const NETRM_NAMESPACE: &str = "http://schemas.microsoft.com/ws/2006/05/rm";

/// The SOAP fault code class: who is at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SoapFaultCode {
    /// SOAP 1.2 `Sender` (1.1 `Client`): the message was wrong.
    Sender,
    /// SOAP 1.2 `Receiver` (1.1 `Server`): the receiver could not process it.
    Receiver,
}

/// The WS-RM fault subcode (`wsrm:FaultCodes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WsrmFaultCode {
    /// Both versions.
    SequenceTerminated,
    /// Both versions.
    UnknownSequence,
    /// Both versions.
    InvalidAcknowledgement,
    /// Both versions.
    MessageNumberRollover,
    /// Both versions.
    CreateSequenceRefused,
    /// 1.0 only.
    LastMessageNumberExceeded,
    /// 1.1 only.
    SequenceClosed,
    /// 1.1 only.
    WsrmRequired,
}

impl WsrmFaultCode {
    /// The local name of the subcode in the wsrm namespace, as the XSDs enumerate it. WCF
    /// writes `WsrmRequired`; the 1.1 XSD says `WSRMRequired`, which is what Indigo emits.
    pub const fn local_name(self) -> &'static str {
        match self {
            WsrmFaultCode::SequenceTerminated => "SequenceTerminated",
            WsrmFaultCode::UnknownSequence => "UnknownSequence",
            WsrmFaultCode::InvalidAcknowledgement => "InvalidAcknowledgement",
            WsrmFaultCode::MessageNumberRollover => "MessageNumberRollover",
            WsrmFaultCode::CreateSequenceRefused => "CreateSequenceRefused",
            WsrmFaultCode::LastMessageNumberExceeded => "LastMessageNumberExceeded",
            WsrmFaultCode::SequenceClosed => "SequenceClosed",
            WsrmFaultCode::WsrmRequired => "WSRMRequired",
        }
    }

    /// Parses a subcode local name; accepts WCF's `WsrmRequired` spelling too.
    pub fn from_local_name(name: &str) -> Option<Self> {
        Some(match name {
            "SequenceTerminated" => WsrmFaultCode::SequenceTerminated,
            "UnknownSequence" => WsrmFaultCode::UnknownSequence,
            "InvalidAcknowledgement" => WsrmFaultCode::InvalidAcknowledgement,
            "MessageNumberRollover" => WsrmFaultCode::MessageNumberRollover,
            "CreateSequenceRefused" => WsrmFaultCode::CreateSequenceRefused,
            "LastMessageNumberExceeded" => WsrmFaultCode::LastMessageNumberExceeded,
            "SequenceClosed" => WsrmFaultCode::SequenceClosed,
            "WSRMRequired" | "WsrmRequired" => WsrmFaultCode::WsrmRequired,
            _ => return None,
        })
    }

    /// Whether the version's XSD defines this subcode.
    pub const fn is_defined_in(self, version: ReliableMessagingVersion) -> bool {
        match self {
            WsrmFaultCode::LastMessageNumberExceeded => !version.is_11(),
            WsrmFaultCode::SequenceClosed | WsrmFaultCode::WsrmRequired => version.is_11(),
            _ => true,
        }
    }
}

/// A WS-RM fault, sent or received. The detail is the sequence identifier where the spec has
/// one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsrmFault {
    /// The sequence was terminated after an unrecoverable error. `code` is Receiver for local
    /// failures (WCF's MaxRetryCountExceeded, inactivity) and Sender for protocol violations.
    SequenceTerminated {
        /// The sequence.
        identifier: String,
        /// Who is at fault.
        code: SoapFaultCode,
        /// Why, in words.
        reason: String,
    },
    /// The identifier is not a known (or is a terminated) sequence.
    UnknownSequence {
        /// The unknown identifier.
        identifier: String,
    },
    /// An acknowledgement violates the cumulative invariant (for example, acks messages never
    /// sent).
    InvalidAcknowledgement {
        /// The sequence acknowledged.
        identifier: String,
        /// What was wrong with it.
        reason: String,
    },
    /// A message number exceeded the maximum.
    MessageNumberRollover {
        /// The sequence.
        identifier: String,
        /// The largest message number allowed.
        max_message_number: u64,
    },
    /// The CreateSequence request was refused.
    CreateSequenceRefused {
        /// Who is at fault (Receiver for a full listener).
        code: SoapFaultCode,
        /// Why, in words.
        reason: String,
        /// WCF's nested `netrm:ConnectionLimitReached` subcode: the listener is full
        /// (MaxPendingChannels); the client may retry.
        connection_limit_reached: bool,
    },
    /// 1.0: a message number is above the LastMessage number.
    LastMessageNumberExceeded {
        /// The sequence.
        identifier: String,
    },
    /// 1.1: the sequence is closed and accepts no new message.
    SequenceClosed {
        /// The sequence.
        identifier: String,
    },
    /// 1.1: the destination requires WS-RM but the message did not use it.
    WsrmRequired,
}

impl WsrmFault {
    /// The subcode.
    pub fn code(&self) -> WsrmFaultCode {
        match self {
            WsrmFault::SequenceTerminated { .. } => WsrmFaultCode::SequenceTerminated,
            WsrmFault::UnknownSequence { .. } => WsrmFaultCode::UnknownSequence,
            WsrmFault::InvalidAcknowledgement { .. } => WsrmFaultCode::InvalidAcknowledgement,
            WsrmFault::MessageNumberRollover { .. } => WsrmFaultCode::MessageNumberRollover,
            WsrmFault::CreateSequenceRefused { .. } => WsrmFaultCode::CreateSequenceRefused,
            WsrmFault::LastMessageNumberExceeded { .. } => WsrmFaultCode::LastMessageNumberExceeded,
            WsrmFault::SequenceClosed { .. } => WsrmFaultCode::SequenceClosed,
            WsrmFault::WsrmRequired => WsrmFaultCode::WsrmRequired,
        }
    }

    /// The SOAP code class (the spec's `[Code]`).
    pub fn soap_code(&self) -> SoapFaultCode {
        match self {
            WsrmFault::SequenceTerminated { code, .. }
            | WsrmFault::CreateSequenceRefused { code, .. } => *code,
            _ => SoapFaultCode::Sender,
        }
    }

    /// The sequence the fault is about (its `[Detail]`), if any.
    pub fn identifier(&self) -> Option<&str> {
        match self {
            WsrmFault::SequenceTerminated { identifier, .. }
            | WsrmFault::UnknownSequence { identifier }
            | WsrmFault::InvalidAcknowledgement { identifier, .. }
            | WsrmFault::MessageNumberRollover { identifier, .. }
            | WsrmFault::LastMessageNumberExceeded { identifier }
            | WsrmFault::SequenceClosed { identifier } => Some(identifier),
            WsrmFault::CreateSequenceRefused { .. } | WsrmFault::WsrmRequired => None,
        }
    }

    /// WCF's nested subcode under `wsrm:CreateSequenceRefused` (namespace, local name).
    pub fn nested_subcode(&self) -> Option<(&'static str, &'static str)> {
        match self {
            WsrmFault::CreateSequenceRefused {
                connection_limit_reached: true,
                ..
            } => Some((NETRM_NAMESPACE, "ConnectionLimitReached")),
            _ => None,
        }
    }

    /// The `[Reason]` text: the spec's wording, followed by the specific reason where there is
    /// one.
    pub fn reason(&self) -> String {
        match self {
            WsrmFault::SequenceTerminated { reason, .. } => format!(
                "The Sequence has been terminated due to an unrecoverable error. {reason}"
            ),
            WsrmFault::UnknownSequence { .. } => {
                "The value of wsrm:Identifier is not a known Sequence identifier.".to_owned()
            }
            WsrmFault::InvalidAcknowledgement { reason, .. } => format!(
                "The SequenceAcknowledgement violates the cumulative Acknowledgement invariant. {reason}"
            ),
            WsrmFault::MessageNumberRollover { .. } => {
                "The maximum value for wsrm:MessageNumber has been exceeded.".to_owned()
            }
            WsrmFault::CreateSequenceRefused { reason, .. } => format!(
                "The Create Sequence request has been refused by the RM Destination. {reason}"
            ),
            WsrmFault::LastMessageNumberExceeded { .. } => "The value for wsrm:MessageNumber \
                exceeds the value of the MessageNumber accompanying a LastMessage element in \
                this Sequence."
                .to_owned(),
            WsrmFault::SequenceClosed { .. } => {
                "The Sequence is closed and cannot accept new messages.".to_owned()
            }
            WsrmFault::WsrmRequired => "The RM Destination requires the use of WSRM.".to_owned(),
        }
    }

    /// WCF's refusal of a full listener: Receiver, CreateSequenceRefused,
    /// ConnectionLimitReached, "Server '{uri}' is too busy..." (reference §2.7).
    pub fn connection_limit_reached(server: &str) -> Self {
        WsrmFault::CreateSequenceRefused {
            code: SoapFaultCode::Receiver,
            reason: format!(
                "Server '{server}' is too busy to process this request. Try again later."
            ),
            connection_limit_reached: true,
        }
    }
}

impl fmt::Display for WsrmFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wsrm:{}", self.code().local_name())?;
        if let Some((_, nested)) = self.nested_subcode() {
            write!(f, "/netrm:{nested}")?;
        }
        if let Some(id) = self.identifier() {
            write!(f, " ({id})")?;
        }
        write!(f, ": {}", self.reason())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReliableMessagingVersion::*;

    #[test]
    fn subcodes_per_version() {
        use WsrmFaultCode::*;
        for code in [
            SequenceTerminated,
            UnknownSequence,
            InvalidAcknowledgement,
            MessageNumberRollover,
            CreateSequenceRefused,
        ] {
            assert!(code.is_defined_in(WsReliableMessagingFebruary2005));
            assert!(code.is_defined_in(WsReliableMessaging11));
            assert_eq!(
                WsrmFaultCode::from_local_name(code.local_name()),
                Some(code)
            );
        }
        assert!(LastMessageNumberExceeded.is_defined_in(WsReliableMessagingFebruary2005));
        assert!(!LastMessageNumberExceeded.is_defined_in(WsReliableMessaging11));
        assert!(!SequenceClosed.is_defined_in(WsReliableMessagingFebruary2005));
        assert!(SequenceClosed.is_defined_in(WsReliableMessaging11));
        assert_eq!(WsrmRequired.local_name(), "WSRMRequired");
        assert_eq!(
            WsrmFaultCode::from_local_name("WsrmRequired"),
            Some(WsrmRequired)
        );
        assert_eq!(WsrmFaultCode::from_local_name("Bogus"), None);
    }

    #[test]
    fn connection_limit_reached_is_wcfs() {
        let f = WsrmFault::connection_limit_reached("http://host/svc");
        assert_eq!(f.code(), WsrmFaultCode::CreateSequenceRefused);
        assert_eq!(f.soap_code(), SoapFaultCode::Receiver);
        assert_eq!(
            f.nested_subcode(),
            Some((NETRM_NAMESPACE, "ConnectionLimitReached"))
        );
        assert!(f.reason().contains("Server 'http://host/svc' is too busy"));
        assert!(f
            .to_string()
            .starts_with("wsrm:CreateSequenceRefused/netrm:ConnectionLimitReached"));
        let unknown = WsrmFault::UnknownSequence {
            identifier: "urn:x".into(),
        };
        assert_eq!(unknown.identifier(), Some("urn:x"));
        assert_eq!(unknown.soap_code(), SoapFaultCode::Sender);
    }
}
