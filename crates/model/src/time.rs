use std::fmt;

/// A capture timestamp in nanoseconds since 1970-01-01T00:00:00Z.
///
/// Nanoseconds because pcapng and nanosecond pcap carry them; `u64` because captures before
/// 1970 do not exist and the range reaches year 2554.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub const fn from_secs_nanos(secs: u64, nanos: u64) -> Timestamp {
        Timestamp(secs.saturating_mul(1_000_000_000).saturating_add(nanos))
    }

    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    pub const fn secs(self) -> u64 {
        self.0 / 1_000_000_000
    }

    pub const fn subsec_nanos(self) -> u64 {
        self.0 % 1_000_000_000
    }

    /// Seconds as a float, for durations and rates shown to people (not for keys).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    pub const fn saturating_sub(self, other: Timestamp) -> u64 {
        self.0.saturating_sub(other.0)
    }

    /// RFC 3339 in UTC with nanoseconds, e.g. `2026-01-01T00:00:00.000000000Z`.
    ///
    /// Written out by hand (civil-from-days, H. Hinnant's algorithm) to avoid a date crate for
    /// one conversion, and fixed-width so that JSON output is byte-stable.
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.secs();
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
            rem / 3600,
            (rem % 3600) / 60,
            rem % 60,
            self.subsec_nanos()
        )
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `2026-12-05T22:00:00Z` (fractions and a `+hh:mm` offset accepted) → seconds (UTC).
pub fn parse_rfc3339_secs(text: &str) -> Option<u64> {
    let text = text.trim();
    let date = text.get(..10)?;
    let mut d = date.split('-');
    let (y, m, day): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    if text.get(10..11) != Some("T") && text.get(10..11) != Some(" ") {
        return None;
    }
    let mut t = text.get(11..19)?.split(':');
    let (hh, mm, ss): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let rest = text.get(19..)?;
    let zone = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = match zone {
        "Z" | "z" => 0,
        z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) => {
            let h: i64 = z.get(1..3)?.parse().ok()?;
            let mi: i64 = z.get(4..6)?.parse().ok()?;
            let sign = if z.starts_with('-') { -1 } else { 1 };
            sign * (h * 3600 + mi * 60)
        }
        _ => return None,
    };
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = if y2 >= 0 { y2 } else { y2 - 399 } / 400;
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss - offset).ok()
}

/// An RFC 3339 time with its fraction (`…T17:27:49.189581000Z`) → a timestamp; digits
/// beyond nanoseconds are dropped.
pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let secs = parse_rfc3339_secs(text)?;
    let digits: String = text
        .trim()
        .get(19..)?
        .strip_prefix('.')
        .map(|f| f.chars().take_while(char::is_ascii_digit).take(9).collect())
        .unwrap_or_default();
    let nanos: u64 = if digits.is_empty() {
        0
    } else {
        format!("{digits:0<9}").parse().ok()?
    };
    Some(Timestamp(
        secs.checked_mul(1_000_000_000)?.checked_add(nanos)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_fractions_become_nanoseconds() {
        let t = parse_rfc3339("2015-02-24T17:27:49.189581Z").unwrap();
        assert_eq!(t.to_string(), "2015-02-24T17:27:49.189581000Z");
        assert_eq!(
            parse_rfc3339(&t.to_string()),
            Some(t),
            "round trip of the alert format"
        );
        assert_eq!(
            parse_rfc3339("2015-02-24T17:27:49Z").map(|t| t.0 % 1_000_000_000),
            Some(0)
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn epoch_formats_as_1970() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000000Z");
    }

    #[test]
    fn known_dates_format_correctly() {
        // 2026-01-01T00:00:00Z
        assert_eq!(
            Timestamp::from_secs_nanos(1_767_225_600, 5).to_string(),
            "2026-01-01T00:00:00.000000005Z"
        );
        // Leap day 2024-02-29T12:34:56Z
        assert_eq!(
            Timestamp::from_secs_nanos(1_709_210_096, 123_456_789).to_string(),
            "2024-02-29T12:34:56.123456789Z"
        );
        // 2000-03-01 (the century leap year edge)
        assert_eq!(
            Timestamp::from_secs_nanos(951_868_800, 0).to_string(),
            "2000-03-01T00:00:00.000000000Z"
        );
    }
}
