//! The passive asset inventory: one asset per device, every attribute with where it came from.
//!
//! Built once, after a scan, from what the pipeline already summed up: hosts (address, MACs,
//! ARP announcements, counters), the services each address answered on, and the
//! communication map with its identity facts. Its cost grows with devices and facts, never
//! with packets, so building it adds nothing measurable to the per-packet pipeline.
//!
//! Steps: addresses and MACs are grouped into devices (`merge.rs`: ARP and DHCP evidence,
//! gateway detection so a router's MAC does not swallow the hosts behind it); the map's edges
//! tell what each device serves and asks (`role.rs`); identity facts become attributes with
//! a confidence (`attributes.rs`), the IEEE OUI registry adds the NIC maker (`oui.rs`).
//! Conflicting observations are kept side by side in `provenance`; the asset shows the most
//! confident.
//!
//! Invariants: deterministic (same observations, same bytes of output, whatever the worker
//! count); every shown attribute has at least one provenance entry; a role and a Purdue level
//! always come with the sentence that explains them.

mod attributes;
mod merge;
mod observe;
pub mod oui;
mod role;

pub use attributes::{attribute_of, confidence_label, os_hint, Attribute, Confidence};
pub use observe::{HostObservation, Observations, ServiceTally};
pub use role::{Criticality, Role, ALL_ROLES};

use attributes::implied_vendor;
use merge::Grouping;
use role::Behaviour;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use zonewarden_dissect::{Endpoint, OpClass, Protocol, Source};
use zonewarden_model::{format_mac, Timestamp};

/// One observation of an attribute value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub value: String,
    /// `high`, `medium` or `low` (see `attributes.rs` for the scale).
    pub confidence: &'static str,
    /// The same on a 0–100 scale, for sorting.
    pub score: Confidence,
    /// The protocol that said it (`enip`, `s7comm`, `dhcp`…), or `oui` for the IEEE registry.
    pub source: &'static str,
    /// The protocol's own field name (`product_name`, `order_code`…).
    pub field: &'static str,
    /// Capture file and 1-based packet number of the first packet that showed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packet: Option<u64>,
    /// The flow that carried it: `tcp 10.0.0.1:50000 -> 10.0.0.2:502`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    /// Flows or frames that reported it.
    pub observations: u64,
}

/// One device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Asset {
    /// Stable across scans: `mac:<first MAC>` for devices with a MAC of their own, else
    /// `ip:<address>`.
    pub id: String,
    /// The current address (the one seen last), and all of them.
    pub ip: Option<IpAddr>,
    pub ips: Vec<IpAddr>,
    pub mac: Option<String>,
    pub macs: Vec<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub serial: Option<String>,
    pub hostname: Option<String>,
    pub os: Option<String>,
    pub role: Role,
    pub role_reason: String,
    pub purdue_level: Option<u8>,
    pub purdue_reason: String,
    pub criticality: Criticality,
    /// Protocols served and used, by stable name.
    pub protocols: Vec<&'static str>,
    pub protocols_served: Vec<&'static str>,
    pub protocols_used: Vec<&'static str>,
    /// Transport ports answered on: `tcp/502`.
    pub services: Vec<String>,
    /// MACs of gateways its traffic came through (it sits on another subnet).
    pub behind_gateway: Vec<String>,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    pub packets: u64,
    pub bytes: u64,
    /// Every observation of every attribute, the shown one first.
    pub provenance: BTreeMap<&'static str, Vec<Evidence>>,
    /// Everything the device said about itself, by the protocols' field names (module and
    /// rack names, station names, security modes…), up to 16 values per field.
    pub facts: BTreeMap<&'static str, Vec<String>>,
    pub notes: Vec<String>,
}

impl Asset {
    pub fn attribute(&self, attribute: Attribute) -> Option<&str> {
        match attribute {
            Attribute::Vendor => self.vendor.as_deref(),
            Attribute::Model => self.model.as_deref(),
            Attribute::Firmware => self.firmware.as_deref(),
            Attribute::Serial => self.serial.as_deref(),
            Attribute::Hostname => self.hostname.as_deref(),
            Attribute::Os => self.os.as_deref(),
        }
    }
}

/// The inventory: assets ordered by address, then MAC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    pub assets: Vec<Asset>,
}

impl Inventory {
    pub fn build(obs: &Observations<'_>) -> Inventory {
        // Addresses that never sent anything and have no MAC are no evidence of a device.
        let hosts: Vec<HostObservation> = obs
            .hosts
            .iter()
            .filter(|h| h.ip.is_none() || h.packets_sent > 0 || !h.macs.is_empty())
            .cloned()
            .collect();
        let obs = &Observations {
            hosts: &hosts,
            ..*obs
        };
        build(obs)
    }

    /// Asset counts per role, in role order.
    pub fn roles(&self) -> BTreeMap<Role, usize> {
        let mut counts = BTreeMap::new();
        for asset in &self.assets {
            *counts.entry(asset.role).or_insert(0) += 1;
        }
        counts
    }
}

/// Addresses outside private, loopback, link-local, shared and documentation ranges.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            let [first, ..] = v6.segments();
            (first & 0xe000) == 0x2000
        }
    }
}

fn subnet24(ip: IpAddr) -> Option<[u8; 3]> {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some([a, b, c])
        }
        IpAddr::V6(_) => None,
    }
}

/// IPv4 /24 networks in which the device announced an address of its own in ARP: more than
/// one means it routes between them.
fn announced_subnets(group: &merge::Group, hosts: &[HostObservation]) -> usize {
    group
        .hosts
        .iter()
        .filter_map(|i| hosts.get(*i))
        .filter(|h| h.arp_macs.iter().any(|m| group.macs.contains(m)))
        .filter_map(|h| h.ip.and_then(subnet24))
        .collect::<BTreeSet<_>>()
        .len()
}

fn flow_text(source: &Source) -> Option<String> {
    source.flow.map(|f| {
        let transport = match f.transport {
            6 => "tcp",
            17 => "udp",
            _ => "ip",
        };
        let end = |(ip, port): (IpAddr, u16)| match ip {
            IpAddr::V4(_) => format!("{ip}:{port}"),
            IpAddr::V6(_) => format!("[{ip}]:{port}"),
        };
        format!("{transport} {} -> {}", end(f.client), end(f.server))
    })
}

struct Draft {
    behaviour: Behaviour,
    evidence: BTreeMap<Attribute, Vec<Evidence>>,
    role: Role,
    role_reason: String,
    level: Option<u8>,
    level_reason: String,
    /// Peers it speaks industrial protocols with (asset indices).
    industrial_peers: BTreeSet<usize>,
    /// Peers over any decoded protocol.
    peers: BTreeSet<usize>,
}

fn build(obs: &Observations<'_>) -> Inventory {
    // Addresses that never sent anything and have no MAC are no evidence of a device.
    let hosts: Vec<HostObservation> = obs
        .hosts
        .iter()
        .filter(|h| h.ip.is_none() || h.packets_sent > 0 || !h.macs.is_empty())
        .cloned()
        .collect();
    let obs = &Observations {
        hosts: &hosts,
        ..*obs
    };
    let leases: BTreeSet<([u8; 6], IpAddr)> = obs
        .map
        .identities()
        .filter(|f| f.protocol == Protocol::Dhcp && f.field == "ip_address")
        .filter_map(|f| match (f.device, f.value.parse::<IpAddr>()) {
            (Endpoint::Mac(mac), Ok(ip)) => Some((mac, ip)),
            _ => None,
        })
        .collect();
    let grouping = merge::group(obs.hosts, &leases);
    let group_of = |endpoint: Endpoint| match endpoint {
        Endpoint::Ip(ip) => grouping.by_ip.get(&ip).copied(),
        Endpoint::Mac(mac) => grouping.by_mac.get(&mac).copied(),
    };

    let mut drafts: Vec<Draft> = grouping
        .groups
        .iter()
        .map(|g| Draft {
            behaviour: Behaviour {
                is_gateway: g.macs.iter().any(|m| grouping.gateways.contains(m)),
                public_address: !g.ips.is_empty() && g.ips.iter().all(|ip| is_public(*ip)),
                behind_gateway: !g.behind.is_empty(),
                subnets_announced: announced_subnets(g, obs.hosts),
                sends_stp: g
                    .hosts
                    .iter()
                    .filter_map(|i| obs.hosts.get(*i))
                    .any(|h| h.l2_protocols.iter().any(|p| p == "stp")),
                ..Behaviour::default()
            },
            evidence: BTreeMap::new(),
            role: Role::Unknown,
            role_reason: String::new(),
            level: None,
            level_reason: String::new(),
            industrial_peers: BTreeSet::new(),
            peers: BTreeSet::new(),
        })
        .collect();

    for edge in obs.map.edges() {
        let (Some(client), Some(server)) = (group_of(edge.key.client), group_of(edge.key.server))
        else {
            // A multicast group as server (GOOSE, DCP identify): the publisher serves it.
            if let Some(client) = group_of(edge.key.client) {
                if matches!(edge.key.protocol, Protocol::Goose | Protocol::Synchrophasor) {
                    if let Some(d) = drafts.get_mut(client) {
                        d.behaviour.served.entry(edge.key.protocol).or_default();
                    }
                }
                if let Some(d) = drafts.get_mut(client) {
                    d.behaviour.used.entry(edge.key.protocol).or_default();
                }
            }
            continue;
        };
        let protocol = edge.key.protocol;
        let classes = || edge.operations.keys().map(|op| op.class);
        if let Some(d) = drafts.get_mut(server) {
            d.behaviour
                .served
                .entry(protocol)
                .or_default()
                .extend(classes());
            if client != server {
                d.behaviour.clients.insert(client);
                d.peers.insert(client);
            }
            if protocol.is_industrial() {
                d.industrial_peers.insert(client);
            }
        }
        if let Some(d) = drafts.get_mut(client) {
            let used = d.behaviour.used.entry(protocol).or_default();
            used.0.extend(classes());
            used.1.insert(server);
            if client != server {
                d.peers.insert(server);
            }
            // Names are kept for the classes that reasons quote, a few per class.
            for op in edge
                .operations
                .keys()
                .filter(|op| op.class != OpClass::Read)
            {
                let names = d.behaviour.issued_names.entry(op.class).or_default();
                if names.len() < 8 {
                    names.insert(op.name);
                }
            }
            if protocol.is_industrial() {
                d.industrial_peers.insert(server);
            }
        }
    }

    for (group, draft) in grouping.groups.iter().zip(drafts.iter_mut()) {
        for ip in &group.ips {
            for (transport, port, _) in obs.services.ports(*ip) {
                draft.behaviour.service_ports.insert((transport, port));
            }
        }
    }

    let evidence_from = |protocol: &'static str,
                         field: &'static str,
                         value: String,
                         score: Confidence,
                         source: Option<&Source>,
                         observations: u64| Evidence {
        value,
        confidence: confidence_label(score),
        score,
        source: protocol,
        field,
        file: source.and_then(|s| obs.inputs.get(s.file as usize).cloned()),
        packet: source.map(|s| s.packet).filter(|p| *p > 0),
        flow: source.and_then(flow_text),
        observations,
    };

    for (fact, provenance) in obs.map.identities_with_provenance() {
        let Some(g) = group_of(fact.device) else {
            continue;
        };
        let Some(draft) = drafts.get_mut(g) else {
            continue;
        };
        let values = draft.behaviour.facts.entry(fact.field).or_default();
        if values.len() < 16 {
            values.insert(fact.value.clone());
        }
        let derived = attribute_of(fact.protocol, fact.field, &fact.value)
            .into_iter()
            .chain(attributes::from_description(
                fact.protocol,
                fact.field,
                &fact.value,
            ));
        for (attribute, score, value) in derived {
            draft
                .evidence
                .entry(attribute)
                .or_default()
                .push(evidence_from(
                    fact.protocol.as_str(),
                    fact.field,
                    value,
                    score,
                    Some(&provenance.first),
                    provenance.observations,
                ));
        }
    }

    for (group, draft) in grouping.groups.iter().zip(drafts.iter_mut()) {
        for protocol in draft.behaviour.served.keys() {
            if let Some(vendor) = implied_vendor(*protocol) {
                draft
                    .evidence
                    .entry(Attribute::Vendor)
                    .or_default()
                    .push(evidence_from(
                        protocol.as_str(),
                        "implied by protocol",
                        vendor.to_string(),
                        60,
                        None,
                        1,
                    ));
            }
        }
        if let Some(mac) = group.macs.iter().next() {
            if let Some(vendor) = oui::vendor(*mac) {
                draft
                    .evidence
                    .entry(Attribute::Vendor)
                    .or_default()
                    .push(evidence_from(
                        "oui",
                        "mac prefix",
                        vendor.trim_end_matches(',').to_string(),
                        40,
                        None,
                        1,
                    ));
            }
        }
        for list in draft.evidence.values_mut() {
            // Most confident, then most often seen, then earliest; identical values merged.
            list.sort_by(|a, b| {
                b.score
                    .cmp(&a.score)
                    .then(b.observations.cmp(&a.observations))
                    .then(a.packet.is_none().cmp(&b.packet.is_none()))
                    .then(a.file.cmp(&b.file))
                    .then(a.packet.cmp(&b.packet))
                    .then(a.source.cmp(b.source))
                    .then(a.value.cmp(&b.value))
            });
            list.truncate(32);
        }
    }

    // Roles, then levels (network devices and unknowns look at their neighbours' levels).
    for draft in &mut drafts {
        let model = draft
            .evidence
            .get(&Attribute::Model)
            .and_then(|l| l.first())
            .map(|e| e.value.clone());
        let (role, reason) = role::infer_role(&draft.behaviour, model.as_deref());
        draft.role = role;
        draft.role_reason = reason;
        if !matches!(role, Role::NetworkDevice | Role::Unknown) {
            let (level, reason) = role::purdue_level(role, &draft.behaviour, &[]);
            draft.level = level;
            draft.level_reason = reason;
        }
    }
    // Databases fed by supervisory hosts are historians.
    let roles: Vec<Role> = drafts.iter().map(|d| d.role).collect();
    for (group, draft) in grouping.groups.iter().zip(drafts.iter_mut()) {
        if draft.role != Role::ItHost {
            continue;
        }
        let client_roles: Vec<Role> = group
            .ips
            .iter()
            .flat_map(|ip| obs.services.clients(*ip))
            .filter_map(|c| grouping.by_ip.get(&c))
            .filter_map(|g| roles.get(*g).copied())
            .collect();
        if let Some((role, reason)) = role::historian_by_clients(&draft.behaviour, &client_roles) {
            let (level, level_reason) = role::purdue_level(role, &draft.behaviour, &[]);
            draft.role = role;
            draft.role_reason = reason;
            draft.level = level;
            draft.level_reason = level_reason;
        }
    }
    let levels: Vec<Option<u8>> = drafts.iter().map(|d| d.level).collect();
    for (index, (group, draft)) in grouping.groups.iter().zip(drafts.iter_mut()).enumerate() {
        if !matches!(
            draft.role,
            Role::NetworkDevice | Role::Unknown | Role::ItHost
        ) {
            continue;
        }
        let peers: Vec<u8> = if draft.role == Role::NetworkDevice {
            // Devices behind it, and devices on the subnets it has addresses in.
            let subnets: BTreeSet<[u8; 3]> =
                group.ips.iter().filter_map(|ip| subnet24(*ip)).collect();
            grouping
                .groups
                .iter()
                .zip(&levels)
                .filter(|(g, _)| {
                    g.behind.iter().any(|m| group.macs.contains(m))
                        || g.ips
                            .iter()
                            .filter_map(|ip| subnet24(*ip))
                            .any(|s| subnets.contains(&s))
                })
                .filter_map(|(_, l)| *l)
                .collect()
        } else {
            let peers = if draft.role == Role::ItHost {
                &draft.peers
            } else {
                &draft.industrial_peers
            };
            peers
                .iter()
                .filter(|p| **p != index)
                .filter_map(|p| levels.get(*p).copied().flatten())
                .collect()
        };
        let (level, reason) = role::purdue_level(draft.role, &draft.behaviour, &peers);
        draft.level = level;
        draft.level_reason = reason;
    }

    let mut assets: Vec<Asset> = grouping
        .groups
        .iter()
        .zip(drafts)
        .map(|(group, draft)| assemble(obs, &grouping, group, draft))
        .collect();
    assets.sort_by(|a, b| {
        (a.ip.is_none(), a.ip, &a.macs, &a.id).cmp(&(b.ip.is_none(), b.ip, &b.macs, &b.id))
    });
    Inventory { assets }
}

fn assemble(
    obs: &Observations<'_>,
    grouping: &Grouping,
    group: &merge::Group,
    draft: Draft,
) -> Asset {
    let hosts: Vec<&HostObservation> = group
        .hosts
        .iter()
        .filter_map(|i| obs.hosts.get(*i))
        .collect();
    let current = hosts
        .iter()
        .filter(|h| h.ip.is_some())
        .max_by_key(|h| {
            (
                h.ip.is_some_and(|ip| ip.is_ipv4()),
                merge::last_seen(h),
                std::cmp::Reverse(h.ip),
            )
        })
        .and_then(|h| h.ip);
    let macs: Vec<String> = group.macs.iter().map(|m| format_mac(*m)).collect();
    let id = match (group.macs.iter().next(), current) {
        (Some(mac), _) if !grouping.gateways.contains(mac) || draft.role == Role::NetworkDevice => {
            format!("mac:{}", format_mac(*mac))
        }
        (_, Some(ip)) => format!("ip:{ip}"),
        (Some(mac), None) => format!("mac:{}", format_mac(*mac)),
        (None, None) => "unknown".to_string(),
    };
    let shown = |a: Attribute| {
        draft
            .evidence
            .get(&a)
            .and_then(|l| l.first())
            .map(|e| e.value.clone())
    };
    let served: Vec<&'static str> = draft.behaviour.served.keys().map(|p| p.as_str()).collect();
    let used: Vec<&'static str> = draft.behaviour.used.keys().map(|p| p.as_str()).collect();
    let protocols: Vec<&'static str> = served
        .iter()
        .chain(&used)
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let services = draft
        .behaviour
        .service_ports
        .iter()
        .map(|(t, p)| {
            let transport = match t {
                6 => "tcp",
                17 => "udp",
                _ => "ip",
            };
            format!("{transport}/{p}")
        })
        .collect();
    Asset {
        id,
        ip: current,
        ips: group.ips.iter().copied().collect(),
        mac: macs.first().cloned(),
        vendor: shown(Attribute::Vendor),
        model: shown(Attribute::Model),
        firmware: shown(Attribute::Firmware),
        serial: shown(Attribute::Serial),
        hostname: shown(Attribute::Hostname),
        os: shown(Attribute::Os),
        macs,
        role: draft.role,
        role_reason: draft.role_reason,
        purdue_level: draft.level,
        purdue_reason: draft.level_reason,
        criticality: draft.role.criticality(),
        protocols,
        protocols_served: served,
        protocols_used: used,
        services,
        behind_gateway: group.behind.iter().map(|m| format_mac(*m)).collect(),
        first_ts: hosts.iter().filter_map(|h| h.first_ts).min(),
        last_ts: hosts.iter().filter_map(|h| h.last_ts).max(),
        packets: hosts.iter().map(|h| h.packets).sum(),
        bytes: hosts.iter().map(|h| h.bytes).sum(),
        provenance: draft
            .evidence
            .into_iter()
            .map(|(a, list)| (a.as_str(), list))
            .collect(),
        facts: draft
            .behaviour
            .facts
            .iter()
            .map(|(field, values)| (*field, values.iter().cloned().collect()))
            .collect(),
        notes: group.notes.clone(),
    }
}
