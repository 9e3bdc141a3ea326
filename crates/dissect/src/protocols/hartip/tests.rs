//! Byte vectors (from the ICSNPP HART-IP captures where possible): framing at every split
//! point, pairing, expanded commands, Direct PDUs, errors, identity, garbage.

use super::parser::probe;
use super::session::{packed_ascii, HartIpSession};
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = HartIpSession::default();
    let mut r = Run {
        ops: Vec::new(),
        facts: Vec::new(),
        anomalies: Vec::new(),
    };
    for (dir, bytes) in messages {
        let mut out = Output::for_tests(&mut r.ops, &mut r.facts, &mut r.anomalies);
        session.data(*dir, Timestamp(1), bytes, &mut out);
    }
    r
}

fn fact<'a>(r: &'a Run, field: &str) -> Option<&'a str> {
    r.facts
        .iter()
        .find(|(_, f, _)| *f == field)
        .map(|(_, _, v)| v.as_str())
}

const CMD0_REQ: &str = "010003000003001182264e0000d2000038";
const CMD0_RSP: &str =
    "010103000003002986264e0000d2001800d0fe264e050704010e0c0000d205020002d00026002684e4";

#[test]
fn command_0_pairs_and_yields_identity() {
    let r = run(&[
        (Direction::ToServer, hex(CMD0_REQ)),
        (Direction::ToClient, hex(CMD0_RSP)),
    ]);
    assert_eq!(r.ops.len(), 1);
    let (op, stats) = &r.ops[0];
    assert_eq!(
        (op.code, op.subcode, op.name, op.class),
        (3, Some(0), "Read Unique Identifier", OpClass::Diagnostic)
    );
    assert_eq!(
        (stats.requests, stats.responses, stats.exceptions),
        (1, 1, 0)
    );
    assert_eq!(fact(&r, "vendor_id"), Some("0x0026"));
    assert_eq!(fact(&r, "product_code"), Some("0x264E"));
    assert_eq!(fact(&r, "serial_number"), Some("210"));
    assert!(r.facts.iter().all(|(client, _, _)| !client));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn responder_on_the_flow_client_side_is_recognised_by_message_type() {
    // The gateway answering from another UDP port is the flow's client.
    let r = run(&[
        (Direction::ToClient, hex(CMD0_REQ)),
        (Direction::ToServer, hex(CMD0_RSP)),
    ]);
    assert_eq!((r.ops[0].1.requests, r.ops[0].1.responses), (1, 1));
    assert!(r.facts.iter().all(|(client, _, _)| *client));
}

#[test]
fn long_tag_becomes_station_name() {
    let r = run(&[
        (
            Direction::ToServer,
            hex("01000300000a001182264e0000d214002c"),
        ),
        (
            Direction::ToClient,
            hex("01010300000a003386264e0000d2142200d07769686172746777000000000000000000000000000000000000000000000000db"),
        ),
    ]);
    assert_eq!(r.ops[0].0.name, "Read Long Tag");
    assert_eq!(fact(&r, "station_name"), Some("wihartgw"));
}

#[test]
fn packed_ascii_decodes() {
    // "ABCD" = 0x01 0x02 0x03 0x04 as 6-bit codes.
    assert_eq!(packed_ascii(&[0x04, 0x20, 0xC4]), "ABCD");
}

#[test]
fn failing_response_code_is_an_exception() {
    let r = run(&[
        (
            Direction::ToServer,
            hex("0100030000030012822695eb27b836010072"),
        ),
        (
            Direction::ToClient,
            hex("010103000003001386a695eb27b83602840071"),
        ),
    ]);
    let (op, stats) = &r.ops[0];
    assert_eq!((op.subcode, op.class), (Some(54), OpClass::Diagnostic));
    assert_eq!(stats.exceptions, 1);
}

#[test]
fn direct_pdu_carries_a_16_bit_command() {
    let r = run(&[
        (Direction::ToServer, hex("010004000004000e000000360100")),
        (
            Direction::ToClient,
            hex("010104000004002a000000361d00006543214b46bb8000000000004eff40004348000000fa00000c8000"),
        ),
    ]);
    let (op, stats) = &r.ops[0];
    assert_eq!(
        (op.code, op.subcode, op.name),
        (4, Some(54), "Read Device Variable Information")
    );
    assert_eq!((stats.responses, stats.exceptions), (1, 0));
}

#[test]
fn expanded_command_31_uses_the_16_bit_number() {
    // STX long frame, command 31, byte count 2, expanded command 0x0209 (521).
    let mut pdu = vec![0x82, 0x26, 0x4e, 0x00, 0x00, 0xd2, 31, 2, 0x02, 0x09];
    let check = pdu.iter().fold(0u8, |a, b| a ^ b);
    pdu.push(check);
    let mut msg = vec![1, 0, 3, 0, 0, 9];
    msg.extend_from_slice(&((8 + pdu.len()) as u16).to_be_bytes());
    msg.extend_from_slice(&pdu);
    let r = run(&[(Direction::ToServer, msg)]);
    assert_eq!((r.ops[0].0.code, r.ops[0].0.subcode), (3, Some(521)));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn session_messages_and_errors() {
    let r = run(&[
        (Direction::ToServer, hex("010000000001000d01000927c0")),
        (Direction::ToClient, hex("010100000001000d01000927c0")),
        (Direction::ToServer, hex("0100020000020008")),
        // NAK to the keep-alive.
        (Direction::ToClient, hex("010f020000020008")),
    ]);
    let init = r
        .ops
        .iter()
        .find(|(o, _)| o.name == "Session Initiate")
        .unwrap();
    assert_eq!((init.1.requests, init.1.responses), (1, 1));
    let keep = r.ops.iter().find(|(o, _)| o.name == "Keep Alive").unwrap();
    assert_eq!((keep.1.responses, keep.1.exceptions), (1, 1));
}

#[test]
fn unmatched_response_is_counted() {
    let r = run(&[(Direction::ToClient, hex(CMD0_RSP))]);
    assert_eq!((r.ops[0].1.count, r.ops[0].1.responses), (1, 1));
}

#[test]
fn bad_check_byte_is_an_anomaly_with_offset() {
    let mut req = hex(CMD0_REQ);
    *req.last_mut().unwrap() ^= 0xFF;
    let r = run(&[(Direction::ToServer, [hex(CMD0_REQ), req].concat())]);
    assert_eq!(r.ops[0].1.requests, 2);
    assert_eq!(r.anomalies.len(), 1);
    assert!(
        r.anomalies[0].contains("stream offset 17"),
        "{:?}",
        r.anomalies
    );
}

#[test]
fn garbage_is_skipped_and_reported() {
    let stream = [b"\xff\xfe garbage!".to_vec(), hex(CMD0_REQ)].concat();
    let r = run(&[(Direction::ToServer, stream)]);
    assert_eq!(r.ops[0].1.requests, 1);
    assert_eq!(r.anomalies.len(), 1);
    assert!(
        r.anomalies[0].contains("stream offset 0"),
        "{:?}",
        r.anomalies
    );
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let stream = [
        hex("010000000001000d01000927c0"),
        hex(CMD0_REQ),
        hex("0100020000020008"),
    ]
    .concat();
    for a in 0..=stream.len() {
        for b in a..=stream.len() {
            let r = run(&[
                (Direction::ToServer, stream[..a].to_vec()),
                (Direction::ToServer, stream[a..b].to_vec()),
                (Direction::ToServer, stream[b..].to_vec()),
            ]);
            let total: u64 = r.ops.iter().map(|(_, s)| s.requests).sum();
            assert_eq!(total, 3, "split {a}/{b}");
            assert!(r.anomalies.is_empty());
        }
    }
}

#[test]
fn probe_is_certain_on_whole_messages_only() {
    assert_eq!(probe(&hex(CMD0_REQ)), Confidence::Certain);
    assert_eq!(probe(&hex(CMD0_REQ)[..12]), Confidence::Maybe);
    assert_eq!(probe(&[1, 0, 0]), Confidence::NeedMore);
    assert_eq!(probe(&[0x5A, 0, 0, 1]), Confidence::NotMine);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n\r\n"), Confidence::NotMine);
}

#[test]
fn pending_requests_are_capped() {
    let messages: Vec<(Direction, Vec<u8>)> = (0..100u16)
        .map(|s| {
            let mut m = hex("0100020000020008");
            m[4..6].copy_from_slice(&s.to_be_bytes());
            (Direction::ToServer, m)
        })
        .collect();
    let r = run(&messages);
    assert_eq!(r.anomalies.len(), 1);
}

#[test]
fn the_registry_recognises_it_by_content() {
    use crate::Dissector;
    let bytes = hex(CMD0_REQ);
    assert_eq!(
        super::HartIp.probe(Direction::ToServer, &bytes),
        Confidence::Certain
    );
    let mut fed = vec![bytes.len() as u8];
    fed.extend_from_slice(&bytes);
    crate::fuzzing::feed_flow(Box::new(super::HartIp), 5094, &fed);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn session_never_panics(chunks in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..300)), 0..8)) {
        let messages: Vec<(Direction, Vec<u8>)> = chunks
            .into_iter()
            .map(|(to_server, b)| (if to_server { Direction::ToServer } else { Direction::ToClient }, b))
            .collect();
        let _ = run(&messages);
    }

    #[test]
    fn valid_headers_with_random_bodies_never_panic(id in 0u8..8, kind in prop::sample::select(vec![0u8, 1, 2, 3, 15]), body in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut m = vec![1, kind, id, 0, 0, 1];
        m.extend_from_slice(&((8 + body.len()) as u16).to_be_bytes());
        m.extend_from_slice(&body);
        let _ = run(&[(Direction::ToServer, m.clone()), (Direction::ToClient, m)]);
    }
}
