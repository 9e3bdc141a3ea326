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
    /// A pcap of the packets involved (`detect --extract DIR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_pcap: Option<String>,
    /// The same block in each of `zones acl`'s firewall formats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_rules: Option<BlockRules>,
}

/// What an alert's suggested block drops: traffic from `source` (to `destination`, on
/// `transport`/`port` when known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub source: std::net::IpAddr,
    pub destination: Option<std::net::IpAddr>,
    /// `tcp` or `udp`.
    pub transport: Option<String>,
    pub port: Option<u16>,
}

/// One block rule per firewall format of `zonewarden zones acl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRules {
    pub nftables: String,
    pub iptables: String,
    /// An access-list entry (`deny …`) for the boundary interface's inbound ACL.
    #[serde(rename = "cisco-ios")]
    pub cisco_ios: String,
}

impl Block {
    /// The transport and port, when both are known (a port without its transport cannot be
    /// matched by any of the formats).
    fn service(&self) -> Option<(&str, u16)> {
        Some((self.transport.as_deref()?, self.port?))
    }

    pub fn nftables(&self) -> String {
        let family = if self.source.is_ipv4() { "ip" } else { "ip6" };
        let mut rule = format!(
            "nft add rule inet zonewarden forward {family} saddr {}",
            self.source
        );
        if let Some(d) = self.destination {
            rule.push_str(&format!(" {family} daddr {d}"));
        }
        if let Some((t, p)) = self.service() {
            rule.push_str(&format!(" {t} dport {p}"));
        }
        rule + " drop"
    }

    pub fn iptables(&self) -> String {
        let tool = if self.source.is_ipv4() {
            "iptables"
        } else {
            "ip6tables"
        };
        let mut rule = format!("{tool} -I FORWARD -s {}", self.source);
        if let Some(d) = self.destination {
            rule.push_str(&format!(" -d {d}"));
        }
        if let Some((t, p)) = self.service() {
            rule.push_str(&format!(" -p {t} --dport {p}"));
        }
        rule + " -j DROP"
    }

    pub fn cisco_ios(&self) -> String {
        let any_ip = if self.source.is_ipv4() { "ip" } else { "ipv6" };
        let destination = self
            .destination
            .map_or_else(|| "any".to_string(), |d| format!("host {d}"));
        match self.service() {
            Some((t, p)) => format!("deny {t} host {} {destination} eq {p}", self.source),
            None => format!("deny {any_ip} host {} {destination}", self.source),
        }
    }

    pub fn rules(&self) -> BlockRules {
        BlockRules {
            nftables: self.nftables(),
            iptables: self.iptables(),
            cisco_ios: self.cisco_ios(),
        }
    }
}

impl Alert {
    pub fn time_of(ts: Timestamp) -> String {
        ts.to_string()
    }
}

#[cfg(test)]
mod block_tests {
    use super::*;

    #[test]
    fn a_block_of_one_service_in_every_format() {
        let block = Block {
            source: "10.0.0.5".parse().unwrap(),
            destination: Some("10.0.1.2".parse().unwrap()),
            transport: Some("tcp".into()),
            port: Some(502),
        };
        let rules = block.rules();
        assert_eq!(
            rules.nftables,
            "nft add rule inet zonewarden forward ip saddr 10.0.0.5 ip daddr 10.0.1.2 tcp dport 502 drop"
        );
        assert_eq!(
            rules.iptables,
            "iptables -I FORWARD -s 10.0.0.5 -d 10.0.1.2 -p tcp --dport 502 -j DROP"
        );
        assert_eq!(
            rules.cisco_ios,
            "deny tcp host 10.0.0.5 host 10.0.1.2 eq 502"
        );
    }

    #[test]
    fn a_scanner_is_blocked_towards_everything() {
        let block = Block {
            source: "fd00::7".parse().unwrap(),
            destination: None,
            transport: None,
            port: Some(80),
        };
        let rules = block.rules();
        assert_eq!(
            rules.nftables,
            "nft add rule inet zonewarden forward ip6 saddr fd00::7 drop"
        );
        assert_eq!(rules.iptables, "ip6tables -I FORWARD -s fd00::7 -j DROP");
        assert_eq!(rules.cisco_ios, "deny ipv6 host fd00::7 any");
    }
}
