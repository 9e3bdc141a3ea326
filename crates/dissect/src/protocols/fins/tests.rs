//! Byte-vector tests: FINS/UDP and FINS/TCP, framing at every split point, pairing, end codes,
//! controller identity, caps.

use super::parser::{probe, Event, TcpFramer};
use super::session::FinsSession;
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

/// A command from node (0,0x7A,0) to (0,0,0) with service id `sid`.
fn command(sid: u8, code: u16, data: &[u8]) -> Vec<u8> {
    let mut v = vec![0x80, 0, 2, 0, 0, 0, 0, 0x7A, 0, sid];
    v.extend_from_slice(&code.to_be_bytes());
    v.extend_from_slice(data);
    v
}

/// The response to [`command`]: addresses swapped, end code, data.
fn response(sid: u8, code: u16, end: u16, data: &[u8]) -> Vec<u8> {
    let mut v = vec![0xC0, 0, 2, 0, 0x7A, 0, 0, 0, 0, sid];
    v.extend_from_slice(&code.to_be_bytes());
    v.extend_from_slice(&end.to_be_bytes());
    v.extend_from_slice(data);
    v
}

fn tcp(command: u32, data: &[u8]) -> Vec<u8> {
    let mut v = b"FINS".to_vec();
    v.extend_from_slice(&((data.len() + 8) as u32).to_be_bytes());
    v.extend_from_slice(&command.to_be_bytes());
    v.extend_from_slice(&0u32.to_be_bytes());
    v.extend_from_slice(data);
    v
}

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = FinsSession::default();
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

fn op<'a>(r: &'a Run, name: &str) -> &'a OpStats {
    &r.ops
        .iter()
        .find(|(o, _)| o.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", r.ops))
        .1
}

fn counts(s: &OpStats) -> (u64, u64, u64, u64) {
    (s.count, s.requests, s.responses, s.exceptions)
}

/// Memory area read of DM (0x82) word 100, 10 words.
const READ_DM: [u8; 6] = [0x82, 0, 100, 0, 0, 10];

#[test]
fn udp_memory_read_pairs_and_records_range() {
    let r = run(&[
        (Direction::ToServer, command(7, 0x0101, &READ_DM)),
        (Direction::ToClient, response(7, 0x0101, 0, &[0; 20])),
    ]);
    let s = op(&r, "Memory Area Read");
    assert_eq!(counts(s), (1, 1, 1, 0));
    assert_eq!((s.address_min, s.address_end), (Some(100), Some(110)));
    assert_eq!(r.ops[0].0.code, 0x0101);
    assert_eq!(r.ops[0].0.class, OpClass::Read);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn error_end_code_is_an_exception_but_plc_flags_are_not() {
    let r = run(&[
        (
            Direction::ToServer,
            command(1, 0x0102, &[0x82, 0, 1, 0, 0, 1, 0, 5]),
        ),
        (Direction::ToClient, response(1, 0x0102, 0x2108, &[])),
        (Direction::ToServer, command(2, 0x0402, &[0xFF, 0xFF])),
        // Normal completion with the non-fatal CPU error flag.
        (Direction::ToClient, response(2, 0x0402, 0x0080, &[])),
    ]);
    assert_eq!(counts(op(&r, "Memory Area Write")), (1, 1, 1, 1));
    assert_eq!(counts(op(&r, "Stop")), (1, 1, 1, 0));
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(
        r.anomalies[0].contains("Memory Area Write failed: Write not possible (end code 0x2108)")
    );
}

#[test]
fn controller_data_read_gives_model_and_version() {
    let mut data = b"CJ2M-CPU31".to_vec();
    data.resize(20, b' ');
    data.extend_from_slice(b"02.01");
    data.resize(40, 0);
    data.extend_from_slice(&[0; 40]);
    let r = run(&[
        (Direction::ToServer, tcp(2, &command(3, 0x0501, &[]))),
        (Direction::ToClient, tcp(2, &response(3, 0x0501, 0, &data))),
    ]);
    assert_eq!(counts(op(&r, "Controller Data Read")), (1, 1, 1, 0));
    let facts: Vec<(&str, &str)> = r.facts.iter().map(|(_, f, v)| (*f, v.as_str())).collect();
    assert_eq!(
        facts,
        vec![("model_name", "CJ2M-CPU31"), ("firmware", "02.01")]
    );
    assert!(!r.facts[0].0, "facts are about the PLC");
}

#[test]
fn tcp_node_address_exchange_is_not_an_operation_and_errors_are_anomalies() {
    let mut err = tcp(3, &[]);
    err[15] = 1;
    let r = run(&[
        (Direction::ToServer, tcp(0, &[0, 0, 0, 0])),
        (Direction::ToClient, tcp(1, &[0, 0, 0, 0x7A, 0, 0, 0, 1])),
        (Direction::ToClient, err),
    ]);
    assert!(r.ops.is_empty());
    assert_eq!(r.anomalies.len(), 2, "{:?}", r.anomalies);
}

#[test]
fn classes_follow_the_command_table() {
    let r = run(&[
        (Direction::ToServer, command(1, 0x0401, &[0xFF, 0xFF, 4])),
        (Direction::ToServer, command(2, 0x0307, &[0xFF, 0xFF])),
        (Direction::ToServer, command(3, 0x0C01, &[0xFF, 0xFF])),
        (Direction::ToServer, command(4, 0x0701, &[])),
        (Direction::ToServer, command(5, 0x7777, &[])),
    ]);
    let class = |code| r.ops.iter().find(|(o, _)| o.code == code).unwrap().0;
    assert_eq!(class(0x0401).class, OpClass::Control);
    assert_eq!(class(0x0307).class, OpClass::Program);
    assert_eq!(class(0x0C01).class, OpClass::Control);
    assert_eq!(class(0x0701).class, OpClass::Diagnostic);
    assert_eq!(
        (class(0x7777).name, class(0x7777).class),
        ("Unknown Command", OpClass::Other)
    );
}

#[test]
fn unmatched_response_and_short_frames() {
    let r = run(&[
        (Direction::ToClient, response(9, 0x0601, 0, &[1, 0])),
        (Direction::ToServer, vec![0x80, 0, 2]),
        (Direction::ToServer, command(1, 0x0101, &[0x82])),
    ]);
    assert_eq!(counts(op(&r, "Controller Status Read")), (1, 0, 1, 0));
    assert_eq!(r.anomalies.len(), 2, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("shorter than its header"));
    assert!(r.anomalies[0].contains("stream offset 0"));
    assert!(r.anomalies[1].contains("malformed Memory Area Read command"));
    assert!(r.anomalies[1].contains("stream offset 3"));
}

#[test]
fn pending_commands_are_capped() {
    let messages: Vec<(Direction, Vec<u8>)> = (0..100u8)
        .map(|sid| (Direction::ToServer, command(sid, 0x0101, &READ_DM)))
        .collect();
    let r = run(&messages);
    assert_eq!(
        r.anomalies
            .iter()
            .filter(|a| a.contains("without a response"))
            .count(),
        1
    );
}

#[test]
fn tcp_garbage_is_skipped_to_the_next_magic() {
    let mut bytes = tcp(2, &command(1, 0x0101, &READ_DM));
    let at = bytes.len();
    bytes.extend_from_slice(b"junkFIN");
    bytes.extend(tcp(2, &command(2, 0x0101, &READ_DM)));
    let r = run(&[(Direction::ToServer, bytes)]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains(&format!(
        "7 bytes that are not FINS/TCP skipped (client→server stream offset {at})"
    )));
    assert_eq!(op(&r, "Memory Area Read").count, 2);
}

#[test]
fn probe_tells_fins_from_other_bytes() {
    assert_eq!(probe(&tcp(0, &[0, 0, 0, 0])), Confidence::Certain);
    assert_eq!(probe(b"FIN"), Confidence::NeedMore);
    assert_eq!(probe(&command(1, 0x0101, &READ_DM)), Confidence::Maybe);
    assert_eq!(probe(&command(1, 0x7777, &READ_DM)), Confidence::NotMine);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n"), Confidence::NotMine);
}

fn frames_of(pieces: &[&[u8]]) -> Vec<(u64, Vec<u8>)> {
    let mut framer = TcpFramer::default();
    let mut out = Vec::new();
    for piece in pieces {
        framer.push(piece, &mut |e| {
            if let Event::Message { offset, data, .. } = e {
                out.push((offset, data.to_vec()))
            }
        });
    }
    out
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let mut stream = tcp(0, &[0, 0, 0, 0]);
    stream.extend(tcp(2, &command(1, 0x0101, &READ_DM)));
    stream.extend(tcp(2, &command(2, 0x0401, &[0xFF, 0xFF, 4])));
    let whole = frames_of(&[&stream]);
    assert_eq!(whole.len(), 3);
    for a in 0..=stream.len() {
        for b in a..=stream.len() {
            let split = frames_of(&[&stream[..a], &stream[a..b], &stream[b..]]);
            assert_eq!(split, whole, "split at {a}/{b}");
        }
    }
}

#[test]
fn after_a_gap_the_framer_resynchronises() {
    let mut framer = TcpFramer::default();
    let first = tcp(2, &command(1, 0x0101, &READ_DM));
    framer.push(&first[..10], &mut |_| {});
    framer.gap(100);
    let mut frames = Vec::new();
    let mut tail = vec![0x11, 0x22, 0x33];
    tail.extend(tcp(2, &command(2, 0x0402, &[])));
    framer.push(&tail, &mut |e| {
        if let Event::Message { data, .. } = e {
            frames.push(data.to_vec())
        }
    });
    assert_eq!(frames, vec![command(2, 0x0402, &[])]);
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

#[test]
fn udp_datagrams_through_the_registry_reach_the_map() {
    use crate::Registry;
    use zonewarden_flow::StreamConsumer;
    let flow = crate::fuzzing::test_flow(9600, zonewarden_wire::ipproto::UDP);
    let mut registry = Registry::new(vec![Box::new(super::Fins)]);
    let mut state = Default::default();
    let req = [0x80u8, 0, 2, 0, 0, 0, 0, 0x63, 0, 0xef, 5, 1, 0];
    registry.on_data(&mut state, &flow, Direction::ToServer, Timestamp(1), &req);
    registry.on_data(
        &mut state,
        &flow,
        Direction::ToClient,
        Timestamp(1),
        &response(0xEF, 0x0501, 0, &[0; 60]),
    );
    registry.on_close(state, &flow, zonewarden_flow::CloseReason::End);
    assert!(!registry.into_map().is_empty());
}
