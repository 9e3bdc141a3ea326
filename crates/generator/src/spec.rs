//! What to generate ([`PlantSpec`]), what was generated ([`GenSummary`]) and
//! the size parser used by the CLI's `--size`.

use std::io;

/// 2026-01-01T00:00:00Z: a fixed, recognisable capture start so that demo
/// output does not depend on the wall clock.
pub const DEFAULT_START_UNIX_SECS: u64 = 1_767_225_600;

/// Capture length used when neither a duration nor a size is requested.
pub const DEFAULT_DURATION_SECS: f64 = 60.0;

/// What plant to generate.
#[derive(Debug, Clone)]
pub struct PlantSpec {
    /// Seed of every random choice; the same seed and spec give a
    /// byte-identical capture.
    pub seed: u64,
    /// PLCs/RTUs in level 1 (default 8).
    pub plcs: u32,
    /// HMIs / SCADA servers in level 2 (default 2).
    pub hmis: u32,
    /// Engineering stations in level 2 (default 1).
    pub engineering_stations: u32,
    /// Office workstations in level 4 (default 6).
    pub it_hosts: u32,
    /// Stop after this much capture time.
    pub duration_secs: Option<f64>,
    /// Stop once the file reaches about this size: the file never exceeds it
    /// (beyond the 24-byte header) and falls short of it by less than one
    /// packet record.
    pub target_bytes: Option<u64>,
    /// Capture start, default 1_767_225_600 (2026-01-01T00:00:00Z).
    pub start_unix_secs: u64,
}

impl Default for PlantSpec {
    fn default() -> Self {
        Self {
            seed: 0,
            plcs: 8,
            hmis: 2,
            engineering_stations: 1,
            it_hosts: 6,
            duration_secs: Some(DEFAULT_DURATION_SECS),
            target_bytes: None,
            start_unix_secs: DEFAULT_START_UNIX_SECS,
        }
    }
}

/// Summary of what was written.
#[derive(Debug, Clone, PartialEq)]
pub struct GenSummary {
    /// Packet records written.
    pub packets: u64,
    /// File size, including the 24-byte pcap global header.
    pub bytes_written: u64,
    /// Timestamp of the first record in microseconds since the Unix epoch
    /// (0 when no packet was written).
    pub first_ts_us: u64,
    /// Timestamp of the last record in microseconds since the Unix epoch
    /// (0 when no packet was written).
    pub last_ts_us: u64,
    /// Stations in the simulated plant, including the router and servers.
    pub hosts: u32,
}

/// When generation stops, resolved from the optional limits of a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StopAt {
    /// First timestamp (µs since the epoch) that is no longer written.
    pub end_ts_us: u64,
    /// Maximum file size in bytes.
    pub max_bytes: u64,
}

impl PlantSpec {
    /// Checks the spec and resolves its stop conditions.
    ///
    /// pcap timestamps are 32-bit seconds, so the capture must end before
    /// 2106; durations must be finite and non-negative.
    pub(crate) fn stop_at(&self) -> io::Result<StopAt> {
        let start_us = self
            .start_unix_secs
            .checked_mul(1_000_000)
            .filter(|_| self.start_unix_secs <= u64::from(u32::MAX))
            .ok_or_else(|| invalid("start_unix_secs does not fit a pcap timestamp"))?;
        let duration = match (self.duration_secs, self.target_bytes) {
            (Some(d), _) => Some(d),
            (None, Some(_)) => None,
            (None, None) => Some(DEFAULT_DURATION_SECS),
        };
        let end_ts_us = match duration {
            Some(d) if !d.is_finite() || d < 0.0 => {
                return Err(invalid(
                    "duration_secs must be a finite, non-negative number",
                ));
            }
            Some(d) => start_us.saturating_add((d * 1e6).round() as u64),
            None => u64::MAX,
        };
        Ok(StopAt {
            end_ts_us,
            max_bytes: self.target_bytes.unwrap_or(u64::MAX),
        })
    }
}

pub(crate) fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.to_owned())
}

/// Parse "64M", "1G", "500k", "123" (bytes) into a byte count.
///
/// Multiples are binary (K = 1024). A trailing `B` or `iB` is accepted
/// ("64MB", "64MiB"), as are decimal fractions of a unit ("1.5G").
pub fn parse_size(s: &str) -> Result<u64, String> {
    let text = s.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0u32,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(format!(
                "invalid size {s:?}: unknown unit {:?} (use K, M, G or T)",
                unit.trim()
            ))
        }
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return Err(format!("invalid size {s:?}: expected a number such as 64M"));
    }
    let too_large = || format!("invalid size {s:?}: too large");
    let unit_bytes = 1u128 << shift;
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_large())?
    };
    let mut bytes = whole.checked_mul(unit_bytes).ok_or_else(too_large)?;
    if !fraction.is_empty() {
        if shift == 0 {
            return Err(format!(
                "invalid size {s:?}: a byte count must be a whole number"
            ));
        }
        // 18 digits keep 10^digits and the product below u128::MAX.
        let digits = fraction.get(..18).unwrap_or(fraction);
        let numerator: u128 = digits.parse().map_err(|_| too_large())?;
        let denominator = 10u128.pow(digits.len() as u32);
        bytes += numerator * unit_bytes / denominator;
    }
    u64::try_from(bytes).map_err(|_| too_large())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_size_accepts_documented_forms() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("500k"), Ok(500 * 1024));
        assert_eq!(parse_size("500K"), Ok(500 * 1024));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("64MB"), Ok(64 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size(" 2g "), Ok(2 << 30));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("0.5k"), Ok(512));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert_eq!(parse_size("0"), Ok(0));
    }

    #[test]
    fn parse_size_rejects_garbage() {
        for bad in [
            "",
            "M",
            "abc",
            "12X",
            "1.2.3M",
            "-5M",
            "1.5",
            "99999999999999999999G",
            "20000000T",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn stop_conditions() {
        let spec = PlantSpec::default();
        let stop = spec.stop_at().unwrap();
        assert_eq!(stop.end_ts_us, (DEFAULT_START_UNIX_SECS + 60) * 1_000_000);
        assert_eq!(stop.max_bytes, u64::MAX);

        let sized = PlantSpec {
            duration_secs: None,
            target_bytes: Some(1000),
            ..PlantSpec::default()
        };
        let stop = sized.stop_at().unwrap();
        assert_eq!(stop.end_ts_us, u64::MAX);
        assert_eq!(stop.max_bytes, 1000);

        let neither = PlantSpec {
            duration_secs: None,
            ..PlantSpec::default()
        };
        assert_eq!(
            neither.stop_at().unwrap().end_ts_us,
            (DEFAULT_START_UNIX_SECS + 60) * 1_000_000
        );

        for bad in [f64::NAN, f64::INFINITY, -1.0] {
            let spec = PlantSpec {
                duration_secs: Some(bad),
                ..PlantSpec::default()
            };
            assert!(spec.stop_at().is_err());
        }
        let late = PlantSpec {
            start_unix_secs: u64::from(u32::MAX) + 1,
            ..PlantSpec::default()
        };
        assert!(late.stop_at().is_err());
    }
}
