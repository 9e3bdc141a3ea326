//! The IEC 62443-3-2 risk assessment (ZCR 1–7) on the same evidence as the 3-3 assessment.
//!
//! The plant folder's `risk.toml` (optional; `zonewarden assess risk-template` writes one)
//! names the system under consideration (ZCR 1), sets the consequence × likelihood matrix
//! with its tolerable-risk line, may override each zone's consequence and likelihood, and
//! holds the approval (ZCR 7). Without it, consequence follows zone criticality and the
//! defaults below apply.
//!
//! Per zone (ZCR 2 and 5): initial risk = consequence × initial likelihood (4, "likely",
//! when traffic from other zones or unauthenticated industrial protocols reach the zone; 3
//! otherwise). For each threat of the built-in list (ATT&CK for ICS techniques with the
//! 3-3 requirements that counter them), the residual likelihood is the initial likelihood
//! lowered by `floor(3 × share of its countermeasures met in the zone)`, at least 1; the
//! zone's residual risk is consequence × the highest residual likelihood of its threats.
//! Risk above the tolerable line needs the zone's SL-T met (ZCR 6: the documented
//! requirements are the zone's SL-T and the unmet SRs).

use crate::{line_of, Assessment, ScopeKind, ScopeResult};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use toml::Spanned;
use zonewarden_catalog::ReqId;

/// A threat of the built-in list.
#[derive(Debug, Clone, Copy)]
pub struct Threat {
    /// ATT&CK for ICS technique.
    pub technique: &'static str,
    pub name: &'static str,
    /// 3-3 requirements that counter it.
    pub countermeasures: &'static [&'static str],
}

/// Threats to industrial zones, each with the countermeasures that reduce its likelihood.
pub const THREATS: [Threat; 14] = [
    Threat {
        technique: "T0855",
        name: "Unauthorized command message",
        countermeasures: &["SR 1.2", "SR 2.1", "SR 3.1", "SR 5.2"],
    },
    Threat {
        technique: "T0843",
        name: "Program download",
        countermeasures: &["SR 1.2", "SR 2.1", "SR 3.4", "SR 5.2"],
    },
    Threat {
        technique: "T0858",
        name: "Change operating mode (PLC stop)",
        countermeasures: &["SR 1.2", "SR 2.1", "SR 5.2", "SR 6.2"],
    },
    Threat {
        technique: "T0836",
        name: "Modify parameter",
        countermeasures: &["SR 1.2", "SR 2.1", "SR 3.1", "SR 6.2"],
    },
    Threat {
        technique: "T0857",
        name: "System firmware",
        countermeasures: &["SR 1.2", "SR 2.1", "SR 3.4", "SR 7.7"],
    },
    Threat {
        technique: "T0830",
        name: "Adversary-in-the-middle",
        countermeasures: &["SR 1.2", "SR 3.1", "SR 4.1", "SR 5.1"],
    },
    Threat {
        technique: "T0842",
        name: "Network sniffing",
        countermeasures: &["SR 1.5", "SR 4.1", "SR 5.1"],
    },
    Threat {
        technique: "T0812",
        name: "Default credentials",
        countermeasures: &["SR 1.1", "SR 1.5", "SR 1.7"],
    },
    Threat {
        technique: "T0886",
        name: "Remote services",
        countermeasures: &["SR 1.1", "SR 1.13", "SR 5.1", "SR 7.7"],
    },
    Threat {
        technique: "T0883",
        name: "Internet accessible device",
        countermeasures: &["SR 1.13", "SR 5.1", "SR 5.2"],
    },
    Threat {
        technique: "T0867",
        name: "Lateral tool transfer",
        countermeasures: &["SR 3.2", "SR 5.1", "SR 5.3", "SR 7.7"],
    },
    Threat {
        technique: "T0814",
        name: "Denial of service",
        countermeasures: &["SR 5.1", "SR 7.1", "SR 7.2"],
    },
    Threat {
        technique: "T0832",
        name: "Manipulation of view",
        countermeasures: &["SR 3.1", "SR 6.2", "SR 2.8"],
    },
    Threat {
        technique: "T0846",
        name: "Remote system discovery",
        countermeasures: &["SR 5.1", "SR 6.2", "SR 7.7"],
    },
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix {
    /// Risk = consequence × likelihood (1–5 each); at or below this it is tolerable.
    pub tolerable: u8,
    pub consequence_labels: Vec<String>,
    pub likelihood_labels: Vec<String>,
}

impl Default for Matrix {
    fn default() -> Self {
        Matrix {
            tolerable: 6,
            consequence_labels: ["negligible", "minor", "moderate", "major", "catastrophic"]
                .map(String::from)
                .to_vec(),
            likelihood_labels: ["rare", "unlikely", "possible", "likely", "almost certain"]
                .map(String::from)
                .to_vec(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct System {
    pub name: Option<String>,
    pub boundary: Option<String>,
    #[serde(default)]
    pub access_points: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub by: Option<String>,
    pub role: Option<String>,
    pub date: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    matrix: Option<RawMatrix>,
    #[serde(default)]
    system: System,
    #[serde(default)]
    zone: Vec<Spanned<RawZone>>,
    #[serde(default)]
    approval: Approval,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatrix {
    tolerable: Spanned<i64>,
    consequence_labels: Option<Vec<String>>,
    likelihood_labels: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZone {
    id: Spanned<String>,
    consequence: Option<Spanned<i64>>,
    likelihood: Option<Spanned<i64>>,
    rationale: Option<String>,
}

/// What the risk file says about one zone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZoneOverride {
    pub zone: String,
    pub consequence: Option<u8>,
    pub likelihood: Option<u8>,
    pub rationale: Option<String>,
}

/// The risk file, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RiskFile {
    pub matrix: Matrix,
    pub system: System,
    pub zones: Vec<ZoneOverride>,
    pub approval: Approval,
}

impl RiskFile {
    pub fn parse(
        path: &str,
        text: &str,
        model: &zonewarden_policy::Model,
    ) -> Result<RiskFile, Vec<String>> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            vec![format!(
                "{path}:{}: {}",
                line_of(text, e.span().map_or(0, |s| s.start)),
                e.message().trim()
            )]
        })?;
        let mut errors = Vec::new();
        let scale = |v: &Spanned<i64>, what: &str, errors: &mut Vec<String>| -> Option<u8> {
            match u8::try_from(*v.get_ref()) {
                Ok(n) if (1..=5).contains(&n) => Some(n),
                _ => {
                    errors.push(format!(
                        "{path}:{}: {what} {} is outside 1-5",
                        line_of(text, v.span().start),
                        v.get_ref()
                    ));
                    None
                }
            }
        };
        let mut matrix = Matrix::default();
        if let Some(m) = raw.matrix {
            match u8::try_from(*m.tolerable.get_ref()) {
                Ok(t) if (1..=25).contains(&t) => matrix.tolerable = t,
                _ => errors.push(format!(
                    "{path}:{}: tolerable risk {} is outside 1-25",
                    line_of(text, m.tolerable.span().start),
                    m.tolerable.get_ref()
                )),
            }
            if let Some(l) = m.consequence_labels {
                matrix.consequence_labels = l;
            }
            if let Some(l) = m.likelihood_labels {
                matrix.likelihood_labels = l;
            }
            if matrix.consequence_labels.len() != 5 || matrix.likelihood_labels.len() != 5 {
                errors.push(format!("{path}: the matrix labels are five per axis"));
            }
        }
        let mut zones = Vec::new();
        for z in &raw.zone {
            let r = z.get_ref();
            if model.zone_index(r.id.get_ref()).is_none() {
                errors.push(format!(
                    "{path}:{}: unknown zone {:?}",
                    line_of(text, r.id.span().start),
                    r.id.get_ref()
                ));
                continue;
            }
            let c = r
                .consequence
                .as_ref()
                .and_then(|v| scale(v, "consequence", &mut errors));
            let l = r
                .likelihood
                .as_ref()
                .and_then(|v| scale(v, "likelihood", &mut errors));
            let rationale = r.rationale.clone().filter(|t| !t.trim().is_empty());
            zones.push(ZoneOverride {
                zone: r.id.get_ref().clone(),
                consequence: c,
                likelihood: l,
                rationale,
            });
        }
        let blank = |v: Option<String>| v.filter(|t| !t.trim().is_empty());
        let system = System {
            name: blank(raw.system.name),
            boundary: blank(raw.system.boundary),
            access_points: raw.system.access_points,
        };
        let approval = Approval {
            by: blank(raw.approval.by),
            role: blank(raw.approval.role),
            date: blank(raw.approval.date),
        };
        if errors.is_empty() {
            Ok(RiskFile {
                matrix,
                system,
                zones,
                approval,
            })
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreatRisk {
    pub technique: String,
    pub name: String,
    pub countermeasures_met: Vec<String>,
    pub countermeasures_missing: Vec<String>,
    pub residual_likelihood: u8,
    pub residual_risk: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneRisk {
    pub zone: String,
    pub consequence: u8,
    pub initial_likelihood: u8,
    pub initial_risk: u8,
    pub residual_likelihood: u8,
    pub residual_risk: u8,
    pub tolerable: bool,
    /// Why: the file's rationale, or how the defaults were chosen.
    pub rationale: String,
    /// Gaps the traffic shows that raise the likelihood (vulnerabilities, ZCR 5.3).
    pub vulnerabilities: Vec<String>,
    pub threats: Vec<ThreatRisk>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskAssessment {
    pub matrix: Matrix,
    pub system: System,
    pub zones: Vec<ZoneRisk>,
    pub approval: Approval,
}

fn consequence_of(criticality: &str) -> u8 {
    match criticality {
        "critical" => 5,
        "high" => 4,
        "medium" => 3,
        _ => 2,
    }
}

fn met(zone: &ScopeResult, id: &str) -> bool {
    id.parse::<ReqId>().ok().is_some_and(|rid| {
        zone.requirements
            .iter()
            .any(|r| r.id == rid && r.status.is_met())
    })
}

/// The risk assessment of the zones of an assessment.
pub fn assess_risk(a: &Assessment, file: Option<&RiskFile>) -> RiskAssessment {
    let default = RiskFile::default();
    let file = file.unwrap_or(&default);
    let mut zones = Vec::new();
    for z in a.zones.iter().filter(|z| z.kind == ScopeKind::Zone) {
        let overrides = file.zones.iter().find(|o| o.zone == z.id);
        let vulnerabilities: Vec<String> = z
            .requirements
            .iter()
            .filter(|r| {
                r.status == crate::Status::Fail && r.provenance == crate::Provenance::Observed
            })
            .flat_map(|r| {
                r.evidence
                    .iter()
                    .filter(|f| f.status == crate::Status::Fail && f.rule != "conduits")
                    .map(move |f| format!("{}: {}", r.id, f.summary))
            })
            .collect();
        let exposed = !vulnerabilities.is_empty()
            || z.requirements.iter().any(|r| {
                r.evidence.iter().any(|f| {
                    f.rule == "unauthenticated-industrial"
                        || (f.rule == "conduits"
                            && matches!(f.status, crate::Status::Fail | crate::Status::Partial))
                })
            });
        let consequence = overrides
            .and_then(|o| o.consequence)
            .unwrap_or_else(|| consequence_of(&z.criticality));
        let initial_likelihood =
            overrides
                .and_then(|o| o.likelihood)
                .unwrap_or(if exposed { 4 } else { 3 });
        let rationale = overrides.and_then(|o| o.rationale.clone()).unwrap_or_else(|| {
            format!(
                "consequence from zone criticality {}; likelihood {} because {}",
                z.criticality,
                initial_likelihood,
                if exposed {
                    "traffic shows the zone reachable (conduits, unauthenticated protocols or gaps)"
                } else {
                    "no exposure was seen in the traffic"
                }
            )
        });
        let mut threats = Vec::new();
        for t in THREATS {
            let (yes, no): (Vec<&str>, Vec<&str>) =
                t.countermeasures.iter().partition(|id| met(z, id));
            let share = yes.len() as f64 / t.countermeasures.len().max(1) as f64;
            let lowered = (3.0 * share).floor() as u8;
            let residual_likelihood = initial_likelihood.saturating_sub(lowered).max(1);
            threats.push(ThreatRisk {
                technique: t.technique.to_string(),
                name: t.name.to_string(),
                countermeasures_met: yes.iter().map(|s| s.to_string()).collect(),
                countermeasures_missing: no.iter().map(|s| s.to_string()).collect(),
                residual_likelihood,
                residual_risk: consequence * residual_likelihood,
            });
        }
        let residual_likelihood = threats
            .iter()
            .map(|t| t.residual_likelihood)
            .max()
            .unwrap_or(initial_likelihood);
        let residual_risk = consequence * residual_likelihood;
        zones.push(ZoneRisk {
            zone: z.id.clone(),
            consequence,
            initial_likelihood,
            initial_risk: consequence * initial_likelihood,
            residual_likelihood,
            residual_risk,
            tolerable: residual_risk <= file.matrix.tolerable,
            rationale,
            vulnerabilities,
            threats,
        });
    }
    RiskAssessment {
        matrix: file.matrix.clone(),
        system: file.system.clone(),
        zones,
        approval: file.approval.clone(),
    }
}

/// A commented `risk.toml` for the model's zones, with the defaults filled in.
pub fn template(model: &zonewarden_policy::Model) -> String {
    let mut out = String::from(
        "# risk.toml — the IEC 62443-3-2 risk assessment inputs (ZCR 1, 2, 5, 7).\n\
         # Risk = consequence × likelihood, each 1 (lowest) to 5; `tolerable` is the line.\n\
         # Zones left out take consequence from their criticality and likelihood from what the\n\
         # traffic shows. `zonewarden assess` reports initial and residual risk per zone.\n\n\
         [matrix]\ntolerable = 6\n\
         consequence_labels = [\"negligible\", \"minor\", \"moderate\", \"major\", \"catastrophic\"]\n\
         likelihood_labels = [\"rare\", \"unlikely\", \"possible\", \"likely\", \"almost certain\"]\n\n\
         # ZCR 1: the system under consideration.\n[system]\n",
    );
    let _ = writeln!(
        out,
        "name = \"{}\"\nboundary = \"\"\naccess_points = []\n",
        model
            .plant
            .as_deref()
            .unwrap_or("")
            .replace(['"', '\\'], "")
    );
    for z in &model.zones {
        let _ = writeln!(
            out,
            "[[zone]]\nid = \"{}\"\nconsequence = {}\n# likelihood = 3\nrationale = \"\"\n",
            z.id,
            consequence_of(z.criticality.as_deref().unwrap_or("medium"))
        );
    }
    out.push_str(
        "# ZCR 7: approval by the asset owner.\n[approval]\nby = \"\"\nrole = \"\"\ndate = \"\"\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FrLevels, RequirementResult, Status};

    fn zone(met: &[&str], criticality: &str) -> ScopeResult {
        ScopeResult {
            id: "z".into(),
            kind: ScopeKind::Zone,
            name: None,
            criticality: criticality.into(),
            assets: 1,
            sl_t: FrLevels::default(),
            sl_a: FrLevels::default(),
            gap: FrLevels::default(),
            sl_c: None,
            capability: None,
            requirements: met
                .iter()
                .map(|id| RequirementResult {
                    id: id.parse().unwrap(),
                    title: String::new(),
                    fr: 1,
                    min_level: Some(1),
                    status: Status::Pass,
                    provenance: crate::Provenance::Attested,
                    evidence: Vec::new(),
                    attestation: None,
                    note: None,
                })
                .collect(),
        }
    }

    fn assessment(z: ScopeResult) -> Assessment {
        Assessment {
            version: 1,
            plant: None,
            as_of: None,
            inputs: crate::InputFiles {
                components: None,
                model: crate::InputFile {
                    path: "zones.toml".into(),
                    sha256: String::new(),
                },
                attestations: None,
                risk: None,
                captures: Vec::new(),
            },
            zones: vec![z],
            conduits: Vec::new(),
            remediation: Vec::new(),
            risk: None,
        }
    }

    #[test]
    fn countermeasures_lower_the_residual_likelihood() {
        // Nothing met: residual = initial = high criticality 4 × unexposed 3.
        let r = assess_risk(&assessment(zone(&[], "high")), None);
        let z = &r.zones[0];
        assert_eq!(
            (z.consequence, z.initial_likelihood, z.initial_risk),
            (4, 3, 12)
        );
        assert_eq!(z.residual_risk, 12);
        assert!(!z.tolerable);
        // Every countermeasure of every threat met: each threat drops by 3 → likelihood 1.
        let all: Vec<&str> = THREATS
            .iter()
            .flat_map(|t| t.countermeasures.iter().copied())
            .collect();
        let r = assess_risk(&assessment(zone(&all, "high")), None);
        let z = &r.zones[0];
        assert_eq!((z.residual_likelihood, z.residual_risk), (1, 4));
        assert!(z.tolerable);
        assert!(z
            .threats
            .iter()
            .all(|t| t.countermeasures_missing.is_empty()));
        // Meeting a countermeasure never raises any threat's residual risk.
        let some = assess_risk(&assessment(zone(&["SR 5.1", "SR 1.2"], "high")), None);
        for (a, b) in some.zones[0]
            .threats
            .iter()
            .zip(&assess_risk(&assessment(zone(&[], "high")), None).zones[0].threats)
        {
            assert!(a.residual_risk <= b.residual_risk);
        }
    }

    #[test]
    fn the_file_overrides_consequence_likelihood_and_the_line() {
        let model = zonewarden_policy::parse(
            "zones.toml",
            "[[zone]]\nid = \"z\"\nmembers = [\"10.0.0.0/24\"]\n",
        )
        .unwrap();
        let file = RiskFile::parse(
            "risk.toml",
            "[matrix]\ntolerable = 12\n[system]\nname = \"Line 1\"\n[[zone]]\nid = \"z\"\nconsequence = 5\nlikelihood = 2\nrationale = \"SIS behind it\"\n",
            &model,
        )
        .unwrap();
        let r = assess_risk(&assessment(zone(&[], "low")), Some(&file));
        let z = &r.zones[0];
        assert_eq!(
            (z.consequence, z.initial_likelihood, z.initial_risk),
            (5, 2, 10)
        );
        assert!(z.tolerable, "10 ≤ 12");
        assert_eq!(z.rationale, "SIS behind it");
        assert_eq!(r.system.name.as_deref(), Some("Line 1"));
        let errors = RiskFile::parse(
            "risk.toml",
            "[[zone]]\nid = \"nowhere\"\n\n[[zone]]\nid = \"z\"\nconsequence = 9\n",
            &model,
        )
        .unwrap_err();
        assert!(errors[0].starts_with("risk.toml:2:"), "{errors:?}");
        assert!(
            errors[1].starts_with("risk.toml:6:") && errors[1].contains("outside 1-5"),
            "{errors:?}"
        );
        // The template parses and covers every zone.
        let t = RiskFile::parse("risk.toml", &template(&model), &model).unwrap();
        assert_eq!(t.zones.len(), 1);
    }
}
