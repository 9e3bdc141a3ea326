//! The typed rows of each catalog.

use crate::id::{Doc, IdError, ReqId};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Reads SL flag `level` (1..=4) of a 4-element array.
fn at<T: Copy>(flags: &[T; 4], level: u8) -> Option<T> {
    let index = usize::from(level.checked_sub(1)?);
    flags.get(index).copied()
}

/// A foundational requirement FR1..FR7 (IEC 62443-1-1, 3-3, 4-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundationalRequirement {
    /// 1..=7.
    pub fr: u8,
    /// `IAC`, `UC`, `SI`, `DC`, `RDF`, `TRE`, `RA` (the order of the SL vector).
    pub abbreviation: String,
    /// Short title.
    pub title: String,
    /// One line in our own words.
    pub summary: String,
}

/// How a tool can back a claim about a 3-3 requirement (our engineering judgement, not part
/// of the standard).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    /// At least part of the evidence (usually the absence of the control) shows in passive
    /// traffic.
    Network,
    /// Needs configuration collected from devices or servers.
    Config,
    /// Needs documents, procedures, tests or a person's attestation.
    Manual,
}

impl Evidence {
    /// The word used in the catalog file.
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Network => "network",
            Evidence::Config => "config",
            Evidence::Manual => "manual",
        }
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Evidence {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "network" => Ok(Evidence::Network),
            "config" => Ok(Evidence::Config),
            "manual" => Ok(Evidence::Manual),
            _ => Err(()),
        }
    }
}

/// An IEC 62443-3-3:2013 (with COR1:2014) system requirement or requirement enhancement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SystemRequirement {
    /// `SR n.m` or `SR n.m RE(k)`.
    pub id: ReqId,
    /// The foundational requirement, 1..=7 (equals `id.fr()`).
    pub fr: u8,
    /// Short title.
    pub title: String,
    /// Required at SL 1, 2, 3, 4 (cumulative: once required, required at every higher level).
    pub sl: [bool; 4],
    /// Source codes that support the SL flags (see `data/README.md`), as written.
    pub sources: Vec<String>,
    /// How a tool can back a claim.
    pub evidence: Evidence,
    /// What to look for, in a sentence.
    pub how: String,
}

impl SystemRequirement {
    /// Whether the requirement applies at security level `level` (1..=4; any other level is
    /// `false`).
    pub fn required_at(&self, level: u8) -> bool {
        at(&self.sl, level).unwrap_or(false)
    }

    /// The lowest security level that requires it.
    pub fn min_level(&self) -> Option<u8> {
        (1..=4).find(|&l| self.required_at(l))
    }
}

/// The component types of IEC 62443-4-2. A component of several types has to meet the rows
/// of each type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ComponentType {
    /// The row applies to every component (CR and CCSC rows).
    All,
    /// Software application (SAR rows).
    SoftwareApplication,
    /// Embedded device (EDR rows).
    EmbeddedDevice,
    /// Host device (HDR rows).
    HostDevice,
    /// Network device (NDR rows).
    NetworkDevice,
}

impl ComponentType {
    /// The code used in the catalog file: `all`, `SA`, `ED`, `HD`, `ND`.
    pub fn code(self) -> &'static str {
        match self {
            ComponentType::All => "all",
            ComponentType::SoftwareApplication => "SA",
            ComponentType::EmbeddedDevice => "ED",
            ComponentType::HostDevice => "HD",
            ComponentType::NetworkDevice => "ND",
        }
    }

    /// The type for a catalog code.
    pub fn from_code(code: &str) -> Option<ComponentType> {
        [
            ComponentType::All,
            ComponentType::SoftwareApplication,
            ComponentType::EmbeddedDevice,
            ComponentType::HostDevice,
            ComponentType::NetworkDevice,
        ]
        .into_iter()
        .find(|t| t.code() == code)
    }

    /// The type whose rows carry ids of `doc` (`None` for families outside 4-2).
    pub fn of_doc(doc: Doc) -> Option<ComponentType> {
        match doc {
            Doc::Ccsc | Doc::Cr => Some(ComponentType::All),
            Doc::Sar => Some(ComponentType::SoftwareApplication),
            Doc::Edr => Some(ComponentType::EmbeddedDevice),
            Doc::Hdr => Some(ComponentType::HostDevice),
            Doc::Ndr => Some(ComponentType::NetworkDevice),
            Doc::Sr | Doc::Zcr => None,
        }
    }
}

impl fmt::Display for ComponentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An IEC 62443-4-2:2019 row: a common component security constraint (CCSC), a component
/// requirement (CR), or a component-specific requirement (SAR/EDR/HDR/NDR), each possibly an
/// enhancement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentRequirement {
    /// `CCSC n`, `CR n.m`, `EDR n.m RE(k)`, …
    pub id: ReqId,
    /// The foundational requirement (`None` for CCSC rows).
    pub fr: Option<u8>,
    /// Short title.
    pub title: String,
    /// Per SL 1..4: `Some(true)` required, `Some(false)` not required, `None` the clause sets
    /// no component-level requirement at that level (not applicable; see `note`).
    pub sl: [Option<bool>; 4],
    /// Which component type the row is for.
    pub component_type: ComponentType,
    /// Source codes that support the row (see `data/README.md`), as written.
    pub sources: Vec<String>,
    /// Remarks on the row, e.g. why it has no SL flags.
    pub note: Option<String>,
}

impl ComponentRequirement {
    /// A common component security constraint: applies to every claim, not SL-gated.
    pub fn is_constraint(&self) -> bool {
        self.id.doc() == Doc::Ccsc
    }

    /// Whether the clause sets a requirement at some level (false for CR 2.3, 5.4, 7.5).
    pub fn has_requirement(&self) -> bool {
        self.sl.iter().any(Option::is_some)
    }

    /// `Some(required)` at security level `level` (1..=4), `None` where the clause sets no
    /// requirement or the level is out of range.
    pub fn at_level(&self, level: u8) -> Option<bool> {
        at(&self.sl, level).flatten()
    }

    /// Whether the row is required at `level` (not-applicable cells count as not required).
    pub fn required_at(&self, level: u8) -> bool {
        self.at_level(level).unwrap_or(false)
    }

    /// The lowest security level that requires it.
    pub fn min_level(&self) -> Option<u8> {
        (1..=4).find(|&l| self.required_at(l))
    }

    /// Whether a component of type `component` has to meet this row: common rows apply to
    /// every type, component-specific rows to their own type only.
    pub fn applies_to(&self, component: ComponentType) -> bool {
        self.component_type == ComponentType::All || self.component_type == component
    }
}

/// An IEC 62443-3-2:2020 zone and conduit requirement (`ZCR n`) or sub-requirement (`ZCR n.m`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneConduitRequirement {
    /// `ZCR n` or `ZCR n.m`.
    pub id: ReqId,
    /// `ZCR n` for a sub-requirement `ZCR n.m`; `None` for a top-level requirement.
    pub parent: Option<ReqId>,
    /// Short title.
    pub title: String,
    /// What it asks for, in our own words.
    pub summary: String,
}

/// The eight practices of IEC 62443-4-1:2018, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Practice {
    /// Practice 1, security management.
    #[serde(rename = "SM")]
    Sm,
    /// Practice 2, specification of security requirements.
    #[serde(rename = "SR")]
    Sr,
    /// Practice 3, secure by design.
    #[serde(rename = "SD")]
    Sd,
    /// Practice 4, secure implementation.
    #[serde(rename = "SI")]
    Si,
    /// Practice 5, security verification and validation testing.
    #[serde(rename = "SVV")]
    Svv,
    /// Practice 6, management of security-related issues.
    #[serde(rename = "DM")]
    Dm,
    /// Practice 7, security update management.
    #[serde(rename = "SUM")]
    Sum,
    /// Practice 8, security guidelines.
    #[serde(rename = "SG")]
    Sg,
}

impl Practice {
    /// All practices in order.
    pub const ALL: [Practice; 8] = [
        Practice::Sm,
        Practice::Sr,
        Practice::Sd,
        Practice::Si,
        Practice::Svv,
        Practice::Dm,
        Practice::Sum,
        Practice::Sg,
    ];

    /// The abbreviation used in requirement ids (`SM`, `SVV`, …).
    pub fn abbreviation(self) -> &'static str {
        match self {
            Practice::Sm => "SM",
            Practice::Sr => "SR",
            Practice::Sd => "SD",
            Practice::Si => "SI",
            Practice::Svv => "SVV",
            Practice::Dm => "DM",
            Practice::Sum => "SUM",
            Practice::Sg => "SG",
        }
    }

    /// The practice number, 1..=8.
    pub fn number(self) -> u8 {
        match self {
            Practice::Sm => 1,
            Practice::Sr => 2,
            Practice::Sd => 3,
            Practice::Si => 4,
            Practice::Svv => 5,
            Practice::Dm => 6,
            Practice::Sum => 7,
            Practice::Sg => 8,
        }
    }

    /// The practice for an abbreviation, ignoring ASCII case.
    pub fn from_abbreviation(s: &str) -> Option<Practice> {
        Practice::ALL
            .into_iter()
            .find(|p| p.abbreviation().eq_ignore_ascii_case(s))
    }
}

/// An IEC 62443-4-1 id: a practice (`SM`) or one of its requirements (`SM-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SdlId {
    /// The practice.
    pub practice: Practice,
    /// The requirement number within the practice; `None` for the practice itself.
    pub requirement: Option<u8>,
}

impl fmt::Display for SdlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.practice.abbreviation())?;
        if let Some(n) = self.requirement {
            write!(f, "-{n}")?;
        }
        Ok(())
    }
}

impl FromStr for SdlId {
    type Err = IdError;
    /// Reads `SM`, `SM-1`, `SM 1`, `sm-1`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        let letters = s
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(s.len());
        let (abbr, rest) = s.split_at_checked(letters).unwrap_or((s, ""));
        let practice = Practice::from_abbreviation(abbr)
            .ok_or_else(|| IdError::UnknownDoc(abbr.to_string()))?;
        let rest = rest.trim_start();
        if rest.is_empty() {
            return Ok(SdlId {
                practice,
                requirement: None,
            });
        }
        let digits = rest.strip_prefix('-').unwrap_or(rest).trim_start();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::ExpectedNumber {
                input: s.to_string(),
                rest: rest.to_string(),
            });
        }
        let n: u8 = digits
            .parse()
            .map_err(|_| IdError::NumberTooLarge(s.to_string()))?;
        if n == 0 {
            return Err(IdError::Zero);
        }
        Ok(SdlId {
            practice,
            requirement: Some(n),
        })
    }
}

impl Serialize for SdlId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Whether a 4-1 row is a practice heading or one of its requirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SdlLevel {
    /// One of the eight practices.
    Practice,
    /// A requirement of a practice.
    Requirement,
}

/// An IEC 62443-4-1:2018 secure development lifecycle practice or requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SdlEntry {
    /// `SM` or `SM-1`.
    pub id: SdlId,
    /// Short title.
    pub title: String,
    /// Practice heading or requirement (agrees with `id.requirement`).
    pub level: SdlLevel,
}

/// The edition of IEC 62443-2-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Edition {
    /// IEC 62443-2-1:2010 (= ISA-62443-2-1:2009): CSMS categories and elements.
    #[serde(rename = "2010")]
    Ed2010,
    /// IEC 62443-2-1:2024: security program elements (SPE) and requirements.
    #[serde(rename = "2024")]
    Ed2024,
}

impl Edition {
    /// The year of the edition.
    pub fn year(self) -> u16 {
        match self {
            Edition::Ed2010 => 2010,
            Edition::Ed2024 => 2024,
        }
    }
}

/// The kind of an IEC 62443-2-1 row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgramLevel {
    /// 2010: CSMS category (`4.2`).
    Category,
    /// 2010: group of elements (`4.3.2`).
    ElementGroup,
    /// 2010: CSMS element (`4.3.2.2`).
    Element,
    /// 2024: security program element (`SPE 1`).
    Spe,
    /// 2024: requirement group (`ORG 1`).
    RequirementGroup,
    /// 2024: requirement (`ORG 1.1`).
    Requirement,
}

impl ProgramLevel {
    /// The word used in the catalog file.
    pub fn as_str(self) -> &'static str {
        match self {
            ProgramLevel::Category => "category",
            ProgramLevel::ElementGroup => "element group",
            ProgramLevel::Element => "element",
            ProgramLevel::Spe => "SPE",
            ProgramLevel::RequirementGroup => "requirement group",
            ProgramLevel::Requirement => "requirement",
        }
    }

    /// The edition whose rows have this level.
    pub fn edition(self) -> Edition {
        match self {
            ProgramLevel::Category | ProgramLevel::ElementGroup | ProgramLevel::Element => {
                Edition::Ed2010
            }
            ProgramLevel::Spe | ProgramLevel::RequirementGroup | ProgramLevel::Requirement => {
                Edition::Ed2024
            }
        }
    }
}

/// An IEC 62443-2-1 row (security program requirements for asset owners). Titles are labels,
/// not verified text (see `data/README.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgramRequirement {
    /// Which edition.
    pub edition: Edition,
    /// Clause number (2010: `4.3.2.2`) or id (2024: `SPE 1`, `ORG 1`, `ORG 1.1`).
    pub id: String,
    /// Short title.
    pub title: String,
    /// The id of the enclosing row of the same edition, if any.
    pub parent: Option<String>,
    /// What kind of row it is.
    pub level: ProgramLevel,
    /// Source codes, as written.
    pub sources: Vec<String>,
}

/// A MITRE ATT&CK for ICS mitigation with the IEC 62443 labels MITRE attaches to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttackMitigation {
    /// `M0800` …
    pub id: String,
    /// The mitigation's name.
    pub name: String,
    /// 62443-3-3 labels (`SR n.m`), each present in the 3-3 catalog.
    pub system_requirements: Vec<ReqId>,
    /// 62443-4-2 labels as MITRE writes them (`CR 3.2`, `HDR 2.4`). A `CR` label may name a
    /// clause that 4-2 states only per component type; [`crate::component_clause`] resolves it.
    pub component_requirements: Vec<ReqId>,
}

impl AttackMitigation {
    /// Whether MITRE attaches any 62443 label to it.
    pub fn has_62443_label(&self) -> bool {
        !self.system_requirements.is_empty() || !self.component_requirements.is_empty()
    }
}
