//! One MELSEC flow: MC frames per direction paired by 4E serial number or in order, MELSOFT
//! messages counted, a cap on unanswered requests.

use super::parser::{is_melsoft, Event, Frame, Framer};
use super::types::{command, command_name, melsoft_name, MELSOFT_BASE};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Unanswered requests remembered per flow.
const MAX_PENDING: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct MelsecSession {
    to_server: Framer,
    to_client: Framer,
    /// (4E serial number, operation); 3E requests have no serial and pair in order.
    pending: Vec<(Option<u16>, Operation)>,
    overflow_reported: bool,
    melsoft_pending: Vec<Operation>,
}

fn operation(cmd: u16, subcode: Option<u16>) -> Operation {
    let (name, class) = command_name(cmd);
    Operation {
        protocol: Protocol::Melsec,
        code: cmd,
        subcode,
        name,
        class,
    }
}

/// Batch read/write device access: (device code, head device number, points). Subcommands
/// 0/1 (Q/L series) use a 3-byte device number and 1-byte code; 2/3 (iQ-R) 4 and 2 bytes.
fn device_access(f: &Frame<'_>) -> Option<(u16, u32, u32)> {
    let d = f.data;
    let byte = |i: usize| d.get(i).copied();
    match f.subcommand {
        0x0000 | 0x0001 => Some((
            u16::from(byte(3)?),
            u32::from_le_bytes([byte(0)?, byte(1)?, byte(2)?, 0]),
            u32::from(u16::from_le_bytes([byte(4)?, byte(5)?])),
        )),
        0x0002 | 0x0003 => Some((
            u16::from_le_bytes([byte(4)?, byte(5)?]),
            u32::from_le_bytes([byte(0)?, byte(1)?, byte(2)?, byte(3)?]),
            u32::from(u16::from_le_bytes([byte(6)?, byte(7)?])),
        )),
        _ => None,
    }
}

impl MelsecSession {
    fn frame(&mut self, dir: Direction, offset: u64, f: Frame<'_>, out: &mut Output<'_>) {
        if !f.response {
            let access = match f.command {
                command::BATCH_READ | command::BATCH_WRITE => device_access(&f),
                _ => None,
            };
            let op = operation(f.command, access.map(|(code, _, _)| code));
            out.operation(
                op,
                MessageKind::Request,
                false,
                access.map(|(_, head, points)| (head, points)),
            );
            if self.pending.len() >= MAX_PENDING {
                self.pending.remove(0);
                if !self.overflow_reported {
                    self.overflow_reported = true;
                    out.anomaly(
                        dir,
                        offset,
                        format_args!(
                            "more than {MAX_PENDING} requests without a response; the oldest are forgotten"
                        ),
                    );
                }
            }
            self.pending.push((f.serial, op));
            return;
        }
        let exception = f.end_code != 0;
        let matched = match f.serial {
            Some(s) => self.pending.iter().position(|(p, _)| *p == Some(s)),
            None => self.pending.iter().position(|(p, _)| p.is_none()),
        }
        .map(|i| self.pending.remove(i));
        let Some((_, op)) = matched else {
            // The command is not repeated in a response: only "some MC response" is known.
            out.operation(
                Operation {
                    protocol: Protocol::Melsec,
                    code: 0,
                    subcode: None,
                    name: "MC Response (request not seen)",
                    class: crate::OpClass::Other,
                },
                MessageKind::UnmatchedResponse,
                exception,
                None,
            );
            return;
        };
        out.operation(op, MessageKind::Response, exception, None);
        if op.code == command::READ_CPU_MODEL && !exception {
            // Model name: 16 ASCII characters, space-padded, then the model code.
            if let Some(name) = f.data.get(..16) {
                let text: String = name
                    .iter()
                    .take_while(|&&c| c != 0)
                    .map(|&c| char::from(c))
                    .collect();
                // The responder is the flow's client when it spoke client→server.
                out.identity(dir == Direction::ToServer, "model_name", text);
            }
        }
    }

    fn melsoft(&mut self, data: &[u8], out: &mut Output<'_>) {
        let Some(&lead) = data.first() else {
            return;
        };
        let (name, class) = melsoft_name();
        let op = Operation {
            protocol: Protocol::Melsec,
            code: MELSOFT_BASE + u16::from(lead & 0x7F),
            subcode: None,
            name,
            class,
        };
        if lead & 0x80 == 0 {
            out.operation(op, MessageKind::Request, false, None);
            if self.melsoft_pending.len() >= MAX_PENDING {
                self.melsoft_pending.remove(0);
            }
            self.melsoft_pending.push(op);
        } else {
            match self.melsoft_pending.iter().position(|p| *p == op) {
                Some(i) => {
                    self.melsoft_pending.remove(i);
                    out.operation(op, MessageKind::Response, false, None);
                }
                None => out.operation(op, MessageKind::UnmatchedResponse, false, None),
            }
        }
    }
}

impl Session for MelsecSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let framer = match dir {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        };
        // MELSOFT framing is unknown: one chunk (datagram) is one message.
        if framer.is_empty() && is_melsoft(data) {
            framer.offset += data.len() as u64;
            self.melsoft(data, out);
            return;
        }
        let mut framer = std::mem::take(framer);
        framer.push(data, &mut |event| match event {
            Event::Frame { offset, frame } => self.frame(dir, offset, frame, out),
            Event::Garbage { offset, len } => out.anomaly(
                dir,
                offset,
                format_args!("{len} bytes that are not MC protocol frames skipped"),
            ),
        });
        match dir {
            Direction::ToServer => self.to_server = framer,
            Direction::ToClient => self.to_client = framer,
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        match dir {
            Direction::ToServer => self.to_server.gap(len),
            Direction::ToClient => self.to_client.gap(len),
        }
    }
}
