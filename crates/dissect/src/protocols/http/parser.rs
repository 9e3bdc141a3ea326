//! HTTP/1.x start lines and header blocks (RFC 9112 §2–§5), borrowed and length-checked, and
//! the probe. Nothing here indexes or allocates.

use crate::Confidence;

/// Largest header block (start line, fields, empty line) accepted. Servers commonly refuse more
/// than 8–16 KiB; past this the direction is resynchronised.
pub(crate) const MAX_HEAD: usize = 16 * 1024;
/// Longest method token accepted (the registered ones have at most 17 characters).
const MAX_METHOD: usize = 20;
/// Longest chunk-size line (size, extensions) accepted (RFC 9112 §7.1.1).
pub(crate) const MAX_CHUNK_LINE: usize = 1024;

/// Whether bytes can begin a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    Yes,
    No,
    NeedMore,
}

/// `tchar` of RFC 9110 §5.6.2 as used in method names: registered methods are upper case
/// letters and `-`/`_` (M-SEARCH).
fn method_char(c: u8) -> bool {
    c.is_ascii_uppercase() || c == b'-' || c == b'_'
}

/// Could `b` begin a request (`METHOD SP`)? With `known`, only methods in the table count,
/// which keeps resynchronisation from stopping on body text such as `HELLO WORLD`.
pub(crate) fn request_start(b: &[u8], known: bool) -> Check {
    for (i, &c) in b.iter().enumerate().take(MAX_METHOD + 1) {
        if c == b' ' {
            let token = b.get(..i).unwrap_or_default();
            return if i == 0 || (known && super::types::method(token) == super::types::OTHER) {
                Check::No
            } else {
                Check::Yes
            };
        }
        if !method_char(c) {
            return Check::No;
        }
    }
    if b.len() > MAX_METHOD {
        Check::No
    } else {
        Check::NeedMore
    }
}

const VERSION: &[u8] = b"HTTP/1.";

/// Could `b` begin a response (`HTTP/1.`)?
pub(crate) fn response_start(b: &[u8]) -> Check {
    let n = b.len().min(VERSION.len());
    if b.get(..n) != VERSION.get(..n) {
        Check::No
    } else if n < VERSION.len() {
        Check::NeedMore
    } else {
        Check::Yes
    }
}

/// A request line (RFC 9112 §3): the method token and the minor version.
pub(crate) fn request_line(line: &[u8]) -> Option<&[u8]> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let sp = line.iter().position(|&c| c == b' ')?;
    let method = line.get(..sp)?;
    if method.is_empty() || method.len() > MAX_METHOD || !method.iter().all(|&c| method_char(c)) {
        return None;
    }
    let rest = line.get(sp + 1..)?;
    let sp2 = rest.iter().rposition(|&c| c == b' ')?;
    let target = rest.get(..sp2)?;
    let version = rest.get(sp2 + 1..)?;
    // The target has no white space or control characters (RFC 9112 §3.2).
    if target.is_empty() || target.iter().any(|&c| c <= b' ' || c == 0x7F) {
        return None;
    }
    version_ok(version).then_some(method)
}

/// `HTTP/1.` and one digit.
fn version_ok(v: &[u8]) -> bool {
    matches!(v.strip_prefix(VERSION), Some([d]) if d.is_ascii_digit())
}

/// A status line (RFC 9112 §4): the status code.
pub(crate) fn status_line(line: &[u8]) -> Option<u16> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let (version, rest) = line.split_at_checked(VERSION.len() + 1)?;
    if !version_ok(version) {
        return None;
    }
    let rest = rest.strip_prefix(b" ")?;
    let (code, reason) = rest.split_at_checked(3)?;
    if !code.iter().all(u8::is_ascii_digit) || !(reason.is_empty() || reason.starts_with(b" ")) {
        return None;
    }
    let mut value = 0u16;
    for &d in code {
        value = value * 10 + u16::from(d - b'0');
    }
    (100..=999).contains(&value).then_some(value)
}

/// Length of the header block at the start of `b` (through its empty line), looked for within
/// the first [`MAX_HEAD`] bytes only, so the answer does not depend on how much is buffered.
/// Lines end with LF, optionally preceded by CR (RFC 9112 §2.2 allows a bare LF).
pub(crate) fn head_len(b: &[u8]) -> Option<usize> {
    let window = b.get(..b.len().min(MAX_HEAD)).unwrap_or_default();
    let mut line_start = 0usize;
    for (i, &c) in window.iter().enumerate() {
        if c != b'\n' {
            continue;
        }
        let line = window.get(line_start..i).unwrap_or_default();
        if line_start > 0 && (line.is_empty() || line == b"\r") {
            return Some(i + 1);
        }
        line_start = i + 1;
    }
    None
}

/// What the header fields say, borrowed from the block.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Fields<'a> {
    pub host: Option<&'a [u8]>,
    pub server: Option<&'a [u8]>,
    pub user_agent: Option<&'a [u8]>,
    /// `Authorization` or `Proxy-Authorization` with the Basic scheme (RFC 7617). Only the
    /// fact is kept.
    pub basic_auth: bool,
    /// The last transfer coding is `chunked` (RFC 9112 §6.1).
    pub chunked: bool,
    /// A Transfer-Encoding field is present.
    pub transfer_encoding: bool,
    /// Content-Length: `Ok(None)` absent, `Err` invalid or conflicting (RFC 9112 §6.3 rule 5).
    pub content_length: Result<Option<u64>, ()>,
}

/// The fields of a header block (the lines after the start line).
pub(crate) fn fields(block: &[u8]) -> Fields<'_> {
    let mut f = Fields {
        host: None,
        server: None,
        user_agent: None,
        basic_auth: false,
        chunked: false,
        transfer_encoding: false,
        content_length: Ok(None),
    };
    for line in block.split(|&c| c == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // Obsolete line folding (RFC 9112 §5.2) continues the previous value: ignored.
        if line.first().is_some_and(|&c| c == b' ' || c == b'\t') {
            continue;
        }
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let (Some(name), Some(value)) = (line.get(..colon), line.get(colon + 1..)) else {
            continue;
        };
        let value = value.trim_ascii();
        if name.eq_ignore_ascii_case(b"host") {
            f.host.get_or_insert(value);
        } else if name.eq_ignore_ascii_case(b"server") {
            f.server.get_or_insert(value);
        } else if name.eq_ignore_ascii_case(b"user-agent") {
            f.user_agent.get_or_insert(value);
        } else if name.eq_ignore_ascii_case(b"authorization")
            || name.eq_ignore_ascii_case(b"proxy-authorization")
        {
            let scheme = value.split(|&c| c == b' ').next().unwrap_or_default();
            f.basic_auth |= scheme.eq_ignore_ascii_case(b"basic");
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            f.transfer_encoding = true;
            let last = value.rsplit(|&c| c == b',').next().unwrap_or_default();
            f.chunked = last.trim_ascii().eq_ignore_ascii_case(b"chunked");
        } else if name.eq_ignore_ascii_case(b"content-length") {
            f.content_length = merge_length(f.content_length, value);
        }
    }
    f
}

/// Content-Length values, possibly repeated or comma-separated: all must be the same number.
fn merge_length(seen: Result<Option<u64>, ()>, value: &[u8]) -> Result<Option<u64>, ()> {
    let mut seen = seen?;
    for part in value.split(|&c| c == b',') {
        let part = part.trim_ascii();
        if part.is_empty() || part.len() > 19 || !part.iter().all(u8::is_ascii_digit) {
            return Err(());
        }
        let mut n = 0u64;
        for &d in part {
            n = n * 10 + u64::from(d - b'0');
        }
        match seen {
            Some(m) if m != n => return Err(()),
            _ => seen = Some(n),
        }
    }
    Ok(seen)
}

/// A chunk-size line (RFC 9112 §7.1): hex digits, then optional extensions after `;`.
pub(crate) fn chunk_size(line: &[u8]) -> Option<u64> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let digits = line
        .split(|&c| c == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    if digits.is_empty() || digits.len() > 15 {
        return None;
    }
    let mut n = 0u64;
    for &d in digits {
        n = n * 16 + u64::from(char::from(d).to_digit(16)?);
    }
    Some(n)
}

/// The host of a Host field value without its port (RFC 9110 §7.2: `uri-host [":" port]`;
/// an IPv6 literal keeps its brackets).
pub(crate) fn host_without_port(value: &[u8]) -> &[u8] {
    if value.starts_with(b"[") {
        return match value.iter().position(|&c| c == b']') {
            Some(end) => value.get(..=end).unwrap_or(value),
            None => value,
        };
    }
    match value.iter().rposition(|&c| c == b':') {
        Some(colon)
            if value
                .get(colon + 1..)
                .is_some_and(|p| p.iter().all(u8::is_ascii_digit)) =>
        {
            value.get(..colon).unwrap_or(value)
        }
        _ => value,
    }
}

/// Recognition from a direction's first bytes: a whole request or status line is certain; the
/// beginning of a request with a known method is maybe; a consistent prefix needs more.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    match response_start(data) {
        Check::NeedMore => return Confidence::NeedMore,
        Check::Yes => {
            let line = data.split(|&c| c == b'\n').next().unwrap_or_default();
            // "HTTP/1.1 200" is enough; more of the line is not needed to be sure.
            let head = line
                .get(..line.len().min(VERSION.len() + 5))
                .unwrap_or(line);
            return if head.len() < VERSION.len() + 5 && !data.contains(&b'\n') {
                Confidence::NeedMore
            } else if status_line(head).is_some() || status_line(line).is_some() {
                Confidence::Certain
            } else {
                Confidence::NotMine
            };
        }
        Check::No => {}
    }
    match request_start(data, false) {
        Check::No => Confidence::NotMine,
        Check::NeedMore => Confidence::NeedMore,
        Check::Yes => match data.iter().position(|&c| c == b'\n') {
            Some(end) => {
                if request_line(data.get(..end).unwrap_or_default()).is_some() {
                    Confidence::Certain
                } else {
                    Confidence::NotMine
                }
            }
            None if partial_request_line(data) => {
                if request_start(data, true) == Check::Yes {
                    Confidence::Maybe
                } else {
                    Confidence::NeedMore
                }
            }
            None => Confidence::NotMine,
        },
    }
}

/// A request line not yet ended: method, space, target characters, and a prefix of
/// ` HTTP/1.x\r`.
fn partial_request_line(b: &[u8]) -> bool {
    let Some(sp) = b.iter().position(|&c| c == b' ') else {
        return false;
    };
    let rest = b.get(sp + 1..).unwrap_or_default();
    match rest.iter().position(|&c| c == b' ') {
        None => rest.iter().all(|&c| c > b' ' && c != 0x7F),
        Some(sp2) => {
            let target = rest.get(..sp2).unwrap_or_default();
            let tail = rest.get(sp2 + 1..).unwrap_or_default();
            let full = b"HTTP/1.1\r";
            !target.is_empty()
                && target.iter().all(|&c| c > b' ' && c != 0x7F)
                && tail.len() <= full.len()
                && tail
                    .iter()
                    .zip(full)
                    .enumerate()
                    .all(|(i, (&c, &f))| c == f || (i == VERSION.len() && c.is_ascii_digit()))
        }
    }
}
