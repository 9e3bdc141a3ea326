//! Observed traffic against the model: unassigned devices, flows between zones with no
//! conduit, flows no rule allows (down to the operation), cleartext where the conduit's
//! SL-T asks for integrity or confidentiality.

use crate::model::{Conduit, ConduitDirection, Model, Rule, RuleProtocol};
use crate::observe::{is_local_only, transport_name, Conversation};
use crate::protocols::{self, Protection};
use crate::resolve::{selector_matches, AssetView, Membership, Resolution};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use zonewarden_model::Timestamp;

/// Hash maps on the per-conversation path: foldhash (randomly seeded per process) instead
/// of SipHash. Nothing iterates them into the output, which is sorted.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

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

/// Violations in the order first found, and where each key's is. The map holds indexes, so
/// that growing it never moves the violations themselves.
struct Collector {
    index: FastMap<Key, usize>,
    found: Vec<Violation>,
    /// Per violation, its sort prefix (taken while the violation is fresh in the cache) and
    /// its key's transport number, the last tie-breaker of the sort (several IP protocols
    /// share the transport name `ip`).
    order: Vec<(SortPrefix, u8)>,
}

impl Collector {
    fn new() -> Collector {
        Collector {
            index: FastMap::default(),
            found: Vec::new(),
            order: Vec::new(),
        }
    }

    fn add(&mut self, key: Key, make: impl FnOnce() -> Violation, seen: Seen) {
        let Collector {
            index,
            found,
            order,
        } = self;
        let transport = key.5;
        let at = *index.entry(key).or_insert_with(|| {
            let mut v = make();
            v.flows = 0;
            v.packets = 0;
            v.count = 0;
            v.first_ts = None;
            v.last_ts = None;
            order.push((SortPrefix::of(&v), transport));
            found.push(v);
            found.len() - 1
        });
        let Some(v) = found.get_mut(at) else {
            return;
        };
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

/// A conversation for messages, `tcp 10.0.0.1 -> 10.0.0.2:502 (modbus)`: the text of
/// [`Conversation::describe`] and the protocol, with the addresses formatted once for the
/// violation's `client` and `server` fields and the message.
#[derive(Clone, Copy)]
struct What<'a> {
    c: &'a Conversation,
    client: &'a str,
    server: &'a str,
}

impl What<'_> {
    /// `10.0.0.2:502`, `[fd00::2]:502`: the text of [`crate::observe::socket`].
    fn socket(&self) -> Socket<'_> {
        Socket(self.server, self.c.server.is_ipv6(), self.c.port)
    }
}

impl std::fmt::Display for What<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} -> {}",
            transport_name(self.c.transport),
            self.client,
            self.socket()
        )?;
        match self.c.protocol {
            Some(p) => write!(f, " ({})", p.as_str()),
            None => Ok(()),
        }
    }
}

struct Socket<'a>(&'a str, bool, u16);

impl std::fmt::Display for Socket<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Socket(ip, false, port) => write!(f, "{ip}:{port}"),
            Socket(ip, true, port) => write!(f, "[{ip}]:{port}"),
        }
    }
}

/// Builds a conversation's violation: kind, line, conduit, and its message from the
/// conversation.
type Base<'a> = dyn Fn(Kind, usize, Option<&str>, &dyn Fn(What<'_>) -> String) -> Violation + 'a;

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

/// Rules whose traffic and endpoints cover the conversation, into `found` (emptied first:
/// one buffer serves every conversation). False when there are none.
fn matching_rules<'m>(
    rules: &'m [Rule],
    c: &Conversation,
    client: &Side<'_>,
    server: &Side<'_>,
    model: &Model,
    found: &mut Vec<&'m Rule>,
) -> bool {
    found.clear();
    found.extend(rules.iter().filter(|r| {
        rule_covers_traffic(r, c)
            && selectors_match(&r.clients, client, model)
            && selectors_match(&r.servers, server, model)
    }));
    !found.is_empty()
}

/// Checks every conversation; `resolution` holds the scan's devices and their zones.
pub fn check(
    model: &Model,
    resolution: &Resolution,
    conversations: &[Conversation],
) -> CheckReport {
    let mut out = Collector::new();
    // Conduits by the pair of zones they join (lower index first).
    let mut conduits: FastMap<(usize, usize), Vec<&Conduit>> = FastMap::default();
    for c in &model.conduits {
        let [a, b] = c.zones;
        conduits.entry((a.min(b), a.max(b))).or_default().push(c);
    }
    let zone_id = |i: usize| model.zone_id(i).to_string();
    let mut local_only = 0usize;
    let mut rules: Vec<&Rule> = Vec::new();
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
        let base = |kind: Kind,
                    line: usize,
                    conduit: Option<&str>,
                    message: &dyn Fn(What<'_>) -> String| {
            let client = c.client.to_string();
            let server = c.server.to_string();
            let message = message(What {
                c,
                client: &client,
                server: &server,
            });
            Violation {
                kind,
                rule_id: kind.id(),
                severity: Severity::Error,
                message,
                line,
                conduit: conduit.map(str::to_string),
                client_zone: Some(zone_id(zc)),
                server_zone: Some(zone_id(zs)),
                asset: None,
                client: Some(client),
                server: Some(server),
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
            }
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
        if zc == zs {
            let Some(zone) = model.zone(zc) else { continue };
            if zone.rules.is_empty() {
                continue;
            }
            if !matching_rules(&zone.rules, c, &client, &server, model, &mut rules) {
                out.add(
                    key(Kind::IntraZoneNotAllowed, zone.line, None),
                    || {
                        base(Kind::IntraZoneNotAllowed, zone.line, None, &|what| {
                            format!(
                                "{what} inside zone {} is allowed by none of the zone's rules",
                                zone.id
                            )
                        })
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
                || {
                    base(Kind::NoConduit, line, None, &|what| {
                        format!(
                            "{what}: no conduit joins zone {} and zone {}",
                            model.zone_id(zc),
                            model.zone_id(zs)
                        )
                    })
                },
                Seen::conversation(c),
            );
            continue;
        };
        let mut directed = candidates
            .iter()
            .copied()
            .filter(|k| k.direction == ConduitDirection::Bidirectional || k.zones[0] == zc);
        let Some(first) = directed.next() else {
            let Some(conduit) = candidates.first() else {
                continue;
            };
            out.add(
                key(Kind::WrongDirection, conduit.line, None),
                || {
                    base(Kind::WrongDirection, conduit.line, Some(&conduit.id), &|what| {
                        format!(
                            "{what}: conduit {} is one-way from zone {} to zone {}, but this connection was opened from zone {}",
                            conduit.id,
                            model.zone_id(conduit.zones[0]),
                            model.zone_id(conduit.zones[1]),
                            model.zone_id(zc)
                        )
                    })
                },
                Seen::conversation(c),
            );
            continue;
        };
        // The first conduit whose rules cover the conversation decides; if none does, the
        // violation is reported against the first conduit in the file.
        let chosen = std::iter::once(first)
            .chain(directed)
            .find(|k| matching_rules(&k.rules, c, &client, &server, model, &mut rules));
        let Some(conduit) = chosen else {
            let conduit: &Conduit = first;
            out.add(
                key(Kind::NotAllowed, conduit.line, None),
                || {
                    base(Kind::NotAllowed, conduit.line, Some(&conduit.id), &|what| {
                        format!(
                            "{what} on conduit {} ({} → {}) is allowed by none of its rules",
                            conduit.id,
                            model.zone_id(zc),
                            model.zone_id(zs)
                        )
                    })
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
        protection(&mut out, c, conduit, &base, &key);
    }
    unassigned(model, resolution, conversations, &mut out);
    let violations = sorted(out);
    let mut by_kind = BTreeMap::new();
    for v in &violations {
        *by_kind.entry(v.kind.name()).or_insert(0) += 1;
    }
    // Devices per zone, in one pass (a multi-homed device counts in each of its zones).
    let mut per_zone = vec![0usize; model.zones.len()];
    for m in &resolution.membership {
        for z in m.zones() {
            if let Some(n) = per_zone.get_mut(*z) {
                *n += 1;
            }
        }
    }
    let zones = model
        .zones
        .iter()
        .zip(per_zone)
        .map(|(z, assets)| ZoneSummary {
            id: z.id.clone(),
            assets,
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

/// The violations by their line in the model, then kind, device or client, server, port,
/// operation, and the transport: a total order, so the report does not depend on the order
/// of the input or of a hash map.
fn sorted(out: Collector) -> Vec<Violation> {
    let Collector { found, order, .. } = out;
    let full = |a: usize, b: usize| match (found.get(a), found.get(b)) {
        (Some(x), Some(y)) => order_of(x).cmp(&order_of(y)).then_with(|| {
            let transport = |i: usize| order.get(i).map(|(_, t)| *t);
            transport(a).cmp(&transport(b))
        }),
        _ => Ordering::Equal,
    };
    // Sorting short keys side by side instead of whole violations scattered in memory;
    // the full comparison only breaks their ties.
    let mut sorting: Vec<(&SortPrefix, usize)> =
        order.iter().enumerate().map(|(i, (p, _))| (p, i)).collect();
    sorting.sort_unstable_by(|(pa, a), (pb, b)| pa.cmp(pb).then_with(|| full(*a, *b)));
    // Put the violations in that order in place, one swap per position: the violation for
    // position `p` is at `source[p]`, unless an earlier swap moved it away from there, to
    // the position the displaced one came from (followed until it is at or after `p`).
    let mut found = found;
    let mut source: Vec<usize> = sorting.into_iter().map(|(_, i)| i).collect();
    for p in 0..source.len() {
        let mut i = source.get(p).copied().unwrap_or(p);
        while i < p {
            i = source.get(i).copied().unwrap_or(p);
        }
        if let Some(slot) = source.get_mut(p) {
            *slot = i;
        }
        found.swap(p, i);
    }
    found
}

type Order<'a> = (
    usize,
    Kind,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<u16>,
    Option<&'static str>,
);

/// The sort order of violations (before the transport).
fn order_of(v: &Violation) -> Order<'_> {
    (
        v.line,
        v.kind,
        v.asset.as_deref(),
        v.client.as_deref(),
        v.server.as_deref(),
        v.port,
        v.operation,
    )
}

/// The start of [`order_of`] as bytes that compare the same way: line, kind, whether there
/// is a device, then client and server (whether there is one, then its first 16 bytes,
/// zero-padded: every IPv4 address fits), port. It stops, leaving zeros, at the first
/// field it cannot hold whole (a device id, a longer address), so that two prefixes that
/// differ are ordered as their violations are, and equal prefixes leave the decision to
/// the full comparison.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct SortPrefix([u8; SortPrefix::LEN]);

impl SortPrefix {
    const TEXT: usize = 16;
    const LEN: usize = 8 + 1 + 1 + 2 * (1 + Self::TEXT + 1) + 3;

    fn of(v: &Violation) -> SortPrefix {
        let mut out = [0u8; Self::LEN];
        let mut w = Writer {
            out: &mut out,
            at: 0,
        };
        w.put(&(v.line as u64).to_be_bytes());
        w.put(&[v.kind as u8]);
        if v.asset.is_some() {
            w.put(&[1]);
            return SortPrefix(out);
        }
        w.put(&[0]);
        for text in [&v.client, &v.server] {
            w.put(&[u8::from(text.is_some())]);
            let bytes = text.as_deref().unwrap_or("").as_bytes();
            let head = bytes.get(..Self::TEXT).unwrap_or(bytes);
            let mut field = [0u8; Self::TEXT];
            if let Some(slot) = field.get_mut(..head.len()) {
                slot.copy_from_slice(head);
            }
            w.put(&field);
            // A text cut short sorts after one of exactly 16 bytes that it starts with.
            if bytes.len() > Self::TEXT {
                w.put(&[1]);
                return SortPrefix(out);
            }
            w.put(&[0]);
        }
        match v.port {
            Some(p) => {
                w.put(&[1]);
                w.put(&p.to_be_bytes());
            }
            None => w.put(&[0, 0, 0]),
        }
        SortPrefix(out)
    }
}

struct Writer<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        if let Some(slot) = self.out.get_mut(self.at..self.at + bytes.len()) {
            slot.copy_from_slice(bytes);
        }
        self.at += bytes.len();
    }
}

/// Operations the matching rules do not allow.
fn operations(
    out: &mut Collector,
    c: &Conversation,
    rules: &[&Rule],
    line: usize,
    conduit: Option<&str>,
    base: &Base<'_>,
    key: &dyn Fn(Kind, usize, Option<&'static str>) -> Key,
) {
    for op in &c.operations {
        if rules
            .iter()
            .any(|r| r.allows_operation(op.class, op.name, op.code))
        {
            continue;
        }
        out.add(
            key(Kind::OperationNotAllowed, line, Some(op.name)),
            || Violation {
                operation: Some(op.name),
                operation_class: Some(op.class.as_str()),
                ..base(Kind::OperationNotAllowed, line, conduit, &|what| {
                    format!(
                        "{} {} ({}) from {} to {}: {} allows only {}",
                        c.protocol.map_or("?", |p| p.as_str()),
                        op.name,
                        op.class.as_str(),
                        what.client,
                        what.socket(),
                        Where(conduit),
                        Allowed(rules)
                    )
                })
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

/// Whose rules: `conduit supervisory-control`, or `the zone`.
struct Where<'a>(Option<&'a str>);

impl std::fmt::Display for Where<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(conduit) => write!(f, "conduit {conduit}"),
            None => f.write_str("the zone"),
        }
    }
}

/// What the rules allow, for a message: `line 12: read, diagnostic; line 20: 3`.
struct Allowed<'a>(&'a [&'a Rule]);

impl std::fmt::Display for Allowed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "line {}: ", r.line)?;
            let mut first = true;
            let mut part = |f: &mut std::fmt::Formatter<'_>, text: &dyn std::fmt::Display| {
                if !std::mem::take(&mut first) {
                    f.write_str(", ")?;
                }
                write!(f, "{text}")
            };
            for class in r.classes.iter().flatten() {
                part(f, &class.as_str())?;
            }
            for code in &r.codes {
                match code {
                    crate::model::OpCode::Name(n) => part(f, n)?,
                    crate::model::OpCode::Number(n) => part(f, n)?,
                }
            }
        }
        Ok(())
    }
}

/// SR 3.1 RE 1 and SR 4.1 RE 1/RE 2: what the conduit's SL-T asks of the traffic.
fn protection(
    out: &mut Collector,
    c: &Conversation,
    conduit: &Conduit,
    base: &Base<'_>,
    key: &dyn Fn(Kind, usize, Option<&'static str>) -> Key,
) {
    let Some(p) = c.protocol else { return };
    if conduit.protected_in_transit() || protocols::protection(p) != Protection::Cleartext {
        return;
    }
    let integrity = conduit.sl_t.fr(3) >= 3;
    let confidentiality =
        conduit.sl_t.fr(4) >= 4 || (conduit.sl_t.fr(4) >= 2 && conduit.untrusted_network);
    // The reasons are written only for a violation seen for the first time.
    let why = |kind: Kind| match kind {
        Kind::CleartextIntegrity => format!(
            "SL-T FR3 {} asks for cryptographic integrity (SR 3.1 RE 1)",
            conduit.sl_t.fr(3)
        ),
        _ => format!(
            "SL-T FR4 {}{} asks for confidentiality in transit (SR 4.1 RE {})",
            conduit.sl_t.fr(4),
            if conduit.untrusted_network {
                " over an untrusted network"
            } else {
                ""
            },
            if conduit.sl_t.fr(4) >= 4 { 2 } else { 1 }
        ),
    };
    for (asked, kind) in [
        (integrity, Kind::CleartextIntegrity),
        (confidentiality, Kind::CleartextConfidentiality),
    ] {
        if !asked {
            continue;
        }
        out.add(
            key(kind, conduit.line, None),
            || Violation {
                severity: Severity::Warning,
                ..base(kind, conduit.line, Some(&conduit.id), &|what| {
                    format!(
                        "{what} is cleartext on conduit {}: its {}; protect it (VPN/IPsec, or the protocol's secure variant) or declare the control",
                        conduit.id,
                        why(kind)
                    )
                })
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
    // The addresses of the devices that may be reported below (most plants: none).
    let wanted: std::collections::HashSet<std::net::IpAddr, foldhash::fast::RandomState> =
        resolution
            .assets
            .iter()
            .zip(&resolution.membership)
            .filter(|(_, m)| !matches!(m, Membership::Zone(_) | Membership::MultiHomed(_)))
            .flat_map(|(asset, _)| asset.ips.iter().copied())
            .collect();
    // Peers and flows per address, to say why an unassigned device matters.
    let mut seen: FastMap<std::net::IpAddr, (u64, u64, Timestamp, Timestamp)> = FastMap::default();
    let scan: &[Conversation] = if wanted.is_empty() {
        &[]
    } else {
        conversations
    };
    for c in scan {
        for ip in [c.client, c.server] {
            if !wanted.contains(&ip) {
                continue;
            }
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
#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
