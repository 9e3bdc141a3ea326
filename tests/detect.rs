//! Detections on the reference captures: every attack capture raises its specific alert,
//! benign captures stay quiet, a learned baseline turns changes into alerts. The table of
//! expected alerts is the accuracy table of docs/detection.md.

// Test code: a failed expectation should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn alerts(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["detect", "--format", "jsonl"];
    all.extend_from_slice(args);
    let out = common::run(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn rules(alerts: &[Value]) -> BTreeSet<String> {
    alerts
        .iter()
        .map(|a| a["rule"].as_str().unwrap().to_string())
        .collect()
}

/// (capture, rules that must fire, ATT&CK technique of the first of them).
const EXPECTED: [(&str, &[&str], &str); 23] = [
    ("attacks/cip_stop_plc.pcap", &["ZWD-101"], "T0858"),
    ("attacks/cip_unlock_cpu.pcap", &["ZWD-102"], "T0858"),
    (
        "attacks/gymgit_snap7_s300_stop.pcapng",
        &["ZWD-101"],
        "T0858",
    ),
    (
        "attacks/gymgit_step7_s300_stop.pcapng",
        &["ZWD-101"],
        "T0858",
    ),
    ("attacks/ChangeIPUsingDCP.pcap", &["ZWD-106"], "T0836"),
    ("attacks/malcolm_port_scan.pcap", &["ZWD-301"], "T0846"),
    ("attacks/malcolm_multiport_scan.pcap", &["ZWD-301"], "T0846"),
    (
        "attacks/quickdraw_CL5000EIP-Change_Time_Attempt.pcap",
        &["ZWD-108"],
        "T0836",
    ),
    (
        "attacks/quickdraw_CL5000EIP-Firmware_Change.pcap",
        &["ZWD-113", "ZWD-103"],
        "T0857",
    ),
    (
        "attacks/quickdraw_CL5000EIP-Lock_PLC_Attempt.pcap",
        &["ZWD-102"],
        "T0858",
    ),
    (
        "attacks/quickdraw_CL5000EIP-Reboot_or_Restart.pcap",
        &["ZWD-103", "ZWD-101"],
        "T0816",
    ),
    (
        "attacks/quickdraw_CL5000EIP-Remote_Mode_Change_Attempt.pcap",
        &["ZWD-102", "ZWD-101"],
        "T0858",
    ),
    (
        "s7comm/s7comm_downloading_block_db1.pcap",
        &["ZWD-111"],
        "T0843",
    ),
    ("dnp3/openics_DNP3-Malformed.pcap", &["ZWD-601"], "T0814"),
    (
        "dnp3/fwtest_cold_restart_and_response.pcap",
        &["ZWD-103"],
        "T0816",
    ),
    (
        "dnp3/fwtest_warm_restart_and_response.pcap",
        &["ZWD-103"],
        "T0816",
    ),
    ("dnp3/zeek_dnp3_file_del.pcap", &["ZWD-114"], "T0809"),
    ("iec61850/mms-stopRequest.pcap", &["ZWD-101"], "T0858"),
    ("iec61850/mms-killRequest.pcap", &["ZWD-101"], "T0858"),
    (
        "iec61850/mms-deleteProgramInvocation.pcap",
        &["ZWD-114"],
        "T0809",
    ),
    // Register walk: input registers 0..3314 one by one from .101 to .104.
    (
        "attacks/modbus6rtu_characterization.pcap",
        &["ZWD-302"],
        "T0888",
    ),
    // Every function code 0..127 tried; the device refuses most.
    (
        "modbus/quickdraw_modbus_test_data_part2.pcap",
        &["ZWD-302"],
        "T0888",
    ),
    ("modbus/zeek_fuzz-72.pcap", &["ZWD-302"], "T0888"),
];

#[test]
fn every_attack_capture_raises_its_specific_alert() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    for (file, expected, technique) in EXPECTED {
        let path = pcaps.join(file);
        let found = alerts(&[path.to_str().unwrap()]);
        let got = rules(&found);
        for rule in expected {
            assert!(got.contains(*rule), "{file}: {rule} missing, got {got:?}");
        }
        let first = found.iter().find(|a| a["rule"] == expected[0]).unwrap();
        assert_eq!(first["attack"], technique, "{file}");
        // The contract fields of a JSON line.
        for field in ["rule", "name", "severity", "attack", "time", "assets"] {
            assert!(!first[field].is_null(), "{file}: {field} missing");
        }
        assert!(first["time"].as_str().unwrap().ends_with('Z'));
        if first["rule"] != "ZWD-301" {
            let evidence = &first["evidence"];
            assert!(evidence["packet"].as_u64().unwrap() >= 1, "{file}: {first}");
            assert!(evidence["file"]
                .as_str()
                .unwrap()
                .ends_with(Path::new(file).file_name().unwrap().to_str().unwrap()));
        }
    }
}

/// One alert per operation and pair, not one per message: the firmware update is thousands
/// of messages and one alert.
#[test]
fn alerts_are_aggregated() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let found = alerts(&[pcaps
        .join("attacks/quickdraw_CL5000EIP-Firmware_Change.pcap")
        .to_str()
        .unwrap()]);
    let firmware: Vec<&Value> = found.iter().filter(|a| a["rule"] == "ZWD-113").collect();
    assert_eq!(firmware.len(), 1);
    assert!(firmware[0]["count"].as_u64().unwrap() > 5000);
    assert_eq!(firmware[0]["severity"], "high");
    assert!(firmware[0]["block"]
        .as_str()
        .unwrap()
        .contains("192.168.10.105"));
}

/// Benign captures without a baseline: no alert (the plant1 snapshot, Modbus and DNP3
/// polling, the generated plant's polling).
#[test]
fn benign_captures_stay_quiet() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    for file in [
        "mixed/plant1_mb2.pcap",
        "modbus/zeek_modbusBig.pcap",
        "modbus/zeek_modbusSmall.pcap",
        "modbus/zeek_modbus-eit.pcap",
    ] {
        let found = alerts(&[pcaps.join(file).to_str().unwrap()]);
        assert!(found.is_empty(), "{file}: {found:?}");
    }
}

/// A baseline learned from the characterisation capture of the Modbus testbed; the fake
/// command (a coil written from the RTU at .101) is a write from a host that never wrote.
#[test]
fn a_learned_baseline_turns_the_fake_command_into_an_alert() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("zonewarden-detect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let baseline = dir.join("baseline.json");
    let _ = std::fs::remove_file(&baseline);
    let learn = common::run(&[
        "detect",
        "--learn",
        baseline.to_str().unwrap(),
        pcaps
            .join("attacks/modbus6rtu_characterization.pcap")
            .to_str()
            .unwrap(),
    ]);
    assert!(
        learn.status.success(),
        "{}",
        String::from_utf8_lossy(&learn.stderr)
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert!(doc["devices"].as_object().unwrap().len() >= 5);
    let found = alerts(&[
        "--baseline",
        baseline.to_str().unwrap(),
        pcaps
            .join("attacks/modbus6rtu_send_a_fake_command.pcap")
            .to_str()
            .unwrap(),
    ]);
    assert!(
        found.iter().any(|a| a["rule"] == "ZWD-121"
            && a["client"] == "192.168.1.101"
            && a["server"] == "192.168.1.102"
            && a["operation"] == "Write Single Coil"),
        "{found:?}"
    );
    // Learning the same capture again changes nothing; against itself it is quiet.
    let again = common::run(&[
        "detect",
        "--learn",
        baseline.to_str().unwrap(),
        pcaps
            .join("attacks/modbus6rtu_characterization.pcap")
            .to_str()
            .unwrap(),
    ]);
    assert!(again.status.success());
    let doc2: Value = serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(doc, doc2);
    let quiet = alerts(&[
        "--baseline",
        baseline.to_str().unwrap(),
        pcaps
            .join("attacks/modbus6rtu_characterization.pcap")
            .to_str()
            .unwrap(),
    ]);
    assert!(
        quiet
            .iter()
            .all(|a| a["rule"] != "ZWD-121" && a["rule"] != "ZWD-404"),
        "{quiet:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// With the plant folder's zones model, forbidden traffic is an alert too, with the zone
/// and a severity raised by the zone's SL-T.
#[test]
fn the_zones_model_adds_policy_alerts() {
    let dir = std::env::temp_dir().join(format!("zonewarden-detect-policy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for args in [&["generate", "-o", "plant.pcap"][..], &["init"][..]] {
        let out = common::zonewarden()
            .current_dir(&dir)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    let out = common::zonewarden()
        .current_dir(&dir)
        .args(["detect", "--format", "jsonl", "--exit-code", "plant.pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "alerts with --exit-code");
    let found: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let writes: Vec<&Value> = found.iter().filter(|a| a["rule"] == "ZWD-202").collect();
    assert!(!writes.is_empty(), "{found:?}");
    assert!(writes.iter().all(|a| a["zone"] == "control"));
    assert!(found
        .iter()
        .any(|a| a["rule"] == "ZWD-201" && a["server"] == "10.10.3.10"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn ber(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut v = vec![tag, value.len() as u8];
    v.extend_from_slice(value);
    v
}

const PUBLISHER: [u8; 6] = [0x00, 0xa0, 0xf4, 0x08, 0x2f, 0x77];
const GOOSE_GROUP: [u8; 6] = [0x01, 0x0c, 0xcd, 0x01, 0x00, 0x01];

/// A GOOSE frame of IED1's gcb1 with these counters (one-octet values).
fn goose(st_num: u8, sq_num: u8) -> Vec<u8> {
    let fields = [
        ber(0x80, b"IED1LD0/LLN0$GO$gcb1"),
        ber(0x81, &[0x07, 0xD0]),
        ber(0x82, b"IED1LD0/LLN0$DS1"),
        ber(0x83, b"IED1_GOOSE1"),
        ber(0x84, &[0; 8]),
        ber(0x85, &[st_num]),
        ber(0x86, &[sq_num]),
        ber(0x87, &[0]),
        ber(0x88, &[1]),
        ber(0x89, &[0]),
        ber(0x8A, &[1]),
        ber(0xAB, &ber(0x83, &[0])),
    ]
    .concat();
    let pdu = ber(0x61, &fields);
    let mut f = GOOSE_GROUP.to_vec();
    f.extend_from_slice(&PUBLISHER);
    f.extend_from_slice(&0x88B8u16.to_be_bytes());
    f.extend_from_slice(&[0x00, 0x01]);
    f.extend_from_slice(&((8 + pdu.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 0]);
    f.extend_from_slice(&pdu);
    f
}

/// An Ethernet/IPv4/TCP frame between 10.0.0.`from` and 10.0.0.`to` (checksums zero: the
/// scanner does not verify them).
fn tcp(from: u8, to: u8, ports: (u16, u16), seq: u32, ack: u32, flags: u8, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, to, 0x02, 0, 0, 0, 0, from, 0x08, 0x00];
    let total = (20 + 20 + data.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, from, 10, 0, 0, to]);
    f.extend_from_slice(&ports.0.to_be_bytes());
    f.extend_from_slice(&ports.1.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend_from_slice(data);
    f
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;

/// A Modbus/TCP connection from 10.0.0.1 to 10.0.0.2: the handshake, then each request
/// (with the server's answer when it has one), 10 ms apart from `start_us`.
fn modbus_flow(start_us: u64, exchanges: &[(Vec<u8>, Option<Vec<u8>>)]) -> Vec<(u64, Vec<u8>)> {
    let ports = (40000, 502);
    let back = (ports.1, ports.0);
    let (mut c, mut s) = (1000u32, 5000u32);
    let mut out = vec![
        (start_us, tcp(1, 2, ports, c - 1, 0, SYN, &[])),
        (start_us + 100, tcp(2, 1, back, s - 1, c, SYN | ACK, &[])),
        (start_us + 200, tcp(1, 2, ports, c, s, ACK, &[])),
    ];
    let mut t = start_us + 1_000;
    for (request, answer) in exchanges {
        out.push((t, tcp(1, 2, ports, c, s, PSH_ACK, request)));
        c += request.len() as u32;
        match answer {
            Some(a) => {
                out.push((t + 500, tcp(2, 1, back, s, c, PSH_ACK, a)));
                s += a.len() as u32;
            }
            None => out.push((t + 500, tcp(2, 1, back, s, c, ACK, &[]))),
        }
        t += 10_000;
    }
    out
}

/// Modbus/TCP ADU: transaction, protocol 0, length, unit 1, PDU.
fn modbus(transaction: u16, pdu: &[u8]) -> Vec<u8> {
    let mut v = transaction.to_be_bytes().to_vec();
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&((pdu.len() + 1) as u16).to_be_bytes());
    v.push(1);
    v.extend_from_slice(pdu);
    v
}

fn write_capture(name: &str, records: &[(u64, Vec<u8>)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("zonewarden-detect-6xx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, common::ethernet_pcap(records)).unwrap();
    path
}

const T0: u64 = 1_700_000_000_000_000;

/// A GOOSE frame sent again (frame 5 repeats frame 4's stNum/sqNum) is one ZWD-603 alert
/// naming the publisher, the control block and the replayed frame; the same stream without
/// the replay is quiet.
#[test]
fn a_replayed_goose_frame_raises_a_sequence_alert() {
    let counters = [(7, 0), (7, 1), (8, 0), (8, 1), (8, 1), (8, 2), (8, 3)];
    let frames: Vec<(u64, Vec<u8>)> = counters
        .iter()
        .enumerate()
        .map(|(i, &(st, sq))| (T0 + i as u64 * 4_000, goose(st, sq)))
        .collect();
    let path = write_capture("goose-replay.pcap", &frames);
    let found = alerts(&[path.to_str().unwrap()]);
    let goose: Vec<&Value> = found.iter().filter(|a| a["rule"] == "ZWD-603").collect();
    assert_eq!(goose.len(), 1, "{found:?}");
    let a = goose[0];
    assert_eq!(a["attack"], "T0856");
    assert_eq!(a["count"], 1);
    assert_eq!(a["protocol"], "goose");
    assert_eq!(a["operation"], "IED1LD0/LLN0$GO$gcb1");
    assert_eq!(a["server"], "00:a0:f4:08:2f:77");
    assert_eq!(a["evidence"]["packet"], 5);
    assert!(a["summary"]
        .as_str()
        .unwrap()
        .contains("stNum 8 sqNum 1 repeated"));
    assert_eq!(rules(&found), BTreeSet::from(["ZWD-603".to_string()]));

    let mut clean = frames.clone();
    clean.remove(4);
    let path = write_capture("goose-clean.pcap", &clean);
    let quiet = alerts(&[path.to_str().unwrap()]);
    assert!(quiet.is_empty(), "{quiet:?}");
}

/// Three malformed Modbus requests among good ones on one connection: one ZWD-601 alert
/// with the count, the sender as client and the first malformed request as evidence.
#[test]
fn malformed_modbus_requests_raise_one_alert_per_pair() {
    let read = |t: u16| modbus(t, &[0x03, 0, 0, 0, 2]);
    let answer = |t: u16| modbus(t, &[0x03, 4, 0, 1, 0, 2]);
    // Read Coils of 0 coils and of 2001 coils: quantities the specification forbids.
    let exchanges = vec![
        (read(1), Some(answer(1))),
        (modbus(2, &[0x01, 0, 0, 0, 0]), None),
        (read(3), Some(answer(3))),
        (modbus(4, &[0x01, 0, 0, 0x07, 0xD1]), None),
        (modbus(5, &[0x01, 0, 0, 0, 0]), None),
        (read(6), Some(answer(6))),
    ];
    let path = write_capture("modbus-malformed.pcap", &modbus_flow(T0, &exchanges));
    let found = alerts(&[path.to_str().unwrap()]);
    let malformed: Vec<&Value> = found.iter().filter(|a| a["rule"] == "ZWD-601").collect();
    assert_eq!(malformed.len(), 1, "{found:?}");
    let a = malformed[0];
    assert_eq!(a["attack"], "T0814");
    assert_eq!(a["count"], 3);
    assert_eq!(a["client"], "10.0.0.1");
    assert_eq!(a["server"], "10.0.0.2");
    assert_eq!(a["protocol"], "modbus");
    // Handshake (3), request 1 and its answer (2), then the first malformed request.
    assert_eq!(a["evidence"]["packet"], 6);
    assert!(a["summary"].as_str().unwrap().contains("quantity"), "{a}");
}

/// 300 requests in three seconds that the server only acknowledges at the TCP level: a
/// flood (ZWD-602); the same requests answered are polling and stay quiet.
#[test]
fn a_flood_of_unanswered_requests_raises_an_alert() {
    let read = |t: u16| modbus(t, &[0x03, 0, 0, 0, 2]);
    let unanswered: Vec<(Vec<u8>, Option<Vec<u8>>)> = (1..=300).map(|t| (read(t), None)).collect();
    let path = write_capture("modbus-flood.pcap", &modbus_flow(T0, &unanswered));
    let found = alerts(&[path.to_str().unwrap()]);
    let flood: Vec<&Value> = found.iter().filter(|a| a["rule"] == "ZWD-602").collect();
    assert_eq!(flood.len(), 1, "{found:?}");
    let a = flood[0];
    assert_eq!(a["attack"], "T0814");
    assert_eq!(a["count"], 300);
    assert_eq!(
        (a["client"].as_str(), a["server"].as_str()),
        (Some("10.0.0.1"), Some("10.0.0.2"))
    );
    assert_eq!(a["evidence"]["packet"], 4);
    assert!(
        a["block"].as_str().unwrap().contains("tcp dport 502"),
        "{a}"
    );
    assert_eq!(a["block_rules"]["nftables"], a["block"]);
    assert_eq!(
        a["block_rules"]["iptables"],
        "iptables -I FORWARD -s 10.0.0.1 -d 10.0.0.2 -p tcp --dport 502 -j DROP"
    );
    assert_eq!(
        a["block_rules"]["cisco-ios"],
        "deny tcp host 10.0.0.1 host 10.0.0.2 eq 502"
    );

    let answered: Vec<(Vec<u8>, Option<Vec<u8>>)> = (1..=300)
        .map(|t| (read(t), Some(modbus(t, &[0x03, 4, 0, 1, 0, 2]))))
        .collect();
    let path = write_capture("modbus-polling.pcap", &modbus_flow(T0, &answered));
    let quiet = alerts(&[path.to_str().unwrap()]);
    assert!(quiet.is_empty(), "{quiet:?}");
}

/// The reference GOOSE captures hold no replay or injection: every publisher's counters
/// follow IEC 61850-8-1 (GOOSE.pcap's publisher restarts at stNum 1, sqNum 1, which is not
/// flagged), and they hold no malformed frame.
#[test]
fn reference_goose_captures_have_no_sequence_anomaly() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    for file in [
        "iec61850/Sample_File_GOOSE.pcap",
        "iec61850/GOOSE.pcap",
        "iec61850/Sample_File_MMS_and_GOOSE.pcap",
    ] {
        let found = alerts(&[pcaps.join(file).to_str().unwrap()]);
        let got = rules(&found);
        for rule in ["ZWD-601", "ZWD-602", "ZWD-603"] {
            assert!(!got.contains(rule), "{file}: {found:?}");
        }
    }
}

/// Nanoseconds since the epoch of an alert's RFC 3339 time (`…T17:27:49.189581000Z`).
fn alert_ns(text: &str) -> u128 {
    let secs = zonewarden_model::parse_rfc3339_secs(text).unwrap();
    let fraction = text
        .split_once('.')
        .map_or("", |(_, f)| f.trim_end_matches('Z'));
    let nanos: u128 = format!("{fraction:0<9}").get(..9).unwrap().parse().unwrap();
    u128::from(secs) * 1_000_000_000 + nanos
}

/// Modbus function codes by the operation names the dissector gives them.
fn modbus_code(operation: &str) -> Option<&'static str> {
    Some(match operation {
        "Read Coils" => "1",
        "Read Discrete Inputs" => "2",
        "Read Holding Registers" => "3",
        "Read Input Registers" => "4",
        "Write Single Coil" => "5",
        "Write Single Register" => "6",
        "Write Multiple Coils" => "15",
        "Write Multiple Registers" => "16",
        _ => return None,
    })
}

/// (true positives, false positives, false negatives) of the packets the alerts mark
/// against the dataset's per-packet labels. An alert marks the packets between its client
/// and server (either direction) from its time to its last time; one naming a Modbus
/// operation marks only the messages of that function code (requests and responses).
fn packet_scores(capture: &Path, labels: &Path, found: &[Value]) -> (usize, usize, usize) {
    let fields = std::process::Command::new("tshark")
        .args(["-r", capture.to_str().unwrap(), "-T", "fields"])
        .args(["-e", "frame.number", "-e", "ip.src", "-e", "ip.dst"])
        .args(["-e", "frame.time_epoch", "-e", "modbus.func_code"])
        .output()
        .unwrap();
    assert!(fields.status.success());
    let labelled: std::collections::BTreeMap<u64, bool> = std::fs::read_to_string(labels)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let (n, label) = l.trim().split_once(';')?;
            Some((n.parse().ok()?, label == "1"))
        })
        .collect();
    let mut marked = BTreeSet::new();
    for line in String::from_utf8(fields.stdout).unwrap().lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let (Some(n), Some(src), Some(dst), Some(epoch)) =
            (f.first(), f.get(1), f.get(2), f.get(3))
        else {
            continue;
        };
        let (secs, frac) = epoch.split_once('.').unwrap_or((epoch, "0"));
        let ns = secs.parse::<u128>().unwrap() * 1_000_000_000
            + format!("{frac:0<9}")
                .get(..9)
                .unwrap()
                .parse::<u128>()
                .unwrap();
        let code = f.get(4).copied().unwrap_or("");
        let hit = found.iter().any(|a| {
            let (Some(c), Some(s)) = (a["client"].as_str(), a["server"].as_str()) else {
                return false;
            };
            let from = alert_ns(a["time"].as_str().unwrap());
            let to = a["last_time"].as_str().map_or(from, alert_ns);
            let pair = (c == *src && s == *dst) || (c == *dst && s == *src);
            let operation = a["operation"].as_str().and_then(modbus_code);
            pair && (from..=to).contains(&ns) && operation.is_none_or(|want| want == code)
        });
        if hit {
            marked.insert(n.parse::<u64>().unwrap());
        }
    }
    let tp = marked
        .iter()
        .filter(|n| labelled.get(n) == Some(&true))
        .count();
    let fn_ = labelled
        .iter()
        .filter(|(n, malicious)| **malicious && !marked.contains(*n))
        .count();
    (tp, marked.len() - tp, fn_)
}

/// Precision and recall per packet on the labelled Modbus captures (CSET'16 dataset): the
/// register walk without a baseline, the injected coil writes against a baseline learned
/// from the characterisation capture. Figures in docs/detection.md.
#[test]
fn per_packet_precision_and_recall_on_the_labelled_modbus_captures() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    if !common::require_tool("tshark") {
        return;
    }
    let characterization = pcaps.join("attacks/modbus6rtu_characterization.pcap");
    let labels = pcaps.join(
        "attacks/modbus6rtu_characterization.expected/labels/characterization_modbus_6RTU_with_operate_labeled.csv",
    );
    let found = alerts(&[characterization.to_str().unwrap()]);
    let (tp, fp, fn_) = packet_scores(&characterization, &labels, &found);
    let (precision, recall) = (tp as f64 / (tp + fp) as f64, tp as f64 / (tp + fn_) as f64);
    eprintln!(
        "characterization: tp {tp} fp {fp} fn {fn_}: precision {precision:.3} recall {recall:.3}"
    );
    assert!(precision >= 0.99 && recall >= 0.95, "{found:?}");

    let dir = std::env::temp_dir().join(format!("zonewarden-detect-pr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let baseline = dir.join("baseline.json");
    let learn = common::run(&[
        "detect",
        "--learn",
        baseline.to_str().unwrap(),
        characterization.to_str().unwrap(),
    ]);
    assert!(learn.status.success());
    let fake = pcaps.join("attacks/modbus6rtu_send_a_fake_command.pcap");
    let labels = pcaps.join(
        "attacks/modbus6rtu_send_a_fake_command.expected/labels/send_a_fake_command_modbus_6RTU_with_operate_labeled.csv",
    );
    let found = alerts(&[
        "--baseline",
        baseline.to_str().unwrap(),
        fake.to_str().unwrap(),
    ]);
    let (tp, fp, fn_) = packet_scores(&fake, &labels, &found);
    let (precision, recall) = (tp as f64 / (tp + fp) as f64, tp as f64 / (tp + fn_) as f64);
    eprintln!(
        "fake command: tp {tp} fp {fp} fn {fn_}: precision {precision:.3} recall {recall:.3}"
    );
    // Every injected packet is marked; what else is marked is the operator's own first
    // writes to .102 and a first NetBIOS exchange, new against the baseline but benign.
    assert_eq!(fn_, 0, "{found:?}");
    assert!(precision >= 0.5, "{found:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--extract DIR`: a pcap per alert with the packets involved, starting with the packet
/// that raised it, capped for the walk's thousands of requests.
#[test]
fn extract_writes_the_packets_of_each_alert() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("zonewarden-extract-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let stop = pcaps.join("attacks/cip_stop_plc.pcap");
    let walk = pcaps.join("attacks/modbus6rtu_characterization.pcap");
    let found = alerts(&[
        "--extract",
        dir.to_str().unwrap(),
        stop.to_str().unwrap(),
        walk.to_str().unwrap(),
    ]);
    for rule in ["ZWD-101", "ZWD-302"] {
        let a = found
            .iter()
            .find(|a| a["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule}: {found:?}"));
        let path = a["evidence_pcap"].as_str().unwrap();
        assert!(path.ends_with(&format!("{}.pcap", a["id"].as_str().unwrap())));
        let (scan, code) = common::scan_json(&[Path::new(path)]);
        assert_eq!(code, 0);
        let packets = scan["stats"]["packets"].as_u64().unwrap();
        assert!((1..=1000).contains(&packets), "{packets}");
        // The window starts at the alert's first packet.
        assert_eq!(scan["stats"]["first_ts"], a["time"], "{a}");
        if rule == "ZWD-302" {
            assert_eq!(packets, 1000, "the walk is capped");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// (rule, client, server, operation) of each alert: what a learning period must reproduce.
fn alert_keys(alerts: &[Value]) -> BTreeSet<String> {
    alerts
        .iter()
        .map(|a| {
            format!(
                "{} {} {} {}",
                a["rule"], a["client"], a["server"], a["operation"]
            )
        })
        .collect()
}

/// A learning period over the first capture gives the alerts of a baseline learned from it:
/// the characterisation capture (12,296 packets) then the fake-command capture.
#[test]
fn learning_period_equals_a_baseline_learned_from_the_same_packets() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let characterization = pcaps.join("attacks/modbus6rtu_characterization.pcap");
    let fake = pcaps.join("attacks/modbus6rtu_send_a_fake_command.pcap");
    let (doc, _) = common::scan_json(&[&characterization]);
    let learned_packets = doc["stats"]["packets"].as_u64().unwrap();
    assert_eq!(learned_packets, 12_296);
    let dir = std::env::temp_dir().join(format!("zonewarden-learning-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let baseline = dir.join("baseline.json");
    let learn = common::run(&[
        "detect",
        "--learn",
        baseline.to_str().unwrap(),
        characterization.to_str().unwrap(),
    ]);
    assert!(learn.status.success());
    let with_baseline = alerts(&[
        "--baseline",
        baseline.to_str().unwrap(),
        fake.to_str().unwrap(),
    ]);
    let period = format!("{learned_packets}p");
    let with_period = alerts(&[
        "--learning-period",
        &period,
        characterization.to_str().unwrap(),
        fake.to_str().unwrap(),
    ]);
    assert!(rules(&with_period).contains("ZWD-121"), "{with_period:?}");
    assert_eq!(alert_keys(&with_period), alert_keys(&with_baseline));
    // Learning only half of the characterisation leaves part of it to the detection pass.
    let shorter = format!("{}p", learned_packets / 2);
    let half = alerts(&[
        "--learning-period",
        &shorter,
        characterization.to_str().unwrap(),
        fake.to_str().unwrap(),
    ]);
    assert_ne!(alert_keys(&half), alert_keys(&with_baseline));
    std::fs::remove_dir_all(&dir).ok();
}

/// Benign polling captures after a learning period of the first three quarters of their
/// packets: at most one alert per hour of the traffic watched (none, in fact).
#[test]
fn benign_captures_after_their_learning_period_stay_quiet() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    for file in [
        "modbus/zeek_modbusBig.pcap",
        "modbus/zeek_modbusSmall.pcap",
        "modbus/zeek_modbus-eit.pcap",
        "modbus/plant1_ModbusTCP.pcap",
    ] {
        let path = pcaps.join(file);
        let (doc, _) = common::scan_json(&[&path]);
        let packets = doc["stats"]["packets"].as_u64().unwrap();
        let hours = doc["stats"]["duration_s"].as_f64().unwrap() / 4.0 / 3600.0;
        let period = format!("{}p", packets * 3 / 4);
        let found = alerts(&["--learning-period", &period, path.to_str().unwrap()]);
        assert!(
            found.len() as f64 <= hours.max(1.0),
            "{file}: {} alerts in {hours:.2} h: {:?}",
            found.len(),
            rules(&found)
        );
    }
}

/// Splits a classic little-endian pcap after `first` records.
fn split_pcap(bytes: &[u8], first: usize) -> (Vec<u8>, Vec<u8>) {
    assert_eq!(bytes[..4], [0xD4, 0xC3, 0xB2, 0xA1]);
    let (mut a, mut b) = (bytes[..24].to_vec(), bytes[..24].to_vec());
    let mut at = 24;
    let mut n = 0;
    while at + 16 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        let end = at + 16 + len;
        let to = if n < first { &mut a } else { &mut b };
        to.extend_from_slice(&bytes[at..end]);
        at = end;
        n += 1;
    }
    (a, b)
}

/// On a 21-second plant capture a learning period cannot see every device: what is raised
/// after it must be exactly what a baseline learned from the same first packets raises on the
/// rest — devices and connections that first appear after the boundary, nothing else (no
/// flow picked up mid-stream at the boundary may look new).
#[test]
fn after_a_learning_period_only_what_is_really_new_is_raised() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let path = pcaps.join("mixed/plant1_mb2.pcap");
    let bytes = std::fs::read(&path).unwrap();
    let dir = std::env::temp_dir().join(format!("zonewarden-split-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for first in [6_736usize, 10_104] {
        let (head, tail) = split_pcap(&bytes, first);
        let (head_path, tail_path) = (dir.join("head.pcap"), dir.join("tail.pcap"));
        std::fs::write(&head_path, head).unwrap();
        std::fs::write(&tail_path, tail).unwrap();
        let baseline = dir.join(format!("baseline-{first}.json"));
        let learn = common::run(&[
            "detect",
            "--learn",
            baseline.to_str().unwrap(),
            head_path.to_str().unwrap(),
        ]);
        assert!(learn.status.success());
        let expected = alerts(&[
            "--baseline",
            baseline.to_str().unwrap(),
            tail_path.to_str().unwrap(),
        ]);
        let period = format!("{first}p");
        let found = alerts(&["--learning-period", &period, path.to_str().unwrap()]);
        assert_eq!(alert_keys(&found), alert_keys(&expected), "first {first}");
        // Only baseline changes, none of them a reversed mid-stream connection.
        for a in &found {
            assert!(a["rule"].as_str().unwrap().starts_with("ZWD-40"), "{a}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
