//! docs/zones.schema.json against the parser: the example model is valid under the schema,
//! what the parser refuses for its shape the schema refuses too, and the schema's enums are
//! the parser's.
//!
//! The schema is checked by a small validator below that knows the keywords the schema uses
//! (`type`, `enum`, `properties`, `required`, `additionalProperties`, `items`, `minItems`,
//! `maxItems`, `minimum`, `maximum`, `minLength`, `oneOf`, local `$ref`), and refuses any
//! other keyword, so the schema cannot grow a rule that nothing here checks. `pattern` is the
//! one assertion it does not evaluate (no regex engine among our dependencies); the selector
//! patterns are exercised by hand against `Selector::parse` where they are written.

// Test code: a failed expectation should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{json, Value};
use std::collections::BTreeSet;
use zonewarden_policy::model::Control;

fn schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/zones.schema.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The TOML as the JSON document the schema describes.
fn as_json(toml_text: &str) -> Value {
    toml::from_str::<Value>(toml_text).expect("TOML")
}

/// Keywords that only annotate.
const ANNOTATIONS: [&str; 6] = [
    "$schema",
    "title",
    "description",
    "default",
    "$comment",
    "pattern",
];

/// Errors of `value` under `schema`, each with its JSON path.
fn validate(root: &Value, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(keywords) = schema.as_object() else {
        panic!("{path}: a schema is an object, not {schema}");
    };
    for (keyword, arg) in keywords {
        match keyword.as_str() {
            k if ANNOTATIONS.contains(&k) => {}
            "$defs" => {}
            "$ref" => {
                let name = arg
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/$defs/"))
                    .unwrap_or_else(|| panic!("{path}: only local $refs: {arg}"));
                let target = root
                    .pointer(&format!("/$defs/{name}"))
                    .unwrap_or_else(|| panic!("{path}: no $defs/{name}"));
                validate(root, target, value, path, errors);
            }
            "type" => {
                let ok = match arg.as_str() {
                    Some("object") => value.is_object(),
                    Some("array") => value.is_array(),
                    Some("string") => value.is_string(),
                    Some("integer") => value.is_i64() || value.is_u64(),
                    Some("number") => value.is_number(),
                    Some("boolean") => value.is_boolean(),
                    other => panic!("{path}: type {other:?} is not checked here"),
                };
                if !ok {
                    errors.push(format!("{path}: {value} is not of type {arg}"));
                }
            }
            "enum" => {
                let list = arg.as_array().expect("enum is an array");
                if !list.contains(value) {
                    errors.push(format!("{path}: {value} is not one of {arg}"));
                }
            }
            "minimum" | "maximum" => {
                if let (Some(v), Some(limit)) = (value.as_f64(), arg.as_f64()) {
                    let ok = if keyword == "minimum" {
                        v >= limit
                    } else {
                        v <= limit
                    };
                    if !ok {
                        errors.push(format!("{path}: {v} is outside the {keyword} {limit}"));
                    }
                }
            }
            "minLength" => {
                if let (Some(s), Some(n)) = (value.as_str(), arg.as_u64()) {
                    if (s.chars().count() as u64) < n {
                        errors.push(format!("{path}: {s:?} is shorter than {n}"));
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let (Some(items), Some(n)) = (value.as_array(), arg.as_u64()) {
                    let len = items.len() as u64;
                    let ok = if keyword == "minItems" {
                        len >= n
                    } else {
                        len <= n
                    };
                    if !ok {
                        errors.push(format!("{path}: {len} items, {keyword} is {n}"));
                    }
                }
            }
            "items" => {
                if let Some(items) = value.as_array() {
                    for (i, item) in items.iter().enumerate() {
                        validate(root, arg, item, &format!("{path}[{i}]"), errors);
                    }
                }
            }
            "required" => {
                if let Some(object) = value.as_object() {
                    for name in arg.as_array().expect("required is an array") {
                        let name = name.as_str().expect("required names are strings");
                        if !object.contains_key(name) {
                            errors.push(format!("{path}: {name} is required"));
                        }
                    }
                }
            }
            "properties" => {
                if let Some(object) = value.as_object() {
                    let properties = arg.as_object().expect("properties is an object");
                    for (name, v) in object {
                        if let Some(s) = properties.get(name) {
                            validate(root, s, v, &format!("{path}.{name}"), errors);
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(object) = value.as_object() {
                    let known = keywords.get("properties").and_then(Value::as_object);
                    for (name, v) in object {
                        if known.is_some_and(|k| k.contains_key(name)) {
                            continue;
                        }
                        match arg {
                            Value::Bool(false) => {
                                errors.push(format!("{path}: unknown key {name:?}"));
                            }
                            Value::Bool(true) => {}
                            s => validate(root, s, v, &format!("{path}.{name}"), errors),
                        }
                    }
                }
            }
            "oneOf" => {
                let branches = arg.as_array().expect("oneOf is an array");
                let mut inner = Vec::new();
                let matching = branches
                    .iter()
                    .filter(|b| {
                        let mut e = Vec::new();
                        validate(root, b, value, path, &mut e);
                        inner.extend(e.iter().cloned());
                        e.is_empty()
                    })
                    .count();
                if matching != 1 {
                    errors.push(format!(
                        "{path}: {value} matches {matching} of the oneOf branches ({})",
                        inner.join("; ")
                    ));
                }
            }
            other => panic!("{path}: keyword {other:?} is not checked by this test"),
        }
    }
}

fn errors(text: &str) -> Vec<String> {
    let schema = schema();
    let mut errors = Vec::new();
    validate(&schema, &schema, &as_json(text), "$", &mut errors);
    errors
}

fn parse(text: &str) -> Result<zonewarden_policy::Model, zonewarden_policy::ModelErrors> {
    zonewarden_policy::model::parse("zones.toml", text)
}

#[test]
fn the_schema_is_draft_2020_12_and_closed_where_the_parser_is() {
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    // Every object the parser reads denies unknown fields.
    assert_eq!(schema["additionalProperties"], false);
    for def in ["plant", "zone", "conduit", "rule", "asset"] {
        let d = &schema["$defs"][def];
        assert_eq!(d["type"], "object", "{def}");
        assert_eq!(d["additionalProperties"], false, "{def}");
    }
}

#[test]
fn the_example_model_is_valid_under_the_schema() {
    let text = zonewarden_policy::EXAMPLE_ZONES;
    parse(text).expect("the example parses");
    assert_eq!(errors(text), Vec::<String>::new());
}

#[test]
fn other_valid_shapes_pass_both() {
    let text = r#"
[plant]
name = "Shapes"

[[asset]]
name = "PLC-1"
match = "mac:00:1b:1b:01:02:03"

[[zone]]
id = "a"
sl_t = { FR1 = 2, FR2 = 2, FR3 = 3, FR4 = 1, FR5 = 2, FR6 = 1, FR7 = 0 }
purdue_level = 0
criticality = "critical"
members = ["10.0.0.0/24", "asset:PLC-1", "host:plc-*", "role:plc", "tag:safety"]

  [[zone.rule]]
  protocol = "modbus"
  codes = [3, "Read Coils"]

[[zone]]
id = "b"
sl_t = 4
members = ["fd00::/64"]

[[conduit]]
id = "a-b"
zones = ["a", "b"]
direction = "bidirectional"
sl_t = [1, 1, 1, 1, 1, 1, 1]
controls = ["firewall", "vpn"]
untrusted_network = true

  [[conduit.rule]]
  protocol = "tcp"
  ports = [502, "20000-20010"]
  clients = ["zone:a", "asset:PLC-1"]
  servers = ["any"]
  description = "a port range"
"#;
    if let Err(e) = parse(text) {
        panic!("{e}");
    }
    assert_eq!(errors(text), Vec::<String>::new());
}

/// A model with one table of each kind, to add a mistake to.
const BASE: &str = r#"
[plant]
name = "Base"

[[asset]]
name = "HMI-1"
match = "10.0.2.11"

[[zone]]
id = "a"
members = ["10.0.1.0/24"]

[[zone]]
id = "b"
members = ["10.0.2.0/24"]

[[conduit]]
id = "a-b"
zones = ["b", "a"]
direction = "one-way"

  [[conduit.rule]]
  protocol = "modbus"
"#;

#[test]
fn unknown_keys_fail_both_the_parser_and_the_schema() {
    assert!(parse(BASE).is_ok());
    assert_eq!(errors(BASE), Vec::<String>::new());
    let cases = [
        ("a top-level key", BASE.replacen("[plant]", "owner = \"ops\"\n[plant]", 1)),
        ("a plant key", BASE.replacen("name = \"Base\"", "name = \"Base\"\nsite = \"north\"", 1)),
        ("a zone key", BASE.replacen("id = \"a\"", "id = \"a\"\ncolour = \"red\"", 1)),
        ("a conduit key", BASE.replacen("id = \"a-b\"", "id = \"a-b\"\nbandwidth = 10", 1)),
        ("a rule key", BASE.replacen("protocol = \"modbus\"", "protocol = \"modbus\"\nport = 502", 1)),
        ("an asset key", BASE.replacen("match = \"10.0.2.11\"", "match = \"10.0.2.11\"\nvendor = \"x\"", 1)),
        ("an SL-T key", BASE.replacen("id = \"b\"", "id = \"b\"\nsl_t = { FR1 = 1, FR2 = 1, FR3 = 1, FR4 = 1, FR5 = 1, FR6 = 1, FR7 = 1, FR8 = 1 }", 1)),
    ];
    for (what, text) in cases {
        assert_ne!(text, BASE, "{what}: the replacement did not apply");
        assert!(parse(&text).is_err(), "{what}: the parser accepted\n{text}");
        let found = errors(&text);
        assert!(!found.is_empty(), "{what}: the schema accepted\n{text}");
    }
    let found = errors(&BASE.replacen("id = \"a\"", "id = \"a\"\ncolour = \"red\"", 1));
    assert_eq!(found, vec!["$.zone[0]: unknown key \"colour\"".to_string()]);
}

#[test]
fn wrong_values_fail_both_the_parser_and_the_schema() {
    let cases = [
        (
            "SL 5",
            BASE.replacen("id = \"a\"", "id = \"a\"\nsl_t = 5", 1),
        ),
        (
            "6 levels",
            BASE.replacen("id = \"a\"", "id = \"a\"\nsl_t = [1, 1, 1, 1, 1, 1]", 1),
        ),
        (
            "a partial SL table",
            BASE.replacen("id = \"a\"", "id = \"a\"\nsl_t = { FR1 = 2 }", 1),
        ),
        (
            "Purdue 6",
            BASE.replacen("id = \"a\"", "id = \"a\"\npurdue_level = 6", 1),
        ),
        (
            "criticality",
            BASE.replacen("id = \"a\"", "id = \"a\"\ncriticality = \"severe\"", 1),
        ),
        ("direction", BASE.replacen("\"one-way\"", "\"both\"", 1)),
        (
            "three zones",
            BASE.replacen("[\"b\", \"a\"]", "[\"b\", \"a\", \"a\"]", 1),
        ),
        (
            "a control",
            BASE.replacen(
                "direction = \"one-way\"",
                "direction = \"one-way\"\ncontrols = [\"airgap\"]",
                1,
            ),
        ),
        (
            "a protocol",
            BASE.replacen("\"modbus\"", "\"modbus-tcp\"", 1),
        ),
        (
            "a layer-2 protocol",
            BASE.replacen("\"modbus\"", "\"goose\"", 1),
        ),
        (
            "an operation class",
            BASE.replacen(
                "protocol = \"modbus\"",
                "protocol = \"modbus\"\noperations = [\"read\", \"erase\"]",
                1,
            ),
        ),
        (
            "port 0",
            BASE.replacen(
                "protocol = \"modbus\"",
                "protocol = \"modbus\"\nports = [0]",
                1,
            ),
        ),
        (
            "port 70000",
            BASE.replacen(
                "protocol = \"modbus\"",
                "protocol = \"modbus\"\nports = [70000]",
                1,
            ),
        ),
        (
            "a rule without protocol",
            BASE.replacen("protocol = \"modbus\"", "description = \"x\"", 1),
        ),
        (
            "a conduit without zones",
            BASE.replacen("zones = [\"b\", \"a\"]\n", "", 1),
        ),
        (
            "an asset without match",
            BASE.replacen("match = \"10.0.2.11\"\n", "", 1),
        ),
        ("a zone without id", BASE.replacen("id = \"b\"\n", "", 1)),
        (
            "untrusted_network as text",
            BASE.replacen(
                "direction = \"one-way\"",
                "direction = \"one-way\"\nuntrusted_network = \"yes\"",
                1,
            ),
        ),
        (
            "members as a string",
            BASE.replacen(
                "members = [\"10.0.1.0/24\"]",
                "members = \"10.0.1.0/24\"",
                1,
            ),
        ),
    ];
    // A pattern (not evaluated by the checker here): the parser refuses, the schema says so.
    assert!(parse(&BASE.replacen("id = \"a\"", "id = \"a b\"", 1)).is_err());
    assert_eq!(
        schema()["$defs"]["zone"]["properties"]["id"]["pattern"],
        "^\\S+$"
    );
    for (what, text) in cases {
        assert_ne!(text, BASE, "{what}: the replacement did not apply");
        assert!(parse(&text).is_err(), "{what}: the parser accepted\n{text}");
        assert!(
            !errors(&text).is_empty(),
            "{what}: the schema accepted\n{text}"
        );
    }
}

fn enum_of(pointer: &str) -> BTreeSet<String> {
    schema()
        .pointer(pointer)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no enum at {pointer}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

#[test]
fn the_schema_enums_are_the_parsers() {
    let controls: BTreeSet<String> = Control::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    assert_eq!(
        enum_of("/$defs/conduit/properties/controls/items/enum"),
        controls
    );
    // Every protocol a rule may name: any, tcp, udp, icmp and each routed protocol.
    let mut protocols: BTreeSet<String> = ["any", "tcp", "udp", "icmp"].map(str::to_string).into();
    protocols.extend(
        zonewarden_dissect::Protocol::ALL
            .into_iter()
            .filter(|p| !zonewarden_policy::protocols::is_layer2(*p))
            .map(|p| p.as_str().to_string()),
    );
    assert_eq!(
        enum_of("/$defs/rule/properties/protocol/enum"),
        protocols,
        "a dissector was added or removed: update docs/zones.schema.json"
    );
    for p in &protocols {
        let text = BASE.replacen("\"modbus\"", &format!("{p:?}"), 1);
        assert!(parse(&text).is_ok(), "{p}");
    }
    let classes = enum_of("/$defs/rule/properties/operations/items/enum");
    for class in &classes {
        assert!(
            zonewarden_policy::protocols::op_class(class).is_some(),
            "{class}"
        );
    }
    assert_eq!(classes.len(), 6);
    assert_eq!(
        enum_of("/$defs/conduit/properties/direction/enum"),
        ["bidirectional", "one-way"].map(str::to_string).into()
    );
    assert_eq!(
        enum_of("/$defs/zone/properties/criticality/enum"),
        ["low", "medium", "high", "critical"]
            .map(str::to_string)
            .into()
    );
    // The selector patterns name every role.
    let schema = schema();
    for def in ["selector", "memberSelector"] {
        let pattern = schema["$defs"][def]["pattern"].as_str().expect("a pattern");
        for role in zonewarden_inventory::ALL_ROLES {
            assert!(pattern.contains(role.as_str()), "{def}: {}", role.as_str());
        }
    }
}

#[test]
fn the_checker_itself() {
    let schema = json!({
        "type": "object",
        "required": ["a"],
        "additionalProperties": false,
        "properties": {
            "a": { "oneOf": [ { "type": "integer", "minimum": 1 }, { "type": "string" } ] },
            "b": { "type": "array", "items": { "enum": ["x"] }, "maxItems": 1 }
        }
    });
    let check = |value: Value| {
        let mut e = Vec::new();
        validate(&schema, &schema, &value, "$", &mut e);
        e
    };
    assert!(check(json!({ "a": 1, "b": ["x"] })).is_empty());
    assert!(check(json!({ "a": "s" })).is_empty());
    assert_eq!(check(json!({ "a": 0 })).len(), 1);
    assert_eq!(check(json!({ "b": ["x", "y"] })).len(), 3);
    assert_eq!(check(json!({ "a": 1, "c": 1 })).len(), 1);
    assert_eq!(check(json!({ "a": true })).len(), 1);
}

/// The TOML examples of docs/zones.md, each completed into a model where it is a fragment.
fn doc_examples() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/zones.md");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let zones = |ids: &[&str]| -> String {
        ids.iter()
            .enumerate()
            .map(|(i, id)| format!("[[zone]]\nid = {id:?}\nmembers = [\"10.99.{i}.0/24\"]\n\n"))
            .collect()
    };
    let mut out = Vec::new();
    for block in text.split("```toml\n").skip(1) {
        let block = block.split("```").next().unwrap_or_default();
        let start = block.trim_start();
        if start.starts_with("sl_t") {
            for line in block.lines().filter(|l| l.starts_with("sl_t")) {
                out.push((line.to_string(), format!("[[zone]]\nid = \"z\"\n{line}\n")));
            }
        } else if start.starts_with("[[conduit.rule]]") {
            let model = zones(&["supervisory", "control"])
                + "[[conduit]]\nid = \"c\"\nzones = [\"supervisory\", \"control\"]\n"
                + block;
            out.push((block.to_string(), model));
        } else if start.starts_with("[[conduit]]") {
            out.push((
                block.to_string(),
                zones(&["supervisory", "operations"]) + block,
            ));
        } else {
            out.push((block.to_string(), block.to_string()));
        }
    }
    out
}

#[test]
fn the_examples_in_the_reference_are_valid() {
    let examples = doc_examples();
    assert!(examples.len() >= 8, "{} examples", examples.len());
    for (block, model) in examples {
        if let Err(e) = parse(&model) {
            panic!("docs/zones.md example does not parse: {e}\n{block}");
        }
        assert_eq!(errors(&model), Vec::<String>::new(), "{block}");
    }
}
