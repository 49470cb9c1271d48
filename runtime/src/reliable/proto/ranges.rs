//! Sets of message numbers kept as sorted, disjoint ranges: what a WS-RM destination has
//! received, and what a WS-RM source learns from a `SequenceAcknowledgement`.
//!
//! Message numbers are 1-based and never exceed [`MAX_MESSAGE_NUMBER`] (`xs:long` max, WCF's
//! `Int64.MaxValue`; WS-RM 1.1's `MessageNumberType`). A peer controls which numbers arrive,
//! so a set can be given a bound on its number of disjoint ranges: beyond it, a number that would
//! open a new gap is refused and the caller drops the message without acknowledging it, exactly
//! as WCF's `ReliableInputConnection.CanMerge` does (reference §2.6). The sender retransmits it
//! later, by which time the gap may have closed.

use std::fmt;

/// The largest message number WS-RM allows: 9,223,372,036,854,775,807 (`xs:long` max).
pub const MAX_MESSAGE_NUMBER: u64 = i64::MAX as u64;

/// Default bound on disjoint ranges in a received set: WCF's `MaxSequenceRanges` (128).
/// An ordered receiver never gets near it (its buffer covers at most MaxTransferWindowSize
/// numbers past the next expected one, so it holds at most that many gaps); it matters for
/// unordered delivery, where a hostile sender could otherwise make one range per message.
pub const DEFAULT_MAX_RANGES: usize = 128;

/// An inclusive range of message numbers, as in `wsrm:AcknowledgementRange@Lower/@Upper`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AckRange {
    /// The first number in the range.
    pub lower: u64,
    /// The last number in the range (inclusive).
    pub upper: u64,
}

impl AckRange {
    /// A range from `lower` to `upper`, both inclusive.
    pub const fn new(lower: u64, upper: u64) -> Self {
        AckRange { lower, upper }
    }

    /// Whether `n` is in the range.
    pub const fn contains(&self, n: u64) -> bool {
        self.lower <= n && n <= self.upper
    }
}

impl fmt::Display for AckRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.lower, self.upper)
    }
}

/// What [`RangeSet::insert`] did with a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    /// The number was new and is now in the set.
    Inserted,
    /// The number was already in the set.
    Duplicate,
    /// The number would open a new range and the set already holds its maximum; nothing changed.
    TooManyRanges,
    /// The number is 0 or above [`MAX_MESSAGE_NUMBER`]; nothing changed.
    OutOfBounds,
}

/// A set of message numbers as sorted, disjoint, non-adjacent inclusive ranges, with a bound on
/// the number of ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeSet {
    ranges: Vec<AckRange>,
    max_ranges: usize,
}

impl Default for RangeSet {
    fn default() -> Self {
        RangeSet::new()
    }
}

impl RangeSet {
    /// An empty set bounded to [`DEFAULT_MAX_RANGES`] ranges.
    pub fn new() -> Self {
        RangeSet::with_max_ranges(DEFAULT_MAX_RANGES)
    }

    /// An empty set bounded to `max_ranges` ranges (at least 1).
    pub fn with_max_ranges(max_ranges: usize) -> Self {
        RangeSet {
            ranges: Vec::new(),
            max_ranges: max_ranges.max(1),
        }
    }

    /// The bound on disjoint ranges.
    pub fn max_ranges(&self) -> usize {
        self.max_ranges
    }

    /// Whether the set holds no number.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The number of disjoint ranges.
    pub fn range_count(&self) -> usize {
        self.ranges.len()
    }

    /// The ranges, lowest first.
    pub fn ranges(&self) -> &[AckRange] {
        &self.ranges
    }

    /// Iterates over the ranges, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = AckRange> + '_ {
        self.ranges.iter().copied()
    }

    /// The highest number in the set.
    pub fn highest(&self) -> Option<u64> {
        self.ranges.last().map(|r| r.upper)
    }

    /// How many numbers the set holds (saturating).
    pub fn count(&self) -> u64 {
        self.ranges
            .iter()
            .fold(0u64, |n, r| n.saturating_add(r.upper - r.lower + 1))
    }

    /// Whether `n` is in the set.
    pub fn contains(&self, n: u64) -> bool {
        // First range whose upper bound reaches n: the only one that can hold it.
        let i = self.ranges.partition_point(|r| r.upper < n);
        self.ranges.get(i).is_some_and(|r| r.lower <= n)
    }

    /// Whether every number in `lower..=upper` is in the set (true for an empty range).
    pub fn covers(&self, lower: u64, upper: u64) -> bool {
        if lower > upper {
            return true;
        }
        let i = self.ranges.partition_point(|r| r.upper < lower);
        self.ranges
            .get(i)
            .is_some_and(|r| r.lower <= lower && upper <= r.upper)
    }

    /// The highest `h` such that every number in `start..=h` is in the set, or `start - 1` if
    /// `start` itself is missing.
    pub fn contiguous_from(&self, start: u64) -> u64 {
        let i = self.ranges.partition_point(|r| r.upper < start);
        match self.ranges.get(i) {
            Some(r) if r.lower <= start => r.upper,
            _ => start.saturating_sub(1),
        }
    }

    /// Whether inserting `n` would succeed or be a duplicate (that is, would not be refused for
    /// the range bound). WCF checks this before accepting an unordered message.
    pub fn can_insert(&self, n: u64) -> bool {
        if n == 0 || n > MAX_MESSAGE_NUMBER {
            return false;
        }
        let i = self
            .ranges
            .partition_point(|r| r.upper.saturating_add(1) < n);
        match self.ranges.get(i) {
            // Inside, or adjacent above the range's upper bound, or just below its lower bound.
            Some(r) if r.lower <= n.saturating_add(1) => true,
            _ => self.ranges.len() < self.max_ranges,
        }
    }

    /// Inserts one number, merging with its neighbours.
    pub fn insert(&mut self, n: u64) -> Insert {
        if n == 0 || n > MAX_MESSAGE_NUMBER {
            return Insert::OutOfBounds;
        }
        if self.contains(n) {
            return Insert::Duplicate;
        }
        if self.insert_range(n, n) {
            Insert::Inserted
        } else {
            Insert::TooManyRanges
        }
    }

    /// Inserts every number in `lower..=upper`, merging overlapping and adjacent ranges.
    /// Returns false (and changes nothing) when the range is empty or out of bounds, or when it
    /// would add a range beyond the bound.
    pub fn insert_range(&mut self, lower: u64, upper: u64) -> bool {
        if lower == 0 || lower > upper || upper > MAX_MESSAGE_NUMBER {
            return false;
        }
        // Ranges [i, j) overlap or touch [lower, upper]; everything before i ends at least two
        // below `lower`, everything from j starts at least two above `upper`.
        let i = self.ranges.partition_point(|r| r.upper + 1 < lower);
        let j = self.ranges.partition_point(|r| r.lower <= upper + 1);
        if i == j {
            if self.ranges.len() >= self.max_ranges {
                return false;
            }
            self.ranges.insert(i, AckRange::new(lower, upper));
        } else {
            let merged = AckRange::new(
                lower.min(self.ranges[i].lower),
                upper.max(self.ranges[j - 1].upper),
            );
            self.ranges.drain(i + 1..j);
            self.ranges[i] = merged;
        }
        true
    }

    /// The numbers in `lower..=upper` that are not in the set, lowest first, as ranges.
    pub fn gaps(&self, lower: u64, upper: u64) -> Vec<AckRange> {
        let mut gaps = Vec::new();
        let mut next = lower;
        for r in &self.ranges {
            if next > upper {
                break;
            }
            if r.upper < next {
                continue;
            }
            if r.lower > next {
                gaps.push(AckRange::new(next, (r.lower - 1).min(upper)));
            }
            next = r.upper.saturating_add(1);
        }
        if next <= upper {
            gaps.push(AckRange::new(next, upper));
        }
        gaps
    }
}

/// Why an incoming acknowledgement is an `InvalidAcknowledgement` (reference §1.4, §2.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckRangeError {
    /// A range starts at 0 (only the 1.0 "nothing received" marker `0-0` may use 0).
    #[error("acknowledgement range {0} starts at 0")]
    ZeroLower(AckRange),
    /// A range's lower bound is above its upper bound.
    #[error("acknowledgement range {0} has its lower bound above its upper bound")]
    Inverted(AckRange),
    /// A range acknowledges a message that was never sent (WCF's InvalidAcknowledgement).
    #[error("acknowledgement range {range} covers messages never sent (last sent: {last_sent})")]
    NeverSent {
        /// The offending range.
        range: AckRange,
        /// The highest message number sent so far.
        last_sent: u64,
    },
}

/// Validates the ranges of an incoming `SequenceAcknowledgement` against the last message
/// number sent and merges them into a set.
///
/// The 1.0 marker `0-0` ("nothing received yet", WCF B1402) is accepted and adds nothing.
/// Overlapping or unsorted ranges are merged rather than refused: the schema does not forbid
/// them and refusing would fault a session over a harmless quirk. A range reaching past
/// `last_sent` is the InvalidAcknowledgement WCF detects (`ProcessAcknowledgement`).
pub fn validate_ack_ranges(ranges: &[AckRange], last_sent: u64) -> Result<RangeSet, AckRangeError> {
    // The input is already in memory; its length bounds the merged set.
    let mut set = RangeSet::with_max_ranges(ranges.len());
    for &range in ranges {
        if range.lower == 0 && range.upper == 0 {
            continue;
        }
        if range.lower == 0 {
            return Err(AckRangeError::ZeroLower(range));
        }
        if range.lower > range.upper {
            return Err(AckRangeError::Inverted(range));
        }
        if range.upper > last_sent {
            return Err(AckRangeError::NeverSent { range, last_sent });
        }
        // Cannot fail: bounds were checked and the set has room for every input range.
        set.insert_range(range.lower, range.upper);
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(numbers: &[u64]) -> RangeSet {
        let mut s = RangeSet::new();
        for &n in numbers {
            s.insert(n);
        }
        s
    }

    fn pairs(s: &RangeSet) -> Vec<(u64, u64)> {
        s.iter().map(|r| (r.lower, r.upper)).collect()
    }

    #[test]
    fn insert_merges_neighbours() {
        let mut s = RangeSet::new();
        assert_eq!(s.insert(3), Insert::Inserted);
        assert_eq!(s.insert(1), Insert::Inserted);
        assert_eq!(pairs(&s), vec![(1, 1), (3, 3)]);
        assert_eq!(s.insert(2), Insert::Inserted);
        assert_eq!(pairs(&s), vec![(1, 3)]);
        assert_eq!(s.insert(2), Insert::Duplicate);
        assert_eq!(s.insert(5), Insert::Inserted);
        assert_eq!(s.insert(4), Insert::Inserted);
        assert_eq!(pairs(&s), vec![(1, 5)]);
        assert_eq!(s.insert(0), Insert::OutOfBounds);
        assert_eq!(s.insert(MAX_MESSAGE_NUMBER + 1), Insert::OutOfBounds);
        assert_eq!(s.insert(MAX_MESSAGE_NUMBER), Insert::Inserted);
        assert_eq!(s.highest(), Some(MAX_MESSAGE_NUMBER));
    }

    #[test]
    fn contains_and_covers() {
        let s = set_of(&[1, 2, 3, 7, 8, 10]);
        assert_eq!(pairs(&s), vec![(1, 3), (7, 8), (10, 10)]);
        for n in [1, 2, 3, 7, 8, 10] {
            assert!(s.contains(n), "{n}");
        }
        for n in [0, 4, 5, 6, 9, 11] {
            assert!(!s.contains(n), "{n}");
        }
        assert!(s.covers(1, 3));
        assert!(s.covers(7, 8));
        assert!(!s.covers(3, 7));
        assert!(s.covers(5, 4), "empty range");
        assert_eq!(s.contiguous_from(1), 3);
        assert_eq!(s.contiguous_from(2), 3);
        assert_eq!(s.contiguous_from(4), 3);
        assert_eq!(s.contiguous_from(7), 8);
        assert_eq!(s.count(), 6);
    }

    #[test]
    fn bounded_ranges_refuse_new_gaps_but_accept_merges() {
        let mut s = RangeSet::with_max_ranges(2);
        assert_eq!(s.insert(1), Insert::Inserted);
        assert_eq!(s.insert(3), Insert::Inserted);
        assert!(!s.can_insert(5));
        assert_eq!(s.insert(5), Insert::TooManyRanges);
        assert_eq!(pairs(&s), vec![(1, 1), (3, 3)]);
        // Extending an existing range or closing a gap never needs a new range.
        assert!(s.can_insert(4));
        assert_eq!(s.insert(4), Insert::Inserted);
        assert!(s.can_insert(2));
        assert_eq!(s.insert(2), Insert::Inserted);
        assert_eq!(pairs(&s), vec![(1, 4)]);
        assert!(s.can_insert(3), "duplicates are always fine");
    }

    #[test]
    fn insert_range_merges_many() {
        let mut s = set_of(&[1, 3, 5, 7, 20]);
        assert!(s.insert_range(2, 8));
        assert_eq!(pairs(&s), vec![(1, 8), (20, 20)]);
        assert!(s.insert_range(9, 19));
        assert_eq!(pairs(&s), vec![(1, 20)]);
        assert!(!s.insert_range(0, 3));
        assert!(!s.insert_range(5, 4));
    }

    #[test]
    fn gaps_below_a_bound() {
        let s = set_of(&[2, 3, 6, 9]);
        let g: Vec<_> = s.gaps(1, 9).iter().map(|r| (r.lower, r.upper)).collect();
        assert_eq!(g, vec![(1, 1), (4, 5), (7, 8)]);
        let g: Vec<_> = s.gaps(3, 7).iter().map(|r| (r.lower, r.upper)).collect();
        assert_eq!(g, vec![(4, 5), (7, 7)]);
        assert!(set_of(&[1, 2, 3]).gaps(1, 3).is_empty());
        assert_eq!(RangeSet::new().gaps(1, 2), vec![AckRange::new(1, 2)]);
    }

    #[test]
    fn validation_against_last_sent() {
        let ok = validate_ack_ranges(&[AckRange::new(4, 5), AckRange::new(1, 2)], 5).unwrap();
        assert_eq!(pairs(&ok), vec![(1, 2), (4, 5)]);
        let overlapping =
            validate_ack_ranges(&[AckRange::new(1, 3), AckRange::new(2, 5)], 5).unwrap();
        assert_eq!(pairs(&overlapping), vec![(1, 5)]);
        assert!(validate_ack_ranges(&[AckRange::new(0, 0)], 0)
            .unwrap()
            .is_empty());
        assert_eq!(
            validate_ack_ranges(&[AckRange::new(1, 6)], 5),
            Err(AckRangeError::NeverSent {
                range: AckRange::new(1, 6),
                last_sent: 5
            })
        );
        assert!(matches!(
            validate_ack_ranges(&[AckRange::new(0, 2)], 5),
            Err(AckRangeError::ZeroLower(_))
        ));
        assert!(matches!(
            validate_ack_ranges(&[AckRange::new(3, 2)], 5),
            Err(AckRangeError::Inverted(_))
        ));
        assert!(matches!(
            validate_ack_ranges(&[AckRange::new(1, 1)], 0),
            Err(AckRangeError::NeverSent { .. })
        ));
    }

    /// Compares the set against a naive model over random inserts.
    #[test]
    fn matches_a_naive_model() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200 {
            let mut s = RangeSet::with_max_ranges(usize::MAX);
            let mut model = std::collections::BTreeSet::new();
            for _ in 0..60 {
                let n = next() % 80 + 1;
                let dup = !model.insert(n);
                assert_eq!(s.insert(n) == Insert::Duplicate, dup);
            }
            for n in 0..90 {
                assert_eq!(s.contains(n), model.contains(&n));
            }
            let from_ranges: std::collections::BTreeSet<u64> =
                s.iter().flat_map(|r| r.lower..=r.upper).collect();
            assert_eq!(from_ranges, model);
            // Disjoint and non-adjacent.
            for w in s.ranges().windows(2) {
                assert!(w[0].upper + 1 < w[1].lower);
            }
        }
    }
}
