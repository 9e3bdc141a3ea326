//! Byte-vector tests: framing at every split point, pairing, exceptions, identification.

use super::parser::{probe, Event, Framer};
use super::session::ModbusSession;
use crate::{CommunicationMap, Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

fn frame(transaction: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut v = transaction.to_be_bytes().to_vec();
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&((pdu.len() + 1) as u16).to_be_bytes());
    v.push(unit);
    v.extend_from_slice(pdu);
    v
}

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = ModbusSession::default();
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

#[test]
fn read_holding_registers_request_and_response_pair() {
    let r = run(&[
        (
            Direction::ToServer,
            frame(1, 1, &[3, 0x00, 0x10, 0x00, 0x02]),
        ),
        (Direction::ToClient, frame(1, 1, &[3, 4, 0, 1, 0, 2])),
    ]);
    let stats = op(&r, "Read Holding Registers");
    assert_eq!(
        (
            stats.count,
            stats.requests,
            stats.responses,
            stats.exceptions
        ),
        (1, 1, 1, 0)
    );
    assert_eq!((stats.address_min, stats.address_end), (Some(16), Some(18)));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn exception_response_is_counted_against_its_request() {
    let r = run(&[
        (
            Direction::ToServer,
            frame(7, 1, &[16, 0, 0, 0, 1, 2, 0xAB, 0xCD]),
        ),
        (Direction::ToClient, frame(7, 1, &[0x90, 2])),
    ]);
    let stats = op(&r, "Write Multiple Registers");
    assert_eq!((stats.count, stats.responses, stats.exceptions), (1, 1, 1));
    assert_eq!(r.ops[0].0.class, OpClass::Write);
}

#[test]
fn diagnostics_sub_functions_are_classified() {
    let r = run(&[(Direction::ToServer, frame(1, 1, &[8, 0, 4, 0, 0]))]);
    let (o, _) = &r.ops[0];
    assert_eq!(
        (o.code, o.subcode, o.name, o.class),
        (8, Some(4), "Force Listen Only Mode", OpClass::Control)
    );
}

#[test]
fn umas_stop_is_control_and_download_is_program() {
    let r = run(&[
        (Direction::ToServer, frame(1, 0, &[90, 0x12, 0x41])),
        (Direction::ToServer, frame(2, 0, &[90, 0x12, 0x34, 1, 2, 3])),
    ]);
    assert_eq!(op(&r, "UMAS Stop PLC").count, 1);
    assert_eq!(r.ops[0].0.class, OpClass::Control);
    assert_eq!(r.ops[1].0.class, OpClass::Program);
}

#[test]
fn device_identification_objects_become_identity_facts() {
    let mut response = vec![43, 14, 1, 0x01, 0, 0, 3];
    for (id, value) in [
        (0u8, &b"Schneider Electric"[..]),
        (1, b"BMX P34 2020"),
        (2, b"v2.7"),
    ] {
        response.push(id);
        response.push(value.len() as u8);
        response.extend_from_slice(value);
    }
    let r = run(&[
        (Direction::ToServer, frame(3, 255, &[43, 14, 1, 0])),
        (Direction::ToClient, frame(3, 255, &response)),
    ]);
    assert_eq!(op(&r, "Read Device Identification").responses, 1);
    let facts: Vec<(&str, &str)> = r.facts.iter().map(|(_, f, v)| (*f, v.as_str())).collect();
    assert_eq!(
        facts,
        vec![
            ("vendor", "Schneider Electric"),
            ("product_code", "BMX P34 2020"),
            ("revision", "v2.7")
        ]
    );
}

#[test]
fn malformed_request_is_an_anomaly_with_offset_and_still_counted() {
    let mut bytes = frame(1, 1, &[3, 0, 0, 0, 200]); // quantity 200 > 125
    bytes.extend(frame(2, 1, &[1, 0, 0, 0, 8]));
    let r = run(&[(Direction::ToServer, bytes)]);
    assert_eq!(r.anomalies.len(), 1);
    assert!(
        r.anomalies[0].contains("malformed Read Holding Registers request: quantity out of range")
    );
    assert!(r.anomalies[0].contains("stream offset 0"));
    assert_eq!(op(&r, "Read Holding Registers").count, 1);
    assert_eq!(op(&r, "Read Coils").count, 1);
}

#[test]
fn garbage_between_frames_is_skipped_and_reported_once() {
    let mut bytes = frame(1, 1, &[1, 0, 0, 0, 8]);
    bytes.extend_from_slice(b"\xde\xad\xbe\xef garbage here");
    let garbage_at = frame(1, 1, &[1, 0, 0, 0, 8]).len();
    bytes.extend(frame(2, 1, &[2, 0, 0, 0, 8]));
    let r = run(&[(Direction::ToServer, bytes)]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains(&format!("stream offset {garbage_at}")));
    assert_eq!(op(&r, "Read Discrete Inputs").count, 1);
}

#[test]
fn pending_requests_are_capped() {
    let messages: Vec<(Direction, Vec<u8>)> = (0..100u16)
        .map(|t| (Direction::ToServer, frame(t, 1, &[3, 0, 0, 0, 1])))
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
fn probe_tells_modbus_from_http_and_noise() {
    assert_eq!(probe(&frame(1, 1, &[3, 0, 0, 0, 1])), Confidence::Certain);
    assert_eq!(
        probe(b"GET / HTTP/1.1\r\nHost: plc\r\n\r\n"),
        Confidence::NotMine
    );
    assert_eq!(probe(&[0, 1, 0, 0]), Confidence::NeedMore);
    assert_eq!(
        probe(&[0, 1, 0, 0, 0, 2, 1, 0x63]),
        Confidence::Maybe,
        "unknown function: the port decides"
    );
    let partial = &frame(1, 1, &[16, 0, 0, 0, 2, 4, 1, 2, 3, 4])[..10];
    assert_eq!(probe(partial), Confidence::Maybe);
}

/// Collects frames out of a framer fed in pieces.
fn frames_of(pieces: &[&[u8]]) -> Vec<(u64, Vec<u8>)> {
    let mut framer = Framer::default();
    let mut out = Vec::new();
    for piece in pieces {
        framer.push(piece, &mut |e| {
            if let Event::Frame { offset, pdu, .. } = e {
                out.push((offset, pdu.to_vec()))
            }
        });
    }
    out
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let mut stream = frame(1, 1, &[3, 0, 0, 0, 2]);
    stream.extend(frame(2, 1, &[16, 0, 1, 0, 1, 2, 0xAA, 0xBB]));
    stream.extend(frame(3, 1, &[5, 0, 9, 0xFF, 0]));
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
    let mut framer = Framer::default();
    let first = frame(1, 1, &[3, 0, 0, 0, 2]);
    framer.push(&first[..5], &mut |_| {});
    framer.gap(100);
    let mut frames = Vec::new();
    let mut tail = vec![0x11, 0x22, 0x33];
    tail.extend(frame(9, 1, &[4, 0, 0, 0, 1]));
    framer.push(&tail, &mut |e| {
        if let Event::Frame { pdu, .. } = e {
            frames.push(pdu.to_vec())
        }
    });
    assert_eq!(frames, vec![vec![4, 0, 0, 0, 1]]);
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
fn map_is_built_from_closed_flows() {
    // Smoke test that the map type is reachable from here (the registry test covers merging).
    assert!(CommunicationMap::default().is_empty());
}

/// A register walk climbs one address at a time; a poll loop of three blocks climbs three
/// requests and starts over.
#[test]
fn register_walks_climb_and_poll_loops_start_over() {
    let read = |t: u16, start: u16| {
        let [hi, lo] = start.to_be_bytes();
        (Direction::ToServer, frame(t, 1, &[4, hi, lo, 0, 1]))
    };
    let walk: Vec<(Direction, Vec<u8>)> = (0..200).map(|i| read(i, i)).collect();
    let r = run(&walk);
    assert_eq!(op(&r, "Read Input Registers").longest_climb, 200);
    let polls: Vec<(Direction, Vec<u8>)> = (0..200).map(|i| read(i, (i % 3) * 100)).collect();
    let r = run(&polls);
    assert_eq!(op(&r, "Read Input Registers").longest_climb, 3);
    // The same start twice breaks the climb (a retry is not progress).
    let r = run(&[read(1, 5), read(2, 6), read(3, 6), read(4, 7)]);
    assert_eq!(op(&r, "Read Input Registers").longest_climb, 2);
}

/// A connection that addresses many unit ids is a sweep, flagged once; a gateway's few
/// slaves are not.
#[test]
fn unit_id_sweeps_are_flagged_once() {
    use crate::registry::Flag;
    use crate::AnomalyClass;
    let sweep = |units: std::ops::Range<u8>| {
        let (mut ops, mut facts, mut anomalies, mut flags) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::<Flag>::new());
        let mut session = ModbusSession::default();
        {
            let mut out =
                Output::for_tests_with_flags(&mut ops, &mut facts, &mut anomalies, &mut flags);
            for unit in units {
                session.data(
                    Direction::ToServer,
                    Timestamp(1),
                    &frame(u16::from(unit), unit, &[0x2b, 0x0e, 1, 0]),
                    &mut out,
                );
            }
        }
        (flags, anomalies)
    };
    let (flags, anomalies) = sweep(0..255);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].class, AnomalyClass::Probe);
    assert!(
        flags[0].message.contains("16 unit ids"),
        "{}",
        flags[0].message
    );
    assert!(
        !anomalies.iter().any(|a| a.contains("unit")),
        "a sweep is not a decoding anomaly: {anomalies:?}"
    );
    let (flags, _) = sweep(1..16);
    assert!(flags.is_empty(), "{flags:?}");
}
