//! Parsing and checking the embedded catalog files, once per process.

use crate::id::{Doc, IdError, ReqId};
use crate::records::{
    AttackMitigation, ComponentRequirement, ComponentType, Edition, Evidence,
    FoundationalRequirement, ProgramLevel, ProgramRequirement, SdlEntry, SdlId, SdlLevel,
    SystemRequirement, ZoneConduitRequirement,
};
use crate::table::{self, CsvError};
use std::collections::BTreeSet;
use std::sync::OnceLock;

pub(crate) const FR_FILE: &str = "iec62443-foundational-requirements.csv";
pub(crate) const SR_FILE: &str = "iec62443-3-3.csv";
pub(crate) const CR_FILE: &str = "iec62443-4-2.csv";
pub(crate) const ZCR_FILE: &str = "iec62443-3-2-zcr.csv";
pub(crate) const SDL_FILE: &str = "iec62443-4-1-practices.csv";
pub(crate) const PROGRAM_FILE: &str = "iec62443-2-1.csv";
pub(crate) const ATTACK_FILE: &str = "attack-ics-mitigations-62443.csv";

/// The embedded files, by name.
pub(crate) const FILES: [(&str, &str); 7] = [
    (
        FR_FILE,
        include_str!("../data/iec62443-foundational-requirements.csv"),
    ),
    (SR_FILE, include_str!("../data/iec62443-3-3.csv")),
    (CR_FILE, include_str!("../data/iec62443-4-2.csv")),
    (ZCR_FILE, include_str!("../data/iec62443-3-2-zcr.csv")),
    (SDL_FILE, include_str!("../data/iec62443-4-1-practices.csv")),
    (PROGRAM_FILE, include_str!("../data/iec62443-2-1.csv")),
    (
        ATTACK_FILE,
        include_str!("../data/attack-ics-mitigations-62443.csv"),
    ),
];

/// A row of an embedded catalog that does not load: a bug in the shipped data, caught by the
/// crate's tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {kind}")]
pub struct LoadError {
    /// The catalog file.
    pub file: &'static str,
    /// The line the row starts on (1 = header).
    pub line: usize,
    /// What is wrong.
    pub kind: LoadErrorKind,
}

/// What is wrong with a catalog row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadErrorKind {
    /// Not well-formed CSV.
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// The header row is not the expected column list.
    #[error("header is {found:?}, expected {expected:?}")]
    Header {
        /// The columns the loader reads.
        expected: &'static [&'static str],
        /// The header found.
        found: Vec<String>,
    },
    /// A row with another number of fields than the header.
    #[error("{found} fields, expected {expected}")]
    FieldCount {
        /// Columns in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// An id that does not parse.
    #[error("id {value:?}: {error}")]
    Id {
        /// The text.
        value: String,
        /// Why.
        error: IdError,
    },
    /// A cell that is not one of the allowed values.
    #[error("column {column}: unexpected value {value:?}")]
    Value {
        /// The column.
        column: &'static str,
        /// The text.
        value: String,
    },
    /// The same id twice.
    #[error("duplicate id {0}")]
    Duplicate(String),
    /// Two cells of the row that contradict each other.
    #[error("{0}")]
    Inconsistent(String),
    /// A parent, base requirement or mapped label that is not in the catalog.
    #[error("{0} is not in the catalog")]
    MissingReference(String),
}

/// Every catalog, parsed and checked.
#[derive(Debug)]
pub(crate) struct Catalogs {
    pub(crate) frs: Vec<FoundationalRequirement>,
    pub(crate) srs: Vec<SystemRequirement>,
    pub(crate) crs: Vec<ComponentRequirement>,
    pub(crate) zcrs: Vec<ZoneConduitRequirement>,
    pub(crate) sdl: Vec<SdlEntry>,
    pub(crate) program: Vec<ProgramRequirement>,
    pub(crate) attack: Vec<AttackMitigation>,
}

static CATALOGS: OnceLock<Result<Catalogs, LoadError>> = OnceLock::new();

/// The catalogs, parsed on first use.
pub(crate) fn catalogs() -> Result<&'static Catalogs, &'static LoadError> {
    CATALOGS.get_or_init(load_all).as_ref()
}

fn text_of(file: &'static str) -> &'static str {
    FILES
        .iter()
        .find(|(name, _)| *name == file)
        .map_or("", |(_, text)| text)
}

pub(crate) fn load_all() -> Result<Catalogs, LoadError> {
    let frs = load_frs(text_of(FR_FILE))?;
    let srs = load_srs(text_of(SR_FILE))?;
    let crs = load_crs(text_of(CR_FILE))?;
    let zcrs = load_zcrs(text_of(ZCR_FILE))?;
    let sdl = load_sdl(text_of(SDL_FILE))?;
    let program = load_program(text_of(PROGRAM_FILE))?;
    let attack = load_attack(text_of(ATTACK_FILE), &srs, &crs)?;
    Ok(Catalogs {
        frs,
        srs,
        crs,
        zcrs,
        sdl,
        program,
        attack,
    })
}

/// A data row with its fields by position (the header was checked to be `COLUMNS`).
struct Row<const N: usize> {
    file: &'static str,
    line: usize,
    fields: [String; N],
}

impl<const N: usize> Row<N> {
    fn err(&self, kind: LoadErrorKind) -> LoadError {
        LoadError {
            file: self.file,
            line: self.line,
            kind,
        }
    }

    fn value_err(&self, column: &'static str, value: &str) -> LoadError {
        self.err(LoadErrorKind::Value {
            column,
            value: value.to_string(),
        })
    }

    fn id(&self, value: &str, default: Doc) -> Result<ReqId, LoadError> {
        ReqId::parse_in(value, default).map_err(|error| {
            self.err(LoadErrorKind::Id {
                value: value.to_string(),
                error,
            })
        })
    }

    fn non_empty(&self, column: &'static str, value: String) -> Result<String, LoadError> {
        if value.trim().is_empty() || value.trim() != value {
            return Err(self.value_err(column, &value));
        }
        Ok(value)
    }
}

/// Reads `text`, checks that the header is exactly `columns`, and returns the data rows.
fn rows<const N: usize>(
    file: &'static str,
    text: &str,
    columns: &'static [&'static str; N],
) -> Result<Vec<Row<N>>, LoadError> {
    let records = table::parse(text).map_err(|e| LoadError {
        file,
        line: match &e {
            CsvError::Unterminated { line }
            | CsvError::AfterQuote { line, .. }
            | CsvError::BareQuote { line } => *line,
        },
        kind: LoadErrorKind::Csv(e),
    })?;
    let mut records = records.into_iter();
    let header = records.next().ok_or(LoadError {
        file,
        line: 1,
        kind: LoadErrorKind::Header {
            expected: columns,
            found: Vec::new(),
        },
    })?;
    if header
        .fields
        .iter()
        .map(String::as_str)
        .ne(columns.iter().copied())
    {
        return Err(LoadError {
            file,
            line: header.line,
            kind: LoadErrorKind::Header {
                expected: columns,
                found: header.fields,
            },
        });
    }
    records
        .map(|r| {
            let found = r.fields.len();
            let fields = <[String; N]>::try_from(r.fields).map_err(|_| LoadError {
                file,
                line: r.line,
                kind: LoadErrorKind::FieldCount { expected: N, found },
            })?;
            Ok(Row {
                file,
                line: r.line,
                fields,
            })
        })
        .collect()
}

/// `FR1` … `FR7`.
fn fr_label(value: &str) -> Option<u8> {
    let n: u8 = value.strip_prefix("FR")?.parse().ok()?;
    (1..=7).contains(&n).then_some(n)
}

/// An SL cell: `1`, `0`, or empty (no requirement at that level).
fn sl_cell(value: &str) -> Result<Option<bool>, ()> {
    match value {
        "1" => Ok(Some(true)),
        "0" => Ok(Some(false)),
        "" => Ok(None),
        _ => Err(()),
    }
}

/// Levels are cumulative: once required, required at every higher level.
fn cumulative(sl: &[Option<bool>; 4]) -> bool {
    let mut required = false;
    sl.iter().all(|cell| {
        if required && *cell != Some(true) {
            return false;
        }
        required |= *cell == Some(true);
        true
    })
}

fn sources(value: &str) -> Vec<String> {
    value
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn check_unique(
    seen: &mut BTreeSet<String>,
    id: String,
    row_err: impl FnOnce(LoadErrorKind) -> LoadError,
) -> Result<(), LoadError> {
    if seen.insert(id.clone()) {
        Ok(())
    } else {
        Err(row_err(LoadErrorKind::Duplicate(id)))
    }
}

const FR_COLUMNS: [&str; 4] = ["id", "abbreviation", "title", "summary"];

pub(crate) fn load_frs(text: &str) -> Result<Vec<FoundationalRequirement>, LoadError> {
    let mut out: Vec<FoundationalRequirement> = Vec::new();
    for row in rows(FR_FILE, text, &FR_COLUMNS)? {
        let [id, abbreviation, title, summary] = row.fields.clone();
        let fr = fr_label(&id).ok_or_else(|| row.value_err("id", &id))?;
        let expected = u8::try_from(out.len() + 1).unwrap_or(u8::MAX);
        if fr != expected {
            return Err(row.err(LoadErrorKind::Inconsistent(format!(
                "FR{fr} where FR{expected} was expected"
            ))));
        }
        out.push(FoundationalRequirement {
            fr,
            abbreviation: row.non_empty("abbreviation", abbreviation)?,
            title: row.non_empty("title", title)?,
            summary: row.non_empty("summary", summary)?,
        });
    }
    Ok(out)
}

const SR_COLUMNS: [&str; 10] = [
    "fr", "id", "title", "sl1", "sl2", "sl3", "sl4", "source", "evidence", "how",
];

pub(crate) fn load_srs(text: &str) -> Result<Vec<SystemRequirement>, LoadError> {
    let mut out: Vec<SystemRequirement> = Vec::new();
    for row in rows(SR_FILE, text, &SR_COLUMNS)? {
        let [fr, id, title, sl1, sl2, sl3, sl4, source, evidence, how] = row.fields.clone();
        let id = row.id(&id, Doc::Sr)?;
        if id.doc() != Doc::Sr {
            return Err(row.value_err("id", &id.to_string()));
        }
        let fr_n = fr_label(&fr).ok_or_else(|| row.value_err("fr", &fr))?;
        if id.fr() != Some(fr_n) {
            return Err(row.err(LoadErrorKind::Inconsistent(format!(
                "{id} listed under {fr}"
            ))));
        }
        let mut sl = [false; 4];
        let mut cells = [None; 4];
        for (i, (column, value)) in [("sl1", &sl1), ("sl2", &sl2), ("sl3", &sl3), ("sl4", &sl4)]
            .into_iter()
            .enumerate()
        {
            let cell = sl_cell(value)
                .ok()
                .flatten()
                .ok_or_else(|| row.value_err(column, value))?;
            if let (Some(flag), Some(c)) = (sl.get_mut(i), cells.get_mut(i)) {
                *flag = cell;
                *c = Some(cell);
            }
        }
        if !cumulative(&cells) {
            return Err(row.err(LoadErrorKind::Inconsistent(format!(
                "{id}: SL flags are not cumulative"
            ))));
        }
        // Document order also rules out duplicates.
        if let Some(prev) = out.last() {
            if prev.id >= id {
                return Err(row.err(LoadErrorKind::Inconsistent(format!(
                    "{id} comes after {} (rows must be in document order, once each)",
                    prev.id
                ))));
            }
        }
        if id.is_enhancement() && !out.iter().any(|r| r.id == id.base()) {
            return Err(row.err(LoadErrorKind::MissingReference(format!(
                "base requirement {} of {id}",
                id.base()
            ))));
        }
        out.push(SystemRequirement {
            id,
            fr: fr_n,
            title: row.non_empty("title", title)?,
            sl,
            sources: sources(&source),
            evidence: evidence
                .parse::<Evidence>()
                .map_err(|()| row.value_err("evidence", &evidence))?,
            how: row.non_empty("how", how)?,
        });
    }
    Ok(out)
}

const CR_COLUMNS: [&str; 10] = [
    "fr",
    "id",
    "title",
    "sl1",
    "sl2",
    "sl3",
    "sl4",
    "component_type",
    "source",
    "note",
];

pub(crate) fn load_crs(text: &str) -> Result<Vec<ComponentRequirement>, LoadError> {
    let mut out: Vec<ComponentRequirement> = Vec::new();
    let mut seen = BTreeSet::new();
    for row in rows(CR_FILE, text, &CR_COLUMNS)? {
        let [fr, id, title, sl1, sl2, sl3, sl4, component_type, source, note] = row.fields.clone();
        let id = row.id(&id, Doc::Cr)?;
        if !id.doc().is_component() {
            return Err(row.value_err("id", &id.to_string()));
        }
        let fr_n = if fr.is_empty() {
            None
        } else {
            Some(fr_label(&fr).ok_or_else(|| row.value_err("fr", &fr))?)
        };
        if id.fr() != fr_n {
            return Err(row.err(LoadErrorKind::Inconsistent(format!(
                "{id} listed under FR {fr:?}"
            ))));
        }
        let component_type = ComponentType::from_code(&component_type)
            .ok_or_else(|| row.value_err("component_type", &component_type))?;
        if ComponentType::of_doc(id.doc()) != Some(component_type) {
            return Err(row.err(LoadErrorKind::Inconsistent(format!(
                "{id} is marked for component type {component_type}"
            ))));
        }
        let mut sl = [None; 4];
        for (cell, (column, value)) in
            sl.iter_mut()
                .zip([("sl1", &sl1), ("sl2", &sl2), ("sl3", &sl3), ("sl4", &sl4)])
        {
            *cell = sl_cell(value).map_err(|()| row.value_err(column, value))?;
        }
        if !cumulative(&sl) {
            return Err(row.err(LoadErrorKind::Inconsistent(format!(
                "{id}: SL flags are not cumulative"
            ))));
        }
        check_unique(&mut seen, id.to_string(), |k| row.err(k))?;
        if id.is_enhancement() && !out.iter().any(|r| r.id == id.base()) {
            return Err(row.err(LoadErrorKind::MissingReference(format!(
                "base requirement {} of {id}",
                id.base()
            ))));
        }
        out.push(ComponentRequirement {
            id,
            fr: fr_n,
            title: row.non_empty("title", title)?,
            sl,
            component_type,
            sources: sources(&source),
            note: (!note.trim().is_empty()).then(|| note.trim().to_string()),
        });
    }
    Ok(out)
}

const ZCR_COLUMNS: [&str; 3] = ["id", "title", "summary"];

pub(crate) fn load_zcrs(text: &str) -> Result<Vec<ZoneConduitRequirement>, LoadError> {
    let mut out: Vec<ZoneConduitRequirement> = Vec::new();
    for row in rows(ZCR_FILE, text, &ZCR_COLUMNS)? {
        let [id, title, summary] = row.fields.clone();
        let id = row.id(&id, Doc::Zcr)?;
        if id.doc() != Doc::Zcr {
            return Err(row.value_err("id", &id.to_string()));
        }
        if let Some(prev) = out.last() {
            if prev.id >= id {
                return Err(row.err(LoadErrorKind::Inconsistent(format!(
                    "{id} comes after {} (rows must be in document order, once each)",
                    prev.id
                ))));
            }
        }
        let parent = id.parent();
        if let Some(parent) = parent {
            if !out.iter().any(|r| r.id == parent) {
                return Err(row.err(LoadErrorKind::MissingReference(format!(
                    "parent {parent} of {id}"
                ))));
            }
        }
        out.push(ZoneConduitRequirement {
            id,
            parent,
            title: row.non_empty("title", title)?,
            summary: row.non_empty("summary", summary)?,
        });
    }
    Ok(out)
}

const SDL_COLUMNS: [&str; 4] = ["id", "title", "practice", "level"];

pub(crate) fn load_sdl(text: &str) -> Result<Vec<SdlEntry>, LoadError> {
    let mut out: Vec<SdlEntry> = Vec::new();
    for row in rows(SDL_FILE, text, &SDL_COLUMNS)? {
        let [id, title, practice, level] = row.fields.clone();
        let id: SdlId = id.parse().map_err(|error| {
            row.err(LoadErrorKind::Id {
                value: id.clone(),
                error,
            })
        })?;
        let number = practice
            .strip_prefix("Practice ")
            .and_then(|n| n.parse::<u8>().ok())
            .ok_or_else(|| row.value_err("practice", &practice))?;
        if number != id.practice.number() {
            return Err(row.err(LoadErrorKind::Inconsistent(format!(
                "{id} listed under {practice}"
            ))));
        }
        let level = match level.as_str() {
            "practice" => SdlLevel::Practice,
            "requirement" => SdlLevel::Requirement,
            _ => return Err(row.value_err("level", &level)),
        };
        if (level == SdlLevel::Practice) != id.requirement.is_none() {
            return Err(row.err(LoadErrorKind::Inconsistent(format!(
                "{id} marked as {level:?}"
            ))));
        }
        if let Some(prev) = out.last() {
            if prev.id >= id {
                return Err(row.err(LoadErrorKind::Inconsistent(format!(
                    "{id} comes after {} (rows must be in document order, once each)",
                    prev.id
                ))));
            }
        }
        if id.requirement.is_some()
            && !out
                .iter()
                .any(|r| r.id.practice == id.practice && r.level == SdlLevel::Practice)
        {
            return Err(row.err(LoadErrorKind::MissingReference(format!(
                "practice {} of {id}",
                id.practice.abbreviation()
            ))));
        }
        out.push(SdlEntry {
            id,
            title: row.non_empty("title", title)?,
            level,
        });
    }
    Ok(out)
}

const PROGRAM_COLUMNS: [&str; 6] = ["edition", "id", "title", "parent", "level", "source"];

pub(crate) fn load_program(text: &str) -> Result<Vec<ProgramRequirement>, LoadError> {
    let mut out: Vec<ProgramRequirement> = Vec::new();
    let mut seen = BTreeSet::new();
    for row in rows(PROGRAM_FILE, text, &PROGRAM_COLUMNS)? {
        let [edition, id, title, parent, level, source] = row.fields.clone();
        let edition = match edition.as_str() {
            "2010" => Edition::Ed2010,
            "2024" => Edition::Ed2024,
            _ => return Err(row.value_err("edition", &edition)),
        };
        let level = [
            ProgramLevel::Category,
            ProgramLevel::ElementGroup,
            ProgramLevel::Element,
            ProgramLevel::Spe,
            ProgramLevel::RequirementGroup,
            ProgramLevel::Requirement,
        ]
        .into_iter()
        .find(|l| l.as_str() == level)
        .ok_or_else(|| row.value_err("level", &level))?;
        if level.edition() != edition {
            return Err(row.err(LoadErrorKind::Inconsistent(format!(
                "level {} in edition {}",
                level.as_str(),
                edition.year()
            ))));
        }
        let id = row.non_empty("id", id)?;
        check_unique(&mut seen, format!("{} {id}", edition.year()), |k| {
            row.err(k)
        })?;
        let parent = if parent.is_empty() {
            None
        } else {
            if !out.iter().any(|r| r.edition == edition && r.id == parent) {
                return Err(row.err(LoadErrorKind::MissingReference(format!(
                    "parent {parent} of {id}"
                ))));
            }
            Some(parent)
        };
        let top_level = matches!(level, ProgramLevel::Category | ProgramLevel::Spe);
        if top_level == parent.is_some() {
            return Err(row.err(LoadErrorKind::Inconsistent(format!(
                "{id}: a {} {} a parent",
                level.as_str(),
                if top_level { "has" } else { "lacks" }
            ))));
        }
        out.push(ProgramRequirement {
            edition,
            id,
            title: row.non_empty("title", title)?,
            parent,
            level,
            sources: sources(&source),
        });
    }
    Ok(out)
}

const ATTACK_COLUMNS: [&str; 4] = [
    "mitigation_id",
    "mitigation",
    "iec62443_3_3",
    "iec62443_4_2",
];

/// The ids in a label cell: `SR 3.5;SR 3.6` (`;`-separated, as MITRE's labels are joined).
fn id_list<const N: usize>(
    row: &Row<N>,
    cell: &str,
    default: Doc,
) -> Result<Vec<ReqId>, LoadError> {
    cell.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| row.id(s, default))
        .collect()
}

/// Whether `id` names a 4-2 clause: a row of the catalog, or a CR label of a clause that 4-2
/// states only per component type.
pub(crate) fn resolves_in(crs: &[ComponentRequirement], id: &ReqId) -> bool {
    component_clause_in(crs, id).next().is_some()
}

pub(crate) fn component_clause_in<'a>(
    crs: &'a [ComponentRequirement],
    id: &ReqId,
) -> impl Iterator<Item = &'a ComponentRequirement> {
    let id = *id;
    let direct = crs.iter().any(|r| r.id == id);
    crs.iter().filter(move |r| {
        if direct {
            r.id == id
        } else {
            id.doc() == Doc::Cr
                && r.id.doc().has_fr()
                && r.id.major() == id.major()
                && r.id.minor() == id.minor()
                && r.id.re() == id.re()
        }
    })
}

pub(crate) fn load_attack(
    text: &str,
    srs: &[SystemRequirement],
    crs: &[ComponentRequirement],
) -> Result<Vec<AttackMitigation>, LoadError> {
    let mut out: Vec<AttackMitigation> = Vec::new();
    let mut seen = BTreeSet::new();
    for row in rows(ATTACK_FILE, text, &ATTACK_COLUMNS)? {
        let [id, name, sr_cell, cr_cell] = row.fields.clone();
        let well_formed = id
            .strip_prefix('M')
            .is_some_and(|n| n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()));
        if !well_formed {
            return Err(row.value_err("mitigation_id", &id));
        }
        check_unique(&mut seen, id.clone(), |k| row.err(k))?;
        let system_requirements = id_list(&row, &sr_cell, Doc::Sr)?;
        for sr in &system_requirements {
            if sr.doc() != Doc::Sr {
                return Err(row.value_err("iec62443_3_3", &sr.to_string()));
            }
            if !srs.iter().any(|r| r.id == *sr) {
                return Err(row.err(LoadErrorKind::MissingReference(sr.to_string())));
            }
        }
        let component_requirements = id_list(&row, &cr_cell, Doc::Cr)?;
        for cr in &component_requirements {
            if !cr.doc().is_component() || !cr.doc().has_fr() {
                return Err(row.value_err("iec62443_4_2", &cr.to_string()));
            }
            if !resolves_in(crs, cr) {
                return Err(row.err(LoadErrorKind::MissingReference(cr.to_string())));
            }
        }
        out.push(AttackMitigation {
            id,
            name: row.non_empty("mitigation", name)?,
            system_requirements,
            component_requirements,
        });
    }
    Ok(out)
}
