//! From observed findings and attested answers to per-zone and per-conduit results.

use crate::attest::{Attestations, Scope};
use crate::rules::{observe, Inputs};
use crate::{
    achieved_levels, applies_to_conduits, combine, gaps, remediate, Assessment, Finding, FrLevels,
    InputFiles, Provenance, RequirementResult, ScopeKind, ScopeResult, Status,
};
use std::collections::BTreeMap;
use zonewarden_catalog::{system_requirements, ReqId, SystemRequirement};

/// A result a zone takes from its conduits.
type Inherited = Option<(Status, Provenance, Finding)>;

fn targets(sl_t: &zonewarden_policy::model::SlVector, only_conduit: bool) -> FrLevels {
    let mut out = [None; 7];
    for (fr, slot) in (1u8..=7).zip(out.iter_mut()) {
        let any = system_requirements()
            .iter()
            .any(|r| r.fr == fr && (!only_conduit || applies_to_conduits(&r.id)));
        if any {
            *slot = Some(sl_t.fr(usize::from(fr)));
        }
    }
    FrLevels(out)
}

const CRITICALITIES: [&str; 4] = ["low", "medium", "high", "critical"];

fn higher(a: &str, b: &str) -> String {
    let rank = |c: &str| CRITICALITIES.iter().position(|x| *x == c).unwrap_or(1);
    if rank(a) >= rank(b) { a } else { b }.to_string()
}

/// One scope's requirement results from its findings and answers; `inherited` adds
/// results of other scopes (a zone takes conduit requirements from its conduits).
fn results(
    scope: &Scope,
    target: &FrLevels,
    observed: &BTreeMap<(Scope, ReqId), Vec<Finding>>,
    attestations: Option<&Attestations>,
    applicable: &dyn Fn(&SystemRequirement) -> bool,
    inherited: &dyn Fn(&ReqId) -> Inherited,
) -> Vec<RequirementResult> {
    let mut out = Vec::new();
    for r in system_requirements().iter().filter(|r| applicable(r)) {
        let mut findings = observed
            .get(&(scope.clone(), r.id))
            .cloned()
            .unwrap_or_default();
        let answer = attestations.and_then(|a| a.answer(scope, &r.id)).cloned();
        let (mut status, mut provenance, note) = combine(&findings, answer.as_ref());
        if status == Status::Unknown {
            if let Some((s, p, f)) = inherited(&r.id) {
                status = s;
                provenance = p;
                findings.push(f);
            }
        }
        let asked = r.required_at(target.get(r.fr).unwrap_or(0));
        if !asked && findings.is_empty() && answer.is_none() {
            continue;
        }
        out.push(RequirementResult {
            id: r.id,
            title: r.title.clone(),
            fr: r.fr,
            min_level: r.min_level(),
            status,
            provenance,
            evidence: findings,
            attestation: answer,
            note,
        });
    }
    out
}

fn levels_of(
    requirements: &[RequirementResult],
    applicable: &dyn Fn(&SystemRequirement) -> bool,
) -> FrLevels {
    let statuses: BTreeMap<ReqId, Status> = requirements.iter().map(|r| (r.id, r.status)).collect();
    achieved_levels(&statuses, applicable)
}

/// The assessment of a plant.
pub fn assess(
    inputs: &Inputs<'_>,
    attestations: Option<&Attestations>,
    files: InputFiles,
) -> Assessment {
    let model = inputs.model;
    let observed = observe(inputs);
    let conduit_only = |r: &SystemRequirement| applies_to_conduits(&r.id);
    let mut conduits = Vec::new();
    for c in &model.conduits {
        let scope = Scope::Conduit(c.id.clone());
        let target = targets(&c.sl_t, true);
        let requirements = results(
            &scope,
            &target,
            &observed,
            attestations,
            &conduit_only,
            &|_| None,
        );
        let sl_a = levels_of(&requirements, &conduit_only);
        let criticality = c
            .zones
            .iter()
            .filter_map(|&z| model.zone(z))
            .map(|z| z.criticality.clone().unwrap_or_else(|| "medium".into()))
            .fold("low".to_string(), |acc, x| higher(&acc, &x));
        conduits.push(ScopeResult {
            id: c.id.clone(),
            kind: ScopeKind::Conduit,
            name: c.name.clone(),
            criticality,
            assets: 0,
            sl_t: target,
            gap: gaps(&target, &sl_a),
            sl_a,
            sl_c: None,
            capability: None,
            requirements,
        });
    }
    let mut zones = Vec::new();
    for (zi, z) in model.zones.iter().enumerate() {
        let scope = Scope::Zone(z.id.clone());
        let target = targets(&z.sl_t, false);
        let touching: Vec<&ScopeResult> = model
            .conduits
            .iter()
            .zip(&conduits)
            .filter(|(c, _)| c.zones.contains(&zi))
            .map(|(_, r)| r)
            .collect();
        // A zone's conduit requirements are as good as its worst conduit's.
        let inherited = |id: &ReqId| -> Inherited {
            if !applies_to_conduits(id) || touching.is_empty() {
                return None;
            }
            let per: Vec<(&str, Status, Provenance)> = touching
                .iter()
                .map(|c| {
                    c.requirements
                        .iter()
                        .find(|r| r.id == *id)
                        .map_or((c.id.as_str(), Status::Unknown, Provenance::Unknown), |r| {
                            (c.id.as_str(), r.status, r.provenance)
                        })
                })
                .collect();
            let (_, worst, provenance) =
                per.iter()
                    .copied()
                    .reduce(|a, b| if Status::worst(a.1, b.1) == a.1 { a } else { b })?;
            let summary = per
                .iter()
                .map(|(c, s, _)| format!("conduit {c}: {}", s.as_str()))
                .collect::<Vec<_>>()
                .join("; ");
            Some((
                worst,
                provenance,
                Finding {
                    rule: "conduits".into(),
                    status: worst,
                    summary,
                    assets: Vec::new(),
                    flows: Vec::new(),
                    captures: Vec::new(),
                },
            ))
        };
        let requirements = results(
            &scope,
            &target,
            &observed,
            attestations,
            &|_| true,
            &inherited,
        );
        let sl_a = levels_of(&requirements, &|_| true);
        let capability = inputs.components.and_then(|c| {
            crate::components::zone_capability(c, model, inputs.resolution, zi, &target)
        });
        zones.push(ScopeResult {
            id: z.id.clone(),
            kind: ScopeKind::Zone,
            name: z.name.clone(),
            criticality: z.criticality.clone().unwrap_or_else(|| "medium".into()),
            assets: inputs.resolution.members_of(zi).count(),
            sl_t: target,
            gap: gaps(&target, &sl_a),
            sl_a,
            sl_c: capability.as_ref().map(crate::components::zone_sl_c),
            capability,
            requirements,
        });
    }
    let all: Vec<&ScopeResult> = zones.iter().chain(conduits.iter()).collect();
    let remediation = remediate::plan(&all);
    Assessment {
        version: 1,
        plant: model.plant.clone(),
        as_of: inputs.as_of.map(|t| t.to_string()),
        inputs: files,
        zones,
        conduits,
        remediation,
        risk: None,
    }
}
