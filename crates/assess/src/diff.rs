//! What changed between two assessments, in words and as data: SL-A per FR, requirement
//! statuses (with the evidence that appeared), zones and conduits added or removed.

use crate::{Assessment, ScopeKind, ScopeResult, Status};
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `sl-a`, `sl-c` (the products' capability), `regressed`, `improved`, `changed`, `dropped` (a requirement no longer
    /// assessed), `added`, `removed` (a zone or conduit).
    pub kind: &'static str,
    pub scope: String,
    pub scope_kind: ScopeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fr: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub sentence: String,
}

fn kind_word(kind: ScopeKind) -> &'static str {
    match kind {
        ScopeKind::Zone => "zone",
        ScopeKind::Conduit => "conduit",
    }
}

/// Higher is better; not applicable counts as met.
fn goodness(s: Status) -> u8 {
    match s {
        Status::Pass | Status::NotApplicable => 3,
        Status::Partial => 2,
        Status::Unknown => 1,
        Status::Fail => 0,
    }
}

fn compare_scope(old: &ScopeResult, new: &ScopeResult, out: &mut Vec<Change>) {
    let where_ = format!("{} {}", kind_word(new.kind), new.id);
    let none = crate::FrLevels::default();
    for (kind, label, before, after) in [
        ("sl-a", "SL-A", &old.sl_a, &new.sl_a),
        (
            "sl-c",
            "SL-C",
            old.sl_c.as_ref().unwrap_or(&none),
            new.sl_c.as_ref().unwrap_or(&none),
        ),
    ] {
        for fr in 1u8..=7 {
            let (a, b) = (before.get(fr), after.get(fr));
            if a != b {
                let show = |l: Option<u8>| l.map_or("-".to_string(), |l| l.to_string());
                out.push(Change {
                    kind,
                    scope: new.id.clone(),
                    scope_kind: new.kind,
                    requirement: None,
                    fr: Some(fr),
                    from: Some(show(a)),
                    to: Some(show(b)),
                    sentence: format!("{label} FR{fr} in {where_}: {} → {}", show(a), show(b)),
                });
            }
        }
    }
    // Requirements no longer assessed (the SL-T went down, the evidence went away).
    for o in &old.requirements {
        if !new.requirements.iter().any(|r| r.id == o.id) {
            out.push(Change {
                kind: "dropped",
                scope: new.id.clone(),
                scope_kind: new.kind,
                requirement: Some(o.id.to_string()),
                fr: Some(o.fr),
                from: Some(o.status.as_str().to_string()),
                to: None,
                sentence: format!(
                    "{} in {where_} is no longer assessed (was {})",
                    o.id,
                    o.status.as_str()
                ),
            });
        }
    }
    for r in &new.requirements {
        let before = old.requirements.iter().find(|o| o.id == r.id);
        let was = before.map_or(Status::Unknown, |o| o.status);
        if was == r.status {
            continue;
        }
        let kind = match goodness(r.status).cmp(&goodness(was)) {
            std::cmp::Ordering::Less => "regressed",
            std::cmp::Ordering::Greater => "improved",
            std::cmp::Ordering::Equal => "changed",
        };
        // The evidence that appeared: flows or summaries not in the old result.
        let old_flows: BTreeSet<&str> = before
            .into_iter()
            .flat_map(|o| o.evidence.iter())
            .flat_map(|f| {
                f.flows
                    .iter()
                    .map(String::as_str)
                    .chain(std::iter::once(f.summary.as_str()))
            })
            .collect();
        let new_evidence: Vec<&str> = r
            .evidence
            .iter()
            .flat_map(|f| f.flows.iter().map(String::as_str))
            .filter(|f| !old_flows.contains(f))
            .take(3)
            .collect();
        let why = if !new_evidence.is_empty() {
            format!(" (new: {})", new_evidence.join("; "))
        } else {
            r.evidence
                .iter()
                .find(|f| f.status == r.status)
                .map(|f| format!(" ({})", f.summary))
                .unwrap_or_default()
        };
        out.push(Change {
            kind,
            scope: new.id.clone(),
            scope_kind: new.kind,
            requirement: Some(r.id.to_string()),
            fr: Some(r.fr),
            from: Some(was.as_str().to_string()),
            to: Some(r.status.as_str().to_string()),
            sentence: format!(
                "{} in {where_} {kind}: {} → {}{why}",
                r.id,
                was.as_str(),
                r.status.as_str()
            ),
        });
    }
}

/// Changes from `old` to `new`, zones first, then conduits, in the new file's order.
pub fn diff(old: &Assessment, new: &Assessment) -> Vec<Change> {
    let mut out = Vec::new();
    for (old_list, new_list) in [(&old.zones, &new.zones), (&old.conduits, &new.conduits)] {
        for n in new_list {
            match old_list.iter().find(|o| o.id == n.id) {
                Some(o) => compare_scope(o, n, &mut out),
                None => out.push(Change {
                    kind: "added",
                    scope: n.id.clone(),
                    scope_kind: n.kind,
                    requirement: None,
                    fr: None,
                    from: None,
                    to: None,
                    sentence: format!("{} {} is new", kind_word(n.kind), n.id),
                }),
            }
        }
        for o in old_list {
            if !new_list.iter().any(|n| n.id == o.id) {
                out.push(Change {
                    kind: "removed",
                    scope: o.id.clone(),
                    scope_kind: o.kind,
                    requirement: None,
                    fr: None,
                    from: None,
                    to: None,
                    sentence: format!("{} {} is gone", kind_word(o.kind), o.id),
                });
            }
        }
    }
    out
}
