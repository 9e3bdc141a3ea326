//! The components file: products and the IEC 62443-4-2 component requirements they meet,
//! declared by their supplier or by the asset owner, and the capability security level
//! (SL-C) per foundational requirement that follows.
//!
//! ```toml
//! [[component]]
//! id = "plc-x"                          # unique in the file
//! name = "X PLC 5000"                   # optional; so are vendor and version
//! type = "embedded-device"              # software-application | embedded-device | host-device | network-device
//! matches = ["asset:PLC-1", "10.10.1.0/24", "role:plc"]   # optional: the plant's devices of this product (zones.toml selectors)
//! sl_c_claim = 2                        # optional: the SL-C claimed; 2, [FR1..FR7] or { FR1 = 2, … }
//! meets = ["CR 1.1", "CR 1.1 RE(1)", "EDR 2.13"]
//! not_applicable = [{ id = "CR 1.7 RE(2)", reason = "no password authentication at all" }]
//! ```
//!
//! SL-C for an FR is the highest level L such that every 4-2 row of that FR that applies to
//! the component's type (the common CRs and the type's own SAR/EDR/HDR/NDR rows) and is
//! required at L is met or not applicable — the rule SL-A follows in
//! [`crate::achieved_levels`]. The CCSC constraints are not SL-gated and the clauses without
//! a component-level requirement (CR 2.3, 5.4, 7.5) require nothing; neither counts.

use crate::line_of;
use crate::questionnaire::{nonempty, toml_string};
use crate::FrLevels;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};
use toml::Spanned;
use zonewarden_catalog::{
    component_clause, component_requirement, component_requirements, foundational_requirement,
    ComponentRequirement, ComponentType, ReqId,
};
use zonewarden_policy::Selector;

/// The concrete component types, in 4-2 order.
pub const TYPES: [ComponentType; 4] = [
    ComponentType::SoftwareApplication,
    ComponentType::EmbeddedDevice,
    ComponentType::HostDevice,
    ComponentType::NetworkDevice,
];

/// The word used in the components file (`embedded-device`; `all` for the common rows).
pub const fn type_name(t: ComponentType) -> &'static str {
    match t {
        ComponentType::All => "all",
        ComponentType::SoftwareApplication => "software-application",
        ComponentType::EmbeddedDevice => "embedded-device",
        ComponentType::HostDevice => "host-device",
        ComponentType::NetworkDevice => "network-device",
    }
}

/// A concrete type from its file word or catalog code (`embedded-device`, `ED`), any case.
pub fn parse_type(text: &str) -> Option<ComponentType> {
    let text = text.trim();
    TYPES
        .into_iter()
        .find(|t| type_name(*t).eq_ignore_ascii_case(text) || t.code().eq_ignore_ascii_case(text))
}

/// One declared product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub id: String,
    pub name: Option<String>,
    pub vendor: Option<String>,
    pub version: Option<String>,
    pub component_type: ComponentType,
    /// Selector strings (as in zones.toml), validated but not resolved.
    pub matches: Vec<String>,
    /// The claimed SL-C per FR.
    pub sl_c_claim: Option<[u8; 7]>,
    /// 4-2 rows met.
    pub meets: BTreeSet<ReqId>,
    /// 4-2 rows that do not apply, with the reason.
    pub not_applicable: BTreeMap<ReqId, String>,
    /// File line of the `[[component]]`.
    pub line: usize,
}

impl Component {
    /// A component that declares nothing yet.
    pub fn new(id: &str, component_type: ComponentType) -> Component {
        Component {
            id: id.to_string(),
            name: None,
            vendor: None,
            version: None,
            component_type,
            matches: Vec::new(),
            sl_c_claim: None,
            meets: BTreeSet::new(),
            not_applicable: BTreeMap::new(),
            line: 0,
        }
    }

    /// Whether a row counts as met: declared met or not applicable.
    pub fn is_met(&self, id: &ReqId) -> bool {
        self.meets.contains(id) || self.not_applicable.contains_key(id)
    }
}

/// The components of one file, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Components {
    pub path: String,
    pub components: Vec<Component>,
}

impl Components {
    pub fn get(&self, id: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.id == id)
    }
}

/// A problem in the components file, with its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ComponentsError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    component: Vec<Spanned<RawComponent>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawSl {
    One(i64),
    Vector(Vec<i64>),
    Table(BTreeMap<String, i64>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    id: Spanned<String>,
    name: Option<String>,
    vendor: Option<String>,
    version: Option<String>,
    #[serde(rename = "type")]
    component_type: Spanned<String>,
    #[serde(default)]
    matches: Vec<Spanned<String>>,
    sl_c_claim: Option<Spanned<RawSl>>,
    #[serde(default)]
    meets: Vec<Spanned<String>>,
    #[serde(default)]
    not_applicable: Vec<Spanned<RawNotApplicable>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotApplicable {
    id: Spanned<String>,
    reason: Option<String>,
}

/// Collects errors as (byte offset, message).
#[derive(Default)]
struct Errors(Vec<(usize, String)>);

impl Errors {
    fn at(&mut self, offset: usize, message: String) {
        self.0.push((offset, message));
    }
}

fn claim(raw: &Spanned<RawSl>, errors: &mut Errors) -> [u8; 7] {
    let at = raw.span().start;
    let check = |v: i64, errors: &mut Errors| match u8::try_from(v) {
        Ok(level) if level <= 4 => level,
        _ => {
            errors.at(at, format!("sl_c_claim: security level {v} is outside 0-4"));
            0
        }
    };
    match raw.get_ref() {
        RawSl::One(v) => [check(*v, errors); 7],
        RawSl::Vector(list) => {
            if list.len() != 7 {
                errors.at(
                    at,
                    format!(
                        "sl_c_claim: a vector needs 7 levels (FR1-FR7), this one has {}",
                        list.len()
                    ),
                );
            }
            let mut out = [0u8; 7];
            for (slot, v) in out.iter_mut().zip(list) {
                *slot = check(*v, errors);
            }
            out
        }
        RawSl::Table(table) => {
            let mut out = [0u8; 7];
            for (key, v) in table {
                let slot = key
                    .strip_prefix("FR")
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| n.checked_sub(1))
                    .and_then(|i| out.get_mut(i));
                match slot {
                    Some(slot) => *slot = check(*v, errors),
                    None => errors.at(
                        at,
                        format!("sl_c_claim: unknown requirement {key:?} (FR1-FR7)"),
                    ),
                }
            }
            if table.len() != 7 {
                errors.at(
                    at,
                    "sl_c_claim: give all seven of FR1-FR7, or one level for all".to_string(),
                );
            }
            out
        }
    }
}

/// Reads a 4-2 id for a component of type `t`, or says why it cannot be used.
fn requirement_for(text: &str, t: ComponentType, component: &str) -> Result<ReqId, String> {
    let id: ReqId = text.parse().map_err(|e| format!("{e}"))?;
    if let Some(row) = component_requirement(&id) {
        if row.applies_to(t) {
            return Ok(id);
        }
        return Err(format!(
            "{id} is a {} requirement; component {component:?} is a {}",
            type_name(row.component_type),
            type_name(t)
        ));
    }
    if !id.doc().is_component() {
        return Err(format!(
            "{id} is an IEC 62443-{} requirement; components meet IEC 62443-4-2 rows (CR, SAR, EDR, HDR, NDR, CCSC)",
            id.doc().part()
        ));
    }
    // `CR 3.2` where 4-2 states the clause per component type: name the type's own row.
    let own = component_clause(&id)
        .into_iter()
        .find(|r| r.component_type == t);
    Err(match own {
        Some(row) => format!(
            "{id} is stated per component type in IEC 62443-4-2: for a {} write {}",
            type_name(t),
            row.id
        ),
        None if !component_clause(&id).is_empty() => format!(
            "{id} is stated per component type in IEC 62443-4-2 and has no row for a {}",
            type_name(t)
        ),
        None => format!("{id} is not an IEC 62443-4-2 requirement"),
    })
}

/// Reads a components file; every problem is reported with its line: TOML errors, unknown
/// types, bad selectors, claims outside 0-4, ids that are not 4-2 rows or are rows of another
/// component type, duplicates (components, met rows, not-applicable rows, a row both met and
/// not applicable), and not-applicable rows without a reason.
pub fn parse(path: &str, text: &str) -> Result<Components, Vec<ComponentsError>> {
    let to_error = |(offset, message): (usize, String)| ComponentsError {
        file: path.to_string(),
        line: line_of(text, offset),
        message,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        vec![to_error((
            e.span().map_or(0, |s| s.start),
            e.message().trim().to_string(),
        ))]
    })?;
    let mut errors = Errors::default();
    let mut components: Vec<Component> = Vec::new();
    for entry in &raw.component {
        let c = entry.get_ref();
        let id = c.id.get_ref().trim().to_string();
        if id.is_empty() {
            errors.at(c.id.span().start, "component id is empty".to_string());
        } else if let Some(first) = components.iter().find(|k| k.id == id) {
            errors.at(
                c.id.span().start,
                format!(
                    "component {id:?} is declared twice (first on line {})",
                    first.line
                ),
            );
        }
        let Some(component_type) = parse_type(c.component_type.get_ref()) else {
            errors.at(
                c.component_type.span().start,
                format!(
                    "type {:?}: use {}",
                    c.component_type.get_ref(),
                    TYPES.map(type_name).join(", ")
                ),
            );
            continue;
        };
        let mut matches = Vec::new();
        for m in &c.matches {
            match Selector::parse(m.get_ref()) {
                Ok(_) => matches.push(m.get_ref().trim().to_string()),
                Err(e) => errors.at(m.span().start, format!("matches: {}", e.0)),
            }
        }
        let sl_c_claim = c.sl_c_claim.as_ref().map(|raw| claim(raw, &mut errors));
        let mut meets = BTreeSet::new();
        let mut met_at: BTreeMap<ReqId, usize> = BTreeMap::new();
        for m in &c.meets {
            match requirement_for(m.get_ref(), component_type, &id) {
                Ok(req) => {
                    if let Some(first) = met_at.get(&req) {
                        errors.at(
                            m.span().start,
                            format!(
                                "{req} is listed twice in meets (first on line {})",
                                line_of(text, *first)
                            ),
                        );
                    } else {
                        met_at.insert(req, m.span().start);
                        meets.insert(req);
                    }
                }
                Err(message) => errors.at(m.span().start, format!("meets: {message}")),
            }
        }
        let mut not_applicable = BTreeMap::new();
        for na in &c.not_applicable {
            let n = na.get_ref();
            let req = match requirement_for(n.id.get_ref(), component_type, &id) {
                Ok(req) => req,
                Err(message) => {
                    errors.at(n.id.span().start, format!("not_applicable: {message}"));
                    continue;
                }
            };
            if not_applicable.contains_key(&req) {
                errors.at(
                    n.id.span().start,
                    format!("{req} is listed twice in not_applicable"),
                );
                continue;
            }
            if let Some(first) = met_at.get(&req) {
                errors.at(
                    n.id.span().start,
                    format!(
                        "{req} is declared both met (line {}) and not applicable",
                        line_of(text, *first)
                    ),
                );
                continue;
            }
            let Some(reason) = nonempty(&n.reason) else {
                errors.at(
                    n.id.span().start,
                    format!("{req}: not applicable needs a reason"),
                );
                continue;
            };
            not_applicable.insert(req, reason);
        }
        components.push(Component {
            id,
            name: nonempty(&c.name),
            vendor: nonempty(&c.vendor),
            version: nonempty(&c.version),
            component_type,
            matches,
            sl_c_claim,
            meets,
            not_applicable,
            line: line_of(text, entry.span().start),
        });
    }
    if errors.0.is_empty() {
        Ok(Components {
            path: path.to_string(),
            components,
        })
    } else {
        let mut list: Vec<ComponentsError> = errors.0.into_iter().map(to_error).collect();
        list.sort_by_key(|e| e.line);
        Err(list)
    }
}

/// The 4-2 rows of FR `fr` that count toward SL-C for a component of type `t`: the common
/// CRs and the type's own rows, without CCSC constraints and clauses that require nothing.
pub fn counted_rows(
    t: ComponentType,
    fr: u8,
) -> impl Iterator<Item = &'static ComponentRequirement> {
    component_requirements().iter().filter(move |r| {
        r.fr == Some(fr) && r.applies_to(t) && !r.is_constraint() && r.has_requirement()
    })
}

/// The highest level at which every row required there is met (the SL-A rule).
fn achieved(rows: &[&ComponentRequirement], met: &dyn Fn(&ReqId) -> bool) -> u8 {
    let mut level = 0u8;
    for next in 1u8..=4 {
        if !rows
            .iter()
            .filter(|r| r.required_at(next))
            .all(|r| met(&r.id))
        {
            break;
        }
        level = next;
    }
    level
}

/// SL-C per FR: the highest level at which every counted row (see [`counted_rows`]) required
/// at that level is met or not applicable; `None` for an FR with no counted row.
pub fn sl_c(component: &Component) -> FrLevels {
    let mut out = [None; 7];
    for (fr, slot) in (1u8..=7).zip(out.iter_mut()) {
        let rows: Vec<&ComponentRequirement> = counted_rows(component.component_type, fr).collect();
        if !rows.is_empty() {
            *slot = Some(achieved(&rows, &|id| component.is_met(id)));
        }
    }
    FrLevels(out)
}

/// A 4-2 row in a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub id: ReqId,
    pub title: String,
}

/// The unmet rows first required at `level` of FR `fr`: reaching `level` needs these and
/// those listed for the lower levels above SL-C.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missing {
    pub fr: u8,
    pub level: u8,
    pub requirements: Vec<Row>,
}

/// One component's capability (a public contract as JSON: fields may be added, never renamed
/// or dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentResult {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `embedded-device`, …
    #[serde(rename = "type")]
    pub component_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<String>,
    /// File line of the component.
    pub line: usize,
    pub sl_c: FrLevels,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<FrLevels>,
    /// Claim minus SL-C, never below zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap: Option<FrLevels>,
    /// Whether SL-C reaches the claim in every FR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meets_claim: Option<bool>,
    /// Rows that count toward SL-C for this type.
    pub rows: usize,
    /// Of those, declared met.
    pub met: usize,
    /// Of those, declared not applicable.
    pub not_applicable: usize,
    /// Per FR and level above SL-C, the unmet rows first required there; the entry at
    /// SL-C + 1 is what blocks the next level.
    pub missing: Vec<Missing>,
    /// CCSC constraints (which every claim presumes) not declared in `meets`.
    pub constraints_unconfirmed: Vec<ReqId>,
}

fn evaluate_one(c: &Component) -> ComponentResult {
    let levels = sl_c(c);
    let claim = c.sl_c_claim.map(|l| FrLevels(l.map(Some)));
    let gap = claim.map(|t| crate::gaps(&t, &levels));
    let meets_claim = gap.map(|g| g.0.iter().all(|v| v.unwrap_or(0) == 0));
    let mut rows = 0;
    let mut met = 0;
    let mut not_applicable = 0;
    let mut missing = Vec::new();
    for fr in 1u8..=7 {
        let fr_rows: Vec<&ComponentRequirement> = counted_rows(c.component_type, fr).collect();
        rows += fr_rows.len();
        met += fr_rows.iter().filter(|r| c.meets.contains(&r.id)).count();
        not_applicable += fr_rows
            .iter()
            .filter(|r| c.not_applicable.contains_key(&r.id))
            .count();
        let Some(reached) = levels.get(fr) else {
            continue;
        };
        let mut listed: BTreeSet<ReqId> = BTreeSet::new();
        for level in reached.saturating_add(1)..=4 {
            let requirements: Vec<Row> = fr_rows
                .iter()
                .filter(|r| r.required_at(level) && !c.is_met(&r.id) && !listed.contains(&r.id))
                .map(|r| Row {
                    id: r.id,
                    title: r.title.clone(),
                })
                .collect();
            listed.extend(requirements.iter().map(|r| r.id));
            if !requirements.is_empty() {
                missing.push(Missing {
                    fr,
                    level,
                    requirements,
                });
            }
        }
    }
    let constraints_unconfirmed = component_requirements()
        .iter()
        .filter(|r| r.is_constraint() && r.applies_to(c.component_type))
        .filter(|r| !c.meets.contains(&r.id))
        .map(|r| r.id)
        .collect();
    ComponentResult {
        id: c.id.clone(),
        name: c.name.clone(),
        vendor: c.vendor.clone(),
        version: c.version.clone(),
        component_type: type_name(c.component_type).to_string(),
        matches: c.matches.clone(),
        line: c.line,
        sl_c: levels,
        claim,
        gap,
        meets_claim,
        rows,
        met,
        not_applicable,
        missing,
        constraints_unconfirmed,
    }
}

/// A declared product as found among a zone's devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneComponent {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Zone members its `matches` selectors select.
    pub devices: usize,
    pub sl_c: FrLevels,
    /// Where its SL-C is below the zone's SL-T: the unmet rows first required at each level
    /// up to SL-T.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub short_of: Vec<Missing>,
}

/// What the products declared in the components file allow a zone to reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capability {
    /// The products matched to the zone's devices, in file order.
    pub components: Vec<ZoneComponent>,
    /// Zone members no product matches: their capability is unknown, so the zone's SL-C
    /// speaks for the matched devices only.
    pub devices_without_component: usize,
}

/// The zone's SL-C per FR: the lowest SL-C among its products, since a zone is as capable
/// as its weakest component (a control the component cannot provide must come from a
/// compensating countermeasure). `None` for an FR no product has rows in.
pub fn zone_sl_c(capability: &Capability) -> FrLevels {
    let mut out = [None; 7];
    for (fr, slot) in (1u8..=7).zip(out.iter_mut()) {
        *slot = capability
            .components
            .iter()
            .filter_map(|c| c.sl_c.get(fr))
            .min();
    }
    FrLevels(out)
}

/// The products of `components` among the members of zone `zone` (by their `matches`
/// selectors, resolved as in zones.toml), with what each lacks for the zone's `target`.
/// `None` when no product matches any member.
pub fn zone_capability(
    components: &Components,
    model: &zonewarden_policy::Model,
    resolution: &zonewarden_policy::Resolution,
    zone: usize,
    target: &FrLevels,
) -> Option<Capability> {
    use zonewarden_policy::resolve::{membership_of, selector_matches};
    let selectors: Vec<Vec<Selector>> = components
        .components
        .iter()
        .map(|c| {
            c.matches
                .iter()
                .filter_map(|m| Selector::parse(m).ok())
                .collect()
        })
        .collect();
    let mut devices = vec![0usize; components.components.len()];
    let mut without = 0usize;
    for member in resolution.members_of(zone) {
        let membership = membership_of(model, member);
        let mut matched = false;
        for (count, sels) in devices.iter_mut().zip(&selectors) {
            if sels
                .iter()
                .any(|sel| selector_matches(sel, member, &membership, model))
            {
                *count += 1;
                matched = true;
            }
        }
        if !matched {
            without += 1;
        }
    }
    let found: Vec<ZoneComponent> = components
        .components
        .iter()
        .zip(&devices)
        .filter(|(_, n)| **n > 0)
        .map(|(c, n)| {
            let result = evaluate_one(c);
            let short_of = result
                .missing
                .into_iter()
                .filter(|m| target.get(m.fr).is_some_and(|t| m.level <= t))
                .collect();
            ZoneComponent {
                id: c.id.clone(),
                name: c.name.clone(),
                devices: *n,
                sl_c: result.sl_c,
                short_of,
            }
        })
        .collect();
    (!found.is_empty()).then_some(Capability {
        components: found,
        devices_without_component: without,
    })
}

/// SL-C, the gap to the claim and what blocks each next level, per component in file order.
pub fn evaluate(components: &Components) -> Vec<ComponentResult> {
    components.components.iter().map(evaluate_one).collect()
}

/// The SL flags of a row for the template (`SL - 2 3 4`), and a remark for the rows that do
/// not count toward SL-C.
fn sl_flags(r: &ComponentRequirement) -> (String, &'static str) {
    if r.is_constraint() {
        return (
            "constraint".to_string(),
            " (applies to every claim, not SL-gated)",
        );
    }
    if !r.has_requirement() {
        return ("no SL".to_string(), " (no component-level requirement)");
    }
    let cells: Vec<String> = (1u8..=4)
        .map(|l| {
            if r.required_at(l) {
                l.to_string()
            } else {
                "-".to_string()
            }
        })
        .collect();
    (format!("SL {}", cells.join(" ")), "")
}

fn template_one(out: &mut String, t: ComponentType) {
    let name = type_name(t);
    let _ = writeln!(out, "\n[[component]]");
    let _ = writeln!(out, "id = {}", toml_string(&format!("example-{name}")));
    out.push_str("name = \"\"\nvendor = \"\"\nversion = \"\"\n");
    let _ = writeln!(out, "type = {}", toml_string(name));
    out.push_str(
        "# matches = [\"asset:NAME\", \"10.10.1.0/24\", \"role:plc\"]   # the plant's devices of this product\n\
         # sl_c_claim = 2                                          # or [FR1..FR7], or { FR1 = 2, … }\n\
         # Uncomment each row the component meets. SL n: required at that security level.\n\
         meets = [\n",
    );
    let mut heading: Option<Option<u8>> = None;
    for r in component_requirements().iter().filter(|r| r.applies_to(t)) {
        if heading != Some(r.fr) {
            heading = Some(r.fr);
            match r.fr.and_then(foundational_requirement) {
                Some(f) => {
                    let _ = writeln!(out, "  # FR{} {} ({})", f.fr, f.title, f.abbreviation);
                }
                None => out.push_str("  # Common component security constraints\n"),
            }
        }
        let id = format!("{},", toml_string(&r.id.to_string()));
        let (flags, remark) = sl_flags(r);
        let _ = writeln!(out, "  # {id:<20} # {flags:<11} {}{remark}", r.title);
    }
    out.push_str(
        "]\n\
         # Rows that do not apply to this product, each with the reason:\n\
         not_applicable = [\n  # { id = \"CR 1.1 RE(2)\", reason = \"…\" },\n]\n",
    );
}

/// A components file for one product of type `t` (for [`ComponentType::All`], one of each
/// type) listing every 4-2 row of the type, commented out, with its SL flags.
pub fn template_components(t: ComponentType) -> String {
    let mut out = String::from(
        "# components.toml — products and the IEC 62443-4-2 requirements they meet.\n\
         # One [[component]] per product: type software-application | embedded-device |\n\
         # host-device | network-device; the rows it meets (meets) and those that do not\n\
         # apply (not_applicable, with a reason). SL-C per FR is the highest level at which\n\
         # every row of the type required there is met or not applicable; CCSC constraints\n\
         # and clauses without a component-level requirement do not count toward it.\n",
    );
    let types: Vec<ComponentType> = if t == ComponentType::All {
        TYPES.to_vec()
    } else {
        vec![t]
    };
    for t in types {
        template_one(&mut out, t);
    }
    out
}

fn levels_text(l: &FrLevels) -> String {
    l.0.iter()
        .map(|v| v.map_or("-".to_string(), |n| n.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn ids(rows: &[Row]) -> String {
    rows.iter()
        .map(|r| r.id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A terminal summary: one line per component, then what blocks each next level.
pub fn write_text(results: &[ComponentResult], out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "IEC 62443-4-2 capability (SL-C) of {} component(s)\n",
        results.len()
    )?;
    writeln!(
        out,
        "  {:<20} {:<21} {:<14} {:<14} {:<14} {:>9}",
        "component", "type", "SL-C FR1-7", "claim", "gap", "met+n/a"
    )?;
    for r in results {
        writeln!(
            out,
            "  {:<20} {:<21} {:<14} {:<14} {:<14} {:>9}",
            r.id,
            r.component_type,
            levels_text(&r.sl_c),
            r.claim.as_ref().map_or("-".to_string(), levels_text),
            r.gap.as_ref().map_or("-".to_string(), levels_text),
            format!("{}/{}", r.met + r.not_applicable, r.rows)
        )?;
    }
    for r in results {
        let next: Vec<&Missing> = r
            .missing
            .iter()
            .filter(|m| r.sl_c.get(m.fr).is_some_and(|l| m.level == l + 1))
            .collect();
        if next.is_empty() {
            continue;
        }
        writeln!(
            out,
            "\n{}{}: the next level needs",
            r.id,
            r.name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        )?;
        for m in next {
            writeln!(out, "  FR{} SL {}: {}", m.fr, m.level, ids(&m.requirements))?;
        }
    }
    Ok(())
}

fn md_escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown report: SL-C table (component × FR, claim / SL-C), then per component the rows
/// each level above SL-C still needs.
pub fn write_markdown(results: &[ComponentResult], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# IEC 62443-4-2 component capability (SL-C)\n")?;
    writeln!(
        out,
        "SL-C per foundational requirement: the highest level whose required 4-2 rows for the component's type are all met or not applicable. Where a claim is declared, cells read claim / SL-C.\n"
    )?;
    writeln!(
        out,
        "| component | type | FR1 | FR2 | FR3 | FR4 | FR5 | FR6 | FR7 |\n|---|---|---|---|---|---|---|---|---|"
    )?;
    for r in results {
        let cells: Vec<String> = (1u8..=7)
            .map(
                |fr| match (r.claim.as_ref().and_then(|c| c.get(fr)), r.sl_c.get(fr)) {
                    (Some(c), Some(l)) if l < c => format!("**{c} / {l}**"),
                    (Some(c), Some(l)) => format!("{c} / {l}"),
                    (None, Some(l)) => l.to_string(),
                    _ => "-".to_string(),
                },
            )
            .collect();
        writeln!(
            out,
            "| {} | {} | {} |",
            md_escape(&r.id),
            r.component_type,
            cells.join(" | ")
        )?;
    }
    for r in results {
        writeln!(
            out,
            "\n## {}{}\n",
            md_escape(&r.id),
            r.name
                .as_deref()
                .map(|n| format!(": {}", md_escape(n)))
                .unwrap_or_default()
        )?;
        let product: Vec<&str> = [r.vendor.as_deref(), r.version.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        writeln!(
            out,
            "{}{}, line {}: {} of {} rows met, {} not applicable.{}",
            r.component_type,
            if product.is_empty() {
                String::new()
            } else {
                format!(" ({})", md_escape(&product.join(" ")))
            },
            r.line,
            r.met,
            r.rows,
            r.not_applicable,
            match r.meets_claim {
                Some(true) => " Meets its claim.",
                Some(false) => " **Below its claim.**",
                None => "",
            }
        )?;
        if !r.matches.is_empty() {
            writeln!(
                out,
                "\nMatches: {}.",
                r.matches
                    .iter()
                    .map(|m| format!("`{}`", md_escape(m)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        if !r.missing.is_empty() {
            writeln!(out, "\n| FR | level | still needs |\n|---|---|---|")?;
            for m in &r.missing {
                let rows: Vec<String> = m
                    .requirements
                    .iter()
                    .map(|row| format!("{} {}", row.id, md_escape(&row.title)))
                    .collect();
                writeln!(out, "| FR{} | SL {} | {} |", m.fr, m.level, rows.join("; "))?;
            }
        }
        if !r.constraints_unconfirmed.is_empty() {
            writeln!(
                out,
                "\nConstraints not confirmed: {}.",
                r.constraints_unconfirmed
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(s: &str) -> ReqId {
        s.parse().unwrap()
    }

    fn all_rows(t: ComponentType) -> Vec<&'static ComponentRequirement> {
        (1..=7).flat_map(|fr| counted_rows(t, fr)).collect()
    }

    #[test]
    fn template_round_trip() {
        for t in TYPES {
            let text = template_components(t);
            let parsed = parse("c.toml", &text).unwrap();
            assert_eq!(parsed.components.len(), 1);
            let c = &parsed.components[0];
            assert_eq!(c.component_type, t);
            assert!(c.meets.is_empty());
            // One commented line per 4-2 row of the type.
            let catalog = component_requirements()
                .iter()
                .filter(|r| r.applies_to(t))
                .count();
            let listed = text.lines().filter(|l| l.starts_with("  # \"")).count();
            assert_eq!(listed, catalog, "{t:?}");
            assert_eq!(sl_c(c).0, [Some(0); 7]);
            // Uncommenting every row reaches SL-C 4 everywhere.
            let all: String = text
                .lines()
                .map(|l| match l.strip_prefix("  # \"") {
                    Some(rest) => format!("  \"{rest}\n"),
                    None => format!("{l}\n"),
                })
                .collect();
            let parsed = parse("c.toml", &all).unwrap();
            let c = &parsed.components[0];
            assert_eq!(c.meets.len(), catalog);
            assert_eq!(sl_c(c).0, [Some(4); 7]);
            let result = &evaluate(&parsed)[0];
            assert!(result.missing.is_empty());
            assert!(result.constraints_unconfirmed.is_empty());
            assert_eq!(result.met, result.rows);
        }
        let every = template_components(ComponentType::All);
        assert_eq!(parse("c.toml", &every).unwrap().components.len(), 4);
    }

    #[test]
    fn sl_c_of_an_embedded_device() {
        let t = ComponentType::EmbeddedDevice;
        let mut c = Component::new("plc-x", t);
        c.meets = all_rows(t)
            .into_iter()
            .filter(|r| r.required_at(1))
            .map(|r| r.id)
            .collect();
        // Every FR has SL 1 rows for an embedded device; FR5's only counted row is CR 5.1
        // (SL 1-4; NDR 5.2/5.3 are network-device rows, CR 5.4 requires nothing), so meeting
        // the SL 1 rows there reaches SL 4.
        assert_eq!(sl_c(&c).0, [1, 1, 1, 1, 4, 1, 1].map(Some));
        // Host-device and network-device rows are not asked of it.
        assert!(c.meets.contains(&id("EDR 3.14")));
        assert!(!c.meets.contains(&id("HDR 3.14")));
        // One SL 1 row of FR3 missing: FR3 drops to 0, the others stay.
        c.meets.remove(&id("EDR 3.14"));
        assert_eq!(sl_c(&c).0, [1, 1, 0, 1, 4, 1, 1].map(Some));
        let result = evaluate_one(&c);
        let fr3 = result
            .missing
            .iter()
            .find(|m| m.fr == 3 && m.level == 1)
            .unwrap();
        assert_eq!(fr3.requirements.len(), 1);
        assert_eq!(fr3.requirements[0].id, id("EDR 3.14"));
        // Not applicable counts as met.
        c.not_applicable
            .insert(id("EDR 3.14"), "no update mechanism".into());
        assert_eq!(sl_c(&c).0, [1, 1, 1, 1, 4, 1, 1].map(Some));
        // FR4 at SL 2 needs CR 4.2 only; FR4 SL 3 adds its two REs.
        c.meets.insert(id("CR 4.2"));
        assert_eq!(sl_c(&c).get(4), Some(2));
        let result = evaluate_one(&c);
        let fr4: Vec<(u8, Vec<ReqId>)> = result
            .missing
            .iter()
            .filter(|m| m.fr == 4)
            .map(|m| (m.level, m.requirements.iter().map(|r| r.id).collect()))
            .collect();
        assert_eq!(fr4, [(3, vec![id("CR 4.2 RE(1)"), id("CR 4.2 RE(2)")])]);
        // A claim of 2: gap 1 where SL-C is 1, none in FR4 and FR5.
        c.sl_c_claim = Some([2; 7]);
        let result = evaluate_one(&c);
        assert_eq!(result.gap.unwrap().0, [1, 1, 1, 0, 0, 1, 1].map(Some));
        assert_eq!(result.meets_claim, Some(false));
        assert_eq!(result.constraints_unconfirmed.len(), 4);
    }

    #[test]
    fn errors_carry_lines() {
        let text = r#"[[component]]
id = "plc-x"
type = "embedded-device"
sl_c_claim = 5
matches = ["role:plc", "10.0.0.1/24"]
meets = [
  "CR 1.1",
  "HDR 3.14",
  "CR 3.2",
  "SR 1.1",
  "CR 1.99",
  "CR 1.1",
]
not_applicable = [
  { id = "CR 1.1", reason = "x" },
  { id = "CR 1.2" },
]

[[component]]
id = "plc-x"
type = "gateway"
"#;
        let errors = parse("c.toml", text).unwrap_err();
        let got: Vec<(usize, &str)> = errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        let lines: Vec<usize> = got.iter().map(|g| g.0).collect();
        assert_eq!(lines, [4, 5, 8, 9, 10, 11, 12, 15, 16, 20, 21], "{got:#?}");
        assert!(got[0].1.contains("outside 0-4"));
        assert!(got[1].1.contains("host bits"));
        assert!(got[2].1.contains("host-device requirement"));
        assert!(got[3].1.contains("write EDR 3.2"), "{}", got[3].1);
        assert!(got[4].1.contains("62443-3-3"));
        assert!(got[5].1.contains("not an IEC 62443-4-2"));
        assert!(got[6].1.contains("twice in meets (first on line 7)"));
        assert!(got[7].1.contains("both met (line 7)"));
        assert!(got[8].1.contains("needs a reason"));
        assert!(got[9].1.contains("declared twice (first on line 1)"));
        assert!(got[10].1.contains("type \"gateway\""));
        assert_eq!(
            errors[0].to_string(),
            format!("c.toml:4: {}", errors[0].message)
        );
        let errors = parse(
            "c.toml",
            "[[component]]\nid = \"a\"\ntype = \"ED\"\nmeet = []\n",
        )
        .unwrap_err();
        assert_eq!(errors[0].line, 4);
    }

    #[test]
    fn parse_reads_every_field() {
        let text = r#"
[[component]]
id = "fw-1"
name = "Edge firewall"
vendor = "ACME"
version = "4.2"
type = "ND"
matches = ["asset:FW-1", "role:network_device"]
sl_c_claim = { FR1 = 2, FR2 = 2, FR3 = 2, FR4 = 1, FR5 = 3, FR6 = 1, FR7 = 2 }
meets = ["cr 1.1", "NDR 1.6", "CCSC 1"]
not_applicable = [{ id = "CR 1.7 RE(2)", reason = "no passwords" }]
"#;
        let parsed = parse("c.toml", text).unwrap();
        let c = parsed.get("fw-1").unwrap();
        assert_eq!(c.line, 2);
        assert_eq!(c.component_type, ComponentType::NetworkDevice);
        assert_eq!(c.sl_c_claim, Some([2, 2, 2, 1, 3, 1, 2]));
        assert_eq!(c.matches, ["asset:FW-1", "role:network_device"]);
        assert!(c.meets.contains(&id("CR 1.1")) && c.meets.contains(&id("CCSC 1")));
        assert_eq!(
            c.not_applicable
                .get(&id("CR 1.7 RE(2)"))
                .map(String::as_str),
            Some("no passwords")
        );
        let result = &evaluate(&parsed)[0];
        assert_eq!(result.component_type, "network-device");
        assert_eq!(result.constraints_unconfirmed.len(), 3);
        let json = serde_json::to_value(result).unwrap();
        assert_eq!(json["type"], "network-device");
        assert_eq!(json["sl_c"]["FR1"], 0);
        assert_eq!(json["claim"]["FR5"], 3);
        let mut text = Vec::new();
        write_text(&evaluate(&parsed), &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("fw-1"), "{text}");
        assert!(
            text.contains("FR1 SL 1: CR 1.2") || text.contains("FR1 SL 1:"),
            "{text}"
        );
        let mut md = Vec::new();
        write_markdown(&evaluate(&parsed), &mut md).unwrap();
        let md = String::from_utf8(md).unwrap();
        assert!(md.contains("| fw-1 | network-device | **2 / 0** |"), "{md}");
    }

    fn type_strategy() -> impl Strategy<Value = ComponentType> {
        prop_oneof![
            Just(ComponentType::SoftwareApplication),
            Just(ComponentType::EmbeddedDevice),
            Just(ComponentType::HostDevice),
            Just(ComponentType::NetworkDevice),
        ]
    }

    proptest! {
        /// Declaring one more row met (or not applicable) never lowers SL-C.
        #[test]
        fn one_more_met_row_never_lowers_sl_c(
            t in type_strategy(),
            met in proptest::collection::vec(any::<bool>(), 120),
            pick in 0usize..120,
            as_not_applicable in any::<bool>(),
        ) {
            let rows = all_rows(t);
            let mut c = Component::new("c", t);
            c.meets = rows.iter().zip(&met).filter(|(_, m)| **m).map(|(r, _)| r.id).collect();
            let before = sl_c(&c);
            if let Some(r) = rows.get(pick % rows.len()) {
                if as_not_applicable {
                    if !c.meets.contains(&r.id) {
                        c.not_applicable.insert(r.id, "n/a".into());
                    }
                } else {
                    c.meets.insert(r.id);
                }
            }
            let after = sl_c(&c);
            for fr in 1..=7 {
                prop_assert!(after.get(fr) >= before.get(fr));
            }
        }
    }
}
