//! Byte-vector tests: CRCs, framing at every split point, transport reassembly, pairing, IIN,
//! Secure Authentication, device attributes, caps, malformed input.

use super::parser::{probe, Event, Framer};
use super::pdu::crc16;
use super::session::{Dnp3Session, MAX_FRAGMENT, MAX_IN_FLIGHT};
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

const MASTER: u16 = 1;
const OUTSTATION: u16 = 10;

/// One link frame: header with CRC, user data in 16-octet blocks each followed by its CRC.
fn link(control: u8, destination: u16, source: u16, user: &[u8]) -> Vec<u8> {
    let mut v = vec![0x05, 0x64, (user.len() + 5) as u8, control];
    v.extend_from_slice(&destination.to_le_bytes());
    v.extend_from_slice(&source.to_le_bytes());
    let crc = crc16(&v);
    v.extend_from_slice(&crc.to_le_bytes());
    for block in user.chunks(16) {
        v.extend_from_slice(block);
        v.extend_from_slice(&crc16(block).to_le_bytes());
    }
    v
}

/// An application fragment cut into transport segments of at most 249 octets, starting at
/// transport sequence `tseq`, each in its own unconfirmed user data frame.
fn frames_from(source: u16, destination: u16, tseq: u8, app: &[u8]) -> Vec<u8> {
    let control = if source == MASTER { 0xC4 } else { 0x44 };
    let chunks: Vec<&[u8]> = app.chunks(249).collect();
    let mut out = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let mut th = (tseq.wrapping_add(i as u8)) & 0x3F;
        if i == 0 {
            th |= 0x40;
        }
        if i == chunks.len() - 1 {
            th |= 0x80;
        }
        let mut user = vec![th];
        user.extend_from_slice(chunk);
        out.extend(link(control, destination, source, &user));
    }
    out
}

fn request(seq: u8, function: u8, objects: &[u8]) -> Vec<u8> {
    let mut v = vec![0xC0 | (seq & 0x0F), function];
    v.extend_from_slice(objects);
    v
}

fn response(control: u8, function: u8, iin: [u8; 2], objects: &[u8]) -> Vec<u8> {
    let mut v = vec![control, function, iin[0], iin[1]];
    v.extend_from_slice(objects);
    v
}

fn to_outstation(app: &[u8]) -> (Direction, Vec<u8>) {
    (Direction::ToServer, frames_from(MASTER, OUTSTATION, 0, app))
}

fn to_master(app: &[u8]) -> (Direction, Vec<u8>) {
    (Direction::ToClient, frames_from(OUTSTATION, MASTER, 0, app))
}

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = Dnp3Session::default();
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

fn op<'a>(r: &'a Run, name: &str, subcode: Option<u16>) -> &'a OpStats {
    &r.ops
        .iter()
        .find(|(o, _)| o.name == name && o.subcode == subcode)
        .unwrap_or_else(|| panic!("no {name}/{subcode:?} in {:?}", r.ops))
        .1
}

fn counts(s: &OpStats) -> (u64, u64, u64, u64) {
    (s.count, s.requests, s.responses, s.exceptions)
}

#[test]
fn crc_is_crc16_dnp() {
    // The catalogue check value of CRC-16/DNP.
    assert_eq!(crc16(b"123456789"), 0xEA82);
    // A real header: 05 64 05 C0 01 00 00 04 (reset link states) with CRC E9 21.
    assert_eq!(
        crc16(&[0x05, 0x64, 0x05, 0xC0, 0x01, 0x00, 0x00, 0x04]).to_le_bytes(),
        [0xE9, 0x21]
    );
}

#[test]
fn read_class_data_pairs_with_its_response() {
    // READ class 1, 2, 3, 0 (g60v2..v4, v1, qualifier 0x06).
    let read = request(3, 1, &[60, 2, 6, 60, 3, 6, 60, 4, 6, 60, 1, 6]);
    // Response: g30v2 (16-bit analog input with flag), range 0..1, and g1v2 count-prefixed.
    let resp = response(
        0xC3,
        129,
        [0, 0],
        &[
            30, 2, 0x00, 0, 1, 1, 10, 0, 1, 20, 0, 1, 2, 0x00, 0, 0, 0x81,
        ],
    );
    let r = run(&[to_outstation(&read), to_master(&resp)]);
    assert_eq!(counts(op(&r, "READ", None)), (1, 1, 0, 0));
    assert_eq!(counts(op(&r, "RESPONSE", Some(1))), (0, 0, 1, 0));
    assert_eq!(r.ops[0].0.class, OpClass::Read);
    assert_eq!(
        r.ops[1].0.class,
        OpClass::Read,
        "a response has its request's class"
    );
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn direct_operate_crob_is_a_write_with_its_point_index() {
    // g12v1 CROB, qualifier 0x28 (2-octet index prefix, 2-octet count), 1 object at index 5.
    let mut objects = vec![12, 1, 0x28, 1, 0, 5, 0];
    objects.extend_from_slice(&[0x03, 1, 0xE8, 3, 0, 0, 0, 0, 0, 0, 0]);
    let r = run(&[
        to_outstation(&request(4, 5, &objects)),
        to_master(&response(0xC4, 129, [0, 0], &objects)),
    ]);
    let stats = op(&r, "DIRECT_OPERATE", None);
    assert_eq!(counts(stats), (1, 1, 0, 0));
    assert_eq!((stats.address_min, stats.address_end), (Some(5), Some(6)));
    assert_eq!(r.ops[0].0.class, OpClass::Write);
    assert_eq!(op(&r, "RESPONSE", Some(5)).responses, 1);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn restart_is_control_and_restart_iin_is_noted_without_anomaly() {
    let r = run(&[
        to_outstation(&request(1, 13, &[])),
        // IIN1.7 DEVICE_RESTART, IIN1.4 NEED_TIME; g52v2 time delay (count 1).
        to_master(&response(
            0xC1,
            129,
            [0x90, 0x00],
            &[52, 2, 0x07, 1, 0x10, 0x00],
        )),
    ]);
    assert_eq!(op(&r, "COLD_RESTART", None).count, 1);
    assert_eq!(r.ops[0].0.class, OpClass::Control);
    let facts: Vec<&str> = r.facts.iter().map(|(_, _, v)| v.as_str()).collect();
    assert_eq!(facts, vec!["NEED_TIME", "DEVICE_RESTART"]);
    assert!(r.facts.iter().all(|(c, f, _)| !c && *f == "cpu_state"));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn iin2_request_errors_make_an_error_response() {
    // IIN2.0 NO_FUNC_CODE_SUPPORT in answer to STOP_APPL.
    let r = run(&[
        to_outstation(&request(2, 18, &[])),
        to_master(&response(0xC2, 129, [0x00, 0x01], &[])),
    ]);
    assert_eq!(counts(op(&r, "RESPONSE", Some(18))), (0, 0, 1, 1));
}

#[test]
fn unsolicited_response_is_its_own_operation_and_confirm_is_counted() {
    let unsolicited = response(0xF5, 130, [0x00, 0x00], &[]);
    let confirm = vec![0xD5, 0x00];
    let r = run(&[to_master(&unsolicited), to_outstation(&confirm)]);
    assert_eq!(counts(op(&r, "UNSOLICITED_RESPONSE", None)), (1, 1, 0, 0));
    assert_eq!(r.ops[0].0.class, OpClass::Read);
    assert_eq!(counts(op(&r, "CONFIRM", None)), (1, 1, 0, 0));
    assert_eq!(r.ops[1].0.code, 0);
}

#[test]
fn response_without_its_request_is_unmatched() {
    let r = run(&[to_master(&response(0xC7, 129, [0, 0], &[]))]);
    assert_eq!(counts(op(&r, "RESPONSE", None)), (1, 0, 1, 0));
}

#[test]
fn repeated_requests_are_answered_in_order() {
    let select = request(7, 3, &[]);
    let r = run(&[
        to_outstation(&select),
        to_outstation(&select),
        to_master(&response(0xC7, 129, [0, 0], &[])),
        to_master(&response(0xC7, 129, [0, 0], &[])),
    ]);
    assert_eq!(counts(op(&r, "RESPONSE", Some(3))), (0, 0, 2, 0));
}

#[test]
fn secure_authentication_is_named_by_its_objects() {
    // AUTHENTICATE_REQ g120v4 session key status request (count 1, user number 1).
    let status_request = request(5, 32, &[120, 4, 0x07, 1, 1, 0]);
    // AUTHENTICATE_RESP g120v5 session key status, free format (0x5B, size prefix 2 octets).
    let status = response(0xC5, 131, [0, 0], &[120, 5, 0x5B, 1, 4, 0, 1, 2, 3, 4]);
    // DIRECT_OPERATE in aggressive mode: g120v3 first.
    let aggressive = request(6, 5, &[120, 3, 0x07, 1, 1, 0, 0, 0, 1, 0]);
    let r = run(&[
        to_outstation(&status_request),
        to_master(&status),
        to_outstation(&aggressive),
    ]);
    let o = r.ops[0].0;
    assert_eq!(
        (o.code, o.subcode, o.name),
        (32, Some(4), "SA Session Key Status Request")
    );
    assert_eq!(op(&r, "SA Session Key Status", Some(5)).responses, 1);
    assert_eq!(op(&r, "DIRECT_OPERATE (SA aggressive mode)", None).count, 1);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn device_attributes_become_identity_facts() {
    let read = request(9, 1, &[0, 254, 0x06]);
    let mut objects = Vec::new();
    for (variation, value) in [
        (252u8, &b"ACME Grid"[..]),
        (250, b"RTU-9000"),
        (242, b"4.2.1"),
    ] {
        // Qualifier 0x00, set 0..0, data type 1 (visible string), length, value.
        objects.extend_from_slice(&[0, variation, 0x00, 0, 0, 1, value.len() as u8]);
        objects.extend_from_slice(value);
    }
    let r = run(&[
        to_outstation(&read),
        to_master(&response(0xC9, 129, [0, 0], &objects)),
    ]);
    let facts: Vec<(&str, &str)> = r.facts.iter().map(|(_, f, v)| (*f, v.as_str())).collect();
    assert_eq!(
        facts,
        vec![
            ("vendor", "ACME Grid"),
            ("product_name", "RTU-9000"),
            ("firmware", "4.2.1")
        ]
    );
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn transport_segments_are_reassembled_across_a_sequence_wrap() {
    // A WRITE of 60 octet strings of 10 octets (g110v10): 2 + 7 + 600 octets, three segments
    // numbered 62, 63, 0.
    let mut objects = vec![110, 10, 0x01, 0, 0, 59, 0];
    objects.extend(std::iter::repeat_n(0x41, 600));
    let app = request(0, 2, &objects);
    let bytes = frames_from(MASTER, OUTSTATION, 62, &app);
    let r = run(&[(Direction::ToServer, bytes)]);
    let stats = op(&r, "WRITE", None);
    assert_eq!(stats.count, 1);
    assert_eq!((stats.address_min, stats.address_end), (Some(0), Some(60)));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn multi_fragment_responses_continue_their_request() {
    let read = request(2, 1, &[60, 1, 6]);
    let first = response(0x82, 129, [0, 0], &[]); // FIR, seq 2
    let last = response(0x43, 129, [0, 0], &[]); // FIN, seq 3
    let r = run(&[to_outstation(&read), to_master(&first), to_master(&last)]);
    assert_eq!(counts(op(&r, "RESPONSE", Some(1))), (0, 0, 2, 0));
}

#[test]
fn link_only_frames_are_not_operations() {
    let mut bytes = link(0xC9, OUTSTATION, MASTER, &[]); // request link status
    bytes.extend(link(0x0B, MASTER, OUTSTATION, &[])); // link status
    let r = run(&[(Direction::ToServer, bytes)]);
    assert!(r.ops.is_empty());
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn bad_header_crc_is_an_anomaly_and_the_next_frame_is_decoded() {
    let mut bad = frames_from(MASTER, OUTSTATION, 0, &request(0, 1, &[60, 1, 6]));
    bad[8] ^= 0xFF;
    let good_at = bad.len();
    let mut bytes = bad;
    bytes.extend(frames_from(MASTER, OUTSTATION, 1, &request(1, 23, &[])));
    let r = run(&[(Direction::ToServer, bytes)]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("link header CRC mismatch"));
    assert!(r.anomalies[0].contains("stream offset 0"));
    assert!(!r.anomalies[0].contains(&format!("offset {good_at}")));
    assert_eq!(r.ops.len(), 1);
    assert_eq!(op(&r, "DELAY_MEASURE", None).count, 1);
}

#[test]
fn bad_data_crc_drops_the_frame_with_the_block_offset() {
    let mut objects = vec![60, 1, 6];
    objects.extend_from_slice(&[60, 2, 6, 60, 3, 6, 60, 4, 6, 50, 1, 7, 1]);
    let mut bytes = frames_from(MASTER, OUTSTATION, 0, &request(0, 1, &objects));
    // The second data block starts at 10 + 18; damage its first octet.
    bytes[28] ^= 0x01;
    let r = run(&[(Direction::ToServer, bytes)]);
    assert!(r.ops.is_empty());
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("data block CRC mismatch"));
    assert!(r.anomalies[0].contains("stream offset 28"));
}

#[test]
fn malformed_objects_are_reported_and_still_counted() {
    // Range stop (1) below start (5).
    let r = run(&[to_outstation(&request(0, 4, &[12, 1, 0x00, 5, 1]))]);
    assert_eq!(op(&r, "OPERATE", None).count, 1);
    assert_eq!(r.anomalies.len(), 1);
    assert!(r.anomalies[0].contains("range stop below start"));
    assert!(r.anomalies[0].contains("stream offset 0"));
}

#[test]
fn unknown_functions_are_kept_with_their_number() {
    let r = run(&[to_outstation(&request(0, 77, &[]))]);
    let o = r.ops[0].0;
    assert_eq!(
        (o.code, o.name, o.class),
        (77, "Unknown Function", OpClass::Other)
    );
    assert_eq!(r.anomalies.len(), 1);
}

#[test]
fn unanswered_requests_are_capped() {
    let messages: Vec<(Direction, Vec<u8>)> = (0..60u16)
        .map(|i| {
            (
                Direction::ToServer,
                frames_from(MASTER, 100 + i, 0, &request(i as u8, 1, &[60, 1, 6])),
            )
        })
        .collect();
    let r = run(&messages);
    assert_eq!(op(&r, "READ", None).count, 60);
    assert_eq!(
        r.anomalies
            .iter()
            .filter(|a| a.contains("without a response"))
            .count(),
        1
    );
}

#[test]
fn oversized_fragments_are_capped_but_counted() {
    let mut objects = vec![110, 200, 0x08, 20, 0];
    objects.extend(std::iter::repeat_n(0x42, 4000));
    let bytes = frames_from(MASTER, OUTSTATION, 0, &request(0, 2, &objects));
    let r = run(&[(Direction::ToServer, bytes)]);
    assert_eq!(op(&r, "WRITE", None).count, 1);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains(&format!("longer than {MAX_FRAGMENT}")));
}

#[test]
fn fragments_in_flight_are_capped() {
    // First segments (FIR without FIN) from more sources than the cap.
    let bytes: Vec<u8> = (0..(MAX_IN_FLIGHT as u16 + 2))
        .flat_map(|source| link(0xC4, OUTSTATION, 200 + source, &[0x40, 0xC0, 0x01]))
        .collect();
    let r = run(&[(Direction::ToServer, bytes)]);
    assert!(r.ops.is_empty());
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("in reassembly"));
}

#[test]
fn probe_needs_a_header_with_a_valid_crc() {
    let frame = link(0xC4, OUTSTATION, MASTER, &[0xC0, 0xC0, 0x17]);
    assert_eq!(probe(&frame), Confidence::Certain);
    assert_eq!(probe(&frame[..10]), Confidence::Certain);
    assert_eq!(probe(&frame[..6]), Confidence::NeedMore);
    assert_eq!(probe(&[0x05]), Confidence::NeedMore);
    let mut bad = frame.clone();
    bad[9] ^= 0x55;
    assert_eq!(probe(&bad), Confidence::NotMine);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n\r\n"), Confidence::NotMine);
}

/// Collects frames (offset, length field) out of a framer fed in pieces.
fn frames_of(pieces: &[&[u8]]) -> Vec<(u64, u8, Vec<u8>)> {
    let mut framer = Framer::default();
    let mut out = Vec::new();
    for piece in pieces {
        framer.push(piece, &mut |e| {
            if let Event::Frame {
                offset,
                header,
                blocks,
            } = e
            {
                out.push((offset, header.length, blocks.to_vec()))
            }
        });
    }
    out
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let mut stream = frames_from(MASTER, OUTSTATION, 0, &request(0, 1, &[60, 1, 6]));
    stream.extend(link(0xC9, OUTSTATION, MASTER, &[]));
    stream.extend(frames_from(
        MASTER,
        OUTSTATION,
        1,
        &[
            0xC1, 2, 80, 1, 0, 7, 7, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
        ],
    ));
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
fn session_counts_are_the_same_at_every_split_point() {
    let stream = [
        frames_from(MASTER, OUTSTATION, 0, &request(0, 1, &[60, 1, 6])),
        frames_from(MASTER, OUTSTATION, 1, &request(1, 20, &[60, 2, 6])),
    ]
    .concat();
    for a in 0..=stream.len() {
        let r = run(&[
            (Direction::ToServer, stream[..a].to_vec()),
            (Direction::ToServer, stream[a..].to_vec()),
        ]);
        assert_eq!(r.ops.len(), 2, "split at {a}");
        assert!(r.anomalies.is_empty(), "split at {a}: {:?}", r.anomalies);
    }
}

#[test]
fn after_a_gap_the_framer_resynchronises_quietly() {
    let mut framer = Framer::default();
    let first = frames_from(MASTER, OUTSTATION, 0, &request(0, 1, &[60, 1, 6]));
    framer.push(&first[..7], &mut |_| {});
    framer.gap(100);
    let mut events = Vec::new();
    let mut tail = vec![0x11, 0x22, 0x33];
    tail.extend(frames_from(MASTER, OUTSTATION, 1, &request(1, 23, &[])));
    framer.push(&tail, &mut |e| {
        events.push(matches!(e, Event::Frame { .. }));
    });
    assert_eq!(events, vec![true]);
}

#[test]
fn garbage_is_skipped_and_reported_once() {
    let mut bytes = b"not dnp3 at all".to_vec();
    bytes.extend(frames_from(MASTER, OUTSTATION, 0, &request(0, 14, &[])));
    let r = run(&[(Direction::ToServer, bytes)]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("15 bytes skipped"));
    assert_eq!(op(&r, "WARM_RESTART", None).count, 1);
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
    fn session_never_panics_on_valid_frames_with_random_payloads(
        payloads in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 1..250)), 0..8)
    ) {
        // Valid CRCs so that arbitrary bytes reach the transport and application layers.
        let messages: Vec<(Direction, Vec<u8>)> = payloads
            .into_iter()
            .map(|(to_server, user)| {
                let (dir, src, dst) = if to_server {
                    (Direction::ToServer, MASTER, OUTSTATION)
                } else {
                    (Direction::ToClient, OUTSTATION, MASTER)
                };
                (dir, link(0x44, dst, src, &user))
            })
            .collect();
        let _ = run(&messages);
    }
}

#[test]
fn challenged_critical_request_gets_its_response_after_the_reply() {
    let mut crob = vec![12, 1, 0x28, 1, 0, 3, 0];
    crob.extend_from_slice(&[0x03, 1, 0xE8, 3, 0, 0, 0, 0, 0, 0, 0]);
    // Challenge (g120v1) and reply (g120v2) as free-format objects.
    let challenge = response(0xC6, 131, [0, 0], &[120, 1, 0x5B, 1, 2, 0, 0xAA, 0xBB]);
    let reply = request(6, 32, &[120, 2, 0x5B, 1, 2, 0, 0xCC, 0xDD]);
    let r = run(&[
        to_outstation(&request(6, 5, &crob)),
        to_master(&challenge),
        to_outstation(&reply),
        to_master(&response(0xC6, 129, [0, 0], &crob)),
    ]);
    assert_eq!(op(&r, "SA Challenge", Some(1)).responses, 1);
    assert_eq!(op(&r, "SA Reply", Some(2)).requests, 1);
    assert_eq!(counts(op(&r, "RESPONSE", Some(5))), (0, 0, 1, 0));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}
