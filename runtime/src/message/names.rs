//! XML names: qualified names and the namespace URIs Indigo writes and reads.

use std::fmt;

/// Namespace URIs used on the wire.
pub mod ns {
    /// SOAP 1.2 envelope.
    pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
    /// SOAP 1.1 envelope.
    pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
    /// WS-Addressing 1.0.
    pub const WSA10: &str = "http://www.w3.org/2005/08/addressing";
    /// The WS-Addressing 1.0 anonymous address (reply on the back channel).
    pub const WSA10_ANONYMOUS: &str = "http://www.w3.org/2005/08/addressing/anonymous";
    /// The action of a fault under WS-Addressing 1.0 that names no more specific action.
    pub const WSA10_FAULT_ACTION: &str = "http://www.w3.org/2005/08/addressing/soap/fault";
    /// The action WS-Addressing 1.0 defines for its own faults (ActionNotSupported and friends).
    pub const WSA10_ADDRESSING_FAULT_ACTION: &str = "http://www.w3.org/2005/08/addressing/fault";
    /// WS-Security 1.0's namespace (`wsse`): its faults (`FailedAuthentication`,
    /// `InvalidSecurity`) and its `Security` header.
    pub const WSSE: &str =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    /// WCF's dispatcher fault namespace (SessionTerminated, InternalServiceFault, ...).
    pub const WCF_DISPATCHER: &str =
        "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher";
    /// The action WCF puts on dispatcher faults.
    pub const WCF_DISPATCHER_FAULT_ACTION: &str =
        "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher/fault";
    /// XML Schema: the names of the primitive contracts (`int`, `decimal`, `dateTime`...).
    pub const XSD: &str = "http://www.w3.org/2001/XMLSchema";
    /// XML Schema instance (`i:nil`, `i:type`).
    pub const XSI: &str = crate::xml::XSI;
    /// DataContractSerializer's namespace for collections of primitives.
    pub const DC_ARRAYS: &str = "http://schemas.microsoft.com/2003/10/Serialization/Arrays";
    /// DataContractSerializer's serialization namespace (`z:Id`, char, guid, duration).
    pub const DC_SERIALIZATION: &str = "http://schemas.microsoft.com/2003/10/Serialization/";
    /// The data-contract namespace of a type in the global CLR namespace: Indigo's default for
    /// the members of user structs, so a C# type declared without a namespace matches.
    pub const DC_DEFAULT: &str = "http://schemas.datacontract.org/2004/07/";
    /// The XML namespace (`xml:lang`).
    pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
}

/// An XML name: namespace URI plus local name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QualifiedName {
    /// The namespace URI (empty for no namespace).
    pub namespace: String,
    /// The local name.
    pub local: String,
}

impl QualifiedName {
    /// A name in the given namespace.
    pub fn new(namespace: impl Into<String>, local: impl Into<String>) -> Self {
        QualifiedName {
            namespace: namespace.into(),
            local: local.into(),
        }
    }

    /// Whether this name is `local` in `namespace`.
    pub fn is(&self, namespace: &str, local: &str) -> bool {
        self.namespace == namespace && self.local == local
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            f.write_str(&self.local)
        } else {
            write!(f, "{{{}}}{}", self.namespace, self.local)
        }
    }
}
