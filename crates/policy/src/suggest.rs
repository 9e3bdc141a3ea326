//! A draft zones file from observed traffic.
//!
//! Zones follow the Purdue level the inventory gave each device (safety controllers get a
//! zone of their own, devices without a level an `unclassified` one); a level whose subnets never talk
//! to each other is split into one cell per group of subnets. Conduits cover exactly the
//! conversations seen between zones, at operation-class granularity: one rule per
//! (protocol, port, operation classes) and group of clients that used the same servers.
//! Checking the draft against the traffic it came from finds nothing; a reviewer then
//! tightens it.

use crate::observe::{is_local_only, transport_name, Conversation};
use crate::protocols;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;
use zonewarden_dissect::OpClass;
use zonewarden_inventory::{Inventory, Role};

/// The subnet an address is grouped by: /24 for IPv4, /64 for IPv6.
fn subnet_of(ip: IpAddr) -> ipnet::IpNet {
    let prefix = if ip.is_ipv4() { 24 } else { 64 };
    ipnet::IpNet::new(ip, prefix).map_or_else(|_| ipnet::IpNet::from(ip), |n| n.trunc())
}

/// Zone family of a device, before cells are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Family {
    Safety,
    Level(u8),
    Unclassified,
}

impl Family {
    fn base_id(self) -> &'static str {
        match self {
            Family::Safety => "safety",
            Family::Level(0 | 1) => "control",
            Family::Level(2) => "supervisory",
            Family::Level(3) => "operations",
            Family::Level(_) => "enterprise",
            Family::Unclassified => "unclassified",
        }
    }
    fn level(self) -> Option<u8> {
        match self {
            Family::Safety => Some(1),
            Family::Level(l) => Some(l.min(5)),
            _ => None,
        }
    }
    /// A starting SL-T: 2 for control levels (protection against intentional violation
    /// with simple means), 3 for safety, 1 elsewhere. The reviewer decides.
    fn sl_t(self) -> u8 {
        match self {
            Family::Safety => 3,
            Family::Level(0..=2) => 2,
            _ => 1,
        }
    }
    fn criticality(self) -> &'static str {
        match self {
            Family::Safety => "critical",
            Family::Level(0..=2) => "high",
            Family::Level(3) | Family::Unclassified => "medium",
            _ => "low",
        }
    }
    fn why(self) -> &'static str {
        match self {
            Family::Safety => "safety controllers: IEC 62443-3-2 asks for a zone of their own",
            Family::Level(0 | 1) => {
                "Purdue levels 0-1: controllers (PLCs, RTUs, IEDs) and their I/O"
            }
            Family::Level(2) => "Purdue level 2: supervisory control (HMIs, SCADA, engineering)",
            Family::Level(3) => "Purdue level 3: site operations (historians, servers)",
            Family::Level(_) => "Purdue level 4-5: business and office network",
            Family::Unclassified => "devices whose Purdue level could not be told from traffic",
        }
    }
}

struct DraftZone {
    id: String,
    family: Family,
    subnets: BTreeSet<ipnet::IpNet>,
    /// Addresses listed one by one (their subnet is shared with another zone).
    addresses: BTreeSet<IpAddr>,
    macs: BTreeSet<String>,
    roles: BTreeMap<&'static str, usize>,
    devices: usize,
}

/// Writes the draft for these devices and conversations.
pub fn suggest(
    inventory: &Inventory,
    conversations: &[Conversation],
    sources: &[String],
) -> String {
    // 1. A family per address (and per IP-less device).
    let mut family_of_ip: BTreeMap<IpAddr, Family> = BTreeMap::new();
    let mut role_of_ip: BTreeMap<IpAddr, Role> = BTreeMap::new();
    let mut mac_only: Vec<(Family, String, Role)> = Vec::new();
    for asset in &inventory.assets {
        let family = if asset.role == Role::SafetyController {
            Family::Safety
        } else {
            // Levels 0 and 1 share a subnet and a cell in most plants: one zone. Levels 4
            // and 5 are one family too: both are the `enterprise` zone (two families would
            // draft two zones with that id, a model that does not parse).
            asset
                .purdue_level
                .map_or(Family::Unclassified, |l| Family::Level(l.clamp(1, 4)))
        };
        for ip in &asset.ips {
            if is_local_only(*ip) && !ip.is_ipv4() {
                continue;
            }
            family_of_ip.insert(*ip, family);
            role_of_ip.insert(*ip, asset.role);
        }
        if asset.ips.is_empty() {
            if let Some(mac) = asset.macs.first() {
                mac_only.push((family, mac.clone(), asset.role));
            }
        }
    }
    // Addresses in conversations that the inventory does not hold.
    for c in conversations {
        if is_local_only(c.server) {
            continue;
        }
        for ip in [c.client, c.server] {
            family_of_ip.entry(ip).or_insert(Family::Unclassified);
        }
    }
    // Multi-homed devices: an address follows the family that owns the rest of its subnet
    // (a router's leg in the PLC subnet is in the control zone).
    let mut subnet_families: BTreeMap<ipnet::IpNet, BTreeMap<Family, usize>> = BTreeMap::new();
    let multi: BTreeSet<IpAddr> = inventory
        .assets
        .iter()
        .filter(|a| a.ips.len() > 1)
        .flat_map(|a| a.ips.iter().copied())
        .collect();
    for (ip, f) in &family_of_ip {
        if !multi.contains(ip) {
            *subnet_families
                .entry(subnet_of(*ip))
                .or_default()
                .entry(*f)
                .or_default() += 1;
        }
    }
    for ip in &multi {
        let owner = subnet_families.get(&subnet_of(*ip)).and_then(|fams| {
            fams.iter()
                .max_by_key(|(f, n)| (**n, std::cmp::Reverse(**f)))
                .map(|(f, _)| *f)
        });
        if let (Some(owner), Some(f)) = (owner, family_of_ip.get_mut(ip)) {
            *f = owner;
        }
    }
    // 2. Cells: subnets of one family that never talk to each other become separate zones.
    let mut family_subnets: BTreeMap<Family, BTreeSet<ipnet::IpNet>> = BTreeMap::new();
    for (ip, f) in &family_of_ip {
        family_subnets.entry(*f).or_default().insert(subnet_of(*ip));
    }
    let mut talk: BTreeSet<(ipnet::IpNet, ipnet::IpNet)> = BTreeSet::new();
    for c in conversations {
        let (a, b) = (subnet_of(c.client), subnet_of(c.server));
        if a != b {
            talk.insert((a.min(b), a.max(b)));
        }
    }
    let mut zone_of_subnet: BTreeMap<(Family, ipnet::IpNet), usize> = BTreeMap::new();
    let mut zones: Vec<DraftZone> = Vec::new();
    for (family, subnets) in &family_subnets {
        let list: Vec<ipnet::IpNet> = subnets.iter().copied().collect();
        let groups = if *family == Family::Unclassified {
            vec![list.clone()]
        } else {
            components(&list, &talk)
        };
        let split = groups.len() > 1;
        for (n, group) in groups.into_iter().enumerate() {
            let id = if split {
                format!("{}-{}", family.base_id(), n + 1)
            } else {
                family.base_id().to_string()
            };
            for s in &group {
                zone_of_subnet.insert((*family, *s), zones.len());
            }
            zones.push(DraftZone {
                id,
                family: *family,
                subnets: BTreeSet::new(),
                addresses: BTreeSet::new(),
                macs: BTreeSet::new(),
                roles: BTreeMap::new(),
                devices: 0,
            });
        }
    }
    // 3. Members: a subnet whose addresses all went to one zone is a CIDR member; in a
    // shared subnet every address is listed.
    let mut subnet_zones: BTreeMap<ipnet::IpNet, BTreeSet<usize>> = BTreeMap::new();
    let mut zone_of_ip: BTreeMap<IpAddr, usize> = BTreeMap::new();
    for (ip, f) in &family_of_ip {
        let s = subnet_of(*ip);
        if let Some(&z) = zone_of_subnet.get(&(*f, s)) {
            zone_of_ip.insert(*ip, z);
            subnet_zones.entry(s).or_default().insert(z);
        }
    }
    for (ip, z) in &zone_of_ip {
        let s = subnet_of(*ip);
        let shared = subnet_zones.get(&s).is_some_and(|zs| zs.len() > 1);
        if let Some(zone) = zones.get_mut(*z) {
            if shared {
                zone.addresses.insert(*ip);
            } else {
                zone.subnets.insert(s);
            }
            if let Some(role) = role_of_ip.get(ip) {
                *zone.roles.entry(role.as_str()).or_default() += 1;
            }
            zone.devices += 1;
        }
    }
    for (family, mac, role) in &mac_only {
        let target = zones
            .iter()
            .position(|z| z.family == *family)
            .unwrap_or_else(|| {
                zones.push(DraftZone {
                    id: family.base_id().to_string(),
                    family: *family,
                    subnets: BTreeSet::new(),
                    addresses: BTreeSet::new(),
                    macs: BTreeSet::new(),
                    roles: BTreeMap::new(),
                    devices: 0,
                });
                zones.len() - 1
            });
        if let Some(zone) = zones.get_mut(target) {
            zone.macs.insert(mac.clone());
            *zone.roles.entry(role.as_str()).or_default() += 1;
            zone.devices += 1;
        }
    }
    // 4. Conduits from the conversations that cross zones.
    let mut pairs: BTreeMap<(usize, usize), Vec<&Conversation>> = BTreeMap::new();
    for c in conversations {
        if is_local_only(c.server) {
            continue;
        }
        let (Some(&a), Some(&b)) = (zone_of_ip.get(&c.client), zone_of_ip.get(&c.server)) else {
            continue;
        };
        if a != b {
            pairs.entry((a.min(b), a.max(b))).or_default().push(c);
        }
    }
    render(&zones, &pairs, &zone_of_ip, sources)
}

/// Connected groups of subnets (talking subnets are joined).
fn components(
    subnets: &[ipnet::IpNet],
    talk: &BTreeSet<(ipnet::IpNet, ipnet::IpNet)>,
) -> Vec<Vec<ipnet::IpNet>> {
    let mut parent: Vec<usize> = (0..subnets.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while let Some(&p) = parent.get(i) {
            if p == i {
                break;
            }
            let grand = parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = parent.get_mut(i) {
                *slot = grand;
            }
            i = p;
        }
        i
    }
    for (i, a) in subnets.iter().enumerate() {
        for (j, b) in subnets.iter().enumerate().skip(i + 1) {
            if talk.contains(&(*a.min(b), *a.max(b))) {
                let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                if let Some(slot) = parent.get_mut(ri.max(rj)) {
                    *slot = ri.min(rj);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<ipnet::IpNet>> = BTreeMap::new();
    for (i, s) in subnets.iter().enumerate() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(*s);
    }
    groups.into_values().collect()
}

fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let inner: Vec<String> = items.into_iter().map(|i| quote(&i.to_string())).collect();
    format!("[{}]", inner.join(", "))
}

/// What a rule covers: protocol name (or transport), explicit port, operation classes.
type RuleShape = (String, Option<u16>, Option<BTreeSet<OpClass>>);

/// Flows and operation counts behind a rule, for its comment.
type SeenCounts = (u64, BTreeMap<&'static str, u64>);

fn shape(c: &Conversation) -> RuleShape {
    match c.protocol {
        Some(p) => {
            let port = (!protocols::ports_of(p).contains(&c.port)).then_some(c.port);
            let classes = (protocols::has_operations(p) && !c.operations.is_empty())
                .then(|| c.operations.iter().map(|o| o.class).collect());
            (p.as_str().to_string(), port, classes)
        }
        None => (transport_name(c.transport).to_string(), Some(c.port), None),
    }
}

fn render(
    zones: &[DraftZone],
    pairs: &BTreeMap<(usize, usize), Vec<&Conversation>>,
    zone_of_ip: &BTreeMap<IpAddr, usize>,
    sources: &[String],
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# zones.toml drafted by `zonewarden zones suggest` from {}.",
        if sources.is_empty() {
            "observed traffic".to_string()
        } else {
            sources.join(", ")
        }
    );
    out.push_str(
        "# It allows exactly what was seen: review it, merge zones or tighten rules, raise SL-T\n\
         # where the risk assessment asks for it, and commit it. Reference: docs/zones.md.\n\n",
    );
    out.push_str("[plant]\nname = \"Suggested from traffic\"\n");
    for zone in zones {
        if zone.devices == 0 {
            continue;
        }
        out.push('\n');
        let _ = writeln!(out, "# {}.", zone.family.why());
        let roles: Vec<String> = zone.roles.iter().map(|(r, n)| format!("{n} {r}")).collect();
        let _ = writeln!(out, "# Devices: {} ({}).", zone.devices, roles.join(", "));
        out.push_str("[[zone]]\n");
        let _ = writeln!(out, "id = {}", quote(&zone.id));
        let _ = writeln!(out, "sl_t = {}", zone.family.sl_t());
        if let Some(level) = zone.family.level() {
            let _ = writeln!(out, "purdue_level = {level}");
        }
        let _ = writeln!(out, "criticality = {}", quote(zone.family.criticality()));
        let members: Vec<String> = zone
            .subnets
            .iter()
            .map(ToString::to_string)
            .chain(zone.addresses.iter().map(ToString::to_string))
            .chain(zone.macs.iter().map(|m| format!("mac:{m}")))
            .collect();
        let _ = writeln!(out, "members = {}", list(members));
    }
    for ((a, b), convs) in pairs {
        let (Some(za), Some(zb)) = (zones.get(*a), zones.get(*b)) else {
            continue;
        };
        let from_a = convs.iter().any(|c| zone_of_ip.get(&c.client) == Some(a));
        let from_b = convs.iter().any(|c| zone_of_ip.get(&c.client) == Some(b));
        let (first, second, one_way) = match (from_a, from_b) {
            (true, false) => (za, zb, true),
            (false, true) => (zb, za, true),
            _ => (za, zb, false),
        };
        let flows: u64 = convs.iter().map(|c| c.flows).sum();
        out.push('\n');
        let _ = writeln!(
            out,
            "# {} conversation(s), {} flow(s) seen between {} and {}{}.",
            convs.len(),
            flows,
            first.id,
            second.id,
            if one_way {
                format!("; all opened from {}", first.id)
            } else {
                "; opened from both sides".to_string()
            }
        );
        out.push_str(
            "# SL-T 2: raise FR3 to 3 (cryptographic integrity) or FR4 to 4 (confidentiality) and\n\
             # `zones check` will flag the cleartext protocols below until they are protected.\n",
        );
        out.push_str("[[conduit]]\n");
        let _ = writeln!(
            out,
            "id = {}",
            quote(&format!("{}-{}", first.id, second.id))
        );
        let _ = writeln!(out, "zones = {}", list([&first.id, &second.id]));
        let _ = writeln!(
            out,
            "direction = {}",
            quote(if one_way { "one-way" } else { "bidirectional" })
        );
        out.push_str("sl_t = 2\ncontrols = [\"firewall\"]\n");
        // (shape) -> client -> servers; then clients with the same servers share a rule.
        let mut by_shape: BTreeMap<RuleShape, BTreeMap<IpAddr, BTreeSet<IpAddr>>> = BTreeMap::new();
        let mut counts: BTreeMap<(RuleShape, IpAddr), SeenCounts> = BTreeMap::new();
        for c in convs {
            let s = shape(c);
            by_shape
                .entry(s.clone())
                .or_default()
                .entry(c.client)
                .or_default()
                .insert(c.server);
            let e = counts.entry((s, c.client)).or_default();
            e.0 += c.flows;
            for op in c.operations.iter().filter(|o| o.count > 0) {
                *e.1.entry(op.name).or_default() += op.count;
            }
        }
        for (s, clients) in &by_shape {
            let mut groups: BTreeMap<&BTreeSet<IpAddr>, Vec<IpAddr>> = BTreeMap::new();
            for (client, servers) in clients {
                groups.entry(servers).or_default().push(*client);
            }
            for (servers, clients) in groups {
                let mut flows = 0u64;
                let mut ops: BTreeMap<&'static str, u64> = BTreeMap::new();
                for client in &clients {
                    if let Some((f, o)) = counts.get(&(s.clone(), *client)) {
                        flows += f;
                        for (name, n) in o {
                            *ops.entry(name).or_default() += n;
                        }
                    }
                }
                out.push('\n');
                let mut seen = format!("  # seen: {flows} flow(s)");
                if !ops.is_empty() {
                    let names: Vec<String> = ops.iter().map(|(n, k)| format!("{n} ×{k}")).collect();
                    let _ = write!(seen, "; operations {}", names.join(", "));
                }
                out.push_str(&seen);
                out.push('\n');
                out.push_str("  [[conduit.rule]]\n");
                let _ = writeln!(out, "  protocol = {}", quote(&s.0));
                if let Some(port) = s.1 {
                    let _ = writeln!(out, "  ports = [{port}]");
                }
                let _ = writeln!(out, "  clients = {}", list(clients));
                let _ = writeln!(out, "  servers = {}", list(servers));
                if let Some(classes) = &s.2 {
                    let _ = writeln!(
                        out,
                        "  operations = {}",
                        list(classes.iter().map(|c| c.as_str()))
                    );
                }
            }
        }
    }
    out
}
