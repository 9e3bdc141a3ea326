//! Fox framing: a header line, then `;;` or a `{ … };;` block whose binary blobs are skipped
//! by length; and TLS record framing for port 4911. Nothing here indexes.

use crate::Confidence;

/// A message prefix.
pub(crate) const MAGIC: &[u8] = b"fox ";
/// Largest Fox message buffered (hellos with system information are a few KiB). Also the cap
/// on the per-direction buffer.
pub(crate) const MAX_MESSAGE: usize = 64 * 1024;
/// TLS record header: content type, version, length.
const TLS_HEADER: usize = 5;

/// A complete Fox message: its command word and its body lines.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Message<'a> {
    pub command: &'a [u8],
    pub body: &'a [u8],
}

/// Outcome of looking for a message at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed<'a> {
    Message(Message<'a>, usize),
    NeedMore,
    NotFox,
}

fn line_end(b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&c| c == b'\n')
        .map(|p| from + p)
}

/// Where a binary blob starts in a `key=t:…` line and its length: the value is `<n>[` or
/// `<word> <n>[` followed by `n` raw bytes (which may hold newlines), then `]`.
fn blob(line: &[u8]) -> Option<(usize, usize)> {
    let eq = line.iter().position(|&c| c == b'=')?;
    let value = line.get(eq + 1..)?;
    // The one-letter type and its colon.
    let value = value.get(2..).filter(|_| value.get(1) == Some(&b':'))?;
    let open = value.iter().position(|&c| c == b'[')?;
    let before = value.get(..open)?;
    let number = match before.iter().rposition(|&c| c == b' ') {
        Some(space) => {
            let word = before.get(..space)?;
            if word.is_empty() || word.contains(&b' ') {
                return None;
            }
            before.get(space + 1..)?
        }
        None => before,
    };
    if number.is_empty() || number.len() > 7 || !number.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = std::str::from_utf8(number).ok()?.parse().ok()?;
    Some((eq + 1 + 2 + open + 1, n))
}

pub(crate) fn parse(b: &[u8]) -> Parsed<'_> {
    let prefix = b.len().min(MAGIC.len());
    if b.get(..prefix) != MAGIC.get(..prefix) {
        return Parsed::NotFox;
    }
    let Some(header_end) = line_end(b, 0) else {
        return if b.len() > 256 {
            Parsed::NotFox
        } else {
            Parsed::NeedMore
        };
    };
    let header = b.get(..header_end).unwrap_or_default();
    // `fox a 1 -1 fox hello`: the command is the sixth word.
    let command = header
        .split(|&c| c == b' ')
        .filter(|w| !w.is_empty())
        .nth(5)
        .unwrap_or_default();
    let body_start = header_end + 1;
    let mut pos = body_start;
    loop {
        if pos > MAX_MESSAGE {
            return Parsed::NotFox;
        }
        let Some(end) = line_end(b, pos) else {
            return Parsed::NeedMore;
        };
        let line = b.get(pos..end).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line == b";;" || line == b"};;" {
            let body = b.get(body_start..pos).unwrap_or_default();
            return Parsed::Message(Message { command, body }, end + 1);
        }
        match blob(line) {
            // The blob starts right after `[`; the line goes on after it (`]`).
            Some((start, n)) => match line_end(b, pos + start + n) {
                Some(e) => pos = e + 1,
                None => return Parsed::NeedMore,
            },
            None => pos = end + 1,
        }
    }
}

/// A TLS record at the start of `b`: `Some(Some(len))` whole, `Some(None)` partial.
pub(crate) fn tls_record(b: &[u8]) -> Option<Option<usize>> {
    let (&ct, rest) = b.split_first()?;
    if !(0x14..=0x17).contains(&ct) || rest.first().is_some_and(|&v| v != 3) {
        return None;
    }
    let Some(&[_, _, l0, l1]) = b.get(1..TLS_HEADER).and_then(|h| h.first_chunk::<4>()) else {
        return Some(None);
    };
    let total = TLS_HEADER + usize::from(u16::from_be_bytes([l0, l1]));
    Some((b.len() >= total).then_some(total))
}

/// Recognition: a whole Fox message is certain; its beginning is maybe; a TLS record is maybe
/// (only the port can tell Fox over TLS from any other TLS).
pub(crate) fn probe(data: &[u8]) -> Confidence {
    match parse(data) {
        Parsed::Message(..) => Confidence::Certain,
        Parsed::NeedMore if data.len() < MAGIC.len() => Confidence::NeedMore,
        Parsed::NeedMore => Confidence::Maybe,
        Parsed::NotFox => match tls_record(data) {
            Some(_) if data.len() >= TLS_HEADER => Confidence::Maybe,
            Some(_) => Confidence::NeedMore,
            None => Confidence::NotMine,
        },
    }
}
