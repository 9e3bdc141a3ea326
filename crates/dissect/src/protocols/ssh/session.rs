//! One SSH connection: per direction, optional server notice lines, the identification line,
//! then the first binary packet's header; after it the direction is no longer parsed.

use super::parser::{
    line, packet_header, MAGIC, MAX_IDENT, MAX_PACKET, MAX_PRE_LINE, MAX_PRE_TOTAL,
};
use super::types::{operation_name, os_of, BANNER, KEXINIT};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the identification line; the bytes of notice lines skipped so far.
    #[default]
    Banner,
    /// After it: the first binary packet.
    Packet,
    /// Key exchange or encrypted traffic, or framing lost: nothing more is parsed.
    Done,
}

#[derive(Debug, Default)]
struct Side {
    buf: Vec<u8>,
    offset: u64,
    state: State,
    notice_bytes: usize,
}

#[derive(Debug, Default)]
pub(crate) struct SshSession {
    sides: [Side; 2],
}

fn operation(code: u16) -> Operation {
    let (name, class) = operation_name(code);
    Operation {
        protocol: Protocol::Ssh,
        code,
        subcode: None,
        name,
        class,
    }
}

/// Both sides send their banner and KEXINIT unprompted (RFC 4253 §4.2, §7.1): the server's
/// are counted as responses to the client's.
fn kind(dir: Direction) -> MessageKind {
    match dir {
        Direction::ToServer => MessageKind::Request,
        Direction::ToClient => MessageKind::Response,
    }
}

enum Step {
    Used(usize),
    Wait,
    Stop,
}

fn step(side: &mut Side, dir: Direction, rest: &[u8], out: &mut Output<'_>) -> Step {
    let about_client = dir == Direction::ToServer;
    match side.state {
        State::Done => Step::Stop,
        State::Banner => {
            let prefix = rest.len().min(MAGIC.len());
            if rest.get(..prefix) == MAGIC.get(..prefix) {
                if prefix < MAGIC.len() {
                    return Step::Wait;
                }
                return match line(rest, MAX_IDENT) {
                    None => Step::Wait,
                    Some(Err(())) => {
                        out.anomaly(
                            dir,
                            side.offset,
                            format_args!("SSH identification string longer than {MAX_IDENT} bytes"),
                        );
                        Step::Stop
                    }
                    Some(Ok((ident, used))) => {
                        let text: String = String::from_utf8_lossy(ident)
                            .chars()
                            .filter(|c| !c.is_control())
                            .collect();
                        out.operation(operation(BANNER), kind(dir), false, None);
                        if let Some(os) = os_of(&text) {
                            out.identity(about_client, "os", os.to_string());
                        }
                        // SSH 1 (`SSH-1.5-`) frames packets differently: not followed.
                        side.state = if text.starts_with("SSH-1.") && !text.starts_with("SSH-1.99")
                        {
                            State::Done
                        } else {
                            State::Packet
                        };
                        out.identity(about_client, "ssh_banner", text);
                        Step::Used(used)
                    }
                };
            }
            // Only the server may send other lines first (RFC 4253 §4.2).
            if dir == Direction::ToServer {
                out.anomaly(
                    dir,
                    side.offset,
                    "SSH client did not start with its identification",
                );
                return Step::Stop;
            }
            match line(rest, MAX_PRE_LINE) {
                None => Step::Wait,
                Some(Ok((_, used))) if side.notice_bytes + used <= MAX_PRE_TOTAL => {
                    side.notice_bytes += used;
                    Step::Used(used)
                }
                Some(_) => {
                    out.anomaly(
                        dir,
                        side.offset,
                        "no SSH identification within the server's first lines",
                    );
                    Step::Stop
                }
            }
        }
        State::Packet => {
            let Some((length, padding, number)) = packet_header(rest) else {
                return Step::Wait;
            };
            if !(5..=MAX_PACKET).contains(&length) || u32::from(padding) >= length {
                out.anomaly(dir, side.offset, "malformed SSH binary packet header");
            } else if u16::from(number) == KEXINIT {
                out.operation(operation(KEXINIT), kind(dir), false, None);
            } else {
                out.anomaly(
                    dir,
                    side.offset,
                    format_args!("first SSH packet is message {number}, not KEXINIT"),
                );
            }
            Step::Stop
        }
    }
}

impl Session for SshSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        let Some(side) = self.sides.get_mut(slot) else {
            return;
        };
        if side.state == State::Done {
            side.offset += data.len() as u64;
            return;
        }
        let mut buf = std::mem::take(&mut side.buf);
        buf.extend_from_slice(data);
        let mut pos = 0usize;
        while pos < buf.len() {
            match step(side, dir, buf.get(pos..).unwrap_or_default(), out) {
                Step::Used(n) => {
                    pos += n;
                    side.offset += n as u64;
                }
                Step::Wait => break,
                Step::Stop => {
                    side.state = State::Done;
                    side.offset += (buf.len() - pos) as u64;
                    pos = buf.len();
                }
            }
        }
        buf.drain(..pos.min(buf.len()));
        // Lines are cut at MAX_PRE_LINE and packet headers are 6 bytes: the buffer stays below
        // MAX_PRE_LINE.
        side.buf = buf;
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        if let Some(side) = self.sides.get_mut(slot) {
            side.offset = side
                .offset
                .saturating_add(side.buf.len() as u64)
                .saturating_add(len);
            side.buf.clear();
            // Past the identification everything is binary or encrypted: no resynchronising.
            side.state = State::Done;
        }
    }
}
