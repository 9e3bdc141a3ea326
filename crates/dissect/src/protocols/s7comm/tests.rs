//! Byte-vector tests: TPKT framing at every split point, COTP reassembly, S7comm jobs and
//! userdata, S7comm-plus, pairing, errors, identity, caps.

use super::parser::{probe, Event, Framer, Joined, Reassembler, REASSEMBLY_CAP};
use super::session::S7Session;
use crate::{Confidence, OpClass, OpStats, Operation, Output, Protocol, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

const C: Direction = Direction::ToServer;
const S: Direction = Direction::ToClient;

/// TPKT + COTP DT (class 0) around a user message.
fn dt(eot: bool, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![3, 0];
    v.extend_from_slice(&((payload.len() + 7) as u16).to_be_bytes());
    v.extend_from_slice(&[2, 0xF0, if eot { 0x80 } else { 0 }]);
    v.extend_from_slice(payload);
    v
}

/// An S7comm PDU: header (with error class/code for ack and ack-data), parameters, data.
fn s7(rosctr: u8, pdu_ref: u16, error: (u8, u8), param: &[u8], data: &[u8]) -> Vec<u8> {
    let mut v = vec![0x32, rosctr, 0, 0];
    v.extend_from_slice(&pdu_ref.to_be_bytes());
    v.extend_from_slice(&(param.len() as u16).to_be_bytes());
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    if matches!(rosctr, 2 | 3) {
        v.extend_from_slice(&[error.0, error.1]);
    }
    v.extend_from_slice(param);
    v.extend_from_slice(data);
    v
}

fn job(pdu_ref: u16, param: &[u8], data: &[u8]) -> Vec<u8> {
    dt(true, &s7(1, pdu_ref, (0, 0), param, data))
}

fn ack_data(pdu_ref: u16, error: (u8, u8), param: &[u8], data: &[u8]) -> Vec<u8> {
    dt(true, &s7(3, pdu_ref, error, param, data))
}

/// S7ANY item: transport size, count, DB, area, byte offset.
fn any_item(size: u8, count: u16, db: u16, area: u8, byte: u32) -> Vec<u8> {
    let mut v = vec![0x12, 0x0A, 0x10, size];
    v.extend_from_slice(&count.to_be_bytes());
    v.extend_from_slice(&db.to_be_bytes());
    v.push(area);
    v.extend_from_slice(&(byte << 3).to_be_bytes()[1..]);
    v
}

/// Userdata request: group, sub-function, data value (return code 0xFF, octet string).
fn ud_request(pdu_ref: u16, grp: u8, sub: u8, value: &[u8]) -> Vec<u8> {
    let param = [0x00, 0x01, 0x12, 0x04, 0x11, 0x40 | grp, sub, 0x00];
    let mut data = vec![0xFF, 0x09];
    data.extend_from_slice(&(value.len() as u16).to_be_bytes());
    data.extend_from_slice(value);
    dt(true, &s7(7, pdu_ref, (0, 0), &param, &data))
}

fn ud_response(pdu_ref: u16, grp: u8, sub: u8, more: bool, error: u16, value: &[u8]) -> Vec<u8> {
    let e = error.to_be_bytes();
    let param = [
        0x00,
        0x01,
        0x12,
        0x08,
        0x12,
        0x80 | grp,
        sub,
        0x01,
        0x00,
        u8::from(more),
        e[0],
        e[1],
    ];
    let mut data = vec![0xFF, 0x09];
    data.extend_from_slice(&(value.len() as u16).to_be_bytes());
    data.extend_from_slice(value);
    dt(true, &s7(7, pdu_ref, (0, 0), &param, &data))
}

/// An S7comm-plus message (V1/V2 layout, or V3 with a 32-byte integrity part) with trailer.
fn plus(version: u8, opcode: u8, function: u16, seq: u16, trailer: bool) -> Vec<u8> {
    let mut body = Vec::new();
    if version == 3 {
        body.push(0x20);
        body.extend_from_slice(&[0xAA; 32]);
    }
    body.push(opcode);
    if opcode != 0x33 {
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&function.to_be_bytes());
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&seq.to_be_bytes());
        if opcode == 0x31 {
            body.extend_from_slice(&[0x70, 0x00, 0x0E, 0x4D, 0x34]);
        } else {
            body.extend_from_slice(&[0x34, 0x00]);
        }
    } else {
        body.extend_from_slice(&[0x70, 0x00, 0x0E, 0x51, 0x04]);
    }
    body.extend_from_slice(&[0, 0, 0, 0]);
    let mut v = vec![0x72, version];
    v.extend_from_slice(&(body.len() as u16).to_be_bytes());
    v.extend_from_slice(&body);
    if trailer {
        v.extend_from_slice(&[0x72, version, 0, 0]);
    }
    dt(true, &v)
}

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = S7Session::default();
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

fn op<'a>(r: &'a Run, name: &str) -> &'a (Operation, OpStats) {
    r.ops
        .iter()
        .find(|(o, _)| o.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", r.ops))
}

fn counts(s: &OpStats) -> (u64, u64, u64, u64) {
    (s.count, s.requests, s.responses, s.exceptions)
}

fn fact<'a>(r: &'a Run, field: &str) -> Vec<&'a str> {
    r.facts
        .iter()
        .filter(|(_, f, _)| *f == field)
        .map(|(_, _, v)| v.as_str())
        .collect()
}

#[test]
fn setup_communication_pairs_by_pdu_reference() {
    let param = [0xF0, 0, 0, 1, 0, 1, 0x01, 0xE0];
    let r = run(&[
        (C, job(0x0100, &param, &[])),
        (S, ack_data(0x0100, (0, 0), &param, &[])),
    ]);
    let (o, s) = op(&r, "Setup Communication");
    assert_eq!(
        (o.code, o.class, o.protocol),
        (0xF0, OpClass::Other, Protocol::S7comm)
    );
    assert_eq!(counts(s), (1, 1, 1, 0));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn read_var_items_give_area_and_byte_range() {
    let mut param = vec![0x04, 2];
    param.extend(any_item(0x02, 4, 1, 0x84, 10)); // DB1.DBB10, 4 bytes
    param.extend(any_item(0x04, 2, 1, 0x84, 20)); // DB1.DBW20, 2 words
    let data = [
        0xFF, 0x04, 0x00, 0x20, 1, 2, 3, 4, 0xFF, 0x04, 0x00, 0x20, 5, 6, 7, 8,
    ];
    let r = run(&[
        (C, job(5, &param, &[])),
        (S, ack_data(5, (0, 0), &[0x04, 2], &data)),
    ]);
    let (o, s) = op(&r, "Read Var");
    assert_eq!((o.code, o.subcode, o.class), (4, Some(0x84), OpClass::Read));
    assert_eq!(counts(s), (1, 1, 1, 0));
    assert_eq!((s.address_min, s.address_end), (Some(10), Some(24)));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn write_var_item_error_is_an_exception() {
    let mut param = vec![0x05, 1];
    param.extend(any_item(0x02, 2, 0, 0x82, 0)); // QB0..QB1
    let data = [0x00, 0x04, 0x00, 0x10, 0xAB, 0xCD];
    let r = run(&[
        (C, job(6, &param, &data)),
        (S, ack_data(6, (0, 0), &[0x05, 1], &[0x0A])),
    ]);
    let (o, s) = op(&r, "Write Var");
    assert_eq!((o.subcode, o.class), (Some(0x82), OpClass::Write));
    assert_eq!(counts(s), (1, 1, 1, 1));
    assert_eq!((s.address_min, s.address_end), (Some(0), Some(2)));
}

#[test]
fn plc_stop_is_control_and_pi_services_are_named() {
    let stop = [&[0x29, 0, 0, 0, 0, 0, 9][..], b"P_PROGRAM"].concat();
    let inse = [
        &[0x28, 0, 0, 0, 0, 0, 0, 0xFD, 0, 10, 0x01, 0x00][..],
        b"0A00001P",
        &[5],
        b"_INSE",
    ]
    .concat();
    let start = [
        &[0x28, 0, 0, 0, 0, 0, 0, 0xFD, 0, 0][..],
        &[9],
        b"P_PROGRAM",
    ]
    .concat();
    let r = run(&[
        (C, job(1, &stop, &[])),
        (S, ack_data(1, (0, 0), &[0x29], &[])),
        (C, job(2, &inse, &[])),
        (S, ack_data(2, (0, 0), &[0x28], &[])),
        (C, job(3, &start, &[])),
    ]);
    let (o, s) = op(&r, "PLC Stop");
    assert_eq!((o.code, o.class), (0x29, OpClass::Control));
    assert_eq!(counts(s), (1, 1, 1, 0));
    let (o, _) = op(&r, "PI-Service _INSE (activate block)");
    assert_eq!(
        (o.code, o.subcode, o.class),
        (0x28, Some(0), OpClass::Program)
    );
    let (o, _) = op(&r, "PI-Service P_PROGRAM (start PLC)");
    assert_eq!(o.class, OpClass::Control);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn ack_with_error_class_pairs_and_counts_as_exception() {
    let upload = [&[0x1D, 0, 0, 0, 0, 0, 0, 0, 9][..], b"_0B00000A"].concat();
    let r = run(&[
        (C, job(7, &upload, &[])),
        (S, dt(true, &s7(2, 7, (0xD2, 0x41), &[], &[]))),
        (S, dt(true, &s7(2, 99, (0x85, 0x00), &[], &[]))),
    ]);
    let (o, s) = op(&r, "Start Upload");
    assert_eq!(o.class, OpClass::Program);
    assert_eq!(counts(s), (1, 1, 1, 1));
    let (o, s) = op(&r, "Ack (job not seen)");
    assert_eq!(o.code, 0x0200);
    assert_eq!(counts(s), (1, 0, 1, 1));
}

#[test]
fn download_block_job_sent_by_the_plc_pairs_with_the_client_ack() {
    let param = [&[0x1B, 0, 0, 0, 0, 0, 0, 0, 9][..], b"_0A00001P"].concat();
    let r = run(&[
        (S, job(0x65, &param, &[])),
        (
            C,
            ack_data(0x65, (0, 0), &[0x1B, 0], &[0, 4, 0, 0, 1, 2, 3, 4]),
        ),
    ]);
    let (o, s) = op(&r, "Download Block");
    assert_eq!(o.class, OpClass::Program);
    assert_eq!(counts(s), (1, 1, 1, 0));
}

#[test]
fn unmatched_ack_data_is_counted_once() {
    let r = run(&[(
        S,
        ack_data(9, (0, 0), &[0x04, 1], &[0xFF, 0x04, 0, 8, 0x42]),
    )]);
    let (_, s) = op(&r, "Read Var");
    assert_eq!(counts(s), (1, 0, 1, 0));
}

/// SZL 0x0011 module identification records (index, 20-byte MLFB, BGTyp, Ausbg, Ausbe).
fn szl_0011() -> Vec<u8> {
    let mut v = vec![0x00, 0x11, 0x00, 0x00, 0x00, 28, 0x00, 2];
    v.extend_from_slice(&[0, 1]);
    v.extend_from_slice(b"6ES7 315-2EH14-0AB0 ");
    v.extend_from_slice(&[0x00, 0xC0, 0x00, 0x03, 0x00, 0x01]);
    v.extend_from_slice(&[0, 7]);
    v.extend_from_slice(&[b' '; 20]);
    v.extend_from_slice(&[0x00, 0xC0, b'V', 3, 2, 7]);
    v
}

#[test]
fn szl_module_identification_gives_order_code_and_firmware() {
    let r = run(&[
        (C, ud_request(1, 4, 1, &[0x00, 0x11, 0x00, 0x00])),
        (S, ud_response(1, 4, 1, false, 0, &szl_0011())),
    ]);
    let (o, s) = op(&r, "Read SZL");
    assert_eq!(
        (o.code, o.subcode, o.class),
        (0x7401, Some(0x0011), OpClass::Diagnostic)
    );
    assert_eq!(counts(s), (1, 1, 1, 0));
    assert_eq!(fact(&r, "order_code"), vec!["6ES7 315-2EH14-0AB0"]);
    assert_eq!(fact(&r, "firmware"), vec!["V3.2.7"]);
    assert!(r.facts.iter().all(|(about_client, _, _)| !about_client));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn szl_component_identification_is_decoded_across_fragments() {
    let record = |index: u16, text: &[u8]| {
        let mut v = index.to_be_bytes().to_vec();
        let mut t = text.to_vec();
        t.resize(32, 0);
        v.extend(t);
        v
    };
    let mut records = Vec::new();
    for (i, t) in [
        (1u16, &b"S7300/ET200M station_1"[..]),
        (2, b"PLC_1"),
        (3, b""),
        (4, b"Original Siemens Equipment"),
        (5, b"S C-B1U393142011"),
        (7, b"CPU 315-2 PN/DP"),
    ] {
        records.extend(record(i, t));
    }
    let mut first = vec![0x00, 0x1C, 0x00, 0x00, 0x00, 34, 0x00, 6];
    // Cut the serial-number record in the middle.
    let cut = 4 * 34 + 20;
    first.extend_from_slice(&records[..cut]);
    let r = run(&[
        (C, ud_request(2, 4, 1, &[0x00, 0x1C, 0x00, 0x00])),
        (S, ud_response(2, 4, 1, true, 0, &first)),
        (
            C,
            dt(
                true,
                &s7(
                    7,
                    3,
                    (0, 0),
                    &[0, 1, 0x12, 8, 0x12, 0x44, 1, 1, 0xD5, 0, 0, 0],
                    &[0x0A, 0, 0, 0],
                ),
            ),
        ),
        (S, ud_response(3, 4, 1, false, 0, &records[cut..])),
    ]);
    assert_eq!(fact(&r, "station_name"), vec!["S7300/ET200M station_1"]);
    assert_eq!(fact(&r, "module_name"), vec!["PLC_1"]);
    assert_eq!(fact(&r, "serial_number"), vec!["S C-B1U393142011"]);
    assert_eq!(fact(&r, "module_type"), vec!["CPU 315-2 PN/DP"]);
    assert!(fact(&r, "plant_name").is_empty());
    // The follow-up request keeps the SZL id of the request it continues.
    let (_, s) = r
        .ops
        .iter()
        .find(|(o, _)| o.subcode == Some(0x001C))
        .unwrap();
    assert_eq!(counts(s), (2, 2, 2, 0));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn cpu_state_from_szl_0424_and_mode_transition_push() {
    let mut value = vec![0x04, 0x24, 0x00, 0x00, 0x00, 20, 0x00, 1];
    value.extend_from_slice(&[0x51, 0x44, 0xFF, 0x08]);
    value.extend_from_slice(&[0; 16]);
    let push = s7(
        7,
        0,
        (0, 0),
        &[0x01, 0x00, 0x10, 0x10, 0x00, 0x00, 0x00, 0x00],
        &[],
    );
    let r = run(&[
        (C, ud_request(5, 4, 1, &[0x04, 0x24, 0x00, 0x00])),
        (S, ud_response(5, 4, 1, false, 0, &value)),
        (S, dt(true, &push)),
    ]);
    assert_eq!(fact(&r, "cpu_state"), vec!["RUN", "STOP"]);
    let (o, s) = op(&r, "Mode Transition");
    assert_eq!((o.code, o.subcode), (0x7000, Some(0)));
    assert_eq!(counts(s), (1, 0, 1, 0));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn userdata_error_code_and_classes() {
    let r = run(&[
        (C, ud_request(8, 5, 1, b"password")),
        (S, ud_response(8, 5, 1, false, 0xD602, &[])),
        (C, ud_request(9, 7, 2, &[0; 10])),
        (C, ud_request(10, 3, 1, &[])),
    ]);
    let (o, s) = op(&r, "PLC Password");
    assert_eq!((o.code, o.class), (0x7501, OpClass::Control));
    assert_eq!(counts(s), (1, 1, 1, 1));
    assert_eq!(op(&r, "Set Clock").0.class, OpClass::Control);
    assert_eq!(op(&r, "List Blocks").0.class, OpClass::Read);
}

#[test]
fn segmented_cotp_message_is_joined() {
    let pdu = s7(1, 4, (0, 0), &[0xF0, 0, 0, 1, 0, 1, 0x01, 0xE0], &[]);
    let mut stream = dt(false, &pdu[..5]);
    stream.extend(dt(true, &pdu[5..]));
    let r = run(&[(C, stream)]);
    assert_eq!(op(&r, "Setup Communication").1.requests, 1);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn reassembly_is_capped() {
    let mut re = Reassembler::default();
    let chunk = vec![0u8; 8000];
    let mut overflow = None;
    let n = (REASSEMBLY_CAP / chunk.len() + 2) as u64;
    for i in 0..n {
        if let Joined::Overflow { offset } = re.push(i * 8007, false, &chunk) {
            overflow = Some(offset);
        }
    }
    assert_eq!(overflow, Some(0));
    // TPDUs are dropped until the EOT; the next message is whole again.
    assert_eq!(re.push(80_070, true, b"x"), Joined::Pending);
    assert_eq!(
        re.push(80_080, true, b"\x32"),
        Joined::Message {
            offset: 80_080,
            bytes: b"\x32"
        }
    );
}

#[test]
fn s7comm_plus_pairs_by_sequence_number_and_reports_integrity() {
    let r = run(&[
        (C, plus(1, 0x31, 0x04CA, 1, true)),
        (S, plus(1, 0x32, 0x04CA, 1, true)),
        (C, plus(3, 0x31, 0x054C, 2, true)),
        (S, plus(3, 0x32, 0x054C, 2, true)),
        (S, plus(3, 0x33, 0, 0, true)),
        (C, plus(3, 0x31, 0x04F2, 3, true)),
    ]);
    let (o, s) = op(&r, "GetMultiVariables");
    assert_eq!(
        (o.protocol, o.code, o.class),
        (Protocol::S7commPlus, 0x054C, OpClass::Read)
    );
    assert_eq!(counts(s), (1, 1, 1, 0));
    assert_eq!(counts(&op(&r, "CreateObject").1), (1, 1, 1, 0));
    assert_eq!(counts(&op(&r, "Notification").1), (1, 0, 1, 0));
    assert_eq!(op(&r, "SetVariable").0.class, OpClass::Write);
    assert_eq!(fact(&r, "s7comm_plus_integrity"), vec!["protected"]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn s7comm_plus_version_1_session_is_unprotected_and_fragments_count_once() {
    let mut continuation = vec![0x72, 1, 0, 3, 1, 2, 3, 0x72, 1, 0, 0];
    continuation = dt(true, &continuation);
    let r = run(&[
        (C, plus(1, 0x31, 0x054C, 9, false)),
        (C, continuation),
        (S, plus(1, 0x32, 0x054C, 9, true)),
    ]);
    assert_eq!(counts(&op(&r, "GetMultiVariables").1), (1, 1, 1, 0));
    assert_eq!(fact(&r, "s7comm_plus_integrity"), vec!["unprotected"]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn malformed_pdu_is_an_anomaly_with_offset_and_the_next_still_counts() {
    let first = job(1, &[0x04, 3, 0x12], &[]); // item list shorter than its count
    let at = first.len();
    let mut bytes = first;
    bytes.extend(dt(true, &[0x32, 1, 0, 0, 0, 2, 0, 9, 0, 0, 0xF0])); // lengths run past
    bytes.extend(job(3, &[0x29, 0, 0, 0, 0, 0, 0], &[]));
    let r = run(&[(C, bytes)]);
    assert_eq!(r.anomalies.len(), 2, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("malformed Read Var request"));
    assert!(r.anomalies[0].contains("stream offset 0"));
    assert!(r.anomalies[1].contains("malformed S7comm PDU"));
    assert!(r.anomalies[1].contains(&format!("stream offset {at}")));
    assert_eq!(op(&r, "Read Var").1.requests, 1);
    assert_eq!(op(&r, "PLC Stop").1.requests, 1);
}

#[test]
fn garbage_between_packets_is_skipped_and_reported_once() {
    let first = job(1, &[0x29, 0, 0, 0, 0, 0, 0], &[]);
    let at = first.len();
    let mut bytes = first;
    bytes.extend_from_slice(b"\xde\xad\xbe\xef garbage here");
    bytes.extend(job(2, &[0x29, 0, 0, 0, 0, 0, 0], &[]));
    let r = run(&[(C, bytes)]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains(&format!("stream offset {at}")));
    assert_eq!(op(&r, "PLC Stop").1.requests, 2);
}

#[test]
fn pending_requests_are_capped() {
    let messages: Vec<(Direction, Vec<u8>)> = (0..100u16)
        .map(|t| (C, job(t, &[0x29, 0, 0, 0, 0, 0, 0], &[])))
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
fn probe_tells_s7_from_other_tpkt_users_and_noise() {
    let cr = [
        3, 0, 0, 22, 17, 0xE0, 0, 0, 0, 1, 0, 0xC0, 1, 0x0A, 0xC1, 2, 1, 0, 0xC2, 2, 1, 2,
    ];
    assert_eq!(probe(&cr), Confidence::Certain);
    // MMS's CC (calling 0x0002, called 0x0200): one S7-looking TSAP is not enough.
    let mms_cc = [
        3, 0, 0, 22, 17, 0xD0, 0, 1, 0, 4, 0, 0xC1, 2, 0, 2, 0xC2, 2, 2, 0, 0xC0, 1, 0x0A,
    ];
    assert_eq!(probe(&mms_cc), Confidence::NeedMore);
    // A CR without S7 TSAPs (MMS, RDP…): the first data TPDU decides.
    let other = [3, 0, 0, 11, 6, 0xE0, 0, 0, 0, 0, 0];
    assert_eq!(probe(&other), Confidence::NeedMore);
    let mut then_s7 = other.to_vec();
    then_s7.extend(job(1, &[0xF0, 0, 0, 1, 0, 1, 1, 0xE0], &[]));
    assert_eq!(probe(&then_s7), Confidence::Certain);
    let mut then_mms = other.to_vec();
    then_mms.extend(dt(true, &[0x0D, 0xB3, 0x05, 0x06]));
    assert_eq!(probe(&then_mms), Confidence::NotMine);
    assert_eq!(
        probe(&job(1, &[0xF0, 0, 0, 1, 0, 1, 1, 0xE0], &[])),
        Confidence::Certain
    );
    assert_eq!(probe(&plus(3, 0x31, 0x054C, 1, true)), Confidence::Certain);
    assert_eq!(probe(&dt(true, b"\x01\x02\x03")), Confidence::NotMine);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n\r\n"), Confidence::NotMine);
    assert_eq!(probe(&[3, 0]), Confidence::NeedMore);
    let partial = &job(1, &[0x04, 1], &[])[..9];
    assert_eq!(probe(partial), Confidence::Maybe);
}

fn packets_of(pieces: &[&[u8]]) -> Vec<(u64, Vec<u8>)> {
    let mut framer = Framer::default();
    let mut out = Vec::new();
    for piece in pieces {
        framer.push(piece, &mut |e| {
            if let Event::Packet { offset, tpdu } = e {
                out.push((offset, tpdu.to_vec()))
            }
        });
    }
    out
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let mut stream = job(1, &[0xF0, 0, 0, 1, 0, 1, 1, 0xE0], &[]);
    stream.extend(dt(false, &[0x32, 1, 0, 0]));
    stream.extend(plus(3, 0x31, 0x054C, 2, true));
    let whole = packets_of(&[&stream]);
    assert_eq!(whole.len(), 3);
    for a in 0..=stream.len() {
        for b in a..=stream.len() {
            let split = packets_of(&[&stream[..a], &stream[a..b], &stream[b..]]);
            assert_eq!(split, whole, "split at {a}/{b}");
        }
    }
}

#[test]
fn session_results_do_not_depend_on_split_points() {
    let mut stream = ud_request(1, 4, 1, &[0x00, 0x11, 0x00, 0x00]);
    stream.extend(job(2, &[0x29, 0, 0, 0, 0, 0, 0], &[]));
    let whole = run(&[(C, stream.clone())]).ops;
    for a in 0..=stream.len() {
        let split = run(&[(C, stream[..a].to_vec()), (C, stream[a..].to_vec())]).ops;
        assert_eq!(split, whole, "split at {a}");
    }
}

#[test]
fn after_a_gap_the_framer_resynchronises() {
    let mut session = S7Session::default();
    let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
    let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
    let first = job(1, &[0x29, 0, 0, 0, 0, 0, 0], &[]);
    session.data(C, Timestamp(1), &first[..9], &mut out);
    session.gap(C, 100, &mut out);
    let mut tail = vec![0x11, 0x22, 0x33];
    tail.extend(job(2, &[0xF0, 0, 0, 1, 0, 1, 1, 0xE0], &[]));
    session.data(C, Timestamp(1), &tail, &mut out);
    let names: Vec<&str> = ops.iter().map(|(o, _)| o.name).collect();
    assert_eq!(names, vec!["Setup Communication"]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn session_never_panics(chunks in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..300)), 0..8)) {
        let messages: Vec<(Direction, Vec<u8>)> = chunks
            .into_iter()
            .map(|(to_server, b)| (if to_server { C } else { S }, b))
            .collect();
        let _ = run(&messages);
    }

    #[test]
    fn session_never_panics_on_mutated_frames(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6), cut in any::<usize>()) {
        let mut stream = ud_response(1, 4, 1, true, 0, &szl_0011());
        stream.extend(plus(3, 0x32, 0x054C, 2, false));
        stream.extend(job(1, &[0x04, 1, 0x12, 0x0A, 0x10, 2, 0, 1, 0, 1, 0x84, 0, 0, 0], &[]));
        for (at, value) in flips {
            let i = at % stream.len();
            stream[i] = value;
        }
        let cut = cut % (stream.len() + 1);
        let _ = run(&[(S, stream[..cut].to_vec()), (S, stream[cut..].to_vec()), (C, stream.clone())]);
    }
}
