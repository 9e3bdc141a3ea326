use super::{frame, DcpState};
use crate::{OpClass, Output};

fn dcp(service: u8, kind: u8, xid: u32, blocks: &[u8], frame_id: u16) -> Vec<u8> {
    let mut v = frame_id.to_be_bytes().to_vec();
    v.extend_from_slice(&[service, kind]);
    v.extend_from_slice(&xid.to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&(blocks.len() as u16).to_be_bytes());
    v.extend_from_slice(blocks);
    v
}

fn block(option: u8, suboption: u8, info: Option<u16>, data: &[u8]) -> Vec<u8> {
    let mut body = info.map(|i| i.to_be_bytes().to_vec()).unwrap_or_default();
    body.extend_from_slice(data);
    let mut v = vec![option, suboption];
    v.extend_from_slice(&(body.len() as u16).to_be_bytes());
    v.extend_from_slice(&body);
    if body.len() % 2 == 1 {
        v.push(0);
    }
    v
}

#[test]
fn identify_response_yields_the_device_identity() {
    let blocks = [
        block(2, 2, Some(0), b"x208-bord"),
        block(2, 3, Some(0), &[0x00, 0x2a, 0x0a, 0x01]),
        block(2, 1, Some(0), b"SCALANCE X-200"),
        block(2, 4, Some(0), &[0x01, 0x00]),
        block(
            1,
            2,
            Some(1),
            &[192, 168, 0, 10, 255, 255, 255, 0, 0, 0, 0, 0],
        ),
    ]
    .concat();
    let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
    let mut state = DcpState::default();
    let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
    frame(
        &mut state,
        &dcp(5, 0, 7, &[0xFF, 0xFF, 0, 0], 0xFEFE),
        &mut out,
    );
    frame(&mut state, &dcp(5, 1, 7, &blocks, 0xFEFF), &mut out);
    assert!(anomalies.is_empty(), "{anomalies:?}");
    assert_eq!(ops.len(), 1);
    assert_eq!((ops[0].1.requests, ops[0].1.responses), (1, 1));
    let got: Vec<(&str, &str)> = facts.iter().map(|(_, f, v)| (*f, v.as_str())).collect();
    assert_eq!(
        got,
        vec![
            ("station_name", "x208-bord"),
            ("vendor_id", "0x002a"),
            ("product_code", "0x0a01"),
            ("product_name", "SCALANCE X-200"),
            ("device_role", "IO device"),
            ("ip_address", "192.168.0.10"),
        ]
    );
}

#[test]
fn set_ip_is_a_control_operation() {
    let blocks = block(1, 2, Some(1), &[10, 0, 0, 5, 255, 0, 0, 0, 0, 0, 0, 0]);
    let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
    let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
    frame(
        &mut DcpState::default(),
        &dcp(4, 0, 9, &blocks, 0xFEFD),
        &mut out,
    );
    let (op, stats) = &ops[0];
    assert_eq!(
        (op.name, op.class, op.subcode, stats.requests),
        ("DCP Set IP", OpClass::Control, Some(0x0102), 1)
    );
}

#[test]
fn cyclic_frames_and_garbage_are_not_operations_and_never_panic() {
    let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
    let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
    let mut state = DcpState::default();
    frame(&mut state, &[0x80, 0x00, 1, 2, 3], &mut out);
    for len in 0..40 {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 0xFE) as u8).collect();
        frame(&mut state, &bytes, &mut out);
        let mut with_id = vec![0xFE, 0xFF];
        with_id.extend_from_slice(&bytes);
        frame(&mut state, &with_id, &mut out);
    }
    assert!(ops.iter().all(|(o, _)| o.code != 0x8000));
}
