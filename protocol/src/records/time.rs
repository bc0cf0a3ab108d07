//! Time as the protocol sees it: instants in whole Unix seconds and calendar dates.
//!
//! The protocol never reads a clock. Every function that depends on "now" takes a [`UnixTime`], so tests
//! and simulations control time exactly and two nodes given the same inputs reach the same verdicts.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant, in whole seconds since 1970-01-01T00:00:00Z.
///
/// Seconds are precise enough for profile validity (days) and skew checks (minutes), and they keep the
/// wire format a single varint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct UnixTime(pub u64);

impl UnixTime {
    /// This instant moved forward by `secs`, saturating instead of overflowing on hostile input.
    pub fn plus_secs(self, secs: u64) -> UnixTime {
        UnixTime(self.0.saturating_add(secs))
    }

    /// The calendar day (UTC) this instant falls on.
    pub fn date(self) -> CalendarDate {
        // u64 seconds / 86400 always fits in i64.
        CalendarDate::from_days_since_epoch((self.0 / 86_400) as i64)
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = self.date();
        let rem = self.0 % 86_400;
        write!(f, "{}T{:02}:{:02}:{:02}Z", date, rem / 3600, (rem % 3600) / 60, rem % 60)
    }
}

/// A calendar day (proleptic Gregorian, no time zone), as reviewers state availability and affiliations.
///
/// On the wire and in JSON it is the ISO 8601 string `YYYY-MM-DD`, so records stay readable in a hex dump
/// and another implementation needs no date library beyond parsing three integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarDate {
    days: i64,
}

/// Why a string is not a [`CalendarDate`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a date: expected YYYY-MM-DD ({problem})")]
pub struct DateError {
    /// The text that failed to parse (truncated to keep errors short).
    pub input: String,
    /// What exactly is wrong with it.
    pub problem: &'static str,
}

impl CalendarDate {
    /// The earliest year accepted; availability and affiliations before it are typing errors.
    pub const MIN_YEAR: i32 = 1900;
    /// The latest year accepted.
    pub const MAX_YEAR: i32 = 9999;

    /// Builds a date from its parts, rejecting impossible days such as 2026-02-30.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<CalendarDate, &'static str> {
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year) {
            return Err("year out of range 1900-9999");
        }
        if !(1..=12).contains(&month) {
            return Err("month must be 01-12");
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err("no such day in that month");
        }
        Ok(CalendarDate { days: days_from_civil(year, month, day) })
    }

    /// The date `days` days after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> CalendarDate {
        CalendarDate { days }
    }

    /// Days since 1970-01-01 (negative before it): the form comparisons and ranges use.
    pub fn days_since_epoch(self) -> i64 {
        self.days
    }

    /// Year, month (1-12) and day (1-31).
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.days)
    }

    /// The first second of this day, UTC; dates before 1970 map to 0.
    pub fn start(self) -> UnixTime {
        UnixTime(u64::try_from(self.days.saturating_mul(86_400)).unwrap_or(0))
    }
}

impl fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl FromStr for CalendarDate {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |problem| DateError { input: s.chars().take(40).collect(), problem };
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(err("wrong shape"));
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, DateError> {
            let part = &s[r];
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err("non-digit characters"));
            }
            part.parse().map_err(|_| err("non-digit characters"))
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        // y < 10000 because it has four digits, so the cast is lossless.
        CalendarDate::from_ymd(y as i32, m, d).map_err(err)
    }
}

impl Serialize for CalendarDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CalendarDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days: exact for the whole proleptic Gregorian calendar.
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_order() {
        for s in ["1970-01-01", "2000-02-29", "2026-11-22", "1900-03-01", "9999-12-31"] {
            let d: CalendarDate = s.parse().unwrap();
            assert_eq!(d.to_string(), s);
        }
        let a: CalendarDate = "2026-01-31".parse().unwrap();
        let b: CalendarDate = "2026-02-01".parse().unwrap();
        assert_eq!(b.days_since_epoch() - a.days_since_epoch(), 1);
        assert_eq!("1970-01-01".parse::<CalendarDate>().unwrap().days_since_epoch(), 0);
    }

    #[test]
    fn bad_dates_are_named() {
        for s in ["2026-02-30", "2026-13-01", "26-01-01", "2026/01/01", "2026-1-01", "", "２０２６-01-01", "2100-02-29"]
        {
            let e = s.parse::<CalendarDate>().unwrap_err();
            assert!(e.to_string().contains("YYYY-MM-DD"), "{e}");
        }
    }

    #[test]
    fn instants_know_their_day() {
        let t = UnixTime(1_795_305_600 + 3_661); // 2026-11-22T01:01:01Z
        assert_eq!(t.to_string(), "2026-11-22T01:01:01Z");
        assert_eq!(t.date().to_string(), "2026-11-22");
    }
}
