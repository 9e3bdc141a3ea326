//! Zones and conduits end to end through the binary: `init`, `zones suggest` (its draft
//! checks clean on the traffic it came from), `zones check` against hand-written models with
//! the expected violations in golden files (plant1_mb2 and the generated demo plant), SARIF,
//! exit codes, model errors with their lines, `simulate` and `diagram`.

// Test code: a failed expectation should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zonewarden-zones-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary in `dir`; returns (stdout, stderr, exit code).
fn run_in(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let out = common::zonewarden()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("zonewarden runs");
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

/// The generated demo plant (the same capture `demo` writes), once per test.
fn demo_capture(dir: &Path) -> PathBuf {
    let path = dir.join("plant.pcap");
    let (_, err, code) = run_in(dir, &["generate", "-o", "plant.pcap"]);
    assert_eq!(code, 0, "{err}");
    path
}

fn compare_golden(name: &str, value: &Value) {
    let golden = root().join("tests/golden").join(name);
    let text = serde_json::to_string_pretty(value).unwrap() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &text).unwrap();
    }
    let expected =
        std::fs::read_to_string(&golden).expect("golden file (UPDATE_GOLDEN=1 writes it)");
    assert_eq!(
        text, expected,
        "{name} changed; review and regenerate with UPDATE_GOLDEN=1"
    );
}

fn kinds(report: &Value) -> Vec<(String, usize)> {
    report["by_kind"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap() as usize))
        .collect()
}

#[test]
fn init_writes_the_example_plant_folder_and_refuses_to_overwrite_it() {
    let dir = temp_dir("init");
    let (out, err, code) = run_in(&dir, &["init", "plant"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("zones.toml"), "{out}");
    let model = std::fs::read_to_string(dir.join("plant/zones.toml")).unwrap();
    assert!(model.contains("[[conduit]]") && model.starts_with('#'));
    assert!(dir.join("plant/.gitignore").is_file());
    let (_, err, code) = run_in(&dir, &["init", "plant"]);
    assert_eq!(code, 2, "a second init must not overwrite the model");
    assert!(err.contains("exists"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The demo plant against the example model (stricter than its traffic): the HMIs' writes
/// and the office's web access to the historian are the violations; the plant folder's
/// zones.toml is used without --model.
#[test]
fn demo_plant_violations_of_the_example_model_match_the_golden_file() {
    let dir = temp_dir("demo");
    let capture = demo_capture(&dir);
    let (_, err, code) = run_in(&dir, &["init"]);
    assert_eq!(code, 0, "{err}");
    let (out, err, code) = run_in(
        &dir,
        &[
            "zones",
            "check",
            "--format",
            "json",
            capture.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 3, "violations found means exit code 3: {err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    compare_golden("zones-check-demo.json", &report);
    // What the golden file must say, whatever regeneration did.
    assert_eq!(report["clean"], false);
    assert_eq!(report["unassigned"], 0);
    let violations = report["violations"].as_array().unwrap();
    assert!(violations.iter().any(|v| v["kind"] == "no-conduit"
        && v["client_zone"] == "enterprise"
        && v["server_zone"] == "operations"
        && v["protocol"] == "http"));
    let writes: Vec<&Value> = violations
        .iter()
        .filter(|v| v["kind"] == "operation-not-allowed")
        .collect();
    assert!(!writes.is_empty());
    for w in &writes {
        assert_eq!(w["operation_class"], "write", "{w}");
        assert_eq!(w["conduit"], "supervisory-control");
        assert!(["10.10.2.11", "10.10.2.12"].contains(&w["client"].as_str().unwrap()));
    }
    // The engineering station may do anything: none of its operations is a violation.
    assert!(!violations.iter().any(|v| v["client"] == "10.10.2.13"));

    // The text report names the file and line of each violation.
    let (text, _, code) = run_in(&dir, &["zones", "check", capture.to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(text.contains("zones.toml:"), "{text}");
    assert!(text.contains("ZW006 operation-not-allowed"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_suggested_model_checks_clean_on_the_traffic_it_came_from() {
    let dir = temp_dir("suggest");
    let mut captures = vec![demo_capture(&dir)];
    if let Some(pcaps) = common::shared_pcaps() {
        captures.push(pcaps.join("mixed/plant1_mb2.pcap"));
    }
    for capture in captures {
        let (draft, err, code) = run_in(&dir, &["zones", "suggest", capture.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        assert!(
            draft.contains("[[zone]]") && draft.contains("[[conduit]]"),
            "{draft}"
        );
        let model = dir.join("suggested.toml");
        std::fs::write(&model, &draft).unwrap();
        let (out, err, code) = run_in(
            &dir,
            &[
                "zones",
                "check",
                "--format",
                "json",
                "--model",
                model.to_str().unwrap(),
                capture.to_str().unwrap(),
            ],
        );
        let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
        assert_eq!(
            report["violations"].as_array().unwrap().len(),
            0,
            "{}: {}",
            capture.display(),
            serde_json::to_string_pretty(&report["violations"]).unwrap()
        );
        assert_eq!(code, 0);
        assert_eq!(report["unassigned"], 0);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// plant1_mb2 against a hand-written model: writes on a read-only conduit, DCOM dynamic
/// ports to the SQL server, a UDP flow against a one-way conduit, devices nobody placed.
#[test]
fn plant1_violations_of_the_hand_written_model_match_the_golden_file() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let capture = pcaps.join("mixed/plant1_mb2.pcap");
    let models = root().join("tests/models");
    let (out, err, code) = run_in(
        &models,
        &[
            "zones",
            "check",
            "--format",
            "json",
            "--model",
            "plant1_mb2.toml",
            capture.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 3, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    compare_golden("zones-check-plant1_mb2.json", &report);
    let counts = kinds(&report);
    for kind in [
        "operation-not-allowed",
        "not-allowed",
        "wrong-direction",
        "unassigned-asset",
    ] {
        assert!(
            counts.iter().any(|(k, n)| k == kind && *n > 0),
            "{kind}: {counts:?}"
        );
    }
    let violations = report["violations"].as_array().unwrap();
    // The SQL port the model allows is not a violation; the DCOM dynamic ports are.
    assert!(!violations.iter().any(|v| v["port"] == 1433));
    assert!(violations.iter().any(|v| v["kind"] == "not-allowed"
        && v["port"] == 49218
        && v["conduit"] == "scada-historian"));
    assert!(violations
        .iter()
        .any(|v| v["kind"] == "operation-not-allowed"
            && v["protocol"] == "s7comm"
            && v["operation"] == "Write Var"));
    // The panel PC is in the scada zone by its hostname pattern.
    assert!(!violations.iter().any(|v| v["asset"]
        .as_str()
        .is_some_and(|a| a == "mac:00:13:95:07:81:a1")));
}

#[test]
fn sarif_output_locates_each_violation_in_the_model_file() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let capture = pcaps.join("mixed/plant1_mb2.pcap");
    let models = root().join("tests/models");
    let (out, err, code) = run_in(
        &models,
        &[
            "zones",
            "check",
            "--format",
            "sarif",
            "--model",
            "plant1_mb2.toml",
            capture.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 3, "{err}");
    let sarif: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let model_lines = std::fs::read_to_string(models.join("plant1_mb2.toml"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect::<Vec<_>>();
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        let location = &r["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "plant1_mb2.toml");
        let line = location["region"]["startLine"].as_u64().unwrap() as usize;
        assert!(line >= 1 && line <= model_lines.len());
        // A conduit's violations point at its [[conduit]] header.
        if r["properties"]["conduit"].is_string() {
            assert_eq!(model_lines[line - 1].trim(), "[[conduit]]", "{r}");
        }
        assert!(r["partialFingerprints"]["zonewardenViolation/v1"].is_string());
    }
}

#[test]
fn model_errors_name_the_file_and_line_and_exit_with_2() {
    let dir = temp_dir("errors");
    let model = "\
[[zone]]
id = \"a\"
members = [\"10.0.0.0/16\"]

[[zone]]
id = \"b\"
members = [\"10.0.1.0/24\"]

[[conduit]]
id = \"a-c\"
zones = [\"a\", \"c\"]
";
    std::fs::write(dir.join("zones.toml"), model).unwrap();
    let (_, err, code) = run_in(&dir, &["zones", "check", "nothing.pcap"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("zones.toml:7:"),
        "overlap reported at zone b's member: {err}"
    );
    assert!(err.contains("overlapping members"), "{err}");
    assert!(
        err.contains("zones.toml:11:"),
        "unknown zone at its line: {err}"
    );
    assert!(err.contains("unknown zone \"c\""), "{err}");
    let (_, err, code) = run_in(
        &dir,
        &["zones", "check", "--model", "missing.toml", "x.pcap"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("missing.toml"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn simulate_blocks_what_no_conduit_allows_and_diagram_marks_it() {
    let dir = temp_dir("simulate");
    let capture = demo_capture(&dir);
    let (_, err, code) = run_in(&dir, &["init"]);
    assert_eq!(code, 0, "{err}");
    let (out, err, code) = run_in(
        &dir,
        &[
            "zones",
            "simulate",
            "--format",
            "json",
            capture.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 3, "blocked flows mean exit code 3: {err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let blocked = report["blocked_conversations"].as_array().unwrap();
    // Port filtering cannot see operations: the office's web access to the historian is
    // blocked, and so are the controllers' answers to the engineering station's ListIdentity
    // broadcast (the firewall sees them open a connection from the control zone).
    let (web, replies): (Vec<&Value>, Vec<&Value>) =
        blocked.iter().partition(|b| b["opened_by_server"] == false);
    assert_eq!(web.len(), 2, "{blocked:?}");
    for b in web {
        assert_eq!(b["server"], "10.10.3.10");
        assert_eq!(b["port"], 80);
    }
    assert_eq!(replies.len(), 4, "{blocked:?}");
    for b in replies {
        assert_eq!(b["client"], "10.10.2.13");
        assert_eq!(b["port"], 44818);
        assert_eq!(b["protocol"], "enip");
    }
    assert!(report["totals"]["allowed"].as_u64().unwrap() > 20);

    let (svg, err, code) = run_in(&dir, &["zones", "diagram", capture.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        svg.starts_with("<?xml") || svg.starts_with("<svg"),
        "{}",
        &svg[..80]
    );
    assert!(svg.contains("supervisory-control"));
    assert!(
        svg.contains("no conduit"),
        "the office→historian traffic is drawn"
    );
    let (dot, _, code) = run_in(&dir, &["zones", "diagram", "--format", "dot"]);
    assert_eq!(code, 0);
    assert!(dot.contains("\"supervisory\" -> \"control\""), "{dot}");
    let _ = std::fs::remove_dir_all(&dir);
}
