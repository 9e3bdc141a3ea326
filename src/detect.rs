//! `zonewarden detect`: the detections over captures, against an optional baseline and
//! zones model. Exit codes: 0 done (3 with `--exit-code` when something was detected),
//! 1 some capture unreadable, 2 usage or file errors.

use crate::zones::{file_name, DEFAULT_MODEL};
use anyhow::{Context, Result};
use clap::ValueEnum;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zonewarden_detect::{Baseline, Severity};
use zonewarden_engine::{Boundary, PacketWindow};
use zonewarden_policy::Resolution;

#[derive(clap::Args, Debug)]
pub struct DetectArgs {
    #[arg(required = true, value_name = "CAPTURE")]
    captures: Vec<PathBuf>,
    /// Compare with this learned baseline (new devices, bindings, firmware, conversations,
    /// protocols, kinds of operation, writers).
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Learn from the captures into this baseline file (created, or updated with what is
    /// new) instead of detecting.
    #[arg(long, conflicts_with = "baseline")]
    learn: Option<PathBuf>,
    /// Learn from the first part of the captures, then detect on the rest against what was
    /// learned (and against --baseline, when given): capture time after the first packet
    /// ("90s", "30m", "2h", "1d") or a packet count ("5000p").
    #[arg(long, value_name = "PERIOD", value_parser = parse_period, conflicts_with = "learn")]
    learning_period: Option<Boundary>,
    /// Zones model for policy alerts (default: zones.toml in the plant folder, when it exists).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Maintenance windows: planned operations suppressed or downgraded (TOML).
    #[arg(long)]
    maintenance: Option<PathBuf>,
    /// POST each alert as JSON to this URL (http://host:port/path), with retries.
    #[arg(long, value_name = "URL")]
    webhook: Vec<String>,
    #[arg(long, value_enum, default_value_t = DetectFormat::Text)]
    format: DetectFormat,
    /// Alerts below this severity are not shown.
    #[arg(long, value_enum, default_value_t = MinSeverity::Info)]
    min_severity: MinSeverity,
    /// Exit with code 3 when an alert is shown.
    #[arg(long)]
    exit_code: bool,
    /// Write one pcap per alert into DIR with the packets involved (`<alert id>.pcap`,
    /// named in the alert as `evidence_pcap`).
    #[arg(long, value_name = "DIR")]
    extract: Option<PathBuf>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum DetectFormat {
    Text,
    /// One alert per line (JSON Lines).
    Jsonl,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum MinSeverity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl MinSeverity {
    fn level(self) -> Severity {
        match self {
            MinSeverity::Info => Severity::Info,
            MinSeverity::Low => Severity::Low,
            MinSeverity::Medium => Severity::Medium,
            MinSeverity::High => Severity::High,
            MinSeverity::Critical => Severity::Critical,
        }
    }
}

/// The zones model for policy alerts: `--model`, else the plant folder's when it exists.
pub fn optional_model(model: Option<&Path>) -> Result<Option<zonewarden_policy::Model>, ExitCode> {
    let path = model.map(Path::to_path_buf).or_else(|| {
        Path::new(DEFAULT_MODEL)
            .exists()
            .then(|| PathBuf::from(DEFAULT_MODEL))
    });
    path.map(|p| crate::zones::load_model(&p)).transpose()
}

/// The baseline of `--baseline`, or the error printed (exit code 2).
pub fn optional_baseline(path: Option<&Path>) -> Result<Option<Baseline>, ExitCode> {
    let Some(p) = path else { return Ok(None) };
    std::fs::read_to_string(p)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| format!("not a baseline: {e}")))
        .map(Some)
        .map_err(|e| {
            eprintln!("zonewarden: {}: {e}", p.display());
            ExitCode::from(2)
        })
}

/// What was observed, learned into the baseline known so far (a new one when there is none).
pub fn learn_into(
    known: Option<Baseline>,
    observed: &crate::zones::Observed,
    map: &zonewarden_dissect::CommunicationMap,
) -> Baseline {
    let learned = Baseline::learn(
        &observed.inventory,
        &observed.conversations,
        map,
        &observed.source_names(),
    );
    match known {
        Some(mut known) => {
            known.merge(learned);
            known
        }
        None => learned,
    }
}

/// A learning period: a duration with its unit (s, m, h, d) or a packet count ending in `p`.
pub fn parse_period(text: &str) -> std::result::Result<Boundary, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: expected a number and a unit, as in 30m or 5000p"))?;
    let seconds = match unit.trim() {
        "p" | "packets" => return Ok(Boundary::Packets(n)),
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        other => {
            return Err(format!(
                "unknown unit {other:?}: use s, m, h or d for capture time, p for packets"
            ))
        }
    };
    n.checked_mul(seconds)
        .and_then(|s| s.checked_mul(1_000_000_000))
        .map(Boundary::Nanos)
        .ok_or_else(|| format!("{text:?} is too long a period"))
}

pub fn run(args: &DetectArgs) -> Result<ExitCode> {
    let model = match optional_model(args.model.as_deref()) {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let baseline = match optional_baseline(args.baseline.as_deref()) {
        Ok(b) => b,
        Err(code) => return Ok(code),
    };
    let windows = match crate::monitor::load_windows(args.maintenance.as_deref()) {
        Ok(w) => w,
        Err(code) => return Ok(code),
    };
    let hooks = match crate::monitor::webhooks(&args.webhook) {
        Ok(h) => h,
        Err(code) => return Ok(code),
    };
    let baseline = match args.learning_period {
        None => baseline,
        Some(period) => {
            let (learning, learning_map) =
                crate::zones::observe_window(&args.captures, PacketWindow::Before(period));
            let learned = learn_into(baseline, &learning, &learning_map);
            eprintln!(
                "zonewarden: learning period: the baseline has {} device(s), {} conversation(s)",
                learned.devices.len(),
                learned.conversations.len()
            );
            Some(learned)
        }
    };
    let window = args
        .learning_period
        .map_or(PacketWindow::All, PacketWindow::From);
    let (observed, map) = crate::zones::observe_window(&args.captures, window);
    let inputs: Vec<String> = observed
        .report
        .inputs
        .iter()
        .map(|i| i.path.clone())
        .collect();
    if let Some(path) = &args.learn {
        let previous = match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                // Never overwrite a baseline that could not be read.
                eprintln!("zonewarden: {}: {e}", path.display());
                return Ok(ExitCode::from(2));
            }
        };
        let known = match previous.map(|text| serde_json::from_str::<Baseline>(&text)) {
            None => None,
            Some(Ok(old)) => Some(old),
            Some(Err(e)) => {
                eprintln!("zonewarden: {}: not a baseline: {e}", path.display());
                return Ok(ExitCode::from(2));
            }
        };
        let learned = learn_into(known, &observed, &map);
        let text = serde_json::to_string_pretty(&learned)? + "\n";
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "zonewarden: baseline {}: {} device(s), {} conversation(s), {} operation class(es) per pair",
            path.display(),
            learned.devices.len(),
            learned.conversations.len(),
            learned.operation_classes.len()
        );
        return Ok(crate::exit_code(&observed.report));
    }
    let resolution = model
        .as_ref()
        .map(|m| Resolution::new(m, &observed.inventory));
    let check = match (&model, &resolution) {
        (Some(m), Some(r)) => Some(zonewarden_policy::check(m, r, &observed.conversations)),
        _ => None,
    };
    let detect_inputs = zonewarden_detect::Inputs {
        map: &map,
        inventory: &observed.inventory,
        conversations: &observed.conversations,
        inputs: &inputs,
        model: model.as_ref(),
        resolution: resolution.as_ref(),
        check: check.as_ref(),
        baseline: baseline.as_ref(),
    };
    let started = std::time::Instant::now();
    let detected = zonewarden_detect::detect(&detect_inputs);
    tracing::debug!(
        alerts = detected.len(),
        edges = map.edges().count(),
        conversations = observed.conversations.len(),
        seconds = started.elapsed().as_secs_f64(),
        "detections run"
    );
    let (detected, suppressed) = zonewarden_detect::maintenance::apply(&windows, detected);
    if suppressed > 0 {
        eprintln!("zonewarden: {suppressed} alert(s) suppressed by maintenance windows");
    }
    let mut alerts: Vec<zonewarden_detect::Alert> = detected
        .into_iter()
        .filter(|a| a.severity >= args.min_severity.level())
        .collect();
    if let Some(dir) = &args.extract {
        let files = crate::extract::extract(&mut alerts, &inputs, dir)?;
        eprintln!(
            "zonewarden: {files} evidence pcap(s) in {} (at most {} packets each)",
            dir.display(),
            crate::extract::MAX_PACKETS
        );
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        DetectFormat::Jsonl => {
            for a in &alerts {
                serde_json::to_writer(&mut out, a)?;
                writeln!(out)?;
            }
        }
        DetectFormat::Text => {
            for a in &alerts {
                writeln!(
                    out,
                    "{} {:<8} {} {} [{}] {} ×{}{}",
                    a.time,
                    a.severity.as_str(),
                    a.rule,
                    a.name,
                    a.attack,
                    a.summary,
                    a.count,
                    a.evidence
                        .as_ref()
                        .map(|e| format!(" (first: {} packet {})", file_name(&e.file), e.packet))
                        .unwrap_or_default()
                )?;
            }
            writeln!(out, "{} alert(s)", alerts.len())?;
        }
    }
    out.flush()?;
    for alert in &alerts {
        crate::monitor::post(&hooks, alert);
    }
    if args.exit_code && !alerts.is_empty() {
        return Ok(ExitCode::from(3));
    }
    Ok(crate::exit_code(&observed.report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learning_periods_are_capture_time_or_packet_counts() {
        assert_eq!(parse_period("90s"), Ok(Boundary::Nanos(90_000_000_000)));
        assert_eq!(parse_period("30m"), Ok(Boundary::Nanos(1_800_000_000_000)));
        assert_eq!(parse_period("2h"), Ok(Boundary::Nanos(7_200_000_000_000)));
        assert_eq!(parse_period("5000p"), Ok(Boundary::Packets(5000)));
        assert!(parse_period("30").is_err());
        assert!(parse_period("m").is_err());
        assert!(parse_period("3w").is_err());
        assert!(parse_period("99999999999999d").is_err());
    }
}
