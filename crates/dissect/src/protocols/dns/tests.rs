//! Byte vectors built from RFC 1035 §4.1: a query and its compressed answer, mDNS
//! announcements, a dynamic update, NXDOMAIN, pointer loops, TCP framing at every split point,
//! truncation at every length, and a proptest that nothing panics.

use super::name::NameError;
use super::session::DnsSession;
use super::{probe, read_name, render, Dns, DnsTcp};
use crate::{Confidence, Dissector, Endpoint, OpStats, Operation, Output, Session, Source};
use proptest::prelude::*;
use std::net::IpAddr;
use zonewarden_model::{Direction, Timestamp};

/// Labels of `name` in wire format, ended by the root.
fn qname(name: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for label in name.split('.') {
        v.push(label.len() as u8);
        v.extend_from_slice(label.as_bytes());
    }
    v.push(0);
    v
}

fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&id.to_be_bytes()); // ID
    v.extend_from_slice(&flags.to_be_bytes()); // QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE
    for c in counts {
        v.extend_from_slice(&c.to_be_bytes()); // QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT
    }
    v
}

/// Standard query (RD) for the A record of PLC1.Plant.Local.
fn query() -> Vec<u8> {
    let mut v = header(0x1a2b, 0x0100, [1, 0, 0, 0]);
    v.extend(qname("PLC1.Plant.Local")); // QNAME at offset 12
    v.extend_from_slice(&[0, 1, 0, 1]); // QTYPE A, QCLASS IN
    v
}

/// One resource record: `name` (raw wire bytes), type, class, TTL 300, data.
fn rr(name: &[u8], rtype: u16, class: u16, rdata: &[u8]) -> Vec<u8> {
    let mut v = name.to_vec();
    v.extend_from_slice(&rtype.to_be_bytes()); // TYPE
    v.extend_from_slice(&class.to_be_bytes()); // CLASS
    v.extend_from_slice(&300u32.to_be_bytes()); // TTL
    v.extend_from_slice(&(rdata.len() as u16).to_be_bytes()); // RDLENGTH
    v.extend_from_slice(rdata); // RDATA
    v
}

/// The response: the question again, then an A and an AAAA record whose names are pointers
/// (0xC00C) to the question's name.
fn response() -> Vec<u8> {
    let mut v = header(0x1a2b, 0x8180, [1, 2, 0, 0]); // QR, RD, RA, NOERROR
    v.extend(qname("PLC1.Plant.Local"));
    v.extend_from_slice(&[0, 1, 0, 1]);
    v.extend(rr(&[0xC0, 0x0C], 1, 1, &[10, 1, 2, 3]));
    let mut v6 = [0u8; 16];
    v6[0] = 0xfd;
    v6[15] = 0x42;
    v.extend(rr(&[0xC0, 0x0C], 28, 1, &v6));
    v
}

type DeviceFacts = Vec<(Endpoint, &'static str, String, Source)>;

#[derive(Default)]
struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    devices: DeviceFacts,
    anomalies: Vec<String>,
}

fn run_with(mut session: DnsSession, messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut r = Run::default();
    for (dir, bytes) in messages {
        let mut out = Output::for_tests_with_devices(
            &mut r.ops,
            &mut r.facts,
            &mut r.devices,
            &mut r.anomalies,
        );
        session.data(*dir, Timestamp(1), bytes, &mut out);
    }
    r
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    run_with(DnsSession::udp(), messages)
}

fn names(r: &Run) -> Vec<(String, String)> {
    r.devices
        .iter()
        .map(|(d, f, v, _)| {
            assert_eq!(*f, "dns_name");
            (d.to_string(), v.clone())
        })
        .collect()
}

fn ip(s: &str) -> Endpoint {
    Endpoint::Ip(s.parse::<IpAddr>().unwrap())
}

#[test]
fn query_and_answer_pair_and_name_the_addresses() {
    let r = run(&[
        (Direction::ToServer, query()),
        (Direction::ToClient, response()),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(r.ops.len(), 1);
    let (op, stats) = &r.ops[0];
    assert_eq!((op.code, op.name), (0, "query"));
    assert_eq!(
        (
            stats.count,
            stats.requests,
            stats.responses,
            stats.exceptions
        ),
        (1, 1, 1, 0)
    );
    assert_eq!(
        names(&r),
        [
            ("10.1.2.3".to_string(), "plc1.plant.local".to_string()),
            ("fd00::42".to_string(), "plc1.plant.local".to_string()),
        ]
    );
    assert!(r.facts.is_empty());
}

#[test]
fn cname_chains_name_the_address_by_its_aliases() {
    // mail.Example.com → CNAME mx.l.example.com (target compressed: "mx.l" + pointer to
    // "example.com" in the question) → A 10.2.2.2.
    let mut v = header(5, 0x8180, [1, 2, 0, 0]);
    v.extend(qname("mail.Example.com")); // at 12; "example.com" at 17
    v.extend_from_slice(&[0, 1, 0, 1]);
    v.extend(rr(&[0xC0, 0x0C], 5, 1, b"\x02mx\x01l\xC0\x11"));
    // The A record's owner points at the CNAME's data (offset 12 + 18 + 4 + 12 = 46).
    v.extend(rr(&[0xC0, 46], 1, 1, &[10, 2, 2, 2]));
    let r = run(&[(Direction::ToClient, v)]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(
        names(&r),
        [
            ("10.2.2.2".to_string(), "mx.l.example.com".to_string()),
            ("10.2.2.2".to_string(), "mail.example.com".to_string()),
        ]
    );
    // A CNAME loop ends at the chain cap.
    let mut v = header(5, 0x8180, [0, 3, 0, 0]);
    v.extend(rr(&qname("a.x"), 5, 1, &qname("b.x")));
    v.extend(rr(&qname("b.x"), 5, 1, &qname("a.x")));
    v.extend(rr(&qname("a.x"), 1, 1, &[10, 3, 3, 3]));
    let r = run(&[(Direction::ToClient, v)]);
    assert_eq!(r.devices.len(), 2);
}

#[test]
fn nxdomain_is_an_error_response_and_unmatched_without_query() {
    let mut v = header(7, 0x8183, [1, 0, 0, 0]); // RCODE 3 NXDOMAIN
    v.extend(qname("nothere.example"));
    v.extend_from_slice(&[0, 1, 0, 1]);
    let r = run(&[(Direction::ToClient, v)]);
    let stats = r.ops[0].1;
    assert_eq!((stats.count, stats.responses, stats.exceptions), (1, 1, 1));
}

#[test]
fn mdns_announcement_with_cache_flush_class() {
    // Unsolicited response (id 0, QR|AA), two answers, class IN with the cache-flush bit.
    let mut v = header(0, 0x8400, [0, 2, 0, 0]);
    v.extend(rr(&qname("Cam-07.local"), 1, 0x8001, &[192, 168, 7, 7]));
    let mut ll = [0u8; 16];
    ll[0] = 0xfe;
    ll[1] = 0x80;
    ll[15] = 7;
    v.extend(rr(&[0xC0, 0x0C], 28, 0x8001, &ll));
    assert_eq!(probe(&v), Confidence::Maybe);
    let r = run(&[(Direction::ToServer, v)]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert!(r
        .devices
        .iter()
        .any(|(d, _, v, _)| *d == ip("192.168.7.7") && v == "cam-07.local"));
    assert!(r
        .devices
        .iter()
        .any(|(d, _, v, _)| *d == ip("fe80::7") && v == "cam-07.local"));
}

#[test]
fn dynamic_update_names_the_registering_host() {
    // RFC 2136: opcode 5; zone section (1), prerequisites (0), update section (1).
    let mut v = header(9, 0x2800, [1, 0, 1, 0]);
    v.extend(qname("plant.local")); // ZNAME
    v.extend_from_slice(&[0, 6, 0, 1]); // ZTYPE SOA, ZCLASS IN
    v.extend(rr(&qname("hmi2.plant.local"), 1, 1, &[10, 9, 9, 2]));
    let r = run(&[(Direction::ToServer, v)]);
    assert_eq!(r.ops[0].0.name, "update");
    assert_eq!(
        names(&r),
        [("10.9.9.2".to_string(), "hmi2.plant.local".to_string())]
    );
}

#[test]
fn sinkhole_answers_name_no_device() {
    let mut v = header(1, 0x8180, [0, 2, 0, 0]);
    v.extend(rr(&qname("ads.example"), 1, 1, &[0, 0, 0, 0]));
    v.extend(rr(&[0xC0, 0x0C], 1, 1, &[127, 0, 0, 1]));
    let r = run(&[(Direction::ToClient, v)]);
    assert!(r.devices.is_empty());
}

#[test]
fn pointer_loop_and_reserved_labels_are_anomalies() {
    // The answer's name points at itself.
    let mut v = header(1, 0x8180, [0, 1, 0, 0]);
    v.extend_from_slice(&[0xC0, 0x0C]);
    v.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]);
    assert_eq!(read_name(&v, 12), Err(NameError::PointerLoop));
    let r = run(&[(Direction::ToClient, v.clone())]);
    assert!(
        r.anomalies
            .iter()
            .any(|a| a.contains("loop") && a.contains("offset 12")),
        "{:?}",
        r.anomalies
    );
    // Two pointers to each other.
    let pair = [0xC0, 0x02, 0xC0, 0x00];
    assert_eq!(read_name(&pair, 0), Err(NameError::PointerLoop));
    assert_eq!(read_name(&[0x40, 0], 0), Err(NameError::ReservedLabelType));
    // A name longer than 255 bytes.
    let mut long = Vec::new();
    for _ in 0..5 {
        long.push(63);
        long.extend_from_slice(&[b'a'; 63]);
    }
    long.push(0);
    assert_eq!(read_name(&long, 0), Err(NameError::TooLong));
}

#[test]
fn names_render_lowercase_without_trailing_dot() {
    let wire = qname("WWW.Example.COM");
    let (labels, end) = read_name(&wire, 0).unwrap();
    assert_eq!(render(&labels), "www.example.com");
    assert_eq!(end, 17);
    let (root, end) = read_name(&[0], 0).unwrap();
    assert!(root.is_empty());
    assert_eq!(end, 1);
}

#[test]
fn probe_accepts_dns_and_rejects_other_bytes() {
    assert_eq!(probe(&query()), Confidence::Maybe);
    assert_eq!(probe(&response()), Confidence::Maybe);
    // A query without a question.
    assert_eq!(probe(&header(1, 0x0100, [0, 0, 0, 0])), Confidence::NotMine);
    // Counts the bytes cannot hold.
    assert_eq!(
        probe(&header(1, 0x8180, [1, 200, 0, 0])),
        Confidence::NotMine
    );
    assert_eq!(probe(b"GET / HTTP/1.1\r\n\r\n"), Confidence::NotMine);
    assert_eq!(probe(&query()[..10]), Confidence::NotMine);
    // Over TCP, with the length prefix.
    let mut tcp = (query().len() as u16).to_be_bytes().to_vec();
    tcp.extend(query());
    assert_eq!(DnsTcp.probe(Direction::ToServer, &tcp), Confidence::Maybe);
    assert_eq!(
        DnsTcp.probe(Direction::ToServer, &tcp[..8]),
        Confidence::NeedMore
    );
    assert_eq!(
        DnsTcp.probe(Direction::ToServer, &tcp[..20]),
        Confidence::NeedMore
    );
    assert_eq!(Dns.probe(Direction::ToServer, &tcp), Confidence::NotMine);
}

#[test]
fn tcp_framing_at_every_split_point() {
    let mut stream = Vec::new();
    for m in [query(), query()] {
        stream.extend_from_slice(&(m.len() as u16).to_be_bytes());
        stream.extend(m);
    }
    let mut answers = (response().len() as u16).to_be_bytes().to_vec();
    answers.extend(response());
    for split in 0..=stream.len() {
        let r = run_with(
            DnsSession::tcp(),
            &[
                (Direction::ToServer, stream[..split].to_vec()),
                (Direction::ToServer, stream[split..].to_vec()),
                (Direction::ToClient, answers.clone()),
            ],
        );
        assert!(r.anomalies.is_empty(), "split {split}: {:?}", r.anomalies);
        let stats = r.ops[0].1;
        assert_eq!((stats.requests, stats.responses), (2, 1), "split {split}");
        assert_eq!(r.devices.len(), 2);
    }
}

#[test]
fn tcp_gap_resynchronises_at_the_next_segment() {
    let mut framed = (query().len() as u16).to_be_bytes().to_vec();
    framed.extend(query());
    let mut session = DnsSession::tcp();
    let mut r = Run::default();
    {
        let mut out = Output::for_tests(&mut r.ops, &mut r.facts, &mut r.anomalies);
        session.data(Direction::ToServer, Timestamp(1), &framed[..10], &mut out);
        session.gap(Direction::ToServer, 100, &mut out);
        session.data(Direction::ToServer, Timestamp(1), &framed, &mut out);
        // A length below the header size skips the segment.
        session.data(
            Direction::ToServer,
            Timestamp(1),
            &[0, 3, 1, 2, 3],
            &mut out,
        );
    }
    assert_eq!(r.ops[0].1.requests, 1);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("offset 146"), "{:?}", r.anomalies);
}

#[test]
fn truncated_at_every_length_never_panics() {
    let whole = response();
    for len in 0..whole.len() {
        let r = run(&[(Direction::ToClient, whole[..len].to_vec())]);
        assert!(!r.anomalies.is_empty(), "length {len}: no anomaly");
    }
    let r = run(&[(Direction::ToClient, whole)]);
    assert!(r.anomalies.is_empty());
}

#[test]
fn pending_queries_are_capped() {
    let mut session = DnsSession::udp();
    let mut r = Run::default();
    for id in 0..1000u16 {
        let mut q = query();
        q[..2].copy_from_slice(&id.to_be_bytes());
        let mut out = Output::for_tests(&mut r.ops, &mut r.facts, &mut r.anomalies);
        session.data(Direction::ToServer, Timestamp(1), &q, &mut out);
    }
    // The oldest were forgotten: an answer to id 0 is unmatched, to 999 matched.
    for id in [0u16, 999] {
        let mut a = response();
        a[..2].copy_from_slice(&id.to_be_bytes());
        let mut out = Output::for_tests(&mut r.ops, &mut r.facts, &mut r.anomalies);
        session.data(Direction::ToClient, Timestamp(1), &a, &mut out);
    }
    let stats = r.ops[0].1;
    assert_eq!(
        (stats.requests, stats.responses, stats.count),
        (1000, 2, 1001)
    );
}

proptest! {
    #[test]
    fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..300), counts in any::<[u16; 4]>(), tcp in any::<bool>()) {
        let mut m = header(1, 0x8180, counts);
        m.extend(body);
        let session = if tcp { DnsSession::tcp() } else { DnsSession::udp() };
        let _ = run_with(session, &[(Direction::ToClient, m.clone()), (Direction::ToServer, m.clone())]);
        let _ = probe(&m);
        let _ = DnsTcp.probe(Direction::ToServer, &m);
    }
}
