//! Observation rules: what the inventory, the conversations and the zones check show about
//! IEC 62443-3-3 requirements, per zone and per conduit.
//!
//! Each rule has a stable id (the `rule` of a [`Finding`]) and says `fail` when traffic shows
//! a gap, `partial` when it shows part of a control, and `pass` only where the wire can
//! prove it. The rules and what they cannot see are in docs/assessment.md.

use crate::attest::Scope;
use crate::{Finding, Status};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use zonewarden_catalog::ReqId;
use zonewarden_dissect::Protocol;
use zonewarden_inventory::{Inventory, Role};
use zonewarden_model::Timestamp;
use zonewarden_policy::check::{CheckReport, Kind};
use zonewarden_policy::observe::is_local_only;
use zonewarden_policy::protocols::{protection, Protection};
use zonewarden_policy::{Conversation, Model, Resolution};

/// What the observation rules read.
#[derive(Debug)]
pub struct Inputs<'a> {
    pub model: &'a Model,
    pub inventory: &'a Inventory,
    pub resolution: &'a Resolution,
    pub conversations: &'a [Conversation],
    pub check: &'a CheckReport,
    /// sha256 of the captures read. Conversations are summed across files, so a finding
    /// cites every capture of the run.
    pub capture_hashes: Vec<String>,
    /// Time of the newest packet: certificates are judged valid or expired at that time.
    pub as_of: Option<Timestamp>,
    /// The 4-2 capabilities of the plant's products, for SL-C per zone.
    pub components: Option<&'a crate::components::Components>,
}

/// Observed findings per scope and requirement.
pub type Observed = BTreeMap<(Scope, ReqId), Vec<Finding>>;

fn req(text: &str) -> Option<ReqId> {
    text.parse().ok()
}

struct Out<'a> {
    found: Observed,
    captures: &'a [String],
}

impl Out<'_> {
    fn add(
        &mut self,
        scope: &Scope,
        requirement: &str,
        rule: &str,
        status: Status,
        summary: String,
        (assets, flows): (Vec<String>, Vec<String>),
    ) {
        let Some(id) = req(requirement) else { return };
        self.found
            .entry((scope.clone(), id))
            .or_default()
            .push(Finding {
                rule: rule.to_string(),
                status,
                summary,
                assets,
                flows,
                captures: self.captures.to_vec(),
            });
    }
}

fn flow_text(c: &Conversation) -> String {
    match c.protocol {
        Some(p) => format!("{} ({})", c.describe(), p.as_str()),
        None => c.describe(),
    }
}

/// At most this many flows and assets are listed per finding (the summary gives the count).
const LIST_CAP: usize = 20;

/// The first [`LIST_CAP`] distinct flows by address order, formatted: only those are
/// formatted, since a zone may receive hundreds of thousands of conversations.
fn capped_flows<'c>(flows: impl IntoIterator<Item = &'c Conversation>) -> Vec<String> {
    let key = |c: &Conversation| (c.client, c.server, c.transport, c.port, c.protocol);
    let mut list: Vec<&Conversation> = flows.into_iter().collect();
    // Several conversations may share a key (they differ in operations only), so keep a
    // margin before the exact sort and dedup of the few left.
    let keep = LIST_CAP * 8;
    if list.len() > keep {
        list.select_nth_unstable_by_key(keep, |c| key(c));
        list.truncate(keep);
    }
    list.sort_unstable_by_key(|c| key(c));
    list.dedup_by_key(|c| key(c));
    list.truncate(LIST_CAP);
    capped(list.into_iter().map(flow_text).collect())
}

fn capped(mut list: Vec<String>) -> Vec<String> {
    list.sort();
    list.dedup();
    list.truncate(LIST_CAP);
    list
}

/// Zone of an address (its per-address membership).
fn zone_of(inputs: &Inputs<'_>, ip: IpAddr) -> Option<usize> {
    inputs.resolution.zone_of_ip(inputs.model, ip).zone()
}

fn asset_id(inputs: &Inputs<'_>, ip: IpAddr) -> String {
    inputs
        .resolution
        .lookup(ip)
        .map_or_else(|| format!("ip:{ip}"), |(a, _)| a.id.clone())
}

const MAIL_PORTS: [u16; 7] = [25, 465, 587, 110, 995, 143, 993];
const CHAT_PORTS: [u16; 4] = [5222, 5223, 6667, 6697];

/// Runs every rule.
pub fn observe(inputs: &Inputs<'_>) -> Observed {
    let mut out = Out {
        found: BTreeMap::new(),
        captures: &inputs.capture_hashes,
    };
    let model = inputs.model;
    // Per conversation: zones of both ends (once).
    let zoned: Vec<(&Conversation, Option<usize>, Option<usize>)> = inputs
        .conversations
        .iter()
        .filter(|c| !is_local_only(c.server))
        .map(|c| (c, zone_of(inputs, c.client), zone_of(inputs, c.server)))
        .collect();
    let flagged = flagged_conversations(inputs.check);
    let crossings = crossings_by_zone(inputs.check);
    // Grouped once: a plant has hundreds of zones and hundreds of thousands of conversations.
    let zone_count = model.zones.len();
    let mut inbound_of: Vec<Vec<&Conversation>> = vec![Vec::new(); zone_count];
    let mut outbound_of: Vec<Vec<(&Conversation, Option<usize>)>> = vec![Vec::new(); zone_count];
    for &(c, cz, sz) in &zoned {
        if let Some(list) = sz.and_then(|z| inbound_of.get_mut(z)) {
            list.push(c);
        }
        if let Some(list) = cz.and_then(|z| outbound_of.get_mut(z)) {
            list.push((c, sz));
        }
    }
    let index_of: HashMap<&str, usize> = inputs
        .inventory
        .assets
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), i))
        .collect();
    for (zi, zone) in model.zones.iter().enumerate() {
        let scope = Scope::Zone(zone.id.clone());
        let inbound = inbound_of.get(zi).map_or(&[][..], Vec::as_slice);
        let outbound = outbound_of.get(zi).map_or(&[][..], Vec::as_slice);
        let members: Vec<&zonewarden_policy::AssetView> =
            inputs.resolution.members_of(zi).collect();
        // The members' inventory records, in inventory order.
        let mut indices: Vec<usize> = members
            .iter()
            .filter_map(|m| index_of.get(m.id.as_str()).copied())
            .collect();
        indices.sort_unstable();
        indices.dedup();
        let assets: Vec<&zonewarden_inventory::Asset> = indices
            .iter()
            .filter_map(|&i| inputs.inventory.assets.get(i))
            .collect();

        unauthenticated_industrial(&mut out, inputs, &scope, inbound);
        cleartext_credentials(&mut out, &scope, &assets);
        certificates(&mut out, inputs, &scope, &assets);
        weak_tls(&mut out, &scope, &assets);
        weak_opcua(&mut out, &scope, &assets);
        untrusted_access(&mut out, inputs, &scope, inbound);
        segmentation(
            &mut out,
            &scope,
            crossings
                .get(zone.id.as_str())
                .map_or(&[][..], Vec::as_slice),
            !inbound.is_empty() || !outbound.is_empty(),
        );
        person_to_person(
            &mut out,
            inputs,
            &scope,
            zone.purdue_level,
            &members,
            outbound,
        );
        least_functionality(&mut out, &flagged, &scope, inbound);
        inventory_completeness(&mut out, inputs, &scope, &assets);
        monitoring(&mut out, &scope, &assets);
        log_forwarding(&mut out, &scope, &assets, outbound);
    }
    let by_id: ById<'_> = inputs
        .inventory
        .assets
        .iter()
        .map(|a| (a.id.as_str(), a))
        .collect();
    let broken = broken_by_conduit(inputs.check);
    // Conversations between two different zones, by the (unordered) pair.
    let mut between: HashMap<(usize, usize), Vec<&Conversation>> = HashMap::new();
    for &(c, cz, sz) in &zoned {
        if let (Some(x), Some(y)) = (cz, sz) {
            if x != y {
                between.entry((x.min(y), x.max(y))).or_default().push(c);
            }
        }
    }
    for conduit in &model.conduits {
        let scope = Scope::Conduit(conduit.id.clone());
        let [a, b] = conduit.zones;
        let traffic = between
            .get(&(a.min(b), a.max(b)))
            .map_or(&[][..], Vec::as_slice);
        in_transit(&mut out, inputs, &by_id, &scope, conduit, traffic);
        boundary(
            &mut out,
            &scope,
            broken
                .get(conduit.id.as_str())
                .map_or(&[][..], Vec::as_slice),
            !traffic.is_empty(),
        );
    }
    out.found
}

/// SR 1.2: devices that accept industrial requests from anyone who can reach them.
fn unauthenticated_industrial(
    out: &mut Out<'_>,
    inputs: &Inputs<'_>,
    scope: &Scope,
    inbound: &[&Conversation],
) {
    type PerProtocol<'c> = (BTreeSet<IpAddr>, Vec<&'c Conversation>, u64);
    let mut by_protocol: BTreeMap<&str, PerProtocol<'_>> = BTreeMap::new();
    for c in inbound {
        let Some(p) = c.protocol else { continue };
        if !p.is_industrial() || protection(p) != Protection::Cleartext {
            continue;
        }
        let e = by_protocol.entry(p.as_str()).or_default();
        e.0.insert(c.server);
        e.1.push(c);
        e.2 += c.flows;
    }
    for (protocol, (server_ips, conversations, count)) in by_protocol {
        let servers: Vec<String> = server_ips.iter().map(|ip| asset_id(inputs, *ip)).collect();
        let flows = capped_flows(conversations);
        let devices = servers.iter().collect::<BTreeSet<_>>().len();
        out.add(
scope,
"SR 1.2",
"unauthenticated-industrial",
Status::Fail,
format!(
                "{devices} device(s) answer {protocol} requests without authenticating the requester ({count} flow(s))"
            ),
(capped(servers), capped(flows)),
);
    }
}

/// SR 1.1 and SR 1.5: people log in, or credentials travel, in cleartext.
fn cleartext_credentials(
    out: &mut Out<'_>,
    scope: &Scope,
    assets: &[&zonewarden_inventory::Asset],
) {
    let mut logins: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut secrets: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in assets {
        for value in a.facts.get("cleartext_login").into_iter().flatten() {
            logins.entry(value.clone()).or_default().push(a.id.clone());
            secrets
                .entry(format!("{value} password"))
                .or_default()
                .push(a.id.clone());
        }
        if a.facts.contains_key("http_basic_auth") {
            logins
                .entry("http basic".into())
                .or_default()
                .push(a.id.clone());
            secrets
                .entry("http basic credentials".into())
                .or_default()
                .push(a.id.clone());
        }
        if a.facts.contains_key("snmp_community_in_clear") {
            secrets
                .entry("snmp community".into())
                .or_default()
                .push(a.id.clone());
        }
    }
    for (how, ids) in logins {
        out.add(
            scope,
            "SR 1.1",
            "cleartext-login",
            Status::Fail,
            format!(
                "people log in over {how} in cleartext on {} device(s)",
                ids.len()
            ),
            (capped(ids), Vec::new()),
        );
    }
    for (what, ids) in secrets {
        out.add(
            scope,
            "SR 1.5",
            "credentials-in-clear",
            Status::Fail,
            format!(
                "{what} sent in cleartext to or from {} device(s)",
                ids.len()
            ),
            (capped(ids), Vec::new()),
        );
    }
}

/// `RSA 2048`, `EC 256`… → (algorithm, bits).
fn key_strength(value: &str) -> Option<(String, u32)> {
    let mut words = value.split_whitespace();
    let algorithm = words.next()?.to_ascii_uppercase();
    let bits = words
        .filter_map(|w| {
            w.trim_end_matches("bits")
                .trim_end_matches("-bit")
                .parse::<u32>()
                .ok()
        })
        .next()?;
    Some((algorithm, bits))
}

/// SR 1.8 and SR 1.9: certificates the zone's servers present.
fn certificates(
    out: &mut Out<'_>,
    inputs: &Inputs<'_>,
    scope: &Scope,
    assets: &[&zonewarden_inventory::Asset],
) {
    let mut weak = Vec::new();
    let mut strong = Vec::new();
    let mut expired = Vec::new();
    let mut self_signed = Vec::new();
    let mut seen = Vec::new();
    for a in assets {
        let keys = a.facts.get("tls_cert_key");
        if keys.is_none() {
            continue;
        }
        seen.push(a.id.clone());
        for k in keys.into_iter().flatten() {
            match key_strength(k) {
                Some((alg, bits))
                    if (alg.starts_with("RSA") || alg.starts_with("DSA")) && bits < 2048 =>
                {
                    weak.push(format!("{} ({k})", a.id));
                }
                Some((alg, bits)) if alg.starts_with("EC") && bits < 224 => {
                    weak.push(format!("{} ({k})", a.id));
                }
                Some(_) => strong.push(a.id.clone()),
                None => {}
            }
        }
        if let (Some(now), Some(ends)) = (inputs.as_of, a.facts.get("tls_cert_not_after")) {
            if ends
                .iter()
                .filter_map(|e| zonewarden_model::parse_rfc3339_secs(e))
                .any(|end| end < now.secs())
            {
                expired.push(a.id.clone());
            }
        }
        if a.facts
            .get("tls_cert_self_signed")
            .is_some_and(|v| v.iter().any(|s| s == "true"))
        {
            self_signed.push(a.id.clone());
        }
    }
    if seen.is_empty() {
        return;
    }
    if !weak.is_empty() {
        out.add(
            scope,
            "SR 1.9",
            "weak-certificate-key",
            Status::Fail,
            format!(
                "{} certificate key(s) below 2048-bit RSA / 224-bit EC",
                weak.len()
            ),
            (capped(weak), Vec::new()),
        );
    } else if !strong.is_empty() {
        out.add(
            scope,
            "SR 1.9",
            "certificate-keys",
            Status::Pass,
            format!(
                "every certificate key seen is strong ({} device(s))",
                strong.len()
            ),
            (capped(strong), Vec::new()),
        );
    }
    if !expired.is_empty() || !self_signed.is_empty() {
        let mut problems = Vec::new();
        if !expired.is_empty() {
            problems.push(format!("{} expired", expired.len()));
        }
        if !self_signed.is_empty() {
            problems.push(format!("{} self-signed", self_signed.len()));
        }
        let mut ids = expired;
        ids.extend(self_signed);
        out.add(
            scope,
            "SR 1.8",
            "certificate-validity",
            Status::Fail,
            format!(
                "certificates {}: no working PKI behind them",
                problems.join(", ")
            ),
            (capped(ids), Vec::new()),
        );
    } else {
        out.add(
            scope,
            "SR 1.8",
            "certificate-validity",
            Status::Partial,
            "certificates seen are valid and CA-signed; how the PKI is run needs an attestation"
                .to_string(),
            (capped(seen), Vec::new()),
        );
    }
}

/// SR 4.3: TLS versions and cipher suites in use.
fn weak_tls(out: &mut Out<'_>, scope: &Scope, assets: &[&zonewarden_inventory::Asset]) {
    let mut weak = Vec::new();
    let mut ok = Vec::new();
    for a in assets {
        let versions = a.facts.get("tls_version").into_iter().flatten();
        let ciphers = a.facts.get("tls_cipher").into_iter().flatten();
        let mut any = false;
        let mut bad = Vec::new();
        for v in versions {
            any = true;
            let lower = v.to_ascii_lowercase();
            if lower.contains("ssl") || lower.ends_with("1.0") || lower.ends_with("1.1") {
                bad.push(v.clone());
            }
        }
        for c in ciphers {
            any = true;
            let upper = c.to_ascii_uppercase();
            if ["RC4", "3DES", "DES_", "NULL", "EXPORT", "MD5", "ANON"]
                .iter()
                .any(|w| upper.contains(w))
            {
                bad.push(c.clone());
            }
        }
        if !bad.is_empty() {
            weak.push(format!("{} ({})", a.id, bad.join(", ")));
        } else if any {
            ok.push(a.id.clone());
        }
    }
    let summary = if weak.is_empty() {
        format!(
            "TLS 1.2 or later with current cipher suites on {} device(s)",
            ok.len()
        )
    } else {
        format!(
            "{} device(s) negotiate obsolete TLS versions or cipher suites",
            weak.len()
        )
    };
    crypto_strength(out, scope, ("weak-tls", "tls-strength"), weak, ok, summary);
}

/// The SR 4.3 finding of one kind of cryptography: a failure naming the devices whose
/// choices are weak, else a pass naming those seen using strong ones, else nothing.
fn crypto_strength(
    out: &mut Out<'_>,
    scope: &Scope,
    (fail_rule, pass_rule): (&str, &str),
    weak: Vec<String>,
    ok: Vec<String>,
    summary: String,
) {
    if !weak.is_empty() {
        out.add(
            scope,
            "SR 4.3",
            fail_rule,
            Status::Fail,
            summary,
            (capped(weak), Vec::new()),
        );
    } else if !ok.is_empty() {
        out.add(
            scope,
            "SR 4.3",
            pass_rule,
            Status::Pass,
            summary,
            (capped(ok), Vec::new()),
        );
    }
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified())
        }
        IpAddr::V6(v6) => {
            let first = v6.segments().first().copied().unwrap_or(0);
            !(v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// SR 1.13: connections into the zone from addresses outside every zone and outside
/// private address space.
fn untrusted_access(
    out: &mut Out<'_>,
    inputs: &Inputs<'_>,
    scope: &Scope,
    inbound: &[&Conversation],
) {
    let from_outside: Vec<&&Conversation> = inbound
        .iter()
        .filter(|c| zone_of(inputs, c.client).is_none() && is_public(c.client))
        .collect();
    if from_outside.is_empty() {
        return;
    }
    out.add(
        scope,
        "SR 1.13",
        "untrusted-access",
        Status::Fail,
        format!(
            "{} connection(s) into the zone from public addresses outside every zone",
            from_outside.len()
        ),
        (
            capped(
                from_outside
                    .iter()
                    .map(|c| asset_id(inputs, c.server))
                    .collect(),
            ),
            capped_flows(from_outside.iter().map(|c| **c)),
        ),
    );
}

/// The first [`LIST_CAP`] distinct violated flows, formatted (see [`capped_flows`]).
fn capped_violation_flows(violations: &[&zonewarden_policy::Violation]) -> Vec<String> {
    let key = |v: &zonewarden_policy::Violation| {
        (
            v.client.clone(),
            v.server.clone(),
            v.port,
            v.protocol,
            v.operation,
        )
    };
    let mut list: Vec<&zonewarden_policy::Violation> = violations.to_vec();
    list.sort_unstable_by(|a, b| {
        (&a.client, &a.server, a.port, a.protocol, a.operation).cmp(&(
            &b.client,
            &b.server,
            b.port,
            b.protocol,
            b.operation,
        ))
    });
    list.dedup_by(|a, b| key(a) == key(b));
    list.truncate(LIST_CAP);
    capped(list.into_iter().filter_map(violation_flow).collect())
}

fn violation_flow(v: &zonewarden_policy::Violation) -> Option<String> {
    Some(format!(
        "{} {} -> {}:{}{}{}",
        v.transport?,
        v.client.as_deref()?,
        v.server.as_deref()?,
        v.port?,
        v.protocol.map(|p| format!(" ({p})")).unwrap_or_default(),
        v.operation.map(|o| format!(" {o}")).unwrap_or_default()
    ))
}

/// Violations of traffic outside every conduit, by the zones at either end.
fn crossings_by_zone(check: &CheckReport) -> HashMap<&str, Vec<&zonewarden_policy::Violation>> {
    let mut by_zone: HashMap<&str, Vec<&zonewarden_policy::Violation>> = HashMap::new();
    for v in &check.violations {
        if !matches!(v.kind, Kind::NoConduit | Kind::IntraZoneNotAllowed) {
            continue;
        }
        let (a, b) = (v.client_zone.as_deref(), v.server_zone.as_deref());
        for zone in [a, b.filter(|b| Some(*b) != a)].into_iter().flatten() {
            by_zone.entry(zone).or_default().push(v);
        }
    }
    by_zone
}

/// SR 5.1: traffic crosses the zone's boundary only where a conduit is.
fn segmentation(
    out: &mut Out<'_>,
    scope: &Scope,
    crossing: &[&zonewarden_policy::Violation],
    has_traffic: bool,
) {
    if !crossing.is_empty() {
        let flows: u64 = crossing.iter().map(|v| v.flows).sum();
        out.add(
scope,
"SR 5.1",
"flows-outside-conduits",
Status::Fail,
format!(
                "{} conversation(s), {flows} flow(s), cross the zone's boundary where no conduit is (zones check)",
                crossing.len()
            ),
(Vec::new(), capped_violation_flows(crossing)),
);
    } else if has_traffic {
        out.add(
            scope,
            "SR 5.1",
            "flows-outside-conduits",
            Status::Pass,
            "every conversation that crosses the zone's boundary goes through a conduit".into(),
            (Vec::new(), Vec::new()),
        );
    }
}

/// SR 5.2 on a conduit: its traffic keeps to its rules.
/// Violations of a conduit's own rules, by conduit.
fn broken_by_conduit(check: &CheckReport) -> HashMap<&str, Vec<&zonewarden_policy::Violation>> {
    let mut by_conduit: HashMap<&str, Vec<&zonewarden_policy::Violation>> = HashMap::new();
    for v in &check.violations {
        if let (
            Some(conduit),
            Kind::NotAllowed | Kind::OperationNotAllowed | Kind::WrongDirection,
        ) = (v.conduit.as_deref(), v.kind)
        {
            by_conduit.entry(conduit).or_default().push(v);
        }
    }
    by_conduit
}

fn boundary(
    out: &mut Out<'_>,
    scope: &Scope,
    broken: &[&zonewarden_policy::Violation],
    has_traffic: bool,
) {
    if !broken.is_empty() {
        let kinds: BTreeSet<&str> = broken.iter().map(|v| v.kind.name()).collect();
        out.add(
            scope,
            "SR 5.2",
            "conduit-rules",
            Status::Fail,
            format!(
                "{} violation(s) of the conduit's rules ({})",
                broken.len(),
                kinds.into_iter().collect::<Vec<_>>().join(", ")
            ),
            (Vec::new(), capped_violation_flows(broken)),
        );
    } else if has_traffic {
        out.add(
            scope,
            "SR 5.2",
            "conduit-rules",
            Status::Pass,
            "all traffic on the conduit keeps to its rules".into(),
            (Vec::new(), Vec::new()),
        );
    }
}

/// How one conversation travels, as far as the wire shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transit {
    Clear,
    /// Cryptographic integrity; confidentiality not visible (OPC UA Sign or SignAndEncrypt).
    Signed,
    Encrypted,
    Unknown,
}

/// The OPC UA security policy's short name (`None`, `Basic256Sha256`) from its URI.
fn policy_name(uri: &str) -> &str {
    uri.rsplit_once('#').map_or(uri, |(_, name)| name)
}

/// OPC UA policies deprecated by the OPC Foundation (SHA-1, RSA PKCS#1 v1.5).
const DEPRECATED_OPCUA_POLICIES: [&str; 2] = ["Basic128Rsa15", "Basic256"];

fn transit_of<'i>(inputs: &Inputs<'i>, by_id: &ById<'i>, c: &Conversation) -> Transit {
    let Some(p) = c.protocol else {
        return Transit::Unknown;
    };
    match protection(p) {
        Protection::Cleartext => Transit::Clear,
        Protection::Encrypted => Transit::Encrypted,
        Protection::Depends if p == Protocol::Opcua => {
            // The policy is read from each OpenSecureChannel the server answers. A client
            // opens a channel with policy None to ask for the endpoints before it opens a
            // secured one, so None next to another policy is discovery, not process data.
            opcua_transit(server_facts(inputs, by_id, c.server, "security_policy"))
        }
        Protection::Depends => Transit::Unknown,
    }
}

/// OPC UA by the security policies its server was seen to open channels with.
fn opcua_transit(policies: &[String]) -> Transit {
    if policies.is_empty() {
        Transit::Unknown
    } else if policies.iter().all(|u| policy_name(u) == "None") {
        Transit::Clear
    } else {
        Transit::Signed
    }
}

/// The facts of one kind recorded for the device at `ip`.
fn server_facts<'i>(inputs: &Inputs<'i>, by_id: &ById<'i>, ip: IpAddr, fact: &str) -> &'i [String] {
    inputs
        .resolution
        .lookup(ip)
        .and_then(|(view, _)| by_id.get(view.id.as_str()))
        .and_then(|a| a.facts.get(fact))
        .map_or(&[], Vec::as_slice)
}

/// Inventory assets by id.
type ById<'i> = HashMap<&'i str, &'i zonewarden_inventory::Asset>;

/// SR 4.3: OPC UA security policies the OPC Foundation has deprecated.
fn weak_opcua(out: &mut Out<'_>, scope: &Scope, assets: &[&zonewarden_inventory::Asset]) {
    let mut weak = Vec::new();
    let mut ok = Vec::new();
    for a in assets {
        let policies: Vec<&str> = a
            .facts
            .get("security_policy")
            .into_iter()
            .flatten()
            .map(|u| policy_name(u))
            .filter(|p| *p != "None")
            .collect();
        let bad: Vec<&str> = policies
            .iter()
            .copied()
            .filter(|p| DEPRECATED_OPCUA_POLICIES.contains(p))
            .collect();
        if !bad.is_empty() {
            weak.push(format!("{} ({})", a.id, bad.join(", ")));
        } else if !policies.is_empty() {
            ok.push(a.id.clone());
        }
    }
    let summary = if weak.is_empty() {
        format!(
            "OPC UA channels use current security policies on {} server(s)",
            ok.len()
        )
    } else {
        format!(
            "{} OPC UA server(s) accept deprecated security policies",
            weak.len()
        )
    };
    crypto_strength(
        out,
        scope,
        ("weak-opcua-policy", "opcua-policy-strength"),
        weak,
        ok,
        summary,
    );
}

/// SR 3.1 and SR 4.1 on a conduit: integrity and confidentiality in transit.
fn in_transit<'i>(
    out: &mut Out<'_>,
    inputs: &Inputs<'i>,
    by_id: &ById<'i>,
    scope: &Scope,
    conduit: &zonewarden_policy::model::Conduit,
    traffic: &[&Conversation],
) {
    if traffic.is_empty() {
        return;
    }
    if conduit.protected_in_transit() {
        // A tunnel is declared: the capture may be inside it. Only an attestation settles it.
        return;
    }
    let transit: Vec<(&Conversation, Transit)> = traffic
        .iter()
        .map(|c| (*c, transit_of(inputs, by_id, c)))
        .collect();
    let count = |kind: Transit| transit.iter().filter(|(_, t)| *t == kind).count();
    let clear: Vec<&Conversation> = transit
        .iter()
        .filter(|(_, t)| *t == Transit::Clear)
        .map(|(c, _)| *c)
        .collect();
    let (encrypted, signed) = (count(Transit::Encrypted), count(Transit::Signed));
    let flows = capped_flows(clear.iter().copied());
    let protocols: BTreeSet<&str> = clear
        .iter()
        .filter_map(|c| {
            c.protocol.map(|p| match p {
                Protocol::Opcua => "opcua with SecurityPolicy None",
                _ => p.as_str(),
            })
        })
        .collect();
    let list = protocols.into_iter().collect::<Vec<_>>().join(", ");
    if clear.is_empty() {
        let protected = encrypted + signed;
        if protected > 0 && protected == traffic.len() {
            for r in ["SR 3.1", "SR 3.1 RE(1)"] {
                out.add(
                    scope,
                    r,
                    "protected-conduit",
                    Status::Pass,
                    format!(
                        "all {protected} conversation(s) on the conduit are signed or encrypted (cryptographic integrity)"
                    ),
                    (Vec::new(), Vec::new()),
                );
            }
            for (r, what) in [
                ("SR 4.1", "confidentiality"),
                ("SR 4.1 RE(2)", "confidentiality across the zone boundary"),
            ] {
                if signed == 0 {
                    out.add(
                        scope,
                        r,
                        "encrypted-conduit",
                        Status::Pass,
                        format!(
                            "all {encrypted} conversation(s) on the conduit are encrypted ({what})"
                        ),
                        (Vec::new(), Vec::new()),
                    );
                } else {
                    out.add(
                        scope,
                        r,
                        "signed-conduit",
                        Status::Unknown,
                        format!(
                            "{signed} OPC UA conversation(s) use a SecurityPolicy other than None: signed, but whether the mode is SignAndEncrypt is not visible on the wire ({what})"
                        ),
                        (Vec::new(), Vec::new()),
                    );
                }
            }
        }
        return;
    }
    out.add(
scope,
"SR 3.1",
"cleartext-conduit",
Status::Partial,
format!(
            "{} conversation(s) use protocols without integrity protection of their own ({list}): only transport checksums",
            clear.len()
        ),
(Vec::new(), flows.clone()),
);
    out.add(
        scope,
        "SR 3.1 RE(1)",
        "cleartext-conduit",
        Status::Fail,
        format!(
            "no cryptographic integrity on {} conversation(s) ({list})",
            clear.len()
        ),
        (Vec::new(), flows.clone()),
    );
    out.add(
        scope,
        "SR 4.1",
        "cleartext-conduit",
        Status::Partial,
        format!("process data crosses the conduit readable by anyone on the path ({list})"),
        (Vec::new(), flows.clone()),
    );
    out.add(
        scope,
        "SR 4.1 RE(2)",
        "cleartext-conduit",
        Status::Fail,
        format!("cleartext across the zone boundary ({list})"),
        (Vec::new(), flows.clone()),
    );
    if conduit.untrusted_network {
        out.add(
            scope,
            "SR 4.1 RE(1)",
            "cleartext-conduit",
            Status::Fail,
            format!("cleartext over an untrusted network ({list})"),
            (Vec::new(), flows),
        );
    }
}

/// SR 5.3: mail, chat or web browsing from the control levels.
fn person_to_person(
    out: &mut Out<'_>,
    inputs: &Inputs<'_>,
    scope: &Scope,
    zone_level: Option<u8>,
    members: &[&zonewarden_policy::AssetView],
    outbound: &[(&Conversation, Option<usize>)],
) {
    let level = zone_level.or_else(|| members.iter().filter_map(|a| a.purdue_level).max());
    if level.is_none_or(|l| l > 2) {
        return;
    }
    let mut found = Vec::new();
    for (c, server_zone) in outbound {
        let mail = c.transport == zonewarden_policy::protocols::TCP && MAIL_PORTS.contains(&c.port);
        let chat = CHAT_PORTS.contains(&c.port);
        let web_out = server_zone.is_none()
            && is_public(c.server)
            && matches!(c.protocol, Some(Protocol::Http | Protocol::Tls));
        if mail || chat || web_out {
            found.push(*c);
        }
    }
    if found.is_empty() {
        return;
    }
    out.add(
        scope,
        "SR 5.3",
        "person-to-person",
        Status::Fail,
        format!(
            "{} conversation(s) of mail, chat or web browsing leave a level 0-2 zone",
            found.len()
        ),
        (
            capped(found.iter().map(|c| asset_id(inputs, c.client)).collect()),
            capped_flows(found.iter().copied()),
        ),
    );
}

/// SR 7.7: services the zone's devices answer that nothing allowed uses.
/// Conversations the zones check found no allowing rule for, by (client, server, port):
/// computed once for all zones, since a large plant has tens of thousands of violations.
type Flagged = HashSet<(IpAddr, IpAddr, u16)>;

fn flagged_conversations(check: &CheckReport) -> Flagged {
    check
        .violations
        .iter()
        .filter(|v| {
            matches!(
                v.kind,
                Kind::NoConduit
                    | Kind::NotAllowed
                    | Kind::IntraZoneNotAllowed
                    | Kind::WrongDirection
            )
        })
        .filter_map(|v| {
            Some((
                v.client.as_deref()?.parse().ok()?,
                v.server.as_deref()?.parse().ok()?,
                v.port?,
            ))
        })
        .collect()
}

fn least_functionality(
    out: &mut Out<'_>,
    flagged: &Flagged,
    scope: &Scope,
    inbound: &[&Conversation],
) {
    // Per service (server, transport, port): used by an allowed conversation?
    let mut services: BTreeMap<(IpAddr, u8, u16), (bool, Option<Protocol>)> = BTreeMap::new();
    for c in inbound {
        if c.server_packets == 0 {
            continue;
        }
        let allowed = !flagged.contains(&(c.client, c.server, c.port));
        let e = services
            .entry((c.server, c.transport, c.port))
            .or_insert((false, c.protocol));
        e.0 |= allowed;
    }
    if services.is_empty() {
        return;
    }
    let unneeded: Vec<String> = services
        .iter()
        .filter(|(_, (used, _))| !used)
        .map(|((ip, t, port), (_, p))| {
            format!(
                "{ip} {}/{port}{}",
                zonewarden_policy::observe::transport_name(*t),
                p.map(|p| format!(" ({})", p.as_str())).unwrap_or_default()
            )
        })
        .collect();
    if unneeded.is_empty() {
        out.add(
scope,
"SR 7.7",
"unneeded-services",
Status::Pass,
format!(
                "every service the zone's devices answered ({}) is used by traffic the model allows",
                services.len()
            ),
(Vec::new(), Vec::new()),
);
    } else {
        out.add(
scope,
"SR 7.7",
"unneeded-services",
Status::Fail,
format!(
                "{} service(s) answered that no allowed traffic uses: beyond what the conduits need",
                unneeded.len()
            ),
(Vec::new(), capped(unneeded)),
);
    }
}

/// SR 7.8: every device in the zone identified (vendor, and model for control devices).
fn inventory_completeness(
    out: &mut Out<'_>,
    inputs: &Inputs<'_>,
    scope: &Scope,
    assets: &[&zonewarden_inventory::Asset],
) {
    if assets.is_empty() {
        return;
    }
    let control = |r: Role| {
        matches!(
            r,
            Role::Plc | Role::Rtu | Role::Ied | Role::SafetyController | Role::IoDevice
        )
    };
    let unidentified: Vec<String> = assets
        .iter()
        .filter(|a| a.vendor.is_none() || (control(a.role) && a.model.is_none()))
        .map(|a| a.id.clone())
        .collect();
    let unassigned = inputs.check.unassigned;
    if unidentified.is_empty() && unassigned == 0 {
        out.add(
            scope,
            "SR 7.8",
            "inventory-completeness",
            Status::Pass,
            format!(
                "all {} device(s) identified (vendor; model for controllers) and placed in zones",
                assets.len()
            ),
            (Vec::new(), Vec::new()),
        );
    } else {
        let mut parts = Vec::new();
        if !unidentified.is_empty() {
            parts.push(format!(
                "{} of {} device(s) without vendor or model",
                unidentified.len(),
                assets.len()
            ));
        }
        if unassigned > 0 {
            parts.push(format!("{unassigned} device(s) of the plant in no zone"));
        }
        out.add(
            scope,
            "SR 7.8",
            "inventory-completeness",
            Status::Partial,
            parts.join("; "),
            (capped(unidentified), Vec::new()),
        );
    }
}

/// SR 6.2: the sensor saw the zone.
fn monitoring(out: &mut Out<'_>, scope: &Scope, assets: &[&zonewarden_inventory::Asset]) {
    let seen = assets.iter().filter(|a| a.packets > 0).count();
    if seen > 0 {
        out.add(
            scope,
            "SR 6.2",
            "monitoring-coverage",
            Status::Pass,
            format!("the capture covers the zone: {seen} device(s) seen"),
            (Vec::new(), Vec::new()),
        );
    } else {
        out.add(
            scope,
            "SR 6.2",
            "monitoring-coverage",
            Status::Fail,
            "no traffic of the zone reached the sensor: the zone is not monitored".into(),
            (Vec::new(), Vec::new()),
        );
    }
}

/// SR 2.8 and SR 6.1: devices that send their logs to a collector.
fn log_forwarding(
    out: &mut Out<'_>,
    scope: &Scope,
    assets: &[&zonewarden_inventory::Asset],
    outbound: &[(&Conversation, Option<usize>)],
) {
    let loggers: BTreeSet<IpAddr> = outbound
        .iter()
        .filter(|(c, _)| c.protocol == Some(Protocol::Syslog) || (c.port == 514 || c.port == 6514))
        .map(|(c, _)| c.client)
        .collect();
    let capable: Vec<&&zonewarden_inventory::Asset> = assets
        .iter()
        .filter(|a| {
            matches!(
                a.role,
                Role::ItHost
                    | Role::NetworkDevice
                    | Role::Hmi
                    | Role::EngineeringWorkstation
                    | Role::Historian
                    | Role::OpcScadaServer
            )
        })
        .collect();
    if capable.is_empty() {
        return;
    }
    let sending: Vec<String> = capable
        .iter()
        .filter(|a| a.ips.iter().any(|ip| loggers.contains(ip)))
        .map(|a| a.id.clone())
        .collect();
    if sending.is_empty() {
        return;
    }
    let status = if sending.len() == capable.len() {
        Status::Pass
    } else {
        Status::Partial
    };
    for r in ["SR 2.8", "SR 6.1"] {
        out.add(
            scope,
            r,
            "log-forwarding",
            status,
            format!(
                "{} of {} log-capable device(s) send logs to a collector",
                sending.len(),
                capable.len()
            ),
            (capped(sending.clone()), Vec::new()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policies(names: &[&str]) -> Vec<String> {
        names
            .iter()
            .map(|n| format!("http://opcfoundation.org/UA/SecurityPolicy#{n}"))
            .collect()
    }

    #[test]
    fn opcua_with_policy_none_only_is_cleartext() {
        assert_eq!(opcua_transit(&policies(&["None"])), Transit::Clear);
    }

    #[test]
    fn opcua_discovery_over_none_beside_a_secured_channel_is_signed() {
        assert_eq!(
            opcua_transit(&policies(&["Basic256Sha256", "None"])),
            Transit::Signed
        );
    }

    #[test]
    fn opcua_without_a_seen_handshake_is_unknown() {
        assert_eq!(opcua_transit(&[]), Transit::Unknown);
    }

    #[test]
    fn policy_names_come_from_the_uri_fragment() {
        assert_eq!(
            policy_name("http://opcfoundation.org/UA/SecurityPolicy#Basic128Rsa15"),
            "Basic128Rsa15"
        );
        assert_eq!(policy_name("odd"), "odd");
        assert!(DEPRECATED_OPCUA_POLICIES.contains(&policy_name(
            "http://opcfoundation.org/UA/SecurityPolicy#Basic256"
        )));
    }
}
