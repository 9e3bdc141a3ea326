//! The resumable packet framer: whole packets out (or, for large ones, their first
//! [`BODY_CAP`] octets and the rest skipped), garbage skipped to the next plausible fixed
//! header.

use super::pdu::{Connect, FixedHeader};
use super::types::PacketType;
use crate::Confidence;

/// Octets of a packet body kept. Everything this dissector reads (CONNECT up to the client
/// identifier, PUBLISH topic, topic filters) sits at the start; a PUBLISH payload may be up to
/// 256 MB and is skipped without buffering.
pub(crate) const BODY_CAP: usize = 4096;
/// Bytes kept between chunks: a fixed header and a capped body.
const BUFFER_CAP: usize = BODY_CAP + 8;

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    Packet {
        offset: u64,
        header: FixedHeader,
        /// The body, or its first [`BODY_CAP`] octets when `truncated`.
        body: &'a [u8],
        truncated: bool,
    },
    /// Bytes that are not MQTT, skipped.
    Garbage { offset: u64, len: usize },
}

#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    /// Stream offset of the first byte not yet consumed.
    offset: u64,
    /// Octets of a large packet still to skip.
    skip: u64,
    /// After a gap the stream may resume mid-packet: the first packet must look convincing.
    strict: bool,
}

impl Framer {
    /// Feeds bytes; calls `on` for every packet and garbage run, in order.
    pub(crate) fn push(&mut self, data: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        let skipped = usize::try_from(self.skip).map_or(data.len(), |s| s.min(data.len()));
        self.skip -= skipped as u64;
        self.offset += skipped as u64;
        let data = data.get(skipped..).unwrap_or_default();
        if self.buf.is_empty() {
            let used = self.scan(data, on);
            self.keep_tail(data.get(used..).unwrap_or_default(), on);
            return;
        }
        self.buf.extend_from_slice(data);
        let buf = std::mem::take(&mut self.buf);
        let used = self.scan(&buf, on);
        self.keep_tail(buf.get(used..).unwrap_or_default(), on);
    }

    /// Drops a partial packet after lost bytes; the next packet must look convincing.
    pub(crate) fn gap(&mut self, len: u64) {
        self.offset += self.buf.len() as u64 + len;
        self.buf.clear();
        self.skip = 0;
        self.strict = true;
    }

    fn keep_tail(&mut self, tail: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        self.buf.clear();
        if tail.len() > BUFFER_CAP {
            on(Event::Garbage {
                offset: self.offset,
                len: tail.len(),
            });
            self.offset += tail.len() as u64;
            return;
        }
        self.buf.extend_from_slice(tail);
    }

    /// Consumes whole packets and garbage from `s`; returns the bytes used.
    fn scan(&mut self, s: &[u8], on: &mut dyn FnMut(Event<'_>)) -> usize {
        let mut pos = 0usize;
        loop {
            let rest = s.get(pos..).unwrap_or_default();
            let header = match FixedHeader::parse(rest) {
                None => return pos,
                Some(Ok(h)) => h,
                Some(Err(_)) => {
                    let skip = resync_distance(rest);
                    self.garbage(skip, on);
                    pos += skip;
                    continue;
                }
            };
            let total = header.total();
            let wanted = header.len
                + usize::try_from(header.remaining)
                    .unwrap_or(usize::MAX)
                    .min(BODY_CAP);
            let Some(packet) = rest.get(..wanted) else {
                return pos;
            };
            let body = packet.get(header.len..).unwrap_or_default();
            let truncated = u64::from(header.remaining) > BODY_CAP as u64;
            if self.strict && !convincing(header, body, truncated, rest.len() as u64 == total) {
                let skip = resync_distance(rest);
                self.garbage(skip, on);
                pos += skip;
                continue;
            }
            on(Event::Packet {
                offset: self.offset,
                header,
                body,
                truncated,
            });
            self.strict = false;
            let available = (rest.len() as u64).min(total);
            self.offset += available;
            self.skip = total - available;
            pos += usize::try_from(available).unwrap_or(rest.len());
            if self.skip > 0 {
                return pos;
            }
        }
    }

    fn garbage(&mut self, len: usize, on: &mut dyn FnMut(Event<'_>)) {
        on(Event::Garbage {
            offset: self.offset,
            len,
        });
        self.offset += len as u64;
    }
}

/// After a gap: a packet is believed when it fills the rest of the segment exactly, or when it
/// is a type whose body can be checked and the check passes.
fn convincing(header: FixedHeader, body: &[u8], truncated: bool, fills: bool) -> bool {
    if fills {
        return true;
    }
    if truncated {
        return false;
    }
    match header.packet_type.0 {
        PacketType::CONNECT => Connect::parse(body).is_ok(),
        PacketType::PINGREQ | PacketType::PINGRESP => header.remaining == 0,
        PacketType::PUBACK..=PacketType::PUBCOMP => header.remaining >= 2 && header.remaining < 64,
        _ => false,
    }
}

/// Bytes to skip to the next octet that can start a fixed header.
fn resync_distance(rest: &[u8]) -> usize {
    for skip in 1..rest.len() {
        let Some(candidate) = rest.get(skip..) else {
            break;
        };
        match FixedHeader::parse(candidate) {
            Some(Ok(_)) | None => return skip,
            Some(Err(_)) => {}
        }
    }
    rest.len().max(1)
}

/// Recognition from a flow's first bytes in one direction: a CONNECT naming MQTT is certain;
/// any other consistent fixed header is only a maybe (two octets say little).
pub(crate) fn probe(data: &[u8]) -> Confidence {
    let header = match FixedHeader::parse(data) {
        None => return Confidence::NeedMore,
        Some(Err(_)) => return Confidence::NotMine,
        Some(Ok(h)) => h,
    };
    let body = data.get(header.len..).unwrap_or_default();
    if header.packet_type.0 == PacketType::CONNECT {
        // Protocol name length, name, level.
        let needed = 2 + 6 + 1;
        return match Connect::parse(body) {
            Ok(_) => Confidence::Certain,
            Err(_) if body.len() < needed && (body.len() as u64) < u64::from(header.remaining) => {
                let prefix_ok = [&b"\x00\x04MQTT"[..], b"\x00\x06MQIsdp"]
                    .iter()
                    .any(|name| name.iter().zip(body).all(|(a, b)| a == b));
                if prefix_ok {
                    Confidence::NeedMore
                } else {
                    Confidence::NotMine
                }
            }
            Err(_) => Confidence::NotMine,
        };
    }
    match (data.len() as u64).cmp(&header.total()) {
        std::cmp::Ordering::Less | std::cmp::Ordering::Equal => Confidence::Maybe,
        std::cmp::Ordering::Greater => {
            let next = usize::try_from(header.total())
                .ok()
                .and_then(|t| data.get(t..))
                .unwrap_or_default();
            match FixedHeader::parse(next) {
                Some(Err(_)) => Confidence::NotMine,
                _ => Confidence::Maybe,
            }
        }
    }
}
