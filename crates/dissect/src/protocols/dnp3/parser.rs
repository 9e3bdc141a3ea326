//! The resumable link-frame framer: whole frames out (header CRC checked), garbage skipped to
//! the next start octets.

use super::pdu::{LinkHeader, HEADER_LEN, START};
use crate::Confidence;

/// Bytes kept between chunks: one maximal frame (10 + 250 + 2 × 16 = 292) and change. A frame
/// start is always at the front of what is kept, so more cannot happen; the cap is a guard.
const BUFFER_CAP: usize = 512;

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    Frame {
        offset: u64,
        header: LinkHeader,
        /// The user data blocks with their CRCs (everything after the header).
        blocks: &'a [u8],
    },
    /// Bytes that are not a DNP3 link frame (or a frame whose header is damaged), skipped.
    Garbage {
        offset: u64,
        len: usize,
        reason: &'static str,
    },
}

#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    /// Stream offset of the first byte not yet consumed.
    offset: u64,
    /// After a gap the stream resumes mid-frame: skipping to the next frame start is expected
    /// and not reported.
    after_gap: bool,
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

    /// Drops a partial frame after lost bytes.
    pub(crate) fn gap(&mut self, len: u64) {
        self.offset += self.buf.len() as u64 + len;
        self.buf.clear();
        self.after_gap = true;
    }

    fn keep_tail(&mut self, tail: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        self.buf.clear();
        if tail.len() > BUFFER_CAP {
            on(Event::Garbage {
                offset: self.offset,
                len: tail.len(),
                reason: "more bytes than a link frame without a frame",
            });
            self.offset += tail.len() as u64;
            return;
        }
        self.buf.extend_from_slice(tail);
    }

    /// Consumes whole frames and garbage from `s`; returns the bytes used.
    fn scan(&mut self, s: &[u8], on: &mut dyn FnMut(Event<'_>)) -> usize {
        let mut pos = 0usize;
        loop {
            let rest = s.get(pos..).unwrap_or_default();
            let (skip, reason) = match rest {
                [] | [0x05] => return pos,
                [a, b, ..] if [*a, *b] == START => {
                    if rest.len() < HEADER_LEN {
                        return pos;
                    }
                    match LinkHeader::parse(rest) {
                        Ok(header) => {
                            let total = header.frame_len();
                            let Some(frame) = rest.get(..total) else {
                                return pos;
                            };
                            on(Event::Frame {
                                offset: self.offset,
                                header,
                                blocks: frame.get(HEADER_LEN..).unwrap_or_default(),
                            });
                            self.after_gap = false;
                            self.offset += total as u64;
                            pos += total;
                            continue;
                        }
                        Err(reason) => (next_start(rest), reason),
                    }
                }
                _ => (next_start(rest), "bytes that are not a DNP3 link frame"),
            };
            if !self.after_gap {
                on(Event::Garbage {
                    offset: self.offset,
                    len: skip,
                    reason,
                });
            }
            self.offset += skip as u64;
            pos += skip;
        }
    }
}

/// Distance to the next possible frame start after the first byte; a trailing 0x05 is kept as
/// it may begin one in the next chunk.
fn next_start(rest: &[u8]) -> usize {
    let found = rest
        .windows(2)
        .skip(1)
        .position(|w| w == START)
        .map(|i| i + 1);
    match found {
        Some(i) => i,
        None if rest.len() > 1 && rest.last() == Some(&0x05) => rest.len() - 1,
        None => rest.len().max(1),
    }
}

/// Recognition from a flow's first bytes in one direction: the start octets and a header whose
/// CRC checks can only be DNP3 (a chance match is 1 in 2^32).
pub(crate) fn probe(data: &[u8]) -> Confidence {
    match data {
        [] | [0x05] => Confidence::NeedMore,
        [a, b, ..] if [*a, *b] == START => {
            if data.len() < HEADER_LEN {
                Confidence::NeedMore
            } else if LinkHeader::parse(data).is_ok() {
                Confidence::Certain
            } else {
                Confidence::NotMine
            }
        }
        _ => Confidence::NotMine,
    }
}
