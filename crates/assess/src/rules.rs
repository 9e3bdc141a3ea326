//! Observation rules: what the inventory, the conversations and the zones check show about
//! IEC 62443-3-3 requirements, per zone and per conduit.
//!
//! Each rule has a stable id (the `rule` of a [`Finding`]) and says `fail` when traffic shows
//! a gap, `partial` when it shows part of a control, and `pass` only where the wire can
//! prove it. The rules and what they cannot see are in docs/assessment.md.

use crate::attest::Scope;
use crate::{Finding, Status};
use std::collections::{BTreeMap, BTreeSet};
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
    for (zi, zone) in model.zones.iter().enumerate() {
        let scope = Scope::Zone(zone.id.clone());
        let inbound: Vec<&Conversation> = zoned
            .iter()
            .filter(|(_, _, s)| *s == Some(zi))
            .map(|(c, _, _)| *c)
            .collect();
        let outbound: Vec<(&Conversation, Option<usize>)> = zoned
            .iter()
            .filter(|(_, cz, _)| *cz == Some(zi))
            .map(|(c, _, sz)| (*c, *sz))
            .collect();
        let members: Vec<&zonewarden_policy::AssetView> =
            inputs.resolution.members_of(zi).collect();
        let member_ids: BTreeSet<&str> = members.iter().map(|a| a.id.as_str()).collect();
        let assets: Vec<&zonewarden_inventory::Asset> = inputs
            .inventory
            .assets
            .iter()
            .filter(|a| member_ids.contains(a.id.as_str()))
            .collect();

        unauthenticated_industrial(&mut out, inputs, &scope, &inbound);
        cleartext_credentials(&mut out, &scope, &assets);
        certificates(&mut out, inputs, &scope, &assets);
        weak_tls(&mut out, &scope, &assets);
        untrusted_access(&mut out, inputs, &scope, &inbound);
        segmentation(
            &mut out,
            inputs,
            &scope,
            &zone.id,
            !inbound.is_empty() || !outbound.is_empty(),
        );
        person_to_person(
            &mut out,
            inputs,
            &scope,
            zone.purdue_level,
            &members,
            &outbound,
        );
        least_functionality(&mut out, inputs, &scope, &inbound);
        inventory_completeness(&mut out, inputs, &scope, &assets);
        monitoring(&mut out, &scope, &assets);
        log_forwarding(&mut out, &scope, &assets, &outbound);
    }
    for conduit in &model.conduits {
        let scope = Scope::Conduit(conduit.id.clone());
        let [a, b] = conduit.zones;
        let traffic: Vec<&Conversation> = zoned
            .iter()
            .filter(|(_, cz, sz)| {
                (*cz == Some(a) && *sz == Some(b)) || (*cz == Some(b) && *sz == Some(a))
            })
            .map(|(c, _, _)| *c)
            .collect();
        in_transit(&mut out, &scope, conduit, &traffic);
        boundary(&mut out, inputs, &scope, &conduit.id, !traffic.is_empty());
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
    let mut by_protocol: BTreeMap<&str, (Vec<String>, Vec<String>, u64)> = BTreeMap::new();
    for c in inbound {
        let Some(p) = c.protocol else { continue };
        if !p.is_industrial() || protection(p) != Protection::Cleartext {
            continue;
        }
        let e = by_protocol.entry(p.as_str()).or_default();
        e.0.push(asset_id(inputs, c.server));
        e.1.push(flow_text(c));
        e.2 += c.flows;
    }
    for (protocol, (servers, flows, count)) in by_protocol {
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
    if !weak.is_empty() {
        out.add(
            scope,
            "SR 4.3",
            "weak-tls",
            Status::Fail,
            format!(
                "{} device(s) negotiate obsolete TLS versions or cipher suites",
                weak.len()
            ),
            (capped(weak), Vec::new()),
        );
    } else if !ok.is_empty() {
        out.add(
            scope,
            "SR 4.3",
            "tls-strength",
            Status::Pass,
            format!(
                "TLS 1.2 or later with current cipher suites on {} device(s)",
                ok.len()
            ),
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
            capped(from_outside.iter().map(|c| flow_text(c)).collect()),
        ),
    );
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

/// SR 5.1: traffic crosses the zone's boundary only where a conduit is.
fn segmentation(
    out: &mut Out<'_>,
    inputs: &Inputs<'_>,
    scope: &Scope,
    zone_id: &str,
    has_traffic: bool,
) {
    let crossing: Vec<&zonewarden_policy::Violation> = inputs
        .check
        .violations
        .iter()
        .filter(|v| {
            matches!(v.kind, Kind::NoConduit | Kind::IntraZoneNotAllowed)
                && (v.client_zone.as_deref() == Some(zone_id)
                    || v.server_zone.as_deref() == Some(zone_id))
        })
        .collect();
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
(Vec::new(), capped(crossing.iter().filter_map(|v| violation_flow(v)).collect())),
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
fn boundary(
    out: &mut Out<'_>,
    inputs: &Inputs<'_>,
    scope: &Scope,
    conduit_id: &str,
    has_traffic: bool,
) {
    let broken: Vec<&zonewarden_policy::Violation> = inputs
        .check
        .violations
        .iter()
        .filter(|v| {
            v.conduit.as_deref() == Some(conduit_id)
                && matches!(
                    v.kind,
                    Kind::NotAllowed | Kind::OperationNotAllowed | Kind::WrongDirection
                )
        })
        .collect();
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
            (
                Vec::new(),
                capped(broken.iter().filter_map(|v| violation_flow(v)).collect()),
            ),
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

/// SR 3.1 and SR 4.1 on a conduit: integrity and confidentiality in transit.
fn in_transit(
    out: &mut Out<'_>,
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
    let clear: Vec<&&Conversation> = traffic
        .iter()
        .filter(|c| {
            c.protocol
                .is_some_and(|p| protection(p) == Protection::Cleartext)
        })
        .collect();
    let encrypted = traffic
        .iter()
        .filter(|c| {
            c.protocol
                .is_some_and(|p| protection(p) == Protection::Encrypted)
        })
        .count();
    let flows = capped(clear.iter().map(|c| flow_text(c)).collect());
    let protocols: BTreeSet<&str> = clear
        .iter()
        .filter_map(|c| c.protocol.map(Protocol::as_str))
        .collect();
    let list = protocols.into_iter().collect::<Vec<_>>().join(", ");
    if clear.is_empty() {
        if encrypted > 0 && encrypted == traffic.len() {
            for (r, what) in [
                ("SR 3.1", "integrity"),
                ("SR 3.1 RE(1)", "cryptographic integrity"),
                ("SR 4.1", "confidentiality"),
                ("SR 4.1 RE(2)", "confidentiality across the zone boundary"),
            ] {
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
            capped(found.iter().map(|c| flow_text(c)).collect()),
        ),
    );
}

/// SR 7.7: services the zone's devices answer that nothing allowed uses.
fn least_functionality(
    out: &mut Out<'_>,
    inputs: &Inputs<'_>,
    scope: &Scope,
    inbound: &[&Conversation],
) {
    // Conversations the check flagged, by (client, server, port).
    let flagged: BTreeSet<(String, String, u16)> = inputs
        .check
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
        .filter_map(|v| Some((v.client.clone()?, v.server.clone()?, v.port?)))
        .collect();
    // Per service (server, transport, port): used by an allowed conversation?
    let mut services: BTreeMap<(IpAddr, u8, u16), (bool, Option<Protocol>)> = BTreeMap::new();
    for c in inbound {
        if c.server_packets == 0 {
            continue;
        }
        let allowed = !flagged.contains(&(c.client.to_string(), c.server.to_string(), c.port));
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
