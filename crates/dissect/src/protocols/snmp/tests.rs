//! Byte vectors built from RFC 1157, RFC 3416 and RFC 3412: a v2c get of the system group and
//! its response, a v1 trap, a failed set, v3 discovery, v3 noAuthNoPriv and encrypted
//! messages, the no-secret guarantee, truncation at every length, nesting caps, proptests.

use super::ber::{oid, Ber};
use super::session::SnmpSession;
use super::{parse, probe, Version};
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

const COMMUNITY: &[u8] = b"s3cr3t-Community";

/// One BER TLV with a definite length (short form below 128, else 0x81/0x82).
fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    match value.len() {
        n if n < 128 => v.push(n as u8),
        n if n < 256 => v.extend_from_slice(&[0x81, n as u8]),
        n => v.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
    }
    v.extend_from_slice(value);
    v
}

fn int(v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7
        && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
            || (bytes[start] == 0xFF && bytes[start + 1] & 0x80 != 0))
    {
        start += 1;
    }
    tlv(0x02, &bytes[start..])
}

/// 1.3.6.1.2.1.1.<object>.0
fn sys_oid(object: u8) -> Vec<u8> {
    tlv(0x06, &[0x2B, 6, 1, 2, 1, 1, object, 0])
}

fn varbind(name: Vec<u8>, value: Vec<u8>) -> Vec<u8> {
    tlv(0x30, &[name, value].concat())
}

/// A PDU: request-id, error-status, error-index, variable bindings.
fn pdu(tag: u8, request_id: i64, error: i64, bindings: &[Vec<u8>]) -> Vec<u8> {
    let body = [
        int(request_id),
        int(error),
        int(0),
        tlv(0x30, &bindings.concat()),
    ]
    .concat();
    tlv(tag, &body)
}

/// A v1 (0) or v2c (1) message: version, community, PDU.
fn community_message(version: i64, pdu: Vec<u8>) -> Vec<u8> {
    tlv(0x30, &[int(version), tlv(0x04, COMMUNITY), pdu].concat())
}

fn get_system() -> Vec<u8> {
    let null = || vec![0x05, 0x00];
    let bindings: Vec<Vec<u8>> = [1, 2, 5, 6]
        .iter()
        .map(|&o| varbind(sys_oid(o), null()))
        .collect();
    community_message(1, pdu(0xA0, 0x1234, 0, &bindings))
}

fn system_response() -> Vec<u8> {
    let bindings = vec![
        varbind(
            sys_oid(1),
            tlv(
                0x04,
                b"Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11\r\nTechnical Support: http://www.cisco.com/techsupport",
            ),
        ),
        // 1.3.6.1.4.1.9.1.516: 516 = 4 * 128 + 4.
        varbind(sys_oid(2), tlv(0x06, &[0x2B, 6, 1, 4, 1, 9, 1, 0x84, 0x04])),
        varbind(sys_oid(3), tlv(0x43, &[0x01, 0x02, 0x03])), // sysUpTime: not identity
        varbind(sys_oid(5), tlv(0x04, b"sw-core-1")),
        varbind(sys_oid(6), tlv(0x04, b"Plant 1 / Rack 3")),
    ];
    community_message(1, pdu(0xA2, 0x1234, 0, &bindings))
}

/// A v3 message: msgGlobalData (msgID, max size, flags, USM), USM parameters with `user`,
/// then a ScopedPDU or, when `encrypted`, an OCTET STRING.
fn v3_message(msg_id: i64, flags: u8, user: &[u8], body: Vec<u8>, encrypted: bool) -> Vec<u8> {
    let global = tlv(
        0x30,
        &[int(msg_id), int(65507), tlv(0x04, &[flags]), int(3)].concat(),
    );
    let usm = tlv(
        0x30,
        &[
            tlv(0x04, &[0x80, 0, 0x1F, 0x88, 4]), // msgAuthoritativeEngineID
            int(1),                               // boots
            int(100),                             // time
            tlv(0x04, user),                      // msgUserName
            tlv(0x04, &[]),                       // msgAuthenticationParameters
            tlv(0x04, &[]),                       // msgPrivacyParameters
        ]
        .concat(),
    );
    let data = if encrypted {
        tlv(0x04, &body)
    } else {
        tlv(
            0x30,
            &[tlv(0x04, &[0x80, 0, 0x1F, 0x88, 4]), tlv(0x04, b""), body].concat(),
        )
    };
    tlv(0x30, &[int(3), global, tlv(0x04, &usm), data].concat())
}

#[derive(Default)]
struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = SnmpSession::default();
    let mut r = Run::default();
    for (dir, bytes) in messages {
        let mut out = Output::for_tests(&mut r.ops, &mut r.facts, &mut r.anomalies);
        session.data(*dir, Timestamp(1), bytes, &mut out);
    }
    r
}

fn fact<'a>(r: &'a Run, about_client: bool, field: &str) -> Option<&'a str> {
    r.facts
        .iter()
        .find(|(c, f, _)| *c == about_client && *f == field)
        .map(|(_, _, v)| v.as_str())
}

fn op<'a>(r: &'a Run, name: &str) -> &'a (Operation, OpStats) {
    r.ops.iter().find(|(o, _)| o.name == name).unwrap()
}

#[test]
fn v2c_get_of_the_system_group() {
    let r = run(&[
        (Direction::ToServer, get_system()),
        (Direction::ToClient, system_response()),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(r.ops.len(), 1);
    let (o, s) = op(&r, "get");
    assert_eq!((o.code, o.class), (0, OpClass::Diagnostic));
    assert_eq!(
        (s.count, s.requests, s.responses, s.exceptions),
        (1, 1, 1, 0)
    );
    assert_eq!(
        fact(&r, false, "snmp_sys_descr"),
        Some("Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11 Technical Support: http://www.cisco.com/techsupport")
    );
    assert_eq!(
        fact(&r, false, "snmp_sys_object_id"),
        Some("1.3.6.1.4.1.9.1.516")
    );
    assert_eq!(fact(&r, false, "hostname"), Some("sw-core-1"));
    assert_eq!(
        fact(&r, false, "snmp_sys_location"),
        Some("Plant 1 / Rack 3")
    );
    // Nothing about the manager but the hygiene facts.
    assert_eq!(fact(&r, true, "hostname"), None);
    for about_client in [true, false] {
        assert_eq!(
            fact(&r, about_client, "snmp_community_in_clear"),
            Some("v2c")
        );
        assert_eq!(fact(&r, about_client, "snmp_version"), Some("2c"));
    }
}

#[test]
fn the_community_appears_nowhere() {
    let mut inputs = vec![
        get_system(),
        system_response(),
        community_message(0, pdu(0xA3, 7, 0, &[])),
    ];
    // Damaged copies too: anomalies must not quote the bytes either.
    let whole = get_system();
    inputs.extend((0..whole.len()).map(|n| whole[..n].to_vec()));
    let mut broken = get_system();
    let last = broken.len() - 1;
    broken[last] = 0xFF;
    inputs.push(broken);
    let messages: Vec<_> = inputs
        .into_iter()
        .flat_map(|m| [(Direction::ToServer, m.clone()), (Direction::ToClient, m)])
        .collect();
    let r = run(&messages);
    assert!(!r.anomalies.is_empty());
    let secret = String::from_utf8_lossy(COMMUNITY).to_string();
    let everything = format!("{:?} {:?} {:?}", r.ops, r.facts, r.anomalies);
    assert!(!everything.contains(&secret), "{everything}");
    assert!(!everything.contains("s3cr3t"));
    // Nor does the parsed message hold it.
    let parsed = format!("{:?}", parse(&get_system()));
    assert!(!parsed.contains("s3cr3t"), "{parsed}");
    assert!(!parsed.contains(&format!("{:?}", &COMMUNITY[..4])));
}

#[test]
fn v1_trap_and_failed_set() {
    // RFC 1157 Trap-PDU: enterprise, agent-addr, generic-trap 3 (linkUp), specific, time.
    let trap = tlv(
        0xA4,
        &[
            tlv(0x06, &[0x2B, 6, 1, 4, 1, 9]),
            tlv(0x40, &[10, 0, 0, 7]),
            int(3),
            int(0),
            tlv(0x43, &[0x10, 0x00]),
            tlv(0x30, &[]),
        ]
        .concat(),
    );
    let set = community_message(0, pdu(0xA3, 42, 0, &[varbind(sys_oid(5), tlv(0x04, b"x"))]));
    // error-status 17 (notWritable)
    let set_error = community_message(0, pdu(0xA2, 42, 17, &[]));
    let r = run(&[
        (Direction::ToServer, community_message(0, trap)),
        (Direction::ToServer, set),
        (Direction::ToClient, set_error),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let (o, s) = op(&r, "trap");
    assert_eq!((o.code, o.subcode, s.requests), (4, Some(3), 1));
    let (o, s) = op(&r, "set");
    assert_eq!(
        (o.class, s.requests, s.responses, s.exceptions),
        (OpClass::Write, 1, 1, 1)
    );
    // A response with an error names nothing.
    assert_eq!(fact(&r, false, "hostname"), None);
    assert_eq!(fact(&r, true, "snmp_community_in_clear"), Some("v1"));
}

#[test]
fn unmatched_response_and_v2_trap_and_inform() {
    let r = run(&[
        (Direction::ToClient, system_response()),
        (
            Direction::ToServer,
            community_message(1, pdu(0xA7, 5, 0, &[])),
        ),
        (
            Direction::ToServer,
            community_message(1, pdu(0xA6, 6, 0, &[])),
        ),
        (
            Direction::ToClient,
            community_message(1, pdu(0xA2, 6, 0, &[])),
        ),
    ]);
    let (_, s) = op(&r, "response");
    assert_eq!((s.count, s.responses), (1, 1));
    assert_eq!(op(&r, "trap-v2").1.requests, 1);
    let (_, s) = op(&r, "inform");
    assert_eq!((s.requests, s.responses), (1, 1));
    assert_eq!(fact(&r, false, "hostname"), Some("sw-core-1"));
}

#[test]
fn v3_discovery_is_not_flagged_but_a_named_noauth_user_is() {
    let get = pdu(0xA0, 1, 0, &[]);
    let report = pdu(
        0xA8,
        1,
        0,
        &[varbind(
            tlv(0x06, &[0x2B, 6, 1, 6, 3, 15, 1, 1, 4, 0]),
            tlv(0x41, &[1]),
        )],
    );
    let r = run(&[
        // Discovery: reportable, noAuthNoPriv, empty user name; the report answers it.
        (
            Direction::ToServer,
            v3_message(100, 0x04, b"", get.clone(), false),
        ),
        (
            Direction::ToClient,
            v3_message(100, 0x00, b"", report, false),
        ),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(fact(&r, true, "snmp_version"), Some("3"));
    assert_eq!(fact(&r, true, "snmp_v3_noauth"), None);
    assert_eq!(fact(&r, false, "snmp_community_in_clear"), None);
    let (_, s) = op(&r, "get");
    assert_eq!((s.requests, s.responses), (1, 1));

    let r = run(&[(
        Direction::ToServer,
        v3_message(101, 0x04, b"monitor", get, false),
    )]);
    assert_eq!(fact(&r, true, "snmp_v3_noauth"), Some("noAuthNoPriv"));
    assert_eq!(fact(&r, false, "snmp_v3_noauth"), Some("noAuthNoPriv"));
}

#[test]
fn v3_encrypted_messages_pair_by_msg_id() {
    let cipher = vec![0x9A; 40];
    let r = run(&[
        // authPriv, reportable.
        (
            Direction::ToServer,
            v3_message(7, 0x07, b"admin", cipher.clone(), true),
        ),
        (
            Direction::ToClient,
            v3_message(7, 0x03, b"admin", cipher.clone(), true),
        ),
        (
            Direction::ToClient,
            v3_message(8, 0x03, b"admin", cipher, true),
        ),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let (o, s) = op(&r, "encrypted");
    assert_eq!(o.code, 9);
    assert_eq!((s.count, s.requests, s.responses), (2, 1, 2));
    assert_eq!(fact(&r, true, "snmp_v3_noauth"), None);
}

#[test]
fn probe_is_certain_on_whole_messages_only() {
    assert_eq!(probe(&get_system()), Confidence::Certain);
    assert_eq!(
        probe(&v3_message(1, 4, b"", pdu(0xA0, 1, 0, &[]), false)),
        Confidence::Certain
    );
    let mut trailing = get_system();
    trailing.push(0);
    assert_eq!(probe(&trailing), Confidence::Maybe);
    assert_eq!(probe(&get_system()[..20]), Confidence::NotMine);
    // An LDAP message (application tag after the message id) is not SNMP.
    let ldap = tlv(0x30, &[int(1), tlv(0x60, &int(3))].concat());
    assert_eq!(probe(&ldap), Confidence::NotMine);
    // Version 2 does not exist.
    let v2 = tlv(
        0x30,
        &[int(2), tlv(0x04, b"x"), pdu(0xA0, 1, 0, &[])].concat(),
    );
    assert_eq!(probe(&v2), Confidence::NotMine);
    assert_eq!(parse(&get_system()).version, Some(Version::V2c));
}

#[test]
fn oid_rendering() {
    assert_eq!(
        oid(&[0x2B, 6, 1, 4, 1, 0x82, 0x37]).as_deref(),
        Some("1.3.6.1.4.1.311")
    );
    assert_eq!(oid(&[0x88, 0x37, 3]).as_deref(), Some("2.999.3"));
    assert_eq!(oid(&[0x2B, 0x86]), None); // unfinished arc
    assert_eq!(oid(&[]), None);
    assert_eq!(oid(&[0xFF; 12]), None); // arc beyond 64 bits
}

#[test]
fn ber_lengths_are_bounded() {
    // Indefinite length, a length past the end, a 5-byte length, a multi-byte tag.
    for bytes in [
        &[0x30, 0x80, 0, 0][..],
        &[0x30, 0x05, 0x02, 0x01][..],
        &[0x30, 0x85, 0, 0, 0, 0, 1, 0][..],
        &[0x3F, 0x01, 0x00][..],
    ] {
        let mut b = Ber::new(bytes);
        assert!(b.next().is_err(), "{bytes:?}");
        let r = run(&[(Direction::ToServer, bytes.to_vec())]);
        assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
        assert!(r.anomalies[0].contains("offset 0"));
    }
}

#[test]
fn deep_nesting_is_capped() {
    // A response whose one binding is 40 nested SEQUENCEs.
    let mut deep = tlv(0x05, &[]);
    for _ in 0..40 {
        deep = tlv(0x30, &deep);
    }
    let m = community_message(1, pdu(0xA2, 1, 0, &[deep]));
    let r = run(&[(Direction::ToClient, m)]);
    assert_eq!(r.ops.len(), 1);
}

#[test]
fn truncated_at_every_length_never_panics() {
    for whole in [system_response(), v3_message(3, 7, b"u", vec![1; 20], true)] {
        for len in 0..whole.len() {
            let r = run(&[(Direction::ToClient, whole[..len].to_vec())]);
            assert!(!r.anomalies.is_empty(), "length {len}: no anomaly");
        }
    }
}

proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = run(&[(Direction::ToServer, bytes.clone())]);
        let _ = probe(&bytes);
        // Behind a valid v2c prefix, so that the PDU reader sees the bytes.
        let m = community_message(1, tlv(0xA2, &bytes));
        let _ = run(&[(Direction::ToClient, m)]);
    }
}
