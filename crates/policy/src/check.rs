//! Observed traffic against the model: unassigned devices, flows between zones with no
//! conduit, flows no rule allows (down to the operation), cleartext where the conduit's
//! SL-T asks for integrity or confidentiality.

use crate::model::{Conduit, ConduitDirection, Model, Rule, RuleProtocol};
use crate::observe::{is_local_only, transport_name, Conversation};
use crate::protocols::{self, Protection};
use crate::resolve::{selector_matches, AssetView, Membership, Resolution};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use zonewarden_model::Timestamp;

/// Kinds of violation; the SARIF rule ids (`ZW…`) and names are a public contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    UnassignedAsset,
    AmbiguousZone,
    NoConduit,
    WrongDirection,
    NotAllowed,
    OperationNotAllowed,
    IntraZoneNotAllowed,
    CleartextIntegrity,
    CleartextConfidentiality,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::UnassignedAsset,
        Kind::AmbiguousZone,
        Kind::NoConduit,
        Kind::WrongDirection,
        Kind::NotAllowed,
        Kind::OperationNotAllowed,
        Kind::IntraZoneNotAllowed,
        Kind::CleartextIntegrity,
        Kind::CleartextConfidentiality,
    ];
    pub const fn id(self) -> &'static str {
        match self {
            Kind::UnassignedAsset => "ZW001",
            Kind::AmbiguousZone => "ZW002",
            Kind::NoConduit => "ZW003",
            Kind::WrongDirection => "ZW004",
            Kind::NotAllowed => "ZW005",
            Kind::OperationNotAllowed => "ZW006",
            Kind::IntraZoneNotAllowed => "ZW007",
            Kind::CleartextIntegrity => "ZW008",
            Kind::CleartextConfidentiality => "ZW009",
        }
    }
    pub const fn name(self) -> &'static str {
        match self {
            Kind::UnassignedAsset => "unassigned-asset",
            Kind::AmbiguousZone => "ambiguous-zone",
            Kind::NoConduit => "no-conduit",
            Kind::WrongDirection => "wrong-direction",
            Kind::NotAllowed => "not-allowed",
            Kind::OperationNotAllowed => "operation-not-allowed",
            Kind::IntraZoneNotAllowed => "intra-zone-not-allowed",
            Kind::CleartextIntegrity => "cleartext-integrity",
            Kind::CleartextConfidentiality => "cleartext-confidentiality",
        }
    }
    /// One sentence for SARIF rule help and the docs.
    pub const fn summary(self) -> &'static str {
        match self {
            Kind::UnassignedAsset => "A device seen on the network belongs to no zone.",
            Kind::AmbiguousZone => "A device matches the members of more than one zone.",
            Kind::NoConduit => "Traffic between two zones that no conduit joins (SR 5.1, SR 5.2).",
            Kind::WrongDirection => "A connection opened against the direction of a one-way conduit.",
            Kind::NotAllowed => "Traffic on a conduit that none of its rules allows (SR 5.2).",
            Kind::OperationNotAllowed => "An operation (write, program, control…) that the matching rules do not allow.",
            Kind::IntraZoneNotAllowed => "Traffic inside a zone that restricts its own traffic and no zone rule allows.",
            Kind::CleartextIntegrity => "A protocol without integrity protection on a conduit whose SL-T FR3 is 3 or more (SR 3.1 RE 1).",
            Kind::CleartextConfidentiality => "A cleartext protocol on a conduit whose SL-T asks for confidentiality in transit (SR 4.1 RE 1/RE 2).",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One violation, summed over the flows and operations that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub kind: Kind,
    pub rule_id: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Line in the model file this is about (the conduit, zone or file start).
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conduit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_class: Option<&'static str>,
    /// Flows (or, for an operation, messages) that show it.
    pub flows: u64,
    pub packets: u64,
    pub count: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
}

/// Per zone: how many devices the scan put there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneSummary {
    pub id: String,
    pub assets: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub model: String,
    pub clean: bool,
    pub assets: usize,
    pub unassigned: usize,
    pub conversations: usize,
    /// Conversations to broadcast, multicast or link-local addresses: they stay on their
    /// segment and are not checked against conduits.
    pub local_only: usize,
    pub zones: Vec<ZoneSummary>,
    pub by_kind: BTreeMap<&'static str, usize>,
    pub violations: Vec<Violation>,
}

impl CheckReport {
    /// Exit status for CI gates: 0 clean, 3 violations.
    pub fn exit_code(&self) -> u8 {
        if self.clean {
            0
        } else {
            3
        }
    }
}

/// Identity of a violation for aggregation.
type Key = (
    Kind,
    usize,
    Option<String>,
    Option<std::net::IpAddr>,
    Option<std::net::IpAddr>,
    u8,
    u16,
    Option<&'static str>,
);

/// How much traffic shows a violation.
struct Seen {
    flows: u64,
    packets: u64,
    count: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

impl Seen {
    fn conversation(c: &Conversation) -> Seen {
        Seen {
            flows: c.flows,
            packets: c.packets,
            count: c.flows,
            first: Some(c.first_ts),
            last: Some(c.last_ts),
        }
    }
}

struct Collector {
    found: HashMap<Key, Violation>,
}

impl Collector {
    fn add(&mut self, key: Key, make: impl FnOnce() -> Violation, seen: Seen) {
        let v = self.found.entry(key).or_insert_with(|| {
            let mut v = make();
            v.flows = 0;
            v.packets = 0;
            v.count = 0;
            v.first_ts = None;
            v.last_ts = None;
            v
        });
        v.flows += seen.flows;
        v.packets += seen.packets;
        v.count += seen.count;
        v.first_ts = match (v.first_ts, seen.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        v.last_ts = match (v.last_ts, seen.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

/// What one end of a conversation is.
struct Side<'a> {
    /// The address this end used: network selectors match it, not the device's others.
    ip: std::net::IpAddr,
    view: std::borrow::Cow<'a, AssetView>,
    zone: Membership,
}

fn side<'a>(model: &Model, resolution: &'a Resolution, ip: std::net::IpAddr) -> Side<'a> {
    match resolution.lookup(ip) {
        Some((view, zone)) => Side {
            ip,
            view: std::borrow::Cow::Borrowed(view),
            zone: zone.clone(),
        },
        None => {
            let view = AssetView::from_ip(ip);
            let zone = crate::resolve::membership_of(model, &view);
            Side {
                ip,
                view: std::borrow::Cow::Owned(view),
                zone,
            }
        }
    }
}

/// Does the rule's protocol and port cover the conversation?
pub fn rule_covers_traffic(rule: &Rule, c: &Conversation) -> bool {
    let protocol_ok = match rule.protocol {
        RuleProtocol::Any => true,
        RuleProtocol::Tcp => c.transport == protocols::TCP,
        RuleProtocol::Udp => c.transport == protocols::UDP,
        RuleProtocol::Icmp => matches!(c.transport, protocols::ICMP | protocols::ICMPV6),
        RuleProtocol::App(p) => match c.protocol {
            Some(seen) => seen == p,
            // Not recognised (a handshake without payload, a probe): the protocol's own
            // transport and port stand for it, as they would on a firewall.
            None => {
                protocols::transports_of(p).contains(&c.transport)
                    && (rule.ports.is_empty() && protocols::ports_of(p).contains(&c.port)
                        || !rule.ports.is_empty())
            }
        },
    };
    protocol_ok
        && (rule.ports.is_empty()
            || rule
                .ports
                .iter()
                .any(|(lo, hi)| (*lo..=*hi).contains(&c.port)))
}

fn selectors_match(list: &[crate::selector::Selector], side: &Side<'_>, model: &Model) -> bool {
    list.is_empty()
        || list.iter().any(|s| match s {
            crate::selector::Selector::Net(net) => net.contains(&side.ip),
            _ => selector_matches(s, &side.view, &side.zone, model),
        })
}

/// Rules whose traffic and endpoints cover the conversation.
fn matching_rules<'m>(
    rules: &'m [Rule],
    c: &Conversation,
    client: &Side<'_>,
    server: &Side<'_>,
    model: &Model,
) -> Vec<&'m Rule> {
    rules
        .iter()
        .filter(|r| {
            rule_covers_traffic(r, c)
                && selectors_match(&r.clients, client, model)
                && selectors_match(&r.servers, server, model)
        })
        .collect()
}

/// Checks every conversation; `resolution` holds the scan's devices and their zones.
pub fn check(
    model: &Model,
    resolution: &Resolution,
    conversations: &[Conversation],
) -> CheckReport {
    let mut out = Collector {
        found: HashMap::new(),
    };
    // Conduits by the pair of zones they join (lower index first).
    let mut conduits: HashMap<(usize, usize), Vec<&Conduit>> = HashMap::new();
    for c in &model.conduits {
        let [a, b] = c.zones;
        conduits.entry((a.min(b), a.max(b))).or_default().push(c);
    }
    let zone_id = |i: usize| model.zone_id(i).to_string();
    let mut local_only = 0usize;
    for c in conversations {
        if is_local_only(c.server) {
            local_only += 1;
            continue;
        }
        let client = side(model, resolution, c.client);
        let server = side(model, resolution, c.server);
        let (Some(zc), Some(zs)) = (client.zone.zone(), server.zone.zone()) else {
            // The device is reported as unassigned or ambiguous below.
            continue;
        };
        let base = |kind: Kind, line: usize, conduit: Option<&str>| Violation {
            kind,
            rule_id: kind.id(),
            severity: Severity::Error,
            message: String::new(),
            line,
            conduit: conduit.map(str::to_string),
            client_zone: Some(zone_id(zc)),
            server_zone: Some(zone_id(zs)),
            asset: None,
            client: Some(c.client.to_string()),
            server: Some(c.server.to_string()),
            transport: Some(transport_name(c.transport)),
            port: Some(c.port),
            protocol: c.protocol.map(|p| p.as_str()),
            operation: None,
            operation_class: None,
            flows: 0,
            packets: 0,
            count: 0,
            first_ts: None,
            last_ts: None,
        };
        let key = |kind: Kind, line: usize, op: Option<&'static str>| -> Key {
            (
                kind,
                line,
                None,
                Some(c.client),
                Some(c.server),
                c.transport,
                c.port,
                op,
            )
        };
        let what = || match c.protocol {
            Some(p) => format!("{} ({})", c.describe(), p.as_str()),
            None => c.describe(),
        };
        if zc == zs {
            let Some(zone) = model.zone(zc) else { continue };
            if zone.rules.is_empty() {
                continue;
            }
            let rules = matching_rules(&zone.rules, c, &client, &server, model);
            if rules.is_empty() {
                out.add(
                    key(Kind::IntraZoneNotAllowed, zone.line, None),
                    || Violation {
                        message: format!(
                            "{} inside zone {} is allowed by none of the zone's rules",
                            what(),
                            zone.id
                        ),
                        ..base(Kind::IntraZoneNotAllowed, zone.line, None)
                    },
                    Seen::conversation(c),
                );
            } else {
                operations(&mut out, c, &rules, zone.line, None, &base, &key);
            }
            continue;
        }
        let Some(candidates) = conduits.get(&(zc.min(zs), zc.max(zs))) else {
            let line = model.zone(zc).map_or(1, |z| z.line);
            out.add(
                key(Kind::NoConduit, line, None),
                || Violation {
                    message: format!(
                        "{}: no conduit joins zone {} and zone {}",
                        what(),
                        zone_id(zc),
                        zone_id(zs)
                    ),
                    ..base(Kind::NoConduit, line, None)
                },
                Seen::conversation(c),
            );
            continue;
        };
        let directed: Vec<&&Conduit> = candidates
            .iter()
            .filter(|k| k.direction == ConduitDirection::Bidirectional || k.zones[0] == zc)
            .collect();
        let Some(first) = directed.first() else {
            let Some(conduit) = candidates.first() else {
                continue;
            };
            out.add(
                key(Kind::WrongDirection, conduit.line, None),
                || Violation {
                    message: format!(
                        "{}: conduit {} is one-way from zone {} to zone {}, but this connection was opened from zone {}",
                        what(),
                        conduit.id,
                        zone_id(conduit.zones[0]),
                        zone_id(conduit.zones[1]),
                        zone_id(zc)
                    ),
                    ..base(Kind::WrongDirection, conduit.line, Some(&conduit.id))
                },
                Seen::conversation(c),
            );
            continue;
        };
        // The first conduit whose rules cover the conversation decides; if none does, the
        // violation is reported against the first conduit in the file.
        let chosen = directed.iter().find_map(|k| {
            let rules = matching_rules(&k.rules, c, &client, &server, model);
            (!rules.is_empty()).then_some((**k, rules))
        });
        let Some((conduit, rules)) = chosen else {
            let conduit: &Conduit = first;
            out.add(
                key(Kind::NotAllowed, conduit.line, None),
                || Violation {
                    message: format!(
                        "{} on conduit {} ({} → {}) is allowed by none of its rules",
                        what(),
                        conduit.id,
                        zone_id(zc),
                        zone_id(zs)
                    ),
                    ..base(Kind::NotAllowed, conduit.line, Some(&conduit.id))
                },
                Seen::conversation(c),
            );
            continue;
        };
        operations(
            &mut out,
            c,
            &rules,
            conduit.line,
            Some(&conduit.id),
            &base,
            &key,
        );
        protection(&mut out, c, conduit, &base, &key, &what);
    }
    unassigned(model, resolution, conversations, &mut out);
    let mut violations: Vec<Violation> = out.found.into_values().collect();
    violations.sort_by(|a, b| {
        (
            a.line,
            a.kind,
            &a.asset,
            &a.client,
            &a.server,
            a.port,
            a.operation,
        )
            .cmp(&(
                b.line,
                b.kind,
                &b.asset,
                &b.client,
                &b.server,
                b.port,
                b.operation,
            ))
    });
    let mut by_kind = BTreeMap::new();
    for v in &violations {
        *by_kind.entry(v.kind.name()).or_insert(0) += 1;
    }
    let zones = model
        .zones
        .iter()
        .enumerate()
        .map(|(i, z)| ZoneSummary {
            id: z.id.clone(),
            assets: resolution.members_of(i).count(),
        })
        .collect();
    CheckReport {
        model: model.path.clone(),
        clean: violations.is_empty(),
        assets: resolution.assets.len(),
        unassigned: resolution
            .membership
            .iter()
            .filter(|m| **m == Membership::Unassigned)
            .count(),
        conversations: conversations.len(),
        local_only,
        zones,
        by_kind,
        violations,
    }
}

/// Operations the matching rules do not allow.
fn operations(
    out: &mut Collector,
    c: &Conversation,
    rules: &[&Rule],
    line: usize,
    conduit: Option<&str>,
    base: &dyn Fn(Kind, usize, Option<&str>) -> Violation,
    key: &dyn Fn(Kind, usize, Option<&'static str>) -> Key,
) {
    for op in &c.operations {
        if rules
            .iter()
            .any(|r| r.allows_operation(op.class, op.name, op.code))
        {
            continue;
        }
        let allowed: Vec<String> = rules
            .iter()
            .map(|r| {
                let mut parts: Vec<String> = r
                    .classes
                    .iter()
                    .flatten()
                    .map(|k| k.as_str().to_string())
                    .collect();
                parts.extend(r.codes.iter().map(|code| match code {
                    crate::model::OpCode::Name(n) => n.clone(),
                    crate::model::OpCode::Number(n) => n.to_string(),
                }));
                format!("line {}: {}", r.line, parts.join(", "))
            })
            .collect();
        let where_ = conduit.map_or_else(|| "zone rules".to_string(), |k| format!("conduit {k}"));
        out.add(
            key(Kind::OperationNotAllowed, line, Some(op.name)),
            || Violation {
                message: format!(
                    "{} {} ({}) from {} to {}: {} allows only {}",
                    c.protocol.map_or("?", |p| p.as_str()),
                    op.name,
                    op.class.as_str(),
                    c.client,
                    crate::observe::socket(c.server, c.port),
                    where_,
                    allowed.join("; ")
                ),
                operation: Some(op.name),
                operation_class: Some(op.class.as_str()),
                ..base(Kind::OperationNotAllowed, line, conduit)
            },
            Seen {
                flows: 0,
                packets: 0,
                count: op.count,
                first: op.first_ts,
                last: op.last_ts,
            },
        );
    }
}

/// SR 3.1 RE 1 and SR 4.1 RE 1/RE 2: what the conduit's SL-T asks of the traffic.
fn protection(
    out: &mut Collector,
    c: &Conversation,
    conduit: &Conduit,
    base: &dyn Fn(Kind, usize, Option<&str>) -> Violation,
    key: &dyn Fn(Kind, usize, Option<&'static str>) -> Key,
    what: &dyn Fn() -> String,
) {
    let Some(p) = c.protocol else { return };
    if conduit.protected_in_transit() || protocols::protection(p) != Protection::Cleartext {
        return;
    }
    let integrity = conduit.sl_t.fr(3) >= 3;
    let confidentiality =
        conduit.sl_t.fr(4) >= 4 || (conduit.sl_t.fr(4) >= 2 && conduit.untrusted_network);
    for (asked, kind, why) in [
        (
            integrity,
            Kind::CleartextIntegrity,
            format!(
                "SL-T FR3 {} asks for cryptographic integrity (SR 3.1 RE 1)",
                conduit.sl_t.fr(3)
            ),
        ),
        (
            confidentiality,
            Kind::CleartextConfidentiality,
            format!(
                "SL-T FR4 {}{} asks for confidentiality in transit (SR 4.1 RE {})",
                conduit.sl_t.fr(4),
                if conduit.untrusted_network {
                    " over an untrusted network"
                } else {
                    ""
                },
                if conduit.sl_t.fr(4) >= 4 { 2 } else { 1 }
            ),
        ),
    ] {
        if !asked {
            continue;
        }
        out.add(
            key(kind, conduit.line, None),
            || Violation {
                message: format!(
                    "{} is cleartext on conduit {}: its {}; protect it (VPN/IPsec, or the protocol's secure variant) or declare the control",
                    what(),
                    conduit.id,
                    why
                ),
                severity: Severity::Warning,
                ..base(kind, conduit.line, Some(&conduit.id))
            },
            Seen::conversation(c),
        );
    }
}

/// Devices in no zone, or in several.
fn unassigned(
    model: &Model,
    resolution: &Resolution,
    conversations: &[Conversation],
    out: &mut Collector,
) {
    // Peers and flows per address, to say why an unassigned device matters.
    let mut seen: HashMap<std::net::IpAddr, (u64, u64, Timestamp, Timestamp)> = HashMap::new();
    for c in conversations {
        for ip in [c.client, c.server] {
            let e = seen.entry(ip).or_insert((0, 0, c.first_ts, c.last_ts));
            e.0 += c.flows;
            e.1 += c.packets;
            e.2 = e.2.min(c.first_ts);
            e.3 = e.3.max(c.last_ts);
        }
    }
    for (asset, membership) in resolution.assets.iter().zip(&resolution.membership) {
        let (kind, message) = match membership {
            Membership::Zone(_) | Membership::MultiHomed(_) => continue,
            Membership::Unassigned => {
                // Addresses that only ever appear as broadcast or multicast are not devices.
                if asset.ips.iter().all(|ip| is_local_only(*ip)) && !asset.ips.is_empty() {
                    continue;
                }
                (
                    Kind::UnassignedAsset,
                    format!(
                        "{} [{}, {}] is in no zone",
                        asset.label(),
                        asset.id,
                        asset.role.as_str()
                    ),
                )
            }
            Membership::Ambiguous(zones) => (
                Kind::AmbiguousZone,
                format!(
                    "{} [{}] matches the members of zones {}",
                    asset.label(),
                    asset.id,
                    zones
                        .iter()
                        .map(|&z| model.zone_id(z))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            ),
        };
        let stats = asset.ips.iter().filter_map(|ip| seen.get(ip)).fold(
            (0u64, 0u64, None::<Timestamp>, None::<Timestamp>),
            |acc, s| {
                (
                    acc.0 + s.0,
                    acc.1 + s.1,
                    Some(acc.2.map_or(s.2, |a| a.min(s.2))),
                    Some(acc.3.map_or(s.3, |a| a.max(s.3))),
                )
            },
        );
        let line = match membership {
            Membership::Ambiguous(zones) => zones
                .first()
                .and_then(|&z| model.zone(z))
                .map_or(1, |z| z.line),
            _ => 1,
        };
        out.add(
            (kind, line, Some(asset.id.clone()), None, None, 0, 0, None),
            || Violation {
                kind,
                rule_id: kind.id(),
                severity: Severity::Error,
                message,
                line,
                conduit: None,
                client_zone: None,
                server_zone: None,
                asset: Some(asset.id.clone()),
                client: None,
                server: None,
                transport: None,
                port: None,
                protocol: None,
                operation: None,
                operation_class: None,
                flows: 0,
                packets: 0,
                count: 0,
                first_ts: None,
                last_ts: None,
            },
            Seen {
                flows: stats.0,
                packets: stats.1,
                count: 1,
                first: stats.2,
                last: stats.3,
            },
        );
    }
}
