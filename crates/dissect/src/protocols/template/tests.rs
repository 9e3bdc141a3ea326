//! TEMPLATE: byte vectors for every message kind, framing at every split point, pairing,
//! garbage, and a property test that arbitrary input never panics.

use super::session::TemplateSession;
use crate::{OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

fn message(kind: u8, id: u16, code: u8, data: &[u8]) -> Vec<u8> {
    let mut v = ((4 + data.len()) as u16).to_be_bytes().to_vec();
    v.push(kind);
    v.extend_from_slice(&id.to_be_bytes());
    v.push(code);
    v.extend_from_slice(data);
    v
}

fn run(chunks: &[(Direction, &[u8])]) -> (Vec<(Operation, OpStats)>, Vec<String>) {
    let mut session = TemplateSession::default();
    let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
    for (dir, bytes) in chunks {
        let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
        session.data(*dir, Timestamp(1), bytes, &mut out);
    }
    (ops, anomalies)
}

#[test]
fn request_and_response_pair() {
    let req = message(1, 7, 2, b"xy");
    let resp = message(2, 7, 2, b"");
    let (ops, anomalies) = run(&[(Direction::ToServer, &req), (Direction::ToClient, &resp)]);
    assert_eq!(ops.len(), 1);
    assert_eq!(
        (ops[0].0.name, ops[0].1.requests, ops[0].1.responses),
        ("Write", 1, 1)
    );
    assert!(anomalies.is_empty());
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let stream = [message(1, 1, 1, b"a"), message(1, 2, 3, b"")].concat();
    for cut in 0..=stream.len() {
        let (ops, _) = run(&[
            (Direction::ToServer, &stream[..cut]),
            (Direction::ToServer, &stream[cut..]),
        ]);
        assert_eq!(
            ops.iter().map(|(_, s)| s.requests).sum::<u64>(),
            2,
            "cut at {cut}"
        );
    }
}

#[test]
fn garbage_is_reported_with_its_offset() {
    let stream = [vec![0xFF, 0xFF, 9], message(1, 1, 1, b"")].concat();
    let (ops, anomalies) = run(&[(Direction::ToServer, &stream)]);
    assert_eq!(ops.len(), 1);
    assert_eq!(anomalies.len(), 1);
    assert!(anomalies[0].contains("stream offset 0"), "{anomalies:?}");
}

proptest! {
    #[test]
    fn never_panics(a in proptest::collection::vec(any::<u8>(), 0..200), b in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = run(&[(Direction::ToServer, &a), (Direction::ToClient, &b)]);
    }
}

#[test]
fn the_registry_recognises_it_by_content() {
    use crate::{Confidence, Dissector};
    let bytes = message(1, 1, 3, b"");
    assert_eq!(
        super::Template.probe(Direction::ToServer, &bytes),
        Confidence::Certain
    );
    assert_eq!(
        super::Template.probe(Direction::ToServer, b"GET / HTTP/1.1\r\n"),
        Confidence::NotMine
    );
    // Through the registry as the pipeline drives it: one control byte, then the chunk.
    let mut fed = vec![bytes.len() as u8];
    fed.extend_from_slice(&bytes);
    crate::fuzzing::feed_flow(Box::new(super::Template), 65000, &fed);
}
