//! Byte vectors: 3E/4E requests and responses built from the reference manual's layout,
//! MELSOFT datagrams from `melsoft_UDP_clean_2.pcap`, framing at every split point, garbage.

use super::parser::probe;
use super::session::MelsecSession;
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A 3E binary request: network 0, PC 0xFF, module 0x03FF, station 0, timer 0x0010.
fn request(cmd: u16, sub: u16, data: &[u8]) -> Vec<u8> {
    let mut v = vec![0x50, 0x00, 0x00, 0xFF, 0xFF, 0x03, 0x00];
    v.extend_from_slice(&((6 + data.len()) as u16).to_le_bytes());
    v.extend_from_slice(&[0x10, 0x00]);
    v.extend_from_slice(&cmd.to_le_bytes());
    v.extend_from_slice(&sub.to_le_bytes());
    v.extend_from_slice(data);
    v
}

fn response(end: u16, data: &[u8]) -> Vec<u8> {
    let mut v = vec![0xD0, 0x00, 0x00, 0xFF, 0xFF, 0x03, 0x00];
    v.extend_from_slice(&((2 + data.len()) as u16).to_le_bytes());
    v.extend_from_slice(&end.to_le_bytes());
    v.extend_from_slice(data);
    v
}

/// 4E: serial number and two zero bytes after the subheader.
fn four_e(frame: &[u8], serial: u16) -> Vec<u8> {
    let mut v = vec![frame[0] + 4, 0];
    v.extend_from_slice(&serial.to_le_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&frame[2..]);
    v
}

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = MelsecSession::default();
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

/// Batch read of D100, 4 points (device code 0xA8).
fn read_d100() -> Vec<u8> {
    request(0x0401, 0x0000, &[100, 0, 0, 0xA8, 4, 0])
}

#[test]
fn batch_read_pairs_with_range_and_device_code() {
    let r = run(&[
        (Direction::ToServer, read_d100()),
        (Direction::ToClient, response(0, &[1, 0, 2, 0, 3, 0, 4, 0])),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let (op, stats) = &r.ops[0];
    assert_eq!(
        (op.code, op.subcode, op.name, op.class),
        (0x0401, Some(0xA8), "Batch Read", OpClass::Read)
    );
    assert_eq!(
        (stats.requests, stats.responses, stats.exceptions),
        (1, 1, 0)
    );
    assert_eq!(
        (stats.address_min, stats.address_end),
        (Some(100), Some(104))
    );
}

#[test]
fn remote_stop_error_is_an_exception() {
    let r = run(&[
        (Direction::ToServer, request(0x1002, 0, &[1, 0])),
        (Direction::ToClient, response(0xC059, &[])),
    ]);
    let (op, stats) = &r.ops[0];
    assert_eq!((op.name, op.class), ("Remote STOP", OpClass::Control));
    assert_eq!(stats.exceptions, 1);
}

#[test]
fn cpu_model_name_is_identity() {
    let mut data = b"Q03UDVCPU       ".to_vec();
    data.extend_from_slice(&[0x66, 0x02]);
    let r = run(&[
        (Direction::ToServer, request(0x0101, 0, &[])),
        (Direction::ToClient, response(0, &data)),
    ]);
    assert_eq!(r.ops[0].0.class, OpClass::Diagnostic);
    assert_eq!(
        r.facts,
        vec![(false, "model_name", "Q03UDVCPU".to_string())]
    );
}

#[test]
fn four_e_frames_pair_by_serial() {
    let r = run(&[
        (Direction::ToServer, four_e(&read_d100(), 7)),
        (
            Direction::ToServer,
            four_e(&request(0x1401, 0, &[0, 0, 0, 0x90, 1, 0, 1]), 8),
        ),
        (Direction::ToClient, four_e(&response(0, &[]), 8)),
        (Direction::ToClient, four_e(&response(0, &[0; 8]), 7)),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    for (_, stats) in &r.ops {
        assert_eq!((stats.requests, stats.responses), (1, 1));
    }
    assert_eq!(r.ops[1].0.class, OpClass::Write);
}

#[test]
fn unmatched_response_is_counted() {
    let r = run(&[(Direction::ToClient, response(0, &[]))]);
    assert_eq!((r.ops[0].1.count, r.ops[0].1.responses), (1, 1));
}

#[test]
fn melsoft_datagrams_are_counted_and_paired() {
    let r = run(&[
        (Direction::ToServer, hex("5a000001")),
        (Direction::ToClient, hex("da0000011400c0a80365c0a80365")),
        (
            Direction::ToServer,
            hex("57010000001111070000ffff030000fe03000020001c0a16"),
        ),
    ]);
    assert_eq!(r.ops.len(), 2);
    assert_eq!(
        (r.ops[0].0.code, r.ops[0].0.name),
        (0x15A, "MELSOFT Message")
    );
    assert_eq!((r.ops[0].1.requests, r.ops[0].1.responses), (1, 1));
    assert_eq!(probe(&hex("5a000001")), Confidence::Maybe);
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let stream = [
        read_d100(),
        request(0x1001, 0, &[1, 0, 0, 0]),
        four_e(&read_d100(), 3),
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
fn garbage_is_skipped_and_reported() {
    let stream = [b"\x01\x02\x03".to_vec(), read_d100()].concat();
    let r = run(&[(Direction::ToServer, stream)]);
    assert_eq!(r.ops[0].1.requests, 1);
    assert_eq!(r.anomalies.len(), 1);
    assert!(r.anomalies[0].contains("stream offset 0"));
}

#[test]
fn probe_tells_mc_frames() {
    assert_eq!(probe(&read_d100()), Confidence::Certain);
    assert_eq!(probe(&read_d100()[..8]), Confidence::Maybe);
    assert_eq!(probe(&[0x50]), Confidence::NeedMore);
    assert_eq!(probe(&request(0x7777, 0, &[])), Confidence::Maybe);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n\r\n"), Confidence::NotMine);
}

#[test]
fn the_registry_recognises_it_by_content() {
    use crate::Dissector;
    let bytes = read_d100();
    assert_eq!(
        super::Melsec.probe(Direction::ToServer, &bytes),
        Confidence::Certain
    );
    let mut fed = vec![bytes.len() as u8];
    fed.extend_from_slice(&bytes);
    crate::fuzzing::feed_flow(Box::new(super::Melsec), 5007, &fed);
}

#[test]
fn pending_requests_are_capped() {
    let messages: Vec<(Direction, Vec<u8>)> = (0..100)
        .map(|_| (Direction::ToServer, read_d100()))
        .collect();
    let r = run(&messages);
    assert_eq!(r.anomalies.len(), 1);
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
    fn valid_requests_with_random_data_never_panic(cmd: u16, sub in 0u16..5, data in proptest::collection::vec(any::<u8>(), 0..40)) {
        let _ = run(&[(Direction::ToServer, request(cmd, sub, &data)), (Direction::ToClient, response(0, &data))]);
    }
}
