//! IEEE 802.1AB Link Layer Discovery Protocol (EtherType 0x88CC): what a switch, PLC or
//! camera says about itself to its link neighbour, every 30 seconds by default.
//!
//! References: IEEE Std 802.1AB-2016 §8.4 (TLV format: 7-bit type, 9-bit length, value),
//! §8.5.1 End of LLDPDU (type 0), §8.5.2 Chassis ID (1; subtypes table 8-2: 4 MAC address,
//! 5 network address, others text), §8.5.3 Port ID (2; table 8-3: 3 MAC address, 4 network
//! address), §8.5.4 Time To Live (3; 0 announces a shutdown, §9.2.5.4), §8.5.5 Port
//! Description (4), §8.5.6 System Name (5), §8.5.7 System Description (6), §8.5.8 System
//! Capabilities (7; two 16-bit masks, system and enabled, bits of table 8-4), §8.5.9
//! Management Address (8; string length, IANA address family subtype, address, interface
//! numbering, OID), §8.6 organizationally specific (127; OUI and subtype). §8.2: an LLDPDU
//! starts with Chassis ID, Port ID and TTL, in that order. Address families: IANA "Address
//! Family Numbers" (1 IPv4, 2 IPv6).
//!
//! Why: LLDP names devices that say nothing over IP (managed switches, PROFINET devices, IP
//! phones) and ties their MAC to a management address. Facts, about the frame's source MAC
//! (the registry attributes frame facts to it): `lldp_chassis_id`, `lldp_port_id`,
//! `lldp_port_description`, `lldp_system_name` and `hostname`, `lldp_system_description`,
//! `lldp_capabilities` (enabled capabilities: other, repeater, bridge, wlan-ap, router,
//! telephone, docsis, station, c-vlan, s-vlan, tpmr), `management_address` (IPv4/IPv6, not
//! the unspecified address).
//!
//! Supported: each LLDPDU as operation 1 "advertisement" (2 "shutdown" when TTL is 0), class
//! `other`, a request from the source MAC to the (multicast) destination. Malformed TLVs and
//! a wrong mandatory order are anomalies; what was read before them is kept.
//!
//! Not supported: organizationally specific TLVs (IEEE 802.1/802.3, PROFINET's 00-0E-CF,
//! LLDP-MED) are skipped: their facts (port VLAN, MAU type, PTCP delays) are not identity.

#[cfg(test)]
mod tests;

use crate::{MessageKind, OpClass, Operation, Output, Protocol};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use zonewarden_model::Direction;

pub(crate) const ETHERTYPE: u16 = 0x88CC;
/// Identity text longer than this is cut.
const MAX_TEXT: usize = 255;
/// TLV types, §8.4.
const END: u8 = 0;
const CHASSIS_ID: u8 = 1;
const PORT_ID: u8 = 2;
const TTL: u8 = 3;
/// Capability bits of table 8-4, lowest first.
const CAPABILITIES: [&str; 11] = [
    "other",
    "repeater",
    "bridge",
    "wlan-ap",
    "router",
    "telephone",
    "docsis",
    "station",
    "c-vlan",
    "s-vlan",
    "tpmr",
];

/// An identifier or name: text when it is printable, else the bytes in hex (`0a:1b:…`), so a
/// binary locally assigned id still compares equal across frames.
pub(crate) fn text_or_hex(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |last| last + 1);
    let trimmed = bytes.get(..end).unwrap_or_default();
    match std::str::from_utf8(trimmed) {
        Ok(s) if !s.chars().any(char::is_control) => s.chars().take(MAX_TEXT).collect(),
        _ => hex(trimmed),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(64)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Free text (descriptions): control characters and line breaks become single spaces.
pub(crate) fn free_text(bytes: &[u8]) -> String {
    let mut out = String::new();
    for c in String::from_utf8_lossy(bytes).chars() {
        let c = if c.is_control() { ' ' } else { c };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
        if out.chars().count() >= MAX_TEXT {
            break;
        }
    }
    out.trim_end().to_string()
}

/// An address of an IANA address family (1 IPv4, 2 IPv6).
pub(crate) fn family_address(family: u8, addr: &[u8]) -> Option<IpAddr> {
    match family {
        1 => <[u8; 4]>::try_from(addr)
            .ok()
            .map(|b| IpAddr::V4(Ipv4Addr::from(b))),
        2 => <[u8; 16]>::try_from(addr)
            .ok()
            .map(|b| IpAddr::V6(Ipv6Addr::from(b))),
        _ => None,
    }
}

/// A chassis or port id: `mac` and `network` are the subtypes holding a MAC address or a
/// network address (family byte + address); others are text.
fn id(value: &[u8], mac: u8, network: u8) -> Option<String> {
    let (&subtype, id) = value.split_first()?;
    if subtype == mac {
        if let Ok(m) = <[u8; 6]>::try_from(id) {
            return Some(zonewarden_model::format_mac(m));
        }
    }
    if subtype == network {
        if let Some((&family, addr)) = id.split_first() {
            if let Some(ip) = family_address(family, addr) {
                return Some(ip.to_string());
            }
        }
    }
    let text = text_or_hex(id);
    (!text.is_empty()).then_some(text)
}

fn capabilities(enabled: u16) -> String {
    CAPABILITIES
        .iter()
        .enumerate()
        .filter(|(bit, _)| enabled & (1 << bit) != 0)
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(",")
}

/// The Management Address TLV's address (§8.5.9), when it is IPv4 or IPv6.
fn management_address(value: &[u8]) -> Result<Option<IpAddr>, &'static str> {
    let (&len, rest) = value.split_first().ok_or("empty Management Address TLV")?;
    let len = usize::from(len);
    if !(2..=32).contains(&len) {
        return Err("management address string length outside 2–32");
    }
    let string = rest
        .get(..len)
        .ok_or("management address runs past its TLV")?;
    let (&family, addr) = string.split_first().ok_or("empty management address")?;
    Ok(family_address(family, addr))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Decodes one LLDPDU (the frame's payload after the EtherType).
pub(crate) fn frame(payload: &[u8], out: &mut Output<'_>) {
    if payload.len() < 2 {
        out.anomaly(Direction::ToServer, 0, "LLDPDU shorter than one TLV header");
        return;
    }
    let mut pos = 0usize;
    let mut index = 0usize;
    let mut ttl = None;
    let mut order_reported = false;
    while let Some(header) = be16(payload, pos) {
        let kind = (header >> 9) as u8;
        let len = usize::from(header & 0x01FF);
        let Some(value) = payload.get(pos + 2..pos + 2 + len) else {
            out.anomaly(
                Direction::ToServer,
                pos as u64,
                format_args!("LLDP TLV type {kind} length {len} runs past the frame"),
            );
            break;
        };
        let expected = match index {
            0 => Some(CHASSIS_ID),
            1 => Some(PORT_ID),
            2 => Some(TTL),
            _ => None,
        };
        if let Some(expected) = expected {
            if kind != expected && !order_reported {
                order_reported = true;
                out.anomaly(
                    Direction::ToServer,
                    pos as u64,
                    format_args!(
                        "LLDPDU TLV {index} is type {kind}, not the mandatory type {expected}"
                    ),
                );
            }
        }
        if kind == END {
            break;
        }
        if let Err(why) = tlv(kind, value, &mut ttl, out) {
            out.anomaly(Direction::ToServer, pos as u64, why);
        }
        pos += 2 + len;
        index += 1;
    }
    if pos + 1 == payload.len() {
        out.anomaly(Direction::ToServer, pos as u64, "LLDP TLV header truncated");
    }
    let shutdown = ttl == Some(0);
    let op = Operation {
        protocol: Protocol::Lldp,
        code: if shutdown { 2 } else { 1 },
        subcode: None,
        name: if shutdown {
            "shutdown"
        } else {
            "advertisement"
        },
        class: OpClass::Other,
    };
    out.operation(op, MessageKind::Request, false, None);
}

/// One TLV's facts.
fn tlv(
    kind: u8,
    value: &[u8],
    ttl: &mut Option<u16>,
    out: &mut Output<'_>,
) -> Result<(), &'static str> {
    match kind {
        CHASSIS_ID => {
            let id = id(value, 4, 5).ok_or("empty Chassis ID TLV")?;
            out.identity(true, "lldp_chassis_id", id);
        }
        PORT_ID => {
            let id = id(value, 3, 4).ok_or("empty Port ID TLV")?;
            out.identity(true, "lldp_port_id", id);
        }
        TTL => *ttl = Some(be16(value, 0).ok_or("TTL TLV shorter than 2 bytes")?),
        4 => out.identity(true, "lldp_port_description", free_text(value)),
        5 => {
            let name = free_text(value);
            out.identity(true, "lldp_system_name", name.clone());
            out.identity(true, "hostname", name);
        }
        6 => out.identity(true, "lldp_system_description", free_text(value)),
        7 => {
            let enabled = be16(value, 2).ok_or("System Capabilities TLV shorter than 4 bytes")?;
            out.identity(true, "lldp_capabilities", capabilities(enabled));
        }
        8 => {
            // Devices without an address yet (PROFINET before naming) advertise 0.0.0.0.
            if let Some(ip) = management_address(value)?.filter(|ip| !ip.is_unspecified()) {
                out.identity(true, "management_address", ip.to_string());
            }
        }
        _ => {}
    }
    Ok(())
}
