//! ISO 8601 times as the edge API reads and writes them.
//!
//! - Suppression records keep core's store format, `2026-03-14T09:26:53Z`
//!   ([`store_time`]; `prebounce_core::suppression::is_store_time`).
//! - `updated_at` (the worker's clock when a row changed) has milliseconds,
//!   `2026-03-14T09:26:53.123Z` ([`iso_ms`]), so a client can hand it back
//!   as `since` without losing a row written in the same second.
//! - [`parse_ms`] reads RFC 3339 times (`Z` or `±HH:MM`, optional fraction):
//!   `since`, and SNS's `Timestamp` (`2026-03-14T09:26:53.123Z`).

/// Milliseconds since the Unix epoch of an RFC 3339 time
/// (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`); `None` if `s` is not one.
/// A fraction finer than a millisecond is cut off.
pub fn parse_ms(s: &str) -> Option<i64> {
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
    // A leap second reads as the next second's start.
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_secs;
    Some(secs * 1000 + millis)
}

/// `2026-03-14T09:26:53Z` for a time in seconds since the epoch (the store
/// format of `first_seen` / `last_seen`).
pub fn store_time(unix_secs: i64) -> String {
    let (date, secs) = (unix_secs.div_euclid(86_400), unix_secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(date);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `2026-03-14T09:26:53.123Z` for a time in milliseconds since the epoch.
pub fn iso_ms(unix_ms: i64) -> String {
    let secs = store_time(unix_ms.div_euclid(1000));
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
            assert_eq!(parse_ms(&iso_ms(ms)), Some(ms), "{}", iso_ms(ms));
        }
        assert_eq!(store_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert!(prebounce_core::suppression::is_store_time(&store_time(
            1_700_000_000
        )));
    }

    #[test]
    fn reads_rfc3339() {
        let base = parse_ms("2026-03-14T09:26:53Z").unwrap();
        assert_eq!(base, 1_773_480_413_000);
        assert_eq!(parse_ms("2026-03-14T09:26:53.5Z"), Some(base + 500));
        assert_eq!(parse_ms("2026-03-14T09:26:53.123456Z"), Some(base + 123));
        assert_eq!(parse_ms("2026-03-14T10:26:53+01:00"), Some(base));
        assert_eq!(parse_ms("2026-03-14T08:56:53-00:30"), Some(base));
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
            assert_eq!(parse_ms(bad), None, "{bad}");
        }
    }
}
