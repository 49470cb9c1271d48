//! The echo contract shared by the HTTP suite and the Mono interop suite (Mono's peer declares
//! the same `IEcho` in C#).

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
}

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
}
