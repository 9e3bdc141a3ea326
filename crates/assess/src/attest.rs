//! The attestation file: what people state about controls the wire cannot see, with who said
//! it, when, and where the proof is. Kept in the plant folder beside `zones.toml`.
//!
//! ```toml
//! [[attestation]]
//! requirement = "SR 1.1"
//! scope = "zone:control"        # zone:ID, conduit:ID, or "all"
//! status = "implemented"        # implemented | partial | not-implemented | not-applicable | unknown
//! by = "A. Engineer"
//! date = "2026-11-30"
//! evidence = "AD group policy export, ticket OT-123"
//! compensating_control = "…"    # optional
//! reason = "…"                  # required for not-applicable
//! ```

use crate::{line_of, AttestedAnswer, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use toml::Spanned;
use zonewarden_catalog::{system_requirements, Evidence, ReqId};
use zonewarden_policy::Model;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttestedStatus {
    Implemented,
    Partial,
    NotImplemented,
    NotApplicable,
    /// Not answered yet (the template's default).
    Unknown,
}

impl AttestedStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            AttestedStatus::Implemented => "implemented",
            AttestedStatus::Partial => "partial",
            AttestedStatus::NotImplemented => "not-implemented",
            AttestedStatus::NotApplicable => "not-applicable",
            AttestedStatus::Unknown => "unknown",
        }
    }
    pub const fn as_status(self) -> Status {
        match self {
            AttestedStatus::Implemented => Status::Pass,
            AttestedStatus::Partial => Status::Partial,
            AttestedStatus::NotImplemented => Status::Fail,
            AttestedStatus::NotApplicable => Status::NotApplicable,
            AttestedStatus::Unknown => Status::Unknown,
        }
    }
}

/// Where an answer applies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    All,
    Zone(String),
    Conduit(String),
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::All => f.write_str("all"),
            Scope::Zone(z) => write!(f, "zone:{z}"),
            Scope::Conduit(c) => write!(f, "conduit:{c}"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    attestation: Vec<Spanned<RawAttestation>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttestation {
    requirement: Spanned<String>,
    scope: Spanned<String>,
    status: Spanned<String>,
    by: Option<String>,
    date: Option<String>,
    evidence: Option<String>,
    reason: Option<String>,
    compensating_control: Option<String>,
}

/// A problem in the attestation file, with its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct AttestationError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The answers, by (scope, requirement).
#[derive(Debug, Clone, Default)]
pub struct Attestations {
    pub path: String,
    answers: BTreeMap<(Scope, ReqId), AttestedAnswer>,
}

impl Attestations {
    /// Reads the file; every problem is reported (not only the first).
    pub fn parse(
        path: &str,
        text: &str,
        model: &Model,
    ) -> Result<Attestations, Vec<AttestationError>> {
        let err = |offset: usize, message: String| AttestationError {
            file: path.to_string(),
            line: line_of(text, offset),
            message,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            vec![err(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_string(),
            )]
        })?;
        let mut errors = Vec::new();
        let mut answers = BTreeMap::new();
        for entry in &raw.attestation {
            let a = entry.get_ref();
            let line = line_of(text, entry.span().start);
            let id = match a.requirement.get_ref().parse::<ReqId>() {
                Ok(id) if zonewarden_catalog::system_requirement(&id).is_some() => id,
                Ok(id) => {
                    errors.push(err(
                        a.requirement.span().start,
                        format!("{id} is not an IEC 62443-3-3 requirement"),
                    ));
                    continue;
                }
                Err(e) => {
                    errors.push(err(a.requirement.span().start, e.to_string()));
                    continue;
                }
            };
            let scope_text = a.scope.get_ref().as_str();
            let scope = if scope_text == "all" {
                Scope::All
            } else if let Some(z) = scope_text.strip_prefix("zone:") {
                if model.zone_index(z).is_none() {
                    errors.push(err(a.scope.span().start, format!("unknown zone {z:?}")));
                    continue;
                }
                Scope::Zone(z.to_string())
            } else if let Some(c) = scope_text.strip_prefix("conduit:") {
                if !model.conduits.iter().any(|k| k.id == c) {
                    errors.push(err(a.scope.span().start, format!("unknown conduit {c:?}")));
                    continue;
                }
                Scope::Conduit(c.to_string())
            } else {
                errors.push(err(
                    a.scope.span().start,
                    format!("scope {scope_text:?}: use zone:ID, conduit:ID or all"),
                ));
                continue;
            };
            let status = match a.status.get_ref().as_str() {
                "implemented" => AttestedStatus::Implemented,
                "partial" => AttestedStatus::Partial,
                "not-implemented" => AttestedStatus::NotImplemented,
                "not-applicable" => AttestedStatus::NotApplicable,
                "unknown" | "" => AttestedStatus::Unknown,
                other => {
                    errors.push(err(
                        a.status.span().start,
                        format!(
                            "status {other:?}: use implemented, partial, not-implemented, not-applicable or unknown"
                        ),
                    ));
                    continue;
                }
            };
            let nonempty = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
            if status == AttestedStatus::NotApplicable && nonempty(&a.reason).is_none() {
                errors.push(err(
                    a.status.span().start,
                    format!("{id}: not-applicable needs a reason"),
                ));
            }
            if matches!(
                status,
                AttestedStatus::Implemented | AttestedStatus::Partial
            ) && nonempty(&a.by).is_none()
            {
                errors.push(err(
                    a.status.span().start,
                    format!("{id}: say who attests it (by = \"…\")"),
                ));
            }
            let key = (scope, id);
            if answers.contains_key(&key) {
                errors.push(err(
                    entry.span().start,
                    format!("{id} for {} is answered twice", key.0),
                ));
                continue;
            }
            answers.insert(
                key,
                AttestedAnswer {
                    status,
                    by: nonempty(&a.by),
                    date: nonempty(&a.date),
                    evidence: nonempty(&a.evidence),
                    reason: nonempty(&a.reason),
                    compensating_control: nonempty(&a.compensating_control),
                    line,
                },
            );
        }
        if errors.is_empty() {
            Ok(Attestations {
                path: path.to_string(),
                answers,
            })
        } else {
            Err(errors)
        }
    }

    /// The answer for a requirement in a zone or conduit: the scope's own, else `all`.
    pub fn answer(&self, scope: &Scope, id: &ReqId) -> Option<&AttestedAnswer> {
        self.answers
            .get(&(scope.clone(), *id))
            .or_else(|| self.answers.get(&(Scope::All, *id)))
    }

    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// Every answer with its scope and requirement.
    pub fn iter(&self) -> impl Iterator<Item = (&Scope, &ReqId, &AttestedAnswer)> {
        self.answers.iter().map(|((s, id), a)| (s, id, a))
    }

    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }

    /// Adds or replaces an answer (tests, and carrying answers forward).
    pub fn insert(&mut self, scope: Scope, id: ReqId, answer: AttestedAnswer) {
        self.answers.insert((scope, id), answer);
    }
}

fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The questions each zone's and conduit's SL-T asks that traffic cannot settle alone:
/// requirements whose evidence is configuration or manual, and network ones (traffic shows
/// gaps, rarely that a control is in place). Answers already given in `previous` are kept,
/// so a new assessment starts from the last one's answers.
pub fn template(model: &Model, previous: Option<&Attestations>) -> String {
    let mut out = String::new();
    out.push_str(
        "# attestations.toml — what the wire cannot see, stated by the people who know.\n\
         # One entry per requirement that a zone's or conduit's SL-T asks for. Fill in status\n\
         # (implemented | partial | not-implemented | not-applicable | unknown), who (by), when\n\
         # (date), and where the proof is (evidence); not-applicable needs a reason; a\n\
         # compensating_control may be named. Traffic that shows a gap outranks an answer.\n\
         # Written by `zonewarden assess template`; answers already given were kept.\n",
    );
    let scopes: Vec<(Scope, String, [u8; 7], bool)> = model
        .zones
        .iter()
        .map(|z| {
            (
                Scope::Zone(z.id.clone()),
                z.name.clone().unwrap_or_else(|| z.id.clone()),
                z.sl_t.0,
                false,
            )
        })
        .chain(model.conduits.iter().map(|c| {
            (
                Scope::Conduit(c.id.clone()),
                c.name.clone().unwrap_or_else(|| c.id.clone()),
                c.sl_t.0,
                true,
            )
        }))
        .collect();
    let mut written: std::collections::BTreeSet<(Scope, ReqId)> = std::collections::BTreeSet::new();
    for (scope, name, sl_t, conduit) in scopes {
        let _ = writeln!(
            out,
            "\n# ---- {scope}: {name} (SL-T {}) ----",
            sl_t.map(|l| l.to_string()).join(" ")
        );
        for r in system_requirements() {
            let target = sl_t
                .get(usize::from(r.fr.saturating_sub(1)))
                .copied()
                .unwrap_or(0);
            // Conduit requirements (integrity and confidentiality in transit, boundary
            // protection…) are asked on the conduits; a zone takes them from its conduits.
            if !r.required_at(target) || crate::applies_to_conduits(&r.id) != conduit {
                continue;
            }
            // A blank earlier answer is asked again as a blank question.
            let previous_answer = previous.and_then(|p| p.answer(&scope, &r.id)).filter(|a| {
                a.status != AttestedStatus::Unknown || a.by.is_some() || a.evidence.is_some()
            });
            out.push('\n');
            let _ = writeln!(
                out,
                "# {} — {} (FR{}, from SL {}). Evidence: {}. {}",
                r.id,
                r.title,
                r.fr,
                r.min_level().unwrap_or(0),
                match r.evidence {
                    Evidence::Network => "traffic shows gaps",
                    Evidence::Config => "configuration",
                    Evidence::Manual => "documents or people",
                },
                r.how
            );
            written.insert((scope.clone(), r.id));
            out.push_str("[[attestation]]\n");
            let _ = writeln!(out, "requirement = {}", quote(&r.id.to_string()));
            let _ = writeln!(out, "scope = {}", quote(&scope.to_string()));
            match previous_answer {
                Some(a) => {
                    let _ = writeln!(out, "status = {}", quote(a.status.as_str()));
                    for (key, value) in [
                        ("by", &a.by),
                        ("date", &a.date),
                        ("evidence", &a.evidence),
                        ("reason", &a.reason),
                        ("compensating_control", &a.compensating_control),
                    ] {
                        if let Some(v) = value {
                            let _ = writeln!(out, "{key} = {}", quote(v));
                        }
                    }
                }
                None => {
                    out.push_str("status = \"unknown\"\nby = \"\"\ndate = \"\"\nevidence = \"\"\n");
                }
            }
        }
    }
    // Answers to questions no longer asked (the SL-T went down, an `all` answer) are kept:
    // they still count, and nobody's work is thrown away.
    let mut kept = String::new();
    for (scope, id, a) in previous.into_iter().flat_map(Attestations::iter) {
        let asked_here = written.contains(&(scope.clone(), *id));
        let answered =
            a.status != AttestedStatus::Unknown || a.by.is_some() || a.evidence.is_some();
        if asked_here || !answered {
            continue;
        }
        let _ = writeln!(kept, "\n[[attestation]]");
        let _ = writeln!(kept, "requirement = {}", quote(&id.to_string()));
        let _ = writeln!(kept, "scope = {}", quote(&scope.to_string()));
        let _ = writeln!(kept, "status = {}", quote(a.status.as_str()));
        for (key, value) in [
            ("by", &a.by),
            ("date", &a.date),
            ("evidence", &a.evidence),
            ("reason", &a.reason),
            ("compensating_control", &a.compensating_control),
        ] {
            if let Some(v) = value {
                let _ = writeln!(kept, "{key} = {}", quote(v));
            }
        }
    }
    if !kept.is_empty() {
        out.push_str(
            "\n# ---- answers kept from the previous file (not asked by the current SL-T) ----\n",
        );
        out.push_str(&kept);
    }
    out
}
