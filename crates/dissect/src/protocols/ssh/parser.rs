//! The identification line (RFC 4253 §4.2) and the binary packet header (§6). No indexing.

use crate::Confidence;

pub(crate) const MAGIC: &[u8] = b"SSH-";
/// Longest identification string, CR LF included (RFC 4253 §4.2).
pub(crate) const MAX_IDENT: usize = 255;
/// Longest line a server may send before its identification (the RFC sets no limit; login
/// notices are short).
pub(crate) const MAX_PRE_LINE: usize = 1024;
/// Total bytes of such lines accepted before giving up.
pub(crate) const MAX_PRE_TOTAL: usize = 8 * 1024;
/// Largest packet_length accepted (RFC 4253 §6.1 requires 35000 to be handled; larger ones
/// exist with big key exchange payloads).
pub(crate) const MAX_PACKET: u32 = 256 * 1024;

/// The first line of `b`, without its line end, if it is complete within `max` bytes:
/// `Some(Ok((line, used)))`; `Some(Err(()))` when longer; `None` when more is needed.
pub(crate) fn line(b: &[u8], max: usize) -> Option<Result<(&[u8], usize), ()>> {
    let window = b.get(..b.len().min(max)).unwrap_or(b);
    match window.iter().position(|&c| c == b'\n') {
        Some(end) => {
            let text = window.get(..end).unwrap_or_default();
            Some(Ok((text.strip_suffix(b"\r").unwrap_or(text), end + 1)))
        }
        None if b.len() >= max => Some(Err(())),
        None => None,
    }
}

/// A binary packet header: packet_length, padding_length and the message number.
pub(crate) fn packet_header(b: &[u8]) -> Option<(u32, u8, u8)> {
    let &[l0, l1, l2, l3, padding, number] = b.first_chunk::<6>()?;
    Some((u32::from_be_bytes([l0, l1, l2, l3]), padding, number))
}

/// Recognition: a stream starting with `SSH-`.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    let n = data.len().min(MAGIC.len());
    if data.get(..n) != MAGIC.get(..n) {
        Confidence::NotMine
    } else if n < MAGIC.len() {
        Confidence::NeedMore
    } else {
        Confidence::Certain
    }
}
