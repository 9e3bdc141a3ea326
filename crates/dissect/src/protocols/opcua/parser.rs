//! The resumable OPC UA TCP framer (Part 6 §7.1.2: every message starts with an 8-byte header
//! whose size counts the whole message): whole messages out, oversized ones cut to a prefix
//! and the rest skipped, garbage skipped to the next plausible header.

use super::pdu::{Header, HEADER_LEN};
use super::types::MessageType;
use crate::Confidence;

/// Bytes of one message kept for decoding. Headers, service type ids and the identity fields
/// of CreateSession sit at the start; the rest of a large message (a big Read response,
/// certificates) is skipped instead of buffered.
pub(crate) const BODY_CAP: usize = 64 * 1024;
/// Message sizes above this are not believed (implementations negotiate far smaller chunks).
const MAX_MESSAGE_SIZE: u32 = 64 * 1024 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    Message {
        offset: u64,
        header: Header,
        /// The bytes after the header, at most [`BODY_CAP`].
        body: &'a [u8],
        /// The message was longer than the cap; `body` is its beginning.
        truncated: bool,
    },
    /// Bytes that are not OPC UA, skipped.
    Garbage { offset: u64, len: usize },
}

#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    /// Stream offset of the first byte not yet consumed.
    offset: u64,
    /// Bytes of an oversized message still to be discarded.
    skip: u64,
}

fn plausible(h: &Header) -> bool {
    h.size <= MAX_MESSAGE_SIZE
}

impl Framer {
    pub(crate) fn push(&mut self, data: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        let mut data = data;
        if self.skip > 0 {
            let n = usize::try_from(self.skip)
                .unwrap_or(usize::MAX)
                .min(data.len());
            self.skip -= n as u64;
            self.offset += n as u64;
            data = data.get(n..).unwrap_or_default();
        }
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

    /// Drops a partial message after lost bytes; the stream is searched for the next header.
    pub(crate) fn gap(&mut self, len: u64) {
        self.offset += self.buf.len() as u64 + len;
        self.buf.clear();
        // The lost bytes may have been (part of) the skipped message: whatever follows is
        // searched for a header rather than trusted.
        self.skip = 0;
    }

    fn keep_tail(&mut self, tail: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        self.buf.clear();
        if tail.len() > BODY_CAP + HEADER_LEN {
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
        while self.skip == 0 {
            let rest = s.get(pos..).unwrap_or_default();
            let header = match Header::parse(rest) {
                None => return pos,
                Some(Ok(h)) if plausible(&h) => h,
                Some(_) => {
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
            let total = header.size as usize;
            if let Some(message) = rest.get(..total) {
                on(Event::Message {
                    offset: self.offset,
                    header,
                    body: message.get(HEADER_LEN..).unwrap_or_default(),
                    truncated: false,
                });
                self.offset += total as u64;
                pos += total;
                continue;
            }
            if total <= BODY_CAP + HEADER_LEN || rest.len() < BODY_CAP + HEADER_LEN {
                return pos;
            }
            // Oversized: decode the beginning, discard the rest as it arrives.
            on(Event::Message {
                offset: self.offset,
                header,
                body: rest
                    .get(HEADER_LEN..BODY_CAP + HEADER_LEN)
                    .unwrap_or_default(),
                truncated: true,
            });
            self.offset += rest.len() as u64;
            self.skip = (total - rest.len()) as u64;
            return s.len();
        }
        pos
    }
}

/// Bytes to skip to the next place where a header could start.
fn resync_distance(rest: &[u8]) -> usize {
    for skip in 1..rest.len() {
        match rest.get(skip..).map(Header::parse) {
            Some(Some(Ok(h))) if plausible(&h) => return skip,
            // Too short to tell: keep it for the next chunk.
            Some(None) => return skip,
            _ => {}
        }
    }
    rest.len().max(1)
}

/// Recognition from a flow's first bytes in one direction.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    let header = match Header::parse(data) {
        None => {
            // Too short: a known message type prefix is worth waiting for.
            let known = [&b"HEL"[..], b"ACK", b"ERR", b"RHE", b"OPN", b"MSG", b"CLO"]
                .iter()
                .any(|t| t.starts_with(data.get(..data.len().min(3)).unwrap_or_default()));
            return if known {
                Confidence::NeedMore
            } else {
                Confidence::NotMine
            };
        }
        Some(Err(_)) => return Confidence::NotMine,
        Some(Ok(h)) if plausible(&h) => h,
        Some(Ok(_)) => return Confidence::NotMine,
    };
    let total = header.size as usize;
    match data.len().cmp(&total) {
        // One whole message, or one followed by another header: an 8-byte header of three
        // letters, a chunk letter and a size that frames the bytes exactly.
        std::cmp::Ordering::Equal => Confidence::Certain,
        std::cmp::Ordering::Greater => match data.get(total..).and_then(Header::parse) {
            Some(Ok(_)) => Confidence::Certain,
            Some(Err(_)) => Confidence::NotMine,
            None => Confidence::Maybe,
        },
        // A Hello is small: a partial one is still telling when its version is 0.
        std::cmp::Ordering::Less => {
            if header.kind == MessageType::Hello
                && data.get(HEADER_LEN..HEADER_LEN + 4) == Some(&[0, 0, 0, 0][..])
            {
                Confidence::Certain
            } else {
                Confidence::Maybe
            }
        }
    }
}
