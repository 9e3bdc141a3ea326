//! Hand-built Telnet sessions: option negotiation, the banner, a login (whose user name and
//! password must never be kept), subnegotiation caps, framing at every split point, the probe.

use super::parser::probe;
use super::session::TelnetSession;
use crate::testing::{fact, Run};
use crate::Confidence;
use proptest::prelude::*;
use zonewarden_model::Direction;

const C: Direction = Direction::ToServer;
const S: Direction = Direction::ToClient;

fn run(messages: &[(Direction, Option<&[u8]>)]) -> Run {
    Run::of(&mut TelnetSession::default(), messages, 10)
}

/// Server: IAC DO TERMINAL-TYPE (24), IAC WILL ECHO (1), IAC SB TERMINAL-TYPE SEND IAC SE,
/// blank lines, a coloured banner line, the login prompt, the echoed user name, the password
/// prompt, and a shell prompt after the login.
fn server() -> Vec<u8> {
    [
        &[0xFF, 0xFD, 24, 0xFF, 0xFB, 1, 0xFF, 0xFA, 24, 1, 0xFF, 0xF0][..],
        b"\r\n\r\n\x1b[1mSCALANCE X-200 Switch\x1b[0m \xff\xff edition\r\n",
        b"scalance login: ",
        b"operator\r\n",
        b"Password: ",
        b"\r\nWelcome\r\n$ ",
    ]
    .concat()
}

/// Client: IAC WILL TERMINAL-TYPE, IAC SB TERMINAL-TYPE IS "VT100" IAC SE, the user name and
/// the password typed after the prompts.
const CLIENT_NEGOTIATION: &[u8] = &[
    0xFF, 0xFB, 24, 0xFF, 0xFA, 24, 0, b'V', b'T', b'1', b'0', b'0', 0xFF, 0xF0,
];

fn session() -> Vec<(Direction, Option<Vec<u8>>)> {
    let s = server();
    let at =
        |needle: &[u8]| s.windows(needle.len()).position(|w| w == needle).unwrap() + needle.len();
    let (login, password) = (at(b"login: "), at(b"Password: "));
    vec![
        (S, Some(s[..login].to_vec())),
        (C, Some(CLIENT_NEGOTIATION.to_vec())),
        (C, Some(b"operator\r\n".to_vec())),
        (S, Some(s[login..password].to_vec())),
        (C, Some(b"s3cr3t-P4ss\r\0".to_vec())),
        (S, Some(s[password..].to_vec())),
        (C, Some(b"show running-config\r\n".to_vec())),
    ]
}

fn run_owned(messages: &[(Direction, Option<Vec<u8>>)]) -> Run {
    let borrowed: Vec<(Direction, Option<&[u8]>)> =
        messages.iter().map(|(d, b)| (*d, b.as_deref())).collect();
    run(&borrowed)
}

#[test]
fn login_banner_and_nothing_typed_is_kept() {
    let r = run_owned(&session());
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(
        fact(&r, false, "telnet_banner"),
        Some("SCALANCE X-200 Switch  edition")
    );
    assert_eq!(fact(&r, true, "cleartext_login"), Some("telnet"));
    assert_eq!(fact(&r, false, "cleartext_login"), Some("telnet"));
    let login = r.ops.iter().find(|(o, _)| o.name == "login").unwrap();
    assert_eq!((login.0.code, login.1.requests), (1, 1));
    let everything = format!("{:?}{:?}{:?}", r.ops, r.facts, r.anomalies);
    for secret in ["operator", "s3cr3t", "running-config", "VT100"] {
        assert!(!everything.contains(secret), "{secret} kept");
    }
}

#[test]
fn the_banner_is_the_prompt_line_when_no_line_came_first() {
    let r = run(&[(S, Some(b"Ubuntu 22.04 LTS\r\nplc-gw login: "))]);
    assert_eq!(fact(&r, false, "telnet_banner"), Some("Ubuntu 22.04 LTS"));
    let r = run(&[(S, Some(b"router1 login: admin\r\n"))]);
    assert_eq!(fact(&r, false, "telnet_banner"), Some("router1 login:"));
    // No password prompt answered: no login.
    assert!(r.ops.is_empty());
}

#[test]
fn a_password_only_prompt_is_a_login() {
    let r = run(&[
        (
            S,
            Some(b"\r\n\r\nUser Access Verification\r\n\r\nPassword: "),
        ),
        (C, Some(b"cisco\r\n")),
        (S, Some(b"\r\nPassword: ")),
        (C, Some(b"cisco123\r\n")),
    ]);
    assert_eq!(
        fact(&r, false, "telnet_banner"),
        Some("User Access Verification")
    );
    assert_eq!(r.ops[0].1.requests, 2);
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let messages = session();
    let whole = run_owned(&messages);
    for (i, (dir, bytes)) in messages.iter().enumerate() {
        let Some(bytes) = bytes else { continue };
        for cut in 0..=bytes.len() {
            let mut split = messages.clone();
            split[i] = (*dir, Some(bytes[..cut].to_vec()));
            split.insert(i + 1, (*dir, Some(bytes[cut..].to_vec())));
            assert_eq!(run_owned(&split), whole, "message {i} cut {cut}");
        }
    }
}

#[test]
fn a_runaway_subnegotiation_is_capped() {
    let mut s = vec![0xFF, 0xFA, 24];
    s.extend(vec![b'x'; 5000]);
    s.extend_from_slice(b"\r\nbanner\r\n");
    let r = run(&[(S, Some(&s))]);
    assert_eq!(r.anomalies.len(), 1);
    assert!(
        r.anomalies[0].contains("stream offset 4098"),
        "{:?}",
        r.anomalies
    );
}

#[test]
fn a_gap_drops_the_partial_banner() {
    let r = run(&[
        (S, Some(b"HALF A LI")),
        (S, None),
        (S, Some(b"NE\r\nlogin: ")),
    ]);
    assert_eq!(fact(&r, false, "telnet_banner"), None);
}

#[test]
fn probe_recognises_negotiation() {
    assert_eq!(probe(&server()), Confidence::Certain);
    assert_eq!(probe(CLIENT_NEGOTIATION), Confidence::Certain);
    assert_eq!(probe(&[0xFF, 0xFD, 24]), Confidence::Maybe);
    assert_eq!(probe(&[0xFF, 0xFD]), Confidence::NeedMore);
    assert_eq!(probe(&[0xFF, 0x01, 0x02]), Confidence::NotMine);
    assert_eq!(
        probe(b"\r\nUser Access Verification\r\n"),
        Confidence::Maybe
    );
    assert_eq!(probe(b"220 ProFTPD Server\r\n"), Confidence::NotMine);
    assert_eq!(probe(b"SSH-2.0-x\r\n"), Confidence::NotMine);
    assert_eq!(probe(&[0x03, 0x00, 0x00, 0x13]), Confidence::NotMine);
    let s = server();
    let mut fed = vec![40u8];
    fed.extend_from_slice(&s[..40]);
    crate::fuzzing::feed_flow(Box::new(super::Telnet), 23, &fed);
}

proptest! {
    #[test]
    fn session_never_panics(chunks in proptest::collection::vec((0u8..3, proptest::collection::vec(any::<u8>(), 0..200)), 0..10)) {
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
}
