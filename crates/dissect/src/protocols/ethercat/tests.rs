use super::frame;
use crate::{OpClass, Output};

fn datagram(cmd: u8, data: &[u8], more: bool) -> Vec<u8> {
    let mut v = vec![cmd, 0x01, 0, 0, 0x30, 0x01];
    let flags = data.len() as u16 | if more { 0x8000 } else { 0 };
    v.extend_from_slice(&flags.to_le_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(data);
    v.extend_from_slice(&[1, 0]);
    v
}

fn ethercat(datagrams: &[u8]) -> Vec<u8> {
    let header = (datagrams.len() as u16) | 0x1000;
    let mut v = header.to_le_bytes().to_vec();
    v.extend_from_slice(datagrams);
    v
}

#[test]
fn every_datagram_is_an_operation_with_its_class() {
    let bytes = ethercat(&[datagram(4, &[0; 2], true), datagram(12, &[0; 8], false)].concat());
    let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
    let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
    frame(&bytes, &mut out);
    assert!(anomalies.is_empty(), "{anomalies:?}");
    let got: Vec<(&str, OpClass)> = ops.iter().map(|(o, _)| (o.name, o.class)).collect();
    assert_eq!(got, vec![("FPRD", OpClass::Read), ("LRW", OpClass::Write)]);
}

#[test]
fn truncated_datagrams_are_anomalies_and_never_panic() {
    let bytes = ethercat(&datagram(7, &[0; 16], false));
    let (mut ops, mut facts, mut anomalies) = (Vec::new(), Vec::new(), Vec::new());
    {
        let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
        frame(&bytes[..bytes.len() - 5], &mut out);
    }
    assert_eq!(anomalies.len(), 1);
    let mut out = Output::for_tests(&mut ops, &mut facts, &mut anomalies);
    for cut in 0..bytes.len() {
        frame(&bytes[..cut], &mut out);
    }
}
