use super::{frame, parse};
use crate::Output;
use proptest::prelude::*;

fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    if value.len() < 128 {
        v.push(value.len() as u8);
    } else {
        v.push(0x81);
        v.push(value.len() as u8);
    }
    v.extend_from_slice(value);
    v
}

fn goose_frame(test: bool) -> Vec<u8> {
    let fields = [
        tlv(0x80, b"IED1LD0/LLN0$GO$gcb1"),
        tlv(0x81, &[0x07, 0xD0]),
        tlv(0x82, b"IED1LD0/LLN0$DS1"),
        tlv(0x83, b"IED1_GOOSE1"),
        tlv(0x84, &[0; 8]),
        tlv(0x85, &[0x05]),
        tlv(0x86, &[0x01, 0x00]),
        tlv(0x87, &[u8::from(test)]),
        tlv(0x88, &[0x01]),
        tlv(0x89, &[0x00]),
        tlv(0x8A, &[0x01]),
        tlv(0xAB, &tlv(0x83, &[0x00])),
    ]
    .concat();
    let pdu = tlv(0x61, &fields);
    let mut v = vec![0x00, 0x01];
    v.extend_from_slice(&((8 + pdu.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0]);
    v.extend_from_slice(&pdu);
    v
}

#[test]
fn goose_fields_are_decoded() {
    let (g, truncated) = parse(&goose_frame(false)).unwrap();
    assert!(!truncated);
    assert_eq!(g.gocb_ref.as_deref(), Some("IED1LD0/LLN0$GO$gcb1"));
    assert_eq!(g.dataset.as_deref(), Some("IED1LD0/LLN0$DS1"));
    assert_eq!(g.go_id.as_deref(), Some("IED1_GOOSE1"));
    assert_eq!((g.st_num, g.sq_num, g.test), (Some(5), Some(256), false));
}

#[test]
fn test_frames_are_named_apart_and_identity_is_recorded() {
    let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
    let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
    frame(&goose_frame(true), &mut out);
    frame(&goose_frame(false), &mut out);
    assert_eq!(ops.len(), 2);
    assert_eq!(ops[0].0.name, "GOOSE Publish (test/simulation)");
    assert_eq!(facts.len(), 3);
}

#[test]
fn truncated_frame_still_counts_and_is_an_anomaly() {
    let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
    let bytes = goose_frame(false);
    {
        let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
        frame(&bytes[..40], &mut out);
    }
    assert_eq!(ops.len(), 1);
    assert!(
        anomalies.iter().any(|a| a.contains("truncated")),
        "{anomalies:?}"
    );
    {
        let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
        frame(&bytes[..5], &mut out);
    }
    assert!(
        anomalies
            .iter()
            .any(|a| a.contains("shorter than the GOOSE header")),
        "{anomalies:?}"
    );
}

proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse(&bytes);
        let mut prefixed = vec![0, 1, 0, 0, 0, 0, 0, 0, 0x61];
        prefixed.extend(bytes);
        let _ = parse(&prefixed);
    }
}
