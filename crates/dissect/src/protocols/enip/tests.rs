//! Byte-vector tests: framing at every split point, pairing, CIP unwrapping, exceptions,
//! identity, anomalies, caps.

use super::parser::{probe, Event, Framer};
use super::pdu::parse_path;
use super::session::EnipSession;
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

const SESSION: u32 = 0x1102_0100;

fn encap(command: u16, status: u32, context: u64, body: &[u8]) -> Vec<u8> {
    let mut v = command.to_le_bytes().to_vec();
    v.extend_from_slice(&(body.len() as u16).to_le_bytes());
    v.extend_from_slice(&SESSION.to_le_bytes());
    v.extend_from_slice(&status.to_le_bytes());
    v.extend_from_slice(&context.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(body);
    v
}

fn cpf(items: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut v = (items.len() as u16).to_le_bytes().to_vec();
    for (kind, data) in items {
        v.extend_from_slice(&kind.to_le_bytes());
        v.extend_from_slice(&(data.len() as u16).to_le_bytes());
        v.extend_from_slice(data);
    }
    v
}

/// SendRRData carrying an unconnected CIP message (null address + unconnected data items).
fn rr(context: u64, cip: &[u8]) -> Vec<u8> {
    let mut body = vec![0, 0, 0, 0, 10, 0];
    body.extend(cpf(&[(0x0000, vec![]), (0x00B2, cip.to_vec())]));
    encap(0x6F, 0, context, &body)
}

/// SendUnitData carrying a connected CIP message with its sequence count.
fn unit(connection: u32, sequence: u16, cip: &[u8]) -> Vec<u8> {
    unit_with_context(connection, sequence, 0, cip)
}

fn unit_with_context(connection: u32, sequence: u16, context: u64, cip: &[u8]) -> Vec<u8> {
    let mut body = vec![0, 0, 0, 0, 0, 0];
    let mut data = sequence.to_le_bytes().to_vec();
    data.extend_from_slice(cip);
    body.extend(cpf(&[
        (0x00A1, connection.to_le_bytes().to_vec()),
        (0x00B1, data),
    ]));
    encap(0x70, 0, context, &body)
}

/// A CIP request: service, path (padded EPATH), data.
fn request(service: u8, path: &[u8], data: &[u8]) -> Vec<u8> {
    assert_eq!(path.len() % 2, 0);
    let mut v = vec![service, (path.len() / 2) as u8];
    v.extend_from_slice(path);
    v.extend_from_slice(data);
    v
}

fn reply(service: u8, status: u8, data: &[u8]) -> Vec<u8> {
    let mut v = vec![service | 0x80, 0, status, 0];
    v.extend_from_slice(data);
    v
}

/// The Identity object's attributes 1-7 as a 1756-ENBT/A reports them.
fn enbt_identity() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&1u16.to_le_bytes()); // vendor
    v.extend_from_slice(&0x0Cu16.to_le_bytes()); // communications adapter
    v.extend_from_slice(&58u16.to_le_bytes()); // product code
    v.extend_from_slice(&[4, 3]); // revision
    v.extend_from_slice(&0x0030u16.to_le_bytes()); // status
    v.extend_from_slice(&0x0052_4d8eu32.to_le_bytes()); // serial
    v.push(11);
    v.extend_from_slice(b"1756-ENBT/A");
    v
}

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = EnipSession::default();
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

fn op<'a>(r: &'a Run, name: &str) -> (&'a Operation, &'a OpStats) {
    r.ops
        .iter()
        .find(|(o, _)| o.name == name)
        .map(|(o, s)| (o, s))
        .unwrap_or_else(|| panic!("no {name} in {:?}", r.ops))
}

fn counts(s: &OpStats) -> (u64, u64, u64, u64) {
    (s.count, s.requests, s.responses, s.exceptions)
}

use Direction::{ToClient, ToServer};

#[test]
fn list_identity_reply_gives_identity_facts() {
    let mut item = vec![1, 0]; // encapsulation version
    item.extend_from_slice(&[0, 2, 0xAF, 0x12, 10, 1, 1, 164, 0, 0, 0, 0, 0, 0, 0, 0]);
    item.extend(enbt_identity());
    item.push(3); // state
    let r = run(&[
        (ToServer, encap(0x63, 0, 7, &[])),
        (ToClient, encap(0x63, 0, 7, &cpf(&[(0x000C, item)]))),
    ]);
    let (o, s) = op(&r, "ListIdentity");
    assert_eq!((o.code, o.class), (0x1063, OpClass::Diagnostic));
    assert_eq!(counts(s), (1, 1, 1, 0));
    let facts: Vec<(&str, &str)> = r.facts.iter().map(|(_, f, v)| (*f, v.as_str())).collect();
    assert_eq!(
        facts,
        vec![
            ("vendor_id", "1"),
            ("vendor", "Rockwell Automation/Allen-Bradley"),
            ("device_type", "Communications Adapter"),
            ("product_code", "58"),
            ("revision", "4.3"),
            ("serial_number", "0x00524d8e"),
            ("product_name", "1756-ENBT/A"),
        ]
    );
    assert!(r.facts.iter().all(|(about_client, _, _)| !about_client));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn session_commands_pair_and_unregister_has_no_reply() {
    let r = run(&[
        (ToServer, encap(0x65, 0, 1, &[1, 0, 0, 0])),
        (ToClient, encap(0x65, 0, 1, &[1, 0, 0, 0])),
        (ToServer, encap(0x04, 0, 2, &[])),
        (
            ToClient,
            encap(0x04, 0, 2, &cpf(&[(0x0100, vec![1, 0, 0x20, 0x01])])),
        ),
        (ToServer, encap(0x66, 0, 3, &[])),
    ]);
    assert_eq!(counts(op(&r, "RegisterSession").1), (1, 1, 1, 0));
    assert_eq!(counts(op(&r, "ListServices").1), (1, 1, 1, 0));
    assert_eq!(counts(op(&r, "UnRegisterSession").1), (1, 1, 0, 0));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn encapsulation_error_status_is_an_exception() {
    let r = run(&[
        (ToServer, encap(0x65, 0, 1, &[1, 0, 0, 0])),
        (ToClient, encap(0x65, 0x69, 1, &[1, 0, 0, 0])),
    ]);
    assert_eq!(counts(op(&r, "RegisterSession").1), (1, 1, 1, 1));
}

#[test]
fn get_attribute_single_on_identity_is_diagnostic_and_pairs() {
    // Class 1, instance 1, attribute 7.
    let cip = request(0x0E, &[0x20, 0x01, 0x24, 0x01, 0x30, 0x07], &[]);
    let r = run(&[
        (ToServer, rr(5, &cip)),
        (ToClient, rr(5, &reply(0x0E, 0, b"\x0b1756-ENBT/A"))),
    ]);
    let (o, s) = op(&r, "Get_Attribute_Single (Identity)");
    assert_eq!(
        (o.code, o.subcode, o.class),
        (0x0E, Some(1), OpClass::Diagnostic)
    );
    assert_eq!(counts(s), (1, 1, 1, 0));
    assert_eq!(counts(op(&r, "SendRRData").1), (1, 1, 1, 0));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn cip_error_status_is_an_exception_but_partial_transfer_is_not() {
    // Assembly (class 4) instance 100 attribute 3, 16-bit instance segment.
    let get = request(0x0E, &[0x20, 0x04, 0x25, 0x00, 0x64, 0x00, 0x30, 0x03], &[]);
    let r = run(&[
        (ToServer, rr(1, &get)),
        (ToClient, rr(1, &reply(0x0E, 0x14, &[]))),
        (ToServer, rr(2, &get)),
        (ToClient, rr(2, &reply(0x0E, 0x06, &[1, 2]))),
    ]);
    let (o, s) = op(&r, "Get_Attribute_Single (Assembly)");
    assert_eq!((o.subcode, o.class), (Some(4), OpClass::Read));
    assert_eq!(counts(s), (2, 2, 2, 1));
}

#[test]
fn stop_to_controller_class_is_control_and_pairs_by_sequence() {
    // As in cip_stop_plc.pcap: Stop (0x07) to class 0x8E instance 1, connected.
    let stop = request(0x07, &[0x20, 0x8E, 0x24, 0x01], &[]);
    let r = run(&[
        (ToServer, unit(0xFF95_4022, 0x0106, &stop)),
        (ToClient, unit(0x1122_3344, 0x0106, &reply(0x07, 0, &[]))),
    ]);
    let (o, s) = op(&r, "Stop (Controller (0x8E))");
    assert_eq!(
        (o.code, o.subcode, o.class),
        (0x07, Some(0x8E), OpClass::Control)
    );
    assert_eq!(counts(s), (1, 1, 1, 0));
    assert_eq!(counts(op(&r, "SendUnitData").1), (1, 1, 1, 0));
}

#[test]
fn connected_replies_pair_by_sequence_not_arrival_order() {
    let read = request(0x4C, &[0x91, 0x03, b'T', b'a', b'g', 0], &[1, 0]);
    let write = request(
        0x4D,
        &[0x91, 0x03, b'T', b'a', b'g', 0],
        &[0xC4, 0, 1, 0, 1, 0, 0, 0],
    );
    // The client numbers its sender contexts; the target answers with zero (plant1 capture).
    let r = run(&[
        (ToServer, unit_with_context(1, 10, 0x00a3_a893, &read)),
        (ToServer, unit_with_context(1, 11, 0x00a4_a893, &write)),
        (ToClient, unit(2, 11, &reply(0x4D, 0, &[]))),
        (
            ToClient,
            unit(2, 10, &reply(0x4C, 0, &[0xC4, 0, 1, 0, 0, 0])),
        ),
    ]);
    let (o, s) = op(&r, "Read_Tag");
    assert_eq!((o.subcode, o.class), (None, OpClass::Read));
    assert_eq!(counts(s), (1, 1, 1, 0));
    let (o, s) = op(&r, "Write_Tag");
    assert_eq!(o.class, OpClass::Write);
    assert_eq!(counts(s), (1, 1, 1, 0));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn unconnected_send_is_unwrapped_and_identity_read_from_the_reply() {
    let inner = request(0x01, &[0x20, 0x01, 0x24, 0x01], &[]);
    let mut data = vec![0x0A, 0x0E];
    data.extend_from_slice(&(inner.len() as u16).to_le_bytes());
    data.extend_from_slice(&inner);
    data.extend_from_slice(&[1, 0, 0x01, 0x00]); // route: port 1, slot 0
    let send = request(0x52, &[0x20, 0x06, 0x24, 0x01], &data);
    let r = run(&[
        (ToServer, rr(9, &send)),
        (ToClient, rr(9, &reply(0x01, 0, &enbt_identity()))),
        (ToServer, rr(10, &send)),
        (ToClient, rr(10, &[0xD2, 0, 0x01, 1, 0x04, 0x01, 0])),
    ]);
    let (o, s) = op(&r, "Unconnected_Send");
    assert_eq!(
        (o.code, o.subcode, o.class),
        (0x52, Some(6), OpClass::Other)
    );
    assert_eq!(counts(s), (2, 2, 1, 1), "the routing failure is its reply");
    let (o, s) = op(&r, "Get_Attributes_All (Identity)");
    assert_eq!(o.class, OpClass::Diagnostic);
    assert_eq!(counts(s), (2, 2, 1, 0));
    assert!(r
        .facts
        .iter()
        .any(|(_, f, v)| *f == "product_name" && v == "1756-ENBT/A"));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn multiple_service_packet_is_expanded_and_paired_by_position() {
    let a = request(0x03, &[0x20, 0x01, 0x24, 0x01], &[1, 0, 1, 0]);
    let b = request(0x10, &[0x20, 0xF5, 0x24, 0x01, 0x30, 0x05], &[1, 2, 3, 4]);
    let msp = |parts: &[Vec<u8>]| {
        let mut data = (parts.len() as u16).to_le_bytes().to_vec();
        let mut offset = 2 + 2 * parts.len();
        for p in parts {
            data.extend_from_slice(&(offset as u16).to_le_bytes());
            offset += p.len();
        }
        for p in parts {
            data.extend_from_slice(p);
        }
        data
    };
    let req = request(0x0A, &[0x20, 0x02, 0x24, 0x01], &msp(&[a, b]));
    let rep = reply(
        0x0A,
        0x1E,
        &msp(&[
            reply(0x03, 0, &[1, 0, 1, 0, 0, 0, 1, 0]),
            reply(0x10, 0x0E, &[]),
        ]),
    );
    let r = run(&[(ToServer, unit(1, 1, &req)), (ToClient, unit(2, 1, &rep))]);
    assert_eq!(
        counts(op(&r, "Multiple_Service_Packet").1),
        (1, 1, 1, 1),
        "embedded service error"
    );
    assert_eq!(
        counts(op(&r, "Get_Attribute_List (Identity)").1),
        (1, 1, 1, 0)
    );
    let (o, s) = op(&r, "Set_Attribute_Single (TCP/IP Interface)");
    assert_eq!(o.class, OpClass::Write);
    assert_eq!(counts(s), (1, 1, 1, 1));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn firmware_and_reset_and_lock_are_classified() {
    let nvs = request(0x4D, &[0x20, 0xA1, 0x24, 0x01], &[0; 8]);
    let reset = request(0x05, &[0x20, 0x01, 0x24, 0x01], &[]);
    let unlock = request(0x4C, &[0x20, 0x8E, 0x24, 0x01, 0x20, 0x74, 0x24, 0x01], &[]);
    let r = run(&[
        (ToServer, rr(1, &nvs)),
        (ToServer, rr(2, &reset)),
        (ToServer, unit(1, 3, &unlock)),
    ]);
    let class_of = |code: u16| r.ops.iter().find(|(o, _)| o.code == code).unwrap().0.class;
    assert_eq!(class_of(0x4D), OpClass::Program);
    assert_eq!(class_of(0x05), OpClass::Control);
    assert_eq!(class_of(0x4C), OpClass::Control);
}

#[test]
fn reply_without_request_is_unmatched() {
    let r = run(&[(ToClient, rr(1, &reply(0x0E, 0, &[1])))]);
    assert_eq!(counts(op(&r, "SendRRData").1), (1, 0, 1, 0));
    let (o, s) = op(&r, "Get_Attribute_Single");
    assert_eq!(o.subcode, None);
    assert_eq!(counts(s), (1, 0, 1, 0));
}

#[test]
fn implicit_io_datagrams_are_counted() {
    let mut data = 7u16.to_le_bytes().to_vec(); // connected data: sequence, then I/O data
    data.extend_from_slice(&[1, 0, 0, 0, 0xAA, 0xBB]);
    let datagram = cpf(&[
        (0x8002, [0x11u8, 0x22, 0x33, 0x44, 5, 0, 0, 0].to_vec()),
        (0x00B1, data),
    ]);
    assert_eq!(probe(&datagram), Confidence::Certain);
    let r = run(&[(ToServer, datagram.clone()), (ToClient, datagram)]);
    let (o, s) = op(&r, "Implicit I/O");
    assert_eq!((o.code, o.class), (0x2000, OpClass::Read));
    assert_eq!(counts(s), (2, 2, 0, 0));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn paths_decode_every_segment_kind() {
    // Port 1 link 0, 32-bit class 0x6B, electronic key, ANSI symbol "ab" (odd length: padded).
    let path = [
        0x01, 0x00, 0x22, 0x00, 0x6B, 0x00, 0x00, 0x00, 0x34, 0x04, 1, 0, 0x0C, 0, 58, 0, 4, 3,
        0x91, 0x03, b'a', b'b', b'c', 0x00,
    ];
    let info = parse_path(&path).unwrap();
    assert_eq!((info.class, info.symbolic), (Some(0x6B), true));
    // Extended port (16-bit port id) with a 2-byte link address: 1+1+2+2 = 6 bytes.
    let info = parse_path(&[0x1F, 0x02, 0x12, 0x00, 0x0A, 0x0B, 0x20, 0x02]).unwrap();
    assert_eq!(info.class, Some(2));
    assert!(
        parse_path(&[0x21, 0x00, 0x01]).is_err(),
        "truncated 16-bit class"
    );
    assert!(parse_path(&[0xE0, 0x00]).is_err(), "reserved segment type");
}

#[test]
fn malformed_cpf_is_an_anomaly_with_offset_and_still_counted() {
    let first = encap(0x65, 0, 1, &[1, 0, 0, 0]);
    // SendRRData whose item claims 200 bytes.
    let mut body = vec![0, 0, 0, 0, 0, 0, 1, 0, 0xB2, 0, 200, 0, 0x0E];
    body.push(0);
    let bad = encap(0x6F, 0, 2, &body);
    let mut stream = first.clone();
    stream.extend(bad);
    let r = run(&[(ToServer, stream)]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("malformed Common Packet Format: item runs past the message"));
    assert!(r.anomalies[0].contains(&format!("stream offset {}", first.len())));
    assert_eq!(counts(op(&r, "SendRRData").1), (1, 1, 0, 0));
}

#[test]
fn malformed_path_is_an_anomaly_and_the_service_still_counted() {
    let bad = request(0x0E, &[0xE0, 0x00], &[]);
    let r = run(&[(ToServer, rr(1, &bad))]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("malformed request path"));
    assert_eq!(counts(op(&r, "Get_Attribute_Single").1), (1, 1, 0, 0));
}

#[test]
fn garbage_between_messages_is_skipped_and_reported_once() {
    let mut stream = encap(0x65, 0, 1, &[1, 0, 0, 0]);
    let garbage_at = stream.len();
    stream.extend_from_slice(b"\xde\xad\xbe\xef this is not enip at all, really not");
    stream.extend(encap(0x04, 0, 2, &[]));
    let r = run(&[(ToServer, stream)]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains(&format!("stream offset {garbage_at}")));
    assert_eq!(counts(op(&r, "ListServices").1), (1, 1, 0, 0));
}

#[test]
fn pending_requests_are_capped() {
    let messages: Vec<(Direction, Vec<u8>)> = (0..100u64)
        .map(|c| (ToServer, encap(0x63, 0, c, &[])))
        .collect();
    let r = run(&messages);
    assert_eq!(
        r.anomalies
            .iter()
            .filter(|a| a.contains("without a reply"))
            .count(),
        1
    );
    assert_eq!(counts(op(&r, "ListIdentity").1), (100, 100, 0, 0));
}

#[test]
fn probe_tells_enip_from_other_protocols() {
    assert_eq!(
        probe(&encap(0x65, 0, 0, &[1, 0, 0, 0])),
        Confidence::Certain
    );
    assert_eq!(
        probe(&rr(0, &request(0x0E, &[0x20, 1, 0x24, 1], &[]))),
        Confidence::Certain
    );
    assert_eq!(probe(&encap(0x63, 0, 0, &[])), Confidence::Maybe);
    assert_eq!(probe(&encap(0x01, 0, 0, &[])), Confidence::Maybe, "legacy");
    assert_eq!(
        probe(b"GET / HTTP/1.1\r\nHost: plc\r\n\r\n"),
        Confidence::NotMine
    );
    assert_eq!(probe(&[0x65, 0x00, 0x04]), Confidence::NeedMore);
    // A Modbus/TCP frame.
    assert_eq!(
        probe(&[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1]),
        Confidence::NotMine
    );
    // Zeros parse as NOP headers: never more than a port-decided maybe.
    assert_eq!(probe(&[0u8; 72]), Confidence::Maybe);
    let partial = rr(0, &request(0x0E, &[0x20, 1, 0x24, 1], &[]));
    assert_eq!(probe(&partial[..30]), Confidence::Maybe);
}

/// Collects messages out of a framer fed in pieces.
fn frames_of(pieces: &[&[u8]]) -> Vec<(u64, u16, Vec<u8>)> {
    let mut framer = Framer::default();
    let mut out = Vec::new();
    for piece in pieces {
        framer.push(piece, &mut |e| {
            if let Event::Frame {
                offset,
                header,
                body,
            } = e
            {
                out.push((offset, header.command, body.to_vec()))
            }
        });
    }
    out
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let mut stream = encap(0x65, 0, 1, &[1, 0, 0, 0]);
    stream.extend(rr(2, &request(0x0E, &[0x20, 1, 0x24, 1, 0x30, 7], &[])));
    stream.extend(encap(0x66, 0, 3, &[]));
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
    let first = rr(1, &request(0x0E, &[0x20, 1, 0x24, 1, 0x30, 7], &[]));
    framer.push(&first[..30], &mut |_| {});
    framer.gap(100);
    let mut frames = Vec::new();
    let mut tail = first[30..].to_vec();
    tail.extend(encap(0x65, 0, 9, &[1, 0, 0, 0]));
    framer.push(&tail, &mut |e| {
        if let Event::Frame { header, .. } = e {
            frames.push(header.command)
        }
    });
    assert_eq!(frames, vec![0x65]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn session_never_panics(chunks in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..300)), 0..8)) {
        let messages: Vec<(Direction, Vec<u8>)> = chunks
            .into_iter()
            .map(|(to_server, b)| (if to_server { ToServer } else { ToClient }, b))
            .collect();
        let _ = run(&messages);
    }

    #[test]
    fn session_never_panics_on_mutated_messages(flip in any::<(u8, u8)>(), cut in 0usize..80) {
        // Valid messages with one byte changed and a cut: exercises the deep decoders.
        let inner = request(0x01, &[0x20, 0x01, 0x24, 0x01], &[]);
        let mut data = vec![0x0A, 0x0E];
        data.extend_from_slice(&(inner.len() as u16).to_le_bytes());
        data.extend_from_slice(&inner);
        data.extend_from_slice(&[1, 0, 0x01, 0x00]);
        let mut msg = rr(1, &request(0x52, &[0x20, 0x06, 0x24, 0x01], &data));
        let i = usize::from(flip.0) % msg.len();
        msg[i] ^= flip.1;
        let cut = cut.min(msg.len());
        let _ = run(&[(ToServer, msg[..cut].to_vec()), (ToServer, msg[cut..].to_vec()), (ToClient, msg)]);
    }
}
