//! Cisco Discovery Protocol: what a Cisco switch, router or phone (and some other vendors'
//! devices) says about itself to its link neighbour, every 60 seconds by default.
//!
//! References: there is no RFC. Facts used are from Cisco's published descriptions (the
//! "Cisco Discovery Protocol Configuration Guide" and the CDP MIB, CISCO-CDP-MIB, which names
//! the fields and the capability bits) and the capture `attacks/quickdraw_*`: CDP travels in
//! 802.3 frames with LLC/SNAP (DSAP/SSAP 0xAA, control 0x03, OUI 00-00-0C, protocol id
//! 0x2000) to 01-00-0C-CC-CC-CC. The packet: version (1 or 2), TTL (seconds), checksum (the
//! IP one's-complement sum over the packet), then TLVs of a 16-bit type and a 16-bit length
//! counting the 4-byte header. Types: 0x0001 Device ID, 0x0002 Addresses, 0x0003 Port ID,
//! 0x0004 Capabilities (32-bit mask: 0x01 router, 0x02 transparent bridge, 0x04 source-route
//! bridge, 0x08 switch, 0x10 host, 0x20 IGMP, 0x40 repeater, 0x80 phone, 0x100 remotely
//! managed), 0x0005 Software Version, 0x0006 Platform, 0x000A Native VLAN, 0x0016
//! Management Addresses. An address list is a 32-bit count, then per address: protocol type
//! (1 NLPID, 2 IEEE 802.2), protocol length, protocol (NLPID 0xCC is IPv4; 802.2 SNAP with
//! EtherType 0x86DD is IPv6), 16-bit address length, address.
//!
//! Why: CDP names network gear and phones by host name, platform (model) and software
//! version, and gives their management address. Facts about the frame's source MAC:
//! `cdp_device_id` and `hostname`, `management_address`, `cdp_port_id`, `cdp_capabilities`,
//! `firmware` (the software version's first line, at most 200 characters), `model_name`
//! (platform), `cdp_native_vlan`.
//!
//! Supported: each packet as operation 1 "advertisement" (sub-code = CDP version), class
//! `other`. The checksum is verified; Cisco's own implementations sum an odd last byte as a
//! signed low-order byte rather than padding it (see [`checksum_ok`]), so that form is
//! accepted too.
//!
//! Not supported: the other Cisco SNAP protocols (VTP, DTP, PVST+, UDLD) are not CDP and are
//! ignored; TLVs not listed above are skipped.

#[cfg(test)]
mod tests;

use super::lldp::{free_text, text_or_hex};
use crate::{MessageKind, OpClass, Operation, Output, Protocol};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use zonewarden_model::Direction;

/// The SNAP OUI and protocol id that start a CDP frame's LLC payload (after DSAP, SSAP and
/// control).
pub(crate) const SNAP: [u8; 5] = [0x00, 0x00, 0x0C, 0x20, 0x00];
/// The software version is cut to this many characters.
const MAX_FIRMWARE: usize = 200;
/// Addresses read from one address TLV.
const MAX_ADDRESSES: u32 = 16;
/// 802.2 SNAP header naming IPv6 in an address entry.
const SNAP_IPV6: [u8; 8] = [0xAA, 0xAA, 0x03, 0x00, 0x00, 0x00, 0x86, 0xDD];
/// Capability bits, lowest first.
const CAPABILITIES: [&str; 9] = [
    "router",
    "transparent-bridge",
    "source-route-bridge",
    "switch",
    "host",
    "igmp",
    "repeater",
    "phone",
    "remotely-managed",
];

/// Whether an LLC/SNAP payload (starting at the OUI) is CDP.
pub(crate) fn is_cdp(payload: &[u8]) -> bool {
    payload.starts_with(&SNAP)
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// The one's-complement sum of `packet` (checksum field included) folded to 16 bits, with an
/// odd last byte summed as `last_word(byte)`.
fn folded_sum(packet: &[u8], last_word: impl Fn(u8) -> u32) -> u16 {
    let mut chunks = packet.chunks_exact(2);
    let mut sum: u32 = chunks
        .by_ref()
        .map(|w| {
            u32::from(u16::from_be_bytes([
                w.first().copied().unwrap_or(0),
                w.get(1).copied().unwrap_or(0),
            ]))
        })
        .fold(0u32, |acc, w| {
            let s = acc + w;
            (s & 0xFFFF) + (s >> 16)
        });
    if let Some(&last) = chunks.remainder().first() {
        sum += last_word(last);
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    sum as u16
}

/// Whether the checksum holds in the RFC 1071 form (an odd last byte is the high byte of a
/// zero-padded word) or in Cisco's: Cisco's implementations add an odd last byte to the sum as
/// a signed char, so 0x00–0x7F count as the low byte and 0x80–0xFF subtract 256 − byte, which
/// in one's-complement arithmetic is adding 0xFEFF + byte. The captures `quickdraw_*` (a
/// Catalyst CE500, 327-byte packets ending in 0xFF) verify only in that form.
pub(crate) fn checksum_ok(packet: &[u8]) -> bool {
    let rfc1071 = |b: u8| u32::from(b) << 8;
    let cisco = |b: u8| {
        if b & 0x80 != 0 {
            0xFEFF + u32::from(b)
        } else {
            u32::from(b)
        }
    };
    folded_sum(packet, rfc1071) == 0xFFFF || folded_sum(packet, cisco) == 0xFFFF
}

/// Decodes a CDP frame; `payload` is the LLC payload starting at the SNAP OUI. Anomaly
/// offsets count from there.
pub(crate) fn frame(payload: &[u8], out: &mut Output<'_>) {
    let base = SNAP.len();
    let packet = payload.get(base..).unwrap_or_default();
    let (Some(&version), Some(_ttl), Some(_checksum)) =
        (packet.first(), packet.get(1), be16(packet, 2))
    else {
        out.anomaly(
            Direction::ToServer,
            base as u64,
            "CDP packet shorter than its 4-byte header",
        );
        return;
    };
    if !matches!(version, 1 | 2) {
        out.anomaly(
            Direction::ToServer,
            base as u64,
            format_args!("CDP version {version} (1 or 2 expected)"),
        );
    }
    let op = Operation {
        protocol: Protocol::Cdp,
        code: 1,
        subcode: Some(u16::from(version)),
        name: "advertisement",
        class: OpClass::Other,
    };
    out.operation(op, MessageKind::Request, false, None);
    let mut pos = 4usize;
    let mut complete = true;
    while pos < packet.len() {
        let (Some(kind), Some(len)) = (be16(packet, pos), be16(packet, pos + 2)) else {
            out.anomaly(
                Direction::ToServer,
                (base + pos) as u64,
                "CDP TLV header truncated",
            );
            complete = false;
            break;
        };
        let len = usize::from(len);
        if len < 4 {
            out.anomaly(
                Direction::ToServer,
                (base + pos) as u64,
                format_args!("CDP TLV 0x{kind:04x} length {len} below its 4-byte header"),
            );
            complete = false;
            break;
        }
        let Some(value) = packet.get(pos + 4..pos + len) else {
            out.anomaly(
                Direction::ToServer,
                (base + pos) as u64,
                format_args!("CDP TLV 0x{kind:04x} length {len} runs past the frame"),
            );
            complete = false;
            break;
        };
        if let Err(why) = tlv(kind, value, out) {
            out.anomaly(Direction::ToServer, (base + pos) as u64, why);
        }
        pos += len;
    }
    // A cut frame fails the checksum for a reason already reported.
    if complete && !checksum_ok(packet) {
        out.anomaly(
            Direction::ToServer,
            (base + 2) as u64,
            "CDP checksum mismatch",
        );
    }
}

fn tlv(kind: u16, value: &[u8], out: &mut Output<'_>) -> Result<(), &'static str> {
    match kind {
        0x0001 => {
            let id = text_or_hex(value);
            out.identity(true, "cdp_device_id", id.clone());
            out.identity(true, "hostname", id);
        }
        0x0002 | 0x0016 => addresses(value, out)?,
        0x0003 => out.identity(true, "cdp_port_id", text_or_hex(value)),
        0x0004 => {
            let bytes: [u8; 4] = value
                .try_into()
                .map_err(|_| "CDP Capabilities TLV is not 4 bytes")?;
            let mask = u32::from_be_bytes(bytes);
            let names: Vec<&str> = CAPABILITIES
                .iter()
                .enumerate()
                .filter(|(bit, _)| mask & (1 << bit) != 0)
                .map(|(_, name)| *name)
                .collect();
            out.identity(true, "cdp_capabilities", names.join(","));
        }
        0x0005 => {
            let first_line = value
                .split(|&b| b == b'\n' || b == b'\r')
                .find(|line| !line.iter().all(u8::is_ascii_whitespace))
                .unwrap_or_default();
            let version: String = free_text(first_line).chars().take(MAX_FIRMWARE).collect();
            out.identity(true, "firmware", version);
        }
        0x0006 => out.identity(true, "model_name", free_text(value)),
        0x000A => {
            let vlan = be16(value, 0).ok_or("CDP Native VLAN TLV shorter than 2 bytes")?;
            out.identity(true, "cdp_native_vlan", vlan.to_string());
        }
        _ => {}
    }
    Ok(())
}

/// An address list: facts for its IPv4 and IPv6 addresses.
fn addresses(value: &[u8], out: &mut Output<'_>) -> Result<(), &'static str> {
    let count = value
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or("CDP address list without its count")?;
    let mut rest = value.get(4..).unwrap_or_default();
    for _ in 0..count.min(MAX_ADDRESSES) {
        let (Some(&ptype), Some(&plen)) = (rest.first(), rest.get(1)) else {
            return Err("CDP address list shorter than its count");
        };
        let plen = usize::from(plen);
        let protocol = rest.get(2..2 + plen).ok_or("CDP address entry truncated")?;
        let alen = usize::from(be16(rest, 2 + plen).ok_or("CDP address entry truncated")?);
        let addr = rest
            .get(4 + plen..4 + plen + alen)
            .ok_or("CDP address entry truncated")?;
        let ip = match (ptype, protocol, addr.len()) {
            (1, [0xCC], 4) => <[u8; 4]>::try_from(addr)
                .ok()
                .map(|b| IpAddr::V4(Ipv4Addr::from(b))),
            (2, p, 16) if p == SNAP_IPV6 => <[u8; 16]>::try_from(addr)
                .ok()
                .map(|b| IpAddr::V6(Ipv6Addr::from(b))),
            _ => None,
        };
        if let Some(ip) = ip.filter(|ip| !ip.is_unspecified()) {
            out.identity(true, "management_address", ip.to_string());
        }
        rest = rest.get(4 + plen + alen..).unwrap_or_default();
    }
    Ok(())
}
