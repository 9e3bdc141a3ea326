//! `zonewarden monitor --follow DIR`: detections over capture files as a tap or a capture
//! tool writes them (rotating files), alerts streamed to stdout and to syslog/CEF
//! collectors. SIGINT/SIGTERM stop it after the file at hand, with everything flushed.

use crate::zones::DEFAULT_MODEL;
use anyhow::{Context, Result};
use clap::ValueEnum;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use zonewarden_detect::maintenance::Window;
use zonewarden_detect::output::{cef, syslog_5424, Sender, Webhook};
use zonewarden_detect::{Alert, Baseline};
use zonewarden_policy::Resolution;

#[derive(clap::Args, Debug)]
pub struct MonitorArgs {
    /// A directory where capture files appear (e.g. `tcpdump -G 60 -w DIR/%s.pcap`); each
    /// file is read once it is complete (a newer file exists, or it stopped growing).
    #[arg(long, value_name = "DIR")]
    follow: PathBuf,
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Zones model for policy alerts (default: zones.toml here, when it exists).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Maintenance windows: planned operations suppressed or downgraded (TOML).
    #[arg(long)]
    maintenance: Option<PathBuf>,
    /// POST each alert as JSON to this URL (http://host:port/path), with retries.
    #[arg(long, value_name = "URL")]
    webhook: Vec<String>,
    #[arg(long, value_enum, default_value_t = StreamFormat::Jsonl)]
    format: StreamFormat,
    /// Also send each alert to a collector: udp://host:port or tcp://host:port (repeatable).
    #[arg(long, value_name = "TARGET")]
    syslog: Vec<String>,
    /// What goes to the collectors: RFC 5424 syslog, or CEF inside RFC 5424.
    #[arg(long, value_enum, default_value_t = WireFormat::Syslog)]
    wire: WireFormat,
    /// Seconds between looks at the directory.
    #[arg(long, default_value_t = 2.0)]
    poll: f64,
    /// Read the files there now and stop (no waiting for new ones).
    #[arg(long)]
    once: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum StreamFormat {
    Jsonl,
    Text,
    Cef,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum WireFormat {
    Syslog,
    Cef,
}

/// The maintenance windows of `--maintenance`, or the error printed (exit code 2).
pub fn load_windows(path: Option<&Path>) -> Result<Vec<Window>, ExitCode> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("zonewarden: {}: {e}", path.display());
        ExitCode::from(2)
    })?;
    zonewarden_detect::maintenance::parse(&path.display().to_string(), &text).map_err(|e| {
        eprintln!("zonewarden: {e}");
        ExitCode::from(2)
    })
}

pub fn webhooks(urls: &[String]) -> Result<Vec<Webhook>, ExitCode> {
    urls.iter()
        .map(|u| {
            Webhook::new(u).map_err(|e| {
                eprintln!("zonewarden: {e}");
                ExitCode::from(2)
            })
        })
        .collect()
}

/// Posts an alert to every webhook; a failure after the retries is reported, not fatal.
pub fn post(hooks: &[Webhook], alert: &Alert) {
    for hook in hooks {
        if let Err(e) = hook.post(alert) {
            eprintln!("zonewarden: webhook: alert {} not delivered: {e}", alert.id);
        }
    }
}

fn is_capture(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [
        ".pcap",
        ".pcapng",
        ".cap",
        ".pcap.gz",
        ".pcap.zst",
        ".pcapng.gz",
        ".pcapng.zst",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "-".into())
}

pub fn run(args: &MonitorArgs) -> Result<ExitCode> {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .context("installing the SIGINT/SIGTERM handler")?;
    }
    let model_path = args.model.clone().or_else(|| {
        Path::new(DEFAULT_MODEL)
            .exists()
            .then(|| PathBuf::from(DEFAULT_MODEL))
    });
    let model = match &model_path {
        Some(p) => match crate::zones::load_model(p) {
            Ok(m) => Some(m),
            Err(code) => return Ok(code),
        },
        None => None,
    };
    let baseline: Option<Baseline> = match &args.baseline {
        Some(p) => match std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| format!("not a baseline: {e}")))
        {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("zonewarden: {}: {e}", p.display());
                return Ok(ExitCode::from(2));
            }
        },
        None => None,
    };
    let windows = match load_windows(args.maintenance.as_deref()) {
        Ok(w) => w,
        Err(code) => return Ok(code),
    };
    let hooks = match webhooks(&args.webhook) {
        Ok(h) => h,
        Err(code) => return Ok(code),
    };
    let mut senders = Vec::new();
    for target in &args.syslog {
        match Sender::connect(target) {
            Ok(s) => senders.push((target.clone(), s)),
            Err(e) => {
                eprintln!("zonewarden: {target}: {e}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    if !args.follow.is_dir() {
        eprintln!("zonewarden: {}: not a directory", args.follow.display());
        return Ok(ExitCode::from(2));
    }
    let host = hostname();
    let poll = Duration::try_from_secs_f64(args.poll.clamp(0.05, 3600.0))
        .unwrap_or(Duration::from_secs(2));
    // Files read (pruned to those still in the directory, so a long run stays bounded).
    let mut done: HashSet<PathBuf> = HashSet::new();
    let mut alerts_sent = 0usize;
    // Size and modification time at the previous look, for "stopped growing".
    let mut last_look: BTreeMap<PathBuf, (u64, SystemTime)> = BTreeMap::new();
    let mut files_read = 0usize;
    let stdout = std::io::stdout();
    let mut status = ExitCode::SUCCESS;
    loop {
        let present: Vec<PathBuf> = std::fs::read_dir(&args.follow)
            .with_context(|| format!("reading {}", args.follow.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_capture(p))
            .collect();
        let present_set: HashSet<&PathBuf> = present.iter().collect();
        done.retain(|p| present_set.contains(p));
        last_look.retain(|p, _| present_set.contains(p));
        let mut files: Vec<PathBuf> = present
            .iter()
            .filter(|p| !done.contains(*p))
            .cloned()
            .collect();
        files.sort();
        let newest = files.last().cloned();
        for file in files {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let meta = match std::fs::metadata(&file) {
                Ok(m) => m,
                Err(_) => continue,
            };
            let now = (
                meta.len(),
                meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            );
            let complete =
                args.once || Some(&file) != newest.as_ref() || last_look.get(&file) == Some(&now);
            last_look.insert(file.clone(), now);
            if !complete {
                continue;
            }
            done.insert(file.clone());
            last_look.remove(&file);
            files_read += 1;
            let (observed, map) = crate::zones::observe_with_map(std::slice::from_ref(&file));
            if observed.report.had_unreadable_input() {
                eprintln!(
                    "zonewarden: {}: damaged, read as far as possible",
                    file.display()
                );
                status = ExitCode::from(1);
            }
            let inputs: Vec<String> = observed
                .report
                .inputs
                .iter()
                .map(|i| i.path.clone())
                .collect();
            let resolution = model
                .as_ref()
                .map(|m| Resolution::new(m, &observed.inventory));
            let check = match (&model, &resolution) {
                (Some(m), Some(r)) => Some(zonewarden_policy::check(m, r, &observed.conversations)),
                _ => None,
            };
            let detected = zonewarden_detect::detect(&zonewarden_detect::Inputs {
                map: &map,
                inventory: &observed.inventory,
                conversations: &observed.conversations,
                inputs: &inputs,
                model: model.as_ref(),
                resolution: resolution.as_ref(),
                check: check.as_ref(),
                baseline: baseline.as_ref(),
            });
            // Each file is its own stretch of time: its alerts are reported even when an
            // earlier file raised the same finding (a second stop is a second event).
            let (alerts, suppressed) = zonewarden_detect::maintenance::apply(&windows, detected);
            if suppressed > 0 {
                eprintln!(
                    "zonewarden: {}: {suppressed} alert(s) suppressed by maintenance windows",
                    file.display()
                );
            }
            let mut out = stdout.lock();
            for alert in &alerts {
                alerts_sent += 1;
                emit(alert, args.format, &mut out)?;
                let message = match args.wire {
                    WireFormat::Syslog => syslog_5424(alert, &host, &alert.summary),
                    WireFormat::Cef => syslog_5424(alert, &host, &cef(alert)),
                };
                for (target, sender) in senders.iter_mut() {
                    if let Err(e) = sender.send(&message) {
                        eprintln!("zonewarden: {target}: {e}");
                    }
                }
                post(&hooks, alert);
            }
            out.flush()?;
        }
        if args.once || stop.load(Ordering::SeqCst) {
            break;
        }
        std::thread::sleep(poll);
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
    eprintln!("zonewarden: monitor stopped: {files_read} file(s) read, {alerts_sent} alert(s)");
    Ok(status)
}

fn emit(alert: &Alert, format: StreamFormat, out: &mut dyn Write) -> Result<()> {
    match format {
        StreamFormat::Jsonl => {
            serde_json::to_writer(&mut *out, alert)?;
            writeln!(out)?;
        }
        StreamFormat::Cef => writeln!(out, "{}", cef(alert))?,
        StreamFormat::Text => writeln!(
            out,
            "{} {:<8} {} {} [{}] {} ×{}",
            alert.time,
            alert.severity.as_str(),
            alert.rule,
            alert.name,
            alert.attack,
            alert.summary,
            alert.count
        )?,
    }
    Ok(())
}
