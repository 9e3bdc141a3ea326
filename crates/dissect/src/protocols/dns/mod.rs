//! DNS, multicast DNS and LLMNR, for the names devices go by.
//!
//! References: RFC 1034 §3.6.2 (CNAME: an alias and its canonical name); RFC 1035 §4.1
//! (message: header §4.1.1, question §4.1.2, resource records §4.1.3, compression §4.1.4) and
//! §4.2.2 (over TCP, each message is preceded by a two-byte length); RFC 6895 §2 (header
//! flags, opcodes 0 query, 1 inverse query (obsolete), 2 status, 4 notify (RFC 1996), 5 update
//! (RFC 2136), 6 DSO (RFC 8490)); RFC 3596 (AAAA); RFC 6762 (multicast DNS on UDP 5353: the
//! top bit of an RR class is the cache-flush bit, §10.2; answers are often unsolicited
//! announcements); RFC 4795 (LLMNR on UDP 5355, same format).
//!
//! Ports: UDP 53, 5353, 5355 and TCP 53, hints only. A DNS header has no magic number, so a
//! consistent header and question make the probe answer `Maybe`, which decides only on those
//! ports.
//!
//! Why: an A or AAAA record says which name an address goes by: the inventory names hosts
//! from it (`dns_name` about the address, lowercase, no trailing dot), including a Windows
//! host's own dynamic update (RFC 2136 update section, class IN) and mDNS announcements. Only
//! unicast, non-loopback, specified addresses are named: resolvers that block a name answer
//! 0.0.0.0 or 127.0.0.1, which is not a device.
//!
//! Supported: every message as an operation (code = opcode, class `other`); queries are
//! requests, responses are paired with queries by id (64 outstanding per flow), error rcodes
//! count as error responses; names with compression (pointer loops and length capped); A and
//! AAAA records in every section, also named by the aliases whose CNAME chain in the same
//! message leads to them; over TCP, the length-prefixed framing.
//!
//! Not supported: EDNS options, DNSSEC, PTR/SRV/TXT contents (service discovery details),
//! DNS over TLS/HTTPS/QUIC (encrypted).

mod name;
mod session;

#[cfg(test)]
mod tests;

pub(crate) use name::{read_name, render};

use crate::{Confidence, Dissector, Protocol, Session, TCP, UDP};
use zonewarden_model::Direction;

/// DNS, mDNS and LLMNR over UDP.
#[derive(Debug, Clone, Copy, Default)]
pub struct Dns;

/// DNS over TCP (zone transfers, large answers).
#[derive(Debug, Clone, Copy, Default)]
pub struct DnsTcp;

impl Dissector for Dns {
    fn protocol(&self) -> Protocol {
        Protocol::Dns
    }

    fn transports(&self) -> &'static [u8] {
        UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[53, 5353, 5355]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::new(session::DnsSession::udp())
    }
}

impl Dissector for DnsTcp {
    fn protocol(&self) -> Protocol {
        Protocol::Dns
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[53]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        let Some(len) = data.get(..2) else {
            return Confidence::NeedMore;
        };
        let len = usize::from(u16::from_be_bytes([
            len.first().copied().unwrap_or(0),
            len.get(1).copied().unwrap_or(0),
        ]));
        let body = data.get(2..).unwrap_or_default();
        if len < HEADER {
            return Confidence::NotMine;
        }
        match body.get(..len) {
            Some(message) => probe(message),
            None if body.len() < HEADER => Confidence::NeedMore,
            None => match probe_header(body) {
                Confidence::NotMine => Confidence::NotMine,
                _ => Confidence::NeedMore,
            },
        }
    }

    fn session(&self) -> Box<dyn Session> {
        Box::new(session::DnsSession::tcp())
    }
}

/// The fixed header, RFC 1035 §4.1.1.
pub(crate) const HEADER: usize = 12;

/// The header fields of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub id: u16,
    pub response: bool,
    pub opcode: u8,
    pub rcode: u8,
    pub counts: [u16; 4],
}

impl Header {
    pub(crate) fn questions(&self) -> u16 {
        let [qd, ..] = self.counts;
        qd
    }
}

pub(crate) fn header(msg: &[u8]) -> Option<Header> {
    let b: &[u8; HEADER] = msg.get(..HEADER)?.try_into().ok()?;
    let [i0, i1, f0, f1, q0, q1, a0, a1, n0, n1, r0, r1] = *b;
    let flags = u16::from_be_bytes([f0, f1]);
    Some(Header {
        id: u16::from_be_bytes([i0, i1]),
        response: flags & 0x8000 != 0,
        opcode: ((flags >> 11) & 0x0F) as u8,
        rcode: (flags & 0x0F) as u8,
        counts: [
            u16::from_be_bytes([q0, q1]),
            u16::from_be_bytes([a0, a1]),
            u16::from_be_bytes([n0, n1]),
            u16::from_be_bytes([r0, r1]),
        ],
    })
}

/// The name of an opcode (RFC 6895 §2.2). Unknown ones keep their
/// number.
pub fn opcode_name(opcode: u8) -> &'static str {
    match opcode {
        0 => "query",
        1 => "iquery",
        2 => "status",
        4 => "notify",
        5 => "update",
        6 => "dso",
        _ => "unknown opcode",
    }
}

/// The header alone: a defined opcode, counts that the bytes can hold (a question takes at
/// least 5 bytes, a record 11), and a query that asks something.
fn probe_header(msg: &[u8]) -> Confidence {
    let Some(h) = header(msg) else {
        return Confidence::NotMine;
    };
    if opcode_name(h.opcode) == "unknown opcode" || h.opcode == 1 {
        return Confidence::NotMine;
    }
    let [qd, an, ns, ar] = h.counts.map(usize::from);
    if !h.response && h.opcode == 0 && qd == 0 {
        return Confidence::NotMine;
    }
    if qd > 64 {
        return Confidence::NotMine;
    }
    if qd * 5 + (an + ns + ar) * 11 <= msg.len().saturating_sub(HEADER) {
        Confidence::Maybe
    } else {
        Confidence::NotMine
    }
}

/// A whole message (one datagram): a consistent header and readable questions. There is no
/// magic number, so never better than `Maybe`.
pub(crate) fn probe(msg: &[u8]) -> Confidence {
    if probe_header(msg) != Confidence::Maybe {
        return Confidence::NotMine;
    }
    let qd = header(msg).map_or(0, |h| h.questions());
    let mut pos = HEADER;
    for _ in 0..qd {
        match read_name(msg, pos) {
            Ok((_, end)) if msg.len() >= end + 4 => pos = end + 4,
            _ => return Confidence::NotMine,
        }
    }
    Confidence::Maybe
}
