//! WCF's `ServiceThrottlingBehavior`: limits on concurrent calls, sessions and instances.
//! Over a limit, work waits for a slot; nothing is refused or dropped.

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The host's limits. Defaults are WCF's (.NET 4.x): 16 calls and 100 sessions per processor,
/// and instances up to their sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceThrottle {
    /// Calls running at once, across all sessions. Default 16 x processors.
    pub max_concurrent_calls: usize,
    /// Sessions (connections) being served at once; further connections are accepted but not
    /// read until a session ends. Default 100 x processors.
    pub max_concurrent_sessions: usize,
    /// Service instances alive at once. Default calls + sessions.
    pub max_concurrent_instances: usize,
}

impl Default for ServiceThrottle {
    fn default() -> Self {
        let processors = std::thread::available_parallelism().map_or(1, usize::from);
        let calls = 16 * processors;
        let sessions = 100 * processors;
        ServiceThrottle {
            max_concurrent_calls: calls,
            max_concurrent_sessions: sessions,
            max_concurrent_instances: calls + sessions,
        }
    }
}

/// A slot held while a call, session or instance is alive.
pub(crate) type Slot = Option<OwnedSemaphorePermit>;

/// The host-wide semaphores behind a [`ServiceThrottle`].
#[derive(Debug)]
pub(crate) struct Throttle {
    calls: Arc<Semaphore>,
    sessions: Arc<Semaphore>,
    instances: Arc<Semaphore>,
}

/// Waits for a slot. The semaphores are never closed, so this always gets one; a `None`
/// would only mean no limit applies.
async fn acquire(semaphore: &Arc<Semaphore>) -> Slot {
    semaphore.clone().acquire_owned().await.ok()
}

impl Throttle {
    pub(crate) fn new(limits: ServiceThrottle) -> Self {
        // A limit of zero would deadlock every caller; treat it as one.
        let semaphore = |n: usize| Arc::new(Semaphore::new(n.clamp(1, Semaphore::MAX_PERMITS)));
        Throttle {
            calls: semaphore(limits.max_concurrent_calls),
            sessions: semaphore(limits.max_concurrent_sessions),
            instances: semaphore(limits.max_concurrent_instances),
        }
    }

    pub(crate) async fn call(&self) -> Slot {
        acquire(&self.calls).await
    }

    pub(crate) async fn session(&self) -> Slot {
        acquire(&self.sessions).await
    }

    pub(crate) async fn instance(&self) -> Slot {
        acquire(&self.instances).await
    }
}
