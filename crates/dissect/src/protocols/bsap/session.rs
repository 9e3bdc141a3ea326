//! One BSAP-IP flow: each datagram's messages counted; RDB requests paired with responses by
//! the message sequence.

use super::parser::{header, messages};
use super::types::{message_type, message_type_name, rdb_function_name, APP_RDB};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Unanswered requests remembered per flow.
const MAX_PENDING: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct BsapSession {
    pending: Vec<(u32, Operation)>,
    /// Datagram counts per direction, as anomaly positions (UDP has no stream offsets).
    offsets: [u64; 2],
}

fn type_operation(t: u16) -> Operation {
    let (name, class) = message_type_name(t);
    Operation {
        protocol: Protocol::Bsap,
        code: t,
        subcode: None,
        name,
        class,
    }
}

/// A request's operation: RDB requests are named by their RDB function (third byte after the
/// sequence), others are "BSAP Message".
fn request_operation(app: u8, data: &[u8]) -> Operation {
    match (app, data.get(2)) {
        (APP_RDB, Some(&f)) => {
            let (name, class) = rdb_function_name(f);
            Operation {
                protocol: Protocol::Bsap,
                code: message_type::REQUEST,
                subcode: Some(u16::from(f)),
                name,
                class,
            }
        }
        _ => type_operation(message_type::REQUEST),
    }
}

impl Session for BsapSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        let offset = self.offsets.get(slot).copied().unwrap_or_default();
        if let Some(o) = self.offsets.get_mut(slot) {
            *o += data.len() as u64;
        }
        let Some(h) = header(data) else {
            out.malformed(dir, offset, "datagram without a BSAP-IP header");
            return;
        };
        let list = match messages(data, h.count) {
            Ok(list) => list,
            Err(reason) => {
                out.malformed(
                    dir,
                    offset,
                    format_args!("malformed BSAP-IP packet: {reason}"),
                );
                return;
            }
        };
        match h.message_type {
            message_type::REQUEST => {
                for m in list {
                    let op = request_operation(m.app_function, m.data);
                    out.operation(op, MessageKind::Request, false, None);
                    if self.pending.len() >= MAX_PENDING {
                        self.pending.remove(0);
                    }
                    self.pending.push((m.sequence, op));
                }
            }
            message_type::RESPONSE | message_type::RESPONSE_COUNT => {
                for m in list {
                    let matched = self.pending.iter().position(|(s, _)| *s == m.sequence);
                    match matched.map(|i| self.pending.remove(i)) {
                        Some((_, op)) => out.operation(op, MessageKind::Response, false, None),
                        None => out.operation(
                            type_operation(h.message_type),
                            MessageKind::UnmatchedResponse,
                            false,
                            None,
                        ),
                    }
                }
            }
            // A poll asks the RTU for pending responses: one request-like message.
            t => out.operation(type_operation(t), MessageKind::Request, false, None),
        }
    }

    fn gap(&mut self, _dir: Direction, _len: u64, _out: &mut Output<'_>) {}
}
