//! The OSCAL assessment-results output against NIST's OSCAL 1.1 JSON schema
//! (tests/data/oscal_assessment-results_schema.json, provenance in tests/data/README.md):
//! a small assessment with every status and provenance validates, broken copies of its
//! output do not, the output is deterministic, and every reference inside it resolves.

// Test code: a failed expectation should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{json, Value};
use std::collections::BTreeSet;
use zonewarden_assess::oscal::{to_oscal, NS, OSCAL_VERSION};
use zonewarden_assess::Assessment;

fn validator() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/oscal_assessment-results_schema.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(
        schema["$id"], "http://csrc.nist.gov/ns/oscal/1.1.3/oscal-ar-schema.json",
        "the schema README names this version"
    );
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"))
}

/// Every schema error, one per line, with where in the document it is.
fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value) {
    let errs = errors(v, doc);
    assert!(
        errs.is_empty(),
        "not valid OSCAL ({} error(s)):\n{}\n\ndocument:\n{}",
        errs.len(),
        errs.join("\n"),
        serde_json::to_string_pretty(doc).unwrap()
    );
}

const CAPTURE: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// A zone with a requirement of every status and provenance (observed, attested with and
/// without evidence named, unknown, a disagreement note, one taken from the conduit), a
/// conduit with FRs that have no requirements, evidence with devices, flows and a capture
/// hash, and a remediation plan.
fn sample() -> Assessment {
    let doc = json!({
        "version": 1,
        "plant": "Demo plant",
        "as_of": "2026-01-01T00:00:59.994008000Z",
        "inputs": {
            "model": {"path": "zones.toml", "sha256": "1111111111111111111111111111111111111111111111111111111111111111"},
            "attestations": {"path": "attestations.toml", "sha256": "2222222222222222222222222222222222222222222222222222222222222222"},
            "captures": [{"path": "captures/plant 1.pcap", "sha256": CAPTURE}]
        },
        "zones": [{
            "id": "control", "kind": "zone", "name": "Control network", "criticality": "high", "assets": 3,
            "sl_t": {"FR1": 2, "FR2": 2, "FR3": 2, "FR4": 1, "FR5": 2, "FR6": 1, "FR7": 1},
            "sl_a": {"FR1": 0, "FR2": 1, "FR3": 0, "FR4": 1, "FR5": 0, "FR6": 1, "FR7": 0},
            "gap": {"FR1": 2, "FR2": 1, "FR3": 2, "FR4": 0, "FR5": 2, "FR6": 0, "FR7": 1},
            "requirements": [
                {"id": "SR 1.2", "title": "Software process and device identification and authentication", "fr": 1, "min_level": 2,
                 "status": "fail", "provenance": "observed",
                 "evidence": [{"rule": "unauthenticated-industrial", "status": "fail",
                               "summary": "3 device(s) answer Modbus without authentication",
                               "assets": ["plc-1", "hmi-1"],
                               "flows": ["tcp 10.0.1.10 -> 10.0.1.3:502 (modbus)"],
                               "captures": [CAPTURE]}],
                 "attestation": {"status": "implemented", "by": "A. Engineer", "date": "2026-11-30", "line": 12},
                 "note": "attested implemented (line 12), but the traffic shows the gap"},
                {"id": "SR 1.1", "title": "Human user identification and authentication", "fr": 1, "min_level": 1,
                 "status": "pass", "provenance": "attested", "evidence": [],
                 "attestation": {"status": "implemented", "by": "A. Engineer", "date": "2026-11-30",
                                 "evidence": "AD group policy export, ticket OT-123", "line": 4}},
                {"id": "SR 2.8", "title": "Auditable events", "fr": 2, "min_level": 1,
                 "status": "partial", "provenance": "observed",
                 "evidence": [{"rule": "log-forwarding", "status": "partial",
                               "summary": "1 of 2 log-capable devices sends syslog",
                               "assets": ["hmi-1"], "captures": [CAPTURE, "0000000000000000000000000000000000000000000000000000000000000000"]}]},
                {"id": "SR 4.2", "title": "Information persistence", "fr": 4, "min_level": 2,
                 "status": "not-applicable", "provenance": "attested", "evidence": [],
                 "attestation": {"status": "not-applicable", "by": "B. Owner", "reason": "no shared\nmedia",
                                 "compensating_control": "  locked cabinet  ", "line": 20}},
                {"id": "SR 3.1", "title": "Communication integrity", "fr": 3, "min_level": 1,
                 "status": "partial", "provenance": "observed",
                 "evidence": [{"rule": "conduits", "status": "partial", "summary": "conduit control-dmz: partial"}]},
                {"id": "SR 7.6", "title": "Network and security configuration settings", "fr": 7, "min_level": 1,
                 "status": "unknown", "provenance": "unknown", "evidence": [],
                 "attestation": {"status": "unknown", "line": 30}}
            ]
        }],
        "conduits": [{
            "id": "control-dmz", "kind": "conduit", "criticality": "high", "assets": 0,
            "sl_t": {"FR1": 2, "FR2": null, "FR3": 2, "FR4": 1, "FR5": 2, "FR6": null, "FR7": null},
            "sl_a": {"FR1": 0, "FR2": null, "FR3": 0, "FR4": 0, "FR5": 1, "FR6": null, "FR7": null},
            "gap": {"FR1": 2, "FR2": null, "FR3": 2, "FR4": 1, "FR5": 1, "FR6": null, "FR7": null},
            "requirements": [
                {"id": "SR 3.1", "title": "Communication integrity", "fr": 3, "min_level": 1,
                 "status": "partial", "provenance": "observed",
                 "evidence": [{"rule": "cleartext-conduit", "status": "partial", "summary": "cleartext Modbus crosses the conduit",
                               "flows": ["tcp 10.0.1.10 -> 10.0.1.3:502 (modbus)"], "captures": [CAPTURE]}]},
                {"id": "SR 3.1 RE(1)", "title": "Cryptographic integrity protection", "fr": 3, "min_level": 2,
                 "status": "fail", "provenance": "observed",
                 "evidence": [{"rule": "cleartext-conduit", "status": "fail", "summary": "no cryptographic integrity", "captures": [CAPTURE]}]},
                {"id": "SR 5.2", "title": "Zone boundary protection", "fr": 5, "min_level": 1,
                 "status": "pass", "provenance": "observed",
                 "evidence": [{"rule": "conduit-rules", "status": "pass", "summary": "all traffic keeps to the conduit's rules", "captures": [CAPTURE]}]}
            ]
        }],
        "remediation": [
            {"rank": 1, "scope": "control", "scope_kind": "zone", "requirement": "SR 1.2",
             "title": "Software process and device identification and authentication", "status": "fail", "fr": 1,
             "raises": "FR1 SL-A 0 → 2 (with 1 other requirement(s))", "score": 2.25,
             "action": "Authenticate devices and software processes."},
            {"rank": 2, "scope": "control-dmz", "scope_kind": "conduit", "requirement": "SR 3.1 RE(1)",
             "title": "Cryptographic integrity protection", "status": "fail", "fr": 3,
             "raises": "FR3 SL-A 0 → 2", "score": 1.5,
             "action": "Add cryptographic integrity on the conduit."},
            {"rank": 3, "scope": "control", "scope_kind": "zone", "requirement": "SR 7.6",
             "title": "Network and security configuration settings", "status": "unknown", "fr": 7,
             "raises": "FR7 SL-A 0 → 1", "score": 1.0,
             "action": "Find out whether SR 7.6 is in place and record it in attestations.toml."}
        ]
    });
    serde_json::from_value(doc).expect("the sample is an Assessment")
}

fn results(doc: &Value) -> &Value {
    &doc["assessment-results"]["results"][0]
}

fn uuids(items: &Value) -> BTreeSet<String> {
    items
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| i["uuid"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn output_is_valid_oscal() {
    let v = validator();
    let doc = to_oscal(&sample());
    assert_valid(&v, &doc);
    assert_eq!(
        doc["assessment-results"]["metadata"]["oscal-version"],
        OSCAL_VERSION
    );
}

#[test]
fn broken_output_is_refused() {
    let v = validator();
    let doc = to_oscal(&sample());

    let mut no_plan = doc.clone();
    no_plan["assessment-results"]
        .as_object_mut()
        .unwrap()
        .remove("import-ap");
    assert!(!v.is_valid(&no_plan), "a document without import-ap passed");

    let mut bad_state = doc.clone();
    results(&doc)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .position(|f| f["target"]["status"]["state"] == "not-satisfied")
        .map(|i| {
            bad_state["assessment-results"]["results"][0]["findings"][i]["target"]["status"]
                ["state"] = json!("partially-satisfied");
        })
        .unwrap();
    assert!(!v.is_valid(&bad_state), "an unknown finding state passed");

    let mut bad_uuid = doc.clone();
    bad_uuid["assessment-results"]["uuid"] = json!("not-a-uuid");
    assert!(!v.is_valid(&bad_uuid), "a malformed UUID passed");

    let mut bad_time = doc.clone();
    bad_time["assessment-results"]["metadata"]["last-modified"] = json!("2026-01-01T00:00:00");
    assert!(!v.is_valid(&bad_time), "a time without a time zone passed");

    let mut bad_control = doc.clone();
    bad_control["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] =
        json!("SR 1.2");
    assert!(
        !v.is_valid(&bad_control),
        "a control id with a blank passed"
    );

    let mut unknown_field = doc.clone();
    unknown_field["assessment-results"]["results"][0]["findings"][0]["severity"] = json!("high");
    assert!(
        !v.is_valid(&unknown_field),
        "a field OSCAL does not define passed"
    );

    let mut empty_prop = doc;
    empty_prop["assessment-results"]["metadata"]["props"][0]["value"] = json!(" padded ");
    assert!(
        !v.is_valid(&empty_prop),
        "a property value with surrounding blanks passed"
    );
}

#[test]
fn output_is_deterministic() {
    let a = sample();
    let first = to_oscal(&a);
    let second = to_oscal(&a);
    assert_eq!(first, second);
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
    // Other inputs, another document; the same plant, scope and requirement, the same finding.
    let mut other = sample();
    other.inputs.captures[0].sha256 = "ab".repeat(32);
    let third = to_oscal(&other);
    assert_ne!(
        first["assessment-results"]["uuid"],
        third["assessment-results"]["uuid"]
    );
    assert_eq!(
        uuids(&results(&first)["findings"]),
        uuids(&results(&third)["findings"])
    );
}

#[test]
fn references_resolve() {
    let doc = to_oscal(&sample());
    let result = results(&doc);
    let reviewed: BTreeSet<&str> = result["reviewed-controls"]["control-selections"][0]
        ["include-controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["control-id"].as_str().unwrap())
        .collect();
    let findings = result["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 9, "one finding per requirement per scope");
    for f in findings {
        let target = f["target"]["target-id"].as_str().unwrap();
        assert!(
            reviewed.contains(target),
            "{target} is not a reviewed control"
        );
    }
    assert!(reviewed.contains("sr-3.1_re-1") && reviewed.contains("sr-1.2"));

    let observations = uuids(&result["observations"]);
    let risks = uuids(&result["risks"]);
    for f in findings {
        for o in f["related-observations"].as_array().into_iter().flatten() {
            assert!(observations.contains(o["observation-uuid"].as_str().unwrap()));
        }
        for r in f["related-risks"].as_array().into_iter().flatten() {
            assert!(risks.contains(r["risk-uuid"].as_str().unwrap()));
        }
    }
    // Every risk hangs on a finding.
    let linked: BTreeSet<&str> = findings
        .iter()
        .flat_map(|f| f["related-risks"].as_array().into_iter().flatten())
        .map(|r| r["risk-uuid"].as_str().unwrap())
        .collect();
    assert_eq!(linked.len(), risks.len());

    let components = uuids(&result["local-definitions"]["components"]);
    let items = uuids(&result["local-definitions"]["inventory-items"]);
    let resources = uuids(&doc["assessment-results"]["back-matter"]["resources"]);
    for o in result["observations"].as_array().unwrap() {
        for s in o["subjects"].as_array().into_iter().flatten() {
            let id = s["subject-uuid"].as_str().unwrap();
            match s["type"].as_str().unwrap() {
                "component" => assert!(components.contains(id)),
                "inventory-item" => assert!(items.contains(id)),
                other => panic!("subject type {other}"),
            }
        }
        for e in o["relevant-evidence"].as_array().into_iter().flatten() {
            if let Some(href) = e["href"].as_str() {
                let id = href.strip_prefix('#').unwrap();
                assert!(resources.contains(id), "{href}");
            }
        }
    }

    assert_uuids_distinct(&doc);
}

/// No UUID names two things.
fn assert_uuids_distinct(doc: &Value) {
    fn collect(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(u)) = m.get("uuid") {
                    out.push(u.clone());
                }
                m.values().for_each(|x| collect(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    collect(doc, &mut all);
    let distinct: BTreeSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), all.len(), "duplicate UUIDs");
}

fn finding<'a>(doc: &'a Value, scope: &str, requirement: &str) -> &'a Value {
    let has = |f: &Value, name: &str, value: &str| {
        f["props"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == name && p["value"] == value && p["ns"] == NS)
    };
    results(doc)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| has(f, "scope", scope) && has(f, "requirement", requirement))
        .unwrap_or_else(|| panic!("no finding for {requirement} in {scope}"))
}

fn observation<'a>(doc: &'a Value, uuid: &str) -> &'a Value {
    results(doc)["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["uuid"] == uuid)
        .unwrap()
}

fn methods(doc: &Value, f: &Value) -> Vec<String> {
    f["related-observations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            observation(doc, r["observation-uuid"].as_str().unwrap())["methods"][0]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn statuses_and_methods_map() {
    let doc = to_oscal(&sample());
    let state = |f: &Value| {
        (
            f["target"]["status"]["state"].as_str().unwrap().to_string(),
            f["target"]["props"][0]["value"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    };
    let cases = [
        ("SR 1.2", "not-satisfied", "fail"),
        ("SR 1.1", "satisfied", "pass"),
        ("SR 2.8", "not-satisfied", "partial"),
        ("SR 4.2", "satisfied", "not-applicable"),
        ("SR 7.6", "not-satisfied", "unknown"),
    ];
    for (req, oscal, ours) in cases {
        let f = finding(&doc, "control", req);
        assert_eq!(state(f), (oscal.to_string(), ours.to_string()), "{req}");
        assert_eq!(f["target"]["type"], "objective-id");
    }
    // Traffic, then the attestation it outranks (no evidence named: someone's word).
    let f = finding(&doc, "control", "SR 1.2");
    assert_eq!(methods(&doc, f), ["TEST", "INTERVIEW"]);
    assert!(f["remarks"]
        .as_str()
        .unwrap()
        .contains("traffic shows the gap"));
    // An answer that names its evidence was examined.
    assert_eq!(
        methods(&doc, finding(&doc, "control", "SR 1.1")),
        ["EXAMINE"]
    );
    // An unanswered question is no observation.
    assert!(finding(&doc, "control", "SR 7.6")
        .get("related-observations")
        .is_none());
    // Not applicable keeps its reason, cleaned to one line.
    let na = finding(&doc, "control", "SR 4.2");
    assert_eq!(
        na["target"]["implementation-status"]["state"],
        "not-applicable"
    );
    assert!(na["remarks"].as_str().unwrap().contains("no shared media"));
    // Capture hashes are evidence, linked to the capture's resource when it is an input.
    let obs = observation(
        &doc,
        finding(&doc, "control", "SR 2.8")["related-observations"][0]["observation-uuid"]
            .as_str()
            .unwrap(),
    );
    let evidence = obs["relevant-evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 2);
    assert!(evidence[0]["description"]
        .as_str()
        .unwrap()
        .contains(CAPTURE));
    assert!(evidence[0]["href"].as_str().unwrap().starts_with('#'));
    assert!(evidence[1].get("href").is_none());
    // The control id of an enhancement.
    assert_eq!(
        finding(&doc, "control-dmz", "SR 3.1 RE(1)")["target"]["target-id"],
        "sr-3.1_re-1"
    );
}

#[test]
fn levels_are_result_properties() {
    let doc = to_oscal(&sample());
    let props = results(&doc)["props"].as_array().unwrap();
    let find = |name: &str, class: &str, group: &str| {
        props
            .iter()
            .find(|p| p["name"] == name && p["class"] == class && p["group"] == group)
            .map(|p| p["value"].as_str().unwrap().to_string())
    };
    assert!(props
        .iter()
        .any(|p| p["name"] == "scope" && p["group"] == "zone-1" && p["value"] == "control"));
    assert!(props
        .iter()
        .any(|p| p["name"] == "scope" && p["group"] == "conduit-1" && p["value"] == "control-dmz"));
    assert_eq!(find("sl-t", "fr1", "zone-1").as_deref(), Some("2"));
    assert_eq!(find("sl-a", "fr2", "zone-1").as_deref(), Some("1"));
    assert_eq!(find("sl-gap", "fr3", "zone-1").as_deref(), Some("2"));
    assert_eq!(find("sl-t", "fr3", "conduit-1").as_deref(), Some("2"));
    // An FR without conduit requirements has no level.
    assert_eq!(find("sl-t", "fr2", "conduit-1"), None);
}

#[test]
fn edge_cases_stay_valid() {
    let v = validator();
    // No packet time, odd paths, no attestation file, no plant name.
    let mut a = sample();
    a.as_of = None;
    a.plant = None;
    a.inputs.attestations = None;
    a.inputs.model.path = "C:\\plants\\my plant\\zones.toml".into();
    let again = a.inputs.captures[0].clone();
    a.inputs.captures.push(again);
    let doc = to_oscal(&a);
    assert_valid(&v, &doc);
    assert_uuids_distinct(&doc);
    assert_eq!(
        doc["assessment-results"]["metadata"]["last-modified"],
        "1970-01-01T00:00:00Z"
    );
    // A time OSCAL does not accept is not copied.
    a.as_of = Some("yesterday".into());
    assert_valid(&v, &to_oscal(&a));
    // Nothing assessed at all.
    let empty: Assessment = serde_json::from_value(json!({
        "version": 1,
        "inputs": {"model": {"path": "", "sha256": ""}, "captures": []},
        "zones": [], "conduits": [], "remediation": []
    }))
    .unwrap();
    assert_valid(&v, &to_oscal(&empty));
}

/// `ZONEWARDEN_ASSESSMENT=assessment.json cargo test -p zonewarden-assess --test oscal --
/// --ignored`: the OSCAL of a real assessment (`zonewarden assess --format json`) validates.
#[test]
#[ignore = "needs an assessment file named by ZONEWARDEN_ASSESSMENT"]
fn an_assessment_file_is_valid_oscal() {
    let path = std::env::var("ZONEWARDEN_ASSESSMENT").expect("ZONEWARDEN_ASSESSMENT");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let a: Assessment = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc = to_oscal(&a);
    assert_valid(&validator(), &doc);
    let result = results(&doc);
    let count = |key: &str| result[key].as_array().map_or(0, Vec::len);
    println!(
        "{path}: valid; {} finding(s), {} observation(s), {} risk(s), {} bytes",
        count("findings"),
        count("observations"),
        count("risks"),
        serde_json::to_string(&doc).unwrap().len()
    );
}
