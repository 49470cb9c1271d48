//! The sending side (RM source) of one sequence: admission, numbering, the window of unacked
//! messages, WCF's congestion control and retransmission, flow control from
//! `BufferRemaining`, and Indigo's selective retransmission (reference §2.2, §2.3; RS
//! `TransmissionStrategy.cs`).
//!
//! The window holds messages `window_start ..= last_sent`, all sent at least once. Its
//! *size* (WCF's `windowSize`, a congestion window of 1..=MaxTransferWindowSize) limits
//! admission; it can be smaller than the number of messages held after a timeout collapses it
//! to 1. Messages outside the collapsed window are marked and resent when an ack lets them
//! back in ("messages that moved into the window because it grew or slid"), which is WCF's
//! go-back-N recovery.

use super::messages::SequenceAcknowledgement;
use super::ranges::{validate_ack_ranges, AckRangeError, MAX_MESSAGE_NUMBER};
use super::rtt::RttEstimator;
use super::settings::ReliableSessionSettings;
use super::time::{earliest, Timestamp};
use std::collections::VecDeque;
use std::time::Duration;

/// What the sender needs from the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderConfig {
    /// MaxTransferWindowSize: the largest congestion window.
    pub max_window: u32,
    /// MaxRetryCount.
    pub max_retry_count: u32,
    /// FlowControlEnabled: honour `BufferRemaining`.
    pub flow_control: bool,
    /// Add AckRequested to the message that fills the window or uses the last quota. WCF does
    /// over duplex channels, not over HTTP request-reply (where every response acks).
    pub request_acks: bool,
    /// Indigo's selective retransmission (see [`ReliableSessionSettings::selective_retransmission`]).
    pub selective: bool,
    /// Indigo's RTT sampling (see [`ReliableSessionSettings::karn_rtt_sampling`]).
    pub karn_sampling: bool,
}

impl SenderConfig {
    /// The sender's part of the settings.
    pub fn from_settings(settings: &ReliableSessionSettings, request_acks: bool) -> Self {
        SenderConfig {
            max_window: settings.max_transfer_window_size(),
            max_retry_count: settings.max_retry_count(),
            flow_control: settings.flow_control_enabled(),
            request_acks,
            selective: settings.selective_retransmission(),
            karn_sampling: settings.karn_rtt_sampling(),
        }
    }
}

/// Why a message was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddError {
    /// The window is full (`window.len() >= window_size`): wait for acks.
    #[error("the transfer window is full")]
    WindowFull,
    /// The receiver's advertised buffer is used up (`quota_remaining <= 0`): wait for an ack
    /// with more `BufferRemaining`.
    #[error("the receiver has no buffer left (flow control)")]
    NoQuota,
    /// The last message was already added (the sequence is closing).
    #[error("the sequence is closing and takes no new message")]
    Closed,
    /// The next number would reach the maximum message number (WCF's `ThrowIfRollover`).
    #[error("the message number would reach the maximum ({MAX_MESSAGE_NUMBER})")]
    Rollover,
}

/// A refused message, handed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddRejected<T> {
    /// Why.
    pub reason: AddError,
    /// The message, unchanged.
    pub payload: T,
}

/// The sequence must fault: a message was not acknowledged within MaxRetryCount
/// retransmissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("message {message_number} was not acknowledged after {retry_count} retransmissions")]
pub struct MaxRetryCountExceeded {
    /// The first unacknowledged message.
    pub message_number: u64,
    /// MaxRetryCount.
    pub retry_count: u32,
}

/// What an acknowledgement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    /// Applied; `slid` messages left the window.
    Applied {
        /// Messages newly acknowledged in order (the window slide).
        slid: u64,
    },
    /// Older than what is already known (it does not cover everything below the window):
    /// delayed or reordered on the way, ignored. Acks are cumulative, so a newer one has
    /// already said more.
    Stale,
}

/// One message to put on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit<T> {
    /// Its number.
    pub number: u64,
    /// The message; `None` for WCF's empty 1.0 LastMessage.
    pub payload: Option<T>,
    /// Carries the 1.0 LastMessage marker.
    pub last_message: bool,
    /// Carries AckRequested.
    pub ack_requested: bool,
    /// A retransmission.
    pub retransmission: bool,
}

/// Counters for observability and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderStats {
    /// Messages added (first transmissions).
    pub sent: u64,
    /// Retransmissions of any kind.
    pub retransmissions: u64,
    /// Retransmission timer expirations.
    pub timeouts: u64,
    /// Retransmissions sent by selective retransmission (a subset of `retransmissions`).
    pub selective_retransmissions: u64,
    /// Acknowledgements processed (including stale ones).
    pub acks: u64,
}

#[derive(Debug)]
struct Slot<T> {
    payload: Option<T>,
    last_message: bool,
    /// Retransmissions of any kind (Karn's rule samples only messages sent once).
    retries: u32,
    /// Retransmissions the retransmission timer made: what MaxRetryCount limits. Fast
    /// retransmissions do not count, because they happen only while acknowledgements arrive,
    /// i.e. while the peer is alive, which is what MaxRetryCount exists to find out.
    timer_retries: u32,
    last_attempt: Timestamp,
    /// The order of its last transmission among all of this sender's transmissions: a message
    /// acknowledged while one sent before it is not says the earlier one was lost.
    attempt: u64,
    /// Acknowledged by a range above `window_start` (out of order).
    acked: bool,
    /// Sent before the window collapsed past it: resend when it re-enters the window.
    resend_on_entry: bool,
}

#[derive(Debug, Clone, Copy)]
struct Queued {
    number: u64,
    ack_requested: bool,
    retransmission: bool,
}

/// Messages sent after a missing one and acknowledged before it, before selective mode
/// resends it without waiting for the retransmission timer (TCP's three duplicate acks: fewer
/// would mistake reordering for loss).
const FAST_RETRANSMIT_EVIDENCE: usize = 3;

/// The RM source of one sequence.
#[derive(Debug)]
pub struct Sender<T> {
    config: SenderConfig,
    window: VecDeque<Slot<T>>,
    window_start: u64,
    window_size: u32,
    slow_start_threshold: u32,
    loss_window_size: u32,
    congestion_acks: u32,
    quota_remaining: i64,
    rtt: RttEstimator,
    retry_deadline: Option<Timestamp>,
    /// Selective mode: when a message that later ones have overtaken has been out long enough
    /// to be taken for lost rather than reordered.
    loss_deadline: Option<Timestamp>,
    last: Option<u64>,
    queue: VecDeque<Queued>,
    /// Transmissions queued so far (the source of `Slot::attempt`).
    attempts: u64,
    stats: SenderStats,
}

impl<T: Clone> Sender<T> {
    /// A sender whose RTT estimate starts at `initial_rtt` (the CreateSequence round trip, or
    /// [`super::rtt::UNKNOWN_INITIATION_TIME`]).
    pub fn new(config: SenderConfig, initial_rtt: Duration) -> Self {
        let max = config.max_window.max(1);
        Sender {
            // Grown on demand: an idle session should not hold MaxTransferWindowSize slots
            // (whole messages) it may never fill.
            window: VecDeque::new(),
            window_start: 1,
            // WCF starts in slow start with a window of 1 and the threshold at the maximum.
            window_size: 1,
            slow_start_threshold: max,
            loss_window_size: max,
            congestion_acks: 0,
            // Unlimited until the receiver advertises BufferRemaining.
            quota_remaining: i64::MAX,
            rtt: RttEstimator::new(initial_rtt),
            retry_deadline: None,
            loss_deadline: None,
            last: None,
            queue: VecDeque::new(),
            attempts: 0,
            stats: SenderStats::default(),
            config: SenderConfig {
                max_window: max,
                ..config
            },
        }
    }

    /// The number the next message gets.
    pub fn next_number(&self) -> u64 {
        self.window_start + self.window.len() as u64
    }

    /// The highest number sent so far (0 before the first).
    pub fn last_sent(&self) -> u64 {
        self.next_number() - 1
    }

    /// Messages held (sent, not yet acknowledged in order).
    #[cfg(test)]
    pub fn window_len(&self) -> usize {
        self.window.len()
    }

    /// The congestion window (1..=MaxTransferWindowSize).
    #[cfg(test)]
    pub fn window_size(&self) -> u32 {
        self.window_size
    }

    /// The slow-start threshold.
    #[cfg(test)]
    pub fn slow_start_threshold(&self) -> u32 {
        self.slow_start_threshold
    }

    /// What the receiver's buffer allows beyond the messages in flight.
    pub fn quota_remaining(&self) -> i64 {
        self.quota_remaining
    }

    /// The RTT estimator.
    #[cfg(test)]
    pub fn rtt(&self) -> &RttEstimator {
        &self.rtt
    }

    /// The number of the last message, once known.
    pub fn last(&self) -> Option<u64> {
        self.last
    }

    /// Whether message `number` has been acknowledged (numbers below the window were).
    pub fn is_acked(&self, number: u64) -> bool {
        match number.checked_sub(self.window_start) {
            None => true,
            Some(offset) => usize::try_from(offset)
                .ok()
                .and_then(|i| self.window.get(i))
                .is_some_and(|slot| slot.acked),
        }
    }

    /// Whether everything sent has been acknowledged.
    pub fn all_acked(&self) -> bool {
        self.window.is_empty()
    }

    /// Counters.
    #[cfg(test)]
    pub fn stats(&self) -> SenderStats {
        self.stats
    }

    /// When the retransmission timer (or selective mode's loss detection) fires.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        earliest(self.retry_deadline, self.loss_deadline)
    }

    /// Whether a message would be admitted now (WCF's `CanAdd`).
    pub fn can_add(&self) -> Result<(), AddError> {
        if self.last.is_some() {
            return Err(AddError::Closed);
        }
        if self.window.len() >= self.window_size as usize {
            return Err(AddError::WindowFull);
        }
        if self.quota_remaining <= 0 {
            return Err(AddError::NoQuota);
        }
        if self.next_number() >= MAX_MESSAGE_NUMBER {
            return Err(AddError::Rollover);
        }
        Ok(())
    }

    /// Admits a message, numbers it and queues its first transmission.
    pub fn add(&mut self, now: Timestamp, payload: T) -> Result<u64, AddRejected<T>> {
        if let Err(reason) = self.can_add() {
            return Err(AddRejected { reason, payload });
        }
        Ok(self.push(now, Some(payload), false))
    }

    /// Admits WCF's empty-bodied 1.0 LastMessage: it takes a number and a window slot like any
    /// message, and no message can follow it. It does not wait for flow-control quota: the
    /// destination merges it without buffering anything, and a closing side that waited for
    /// a BufferRemaining update which never comes (a lost ack; the service does not poll)
    /// would stall until CloseTimeout.
    pub fn add_last_message(&mut self, now: Timestamp) -> Result<u64, AddError> {
        match self.can_add() {
            Ok(()) | Err(AddError::NoQuota) => Ok(self.push(now, None, true)),
            Err(e) => Err(e),
        }
    }

    fn push(&mut self, now: Timestamp, payload: Option<T>, last_message: bool) -> u64 {
        let number = self.next_number();
        // WCF asks for an ack on the message that fills the window or uses the last quota, so
        // the sender hears back as soon as it is blocked.
        let ack_requested = self.config.request_acks
            && (self.window.len() + 1 == self.window_size as usize || self.quota_remaining == 1);
        self.quota_remaining -= 1;
        if self.window.is_empty() {
            self.retry_deadline = Some(now + self.rtt.timeout());
        }
        let attempt = self.next_attempt();
        self.window.push_back(Slot {
            payload,
            last_message,
            retries: 0,
            timer_retries: 0,
            last_attempt: now,
            attempt,
            acked: false,
            resend_on_entry: false,
        });
        if last_message {
            self.last = Some(number);
        }
        self.queue.push_back(Queued {
            number,
            ack_requested,
            retransmission: false,
        });
        self.stats.sent += 1;
        number
    }

    /// Ends the sequence without a message (1.1: the last number is the last sent). Returns it.
    pub fn set_last(&mut self) -> u64 {
        let last = *self.last.get_or_insert(self.last_sent());
        last
    }

    /// The next message to put on the wire, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit<T>> {
        while let Some(q) = self.queue.pop_front() {
            let Some(index) = q
                .number
                .checked_sub(self.window_start)
                .and_then(|i| usize::try_from(i).ok())
            else {
                continue; // acknowledged meanwhile
            };
            let Some(slot) = self.window.get(index) else {
                continue;
            };
            if q.retransmission && self.config.selective && slot.acked {
                continue;
            }
            return Some(Transmit {
                number: q.number,
                payload: slot.payload.clone(),
                last_message: slot.last_message,
                ack_requested: q.ack_requested,
                retransmission: q.retransmission,
            });
        }
        None
    }

    fn next_attempt(&mut self) -> u64 {
        self.attempts += 1;
        self.attempts
    }

    fn queue_retransmission(&mut self, index: usize, now: Timestamp) {
        let number = self.window_start + index as u64;
        let attempt = self.next_attempt();
        if let Some(slot) = self.window.get_mut(index) {
            slot.retries = slot.retries.saturating_add(1);
            slot.last_attempt = now;
            slot.attempt = attempt;
            slot.resend_on_entry = false;
        }
        // A retransmission always asks for an ack (when acks may be requested at all): the
        // sender is waiting on exactly this message, so waiting out AcknowledgementInterval
        // on the other side only delays recovery.
        self.queue.push_back(Queued {
            number,
            ack_requested: self.config.request_acks,
            retransmission: true,
        });
        self.stats.retransmissions += 1;
    }

    /// Processes a SequenceAcknowledgement for this sequence (WCF `ProcessAcknowledgement` and
    /// `ProcessTransferred`). An ack for a message never sent is an error: the caller faults
    /// the sequence with InvalidAcknowledgement.
    pub fn on_ack(
        &mut self,
        now: Timestamp,
        ack: &SequenceAcknowledgement,
    ) -> Result<AckOutcome, AckRangeError> {
        let last_sent = self.last_sent();
        let acked = validate_ack_ranges(&ack.ranges, last_sent)?;
        self.stats.acks += 1;
        if !acked.covers(1, self.window_start - 1) {
            return Ok(AckOutcome::Stale);
        }
        // Mark everything acknowledged inside the window (bounded by the window length).
        for range in acked.iter() {
            let lower = range.lower.max(self.window_start);
            for n in lower..=range.upper.min(last_sent) {
                if let Some(slot) = self.window.get_mut((n - self.window_start) as usize) {
                    if !slot.acked && self.config.karn_sampling && slot.retries == 0 {
                        // First news of this message, and it was sent only once: a clean
                        // round trip.
                        self.rtt.sample(now.saturating_since(slot.last_attempt));
                    }
                    slot.acked = true;
                }
            }
        }
        if self.config.selective {
            self.detect_losses(now);
        }
        let held = self.window.len();
        let slide = self.window.iter().take_while(|s| s.acked).count();
        for slot in self.window.drain(..slide) {
            if !self.config.karn_sampling {
                // WCF samples every message slid out, from its last attempt (no Karn rule).
                self.rtt.sample(now.saturating_since(slot.last_attempt));
            }
        }
        self.window_start += slide as u64;

        if self.config.flow_control {
            if let Some(remaining) = ack.buffer_remaining {
                // The receiver's free buffer minus what is still in flight towards it. WCF
                // counts the whole window; messages acknowledged by a range above a gap are
                // already in that buffer, so selective mode counts only the unacknowledged.
                let in_flight = if self.config.selective {
                    self.window.iter().filter(|s| !s.acked).count()
                } else {
                    (self.window_size as usize).min(held).saturating_sub(slide)
                };
                self.quota_remaining = i64::from(remaining) - in_flight as i64;
            }
        }
        if slide > 0 {
            // WCF's next ack recomputes the timeout (its sample does); without a sample the
            // backoff must still end, or a lossy link keeps the doubled timeout forever.
            self.rtt.restore();
            self.grow(u32::try_from(slide).unwrap_or(u32::MAX));
            self.retry_deadline = if self.window.is_empty() {
                None
            } else {
                Some(now + self.rtt.timeout())
            };
            self.resend_entering(now);
        }
        Ok(AckOutcome::Applied { slid: slide as u64 })
    }

    /// Selective mode's fast retransmission: a message is taken for lost once
    /// [`FAST_RETRANSMIT_EVIDENCE`] messages sent after its last transmission have been
    /// acknowledged while it has not (the receiver acks promptly when messages arrive above a
    /// gap, see `receiver::GAP_ACK_EVIDENCE`), and it has been out for a round trip plus a
    /// reordering allowance (so a message merely delayed behind later ones, as jitter or a
    /// reconnect can do, is not resent; until then `loss_deadline` waits for it). It is
    /// resent at once, without waiting for the retransmission timer (at least 400 ms in WCF's
    /// estimator, which on a lossy link stalls the window far longer than the loss itself) and
    /// without collapsing the window. A retransmission gets a fresh place in the send order,
    /// so it is resent again only if messages sent after it overtake it too. Each resend counts
    /// against MaxRetryCount like any other.
    fn detect_losses(&mut self, now: Timestamp) {
        self.loss_deadline = None;
        let Some(highest) = self.window.iter().rposition(|s| s.acked) else {
            return;
        };
        // RACK's reordering window (RFC 8985): a quarter of the round trip, or more when the
        // round trip varies.
        let mean = self.rtt.mean();
        let reordering = (mean / 4).max(self.rtt.deviation() * 2);
        let patience = mean + reordering;
        // The latest attempts among the acknowledged messages above the current index, highest
        // first: a message is overtaken when the third of them was sent after it.
        let mut latest = [0u64; FAST_RETRANSMIT_EVIDENCE];
        for index in (0..highest).rev() {
            let above = &self.window[index + 1];
            if above.acked && above.attempt > latest[FAST_RETRANSMIT_EVIDENCE - 1] {
                latest[FAST_RETRANSMIT_EVIDENCE - 1] = above.attempt;
                latest.sort_unstable_by(|a, b| b.cmp(a));
            }
            let slot = &self.window[index];
            if slot.acked || latest[FAST_RETRANSMIT_EVIDENCE - 1] <= slot.attempt {
                continue;
            }
            let lost_at = slot.last_attempt + patience;
            if lost_at <= now {
                self.queue_retransmission(index, now);
                self.stats.selective_retransmissions += 1;
            } else {
                self.loss_deadline = earliest(self.loss_deadline, Some(lost_at));
            }
        }
    }

    /// WCF's slow start and (its "experimental") congestion avoidance.
    fn grow(&mut self, slide: u32) {
        let max = self.config.max_window;
        if self.window_size <= self.slow_start_threshold {
            self.window_size = max
                .min((self.slow_start_threshold + 1).min(self.window_size.saturating_add(slide)));
        } else {
            self.congestion_acks += 1;
            let ws = self.window_size;
            let ss = self.slow_start_threshold;
            let divisor = (self.loss_window_size.saturating_sub(ss) / 8).max(1);
            if self.congestion_acks > ((ws - ss) * ws) / divisor {
                self.window_size = (ws + 1).min(max);
                self.congestion_acks = 0;
            }
        }
    }

    /// Resends the held messages that the (grown or slid) window now covers again.
    fn resend_entering(&mut self, now: Timestamp) {
        let limit = (self.window_size as usize).min(self.window.len());
        for index in 0..limit {
            let slot = &mut self.window[index];
            if !slot.resend_on_entry {
                continue;
            }
            slot.resend_on_entry = false;
            if self.config.selective && slot.acked {
                continue; // the receiver has it: resending only makes a duplicate
            }
            self.queue_retransmission(index, now);
        }
    }

    /// Runs the retransmission timer (WCF `OnRetryElapsed`): resend the first unacknowledged
    /// message and double the timeout. WCF also collapses the window to 1 and halves the
    /// threshold, then resends the rest go-back-N as the window lets it back in.
    ///
    /// Selective mode resends the first message and the gaps below the highest acknowledged
    /// number instead, and leaves the window alone. WCF's collapse is congestion control, and
    /// Indigo's reliable sessions run over TCP (net.tcp, HTTP), which already does that below
    /// them: what WS-RM loses is whole messages (a dropped connection, an intermediary), not
    /// congestion, and on a link that loses messages at random the collapse and WCF's slow
    /// regrowth keep the window near 1 for good (the simulator's 4,000 messages at 5% loss and
    /// window 64 took over a minute instead of a few seconds). MaxTransferWindowSize still
    /// bounds what is in flight, and the backed-off timer paces a dead link.
    pub fn handle_timeout(&mut self, now: Timestamp) -> Result<(), MaxRetryCountExceeded> {
        if self.loss_deadline.is_some_and(|d| d <= now) {
            self.detect_losses(now);
        }
        match self.retry_deadline {
            Some(deadline) if deadline <= now => {}
            _ => return Ok(()),
        }
        if self.window.is_empty() {
            self.retry_deadline = None;
            return Ok(());
        }
        let first = &self.window[0];
        if first.timer_retries >= self.config.max_retry_count {
            // WCF counts the attempt, then faults when RetryCount > MaxRetryCount.
            self.retry_deadline = None;
            return Err(MaxRetryCountExceeded {
                message_number: self.window_start,
                retry_count: self.config.max_retry_count,
            });
        }
        self.stats.timeouts += 1;
        self.window[0].timer_retries += 1;
        self.queue_retransmission(0, now);
        if self.config.selective {
            if let Some(highest) = self.window.iter().rposition(|s| s.acked) {
                for index in 1..highest {
                    if !self.window[index].acked {
                        self.queue_retransmission(index, now);
                        self.stats.selective_retransmissions += 1;
                    }
                }
            }
        } else {
            self.slow_start_threshold = (self.window_size / 2).max(1);
            self.loss_window_size = self.window_size;
            self.window_size = 1;
            self.congestion_acks = 0;
            for slot in self.window.iter_mut().skip(1) {
                slot.resend_on_entry = true;
            }
        }
        self.rtt.backoff();
        self.retry_deadline = Some(now + self.rtt.timeout());
        Ok(())
    }

    /// The transport under the sequence was replaced (a dropped connection came back): what
    /// the window holds unacknowledged may have died with the old connection, so it is resent
    /// now instead of after a retransmission timer that backed off during the outage. Retry
    /// counts are not charged: the loss was the connection's, not the network's congestion.
    pub fn resend_unacknowledged(&mut self, now: Timestamp) {
        let limit = (self.window_size as usize).min(self.window.len());
        for index in 0..limit {
            let number = self.window_start + index as u64;
            if self.window[index].acked || self.queue.iter().any(|q| q.number == number) {
                continue;
            }
            let attempt = self.next_attempt();
            self.window[index].last_attempt = now;
            self.window[index].attempt = attempt;
            self.queue.push_back(Queued {
                number,
                ack_requested: self.config.request_acks,
                retransmission: true,
            });
            self.stats.retransmissions += 1;
        }
        if !self.window.is_empty() {
            self.retry_deadline = Some(now + self.rtt.timeout());
        }
    }

    /// Test hook: start numbering at `next` (to reach the rollover limit without sending
    /// 2^63 messages).
    #[cfg(test)]
    pub(crate) fn set_next_number(&mut self, next: u64) {
        if self.window.is_empty() {
            self.window_start = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reliable::proto::ranges::AckRange;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }
    fn at(n: u64) -> Timestamp {
        Timestamp::from_epoch(ms(n))
    }
    fn config(selective: bool) -> SenderConfig {
        SenderConfig {
            max_window: 8,
            max_retry_count: 8,
            flow_control: true,
            request_acks: true,
            selective,
            karn_sampling: false,
        }
    }
    fn ack(ranges: &[(u64, u64)], buffer: Option<u32>) -> SequenceAcknowledgement {
        SequenceAcknowledgement {
            identifier: "s".into(),
            ranges: ranges.iter().map(|&(l, u)| AckRange::new(l, u)).collect(),
            buffer_remaining: buffer,
            ..Default::default()
        }
    }
    fn drain(s: &mut Sender<u32>) -> Vec<(u64, bool)> {
        std::iter::from_fn(|| s.poll_transmit())
            .map(|t| (t.number, t.retransmission))
            .collect()
    }
    /// Grows the window to 8 by acking each fill `rtt` later, then sends a full window
    /// `base+1 ..= base+8` (drained) and returns `base` and the time it was sent.
    fn full_window(s: &mut Sender<u32>, rtt: Duration) -> (u64, Timestamp) {
        let mut now = at(0);
        while s.window_size() < 8 {
            fill(s, now);
            now = now + rtt;
            let last = s.last_sent();
            s.on_ack(now, &ack(&[(1, last)], None)).unwrap();
        }
        let base = s.last_sent();
        fill(s, now);
        drain(s);
        (base, now)
    }

    /// Fills the window as far as admission allows.
    fn fill(s: &mut Sender<u32>, now: Timestamp) -> Vec<u64> {
        let mut added = Vec::new();
        while s.can_add().is_ok() {
            added.push(s.add(now, 0).unwrap());
        }
        added
    }

    #[test]
    fn slow_start_grows_to_the_maximum() {
        let mut s = Sender::new(config(false), ms(100));
        assert_eq!(s.window_size(), 1);
        assert_eq!(fill(&mut s, at(0)), vec![1]);
        assert_eq!(s.can_add(), Err(AddError::WindowFull));
        s.on_ack(at(100), &ack(&[(1, 1)], None)).unwrap();
        assert_eq!(s.window_size(), 2);
        assert_eq!(fill(&mut s, at(100)), vec![2, 3]);
        s.on_ack(at(200), &ack(&[(1, 3)], None)).unwrap();
        assert_eq!(s.window_size(), 4);
        fill(&mut s, at(200));
        s.on_ack(at(300), &ack(&[(1, 7)], None)).unwrap();
        assert_eq!(s.window_size(), 8);
        fill(&mut s, at(300));
        s.on_ack(at(400), &ack(&[(1, 15)], None)).unwrap();
        assert_eq!(s.window_size(), 8, "capped at MaxTransferWindowSize");
    }

    #[test]
    fn ack_requested_on_the_message_that_fills_the_window() {
        let mut s = Sender::new(config(false), ms(100));
        s.add(at(0), 1).unwrap();
        let t = s.poll_transmit().unwrap();
        assert!(t.ack_requested, "window of 1: the first message fills it");
        s.on_ack(at(10), &ack(&[(1, 1)], None)).unwrap();
        s.add(at(10), 2).unwrap();
        s.add(at(10), 3).unwrap();
        let flags: Vec<bool> = std::iter::from_fn(|| s.poll_transmit())
            .map(|t| t.ack_requested)
            .collect();
        assert_eq!(flags, vec![false, true]);
    }

    #[test]
    fn timeout_retransmits_first_collapses_and_backs_off() {
        let mut s = Sender::new(config(false), ms(100));
        // Grow to 4 and fill.
        fill(&mut s, at(0));
        s.on_ack(at(100), &ack(&[(1, 1)], None)).unwrap();
        fill(&mut s, at(100));
        s.on_ack(at(200), &ack(&[(1, 3)], None)).unwrap();
        assert_eq!(fill(&mut s, at(200)), vec![4, 5, 6, 7]);
        drain(&mut s);
        let deadline = s.poll_timeout().unwrap();
        let timeout = s.rtt().timeout();
        assert_eq!(deadline, at(200) + timeout);
        s.handle_timeout(deadline).unwrap();
        assert_eq!(
            drain(&mut s),
            vec![(4, true)],
            "only the first unacked message"
        );
        assert_eq!(s.window_size(), 1);
        assert_eq!(s.slow_start_threshold(), 2);
        assert_eq!(s.rtt().timeout(), timeout * 2);
        assert_eq!(s.poll_timeout(), Some(deadline + timeout * 2));
        // The next ack slides 1 and grows the window to 2: messages 5 and 6 re-enter and are
        // resent (go-back-N), the ack recomputes the timeout.
        s.on_ack(deadline + ms(50), &ack(&[(1, 4)], None)).unwrap();
        assert_eq!(s.window_size(), 2);
        assert_eq!(drain(&mut s), vec![(5, true), (6, true)]);
        assert!(s.rtt().timeout() < timeout * 2);
    }

    /// Fast retransmissions happen only while acknowledgements arrive, so they do not use up
    /// MaxRetryCount: only the retransmission timer's attempts do.
    #[test]
    fn fast_retransmissions_do_not_count_against_max_retry_count() {
        let mut cfg = config(true);
        cfg.max_retry_count = 1;
        let mut s = Sender::new(cfg, ms(50));
        let (base, mut now) = full_window(&mut s, ms(50));
        // base+1 is lost, and so is its fast retransmission.
        now = now + ms(50);
        s.on_ack(now, &ack(&[(1, base), (base + 2, base + 4)], None))
            .unwrap();
        now = s.poll_timeout().unwrap();
        s.handle_timeout(now).unwrap();
        assert_eq!(drain(&mut s), vec![(base + 1, true)]);
        assert_eq!(s.stats().selective_retransmissions, 1);
        // The timer's first retransmission is still allowed; its second would exceed 1.
        now = s.poll_timeout().unwrap();
        s.handle_timeout(now).unwrap();
        assert_eq!(drain(&mut s).first(), Some(&(base + 1, true)));
        now = s.poll_timeout().unwrap();
        assert!(s.handle_timeout(now).is_err());
    }

    #[test]
    fn max_retry_count_faults_after_the_last_retransmission() {
        let mut cfg = config(false);
        cfg.max_retry_count = 2;
        let mut s = Sender::new(cfg, ms(100));
        s.add(at(0), 1).unwrap();
        drain(&mut s);
        for _ in 0..2 {
            let now = s.poll_timeout().unwrap();
            s.handle_timeout(now).unwrap();
            assert_eq!(drain(&mut s), vec![(1, true)]);
        }
        let now = s.poll_timeout().unwrap();
        assert_eq!(
            s.handle_timeout(now),
            Err(MaxRetryCountExceeded {
                message_number: 1,
                retry_count: 2
            })
        );
        assert!(drain(&mut s).is_empty());
    }

    #[test]
    fn flow_control_quota_from_buffer_remaining() {
        let mut s = Sender::new(config(false), ms(100));
        fill(&mut s, at(0));
        // The receiver has 1 and 2 buffers left; nothing else is in flight: quota 2.
        s.on_ack(at(10), &ack(&[(1, 1)], Some(2))).unwrap();
        assert_eq!(s.quota_remaining(), 2);
        assert_eq!(s.window_size(), 2);
        s.add(at(10), 0).unwrap();
        s.add(at(10), 0).unwrap();
        let flags: Vec<bool> = std::iter::from_fn(|| s.poll_transmit())
            .map(|t| t.ack_requested)
            .collect();
        assert_eq!(flags, vec![false, true], "the last quota asks for an ack");
        assert_eq!(s.quota_remaining(), 0);
        // The receiver got 2 and 3 but its application consumed nothing: BufferRemaining 0.
        s.on_ack(at(20), &ack(&[(1, 3)], Some(0))).unwrap();
        assert_eq!(s.quota_remaining(), 0);
        assert_eq!(s.can_add(), Err(AddError::NoQuota));
        // The application consumed: 8 remain, nothing in flight.
        s.on_ack(at(30), &ack(&[(1, 3)], Some(8))).unwrap();
        assert_eq!(s.quota_remaining(), 8);
        assert!(s.can_add().is_ok());
    }

    #[test]
    fn quota_counts_messages_in_flight() {
        let mut cfg = config(false);
        cfg.max_window = 4;
        let mut s = Sender::new(cfg, ms(100));
        fill(&mut s, at(0));
        s.on_ack(at(1), &ack(&[(1, 1)], Some(4))).unwrap();
        fill(&mut s, at(1)); // 2, 3
        s.on_ack(at(2), &ack(&[(1, 3)], Some(4))).unwrap(); // window 4
        assert_eq!(fill(&mut s, at(2)), vec![4, 5, 6, 7]);
        // Ack for 4 only; receiver has 3 free: 3 more (5, 6, 7) are in flight -> quota 0.
        s.on_ack(at(3), &ack(&[(1, 4)], Some(3))).unwrap();
        assert_eq!(s.quota_remaining(), 0);
    }

    #[test]
    fn invalid_and_stale_acks() {
        let mut s = Sender::new(config(false), ms(100));
        fill(&mut s, at(0));
        assert!(matches!(
            s.on_ack(at(1), &ack(&[(1, 2)], None)),
            Err(AckRangeError::NeverSent { last_sent: 1, .. })
        ));
        s.on_ack(at(1), &ack(&[(1, 1)], None)).unwrap();
        fill(&mut s, at(1));
        // A reordered older ack (nothing received) is ignored.
        assert_eq!(
            s.on_ack(at(2), &ack(&[], Some(0))).unwrap(),
            AckOutcome::Stale
        );
        assert_eq!(s.quota_remaining(), i64::MAX - 3);
        // 1.0's "nothing yet" marker is valid.
        assert_eq!(
            s.on_ack(at(2), &ack(&[(0, 0)], None)).unwrap(),
            AckOutcome::Stale
        );
        // Nacks are ignored, as WCF does.
        let mut with_nack = ack(&[(1, 2)], None);
        with_nack.nacks = vec![3];
        assert_eq!(
            s.on_ack(at(3), &with_nack).unwrap(),
            AckOutcome::Applied { slid: 1 }
        );
    }

    #[test]
    fn rtt_samples_from_the_last_attempt() {
        let mut s = Sender::new(config(false), ms(100));
        s.add(at(0), 1).unwrap();
        drain(&mut s);
        let deadline = s.poll_timeout().unwrap();
        assert_eq!(deadline, at(500));
        s.handle_timeout(deadline).unwrap();
        // Acked 180 ms after the retransmission: the sample is 180 ms, not 680 ms.
        s.on_ack(at(680), &ack(&[(1, 1)], None)).unwrap();
        assert_eq!(s.rtt().timeout(), ms(510)); // see rtt.rs: 100 ms then a 180 ms sample
    }

    #[test]
    fn congestion_avoidance_after_a_loss() {
        let mut s = Sender::new(config(false), ms(100));
        let mut now = at(0);
        let mut acked = 0;
        // Reach the full window.
        while s.window_size() < 8 {
            fill(&mut s, now);
            now = now + ms(10);
            acked = s.last_sent();
            s.on_ack(now, &ack(&[(1, acked)], None)).unwrap();
        }
        fill(&mut s, now);
        drain(&mut s);
        now = s.poll_timeout().unwrap();
        s.handle_timeout(now).unwrap();
        assert_eq!((s.window_size(), s.slow_start_threshold()), (1, 4));
        // Everything arrives: slow start back to ssthresh + 1 = 5, then +1 per
        // ((ws - ss) * ws) / max(1, (8 - 4) / 8) acks.
        let mut sizes = Vec::new();
        for _ in 0..60 {
            fill(&mut s, now);
            now = now + ms(10);
            acked = s.last_sent();
            s.on_ack(now, &ack(&[(1, acked)], None)).unwrap();
            sizes.push(s.window_size());
        }
        assert_eq!(sizes[0], 5, "slow start stops at ssthresh + 1");
        // 5 -> 6 needs more than (1 * 5) / 1 = 5 acks in congestion avoidance.
        let at5 = sizes.iter().position(|&w| w == 5).unwrap();
        let at6 = sizes.iter().position(|&w| w == 6).unwrap();
        assert_eq!(at6 - at5, 6);
        assert_eq!(*sizes.last().unwrap(), 8);
        let _ = acked;
    }

    /// Window 1..=8 in flight; the receiver got 2, 3, 5, 7, 8 (1, 4, 6 lost).
    fn lossy_window(selective: bool) -> (Sender<u32>, Timestamp) {
        let mut s = Sender::new(config(selective), ms(100));
        let (base, now) = full_window(&mut s, ms(10));
        let r = |a: u64, b: u64| (base + a, base + b);
        s.on_ack(
            now + ms(50),
            &ack(&[(1, base), r(2, 3), r(5, 5), r(7, 8)], None),
        )
        .unwrap();
        (s, now)
    }

    #[test]
    fn wcf_mode_resends_only_the_first_then_goes_back_n() {
        let (mut s, _) = lossy_window(false);
        let base = s.last_sent() - 8;
        let now = s.poll_timeout().unwrap();
        s.handle_timeout(now).unwrap();
        assert_eq!(drain(&mut s), vec![(base + 1, true)]);
        // 1 arrives: the window slides past 1, 2, 3 and grows to 4: 4, 5, 6, 7 re-enter and
        // are all resent, although the receiver already has 5 and 7.
        s.on_ack(
            now + ms(50),
            &ack(
                &[(1, base + 3), (base + 5, base + 5), (base + 7, base + 8)],
                None,
            ),
        )
        .unwrap();
        assert_eq!(
            drain(&mut s),
            vec![
                (base + 4, true),
                (base + 5, true),
                (base + 6, true),
                (base + 7, true)
            ]
        );
    }

    #[test]
    fn selective_mode_resends_the_gaps_and_skips_what_was_acked() {
        let (mut s, sent_at) = lossy_window(true);
        let base = s.last_sent() - 8;
        assert!(
            drain(&mut s).is_empty(),
            "overtaken, but not out long enough yet"
        );
        // 1 and 4 have three later messages acknowledged (2, 3, 5, 7, 8 and 5, 7, 8); 6 only
        // two. They are taken for lost a round trip plus a reordering allowance after they
        // were sent, well before the retransmission timer, and the window stays as it is.
        let detect = s.poll_timeout().unwrap();
        let patience = s.rtt().mean() + (s.rtt().mean() / 4).max(s.rtt().deviation() * 2);
        assert_eq!(detect, sent_at + patience);
        s.handle_timeout(detect).unwrap();
        assert_eq!(drain(&mut s), vec![(base + 4, true), (base + 1, true)]);
        assert_eq!(s.stats().selective_retransmissions, 2);
        assert_eq!(s.stats().timeouts, 0);
        assert_eq!(s.window_size(), 8);
        // The retransmission timer resends the first and the gaps below the highest acked (8):
        // 6 now as well.
        let now = s.poll_timeout().unwrap();
        s.handle_timeout(now).unwrap();
        assert_eq!(
            drain(&mut s),
            vec![(base + 1, true), (base + 4, true), (base + 6, true)],
        );
        assert_eq!(
            s.window_size(),
            8,
            "selective mode does not collapse the window"
        );
        // 1 arrives but 4 and 6 were lost again: nothing is resent that is acked or was
        // resent after everything acknowledged since.
        s.on_ack(
            now + ms(50),
            &ack(
                &[(1, base + 3), (base + 5, base + 5), (base + 7, base + 8)],
                None,
            ),
        )
        .unwrap();
        assert!(drain(&mut s).is_empty());
    }

    /// Acknowledgements of messages sent before a retransmission say nothing about the
    /// retransmission: it is not resent again on their account.
    #[test]
    fn a_retransmission_is_not_resent_on_older_evidence() {
        let mut s = Sender::new(config(true), ms(50));
        let (base, mut now) = full_window(&mut s, ms(50));
        // base+1 lost; 2..=4 arrive.
        now = now + ms(50);
        s.on_ack(now, &ack(&[(1, base), (base + 2, base + 4)], None))
            .unwrap();
        now = s.poll_timeout().unwrap();
        s.handle_timeout(now).unwrap();
        assert_eq!(drain(&mut s), vec![(base + 1, true)]);
        // More acks for messages sent before the retransmission say nothing new about it.
        now = now + ms(10);
        s.on_ack(now, &ack(&[(1, base), (base + 2, base + 8)], None))
            .unwrap();
        assert!(s.poll_timeout().is_some_and(|t| t > now + ms(50)));
        assert!(drain(&mut s).is_empty());
    }

    #[test]
    fn karn_sampling_samples_first_acks_and_skips_retransmissions() {
        let mut cfg = config(true);
        cfg.karn_sampling = true;
        let mut s = Sender::new(cfg.clone(), ms(100));
        fill(&mut s, at(0));
        s.on_ack(at(100), &ack(&[(1, 1)], None)).unwrap(); // sample 100 ms
        fill(&mut s, at(100)); // 2, 3
                               // 2 is lost; 3 is acknowledged out of order 100 ms after its send: sampled now.
        s.on_ack(at(200), &ack(&[(1, 1), (3, 3)], None)).unwrap();
        let before = s.rtt().clone();
        // 2 is retransmitted after its timeout and acknowledged 10 s later (a lost ack and a
        // keep-alive poll): no sample from it, and 3 was sampled already, so the slide adds
        // nothing. WCF would sample both, 10 s and ~10.6 s.
        let deadline = s.poll_timeout().unwrap();
        s.handle_timeout(deadline).unwrap();
        s.on_ack(deadline + Duration::from_secs(10), &ack(&[(1, 3)], None))
            .unwrap();
        assert_eq!(s.rtt().mean(), before.mean());
        assert_eq!(
            s.rtt().timeout(),
            before.timeout(),
            "backoff undone, no new sample"
        );

        let mut wcf = Sender::new(config(true), ms(100));
        fill(&mut wcf, at(0));
        wcf.on_ack(at(100), &ack(&[(1, 1)], None)).unwrap();
        fill(&mut wcf, at(100));
        wcf.on_ack(at(200), &ack(&[(1, 1), (3, 3)], None)).unwrap();
        let deadline = wcf.poll_timeout().unwrap();
        wcf.handle_timeout(deadline).unwrap();
        wcf.on_ack(deadline + Duration::from_secs(10), &ack(&[(1, 3)], None))
            .unwrap();
        assert!(wcf.rtt().mean() > ms(2000), "WCF's estimate jumps");
    }

    #[test]
    fn rollover_is_refused_before_the_maximum() {
        let mut s = Sender::new(config(false), ms(100));
        s.set_next_number(MAX_MESSAGE_NUMBER - 1);
        assert_eq!(s.add(at(0), 1).unwrap(), MAX_MESSAGE_NUMBER - 1);
        s.on_ack(at(1), &ack(&[(1, MAX_MESSAGE_NUMBER - 1)], None))
            .unwrap();
        assert_eq!(s.can_add(), Err(AddError::Rollover));
        let rejected = s.add(at(1), 7).unwrap_err();
        assert_eq!(rejected.reason, AddError::Rollover);
        assert_eq!(rejected.payload, 7);
    }

    #[test]
    fn set_last_stops_admission() {
        let mut s = Sender::new(config(false), ms(100));
        s.add(at(0), 1).unwrap();
        assert_eq!(s.set_last(), 1);
        assert_eq!(s.can_add(), Err(AddError::Closed));
        let mut empty = Sender::<u32>::new(config(false), ms(100));
        assert_eq!(empty.set_last(), 0);
    }
}
