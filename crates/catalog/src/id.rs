//! Typed requirement ids of IEC 62443-3-2, 3-3 and 4-2: `ZCR 3.1`, `SR 1.1 RE(1)`, `CCSC 2`,
//! `EDR 3.14 RE(1)`.
//!
//! Parsing accepts the spellings found in other documents and tools (`SR 1.1(1)`,
//! `SR 1.1 RE 1`, `sr1.1 re(1)`, `1.1.RE1` with a default document) and `Display` always
//! writes the canonical form of the standards (`SR 1.1 RE(1)`), so an id read from anywhere
//! compares equal to the catalog's.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The document family an id belongs to, in the order the standards are numbered (3-2, 3-3,
/// 4-2) and, inside 4-2, the order of its clauses (constraints, common component
/// requirements, then software application, embedded, host and network device requirements).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Doc {
    /// IEC 62443-3-2 zone and conduit requirement (`ZCR 3.1`).
    Zcr,
    /// IEC 62443-3-3 system requirement (`SR 1.1`, `SR 1.1 RE(1)`).
    Sr,
    /// IEC 62443-4-2 common component security constraint (`CCSC 1`).
    Ccsc,
    /// IEC 62443-4-2 component requirement common to all component types (`CR 1.1`).
    Cr,
    /// IEC 62443-4-2 software application requirement (`SAR 2.4`).
    Sar,
    /// IEC 62443-4-2 embedded device requirement (`EDR 3.14`).
    Edr,
    /// IEC 62443-4-2 host device requirement (`HDR 3.2`).
    Hdr,
    /// IEC 62443-4-2 network device requirement (`NDR 1.6`).
    Ndr,
}

impl Doc {
    /// Every document family, in `Ord` order.
    pub const ALL: [Doc; 8] = [
        Doc::Zcr,
        Doc::Sr,
        Doc::Ccsc,
        Doc::Cr,
        Doc::Sar,
        Doc::Edr,
        Doc::Hdr,
        Doc::Ndr,
    ];

    /// The prefix written in ids (`SR`, `CR`, …).
    pub fn prefix(self) -> &'static str {
        match self {
            Doc::Zcr => "ZCR",
            Doc::Sr => "SR",
            Doc::Ccsc => "CCSC",
            Doc::Cr => "CR",
            Doc::Sar => "SAR",
            Doc::Edr => "EDR",
            Doc::Hdr => "HDR",
            Doc::Ndr => "NDR",
        }
    }

    /// The part of IEC 62443 that defines ids of this family (`3-2`, `3-3`, `4-2`).
    pub fn part(self) -> &'static str {
        match self {
            Doc::Zcr => "3-2",
            Doc::Sr => "3-3",
            Doc::Ccsc | Doc::Cr | Doc::Sar | Doc::Edr | Doc::Hdr | Doc::Ndr => "4-2",
        }
    }

    /// The family for a prefix, ignoring ASCII case.
    pub fn from_prefix(prefix: &str) -> Option<Doc> {
        Doc::ALL
            .into_iter()
            .find(|d| d.prefix().eq_ignore_ascii_case(prefix))
    }

    /// Whether ids of this family are numbered `FR.clause` (SR, CR, SAR, EDR, HDR, NDR) and
    /// can have requirement enhancements.
    pub fn has_fr(self) -> bool {
        !matches!(self, Doc::Zcr | Doc::Ccsc)
    }

    /// Whether this family belongs to IEC 62443-4-2.
    pub fn is_component(self) -> bool {
        self.part() == "4-2"
    }
}

impl fmt::Display for Doc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

impl FromStr for Doc {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Doc::from_prefix(s.trim()).ok_or_else(|| IdError::UnknownDoc(s.trim().to_string()))
    }
}

impl Serialize for Doc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.prefix())
    }
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a requirement id was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Nothing but whitespace.
    #[error("empty requirement id")]
    Empty,
    /// A bare number such as `1.1` where no default document was given.
    #[error("requirement id {0:?} names no document (SR, CR, ZCR, …)")]
    MissingDoc(String),
    /// Letters that are not one of the known prefixes.
    #[error("unknown requirement document prefix {0:?}")]
    UnknownDoc(String),
    /// Something other than a number where a number belongs.
    #[error("expected a number at {rest:?} in requirement id {input:?}")]
    ExpectedNumber {
        /// The whole id as given.
        input: String,
        /// What followed the point where a number was expected.
        rest: String,
    },
    /// A number above 255.
    #[error("number too large in requirement id {0:?}")]
    NumberTooLarge(String),
    /// Text left over after a complete id.
    #[error("unexpected {rest:?} after requirement id {input:?}")]
    Trailing {
        /// The whole id as given.
        input: String,
        /// The text that could not be read.
        rest: String,
    },
    /// Clause numbers start at 1.
    #[error("requirement id numbers start at 1, found 0")]
    Zero,
    /// The FR number of an SR/CR/… id is outside 1..=7.
    #[error("{doc} {major}: the foundational requirement number must be 1 to 7")]
    FrOutOfRange {
        /// The document family.
        doc: Doc,
        /// The number given.
        major: u8,
    },
    /// An SR/CR/… id without the clause number after the FR (`SR 1`).
    #[error("{0} ids need a clause number after the FR number (as in {0} 1.1)")]
    MinorRequired(Doc),
    /// A sub-clause on a family that has none (`CCSC 1.1`).
    #[error("{0} ids have no sub-clause number")]
    MinorNotAllowed(Doc),
    /// A requirement enhancement on a family that has none (`ZCR 3.1 RE(1)`).
    #[error("{0} ids have no requirement enhancements")]
    EnhancementNotAllowed(Doc),
}

/// A requirement id: document family, FR (or major) number, clause number, and the number of
/// the requirement enhancement if it is one.
///
/// Always valid once built: SR/CR/SAR/EDR/HDR/NDR have an FR number 1..=7 and a clause number,
/// `CCSC n` has neither a sub-clause nor enhancements, `ZCR n` and `ZCR n.m` have no
/// enhancements; every number is at least 1.
///
/// `Ord` is document order: by family ([`Doc`]), then numerically, a base requirement before
/// its enhancements: `SR 1.1 < SR 1.1 RE(1) < SR 1.2 < SR 1.10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReqId {
    doc: Doc,
    major: u8,
    minor: Option<u8>,
    re: Option<u8>,
}

impl ReqId {
    /// Builds an id, checking the rules of its family.
    pub fn new(doc: Doc, major: u8, minor: Option<u8>, re: Option<u8>) -> Result<ReqId, IdError> {
        if major == 0 || minor == Some(0) || re == Some(0) {
            return Err(IdError::Zero);
        }
        if doc.has_fr() {
            if !(1..=7).contains(&major) {
                return Err(IdError::FrOutOfRange { doc, major });
            }
            if minor.is_none() {
                return Err(IdError::MinorRequired(doc));
            }
        } else {
            if re.is_some() {
                return Err(IdError::EnhancementNotAllowed(doc));
            }
            if doc == Doc::Ccsc && minor.is_some() {
                return Err(IdError::MinorNotAllowed(doc));
            }
        }
        Ok(ReqId {
            doc,
            major,
            minor,
            re,
        })
    }

    /// Parses an id, using `default` when the text has no document prefix (`1.1.RE1`).
    pub fn parse_in(s: &str, default: Doc) -> Result<ReqId, IdError> {
        parse(s, Some(default))
    }

    /// The document family.
    pub fn doc(&self) -> Doc {
        self.doc
    }

    /// The first number: the FR for SR/CR/SAR/EDR/HDR/NDR, the constraint number for CCSC,
    /// the top-level requirement for ZCR.
    pub fn major(&self) -> u8 {
        self.major
    }

    /// The clause number after the dot, if any (`SR 1.10` → 10).
    pub fn minor(&self) -> Option<u8> {
        self.minor
    }

    /// The requirement enhancement number (`SR 1.1 RE(2)` → 2).
    pub fn re(&self) -> Option<u8> {
        self.re
    }

    /// The foundational requirement 1..=7, for the families numbered by FR.
    pub fn fr(&self) -> Option<u8> {
        self.doc.has_fr().then_some(self.major)
    }

    /// Whether this is a requirement enhancement.
    pub fn is_enhancement(&self) -> bool {
        self.re.is_some()
    }

    /// The base requirement of an enhancement (`SR 1.1 RE(1)` → `SR 1.1`); itself otherwise.
    pub fn base(&self) -> ReqId {
        ReqId { re: None, ..*self }
    }

    /// The requirement one level up: the base of an enhancement, `ZCR 3` for `ZCR 3.1`, and
    /// `None` for a base SR/CR or a top-level ZCR/CCSC.
    pub fn parent(&self) -> Option<ReqId> {
        if self.re.is_some() {
            Some(self.base())
        } else if self.doc == Doc::Zcr && self.minor.is_some() {
            Some(ReqId {
                minor: None,
                ..*self
            })
        } else {
            None
        }
    }
}

impl fmt::Display for ReqId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.doc.prefix(), self.major)?;
        if let Some(minor) = self.minor {
            write!(f, ".{minor}")?;
        }
        if let Some(re) = self.re {
            write!(f, " RE({re})")?;
        }
        Ok(())
    }
}

impl FromStr for ReqId {
    type Err = IdError;
    /// Parses an id that names its document (`SR 1.1 RE(1)`, `SR 1.1(1)`, `SR 1.1 RE 1`,
    /// `SR1.1.RE1`, any ASCII case); see [`ReqId::parse_in`] for bare numbers.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s, None)
    }
}

impl Serialize for ReqId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReqId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A read position in the id text; never indexes out of bounds.
struct Cursor<'a> {
    input: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// Consumes `word` if the text continues with it, ignoring ASCII case.
    fn eat_word(&mut self, word: &str) -> bool {
        let matches = self
            .rest()
            .get(..word.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(word));
        if matches {
            self.pos += word.len();
        }
        matches
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
        self.input.get(start..self.pos).unwrap_or("")
    }

    fn number(&mut self) -> Result<u8, IdError> {
        let digits = self.take_while(|c| c.is_ascii_digit());
        if digits.is_empty() {
            return Err(IdError::ExpectedNumber {
                input: self.input.to_string(),
                rest: self.rest().to_string(),
            });
        }
        digits
            .parse::<u8>()
            .map_err(|_| IdError::NumberTooLarge(self.input.to_string()))
    }

    fn next_is_digit(&self) -> bool {
        self.peek().is_some_and(|c| c.is_ascii_digit())
    }
}

fn parse(s: &str, default: Option<Doc>) -> Result<ReqId, IdError> {
    let input = s.trim();
    if input.is_empty() {
        return Err(IdError::Empty);
    }
    let mut cur = Cursor { input, pos: 0 };
    let prefix = cur.take_while(|c| c.is_ascii_alphabetic());
    let doc = if prefix.is_empty() {
        default.ok_or_else(|| IdError::MissingDoc(input.to_string()))?
    } else {
        Doc::from_prefix(prefix).ok_or_else(|| IdError::UnknownDoc(prefix.to_string()))?
    };
    cur.skip_space();
    let major = cur.number()?;
    let dot_digit = {
        let mut ahead = Cursor {
            input,
            pos: cur.pos,
        };
        ahead.eat('.') && ahead.next_is_digit()
    };
    let minor = if dot_digit {
        cur.bump();
        Some(cur.number()?)
    } else {
        None
    };
    let re = enhancement(&mut cur)?;
    cur.skip_space();
    if !cur.rest().is_empty() {
        return Err(IdError::Trailing {
            input: input.to_string(),
            rest: cur.rest().to_string(),
        });
    }
    ReqId::new(doc, major, minor, re)
}

/// Reads an optional enhancement suffix: ` RE(1)`, `(1)`, ` RE 1`, `.RE1`, ` RE (1)`.
fn enhancement(cur: &mut Cursor<'_>) -> Result<Option<u8>, IdError> {
    let start = cur.pos;
    cur.skip_space();
    cur.eat('.');
    cur.skip_space();
    let has_re = cur.eat_word("RE");
    cur.skip_space();
    if cur.eat('(') {
        cur.skip_space();
        let n = cur.number()?;
        cur.skip_space();
        if !cur.eat(')') {
            return Err(IdError::Trailing {
                input: cur.input.to_string(),
                rest: cur.rest().to_string(),
            });
        }
        Ok(Some(n))
    } else if has_re {
        Ok(Some(cur.number()?))
    } else {
        cur.pos = start;
        Ok(None)
    }
}
