//! One DNS flow: messages (datagrams, or length-prefixed over TCP), query/response pairing by
//! id, and names of addresses from A/AAAA records.

use super::{header, opcode_name, read_name, render, HEADER};
use crate::{Endpoint, MessageKind, OpClass, Operation, Output, Protocol, Session};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use zonewarden_model::{Direction, Timestamp};

/// Queries waiting for their response.
const MAX_PENDING: usize = 64;
/// Records looked at per message (each takes at least 11 bytes, so a 64 KiB message holds
/// about 6000; names of more addresses than this in one answer are not useful).
const MAX_RECORDS: usize = 512;
/// RR types, RFC 1035 §3.2.2 and RFC 3596.
const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;
const TYPE_CNAME: u16 = 5;
/// The Internet class; mDNS uses the top bit as cache-flush (RFC 6762 §10.2).
const CLASS_IN: u16 = 1;

/// TCP framing state for one direction.
#[derive(Debug, Default)]
struct Framer {
    buf: Vec<u8>,
    /// Stream offset of `buf`'s first byte.
    offset: u64,
}

#[derive(Debug)]
pub(crate) struct DnsSession {
    pending: Vec<u16>,
    /// Per direction: TCP framers, or for UDP only the offset (datagram bytes seen).
    framers: [Framer; 2],
    tcp: bool,
}

impl DnsSession {
    pub(crate) fn udp() -> Self {
        DnsSession {
            pending: Vec::new(),
            framers: Default::default(),
            tcp: false,
        }
    }

    pub(crate) fn tcp() -> Self {
        DnsSession {
            tcp: true,
            ..DnsSession::udp()
        }
    }

    /// One whole message at stream offset `offset`.
    fn message(&mut self, dir: Direction, offset: u64, msg: &[u8], out: &mut Output<'_>) {
        let Some(h) = header(msg) else {
            out.anomaly(dir, offset, "DNS message shorter than its 12-byte header");
            return;
        };
        let op = Operation {
            protocol: Protocol::Dns,
            code: u16::from(h.opcode),
            subcode: None,
            name: opcode_name(h.opcode),
            class: OpClass::Other,
        };
        if h.response {
            let kind = match self.pending.iter().position(|&id| id == h.id) {
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
        if let Err((at, why)) = records(msg, &h, out) {
            out.anomaly(dir, offset + at as u64, why);
        }
    }
}

/// Names of addresses found in one message: A/AAAA records (address, owner name) and CNAME
/// records (alias, canonical name).
#[derive(Debug, Default)]
struct Found {
    addresses: Vec<(IpAddr, String)>,
    aliases: Vec<(String, String)>,
}

/// CNAMEs kept per message, and links followed back from an address's owner to the names
/// that alias it (real chains have one to three).
const MAX_ALIASES: usize = 32;
const MAX_CHAIN: usize = 8;

/// Walks the questions and the records of every section and names the addresses of A/AAAA
/// records: by the record's owner, and by each alias whose CNAME chain in the same message
/// leads to it (a query for `mail.example.com` answered through a CNAME names the address
/// `mail.example.com` too: that is the name people use). Returns where and why the message
/// could not be read to its end; what was read before is still reported.
fn records(
    msg: &[u8],
    h: &super::Header,
    out: &mut Output<'_>,
) -> Result<(), (usize, &'static str)> {
    let mut found = Found::default();
    let result = walk(msg, h, &mut found);
    for (addr, owner) in found.addresses {
        let mut name = owner;
        for _ in 0..MAX_CHAIN {
            let alias = found
                .aliases
                .iter()
                .find(|(_, canonical)| *canonical == name)
                .map(|(alias, _)| alias.clone());
            out.identity_of(Endpoint::Ip(addr), "dns_name", name);
            match alias {
                Some(alias) => name = alias,
                None => break,
            }
        }
    }
    result
}

fn walk(msg: &[u8], h: &super::Header, found: &mut Found) -> Result<(), (usize, &'static str)> {
    let [qd, an, ns, ar] = h.counts.map(usize::from);
    let mut pos = HEADER;
    for _ in 0..qd {
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
        let be16 = |i: usize| {
            u16::from_be_bytes([
                fixed.get(i).copied().unwrap_or(0),
                fixed.get(i + 1).copied().unwrap_or(0),
            ])
        };
        let (rtype, class, rdlength) = (be16(0), be16(2) & 0x7FFF, usize::from(be16(8)));
        let data_at = end + 10;
        let Some(rdata) = msg.get(data_at..data_at + rdlength) else {
            return Err((pos, "record data runs past the end of the message"));
        };
        let addr = match (rtype, class, rdata.len()) {
            (TYPE_A, CLASS_IN, 4) => <[u8; 4]>::try_from(rdata)
                .ok()
                .map(|b| IpAddr::V4(Ipv4Addr::from(b))),
            (TYPE_AAAA, CLASS_IN, 16) => <[u8; 16]>::try_from(rdata)
                .ok()
                .map(|b| IpAddr::V6(Ipv6Addr::from(b))),
            _ => None,
        };
        if let Some(addr) = addr.filter(|a| names_a_device(*a)) {
            let name = render(&labels);
            if !name.is_empty() {
                found.addresses.push((addr, name));
            }
        }
        if (rtype, class) == (TYPE_CNAME, CLASS_IN) && found.aliases.len() < MAX_ALIASES {
            // The canonical name may be compressed: read it in the whole message, then check
            // that it ended inside the record.
            let (target, target_end) =
                read_name(msg, data_at).map_err(|e| (data_at, e.as_str()))?;
            if target_end != data_at + rdlength {
                return Err((data_at, "CNAME record data is not one name"));
            }
            found.aliases.push((render(&labels), render(&target)));
        }
        pos = data_at + rdlength;
    }
    Ok(())
}

/// Whether an address in a record can be a device: not 0.0.0.0, loopback, multicast or
/// broadcast (sinkholes answer those for blocked names).
fn names_a_device(addr: IpAddr) -> bool {
    !(addr.is_unspecified()
        || addr.is_loopback()
        || addr.is_multicast()
        || matches!(addr, IpAddr::V4(v4) if v4.is_broadcast()))
}

impl Session for DnsSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        let Some(framer) = self.framers.get_mut(slot) else {
            return;
        };
        if !self.tcp {
            let offset = framer.offset;
            framer.offset += data.len() as u64;
            self.message(dir, offset, data, out);
            return;
        }
        let mut framer = std::mem::take(framer);
        framer.buf.extend_from_slice(data);
        let buf = std::mem::take(&mut framer.buf);
        let mut pos = 0usize;
        // RFC 1035 §4.2.2: a two-byte length, then the message.
        while let Some(&[hi, lo]) = buf.get(pos..pos + 2) {
            let len = usize::from(u16::from_be_bytes([hi, lo]));
            if len < HEADER {
                out.anomaly(
                    dir,
                    framer.offset,
                    format_args!(
                        "DNS/TCP length {len} shorter than a header; rest of the segment skipped"
                    ),
                );
                framer.offset += buf.len().saturating_sub(pos) as u64;
                pos = buf.len();
                break;
            }
            let Some(msg) = buf.get(pos + 2..pos + 2 + len) else {
                break;
            };
            self.message(dir, framer.offset + 2, msg, out);
            framer.offset += 2 + len as u64;
            pos += 2 + len;
        }
        let rest = buf.get(pos..).unwrap_or_default();
        framer.buf.extend_from_slice(rest);
        if let Some(slot) = self.framers.get_mut(slot) {
            *slot = framer;
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        // A message cut by the gap is lost; the next segment is taken to start a message.
        let slot = usize::from(dir == Direction::ToClient);
        if let Some(f) = self.framers.get_mut(slot) {
            f.offset += f.buf.len() as u64 + len;
            f.buf.clear();
        }
    }
}
