//! The generated rule sets, checked by the firewalls' own tools: `nft -c -f` and
//! `iptables-restore --test`. Neither changes the running rule set; both may need
//! CAP_NET_ADMIN, so each is tried as is, then in a new network namespace (`unshare -n`,
//! and `unshare -rn` for an unprivileged user).
//!
//! When a tool is missing the test says so and passes, except in CI (`CI=true`), where it
//! fails: CI installs the `nftables` and `iptables` packages.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use zonewarden_inventory::Role;
use zonewarden_policy::acl::{build, render, Target};
use zonewarden_policy::{parse, AssetView, Model, Resolution, EXAMPLE_ZONES};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Where a tool is, looking in PATH and the sbin directories (not on every user's PATH).
fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Runs the tool's check on `file`; `Ok(())` when it accepts it, `Err` with what each way
/// of running it said. `None` when the tool is not installed.
fn check_with(tool: &str, args: &[&str], file: &Path) -> Option<Result<String, String>> {
    let binary = find_tool(tool)?;
    let unshare = find_tool("unshare");
    let mut attempts: Vec<(String, Command)> = Vec::new();
    let mut plain = Command::new(&binary);
    plain.args(args).arg(file);
    attempts.push((tool.to_string(), plain));
    if let Some(unshare) = &unshare {
        for flags in ["-n", "-rn"] {
            let mut c = Command::new(unshare);
            c.arg(flags).arg(&binary).args(args).arg(file);
            attempts.push((format!("unshare {flags} {tool}"), c));
        }
    }
    let mut said = Vec::new();
    for (how, mut command) in attempts {
        match command.output() {
            Ok(out) if out.status.success() => return Some(Ok(how)),
            Ok(out) => said.push(format!(
                "{how}: {}\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )),
            Err(e) => said.push(format!("{how}: {e}")),
        }
    }
    Some(Err(said.join("\n")))
}

/// Permission problems (no CAP_NET_ADMIN, no user namespaces) are the machine's, not the
/// rule set's.
fn only_permission_errors(said: &str) -> bool {
    let lower = said.to_ascii_lowercase();
    let syntax = [
        "error: syntax",
        "could not process rule",
        "error occurred at line",
        "unknown option",
        "too many ports",
        "bad argument",
        "conflicting",
    ];
    !syntax.iter().any(|s| lower.contains(s))
        && [
            "operation not permitted",
            "permission denied",
            "cache initialization failed",
            "could not fetch rules",
        ]
        .iter()
        .any(|s| lower.contains(s))
}

fn skip(why: &str) {
    if in_ci() {
        panic!("{why} (CI=true: the tool must be installed and usable)");
    }
    eprintln!("skipped: {why}");
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zonewarden-acl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn resolution(model: &Model) -> Resolution {
    let device = |ip: &str, role: Role| {
        let mut v = AssetView::from_ip(ip.parse::<IpAddr>().unwrap());
        v.role = role;
        v
    };
    Resolution::from_views(
        model,
        vec![
            device("10.10.1.10", Role::Plc),
            device("10.10.2.11", Role::Hmi),
            device("10.10.2.12", Role::Hmi),
            device("10.10.2.13", Role::EngineeringWorkstation),
            device("10.10.3.10", Role::Historian),
            device("10.10.4.20", Role::ItHost),
            device("fd00:10::5", Role::Plc),
        ],
    )
}

/// A model with both address families, ICMP, port ranges and more ports than one
/// multiport match takes, so that every way of writing a rule is checked.
const MIXED: &str = r#"
[[asset]]
name = "HMI"
match = "10.20.2.11"
tags = ["operator"]

[[zone]]
id = "cell"
members = ["10.20.1.0/24", "fd00:20:1::/64"]

[[zone]]
id = "scada"
members = ["10.20.2.0/24", "10.20.3.0/25", "fd00:20:2::/64"]
  [[zone.rule]]
  protocol = "rdp"
  clients = ["10.20.2.0/24"]

[[conduit]]
id = "scada-cell"
zones = ["scada", "cell"]
direction = "one-way"
controls = ["dpi-firewall"]
  [[conduit.rule]]
  description = "Operator \"polls\" \\ reads; # not a comment end"
  protocol = "modbus"
  clients = ["tag:operator", "fd00:20:2::11"]
  operations = ["read"]
  [[conduit.rule]]
  protocol = "icmp"
  [[conduit.rule]]
  protocol = "tcp"
  ports = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, "20000-20010", "30000-30010"]
  [[conduit.rule]]
  protocol = "enip"
  [[conduit.rule]]
  description = "overlapping selectors: one set element each"
  protocol = "ssh"
  clients = ["10.20.2.0/24", "10.20.2.11", "asset:HMI", "10.20.3.0/26"]
  [[conduit.rule]]
  protocol = "fox"
  servers = ["role:plc"]

[[conduit]]
id = "peers"
zones = ["cell", "scada"]
direction = "bidirectional"
  [[conduit.rule]]
  protocol = "udp"
  ports = [47808]

[[zone]]
id = "dmz"
members = ["10.20.9.0/24"]

[[conduit]]
id = "diode"
zones = ["cell", "dmz"]
direction = "one-way"
controls = ["data-diode"]
  [[conduit.rule]]
  protocol = "any"
"#;

fn outputs() -> Vec<(String, Model, Option<Resolution>)> {
    let mut out = Vec::new();
    for (name, text) in [("example", EXAMPLE_ZONES), ("mixed", MIXED)] {
        let model = parse(&format!("{name}.toml"), text).unwrap();
        let res = resolution(&model);
        out.push((format!("{name}-model-only"), model.clone(), None));
        out.push((format!("{name}-with-inventory"), model, Some(res)));
    }
    out
}

fn platform_check(tool: &str, args: &[&str], target: Target, extension: &str) {
    for (name, model, res) in outputs() {
        let text = render(&build(&model, res.as_ref()), target, &model);
        let file = temp_file(&format!("{name}.{extension}"), &text);
        match check_with(tool, args, &file) {
            None => {
                return skip(&format!(
                    "{tool} is not installed (apt-get install {})",
                    if tool == "nft" {
                        "nftables"
                    } else {
                        "iptables"
                    }
                ))
            }
            Some(Ok(how)) => {
                eprintln!("{name}: {how} accepts it");
                let _ = std::fs::remove_file(&file);
            }
            Some(Err(said)) if only_permission_errors(&said) => {
                return skip(&format!("{tool} cannot run here: {said}"));
            }
            Some(Err(said)) => panic!("{tool} rejects {}:\n{said}\n---\n{text}", file.display()),
        }
    }
}

#[test]
fn nft_accepts_the_nftables_output() {
    platform_check("nft", &["-c", "-f"], Target::Nftables, "nft");
}

#[test]
fn iptables_restore_accepts_the_iptables_output() {
    platform_check("iptables-restore", &["--test"], Target::Iptables, "rules");
}

#[test]
fn nft_rejects_a_broken_rule_set() {
    // The check is worth something only if the tool does reject bad input.
    let model = parse("example.toml", EXAMPLE_ZONES).unwrap();
    let text = render(&build(&model, None), Target::Nftables, &model).replace(
        "ct state invalid drop",
        "ip saddr { 10.0.0.1 } ip6 daddr { fd00::1 } accept",
    );
    let file = temp_file("broken.nft", &text);
    match check_with("nft", &["-c", "-f"], &file) {
        None => skip("nft is not installed (apt-get install nftables)"),
        Some(Ok(how)) => panic!("{how} accepted a rule mixing ip and ip6"),
        Some(Err(_)) => {}
    }
}
