//! The asset inventory on real captures: identities reach the asset table with their
//! provenance, the plant1 inventory is documented device by device in a golden file, CSV and
//! `diff` work end to end.

// Test code: a failed expectation should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use serde_json::{json, Value};
use std::path::Path;

fn assets(file: &Path) -> Vec<Value> {
    let (doc, _) = common::scan_json(&[file]);
    doc["assets"].as_array().expect("assets").clone()
}

fn asset_at<'a>(assets: &'a [Value], ip: &str) -> &'a Value {
    assets
        .iter()
        .find(|a| a["ips"].as_array().unwrap().iter().any(|i| i == ip))
        .unwrap_or_else(|| panic!("no asset with {ip}"))
}

/// Each shown attribute has evidence naming the protocol, field, file and packet.
fn assert_provenance(asset: &Value, attribute: &str, source: &str) {
    let shown = asset[attribute].as_str().unwrap_or_else(|| {
        panic!("{attribute} missing on {}", asset["id"]);
    });
    let evidence = asset["provenance"][attribute].as_array().unwrap();
    let first = &evidence[0];
    assert_eq!(first["value"], shown);
    assert_eq!(first["source"], source, "{evidence:?}");
    assert!(first["file"].as_str().is_some_and(|f| !f.is_empty()));
    assert!(first["packet"].as_u64().is_some_and(|p| p > 0), "{first}");
    assert!(first["flow"].as_str().is_some(), "{first}");
}

/// The Rockwell 1756-ENBT/A of ICSNPP's cip_identity.log becomes one asset with model,
/// firmware, serial and vendor from ListIdentity, and the role of a PLC.
#[test]
fn enip_identity_becomes_the_asset_row() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let dir = pcaps.join("enip-cip/icsnpp_enip_cip_example.expected/icsnpp-baseline");
    let log = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().join("cip_identity.log"))
        .find(|p| p.exists())
        .expect("cip_identity.log");
    let text = std::fs::read_to_string(log).unwrap();
    let row: Vec<&str> = text
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .unwrap()
        .split('\t')
        .collect();
    let n = row.len();
    let (device, vendor, revision, serial, product) =
        (row[n - 12], row[n - 9], row[n - 5], row[n - 3], row[n - 2]);
    let assets = assets(&pcaps.join("enip-cip/icsnpp_enip_cip_example.pcap"));
    let asset = asset_at(&assets, device);
    assert_eq!(asset["model"], product);
    assert_eq!(asset["firmware"], revision);
    assert_eq!(asset["serial"], serial);
    assert_eq!(asset["vendor"], vendor);
    for attribute in ["model", "firmware", "serial", "vendor"] {
        assert_provenance(asset, attribute, "enip");
    }
    assert_eq!(asset["role"], "plc", "{}", asset["role_reason"]);
    assert_eq!(asset["purdue_level"], 1);
}

/// The S7-300 of the Snap7 capture: order code as model, serial, firmware, Siemens.
#[test]
fn s7_identity_becomes_the_asset_row() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let value_of = |label: &str| common::snap7_printout_value(&pcaps, label);
    let assets = assets(&pcaps.join("s7comm/gymgit_snap7_s300_everything.pcapng"));
    let plc = assets
        .iter()
        .find(|a| a["serial"] == value_of("Serial Number").as_str())
        .expect("the PLC asset carries the serial number");
    assert_eq!(plc["role"], "plc");
    assert!(plc["vendor"].as_str().unwrap().contains("Siemens"), "{plc}");
    let order_code = value_of("Order Code");
    let models: Vec<&str> = plc["provenance"]["model"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert!(models.contains(&order_code.as_str()), "{models:?}");
    assert_provenance(plc, "serial", "s7comm");
    // The client that read the SZL is not a PLC.
    let client = assets
        .iter()
        .find(|a| a["id"] != plc["id"] && a["ip"].is_string());
    if let Some(client) = client {
        assert_ne!(client["role"], "plc", "{client}");
    }
}

/// Modbus device identification (43/14) and BACnet i-Am vendors reach the asset vendor.
#[test]
fn modbus_and_bacnet_vendors_reach_the_assets() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let (doc, _) = common::scan_json(&[&pcaps.join("modbus/icsnpp_modbus_example.pcap")]);
    let fact = doc["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["protocol"] == "modbus" && f["field"] == "vendor")
        .expect("a Modbus 43/14 vendor");
    let assets = doc["assets"].as_array().unwrap();
    let asset = asset_at(assets, fact["ip"].as_str().unwrap());
    assert_eq!(asset["vendor"], fact["value"]);
    assert_provenance(asset, "vendor", "modbus");

    let (doc, _) = common::scan_json(&[&pcaps.join("bacnet/icsnpp_bacnet_example.pcap")]);
    let assets = doc["assets"].as_array().unwrap();
    let mut checked = 0;
    for fact in doc["identities"].as_array().unwrap() {
        if fact["protocol"] == "bacnet" && fact["field"] == "vendor" {
            let asset = asset_at(assets, fact["ip"].as_str().unwrap());
            let vendors: Vec<&Value> = asset["provenance"]["vendor"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| &e["value"])
                .collect();
            assert!(vendors.contains(&&fact["value"]), "{asset}");
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} BACnet vendors");
}

/// A device seen only at layer 2 (PROFINET DCP) is an asset, named by its station name.
#[test]
fn profinet_station_is_a_layer2_asset_with_its_name() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let (doc, _) = common::scan_json(&[&pcaps.join("attacks/ChangeIPUsingDCP.pcap")]);
    let station = doc["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "station_name")
        .expect("a DCP station name");
    let mac = station["mac"].as_str().unwrap();
    let asset = doc["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["macs"].as_array().unwrap().iter().any(|m| m == mac))
        .expect("an asset for the station's MAC");
    assert_eq!(asset["hostname"], station["value"]);
    assert_eq!(asset["provenance"]["hostname"][0]["source"], "profinet-dcp");
    assert!(
        asset["provenance"]["hostname"][0]["packet"]
            .as_u64()
            .unwrap()
            > 0
    );
}

/// The fields of an asset that the golden file documents, device by device.
fn documented(asset: &Value) -> Value {
    json!({
        "id": asset["id"],
        "ip": asset["ip"],
        "mac": asset["mac"],
        "vendor": asset["vendor"],
        "model": asset["model"],
        "firmware": asset["firmware"],
        "hostname": asset["hostname"],
        "role": asset["role"],
        "role_reason": asset["role_reason"],
        "purdue_level": asset["purdue_level"],
        "purdue_reason": asset["purdue_reason"],
        "criticality": asset["criticality"],
        "protocols_served": asset["protocols_served"],
        "protocols_used": asset["protocols_used"],
        "services": asset["services"],
    })
}

/// plant1_mb2 (a 21 s snapshot of a dairy plant: one SCADA host polling 29 controllers over
/// Modbus, S7comm and EtherNet/IP, an SQL server, PROFINET and switches): the inventory,
/// device by device with the reasons for each role and level, is the golden file. Regenerate
/// with UPDATE_GOLDEN=1 after reviewing the change.
#[test]
fn plant1_inventory_matches_the_documented_golden_file() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let assets = assets(&pcaps.join("mixed/plant1_mb2.pcap"));
    let ours = Value::Array(assets.iter().map(documented).collect());
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/inventory-plant1_mb2.json");
    let text = serde_json::to_string_pretty(&ours).unwrap() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &text).unwrap();
    }
    let expected =
        std::fs::read_to_string(&golden).expect("golden file (UPDATE_GOLDEN=1 writes it)");
    assert_eq!(
        text, expected,
        "inventory changed; review and regenerate with UPDATE_GOLDEN=1"
    );

    // What the golden file must say, whatever regeneration did.
    let scada = asset_at(&assets, "141.81.0.10");
    assert_eq!(scada["role"], "hmi");
    assert_eq!(scada["purdue_level"], 2);
    let sql = asset_at(&assets, "141.81.0.11");
    assert_eq!(sql["role"], "historian", "{}", sql["role_reason"]);
    let plcs = assets.iter().filter(|a| a["role"] == "plc").count();
    assert_eq!(plcs, 29, "the SCADA host polls 29 controllers");
    assert!(assets
        .iter()
        .all(|a| a["role_reason"].as_str().is_some_and(|r| !r.is_empty())));
}

/// `--format csv`: one row per asset under the documented header.
#[test]
fn csv_lists_every_asset() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let file = pcaps.join("mixed/plant1_mb2.pcap");
    let out = common::run(&["scan", "--format", "csv", file.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header
        .starts_with("id,ip,ips,mac,vendor,model,firmware,serial,hostname,os,role,purdue_level"));
    assert_eq!(lines.count(), assets(&file).len());
    assert!(text.contains(",plc,1,high,"), "{text}");
}

/// `diff` between scans of two captures names the new assets and conversations, and is quiet
/// (and exits 0 even with --exit-code) for the same scan twice.
#[test]
fn diff_reports_new_assets_and_conversations() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("zonewarden-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scan = |capture: &str, name: &str| {
        let file = pcaps.join(capture);
        let out = common::run(&["scan", "--format", "json", file.to_str().unwrap()]);
        assert!(out.status.success());
        let path = dir.join(name);
        std::fs::write(&path, out.stdout).unwrap();
        path
    };
    let old = scan("modbus/plant1_ModbusTCP.pcap", "old.json");
    let new = scan("mixed/plant1_mb2.pcap", "new.json");
    let out = common::run(&["diff", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("New asset: 141.81.0.11"), "{text}");
    assert!(text.contains("over s7comm"), "{text}");
    let out = common::run(&[
        "diff",
        "--format",
        "json",
        "--exit-code",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!d["assets_new"].as_array().unwrap().is_empty());
    assert!(!d["conversations_new"].as_array().unwrap().is_empty());
    let same = common::run(&[
        "diff",
        "--exit-code",
        new.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    assert_eq!(same.status.code(), Some(0));
    assert!(String::from_utf8(same.stdout)
        .unwrap()
        .starts_with("No changes"));
    let bad = common::run(&[
        "diff",
        file_that_is_not_a_scan(&dir).to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8(bad.stderr)
        .unwrap()
        .contains("not a zonewarden scan document"));
    std::fs::remove_dir_all(&dir).ok();
}

fn file_that_is_not_a_scan(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("other.json");
    std::fs::write(&path, "{\"hello\": 1}").unwrap();
    path
}

/// A router's MAC must not swallow the hosts behind it: the BACnet capture sees 40 devices
/// through one MAC, the port-502 capture sees internet scanners through a firewall.
#[test]
fn router_macs_do_not_swallow_the_hosts_behind_them() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    for (capture, router, at_least) in [
        ("bacnet/icsnpp_bacnet_example.pcap", "d4:6a:6a:56:98:17", 30),
        (
            "modbus/zeek_modbus-and-non-modbus-p502.pcap",
            "00:0c:29:1d:40:46",
            3,
        ),
    ] {
        let assets = assets(&pcaps.join(capture));
        let gateway = assets
            .iter()
            .find(|a| a["macs"].as_array().unwrap().iter().any(|m| m == router))
            .unwrap_or_else(|| panic!("{capture}: no asset for {router}"));
        assert_eq!(gateway["role"], "network_device", "{capture}: {gateway}");
        let behind = assets
            .iter()
            .filter(|a| {
                a["behind_gateway"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m == router)
            })
            .count();
        assert!(
            behind >= at_least,
            "{capture}: {behind} hosts behind {router}"
        );
        assert!(
            gateway["ips"].as_array().unwrap().len() <= 1,
            "{capture}: the router kept others' addresses: {}",
            gateway["ips"]
        );
    }
}
