//! Byte-vector tests built from ANSI/ASHRAE 135: BVLL, NPDU routing, every APDU type, pairing,
//! identity, malformed input and caps.

use super::parser::probe;
use super::pdu::{who_is, Tags};
use super::session::BacnetSession;
use crate::{Confidence, OpClass, OpStats, Operation, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

const TO_SERVER: Direction = Direction::ToServer;
const TO_CLIENT: Direction = Direction::ToClient;

fn bvlc(function: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![0x81, function];
    v.extend_from_slice(&((body.len() + 4) as u16).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// An Original-Unicast-NPDU with a local NPDU (no routing) around `apdu`.
fn unicast(apdu: &[u8]) -> Vec<u8> {
    let mut npdu = vec![1, 0x04];
    npdu.extend_from_slice(apdu);
    bvlc(0x0A, &npdu)
}

fn broadcast(apdu: &[u8]) -> Vec<u8> {
    let mut npdu = vec![1, 0x00];
    npdu.extend_from_slice(apdu);
    bvlc(0x0B, &npdu)
}

fn object_id(object_type: u32, instance: u32) -> [u8; 4] {
    ((object_type << 22) | instance).to_be_bytes()
}

/// Context tag 0 object identifier.
fn ctx_object(object_type: u32, instance: u32) -> Vec<u8> {
    let mut v = vec![0x0C];
    v.extend_from_slice(&object_id(object_type, instance));
    v
}

/// An application-tagged character string (UTF-8).
fn app_string(s: &str) -> Vec<u8> {
    let mut v = vec![0x75, (s.len() + 1) as u8, 0];
    v.extend_from_slice(s.as_bytes());
    v
}

fn read_property(invoke: u8, object_type: u32, instance: u32, property: u8) -> Vec<u8> {
    let mut v = vec![0x00, 0x05, invoke, 12];
    v.extend(ctx_object(object_type, instance));
    v.extend_from_slice(&[0x19, property]);
    v
}

fn read_property_ack(
    invoke: u8,
    object_type: u32,
    instance: u32,
    property: u8,
    value: &[u8],
) -> Vec<u8> {
    let mut v = vec![0x30, invoke, 12];
    v.extend(ctx_object(object_type, instance));
    v.extend_from_slice(&[0x19, property, 0x3E]);
    v.extend_from_slice(value);
    v.push(0x3F);
    v
}

fn i_am(instance: u32, vendor: u8) -> Vec<u8> {
    let mut v = vec![0x10, 0x00, 0xC4];
    v.extend_from_slice(&object_id(8, instance));
    v.extend_from_slice(&[0x22, 0x05, 0xC4, 0x91, 0x00, 0x21, vendor]);
    v
}

struct Run {
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    anomalies: Vec<String>,
    session: BacnetSession,
}

fn run(messages: &[(Direction, Vec<u8>)]) -> Run {
    let mut r = Run {
        ops: Vec::new(),
        facts: Vec::new(),
        anomalies: Vec::new(),
        session: BacnetSession::default(),
    };
    for (dir, bytes) in messages {
        let mut out = Output::for_tests(&mut r.ops, &mut r.facts, &mut r.anomalies);
        r.session.data(*dir, Timestamp(1), bytes, &mut out);
    }
    r
}

fn op<'a>(r: &'a Run, name: &str) -> &'a (Operation, OpStats) {
    r.ops
        .iter()
        .find(|(o, _)| o.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", r.ops))
}

fn counts(s: &OpStats) -> (u64, u64, u64, u64) {
    (s.count, s.requests, s.responses, s.exceptions)
}

fn facts(r: &Run) -> Vec<(bool, &str, &str)> {
    r.facts
        .iter()
        .map(|(c, f, v)| (*c, *f, v.as_str()))
        .collect()
}

#[test]
fn read_property_pairs_and_device_name_is_about_the_responder() {
    let r = run(&[
        (TO_SERVER, unicast(&read_property(7, 8, 1234, 77))),
        (
            TO_CLIENT,
            unicast(&read_property_ack(
                7,
                8,
                1234,
                77,
                &app_string("AHU-1 Controller"),
            )),
        ),
    ]);
    let (o, s) = op(&r, "readProperty");
    assert_eq!((o.code, o.class), (12, OpClass::Read));
    assert_eq!(counts(s), (1, 1, 1, 0));
    assert_eq!(
        facts(&r),
        vec![
            (false, "device_instance", "1234"),
            (false, "object_name", "AHU-1 Controller")
        ]
    );
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn answers_pair_whichever_end_asked() {
    // Peers on 47808↔47808: the flow's "server" asks, the "client" answers.
    let r = run(&[
        (TO_CLIENT, unicast(&read_property(1, 2, 5, 85))),
        (
            TO_SERVER,
            unicast(&read_property_ack(1, 2, 5, 85, &[0x44, 0x42, 0x28, 0, 0])),
        ),
    ]);
    assert_eq!(counts(&op(&r, "readProperty").1), (1, 1, 1, 0));
}

#[test]
fn non_device_object_names_are_not_identity() {
    let r = run(&[(
        TO_CLIENT,
        unicast(&read_property_ack(1, 0, 3, 77, &app_string("Room temp"))),
    )]);
    assert!(r.facts.is_empty(), "{:?}", r.facts);
    assert_eq!(counts(&op(&r, "readProperty").1), (1, 0, 1, 0));
}

#[test]
fn i_am_gives_device_instance_and_vendor_of_the_sender() {
    let r = run(&[(TO_SERVER, broadcast(&i_am(260001, 5)))]);
    let (o, s) = op(&r, "i-Am");
    assert_eq!((o.code, o.class), (0x100, OpClass::Diagnostic));
    assert_eq!(counts(s), (1, 1, 0, 0));
    assert_eq!(
        facts(&r),
        vec![
            (true, "device_instance", "260001"),
            (true, "vendor_id", "5"),
            (true, "vendor", "Johnson Controls, Inc.")
        ]
    );
}

#[test]
fn unknown_vendor_stays_a_number() {
    let r = run(&[(TO_SERVER, broadcast(&i_am(1, 199)))]);
    assert_eq!(
        facts(&r),
        vec![(true, "device_instance", "1"), (true, "vendor_id", "199")]
    );
}

#[test]
fn who_is_range_is_decoded_and_checked() {
    assert_eq!(who_is(&[]), Ok(None));
    assert_eq!(who_is(&[0x09, 0x6C, 0x19, 0x6C]), Ok(Some((108, 108))));
    assert!(who_is(&[0x09, 0x6C]).is_err());
    let r = run(&[(TO_SERVER, broadcast(&[0x10, 0x08, 0x09, 0x01]))]);
    assert_eq!(r.anomalies.len(), 1);
    assert!(
        r.anomalies[0].contains("malformed who-Is request"),
        "{:?}",
        r.anomalies
    );
    assert_eq!(op(&r, "who-Is").0.code, 0x108);
}

#[test]
fn read_property_multiple_ack_gives_model_firmware_and_vendor() {
    let mut request = vec![0x00, 0x05, 3, 14];
    request.extend(ctx_object(8, 77));
    request.extend_from_slice(&[0x1E, 0x09, 70, 0x09, 44, 0x09, 120, 0x09, 121, 0x1F]);
    let mut ack = vec![0x30, 3, 14];
    ack.extend(ctx_object(8, 77));
    ack.push(0x1E);
    for (property, value) in [
        (70u8, app_string("PXC Modular")),
        (44, app_string("V3.2.1")),
        (120, vec![0x21, 7]),
    ] {
        ack.extend_from_slice(&[0x29, property, 0x4E]);
        ack.extend(value);
        ack.push(0x4F);
    }
    // vendor-name answered with an error (unknown-property).
    ack.extend_from_slice(&[0x29, 121, 0x5E, 0x91, 2, 0x91, 32, 0x5F, 0x1F]);
    let r = run(&[(TO_SERVER, unicast(&request)), (TO_CLIENT, unicast(&ack))]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(counts(&op(&r, "readPropertyMultiple").1), (1, 1, 1, 0));
    assert_eq!(
        facts(&r),
        vec![
            (false, "device_instance", "77"),
            (false, "model_name", "PXC Modular"),
            (false, "firmware", "V3.2.1"),
            (false, "vendor_id", "7"),
            (
                false,
                "vendor",
                "Siemens Building Technologies, Ltd., Landis & Staefa Division Europe"
            ),
        ]
    );
}

#[test]
fn error_reject_and_abort_are_exceptions_of_their_request() {
    let write = {
        let mut v = vec![0x00, 0x05, 9, 15];
        v.extend(ctx_object(1, 1));
        v.extend_from_slice(&[0x19, 85, 0x3E, 0x44, 0x42, 0x28, 0, 0, 0x3F]);
        v
    };
    let r = run(&[
        (TO_SERVER, unicast(&write)),
        (TO_CLIENT, unicast(&[0x50, 9, 15, 0x91, 2, 0x91, 40])),
        (TO_SERVER, unicast(&read_property(10, 8, 1, 77))),
        (TO_CLIENT, unicast(&[0x60, 10, 9])),
        (TO_SERVER, unicast(&read_property(11, 8, 1, 77))),
        (TO_CLIENT, unicast(&[0x71, 11, 4])),
    ]);
    let (o, s) = op(&r, "writeProperty");
    assert_eq!((o.class, counts(s)), (OpClass::Write, (1, 1, 1, 1)));
    assert_eq!(counts(&op(&r, "readProperty").1), (2, 2, 2, 2));
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn reject_and_abort_without_their_request_are_counted_apart() {
    let r = run(&[
        (TO_CLIENT, unicast(&[0x60, 1, 9])),
        (TO_CLIENT, unicast(&[0x71, 2, 4])),
        // An abort sent by the requester for a transaction never seen.
        (TO_SERVER, unicast(&[0x70, 3, 4])),
    ]);
    assert_eq!(op(&r, "Reject (request not seen)").0.code, 0x200);
    assert_eq!(counts(&op(&r, "Abort (request not seen)").1), (2, 0, 2, 2));
}

#[test]
fn simple_ack_without_request_is_unmatched() {
    let r = run(&[(TO_CLIENT, unicast(&[0x20, 4, 15]))]);
    assert_eq!(counts(&op(&r, "writeProperty").1), (1, 0, 1, 0));
}

#[test]
fn answer_for_another_service_is_an_anomaly() {
    let r = run(&[
        (TO_SERVER, unicast(&read_property(4, 8, 1, 77))),
        (TO_CLIENT, unicast(&[0x20, 4, 15])),
    ]);
    assert_eq!(r.anomalies.len(), 1);
    assert!(r.anomalies[0].contains("does not match"));
    assert_eq!(counts(&op(&r, "writeProperty").1), (1, 0, 1, 0));
}

#[test]
fn reinitialize_and_communication_control_are_control_with_their_detail() {
    let reinit = [0x00, 0x05, 1, 20, 0x09, 0x00, 0x1B, 0x00, b'p', b'w'];
    let dcc = [0x00, 0x05, 2, 17, 0x09, 0x05, 0x19, 0x01];
    let backup = [0x00, 0x05, 3, 20, 0x09, 0x02];
    let r = run(&[
        (TO_SERVER, unicast(&reinit)),
        (TO_CLIENT, unicast(&[0x20, 1, 20])),
        (TO_SERVER, unicast(&dcc)),
        (TO_SERVER, unicast(&backup)),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    let (o, s) = op(&r, "reinitializeDevice coldstart");
    assert_eq!(
        (o.code, o.subcode, o.class),
        (20, Some(0), OpClass::Control)
    );
    assert_eq!(counts(s), (1, 1, 1, 0));
    let (o, _) = op(&r, "deviceCommunicationControl disable");
    assert_eq!(
        (o.code, o.subcode, o.class),
        (17, Some(1), OpClass::Control)
    );
    assert_eq!(
        op(&r, "reinitializeDevice start-backup").0.class,
        OpClass::Program
    );
    // The password is never kept anywhere.
    assert!(!format!("{:?} {:?}", r.ops, r.facts).contains("pw"));
}

#[test]
fn program_class_for_object_and_file_changes() {
    let r = run(&[
        (
            TO_SERVER,
            unicast(&[0x00, 0x05, 1, 10, 0x0E, 0x0C, 0, 0, 0, 1, 0x0F]),
        ),
        (TO_SERVER, unicast(&[0x00, 0x05, 2, 11, 0x0C, 0, 0, 0, 1])),
        (
            TO_SERVER,
            unicast(&[0x00, 0x05, 3, 7, 0xC4, 0x02, 0x80, 0, 1]),
        ),
    ]);
    for name in ["createObject", "deleteObject", "atomicWriteFile"] {
        assert_eq!(op(&r, name).0.class, OpClass::Program, "{name}");
    }
}

#[test]
fn segmented_answer_is_counted_once_and_segments_apart() {
    let r = run(&[
        (TO_SERVER, unicast(&read_property(94, 8, 254, 76))),
        (TO_CLIENT, unicast(&[0x3C, 94, 0, 2, 12, 0x0C, 0x02, 0x00])),
        (TO_SERVER, unicast(&[0x40, 94, 0, 2])),
        (TO_CLIENT, unicast(&[0x3C, 94, 1, 2, 12, 0x00, 0xFE])),
        (TO_CLIENT, unicast(&[0x38, 94, 2, 2, 12, 0x19, 0x4C])),
        (TO_SERVER, unicast(&[0x40, 94, 2, 2])),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(counts(&op(&r, "readProperty").1), (1, 1, 1, 0));
    assert_eq!((r.session.segments, r.session.segment_acks), (2, 2));
}

#[test]
fn routed_requests_pair_by_remote_address() {
    // Two devices behind a router (network 5, MAC 7 and 8) answer the same invoke id.
    let routed = |dadr: u8, apdu: &[u8]| {
        let mut npdu = vec![1, 0x24, 0, 5, 1, dadr, 0xFF];
        npdu.extend_from_slice(apdu);
        bvlc(0x0A, &npdu)
    };
    let from = |sadr: u8, apdu: &[u8]| {
        let mut npdu = vec![1, 0x08, 0, 5, 1, sadr];
        npdu.extend_from_slice(apdu);
        bvlc(0x0A, &npdu)
    };
    let mut write = vec![0x00, 0x05, 1, 15];
    write.extend(ctx_object(1, 1));
    write.extend_from_slice(&[0x19, 85, 0x3E, 0x91, 1, 0x3F]);
    let r = run(&[
        (TO_SERVER, routed(7, &read_property(1, 8, 7, 77))),
        (TO_SERVER, routed(8, &write)),
        (TO_CLIENT, from(8, &[0x20, 1, 15])),
        (
            TO_CLIENT,
            from(7, &read_property_ack(1, 8, 7, 77, &app_string("dev7"))),
        ),
    ]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(counts(&op(&r, "readProperty").1), (1, 1, 1, 0));
    assert_eq!(counts(&op(&r, "writeProperty").1), (1, 1, 1, 0));
}

#[test]
fn forwarded_npdu_skips_the_original_address() {
    let mut body = vec![192, 168, 1, 10, 0xBA, 0xC0, 1, 0x00];
    body.extend(i_am(42, 8));
    let r = run(&[(TO_SERVER, bvlc(0x04, &body))]);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(op(&r, "i-Am").1.count, 1);
    assert!(facts(&r).contains(&(true, "vendor", "Delta Controls")));
}

#[test]
fn link_and_network_messages_are_counted_not_operations() {
    let r = run(&[
        (TO_SERVER, bvlc(0x05, &[0x00, 0x3C])),
        (TO_CLIENT, bvlc(0x00, &[0x00, 0x00])),
        (TO_SERVER, bvlc(0x0B, &[1, 0x80, 0x00])),
        (TO_SERVER, bvlc(0x0B, &[1, 0x80, 0x81, 0x01, 0x04])),
    ]);
    assert!(r.ops.is_empty(), "{:?}", r.ops);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    assert_eq!(
        (r.session.link_messages, r.session.network_messages),
        (2, 2)
    );
}

#[test]
fn malformed_datagrams_are_anomalies_with_their_offset() {
    let good = broadcast(&[0x10, 0x08]);
    let mut bad_length = unicast(&read_property(1, 8, 1, 77));
    bad_length[3] += 1;
    let bad_version = bvlc(0x0A, &[2, 0, 0x10, 0x08]);
    let truncated_ack = unicast(&read_property_ack(1, 8, 1, 77, &[0x75, 40, 0, b'x']));
    let r = run(&[
        (TO_SERVER, good.clone()),
        (TO_SERVER, bad_length.clone()),
        (TO_SERVER, bad_version),
        (TO_CLIENT, truncated_ack),
    ]);
    assert_eq!(r.anomalies.len(), 3, "{:?}", r.anomalies);
    assert!(
        r.anomalies[0].contains("does not match the"),
        "{:?}",
        r.anomalies
    );
    assert!(r.anomalies[0].contains(&format!("stream offset {}", good.len())));
    assert!(r.anomalies[1].contains("version is not 1"));
    assert!(r.anomalies[1].contains(&format!("stream offset {}", good.len() + bad_length.len())));
    assert!(r.anomalies[2].contains("malformed readProperty acknowledgement"));
    assert!(r.anomalies[2].contains("server→client stream offset 0"));
    // The ACK is still counted.
    assert_eq!(op(&r, "readProperty").1.responses, 1);
}

#[test]
fn unknown_services_are_kept_as_numbers() {
    let r = run(&[
        (TO_SERVER, unicast(&[0x00, 0x05, 1, 200])),
        (TO_SERVER, broadcast(&[0x10, 99])),
    ]);
    assert_eq!(op(&r, "Unknown Confirmed Service").0.code, 200);
    assert_eq!(op(&r, "Unknown Unconfirmed Service").0.code, 0x100 + 99);
}

#[test]
fn pending_requests_are_capped() {
    // Invoke ids repeat every 256, replacing their stale entries; vary the route too.
    let messages: Vec<(Direction, Vec<u8>)> = (0..600u32)
        .map(|i| {
            let mut npdu = vec![1, 0x24, 0, (i / 256) as u8 + 1, 1, 1, 0xFF];
            npdu.extend(read_property((i % 256) as u8, 8, 1, 77));
            (TO_SERVER, bvlc(0x0A, &npdu))
        })
        .collect();
    let r = run(&messages);
    let capped: Vec<_> = r
        .anomalies
        .iter()
        .filter(|a| a.contains("without an answer"))
        .collect();
    assert_eq!(capped.len(), 1, "{:?}", r.anomalies);
}

#[test]
fn tag_walker_checks_lengths() {
    let mut tags = Tags::new(&[0x75, 0xFE]);
    assert!(tags.next_tag().is_err());
    let mut tags = Tags::new(&[0x75, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    assert!(tags.next_tag().is_err());
    let mut tags = Tags::new(&[0xF9]);
    assert!(tags.next_tag().is_err());
    let mut tags = Tags::new(&[0x11]);
    assert!(
        tags.next_tag().unwrap().is_some(),
        "application boolean has no content"
    );
}

#[test]
fn probe_recognises_bacnet_ip_by_content() {
    let who = broadcast(&[0x10, 0x08]);
    assert_eq!(probe(&who), Confidence::Certain);
    let mut two = who.clone();
    two.extend(unicast(&read_property(1, 8, 1, 77)));
    assert_eq!(probe(&two), Confidence::Certain);
    assert_eq!(probe(&two[..two.len() - 2]), Confidence::Maybe);
    assert_eq!(probe(&[0x81, 0x0B, 0x00, 0x10, 1, 0]), Confidence::NotMine);
    assert_eq!(probe(&[0x82, 0x0B, 0x00, 0x06, 1, 0]), Confidence::NotMine);
    assert_eq!(probe(b"M-SEARCH * HTTP/1.1\r\n"), Confidence::NotMine);
    // A valid BVLL message whose APDU does not decode is only consistent.
    assert_eq!(probe(&bvlc(0x0A, &[1, 0, 0xF0])), Confidence::Maybe);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn session_never_panics(chunks in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..300)), 0..8)) {
        let messages: Vec<(Direction, Vec<u8>)> = chunks
            .into_iter()
            .map(|(to_server, b)| (if to_server { TO_SERVER } else { TO_CLIENT }, b))
            .collect();
        let _ = run(&messages);
    }

    #[test]
    fn session_never_panics_on_valid_headers(apdus in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..64)), 0..16)) {
        let messages: Vec<(Direction, Vec<u8>)> = apdus
            .into_iter()
            .map(|(to_server, b)| (if to_server { TO_SERVER } else { TO_CLIENT }, unicast(&b)))
            .collect();
        let _ = run(&messages);
    }
}

#[test]
fn routed_senders_are_not_attributed_to_the_router_address() {
    // An i-Am from network 5, MAC 9, relayed by a BACnet router: the device is not this host.
    let mut npdu = vec![1, 0x08, 0, 5, 1, 9];
    npdu.extend(i_am(900, 8));
    let r = run(&[(TO_SERVER, bvlc(0x0B, &npdu))]);
    assert!(r.facts.is_empty(), "{:?}", r.facts);
    assert_eq!(op(&r, "i-Am").1.count, 1);
}
