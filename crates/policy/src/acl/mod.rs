//! Default-deny firewall rule sets from the model's conduits.
//!
//! [`build`] turns every conduit rule (and every zone's own rules) into a small intermediate
//! form: one [`AclRule`] per model rule, direction and transport, holding the addresses each
//! side stands for. [`render`] writes it for nftables, `iptables-restore` or Cisco IOS.
//! Forwarding is dropped unless a rule accepts it; replies to accepted connections are
//! accepted by connection state (on IOS, whose ACLs are stateless, by `established` and by
//! explicit reverse permits).
//!
//! What a side's selectors stand for:
//! - no selector: the side's zone (one-way conduit: clients in `zones[0]`, servers in
//!   `zones[1]`; bidirectional: either way round, so a rule with no selectors becomes two
//!   rules, one per direction; a zone's own rules: the zone on both sides);
//! - `any`, `zone:ID`: the zone's network members, plus with an inventory the host address
//!   of every device address that is in the zone and not inside those networks;
//! - an address or CIDR, `asset:NAME` and `tag:TAG` of `[[asset]]` tables declared with an
//!   address, `asset:ip:…`: those addresses, narrowed to the side's zone (a conduit only
//!   carries traffic between its zones);
//! - `role:`, `host:`, `mac:`, and `asset:`/`tag:` beyond that: with an inventory, the
//!   addresses in the side's zone of the matching devices; without one the selector is
//!   *unresolved*, and the rule says it needs captures (their inventory) to name addresses.
//!
//! A rule whose clients or servers name no address becomes a comment, never a rule: the
//! output is always at most as open as the model.

mod cisco;
mod iptables;
mod nftables;

pub use nftables::{allows, parse_nftables, ParsedRule};

use crate::model::{Conduit, ConduitDirection, Control, Model, OpCode, Rule, RuleProtocol};
use crate::observe::is_local_only;
use crate::protocols::{self, ICMP, ICMPV6, TCP, UDP};
use crate::resolve::{selector_matches, Membership, Resolution};
use crate::selector::Selector;
use ipnet::IpNet;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// A firewall dialect [`render`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// An `nft -f` file: table `inet zonewarden`, chain `forward`.
    Nftables,
    /// An `iptables-restore` file for the `filter` table (IPv4; IPv6 rules as comments).
    Iptables,
    /// A Cisco IOS named extended ACL `ZONEWARDEN-FORWARD` (and `ZONEWARDEN-FORWARD-V6`).
    CiscoIos,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Nftables, Target::Iptables, Target::CiscoIos];

    pub const fn as_str(self) -> &'static str {
        match self {
            Target::Nftables => "nftables",
            Target::Iptables => "iptables",
            Target::CiscoIos => "cisco-ios",
        }
    }

    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IP address family; renderers keep the two apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn of(net: &IpNet) -> Family {
        match net {
            IpNet::V4(_) => Family::V4,
            IpNet::V6(_) => Family::V6,
        }
    }
    pub fn of_ip(ip: IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
}

/// The generated rules, in order, and what a reader of the output should know.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSet {
    pub rules: Vec<AclRule>,
    /// Sentences for the top of the output (one-way conduits, missing addresses…).
    pub notes: Vec<String>,
}

/// One accept rule: a new connection from any of `sources` to any of `destinations` on the
/// transport and ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclRule {
    /// The conduit id, or `zone:<id>` for a zone's own rules.
    pub conduit: String,
    /// Line of the `[[conduit.rule]]` (or `[[zone.rule]]`) in the model; for the rule that
    /// lets a zone without rules talk to itself, the zone's line.
    pub model_line: usize,
    /// 0-based position of the rule in its conduit (or zone).
    pub rule_index: usize,
    /// Client addresses, aggregated (no entry inside another); IPv4 and IPv6 may mix.
    pub sources: Vec<IpNet>,
    /// Server addresses, aggregated.
    pub destinations: Vec<IpNet>,
    /// IP protocol: 6 TCP, 17 UDP, 1 ICMP (ICMPv6 for IPv6 addresses); `None` any.
    pub transport: Option<u8>,
    /// Server ports, inclusive, sorted and merged; empty: every port.
    pub ports: Vec<(u16, u16)>,
    /// What the rule is for, with anything a reader must know (one line).
    pub comment: String,
    /// Set when the model rule limits operations, which port filtering cannot enforce.
    pub needs_dpi: Option<String>,
    /// Selectors that named no address here (`role:hmi`, `zone:cell`…).
    pub unresolved: Vec<String>,
}

impl AclRule {
    /// Both sides name addresses of a common family: the rule is rendered as a rule (else
    /// only as a comment).
    pub fn is_active(&self) -> bool {
        !self.pairs().is_empty()
    }

    /// Per address family with addresses on both sides: (family, sources, destinations).
    pub fn pairs(&self) -> Vec<(Family, Vec<IpNet>, Vec<IpNet>)> {
        [Family::V4, Family::V6]
            .into_iter()
            .filter_map(|family| {
                let src: Vec<IpNet> = self
                    .sources
                    .iter()
                    .filter(|n| Family::of(n) == family)
                    .copied()
                    .collect();
                let dst: Vec<IpNet> = self
                    .destinations
                    .iter()
                    .filter(|n| Family::of(n) == family)
                    .copied()
                    .collect();
                (!src.is_empty() && !dst.is_empty()).then_some((family, src, dst))
            })
            .collect()
    }

    /// Would this rule accept a new connection from `client` to `server:port`?
    pub fn matches(&self, client: IpAddr, server: IpAddr, transport: u8, port: u16) -> bool {
        Family::of_ip(client) == Family::of_ip(server)
            && self.sources.iter().any(|n| n.contains(&client))
            && self.destinations.iter().any(|n| n.contains(&server))
            && match self.transport {
                // ICMP for IPv4 addresses, ICMPv6 for IPv6 ones.
                Some(ICMP | ICMPV6) => {
                    transport
                        == if Family::of_ip(client) == Family::V4 {
                            ICMP
                        } else {
                            ICMPV6
                        }
                }
                t => transport_matches(t, transport),
            }
            && ports_match(&self.ports, port)
    }

    /// `conduit ID rule N (model line L): comment` (or `zone ID rule …`): the heading every
    /// renderer writes above the rule, and that [`parse_nftables`] reads back.
    pub fn heading(&self) -> String {
        format!(
            "{} rule {} (model line {}): {}",
            one_line(&owner(&self.conduit)),
            self.rule_index + 1,
            self.model_line,
            one_line(&self.comment)
        )
    }

    /// Why the rule is only a comment (when it is).
    pub fn why_inactive(&self) -> Option<String> {
        if self.is_active() {
            return None;
        }
        let reason = match (self.sources.is_empty(), self.destinations.is_empty()) {
            (true, true) => "nothing to allow",
            (true, false) => "the clients name no address",
            (false, true) => "the servers name no address",
            (false, false) => "clients and servers share no address family",
        };
        Some(format!("no rule: {reason}"))
    }

    /// The transport as a word (`tcp`, `udp`, `icmp`, `ip` for any, or the number).
    pub fn transport_name(&self) -> String {
        match self.transport {
            None => "ip".to_string(),
            Some(TCP) => "tcp".to_string(),
            Some(UDP) => "udp".to_string(),
            Some(ICMP) | Some(ICMPV6) => "icmp".to_string(),
            Some(n) => n.to_string(),
        }
    }
}

/// `conduit ID` or `zone ID` for the owner string of an [`AclRule`].
fn owner(conduit: &str) -> String {
    match conduit.strip_prefix("zone:") {
        Some(zone) => format!("zone {zone}"),
        None => format!("conduit {conduit}"),
    }
}

/// IP protocol `seen` against a rule's transport; ICMP stands for ICMPv6 too.
pub(crate) fn transport_matches(rule: Option<u8>, seen: u8) -> bool {
    match rule {
        None => true,
        Some(ICMP) | Some(ICMPV6) => matches!(seen, ICMP | ICMPV6),
        Some(t) => t == seen,
    }
}

pub(crate) fn ports_match(ports: &[(u16, u16)], port: u16) -> bool {
    ports.is_empty() || ports.iter().any(|(lo, hi)| (*lo..=*hi).contains(&port))
}

impl RuleSet {
    /// Index of the first rule that accepts a new connection from `client` to
    /// `server:port` (what the rendered rule set decides, before parsing it back).
    pub fn allows(
        &self,
        client: IpAddr,
        server: IpAddr,
        transport: u8,
        port: u16,
    ) -> Option<usize> {
        self.rules
            .iter()
            .position(|r| r.is_active() && r.matches(client, server, transport, port))
    }

    /// Rules rendered as rules (not comments).
    pub fn active(&self) -> usize {
        self.rules.iter().filter(|r| r.is_active()).count()
    }
}

/// Writes the rule set in a firewall's own syntax.
pub fn render(set: &RuleSet, target: Target, model: &Model) -> String {
    match target {
        Target::Nftables => nftables::render(set, model),
        Target::Iptables => iptables::render(set, model),
        Target::CiscoIos => cisco::render(set, model),
    }
}

/// Control characters (newlines included) become spaces: comments stay one line.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Greedy word wrap to `width` characters (a longer word gets a line of its own, cut).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in one_line(text).split_whitespace() {
        let word: String = word.chars().take(width).collect();
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// An address as firewalls write it: a host without its prefix length.
pub(crate) fn net_text(net: &IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// Sorted (IPv4 first), without duplicates or entries inside another. Adjacent networks
/// stay apart, so that the devices a rule names can still be read from it.
fn aggregate(nets: Vec<IpNet>) -> Vec<IpNet> {
    let mut nets: Vec<IpNet> = nets.iter().map(IpNet::trunc).collect();
    // Wider networks first within the same start address, so that the covered ones follow.
    nets.sort_by(|a, b| {
        (Family::of(a), a.network(), a.prefix_len()).cmp(&(
            Family::of(b),
            b.network(),
            b.prefix_len(),
        ))
    });
    nets.dedup();
    let mut out: Vec<IpNet> = Vec::with_capacity(nets.len());
    for net in nets {
        if !out.iter().any(|kept| kept.contains(&net)) {
            out.push(net);
        }
    }
    out
}

/// Addresses in both lists.
fn intersect(a: &[IpNet], b: &[IpNet]) -> Vec<IpNet> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            if x.contains(y) {
                out.push(*y);
            } else if y.contains(x) {
                out.push(*x);
            }
        }
    }
    aggregate(out)
}

/// Sorted, overlapping and adjacent ranges merged.
fn merge_ports(ports: &[(u16, u16)]) -> Vec<(u16, u16)> {
    let mut sorted: Vec<(u16, u16)> = ports.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect();
    sorted.sort_unstable();
    let mut out: Vec<(u16, u16)> = Vec::new();
    for (lo, hi) in sorted {
        match out.last_mut() {
            Some(last) if u32::from(lo) <= u32::from(last.1) + 1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

fn ports_text(ports: &[(u16, u16)]) -> String {
    ports
        .iter()
        .map(|&(lo, hi)| {
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn transport_word(t: u8) -> String {
    match t {
        TCP => "tcp".to_string(),
        UDP => "udp".to_string(),
        ICMP | ICMPV6 => "icmp".to_string(),
        n => format!("IP protocol {n}"),
    }
}

/// A transport (`None`: any) and its server ports (empty: all).
type Transport = (Option<u8>, Vec<(u16, u16)>);

/// The zone side of a conduit or zone rule.
#[derive(Clone, Copy)]
enum Owner<'a> {
    Conduit(&'a Conduit),
    Zone(usize),
}

struct Builder<'a> {
    model: &'a Model,
    resolution: Option<&'a Resolution>,
    /// Per zone: its addresses (network members and, with an inventory, device addresses).
    zone_nets: Vec<Vec<IpNet>>,
}

/// Turns the model's conduits and zone rules into accept rules (see the module docs).
/// Without a `resolution` only addresses the model itself states are used.
pub fn build(model: &Model, resolution: Option<&Resolution>) -> RuleSet {
    let builder = Builder {
        model,
        resolution,
        zone_nets: (0..model.zones.len())
            .map(|z| zone_addresses(model, resolution, z))
            .collect(),
    };
    let mut set = RuleSet::default();
    set.notes.push(
        "default deny: forwarded traffic is dropped unless a rule below accepts it; replies to accepted connections are accepted by connection state"
            .to_string(),
    );
    if resolution.is_none() {
        set.notes.push(
            "addresses come from the model alone: role:, host:, mac: selectors, and asset:/tag: selectors without an [[asset]] address, need captures (their inventory) to name addresses"
                .to_string(),
        );
    }
    for (zi, zone) in model.zones.iter().enumerate() {
        let indirect: Vec<String> = zone
            .members
            .iter()
            .filter(|(s, _)| !matches!(s, Selector::Net(_)))
            .map(|(s, _)| s.to_string())
            .collect();
        if builder.zone_nets(zi).is_empty() {
            set.notes.push(format!(
                "zone {} names no address{}: rules that stand for it are comments only",
                zone.id,
                if resolution.is_none() {
                    " (pass captures: their inventory names the addresses)"
                } else {
                    ""
                }
            ));
        } else if !indirect.is_empty() && resolution.is_none() {
            set.notes.push(format!(
                "zone {}: members {} need captures (their inventory); only its networks are used",
                zone.id,
                indirect.join(", ")
            ));
        }
    }
    for conduit in &model.conduits {
        if conduit.controls.iter().any(|c| c.is_one_way()) {
            set.notes.push(format!(
                "conduit {} is a data diode or unidirectional gateway: only UDP from zone {} to zone {} is allowed, and nothing needs to come back (the diode drops replies; the state rule never sees any)",
                conduit.id,
                model.zone_id(conduit.zones[0]),
                model.zone_id(conduit.zones[1])
            ));
        }
        for (index, rule) in conduit.rules.iter().enumerate() {
            builder.rule(&mut set, Owner::Conduit(conduit), rule, index);
        }
    }
    for (zi, zone) in model.zones.iter().enumerate() {
        if zone.rules.is_empty() {
            // A zone without rules does not restrict its own traffic: between its networks
            // (when they are routed through this firewall) everything is allowed.
            let nets = builder.zone_nets(zi).to_vec();
            set.rules.push(AclRule {
                conduit: format!("zone:{}", zone.id),
                model_line: zone.line,
                rule_index: 0,
                sources: nets.clone(),
                destinations: nets,
                transport: None,
                ports: Vec::new(),
                comment: format!(
                    "zone {} has no rules of its own: traffic inside it is not restricted",
                    zone.id
                ),
                needs_dpi: None,
                unresolved: Vec::new(),
            });
            continue;
        }
        for (index, rule) in zone.rules.iter().enumerate() {
            builder.rule(&mut set, Owner::Zone(zi), rule, index);
        }
    }
    let comments = set.rules.iter().filter(|r| !r.is_active()).count();
    if comments > 0 {
        set.notes.push(format!(
            "{comments} of {} rules name no address on one side and are written as comments only",
            set.rules.len()
        ));
    }
    set
}

/// A zone's network members plus, with an inventory, the host address of every device
/// address in the zone that those networks do not cover.
fn zone_addresses(model: &Model, resolution: Option<&Resolution>, zone: usize) -> Vec<IpNet> {
    let Some(z) = model.zone(zone) else {
        return Vec::new();
    };
    let mut nets: Vec<IpNet> = z
        .members
        .iter()
        .filter_map(|(s, _)| match s {
            Selector::Net(n) => Some(*n),
            _ => None,
        })
        .collect();
    if let Some(res) = resolution {
        let mut hosts = Vec::new();
        for asset in &res.assets {
            for ip in &asset.ips {
                if is_local_only(*ip) || nets.iter().any(|n| n.contains(ip)) {
                    continue;
                }
                if res.zone_of_ip(model, *ip) == Membership::Zone(zone) {
                    hosts.push(IpNet::from(*ip));
                }
            }
        }
        nets.extend(hosts);
    }
    aggregate(nets)
}

impl Builder<'_> {
    fn zone_nets(&self, zone: usize) -> &[IpNet] {
        self.zone_nets.get(zone).map_or(&[], Vec::as_slice)
    }

    /// Addresses an explicit address stands for on a side: itself narrowed to the zone (kept
    /// whole when the zone names no address to narrow it to).
    fn narrowed(&self, nets: Vec<IpNet>, zone: usize) -> Vec<IpNet> {
        let zone_nets = self.zone_nets(zone);
        if zone_nets.is_empty() {
            aggregate(nets)
        } else {
            intersect(&nets, zone_nets)
        }
    }

    /// Host addresses, in `zone`, of the inventory devices a selector matches.
    fn devices(&self, selector: &Selector, zone: usize) -> Vec<IpNet> {
        let Some(res) = self.resolution else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (asset, membership) in res.assets.iter().zip(&res.membership) {
            if !selector_matches(selector, asset, membership, self.model) {
                continue;
            }
            for ip in &asset.ips {
                if !is_local_only(*ip) && res.zone_of_ip(self.model, *ip) == Membership::Zone(zone)
                {
                    out.push(IpNet::from(*ip));
                }
            }
        }
        out
    }

    /// Addresses the model itself states for a selector: `[[asset]]` tables with an address
    /// (by name for `asset:`, by tag for `tag:`) and `asset:ip:…` inventory ids.
    fn stated_addresses(&self, selector: &Selector) -> Vec<IpNet> {
        let named = |a: &&crate::model::NamedAsset| match selector {
            Selector::Asset(name) => a.name == *name,
            Selector::Tag(tag) => a.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)),
            _ => false,
        };
        let mut out: Vec<IpNet> = self
            .model
            .assets
            .iter()
            .filter(named)
            .filter_map(|a| match a.matches {
                Selector::Net(n) => Some(n),
                Selector::Asset(ref id) => id
                    .strip_prefix("ip:")
                    .and_then(|t| t.parse::<IpAddr>().ok())
                    .map(IpNet::from),
                _ => None,
            })
            .collect();
        if let Selector::Asset(name) = selector {
            if let Some(ip) = name
                .strip_prefix("ip:")
                .and_then(|t| t.parse::<IpAddr>().ok())
            {
                out.push(IpNet::from(ip));
            }
        }
        out
    }

    /// What one selector stands for on the side whose zone is `zone`.
    fn selector(&self, selector: &Selector, zone: usize) -> Vec<IpNet> {
        match selector {
            Selector::Any => self.zone_nets(zone).to_vec(),
            Selector::Zone(id) => {
                if self.model.zone_index(id) == Some(zone) {
                    self.zone_nets(zone).to_vec()
                } else {
                    Vec::new()
                }
            }
            Selector::Net(net) => self.narrowed(vec![*net], zone),
            Selector::Asset(_) | Selector::Tag(_) => {
                let stated = self.stated_addresses(selector);
                let mut out = self.narrowed(stated, zone);
                out.extend(self.devices(selector, zone));
                aggregate(out)
            }
            Selector::Mac(_) | Selector::Hostname(_) | Selector::Role(_) => {
                aggregate(self.devices(selector, zone))
            }
        }
    }

    /// Why a selector named no address on the sides it was tried on.
    fn reason(&self, selector: &Selector, zones: &BTreeSet<usize>) -> String {
        let names = zones
            .iter()
            .map(|&z| self.model.zone_id(z))
            .collect::<Vec<_>>()
            .join(" or ");
        let needs_inventory = match selector {
            Selector::Any | Selector::Zone(_) | Selector::Net(_) => false,
            Selector::Asset(_) | Selector::Tag(_) => self.stated_addresses(selector).is_empty(),
            _ => true,
        };
        if needs_inventory && self.resolution.is_none() {
            format!("{selector} needs captures (their inventory) to name addresses")
        } else if matches!(selector, Selector::Any | Selector::Zone(_)) {
            format!("{selector}: zone {names} names no address")
        } else if needs_inventory {
            format!("{selector} matches no device address in zone {names}")
        } else {
            format!("{selector} is outside zone {names}")
        }
    }

    /// One side's addresses: its selectors, or its zone when it has none. `hits` records
    /// which selectors named an address.
    fn side(&self, selectors: &[Selector], zone: usize, hits: &mut [bool]) -> Vec<IpNet> {
        if selectors.is_empty() {
            return self.zone_nets(zone).to_vec();
        }
        let mut out = Vec::new();
        for (selector, hit) in selectors.iter().zip(hits.iter_mut()) {
            let nets = self.selector(selector, zone);
            if !nets.is_empty() {
                *hit = true;
            }
            out.extend(nets);
        }
        aggregate(out)
    }

    fn rule(&self, set: &mut RuleSet, owner: Owner<'_>, rule: &Rule, index: usize) {
        let model = self.model;
        let (id, directions, conduit) = match owner {
            Owner::Conduit(c) => {
                let [a, b] = c.zones;
                let directions = match c.direction {
                    ConduitDirection::OneWay => vec![(a, b)],
                    ConduitDirection::Bidirectional => vec![(a, b), (b, a)],
                };
                (c.id.clone(), directions, Some(c))
            }
            Owner::Zone(z) => (format!("zone:{}", model.zone_id(z)), vec![(z, z)], None),
        };
        let mut client_hits = vec![false; rule.clients.len()];
        let mut server_hits = vec![false; rule.servers.len()];
        let mut client_zones = BTreeSet::new();
        let mut server_zones = BTreeSet::new();
        let mut computed = Vec::new();
        for &(cz, sz) in &directions {
            let src = self.side(&rule.clients, cz, &mut client_hits);
            let dst = self.side(&rule.servers, sz, &mut server_hits);
            client_zones.insert(cz);
            server_zones.insert(sz);
            computed.push((cz, sz, src, dst));
        }
        // Which directions become rules: both when a bidirectional conduit's rule names
        // neither side, else those where both sides name addresses (or the first, as a
        // comment, when none does).
        let both_defaults = rule.clients.is_empty() && rule.servers.is_empty();
        let mut chosen: Vec<(usize, usize, Vec<IpNet>, Vec<IpNet>)> = if both_defaults {
            computed
        } else {
            let useful: Vec<_> = computed
                .iter()
                .filter(|(_, _, s, d)| !s.is_empty() && !d.is_empty())
                .cloned()
                .collect();
            if useful.is_empty() {
                computed.into_iter().take(1).collect()
            } else {
                useful
            }
        };

        let mut unresolved = Vec::new();
        let mut reasons = Vec::new();
        for (list, hits, zones) in [
            (&rule.clients, &client_hits, &client_zones),
            (&rule.servers, &server_hits, &server_zones),
        ] {
            for (selector, _) in list.iter().zip(hits.iter()).filter(|(_, hit)| !**hit) {
                unresolved.push(selector.to_string());
                reasons.push(self.reason(selector, zones));
            }
            if list.is_empty() {
                for &z in zones {
                    if self.zone_nets(z).is_empty() {
                        unresolved.push(format!("zone:{}", model.zone_id(z)));
                        reasons.push(self.reason(
                            &Selector::Zone(model.zone_id(z).to_string()),
                            &BTreeSet::from([z]),
                        ));
                    }
                }
            }
        }
        unresolved.dedup();
        reasons.dedup();

        let mut notes = Vec::new();
        let one_way_control = conduit.is_some_and(|c| c.controls.iter().any(|k| k.is_one_way()));
        let mut transports = self.transports(rule, &mut notes);
        if one_way_control {
            let before = transports.len();
            let had_any = transports.iter().any(|(t, _)| t.is_none());
            transports.retain(|(t, _)| *t == Some(UDP) || t.is_none());
            for t in &mut transports {
                t.0 = Some(UDP);
            }
            if had_any {
                notes.push("only UDP crosses a data diode, so protocol any allows UDP".to_string());
            }
            if transports.len() < before && !had_any {
                notes.push(
                    "TCP and ICMP need a return path a data diode does not have: not allowed"
                        .to_string(),
                );
            }
        }
        if transports.is_empty() {
            // Nothing the protocol can cross on: a comment only.
            for entry in &mut chosen {
                entry.2.clear();
                entry.3.clear();
            }
            transports.push((None, Vec::new()));
        }
        if !reasons.is_empty() {
            notes.push(format!("not included: {}", reasons.join("; ")));
        }
        let needs_dpi = dpi_sentence(rule, conduit);
        let several_transports = transports.len() > 1;
        for (cz, sz, src, dst) in chosen {
            for (transport, ports) in &transports {
                let mut what = rule.protocol.name().to_string();
                if several_transports {
                    if let Some(t) = transport {
                        what = format!("{what} over {}", transport_word(*t));
                    }
                }
                if !ports.is_empty() {
                    what = format!("{what} port {}", ports_text(ports));
                }
                let route = if cz == sz {
                    format!("inside zone {}", model.zone_id(cz))
                } else {
                    format!(
                        "from zone {} to zone {}",
                        model.zone_id(cz),
                        model.zone_id(sz)
                    )
                };
                let mut comment = match &rule.description {
                    Some(d) => format!("{}; {what} {route}", one_line(d.trim())),
                    None => format!("{what} {route}"),
                };
                for n in &notes {
                    comment.push_str("; ");
                    comment.push_str(n);
                }
                set.rules.push(AclRule {
                    conduit: id.clone(),
                    model_line: rule.line,
                    rule_index: index,
                    sources: src.clone(),
                    destinations: dst.clone(),
                    transport: *transport,
                    ports: ports.clone(),
                    comment,
                    needs_dpi: needs_dpi.clone(),
                    unresolved: unresolved.clone(),
                });
            }
        }
    }

    /// (transport, ports) pairs for a rule's protocol.
    fn transports(&self, rule: &Rule, notes: &mut Vec<String>) -> Vec<Transport> {
        let ports = merge_ports(&rule.ports);
        match rule.protocol {
            RuleProtocol::Any => vec![(None, Vec::new())],
            RuleProtocol::Tcp => vec![(Some(TCP), ports)],
            RuleProtocol::Udp => vec![(Some(UDP), ports)],
            RuleProtocol::Icmp => vec![(Some(ICMP), Vec::new())],
            RuleProtocol::App(p) => {
                let transports = protocols::transports_of(p);
                if transports.is_empty() {
                    notes.push(format!(
                        "{} does not run over IP: nothing to allow",
                        p.as_str()
                    ));
                    return Vec::new();
                }
                let ports = if ports.is_empty() {
                    let own: Vec<(u16, u16)> =
                        protocols::ports_of(p).iter().map(|&n| (n, n)).collect();
                    merge_ports(&own)
                } else {
                    ports
                };
                if ports.is_empty() {
                    notes.push(format!(
                        "{} has no well-known port: every port of its transport is allowed (give ports in the model to narrow it)",
                        p.as_str()
                    ));
                }
                transports
                    .iter()
                    .map(|&t| (Some(t), ports.clone()))
                    .collect()
            }
        }
    }
}

/// The sentence for a rule that limits operations.
fn dpi_sentence(rule: &Rule, conduit: Option<&Conduit>) -> Option<String> {
    if !rule.limits_operations() {
        return None;
    }
    let mut what = Vec::new();
    if let Some(classes) = &rule.classes {
        let list: Vec<&str> = classes.iter().map(|c| c.as_str()).collect();
        what.push(format!("operation classes {}", list.join(", ")));
    }
    if !rule.codes.is_empty() {
        let list: Vec<String> = rule
            .codes
            .iter()
            .map(|c| match c {
                OpCode::Name(n) => n.clone(),
                OpCode::Number(n) => n.to_string(),
            })
            .collect();
        what.push(format!("operation codes {}", list.join(", ")));
    }
    let what = format!("{} of {}", what.join(" and "), rule.protocol.name());
    Some(match conduit {
        Some(c) if c.has_control(Control::DpiFirewall) => format!(
            "{what} are enforced by conduit {}'s dpi-firewall, not by this rule set (it allows every operation on the port)",
            c.id
        ),
        Some(_) => format!(
            "{what} cannot be enforced by port filtering (nftables, iptables, IOS ACLs): needs an industrial DPI firewall (a conduit control dpi-firewall)"
        ),
        None => format!(
            "{what} cannot be enforced by port filtering (nftables, iptables, IOS ACLs): needs an industrial DPI firewall inside the zone"
        ),
    })
}

#[cfg(test)]
pub(crate) mod tests;
