//! End-to-end behaviour of `zonewarden scan`: exit codes, damaged inputs, input kinds,
//! output formats and their stability.

// Test code: a failed expectation should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zonewarden-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small valid pcap: `n` Ethernet/IPv4/UDP packets from 10.0.0.1:40000 to 10.0.0.2:502,
/// starting at `secs`.
fn tiny_pcap(secs: u32, n: u32) -> Vec<u8> {
    let records: Vec<(u64, Vec<u8>)> = (0..n)
        .map(|i| {
            let mut frame = vec![0, 0, 0xbc, 0, 0, 2, 0, 0x1b, 0x1b, 0, 0, 1, 0x08, 0x00];
            frame.extend_from_slice(&[
                0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
            ]);
            frame.extend_from_slice(&[0x9C, 0x40, 0x01, 0xF6, 0, 12, 0, 0, 1, 2, 3, 4]);
            (u64::from(secs + i) * 1_000_000, frame)
        })
        .collect();
    common::ethernet_pcap(&records)
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(common::run(&["scan"]).status.code(), Some(2));
    assert_eq!(
        common::run(&["scan", "--no-such-flag", "x"]).status.code(),
        Some(2)
    );
    assert_eq!(
        common::run(&["scan", "--format", "xml", "x"]).status.code(),
        Some(2)
    );
    assert_eq!(common::run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn unreadable_inputs_exit_1_and_the_rest_is_reported() {
    let dir = temp_dir("unreadable");
    let good = dir.join("good.pcap");
    let garbage = dir.join("garbage.pcap");
    let truncated = dir.join("truncated.pcap");
    write(&good, &tiny_pcap(1_700_000_000, 3));
    write(&garbage, b"this is not a capture at all");
    let mut cut = tiny_pcap(1_700_000_100, 4);
    cut.truncate(cut.len() - 7);
    write(&truncated, &cut);
    let missing = dir.join("missing.pcap");
    let (doc, code) = common::scan_json(&[&good, &garbage, &truncated, &missing]);
    assert_eq!(code, 1);
    // 3 good packets plus the 3 complete ones before the cut.
    assert_eq!(doc["stats"]["packets"], 6);
    let messages: Vec<String> = doc["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{} {} {}", a["file"], a["packet"], a["message"]))
        .collect();
    let all = messages.join("\n");
    assert!(
        all.contains("garbage.pcap") && all.contains("not a pcap or pcapng capture"),
        "{all}"
    );
    assert!(
        all.contains("truncated.pcap\" 4 \"file ends inside a packet record"),
        "{all}"
    );
    assert!(
        all.contains("missing.pcap") && all.contains("cannot read"),
        "{all}"
    );
}

#[test]
fn clean_input_exits_0() {
    let dir = temp_dir("clean");
    let good = dir.join("good.pcap");
    write(&good, &tiny_pcap(1_700_000_000, 2));
    let (doc, code) = common::scan_json(&[&good]);
    assert_eq!(code, 0);
    assert_eq!(doc["stats"]["flows_udp"], 1);
    let flow = &doc["flows"][0];
    assert_eq!(flow["proto"], "udp");
    assert_eq!(flow["client"], "10.0.0.1:40000");
    assert_eq!(flow["server"], "10.0.0.2:502");
    assert_eq!(flow["direction_by"], "port");
    assert_eq!(flow["packets"], 2);
    assert_eq!(flow["bytes"], 92);
    assert_eq!(flow["vlan"], serde_json::Value::Null);
    assert_eq!(flow["first_ts"], "2023-11-14T22:13:20.000000000Z");
}

#[test]
fn directories_are_read_in_first_timestamp_order_and_notes_are_passed_over() {
    let dir = temp_dir("ordering");
    // Named so that name order is the reverse of time order.
    write(&dir.join("a-late.pcap"), &tiny_pcap(1_700_000_500, 1));
    write(&dir.join("b-early.pcap"), &tiny_pcap(1_700_000_000, 1));
    write(&dir.join("README.txt"), b"notes beside the captures");
    let (doc, code) = common::scan_json(&[&dir]);
    assert_eq!(code, 0);
    let paths: Vec<&str> = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert!(
        paths[0].ends_with("b-early.pcap") && paths[1].ends_with("a-late.pcap"),
        "{paths:?}"
    );
    assert_eq!(doc["skipped_non_captures"].as_array().unwrap().len(), 1);
}

#[test]
fn stdin_and_gzip_give_the_same_result_as_the_file() {
    let dir = temp_dir("stdin");
    let plain = dir.join("plain.pcap");
    let bytes = tiny_pcap(1_700_000_000, 5);
    write(&plain, &bytes);
    let gz = dir.join("plain.pcap.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&bytes).unwrap();
    write(&gz, &enc.finish().unwrap());

    let (from_file, _) = common::scan_json(&[&plain]);
    let (from_gz, _) = common::scan_json(&[&gz]);
    let mut child = common::zonewarden()
        .args(["scan", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let from_stdin: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(from_file["stats"], from_gz["stats"]);
    assert_eq!(from_file["flows"], from_stdin["flows"]);
    assert_eq!(from_gz["inputs"][0]["compression"], "gzip");
}

#[test]
fn jsonl_streams_flows_and_ends_with_stats() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let file = pcaps.join("modbus/zeek_modbusBig.pcap");
    let (doc, _) = common::scan_json(&[&file]);
    let out = common::run(&["scan", "--format", "jsonl", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let flows = lines.iter().filter(|l| l["type"] == "flow").count();
    assert_eq!(flows, doc["flows"].as_array().unwrap().len());
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "stats");
    assert_eq!(last["packets"], doc["stats"]["packets"]);
}

#[test]
fn json_is_byte_stable_and_independent_of_worker_count() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let dir = pcaps.join("modbus");
    let run = |threads: &str| {
        let out = common::run(&[
            "scan",
            "--format",
            "json",
            "--threads",
            threads,
            dir.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let one = run("1");
    assert!(one == run("1"), "two runs must give identical bytes");
    let two = run("2");
    if one != two {
        let (a, b) = (String::from_utf8_lossy(&one), String::from_utf8_lossy(&two));
        let first = a.lines().zip(b.lines()).position(|(x, y)| x != y);
        panic!(
            "two workers must give the same document as one; first differing line {first:?}: {:?} vs {:?}",
            first.and_then(|i| a.lines().nth(i)),
            first.and_then(|i| b.lines().nth(i))
        );
    }
}

/// Golden JSON for a real capture: any change in output is a deliberate, reviewed change
/// (regenerate with UPDATE_GOLDEN=1 and read the diff).
#[test]
fn golden_scan_of_plant1_modbus() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let file = pcaps.join("modbus/plant1_ModbusTCP.pcap");
    let (mut doc, code) = common::scan_json(&[&file]);
    assert_eq!(code, 0);
    // The path depends on where the repository lives; the tool version on the release.
    doc["inputs"][0]["path"] = "plant1_ModbusTCP.pcap".into();
    doc["tool"]["version"] = "-".into();
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/scan-plant1_ModbusTCP.json");
    if std::env::var("UPDATE_GOLDEN").is_ok() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &text).unwrap();
    }
    let expected =
        std::fs::read_to_string(&golden).expect("golden file (UPDATE_GOLDEN=1 writes it)");
    assert!(
        text == expected,
        "scan output differs from {}",
        golden.display()
    );
}

#[test]
fn text_report_names_what_a_person_needs() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let file = pcaps.join("mixed/plant1_mb2.pcap");
    let out = common::run(&["scan", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "packets",
        "Flows by transport and server port",
        "tcp/502 (modbus)",
        "Top talkers",
        "Hosts seen",
        "Decode anomalies",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

/// A pcap with an arbitrary link type whose records are given as (secs, frame, orig_len).
fn pcap_with(link: u32, records: &[(u32, Vec<u8>, u32)]) -> Vec<u8> {
    let records: Vec<(u64, Vec<u8>, u32)> = records
        .iter()
        .map(|(secs, frame, orig)| (u64::from(*secs) * 1_000_000, frame.clone(), *orig))
        .collect();
    common::pcap_of(link, &records)
}

#[test]
fn damaged_packets_become_positioned_anomalies_and_the_scan_goes_on() {
    let dir = temp_dir("damaged");
    // Raw IPv4 (link type 228): a good UDP packet, one whose timestamp goes back, one with a
    // header length below 20, and one cut by the snap length.
    let udp = |secs: u32| {
        let frame = vec![
            0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x9C, 0x40, 0x01,
            0xF6, 0, 12, 0, 0, 1, 2, 3, 4,
        ];
        (secs, frame, 32)
    };
    let mut bad_ihl = udp(1_700_000_010);
    bad_ihl.1[0] = 0x43;
    let mut cut = udp(1_700_000_011);
    cut.1.truncate(30);
    let mut cut_header = udp(1_700_000_012);
    cut_header.1.truncate(24);
    let raw = dir.join("raw.pcap");
    write(
        &raw,
        &pcap_with(
            228,
            &[
                udp(1_700_000_005),
                udp(1_700_000_001),
                bad_ihl,
                cut,
                cut_header,
            ],
        ),
    );
    let unknown = dir.join("unknown-link.pcap");
    write(
        &unknown,
        &pcap_with(147, &[(1_700_000_020, vec![1, 2, 3], 3)]),
    );

    let (doc, code) = common::scan_json(&[&raw, &unknown]);
    assert_eq!(code, 0, "damaged packets are not unreadable input");
    assert_eq!(doc["stats"]["packets"], 6);
    assert_eq!(doc["stats"]["snaplen_truncated"], 2);
    assert_eq!(doc["stats"]["unknown_link_packets"], 1);
    let find = |kind: &str| -> Vec<(u64, String)> {
        doc["anomalies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == kind)
            .map(|a| {
                (
                    a["packet"].as_u64().unwrap_or(0),
                    a["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let backwards = find("timestamp_order");
    assert_eq!(backwards.len(), 1);
    assert_eq!(backwards[0].0, 2);
    assert!(
        backwards[0].1.contains("goes back 4.000000 s"),
        "{backwards:?}"
    );
    let malformed = find("malformed_header");
    assert_eq!(
        malformed,
        vec![(
            3,
            "ipv4 at frame byte 0: header length below 20".to_string()
        )]
    );
    let snaplen = find("snaplen");
    assert_eq!(snaplen.len(), 1);
    assert_eq!(snaplen[0].0, 4);
    let unknown_link = find("unknown_link_type");
    assert_eq!(unknown_link.len(), 1);
    assert!(unknown_link[0].1.contains("link type 147 is not supported"));
    // The good packets still made their flow; the cut datagram counts at its wire length.
    assert_eq!(doc["flows"][0]["packets"], 3);
    assert_eq!(doc["flows"][0]["bytes"], 96);
}
