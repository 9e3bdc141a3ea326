use super::parser::{mms_pdu, probe, tlv};
use super::session::MmsSession;
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

fn tpkt_dt(user: &[u8]) -> Vec<u8> {
    let len = (4 + 3 + user.len()) as u16;
    let mut v = vec![0x03, 0x00];
    v.extend_from_slice(&len.to_be_bytes());
    v.extend_from_slice(&[0x02, 0xF0, 0x80]);
    v.extend_from_slice(user);
    v
}

fn ber(first: &[u8], content: &[u8]) -> Vec<u8> {
    let mut v = first.to_vec();
    v.push(content.len() as u8);
    v.extend_from_slice(content);
    v
}

/// confirmed-RequestPDU { invokeID, service [n] }.
fn request(invoke: u8, service_tag: &[u8], body: &[u8]) -> Vec<u8> {
    ber(
        &[0xA0],
        &[ber(&[0x02], &[invoke]), ber(service_tag, body)].concat(),
    )
}

/// The same PDU wrapped in session DT and presentation fully-encoded-data.
fn wrapped(pdu: &[u8]) -> Vec<u8> {
    let pdv = ber(&[0x30], &[ber(&[0x02], &[3]), ber(&[0xA0], pdu)].concat());
    let mut v = vec![0x01, 0x00, 0x01, 0x00];
    v.extend(ber(&[0x61], &pdv));
    v
}

/// Operations, identity facts and anomalies a session reported.
type Reported = (
    Vec<(Operation, OpStats)>,
    Vec<(bool, &'static str, String)>,
    Vec<String>,
);

fn run(chunks: &[(Direction, Vec<u8>)]) -> Reported {
    let mut session = MmsSession::default();
    let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
    for (dir, bytes) in chunks {
        let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
        session.data(*dir, Timestamp(1), bytes, &mut out);
    }
    (ops, facts, anomalies)
}

#[test]
fn stop_request_is_control_with_and_without_session_layers() {
    // stop [41]: multi-byte context tag 0xBF 0x29.
    let stop = request(1, &[0xBF, 0x29], &ber(&[0x80], b"P1"));
    for user in [stop.clone(), wrapped(&stop)] {
        let (ops, _, anomalies) = run(&[(Direction::ToServer, tpkt_dt(&user))]);
        assert!(anomalies.is_empty(), "{anomalies:?}");
        assert_eq!(
            (ops[0].0.code, ops[0].0.name, ops[0].0.class),
            (41, "stop", OpClass::Control)
        );
    }
}

#[test]
fn identify_response_pairs_and_yields_identity() {
    let identify = request(7, &[0x82], &[]);
    let body = [
        ber(&[0x80], b"ABB"),
        ber(&[0x81], b"REF615"),
        ber(&[0x82], b"5.0"),
    ]
    .concat();
    let response = ber(&[0xA1], &[ber(&[0x02], &[7]), ber(&[0xA2], &body)].concat());
    let (ops, facts, _) = run(&[
        (Direction::ToServer, tpkt_dt(&wrapped(&identify))),
        (Direction::ToClient, tpkt_dt(&wrapped(&response))),
    ]);
    assert_eq!(
        (ops[0].0.name, ops[0].1.requests, ops[0].1.responses),
        ("identify", 1, 1)
    );
    let got: Vec<(&str, &str)> = facts.iter().map(|(_, f, v)| (*f, v.as_str())).collect();
    assert_eq!(
        got,
        vec![
            ("vendor", "ABB"),
            ("model_name", "REF615"),
            ("revision", "5.0")
        ]
    );
}

#[test]
fn error_response_is_an_exception_against_its_request() {
    let read = request(3, &[0xA4], &[0x30, 0x00]);
    let error = ber(
        &[0xA2],
        &[ber(&[0x80], &[3]), ber(&[0xA1], &[0x80, 0x01, 0x02])].concat(),
    );
    let (ops, _, _) = run(&[
        (Direction::ToServer, tpkt_dt(&read)),
        (Direction::ToClient, tpkt_dt(&error)),
    ]);
    assert_eq!(
        (ops[0].0.name, ops[0].1.responses, ops[0].1.exceptions),
        ("read", 1, 1)
    );
}

#[test]
fn probe_needs_data_and_refuses_s7comm() {
    let cr = vec![
        0x03, 0x00, 0x00, 0x16, 0x11, 0xE0, 0, 0, 0, 1, 0, 0xC1, 2, 0, 1, 0xC2, 2, 0, 1, 0xC0, 1,
        10,
    ];
    assert_eq!(probe(&cr), Confidence::NeedMore);
    let initiate = tpkt_dt(&ber(&[0xA8], &ber(&[0x80], &[1, 0])));
    assert_eq!(probe(&[cr.clone(), initiate].concat()), Confidence::Certain);
    let s7 = tpkt_dt(&[
        0x32, 0x01, 0, 0, 0, 1, 0, 8, 0, 0, 0xF0, 0, 0, 1, 0, 1, 1, 0xE0,
    ]);
    assert_eq!(probe(&[cr, s7].concat()), Confidence::NotMine);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n"), Confidence::NotMine);
}

#[test]
fn multi_byte_tags_and_long_lengths_parse() {
    let mut long = vec![0xBF, 0x48, 0x81, 200];
    long.extend(vec![0u8; 200]);
    let t = tlv(&long).unwrap();
    assert_eq!((t.number, t.content.len(), t.len), (72, 200, 204));
    assert!(mms_pdu(&[0x01, 0x00, 0x01, 0x00, 0x61, 0x05]).is_none());
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let stream = [
        tpkt_dt(&request(1, &[0xA4], &[0x30, 0x00])),
        tpkt_dt(&request(2, &[0xA5], &[0x30, 0x00])),
    ]
    .concat();
    for cut in 0..=stream.len() {
        let (ops, _, anomalies) = run(&[
            (Direction::ToServer, stream[..cut].to_vec()),
            (Direction::ToServer, stream[cut..].to_vec()),
        ]);
        assert_eq!(
            ops.iter().map(|(_, s)| s.requests).sum::<u64>(),
            2,
            "cut {cut}"
        );
        assert!(anomalies.is_empty());
    }
}

proptest! {
    #[test]
    fn never_panics(a in proptest::collection::vec(any::<u8>(), 0..300), b in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut wrapped_a = tpkt_dt(&a);
        wrapped_a.extend_from_slice(&b);
        let _ = run(&[(Direction::ToServer, wrapped_a), (Direction::ToClient, b)]);
        let _ = mms_pdu(&a);
    }
}
