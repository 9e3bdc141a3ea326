//! Borrowed, length-checked views of EtherNet/IP encapsulation messages, Common Packet Format
//! items and CIP messages. All multi-byte fields are little-endian (Vol. 2 §2-3.1), except the
//! socket address inside a ListIdentity item, which is big-endian (Vol. 2 §2-6.3.2).

use super::types::{is_known_command, Command, Item};

/// Encapsulation header length (Vol. 2 §2-3.1).
pub(crate) const HEADER_LEN: usize = 24;
/// The largest encapsulated data the length field can announce.
pub(crate) const MAX_LENGTH: usize = 65_511;
/// Common Packet Format items accepted in one message. Real messages carry 1–4.
const MAX_ITEMS: u16 = 16;

fn le16(b: &[u8], off: usize) -> Option<u16> {
    let s: [u8; 2] = b.get(off..off.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_le_bytes(s))
}

fn le32(b: &[u8], off: usize) -> Option<u32> {
    let s: [u8; 4] = b.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(s))
}

/// The 24-byte encapsulation header (Vol. 2 §2-3.1, table 2-3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub command: u16,
    pub length: u16,
    pub session: u32,
    pub status: u32,
    pub context: u64,
    pub options: u32,
}

impl Header {
    pub(crate) fn parse(b: &[u8]) -> Option<Header> {
        let context: [u8; 8] = b.get(12..20)?.try_into().ok()?;
        Some(Header {
            command: le16(b, 0)?,
            length: le16(b, 2)?,
            session: le32(b, 4)?,
            status: le32(b, 8)?,
            context: u64::from_le_bytes(context),
            options: le32(b, 20)?,
        })
    }

    /// Options must be zero (receivers discard others, Vol. 2 §2-3.1) and commands above 0xFF
    /// are reserved: anything else is not an encapsulation header.
    pub(crate) fn is_plausible(&self) -> bool {
        self.options == 0 && self.command <= 0x00FF && usize::from(self.length) <= MAX_LENGTH
    }

    /// Convincing enough to resynchronise on or to recognise a flow by: a defined command and
    /// a defined status (Vol. 2 table 2-3.3).
    pub(crate) fn is_convincing(&self) -> bool {
        self.is_plausible()
            && is_known_command(self.command)
            && matches!(self.status, 0x00 | 0x01 | 0x02 | 0x03 | 0x64 | 0x65 | 0x69)
    }

    /// Bytes of the whole message, header included.
    pub(crate) fn frame_len(&self) -> usize {
        HEADER_LEN + usize::from(self.length)
    }
}

/// One Common Packet Format item (Vol. 2 §2-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CpfItem<'a> {
    pub kind: u16,
    pub data: &'a [u8],
}

/// The items of a Common Packet Format, which must fill `b` exactly.
pub(crate) fn parse_cpf(b: &[u8]) -> Result<Vec<CpfItem<'_>>, &'static str> {
    let Some(count) = le16(b, 0) else {
        return Err("shorter than the item count");
    };
    if count > MAX_ITEMS {
        return Err("implausible item count");
    }
    let mut items = Vec::with_capacity(usize::from(count));
    let mut rest = b.get(2..).unwrap_or_default();
    for _ in 0..count {
        let (Some(kind), Some(len)) = (le16(rest, 0), le16(rest, 2)) else {
            return Err("item list shorter than its count");
        };
        let end = 4 + usize::from(len);
        let Some(data) = rest.get(4..end) else {
            return Err("item runs past the message");
        };
        items.push(CpfItem { kind, data });
        rest = rest.get(end..).unwrap_or_default();
    }
    if !rest.is_empty() {
        return Err("bytes after the last item");
    }
    Ok(items)
}

/// The CPF of SendRRData and SendUnitData follows the interface handle (4) and timeout (2)
/// (Vol. 2 §2-4.7, §2-4.8).
pub(crate) fn transport_cpf(body: &[u8]) -> Result<Vec<CpfItem<'_>>, &'static str> {
    match body.get(6..) {
        Some(cpf) => parse_cpf(cpf),
        None => Err("shorter than interface handle and timeout"),
    }
}

/// Whether a complete message's data is consistent with its command (used by the probe).
pub(crate) fn body_is_consistent(header: &Header, body: &[u8]) -> Option<bool> {
    match header.command {
        Command::SEND_RR_DATA | Command::SEND_UNIT_DATA => Some(transport_cpf(body).is_ok()),
        Command::LIST_IDENTITY | Command::LIST_SERVICES | Command::LIST_INTERFACES
            if !body.is_empty() =>
        {
            Some(parse_cpf(body).is_ok())
        }
        // Protocol version 1, options 0 (Vol. 2 §2-4.4).
        Command::REGISTER_SESSION => Some(body == [1, 0, 0, 0]),
        // Header-only messages: nothing inside to confirm them.
        _ => None,
    }
}

/// The class 0/1 (implicit I/O) datagram on UDP 2222: a CPF with a sequenced address item
/// (connection id, sequence number) and a connected data item (Vol. 2 §3-2.2). Returns the
/// connection id and sequence number.
pub(crate) fn implicit_io(b: &[u8]) -> Option<(u32, u32)> {
    let items = parse_cpf(b).ok()?;
    let (first, rest) = items.split_first()?;
    if first.kind != Item::SEQUENCED_ADDRESS || first.data.len() != 8 {
        return None;
    }
    if !rest.iter().any(|i| i.kind == Item::CONNECTED_DATA) {
        return None;
    }
    let allowed = [Item::CONNECTED_DATA, Item::SOCKADDR_O_T, Item::SOCKADDR_T_O];
    if !rest.iter().all(|i| allowed.contains(&i.kind)) {
        return None;
    }
    Some((le32(first.data, 0)?, le32(first.data, 4)?))
}

/// Where a CIP message sits in a SendRRData/SendUnitData CPF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Carried<'a> {
    /// The CIP message (for connected data, after the sequence count).
    pub message: &'a [u8],
    /// The connected data item's sequence count (class 3 messaging).
    pub sequence: Option<u16>,
}

/// The CIP message in a transport CPF: the unconnected data item (0xB2) or the connected data
/// item (0xB1, whose first two bytes are the sequence count).
pub(crate) fn carried_message<'a>(items: &[CpfItem<'a>]) -> Option<Carried<'a>> {
    items.iter().find_map(|item| match item.kind {
        Item::UNCONNECTED_DATA => Some(Carried {
            message: item.data,
            sequence: None,
        }),
        Item::CONNECTED_DATA => Some(Carried {
            message: item.data.get(2..)?,
            sequence: le16(item.data, 0),
        }),
        _ => None,
    })
}

/// A CIP Message Router request (Vol. 1 §2-4.1): service, request path, data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Request<'a> {
    pub service: u8,
    pub path: &'a [u8],
    pub data: &'a [u8],
}

impl<'a> Request<'a> {
    pub(crate) fn parse(b: &'a [u8]) -> Result<Request<'a>, &'static str> {
        let (Some(&service), Some(&words)) = (b.first(), b.get(1)) else {
            return Err("shorter than service and path size");
        };
        let end = 2 + 2 * usize::from(words);
        let Some(path) = b.get(2..end) else {
            return Err("request path runs past the message");
        };
        Ok(Request {
            service,
            path,
            data: b.get(end..).unwrap_or_default(),
        })
    }
}

/// A CIP Message Router response (Vol. 1 §2-4.2): reply service, general and extended status,
/// data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reply<'a> {
    pub service: u8,
    pub status: u8,
    pub data: &'a [u8],
}

impl<'a> Reply<'a> {
    pub(crate) fn parse(b: &'a [u8]) -> Result<Reply<'a>, &'static str> {
        let (Some(&service), Some(&status), Some(&words)) = (b.first(), b.get(2), b.get(3)) else {
            return Err("shorter than the reply header");
        };
        let end = 4 + 2 * usize::from(words);
        if b.len() < end {
            return Err("extended status runs past the message");
        }
        Ok(Reply {
            service,
            status,
            data: b.get(end..).unwrap_or_default(),
        })
    }
}

/// What a request path addresses (Vol. 1 Appendix C, EPATH): the class decides what an
/// object-specific service means; instances and attributes are checked but not kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PathInfo {
    /// The first logical class segment.
    pub class: Option<u32>,
    /// A symbolic (tag name) segment is present.
    pub symbolic: bool,
}

/// Decodes a padded EPATH (Vol. 1 Appendix C-1): port, logical (8/16/32-bit, electronic key),
/// network, symbolic and data (simple, ANSI extended symbol) segments.
pub(crate) fn parse_path(path: &[u8]) -> Result<PathInfo, &'static str> {
    let mut info = PathInfo::default();
    let mut rest = path;
    while let Some((&segment, tail)) = rest.split_first() {
        let used = match segment >> 5 {
            // Port segment (C-1.3): port id in the low nibble (0xF = 16-bit id follows), bit 4
            // an extended link address with its own size byte; padded to an even length.
            0 => {
                let extended_link = segment & 0x10 != 0;
                let (link_len, mut len) = if extended_link {
                    (
                        usize::from(*tail.first().ok_or("truncated port segment")?),
                        2,
                    )
                } else {
                    (1, 1)
                };
                if segment & 0x0F == 0x0F {
                    len += 2;
                }
                len += link_len;
                len + len % 2
            }
            // Logical segment (C-1.4): type in bits 2-4, format in bits 0-1.
            1 => {
                let kind = (segment >> 2) & 0x07;
                let (value, len) = match (kind, segment & 0x03) {
                    // Electronic key: key format (4) and 8 bytes of key data.
                    (5, 0) => (Some(0), 10),
                    (_, 0) => (tail.first().map(|&v| u32::from(v)), 2),
                    (_, 1) => (le16(tail, 1).map(u32::from), 4),
                    (_, 2) => (le32(tail, 1), 6),
                    _ => return Err("reserved logical segment format"),
                };
                let value = value.ok_or("truncated logical segment")?;
                if kind == 0 && info.class.is_none() {
                    info.class = Some(value);
                }
                len
            }
            // Network segment (C-1.5): 0x50-0x5F carry a word count, the others one byte.
            2 => {
                if segment & 0x10 != 0 {
                    2 + 2 * usize::from(*tail.first().ok_or("truncated network segment")?)
                } else {
                    2
                }
            }
            // Symbolic segment (C-1.6): the low five bits are the symbol's length.
            3 => {
                let len = usize::from(segment & 0x1F);
                if len == 0 {
                    return Err("extended symbolic segment not supported");
                }
                info.symbolic = true;
                let total = 1 + len;
                total + total % 2
            }
            // Data segment (C-1.7): simple data (word count) or ANSI extended symbol.
            4 => match segment {
                0x80 => 2 + 2 * usize::from(*tail.first().ok_or("truncated data segment")?),
                0x91 => {
                    info.symbolic = true;
                    let total = 2 + usize::from(*tail.first().ok_or("truncated symbol segment")?);
                    total + total % 2
                }
                _ => return Err("unknown data segment"),
            },
            _ => return Err("unsupported segment type"),
        };
        rest = rest.get(used..).ok_or("segment runs past the path")?;
    }
    Ok(info)
}

/// The embedded requests of a Multiple Service Packet request or replies of its response
/// (Vol. 1 Appendix ): a count, offsets from the count field, then the messages.
pub(crate) fn multiple_service_parts(data: &[u8]) -> Result<Vec<&[u8]>, &'static str> {
    let Some(count) = le16(data, 0) else {
        return Err("shorter than the service count");
    };
    let count = usize::from(count);
    let mut offsets = Vec::with_capacity(count.min(256));
    for i in 0..count {
        let offset = le16(data, 2 + 2 * i).ok_or("offset list runs past the message")?;
        offsets.push(usize::from(offset));
    }
    let mut parts = Vec::with_capacity(offsets.len());
    for (i, &start) in offsets.iter().enumerate() {
        let end = offsets.get(i + 1).copied().unwrap_or(data.len());
        let part = data
            .get(start..end)
            .ok_or("service offset out of order or out of range")?;
        parts.push(part);
    }
    Ok(parts)
}

/// The request embedded in an Unconnected Send (Vol. 1 §3-5.5.2): priority/tick time,
/// timeout ticks, message size, message, pad, route path.
pub(crate) fn unconnected_send_inner(data: &[u8]) -> Result<&[u8], &'static str> {
    let size = le16(data, 2).ok_or("shorter than the message request size")?;
    data.get(4..4 + usize::from(size))
        .ok_or("embedded message runs past the request")
}

/// The Identity object's instance attributes 1–7 as Get_Attributes_All and ListIdentity carry
/// them (Vol. 1 §5-2.2; Vol. 2 §2-4.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Identity<'a> {
    pub vendor: u16,
    pub device_type: u16,
    pub product_code: u16,
    pub revision: (u8, u8),
    pub serial: u32,
    pub product_name: &'a [u8],
}

impl<'a> Identity<'a> {
    pub(crate) fn parse(b: &'a [u8]) -> Result<Identity<'a>, &'static str> {
        let (Some(vendor), Some(device_type), Some(product_code)) =
            (le16(b, 0), le16(b, 2), le16(b, 4))
        else {
            return Err("shorter than vendor, device type and product code");
        };
        // Attribute 5 (status, two bytes at offset 8) describes faults, not identity.
        let (Some(&major), Some(&minor), Some(serial), Some(&name_len)) =
            (b.get(6), b.get(7), le32(b, 10), b.get(14))
        else {
            return Err("shorter than revision, status and serial number");
        };
        let product_name = b
            .get(15..15 + usize::from(name_len))
            .ok_or("product name runs past the item")?;
        Ok(Identity {
            vendor,
            device_type,
            product_code,
            revision: (major, minor),
            serial,
            product_name,
        })
    }

    /// A ListIdentity item: encapsulation version (2), socket address (16), the identity,
    /// state (1).
    pub(crate) fn from_list_identity(item: &'a [u8]) -> Result<Identity<'a>, &'static str> {
        Identity::parse(
            item.get(18..)
                .ok_or("shorter than version and socket address")?,
        )
    }
}
