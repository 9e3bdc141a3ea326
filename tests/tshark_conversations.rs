//! Differential test against a real peer: for every capture in ../shared/pcaps, the TCP and
//! UDP conversations zonewarden reports agree with `tshark -q -z conv,tcp -z conv,udp` in
//! number, frames per direction and bytes per direction (to the precision tshark prints).
//!
//! Differences that are right are listed, with the reason, in tests/tshark-differences.tsv;
//! this test fails on any unlisted difference and on any listed one that no longer occurs.

// Test code: a failed expectation should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

#[derive(Debug, Clone, PartialEq)]
struct Conv {
    a: (IpAddr, u16),
    b: (IpAddr, u16),
    /// Frames and bytes from a to b, and from b to a.
    a_to_b: (u64, u64),
    b_to_a: (u64, u64),
    start: f64,
}

/// How tshark 4.x prints a byte count: exact below 10,000, else truncated to k/M/G units.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shown {
    Exact(u64),
    Scaled(u64, u64),
}

impl Shown {
    fn matches(self, bytes: u64) -> bool {
        match self {
            Shown::Exact(v) => v == bytes,
            Shown::Scaled(v, unit) => bytes / unit == v,
        }
    }
}

fn parse_endpoint(s: &str) -> Option<(IpAddr, u16)> {
    let s = s.trim();
    let (addr, port) = s.rsplit_once(':')?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    Some((addr.parse().ok()?, port.parse().ok()?))
}

fn parse_size(value: &str, unit: &str) -> Option<Shown> {
    let v: u64 = value.replace(',', "").parse().ok()?;
    Some(match unit {
        "bytes" => Shown::Exact(v),
        "kB" => Shown::Scaled(v, 1_000),
        "MB" => Shown::Scaled(v, 1_000_000),
        "GB" => Shown::Scaled(v, 1_000_000_000),
        _ => return None,
    })
}

/// Parses one `conv,tcp` / `conv,udp` table section: rows of
/// `A <-> B  frames bytes unit  frames bytes unit  frames bytes unit  start  duration`.
/// A tshark row with the byte counts as tshark printed them (a→b, b→a).
type TsharkRow = (Conv, [Shown; 2]);

fn tshark_conversations(file: &Path) -> BTreeMap<&'static str, Vec<TsharkRow>> {
    let output = Command::new("tshark")
        .args(["-n", "-q", "-z", "conv,tcp", "-z", "conv,udp", "-r"])
        .arg(file)
        .output()
        .expect("tshark runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut out: BTreeMap<&'static str, Vec<TsharkRow>> = BTreeMap::new();
    let mut section = "";
    for line in text.lines() {
        if line.starts_with("TCP Conversations") {
            section = "tcp";
            continue;
        }
        if line.starts_with("UDP Conversations") {
            section = "udp";
            continue;
        }
        let Some((left, right)) = line.split_once("<->") else {
            continue;
        };
        let fields: Vec<&str> = right.split_whitespace().collect();
        if fields.len() < 11 {
            continue;
        }
        let (Some(a), Some(b)) = (parse_endpoint(left), parse_endpoint(fields[0])) else {
            continue;
        };
        // "<-" is b→a, "->" is a→b.
        let (Ok(to_a), Some(to_a_bytes), Ok(to_b), Some(to_b_bytes)) = (
            fields[1].replace(',', "").parse::<u64>(),
            parse_size(fields[2], fields[3]),
            fields[4].replace(',', "").parse::<u64>(),
            parse_size(fields[5], fields[6]),
        ) else {
            continue;
        };
        let start: f64 = fields[10].parse().unwrap_or(0.0);
        out.entry(section).or_default().push((
            Conv {
                a,
                b,
                a_to_b: (to_b, 0),
                b_to_a: (to_a, 0),
                start,
            },
            [to_b_bytes, to_a_bytes],
        ));
    }
    out
}

fn zonewarden_conversations(file: &Path) -> BTreeMap<String, Vec<Conv>> {
    let (doc, _) = common::scan_json(&[file]);
    let mut out: BTreeMap<String, Vec<Conv>> = BTreeMap::new();
    for flow in doc["flows"].as_array().expect("flows") {
        let client = parse_endpoint(flow["client"].as_str().unwrap()).unwrap();
        let server = parse_endpoint(flow["server"].as_str().unwrap()).unwrap();
        let n = |k: &str| flow[k].as_u64().unwrap();
        out.entry(flow["proto"].as_str().unwrap().to_string())
            .or_default()
            .push(Conv {
                a: client,
                b: server,
                a_to_b: (n("client_packets"), n("client_bytes")),
                b_to_a: (n("server_packets"), n("server_bytes")),
                start: 0.0,
            });
    }
    out
}

fn pair_key(c: &Conv) -> ((IpAddr, u16), (IpAddr, u16)) {
    if c.a <= c.b {
        (c.a, c.b)
    } else {
        (c.b, c.a)
    }
}

fn fmt_ep((ip, port): (IpAddr, u16)) -> String {
    match ip {
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        v4 => format!("{v4}:{port}"),
    }
}

/// One line per difference: `file\tproto\tendpoints\twhat`.
fn compare(name: &str, file: &Path) -> Vec<String> {
    let theirs = tshark_conversations(file);
    let ours = zonewarden_conversations(file);
    let mut diffs = Vec::new();
    for proto in ["tcp", "udp"] {
        let mut groups: BTreeMap<_, (Vec<TsharkRow>, Vec<Conv>)> = BTreeMap::new();
        for (c, shown) in theirs.get(proto).cloned().unwrap_or_default() {
            groups.entry(pair_key(&c)).or_default().0.push((c, shown));
        }
        for c in ours.get(proto).cloned().unwrap_or_default() {
            groups.entry(pair_key(&c)).or_default().1.push(c);
        }
        for ((lo, hi), (mut t, z)) in groups {
            let endpoints = format!("{} <-> {}", fmt_ep(lo), fmt_ep(hi));
            if t.len() != z.len() {
                diffs.push(format!(
                    "{name}\t{proto}\t{endpoints}\ttshark {} conversations, zonewarden {}",
                    t.len(),
                    z.len()
                ));
                continue;
            }
            t.sort_by(|x, y| x.0.start.total_cmp(&y.0.start));
            for ((tc, [to_b, to_a]), zc) in t.iter().zip(&z) {
                // Orient zonewarden's client/server onto tshark's a/b.
                let (z_a_to_b, z_b_to_a) = if zc.a == tc.a {
                    (zc.a_to_b, zc.b_to_a)
                } else {
                    (zc.b_to_a, zc.a_to_b)
                };
                let frames_ok = z_a_to_b.0 == tc.a_to_b.0 && z_b_to_a.0 == tc.b_to_a.0;
                let bytes_ok = to_b.matches(z_a_to_b.1) && to_a.matches(z_b_to_a.1);
                if !frames_ok || !bytes_ok {
                    diffs.push(format!(
                        "{name}\t{proto}\t{endpoints}\tframes tshark {}/{} zonewarden {}/{}; bytes tshark {:?}/{:?} zonewarden {}/{}",
                        tc.a_to_b.0, tc.b_to_a.0, z_a_to_b.0, z_b_to_a.0, to_b, to_a, z_a_to_b.1, z_b_to_a.1
                    ));
                }
            }
        }
    }
    diffs
}

struct Known {
    file: String,
    proto: String,
    endpoints: String,
    used: std::cell::Cell<bool>,
}

fn known_differences() -> Vec<Known> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tshark-differences.tsv");
    let text = std::fs::read_to_string(path).expect("tests/tshark-differences.tsv");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert!(
                f.len() >= 4 && !f[3].trim().is_empty(),
                "each known difference needs file, proto, endpoints and a reason: {l}"
            );
            Known {
                file: f[0].to_string(),
                proto: f[1].to_string(),
                endpoints: f[2].to_string(),
                used: std::cell::Cell::new(false),
            }
        })
        .collect()
}

#[test]
fn conversations_agree_with_tshark() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    if !common::require_tool("tshark") {
        return;
    }
    let captures = common::all_captures(&pcaps);
    assert!(
        captures.len() > 200,
        "the shared corpus has over 200 captures"
    );
    let diffs: Vec<String> = common::parallel_map(&captures, |(name, path)| compare(name, path))
        .into_iter()
        .flatten()
        .collect();
    let known = known_differences();
    let mut unexplained = Vec::new();
    for diff in &diffs {
        let f: Vec<&str> = diff.split('\t').collect();
        let hit = known.iter().find(|k| {
            k.file == f[0]
                && (k.proto == "*" || k.proto == f[1])
                && (k.endpoints == "*" || k.endpoints == f[2])
        });
        match hit {
            Some(k) => k.used.set(true),
            None => unexplained.push(diff.clone()),
        }
    }
    let stale: Vec<String> = known
        .iter()
        .filter(|k| !k.used.get())
        .map(|k| format!("{}\t{}\t{}", k.file, k.proto, k.endpoints))
        .collect();
    let total_conversations: usize = captures.len();
    eprintln!(
        "{} captures compared, {} differences, all explained: {}",
        total_conversations,
        diffs.len(),
        unexplained.is_empty()
    );
    assert!(
        unexplained.is_empty(),
        "differences with tshark not explained in tests/tshark-differences.tsv:\n{}",
        unexplained.join("\n")
    );
    assert!(
        stale.is_empty(),
        "tests/tshark-differences.tsv lists differences that no longer occur:\n{}",
        stale.join("\n")
    );
}

#[test]
fn tshark_byte_display_precision_is_understood() {
    assert!(Shown::Exact(9999).matches(9999));
    assert!(Shown::Scaled(349, 1000).matches(349_999));
    assert!(!Shown::Scaled(349, 1000).matches(350_000));
    assert_eq!(
        parse_endpoint("fe80::1:546"),
        Some(("fe80::1".parse().unwrap(), 546))
    );
    assert_eq!(
        parse_endpoint("[fe80::1]:546"),
        Some(("fe80::1".parse().unwrap(), 546))
    );
}
