use super::{frame, parse, sequence_fault, Publishers, MAX_PUBLISHERS};
use crate::registry::Flag;
use crate::{AnomalyClass, Output};
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

/// A BER INTEGER holding `v` as an unsigned value (a leading zero octet when the top bit is set).
fn integer(v: u64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(7);
    let mut out = bytes[first..].to_vec();
    if out[0] & 0x80 != 0 {
        out.insert(0, 0);
    }
    out
}

fn goose_frame(test: bool) -> Vec<u8> {
    goose_frame_with(b"IED1LD0/LLN0$GO$gcb1", 5, 256, test)
}

fn goose_frame_with(gocb_ref: &[u8], st_num: u64, sq_num: u64, test: bool) -> Vec<u8> {
    let fields = [
        tlv(0x80, gocb_ref),
        tlv(0x81, &[0x07, 0xD0]),
        tlv(0x82, b"IED1LD0/LLN0$DS1"),
        tlv(0x83, b"IED1_GOOSE1"),
        tlv(0x84, &[0; 8]),
        tlv(0x85, &integer(st_num)),
        tlv(0x86, &integer(sq_num)),
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
    let mut publishers = Publishers::default();
    frame(&mut publishers, PUBLISHER, &goose_frame(true), &mut out);
    frame(&mut publishers, PUBLISHER, &goose_frame(false), &mut out);
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
        frame(
            &mut Publishers::default(),
            PUBLISHER,
            &bytes[..40],
            &mut out,
        );
    }
    assert_eq!(ops.len(), 1);
    assert!(
        anomalies.iter().any(|a| a.contains("truncated")),
        "{anomalies:?}"
    );
    {
        let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
        frame(&mut Publishers::default(), PUBLISHER, &bytes[..5], &mut out);
    }
    assert!(
        anomalies
            .iter()
            .any(|a| a.contains("shorter than the GOOSE header")),
        "{anomalies:?}"
    );
}

const PUBLISHER: [u8; 6] = [0x00, 0xa0, 0xf4, 0x08, 0x2f, 0x77];
const MAX: u64 = u32::MAX as u64;

#[test]
fn counters_that_a_publisher_produces_are_not_flagged() {
    for (before, now) in [
        ((5, 3), (5, 4)),     // retransmission
        ((5, 3), (5, 9)),     // retransmissions lost before the capture point
        ((5, 3), (6, 0)),     // state change, Ed.2
        ((5, 3), (6, 1)),     // state change, sqNum from 1 (some Ed.1 devices)
        ((5, 3), (6, 4)),     // state change whose first frames were lost
        ((MAX, 7), (0, 0)),   // stNum rolls over to 0…
        ((MAX, 7), (1, 0)),   // …or to 1
        ((9, MAX), (9, 0)),   // sqNum rolls over to 0…
        ((9, MAX), (9, 1)),   // …or to 1
        ((36716, 2), (1, 0)), // the publisher restarted
        ((1, 12), (1, 1)),    // restarted at stNum 1 (GOOSE.pcap, frame 4)
    ] {
        assert_eq!(sequence_fault(before, now), None, "{before:?} → {now:?}");
    }
}

#[test]
fn replayed_or_injected_counters_are_flagged() {
    for (before, now, says) in [
        ((5, 3), (5, 3), "stNum 5 sqNum 3 repeated"),
        ((1, 1), (1, 1), "stNum 1 sqNum 1 repeated"),
        ((5, 3), (5, 2), "sqNum went back from 3 to 2 within stNum 5"),
        ((5, 3), (4, 0), "stNum went back from 5 to 4"),
        ((5, 3), (7, 0), "stNum jumped from 5 to 7"),
        ((MAX, 7), (2, 0), "stNum went back from 4294967295 to 2"),
        ((MAX - 1, 7), (0, 0), "stNum went back from 4294967294 to 0"),
        (
            (9, MAX - 1),
            (9, 0),
            "sqNum went back from 4294967294 to 0 within stNum 9",
        ),
    ] {
        assert_eq!(
            sequence_fault(before, now).as_deref(),
            Some(says),
            "{before:?} → {now:?}"
        );
    }
}

/// Frames through the dissector: a replayed frame is flagged once for the repeat, and the
/// publisher's next genuine frame is not (it follows the replayed one).
#[test]
fn a_replayed_frame_is_flagged_for_detection() {
    let (mut ops, mut facts, mut anomalies, mut flags) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::<Flag>::new());
    let gcb = b"IED1LD0/LLN0$GO$gcb1";
    let mut publishers = Publishers::default();
    {
        let mut out =
            Output::for_tests_with_flags(&mut ops, &mut facts, &mut anomalies, &mut flags);
        for (st, sq) in [(7, 0), (7, 1), (8, 0), (8, 1), (8, 1), (8, 2)] {
            frame(
                &mut publishers,
                PUBLISHER,
                &goose_frame_with(gcb, st, sq, false),
                &mut out,
            );
        }
        // The same counters from another MAC, or as test frames, are other publishers.
        frame(
            &mut publishers,
            [2; 6],
            &goose_frame_with(gcb, 8, 2, false),
            &mut out,
        );
        frame(
            &mut publishers,
            PUBLISHER,
            &goose_frame_with(gcb, 8, 2, true),
            &mut out,
        );
    }
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].class, AnomalyClass::Sequence);
    assert_eq!(flags[0].subject, "IED1LD0/LLN0$GO$gcb1");
    assert!(
        flags[0].message.contains("stNum 8 sqNum 1 repeated"),
        "{flags:?}"
    );
    assert_eq!(anomalies.len(), 1, "{anomalies:?}");
    // An injected state (stNum far ahead) is flagged, and so is the genuine publisher's
    // next frame, which now looks like a step back; a repeated test frame is flagged under
    // the test publication.
    {
        let mut out =
            Output::for_tests_with_flags(&mut ops, &mut facts, &mut anomalies, &mut flags);
        frame(
            &mut publishers,
            PUBLISHER,
            &goose_frame_with(gcb, 500, 0, false),
            &mut out,
        );
        frame(
            &mut publishers,
            PUBLISHER,
            &goose_frame_with(gcb, 8, 3, false),
            &mut out,
        );
        frame(
            &mut publishers,
            PUBLISHER,
            &goose_frame_with(gcb, 8, 2, true),
            &mut out,
        );
    }
    let messages: Vec<&str> = flags.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(messages.len(), 4, "{messages:?}");
    assert!(messages[1].contains("stNum jumped from 8 to 500"));
    assert!(messages[2].contains("stNum went back from 500 to 8"));
    assert!(messages[3].contains("stNum 8 sqNum 2 repeated"));
    assert_eq!(flags[3].subject, "IED1LD0/LLN0$GO$gcb1 (test)");
}

#[test]
fn a_flood_of_publishers_is_capped() {
    let mut publishers = Publishers::default();
    let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
    {
        let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
        for i in 0..MAX_PUBLISHERS + 2 {
            let gcb = format!("IED{i}/LLN0$GO$gcb");
            let bytes = goose_frame_with(gcb.as_bytes(), 1, 0, false);
            frame(&mut publishers, PUBLISHER, &bytes, &mut out);
        }
    }
    assert_eq!(publishers.untracked, 2);
    assert_eq!(publishers.last.len(), MAX_PUBLISHERS);
    assert_eq!(
        anomalies.len(),
        1,
        "the cap is reported once: {anomalies:?}"
    );
}

/// A malformed frame is flagged for detection; a frame cut short (snap length) is not.
#[test]
fn malformed_frames_are_flagged_and_truncated_ones_are_not() {
    let (mut ops, mut facts, mut anomalies, mut flags) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::<Flag>::new());
    let bytes = goose_frame(false);
    {
        let mut out =
            Output::for_tests_with_flags(&mut ops, &mut facts, &mut anomalies, &mut flags);
        let mut publishers = Publishers::default();
        frame(&mut publishers, PUBLISHER, &bytes[..40], &mut out);
        frame(&mut publishers, PUBLISHER, &bytes[..5], &mut out);
    }
    assert_eq!(anomalies.len(), 2, "{anomalies:?}");
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].class, AnomalyClass::Malformed);
    assert!(flags[0].message.contains("shorter than the GOOSE header"));
}

proptest! {
    /// Any order of counters: never a panic, and a frame never flags a publisher it did not
    /// follow before.
    #[test]
    fn sequences_never_panic(pairs in proptest::collection::vec((any::<u32>(), any::<u32>()), 1..50)) {
        let mut publishers = Publishers::default();
        let (mut ops, mut facts, mut anomalies, mut flags) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::<Flag>::new());
        {
            let mut out =
                Output::for_tests_with_flags(&mut ops, &mut facts, &mut anomalies, &mut flags);
            for (st, sq) in &pairs {
                let bytes = goose_frame_with(b"gcb", u64::from(*st), u64::from(*sq), false);
                frame(&mut publishers, PUBLISHER, &bytes, &mut out);
            }
        }
        prop_assert!(flags.len() < pairs.len());
    }

    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse(&bytes);
        let mut prefixed = vec![0, 1, 0, 0, 0, 0, 0, 0, 0x61];
        prefixed.extend(bytes);
        let _ = parse(&prefixed);
    }
}
