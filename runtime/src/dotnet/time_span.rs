//! `System.TimeSpan` as `xs:duration` (`ser:duration`), written as `XmlConvert.ToString` writes
//! it: `[-]P[nD][T[nH][nM][s[.fffffff]S]]`, zero components left out, zero as `PT0S`, days
//! never folded into months. Hand-written: no crate writes this form of a duration.

use std::fmt;
use std::str::FromStr;

const TICKS_PER_SECOND: i64 = 10_000_000;
const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;
const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MINUTE;
const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;

/// .NET's `TimeSpan`: a signed count of 100-nanosecond ticks.
///
/// ```
/// use indigo::dotnet::TimeSpan;
/// use std::time::Duration;
///
/// let span = TimeSpan::try_from(Duration::from_millis(3_723_500)).unwrap();
/// assert_eq!(span.to_string(), "PT1H2M3.5S");
/// assert_eq!("-PT0.0000001S".parse::<TimeSpan>().unwrap().ticks(), -1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TimeSpan {
    ticks: i64,
}

/// Why a text is not a duration .NET reads as a `TimeSpan`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an xs:duration .NET reads as a TimeSpan: {why}")]
pub struct ParseTimeSpanError {
    text: String,
    why: &'static str,
}

impl TimeSpan {
    /// A span of `ticks` 100-nanosecond ticks.
    pub const fn from_ticks(ticks: i64) -> Self {
        TimeSpan { ticks }
    }

    /// The span in 100-nanosecond ticks.
    pub const fn ticks(self) -> i64 {
        self.ticks
    }
}

impl TryFrom<std::time::Duration> for TimeSpan {
    type Error = std::num::TryFromIntError;

    /// Whole ticks: anything below 100 ns is dropped, as .NET's `TimeSpan` holds none.
    fn try_from(duration: std::time::Duration) -> Result<Self, Self::Error> {
        i64::try_from(duration.as_nanos() / 100).map(TimeSpan::from_ticks)
    }
}

impl TryFrom<TimeSpan> for std::time::Duration {
    type Error = std::num::TryFromIntError;

    /// Fails for a negative span.
    fn try_from(span: TimeSpan) -> Result<Self, Self::Error> {
        let ticks = u64::try_from(span.ticks)?;
        Ok(std::time::Duration::from_nanos(ticks.saturating_mul(100)))
    }
}

impl From<chrono::TimeDelta> for TimeSpan {
    /// Whole ticks, towards zero.
    fn from(delta: chrono::TimeDelta) -> Self {
        let ticks = delta.num_seconds().saturating_mul(TICKS_PER_SECOND)
            + i64::from(delta.subsec_nanos()) / 100;
        TimeSpan::from_ticks(ticks)
    }
}

impl From<TimeSpan> for chrono::TimeDelta {
    fn from(span: TimeSpan) -> Self {
        chrono::TimeDelta::seconds(span.ticks / TICKS_PER_SECOND)
            + chrono::TimeDelta::nanoseconds((span.ticks % TICKS_PER_SECOND) * 100)
    }
}

impl fmt::Display for TimeSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ticks == 0 {
            return f.write_str("PT0S");
        }
        if self.ticks < 0 {
            f.write_str("-")?;
        }
        let ticks = self.ticks.unsigned_abs();
        let (days, rest) = (ticks / TICKS_PER_DAY as u64, ticks % TICKS_PER_DAY as u64);
        let hours = rest / TICKS_PER_HOUR as u64;
        let minutes = rest % TICKS_PER_HOUR as u64 / TICKS_PER_MINUTE as u64;
        let seconds = rest % TICKS_PER_MINUTE as u64 / TICKS_PER_SECOND as u64;
        let fraction = rest % TICKS_PER_SECOND as u64;
        f.write_str("P")?;
        if days > 0 {
            write!(f, "{days}D")?;
        }
        if rest == 0 {
            return Ok(());
        }
        f.write_str("T")?;
        if hours > 0 {
            write!(f, "{hours}H")?;
        }
        if minutes > 0 {
            write!(f, "{minutes}M")?;
        }
        if seconds > 0 || fraction > 0 {
            write!(f, "{seconds}")?;
            if fraction > 0 {
                let digits = format!("{fraction:07}");
                write!(f, ".{}", digits.trim_end_matches('0'))?;
            }
            f.write_str("S")?;
        }
        Ok(())
    }
}

impl FromStr for TimeSpan {
    type Err = ParseTimeSpanError;

    /// Any `xs:duration`; years count 365 days and months 30, as .NET converts them.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |why| ParseTimeSpanError {
            text: text.to_owned(),
            why,
        };
        let trimmed = text.trim_matches([' ', '\t', '\r', '\n']);
        let (negative, rest) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let rest = rest
            .strip_prefix('P')
            .ok_or_else(|| error("it must start with P"))?;
        let (date, time) = match rest.split_once('T') {
            Some((_, "")) => return Err(error("a T must be followed by a time")),
            Some((date, time)) => (date, Some(time)),
            None => (rest, None),
        };
        if date.is_empty() && time.is_none() {
            return Err(error("it has no component"));
        }
        let mut ticks: i128 = 0;
        let mut number = |part: &str, designators: &[(char, i64)]| -> Result<(), &'static str> {
            let mut rest = part;
            let mut allowed = designators;
            while !rest.is_empty() {
                let end = rest
                    .find(|c: char| !c.is_ascii_digit() && c != '.')
                    .ok_or("a number without its unit")?;
                let (value, unit) = (&rest[..end], rest[end..].chars().next().unwrap_or(' '));
                let position = allowed
                    .iter()
                    .position(|(d, _)| *d == unit)
                    .ok_or("an unknown or misplaced unit")?;
                let per = allowed[position].1;
                allowed = &allowed[position + 1..];
                ticks += component(value, per, unit == 'S')?;
                rest = &rest[end + unit.len_utf8()..];
            }
            Ok(())
        };
        number(
            date,
            &[
                ('Y', 365 * TICKS_PER_DAY),
                ('M', 30 * TICKS_PER_DAY),
                ('D', TICKS_PER_DAY),
            ],
        )
        .map_err(error)?;
        if let Some(time) = time {
            number(
                time,
                &[
                    ('H', TICKS_PER_HOUR),
                    ('M', TICKS_PER_MINUTE),
                    ('S', TICKS_PER_SECOND),
                ],
            )
            .map_err(error)?;
        }
        let ticks = if negative { -ticks } else { ticks };
        i64::try_from(ticks)
            .map(TimeSpan::from_ticks)
            .map_err(|_| error("it is longer than a TimeSpan holds"))
    }
}

/// The ticks of one `value` of a unit worth `per` ticks; only seconds may have a fraction
/// (kept to whole ticks, as .NET does).
fn component(value: &str, per: i64, fraction_allowed: bool) -> Result<i128, &'static str> {
    let (whole, fraction) = match value.split_once('.') {
        Some(_) if !fraction_allowed => return Err("only seconds may have a fraction"),
        Some((whole, fraction)) => (whole, fraction),
        None => (value, ""),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err("a component needs digits");
    }
    if value.contains('.') && (fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("a fraction needs digits");
    }
    let whole: i128 = whole.parse().map_err(|_| "a number too large")?;
    let mut fraction_ticks: i128 = 0;
    for (i, digit) in fraction.bytes().take(7).enumerate() {
        fraction_ticks += i128::from(digit - b'0') * 10i128.pow(6 - i as u32);
    }
    whole
        .checked_mul(i128::from(per))
        .and_then(|t| t.checked_add(fraction_ticks))
        .filter(|t| *t <= i128::from(i64::MAX))
        .ok_or("a number too large")
}

super::text_serde!(TimeSpan, super::ser_name!("duration"), "an xs:duration");
