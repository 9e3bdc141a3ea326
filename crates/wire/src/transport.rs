//! Transport headers: TCP (RFC 9293), UDP (RFC 768), ICMP (RFC 792) and ICMPv6 (RFC 4443).

use crate::bytes::{be16, be32, u8_at};
use crate::{ipproto, DecodeError};

/// TCP flag bits as they sit in byte 13 of the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;

    pub const fn fin(self) -> bool {
        self.0 & Self::FIN != 0
    }
    pub const fn syn(self) -> bool {
        self.0 & Self::SYN != 0
    }
    pub const fn rst(self) -> bool {
        self.0 & Self::RST != 0
    }
    pub const fn ack(self) -> bool {
        self.0 & Self::ACK != 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tcp<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    /// Captured payload bytes.
    pub payload: &'a [u8],
    /// Payload bytes the IP header promises beyond what was captured (snap length): sequence
    /// space still advances by them, and reassembly records them as a gap.
    pub missing: u32,
}

impl Tcp<'_> {
    /// Sequence space this segment occupies (payload plus SYN and FIN, RFC 9293 §3.4).
    pub fn seq_len(&self) -> u32 {
        (self.payload.len() as u32)
            .saturating_add(self.missing)
            .saturating_add(u32::from(self.flags.syn()))
            .saturating_add(u32::from(self.flags.fin()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Udp<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: &'a [u8],
    pub missing: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport<'a> {
    Tcp(Tcp<'a>),
    Udp(Udp<'a>),
    Icmp {
        v6: bool,
        icmp_type: u8,
        code: u8,
    },
    /// Any other IP protocol: counted, not interpreted.
    Other(u8),
}

/// Decodes the transport header in an IP payload.
///
/// `wire_len` is the payload length the IP header declares; `base` is the payload's offset in
/// the frame, used only for error positions.
pub fn decode_transport(
    proto: u8,
    payload: &[u8],
    wire_len: usize,
    base: usize,
) -> Result<Transport<'_>, DecodeError> {
    let missing = wire_len.saturating_sub(payload.len());
    match proto {
        ipproto::TCP => {
            let (
                Some(src_port),
                Some(dst_port),
                Some(seq),
                Some(ack),
                Some(off_byte),
                Some(flags),
                Some(window),
            ) = (
                be16(payload, 0),
                be16(payload, 2),
                be32(payload, 4),
                be32(payload, 8),
                u8_at(payload, 12),
                u8_at(payload, 13),
                be16(payload, 14),
            )
            else {
                return Err(DecodeError::new("tcp", base, "header truncated"));
            };
            let header_len = usize::from(off_byte >> 4) * 4;
            if header_len < 20 {
                return Err(DecodeError::new("tcp", base + 12, "data offset below 20"));
            }
            if header_len > wire_len.max(payload.len()) {
                return Err(DecodeError::new(
                    "tcp",
                    base + 12,
                    "data offset beyond the segment",
                ));
            }
            let Some(data) = payload.get(header_len..) else {
                return Err(DecodeError::new(
                    "tcp",
                    base,
                    "options truncated by snap length",
                ));
            };
            Ok(Transport::Tcp(Tcp {
                src_port,
                dst_port,
                seq,
                ack,
                flags: TcpFlags(flags),
                window,
                payload: data,
                missing: u32::try_from(missing).unwrap_or(u32::MAX),
            }))
        }
        ipproto::UDP => {
            let (Some(src_port), Some(dst_port), Some(length)) =
                (be16(payload, 0), be16(payload, 2), be16(payload, 4))
            else {
                return Err(DecodeError::new("udp", base, "header truncated"));
            };
            let length = usize::from(length);
            // Length 0 is legal for IPv6 jumbograms; otherwise it must cover the header.
            let end = if length == 0 {
                wire_len
            } else if length < 8 {
                return Err(DecodeError::new("udp", base + 4, "length below 8"));
            } else {
                length
            };
            let data = payload.get(8..end.min(payload.len())).unwrap_or_default();
            Ok(Transport::Udp(Udp {
                src_port,
                dst_port,
                payload: data,
                missing: u32::try_from(end.min(wire_len).saturating_sub(8 + data.len()))
                    .unwrap_or(u32::MAX),
            }))
        }
        ipproto::ICMP | ipproto::ICMPV6 => {
            let (Some(icmp_type), Some(code)) = (u8_at(payload, 0), u8_at(payload, 1)) else {
                return Err(DecodeError::new("icmp", base, "header truncated"));
            };
            Ok(Transport::Icmp {
                v6: proto == ipproto::ICMPV6,
                icmp_type,
                code,
            })
        }
        other => Ok(Transport::Other(other)),
    }
}
