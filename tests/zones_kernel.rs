//! The simulation equals the kernel: the generated nftables rules are loaded into a network
//! namespace that forwards between two veth pairs, the capture is replayed into it with
//! tcpreplay (destination MAC rewritten to the namespace's interface so that it is routed),
//! and the kernel's connection table is compared with `zones simulate`: every conversation
//! the simulation allows has a connection the kernel accepted, none it blocks has one, and
//! the kernel accepted nothing else. On the generated plant, where every connection starts
//! with a handshake, each accept rule's counter also equals the flows the simulation says
//! that rule takes. (On real captures the counters differ by design: a rule's counter counts
//! every packet of a connection until its first reply, and a capture that starts mid-session
//! or retransmits a SYN has several.)
//!
//! Needs root (network namespaces), iproute2, nftables, conntrack and tcpreplay: CI
//! installs them; elsewhere the test skips with the reason when one is missing.

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
use std::process::Command;

fn sh(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A namespace with `fwin` (where the replay arrives) and `fwout` (the default route):
/// deleted, with its interfaces, when dropped. Like a plant's router it has an address in
/// each zone subnet, so directed broadcasts (10.10.1.255) are not forwarded.
struct Namespace {
    name: String,
    /// Host-side interface names are limited to 15 bytes: `zwi<tag><pid>`.
    host_in: String,
}

impl Namespace {
    /// `tag`: one letter per test, so tests running in parallel do not share names.
    fn create(tag: char, subnets: &[String]) -> Result<Namespace, String> {
        let pid = std::process::id();
        let (host_in, host_out) = (format!("zwi{tag}{pid}"), format!("zwo{tag}{pid}"));
        let ns = Namespace {
            name: format!("zwtest{tag}{pid}"),
            host_in: host_in.clone(),
        };
        sh("ip", &["netns", "add", &ns.name])?;
        sh(
            "ip",
            &[
                "link", "add", &host_in, "type", "veth", "peer", "name", "fwin", "netns", &ns.name,
            ],
        )?;
        sh(
            "ip",
            &[
                "link", "add", &host_out, "type", "veth", "peer", "name", "fwout", "netns",
                &ns.name,
            ],
        )?;
        sh("ip", &["link", "set", &host_in, "up"])?;
        sh("ip", &["link", "set", &host_out, "up"])?;
        for command in [
            "ip link set lo up",
            "ip link set fwin up",
            "ip link set fwout up",
            "sysctl -qw net.ipv4.ip_forward=1",
            "sysctl -qw net.ipv6.conf.all.forwarding=1",
            "sysctl -qw net.ipv4.conf.all.rp_filter=0",
            "sysctl -qw net.ipv4.conf.default.rp_filter=0",
            "sysctl -qw net.ipv4.conf.fwin.rp_filter=0",
            "ip route add default dev fwout",
        ] {
            let words: Vec<&str> = command.split(' ').collect();
            ns.exec(&words)?;
        }
        for subnet in subnets {
            ns.exec(&["ip", "addr", "add", subnet, "dev", "fwout"])?;
        }
        Ok(ns)
    }

    fn exec(&self, args: &[&str]) -> Result<String, String> {
        let mut all = vec!["netns", "exec", self.name.as_str()];
        all.extend_from_slice(args);
        sh("ip", &all)
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = sh("ip", &["netns", "del", &self.name]);
    }
}

/// Skips (or, in CI, fails) when the machine cannot run this test.
fn prerequisites() -> bool {
    for tool in ["ip", "nft", "conntrack", "tcpreplay", "tcprewrite"] {
        let found = Command::new(tool)
            .arg(if tool == "ip" { "-V" } else { "--version" })
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            let reason = format!("{tool} is not installed");
            if common::is_ci() {
                panic!("{reason}: .ci/run installs it");
            }
            eprintln!("SKIPPED: {reason}");
            return false;
        }
    }
    true
}

/// Accept-rule counters of the loaded forward chain, in rule order.
fn kernel_counters(ns: &Namespace) -> Vec<u64> {
    let json = ns
        .exec(&[
            "nft",
            "-j",
            "list",
            "chain",
            "inet",
            "zonewarden",
            "forward",
        ])
        .unwrap();
    let doc: Value = serde_json::from_str(&json).unwrap();
    doc["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item.get("rule"))
        .filter_map(|rule| {
            let expr = rule["expr"].as_array()?;
            let accepts = expr.iter().any(|e| e.get("accept").is_some());
            let counter = expr.iter().find_map(|e| e.get("counter"))?;
            accepts.then(|| counter["packets"].as_u64().unwrap())
        })
        .collect()
}

/// One kernel connection: protocol name, original source, destination, ports.
type Connection = (String, String, String, u16, u16);

/// Parses `conntrack` event lines (`[NEW] tcp 6 120 SYN_SENT src=… dst=… sport=… dport=…`):
/// the first src/dst/ports are the original direction.
fn parse_connections(events: &str) -> Vec<Connection> {
    events
        .lines()
        .filter_map(|line| {
            let proto = line
                .split_whitespace()
                .find(|w| !w.starts_with('['))?
                .to_string();
            let field = |name: &str| {
                line.split_whitespace()
                    .find_map(|w| w.strip_prefix(name))
                    .map(str::to_string)
            };
            Some((
                proto,
                field("src=")?,
                field("dst=")?,
                field("sport=").and_then(|p| p.parse().ok()).unwrap_or(0),
                field("dport=").and_then(|p| p.parse().ok()).unwrap_or(0),
            ))
        })
        .collect()
}

/// A conversation as the simulation sees it: transport, client, server, server port.
type Conv = (String, String, String, u16);

fn split_socket(text: &str) -> (String, u16) {
    let (ip, port) = text.rsplit_once(':').unwrap();
    (
        ip.trim_matches(|c| c == '[' || c == ']').to_string(),
        port.parse().unwrap(),
    )
}

/// Does the kernel connection belong to the conversation (opened by either side)?
fn belongs(k: &Connection, c: &Conv) -> bool {
    k.0 == c.0
        && ((k.1 == c.1 && k.2 == c.2 && k.4 == c.3) || (k.1 == c.2 && k.2 == c.1 && k.3 == c.3))
}

fn run_in(dir: &Path, args: &[&str]) -> String {
    let out = common::zonewarden()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 3),
        "zonewarden {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `subnets`: router addresses with prefix (`10.10.1.254/24`) for the namespace.
fn simulation_matches_the_kernel(
    tag: char,
    exact_counters: bool,
    dir: &Path,
    capture: &Path,
    model: &Path,
    subnets: &[String],
) {
    let capture_arg = capture.to_str().unwrap();
    let model_arg = model.to_str().unwrap();
    let rules = run_in(
        dir,
        &[
            "zones",
            "acl",
            "--model",
            model_arg,
            "--target",
            "nftables",
            capture_arg,
        ],
    );
    let simulation: Value = serde_json::from_str(&run_in(
        dir,
        &[
            "zones",
            "simulate",
            "--model",
            model_arg,
            "--format",
            "json",
            capture_arg,
        ],
    ))
    .unwrap();
    let expected: Vec<u64> = simulation["allowed_by_rule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["flows"].as_u64().unwrap())
        .collect();

    let ns = match Namespace::create(tag, subnets) {
        Ok(ns) => ns,
        Err(reason) => {
            if common::is_ci() {
                panic!("network namespaces are needed in CI: {reason}");
            }
            eprintln!("SKIPPED: network namespaces are not available here: {reason}");
            return;
        }
    };
    let rules_file = dir.join("rules.nft");
    std::fs::write(&rules_file, rules).unwrap();
    ns.exec(&["nft", "-f", rules_file.to_str().unwrap()])
        .unwrap();
    let mac = ns
        .exec(&["cat", "/sys/class/net/fwin/address"])
        .unwrap()
        .trim()
        .to_string();
    let rewritten = dir.join("replay.pcap");
    sh(
        "tcprewrite",
        &[
            &format!("--enet-dmac={mac}"),
            &format!("--infile={capture_arg}"),
            &format!("--outfile={}", rewritten.display()),
        ],
    )
    .unwrap();
    // The kernel announces each connection it accepted (confirmed) as a NEW event; a table
    // listing afterwards would miss those a reset has already removed.
    let mut events = Command::new("ip")
        .args(["netns", "exec", &ns.name, "conntrack", "-E", "-e", "NEW"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let replay = sh(
        "tcpreplay",
        &[
            "-q",
            "--topspeed",
            "-i",
            &ns.host_in,
            rewritten.to_str().unwrap(),
        ],
    );
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let _ = events.kill();
    let events = events.wait_with_output().unwrap();
    replay.unwrap();
    // Connections: every allowed conversation has one, no blocked one, nothing else.
    let scan: Value =
        serde_json::from_str(&run_in(dir, &["scan", "--format", "json", capture_arg])).unwrap();
    let mut conversations: Vec<Conv> = scan["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let (client, _) = split_socket(f["client"].as_str().unwrap());
            let (server, port) = split_socket(f["server"].as_str().unwrap());
            (
                f["proto"].as_str().unwrap().to_string(),
                client,
                server,
                port,
            )
        })
        .filter(|c| {
            let ip: std::net::IpAddr = c.2.parse().unwrap();
            !zonewarden_policy::observe::is_local_only(ip)
        })
        .collect();
    conversations.sort();
    conversations.dedup();
    let blocked: Vec<Conv> = simulation["blocked_conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["transport"].as_str().unwrap().to_string(),
                b["client"].as_str().unwrap().to_string(),
                b["server"].as_str().unwrap().to_string(),
                b["port"].as_u64().unwrap() as u16,
            )
        })
        .collect();
    let allowed: Vec<&Conv> = conversations
        .iter()
        .filter(|c| !blocked.contains(c))
        .collect();
    // Broadcasts reach the namespace itself (they are not forwarded): not the firewall's.
    // ICMP is not tracked as flows, so the simulation does not evaluate it (docs/zones.md).
    let connections: Vec<Connection> = parse_connections(&String::from_utf8_lossy(&events.stdout))
        .into_iter()
        .filter(|k| {
            (k.0 == "tcp" || k.0 == "udp")
                && k.2
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| !zonewarden_policy::observe::is_local_only(ip))
        })
        .collect();
    assert!(!connections.is_empty(), "the kernel accepted nothing");
    for c in &allowed {
        assert!(
            connections.iter().any(|k| belongs(k, c)),
            "simulation allows {c:?}, the kernel has no connection for it"
        );
    }
    for c in &blocked {
        assert!(
            !connections.iter().any(|k| belongs(k, c)),
            "simulation blocks {c:?}, the kernel accepted it"
        );
    }
    for k in &connections {
        assert!(
            allowed.iter().any(|c| belongs(k, c)),
            "the kernel accepted {k:?}, which the simulation does not allow"
        );
    }
    if !exact_counters {
        return;
    }
    let kernel = kernel_counters(&ns);
    assert_eq!(
        kernel.len(),
        expected.len(),
        "one counter per generated accept rule"
    );
    assert_eq!(
        kernel, expected,
        "kernel accept-rule counters (new connections) vs the simulation's flows per rule"
    );
    assert!(
        kernel.iter().sum::<u64>() > 0,
        "the replay reached the rules"
    );
}

#[test]
fn simulation_of_the_demo_plant_equals_the_kernel() {
    if !prerequisites() {
        return;
    }
    let dir: PathBuf =
        std::env::temp_dir().join(format!("zonewarden-kernel-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    run_in(&dir, &["generate", "-o", "plant.pcap"]);
    run_in(&dir, &["init"]);
    // The demo plant's four level subnets (crates/generator/src/plant.rs).
    let subnets: Vec<String> = (1..=4)
        .map(|level| format!("10.10.{level}.254/24"))
        .collect();
    simulation_matches_the_kernel(
        'd',
        true,
        &dir,
        &dir.join("plant.pcap"),
        &dir.join("zones.toml"),
        &subnets,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A real capture (plant1_mb2: long-lived sessions already open when the capture starts,
/// DCOM, SQL) against its hand-written model.
#[test]
fn simulation_of_plant1_equals_the_kernel() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    if !prerequisites() {
        return;
    }
    let dir: PathBuf =
        std::env::temp_dir().join(format!("zonewarden-kernel-p1-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models/plant1_mb2.toml");
    let subnets = ["141.81.0.254/24".to_string(), "142.81.0.254/24".to_string()];
    simulation_matches_the_kernel(
        'p',
        false,
        &dir,
        &pcaps.join("mixed/plant1_mb2.pcap"),
        &model,
        &subnets,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
