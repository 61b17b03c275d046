//! Civil dates (日期) and instants (时间) as licenses use them.
//!
//! Dates printed on a license (颁发日期, 有效期起始/截止日期) are civil dates in
//! China Standard Time (UTC+08:00). Instants (签章时间, 创建时间, the verification
//! time) are whole seconds since the Unix epoch, written in RFC 3339 UTC form
//! `YYYY-MM-DDTHH:MM:SSZ` — the only form our canonical documents accept.
//!
//! These are our own small types rather than `time`'s so the wire form is fixed
//! by this crate and a dependency upgrade cannot change what is signed.
//! Conversions to and from [`time::Date`] and [`time::OffsetDateTime`] exist.

use core::fmt;
use core::str::FromStr;

/// Offset of China Standard Time from UTC, in seconds.
pub const CST_OFFSET_SECONDS: i64 = 8 * 3600;

const SECONDS_PER_DAY: i64 = 86_400;
const MIN_YEAR: u16 = 1000;
const MAX_YEAR: u16 = 9999;

/// Why a date or timestamp was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// The text is not in the one accepted form.
    #[error("expected the form {expected}")]
    Format {
        /// The accepted form, e.g. `YYYY-MM-DD`.
        expected: &'static str,
    },
    /// Year, month, day, hour, minute or second out of its range, or a day that
    /// does not exist in that month.
    #[error("{year:04}-{month:02}-{day:02} is not a calendar date in years 1000..=9999")]
    InvalidDate {
        /// Year as given.
        year: u32,
        /// Month as given.
        month: u32,
        /// Day as given.
        day: u32,
    },
    /// A time of day out of range.
    #[error("invalid time of day {hour:02}:{minute:02}:{second:02}")]
    InvalidTime {
        /// Hour as given.
        hour: u32,
        /// Minute as given.
        minute: u32,
        /// Second as given.
        second: u32,
    },
    /// The instant lies outside years 1000..=9999.
    #[error("timestamp {unix} is outside years 1000..=9999")]
    OutOfRange {
        /// Seconds since the Unix epoch.
        unix: i64,
    },
}

/// A civil date (年月日) in China Standard Time, years 1000..=9999.
///
/// Ordering is chronological. The wire form is `YYYY-MM-DD`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order gives chronological `Ord`.
    year: u16,
    month: u8,
    day: u8,
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parses exactly `n` ASCII digits.
fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() {
        return None;
    }
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

impl Date {
    /// A date from its parts; fails unless it is a real calendar date in years 1000..=9999.
    pub fn new(year: u32, month: u32, day: u32) -> Result<Date, DateError> {
        let ok = (u32::from(MIN_YEAR)..=u32::from(MAX_YEAR)).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        match (
            ok,
            u16::try_from(year),
            u8::try_from(month),
            u8::try_from(day),
        ) {
            (true, Ok(year), Ok(month), Ok(day)) => Ok(Date { year, month, day }),
            _ => Err(DateError::InvalidDate { year, month, day }),
        }
    }

    /// Parses the wire form `YYYY-MM-DD` (nothing else is accepted).
    pub fn parse(s: &str) -> Result<Date, DateError> {
        const FORM: DateError = DateError::Format {
            expected: "YYYY-MM-DD",
        };
        let b = s.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return Err(FORM);
        }
        match (
            b.get(0..4).and_then(digits),
            b.get(5..7).and_then(digits),
            b.get(8..10).and_then(digits),
        ) {
            (Some(y), Some(m), Some(d)) => Date::new(y, m, d),
            _ => Err(FORM),
        }
    }

    /// Year (1000..=9999).
    pub fn year(&self) -> u32 {
        u32::from(self.year)
    }

    /// Month (1..=12).
    pub fn month(&self) -> u32 {
        u32::from(self.month)
    }

    /// Day of month (1..=31).
    pub fn day(&self) -> u32 {
        u32::from(self.day)
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(&self) -> i64 {
        days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        )
    }

    fn from_days(days: i64) -> Option<Date> {
        let (y, m, d) = civil_from_days(days);
        Date::new(u32::try_from(y).ok()?, m, d).ok()
    }

    /// The first instant of this day in China Standard Time (00:00:00+08:00).
    pub fn start(&self) -> Timestamp {
        Timestamp(self.days_since_epoch() * SECONDS_PER_DAY - CST_OFFSET_SECONDS)
    }

    /// The first instant of the next day in China Standard Time: a validity window
    /// that ends on this date ends (exclusively) here.
    pub fn end(&self) -> Timestamp {
        Timestamp((self.days_since_epoch() + 1) * SECONDS_PER_DAY - CST_OFFSET_SECONDS)
    }

    /// The civil date in China Standard Time at an instant.
    pub fn at(t: Timestamp) -> Date {
        let days = (t.0 + CST_OFFSET_SECONDS).div_euclid(SECONDS_PER_DAY);
        // Timestamps are range-checked, and the offset cannot leave years 1000..=9999
        // except on their very edge; clamp there rather than fail.
        Date::from_days(days).unwrap_or(if days < 0 { Date::MIN } else { Date::MAX })
    }

    /// This date plus `days` (negative goes back); `None` outside years 1000..=9999.
    pub fn add_days(&self, days: i64) -> Option<Date> {
        Date::from_days(self.days_since_epoch().checked_add(days)?)
    }

    /// The same day `years` later; 29 February becomes 28 February in a common year.
    pub fn add_years(&self, years: u32) -> Option<Date> {
        let year = self.year().checked_add(years)?;
        let day = self.day().min(days_in_month(year, self.month()));
        Date::new(year, self.month(), day).ok()
    }

    /// The earliest representable date, 1000-01-01.
    pub const MIN: Date = Date {
        year: MIN_YEAR,
        month: 1,
        day: 1,
    };
    /// The latest representable date, 9999-12-31.
    pub const MAX: Date = Date {
        year: MAX_YEAR,
        month: 12,
        day: 31,
    };
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl From<Date> for time::Date {
    fn from(d: Date) -> time::Date {
        // Every `Date` is a valid calendar date inside `time`'s range.
        time::Date::from_julian_day(
            i32::try_from(d.days_since_epoch() + 2_440_588).unwrap_or(i32::MAX),
        )
        .unwrap_or(time::Date::MIN)
    }
}

impl TryFrom<time::Date> for Date {
    type Error = DateError;
    fn try_from(d: time::Date) -> Result<Date, DateError> {
        let year = u32::try_from(d.year()).map_err(|_| DateError::InvalidDate {
            year: 0,
            month: u32::from(u8::from(d.month())),
            day: u32::from(d.day()),
        })?;
        Date::new(year, u32::from(u8::from(d.month())), u32::from(d.day()))
    }
}

/// An instant: whole seconds since 1970-01-01T00:00:00Z, within years 1000..=9999.
///
/// Verification never reads the clock: the caller passes the instant it wants
/// the answer for. The wire form is `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// 1000-01-01T00:00:00Z.
    pub const MIN: Timestamp = Timestamp(-30_610_224_000);
    /// 9999-12-31T23:59:59Z.
    pub const MAX: Timestamp = Timestamp(253_402_300_799);

    /// From seconds since the Unix epoch.
    pub fn from_unix(unix: i64) -> Result<Timestamp, DateError> {
        if (Self::MIN.0..=Self::MAX.0).contains(&unix) {
            Ok(Timestamp(unix))
        } else {
            Err(DateError::OutOfRange { unix })
        }
    }

    /// Seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        self.0
    }

    /// The current time from the system clock. Only callers at the edge (CLI,
    /// services) should use this; the library itself never does.
    pub fn now() -> Timestamp {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(Self::MAX.0));
        Timestamp(secs.clamp(Self::MIN.0, Self::MAX.0))
    }

    /// From a UTC date and time of day.
    pub fn from_utc(
        date: Date,
        hour: u32,
        minute: u32,
        second: u32,
    ) -> Result<Timestamp, DateError> {
        if hour > 23 || minute > 59 || second > 59 {
            return Err(DateError::InvalidTime {
                hour,
                minute,
                second,
            });
        }
        let secs = date.days_since_epoch() * SECONDS_PER_DAY
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second);
        Timestamp::from_unix(secs)
    }

    /// Parses exactly `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds, upper-case `T` and `Z`).
    pub fn parse(s: &str) -> Result<Timestamp, DateError> {
        const FORM: DateError = DateError::Format {
            expected: "YYYY-MM-DDTHH:MM:SSZ",
        };
        let b = s.as_bytes();
        let shape = b.len() == 20
            && b.get(10) == Some(&b'T')
            && b.get(13) == Some(&b':')
            && b.get(16) == Some(&b':')
            && b.get(19) == Some(&b'Z');
        if !shape {
            return Err(FORM);
        }
        let date = Date::parse(s.get(0..10).ok_or(FORM)?)?;
        match (
            b.get(11..13).and_then(digits),
            b.get(14..16).and_then(digits),
            b.get(17..19).and_then(digits),
        ) {
            (Some(h), Some(m), Some(sec)) => Timestamp::from_utc(date, h, m, sec),
            _ => Err(FORM),
        }
    }

    /// This instant plus `seconds` (saturating at the representable range).
    pub fn saturating_add(&self, seconds: i64) -> Timestamp {
        Timestamp(
            self.0
                .saturating_add(seconds)
                .clamp(Self::MIN.0, Self::MAX.0),
        )
    }

    /// The UTC date of this instant.
    pub fn utc_date(&self) -> Date {
        Date::from_days(self.0.div_euclid(SECONDS_PER_DAY)).unwrap_or(Date::MIN)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.rem_euclid(SECONDS_PER_DAY);
        write!(
            f,
            "{}T{:02}:{:02}:{:02}Z",
            self.utc_date(),
            secs / 3600,
            (secs / 60) % 60,
            secs % 60
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Timestamp {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<time::OffsetDateTime> for Timestamp {
    type Error = DateError;
    fn try_from(t: time::OffsetDateTime) -> Result<Timestamp, DateError> {
        Timestamp::from_unix(t.unix_timestamp())
    }
}

impl From<Timestamp> for time::OffsetDateTime {
    fn from(t: Timestamp) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(t.0).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints_dates() {
        let d = Date::parse("2024-02-29").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2024, 2, 29));
        assert_eq!(d.to_string(), "2024-02-29");
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-1-01",
            "24-01-01",
            "2024/01/01",
            "0999-12-31",
            "2024-01-01 ",
            "２０２４-01-01",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn days_in_china_standard_time() {
        let d = Date::parse("2025-05-22").unwrap();
        assert_eq!(d.start().to_string(), "2025-05-21T16:00:00Z");
        assert_eq!(d.end().to_string(), "2025-05-22T16:00:00Z");
        assert_eq!(Date::at(d.start()), d);
        assert_eq!(Date::at(d.end().saturating_add(-1)), d);
        assert_eq!(Date::at(d.end()), d.add_days(1).unwrap());
    }

    #[test]
    fn timestamps_have_one_form() {
        let t = Timestamp::parse("2025-05-22T10:11:12Z").unwrap();
        assert_eq!(t.unix(), 1_747_908_672);
        assert_eq!(t.to_string(), "2025-05-22T10:11:12Z");
        for bad in [
            "2025-05-22T10:11:12+08:00",
            "2025-05-22t10:11:12Z",
            "2025-05-22T10:11:12.5Z",
            "2025-05-22T24:00:00Z",
            "2025-05-22T10:60:00Z",
            "2025-05-22 10:11:12Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
        assert!(Timestamp::from_unix(Timestamp::MAX.unix() + 1).is_err());
        assert_eq!(Timestamp::MIN.to_string(), "1000-01-01T00:00:00Z");
        assert_eq!(Timestamp::MAX.to_string(), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn add_years_clamps_leap_day() {
        let d = Date::parse("2024-02-29").unwrap();
        assert_eq!(d.add_years(1).unwrap().to_string(), "2025-02-28");
        assert_eq!(d.add_years(4).unwrap().to_string(), "2028-02-29");
        assert!(Date::MAX.add_years(1).is_none());
    }

    #[test]
    fn agrees_with_time_crate() {
        let d = Date::parse("1949-10-01").unwrap();
        let t: time::Date = d.into();
        assert_eq!(t.to_string(), "1949-10-01");
        assert_eq!(Date::try_from(t).unwrap(), d);
    }

    proptest! {
        #[test]
        fn timestamp_round_trip(unix in Timestamp::MIN.unix()..=Timestamp::MAX.unix()) {
            let t = Timestamp::from_unix(unix).unwrap();
            prop_assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
            let odt: time::OffsetDateTime = t.into();
            prop_assert_eq!(odt.unix_timestamp(), unix);
        }

        #[test]
        fn date_round_trip(days in Date::MIN.days_since_epoch()..=Date::MAX.days_since_epoch()) {
            let d = Date::from_days(days).unwrap();
            prop_assert_eq!(d.days_since_epoch(), days);
            prop_assert_eq!(Date::parse(&d.to_string()).unwrap(), d);
        }
    }
}
