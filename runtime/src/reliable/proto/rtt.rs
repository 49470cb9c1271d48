//! Round-trip time estimation and the retransmission timeout, exactly as WCF's
//! `TransmissionStrategy` computes them (reference §2.3; RS `TransmissionStrategy.cs`
//! `UpdateStats` and `Constants`).
//!
//! WCF keeps times in 1/128 ms units (`TimeMultiplier = 7`) and uses shifts for the gains, so
//! this does the same integer arithmetic (arithmetic right shifts on signed values) to produce
//! the same timeouts to the millisecond.

use std::time::Duration;

/// The longest retransmission timeout Indigo arms (RFC 6298's 60 s upper bound). WCF has no
/// cap: because it samples from each message's last attempt when the window slides, a message
/// held behind a hole, or one whose ack only came back with a keep-alive poll minutes later,
/// feeds a huge sample; the timeout grows, the next stall gives a bigger sample, and a lossy
/// session crawls with timeouts of many minutes (the simulator found this). The cap bounds
/// recovery, and keeps 1 + MaxRetryCount attempts (9 x 60 s) inside the default
/// InactivityTimeout (10 min). The estimator's own values are untouched.
pub const MAX_RETRANSMISSION_TIMEOUT: Duration = Duration::from_secs(60);

/// WCF's `UnknownInitiationTime`: the initial RTT when no CreateSequence round trip was
/// measured (the server side).
pub const UNKNOWN_INITIATION_TIME: Duration = Duration::from_secs(2);

/// 1 ms = 2^7 internal units.
const TIME_MULTIPLIER: u32 = 7;
/// Gain 1/8 for both mean and deviation.
const GAIN: u32 = 3;
/// Timeout = mean + 4 x deviation (WCF: "~98% of real RTTs fit").
const CHEBYCHEV_FACTOR: u32 = 2;
/// Overflow guards, as WCF.
const MAX_MEAN_RTT: i64 = i64::MAX / 3;
const MAX_SERR_RTT: i64 = MAX_MEAN_RTT / 2;
/// The timeout floor above the mean: (200 << 7) * 2 = 400 ms.
const MIN_TIMEOUT_MARGIN: i64 = (200 << TIME_MULTIPLIER) * 2;

/// WCF's RTT estimator: mean and mean deviation with gain 1/8, a timeout of
/// `max(400 ms + meanRtt, meanRtt + 4 * serrRtt)`, and exponential backoff on retransmission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RttEstimator {
    mean: i64,
    serr: i64,
    timeout: i64,
}

fn to_units(d: Duration) -> i64 {
    let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    ms.min(MAX_MEAN_RTT >> TIME_MULTIPLIER) << TIME_MULTIPLIER
}

fn from_units(units: i64) -> Duration {
    Duration::from_millis(u64::try_from(units >> TIME_MULTIPLIER).unwrap_or(0))
}

impl RttEstimator {
    /// Starts from the initial RTT: the CreateSequence round trip, or
    /// [`UNKNOWN_INITIATION_TIME`]. The deviation starts at half of it.
    pub fn new(initial_rtt: Duration) -> Self {
        let mean = to_units(initial_rtt);
        let mut rtt = RttEstimator {
            mean,
            serr: mean >> 1,
            timeout: 0,
        };
        rtt.recompute_timeout();
        rtt
    }

    fn recompute_timeout(&mut self) {
        self.timeout =
            (MIN_TIMEOUT_MARGIN + self.mean).max(self.mean + (self.serr << CHEBYCHEV_FACTOR));
    }

    /// Folds in one sample: the time from a message's last (re)send to the ack that slid it out
    /// of the window. Also undoes any backoff, as WCF's next ack does.
    pub fn sample(&mut self, sample: Duration) {
        let sample = to_units(sample);
        let err = sample - self.mean;
        self.serr = (self.serr + ((err.abs() - self.serr) >> GAIN)).clamp(0, MAX_SERR_RTT);
        self.mean = (self.mean + (err >> GAIN)).clamp(0, MAX_MEAN_RTT);
        self.recompute_timeout();
    }

    /// Recomputes the timeout from the estimates, undoing any backoff, as WCF's next ack does
    /// (used when an ack slides the window without a sample Indigo trusts).
    pub fn restore(&mut self) {
        self.recompute_timeout();
    }

    /// Doubles the timeout after a retransmission (WCF `timeout <<= 1`), saturating.
    pub fn backoff(&mut self) {
        self.timeout = self.timeout.saturating_mul(2).min(MAX_MEAN_RTT);
    }

    /// The current retransmission timeout, in whole milliseconds as WCF's timer gets it,
    /// capped at [`MAX_RETRANSMISSION_TIMEOUT`].
    pub fn timeout(&self) -> Duration {
        from_units(self.timeout).min(MAX_RETRANSMISSION_TIMEOUT)
    }

    /// The timeout WCF would arm (no cap).
    #[cfg(test)]
    pub fn uncapped_timeout(&self) -> Duration {
        from_units(self.timeout)
    }

    /// The smoothed RTT (whole milliseconds).
    pub fn mean(&self) -> Duration {
        from_units(self.mean)
    }

    /// The smoothed mean deviation (whole milliseconds).
    pub fn deviation(&self) -> Duration {
        from_units(self.serr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_armed_timeout_is_capped() {
        // A 30 s initial RTT: WCF arms max(30.4 s, 90 s) = 90 s; Indigo 60 s.
        let rtt = RttEstimator::new(Duration::from_secs(30));
        assert_eq!(rtt.uncapped_timeout(), Duration::from_secs(90));
        assert_eq!(rtt.timeout(), MAX_RETRANSMISSION_TIMEOUT);
    }

    #[test]
    fn unknown_initiation_time_gives_six_seconds() {
        // mean = 2000 ms, serr = 1000 ms: max(400 + 2000, 2000 + 4 * 1000) = 6000 ms.
        let rtt = RttEstimator::new(UNKNOWN_INITIATION_TIME);
        assert_eq!(rtt.timeout(), ms(6000));
        assert_eq!(rtt.mean(), ms(2000));
        assert_eq!(rtt.deviation(), ms(1000));
    }

    #[test]
    fn small_rtt_hits_the_400ms_floor() {
        // mean = 100 ms (12800 units), serr = 50 ms: max(400 + 100, 100 + 200) = 500 ms.
        let rtt = RttEstimator::new(ms(100));
        assert_eq!(rtt.timeout(), ms(500));
        // Zero RTT (loopback): the floor alone.
        assert_eq!(RttEstimator::new(Duration::ZERO).timeout(), ms(400));
    }

    #[test]
    fn samples_follow_wcfs_integer_math() {
        // Start at 100 ms: mean 12800, serr 6400 (units of 1/128 ms).
        let mut rtt = RttEstimator::new(ms(100));
        // Sample 180 ms = 23040: err = 10240; serr += (10240 - 6400) >> 3 = 480 -> 6880;
        // mean += 10240 >> 3 = 1280 -> 14080; timeout = max(51200 + 14080, 14080 + 27520)
        // = 65280 units = 510 ms.
        rtt.sample(ms(180));
        assert_eq!((rtt.mean, rtt.serr, rtt.timeout), (14080, 6880, 65280));
        assert_eq!(rtt.timeout(), ms(510));
        // Sample 20 ms = 2560: err = -11520; serr += (11520 - 6880) >> 3 = 580 -> 7460;
        // mean += -11520 >> 3 = -1440 -> 12640; timeout = max(63840, 12640 + 29840 = 42480)
        // = 63840 units = 498 ms (498.75 truncated).
        rtt.sample(ms(20));
        assert_eq!((rtt.mean, rtt.serr, rtt.timeout), (12640, 7460, 63840));
        assert_eq!(rtt.timeout(), ms(498));
    }

    #[test]
    fn negative_error_shift_rounds_down_like_csharp() {
        // err = -1 unit: C#'s `-1 >> 3` is -1 (arithmetic shift), not 0.
        let mut rtt = RttEstimator {
            mean: 1,
            serr: 0,
            timeout: 0,
        };
        rtt.sample(Duration::ZERO);
        assert_eq!(rtt.mean, 0);
    }

    #[test]
    fn backoff_doubles_and_a_sample_undoes_it() {
        let mut rtt = RttEstimator::new(ms(100));
        rtt.backoff();
        assert_eq!(rtt.timeout(), ms(1000));
        rtt.backoff();
        assert_eq!(rtt.timeout(), ms(2000));
        rtt.sample(ms(100));
        // mean and serr: err = 0 -> serr += (0 - 6400) >> 3 = -800 -> 5600; mean 12800;
        // timeout = max(64000, 12800 + 22400) = 64000 = 500 ms.
        assert_eq!(rtt.timeout(), ms(500));
        for _ in 0..200 {
            rtt.backoff();
        }
        assert!(
            rtt.uncapped_timeout() > Duration::from_secs(1_000_000),
            "saturates, no overflow"
        );
        assert_eq!(rtt.timeout(), MAX_RETRANSMISSION_TIMEOUT);
        rtt.sample(Duration::MAX);
        assert_eq!(rtt.timeout(), MAX_RETRANSMISSION_TIMEOUT);
        // restore() undoes a backoff without a sample.
        let mut rtt = RttEstimator::new(ms(100));
        rtt.backoff();
        rtt.restore();
        assert_eq!(rtt.timeout(), ms(500));
    }
}
