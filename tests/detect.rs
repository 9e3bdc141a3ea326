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
const EXPECTED: [(&str, &[&str], &str); 13] = [
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
