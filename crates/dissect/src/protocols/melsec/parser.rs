//! MC protocol 3E/4E binary framing (the request data length gives the frame's length) and
//! MELSOFT recognition. Nothing here indexes.

use super::types::command_name;
use crate::{Confidence, OpClass};

/// Largest frame accepted (the protocol's largest batch accesses stay well below); the cap on
/// the per-direction buffer.
pub(crate) const MAX_FRAME: usize = 8192;

/// One MC frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame<'a> {
    pub response: bool,
    /// 4E frames' serial number (pairs a response with its request).
    pub serial: Option<u16>,
    /// Requests: command and subcommand.
    pub command: u16,
    pub subcommand: u16,
    /// Responses: the end code (0: normal completion).
    pub end_code: u16,
    /// Requests: after the subcommand; responses: after the end code.
    pub data: &'a [u8],
}

/// A frame at the start of `b`: `Ok(Some((frame, length)))`, `Ok(None)` when more bytes are
/// needed, `Err(())` when the bytes cannot start an MC binary frame.
pub(crate) fn parse(b: &[u8]) -> Result<Option<(Frame<'_>, usize)>, ()> {
    let (response, four_e) = match b.first_chunk::<2>() {
        Some([0x50, 0x00]) => (false, false),
        Some([0xD0, 0x00]) => (true, false),
        Some([0x54, 0x00]) => (false, true),
        Some([0xD4, 0x00]) => (true, true),
        Some(_) => return Err(()),
        None => {
            return match b.first() {
                None | Some(0x50 | 0xD0 | 0x54 | 0xD4) => Ok(None),
                Some(_) => Err(()),
            }
        }
    };
    // 4E: serial number (2) and two reserved zero bytes after the subheader.
    let base = if four_e { 6 } else { 2 };
    let serial = if four_e {
        match b.get(2..6) {
            Some(&[s0, s1, 0, 0]) => Some(u16::from_le_bytes([s0, s1])),
            Some(_) => return Err(()),
            None => return Ok(None),
        }
    } else {
        None
    };
    // Network no., PC no., module I/O no. (2), station no., then the data length.
    let Some(&[l0, l1]) = b.get(base + 5..base + 7).and_then(|l| l.first_chunk::<2>()) else {
        return Ok(None);
    };
    let data_len = usize::from(u16::from_le_bytes([l0, l1]));
    let total = base + 7 + data_len;
    if data_len < if response { 2 } else { 6 } || total > MAX_FRAME {
        return Err(());
    }
    let Some(body) = b.get(base + 7..total) else {
        return Ok(None);
    };
    let word = |at: usize| {
        body.get(at..at + 2)
            .and_then(|w| w.first_chunk::<2>())
            .map_or(0, |w| u16::from_le_bytes(*w))
    };
    let frame = if response {
        Frame {
            response,
            serial,
            command: 0,
            subcommand: 0,
            end_code: word(0),
            data: body.get(2..).unwrap_or_default(),
        }
    } else {
        Frame {
            response,
            serial,
            command: word(2),
            subcommand: word(4),
            end_code: 0,
            data: body.get(6..).unwrap_or_default(),
        }
    };
    Ok(Some((frame, total)))
}

/// MELSOFT's leading bytes as seen in the sample capture (guessed layout, see `mod.rs`).
pub(crate) fn is_melsoft(b: &[u8]) -> bool {
    matches!(
        b.first_chunk::<3>(),
        Some(&[0x57 | 0x5A | 0xD7 | 0xDA, 0 | 1, 0])
    )
}

pub(crate) fn probe(data: &[u8]) -> Confidence {
    match parse(data) {
        Ok(Some((frame, used))) if used == data.len() => {
            if frame.response || command_name(frame.command).1 != OpClass::Other {
                Confidence::Certain
            } else {
                Confidence::Maybe
            }
        }
        Ok(Some(_)) => Confidence::Maybe,
        Ok(None) if data.len() < 2 => Confidence::NeedMore,
        Ok(None) => Confidence::Maybe,
        Err(()) if is_melsoft(data) => Confidence::Maybe,
        Err(())
            if data.len() < 3
                && data
                    .first()
                    .is_none_or(|b| matches!(b, 0x57 | 0x5A | 0xD7 | 0xDA)) =>
        {
            Confidence::NeedMore
        }
        Err(()) => Confidence::NotMine,
    }
}

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    Frame { offset: u64, frame: Frame<'a> },
    Garbage { offset: u64, len: usize },
}

/// Per-direction resumable framer.
#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    pub offset: u64,
}

impl Framer {
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn push(&mut self, data: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        self.buf.extend_from_slice(data);
        let buf = std::mem::take(&mut self.buf);
        let mut pos = 0usize;
        loop {
            let rest = buf.get(pos..).unwrap_or_default();
            match parse(rest) {
                Ok(Some((frame, used))) => {
                    on(Event::Frame {
                        offset: self.offset,
                        frame,
                    });
                    self.offset += used as u64;
                    pos += used;
                }
                Ok(None) => break,
                Err(()) => {
                    let skip = (1..rest.len())
                        .find(|&i| rest.get(i..).is_some_and(|r| parse(r).is_ok()))
                        .unwrap_or(rest.len());
                    on(Event::Garbage {
                        offset: self.offset,
                        len: skip,
                    });
                    self.offset += skip as u64;
                    pos += skip;
                }
            }
        }
        // A frame is never longer than MAX_FRAME, so the tail stays below it.
        self.buf
            .extend_from_slice(buf.get(pos..).unwrap_or_default());
    }

    pub(crate) fn gap(&mut self, len: u64) {
        self.offset += self.buf.len() as u64 + len;
        self.buf.clear();
    }
}
