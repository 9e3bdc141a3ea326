//! The IEC 62443 requirement catalogs, shipped with the program and typed.
//!
//! This crate owns the project's copy of the catalogs — which requirements exist, their
//! short titles and the security levels (SL 1–4) that require them — and nothing else:
//! assessing a plant against them belongs to the crates that hold the evidence (policy,
//! inventory, report). The catalogs are data, not code: seven CSV files under `data/`,
//! copied from the project's shared catalog set and embedded with `include_str!`, so the
//! binary needs no files at run time. `data/README.md` travels with them and says where each
//! fact comes from (the sources table), how disputes were settled, and that no normative text
//! of the standards is reproduced — only ids, short titles, SL flags and summaries in our own
//! words. Keep that attribution with the files; refresh them only from the shared set.
//!
//! What it holds:
//! - [`foundational_requirements`]: FR1..FR7 with their abbreviations (IAC … RA).
//! - [`system_requirements`]: IEC 62443-3-3:2013 + COR1:2014, 51 SRs and 49 REs with SL flags
//!   and how a tool can back a claim ([`Evidence`]).
//! - [`component_requirements`]: IEC 62443-4-2:2019, CCSC constraints, common CRs and the
//!   component-specific SAR/EDR/HDR/NDR rows ([`ComponentType`]).
//! - [`zone_conduit_requirements`]: IEC 62443-3-2:2020 ZCR 1..7 and their sub-requirements.
//! - [`sdl_practices`]: IEC 62443-4-1:2018 practices and requirements.
//! - [`program_requirements`]: IEC 62443-2-1, editions 2010 and 2024.
//! - [`attack_mitigations`]: MITRE ATT&CK for ICS mitigations with MITRE's 62443 labels.
//!
//! Ids are typed ([`ReqId`], [`SdlId`]): parsing accepts the spellings used elsewhere
//! (`SR 1.1(1)`, `SR 1.1 RE 1`, `1.1.RE1`) and `Display` writes the standards' own form
//! (`SR 1.1 RE(1)`); `Ord` is document order.
//!
//! ```
//! use zonewarden_catalog::{system_requirement, system_requirements, ReqId};
//!
//! let id: ReqId = "SR 1.1(1)".parse()?;
//! assert_eq!(id.to_string(), "SR 1.1 RE(1)");
//! let sr = system_requirement(&id).ok_or("not in 3-3")?;
//! assert_eq!(sr.min_level(), Some(2));
//! let at_sl2 = system_requirements().iter().filter(|r| r.required_at(2)).count();
//! assert_eq!(at_sl2, 60);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Loading: the files are parsed and cross-checked once, on first use (ids, SL flags that
//! are cumulative, component types that match the id prefix, every RE's base, every parent,
//! every mapped ATT&CK label). A row that fails is a bug in the shipped data, which the
//! crate's tests catch; [`verify`] reports it, and the accessors never panic (they would
//! return empty slices).

mod id;
mod load;
mod records;
mod table;

#[cfg(test)]
mod id_tests;
#[cfg(test)]
mod tests;

pub use id::{Doc, IdError, ReqId};
pub use load::{LoadError, LoadErrorKind};
pub use records::{
    AttackMitigation, ComponentRequirement, ComponentType, Edition, Evidence,
    FoundationalRequirement, Practice, ProgramLevel, ProgramRequirement, SdlEntry, SdlId, SdlLevel,
    SystemRequirement, ZoneConduitRequirement,
};
pub use table::CsvError;

use load::{catalogs, Catalogs};

/// Checks that every embedded catalog loads; `Err` names the first bad row.
pub fn verify() -> Result<(), LoadError> {
    catalogs().map(|_| ()).map_err(Clone::clone)
}

/// One catalog of the loaded set, or an empty slice if the embedded data is broken (see
/// [`verify`]).
fn slice<T>(pick: impl FnOnce(&'static Catalogs) -> &'static [T]) -> &'static [T] {
    catalogs().map(pick).unwrap_or(&[])
}

/// The seven foundational requirements, FR1..FR7 in order.
pub fn foundational_requirements() -> &'static [FoundationalRequirement] {
    slice(|c| &c.frs)
}

/// Foundational requirement `fr` (1..=7).
pub fn foundational_requirement(fr: u8) -> Option<&'static FoundationalRequirement> {
    foundational_requirements().iter().find(|f| f.fr == fr)
}

/// IEC 62443-3-3 system requirements and enhancements, in document order.
pub fn system_requirements() -> &'static [SystemRequirement] {
    slice(|c| &c.srs)
}

/// The 3-3 row for `id`.
pub fn system_requirement(id: &ReqId) -> Option<&'static SystemRequirement> {
    system_requirements().iter().find(|r| r.id == *id)
}

/// IEC 62443-4-2 rows in the order of the catalog file (by FR and clause number, the
/// component-specific rows of a clause together where the common CR would stand).
pub fn component_requirements() -> &'static [ComponentRequirement] {
    slice(|c| &c.crs)
}

/// The 4-2 row with exactly this id.
pub fn component_requirement(id: &ReqId) -> Option<&'static ComponentRequirement> {
    component_requirements().iter().find(|r| r.id == *id)
}

/// The 4-2 rows a label names: the row with that id if there is one; for a `CR` label of a
/// clause that 4-2 states only per component type (`CR 3.2`, `CR 3.14`, as MITRE writes
/// them), its SAR/EDR/HDR/NDR rows. Empty if 4-2 has no such clause.
pub fn component_clause(id: &ReqId) -> Vec<&'static ComponentRequirement> {
    load::component_clause_in(component_requirements(), id).collect()
}

/// IEC 62443-3-2 zone and conduit requirements, in document order.
pub fn zone_conduit_requirements() -> &'static [ZoneConduitRequirement] {
    slice(|c| &c.zcrs)
}

/// The 3-2 row for `id`.
pub fn zone_conduit_requirement(id: &ReqId) -> Option<&'static ZoneConduitRequirement> {
    zone_conduit_requirements().iter().find(|r| r.id == *id)
}

/// IEC 62443-4-1 practices and their requirements, in document order (each practice heading
/// before its requirements).
pub fn sdl_practices() -> &'static [SdlEntry] {
    slice(|c| &c.sdl)
}

/// IEC 62443-2-1 rows of both editions, 2010 first, each parent before its children.
pub fn program_requirements() -> &'static [ProgramRequirement] {
    slice(|c| &c.program)
}

/// IEC 62443-2-1 rows of one edition.
pub fn program_requirements_of(
    edition: Edition,
) -> impl Iterator<Item = &'static ProgramRequirement> {
    program_requirements()
        .iter()
        .filter(move |r| r.edition == edition)
}

/// MITRE ATT&CK for ICS mitigations, by id.
pub fn attack_mitigations() -> &'static [AttackMitigation] {
    slice(|c| &c.attack)
}

/// The mitigation with this id (`M0930`).
pub fn attack_mitigation(id: &str) -> Option<&'static AttackMitigation> {
    attack_mitigations().iter().find(|m| m.id == id)
}
