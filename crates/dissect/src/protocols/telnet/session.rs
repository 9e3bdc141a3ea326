//! One Telnet connection: IAC commands removed byte by byte (so any split point gives the same
//! result), the server's first line kept as its banner, and the login prompts followed.

use super::types::{operation_name, DONT, IAC, LOGIN, SB, SE, WILL};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Longest subnegotiation accepted (terminal type, window size and environment options are a
/// few dozen bytes).
pub(crate) const MAX_SUBNEGOTIATION: usize = 4096;
/// Longest banner kept (characters).
pub(crate) const MAX_BANNER: usize = 120;
/// Server text remembered to spot prompts (lower-cased, never reported).
const WINDOW: usize = 16;

/// Where the command parser of one direction is (RFC 854).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Command {
    #[default]
    Data,
    /// After IAC.
    Iac,
    /// After IAC WILL/WONT/DO/DONT: the option byte.
    Option,
    /// Inside IAC SB …, with its length so far.
    Sub(usize),
    /// IAC inside a subnegotiation.
    SubIac(usize),
}

#[derive(Debug, Default)]
struct Side {
    command: Command,
    offset: u64,
}

/// Where the login dialogue is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Login {
    #[default]
    Idle,
    /// The server asked for a password; the client has not answered yet.
    PasswordAsked,
}

#[derive(Debug, Default)]
pub(crate) struct TelnetSession {
    sides: [Side; 2],
    login: Login,
    /// The server's first line, being collected.
    line: Vec<u8>,
    /// The banner was reported, or can no longer be (a prompt or a gap came first).
    banner_done: bool,
    /// Inside an ANSI escape sequence (ESC, then up to a letter).
    escape: bool,
    window: Vec<u8>,
}

fn operation(code: u16) -> Operation {
    let (name, class) = operation_name(code);
    Operation {
        protocol: Protocol::Telnet,
        code,
        subcode: None,
        name,
        class,
    }
}

impl TelnetSession {
    /// Advances the command parser by one byte; returns the byte if it is data.
    fn command(&mut self, slot: usize, dir: Direction, b: u8, out: &mut Output<'_>) -> Option<u8> {
        let side = self.sides.get_mut(slot)?;
        let offset = side.offset;
        side.offset += 1;
        let (next, data) = match (side.command, b) {
            (Command::Data, IAC) => (Command::Iac, None),
            (Command::Data, b) => (Command::Data, Some(b)),
            (Command::Iac, IAC) => (Command::Data, Some(IAC)),
            (Command::Iac, WILL..=DONT) => (Command::Option, None),
            (Command::Iac, SB) => (Command::Sub(0), None),
            (Command::Iac, _) => (Command::Data, None),
            (Command::Option, _) => (Command::Data, None),
            (Command::Sub(n), IAC) => (Command::SubIac(n), None),
            (Command::SubIac(_), SE) => (Command::Data, None),
            // IAC IAC is a data byte inside the subnegotiation; other commands are not
            // allowed there and are skipped alike.
            (Command::SubIac(n), _) => (Command::Sub(n + 1), None),
            (Command::Sub(n), _) => {
                if n >= MAX_SUBNEGOTIATION {
                    out.anomaly(
                        dir,
                        offset,
                        format_args!(
                            "Telnet subnegotiation longer than {MAX_SUBNEGOTIATION} bytes; ended"
                        ),
                    );
                    (Command::Data, None)
                } else {
                    (Command::Sub(n + 1), None)
                }
            }
        };
        side.command = next;
        data
    }

    /// A data byte from the server: banner and prompts.
    fn server_text(&mut self, b: u8, out: &mut Output<'_>) {
        if self.escape {
            self.escape = !b.is_ascii_alphabetic();
            return;
        }
        if b == 0x1B {
            self.escape = true;
            return;
        }
        if self.window.len() >= WINDOW {
            self.window.remove(0);
        }
        self.window.push(b.to_ascii_lowercase());
        if !self.banner_done {
            match b {
                b'\n' => {
                    if self.line.iter().any(|c| !c.is_ascii_whitespace()) {
                        self.banner(out);
                    } else {
                        self.line.clear();
                    }
                }
                0x20..=0x7E | b'\t' if self.line.len() < MAX_BANNER => self.line.push(b),
                _ => {}
            }
        }
        let w = self.window.as_slice();
        if w.ends_with(b"password:") {
            self.prompt(out);
            self.login = Login::PasswordAsked;
        } else if w.ends_with(b"login:") || w.ends_with(b"username:") || w.ends_with(b"user name:")
        {
            self.prompt(out);
        }
    }

    /// A prompt: the banner is the text so far if no line ended before (what follows the
    /// prompt may echo the user name).
    fn prompt(&mut self, out: &mut Output<'_>) {
        if !self.banner_done {
            self.banner(out);
        }
    }

    fn banner(&mut self, out: &mut Output<'_>) {
        self.banner_done = true;
        let line = std::mem::take(&mut self.line);
        out.identity(
            false,
            "telnet_banner",
            String::from_utf8_lossy(&line).into(),
        );
    }

    /// A data byte from the client: only whether it answers a password prompt matters; the
    /// byte itself is dropped.
    fn client_text(&mut self, out: &mut Output<'_>) {
        if self.login == Login::PasswordAsked {
            self.login = Login::Idle;
            out.operation(operation(LOGIN), MessageKind::Request, false, None);
            out.identity(true, "cleartext_login", "telnet".to_string());
            out.identity(false, "cleartext_login", "telnet".to_string());
        }
    }
}

impl Session for TelnetSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        for &b in data {
            let Some(byte) = self.command(slot, dir, b, out) else {
                continue;
            };
            match dir {
                Direction::ToClient => self.server_text(byte, out),
                // Telnet sends CR NUL or CR LF for a new line; NUL alone is padding.
                Direction::ToServer if byte != 0 => self.client_text(out),
                Direction::ToServer => {}
            }
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        if let Some(side) = self.sides.get_mut(slot) {
            side.offset = side.offset.saturating_add(len);
            side.command = Command::Data;
        }
        if dir == Direction::ToClient {
            self.window.clear();
            self.escape = false;
            // A banner line interrupted by lost bytes is not reported.
            self.line.clear();
            self.banner_done = true;
        }
    }
}
