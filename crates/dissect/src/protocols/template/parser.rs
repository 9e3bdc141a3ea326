//! TEMPLATE: the resumable framer. Whole messages out at any split point, garbage skipped and
//! reported, a cap on what is buffered. Borrowed views are checked with `get`, never indexed.

use crate::Confidence;

/// Largest message accepted; more is garbage (the cap on the per-direction buffer).
const MAX_MESSAGE: usize = 1024;
const HEADER: usize = 6;

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Message<'a> {
    pub kind: u8,
    pub id: u16,
    pub code: u8,
    pub data: &'a [u8],
}

/// A message at the start of `b`: `Ok(Some((message, length)))`, `Ok(None)` when more bytes are
/// needed, `Err(())` when the bytes cannot start a message.
pub(crate) fn parse(b: &[u8]) -> Result<Option<(Message<'_>, usize)>, ()> {
    let Some(&[l0, l1, kind, i0, i1, code]) =
        b.get(..HEADER).and_then(|h| <&[u8; 6]>::try_from(h).ok())
    else {
        return Ok(None);
    };
    let total = 2 + usize::from(u16::from_be_bytes([l0, l1]));
    if !(HEADER..=MAX_MESSAGE).contains(&total) || !matches!(kind, 1 | 2) {
        return Err(());
    }
    let Some(data) = b.get(HEADER..total) else {
        return Ok(None);
    };
    let message = Message {
        kind,
        id: u16::from_be_bytes([i0, i1]),
        code,
        data,
    };
    Ok(Some((message, total)))
}

pub(crate) fn probe(data: &[u8]) -> Confidence {
    match parse(data) {
        Ok(Some((_, used))) if used == data.len() => Confidence::Certain,
        Ok(Some(_)) | Ok(None) if data.len() < HEADER => Confidence::NeedMore,
        Ok(_) => Confidence::Maybe,
        Err(()) => Confidence::NotMine,
    }
}

/// Per-direction framing state.
#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    /// Stream offset of the first byte not yet consumed (for anomaly positions).
    pub offset: u64,
}

impl Framer {
    /// Feeds bytes; calls `on` with each message or `Err(length)` for each garbage run.
    pub(crate) fn push(
        &mut self,
        data: &[u8],
        on: &mut dyn FnMut(u64, Result<Message<'_>, usize>),
    ) {
        self.buf.extend_from_slice(data);
        let buf = std::mem::take(&mut self.buf);
        let mut pos = 0;
        loop {
            let rest = buf.get(pos..).unwrap_or_default();
            match parse(rest) {
                Ok(Some((message, used))) => {
                    on(self.offset, Ok(message));
                    self.offset += used as u64;
                    pos += used;
                }
                Ok(None) => break,
                Err(()) => {
                    // Skip to the next byte that could start a message.
                    let skip = (1..rest.len())
                        .find(|&i| rest.get(i..).is_some_and(|r| parse(r).is_ok()))
                        .unwrap_or(rest.len());
                    on(self.offset, Err(skip));
                    self.offset += skip as u64;
                    pos += skip;
                }
            }
        }
        let tail = buf.get(pos..).unwrap_or_default();
        if tail.len() > MAX_MESSAGE {
            on(self.offset, Err(tail.len()));
            self.offset += tail.len() as u64;
        } else {
            self.buf.extend_from_slice(tail);
        }
    }

    pub(crate) fn gap(&mut self, len: u64) {
        self.offset += self.buf.len() as u64 + len;
        self.buf.clear();
    }
}
