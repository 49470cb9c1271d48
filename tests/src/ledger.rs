//! The ledger contract of the reliable-session suites: numbers sent one way in a session,
//! checked in order by the service, with a request-reply call to read the tally.

use serde::{Deserialize, Serialize};

/// What the ledger service saw of a session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Messages recorded.
    #[serde(rename = "Count")]
    pub count: u64,
    /// Messages that did not follow their predecessor (duplicates, gaps or reordering).
    #[serde(rename = "OutOfOrder")]
    pub out_of_order: u64,
    /// The last number recorded.
    #[serde(rename = "Last")]
    pub last: u64,
}

/// Numbers sent one way, checked in order by the service.
#[indigo::service_contract(session = Required, namespace = "http://example.org/ledger/")]
pub trait Ledger {
    /// Starts the session.
    #[operation(initiating)]
    async fn begin(&mut self);
    /// Records `n`; the client sends 1, 2, 3...
    #[operation(one_way, initiating = false)]
    async fn record(&mut self, n: u64);
    /// What has been recorded so far.
    #[operation(initiating = false)]
    async fn tally(&mut self) -> Tally;
    /// Ends the session.
    #[operation(initiating = false, terminating)]
    async fn finish(&mut self) -> Tally;
}

/// Counts what it receives and how much of it came out of order.
#[derive(Debug, Default)]
pub struct LedgerService(Tally);

impl Ledger for LedgerService {
    async fn begin(&mut self) {}
    async fn record(&mut self, n: u64) {
        if n != self.0.last + 1 {
            self.0.out_of_order += 1;
        }
        self.0.count += 1;
        self.0.last = n;
    }
    async fn tally(&mut self) -> Tally {
        self.0
    }
    async fn finish(&mut self) -> Tally {
        self.0
    }
}
