//! TEMPLATE: one flow: a framer per direction, requests paired with responses by id, a cap on
//! pending requests.

use super::parser::{Framer, Message};
use super::types::code_name;
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

const MAX_PENDING: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct TemplateSession {
    framers: [Framer; 2],
    pending: Vec<(u16, Operation)>,
}

fn operation(code: u8) -> Operation {
    let (name, class) = code_name(code);
    Operation {
        protocol: Protocol::Modbus,
        code: u16::from(code),
        subcode: None,
        name,
        class,
    }
}

impl TemplateSession {
    fn message(&mut self, dir: Direction, offset: u64, m: Message<'_>, out: &mut Output<'_>) {
        match (dir, m.kind) {
            (Direction::ToServer, 1) => {
                let op = operation(m.code);
                out.operation(op, MessageKind::Request, false, None);
                if self.pending.len() >= MAX_PENDING {
                    self.pending.remove(0);
                }
                self.pending.push((m.id, op));
            }
            (Direction::ToClient, 2) => {
                let matched = self.pending.iter().position(|(id, _)| *id == m.id);
                match matched.map(|i| self.pending.remove(i)) {
                    Some((_, op)) => out.operation(op, MessageKind::Response, false, None),
                    None => out.operation(
                        operation(m.code),
                        MessageKind::UnmatchedResponse,
                        false,
                        None,
                    ),
                }
            }
            _ => out.anomaly(dir, offset, "message kind does not fit its direction"),
        }
    }
}

impl Session for TemplateSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let mut framer = std::mem::take(&mut self.framers[dir.index() & 1]);
        framer.push(data, &mut |offset, event| match event {
            Ok(message) => self.message(dir, offset, message, out),
            Err(len) => out.anomaly(dir, offset, format_args!("{len} bytes skipped")),
        });
        self.framers[dir.index() & 1] = framer;
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        self.framers[dir.index() & 1].gap(len);
    }
}
