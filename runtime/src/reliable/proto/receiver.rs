//! The receiving side (RM destination) of one sequence: duplicate detection, ordered or
//! unordered delivery with a bounded buffer, LastMessage (1.0) and CloseSequence /
//! TerminateSequence (1.1) bookkeeping, and when to acknowledge (reference §2.6; RS
//! `ReliableInputConnection.cs`, `DeliveryStrategy.cs`, `ReliableDuplexSessionChannel.cs`).
//!
//! Memory is bounded by the quota (MaxTransferWindowSize): ordered delivery buffers at most
//! `quota` numbers past the next expected one, and delivered messages count against the quota
//! until the application has taken them ([`Receiver::dequeued`]), which is what
//! `BufferRemaining` reports to the sender.

use super::messages::SequenceAcknowledgement;
use super::ranges::{RangeSet, DEFAULT_MAX_RANGES, MAX_MESSAGE_NUMBER};
use super::settings::{ReliableMessagingVersion, ReliableSessionSettings};
use super::time::Timestamp;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// What the receiver needs from the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverConfig {
    /// MaxTransferWindowSize: the buffer quota.
    pub quota: u32,
    /// Ordered delivery.
    pub ordered: bool,
    /// FlowControlEnabled: send `BufferRemaining`.
    pub flow_control: bool,
    /// The protocol version.
    pub version: ReliableMessagingVersion,
    /// AcknowledgementInterval.
    pub acknowledgement_interval: Duration,
    /// Bound on disjoint ranges (WCF's MaxSequenceRanges, 128).
    pub max_ranges: usize,
}

impl ReceiverConfig {
    /// The receiver's part of the settings.
    pub fn from_settings(settings: &ReliableSessionSettings) -> Self {
        ReceiverConfig {
            quota: settings.max_transfer_window_size(),
            ordered: settings.ordered(),
            flow_control: settings.flow_control_enabled(),
            version: settings.reliable_messaging_version(),
            acknowledgement_interval: settings.acknowledgement_interval(),
            max_ranges: DEFAULT_MAX_RANGES,
        }
    }
}

/// A message the receiver refuses; the session answers with the matching fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiveError {
    /// Message numbers start at 1.
    #[error("message number 0 is not valid")]
    ZeroMessageNumber,
    /// The number reached the WS-RM maximum (MessageNumberRollover).
    #[error("message number {0} reached the maximum message number")]
    Rollover(u64),
    /// 1.0: the number is past the LastMessage number, or a LastMessage is not above the
    /// highest number received (LastMessageNumberExceeded).
    #[error("message number {number} is inconsistent with the last message number {last}")]
    LastMessageNumberExceeded {
        /// The offending number.
        number: u64,
        /// The last number as known (or the highest received, for a bad LastMessage).
        last: u64,
    },
    /// 1.1: a new message after CloseSequence (SequenceClosed; the message is dropped and an
    /// ack forced).
    #[error("message {0} arrived after the sequence was closed")]
    SequenceClosed(u64),
    /// A new message arrived after the local side started closing, before the peer ended its
    /// sequence (WCF: 1.0 SequenceTerminated, 1.1 SequenceClosed).
    #[error("message {0} arrived after the session began closing")]
    ClosedBeforeDone(u64),
    /// 1.1 CloseSequence or TerminateSequence with a LastMsgNumber below the highest received
    /// or inconsistent with an earlier one (WCF R1302).
    #[error(
        "LastMsgNumber {given} is inconsistent with the messages received (highest {highest})"
    )]
    InconsistentLastMessageNumber {
        /// The number the peer gave.
        given: u64,
        /// The highest number received.
        highest: u64,
    },
    /// TerminateSequence while messages are missing: the peer gave up on them.
    #[error("the sequence was terminated with messages missing below {last}")]
    Incomplete {
        /// The last message number.
        last: u64,
    },
}

/// What happened to an incoming sequence message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiveOutcome {
    /// New: stored, and delivered if in order (see [`Receiver::pop_ready`]).
    Accepted,
    /// Already received: dropped, acknowledged again.
    Duplicate,
    /// No room (beyond the window, or too many ranges): dropped without acknowledgement, so
    /// the sender retransmits it later, as WCF does.
    Dropped,
    /// Refused: the session sends the matching fault.
    Refused(ReceiveError),
}

/// Counters for observability and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReceiverStats {
    /// New messages accepted.
    pub accepted: u64,
    /// Duplicates received (each a wasted transmission).
    pub duplicates: u64,
    /// Messages dropped for lack of room.
    pub dropped: u64,
    /// Acknowledgements produced.
    pub acks: u64,
}

/// The RM destination of one sequence.
#[derive(Debug)]
pub struct Receiver<T> {
    config: ReceiverConfig,
    received: RangeSet,
    /// Ordered: the next number to deliver (WCF's `windowStart`).
    next_expected: u64,
    /// Ordered: out-of-order messages held until the gap fills.
    buffer: BTreeMap<u64, T>,
    /// Delivered, not yet handed to the session.
    ready: VecDeque<T>,
    /// Delivered and not yet dequeued by the application (WCF's pending items).
    undelivered: u32,
    last: Option<u64>,
    closed: bool,
    terminated: bool,
    pending_acks: u32,
    ack_deadline: Option<Timestamp>,
    ack_now: bool,
    /// Something changed since the last ack went out.
    changed: bool,
    last_ack_at: Option<Timestamp>,
    /// BufferRemaining of the last ack (flow control on).
    advertised_remaining: Option<u32>,
    /// Messages accepted above a gap since the last ack.
    out_of_order_since_ack: u32,
    stats: ReceiverStats,
}

/// Messages accepted above a gap before the receiver acknowledges at once, so that the
/// sender learns of the loss a round trip after it happened instead of at the next
/// AckRequested or AcknowledgementInterval. Three, as TCP's duplicate-ack threshold: the
/// sender's fast retransmission wants three later messages acknowledged as evidence of loss
/// rather than reordering, so an earlier ack would not trigger it.
pub const GAP_ACK_EVIDENCE: u32 = 3;

impl<T> Receiver<T> {
    /// An empty receiver.
    pub fn new(config: ReceiverConfig) -> Self {
        let quota = config.quota.max(1);
        Receiver {
            received: RangeSet::with_max_ranges(config.max_ranges),
            config: ReceiverConfig { quota, ..config },
            next_expected: 1,
            buffer: BTreeMap::new(),
            ready: VecDeque::new(),
            undelivered: 0,
            last: None,
            closed: false,
            terminated: false,
            pending_acks: 0,
            ack_deadline: None,
            ack_now: false,
            changed: false,
            last_ack_at: None,
            advertised_remaining: None,
            out_of_order_since_ack: 0,
            stats: ReceiverStats::default(),
        }
    }

    /// The numbers received.
    pub fn received(&self) -> &RangeSet {
        &self.received
    }

    /// The last message number, once known.
    #[cfg(test)]
    pub fn last(&self) -> Option<u64> {
        self.last
    }

    /// Messages counted against the quota: held out of order plus delivered but not dequeued
    /// (WCF's `EnqueuedCount`).
    pub fn enqueued(&self) -> u32 {
        self.undelivered
            .saturating_add(u32::try_from(self.buffer.len()).unwrap_or(u32::MAX))
    }

    /// Delivered messages the application has not dequeued yet.
    #[cfg(test)]
    pub fn undelivered(&self) -> u32 {
        self.undelivered
    }

    /// Messages held out of order.
    #[cfg(test)]
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Counters.
    #[cfg(test)]
    pub fn stats(&self) -> ReceiverStats {
        self.stats
    }

    /// Whether the peer's sequence is known to end and every message up to its end was
    /// received and delivered.
    pub fn is_complete(&self) -> bool {
        match self.last {
            Some(last) => self.received.covers(1, last) && self.buffer.is_empty(),
            None => false,
        }
    }

    /// Whether TerminateSequence was accepted.
    pub fn is_terminated(&self) -> bool {
        self.terminated
    }

    /// Whether the sequence is closed to new messages (1.1 CloseSequence or terminated).
    pub fn is_closed(&self) -> bool {
        self.closed || self.terminated
    }

    /// A delivered message, in delivery order.
    pub fn pop_ready(&mut self) -> Option<T> {
        self.ready.pop_front()
    }

    /// The application took `count` delivered messages: their buffers are free again. If the
    /// last ack advertised no buffer, ack at once so the sender can resume (WCF does the same
    /// when an item is dequeued). Indigo also acks at once when half the quota has come free
    /// since the last ack, or all of it (window updates, as TCP's): the ack answering
    /// AckRequested is made when the window's last message arrives, before the application
    /// has dequeued the window, so its BufferRemaining is small, and without an update the
    /// sender waits a round trip for the next ack with every window: half the goodput on a
    /// long link.
    pub fn dequeued(&mut self, count: u32) {
        let before = self.undelivered;
        self.undelivered = self.undelivered.saturating_sub(count);
        if self.undelivered == before {
            return;
        }
        self.changed = true;
        if let (true, Some(advertised)) = (self.config.flow_control, self.advertised_remaining) {
            let remaining = self.buffer_remaining();
            let update = (self.config.quota / 2).max(1);
            if advertised == 0
                || remaining >= advertised.saturating_add(update)
                || (remaining == self.config.quota && advertised < remaining)
            {
                self.ack_now = true;
            }
        }
    }

    /// WCF's `GetBufferRemaining`: the quota less what is held (buffered or not yet dequeued).
    fn buffer_remaining(&self) -> u32 {
        self.config.quota.saturating_sub(self.enqueued())
    }

    /// WCF's `IsValid`: 1.0 numbers must respect LastMessage; 1.1 after CloseSequence only
    /// numbers already received are valid.
    fn check_valid(&self, number: u64, last_message: bool) -> Result<(), ReceiveError> {
        if self.config.version.is_11() {
            if self.is_closed() && !self.received.contains(number) {
                return Err(ReceiveError::SequenceClosed(number));
            }
            return Ok(());
        }
        match (last_message, self.last) {
            (true, None) => match self.received.highest() {
                Some(highest) if number <= highest => {
                    Err(ReceiveError::LastMessageNumberExceeded {
                        number,
                        last: highest,
                    })
                }
                _ => Ok(()),
            },
            (true, Some(last)) if number != last => {
                Err(ReceiveError::LastMessageNumberExceeded { number, last })
            }
            (false, Some(last)) if number > last => {
                Err(ReceiveError::LastMessageNumberExceeded { number, last })
            }
            _ => Ok(()),
        }
    }

    /// Asks for an acknowledgement now: the message carried AckRequested, or was a duplicate.
    /// A peer can send these as fast as it likes, so when nothing changed since the last ack
    /// and that ack is younger than AcknowledgementInterval, the answer waits for the ack
    /// timer instead: at most one redundant ack per interval, whatever the request rate.
    pub fn request_ack(&mut self, now: Timestamp) {
        let recent = self
            .last_ack_at
            .is_some_and(|at| now.saturating_since(at) < self.config.acknowledgement_interval);
        if self.changed || !recent {
            self.ack_now = true;
        } else if self.ack_deadline.is_none() {
            self.ack_deadline = self
                .last_ack_at
                .map(|at| at + self.config.acknowledgement_interval);
        }
    }

    fn schedule_ack(&mut self, now: Timestamp, ack_requested: bool) {
        self.pending_acks = self.pending_acks.saturating_add(1);
        // WCF acks at once when asked, when the end is known, or when a window's worth is
        // pending; otherwise it arms the acknowledgement timer once.
        if ack_requested || self.last.is_some() || self.pending_acks >= self.config.quota {
            self.ack_now = true;
        } else if self.ack_deadline.is_none() {
            self.ack_deadline = Some(now + self.config.acknowledgement_interval);
        }
    }

    /// WCF's ordered `CanEnqueue`: room in the quota, and the number within the quota past the
    /// next expected one once delivered-but-unconsumed messages are counted.
    fn can_enqueue(&self, number: u64) -> bool {
        let quota = u64::from(self.config.quota);
        if u64::from(self.enqueued()) >= quota {
            return false;
        }
        if self.config.ordered {
            let ahead = number.saturating_sub(self.next_expected);
            u64::from(self.undelivered).saturating_add(ahead) < quota
                && self.received.can_insert(number)
        } else {
            self.received.can_insert(number)
        }
    }

    /// Releases the in-order run starting at the next expected number.
    fn release(&mut self) {
        loop {
            if let Some(payload) = self.buffer.remove(&self.next_expected) {
                self.ready.push_back(payload);
                self.undelivered = self.undelivered.saturating_add(1);
                self.next_expected += 1;
            } else if self.last == Some(self.next_expected)
                && self.received.contains(self.next_expected)
            {
                // WCF's empty LastMessage: received, nothing to deliver.
                self.next_expected += 1;
            } else {
                break;
            }
        }
    }

    /// Processes one sequence message, with WCF's checks in WCF's order (reference §2.6).
    /// `payload: None` is an empty-bodied 1.0 LastMessage. `closing` is true when the local
    /// side has begun closing.
    pub fn on_message(
        &mut self,
        now: Timestamp,
        number: u64,
        payload: Option<T>,
        last_message: bool,
        ack_requested: bool,
        closing: bool,
    ) -> ReceiveOutcome {
        if number == 0 {
            return ReceiveOutcome::Refused(ReceiveError::ZeroMessageNumber);
        }
        if number >= MAX_MESSAGE_NUMBER {
            return ReceiveOutcome::Refused(ReceiveError::Rollover(number));
        }
        if let Err(e) = self.check_valid(number, last_message) {
            if matches!(e, ReceiveError::SequenceClosed(_)) {
                self.ack_now = true; // WCF forces an ack with the SequenceClosed fault
            }
            return ReceiveOutcome::Refused(e);
        }
        if self.received.contains(number) {
            self.stats.duplicates += 1;
            self.request_ack(now);
            return ReceiveOutcome::Duplicate;
        }
        let Some(payload) = payload else {
            // 1.0 LastMessage without a body: merge, no delivery, ack at once.
            if !last_message || !self.received.can_insert(number) {
                self.stats.dropped += 1;
                return ReceiveOutcome::Dropped;
            }
            self.received.insert(number);
            self.last = Some(number);
            self.changed = true;
            self.stats.accepted += 1;
            self.release();
            self.schedule_ack(now, true);
            return ReceiveOutcome::Accepted;
        };
        if closing && self.last.is_none() {
            if self.config.version.is_11() {
                self.ack_now = true;
            }
            return ReceiveOutcome::Refused(ReceiveError::ClosedBeforeDone(number));
        }
        if !self.can_enqueue(number) {
            self.stats.dropped += 1;
            return ReceiveOutcome::Dropped;
        }
        // Loss shows as a gap: say so promptly (see GAP_ACK_EVIDENCE), and say at once when a
        // retransmission fills one, so the sender's window slides without waiting.
        let fills_gap = self.received.highest().is_some_and(|h| number < h);
        let above_gap = number > 1 && !self.received.covers(1, number - 1);
        if above_gap {
            self.out_of_order_since_ack = self.out_of_order_since_ack.saturating_add(1);
        }
        let ack_at_once =
            fills_gap || (above_gap && self.out_of_order_since_ack >= GAP_ACK_EVIDENCE);
        self.received.insert(number);
        self.changed = true;
        self.stats.accepted += 1;
        if last_message {
            self.last = Some(number);
        }
        if self.config.ordered {
            self.buffer.insert(number, payload);
            self.release();
        } else {
            self.ready.push_back(payload);
            self.undelivered = self.undelivered.saturating_add(1);
        }
        self.schedule_ack(now, ack_requested || ack_at_once);
        ReceiveOutcome::Accepted
    }

    fn check_last_number(&self, given: Option<u64>) -> Result<u64, ReceiveError> {
        let highest = self.received.highest().unwrap_or(0);
        let last = given.or(self.last).unwrap_or(highest);
        if last < highest || self.last.is_some_and(|known| known != last) {
            return Err(ReceiveError::InconsistentLastMessageNumber {
                given: last,
                highest,
            });
        }
        Ok(last)
    }

    /// 1.1 CloseSequence: no new message is accepted from now on. Missing messages stay
    /// missing; the Final ack tells the sender.
    pub fn close(&mut self, last_msg_number: Option<u64>) -> Result<(), ReceiveError> {
        let last = self.check_last_number(last_msg_number)?;
        self.last = Some(last);
        self.closed = true;
        self.changed = true;
        self.release();
        Ok(())
    }

    /// TerminateSequence. In 1.1 the last number must match what was received, with no holes
    /// (WCF faults otherwise); in 1.0 the sequence must be complete.
    pub fn terminate(&mut self, last_msg_number: Option<u64>) -> Result<(), ReceiveError> {
        let last = if self.config.version.is_11() {
            self.check_last_number(last_msg_number)?
        } else {
            self.last.unwrap_or(0)
        };
        if self.last.is_none() && !self.config.version.is_11() {
            return Err(ReceiveError::Incomplete {
                last: self.received.highest().unwrap_or(0),
            });
        }
        if !self.received.covers(1, last) {
            return Err(ReceiveError::Incomplete { last });
        }
        self.last = Some(last);
        self.terminated = true;
        self.changed = true;
        self.release();
        Ok(())
    }

    /// When the acknowledgement timer fires.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.ack_deadline
    }

    /// Whether an acknowledgement should go out now (standalone if nothing to piggy-back on).
    pub fn ack_due(&self, now: Timestamp) -> bool {
        self.ack_now || self.ack_deadline.is_some_and(|d| d <= now)
    }

    /// Whether an acknowledgement is pending at all (worth piggy-backing on a message
    /// going out anyway).
    pub fn ack_pending(&self) -> bool {
        self.ack_now || self.ack_deadline.is_some()
    }

    /// Builds the acknowledgement for `identifier` and resets the ack state. Ranges are the
    /// received set; `Final` (1.1) once closed; `BufferRemaining = quota - enqueued` when flow
    /// control is on (WCF `GetBufferRemaining`).
    pub fn make_ack(&mut self, now: Timestamp, identifier: &str) -> SequenceAcknowledgement {
        let buffer_remaining = self.config.flow_control.then(|| self.buffer_remaining());
        self.advertised_remaining = buffer_remaining;
        self.out_of_order_since_ack = 0;
        self.pending_acks = 0;
        self.ack_deadline = None;
        self.ack_now = false;
        self.changed = false;
        self.last_ack_at = Some(now);
        self.stats.acks += 1;
        SequenceAcknowledgement {
            identifier: identifier.to_owned(),
            ranges: self.received.ranges().to_vec(),
            is_final: self.config.version.is_11() && self.is_closed(),
            nacks: Vec::new(),
            buffer_remaining,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reliable::proto::ranges::AckRange;
    use ReliableMessagingVersion::*;

    fn at(ms: u64) -> Timestamp {
        Timestamp::from_epoch(Duration::from_millis(ms))
    }
    fn config(ordered: bool, version: ReliableMessagingVersion) -> ReceiverConfig {
        ReceiverConfig {
            quota: 4,
            ordered,
            flow_control: true,
            version,
            acknowledgement_interval: Duration::from_millis(200),
            max_ranges: DEFAULT_MAX_RANGES,
        }
    }
    fn recv(r: &mut Receiver<u64>, now: u64, n: u64) -> ReceiveOutcome {
        r.on_message(at(now), n, Some(n), false, false, false)
    }
    fn ready(r: &mut Receiver<u64>) -> Vec<u64> {
        std::iter::from_fn(|| r.pop_ready()).collect()
    }
    fn ranges(ack: &SequenceAcknowledgement) -> Vec<(u64, u64)> {
        ack.ranges.iter().map(|r| (r.lower, r.upper)).collect()
    }

    #[test]
    fn ordered_delivery_buffers_out_of_order() {
        let mut r = Receiver::new(config(true, WsReliableMessagingFebruary2005));
        assert_eq!(recv(&mut r, 0, 2), ReceiveOutcome::Accepted);
        assert_eq!(recv(&mut r, 0, 3), ReceiveOutcome::Accepted);
        assert!(ready(&mut r).is_empty());
        assert_eq!(r.buffered(), 2);
        assert_eq!(recv(&mut r, 0, 1), ReceiveOutcome::Accepted);
        assert_eq!(ready(&mut r), vec![1, 2, 3]);
        assert_eq!(r.enqueued(), 3, "delivered but not dequeued");
    }

    #[test]
    fn beyond_the_window_is_dropped_without_ack() {
        let mut r = Receiver::new(config(true, WsReliableMessagingFebruary2005));
        // Quota 4, next expected 1: numbers 1..=4 fit, 5 does not.
        assert_eq!(recv(&mut r, 0, 5), ReceiveOutcome::Dropped);
        assert!(!r.ack_pending());
        assert_eq!(recv(&mut r, 0, 4), ReceiveOutcome::Accepted);
        // Delivered-but-unconsumed messages shrink the room: deliver 1, keep it undequeued.
        let mut r = Receiver::new(config(true, WsReliableMessagingFebruary2005));
        recv(&mut r, 0, 1);
        ready(&mut r);
        assert_eq!(
            recv(&mut r, 0, 5),
            ReceiveOutcome::Dropped,
            "1 pending + 3 ahead"
        );
        assert_eq!(recv(&mut r, 0, 4), ReceiveOutcome::Accepted);
        r.dequeued(1);
        assert_eq!(recv(&mut r, 0, 5), ReceiveOutcome::Accepted);
        assert_eq!(r.stats().dropped, 1);
    }

    #[test]
    fn duplicates_are_acked_not_delivered() {
        let mut r = Receiver::new(config(true, WsReliableMessagingFebruary2005));
        recv(&mut r, 0, 1);
        assert_eq!(ready(&mut r), vec![1]);
        let _ = r.make_ack(at(0), "s");
        assert_eq!(recv(&mut r, 500, 1), ReceiveOutcome::Duplicate);
        assert!(r.ack_due(at(500)), "a duplicate is acked at once");
        assert!(ready(&mut r).is_empty());
        assert_eq!(r.stats().duplicates, 1);
    }

    #[test]
    fn ack_timing_follows_wcf() {
        let mut r = Receiver::new(config(true, WsReliableMessagingFebruary2005));
        recv(&mut r, 0, 1);
        assert!(!r.ack_due(at(0)));
        assert_eq!(r.poll_timeout(), Some(at(200)));
        recv(&mut r, 50, 2);
        assert_eq!(r.poll_timeout(), Some(at(200)), "armed once");
        assert!(r.ack_due(at(200)));
        let ack = r.make_ack(at(200), "s");
        assert_eq!(ranges(&ack), vec![(1, 2)]);
        assert_eq!(ack.buffer_remaining, Some(2));
        assert!(!ack.is_final);
        assert!(!r.ack_pending());
        // AckRequested on the message: at once.
        r.on_message(at(300), 3, Some(3), false, true, false);
        assert!(r.ack_due(at(300)));
        let _ = r.make_ack(at(300), "s");
        // A window's worth pending: at once.
        r.dequeued(3);
        let mut r2 = Receiver::new(config(false, WsReliableMessagingFebruary2005));
        for n in 1..=3 {
            recv(&mut r2, 0, n);
            assert!(!r2.ack_due(at(0)));
        }
        recv(&mut r2, 0, 4);
        assert!(r2.ack_due(at(0)));
    }

    #[test]
    fn ack_request_storm_is_coalesced() {
        let mut r = Receiver::new(config(true, WsReliableMessagingFebruary2005));
        recv(&mut r, 0, 1);
        let _ = r.make_ack(at(0), "s");
        // Nothing changed, last ack 10 ms ago: wait for the timer (at 200 ms).
        r.request_ack(at(10));
        assert!(!r.ack_due(at(10)));
        assert_eq!(r.poll_timeout(), Some(at(200)));
        for t in 11..150 {
            r.request_ack(at(t));
            assert!(!r.ack_due(at(t)));
        }
        assert!(r.ack_due(at(200)));
        let _ = r.make_ack(at(200), "s");
        // After the interval a request is answered at once again.
        r.request_ack(at(400));
        assert!(r.ack_due(at(400)));
    }

    #[test]
    fn flow_control_reopens_with_an_ack_after_dequeue() {
        let mut r = Receiver::new(config(true, WsReliableMessagingFebruary2005));
        for n in 1..=4 {
            recv(&mut r, 0, n);
        }
        assert_eq!(ready(&mut r).len(), 4);
        let ack = r.make_ack(at(0), "s");
        assert_eq!(ack.buffer_remaining, Some(0));
        assert_eq!(recv(&mut r, 1, 5), ReceiveOutcome::Dropped);
        r.dequeued(2);
        assert!(
            r.ack_due(at(2)),
            "the sender is blocked on BufferRemaining 0"
        );
        assert_eq!(r.make_ack(at(2), "s").buffer_remaining, Some(2));
        let mut off = config(true, WsReliableMessagingFebruary2005);
        off.flow_control = false;
        let mut r = Receiver::<u64>::new(off);
        assert_eq!(r.make_ack(at(0), "s").buffer_remaining, None);
    }

    #[test]
    fn window_updates_when_half_or_all_of_the_quota_is_free() {
        let mut r = Receiver::new(config(true, WsReliableMessagingFebruary2005));
        for n in 1..=3 {
            recv(&mut r, 0, n);
        }
        assert_eq!(r.make_ack(at(0), "s").buffer_remaining, Some(1));
        ready(&mut r);
        r.dequeued(1);
        assert!(!r.ack_due(at(0)), "one more free is not worth an ack");
        r.dequeued(1);
        assert!(r.ack_due(at(0)), "half the quota (2 of 4) came free");
        assert_eq!(r.make_ack(at(0), "s").buffer_remaining, Some(3));
        r.dequeued(1);
        assert!(r.ack_due(at(0)), "everything is free");
        assert_eq!(r.make_ack(at(0), "s").buffer_remaining, Some(4));
    }

    #[test]
    fn gaps_are_acknowledged_promptly() {
        let mut cfg = config(true, WsReliableMessagingFebruary2005);
        cfg.quota = 16;
        let mut r = Receiver::new(cfg);
        recv(&mut r, 0, 1);
        let _ = r.make_ack(at(0), "s");
        // 2 is lost: the third message above the gap is acknowledged at once.
        recv(&mut r, 1, 3);
        recv(&mut r, 1, 4);
        assert!(!r.ack_due(at(1)));
        recv(&mut r, 1, 5);
        assert!(r.ack_due(at(1)));
        assert_eq!(ranges(&r.make_ack(at(1), "s")), [(1, 1), (3, 5)]);
        // The retransmission of 2 fills the gap: acknowledged at once too.
        recv(&mut r, 2, 2);
        assert!(r.ack_due(at(2)));
        assert_eq!(ranges(&r.make_ack(at(2), "s")), [(1, 5)]);
        // In-order messages still wait for the acknowledgement interval.
        recv(&mut r, 3, 6);
        assert!(!r.ack_due(at(3)));
    }

    #[test]
    fn unordered_delivers_immediately_and_bounds_ranges() {
        let mut cfg = config(false, WsReliableMessagingFebruary2005);
        cfg.quota = 100;
        cfg.max_ranges = 3;
        let mut r = Receiver::new(cfg);
        for n in [5, 1, 9] {
            assert_eq!(recv(&mut r, 0, n), ReceiveOutcome::Accepted);
        }
        assert_eq!(ready(&mut r), vec![5, 1, 9]);
        assert_eq!(recv(&mut r, 0, 20), ReceiveOutcome::Dropped, "a 4th range");
        assert_eq!(
            recv(&mut r, 0, 2),
            ReceiveOutcome::Accepted,
            "extends a range"
        );
    }

    #[test]
    fn last_message_10() {
        let mut r = Receiver::new(config(true, WsReliableMessagingFebruary2005));
        recv(&mut r, 0, 1);
        // LastMessage 3 (empty body) before 2.
        assert_eq!(
            r.on_message(at(0), 3, None, true, false, false),
            ReceiveOutcome::Accepted
        );
        assert_eq!(r.last(), Some(3));
        assert!(r.ack_due(at(0)), "the end is known: ack at once");
        assert!(!r.is_complete());
        assert_eq!(
            recv(&mut r, 0, 4),
            ReceiveOutcome::Refused(ReceiveError::LastMessageNumberExceeded { number: 4, last: 3 })
        );
        recv(&mut r, 0, 2);
        assert_eq!(ready(&mut r), vec![1, 2]);
        assert!(r.is_complete());
        assert_eq!(
            r.on_message(at(0), 3, None, true, false, false),
            ReceiveOutcome::Duplicate
        );
        assert_eq!(
            r.on_message(at(0), 5, None, true, false, false),
            ReceiveOutcome::Refused(ReceiveError::LastMessageNumberExceeded { number: 5, last: 3 })
        );
        assert!(r.terminate(None).is_ok());
    }

    #[test]
    fn last_message_below_highest_is_refused_10() {
        let mut r = Receiver::new(config(true, WsReliableMessagingFebruary2005));
        recv(&mut r, 0, 3);
        assert!(matches!(
            r.on_message(at(0), 2, None, true, false, false),
            ReceiveOutcome::Refused(ReceiveError::LastMessageNumberExceeded { .. })
        ));
        assert!(matches!(
            r.terminate(None),
            Err(ReceiveError::Incomplete { .. })
        ));
    }

    #[test]
    fn close_and_terminate_11() {
        let mut r = Receiver::new(config(true, WsReliableMessaging11));
        recv(&mut r, 0, 1);
        recv(&mut r, 0, 2);
        assert_eq!(
            r.close(Some(1)),
            Err(ReceiveError::InconsistentLastMessageNumber {
                given: 1,
                highest: 2
            })
        );
        r.close(Some(2)).unwrap();
        assert!(r.is_complete());
        let ack = r.make_ack(at(0), "s");
        assert!(ack.is_final);
        assert_eq!(ranges(&ack), vec![(1, 2)]);
        // A new message after close: SequenceClosed, with a forced ack.
        assert_eq!(
            recv(&mut r, 0, 3),
            ReceiveOutcome::Refused(ReceiveError::SequenceClosed(3))
        );
        assert!(r.ack_due(at(0)));
        assert_eq!(recv(&mut r, 0, 2), ReceiveOutcome::Duplicate);
        assert!(matches!(
            r.terminate(Some(3)),
            Err(ReceiveError::InconsistentLastMessageNumber { .. })
        ));
        r.terminate(Some(2)).unwrap();
        assert!(r.is_terminated());
    }

    #[test]
    fn terminate_with_holes_11() {
        let mut r = Receiver::new(config(true, WsReliableMessaging11));
        recv(&mut r, 0, 1);
        recv(&mut r, 0, 3);
        assert_eq!(
            r.terminate(Some(3)),
            Err(ReceiveError::Incomplete { last: 3 })
        );
        // Nothing received, nothing sent: a clean terminate, and a None ack.
        let mut empty = Receiver::<u64>::new(config(true, WsReliableMessaging11));
        assert!(empty.make_ack(at(0), "s").ranges.is_empty());
        empty.terminate(None).unwrap();
    }

    #[test]
    fn bad_numbers() {
        let mut r = Receiver::new(config(true, WsReliableMessaging11));
        assert_eq!(
            recv(&mut r, 0, 0),
            ReceiveOutcome::Refused(ReceiveError::ZeroMessageNumber)
        );
        assert_eq!(
            recv(&mut r, 0, MAX_MESSAGE_NUMBER),
            ReceiveOutcome::Refused(ReceiveError::Rollover(MAX_MESSAGE_NUMBER))
        );
        assert_eq!(
            recv(&mut r, 0, u64::MAX),
            ReceiveOutcome::Refused(ReceiveError::Rollover(u64::MAX))
        );
    }

    #[test]
    fn closing_locally_refuses_new_messages() {
        let mut r = Receiver::new(config(true, WsReliableMessagingFebruary2005));
        recv(&mut r, 0, 1);
        assert_eq!(
            r.on_message(at(0), 2, Some(2), false, false, true),
            ReceiveOutcome::Refused(ReceiveError::ClosedBeforeDone(2))
        );
        // Duplicates and the LastMessage are still fine.
        assert_eq!(
            r.on_message(at(0), 1, Some(1), false, false, true),
            ReceiveOutcome::Duplicate
        );
        assert_eq!(
            r.on_message(at(0), 2, None, true, false, true),
            ReceiveOutcome::Accepted
        );
        let _ = AckRange::new(1, 1);
    }
}
