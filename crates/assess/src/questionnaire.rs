//! Maturity questionnaires: the IEC 62443-2-1:2024 security program of an asset owner and the
//! IEC 62443-4-1:2018 secure development lifecycle (SDL) of a product supplier, on one engine.
//!
//! Both ask one question per catalog requirement — "how mature is this practice here?" — and
//! answer it with a maturity level from 1 to 4 (0 = not answered yet):
//!
//! | level | name | here it means |
//! |---|---|---|
//! | ML1 | initial | done ad hoc, if at all; undocumented, depends on who happens to do it |
//! | ML2 | managed | a written process with trained, assigned people; consistent practice not yet shown |
//! | ML3 | defined (practiced) | the written process is followed throughout, with records that show it |
//! | ML4 | improving | the process is measured, and the measurements drive its improvement |
//!
//! ```toml
//! kind = "program"            # program (2-1:2024) | sdl (4-1:2018); optional, checked if given
//!
//! [[answer]]
//! id = "ORG 1.1"              # 2-1:2024 requirement (ORG 1.1 … AVAIL 2.5) or 4-1 (SM-1 … SG-7)
//! maturity = 3                # 0 unanswered, 1 initial, 2 managed, 3 defined (practiced), 4 improving
//! by = "A. Owner"             # required once maturity is 1 or more
//! date = "2026-11-30"
//! evidence = "ISMS manual rev 4, internal audit report 2026-10"
//! ```
//!
//! A group's maturity is the lowest of its requirements' (an unanswered requirement counts as
//! 0): 2-1 requirement groups (`ORG 1`) and, above them, the security program elements
//! (`SPE 1`); 4-1 practices (`SM`, `SR`, … `SG`). The overall maturity is the lowest group's.
//! The items to raise first are the requirements that hold their group at its level, lowest
//! first, then those whose group needs the fewest of them raised.

use crate::line_of;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use toml::Spanned;
use zonewarden_catalog::{
    program_requirements_of, sdl_practices, Edition, ProgramLevel, SdlId, SdlLevel,
};

/// Which questionnaire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// IEC 62443-2-1:2024, the asset owner's security program (requirements `ORG 1.1` …).
    Program,
    /// IEC 62443-4-1:2018, the product supplier's secure development lifecycle (`SM-1` …).
    Sdl,
}

impl Kind {
    /// The word used in the file's `kind` key and in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Program => "program",
            Kind::Sdl => "sdl",
        }
    }

    /// The standard and edition the questions come from.
    pub const fn standard(self) -> &'static str {
        match self {
            Kind::Program => "IEC 62443-2-1:2024",
            Kind::Sdl => "IEC 62443-4-1:2018",
        }
    }

    /// What the questionnaire is about, in a few words.
    pub const fn subject(self) -> &'static str {
        match self {
            Kind::Program => "security program",
            Kind::Sdl => "secure development lifecycle",
        }
    }

    /// The file name the template suggests.
    pub const fn file_name(self) -> &'static str {
        match self {
            Kind::Program => "program.toml",
            Kind::Sdl => "sdl.toml",
        }
    }

    fn from_word(word: &str) -> Option<Kind> {
        match word.trim().to_ascii_lowercase().as_str() {
            "program" | "2-1" => Some(Kind::Program),
            "sdl" | "4-1" => Some(Kind::Sdl),
            _ => None,
        }
    }
}

/// The highest maturity level.
pub const MAX_MATURITY: u8 = 4;

/// The name of a maturity level (0 is "unanswered").
pub const fn level_name(level: u8) -> &'static str {
    match level {
        0 => "unanswered",
        1 => "initial",
        2 => "managed",
        3 => "defined (practiced)",
        _ => "improving",
    }
}

/// What a maturity level means, in one line (our words, after 62443-2-1:2024 and 4-1).
pub const fn level_description(level: u8) -> &'static str {
    match level {
        0 => "not answered yet; counts as below initial",
        1 => "done ad hoc, if at all; undocumented, depends on who happens to do it",
        2 => "a written process with trained, assigned people; consistent practice not yet shown",
        3 => "the written process is followed throughout, with records that show it",
        _ => "the process is measured, and the measurements drive its improvement",
    }
}

/// One question: a catalog requirement with the group it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    /// `ORG 1.1` or `SM-1`.
    pub id: String,
    pub title: String,
    /// The requirement group (`ORG 1`) or the 4-1 practice (`SM`).
    pub group: String,
    pub group_title: String,
    /// 2-1 only: the security program element (`SPE 1`) above the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element_title: Option<String>,
}

/// Every question of a questionnaire, in catalog order.
pub fn questions(kind: Kind) -> Vec<Question> {
    match kind {
        Kind::Program => {
            let rows: Vec<_> = program_requirements_of(Edition::Ed2024).collect();
            let title_of = |id: &str| {
                rows.iter()
                    .find(|r| r.id == id)
                    .map_or_else(String::new, |r| r.title.clone())
            };
            let parent_of = |id: &str| {
                rows.iter()
                    .find(|r| r.id == id)
                    .and_then(|r| r.parent.clone())
            };
            rows.iter()
                .filter(|r| r.level == ProgramLevel::Requirement)
                .map(|r| {
                    let group = r.parent.clone().unwrap_or_else(|| r.id.clone());
                    let element = parent_of(&group);
                    Question {
                        id: r.id.clone(),
                        title: r.title.clone(),
                        group_title: title_of(&group),
                        element_title: element.as_deref().map(title_of),
                        group,
                        element,
                    }
                })
                .collect()
        }
        Kind::Sdl => {
            let rows = sdl_practices();
            rows.iter()
                .filter(|r| r.level == SdlLevel::Requirement)
                .map(|r| {
                    let practice = SdlId {
                        practice: r.id.practice,
                        requirement: None,
                    };
                    Question {
                        id: r.id.to_string(),
                        title: r.title.clone(),
                        group: practice.to_string(),
                        group_title: rows
                            .iter()
                            .find(|p| p.id == practice)
                            .map_or_else(String::new, |p| p.title.clone()),
                        element: None,
                        element_title: None,
                    }
                })
                .collect()
        }
    }
}

/// Writes an id the way the catalog does: `org1.1` → `ORG 1.1`, `sm 1` → `SM-1`.
fn canonical_id(kind: Kind, text: &str) -> Option<String> {
    match kind {
        Kind::Program => {
            let text = text.trim();
            let letters = text
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(text.len());
            let (prefix, rest) = text.split_at_checked(letters)?;
            let rest = rest.trim();
            (!prefix.is_empty() && !rest.is_empty())
                .then(|| format!("{} {rest}", prefix.to_ascii_uppercase()))
        }
        Kind::Sdl => text.parse::<SdlId>().ok().map(|id| id.to_string()),
    }
}

/// One answer as read from the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The catalog's spelling of the id.
    pub id: String,
    /// 0 (unanswered) to 4.
    pub maturity: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// File line of the answer.
    pub line: usize,
}

/// The answers of one file, by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    pub path: String,
    pub kind: Kind,
    answers: BTreeMap<String, Answer>,
}

impl Answers {
    /// No answers yet.
    pub fn new(path: &str, kind: Kind) -> Answers {
        Answers {
            path: path.to_string(),
            kind,
            answers: BTreeMap::new(),
        }
    }

    /// The answer for a catalog id (any spelling `parse` accepts).
    pub fn get(&self, id: &str) -> Option<&Answer> {
        canonical_id(self.kind, id).and_then(|id| self.answers.get(&id))
    }

    /// Adds or replaces an answer (tests, and carrying answers forward).
    pub fn insert(&mut self, answer: Answer) {
        let key = canonical_id(self.kind, &answer.id).unwrap_or_else(|| answer.id.clone());
        self.answers.insert(key, answer);
    }

    /// Answers in id order (not catalog order).
    pub fn iter(&self) -> impl Iterator<Item = &Answer> {
        self.answers.values()
    }

    /// Entries in the file, answered or not.
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }
}

/// A problem in a questionnaire file, with its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct QuestionnaireError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// A TOML basic string.
pub(crate) fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A string field's value, `None` when absent or blank.
pub(crate) fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    kind: Option<Spanned<String>>,
    #[serde(default)]
    answer: Vec<Spanned<RawAnswer>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnswer {
    id: Spanned<String>,
    #[serde(default)]
    maturity: Option<Spanned<i64>>,
    by: Option<String>,
    date: Option<String>,
    evidence: Option<String>,
}

/// Reads a questionnaire file; every problem is reported (not only the first): a TOML error,
/// a `kind` other than the one asked for, ids that are not requirements of the questionnaire
/// (a group or practice id names the requirements to answer instead), maturity outside 0-4,
/// an id answered twice, and an answer of maturity 1 or more without `by`.
pub fn parse(path: &str, text: &str, kind: Kind) -> Result<Answers, Vec<QuestionnaireError>> {
    let err = |offset: usize, message: String| QuestionnaireError {
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
    if let Some(declared) = &raw.kind {
        match Kind::from_word(declared.get_ref()) {
            Some(k) if k == kind => {}
            Some(k) => {
                return Err(vec![err(
                    declared.span().start,
                    format!(
                        "this is a {} questionnaire ({}), expected {} ({})",
                        k.as_str(),
                        k.standard(),
                        kind.as_str(),
                        kind.standard()
                    ),
                )])
            }
            None => {
                return Err(vec![err(
                    declared.span().start,
                    format!(
                        "kind {:?}: use \"program\" (2-1) or \"sdl\" (4-1)",
                        declared.get_ref()
                    ),
                )])
            }
        }
    }
    let questions = questions(kind);
    let mut errors = Vec::new();
    let mut answers = Answers::new(path, kind);
    for entry in &raw.answer {
        let a = entry.get_ref();
        let id_text = a.id.get_ref();
        let id_at = a.id.span().start;
        let Some(id) = canonical_id(kind, id_text) else {
            errors.push(err(id_at, unknown_id(kind, id_text)));
            continue;
        };
        if !questions.iter().any(|q| q.id == id) {
            let message = match questions
                .iter()
                .find(|q| q.group == id || q.element.as_deref() == Some(id.as_str()))
            {
                Some(q) => format!(
                    "{id} is a {} of {}: answer its requirements (such as {}) instead",
                    if q.group == id {
                        group_word(kind)
                    } else {
                        "security program element"
                    },
                    kind.standard(),
                    q.id
                ),
                None => unknown_id(kind, id_text),
            };
            errors.push(err(id_at, message));
            continue;
        }
        let maturity = match &a.maturity {
            None => 0,
            Some(m) => match u8::try_from(*m.get_ref()) {
                Ok(level) if level <= MAX_MATURITY => level,
                _ => {
                    errors.push(err(
                        m.span().start,
                        format!(
                            "{id}: maturity {} is outside 0-4 (0 unanswered, 1 initial, 2 managed, 3 defined, 4 improving)",
                            m.get_ref()
                        ),
                    ));
                    continue;
                }
            },
        };
        let line = line_of(text, entry.span().start);
        if let Some(first) = answers.answers.get(&id) {
            errors.push(err(
                entry.span().start,
                format!("{id} is answered twice (first on line {})", first.line),
            ));
            continue;
        }
        let by = nonempty(&a.by);
        if maturity > 0 && by.is_none() {
            let at = a
                .maturity
                .as_ref()
                .map_or(entry.span().start, |m| m.span().start);
            errors.push(err(at, format!("{id}: say who answers it (by = \"…\")")));
        }
        answers.answers.insert(
            id.clone(),
            Answer {
                id,
                maturity,
                by,
                date: nonempty(&a.date),
                evidence: nonempty(&a.evidence),
                line,
            },
        );
    }
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(errors)
    }
}

fn group_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Program => "requirement group",
        Kind::Sdl => "practice",
    }
}

fn unknown_id(kind: Kind, id: &str) -> String {
    match kind {
        Kind::Program => format!(
            "{id:?} is not an {} requirement (ORG 1.1 … AVAIL 2.5)",
            kind.standard()
        ),
        Kind::Sdl => format!(
            "{id:?} is not an {} requirement (SM-1 … SG-7)",
            kind.standard()
        ),
    }
}

/// The 2-1:2024 security program questionnaire, every question unanswered (maturity 0).
pub fn template_program() -> String {
    template(Kind::Program, None)
}

/// The 4-1 SDL questionnaire, every question unanswered (maturity 0).
pub fn template_sdl() -> String {
    template(Kind::Sdl, None)
}

/// The questionnaire as commented TOML, one `[[answer]]` per requirement in catalog order;
/// answers already given in `previous` are kept.
pub fn template(kind: Kind, previous: Option<&Answers>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} — {} {} questionnaire.",
        kind.file_name(),
        kind.standard(),
        kind.subject()
    );
    out.push_str(
        "# One answer per requirement: its maturity here, who says so (by), when (date) and\n\
         # where the proof is (evidence). Maturity levels:\n",
    );
    for level in 0..=MAX_MATURITY {
        let _ = writeln!(
            out,
            "#   {level} {}: {}",
            level_name(level),
            level_description(level)
        );
    }
    out.push_str(
        "# A group's maturity is its lowest requirement's; the overall maturity is the lowest\n\
         # group's. An answer of 1 or more needs `by`.\n",
    );
    let _ = writeln!(out, "kind = {}", toml_string(kind.as_str()));
    let mut element: Option<String> = None;
    let mut group: Option<String> = None;
    for q in questions(kind) {
        if q.element.is_some() && q.element != element {
            let _ = writeln!(
                out,
                "\n# ==== {} {} ====",
                q.element.as_deref().unwrap_or(""),
                q.element_title.as_deref().unwrap_or("")
            );
            element.clone_from(&q.element);
        }
        if group.as_deref() != Some(q.group.as_str()) {
            let _ = writeln!(out, "\n# ---- {} {} ----", q.group, q.group_title);
            group = Some(q.group.clone());
        }
        let _ = writeln!(out, "\n# {} — {}", q.id, q.title);
        out.push_str("[[answer]]\n");
        let _ = writeln!(out, "id = {}", toml_string(&q.id));
        let given = previous.and_then(|p| p.get(&q.id));
        let maturity = given.map_or(0, |a| a.maturity);
        let _ = writeln!(out, "maturity = {maturity}");
        for (key, value) in [
            ("by", given.and_then(|a| a.by.as_deref())),
            ("date", given.and_then(|a| a.date.as_deref())),
            ("evidence", given.and_then(|a| a.evidence.as_deref())),
        ] {
            let _ = writeln!(out, "{key} = {}", toml_string(value.unwrap_or("")));
        }
    }
    out
}

/// A requirement's answer in the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequirementMaturity {
    pub id: String,
    pub title: String,
    pub group: String,
    /// 0 (unanswered) to 4.
    pub maturity: u8,
    pub answered: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// File line of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// A group's (2-1 requirement group or SPE, 4-1 practice) achieved maturity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMaturity {
    pub id: String,
    pub title: String,
    /// 2-1 requirement groups: their SPE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The lowest maturity of its requirements (unanswered = 0).
    pub maturity: u8,
    pub requirements: usize,
    pub answered: usize,
    /// The requirements at that lowest level: what holds the group there.
    pub lowest: Vec<String>,
}

/// A requirement that holds its group at its level, and what raising it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RaiseItem {
    pub rank: usize,
    pub id: String,
    pub title: String,
    pub group: String,
    pub maturity: u8,
    /// The level to reach next.
    pub target: u8,
    /// How many requirements of the group sit at this level (this one included).
    pub with: usize,
    /// `ORG 1 ML1 → ML2 (with 2 other requirement(s))`.
    pub raises: String,
    /// What to do, in plain words.
    pub action: String,
}

/// The evaluated questionnaire (a public contract as JSON: fields may be added, never renamed
/// or dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuestionnaireResult {
    /// Format version of this document.
    pub version: u32,
    pub kind: Kind,
    pub standard: String,
    /// The answer file.
    pub path: String,
    /// The lowest group's maturity.
    pub maturity: u8,
    pub questions: usize,
    pub answered: usize,
    pub unanswered: usize,
    /// 2-1 requirement groups or 4-1 practices, in catalog order.
    pub groups: Vec<GroupMaturity>,
    /// 2-1 only: security program elements (SPE 1 … 8), each the lowest of its groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub elements: Vec<GroupMaturity>,
    pub requirements: Vec<RequirementMaturity>,
    /// Lowest first: the requirements that hold their groups down.
    pub raise_first: Vec<RaiseItem>,
}

/// Collects groups in first-seen order: (id, title, parent, member maturities and ids).
fn group_by<'a>(
    items: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>, &'a RequirementMaturity)>,
) -> Vec<GroupMaturity> {
    let mut groups: Vec<(GroupMaturity, Vec<(u8, &str)>)> = Vec::new();
    for (id, title, parent, r) in items {
        let index = match groups.iter().position(|(g, _)| g.id == id) {
            Some(i) => i,
            None => {
                groups.push((
                    GroupMaturity {
                        id: id.to_string(),
                        title: title.to_string(),
                        parent: parent.map(str::to_string),
                        maturity: 0,
                        requirements: 0,
                        answered: 0,
                        lowest: Vec::new(),
                    },
                    Vec::new(),
                ));
                groups.len() - 1
            }
        };
        let Some(slot) = groups.get_mut(index) else {
            continue;
        };
        slot.0.requirements += 1;
        slot.0.answered += usize::from(r.answered);
        slot.1.push((r.maturity, r.id.as_str()));
    }
    groups
        .into_iter()
        .map(|(mut g, members)| {
            g.maturity = members.iter().map(|(m, _)| *m).min().unwrap_or(0);
            g.lowest = members
                .iter()
                .filter(|(m, _)| *m == g.maturity)
                .map(|(_, id)| id.to_string())
                .collect();
            g
        })
        .collect()
}

/// Maturity per requirement, per group and overall, with the items to raise first. Answers
/// of ids outside `kind`'s questions are ignored (they count as unanswered).
pub fn evaluate(kind: Kind, answers: &Answers) -> QuestionnaireResult {
    let questions = questions(kind);
    let requirements: Vec<RequirementMaturity> = questions
        .iter()
        .map(|q| {
            let a = answers.answers.get(&q.id);
            let maturity = a.map_or(0, |a| a.maturity.min(MAX_MATURITY));
            RequirementMaturity {
                id: q.id.clone(),
                title: q.title.clone(),
                group: q.group.clone(),
                maturity,
                answered: maturity > 0,
                by: a.and_then(|a| a.by.clone()),
                date: a.and_then(|a| a.date.clone()),
                evidence: a.and_then(|a| a.evidence.clone()),
                line: a.map(|a| a.line),
            }
        })
        .collect();
    let groups = group_by(questions.iter().zip(&requirements).map(|(q, r)| {
        (
            q.group.as_str(),
            q.group_title.as_str(),
            q.element.as_deref(),
            r,
        )
    }));
    let elements = group_by(questions.iter().zip(&requirements).filter_map(|(q, r)| {
        Some((
            q.element.as_deref()?,
            q.element_title.as_deref().unwrap_or(""),
            None,
            r,
        ))
    }));
    let maturity = groups.iter().map(|g| g.maturity).min().unwrap_or(0);
    let answered = requirements.iter().filter(|r| r.answered).count();
    let mut raise_first: Vec<RaiseItem> = Vec::new();
    for g in groups.iter().filter(|g| g.maturity < MAX_MATURITY) {
        let with = g.lowest.len();
        for r in requirements
            .iter()
            .filter(|r| r.group == g.id && r.maturity == g.maturity)
        {
            let target = g.maturity + 1;
            let others = with.saturating_sub(1);
            raise_first.push(RaiseItem {
                rank: 0,
                id: r.id.clone(),
                title: r.title.clone(),
                group: g.id.clone(),
                maturity: r.maturity,
                target,
                with,
                raises: format!(
                    "{} ML{} → ML{target}{}",
                    g.id,
                    g.maturity,
                    if others > 0 {
                        format!(" (with {others} other requirement(s))")
                    } else {
                        String::new()
                    }
                ),
                action: raise_action(kind, r, target),
            });
        }
    }
    // Catalog order breaks ties: `requirements` is in it, and the sort is stable.
    raise_first.sort_by_key(|item| (item.maturity, item.with));
    for (i, item) in raise_first.iter_mut().enumerate() {
        item.rank = i + 1;
    }
    QuestionnaireResult {
        version: 1,
        kind,
        standard: kind.standard().to_string(),
        path: answers.path.clone(),
        maturity,
        questions: requirements.len(),
        answered,
        unanswered: requirements.len() - answered,
        groups,
        elements,
        requirements,
        raise_first,
    }
}

fn raise_action(kind: Kind, r: &RequirementMaturity, target: u8) -> String {
    if r.maturity == 0 {
        format!(
            "Find out how {} ({}) is done and answer it in {}; to reach ML1 it has to be done at all.",
            r.id,
            r.title,
            kind.file_name()
        )
    } else {
        format!(
            "Take {} ({}) from ML{} {} to ML{target} {}: {}.",
            r.id,
            r.title,
            r.maturity,
            level_name(r.maturity),
            level_name(target),
            level_description(target)
        )
    }
}

fn ml(level: u8) -> String {
    format!("ML{level} ({})", level_name(level))
}

/// A terminal summary: overall maturity, the groups, and the first `top` items to raise.
pub fn write_text(r: &QuestionnaireResult, out: &mut dyn Write, top: usize) -> io::Result<()> {
    writeln!(
        out,
        "{} {} questionnaire ({}): overall maturity {}",
        r.standard,
        r.kind.subject(),
        r.path,
        ml(r.maturity)
    )?;
    writeln!(
        out,
        "{} requirement(s): {} answered, {} unanswered",
        r.questions, r.answered, r.unanswered
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "  {:<10} {:<4} {:>9}  title",
        match r.kind {
            Kind::Program => "group",
            Kind::Sdl => "practice",
        },
        "ML",
        "answered"
    )?;
    let mut element: Option<&str> = None;
    for g in &r.groups {
        if g.parent.is_some() && g.parent.as_deref() != element {
            element = g.parent.as_deref();
            if let Some(e) = r.elements.iter().find(|e| Some(e.id.as_str()) == element) {
                writeln!(
                    out,
                    "  {:<10} {:<4} {:>9}  {}",
                    e.id,
                    format!("ML{}", e.maturity),
                    format!("{}/{}", e.answered, e.requirements),
                    e.title
                )?;
            }
        }
        let indent = if g.parent.is_some() { "  " } else { "" };
        writeln!(
            out,
            "  {indent}{:<width$} {:<4} {:>9}  {}",
            g.id,
            format!("ML{}", g.maturity),
            format!("{}/{}", g.answered, g.requirements),
            g.title,
            width = 10 - indent.len()
        )?;
    }
    if !r.raise_first.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Raise first, lowest first (top {} of {}):",
            top.min(r.raise_first.len()),
            r.raise_first.len()
        )?;
        for item in r.raise_first.iter().take(top) {
            writeln!(
                out,
                "  {:>3}. {} {} (ML{}; {}): {}",
                item.rank, item.id, item.title, item.maturity, item.raises, item.action
            )?;
        }
    }
    Ok(())
}

fn md_escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown report: summary, maturity levels, groups, every requirement, what to raise.
pub fn write_markdown(r: &QuestionnaireResult, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# {} {} maturity\n", r.standard, r.kind.subject())?;
    writeln!(
        out,
        "Answers: {}. Overall maturity: **{}** (the lowest {}). {} of {} requirement(s) answered.\n",
        md_escape(&r.path),
        ml(r.maturity),
        group_word(r.kind),
        r.answered,
        r.questions
    )?;
    writeln!(out, "| level | name | meaning |\n|---|---|---|")?;
    for level in 0..=MAX_MATURITY {
        writeln!(
            out,
            "| ML{level} | {} | {} |",
            level_name(level),
            level_description(level)
        )?;
    }
    if !r.elements.is_empty() {
        writeln!(out, "\n## Security program elements\n")?;
        writeln!(
            out,
            "| element | title | maturity | answered |\n|---|---|---|---|"
        )?;
        for e in &r.elements {
            writeln!(
                out,
                "| {} | {} | ML{} | {}/{} |",
                e.id,
                md_escape(&e.title),
                e.maturity,
                e.answered,
                e.requirements
            )?;
        }
    }
    let heading = match r.kind {
        Kind::Program => "Requirement groups",
        Kind::Sdl => "Practices",
    };
    writeln!(out, "\n## {heading}\n")?;
    writeln!(
        out,
        "| {} | title | maturity | answered | held down by |\n|---|---|---|---|---|",
        group_word(r.kind)
    )?;
    for g in &r.groups {
        let lowest = if g.maturity >= MAX_MATURITY {
            String::new()
        } else {
            g.lowest.join(", ")
        };
        writeln!(
            out,
            "| {} | {} | ML{} | {}/{} | {} |",
            g.id,
            md_escape(&g.title),
            g.maturity,
            g.answered,
            g.requirements,
            lowest
        )?;
    }
    writeln!(out, "\n## Raise first\n")?;
    if r.raise_first.is_empty() {
        writeln!(out, "Every requirement is at ML4.")?;
    }
    for item in &r.raise_first {
        writeln!(
            out,
            "{}. **{}** {} (ML{}; {}) — {}",
            item.rank,
            item.id,
            md_escape(&item.title),
            item.maturity,
            item.raises,
            md_escape(&item.action)
        )?;
    }
    writeln!(out, "\n## Requirements\n")?;
    writeln!(
        out,
        "| requirement | title | maturity | by | date | evidence |\n|---|---|---|---|---|---|"
    )?;
    for q in &r.requirements {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            q.id,
            md_escape(&q.title),
            if q.answered {
                format!("ML{}", q.maturity)
            } else {
                "?".to_string()
            },
            md_escape(q.by.as_deref().unwrap_or("")),
            md_escape(q.date.as_deref().unwrap_or("")),
            md_escape(q.evidence.as_deref().unwrap_or(""))
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn answer(id: &str, maturity: u8) -> Answer {
        Answer {
            id: id.to_string(),
            maturity,
            by: Some("x".into()),
            date: None,
            evidence: None,
            line: 1,
        }
    }

    fn answers(kind: Kind, list: &[(&str, u8)]) -> Answers {
        let mut a = Answers::new("test.toml", kind);
        for (id, m) in list {
            a.insert(answer(id, *m));
        }
        a
    }

    #[test]
    fn catalog_sizes() {
        let program = questions(Kind::Program);
        assert_eq!(program.len(), 87);
        assert_eq!(questions(Kind::Sdl).len(), 47);
        let first = &program[0];
        assert_eq!(first.id, "ORG 1.1");
        assert_eq!(first.group, "ORG 1");
        assert_eq!(first.element.as_deref(), Some("SPE 1"));
        assert!(!first.group_title.is_empty());
        assert!(first.element_title.is_some());
        let sdl = questions(Kind::Sdl);
        assert_eq!((sdl[0].id.as_str(), sdl[0].group.as_str()), ("SM-1", "SM"));
        assert_eq!(sdl.last().map(|q| q.id.as_str()), Some("SG-7"));
    }

    #[test]
    fn templates_parse_back_with_every_question() {
        for (kind, text) in [
            (Kind::Program, template_program()),
            (Kind::Sdl, template_sdl()),
        ] {
            let parsed = parse("t.toml", &text, kind).unwrap();
            let n = questions(kind).len();
            assert_eq!(parsed.len(), n);
            assert_eq!(text.matches("[[answer]]").count(), n);
            assert!(parsed.iter().all(|a| a.maturity == 0));
            let result = evaluate(kind, &parsed);
            assert_eq!(
                (result.questions, result.answered, result.unanswered),
                (n, 0, n)
            );
            assert_eq!(result.maturity, 0);
            // Every requirement holds its group at 0.
            assert_eq!(result.raise_first.len(), n);
        }
    }

    #[test]
    fn template_keeps_previous_answers() {
        let mut previous = answers(Kind::Program, &[("ORG 1.1", 3)]);
        previous.insert(Answer {
            evidence: Some("ISMS \"manual\"".into()),
            ..answer("NET 1.2", 2)
        });
        let text = template(Kind::Program, Some(&previous));
        let parsed = parse("t.toml", &text, Kind::Program).unwrap();
        assert_eq!(parsed.get("ORG 1.1").map(|a| a.maturity), Some(3));
        let net = parsed.get("net1.2").unwrap();
        assert_eq!(net.maturity, 2);
        assert_eq!(net.evidence.as_deref(), Some("ISMS \"manual\""));
        assert_eq!(parsed.get("ORG 1.2").map(|a| a.maturity), Some(0));
    }

    #[test]
    fn maturity_is_the_minimum_of_group_and_groups() {
        // 4-1: give SM-1..SM-13 maturity 3 except SM-4 at 2; every other practice left.
        let sm: Vec<(String, u8)> = (1..=13)
            .map(|n| (format!("SM-{n}"), if n == 4 { 2 } else { 3 }))
            .collect();
        let list: Vec<(&str, u8)> = sm.iter().map(|(id, m)| (id.as_str(), *m)).collect();
        let result = evaluate(Kind::Sdl, &answers(Kind::Sdl, &list));
        let sm_group = result.groups.iter().find(|g| g.id == "SM").unwrap();
        assert_eq!(sm_group.maturity, 2);
        assert_eq!(sm_group.lowest, vec!["SM-4".to_string()]);
        assert_eq!((sm_group.answered, sm_group.requirements), (13, 13));
        assert_eq!(result.groups.len(), 8);
        // The other practices are unanswered: overall 0.
        assert_eq!(result.maturity, 0);
        assert_eq!((result.answered, result.unanswered), (13, 34));
        // Unanswered items come first, SM-4 last.
        assert_eq!(result.raise_first.len(), 34 + 1);
        assert!(result.raise_first[..34].iter().all(|i| i.maturity == 0));
        let last = result.raise_first.last().unwrap();
        assert_eq!(
            (last.id.as_str(), last.maturity, last.target),
            ("SM-4", 2, 3)
        );
        assert_eq!(last.raises, "SM ML2 → ML3");

        // Now every requirement at 4 except SI-1 at 1 and SI-2 at 1, SVV-3 at 2.
        let mut all = answers(
            Kind::Sdl,
            &questions(Kind::Sdl)
                .iter()
                .map(|q| (q.id.as_str(), 4u8))
                .collect::<Vec<_>>(),
        );
        for (id, m) in [("SI-1", 1), ("SI-2", 1), ("SVV-3", 2)] {
            all.insert(answer(id, m));
        }
        let result = evaluate(Kind::Sdl, &all);
        let by_id = |id: &str| result.groups.iter().find(|g| g.id == id).unwrap().maturity;
        assert_eq!((by_id("SI"), by_id("SVV"), by_id("SM")), (1, 2, 4));
        assert_eq!(result.maturity, 1);
        let order: Vec<&str> = result.raise_first.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(order, ["SI-1", "SI-2", "SVV-3"]);
        assert_eq!(
            result.raise_first[0].raises,
            "SI ML1 → ML2 (with 1 other requirement(s))"
        );
        assert_eq!(result.raise_first[2].with, 1);
    }

    #[test]
    fn program_groups_and_elements() {
        let mut all = answers(
            Kind::Program,
            &questions(Kind::Program)
                .iter()
                .map(|q| (q.id.as_str(), 3u8))
                .collect::<Vec<_>>(),
        );
        all.insert(answer("ORG 2.4", 1));
        all.insert(answer("NET 3.1", 2));
        let result = evaluate(Kind::Program, &all);
        let group = |id: &str| result.groups.iter().find(|g| g.id == id).unwrap();
        let element = |id: &str| result.elements.iter().find(|g| g.id == id).unwrap();
        assert_eq!(group("ORG 1").maturity, 3);
        assert_eq!(group("ORG 2").maturity, 1);
        assert_eq!(group("ORG 2").parent.as_deref(), Some("SPE 1"));
        assert_eq!(element("SPE 1").maturity, 1);
        assert_eq!(group("NET 3").maturity, 2);
        assert_eq!(element("SPE 3").maturity, 2);
        assert_eq!(element("SPE 8").maturity, 3);
        assert_eq!(result.elements.len(), 8);
        assert_eq!(result.maturity, 1);
        assert_eq!(result.raise_first[0].id, "ORG 2.4");
        assert_eq!(result.raise_first[1].id, "NET 3.1");
        // Then every requirement of every group at 3.
        assert!(result.raise_first[2..].iter().all(|i| i.maturity == 3));
        assert_eq!(result.unanswered, 0);
    }

    #[test]
    fn errors_carry_lines() {
        let text = r#"kind = "program"

[[answer]]
id = "ORG 1.1"
maturity = 3
by = "A"

[[answer]]
id = "ORG 9.9"
maturity = 1

[[answer]]
id = "ORG 1.2"
maturity = 7
by = "A"

[[answer]]
id = "org1.1"
maturity = 2
by = "B"

[[answer]]
id = "ORG 1"
maturity = 2
by = "B"

[[answer]]
id = "ORG 1.3"
maturity = 2
"#;
        let errors = parse("p.toml", text, Kind::Program).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [9, 14, 17, 23, 29], "{errors:#?}");
        assert!(errors[0].message.contains("ORG 9.9"));
        assert!(errors[1].message.contains("outside 0-4"));
        assert!(errors[2].message.contains("twice (first on line 3)"));
        assert!(errors[3].message.contains("requirement group"));
        assert!(errors[4].message.contains("by ="));
        assert_eq!(
            errors[0].to_string(),
            format!("p.toml:9: {}", errors[0].message)
        );

        // The wrong questionnaire is one error, on the kind line.
        let errors = parse("p.toml", "\n\nkind = \"sdl\"\n", Kind::Program).unwrap_err();
        assert_eq!((errors.len(), errors[0].line), (1, 3));
        // TOML syntax and unknown keys.
        let errors = parse(
            "s.toml",
            "[[answer]]\nid = \"SM-1\"\nlevel = 2\n",
            Kind::Sdl,
        )
        .unwrap_err();
        assert_eq!(errors[0].line, 3);
        // 4-1 ids: spellings, a practice heading, negative maturity.
        let text = "[[answer]]\nid = \"sm 2\"\nmaturity = 1\nby = \"x\"\n[[answer]]\nid = \"SVV\"\n[[answer]]\nid = \"SG-8\"\n[[answer]]\nid = \"DM-1\"\nmaturity = -1\n";
        let errors = parse("s.toml", text, Kind::Sdl).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [6, 8, 11], "{errors:#?}");
        assert!(errors[0].message.contains("practice"));
    }

    #[test]
    fn renderers_name_the_levels() {
        let result = evaluate(Kind::Program, &answers(Kind::Program, &[("ORG 1.1", 2)]));
        let mut text = Vec::new();
        write_text(&result, &mut text, 5).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("overall maturity ML0 (unanswered)"));
        assert!(text.contains("SPE 1"));
        assert!(text.contains("top 5 of"));
        let mut md = Vec::new();
        write_markdown(&result, &mut md).unwrap();
        let md = String::from_utf8(md).unwrap();
        assert!(md.contains("| ML3 | defined (practiced) |"));
        assert!(md.contains("| ORG 1.1 |"));
        let json = serde_json::to_value(&result).unwrap();
        assert_eq!(json["kind"], "program");
        assert_eq!(json["requirements"][0]["maturity"], 2);
    }

    proptest! {
        /// Raising one answer never lowers a group's or the overall maturity.
        #[test]
        fn raising_an_answer_never_lowers_maturity(
            levels in proptest::collection::vec(0u8..=4, 47),
            pick in 0usize..47,
        ) {
            let qs = questions(Kind::Sdl);
            let list: Vec<(&str, u8)> = qs.iter().zip(&levels).map(|(q, m)| (q.id.as_str(), *m)).collect();
            let before = evaluate(Kind::Sdl, &answers(Kind::Sdl, &list));
            let mut raised = list.clone();
            if let Some(slot) = raised.get_mut(pick) {
                slot.1 = (slot.1 + 1).min(4);
            }
            let after = evaluate(Kind::Sdl, &answers(Kind::Sdl, &raised));
            prop_assert!(after.maturity >= before.maturity);
            for (a, b) in after.groups.iter().zip(&before.groups) {
                prop_assert!(a.maturity >= b.maturity);
            }
        }
    }
}
