//! The resumable TPKT framer (RFC 1006 §6): whole TPKT packets out, garbage skipped to the next
//! plausible header; and the COTP DT reassembler that joins segmented user messages.

use super::pdu::{
    cotp_type, is_cotp_type, is_s7_tsap, Cotp, PlusHeader, S7Pdu, Tpkt, PLUS_PROTOCOL_ID,
    S7_PROTOCOL_ID, TPKT_LEN,
};
use crate::Confidence;

/// Bytes kept between chunks: one maximal TPKT packet (65535) and change. More means garbage.
const BUFFER_CAP: usize = 65_536 + 64;

/// A user message joined from COTP DT TPDUs may not grow past this. S7comm PDUs are at most the
/// negotiated PDU size (240–960 bytes on S7-300/400, a few KiB on S7-1500); S7comm-plus
/// fragments its own large messages.
pub(crate) const REASSEMBLY_CAP: usize = 65_536;

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// One TPKT packet; `tpdu` is the COTP TPDU after the TPKT header.
    Packet { offset: u64, tpdu: &'a [u8] },
    /// Bytes that are not TPKT, skipped.
    Garbage { offset: u64, len: usize },
}

#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    /// Stream offset of the first byte not yet consumed.
    offset: u64,
    /// After a gap the stream may resume mid-packet: the first header must look convincing.
    strict: bool,
}

impl Framer {
    /// Feeds bytes; calls `on` for every packet and garbage run, in order.
    pub(crate) fn push(&mut self, data: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        if self.buf.is_empty() {
            let used = self.scan(data, on);
            self.keep_tail(data.get(used..).unwrap_or_default(), on);
            return;
        }
        self.buf.extend_from_slice(data);
        let buf = std::mem::take(&mut self.buf);
        let used = self.scan(&buf, on);
        self.keep_tail(buf.get(used..).unwrap_or_default(), on);
        if self.buf.is_empty() {
            // Keep the allocation for the next partial packet.
            let mut buf = buf;
            buf.clear();
            self.buf = buf;
        }
    }

    /// Drops a partial packet after lost bytes; the next header must look convincing.
    pub(crate) fn gap(&mut self, len: u64) {
        self.offset = self
            .offset
            .saturating_add(self.buf.len() as u64)
            .saturating_add(len);
        self.buf.clear();
        self.strict = true;
    }

    fn keep_tail(&mut self, tail: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        if tail.len() > BUFFER_CAP {
            on(Event::Garbage {
                offset: self.offset,
                len: tail.len(),
            });
            self.offset += tail.len() as u64;
            self.buf.clear();
            return;
        }
        self.buf.clear();
        self.buf.extend_from_slice(tail);
    }

    /// Consumes whole packets and garbage from `s`; returns the bytes used.
    fn scan(&mut self, s: &[u8], on: &mut dyn FnMut(Event<'_>)) -> usize {
        let mut pos = 0usize;
        loop {
            let rest = s.get(pos..).unwrap_or_default();
            if rest.len() < TPKT_LEN {
                return pos;
            }
            let header = Tpkt::parse(rest);
            let convincing = match header {
                Some(h) if h.is_plausible() => {
                    !self.strict
                        || header_is_convincing(rest)
                        || rest.len() == usize::from(h.length)
                }
                _ => false,
            };
            let Some(header) = header.filter(|_| convincing) else {
                let skip = resync_distance(rest);
                on(Event::Garbage {
                    offset: self.offset,
                    len: skip,
                });
                self.offset += skip as u64;
                pos += skip;
                continue;
            };
            let total = usize::from(header.length);
            let Some(packet) = rest.get(..total) else {
                return pos;
            };
            on(Event::Packet {
                offset: self.offset,
                tpdu: packet.get(TPKT_LEN..).unwrap_or_default(),
            });
            self.strict = false;
            self.offset += total as u64;
            pos += total;
        }
    }
}

/// A TPKT header followed by a COTP header whose length indicator fits the packet and whose
/// type ISO 8073 defines (DT with the class 0 length indicator 2).
fn header_is_convincing(b: &[u8]) -> bool {
    let Some(h) = Tpkt::parse(b).filter(Tpkt::is_plausible) else {
        return false;
    };
    match (b.get(4), b.get(5)) {
        (Some(&li), Some(&kind)) => {
            usize::from(li) + 5 <= usize::from(h.length)
                && is_cotp_type(kind)
                && (kind & 0xF0 != cotp_type::DT || li == 2)
        }
        // Too short to tell: accept the TPKT header alone.
        _ => true,
    }
}

/// Bytes to skip to the next place where a convincing header could start; keeps the last
/// bytes that could still begin one.
fn resync_distance(rest: &[u8]) -> usize {
    for skip in 1..rest.len() {
        let Some(candidate) = rest.get(skip..) else {
            break;
        };
        if candidate.len() < TPKT_LEN {
            // Too short to tell: keep it for the next chunk.
            return skip;
        }
        if header_is_convincing(candidate) {
            return skip;
        }
    }
    rest.len().max(1)
}

/// Joins COTP DT TPDUs into user messages (ISO 8073 §6.3 segmenting: EOT on the last).
#[derive(Debug, Default)]
pub(crate) struct Reassembler {
    buf: Vec<u8>,
    /// `buf` holds a message handed out by the last push; cleared on the next.
    handed_out: bool,
    /// Stream offset of the first TPDU of the message being joined.
    start: Option<u64>,
    /// The message outgrew [`REASSEMBLY_CAP`]; TPDUs are dropped until its EOT.
    dropping: bool,
}

/// What one DT TPDU yields.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Joined<'a> {
    /// Not the last segment: nothing yet.
    Pending,
    /// A whole user message and the stream offset of its first TPDU.
    Message { offset: u64, bytes: &'a [u8] },
    /// The message outgrew the cap (reported once, at its first TPDU's offset).
    Overflow { offset: u64 },
}

impl Reassembler {
    /// Adds one DT TPDU's user data. The returned message borrows either `payload` (a single
    /// TPDU, the common case, copied nowhere) or the reassembler's buffer.
    pub(crate) fn push<'a>(&'a mut self, offset: u64, eot: bool, payload: &'a [u8]) -> Joined<'a> {
        if self.handed_out {
            self.buf.clear();
            self.handed_out = false;
        }
        if self.dropping {
            if eot {
                self.dropping = false;
            }
            return Joined::Pending;
        }
        let start = *self.start.get_or_insert(offset);
        if self.buf.is_empty() && eot {
            self.start = None;
            return Joined::Message {
                offset,
                bytes: payload,
            };
        }
        if self.buf.len() + payload.len() > REASSEMBLY_CAP {
            self.buf.clear();
            self.dropping = !eot;
            self.start = None;
            return Joined::Overflow { offset: start };
        }
        self.buf.extend_from_slice(payload);
        if !eot {
            return Joined::Pending;
        }
        self.start = None;
        self.handed_out = true;
        Joined::Message {
            offset: start,
            bytes: &self.buf,
        }
    }

    /// Drops a partial message (bytes were lost).
    pub(crate) fn reset(&mut self) {
        self.buf.clear();
        self.handed_out = false;
        self.start = None;
        self.dropping = false;
    }
}

/// Recognition from a flow's first bytes in one direction.
///
/// TPKT and COTP also carry MMS (IEC 61850, also on port 102), ICCP and RDP, so a connection
/// request alone decides only when its TSAPs are S7's; otherwise the first data TPDU decides:
/// it must start with a consistent S7comm (0x32) or S7comm-plus (0x72) header.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    let mut rest = data;
    loop {
        let Some(header) = Tpkt::parse(rest) else {
            return if rest.len() < TPKT_LEN && rest.first().is_none_or(|&b| b == 3) {
                Confidence::NeedMore
            } else {
                Confidence::NotMine
            };
        };
        if !header.is_plausible() || !header_is_convincing(rest) {
            return Confidence::NotMine;
        }
        let Some(packet) = rest.get(..usize::from(header.length)) else {
            return probe_partial(rest.get(TPKT_LEN..).unwrap_or_default());
        };
        let Ok(cotp) = Cotp::parse(packet.get(TPKT_LEN..).unwrap_or_default()) else {
            return Confidence::NotMine;
        };
        match cotp {
            Cotp::Connect {
                calling_tsap,
                called_tsap,
                ..
            } => {
                let text = |t: Option<&[u8]>| t.is_some_and(|t| t.starts_with(b"SIMATIC-"));
                if text(called_tsap)
                    || text(calling_tsap)
                    || (called_tsap.is_some_and(is_s7_tsap) && calling_tsap.is_some_and(is_s7_tsap))
                {
                    return Confidence::Certain;
                }
            }
            Cotp::Data { eot, payload } => {
                return match payload.first() {
                    Some(&S7_PROTOCOL_ID) if eot && S7Pdu::parse(payload).is_ok() => {
                        Confidence::Certain
                    }
                    Some(&S7_PROTOCOL_ID) if !eot => Confidence::Maybe,
                    Some(&PLUS_PROTOCOL_ID) => match PlusHeader::parse(payload) {
                        Some(h)
                            if h.is_plausible() && usize::from(h.data_len) + 4 <= payload.len() =>
                        {
                            Confidence::Certain
                        }
                        Some(_) => Confidence::NotMine,
                        None => Confidence::Maybe,
                    },
                    _ => Confidence::NotMine,
                }
            }
            Cotp::Other { .. } => {}
        }
        rest = rest.get(packet.len()..).unwrap_or_default();
    }
}

/// A TPKT packet not yet complete: its COTP header and first user byte may still tell.
fn probe_partial(tpdu: &[u8]) -> Confidence {
    match (
        tpdu.get(1),
        tpdu.first().and_then(|&li| tpdu.get(1 + usize::from(li))),
    ) {
        (Some(&kind), Some(&first)) if kind & 0xF0 == cotp_type::DT => {
            if first == S7_PROTOCOL_ID || first == PLUS_PROTOCOL_ID {
                Confidence::Maybe
            } else {
                Confidence::NotMine
            }
        }
        _ => Confidence::NeedMore,
    }
}
