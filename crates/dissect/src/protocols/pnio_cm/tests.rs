use super::pdu::{im0, Header};
use super::session::PnioSession;
use crate::{Confidence, Dissector, OpClass, Output, Session};
use proptest::prelude::*;
use zonewarden_model::{Direction, Timestamp};

/// A little-endian connectionless RPC header for the PNIO device interface.
fn header(packet_type: u8, opnum: u16, sequence: u32) -> Vec<u8> {
    let mut v = vec![4, packet_type, 0x20, 0, 0x10, 0, 0, 0];
    v.extend_from_slice(&[0; 16]); // object
                                   // DEA00001-6C97-11D1-8271-00A02442DF7D with the first three fields little endian.
    v.extend_from_slice(&[
        0x01, 0x00, 0xA0, 0xDE, 0x97, 0x6C, 0xD1, 0x11, 0x82, 0x71, 0x00, 0xA0, 0x24, 0x42, 0xDF,
        0x7D,
    ]);
    v.extend_from_slice(&[7; 16]); // activity
    v.extend_from_slice(&[0; 4]); // server boot
    v.extend_from_slice(&1u32.to_le_bytes()); // interface version
    v.extend_from_slice(&sequence.to_le_bytes());
    v.extend_from_slice(&opnum.to_le_bytes());
    v.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    v.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    assert_eq!(v.len(), 80);
    v
}

fn im0_record() -> Vec<u8> {
    let mut v = vec![0x00, 0x20, 0x00, 0x38, 0x01, 0x00];
    v.extend_from_slice(&0x002Au16.to_be_bytes());
    v.extend_from_slice(b"6ES7 151-3BA23-0AB0 ");
    v.extend_from_slice(b"S C-X4U123456789");
    v.extend_from_slice(&3u16.to_be_bytes());
    v.extend_from_slice(&[b'V', 2, 6, 0]);
    v.extend_from_slice(&[0; 10]);
    v
}

#[test]
fn header_is_recognised_as_the_pnio_device_interface() {
    let h = Header::parse(&header(0, 2, 5)).unwrap();
    assert_eq!((h.pnio_interface(), h.opnum, h.sequence), (Some(1), 2, 5));
    assert_eq!(
        super::PnioCm.probe(Direction::ToServer, &header(0, 0, 1)),
        Confidence::Certain
    );
    assert_eq!(
        super::PnioCm.probe(Direction::ToServer, b"\x05\x00\x0b\x03"),
        Confidence::NotMine
    );
}

#[test]
fn read_of_im0_pairs_and_yields_the_module_identity() {
    let mut session = PnioSession::default();
    let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
    let mut response = header(2, 2, 9);
    response.extend_from_slice(&[0; 20]);
    response.extend(im0_record());
    {
        let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
        session.data(
            Direction::ToServer,
            Timestamp(1),
            &header(0, 2, 9),
            &mut out,
        );
        session.data(Direction::ToClient, Timestamp(2), &response, &mut out);
        session.data(
            Direction::ToServer,
            Timestamp(3),
            &header(0, 0, 10),
            &mut out,
        );
    }
    assert_eq!(
        (ops[0].0.name, ops[0].1.requests, ops[0].1.responses),
        ("Read", 1, 1)
    );
    assert_eq!(
        (ops[1].0.name, ops[1].0.class),
        ("Connect", OpClass::Control)
    );
    let got: Vec<(&str, &str)> = facts.iter().map(|(_, f, v)| (*f, v.as_str())).collect();
    assert_eq!(
        got,
        vec![
            ("vendor_id", "0x002a"),
            ("order_code", "6ES7 151-3BA23-0AB0"),
            ("serial_number", "S C-X4U123456789"),
            ("hardware_version", "3"),
            ("firmware", "V2.6.0"),
        ]
    );
    assert!(im0(&[0, 0x20, 0, 0x38]).is_none());
}

proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut session = PnioSession::default();
        let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
        let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
        let mut h = header(2, 2, 1);
        h.extend_from_slice(&bytes);
        session.data(Direction::ToClient, Timestamp(1), &h, &mut out);
        session.data(Direction::ToServer, Timestamp(1), &bytes, &mut out);
    }
}
