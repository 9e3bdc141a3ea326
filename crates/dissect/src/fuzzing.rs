//! Drives one dissector through the registry the way the pipeline does, from fuzzer bytes.
//! Used by the fuzz targets in `fuzz/` and by tests; not part of the product's API.

use crate::{Dissector, Registry};
use std::net::{IpAddr, Ipv4Addr};
use zonewarden_flow::{CloseReason, DirectionSource, Flow, FlowKey, StreamConsumer};
use zonewarden_model::{Direction, Timestamp};
use zonewarden_wire::{ipproto, Vlans};

/// A TCP flow 10.0.0.1:40000 → 10.0.0.2:`server_port` for driving sessions.
pub fn test_flow(server_port: u16, proto: u8) -> Flow {
    let client = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000);
    let server = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), server_port);
    let (key, _) = FlowKey::new(
        client.0,
        client.1,
        server.0,
        server.1,
        proto,
        Vlans::default(),
    );
    Flow {
        id: 0,
        key,
        client,
        server,
        direction_by: DirectionSource::Syn,
        first_ts: Timestamp(0),
        last_ts: Timestamp(0),
        packets: [1, 1],
        bytes: [64, 64],
        payload_bytes: [0, 0],
        macs: [None, None],
        tcp: None,
    }
}

/// Splits `data` into chunks, each announced by a control byte: bit 7 is the direction, bit 6
/// a gap instead of data, the low six bits the chunk length.
pub fn feed_flow(dissector: Box<dyn Dissector>, server_port: u16, data: &[u8]) {
    let proto = if dissector.transports().contains(&ipproto::TCP) {
        ipproto::TCP
    } else {
        ipproto::UDP
    };
    let flow = test_flow(server_port, proto);
    let mut registry = Registry::new(vec![dissector]);
    let mut state = Default::default();
    let mut rest = data;
    while let Some((&control, tail)) = rest.split_first() {
        let dir = if control & 0x80 != 0 {
            Direction::ToClient
        } else {
            Direction::ToServer
        };
        let len = usize::from(control & 0x3F).min(tail.len());
        let (chunk, after) = tail.split_at(len);
        if control & 0x40 != 0 {
            registry.on_gap(&mut state, &flow, dir, len as u64 + 1);
        } else {
            registry.on_data(&mut state, &flow, dir, Timestamp(1), chunk);
        }
        rest = after;
    }
    registry.on_close(state, &flow, CloseReason::End);
    let mut anomalies = Vec::new();
    registry.take_anomalies(&mut anomalies);
}

/// Like [`feed_flow`] for UDP protocols whose messages exceed 63 bytes (a DHCP message has at
/// least 240): each datagram is announced by two bytes, bit 15 the direction, the low 15 bits
/// the length.
pub fn feed_datagrams(dissector: Box<dyn Dissector>, server_port: u16, data: &[u8]) {
    let flow = test_flow(server_port, ipproto::UDP);
    let mut registry = Registry::new(vec![dissector]);
    let mut state = Default::default();
    let mut rest = data;
    while let Some((control, tail)) = rest.split_first_chunk::<2>() {
        let control = u16::from_be_bytes(*control);
        let dir = if control & 0x8000 != 0 {
            Direction::ToClient
        } else {
            Direction::ToServer
        };
        let len = usize::from(control & 0x7FFF).min(tail.len());
        let (datagram, after) = tail.split_at(len);
        registry.on_data(&mut state, &flow, dir, Timestamp(1), datagram);
        rest = after;
    }
    registry.on_close(state, &flow, CloseReason::End);
    let mut anomalies = Vec::new();
    registry.take_anomalies(&mut anomalies);
}

/// Feeds `data` as layer-2 frames, the way the pipeline hands frames without IP to the
/// registry. Each frame starts with a control byte: bits 7–6 choose PROFINET DCP, GOOSE or
/// EtherCAT (0–2), the low six bits the length. Value 3 chooses a discovery protocol, with
/// one more byte: bit 0 chooses LLDP or CDP (whose LLC payload gets the SNAP header put in
/// front), bits 7–1 extend the length (frames up to 8191 bytes, as LLDPDUs can be long).
pub fn feed_frames(data: &[u8]) {
    const TYPES: [u16; 3] = [0x8892, 0x88B8, 0x88A4];
    let mut registry = Registry::new(Vec::new());
    let mut rest = data;
    let mut cdp = Vec::new();
    while let Some((&control, mut tail)) = rest.split_first() {
        let mut len = usize::from(control & 0x3F);
        let mut l2_type = zonewarden_wire::L2Type::EtherType(
            TYPES
                .get(usize::from(control >> 6) % TYPES.len())
                .copied()
                .unwrap_or(0x8892),
        );
        let mut snap = false;
        if control >> 6 == 3 {
            let Some((&extra, after)) = tail.split_first() else {
                break;
            };
            tail = after;
            len |= usize::from(extra >> 1) << 6;
            snap = extra & 1 != 0;
            l2_type = if snap {
                zonewarden_wire::L2Type::Llc {
                    dsap: 0xAA,
                    ssap: 0xAA,
                }
            } else {
                zonewarden_wire::L2Type::EtherType(0x88CC)
            };
        }
        let (chunk, after) = tail.split_at(len.min(tail.len()));
        let payload = if snap {
            cdp.clear();
            cdp.extend_from_slice(&[0x00, 0x00, 0x0C, 0x20, 0x00]);
            cdp.extend_from_slice(chunk);
            cdp.as_slice()
        } else {
            chunk
        };
        registry.on_frame(&zonewarden_flow::L2Frame {
            ts: Timestamp(1),
            src: [0, 1, 2, 3, 4, 5],
            dst: [1, 0x0c, 0xcd, 1, 0, 1],
            l2_type,
            vlans: Vlans::default(),
            payload,
            wire_len: payload.len() as u64 + 14,
        });
        rest = after;
    }
    let mut anomalies = Vec::new();
    registry.take_anomalies(&mut anomalies);
}
