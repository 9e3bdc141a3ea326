//! Drawings of the model: Graphviz DOT ([`dot`]) for those who render with Graphviz, and a
//! self-contained SVG ([`svg`]) laid out here, one row per Purdue level, for those who do not.
//!
//! Zones are boxes (id, name, SL-T, Purdue level), conduits are edges between them (id,
//! SL-T, controls, the protocols of their rules); a one-way conduit points from the zone that
//! opens connections to the zone that answers. With a check report the drawing also shows
//! where the traffic disagrees with the model: how many devices each zone holds, conduits with
//! violations in red, zone pairs that talk with no conduit as dashed red edges, and a note
//! for the devices in no zone.
//!
//! Both outputs depend only on the model and the report, in the model's order, so they are
//! byte-stable and can be kept in git next to the zones file.

use crate::check::{CheckReport, Kind};
use crate::model::{ConduitDirection, Model, SlVector};
use std::collections::BTreeMap;

/// Stroke and text colour of everything that is a finding.
const RED: &str = "#c62828";
const RED_FILL: &str = "#ffebee";
const EDGE: &str = "#455a64";
const TEXT: &str = "#263238";
const ZONE_FILL: &str = "#e3f2fd";
const ZONE_STROKE: &str = "#1565c0";
/// Protocol lists are wrapped at about this many characters.
const WRAP: usize = 36;

// ---- what is drawn, shared by both outputs ----

/// What a check report adds to the drawing.
struct Overlay {
    checked: bool,
    /// Devices per zone (model order), from `CheckReport::zones`.
    devices: Vec<Option<usize>>,
    /// Violations inside each zone (the zone's own rules).
    zone_violations: Vec<usize>,
    /// Violations per conduit id.
    conduit_violations: BTreeMap<String, usize>,
    /// Flows between zones that no conduit joins, per (client zone, server zone).
    no_conduit: BTreeMap<(usize, usize), u64>,
    unassigned: usize,
}

impl Overlay {
    fn new(model: &Model, check: Option<&CheckReport>) -> Overlay {
        let n = model.zones.len();
        let mut overlay = Overlay {
            checked: check.is_some(),
            devices: vec![None; n],
            zone_violations: vec![0; n],
            conduit_violations: BTreeMap::new(),
            no_conduit: BTreeMap::new(),
            unassigned: 0,
        };
        let Some(report) = check else {
            return overlay;
        };
        overlay.unassigned = report.unassigned;
        for (slot, zone) in overlay.devices.iter_mut().zip(&model.zones) {
            *slot = report
                .zones
                .iter()
                .find(|s| s.id == zone.id)
                .map(|s| s.assets);
        }
        let index = |id: &Option<String>| id.as_deref().and_then(|z| model.zone_index(z));
        for v in &report.violations {
            if let Some(conduit) = &v.conduit {
                *overlay
                    .conduit_violations
                    .entry(conduit.clone())
                    .or_insert(0) += 1;
                continue;
            }
            let (Some(client), Some(server)) = (index(&v.client_zone), index(&v.server_zone))
            else {
                continue;
            };
            if v.kind == Kind::NoConduit && client != server {
                *overlay.no_conduit.entry((client, server)).or_insert(0) += v.flows;
            } else if client == server {
                if let Some(slot) = overlay.zone_violations.get_mut(client) {
                    *slot += 1;
                }
            }
        }
        overlay
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `SL-T 2` when all seven foundational requirements ask the same level, else the vector.
fn sl_text(sl: &SlVector) -> String {
    let first = sl.fr(1);
    if sl.0.iter().all(|&level| level == first) {
        format!("SL-T {first}")
    } else {
        let levels: Vec<String> = sl.0.iter().map(u8::to_string).collect();
        format!("SL-T {}", levels.join(" "))
    }
}

/// Items joined with ", " into lines of about `width` characters.
fn wrap_list(items: &[&str], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for item in items {
        if !current.is_empty() && current.len() + 2 + item.len() > width {
            current.push(',');
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push_str(", ");
        }
        current.push_str(item);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The text of a zone's box, one entry per line.
fn zone_lines(model: &Model, overlay: &Overlay, index: usize) -> Vec<String> {
    let Some(zone) = model.zone(index) else {
        return Vec::new();
    };
    let mut lines = vec![zone.id.clone()];
    if let Some(name) = &zone.name {
        lines.push(name.clone());
    }
    lines.push(sl_text(&zone.sl_t));
    if let Some(level) = zone.purdue_level {
        lines.push(format!("Purdue level {level}"));
    }
    if let Some(Some(devices)) = overlay.devices.get(index) {
        lines.push(plural(*devices as u64, "device", "devices"));
    }
    if let Some(&n) = overlay.zone_violations.get(index) {
        if n > 0 {
            lines.push(plural(n as u64, "violation", "violations"));
        }
    }
    lines
}

/// An edge of the drawing: a conduit, or traffic between two zones that no conduit joins.
struct Edge {
    /// Zone indexes; for a one-way conduit `from` opens the connections.
    from: usize,
    to: usize,
    /// The conduit's id; `None` for traffic with no conduit.
    conduit: Option<String>,
    one_way: bool,
    red: bool,
    lines: Vec<String>,
    /// Longer text for tooltips.
    title: String,
}

fn edges(model: &Model, overlay: &Overlay) -> Vec<Edge> {
    let mut out = Vec::new();
    for conduit in &model.conduits {
        let mut lines = vec![conduit.id.clone(), sl_text(&conduit.sl_t)];
        if !conduit.controls.is_empty() {
            let controls: Vec<&str> = conduit.controls.iter().map(|c| c.as_str()).collect();
            lines.push(controls.join(", "));
        }
        if conduit.untrusted_network {
            lines.push("untrusted network".to_string());
        }
        let mut protocols: Vec<&str> = Vec::new();
        for rule in &conduit.rules {
            let name = rule.protocol.name();
            if !protocols.contains(&name) {
                protocols.push(name);
            }
        }
        if protocols.is_empty() {
            lines.push("no rules: allows nothing".to_string());
        } else {
            lines.extend(wrap_list(&protocols, WRAP));
        }
        let violations = overlay
            .conduit_violations
            .get(&conduit.id)
            .copied()
            .unwrap_or(0);
        if violations > 0 {
            lines.push(plural(violations as u64, "violation", "violations"));
        }
        let [from, to] = conduit.zones;
        let mut title = format!("conduit {}", conduit.id);
        for text in [&conduit.name, &conduit.description].into_iter().flatten() {
            title.push_str(": ");
            title.push_str(text);
        }
        out.push(Edge {
            from,
            to,
            conduit: Some(conduit.id.clone()),
            one_way: conduit.direction == ConduitDirection::OneWay,
            red: violations > 0,
            lines,
            title,
        });
    }
    for (&(client, server), &flows) in &overlay.no_conduit {
        out.push(Edge {
            from: client,
            to: server,
            conduit: None,
            one_way: true,
            red: true,
            lines: vec![format!("no conduit: {}", plural(flows, "flow", "flows"))],
            title: format!(
                "traffic from zone {} to zone {} that no conduit allows",
                model.zone_id(client),
                model.zone_id(server)
            ),
        });
    }
    out
}

fn unassigned_text(overlay: &Overlay) -> Option<String> {
    (overlay.unassigned > 0).then(|| {
        format!(
            "{} in no zone",
            plural(overlay.unassigned as u64, "device", "devices")
        )
    })
}

/// Rows of the drawing: Purdue level 5 on top down to 0, then zones without a level; only
/// levels that have zones.
fn rows(model: &Model) -> Vec<(Option<u8>, Vec<usize>)> {
    let mut out = Vec::new();
    for level in (0..=5u8).rev().map(Some).chain([None]) {
        let zones: Vec<usize> = model
            .zones
            .iter()
            .enumerate()
            .filter(|(_, z)| z.purdue_level == level)
            .map(|(i, _)| i)
            .collect();
        if !zones.is_empty() {
            out.push((level, zones));
        }
    }
    out
}

fn level_name(level: Option<u8>) -> String {
    level.map_or_else(|| "no level".to_string(), |l| format!("Level {l}"))
}

// ---- Graphviz DOT ----

/// A DOT quoted string's content: quotes and backslashes escaped, line breaks as `\n`.
fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn dot_quote(text: &str) -> String {
    format!("\"{}\"", dot_escape(text))
}

/// Several lines as one DOT label.
fn dot_label(lines: &[String]) -> String {
    let escaped: Vec<String> = lines.iter().map(|l| dot_escape(l)).collect();
    format!("\"{}\"", escaped.join("\\n"))
}

/// A node name of our own that no zone id takes.
fn own_node(model: &Model, name: &str) -> String {
    let mut name = name.to_string();
    while model.zone_index(&name).is_some() {
        name.push('_');
    }
    name
}

/// The model (and, when given, what a check found) as a Graphviz graph: `dot -Tsvg`.
///
/// Zones sit in ranks by Purdue level, the highest on top; conduits do not move them.
pub fn dot(model: &Model, check: Option<&CheckReport>) -> String {
    let overlay = Overlay::new(model, check);
    let title = model.plant.as_deref().unwrap_or(&model.path);
    let mut out = String::new();
    out.push_str("// Zones and conduits, drawn by zonewarden zones diagram.\n");
    out.push_str("digraph zones {\n");
    out.push_str(&format!(
        "  graph [label={}, labelloc=t, fontname=\"Helvetica\", fontsize=14, newrank=true, nodesep=0.5, ranksep=0.9];\n",
        dot_quote(title)
    ));
    out.push_str(&format!(
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"{ZONE_FILL}\", color=\"{ZONE_STROKE}\", fontname=\"Helvetica\", fontsize=11];\n"
    ));
    out.push_str(&format!(
        "  edge [fontname=\"Helvetica\", fontsize=9, color=\"{EDGE}\", fontcolor=\"{TEXT}\"];\n"
    ));
    let zone_node = |i: usize| -> String {
        let mut attrs = format!("label={}", dot_label(&zone_lines(model, &overlay, i)));
        if overlay.zone_violations.get(i).is_some_and(|&n| n > 0) {
            attrs.push_str(&format!(", color=\"{RED}\", fontcolor=\"{RED}\""));
        }
        if let Some(description) = model.zone(i).and_then(|z| z.description.as_deref()) {
            attrs.push_str(&format!(", tooltip={}", dot_quote(description)));
        }
        format!("{} [{attrs}];", dot_quote(model.zone_id(i)))
    };
    let ranked = model.zones.iter().any(|z| z.purdue_level.is_some());
    if ranked {
        // An invisible chain of level labels orders the ranks; zones share their level's rank.
        let rows = rows(model);
        let anchors: Vec<String> = rows
            .iter()
            .map(|(level, _)| {
                own_node(
                    model,
                    &level.map_or_else(|| "level-none".to_string(), |l| format!("level-{l}")),
                )
            })
            .collect();
        out.push_str("\n  // Purdue levels, highest on top\n");
        for ((level, _), anchor) in rows.iter().zip(&anchors) {
            out.push_str(&format!(
                "  {} [shape=plaintext, style=\"\", fontcolor=\"#607d8b\", label={}];\n",
                dot_quote(anchor),
                dot_quote(&level_name(*level))
            ));
        }
        if anchors.len() > 1 {
            let chain: Vec<String> = anchors.iter().map(|a| dot_quote(a)).collect();
            out.push_str(&format!("  {} [style=invis];\n", chain.join(" -> ")));
        }
        for ((level, zones), anchor) in rows.iter().zip(&anchors) {
            out.push_str(&format!(
                "\n  subgraph {} {{\n    rank=same;\n    {};\n",
                dot_quote(&format!("rank-{}", level_name(*level))),
                dot_quote(anchor)
            ));
            for &i in zones {
                out.push_str(&format!("    {}\n", zone_node(i)));
            }
            out.push_str("  }\n");
        }
    } else {
        out.push_str("\n  // zones\n");
        for i in 0..model.zones.len() {
            out.push_str(&format!("  {}\n", zone_node(i)));
        }
    }
    let edges = edges(model, &overlay);
    if !edges.is_empty() {
        out.push_str("\n  // conduits (and traffic that no conduit joins)\n");
    }
    for edge in &edges {
        let mut attrs = format!(
            "label={}, tooltip={}, dir={}",
            dot_label(&edge.lines),
            dot_quote(&edge.title),
            if edge.one_way { "forward" } else { "both" }
        );
        if edge.red {
            attrs.push_str(&format!(
                ", color=\"{RED}\", fontcolor=\"{RED}\", penwidth=2"
            ));
        }
        if edge.conduit.is_none() {
            attrs.push_str(", style=dashed");
        }
        if ranked {
            attrs.push_str(", constraint=false");
        }
        out.push_str(&format!(
            "  {} -> {} [{attrs}];\n",
            dot_quote(model.zone_id(edge.from)),
            dot_quote(model.zone_id(edge.to))
        ));
    }
    if let Some(text) = unassigned_text(&overlay) {
        out.push_str(&format!(
            "\n  {} [shape=note, style=filled, fillcolor=\"{RED_FILL}\", color=\"{RED}\", fontcolor=\"{RED}\", label={}];\n",
            dot_quote(&own_node(model, "unassigned")),
            dot_quote(&text)
        ));
    }
    out.push_str("}\n");
    out
}

// ---- SVG ----

const FONT_SIZE: f64 = 12.0;
/// Average advance of a character of the sans-serif font at `FONT_SIZE` (a generous guess:
/// boxes are sized without measuring text).
const CHAR_W: f64 = 7.0;
const LINE_H: f64 = 15.0;
const LABEL_FONT_SIZE: f64 = 10.5;
const LABEL_CHAR_W: f64 = 6.2;
const LABEL_LINE_H: f64 = 13.0;
const PAD: f64 = 10.0;
const MIN_BOX_W: f64 = 140.0;
/// Space between boxes of a row, and at its ends.
const H_GAP: f64 = 60.0;
/// Space between rows, where conduits and their labels go.
const ROW_GAP: f64 = 150.0;
/// The column of level names on the left.
const LEVEL_COL: f64 = 90.0;
/// Distance between parallel edges of one zone pair.
const PARALLEL: f64 = 34.0;

/// XML text and attribute content: `& < > " '` escaped, characters XML 1.0 forbids dropped.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A coordinate: at most one decimal, no `-0`.
fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

#[derive(Clone, Copy)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
    fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
    /// Whether the two rectangles, each grown by `margin`, overlap.
    fn overlaps(&self, other: &Rect, margin: f64) -> bool {
        self.x - margin < other.x + other.w
            && other.x - margin < self.x + self.w
            && self.y - margin < other.y + other.h
            && other.y - margin < self.y + self.h
    }
    /// Where the ray from the centre in direction (dx, dy) leaves the rectangle.
    fn exit(&self, dx: f64, dy: f64) -> (f64, f64) {
        let tx = if dx.abs() > f64::EPSILON {
            self.w / 2.0 / dx.abs()
        } else {
            f64::INFINITY
        };
        let ty = if dy.abs() > f64::EPSILON {
            self.h / 2.0 / dy.abs()
        } else {
            f64::INFINITY
        };
        let t = tx.min(ty);
        if t.is_finite() {
            (self.cx() + dx * t, self.cy() + dy * t)
        } else {
            (self.cx(), self.cy())
        }
    }
}

/// The extent of everything drawn, for the view box.
struct Bounds {
    min_x: f64,
    min_y: f64,
    max_x: f64,
    max_y: f64,
}

impl Bounds {
    fn add(&mut self, x: f64, y: f64) {
        self.min_x = self.min_x.min(x);
        self.min_y = self.min_y.min(y);
        self.max_x = self.max_x.max(x);
        self.max_y = self.max_y.max(y);
    }
    fn add_rect(&mut self, r: &Rect) {
        self.add(r.x, r.y);
        self.add(r.x + r.w, r.y + r.h);
    }
}

fn text_width(lines: &[String], char_w: f64) -> f64 {
    lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64 * char_w
}

/// Lines of text centred on `cx`, the first baseline at `y`.
fn svg_text(out: &mut String, cx: f64, y: f64, line_h: f64, lines: &[String], attrs: &str) {
    for (i, line) in lines.iter().enumerate() {
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\"{}{attrs}>{}</text>\n",
            num(cx),
            num(y + i as f64 * line_h),
            if i == 0 { " font-weight=\"bold\"" } else { "" },
            xml(line)
        ));
    }
}

type Point = (f64, f64);

/// One piece of an edge's path.
#[derive(Clone, Copy)]
enum Seg {
    Line([Point; 2]),
    Cubic([Point; 4]),
}

impl Seg {
    /// A quadratic Bézier curve, as the cubic it is.
    fn quadratic(p0: Point, c: Point, p1: Point) -> Seg {
        let third = |p: Point| (p.0 + 2.0 / 3.0 * (c.0 - p.0), p.1 + 2.0 / 3.0 * (c.1 - p.1));
        Seg::Cubic([p0, third(p0), third(p1), p1])
    }
    fn points(&self) -> &[Point] {
        match self {
            Seg::Line(p) => p,
            Seg::Cubic(p) => p,
        }
    }
    fn at(&self, t: f64) -> Point {
        match self {
            Seg::Line([a, b]) => (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)),
            Seg::Cubic([p0, p1, p2, p3]) => {
                let u = 1.0 - t;
                let (w0, w1, w2, w3) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
                (
                    w0 * p0.0 + w1 * p1.0 + w2 * p2.0 + w3 * p3.0,
                    w0 * p0.1 + w1 * p1.1 + w2 * p2.1 + w3 * p3.1,
                )
            }
        }
    }
    /// Path data; the first piece starts with a move.
    fn d(&self, first: bool) -> String {
        let pt = |p: &Point| format!("{} {}", num(p.0), num(p.1));
        let start = |p: &Point| {
            if first {
                format!("M {} ", pt(p))
            } else {
                String::new()
            }
        };
        match self {
            Seg::Line([a, b]) => format!("{}L {}", start(a), pt(b)),
            Seg::Cubic([p0, p1, p2, p3]) => {
                format!("{}C {} {} {}", start(p0), pt(p1), pt(p2), pt(p3))
            }
        }
    }
}

/// Space kept between a detour and the box it goes around.
const DETOUR: f64 = 30.0;

/// Draws edges between boxes laid out in rows.
struct Router<'a> {
    row_boxes: &'a [Vec<Rect>],
    row_mid: &'a [f64],
    /// Detours already through each (row, passage), to spread the next ones.
    used: BTreeMap<(usize, usize), usize>,
}

impl Router<'_> {
    /// The path from box `a` to box `b`: an arc over the row for boxes in one row, a straight
    /// line (bent by `offset` for parallel edges) between neighbouring rows, and a curve
    /// through the free passages of the rows in between otherwise.
    fn route(
        &mut self,
        (a, row_a): (&Rect, usize),
        (b, row_b): (&Rect, usize),
        nth: usize,
        offset: f64,
    ) -> Vec<Seg> {
        if row_a == row_b {
            // From the top edges, a quarter of the way from the centres towards each other:
            // the centres are where edges from the rows above arrive.
            let toward = if b.cx() >= a.cx() { 1.0 } else { -1.0 };
            let (x0, y0) = (a.cx() + toward * a.w / 4.0, a.y);
            let (x1, y1) = (b.cx() - toward * b.w / 4.0, b.y);
            let lift = 40.0 + 0.1 * (x1 - x0).abs() + PARALLEL * nth as f64;
            let top = y0.min(y1) - lift;
            return vec![Seg::Cubic([(x0, y0), (x0, top), (x1, top), (x1, y1)])];
        }
        let step: isize = if row_b > row_a { 1 } else { -1 };
        let mut waypoints: Vec<Point> = Vec::new();
        let mut bent = false;
        let mut row = row_a as isize + step;
        while row != row_b as isize {
            let r = row.unsigned_abs();
            let y = self.row_mid.get(r).copied().unwrap_or(0.0);
            let span = b.cy() - a.cy();
            let t = if span.abs() > f64::EPSILON {
                (y - a.cy()) / span
            } else {
                0.5
            };
            let straight = a.cx() + t * (b.cx() - a.cx()) + offset;
            let previous = waypoints.last().map_or(a.cx(), |p| p.0);
            let x = self.passage(r, straight, previous);
            bent |= (x - straight).abs() > f64::EPSILON;
            waypoints.push((x, y));
            row += step;
        }
        if !bent {
            let (x0, y0) = a.exit(b.cx() - a.cx(), b.cy() - a.cy());
            let (x1, y1) = b.exit(a.cx() - b.cx(), a.cy() - b.cy());
            if offset.abs() < f64::EPSILON {
                return vec![Seg::Line([(x0, y0), (x1, y1)])];
            }
            let (dx, dy) = (x1 - x0, y1 - y0);
            let len = (dx * dx + dy * dy).sqrt().max(1.0);
            let (mx, my) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
            let c = (mx - 2.0 * offset * dy / len, my + 2.0 * offset * dx / len);
            return vec![Seg::quadratic((x0, y0), c, (x1, y1))];
        }
        // Through the waypoints as a Catmull-Rom spline, in cubic pieces.
        let first = waypoints.first().copied().unwrap_or((b.cx(), b.cy()));
        let last = waypoints.last().copied().unwrap_or((a.cx(), a.cy()));
        let mut points = vec![a.exit(first.0 - a.cx(), first.1 - a.cy())];
        points.extend(waypoints);
        points.push(b.exit(last.0 - b.cx(), last.1 - b.cy()));
        let at = |i: usize| points.get(i).copied().unwrap_or((0.0, 0.0));
        (0..points.len().saturating_sub(1))
            .map(|i| {
                let p0 = at(i.saturating_sub(1));
                let (p1, p2) = (at(i), at(i + 1));
                let p3 = at((i + 2).min(points.len() - 1));
                Seg::Cubic([
                    p1,
                    (p1.0 + (p2.0 - p0.0) / 6.0, p1.1 + (p2.1 - p0.1) / 6.0),
                    (p2.0 - (p3.0 - p1.0) / 6.0, p2.1 - (p3.1 - p1.1) / 6.0),
                    p2,
                ])
            })
            .collect()
    }

    /// Where an edge crosses row `row`: straight on when no box is in the way, else the
    /// nearest passage (left of the row, between two boxes, right of the row), preferring one
    /// fewer edges took and staying near the previous waypoint.
    fn passage(&mut self, row: usize, straight: f64, previous: f64) -> f64 {
        let boxes = self.row_boxes.get(row).map_or(&[][..], Vec::as_slice);
        if !boxes
            .iter()
            .any(|r| straight > r.x - DETOUR / 2.0 && straight < r.x + r.w + DETOUR / 2.0)
        {
            return straight;
        }
        // Passage n: left of box n (n = boxes.len(): right of the last box).
        let mut best: Option<(f64, usize, f64)> = None;
        for n in 0..=boxes.len() {
            let times = self.used.get(&(row, n)).copied().unwrap_or(0);
            let used = times as f64;
            let x = match (n.checked_sub(1).and_then(|i| boxes.get(i)), boxes.get(n)) {
                (None, Some(right)) => right.x - DETOUR - used * PARALLEL * 0.7,
                (Some(left), None) => left.x + left.w + DETOUR + used * PARALLEL * 0.7,
                (Some(left), Some(right)) => {
                    let mid = (left.x + left.w + right.x) / 2.0;
                    // Alternately right and left of the middle of the gap.
                    let spread = if times & 1 == 0 { 1.0 } else { -1.0 };
                    mid + spread * ((used + 1.0) / 2.0).floor() * PARALLEL * 0.5
                }
                (None, None) => straight,
            };
            let cost = (x - straight).abs() + 0.5 * (x - previous).abs() + 40.0 * used;
            if best.is_none_or(|(c, _, _)| cost < c) {
                best = Some((cost, n, x));
            }
        }
        match best {
            Some((_, n, x)) => {
                *self.used.entry((row, n)).or_insert(0) += 1;
                x
            }
            None => straight,
        }
    }
}

/// Where an edge's label goes: on the path's middle piece if it is free there, else further
/// along or beside it, never over a box or another label if that can be helped.
fn place_label(path: &[Seg], w: f64, h: f64, taken: &[Rect]) -> Rect {
    let at = |p: Point| Rect {
        x: p.0 - w / 2.0,
        y: p.1 - h / 2.0,
        w,
        h,
    };
    let middle = path.len().saturating_sub(1) / 2;
    let mut candidates: Vec<Point> = Vec::new();
    let order = std::iter::once(middle).chain((0..path.len()).filter(|&i| i != middle));
    for i in order {
        let Some(seg) = path.get(i) else { continue };
        for t in [0.5, 0.35, 0.65, 0.2, 0.8] {
            let p = seg.at(t);
            candidates.push(p);
            candidates.push((p.0 + w / 2.0 + 6.0, p.1));
            candidates.push((p.0 - w / 2.0 - 6.0, p.1));
        }
    }
    let free = |r: &Rect| !taken.iter().any(|o| r.overlaps(o, 3.0));
    candidates
        .iter()
        .map(|&p| at(p))
        .find(free)
        .or_else(|| candidates.first().map(|&p| at(p)))
        .unwrap_or(Rect {
            x: 0.0,
            y: 0.0,
            w,
            h,
        })
}

/// The model (and, when given, what a check found) as a stand-alone SVG picture.
///
/// Rows are Purdue levels (5 on top, zones without a level last), zones are spread evenly
/// over their row. Conduits are straight lines between neighbouring rows, curves around the
/// boxes of the rows they skip, and arcs between zones of one row; parallel conduits of one
/// pair of zones are spread apart, and labels are kept off boxes and each other.
pub fn svg(model: &Model, check: Option<&CheckReport>) -> String {
    let overlay = Overlay::new(model, check);
    let rows = rows(model);

    // Box sizes, then rows top to bottom.
    let texts: Vec<Vec<String>> = (0..model.zones.len())
        .map(|i| zone_lines(model, &overlay, i))
        .collect();
    let size = |i: usize| -> (f64, f64) {
        let lines = texts.get(i).map_or(&[][..], Vec::as_slice);
        (
            (text_width(lines, CHAR_W) + 2.0 * PAD).max(MIN_BOX_W),
            lines.len() as f64 * LINE_H + 2.0 * PAD - 3.0,
        )
    };
    let content_w = rows
        .iter()
        .map(|(_, zones)| {
            zones.iter().map(|&i| size(i).0).sum::<f64>() + H_GAP * (zones.len() as f64 + 1.0)
        })
        .fold(0.0, f64::max);
    let mut boxes: Vec<Option<(Rect, usize)>> = vec![None; model.zones.len()];
    let mut bands: Vec<(Option<u8>, Rect)> = Vec::new();
    let mut y = 0.0;
    for (row, (level, zones)) in rows.iter().enumerate() {
        let row_h = zones.iter().map(|&i| size(i).1).fold(0.0, f64::max);
        let widths: f64 = zones.iter().map(|&i| size(i).0).sum();
        let gap = (content_w - widths) / (zones.len() as f64 + 1.0);
        let mut x = LEVEL_COL + gap;
        for &i in zones {
            let (w, h) = size(i);
            if let Some(slot) = boxes.get_mut(i) {
                *slot = Some((
                    Rect {
                        x,
                        y: y + (row_h - h) / 2.0,
                        w,
                        h,
                    },
                    row,
                ));
            }
            x += w + gap;
        }
        bands.push((
            *level,
            Rect {
                x: 0.0,
                y: y - ROW_GAP / 2.0,
                w: LEVEL_COL + content_w,
                h: row_h + ROW_GAP,
            },
        ));
        y += row_h + ROW_GAP;
    }
    let mut bounds = Bounds {
        min_x: 0.0,
        min_y: 0.0,
        max_x: LEVEL_COL + content_w,
        max_y: 0.0,
    };

    let mut levels = String::new();
    for (n, (level, band)) in bands.iter().enumerate() {
        bounds.add_rect(band);
        levels.push_str(&format!(
            "<rect class=\"level\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>\n",
            num(band.x),
            num(band.y),
            num(band.w),
            num(band.h),
            if n % 2 == 0 { "#f5f7fa" } else { "#eceff1" }
        ));
        levels.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" fill=\"#607d8b\" font-size=\"{}\">{}</text>\n",
            num(PAD),
            num(band.cy() + 4.0),
            num(FONT_SIZE),
            xml(&level_name(*level))
        ));
    }

    let mut zones_svg = String::new();
    for (i, zone) in model.zones.iter().enumerate() {
        let Some(Some((r, _))) = boxes.get(i) else {
            continue;
        };
        bounds.add_rect(r);
        let red = overlay.zone_violations.get(i).is_some_and(|&n| n > 0);
        let stroke = if red { RED } else { ZONE_STROKE };
        zones_svg.push_str(&format!(
            "<g class=\"zone\" data-zone=\"{}\">\n",
            xml(&zone.id)
        ));
        let mut title = format!("zone {}", zone.id);
        for text in [&zone.name, &zone.description].into_iter().flatten() {
            title.push_str(": ");
            title.push_str(text);
        }
        zones_svg.push_str(&format!("<title>{}</title>\n", xml(&title)));
        zones_svg.push_str(&format!(
            "<rect class=\"zone\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" fill=\"{ZONE_FILL}\" stroke=\"{stroke}\" stroke-width=\"{}\"/>\n",
            num(r.x),
            num(r.y),
            num(r.w),
            num(r.h),
            if red { 2.5 } else { 1.5 }
        ));
        svg_text(
            &mut zones_svg,
            r.cx(),
            r.y + PAD + FONT_SIZE - 2.0,
            LINE_H,
            texts.get(i).map_or(&[][..], Vec::as_slice),
            &format!(" fill=\"{}\"", if red { RED } else { TEXT }),
        );
        zones_svg.push_str("</g>\n");
    }

    // Edges: parallel edges of one zone pair are spread apart, edges that skip rows go
    // around the boxes in between, labels avoid boxes and each other.
    let row_boxes: Vec<Vec<Rect>> = rows
        .iter()
        .map(|(_, zones)| {
            zones
                .iter()
                .filter_map(|&i| boxes.get(i).copied().flatten().map(|(r, _)| r))
                .collect()
        })
        .collect();
    let row_mid: Vec<f64> = bands.iter().map(|(_, band)| band.cy()).collect();
    let mut router = Router {
        row_boxes: &row_boxes,
        row_mid: &row_mid,
        used: BTreeMap::new(),
    };
    let edges = edges(model, &overlay);
    let mut per_pair: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for e in &edges {
        *per_pair
            .entry((e.from.min(e.to), e.from.max(e.to)))
            .or_insert(0) += 1;
    }
    let mut seen_pair: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut taken: Vec<Rect> = row_boxes.iter().flatten().copied().collect();
    let mut lines_svg = String::new();
    let mut labels_svg = String::new();
    for e in &edges {
        let (Some(Some((a, row_a))), Some(Some((b, row_b)))) = (boxes.get(e.from), boxes.get(e.to))
        else {
            continue;
        };
        let pair = (e.from.min(e.to), e.from.max(e.to));
        let k = seen_pair.entry(pair).or_insert(0);
        let nth = *k;
        *k += 1;
        let count = per_pair.get(&pair).copied().unwrap_or(1);
        // The pair's own orientation, so that both directions spread the same way.
        let sign = if e.from <= e.to { 1.0 } else { -1.0 };
        let offset = sign * (nth as f64 - (count as f64 - 1.0) / 2.0) * PARALLEL;
        let path = router.route((a, *row_a), (b, *row_b), nth, offset);
        for seg in &path {
            for &(x, y) in seg.points() {
                bounds.add(x, y);
            }
        }
        let color = if e.red { RED } else { EDGE };
        let (class, data) = match &e.conduit {
            Some(id) => ("conduit", format!(" data-conduit=\"{}\"", xml(id))),
            None => (
                "no-conduit",
                format!(
                    " data-client-zone=\"{}\" data-server-zone=\"{}\"",
                    xml(model.zone_id(e.from)),
                    xml(model.zone_id(e.to))
                ),
            ),
        };
        lines_svg.push_str(&format!(
            "<g class=\"{class}\"{data}>\n<title>{}</title>\n",
            xml(&e.title)
        ));
        let d: Vec<String> = path
            .iter()
            .enumerate()
            .map(|(i, seg)| seg.d(i == 0))
            .collect();
        lines_svg.push_str(&format!(
            "<path d=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{}\"{}{}/>\n",
            d.join(" "),
            if e.red { 2.5 } else { 1.5 },
            if e.conduit.is_none() {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            },
            if e.one_way {
                if e.red {
                    " marker-end=\"url(#arrow-red)\""
                } else {
                    " marker-end=\"url(#arrow)\""
                }
            } else {
                ""
            }
        ));
        lines_svg.push_str("</g>\n");

        let w = text_width(&e.lines, LABEL_CHAR_W) + 10.0;
        let h = e.lines.len() as f64 * LABEL_LINE_H + 6.0;
        let bg = place_label(&path, w, h, &taken);
        taken.push(bg);
        bounds.add_rect(&bg);
        labels_svg.push_str(&format!("<g class=\"{class}-label\"{data}>\n"));
        labels_svg.push_str(&format!(
            "<rect class=\"label-bg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"{color}\" stroke-width=\"0.5\"/>\n",
            num(bg.x),
            num(bg.y),
            num(bg.w),
            num(bg.h)
        ));
        svg_text(
            &mut labels_svg,
            bg.cx(),
            bg.y + 3.0 + LABEL_FONT_SIZE,
            LABEL_LINE_H,
            &e.lines,
            &format!(
                " font-size=\"{}\" fill=\"{}\"",
                num(LABEL_FONT_SIZE),
                if e.red { RED } else { TEXT }
            ),
        );
        labels_svg.push_str("</g>\n");
    }

    // The legend, under everything.
    let mut legend = String::from("<g class=\"legend\">\n");
    let mut ly = bounds.max_y + 30.0;
    let lx = bounds.min_x + PAD;
    let mut items: Vec<(Option<(&str, &str)>, &str)> = vec![
        (
            None,
            "zone: id, name, target security level (SL-T, FR1-FR7), Purdue level",
        ),
        (
            Some((EDGE, "")),
            "bidirectional conduit: either zone opens connections",
        ),
        (
            Some((EDGE, " marker-end=\"url(#arrow)\"")),
            "one-way conduit: only the zone at the tail opens connections",
        ),
    ];
    if overlay.checked {
        items.push((
            Some((RED, "")),
            "conduit (or zone) with violations in the observed traffic",
        ));
        items.push((
            Some((
                RED,
                " stroke-dasharray=\"6 4\" marker-end=\"url(#arrow-red)\"",
            )),
            "traffic between zones that no conduit joins (client to server)",
        ));
    }
    for (sample, text) in items {
        match sample {
            None => legend.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"48\" height=\"16\" rx=\"4\" fill=\"{ZONE_FILL}\" stroke=\"{ZONE_STROKE}\"/>\n",
                num(lx),
                num(ly - 8.0)
            )),
            Some((color, extra)) => legend.push_str(&format!(
                "<path d=\"M {} {} L {} {}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{extra}/>\n",
                num(lx),
                num(ly),
                num(lx + 48.0),
                num(ly)
            )),
        }
        legend.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" fill=\"{TEXT}\">{}</text>\n",
            num(lx + 60.0),
            num(ly + 4.0),
            xml(text)
        ));
        bounds.add(lx + 60.0 + text.chars().count() as f64 * CHAR_W, ly + 10.0);
        ly += 22.0;
    }
    if let Some(text) = unassigned_text(&overlay) {
        let w = text.chars().count() as f64 * CHAR_W + 2.0 * PAD;
        let note = Rect {
            x: lx,
            y: ly - 4.0,
            w,
            h: 26.0,
        };
        bounds.add_rect(&note);
        legend.push_str(&format!(
            "<g class=\"note\">\n<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{RED_FILL}\" stroke=\"{RED}\" stroke-width=\"1.5\"/>\n<text x=\"{}\" y=\"{}\" fill=\"{RED}\" font-weight=\"bold\">{}</text>\n</g>\n",
            num(note.x),
            num(note.y),
            num(note.w),
            num(note.h),
            num(note.x + PAD),
            num(note.y + 17.0),
            xml(&text)
        ));
    }
    legend.push_str("</g>\n");

    // The title, over everything.
    let title = model.plant.as_deref().unwrap_or(&model.path);
    let title_y = bounds.min_y - 14.0;
    bounds.add(bounds.min_x, title_y - 18.0);
    let heading = format!(
        "<text class=\"title\" x=\"{}\" y=\"{}\" font-size=\"16\" font-weight=\"bold\" fill=\"{TEXT}\">{}</text>\n",
        num(bounds.min_x + PAD),
        num(title_y),
        xml(&format!("{title}: zones and conduits"))
    );

    let margin = 10.0;
    let (vx, vy) = (bounds.min_x - margin, bounds.min_y - margin);
    let (vw, vh) = (
        bounds.max_x - bounds.min_x + 2.0 * margin,
        bounds.max_y - bounds.min_y + 2.0 * margin,
    );
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{}\" height=\"{}\" viewBox=\"{} {} {} {}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"{}\">\n",
        num(vw.ceil()),
        num(vh.ceil()),
        num(vx),
        num(vy),
        num(vw.ceil()),
        num(vh.ceil()),
        num(FONT_SIZE)
    ));
    out.push_str(&format!(
        "<title>{}</title>\n",
        xml(&format!("{title}: zones and conduits"))
    ));
    out.push_str(&format!(
        "<defs>\n<marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"{EDGE}\"/></marker>\n<marker id=\"arrow-red\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"{RED}\"/></marker>\n</defs>\n"
    ));
    out.push_str(&format!(
        "<rect class=\"background\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n",
        num(vx),
        num(vy),
        num(vw.ceil()),
        num(vh.ceil())
    ));
    out.push_str(&heading);
    out.push_str("<g class=\"levels\">\n");
    out.push_str(&levels);
    out.push_str("</g>\n<g class=\"edges\">\n");
    out.push_str(&lines_svg);
    out.push_str("</g>\n<g class=\"zones\">\n");
    out.push_str(&zones_svg);
    out.push_str("</g>\n<g class=\"labels\">\n");
    out.push_str(&labels_svg);
    out.push_str("</g>\n");
    out.push_str(&legend);
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Severity, Violation, ZoneSummary};

    fn parse(text: &str) -> Model {
        crate::model::parse("zones.toml", text).unwrap()
    }

    fn example() -> Model {
        parse(crate::EXAMPLE_ZONES)
    }

    /// A plant of our own for the details: levels 4 to 1, a vector SL-T, one- and two-way
    /// conduits, a conduit skipping rows, two zones in one row.
    const PLANT: &str = r#"
[plant]
name = "Test plant"

[[zone]]
id = "office"
name = "Office"
purdue_level = 4
members = ["10.0.4.0/24"]

[[zone]]
id = "dmz"
name = "Plant DMZ"
sl_t = 2
purdue_level = 3
members = ["10.0.3.0/24"]

[[zone]]
id = "scada"
name = "SCADA"
sl_t = [2, 2, 3, 1, 2, 1, 2]
purdue_level = 2
members = ["10.0.2.0/24"]

[[zone]]
id = "cell-1"
purdue_level = 1
members = ["10.0.1.0/24"]

[[zone]]
id = "cell-2"
purdue_level = 1
members = ["10.0.5.0/24"]

[[conduit]]
id = "scada-cells"
zones = ["scada", "cell-1"]
direction = "one-way"
sl_t = 2
controls = ["firewall", "dpi-firewall"]
  [[conduit.rule]]
  protocol = "modbus"
  operations = ["read"]
  [[conduit.rule]]
  protocol = "s7comm"
  [[conduit.rule]]
  protocol = "modbus"
  operations = ["write"]

[[conduit]]
id = "dmz-scada"
zones = ["dmz", "scada"]
untrusted_network = true
  [[conduit.rule]]
  protocol = "opcua"

[[conduit]]
id = "office-cell-2"
zones = ["office", "cell-2"]
direction = "one-way"
  [[conduit.rule]]
  protocol = "udp"
  ports = [123]

[[conduit]]
id = "cells"
zones = ["cell-1", "cell-2"]
  [[conduit.rule]]
  protocol = "enip"
"#;

    fn violation(kind: Kind, conduit: Option<&str>, zones: Option<(&str, &str)>) -> Violation {
        Violation {
            kind,
            rule_id: kind.id(),
            severity: Severity::Error,
            message: format!("{} for the test", kind.name()),
            line: 1,
            conduit: conduit.map(str::to_string),
            client_zone: zones.map(|(c, _)| c.to_string()),
            server_zone: zones.map(|(_, s)| s.to_string()),
            asset: None,
            client: Some("10.10.4.20".to_string()),
            server: Some("10.10.1.10".to_string()),
            transport: Some("tcp"),
            port: Some(502),
            protocol: Some("modbus"),
            operation: None,
            operation_class: None,
            flows: 3,
            packets: 30,
            count: 3,
            first_ts: None,
            last_ts: None,
        }
    }

    /// Two zones that no conduit joins, the first such pair in model order.
    fn unjoined(model: &Model) -> (String, String) {
        let n = model.zones.len();
        (0..n)
            .flat_map(|a| (0..n).map(move |b| (a, b)))
            .find(|&(a, b)| {
                a != b
                    && !model
                        .conduits
                        .iter()
                        .any(|c| c.zones == [a, b] || c.zones == [b, a])
            })
            .map(|(a, b)| (model.zone_id(a).to_string(), model.zone_id(b).to_string()))
            .expect("two zones no conduit joins")
    }

    /// A report as `check` would give it: two violations on the first conduit, six flows
    /// between two zones that no conduit joins (from two clients), two devices in no zone;
    /// zone `i` holds `i + 2` devices.
    fn report(model: &Model) -> CheckReport {
        let first = model.conduits.first().expect("a conduit");
        let joined = (model.zone_id(first.zones[0]), model.zone_id(first.zones[1]));
        let (client, server) = unjoined(model);
        let mut no_conduit = violation(Kind::NoConduit, None, Some((&client, &server)));
        no_conduit.flows = 4;
        let mut second = no_conduit.clone();
        second.client = Some("10.10.4.21".to_string());
        second.flows = 2;
        let violations = vec![
            violation(Kind::NotAllowed, Some(&first.id), Some(joined)),
            violation(Kind::OperationNotAllowed, Some(&first.id), Some(joined)),
            no_conduit,
            second,
        ];
        let mut by_kind = BTreeMap::new();
        for v in &violations {
            *by_kind.entry(v.kind.name()).or_insert(0) += 1;
        }
        CheckReport {
            model: model.path.clone(),
            clean: false,
            assets: 14,
            unassigned: 2,
            conversations: 40,
            local_only: 3,
            zones: model
                .zones
                .iter()
                .enumerate()
                .map(|(i, z)| ZoneSummary {
                    id: z.id.clone(),
                    assets: i + 2,
                })
                .collect(),
            by_kind,
            violations,
        }
    }

    /// Braces outside quoted strings balance, and quoted strings close.
    fn dot_braces_balance(dot: &str) -> bool {
        let mut depth = 0i64;
        let mut in_string = false;
        let mut escaped = false;
        for c in dot.chars() {
            if in_string {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_string = true,
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth < 0 {
                        return false;
                    }
                }
                _ => {}
            }
        }
        depth == 0 && !in_string
    }

    /// A small XML well-formedness check: one root element, tags balance, attribute values
    /// quoted, `<` never in text or attributes, `&` only as an entity reference.
    fn well_formed(xml: &str) -> Result<(), String> {
        fn entities_ok(text: &str) -> Result<(), String> {
            let mut rest = text;
            while let Some(at) = rest.find('&') {
                let after = &rest[at + 1..];
                let end = after
                    .find(';')
                    .ok_or_else(|| format!("unterminated entity in {text:?}"))?;
                let name = &after[..end];
                let numeric = name
                    .strip_prefix("#x")
                    .map(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
                    .or_else(|| {
                        name.strip_prefix('#')
                            .map(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
                    });
                if !(matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") || numeric == Some(true))
                {
                    return Err(format!("unknown entity &{name}; in {text:?}"));
                }
                rest = &after[end + 1..];
            }
            if text.contains('<') {
                return Err(format!("raw < in {text:?}"));
            }
            Ok(())
        }
        let is_name = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        };
        let mut stack: Vec<String> = Vec::new();
        let mut roots = 0;
        let mut rest = xml.trim_start();
        if let Some(decl) = rest.strip_prefix("<?xml") {
            let end = decl.find("?>").ok_or("unterminated declaration")?;
            rest = &decl[end + 2..];
        }
        loop {
            let Some(open) = rest.find('<') else {
                if !rest.trim().is_empty() {
                    return Err(format!("text after the root: {rest:?}"));
                }
                break;
            };
            let text = &rest[..open];
            if stack.is_empty() && !text.trim().is_empty() {
                return Err(format!("text outside the root: {text:?}"));
            }
            entities_ok(text)?;
            rest = &rest[open..];
            if let Some(comment) = rest.strip_prefix("<!--") {
                let end = comment.find("-->").ok_or("unterminated comment")?;
                rest = &comment[end + 3..];
                continue;
            }
            let close = rest.find('>').ok_or("unterminated tag")?;
            let tag = &rest[1..close];
            rest = &rest[close + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                match stack.pop() {
                    Some(open) if open == name.trim() => continue,
                    other => return Err(format!("</{name}> closes {other:?}")),
                }
            }
            let (tag, empty) = match tag.strip_suffix('/') {
                Some(t) => (t, true),
                None => (tag, false),
            };
            let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
            let name = &tag[..name_end];
            if !is_name(name) {
                return Err(format!("bad element name {name:?}"));
            }
            // Attributes: name="value", separated by white space.
            let mut attrs = tag[name_end..].trim_start();
            let mut seen = Vec::new();
            while !attrs.is_empty() {
                let eq = attrs
                    .find('=')
                    .ok_or_else(|| format!("attribute without value in <{tag}>"))?;
                let attr = attrs[..eq].trim();
                if !is_name(attr) || seen.contains(&attr) {
                    return Err(format!("bad or repeated attribute {attr:?} in <{tag}>"));
                }
                seen.push(attr);
                let value = attrs[eq + 1..]
                    .strip_prefix('"')
                    .ok_or_else(|| format!("unquoted attribute {attr} in <{tag}>"))?;
                let end = value.find('"').ok_or("unterminated attribute value")?;
                entities_ok(&value[..end])?;
                let after = &value[end + 1..];
                if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
                    return Err(format!("junk after attribute {attr} in <{tag}>"));
                }
                attrs = after.trim_start();
            }
            if stack.is_empty() {
                roots += 1;
            }
            if !empty {
                stack.push(name.to_string());
            }
        }
        if !stack.is_empty() {
            return Err(format!("unclosed elements {stack:?}"));
        }
        if roots != 1 {
            return Err(format!("{roots} root elements"));
        }
        Ok(())
    }

    /// The part of the SVG from the group with this attribute to its end.
    fn group<'a>(svg: &'a str, class: &str, attr: &str) -> &'a str {
        let start = svg
            .find(&format!("<g class=\"{class}\" {attr}"))
            .unwrap_or_else(|| panic!("no {class} group {attr}"));
        let len = svg[start..].find("</g>").unwrap();
        &svg[start..start + len]
    }

    #[test]
    fn the_checker_refuses_broken_xml() {
        assert!(well_formed("<a><b/></a>").is_ok());
        assert!(well_formed("<?xml version=\"1.0\"?>\n<a x=\"1\">t &amp; u</a>").is_ok());
        assert!(well_formed("<a><b></a>").is_err());
        assert!(well_formed("<a>x & y</a>").is_err());
        assert!(well_formed("<a x=\"1\" x=\"2\"/>").is_err());
        assert!(well_formed("<a x=\"say \"hi\"\"/>").is_err());
        assert!(well_formed("<a/><b/>").is_err());
        assert!(well_formed("<a>").is_err());
        assert!(dot_braces_balance("digraph { a [label=\"}\"]; }"));
        assert!(!dot_braces_balance("digraph { a [label=\"}\"]; "));
    }

    /// The DOT line that declares this edge.
    fn dot_edge<'a>(dot: &'a str, from: &str, to: &str) -> &'a str {
        let edge = format!("\"{from}\" -> \"{to}\" [");
        dot.lines()
            .find(|l| l.trim_start().starts_with(&edge))
            .unwrap_or_else(|| panic!("no edge {edge}\n{dot}"))
    }

    #[test]
    fn example_dot_has_every_zone_and_every_conduit_as_an_edge() {
        let model = example();
        let dot = dot(&model, None);
        assert!(dot_braces_balance(&dot), "{dot}");
        assert!(dot.contains("digraph zones {"));
        for zone in &model.zones {
            let node = format!("\"{}\" [label=\"{}\\n", zone.id, zone.id);
            assert!(dot.contains(&node), "{node}\n{dot}");
        }
        for conduit in &model.conduits {
            let (from, to) = (
                model.zone_id(conduit.zones[0]),
                model.zone_id(conduit.zones[1]),
            );
            let edge = dot_edge(&dot, from, to);
            assert!(
                edge.contains(&format!("label=\"{}\\n", conduit.id)),
                "{edge}"
            );
            for rule in &conduit.rules {
                assert!(edge.contains(rule.protocol.name()), "{edge}");
            }
            let dir = match conduit.direction {
                ConduitDirection::OneWay => "dir=forward",
                ConduitDirection::Bidirectional => "dir=both",
            };
            assert!(edge.contains(dir), "{edge}");
        }
        // Nothing from a check.
        assert!(!dot.contains(RED));
        assert!(!dot.contains("devices"));
        assert_eq!(dot, super::dot(&model, None), "deterministic");
    }

    #[test]
    fn example_svg_is_well_formed_with_a_box_per_zone_and_a_label_per_conduit() {
        let model = example();
        let svg = svg(&model, None);
        well_formed(&svg).unwrap();
        assert!(svg.starts_with("<?xml"));
        assert_eq!(
            svg.matches("<rect class=\"zone\"").count(),
            model.zones.len()
        );
        for zone in &model.zones {
            let g = group(&svg, "zone", &format!("data-zone=\"{}\"", zone.id));
            assert!(g.contains(&format!(">{}</text>", zone.id)), "{g}");
            assert!(
                g.contains(&format!(">{}</text>", sl_text(&zone.sl_t))),
                "{g}"
            );
        }
        assert_eq!(
            svg.matches("<g class=\"conduit-label\"").count(),
            model.conduits.len()
        );
        for conduit in &model.conduits {
            let label = group(
                &svg,
                "conduit-label",
                &format!("data-conduit=\"{}\"", conduit.id),
            );
            assert!(
                label.contains(&format!(">{}</text>", conduit.id)),
                "{label}"
            );
            let line = group(&svg, "conduit", &format!("data-conduit=\"{}\"", conduit.id));
            assert_eq!(
                line.contains("marker-end=\"url(#arrow)\""),
                conduit.direction == ConduitDirection::OneWay,
                "{line}"
            );
        }
        assert!(!svg.contains(&format!("stroke=\"{RED}\"")) && !svg.contains("no-conduit"));
        assert_eq!(svg, super::svg(&model, None), "deterministic");
    }

    #[test]
    fn example_with_a_check_report() {
        let model = example();
        let report = report(&model);
        let bad = &model.conduits[0];
        let (client, server) = unjoined(&model);

        let dot = dot(&model, Some(&report));
        assert!(dot_braces_balance(&dot));
        let edge = dot_edge(
            &dot,
            model.zone_id(bad.zones[0]),
            model.zone_id(bad.zones[1]),
        );
        assert!(edge.contains(&format!("color=\"{RED}\"")), "{edge}");
        assert!(edge.contains("\\n2 violations\""), "{edge}");
        for clean in model.conduits.iter().skip(1) {
            let edge = dot_edge(
                &dot,
                model.zone_id(clean.zones[0]),
                model.zone_id(clean.zones[1]),
            );
            assert!(!edge.contains(RED), "{edge}");
        }
        let missing = dot_edge(&dot, &client, &server);
        assert!(
            missing.contains("label=\"no conduit: 6 flows\""),
            "{missing}"
        );
        assert!(missing.contains("style=dashed"), "{missing}");
        assert!(missing.contains(&format!("color=\"{RED}\"")), "{missing}");
        assert!(dot.contains("label=\"2 devices in no zone\""));
        assert!(dot.contains("shape=note"));
        for (i, zone) in model.zones.iter().enumerate() {
            let node = dot
                .lines()
                .find(|l| l.contains(&format!("\"{}\" [label=", zone.id)))
                .unwrap();
            assert!(node.contains(&format!("\\n{} devices\"", i + 2)), "{node}");
        }

        let svg = svg(&model, Some(&report));
        well_formed(&svg).unwrap();
        let red = format!("stroke=\"{RED}\"");
        let line = group(&svg, "conduit", &format!("data-conduit=\"{}\"", bad.id));
        assert!(line.contains(&red), "{line}");
        for clean in model.conduits.iter().skip(1) {
            let line = group(&svg, "conduit", &format!("data-conduit=\"{}\"", clean.id));
            assert!(!line.contains(&red), "{line}");
        }
        let label = group(
            &svg,
            "conduit-label",
            &format!("data-conduit=\"{}\"", bad.id),
        );
        assert!(label.contains(">2 violations</text>"), "{label}");
        let missing = group(
            &svg,
            "no-conduit",
            &format!("data-client-zone=\"{client}\" data-server-zone=\"{server}\""),
        );
        assert!(missing.contains("stroke-dasharray"), "{missing}");
        assert!(missing.contains(&red), "{missing}");
        assert!(missing.contains("url(#arrow-red)"), "{missing}");
        assert!(svg.contains(">no conduit: 6 flows</text>"));
        assert!(svg.contains(">2 devices in no zone</text>"));
        assert!(svg.contains(">3 devices</text>"));
        // Still one box per zone, one label per conduit.
        assert_eq!(
            svg.matches("<rect class=\"zone\"").count(),
            model.zones.len()
        );
        assert_eq!(
            svg.matches("<g class=\"conduit-label\"").count(),
            model.conduits.len()
        );
    }

    #[test]
    fn dot_labels_ranks_and_directions() {
        let model = parse(PLANT);
        let dot = dot(&model, None);
        assert!(dot_braces_balance(&dot), "{dot}");
        assert!(dot.contains("graph [label=\"Test plant\""));
        // Zone labels: id, name, SL-T (one number or the vector), Purdue level.
        assert!(dot.contains(
            "\"scada\" [label=\"scada\\nSCADA\\nSL-T 2 2 3 1 2 1 2\\nPurdue level 2\"];"
        ));
        assert!(dot.contains("\"dmz\" [label=\"dmz\\nPlant DMZ\\nSL-T 2\\nPurdue level 3\"];"));
        assert!(dot.contains("\"cell-1\" [label=\"cell-1\\nSL-T 1\\nPurdue level 1\"];"));
        // Conduit labels: id, SL-T, controls, protocols once each in rule order.
        let edge = dot_edge(&dot, "scada", "cell-1");
        assert!(
            edge.contains(
                "label=\"scada-cells\\nSL-T 2\\nfirewall, dpi-firewall\\nmodbus, s7comm\""
            ),
            "{edge}"
        );
        assert!(edge.contains("dir=forward"), "{edge}");
        let edge = dot_edge(&dot, "dmz", "scada");
        assert!(
            edge.contains("label=\"dmz-scada\\nSL-T 1\\nuntrusted network\\nopcua\""),
            "{edge}"
        );
        assert!(edge.contains("dir=both"), "{edge}");
        assert!(dot_edge(&dot, "cell-1", "cell-2").contains("dir=both"));
        // Ranks by Purdue level, highest first, ordered by an invisible chain; conduits do
        // not move zones between ranks.
        assert_eq!(dot.matches("rank=same;").count(), 4);
        let order: Vec<usize> = ["Level 4", "Level 3", "Level 2", "Level 1"]
            .iter()
            .map(|l| dot.find(&format!("subgraph \"rank-{l}\"")).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert!(
            dot.contains("\"level-4\" -> \"level-3\" -> \"level-2\" -> \"level-1\" [style=invis];")
        );
        let level_1 = &dot[dot.find("subgraph \"rank-Level 1\"").unwrap()..];
        let level_1 = &level_1[..level_1.find('}').unwrap()];
        assert!(level_1.contains("\"cell-1\" [") && level_1.contains("\"cell-2\" ["));
        assert!(dot.contains("constraint=false"));
    }

    #[test]
    fn dot_without_levels_has_no_ranks() {
        let model = parse(
            r#"
[[zone]]
id = "a"
members = ["10.0.0.0/24"]
[[zone]]
id = "b"
members = ["10.0.1.0/24"]
[[conduit]]
id = "a-b"
zones = ["a", "b"]
"#,
        );
        let dot = dot(&model, None);
        assert!(dot.contains("\"a\" -> \"b\" [label=\"a-b\\nSL-T 1\\nno rules: allows nothing\""));
        assert!(dot.contains("dir=both"));
        assert!(!dot.contains("rank=same"));
        assert!(!dot.contains("constraint=false"));
        assert!(dot.contains("graph [label=\"zones.toml\""));
        assert!(dot_braces_balance(&dot));
        let svg = svg(&model, None);
        well_formed(&svg).unwrap();
        assert!(svg.contains(">no level</text>"));
        assert!(!group(&svg, "conduit", "data-conduit=\"a-b\"").contains("marker-end"));
    }

    #[test]
    fn svg_layout_rows_arcs_and_detours() {
        let model = parse(PLANT);
        let svg = svg(&model, None);
        well_formed(&svg).unwrap();
        let y_of = |text: &str| -> f64 {
            let at = svg.find(&format!(">{text}</text>")).unwrap();
            let tag = &svg[svg[..at].rfind("<text").unwrap()..at];
            let y = tag.split(" y=\"").nth(1).unwrap();
            y[..y.find('"').unwrap()].parse().unwrap()
        };
        // Rows top to bottom by level, the zones of one row side by side.
        assert!(y_of("Level 4") < y_of("Level 3"));
        assert!(y_of("Level 3") < y_of("Level 2"));
        assert!(y_of("Level 2") < y_of("Level 1"));
        assert!(y_of("office") < y_of("dmz") && y_of("scada") < y_of("cell-1"));
        assert_eq!(y_of("cell-1"), y_of("cell-2"));
        let x_of = |zone: &str| -> f64 {
            let g = group(&svg, "zone", &format!("data-zone=\"{zone}\""));
            let x = g.split("<rect class=\"zone\" x=\"").nth(1).unwrap();
            x[..x.find('"').unwrap()].parse().unwrap()
        };
        assert!(x_of("cell-1") < x_of("cell-2"));
        // Zones in one row: an arc; neighbouring rows: a straight line; rows apart: a
        // curve around the boxes in between.
        let path = |id: &str| -> String {
            let g = group(&svg, "conduit", &format!("data-conduit=\"{id}\""));
            g.split(" d=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(path("cells").matches(" C ").count(), 1, "{}", path("cells"));
        assert!(path("dmz-scada").contains(" L ") && !path("dmz-scada").contains(" C "));
        assert!(
            path("office-cell-2").matches(" C ").count() >= 2,
            "{}",
            path("office-cell-2")
        );
        // Labels and the vector SL-T in the box.
        assert!(svg.contains(">SL-T 2 2 3 1 2 1 2</text>"));
        assert!(svg.contains(">firewall, dpi-firewall</text>"));
        assert!(svg.contains(">untrusted network</text>"));
        // Labels never sit on a zone box.
        let rects = |class: &str| -> Vec<Rect> {
            svg.match_indices(&format!("<rect class=\"{class}\""))
                .map(|(at, _)| {
                    let tag = &svg[at..at + svg[at..].find("/>").unwrap()];
                    let attr = |name: &str| -> f64 {
                        let v = tag.split(&format!(" {name}=\"")).nth(1).unwrap();
                        v[..v.find('"').unwrap()].parse().unwrap()
                    };
                    Rect {
                        x: attr("x"),
                        y: attr("y"),
                        w: attr("width"),
                        h: attr("height"),
                    }
                })
                .collect()
        };
        let zones = rects("zone");
        let labels = rects("label-bg");
        assert_eq!((zones.len(), labels.len()), (5, 4));
        for label in &labels {
            assert!(!zones.iter().any(|z| z.overlaps(label, 0.0)));
        }
    }

    #[test]
    fn intra_zone_violations_mark_the_zone() {
        let model = parse(PLANT);
        let mut report = report(&model);
        report.violations = vec![violation(
            Kind::IntraZoneNotAllowed,
            None,
            Some(("cell-1", "cell-1")),
        )];
        report.unassigned = 0;
        let dot = dot(&model, Some(&report));
        let zone = dot
            .lines()
            .find(|l| l.contains("\"cell-1\" [label="))
            .unwrap();
        assert!(
            zone.contains("\\n1 violation\"") && zone.contains(RED),
            "{zone}"
        );
        assert!(!dot.contains("no zone"));
        let svg = svg(&model, Some(&report));
        well_formed(&svg).unwrap();
        assert!(group(&svg, "zone", "data-zone=\"cell-1\"").contains(&format!("stroke=\"{RED}\"")));
        assert!(!group(&svg, "zone", "data-zone=\"cell-2\"").contains(RED));
        assert!(!svg.contains("class=\"note\""));
    }

    #[test]
    fn labels_are_escaped() {
        let model = parse(
            r#"
[plant]
name = "Plant <&> \"North\""
[[zone]]
id = "cell"
name = "Pump \"A\" <&> \\ room"
purdue_level = 1
members = ["10.0.0.0/24"]
[[zone]]
id = "ops"
name = "it's"
description = "</title><script>"
purdue_level = 1
members = ["10.0.1.0/24"]
[[conduit]]
id = "c-c"
name = "a <b> \"c\""
zones = ["cell", "ops"]
  [[conduit.rule]]
  protocol = "modbus"
"#,
        );
        let dot = dot(&model, None);
        assert!(
            dot.contains(r#"label="cell\nPump \"A\" <&> \\ room\nSL-T 1"#),
            "{dot}"
        );
        assert!(dot.contains(r#"graph [label="Plant <&> \"North\"""#));
        assert!(dot.contains(r#"tooltip="conduit c-c: a <b> \"c\"""#));
        assert!(dot_braces_balance(&dot));
        let svg = svg(&model, None);
        well_formed(&svg).unwrap();
        assert!(svg.contains(">Pump &quot;A&quot; &lt;&amp;&gt; \\ room</text>"));
        assert!(svg.contains(">it&apos;s</text>"));
        assert!(svg.contains("&lt;/title&gt;&lt;script&gt;"));
        assert!(svg.contains("data-conduit=\"c-c\""));
        assert!(svg.contains(">c-c</text>"));
        assert!(svg.contains(">Plant &lt;&amp;&gt; &quot;North&quot;: zones and conduits</text>"));
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn parallel_conduits_are_spread_apart() {
        let model = parse(
            r#"
[[zone]]
id = "a"
purdue_level = 2
members = ["10.0.0.0/24"]
[[zone]]
id = "b"
purdue_level = 1
members = ["10.0.1.0/24"]
[[conduit]]
id = "one"
zones = ["a", "b"]
[[conduit]]
id = "two"
zones = ["b", "a"]
direction = "one-way"
"#,
        );
        let svg = svg(&model, None);
        well_formed(&svg).unwrap();
        let one = group(&svg, "conduit", "data-conduit=\"one\"");
        let two = group(&svg, "conduit", "data-conduit=\"two\"");
        // Both bent, to either side of the straight line.
        assert!(one.contains(" C ") && two.contains(" C "), "{one}\n{two}");
        let path = |g: &str| {
            g.split("d=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string()
        };
        assert_ne!(path(one), path(two));
        let dot = dot(&model, None);
        assert!(dot.contains("\"a\" -> \"b\"") && dot.contains("\"b\" -> \"a\""));
    }

    #[test]
    fn helpers() {
        assert_eq!(sl_text(&SlVector::uniform(3)), "SL-T 3");
        assert_eq!(
            sl_text(&SlVector([2, 2, 2, 1, 2, 1, 2])),
            "SL-T 2 2 2 1 2 1 2"
        );
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(12.25), "12.3");
        assert_eq!(num(-3.0), "-3");
        assert_eq!(
            wrap_list(&["modbus", "s7comm", "enip", "dnp3", "any"], 16),
            vec!["modbus, s7comm,", "enip, dnp3, any"]
        );
        assert_eq!(dot_escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(
            xml("<a & 'b' \"c\">"),
            "&lt;a &amp; &apos;b&apos; &quot;c&quot;&gt;"
        );
        assert_eq!(plural(1, "flow", "flows"), "1 flow");
        assert_eq!(plural(0, "flow", "flows"), "0 flows");
    }
}
