//! `zonewarden monitor --follow DIR`: detections over capture files as a tap or a capture
//! tool writes them (rotating files), alerts streamed to stdout and to syslog/CEF
//! collectors. `--interface IF` (built with the `live` feature) captures with libpcap into
//! rotating files of its own and follows those. SIGINT/SIGTERM stop it after the file at
//! hand, with everything flushed (live: the last partial file is read too, and the kernel's
//! drop counters are printed).

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
use zonewarden_detect::Alert;
use zonewarden_policy::Resolution;

#[derive(clap::Args, Debug)]
pub struct MonitorArgs {
    /// A directory where capture files appear (e.g. `tcpdump -G 60 -w DIR/%s.pcap`); each
    /// file is read once it is complete (a newer file exists, or it stopped growing).
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "interface",
        conflicts_with = "interface"
    )]
    follow: Option<PathBuf>,
    /// Capture live on this interface (a SPAN or TAP port); needs the `live` build feature
    /// (libpcap) and capture privileges.
    #[arg(long, value_name = "IF")]
    interface: Option<String>,
    /// BPF filter for the live capture.
    #[arg(long, value_name = "BPF", requires = "interface")]
    filter: Option<String>,
    /// Seconds of live traffic per analysed file.
    #[arg(long, default_value_t = 10.0)]
    rotate: f64,
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Learn from the files of the first part of the run, then alert: capture time after the
    /// first packet ("30m", "2h", "1d") or a packet count ("50000p"), in whole files (the
    /// file in which the period ends is learned too).
    #[arg(long, value_name = "PERIOD", value_parser = crate::detect::parse_period)]
    learning_period: Option<zonewarden_engine::Boundary>,
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

/// How far the learning period of a run has got, file by file.
struct Learning {
    period: zonewarden_engine::Boundary,
    first_ts: Option<zonewarden_model::Timestamp>,
    last_ts: Option<zonewarden_model::Timestamp>,
    packets: u64,
}

impl Learning {
    fn new(period: zonewarden_engine::Boundary) -> Self {
        Learning {
            period,
            first_ts: None,
            last_ts: None,
            packets: 0,
        }
    }

    fn add(&mut self, counters: &zonewarden_engine::Counters) {
        self.packets += counters.packets;
        if self.first_ts.is_none() {
            self.first_ts = counters.first_ts;
        }
        self.last_ts = self.last_ts.max(counters.last_ts);
    }

    fn is_over(&self) -> bool {
        match self.period {
            zonewarden_engine::Boundary::Packets(n) => self.packets >= n,
            zonewarden_engine::Boundary::Nanos(n) => match (self.first_ts, self.last_ts) {
                (Some(first), Some(last)) => last.0.saturating_sub(first.0) >= n,
                _ => false,
            },
        }
    }
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
    let model = match crate::detect::optional_model(args.model.as_deref()) {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let mut baseline = match crate::detect::optional_baseline(args.baseline.as_deref()) {
        Ok(b) => b,
        Err(code) => return Ok(code),
    };
    let mut learning = args.learning_period.map(Learning::new);
    let windows = match load_windows(args.maintenance.as_deref()) {
        Ok(w) => w,
        Err(code) => return Ok(code),
    };
    let hooks = match webhooks(&args.webhook) {
        Ok(h) => h,
        Err(code) => return Ok(code),
    };
    // Webhooks post from a worker with a bounded queue: a slow or dead endpoint, with its
    // retries and back-off, must not hold up the analysis or a stop.
    let (hook_queue, hook_worker) = if hooks.is_empty() {
        (None, None)
    } else {
        let (queue, pending) = std::sync::mpsc::sync_channel::<Alert>(1024);
        let worker = std::thread::spawn(move || {
            for alert in pending {
                post(&hooks, &alert);
            }
        });
        (Some(queue), Some(worker))
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
    // Live capture writes rotating files into a private folder that the loop below follows.
    let live = match &args.interface {
        Some(interface) => match start_live(interface, args, &stop) {
            Ok(l) => Some(l),
            Err(code) => return Ok(code),
        },
        None => None,
    };
    let folder = match (&args.follow, &live) {
        (Some(dir), _) => dir.clone(),
        (None, Some(l)) => l.dir.clone(),
        (None, None) => return Ok(ExitCode::from(2)),
    };
    if !folder.is_dir() {
        eprintln!("zonewarden: {}: not a directory", folder.display());
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
        // Stopping: a live capture closes its last file first, and that file is read too.
        let stopping = stop.load(Ordering::SeqCst);
        let mut live_stats = None;
        if stopping {
            if let Some(l) = live.as_ref() {
                live_stats = Some(l.finish());
            }
        }
        let present: Vec<PathBuf> = std::fs::read_dir(&folder)
            .with_context(|| format!("reading {}", folder.display()))?
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
            if stop.load(Ordering::SeqCst) && !stopping {
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
            // A live file is complete once the capture moved on to a newer one (it may sit
            // unchanged while the wire is quiet); a followed one also when it stops growing.
            let complete = args.once
                || stopping
                || Some(&file) != newest.as_ref()
                || (live.is_none() && last_look.get(&file) == Some(&now));
            last_look.insert(file.clone(), now);
            if !complete {
                continue;
            }
            done.insert(file.clone());
            last_look.remove(&file);
            files_read += 1;
            let (observed, map) = crate::zones::observe_with_map(std::slice::from_ref(&file));
            if live.is_some() {
                // Our own scratch file: read, so it goes (the disk stays bounded).
                let _ = std::fs::remove_file(&file);
            }
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
            if let Some(period) = learning.as_mut() {
                if !period.is_over() {
                    baseline = Some(crate::detect::learn_into(baseline.take(), &observed, &map));
                    period.add(&observed.report.counters);
                    eprintln!(
                        "zonewarden: {}: learned{}",
                        file.display(),
                        if period.is_over() {
                            "; the learning period is over"
                        } else {
                            ""
                        }
                    );
                    continue;
                }
            }
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
                if let Some(queue) = &hook_queue {
                    if queue.try_send(alert.clone()).is_err() {
                        eprintln!(
                            "zonewarden: webhook queue full: alert {} not delivered",
                            alert.id
                        );
                    }
                }
            }
            out.flush()?;
        }
        if let Some(stats) = live_stats {
            eprintln!("zonewarden: live capture: {stats}");
        }
        if args.once || stopping {
            break;
        }
        std::thread::sleep(poll);
    }
    if let Some(l) = &live {
        let _ = std::fs::remove_dir_all(&l.dir);
    }
    // Deliver what is queued before exiting.
    drop(hook_queue);
    if let Some(worker) = hook_worker {
        let _ = worker.join();
    }
    eprintln!("zonewarden: monitor stopped: {files_read} file(s) read, {alerts_sent} alert(s)");
    Ok(status)
}

/// A live capture writing rotating files.
struct Live {
    dir: PathBuf,
    #[cfg_attr(not(feature = "live"), allow(dead_code))]
    handle: std::sync::Mutex<Option<std::thread::JoinHandle<Result<String, String>>>>,
}

impl Live {
    /// Waits for the capture thread (the stop flag is set) and returns its statistics.
    fn finish(&self) -> String {
        let handle = self.handle.lock().ok().and_then(|mut h| h.take());
        match handle.map(std::thread::JoinHandle::join) {
            Some(Ok(Ok(stats))) => stats,
            Some(Ok(Err(e))) => format!("stopped with an error: {e}"),
            Some(Err(_)) => "the capture thread failed".into(),
            None => "already stopped".into(),
        }
    }
}

#[cfg(not(feature = "live"))]
fn start_live(
    _interface: &str,
    _args: &MonitorArgs,
    _stop: &Arc<AtomicBool>,
) -> Result<Live, ExitCode> {
    eprintln!(
        "zonewarden: this build has no live capture: build with `cargo build --release --features live` (needs libpcap-dev), or capture with another tool and use --follow DIR"
    );
    Err(ExitCode::from(2))
}

#[cfg(feature = "live")]
fn start_live(
    interface: &str,
    args: &MonitorArgs,
    stop: &Arc<AtomicBool>,
) -> Result<Live, ExitCode> {
    let dir = std::env::temp_dir().join(format!("zonewarden-live-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("zonewarden: {}: {e}", dir.display());
        return Err(ExitCode::from(2));
    }
    let rotate = Duration::try_from_secs_f64(args.rotate.clamp(0.1, 3600.0))
        .unwrap_or(Duration::from_secs(10));
    // Open before returning, so that a wrong interface or filter is a usage error.
    let capture = crate::live::open(interface, args.filter.as_deref()).map_err(|e| {
        eprintln!("zonewarden: {interface}: {e}");
        ExitCode::from(2)
    })?;
    let stop = Arc::clone(stop);
    let folder = dir.clone();
    let handle = std::thread::spawn(move || crate::live::run(capture, &folder, rotate, &stop));
    Ok(Live {
        dir,
        handle: std::sync::Mutex::new(Some(handle)),
    })
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
