//! Reading and validating zones files: the shipped example, and each problem the parser
//! refuses, reported on the line a reviewer has to edit.

use super::*;

/// The 1-based line of the `nth` (0-based) line of `text` that contains `needle`.
fn nth_line_of(text: &str, needle: &str, nth: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(nth)
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} (#{nth}) is not in the text"))
}

fn line_of(text: &str, needle: &str) -> usize {
    nth_line_of(text, needle, 0)
}

fn errors(text: &str) -> Vec<ModelError> {
    match parse("zones.toml", text) {
        Ok(_) => panic!("the model parsed, but it has an error:\n{text}"),
        Err(ModelErrors(list)) => list,
    }
}

/// The single error of a model with exactly one problem, checked for its line and that
/// its message names the problem.
fn the_error(text: &str, line: usize, says: &[&str]) -> ModelError {
    let list = errors(text);
    assert_eq!(list.len(), 1, "expected one error, got {list:#?}");
    let e = list.into_iter().next().unwrap();
    assert_eq!(e.line, line, "wrong line for {e}");
    assert_eq!(e.file, "zones.toml");
    assert!(e.column >= 1, "{e}");
    for s in says {
        assert!(e.message.contains(s), "{e:?} does not say {s:?}");
    }
    e
}

/// Two zones and a conduit between them; tests append rules to the conduit.
const TWO_ZONES: &str = r#"[[asset]]
name = "EWS-1"
match = "10.0.2.13"

[[zone]]
id = "cell"
members = ["10.0.1.0/24"]

[[zone]]
id = "scada"
members = ["10.0.2.0/24"]

[[zone]]
id = "office"
members = ["10.0.4.0/24"]

[[conduit]]
id = "scada-cell"
zones = ["scada", "cell"]
direction = "one-way"
"#;

fn with_rule(rule: &str) -> String {
    format!("{TWO_ZONES}  [[conduit.rule]]\n{rule}")
}

#[test]
fn the_example_parses_with_the_expected_counts() {
    let text = crate::EXAMPLE_ZONES;
    let m = parse("zones.toml", text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.path, "zones.toml");
    assert_eq!(m.plant.as_deref(), Some("Demo plant"));
    let ids: Vec<&str> = m.zones.iter().map(|z| z.id.as_str()).collect();
    assert_eq!(
        ids,
        ["control", "supervisory", "operations", "enterprise"],
        "zones in file order"
    );
    assert_eq!(m.conduits.len(), 2);
    assert_eq!(m.assets.len(), 3);
    let rules: Vec<usize> = m.conduits.iter().map(|c| c.rules.len()).collect();
    assert_eq!(rules, [5, 1]);
    assert!(m.zones.iter().all(|z| z.rules.is_empty()));

    let control = &m.zones[0];
    assert_eq!(control.line, line_of(text, "id = \"control\"") - 1);
    assert_eq!(control.sl_t, SlVector([2, 2, 2, 1, 2, 1, 2]));
    assert_eq!(control.sl_t.fr(3), 2);
    assert_eq!(control.sl_t.fr(4), 1);
    assert_eq!(control.sl_t.fr(0), 0);
    assert_eq!(control.sl_t.fr(8), 0);
    assert_eq!(control.purdue_level, Some(1));
    assert_eq!(control.criticality.as_deref(), Some("high"));
    assert_eq!(control.members.len(), 1);
    assert_eq!(
        control.members[0].1,
        line_of(text, "members = [\"10.10.1.0/24\"]")
    );
    assert_eq!(m.zones[1].sl_t, SlVector::uniform(2));

    let sc = &m.conduits[0];
    assert_eq!(sc.id, "supervisory-control");
    assert_eq!(sc.line, line_of(text, "id = \"supervisory-control\"") - 1);
    assert_eq!(sc.zones, [1, 0], "first zone: the client side");
    assert_eq!(sc.direction, ConduitDirection::OneWay);
    assert_eq!(sc.controls, [Control::Firewall]);
    assert!(!sc.protected_in_transit());
    let first = &sc.rules[0];
    assert_eq!(
        first.line,
        line_of(text, "  [[conduit.rule]]"),
        "a rule's line is its header's"
    );
    assert_eq!(first.protocol, RuleProtocol::App(Protocol::Modbus));
    assert_eq!(
        first.classes,
        Some([OpClass::Read, OpClass::Diagnostic].into_iter().collect())
    );
    assert!(first.allows_operation(OpClass::Read, "Read Coils", 1));
    assert!(!first.allows_operation(OpClass::Write, "Write Single Coil", 5));
    let ews = &sc.rules[4];
    assert_eq!(ews.protocol, RuleProtocol::Any);
    assert_eq!(ews.clients, [Selector::Asset("EWS-1".into())]);
    assert!(!ews.limits_operations());
    assert!(ews.allows_operation(OpClass::Program, "Download Block", 0x1b));

    let historian = &m.conduits[1].rules[0];
    assert_eq!(historian.protocol, RuleProtocol::App(Protocol::Tls));
    assert_eq!(historian.ports, [(443, 443)]);
    assert_eq!(historian.servers, [Selector::parse("10.10.3.10").unwrap()]);
    assert_eq!(m.assets[2].name, "EWS-1");
    assert_eq!(m.assets[2].tags, ["engineering"]);
    assert_eq!(m.assets[2].line, line_of(text, "name = \"EWS-1\"") - 1);
}

#[test]
fn security_levels_in_all_three_forms() {
    let text = r#"[[zone]]
id = "a"
sl_t = 3
[[zone]]
id = "b"
sl_t = [0, 1, 2, 3, 4, 3, 2]
[[zone]]
id = "c"
sl_t = { FR1 = 1, FR2 = 2, FR3 = 3, FR4 = 4, FR5 = 0, FR6 = 1, FR7 = 2 }
[[zone]]
id = "d"
"#;
    let m = parse("zones.toml", text).unwrap();
    let levels: Vec<SlVector> = m.zones.iter().map(|z| z.sl_t).collect();
    assert_eq!(
        levels,
        [
            SlVector::uniform(3),
            SlVector([0, 1, 2, 3, 4, 3, 2]),
            SlVector([1, 2, 3, 4, 0, 1, 2]),
            SlVector::uniform(1),
        ]
    );
}

#[test]
fn a_toml_syntax_error_stops_the_reading_at_its_line() {
    let text = "[plant]\nname = \"p\"\n\n[[zone]]\nid = \"cell\nmembers = []\n";
    let e = the_error(text, 5, &["string"]);
    assert_eq!(
        e.to_string(),
        format!("zones.toml:5:{}: {}", e.column, e.message)
    );
}

#[test]
fn an_unknown_key_is_an_error_not_ignored() {
    let text = with_rule("  protocol = \"modbus\"\n  port = [502]\n");
    the_error(
        &text,
        line_of(&text, "port = [502]"),
        &["unknown field `port`", "ports"],
    );
    let text = "[[zone]]\nid = \"a\"\nmember = [\"10.0.0.0/24\"]\n";
    the_error(text, 3, &["unknown field `member`"]);
    let text = "[plant]\nname = \"p\"\nsite = \"x\"\n";
    the_error(text, 3, &["unknown field `site`"]);
}

#[test]
fn a_zone_declared_twice() {
    let text = "[[zone]]\nid = \"cell\"\n\n[[zone]]\nid = \"cell\"\n";
    the_error(text, 5, &["zone \"cell\" is declared twice"]);
}

#[test]
fn a_conduit_to_an_unknown_zone() {
    let text =
        "[[zone]]\nid = \"cell\"\n\n[[conduit]]\nid = \"k\"\nzones = [\"cell\",\n  \"scada\"]\n";
    the_error(text, 7, &["unknown zone \"scada\""]);
}

#[test]
fn a_conduit_joining_a_zone_to_itself() {
    let text = "[[zone]]\nid = \"cell\"\n\n[[conduit]]\nid = \"k\"\nzones = [\"cell\", \"cell\"]\n";
    the_error(text, 6, &["joins zone \"cell\" to itself"]);
    let text = "[[zone]]\nid = \"cell\"\n\n[[conduit]]\nid = \"k\"\nzones = [\"cell\"]\n";
    the_error(text, 6, &["two zones, not 1"]);
}

#[test]
fn overlapping_networks_in_two_zones() {
    let text = r#"[[zone]]
id = "site"
members = ["10.0.0.0/16"]

[[zone]]
id = "cell"
members = [
  "10.0.1.0/24",
]
"#;
    the_error(
        text,
        line_of(text, "\"10.0.1.0/24\""),
        &[
            "overlapping members",
            "10.0.1.0/24",
            "10.0.0.0/16",
            "\"cell\"",
            "\"site\"",
        ],
    );
    // Adjacent networks do not overlap; one zone may repeat itself.
    let text = r#"[[zone]]
id = "a"
members = ["10.0.0.0/24", "10.0.0.0/25"]
[[zone]]
id = "b"
members = ["10.0.1.0/24"]
"#;
    parse("zones.toml", text).unwrap();
}

#[test]
fn the_same_mac_in_two_zones() {
    let text = r#"[[zone]]
id = "cell"
members = ["mac:00:1b:1b:01:02:03"]

[[zone]]
id = "scada"
members = ["00-1B-1B-01-02-03"]
"#;
    the_error(
        text,
        7,
        &[
            "overlapping members",
            "mac:00:1b:1b:01:02:03",
            "\"cell\"",
            "\"scada\"",
        ],
    );
}

#[test]
fn security_levels_out_of_range_and_vectors_of_the_wrong_length() {
    let text = "[[zone]]\nid = \"a\"\nsl_t = 5\n";
    the_error(text, 3, &["security level 5 is outside 0-4"]);
    let text = "[[zone]]\nid = \"a\"\n\n[[zone]]\nid = \"b\"\nsl_t = [2, 2, 2, 2, 2, 2]\n";
    the_error(text, 6, &["needs 7 levels", "has 6"]);
    let text = "[[zone]]\nid = \"a\"\nsl_t = [2, 2, -1, 2, 2, 2, 2]\n";
    the_error(text, 3, &["security level -1 is outside 0-4"]);
    let text = "[[zone]]\nid = \"a\"\nsl_t = { FR1 = 2 }\n";
    let list = errors(text);
    assert!(list.iter().all(|e| e.line == 3), "{list:#?}");
    let text = format!("{TWO_ZONES}sl_t = 9\n");
    the_error(&text, line_of(&text, "sl_t = 9"), &["security level 9"]);
    let text = "[[zone]]\nid = \"a\"\npurdue_level = 6\n";
    the_error(text, 3, &["Purdue level 6 is outside 0-5"]);
}

#[test]
fn an_unknown_protocol() {
    let text = with_rule("  protocol = \"modbuss\"\n");
    the_error(
        &text,
        line_of(&text, "modbuss"),
        &["unknown protocol \"modbuss\"", "modbus"],
    );
}

#[test]
fn a_reversed_port_range() {
    let text = with_rule("  protocol = \"tcp\"\n  ports = [80, \"600-500\"]\n");
    the_error(
        &text,
        line_of(&text, "600-500"),
        &["port range 600-500 is empty"],
    );
    let text = with_rule("  protocol = \"tcp\"\n  ports = [0]\n");
    the_error(&text, line_of(&text, "ports = [0]"), &["1-65535"]);
    let ok = with_rule("  protocol = \"tcp\"\n  ports = [80, \"8000-8080\"]\n");
    let m = parse("zones.toml", &ok).unwrap();
    assert_eq!(m.conduits[0].rules[0].ports, [(80, 80), (8000, 8080)]);
}

#[test]
fn ports_on_a_protocol_without_ports() {
    let text = with_rule("  protocol = \"any\"\n  ports = [502]\n");
    the_error(&text, line_of(&text, "\"any\""), &["has no ports"]);
    let text = with_rule("  protocol = \"icmp\"\n  ports = [7]\n");
    the_error(
        &text,
        line_of(&text, "\"icmp\""),
        &["\"icmp\" has no ports"],
    );
}

#[test]
fn a_layer_2_protocol_in_a_rule() {
    let text = with_rule("  protocol = \"goose\"\n");
    the_error(&text, line_of(&text, "goose"), &["goose lives at layer 2"]);
}

#[test]
fn an_empty_operations_list() {
    let text = with_rule("  protocol = \"modbus\"\n  operations = []\n");
    the_error(
        &text,
        line_of(&text, "operations = []"),
        &["empty operations list"],
    );
    // With codes it allows those codes.
    let ok = with_rule("  protocol = \"modbus\"\n  operations = []\n  codes = [3]\n");
    let m = parse("zones.toml", &ok).unwrap();
    let r = &m.conduits[0].rules[0];
    assert!(r.allows_operation(OpClass::Read, "Read Holding Registers", 3));
    assert!(!r.allows_operation(OpClass::Read, "Read Coils", 1));
}

#[test]
fn operations_on_a_protocol_without_operations() {
    let text = with_rule("  protocol = \"tcp\"\n  ports = [502]\n  operations = [\"read\"]\n");
    the_error(
        &text,
        line_of(&text, "operations = [\"read\"]"),
        &["\"tcp\" carries no operations"],
    );
    let text = with_rule("  protocol = \"modbus\"\n  operations = [\"reed\"]\n");
    the_error(
        &text,
        line_of(&text, "reed"),
        &["unknown operation class \"reed\""],
    );
}

#[test]
fn a_zone_selector_for_a_zone_the_conduit_does_not_join() {
    let text = with_rule("  protocol = \"modbus\"\n  clients = [\"zone:office\"]\n");
    the_error(
        &text,
        line_of(&text, "zone:office"),
        &["zone \"office\" is not joined here", "scada, cell"],
    );
    let text = with_rule("  protocol = \"modbus\"\n  servers = [\"zone:plant\"]\n");
    the_error(
        &text,
        line_of(&text, "zone:plant"),
        &["unknown zone \"plant\""],
    );
    let ok = with_rule("  protocol = \"modbus\"\n  clients = [\"zone:scada\"]\n");
    parse("zones.toml", &ok).unwrap();
}

#[test]
fn an_unknown_asset_name() {
    let text = with_rule("  protocol = \"any\"\n  clients = [\"asset:EWS-2\"]\n");
    the_error(
        &text,
        line_of(&text, "EWS-2"),
        &["asset \"EWS-2\" is neither declared"],
    );
    // Declared names and inventory ids are fine.
    let ok = with_rule(
        "  protocol = \"any\"\n  clients = [\"asset:EWS-1\", \"asset:ip:10.0.2.14\", \"asset:mac:00:1b:1b:01:02:03\"]\n",
    );
    parse("zones.toml", &ok).unwrap();
}

#[test]
fn a_one_way_conduit_whose_rule_has_clients_only_in_its_second_zone() {
    let text = with_rule("  protocol = \"modbus\"\n  clients = [\"zone:cell\"]\n");
    the_error(
        &text,
        line_of(&text, "[[conduit.rule]]"),
        &["contradiction", "one-way from \"scada\"", "all in \"cell\""],
    );
    // Bidirectional, it is fine.
    let ok = with_rule("  protocol = \"modbus\"\n  clients = [\"zone:cell\"]\n")
        .replace("direction = \"one-way\"", "direction = \"bidirectional\"");
    parse("zones.toml", &ok).unwrap();
}

#[test]
fn a_data_diode_with_a_tcp_rule() {
    let base = TWO_ZONES.replace(
        "direction = \"one-way\"",
        "direction = \"one-way\"\ncontrols = [\"data-diode\"]",
    );
    for protocol in ["tcp", "modbus"] {
        let text = format!("{base}  [[conduit.rule]]\n  protocol = \"{protocol}\"\n");
        the_error(
            &text,
            line_of(&text, &format!("protocol = \"{protocol}\"")),
            &["contradiction", "data diode", "return path"],
        );
    }
    let ok = format!("{base}  [[conduit.rule]]\n  protocol = \"syslog\"\n");
    parse("zones.toml", &ok).unwrap();
}

#[test]
fn a_data_diode_on_a_bidirectional_conduit() {
    let text = TWO_ZONES.replace(
        "direction = \"one-way\"",
        "direction = \"bidirectional\"\ncontrols = [\"data-diode\"]",
    );
    the_error(
        &text,
        line_of(&text, "direction = \"bidirectional\""),
        &["contradiction", "bidirectional"],
    );
    // Without a direction (bidirectional by default) the error points at the conduit.
    let text = TWO_ZONES.replace(
        "direction = \"one-way\"",
        "controls = [\"unidirectional-gateway\"]",
    );
    the_error(&text, line_of(&text, "[[conduit]]"), &["contradiction"]);
}

#[test]
fn other_values_are_refused_with_their_line() {
    for (snippet, says) in [
        ("criticality = \"vital\"", "criticality \"vital\""),
        ("id = \"two words\"", "must be one word"),
        ("members = [\"10.0.9.7/24\"]", "did you mean 10.0.9.0/24"),
        ("members = [\"zone:cell\"]", "cannot be a zone member"),
        ("members = [\"any\"]", "cannot be a zone member"),
    ] {
        let text = if snippet.starts_with("id") {
            format!("[[zone]]\n{snippet}\n")
        } else {
            format!("[[zone]]\nid = \"x\"\n{snippet}\n")
        };
        the_error(&text, line_of(&text, snippet), &[says]);
    }
    let text = TWO_ZONES.replace("\"one-way\"", "\"both\"");
    the_error(&text, line_of(&text, "\"both\""), &["direction \"both\""]);
    let text = format!("{TWO_ZONES}controls = [\"airgap\"]\n");
    the_error(
        &text,
        line_of(&text, "airgap"),
        &["unknown control \"airgap\""],
    );
    let text = format!("{TWO_ZONES}[[asset]]\nname = \"EWS-1\"\nmatch = \"10.0.2.14\"\n");
    the_error(
        &text,
        nth_line_of(&text, "name = \"EWS-1\"", 1),
        &["declared twice"],
    );
    let text =
        format!("{TWO_ZONES}[[conduit]]\nid = \"scada-cell\"\nzones = [\"scada\", \"office\"]\n");
    the_error(
        &text,
        nth_line_of(&text, "id = \"scada-cell\"", 1),
        &["conduit \"scada-cell\" is declared twice"],
    );
}

#[test]
fn several_errors_are_all_reported_sorted_by_line() {
    let text = r#"[[zone]]
id = "cell"
sl_t = 7
members = ["10.0.0.0/16"]

[[zone]]
id = "scada"
members = ["10.0.1.0/24"]

[[conduit]]
id = "k"
zones = ["scada", "office"]

[[conduit]]
id = "scada-cell"
zones = ["scada", "cell"]
  [[conduit.rule]]
  protocol = "modbuss"
  [[conduit.rule]]
  protocol = "any"
  ports = [1]
  [[conduit.rule]]
  protocol = "udp"
  ports = ["9-1"]
"#;
    let list = errors(text);
    let got: Vec<(usize, &str)> = list
        .iter()
        .map(|e| (e.line, e.message.split(':').next().unwrap_or("")))
        .collect();
    let expected = [
        (line_of(text, "sl_t = 7"), "sl_t"),
        (line_of(text, "10.0.1.0/24"), "overlapping members"),
        (line_of(text, "\"office\""), "conduit \"k\""),
        (line_of(text, "modbuss"), "unknown protocol \"modbuss\""),
        (
            line_of(text, "protocol = \"any\""),
            "protocol \"any\" has no ports",
        ),
        (line_of(text, "9-1"), "port range 9-1 is empty"),
    ];
    assert_eq!(got, expected, "{list:#?}");
    let mut sorted = list.clone();
    sorted.sort_by_key(|e| (e.line, e.column));
    assert_eq!(list, sorted);
    // Display: one `file:line:column: message` per line.
    let shown = ModelErrors(list.clone()).to_string();
    assert_eq!(shown.lines().count(), list.len());
    assert!(
        shown.starts_with(&format!("zones.toml:{}:", expected[0].0)),
        "{shown}"
    );
}
