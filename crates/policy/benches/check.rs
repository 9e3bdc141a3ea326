//! `zones check` at plant scale: 1,000,000 conversations against 100 zones, 192 conduits
//! with 1,000 rules and 10,000 devices, on one core.
//!
//! ```sh
//! cargo bench -p zonewarden-policy --bench check            # 1,000,000 conversations
//! cargo bench -p zonewarden-policy --bench check -- 100000  # another count
//! cargo bench -p zonewarden-policy --bench check -- allowed # only allowed traffic
//! ```
//!
//! The inputs are synthetic and deterministic (a fixed xorshift seed). The model's rules
//! use the selectors a real model does (addresses, networks, `role:`, `tag:`, `host:`,
//! `zone:`) and operation classes; the traffic mixes allowed conversations, operations
//! the rules do not allow, conversations no rule allows (a scan of the controllers from
//! IT hosts, so nearly each one is a violation of its own), traffic between zones that no
//! conduit joins, and traffic inside zones. Only `check()` is timed: best of three runs.

// A benchmark's setup: a failed expectation should stop it loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};
use zonewarden_dissect::{OpClass, Protocol};
use zonewarden_inventory::Role;
use zonewarden_model::Timestamp;
use zonewarden_policy::{check, AssetView, Conversation, OpUse, Resolution};

const ZONES: usize = 100;
const HOSTS: u8 = 100;
const RULES: usize = 1_000;
const TCP: u8 = 6;

/// Device roles by host number, the same in every zone.
fn role_of(host: u8) -> Role {
    match host {
        1..=30 => Role::Hmi,
        31..=35 => Role::EngineeringWorkstation,
        36..=50 => Role::ItHost,
        _ => Role::Plc,
    }
}

const HMIS: (u8, u8) = (1, 30);
const EWS: (u8, u8) = (31, 35);
const IT: (u8, u8) = (36, 50);
const PLCS: (u8, u8) = (51, 100);

fn address(zone: usize, host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        10,
        (zone / 250) as u8,
        (zone % 250) as u8,
        host,
    ))
}

fn zone_id(zone: usize) -> String {
    format!("z{zone:03}")
}

/// The conduits: each zone to the next (even ones one-way) and to the seventh after it.
fn conduit_pairs() -> Vec<(usize, usize, bool)> {
    let mut pairs: Vec<(usize, usize, bool)> =
        (0..ZONES - 1).map(|a| (a, a + 1, a % 2 == 0)).collect();
    pairs.extend((0..ZONES - 7).map(|a| (a, a + 7, false)));
    pairs
}

fn model_text() -> String {
    let mut t = String::from("[plant]\nname = \"Benchmark plant\"\n");
    for z in 0..ZONES {
        let net = address(z, 0);
        let _ = write!(
            t,
            "\n[[zone]]\nid = \"{}\"\nsl_t = 2\npurdue_level = {}\nmembers = [\"{net}/24\"]\n",
            zone_id(z),
            1 + z % 4
        );
    }
    let pairs = conduit_pairs();
    let per = RULES / pairs.len();
    let extra = RULES % pairs.len();
    let mut rules = 0;
    for (k, &(a, b, one_way)) in pairs.iter().enumerate() {
        let _ = write!(
            t,
            "\n[[conduit]]\nid = \"{}-{}\"\nzones = [\"{}\", \"{}\"]\ndirection = \"{}\"\nsl_t = 2\ncontrols = [\"firewall\"]\n",
            zone_id(a),
            zone_id(b),
            zone_id(a),
            zone_id(b),
            if one_way { "one-way" } else { "bidirectional" }
        );
        let count = per + usize::from(k < extra);
        for r in 0..count {
            rules += 1;
            t.push_str("\n  [[conduit.rule]]\n");
            let rule = match r {
                0 => "  protocol = \"modbus\"\n  clients = [\"role:hmi\"]\n  operations = [\"read\", \"diagnostic\"]\n".to_string(),
                1 => "  protocol = \"s7comm\"\n  clients = [\"tag:engineering\"]\n".to_string(),
                2 => format!(
                    "  protocol = \"enip\"\n  clients = [\"tag:operator-station\"]\n  servers = [{}]\n  operations = [\"read\", \"other\"]\n",
                    (PLCS.0..PLCS.0 + 20)
                        .map(|h| format!("\"{}\"", address(b, h)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                3 => format!(
                    "  protocol = \"tcp\"\n  ports = [\"8000-8100\"]\n  clients = [\"{}/27\"]\n  servers = [\"zone:{}\"]\n",
                    address(a, 0),
                    zone_id(b)
                ),
                4 => format!(
                    "  protocol = \"modbus\"\n  clients = [\"{}\", \"host:ews-{a}-*\"]\n  operations = [\"read\", \"write\", \"program\"]\n",
                    address(a, EWS.0)
                ),
                _ => "  protocol = \"snmp\"\n  clients = [\"role:it_host\"]\n  operations = [\"read\"]\n".to_string(),
            };
            t.push_str(&rule);
        }
    }
    assert_eq!(rules, RULES);
    t
}

fn devices() -> Vec<AssetView> {
    let mut out = Vec::with_capacity(ZONES * usize::from(HOSTS));
    for z in 0..ZONES {
        for h in 1..=HOSTS {
            let mut v = AssetView::from_ip(address(z, h));
            v.id = format!("mac:02:00:00:00:{:02x}:{h:02x}", z);
            v.role = role_of(h);
            v.purdue_level = Some(match v.role {
                Role::Plc => 1,
                Role::ItHost => 4,
                _ => 2,
            });
            v.tags.insert(v.role.as_str().to_string());
            v.tags
                .insert(format!("level-{}", v.purdue_level.unwrap_or(0)));
            match v.role {
                Role::Hmi => {
                    v.tags.insert("operator-station".into());
                    v.hostname = Some(format!("hmi-{z}-{h}"));
                }
                Role::EngineeringWorkstation => {
                    v.tags.insert("engineering".into());
                    v.hostname = Some(format!("ews-{z}-{h}"));
                }
                Role::Plc => {
                    v.tags.insert("modbus".into());
                    v.hostname = Some(format!("plc-{z}-{h}"));
                }
                _ => {}
            }
            out.push(v);
        }
    }
    out
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
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn host(&mut self, (lo, hi): (u8, u8)) -> u8 {
        lo + self.below(u64::from(hi - lo) + 1) as u8
    }
}

fn op(name: &'static str, code: u16, class: OpClass, count: u64, t: Timestamp) -> OpUse {
    OpUse {
        name,
        code,
        class,
        count,
        first_ts: Some(t),
        last_ts: Some(t),
    }
}

/// What the generator meant each conversation to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Meant {
    Allowed,
    OperationNotAllowed,
    NotAllowed,
    NoConduit,
    IntraZone,
}

/// `n` conversations of the mix, or of allowed traffic only (a plant that keeps to its model).
fn conversations(n: usize, allowed_only: bool) -> (Vec<Conversation>, BTreeMap<Meant, usize>) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::with_capacity(n);
    let mut mix = BTreeMap::new();
    for i in 0..n {
        let t = Timestamp::from_secs_nanos(1_700_000_000 + (i as u64) / 1000, 0);
        let a = rng.below(ZONES as u64 - 1) as usize;
        let roll = rng.below(if allowed_only { 55 } else { 100 });
        // Along a conduit of the a/a+1 chain; odd ones are bidirectional, so the
        // connection may come from either side.
        let (from, to) = if a % 2 == 1 && rng.below(2) == 0 {
            (a + 1, a)
        } else {
            (a, a + 1)
        };
        let (meant, client, server, port, protocol, ops) = match roll {
            0..=34 => {
                let mut ops = vec![op(
                    "Read Holding Registers",
                    3,
                    OpClass::Read,
                    1 + rng.below(50),
                    t,
                )];
                if rng.below(4) == 0 {
                    ops.push(op(
                        "Read Device Identification",
                        43,
                        OpClass::Diagnostic,
                        1,
                        t,
                    ));
                }
                (
                    Meant::Allowed,
                    address(from, rng.host(HMIS)),
                    address(to, rng.host(PLCS)),
                    502,
                    Some(Protocol::Modbus),
                    ops,
                )
            }
            35..=39 => (
                Meant::Allowed,
                address(from, rng.host(EWS)),
                address(to, rng.host(PLCS)),
                102,
                Some(Protocol::S7comm),
                vec![
                    op("Read Var", 4, OpClass::Read, 10, t),
                    op("Download Block", 0x1b, OpClass::Program, 3, t),
                ],
            ),
            40..=49 => {
                // The conduit to the seventh zone after; servers named one by one.
                let b = (a + 7).min(ZONES - 1);
                let a = b - 7;
                (
                    Meant::Allowed,
                    address(a, rng.host(HMIS)),
                    address(b, PLCS.0 + rng.below(20) as u8),
                    44818,
                    Some(Protocol::Enip),
                    vec![
                        op("Get_Attribute_Single", 0x0e, OpClass::Read, 5, t),
                        op("Forward_Open", 0x54, OpClass::Other, 1, t),
                    ],
                )
            }
            50..=54 => (
                Meant::Allowed,
                address(a, 1 + rng.below(31) as u8),
                address(a + 1, rng.host(PLCS)),
                8000 + rng.below(101) as u16,
                None,
                Vec::new(),
            ),
            55..=69 => (
                Meant::OperationNotAllowed,
                address(from, rng.host(HMIS)),
                address(to, rng.host(PLCS)),
                502,
                Some(Protocol::Modbus),
                vec![
                    op("Read Holding Registers", 3, OpClass::Read, 20, t),
                    op(
                        "Write Single Register",
                        6,
                        OpClass::Write,
                        1 + rng.below(3),
                        t,
                    ),
                ],
            ),
            70..=84 => (
                // IT hosts scanning the controllers.
                Meant::NotAllowed,
                address(from, rng.host(IT)),
                address(to, rng.host(PLCS)),
                1 + rng.below(65535) as u16,
                None,
                Vec::new(),
            ),
            85..=94 => {
                let far = (a + 20 + rng.below(60) as usize) % ZONES;
                (
                    Meant::NoConduit,
                    address(a, rng.host(HMIS)),
                    address(far, rng.host(PLCS)),
                    502,
                    Some(Protocol::Modbus),
                    vec![op("Read Coils", 1, OpClass::Read, 4, t)],
                )
            }
            _ => (
                Meant::IntraZone,
                address(a, rng.host(HMIS)),
                address(a, rng.host(PLCS)),
                502,
                Some(Protocol::Modbus),
                vec![op("Write Multiple Registers", 16, OpClass::Write, 2, t)],
            ),
        };
        *mix.entry(meant).or_insert(0) += 1;
        out.push(Conversation {
            client,
            server,
            transport: TCP,
            port,
            protocol,
            operations: ops,
            flows: 1 + rng.below(4),
            packets: 10 + rng.below(100),
            bytes: 2000,
            first_ts: t,
            last_ts: Timestamp(t.0 + 1_000_000_000),
            client_packets: 5,
            server_packets: 5,
            direction_guessed: false,
        });
    }
    (out, mix)
}

fn status(field: &str) -> Option<String> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with(field))
        .map(|l| l.trim_start_matches(field).trim().to_string())
}

fn mib(kb: &str) -> String {
    kb.trim_end_matches("kB")
        .trim()
        .parse::<f64>()
        .map_or_else(|_| kb.to_string(), |k| format!("{:.1} MiB", k / 1024.0))
}

fn main() {
    // `cargo bench` passes `--bench`; a number is the conversation count.
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let allowed_only = std::env::args().any(|a| a == "allowed");

    let setup = Instant::now();
    let text = model_text();
    let model =
        zonewarden_policy::parse("bench-zones.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let rules: usize = model.conduits.iter().map(|c| c.rules.len()).sum();
    let parsed = setup.elapsed();
    let start = Instant::now();
    let resolution = Resolution::from_views(&model, devices());
    let resolved = start.elapsed();
    let (conversations, mix) = conversations(n, allowed_only);
    let keys: HashSet<(IpAddr, IpAddr, u8, u16)> = conversations
        .iter()
        .map(|c| (c.client, c.server, c.transport, c.port))
        .collect();
    println!(
        "model: {} zones, {} conduits, {rules} rules ({} lines, parsed in {:.1} ms)",
        model.zones.len(),
        model.conduits.len(),
        text.lines().count(),
        parsed.as_secs_f64() * 1e3
    );
    println!(
        "devices: {} (resolved in {:.1} ms); conversations: {} ({} distinct keys)",
        resolution.assets.len(),
        resolved.as_secs_f64() * 1e3,
        conversations.len(),
        keys.len()
    );
    println!(
        "mix: {}",
        mix.iter()
            .map(|(k, v)| format!("{k:?} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    drop(keys);
    let before = status("VmRSS:").map(|s| mib(&s)).unwrap_or_default();
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();

    let mut best = Duration::MAX;
    let mut last = None;
    for run in 1..=3 {
        // One report at a time: the peak is that of one check.
        drop(last.take());
        let start = Instant::now();
        let report = check(&model, &resolution, &conversations);
        let took = start.elapsed();
        best = best.min(took);
        println!(
            "run {run}: {:.3} s, {:.0} conversations/s, {} violations",
            took.as_secs_f64(),
            conversations.len() as f64 / took.as_secs_f64(),
            report.violations.len()
        );
        // Dropped outside the timed part: freeing the report is not checking.
        last = Some(report);
    }
    let report = last.expect("three runs");
    println!(
        "violations by kind: {}",
        report
            .by_kind
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "best: {:.3} s for {} conversations = {:.0} conversations/s",
        best.as_secs_f64(),
        conversations.len(),
        conversations.len() as f64 / best.as_secs_f64()
    );
    println!(
        "memory: {before} resident before checking; peak RSS (VmHWM{}): {}",
        if reset { ", reset before the runs" } else { "" },
        status("VmHWM:").map(|s| mib(&s)).unwrap_or_default()
    );
}
