//! The echo contract shared by the HTTP suite and the Mono interop suite (Mono's peer declares
//! the same `IEcho` in C#).

use indigo::message::{FaultCode, QualifiedName};
use indigo::Fault;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

/// The typed fault detail of `Fail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EchoFault {
    /// Why it failed: the text passed to `Fail`.
    #[serde(rename = "Reason")]
    pub reason: String,
}

/// A sessionless echo service.
#[indigo::service_contract(name = "IEcho", namespace = "http://example.org/echo/")]
pub trait Echo {
    /// Returns `text`; `"last-notify"` returns the last text passed to `notify`.
    #[operation]
    async fn echo(&self, text: String) -> String;
    /// Records `text`.
    #[operation(one_way)]
    async fn notify(&self, text: String);
    /// Always faults with reason "echo failed" and `text` as the detail.
    #[operation]
    async fn fail(&self, text: String) -> Result<String, Fault<EchoFault>>;
    /// Always faults without detail (WCF's plain `FaultException`): reason "refused {text}",
    /// code Sender with the subcode `Refused` in [`REFUSED_NAMESPACE`].
    #[operation]
    async fn refuse(&self, text: String) -> Result<String, Fault>;
}

/// The namespace of `Refuse`'s fault subcode.
pub const REFUSED_NAMESPACE: &str = "urn:example:echo";

/// The service behind [`Echo`].
#[derive(Debug, Default, Clone)]
pub struct EchoService {
    last_notified: Arc<Mutex<String>>,
}

impl Echo for EchoService {
    async fn echo(&self, text: String) -> String {
        if text == "last-notify" {
            return self
                .last_notified
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
        }
        text
    }

    async fn notify(&self, text: String) {
        *self.last_notified.lock().unwrap_or_else(|p| p.into_inner()) = text;
    }

    async fn fail(&self, text: String) -> Result<String, Fault<EchoFault>> {
        Err(Fault::new("echo failed", EchoFault { reason: text }))
    }

    async fn refuse(&self, text: String) -> Result<String, Fault> {
        Err(
            Fault::untyped(format!("refused {text}")).with_code(FaultCode::sender(
                QualifiedName::new(REFUSED_NAMESPACE, "Refused"),
            )),
        )
    }
}
