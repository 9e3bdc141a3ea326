//! The check, one violation kind at a time: each fires exactly when it should, with the
//! conduit, line, endpoints and operation it is about; aggregation and ordering; and the
//! promise of `zones suggest` that its draft passes the traffic it was drawn from.

use super::*;
use crate::observe::OpUse;
use crate::protocols::{TCP, UDP};
use std::collections::BTreeSet;
use std::net::IpAddr;
use zonewarden_dissect::{OpClass, Protocol};
use zonewarden_inventory::Role;

// ---- helpers ----

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} is not in the model"))
}

fn device(address: &str, role: Role) -> AssetView {
    let mut v = AssetView::from_ip(ip(address));
    v.role = role;
    v.tags.insert(role.as_str().to_string());
    v
}

fn named(address: &str, role: Role, hostname: &str) -> AssetView {
    AssetView {
        hostname: Some(hostname.to_string()),
        ..device(address, role)
    }
}

fn ts(secs: u64) -> Timestamp {
    Timestamp::from_secs_nanos(1_700_000_000 + secs, 0)
}

/// One TCP flow of four packets at second `secs`, without operations.
fn conv(client: &str, server: &str, port: u16, protocol: Option<Protocol>) -> Conversation {
    Conversation {
        client: ip(client),
        server: ip(server),
        transport: TCP,
        port,
        protocol,
        operations: Vec::new(),
        flows: 1,
        packets: 4,
        bytes: 400,
        first_ts: ts(0),
        last_ts: ts(1),
        client_packets: 2,
        server_packets: 2,
        direction_guessed: false,
    }
}

fn op(name: &'static str, code: u16, class: OpClass, count: u64) -> OpUse {
    OpUse {
        name,
        code,
        class,
        count,
        first_ts: Some(ts(0)),
        last_ts: Some(ts(1)),
    }
}

fn with_ops(mut c: Conversation, ops: Vec<OpUse>) -> Conversation {
    c.operations = ops;
    c
}

fn modbus(client: &str, server: &str, ops: Vec<OpUse>) -> Conversation {
    with_ops(conv(client, server, 502, Some(Protocol::Modbus)), ops)
}

fn read_holding(count: u64) -> OpUse {
    op("Read Holding Registers", 3, OpClass::Read, count)
}

fn write_register(count: u64) -> OpUse {
    op("Write Single Register", 6, OpClass::Write, count)
}

fn download(count: u64) -> OpUse {
    op("Download Block", 0x1b, OpClass::Program, count)
}

fn run(text: &str, views: Vec<AssetView>, conversations: &[Conversation]) -> CheckReport {
    let model = crate::model::parse("zones.toml", text).unwrap_or_else(|e| panic!("{e}"));
    let resolution = Resolution::from_views(&model, views);
    check(&model, &resolution, conversations)
}

fn of_kind(report: &CheckReport, kind: Kind) -> Vec<&Violation> {
    report
        .violations
        .iter()
        .filter(|v| v.kind == kind)
        .collect()
}

fn kinds(report: &CheckReport) -> Vec<Kind> {
    report.violations.iter().map(|v| v.kind).collect()
}

/// The single violation of a report, which must be of `kind`.
fn the_violation(report: &CheckReport, kind: Kind) -> &Violation {
    assert_eq!(kinds(report), [kind], "{:#?}", report.violations);
    &report.violations[0]
}

// ---- the plant ----

const PLANT: &str = r#"[plant]
name = "Check tests"

[[asset]]
name = "EWS-1"
match = "10.1.2.13"
tags = ["engineering"]

[[zone]]
id = "cell"
members = ["10.1.1.0/24"]

[[zone]]
id = "scada"
members = ["10.1.2.0/24"]

[[zone]]
id = "dmz"
members = ["10.1.3.0/24", "host:hist-*"]

[[zone]]
id = "office"
members = ["10.1.4.0/24"]

[[zone]]
id = "safety"
members = ["10.1.5.0/24"]

  [[zone.rule]]
  protocol = "modbus"
  clients = ["role:plc"]
  operations = ["read"]

[[conduit]]
id = "scada-cell"
zones = ["scada", "cell"]
direction = "one-way"

  [[conduit.rule]]
  protocol = "modbus"
  clients = ["role:hmi"]
  operations = ["read"]

  [[conduit.rule]]
  protocol = "s7comm"
  clients = ["role:hmi"]
  operations = ["read", "diagnostic"]

  [[conduit.rule]]
  protocol = "any"
  clients = ["asset:EWS-1"]

[[conduit]]
id = "dmz-scada"
zones = ["dmz", "scada"]

  [[conduit.rule]]
  protocol = "tls"
  ports = [443]
"#;

const PLC: &str = "10.1.1.10";
const PLC2: &str = "10.1.1.11";
const HMI: &str = "10.1.2.11";
const EWS: &str = "10.1.2.13";
const LAPTOP: &str = "10.1.2.50";
const HISTORIAN: &str = "10.1.3.10";
const OFFICE: &str = "10.1.4.20";
const SIS: &str = "10.1.5.10";
const SIS2: &str = "10.1.5.11";
const SIS_PANEL: &str = "10.1.5.20";

fn plant() -> Vec<AssetView> {
    let mut router = device("10.1.1.1", Role::NetworkDevice);
    router.ips = vec![ip("10.1.1.1"), ip("10.1.2.1"), ip("10.1.4.1")];
    vec![
        router,
        device(PLC, Role::Plc),
        device(PLC2, Role::Plc),
        device(HMI, Role::Hmi),
        device(EWS, Role::EngineeringWorkstation),
        device(LAPTOP, Role::ItHost),
        device(HISTORIAN, Role::Historian),
        device(OFFICE, Role::ItHost),
        device(SIS, Role::Plc),
        device(SIS2, Role::Plc),
        device(SIS_PANEL, Role::Hmi),
    ]
}

fn check_plant(conversations: &[Conversation]) -> CheckReport {
    run(PLANT, plant(), conversations)
}

/// Traffic the plant's model allows.
fn allowed() -> Vec<Conversation> {
    vec![
        modbus(HMI, PLC, vec![read_holding(10)]),
        with_ops(
            conv(HMI, PLC2, 102, Some(Protocol::S7comm)),
            vec![op("Read Var", 4, OpClass::Read, 3)],
        ),
        // The engineering station may do anything, on any port.
        with_ops(
            conv(EWS, PLC, 102, Some(Protocol::S7comm)),
            vec![download(4), op("PLC Stop", 0x29, OpClass::Control, 1)],
        ),
        conv(EWS, PLC, 22, Some(Protocol::Ssh)),
        // Bidirectional conduit, both ways.
        conv(HMI, HISTORIAN, 443, Some(Protocol::Tls)),
        conv(HISTORIAN, HMI, 443, Some(Protocol::Tls)),
        // Not recognised, but on the rule's port.
        conv(HISTORIAN, HMI, 443, None),
        // Inside a zone without rules: anything.
        modbus(PLC, PLC2, vec![write_register(1)]),
        conv(OFFICE, "10.1.4.21", 445, Some(Protocol::Smb)),
        // The router's legs are each in their own zone.
        conv("10.1.1.1", PLC, 161, Some(Protocol::Snmp)),
        conv(OFFICE, "10.1.4.1", 53, Some(Protocol::Dns)),
        // Inside the safety zone: controllers read each other.
        modbus(SIS, SIS2, vec![read_holding(7)]),
    ]
}

// ---- clean traffic ----

#[test]
fn traffic_the_model_allows_is_clean() {
    let conversations = allowed();
    let report = check_plant(&conversations);
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    assert!(report.clean);
    assert_eq!(report.exit_code(), 0);
    assert_eq!(report.model, "zones.toml");
    assert_eq!(report.assets, plant().len());
    assert_eq!(report.unassigned, 0);
    assert_eq!(report.conversations, conversations.len());
    assert_eq!(report.local_only, 0);
    assert!(report.by_kind.is_empty());
    let zones: Vec<(&str, usize)> = report
        .zones
        .iter()
        .map(|z| (z.id.as_str(), z.assets))
        .collect();
    // The router counts in each zone one of its addresses is in.
    assert_eq!(
        zones,
        [
            ("cell", 3),
            ("scada", 4),
            ("dmz", 1),
            ("office", 2),
            ("safety", 3)
        ]
    );
}

// ---- devices ----

#[test]
fn a_device_in_no_zone_is_an_unassigned_asset_and_its_traffic_is_not_checked_further() {
    let mut views = plant();
    views.push(device("192.168.9.9", Role::ItHost));
    // Broadcast and multicast addresses are not devices.
    views.push(device("255.255.255.255", Role::Unknown));
    views.push(device("239.1.2.3", Role::Unknown));
    let mut c = conv("192.168.9.9", PLC, 502, Some(Protocol::Modbus));
    c.flows = 3;
    c.packets = 30;
    let report = run(PLANT, views, &[c, conv(HMI, "192.168.9.9", 80, None)]);
    let v = the_violation(&report, Kind::UnassignedAsset);
    assert_eq!(v.rule_id, "ZW001");
    assert_eq!(v.severity, Severity::Error);
    assert_eq!(v.line, 1);
    assert_eq!(v.asset.as_deref(), Some("ip:192.168.9.9"));
    assert!(v.message.contains("192.168.9.9") && v.message.contains("no zone"));
    assert_eq!((v.conduit.as_deref(), v.client.as_deref()), (None, None));
    // Summed over both conversations it took part in.
    assert_eq!((v.flows, v.packets, v.count), (4, 34, 1));
    assert_eq!(report.unassigned, 3);
    assert_eq!(report.exit_code(), 3);
}

#[test]
fn a_device_matched_by_a_network_in_one_zone_and_a_hostname_in_another_is_ambiguous() {
    let mut views = plant();
    views.push(named("10.1.4.30", Role::Historian, "HIST-2"));
    let report = run(
        PLANT,
        views,
        &[
            conv("10.1.4.30", HMI, 443, Some(Protocol::Tls)),
            conv(OFFICE, "10.1.4.30", 80, Some(Protocol::Http)),
        ],
    );
    let v = the_violation(&report, Kind::AmbiguousZone);
    assert_eq!(v.rule_id, "ZW002");
    // The first of its zones in the file.
    assert_eq!(v.line, line_of(PLANT, "id = \"dmz\"") - 1);
    assert_eq!(v.asset.as_deref(), Some("ip:10.1.4.30"));
    assert!(
        v.message.contains("10.1.4.30 (HIST-2)") && v.message.contains("dmz and office"),
        "{}",
        v.message
    );
    assert_eq!(v.flows, 2);
}

#[test]
fn a_router_with_an_address_in_each_of_two_zones_is_not_a_violation() {
    let model = crate::model::parse("zones.toml", PLANT).unwrap();
    let resolution = Resolution::from_views(&model, plant());
    assert_eq!(
        resolution.membership[0],
        Membership::MultiHomed(vec![0, 1, 3])
    );
    assert_eq!(
        resolution.zone_of_ip(&model, ip("10.1.2.1")),
        Membership::Zone(1)
    );
    let report = check(
        &model,
        &resolution,
        &[
            conv("10.1.1.1", PLC, 161, Some(Protocol::Snmp)),
            conv(HMI, "10.1.2.1", 53, Some(Protocol::Dns)),
        ],
    );
    assert!(report.clean, "{:#?}", report.violations);
    // A device with one address in a zone and one in none is unassigned.
    let mut half = device("10.1.4.2", Role::NetworkDevice);
    half.ips.push(ip("172.16.0.1"));
    let report = run(PLANT, vec![half], &[]);
    assert_eq!(kinds(&report), [Kind::UnassignedAsset]);
}

// ---- between zones ----

#[test]
fn traffic_between_zones_that_no_conduit_joins() {
    let report = check_plant(&[modbus(OFFICE, PLC, vec![read_holding(1)])]);
    let v = the_violation(&report, Kind::NoConduit);
    assert_eq!(v.rule_id, "ZW003");
    assert_eq!(
        v.line,
        line_of(PLANT, "id = \"office\"") - 1,
        "the client's zone"
    );
    assert_eq!(v.conduit, None);
    assert_eq!(v.client.as_deref(), Some(OFFICE));
    assert_eq!(v.server.as_deref(), Some(PLC));
    assert_eq!(v.client_zone.as_deref(), Some("office"));
    assert_eq!(v.server_zone.as_deref(), Some("cell"));
    assert_eq!(
        (v.transport, v.port, v.protocol),
        (Some("tcp"), Some(502), Some("modbus"))
    );
    assert_eq!(v.operation, None, "no operation check without a conduit");
    assert!(
        v.message.contains(
            "tcp 10.1.4.20 -> 10.1.1.10:502 (modbus): no conduit joins zone office and zone cell"
        ),
        "{}",
        v.message
    );
}

#[test]
fn a_connection_against_a_one_way_conduit() {
    let report = check_plant(&[modbus(PLC, HMI, vec![read_holding(1)])]);
    let v = the_violation(&report, Kind::WrongDirection);
    assert_eq!(v.rule_id, "ZW004");
    assert_eq!(v.conduit.as_deref(), Some("scada-cell"));
    assert_eq!(v.line, line_of(PLANT, "id = \"scada-cell\"") - 1);
    assert_eq!(
        (v.client.as_deref(), v.server.as_deref()),
        (Some(PLC), Some(HMI))
    );
    assert_eq!(v.client_zone.as_deref(), Some("cell"));
    assert!(
        v.message.contains("one-way from zone scada to zone cell"),
        "{}",
        v.message
    );
    // The same pair the right way round is fine.
    assert!(check_plant(&[modbus(HMI, PLC, vec![read_holding(1)])]).clean);
}

#[test]
fn traffic_on_a_conduit_that_no_rule_allows() {
    // Not an HMI: the modbus rules do not cover it.
    let report = check_plant(&[modbus(LAPTOP, PLC, vec![read_holding(1)])]);
    let v = the_violation(&report, Kind::NotAllowed);
    assert_eq!(v.rule_id, "ZW005");
    assert_eq!(v.conduit.as_deref(), Some("scada-cell"));
    assert_eq!(v.line, line_of(PLANT, "id = \"scada-cell\"") - 1);
    assert_eq!(
        (v.client.as_deref(), v.server.as_deref()),
        (Some(LAPTOP), Some(PLC))
    );
    assert!(
        v.message.contains("allowed by none of its rules"),
        "{}",
        v.message
    );
    // An HMI, but a protocol no rule names; and TLS on a port the rule does not list.
    let report = check_plant(&[
        conv(HMI, PLC, 80, Some(Protocol::Http)),
        conv(HISTORIAN, HMI, 8443, Some(Protocol::Tls)),
        conv(HISTORIAN, HMI, 443, Some(Protocol::Ssh)),
    ]);
    let found: Vec<(Option<&str>, Option<u16>, Option<&str>)> = report
        .violations
        .iter()
        .map(|v| (v.conduit.as_deref(), v.port, v.protocol))
        .collect();
    assert_eq!(kinds(&report), [Kind::NotAllowed; 3]);
    assert_eq!(
        found,
        [
            (Some("scada-cell"), Some(80), Some("http")),
            (Some("dmz-scada"), Some(443), Some("ssh")),
            (Some("dmz-scada"), Some(8443), Some("tls")),
        ]
    );
}

#[test]
fn a_write_on_a_read_only_rule_is_an_operation_not_allowed() {
    let report = check_plant(&[modbus(HMI, PLC, vec![read_holding(10), write_register(2)])]);
    let v = the_violation(&report, Kind::OperationNotAllowed);
    assert_eq!(v.rule_id, "ZW006");
    assert_eq!(v.conduit.as_deref(), Some("scada-cell"));
    assert_eq!(v.line, line_of(PLANT, "id = \"scada-cell\"") - 1);
    assert_eq!(
        (v.client.as_deref(), v.server.as_deref()),
        (Some(HMI), Some(PLC))
    );
    assert_eq!(v.operation, Some("Write Single Register"));
    assert_eq!(v.operation_class, Some("write"));
    // Counted in messages, not flows.
    assert_eq!((v.count, v.flows), (2, 0));
    assert!(
        v.message.contains("modbus Write Single Register (write)")
            && v.message.contains(&format!(
                "line {}: read",
                line_of(PLANT, "clients = [\"role:hmi\"]") - 2
            )),
        "{}",
        v.message
    );
}

#[test]
fn only_the_engineering_station_may_program() {
    let hmi = with_ops(
        conv(HMI, PLC, 102, Some(Protocol::S7comm)),
        vec![op("Read Var", 4, OpClass::Read, 9), download(3)],
    );
    let report = check_plant(std::slice::from_ref(&hmi));
    let v = the_violation(&report, Kind::OperationNotAllowed);
    assert_eq!(v.operation, Some("Download Block"));
    assert_eq!(v.operation_class, Some("program"));
    assert_eq!(v.protocol, Some("s7comm"));
    assert_eq!(v.count, 3);
    // The same conversation from the engineering station.
    let ews = Conversation {
        client: ip(EWS),
        ..hmi
    };
    assert!(check_plant(&[ews]).clean);
}

#[test]
fn a_rule_allows_codes_beside_classes() {
    let text = PLANT.replace(
        "  protocol = \"modbus\"\n  clients = [\"role:hmi\"]\n  operations = [\"read\"]",
        "  protocol = \"modbus\"\n  clients = [\"role:hmi\"]\n  operations = [\"read\"]\n  codes = [\"write single register\"]",
    );
    let c = modbus(
        HMI,
        PLC,
        vec![
            write_register(1),
            op("Write Multiple Registers", 16, OpClass::Write, 1),
        ],
    );
    let report = run(&text, plant(), &[c]);
    let v = the_violation(&report, Kind::OperationNotAllowed);
    assert_eq!(v.operation, Some("Write Multiple Registers"));
}

// ---- inside a zone ----

#[test]
fn a_zone_with_rules_restricts_its_own_traffic() {
    let zone_line = line_of(PLANT, "id = \"safety\"") - 1;
    // The panel is no controller: no zone rule covers it.
    let report = check_plant(&[modbus(SIS_PANEL, SIS, vec![read_holding(1)])]);
    let v = the_violation(&report, Kind::IntraZoneNotAllowed);
    assert_eq!(v.rule_id, "ZW007");
    assert_eq!(v.line, zone_line);
    assert_eq!(v.conduit, None);
    assert_eq!(v.client_zone.as_deref(), Some("safety"));
    assert_eq!(v.server_zone.as_deref(), Some("safety"));
    assert!(v.message.contains("inside zone safety"), "{}", v.message);
    // A controller reading is allowed, writing is an operation the zone rules do not allow.
    let report = check_plant(&[modbus(SIS, SIS2, vec![read_holding(5), write_register(1)])]);
    let v = the_violation(&report, Kind::OperationNotAllowed);
    assert_eq!((v.line, v.conduit.as_deref()), (zone_line, None));
    assert!(
        v.message.contains(": the zone allows only"),
        "{}",
        v.message
    );
    // Zones without rules do not restrict their own traffic.
    assert!(check_plant(&[conv(PLC, PLC2, 23, Some(Protocol::Telnet))]).clean);
}

// ---- protection in transit ----

/// Two zones and a bidirectional conduit that allows anything, with `extra` lines added to
/// the conduit.
fn transit(extra: &str) -> String {
    format!(
        r#"[[zone]]
id = "a"
members = ["10.2.1.0/24"]

[[zone]]
id = "b"
members = ["10.2.2.0/24"]

[[conduit]]
id = "a-b"
zones = ["a", "b"]
{extra}
  [[conduit.rule]]
  protocol = "any"
"#
    )
}

fn transit_kinds(extra: &str, protocol: Option<Protocol>) -> Vec<Kind> {
    let c = conv("10.2.1.5", "10.2.2.5", 502, protocol);
    kinds(&run(&transit(extra), Vec::new(), &[c]))
}

#[test]
fn cleartext_on_a_conduit_that_asks_for_integrity() {
    let extra = "sl_t = [2, 2, 3, 1, 2, 1, 2]";
    let text = transit(extra);
    let report = run(
        &text,
        Vec::new(),
        &[conv("10.2.1.5", "10.2.2.5", 502, Some(Protocol::Modbus))],
    );
    let v = the_violation(&report, Kind::CleartextIntegrity);
    assert_eq!(v.rule_id, "ZW008");
    assert_eq!(v.severity, Severity::Warning);
    assert_eq!(v.conduit.as_deref(), Some("a-b"));
    assert_eq!(v.line, line_of(&text, "[[conduit]]"));
    assert!(v.message.contains("SL-T FR3 3"), "{}", v.message);
    assert_eq!(report.exit_code(), 3, "warnings fail the check too");
    // A control that protects everything in transit, or a protocol that protects itself.
    for control in ["vpn", "ipsec", "tls"] {
        let extra = format!("{extra}\ncontrols = [\"firewall\", \"{control}\"]");
        assert_eq!(transit_kinds(&extra, Some(Protocol::Modbus)), []);
    }
    assert_eq!(transit_kinds(extra, Some(Protocol::Tls)), []);
    assert_eq!(transit_kinds(extra, Some(Protocol::Ssh)), []);
    // Its protection depends on a negotiated mode: no claim either way.
    assert_eq!(transit_kinds(extra, Some(Protocol::Opcua)), []);
    // Not recognised: nothing is known about it.
    assert_eq!(transit_kinds(extra, None), []);
    // FR3 = 2 does not ask.
    assert_eq!(transit_kinds("sl_t = 2", Some(Protocol::Modbus)), []);
}

#[test]
fn cleartext_on_a_conduit_that_asks_for_confidentiality() {
    let fr4 = "sl_t = [2, 2, 2, 4, 2, 2, 2]";
    assert_eq!(
        transit_kinds(fr4, Some(Protocol::Modbus)),
        [Kind::CleartextConfidentiality]
    );
    let untrusted = "sl_t = 2\nuntrusted_network = true";
    assert_eq!(
        transit_kinds(untrusted, Some(Protocol::Telnet)),
        [Kind::CleartextConfidentiality]
    );
    let report = run(
        &transit(untrusted),
        Vec::new(),
        &[conv("10.2.1.5", "10.2.2.5", 502, Some(Protocol::Modbus))],
    );
    let v = the_violation(&report, Kind::CleartextConfidentiality);
    assert_eq!(v.rule_id, "ZW009");
    assert_eq!(v.severity, Severity::Warning);
    assert!(
        v.message.contains("FR4 2 over an untrusted network") && v.message.contains("RE 1"),
        "{}",
        v.message
    );
    // FR4 = 2 on a network the plant controls does not ask; FR4 = 4 with a VPN is met.
    assert_eq!(transit_kinds("sl_t = 2", Some(Protocol::Modbus)), []);
    assert_eq!(
        transit_kinds("sl_t = [2, 2, 2, 3, 2, 2, 2]", Some(Protocol::Modbus)),
        []
    );
    assert_eq!(
        transit_kinds(
            &format!("{fr4}\ncontrols = [\"vpn\"]"),
            Some(Protocol::Modbus)
        ),
        []
    );
    assert_eq!(transit_kinds(fr4, Some(Protocol::Tls)), []);
    // Both at once.
    assert_eq!(
        transit_kinds("sl_t = [2, 2, 3, 4, 2, 2, 2]", Some(Protocol::Http)),
        [Kind::CleartextIntegrity, Kind::CleartextConfidentiality]
    );
}

// ---- what is not checked ----

#[test]
fn broadcast_and_multicast_servers_are_skipped_and_counted() {
    let mut to_broadcast = conv(PLC, "10.1.1.255", 47808, Some(Protocol::Bacnet));
    to_broadcast.transport = UDP;
    let mut to_all = conv(OFFICE, "255.255.255.255", 67, Some(Protocol::Dhcp));
    to_all.transport = UDP;
    let mut to_group = conv(OFFICE, "224.0.0.251", 5353, None);
    to_group.transport = UDP;
    let mut to_link_local = conv(OFFICE, "169.254.1.1", 80, None);
    to_link_local.transport = UDP;
    // From the office to a PLC would be a violation; to these addresses it is not.
    let report = check_plant(&[to_broadcast, to_all, to_group, to_link_local]);
    assert!(report.clean, "{:#?}", report.violations);
    assert_eq!(report.local_only, 4);
    assert_eq!(report.conversations, 4);
}

// ---- aggregation and order ----

fn flow(client_port: u16, secs: u64, packets: u64) -> zonewarden_flow::Flow {
    let (client, server) = ((ip(LAPTOP), client_port), (ip(PLC), 502));
    let (key, _) = zonewarden_flow::FlowKey::new(
        client.0,
        client.1,
        server.0,
        server.1,
        TCP,
        Default::default(),
    );
    zonewarden_flow::Flow {
        id: secs,
        key,
        client,
        server,
        direction_by: zonewarden_flow::DirectionSource::Syn,
        first_ts: ts(secs),
        last_ts: ts(secs + 1),
        packets: [packets, packets],
        bytes: [packets * 60, packets * 60],
        payload_bytes: [0, 0],
        macs: [None, None],
        tcp: None,
    }
}

#[test]
fn flows_that_differ_only_in_client_port_are_one_violation() {
    let flows = [flow(50_000, 10, 3), flow(50_001, 20, 5)];
    let conversations =
        crate::observe::conversations(&flows, &zonewarden_dissect::CommunicationMap::default());
    assert_eq!(conversations.len(), 1);
    let report = check_plant(&conversations);
    let v = the_violation(&report, Kind::NotAllowed);
    assert_eq!((v.flows, v.count, v.packets), (2, 2, 16));
    assert_eq!((v.first_ts, v.last_ts), (Some(ts(10)), Some(ts(21))));
}

#[test]
fn conversations_with_the_same_ends_and_port_sum_into_one_violation() {
    let mut early = modbus(HMI, PLC, vec![write_register(2)]);
    early.packets = 10;
    let mut late = modbus(HMI, PLC, vec![write_register(3), read_holding(1)]);
    late.packets = 6;
    late.first_ts = ts(100);
    late.last_ts = ts(200);
    late.operations[0].last_ts = Some(ts(150));
    let mut other_port = modbus(LAPTOP, PLC, Vec::new());
    other_port.flows = 2;
    let mut same = other_port.clone();
    same.first_ts = ts(50);
    let mut elsewhere = other_port.clone();
    elsewhere.port = 503;
    elsewhere.protocol = None;
    let report = check_plant(&[early, other_port, late, same, elsewhere]);
    assert_eq!(
        kinds(&report),
        [
            Kind::NotAllowed,
            Kind::NotAllowed,
            Kind::OperationNotAllowed
        ]
    );
    let write = &of_kind(&report, Kind::OperationNotAllowed)[0];
    assert_eq!(write.count, 5, "messages summed");
    assert_eq!(
        (write.first_ts, write.last_ts),
        (Some(ts(0)), Some(ts(150)))
    );
    let ports: Vec<(Option<u16>, u64)> = of_kind(&report, Kind::NotAllowed)
        .iter()
        .map(|v| (v.port, v.flows))
        .collect();
    assert_eq!(ports, [(Some(502), 4), (Some(503), 2)]);
    assert_eq!(report.by_kind.get("not-allowed"), Some(&2));
    assert_eq!(report.by_kind.get("operation-not-allowed"), Some(&1));
}

/// Line, kind, asset or client, server, operation.
type Listed<'a> = (
    usize,
    Kind,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'static str>,
);

#[test]
fn violations_are_sorted_by_line_and_the_report_does_not_depend_on_input_order() {
    let mut views = plant();
    views.push(device("192.168.9.9", Role::ItHost));
    views.push(device("192.168.9.8", Role::ItHost));
    views.push(named("10.1.4.30", Role::Historian, "hist-2"));
    let conversations = vec![
        modbus(OFFICE, PLC, Vec::new()),
        modbus(PLC, HMI, Vec::new()),
        modbus(SIS_PANEL, SIS, Vec::new()),
        modbus(LAPTOP, PLC2, Vec::new()),
        modbus(LAPTOP, PLC, Vec::new()),
        modbus(
            HMI,
            PLC,
            vec![
                write_register(1),
                op("Write Single Coil", 5, OpClass::Write, 1),
            ],
        ),
        conv(HISTORIAN, HMI, 8443, Some(Protocol::Tls)),
    ];
    let model = crate::model::parse("zones.toml", PLANT).unwrap();
    let report = check(
        &model,
        &Resolution::from_views(&model, views.clone()),
        &conversations,
    );
    let order: Vec<Listed<'_>> = report
        .violations
        .iter()
        .map(|v| {
            (
                v.line,
                v.kind,
                v.asset.as_deref().or(v.client.as_deref()),
                v.server.as_deref(),
                v.operation,
            )
        })
        .collect();
    let zone = |id: &str| line_of(PLANT, &format!("id = \"{id}\"")) - 1;
    let conduit = |id: &str| line_of(PLANT, &format!("id = \"{id}\"")) - 1;
    assert_eq!(
        order,
        [
            (1, Kind::UnassignedAsset, Some("ip:192.168.9.8"), None, None),
            (1, Kind::UnassignedAsset, Some("ip:192.168.9.9"), None, None),
            (
                zone("dmz"),
                Kind::AmbiguousZone,
                Some("ip:10.1.4.30"),
                None,
                None
            ),
            (
                zone("office"),
                Kind::NoConduit,
                Some(OFFICE),
                Some(PLC),
                None
            ),
            (
                zone("safety"),
                Kind::IntraZoneNotAllowed,
                Some(SIS_PANEL),
                Some(SIS),
                None
            ),
            (
                conduit("scada-cell"),
                Kind::WrongDirection,
                Some(PLC),
                Some(HMI),
                None
            ),
            (
                conduit("scada-cell"),
                Kind::NotAllowed,
                Some(LAPTOP),
                Some(PLC),
                None
            ),
            (
                conduit("scada-cell"),
                Kind::NotAllowed,
                Some(LAPTOP),
                Some(PLC2),
                None
            ),
            (
                conduit("scada-cell"),
                Kind::OperationNotAllowed,
                Some(HMI),
                Some(PLC),
                Some("Write Single Coil")
            ),
            (
                conduit("scada-cell"),
                Kind::OperationNotAllowed,
                Some(HMI),
                Some(PLC),
                Some("Write Single Register")
            ),
            (
                conduit("dmz-scada"),
                Kind::NotAllowed,
                Some(HISTORIAN),
                Some(HMI),
                None
            ),
        ]
    );
    assert_eq!(report.exit_code(), 3);
    assert!(!report.clean);
    // Reversed input, reversed devices: the same report, byte for byte.
    let mut reversed = conversations.clone();
    reversed.reverse();
    views.reverse();
    let again = check(&model, &Resolution::from_views(&model, views), &reversed);
    assert_eq!(
        serde_json::to_string(&again.violations).unwrap(),
        serde_json::to_string(&report.violations).unwrap()
    );
    assert_eq!(again, report);
}

#[test]
fn violations_that_differ_only_in_transport_come_in_a_fixed_order() {
    let tcp = conv(LAPTOP, PLC, 161, None);
    let udp = Conversation {
        transport: UDP,
        ..tcp.clone()
    };
    let model = crate::model::parse("zones.toml", PLANT).unwrap();
    let resolution = Resolution::from_views(&model, plant());
    // Each check has its own hash map; the order must not depend on it.
    for _ in 0..32 {
        for input in [[tcp.clone(), udp.clone()], [udp.clone(), tcp.clone()]] {
            let report = check(&model, &resolution, &input);
            let order: Vec<Option<&str>> = report.violations.iter().map(|v| v.transport).collect();
            assert_eq!(order, [Some("tcp"), Some("udp")]);
        }
    }
}

#[test]
fn messages_describe_conversations_as_conversation_describe_does() {
    for (client, server, protocol) in [
        ("10.1.2.11", "10.1.1.10", Some(Protocol::Modbus)),
        ("10.1.2.11", "10.1.1.10", None),
        ("fd00::1", "fd00::2", Some(Protocol::Tls)),
        ("fd00::1", "fd00::2", None),
    ] {
        let mut c = conv(client, server, 502, protocol);
        for transport in [TCP, UDP, 1, 47] {
            c.transport = transport;
            let (client, server) = (c.client.to_string(), c.server.to_string());
            let what = What {
                c: &c,
                client: &client,
                server: &server,
            };
            let expected = match c.protocol {
                Some(p) => format!("{} ({})", c.describe(), p.as_str()),
                None => c.describe(),
            };
            assert_eq!(what.to_string(), expected);
            assert_eq!(
                what.socket().to_string(),
                crate::observe::socket(c.server, c.port)
            );
        }
    }
}

mod order {
    use super::*;
    use proptest::prelude::*;

    const TEXTS: [&str; 8] = [
        "10.0.0.1",
        "10.0.0.10",
        "10.0.0.100",
        "10.0.0.1000000000",
        "fd00::1",
        "fd00:0:0:0:0:0:0:1",
        "fd00:0:0:0:0:0:0:10",
        "mac:00:1b:1b:01:02:03",
    ];
    const OPS: [&str; 3] = ["Read Coils", "Write Single Coil", "Write Single Register"];

    fn text() -> impl Strategy<Value = Option<String>> {
        prop::option::of(prop_oneof![
            prop::sample::select(TEXTS.to_vec()).prop_map(str::to_string),
            "[0-9a-f.:]{0,24}",
        ])
    }

    prop_compose! {
        fn violation()(
            line in 1usize..4,
            kind in 0usize..Kind::ALL.len(),
            asset in prop::option::weighted(0.2, text().prop_map(|t| t.unwrap_or_default())),
            client in text(),
            server in text(),
            port in prop::option::of(prop::sample::select(vec![0u16, 80, 443, 502, 20000])),
            operation in prop::option::of(prop::sample::select(OPS.to_vec())),
            transport in prop::sample::select(vec![6u8, 17, 47, 50]),
        ) -> (Violation, u8) {
            let kind = Kind::ALL[kind];
            (
                Violation {
                    kind,
                    rule_id: kind.id(),
                    severity: Severity::Error,
                    message: String::new(),
                    line,
                    conduit: None,
                    client_zone: None,
                    server_zone: None,
                    asset,
                    client,
                    server,
                    transport: None,
                    port,
                    protocol: None,
                    operation,
                    operation_class: None,
                    flows: 0,
                    packets: 0,
                    count: 0,
                    first_ts: None,
                    last_ts: None,
                },
                transport,
            )
        }
    }

    proptest! {
        /// The short sort keys order violations as the full comparison does.
        #[test]
        fn the_sort_prefix_agrees_with_the_full_order(
            list in prop::collection::vec(violation(), 0..60),
        ) {
            let mut out = Collector::new();
            for (v, transport) in &list {
                out.order.push((SortPrefix::of(v), *transport));
                out.found.push(v.clone());
            }
            let mut expected: Vec<(Violation, u8)> = list;
            expected.sort_by(|(a, ta), (b, tb)| order_of(a).cmp(&order_of(b)).then(ta.cmp(tb)));
            let got = sorted(out);
            let got: Vec<_> = got.iter().map(order_of).collect();
            let expected: Vec<_> = expected.iter().map(|(v, _)| order_of(v)).collect();
            prop_assert_eq!(got, expected);
        }
    }
}

#[test]
fn every_kind_has_its_id_and_name() {
    let ids: Vec<&str> = Kind::ALL.iter().map(|k| k.id()).collect();
    assert_eq!(
        ids,
        ["ZW001", "ZW002", "ZW003", "ZW004", "ZW005", "ZW006", "ZW007", "ZW008", "ZW009"]
    );
    for k in Kind::ALL {
        assert_eq!(
            serde_json::to_value(k).unwrap(),
            serde_json::Value::String(k.name().to_string())
        );
        assert!(k.summary().ends_with('.'));
    }
}

// ---- zones suggest, checked against its own traffic ----

mod suggested {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use zonewarden_inventory::{Asset, Inventory};

    /// An inventory device with only what zones and selectors look at.
    pub(super) fn asset(ips: Vec<IpAddr>, role: Role, level: Option<u8>) -> Asset {
        Asset {
            id: ips
                .first()
                .map_or_else(|| "unknown".into(), |ip| format!("ip:{ip}")),
            ip: ips.first().copied(),
            ips,
            mac: None,
            macs: Vec::new(),
            vendor: None,
            model: None,
            firmware: None,
            serial: None,
            hostname: None,
            os: None,
            role,
            role_reason: String::new(),
            purdue_level: level,
            purdue_reason: String::new(),
            criticality: role.criticality(),
            protocols: Vec::new(),
            protocols_served: Vec::new(),
            protocols_used: Vec::new(),
            services: Vec::new(),
            behind_gateway: Vec::new(),
            first_ts: None,
            last_ts: None,
            packets: 0,
            bytes: 0,
            provenance: BTreeMap::new(),
            facts: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    const ROLES: [Role; 6] = [
        Role::Plc,
        Role::SafetyController,
        Role::Hmi,
        Role::EngineeringWorkstation,
        Role::Historian,
        Role::ItHost,
    ];

    /// A device: subnet index, host number, role index, Purdue level.
    type DeviceSpec = (usize, u8, usize, u8);
    /// A conversation: client and server device indexes, read and write counts, whether the
    /// flow was recognised as Modbus, port 502 or another.
    type ConvSpec = (usize, usize, u8, u8, bool, bool);

    /// Builds the plant; a router with a leg in every subnet when `router`.
    fn plant(
        subnets: u8,
        devices: &[DeviceSpec],
        convs: &[ConvSpec],
        router: bool,
    ) -> (Inventory, Vec<Conversation>) {
        let net = |s: usize| (s % usize::from(subnets)) as u8;
        let mut used = BTreeSet::new();
        let mut assets = Vec::new();
        let mut addresses = Vec::new();
        if router {
            let legs: Vec<IpAddr> = (0..subnets).map(|s| IpAddr::from([10, 0, s, 1])).collect();
            used.extend(legs.iter().copied());
            addresses.extend(legs.iter().copied());
            assets.push(asset(legs, Role::NetworkDevice, Some(1)));
        }
        for &(s, host, role, level) in devices {
            let address = IpAddr::from([10, 0, net(s), host]);
            if !used.insert(address) {
                continue;
            }
            addresses.push(address);
            let role = ROLES[role % ROLES.len()];
            assets.push(asset(vec![address], role, Some(level)));
        }
        let mut keys = BTreeSet::new();
        let mut conversations = Vec::new();
        for (n, &(a, b, reads, writes, recognised, usual_port)) in convs.iter().enumerate() {
            let (client, server) = (
                addresses[a % addresses.len()],
                addresses[b % addresses.len()],
            );
            let port = if usual_port { 502 } else { 5020 };
            if client == server || !keys.insert((client, server, port)) {
                continue;
            }
            let mut c = Conversation {
                client,
                server,
                transport: TCP,
                port,
                protocol: recognised.then_some(Protocol::Modbus),
                operations: Vec::new(),
                flows: 1 + n as u64 % 3,
                packets: 10,
                bytes: 1000,
                first_ts: ts(n as u64),
                last_ts: ts(n as u64 + 5),
                client_packets: 5,
                server_packets: 5,
                direction_guessed: false,
            };
            if recognised {
                if reads > 0 {
                    c.operations.push(read_holding(u64::from(reads)));
                }
                if writes > 0 {
                    c.operations.push(write_register(u64::from(writes)));
                }
            }
            conversations.push(c);
        }
        (Inventory { assets }, conversations)
    }

    fn check_suggested(inventory: &Inventory, conversations: &[Conversation]) -> CheckReport {
        let text = crate::suggest::suggest(inventory, conversations, &[]);
        let model = crate::model::parse("suggested.toml", &text)
            .unwrap_or_else(|e| panic!("the draft does not parse: {e}\n{text}"));
        let resolution = Resolution::new(&model, inventory);
        let report = check(&model, &resolution, conversations);
        assert!(
            report.clean,
            "the draft does not pass its own traffic: {:#?}\n{text}",
            report.violations
        );
        report
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn a_suggested_model_passes_the_traffic_it_was_drawn_from(
            subnets in 1u8..=4,
            devices in prop::collection::vec(
                (0usize..4, 2u8..=254, 0usize..ROLES.len(), 1u8..=4),
                1..14,
            ),
            convs in prop::collection::vec(
                (0usize..64, 0usize..64, 0u8..4, 0u8..3, any::<bool>(), prop::bool::weighted(0.8)),
                0..24,
            ),
            router in prop::bool::weighted(0.3),
        ) {
            let (inventory, conversations) = plant(subnets, &devices, &convs, router);
            let report = check_suggested(&inventory, &conversations);
            prop_assert_eq!(report.assets, inventory.assets.len());
            prop_assert_eq!(report.conversations, conversations.len());
        }

        /// Purdue levels 0 and 5 too (the inventory gives I/O devices 0 and public
        /// addresses 5).
        #[test]
        fn every_purdue_level_gets_a_zone(
            devices in prop::collection::vec(
                (0usize..4, 2u8..=254, 0usize..ROLES.len(), 0u8..=5),
                1..14,
            ),
            convs in prop::collection::vec(
                (0usize..64, 0usize..64, 0u8..4, 0u8..3, any::<bool>(), any::<bool>()),
                0..24,
            ),
        ) {
            let (inventory, conversations) = plant(4, &devices, &convs, false);
            check_suggested(&inventory, &conversations);
        }
    }

    #[test]
    fn levels_four_and_five_in_one_draft() {
        let (inventory, conversations) = plant(
            2,
            &[(0, 10, 5, 4), (1, 10, 5, 5), (0, 20, 0, 1)],
            &[(0, 1, 1, 0, true, true), (1, 2, 1, 1, true, true)],
            false,
        );
        check_suggested(&inventory, &conversations);
    }
}
