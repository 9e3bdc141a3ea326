//! Maintenance windows: planned work (a program download during a shutdown, a firmware
//! update with a change ticket) that should not page anyone. A TOML file of windows, each
//! suppressing or downgrading the alerts it matches.
//!
//! ```toml
//! [[window]]
//! name = "Line 2 program update, change CHG-1234"
//! start = "2026-12-05T22:00:00Z"
//! end = "2026-12-06T02:00:00Z"
//! rules = ["ZWD-111", "ZWD-101", "ZWD-102"]   # optional: every rule when absent
//! assets = ["10.10.1.12", "mac:00:1b:1b:01:02:03"]   # optional: any device when absent
//! action = "downgrade"                        # or "suppress"
//! ```

use crate::{Alert, Severity};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Suppress,
    Downgrade,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub name: String,
    /// Seconds since the epoch (UTC), inclusive.
    pub start: u64,
    pub end: u64,
    pub rules: Vec<String>,
    pub assets: Vec<String>,
    pub action: Action,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    window: Vec<RawWindow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    name: String,
    start: String,
    end: String,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    assets: Vec<String>,
    action: Action,
}

/// `2026-12-05T22:00:00Z` (fractions and a `+hh:mm` offset accepted) → seconds (UTC).
pub fn parse_time(text: &str) -> Option<u64> {
    zonewarden_model::parse_rfc3339_secs(text)
}

pub fn parse(path: &str, text: &str) -> Result<Vec<Window>, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .and_then(|s| text.get(..s.start))
            .map_or(1, |t| t.matches('\n').count() + 1);
        format!("{path}:{line}: {}", e.message().trim())
    })?;
    let mut out = Vec::new();
    for w in raw.window {
        let (Some(start), Some(end)) = (parse_time(&w.start), parse_time(&w.end)) else {
            return Err(format!(
                "{path}: window {:?}: times are RFC 3339 with a zone (2026-12-05T22:00:00Z)",
                w.name
            ));
        };
        if end < start {
            return Err(format!("{path}: window {:?} ends before it starts", w.name));
        }
        out.push(Window {
            name: w.name,
            start,
            end,
            rules: w.rules,
            assets: w.assets,
            action: w.action,
        });
    }
    Ok(out)
}

fn lower(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium => Severity::Low,
        Severity::Low | Severity::Info => Severity::Info,
    }
}

impl Window {
    fn matches(&self, alert: &Alert) -> bool {
        let Some(t) = parse_time(&alert.time) else {
            return false;
        };
        // The whole alert inside the window: an aggregated alert that goes on after the
        // window's end is not planned work.
        let last = alert.last_time.as_deref().and_then(parse_time).unwrap_or(t);
        let in_time = (self.start..=self.end).contains(&t) && last <= self.end;
        let rule_ok = self.rules.is_empty() || self.rules.contains(&alert.rule);
        let asset_ok = self.assets.is_empty()
            || self.assets.iter().any(|a| {
                alert.assets.iter().any(|x| x == a)
                    || alert.client.as_deref() == Some(a.as_str())
                    || alert.server.as_deref() == Some(a.as_str())
                    || a.strip_prefix("ip:").is_some_and(|ip| {
                        alert.client.as_deref() == Some(ip) || alert.server.as_deref() == Some(ip)
                    })
            });
        in_time && rule_ok && asset_ok
    }
}

/// Applies the windows: suppressed alerts are dropped (returned count), downgraded ones lose
/// one severity level and say which window covered them.
pub fn apply(windows: &[Window], alerts: Vec<Alert>) -> (Vec<Alert>, usize) {
    let mut kept = Vec::with_capacity(alerts.len());
    let mut suppressed = 0;
    for mut a in alerts {
        match windows.iter().find(|w| w.matches(&a)) {
            Some(w) if w.action == Action::Suppress => suppressed += 1,
            Some(w) => {
                a.severity = lower(a.severity);
                a.summary = format!("{} (maintenance window: {})", a.summary, w.name);
                kept.push(a);
            }
            None => kept.push(a),
        }
    }
    (kept, suppressed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(rule: &str, time: &str, server: &str) -> Alert {
        Alert {
            id: rule.into(),
            rule: rule.into(),
            name: String::new(),
            severity: Severity::Critical,
            score: 40,
            attack: "T0843".into(),
            time: time.into(),
            last_time: None,
            assets: vec![format!("ip:{server}")],
            zone: None,
            client: Some("10.10.2.13".into()),
            server: Some(server.into()),
            protocol: None,
            operation: None,
            count: 1,
            summary: "s".into(),
            evidence: None,
            block: None,
            block_rules: None,
            evidence_pcap: None,
        }
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_time("2026-01-01T00:00:01.500000000Z"),
            Some(1_767_225_601)
        );
        assert_eq!(parse_time("2026-01-01T01:00:01+01:00"), Some(1_767_225_601));
        assert_eq!(parse_time("2026-01-01"), None);
        assert_eq!(parse_time("2026-13-01T00:00:00Z"), None);
        assert_eq!(
            parse_time("2026-01-01T00:00:00"),
            None,
            "a zone is required"
        );
    }

    #[test]
    fn windows_suppress_or_downgrade_what_they_cover() {
        let windows = parse(
            "maintenance.toml",
            r#"
[[window]]
name = "download on PLC-2"
start = "2026-12-05T22:00:00Z"
end = "2026-12-06T02:00:00Z"
rules = ["ZWD-111"]
assets = ["10.10.1.12"]
action = "downgrade"

[[window]]
name = "shutdown"
start = "2026-12-06T02:00:01Z"
end = "2026-12-06T06:00:00Z"
action = "suppress"
"#,
        )
        .unwrap();
        let alerts = vec![
            alert("ZWD-111", "2026-12-05T23:10:00.000000000Z", "10.10.1.12"),
            alert("ZWD-111", "2026-12-05T23:10:00.000000000Z", "10.10.1.13"),
            alert("ZWD-101", "2026-12-05T23:10:00.000000000Z", "10.10.1.12"),
            alert("ZWD-101", "2026-12-06T03:00:00.000000000Z", "10.10.1.12"),
            alert("ZWD-111", "2026-12-06T07:00:00.000000000Z", "10.10.1.12"),
        ];
        let (kept, suppressed) = apply(&windows, alerts);
        assert_eq!(suppressed, 1);
        assert_eq!(kept.len(), 4);
        assert_eq!(kept[0].severity, Severity::High);
        assert!(kept[0].summary.contains("download on PLC-2"));
        assert_eq!(kept[1].severity, Severity::Critical, "another PLC");
        assert_eq!(kept[2].severity, Severity::Critical, "another rule");
        assert_eq!(kept[3].severity, Severity::Critical, "after the windows");
        assert!(parse("m.toml", "[[window]]\nname = \"x\"\nstart = \"2026-01-02T00:00:00Z\"\nend = \"2026-01-01T00:00:00Z\"\naction = \"suppress\"\n").is_err());
        assert!(parse("m.toml", "[[window]]\nname = 1\n")
            .unwrap_err()
            .starts_with("m.toml:2:"));
    }
}
