//! Hand-built SMB2 and SMB1 exchanges: negotiation facts, NTLM challenge names, pairing,
//! compounded requests, large writes skipped, NBSS session requests on port 139, framing at
//! every split point, resynchronisation, the probe.

use super::parser::{netbios_name, probe};
use super::session::SmbSession;
use crate::testing::{fact, Run};
use crate::{Confidence, OpClass, OpStats, Operation};
use proptest::prelude::*;
use zonewarden_model::Direction;

const C: Direction = Direction::ToServer;
const S: Direction = Direction::ToClient;

fn run(messages: &[(Direction, Option<&[u8]>)]) -> Run {
    Run::of(&mut SmbSession::default(), messages, 1000)
}

fn op<'a>(r: &'a Run, name: &str) -> &'a (Operation, OpStats) {
    r.ops
        .iter()
        .find(|(o, _)| o.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", r.ops))
}

/// NBSS session message header: type 0, 24-bit length.
fn nbss(payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    [&len.to_be_bytes()[..], payload].concat()
}

/// An SMB2 header ([MS-SMB2] §2.2.1.2) followed by `body`.
fn smb2_header(command: u16, response: bool, status: u32, message_id: u64, next: u32) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(b"\xFESMB"); // ProtocolId
    h.extend_from_slice(&64u16.to_le_bytes()); // StructureSize
    h.extend_from_slice(&1u16.to_le_bytes()); // CreditCharge
    h.extend_from_slice(&status.to_le_bytes()); // Status
    h.extend_from_slice(&command.to_le_bytes()); // Command
    h.extend_from_slice(&1u16.to_le_bytes()); // CreditRequest/Response
    h.extend_from_slice(&u32::from(response).to_le_bytes()); // Flags
    h.extend_from_slice(&next.to_le_bytes()); // NextCommand
    h.extend_from_slice(&message_id.to_le_bytes()); // MessageId
    h.extend_from_slice(&0xFEFFu32.to_le_bytes()); // Reserved (ProcessId)
    h.extend_from_slice(&1u32.to_le_bytes()); // TreeId
    h.extend_from_slice(&0x1234u64.to_le_bytes()); // SessionId
    h.extend_from_slice(&[0; 16]); // Signature
    h
}

fn smb2(command: u16, response: bool, status: u32, message_id: u64, body: &[u8]) -> Vec<u8> {
    nbss(
        &[
            smb2_header(command, response, status, message_id, 0),
            body.to_vec(),
        ]
        .concat(),
    )
}

fn negotiate_request() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&36u16.to_le_bytes()); // StructureSize
    body.extend_from_slice(&2u16.to_le_bytes()); // DialectCount
    body.extend_from_slice(&1u16.to_le_bytes()); // SecurityMode: signing enabled
    body.extend_from_slice(&[0; 2 + 4 + 16 + 8]); // Reserved, Capabilities, ClientGuid, …
    body.extend_from_slice(&[0x10, 0x02, 0x11, 0x03]); // Dialects 0x0210, 0x0311
    smb2(0, false, 0, 0, &body)
}

fn negotiate_response(security_mode: u16) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&65u16.to_le_bytes()); // StructureSize
    body.extend_from_slice(&security_mode.to_le_bytes()); // SecurityMode
    body.extend_from_slice(&0x0311u16.to_le_bytes()); // DialectRevision
    body.extend_from_slice(&[0; 2 + 16 + 4 * 4 + 16 + 8]); // contexts, guid, sizes, times…
    smb2(0, true, 0, 0, &body)
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// An NTLMSSP CHALLENGE ([MS-NLMP] §2.2.1.2) with target info AV pairs and a version.
fn ntlm_challenge() -> Vec<u8> {
    let target_name = utf16("ACME");
    let mut info = Vec::new();
    for (id, value) in [
        (2u16, "ACME"),
        (1, "HIST01"),
        (4, "acme.local"),
        (3, "hist01.acme.local"),
    ] {
        let v = utf16(value);
        info.extend_from_slice(&id.to_le_bytes()); // AvId
        info.extend_from_slice(&(v.len() as u16).to_le_bytes()); // AvLen
        info.extend_from_slice(&v);
    }
    info.extend_from_slice(&[0, 0, 0, 0]); // MsvAvEOL
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend_from_slice(&2u32.to_le_bytes()); // MessageType CHALLENGE
    m.extend_from_slice(&(target_name.len() as u16).to_le_bytes()); // TargetNameLen
    m.extend_from_slice(&(target_name.len() as u16).to_le_bytes()); // TargetNameMaxLen
    m.extend_from_slice(&56u32.to_le_bytes()); // TargetNameBufferOffset
    m.extend_from_slice(&0xE28A_8215u32.to_le_bytes()); // NegotiateFlags (VERSION set)
    m.extend_from_slice(&[0x11; 8]); // ServerChallenge
    m.extend_from_slice(&[0; 8]); // Reserved
    m.extend_from_slice(&(info.len() as u16).to_le_bytes()); // TargetInfoLen
    m.extend_from_slice(&(info.len() as u16).to_le_bytes()); // TargetInfoMaxLen
    m.extend_from_slice(&((56 + target_name.len()) as u32).to_le_bytes()); // TargetInfoOffset
    m.extend_from_slice(&[10, 0, 0x63, 0x45, 0, 0, 0, 15]); // Version 10.0 build 17763
    m.extend_from_slice(&target_name);
    m.extend_from_slice(&info);
    m
}

fn session_setup_response() -> Vec<u8> {
    // SPNEGO wrapping (not decoded) around the NTLMSSP message.
    let blob = [&[0xA1, 0x81, 0xC0, 0x30, 0x81, 0xBD][..], &ntlm_challenge()].concat();
    let mut body = Vec::new();
    body.extend_from_slice(&9u16.to_le_bytes()); // StructureSize
    body.extend_from_slice(&0u16.to_le_bytes()); // SessionFlags
    body.extend_from_slice(&72u16.to_le_bytes()); // SecurityBufferOffset
    body.extend_from_slice(&(blob.len() as u16).to_le_bytes()); // SecurityBufferLength
    body.extend_from_slice(&blob);
    // STATUS_MORE_PROCESSING_REQUIRED: the next leg follows, not an error.
    smb2(1, true, 0xC000_0016, 1, &body)
}

/// A write request with 100000 bytes of data, and its response.
fn write_exchange() -> (Vec<u8>, Vec<u8>) {
    let mut body = Vec::new();
    body.extend_from_slice(&49u16.to_le_bytes()); // StructureSize
    body.extend_from_slice(&112u16.to_le_bytes()); // DataOffset
    body.extend_from_slice(&100_000u32.to_le_bytes()); // Length
    body.extend_from_slice(&[0; 8 + 16 + 4 + 4 + 2 + 2 + 4]); // Offset, FileId, …
    body.extend(vec![0x5A; 100_000]);
    let request = smb2(9, false, 0, 7, &body);
    let response = smb2(
        9,
        true,
        0,
        7,
        &[17, 0, 0, 0, 0xA0, 0x86, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    );
    (request, response)
}

#[test]
fn smb2_negotiation_and_ntlm_challenge() {
    let r = run(&[
        (C, Some(&negotiate_request())),
        (S, Some(&negotiate_response(0x0001))),
        (C, Some(&smb2(1, false, 0, 1, &[25, 0]))),
        (S, Some(&session_setup_response())),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(fact(&r, false, "smb_dialect"), Some("3.1.1"));
    assert_eq!(fact(&r, false, "smb_signing"), Some("not required"));
    assert_eq!(fact(&r, false, "hostname"), Some("HIST01"));
    assert_eq!(fact(&r, false, "netbios_domain"), Some("ACME"));
    assert_eq!(fact(&r, false, "dns_name"), Some("hist01.acme.local"));
    assert_eq!(fact(&r, false, "dns_domain"), Some("acme.local"));
    assert_eq!(fact(&r, false, "ntlm_version"), Some("10.0.17763"));
    assert_eq!(fact(&r, false, "smb1"), None);
    let (negotiate, stats) = op(&r, "negotiate");
    assert_eq!((negotiate.code, stats.requests, stats.responses), (0, 1, 1));
    let (_, stats) = op(&r, "session setup");
    assert_eq!((stats.responses, stats.exceptions), (1, 0));
}

#[test]
fn large_writes_are_skipped_and_paired() {
    let (request, response) = write_exchange();
    let r = run(&[(C, Some(&request)), (S, Some(&response))]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let (write, stats) = op(&r, "write");
    assert_eq!(
        (write.code, write.class, stats.requests, stats.responses),
        (9, OpClass::Write, 1, 1)
    );
}

#[test]
fn compounded_requests_are_all_counted() {
    // CREATE + READ + CLOSE in one NBSS message (NextCommand = 72, 8-aligned).
    let mut message = Vec::new();
    for (i, command) in [5u16, 8, 6].into_iter().enumerate() {
        let next = if i < 2 { 72 } else { 0 };
        message.extend(smb2_header(command, false, 0, 10 + i as u64, next));
        message.extend_from_slice(&[0; 8]);
    }
    let errors = [
        smb2(5, true, 0xC000_0034, 10, &[9, 0]), // STATUS_OBJECT_NAME_NOT_FOUND
        smb2(8, true, 0xC000_0034, 11, &[9, 0]),
        smb2(6, true, 0xC000_0034, 12, &[9, 0]),
    ]
    .concat();
    let r = run(&[(C, Some(&nbss(&message))), (S, Some(&errors))]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    for name in ["create", "read", "close"] {
        let (_, stats) = op(&r, name);
        assert_eq!(
            (stats.requests, stats.responses, stats.exceptions),
            (1, 1, 1),
            "{name}"
        );
    }
}

/// SMB1 header ([MS-CIFS] §2.2.3.1) with NT status.
fn smb1(command: u8, reply: bool, status: u32, mid: u16, params: &[u8]) -> Vec<u8> {
    let mut h = b"\xFFSMB".to_vec();
    h.push(command); // Command
    h.extend_from_slice(&status.to_le_bytes()); // Status
    h.push(if reply { 0x98 } else { 0x18 }); // Flags
    h.extend_from_slice(&0xC853u16.to_le_bytes()); // Flags2 (NT status, unicode…)
    h.extend_from_slice(&[0; 2 + 8 + 2]); // PIDHigh, SecurityFeatures, Reserved
    h.extend_from_slice(&0xFFFFu16.to_le_bytes()); // TID
    h.extend_from_slice(&0xFEFFu16.to_le_bytes()); // PIDLow
    h.extend_from_slice(&0u16.to_le_bytes()); // UID
    h.extend_from_slice(&mid.to_le_bytes()); // MID
    nbss(&[h, params.to_vec()].concat())
}

fn smb1_exchange() -> Vec<(Direction, Vec<u8>)> {
    let dialects = b"\x02PC NETWORK PROGRAM 1.0\0\x02NT LM 0.12\0\x02SMB 2.002\0";
    let mut negotiate = vec![0]; // WordCount
    negotiate.extend_from_slice(&(dialects.len() as u16).to_le_bytes()); // ByteCount
    negotiate.extend_from_slice(dialects);
    let mut answer = vec![17]; // WordCount
    answer.extend_from_slice(&1u16.to_le_bytes()); // DialectIndex: NT LM 0.12
    answer.push(0x03); // SecurityMode: user, encrypt passwords; no signing
    answer.extend_from_slice(&[0; 31]); // the other words, ByteCount
    vec![
        (C, smb1(0x72, false, 0, 1, &negotiate)),
        (S, smb1(0x72, true, 0, 1, &answer)),
        (
            C,
            smb1(0x75, false, 0, 2, &[4, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        ),
        (S, smb1(0x75, true, 0xC000_0022, 2, &[0, 0, 0])), // STATUS_ACCESS_DENIED
    ]
}

#[test]
fn smb1_is_a_finding() {
    let messages = smb1_exchange();
    let borrowed: Vec<(Direction, Option<&[u8]>)> = messages
        .iter()
        .map(|(d, b)| (*d, Some(b.as_slice())))
        .collect();
    let r = run(&borrowed);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(fact(&r, false, "smb1"), Some("used"));
    assert_eq!(fact(&r, true, "smb1"), Some("used"));
    assert_eq!(fact(&r, false, "smb_dialect"), Some("NT LM 0.12"));
    assert_eq!(fact(&r, false, "smb_signing"), Some("not required"));
    let (tree, stats) = op(&r, "SMB1 tree connect andx");
    assert_eq!(
        (tree.code, stats.responses, stats.exceptions),
        (0x175, 1, 1)
    );
}

/// A NetBIOS name in first-level encoding: padded to 15, suffix, each nibble + 'A'.
fn encoded(name: &str, suffix: u8) -> Vec<u8> {
    let mut raw = format!("{name:<15}").into_bytes();
    raw.push(suffix);
    let mut out = vec![32];
    for b in raw {
        out.push(b'A' + (b >> 4));
        out.push(b'A' + (b & 0xF));
    }
    out.push(0); // the scope's terminating label
    out
}

#[test]
fn port_139_session_request_names_both_ends() {
    let request = [
        &[0x81, 0, 0, 68][..], // session request, length 68
        &encoded("FILESERVER", 0x20),
        &encoded("HMI01", 0x00),
    ]
    .concat();
    assert_eq!(probe(&request), Confidence::Certain);
    assert_eq!(
        netbios_name(&encoded("HMI01", 0)),
        Some("HMI01".to_string())
    );
    let r = run(&[
        (C, Some(&request)),
        (S, Some(&[0x82, 0, 0, 0])),
        (C, Some(&negotiate_request())),
        (S, Some(&[0x85, 0, 0, 0])),
        (S, Some(&negotiate_response(0x0003))),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(fact(&r, false, "netbios_name"), Some("FILESERVER"));
    assert_eq!(fact(&r, true, "netbios_name"), Some("HMI01"));
    assert_eq!(fact(&r, false, "smb_signing"), Some("required"));
}

#[test]
fn framing_is_the_same_at_every_split_point() {
    let (write, written) = write_exchange();
    let client = [negotiate_request(), smb2(1, false, 0, 1, &[25, 0]), write].concat();
    let server = [negotiate_response(1), session_setup_response(), written].concat();
    let whole = run(&[(C, Some(&client)), (S, Some(&server))]);
    assert!(whole.anomalies.is_empty());
    assert_eq!(whole.ops.len(), 3);
    // Every cut in the parsed parts, and a sample inside the skipped write data.
    let cuts = (0..600)
        .chain((600..client.len()).step_by(997))
        .chain([client.len()]);
    for cut in cuts {
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
fn garbage_and_gaps_resynchronise() {
    let stream = [&b"\x00\x00\x00\x05hello junk"[..], &negotiate_request()].concat();
    let r = run(&[(C, Some(&stream))]);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert!(r.anomalies[0].contains("stream offset 0"));
    assert_eq!(op(&r, "negotiate").1.requests, 1);
    // A gap inside a skipped write body keeps the framing.
    let (write, _) = write_exchange();
    let r = run(&[
        (C, Some(&write[..20_000])),
        (C, None),
        (C, Some(&write[21_000..])),
        (C, Some(&negotiate_request())),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(op(&r, "negotiate").1.requests, 1);
    // A gap elsewhere: resynchronised on the next SMB header.
    let r = run(&[
        (C, Some(&negotiate_request()[..30])),
        (C, None),
        (C, Some(b"xx")),
        (C, Some(&negotiate_request())),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(op(&r, "negotiate").1.requests, 1);
}

#[test]
fn probe_recognises_smb() {
    assert_eq!(probe(&negotiate_request()), Confidence::Certain);
    assert_eq!(probe(&smb1_exchange()[0].1), Confidence::Certain);
    assert_eq!(probe(&negotiate_request()[..6]), Confidence::NeedMore);
    assert_eq!(probe(&[0x85, 0, 0, 0]), Confidence::Maybe);
    assert_eq!(probe(&[0x83, 0, 0, 1, 0x82]), Confidence::Maybe);
    // Modbus/TCP: transaction 0x0001, protocol 0, length 6.
    assert_eq!(
        probe(&[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1]),
        Confidence::NotMine
    );
    assert_eq!(probe(b"GET / HTTP/1.1\r\n"), Confidence::NotMine);
    let request = negotiate_request();
    let mut fed = vec![request.len() as u8];
    fed.extend_from_slice(&request);
    crate::fuzzing::feed_flow(Box::new(super::Smb), 445, &fed);
}

proptest! {
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
        let _ = run(&messages);
    }

    #[test]
    fn smb_shaped_messages_never_panic(command in any::<u16>(), flags in any::<bool>(), next in any::<u32>(), body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let m = nbss(&[smb2_header(command, flags, 0, 1, next), body.clone()].concat());
        let s1 = smb1(command as u8, flags, 0, 1, &body);
        let _ = run(&[(C, Some(&m)), (S, Some(&m)), (C, Some(&s1)), (S, Some(&s1))]);
        let _ = super::ntlm::challenge(&[&b"NTLMSSP\0\x02\0\0\0"[..], &body].concat());
    }
}
