//! The assessment for people: a terminal summary and a Markdown report (summary, SL table
//! zone × FR, requirement matrix, remediation plan, evidence appendix).

use crate::{Assessment, FrLevels, Provenance, ScopeResult, Status};
use std::collections::BTreeSet;
use std::io::{self, Write};
use zonewarden_catalog::ReqId;

fn levels(l: &FrLevels) -> String {
    l.0.iter()
        .map(|v| v.map_or("-".to_string(), |n| n.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
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
    writeln!(out, "\n## Evidence\n")?;
    for s in a.zones.iter().chain(&a.conduits) {
        let with: Vec<&crate::RequirementResult> = s
            .requirements
            .iter()
            .filter(|r| !r.evidence.is_empty() || r.attestation.is_some())
            .collect();
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
