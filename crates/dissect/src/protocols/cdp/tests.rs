//! CDP packets built from the layout in `mod.rs`: a switch's advertisement with every identity
//! TLV, checksums (even and odd lengths), malformed TLVs, truncation at every length, and a
//! proptest that nothing panics.

use super::{checksum_ok, frame, is_cdp, SNAP};
use crate::{OpStats, Operation, Output};
use proptest::prelude::*;

fn tlv(kind: u16, value: &[u8]) -> Vec<u8> {
    let mut v = kind.to_be_bytes().to_vec(); // type
    v.extend_from_slice(&((value.len() + 4) as u16).to_be_bytes()); // length, header included
    v.extend_from_slice(value);
    v
}

/// An address list with one IPv4 address (NLPID 0xCC) and optionally one IPv6 address.
fn addresses(v4: [u8; 4], v6: Option<[u8; 16]>) -> Vec<u8> {
    let mut v = (1 + u32::from(v6.is_some())).to_be_bytes().to_vec(); // count
    v.extend_from_slice(&[1, 1, 0xCC, 0, 4]); // NLPID, length 1, IP, address length 4
    v.extend_from_slice(&v4);
    if let Some(v6) = v6 {
        // 802.2, length 8, SNAP header with EtherType 0x86DD, address length 16.
        v.extend_from_slice(&[2, 8, 0xAA, 0xAA, 0x03, 0, 0, 0, 0x86, 0xDD, 0, 16]);
        v.extend_from_slice(&v6);
    }
    v
}

/// One's-complement sum for building checksums; `odd` says how an odd last byte is summed.
fn sum(packet: &[u8], odd: impl Fn(u8) -> u32) -> u16 {
    let mut s: u32 = packet
        .chunks(2)
        .map(|w| {
            if w.len() == 2 {
                u32::from(u16::from_be_bytes([w[0], w[1]]))
            } else {
                odd(w[0])
            }
        })
        .sum();
    while s > 0xFFFF {
        s = (s & 0xFFFF) + (s >> 16);
    }
    s as u16
}

/// The LLC payload: SNAP (OUI 00-00-0C, PID 0x2000), version 2, TTL 180, checksum, `tlvs`.
fn packet(tlvs: &[Vec<u8>], odd: impl Fn(u8) -> u32) -> Vec<u8> {
    let mut p = vec![2, 180, 0, 0]; // version, TTL, checksum placeholder
    for t in tlvs {
        p.extend_from_slice(t);
    }
    let checksum = !sum(&p, odd);
    p[2..4].copy_from_slice(&checksum.to_be_bytes());
    let mut v = SNAP.to_vec();
    v.extend(p);
    v
}

fn switch_tlvs() -> Vec<Vec<u8>> {
    let mut v6 = [0u8; 16];
    v6[0] = 0xfd;
    v6[15] = 2;
    vec![
        tlv(0x0001, b"SW-CORE-1.plant.local"), // Device ID
        tlv(0x0005, b"Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11, RELEASE SOFTWARE (fc3)\nTechnical Support: http://www.cisco.com/techsupport\nCopyright (c) 1986-2017 by Cisco Systems, Inc."), // Software Version
        tlv(0x0006, b"cisco WS-C2960-24TT-L"), // Platform
        tlv(0x0002, &addresses([10, 0, 0, 2], None)), // Addresses
        tlv(0x0003, b"FastEthernet0/1"), // Port ID
        tlv(0x0004, &[0, 0, 0, 0x28]), // Capabilities: switch, IGMP
        tlv(0x0009, b""), // VTP domain: skipped
        tlv(0x000A, &[0, 10]), // Native VLAN 10
        tlv(0x000B, &[1]), // duplex: skipped
        tlv(0x0016, &addresses([10, 0, 0, 2], Some(v6))), // Management Addresses
    ]
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

fn rfc1071(b: u8) -> u32 {
    u32::from(b) << 8
}

#[test]
fn switch_advertisement() {
    let p = packet(&switch_tlvs(), rfc1071);
    assert!(is_cdp(&p));
    let r = run(&[p]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let facts: Vec<(&str, &str)> = r
        .facts
        .iter()
        .map(|(c, f, v)| {
            assert!(*c);
            (*f, v.as_str())
        })
        .collect();
    assert_eq!(
        facts,
        [
            ("cdp_device_id", "SW-CORE-1.plant.local"),
            ("hostname", "SW-CORE-1.plant.local"),
            ("firmware", "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11, RELEASE SOFTWARE (fc3)"),
            ("model_name", "cisco WS-C2960-24TT-L"),
            ("management_address", "10.0.0.2"),
            ("cdp_port_id", "FastEthernet0/1"),
            ("cdp_capabilities", "switch,igmp"),
            ("cdp_native_vlan", "10"),
            ("management_address", "fd00::2"),
        ]
    );
    let (op, stats) = &r.ops[0];
    assert_eq!(
        (op.code, op.subcode, op.name, stats.requests),
        (1, Some(2), "advertisement", 1)
    );
}

#[test]
fn firmware_is_cut_at_200_characters() {
    let long = vec![b'x'; 300];
    let r = run(&[packet(&[tlv(0x0005, &long)], rfc1071)]);
    assert_eq!(r.facts[0].2.len(), 200);
}

#[test]
fn checksums_even_odd_and_cisco_forms() {
    // Odd length (Device ID of 3 bytes) with the last byte 0x9A (> 0x7F).
    let odd = [tlv(0x0001, b"ab\x9a")];
    let standard = packet(&odd, rfc1071);
    assert!(checksum_ok(&standard[5..]));
    // Cisco: the last byte added as a signed char, i.e. 0x9A - 0x100.
    let cisco = packet(&odd, |b| 0xFEFF + u32::from(b));
    assert!(checksum_ok(&cisco[5..]));
    assert_ne!(standard, cisco);
    // Below 0x80, the signed char is the plain low byte.
    let low = packet(&[tlv(0x0001, b"ab\x1a")], u32::from);
    assert!(checksum_ok(&low[5..]));
    let mut wrong = packet(&switch_tlvs(), rfc1071);
    wrong[8] ^= 0x55;
    let r = run(&[wrong]);
    assert_eq!(r.anomalies.len(), 1);
    assert!(r.anomalies[0].contains("checksum") && r.anomalies[0].contains("offset 7"));
    assert_eq!(r.ops.len(), 1, "still an advertisement");
}

#[test]
fn other_cisco_snap_protocols_are_not_cdp() {
    assert!(!is_cdp(&[0x00, 0x00, 0x0C, 0x20, 0x04])); // DTP
    assert!(!is_cdp(&[0x00, 0x00, 0x0C, 0x01, 0x0B])); // PVST+
    assert!(!is_cdp(&[0x00, 0x00, 0x0C]));
}

#[test]
fn malformed_tlvs_are_anomalies_with_offsets() {
    // A length below the header: offset = 5 (SNAP) + 4 (CDP header).
    let mut p = packet(&[], rfc1071);
    p.extend_from_slice(&[0x00, 0x01, 0x00, 0x02]);
    let r = run(&[p]);
    assert!(
        r.anomalies[0].contains("below its 4-byte header") && r.anomalies[0].contains("offset 9")
    );
    // Capabilities of 3 bytes, an address count beyond the list, version 3.
    let mut p = packet(
        &[
            tlv(0x0004, &[0, 0, 1]),
            tlv(0x0002, &[0, 0, 0, 5, 1, 1, 0xCC, 0, 4, 10, 0, 0, 1]),
        ],
        rfc1071,
    );
    p[5] = 3;
    let r = run(&[p]);
    let text = r.anomalies.join("\n");
    assert!(text.contains("version 3"), "{text}");
    assert!(text.contains("not 4 bytes"), "{text}");
    assert!(text.contains("shorter than its count"), "{text}");
    assert!(r
        .facts
        .iter()
        .any(|(_, f, v)| *f == "management_address" && v == "10.0.0.1"));
}

#[test]
fn truncated_at_every_length_never_panics() {
    let whole = packet(&switch_tlvs(), rfc1071);
    for len in 0..whole.len() {
        let r = run(&[whole[..len].to_vec()]);
        // A cut at a TLV boundary fails the checksum; elsewhere the TLV is cut.
        assert!(!r.anomalies.is_empty(), "length {len}");
    }
}

proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut p = SNAP.to_vec();
        p.extend(&bytes);
        let _ = run(&[p, bytes]);
    }
}

#[test]
fn registry_takes_cdp_from_llc_snap_frames_only() {
    use crate::{Endpoint, Protocol, Registry};
    use zonewarden_flow::StreamConsumer;
    let src = [0x00, 0x1b, 0x54, 0x01, 0x02, 0x03];
    let dst = [0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc];
    let cdp = packet(&switch_tlvs(), rfc1071);
    let mut dtp = cdp.clone();
    dtp[4] = 0x04; // PID 0x2004: DTP, not CDP
    let mut registry = Registry::new(Vec::new());
    for (l2_type, payload) in [
        (
            zonewarden_wire::L2Type::Llc {
                dsap: 0xAA,
                ssap: 0xAA,
            },
            &cdp,
        ),
        (
            zonewarden_wire::L2Type::Llc {
                dsap: 0xAA,
                ssap: 0xAA,
            },
            &dtp,
        ),
        // An Ethernet II frame of EtherType 0x2000 is not CDP.
        (zonewarden_wire::L2Type::EtherType(0x2000), &cdp),
    ] {
        registry.on_frame(&zonewarden_flow::L2Frame {
            ts: zonewarden_model::Timestamp(1),
            src,
            dst,
            l2_type,
            vlans: Default::default(),
            payload,
            wire_len: payload.len() as u64 + 17,
        });
    }
    let map = registry.into_map();
    let edges: Vec<_> = map.edges().collect();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0].key.protocol, Protocol::Cdp);
    assert!(map.identities().any(|f| f.device == Endpoint::Mac(src)
        && f.field == "model_name"
        && f.value == "cisco WS-C2960-24TT-L"));
}

/// Frame 40 of `attacks/quickdraw_CL5000EIP-Change_Time_Attempt.pcap` (ITI/ICS-Security-Tools,
/// CC-BY-4.0), from the SNAP OUI on: a Catalyst CE500's CDPv2 packet of 327 bytes whose last
/// byte is 0xFF, so its checksum 0x0AB0 holds only in Cisco's signed-byte form.
const CE500: &[&str] = &[
    "00000c200002b40ab0000100094e73356774000500bc436973636f20494f5320536f6674776172652c20434535303020",
    "536f667477617265202843453530302d4c414e424153452d4d292c2056657273696f6e2031322e322832352953454734",
    "2c2052454c4541534520534f4654574152452028666331290a436f707972696768742028632920313938362d32303037",
    "20627920436973636f2053797374656d732c20496e632e0a436f6d70696c6564204d6f6e2031332d4175672d30372031",
    "373a33342062792079656e616e6800060017636973636f2057532d43453530302d3234545400020011000000010101cc",
    "0004c0a80afd000300144769676162697445746865726e657431000400080000002800090004000a00060003000b0005",
    "010012000500001300050000160011000000010101cc0004c0a80afd001a00100000000100000000ffffffff",
];

#[test]
fn real_catalyst_packet() {
    let hex: String = CE500.concat();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    assert_eq!(bytes.len() - 5, 327);
    let r = run(&[bytes]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let get = |field: &str| {
        r.facts
            .iter()
            .find(|(_, f, _)| *f == field)
            .map(|(_, _, v)| v.as_str())
    };
    assert_eq!(get("cdp_device_id"), Some("Ns5gt"));
    assert_eq!(
        get("firmware"),
        Some("Cisco IOS Software, CE500 Software (CE500-LANBASE-M), Version 12.2(25)SEG4, RELEASE SOFTWARE (fc1)")
    );
    assert_eq!(get("model_name"), Some("cisco WS-CE500-24TT"));
    assert_eq!(get("management_address"), Some("192.168.10.253"));
    assert_eq!(get("cdp_port_id"), Some("GigabitEthernet1"));
    assert_eq!(get("cdp_capabilities"), Some("switch,igmp"));
    assert_eq!(get("cdp_native_vlan"), Some("3"));
}
