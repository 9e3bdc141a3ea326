//! Hand-built RDP connection requests and confirms ([MS-RDPBCGR] §4.1.1–4.1.2 layouts):
//! security facts, the cookie never kept, failures, framing at every split point, and the
//! regression that S7comm (same TPKT/X.224 on port 102) and RDP never claim each other's flows.

use super::parser::probe;
use super::session::RdpSession;
use crate::testing::{fact, Run};
use crate::{Confidence, Protocol};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

const C: Direction = Direction::ToServer;
const S: Direction = Direction::ToClient;

fn run(messages: &[(Direction, &[u8])]) -> Run {
    Run::of_data(&mut RdpSession::default(), messages)
}

/// TPKT (version 3, reserved, length) around an X.224 TPDU whose LI covers the rest.
fn tpkt(code: u8, variable: &[u8]) -> Vec<u8> {
    let mut tpdu = vec![
        0, code, // LI (set below), CR or CC code
        0, 0, // DST-REF
        0x12, 0x34, // SRC-REF
        0,    // class 0
    ];
    tpdu.extend_from_slice(variable);
    tpdu[0] = (tpdu.len() - 1) as u8;
    let len = (tpdu.len() + 4) as u16;
    [&[3, 0][..], &len.to_be_bytes(), &tpdu].concat()
}

/// `Cookie: mstshash=operator` then RDP_NEG_REQ (type 1, flags 0, length 8) requesting TLS
/// and CredSSP (0x00000003).
fn request() -> Vec<u8> {
    tpkt(
        0xE0,
        &[
            &b"Cookie: mstshash=operator\r\n"[..],
            &[0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00],
        ]
        .concat(),
    )
}

/// RDP_NEG_RSP (type 2, flags 0x1F, length 8) selecting CredSSP (0x00000002).
fn confirm() -> Vec<u8> {
    tpkt(0xD0, &[0x02, 0x1F, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00])
}

#[test]
fn negotiation_gives_security_facts() {
    let r = run(&[
        (C, &request()),
        (S, &confirm()),
        (C, &[0x16, 0x03, 0x01, 0, 5, 1, 2, 3, 4, 5]),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(fact(&r, false, "rdp_security"), Some("credssp(nla)"));
    assert_eq!(
        fact(&r, true, "rdp_requested_security"),
        Some("tls, credssp(nla)")
    );
    let cr = r
        .ops
        .iter()
        .find(|(o, _)| o.name == "connection request")
        .unwrap();
    assert_eq!((cr.0.code, cr.1.requests), (0xE0, 1));
    let cc = r
        .ops
        .iter()
        .find(|(o, _)| o.name == "connection confirm")
        .unwrap();
    assert_eq!((cc.0.code, cc.1.responses, cc.1.exceptions), (0xD0, 1, 0));
}

#[test]
fn the_cookie_user_name_is_never_kept() {
    let r = run(&[(C, &request()), (S, &confirm())]);
    let everything = format!("{:?}{:?}{:?}", r.ops, r.facts, r.anomalies);
    assert!(!everything.contains("operator"));
    assert!(!everything.contains("mstshash"));
}

#[test]
fn standard_security_and_failures() {
    // An old client and server: no negotiation structures at all.
    let r = run(&[
        (C, &tpkt(0xE0, b"Cookie: mstshash=x\r\n")),
        (S, &tpkt(0xD0, &[])),
    ]);
    assert_eq!(fact(&r, false, "rdp_security"), Some("rdp"));
    assert_eq!(fact(&r, true, "rdp_requested_security"), None);
    // RDP_NEG_FAILURE (type 3) HYBRID_REQUIRED_BY_SERVER (5) to a client offering only
    // Standard RDP Security.
    let r = run(&[
        (C, &tpkt(0xE0, &[0x01, 0, 8, 0, 0, 0, 0, 0])),
        (S, &tpkt(0xD0, &[0x03, 0, 8, 0, 5, 0, 0, 0])),
    ]);
    assert_eq!(fact(&r, true, "rdp_requested_security"), Some("rdp"));
    let cc = r
        .ops
        .iter()
        .find(|(o, _)| o.name == "connection confirm")
        .unwrap();
    assert_eq!((cc.0.subcode, cc.1.exceptions), (Some(5), 1));
    assert_eq!(fact(&r, false, "rdp_security"), None);
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let (c, s) = (request(), confirm());
    let whole = run(&[(C, &c), (S, &s)]);
    for cut in 0..=c.len() {
        assert_eq!(
            run(&[(C, &c[..cut]), (C, &c[cut..]), (S, &s)]),
            whole,
            "client {cut}"
        );
    }
    for cut in 0..=s.len() {
        assert_eq!(
            run(&[(C, &c), (S, &s[..cut]), (S, &s[cut..])]),
            whole,
            "server {cut}"
        );
    }
}

#[test]
fn other_first_packets_are_anomalies() {
    let r = run(&[(C, b"GET / HTTP/1.1\r\n\r\n")]);
    assert_eq!(r.anomalies.len(), 1);
    let r = run(&[(C, &[3, 0, 0xFF, 0xFF, 0x02, 0xF0, 0x80])]);
    assert!(r.anomalies.is_empty());
    let r = run(&[(C, &[3, 0, 0x20, 0]), (C, &vec![0; 0x2000])]);
    assert_eq!(r.anomalies.len(), 1);
}

/// An S7comm COTP connection request: TSAPs calling 0x0100 (PG), called 0x0102 (rack 0,
/// slot 2), TPDU size 1024 (ISO 8073 parameters C1, C2, C0).
const S7_CR: &[u8] = &[
    3, 0, 0, 22, // TPKT, length 22
    17, 0xE0, 0, 0, 0, 1, 0, // LI 17, CR, DST-REF 0, SRC-REF 1, class 0
    0xC1, 2, 1, 0, // calling TSAP
    0xC2, 2, 1, 2, // called TSAP
    0xC0, 1, 0x0A, // TPDU size
];
/// Its confirm (TSAPs echoed).
const S7_CC: &[u8] = &[
    3, 0, 0, 22, 17, 0xD0, 0, 1, 0, 1, 0, 0xC1, 2, 1, 0, 0xC2, 2, 1, 2, 0xC0, 1, 0x0A,
];

#[test]
fn s7comm_and_rdp_never_claim_each_others_connection_requests() {
    use crate::protocols::s7comm::S7comm;
    use crate::Dissector;
    // An S7 CR is not RDP, whatever the port.
    assert_eq!(probe(S7_CR), Confidence::NotMine);
    assert_eq!(probe(S7_CC), Confidence::NotMine);
    assert_eq!(super::Rdp.probe(C, S7_CR), Confidence::NotMine);
    // RDP's CR and CC are not S7comm: at most "need more" (a later data TPDU would tell).
    assert!(S7comm.probe(C, &request()) < Confidence::Maybe);
    assert!(S7comm.probe(S, &confirm()) < Confidence::Maybe);
    let with_tls = [request(), vec![0x16, 3, 1, 0, 5, 1, 0, 0, 1, 0]].concat();
    assert_eq!(S7comm.probe(C, &with_tls), Confidence::NotMine);
}

/// Both connections through the registry with every dissector: the edge gets the right
/// protocol.
#[test]
fn the_registry_tells_s7comm_from_rdp() {
    use crate::Registry;
    fn protocol_of(port: u16, flow: &[(Direction, Vec<u8>)]) -> Vec<Protocol> {
        use zonewarden_flow::StreamConsumer;
        let f = crate::fuzzing::test_flow(port, zonewarden_wire::ipproto::TCP);
        let mut registry = Registry::new(crate::protocols::all());
        let mut state = Default::default();
        for (dir, bytes) in flow {
            registry.on_data(&mut state, &f, *dir, Timestamp(1), bytes);
        }
        registry.on_close(state, &f, zonewarden_flow::CloseReason::End);
        registry
            .into_map()
            .edges()
            .map(|e| e.key.protocol)
            .collect()
    }
    let rdp = vec![
        (C, request()),
        (S, confirm()),
        (C, vec![0x16, 3, 1, 0, 5, 1, 0, 0, 1, 0]),
    ];
    assert_eq!(protocol_of(3389, &rdp), vec![Protocol::Rdp]);
    // S7comm setup communication job after the CR/CC.
    let setup = [
        &[3, 0, 0, 25, 2, 0xF0, 0x80][..],  // TPKT, COTP DT with EOT
        &[0x32, 1, 0, 0, 0, 1, 0, 8, 0, 0], // S7 job header, parameter length 8
        &[0xF0, 0, 0, 1, 0, 1, 1, 0xE0],    // setup communication
    ]
    .concat();
    let s7 = vec![(C, S7_CR.to_vec()), (S, S7_CC.to_vec()), (C, setup)];
    assert_eq!(protocol_of(102, &s7), vec![Protocol::S7comm]);
    // The S7 connection on RDP's port is still S7comm, and RDP on 102 is still RDP.
    assert_eq!(protocol_of(3389, &s7), vec![Protocol::S7comm]);
    assert_eq!(protocol_of(102, &rdp), vec![Protocol::Rdp]);
}

#[test]
fn probe_answers() {
    assert_eq!(probe(&request()), Confidence::Certain);
    assert_eq!(probe(&confirm()), Confidence::Certain);
    assert_eq!(probe(&tpkt(0xE0, &[])), Confidence::Maybe);
    assert_eq!(probe(&request()[..6]), Confidence::NeedMore);
    assert_eq!(probe(&[3, 0, 0, 30, 2, 0xF0]), Confidence::NotMine);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n"), Confidence::NotMine);
    let c = request();
    let mut fed = vec![c.len() as u8];
    fed.extend_from_slice(&c);
    crate::fuzzing::feed_flow(Box::new(super::Rdp), 3389, &fed);
}

proptest! {
    #[test]
    fn session_never_panics(a in proptest::collection::vec(any::<u8>(), 0..300), b in proptest::collection::vec(any::<u8>(), 0..300), code in prop_oneof![Just(0xE0u8), Just(0xD0u8)]) {
        let _ = run(&[(C, &tpkt(code, &a)), (S, &tpkt(code, &b)), (C, &a)]);
        let _ = probe(&tpkt(code, &a));
        let _ = probe(&a);
    }
}
