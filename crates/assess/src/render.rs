//! The assessment for people: a terminal summary and a Markdown report (summary, SL table
//! zone × FR, requirement matrix, remediation plan, evidence appendix).

use crate::{Assessment, FrLevels, Provenance, ScopeResult, Status};
use std::collections::BTreeSet;
use std::io::{self, Write};
use zonewarden_catalog::ReqId;

/// A scope's requirements that have observed evidence or an answer (the evidence appendix).
fn with_evidence(s: &ScopeResult) -> Vec<&crate::RequirementResult> {
    s.requirements
        .iter()
        .filter(|r| !r.evidence.is_empty() || r.attestation.is_some())
        .collect()
}

fn levels(l: &FrLevels) -> String {
    l.0.iter()
        .map(|v| v.map_or("-".to_string(), |n| n.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The zones with products matched in the components file, and one line per zone saying
/// which products set its SL-C.
fn capability_lines(a: &Assessment) -> Vec<(&ScopeResult, FrLevels, String)> {
    a.zones
        .iter()
        .filter_map(|z| {
            let (sl_c, cap) = (z.sl_c?, z.capability.as_ref()?);
            let mut products: Vec<String> = cap
                .components
                .iter()
                .map(|c| {
                    format!(
                        "{} on {} device(s), SL-C {}",
                        c.name.as_deref().unwrap_or(&c.id),
                        c.devices,
                        levels(&c.sl_c)
                    )
                })
                .collect();
            if cap.devices_without_component > 0 {
                products.push(format!(
                    "{} device(s) without a declared product",
                    cap.devices_without_component
                ));
            }
            Some((z, sl_c, products.join("; ")))
        })
        .collect()
}

fn counts(s: &ScopeResult) -> [usize; 4] {
    let mut c = [0; 4];
    for r in &s.requirements {
        let i = match r.status {
            Status::Fail => 0,
            Status::Partial => 1,
            Status::Unknown => 2,
            Status::Pass | Status::NotApplicable => 3,
        };
        if let Some(slot) = c.get_mut(i) {
            *slot += 1;
        }
    }
    c
}

pub fn write_text(a: &Assessment, out: &mut dyn Write, top: usize) -> io::Result<()> {
    writeln!(
        out,
        "IEC 62443-3-3 assessment{}{}: {} zone(s), {} conduit(s)",
        a.plant
            .as_deref()
            .map(|p| format!(" of {p}"))
            .unwrap_or_default(),
        a.as_of
            .as_deref()
            .map(|t| format!(" as of {t}"))
            .unwrap_or_default(),
        a.zones.len(),
        a.conduits.len()
    )?;
    writeln!(
        out,
        "Evidence: {} capture(s), model {}{}",
        a.inputs.captures.len(),
        a.inputs.model.path,
        a.inputs
            .attestations
            .as_ref()
            .map(|f| format!(", attestations {}", f.path))
            .unwrap_or_else(|| ", no attestations (what traffic cannot show stays unknown)".into())
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "  {:<24} {:<10} {:<14} {:<14} {:<14} {:>5} {:>8} {:>8} {:>5}",
        "scope", "", "SL-T FR1-7", "SL-A FR1-7", "gap", "fail", "partial", "unknown", "met"
    )?;
    for s in a.zones.iter().chain(&a.conduits) {
        let [fail, partial, unknown, met] = counts(s);
        writeln!(
            out,
            "  {:<24} {:<10} {:<14} {:<14} {:<14} {:>5} {:>8} {:>8} {:>5}",
            s.id,
            match s.kind {
                crate::ScopeKind::Zone => "zone",
                crate::ScopeKind::Conduit => "conduit",
            },
            levels(&s.sl_t),
            levels(&s.sl_a),
            levels(&s.gap),
            fail,
            partial,
            unknown,
            met
        )?;
    }
    let gaps: Vec<(&ScopeResult, &crate::RequirementResult)> = a
        .zones
        .iter()
        .chain(&a.conduits)
        .flat_map(|s| s.requirements.iter().map(move |r| (s, r)))
        .filter(|(_, r)| r.status == Status::Fail && r.provenance == Provenance::Observed)
        // A zone's conduit requirements repeat its conduits' findings: shown once, there.
        .filter(|(_, r)| r.evidence.iter().any(|f| f.rule != "conduits"))
        .collect();
    if !gaps.is_empty() {
        writeln!(out)?;
        writeln!(out, "Gaps the traffic shows ({}):", gaps.len())?;
        for (s, r) in gaps {
            let summary = r
                .evidence
                .iter()
                .filter(|f| f.status == Status::Fail)
                .map(|f| f.summary.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            writeln!(
                out,
                "  {} {:<13} {}: {}",
                s.id,
                r.id.to_string(),
                r.title,
                summary
            )?;
        }
    }
    let capability = capability_lines(a);
    if !capability.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Capability of the zones' products (SL-C FR1-7, IEC 62443-4-2, components file):"
        )?;
        for (z, sl_c, products) in capability {
            writeln!(out, "  {:<24} {:<14} {}", z.id, levels(&sl_c), products)?;
        }
    }
    if !a.remediation.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Remediation, most SL-A gained first (top {} of {}):",
            top.min(a.remediation.len()),
            a.remediation.len()
        )?;
        for act in a.remediation.iter().take(top) {
            writeln!(
                out,
                "  {:>3}. {} {} ({}, {}) — {}: {}",
                act.rank,
                act.scope,
                act.requirement,
                act.status.as_str(),
                act.raises,
                act.title,
                act.action
            )?;
        }
    }
    if let Some(risk) = &a.risk {
        writeln!(out)?;
        writeln!(
            out,
            "Risk (IEC 62443-3-2; consequence × likelihood, tolerable ≤ {}):",
            risk.matrix.tolerable
        )?;
        for z in &risk.zones {
            writeln!(
                out,
                "  {:<24} initial {:>2} ({}×{})  residual {:>2} ({}×{})  {}",
                z.zone,
                z.initial_risk,
                z.consequence,
                z.initial_likelihood,
                z.residual_risk,
                z.consequence,
                z.residual_likelihood,
                if z.tolerable {
                    "tolerable"
                } else {
                    "NOT tolerable"
                }
            )?;
        }
    }
    Ok(())
}

fn md_escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn status_mark(s: Status, p: Provenance) -> String {
    let mark = match s {
        Status::Pass => "pass",
        Status::Partial => "partial",
        Status::Fail => "**fail**",
        Status::NotApplicable => "n/a",
        Status::Unknown => "?",
    };
    match p {
        Provenance::Observed => format!("{mark} (o)"),
        Provenance::Attested => format!("{mark} (a)"),
        Provenance::Unknown => mark.to_string(),
    }
}

pub fn write_markdown(a: &Assessment, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "# IEC 62443-3-3 assessment{}\n",
        a.plant
            .as_deref()
            .map(|p| format!(": {p}"))
            .unwrap_or_default()
    )?;
    if let Some(t) = &a.as_of {
        writeln!(out, "As of the newest packet: {t}.\n")?;
    }
    writeln!(out, "## Inputs\n")?;
    writeln!(out, "| file | sha256 |\n|---|---|")?;
    writeln!(
        out,
        "| {} (model) | `{}` |",
        md_escape(&a.inputs.model.path),
        a.inputs.model.sha256
    )?;
    if let Some(f) = &a.inputs.attestations {
        writeln!(
            out,
            "| {} (attestations) | `{}` |",
            md_escape(&f.path),
            f.sha256
        )?;
    }
    for f in &a.inputs.captures {
        writeln!(out, "| {} | `{}` |", md_escape(&f.path), f.sha256)?;
    }
    writeln!(out, "\n## Security levels\n")?;
    writeln!(
        out,
        "SL-T / SL-A per foundational requirement; SL-A is the highest level whose required SRs and REs all pass.\n"
    )?;
    writeln!(
        out,
        "| scope | FR1 | FR2 | FR3 | FR4 | FR5 | FR6 | FR7 |\n|---|---|---|---|---|---|---|---|"
    )?;
    for s in a.zones.iter().chain(&a.conduits) {
        let cells: Vec<String> = (1u8..=7)
            .map(|fr| match (s.sl_t.get(fr), s.sl_a.get(fr)) {
                (Some(t), Some(l)) if l < t => format!("**{t} / {l}**"),
                (Some(t), Some(l)) => format!("{t} / {l}"),
                _ => "-".into(),
            })
            .collect();
        writeln!(
            out,
            "| {} {} | {} |",
            match s.kind {
                crate::ScopeKind::Zone => "zone",
                crate::ScopeKind::Conduit => "conduit",
            },
            md_escape(&s.id),
            cells.join(" | ")
        )?;
    }
    // Requirement matrix: every requirement that appears in some zone.
    writeln!(out, "\n## Requirement matrix (zones)\n")?;
    writeln!(out, "(o) observed, (a) attested, ? unknown.\n")?;
    let ids: BTreeSet<ReqId> = a
        .zones
        .iter()
        .flat_map(|z| z.requirements.iter().map(|r| r.id))
        .collect();
    let header: Vec<String> = a.zones.iter().map(|z| md_escape(&z.id)).collect();
    writeln!(out, "| requirement | {} |", header.join(" | "))?;
    writeln!(out, "|---|{}", "---|".repeat(a.zones.len()))?;
    for id in ids {
        let cells: Vec<String> = a
            .zones
            .iter()
            .map(|z| {
                z.requirements
                    .iter()
                    .find(|r| r.id == id)
                    .map_or("".into(), |r| status_mark(r.status, r.provenance))
            })
            .collect();
        writeln!(out, "| {id} | {} |", cells.join(" | "))?;
    }
    let capability = capability_lines(a);
    if !capability.is_empty() {
        writeln!(out, "\n## Capability of the zones' products (SL-C)\n")?;
        writeln!(
            out,
            "SL-C per FR is the lowest among the zone's products declared in the components file (IEC 62443-4-2); where it is below SL-T, no system measure lifts the zone to its target without a compensating countermeasure.\n"
        )?;
        writeln!(
            out,
            "| zone | SL-C FR1-7 | SL-T FR1-7 | products |\n|---|---|---|---|"
        )?;
        for (z, sl_c, products) in capability {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                md_escape(&z.id),
                levels(&sl_c),
                levels(&z.sl_t),
                md_escape(&products)
            )?;
        }
    }
    writeln!(out, "\n## Remediation plan\n")?;
    if a.remediation.is_empty() {
        writeln!(out, "Every zone and conduit meets its SL-T.")?;
    }
    for act in &a.remediation {
        writeln!(
            out,
            "{}. **{} {}** ({}; {}) — {}",
            act.rank,
            md_escape(&act.scope),
            act.requirement,
            act.status.as_str(),
            act.raises,
            md_escape(&act.action)
        )?;
    }
    if let Some(risk) = &a.risk {
        write_risk_markdown(risk, out)?;
    }
    writeln!(out, "\n## Evidence\n")?;
    for s in a.zones.iter().chain(&a.conduits) {
        let with = with_evidence(s);
        if with.is_empty() {
            continue;
        }
        writeln!(out, "### {}\n", md_escape(&s.id))?;
        for r in with {
            writeln!(
                out,
                "- **{} {}**: {}",
                r.id,
                md_escape(&r.title),
                r.status.as_str()
            )?;
            for f in &r.evidence {
                writeln!(
                    out,
                    "  - observed `{}` ({}): {}",
                    f.rule,
                    f.status.as_str(),
                    md_escape(&f.summary)
                )?;
                for flow in &f.flows {
                    writeln!(out, "    - `{}`", md_escape(flow))?;
                }
            }
            if let Some(att) = &r.attestation {
                writeln!(
                    out,
                    "  - attested {} by {} on {}{}",
                    att.status.as_str(),
                    att.by.as_deref().unwrap_or("?"),
                    att.date.as_deref().unwrap_or("?"),
                    att.evidence
                        .as_deref()
                        .map(|e| format!(": {}", md_escape(e)))
                        .unwrap_or_default()
                )?;
            }
            if let Some(note) = &r.note {
                writeln!(out, "  - note: {}", md_escape(note))?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn status_class(s: Status) -> &'static str {
    match s {
        Status::Pass | Status::NotApplicable => "met",
        Status::Partial => "partial",
        Status::Fail => "fail",
        Status::Unknown => "unknown",
    }
}

/// A self-contained HTML report an auditor can read offline: summary, SL heat map
/// (scope × FR), requirement matrix, remediation plan, evidence appendix. No scripts, no
/// external resources.
pub fn write_html(a: &Assessment, out: &mut dyn Write) -> io::Result<()> {
    let title = format!(
        "IEC 62443-3-3 assessment{}",
        a.plant
            .as_deref()
            .map(|p| format!(": {p}"))
            .unwrap_or_default()
    );
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>",
        html_escape(&title)
    )?;
    writeln!(
        out,
        "<style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:1em 0}}\
td,th{{border:1px solid #bbb;padding:3px 7px;font-size:13px;vertical-align:top}}th{{background:#eee}}\
.met{{background:#c8e6c9}}.partial{{background:#fff3c4}}.fail{{background:#ffcdd2}}.unknown{{background:#eceff1;color:#555}}\
.gap0{{background:#c8e6c9}}.gap1{{background:#fff3c4}}.gap2{{background:#ffccbc}}.gap3{{background:#ef9a9a}}.gap4{{background:#e57373}}\
code{{font-size:12px}}</style></head><body>"
    )?;
    writeln!(out, "<h1>{}</h1>", html_escape(&title))?;
    if let Some(t) = &a.as_of {
        writeln!(out, "<p>As of the newest packet: {}.</p>", html_escape(t))?;
    }
    writeln!(out, "<h2>Summary</h2><table><tr><th>scope</th><th>criticality</th><th>fail</th><th>partial</th><th>unknown</th><th>met</th></tr>")?;
    for s in a.zones.iter().chain(&a.conduits) {
        let [fail, partial, unknown, met] = counts(s);
        writeln!(
            out,
            "<tr><td>{} {}</td><td>{}</td><td class=\"fail\">{fail}</td><td class=\"partial\">{partial}</td><td class=\"unknown\">{unknown}</td><td class=\"met\">{met}</td></tr>",
            match s.kind {
                crate::ScopeKind::Zone => "zone",
                crate::ScopeKind::Conduit => "conduit",
            },
            html_escape(&s.id),
            html_escape(&s.criticality)
        )?;
    }
    writeln!(out, "</table>")?;
    writeln!(out, "<h2>Security levels: SL-T / SL-A</h2><p>Colour: the gap (green none, red widest).</p><table><tr><th>scope</th>")?;
    for fr in 1..=7 {
        write!(out, "<th>FR{fr}</th>")?;
    }
    writeln!(out, "</tr>")?;
    for s in a.zones.iter().chain(&a.conduits) {
        write!(out, "<tr><td>{}</td>", html_escape(&s.id))?;
        for fr in 1u8..=7 {
            match (s.sl_t.get(fr), s.sl_a.get(fr), s.gap.get(fr)) {
                (Some(t), Some(l), Some(g)) => {
                    write!(out, "<td class=\"gap{}\">{t} / {l}</td>", g.min(4))?
                }
                _ => write!(out, "<td>-</td>")?,
            }
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</table>")?;
    let ids: BTreeSet<ReqId> = a
        .zones
        .iter()
        .chain(&a.conduits)
        .flat_map(|z| z.requirements.iter().map(|r| r.id))
        .collect();
    writeln!(out, "<h2>Requirement matrix</h2><p>o: observed, a: attested.</p><table><tr><th>requirement</th>")?;
    for s in a.zones.iter().chain(&a.conduits) {
        write!(out, "<th>{}</th>", html_escape(&s.id))?;
    }
    writeln!(out, "</tr>")?;
    for id in ids {
        write!(out, "<tr><td>{id}</td>")?;
        for s in a.zones.iter().chain(&a.conduits) {
            match s.requirements.iter().find(|r| r.id == id) {
                Some(r) => write!(
                    out,
                    "<td class=\"{}\">{}{}</td>",
                    status_class(r.status),
                    r.status.as_str(),
                    match r.provenance {
                        Provenance::Observed => " (o)",
                        Provenance::Attested => " (a)",
                        Provenance::Unknown => "",
                    }
                )?,
                None => write!(out, "<td></td>")?,
            }
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</table>")?;
    let capability = capability_lines(a);
    if !capability.is_empty() {
        writeln!(out, "<h2>Capability of the zones' products (SL-C)</h2><p>Lowest SL-C per FR among the zone's products declared in the components file (IEC 62443-4-2).</p><table><tr><th>zone</th><th>SL-C FR1-7</th><th>SL-T FR1-7</th><th>products</th></tr>")?;
        for (z, sl_c, products) in capability {
            writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                html_escape(&z.id),
                levels(&sl_c),
                levels(&z.sl_t),
                html_escape(&products)
            )?;
        }
        writeln!(out, "</table>")?;
    }
    writeln!(out, "<h2>Remediation plan</h2><table><tr><th>#</th><th>scope</th><th>requirement</th><th>status</th><th>raises</th><th>score</th><th>action</th></tr>")?;
    for act in &a.remediation {
        writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{} {}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            act.rank,
            html_escape(&act.scope),
            act.requirement,
            html_escape(&act.title),
            status_class(act.status),
            act.status.as_str(),
            html_escape(&act.raises),
            act.score,
            html_escape(&act.action)
        )?;
    }
    writeln!(out, "</table>")?;
    if let Some(risk) = &a.risk {
        writeln!(
            out,
            "<h2>Risk register (IEC 62443-3-2)</h2><p>Risk = consequence × likelihood; tolerable at or below {}.</p>",
            risk.matrix.tolerable
        )?;
        writeln!(out, "<table><tr><th>zone</th><th>initial</th><th>residual</th><th>tolerable</th><th>threats not countered</th><th>rationale</th></tr>")?;
        for z in &risk.zones {
            let open: Vec<String> = z
                .threats
                .iter()
                .filter(|t| !t.countermeasures_missing.is_empty())
                .map(|t| format!("{} {}", t.technique, html_escape(&t.name)))
                .collect();
            writeln!(
                out,
                "<tr><td>{}</td><td>{} ({}×{})</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
                html_escape(&z.zone),
                z.initial_risk,
                z.consequence,
                z.initial_likelihood,
                z.residual_risk,
                if z.tolerable { "met" } else { "fail" },
                if z.tolerable { "yes" } else { "no" },
                open.join(", "),
                html_escape(&z.rationale)
            )?;
        }
        writeln!(out, "</table>")?;
    }
    writeln!(out, "<h2>Evidence</h2>")?;
    for s in a.zones.iter().chain(&a.conduits) {
        let with = with_evidence(s);
        if with.is_empty() {
            continue;
        }
        writeln!(out, "<h3>{}</h3><ul>", html_escape(&s.id))?;
        for r in with {
            writeln!(
                out,
                "<li><b>{} {}</b>: <span class=\"{}\">{}</span><ul>",
                r.id,
                html_escape(&r.title),
                status_class(r.status),
                r.status.as_str()
            )?;
            for f in &r.evidence {
                writeln!(
                    out,
                    "<li>observed <code>{}</code> ({}): {}",
                    html_escape(&f.rule),
                    f.status.as_str(),
                    html_escape(&f.summary)
                )?;
                if !f.flows.is_empty() || !f.assets.is_empty() {
                    let items: Vec<String> = f
                        .flows
                        .iter()
                        .chain(&f.assets)
                        .map(|x| format!("<code>{}</code>", html_escape(x)))
                        .collect();
                    writeln!(out, "<br>{}", items.join(", "))?;
                }
                writeln!(out, "</li>")?;
            }
            if let Some(att) = &r.attestation {
                writeln!(
                    out,
                    "<li>attested {} by {} on {}{}</li>",
                    att.status.as_str(),
                    html_escape(att.by.as_deref().unwrap_or("?")),
                    html_escape(att.date.as_deref().unwrap_or("?")),
                    att.evidence
                        .as_deref()
                        .map(|e| format!(": {}", html_escape(e)))
                        .unwrap_or_default()
                )?;
            }
            if let Some(note) = &r.note {
                writeln!(out, "<li>note: {}</li>", html_escape(note))?;
            }
            writeln!(out, "</ul></li>")?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(
        out,
        "<h2>Inputs</h2><table><tr><th>file</th><th>sha256</th></tr>"
    )?;
    let files = std::iter::once(&a.inputs.model)
        .chain(a.inputs.attestations.as_ref())
        .chain(&a.inputs.captures);
    for f in files {
        writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td></tr>",
            html_escape(&f.path),
            f.sha256
        )?;
    }
    writeln!(out, "</table></body></html>")?;
    Ok(())
}

fn write_risk_markdown(risk: &crate::risk::RiskAssessment, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "\n## Risk assessment (IEC 62443-3-2)\n")?;
    if let Some(name) = &risk.system.name {
        writeln!(
            out,
            "System under consideration (ZCR 1): {}.",
            md_escape(name)
        )?;
    }
    if let Some(b) = &risk.system.boundary {
        writeln!(out, "Boundary: {}.", md_escape(b))?;
    }
    if !risk.system.access_points.is_empty() {
        writeln!(
            out,
            "Access points: {}.",
            md_escape(&risk.system.access_points.join(", "))
        )?;
    }
    writeln!(
        out,
        "\nRisk = consequence × likelihood (1–5 each); tolerable at or below {}.\n",
        risk.matrix.tolerable
    )?;
    writeln!(out, "| zone | consequence | initial likelihood | initial risk | residual risk | tolerable | rationale |\n|---|---|---|---|---|---|---|")?;
    for z in &risk.zones {
        let label = |labels: &[String], n: u8| {
            labels
                .get(usize::from(n.saturating_sub(1)))
                .cloned()
                .unwrap_or_default()
        };
        writeln!(
            out,
            "| {} | {} {} | {} {} | {} | {} | {} | {} |",
            md_escape(&z.zone),
            z.consequence,
            label(&risk.matrix.consequence_labels, z.consequence),
            z.initial_likelihood,
            label(&risk.matrix.likelihood_labels, z.initial_likelihood),
            z.initial_risk,
            z.residual_risk,
            if z.tolerable { "yes" } else { "**no**" },
            md_escape(&z.rationale)
        )?;
    }
    writeln!(out, "\n### Risk register (threats per zone, ZCR 5)\n")?;
    writeln!(out, "| zone | threat (ATT&CK for ICS) | countermeasures met | missing | residual risk |\n|---|---|---|---|---|")?;
    for z in &risk.zones {
        for t in &z.threats {
            writeln!(
                out,
                "| {} | {} {} | {} | {} | {} |",
                md_escape(&z.zone),
                t.technique,
                md_escape(&t.name),
                t.countermeasures_met.join(", "),
                t.countermeasures_missing.join(", "),
                t.residual_risk
            )?;
        }
    }
    writeln!(
        out,
        "\nDocumented requirements (ZCR 6): each zone's SL-T and the unmet requirements of the remediation plan.\n\nApproval (ZCR 7): {} {} {}",
        risk.approval.by.as_deref().unwrap_or("(not approved)"),
        risk.approval.role.as_deref().unwrap_or(""),
        risk.approval.date.as_deref().unwrap_or("")
    )?;
    Ok(())
}
