//! The resumable APDU framer: whole APDUs out, garbage skipped to the next plausible start
//! octet (IEC 60870-5-104 §5.1: start 0x68, length 4..=253).

use super::pdu::{frame_len, Apdu, Asdu, Control, START};
use super::types::{type_name, UFunction};
use crate::Confidence;

/// Bytes kept between chunks: one maximal APDU (255) and change. More means garbage.
const BUFFER_CAP: usize = 512;

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// A whole APDU, start and length octets included.
    Frame { offset: u64, frame: &'a [u8] },
    /// Bytes that are not IEC 60870-5-104, skipped.
    Garbage { offset: u64, len: usize },
}

#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    /// Stream offset of the first byte not yet consumed.
    offset: u64,
    /// After a gap the stream may resume mid-APDU, where 0x68 is just a data octet: the first
    /// frame must look convincing.
    strict: bool,
}

/// A complete APDU whose control field and ASDU are consistent: S-frames and U-frames carry no
/// ASDU and set no spare bits, I-frames carry an ASDU of a defined type whose length matches
/// its objects.
pub(crate) fn is_consistent(frame: &[u8]) -> bool {
    let Some(apdu) = Apdu::parse(frame) else {
        return false;
    };
    let spare = frame.get(3).copied().unwrap_or(0xFF);
    match apdu.control {
        Control::S { .. } => apdu.asdu.is_empty() && frame.get(2) == Some(&1) && spare == 0,
        Control::U(function, _) => {
            apdu.asdu.is_empty()
                && function.is_some()
                && frame.get(3..6).is_some_and(|c| c.iter().all(|&b| b == 0))
        }
        Control::I { .. } => Asdu::parse(apdu.asdu)
            .is_some_and(|a| type_name(a.type_id.0).0 != "Unknown Type" && a.check().is_ok()),
    }
}

impl Framer {
    /// Feeds bytes; calls `on` for every frame and garbage run, in order.
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

    /// Drops a partial APDU after lost bytes; the next frame must look convincing.
    pub(crate) fn gap(&mut self, len: u64) {
        self.offset += self.buf.len() as u64 + len;
        self.buf.clear();
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

    /// Consumes whole frames and garbage from `s`; returns the bytes used.
    fn scan(&mut self, s: &[u8], on: &mut dyn FnMut(Event<'_>)) -> usize {
        let mut pos = 0usize;
        loop {
            let rest = s.get(pos..).unwrap_or_default();
            let total = match frame_len(rest) {
                None => return pos,
                Some(Ok(total)) => total,
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
            let Some(frame) = rest.get(..total) else {
                return pos;
            };
            // After a gap, a frame must be consistent or fill the rest of the segment exactly.
            if self.strict && !is_consistent(frame) && rest.len() != total {
                let skip = resync_distance(rest);
                on(Event::Garbage {
                    offset: self.offset,
                    len: skip,
                });
                self.offset += skip as u64;
                pos += skip;
                continue;
            }
            on(Event::Frame {
                offset: self.offset,
                frame,
            });
            self.strict = false;
            self.offset += total as u64;
            pos += total;
        }
    }
}

/// Bytes to skip to the next start octet followed by a valid length (or too few bytes to tell,
/// kept for the next chunk).
fn resync_distance(rest: &[u8]) -> usize {
    for skip in 1..rest.len() {
        let Some(candidate) = rest.get(skip..) else {
            break;
        };
        match frame_len(candidate) {
            Some(Ok(_)) | None => return skip,
            Some(Err(())) => {}
        }
    }
    rest.len().max(1)
}

/// Recognition from a flow's first bytes in one direction.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    if data.first().is_some_and(|&b| b != START) {
        return Confidence::NotMine;
    }
    let total = match frame_len(data) {
        None => return Confidence::NeedMore,
        Some(Err(())) => return Confidence::NotMine,
        Some(Ok(total)) => total,
    };
    let Some(frame) = data.get(..total) else {
        // The first control octet alone rules out U-frames with no single known function.
        return match data.get(2) {
            Some(&c1) if c1 & 3 == 3 && UFunction::from_control(c1).is_none() => {
                Confidence::NotMine
            }
            _ => Confidence::Maybe,
        };
    };
    if !is_consistent(frame) {
        return match Apdu::parse(frame).map(|a| a.control) {
            // An I-frame of a type this version does not know: only the port can decide.
            Some(Control::I { .. }) => Confidence::Maybe,
            _ => Confidence::NotMine,
        };
    }
    let next = data.get(total..).unwrap_or_default();
    match frame_len(next) {
        // Exactly one consistent APDU, or one followed by another valid APCI.
        None if next.is_empty() => Confidence::Certain,
        Some(Ok(_)) => Confidence::Certain,
        None => Confidence::Maybe,
        Some(Err(())) => Confidence::NotMine,
    }
}
