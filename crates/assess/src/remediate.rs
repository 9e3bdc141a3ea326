//! Ranked remediation: unmet requirements ordered by how much meeting them moves SL-A toward
//! SL-T, weighted by the criticality of the zone or conduit.
//!
//! For a requirement of FR *f* in a scope with SL-A *a* < SL-T *t*, let *L* be the lowest
//! level above *a* that requires it (if *L* > *t* it is not ranked) and *n* the number of
//! unmet requirements of *f* required at *L* or below. Meeting all *n* raises SL-A to at
//! least *L*; each one's share is
//!
//! ```text
//! score = weight(criticality) × (t − a) / (n × (L − a)) × (1.5 if traffic shows the gap)
//! ```
//!
//! with weights low 1, medium 2, high 3, critical 4. Shown gaps rank above unknowns because
//! they are certain; unknowns still rank, since an unverified control does not count.

use crate::{ScopeKind, ScopeResult, Status};
use serde::{Deserialize, Serialize};
use zonewarden_catalog::{system_requirement, ReqId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub rank: usize,
    pub scope: String,
    pub scope_kind: ScopeKind,
    pub requirement: ReqId,
    pub title: String,
    pub status: Status,
    pub fr: u8,
    /// What meeting it (with the others it needs) does: `FR3 SL-A 1 → 2 (with 3 others)`.
    pub raises: String,
    pub score: f64,
    /// What to do, in plain words.
    pub action: String,
}

impl Eq for Action {}

pub fn criticality_weight(criticality: &str) -> f64 {
    match criticality {
        "critical" => 4.0,
        "high" => 3.0,
        "medium" => 2.0,
        _ => 1.0,
    }
}

/// Plans remediation over every zone and conduit.
pub fn plan(scopes: &[&ScopeResult]) -> Vec<Action> {
    let mut actions = Vec::new();
    for scope in scopes {
        let weight = criticality_weight(&scope.criticality);
        for fr in 1u8..=7 {
            let (Some(target), Some(achieved)) = (scope.sl_t.get(fr), scope.sl_a.get(fr)) else {
                continue;
            };
            if achieved >= target {
                continue;
            }
            // Unmet requirements of this FR required at each level above SL-A up to SL-T.
            let unmet: Vec<(&crate::RequirementResult, u8)> = scope
                .requirements
                .iter()
                .filter(|r| r.fr == fr && !r.status.is_met())
                .filter_map(|r| {
                    let level = r.min_level?.max(achieved + 1);
                    (level <= target).then_some((r, level))
                })
                .collect();
            for (r, level) in &unmet {
                let needed_with = unmet.iter().filter(|(_, l)| l <= level).count();
                let denominator = (needed_with as f64) * f64::from(level - achieved);
                let certainty = if r.status == Status::Fail { 1.5 } else { 1.0 };
                let score = weight * f64::from(target - achieved) / denominator * certainty;
                let others = needed_with.saturating_sub(1);
                actions.push(Action {
                    rank: 0,
                    scope: scope.id.clone(),
                    scope_kind: scope.kind,
                    requirement: r.id,
                    title: r.title.clone(),
                    status: r.status,
                    fr,
                    raises: format!(
                        "FR{fr} SL-A {achieved} → {level}{}",
                        if others > 0 {
                            format!(" (with {others} other requirement(s))")
                        } else {
                            String::new()
                        }
                    ),
                    score: (score * 1000.0).round() / 1000.0,
                    action: action_for(&r.id, r.status),
                });
            }
        }
        if let Some(capability) = &scope.capability {
            capability_actions(scope, capability, weight, &mut actions);
        }
    }
    actions.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.requirement.cmp(&b.requirement))
            .then_with(|| a.scope.cmp(&b.scope))
    });
    for (i, a) in actions.iter_mut().enumerate() {
        a.rank = i + 1;
    }
    actions
}

/// Products whose SL-C is below the zone's SL-T: no system measure lifts the zone past what
/// its components can do, so each (product, FR) short of the target is one action, scored
/// like a requirement whose `n` is the number of 4-2 rows the product lacks up to SL-T.
fn capability_actions(
    scope: &ScopeResult,
    capability: &crate::components::Capability,
    weight: f64,
    actions: &mut Vec<Action>,
) {
    for product in &capability.components {
        let name = product.name.as_deref().unwrap_or(&product.id);
        for fr in 1u8..=7 {
            let (Some(target), Some(capable)) = (scope.sl_t.get(fr), product.sl_c.get(fr)) else {
                continue;
            };
            if capable >= target {
                continue;
            }
            let rows: Vec<&crate::components::Row> = product
                .short_of
                .iter()
                .filter(|m| m.fr == fr)
                .flat_map(|m| &m.requirements)
                .collect();
            let Some(first) = rows.first() else { continue };
            let listed = rows
                .iter()
                .map(|r| r.id.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let score = weight * f64::from(target - capable) / rows.len() as f64;
            actions.push(Action {
                rank: 0,
                scope: scope.id.clone(),
                scope_kind: scope.kind,
                requirement: first.id,
                title: format!("{name}: {}", first.title),
                status: Status::Fail,
                fr,
                raises: format!(
                    "FR{fr} SL-C {capable} → {target} ({name} on {} device(s))",
                    product.devices
                ),
                score: (score * 1000.0).round() / 1000.0,
                action: format!(
                    "{name} ({} device(s) in the zone) does not meet {listed} (IEC 62443-4-2), which FR{fr} SL {target} asks of it: upgrade or configure it to a release that does, replace it, or document a compensating countermeasure in attestations.toml.",
                    product.devices
                ),
            });
        }
    }
}

/// Plain-language remediation per requirement; where the status is unknown the first step
/// is to find out and attest.
pub fn action_for(id: &ReqId, status: Status) -> String {
    let base = id.base().to_string();
    let specific = match (base.as_str(), id.re()) {
        ("SR 1.1", None) => "Give every person an individual account on each HMI, engineering station and device interface; replace telnet/FTP/HTTP logins with SSH/SFTP/HTTPS.",
        ("SR 1.1", Some(_)) => "Require unique accounts and multifactor authentication for remote and privileged access.",
        ("SR 1.2", _) => "Authenticate devices and software processes: use the secure variants of the industrial protocols (Modbus/TCP Security, S7comm-plus with TLS, DNP3 Secure Authentication, OPC UA SignAndEncrypt) or front them with an authenticating proxy.",
        ("SR 1.5", _) => "Stop sending credentials in cleartext: disable telnet, FTP and HTTP basic authentication, move SNMP to v3 with authentication and privacy, and change the exposed passwords and communities.",
        ("SR 1.8", _) => "Run a PKI for the plant: replace self-signed and expired certificates with ones from a plant CA, and track expiry.",
        ("SR 1.9", _) => "Reissue certificates with at least 2048-bit RSA or 256-bit EC keys.",
        ("SR 1.13", _) => "Close direct access from untrusted networks: route remote access through a monitored jump host or VPN gateway in a DMZ.",
        ("SR 2.8", _) | ("SR 6.1", _) => "Forward security logs of every device that can log (syslog, Windows event forwarding) to a protected collector.",
        ("SR 3.1", None) => "Protect the integrity of communication on this conduit: tunnel it (IPsec/VPN) or use protocol variants with integrity protection.",
        ("SR 3.1", Some(_)) => "Add cryptographic integrity on the conduit: IPsec or TLS tunnels between the zones, or the protocols' secure variants.",
        ("SR 4.1", None) => "Protect the confidentiality of data crossing the conduit: encrypt it (IPsec, TLS) or keep sensitive data off it.",
        ("SR 4.1", Some(_)) => "Encrypt traffic that crosses zone boundaries or untrusted networks (IPsec/VPN between the zones' gateways).",
        ("SR 4.3", _) => "Disable SSL, TLS 1.0/1.1 and weak cipher suites (require TLS 1.2 or later with AEAD ciphers), and the deprecated OPC UA security policies Basic128Rsa15 and Basic256 (use Basic256Sha256 or the Aes policies).",
        ("SR 5.1", _) => "Segment the network as the model says: route every flow between zones through a conduit (firewall), or add the conduit the traffic needs to the model after review.",
        ("SR 5.2", _) => "Enforce the conduit's rules at its boundary device: generate them with `zonewarden zones acl`, deny by default, and use an industrial DPI firewall where operations must be limited.",
        ("SR 5.3", _) => "Block mail, chat and web browsing from the control levels; provide them from the enterprise zone.",
        ("SR 6.2", _) => "Extend monitoring to this zone: a SPAN/TAP feed of its switch to the sensor.",
        ("SR 7.7", _) => "Turn off services the conduits do not need (listed in the evidence), or add the need to the model after review.",
        ("SR 7.8", _) => "Complete the inventory: identify every device (vendor, model, firmware) and place every device in a zone.",
        _ => "",
    };
    let title = system_requirement(id).map_or_else(|| id.to_string(), |r| r.title.clone());
    let what = if specific.is_empty() {
        format!("Implement {title} ({id}).")
    } else {
        specific.to_string()
    };
    match status {
        Status::Unknown => format!(
            "Find out whether {id} ({title}) is in place and record it in attestations.toml; if not: {what}"
        ),
        Status::Partial => format!("Complete it: {what}"),
        _ => what,
    }
}
