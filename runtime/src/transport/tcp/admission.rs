//! Which accepted connections a listener keeps while their preambles are pending, as a sans-IO
//! table: the socket side asks it before and after each accept and carries out what it says.
//!
//! WCF bounds the connections accepted but not yet handed to a channel
//! (`MaxPendingConnections`) and stops accepting when the bound is reached. Against sockets
//! that connect and then say nothing, that lets a few hundred idle connections lock every
//! well-behaved client out until the ChannelInitializationTimeout (30 s) frees their slots.
//! So here a full table sheds instead: a new connection takes the place of the oldest one that
//! has not sent a single framing record, or failing that the oldest one still inside its
//! preamble. Connections that finished their preamble and wait for the host to take them are
//! never shed; only when every slot holds one does accepting pause, as in WCF.

use std::collections::BTreeMap;

/// How far a pending connection has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Accepted; no complete framing record yet.
    Silent,
    /// At least one preamble record has arrived, but not PreambleEnd.
    Partial,
    /// The preamble is accepted; the connection waits for the host to take it.
    Handshaken,
}

/// Identifies a pending connection; ids grow with accept order, so the smallest is the oldest.
pub(crate) type PendingId = u64;

/// The answer to [`PendingTable::admit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// The connection is pending under `id`; `shed`, if any, must be closed to make room.
    Admitted {
        id: PendingId,
        shed: Option<PendingId>,
    },
    /// Every slot holds a handshaken connection: do not accept until one is taken.
    Full,
}

/// The pending connections of one listener.
#[derive(Debug)]
pub(crate) struct PendingTable {
    max: usize,
    next_id: PendingId,
    /// Ordered by id, that is by accept time.
    entries: BTreeMap<PendingId, Stage>,
}

impl PendingTable {
    /// A table of at most `max` connections (at least one).
    pub(crate) fn new(max: usize) -> Self {
        PendingTable {
            max: max.max(1),
            next_id: 0,
            entries: BTreeMap::new(),
        }
    }

    /// Takes a newly accepted connection, shedding a silent one if the table is full.
    pub(crate) fn admit(&mut self) -> Admission {
        let shed = if self.entries.len() < self.max {
            None
        } else {
            match self.victim() {
                Some(victim) => {
                    self.entries.remove(&victim);
                    Some(victim)
                }
                None => return Admission::Full,
            }
        };
        let id = self.next_id;
        self.next_id += 1;
        self.entries.insert(id, Stage::Silent);
        Admission::Admitted { id, shed }
    }

    /// Whether [`admit`](Self::admit) would admit now: a free slot, or one to shed.
    pub(crate) fn has_room(&self) -> bool {
        self.entries.len() < self.max || self.victim().is_some()
    }

    /// The connection to shed: the oldest silent one, else the oldest partial one.
    fn victim(&self) -> Option<PendingId> {
        let oldest = |stage: Stage| {
            self.entries
                .iter()
                .find(|(_, s)| **s == stage)
                .map(|(id, _)| *id)
        };
        oldest(Stage::Silent).or_else(|| oldest(Stage::Partial))
    }

    /// Records a preamble record from `id`.
    pub(crate) fn progressed(&mut self, id: PendingId) {
        if let Some(stage @ Stage::Silent) = self.entries.get_mut(&id) {
            *stage = Stage::Partial;
        }
    }

    /// Records that `id` finished its preamble: it can no longer be shed.
    pub(crate) fn handshaken(&mut self, id: PendingId) {
        if let Some(stage) = self.entries.get_mut(&id) {
            *stage = Stage::Handshaken;
        }
    }

    /// Whether `id` is still pending (it was neither shed nor removed).
    #[cfg(test)]
    pub(crate) fn contains(&self, id: PendingId) -> bool {
        self.entries.contains_key(&id)
    }

    /// Forgets `id`: it was taken by the host, refused, timed out or closed. Returns whether it
    /// was pending.
    pub(crate) fn remove(&mut self, id: PendingId) -> bool {
        self.entries.remove(&id).is_some()
    }

    /// How many connections are pending.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(admission: Admission) -> (PendingId, Option<PendingId>) {
        match admission {
            Admission::Admitted { id, shed } => (id, shed),
            Admission::Full => panic!("expected admission"),
        }
    }

    #[test]
    fn admits_up_to_the_limit_without_shedding() {
        let mut table = PendingTable::new(3);
        for expected in 0..3 {
            assert_eq!(admitted(table.admit()), (expected, None));
        }
        assert_eq!(table.len(), 3);
    }

    #[test]
    fn a_full_table_sheds_the_oldest_silent_connection() {
        let mut table = PendingTable::new(3);
        let (a, _) = admitted(table.admit());
        let (b, _) = admitted(table.admit());
        let (c, _) = admitted(table.admit());
        table.progressed(a);
        let (d, shed) = admitted(table.admit());
        // `a` has sent a record, so the oldest silent one, `b`, goes.
        assert_eq!(shed, Some(b));
        assert!(!table.contains(b));
        let (_, shed) = admitted(table.admit());
        assert_eq!(shed, Some(c));
        // `a` has sent a record, so the silent `d` goes before it although `a` is older.
        let (_, shed) = admitted(table.admit());
        assert_eq!(shed, Some(d));
        assert_eq!(table.len(), 3);
        assert!(table.contains(a));
    }

    #[test]
    fn partial_connections_are_shed_when_none_is_silent() {
        let mut table = PendingTable::new(2);
        let (a, _) = admitted(table.admit());
        let (b, _) = admitted(table.admit());
        table.progressed(a);
        table.progressed(b);
        assert_eq!(admitted(table.admit()).1, Some(a));
    }

    #[test]
    fn handshaken_connections_are_never_shed() {
        let mut table = PendingTable::new(2);
        let (a, _) = admitted(table.admit());
        let (b, _) = admitted(table.admit());
        table.handshaken(a);
        table.handshaken(b);
        assert!(!table.has_room());
        assert_eq!(table.admit(), Admission::Full);
        assert!(table.remove(a));
        assert!(table.has_room());
        assert_eq!(admitted(table.admit()).1, None);
        assert!(!table.remove(a));
    }

    #[test]
    fn a_limit_of_zero_still_admits_one() {
        let mut table = PendingTable::new(0);
        let (a, _) = admitted(table.admit());
        assert_eq!(admitted(table.admit()).1, Some(a));
    }
}
