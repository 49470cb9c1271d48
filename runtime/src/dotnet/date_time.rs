//! `System.DateTime` (100 ns ticks since 0001-01-01 and a `Kind`) and `System.DateTimeOffset`
//! (its class contract in the `System` namespace). chrono does the calendar; the text form is
//! .NET's: `yyyy-MM-ddTHH:mm:ss`, then `.` and up to seven digits without trailing zeros, then
//! `Z` (Utc), nothing (Unspecified) or `±hh:mm` (Local).

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use serde::ser::SerializeStruct;
use std::fmt;
use std::str::FromStr;

const TICKS_PER_SECOND: i64 = 10_000_000;
const TICKS_PER_DAY: i64 = 86_400 * TICKS_PER_SECOND;
/// `DateTime.MaxValue.Ticks`: 9999-12-31T23:59:59.9999999.
const MAX_TICKS: i64 = 3_155_378_975_999_999_999;

/// What a `DateTime`'s clock reading is relative to (`DateTime.Kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DateTimeKind {
    /// No zone: written without a suffix, and read from a text without one.
    #[default]
    Unspecified,
    /// UTC: written with `Z`.
    Utc,
    /// A local time, `offset_minutes` east of UTC: written with `±hh:mm`. .NET writes its
    /// machine's offset at that instant; a .NET reader converts such a value to its own local
    /// time. Indigo keeps the offset it read, so the value round-trips.
    Local {
        /// Minutes east of UTC.
        offset_minutes: i16,
    },
}

/// .NET's `DateTime`: a clock reading in 100 ns ticks since 0001-01-01T00:00:00, and its kind.
///
/// ```
/// use indigo::dotnet::{DateTime, DateTimeKind};
///
/// let leap: DateTime = "2024-02-29T23:59:59.1234567Z".parse().unwrap();
/// assert_eq!(leap.kind(), DateTimeKind::Utc);
/// assert_eq!(leap.to_string(), "2024-02-29T23:59:59.1234567Z");
/// let old: DateTime = "1601-01-01T00:00:00".parse().unwrap();
/// assert_eq!(old.to_string(), "1601-01-01T00:00:00");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DateTime {
    ticks: i64,
    kind: DateTimeKind,
}

/// Why a text or a value is not a .NET `DateTime`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an xs:dateTime .NET reads as a DateTime: {why}")]
pub struct ParseDateTimeError {
    text: String,
    why: &'static str,
}

impl DateTime {
    /// The reading `ticks` (0 to `DateTime.MaxValue.Ticks`) of the given kind; `None` out of
    /// range.
    pub fn from_ticks(ticks: i64, kind: DateTimeKind) -> Option<Self> {
        (0..=MAX_TICKS)
            .contains(&ticks)
            .then_some(DateTime { ticks, kind })
    }

    /// Ticks since 0001-01-01T00:00:00 on this value's clock.
    pub fn ticks(self) -> i64 {
        self.ticks
    }

    /// The kind.
    pub fn kind(self) -> DateTimeKind {
        self.kind
    }

    /// The clock reading without its kind.
    pub fn naive(self) -> NaiveDateTime {
        let days = self.ticks / TICKS_PER_DAY;
        let rest = self.ticks % TICKS_PER_DAY;
        // In range by construction: 0..=MAX_TICKS is 0001-01-01..=9999-12-31.
        let date = NaiveDate::from_num_days_from_ce_opt(days as i32 + 1).unwrap_or(NaiveDate::MIN);
        let seconds = (rest / TICKS_PER_SECOND) as u32;
        let nanos = (rest % TICKS_PER_SECOND * 100) as u32;
        date.and_hms_nano_opt(seconds / 3600, seconds / 60 % 60, seconds % 60, nanos)
            .unwrap_or_default()
    }

    /// The instant, for a Utc or Local value; `None` for Unspecified (it names no instant).
    pub fn to_utc(self) -> Option<chrono::DateTime<chrono::Utc>> {
        let offset = match self.kind {
            DateTimeKind::Utc => 0,
            DateTimeKind::Local { offset_minutes } => i64::from(offset_minutes),
            DateTimeKind::Unspecified => return None,
        };
        let utc = self.naive() - chrono::TimeDelta::minutes(offset);
        Some(utc.and_utc())
    }

    fn from_naive(naive: NaiveDateTime, kind: DateTimeKind) -> Option<Self> {
        if naive.year() < 1 {
            return None;
        }
        let days = i64::from(naive.num_days_from_ce() - 1);
        let seconds = i64::from(naive.num_seconds_from_midnight());
        let ticks = days * TICKS_PER_DAY
            + seconds * TICKS_PER_SECOND
            + i64::from(naive.nanosecond() % 1_000_000_000) / 100;
        DateTime::from_ticks(ticks, kind)
    }
}

impl TryFrom<NaiveDateTime> for DateTime {
    type Error = OutOfRange;

    /// An Unspecified reading; whole ticks (below 100 ns dropped).
    fn try_from(naive: NaiveDateTime) -> Result<Self, OutOfRange> {
        DateTime::from_naive(naive, DateTimeKind::Unspecified).ok_or(OutOfRange)
    }
}

impl TryFrom<chrono::DateTime<chrono::Utc>> for DateTime {
    type Error = OutOfRange;

    /// A Utc value.
    fn try_from(instant: chrono::DateTime<chrono::Utc>) -> Result<Self, OutOfRange> {
        DateTime::from_naive(instant.naive_utc(), DateTimeKind::Utc).ok_or(OutOfRange)
    }
}

impl TryFrom<chrono::DateTime<chrono::FixedOffset>> for DateTime {
    type Error = OutOfRange;

    /// A Local value with the offset.
    fn try_from(instant: chrono::DateTime<chrono::FixedOffset>) -> Result<Self, OutOfRange> {
        let offset_minutes = (instant.offset().local_minus_utc() / 60) as i16;
        DateTime::from_naive(
            instant.naive_local(),
            DateTimeKind::Local { offset_minutes },
        )
        .ok_or(OutOfRange)
    }
}

/// A date outside .NET's range, 0001-01-01 to 9999-12-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("outside .NET's DateTime range (0001-01-01 to 9999-12-31)")]
pub struct OutOfRange;

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let naive = self.naive();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            naive.year(),
            naive.month(),
            naive.day(),
            naive.hour(),
            naive.minute(),
            naive.second()
        )?;
        let fraction = self.ticks % TICKS_PER_SECOND;
        if fraction > 0 {
            let digits = format!("{fraction:07}");
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        match self.kind {
            DateTimeKind::Unspecified => Ok(()),
            DateTimeKind::Utc => f.write_str("Z"),
            DateTimeKind::Local { offset_minutes } => {
                let sign = if offset_minutes < 0 { '-' } else { '+' };
                let minutes = offset_minutes.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", minutes / 60, minutes % 60)
            }
        }
    }
}

impl FromStr for DateTime {
    type Err = ParseDateTimeError;

    /// `yyyy-MM-ddTHH:mm:ss[.f…][Z|±hh:mm]`, around whitespace; digits past the seventh of the
    /// fraction are dropped, as .NET keeps whole ticks.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |why| ParseDateTimeError {
            text: text.to_owned(),
            why,
        };
        let trimmed = text.trim_matches([' ', '\t', '\r', '\n']);
        let (clock, kind) = if let Some(clock) = trimmed.strip_suffix('Z') {
            (clock, DateTimeKind::Utc)
        } else if trimmed.len() > 6
            && matches!(trimmed.as_bytes()[trimmed.len() - 6], b'+' | b'-')
            && trimmed.as_bytes()[trimmed.len() - 3] == b':'
        {
            let (clock, zone) = trimmed.split_at(trimmed.len() - 6);
            let hours: i16 = zone[1..3].parse().map_err(|_| error("a bad zone offset"))?;
            let minutes: i16 = zone[4..6].parse().map_err(|_| error("a bad zone offset"))?;
            if hours > 14 || minutes > 59 {
                return Err(error("a zone offset beyond ±14:00"));
            }
            let offset = hours * 60 + minutes;
            let offset_minutes = if zone.starts_with('-') {
                -offset
            } else {
                offset
            };
            (clock, DateTimeKind::Local { offset_minutes })
        } else {
            (trimmed, DateTimeKind::Unspecified)
        };
        let (whole, fraction) = match clock.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (clock, None),
        };
        let naive = NaiveDateTime::parse_from_str(whole, "%Y-%m-%dT%H:%M:%S")
            .map_err(|_| error("not yyyy-MM-ddTHH:mm:ss"))?;
        if whole.len() != 19 {
            return Err(error("not yyyy-MM-ddTHH:mm:ss"));
        }
        let mut ticks = 0i64;
        if let Some(fraction) = fraction {
            if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return Err(error("a fraction needs digits"));
            }
            for (i, digit) in fraction.bytes().take(7).enumerate() {
                ticks += i64::from(digit - b'0') * 10i64.pow(6 - i as u32);
            }
        }
        let value = DateTime::from_naive(naive, kind).ok_or_else(|| error("out of range"))?;
        DateTime::from_ticks(value.ticks + ticks, kind).ok_or_else(|| error("out of range"))
    }
}

super::text_serde!(DateTime, super::xsd_name!("dateTime"), "an xs:dateTime");

/// .NET's `DateTimeOffset`: an instant and the offset it was read at. Not a primitive for
/// DataContractSerializer: the class contract `DateTimeOffset` in
/// `http://schemas.datacontract.org/2004/07/System`, members `DateTime` (the instant, in UTC)
/// and `OffsetMinutes`.
///
/// ```
/// use indigo::dotnet::DateTimeOffset;
///
/// let meeting = chrono::DateTime::parse_from_rfc3339("2024-01-02T03:04:05+02:00").unwrap();
/// let value = DateTimeOffset::try_from(meeting).unwrap();
/// assert_eq!(value.offset_minutes(), 120);
/// assert_eq!(value.utc().to_string(), "2024-01-02T01:04:05Z");
/// assert_eq!(chrono::DateTime::try_from(value).unwrap(), meeting);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTimeOffset {
    utc: DateTime,
    offset_minutes: i16,
}

/// `default(DateTimeOffset)`: 0001-01-01T00:00:00 UTC, offset 0.
impl Default for DateTimeOffset {
    fn default() -> Self {
        DateTimeOffset {
            utc: DateTime {
                ticks: 0,
                kind: DateTimeKind::Utc,
            },
            offset_minutes: 0,
        }
    }
}

impl DateTimeOffset {
    /// The instant as a Utc `DateTime`.
    pub fn utc(self) -> DateTime {
        self.utc
    }

    /// Minutes east of UTC.
    pub fn offset_minutes(self) -> i16 {
        self.offset_minutes
    }
}

impl TryFrom<chrono::DateTime<chrono::FixedOffset>> for DateTimeOffset {
    type Error = OutOfRange;

    fn try_from(instant: chrono::DateTime<chrono::FixedOffset>) -> Result<Self, OutOfRange> {
        Ok(DateTimeOffset {
            utc: DateTime::try_from(instant.to_utc())?,
            offset_minutes: (instant.offset().local_minus_utc() / 60) as i16,
        })
    }
}

impl TryFrom<DateTimeOffset> for chrono::DateTime<chrono::FixedOffset> {
    type Error = OutOfRange;

    fn try_from(value: DateTimeOffset) -> Result<Self, OutOfRange> {
        let offset = chrono::FixedOffset::east_opt(i32::from(value.offset_minutes) * 60)
            .ok_or(OutOfRange)?;
        let utc = value.utc.to_utc().ok_or(OutOfRange)?;
        Ok(utc.with_timezone(&offset))
    }
}

const DATE_TIME_OFFSET: &str = "{http://schemas.datacontract.org/2004/07/System}DateTimeOffset";

impl serde::Serialize for DateTimeOffset {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct(DATE_TIME_OFFSET, 2)?;
        state.serialize_field("DateTime", &self.utc)?;
        state.serialize_field("OffsetMinutes", &self.offset_minutes)?;
        state.end()
    }
}

impl<'de> serde::Deserialize<'de> for DateTimeOffset {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Wire {
            #[serde(rename = "DateTime")]
            date_time: DateTime,
            #[serde(rename = "OffsetMinutes")]
            offset_minutes: i16,
        }
        let wire = Wire::deserialize(deserializer)?;
        let utc = match wire.date_time.kind {
            DateTimeKind::Utc => wire.date_time,
            // .NET writes `Z`; read any reading that names an instant as that instant.
            _ => wire
                .date_time
                .to_utc()
                .and_then(|utc| DateTime::try_from(utc).ok())
                .unwrap_or(DateTime {
                    kind: DateTimeKind::Utc,
                    ..wire.date_time
                }),
        };
        Ok(DateTimeOffset {
            utc,
            offset_minutes: wire.offset_minutes,
        })
    }
}
