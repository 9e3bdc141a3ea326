//! The `zonewarden` command: a thin layer of argument parsing and output over the library
//! crates. Exit codes: 0 all inputs read; 1 some input unreadable or damaged (the rest was still
//! processed and reported) or the output could not be written; 2 usage error.

mod assess;
mod bench;
mod detect;
mod extract;
#[cfg(feature = "live")]
mod live;
mod monitor;
mod zones;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zonewarden_capture::expand_inputs;
use zonewarden_dissect::{CommunicationMap, Registry};
use zonewarden_engine::{Observer, ScanOptions, ScanReport};
use zonewarden_flow::FlowConfig;
use zonewarden_generator::{parse_size, write_pcap, PlantSpec};
use zonewarden_inventory::{HostObservation, Inventory, Observations, ServiceTally};
use zonewarden_report::{write_inventory_csv, write_json, write_text, JsonlWriter};

#[derive(Parser, Debug)]
#[command(
    name = "zonewarden",
    version,
    about = "Passive OT network analysis for IEC 62443: see every device, segment, assess, detect"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read captures and report packets, flows, hosts and decode anomalies.
    Scan(ScanArgs),
    /// Write a realistic, deterministic plant capture (for demos and benchmarks).
    Generate(GenerateArgs),
    /// Generate a sample plant capture and scan it: the quickest look at zonewarden.
    Demo {
        /// Where to write the sample capture (default: a folder in the system temp directory).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// What changed between two scans (`scan --format json` documents): new and vanished
    /// assets, changed firmware/model/role, new conversations and operation classes.
    Diff(DiffArgs),
    /// Measure throughput and peak memory on a capture, against tshark when it is installed.
    Bench(bench::BenchArgs),
    /// Create a plant folder: a commented example zones.toml, ready for git.
    Init {
        /// The folder (default: the current one).
        dir: Option<PathBuf>,
    },
    /// IEC 62443 zones and conduits: suggest a model, check traffic against it, generate
    /// firewall rules, simulate them, draw the model.
    #[command(subcommand)]
    Zones(zones::ZonesCommand),
    /// IEC 62443-3-3 assessment of the zones and conduits: SL-A from observed and attested
    /// evidence, gaps, ranked remediation (`assess template`, `assess diff`).
    Assess(assess::AssessArgs),
    /// Threat detection over captures: ICS operations that matter (stop, download,
    /// firmware), reconnaissance, policy violations, changes against a baseline, credentials
    /// in clear.
    Detect(detect::DetectArgs),
    /// Detections as capture files appear in a directory (rotating files from a tap or a
    /// capture tool); alerts to stdout and to syslog/CEF collectors over UDP or TCP.
    Monitor(monitor::MonitorArgs),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Jsonl,
    /// The asset inventory, one row per device.
    Csv,
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
    /// Capture files (pcap, pcapng; gzip or zstd compressed), directories, or - for stdin.
    #[arg(required = true, value_name = "CAPTURE")]
    captures: Vec<PathBuf>,
    /// Output format: text for people, json (one document), jsonl (streamed records) or csv
    /// (the asset inventory for a spreadsheet).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Rows in each table of the text report.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Worker threads (0: one per core). Flows are sharded by a symmetric address hash.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// TCP idle timeout in seconds of capture time.
    #[arg(long, default_value_t = FlowConfig::default().tcp_idle_secs)]
    tcp_timeout: u64,
    /// UDP idle timeout in seconds of capture time.
    #[arg(long, default_value_t = FlowConfig::default().udp_idle_secs)]
    udp_timeout: u64,
    /// Never draw a progress bar.
    #[arg(long)]
    no_progress: bool,
}

#[derive(clap::Args, Debug)]
struct DiffArgs {
    /// The earlier scan (JSON written by `zonewarden scan --format json`).
    old: PathBuf,
    /// The later scan.
    new: PathBuf,
    /// text (one sentence per change) or json.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Exit with code 3 when something changed (for CI gates); 0 otherwise.
    #[arg(long)]
    exit_code: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
struct GenerateArgs {
    /// Output file, or - for stdout.
    #[arg(long, short, default_value = "plant.pcap")]
    out: PathBuf,
    #[arg(long, default_value_t = PlantSpec::default().plcs)]
    plcs: u32,
    #[arg(long, default_value_t = PlantSpec::default().hmis)]
    hmis: u32,
    /// Engineering workstations.
    #[arg(long, default_value_t = PlantSpec::default().engineering_stations)]
    ews: u32,
    #[arg(long, default_value_t = PlantSpec::default().it_hosts)]
    it_hosts: u32,
    /// Seconds of capture time (default 60 unless --size is given).
    #[arg(long)]
    duration: Option<f64>,
    /// Stop at about this file size: 500k, 64M, 1G.
    #[arg(long, value_parser = parse_size)]
    size: Option<u64>,
    #[arg(long, default_value_t = PlantSpec::default().seed)]
    seed: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZONEWARDEN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let result = match cli.command {
        Command::Scan(args) => scan_command(&args),
        Command::Generate(args) => generate_command(&args).map(|()| ExitCode::SUCCESS),
        Command::Demo { out } => demo_command(out),
        Command::Diff(args) => diff_command(&args),
        Command::Init { dir } => zones::init(&dir.unwrap_or_else(|| PathBuf::from("."))),
        Command::Zones(command) => zones::run(&command),
        Command::Assess(args) => assess::run(&args),
        Command::Detect(args) => detect::run(&args),
        Command::Monitor(args) => monitor::run(&args),
        Command::Bench(args) => bench::run(&args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("zonewarden: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn scan_options(args: &ScanArgs) -> ScanOptions {
    let threads = if args.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        args.threads
    };
    ScanOptions {
        flow: FlowConfig {
            tcp_idle_secs: args.tcp_timeout,
            udp_idle_secs: args.udp_timeout,
            ..FlowConfig::default()
        },
        threads,
        keep_flows: args.format != OutputFormat::Jsonl,
        ..ScanOptions::default()
    }
}

fn scan_command(args: &ScanArgs) -> Result<ExitCode> {
    let inputs = expand_inputs(&args.captures);
    let options = scan_options(args);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let show_progress = !args.no_progress && std::io::stderr().is_terminal();
    let total: u64 = inputs
        .inputs
        .iter()
        .filter_map(|i| std::fs::metadata(&i.path).ok().map(|m| m.len()))
        .sum();
    let report = if args.format == OutputFormat::Jsonl {
        let mut writer = JsonlWriter::new(&mut out);
        let (report, map, inventory) = {
            let mut observer = Progress::new(show_progress, total, Some(&mut writer));
            let result = dissect(&inputs, &options, &mut observer);
            observer.done();
            result
        };
        writer
            .finish(&report, &map, &inventory)
            .context("writing JSON Lines")?;
        report
    } else {
        let mut observer = Progress::new(show_progress, total, None);
        let (report, map, inventory) = dissect(&inputs, &options, &mut observer);
        observer.done();
        match args.format {
            OutputFormat::Json => {
                write_json(&report, &map, &inventory, &mut out).context("writing JSON")?
            }
            OutputFormat::Csv => {
                write_inventory_csv(&inventory, &mut out).context("writing CSV")?
            }
            _ => write_text(&report, &map, &inventory, &mut out, args.top)
                .context("writing the report")?,
        }
        report
    };
    out.flush().context("writing output")?;
    Ok(exit_code(&report))
}

/// The full pipeline: flows with every dissector attached, the merged communication map, and
/// the asset inventory built from both.
pub(crate) fn dissect(
    inputs: &zonewarden_capture::InputList,
    options: &ScanOptions,
    observer: &mut dyn Observer,
) -> (ScanReport, CommunicationMap, Inventory) {
    let mut tally = ServiceObserver {
        services: ServiceTally::default(),
        inner: observer,
    };
    let (report, map) = dissect_map(inputs, options, &mut tally);
    let started = std::time::Instant::now();
    let inventory = inventory_of(&report, &map, &tally.services);
    tracing::debug!(
        assets = inventory.assets.len(),
        seconds = started.elapsed().as_secs_f64(),
        "inventory built"
    );
    (report, map, inventory)
}

/// Flows with every dissector attached and the merged communication map (no inventory).
pub(crate) fn dissect_map(
    inputs: &zonewarden_capture::InputList,
    options: &ScanOptions,
    observer: &mut dyn Observer,
) -> (ScanReport, CommunicationMap) {
    let (report, registries) =
        zonewarden_engine::scan_with(inputs, options, observer, |_| Registry::default());
    let mut map = CommunicationMap::default();
    for registry in registries {
        map.merge(registry.into_map());
    }
    (report, map)
}

/// Builds the inventory from a finished scan.
pub(crate) fn inventory_of(
    report: &ScanReport,
    map: &CommunicationMap,
    services: &ServiceTally,
) -> Inventory {
    // Layer-2 protocols each MAC sent to a group address.
    let mut l2_sent: std::collections::BTreeMap<[u8; 6], std::collections::BTreeSet<&str>> =
        std::collections::BTreeMap::new();
    for conv in &report.l2_conversations {
        let (a, b) = (conv.key.mac_a, conv.key.mac_b);
        for (sender, group) in [(a, b), (b, a)] {
            if zonewarden_engine::is_unicast_mac(sender)
                && !zonewarden_engine::is_unicast_mac(group)
            {
                l2_sent
                    .entry(sender)
                    .or_default()
                    .insert(zonewarden_report::l2_name(conv.key.l2_type));
            }
        }
    }
    let hosts: Vec<HostObservation> = report
        .hosts
        .iter()
        .map(|h| HostObservation {
            ip: h.ip,
            macs: h.macs.iter().copied().collect(),
            arp_macs: h.arp_macs.iter().copied().collect(),
            l2_protocols: h
                .macs
                .iter()
                .filter_map(|m| l2_sent.get(m))
                .flatten()
                .map(|p| (*p).to_string())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
            packets: h.packets_sent + h.packets_received,
            packets_sent: h.packets_sent,
            bytes: h.bytes_sent + h.bytes_received,
            first_ts: h.first_ts,
            last_ts: h.last_ts,
        })
        .collect();
    let inputs: Vec<String> = report.inputs.iter().map(|i| i.path.clone()).collect();
    Inventory::build(&Observations {
        hosts: &hosts,
        services,
        map,
        inputs: &inputs,
    })
}

/// Counts the services each server answered on (for roles of hosts whose protocol no
/// dissector knows), passing every event on.
struct ServiceObserver<'a> {
    services: ServiceTally,
    inner: &'a mut dyn Observer,
}

impl Observer for ServiceObserver<'_> {
    fn flow(&mut self, flow: &zonewarden_flow::Flow) {
        // Only a server that answered offers the service (a scan probe to a closed port
        // does not).
        if flow.packets[1] > 0 {
            self.services
                .add(flow.client.0, flow.server.0, flow.proto(), flow.server.1);
        }
        self.inner.flow(flow);
    }
    fn progress(&mut self, position: u64) {
        self.inner.progress(position);
    }
    fn input(&mut self, index: usize, path: &str) {
        self.inner.input(index, path);
    }
}

fn exit_code(report: &ScanReport) -> ExitCode {
    if report.had_unreadable_input() {
        for input in report.inputs.iter().filter(|i| i.errors > 0 || !i.opened) {
            eprintln!(
                "zonewarden: {}: {} ({} capture errors; see anomalies)",
                input.path,
                if input.opened {
                    "damaged, read as far as possible"
                } else {
                    "could not be read"
                },
                input.errors
            );
        }
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Draws a progress bar on stderr (only on a terminal) and passes flows on.
struct Progress<'a> {
    bar: Option<indicatif::ProgressBar>,
    done_before: u64,
    last_position: u64,
    inner: Option<&'a mut dyn Observer>,
}

impl<'a> Progress<'a> {
    fn new(show: bool, total: u64, inner: Option<&'a mut dyn Observer>) -> Self {
        let bar = (show && total > 0).then(|| {
            let bar = indicatif::ProgressBar::new(total);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} {bytes}/{total_bytes} {wide_bar} {bytes_per_sec} eta {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            done_before: 0,
            last_position: 0,
            inner,
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress<'_> {
    fn flow(&mut self, flow: &zonewarden_flow::Flow) {
        if let Some(inner) = self.inner.as_mut() {
            inner.flow(flow);
        }
    }
    fn progress(&mut self, position: u64) {
        self.last_position = position;
        if let Some(bar) = &self.bar {
            bar.set_position(self.done_before + position);
        }
    }
    fn input(&mut self, _index: usize, _path: &str) {
        self.done_before += self.last_position;
        self.last_position = 0;
    }
}

fn diff_command(args: &DiffArgs) -> Result<ExitCode> {
    let read = |path: &Path| -> Result<serde_json::Value> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
    };
    let (old, new) = (read(&args.old)?, read(&args.new)?);
    let changes = zonewarden_report::diff(&old, &new)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        DiffFormat::Text => zonewarden_report::write_diff_text(&changes, &mut out)?,
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &changes)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(if args.exit_code && !changes.is_empty() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn generate_command(args: &GenerateArgs) -> Result<()> {
    let spec = PlantSpec {
        seed: args.seed,
        plcs: args.plcs,
        hmis: args.hmis,
        engineering_stations: args.ews,
        it_hosts: args.it_hosts,
        duration_secs: args.duration.or(if args.size.is_some() {
            None
        } else {
            Some(60.0)
        }),
        target_bytes: args.size,
        ..PlantSpec::default()
    };
    let summary = if args.out.as_os_str() == "-" {
        write_pcap(&spec, std::io::stdout().lock()).context("writing to stdout")?
    } else {
        let file = std::fs::File::create(&args.out)
            .with_context(|| format!("creating {}", args.out.display()))?;
        write_pcap(&spec, file).with_context(|| format!("writing {}", args.out.display()))?
    };
    eprintln!(
        "wrote {} packets, {} bytes, {} hosts, {:.1} s of traffic to {}",
        summary.packets,
        summary.bytes_written,
        summary.hosts,
        summary.last_ts_us.saturating_sub(summary.first_ts_us) as f64 / 1e6,
        args.out.display()
    );
    Ok(())
}

/// Where the demo writes its sample plant.
fn demo_path(out: Option<PathBuf>) -> PathBuf {
    out.unwrap_or_else(|| {
        std::env::temp_dir()
            .join("zonewarden-demo")
            .join("plant.pcap")
    })
}

fn demo_command(out: Option<PathBuf>) -> Result<ExitCode> {
    let path = demo_path(out);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let spec = PlantSpec::default();
    let file =
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    let summary = write_pcap(&spec, file).with_context(|| format!("writing {}", path.display()))?;
    println!(
        "Generated a sample plant: {} PLCs, {} HMIs, {} engineering station(s), {} IT hosts — {} packets in {}",
        spec.plcs,
        spec.hmis,
        spec.engineering_stations,
        spec.it_hosts,
        summary.packets,
        path.display()
    );
    println!(
        "Scanning it (the same as `zonewarden scan {}`):",
        path.display()
    );
    println!();
    let inputs = expand_inputs(std::slice::from_ref(&path));
    let (report, map, inventory) = dissect(
        &inputs,
        &ScanOptions::default(),
        &mut zonewarden_engine::Silent,
    );
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    write_text(&report, &map, &inventory, &mut out, 10).context("writing the report")?;
    // Zones and conduits: a model drafted from the traffic, then a stricter one checked.
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let conversations = zonewarden_policy::conversations(&report.flows, &map);
    let observed = zones::Observed {
        report,
        inventory,
        conversations,
    };
    let suggested_path = dir.join("zones-suggested.toml");
    let suggested = zonewarden_policy::suggest::suggest(
        &observed.inventory,
        &observed.conversations,
        &["plant.pcap".to_string()],
    );
    std::fs::write(&suggested_path, &suggested)
        .with_context(|| format!("writing {}", suggested_path.display()))?;
    let model_path = dir.join(zones::DEFAULT_MODEL);
    std::fs::write(&model_path, zonewarden_policy::EXAMPLE_ZONES)
        .with_context(|| format!("writing {}", model_path.display()))?;
    let suggested_model =
        zonewarden_policy::parse(&suggested_path.display().to_string(), &suggested)
            .map_err(|e| anyhow::anyhow!("the suggested model does not parse: {e}"))?;
    let suggested_check = zones::check(&suggested_model, &observed);
    writeln!(out)?;
    writeln!(
        out,
        "Zones: a model drafted from this traffic (`zonewarden zones suggest`) is in {}: {} zones, {} conduits; checked against the same traffic: {}.",
        suggested_path.display(),
        suggested_model.zones.len(),
        suggested_model.conduits.len(),
        if suggested_check.clean { "clean".to_string() } else { format!("{} violation(s)", suggested_check.violations.len()) }
    )?;
    let model = zonewarden_policy::parse(
        &model_path.display().to_string(),
        zonewarden_policy::EXAMPLE_ZONES,
    )
    .map_err(|e| anyhow::anyhow!("the example model does not parse: {e}"))?;
    writeln!(
        out,
        "A stricter model, {} (operator stations may only read; the office may not reach the historian), checked with `zonewarden zones check --model {} {}`:",
        model_path.display(),
        model_path.display(),
        path.display()
    )?;
    writeln!(out)?;
    let strict = zones::check(&model, &observed);
    zones::write_check_text(&model, &strict, &mut out)?;
    // The IEC 62443-3-3 assessment of the plant against that model (no attestations yet).
    writeln!(out)?;
    writeln!(
        out,
        "Assessment (the same as `zonewarden assess --model {} {}`; answer `zonewarden assess template` to settle what traffic cannot show):",
        model_path.display(),
        path.display()
    )?;
    writeln!(out)?;
    let assessment = assess::assessment(&model, &model_path, None, None, &observed);
    zonewarden_assess::render::write_text(&assessment, &mut out, 5)?;
    out.flush()?;
    let report = observed.report;
    Ok(exit_code(&report))
}

/// Used by `bench` to find or make its capture.
pub(crate) fn generated_capture(path: &Path, size: u64) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let spec = PlantSpec {
        duration_secs: None,
        target_bytes: Some(size),
        ..PlantSpec::default()
    };
    let file = std::fs::File::create(path)?;
    write_pcap(&spec, file)?;
    Ok(())
}
