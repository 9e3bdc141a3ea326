//! Identities decoded from real captures agree with the reference outputs shipped beside them
//! (CISA ICSNPP logs, Zeek baselines, the Snap7 client's own printout, the capture notes).
//! Each expectation is read from the reference file, not retyped here.

// Test code: a failed expectation should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

/// (ip or mac, field, value) facts of one capture.
fn facts(file: &Path) -> BTreeSet<(String, String, String)> {
    let (doc, _) = common::scan_json(&[file]);
    doc["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let who = f["ip"].as_str().or(f["mac"].as_str()).unwrap().to_string();
            (
                who,
                f["field"].as_str().unwrap().to_string(),
                f["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn data_lines(log: &str) -> Vec<Vec<String>> {
    log.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn has(facts: &BTreeSet<(String, String, String)>, who: &str, field: &str, value: &str) -> bool {
    facts.contains(&(who.to_string(), field.to_string(), value.to_string()))
}

/// The Rockwell 1756-ENBT/A ListIdentity, against ICSNPP's cip_identity.log.
#[test]
fn enip_list_identity_matches_icsnpp() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let dir = pcaps.join("enip-cip/icsnpp_enip_cip_example.expected/icsnpp-baseline");
    let log = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().join("cip_identity.log"))
        .find(|p| p.exists())
        .expect("cip_identity.log");
    let lines = data_lines(&std::fs::read_to_string(log).unwrap());
    assert!(!lines.is_empty());
    let ours = facts(&pcaps.join("enip-cip/icsnpp_enip_cip_example.pcap"));
    for f in &lines {
        // ... device ip, port, vendor id, vendor name, device type id, device type name, product
        // code, revision, status, serial number, product name, state.
        let n = f.len();
        let device = &f[n - 12];
        let (vendor, product_code, revision, serial, product) =
            (&f[n - 9], &f[n - 6], &f[n - 5], &f[n - 3], &f[n - 2]);
        for (field, value) in [
            ("vendor", vendor),
            ("product_code", product_code),
            ("revision", revision),
            ("serial_number", serial),
            ("product_name", product),
        ] {
            assert!(
                has(&ours, device, field, value),
                "{device} {field}={value} missing from {ours:?}"
            );
        }
    }
}

/// The S7-300 module identification (SZL 0x0011/0x001C), against the Snap7 client's printout.
#[test]
fn s7_module_identity_matches_the_snap7_printout() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let value_of = |label: &str| common::snap7_printout_value(&pcaps, label);
    let ours = facts(&pcaps.join("s7comm/gymgit_snap7_s300_everything.pcapng"));
    for (label, field) in [
        ("Order Code", "order_code"),
        ("Serial Number", "serial_number"),
        ("Module Name", "module_name"),
        ("Module Type Name", "module_type"),
    ] {
        let expected = value_of(label);
        assert!(
            ours.iter().any(|(_, f, v)| f == field && *v == expected),
            "{field}={expected} missing from {ours:?}"
        );
    }
}

/// BACnet i-Am device instances, against ICSNPP's bacnet_discovery.log.
#[test]
fn bacnet_i_am_instances_match_icsnpp() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let dir = pcaps.join("bacnet/icsnpp_bacnet_example.expected/icsnpp-baseline");
    let log = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().join("bacnet_discovery.log"))
        .find(|p| p.exists())
        .expect("bacnet_discovery.log");
    let theirs: BTreeSet<(String, String)> = data_lines(&std::fs::read_to_string(log).unwrap())
        .into_iter()
        .filter(|f| f[11] == "i-am")
        .map(|f| (f[7].clone(), f[15].clone()))
        .collect();
    assert!(theirs.len() > 10);
    let ours: BTreeSet<(String, String)> = facts(&pcaps.join("bacnet/icsnpp_bacnet_example.pcap"))
        .into_iter()
        .filter(|(_, f, _)| f == "device_instance")
        .map(|(ip, _, v)| (ip, v))
        .collect();
    assert_eq!(ours, theirs);
}

/// MQTT client ids, against Zeek's mqtt_connect.log.
#[test]
fn mqtt_client_ids_match_zeek() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let log = pcaps.join(
        "mqtt/zeek_mqtt.expected/zeek-baseline/scripts.base.protocols.mqtt.mqtt/mqtt_connect.log",
    );
    let theirs: BTreeSet<(String, String)> = data_lines(&std::fs::read_to_string(log).unwrap())
        .into_iter()
        .map(|f| (f[2].clone(), f[8].clone()))
        .collect();
    let ours: BTreeSet<(String, String)> = facts(&pcaps.join("mqtt/zeek_mqtt.pcap"))
        .into_iter()
        .filter(|(_, f, _)| f == "mqtt_client_id")
        .map(|(ip, _, v)| (ip, v))
        .collect();
    assert_eq!(ours, theirs);
}

/// PROFINET DCP: the station named in the capture notes ('X208-BORD') answers the Identify, and
/// the Set IP that follows is a control operation.
#[test]
fn profinet_dcp_station_and_set_ip() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let text = std::fs::read_to_string(pcaps.join("SOURCES.json")).unwrap();
    let note = serde_json::from_str::<serde_json::Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dest"] == "attacks/ChangeIPUsingDCP.pcap")
        .map(|e| e["note"].as_str().unwrap().to_string())
        .unwrap();
    let station = note
        .split('\'')
        .nth(1)
        .expect("station name quoted in the note");
    let file = pcaps.join("attacks/ChangeIPUsingDCP.pcap");
    let ours = facts(&file);
    assert!(
        ours.iter()
            .any(|(_, f, v)| f == "station_name" && v == station),
        "{ours:?}"
    );
    let (doc, _) = common::scan_json(&[&file]);
    let set_ip = doc["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["operations"].as_array().unwrap().iter())
        .find(|o| o["name"] == "DCP Set IP")
        .expect("a DCP Set IP operation");
    assert_eq!(set_ip["class"], "control");
}
