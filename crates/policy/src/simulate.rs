//! What the generated firewall would have done to the observed traffic.
//!
//! [`simulate`] reads back the nftables text that [`crate::acl::render`] wrote (so what is
//! evaluated is the rule set an operator would load, not the model) and opens each
//! observed conversation against it: the client's first packet is a new connection to the
//! server's port, and replies are accepted by state. Blocked conversations are summed by the
//! conduit the model puts between the two zones, by device and by protocol: what would stop
//! working on the day the rules are loaded.

use crate::acl::{allows, parse_nftables, ParsedRule};
use crate::model::{ConduitDirection, Model};
use crate::observe::{is_local_only, socket, transport_name, Conversation};
use crate::resolve::{AssetView, Membership, Resolution};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use zonewarden_model::Timestamp;

/// Conversation counts of the whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Conversations given.
    pub conversations: usize,
    /// To broadcast, multicast or link-local addresses: never forwarded, not evaluated.
    pub local_only: usize,
    pub evaluated: usize,
    pub allowed: usize,
    pub blocked: usize,
    pub flows_allowed: u64,
    pub flows_blocked: u64,
    pub packets_allowed: u64,
    pub packets_blocked: u64,
}

/// Conversations summed under one key (a conduit, a device, a protocol).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub key: String,
    /// A device's address and hostname (asset groups only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub conversations: u64,
    pub flows: u64,
    pub packets: u64,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
}

/// Blocked conversations summed three ways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocked {
    /// The conduit joining the two zones in the model, `zone:<id>` inside a zone, `no
    /// conduit`, or `unassigned` when an end is in no zone (or in several).
    pub by_conduit: Vec<Group>,
    /// Client and server devices (inventory id; a bare address as `ip:…`).
    pub by_asset: Vec<Group>,
    /// The recognised protocol, else `transport/port`.
    pub by_protocol: Vec<Group>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockedConversation {
    pub client: String,
    pub server: String,
    pub client_asset: String,
    pub server_asset: String,
    pub transport: &'static str,
    pub port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_zone: Option<String>,
    pub conduit: String,
    /// Only the server side sent packets: the firewall saw it open the connection.
    pub opened_by_server: bool,
    pub flows: u64,
    pub packets: u64,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
}

/// What one accept rule took: a new connection per flow (replies and later packets are
/// accepted by connection state), so `flows` is what the kernel's counter on that rule reads
/// after the same traffic (tests/zones_kernel.rs compares the two).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleHits {
    /// Position among the accept rules, in the order of the rule set.
    pub index: usize,
    /// 1-based line of the rule in the nftables text.
    pub text_line: usize,
    pub conduit: String,
    pub model_line: usize,
    pub conversations: u64,
    pub flows: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimulationReport {
    pub model: String,
    /// Accept rules in the evaluated nftables text.
    pub rules: usize,
    pub totals: Totals,
    /// Allowed conversations by the conduit of the rule that accepted them.
    pub allowed_by_conduit: Vec<Group>,
    /// Every accept rule with what it took, in rule order.
    pub allowed_by_rule: Vec<RuleHits>,
    pub blocked: Blocked,
    /// Most packets first.
    pub blocked_conversations: Vec<BlockedConversation>,
}

impl SimulationReport {
    /// Nothing observed would be blocked.
    pub fn clean(&self) -> bool {
        self.totals.blocked == 0
    }
}

#[derive(Default)]
struct Groups {
    map: BTreeMap<String, Group>,
}

impl Groups {
    fn add(&mut self, key: &str, label: Option<String>, c: &Conversation) {
        let g = self.map.entry(key.to_string()).or_insert_with(|| Group {
            key: key.to_string(),
            label,
            conversations: 0,
            flows: 0,
            packets: 0,
            first_ts: c.first_ts,
            last_ts: c.last_ts,
        });
        g.conversations += 1;
        g.flows += c.flows;
        g.packets += c.packets;
        g.first_ts = g.first_ts.min(c.first_ts);
        g.last_ts = g.last_ts.max(c.last_ts);
    }

    /// Most flows first, then by key.
    fn into_sorted(self) -> Vec<Group> {
        let mut list: Vec<Group> = self.map.into_values().collect();
        list.sort_by(|a, b| b.flows.cmp(&a.flows).then_with(|| a.key.cmp(&b.key)));
        list
    }
}

fn device(resolution: &Resolution, ip: IpAddr) -> (String, String) {
    match resolution.lookup(ip) {
        Some((view, _)) => (view.id.clone(), view.label()),
        None => {
            let view = AssetView::from_ip(ip);
            (view.id.clone(), view.label())
        }
    }
}

/// The conduit (or zone) a conversation between two addresses belongs to in the model.
fn conduit_of(model: &Model, client: &Membership, server: &Membership) -> String {
    let (Some(zc), Some(zs)) = (client.zone(), server.zone()) else {
        return "unassigned".to_string();
    };
    if zc == zs {
        return format!("zone:{}", model.zone_id(zc));
    }
    let joining: Vec<_> = model
        .conduits
        .iter()
        .filter(|k| k.zones.contains(&zc) && k.zones.contains(&zs))
        .collect();
    joining
        .iter()
        .find(|k| k.direction == ConduitDirection::Bidirectional || k.zones[0] == zc)
        .or_else(|| joining.first())
        .map_or_else(|| "no conduit".to_string(), |k| k.id.clone())
}

/// Evaluates the nftables rule set `nft_text` (as written by [`crate::acl::render`])
/// against every conversation; fails when the text is not what zonewarden writes.
pub fn simulate(
    model: &Model,
    resolution: &Resolution,
    nft_text: &str,
    conversations: &[Conversation],
) -> Result<SimulationReport, String> {
    let rules: Vec<ParsedRule> = parse_nftables(nft_text)?;
    let mut totals = Totals {
        conversations: conversations.len(),
        local_only: 0,
        evaluated: 0,
        allowed: 0,
        blocked: 0,
        flows_allowed: 0,
        flows_blocked: 0,
        packets_allowed: 0,
        packets_blocked: 0,
    };
    let mut allowed_by = Groups::default();
    let mut by_rule: Vec<RuleHits> = rules
        .iter()
        .enumerate()
        .map(|(index, r)| RuleHits {
            index,
            text_line: r.text_line,
            conduit: r.conduit.clone(),
            model_line: r.model_line,
            conversations: 0,
            flows: 0,
        })
        .collect();
    let (mut by_conduit, mut by_asset, mut by_protocol) =
        (Groups::default(), Groups::default(), Groups::default());
    let mut blocked = Vec::new();
    for c in conversations {
        if is_local_only(c.server) {
            totals.local_only += 1;
            continue;
        }
        totals.evaluated += 1;
        // A conversation whose client never sent anything (replies to a broadcast request,
        // a capture that saw one direction only) reaches the firewall as a new connection
        // from the server side, to a client port the summary does not keep: only a rule
        // without port limits can accept it.
        let opened_by_server = c.client_packets == 0 && c.server_packets > 0;
        let decision = if opened_by_server {
            rules.iter().position(|r| {
                r.ports.is_empty()
                    && allows(std::slice::from_ref(r), c.server, c.client, c.transport, 0).is_some()
            })
        } else {
            allows(&rules, c.client, c.server, c.transport, c.port)
        };
        if let Some(i) = decision {
            totals.allowed += 1;
            totals.flows_allowed += c.flows;
            totals.packets_allowed += c.packets;
            let key = rules.get(i).map_or("?", |r| r.conduit.as_str());
            allowed_by.add(key, None, c);
            if let Some(hits) = by_rule.get_mut(i) {
                hits.conversations += 1;
                hits.flows += c.flows;
            }
            continue;
        }
        totals.blocked += 1;
        totals.flows_blocked += c.flows;
        totals.packets_blocked += c.packets;
        let zc = resolution.zone_of_ip(model, c.client);
        let zs = resolution.zone_of_ip(model, c.server);
        let conduit = conduit_of(model, &zc, &zs);
        by_conduit.add(&conduit, None, c);
        let (client_id, client_label) = device(resolution, c.client);
        let (server_id, server_label) = device(resolution, c.server);
        by_asset.add(&client_id, Some(client_label), c);
        if server_id != client_id {
            by_asset.add(&server_id, Some(server_label), c);
        }
        let protocol = match c.protocol {
            Some(p) => p.as_str().to_string(),
            None => format!("{}/{}", transport_name(c.transport), c.port),
        };
        by_protocol.add(&protocol, None, c);
        let zone_name = |m: &Membership| m.zone().map(|z| model.zone_id(z).to_string());
        blocked.push(BlockedConversation {
            client: c.client.to_string(),
            server: c.server.to_string(),
            client_asset: client_id,
            server_asset: server_id,
            transport: transport_name(c.transport),
            port: c.port,
            protocol: c.protocol.map(|p| p.as_str()),
            client_zone: zone_name(&zc),
            server_zone: zone_name(&zs),
            conduit,
            opened_by_server,
            flows: c.flows,
            packets: c.packets,
            first_ts: c.first_ts,
            last_ts: c.last_ts,
        });
    }
    blocked.sort_by(|a, b| {
        b.packets.cmp(&a.packets).then_with(|| {
            (&a.client, &a.server, a.transport, a.port).cmp(&(
                &b.client,
                &b.server,
                b.transport,
                b.port,
            ))
        })
    });
    Ok(SimulationReport {
        model: model.path.clone(),
        rules: rules.len(),
        totals,
        allowed_by_conduit: allowed_by.into_sorted(),
        allowed_by_rule: by_rule,
        blocked: Blocked {
            by_conduit: by_conduit.into_sorted(),
            by_asset: by_asset.into_sorted(),
            by_protocol: by_protocol.into_sorted(),
        },
        blocked_conversations: blocked,
    })
}

/// A group's key, or for a device its label, with the inventory id unless the label
/// already starts with the address the id names.
fn group_name(g: &Group) -> String {
    match &g.label {
        Some(label)
            if g.key
                .strip_prefix("ip:")
                .is_some_and(|ip| label.starts_with(ip)) =>
        {
            label.clone()
        }
        Some(label) if label != &g.key => format!("{label} [{}]", g.key),
        _ => g.key.clone(),
    }
}

fn group_table(out: &mut dyn std::io::Write, title: &str, groups: &[Group]) -> std::io::Result<()> {
    if groups.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{title}")?;
    let width = groups
        .iter()
        .map(|g| group_name(g).chars().count())
        .max()
        .unwrap_or(0)
        .max(8);
    writeln!(
        out,
        "  {:<width$}  {:>6}  {:>8}  {:>9}  first / last",
        "", "convs", "flows", "packets"
    )?;
    for g in groups {
        let name = group_name(g);
        writeln!(
            out,
            "  {name:<width$}  {:>6}  {:>8}  {:>9}  {} / {}",
            g.conversations, g.flows, g.packets, g.first_ts, g.last_ts
        )?;
    }
    Ok(())
}

/// The report for people: totals, then blocked traffic by conduit, device and protocol,
/// then every blocked conversation.
pub fn write_text(report: &SimulationReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let t = &report.totals;
    writeln!(
        out,
        "Simulation of the generated nftables rule set ({} accept rules) for {}",
        report.rules, report.model
    )?;
    writeln!(
        out,
        "  {} conversations: {} allowed ({} flows), {} blocked ({} flows, {} packets); {} local-only (not forwarded, not evaluated)",
        t.conversations, t.allowed, t.flows_allowed, t.blocked, t.flows_blocked, t.packets_blocked, t.local_only
    )?;
    if report.clean() {
        writeln!(out, "  Nothing observed would be blocked.")?;
    }
    group_table(
        out,
        "Allowed, by the conduit of the accepting rule",
        &report.allowed_by_conduit,
    )?;
    group_table(out, "Blocked, by conduit", &report.blocked.by_conduit)?;
    group_table(out, "Blocked, by device", &report.blocked.by_asset)?;
    group_table(out, "Blocked, by protocol", &report.blocked.by_protocol)?;
    if !report.blocked_conversations.is_empty() {
        writeln!(out)?;
        writeln!(out, "Blocked conversations")?;
        for b in &report.blocked_conversations {
            let server = match b.server.parse::<IpAddr>() {
                Ok(ip) => socket(ip, b.port),
                Err(_) => format!("{}:{}", b.server, b.port),
            };
            writeln!(
                out,
                "  {} {} -> {}{}{}  [{} -> {}, {}]  {} flows, {} packets, {} .. {}",
                b.transport,
                b.client,
                server,
                b.protocol.map(|p| format!(" ({p})")).unwrap_or_default(),
                if b.opened_by_server {
                    " (only the server side was seen: it opens the connection)"
                } else {
                    ""
                },
                b.client_zone.as_deref().unwrap_or("no zone"),
                b.server_zone.as_deref().unwrap_or("no zone"),
                b.conduit,
                b.flows,
                b.packets,
                b.first_ts,
                b.last_ts
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::tests::{device, model};
    use crate::acl::{build, render, Target};
    use crate::protocols::{TCP, UDP};
    use zonewarden_dissect::Protocol;
    use zonewarden_inventory::Role;

    const PLANT: &str = r#"
[[zone]]
id = "cell"
members = ["10.1.0.0/24"]

[[zone]]
id = "scada"
members = ["10.2.0.0/24"]

[[zone]]
id = "office"
members = ["10.4.0.0/24"]

[[conduit]]
id = "scada-cell"
zones = ["scada", "cell"]
direction = "one-way"
  [[conduit.rule]]
  protocol = "modbus"
  clients = ["role:hmi"]
  operations = ["read"]
"#;

    fn conversation(
        client: &str,
        server: &str,
        transport: u8,
        port: u16,
        protocol: Option<Protocol>,
        secs: u64,
    ) -> Conversation {
        Conversation {
            client: client.parse().unwrap(),
            server: server.parse().unwrap(),
            transport,
            port,
            protocol,
            operations: Vec::new(),
            flows: 2,
            packets: 10,
            bytes: 1000,
            first_ts: Timestamp::from_secs_nanos(1_700_000_000 + secs, 0),
            last_ts: Timestamp::from_secs_nanos(1_700_000_100 + secs, 0),
            client_packets: 5,
            server_packets: 5,
            direction_guessed: false,
        }
    }

    fn run(conversations: &[Conversation]) -> SimulationReport {
        let m = model(PLANT);
        let res = Resolution::from_views(
            &m,
            vec![
                device("10.2.0.20", Role::Hmi),
                device("10.2.0.30", Role::ItHost),
                device("10.1.0.10", Role::Plc),
                device("10.4.0.40", Role::ItHost),
                device("192.168.7.7", Role::Unknown),
            ],
        );
        let nft = render(&build(&m, Some(&res)), Target::Nftables, &m);
        simulate(&m, &res, &nft, conversations).unwrap()
    }

    #[test]
    fn a_covered_conversation_passes_and_one_without_a_conduit_is_blocked() {
        let report = run(&[
            conversation(
                "10.2.0.20",
                "10.1.0.10",
                TCP,
                502,
                Some(Protocol::Modbus),
                0,
            ),
            conversation(
                "10.4.0.40",
                "10.1.0.10",
                TCP,
                502,
                Some(Protocol::Modbus),
                5,
            ),
            conversation("10.4.0.40", "10.1.0.10", TCP, 502, None, 1),
            conversation(
                "10.2.0.30",
                "10.1.0.10",
                TCP,
                502,
                Some(Protocol::Modbus),
                2,
            ),
            conversation("10.1.0.10", "10.2.0.20", TCP, 502, None, 3),
            conversation("192.168.7.7", "10.1.0.10", UDP, 161, None, 4),
            conversation("10.2.0.20", "10.2.0.30", TCP, 3389, Some(Protocol::Rdp), 0),
            conversation("10.2.0.20", "10.2.0.255", UDP, 137, None, 0),
            conversation("10.2.0.20", "224.0.0.251", UDP, 5353, None, 0),
        ]);
        let t = &report.totals;
        assert_eq!((t.conversations, t.local_only, t.evaluated), (9, 2, 7));
        assert_eq!((t.allowed, t.blocked), (2, 5));
        assert_eq!((t.flows_blocked, t.packets_blocked), (10, 50));
        assert!(!report.clean());
        let by_conduit: Vec<(&str, u64)> = report
            .blocked
            .by_conduit
            .iter()
            .map(|g| (g.key.as_str(), g.conversations))
            .collect();
        assert_eq!(
            by_conduit,
            vec![("no conduit", 2), ("scada-cell", 2), ("unassigned", 1)]
        );
        let allowed: Vec<&str> = report
            .allowed_by_conduit
            .iter()
            .map(|g| g.key.as_str())
            .collect();
        assert_eq!(allowed, vec!["scada-cell", "zone:scada"]);
        let no_conduit = &report.blocked.by_conduit[0];
        assert_eq!(
            no_conduit.first_ts,
            Timestamp::from_secs_nanos(1_700_000_001, 0)
        );
        assert_eq!(
            no_conduit.last_ts,
            Timestamp::from_secs_nanos(1_700_000_105, 0)
        );
        let plc = report
            .blocked
            .by_asset
            .iter()
            .find(|g| g.key == "ip:10.1.0.10")
            .unwrap();
        assert_eq!(
            plc.conversations, 5,
            "the PLC is an end of five blocked conversations"
        );
        assert_eq!(plc.label.as_deref(), Some("10.1.0.10"));
        let protocols: Vec<(&str, u64)> = report
            .blocked
            .by_protocol
            .iter()
            .map(|g| (g.key.as_str(), g.conversations))
            .collect();
        assert_eq!(
            protocols,
            vec![("modbus", 2), ("tcp/502", 2), ("udp/161", 1)]
        );
        let first = report
            .blocked_conversations
            .iter()
            .find(|b| b.client == "10.4.0.40" && b.protocol == Some("modbus"))
            .unwrap();
        assert_eq!(first.conduit, "no conduit");
        assert_eq!(first.client_zone.as_deref(), Some("office"));
        assert_eq!(first.server_zone.as_deref(), Some("cell"));
        assert_eq!(
            (first.transport, first.port, first.flows, first.packets),
            ("tcp", 502, 2, 10)
        );
        let reverse = report
            .blocked_conversations
            .iter()
            .find(|b| b.client == "10.1.0.10")
            .unwrap();
        assert_eq!(reverse.conduit, "scada-cell", "against the one-way conduit");

        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["totals"]["blocked"], 5);
        assert_eq!(json["blocked"]["by_conduit"][0]["key"], "no conduit");
        assert_eq!(
            json["blocked_conversations"][0]["first_ts"]
                .as_str()
                .map(|s| s.ends_with('Z')),
            Some(true)
        );

        let mut text = Vec::new();
        write_text(&report, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains("7 conversations") || text.contains("9 conversations"),
            "{text}"
        );
        assert!(text.contains("Blocked, by conduit"), "{text}");
        assert!(
            text.contains("\n  10.1.0.10   "),
            "a bare address is its own name:\n{text}"
        );
        assert!(!text.contains("ip:10.1.0.10"), "{text}");
        assert!(
            text.contains(
                "  tcp 10.4.0.40 -> 10.1.0.10:502 (modbus)  [office -> cell, no conduit]"
            ),
            "{text}"
        );
        assert!(text.contains("2023-11-14T22:13:"), "{text}");
    }

    #[test]
    fn nothing_blocked_is_clean_and_bad_rule_text_is_an_error() {
        let report = run(&[conversation(
            "10.2.0.20",
            "10.1.0.10",
            TCP,
            502,
            Some(Protocol::Modbus),
            0,
        )]);
        assert!(report.clean());
        let mut text = Vec::new();
        write_text(&report, &mut text).unwrap();
        assert!(String::from_utf8(text)
            .unwrap()
            .contains("Nothing observed would be blocked."));

        let m = model(PLANT);
        let res = Resolution::from_views(&m, Vec::new());
        assert!(simulate(&m, &res, "table ip filter {}", &[]).is_err());
    }

    #[test]
    fn ipv6_conversations_are_evaluated_against_ip6_rules() {
        let m = model(
            r#"
[[zone]]
id = "a"
members = ["fd01::/64"]
[[zone]]
id = "b"
members = ["fd02::/64"]
[[conduit]]
id = "ab"
zones = ["a", "b"]
direction = "one-way"
  [[conduit.rule]]
  protocol = "icmp"
"#,
        );
        let res = Resolution::from_views(&m, Vec::new());
        let nft = render(&build(&m, None), Target::Nftables, &m);
        let report = simulate(
            &m,
            &res,
            &nft,
            &[
                conversation("fd01::1", "fd02::1", crate::protocols::ICMPV6, 0, None, 0),
                conversation("fd02::1", "fd01::1", crate::protocols::ICMPV6, 0, None, 0),
                conversation("fd01::1", "ff02::1", crate::protocols::ICMPV6, 0, None, 0),
            ],
        )
        .unwrap();
        assert_eq!(
            (
                report.totals.allowed,
                report.totals.blocked,
                report.totals.local_only
            ),
            (1, 1, 1)
        );
        let mut text = Vec::new();
        write_text(&report, &mut text).unwrap();
        assert!(String::from_utf8(text)
            .unwrap()
            .contains("icmpv6 fd02::1 -> [fd01::1]:0"));
    }
}
