//! `zonewarden assess`: the IEC 62443-3-3 assessment of the plant folder's zones from
//! captures and attestations; `assess template` and `assess diff`.
//! Exit codes: 0 done, 1 some capture unreadable, 2 usage or file errors.

use crate::zones::{load_model, observe, DEFAULT_MODEL};
use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zonewarden_assess::{Assessment, Attestations, InputFile, InputFiles};
use zonewarden_policy::Resolution;

/// The attestation file commands use when `--attestations` is not given.
pub const DEFAULT_ATTESTATIONS: &str = "attestations.toml";
/// The risk inputs commands use when `--risk` is not given.
pub const DEFAULT_RISK: &str = "risk.toml";
/// The products' 4-2 capabilities, read when `--components` is not given and it exists.
pub const DEFAULT_COMPONENTS: &str = "components.toml";
/// Where `--snapshot` keeps assessments, inside the plant folder.
pub const SNAPSHOT_DIR: &str = ".zonewarden/assessments";

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct AssessArgs {
    #[command(subcommand)]
    command: Option<AssessCommand>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    #[arg(long, default_value = DEFAULT_MODEL)]
    model: PathBuf,
    /// Attestations (default: attestations.toml in the plant folder, when it exists).
    #[arg(long)]
    attestations: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = AssessFormat::Text)]
    format: AssessFormat,
    /// Also store the result, with the hashes of its inputs, in .zonewarden/assessments/.
    #[arg(long)]
    snapshot: bool,
    /// The 3-2 risk inputs (default: risk.toml in the plant folder, when it exists).
    #[arg(long)]
    risk: Option<PathBuf>,
    /// The products' IEC 62443-4-2 capabilities, for SL-C per zone (default:
    /// components.toml in the plant folder, when it exists).
    #[arg(long)]
    components: Option<PathBuf>,
    /// Remediation steps shown in the text summary.
    #[arg(long, default_value_t = 10)]
    top: usize,
    #[arg(required = true, value_name = "CAPTURE")]
    captures: Vec<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum AssessCommand {
    /// Write an attestation file with the questions each zone's and conduit's SL-T asks,
    /// keeping answers already given.
    Template {
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        /// Where to write (default: attestations.toml; answers in it are kept).
        #[arg(long, default_value = DEFAULT_ATTESTATIONS)]
        out: PathBuf,
    },
    /// Write a risk.toml (IEC 62443-3-2 inputs: system, matrix, consequence per zone,
    /// approval) for the model's zones.
    RiskTemplate {
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        #[arg(long, default_value = DEFAULT_RISK)]
        out: PathBuf,
    },
    /// The IEC 62443-2-1 security-program questionnaire: maturity ML1-ML4 per requirement,
    /// group and element (answers in program.toml; `--template` writes it).
    Program(QuestionnaireArgs),
    /// The IEC 62443-4-1 secure development lifecycle questionnaire for product suppliers
    /// (answers in sdl.toml; `--template` writes it).
    Sdl(QuestionnaireArgs),
    /// SL-C of products from the 4-2 requirements they meet (components.toml;
    /// `--template TYPE` writes one).
    Components {
        #[arg(long, default_value = "components.toml")]
        file: PathBuf,
        /// Write a template listing every 4-2 row of a type (software-application,
        /// embedded-device, host-device, network-device, or all) instead.
        #[arg(long, value_name = "TYPE")]
        template: Option<String>,
        #[arg(long, value_enum, default_value_t = AssessFormat::Text)]
        format: AssessFormat,
    },
    /// What changed between two assessments (`assess --format json` or snapshots).
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
    },
}

#[derive(clap::Args, Debug)]
struct QuestionnaireArgs {
    /// The answer file (default: program.toml or sdl.toml in the current folder).
    #[arg(long)]
    answers: Option<PathBuf>,
    /// Write the questionnaire (keeping answers already in the file) instead of evaluating.
    #[arg(long)]
    template: bool,
    #[arg(long, value_enum, default_value_t = AssessFormat::Text)]
    format: AssessFormat,
    /// Items to raise first shown in the text summary.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum AssessFormat {
    Text,
    Json,
    Markdown,
    /// A self-contained HTML report (no scripts, no external resources).
    Html,
    /// OSCAL 1.1 assessment-results JSON.
    Oscal,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    Text,
    Json,
}

pub fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn input_file(path: &Path) -> InputFile {
    InputFile {
        path: path.display().to_string(),
        sha256: sha256_of(path).unwrap_or_default(),
    }
}

/// Reads a plant-folder input: the file given, or the default one when it exists (`None`
/// when it does not). An unreadable file given on the command line is a usage error.
fn read_plant_file(
    path: Option<&Path>,
    default: &str,
) -> Result<Option<(String, PathBuf)>, ExitCode> {
    let (path, explicit) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from(default), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some((text, path))),
        Err(_) if !explicit => Ok(None),
        Err(e) => {
            eprintln!("zonewarden: {}: {e}", path.display());
            Err(ExitCode::from(2))
        }
    }
}

/// Prints every problem of a plant file; exit code 2.
fn file_errors<E: std::fmt::Display>(errors: &[E], path: &Path) -> ExitCode {
    for e in errors {
        eprintln!("{e}");
    }
    eprintln!(
        "zonewarden: {} problem(s) in {}",
        errors.len(),
        path.display()
    );
    ExitCode::from(2)
}

fn load_attestations(
    path: Option<&Path>,
    model: &zonewarden_policy::Model,
) -> Result<Option<(Attestations, PathBuf)>, ExitCode> {
    let Some((text, path)) = read_plant_file(path, DEFAULT_ATTESTATIONS)? else {
        return Ok(None);
    };
    match Attestations::parse(&path.display().to_string(), &text, model) {
        Ok(a) => Ok(Some((a, path))),
        Err(errors) => Err(file_errors(&errors, &path)),
    }
}

fn load_components(
    path: Option<&Path>,
) -> Result<Option<(zonewarden_assess::components::Components, PathBuf)>, ExitCode> {
    let Some((text, path)) = read_plant_file(path, DEFAULT_COMPONENTS)? else {
        return Ok(None);
    };
    match zonewarden_assess::components::parse(&path.display().to_string(), &text) {
        Ok(c) => Ok(Some((c, path))),
        Err(errors) => Err(file_errors(&errors, &path)),
    }
}

pub fn run(args: &AssessArgs) -> Result<ExitCode> {
    match &args.command {
        Some(AssessCommand::Template { model, out }) => template(model, out),
        Some(AssessCommand::Diff { old, new, format }) => diff(old, new, *format),
        Some(AssessCommand::RiskTemplate { model, out }) => risk_template(model, out),
        Some(AssessCommand::Program(q)) => {
            questionnaire(zonewarden_assess::questionnaire::Kind::Program, q)
        }
        Some(AssessCommand::Sdl(q)) => {
            questionnaire(zonewarden_assess::questionnaire::Kind::Sdl, q)
        }
        Some(AssessCommand::Components {
            file,
            template,
            format,
        }) => components(file, template.as_deref(), *format),
        None => assess(&args.run),
    }
}

fn questionnaire(
    kind: zonewarden_assess::questionnaire::Kind,
    args: &QuestionnaireArgs,
) -> Result<ExitCode> {
    use zonewarden_assess::questionnaire as q;
    let path = args
        .answers
        .clone()
        .unwrap_or_else(|| PathBuf::from(kind.file_name()));
    let previous = match std::fs::read_to_string(&path) {
        Ok(text) => match q::parse(&path.display().to_string(), &text, kind) {
            Ok(a) => Some(a),
            Err(errors) => {
                for e in &errors {
                    eprintln!("{e}");
                }
                return Ok(ExitCode::from(2));
            }
        },
        Err(_) if args.template => None,
        Err(e) => {
            eprintln!("zonewarden: {}: {e}", path.display());
            eprintln!(
                "zonewarden: write the questionnaire first with `zonewarden assess {} --template`",
                kind.as_str()
            );
            return Ok(ExitCode::from(2));
        }
    };
    if args.template {
        std::fs::write(&path, q::template(kind, previous.as_ref()))
            .with_context(|| format!("writing {}", path.display()))?;
        println!(
            "Wrote {}: {} question(s) of {}{}.",
            path.display(),
            q::questions(kind).len(),
            kind.standard(),
            if previous.is_some() {
                "; earlier answers kept"
            } else {
                ""
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let answers = previous.unwrap_or_else(|| q::Answers::new(&path.display().to_string(), kind));
    let result = q::evaluate(kind, &answers);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        AssessFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &result)?;
            writeln!(out)?;
        }
        AssessFormat::Markdown => q::write_markdown(&result, &mut out)?,
        AssessFormat::Html | AssessFormat::Oscal => {
            eprintln!("zonewarden: questionnaires are written as text, json or markdown");
            return Ok(ExitCode::from(2));
        }
        AssessFormat::Text => q::write_text(&result, &mut out, args.top)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn components(file: &Path, template: Option<&str>, format: AssessFormat) -> Result<ExitCode> {
    use zonewarden_assess::components as c;
    if let Some(kind) = template {
        let t = if kind == "all" {
            zonewarden_catalog::ComponentType::All
        } else {
            match c::parse_type(kind) {
                Some(t) => t,
                None => {
                    eprintln!(
                        "zonewarden: unknown component type {kind:?}: use software-application, embedded-device, host-device, network-device or all"
                    );
                    return Ok(ExitCode::from(2));
                }
            }
        };
        if file.exists() {
            eprintln!("zonewarden: {} exists; leaving it as it is", file.display());
            return Ok(ExitCode::from(2));
        }
        std::fs::write(file, c::template_components(t))
            .with_context(|| format!("writing {}", file.display()))?;
        println!(
            "Wrote {}: list the 4-2 requirements each product meets.",
            file.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("zonewarden: {}: {e}", file.display());
            return Ok(ExitCode::from(2));
        }
    };
    let parsed = match c::parse(&file.display().to_string(), &text) {
        Ok(p) => p,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    let results = c::evaluate(&parsed);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        AssessFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &results)?;
            writeln!(out)?;
        }
        AssessFormat::Markdown => c::write_markdown(&results, &mut out)?,
        AssessFormat::Html | AssessFormat::Oscal => {
            eprintln!("zonewarden: components are written as text, json or markdown");
            return Ok(ExitCode::from(2));
        }
        AssessFormat::Text => c::write_text(&results, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn risk_template(model_path: &Path, out: &Path) -> Result<ExitCode> {
    let model = match load_model(model_path) {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    if out.exists() {
        eprintln!("zonewarden: {} exists; leaving it as it is", out.display());
        return Ok(ExitCode::from(2));
    }
    std::fs::write(out, zonewarden_assess::risk::template(&model))
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "Wrote {}: fill in the system, consequences and approval.",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn load_risk(
    path: Option<&Path>,
    model: &zonewarden_policy::Model,
) -> Result<Option<(zonewarden_assess::risk::RiskFile, PathBuf)>, ExitCode> {
    let Some((text, path)) = read_plant_file(path, DEFAULT_RISK)? else {
        return Ok(None);
    };
    match zonewarden_assess::risk::RiskFile::parse(&path.display().to_string(), &text, model) {
        Ok(r) => Ok(Some((r, path))),
        Err(errors) => Err(file_errors(&errors, &path)),
    }
}

fn template(model_path: &Path, out: &Path) -> Result<ExitCode> {
    let model = match load_model(model_path) {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let previous = match load_attestations(Some(out).filter(|p| p.exists()), &model) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let text = zonewarden_assess::attest::template(&model, previous.as_ref().map(|(a, _)| a));
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    let questions = Attestations::parse(
        &out.display().to_string(),
        &std::fs::read_to_string(out)?,
        &model,
    )
    .map(|a| a.len())
    .unwrap_or(0);
    println!(
        "Wrote {}: {questions} question(s) that the zones' and conduits' SL-T ask{}.",
        out.display(),
        if previous.is_some() {
            "; earlier answers kept"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs the assessment (also used by `demo`).
pub fn assessment(
    model: &zonewarden_policy::Model,
    model_path: &Path,
    attestations: Option<(&Attestations, &Path)>,
    components: Option<(&zonewarden_assess::components::Components, &Path)>,
    observed: &crate::zones::Observed,
) -> Assessment {
    let resolution = Resolution::new(model, &observed.inventory);
    let check = zonewarden_policy::check(model, &resolution, &observed.conversations);
    let captures: Vec<InputFile> = observed
        .report
        .inputs
        .iter()
        .map(|i| input_file(Path::new(&i.path)))
        .collect();
    let as_of = observed
        .report
        .flows
        .iter()
        .map(|f| f.last_ts)
        .chain(observed.report.hosts.iter().filter_map(|h| h.last_ts))
        .max();
    let inputs = zonewarden_assess::Inputs {
        model,
        inventory: &observed.inventory,
        resolution: &resolution,
        conversations: &observed.conversations,
        check: &check,
        capture_hashes: captures.iter().map(|c| c.sha256.clone()).collect(),
        as_of,
        components: components.map(|(c, _)| c),
    };
    let files = InputFiles {
        model: input_file(model_path),
        attestations: attestations.map(|(_, p)| input_file(p)),
        risk: None,
        components: components.map(|(_, p)| input_file(p)),
        captures,
    };
    let started = std::time::Instant::now();
    let result = zonewarden_assess::assess(&inputs, attestations.map(|(a, _)| a), files);
    tracing::debug!(
        assets = observed.inventory.assets.len(),
        zones = model.zones.len(),
        conversations = observed.conversations.len(),
        seconds = started.elapsed().as_secs_f64(),
        "assessment built"
    );
    result
}

fn assess(args: &RunArgs) -> Result<ExitCode> {
    let model = match load_model(&args.model) {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let attestations = match load_attestations(args.attestations.as_deref(), &model) {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    let risk = match load_risk(args.risk.as_deref(), &model) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let components = match load_components(args.components.as_deref()) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let observed = observe(&args.captures);
    let mut result = assessment(
        &model,
        &args.model,
        attestations.as_ref().map(|(a, p)| (a, p.as_path())),
        components.as_ref().map(|(c, p)| (c, p.as_path())),
        &observed,
    );
    result.risk = Some(zonewarden_assess::risk::assess_risk(
        &result,
        risk.as_ref().map(|(r, _)| r),
    ));
    result.inputs.risk = risk.as_ref().map(|(_, p)| input_file(p));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        AssessFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &result)?;
            writeln!(out)?;
        }
        AssessFormat::Markdown => zonewarden_assess::render::write_markdown(&result, &mut out)?,
        AssessFormat::Html => zonewarden_assess::render::write_html(&result, &mut out)?,
        AssessFormat::Oscal => {
            serde_json::to_writer_pretty(&mut out, &zonewarden_assess::oscal::to_oscal(&result))?;
            writeln!(out)?;
        }
        AssessFormat::Text => zonewarden_assess::render::write_text(&result, &mut out, args.top)?,
    }
    out.flush()?;
    if args.snapshot {
        let path = snapshot(&result)?;
        eprintln!("zonewarden: snapshot stored in {}", path.display());
    }
    Ok(crate::exit_code(&observed.report))
}

/// Stores the assessment under `.zonewarden/assessments/`, named by its "as of" time and
/// the hash of its inputs, so that two runs over the same inputs name the same file.
fn snapshot(result: &Assessment) -> Result<PathBuf> {
    std::fs::create_dir_all(SNAPSHOT_DIR).with_context(|| format!("creating {SNAPSHOT_DIR}"))?;
    let mut hasher = Sha256::new();
    hasher.update(result.inputs.model.sha256.as_bytes());
    for f in result
        .inputs
        .attestations
        .iter()
        .chain(result.inputs.risk.iter())
        .chain(result.inputs.components.iter())
    {
        hasher.update(f.sha256.as_bytes());
    }
    for c in &result.inputs.captures {
        hasher.update(c.sha256.as_bytes());
    }
    let digest: String = hasher
        .finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    let when: String = result
        .as_of
        .as_deref()
        .unwrap_or("undated")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(15)
        .collect();
    let path = Path::new(SNAPSHOT_DIR).join(format!("assessment-{when}-{digest}.json"));
    let text = serde_json::to_string_pretty(result)? + "\n";
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

fn read_assessment(path: &Path) -> Result<Assessment> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not an assessment written by zonewarden",
            path.display()
        )
    })
}

fn diff(old: &Path, new: &Path, format: DiffFormat) -> Result<ExitCode> {
    let (a, b) = match (read_assessment(old), read_assessment(new)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("zonewarden: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let changes = zonewarden_assess::diff::diff(&a, &b);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &changes)?;
            writeln!(out)?;
        }
        DiffFormat::Text => {
            if changes.is_empty() {
                writeln!(out, "No change.")?;
            }
            for c in &changes {
                writeln!(out, "{}", c.sentence)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
