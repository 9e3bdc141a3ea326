//! The resumable encapsulation framer: whole messages out, garbage skipped to the next
//! convincing header; and recognition of a flow's first bytes.

use super::pdu::{body_is_consistent, implicit_io, Header, HEADER_LEN};
use crate::Confidence;

/// Bytes kept between chunks: one maximal message (24-byte header and 65 511 bytes of data).
/// More means garbage.
const BUFFER_CAP: usize = HEADER_LEN + 65_535;

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    Frame {
        offset: u64,
        header: Header,
        /// The command-specific data after the header.
        body: &'a [u8],
    },
    /// Bytes that are not EtherNet/IP encapsulation, skipped.
    Garbage { offset: u64, len: usize },
}

#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    /// Stream offset of the first byte not yet consumed.
    offset: u64,
    /// After a gap the stream may resume mid-message: the first header must look convincing.
    strict: bool,
}

impl Framer {
    /// Nothing is buffered: the next bytes start a message (or are a datagram of their own).
    pub(crate) fn is_idle(&self) -> bool {
        self.buf.is_empty()
    }

    /// Counts bytes consumed outside the framer (an implicit I/O datagram).
    pub(crate) fn skip(&mut self, len: usize) {
        self.offset += len as u64;
    }

    /// Feeds bytes; calls `on` for every message and garbage run, in order.
    pub(crate) fn push(&mut self, data: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        if self.buf.is_empty() {
            // Fast path: messages straight from the chunk, only the tail is copied.
            let used = self.scan(data, on);
            self.keep_tail(data.get(used..).unwrap_or_default(), on);
            return;
        }
        self.buf.extend_from_slice(data);
        let buf = std::mem::take(&mut self.buf);
        let used = self.scan(&buf, on);
        self.keep_tail(buf.get(used..).unwrap_or_default(), on);
    }

    /// Drops a partial message after lost bytes; the next header must look convincing.
    pub(crate) fn gap(&mut self, len: u64) {
        self.offset += self.buf.len() as u64 + len;
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

    /// Consumes whole messages and garbage from `s`; returns the bytes used.
    fn scan(&mut self, s: &[u8], on: &mut dyn FnMut(Event<'_>)) -> usize {
        let mut pos = 0usize;
        loop {
            let rest = s.get(pos..).unwrap_or_default();
            let Some(header) = Header::parse(rest) else {
                return pos;
            };
            // After a gap, a header must name a defined command and status, or its message must
            // fill the rest of the segment exactly (segments usually carry whole messages).
            let acceptable = if self.strict {
                header.is_convincing()
                    || (header.is_plausible() && rest.len() == header.frame_len())
            } else {
                header.is_plausible()
            };
            if !acceptable {
                let skip = resync_distance(rest);
                on(Event::Garbage {
                    offset: self.offset,
                    len: skip,
                });
                self.offset += skip as u64;
                pos += skip;
                continue;
            }
            let total = header.frame_len();
            let Some(frame) = rest.get(..total) else {
                return pos;
            };
            on(Event::Frame {
                offset: self.offset,
                header,
                body: frame.get(HEADER_LEN..).unwrap_or_default(),
            });
            self.strict = false;
            self.offset += total as u64;
            pos += total;
        }
    }
}

/// Bytes to skip to the next place where a convincing header could start; keeps the last
/// bytes that could still begin one.
fn resync_distance(rest: &[u8]) -> usize {
    for skip in 1..rest.len() {
        let Some(candidate) = rest.get(skip..) else {
            break;
        };
        match Header::parse(candidate) {
            Some(h) if h.is_convincing() => return skip,
            Some(_) => {}
            // Too short to tell: keep it for the next chunk.
            None => return skip,
        }
    }
    rest.len().max(1)
}

/// Recognition from a flow's first bytes in one direction.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    // Implicit I/O: a sequenced address item and connected data that fill the datagram exactly
    // (checked before the header: such a datagram is shorter than nothing else would be).
    if implicit_io(data).is_some() {
        return Confidence::Certain;
    }
    let Some(header) = Header::parse(data) else {
        // The command's high byte is zero for every defined command (and an I/O datagram's
        // item count is small, so its second byte is zero too).
        return if data.get(1).is_some_and(|&hi| hi != 0) {
            Confidence::NotMine
        } else {
            Confidence::NeedMore
        };
    };
    if !header.is_convincing() {
        // RSLinx opens with legacy command 0x0001 (reserved for pre-ODVA use, Vol. 2 table
        // 2-3.2) before ListServices: consistent, but only the port can decide.
        let legacy = (0x0001..=0x0062).contains(&header.command);
        return if legacy && header.is_plausible() && header.status == 0 {
            Confidence::Maybe
        } else {
            Confidence::NotMine
        };
    }
    let total = header.frame_len();
    let Some(frame_body) = data.get(HEADER_LEN..total) else {
        return Confidence::Maybe;
    };
    let consistent = body_is_consistent(&header, frame_body);
    if consistent == Some(false) {
        return Confidence::NotMine;
    }
    // Header-only messages (NOP, ListIdentity request…) are mostly zeros: runs of zero bytes
    // of any protocol parse as NOPs, so only the port can decide, however many follow.
    if consistent.is_none() {
        return Confidence::Maybe;
    }
    if data.len() > total {
        let next = data.get(total..).unwrap_or_default();
        return match Header::parse(next) {
            Some(h) if h.is_convincing() => Confidence::Certain,
            Some(_) => Confidence::NotMine,
            None => Confidence::Maybe,
        };
    }
    // A complete message whose items fill it exactly: only EtherNet/IP frames itself so.
    Confidence::Certain
}
