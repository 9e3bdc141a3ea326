//! LLDPDUs built from IEEE 802.1AB-2016 §8.5: a switch advertisement with every identity TLV, a
//! PROFINET device's, a shutdown, wrong mandatory order, truncation at every length, and a
//! proptest that nothing panics.

use super::frame;
use crate::{OpStats, Operation, Output};
use proptest::prelude::*;

/// A TLV: 7-bit type and 9-bit length in two bytes, then the value.
fn tlv(kind: u8, value: &[u8]) -> Vec<u8> {
    let header = (u16::from(kind) << 9) | value.len() as u16;
    let mut v = header.to_be_bytes().to_vec();
    v.extend_from_slice(value);
    v
}

/// A managed switch: chassis id subtype 4 (MAC), port id subtype 5 (interface name), TTL 120,
/// port description, system name, two-line system description, capabilities (bridge and
/// router, bridge enabled), an IPv4 and an IPv6 management address, an IEEE 802.1
/// org-specific TLV, End, then Ethernet padding.
fn switch_lldpdu() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(tlv(1, &[4, 0x00, 0x0e, 0x8c, 0x12, 0x34, 0x56])); // Chassis ID: MAC
    v.extend(tlv(2, b"\x05GigabitEthernet1/0/7")); // Port ID: interface name
    v.extend(tlv(3, &[0, 120])); // TTL 120 s
    v.extend(tlv(4, b"Uplink to PLC cabinet 3")); // Port Description
    v.extend(tlv(5, b"SW-CELL-03")); // System Name
    v.extend(tlv(6, b"SCALANCE XC208, V6.4\r\nFW: 6.4.2")); // System Description
    v.extend(tlv(7, &[0x00, 0x14, 0x00, 0x04])); // capabilities: system bridge|router, enabled bridge
                                                 // Management address: string length 5 (family + 4), IPv4 192.168.0.10, ifIndex numbering
                                                 // (2), interface 1, OID length 0.
    v.extend(tlv(8, &[5, 1, 192, 168, 0, 10, 2, 0, 0, 0, 1, 0]));
    let mut v6 = vec![17, 2];
    v6.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a]);
    v6.extend_from_slice(&[2, 0, 0, 0, 1, 0]);
    v.extend(tlv(8, &v6));
    v.extend(tlv(127, &[0x00, 0x80, 0xC2, 1, 0, 10])); // IEEE 802.1 port VLAN id 10: skipped
    v.extend(tlv(0, &[])); // End
    v.extend_from_slice(&[0; 8]); // padding
    v
}

#[derive(Default)]
struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run(frames: &[Vec<u8>]) -> Run {
    let mut r = Run::default();
    for f in frames {
        let mut out = Output::for_tests(&mut r.ops, &mut r.facts, &mut r.anomalies);
        frame(f, &mut out);
    }
    r
}

fn facts(r: &Run) -> Vec<(&'static str, &str)> {
    r.facts
        .iter()
        .map(|(c, f, v)| {
            assert!(*c, "LLDP facts are about the sender");
            (*f, v.as_str())
        })
        .collect()
}

#[test]
fn switch_advertisement() {
    let r = run(&[switch_lldpdu()]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(
        facts(&r),
        [
            ("lldp_chassis_id", "00:0e:8c:12:34:56"),
            ("lldp_port_id", "GigabitEthernet1/0/7"),
            ("lldp_port_description", "Uplink to PLC cabinet 3"),
            ("lldp_system_name", "SW-CELL-03"),
            ("hostname", "SW-CELL-03"),
            ("lldp_system_description", "SCALANCE XC208, V6.4 FW: 6.4.2"),
            ("lldp_capabilities", "bridge"),
            ("management_address", "192.168.0.10"),
            ("management_address", "fd00::a"),
        ]
    );
    assert_eq!(r.ops.len(), 1);
    let (op, stats) = &r.ops[0];
    assert_eq!((op.code, op.name, stats.requests), (1, "advertisement", 1));
}

#[test]
fn profinet_device_with_locally_assigned_ids_and_shutdown() {
    let mut v = Vec::new();
    v.extend(tlv(1, b"\x07plc-1")); // Chassis ID: locally assigned (NameOfStation)
    v.extend(tlv(2, b"\x07port-001.plc-1")); // Port ID: locally assigned
    v.extend(tlv(3, &[0, 20])); // TTL
    v.extend(tlv(127, &[0x00, 0x0E, 0xCF, 2, 0, 0, 0, 0])); // PROFINET port status: skipped
    v.extend(tlv(7, &[0x00, 0x80, 0x00, 0x80])); // station only
    v.extend(tlv(8, &[5, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0])); // management address 0.0.0.0
    v.extend(tlv(0, &[]));
    let mut shutdown = v.clone();
    shutdown[28] = 0; // TTL low byte: chassis TLV 8 bytes, port TLV 17, TTL header 2, high byte 1
    let r = run(&[v, shutdown]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(
        facts(&r),
        [
            ("lldp_chassis_id", "plc-1"),
            ("lldp_port_id", "port-001.plc-1"),
            ("lldp_capabilities", "station"),
        ]
    );
    let names: Vec<_> = r.ops.iter().map(|(o, _)| (o.code, o.name)).collect();
    assert_eq!(names, [(1, "advertisement"), (2, "shutdown")]);
}

#[test]
fn binary_ids_are_hex_and_network_address_ids_are_addresses() {
    let mut v = Vec::new();
    v.extend(tlv(1, &[5, 1, 10, 0, 0, 1])); // Chassis ID: network address IPv4
    v.extend(tlv(2, &[7, 0x01, 0xFF, 0x00, 0x02])); // Port ID: binary, locally assigned
    v.extend(tlv(3, &[0, 120]));
    let r = run(&[v]);
    assert_eq!(
        facts(&r),
        [
            ("lldp_chassis_id", "10.0.0.1"),
            ("lldp_port_id", "01:ff:00:02")
        ]
    );
}

#[test]
fn mandatory_order_and_bad_tlvs_are_anomalies_with_offsets() {
    let mut v = Vec::new();
    v.extend(tlv(2, b"\x05eth0")); // Port ID first
    v.extend(tlv(1, &[4, 0, 1, 2, 3, 4, 5]));
    v.extend(tlv(3, &[0])); // TTL of one byte
    v.extend(tlv(8, &[40, 1])); // management address length out of range
    let r = run(&[v]);
    assert_eq!(r.anomalies.len(), 3, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("mandatory") && r.anomalies[0].contains("offset 0"));
    assert!(r.anomalies[1].contains("TTL") && r.anomalies[1].contains("offset 16"));
    assert!(r.anomalies[2].contains("2–32") && r.anomalies[2].contains("offset 19"));
    assert_eq!(r.ops.len(), 1);
}

#[test]
fn truncated_at_every_length_never_panics() {
    let whole = switch_lldpdu();
    // The End TLV sits 10 bytes before the end (2 bytes + 8 of padding).
    let end_at = whole.len() - 10;
    for len in 0..end_at {
        let r = run(&[whole[..len].to_vec()]);
        let cut_mid_tlv = {
            // Walk the TLVs of the whole frame: is `len` on a TLV boundary?
            let mut pos = 0;
            while pos < len {
                let header = u16::from_be_bytes([whole[pos], whole[pos + 1]]);
                pos += 2 + usize::from(header & 0x1FF);
            }
            pos != len
        };
        if len < 2 || cut_mid_tlv {
            assert!(!r.anomalies.is_empty(), "length {len}: no anomaly");
        }
    }
}

proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = run(std::slice::from_ref(&bytes));
        let mut prefixed = tlv(1, &[4, 0, 1, 2, 3, 4, 5]);
        prefixed.extend(bytes);
        let _ = run(&[prefixed]);
    }
}

#[test]
fn registry_attributes_lldp_to_the_source_mac_and_draws_the_edge() {
    use crate::{Endpoint, Protocol, Registry};
    use zonewarden_flow::StreamConsumer;
    let src = [0x00, 0x0e, 0x8c, 0x12, 0x34, 0x57];
    let dst = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e]; // nearest-bridge group address
    let payload = switch_lldpdu();
    let mut registry = Registry::new(Vec::new());
    registry.on_frame(&zonewarden_flow::L2Frame {
        ts: zonewarden_model::Timestamp(1),
        src,
        dst,
        l2_type: zonewarden_wire::L2Type::EtherType(0x88CC),
        vlans: Default::default(),
        payload: &payload,
        wire_len: payload.len() as u64 + 14,
    });
    let map = registry.into_map();
    let edge = map.edges().next().unwrap();
    assert_eq!(
        (edge.key.client, edge.key.server, edge.key.protocol),
        (Endpoint::Mac(src), Endpoint::Mac(dst), Protocol::Lldp)
    );
    assert!(map.identities().any(|f| f.device == Endpoint::Mac(src)
        && f.field == "hostname"
        && f.value == "SW-CELL-03"));
}
