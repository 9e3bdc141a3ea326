//! NetBIOS name service (NBNS, UDP 137), for the names Windows hosts and many HMIs and
//! engineering stations give themselves.
//!
//! References: RFC 1002 §4.2.1 (header: NAME_TRN_ID, R, OPCODE, NM_FLAGS, RCODE, four counts,
//! as in DNS), §4.2.1.3 (RR layout), §4.2.2–4.2.5 (registration, its RR's NB_FLAGS: G group
//! bit 0x8000, ONT owner node type, then NB_ADDRESS), §4.2.13 (positive query response: one
//! or more NB_FLAGS/NB_ADDRESS pairs), §4.2.18 (node status response: NUM_NAMES, then 18-byte
//! entries of a 16-byte name and NAME_FLAGS); RFC 1001 §14.1 (first-level encoding: each byte
//! of the 16-byte name split into two nibbles, each written as 'A' + nibble, giving a 32-byte
//! label; a name is 15 characters padded with spaces plus a suffix byte naming the service).
//! Opcode 9 is the refresh code Windows uses and 15 multi-homed registration (both outside
//! RFC 1002's table, kept by number and named).
//!
//! Ports: UDP 137, a hint; the encoded 32-byte label of 'A'–'P' letters at offset 12 is
//! distinctive enough for `Certain`.
//!
//! Why: a NetBIOS name is the machine's own name, broadcast when it starts and refreshed
//! while it runs. Facts: `netbios_name` for a unique name with suffix 0x00 (workstation) or
//! 0x20 (file server service) — other unique suffixes carry user names (0x03) or a domain
//! (0x1B, 0x1D), so they are not the machine's name — and `netbios_domain` for a group name
//! with suffix 0x00 (the workgroup or domain it joined). They are about the address the
//! record gives (NB_ADDRESS, when not 0.0.0.0), else about the message's sender; node status
//! responses name their sender.
//!
//! Supported: every message as an operation (code = opcode, class `other`), requests paired
//! with responses by NAME_TRN_ID, error RCODEs (a registration conflict, a negative query) as
//! error responses; names from registrations, refreshes, positive responses and node status.
//!
//! Not supported: NetBIOS datagram (138) and session (139) services, scope IDs as facts.

#[cfg(test)]
mod tests;

use super::dns::{header, read_name, Header};
use crate::{
    Confidence, Dissector, Endpoint, MessageKind, OpClass, Operation, Output, Protocol, Session,
    UDP,
};
use std::net::{IpAddr, Ipv4Addr};
use zonewarden_model::{Direction, Timestamp};

/// Requests waiting for a response.
const MAX_PENDING: usize = 32;
/// Records looked at per message (real ones have one or two).
const MAX_RECORDS: usize = 16;
/// Names looked at in a node status response (NUM_NAMES is one byte).
const MAX_STATUS_NAMES: usize = 255;
/// RR types, RFC 1002 §4.2.1.3.
const TYPE_NB: u16 = 0x0020;
const TYPE_NBSTAT: u16 = 0x0021;
/// The group bit of NB_FLAGS and NAME_FLAGS.
const GROUP: u16 = 0x8000;
/// Offset of the first name (question, or answer of a response without question).
const NAME_AT: usize = 12;

/// The NetBIOS name service dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct NetbiosNs;

impl Dissector for NetbiosNs {
    fn protocol(&self) -> Protocol {
        Protocol::NetbiosNs
    }

    fn transports(&self) -> &'static [u8] {
        UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[137]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<NetbiosSession>::default()
    }
}

/// The name of an opcode; unknown ones keep their number.
pub fn opcode_name(opcode: u8) -> &'static str {
    match opcode {
        0 => "query",
        5 => "registration",
        6 => "release",
        7 => "wack",
        8 => "refresh",
        9 => "refresh (alternate)",
        15 => "multi-homed registration",
        _ => "unknown opcode",
    }
}

/// A defined opcode, few records, and a first-level encoded name at offset 12.
pub(crate) fn probe(msg: &[u8]) -> Confidence {
    let Some(h) = header(msg) else {
        return Confidence::NotMine;
    };
    if opcode_name(h.opcode) == "unknown opcode" || h.counts.iter().any(|&c| c > 8) {
        return Confidence::NotMine;
    }
    match read_name(msg, NAME_AT) {
        Ok((labels, _)) if labels.first().and_then(|l| decode(l)).is_some() => Confidence::Certain,
        _ => Confidence::NotMine,
    }
}

/// A decoded NetBIOS name: the 15 characters (trailing spaces removed) and the suffix byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    pub name: String,
    pub suffix: u8,
}

/// Undoes the first-level encoding (RFC 1001 §14.1) of a 32-byte label.
pub(crate) fn decode(label: &[u8]) -> Option<Name> {
    if label.len() != 32 {
        return None;
    }
    let mut raw = [0u8; 16];
    for (byte, pair) in raw.iter_mut().zip(label.chunks_exact(2)) {
        let [hi, lo] = <[u8; 2]>::try_from(pair).ok()?;
        if !(b'A'..=b'P').contains(&hi) || !(b'A'..=b'P').contains(&lo) {
            return None;
        }
        *byte = ((hi - b'A') << 4) | (lo - b'A');
    }
    Some(from_raw(&raw))
}

/// A 16-byte name as it appears in node status entries.
fn from_raw(raw: &[u8; 16]) -> Name {
    let [head @ .., suffix] = *raw;
    let end = head
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |last| last + 1);
    let name = String::from_utf8_lossy(head.get(..end).unwrap_or_default())
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    Name { name, suffix }
}

/// Which fact a name with these flags is, if any (see the module comment for why).
fn field(name: &Name, flags: u16) -> Option<&'static str> {
    // "*" is the wildcard of node status queries; 0x01 0x02 "__MSBROWSE__" the browse group.
    if name.name.is_empty() || name.name.starts_with('*') || name.name.starts_with('\u{1}') {
        return None;
    }
    match (flags & GROUP != 0, name.suffix) {
        (false, 0x00 | 0x20) => Some("netbios_name"),
        (true, 0x00) => Some("netbios_domain"),
        _ => None,
    }
}

#[derive(Debug, Default)]
pub(crate) struct NetbiosSession {
    pending: Vec<u16>,
    offsets: [u64; 2],
}

/// Whether names in this message's NB records are claims or confirmations worth keeping:
/// registrations and refreshes, and successful responses to queries and registrations (not
/// releases: the name is going away).
fn names_count(h: &Header) -> bool {
    let claims = matches!(h.opcode, 5 | 8 | 9 | 15);
    if h.response {
        h.rcode == 0 && (claims || h.opcode == 0)
    } else {
        claims
    }
}

impl NetbiosSession {
    fn message(&mut self, dir: Direction, offset: u64, msg: &[u8], out: &mut Output<'_>) {
        let Some(h) = header(msg) else {
            out.anomaly(dir, offset, "NBNS message shorter than its 12-byte header");
            return;
        };
        let op = Operation {
            protocol: Protocol::NetbiosNs,
            code: u16::from(h.opcode),
            subcode: None,
            name: opcode_name(h.opcode),
            class: OpClass::Other,
        };
        if h.response {
            let kind = match self.pending.iter().position(|&id| id == h.id) {
                // A WACK asks the requester to wait: the real answer follows.
                Some(_) if h.opcode == 7 => MessageKind::Response,
                Some(i) => {
                    self.pending.remove(i);
                    MessageKind::Response
                }
                None => MessageKind::UnmatchedResponse,
            };
            out.operation(op, kind, h.rcode != 0, None);
        } else {
            out.operation(op, MessageKind::Request, false, None);
            if !self.pending.contains(&h.id) {
                if self.pending.len() >= MAX_PENDING {
                    self.pending.remove(0);
                }
                self.pending.push(h.id);
            }
        }
        let sender_is_client = dir == Direction::ToServer;
        if let Err((at, why)) = records(msg, &h, sender_is_client, out) {
            out.anomaly(dir, offset + at as u64, why);
        }
    }
}

/// Reports one name about `address` (when given and specified) or about the sender.
fn report(
    name: &Name,
    flags: u16,
    address: Option<Ipv4Addr>,
    sender_is_client: bool,
    out: &mut Output<'_>,
) {
    let Some(field) = field(name, flags) else {
        return;
    };
    match address.filter(|a| !a.is_unspecified() && !a.is_broadcast()) {
        Some(a) => out.identity_of(Endpoint::Ip(IpAddr::V4(a)), field, name.name.clone()),
        None => out.identity(sender_is_client, field, name.name.clone()),
    }
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([
        b.get(at).copied().unwrap_or(0),
        b.get(at + 1).copied().unwrap_or(0),
    ])
}

/// Walks questions and records; reports names. Returns where and why reading stopped early.
fn records(
    msg: &[u8],
    h: &Header,
    sender_is_client: bool,
    out: &mut Output<'_>,
) -> Result<(), (usize, &'static str)> {
    let [qd, an, ns, ar] = h.counts.map(usize::from);
    let mut pos = NAME_AT;
    for _ in 0..qd.min(MAX_RECORDS) {
        let (_, end) = read_name(msg, pos).map_err(|e| (pos, e.as_str()))?;
        if msg.len() < end + 4 {
            return Err((pos, "question runs past the end of the message"));
        }
        pos = end + 4;
    }
    for _ in 0..(an + ns + ar).min(MAX_RECORDS) {
        let (labels, end) = read_name(msg, pos).map_err(|e| (pos, e.as_str()))?;
        let Some(fixed) = msg.get(end..end + 10) else {
            return Err((pos, "resource record runs past the end of the message"));
        };
        let (rtype, rdlength) = (be16(fixed, 0), usize::from(be16(fixed, 8)));
        let Some(rdata) = msg.get(end + 10..end + 10 + rdlength) else {
            return Err((pos, "record data runs past the end of the message"));
        };
        let name = labels.first().and_then(|l| decode(l));
        match (rtype, name) {
            (TYPE_NB, Some(name)) if names_count(h) => {
                if rdata.len() % 6 != 0 {
                    return Err((end + 10, "NB record data is not a multiple of 6 bytes"));
                }
                for entry in rdata.chunks_exact(6) {
                    let address = entry
                        .get(2..6)
                        .and_then(|b| <[u8; 4]>::try_from(b).ok())
                        .map(Ipv4Addr::from);
                    report(&name, be16(entry, 0), address, sender_is_client, out);
                }
            }
            (TYPE_NBSTAT, _) if h.response && h.rcode == 0 => {
                node_status(rdata, sender_is_client, out)
                    .map_err(|(at, why)| (end + 10 + at, why))?;
            }
            _ => {}
        }
        pos = end + 10 + rdlength;
    }
    Ok(())
}

/// A node status response's name table (RFC 1002 §4.2.18): names of the responder.
fn node_status(
    rdata: &[u8],
    sender_is_client: bool,
    out: &mut Output<'_>,
) -> Result<(), (usize, &'static str)> {
    let Some((&count, mut rest)) = rdata.split_first() else {
        return Err((0, "node status response without NUM_NAMES"));
    };
    for i in 0..usize::from(count).min(MAX_STATUS_NAMES) {
        let Some((entry, tail)) = rest.split_first_chunk::<18>() else {
            return Err((1 + i * 18, "node status name table runs past the record"));
        };
        let (raw, flags) = entry.split_at(16);
        if let Ok(raw) = <[u8; 16]>::try_from(raw) {
            report(&from_raw(&raw), be16(flags, 0), None, sender_is_client, out);
        }
        rest = tail;
    }
    Ok(())
}

impl Session for NetbiosSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        let offset = self.offsets.get(slot).copied().unwrap_or(0);
        self.message(dir, offset, data, out);
        if let Some(o) = self.offsets.get_mut(slot) {
            *o += data.len() as u64;
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        if let Some(o) = self.offsets.get_mut(slot) {
            *o += len;
        }
    }
}
