//! `zonewarden assess` at plant scale: 10,000 devices in 100 zones, 198 conduits, 200,000
//! conversations and a components file, on one core.
//!
//! ```sh
//! cargo bench -p zonewarden-assess --bench assess            # 10,000 devices
//! cargo bench -p zonewarden-assess --bench assess -- 20000   # another device count
//! ```
//!
//! The inputs are synthetic and deterministic (a fixed xorshift seed): per zone, HMIs,
//! engineering stations, IT hosts and controllers; Modbus and S7comm polling along the
//! conduits, some of it with writes the rules do not allow, IT hosts reaching controllers
//! without a conduit, TLS and HTTP services, and facts the observation rules read (TLS
//! versions, cleartext logins, OPC UA policies). What is timed is what `assess` adds after
//! the scan: the zones check and the assessment (observation rules, SL-A, SL-C,
//! remediation); best of three runs.

// A benchmark's setup: a failed expectation should stop it loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};
use zonewarden_assess::{assess, components, InputFile, InputFiles, Inputs};
use zonewarden_dissect::{OpClass, Protocol};
use zonewarden_inventory::{Asset, Criticality, Inventory, Role};
use zonewarden_model::Timestamp;
use zonewarden_policy::{check, Conversation, OpUse, Resolution};

const ZONES: usize = 100;
const CONVERSATIONS: usize = 200_000;
const TCP: u8 = 6;

fn address(zone: usize, host: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        10,
        (zone / 250) as u8,
        (zone % 250) as u8,
        host as u8,
    ))
}

/// Device roles by host number (1-based), the same in every zone.
fn role_of(host: usize, per_zone: usize) -> Role {
    match host * 100 / per_zone {
        0..=29 => Role::Hmi,
        30..=34 => Role::EngineeringWorkstation,
        35..=49 => Role::ItHost,
        _ => Role::Plc,
    }
}

fn zone_id(zone: usize) -> String {
    format!("z{zone:03}")
}

fn model_text() -> String {
    let mut t = String::from("[plant]\nname = \"Benchmark plant\"\n");
    for z in 0..ZONES {
        let _ = write!(
            t,
            "\n[[zone]]\nid = \"{}\"\nsl_t = {}\npurdue_level = {}\ncriticality = \"{}\"\nmembers = [\"{}/24\"]\n",
            zone_id(z),
            1 + z % 3,
            1 + z % 4,
            ["low", "medium", "high", "critical"][z % 4],
            address(z, 0)
        );
    }
    let pairs = (0..ZONES - 1)
        .map(|a| (a, a + 1))
        .chain((0..ZONES - 7).map(|a| (a, a + 7)));
    for (a, b) in pairs {
        let _ = write!(
            t,
            "\n[[conduit]]\nid = \"{}-{}\"\nzones = [\"{}\", \"{}\"]\nsl_t = 2\ncontrols = [\"firewall\"]\n\n  [[conduit.rule]]\n  protocol = \"modbus\"\n  clients = [\"role:hmi\"]\n  operations = [\"read\"]\n\n  [[conduit.rule]]\n  protocol = \"s7comm\"\n  clients = [\"role:engineering_workstation\"]\n\n  [[conduit.rule]]\n  protocol = \"tls\"\n",
            zone_id(a),
            zone_id(b),
            zone_id(a),
            zone_id(b)
        );
    }
    t
}

fn asset(zone: usize, host: usize, per_zone: usize) -> Asset {
    let ip = address(zone, host);
    let mac = format!("02:00:00:{:02x}:{:02x}:{host:02x}", zone / 256, zone % 256);
    let role = role_of(host, per_zone);
    let mut facts: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let (protocols, services): (Vec<&'static str>, Vec<String>) = match role {
        Role::Plc => {
            if host.is_multiple_of(7) {
                facts.insert(
                    "security_policy",
                    vec!["http://opcfoundation.org/UA/SecurityPolicy#None".into()],
                );
            }
            (
                vec!["modbus", "s7comm"],
                vec!["tcp/502".into(), "tcp/102".into(), "tcp/80".into()],
            )
        }
        Role::ItHost => {
            facts.insert("tls_version", vec!["TLS 1.2".into()]);
            if host.is_multiple_of(5) {
                facts.insert("cleartext_login", vec!["telnet".into()]);
            }
            (vec!["tls", "http"], vec!["tcp/443".into()])
        }
        _ => (vec!["modbus"], Vec::new()),
    };
    Asset {
        id: format!("mac:{mac}"),
        ip: Some(ip),
        ips: vec![ip],
        mac: Some(mac.clone()),
        macs: vec![mac],
        vendor: (role == Role::Plc).then(|| "Siemens".to_string()),
        model: (role == Role::Plc && !host.is_multiple_of(3)).then(|| "S7-1500".to_string()),
        firmware: (role == Role::Plc && !host.is_multiple_of(3)).then(|| "2.9".to_string()),
        serial: None,
        hostname: Some(format!("{}-{zone}-{host}", role.as_str())),
        os: None,
        role,
        role_reason: "benchmark".into(),
        purdue_level: Some(if role == Role::Plc { 1 } else { 2 }),
        purdue_reason: "benchmark".into(),
        criticality: if role == Role::Plc {
            Criticality::High
        } else {
            Criticality::Medium
        },
        protocols: protocols.clone(),
        protocols_served: if role == Role::Plc {
            protocols
        } else {
            Vec::new()
        },
        protocols_used: Vec::new(),
        services,
        behind_gateway: Vec::new(),
        first_ts: Some(Timestamp::from_secs_nanos(1_700_000_000, 0)),
        last_ts: Some(Timestamp::from_secs_nanos(1_700_003_600, 0)),
        packets: 1000,
        bytes: 100_000,
        provenance: BTreeMap::new(),
        facts,
        notes: Vec::new(),
    }
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn op(name: &'static str, code: u16, class: OpClass, t: Timestamp) -> OpUse {
    OpUse {
        name,
        code,
        class,
        count: 10,
        first_ts: Some(t),
        last_ts: Some(t),
    }
}

fn conversations(per_zone: usize) -> Vec<Conversation> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let in_role = |rng: &mut Rng, lo: usize, hi: usize| {
        let lo = (lo * per_zone / 100).max(1);
        let hi = (hi * per_zone / 100).max(lo + 1);
        lo + rng.below(hi - lo)
    };
    (0..CONVERSATIONS)
        .map(|i| {
            let t = Timestamp::from_secs_nanos(1_700_000_000 + (i / 100) as u64, 0);
            let a = rng.below(ZONES - 1);
            let plc = address(a + 1, in_role(&mut rng, 50, 100));
            let (client, server, port, protocol, operations) = match rng.below(10) {
                0..=5 => (
                    address(a, in_role(&mut rng, 0, 30)),
                    plc,
                    502,
                    Some(Protocol::Modbus),
                    if rng.below(20) == 0 {
                        vec![op("Write Single Register", 6, OpClass::Write, t)]
                    } else {
                        vec![op("Read Holding Registers", 3, OpClass::Read, t)]
                    },
                ),
                6 => (
                    address(a, in_role(&mut rng, 30, 35)),
                    plc,
                    102,
                    Some(Protocol::S7comm),
                    vec![op("Download Block", 0x1b, OpClass::Program, t)],
                ),
                7 => (
                    address(a + 1, in_role(&mut rng, 0, 30)),
                    address(a, in_role(&mut rng, 35, 50)),
                    443,
                    Some(Protocol::Tls),
                    Vec::new(),
                ),
                8 => (
                    address(a, in_role(&mut rng, 0, 30)),
                    plc,
                    80,
                    Some(Protocol::Http),
                    Vec::new(),
                ),
                _ => (
                    address(a, in_role(&mut rng, 35, 50)),
                    address((a + 30) % ZONES, in_role(&mut rng, 50, 100)),
                    502,
                    Some(Protocol::Modbus),
                    vec![op("Read Coils", 1, OpClass::Read, t)],
                ),
            };
            Conversation {
                client,
                server,
                transport: TCP,
                port,
                protocol,
                operations,
                flows: 1,
                packets: 20,
                bytes: 2000,
                first_ts: t,
                last_ts: Timestamp(t.0 + 1_000_000_000),
                client_packets: 10,
                server_packets: 10,
                direction_guessed: false,
            }
        })
        .collect()
}

const COMPONENTS: &str = r#"
[[component]]
id = "plc"
name = "Benchmark PLC"
type = "embedded-device"
matches = ["role:plc"]
meets = ["CR 1.1", "CR 1.2", "CR 2.1", "CR 3.1", "CR 4.1", "CR 5.1", "CR 7.1"]

[[component]]
id = "hmi"
type = "host-device"
matches = ["role:hmi", "role:engineering_workstation"]
meets = ["CR 1.1", "CR 1.1 RE(1)", "CR 2.1", "CR 3.1", "CR 4.1"]
"#;

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or_else(|| "unknown".into(), |kb| format!("{:.1} MiB", kb / 1024.0))
}

fn main() {
    // `cargo bench` passes `--bench`; a number is the device count.
    let devices: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.replace('_', "").parse().ok())
        .unwrap_or(10_000);
    let per_zone = (devices / ZONES).clamp(4, 250);
    let model = zonewarden_policy::parse("bench-zones.toml", &model_text())
        .unwrap_or_else(|e| panic!("{e}"));
    let inventory = Inventory {
        assets: (0..ZONES)
            .flat_map(|z| (1..=per_zone).map(move |h| asset(z, h, per_zone)))
            .collect(),
    };
    let conversations = conversations(per_zone);
    let products = components::parse("components.toml", COMPONENTS).unwrap();
    let file = |path: &str| InputFile {
        path: path.into(),
        sha256: String::new(),
    };
    println!(
        "plant: {} devices in {} zones, {} conduits, {} conversations, {} products",
        inventory.assets.len(),
        model.zones.len(),
        model.conduits.len(),
        conversations.len(),
        products.components.len()
    );
    let mut best = Duration::MAX;
    let mut summary = String::new();
    for _ in 0..3 {
        let started = Instant::now();
        let resolution = Resolution::new(&model, &inventory);
        let report = check(&model, &resolution, &conversations);
        let inputs = Inputs {
            model: &model,
            inventory: &inventory,
            resolution: &resolution,
            conversations: &conversations,
            check: &report,
            capture_hashes: vec![String::new()],
            as_of: Some(Timestamp::from_secs_nanos(1_700_003_600, 0)),
            components: Some(&products),
        };
        let result = assess(
            &inputs,
            None,
            InputFiles {
                model: file("bench-zones.toml"),
                attestations: None,
                risk: None,
                components: Some(file("components.toml")),
                captures: vec![file("bench.pcap")],
            },
        );
        best = best.min(started.elapsed());
        let requirements: usize = result
            .zones
            .iter()
            .chain(&result.conduits)
            .map(|s| s.requirements.len())
            .sum();
        let with_sl_c = result.zones.iter().filter(|z| z.sl_c.is_some()).count();
        summary = format!(
            "{} violations, {requirements} requirement results, {with_sl_c} zones with SL-C, {} remediation steps",
            report.violations.len(),
            result.remediation.len()
        );
        assert_eq!(with_sl_c, ZONES, "every zone has controllers");
    }
    println!("{summary}");
    println!(
        "check + assessment: {:.3} s (best of 3; target < 1 s for 10,000 devices); peak RSS {}",
        best.as_secs_f64(),
        peak_rss()
    );
}
