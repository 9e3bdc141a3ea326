//! IEC 62443-3-3 assessment of a plant's zones and conduits from three kinds of evidence.
//!
//! - **Observed**: rules (`rules.rs`) turn the inventory, the conversations and the zones
//!   check into pass / partial / fail per requirement per zone or conduit, each finding with
//!   the assets, flows and capture hashes that show it. Traffic mostly shows gaps; a rule says
//!   "pass" only where the wire can prove it (segmentation kept, encryption in use, the
//!   inventory complete).
//! - **Attested**: an attestation file (`attest.rs`) for what the wire cannot see.
//! - **Unknown**: neither — shown as unknown, never as passed.
//!
//! SL-A per foundational requirement is the highest level whose required SRs and REs all
//! pass (or do not apply); the gap is SL-T minus SL-A. Remediation (`remediate.rs`) ranks
//! what is unmet by how much it moves SL-A toward SL-T, weighted by zone criticality.
//! Results are plain data (serde), rendered by `render.rs` and compared by `diff.rs`.

mod assemble;
pub mod attest;
pub mod components;
pub mod diff;
pub mod oscal;
pub mod questionnaire;
pub mod remediate;
pub mod render;
pub mod risk;
pub mod rules;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use zonewarden_catalog::{system_requirements, ReqId, SystemRequirement};

pub use assemble::assess;
pub use attest::{AttestationError, Attestations};
pub use rules::Inputs;

/// A requirement's status in one zone or conduit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Partial,
    Fail,
    NotApplicable,
    Unknown,
}

impl Status {
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Partial => "partial",
            Status::Fail => "fail",
            Status::NotApplicable => "not-applicable",
            Status::Unknown => "unknown",
        }
    }
    /// Counts toward SL-A.
    pub const fn is_met(self) -> bool {
        matches!(self, Status::Pass | Status::NotApplicable)
    }
    /// Worse first: fail, partial, unknown, pass, not applicable.
    const fn badness(self) -> u8 {
        match self {
            Status::Fail => 4,
            Status::Partial => 3,
            Status::Unknown => 2,
            Status::Pass => 1,
            Status::NotApplicable => 0,
        }
    }
    pub fn worst(a: Status, b: Status) -> Status {
        if a.badness() >= b.badness() {
            a
        } else {
            b
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provenance {
    Observed,
    Attested,
    Unknown,
}

/// One piece of observed evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The observation rule (stable id, documented in docs/assessment.md).
    pub rule: String,
    pub status: Status,
    pub summary: String,
    /// Inventory ids of the devices involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<String>,
    /// Conversations: `tcp 10.0.0.1 -> 10.0.0.2:502 (modbus)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<String>,
    /// sha256 of the capture files that show it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub captures: Vec<String>,
}

/// The attested answer behind a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestedAnswer {
    pub status: attest::AttestedStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensating_control: Option<String>,
    /// File line of the answer.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementResult {
    pub id: ReqId,
    pub title: String,
    pub fr: u8,
    /// Lowest SL that requires it.
    pub min_level: Option<u8>,
    pub status: Status,
    pub provenance: Provenance,
    pub evidence: Vec<Finding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<AttestedAnswer>,
    /// Why the status is what it is when the two kinds of evidence disagree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Per foundational requirement FR1..FR7; `None` where nothing applies (conduits have
/// requirements in some FRs only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(from = "BTreeMap<String, Option<u8>>")]
pub struct FrLevels(pub [Option<u8>; 7]);

impl FrLevels {
    pub fn get(&self, fr: u8) -> Option<u8> {
        usize::from(fr)
            .checked_sub(1)
            .and_then(|i| self.0.get(i))
            .copied()
            .flatten()
    }
}

impl Serialize for FrLevels {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(7))?;
        for (i, level) in self.0.iter().enumerate() {
            map.serialize_entry(&format!("FR{}", i + 1), level)?;
        }
        map.end()
    }
}

impl From<BTreeMap<String, Option<u8>>> for FrLevels {
    fn from(map: BTreeMap<String, Option<u8>>) -> Self {
        let mut out = [None; 7];
        for (key, value) in map {
            let index = key
                .strip_prefix("FR")
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| n.checked_sub(1));
            if let Some(slot) = index.and_then(|i| out.get_mut(i)) {
                *slot = value;
            }
        }
        FrLevels(out)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeKind {
    Zone,
    Conduit,
}

/// A zone's or conduit's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeResult {
    pub id: String,
    pub kind: ScopeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub criticality: String,
    /// Devices in the zone (zones only).
    #[serde(default)]
    pub assets: usize,
    pub sl_t: FrLevels,
    pub sl_a: FrLevels,
    pub gap: FrLevels,
    /// SL-C: what the zone's declared products allow at best (zones with products matched
    /// in the components file only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sl_c: Option<FrLevels>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capability: Option<components::Capability>,
    /// Everything the SL-T asks, and everything with evidence.
    pub requirements: Vec<RequirementResult>,
}

/// A capture or file the result was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFiles {
    pub model: InputFile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestations: Option<InputFile>,
    /// The 3-2 risk inputs, when a risk.toml was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<InputFile>,
    /// The components file (4-2 capabilities), when one was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<InputFile>,
    pub captures: Vec<InputFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// Format version of this document.
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plant: Option<String>,
    /// Capture time of the newest packet (the assessment's "as of").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    pub inputs: InputFiles,
    pub zones: Vec<ScopeResult>,
    pub conduits: Vec<ScopeResult>,
    pub remediation: Vec<remediate::Action>,
    /// The IEC 62443-3-2 risk assessment of the zones (ZCR 1–7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<risk::RiskAssessment>,
}

/// The 1-based line of a byte offset in a file the user wrote (for error messages).
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |t| t.matches('\n').count() + 1)
}

/// Requirements that describe a conduit rather than a zone's devices: integrity and
/// confidentiality in transit, cryptography, access from untrusted networks, boundary
/// protection.
pub fn applies_to_conduits(id: &ReqId) -> bool {
    let base = id.base().to_string();
    matches!(
        base.as_str(),
        "SR 1.13" | "SR 3.1" | "SR 4.1" | "SR 4.3" | "SR 5.2"
    )
}

/// Combines observed findings and an attested answer into one status.
///
/// Traffic that shows a gap outranks an attestation that says "implemented" (the note says
/// so); otherwise an answer settles what the wire cannot see, and an observed pass or partial
/// stands when nobody answered.
pub fn combine(
    findings: &[Finding],
    attested: Option<&AttestedAnswer>,
) -> (Status, Provenance, Option<String>) {
    let observed = findings
        .iter()
        .map(|f| f.status)
        .reduce(|a, b| match (a, b) {
            (Status::Pass, Status::Pass) => Status::Pass,
            (Status::Fail, Status::Fail) => Status::Fail,
            (x, y) => {
                if x == Status::Fail || y == Status::Fail {
                    Status::Fail
                } else {
                    Status::Partial
                }
            }
        });
    // An unanswered question is no answer.
    let attested = attested.filter(|a| a.status != attest::AttestedStatus::Unknown);
    match (observed, attested) {
        (None, None) => (Status::Unknown, Provenance::Unknown, None),
        (Some(o), None) => (o, Provenance::Observed, None),
        (None, Some(a)) => (a.status.as_status(), Provenance::Attested, None),
        (Some(o), Some(a)) => {
            let said = a.status.as_status();
            if o == Status::Fail && said.is_met() {
                (
                    Status::Fail,
                    Provenance::Observed,
                    Some(format!(
                        "attested {} (line {}), but the traffic shows the gap",
                        a.status.as_str(),
                        a.line
                    )),
                )
            } else {
                let status = Status::worst(o, said);
                let provenance = if status == o && o != said {
                    Provenance::Observed
                } else {
                    Provenance::Attested
                };
                (status, provenance, None)
            }
        }
    }
}

/// SL-A per FR: the highest level at which every requirement of that FR required at the
/// level is met. `applicable`: the requirements assessed in this scope (for a conduit, a
/// subset); an FR with none of them is `None`.
pub fn achieved_levels(
    statuses: &BTreeMap<ReqId, Status>,
    applicable: &dyn Fn(&SystemRequirement) -> bool,
) -> FrLevels {
    let mut out = [None; 7];
    for (fr, slot) in (1u8..=7).zip(out.iter_mut()) {
        let reqs: Vec<&SystemRequirement> = system_requirements()
            .iter()
            .filter(|r| r.fr == fr && applicable(r))
            .collect();
        if reqs.is_empty() {
            continue;
        }
        let mut achieved = 0u8;
        for level in 1u8..=4 {
            let met = reqs
                .iter()
                .filter(|r| r.required_at(level))
                .all(|r| statuses.get(&r.id).is_some_and(|s| s.is_met()));
            if !met {
                break;
            }
            achieved = level;
        }
        *slot = Some(achieved);
    }
    FrLevels(out)
}

/// SL-T minus SL-A, never below zero.
pub fn gaps(target: &FrLevels, achieved: &FrLevels) -> FrLevels {
    let mut out = [None; 7];
    for (i, slot) in out.iter_mut().enumerate() {
        if let (Some(Some(t)), Some(Some(a))) = (target.0.get(i), achieved.0.get(i)) {
            *slot = Some(t.saturating_sub(*a));
        }
    }
    FrLevels(out)
}

#[cfg(test)]
mod tests;
