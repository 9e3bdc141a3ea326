//! Threat detection over what a scan produced: the communication map (every operation with
//! its first packet), the inventory, the conversations and, when a zones model is given,
//! the zones check — and a learned baseline for changes.
//!
//! Each detection is a rule with a stable id (`ZWD-…`), an ATT&CK for ICS technique and a
//! base severity (`rules.rs`). Alerts are aggregated — one per (rule, client, server,
//! operation), one per sweep — and carry their first packet as evidence, the assets, the
//! zone, and the block rule that would stop them. Severity = base × criticality of the
//! target × (1 + zone SL-T / 4), documented in docs/detection.md.

pub mod baseline;
pub mod maintenance;
pub mod output;
pub mod rules;

use serde::{Deserialize, Serialize};
use zonewarden_model::Timestamp;

pub use baseline::Baseline;
pub use rules::{detect, Inputs, RULES};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    /// Score → level: ≥ 40 critical, ≥ 25 high, ≥ 12 medium, ≥ 5 low, else info.
    pub fn of_score(score: u32) -> Severity {
        match score {
            40.. => Severity::Critical,
            25..=39 => Severity::High,
            12..=24 => Severity::Medium,
            5..=11 => Severity::Low,
            _ => Severity::Info,
        }
    }
}

/// The first packet that shows an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketRef {
    pub file: String,
    pub packet: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable for the same finding in the same input: rule and key, hashed.
    pub id: String,
    pub rule: String,
    pub name: String,
    pub severity: Severity,
    /// Base severity × criticality × zone SL-T (1-100).
    pub score: u32,
    /// ATT&CK for ICS technique.
    pub attack: String,
    /// Packet time of the first occurrence (RFC 3339).
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_time: Option<String>,
    /// Inventory ids of the devices involved (target first).
    pub assets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// Occurrences aggregated into this alert (messages, flows or probes).
    pub count: u64,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<PacketRef>,
    /// An nftables rule that would block it (review before use).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<String>,
}

impl Alert {
    pub fn time_of(ts: Timestamp) -> String {
        ts.to_string()
    }
}
