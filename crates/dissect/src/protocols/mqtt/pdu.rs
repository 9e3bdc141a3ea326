//! Borrowed, length-checked views of MQTT control packets (MQTT 3.1.1 §2–3, MQTT 5.0 §2–3).

use super::types::PacketType;

/// The remaining length is a variable byte integer of at most four octets (3.1.1 §2.2.3,
/// 5.0 §1.5.5).
pub(crate) const MAX_VARINT_LEN: usize = 4;

/// A variable byte integer at the start of `b`: `None` when more bytes are needed, `Err` when
/// a fifth octet would be needed.
pub(crate) fn varint(b: &[u8]) -> Option<Result<(u32, usize), ()>> {
    let mut value = 0u32;
    for (i, &byte) in b.iter().take(MAX_VARINT_LEN).enumerate() {
        value |= u32::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return Some(Ok((value, i + 1)));
        }
    }
    if b.len() >= MAX_VARINT_LEN {
        Some(Err(()))
    } else {
        None
    }
}

/// The fixed header (3.1.1 §2.2, 5.0 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FixedHeader {
    pub packet_type: PacketType,
    pub flags: u8,
    pub remaining: u32,
    /// Octets of the fixed header itself (2 to 5).
    pub len: usize,
}

impl FixedHeader {
    /// `None` when more bytes are needed; `Err` when the first octet or the length is invalid.
    pub(crate) fn parse(b: &[u8]) -> Option<Result<FixedHeader, &'static str>> {
        let (&first, rest) = b.split_first()?;
        let packet_type = PacketType(first >> 4);
        let flags = first & 0x0F;
        if let Err(reason) = check_first_octet(packet_type, flags) {
            return Some(Err(reason));
        }
        match varint(rest)? {
            Ok((remaining, n)) => Some(Ok(FixedHeader {
                packet_type,
                flags,
                remaining,
                len: 1 + n,
            })),
            Err(()) => Some(Err("remaining length longer than four octets")),
        }
    }

    /// Octets of the whole packet.
    pub(crate) fn total(&self) -> u64 {
        self.len as u64 + u64::from(self.remaining)
    }
}

fn check_first_octet(packet_type: PacketType, flags: u8) -> Result<(), &'static str> {
    if packet_type.0 == 0 {
        return Err("reserved packet type 0");
    }
    if packet_type.0 == PacketType::PUBLISH {
        return if (flags >> 1) & 3 == 3 {
            Err("PUBLISH with QoS 3")
        } else {
            Ok(())
        };
    }
    match packet_type.required_flags() {
        Some(required) if required != flags => Err("fixed header flags not as the type requires"),
        _ => Ok(()),
    }
}

/// Sequential reads over a packet's variable header and payload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Reader { rest: b }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(b)
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        let v: [u8; 2] = self.rest.get(..2)?.try_into().ok()?;
        self.rest = self.rest.get(2..)?;
        Some(u16::from_be_bytes(v))
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let v = self.rest.get(..n)?;
        self.rest = self.rest.get(n..)?;
        Some(v)
    }

    /// A UTF-8 string or binary data: two-octet length and the octets (3.1.1 §1.5.3).
    pub(crate) fn string(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.bytes(usize::from(n))
    }

    /// MQTT 5.0 properties (§2.2.2): a variable byte integer length and the properties,
    /// skipped (none of them is needed here).
    pub(crate) fn properties(&mut self) -> Option<()> {
        let (n, used) = varint(self.rest)?.ok()?;
        self.bytes(used)?;
        self.bytes(usize::try_from(n).ok()?)?;
        Some(())
    }
}

/// CONNECT (3.1.1 §3.1, 5.0 §3.1). Only presence of credentials is kept, never their values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Connect<'a> {
    pub level: u8,
    pub client_id: &'a [u8],
    pub username: bool,
    pub password: bool,
}

impl<'a> Connect<'a> {
    pub(crate) fn parse(body: &'a [u8]) -> Result<Connect<'a>, &'static str> {
        let mut r = Reader::new(body);
        let protocol_name = r.string().ok_or("shorter than the protocol name")?;
        let level = r.u8().ok_or("no protocol level")?;
        let name_ok = matches!((protocol_name, level), (b"MQTT", 4 | 5) | (b"MQIsdp", 3));
        if !name_ok {
            return Err("protocol name and level are not MQTT 3.1, 3.1.1 or 5.0");
        }
        let flags = r.u8().ok_or("no connect flags")?;
        if flags & 1 != 0 {
            return Err("reserved connect flag set");
        }
        r.u16().ok_or("no keep alive")?;
        if level == 5 {
            r.properties().ok_or("properties run past the packet")?;
        }
        let client_id = r.string().ok_or("client identifier runs past the packet")?;
        Ok(Connect {
            level,
            client_id,
            username: flags & 0x80 != 0,
            password: flags & 0x40 != 0,
        })
    }
}

/// PUBLISH variable header (3.1.1 §3.3.2, 5.0 §3.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Publish<'a> {
    pub topic: &'a [u8],
    pub qos: u8,
    pub packet_id: Option<u16>,
}

impl<'a> Publish<'a> {
    pub(crate) fn parse(flags: u8, body: &'a [u8]) -> Result<Publish<'a>, &'static str> {
        let mut r = Reader::new(body);
        let topic = r.string().ok_or("topic name runs past the packet")?;
        let qos = (flags >> 1) & 3;
        let packet_id = if qos > 0 {
            Some(r.u16().ok_or("no packet identifier")?)
        } else {
            None
        };
        if topic.iter().any(|&c| c == b'+' || c == b'#' || c == 0) {
            return Err("topic name with a wildcard or NUL character");
        }
        Ok(Publish {
            topic,
            qos,
            packet_id,
        })
    }
}

/// Topic filters kept from one SUBSCRIBE or UNSUBSCRIBE.
pub(crate) const MAX_FILTERS: usize = 16;

/// SUBSCRIBE or UNSUBSCRIBE (3.1.1 §3.8, §3.10; 5.0 §3.8, §3.10): packet identifier and the
/// first [`MAX_FILTERS`] topic filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subscribe<'a> {
    pub packet_id: u16,
    pub filters: Vec<&'a [u8]>,
}

impl<'a> Subscribe<'a> {
    /// `options`: SUBSCRIBE follows each filter with an options octet; `v5`: properties follow
    /// the packet identifier.
    pub(crate) fn parse(
        body: &'a [u8],
        options: bool,
        v5: bool,
    ) -> Result<Subscribe<'a>, &'static str> {
        let mut r = Reader::new(body);
        let packet_id = r.u16().ok_or("no packet identifier")?;
        if v5 {
            r.properties().ok_or("properties run past the packet")?;
        }
        let mut filters = Vec::new();
        while !r.is_empty() {
            let filter = r.string().ok_or("topic filter runs past the packet")?;
            if options {
                let o = r.u8().ok_or("no subscription options")?;
                let reserved = if v5 { 0xC0 } else { 0xFC };
                if o & reserved != 0 || o & 3 == 3 {
                    return Err("invalid subscription options");
                }
            }
            if filters.len() < MAX_FILTERS {
                filters.push(filter);
            }
        }
        if filters.is_empty() {
            return Err("no topic filter");
        }
        Ok(Subscribe { packet_id, filters })
    }
}

/// The first octets of an acknowledgement: packet identifier and, in MQTT 5.0, the reason code
/// (absent means success, §3.4.2.1). For SUBACK and UNSUBACK, `reasons` are the per-filter
/// codes after the properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ack<'a> {
    pub packet_id: u16,
    pub reason: u8,
    pub reasons: &'a [u8],
}

impl<'a> Ack<'a> {
    /// PUBACK, PUBREC, PUBREL, PUBCOMP.
    pub(crate) fn parse(body: &'a [u8]) -> Result<Ack<'a>, &'static str> {
        let mut r = Reader::new(body);
        let packet_id = r.u16().ok_or("no packet identifier")?;
        let reason = r.u8().unwrap_or(0);
        Ok(Ack {
            packet_id,
            reason,
            reasons: &[],
        })
    }

    /// SUBACK and (MQTT 5.0) UNSUBACK: identifier, properties in 5.0, one code per filter.
    pub(crate) fn parse_list(body: &'a [u8], v5: bool) -> Result<Ack<'a>, &'static str> {
        let mut r = Reader::new(body);
        let packet_id = r.u16().ok_or("no packet identifier")?;
        if v5 {
            r.properties().ok_or("properties run past the packet")?;
        }
        let reasons = r.rest;
        Ok(Ack {
            packet_id,
            reason: reasons.iter().copied().max().unwrap_or(0),
            reasons,
        })
    }
}
