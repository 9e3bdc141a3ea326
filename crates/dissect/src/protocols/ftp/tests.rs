//! Hand-built FTP control sessions: greeting, login (user name and password never kept),
//! commands and replies paired, multi-line and preliminary replies, errors, AUTH TLS, caps,
//! framing at every split point, the probe.

use super::parser::probe;
use super::session::FtpSession;
use crate::testing::{fact, Run};
use crate::{Confidence, OpClass, OpStats, Operation};
use proptest::prelude::*;
use zonewarden_model::Direction;

const C: Direction = Direction::ToServer;
const S: Direction = Direction::ToClient;

fn run(messages: &[(Direction, &[u8])]) -> Run {
    Run::of_data(&mut FtpSession::default(), messages)
}

fn op<'a>(r: &'a Run, name: &str) -> &'a (Operation, OpStats) {
    r.ops.iter().find(|(o, _)| o.name == name).unwrap()
}

/// A session: multi-line greeting, login, a failed RETR, a listing with a preliminary 150,
/// a store, a delete refused, quit.
const SERVER: &[u8] = b"220-Welcome to the historian FTP\r\n\
220 (vsFTPd 3.0.3)\r\n\
331 Please specify the password.\r\n\
230 Login successful.\r\n\
550 Failed to open file.\r\n\
150 Here comes the directory listing.\r\n\
226 Directory send OK.\r\n\
150 Ok to send data.\r\n\
226 Transfer complete.\r\n\
550 Permission denied.\r\n\
221 Goodbye.\r\n";

fn exchange() -> Vec<(Direction, &'static [u8])> {
    let lines: Vec<&'static [u8]> = SERVER.split_inclusive(|&c| c == b'\n').collect();
    vec![
        (S, &SERVER[..lines[0].len() + lines[1].len()]),
        (C, b"USER historian\r\n"),
        (S, lines[2]),
        (C, b"PASS Tr0ub4dor&3\r\n"),
        (S, lines[3]),
        (C, b"RETR /etc/secret.cfg\r\n"),
        (S, lines[4]),
        (C, b"LIST\r\n"),
        (S, &[lines[5], lines[6]].concat().leak()[..]),
        (C, b"STOR recipe.csv\r\n"),
        (S, &[lines[7], lines[8]].concat().leak()[..]),
        (C, b"DELE log.txt\r\n"),
        (S, lines[9]),
        (C, b"QUIT\r\n"),
        (S, lines[10]),
    ]
}

#[test]
fn a_session_gives_ops_banner_and_login() {
    let r = run(&exchange());
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(
        fact(&r, false, "ftp_banner"),
        Some("Welcome to the historian FTP")
    );
    assert_eq!(fact(&r, true, "cleartext_login"), Some("ftp"));
    assert_eq!(fact(&r, false, "cleartext_login"), Some("ftp"));
    let (retr, stats) = op(&r, "RETR");
    assert_eq!(
        (
            retr.class,
            stats.requests,
            stats.responses,
            stats.exceptions
        ),
        (OpClass::Read, 1, 1, 1)
    );
    let (stor, stats) = op(&r, "STOR");
    assert_eq!(
        (stor.class, stats.responses, stats.exceptions),
        (OpClass::Write, 1, 0)
    );
    assert_eq!(op(&r, "DELE").1.exceptions, 1);
    assert_eq!(op(&r, "LIST").1.responses, 1);
    assert_eq!(op(&r, "QUIT").1.responses, 1);
    assert_eq!(r.ops.iter().map(|(_, s)| s.requests).sum::<u64>(), 7);
}

#[test]
fn user_names_passwords_and_file_names_are_never_kept() {
    let r = run(&exchange());
    let everything = format!("{:?}{:?}{:?}", r.ops, r.facts, r.anomalies);
    for secret in [
        "historian\"",
        "Tr0ub4dor",
        "secret.cfg",
        "recipe",
        "log.txt",
    ] {
        assert!(!everything.contains(secret), "{secret} kept");
    }
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let client: Vec<u8> = exchange()
        .iter()
        .filter(|(d, _)| *d == C)
        .flat_map(|(_, b)| b.to_vec())
        .collect();
    // Commands first, then all replies: pairing is first-in first-out, so the order of the two
    // streams does not matter.
    let whole = run(&[(C, &client), (S, SERVER)]);
    assert!(whole.anomalies.is_empty());
    for cut in 0..=client.len() {
        assert_eq!(
            run(&[(C, &client[..cut]), (C, &client[cut..]), (S, SERVER)]),
            whole,
            "client {cut}"
        );
    }
    for cut in 0..=SERVER.len() {
        assert_eq!(
            run(&[(C, &client), (S, &SERVER[..cut]), (S, &SERVER[cut..])]),
            whole,
            "server {cut}"
        );
    }
}

#[test]
fn auth_tls_stops_parsing() {
    let r = run(&[
        (S, b"220 FileZilla Server 1.7\r\n"),
        (C, b"AUTH TLS\r\n"),
        (S, b"234 Using authentication type TLS.\r\n"),
        (C, b"\x16\x03\x01\x00\x05hello USER x\r\n"),
        (S, b"\x16\x03\x03garbage\r\n"),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(r.ops.len(), 1);
    assert_eq!(fact(&r, false, "ftp_banner"), Some("FileZilla Server 1.7"));
}

#[test]
fn long_lines_and_unmatched_replies() {
    let mut long = vec![b'A'; 5000];
    long.extend_from_slice(b"\r\nNOOP\r\n");
    let r = run(&[(C, &long), (S, b"200 ok\r\n200 again\r\n")]);
    assert_eq!(r.anomalies.len(), 1);
    assert_eq!(op(&r, "NOOP").1.responses, 1);
    assert_eq!(op(&r, "FTP reply (command not seen)").1.count, 1);
    let r = run(&[(S, b"no code here\r\n")]);
    assert_eq!(r.anomalies.len(), 1);
}

#[test]
fn probe_recognises_greetings_and_commands() {
    assert_eq!(probe(b"220 (vsFTPd 3.0.3)\r\n"), Confidence::Certain);
    assert_eq!(probe(b"220-Microsoft FTP Service\r\n"), Confidence::Certain);
    assert_eq!(
        probe(b"220 mail.example ESMTP Postfix\r\n"),
        Confidence::Maybe
    );
    assert_eq!(probe(b"220 ftp.example ESMTP\r\n"), Confidence::Maybe);
    assert_eq!(probe(SERVER), Confidence::Certain);
    assert_eq!(
        probe(b"220-Welcome\r\n220 ProFTPD Server\r\n"),
        Confidence::Certain
    );
    assert_eq!(probe(b"22"), Confidence::NeedMore);
    assert_eq!(probe(b"USER anonymous\r\n"), Confidence::Maybe);
    assert_eq!(probe(b"USER"), Confidence::NeedMore);
    assert_eq!(probe(b"GET / HTTP/1.1\r\n"), Confidence::NotMine);
    assert_eq!(probe(&[0x16, 3, 1]), Confidence::NotMine);
    let mut fed = vec![SERVER.len().min(63) as u8 | 0x80];
    fed.extend_from_slice(&SERVER[..SERVER.len().min(63)]);
    crate::fuzzing::feed_flow(Box::new(super::Ftp), 21, &fed);
}

proptest! {
    #[test]
    fn session_never_panics(chunks in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..200)), 0..10)) {
        let messages: Vec<(Direction, &[u8])> = chunks
            .iter()
            .map(|(c, b)| (if *c { C } else { S }, b.as_slice()))
            .collect();
        let _ = run(&messages);
    }

    #[test]
    fn ftp_like_lines_never_panic(lines in proptest::collection::vec("[0-9A-Z -]{0,12}", 0..12)) {
        let text: Vec<u8> = lines.iter().flat_map(|l| [l.as_bytes(), b"\r\n"].concat()).collect();
        let _ = run(&[(C, &text), (S, &text)]);
    }
}
