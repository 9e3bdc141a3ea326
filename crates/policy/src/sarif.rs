//! SARIF 2.1.0 for code-scanning tools: each violation is a result located at the line of
//! the zones file it concerns (the conduit, the zone, or the file's start for a device in no
//! zone), so a review tool shows it on the model a merge request changes.

use crate::check::{CheckReport, Kind, Severity};
use serde_json::{json, Value};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// `model_uri`: the model file as the repository names it (relative path).
pub fn to_sarif(report: &CheckReport, model_uri: &str) -> Value {
    let rules: Vec<Value> = Kind::ALL
        .iter()
        .map(|k| {
            json!({
                "id": k.id(),
                "name": k.name(),
                "shortDescription": { "text": k.summary() },
                "fullDescription": { "text": k.summary() },
                "defaultConfiguration": { "level": default_level(*k) },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .violations
        .iter()
        .map(|v| {
            let rule_index = Kind::ALL.iter().position(|k| *k == v.kind).unwrap_or(0);
            let mut properties = serde_json::Map::new();
            for (key, value) in [
                ("conduit", v.conduit.clone()),
                ("clientZone", v.client_zone.clone()),
                ("serverZone", v.server_zone.clone()),
                ("asset", v.asset.clone()),
                ("client", v.client.clone()),
                ("server", v.server.clone()),
                ("protocol", v.protocol.map(str::to_string)),
                ("operation", v.operation.map(str::to_string)),
                ("firstSeen", v.first_ts.map(|t| t.to_string())),
                ("lastSeen", v.last_ts.map(|t| t.to_string())),
            ] {
                if let Some(value) = value {
                    properties.insert(key.to_string(), Value::String(value));
                }
            }
            properties.insert("flows".into(), json!(v.flows));
            properties.insert("count".into(), json!(v.count));
            if let Some(port) = v.port {
                properties.insert("port".into(), json!(port));
            }
            // Stable across runs over the same traffic, so tools track a finding over time.
            let fingerprint = format!(
                "{}|{}|{}|{}|{}|{}|{}",
                v.kind.name(),
                v.conduit.as_deref().unwrap_or(""),
                v.asset.as_deref().unwrap_or(""),
                v.client.as_deref().unwrap_or(""),
                v.server.as_deref().unwrap_or(""),
                v.port.map(|p| p.to_string()).unwrap_or_default(),
                v.operation.unwrap_or("")
            );
            json!({
                "ruleId": v.rule_id,
                "ruleIndex": rule_index,
                "level": match v.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": { "text": v.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": model_uri, "index": 0 },
                        "region": { "startLine": v.line.max(1) }
                    }
                }],
                "partialFingerprints": { "zonewardenViolation/v1": fingerprint },
                "properties": properties,
            })
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "zonewarden",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "artifacts": [{ "location": { "uri": model_uri } }],
            "results": results,
            "properties": {
                "assets": report.assets,
                "unassigned": report.unassigned,
                "conversations": report.conversations,
            }
        }]
    })
}

fn default_level(kind: Kind) -> &'static str {
    match kind {
        Kind::CleartextIntegrity | Kind::CleartextConfidentiality => "warning",
        _ => "error",
    }
}
