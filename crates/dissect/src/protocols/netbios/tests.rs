//! Byte vectors built from RFC 1002 §4.2: registrations of a machine and its workgroup, a
//! positive query response, a node status response, a conflict, truncation at every length,
//! and a proptest that nothing panics.

use super::{decode, probe, NetbiosSession};
use crate::{Confidence, Endpoint, OpStats, Operation, Output, Session, Source};
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};
use zonewarden_model::{Direction, Timestamp};

/// The first-level encoded name (RFC 1001 §14.1) as a DNS-style name: length 0x20, 32
/// letters, the root.
fn nb_name(name: &str, suffix: u8) -> Vec<u8> {
    let mut raw = [b' '; 16];
    raw[..name.len()].copy_from_slice(name.as_bytes());
    raw[15] = suffix;
    let mut v = vec![0x20];
    for b in raw {
        v.push(b'A' + (b >> 4));
        v.push(b'A' + (b & 0x0F));
    }
    v.push(0);
    v
}

fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
    let mut v = id.to_be_bytes().to_vec(); // NAME_TRN_ID
    v.extend_from_slice(&flags.to_be_bytes()); // R, OPCODE, NM_FLAGS, RCODE
    for c in counts {
        v.extend_from_slice(&c.to_be_bytes()); // QD, AN, NS, AR counts
    }
    v
}

/// An NB resource record: name bytes, type NB, class IN, TTL, NB_FLAGS + NB_ADDRESS entries.
fn nb_rr(name: &[u8], entries: &[(u16, [u8; 4])]) -> Vec<u8> {
    let mut v = name.to_vec();
    v.extend_from_slice(&[0x00, 0x20, 0x00, 0x01]); // RR_TYPE NB, RR_CLASS IN
    v.extend_from_slice(&300_000u32.to_be_bytes()); // TTL
    v.extend_from_slice(&((entries.len() * 6) as u16).to_be_bytes()); // RDLENGTH
    for (flags, addr) in entries {
        v.extend_from_slice(&flags.to_be_bytes()); // NB_FLAGS: G, ONT
        v.extend_from_slice(addr); // NB_ADDRESS
    }
    v
}

/// A broadcast name registration request (opcode 5, RD, B): question + additional RR that
/// points back to the question's name.
fn registration(id: u16, name: &str, suffix: u8, flags: u16, addr: [u8; 4]) -> Vec<u8> {
    let mut v = header(id, 0x2910, [1, 0, 0, 1]);
    v.extend(nb_name(name, suffix)); // QUESTION_NAME at 12
    v.extend_from_slice(&[0x00, 0x20, 0x00, 0x01]); // QUESTION_TYPE NB, CLASS IN
    v.extend(nb_rr(&[0xC0, 0x0C], &[(flags, addr)]));
    v
}

type DeviceFacts = Vec<(Endpoint, &'static str, String, Source)>;

#[derive(Default)]
struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    devices: DeviceFacts,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = NetbiosSession::default();
    let mut r = Run::default();
    for (dir, bytes) in messages {
        let mut out = Output::for_tests_with_devices(
            &mut r.ops,
            &mut r.facts,
            &mut r.devices,
            &mut r.anomalies,
        );
        session.data(*dir, Timestamp(1), bytes, &mut out);
    }
    r
}

fn about(r: &Run, ip: [u8; 4]) -> Vec<(&'static str, &str)> {
    let ip = Endpoint::Ip(IpAddr::V4(Ipv4Addr::from(ip)));
    r.devices
        .iter()
        .filter(|(d, _, _, _)| *d == ip)
        .map(|(_, f, v, _)| (*f, v.as_str()))
        .collect()
}

#[test]
fn first_level_decoding() {
    let wire = nb_name("WORKSTATION1", 0x20);
    let name = decode(&wire[1..33]).unwrap();
    assert_eq!((name.name.as_str(), name.suffix), ("WORKSTATION1", 0x20));
    assert_eq!(decode(&wire[1..32]), None);
    let mut bad = wire[1..33].to_vec();
    bad[0] = b'Z';
    assert_eq!(decode(&bad), None);
}

#[test]
fn registrations_name_the_machine_and_its_workgroup() {
    let addr = [192, 168, 1, 20];
    let r = run(&[
        (
            Direction::ToServer,
            registration(1, "WORKSTATION1", 0x00, 0x0000, addr),
        ),
        (
            Direction::ToServer,
            registration(2, "WORKSTATION1", 0x20, 0x0000, addr),
        ),
        (
            Direction::ToServer,
            registration(3, "PLANT", 0x00, 0x8000, addr),
        ),
        // A user name (messenger suffix 0x03) and the browse master (0x1D) are not the machine.
        (
            Direction::ToServer,
            registration(4, "OPERATOR", 0x03, 0x0000, addr),
        ),
        (
            Direction::ToServer,
            registration(5, "PLANT", 0x1D, 0x0000, addr),
        ),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(
        about(&r, addr),
        [
            ("netbios_name", "WORKSTATION1"),
            ("netbios_domain", "PLANT")
        ]
    );
    let (op, stats) = &r.ops[0];
    assert_eq!((op.code, op.name, stats.requests), (5, "registration", 5));
}

#[test]
fn refresh_without_address_is_about_the_sender() {
    let mut m = registration(9, "HMI-02", 0x00, 0x0000, [0, 0, 0, 0]);
    m[2] = 0x40; // opcode 8, refresh
    let r = run(&[(Direction::ToServer, m)]);
    assert_eq!(r.ops[0].0.name, "refresh");
    assert_eq!(r.facts, [(true, "netbios_name", "HMI-02".to_string())]);
    assert!(r.devices.is_empty());
}

#[test]
fn positive_query_response_names_each_address() {
    // Query for ENG-WS<00>, then the response (R, AA, RD) with two addresses (multi-homed).
    let mut q = header(0x77, 0x0110, [1, 0, 0, 0]);
    q.extend(nb_name("ENG-WS", 0x00));
    q.extend_from_slice(&[0x00, 0x20, 0x00, 0x01]);
    let mut a = header(0x77, 0x8500, [0, 1, 0, 0]);
    a.extend(nb_rr(
        &nb_name("ENG-WS", 0x00),
        &[(0x0000, [10, 0, 0, 5]), (0x0000, [10, 1, 0, 5])],
    ));
    assert_eq!(probe(&q), Confidence::Certain);
    assert_eq!(probe(&a), Confidence::Certain);
    let r = run(&[(Direction::ToServer, q), (Direction::ToClient, a)]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let stats = r.ops[0].1;
    assert_eq!((stats.count, stats.requests, stats.responses), (1, 1, 1));
    assert_eq!(about(&r, [10, 0, 0, 5]), [("netbios_name", "ENG-WS")]);
    assert_eq!(about(&r, [10, 1, 0, 5]), [("netbios_name", "ENG-WS")]);
}

#[test]
fn negative_responses_name_nothing_and_are_errors() {
    // Registration conflict: R, opcode 5, AA, RCODE 6 (ACT_ERR).
    let mut a = header(1, 0xAD86, [0, 1, 0, 0]);
    a.extend(nb_rr(&nb_name("PLC-GW", 0x00), &[(0, [10, 0, 0, 9])]));
    let r = run(&[(Direction::ToClient, a)]);
    assert_eq!(r.ops[0].1.exceptions, 1);
    assert!(r.devices.is_empty() && r.facts.is_empty());
}

#[test]
fn node_status_response_names_the_responder() {
    let mut a = header(0x10, 0x8400, [0, 1, 0, 0]);
    a.extend(nb_name("*", 0x00)); // RR_NAME: the wildcard asked
    a.extend_from_slice(&[0x00, 0x21, 0x00, 0x01, 0, 0, 0, 0]); // NBSTAT, IN, TTL 0
    let mut rdata = vec![3]; // NUM_NAMES
    for (name, suffix, flags) in [
        ("SCADA01", 0x00u8, 0x0400u16), // unique, active
        ("PLANT", 0x00, 0x8400),        // group, active
        ("SCADA01", 0x20, 0x0400),
    ] {
        let mut raw = [b' '; 16];
        raw[..name.len()].copy_from_slice(name.as_bytes());
        raw[15] = suffix;
        rdata.extend_from_slice(&raw); // NETBIOS_NAME
        rdata.extend_from_slice(&flags.to_be_bytes()); // NAME_FLAGS
    }
    rdata.extend_from_slice(&[0x00, 0x0c, 0x29, 0x11, 0x22, 0x33]); // UNIT_ID
    rdata.extend_from_slice(&[0; 40]); // the rest of the statistics
    a.extend_from_slice(&(rdata.len() as u16).to_be_bytes()); // RDLENGTH
    a.extend(rdata);
    let r = run(&[(Direction::ToClient, a)]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(
        r.facts,
        [
            (false, "netbios_name", "SCADA01".to_string()),
            (false, "netbios_domain", "PLANT".to_string())
        ]
    );
}

#[test]
fn probe_rejects_dns_and_short_datagrams() {
    let mut dns = header(1, 0x0100, [1, 0, 0, 0]);
    dns.extend_from_slice(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
    assert_eq!(probe(&dns), Confidence::NotMine);
    assert_eq!(probe(&[0; 11]), Confidence::NotMine);
}

#[test]
fn truncated_at_every_length_never_panics() {
    let whole = registration(1, "WORKSTATION1", 0x00, 0, [10, 0, 0, 1]);
    for len in 0..whole.len() {
        let r = run(&[(Direction::ToServer, whole[..len].to_vec())]);
        assert!(!r.anomalies.is_empty(), "length {len}: no anomaly");
        assert!(r.devices.is_empty());
    }
    // Node status with NUM_NAMES beyond the record.
    let mut a = header(0x10, 0x8400, [0, 1, 0, 0]);
    a.extend(nb_name("*", 0x00));
    a.extend_from_slice(&[0x00, 0x21, 0x00, 0x01, 0, 0, 0, 0, 0, 2, 9, 0]);
    let r = run(&[(Direction::ToClient, a)]);
    assert!(
        r.anomalies.iter().any(|m| m.contains("name table")),
        "{:?}",
        r.anomalies
    );
}

proptest! {
    #[test]
    fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..200), flags in any::<u16>(), counts in any::<[u16; 4]>()) {
        let mut m = header(1, flags, counts);
        m.extend(nb_name("X", 0));
        m.extend(body);
        let _ = run(&[(Direction::ToServer, m.clone()), (Direction::ToClient, m.clone())]);
        let _ = probe(&m);
    }
}
