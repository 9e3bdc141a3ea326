//! The resumable MBAP framer: whole frames out, garbage skipped to the next plausible header.

use super::pdu::{is_known_function, Mbap, MBAP_LEN};
use crate::Confidence;

/// Bytes kept between chunks: one maximal frame (260) and change. More means garbage.
const BUFFER_CAP: usize = 512;

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    Frame {
        offset: u64,
        header: Mbap,
        /// Function code and data.
        pdu: &'a [u8],
    },
    /// Bytes that are not Modbus/TCP, skipped.
    Garbage { offset: u64, len: usize },
}

#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    /// Stream offset of the first byte not yet consumed.
    offset: u64,
    /// After a gap the stream may resume mid-frame: the first header must look convincing.
    strict: bool,
}

impl Framer {
    /// Feeds bytes; calls `on` for every frame and garbage run, in order.
    pub(crate) fn push(&mut self, data: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        if self.buf.is_empty() {
            // Fast path: frames straight from the chunk, only the tail is copied.
            let used = self.scan(data, on);
            self.keep_tail(data.get(used..).unwrap_or_default(), on);
            return;
        }
        self.buf.extend_from_slice(data);
        let buf = std::mem::take(&mut self.buf);
        let used = self.scan(&buf, on);
        self.keep_tail(buf.get(used..).unwrap_or_default(), on);
    }

    /// Drops a partial frame after lost bytes; the next frame must look convincing.
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

    /// Consumes whole frames and garbage from `s`; returns the bytes used.
    fn scan(&mut self, s: &[u8], on: &mut dyn FnMut(Event<'_>)) -> usize {
        let mut pos = 0usize;
        loop {
            let rest = s.get(pos..).unwrap_or_default();
            let Some(header) = Mbap::parse(rest) else {
                return pos;
            };
            // After a gap, a header must name a known function, or its frame must fill the
            // rest of the segment exactly (segments usually carry whole frames).
            let convincing = header.is_plausible()
                && (!self.strict
                    || rest.get(MBAP_LEN).is_some_and(|&f| is_known_function(f))
                    || rest.len() == header.frame_len());
            if !convincing {
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
                pdu: frame.get(MBAP_LEN..).unwrap_or_default(),
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
        match Mbap::parse(candidate) {
            Some(h) if h.is_plausible() => {
                if candidate
                    .get(MBAP_LEN)
                    .is_none_or(|&f| is_known_function(f))
                {
                    return skip;
                }
            }
            Some(_) => {}
            // Too short to tell: keep it for the next chunk.
            None => return skip,
        }
    }
    rest.len().max(1)
}

/// Recognition from a flow's first bytes in one direction.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    let Some(header) = Mbap::parse(data) else {
        return Confidence::NeedMore;
    };
    if !header.is_plausible() {
        return Confidence::NotMine;
    }
    let Some(&function) = data.get(MBAP_LEN) else {
        return Confidence::NeedMore;
    };
    if !is_known_function(function) {
        // A plausible header with a code nobody assigned: a function-code sweep looks like
        // this, and so can other protocols. Only the port can decide.
        return Confidence::Maybe;
    }
    match data.len().cmp(&header.frame_len()) {
        // Exactly one frame, or a frame followed by another plausible header: only Modbus/TCP
        // frames itself like this.
        std::cmp::Ordering::Equal => Confidence::Certain,
        std::cmp::Ordering::Greater => {
            let next = data.get(header.frame_len()..).unwrap_or_default();
            match Mbap::parse(next) {
                Some(h) if h.is_plausible() => Confidence::Certain,
                Some(_) => Confidence::NotMine,
                None => Confidence::Maybe,
            }
        }
        std::cmp::Ordering::Less => Confidence::Maybe,
    }
}
