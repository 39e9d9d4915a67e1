//! Wall-clock instants as the caller passes them: milliseconds since the Unix epoch.
//!
//! The core never reads a clock (`SystemTime::now()` panics on wasm32-unknown-unknown); the JS side
//! passes `Date.now()` in. This module also reads the RFC 3339 timestamps token services send.

use std::fmt;

/// One second, in milliseconds.
const SECOND_MS: u64 = 1_000;

/// An instant, in milliseconds since 1970-01-01T00:00:00Z (what `Date.now()` returns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// The instant `seconds` later, saturating instead of overflowing.
    #[must_use]
    pub fn plus_seconds(self, seconds: u64) -> Self {
        Self(self.0.saturating_add(seconds.saturating_mul(SECOND_MS)))
    }

    /// The instant `millis` earlier, saturating at the epoch.
    #[must_use]
    pub fn minus_millis(self, millis: u64) -> Self {
        Self(self.0.saturating_sub(millis))
    }

    /// Reads an RFC 3339 timestamp such as `2024-05-01T12:00:00.123456789Z` or `...+02:00`.
    ///
    /// Fractions finer than a millisecond are truncated; a leap second (`:60`) counts as `:59.999`.
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimestampError> {
        let bad = |what: &'static str| TimestampError { text: crate::auth::shorten(text), what };
        let b = text.as_bytes();
        if b.len() < 20 || b.len() > 40 {
            return Err(bad("length is not that of a timestamp"));
        }
        let year = digits(b, 0, 4).ok_or_else(|| bad("year"))?;
        let month = digits(b, 5, 2).ok_or_else(|| bad("month"))?;
        let day = digits(b, 8, 2).ok_or_else(|| bad("day"))?;
        let hour = digits(b, 11, 2).ok_or_else(|| bad("hour"))?;
        let minute = digits(b, 14, 2).ok_or_else(|| bad("minute"))?;
        let second = digits(b, 17, 2).ok_or_else(|| bad("second"))?;
        let separators_ok = b[4] == b'-'
            && b[7] == b'-'
            && matches!(b[10], b'T' | b't' | b' ')
            && b[13] == b':'
            && b[16] == b':';
        if !separators_ok {
            return Err(bad("separators (expected YYYY-MM-DDTHH:MM:SS)"));
        }
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(bad("date does not exist"));
        }
        if hour > 23 || minute > 59 || second > 60 {
            return Err(bad("time of day out of range"));
        }

        // Optional fraction, then the offset.
        let mut pos = 19;
        let mut millis = 0;
        if b.get(pos) == Some(&b'.') {
            pos += 1;
            let start = pos;
            while b.get(pos).is_some_and(u8::is_ascii_digit) {
                if pos - start < 3 {
                    millis = millis * 10 + u64::from(b[pos] - b'0');
                }
                pos += 1;
            }
            if pos == start {
                return Err(bad("fraction has no digits"));
            }
            for _ in (pos - start)..3 {
                millis *= 10;
            }
        }
        let offset_seconds: i64 = match &b[pos..] {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let oh = digits(b, pos + 1, 2).ok_or_else(|| bad("offset hours"))?;
                let om = digits(b, pos + 4, 2).ok_or_else(|| bad("offset minutes"))?;
                if oh > 23 || om > 59 {
                    return Err(bad("offset out of range"));
                }
                let magnitude = i64::from(oh * 3600 + om * 60);
                if *sign == b'+' { magnitude } else { -magnitude }
            }
            _ => return Err(bad("offset (expected Z or +HH:MM)")),
        };

        let (second, millis) = if second == 60 { (59, 999) } else { (second, millis) };
        let local = days_from_civil(i64::from(year), month, day) * 86_400
            + i64::from(hour * 3600 + minute * 60 + second);
        let utc = local - offset_seconds;
        let utc = u64::try_from(utc).map_err(|_| bad("before 1970"))?;
        Ok(Self(utc * SECOND_MS + millis))
    }
}

impl fmt::Display for UnixMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms since the Unix epoch", self.0)
    }
}

/// A timestamp that is not RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("timestamp {text:?} is not RFC 3339: bad {what}")]
pub struct TimestampError {
    /// The offending text (cut to 64 characters).
    pub text: String,
    /// Which part is wrong.
    pub what: &'static str,
}

/// `len` ASCII digits at `start`, as a number.
fn digits(b: &[u8], start: usize, len: usize) -> Option<u32> {
    let slice = b.get(start..start + len)?;
    slice.iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
}

fn is_leap(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_and_offsets() {
        let cases = [
            ("1970-01-01T00:00:00Z", 0),
            ("1970-01-01T00:00:01.5Z", 1_500),
            ("2000-03-01T00:00:00Z", 951_868_800_000),
            // `date -u -d 2024-02-29T12:34:56Z +%s` = 1709210096
            ("2024-02-29T12:34:56Z", 1_709_210_096_000),
            ("2024-02-29T12:34:56.123456789Z", 1_709_210_096_123),
            ("2024-02-29T14:34:56+02:00", 1_709_210_096_000),
            ("2024-02-29T07:04:56-05:30", 1_709_210_096_000),
            ("2024-02-29t12:34:56z", 1_709_210_096_000),
            ("2016-12-31T23:59:60Z", 1_483_228_799_999),
        ];
        for (text, millis) in cases {
            assert_eq!(UnixMillis::parse_rfc3339(text), Ok(UnixMillis(millis)), "{text}");
        }
    }

    #[test]
    fn rejects_malformed_timestamps() {
        let cases = [
            "",
            "2024-02-29",
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0200",
            "2024-01-01T00:00:00+24:00",
            "2024/01/01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "２０２４-01-01T00:00:00Z",
            "2024-01-01T00:00:00.1234567890123456789012Z",
        ];
        for text in cases {
            assert!(UnixMillis::parse_rfc3339(text).is_err(), "{text:?} should be rejected");
        }
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(UnixMillis(u64::MAX - 1).plus_seconds(u64::MAX), UnixMillis(u64::MAX));
        assert_eq!(UnixMillis(5).minus_millis(10), UnixMillis(0));
        assert_eq!(UnixMillis(1_000).plus_seconds(2), UnixMillis(3_000));
    }
}
