//! Hand-built HTTP/1.1 exchanges: request/response pairing, facts, Basic authentication never
//! kept, Content-Length and chunked bodies, pipelining, caps, resynchronisation, upgrades,
//! framing at every split point, the probe.

use super::parser::{head_len, host_without_port, probe, status_line, MAX_HEAD};
use super::session::HttpSession;
use crate::testing::{fact, Run};
use crate::{Confidence, OpClass, OpStats};
use proptest::prelude::*;
use zonewarden_model::Direction;

const C: Direction = Direction::ToServer;
const S: Direction = Direction::ToClient;

fn run(messages: &[(Direction, &[u8])]) -> Run {
    run_with_gaps(
        &messages
            .iter()
            .map(|&(d, b)| (d, Some(b)))
            .collect::<Vec<_>>(),
    )
}

/// `None` is a gap of 100 bytes in that direction.
fn run_with_gaps(messages: &[(Direction, Option<&[u8]>)]) -> Run {
    Run::of(&mut HttpSession::default(), messages, 100)
}

fn op<'a>(r: &'a Run, name: &str) -> &'a OpStats {
    &r.ops.iter().find(|(o, _)| o.name == name).unwrap().1
}

/// A GET with a Basic authorization (user "admin", password "secret": base64
/// `YWRtaW46c2VjcmV0`), answered 200 with a 5-byte body.
const GET: &[u8] = b"GET /index.html HTTP/1.1\r\n\
Host: plc-web.example:8080\r\n\
User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\n\
Authorization: Basic YWRtaW46c2VjcmV0\r\n\
\r\n";
const OK: &[u8] = b"HTTP/1.1 200 OK\r\n\
Server: GoAhead-Webs/2.5.0\r\n\
Content-Length: 5\r\n\
\r\n\
hello";

#[test]
fn request_and_response_are_paired_with_facts() {
    let r = run(&[(C, GET), (S, OK)]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let get = r.ops.iter().find(|(o, _)| o.name == "GET").unwrap();
    assert_eq!((get.0.code, get.0.class), (1, OpClass::Read));
    assert_eq!(
        (get.1.requests, get.1.responses, get.1.exceptions),
        (1, 1, 0)
    );
    assert_eq!(fact(&r, false, "http_server"), Some("GoAhead-Webs/2.5.0"));
    assert_eq!(fact(&r, false, "http_host"), Some("plc-web.example"));
    assert_eq!(
        fact(&r, true, "http_user_agent"),
        Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    );
    assert_eq!(fact(&r, true, "http_basic_auth"), Some("seen"));
    assert_eq!(fact(&r, false, "http_basic_auth"), Some("seen"));
}

#[test]
fn basic_credentials_are_never_kept() {
    let r = run(&[(C, GET), (S, OK)]);
    let everything = format!("{:?}{:?}{:?}", r.ops, r.facts, r.anomalies);
    assert!(!everything.contains("YWRtaW46c2VjcmV0"));
    assert!(!everything.contains("admin"));
    assert!(!everything.contains("secret"));
}

/// Two pipelined requests (a POST with a 3-byte body, then a HEAD); a chunked 500 answer and
/// a HEAD answer whose Content-Length announces no body.
#[test]
fn pipelining_chunked_bodies_and_errors() {
    let requests = b"POST /api/setpoint HTTP/1.1\r\nContent-Length: 3\r\n\r\n42\n\
HEAD / HTTP/1.1\r\n\r\n";
    let responses = b"HTTP/1.1 500 Internal Server Error\r\n\
Transfer-Encoding: chunked\r\n\r\n\
4\r\nfail\r\n\
6;ext=1\r\nure!!!\r\n\
0\r\nX-Trailer: 1\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    let r = run(&[(C, requests), (S, responses)]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let post = op(&r, "POST");
    assert_eq!((post.requests, post.responses, post.exceptions), (1, 1, 1));
    let head = op(&r, "HEAD");
    assert_eq!((head.requests, head.responses, head.exceptions), (1, 1, 0));
    assert_eq!(
        r.ops
            .iter()
            .find(|(o, _)| o.name == "POST")
            .unwrap()
            .0
            .class,
        OpClass::Write
    );
}

#[test]
fn a_response_without_its_request_is_unmatched() {
    let r = run(&[(S, OK)]);
    let unseen = op(&r, "HTTP response (request not seen)");
    assert_eq!((unseen.count, unseen.responses), (1, 1));
}

#[test]
fn interim_responses_do_not_pair() {
    let r = run(&[
        (
            C,
            b"PUT /f HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
        ),
        (S, b"HTTP/1.1 100 Continue\r\n\r\n"),
        (C, b"ab"),
        (S, b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
    ]);
    let put = op(&r, "PUT");
    assert_eq!((put.requests, put.responses), (1, 1));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let client = [
        GET,
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        b"\r\nDELETE /y HTTP/1.0\r\n\r\n",
    ]
    .concat();
    let server = [
        OK,
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",
    ]
    .concat();
    let whole = run(&[(C, &client), (S, &server)]);
    assert!(whole.anomalies.is_empty(), "{:?}", whole.anomalies);
    assert_eq!(op(&whole, "DELETE").exceptions, 1);
    assert_eq!(whole.ops.iter().map(|(_, s)| s.requests).sum::<u64>(), 3);
    for cut in 0..=client.len() {
        let r = run(&[(C, &client[..cut]), (C, &client[cut..]), (S, &server)]);
        assert_eq!(r, whole, "client cut {cut}");
    }
    for cut in 0..=server.len() {
        let r = run(&[(C, &client), (S, &server[..cut]), (S, &server[cut..])]);
        assert_eq!(r, whole, "server cut {cut}");
    }
}

#[test]
fn an_oversized_header_block_is_reported_and_skipped() {
    let mut big = b"GET /a HTTP/1.1\r\n".to_vec();
    while big.len() < MAX_HEAD + 100 {
        big.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    big.extend_from_slice(b"\r\nOPTIONS * HTTP/1.1\r\n\r\n");
    let r = run(&[(C, &big)]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("longer than 16384"));
    assert!(r.anomalies[0].contains("stream offset 0"));
    assert_eq!(op(&r, "OPTIONS").requests, 1);
    assert!(r.ops.iter().all(|(o, _)| o.name != "GET"));
    // The same when fed in pieces.
    let pieces: Vec<(Direction, &[u8])> = big.chunks(1000).map(|c| (C, c)).collect();
    assert_eq!(run(&pieces), r);
}

#[test]
fn garbage_and_gaps_resynchronise() {
    let r = run_with_gaps(&[
        (
            C,
            Some(b"\x00\x01binary junk\r\nmore junk GET / HTTP/1.1\r\n"),
        ),
        (C, Some(b"GET /ok HTTP/1.1\r\n\r\n")),
        (C, None),
        (C, Some(b"tail of a lost body\r\nHEAD / HTTP/1.1\r\n\r\n")),
    ]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert_eq!(op(&r, "GET").requests, 1);
    assert_eq!(op(&r, "HEAD").requests, 1);
}

#[test]
fn an_upgrade_stops_parsing() {
    let r = run(&[
        (
            C,
            b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        ),
        (
            S,
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
        ),
        (C, b"\x81\x85\x00\x00\x00\x00GET / HTTP/1.1\r\n\r\n"),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(op(&r, "GET").requests, 1);
}

#[test]
fn a_body_of_unknown_length_stops_the_direction() {
    let r = run(&[
        (C, b"GET / HTTP/1.0\r\n\r\n"),
        (S, b"HTTP/1.0 200 OK\r\n\r\nHTTP/1.1 404 Not Found\r\n\r\n"),
    ]);
    assert_eq!(op(&r, "GET").exceptions, 0);
    assert!(r.anomalies.is_empty());
}

#[test]
fn helpers() {
    assert_eq!(host_without_port(b"10.0.0.5:8080"), b"10.0.0.5");
    assert_eq!(host_without_port(b"[fe80::1]:80"), b"[fe80::1]");
    assert_eq!(host_without_port(b"plc"), b"plc");
    assert_eq!(status_line(b"HTTP/1.1 404 Not Found\r"), Some(404));
    assert_eq!(status_line(b"HTTP/1.1 20 OK"), None);
    assert_eq!(head_len(b"GET / HTTP/1.1\n\n"), Some(16));
    assert_eq!(head_len(b"GET / HTTP/1.1\r\n"), None);
}

#[test]
fn probe_recognises_requests_and_responses() {
    assert_eq!(probe(GET), Confidence::Certain);
    assert_eq!(probe(OK), Confidence::Certain);
    assert_eq!(probe(b"HTTP/1.1 200"), Confidence::Certain);
    assert_eq!(probe(b"HTTP/1"), Confidence::NeedMore);
    assert_eq!(probe(b"GE"), Confidence::NeedMore);
    assert_eq!(probe(b"GET /very/long/path"), Confidence::Maybe);
    assert_eq!(probe(b"FOO /x HT"), Confidence::NeedMore);
    assert_eq!(probe(b"GET /x RTSP/1.0\r\n"), Confidence::NotMine);
    assert_eq!(
        probe(b"OPTIONS rtsp://cam/ RTSP/1.0\r\n"),
        Confidence::NotMine
    );
    assert_eq!(probe(b"SSH-2.0-OpenSSH_8.9\r\n"), Confidence::NotMine);
    assert_eq!(probe(&[0x16, 0x03, 0x01, 0x00, 0x10]), Confidence::NotMine);
    assert_eq!(probe(&[0, 1, 0, 0, 0, 6, 1, 3]), Confidence::NotMine);
}

#[test]
fn the_registry_recognises_it_by_content() {
    use crate::Dissector;
    assert_eq!(super::Http.probe(C, GET), Confidence::Certain);
    let mut fed = Vec::new();
    for chunk in GET.chunks(63) {
        fed.push(chunk.len() as u8);
        fed.extend_from_slice(chunk);
    }
    crate::fuzzing::feed_flow(Box::new(super::Http), 8080, &fed);
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
                _ => (C, None),
            })
            .collect();
        let _ = run_with_gaps(&messages);
    }

    #[test]
    fn http_like_text_never_panics(lines in proptest::collection::vec("[A-Za-z0-9:;/ \\-]{0,30}", 0..12), chunked in any::<bool>()) {
        let mut m = b"HTTP/1.1 200 OK\r\n".to_vec();
        if chunked {
            m.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
        }
        for l in &lines {
            m.extend_from_slice(l.as_bytes());
            m.extend_from_slice(b"\r\n");
        }
        let _ = run(&[(C, b"GET / HTTP/1.1\r\n\r\n"), (S, &m)]);
        let _ = probe(&m);
    }
}
