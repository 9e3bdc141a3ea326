//! Hand-built TLS 1.2 and 1.3 handshakes (hellos with SNI and supported_versions, a certificate
//! chain from `testdata/`, alerts), framing at every split point, handshake messages across
//! records, caps, garbage, and the probe.

use super::cert::{facts, rfc3339};
use super::parser::probe;
use super::session::TlsSession;
use crate::testing::{fact, Run};
use crate::{Confidence, OpStats};
use proptest::prelude::*;
use zonewarden_model::Direction;

const C: Direction = Direction::ToServer;
const S: Direction = Direction::ToClient;

/// RSA 2048 leaf signed by `CA` (see testdata/README.md).
const LEAF: &[u8] = include_bytes!("testdata/leaf.der");
/// Self-signed EC P-256 CA.
const CA: &[u8] = include_bytes!("testdata/ca.der");

fn run(messages: &[(Direction, Option<&[u8]>)]) -> Run {
    Run::of(&mut TlsSession::default(), messages, 100)
}

fn op<'a>(r: &'a Run, name: &str) -> &'a OpStats {
    &r.ops.iter().find(|(o, _)| o.name == name).unwrap().1
}

/// `n`-byte big-endian length, then `body`.
fn vec_n(n: usize, body: &[u8]) -> Vec<u8> {
    let len = body.len().to_be_bytes();
    [&len[len.len() - n..], body].concat()
}

/// A record: content type, version 0x0303, 2-byte length, fragment.
fn record(content_type: u8, fragment: &[u8]) -> Vec<u8> {
    [&[content_type, 3, 3][..], &vec_n(2, fragment)].concat()
}

/// A handshake message: type, 3-byte length, body.
fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    [&[kind][..], &vec_n(3, body)].concat()
}

/// An extension: type, 2-byte length, data.
fn extension(kind: u16, data: &[u8]) -> Vec<u8> {
    [&kind.to_be_bytes()[..], &vec_n(2, data)].concat()
}

fn client_hello() -> Vec<u8> {
    let sni = extension(
        0,                                                                    // server_name
        &vec_n(2, &[&[0u8][..], &vec_n(2, b"HMI01.plant.example")].concat()), // host_name
    );
    let versions = extension(
        43, // supported_versions: GREASE, TLS 1.3, TLS 1.2
        &vec_n(1, &[0x0A, 0x0A, 0x03, 0x04, 0x03, 0x03]),
    );
    let body = [
        &[0x03, 0x03][..],                    // legacy_version TLS 1.2
        &[0x11; 32],                          // random
        &vec_n(1, &[]),                       // legacy_session_id
        &vec_n(2, &[0xC0, 0x2F, 0x13, 0x01]), // cipher_suites
        &vec_n(1, &[0]),                      // compression: null
        &vec_n(2, &[sni, versions].concat()), // extensions
    ]
    .concat();
    // The record layer of a ClientHello usually says TLS 1.0.
    let mut r = record(22, &handshake(1, &body));
    r[2] = 1;
    r
}

fn server_hello(suite: u16, extensions: &[u8]) -> Vec<u8> {
    handshake(
        2,
        &[
            &[0x03, 0x03][..],     // legacy_version
            &[0x22; 32],           // random
            &vec_n(1, &[]),        // legacy_session_id_echo
            &suite.to_be_bytes(),  // cipher_suite
            &[0],                  // compression
            &vec_n(2, extensions), // extensions
        ]
        .concat(),
    )
}

/// TLS 1.2 server flight: ServerHello, Certificate (leaf, CA), ServerHelloDone in one record,
/// then ChangeCipherSpec and an encrypted Finished.
fn server_flight_12() -> Vec<u8> {
    let certificate = handshake(
        11,
        &vec_n(3, &[vec_n(3, LEAF), vec_n(3, CA)].concat()), // certificate_list
    );
    let messages = [
        server_hello(0xC02F, &[]),
        certificate,
        handshake(14, &[]), // ServerHelloDone
    ]
    .concat();
    [
        record(22, &messages),
        record(20, &[1]),        // ChangeCipherSpec
        record(22, &[0xAB; 40]), // encrypted Finished: not parsed
        record(23, &[0xCD; 30]), // application data
    ]
    .concat()
}

fn client_flight_12() -> Vec<u8> {
    [
        client_hello(),
        record(22, &handshake(16, &[0x55; 70])), // ClientKeyExchange
        record(20, &[1]),
        record(22, &[0xEE; 40]), // encrypted Finished that would not parse
    ]
    .concat()
}

#[test]
fn tls12_handshake_gives_hello_and_certificate_facts() {
    let r = run(&[
        (C, Some(&client_flight_12())),
        (S, Some(&server_flight_12())),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(op(&r, "client hello").requests, 1);
    assert_eq!(op(&r, "server hello").responses, 1);
    assert_eq!(op(&r, "certificate").responses, 1);
    assert_eq!(r.ops.len(), 3);
    assert_eq!(fact(&r, false, "tls_sni"), Some("hmi01.plant.example"));
    assert_eq!(
        fact(&r, true, "tls_offered_versions"),
        Some("TLS 1.3, TLS 1.2")
    );
    assert_eq!(fact(&r, false, "tls_version"), Some("TLS 1.2"));
    assert_eq!(
        fact(&r, false, "tls_cipher"),
        Some("0xC02F TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    );
    assert_eq!(
        fact(&r, false, "tls_cert_subject"),
        Some("CN=hmi01.plant.example,OU=OT\\+Plant,O=Acme\\, Inc.,L=Berlin,C=DE")
    );
    assert_eq!(
        fact(&r, false, "tls_cert_issuer"),
        Some("CN=Acme Root CA,O=Acme\\, Inc.,C=DE")
    );
    assert_eq!(fact(&r, false, "tls_cert_key"), Some("RSA 2048"));
    assert_eq!(fact(&r, false, "tls_cert_self_signed"), Some("false"));
    assert_eq!(
        fact(&r, false, "tls_cert_signature"),
        Some("ecdsa-with-SHA256")
    );
    assert_eq!(
        fact(&r, false, "tls_cert_not_before"),
        Some("2026-11-22T07:47:44Z")
    );
    assert_eq!(
        fact(&r, false, "tls_cert_not_after"),
        Some("2029-02-24T07:47:44Z")
    );
}

#[test]
fn a_self_signed_ec_certificate() {
    let f = facts(CA).unwrap();
    let get = |k: &str| f.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("tls_cert_self_signed"), Some("true"));
    assert_eq!(get("tls_cert_key"), Some("EC 256"));
    assert_eq!(get("tls_cert_subject"), get("tls_cert_issuer"));
    assert!(facts(&LEAF[..100]).is_err());
}

#[test]
fn tls13_version_comes_from_supported_versions() {
    let sh = server_hello(0x1301, &extension(43, &[0x03, 0x04]));
    let server = [
        record(22, &sh),
        record(20, &[1]),
        record(23, &[0x99; 50]), // encrypted extensions, certificate…
    ]
    .concat();
    let r = run(&[(C, Some(&client_hello())), (S, Some(&server))]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(fact(&r, false, "tls_version"), Some("TLS 1.3"));
    assert_eq!(
        fact(&r, false, "tls_cipher"),
        Some("0x1301 TLS_AES_128_GCM_SHA256")
    );
    assert!(fact(&r, false, "tls_cert_subject").is_none());
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let client = client_flight_12();
    let server = server_flight_12();
    let whole = run(&[(C, Some(&client)), (S, Some(&server))]);
    for cut in 0..=client.len() {
        let r = run(&[
            (C, Some(&client[..cut])),
            (C, Some(&client[cut..])),
            (S, Some(&server)),
        ]);
        assert_eq!(r, whole, "client cut {cut}");
    }
    for cut in 0..=server.len() {
        let r = run(&[
            (C, Some(&client)),
            (S, Some(&server[..cut])),
            (S, Some(&server[cut..])),
        ]);
        assert_eq!(r, whole, "server cut {cut}");
    }
}

#[test]
fn a_handshake_message_spanning_records_is_reassembled() {
    let certificate = handshake(11, &vec_n(3, &vec_n(3, CA)));
    let (a, b) = certificate.split_at(100);
    let server = [
        record(22, &server_hello(0x000A, &[])),
        record(22, a),
        record(22, b),
    ]
    .concat();
    let r = run(&[(S, Some(&server))]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(
        fact(&r, false, "tls_cert_subject"),
        Some("CN=Acme Root CA,O=Acme\\, Inc.,C=DE")
    );
    assert_eq!(
        fact(&r, false, "tls_cipher"),
        Some("0x000A TLS_RSA_WITH_3DES_EDE_CBC_SHA")
    );
    // The client hello was not seen: the server's messages are unmatched.
    assert_eq!(op(&r, "server hello").count, 1);
}

#[test]
fn alerts_are_exceptions() {
    let r = run(&[
        (C, Some(&client_hello())),
        (S, Some(&record(21, &[2, 40]))), // fatal handshake_failure
    ]);
    let (alert, stats) = r.ops.iter().find(|(o, _)| o.name == "alert").unwrap();
    assert_eq!((alert.code, alert.subcode), (21, Some(40)));
    assert_eq!((stats.responses, stats.exceptions), (1, 1));
    // An encrypted alert (longer than 2 bytes) is not counted, nor anything after it.
    let r = run(&[
        (C, Some(&record(21, &[0x9A; 26]))),
        (C, Some(&record(21, &[2, 40]))),
    ]);
    assert!(r.ops.is_empty() && r.anomalies.is_empty(), "{r:?}");
}

#[test]
fn an_oversized_handshake_message_is_skipped() {
    // A handshake header announcing 100000 bytes, sent over seven records, then a hello.
    let mut big = handshake(11, &vec![0u8; 100_000]);
    let mut server = Vec::new();
    while !big.is_empty() {
        let n = big.len().min(16_000);
        server.extend(record(22, &big[..n]));
        big.drain(..n);
    }
    server.extend(record(22, &server_hello(0x002F, &[])));
    let r = run(&[(S, Some(&server))]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("exceeds"));
    assert_eq!(fact(&r, false, "tls_version"), Some("TLS 1.2"));
}

#[test]
fn garbage_and_gaps_resynchronise() {
    let hello = client_hello();
    let garbage = [&b"\x00\x00junk junk"[..], &hello].concat();
    let r = run(&[(C, Some(&garbage))]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("stream offset 0"));
    assert_eq!(op(&r, "client hello").requests, 1);
    let r = run(&[
        (C, Some(&hello[..30])),
        (C, None),
        (C, Some(b"tail")),
        (C, Some(&hello)),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(op(&r, "client hello").requests, 1);
}

#[test]
fn helpers() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
}

#[test]
fn probe_recognises_hellos_on_any_port() {
    assert_eq!(probe(&client_hello()), Confidence::Certain);
    assert_eq!(
        probe(&record(22, &server_hello(0xC02F, &[]))),
        Confidence::Certain
    );
    assert_eq!(probe(&client_hello()[..7]), Confidence::NeedMore);
    assert_eq!(probe(&[0x16, 0x03]), Confidence::NeedMore);
    assert_eq!(probe(&record(23, &[1, 2, 3])), Confidence::Maybe);
    assert_eq!(probe(&[0x16, 0x03, 0x01, 0x00, 0x00]), Confidence::NotMine);
    assert_eq!(probe(&[0x16, 0x04, 0x01, 0x00, 0x10]), Confidence::NotMine);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n"), Confidence::NotMine);
    // TPKT (S7comm, RDP) starts with 3.
    assert_eq!(probe(&[0x03, 0x00, 0x00, 0x16]), Confidence::NotMine);
}

#[test]
fn the_registry_recognises_it_by_content() {
    let mut fed = Vec::new();
    for chunk in client_hello().chunks(63) {
        fed.push(chunk.len() as u8);
        fed.extend_from_slice(chunk);
    }
    crate::fuzzing::feed_flow(Box::new(super::Tls), 10443, &fed);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    #[test]
    fn session_never_panics(chunks in proptest::collection::vec((0u8..3, proptest::collection::vec(any::<u8>(), 0..300)), 0..10)) {
        let messages: Vec<(Direction, Option<&[u8]>)> = chunks
            .iter()
            .map(|(k, b)| match k {
                0 => (C, Some(b.as_slice())),
                1 => (S, Some(b.as_slice())),
                _ => (S, None),
            })
            .collect();
        let _ = run(&messages);
    }

    #[test]
    fn records_of_random_handshakes_never_panic(kind in any::<u8>(), body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = run(&[(C, Some(&record(22, &handshake(kind, &body)))), (S, Some(&record(22, &handshake(kind, &body))))]);
        let _ = facts(&body);
    }

    #[test]
    fn mutated_certificates_never_panic(at in 0usize..596, value in any::<u8>()) {
        let mut der = LEAF.to_vec();
        if let Some(b) = der.get_mut(at) {
            *b = value;
        }
        let _ = facts(&der);
    }
}
