//! One FTP control connection: a line framer per direction, commands paired with their final
//! replies first-in first-out, the greeting as the banner, the login noticed (never kept).

use super::parser::{keyword, line, reply_code, MAX_LINE};
use super::types::{command, command_name, AUTH, PASS, UNSEEN, USER};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use std::collections::VecDeque;
use zonewarden_model::{Direction, Timestamp};

/// Commands awaiting a reply; past it the oldest is forgotten.
const MAX_PENDING: usize = 64;
/// Longest banner kept (characters).
const MAX_BANNER: usize = 120;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Mode {
    #[default]
    Lines,
    /// A line longer than [`MAX_LINE`]: skipping to its end.
    SkipLine,
    /// TLS after AUTH, or nothing more to parse: ignored.
    Stopped,
}

#[derive(Debug, Default)]
struct Side {
    buf: Vec<u8>,
    offset: u64,
    mode: Mode,
}

#[derive(Debug, Default)]
pub(crate) struct FtpSession {
    sides: [Side; 2],
    pending: VecDeque<u16>,
    /// The code of an open multi-line reply and whether it is the greeting.
    multi: Option<(u16, bool)>,
    /// A reply was seen.
    greeted: bool,
    user_sent: bool,
}

fn operation(code: u16) -> Operation {
    let (name, class) = command_name(code);
    Operation {
        protocol: Protocol::Ftp,
        code,
        subcode: None,
        name,
        class,
    }
}

impl FtpSession {
    fn command_line(&mut self, text: &[u8], out: &mut Output<'_>) {
        let word = keyword(text);
        if word.is_empty() {
            return;
        }
        let code = command(word);
        out.operation(operation(code), MessageKind::Request, false, None);
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(code);
        match code {
            USER => self.user_sent = true,
            PASS if self.user_sent => {
                // The password crossed the network in the clear (RFC 959 §5.3.1, RFC 2577
                // §4): a finding about both ends. Neither argument is read.
                out.identity(true, "cleartext_login", "ftp".to_string());
                out.identity(false, "cleartext_login", "ftp".to_string());
            }
            _ => {}
        }
    }

    fn reply_line(&mut self, dir: Direction, offset: u64, text: &[u8], out: &mut Output<'_>) {
        let parsed = reply_code(text);
        if let Some((code, greeting)) = self.multi {
            // Inside a multi-line reply only `code SP` ends it.
            if parsed == Some((code, false)) {
                self.multi = None;
                if !greeting {
                    self.pair(code, out);
                }
            }
            return;
        }
        let Some((code, continues)) = parsed else {
            out.anomaly(dir, offset, "FTP reply line without a reply code");
            return;
        };
        // The greeting is the server's first reply (RFC 959 §5.4 "Connection Establishment").
        let greeting = !self.greeted && offset == 0 && self.pending.is_empty();
        self.greeted = true;
        if greeting && code == 220 {
            let banner = text.get(4..).unwrap_or_default();
            let banner: String = String::from_utf8_lossy(banner)
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_BANNER)
                .collect();
            out.identity(false, "ftp_banner", banner);
        }
        if continues {
            self.multi = Some((code, greeting));
            return;
        }
        if !greeting {
            self.pair(code, out);
        }
    }

    /// A complete reply: preliminary ones (1xx) wait for the final one (RFC 959 §4.2).
    fn pair(&mut self, reply: u16, out: &mut Output<'_>) {
        if reply < 200 {
            return;
        }
        let (code, kind) = match self.pending.pop_front() {
            Some(code) => (code, MessageKind::Response),
            None => (UNSEEN, MessageKind::UnmatchedResponse),
        };
        out.operation(operation(code), kind, reply >= 400, None);
        // 234: the security exchange (TLS) starts on this connection (RFC 2228 §3, RFC 4217
        // §4): nothing more is readable.
        if code == AUTH && reply == 234 {
            for side in &mut self.sides {
                side.mode = Mode::Stopped;
            }
        }
    }
}

impl Session for FtpSession {
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
        while pos < buf.len() {
            let Some(side) = self.sides.get_mut(slot) else {
                break;
            };
            let rest = buf.get(pos..).unwrap_or_default();
            let offset = side.offset;
            let used = match side.mode {
                Mode::Stopped => rest.len(),
                Mode::SkipLine => match rest.iter().position(|&c| c == b'\n') {
                    Some(end) => {
                        side.mode = Mode::Lines;
                        end + 1
                    }
                    None => rest.len(),
                },
                Mode::Lines => match line(rest) {
                    None => break,
                    Some(Err(())) => {
                        out.anomaly(
                            dir,
                            offset,
                            format_args!("FTP line longer than {MAX_LINE} bytes; skipped"),
                        );
                        side.mode = Mode::SkipLine;
                        0
                    }
                    Some(Ok((text, used))) => {
                        match dir {
                            Direction::ToServer => self.command_line(text, out),
                            Direction::ToClient => self.reply_line(dir, offset, text, out),
                        }
                        used
                    }
                },
            };
            if let Some(side) = self.sides.get_mut(slot) {
                side.offset += used as u64;
            }
            pos += used;
        }
        buf.drain(..pos.min(buf.len()));
        if let Some(side) = self.sides.get_mut(slot) {
            if side.mode == Mode::Stopped {
                side.offset += buf.len() as u64;
                buf.clear();
            }
            // Lines are cut at MAX_LINE: the buffer never holds more.
            side.buf = buf;
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        self.pending.clear();
        let slot = usize::from(dir == Direction::ToClient);
        if dir == Direction::ToClient {
            self.multi = None;
        }
        if let Some(side) = self.sides.get_mut(slot) {
            side.offset = side
                .offset
                .saturating_add(side.buf.len() as u64)
                .saturating_add(len);
            side.buf.clear();
            if side.mode != Mode::Stopped {
                // The next line end starts a whole line.
                side.mode = Mode::SkipLine;
            }
        }
    }
}
