//! DHCP (and BOOTP with vendor extensions) for device identity.
//!
//! References: RFC 951 (BOOTP) §3; RFC 2131 (DHCP) §2 (message format: op, htype, hlen, hops,
//! xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr, sname, file; options after the
//! magic cookie 99.130.83.99 at offset 236) and §4.3.1 table 3 (what a server fills in an ACK);
//! RFC 2132 (options) §3.14 host name (12), §9.3 option overload (52), §9.6 message type (53),
//! §9.8 parameter request list (55), §9.13 vendor class identifier (60); RFC 3396 (a long
//! option split over several instances is their concatenation); RFC 4702 (client FQDN, option
//! 81: flags, two RCODEs, then the name, in DNS wire format when flag E is set); RFC 3203,
//! RFC 4388, RFC 6926 and RFC 7724 (message types 9–18).
//!
//! Ports: UDP 67 (server) and 68 (client), hints only: recognition is by the magic cookie at
//! offset 236 of a BOOTREQUEST or BOOTREPLY, which nothing else on UDP carries (`Certain`).
//!
//! Why: DHCP is where a device names itself (host name, vendor class such as
//! `MSFT 5.0` or a PLC vendor's string) and where the network gives it an address. Clients
//! talk before they have an address (0.0.0.0 → 255.255.255.255), so every fact is about the
//! client's hardware address (`chaddr`), never about a flow end: that lets the inventory keep
//! one asset across address changes.
//!
//! Supported: every message type as an operation (code = option 53, class `other`; client
//! messages are requests, server messages (offer, ack, nak, lease query answers) responses,
//! paired with requests of the flow by `xid`; a NAK is an error response; a message without
//! option 53 is plain BOOTP, code 0). Facts about `chaddr` (Ethernet only, htype 1 hlen 6):
//! `hostname` (option 12, and the FQDN of option 81), from clients `dhcp_vendor_class`
//! (option 60; servers echo it for PXE, so theirs is not about the client) and
//! `dhcp_fingerprint` (option 55 as decimal codes, e.g. `1,3,6,15`), and on ACK or BOOTP
//! reply `ip_address` (yiaddr, or ciaddr when acknowledging an INFORM; RFC 951 for BOOTP).
//! Options in the `file` and `sname` fields (overload) are read.
//!
//! Not supported: DHCPv6 (a different protocol on UDP 546/547), relay agent sub-options,
//! client identifiers (option 61) as facts, hardware types other than Ethernet for facts.

#[cfg(test)]
mod tests;

use crate::{
    Confidence, Dissector, Endpoint, MessageKind, OpClass, Operation, Output, Protocol, Session,
    UDP,
};
use std::net::{IpAddr, Ipv4Addr};
use zonewarden_model::{Direction, Timestamp};

/// The magic cookie 99.130.83.99 (RFC 2131 §3) at offset 236.
const MAGIC: [u8; 4] = [0x63, 0x82, 0x53, 0x63];
const COOKIE_AT: usize = 236;
/// Options start after the cookie.
const OPTIONS_AT: usize = 240;
/// RFC 2131 §2 field offsets.
const CIADDR: usize = 12;
const YIADDR: usize = 16;
const CHADDR: usize = 28;
const SNAME: std::ops::Range<usize> = 44..108;
const FILE: std::ops::Range<usize> = 108..236;
/// Client requests remembered for pairing with server answers.
const MAX_PENDING: usize = 16;
/// Bytes kept per option code across RFC 3396 split instances (an option holds at most 255
/// per instance; nothing we read needs more than one full instance and a bit).
const MAX_OPTION: usize = 512;
/// Host names and vendor classes longer than this are cut (RFC 2132 allows 255).
const MAX_TEXT: usize = 255;

/// The DHCP dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Dhcp;

impl Dissector for Dhcp {
    fn protocol(&self) -> Protocol {
        Protocol::Dhcp
    }

    fn transports(&self) -> &'static [u8] {
        UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[67, 68]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<DhcpSession>::default()
    }
}

/// A BOOTREQUEST or BOOTREPLY with the magic cookie is DHCP; a datagram is whole, so anything
/// shorter than the fixed header is not.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    let op_ok = matches!(data.first(), Some(1 | 2));
    if op_ok && data.get(COOKIE_AT..OPTIONS_AT) == Some(&MAGIC[..]) {
        Confidence::Certain
    } else {
        Confidence::NotMine
    }
}

/// Name, class and whether a client sends it, for a message type (option 53). Unknown types
/// are kept by number.
pub fn message_type(code: u8) -> (&'static str, bool) {
    match code {
        0 => ("bootp", true),
        1 => ("discover", true),
        2 => ("offer", false),
        3 => ("request", true),
        4 => ("decline", true),
        5 => ("ack", false),
        6 => ("nak", false),
        7 => ("release", true),
        8 => ("inform", true),
        // RFC 3203: sent by a server, unasked.
        9 => ("forcerenew", true),
        // RFC 4388 lease query, RFC 6926 bulk lease query, RFC 7724 active lease query.
        10 => ("leasequery", true),
        11 => ("leaseunassigned", false),
        12 => ("leaseunknown", false),
        13 => ("leaseactive", false),
        14 => ("bulkleasequery", true),
        15 => ("leasequerydone", false),
        16 => ("activeleasequery", true),
        17 => ("leasequerystatus", false),
        18 => ("tls", true),
        _ => ("unknown message type", true),
    }
}

fn operation(code: u8) -> Operation {
    Operation {
        protocol: Protocol::Dhcp,
        code: u16::from(code),
        subcode: None,
        name: message_type(code).0,
        class: OpClass::Other,
    }
}

/// The options of one message, gathered (RFC 3396: repeated instances concatenate).
#[derive(Debug, Default)]
pub(crate) struct Options {
    pub message_type: Option<u8>,
    pub hostname: Vec<u8>,
    pub vendor_class: Vec<u8>,
    pub parameters: Vec<u8>,
    pub fqdn: Vec<u8>,
    pub overload: u8,
    /// Where an option ran past its area, and why.
    pub errors: Vec<(usize, &'static str)>,
}

/// Reads one option area (`base` is its offset in the message, for anomalies). Stops at End
/// (255); Pad (0) is one byte.
fn read_options(area: &[u8], base: usize, o: &mut Options) {
    let mut pos = 0usize;
    while let Some(&code) = area.get(pos) {
        match code {
            0 => {
                pos += 1;
                continue;
            }
            255 => return,
            _ => {}
        }
        let Some(&len) = area.get(pos + 1) else {
            o.errors
                .push((base + pos, "option without its length byte"));
            return;
        };
        let start = pos + 2;
        let end = start + usize::from(len);
        let Some(value) = area.get(start..end) else {
            o.errors
                .push((base + pos, "option runs past the end of the message"));
            return;
        };
        let sink = match code {
            12 => Some(&mut o.hostname),
            55 => Some(&mut o.parameters),
            60 => Some(&mut o.vendor_class),
            81 => Some(&mut o.fqdn),
            53 => {
                o.message_type = value.first().copied();
                None
            }
            52 => {
                o.overload = value.first().copied().unwrap_or(0);
                None
            }
            _ => None,
        };
        if let Some(sink) = sink {
            let room = MAX_OPTION.saturating_sub(sink.len());
            sink.extend_from_slice(value.get(..value.len().min(room)).unwrap_or_default());
        }
        pos = end;
    }
}

/// All options of a message: the options field, then `file` and `sname` when option 52 says
/// they hold options too (RFC 2132 §9.3: options field first, then file, then sname).
pub(crate) fn options(msg: &[u8]) -> Options {
    let mut o = Options::default();
    read_options(
        msg.get(OPTIONS_AT..).unwrap_or_default(),
        OPTIONS_AT,
        &mut o,
    );
    let overload = o.overload;
    if overload & 1 != 0 {
        if let Some(file) = msg.get(FILE) {
            read_options(file, FILE.start, &mut o);
        }
    }
    if overload & 2 != 0 {
        if let Some(sname) = msg.get(SNAME) {
            read_options(sname, SNAME.start, &mut o);
        }
    }
    o
}

/// Text of a name option: trailing NULs (some clients count one) removed, control characters
/// replaced, cut at [`MAX_TEXT`] characters.
pub(crate) fn text(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |last| last + 1);
    String::from_utf8_lossy(bytes.get(..end).unwrap_or_default())
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .take(MAX_TEXT)
        .collect()
}

/// The domain name of option 81 (RFC 4702 §2.3): after flags and two RCODE bytes, in DNS wire
/// format (labels, no compression) when flag E (0x04) is set, else ASCII. Lowercase, no
/// trailing dot.
pub(crate) fn fqdn_name(value: &[u8]) -> Option<String> {
    let (&flags, rest) = value.split_first()?;
    let name = rest.get(2..)?;
    let text = if flags & 0x04 != 0 {
        let mut labels = Vec::new();
        let mut rest = name;
        while let Some((&len, tail)) = rest.split_first() {
            if len == 0 || len > 63 {
                break;
            }
            let label = tail.get(..usize::from(len))?;
            labels.push(String::from_utf8_lossy(label).into_owned());
            rest = tail.get(usize::from(len)..).unwrap_or_default();
        }
        labels.join(".")
    } else {
        text(name)
    };
    let text = text.trim_end_matches('.').to_ascii_lowercase();
    (!text.is_empty()).then_some(text)
}

fn ipv4_at(msg: &[u8], at: usize) -> Option<Ipv4Addr> {
    let b: [u8; 4] = msg.get(at..at + 4)?.try_into().ok()?;
    let ip = Ipv4Addr::from(b);
    (!ip.is_unspecified()).then_some(ip)
}

/// One DHCP flow: client requests waiting for the server's answer, by `xid`.
#[derive(Debug, Default)]
pub(crate) struct DhcpSession {
    pending: Vec<u32>,
    offsets: [u64; 2],
}

impl DhcpSession {
    fn message(&mut self, dir: Direction, offset: u64, msg: &[u8], out: &mut Output<'_>) {
        if probe(msg) != Confidence::Certain {
            let why = if msg.len() < OPTIONS_AT {
                "DHCP message shorter than its 240-byte fixed part"
            } else {
                "not a DHCP message (bad op code or magic cookie)"
            };
            out.anomaly(dir, offset, why);
            return;
        }
        let op = msg.first().copied().unwrap_or(0);
        let xid = msg
            .get(4..8)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_be_bytes);
        let o = options(msg);
        for (at, why) in &o.errors {
            out.anomaly(dir, offset + *at as u64, why);
        }
        let code = o.message_type.unwrap_or(0);
        let from_client = match o.message_type {
            Some(t) => message_type(t).1,
            None => op == 1,
        };
        if from_client != (op == 1) && code != 9 {
            out.anomaly(
                dir,
                offset,
                format_args!(
                    "DHCP {} sent as a {}",
                    message_type(code).0,
                    if op == 1 { "BOOTREQUEST" } else { "BOOTREPLY" }
                ),
            );
        }
        if from_client {
            out.operation(operation(code), MessageKind::Request, false, None);
            if !self.pending.contains(&xid) {
                if self.pending.len() >= MAX_PENDING {
                    self.pending.remove(0);
                }
                self.pending.push(xid);
            }
        } else {
            let kind = if self.pending.contains(&xid) {
                MessageKind::Response
            } else {
                MessageKind::UnmatchedResponse
            };
            // An ACK ends the exchange; an OFFER may be followed by the REQUEST/ACK of the
            // same xid, so it stays.
            if matches!(code, 5 | 6) {
                self.pending.retain(|&x| x != xid);
            }
            out.operation(operation(code), kind, code == 6, None);
        }
        self.facts(msg, op, code, &o, out);
    }

    fn facts(&self, msg: &[u8], op: u8, code: u8, o: &Options, out: &mut Output<'_>) {
        // Only Ethernet hardware addresses name a device the inventory knows.
        let ethernet = msg.get(1..3) == Some(&[1, 6][..]);
        let Some(mac) = msg
            .get(CHADDR..CHADDR + 6)
            .and_then(|b| <[u8; 6]>::try_from(b).ok())
        else {
            return;
        };
        if !ethernet || mac == [0; 6] {
            return;
        }
        let device = Endpoint::Mac(mac);
        if !o.hostname.is_empty() {
            out.identity_of(device, "hostname", text(&o.hostname));
        }
        if let Some(name) = fqdn_name(&o.fqdn) {
            out.identity_of(device, "hostname", name);
        }
        if op == 1 {
            if !o.vendor_class.is_empty() {
                out.identity_of(device, "dhcp_vendor_class", text(&o.vendor_class));
            }
            if !o.parameters.is_empty() {
                let codes: Vec<String> = o.parameters.iter().map(|c| c.to_string()).collect();
                out.identity_of(device, "dhcp_fingerprint", codes.join(","));
            }
        }
        // A BOOTP reply (RFC 951 §3: yiaddr is the address the server gives) is the ACK of
        // plain BOOTP.
        if code == 5 || (code == 0 && op == 2) {
            // RFC 2131 table 3: yiaddr is the leased address, or 0 when acknowledging an
            // INFORM, whose ciaddr is then the client's own address.
            if let Some(ip) = ipv4_at(msg, YIADDR).or_else(|| ipv4_at(msg, CIADDR)) {
                out.identity_of(device, "ip_address", IpAddr::V4(ip).to_string());
            }
        }
    }
}

impl Session for DhcpSession {
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
