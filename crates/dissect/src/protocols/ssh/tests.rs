//! Hand-built SSH openings: banners with OS hints, server notice lines, the KEXINIT header,
//! framing at every split point, caps, and the probe.

use super::parser::probe;
use super::session::SshSession;
use super::types::os_of;
use crate::testing::{fact, Run};
use crate::Confidence;
use proptest::prelude::*;
use zonewarden_model::Direction;

const C: Direction = Direction::ToServer;
const S: Direction = Direction::ToClient;

fn run(messages: &[(Direction, &[u8])]) -> Run {
    Run::of_data(&mut SshSession::default(), messages)
}

/// A KEXINIT packet header: packet_length 0x000001FC, padding_length 4, message 20, then
/// (some of) the cookie and name-lists, which are not decoded.
const KEXINIT: &[u8] = &[0, 0, 1, 0xFC, 4, 20, 0xAA, 0xBB, 0xCC, 0xDD];

fn server_stream() -> Vec<u8> {
    [
        &b"SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7\r\n"[..],
        KEXINIT,
        b"\x00\x00\x00\x0c\x0a\x15encrypted?",
    ]
    .concat()
}

fn client_stream() -> Vec<u8> {
    [&b"SSH-2.0-PuTTY_Release_0.78\r\n"[..], KEXINIT].concat()
}

#[test]
fn banners_os_and_key_exchange() {
    let r = run(&[(S, &server_stream()), (C, &client_stream())]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(
        fact(&r, false, "ssh_banner"),
        Some("SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7")
    );
    assert_eq!(fact(&r, false, "os"), Some("Debian"));
    assert_eq!(
        fact(&r, true, "ssh_banner"),
        Some("SSH-2.0-PuTTY_Release_0.78")
    );
    assert_eq!(fact(&r, true, "os"), None);
    let banner = &r.ops.iter().find(|(o, _)| o.name == "banner").unwrap().1;
    assert_eq!((banner.requests, banner.responses), (1, 1));
    let kex = r
        .ops
        .iter()
        .find(|(o, _)| o.name == "key exchange")
        .unwrap();
    assert_eq!((kex.0.code, kex.1.requests, kex.1.responses), (20, 1, 1));
}

#[test]
fn notice_lines_before_the_server_identification_are_skipped() {
    let r = run(&[(
        S,
        b"Authorised users only\r\nSSH-2.0-OpenSSH_for_Windows_8.1\r\n",
    )]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(fact(&r, false, "os"), Some("Windows"));
    let r = run(&[(C, b"hello\r\nSSH-2.0-x\r\n")]);
    assert_eq!(r.anomalies.len(), 1);
    assert!(r.facts.is_empty());
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let server = server_stream();
    let whole = run(&[(S, &server)]);
    for cut in 0..=server.len() {
        assert_eq!(
            run(&[(S, &server[..cut]), (S, &server[cut..])]),
            whole,
            "cut {cut}"
        );
    }
}

#[test]
fn caps() {
    let mut long = b"SSH-2.0-".to_vec();
    long.extend(vec![b'a'; 300]);
    let r = run(&[(S, &long)]);
    assert_eq!(r.anomalies.len(), 1);
    assert!(r.anomalies[0].contains("longer than 255"));
    let notices = b"notice\r\n".repeat(2000);
    let r = run(&[(S, &notices)]);
    assert_eq!(r.anomalies.len(), 1);
    let r = run(&[(S, b"SSH-2.0-x\r\n\x00\x00\x00\x10\x04\x05abc")]);
    assert!(r.anomalies[0].contains("message 5"));
}

#[test]
fn os_names() {
    assert_eq!(
        os_of("SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.5"),
        Some("Ubuntu")
    );
    assert_eq!(
        os_of("SSH-2.0-OpenSSH_7.9p1 Raspbian-10+deb10u2"),
        Some("Raspbian")
    );
    assert_eq!(
        os_of("SSH-2.0-OpenSSH_7.8 FreeBSD-20180909"),
        Some("FreeBSD")
    );
    assert_eq!(os_of("SSH-2.0-dropbear_2019.78"), None);
}

#[test]
fn probe_needs_the_magic() {
    assert_eq!(probe(b"SSH-2.0-x"), Confidence::Certain);
    assert_eq!(probe(b"SS"), Confidence::NeedMore);
    assert_eq!(probe(b"GET / HTTP/1.1"), Confidence::NotMine);
    let stream = client_stream();
    let mut fed = vec![stream.len() as u8];
    fed.extend_from_slice(&stream);
    crate::fuzzing::feed_flow(Box::new(super::Ssh), 2222, &fed);
}

proptest! {
    #[test]
    fn session_never_panics(a in proptest::collection::vec(any::<u8>(), 0..300), b in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut with_banner = b"SSH-2.0-x\r\n".to_vec();
        with_banner.extend_from_slice(&a);
        let _ = run(&[(S, &with_banner), (C, &b), (S, &a)]);
    }
}
