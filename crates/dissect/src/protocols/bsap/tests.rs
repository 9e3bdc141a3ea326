//! Byte vectors from `icsnpp_bsap-ip_example.pcap`: request, response, poll, two-message
//! response, write, malformed packets.

use super::parser::probe;
use super::session::BsapSession;
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const READ_REQ: &str = "0e0001000600874b0000774b0000210000000c874b0000a0000403d0010f024047562e445332004047562e53797374656d53687574446f776e00";
const READ_RSP: &str = "0e0001000500784b0000874b0000170000000c874b00000002000005002477000004002477";
const WRITE_REQ: &str = "0e00010006009e4b00008e4b0000130000000c9e4b0000a0008024770f0111000a";
const WRITE_RSP: &str = "0e00010005008f4b00009e4b00000b0000000c9e4b00000000";
const POLL: &str = "0e000000000000000000754b0000";

struct Run {
    ops: Vec<(Operation, OpStats)>,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = BsapSession::default();
    let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
    for (dir, bytes) in messages {
        let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
        session.data(*dir, Timestamp(1), bytes, &mut out);
    }
    Run { ops, anomalies }
}

fn fixed(s: &str) -> Vec<u8> {
    // The capture's first request is longer; rebuild the length fields for the excerpt.
    let mut b = hex(s);
    let len = (b.len() - 14) as u32;
    b[14..18].copy_from_slice(&len.to_le_bytes());
    b
}

#[test]
fn read_request_pairs_with_its_response() {
    let r = run(&[
        (Direction::ToServer, fixed(READ_REQ)),
        (Direction::ToClient, hex(READ_RSP)),
        (Direction::ToServer, hex(POLL)),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let (op, stats) = &r.ops[0];
    assert_eq!(
        (op.code, op.subcode, op.name, op.class),
        (6, Some(4), "RDB Read Signal by Name", OpClass::Read)
    );
    assert_eq!((stats.requests, stats.responses), (1, 1));
    assert_eq!((r.ops[1].0.name, r.ops[1].1.requests), ("BSAP Poll", 1));
}

#[test]
fn write_is_classified_write() {
    let r = run(&[
        (Direction::ToServer, hex(WRITE_REQ)),
        (Direction::ToClient, hex(WRITE_RSP)),
    ]);
    let (op, stats) = &r.ops[0];
    assert_eq!((op.subcode, op.class), (Some(0x80), OpClass::Write));
    assert_eq!(stats.responses, 1);
}

#[test]
fn unmatched_response_is_counted() {
    let r = run(&[(Direction::ToClient, hex(READ_RSP))]);
    assert_eq!((r.ops[0].0.code, r.ops[0].1.count), (5, 1));
}

#[test]
fn malformed_lengths_are_anomalies() {
    let mut bad = hex(WRITE_REQ);
    bad[14] = 0x50;
    let r = run(&[
        (Direction::ToServer, bad),
        (Direction::ToServer, vec![1, 2, 3]),
    ]);
    assert!(r.ops.is_empty());
    assert_eq!(r.anomalies.len(), 2);
}

#[test]
fn probe_needs_consistent_lengths() {
    assert_eq!(probe(&hex(WRITE_REQ)), Confidence::Certain);
    assert_eq!(probe(&hex(POLL)), Confidence::Maybe);
    assert_eq!(probe(&[14, 0]), Confidence::NeedMore);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n\r\n"), Confidence::NotMine);
}

#[test]
fn the_registry_recognises_it_by_content() {
    use crate::Dissector;
    let bytes = hex(WRITE_REQ);
    assert_eq!(
        super::Bsap.probe(Direction::ToServer, &bytes),
        Confidence::Certain
    );
    let mut fed = vec![bytes.len() as u8];
    fed.extend_from_slice(&bytes);
    crate::fuzzing::feed_flow(Box::new(super::Bsap), 1234, &fed);
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
}
