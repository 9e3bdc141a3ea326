//! The assessment as an OSCAL 1.1 `assessment-results` document (NIST OSCAL, JSON).
//!
//! One result holds the whole assessment: `reviewed-controls` lists the IEC 62443-3-3
//! requirements assessed, each piece of evidence becomes an observation (traffic: `TEST`;
//! an attested answer: `EXAMINE` when it names its evidence, `INTERVIEW` when it does not),
//! each requirement in each zone or conduit becomes a finding, and each ranked remediation
//! step a risk with a recommended response. OSCAL knows only `satisfied` and
//! `not-satisfied`: pass and not-applicable are satisfied, fail, partial and unknown are not,
//! and a `status` property in zonewarden's namespace ([`NS`]) keeps the exact status.
//! Zones and conduits are components of the result's local definitions, the devices named by
//! evidence are inventory items, and the input files (model, attestations, captures) are
//! back-matter resources with their SHA-256.
//!
//! The output is deterministic: no clock and no random numbers. Times are the assessment's
//! "as of" (the newest packet); UUIDs are name-based (SHA-256 of a name, shaped as a version 5
//! UUID). Findings, observations, risks and components are named by plant, scope and
//! requirement, so they keep their UUIDs from one assessment of a plant to the next; the
//! document and the result are named by the input files' hashes as well. The mapping is
//! documented in docs/assessment.md ("OSCAL").

use crate::attest::AttestedStatus;
use crate::{
    Assessment, AttestedAnswer, Finding, FrLevels, Provenance, RequirementResult, ScopeKind,
    ScopeResult, Status,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use zonewarden_catalog::ReqId;

/// The OSCAL version the document declares.
pub const OSCAL_VERSION: &str = "1.1.2";

/// Namespace of zonewarden's own property names. `.invalid` (RFC 2606) can never resolve:
/// it names, it does not locate.
pub const NS: &str = "https://zonewarden.invalid/ns/oscal";

/// The catalog the control ids refer to.
pub const CATALOG: &str = "IEC 62443-3-3";

/// The time written when the assessment has no usable "as of" (no packet was read).
const FALLBACK_TIME: &str = "1970-01-01T00:00:00Z";

/// The OSCAL-style control id of a requirement: `SR 1.1` → `sr-1.1`,
/// `SR 1.1 RE(1)` → `sr-1.1_re-1`.
pub fn control_id(id: &ReqId) -> String {
    let mut out = format!("{}-{}", id.doc().prefix().to_ascii_lowercase(), id.major());
    if let Some(minor) = id.minor() {
        let _ = write!(out, ".{minor}");
    }
    if let Some(re) = id.re() {
        let _ = write!(out, "_re-{re}");
    }
    out
}

/// The assessment as an OSCAL `assessment-results` document.
pub fn to_oscal(a: &Assessment) -> Value {
    let time = a
        .as_of
        .as_deref()
        .filter(|t| is_oscal_datetime(t))
        .unwrap_or(FALLBACK_TIME);
    let ids = Ids::new(a);
    let resources = Resources::new(a, &ids);
    let scopes: Vec<Scope<'_>> = numbered(&a.zones, "zone")
        .chain(numbered(&a.conduits, "conduit"))
        .map(|(result, group)| Scope::new(result, group, &ids))
        .collect();
    let assets = inventory(a, &ids);

    let mut observations = Vec::new();
    let mut findings = Vec::new();
    let (risks, risks_of) = risks(a, &ids);
    for scope in &scopes {
        for r in &scope.result.requirements {
            let related = observe(r, scope, &assets, &resources, time, &ids, &mut observations);
            let risk_uuids: Vec<Value> = risks_of
                .get(&(scope.kind, scope.result.id.clone(), r.id))
                .into_iter()
                .flatten()
                .map(|uuid| obj([("risk-uuid", s(uuid))]))
                .collect();
            findings.push(finding(r, scope, related, risk_uuids, &ids));
        }
    }

    let assessed: BTreeSet<ReqId> = scopes
        .iter()
        .flat_map(|s| s.result.requirements.iter().map(|r| r.id))
        .collect();
    let include: Vec<Value> = assessed
        .iter()
        .map(|id| obj([("control-id", s(&control_id(id)))]))
        .collect();
    let catalog_props = arr(vec![
        prop("catalog", CATALOG),
        prop("catalog-edition", "2013"),
    ]);
    let reviewed = obj([
        (
            "description",
            s("The IEC 62443-3-3 system requirements (SR) and requirement enhancements (RE) that \
               the zones' and conduits' SL-T ask for, and any other with evidence. Control ids \
               are written sr-N.M and sr-N.M_re-K."),
        ),
        ("props", catalog_props.clone()),
        (
            "control-selections",
            arr(vec![obj([
                (
                    "description",
                    s(if include.is_empty() {
                        "No requirement was assessed."
                    } else {
                        "Requirements assessed in at least one zone or conduit."
                    }),
                ),
                ("props", catalog_props),
                (
                    "links",
                    arr(vec![obj([
                        ("href", s(&format!("#{}", resources.catalog))),
                        ("rel", s("reference")),
                        ("text", s("IEC 62443-3-3:2013")),
                    ])]),
                ),
                ("include-controls", arr(include)),
            ])]),
        ),
    ]);

    let [fail, partial, unknown, met] = status_counts(&scopes);
    let plant = a.plant.as_deref().and_then(clean);
    let title = match &plant {
        Some(p) => format!("IEC 62443-3-3 assessment results: {p}"),
        None => "IEC 62443-3-3 assessment results".to_string(),
    };
    let result = obj([
        ("uuid", s(&ids.document(a, time, "result"))),
        ("title", s(&title)),
        (
            "description",
            s(&format!(
                "{} zone(s) and {} conduit(s) assessed against IEC 62443-3-3 from traffic and \
                 attestations: {} requirement result(s), {} fail, {} partial, {} unknown, {} met \
                 (pass or not applicable).",
                a.zones.len(),
                a.conduits.len(),
                fail + partial + unknown + met,
                fail,
                partial,
                unknown,
                met
            )),
        ),
        ("start", s(time)),
        ("end", s(time)),
        ("props", arr(scopes.iter().flat_map(Scope::level_props))),
        (
            "local-definitions",
            Some(obj([
                ("components", arr(scopes.iter().map(Scope::component))),
                (
                    "inventory-items",
                    arr(assets.iter().map(|(id, uuid)| {
                        obj([
                            ("uuid", s(uuid)),
                            ("description", s(&format!("Device {id} of the inventory."))),
                            ("props", arr(vec![prop("asset-id", id)])),
                        ])
                    })),
                ),
            ])),
        ),
        ("reviewed-controls", Some(reviewed)),
        ("observations", arr(observations)),
        ("risks", arr(risks)),
        ("findings", arr(findings)),
        (
            "remarks",
            s(&format!(
                "Start and end are the time of the newest packet of the captures (the \
                 assessment's \"as of\"){}. OSCAL finding states are satisfied (pass, \
                 not-applicable) or not-satisfied (fail, partial, unknown); the status property \
                 in the {NS} namespace keeps zonewarden's own. Properties sl-t, sl-a and sl-gap \
                 carry each zone's and conduit's security levels per foundational requirement \
                 (class fr1..fr7); properties of one group belong to the scope named by that \
                 group's scope property.",
                if a.as_of.as_deref() == Some(time) {
                    ""
                } else {
                    "; no usable packet time was known, so a fixed placeholder stands in"
                }
            )),
        ),
    ]);

    let document = obj([
        ("uuid", s(&ids.document(a, time, "document"))),
        (
            "metadata",
            Some(obj([
                ("title", s(&title)),
                ("last-modified", s(time)),
                ("version", s(&a.version.to_string())),
                ("oscal-version", s(OSCAL_VERSION)),
                (
                    "props",
                    arr(vec![
                        prop(
                            "generator",
                            &format!("zonewarden {}", env!("CARGO_PKG_VERSION")),
                        ),
                        prop("assessment-format-version", &a.version.to_string()),
                    ]),
                ),
                (
                    "remarks",
                    s(
                        "Written by zonewarden from its assessment (zonewarden assess). \
                       last-modified is the assessment's \"as of\" time, not the time of \
                       writing, so the same inputs give the same document.",
                    ),
                ),
            ])),
        ),
        (
            "import-ap",
            Some(obj([
                ("href", s(&uri_reference(&a.inputs.model.path))),
                (
                    "remarks",
                    s(&format!(
                        "zonewarden has no separate assessment plan: the zones and conduits \
                         model {} (sha256 {}) is the plan. It names the zones and conduits \
                         assessed and their SL-T per foundational requirement, which select \
                         the IEC 62443-3-3 requirements reviewed.",
                        a.inputs.model.path, a.inputs.model.sha256
                    )),
                ),
            ])),
        ),
        ("results", arr(vec![result])),
        (
            "back-matter",
            Some(obj([("resources", arr(resources.list))])),
        ),
    ]);
    obj([("assessment-results", Some(document))])
}

// ---- the parts ----

/// A zone or conduit with the names the document gives it.
struct Scope<'a> {
    result: &'a ScopeResult,
    kind: &'static str,
    /// Groups the result's level properties of this scope: `zone-1`, `conduit-2`…
    group: String,
    component: String,
}

fn numbered<'a>(
    results: &'a [ScopeResult],
    label: &'static str,
) -> impl Iterator<Item = (&'a ScopeResult, String)> + 'a {
    results
        .iter()
        .enumerate()
        .map(move |(i, r)| (r, format!("{label}-{}", i + 1)))
}

fn kind_name(kind: ScopeKind) -> &'static str {
    match kind {
        ScopeKind::Zone => "zone",
        ScopeKind::Conduit => "conduit",
    }
}

impl<'a> Scope<'a> {
    fn new(result: &'a ScopeResult, group: String, ids: &Ids) -> Scope<'a> {
        let kind = kind_name(result.kind);
        Scope {
            result,
            kind,
            group,
            component: ids.subject(&["component", kind, &result.id]),
        }
    }

    /// `zone control` / `conduit cell-to-dmz`.
    fn label(&self) -> String {
        format!("{} {}", self.kind, self.result.id)
    }

    fn component(&self) -> Value {
        let r = self.result;
        let name = r.name.as_deref().and_then(clean);
        obj([
            ("uuid", s(&self.component)),
            (
                "type",
                s(match r.kind {
                    ScopeKind::Zone => "system",
                    ScopeKind::Conduit => "interconnection",
                }),
            ),
            ("title", s(name.as_deref().unwrap_or(&r.id))),
            (
                "description",
                s(&match r.kind {
                    ScopeKind::Zone => format!(
                        "Zone {} of the zones and conduits model: {} device(s), criticality {}.",
                        r.id, r.assets, r.criticality
                    ),
                    ScopeKind::Conduit => format!(
                        "Conduit {} of the zones and conduits model, criticality {} (the higher \
                         of its zones').",
                        r.id, r.criticality
                    ),
                }),
            ),
            (
                "props",
                arr(vec![
                    prop("scope-kind", self.kind),
                    prop("scope", &r.id),
                    prop("criticality", &r.criticality),
                ]),
            ),
            ("status", Some(obj([("state", s("operational"))]))),
        ])
    }

    /// The scope's SL-T, SL-A and gap per FR as properties of the result.
    fn level_props(&self) -> Vec<Value> {
        let r = self.result;
        let mut out = vec![
            grouped("scope", &r.id, Some(self.kind), &self.group),
            grouped("criticality", &r.criticality, None, &self.group),
        ];
        for fr in 1u8..=7 {
            let class = format!("fr{fr}");
            for (name, levels) in [("sl-t", &r.sl_t), ("sl-a", &r.sl_a), ("sl-gap", &r.gap)] {
                if let Some(level) = FrLevels::get(levels, fr) {
                    out.push(grouped(name, &level.to_string(), Some(&class), &self.group));
                }
            }
        }
        out.into_iter().flatten().collect()
    }
}

/// Every device named by evidence, with its inventory item's UUID.
fn inventory(a: &Assessment, ids: &Ids) -> BTreeMap<String, String> {
    a.zones
        .iter()
        .chain(&a.conduits)
        .flat_map(|s| &s.requirements)
        .flat_map(|r| &r.evidence)
        .flat_map(|f| &f.assets)
        .filter_map(|id| clean(id))
        .map(|id| {
            let uuid = ids.subject(&["inventory-item", &id]);
            (id, uuid)
        })
        .collect()
}

/// The back-matter: the catalog and the input files.
struct Resources {
    list: Vec<Value>,
    catalog: String,
    attestations: Option<String>,
    /// Captures by sha256: (path, resource UUID).
    captures: BTreeMap<String, (String, String)>,
}

impl Resources {
    fn new(a: &Assessment, ids: &Ids) -> Resources {
        let catalog = ids.subject(&["resource", "catalog", CATALOG]);
        let mut list = vec![obj([
            ("uuid", s(&catalog)),
            (
                "title",
                s("IEC 62443-3-3:2013 System security requirements and security levels"),
            ),
            (
                "description",
                s(
                    "The catalog the control ids refer to: sr-N.M is SR N.M, sr-N.M_re-K its \
                   requirement enhancement RE(K). The standard's text is not reproduced.",
                ),
            ),
            (
                "props",
                arr(vec![
                    prop("catalog", CATALOG),
                    prop("catalog-edition", "2013"),
                ]),
            ),
        ])];
        let mut file = |role: &str, what: &str, f: &crate::InputFile| -> String {
            let uuid = ids.subject(&["resource", role, &f.path, &f.sha256]);
            let hashes = clean(&f.sha256)
                .map(|h| vec![obj([("algorithm", s("SHA-256")), ("value", s(&h))])])
                .unwrap_or_default();
            list.push(obj([
                ("uuid", s(&uuid)),
                ("title", s(&f.path)),
                ("description", s(what)),
                (
                    "props",
                    arr(vec![prop("input", role), prop("sha256", &f.sha256)]),
                ),
                (
                    "rlinks",
                    arr(vec![obj([
                        ("href", s(&uri_reference(&f.path))),
                        ("hashes", arr(hashes)),
                    ])]),
                ),
            ]));
            uuid
        };
        file(
            "model",
            "The zones and conduits model (zones.toml): the assessment plan.",
            &a.inputs.model,
        );
        let attestations = a.inputs.attestations.as_ref().map(|f| {
            file(
                "attestations",
                "The attestation file: answers for what traffic cannot show.",
                f,
            )
        });
        let mut captures = BTreeMap::new();
        let mut seen = BTreeSet::new();
        // The same file named twice is one resource.
        for c in a
            .inputs
            .captures
            .iter()
            .filter(|c| seen.insert((c.path.as_str(), c.sha256.as_str())))
        {
            let uuid = file("capture", "A capture the assessment read.", c);
            captures
                .entry(c.sha256.clone())
                .or_insert((c.path.clone(), uuid));
        }
        Resources {
            list,
            catalog,
            attestations,
            captures,
        }
    }
}

/// The observations of one requirement in one scope, added to `out`; their UUIDs.
fn observe(
    r: &RequirementResult,
    scope: &Scope<'_>,
    assets: &BTreeMap<String, String>,
    resources: &Resources,
    time: &str,
    ids: &Ids,
    out: &mut Vec<Value>,
) -> Vec<Value> {
    let mut related = Vec::new();
    let req = r.id.to_string();
    let scope_subject = obj([
        ("subject-uuid", s(&scope.component)),
        ("type", s("component")),
        ("title", s(&scope.label())),
    ]);
    for (i, f) in r.evidence.iter().enumerate() {
        let uuid = ids.subject(&[
            "observation",
            scope.kind,
            &scope.result.id,
            &req,
            &i.to_string(),
            &f.rule,
        ]);
        out.push(observed(
            f,
            r,
            scope,
            &scope_subject,
            assets,
            resources,
            time,
            &uuid,
        ));
        related.push(obj([("observation-uuid", s(&uuid))]));
    }
    if let Some(answer) = r
        .attestation
        .as_ref()
        .filter(|a| a.status != AttestedStatus::Unknown)
    {
        let uuid = ids.subject(&[
            "observation",
            scope.kind,
            &scope.result.id,
            &req,
            "attested",
        ]);
        out.push(attested(
            answer,
            r,
            scope,
            &scope_subject,
            resources,
            time,
            &uuid,
        ));
        related.push(obj([("observation-uuid", s(&uuid))]));
    }
    related
}

/// A finding of the observation rules (or a zone's result taken from its conduits).
#[allow(clippy::too_many_arguments)]
fn observed(
    f: &Finding,
    r: &RequirementResult,
    scope: &Scope<'_>,
    scope_subject: &Value,
    assets: &BTreeMap<String, String>,
    resources: &Resources,
    time: &str,
    uuid: &str,
) -> Value {
    let from_conduits = f.rule == "conduits";
    // A zone's conduit requirement stands on its conduits' evidence, which may be attested.
    let method = if !from_conduits {
        "TEST"
    } else {
        match r.provenance {
            Provenance::Observed => "TEST",
            Provenance::Attested => "EXAMINE",
            Provenance::Unknown => "UNKNOWN",
        }
    };
    let mut subjects = vec![scope_subject.clone()];
    for id in f.assets.iter().filter_map(|a| clean(a)) {
        if let Some(uuid) = assets.get(&id) {
            subjects.push(obj([
                ("subject-uuid", s(uuid)),
                ("type", s("inventory-item")),
                ("title", s(&id)),
            ]));
        }
    }
    let evidence: Vec<Value> = f
        .captures
        .iter()
        .filter_map(|hash| clean(hash))
        .map(|hash| {
            let known = resources.captures.get(&hash);
            obj([
                (
                    "href",
                    known
                        .map(|(_, uuid)| format!("#{uuid}"))
                        .and_then(|h| s(&h)),
                ),
                (
                    "description",
                    s(&match known {
                        Some((path, _)) => format!("Capture {path} (sha256 {hash})."),
                        None => format!("Capture with sha256 {hash}."),
                    }),
                ),
                ("props", arr(vec![prop("sha256", &hash)])),
            ])
        })
        .collect();
    let mut props = vec![
        prop("rule", &f.rule),
        prop("status", f.status.as_str()),
        prop("requirement", &r.id.to_string()),
    ];
    props.extend(f.flows.iter().map(|flow| prop("flow", flow)));
    let summary = clean(&f.summary).unwrap_or_else(|| {
        format!(
            "Rule {} says {} for {} in {}.",
            f.rule,
            f.status.as_str(),
            r.id,
            scope.label()
        )
    });
    obj([
        ("uuid", s(uuid)),
        (
            "title",
            s(&format!(
                "{}: {} ({} in {})",
                f.rule,
                f.status.as_str(),
                r.id,
                scope.label()
            )),
        ),
        ("description", s(&summary)),
        ("props", arr(props)),
        ("methods", arr(vec![s(method)])),
        ("types", arr(vec![s("control-objective")])),
        ("subjects", arr(subjects)),
        ("relevant-evidence", arr(evidence)),
        ("collected", s(time)),
        (
            "remarks",
            if from_conduits {
                s(
                    "The zone takes this conduit requirement from its conduits (the worst of \
                   them), having no evidence or answer of its own.",
                )
            } else {
                None
            },
        ),
    ])
}

/// An attested answer.
fn attested(
    answer: &AttestedAnswer,
    r: &RequirementResult,
    scope: &Scope<'_>,
    scope_subject: &Value,
    resources: &Resources,
    time: &str,
    uuid: &str,
) -> Value {
    let evidence_named = answer.evidence.as_deref().and_then(clean);
    // An answer that names its proof was checked against a document; one that does not is
    // someone's word.
    let method = if evidence_named.is_some() {
        "EXAMINE"
    } else {
        "INTERVIEW"
    };
    let by = answer.by.as_deref().and_then(clean);
    let date = answer.date.as_deref().and_then(clean);
    let collected = date
        .as_deref()
        .map(|d| format!("{d}T00:00:00Z"))
        .filter(|t| is_oscal_datetime(t))
        .unwrap_or_else(|| time.to_string());
    let mut text = format!(
        "Attested {} by {} on {} (attestation file, line {}).",
        answer.status.as_str(),
        by.as_deref().unwrap_or("an unnamed person"),
        date.as_deref().unwrap_or("an unrecorded date"),
        answer.line
    );
    if let Some(e) = &evidence_named {
        let _ = write!(text, " Evidence: {e}.");
    }
    if let Some(reason) = answer.reason.as_deref().and_then(clean) {
        let _ = write!(text, " Reason: {reason}.");
    }
    if let Some(c) = answer.compensating_control.as_deref().and_then(clean) {
        let _ = write!(text, " Compensating control: {c}.");
    }
    let props = vec![
        prop("attested-status", answer.status.as_str()),
        by.as_deref().and_then(|b| prop("attested-by", b)),
        date.as_deref().and_then(|d| prop("attested-date", d)),
        prop("attestation-line", &answer.line.to_string()),
        prop("requirement", &r.id.to_string()),
    ];
    let evidence = obj([
        (
            "href",
            resources
                .attestations
                .as_ref()
                .and_then(|uuid| s(&format!("#{uuid}"))),
        ),
        (
            "description",
            s(&format!(
                "Attestation file line {}: {}",
                answer.line,
                evidence_named.as_deref().unwrap_or("no evidence named")
            )),
        ),
    ]);
    obj([
        ("uuid", s(uuid)),
        (
            "title",
            s(&format!(
                "attested {} ({} in {})",
                answer.status.as_str(),
                r.id,
                scope.label()
            )),
        ),
        ("description", s(&text)),
        ("props", arr(props)),
        ("methods", arr(vec![s(method)])),
        ("types", arr(vec![s("control-objective")])),
        ("subjects", arr(vec![scope_subject.clone()])),
        ("relevant-evidence", arr(vec![evidence])),
        ("collected", s(&collected)),
    ])
}

/// One requirement's result in one scope.
fn finding(
    r: &RequirementResult,
    scope: &Scope<'_>,
    related: Vec<Value>,
    risk_uuids: Vec<Value>,
    ids: &Ids,
) -> Value {
    let req = r.id.to_string();
    let (state, reason, explanation) = match r.status {
        Status::Pass => ("satisfied", "pass", "Met."),
        Status::NotApplicable => (
            "satisfied",
            "other",
            "Not applicable: counts as met toward SL-A.",
        ),
        Status::Fail => ("not-satisfied", "fail", "Not met."),
        Status::Partial => (
            "not-satisfied",
            "other",
            "Partly met: does not count toward SL-A.",
        ),
        Status::Unknown => (
            "not-satisfied",
            "other",
            "Unknown: neither traffic nor an attestation shows it; unknown is never counted \
             as met.",
        ),
    };
    let implementation = match r.status {
        Status::Pass => Some("implemented"),
        Status::Partial => Some("partial"),
        Status::NotApplicable => Some("not-applicable"),
        Status::Fail | Status::Unknown => None,
    };
    let provenance = match r.provenance {
        Provenance::Observed => "observed",
        Provenance::Attested => "attested",
        Provenance::Unknown => "unknown",
    };
    let mut description = format!("{} ({provenance}). {explanation}", r.status.as_str());
    let summaries: Vec<String> = r
        .evidence
        .iter()
        .filter_map(|f| clean(&f.summary))
        .collect();
    if !summaries.is_empty() {
        let _ = write!(description, " Evidence: {}.", summaries.join("; "));
    }
    if let Some(a) = &r.attestation {
        let _ = write!(
            description,
            " Attested {} (line {}).",
            a.status.as_str(),
            a.line
        );
    }
    let mut remarks = Vec::new();
    if let Some(note) = r.note.as_deref().and_then(clean) {
        remarks.push(note);
    }
    if let Some(a) = &r.attestation {
        if let Some(reason) = a.reason.as_deref().and_then(clean) {
            remarks.push(format!("Reason given: {reason}."));
        }
        if let Some(c) = a.compensating_control.as_deref().and_then(clean) {
            remarks.push(format!("Compensating control: {c}."));
        }
    }
    let target = obj([
        ("type", s("objective-id")),
        ("target-id", s(&control_id(&r.id))),
        ("title", s(&format!("{req} {}", r.title))),
        (
            "props",
            arr(vec![
                prop("status", r.status.as_str()),
                prop("provenance", provenance),
            ]),
        ),
        (
            "status",
            Some(obj([
                ("state", s(state)),
                ("reason", s(reason)),
                ("remarks", s(explanation)),
            ])),
        ),
        (
            "implementation-status",
            implementation.map(|state| obj([("state", s(state))])),
        ),
    ]);
    obj([
        (
            "uuid",
            s(&ids.subject(&["finding", scope.kind, &scope.result.id, &req])),
        ),
        (
            "title",
            s(&format!("{req} {} in {}", r.title, scope.label())),
        ),
        ("description", s(&description)),
        (
            "props",
            arr(vec![
                prop("scope-kind", scope.kind),
                prop("scope", &scope.result.id),
                prop("requirement", &req),
                prop("fr", &r.fr.to_string()),
                r.min_level.and_then(|l| prop("min-level", &l.to_string())),
                prop("status", r.status.as_str()),
                prop("provenance", provenance),
            ]),
        ),
        ("target", Some(target)),
        ("related-observations", arr(related)),
        ("related-risks", arr(risk_uuids)),
        (
            "remarks",
            if remarks.is_empty() {
                None
            } else {
                s(&remarks.join(" "))
            },
        ),
    ])
}

/// The finding a risk belongs to: scope kind, scope, requirement.
type FindingKey = (&'static str, String, ReqId);

/// The ranked remediation as risks, each with the recommended response; the risks' UUIDs
/// by finding.
fn risks(a: &Assessment, ids: &Ids) -> (Vec<Value>, BTreeMap<FindingKey, Vec<String>>) {
    let mut by_finding: BTreeMap<FindingKey, Vec<String>> = BTreeMap::new();
    let risks = a
        .remediation
        .iter()
        .map(|act| {
            let kind = kind_name(act.scope_kind);
            let req = act.requirement.to_string();
            let uuid = ids.subject(&["risk", kind, &act.scope, &req]);
            let label = format!("{kind} {}", act.scope);
            let risk = obj([
                ("uuid", s(&uuid)),
                (
                    "title",
                    s(&format!(
                        "{req} {}: {} in {label}",
                        act.title,
                        act.status.as_str()
                    )),
                ),
                (
                    "description",
                    s(&format!(
                        "{req} ({}) is {} in {label}; meeting it moves SL-A toward SL-T: {}. \
                         Rank {} of the remediation plan.",
                        act.title,
                        act.status.as_str(),
                        act.raises,
                        act.rank
                    )),
                ),
                (
                    "statement",
                    s(&format!(
                        "While {req} is not shown to be met, {label} stays below its target \
                         security level in FR{}.",
                        act.fr
                    )),
                ),
                (
                    "props",
                    arr(vec![
                        prop("rank", &act.rank.to_string()),
                        prop("score", &act.score.to_string()),
                        prop("raises", &act.raises),
                        prop("status", act.status.as_str()),
                        prop("scope-kind", kind),
                        prop("scope", &act.scope),
                        prop("requirement", &req),
                    ]),
                ),
                ("status", s("open")),
                (
                    "remediations",
                    arr(vec![obj([
                        (
                            "uuid",
                            s(&ids.subject(&["response", kind, &act.scope, &req])),
                        ),
                        ("lifecycle", s("recommendation")),
                        ("title", s(&format!("Meet {req} in {label}"))),
                        ("description", s(&act.action)),
                    ])]),
                ),
            ]);
            by_finding
                .entry((kind, act.scope.clone(), act.requirement))
                .or_default()
                .push(uuid);
            risk
        })
        .collect();
    (risks, by_finding)
}

/// Requirement results per status class: fail, partial, unknown, met.
fn status_counts(scopes: &[Scope<'_>]) -> [usize; 4] {
    let mut counts = [0usize; 4];
    for r in scopes.iter().flat_map(|s| &s.result.requirements) {
        let i = match r.status {
            Status::Fail => 0,
            Status::Partial => 1,
            Status::Unknown => 2,
            Status::Pass | Status::NotApplicable => 3,
        };
        if let Some(slot) = counts.get_mut(i) {
            *slot += 1;
        }
    }
    counts
}

// ---- names ----

/// Name-based UUIDs.
struct Ids {
    /// Names the plant: its name, else its model file's hash.
    plant: String,
}

impl Ids {
    fn new(a: &Assessment) -> Ids {
        let plant = match a.plant.as_deref().and_then(clean) {
            Some(p) => format!("plant:{p}"),
            None => format!("model:{}", a.inputs.model.sha256),
        };
        Ids { plant }
    }

    /// A UUID for something of the plant that keeps it across assessments.
    fn subject(&self, parts: &[&str]) -> String {
        let mut all = vec![self.plant.as_str()];
        all.extend_from_slice(parts);
        name_uuid(&all)
    }

    /// A UUID for this assessment's document or result: named by every input file's hash
    /// and the time, so other inputs give another UUID.
    fn document(&self, a: &Assessment, time: &str, what: &str) -> String {
        let mut all = vec![
            self.plant.as_str(),
            what,
            time,
            a.inputs.model.sha256.as_str(),
            a.inputs
                .attestations
                .as_ref()
                .map_or("", |f| f.sha256.as_str()),
        ];
        all.extend(a.inputs.captures.iter().map(|c| c.sha256.as_str()));
        name_uuid(&all)
    }
}

/// SHA-256 over the length-prefixed parts (so no two lists of parts share a name), the
/// first 16 bytes shaped as an RFC 4122 version 5 UUID (version nibble 5, variant 10).
fn name_uuid(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"zonewarden-oscal");
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    for (slot, byte) in bytes.iter_mut().zip(digest.iter()) {
        *slot = *byte;
    }
    if let Some(b) = bytes.get_mut(6) {
        *b = (*b & 0x0f) | 0x50;
    }
    if let Some(b) = bytes.get_mut(8) {
        *b = (*b & 0x3f) | 0x80;
    }
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        let _ = write!(out, "{b:02x}");
    }
    out
}

// ---- values ----

/// An object of the fields that have a value; empty arrays and objects are left out too
/// (OSCAL arrays hold at least one item).
fn obj<const N: usize>(fields: [(&str, Option<Value>); N]) -> Value {
    let mut map = Map::new();
    for (key, value) in fields {
        match value {
            None => {}
            Some(Value::Array(items)) if items.is_empty() => {}
            Some(Value::Object(fields)) if fields.is_empty() => {}
            Some(v) => {
                map.insert(key.to_string(), v);
            }
        }
    }
    Value::Object(map)
}

fn s(text: &str) -> Option<Value> {
    Some(Value::String(text.to_string()))
}

/// An array of the items that exist.
fn arr<T: Into<Option<Value>>>(items: impl IntoIterator<Item = T>) -> Option<Value> {
    Some(Value::Array(
        items.into_iter().filter_map(Into::into).collect(),
    ))
}

/// One line without leading or trailing whitespace (OSCAL's string datatype); `None` when
/// nothing is left.
fn clean(text: &str) -> Option<String> {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!line.is_empty()).then_some(line)
}

/// A property in zonewarden's namespace; `None` for an empty value.
fn prop(name: &str, value: &str) -> Option<Value> {
    Some(obj([
        ("name", s(name)),
        ("ns", s(NS)),
        ("value", s(&clean(value)?)),
    ]))
}

fn grouped(name: &str, value: &str, class: Option<&str>, group: &str) -> Option<Value> {
    Some(obj([
        ("name", s(name)),
        ("ns", s(NS)),
        ("value", s(&clean(value)?)),
        ("class", class.and_then(s)),
        ("group", s(group)),
    ]))
}

/// A file path as a URI reference: every byte but unreserved characters and `/`
/// percent-encoded.
fn uri_reference(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    if out.is_empty() {
        out.push_str("./");
    }
    out
}

/// Whether `text` is a date-time OSCAL accepts: RFC 3339 with a time zone, years 1900–2999,
/// and only the UTC offsets in use (the pattern of OSCAL's DateTimeWithTimezoneDatatype).
fn is_oscal_datetime(text: &str) -> bool {
    let mut c = Cursor(text);
    let Some(year) = c.number(4) else {
        return false;
    };
    let ok = c.eat('-')
        && c.number(2).is_some_and(|month| {
            c.eat('-') && c.number(2).is_some_and(|day| valid_date(year, month, day))
        })
        && c.eat('T')
        && c.number(2).is_some_and(|h| h < 24)
        && c.eat(':')
        && c.number(2).is_some_and(|m| m < 60)
        && c.eat(':')
        && c.number(2).is_some_and(|s| s < 60);
    if !ok {
        return false;
    }
    if c.eat('.') && c.digits() == 0 {
        return false;
    }
    if c.eat('Z') {
        return c.0.is_empty();
    }
    let sign = if c.eat('+') {
        '+'
    } else if c.eat('-') {
        '-'
    } else {
        return false;
    };
    let (Some(h), true, Some(m)) = (c.number(2), c.eat(':'), c.number(2)) else {
        return false;
    };
    c.0.is_empty()
        && match (sign, m) {
            ('-', 0) => h <= 12,
            ('-', 30) => h == 3 || h == 9,
            ('+', 0) => h <= 14,
            ('+', 30) => matches!(h, 3 | 4 | 5 | 6 | 9 | 10),
            ('+', 45) => matches!(h, 5 | 8 | 12),
            _ => false,
        }
}

/// Gregorian, as OSCAL's pattern has it: it accepts no 29 February before 2000.
fn valid_date(year: u32, month: u32, day: u32) -> bool {
    if !(1900..=2999).contains(&year) || day == 0 {
        return false;
    }
    // (`is_multiple_of` is newer than the workspace's rust-version.)
    let leap = year >= 2000
        && match (year % 400, year % 100, year % 4) {
            (0, _, _) => true,
            (_, 0, _) => false,
            (_, _, rest) => rest == 0,
        };
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    day <= days
}

/// The unread rest of a string.
struct Cursor<'a>(&'a str);

impl Cursor<'_> {
    fn eat(&mut self, ch: char) -> bool {
        match self.0.strip_prefix(ch) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    /// Exactly `n` ASCII digits.
    fn number(&mut self, n: usize) -> Option<u32> {
        let head = self.0.get(..n)?;
        if !head.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.0 = self.0.get(n..)?;
        head.parse().ok()
    }

    /// Skips ASCII digits; how many.
    fn digits(&mut self) -> usize {
        let n = self.0.bytes().take_while(u8::is_ascii_digit).count();
        self.0 = self.0.get(n..).unwrap_or("");
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_ids() {
        let id: ReqId = "SR 1.1".parse().unwrap();
        assert_eq!(control_id(&id), "sr-1.1");
        let id: ReqId = "SR 3.1 RE(1)".parse().unwrap();
        assert_eq!(control_id(&id), "sr-3.1_re-1");
    }

    #[test]
    fn uuids_are_version_5_shaped_and_stable() {
        let a = name_uuid(&["x", "y"]);
        assert_eq!(a, name_uuid(&["x", "y"]));
        assert_ne!(a, name_uuid(&["xy"]));
        assert_ne!(name_uuid(&["x/", "y"]), name_uuid(&["x", "/y"]));
        assert_eq!(a.len(), 36);
        assert_eq!(a.chars().nth(14), Some('5'));
        assert!(matches!(a.chars().nth(19), Some('8' | '9' | 'a' | 'b')));
    }

    #[test]
    fn datetimes() {
        for ok in [
            "2026-01-01T00:00:59.994008000Z",
            "2024-02-29T23:59:59Z",
            "2000-02-29T00:00:00+05:45",
            "1970-01-01T00:00:00-03:30",
        ] {
            assert!(is_oscal_datetime(ok), "{ok}");
        }
        for bad in [
            "",
            "2026-01-01",
            "2026-01-01T00:00:00",
            "2026-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "1904-02-29T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+01:15",
            "2026-01-01T00:00:00Zjunk",
            "3000-01-01T00:00:00Z",
        ] {
            assert!(!is_oscal_datetime(bad), "{bad}");
        }
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri_reference("zones.toml"), "zones.toml");
        assert_eq!(uri_reference("my plant/a:b.pcap"), "my%20plant/a%3Ab.pcap");
        assert_eq!(uri_reference(""), "./");
    }
}
