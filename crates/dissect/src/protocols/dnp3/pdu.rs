//! Borrowed, length-checked views of DNP3 link frames, transport segments and application
//! fragments (IEEE 1815-2012 §9 data link, §8 transport function, §4 application layer).

use super::types::{object_size, FunctionCode, ObjectSize};

/// The two start octets of every link frame (§9.2.4.1.1).
pub(crate) const START: [u8; 2] = [0x05, 0x64];
/// Start (2), length (1), control (1), destination (2), source (2), header CRC (2).
pub(crate) const HEADER_LEN: usize = 10;
/// User data octets between two CRCs (§9.2.4.1.5).
pub(crate) const BLOCK_LEN: usize = 16;
/// The length field counts control, destination and source (5) plus the user data.
pub(crate) const MIN_LENGTH: u8 = 5;

/// CRC-16/DNP (§9.2.4.1.5, Annex E): polynomial 0x3D65 processed reflected (0xA6BC), initial
/// value 0, result complemented, sent least significant octet first.
pub(crate) fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in data {
        crc ^= u16::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA6BC
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn le16(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(off)?, *b.get(off + 1)?]))
}

fn le32(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(off)?,
        *b.get(off + 1)?,
        *b.get(off + 2)?,
        *b.get(off + 3)?,
    ]))
}

/// A link frame header whose CRC was checked (§9.2.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LinkHeader {
    pub length: u8,
    pub control: u8,
    pub destination: u16,
    pub source: u16,
}

impl LinkHeader {
    /// Parses the 10 header octets; `Err` names what is wrong with them.
    pub(crate) fn parse(b: &[u8]) -> Result<LinkHeader, &'static str> {
        let h: &[u8; HEADER_LEN] = b
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or("shorter than a link header")?;
        let [s0, s1, length, control, d0, d1, r0, r1, c0, c1] = *h;
        if [s0, s1] != START {
            return Err("no link frame start octets");
        }
        if crc16(h.get(..8).unwrap_or_default()) != u16::from_le_bytes([c0, c1]) {
            return Err("link header CRC mismatch");
        }
        if length < MIN_LENGTH {
            return Err("link length below 5");
        }
        Ok(LinkHeader {
            length,
            control,
            destination: u16::from_le_bytes([d0, d1]),
            source: u16::from_le_bytes([r0, r1]),
        })
    }

    /// User data octets, CRCs not counted.
    pub(crate) fn user_len(&self) -> usize {
        usize::from(self.length - MIN_LENGTH.min(self.length))
    }

    /// Octets of the whole frame: header, user data and one CRC per started 16-octet block.
    pub(crate) fn frame_len(&self) -> usize {
        let user = self.user_len();
        HEADER_LEN + user + 2 * user.div_ceil(BLOCK_LEN)
    }

    /// PRM: the frame comes from the primary (initiating) station (§9.2.4.1.3.2).
    pub(crate) fn primary(&self) -> bool {
        self.control & 0x40 != 0
    }

    pub(crate) fn function(&self) -> u8 {
        self.control & 0x0F
    }
}

/// Copies the user data of a frame's blocks (everything after the header) into `out`, checking
/// each block's CRC; `Err` is the offset, from the frame's start, of the first bad block.
pub(crate) fn deblock(blocks: &[u8], out: &mut Vec<u8>) -> Result<(), usize> {
    out.clear();
    let mut offset = HEADER_LEN;
    for chunk in blocks.chunks(BLOCK_LEN + 2) {
        let data_len = chunk.len().saturating_sub(2);
        let (data, crc) = chunk.split_at(data_len);
        if data.is_empty() || le16(crc, 0) != Some(crc16(data)) {
            return Err(offset);
        }
        out.extend_from_slice(data);
        offset += chunk.len();
    }
    Ok(())
}

/// The transport header octet (§8.2.1): final, first, 6-bit sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TransportHeader {
    pub fin: bool,
    pub fir: bool,
    pub seq: u8,
}

impl TransportHeader {
    pub(crate) fn parse(byte: u8) -> TransportHeader {
        TransportHeader {
            fin: byte & 0x80 != 0,
            fir: byte & 0x40 != 0,
            seq: byte & 0x3F,
        }
    }
}

/// The application control octet (§4.2.2.4): first, final, confirm, unsolicited, sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AppControl {
    pub fir: bool,
    pub fin: bool,
    pub con: bool,
    pub uns: bool,
    pub seq: u8,
}

impl AppControl {
    pub(crate) fn parse(byte: u8) -> AppControl {
        AppControl {
            fir: byte & 0x80 != 0,
            fin: byte & 0x40 != 0,
            con: byte & 0x20 != 0,
            uns: byte & 0x10 != 0,
            seq: byte & 0x0F,
        }
    }
}

/// An application fragment's header (§4.2.2): requests have control and function, responses
/// also the internal indications (first octet in the low byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AppHeader {
    pub control: AppControl,
    pub function: u8,
    pub iin: Option<u16>,
}

impl AppHeader {
    /// The header and the object octets after it.
    pub(crate) fn parse(fragment: &[u8]) -> Result<(AppHeader, &[u8]), &'static str> {
        let (Some(&control), Some(&function)) = (fragment.first(), fragment.get(1)) else {
            return Err("application fragment shorter than its header");
        };
        let control = AppControl::parse(control);
        if FunctionCode::is_response(function) {
            let Some(iin) = le16(fragment, 2) else {
                return Err("response shorter than its internal indications");
            };
            let rest = fragment.get(4..).unwrap_or_default();
            return Ok((
                AppHeader {
                    control,
                    function,
                    iin: Some(iin),
                },
                rest,
            ));
        }
        Ok((
            AppHeader {
                control,
                function,
                iin: None,
            },
            fragment.get(2..).unwrap_or_default(),
        ))
    }
}

/// One object header (§4.2.2.6 / §4.2.2.7: group, variation, qualifier, range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ObjectHeader {
    pub group: u8,
    pub variation: u8,
    pub qualifier: u8,
    /// Objects the range names (0 for "all objects", qualifier range code 6).
    pub count: u64,
    /// Lowest and highest point index addressed, where the header or the prefixes say.
    pub indices: Option<(u32, u32)>,
}

/// Object headers kept per fragment; more are walked for length checks but not kept.
pub(crate) const MAX_HEADERS: usize = 32;
/// Device attributes kept per fragment.
const MAX_ATTRIBUTES: usize = 16;

/// What the object walk found in a fragment.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Objects<'a> {
    pub headers: Vec<ObjectHeader>,
    /// Group 0 device attributes: (variation, data type, value).
    pub attributes: Vec<(u8, u8, &'a [u8])>,
    /// Malformed: offset in the object octets and what is wrong. The walk stops there.
    pub error: Option<(usize, &'static str)>,
}

/// Walks the object headers of a fragment's object octets (§4.2.2.7, §A). The walk stops
/// quietly at an object whose size this crate does not know; length violations it can see are
/// reported in `error`.
pub(crate) fn walk_objects(function: u8, data: &[u8]) -> Objects<'_> {
    let mut objects = Objects::default();
    let mut pos = 0usize;
    while pos < data.len() {
        match walk_one(function, data, pos, &mut objects) {
            Ok(Some(next)) => pos = next,
            Ok(None) => break,
            Err(reason) => {
                objects.error = Some((pos, reason));
                break;
            }
        }
    }
    objects
}

/// Walks one header and its objects from `pos`; `Ok(None)` stops the walk (unknown size).
fn walk_one<'a>(
    function: u8,
    data: &'a [u8],
    pos: usize,
    objects: &mut Objects<'a>,
) -> Result<Option<usize>, &'static str> {
    let (Some(&group), Some(&variation), Some(&qualifier)) =
        (data.get(pos), data.get(pos + 1), data.get(pos + 2))
    else {
        return Err("object header truncated");
    };
    if qualifier & 0x80 != 0 {
        return Err("reserved qualifier bit set");
    }
    let prefix_code = (qualifier >> 4) & 0x07;
    let range_code = qualifier & 0x0F;
    let mut at = pos + 3;
    let truncated = "object range truncated";
    // Start/stop ranges (codes 0–5: 1, 2 or 4 octets, addresses or virtual addresses), no
    // range (6), counts (7–9 and 0xB for free-format objects) (§4.2.2.7.3.2).
    let (count, mut indices) = match range_code {
        0..=5 => {
            let width = match range_code {
                0 | 3 => 1,
                1 | 4 => 2,
                _ => 4,
            };
            let (start, stop) = match width {
                1 => (
                    data.get(at).map(|&b| u32::from(b)),
                    data.get(at + 1).map(|&b| u32::from(b)),
                ),
                2 => (
                    le16(data, at).map(u32::from),
                    le16(data, at + 2).map(u32::from),
                ),
                _ => (le32(data, at), le32(data, at + 4)),
            };
            let (Some(start), Some(stop)) = (start, stop) else {
                return Err(truncated);
            };
            if stop < start {
                return Err("range stop below start");
            }
            at += 2 * width;
            (u64::from(stop - start) + 1, Some((start, stop)))
        }
        6 => (0, None),
        7 | 0xB => {
            let count = data.get(at).map(|&b| u64::from(b)).ok_or(truncated)?;
            at += 1;
            (count, None)
        }
        8 => {
            let count = le16(data, at).map(u64::from).ok_or(truncated)?;
            at += 2;
            (count, None)
        }
        9 => {
            let count = le32(data, at).map(u64::from).ok_or(truncated)?;
            at += 4;
            (count, None)
        }
        _ => return Err("reserved range specifier"),
    };
    let prefix_len: usize = match prefix_code {
        0 => 0,
        1 | 4 => 1,
        2 | 5 => 2,
        3 | 6 => 4,
        _ => return Err("reserved object prefix code"),
    };
    let read_prefix = |at: usize| -> Option<u32> {
        match prefix_len {
            1 => data.get(at).map(|&b| u32::from(b)),
            2 => le16(data, at).map(u32::from),
            4 => le32(data, at),
            _ => Some(0),
        }
    };
    let push = |objects: &mut Objects<'a>, indices: Option<(u32, u32)>| {
        if objects.headers.len() < MAX_HEADERS {
            objects.headers.push(ObjectHeader {
                group,
                variation,
                qualifier,
                count,
                indices,
            });
        }
    };
    let index_prefixed = matches!(prefix_code, 1..=3);
    let carries_data = FunctionCode::objects_carry_data(function);
    let remaining = data.len().saturating_sub(at) as u64;
    if count == 0 {
        push(objects, indices);
        return Ok(Some(at));
    }
    if prefix_code >= 4 {
        // Free-format objects: each one's size precedes it.
        for _ in 0..count {
            let size = read_prefix(at).ok_or("object size prefix truncated")?;
            at += prefix_len;
            let end = at
                .checked_add(size as usize)
                .filter(|&end| end <= data.len())
                .ok_or("object runs past the fragment")?;
            if group == 0 && objects.attributes.len() < MAX_ATTRIBUTES {
                if let (Some(&kind), Some(value)) = (data.get(at), data.get(at + 2..end)) {
                    objects.attributes.push((variation, kind, value));
                }
            }
            at = end;
        }
        push(objects, indices);
        return Ok(Some(at));
    }
    if !carries_data {
        // Headers only; index prefixes name the points asked for (§4.2.2.7.2).
        let total = count
            .checked_mul(prefix_len as u64)
            .ok_or("count overflow")?;
        if total > remaining {
            return Err("object prefixes run past the fragment");
        }
        if index_prefixed {
            indices = prefix_span(count, |i| read_prefix(at + i * prefix_len));
        }
        push(objects, indices);
        return Ok(Some(at + total as usize));
    }
    let Some(size) = object_size(group, variation) else {
        push(objects, indices);
        return Ok(None);
    };
    match size {
        ObjectSize::Packed(bits) => {
            if prefix_len != 0 {
                push(objects, indices);
                return Ok(None);
            }
            let total = count
                .checked_mul(bits as u64)
                .map(|b| b.div_ceil(8))
                .ok_or("count overflow")?;
            if total > remaining {
                return Err("objects run past the fragment");
            }
            push(objects, indices);
            Ok(Some(at + total as usize))
        }
        ObjectSize::Fixed(n) => {
            let each = (prefix_len + n) as u64;
            let total = count.checked_mul(each).ok_or("count overflow")?;
            if total > remaining {
                return Err("objects run past the fragment");
            }
            if index_prefixed {
                let each = prefix_len + n;
                indices = prefix_span(count, |i| read_prefix(at + i * each));
            }
            push(objects, indices);
            Ok(Some(at + total as usize))
        }
        ObjectSize::Attribute => {
            // Data type code, length, value per attribute (§A.1.1).
            for _ in 0..count {
                at += prefix_len;
                let (Some(&kind), Some(&len)) = (data.get(at), data.get(at + 1)) else {
                    return Err("device attribute truncated");
                };
                let value = data
                    .get(at + 2..at + 2 + usize::from(len))
                    .ok_or("device attribute runs past the fragment")?;
                if objects.attributes.len() < MAX_ATTRIBUTES {
                    objects.attributes.push((variation, kind, value));
                }
                at += 2 + usize::from(len);
            }
            push(objects, indices);
            Ok(Some(at))
        }
    }
}

/// Lowest and highest of `count` index prefixes (already checked to lie in the fragment).
fn prefix_span(count: u64, index: impl Fn(usize) -> Option<u32>) -> Option<(u32, u32)> {
    let mut span: Option<(u32, u32)> = None;
    for i in 0..usize::try_from(count).ok()? {
        let v = index(i)?;
        span = Some(span.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
    }
    span
}
