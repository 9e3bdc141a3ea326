//! Byte-vector tests: framing at every split point, pairing, negative confirmations, U/S frames.

use super::parser::{probe, Event, Framer};
use super::session::Iec104Session;
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

/// An I-frame with send/receive sequence numbers around an ASDU.
fn i_frame(send: u16, receive: u16, asdu: &[u8]) -> Vec<u8> {
    let mut v = vec![0x68, (asdu.len() + 4) as u8];
    v.extend_from_slice(&(send << 1).to_le_bytes());
    v.extend_from_slice(&(receive << 1).to_le_bytes());
    v.extend_from_slice(asdu);
    v
}

fn u_frame(c1: u8) -> Vec<u8> {
    vec![0x68, 4, c1, 0, 0, 0]
}

fn s_frame(receive: u16) -> Vec<u8> {
    let mut v = vec![0x68, 4, 1, 0];
    v.extend_from_slice(&(receive << 1).to_le_bytes());
    v
}

/// An ASDU: type, VSQ, COT, originator 0, common address, then the object bytes.
fn asdu(type_id: u8, vsq: u8, cot: u8, ca: u16, objects: &[u8]) -> Vec<u8> {
    let mut v = vec![type_id, vsq, cot, 0];
    v.extend_from_slice(&ca.to_le_bytes());
    v.extend_from_slice(objects);
    v
}

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
    session: Iec104Session,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut r = Run {
        ops: Vec::new(),
        facts: Vec::new(),
        anomalies: Vec::new(),
        session: Iec104Session::default(),
    };
    for (dir, bytes) in messages {
        let mut out = Output::for_tests(&mut r.ops, &mut r.facts, &mut r.anomalies);
        r.session.data(*dir, Timestamp(1), bytes, &mut out);
    }
    r
}

fn op(r: &Run, code: u16) -> &OpStats {
    &r.ops
        .iter()
        .find(|(o, _)| o.code == code)
        .unwrap_or_else(|| panic!("no type {code} in {:?}", r.ops))
        .1
}

fn counts(s: &OpStats) -> (u64, u64, u64, u64) {
    (s.count, s.requests, s.responses, s.exceptions)
}

/// Single command, IOA 0x000BB8 (3000), SCO on, select=0.
const SC_OBJECT: [u8; 4] = [0xB8, 0x0B, 0x00, 0x01];

#[test]
fn single_command_pairs_with_confirmation_and_termination() {
    let r = run(&[
        (
            Direction::ToServer,
            i_frame(0, 0, &asdu(45, 1, 6, 1, &SC_OBJECT)),
        ),
        (
            Direction::ToClient,
            i_frame(0, 1, &asdu(45, 1, 7, 1, &SC_OBJECT)),
        ),
        (
            Direction::ToClient,
            i_frame(1, 1, &asdu(45, 1, 10, 1, &SC_OBJECT)),
        ),
    ]);
    let stats = op(&r, 45);
    assert_eq!(counts(stats), (1, 1, 2, 0));
    assert_eq!(
        (stats.address_min, stats.address_end),
        (Some(3000), Some(3001))
    );
    assert_eq!(r.ops[0].0.class, OpClass::Write);
    assert_eq!(r.ops[0].0.name, "C_SC_NA_1 Single command");
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn negative_confirmation_is_an_exception() {
    let r = run(&[
        (
            Direction::ToServer,
            i_frame(0, 0, &asdu(46, 1, 6, 1, &SC_OBJECT)),
        ),
        (
            Direction::ToClient,
            i_frame(0, 1, &asdu(46, 1, 0x47, 1, &SC_OBJECT)),
        ),
    ]);
    assert_eq!(counts(op(&r, 46)), (1, 1, 1, 1));
}

#[test]
fn unknown_ioa_reply_is_an_exception_and_confirmation_without_command_is_unmatched() {
    let r = run(&[
        (
            Direction::ToClient,
            i_frame(0, 0, &asdu(45, 1, 47, 1, &SC_OBJECT)),
        ),
        (
            Direction::ToClient,
            i_frame(1, 0, &asdu(100, 1, 7, 1, &[0, 0, 0, 20])),
        ),
    ]);
    assert_eq!(counts(op(&r, 45)), (1, 0, 1, 1));
    assert_eq!(counts(op(&r, 100)), (1, 0, 1, 0));
}

#[test]
fn interrogation_and_monitor_data_are_counted_per_type() {
    let mut sp = vec![];
    for ioa in [1u8, 2, 5] {
        sp.extend_from_slice(&[ioa, 0, 0, 0x01]);
    }
    let r = run(&[
        (Direction::ToServer, u_frame(0x07)),
        (Direction::ToClient, u_frame(0x0B)),
        (
            Direction::ToServer,
            i_frame(0, 0, &asdu(100, 1, 6, 1, &[0, 0, 0, 20])),
        ),
        (
            Direction::ToClient,
            i_frame(0, 1, &asdu(100, 1, 7, 1, &[0, 0, 0, 20])),
        ),
        (Direction::ToClient, i_frame(1, 1, &asdu(1, 3, 20, 1, &sp))),
        // Sequence of 2 normalized... scaled values from IOA 100.
        (
            Direction::ToClient,
            i_frame(2, 1, &asdu(11, 0x82, 20, 1, &[100, 0, 0, 1, 0, 0, 2, 0, 0])),
        ),
        (
            Direction::ToClient,
            i_frame(3, 1, &asdu(100, 1, 10, 1, &[0, 0, 0, 20])),
        ),
        (Direction::ToServer, s_frame(4)),
    ]);
    assert_eq!(counts(op(&r, 100)), (1, 1, 2, 0));
    assert_eq!(
        op(&r, 100).address_min,
        None,
        "system commands record no range"
    );
    let sp = op(&r, 1);
    assert_eq!(counts(sp), (1, 1, 0, 0));
    assert_eq!((sp.address_min, sp.address_end), (Some(1), Some(6)));
    let me = op(&r, 11);
    assert_eq!((me.address_min, me.address_end), (Some(100), Some(102)));
    let c = r.session.counts();
    assert_eq!(
        (c.i_frames, c.s_frames, c.u_frames[0], c.u_frames[1]),
        (5, 1, 1, 1)
    );
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn classes_follow_the_type_table() {
    let r = run(&[
        (
            Direction::ToServer,
            i_frame(0, 0, &asdu(103, 1, 6, 1, &[0, 0, 0, 0, 0, 0, 0, 0, 0, 24])),
        ),
        (
            Direction::ToServer,
            i_frame(1, 0, &asdu(105, 1, 6, 1, &[0, 0, 0, 1])),
        ),
        (
            Direction::ToServer,
            i_frame(2, 0, &asdu(122, 1, 13, 1, &[0, 0, 0, 1, 0, 0, 1])),
        ),
        (
            Direction::ToServer,
            i_frame(3, 0, &asdu(112, 1, 6, 1, &[1, 0, 0, 0, 0, 0x80, 0x3F, 1])),
        ),
        (
            Direction::ToServer,
            i_frame(4, 0, &asdu(200, 1, 6, 1, &[1, 0, 0])),
        ),
    ]);
    let class = |code| r.ops.iter().find(|(o, _)| o.code == code).unwrap().0.class;
    assert_eq!(class(103), OpClass::Diagnostic);
    assert_eq!(class(105), OpClass::Control);
    assert_eq!(class(122), OpClass::Program);
    assert_eq!(class(112), OpClass::Write);
    assert_eq!(class(200), OpClass::Other);
    assert_eq!(
        r.ops.iter().find(|(o, _)| o.code == 200).unwrap().0.name,
        "Unknown Type"
    );
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn wrong_object_length_is_an_anomaly_with_offset_and_still_counted() {
    let mut bytes = u_frame(0x43);
    bytes.extend(i_frame(0, 0, &asdu(45, 1, 6, 1, &[1, 0, 0, 1, 9])));
    let r = run(&[(Direction::ToServer, bytes)]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("malformed C_SC_NA_1 Single command ASDU"));
    assert!(r.anomalies[0].contains("stream offset 6"));
    assert_eq!(op(&r, 45).count, 1);
}

#[test]
fn sequence_number_jump_and_bad_u_frame_are_anomalies() {
    let r = run(&[(
        Direction::ToClient,
        [
            i_frame(5, 0, &asdu(1, 1, 3, 1, &[1, 0, 0, 1])),
            i_frame(9, 0, &asdu(1, 1, 3, 1, &[1, 0, 0, 1])),
            u_frame(0x0F),
        ]
        .concat(),
    )]);
    assert_eq!(r.anomalies.len(), 2, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("send sequence number 9 where 6 was expected"));
    assert!(r.anomalies[1].contains("U-frame with no single known function (0x0f)"));
    assert_eq!(r.session.counts().invalid_u_frames, 1);
}

#[test]
fn invalid_start_byte_is_skipped_and_reported_once() {
    let mut bytes = u_frame(0x43);
    bytes.extend_from_slice(b"\x00\x11garbage");
    bytes.extend(u_frame(0x83));
    let r = run(&[(Direction::ToServer, bytes)]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("9 bytes without a valid APCI"));
    assert!(r.anomalies[0].contains("stream offset 6"));
    assert_eq!(r.session.counts().u_frames[4..], [1, 1]);
}

#[test]
fn unconfirmed_commands_are_capped() {
    let messages: Vec<(Direction, Vec<u8>)> = (0..100u16)
        .map(|t| {
            let ioa = t.to_le_bytes();
            (
                Direction::ToServer,
                i_frame(t, 0, &asdu(45, 1, 6, 1, &[ioa[0], ioa[1], 0, 1])),
            )
        })
        .collect();
    let r = run(&messages);
    assert_eq!(
        r.anomalies
            .iter()
            .filter(|a| a.contains("without a confirmation"))
            .count(),
        1
    );
    assert_eq!(op(&r, 45).requests, 100);
}

#[test]
fn probe_tells_iec104_from_other_bytes() {
    assert_eq!(probe(&u_frame(0x07)), Confidence::Certain);
    assert_eq!(
        probe(&i_frame(0, 0, &asdu(100, 1, 6, 1, &[0, 0, 0, 20]))),
        Confidence::Certain
    );
    assert_eq!(probe(&[0x68]), Confidence::NeedMore);
    assert_eq!(probe(&[0x68, 4, 0x0F, 0]), Confidence::NotMine);
    assert_eq!(probe(&[0x68, 2, 0, 0]), Confidence::NotMine);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n"), Confidence::NotMine);
    assert_eq!(
        probe(&i_frame(0, 0, &asdu(45, 1, 6, 1, &SC_OBJECT))[..8]),
        Confidence::Maybe
    );
    assert_eq!(
        probe(&i_frame(0, 0, &asdu(250, 1, 6, 1, &SC_OBJECT))),
        Confidence::Maybe
    );
}

fn frames_of(pieces: &[&[u8]]) -> Vec<(u64, Vec<u8>)> {
    let mut framer = Framer::default();
    let mut out = Vec::new();
    for piece in pieces {
        framer.push(piece, &mut |e| {
            if let Event::Frame { offset, frame } = e {
                out.push((offset, frame.to_vec()))
            }
        });
    }
    out
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let mut stream = u_frame(0x07);
    stream.extend(i_frame(0, 0, &asdu(45, 1, 6, 1, &SC_OBJECT)));
    stream.extend(s_frame(3));
    stream.extend(i_frame(1, 0, &asdu(100, 1, 6, 1, &[0, 0, 0, 20])));
    let whole = frames_of(&[&stream]);
    assert_eq!(whole.len(), 4);
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
    let first = i_frame(0, 0, &asdu(45, 1, 6, 1, &SC_OBJECT));
    framer.push(&first[..5], &mut |_| {});
    framer.gap(100);
    let mut frames = Vec::new();
    // Mid-frame bytes that contain a misleading 0x68 with a plausible length.
    let mut tail = vec![0x11, 0x68, 0x05, 0x33];
    tail.extend(u_frame(0x43));
    framer.push(&tail, &mut |e| {
        if let Event::Frame { frame, .. } = e {
            frames.push(frame.to_vec())
        }
    });
    assert_eq!(frames, vec![u_frame(0x43)]);
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
