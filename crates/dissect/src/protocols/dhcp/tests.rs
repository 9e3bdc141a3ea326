//! Byte vectors built from RFC 2131 §2 and RFC 2132: a DORA exchange of a Windows-like client,
//! BOOTP, option overload, FQDN, truncation at every length, a proptest that nothing panics.

use super::{fqdn_name, options, probe, DhcpSession};
use crate::{Confidence, Endpoint, OpStats, Operation, Output, Session, Source};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

const MAC: [u8; 6] = [0x00, 0x1b, 0x1b, 0xaa, 0xbb, 0xcc];

/// The 236-byte fixed part (RFC 2131 §2) followed by the magic cookie and `options`.
fn message(op: u8, xid: u32, ciaddr: [u8; 4], yiaddr: [u8; 4], options: &[u8]) -> Vec<u8> {
    let mut m = vec![
        op, // op: 1 BOOTREQUEST, 2 BOOTREPLY
        1,  // htype: Ethernet
        6,  // hlen
        0,  // hops
    ];
    m.extend_from_slice(&xid.to_be_bytes()); // xid
    m.extend_from_slice(&[0, 0]); // secs
    m.extend_from_slice(&[0x80, 0x00]); // flags: broadcast
    m.extend_from_slice(&ciaddr); // ciaddr
    m.extend_from_slice(&yiaddr); // yiaddr
    m.extend_from_slice(&[0, 0, 0, 0]); // siaddr
    m.extend_from_slice(&[0, 0, 0, 0]); // giaddr
    m.extend_from_slice(&MAC); // chaddr: 6 bytes of MAC …
    m.extend_from_slice(&[0; 10]); // … and 10 of padding
    m.extend_from_slice(&[0; 64]); // sname
    m.extend_from_slice(&[0; 128]); // file
    assert_eq!(m.len(), 236);
    m.extend_from_slice(&[0x63, 0x82, 0x53, 0x63]); // magic cookie
    m.extend_from_slice(options);
    m
}

/// DHCPDISCOVER: type 1, client id, host name "PLC-HMI-01", vendor class "MSFT 5.0",
/// parameter request list 1,3,6,15,31,33,43,44,46,47,119,121,249,252.
fn discover() -> Vec<u8> {
    let mut o = vec![53, 1, 1]; // message type: DISCOVER
    o.extend_from_slice(&[61, 7, 1]); // client id: hardware type 1 …
    o.extend_from_slice(&MAC); // … and the MAC
    o.extend_from_slice(&[12, 10]); // host name, 10 bytes
    o.extend_from_slice(b"PLC-HMI-01");
    o.extend_from_slice(&[60, 8]); // vendor class identifier, 8 bytes
    o.extend_from_slice(b"MSFT 5.0");
    o.extend_from_slice(&[55, 14]); // parameter request list, 14 codes
    o.extend_from_slice(&[1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252]);
    o.push(255); // end
    message(1, 0x1234_5678, [0; 4], [0; 4], &o)
}

/// DHCPOFFER / DHCPACK from the server: type, server id, lease time, subnet mask, router.
fn reply(kind: u8, xid: u32, yiaddr: [u8; 4]) -> Vec<u8> {
    let mut o = vec![53, 1, kind]; // message type
    o.extend_from_slice(&[54, 4, 192, 168, 1, 1]); // server identifier
    o.extend_from_slice(&[51, 4, 0, 1, 0x51, 0x80]); // lease time 86400 s
    o.extend_from_slice(&[1, 4, 255, 255, 255, 0]); // subnet mask
    o.extend_from_slice(&[3, 4, 192, 168, 1, 1]); // router
    o.push(255); // end
    message(2, xid, [0; 4], yiaddr, &o)
}

/// DHCPREQUEST with a requested address and an FQDN option (flags E|S, name in wire format).
fn request() -> Vec<u8> {
    let mut o = vec![53, 1, 3]; // message type: REQUEST
    o.extend_from_slice(&[50, 4, 192, 168, 1, 50]); // requested address
    o.extend_from_slice(&[12, 10]); // host name
    o.extend_from_slice(b"PLC-HMI-01");
    // FQDN: length 27, flags 0x05 (S|E), rcode1 0, rcode2 0, "\x0aplc-hmi-01\x05plant\x05local\x00"
    o.extend_from_slice(&[81, 27, 0x05, 0, 0]);
    o.extend_from_slice(b"\x0aPLC-HMI-01\x05plant\x05local\x00");
    o.push(255);
    message(1, 0x1234_5678, [0; 4], [0; 4], &o)
}

type DeviceFacts = Vec<(Endpoint, &'static str, String, Source)>;

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    devices: DeviceFacts,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = DhcpSession::default();
    let mut r = Run {
        ops: Vec::new(),
        facts: Vec::new(),
        devices: Vec::new(),
        anomalies: Vec::new(),
    };
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

fn device_fact<'a>(r: &'a Run, field: &str) -> Vec<&'a str> {
    r.devices
        .iter()
        .filter(|(d, f, _, _)| *d == Endpoint::Mac(MAC) && *f == field)
        .map(|(_, _, v, _)| v.as_str())
        .collect()
}

fn op<'a>(r: &'a Run, name: &str) -> &'a OpStats {
    &r.ops.iter().find(|(o, _)| o.name == name).unwrap().1
}

#[test]
fn probe_needs_the_magic_cookie() {
    assert_eq!(probe(&discover()), Confidence::Certain);
    let mut bad = discover();
    bad[236] = 0;
    assert_eq!(probe(&bad), Confidence::NotMine);
    assert_eq!(probe(&discover()[..200]), Confidence::NotMine);
    let mut op3 = discover();
    op3[0] = 3;
    assert_eq!(probe(&op3), Confidence::NotMine);
}

#[test]
fn dora_exchange_gives_operations_and_facts_about_the_mac() {
    let r = run(&[
        (Direction::ToServer, discover()),
        (
            Direction::ToClient,
            reply(2, 0x1234_5678, [192, 168, 1, 50]),
        ),
        (Direction::ToServer, request()),
        (
            Direction::ToClient,
            reply(5, 0x1234_5678, [192, 168, 1, 50]),
        ),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    // Nothing about the flow ends (the client is 0.0.0.0).
    assert!(r.facts.is_empty());
    let discover = op(&r, "discover");
    assert_eq!((discover.count, discover.requests), (1, 1));
    assert_eq!(
        r.ops
            .iter()
            .find(|(o, _)| o.name == "discover")
            .unwrap()
            .0
            .code,
        1
    );
    let offer = op(&r, "offer");
    assert_eq!((offer.count, offer.responses), (0, 1));
    let ack = op(&r, "ack");
    assert_eq!((ack.count, ack.responses, ack.exceptions), (0, 1, 0));
    assert_eq!(
        device_fact(&r, "hostname"),
        ["PLC-HMI-01", "plc-hmi-01.plant.local"]
    );
    assert_eq!(device_fact(&r, "dhcp_vendor_class"), ["MSFT 5.0"]);
    assert_eq!(
        device_fact(&r, "dhcp_fingerprint"),
        ["1,3,6,15,31,33,43,44,46,47,119,121,249,252"]
    );
    assert_eq!(device_fact(&r, "ip_address"), ["192.168.1.50"]);
}

#[test]
fn unanswered_ack_and_nak() {
    let r = run(&[
        (Direction::ToClient, reply(5, 7, [10, 0, 0, 9])),
        (Direction::ToClient, reply(6, 8, [0; 4])),
    ]);
    let ack = op(&r, "ack");
    assert_eq!((ack.count, ack.responses), (1, 1));
    let nak = op(&r, "nak");
    assert_eq!(nak.exceptions, 1);
    assert_eq!(device_fact(&r, "ip_address"), ["10.0.0.9"]);
}

#[test]
fn inform_ack_uses_ciaddr() {
    let mut o = vec![53, 1, 5, 255];
    let ack = message(2, 9, [10, 1, 2, 3], [0; 4], &o);
    o[2] = 8;
    let inform = message(1, 9, [10, 1, 2, 3], [0; 4], &o);
    let r = run(&[(Direction::ToServer, inform), (Direction::ToClient, ack)]);
    assert_eq!(device_fact(&r, "ip_address"), ["10.1.2.3"]);
    assert_eq!(op(&r, "inform").requests, 1);
}

#[test]
fn bootp_without_message_type_is_code_zero() {
    let r = run(&[
        (Direction::ToServer, message(1, 1, [0; 4], [0; 4], &[255])),
        (
            Direction::ToClient,
            message(2, 1, [0; 4], [192, 168, 10, 120], &[255]),
        ),
    ]);
    assert_eq!(r.ops.len(), 1);
    assert_eq!(r.ops[0].0.code, 0);
    assert_eq!(r.ops[0].0.name, "bootp");
    assert_eq!((r.ops[0].1.requests, r.ops[0].1.responses), (1, 1));
    // The reply's yiaddr is the address BOOTP gives the client.
    assert_eq!(device_fact(&r, "ip_address"), ["192.168.10.120"]);
}

#[test]
fn vendor_class_from_a_server_is_not_about_the_client() {
    // PXE servers answer with option 60 "PXEClient".
    let mut o = vec![53, 1, 2, 60, 9];
    o.extend_from_slice(b"PXEClient");
    o.push(255);
    let r = run(&[(
        Direction::ToClient,
        message(2, 1, [0; 4], [10, 0, 0, 5], &o),
    )]);
    assert!(device_fact(&r, "dhcp_vendor_class").is_empty());
}

#[test]
fn overloaded_file_field_holds_options() {
    // Option 52 = 1: the file field (offset 108) holds options too.
    let mut m = message(1, 1, [0; 4], [0; 4], &[53, 1, 1, 52, 1, 1, 255]);
    let host = [12, 4, b'p', b'l', b'c', b'1', 255];
    m[108..108 + host.len()].copy_from_slice(&host);
    let r = run(&[(Direction::ToServer, m)]);
    assert_eq!(device_fact(&r, "hostname"), ["plc1"]);
}

#[test]
fn split_options_concatenate_and_nul_is_trimmed() {
    // RFC 3396: two instances of option 12; a trailing NUL some clients count.
    let o = [53, 1, 1, 12, 3, b'a', b'b', b'c', 12, 3, b'd', b'e', 0, 255];
    let r = run(&[(Direction::ToServer, message(1, 1, [0; 4], [0; 4], &o))]);
    assert_eq!(device_fact(&r, "hostname"), ["abcde"]);
}

#[test]
fn fqdn_ascii_form() {
    // Flags 0 (ASCII name, deprecated form), rcodes 0xFF.
    assert_eq!(
        fqdn_name(b"\x00\xff\xffHost.Example.COM."),
        Some("host.example.com".to_string())
    );
    assert_eq!(fqdn_name(b"\x04\x00"), None);
}

#[test]
fn non_ethernet_hardware_gives_no_mac_facts() {
    let mut m = discover();
    m[1] = 6; // IEEE 802 networks
    let r = run(&[(Direction::ToServer, m)]);
    assert!(r.devices.is_empty());
    assert_eq!(r.ops.len(), 1);
}

#[test]
fn option_running_past_the_end_is_an_anomaly_with_its_offset() {
    let m = message(1, 1, [0; 4], [0; 4], &[53, 1, 1, 12, 40, b'x']);
    let r = run(&[(Direction::ToServer, m)]);
    assert!(
        r.anomalies
            .iter()
            .any(|a| a.contains("runs past the end") && a.contains("offset 243")),
        "{:?}",
        r.anomalies
    );
    assert_eq!(options(&discover()).message_type, Some(1));
}

#[test]
fn truncated_at_every_length_never_panics() {
    let whole = request();
    for len in 0..whole.len() {
        let r = run(&[(Direction::ToServer, whole[..len].to_vec())]);
        // Either an anomaly, or the message was complete enough to count.
        assert!(
            !r.anomalies.is_empty() || !r.ops.is_empty(),
            "length {len}: nothing reported"
        );
        if len < 240 {
            assert!(r.ops.is_empty() && !r.anomalies.is_empty());
        }
    }
}

#[test]
fn pending_table_is_capped() {
    let mut session = DhcpSession::default();
    let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
    for xid in 0..100u32 {
        let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
        session.data(
            Direction::ToServer,
            Timestamp(1),
            &message(1, xid, [0; 4], [0; 4], &[53, 1, 1, 255]),
            &mut out,
        );
    }
    assert!(session.pending.len() <= super::MAX_PENDING);
    // The newest is still answerable.
    let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
    session.data(
        Direction::ToClient,
        Timestamp(1),
        &reply(2, 99, [1, 2, 3, 4]),
        &mut out,
    );
    let offer = ops.iter().find(|(o, _)| o.name == "offer").unwrap().1;
    assert_eq!(offer.count, 0);
}

proptest! {
    #[test]
    fn never_panics(options in proptest::collection::vec(any::<u8>(), 0..400), op in 0u8..3) {
        let m = message(op, 1, [0; 4], [1, 2, 3, 4], &options);
        let _ = run(&[(Direction::ToServer, m.clone()), (Direction::ToClient, m)]);
    }
}
