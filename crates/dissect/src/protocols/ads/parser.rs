//! AMS/TCP framing, the AMS header, and the UDP discovery header. Large frames are decoded
//! from their head and the rest skipped, so the buffer never holds more than one small frame.
//! Nothing here indexes: every field is read with `get` or fixed-size chunks.

use crate::Confidence;

/// AMS/TCP header: 2 reserved bytes, 4-byte little-endian length of what follows.
pub(crate) const TCP_HEADER_LEN: usize = 6;
/// The AMS header.
pub(crate) const AMS_HEADER_LEN: usize = 32;
/// Frames up to this size are buffered whole; larger ones are decoded from their first
/// [`HEAD_LEN`] bytes and the rest skipped. This bounds the per-direction buffer.
pub(crate) const MAX_BUFFERED: usize = 4096;
/// What the session needs of a large frame: headers and the first command fields.
const HEAD_LEN: usize = TCP_HEADER_LEN + AMS_HEADER_LEN + 64;
/// Larger AMS/TCP lengths are not believed (ADS transfers stay far below this).
const MAX_LENGTH: u32 = 64 * 1024 * 1024;
/// AMS/TCP "reserved" values: 0 carries an AMS packet; the others are router commands
/// (port close, port connect, router notification, get local NetId).
const ROUTER_COMMANDS: [u16; 4] = [0x0001, 0x1000, 0x1001, 0x1002];

/// State flag bits (ADS-Protocol, AMS header).
pub(crate) const FLAG_RESPONSE: u16 = 0x0001;
const FLAG_ADS_COMMAND: u16 = 0x0004;

/// The UDP discovery magic, little-endian 0x71146603.
pub(crate) const DISCOVERY_MAGIC: [u8; 4] = [0x03, 0x66, 0x14, 0x71];
const DISCOVERY_HEADER_LEN: usize = 24;

pub(crate) type NetId = [u8; 6];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AmsHeader {
    pub target: NetId,
    pub target_port: u16,
    pub source: NetId,
    pub source_port: u16,
    pub command: u16,
    pub flags: u16,
    pub data_len: u32,
    pub error: u32,
    pub invoke: u32,
}

fn u16le(b: [u8; 2]) -> u16 {
    u16::from_le_bytes(b)
}

fn u32le(b: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(*b.first_chunk::<4>()?))
}

impl AmsHeader {
    /// The AMS header at the start of `b` and the data after it.
    pub(crate) fn parse(b: &[u8]) -> Option<(AmsHeader, &[u8])> {
        let (h, data) = b.split_first_chunk::<AMS_HEADER_LEN>()?;
        let [t0, t1, t2, t3, t4, t5, tp0, tp1, s0, s1, s2, s3, s4, s5, sp0, sp1, c0, c1, f0, f1, d0, d1, d2, d3, e0, e1, e2, e3, i0, i1, i2, i3] =
            *h;
        Some((
            AmsHeader {
                target: [t0, t1, t2, t3, t4, t5],
                target_port: u16le([tp0, tp1]),
                source: [s0, s1, s2, s3, s4, s5],
                source_port: u16le([sp0, sp1]),
                command: u16le([c0, c1]),
                flags: u16le([f0, f1]),
                data_len: u32::from_le_bytes([d0, d1, d2, d3]),
                error: u32::from_le_bytes([e0, e1, e2, e3]),
                invoke: u32::from_le_bytes([i0, i1, i2, i3]),
            },
            data,
        ))
    }

    pub(crate) fn is_response(&self) -> bool {
        self.flags & FLAG_RESPONSE != 0
    }
}

/// AMS NetIds are written as six dotted decimal bytes.
pub(crate) fn net_id_text(n: &NetId) -> String {
    let [a, b, c, d, e, f] = *n;
    format!("{a}.{b}.{c}.{d}.{e}.{f}")
}

/// The AMS/TCP header: (reserved, length of what follows), `None` with fewer than 6 bytes.
fn tcp_header(b: &[u8]) -> Option<(u16, usize)> {
    let &[r0, r1, l0, l1, l2, l3] = b.first_chunk::<TCP_HEADER_LEN>()?;
    let length = u32::from_le_bytes([l0, l1, l2, l3]);
    if length > MAX_LENGTH {
        return Some((u16le([r0, r1]), usize::MAX));
    }
    Some((
        u16le([r0, r1]),
        usize::try_from(length).unwrap_or(usize::MAX),
    ))
}

fn plausible_tcp_header(reserved: u16, length: usize) -> bool {
    match reserved {
        0 => (AMS_HEADER_LEN..=MAX_LENGTH as usize).contains(&length),
        r if ROUTER_COMMANDS.contains(&r) => length <= 64,
        _ => false,
    }
}

/// Whether an AMS header agrees with the AMS/TCP length around it.
fn consistent(h: &AmsHeader, length: usize) -> bool {
    h.flags & FLAG_ADS_COMMAND != 0
        && usize::try_from(h.data_len).is_ok_and(|d| d + AMS_HEADER_LEN == length)
}

/// Recognition from a flow's first bytes in one direction.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    if let Some(magic) = data.first_chunk::<4>() {
        if *magic == DISCOVERY_MAGIC {
            return if data.len() >= DISCOVERY_HEADER_LEN {
                Confidence::Certain
            } else {
                Confidence::NeedMore
            };
        }
    }
    let Some((reserved, length)) = tcp_header(data) else {
        let magic_prefix = data.len() < 4 && DISCOVERY_MAGIC.starts_with(data);
        return if data.iter().take(2).all(|&b| b == 0) || magic_prefix {
            Confidence::NeedMore
        } else {
            Confidence::NotMine
        };
    };
    if reserved != 0 || !plausible_tcp_header(reserved, length) {
        return Confidence::NotMine;
    }
    let Some((h, _)) = data.get(TCP_HEADER_LEN..).and_then(AmsHeader::parse) else {
        return Confidence::NeedMore;
    };
    if !consistent(&h, length) || h.command > 9 {
        return Confidence::NotMine;
    }
    // A consistent AMS header inside a consistent AMS/TCP length: only ADS looks like this.
    Confidence::Certain
}

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// An AMS packet: its header and data (`truncated`: only the head of a large packet).
    Ams {
        offset: u64,
        header: AmsHeader,
        data: &'a [u8],
        truncated: bool,
    },
    /// An AMS/TCP router command (not an AMS packet).
    Router { offset: u64, reserved: u16 },
    /// An AMS/TCP length that its AMS header contradicts.
    Inconsistent { offset: u64 },
    /// Bytes that are not AMS/TCP, skipped.
    Garbage { offset: u64, len: usize },
}

/// Per-direction resumable AMS/TCP framer.
#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    /// Stream offset of the first byte not yet consumed.
    offset: u64,
    /// Bytes of a large frame still to be skipped.
    skip: u64,
}

impl Framer {
    pub(crate) fn push(&mut self, data: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        let skipped = usize::try_from(self.skip)
            .unwrap_or(usize::MAX)
            .min(data.len());
        self.skip -= skipped as u64;
        self.offset += skipped as u64;
        self.buf
            .extend_from_slice(data.get(skipped..).unwrap_or_default());
        let buf = std::mem::take(&mut self.buf);
        let mut pos = 0usize;
        loop {
            let rest = buf.get(pos..).unwrap_or_default();
            let Some((reserved, length)) = tcp_header(rest) else {
                break;
            };
            if !plausible_tcp_header(reserved, length) {
                let skip = resync_distance(rest);
                on(Event::Garbage {
                    offset: self.offset,
                    len: skip,
                });
                self.offset += skip as u64;
                pos += skip;
                continue;
            }
            let total = TCP_HEADER_LEN + length;
            let (frame, truncated) = match rest.get(..total) {
                Some(frame) => (frame, false),
                None if total > MAX_BUFFERED && rest.len() >= HEAD_LEN => (rest, true),
                None => break,
            };
            let body = frame.get(TCP_HEADER_LEN..).unwrap_or_default();
            let event = if reserved != 0 {
                Event::Router {
                    offset: self.offset,
                    reserved,
                }
            } else {
                match AmsHeader::parse(body) {
                    Some((header, data)) if consistent(&header, length) => Event::Ams {
                        offset: self.offset,
                        header,
                        data,
                        truncated,
                    },
                    _ => Event::Inconsistent {
                        offset: self.offset,
                    },
                }
            };
            on(event);
            self.offset += frame.len() as u64;
            pos += frame.len();
            if truncated {
                self.skip = (total - frame.len()) as u64;
                break;
            }
        }
        self.buf
            .extend_from_slice(buf.get(pos..).unwrap_or_default());
    }

    /// Lost bytes: the partial frame is dropped; the next plausible header resynchronises.
    pub(crate) fn gap(&mut self, len: u64) {
        self.offset += self.buf.len() as u64 + len;
        self.buf.clear();
        self.skip = self.skip.saturating_sub(len);
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.buf.is_empty() && self.skip == 0
    }
}

/// Bytes to skip to the next place where a plausible AMS/TCP header could start.
fn resync_distance(rest: &[u8]) -> usize {
    (1..rest.len())
        .find(|&skip| {
            rest.get(skip..).is_some_and(|c| {
                tcp_header(c).is_none_or(|(r, l)| r == 0 && plausible_tcp_header(r, l))
            })
        })
        .unwrap_or(rest.len().max(1))
}

/// A UDP discovery datagram: service id (reply flag removed), whether it is a reply, the
/// sender's AMS NetId, and its tags.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Discovery<'a> {
    pub service: u32,
    pub reply: bool,
    pub net_id: NetId,
    pub tags: &'a [u8],
}

pub(crate) fn discovery(b: &[u8]) -> Option<Discovery<'_>> {
    let (h, tags) = b.split_first_chunk::<DISCOVERY_HEADER_LEN>()?;
    let (magic, rest) = h.split_first_chunk::<4>()?;
    if *magic != DISCOVERY_MAGIC {
        return None;
    }
    let service = u32le(rest.get(4..)?)?;
    let net_id = *rest.get(8..)?.first_chunk::<6>()?;
    Some(Discovery {
        service: service & 0x7FFF_FFFF,
        reply: service & 0x8000_0000 != 0,
        net_id,
        tags,
    })
}

/// The value of discovery tag `id` (tags: id u16, length u16, value; all little-endian).
pub(crate) fn discovery_tag(tags: &[u8], id: u16) -> Option<&[u8]> {
    let mut rest = tags;
    while let Some((&[i0, i1, l0, l1], after)) = rest.split_first_chunk::<4>() {
        let len = usize::from(u16le([l0, l1]));
        let value = after.get(..len)?;
        if u16le([i0, i1]) == id {
            return Some(value);
        }
        rest = after.get(len..)?;
    }
    None
}

/// A NUL-terminated text field.
pub(crate) fn text(b: &[u8]) -> String {
    b.iter()
        .take_while(|&&c| c != 0)
        .map(|&c| char::from(c))
        .collect()
}

/// The first four bytes of command data as a little-endian u32 (index group, result…).
pub(crate) fn le32_at(b: &[u8], at: usize) -> Option<u32> {
    u32le(b.get(at..)?)
}
