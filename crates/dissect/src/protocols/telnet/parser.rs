//! Recognition of a Telnet stream's first bytes (RFC 854 command structure). No indexing.

use super::types::{DONT, IAC, SB, SE, WILL};
use crate::Confidence;

/// Commands at the start of `b`: how many whole, well-formed ones follow each other, and
/// whether the bytes after them are consistent (`None` when a malformed command is met).
fn commands(b: &[u8]) -> Option<(usize, bool)> {
    let mut rest = b;
    let mut count = 0usize;
    loop {
        match rest {
            [] => return Some((count, true)),
            [IAC] => return Some((count, true)),
            [IAC, cmd, tail @ ..] if (WILL..=DONT).contains(cmd) => match tail.split_first() {
                // Options are small numbers (IANA Telnet options: 0–49, 138–140, 255).
                Some((&option, after))
                    if option <= 50 || (138..=140).contains(&option) || option == 255 =>
                {
                    count += 1;
                    rest = after;
                }
                Some(_) => return None,
                None => return Some((count, true)),
            },
            [IAC, SB, tail @ ..] => match tail.windows(2).position(|w| w == [IAC, SE]) {
                Some(end) => {
                    count += 1;
                    rest = tail.get(end + 2..).unwrap_or_default();
                }
                None => return Some((count, true)),
            },
            // NOP, data mark, break, interrupt, abort output, are you there, erase, go ahead.
            [IAC, cmd, tail @ ..] if (241..=249).contains(cmd) => {
                count += 1;
                rest = tail;
            }
            [IAC, ..] => return None,
            // Text after the negotiation.
            _ => return Some((count, false)),
        }
    }
}

/// Printable text as a login banner is: ASCII letters, digits, punctuation, spaces, line ends,
/// tabs and escape sequences.
fn printable(b: &[u8]) -> bool {
    b.iter()
        .all(|&c| (0x20..0x7F).contains(&c) || matches!(c, b'\r' | b'\n' | b'\t' | 0x1B | 0))
}

/// Starts of other text protocols that are not Telnet.
fn other_text_protocol(b: &[u8]) -> bool {
    let three_digits = b.get(..3).is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        && matches!(b.get(3), Some(b' ' | b'-'));
    three_digits
        || [
            &b"SSH-"[..],
            b"HTTP/",
            b"+OK",
            b"* OK",
            b"GET ",
            b"POST ",
            b"fox a",
        ]
        .iter()
        .any(|p| b.starts_with(p))
}

/// Two negotiation commands in a row are certain; one, or printable text, is a guess.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    match data.first() {
        None => Confidence::NeedMore,
        Some(&IAC) => match commands(data) {
            None => Confidence::NotMine,
            Some((n, _)) if n >= 2 => Confidence::Certain,
            Some((1, _)) => Confidence::Maybe,
            Some(_) => Confidence::NeedMore,
        },
        Some(_) => {
            let head = data.get(..data.len().min(64)).unwrap_or(data);
            if printable(head) && !other_text_protocol(data) {
                Confidence::Maybe
            } else {
                Confidence::NotMine
            }
        }
    }
}
