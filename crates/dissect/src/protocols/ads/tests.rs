//! Byte vectors (from the Beckhoff captures where possible): framing at every split point,
//! pairing, errors, identity, large frames, discovery, garbage.

use super::parser::{probe, MAX_BUFFERED};
use super::session::AdsSession;
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const CLIENT: [u8; 8] = [192, 168, 1, 99, 1, 1, 0x9f, 0x83];
const PLC: [u8; 8] = [5, 13, 117, 96, 1, 1, 0x53, 0x03];

/// An AMS/TCP frame: response frames go from the PLC to the client.
fn ams(cmd: u16, response: bool, error: u32, invoke: u32, data: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0];
    v.extend_from_slice(&((32 + data.len()) as u32).to_le_bytes());
    let (target, source) = if response {
        (CLIENT, PLC)
    } else {
        (PLC, CLIENT)
    };
    v.extend_from_slice(&target);
    v.extend_from_slice(&source);
    v.extend_from_slice(&cmd.to_le_bytes());
    v.extend_from_slice(&(if response { 5u16 } else { 4 }).to_le_bytes());
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(&error.to_le_bytes());
    v.extend_from_slice(&invoke.to_le_bytes());
    v.extend_from_slice(data);
    v
}

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = AdsSession::default();
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

fn fact<'a>(r: &'a Run, about_client: bool, field: &str) -> Option<&'a str> {
    r.facts
        .iter()
        .find(|(c, f, _)| *c == about_client && *f == field)
        .map(|(_, _, v)| v.as_str())
}

#[test]
fn read_state_from_the_capture_pairs_and_gives_the_cpu_state() {
    let r = run(&[
        (
            Direction::ToServer,
            hex("000020000000050d756001011027c0a801630101788204000400000000000000000009000000"),
        ),
        (
            Direction::ToClient,
            hex("000028000000c0a8016301017882050d756001011027040005000800000000000000090000000000000005000200"),
        ),
    ]);
    let (op, stats) = &r.ops[0];
    assert_eq!((op.code, op.class), (4, OpClass::Diagnostic));
    assert_eq!(
        (stats.requests, stats.responses, stats.exceptions),
        (1, 1, 0)
    );
    assert_eq!(fact(&r, false, "cpu_state"), Some("RUN"));
    assert_eq!(fact(&r, false, "ams_net_id"), Some("5.13.117.96.1.1"));
    assert_eq!(fact(&r, true, "ams_net_id"), Some("192.168.1.99.1.1"));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn device_info_gives_name_and_version() {
    let mut info = vec![0, 0, 0, 0, 3, 1, 0xD2, 0x0F];
    let mut name = b"Plc30 App".to_vec();
    name.resize(16, 0);
    info.extend_from_slice(&name);
    let r = run(&[
        (Direction::ToServer, ams(1, false, 0, 7, &[])),
        (Direction::ToClient, ams(1, true, 0, 7, &info)),
    ]);
    assert_eq!(r.ops[0].0.name, "ADS Read Device Info");
    assert_eq!(fact(&r, false, "product_name"), Some("Plc30 App"));
    assert_eq!(fact(&r, false, "firmware"), Some("3.1.4050"));
}

#[test]
fn error_code_and_result_are_exceptions() {
    let r = run(&[
        (Direction::ToServer, ams(1, false, 0, 1, &[])),
        (Direction::ToClient, ams(1, true, 6, 1, &[])),
        (
            Direction::ToServer,
            ams(
                2,
                false,
                0,
                2,
                &[0x20, 0xF0, 0, 0, 0x10, 0, 0, 0, 4, 0, 0, 0],
            ),
        ),
        (
            Direction::ToClient,
            ams(2, true, 0, 2, &[0x10, 0x07, 0, 0, 0, 0, 0, 0]),
        ),
    ]);
    for (_, stats) in &r.ops {
        assert_eq!((stats.responses, stats.exceptions), (1, 1));
    }
    let read = r.ops.iter().find(|(o, _)| o.code == 2).unwrap();
    assert_eq!(
        (read.1.address_min, read.1.address_end),
        (Some(16), Some(20))
    );
    assert!(r.facts.iter().all(|(_, f, _)| *f == "ams_net_id"));
}

#[test]
fn write_control_is_control_and_notifications_are_request_like() {
    let r = run(&[
        (
            Direction::ToServer,
            ams(5, false, 0, 1, &[6, 0, 0, 0, 0, 0, 0, 0]),
        ),
        (
            Direction::ToClient,
            ams(8, false, 0, 0, &[8, 0, 0, 0, 0, 0, 0, 0]),
        ),
    ]);
    assert_eq!(r.ops[0].0.class, OpClass::Control);
    assert_eq!(
        (r.ops[1].0.name, r.ops[1].1.requests),
        ("ADS Device Notification", 1)
    );
}

#[test]
fn unmatched_response_is_counted() {
    let r = run(&[(Direction::ToClient, ams(3, true, 0, 9, &[0, 0, 0, 0]))]);
    assert_eq!((r.ops[0].1.count, r.ops[0].1.responses), (1, 1));
}

#[test]
fn large_frames_are_decoded_from_their_head_and_skipped() {
    let big = vec![0u8; MAX_BUFFERED * 3];
    let mut write = vec![0x20, 0xF0, 0, 0, 0, 0, 0, 0];
    write.extend_from_slice(&(big.len() as u32).to_le_bytes());
    write.extend_from_slice(&big);
    let stream = [ams(3, false, 0, 1, &write), ams(4, false, 0, 2, &[])].concat();
    for chunk in [7usize, 100, 1000, 5000] {
        let messages: Vec<(Direction, Vec<u8>)> = stream
            .chunks(chunk)
            .map(|c| (Direction::ToServer, c.to_vec()))
            .collect();
        let r = run(&messages);
        assert_eq!(r.ops.len(), 2, "chunk {chunk}");
        assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    }
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let stream = [
        ams(2, false, 0, 1, &[0x20, 0xF0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]),
        ams(4, false, 0, 2, &[]),
        ams(
            9,
            false,
            0,
            3,
            &[0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 9],
        ),
    ]
    .concat();
    for a in 0..=stream.len() {
        for b in (a..=stream.len()).step_by(3) {
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
fn garbage_and_inconsistent_lengths_are_anomalies() {
    let mut inconsistent = ams(4, false, 0, 2, &[]);
    inconsistent[24] = 9; // AMS data length 9, AMS/TCP length says 0
    let stream = [
        b"\xff\xff\xff".to_vec(),
        ams(4, false, 0, 1, &[]),
        inconsistent,
    ]
    .concat();
    let r = run(&[(Direction::ToServer, stream)]);
    assert_eq!(r.ops[0].1.requests, 1);
    assert_eq!(r.anomalies.len(), 2, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("stream offset 0"));
    assert!(
        r.anomalies[1].contains("stream offset 41"),
        "{:?}",
        r.anomalies
    );
}

#[test]
fn discovery_from_the_capture() {
    let request = hex("036614710000000001000000c0a801c70101102700000000");
    let reply = hex("036614710000000001000080050d7560010110270300000005000a0043585f30443735363000040014011401000006000000000000000000000003000000");
    let add_route = hex("036614710000000006000000c0a801c701011027050000000c000d005348454e4855414a362d50430007000600c0a801c701010d000e0041646d696e6973747261746f720002000200310005000d003139322e3136382e312e393900");
    let r = run(&[
        (Direction::ToServer, request),
        (Direction::ToClient, reply),
        (Direction::ToServer, add_route),
    ]);
    let disc = r.ops.iter().find(|(o, _)| o.subcode == Some(1)).unwrap();
    assert_eq!(
        (disc.0.code, disc.1.requests, disc.1.responses),
        (0x100, 1, 1)
    );
    let route = r.ops.iter().find(|(o, _)| o.subcode == Some(6)).unwrap();
    assert_eq!(route.0.class, OpClass::Control);
    assert_eq!(fact(&r, false, "hostname"), Some("CX_0D7560"));
    assert_eq!(fact(&r, false, "ams_net_id"), Some("5.13.117.96.1.1"));
}

#[test]
fn probe_tells_ads_from_others() {
    assert_eq!(probe(&ams(4, false, 0, 1, &[])), Confidence::Certain);
    assert_eq!(probe(&ams(4, false, 0, 1, &[])[..20]), Confidence::NeedMore);
    assert_eq!(probe(&[0, 0, 0]), Confidence::NeedMore);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n\r\n"), Confidence::NotMine);
    assert_eq!(
        probe(&hex("036614710000000001000000c0a801c70101102700000000")),
        Confidence::Certain
    );
}

#[test]
fn the_registry_recognises_it_by_content() {
    use crate::Dissector;
    let bytes = ams(4, false, 0, 1, &[]);
    assert_eq!(
        super::Ads.probe(Direction::ToServer, &bytes),
        Confidence::Certain
    );
    let mut fed = vec![bytes.len() as u8];
    fed.extend_from_slice(&bytes);
    crate::fuzzing::feed_flow(Box::new(super::Ads), 48898, &fed);
}

#[test]
fn pending_requests_are_capped() {
    let messages: Vec<(Direction, Vec<u8>)> = (0..200u32)
        .map(|i| (Direction::ToServer, ams(4, false, 0, i, &[])))
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
    fn valid_frames_with_random_data_never_panic(cmd in 0u16..12, response: bool, data in proptest::collection::vec(any::<u8>(), 0..80)) {
        let f = ams(cmd, response, 0, 1, &data);
        let _ = run(&[(Direction::ToServer, f.clone()), (Direction::ToClient, f)]);
    }
}
