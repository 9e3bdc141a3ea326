//! Byte-vector tests built from OPC 10000-6: framing at every split point, secure channel
//! policies, pairing by request id, ServiceFault, chunks, identity, caps.

use super::parser::{probe, Event, Framer, BODY_CAP};
use super::session::OpcuaSession;
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

const TO_SERVER: Direction = Direction::ToServer;
const TO_CLIENT: Direction = Direction::ToClient;
const NONE: &str = "http://opcfoundation.org/UA/SecurityPolicy#None";

fn message(kind: &[u8; 3], chunk: u8, body: &[u8]) -> Vec<u8> {
    let mut v = kind.to_vec();
    v.push(chunk);
    v.extend_from_slice(&((body.len() + 8) as u32).to_le_bytes());
    v.extend_from_slice(body);
    v
}

fn string(s: &str) -> Vec<u8> {
    let mut v = (s.len() as i32).to_le_bytes().to_vec();
    v.extend_from_slice(s.as_bytes());
    v
}

const NULL: [u8; 4] = [0xFF; 4];

fn hello(url: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for v in [0u32, 65536, 65536, 0, 0] {
        body.extend_from_slice(&v.to_le_bytes());
    }
    body.extend(string(url));
    message(b"HEL", b'F', &body)
}

fn request_header() -> Vec<u8> {
    let mut v = vec![0x00, 0x00]; // authentication token: two-byte NodeId 0
    v.extend_from_slice(&[0; 8]); // timestamp
    v.extend_from_slice(&1u32.to_le_bytes()); // request handle
    v.extend_from_slice(&0u32.to_le_bytes()); // return diagnostics
    v.extend_from_slice(&NULL); // audit entry id
    v.extend_from_slice(&10000u32.to_le_bytes()); // timeout hint
    v.extend_from_slice(&[0x00, 0x00, 0x00]); // additional header: null ExtensionObject
    v
}

fn response_header(result: u32) -> Vec<u8> {
    let mut v = vec![0; 8];
    v.extend_from_slice(&1u32.to_le_bytes());
    v.extend_from_slice(&result.to_le_bytes());
    v.push(0x00); // diagnostic info: empty mask
    v.extend_from_slice(&NULL); // string table: null array
    v.extend_from_slice(&[0x00, 0x00, 0x00]);
    v
}

/// A four-byte NodeId in namespace 0.
fn type_id(id: u16) -> Vec<u8> {
    let mut v = vec![0x01, 0x00];
    v.extend_from_slice(&id.to_le_bytes());
    v
}

fn opn(policy: &str, request_id: u32, body: &[u8]) -> Vec<u8> {
    let mut v = 0u32.to_le_bytes().to_vec();
    v.extend(string(policy));
    v.extend_from_slice(&NULL);
    v.extend_from_slice(&NULL);
    v.extend_from_slice(&1u32.to_le_bytes());
    v.extend_from_slice(&request_id.to_le_bytes());
    v.extend_from_slice(body);
    message(b"OPN", b'F', &v)
}

fn opn_request(request_id: u32, mode: u32) -> Vec<u8> {
    let mut body = type_id(446);
    body.extend(request_header());
    body.extend_from_slice(&0u32.to_le_bytes()); // client protocol version
    body.extend_from_slice(&0u32.to_le_bytes()); // issue
    body.extend_from_slice(&mode.to_le_bytes());
    body.extend_from_slice(&NULL); // client nonce
    body.extend_from_slice(&600000u32.to_le_bytes());
    opn(NONE, request_id, &body)
}

fn opn_response(request_id: u32) -> Vec<u8> {
    let mut body = type_id(449);
    body.extend(response_header(0));
    body.extend_from_slice(&[0; 4 + 4 + 4 + 8 + 4]);
    body.extend_from_slice(&NULL);
    opn(NONE, request_id, &body)
}

fn msg_chunk(kind: &[u8; 3], chunk: u8, request_id: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = 1u32.to_le_bytes().to_vec(); // secure channel id
    v.extend_from_slice(&1u32.to_le_bytes()); // token id
    v.extend_from_slice(&request_id.to_le_bytes()); // sequence number
    v.extend_from_slice(&request_id.to_le_bytes());
    v.extend_from_slice(payload);
    message(kind, chunk, &v)
}

fn request(request_id: u32, id: u16, params: &[u8]) -> Vec<u8> {
    let mut payload = type_id(id);
    payload.extend(request_header());
    payload.extend_from_slice(params);
    msg_chunk(b"MSG", b'F', request_id, &payload)
}

fn response(request_id: u32, id: u16, result: u32, params: &[u8]) -> Vec<u8> {
    let mut payload = type_id(id);
    payload.extend(response_header(result));
    payload.extend_from_slice(params);
    msg_chunk(b"MSG", b'F', request_id, &payload)
}

fn application_description(uri: &str, product: &str, name: &str) -> Vec<u8> {
    let mut v = string(uri);
    v.extend(string(product));
    v.push(0x02); // LocalizedText: text only
    v.extend(string(name));
    v.extend_from_slice(&0u32.to_le_bytes()); // server
    v.extend_from_slice(&NULL);
    v.extend_from_slice(&NULL);
    v.extend_from_slice(&NULL);
    v
}

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run_with(session: &mut OpcuaSession, messages: &[(Direction, Vec<u8>)]) -> Run {
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

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    run_with(&mut OpcuaSession::default(), messages)
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

fn facts(r: &Run) -> Vec<(bool, &str, &str)> {
    r.facts
        .iter()
        .map(|(c, f, v)| (*c, *f, v.as_str()))
        .collect()
}

/// Hello, Acknowledge, OPN with policy None, the common start of a connection.
fn handshake() -> Vec<(Direction, Vec<u8>)> {
    let mut ack = Vec::new();
    for v in [0u32, 65536, 65536, 0, 0] {
        ack.extend_from_slice(&v.to_le_bytes());
    }
    vec![
        (TO_SERVER, hello("opc.tcp://plc1:4840")),
        (TO_CLIENT, message(b"ACK", b'F', &ack)),
        (TO_SERVER, opn_request(1, 1)),
        (TO_CLIENT, opn_response(1)),
    ]
}

#[test]
fn handshake_gives_endpoint_policy_and_mode_of_the_server() {
    let r = run(&handshake());
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let (o, s) = op(&r, "OpenSecureChannel");
    assert_eq!((o.code, o.class), (446, OpClass::Other));
    assert_eq!(counts(s), (1, 1, 1, 0));
    assert_eq!(
        facts(&r),
        vec![
            (false, "endpoint_url", "opc.tcp://plc1:4840"),
            (false, "security_policy", NONE),
            (false, "security_mode", "None"),
        ]
    );
}

#[test]
fn read_and_write_pair_under_the_request_code() {
    let mut m = handshake();
    m.push((TO_SERVER, request(2, 631, &[0; 12])));
    m.push((TO_SERVER, request(3, 673, &[0; 4])));
    m.push((TO_CLIENT, response(3, 676, 0, &[])));
    m.push((TO_CLIENT, response(2, 634, 0, &[])));
    let r = run(&m);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let (o, s) = op(&r, "Read");
    assert_eq!(
        (o.code, o.class, counts(s)),
        (631, OpClass::Read, (1, 1, 1, 0))
    );
    let (o, s) = op(&r, "Write");
    assert_eq!(
        (o.code, o.class, counts(s)),
        (673, OpClass::Write, (1, 1, 1, 0))
    );
}

#[test]
fn service_fault_and_bad_result_are_exceptions() {
    let mut m = handshake();
    m.push((TO_SERVER, request(2, 712, &[])));
    m.push((TO_CLIENT, response(2, 397, 0x800B_0000, &[])));
    m.push((TO_SERVER, request(3, 488, &[])));
    m.push((TO_CLIENT, response(3, 491, 0x801F_0000, &[])));
    let r = run(&m);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let (o, s) = op(&r, "Call");
    assert_eq!((o.class, counts(s)), (OpClass::Control, (1, 1, 1, 1)));
    let (o, s) = op(&r, "AddNodes");
    assert_eq!((o.class, counts(s)), (OpClass::Program, (1, 1, 1, 1)));
}

#[test]
fn unmatched_responses_count_under_their_request_code() {
    let r = run(&[
        (TO_CLIENT, response(9, 829, 0, &[])),
        (TO_CLIENT, response(10, 397, 0x8001_0000, &[])),
    ]);
    let (o, s) = op(&r, "Publish");
    assert_eq!((o.code, counts(s)), (826, (1, 0, 1, 0)));
    assert_eq!(counts(&op(&r, "ServiceFault").1), (1, 0, 1, 1));
}

#[test]
fn create_session_describes_client_and_server() {
    let mut params =
        application_description("urn:client:app", "urn:vendor:client", "Engineering Client");
    params.extend(string("urn:server"));
    let mut answer = vec![0x00, 0x05, 0x00, 0x05]; // session id, authentication token
    answer.extend_from_slice(&[0; 8]); // revised timeout
    answer.extend_from_slice(&NULL); // nonce
    answer.extend_from_slice(&NULL); // certificate
    answer.extend_from_slice(&1i32.to_le_bytes()); // one endpoint
    answer.extend(string("opc.tcp://plc1:4840"));
    answer.extend(application_description(
        "urn:plc1",
        "urn:acme:plc-runtime",
        "ACME PLC Runtime",
    ));
    let mut m = handshake();
    m.push((TO_SERVER, request(2, 461, &params)));
    m.push((TO_CLIENT, response(2, 464, 0, &answer)));
    let r = run(&m);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(counts(&op(&r, "CreateSession").1), (1, 1, 1, 0));
    let f = facts(&r);
    for expected in [
        (true, "product_name", "Engineering Client"),
        (true, "product_code", "urn:vendor:client"),
        (false, "product_name", "ACME PLC Runtime"),
        (false, "product_code", "urn:acme:plc-runtime"),
        (false, "application_uri", "urn:plc1"),
    ] {
        assert!(f.contains(&expected), "{expected:?} not in {f:?}");
    }
}

#[test]
fn chunked_messages_are_reassembled_and_aborts_dropped() {
    let mut params = application_description("urn:c", "urn:p", "Chunked Client");
    params.extend(string("urn:server"));
    let mut payload = type_id(461);
    payload.extend(request_header());
    payload.extend(params);
    let (a, b) = payload.split_at(20);
    let mut m = handshake();
    m.push((TO_SERVER, msg_chunk(b"MSG", b'C', 2, a)));
    m.push((TO_SERVER, msg_chunk(b"MSG", b'F', 2, b)));
    // An aborted message: its first chunk names a Write, then the sender gives up.
    m.push((TO_SERVER, msg_chunk(b"MSG", b'C', 3, &type_id(673))));
    m.push((TO_SERVER, msg_chunk(b"MSG", b'A', 3, &[0; 8])));
    let r = run(&m);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(counts(&op(&r, "CreateSession").1), (1, 1, 0, 0));
    assert!(facts(&r).contains(&(true, "product_name", "Chunked Client")));
    assert!(r.ops.iter().all(|(o, _)| o.name != "Write"));
}

#[test]
fn secured_channel_messages_are_counted_as_encrypted() {
    let policy = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";
    let r = run(&[
        (TO_SERVER, opn(policy, 0, &[0xAB; 64])),
        (TO_CLIENT, opn(policy, 0, &[0xCD; 64])),
        (TO_SERVER, msg_chunk(b"MSG", b'F', 0, &[0x5A; 48])),
        (TO_CLIENT, msg_chunk(b"MSG", b'F', 0, &[0xA5; 48])),
        (TO_SERVER, msg_chunk(b"CLO", b'F', 0, &[0x11; 32])),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let (o, s) = op(&r, "Encrypted Message");
    assert_eq!((o.code, counts(s)), (0, (1, 1, 1, 0)));
    assert_eq!(counts(&op(&r, "OpenSecureChannel").1), (1, 1, 1, 0));
    assert_eq!(op(&r, "CloseSecureChannel").0.code, 452);
    assert_eq!(facts(&r), vec![(false, "security_policy", policy)]);
}

#[test]
fn without_handshake_clear_bodies_are_still_decoded() {
    let r = run(&[
        (TO_SERVER, request(7, 527, &[])),
        (TO_CLIENT, response(7, 530, 0, &[])),
        (TO_SERVER, msg_chunk(b"MSG", b'F', 8, &[0x77; 40])),
    ]);
    assert_eq!(counts(&op(&r, "Browse").1), (1, 1, 1, 0));
    assert_eq!(counts(&op(&r, "Encrypted Message").1), (1, 1, 0, 0));
}

#[test]
fn transport_error_is_an_exception() {
    let mut body = 0x8084_0000u32.to_le_bytes().to_vec();
    body.extend(string("bad endpoint"));
    let r = run(&[
        (TO_SERVER, hello("opc.tcp://x")),
        (TO_CLIENT, message(b"ERR", b'F', &body)),
    ]);
    let (o, s) = op(&r, "Error Message");
    assert_eq!(
        (o.code, o.subcode, counts(s)),
        (1, Some(0x8084), (1, 0, 1, 1))
    );
}

#[test]
fn malformed_messages_are_anomalies_with_offsets() {
    let good = hello("opc.tcp://a");
    let bad = message(b"MSG", b'F', &[1, 0, 0, 0]);
    let r = run(&[(TO_SERVER, [good.clone(), bad].concat())]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains(&format!("stream offset {}", good.len())));
    let r = run(&[(TO_SERVER, [b"garbage!!".to_vec(), good].concat())]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("9 bytes that are not OPC UA"));
    assert!(r.facts.iter().any(|(_, f, _)| *f == "endpoint_url"));
}

#[test]
fn pending_requests_are_capped() {
    let mut m = handshake();
    for i in 0..300 {
        m.push((TO_SERVER, request(10 + i, 826, &[])));
    }
    let r = run(&m);
    let capped = r
        .anomalies
        .iter()
        .filter(|a| a.contains("without a response"))
        .count();
    assert_eq!(capped, 1, "{:?}", r.anomalies);
}

#[test]
fn oversized_messages_are_cut_and_the_next_one_found() {
    let mut big = vec![0u8; BODY_CAP * 2];
    big[..4].copy_from_slice(&type_id(634));
    let mut stream = msg_chunk(b"MSG", b'F', 5, &big);
    stream.extend(request(6, 631, &[]));
    let mut framer = Framer::default();
    let mut seen = Vec::new();
    for piece in stream.chunks(1500) {
        framer.push(piece, &mut |e| {
            if let Event::Message {
                header, truncated, ..
            } = e
            {
                seen.push((header.size as usize, truncated));
            }
        });
    }
    assert_eq!(seen.len(), 2);
    assert!(seen[0].1 && !seen[1].1);
}

fn frames_of(pieces: &[&[u8]]) -> Vec<(u64, Vec<u8>)> {
    let mut framer = Framer::default();
    let mut out = Vec::new();
    for piece in pieces {
        framer.push(piece, &mut |e| {
            if let Event::Message { offset, body, .. } = e {
                out.push((offset, body.to_vec()))
            }
        });
    }
    out
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let mut stream = hello("opc.tcp://a:4840");
    stream.extend(request(2, 631, &[1, 2, 3]));
    stream.extend(msg_chunk(b"CLO", b'F', 3, &type_id(452)));
    let whole = frames_of(&[&stream]);
    assert_eq!(whole.len(), 3);
    for a in 0..=stream.len() {
        for b in (a..=stream.len()).step_by(3) {
            let split = frames_of(&[&stream[..a], &stream[a..b], &stream[b..]]);
            assert_eq!(split, whole, "split at {a}/{b}");
        }
    }
}

#[test]
fn after_a_gap_the_framer_resynchronises() {
    let mut session = OpcuaSession::default();
    let first = request(2, 631, &[]);
    let mut r = run_with(&mut session, &[(TO_SERVER, first[..10].to_vec())]);
    {
        let mut out = Output::for_tests(&mut r.ops, &mut r.facts, &mut r.anomalies);
        session.gap(TO_SERVER, 50, &mut out);
    }
    let mut tail = vec![0x11, 0x22, 0x33];
    tail.extend(request(3, 527, &[]));
    let r = run_with(&mut session, &[(TO_SERVER, tail)]);
    assert_eq!(counts(&op(&r, "Browse").1), (1, 1, 0, 0));
}

#[test]
fn probe_recognises_opc_ua_by_content() {
    assert_eq!(probe(&hello("opc.tcp://a")), Confidence::Certain);
    assert_eq!(probe(&request(1, 631, &[])), Confidence::Certain);
    assert_eq!(probe(b"HE"), Confidence::NeedMore);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n\r\n"), Confidence::NotMine);
    assert_eq!(probe(b"HELX\x20\x00\x00\x00"), Confidence::NotMine);
    let partial = request(1, 631, &[0; 100]);
    assert_eq!(probe(&partial[..40]), Confidence::Maybe);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn session_never_panics(chunks in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..300)), 0..8)) {
        let messages: Vec<(Direction, Vec<u8>)> = chunks
            .into_iter()
            .map(|(to_server, b)| (if to_server { TO_SERVER } else { TO_CLIENT }, b))
            .collect();
        let _ = run(&messages);
    }

    #[test]
    fn session_never_panics_on_framed_bodies(bodies in proptest::collection::vec((any::<bool>(), 0usize..4, proptest::collection::vec(any::<u8>(), 0..200)), 0..12)) {
        let kinds: [&[u8; 3]; 4] = [b"MSG", b"OPN", b"HEL", b"ERR"];
        let messages: Vec<(Direction, Vec<u8>)> = bodies
            .into_iter()
            .map(|(to_server, k, b)| {
                let dir = if to_server { TO_SERVER } else { TO_CLIENT };
                (dir, message(kinds[k], b'F', &b))
            })
            .collect();
        let _ = run(&messages);
    }
}
