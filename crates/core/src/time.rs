//! Times as the suppression ledger keeps them, in one type for every store.
//!
//! A [`StoreTime`] is a whole second, UTC, written `2026-03-14T09:26:53Z`:
//! fixed width, so the text sorts in time order (SQL compares it as text),
//! and the same bytes in SQLite, D1, the API, import and export. Core takes
//! no clock: callers pass the time in, as seconds since the Unix epoch.
//!
//! Besides the store form, [`parse_rfc3339_ms`] reads the RFC 3339 times
//! that arrive from elsewhere (`Z` or `±HH:MM`, an optional fraction: the
//! change feed's `since`, SNS's `Timestamp`) and [`format_ms`] writes the
//! millisecond form the change feed hands out as `updated_at`.

use std::fmt;
use std::str::FromStr;

/// A time in the ledger's store form: seconds since the Unix epoch, shown as
/// `YYYY-MM-DDTHH:MM:SSZ`. Kept within the years 0000–9999 so that the text
/// always has that width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StoreTime(i64);

/// 0000-01-01T00:00:00Z.
const MIN_SECS: i64 = -62_167_219_200;
/// 9999-12-31T23:59:59Z.
const MAX_SECS: i64 = 253_402_300_799;

impl StoreTime {
    /// The time `secs` seconds after the Unix epoch (clamped to the years
    /// 0000–9999).
    pub const fn from_unix(secs: i64) -> StoreTime {
        StoreTime(if secs < MIN_SECS {
            MIN_SECS
        } else if secs > MAX_SECS {
            MAX_SECS
        } else {
            secs
        })
    }

    /// The second that holds `ms` milliseconds after the epoch.
    pub const fn from_unix_ms(ms: i64) -> StoreTime {
        StoreTime::from_unix(ms.div_euclid(1000))
    }

    /// Seconds since the Unix epoch.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// `secs` seconds earlier (clamped like [`StoreTime::from_unix`]).
    pub fn minus_secs(self, secs: u64) -> StoreTime {
        StoreTime::from_unix(
            self.0
                .saturating_sub(i64::try_from(secs).unwrap_or(i64::MAX)),
        )
    }

    /// Reads the store form exactly (`2026-03-14T09:26:53Z`, a real date);
    /// `None` for anything else, offsets and fractions included.
    pub fn parse(s: &str) -> Option<StoreTime> {
        if s.len() != 20 || !s.ends_with('Z') {
            return None;
        }
        parse_rfc3339_ms(s).map(StoreTime::from_unix_ms)
    }

    /// Reads any RFC 3339 time ([`parse_rfc3339_ms`]), dropping the fraction
    /// of a second.
    pub fn parse_rfc3339(s: &str) -> Option<StoreTime> {
        parse_rfc3339_ms(s).map(StoreTime::from_unix_ms)
    }
}

impl StoreTime {
    /// The store form's 20 ASCII bytes, written by hand: no formatting
    /// machinery, which keeps the browser module small.
    fn text(self) -> [u8; 20] {
        let (date, secs) = (self.0.div_euclid(86_400), self.0.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(date);
        let mut out = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, width: usize, mut n: i64| {
            for i in (at..at + width).rev() {
                // `n % 10` is 0..=9 for the non-negative values here.
                out[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, y);
        put(5, 2, m);
        put(8, 2, d);
        put(11, 2, secs / 3600);
        put(14, 2, secs / 60 % 60);
        put(17, 2, secs % 60);
        out
    }
}

impl fmt::Display for StoreTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.text();
        // Only ASCII digits and separators were written: never empty.
        f.write_str(std::str::from_utf8(&text).unwrap_or_default())
    }
}

/// Why a text is not a [`StoreTime`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a UTC time such as 2026-03-14T09:26:53Z")]
pub struct NotAStoreTime(pub String);

impl FromStr for StoreTime {
    type Err = NotAStoreTime;

    fn from_str(s: &str) -> Result<StoreTime, NotAStoreTime> {
        StoreTime::parse(s).ok_or_else(|| NotAStoreTime(s.to_owned()))
    }
}

impl serde::Serialize for StoreTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.text();
        // Only ASCII digits and separators were written: never empty.
        s.serialize_str(std::str::from_utf8(&text).unwrap_or_default())
    }
}

impl<'de> serde::Deserialize<'de> for StoreTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Milliseconds since the Unix epoch of an RFC 3339 time
/// (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`); `None` if `s` is not one.
/// A fraction finer than a millisecond is cut off; a leap second reads as
/// the next second's start.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let sep = |at: usize, c: &[u8]| b.get(at).is_some_and(|x| c.contains(x));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut millis = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 3 {
                millis = millis * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..3 {
            millis *= 10;
        }
    }
    let offset_secs = match b.get(i..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == i + 6 && b[i + 3] == b':' => {
            let (h, m) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            if *sign == b'+' {
                secs
            } else {
                -secs
            }
        }
        _ => return None,
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_secs;
    Some(secs * 1000 + millis)
}

/// `2026-03-14T09:26:53.123Z` for a time in milliseconds since the epoch.
pub fn format_ms(unix_ms: i64) -> String {
    let secs = StoreTime::from_unix_ms(unix_ms).to_string();
    format!(
        "{}.{:03}Z",
        &secs[..secs.len() - 1],
        unix_ms.rem_euclid(1000)
    )
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (`civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for ms in [
            0,
            1_700_000_000_123,
            951_782_400_000, // 2000-02-29
            4_102_444_799_999,
            -86_400_000,
        ] {
            assert_eq!(
                parse_rfc3339_ms(&format_ms(ms)),
                Some(ms),
                "{}",
                format_ms(ms)
            );
            let t = StoreTime::from_unix_ms(ms);
            assert_eq!(StoreTime::parse(&t.to_string()), Some(t));
        }
        assert_eq!(StoreTime::from_unix(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(format_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn stays_four_digits_wide() {
        assert_eq!(
            StoreTime::from_unix(i64::MAX).to_string(),
            "9999-12-31T23:59:59Z"
        );
        assert_eq!(
            StoreTime::from_unix(i64::MIN).to_string(),
            "0000-01-01T00:00:00Z"
        );
        assert_eq!(
            StoreTime::from_unix(10).minus_secs(u64::MAX),
            StoreTime::from_unix(MIN_SECS)
        );
        // Text order is time order.
        let (a, b) = (StoreTime::from_unix(-1), StoreTime::from_unix(1));
        assert!(a < b && a.to_string() < b.to_string());
    }

    #[test]
    fn reads_rfc3339() {
        let base = parse_rfc3339_ms("2026-03-14T09:26:53Z").unwrap();
        assert_eq!(base, 1_773_480_413_000);
        assert_eq!(parse_rfc3339_ms("2026-03-14T09:26:53.5Z"), Some(base + 500));
        assert_eq!(
            parse_rfc3339_ms("2026-03-14T09:26:53.123456Z"),
            Some(base + 123)
        );
        assert_eq!(parse_rfc3339_ms("2026-03-14T10:26:53+01:00"), Some(base));
        assert_eq!(parse_rfc3339_ms("2026-03-14T08:56:53-00:30"), Some(base));
        for bad in [
            "",
            "2026-03-14",
            "2026-03-14 09:26:53Z",
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-03-14T24:00:00Z",
            "2026-03-14T09:26:53",
            "2026-03-14T09:26:53.Z",
            "2026-03-14T09:26:53+0100",
            "2026-03-14T09:26:53Zjunk",
            "+026-03-14T09:26:53Z",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_store_form_is_strict() {
        assert!(StoreTime::parse("2026-03-14T09:26:53Z").is_some());
        for bad in [
            "2026-03-14T09:26:53+01:00",
            "2026-03-14T09:26:53.000Z",
            "2026-03-14T09:26:53z",
            "2026-03-14 09:26:53Z",
            "2026-02-29T00:00:00Z",
            "",
        ] {
            assert_eq!(StoreTime::parse(bad), None, "{bad}");
        }
        let t: StoreTime = serde_json::from_str("\"2026-03-14T09:26:53Z\"").unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2026-03-14T09:26:53Z\""
        );
        assert!(serde_json::from_str::<StoreTime>("\"yesterday\"").is_err());
    }
}
