//! `zonewarden bench`: throughput and peak memory of the pipeline on one capture, and the same
//! measurements for tshark on the same file in the same run, so the ratio is fair.

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use zonewarden_capture::{expand_inputs, InputList};
use zonewarden_engine::{ScanOptions, Silent};
use zonewarden_generator::parse_size;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Capture to measure (default: a generated plant capture of --size).
    capture: Option<PathBuf>,
    /// Size of the generated capture when none is given.
    #[arg(long, default_value = "256M", value_parser = parse_size)]
    size: u64,
    /// Worker counts to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
    /// Runs per configuration; the fastest is reported (the others are noise from the machine).
    #[arg(long, default_value_t = 3)]
    repeat: u32,
    /// Also time tshark on the same file: `-q -z conv,tcp` against the flow stage and
    /// `-q -z io,phs` (every packet fully dissected) against the full pipeline.
    #[arg(long)]
    tshark: bool,
    /// Stages to measure, comma-separated: flows (read, decode, flows, reassembly), map (plus
    /// dissectors and the communication map), full (plus the inventory). Profiling one stage
    /// is easier when the others do not run.
    #[arg(long, value_delimiter = ',', default_value = "flows,map,full")]
    stages: Vec<Stage>,
}

/// Which part of the pipeline a measurement ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Stage {
    /// Read, decode, flows and TCP reassembly.
    Flows,
    /// All of that plus every dissector and the communication map.
    Map,
    /// All of that plus the asset inventory: what `scan` runs.
    Full,
}

struct Measurement {
    label: String,
    stage: Stage,
    threads: usize,
    seconds: f64,
    packets: u64,
    peak_rss_kib: Option<u64>,
}

/// Peak resident set size of this process, from /proc (Linux).
fn peak_rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Resets the peak-RSS mark so that each measurement reports its own peak (Linux ≥ 4.0).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

pub fn run(args: &BenchArgs) -> Result<()> {
    let capture = match &args.capture {
        Some(path) => path.clone(),
        None => {
            let path = std::env::temp_dir()
                .join("zonewarden-bench")
                .join(format!("plant-{}.pcap", args.size));
            if !path.exists() {
                eprintln!(
                    "generating {} of plant traffic in {}",
                    zonewarden_report::human_bytes(args.size),
                    path.display()
                );
                crate::generated_capture(&path, args.size)?;
            }
            path
        }
    };
    let file_size = std::fs::metadata(&capture)
        .with_context(|| format!("reading {}", capture.display()))?
        .len();
    let inputs = expand_inputs(std::slice::from_ref(&capture));
    if inputs.inputs.is_empty() {
        bail!("{} is not a readable capture", capture.display());
    }
    // Warm the page cache so that the first configuration is not charged for disk reads.
    let _ = std::fs::read(&capture).map(|b| b.len());

    let mut results = Vec::new();
    let mut assets = 0usize;
    for &stage in &args.stages {
        // Rounds alternate the worker counts (1, 2, 1, 2, ...) instead of running every
        // repeat of one count before the next: this machine's speed drifts over tens of
        // seconds, and a slow stretch that fell on one count's block distorted the ratio.
        let mut best: Vec<Option<Measurement>> = args.threads.iter().map(|_| None).collect();
        for _ in 0..args.repeat.max(1) {
            for (&threads, best) in args.threads.iter().zip(best.iter_mut()) {
                let (m, inventory_assets) = measure(&inputs, stage, threads);
                assets = inventory_assets.unwrap_or(assets);
                if best.as_ref().is_none_or(|b| m.seconds < b.seconds) {
                    *best = Some(m);
                }
            }
        }
        results.extend(best.into_iter().flatten());
    }
    if args.tshark {
        let runs: [(Stage, &[&str]); 3] = [
            (Stage::Flows, &["-q", "-z", "conv,tcp"]),
            (Stage::Full, &["-q", "-z", "io,phs"]),
            // Every packet's complete protocol tree, printed (to nowhere): tshark's full
            // dissection, as a person reading the capture gets it.
            (Stage::Full, &["-V"]),
        ];
        for (stage, tshark_args) in runs {
            match time_tshark(&capture, tshark_args, stage, args.repeat) {
                Ok(Some(m)) => results.push(m),
                Ok(None) => eprintln!("tshark is not installed: no comparison"),
                Err(e) => eprintln!("tshark failed: {e:#}"),
            }
        }
    }

    println!(
        "capture: {} ({}, {} packets)",
        capture.display(),
        zonewarden_report::human_bytes(file_size),
        zonewarden_report::thousands(results.first().map_or(0, |m| m.packets))
    );
    println!(
        "{:<26} {:>7} {:>10} {:>14} {:>16} {:>12}",
        "run", "workers", "seconds", "packets/s", "packets/s/core", "peak RSS"
    );
    for m in &results {
        let rate = m.packets as f64 / m.seconds;
        println!(
            "{:<26} {:>7} {:>10.3} {:>14} {:>16} {:>12}",
            m.label,
            m.threads,
            m.seconds,
            zonewarden_report::thousands(rate as u64),
            zonewarden_report::thousands((rate / m.threads as f64) as u64),
            m.peak_rss_kib
                .map(|k| zonewarden_report::human_bytes(k * 1024))
                .unwrap_or_else(|| "n/a".into())
        );
    }
    let one_worker = |stage: Stage| {
        results
            .iter()
            .find(|m| m.stage == stage && m.threads == 1 && m.label.starts_with("zonewarden"))
            .map(|m| m.seconds)
    };
    if let (Some(map), Some(full)) = (one_worker(Stage::Map), one_worker(Stage::Full)) {
        println!(
            "inventory: {assets} assets; building it adds {:+.1}% to the dissector pipeline (1 worker)",
            (full / map - 1.0) * 100.0
        );
    }
    for stage in [Stage::Flows, Stage::Full] {
        let ours: Vec<&Measurement> = results
            .iter()
            .filter(|m| m.stage == stage && m.label.starts_with("zonewarden"))
            .collect();
        let rate = |m: &Measurement| m.packets as f64 / m.seconds;
        let single = ours.iter().find(|m| m.threads == 1).map(|m| rate(m));
        let tsharks: Vec<&Measurement> = results
            .iter()
            .filter(|m| m.stage == stage && m.label.starts_with("tshark"))
            .collect();
        for m in &ours {
            if let (Some(single), true) = (single, m.threads > 1) {
                println!(
                    "{}: {} workers run {:.2}x one worker",
                    m.label,
                    m.threads,
                    rate(m) / single
                );
            }
            for t in &tsharks {
                println!(
                    "{} with {} worker(s) vs {}: {:.1}x faster",
                    m.label,
                    m.threads,
                    t.label,
                    rate(m) / rate(t)
                );
            }
        }
    }
    Ok(())
}

/// One timed run of `stage` with `threads` workers; also the inventory's size for the full
/// stage.
fn measure(inputs: &InputList, stage: Stage, threads: usize) -> (Measurement, Option<usize>) {
    let can_reset = reset_peak_rss();
    let options = ScanOptions {
        threads,
        ..ScanOptions::default()
    };
    let mut assets = None;
    let start = Instant::now();
    let packets = match stage {
        Stage::Flows => {
            zonewarden_engine::scan(inputs, &options, &mut Silent)
                .counters
                .packets
        }
        Stage::Map => {
            crate::dissect_map(inputs, &options, &mut Silent)
                .0
                .counters
                .packets
        }
        Stage::Full => {
            let (report, _, inventory) = crate::dissect(inputs, &options, &mut Silent);
            assets = Some(inventory.assets.len());
            report.counters.packets
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let m = Measurement {
        label: match stage {
            Stage::Flows => "zonewarden flows".into(),
            Stage::Map => "zonewarden dissectors+map".into(),
            Stage::Full => "zonewarden full+inventory".into(),
        },
        stage,
        threads,
        seconds,
        packets,
        peak_rss_kib: if can_reset {
            peak_rss_kib("self")
        } else {
            None
        },
    };
    (m, assets)
}

/// Runs tshark with `tshark_args` and measures wall time and peak RSS (polled from /proc).
fn time_tshark(
    capture: &std::path::Path,
    tshark_args: &[&str],
    stage: Stage,
    repeat: u32,
) -> Result<Option<Measurement>> {
    if Command::new("tshark")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        return Ok(None);
    }
    let packets = count_packets(capture)?;
    let mut best: Option<Measurement> = None;
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let mut child = Command::new("tshark")
            .arg("-n")
            .args(tshark_args)
            .arg("-r")
            .arg(capture)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting tshark")?;
        let pid = child.id().to_string();
        let mut peak = None;
        loop {
            if let Some(rss) = peak_rss_kib(&pid) {
                peak = Some(rss);
            }
            if child.try_wait()?.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let m = Measurement {
            label: format!("tshark {}", tshark_args.join(" ")),
            stage,
            threads: 1,
            seconds: start.elapsed().as_secs_f64(),
            packets,
            peak_rss_kib: peak,
        };
        if best.as_ref().is_none_or(|b| m.seconds < b.seconds) {
            best = Some(m);
        }
    }
    Ok(best)
}

fn count_packets(capture: &std::path::Path) -> Result<u64> {
    let inputs = expand_inputs(&[capture.to_path_buf()]);
    let options = ScanOptions {
        keep_flows: false,
        ..ScanOptions::default()
    };
    Ok(zonewarden_engine::scan(&inputs, &options, &mut Silent)
        .counters
        .packets)
}
