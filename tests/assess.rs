//! The assessment end to end on the worked example: the generated demo plant, the example
//! zones.toml (`zonewarden init`) and tests/models/demo-attestations.toml. The expected SL-A
//! values are derived by hand below from the IEC 62443-3-3 SL1/SL2 rows and the traffic.

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

fn plant(name: &str, attestations: bool) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zonewarden-assess-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for args in [&["generate", "-o", "plant.pcap"][..], &["init"][..]] {
        let out = common::zonewarden()
            .current_dir(&dir)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    if attestations {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models/demo-attestations.toml"),
            dir.join("attestations.toml"),
        )
        .unwrap();
    }
    dir
}

fn run(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let out = common::zonewarden()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

fn assess_json(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["assess", "--format", "json"];
    args.extend_from_slice(extra);
    args.push("plant.pcap");
    let (out, err, code) = run(dir, &args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn scope<'a>(doc: &'a Value, list: &str, id: &str) -> &'a Value {
    doc[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["id"] == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

fn requirement<'a>(scope: &'a Value, id: &str) -> &'a Value {
    scope["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {}", scope["id"]))
}

fn sl_a(scope: &Value) -> Vec<Option<u64>> {
    (1..=7)
        .map(|fr| scope["sl_a"][format!("FR{fr}")].as_u64())
        .collect()
}

/// The operations zone (SL-T 1; the historian) by hand:
/// - FR1 = 1: all ten SL1 rows of FR1 (SR 1.1, 1.3–1.7, 1.10–1.13) are attested implemented;
///   SL2 adds SR 1.1 RE(1), unanswered.
/// - FR2 = 0: nothing answered (SR 2.1 … unknown).
/// - FR3 = 1: SR 3.1 passes from the zone's one conduit, which carries only TLS (observed);
///   SR 3.2, 3.3, 3.5, 3.6 attested; SL2 rows (SR 3.2 RE(1), 3.4…) unknown.
/// - FR4 = 1: SR 4.1 from the encrypted conduit and SR 4.3 from TLS 1.2+ seen (observed).
/// - FR5 = 0: SR 5.1 is attested, but the office reaches the historian over HTTP with no
///   conduit — traffic outranks the answer.
/// - FR6 = 2: SR 6.1 attested (SL1), SR 6.2 observed (the sensor sees the zone, SL2).
/// - FR7 = 0: SR 7.1–7.6 attested, but SR 7.7 fails: the historian answers HTTP that no
///   allowed traffic uses.
#[test]
fn worked_example_sl_a_matches_the_hand_derivation() {
    let dir = plant("worked", true);
    let doc = assess_json(&dir, &[]);
    let operations = scope(&doc, "zones", "operations");
    assert_eq!(
        sl_a(operations),
        [1, 0, 1, 1, 0, 2, 0].map(Some).to_vec(),
        "{}",
        operations["sl_a"]
    );
    let gap: Vec<Option<u64>> = (1..=7)
        .map(|fr| operations["gap"][format!("FR{fr}")].as_u64())
        .collect();
    assert_eq!(gap, [0, 1, 0, 0, 1, 0, 1].map(Some).to_vec());
    let sr51 = requirement(operations, "SR 5.1");
    assert_eq!(sr51["status"], "fail");
    assert_eq!(sr51["provenance"], "observed");
    assert!(sr51["note"]
        .as_str()
        .unwrap()
        .contains("traffic shows the gap"));
    assert!(sr51["evidence"][0]["flows"][0]
        .as_str()
        .unwrap()
        .contains("10.10.3.10:80"));
    let sr61 = requirement(operations, "SR 6.1");
    assert_eq!(
        (sr61["status"].as_str(), sr61["provenance"].as_str()),
        (Some("pass"), Some("attested"))
    );
    let sr62 = requirement(operations, "SR 6.2");
    assert_eq!(
        (sr62["status"].as_str(), sr62["provenance"].as_str()),
        (Some("pass"), Some("observed"))
    );
    assert_eq!(
        requirement(operations, "SR 5.4")["status"],
        "not-applicable"
    );
    // Every observed finding cites the capture by its hash.
    let sha = doc["inputs"]["captures"][0]["sha256"].as_str().unwrap();
    assert_eq!(sha.len(), 64);
    assert_eq!(
        requirement(operations, "SR 7.7")["evidence"][0]["captures"][0],
        sha
    );

    // The control zone: Modbus, S7comm, EtherNet/IP and DNP3 answer anyone (SR 1.2, observed).
    let control = scope(&doc, "zones", "control");
    let sr12 = requirement(control, "SR 1.2");
    assert_eq!(sr12["status"], "fail");
    assert_eq!(sr12["evidence"].as_array().unwrap().len(), 4);
    assert_eq!(sl_a(control), [0; 7].map(Some).to_vec());
    // The historian conduit carries only TLS: integrity is met up to SL 4 in FR3; FR2 has
    // no conduit requirement.
    let historian = scope(&doc, "conduits", "supervisory-historian");
    assert_eq!(historian["sl_a"]["FR3"], 4);
    assert!(historian["sl_a"]["FR2"].is_null());

    // Remediation is ranked and leads with a certain gap on a critical path.
    let plan = doc["remediation"].as_array().unwrap();
    assert!(plan.len() > 10);
    assert_eq!(plan[0]["rank"], 1);
    let scores: Vec<f64> = plan.iter().map(|a| a["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Removing the attestations never raises an SL-A; unknown is never shown as passed.
#[test]
fn without_attestations_nothing_rises_and_unknown_stays_unknown() {
    let dir = plant("none", false);
    let without = assess_json(&dir, &[]);
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models/demo-attestations.toml"),
        dir.join("attestations.toml"),
    )
    .unwrap();
    let with = assess_json(&dir, &[]);
    for list in ["zones", "conduits"] {
        for (a, b) in without[list]
            .as_array()
            .unwrap()
            .iter()
            .zip(with[list].as_array().unwrap())
        {
            for (x, y) in sl_a(a).iter().zip(sl_a(b)) {
                assert!(
                    x.unwrap_or(0) <= y.unwrap_or(0),
                    "{}: {x:?} > {y:?}",
                    a["id"]
                );
            }
            for r in a["requirements"].as_array().unwrap() {
                if r["provenance"] == "unknown" {
                    assert_eq!(r["status"], "unknown", "{r}");
                }
                assert_ne!(r["provenance"], "attested", "no attestations were given");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn template_asks_what_the_sl_t_requires_and_keeps_earlier_answers() {
    let dir = plant("template", false);
    let (out, err, code) = run(&dir, &["assess", "template"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("question(s)"), "{out}");
    let text = std::fs::read_to_string(dir.join("attestations.toml")).unwrap();
    // The control zone's SL-T asks FR1 at SL 2: SR 1.1 RE(1) is asked; SL 3-only rows are not.
    assert!(text.contains("requirement = \"SR 1.1 RE(1)\"\nscope = \"zone:control\""));
    assert!(!text.contains("requirement = \"SR 1.1 RE(2)\"\nscope = \"zone:control\""));
    // Conduit requirements are asked on conduits.
    assert!(text.contains("requirement = \"SR 3.1\"\nscope = \"conduit:supervisory-control\""));
    assert!(!text.contains("requirement = \"SR 3.1\"\nscope = \"zone:control\""));
    // Answer one question; the next template keeps it.
    let answered = text.replacen(
        "requirement = \"SR 2.1\"\nscope = \"zone:control\"\nstatus = \"unknown\"\nby = \"\"",
        "requirement = \"SR 2.1\"\nscope = \"zone:control\"\nstatus = \"implemented\"\nby = \"A. Engineer\"",
        1,
    );
    assert_ne!(
        answered, text,
        "the SR 2.1 question for zone control is in the template"
    );
    // An answer the SL-T does not ask for (SR 1.1 RE(3) is SL 4) is kept too.
    let answered = answered
        + "\n[[attestation]]\nrequirement = \"SR 1.1 RE(3)\"\nscope = \"zone:control\"\nstatus = \"not-implemented\"\nby = \"A. Engineer\"\n";
    std::fs::write(dir.join("attestations.toml"), &answered).unwrap();
    let (_, err, code) = run(&dir, &["assess", "template"]);
    assert_eq!(code, 0, "{err}");
    let again = std::fs::read_to_string(dir.join("attestations.toml")).unwrap();
    assert!(again.contains("status = \"implemented\"\nby = \"A. Engineer\""));
    assert!(
        again.contains("requirement = \"SR 1.1 RE(3)\"\nscope = \"zone:control\"\nstatus = \"not-implemented\""),
        "an answer to a question no longer asked is kept"
    );
    // The template is a valid attestation file for the assessment.
    let doc = assess_json(&dir, &[]);
    let sr21 = requirement(scope(&doc, "zones", "control"), "SR 2.1");
    assert_eq!(sr21["provenance"], "attested");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn snapshots_and_diff_say_what_changed() {
    let dir = plant("diff", false);
    let (_, err, code) = run(&dir, &["assess", "--snapshot", "plant.pcap"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(".zonewarden/assessments/"), "{err}");
    let first: Vec<PathBuf> = std::fs::read_dir(dir.join(".zonewarden/assessments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(first.len(), 1);
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models/demo-attestations.toml"),
        dir.join("attestations.toml"),
    )
    .unwrap();
    let (_, err, code) = run(&dir, &["assess", "--snapshot", "plant.pcap"]);
    assert_eq!(code, 0, "{err}");
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir.join(".zonewarden/assessments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(all.len(), 2, "other inputs, another snapshot");
    all.retain(|p| p != &first[0]);
    let (old, new) = (first[0].to_str().unwrap(), all[0].to_str().unwrap());
    let (text, err, code) = run(&dir, &["assess", "diff", old, new]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("SL-A FR6 in zone operations: 0 → 2"),
        "{text}"
    );
    assert!(
        text.contains("SR 6.1 in zone operations improved: unknown → pass"),
        "{text}"
    );
    let (json, _, _) = run(&dir, &["assess", "diff", "--format", "json", old, new]);
    let changes: Value = serde_json::from_str(&json).unwrap();
    assert!(changes
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["kind"] == "sl-a"
            && c["scope"] == "operations"
            && c["fr"] == 6
            && c["to"] == "2"));
    let (text, _, _) = run(&dir, &["assess", "diff", new, old]);
    assert!(
        text.contains("SR 6.1 in zone operations regressed: pass → unknown"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn markdown_report_and_attestation_errors() {
    let dir = plant("markdown", true);
    let (md, err, code) = run(&dir, &["assess", "--format", "markdown", "plant.pcap"]);
    assert_eq!(code, 0, "{err}");
    for section in [
        "## Security levels",
        "## Requirement matrix",
        "## Remediation plan",
        "## Evidence",
    ] {
        assert!(md.contains(section), "{section}");
    }
    assert!(
        md.contains("| zone operations | 1 / 1 | **1 / 0** |"),
        "{md}"
    );
    let (html, err, code) = run(&dir, &["assess", "--format", "html", "plant.pcap"]);
    assert_eq!(code, 0, "{err}");
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    for tag in ["table", "ul", "li", "tr", "h2"] {
        assert_eq!(
            html.matches(&format!("<{tag}>")).count() + html.matches(&format!("<{tag} ")).count(),
            html.matches(&format!("</{tag}>")).count(),
            "<{tag}> balanced"
        );
    }
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    // The heat map: operations FR2 has SL-T 1, SL-A 0 (gap 1).
    assert!(
        html.contains("<td class=\"gap1\">1 / 0</td>"),
        "heat map cell"
    );
    assert!(
        html.contains("10.10.4.105 -&gt; 10.10.3.10:80"),
        "flows escaped"
    );
    std::fs::write(
        dir.join("attestations.toml"),
        "[[attestation]]\nrequirement = \"SR 9.9\"\nscope = \"zone:nowhere\"\nstatus = \"done\"\n",
    )
    .unwrap();
    let (_, err, code) = run(&dir, &["assess", "plant.pcap"]);
    assert_eq!(code, 2);
    assert!(err.contains("attestations.toml:2:"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The 3-2 risk assessment: defaults from criticality, a risk.toml overrides, residual risk
/// never above initial, and the countermeasures the attestations meet lower it.
#[test]
fn risk_assessment_follows_the_evidence_and_the_risk_file() {
    let dir = plant("risk", true);
    let doc = assess_json(&dir, &[]);
    let zones = doc["risk"]["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 4);
    for z in zones {
        assert!(
            z["residual_risk"].as_u64() <= z["initial_risk"].as_u64(),
            "{z}"
        );
        assert_eq!(z["threats"].as_array().unwrap().len(), 14);
    }
    let operations = zones.iter().find(|z| z["zone"] == "operations").unwrap();
    // Criticality medium → consequence 3; the office reaches it with no conduit → likely (4).
    assert_eq!(operations["consequence"], 3);
    assert_eq!(operations["initial_likelihood"], 4);
    // Remote services (T0886): SR 1.1 and 1.13 attested, SR 5.1 and 7.7 fail → half met,
    // likelihood 4 − floor(3 × 0.5) = 3.
    let remote = operations["threats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["technique"] == "T0886")
        .unwrap();
    assert_eq!(remote["residual_likelihood"], 3, "{remote}");
    // A risk file: the system, a consequence and the tolerable line.
    let (out, err, code) = run(&dir, &["assess", "risk-template"]);
    assert_eq!(code, 0, "{err}{out}");
    let text = std::fs::read_to_string(dir.join("risk.toml"))
        .unwrap()
        .replacen("tolerable = 6", "tolerable = 20", 1)
        .replacen("name = \"Demo plant\"", "name = \"Demo line\"", 1);
    std::fs::write(dir.join("risk.toml"), text).unwrap();
    let doc = assess_json(&dir, &[]);
    assert_eq!(doc["risk"]["system"]["name"], "Demo line");
    assert!(doc["risk"]["zones"]
        .as_array()
        .unwrap()
        .iter()
        .all(|z| z["tolerable"] == true));
    let (_, _, code) = run(&dir, &["assess", "risk-template"]);
    assert_eq!(code, 2, "risk-template does not overwrite");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The program (2-1) and supplier (4-1, 4-2) sides through the command line.
#[test]
fn program_and_supplier_questionnaires_and_sl_c() {
    let dir =
        std::env::temp_dir().join(format!("zonewarden-assess-{}-program", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (out, err, code) = run(&dir, &["assess", "program", "--template"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("87 question(s)"), "{out}");
    // Answer one requirement of ORG 1: the group stays at ML0 (its other requirements are
    // unanswered), the answer shows.
    let text = std::fs::read_to_string(dir.join("program.toml")).unwrap();
    let answered = text.replacen(
        "id = \"ORG 1.1\"\nmaturity = 0\nby = \"\"",
        "id = \"ORG 1.1\"\nmaturity = 3\nby = \"CISO\"",
        1,
    );
    assert_ne!(answered, text, "ORG 1.1 is asked");
    std::fs::write(dir.join("program.toml"), answered).unwrap();
    let (json, err, code) = run(&dir, &["assess", "program", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["answered"], 1);
    assert_eq!(doc["maturity"], 0);
    let (_, err, code) = run(&dir, &["assess", "sdl"]);
    assert_eq!(code, 2, "no sdl.toml yet");
    assert!(err.contains("--template"), "{err}");
    let (_, _, code) = run(
        &dir,
        &["assess", "components", "--template", "network-device"],
    );
    assert_eq!(code, 0);
    let (text, err, code) = run(&dir, &["assess", "components"]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("SL-C"), "{text}");
    std::fs::write(
        dir.join("components.toml"),
        "[[component]]\nid = \"sw\"\ntype = \"network-device\"\nmeets = [\"EDR 3.2\"]\n",
    )
    .unwrap();
    let (_, err, code) = run(&dir, &["assess", "components"]);
    assert_eq!(code, 2);
    assert!(err.contains("components.toml:4"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// SL-C per zone from the components file: the demo's controllers declared as one product
/// that meets nothing, then as one that meets every FR1 row up to SL 2.
#[test]
fn zone_sl_c_comes_from_the_products_matched_to_its_devices() {
    let dir = plant("sl-c", false);
    let scan: Value = {
        let (out, err, code) = run(&dir, &["scan", "--format", "json", "plant.pcap"]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    let in_control = |a: &&Value| {
        a["ip"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("10.10.1."))
    };
    let control: Vec<&Value> = scan["assets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(in_control)
        .collect();
    let plcs = control.iter().filter(|a| a["role"] == "plc").count();
    assert!(
        plcs > 0 && plcs < control.len(),
        "{plcs} of {}",
        control.len()
    );
    let product = |meets: &str| {
        format!(
            "[[component]]\nid = \"plc-x\"\nname = \"X PLC 5000\"\ntype = \"embedded-device\"\nmatches = [\"role:plc\"]\nmeets = [{meets}]\n"
        )
    };
    std::fs::write(dir.join("components.toml"), product("")).unwrap();
    let (_, err, code) = run(&dir, &["assess", "--snapshot", "plant.pcap"]);
    assert_eq!(code, 0, "{err}");
    let doc = assess_json(&dir, &[]);
    let zone = scope(&doc, "zones", "control");
    assert_eq!(zone["sl_c"]["FR1"], 0, "{}", zone["sl_c"]);
    let product_in_zone = &zone["capability"]["components"][0];
    assert_eq!(product_in_zone["id"], "plc-x");
    assert_eq!(product_in_zone["devices"], plcs);
    assert_eq!(
        zone["capability"]["devices_without_component"],
        zone["assets"].as_u64().unwrap() - plcs as u64
    );
    // Zones without controllers have no SL-C.
    assert!(scope(&doc, "zones", "enterprise").get("sl_c").is_none());
    // The product's gap is a remediation step naming a 4-2 row.
    let step = doc["remediation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["scope"] == "control"
                && a["fr"] == 1
                && a["raises"].as_str().unwrap().contains("SL-C 0 → 2")
        })
        .expect("a capability step for FR1");
    assert!(
        step["requirement"].as_str().unwrap().starts_with("CR 1.")
            || step["requirement"].as_str().unwrap().starts_with("EDR 1."),
        "{step}"
    );
    assert!(step["action"].as_str().unwrap().contains("X PLC 5000"));
    assert!(
        doc["inputs"]["components"]["sha256"]
            .as_str()
            .unwrap()
            .len()
            == 64
    );
    // Meet every FR1 row up to SL 2, as the components report lists them.
    let (json, err, code) = run(&dir, &["assess", "components", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&json).unwrap();
    let rows: Vec<String> = report[0]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["fr"] == 1 && m["level"].as_u64().unwrap() <= 2)
        .flat_map(|m| m["requirements"].as_array().unwrap().iter())
        .map(|r| format!("\"{}\"", r["id"].as_str().unwrap()))
        .collect();
    assert!(!rows.is_empty());
    std::fs::write(dir.join("components.toml"), product(&rows.join(", "))).unwrap();
    let doc = assess_json(&dir, &[]);
    let zone = scope(&doc, "zones", "control");
    assert_eq!(zone["sl_c"]["FR1"], 2, "{}", zone["sl_c"]);
    assert_eq!(zone["sl_c"]["FR2"], 0, "{}", zone["sl_c"]);
    assert!(!doc["remediation"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["scope"] == "control" && a["raises"].as_str().unwrap().contains("FR1 SL-C")));
    let (text, _, _) = run(&dir, &["assess", "plant.pcap"]);
    assert!(text.contains("Capability of the zones' products"), "{text}");
    assert!(text.contains("X PLC 5000 on"), "{text}");
    // The snapshot diff says in words that the capability rose.
    let (_, err, code) = run(&dir, &["assess", "--snapshot", "plant.pcap"]);
    assert_eq!(code, 0, "{err}");
    let mut snapshots: Vec<PathBuf> = std::fs::read_dir(dir.join(".zonewarden/assessments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(snapshots.len(), 2, "the components file is an input");
    snapshots.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
    let (text, err, code) = run(
        &dir,
        &[
            "assess",
            "diff",
            snapshots[0].to_str().unwrap(),
            snapshots[1].to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("SL-C FR1 in zone control: 0 → 2"), "{text}");
    // A broken components file is a usage error naming the line.
    std::fs::write(
        dir.join("components.toml"),
        "[[component]]\nid = \"x\"\ntype = \"toaster\"\n",
    )
    .unwrap();
    let (_, err, code) = run(&dir, &["assess", "plant.pcap"]);
    assert_eq!(code, 2);
    assert!(err.contains("components.toml:"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// OPC UA is judged by the security policy its server opened channels with: the ICSNPP
/// capture's server only ever opens SecurityPolicy None, so the conduit carries cleartext.
#[test]
fn opcua_with_security_policy_none_is_cleartext_on_the_conduit() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let capture = pcaps.join("opcua/icsnpp_opcua_with-gap_with-handshake.pcap");
    let dir = std::env::temp_dir().join(format!("zonewarden-assess-{}-opcua", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("zones.toml"),
        r#"[[zone]]
id = "scada"
sl_t = 2
members = ["192.168.11.33/32"]

[[zone]]
id = "field"
sl_t = 2
members = ["192.168.11.34/32"]

[[conduit]]
id = "scada-field"
zones = ["scada", "field"]
sl_t = 2

  [[conduit.rule]]
  protocol = "opcua"
"#,
    )
    .unwrap();
    let (out, err, code) = run(
        &dir,
        &["assess", "--format", "json", capture.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let conduit = scope(&doc, "conduits", "scada-field");
    let integrity = requirement(conduit, "SR 3.1 RE(1)");
    assert_eq!(integrity["status"], "fail", "{integrity}");
    let summary = integrity["evidence"][0]["summary"].as_str().unwrap();
    assert!(
        summary.contains("opcua with SecurityPolicy None"),
        "{summary}"
    );
    assert_eq!(requirement(conduit, "SR 4.1 RE(2)")["status"], "fail");
    let _ = std::fs::remove_dir_all(&dir);
}
