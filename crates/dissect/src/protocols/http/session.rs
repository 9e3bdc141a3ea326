//! One HTTP/1.x connection: a framer per direction (header block, then the body skipped by
//! its length or chunk by chunk), requests paired with responses first-in first-out.

use super::parser::{
    chunk_size, fields, head_len, host_without_port, request_line, request_start, response_start,
    status_line, Check, Fields, MAX_CHUNK_LINE, MAX_HEAD,
};
use super::types::{method, method_name, UNSEEN};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use std::collections::VecDeque;
use zonewarden_model::{Direction, Timestamp};

/// Requests awaiting their response (pipelining depth); past it the oldest is forgotten.
const MAX_PENDING: usize = 64;
/// Longest identity value kept (characters).
const MAX_VALUE: usize = 256;
/// Trailer section after the last chunk (RFC 9112 §7.1.2) accepted before resynchronising.
const MAX_TRAILER: usize = MAX_HEAD;

/// Where a direction's framer is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Expecting a start line and header block.
    #[default]
    Head,
    /// Skipping this many body bytes.
    Length(u64),
    /// Expecting a chunk-size line.
    ChunkSize,
    /// Skipping this many chunk-data bytes.
    ChunkData(u64),
    /// Expecting the CRLF after chunk data.
    ChunkEnd,
    /// Expecting trailer fields up to an empty line.
    Trailer,
    /// Looking for the next message start at a line start; `after_lf`: the byte before the
    /// buffer ended a line.
    Resync { after_lf: bool },
    /// Not HTTP any more (tunnel, upgrade) or the body runs to the close: ignore until a gap.
    Stopped,
}

#[derive(Debug, Default)]
struct Side {
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    offset: u64,
    mode: Mode,
    /// A loss of framing was reported and no message has been parsed since: do not report
    /// again.
    lost: bool,
}

/// A request awaiting its response.
#[derive(Debug, Clone, Copy)]
struct Pending {
    code: u16,
}

#[derive(Debug, Default)]
pub(crate) struct HttpSession {
    sides: [Side; 2],
    pending: VecDeque<Pending>,
}

fn operation(code: u16) -> Operation {
    let (name, class) = method_name(code);
    Operation {
        protocol: Protocol::Http,
        code,
        subcode: None,
        name,
        class,
    }
}

/// A header value as identity text: control characters dropped, length capped.
fn text(value: &[u8]) -> String {
    String::from_utf8_lossy(value)
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_VALUE)
        .collect()
}

/// What one framing step did.
enum Step {
    /// Consumed this many bytes (possibly none, when the mode changed).
    Used(usize),
    Wait,
}

impl HttpSession {
    fn step(&mut self, dir: Direction, rest: &[u8], out: &mut Output<'_>) -> Step {
        let slot = usize::from(dir == Direction::ToClient);
        let Some(side) = self.sides.get(slot) else {
            return Step::Wait;
        };
        let (mode, offset, lost) = (side.mode, side.offset, side.lost);
        match mode {
            Mode::Stopped => Step::Used(rest.len()),
            Mode::Length(n) => {
                if rest.is_empty() {
                    return Step::Wait;
                }
                let take = n.min(rest.len() as u64);
                self.set_mode(
                    slot,
                    if take == n {
                        Mode::Head
                    } else {
                        Mode::Length(n - take)
                    },
                );
                Step::Used(usize::try_from(take).unwrap_or(rest.len()))
            }
            Mode::ChunkData(n) => {
                if rest.is_empty() {
                    return Step::Wait;
                }
                let take = n.min(rest.len() as u64);
                let next = if take == n {
                    Mode::ChunkEnd
                } else {
                    Mode::ChunkData(n - take)
                };
                self.set_mode(slot, next);
                Step::Used(usize::try_from(take).unwrap_or(rest.len()))
            }
            Mode::ChunkEnd => match rest {
                [] | [b'\r'] => Step::Wait,
                [b'\r', b'\n', ..] => {
                    self.set_mode(slot, Mode::ChunkSize);
                    Step::Used(2)
                }
                [b'\n', ..] => {
                    self.set_mode(slot, Mode::ChunkSize);
                    Step::Used(1)
                }
                _ => {
                    self.lose(dir, offset, "chunk data not followed by CRLF", out);
                    Step::Used(0)
                }
            },
            Mode::ChunkSize => {
                let window = rest.get(..rest.len().min(MAX_CHUNK_LINE)).unwrap_or(rest);
                match window.iter().position(|&c| c == b'\n') {
                    Some(end) => match chunk_size(window.get(..end).unwrap_or_default()) {
                        Some(0) => {
                            self.set_mode(slot, Mode::Trailer);
                            Step::Used(end + 1)
                        }
                        Some(n) => {
                            self.set_mode(slot, Mode::ChunkData(n));
                            Step::Used(end + 1)
                        }
                        None => {
                            self.lose(dir, offset, "malformed chunk size", out);
                            Step::Used(0)
                        }
                    },
                    None if rest.len() >= MAX_CHUNK_LINE => {
                        self.lose(dir, offset, "chunk-size line too long", out);
                        Step::Used(0)
                    }
                    None => Step::Wait,
                }
            }
            Mode::Trailer => {
                // The trailer section ends with an empty line, like a header block; with no
                // trailer fields the empty line comes at once.
                match rest {
                    [] | [b'\r'] => return Step::Wait,
                    [b'\r', b'\n', ..] => {
                        self.set_mode(slot, Mode::Head);
                        return Step::Used(2);
                    }
                    [b'\n', ..] => {
                        self.set_mode(slot, Mode::Head);
                        return Step::Used(1);
                    }
                    _ => {}
                }
                match head_len(rest) {
                    Some(len) if len <= MAX_TRAILER => {
                        self.set_mode(slot, Mode::Head);
                        Step::Used(len)
                    }
                    _ if rest.len() >= MAX_TRAILER => {
                        self.lose(dir, offset, "trailer section too long", out);
                        Step::Used(0)
                    }
                    _ => Step::Wait,
                }
            }
            Mode::Resync { after_lf } => {
                for i in 0..rest.len() {
                    let line_start = if i == 0 {
                        after_lf
                    } else {
                        rest.get(i - 1) == Some(&b'\n')
                    };
                    if !line_start {
                        continue;
                    }
                    let candidate = rest.get(i..).unwrap_or_default();
                    match start(dir, candidate, true) {
                        Check::Yes => {
                            self.set_mode(slot, Mode::Head);
                            return Step::Used(i);
                        }
                        Check::NeedMore if i == 0 => return Step::Wait,
                        Check::NeedMore => {
                            self.set_mode(slot, Mode::Resync { after_lf: true });
                            return Step::Used(i);
                        }
                        Check::No => {}
                    }
                }
                let after_lf = rest.last().is_some_and(|&c| c == b'\n');
                self.set_mode(slot, Mode::Resync { after_lf });
                Step::Used(rest.len())
            }
            Mode::Head => {
                // Empty lines before a message are ignored (RFC 9112 §2.2).
                let blank = rest
                    .iter()
                    .take_while(|&&c| c == b'\r' || c == b'\n')
                    .count();
                if blank > 0 {
                    return Step::Used(blank);
                }
                match start(dir, rest, false) {
                    Check::No => {
                        self.not_a_message(dir, offset, lost, out);
                        return Step::Used(1);
                    }
                    Check::NeedMore => return Step::Wait,
                    Check::Yes => {}
                }
                let Some(len) = head_len(rest) else {
                    if rest.len() >= MAX_HEAD {
                        if !lost {
                            out.anomaly(
                                dir,
                                offset,
                                format_args!(
                                    "HTTP header block longer than {MAX_HEAD} bytes; resynchronising"
                                ),
                            );
                        }
                        self.resync(slot, false);
                        return Step::Used(1);
                    }
                    return Step::Wait;
                };
                let block = rest.get(..len).unwrap_or_default();
                if self.message(dir, offset, block, out) {
                    if let Some(side) = self.sides.get_mut(slot) {
                        side.lost = false;
                    }
                    Step::Used(len)
                } else {
                    self.not_a_message(dir, offset, lost, out);
                    Step::Used(1)
                }
            }
        }
    }

    fn set_mode(&mut self, slot: usize, mode: Mode) {
        if let Some(side) = self.sides.get_mut(slot) {
            side.mode = mode;
        }
    }

    fn resync(&mut self, slot: usize, after_lf: bool) {
        if let Some(side) = self.sides.get_mut(slot) {
            side.mode = Mode::Resync { after_lf };
            side.lost = true;
        }
    }

    /// Framing inside a body was lost: report once and look for the next message start.
    fn lose(&mut self, dir: Direction, offset: u64, why: &str, out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        out.anomaly(dir, offset, format_args!("{why}; resynchronising"));
        self.resync(slot, false);
    }

    /// Bytes where a message should start are not one: skip a byte and resynchronise.
    fn not_a_message(&mut self, dir: Direction, offset: u64, lost: bool, out: &mut Output<'_>) {
        if !lost {
            let what = match dir {
                Direction::ToServer => "request",
                Direction::ToClient => "response",
            };
            out.anomaly(
                dir,
                offset,
                format_args!("not an HTTP {what} start line; resynchronising"),
            );
        }
        self.resync(usize::from(dir == Direction::ToClient), false);
    }

    /// A whole header block; `false` when its start line is malformed.
    fn message(&mut self, dir: Direction, offset: u64, block: &[u8], out: &mut Output<'_>) -> bool {
        let line = block.split(|&c| c == b'\n').next().unwrap_or_default();
        let f = fields(block);
        match dir {
            Direction::ToServer => {
                let Some(token) = request_line(line) else {
                    return false;
                };
                self.request(offset, method(token), &f, out);
            }
            Direction::ToClient => {
                let Some(status) = status_line(line) else {
                    return false;
                };
                self.response(offset, status, &f, out);
            }
        }
        true
    }

    fn request(&mut self, offset: u64, code: u16, f: &Fields<'_>, out: &mut Output<'_>) {
        let dir = Direction::ToServer;
        out.operation(operation(code), MessageKind::Request, false, None);
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(Pending { code });
        if let Some(ua) = f.user_agent {
            out.identity(true, "http_user_agent", text(ua));
        }
        if let Some(host) = f.host {
            out.identity(
                false,
                "http_host",
                text(host_without_port(host)).to_ascii_lowercase(),
            );
        }
        if f.basic_auth {
            // Credentials cross the network base64-encoded only (RFC 7617 §4): a finding about
            // both ends. The value is never read.
            out.identity(true, "http_basic_auth", "seen".to_string());
            out.identity(false, "http_basic_auth", "seen".to_string());
        }
        // Request body length (RFC 9112 §6.3 rules 4–6): chunked, Content-Length, else none.
        let mode = if f.transfer_encoding {
            if f.chunked {
                Mode::ChunkSize
            } else {
                out.anomaly(
                    dir,
                    offset,
                    "request Transfer-Encoding without chunked; resynchronising",
                );
                Mode::Resync { after_lf: false }
            }
        } else {
            match f.content_length {
                Ok(Some(0)) | Ok(None) => Mode::Head,
                Ok(Some(n)) => Mode::Length(n),
                Err(()) => {
                    out.anomaly(
                        dir,
                        offset,
                        "invalid Content-Length in request; resynchronising",
                    );
                    Mode::Resync { after_lf: false }
                }
            }
        };
        self.set_mode(0, mode);
        if matches!(mode, Mode::Resync { .. }) {
            self.resync(0, false);
        }
    }

    fn response(&mut self, offset: u64, status: u16, f: &Fields<'_>, out: &mut Output<'_>) {
        let dir = Direction::ToClient;
        if let Some(server) = f.server {
            out.identity(false, "http_server", text(server));
        }
        // Interim responses (RFC 9110 §15.2) precede the final one: no body, no pairing.
        if (100..200).contains(&status) && status != 101 {
            return;
        }
        let (code, kind) = match self.pending.pop_front() {
            Some(p) => (p.code, MessageKind::Response),
            None => (UNSEEN, MessageKind::UnmatchedResponse),
        };
        out.operation(operation(code), kind, status >= 400, None);
        // The connection stops carrying HTTP: 101 Switching Protocols (RFC 9110 §15.2.2), or a
        // successful CONNECT opens a tunnel (RFC 9110 §9.3.6).
        if status == 101 || (code == 9 && (200..300).contains(&status)) {
            self.set_mode(0, Mode::Stopped);
            self.set_mode(1, Mode::Stopped);
            return;
        }
        // Response body length (RFC 9112 §6.3 rules 1–8).
        let mode = if code == 2 || status == 204 || status == 304 {
            Mode::Head
        } else if f.transfer_encoding {
            if f.chunked {
                Mode::ChunkSize
            } else {
                Mode::Stopped
            }
        } else {
            match f.content_length {
                Ok(Some(0)) => Mode::Head,
                Ok(Some(n)) => Mode::Length(n),
                Ok(None) => Mode::Stopped,
                Err(()) => {
                    out.anomaly(
                        dir,
                        offset,
                        "invalid Content-Length in response; direction no longer parsed",
                    );
                    Mode::Stopped
                }
            }
        };
        self.set_mode(1, mode);
    }
}

/// Could `b` begin a message of this direction?
fn start(dir: Direction, b: &[u8], known: bool) -> Check {
    match dir {
        Direction::ToServer => request_start(b, known),
        Direction::ToClient => response_start(b),
    }
}

impl Session for HttpSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        let Some(side) = self.sides.get_mut(slot) else {
            return;
        };
        if side.mode == Mode::Stopped {
            side.offset += data.len() as u64;
            return;
        }
        let mut buf = std::mem::take(&mut side.buf);
        buf.extend_from_slice(data);
        let mut pos = 0usize;
        // Every step consumes bytes or changes the mode; a mode change without consumption
        // is followed by one that consumes or waits, so this ends.
        let mut idle = 0u8;
        while pos <= buf.len() {
            let rest = buf.get(pos..).unwrap_or_default();
            match self.step(dir, rest, out) {
                Step::Used(0) => {
                    idle += 1;
                    if idle > 4 {
                        break;
                    }
                }
                Step::Used(n) => {
                    idle = 0;
                    pos += n;
                    if let Some(side) = self.sides.get_mut(slot) {
                        side.offset += n as u64;
                    }
                }
                Step::Wait => break,
            }
            if pos >= buf.len() {
                break;
            }
        }
        buf.drain(..pos.min(buf.len()));
        if let Some(side) = self.sides.get_mut(slot) {
            side.buf = buf;
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        // Requests or responses may have been lost: pairing starts over.
        self.pending.clear();
        let slot = usize::from(dir == Direction::ToClient);
        if let Some(side) = self.sides.get_mut(slot) {
            side.offset = side
                .offset
                .saturating_add(side.buf.len() as u64)
                .saturating_add(len);
            side.buf.clear();
            // Segments usually start at message boundaries: look for a start right away.
            side.mode = Mode::Resync { after_lf: true };
            side.lost = true;
        }
    }
}
