//! One ADS flow: AMS/TCP framing per direction (or UDP discovery datagrams), requests paired
//! with responses by invoke id and command, identity, a cap on unanswered requests.
//!
//! Roles come from the AMS state flags (bit 0: response), not from the direction: a
//! DeviceNotification is a request sent by the server.

use super::parser::{
    discovery, discovery_tag, le32_at, net_id_text, text, AmsHeader, Event, Framer, DISCOVERY_MAGIC,
};
use super::types::{ads_state_name, command, command_name, discovery_service_name, DISCOVERY_CODE};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Unanswered requests remembered per flow. ADS clients pipeline requests (each with its own
/// invoke id); a client that never gets answers must not grow this table.
const MAX_PENDING: usize = 128;
/// Discovery tag holding the device's host name.
const TAG_HOST_NAME: u16 = 5;

#[derive(Debug, Clone, Copy)]
struct Pending {
    invoke: u32,
    command: u16,
    op: Operation,
}

#[derive(Debug, Default)]
pub(crate) struct AdsSession {
    to_server: Framer,
    to_client: Framer,
    pending: Vec<Pending>,
    overflow_reported: bool,
    /// NetIds already reported, per direction of the sender.
    net_ids_seen: [bool; 2],
}

pub(crate) fn operation(cmd: u16) -> Operation {
    let (name, class) = command_name(cmd);
    Operation {
        protocol: Protocol::Ads,
        code: cmd,
        subcode: None,
        name,
        class,
    }
}

fn discovery_operation(service: u32) -> Operation {
    let (name, class) = discovery_service_name(service);
    Operation {
        protocol: Protocol::Ads,
        code: DISCOVERY_CODE,
        subcode: Some(u16::try_from(service).unwrap_or(u16::MAX)),
        name,
        class,
    }
}

/// The address range of a request: (index offset, length) for Read, Write and ReadWrite
/// (index group 4, index offset 4, length 4; ReadWrite's read length is taken).
fn request_range(cmd: u16, data: &[u8]) -> Option<(u32, u32)> {
    match cmd {
        command::READ | command::WRITE | command::READ_WRITE => {
            let offset = le32_at(data, 4)?;
            let len = match cmd {
                command::READ_WRITE => le32_at(data, 8)?.max(le32_at(data, 12)?),
                _ => le32_at(data, 8)?,
            };
            Some((offset, len))
        }
        _ => None,
    }
}

impl AdsSession {
    fn ams(
        &mut self,
        dir: Direction,
        offset: u64,
        h: AmsHeader,
        data: &[u8],
        out: &mut Output<'_>,
    ) {
        let sender_is_client = dir == Direction::ToServer;
        let slot = usize::from(!sender_is_client);
        if let Some(seen) = self.net_ids_seen.get_mut(slot) {
            if !*seen {
                *seen = true;
                out.identity(sender_is_client, "ams_net_id", net_id_text(&h.source));
                out.identity(!sender_is_client, "ams_net_id", net_id_text(&h.target));
            }
        }
        if !h.is_response() {
            let op = operation(h.command);
            out.operation(
                op,
                MessageKind::Request,
                h.error != 0,
                request_range(h.command, data),
            );
            if h.command != command::DEVICE_NOTIFICATION {
                self.remember(dir, offset, h, op, out);
            }
            return;
        }
        // Every response except DeviceNotification's starts with a 4-byte result.
        let result = le32_at(data, 0);
        let exception = h.error != 0 || result.is_some_and(|r| r != 0);
        let matched = self
            .pending
            .iter()
            .position(|p| p.invoke == h.invoke && p.command == h.command)
            .map(|i| self.pending.remove(i));
        match matched {
            Some(p) => out.operation(p.op, MessageKind::Response, exception, None),
            None => out.operation(
                operation(h.command),
                MessageKind::UnmatchedResponse,
                exception,
                None,
            ),
        }
        if exception {
            return;
        }
        // The responder is the flow's client when it spoke client→server.
        let about = sender_is_client;
        match h.command {
            command::READ_DEVICE_INFO => {
                // result 4, major 1, minor 1, build 2, device name 16.
                if let Some(&[major, minor, b0, b1]) =
                    data.get(4..8).and_then(|v| v.first_chunk::<4>())
                {
                    let build = u16::from_le_bytes([b0, b1]);
                    out.identity(about, "firmware", format!("{major}.{minor}.{build}"));
                }
                if let Some(name) = data.get(8..24) {
                    out.identity(about, "product_name", text(name));
                }
            }
            command::READ_STATE => {
                // result 4, ADS state 2, device state 2.
                if let Some(&[s0, s1]) = data.get(4..6).and_then(|v| v.first_chunk::<2>()) {
                    let state = u16::from_le_bytes([s0, s1]);
                    out.identity(about, "cpu_state", ads_state_name(state).to_string());
                }
            }
            _ => {}
        }
    }

    fn remember(
        &mut self,
        dir: Direction,
        offset: u64,
        h: AmsHeader,
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
        self.pending.push(Pending {
            invoke: h.invoke,
            command: h.command,
            op,
        });
    }

    /// A UDP discovery datagram (never split: UDP).
    fn discovery(&mut self, dir: Direction, data: &[u8], out: &mut Output<'_>) {
        let Some(d) = discovery(data) else {
            out.anomaly(dir, 0, "truncated ADS discovery datagram");
            return;
        };
        let op = discovery_operation(d.service);
        if !d.reply {
            out.operation(op, MessageKind::Request, false, None);
            return;
        }
        // Replies are not paired (requests are often broadcast): each counts as a response
        // of its own, matched or not.
        out.operation(op, MessageKind::UnmatchedResponse, false, None);
        let about = dir == Direction::ToServer;
        out.identity(about, "ams_net_id", net_id_text(&d.net_id));
        if d.service == 1 {
            if let Some(name) = discovery_tag(d.tags, TAG_HOST_NAME) {
                out.identity(about, "hostname", text(name));
            }
        }
    }
}

impl Session for AdsSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let framer = match dir {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        };
        if framer.is_idle() && data.starts_with(&DISCOVERY_MAGIC) {
            self.discovery(dir, data, out);
            return;
        }
        let mut framer = std::mem::take(framer);
        framer.push(data, &mut |event| match event {
            Event::Ams {
                offset,
                header,
                data,
                truncated: _,
            } => self.ams(dir, offset, header, data, out),
            Event::Router { .. } => {}
            Event::Inconsistent { offset } => out.malformed(
                dir,
                offset,
                "AMS header data length contradicts the AMS/TCP length",
            ),
            Event::Garbage { offset, len } => out.anomaly(
                dir,
                offset,
                format_args!("{len} bytes that are not AMS/TCP skipped"),
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
