//! Byte-vector tests: framing at every split point, pairing, refusals, facts, caps.

use super::parser::{probe, Event, Framer, BODY_CAP};
use super::session::MqttSession;
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

fn varint(mut n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        v.push(b);
        if n == 0 {
            return v;
        }
    }
}

fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![first];
    v.extend(varint(body.len()));
    v.extend_from_slice(body);
    v
}

fn string(s: &[u8]) -> Vec<u8> {
    let mut v = (s.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(s);
    v
}

/// CONNECT 3.1.1 (or 5.0 with empty properties) with optional user name and password.
fn connect(level: u8, client_id: &[u8], user: Option<&[u8]>, password: Option<&[u8]>) -> Vec<u8> {
    let mut body = string(if level == 3 { b"MQIsdp" } else { b"MQTT" });
    body.push(level);
    let flags =
        0x02 | if user.is_some() { 0x80 } else { 0 } | if password.is_some() { 0x40 } else { 0 };
    body.push(flags);
    body.extend_from_slice(&[0, 60]);
    if level == 5 {
        body.push(0);
    }
    body.extend(string(client_id));
    if let Some(u) = user {
        body.extend(string(u));
    }
    if let Some(p) = password {
        body.extend(string(p));
    }
    packet(0x10, &body)
}

fn publish(qos: u8, topic: &[u8], id: u16, payload: &[u8]) -> Vec<u8> {
    let mut body = string(topic);
    if qos > 0 {
        body.extend_from_slice(&id.to_be_bytes());
    }
    body.extend_from_slice(payload);
    packet(0x30 | (qos << 1), &body)
}

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = MqttSession::default();
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

fn fact<'a>(r: &'a Run, field: &str) -> Vec<(bool, &'a str)> {
    r.facts
        .iter()
        .filter(|(_, f, _)| *f == field)
        .map(|(c, _, v)| (*c, v.as_str()))
        .collect()
}

#[test]
fn connect_records_client_id_and_credential_presence_never_values() {
    let r = run(&[
        (
            Direction::ToServer,
            connect(4, b"plc-gw-7", Some(b"operator"), Some(b"s3cret")),
        ),
        (Direction::ToClient, packet(0x20, &[0, 0])),
    ]);
    assert_eq!(counts(op(&r, "CONNECT")), (1, 1, 0, 0));
    assert_eq!(counts(op(&r, "CONNACK")), (0, 0, 1, 0));
    assert_eq!(fact(&r, "mqtt_client_id"), vec![(true, "plc-gw-7")]);
    assert_eq!(
        fact(&r, "mqtt_credentials"),
        vec![(true, "username and password in clear")]
    );
    assert_eq!(fact(&r, "mqtt_version"), vec![(true, "3.1.1")]);
    let all = format!("{:?}", r.facts);
    assert!(
        !all.contains("s3cret") && !all.contains("operator"),
        "{all}"
    );
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn refused_connection_is_an_exception() {
    let r = run(&[
        (Direction::ToServer, connect(4, b"x", Some(b"u"), None)),
        (Direction::ToClient, packet(0x20, &[0, 5])),
    ]);
    assert_eq!(counts(op(&r, "CONNACK")), (0, 0, 1, 1));
    assert_eq!(
        fact(&r, "mqtt_credentials"),
        vec![(true, "username in clear")]
    );
    assert!(r.anomalies[0].contains("connection refused: not authorized (5)"));
}

#[test]
fn publish_qos1_and_qos2_flows_pair() {
    let r = run(&[
        (Direction::ToServer, connect(4, b"c", None, None)),
        (
            Direction::ToServer,
            publish(1, b"plant/line1/setpoint", 10, b"42"),
        ),
        (Direction::ToClient, packet(0x40, &[0, 10])),
        (
            Direction::ToServer,
            publish(2, b"plant/line1/mode", 11, b"auto"),
        ),
        (Direction::ToClient, packet(0x50, &[0, 11])),
        (Direction::ToServer, packet(0x62, &[0, 11])),
        (Direction::ToClient, packet(0x70, &[0, 11])),
        // An acknowledgement nobody asked for.
        (Direction::ToClient, packet(0x40, &[0, 99])),
    ]);
    assert_eq!(counts(op(&r, "PUBLISH")), (2, 2, 0, 0));
    assert_eq!(counts(op(&r, "PUBACK")), (1, 0, 2, 0));
    assert_eq!(counts(op(&r, "PUBREC")), (0, 0, 1, 0));
    assert_eq!(counts(op(&r, "PUBREL")), (1, 1, 0, 0));
    assert_eq!(counts(op(&r, "PUBCOMP")), (0, 0, 1, 0));
    assert_eq!(
        r.ops.iter().find(|(o, _)| o.code == 3).unwrap().0.class,
        OpClass::Write
    );
    assert_eq!(
        fact(&r, "mqtt_topic"),
        vec![(false, "plant/line1/setpoint"), (false, "plant/line1/mode")]
    );
    assert_eq!(fact(&r, "mqtt_credentials"), vec![(true, "none")]);
}

#[test]
fn subscribe_v5_with_properties_and_failed_suback() {
    let mut sub = vec![0, 7, 0];
    sub.extend(string(b"plant/+/alarm"));
    sub.push(1);
    let mut unsub = vec![0, 8, 0];
    unsub.extend(string(b"plant/+/alarm"));
    let r = run(&[
        (
            Direction::ToServer,
            connect(5, b"c5", Some(b"u"), Some(b"p")),
        ),
        (Direction::ToClient, packet(0x20, &[0, 0, 0])),
        (Direction::ToServer, packet(0x82, &sub)),
        (Direction::ToClient, packet(0x90, &[0, 7, 0, 0x87])),
        (Direction::ToServer, packet(0xA2, &unsub)),
        (Direction::ToClient, packet(0xB0, &[0, 8, 0, 0x00])),
        (Direction::ToServer, packet(0xC0, &[])),
        (Direction::ToClient, packet(0xD0, &[])),
        (Direction::ToServer, packet(0xE0, &[0x00, 0x00])),
    ]);
    assert_eq!(counts(op(&r, "SUBSCRIBE")), (1, 1, 0, 0));
    assert_eq!(counts(op(&r, "SUBACK")), (0, 0, 1, 1));
    assert_eq!(counts(op(&r, "UNSUBACK")), (0, 0, 1, 0));
    assert_eq!(counts(op(&r, "PINGRESP")), (0, 0, 1, 0));
    assert_eq!(counts(op(&r, "DISCONNECT")), (1, 1, 0, 0));
    assert_eq!(
        r.ops.iter().find(|(o, _)| o.code == 8).unwrap().0.class,
        OpClass::Read
    );
    assert_eq!(fact(&r, "mqtt_topic"), vec![(false, "plant/+/alarm")]);
    assert_eq!(fact(&r, "mqtt_version"), vec![(true, "5.0")]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn topics_are_capped_at_sixteen() {
    let messages: Vec<(Direction, Vec<u8>)> = (0..40)
        .map(|i| {
            (
                Direction::ToServer,
                publish(0, format!("t/{i}").as_bytes(), 0, b""),
            )
        })
        .collect();
    let r = run(&messages);
    assert_eq!(fact(&r, "mqtt_topic").len(), 16);
    assert_eq!(op(&r, "PUBLISH").count, 40);
}

#[test]
fn pending_acknowledgements_are_capped() {
    let messages: Vec<(Direction, Vec<u8>)> = (0..100u16)
        .map(|i| (Direction::ToServer, publish(1, b"t", i, b"")))
        .collect();
    let r = run(&messages);
    assert_eq!(
        r.anomalies
            .iter()
            .filter(|a| a.contains("without an acknowledgement"))
            .count(),
        1
    );
}

#[test]
fn invalid_fixed_header_is_garbage_with_offset() {
    let mut bytes = packet(0xC0, &[]);
    bytes.extend_from_slice(&[0x00, 0x00, 0x0F]);
    bytes.extend(packet(0xC0, &[]));
    let r = run(&[(Direction::ToServer, bytes)]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("3 bytes that are not MQTT skipped"));
    assert!(r.anomalies[0].contains("stream offset 2"));
    assert_eq!(op(&r, "PINGREQ").count, 2);
}

#[test]
fn malformed_packets_are_anomalies_and_still_counted() {
    let r = run(&[
        (Direction::ToServer, packet(0x30, &[0, 9, b'a'])),
        (Direction::ToServer, packet(0x82, &[0, 1])),
    ]);
    assert_eq!(r.anomalies.len(), 2, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("malformed PUBLISH: topic name runs past the packet"));
    assert_eq!(op(&r, "PUBLISH").count, 1);
    assert_eq!(op(&r, "SUBSCRIBE").count, 1);
}

#[test]
fn large_publish_is_read_in_part_and_skipped() {
    let big = vec![0x55u8; 100_000];
    let mut stream = publish(0, b"bulk/data", 0, &big);
    stream.extend(packet(0xC0, &[]));
    // Fed in small pieces: nothing is buffered beyond the cap.
    let messages: Vec<(Direction, Vec<u8>)> = stream
        .chunks(1000)
        .map(|c| (Direction::ToServer, c.to_vec()))
        .collect();
    let r = run(&messages);
    assert_eq!(op(&r, "PUBLISH").count, 1);
    assert_eq!(op(&r, "PINGREQ").count, 1);
    assert_eq!(fact(&r, "mqtt_topic"), vec![(false, "bulk/data")]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert!(BODY_CAP < big.len());
}

#[test]
fn probe_tells_mqtt_from_other_bytes() {
    assert_eq!(probe(&connect(4, b"c", None, None)), Confidence::Certain);
    assert_eq!(probe(&connect(3, b"c", None, None)), Confidence::Certain);
    assert_eq!(
        probe(&connect(4, b"c", None, None)[..5]),
        Confidence::NeedMore
    );
    assert_eq!(probe(b"\x10\x20\x00\x04HTTP"), Confidence::NotMine);
    assert_eq!(probe(&[0x20, 2, 0, 0]), Confidence::Maybe);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n"), Confidence::NotMine);
    assert_eq!(probe(&[0x10]), Confidence::NeedMore);
}

fn frames_of(pieces: &[&[u8]]) -> Vec<(u64, Vec<u8>)> {
    let mut framer = Framer::default();
    let mut out = Vec::new();
    for piece in pieces {
        framer.push(piece, &mut |e| {
            if let Event::Packet { offset, body, .. } = e {
                out.push((offset, body.to_vec()))
            }
        });
    }
    out
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let mut stream = connect(4, b"client", None, None);
    stream.extend(publish(1, b"a/b", 1, &[7u8; 130]));
    stream.extend(packet(0xC0, &[]));
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
    let first = publish(0, b"topic", 0, b"payload");
    framer.push(&first[..5], &mut |_| {});
    framer.gap(100);
    let mut frames = Vec::new();
    // A PUBLISH-looking header whose short body fails the check.
    let mut tail = vec![0x30, 0x02, 0x00, 0x09];
    tail.extend(packet(0xC0, &[]));
    framer.push(&tail, &mut |e| {
        if let Event::Packet { header, .. } = e {
            frames.push(header.packet_type.0)
        }
    });
    assert_eq!(frames, vec![12]);
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
