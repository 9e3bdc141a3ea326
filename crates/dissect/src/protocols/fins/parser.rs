//! Framing: FINS/TCP messages out of a byte stream (resumable, garbage skipped to the next
//! "FINS" magic), FINS/UDP datagrams as they come, and `probe()`.

use super::pdu::{is_plausible, TcpHeader, MAGIC, TCP_HEADER_LEN};
use crate::Confidence;

/// Bytes kept between chunks: one maximal FINS/TCP message (8 + 2056) and change.
const BUFFER_CAP: usize = 4096;

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// A FINS/TCP message: its header and the data after it (a FINS frame for command 2).
    Message {
        offset: u64,
        header: TcpHeader,
        data: &'a [u8],
    },
    /// Bytes that are not FINS/TCP, skipped.
    Garbage { offset: u64, len: usize },
}

#[derive(Debug, Default)]
pub(crate) struct TcpFramer {
    buf: Vec<u8>,
    /// Stream offset of the first byte not yet consumed.
    offset: u64,
}

impl TcpFramer {
    /// Feeds bytes; calls `on` for every message and garbage run, in order.
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
    }

    /// Drops a partial message after lost bytes. The four-octet magic makes resynchronisation
    /// reliable without a stricter first-message rule.
    pub(crate) fn gap(&mut self, len: u64) {
        self.offset += self.buf.len() as u64 + len;
        self.buf.clear();
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

    fn scan(&mut self, s: &[u8], on: &mut dyn FnMut(Event<'_>)) -> usize {
        let mut pos = 0usize;
        loop {
            let rest = s.get(pos..).unwrap_or_default();
            if rest.is_empty() {
                return pos;
            }
            let header = match TcpHeader::parse(rest) {
                None => return pos,
                Some(Ok(h)) => h,
                Some(Err(())) => {
                    let skip = resync_distance(rest);
                    on(Event::Garbage {
                        offset: self.offset,
                        len: skip,
                    });
                    self.offset += skip as u64;
                    pos += skip;
                    continue;
                }
            };
            let total = header.frame_len();
            let Some(message) = rest.get(..total) else {
                return pos;
            };
            on(Event::Message {
                offset: self.offset,
                header,
                data: message.get(TCP_HEADER_LEN..).unwrap_or_default(),
            });
            self.offset += total as u64;
            pos += total;
        }
    }
}

/// Bytes to skip to the next "FINS" magic (or a tail that could begin one).
fn resync_distance(rest: &[u8]) -> usize {
    for skip in 1..rest.len() {
        let candidate = rest.get(skip..).unwrap_or_default();
        let n = candidate.len().min(MAGIC.len());
        if candidate.get(..n) == MAGIC.get(..n) {
            return skip;
        }
    }
    rest.len().max(1)
}

/// Recognition from a flow's first bytes in one direction: a FINS/TCP header with a known
/// command is certain; a plausible FINS header (UDP) is only a maybe — ten octets say little.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    match TcpHeader::parse(data) {
        Some(Ok(h)) => {
            return if matches!(h.command, 0..=3 | 6) {
                Confidence::Certain
            } else {
                Confidence::Maybe
            }
        }
        None => return Confidence::NeedMore,
        Some(Err(())) => {}
    }
    if data.len() < super::pdu::FINS_HEADER_LEN {
        return if data.len() < 3 {
            Confidence::NeedMore
        } else {
            Confidence::NotMine
        };
    }
    if is_plausible(data) {
        Confidence::Maybe
    } else {
        Confidence::NotMine
    }
}
