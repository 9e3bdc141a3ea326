//! Link and network layers.

use crate::bytes::{array, be16, be32, le32, u8_at};
use crate::{ethertype, ipproto, DecodeError};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A pcap/pcapng link-layer header type (tcpdump.org `LINKTYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    /// DLT_RAW as numbered on most BSDs.
    pub const RAW_BSD: LinkType = LinkType(12);
    /// DLT_RAW as numbered on OpenBSD.
    pub const RAW_OPENBSD: LinkType = LinkType(14);
    pub const RAW: LinkType = LinkType(101);
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);

    pub fn name(self) -> &'static str {
        match self {
            LinkType::NULL => "null",
            LinkType::ETHERNET => "ethernet",
            LinkType::RAW_BSD | LinkType::RAW_OPENBSD | LinkType::RAW => "raw",
            LinkType::LOOP => "loop",
            LinkType::LINUX_SLL => "linux_sll",
            LinkType::IPV4 => "ipv4",
            LinkType::IPV6 => "ipv6",
            LinkType::LINUX_SLL2 => "linux_sll2",
            _ => "unknown",
        }
    }

    pub fn is_supported(self) -> bool {
        self.name() != "unknown"
    }
}

/// Up to two VLAN ids (802.1ad outer, 802.1Q inner); 0 means "no tag at this position".
///
/// Both ids are part of the flow key: the same addresses on two VLANs are two networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Vlans {
    pub outer: u16,
    pub inner: u16,
}

impl Vlans {
    pub fn is_empty(self) -> bool {
        self.outer == 0 && self.inner == 0
    }

    fn push(&mut self, id: u16) {
        if self.outer == 0 {
            self.outer = id;
        } else if self.inner == 0 {
            self.inner = id;
        }
    }
}

/// What the link layer says the payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum L2Type {
    /// Ethernet II EtherType, or the EtherType of a SNAP header whose OUI is 00-00-00 (RFC 1042)
    /// or 00-00-F8 (IEEE 802.1H), the two OUIs whose protocol id is an EtherType.
    EtherType(u16),
    /// 802.3 frame with an 802.2 LLC header (STP, some PROFINET and vendor protocols). SNAP
    /// with any other OUI (Cisco CDP/VTP/DTP/PVST+ under 00-00-0C) is `Llc { dsap: 0xAA, ssap:
    /// 0xAA }` with the payload starting at the OUI: its protocol id is the OUI owner's own
    /// number, not an EtherType, and must not be mistaken for one.
    Llc { dsap: u8, ssap: u8 },
    /// No link layer in the capture (raw IP, loopback).
    None,
}

/// ARP for IPv4 over Ethernet (RFC 826); other hardware/protocol pairs keep only the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    pub operation: u16,
    pub sender_mac: Option<[u8; 6]>,
    pub sender_ip: Option<Ipv4Addr>,
    pub target_mac: Option<[u8; 6]>,
    pub target_ip: Option<Ipv4Addr>,
}

/// Fragment fields of an IPv4 header or IPv6 Fragment extension header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    pub id: u32,
    /// Offset of this fragment's data in the original payload, in bytes.
    pub offset: u32,
    pub more: bool,
}

/// An IP packet: addresses, upper protocol, and its payload as far as it was captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Upper-layer protocol after the IPv6 extension headers.
    pub proto: u8,
    pub ttl: u8,
    pub fragment: Option<Fragment>,
    pub payload: &'a [u8],
    /// Payload length the IP header declares; larger than `payload.len()` when the capture cut
    /// the packet (snap length), so that reassembly can account for the missing bytes.
    pub payload_len_on_wire: usize,
    /// Frame offset of `payload`, for error positions.
    pub payload_offset: usize,
}

/// The network layer of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Net<'a> {
    Ip(IpPacket<'a>),
    Arp(Arp),
    /// A non-IP payload (PROFINET, GOOSE, LLDP, STP…): grouped into L2 conversations.
    Other(&'a [u8]),
    /// The header of this layer did not fit; what was decoded above it is still valid.
    Malformed(DecodeError),
}

/// A decoded frame. MAC addresses and VLAN ids are those of the innermost Ethernet header, so
/// that ERSPAN- or GRE-carried mirror traffic shows the mirrored hosts, not the tunnel ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    pub vlans: Vlans,
    pub l2_type: L2Type,
    pub net: Net<'a>,
    /// How many tunnel layers were removed.
    pub encapsulations: u8,
}

/// Tunnels nest at most this deep; deeper nesting is reported as malformed so that a crafted
/// frame cannot make the decoder loop.
const MAX_ENCAPSULATIONS: u8 = 4;
/// More VLAN tags than this are treated as malformed.
const MAX_VLAN_TAGS: usize = 8;
/// IPv6 extension headers walked before giving up.
const MAX_IPV6_EXTENSIONS: usize = 16;

/// Decodes one captured frame of the given link type.
///
/// Returns `Err` only for a link type this crate does not know or a link header that does not
/// fit; malformed upper layers come back inside the frame as [`Net::Malformed`].
pub fn decode_frame(link: LinkType, data: &[u8]) -> Result<Frame<'_>, DecodeError> {
    let mut frame = Frame {
        src_mac: None,
        dst_mac: None,
        vlans: Vlans::default(),
        l2_type: L2Type::None,
        net: Net::Other(data),
        encapsulations: 0,
    };
    match link {
        LinkType::ETHERNET => decode_ethernet(&mut frame, data, 0)?,
        LinkType::RAW | LinkType::RAW_BSD | LinkType::RAW_OPENBSD => {
            match u8_at(data, 0).map(|b| b >> 4) {
                Some(4) => frame.net = decode_ipv4(&mut frame, data, 0),
                Some(6) => frame.net = decode_ipv6(&mut frame, data, 0),
                _ => return Err(DecodeError::new("raw ip", 0, "version is neither 4 nor 6")),
            }
        }
        LinkType::IPV4 => frame.net = decode_ipv4(&mut frame, data, 0),
        LinkType::IPV6 => frame.net = decode_ipv6(&mut frame, data, 0),
        LinkType::NULL | LinkType::LOOP => {
            // The family is in the capturing host's byte order for NULL, network order for LOOP;
            // readers see captures from either, so both are accepted.
            let family = if link == LinkType::LOOP {
                be32(data, 0)
            } else {
                le32(data, 0).map(|le| if le > 0xFFFF { le.swap_bytes() } else { le })
            }
            .ok_or(DecodeError::new(
                "loopback",
                0,
                "shorter than its 4-byte header",
            ))?;
            let body = data.get(4..).unwrap_or_default();
            match family {
                2 => frame.net = decode_ipv4(&mut frame, body, 4),
                // AF_INET6 differs per OS: 10 Linux, 24 NetBSD/OpenBSD, 28 FreeBSD, 30 Darwin.
                10 | 24 | 28 | 30 => frame.net = decode_ipv6(&mut frame, body, 4),
                _ => frame.net = Net::Other(body),
            }
        }
        LinkType::LINUX_SLL => {
            let protocol =
                be16(data, 14).ok_or(DecodeError::new("linux sll", 0, "shorter than 16 bytes"))?;
            let addr_len = be16(data, 4).unwrap_or(0);
            if addr_len == 6 {
                frame.src_mac = array(data, 6);
            }
            let body = data.get(16..).unwrap_or_default();
            decode_ethertype(&mut frame, protocol, body, 16)?;
        }
        LinkType::LINUX_SLL2 => {
            let protocol =
                be16(data, 0).ok_or(DecodeError::new("linux sll2", 0, "shorter than 20 bytes"))?;
            if data.len() < 20 {
                return Err(DecodeError::new("linux sll2", 0, "shorter than 20 bytes"));
            }
            if u8_at(data, 11) == Some(6) {
                frame.src_mac = array(data, 12);
            }
            let body = data.get(20..).unwrap_or_default();
            decode_ethertype(&mut frame, protocol, body, 20)?;
        }
        _ => return Err(DecodeError::new("link", 0, "unsupported link type")),
    }
    Ok(frame)
}

fn decode_ethernet<'a>(
    frame: &mut Frame<'a>,
    data: &'a [u8],
    base: usize,
) -> Result<(), DecodeError> {
    frame.dst_mac = array(data, 0);
    frame.src_mac = array(data, 6);
    frame.vlans = Vlans::default();
    let mut kind = be16(data, 12).ok_or(DecodeError::new(
        "ethernet",
        base,
        "shorter than the 14-byte header",
    ))?;
    let mut off = 14usize;
    let mut tags = 0usize;
    while matches!(
        kind,
        ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD
    ) {
        tags += 1;
        let (Some(tci), Some(next)) = (be16(data, off), be16(data, off + 2)) else {
            frame.net = Net::Malformed(DecodeError::new("vlan", base + off, "tag truncated"));
            return Ok(());
        };
        if tags > MAX_VLAN_TAGS {
            frame.net = Net::Malformed(DecodeError::new("vlan", base + off, "too many tags"));
            return Ok(());
        }
        frame.vlans.push(tci & 0x0FFF);
        kind = next;
        off += 4;
    }
    let body = data.get(off..).unwrap_or_default();
    if kind < 0x0600 {
        // 802.3: `kind` is a length; the payload starts with an LLC header. Trailing padding
        // beyond the declared length is cut off here.
        let body = body.get(..usize::from(kind)).unwrap_or(body);
        let (Some(dsap), Some(ssap)) = (u8_at(body, 0), u8_at(body, 1)) else {
            frame.l2_type = L2Type::Llc { dsap: 0, ssap: 0 };
            frame.net = Net::Malformed(DecodeError::new("llc", base + off, "header truncated"));
            return Ok(());
        };
        if dsap == 0xAA && ssap == 0xAA {
            // SNAP (IEEE 802 §10.3): control, 3-byte OUI, 2-byte protocol id. The protocol id is
            // an EtherType only under OUI 00-00-00 (RFC 1042) and 00-00-F8 (802.1H); under any
            // other OUI it is that organisation's number (Cisco's 0x2000 is CDP, not an
            // EtherType), so those frames stay LLC with the OUI at the start of the payload.
            let ethertype_oui = matches!(body.get(3..6), Some([0, 0, 0] | [0, 0, 0xF8]));
            if let (true, Some(snap_type)) = (ethertype_oui, be16(body, 6)) {
                let inner = body.get(8..).unwrap_or_default();
                return decode_ethertype(frame, snap_type, inner, base + off + 8);
            }
        }
        frame.l2_type = L2Type::Llc { dsap, ssap };
        frame.net = Net::Other(body.get(3..).unwrap_or_default());
        return Ok(());
    }
    decode_ethertype(frame, kind, body, base + off)
}

fn decode_ethertype<'a>(
    frame: &mut Frame<'a>,
    kind: u16,
    body: &'a [u8],
    base: usize,
) -> Result<(), DecodeError> {
    frame.l2_type = L2Type::EtherType(kind);
    frame.net = match kind {
        ethertype::IPV4 => decode_ipv4(frame, body, base),
        ethertype::IPV6 => decode_ipv6(frame, body, base),
        ethertype::ARP => decode_arp(body, base),
        ethertype::VLAN | ethertype::QINQ => {
            // Tags after a cooked header: rare, but SLL captures of trunk ports have them.
            let tci = be16(body, 0).unwrap_or(0);
            frame.vlans.push(tci & 0x0FFF);
            match be16(body, 2) {
                Some(next) if frame.encapsulations < MAX_ENCAPSULATIONS => {
                    frame.encapsulations += 1;
                    return decode_ethertype(
                        frame,
                        next,
                        body.get(4..).unwrap_or_default(),
                        base + 4,
                    );
                }
                _ => Net::Malformed(DecodeError::new("vlan", base, "tag truncated")),
            }
        }
        _ => Net::Other(body),
    };
    Ok(())
}

fn decode_arp(body: &[u8], base: usize) -> Net<'_> {
    let Some(operation) = be16(body, 6) else {
        return Net::Malformed(DecodeError::new("arp", base, "shorter than 8 bytes"));
    };
    let ethernet_ipv4 = be16(body, 0) == Some(1)
        && be16(body, 2) == Some(ethertype::IPV4)
        && u8_at(body, 4) == Some(6)
        && u8_at(body, 5) == Some(4);
    if ethernet_ipv4 && body.len() < 28 {
        return Net::Malformed(DecodeError::new("arp", base, "address fields truncated"));
    }
    let ip = |off| array::<4>(body, off).map(Ipv4Addr::from);
    Net::Arp(Arp {
        operation,
        sender_mac: ethernet_ipv4.then(|| array(body, 8)).flatten(),
        sender_ip: ethernet_ipv4.then(|| ip(14)).flatten(),
        target_mac: ethernet_ipv4.then(|| array(body, 18)).flatten(),
        target_ip: ethernet_ipv4.then(|| ip(24)).flatten(),
    })
}

fn decode_ipv4<'a>(frame: &mut Frame<'a>, b: &'a [u8], base: usize) -> Net<'a> {
    let Some(ver_ihl) = u8_at(b, 0) else {
        return Net::Malformed(DecodeError::new("ipv4", base, "empty"));
    };
    if ver_ihl >> 4 != 4 {
        return Net::Malformed(DecodeError::new("ipv4", base, "version is not 4"));
    }
    let header_len = usize::from(ver_ihl & 0x0F) * 4;
    if header_len < 20 {
        return Net::Malformed(DecodeError::new("ipv4", base, "header length below 20"));
    }
    let (Some(total_len), Some(id), Some(frag), Some(ttl), Some(proto), Some(src), Some(dst)) = (
        be16(b, 2),
        be16(b, 4),
        be16(b, 6),
        u8_at(b, 8),
        u8_at(b, 9),
        array::<4>(b, 12),
        array::<4>(b, 16),
    ) else {
        return Net::Malformed(DecodeError::new("ipv4", base, "header truncated"));
    };
    // Zero is what a sender with TCP segmentation offload writes before the NIC fills it in;
    // captures taken on such a host have it. The frame then says where the packet ends.
    let total_len = match usize::from(total_len) {
        0 => b.len(),
        n => n,
    };
    if b.len() < header_len {
        return Net::Malformed(DecodeError::new("ipv4", base, "options truncated"));
    }
    if total_len < header_len {
        return Net::Malformed(DecodeError::new(
            "ipv4",
            base + 2,
            "total length shorter than header",
        ));
    }
    // Ethernet pads short frames: the IP total length, not the frame, says where data ends.
    let end = total_len.min(b.len());
    let payload = b.get(header_len..end).unwrap_or_default();
    let offset_field = u32::from(frag & 0x1FFF) * 8;
    let more = frag & 0x2000 != 0;
    let fragment = (more || offset_field != 0).then_some(Fragment {
        id: u32::from(id),
        offset: offset_field,
        more,
    });
    let packet = IpPacket {
        src: IpAddr::V4(Ipv4Addr::from(src)),
        dst: IpAddr::V4(Ipv4Addr::from(dst)),
        proto,
        ttl,
        fragment,
        payload,
        payload_len_on_wire: total_len - header_len,
        payload_offset: base + header_len,
    };
    if fragment.is_none() {
        if let Some(inner) = decapsulate(frame, &packet) {
            return inner;
        }
    }
    Net::Ip(packet)
}

fn decode_ipv6<'a>(frame: &mut Frame<'a>, b: &'a [u8], base: usize) -> Net<'a> {
    let (Some(first), Some(payload_len), Some(mut next), Some(hop), Some(src), Some(dst)) = (
        u8_at(b, 0),
        be16(b, 4),
        u8_at(b, 6),
        u8_at(b, 7),
        array::<16>(b, 8),
        array::<16>(b, 24),
    ) else {
        return Net::Malformed(DecodeError::new("ipv6", base, "header truncated"));
    };
    if first >> 4 != 6 {
        return Net::Malformed(DecodeError::new("ipv6", base, "version is not 6"));
    }
    let declared_end = if payload_len == 0 {
        // Jumbogram or unknown: take what was captured.
        b.len()
    } else {
        40 + usize::from(payload_len)
    };
    let end = declared_end.min(b.len());
    let mut off = 40usize;
    let mut fragment = None;
    for _ in 0..MAX_IPV6_EXTENSIONS {
        let ext_len = match next {
            // Hop-by-hop, routing, destination options, mobility, HIP, shim6.
            0 | 43 | 60 | 135 | 139 | 140 => u8_at(b, off + 1).map(|l| (usize::from(l) + 1) * 8),
            // Authentication header counts 4-byte units minus two.
            51 => u8_at(b, off + 1).map(|l| (usize::from(l) + 2) * 4),
            44 => {
                let (Some(frag_next), Some(frag_field), Some(id)) =
                    (u8_at(b, off), be16(b, off + 2), be32(b, off + 4))
                else {
                    return Net::Malformed(DecodeError::new(
                        "ipv6",
                        base + off,
                        "fragment header truncated",
                    ));
                };
                let frag_offset = u32::from(frag_field >> 3) * 8;
                let more = frag_field & 1 != 0;
                if frag_offset != 0 || more {
                    fragment = Some(Fragment {
                        id,
                        offset: frag_offset,
                        more,
                    });
                }
                next = frag_next;
                off += 8;
                if frag_offset != 0 {
                    // Later fragments carry no upper headers.
                    break;
                }
                continue;
            }
            _ => break,
        };
        let Some(ext_len) = ext_len else {
            return Net::Malformed(DecodeError::new(
                "ipv6",
                base + off,
                "extension header truncated",
            ));
        };
        let Some(ext_next) = u8_at(b, off) else {
            return Net::Malformed(DecodeError::new(
                "ipv6",
                base + off,
                "extension header truncated",
            ));
        };
        next = ext_next;
        off += ext_len;
        if off > end {
            return Net::Malformed(DecodeError::new(
                "ipv6",
                base + off,
                "extension headers run past the payload",
            ));
        }
    }
    let payload = b.get(off..end).unwrap_or_default();
    let packet = IpPacket {
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        proto: next,
        ttl: hop,
        fragment,
        payload,
        payload_len_on_wire: declared_end.saturating_sub(off),
        payload_offset: base + off,
    };
    if fragment.is_none() {
        if let Some(inner) = decapsulate(frame, &packet) {
            return inner;
        }
    }
    Net::Ip(packet)
}

/// Removes a tunnel layer (GRE, ERSPAN, IP-in-IP) and decodes what it carries.
///
/// Returns `None` when the packet is not a tunnel this crate understands, in which case it stays
/// an ordinary IP packet (GRE keepalives and PPTP's enhanced GRE, for instance).
fn decapsulate<'a>(frame: &mut Frame<'a>, ip: &IpPacket<'a>) -> Option<Net<'a>> {
    if !matches!(ip.proto, ipproto::GRE | ipproto::IPIP | ipproto::IPV6) {
        return None;
    }
    if frame.encapsulations >= MAX_ENCAPSULATIONS {
        return Some(Net::Malformed(DecodeError::new(
            "tunnel",
            ip.payload_offset,
            "tunnels nested too deep",
        )));
    }
    frame.encapsulations += 1;
    let b = ip.payload;
    let base = ip.payload_offset;
    match ip.proto {
        ipproto::IPIP => return Some(decode_ipv4(frame, b, base)),
        ipproto::IPV6 => return Some(decode_ipv6(frame, b, base)),
        _ => {}
    }
    let flags = be16(b, 0)?;
    let protocol = be16(b, 2)?;
    if flags & 0x0007 != 0 {
        // Version 1 is PPTP's enhanced GRE: not a tunnel of frames.
        frame.encapsulations -= 1;
        return None;
    }
    let checksum_present = flags & 0x8000 != 0;
    let key_present = flags & 0x2000 != 0;
    let sequence_present = flags & 0x1000 != 0;
    let header_len = 4
        + 4 * usize::from(checksum_present)
        + 4 * usize::from(key_present)
        + 4 * usize::from(sequence_present);
    let mut off = header_len;
    match protocol {
        ethertype::TRANSPARENT_ETHERNET => {}
        // ERSPAN type I has no header of its own (and no sequence bit); type II has 8 bytes.
        ethertype::ERSPAN_II => off += if sequence_present { 8 } else { 0 },
        ethertype::ERSPAN_III => {
            // 12-byte header; the O flag (last bit) announces an 8-byte platform sub-header.
            let flags_byte = u8_at(b, off + 11)?;
            off += 12 + if flags_byte & 1 != 0 { 8 } else { 0 };
        }
        ethertype::IPV4 => {
            return Some(decode_ipv4(
                frame,
                b.get(off..).unwrap_or_default(),
                base + off,
            ))
        }
        ethertype::IPV6 => {
            return Some(decode_ipv6(
                frame,
                b.get(off..).unwrap_or_default(),
                base + off,
            ))
        }
        _ => {
            frame.encapsulations -= 1;
            return None;
        }
    }
    let Some(inner) = b.get(off..) else {
        return Some(Net::Malformed(DecodeError::new(
            "gre",
            base,
            "tunnel header truncated",
        )));
    };
    let outer_src_mac = frame.src_mac;
    match decode_ethernet(frame, inner, base + off) {
        Ok(()) => Some(frame.net),
        Err(e) => {
            frame.src_mac = outer_src_mac;
            Some(Net::Malformed(e))
        }
    }
}

/// Folds an address to 64 bits for conversation hashing.
#[inline]
pub fn fold_address(ip: IpAddr) -> u64 {
    match ip {
        IpAddr::V4(v4) => u64::from(u32::from(v4)),
        IpAddr::V6(v6) => fold_v6(u128::from(v6)),
    }
}

#[inline]
fn fold_v6(x: u128) -> u64 {
    (x as u64) ^ ((x >> 64) as u64)
}

/// A symmetric hash of a conversation, which picks the worker that owns it: the same for both
/// directions because the two ends are combined with XOR, which does not care about order.
/// Addresses come folded by [`fold_address`]; ports are 0 where the transport has none.
///
/// One multiplication, because routing runs it for every packet: the ordered SplitMix mix it
/// replaced took 14 ms per 2.5 million packets on the plant benchmark, a quarter of what
/// sharding adds to the work of one worker. Workers are picked from the top bits of the
/// product, and those depend on every bit of the input. Conversations whose ends XOR to the
/// same value (A:p–B:q and A:q–B:p) share a worker; that can only cost balance, and
/// ephemeral ports keep such pairs rare. It spreads, it does not resist attacks.
#[inline]
pub fn conversation_hash(a: u64, a_port: u16, b: u64, b_port: u16, vlans: Vlans) -> u64 {
    let ends = a ^ b ^ (u64::from(a_port ^ b_port) << 32);
    let vlans = (u64::from(vlans.outer) | (u64::from(vlans.inner) << 12)) << 40;
    (ends ^ vlans).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The [`conversation_hash`] of an unfragmented TCP, UDP or ICMP packet over Ethernet, read at
/// fixed offsets without a full decode.
///
/// Used to pick a worker for each packet cheaply. It answers only when the answer is certain to
/// equal the hash of what [`decode_frame`] and [`crate::decode_transport`] report (no tunnel,
/// no fragment, at most two VLAN tags, no IPv6 extension header); otherwise `None`, and the
/// caller decodes fully.
#[inline]
pub fn conversation_hash_hint(link: LinkType, data: &[u8]) -> Option<u64> {
    if link != LinkType::ETHERNET {
        return None;
    }
    let mut kind = be16(data, 12)?;
    let mut off = 14usize;
    let mut vlans = Vlans::default();
    for _ in 0..2 {
        if !matches!(
            kind,
            ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD
        ) {
            break;
        }
        vlans.push(be16(data, off)? & 0x0FFF);
        kind = be16(data, off + 2)?;
        off += 4;
    }
    let (src, dst, proto, transport) = match kind {
        ethertype::IPV4 => {
            let ver_ihl = u8_at(data, off)?;
            let header_len = usize::from(ver_ihl & 0x0F) * 4;
            let fragment_bits = be16(data, off + 6)? & 0x3FFF;
            if ver_ihl >> 4 != 4 || header_len < 20 || fragment_bits != 0 {
                return None;
            }
            let src = u64::from(be32(data, off + 12)?);
            let dst = u64::from(be32(data, off + 16)?);
            (src, dst, u8_at(data, off + 9)?, off + header_len)
        }
        ethertype::IPV6 => {
            if u8_at(data, off)? >> 4 != 6 {
                return None;
            }
            let src = fold_v6(u128::from_be_bytes(array(data, off + 8)?));
            let dst = fold_v6(u128::from_be_bytes(array(data, off + 24)?));
            (src, dst, u8_at(data, off + 6)?, off + 40)
        }
        _ => return None,
    };
    let (src_port, dst_port) = match proto {
        ipproto::TCP | ipproto::UDP => (be16(data, transport)?, be16(data, transport + 2)?),
        ipproto::ICMP | ipproto::ICMPV6 => (0, 0),
        _ => return None,
    };
    Some(conversation_hash(src, src_port, dst, dst_port, vlans))
}
