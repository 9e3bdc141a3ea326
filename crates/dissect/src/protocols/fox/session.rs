//! One Fox connection: message framing per direction (or TLS record counting on 4911),
//! hello pairing, identity from hellos.

use super::parser::{parse, tls_record, Message, Parsed, MAGIC, MAX_MESSAGE};
use super::types::{command_code, command_name, hello_field, TLS_RECORD};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Client messages waiting for the server's message of the same command.
const MAX_PENDING: usize = 16;

#[derive(Debug, Default)]
struct Framer {
    buf: Vec<u8>,
    offset: u64,
    /// This direction carries TLS records, not Fox text.
    tls: bool,
}

#[derive(Debug, Default)]
pub(crate) struct FoxSession {
    framers: [Framer; 2],
    pending: Vec<u16>,
}

fn operation(code: u16) -> Operation {
    let (name, class) = command_name(code);
    Operation {
        protocol: Protocol::Fox,
        code,
        subcode: None,
        name,
        class,
    }
}

/// What one step of framing found.
enum Step<'a> {
    Fox(Message<'a>, usize),
    Tls(usize),
    Garbage(usize),
    Wait,
}

fn step(rest: &[u8], tls: bool) -> Step<'_> {
    if !tls {
        match parse(rest) {
            Parsed::Message(m, used) => return Step::Fox(m, used),
            Parsed::NeedMore => return Step::Wait,
            Parsed::NotFox => {}
        }
    }
    match tls_record(rest) {
        Some(Some(len)) => Step::Tls(len),
        Some(None) => Step::Wait,
        None => {
            // Skip to the next message start.
            let skip = (1..rest.len())
                .find(|&i| {
                    rest.get(i..)
                        .is_some_and(|r| MAGIC.starts_with(r) || r.starts_with(MAGIC))
                })
                .unwrap_or(rest.len());
            Step::Garbage(skip.max(1))
        }
    }
}

impl FoxSession {
    fn message(&mut self, dir: Direction, m: &Message<'_>, out: &mut Output<'_>) {
        let code = command_code(m.command);
        match dir {
            Direction::ToServer => {
                out.operation(operation(code), MessageKind::Request, false, None);
                if self.pending.len() >= MAX_PENDING {
                    self.pending.remove(0);
                }
                self.pending.push(code);
            }
            Direction::ToClient => match self.pending.iter().position(|&c| c == code) {
                Some(i) => {
                    self.pending.remove(i);
                    out.operation(operation(code), MessageKind::Response, false, None);
                }
                // Sent by the server unasked (the login challenge): request-like.
                None => out.operation(operation(code), MessageKind::Request, false, None),
            },
        }
        if code == 1 {
            hello_identity(dir == Direction::ToServer, m.body, out);
        }
    }
}

/// `key=type:value` lines of a hello: facts about its sender.
fn hello_identity(about_client: bool, body: &[u8], out: &mut Output<'_>) {
    for line in body.split(|&c| c == b'\n') {
        let Some(eq) = line.iter().position(|&c| c == b'=') else {
            continue;
        };
        let (Some(key), Some(value)) = (line.get(..eq), line.get(eq + 1..)) else {
            continue;
        };
        let Some(field) = hello_field(key) else {
            continue;
        };
        // Only string values (`s:`) are identity text.
        if let Some(text) = value.strip_prefix(b"s:") {
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            out.identity(
                about_client,
                field,
                String::from_utf8_lossy(text).into_owned(),
            );
        }
    }
}

impl Session for FoxSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        let Some(framer) = self.framers.get_mut(slot) else {
            return;
        };
        let mut framer = std::mem::take(framer);
        framer.buf.extend_from_slice(data);
        let buf = std::mem::take(&mut framer.buf);
        let mut pos = 0usize;
        while pos < buf.len() {
            let rest = buf.get(pos..).unwrap_or_default();
            let used = match step(rest, framer.tls) {
                Step::Fox(m, used) => {
                    self.message(dir, &m, out);
                    used
                }
                Step::Tls(used) => {
                    framer.tls = true;
                    let kind = match dir {
                        Direction::ToServer => MessageKind::Request,
                        Direction::ToClient => MessageKind::Response,
                    };
                    out.operation(operation(TLS_RECORD), kind, false, None);
                    used
                }
                Step::Garbage(len) => {
                    out.anomaly(
                        dir,
                        framer.offset,
                        format_args!("{len} bytes that are not Fox skipped"),
                    );
                    len
                }
                Step::Wait => break,
            };
            framer.offset += used as u64;
            pos += used;
        }
        framer
            .buf
            .extend_from_slice(buf.get(pos..).unwrap_or_default());
        if framer.buf.len() > MAX_MESSAGE {
            out.anomaly(
                dir,
                framer.offset,
                format_args!(
                    "Fox message longer than {MAX_MESSAGE} bytes; {} bytes skipped",
                    framer.buf.len()
                ),
            );
            framer.offset += framer.buf.len() as u64;
            framer.buf.clear();
        }
        if let Some(slot) = self.framers.get_mut(slot) {
            *slot = framer;
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        if let Some(f) = self.framers.get_mut(slot) {
            f.offset += f.buf.len() as u64 + len;
            f.buf.clear();
        }
    }
}
