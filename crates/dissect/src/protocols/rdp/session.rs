//! One RDP connection: the client's X.224 Connection Request and the server's Connection
//! Confirm, each the first TPKT packet of its direction. What follows is TLS/CredSSP, or MCS
//! with Standard RDP Security encryption: not parsed.

use super::parser::{connect, tpkt, Connect, Negotiation, MAX_CONNECT, TPKT_HEADER};
use super::types::{
    operation_name, requested_names, selected_name, CONNECTION_CONFIRM, CONNECTION_REQUEST,
};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

#[derive(Debug, Default)]
struct Side {
    buf: Vec<u8>,
    /// The first packet was handled (or cannot be): the rest is ignored.
    done: bool,
}

#[derive(Debug, Default)]
pub(crate) struct RdpSession {
    sides: [Side; 2],
    request_seen: bool,
}

fn operation(code: u16, subcode: Option<u16>) -> Operation {
    let (name, class) = operation_name(code);
    Operation {
        protocol: Protocol::Rdp,
        code,
        subcode,
        name,
        class,
    }
}

impl RdpSession {
    fn packet(&mut self, dir: Direction, tpdu: &[u8], out: &mut Output<'_>) {
        match (dir, connect(tpdu)) {
            (Direction::ToServer, Some(Connect::Request { requested, .. })) => {
                self.request_seen = true;
                out.operation(
                    operation(CONNECTION_REQUEST, None),
                    MessageKind::Request,
                    false,
                    None,
                );
                // The cookie's user name is never read beyond its prefix.
                if let Some(requested) = requested {
                    out.identity(true, "rdp_requested_security", requested_names(requested));
                }
            }
            (Direction::ToClient, Some(Connect::Confirm(negotiation))) => {
                let kind = if self.request_seen {
                    MessageKind::Response
                } else {
                    MessageKind::UnmatchedResponse
                };
                match negotiation {
                    Some(Negotiation::Failure(code)) => {
                        let subcode = u16::try_from(code).unwrap_or(u16::MAX);
                        out.operation(
                            operation(CONNECTION_CONFIRM, Some(subcode)),
                            kind,
                            true,
                            None,
                        );
                    }
                    Some(Negotiation::Selected(selected)) => {
                        out.operation(operation(CONNECTION_CONFIRM, None), kind, false, None);
                        out.identity(false, "rdp_security", selected_name(selected));
                    }
                    // No negotiation response: the server only knows Standard RDP Security
                    // ([MS-RDPBCGR] §5.4.2.1).
                    None => {
                        out.operation(operation(CONNECTION_CONFIRM, None), kind, false, None);
                        out.identity(false, "rdp_security", selected_name(0));
                    }
                }
            }
            _ => out.anomaly(
                dir,
                0,
                "first TPKT packet is not an RDP connection request or confirm",
            ),
        }
    }
}

impl Session for RdpSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        let Some(side) = self.sides.get_mut(slot) else {
            return;
        };
        if side.done {
            return;
        }
        side.buf.extend_from_slice(data);
        let buf = std::mem::take(&mut side.buf);
        match tpkt(&buf) {
            Ok(None) if buf.len() < MAX_CONNECT => {
                if let Some(side) = self.sides.get_mut(slot) {
                    side.buf = buf;
                }
            }
            Ok(Some(len)) if len <= MAX_CONNECT => {
                if let Some(side) = self.sides.get_mut(slot) {
                    side.done = true;
                }
                self.packet(dir, buf.get(TPKT_HEADER..len).unwrap_or_default(), out);
            }
            _ => {
                if let Some(side) = self.sides.get_mut(slot) {
                    side.done = true;
                }
                out.anomaly(
                    dir,
                    0,
                    "stream does not start with an RDP connection TPKT packet",
                );
            }
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        if let Some(side) = self.sides.get_mut(slot) {
            side.buf.clear();
            side.done = true;
        }
    }
}
