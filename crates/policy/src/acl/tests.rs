//! Tests of the rule builder and the three renderers (the platform tools' own checks of the
//! output are in `tests/acl_platform.rs`).

use super::*;
use crate::resolve::AssetView;
use zonewarden_inventory::Role;

pub(crate) fn model(text: &str) -> Model {
    crate::model::parse("zones.toml", text).unwrap()
}

pub(crate) fn device(ip: &str, role: Role) -> AssetView {
    let mut v = AssetView::from_ip(ip.parse().unwrap());
    v.role = role;
    v
}

fn net(text: &str) -> IpNet {
    text.parse::<IpNet>()
        .unwrap_or_else(|_| IpNet::from(text.parse::<IpAddr>().unwrap()))
}

fn nets(list: &[&str]) -> Vec<IpNet> {
    list.iter().map(|t| net(t)).collect()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// A stable plant for exact-output tests (the shipped example may change).
pub(crate) const PLANT: &str = r#"
[plant]
name = "Test plant"

[[asset]]
name = "EWS-1"
match = "10.10.2.13"

[[asset]]
name = "HMI-1"
match = "10.10.2.11"
tags = ["operator-station"]

[[zone]]
id = "control"
members = ["10.10.1.0/24"]

[[zone]]
id = "supervisory"
members = ["10.10.2.0/24"]

[[zone]]
id = "operations"
members = ["10.10.3.0/24"]

[[zone]]
id = "enterprise"
members = ["10.10.4.0/24"]

[[conduit]]
id = "supervisory-control"
zones = ["supervisory", "control"]
direction = "one-way"
controls = ["firewall"]
  [[conduit.rule]]
  description = "HMIs poll and set points"
  protocol = "modbus"
  clients = ["role:hmi"]
  operations = ["read", "write", "diagnostic"]
  [[conduit.rule]]
  protocol = "s7comm"
  clients = ["tag:operator-station"]
  operations = ["read"]
  [[conduit.rule]]
  protocol = "any"
  clients = ["asset:EWS-1"]

[[conduit]]
id = "supervisory-historian"
zones = ["supervisory", "operations"]
direction = "one-way"
  [[conduit.rule]]
  protocol = "tls"
  ports = [443]
  [[conduit.rule]]
  protocol = "http"

[[conduit]]
id = "office-services"
zones = ["supervisory", "enterprise"]
direction = "one-way"
  [[conduit.rule]]
  protocol = "dns"
  [[conduit.rule]]
  protocol = "udp"
  ports = [123]
"#;

const TWO_ZONES: &str = r#"
[[zone]]
id = "cell"
members = ["10.1.0.0/24"]

[[zone]]
id = "scada"
members = ["10.2.0.0/24", "fd02::/64"]
"#;

fn with_conduit(conduit: &str) -> Model {
    model(&format!("{TWO_ZONES}\n{conduit}"))
}

fn conduit_rules(set: &RuleSet, id: &str) -> Vec<AclRule> {
    set.rules
        .iter()
        .filter(|r| r.conduit == id)
        .cloned()
        .collect()
}

#[test]
fn targets_have_stable_names() {
    for t in Target::ALL {
        assert_eq!(Target::from_name(t.as_str()), Some(t));
    }
    assert_eq!(Target::from_name("cisco-ios"), Some(Target::CiscoIos));
    assert_eq!(Target::from_name("pf"), None);
}

#[test]
fn a_rule_limited_to_operation_classes_says_it_needs_dpi() {
    let m = with_conduit(
        r#"
[[conduit]]
id = "hmi-plc"
zones = ["scada", "cell"]
direction = "one-way"
  [[conduit.rule]]
  protocol = "modbus"
  operations = ["read", "write"]
"#,
    );
    let set = build(&m, None);
    let rules = conduit_rules(&set, "hmi-plc");
    assert_eq!(rules.len(), 1);
    let r = &rules[0];
    assert_eq!(r.transport, Some(TCP));
    assert_eq!(r.ports, vec![(502, 502), (5020, 5020)]);
    assert_eq!(r.sources, nets(&["10.2.0.0/24", "fd02::/64"]));
    assert_eq!(r.destinations, nets(&["10.1.0.0/24"]));
    let dpi = r.needs_dpi.as_deref().unwrap();
    assert!(
        dpi.contains("operation classes read, write of modbus"),
        "{dpi}"
    );
    assert!(dpi.contains("dpi-firewall"), "{dpi}");
    for target in Target::ALL {
        let text = render(&set, target, &m);
        assert!(
            text.contains("not enforced here: operation classes read, write of modbus"),
            "{target}:\n{text}"
        );
    }

    let m = with_conduit(
        r#"
[[conduit]]
id = "hmi-plc"
zones = ["scada", "cell"]
direction = "one-way"
controls = ["dpi-firewall"]
  [[conduit.rule]]
  protocol = "modbus"
  operations = ["read"]
  codes = ["write_single_register"]
"#,
    );
    let set = build(&m, None);
    let dpi = set.rules[0].needs_dpi.as_deref().unwrap();
    assert!(
        dpi.contains("operation classes read and operation codes write_single_register"),
        "{dpi}"
    );
    assert!(
        dpi.contains("enforced by conduit hmi-plc's dpi-firewall"),
        "{dpi}"
    );
}

#[test]
fn a_bidirectional_rule_without_selectors_allows_both_directions() {
    let m = with_conduit(
        r#"
[[conduit]]
id = "peer"
zones = ["cell", "scada"]
  [[conduit.rule]]
  protocol = "tcp"
  ports = [22, "8000-8010", "8005-8020"]
"#,
    );
    let set = build(&m, None);
    let rules = conduit_rules(&set, "peer");
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].sources, nets(&["10.1.0.0/24"]));
    assert_eq!(rules[0].destinations, nets(&["10.2.0.0/24", "fd02::/64"]));
    assert_eq!(rules[1].sources, rules[0].destinations);
    assert_eq!(rules[1].destinations, rules[0].sources);
    assert_eq!(
        rules[0].ports,
        vec![(22, 22), (8000, 8020)],
        "overlapping ranges merge"
    );
    assert!(
        rules[0].comment.contains("from zone cell to zone scada"),
        "{}",
        rules[0].comment
    );
    assert!(
        rules[1].comment.contains("from zone scada to zone cell"),
        "{}",
        rules[1].comment
    );
    assert!(set
        .allows(ip("10.1.0.5"), ip("10.2.0.9"), TCP, 8015)
        .is_some());
    assert!(set
        .allows(ip("10.2.0.9"), ip("10.1.0.5"), TCP, 22)
        .is_some());
    assert!(set
        .allows(ip("10.2.0.9"), ip("10.1.0.5"), TCP, 23)
        .is_none());
    assert!(set
        .allows(ip("10.2.0.9"), ip("10.1.0.5"), UDP, 22)
        .is_none());

    // With the clients named, the servers are the other zone: one direction only.
    let m = with_conduit(
        r#"
[[conduit]]
id = "peer"
zones = ["cell", "scada"]
  [[conduit.rule]]
  protocol = "ssh"
  clients = ["10.2.0.7"]
"#,
    );
    let set = build(&m, None);
    let rules = conduit_rules(&set, "peer");
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(rules[0].sources, nets(&["10.2.0.7/32"]));
    assert_eq!(rules[0].destinations, nets(&["10.1.0.0/24"]));
}

#[test]
fn unresolved_selectors_become_comments_not_rules() {
    let text = r#"
[[conduit]]
id = "hmi-plc"
zones = ["scada", "cell"]
direction = "one-way"
  [[conduit.rule]]
  protocol = "s7comm"
  clients = ["role:hmi"]
"#;
    let m = with_conduit(text);
    let set = build(&m, None);
    let r = &conduit_rules(&set, "hmi-plc")[0];
    assert!(!r.is_active());
    assert!(r.sources.is_empty());
    assert_eq!(r.unresolved, vec!["role:hmi".to_string()]);
    assert!(
        r.comment
            .contains("role:hmi needs captures (their inventory)"),
        "{}",
        r.comment
    );
    for target in Target::ALL {
        let out = render(&set, target, &m);
        assert!(
            out.contains("no rule: the clients name no address"),
            "{target}:\n{out}"
        );
        let rule_lines = out
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.contains("remark"));
        assert!(
            !rule_lines.clone().any(|l| l.contains("102")),
            "{target} wrote a rule for port 102:\n{out}"
        );
    }

    // An inventory names the HMI, in the conduit's client zone only.
    let res = Resolution::from_views(
        &m,
        vec![
            device("10.2.0.20", Role::Hmi),
            device("10.1.0.30", Role::Hmi),
            device("10.2.0.21", Role::Plc),
        ],
    );
    let set = build(&m, Some(&res));
    let r = &conduit_rules(&set, "hmi-plc")[0];
    assert!(r.is_active());
    assert_eq!(r.sources, nets(&["10.2.0.20"]));
    assert!(r.unresolved.is_empty());

    // An inventory without HMIs: still a comment, saying why.
    let res = Resolution::from_views(&m, vec![device("10.2.0.21", Role::Plc)]);
    let set = build(&m, Some(&res));
    let r = &conduit_rules(&set, "hmi-plc")[0];
    assert!(!r.is_active());
    assert!(
        r.comment
            .contains("role:hmi matches no device address in zone scada"),
        "{}",
        r.comment
    );
}

#[test]
fn explicit_addresses_are_narrowed_to_the_conduit_zones() {
    let m = with_conduit(
        r#"
[[asset]]
name = "EWS"
match = "10.2.0.13"

[[conduit]]
id = "eng"
zones = ["scada", "cell"]
direction = "one-way"
  [[conduit.rule]]
  protocol = "any"
  clients = ["10.0.0.0/8", "asset:EWS", "192.168.0.1", "10.2.0.0/25"]
"#,
    );
    let set = build(&m, None);
    let r = &conduit_rules(&set, "eng")[0];
    // 10.0.0.0/8 would also let 10.1.0.0/24 reach itself through the conduit's rule.
    assert_eq!(r.sources, nets(&["10.2.0.0/24"]));
    assert_eq!(r.unresolved, vec!["192.168.0.1".to_string()]);
    assert!(
        r.comment.contains("192.168.0.1 is outside zone scada"),
        "{}",
        r.comment
    );
    assert_eq!(r.transport, None);
}

#[test]
fn protocols_with_two_transports_get_a_rule_each_and_data_diodes_only_udp() {
    let m = with_conduit(
        r#"
[[conduit]]
id = "io"
zones = ["scada", "cell"]
direction = "one-way"
  [[conduit.rule]]
  protocol = "enip"

[[conduit]]
id = "diode"
zones = ["cell", "scada"]
direction = "one-way"
controls = ["data-diode"]
  [[conduit.rule]]
  protocol = "udp"
  ports = [514]
  [[conduit.rule]]
  protocol = "any"
  servers = ["10.2.0.50"]
  [[conduit.rule]]
  protocol = "icmp"
"#,
    );
    let set = build(&m, None);
    let io = conduit_rules(&set, "io");
    assert_eq!(
        io.iter().map(|r| r.transport).collect::<Vec<_>>(),
        vec![Some(TCP), Some(UDP)]
    );
    assert!(io[0].comment.contains("enip over tcp"), "{}", io[0].comment);
    let diode = conduit_rules(&set, "diode");
    assert_eq!(diode.len(), 3);
    assert_eq!(diode[0].transport, Some(UDP));
    assert_eq!(diode[1].transport, Some(UDP), "any becomes UDP on a diode");
    assert!(diode[1].comment.contains("only UDP crosses a data diode"));
    assert!(!diode[2].is_active(), "ICMP needs a way back");
    assert!(
        set.notes
            .iter()
            .any(|n| n.contains("conduit diode is a data diode")),
        "{:?}",
        set.notes
    );
    assert!(set
        .allows(ip("10.1.0.1"), ip("10.2.0.50"), UDP, 9999)
        .is_some());
    assert!(set
        .allows(ip("10.1.0.1"), ip("10.2.0.50"), TCP, 9999)
        .is_none());
    assert!(set
        .allows(ip("10.2.0.50"), ip("10.1.0.1"), UDP, 514)
        .is_none());
}

#[test]
fn zones_allow_their_own_traffic_unless_they_have_rules() {
    let m = model(
        r#"
[[zone]]
id = "cell"
members = ["10.1.0.0/24", "10.1.1.0/24"]

[[zone]]
id = "safety"
members = ["10.9.0.0/24", "role:safety_controller"]
  [[zone.rule]]
  protocol = "tcp"
  ports = [1502]
  clients = ["10.9.0.10"]
"#,
    );
    let set = build(&m, None);
    let cell = conduit_rules(&set, "zone:cell");
    assert_eq!(cell.len(), 1);
    assert_eq!(cell[0].sources, nets(&["10.1.0.0/24", "10.1.1.0/24"]));
    assert_eq!(cell[0].transport, None);
    let safety = conduit_rules(&set, "zone:safety");
    assert_eq!(safety.len(), 1);
    assert_eq!(safety[0].sources, nets(&["10.9.0.10"]));
    assert_eq!(safety[0].destinations, nets(&["10.9.0.0/24"]));
    assert!(
        safety[0]
            .heading()
            .starts_with("zone safety rule 1 (model line "),
        "{}",
        safety[0].heading()
    );
    assert!(
        set.notes
            .iter()
            .any(|n| n.contains("zone safety: members role:safety_controller need captures")),
        "{:?}",
        set.notes
    );
    assert!(set.allows(ip("10.1.0.4"), ip("10.1.1.4"), UDP, 1).is_some());
    assert!(set
        .allows(ip("10.9.0.11"), ip("10.9.0.12"), TCP, 1502)
        .is_none());
}

#[test]
fn inventory_addresses_outside_the_networks_join_their_zone() {
    let m = model(
        r#"
[[zone]]
id = "cell"
members = ["10.1.0.0/24", "role:plc"]

[[zone]]
id = "scada"
members = ["10.2.0.0/24"]

[[conduit]]
id = "c"
zones = ["scada", "cell"]
direction = "one-way"
  [[conduit.rule]]
  protocol = "modbus"
"#,
    );
    let res = Resolution::from_views(
        &m,
        vec![
            device("172.16.0.9", Role::Plc),
            device("10.1.0.9", Role::Plc),
            device("10.1.0.255", Role::Unknown),
        ],
    );
    let set = build(&m, Some(&res));
    let r = &conduit_rules(&set, "c")[0];
    assert_eq!(r.destinations, nets(&["10.1.0.0/24", "172.16.0.9"]));
}

/// The addresses, transports and ports the decision tests try.
pub(crate) fn probes(addresses: &[&str]) -> Vec<(IpAddr, IpAddr, u8, u16)> {
    let mut out = Vec::new();
    for c in addresses {
        for s in addresses {
            for (t, ports) in [
                (
                    TCP,
                    &[22u16, 80, 102, 443, 502, 5020, 8080, 8015, 20000, 44818][..],
                ),
                (UDP, &[53, 123, 514, 2222, 9999][..]),
                (ICMP, &[0][..]),
                (crate::protocols::ICMPV6, &[0][..]),
            ] {
                for p in ports {
                    out.push((ip(c), ip(s), t, *p));
                }
            }
        }
    }
    out
}

pub(crate) fn example_resolution(m: &Model) -> Resolution {
    Resolution::from_views(
        m,
        vec![
            device("10.10.1.10", Role::Plc),
            device("10.10.1.11", Role::Plc),
            device("10.10.2.20", Role::Hmi),
            device("10.10.2.21", Role::Hmi),
            device("10.10.2.13", Role::EngineeringWorkstation),
            device("10.10.3.30", Role::Historian),
            device("10.10.4.40", Role::ItHost),
            device("10.10.9.9", Role::ItHost),
        ],
    )
}

#[test]
fn nftables_text_reads_back_to_the_same_decisions() {
    let cases: Vec<(Model, Vec<&str>)> = vec![
        (
            model(crate::EXAMPLE_ZONES),
            vec![
                "10.10.1.10",
                "10.10.1.77",
                "10.10.2.11",
                "10.10.2.13",
                "10.10.2.20",
                "10.10.3.10",
                "10.10.4.40",
                "10.10.9.9",
            ],
        ),
        (
            model(PLANT),
            vec![
                "10.10.1.10",
                "10.10.1.77",
                "10.10.2.11",
                "10.10.2.13",
                "10.10.2.20",
                "10.10.3.30",
                "10.10.4.40",
                "10.10.9.9",
            ],
        ),
        (
            with_conduit(
                r#"
[[conduit]]
id = "peer"
zones = ["cell", "scada"]
  [[conduit.rule]]
  protocol = "tcp"
  ports = [22, "8000-8020"]
  [[conduit.rule]]
  protocol = "icmp"
  clients = ["zone:scada"]
  [[conduit.rule]]
  protocol = "enip"
  servers = ["10.1.0.7", "fd02::9"]
"#,
            ),
            vec![
                "10.1.0.7", "10.1.0.8", "10.2.0.1", "fd02::9", "fd02::10", "fd03::1",
            ],
        ),
    ];
    for (m, addresses) in cases {
        let res = example_resolution(&m);
        for resolution in [None, Some(&res)] {
            let set = build(&m, resolution);
            let text = render(&set, Target::Nftables, &m);
            let parsed = parse_nftables(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert!(!parsed.is_empty());
            for (c, s, t, p) in probes(&addresses) {
                let ir = set.allows(c, s, t, p).map(|i| &set.rules[i]);
                let nft = allows(&parsed, c, s, t, p).map(|i| &parsed[i]);
                assert_eq!(
                    ir.map(|r| (&r.conduit, r.model_line, r.rule_index)),
                    nft.map(|r| (&r.conduit, r.model_line, r.rule_index)),
                    "{c} -> {s} proto {t} port {p}\n{text}"
                );
            }
        }
    }
}

#[test]
fn the_test_plant_renders_what_it_says() {
    let m = model(PLANT);
    let res = example_resolution(&m);
    let set = build(&m, Some(&res));
    let nft = render(&set, Target::Nftables, &m);
    assert!(nft.contains("type filter hook forward priority filter; policy drop;"));
    assert!(nft.contains(
        "ip saddr { 10.10.2.20, 10.10.2.21 } ip daddr { 10.10.1.0/24 } tcp dport { 502, 5020 } ct state new counter accept"
    ), "{nft}");
    assert!(
        nft.contains(
            "ip saddr { 10.10.2.13 } ip daddr { 10.10.1.0/24 } ct state new counter accept"
        ),
        "{nft}"
    );
    assert!(
        nft.contains("# conduit supervisory-control rule 1 (model line "),
        "{nft}"
    );
    // The engineering station may do anything; the HMIs only what port 502 carries.
    assert!(set
        .allows(ip("10.10.2.13"), ip("10.10.1.10"), TCP, 102)
        .is_some());
    assert!(set
        .allows(ip("10.10.2.20"), ip("10.10.1.10"), TCP, 22)
        .is_none());
    assert!(
        set.allows(ip("10.10.1.10"), ip("10.10.2.20"), TCP, 502)
            .is_none(),
        "one-way"
    );
    assert!(
        set.allows(ip("10.10.4.40"), ip("10.10.1.10"), TCP, 502)
            .is_none(),
        "no conduit"
    );

    let ipt = render(&set, Target::Iptables, &m);
    assert!(ipt.starts_with("# zonewarden"));
    assert!(
        ipt.contains("\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n")
    );
    assert!(ipt.contains(
        "-A FORWARD -s 10.10.2.20,10.10.2.21 -d 10.10.1.0/24 -p tcp -m multiport --dports 502,5020 -m conntrack --ctstate NEW -m comment --comment \"zonewarden supervisory-control rule 1 model line "
    ), "{ipt}");
    assert!(ipt.ends_with("COMMIT\n"));
    for line in ipt.lines().filter(|l| l.contains("--comment")) {
        let comment = line.split("--comment ").nth(1).unwrap();
        assert!(comment.len() <= 256 + 12, "{line}");
    }
}

#[test]
fn ipv6_is_kept_apart_per_family() {
    let m = with_conduit(
        r#"
[[conduit]]
id = "hmi-plc"
zones = ["scada", "cell"]
direction = "one-way"
  [[conduit.rule]]
  protocol = "icmp"

[[conduit]]
id = "six"
zones = ["cell", "scada"]
direction = "one-way"
  [[conduit.rule]]
  protocol = "udp"
  ports = [161]
  servers = ["fd02::5"]
"#,
    );
    let set = build(&m, None);
    let nft = render(&set, Target::Nftables, &m);
    assert!(nft.contains("ip saddr { 10.2.0.0/24 } ip daddr { 10.1.0.0/24 } meta l4proto icmp ct state new counter accept"), "{nft}");
    // The cell zone has no IPv6 network: no IPv6 rule towards it, and none from it.
    assert!(!nft.contains("ipv6-icmp"), "{nft}");
    let six = conduit_rules(&set, "six");
    assert!(!six[0].is_active());
    assert_eq!(
        six[0].why_inactive().unwrap(),
        "no rule: clients and servers share no address family"
    );

    let m = model(
        r#"
[[zone]]
id = "a"
members = ["10.1.0.0/24", "fd01::/64"]
[[zone]]
id = "b"
members = ["10.2.0.0/24", "fd02::/64"]
[[conduit]]
id = "ab"
zones = ["a", "b"]
direction = "one-way"
  [[conduit.rule]]
  protocol = "modbus"
  [[conduit.rule]]
  protocol = "icmp"
"#,
    );
    let set = build(&m, None);
    let nft = render(&set, Target::Nftables, &m);
    assert!(nft.contains("ip6 saddr { fd01::/64 } ip6 daddr { fd02::/64 } tcp dport { 502, 5020 } ct state new counter accept"), "{nft}");
    assert!(nft.contains("ip6 saddr { fd01::/64 } ip6 daddr { fd02::/64 } meta l4proto ipv6-icmp ct state new counter accept"), "{nft}");
    let ipt = render(&set, Target::Iptables, &m);
    assert!(
        ipt.contains("# needs ip6tables: -A FORWARD -s fd01::/64 -d fd02::/64 -p tcp"),
        "{ipt}"
    );
    assert!(
        !ipt.lines()
            .any(|l| l.starts_with("-A") && l.contains("fd0")),
        "{ipt}"
    );
    let ios = render(&set, Target::CiscoIos, &m);
    assert!(
        ios.contains("\nipv6 access-list ZONEWARDEN-FORWARD-V6\n"),
        "{ios}"
    );
    assert!(
        ios.contains(" permit tcp fd01::/64 fd02::/64 eq 502\n"),
        "{ios}"
    );
    assert!(
        ios.contains(" permit tcp fd02::/64 eq 502 fd01::/64 established\n"),
        "{ios}"
    );
    assert!(
        ios.contains(" permit icmp any any nd-ns\n deny ipv6 any any log\n"),
        "{ios}"
    );
    cisco_syntax(&ios).unwrap();
}

#[test]
fn parse_nftables_reads_only_what_render_writes() {
    let m = model(PLANT);
    let text = render(&build(&m, None), Target::Nftables, &m);
    let parsed = parse_nftables(&text).unwrap();
    let ews = parsed
        .iter()
        .find(|r| r.sources == nets(&["10.10.2.13"]))
        .unwrap();
    assert_eq!(ews.conduit, "supervisory-control");
    assert_eq!(ews.rule_index, 2);
    assert_eq!(ews.transport, None);
    assert!(text
        .lines()
        .nth(ews.text_line - 1)
        .unwrap()
        .contains("10.10.2.13"));

    for (from, to) in [
        ("ct state new counter accept", "ct state new counter drop"),
        (
            "tcp dport { 80, 8000, 8080 }",
            "tcp sport { 80, 8000, 8080 }",
        ),
        ("tcp dport { 443 }", "tcp dport { 443- }"),
        ("ip saddr { 10.10.2.11 }", "ip saddr { 10.10.2.11, }"),
        ("ct state established,related accept", ""),
        ("policy drop;", "policy accept;"),
        ("ip daddr { 10.10.1.0/24 }", "ip6 daddr { 10.10.1.0/24 }"),
        ("# conduit", "# pipe"),
        ("# zone", "# pipe"),
        ("ip saddr { 10.10.2.13 }", "ip saddr { 10.10.2.13/24 }"),
    ] {
        assert!(text.contains(from), "{from}");
        let broken = if from.starts_with('#') {
            text.replace("# conduit", to).replace("# zone", to)
        } else {
            text.replacen(from, to, 1)
        };
        assert!(
            parse_nftables(&broken).is_err(),
            "accepted with {from:?} -> {to:?}"
        );
    }
    assert!(parse_nftables("").is_err());
}

/// A checker of the Cisco subset zonewarden writes: `ip access-list extended NAME` (and
/// `ipv6 access-list NAME`), ` remark …` of at most 100 characters, and
/// ` permit|deny PROTO SRC [PORT] DST [PORT] [established] [echo-reply] [log]` where an
/// end is `any`, `host A` or `A W` with W a contiguous inverse mask matching A.
pub(crate) fn cisco_syntax(text: &str) -> Result<usize, String> {
    let mut family: Option<Family> = None;
    let mut entries = 0usize;
    for (n, line) in text.lines().enumerate() {
        let err = |why: &str| Err(format!("line {}: {why}: {line:?}", n + 1));
        if let Some(name) = line.strip_prefix("ip access-list extended ") {
            if name.is_empty() || name.contains(char::is_whitespace) {
                return err("bad ACL name");
            }
            family = Some(Family::V4);
        } else if let Some(name) = line.strip_prefix("ipv6 access-list ") {
            if name.is_empty() || name.contains(char::is_whitespace) {
                return err("bad ACL name");
            }
            family = Some(Family::V6);
        } else if let Some(remark) = line.strip_prefix(" remark ") {
            if family.is_none() || remark.trim().is_empty() || remark.chars().count() > 100 {
                return err("bad remark");
            }
        } else if let Some(rest) = line
            .strip_prefix(" permit ")
            .or_else(|| line.strip_prefix(" deny "))
        {
            let Some(f) = family else {
                return err("entry outside an ACL");
            };
            if let Err(e) = cisco_entry(rest, f) {
                return err(&e);
            }
            entries += 1;
        } else {
            return err("not ACL syntax");
        }
    }
    Ok(entries)
}

fn cisco_entry(rest: &str, family: Family) -> Result<(), String> {
    let tokens: Vec<&str> = rest.split(' ').collect();
    let mut t = tokens.iter().copied().peekable();
    let proto = t.next().ok_or("no protocol")?;
    let ports = matches!(proto, "tcp" | "udp");
    match (proto, family) {
        ("ip", Family::V4) | ("ipv6", Family::V6) | ("tcp" | "udp" | "icmp", _) => {}
        (p, Family::V4) if p.parse::<u8>().is_ok() => {}
        _ => return Err(format!("protocol {proto}")),
    }
    for side in 0..2 {
        let first = t.next().ok_or("an end is missing")?;
        match first {
            "any" => {}
            "host" => {
                let a = t.next().ok_or("host needs an address")?;
                match family {
                    Family::V4 => a
                        .parse::<std::net::Ipv4Addr>()
                        .map(|_| ())
                        .map_err(|_| format!("host {a}"))?,
                    Family::V6 => a
                        .parse::<std::net::Ipv6Addr>()
                        .map(|_| ())
                        .map_err(|_| format!("host {a}"))?,
                }
            }
            a if family == Family::V4 => {
                let addr: std::net::Ipv4Addr = a.parse().map_err(|_| format!("address {a}"))?;
                let w = t.next().ok_or("a wildcard mask is missing")?;
                let wild: std::net::Ipv4Addr = w.parse().map_err(|_| format!("wildcard {w}"))?;
                let w = u32::from(wild);
                if w.wrapping_add(1) & w != 0 {
                    return Err(format!("wildcard {wild} is not contiguous"));
                }
                if u32::from(addr) & w != 0 {
                    return Err(format!("{addr} has bits inside wildcard {wild}"));
                }
            }
            a => {
                let n: ipnet::Ipv6Net = a.parse().map_err(|_| format!("prefix {a}"))?;
                if n.trunc() != n {
                    return Err(format!("{a} has host bits"));
                }
            }
        }
        if ports && matches!(t.peek(), Some(&"eq") | Some(&"range")) {
            let kind = t.next().ok_or("?")?;
            let lo: u16 = t
                .next()
                .and_then(|p| p.parse().ok())
                .filter(|&p| p > 0)
                .ok_or("port")?;
            if kind == "range" {
                let hi: u16 = t.next().and_then(|p| p.parse().ok()).ok_or("port")?;
                if hi <= lo {
                    return Err("empty range".to_string());
                }
            }
        }
        let _ = side;
    }
    if proto == "tcp" && t.peek() == Some(&"established") {
        t.next();
    }
    if proto == "icmp" && matches!(t.peek(), Some(&"echo-reply") | Some(&"echo")) {
        t.next();
    }
    if proto == "icmp"
        && family == Family::V6
        && matches!(t.peek(), Some(&"nd-na") | Some(&"nd-ns"))
    {
        t.next();
    }
    if t.peek() == Some(&"log") {
        t.next();
    }
    match t.next() {
        None => Ok(()),
        Some(extra) => Err(format!("unexpected {extra:?}")),
    }
}

#[test]
fn the_cisco_checker_rejects_what_ios_would() {
    for bad in [
        "ip access-list extended A\n permit tcp 10.0.0.0 0.255.0.255 any\n",
        "ip access-list extended A\n permit tcp 10.0.0.1 0.0.0.255 any\n",
        "ip access-list extended A\n permit tcp host 10.0.0 any\n",
        "ip access-list extended A\n permit tcp any any eq 0\n",
        "ip access-list extended A\n permit ip any any established\n",
        "ip access-list extended A\n permit tcp any any eq 80 foo\n",
        " permit ip any any\n",
        "ip access-list extended A\n!\n",
        &format!("ip access-list extended A\n remark {}\n", "x".repeat(101)),
    ] {
        assert!(cisco_syntax(bad).is_err(), "accepted {bad:?}");
    }
    assert_eq!(
        cisco_syntax("ip access-list extended A\n remark r\n permit tcp 10.0.0.0 0.0.0.255 host 10.1.0.1 range 1000 1010\n permit tcp host 10.1.0.1 eq 80 10.0.0.0 0.0.0.255 established\n deny ip any any log\n"),
        Ok(3)
    );
}

#[test]
fn the_cisco_output_is_valid_acl_syntax() {
    for text in [crate::EXAMPLE_ZONES, PLANT] {
        let m = model(text);
        for resolution in [None, Some(example_resolution(&m))] {
            let set = build(&m, resolution.as_ref());
            let ios = render(&set, Target::CiscoIos, &m);
            let entries = cisco_syntax(&ios).unwrap_or_else(|e| panic!("{e}\n{ios}"));
            assert!(entries > 0, "{ios}");
            assert!(ios.starts_with("ip access-list extended ZONEWARDEN-FORWARD\n"));
            assert!(ios.ends_with(" deny ip any any log\n"), "{ios}");
        }
    }
    let m = model(PLANT);
    for resolution in [None, Some(example_resolution(&m))] {
        let set = build(&m, resolution.as_ref());
        let ios = render(&set, Target::CiscoIos, &m);
        let entries = cisco_syntax(&ios).unwrap_or_else(|e| panic!("{e}\n{ios}"));
        assert!(entries > 5, "{ios}");
        assert!(ios.starts_with("ip access-list extended ZONEWARDEN-FORWARD\n"));
        assert!(ios.ends_with(" deny ip any any log\n"), "{ios}");
        assert!(
            ios.contains(" permit ip host 10.10.2.13 10.10.1.0 0.0.0.255\n"),
            "{ios}"
        );
        assert!(
            ios.contains(" permit tcp 10.10.1.0 0.0.0.255 host 10.10.2.13 established\n"),
            "{ios}"
        );
        assert!(
            ios.contains(" permit udp 10.10.2.0 0.0.0.255 10.10.4.0 0.0.0.255 eq 123\n"),
            "{ios}"
        );
        assert!(
            ios.contains(" permit udp 10.10.4.0 0.0.0.255 eq 123 10.10.2.0 0.0.0.255\n"),
            "{ios}"
        );
        assert!(
            ios.contains(" remark not enforced here: operation classes"),
            "{ios}"
        );
        if resolution.is_some() {
            assert!(
                ios.contains(" permit tcp host 10.10.2.20 10.10.1.0 0.0.0.255 eq 502\n"),
                "{ios}"
            );
            assert!(
                ios.contains(
                    " permit tcp 10.10.1.0 0.0.0.255 eq 502 host 10.10.2.20 established\n"
                ),
                "{ios}"
            );
        }
    }
}

#[test]
fn wrapping_keeps_remarks_within_the_limit() {
    let lines = wrap(&format!("{} {}", "word ".repeat(60), "x".repeat(150)), 100);
    assert!(
        lines
            .iter()
            .all(|l| l.chars().count() <= 100 && !l.is_empty()),
        "{lines:?}"
    );
    assert_eq!(one_line("a\nb\tc"), "a b c");
}

mod properties {
    use super::super::parse_nftables;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parse_nftables_never_panics(text in "(table inet zonewarden \\{|chain forward \\{|# conduit x rule 1 \\(model line 2\\): y|ip6? [sd]addr \\{ [0-9a-f.:/, ]{0,30} \\}|tcp dport [0-9{},\\- ]{0,12}|meta l4proto [a-z0-9-]{0,8}|ct state new|counter|accept|\\}|[ -~]{0,20}|\n){0,40}") {
            let _ = parse_nftables(&text);
        }
    }
}
