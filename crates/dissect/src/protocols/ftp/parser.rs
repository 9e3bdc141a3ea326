//! FTP control lines (RFC 959 §4.2 replies, §5.3 commands) and the probe. No indexing.

use crate::Confidence;

/// Longest control line accepted (commands are short; reply lines rarely pass 200 bytes).
pub(crate) const MAX_LINE: usize = 4096;

/// The first line of `b` without its line end and the bytes it used; `Some(Err(()))` when no
/// line end comes within [`MAX_LINE`] bytes, `None` when more is needed.
pub(crate) fn line(b: &[u8]) -> Option<Result<(&[u8], usize), ()>> {
    let window = b.get(..b.len().min(MAX_LINE)).unwrap_or(b);
    match window.iter().position(|&c| c == b'\n') {
        Some(end) => {
            let text = window.get(..end).unwrap_or_default();
            Some(Ok((text.strip_suffix(b"\r").unwrap_or(text), end + 1)))
        }
        None if b.len() >= MAX_LINE => Some(Err(())),
        None => None,
    }
}

/// A reply line: its code and whether it continues (`123-`) or ends (`123 ` or `123`) a
/// reply; `None` for a line without a code (inside a multi-line reply).
pub(crate) fn reply_code(line: &[u8]) -> Option<(u16, bool)> {
    let (digits, rest) = line.split_at_checked(3)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = digits
        .iter()
        .fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    match rest.first() {
        None | Some(b' ') => Some((code, false)),
        Some(b'-') => Some((code, true)),
        Some(_) => None,
    }
}

/// The command keyword of a line, after any Telnet IAC pairs (the "Synch" of RFC 959 §4.1.3).
pub(crate) fn keyword(line: &[u8]) -> &[u8] {
    let mut rest = line;
    while let [0xFF, _, tail @ ..] = rest {
        rest = tail;
    }
    // The Synch's data mark may arrive as a lone byte.
    let rest = match rest {
        [0xF2, tail @ ..] => tail,
        _ => rest,
    };
    rest.split(|&c| c == b' ').next().unwrap_or_default()
}

/// Recognition: a `220` greeting naming FTP (in any of its first 512 bytes) is certain; another `220` greeting, or a client
/// opening with a known command, is a guess.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    let n = data.len().min(3);
    if data.get(..n) == b"220".get(..n) {
        return match data.get(3) {
            None => Confidence::NeedMore,
            Some(b' ' | b'-') => {
                // The greeting's lines (a multi-line greeting often names the server last).
                let head = data.get(..data.len().min(512)).unwrap_or(data);
                let lower = head.to_ascii_lowercase();
                let has = |w: &[u8]| lower.windows(w.len()).any(|x| x == w);
                if (has(b"ftp") || has(b"filezilla")) && !has(b"smtp") {
                    Confidence::Certain
                } else {
                    Confidence::Maybe
                }
            }
            Some(_) => Confidence::NotMine,
        };
    }
    let word = keyword(data);
    let complete = data.len() > word.len();
    let known = super::types::command(word) != super::types::OTHER;
    if known && complete && matches!(data.get(word.len()), Some(b' ' | b'\r' | b'\n')) {
        Confidence::Maybe
    } else if !complete && word.len() <= 4 && word.iter().all(u8::is_ascii_alphabetic) {
        Confidence::NeedMore
    } else {
        Confidence::NotMine
    }
}
