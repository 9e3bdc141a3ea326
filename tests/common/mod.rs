//! Helpers for the integration tests: where the shared captures are, running the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `../shared/pcaps` beside the project root. In CI (CI=true) its absence fails the test
/// loudly; elsewhere the test is skipped with a printed reason.
pub fn shared_pcaps() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/pcaps");
    if dir.join("SOURCES.json").is_file() {
        return Some(dir);
    }
    let reason = format!(
        "{} is missing (it holds the reference captures)",
        dir.display()
    );
    if is_ci() {
        panic!("{reason}");
    }
    eprintln!("SKIPPED: {reason}");
    None
}

pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Whether a tool is on PATH; in CI a missing tool fails (CI installs it), elsewhere skips.
pub fn require_tool(name: &str) -> bool {
    let found = Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let reason = format!("{name} is not installed");
        if is_ci() {
            panic!("{reason}: .ci/run installs it");
        }
        eprintln!("SKIPPED: {reason}");
    }
    found
}

/// Every capture listed in SOURCES.json, as (relative name, absolute path).
pub fn all_captures(pcaps: &Path) -> Vec<(String, PathBuf)> {
    let text = std::fs::read_to_string(pcaps.join("SOURCES.json")).expect("SOURCES.json");
    let entries: serde_json::Value = serde_json::from_str(&text).expect("SOURCES.json is JSON");
    let mut out: Vec<(String, PathBuf)> = entries
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|e| e["dest"].as_str())
        .map(|d| (d.to_string(), pcaps.join(d)))
        .collect();
    out.sort();
    out
}

pub fn zonewarden() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zonewarden"))
}

pub fn run(args: &[&str]) -> Output {
    zonewarden().args(args).output().expect("zonewarden runs")
}

/// Runs `scan --format json` on the files and parses the document.
pub fn scan_json(files: &[&Path]) -> (serde_json::Value, i32) {
    let output = zonewarden()
        .args(["scan", "--format", "json"])
        .args(files)
        .output()
        .expect("zonewarden runs");
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "scan output is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (doc, output.status.code().unwrap_or(-1))
}

/// Runs `f` over `items` on a few threads, keeping the input order of the results.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    })
}

/// A value from the Snap7 client's printout of the S7-300 capture (`Order Code`, `Serial
/// Number`…), the reference for that PLC's identity.
pub fn snap7_printout_value(pcaps: &Path, label: &str) -> String {
    let printout =
        std::fs::read_to_string(pcaps.join(
            "s7comm/gymgit_snap7_s300_everything.expected/client-output/snap7_s300_events.txt",
        ))
        .expect("the Snap7 printout");
    printout
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| panic!("{label} not in the printout"))
}

/// A pcap (Ethernet) of (microseconds since the epoch, frame) records.
pub fn ethernet_pcap(records: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let records: Vec<(u64, Vec<u8>, u32)> = records
        .iter()
        .map(|(us, frame)| (*us, frame.clone(), frame.len() as u32))
        .collect();
    pcap_of(1, &records)
}

/// A little-endian microsecond pcap of link type `link` with (microseconds since the epoch,
/// frame, length on the wire) records.
pub fn pcap_of(link: u32, records: &[(u64, Vec<u8>, u32)]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0xA1B2_C3D4u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&65535u32.to_le_bytes());
    v.extend_from_slice(&link.to_le_bytes());
    for (us, frame, orig) in records {
        let len = frame.len() as u32;
        for x in [(us / 1_000_000) as u32, (us % 1_000_000) as u32, len, *orig] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        v.extend_from_slice(frame);
    }
    v
}
