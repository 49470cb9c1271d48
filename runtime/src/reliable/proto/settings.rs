//! `ReliableSessionSettings`: WCF's `ReliableSessionBindingElement` properties, with WCF's names,
//! defaults and allowed ranges (reference §2.1, RS `TransportDefaults.cs`
//! `ReliableSessionDefaults` and the setters in `ReliableSessionBindingElement.cs`).

use std::time::Duration;

/// The WS-ReliableMessaging version of a session (WCF's `ReliableMessagingVersion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReliableMessagingVersion {
    /// WS-RM 1.0, February 2005 (`http://schemas.xmlsoap.org/ws/2005/02/rm`). WCF's default.
    #[default]
    WsReliableMessagingFebruary2005,
    /// WS-RM 1.1, OASIS 2007 (`http://docs.oasis-open.org/ws-rx/wsrm/200702`).
    WsReliableMessaging11,
}

impl ReliableMessagingVersion {
    /// The protocol's XML namespace.
    pub const fn namespace(self) -> &'static str {
        match self {
            ReliableMessagingVersion::WsReliableMessagingFebruary2005 => {
                "http://schemas.xmlsoap.org/ws/2005/02/rm"
            }
            ReliableMessagingVersion::WsReliableMessaging11 => {
                "http://docs.oasis-open.org/ws-rx/wsrm/200702"
            }
        }
    }

    /// Whether this is WS-RM 1.1 (CloseSequence, TerminateSequenceResponse, None/Final acks).
    pub const fn is_11(self) -> bool {
        matches!(self, ReliableMessagingVersion::WsReliableMessaging11)
    }
}

/// WCF's default AcknowledgementInterval: 200 ms.
pub const DEFAULT_ACKNOWLEDGEMENT_INTERVAL: Duration = Duration::from_millis(200);
/// WCF's default InactivityTimeout: 10 minutes.
pub const DEFAULT_INACTIVITY_TIMEOUT: Duration = Duration::from_secs(600);
/// WCF's default MaxPendingChannels.
pub const DEFAULT_MAX_PENDING_CHANNELS: u32 = 4;
/// WCF's upper limit for MaxPendingChannels.
pub const MAX_PENDING_CHANNELS_LIMIT: u32 = 16_384;
/// WCF's default MaxRetryCount.
pub const DEFAULT_MAX_RETRY_COUNT: u32 = 8;
/// WCF's default MaxTransferWindowSize.
pub const DEFAULT_MAX_TRANSFER_WINDOW_SIZE: u32 = 8;
/// WCF's upper limit for MaxTransferWindowSize.
pub const MAX_TRANSFER_WINDOW_SIZE_LIMIT: u32 = 4096;
/// The largest timeout WCF accepts for AcknowledgementInterval and InactivityTimeout:
/// `TimeoutHelper.MaxWait`, `Int32.MaxValue` milliseconds (about 24.8 days).
pub const MAX_TIMEOUT: Duration = Duration::from_millis(i32::MAX as u64);

/// A setting was given a value outside WCF's allowed range. The setting keeps its old value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// A duration setting must be greater than zero.
    #[error("{name} must be greater than zero")]
    NotPositive {
        /// The setting's WCF name.
        name: &'static str,
    },
    /// A duration setting is larger than WCF allows.
    #[error("{name} must be at most {max:?}, got {value:?}")]
    TooLarge {
        /// The setting's WCF name.
        name: &'static str,
        /// The value given.
        value: Duration,
        /// The largest allowed value.
        max: Duration,
    },
    /// A count setting is outside its range.
    #[error("{name} must be in {min}..={max}, got {value}")]
    OutOfRange {
        /// The setting's WCF name.
        name: &'static str,
        /// The value given.
        value: u32,
        /// The smallest allowed value.
        min: u32,
        /// The largest allowed value.
        max: u32,
    },
}

/// The settings of reliable sessions: WCF's `ReliableSessionBindingElement`, plus Indigo's
/// selective retransmission switch. Setters check WCF's ranges and leave the value unchanged on
/// error.
///
/// ```
/// use indigo::{ReliableMessagingVersion, ReliableSessionSettings};
/// use std::time::Duration;
///
/// let mut settings = ReliableSessionSettings::default();
/// settings
///     .set_max_transfer_window_size(32)?
///     .set_inactivity_timeout(Duration::from_secs(60))?
///     .set_reliable_messaging_version(ReliableMessagingVersion::WsReliableMessaging11);
/// assert!(settings.set_max_transfer_window_size(5000).is_err());
/// assert_eq!(settings.max_transfer_window_size(), 32);
/// # Ok::<(), indigo::SettingsError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReliableSessionSettings {
    acknowledgement_interval: Duration,
    flow_control_enabled: bool,
    inactivity_timeout: Duration,
    max_pending_channels: u32,
    max_retry_count: u32,
    max_transfer_window_size: u32,
    ordered: bool,
    reliable_messaging_version: ReliableMessagingVersion,
    selective_retransmission: bool,
    karn_rtt_sampling: bool,
}

impl Default for ReliableSessionSettings {
    fn default() -> Self {
        ReliableSessionSettings {
            acknowledgement_interval: DEFAULT_ACKNOWLEDGEMENT_INTERVAL,
            flow_control_enabled: true,
            inactivity_timeout: DEFAULT_INACTIVITY_TIMEOUT,
            max_pending_channels: DEFAULT_MAX_PENDING_CHANNELS,
            max_retry_count: DEFAULT_MAX_RETRY_COUNT,
            max_transfer_window_size: DEFAULT_MAX_TRANSFER_WINDOW_SIZE,
            ordered: true,
            reliable_messaging_version: ReliableMessagingVersion::default(),
            selective_retransmission: true,
            karn_rtt_sampling: true,
        }
    }
}

fn check_timeout(name: &'static str, value: Duration) -> Result<Duration, SettingsError> {
    if value.is_zero() {
        return Err(SettingsError::NotPositive { name });
    }
    if value > MAX_TIMEOUT {
        return Err(SettingsError::TooLarge {
            name,
            value,
            max: MAX_TIMEOUT,
        });
    }
    Ok(value)
}

fn check_count(name: &'static str, value: u32, min: u32, max: u32) -> Result<u32, SettingsError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(SettingsError::OutOfRange {
            name,
            value,
            min,
            max,
        })
    }
}

impl ReliableSessionSettings {
    /// How long a destination may wait before acknowledging (unless asked to ack now).
    /// Default 200 ms.
    pub fn acknowledgement_interval(&self) -> Duration {
        self.acknowledgement_interval
    }

    /// Sets AcknowledgementInterval: greater than zero and at most `i32::MAX` milliseconds (about 24.8 days, as WCF).
    pub fn set_acknowledgement_interval(
        &mut self,
        value: Duration,
    ) -> Result<&mut Self, SettingsError> {
        self.acknowledgement_interval = check_timeout("AcknowledgementInterval", value)?;
        Ok(self)
    }

    /// Whether `netrm:BufferRemaining` is sent and honoured. Default true.
    pub fn flow_control_enabled(&self) -> bool {
        self.flow_control_enabled
    }

    /// Sets FlowControlEnabled.
    pub fn set_flow_control_enabled(&mut self, value: bool) -> &mut Self {
        self.flow_control_enabled = value;
        self
    }

    /// How long a session may hear nothing from its peer before it faults. Default 10 minutes.
    pub fn inactivity_timeout(&self) -> Duration {
        self.inactivity_timeout
    }

    /// Sets InactivityTimeout: greater than zero and at most `i32::MAX` milliseconds (about 24.8 days, as WCF).
    pub fn set_inactivity_timeout(&mut self, value: Duration) -> Result<&mut Self, SettingsError> {
        self.inactivity_timeout = check_timeout("InactivityTimeout", value)?;
        Ok(self)
    }

    /// Per-listener limit on sessions created but not yet accepted. Default 4.
    pub fn max_pending_channels(&self) -> u32 {
        self.max_pending_channels
    }

    /// Sets MaxPendingChannels: 1..=16384.
    pub fn set_max_pending_channels(&mut self, value: u32) -> Result<&mut Self, SettingsError> {
        self.max_pending_channels =
            check_count("MaxPendingChannels", value, 1, MAX_PENDING_CHANNELS_LIMIT)?;
        Ok(self)
    }

    /// Retransmissions of one message (and unanswered keep-alive probes) before the session
    /// faults. Default 8.
    pub fn max_retry_count(&self) -> u32 {
        self.max_retry_count
    }

    /// Sets MaxRetryCount: greater than zero (WCF's setter), at most `Int32.MaxValue`.
    pub fn set_max_retry_count(&mut self, value: u32) -> Result<&mut Self, SettingsError> {
        self.max_retry_count = check_count("MaxRetryCount", value, 1, i32::MAX as u32)?;
        Ok(self)
    }

    /// The sender's largest window and the receiver's buffer quota, in messages. Default 8.
    pub fn max_transfer_window_size(&self) -> u32 {
        self.max_transfer_window_size
    }

    /// Sets MaxTransferWindowSize: 1..=4096.
    pub fn set_max_transfer_window_size(&mut self, value: u32) -> Result<&mut Self, SettingsError> {
        self.max_transfer_window_size = check_count(
            "MaxTransferWindowSize",
            value,
            1,
            MAX_TRANSFER_WINDOW_SIZE_LIMIT,
        )?;
        Ok(self)
    }

    /// Whether messages are delivered in order. Default true.
    pub fn ordered(&self) -> bool {
        self.ordered
    }

    /// Sets Ordered.
    pub fn set_ordered(&mut self, value: bool) -> &mut Self {
        self.ordered = value;
        self
    }

    /// The protocol version. Default WS-RM 1.0 (February 2005), as WCF.
    pub fn reliable_messaging_version(&self) -> ReliableMessagingVersion {
        self.reliable_messaging_version
    }

    /// Sets ReliableMessagingVersion.
    pub fn set_reliable_messaging_version(&mut self, value: ReliableMessagingVersion) -> &mut Self {
        self.reliable_messaging_version = value;
        self
    }

    /// Indigo's improvement over WCF's go-back-N recovery. A message is resent as soon as
    /// three messages sent after it have been acknowledged and a round trip (plus a reordering
    /// allowance) has passed, instead of only when the retransmission timer fires (at least
    /// 400 ms + RTT); a timeout also resends the gaps that acknowledgement ranges show below
    /// the highest acknowledged number, and does not collapse the window to 1 (the transports
    /// below, TCP, already do congestion control); a message the ranges already acknowledge is
    /// never resent. Only what is sent and when changes; every message is still a plain WS-RM
    /// message, so any peer interoperates. Default true; false retransmits as WCF does.
    pub fn selective_retransmission(&self) -> bool {
        self.selective_retransmission
    }

    /// Turns selective retransmission on or off.
    pub fn set_selective_retransmission(&mut self, value: bool) -> &mut Self {
        self.selective_retransmission = value;
        self
    }

    /// Indigo's RTT sampling: take one sample per message when an acknowledgement (in order or
    /// by a range) first covers it, never from a retransmitted message (Karn's rule), and seed
    /// the estimate from the last CreateSequence attempt rather than the first. WCF samples
    /// every message when the window slides past it, from its last attempt, so messages held
    /// behind a hole or acked only by a keep-alive poll inflate the estimate, and with it the
    /// retransmission timeout (up to its 60 s cap). The estimator's arithmetic is WCF's either
    /// way, and nothing on the wire changes. Default true; false samples as WCF does.
    pub fn karn_rtt_sampling(&self) -> bool {
        self.karn_rtt_sampling
    }

    /// Turns Indigo's RTT sampling on or off.
    pub fn set_karn_rtt_sampling(&mut self, value: bool) -> &mut Self {
        self.karn_rtt_sampling = value;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_wcfs() {
        let s = ReliableSessionSettings::default();
        assert_eq!(s.acknowledgement_interval(), Duration::from_millis(200));
        assert!(s.flow_control_enabled());
        assert_eq!(s.inactivity_timeout(), Duration::from_secs(10 * 60));
        assert_eq!(s.max_pending_channels(), 4);
        assert_eq!(s.max_retry_count(), 8);
        assert_eq!(s.max_transfer_window_size(), 8);
        assert!(s.ordered());
        assert_eq!(
            s.reliable_messaging_version(),
            ReliableMessagingVersion::WsReliableMessagingFebruary2005
        );
    }

    #[test]
    fn setters_check_wcf_ranges() {
        let mut s = ReliableSessionSettings::default();
        assert!(s.set_max_transfer_window_size(0).is_err());
        assert!(s.set_max_transfer_window_size(4097).is_err());
        assert!(s.set_max_transfer_window_size(1).is_ok());
        assert!(s.set_max_transfer_window_size(4096).is_ok());
        assert!(s.set_max_pending_channels(0).is_err());
        assert!(s.set_max_pending_channels(16_385).is_err());
        assert!(s.set_max_pending_channels(16_384).is_ok());
        assert!(s.set_max_retry_count(0).is_err());
        assert!(s.set_max_retry_count(1).is_ok());
        assert_eq!(
            s.set_acknowledgement_interval(Duration::ZERO).unwrap_err(),
            SettingsError::NotPositive {
                name: "AcknowledgementInterval"
            }
        );
        assert!(s.set_inactivity_timeout(Duration::ZERO).is_err());
        assert!(s.set_inactivity_timeout(MAX_TIMEOUT).is_ok());
        assert!(s
            .set_inactivity_timeout(MAX_TIMEOUT + Duration::from_millis(1))
            .is_err());
        // A refused value leaves the old one.
        assert_eq!(s.max_transfer_window_size(), 4096);
        assert_eq!(s.inactivity_timeout(), MAX_TIMEOUT);
        let e = s.set_max_transfer_window_size(5000).unwrap_err();
        assert_eq!(
            e.to_string(),
            "MaxTransferWindowSize must be in 1..=4096, got 5000"
        );
    }
}
