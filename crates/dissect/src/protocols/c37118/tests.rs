//! Byte vectors (from the ICSNPP C37.118 captures where possible): CRC, framing at every split
//! point, commands, configuration identity, bad CRC, garbage.

use super::parser::{crc_ccitt, probe};
use super::session::SynchrophasorSession;
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = SynchrophasorSession::default();
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

/// "Send CFG-2" and "data on" commands, a data frame, from the 1PMU TCP capture.
const SEND_CFG2: &str = "aa41001200f100000000000000000005d7d0";
const DATA_ON: &str = "aa41001200f100000000000000000002a737";
const DATA: &str = "aa01003600f14893344a001eb852080042f68f24c7c36623430188cbc7c36332c7a956764742fe4b47a91cdd4743d1440000000047ef";

/// A CFG-2 frame: one PMU, "Blue PMU", IDCODE 241, four phasors.
const CFG2: &str = "aa31008600f14893344a0019999a00ffffff0001426c756520504d55202020202020202000f1000600040000000056314c504d202020202020202020202056414c504d202020202020202020202056424c504d202020202020202020202056434c504d202020202020202020202000000001000000010000000100000001000100590032c1e2";

fn cfg2() -> Vec<u8> {
    hex(CFG2)
}

#[test]
fn crc_matches_the_standard_check_value() {
    // CRC-16/CCITT-FALSE of "123456789".
    assert_eq!(crc_ccitt(b"123456789"), 0x29B1);
}

#[test]
fn commands_and_frames_are_counted_by_type() {
    let r = run(&[
        (Direction::ToServer, hex(SEND_CFG2)),
        (Direction::ToClient, cfg2()),
        (Direction::ToServer, hex(DATA_ON)),
        (Direction::ToClient, [hex(DATA), hex(DATA)].concat()),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let find = |code: u16, sub: Option<u16>| {
        r.ops
            .iter()
            .find(|(o, _)| o.code == code && o.subcode == sub)
            .unwrap()
    };
    assert_eq!(find(4, Some(5)).0.class, OpClass::Diagnostic);
    assert_eq!(find(4, Some(2)).0.class, OpClass::Control);
    assert_eq!(find(3, None).0.name, "Configuration Frame 2");
    assert_eq!(find(0, None).1.count, 2);
    assert_eq!(find(0, None).0.class, OpClass::Read);
}

#[test]
fn configuration_frame_names_the_pmu() {
    let r = run(&[(Direction::ToClient, cfg2())]);
    let facts: Vec<(bool, &str, &str)> = r
        .facts
        .iter()
        .map(|(c, f, v)| (*c, *f, v.as_str()))
        .collect();
    assert_eq!(
        facts,
        vec![
            (false, "device_id", "241"),
            (false, "station_name", "Blue PMU")
        ]
    );
}

#[test]
fn bad_crc_is_an_anomaly_and_not_counted() {
    let mut bad = hex(DATA);
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let r = run(&[(Direction::ToClient, [hex(DATA), bad].concat())]);
    assert_eq!(r.ops[0].1.count, 1);
    assert_eq!(r.anomalies.len(), 1);
    assert!(r.anomalies[0].contains("bad CRC"));
    assert!(
        r.anomalies[0].contains("stream offset 54"),
        "{:?}",
        r.anomalies
    );
}

#[test]
fn garbage_is_skipped_to_the_next_sync() {
    let stream = [b"junk".to_vec(), hex(SEND_CFG2)].concat();
    let r = run(&[(Direction::ToServer, stream)]);
    assert_eq!(r.ops[0].1.count, 1);
    assert_eq!(r.anomalies.len(), 1);
    assert!(r.anomalies[0].contains("stream offset 0"));
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let stream = [hex(SEND_CFG2), hex(DATA), hex(DATA_ON)].concat();
    for a in 0..=stream.len() {
        for b in a..=stream.len() {
            let r = run(&[
                (Direction::ToServer, stream[..a].to_vec()),
                (Direction::ToServer, stream[a..b].to_vec()),
                (Direction::ToServer, stream[b..].to_vec()),
            ]);
            let total: u64 = r.ops.iter().map(|(_, s)| s.count).sum();
            assert_eq!(total, 3, "split {a}/{b}");
            assert!(r.anomalies.is_empty());
        }
    }
}

#[test]
fn probe_needs_a_good_crc_for_certainty() {
    assert_eq!(probe(&hex(DATA)), Confidence::Certain);
    assert_eq!(probe(&hex(DATA)[..20]), Confidence::Maybe);
    assert_eq!(probe(&[0xAA, 0x41]), Confidence::NeedMore);
    let mut bad = hex(DATA);
    bad[20] ^= 1;
    assert_eq!(probe(&bad), Confidence::NotMine);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n\r\n"), Confidence::NotMine);
}

#[test]
fn the_registry_recognises_it_by_content() {
    use crate::Dissector;
    let bytes = hex(SEND_CFG2);
    assert_eq!(
        super::Synchrophasor.probe(Direction::ToServer, &bytes),
        Confidence::Certain
    );
    let mut fed = vec![bytes.len() as u8];
    fed.extend_from_slice(&bytes);
    crate::fuzzing::feed_flow(Box::new(super::Synchrophasor), 4712, &fed);
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
    fn frames_with_good_crc_and_random_bodies_never_panic(t in 0u8..8, body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut f = vec![0xAA, (t << 4) | 2];
        f.extend_from_slice(&((14 + body.len() + 2) as u16).to_be_bytes());
        f.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        f.extend_from_slice(&body);
        let crc = crc_ccitt(&f);
        f.extend_from_slice(&crc.to_be_bytes());
        let _ = run(&[(Direction::ToClient, f)]);
    }
}
