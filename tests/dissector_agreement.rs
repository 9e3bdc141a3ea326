//! Differential tests of the dissectors against tshark: for every capture in ../shared/pcaps
//! whose protocol list names a protocol, the number of messages per protocol code that
//! zonewarden decodes (requests plus responses, from the communication map) equals the count of
//! tshark's field for that code. Differences that are right are listed with their reason in
//! tests/dissector-differences.tsv; unlisted differences and stale entries fail.

// Test code: a failed expectation should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// A protocol, the tshark protocol names that select its captures in SOURCES.json, the tshark
/// display filter and the field that carries its operation code.
struct Spec {
    protocol: &'static str,
    sources_names: &'static [&'static str],
    filter: &'static str,
    field: &'static str,
    /// Maps zonewarden's operation code into the tshark field's code space; `None` leaves the
    /// operation out of this comparison (a code space the field does not cover).
    ours: fn(u64) -> Option<u64>,
    /// Maps a tshark value onto the code zonewarden reports for it.
    theirs: fn(u64) -> u64,
    /// Which messages the tshark field covers.
    count: Count,
}

#[derive(Clone, Copy)]
enum Count {
    All,
    Requests,
    Responses,
}

fn same(code: u64) -> Option<u64> {
    Some(code)
}

fn identity(code: u64) -> u64 {
    code
}

/// EtherNet/IP: CIP services are codes below 0x100; encapsulation commands are 0x1000 | command.
fn cip_service(code: u64) -> Option<u64> {
    (code < 0x100).then_some(code)
}

fn enip_command(code: u64) -> Option<u64> {
    (0x1000..0x2000).contains(&code).then_some(code & 0x0FFF)
}

/// S7comm job functions; userdata (ROSCTR 7) codes are 0x7000 and up and have no
/// `s7comm.param.func` in tshark (they are checked against its group/sub-function instead).
fn s7_job(code: u64) -> Option<u64> {
    (code < 0x100).then_some(code)
}

/// BACnet confirmed services are codes below 0x100, unconfirmed ones 0x100 | service.
fn bacnet_confirmed(code: u64) -> Option<u64> {
    (code < 0x100).then_some(code)
}

fn bacnet_unconfirmed(code: u64) -> Option<u64> {
    (0x100..0x200).contains(&code).then(|| code - 0x100)
}

/// OPC UA: zonewarden counts a response under its request's service id; codes 0 (encrypted)
/// and 1 (ERR) have no node id in tshark.
fn opcua_service(code: u64) -> Option<u64> {
    (code > 1).then_some(code)
}

/// OPC UA request type ids (OPC 10000-6 NodeIds of the *Request encodings).
const OPCUA_REQUESTS: &[u64] = &[
    422, 428, 437, 446, 452, 461, 467, 473, 479, 488, 494, 500, 506, 527, 533, 554, 560, 566, 615,
    621, 631, 664, 673, 700, 712, 751, 763, 769, 775, 781, 787, 793, 799, 826, 832, 841, 847,
    12208, 12211,
];

/// Maps tshark's response type ids onto their request's id (most are request + 3; the two
/// discovery services 12208/12211 answer with + 1).
fn opcua_request_of(id: u64) -> u64 {
    if OPCUA_REQUESTS.contains(&id) {
        id
    } else if id == 12209 || id == 12212 {
        id - 1
    } else if id >= 3 && OPCUA_REQUESTS.contains(&(id - 3)) {
        id - 3
    } else {
        id
    }
}

/// ADS commands; 0x100 is UDP discovery, which tshark does not decode.
fn ads_command(code: u64) -> Option<u64> {
    (code < 0x100).then_some(code)
}

/// MMS PDUs that are not confirmed services (initiate, conclude…) have codes from 0x100 up.
fn mms_service(code: u64) -> Option<u64> {
    (code < 0x100).then_some(code)
}

/// Every GOOSE frame is one publication, whatever its state number.
fn one(_: u64) -> u64 {
    1
}

/// DHCP message types (option 53); 0 is a plain BOOTP message, which has no option 53.
fn dhcp_message_type(code: u64) -> Option<u64> {
    (code > 0).then_some(code)
}

/// LLDP: every frame is one advertisement (or a shutdown, TTL 0).
fn lldp_frame(_: u64) -> Option<u64> {
    Some(1)
}

/// SMB1 commands are 0x100 | command; SMB2 codes are below 0x100.
fn smb1_command(code: u64) -> Option<u64> {
    (0x100..0x200).contains(&code).then(|| code - 0x100)
}

const SPECS: &[Spec] = &[
    Spec {
        protocol: "modbus",
        sources_names: &["mbtcp", "modbus"],
        filter: "modbus",
        field: "modbus.func_code",
        ours: same,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "dnp3",
        sources_names: &["dnp3"],
        filter: "dnp3",
        field: "dnp3.al.func",
        ours: same,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "enip",
        sources_names: &["enip", "cip"],
        filter: "cip",
        field: "cip.sc",
        ours: cip_service,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "enip",
        sources_names: &["enip"],
        filter: "enip",
        field: "enip.command",
        ours: enip_command,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "s7comm",
        sources_names: &["s7comm"],
        filter: "s7comm",
        field: "s7comm.param.func",
        ours: s7_job,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "bacnet",
        sources_names: &["bacapp"],
        filter: "bacapp && udp",
        field: "bacapp.confirmed_service",
        ours: bacnet_confirmed,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "bacnet",
        sources_names: &["bacapp"],
        filter: "bacapp && udp",
        field: "bacapp.unconfirmed_service",
        ours: bacnet_unconfirmed,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "opcua",
        sources_names: &["opcua"],
        filter: "opcua",
        field: "opcua.servicenodeid.numeric",
        ours: opcua_service,
        theirs: opcua_request_of,
        count: Count::All,
    },
    Spec {
        protocol: "iec104",
        sources_names: &["iec60870_104", "iec60870_asdu"],
        filter: "iec60870_asdu",
        field: "iec60870_asdu.typeid",
        ours: same,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "mqtt",
        sources_names: &["mqtt"],
        filter: "mqtt",
        field: "mqtt.msgtype",
        ours: same,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "fins",
        sources_names: &["omron"],
        filter: "omron",
        field: "omron.command",
        ours: same,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "hart-ip",
        sources_names: &["hart_ip"],
        filter: "hart_ip",
        field: "hart_ip.message_id",
        ours: same,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "c37.118",
        sources_names: &["synphasor"],
        filter: "synphasor",
        field: "synphasor.frtype",
        ours: same,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "ads",
        sources_names: &["ams"],
        filter: "ams",
        field: "ams.cmdid",
        ours: ads_command,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "profinet-dcp",
        sources_names: &["pn_dcp"],
        filter: "pn_dcp",
        field: "pn_dcp.service_id",
        ours: same,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "ethercat",
        sources_names: &["ecat"],
        filter: "ecat",
        field: "ecat.cmd",
        ours: same,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "goose",
        sources_names: &["goose"],
        filter: "goose",
        field: "goose.stNum",
        ours: same,
        theirs: one,
        count: Count::All,
    },
    Spec {
        protocol: "profinet-io-cm",
        sources_names: &["pn_io_device", "pn_io_controller"],
        filter: "pn_io_device || pn_io_controller",
        field: "dcerpc.opnum",
        ours: same,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "mms",
        sources_names: &["mms"],
        filter: "mms",
        field: "mms.confirmedServiceRequest",
        ours: mms_service,
        theirs: identity,
        count: Count::Requests,
    },
    Spec {
        protocol: "mms",
        sources_names: &["mms"],
        filter: "mms",
        field: "mms.confirmedServiceResponse",
        ours: mms_service,
        theirs: identity,
        count: Count::Responses,
    },
    Spec {
        protocol: "dhcp",
        sources_names: &["dhcp"],
        filter: "dhcp.option.dhcp",
        field: "dhcp.option.dhcp",
        ours: dhcp_message_type,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "netbios-ns",
        sources_names: &["nbns"],
        filter: "nbns",
        field: "nbns.flags.opcode",
        ours: same,
        theirs: identity,
        count: Count::All,
    },
    Spec {
        protocol: "lldp",
        sources_names: &["lldp"],
        filter: "lldp",
        field: "lldp.time_to_live",
        ours: lldp_frame,
        theirs: one,
        count: Count::All,
    },
    Spec {
        protocol: "smb",
        sources_names: &["smb"],
        filter: "smb && tcp",
        field: "smb.cmd",
        ours: smb1_command,
        theirs: identity,
        count: Count::All,
    },
];

fn tshark_counts(file: &Path, spec: &Spec) -> BTreeMap<u64, u64> {
    let output = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(file)
        .args(["-Y", spec.filter, "-T", "fields", "-e", spec.field])
        .output()
        .expect("tshark runs");
    let mut counts = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        for value in line.split(',').filter(|v| !v.is_empty()) {
            let value = value.trim();
            let parsed = match value.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => value.parse::<u64>(),
            };
            if let Ok(code) = parsed {
                *counts.entry((spec.theirs)(code)).or_default() += 1;
            }
        }
    }
    counts
}

fn zonewarden_counts(doc: &serde_json::Value, spec: &Spec) -> BTreeMap<u64, u64> {
    let mut counts = BTreeMap::new();
    for edge in doc["edges"].as_array().expect("edges") {
        for op in edge["operations"].as_array().expect("operations") {
            if op["protocol"] == spec.protocol {
                let Some(code) = (spec.ours)(op["code"].as_u64().unwrap()) else {
                    continue;
                };
                let (requests, responses) = (
                    op["requests"].as_u64().unwrap(),
                    op["responses"].as_u64().unwrap(),
                );
                let n = match spec.count {
                    Count::All => requests + responses,
                    Count::Requests => requests,
                    // Error responses carry no service in tshark's response field.
                    Count::Responses => responses - op["exceptions"].as_u64().unwrap(),
                };
                *counts.entry(code).or_default() += n;
            }
        }
    }
    counts.retain(|_, n| *n > 0);
    counts
}

fn captures_with(pcaps: &Path, names: &[&str]) -> Vec<(String, std::path::PathBuf)> {
    let text = std::fs::read_to_string(pcaps.join("SOURCES.json")).unwrap();
    let entries: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out: Vec<_> = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["protocols"]
                .as_array()
                .is_some_and(|p| p.iter().any(|n| names.contains(&n.as_str().unwrap_or(""))))
        })
        .map(|e| {
            let dest = e["dest"].as_str().unwrap().to_string();
            (dest.clone(), pcaps.join(dest))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn operation_counts_agree_with_tshark() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    if !common::require_tool("tshark") {
        return;
    }
    let known_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dissector-differences.tsv"),
    )
    .expect("tests/dissector-differences.tsv");
    let known: Vec<Vec<&str>> = known_text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect();
    for k in &known {
        assert!(
            k.len() >= 4 && !k[3].trim().is_empty(),
            "entry needs file, protocol, code, reason: {k:?}"
        );
    }
    let mut used = vec![false; known.len()];
    let mut unexplained = Vec::new();
    let mut table = Vec::new();
    for spec in SPECS {
        let captures = captures_with(&pcaps, spec.sources_names);
        assert!(!captures.is_empty(), "no captures for {}", spec.protocol);
        let results = common::parallel_map(&captures, |(name, path)| {
            let (doc, _) = common::scan_json(&[path.as_path()]);
            (
                name.clone(),
                tshark_counts(path, spec),
                zonewarden_counts(&doc, spec),
            )
        });
        let (mut agree, mut total, mut files_agreeing) = (0u64, 0u64, 0usize);
        for (name, theirs, ours) in &results {
            let codes: std::collections::BTreeSet<u64> =
                theirs.keys().chain(ours.keys()).copied().collect();
            let mut file_ok = true;
            for code in codes {
                let (t, z) = (
                    theirs.get(&code).copied().unwrap_or(0),
                    ours.get(&code).copied().unwrap_or(0),
                );
                total += t;
                agree += t.min(z);
                if t == z {
                    continue;
                }
                file_ok = false;
                let hit = known.iter().position(|k| {
                    k[0] == name
                        && k[1] == spec.protocol
                        && (k[2] == "*" || k[2] == code.to_string())
                });
                match hit {
                    Some(i) => used[i] = true,
                    None => unexplained.push(format!(
                        "{name}\t{}\t{code}\ttshark {t}, zonewarden {z}",
                        spec.protocol
                    )),
                }
            }
            files_agreeing += usize::from(file_ok);
        }
        table.push(format!(
            "{}: {} captures, {files_agreeing} agree exactly; {agree} of {total} tshark messages matched ({:.2}%)",
            spec.protocol,
            results.len(),
            if total == 0 { 100.0 } else { agree as f64 * 100.0 / total as f64 }
        ));
    }
    eprintln!("{}", table.join("\n"));
    assert!(
        unexplained.is_empty(),
        "differences with tshark not explained in tests/dissector-differences.tsv:\n{}",
        unexplained.join("\n")
    );
    let stale: Vec<String> = known
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(k, _)| k[..3].join("\t"))
        .collect();
    assert!(
        stale.is_empty(),
        "entries that no longer differ:\n{}",
        stale.join("\n")
    );
}

/// ICSNPP's modbus_detailed.log lists the requests with function, address and quantity:
/// zonewarden must see the same function codes, and the same lowest address and (where ICSNPP
/// gives a quantity) the same end of the address range per function.
#[test]
fn modbus_matches_icsnpp_detailed_log() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    // ICSNPP's function names (Zeek's enum, including the spec's older names) to codes.
    let code_of = |name: &str| -> u64 {
        match name {
            "READ_COILS" => 1,
            "READ_DISCRETE_INPUTS" => 2,
            "READ_HOLDING_REGISTERS" => 3,
            "READ_INPUT_REGISTERS" => 4,
            "WRITE_SINGLE_COIL" => 5,
            "WRITE_SINGLE_REGISTER" => 6,
            "READ_EXCEPTION_STATUS" => 7,
            "DIAGNOSTICS" => 8,
            "WRITE_MULTIPLE_COILS" => 15,
            "WRITE_MULTIPLE_REGISTERS" => 16,
            "REPORT_SLAVE_ID" => 17,
            "READ_FILE_RECORD" => 20,
            "WRITE_FILE_RECORD" => 21,
            "MASK_WRITE_REGISTER" => 22,
            "READ_WRITE_MULTIPLE_REGISTERS" => 23,
            "READ_FIFO_QUEUE" => 24,
            "ENCAP_INTERFACE_TRANSPORT" => 43,
            other => panic!("unmapped ICSNPP function {other}"),
        }
    };
    let base = pcaps.join("modbus/icsnpp_modbus_example.expected/icsnpp-baseline/analyzer.basic");
    let log = std::fs::read_to_string(base.join("modbus_detailed.log")).expect("ICSNPP log");
    // code -> (lowest address, highest end where a quantity is given)
    let mut theirs: BTreeMap<u64, (Option<u64>, Option<u64>)> = BTreeMap::new();
    for line in log.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        let entry = theirs.entry(code_of(f[8])).or_default();
        if let Ok(a) = f[9].parse::<u64>() {
            entry.0 = Some(entry.0.map_or(a, |m| m.min(a)));
            if let Ok(q) = f[10].parse::<u64>() {
                if q > 0 {
                    entry.1 = Some(entry.1.map_or(a + q, |m| m.max(a + q)));
                }
            }
        }
    }
    let (doc, _) = common::scan_json(&[&pcaps.join("modbus/icsnpp_modbus_example.pcap")]);
    let mut ours: BTreeMap<u64, (Option<u64>, Option<u64>)> = BTreeMap::new();
    for edge in doc["edges"].as_array().unwrap() {
        for op in edge["operations"].as_array().unwrap() {
            let entry = ours.entry(op["code"].as_u64().unwrap()).or_default();
            if let Some(a) = op["address_min"].as_u64() {
                entry.0 = Some(entry.0.map_or(a, |m| m.min(a)));
            }
            if let Some(e) = op["address_end"].as_u64() {
                entry.1 = Some(entry.1.map_or(e, |m| m.max(e)));
            }
        }
    }
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "function codes"
    );
    for (code, (their_min, their_end)) in &theirs {
        let (our_min, our_end) = ours[code];
        // ICSNPP reports the FIFO pointer address (0) of function 24; zonewarden records no
        // data range for it, as the queue is not addressed by register.
        if *code == 24 {
            continue;
        }
        // ICSNPP leaves the address empty for some functions (23); compare where it has one.
        if their_min.is_some() {
            assert_eq!(our_min, *their_min, "lowest address of function {code}");
        }
        if their_end.is_some() {
            assert_eq!(
                our_end, *their_end,
                "end of the address range of function {code}"
            );
        }
    }
}

/// Read Device Identification in zeek_modbus-eit: the identity facts must carry what the
/// device sent.
#[test]
fn modbus_device_identification_is_read() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let (doc, _) = common::scan_json(&[&pcaps.join("modbus/zeek_modbus-eit.pcap")]);
    let ops: Vec<String> = doc["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["operations"].as_array().unwrap().iter())
        .map(|o| {
            format!(
                "{} {}",
                o["name"].as_str().unwrap(),
                o["class"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        ops.iter()
            .any(|o| o == "Read Device Identification diagnostic"),
        "{ops:?}"
    );
}
