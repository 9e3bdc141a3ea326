//! `zonewarden init` and `zonewarden zones …`: the plant folder and the zones-and-conduits
//! commands. Exit codes: 0 clean, 1 some capture unreadable, 2 usage or model errors,
//! 3 violations found (`check`) or flows blocked (`simulate`), for CI gates.

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zonewarden_capture::expand_inputs;
use zonewarden_dissect::CommunicationMap;
use zonewarden_engine::{ScanOptions, ScanReport};
use zonewarden_inventory::Inventory;
use zonewarden_policy::{acl, check::CheckReport, Conversation, Model, Resolution};

/// The model file commands use when `--model` is not given: the plant folder's.
pub const DEFAULT_MODEL: &str = "zones.toml";

#[derive(Subcommand, Debug)]
pub enum ZonesCommand {
    /// Draft a zones.toml from observed traffic (printed on stdout).
    Suggest {
        #[arg(required = true, value_name = "CAPTURE")]
        captures: Vec<PathBuf>,
    },
    /// Check observed traffic against the model; exit code 3 when violations are found.
    Check {
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        #[arg(required = true, value_name = "CAPTURE")]
        captures: Vec<PathBuf>,
    },
    /// Default-deny firewall rules implementing the conduits (printed on stdout).
    Acl {
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        #[arg(long, value_enum)]
        target: AclTarget,
        /// Captures whose inventory names the addresses of role:, tag:, host:, mac: and
        /// zone members that are not CIDRs (optional).
        #[arg(value_name = "CAPTURE")]
        captures: Vec<PathBuf>,
    },
    /// Evaluate the generated rule set against observed flows: what enforcement would block.
    /// Exit code 3 when something would be blocked.
    Simulate {
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        /// The rule set evaluated (the generated nftables rules, parsed back).
        #[arg(long, value_enum, default_value_t = SimulateTarget::Nftables)]
        target: SimulateTarget,
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
        #[arg(required = true, value_name = "CAPTURE")]
        captures: Vec<PathBuf>,
    },
    /// Draw the model: zones with SL-T, conduits with their protocols, violations in red
    /// when captures are given.
    Diagram {
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        #[arg(long, value_enum, default_value_t = DiagramFormat::Svg)]
        format: DiagramFormat,
        #[arg(value_name = "CAPTURE")]
        captures: Vec<PathBuf>,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum AclTarget {
    Nftables,
    Iptables,
    CiscoIos,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SimulateTarget {
    Nftables,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormat {
    /// Graphviz DOT (render with `dot -Tpng`).
    Dot,
    /// A self-contained SVG (no Graphviz needed).
    Svg,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    /// SARIF 2.1.0, locations pointing into the model file.
    Sarif,
}

/// The model, or its errors printed to stderr (exit code 2).
pub fn load_model(path: &Path) -> Result<Model, ExitCode> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("zonewarden: {}: {e}", path.display());
            if path == Path::new(DEFAULT_MODEL) {
                eprintln!("zonewarden: run `zonewarden init` to create a plant folder, or pass --model FILE");
            }
            return Err(ExitCode::from(2));
        }
    };
    zonewarden_policy::parse(&path.display().to_string(), &text).map_err(|errors| {
        for e in &errors.0 {
            eprintln!("{e}");
        }
        eprintln!(
            "zonewarden: {} problem(s) in {}",
            errors.0.len(),
            path.display()
        );
        ExitCode::from(2)
    })
}

/// What every zones command needs from the captures.
pub struct Observed {
    pub report: ScanReport,
    pub inventory: Inventory,
    pub conversations: Vec<Conversation>,
}

impl Observed {
    /// The inputs' file names, as baselines and suggestions record their sources.
    pub fn source_names(&self) -> Vec<String> {
        self.report
            .inputs
            .iter()
            .map(|i| file_name(&i.path))
            .collect()
    }
}

pub fn observe(captures: &[PathBuf]) -> Observed {
    observe_with_map(captures).0
}

/// The same, keeping the communication map (for detections).
pub fn observe_with_map(captures: &[PathBuf]) -> (Observed, CommunicationMap) {
    observe_window(captures, zonewarden_engine::PacketWindow::All)
}

/// The same over part of the captures (a learning period, or what follows it).
pub fn observe_window(
    captures: &[PathBuf],
    window: zonewarden_engine::PacketWindow,
) -> (Observed, CommunicationMap) {
    let inputs = expand_inputs(captures);
    let options = ScanOptions {
        window,
        keep_flows: true,
        ..ScanOptions::default()
    };
    let (report, map, inventory): (ScanReport, CommunicationMap, Inventory) =
        crate::dissect(&inputs, &options, &mut zonewarden_engine::Silent);
    let conversations = zonewarden_policy::conversations(&report.flows, &map);
    (
        Observed {
            report,
            inventory,
            conversations,
        },
        map,
    )
}

pub fn run(command: &ZonesCommand) -> Result<ExitCode> {
    match command {
        ZonesCommand::Suggest { captures } => {
            let observed = observe(captures);
            let sources = observed.source_names();
            let text = zonewarden_policy::suggest::suggest(
                &observed.inventory,
                &observed.conversations,
                &sources,
            );
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(crate::exit_code(&observed.report))
        }
        ZonesCommand::Check {
            model,
            format,
            captures,
        } => {
            let model = match load_model(model) {
                Ok(m) => m,
                Err(code) => return Ok(code),
            };
            let observed = observe(captures);
            let report = check(&model, &observed);
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            match format {
                CheckFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &report)?;
                    writeln!(out)?;
                }
                CheckFormat::Sarif => {
                    let sarif = zonewarden_policy::sarif::to_sarif(&report, &model.path);
                    serde_json::to_writer_pretty(&mut out, &sarif)?;
                    writeln!(out)?;
                }
                CheckFormat::Text => write_check_text(&model, &report, &mut out)?,
            }
            out.flush().context("writing output")?;
            Ok(if report.clean {
                crate::exit_code(&observed.report)
            } else {
                ExitCode::from(3)
            })
        }
        ZonesCommand::Acl {
            model,
            target,
            captures,
        } => acl_command(model, *target, captures),
        ZonesCommand::Simulate {
            model,
            target: SimulateTarget::Nftables,
            format,
            captures,
        } => simulate_command(model, *format, captures),
        ZonesCommand::Diagram {
            model,
            format,
            captures,
        } => diagram_command(model, *format, captures),
    }
}

fn acl_command(model: &Path, target: AclTarget, captures: &[PathBuf]) -> Result<ExitCode> {
    let model = match load_model(model) {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let observed = (!captures.is_empty()).then(|| observe(captures));
    let resolution = observed
        .as_ref()
        .map(|o| Resolution::new(&model, &o.inventory));
    let set = acl::build(&model, resolution.as_ref());
    let target = match target {
        AclTarget::Nftables => acl::Target::Nftables,
        AclTarget::Iptables => acl::Target::Iptables,
        AclTarget::CiscoIos => acl::Target::CiscoIos,
    };
    let text = acl::render(&set, target, &model);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(observed.map_or(ExitCode::SUCCESS, |o| crate::exit_code(&o.report)))
}

fn simulate_command(model: &Path, format: TextOrJson, captures: &[PathBuf]) -> Result<ExitCode> {
    let model = match load_model(model) {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let observed = observe(captures);
    let resolution = Resolution::new(&model, &observed.inventory);
    let set = acl::build(&model, Some(&resolution));
    let nft = acl::render(&set, acl::Target::Nftables, &model);
    let report = zonewarden_policy::simulate::simulate(
        &model,
        &resolution,
        &nft,
        &observed.conversations,
    )
    .map_err(|e| anyhow::anyhow!("the generated nftables rules could not be read back: {e}"))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        TextOrJson::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        TextOrJson::Text => zonewarden_policy::simulate::write_text(&report, &mut out)?,
    }
    out.flush()?;
    Ok(if report.clean() {
        crate::exit_code(&observed.report)
    } else {
        ExitCode::from(3)
    })
}

fn diagram_command(model: &Path, format: DiagramFormat, captures: &[PathBuf]) -> Result<ExitCode> {
    let model = match load_model(model) {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let observed = (!captures.is_empty()).then(|| observe(captures));
    let report = observed.as_ref().map(|o| check(&model, o));
    let text = match format {
        DiagramFormat::Dot => zonewarden_policy::diagram::dot(&model, report.as_ref()),
        DiagramFormat::Svg => zonewarden_policy::diagram::svg(&model, report.as_ref()),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(observed.map_or(ExitCode::SUCCESS, |o| crate::exit_code(&o.report)))
}

pub fn check(model: &Model, observed: &Observed) -> CheckReport {
    let resolution = Resolution::new(model, &observed.inventory);
    zonewarden_policy::check(model, &resolution, &observed.conversations)
}

/// The last part of a path, for messages and baselines.
pub(crate) fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

pub fn write_check_text(
    model: &Model,
    report: &CheckReport,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "Model {}: {} zones, {} conduits. {} devices ({} in no zone), {} conversations checked ({} broadcast/multicast stay on their segment).",
        model.path,
        model.zones.len(),
        model.conduits.len(),
        report.assets,
        report.unassigned,
        report.conversations - report.local_only,
        report.local_only
    )?;
    let zones: Vec<String> = report
        .zones
        .iter()
        .map(|z| format!("{} {}", z.id, z.assets))
        .collect();
    writeln!(out, "Devices per zone: {}", zones.join(", "))?;
    writeln!(out)?;
    if report.clean {
        writeln!(out, "Clean: the traffic keeps to the model.")?;
        return Ok(());
    }
    for v in &report.violations {
        let when = match (v.first_ts, v.last_ts) {
            (Some(a), Some(b)) if a != b => format!(" [{a} … {b}]"),
            (Some(a), _) => format!(" [{a}]"),
            _ => String::new(),
        };
        let amount = if v.operation.is_some() {
            format!("{} message(s)", v.count)
        } else if v.asset.is_some() {
            format!("{} flow(s)", v.flows)
        } else {
            format!("{} flow(s), {} packet(s)", v.flows, v.packets)
        };
        writeln!(
            out,
            "{}:{}: {} {} {}: {} — {}{}",
            model.path,
            v.line,
            match v.severity {
                zonewarden_policy::Severity::Error => "error",
                zonewarden_policy::Severity::Warning => "warning",
            },
            v.rule_id,
            v.kind.name(),
            v.message,
            amount,
            when
        )?;
    }
    writeln!(out)?;
    let kinds: Vec<String> = report
        .by_kind
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    writeln!(
        out,
        "{} violation(s): {}",
        report.violations.len(),
        kinds.join(", ")
    )?;
    Ok(())
}

/// `zonewarden init [DIR]`: a plant folder with the commented example model.
pub fn init(dir: &Path) -> Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let model = dir.join(DEFAULT_MODEL);
    if model.exists() {
        eprintln!(
            "zonewarden: {} exists; leaving it as it is",
            model.display()
        );
        return Ok(ExitCode::from(2));
    }
    std::fs::write(&model, zonewarden_policy::EXAMPLE_ZONES)
        .with_context(|| format!("writing {}", model.display()))?;
    let attestations = dir.join(crate::assess::DEFAULT_ATTESTATIONS);
    if !attestations.exists() {
        let example = zonewarden_policy::parse(
            &model.display().to_string(),
            zonewarden_policy::EXAMPLE_ZONES,
        )
        .map_err(|e| anyhow::anyhow!("the example model does not parse: {e}"))?;
        std::fs::write(
            &attestations,
            zonewarden_assess::attest::template(&example, None),
        )
        .with_context(|| format!("writing {}", attestations.display()))?;
    }
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# Captures are evidence, not source: keep them out of git.\n*.pcap\n*.pcapng\n*.pcap.gz\n*.pcap.zst\n",
        )
        .with_context(|| format!("writing {}", ignore.display()))?;
    }
    println!("Created the plant folder {}:", dir.display());
    println!(
        "  {}  zones and conduits (an example: edit it, or replace it with `zonewarden zones suggest CAPTURE > zones.toml`)",
        model.display()
    );
    println!(
        "  {}  the questions the zones' SL-T ask that traffic cannot answer (`zonewarden assess template` refreshes it)",
        attestations.display()
    );
    println!("  {}", ignore.display());
    println!("Then, in that folder: `zonewarden zones check CAPTURE...` (exit code 3 when traffic breaks the model), `zonewarden assess CAPTURE...`.");
    Ok(ExitCode::SUCCESS)
}
