//! The zones file: IEC 62443-3-2 zones and conduits, read from TOML and validated.
//!
//! Every element keeps the line it was declared on, so that validation errors, check findings
//! and SARIF results point into the file a reviewer edits.

use crate::selector::{Selector, SelectorError};
use ipnet::IpNet;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use toml::Spanned;
use zonewarden_dissect::{OpClass, Protocol};

/// A foundational-requirement vector of security levels, FR1 (identification and
/// authentication control) to FR7 (resource availability).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SlVector(pub [u8; 7]);

impl SlVector {
    pub const fn uniform(level: u8) -> SlVector {
        SlVector([level; 7])
    }
    /// The level for FR`n` (1-based); 0 outside 1..=7.
    pub fn fr(&self, n: usize) -> u8 {
        n.checked_sub(1)
            .and_then(|i| self.0.get(i))
            .copied()
            .unwrap_or(0)
    }
    pub fn max(&self) -> u8 {
        self.0.iter().copied().max().unwrap_or(0)
    }
}

impl serde::Serialize for SlVector {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(7))?;
        for (i, level) in self.0.iter().enumerate() {
            map.serialize_entry(&format!("FR{}", i + 1), level)?;
        }
        map.end()
    }
}

/// Security controls a conduit declares; they change what the check expects of the traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Control {
    Firewall,
    /// Industrial deep-packet-inspection firewall: can enforce operation classes.
    DpiFirewall,
    DataDiode,
    UnidirectionalGateway,
    Vpn,
    Ipsec,
    Tls,
}

impl Control {
    pub const ALL: [Control; 7] = [
        Control::Firewall,
        Control::DpiFirewall,
        Control::DataDiode,
        Control::UnidirectionalGateway,
        Control::Vpn,
        Control::Ipsec,
        Control::Tls,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            Control::Firewall => "firewall",
            Control::DpiFirewall => "dpi-firewall",
            Control::DataDiode => "data-diode",
            Control::UnidirectionalGateway => "unidirectional-gateway",
            Control::Vpn => "vpn",
            Control::Ipsec => "ipsec",
            Control::Tls => "tls",
        }
    }
    pub fn from_name(name: &str) -> Option<Control> {
        Control::ALL.into_iter().find(|c| c.as_str() == name)
    }
    /// The conduit wraps everything in an authenticated, encrypted tunnel.
    pub const fn protects_in_transit(self) -> bool {
        matches!(self, Control::Vpn | Control::Ipsec | Control::Tls)
    }
    /// Traffic can only go one way.
    pub const fn is_one_way(self) -> bool {
        matches!(self, Control::DataDiode | Control::UnidirectionalGateway)
    }
}

/// Who may open connections on a conduit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConduitDirection {
    /// Clients on either side.
    Bidirectional,
    /// Only clients in the first zone of `zones` (the second only answers).
    OneWay,
}

/// What a rule matches at the transport or application level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleProtocol {
    Any,
    Tcp,
    Udp,
    Icmp,
    App(Protocol),
}

impl RuleProtocol {
    pub fn name(self) -> &'static str {
        match self {
            RuleProtocol::Any => "any",
            RuleProtocol::Tcp => "tcp",
            RuleProtocol::Udp => "udp",
            RuleProtocol::Icmp => "icmp",
            RuleProtocol::App(p) => p.as_str(),
        }
    }
}

/// An operation code in a rule: the protocol's own name for it, or its number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpCode {
    Name(String),
    Number(u16),
}

/// One allow rule of a conduit (or of a zone that restricts its own traffic).
#[derive(Debug, Clone)]
pub struct Rule {
    pub line: usize,
    pub protocol: RuleProtocol,
    /// Server ports, inclusive ranges; empty: the protocol's own ports (any port when the
    /// protocol is recognised by content).
    pub ports: Vec<(u16, u16)>,
    /// Empty: every host on the conduit's client side.
    pub clients: Vec<Selector>,
    pub servers: Vec<Selector>,
    /// Operation classes allowed; `None`: all.
    pub classes: Option<BTreeSet<OpClass>>,
    /// Operation codes allowed in addition to the classes (when classes are absent: only these).
    pub codes: Vec<OpCode>,
    pub description: Option<String>,
}

impl Rule {
    /// True when the rule limits operations (something a plain firewall cannot enforce).
    pub fn limits_operations(&self) -> bool {
        self.classes.is_some() || !self.codes.is_empty()
    }
    /// Whether an operation is allowed by this rule's class and code lists.
    pub fn allows_operation(&self, class: OpClass, name: &str, code: u16) -> bool {
        if !self.limits_operations() {
            return true;
        }
        if self.classes.as_ref().is_some_and(|c| c.contains(&class)) {
            return true;
        }
        self.codes.iter().any(|c| match c {
            OpCode::Name(n) => n.eq_ignore_ascii_case(name),
            OpCode::Number(n) => *n == code,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Zone {
    pub line: usize,
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub sl_t: SlVector,
    pub purdue_level: Option<u8>,
    pub criticality: Option<String>,
    pub members: Vec<(Selector, usize)>,
    /// Rules for traffic inside the zone; when there are none the zone does not restrict
    /// its own traffic.
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
pub struct Conduit {
    pub line: usize,
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// Indexes into [`Model::zones`]; for a one-way conduit the first is the client side.
    pub zones: [usize; 2],
    pub direction: ConduitDirection,
    pub sl_t: SlVector,
    pub controls: Vec<Control>,
    /// The conduit crosses a network the plant does not control (SR 4.1 RE 1).
    pub untrusted_network: bool,
    pub rules: Vec<Rule>,
}

impl Conduit {
    pub fn has_control(&self, control: Control) -> bool {
        self.controls.contains(&control)
    }
    pub fn protected_in_transit(&self) -> bool {
        self.controls.iter().any(|c| c.protects_in_transit())
    }
}

/// A device the model names: an address, MAC or inventory id, with tags that selectors use.
#[derive(Debug, Clone)]
pub struct NamedAsset {
    pub line: usize,
    pub name: String,
    pub matches: Selector,
    pub tags: Vec<String>,
}

/// A validated zones file.
#[derive(Debug, Clone)]
pub struct Model {
    /// The path as given (for messages and SARIF locations).
    pub path: String,
    pub plant: Option<String>,
    pub zones: Vec<Zone>,
    pub conduits: Vec<Conduit>,
    pub assets: Vec<NamedAsset>,
}

impl Model {
    pub fn zone_index(&self, id: &str) -> Option<usize> {
        self.zones.iter().position(|z| z.id == id)
    }
    pub fn zone(&self, index: usize) -> Option<&Zone> {
        self.zones.get(index)
    }
    pub fn zone_id(&self, index: usize) -> &str {
        self.zones.get(index).map_or("?", |z| z.id.as_str())
    }
}

/// One problem in a zones file, with its position.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModelError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Every problem found, not only the first: a reviewer fixes them in one pass.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ModelErrors(pub Vec<ModelError>);

impl std::fmt::Display for ModelErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

// ---- the TOML shape ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    plant: Option<RawPlant>,
    #[serde(default)]
    zone: Vec<Spanned<RawZone>>,
    #[serde(default)]
    conduit: Vec<Spanned<RawConduit>>,
    #[serde(default)]
    asset: Vec<Spanned<RawAsset>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlant {
    name: Option<String>,
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
struct RawZone {
    id: Spanned<String>,
    name: Option<String>,
    description: Option<String>,
    sl_t: Option<Spanned<RawSl>>,
    purdue_level: Option<Spanned<i64>>,
    criticality: Option<Spanned<String>>,
    #[serde(default)]
    members: Vec<Spanned<String>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConduit {
    id: Spanned<String>,
    name: Option<String>,
    description: Option<String>,
    zones: Spanned<Vec<Spanned<String>>>,
    direction: Option<Spanned<String>>,
    sl_t: Option<Spanned<RawSl>>,
    #[serde(default)]
    controls: Vec<Spanned<String>>,
    #[serde(default)]
    untrusted_network: bool,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPort {
    Number(i64),
    Range(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawCode {
    Number(i64),
    Name(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    protocol: Spanned<String>,
    #[serde(default)]
    ports: Vec<Spanned<RawPort>>,
    #[serde(default)]
    clients: Vec<Spanned<String>>,
    #[serde(default)]
    servers: Vec<Spanned<String>>,
    operations: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    codes: Vec<Spanned<RawCode>>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAsset {
    name: Spanned<String>,
    #[serde(rename = "match")]
    matches: Spanned<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// Turns byte offsets into 1-based lines and columns.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }
    fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = line
            .checked_sub(1)
            .and_then(|i| self.starts.get(i))
            .copied()
            .unwrap_or(0);
        (line.max(1), offset.saturating_sub(start) + 1)
    }
}

struct Errors<'a> {
    file: &'a str,
    lines: Lines,
    list: Vec<ModelError>,
}

impl Errors<'_> {
    fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, column) = self.lines.position(span.start);
        self.list.push(ModelError {
            file: self.file.to_string(),
            line,
            column,
            message: message.into(),
        });
    }
    fn line(&self, span: &Range<usize>) -> usize {
        self.lines.position(span.start).0
    }
}

/// Ids end up in firewall rule sets, comments and SARIF: one word of a safe alphabet, so
/// that no id can break out of the text it is written into.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Reads a zones file. `path` is used in messages only.
pub fn parse(path: &str, text: &str) -> Result<Model, ModelErrors> {
    let mut errors = Errors {
        file: path,
        lines: Lines::new(text),
        list: Vec::new(),
    };
    let raw: RawModel = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            errors.at(span, e.message().trim().to_string());
            return Err(ModelErrors(errors.list));
        }
    };
    let model = build(path, raw, &mut errors);
    if errors.list.is_empty() {
        Ok(model)
    } else {
        errors.list.sort_by_key(|e| (e.line, e.column));
        Err(ModelErrors(errors.list))
    }
}

fn sl_vector(raw: &Spanned<RawSl>, what: &str, errors: &mut Errors<'_>) -> SlVector {
    let span = raw.span();
    let check = |v: i64, errors: &mut Errors<'_>| -> u8 {
        match u8::try_from(v) {
            Ok(level) if level <= 4 => level,
            _ => {
                errors.at(
                    span.clone(),
                    format!("{what}: security level {v} is outside 0-4"),
                );
                0
            }
        }
    };
    match raw.get_ref() {
        RawSl::One(v) => SlVector::uniform(check(*v, errors)),
        RawSl::Vector(list) => {
            if list.len() != 7 {
                errors.at(
                    span.clone(),
                    format!(
                        "{what}: a vector needs 7 levels (FR1-FR7), this one has {}",
                        list.len()
                    ),
                );
            }
            let mut out = [0u8; 7];
            for (slot, v) in out.iter_mut().zip(list) {
                *slot = check(*v, errors);
            }
            SlVector(out)
        }
        RawSl::Table(table) => {
            let mut out = [0u8; 7];
            for (key, v) in table {
                let index = key
                    .strip_prefix("FR")
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|n| (1..=7).contains(n));
                match index.and_then(|n| out.get_mut(n - 1)) {
                    Some(slot) => *slot = check(*v, errors),
                    None => errors.at(
                        span.clone(),
                        format!("{what}: unknown requirement {key:?} (FR1-FR7)"),
                    ),
                }
            }
            if table.len() != 7 {
                errors.at(
                    span.clone(),
                    format!("{what}: give all seven of FR1-FR7, or one level for all"),
                );
            }
            SlVector(out)
        }
    }
}

fn selector(
    raw: &Spanned<String>,
    allow_zone: bool,
    errors: &mut Errors<'_>,
) -> Option<(Selector, usize)> {
    match Selector::parse(raw.get_ref()) {
        Ok(Selector::Zone(z)) if !allow_zone => {
            errors.at(
                raw.span(),
                format!("zone:{z} cannot be a zone member (members are devices and networks)"),
            );
            None
        }
        Ok(Selector::Any) if !allow_zone => {
            errors.at(
                raw.span(),
                "\"any\" cannot be a zone member: it would put every device in this zone",
            );
            None
        }
        Ok(s) => Some((s, errors.line(&raw.span()))),
        Err(SelectorError(message)) => {
            errors.at(raw.span(), message);
            None
        }
    }
}

fn build(path: &str, raw: RawModel, errors: &mut Errors<'_>) -> Model {
    let mut model = Model {
        path: path.to_string(),
        plant: raw.plant.and_then(|p| p.name),
        zones: Vec::new(),
        conduits: Vec::new(),
        assets: Vec::new(),
    };
    for raw_asset in &raw.asset {
        let a = raw_asset.get_ref();
        let line = errors.line(&raw_asset.span());
        if let Some((matches, _)) = selector(&a.matches, false, errors) {
            if !matches!(
                matches,
                Selector::Net(_) | Selector::Mac(_) | Selector::Asset(_)
            ) {
                errors.at(
                    a.matches.span(),
                    "an asset matches one address, MAC or inventory id",
                );
            }
            if model.assets.iter().any(|x| x.name == *a.name.get_ref()) {
                errors.at(
                    a.name.span(),
                    format!("asset {:?} is declared twice", a.name.get_ref()),
                );
            }
            model.assets.push(NamedAsset {
                line,
                name: a.name.get_ref().clone(),
                matches,
                tags: a.tags.clone(),
            });
        }
    }
    // Zones first: conduits and selectors refer to them.
    for raw_zone in &raw.zone {
        let z = raw_zone.get_ref();
        let id = z.id.get_ref().clone();
        if !valid_id(&id) {
            errors.at(
                z.id.span(),
                format!(
                    "zone id {id:?} must be one word of letters, digits, '.', '_' or '-' (it names firewall sets and rule comments)"
                ),
            );
        }
        if model.zones.iter().any(|x| x.id == id) {
            errors.at(z.id.span(), format!("zone {id:?} is declared twice"));
        }
        let sl_t = z
            .sl_t
            .as_ref()
            .map_or(SlVector::uniform(1), |s| sl_vector(s, "sl_t", errors));
        let purdue_level = z.purdue_level.as_ref().and_then(|l| {
            let v = *l.get_ref();
            if (0..=5).contains(&v) {
                u8::try_from(v).ok()
            } else {
                errors.at(l.span(), format!("Purdue level {v} is outside 0-5"));
                None
            }
        });
        if let Some(c) = &z.criticality {
            if !["low", "medium", "high", "critical"].contains(&c.get_ref().as_str()) {
                errors.at(
                    c.span(),
                    format!(
                        "criticality {:?}: use low, medium, high or critical",
                        c.get_ref()
                    ),
                );
            }
        }
        let members = z
            .members
            .iter()
            .filter_map(|m| selector(m, false, errors))
            .collect();
        model.zones.push(Zone {
            line: errors.line(&raw_zone.span()),
            id,
            name: z.name.clone(),
            description: z.description.clone(),
            sl_t,
            purdue_level,
            criticality: z.criticality.as_ref().map(|c| c.get_ref().clone()),
            members,
            rules: Vec::new(),
        });
    }
    overlapping_members(&model, errors);
    for (index, raw_zone) in raw.zone.iter().enumerate() {
        let rules: Vec<Rule> = raw_zone
            .get_ref()
            .rule
            .iter()
            .filter_map(|r| rule(r, &model, &[index], None, errors))
            .collect();
        if let Some(zone) = model.zones.get_mut(index) {
            zone.rules = rules;
        }
    }
    for raw_conduit in &raw.conduit {
        if let Some(conduit) = conduit(raw_conduit, &model, errors) {
            model.conduits.push(conduit);
        }
    }
    model
}

fn conduit(raw: &Spanned<RawConduit>, model: &Model, errors: &mut Errors<'_>) -> Option<Conduit> {
    let c = raw.get_ref();
    let id = c.id.get_ref().clone();
    if !valid_id(&id) {
        errors.at(
            c.id.span(),
            format!(
                "conduit id {id:?} must be one word of letters, digits, '.', '_' or '-' (it goes into firewall rules)"
            ),
        );
    }
    if model.conduits.iter().any(|x| x.id == id) {
        errors.at(c.id.span(), format!("conduit {id:?} is declared twice"));
    }
    let mut zones = Vec::new();
    for z in c.zones.get_ref() {
        match model.zone_index(z.get_ref()) {
            Some(i) => zones.push(i),
            None => errors.at(
                z.span(),
                format!("conduit {id:?}: unknown zone {:?}", z.get_ref()),
            ),
        }
    }
    if c.zones.get_ref().len() != 2 {
        errors.at(
            c.zones.span(),
            format!(
                "conduit {id:?} joins two zones, not {}",
                c.zones.get_ref().len()
            ),
        );
        return None;
    }
    let [a, b] = <[usize; 2]>::try_from(zones).ok()?;
    if a == b {
        errors.at(
            c.zones.span(),
            format!(
                "conduit {id:?} joins zone {:?} to itself: traffic inside a zone is governed by the zone's own rules",
                model.zone_id(a)
            ),
        );
        return None;
    }
    let mut controls = Vec::new();
    for control in &c.controls {
        match Control::from_name(control.get_ref()) {
            Some(k) => controls.push(k),
            None => errors.at(
                control.span(),
                format!(
                    "unknown control {:?}: use {}",
                    control.get_ref(),
                    Control::ALL.map(Control::as_str).join(", ")
                ),
            ),
        }
    }
    let direction = match c.direction.as_ref().map(|d| d.get_ref().as_str()) {
        None | Some("bidirectional") => ConduitDirection::Bidirectional,
        Some("one-way") => ConduitDirection::OneWay,
        Some(other) => {
            if let Some(d) = &c.direction {
                errors.at(
                    d.span(),
                    format!("direction {other:?}: use \"bidirectional\" or \"one-way\""),
                );
            }
            ConduitDirection::Bidirectional
        }
    };
    if direction == ConduitDirection::Bidirectional && controls.iter().any(|k| k.is_one_way()) {
        errors.at(
            c.direction.as_ref().map_or(raw.span(), |d| d.span()),
            format!(
                "contradiction: conduit {id:?} has a one-way control (data diode or unidirectional gateway) but is bidirectional; say direction = \"one-way\""
            ),
        );
    }
    let sl_t = c
        .sl_t
        .as_ref()
        .map_or(SlVector::uniform(1), |s| sl_vector(s, "sl_t", errors));
    let one_way_control = controls.iter().any(|k| k.is_one_way());
    let rules = c
        .rule
        .iter()
        .filter_map(|r| {
            rule(
                r,
                model,
                &[a, b],
                Some((direction, one_way_control, &id)),
                errors,
            )
        })
        .collect();
    Some(Conduit {
        line: errors.line(&raw.span()),
        id,
        name: c.name.clone(),
        description: c.description.clone(),
        zones: [a, b],
        direction,
        sl_t,
        controls,
        untrusted_network: c.untrusted_network,
        rules,
    })
}

fn rule(
    raw: &Spanned<RawRule>,
    model: &Model,
    scope: &[usize],
    conduit: Option<(ConduitDirection, bool, &str)>,
    errors: &mut Errors<'_>,
) -> Option<Rule> {
    let r = raw.get_ref();
    let line = errors.line(&raw.span());
    let protocol = match r.protocol.get_ref().as_str() {
        "any" => RuleProtocol::Any,
        "tcp" => RuleProtocol::Tcp,
        "udp" => RuleProtocol::Udp,
        "icmp" => RuleProtocol::Icmp,
        name => match Protocol::from_name(name) {
            Some(p) => RuleProtocol::App(p),
            None => {
                errors.at(
                    r.protocol.span(),
                    format!(
                        "unknown protocol {name:?}: use any, tcp, udp, icmp or one of {}",
                        Protocol::ALL.map(Protocol::as_str).join(", ")
                    ),
                );
                return None;
            }
        },
    };
    let mut ports = Vec::new();
    for p in &r.ports {
        let parsed = match p.get_ref() {
            RawPort::Number(n) => u16::try_from(*n).ok().map(|n| (n, n)),
            RawPort::Range(s) => s.split_once('-').and_then(|(lo, hi)| {
                Some((
                    lo.trim().parse::<u16>().ok()?,
                    hi.trim().parse::<u16>().ok()?,
                ))
            }),
        };
        match parsed {
            Some((lo, hi)) if lo >= 1 && lo <= hi => ports.push((lo, hi)),
            Some((lo, hi)) if lo > hi => errors.at(
                p.span(),
                format!("port range {lo}-{hi} is empty: this rule can never match"),
            ),
            _ => errors.at(p.span(), "a port is 1-65535, or a range \"lo-hi\""),
        }
    }
    if !ports.is_empty() && matches!(protocol, RuleProtocol::Any | RuleProtocol::Icmp) {
        errors.at(
            r.protocol.span(),
            format!(
                "protocol {:?} has no ports: this rule can never match as written (say tcp or udp)",
                protocol.name()
            ),
        );
    }
    if let RuleProtocol::App(p) = protocol {
        if crate::protocols::is_layer2(p) {
            errors.at(
                r.protocol.span(),
                format!(
                    "{} lives at layer 2 and never crosses a routed conduit: this rule can never match",
                    p.as_str()
                ),
            );
        }
    }
    let side = |list: &[Spanned<String>], errors: &mut Errors<'_>| -> Vec<Selector> {
        let mut out = Vec::new();
        for raw_sel in list {
            if let Some((s, _)) = selector(raw_sel, true, errors) {
                if let Selector::Zone(z) = &s {
                    match model.zone_index(z) {
                        Some(i) if scope.contains(&i) => {}
                        Some(_) => errors.at(
                            raw_sel.span(),
                            format!(
                                "zone {z:?} is not joined here (scope: {}): this selector can never match",
                                scope.iter().map(|&i| model.zone_id(i)).collect::<Vec<_>>().join(", ")
                            ),
                        ),
                        None => errors.at(raw_sel.span(), format!("unknown zone {z:?}")),
                    }
                }
                if let Selector::Asset(name) = &s {
                    let known = model.assets.iter().any(|a| &a.name == name)
                        || name.starts_with("mac:")
                        || name.starts_with("ip:");
                    if !known {
                        errors.at(
                            raw_sel.span(),
                            format!(
                                "asset {name:?} is neither declared in an [[asset]] table nor an inventory id (mac:…, ip:…)"
                            ),
                        );
                    }
                }
                out.push(s);
            }
        }
        out
    };
    let clients = side(&r.clients, errors);
    let servers = side(&r.servers, errors);
    let classes = match &r.operations {
        None => None,
        Some(list) => {
            let mut set = BTreeSet::new();
            for c in list.get_ref() {
                match crate::protocols::op_class(c.get_ref()) {
                    Some(k) => {
                        set.insert(k);
                    }
                    None => errors.at(
                        c.span(),
                        format!(
                            "unknown operation class {:?}: use read, write, program, control, diagnostic or other",
                            c.get_ref()
                        ),
                    ),
                }
            }
            if list.get_ref().is_empty() && r.codes.is_empty() {
                errors.at(
                    list.span(),
                    "an empty operations list allows nothing: this rule can never match",
                );
            }
            Some(set)
        }
    };
    let codes: Vec<OpCode> = r
        .codes
        .iter()
        .filter_map(|c| match c.get_ref() {
            RawCode::Number(n) => match u16::try_from(*n) {
                Ok(n) => Some(OpCode::Number(n)),
                Err(_) => {
                    errors.at(c.span(), format!("operation code {n} is outside 0-65535"));
                    None
                }
            },
            RawCode::Name(s) => Some(OpCode::Name(s.clone())),
        })
        .collect();
    if (classes.is_some() || !codes.is_empty())
        && !matches!(protocol, RuleProtocol::App(p) if p.is_industrial() || crate::protocols::has_operations(p))
    {
        errors.at(
            r.operations.as_ref().map_or(raw.span(), |o| o.span()),
            format!(
                "protocol {:?} carries no operations zonewarden decodes: operation limits on it can never match",
                protocol.name()
            ),
        );
    }
    if let Some((direction, one_way_control, conduit_id)) = conduit {
        let [first, second] = [scope.first().copied(), scope.get(1).copied()];
        if direction == ConduitDirection::OneWay {
            let only_second = !clients.is_empty()
                && clients.iter().all(|s| match s {
                    Selector::Zone(z) => model.zone_index(z) == second,
                    _ => false,
                });
            if only_second {
                errors.at(
                    raw.span(),
                    format!(
                        "contradiction: conduit {conduit_id:?} is one-way from {:?}, but this rule's clients are all in {:?}",
                        first.map_or("?", |i| model.zone_id(i)),
                        second.map_or("?", |i| model.zone_id(i))
                    ),
                );
            }
        }
        let over_tcp = match protocol {
            RuleProtocol::Tcp => true,
            RuleProtocol::App(p) => {
                crate::protocols::transport_of(p) == Some(crate::protocols::TCP)
            }
            _ => false,
        };
        if one_way_control && over_tcp {
            errors.at(
                r.protocol.span(),
                format!(
                    "contradiction: conduit {conduit_id:?} is a data diode, and {} over TCP needs a return path",
                    protocol.name()
                ),
            );
        }
    }
    Some(Rule {
        line,
        protocol,
        ports,
        clients,
        servers,
        classes,
        codes,
        description: r.description.clone(),
    })
}

/// Two zones claiming the same network, MAC, asset or hostname pattern.
fn overlapping_members(model: &Model, errors: &mut Errors<'_>) {
    let mut nets: Vec<(IpNet, usize, usize)> = Vec::new();
    for (zi, zone) in model.zones.iter().enumerate() {
        for (member, line) in &zone.members {
            if let Selector::Net(net) = member {
                nets.push((*net, zi, *line));
            }
        }
    }
    for (i, (a, za, _)) in nets.iter().enumerate() {
        for (b, zb, line_b) in nets.iter().skip(i + 1) {
            if za != zb && (a.contains(b) || b.contains(a)) {
                errors.list.push(ModelError {
                    file: errors.file.to_string(),
                    line: *line_b,
                    column: 1,
                    message: format!(
                        "overlapping members: {b} in zone {:?} overlaps {a} in zone {:?} (a device may belong to one zone only)",
                        model.zone_id(*zb),
                        model.zone_id(*za)
                    ),
                });
            }
        }
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (zi, zone) in model.zones.iter().enumerate() {
        for (member, line) in &zone.members {
            if matches!(member, Selector::Net(_)) {
                continue;
            }
            let key = member.to_string();
            match seen.get(&key) {
                Some(&other) if other != zi => errors.list.push(ModelError {
                    file: errors.file.to_string(),
                    line: *line,
                    column: 1,
                    message: format!(
                        "overlapping members: {key} is in zone {:?} and zone {:?}",
                        model.zone_id(other),
                        zone.id
                    ),
                }),
                _ => {
                    seen.insert(key, zi);
                }
            }
        }
    }
}
#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
