//! One HART-IP flow: framing per direction, requests paired with responses by sequence number
//! and message id, identity from identification commands, a cap on unanswered requests.
//!
//! Roles come from the message type, not the direction: a HART-IP gateway may answer a UDP
//! session from another port (5095 in the ICSNPP capture), which makes it the flow's client.

use super::parser::{carries_command, direct_pdu, token_passing, Command, Event, Framer, Header};
use super::types::{
    command_name, header_status_failed, message_id, message_id_name, message_type,
    response_code_failed,
};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Unanswered requests remembered per flow. HART-IP clients wait for each answer; a client
/// that never gets one must not grow this table.
const MAX_PENDING: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct HartIpSession {
    to_server: Framer,
    to_client: Framer,
    pending: Vec<(u16, u8, Operation)>,
    overflow_reported: bool,
}

pub(crate) fn operation(id: u8, command: Option<u16>) -> Operation {
    let (name, class) = match command {
        Some(c) if carries_command(id) => command_name(c),
        _ => message_id_name(id),
    };
    Operation {
        protocol: Protocol::HartIp,
        code: u16::from(id),
        subcode: command.filter(|_| carries_command(id)),
        name,
        class,
    }
}

impl HartIpSession {
    fn message(
        &mut self,
        dir: Direction,
        offset: u64,
        header: Header,
        body: &[u8],
        out: &mut Output<'_>,
    ) {
        let reply = !matches!(
            header.message_type,
            message_type::REQUEST | message_type::PUBLISH
        );
        let command = match header.message_id {
            message_id::TOKEN_PASSING_PDU if !body.is_empty() => Some(token_passing(body)),
            message_id::DIRECT_PDU if !body.is_empty() => Some(direct_pdu(body, reply)),
            _ => None,
        };
        let command = match command {
            Some(Ok(c)) => {
                if c.bad_checksum {
                    out.malformed(dir, offset, "HART frame check byte does not match");
                }
                Some(c)
            }
            Some(Err(reason)) => {
                out.malformed(
                    dir,
                    offset,
                    format_args!(
                        "malformed {}: {reason}",
                        message_id_name(header.message_id).0
                    ),
                );
                None
            }
            None => None,
        };
        let number = command.map(|c| c.number);
        if !reply {
            let op = operation(header.message_id, number);
            out.operation(op, MessageKind::Request, false, None);
            if header.message_type == message_type::REQUEST {
                self.remember(dir, offset, header, op, out);
            }
            return;
        }
        let exception = matches!(header.message_type, message_type::ERROR | message_type::NAK)
            || header_status_failed(header.status)
            || command
                .and_then(|c| c.response_code)
                .is_some_and(response_code_failed);
        let matched = self
            .pending
            .iter()
            .position(|(s, id, _)| *s == header.sequence && *id == header.message_id)
            .map(|i| self.pending.remove(i));
        match matched {
            Some((_, _, op)) => out.operation(op, MessageKind::Response, exception, None),
            None => out.operation(
                operation(header.message_id, number),
                MessageKind::UnmatchedResponse,
                exception,
                None,
            ),
        }
        if let Some(c) =
            command.filter(|c| c.response_code.is_some_and(|r| !response_code_failed(r)))
        {
            // The responder sent this; it is the flow's client when it spoke client→server.
            identity(dir == Direction::ToServer, c, out);
        }
    }

    fn remember(
        &mut self,
        dir: Direction,
        offset: u64,
        header: Header,
        op: Operation,
        out: &mut Output<'_>,
    ) {
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
        self.pending.push((header.sequence, header.message_id, op));
    }
}

/// Identity facts from identification responses (HCF_SPEC-127: Command 0/11/21 share the
/// "unique identifier" layout; Command 13 tag; Command 20 long tag).
fn identity(about_client: bool, c: Command<'_>, out: &mut Output<'_>) {
    let d = c.data;
    match c.number {
        0 | 11 | 21 => {
            let byte = |i: usize| d.get(i).copied();
            let word = |i: usize| Some(u16::from_be_bytes([byte(i)?, byte(i + 1)?]));
            let Some(universal) = byte(4) else {
                return;
            };
            // HART 7 moved the manufacturer id to bytes 17–18 and made bytes 1–2 the 16-bit
            // expanded device type; before, byte 1 was the manufacturer and byte 2 the type.
            let (vendor, device_type) = if universal >= 7 {
                (word(17), word(1))
            } else {
                (byte(1).map(u16::from), byte(2).map(u16::from))
            };
            if let Some(v) = vendor {
                out.identity(about_client, "vendor_id", format!("0x{v:04X}"));
            }
            if let Some(t) = device_type {
                out.identity(about_client, "product_code", format!("0x{t:04X}"));
            }
            if let Some(rev) = byte(5) {
                out.identity(about_client, "revision", rev.to_string());
            }
            if let Some(sw) = byte(6) {
                out.identity(about_client, "firmware", sw.to_string());
            }
            if let Some(hw) = byte(7) {
                out.identity(about_client, "hardware_version", (hw >> 3).to_string());
            }
            if let (Some(a), Some(b), Some(e)) = (byte(9), byte(10), byte(11)) {
                let id = u32::from_be_bytes([0, a, b, e]);
                out.identity(about_client, "serial_number", id.to_string());
            }
            out.identity(about_client, "hart_revision", universal.to_string());
        }
        13 => {
            if let Some(tag) = d.get(..6).filter(|t| t.iter().any(|&b| b != 0)) {
                out.identity(about_client, "station_name", packed_ascii(tag));
            }
        }
        20 => {
            if let Some(tag) = d.get(..32) {
                let text: String = tag
                    .iter()
                    .take_while(|&&b| b != 0)
                    .map(|&b| char::from(b))
                    .collect();
                out.identity(about_client, "station_name", text);
            }
        }
        _ => {}
    }
}

/// HART Packed ASCII (HCF_SPEC-099 §8.1): four 6-bit characters in three bytes; a code below
/// 0x20 stands for 0x40 + code.
pub(crate) fn packed_ascii(b: &[u8]) -> String {
    let mut s = String::new();
    for chunk in b.chunks(3) {
        let mut v = [0u8; 3];
        for (slot, byte) in v.iter_mut().zip(chunk) {
            *slot = *byte;
        }
        let [a, b, c] = v;
        let bits = u32::from_be_bytes([0, a, b, c]);
        for shift in [18u32, 12, 6, 0] {
            let code = ((bits >> shift) & 0x3F) as u8;
            let c = if code & 0x20 == 0 { code | 0x40 } else { code };
            s.push(char::from(c));
        }
    }
    s.trim_end().to_string()
}

impl Session for HartIpSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let mut framer = std::mem::take(match dir {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        });
        framer.push(data, &mut |event| match event {
            Event::Message {
                offset,
                header,
                body,
            } => self.message(dir, offset, header, body, out),
            Event::Garbage { offset, len } => out.anomaly(
                dir,
                offset,
                format_args!("{len} bytes that are not HART-IP skipped"),
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
