//! Borrowed, length-checked views of BACnet/IP datagrams: BVLL (Annex J), NPDU (clause 6.2),
//! APDU headers (clause 20.1) and the tagged service parameters (clause 20.2).

use super::types::{bvlc, PduType, BVLC_TYPE_IP};

/// BVLC header: type, function, length (Annex J.2).
pub(crate) const BVLC_LEN: usize = 4;

fn be16(b: &[u8], off: usize) -> Option<u16> {
    let s: [u8; 2] = b.get(off..off.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_be_bytes(s))
}

/// The BACnet Virtual Link Control header and what follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bvlc<'a> {
    pub function: u8,
    /// The whole BVLL message length, header included.
    pub length: u16,
    /// The NPDU, for the functions that carry one.
    pub npdu: Option<&'a [u8]>,
    /// The result code of a BVLC-Result.
    pub result: Option<u16>,
}

impl<'a> Bvlc<'a> {
    /// The length field counts exactly the datagram's bytes, as Annex J.2 requires.
    pub(crate) fn length_matches(&self, datagram: &[u8]) -> bool {
        usize::from(self.length) == datagram.len()
    }

    /// The header alone, without checking the length against the datagram.
    pub(crate) fn header(b: &[u8]) -> Option<(u8, u8, u16)> {
        let (&kind, &function) = (b.first()?, b.get(1)?);
        Some((kind, function, be16(b, 2)?))
    }

    /// The BVLL message in datagram `b` (see [`Bvlc::length_matches`]).
    pub(crate) fn parse(b: &'a [u8]) -> Result<Bvlc<'a>, &'static str> {
        let Some((kind, function, length)) = Bvlc::header(b) else {
            return Err("shorter than the BVLC header");
        };
        if kind != BVLC_TYPE_IP {
            return Err("BVLC type is not 0x81 (BACnet/IPv4)");
        }
        // The length field is not trusted over the datagram (UDP's own length): some stacks
        // get it wrong and receivers decode such datagrams; callers report the mismatch.
        if usize::from(length) < BVLC_LEN {
            return Err("BVLC length is shorter than its header");
        }
        let body = b.get(BVLC_LEN..).unwrap_or_default();
        let (npdu, result) = match function {
            bvlc::RESULT => match be16(body, 0) {
                Some(code) if body.len() == 2 => (None, Some(code)),
                _ => return Err("BVLC-Result is not a 2-octet result code"),
            },
            // Forwarded-NPDU carries the original source's B/IP address (4 + 2 octets).
            bvlc::FORWARDED_NPDU => match body.get(6..) {
                Some(npdu) => (Some(npdu), None),
                None => return Err("Forwarded-NPDU shorter than its B/IP address"),
            },
            bvlc::DISTRIBUTE_BROADCAST | bvlc::ORIGINAL_UNICAST | bvlc::ORIGINAL_BROADCAST => {
                (Some(body), None)
            }
            0x01..=0x08 | bvlc::SECURE_BVLL => (None, None),
            _ => return Err("unknown BVLC function"),
        };
        Ok(Bvlc {
            function,
            length,
            npdu,
            result,
        })
    }
}

/// A network address in the NPDU: network number and MAC-layer address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct NetAddr<'a> {
    pub net: u16,
    pub addr: &'a [u8],
}

/// The network layer header (clause 6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Npdu<'a> {
    pub control: u8,
    pub destination: Option<NetAddr<'a>>,
    pub source: Option<NetAddr<'a>>,
    pub hop_count: Option<u8>,
    /// A network layer message type (control bit 7): no APDU follows.
    pub network_message: Option<u8>,
    /// The APDU, or the network message's data.
    pub rest: &'a [u8],
}

impl<'a> Npdu<'a> {
    pub(crate) fn parse(b: &'a [u8]) -> Result<Npdu<'a>, &'static str> {
        let (Some(&version), Some(&control)) = (b.first(), b.get(1)) else {
            return Err("NPDU shorter than version and control");
        };
        if version != 1 {
            return Err("NPDU protocol version is not 1");
        }
        let mut rest = b.get(2..).unwrap_or_default();
        let address = |rest: &mut &'a [u8]| -> Result<NetAddr<'a>, &'static str> {
            let (Some(net), Some(&len)) = (be16(rest, 0), rest.get(2)) else {
                return Err("NPDU shorter than its network address");
            };
            let Some(addr) = rest.get(3..3 + usize::from(len)) else {
                return Err("NPDU address runs past the message");
            };
            *rest = rest.get(3 + usize::from(len)..).unwrap_or_default();
            Ok(NetAddr { net, addr })
        };
        let destination = if control & 0x20 != 0 {
            Some(address(&mut rest)?)
        } else {
            None
        };
        let source = if control & 0x08 != 0 {
            let source = address(&mut rest)?;
            // SLEN 0 is invalid (clause 6.2.2): the source must be a real station.
            if source.addr.is_empty() {
                return Err("NPDU source address length is 0");
            }
            Some(source)
        } else {
            None
        };
        let hop_count = if destination.is_some() {
            let Some((&hops, tail)) = rest.split_first() else {
                return Err("NPDU has a destination but no hop count");
            };
            rest = tail;
            Some(hops)
        } else {
            None
        };
        let network_message = if control & 0x80 != 0 {
            let Some((&kind, tail)) = rest.split_first() else {
                return Err("network layer message without a message type");
            };
            // Proprietary messages carry a vendor id (clause 6.2.4).
            rest = if kind >= 0x80 {
                match tail.get(2..) {
                    Some(t) => t,
                    None => return Err("proprietary network message without a vendor id"),
                }
            } else {
                tail
            };
            Some(kind)
        } else {
            None
        };
        Ok(Npdu {
            control,
            destination,
            source,
            hop_count,
            network_message,
            rest,
        })
    }
}

/// Segmentation fields of a segmented confirmed request or complex ACK (clause 20.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub sequence: u8,
    pub window: u8,
    pub more_follows: bool,
}

/// An APDU header and its service data (clause 20.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Apdu<'a> {
    ConfirmedRequest {
        segment: Option<Segment>,
        max_segments: u8,
        max_apdu: u8,
        invoke: u8,
        service: u8,
        data: &'a [u8],
    },
    UnconfirmedRequest {
        service: u8,
        data: &'a [u8],
    },
    SimpleAck {
        invoke: u8,
        service: u8,
    },
    ComplexAck {
        segment: Option<Segment>,
        invoke: u8,
        service: u8,
        data: &'a [u8],
    },
    SegmentAck {
        invoke: u8,
        negative: bool,
        from_server: bool,
        sequence: u8,
        window: u8,
    },
    Error {
        invoke: u8,
        service: u8,
        data: &'a [u8],
    },
    Reject {
        invoke: u8,
        reason: u8,
    },
    Abort {
        invoke: u8,
        from_server: bool,
        reason: u8,
    },
}

impl<'a> Apdu<'a> {
    pub(crate) fn parse(b: &'a [u8]) -> Result<Apdu<'a>, &'static str> {
        let Some((&first, rest)) = b.split_first() else {
            return Err("empty APDU");
        };
        let byte = |i: usize| rest.get(i).copied().ok_or("APDU shorter than its header");
        let tail = |i: usize| rest.get(i..).unwrap_or_default();
        let segmented = first & 0x08 != 0;
        let more_follows = first & 0x04 != 0;
        Ok(match PduType::from_nibble(first >> 4) {
            PduType::ConfirmedRequest => {
                let (params, invoke) = (byte(0)?, byte(1)?);
                let (segment, at) = if segmented {
                    let s = Segment {
                        sequence: byte(2)?,
                        window: byte(3)?,
                        more_follows,
                    };
                    (Some(s), 4)
                } else {
                    (None, 2)
                };
                Apdu::ConfirmedRequest {
                    segment,
                    max_segments: (params >> 4) & 0x07,
                    max_apdu: params & 0x0F,
                    invoke,
                    service: byte(at)?,
                    data: tail(at + 1),
                }
            }
            PduType::UnconfirmedRequest => Apdu::UnconfirmedRequest {
                service: byte(0)?,
                data: tail(1),
            },
            PduType::SimpleAck => Apdu::SimpleAck {
                invoke: byte(0)?,
                service: byte(1)?,
            },
            PduType::ComplexAck => {
                let invoke = byte(0)?;
                let (segment, at) = if segmented {
                    let s = Segment {
                        sequence: byte(1)?,
                        window: byte(2)?,
                        more_follows,
                    };
                    (Some(s), 3)
                } else {
                    (None, 1)
                };
                Apdu::ComplexAck {
                    segment,
                    invoke,
                    service: byte(at)?,
                    data: tail(at + 1),
                }
            }
            PduType::SegmentAck => Apdu::SegmentAck {
                invoke: byte(0)?,
                negative: first & 0x02 != 0,
                from_server: first & 0x01 != 0,
                sequence: byte(1)?,
                window: byte(2)?,
            },
            PduType::Error => Apdu::Error {
                invoke: byte(0)?,
                service: byte(1)?,
                data: tail(2),
            },
            PduType::Reject => Apdu::Reject {
                invoke: byte(0)?,
                reason: byte(1)?,
            },
            PduType::Abort => Apdu::Abort {
                invoke: byte(0)?,
                from_server: first & 0x01 != 0,
                reason: byte(1)?,
            },
            PduType::Unknown(_) => return Err("unknown APDU type"),
        })
    }
}

/// What a tag holds (clause 20.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagBody<'a> {
    /// Primitive data (for an application boolean, empty: the value is in `lvt`).
    Value(&'a [u8]),
    Opening,
    Closing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tag<'a> {
    pub number: u8,
    pub context: bool,
    /// The length/value/type field as encoded (the value of an application boolean).
    pub lvt: u8,
    pub body: TagBody<'a>,
}

/// Application tag numbers (clause 20.2.1.4).
pub(crate) mod app {
    pub const BOOLEAN: u8 = 1;
    pub const UNSIGNED: u8 = 2;
    pub const CHARACTER_STRING: u8 = 7;
    pub const ENUMERATED: u8 = 9;
    pub const OBJECT_ID: u8 = 12;
}

/// Walks tagged values, checking every length against the data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tags<'a> {
    rest: &'a [u8],
}

impl<'a> Tags<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Tags { rest: data }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next tag, `Ok(None)` at the end.
    pub(crate) fn next_tag(&mut self) -> Result<Option<Tag<'a>>, &'static str> {
        let Some((&initial, mut rest)) = self.rest.split_first() else {
            return Ok(None);
        };
        let mut number = initial >> 4;
        let context = initial & 0x08 != 0;
        let lvt = initial & 0x07;
        if number == 0x0F {
            let Some((&extended, tail)) = rest.split_first() else {
                return Err("tag number extension missing");
            };
            number = extended;
            rest = tail;
        }
        if context && lvt == 6 {
            self.rest = rest;
            return Ok(Some(Tag {
                number,
                context,
                lvt,
                body: TagBody::Opening,
            }));
        }
        if context && lvt == 7 {
            self.rest = rest;
            return Ok(Some(Tag {
                number,
                context,
                lvt,
                body: TagBody::Closing,
            }));
        }
        if !context && number == app::BOOLEAN {
            self.rest = rest;
            return Ok(Some(Tag {
                number,
                context,
                lvt,
                body: TagBody::Value(&[]),
            }));
        }
        let len = if lvt < 5 {
            usize::from(lvt)
        } else {
            let Some((&ext, tail)) = rest.split_first() else {
                return Err("tag length extension missing");
            };
            rest = tail;
            match ext {
                254 => {
                    let v = be16(rest, 0).ok_or("tag length extension missing")?;
                    rest = rest.get(2..).unwrap_or_default();
                    usize::from(v)
                }
                255 => {
                    let b: [u8; 4] = rest
                        .get(..4)
                        .and_then(|s| s.try_into().ok())
                        .ok_or("tag length extension missing")?;
                    rest = rest.get(4..).unwrap_or_default();
                    usize::try_from(u32::from_be_bytes(b)).map_err(|_| "tag length too large")?
                }
                n => usize::from(n),
            }
        };
        let Some(value) = rest.get(..len) else {
            return Err("tagged value runs past the data");
        };
        self.rest = rest.get(len..).unwrap_or_default();
        Ok(Some(Tag {
            number,
            context,
            lvt,
            body: TagBody::Value(value),
        }))
    }

    /// The next tag, which must be there.
    fn expect(&mut self) -> Result<Tag<'a>, &'static str> {
        self.next_tag()?.ok_or("service data ends early")
    }

    /// The next tag if it is the context tag `number` (primitive), else leaves it.
    fn optional_context(&mut self, number: u8) -> Result<Option<&'a [u8]>, &'static str> {
        let mut peek = *self;
        match peek.next_tag()? {
            Some(Tag {
                number: n,
                context: true,
                body: TagBody::Value(v),
                ..
            }) if n == number => {
                *self = peek;
                Ok(Some(v))
            }
            _ => Ok(None),
        }
    }

    /// A required primitive context tag `number`.
    fn context(&mut self, number: u8, what: &'static str) -> Result<&'a [u8], &'static str> {
        self.optional_context(number)?.ok_or(what)
    }

    /// A required primitive application tag `number`.
    fn application(&mut self, number: u8, what: &'static str) -> Result<&'a [u8], &'static str> {
        match self.expect()? {
            Tag {
                number: n,
                context: false,
                body: TagBody::Value(v),
                ..
            } if n == number => Ok(v),
            _ => Err(what),
        }
    }

    /// Consumes the opening tag `number`, or fails with `what`.
    fn opening(&mut self, number: u8, what: &'static str) -> Result<(), &'static str> {
        match self.expect()? {
            Tag {
                number: n,
                context: true,
                body: TagBody::Opening,
                ..
            } if n == number => Ok(()),
            _ => Err(what),
        }
    }

    /// Skips to just after the closing tag that matches an opening tag already consumed,
    /// returning the first application-tagged value met at the top level.
    fn until_closing(&mut self, number: u8) -> Result<Option<Tag<'a>>, &'static str> {
        let mut depth = 0u32;
        let mut first = None;
        loop {
            let tag = self.expect()?;
            match tag.body {
                TagBody::Opening => depth += 1,
                TagBody::Closing if depth == 0 => {
                    return if tag.number == number {
                        Ok(first)
                    } else {
                        Err("closing tag does not match its opening tag")
                    };
                }
                TagBody::Closing => depth -= 1,
                TagBody::Value(_) => {
                    if depth == 0 && first.is_none() && !tag.context {
                        first = Some(tag);
                    }
                }
            }
        }
    }
}

/// A big-endian unsigned of 1–4 octets (clause 20.2.4).
pub(crate) fn unsigned(v: &[u8]) -> Result<u32, &'static str> {
    if v.is_empty() || v.len() > 4 {
        return Err("unsigned value is not 1 to 4 octets");
    }
    Ok(v.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
}

/// An object identifier (clause 20.2.14): 10-bit type, 22-bit instance.
pub(crate) fn object_id(v: &[u8]) -> Result<(u16, u32), &'static str> {
    let b: [u8; 4] = v
        .try_into()
        .map_err(|_| "object identifier is not 4 octets")?;
    let raw = u32::from_be_bytes(b);
    Ok(((raw >> 22) as u16, raw & 0x3F_FFFF))
}

/// A character string (clause 20.2.9): a character set octet, then the characters.
pub(crate) fn character_string(v: &[u8]) -> Option<String> {
    let (&charset, chars) = v.split_first()?;
    Some(match charset {
        // ISO 10646 UTF-8 (formerly ANSI X3.4).
        0 => String::from_utf8_lossy(chars).into_owned(),
        // UCS-2.
        4 => {
            let units: Vec<u16> = chars
                .chunks_exact(2)
                .map(|c| {
                    u16::from_be_bytes([
                        c.first().copied().unwrap_or(0),
                        c.get(1).copied().unwrap_or(0),
                    ])
                })
                .collect();
            String::from_utf16_lossy(&units)
        }
        // ISO 8859-1.
        5 => chars.iter().map(|&c| char::from(c)).collect(),
        _ => String::from_utf8_lossy(chars).into_owned(),
    })
}

/// Who-Is (clause 16.10): an optional device instance range.
pub(crate) fn who_is(data: &[u8]) -> Result<Option<(u32, u32)>, &'static str> {
    let mut tags = Tags::new(data);
    if tags.is_empty() {
        return Ok(None);
    }
    let low = unsigned(tags.context(0, "who-Is low limit missing")?)?;
    let high = unsigned(tags.context(1, "who-Is high limit missing")?)?;
    if !tags.is_empty() {
        return Err("data after the who-Is range");
    }
    Ok(Some((low, high)))
}

/// I-Am (clause 16.10.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IAm {
    pub object_type: u16,
    pub instance: u32,
    pub max_apdu: u32,
    pub segmentation: u32,
    pub vendor: u32,
}

pub(crate) fn i_am(data: &[u8]) -> Result<IAm, &'static str> {
    let mut tags = Tags::new(data);
    let (object_type, instance) =
        object_id(tags.application(app::OBJECT_ID, "i-Am without a device identifier")?)?;
    let max_apdu = unsigned(tags.application(app::UNSIGNED, "i-Am without max APDU length")?)?;
    let segmentation = unsigned(tags.application(app::ENUMERATED, "i-Am without segmentation")?)?;
    let vendor = unsigned(tags.application(app::UNSIGNED, "i-Am without a vendor id")?)?;
    Ok(IAm {
        object_type,
        instance,
        max_apdu,
        segmentation,
        vendor,
    })
}

/// I-Have (clause 16.9.3): the device that has the object.
pub(crate) fn i_have(data: &[u8]) -> Result<(u16, u32), &'static str> {
    let mut tags = Tags::new(data);
    object_id(tags.application(app::OBJECT_ID, "i-Have without a device identifier")?)
}

/// A property reference of ReadProperty (clause 15.5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PropertyRef {
    pub object_type: u16,
    pub instance: u32,
    pub property: u32,
    pub array_index: Option<u32>,
}

pub(crate) fn read_property_request(data: &[u8]) -> Result<PropertyRef, &'static str> {
    let mut tags = Tags::new(data);
    let (object_type, instance) = object_id(tags.context(0, "object identifier missing")?)?;
    let property = unsigned(tags.context(1, "property identifier missing")?)?;
    let array_index = tags.optional_context(2)?.map(unsigned).transpose()?;
    if !tags.is_empty() {
        return Err("data after the property reference");
    }
    Ok(PropertyRef {
        object_type,
        instance,
        property,
        array_index,
    })
}

/// A property value from a ReadProperty or ReadPropertyMultiple ACK: the first application
/// value (tag number and octets), enough for the single-valued identity properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PropertyValue<'a> {
    pub object_type: u16,
    pub instance: u32,
    pub property: u32,
    pub value: Option<Tag<'a>>,
}

/// ReadProperty-ACK (clause 15.5.1.3).
pub(crate) fn read_property_ack(data: &[u8]) -> Result<PropertyValue<'_>, &'static str> {
    let mut tags = Tags::new(data);
    let (object_type, instance) = object_id(tags.context(0, "object identifier missing")?)?;
    let property = unsigned(tags.context(1, "property identifier missing")?)?;
    let _ = tags.optional_context(2)?;
    tags.opening(3, "property value missing")?;
    let value = tags.until_closing(3)?;
    if !tags.is_empty() {
        return Err("data after the property value");
    }
    Ok(PropertyValue {
        object_type,
        instance,
        property,
        value,
    })
}

/// Property references requested by ReadPropertyMultiple (clause 15.7.1.1): the number of
/// properties asked for.
pub(crate) fn read_property_multiple_request(data: &[u8]) -> Result<usize, &'static str> {
    let mut tags = Tags::new(data);
    let mut properties = 0usize;
    while !tags.is_empty() {
        object_id(tags.context(0, "object identifier missing")?)?;
        tags.opening(1, "property reference list missing")?;
        loop {
            match tags.expect()? {
                Tag {
                    number: 0,
                    context: true,
                    body: TagBody::Value(v),
                    ..
                } => {
                    unsigned(v)?;
                    properties += 1;
                    let _ = tags.optional_context(1)?;
                }
                Tag {
                    number: 1,
                    context: true,
                    body: TagBody::Closing,
                    ..
                } => break,
                _ => return Err("unexpected tag in the property reference list"),
            }
        }
    }
    if properties == 0 {
        return Err("no property references");
    }
    Ok(properties)
}

/// Values kept from one ReadPropertyMultiple ACK: identity needs a handful of properties.
const MAX_RPM_VALUES: usize = 256;

/// ReadPropertyMultiple-ACK (clause 15.7.1.3): every property's first value.
pub(crate) fn read_property_multiple_ack(
    data: &[u8],
) -> Result<Vec<PropertyValue<'_>>, &'static str> {
    let mut tags = Tags::new(data);
    let mut values = Vec::new();
    while !tags.is_empty() {
        let (object_type, instance) = object_id(tags.context(0, "object identifier missing")?)?;
        tags.opening(1, "list of results missing")?;
        loop {
            let tag = tags.expect()?;
            match tag {
                Tag {
                    number: 2,
                    context: true,
                    body: TagBody::Value(v),
                    ..
                } => {
                    let property = unsigned(v)?;
                    let _ = tags.optional_context(3)?;
                    match tags.expect()? {
                        Tag {
                            number: 4,
                            context: true,
                            body: TagBody::Opening,
                            ..
                        } => {
                            let value = tags.until_closing(4)?;
                            if values.len() < MAX_RPM_VALUES {
                                values.push(PropertyValue {
                                    object_type,
                                    instance,
                                    property,
                                    value,
                                });
                            }
                        }
                        Tag {
                            number: 5,
                            context: true,
                            body: TagBody::Opening,
                            ..
                        } => {
                            tags.until_closing(5)?;
                        }
                        _ => return Err("property result is neither a value nor an error"),
                    }
                }
                Tag {
                    number: 1,
                    context: true,
                    body: TagBody::Closing,
                    ..
                } => break,
                _ => return Err("unexpected tag in the list of results"),
            }
        }
    }
    Ok(values)
}

/// ReinitializeDevice (clause 16.4.1): the requested state and whether a password was sent
/// (the password itself is never kept).
pub(crate) fn reinitialize_device(data: &[u8]) -> Result<(u32, bool), &'static str> {
    let mut tags = Tags::new(data);
    let state = unsigned(tags.context(0, "reinitialized state missing")?)?;
    let password = tags.optional_context(1)?.is_some();
    if !tags.is_empty() {
        return Err("data after the password");
    }
    Ok((state, password))
}

/// DeviceCommunicationControl (clause 16.1.1): enable-disable and whether a password was sent.
pub(crate) fn device_communication_control(data: &[u8]) -> Result<(u32, bool), &'static str> {
    let mut tags = Tags::new(data);
    if let Some(duration) = tags.optional_context(0)? {
        unsigned(duration)?;
    }
    let value = unsigned(tags.context(1, "enable-disable missing")?)?;
    let password = tags.optional_context(2)?.is_some();
    if !tags.is_empty() {
        return Err("data after the password");
    }
    Ok((value, password))
}
