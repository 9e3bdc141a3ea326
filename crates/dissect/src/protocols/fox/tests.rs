//! Byte vectors from `fox_info.pcap` (client hello, station hello, challenge with a binary
//! nonce): framing at every split point, pairing, identity, TLS records, garbage.

use super::parser::{parse, probe, Parsed};
use super::session::FoxSession;
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

fn hex(parts: &[&str]) -> Vec<u8> {
    let s: String = parts.concat();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const CLIENT_HELLO: &[&str] = &[
    "666f7820612031202d3120666f782068656c6c6f0a7b0a666f782e76657273696f6e3d733a312e300a69643d693a310a",
    "686f73744e616d653d733a7870766d2d306f6d64633031786d790a686f7374416464726573733d733a3139322e313638",
    "2e312e3132350a6170702e6e616d653d733a576f726b62656e63680a6170702e76657273696f6e3d733a332e372e3434",
    "0a766d2e6e616d653d733a4a61766120486f7453706f7428544d292053657276657220564d0a766d2e76657273696f6e",
    "3d733a32302e342d6230320a6f732e6e616d653d733a57696e646f77732058500a6f732e76657273696f6e3d733a352e",
    "310a6c616e673d733a656e0a74696d655a6f6e653d733a416d65726963612f4c6f735f416e67656c65733b2d32383830",
    "303030303b333630303030303b30323a30303a30302e3030302c77616c6c2c6d617263682c382c6f6e206f7220616674",
    "65722c73756e6461792c756e646566696e65643b30323a30303a30302e3030302c77616c6c2c6e6f76656d6265722c31",
    "2c6f6e206f722061667465722c73756e6461792c756e646566696e65640a686f737449643d733a57696e2d393943422d",
    "443439442d353434322d303742420a766d557569643d733a38623533306263382d373663352d343133392d613265612d",
    "3066616264333934643330350a6272616e6449643d733a76796b6f6e0a7d3b3b0a",
];
const SERVER_HELLO: &[&str] = &[
    "666f7820612030202d3120666f782068656c6c6f0a7b0a666f782e76657273696f6e3d733a312e300a69643d693a320a",
    "686f73744e616d653d733a3139322e3136382e322e31350a686f7374416464726573733d733a3139322e3136382e322e",
    "31350a6170702e6e616d653d733a53746174696f6e0a6170702e76657273696f6e3d733a332e352e34312e310a766d2e",
    "6e616d653d733a4a390a766d2e76657273696f6e3d733a322e330a6f732e6e616d653d733a514e580a6f732e76657273",
    "696f6e3d733a362e332e320a73746174696f6e2e6e616d653d733a4c6567696f6e5f48515f56340a6c616e673d733a65",
    "6e0a74696d655a6f6e653d733a4175737472616c69612f50657274683b32383830303030303b303b6e756c6c3b6e756c",
    "6c0a686f737449643d733a516e782d4e504d362d303030302d313439302d433330430a766d557569643d733a31316534",
    "643836342d636430652d363634612d303030302d3030303030303030623833620a6272616e6449643d733a76796b6f6e",
    "0a737973496e666f3d6f3a626f672036315b3c626f672076657273696f6e3d22312e30223e0a3c70206d3d22623d6261",
    "6a612220743d22623a4661636574732220763d22222f3e0a3c2f626f673e0a5d0a7d3b3b0a",
];
const CHALLENGE: &[&str] = &[
    "666f7820612031202d3120666f78206368616c6c656e67650a7b0a6d6574686f643d733a6469676573742d6d64350a6e",
    "6f6e63653d623a34345b00056e6f6e636500000002000f3138342e3137342e3133312e3139330000a4b70000014c7bbf",
    "2be9869d7c665d0a7d3b3b0a",
];

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut session = FoxSession::default();
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
fn hello_exchange_and_challenge() {
    let r = run(&[
        (Direction::ToServer, hex(CLIENT_HELLO)),
        (Direction::ToClient, hex(SERVER_HELLO)),
        (Direction::ToClient, hex(CHALLENGE)),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let hello = r.ops.iter().find(|(o, _)| o.code == 1).unwrap();
    assert_eq!(
        (hello.0.name, hello.0.class),
        ("Fox hello", OpClass::Diagnostic)
    );
    assert_eq!((hello.1.requests, hello.1.responses), (1, 1));
    let challenge = r.ops.iter().find(|(o, _)| o.code == 2).unwrap();
    assert_eq!((challenge.1.count, challenge.1.requests), (1, 1));
    assert_eq!(fact(&r, false, "station_name"), Some("Legion_HQ_V4"));
    assert_eq!(fact(&r, false, "product_name"), Some("Station"));
    assert_eq!(fact(&r, false, "firmware"), Some("3.5.41.1"));
    assert_eq!(fact(&r, false, "os"), Some("QNX"));
    assert_eq!(fact(&r, false, "vendor"), Some("vykon"));
    assert_eq!(fact(&r, true, "product_name"), Some("Workbench"));
    assert_eq!(fact(&r, true, "hostname"), Some("xpvm-0omdc01xmy"));
}

#[test]
fn a_blob_holding_the_terminator_does_not_end_the_message() {
    let mut m = b"fox a 1 -1 fox challenge\n{\nnonce=b:6[;;\n};;]\n};;\n".to_vec();
    let whole = m.len();
    m.extend_from_slice(b"fox a 2 -1 fox x\n;;\n");
    match parse(&m) {
        Parsed::Message(msg, used) => {
            assert_eq!(used, whole);
            assert_eq!(msg.command, b"challenge");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let stream = [hex(SERVER_HELLO), hex(CHALLENGE)].concat();
    for a in 0..=stream.len() {
        let r = run(&[
            (Direction::ToClient, stream[..a].to_vec()),
            (Direction::ToClient, stream[a..].to_vec()),
        ]);
        let total: u64 = r.ops.iter().map(|(_, s)| s.count).sum();
        assert_eq!(total, 2, "split {a}");
        assert!(r.anomalies.is_empty());
    }
}

#[test]
fn garbage_is_skipped_and_reported() {
    let stream = [b"\x00\x01junk".to_vec(), hex(CLIENT_HELLO)].concat();
    let r = run(&[(Direction::ToServer, stream)]);
    assert_eq!(r.ops[0].1.requests, 1);
    assert_eq!(r.anomalies.len(), 1);
    assert!(r.anomalies[0].contains("stream offset 0"));
}

#[test]
fn tls_records_are_only_counted() {
    let hello = [0x16, 0x03, 0x01, 0x00, 0x02, 0x01, 0x00];
    let r = run(&[
        (Direction::ToServer, hello.to_vec()),
        (
            Direction::ToClient,
            [0x17, 0x03, 0x03, 0x00, 0x01, 0xAA].to_vec(),
        ),
    ]);
    assert_eq!(
        (r.ops[0].0.code, r.ops[0].1.requests, r.ops[0].1.responses),
        (0, 1, 1)
    );
    assert_eq!(probe(&hello), Confidence::Maybe);
}

#[test]
fn probe_is_certain_on_a_whole_message() {
    assert_eq!(probe(&hex(CLIENT_HELLO)), Confidence::Certain);
    assert_eq!(probe(&hex(CLIENT_HELLO)[..40]), Confidence::Maybe);
    assert_eq!(probe(b"fo"), Confidence::NeedMore);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n\r\n"), Confidence::NotMine);
}

#[test]
fn the_registry_recognises_it_by_content() {
    use crate::Dissector;
    let bytes = b"fox a 0 -1 fox hello\n{\nid=i:1\n};;\n";
    assert_eq!(
        super::Fox.probe(Direction::ToServer, bytes),
        Confidence::Certain
    );
    let mut fed = vec![bytes.len() as u8];
    fed.extend_from_slice(bytes);
    crate::fuzzing::feed_flow(Box::new(super::Fox), 1911, &fed);
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
    fn fox_like_text_never_panics(lines in proptest::collection::vec("[a-z=:;{}\\[\\] 0-9]{0,20}", 0..10)) {
        let mut m = b"fox a 1 -1 fox hello\n".to_vec();
        for l in lines {
            m.extend_from_slice(l.as_bytes());
            m.push(b'\n');
        }
        let _ = run(&[(Direction::ToServer, m)]);
    }
}
