//! Messages from RFC 5424 §6.5 and RFC 3164 §5.4 (the RFCs' own examples), device-style
//! variants, PRI limits, truncation at every length and a proptest that nothing panics.

use super::{hostname, pri, probe, SyslogSession};
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

/// RFC 5424 §6.5 example 1: PRI 34 (auth.crit), version 1, timestamp, host, app, -, msgid.
const RFC5424: &[u8] =
    b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8";
/// RFC 3164 §5.4 example 1: PRI 34, BSD timestamp, host "mymachine", tag "su:".
const RFC3164: &[u8] =
    b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8";

#[derive(Default)]
struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
}

fn run(messages: &[&[u8]]) -> Run {
    let mut session = SyslogSession::default();
    let mut r = Run::default();
    for bytes in messages {
        let mut out = Output::for_tests(&mut r.ops, &mut r.facts, &mut r.anomalies);
        session.data(Direction::ToServer, Timestamp(1), bytes, &mut out);
    }
    r
}

fn host(message: &[u8]) -> Option<String> {
    let (_, rest) = pri(message)?;
    hostname(rest)
        .ok()
        .flatten()
        .map(|h| String::from_utf8_lossy(h).into_owned())
}

#[test]
fn rfc_examples_give_severity_facility_and_host() {
    let r = run(&[RFC5424, RFC3164]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(r.ops.len(), 1, "same PRI, same operation");
    let (op, stats) = &r.ops[0];
    // 34 = facility 4 (auth) × 8 + severity 2 (crit).
    assert_eq!(
        (op.code, op.subcode, op.name, op.class),
        (2, Some(4), "crit", OpClass::Other)
    );
    assert_eq!((stats.count, stats.requests), (2, 2));
    assert_eq!(
        r.facts,
        [
            (true, "hostname", "mymachine.example.com".to_string()),
            (true, "hostname", "mymachine".to_string())
        ]
    );
}

#[test]
fn device_variants() {
    // Day padded with a space; a host name with digits and a dash.
    assert_eq!(
        host(b"<190>Feb  5 07:01:02 plc-line-3 PLC: cycle overrun").as_deref(),
        Some("plc-line-3")
    );
    // rsyslog forward format: RFC 3339 timestamp in a BSD-style header.
    assert_eq!(
        host(b"<30>2024-01-31T12:00:00.123+01:00 hmi01 app[12]: started").as_deref(),
        Some("hmi01")
    );
    // No host: the tag sits where the host would be.
    assert_eq!(host(b"<13>Oct 11 22:14:15 sshd[42]: accepted"), None);
    assert_eq!(host(b"<13>Oct 11 22:14:15 su: failed"), None);
    // An IP literal and the nil value are not names.
    assert_eq!(host(b"<13>Oct 11 22:14:15 10.0.0.5 kernel: up"), None);
    assert_eq!(host(b"<13>1 2024-01-01T00:00:00Z - app - - - x"), None);
    assert_eq!(
        host(b"<13>1 2024-01-01T00:00:00Z fe80::1 app - - - x"),
        None
    );
    // No recognisable timestamp: no header to trust (Cisco's "*Mar  1 …" with a sequence number).
    assert_eq!(
        host(b"<187>42: *Mar  1 00:01:02.003: %LINK-3-UPDOWN: down"),
        None
    );
    // Nothing after the host: it is not a complete header.
    assert_eq!(host(b"<13>Oct 11 22:14:15 lonely"), None);
}

#[test]
fn pri_limits_and_probe() {
    assert_eq!(pri(b"<0>x").map(|(p, _)| p), Some(0));
    assert_eq!(pri(b"<191>x").map(|(p, _)| p), Some(191));
    assert_eq!(pri(b"<192>x"), None);
    assert_eq!(pri(b"<1234>x"), None);
    assert_eq!(pri(b"<>x"), None);
    assert_eq!(pri(b"<12"), None);
    assert_eq!(probe(RFC5424), Confidence::Certain);
    assert_eq!(probe(RFC3164), Confidence::Maybe);
    assert_eq!(probe(b"<html>"), Confidence::NotMine);
    assert_eq!(probe(b"GET / HTTP/1.1"), Confidence::NotMine);
}

#[test]
fn missing_pri_is_an_anomaly_counted_as_user_notice() {
    let r = run(&[b"Oct 11 22:14:15 mymachine su: no pri"]);
    assert_eq!(r.anomalies.len(), 1);
    assert!(r.anomalies[0].contains("offset 0"));
    let (op, _) = &r.ops[0];
    assert_eq!((op.code, op.subcode, op.name), (5, Some(1), "notice"));
    assert!(r.facts.is_empty());
}

#[test]
fn truncated_at_every_length_never_panics() {
    for whole in [RFC5424, RFC3164] {
        for len in 0..whole.len() {
            let r = run(&[&whole[..len]]);
            // Every datagram counts once; a cut RFC 5424 header or a cut PRI is an anomaly.
            assert_eq!(r.ops.len(), 1);
            if len < 4 || (whole == RFC5424 && (6..53).contains(&len)) {
                assert!(!r.anomalies.is_empty(), "length {len}");
            }
        }
    }
}

proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = run(&[&bytes]);
        let mut with_pri = b"<13>1 ".to_vec();
        with_pri.extend(&bytes);
        let _ = run(&[&with_pri]);
        let mut bsd = b"<13>Oct 11 22:14:15 ".to_vec();
        bsd.extend(&bytes);
        let _ = run(&[&bsd]);
    }
}
