//! One IEC 60870-5-104 connection: framing per direction, APCI checks (sequence numbers, U- and
//! S-frames), every ASDU counted as an operation of its type, commands paired with their
//! confirmations, a cap on unconfirmed commands.

use super::parser::{Event, Framer};
use super::pdu::{Apdu, Asdu, Control};
use super::types::{cause_name, type_name, Cause, TypeId};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Commands awaiting confirmation or termination per connection. A controlling station
/// rarely has more than a handful in flight (parameter k, §5.5, defaults to 12); a station that
/// never gets answers must not grow this table.
const MAX_PENDING: usize = 64;

/// APDUs counted by format. Not operations: tshark's type id field does not cover them, and
/// they say nothing about the process. Kept for tests and statistics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct FrameCounts {
    pub i_frames: u64,
    pub s_frames: u64,
    /// Indexed by [`UFunction::index`].
    pub u_frames: [u64; 6],
    pub invalid_u_frames: u64,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    type_id: u8,
    common_address: u16,
    ioa: Option<u32>,
    /// An activation confirmation was seen; an activation termination may still follow.
    confirmed: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Iec104Session {
    to_server: Framer,
    to_client: Framer,
    pending: Vec<Pending>,
    overflow_reported: bool,
    /// The send sequence number expected next, per direction (client→server, server→client).
    next_send: [Option<u16>; 2],
    counts: FrameCounts,
}

pub(crate) fn operation(type_id: u8) -> Operation {
    let (name, class) = type_name(type_id);
    Operation {
        protocol: Protocol::Iec104,
        code: u16::from(type_id),
        subcode: None,
        name,
        class,
    }
}

fn side(dir: Direction) -> usize {
    match dir {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

impl Iec104Session {
    #[cfg(test)]
    pub(crate) fn counts(&self) -> FrameCounts {
        self.counts
    }

    fn frame(&mut self, dir: Direction, offset: u64, frame: &[u8], out: &mut Output<'_>) {
        let Some(apdu) = Apdu::parse(frame) else {
            return;
        };
        match apdu.control {
            Control::I { send, .. } => {
                self.counts.i_frames += 1;
                let slot = self.next_send.get_mut(side(dir));
                if let Some(slot) = slot {
                    if let Some(expected) = *slot {
                        if expected != send {
                            out.anomaly(
                                dir,
                                offset,
                                format_args!(
                                    "send sequence number {send} where {expected} was expected"
                                ),
                            );
                        }
                    }
                    *slot = Some((send + 1) & 0x7FFF);
                }
                self.asdu(dir, offset, apdu.asdu, out);
            }
            Control::S { .. } => {
                self.counts.s_frames += 1;
                if !apdu.asdu.is_empty() || frame.get(3) != Some(&0) {
                    out.malformed(dir, offset, "S-frame with an ASDU or spare bits set");
                }
            }
            Control::U(function, c1) => {
                match function {
                    Some(f) => {
                        if let Some(n) = self.counts.u_frames.get_mut(f.index()) {
                            *n += 1;
                        }
                    }
                    None => {
                        self.counts.invalid_u_frames += 1;
                        out.anomaly(
                            dir,
                            offset,
                            format_args!("U-frame with no single known function (0x{c1:02x})"),
                        );
                    }
                }
                if !apdu.asdu.is_empty() {
                    out.malformed(dir, offset, "U-frame carrying an ASDU");
                }
            }
        }
    }

    fn asdu(&mut self, dir: Direction, offset: u64, bytes: &[u8], out: &mut Output<'_>) {
        let Some(asdu) = Asdu::parse(bytes) else {
            out.malformed(dir, offset, "I-frame shorter than an ASDU header");
            return;
        };
        let code = asdu.type_id.0;
        let op = operation(code);
        if let Err(reason) = asdu.check() {
            out.malformed(
                dir,
                offset,
                format_args!("malformed {} ASDU: {reason}", op.name),
            );
        }
        let range = match code {
            1..=69 | TypeId::C_RD_NA_1 | 110..=113 => asdu.ioa_range(),
            _ => None,
        };
        if asdu.cause.is_reply() {
            self.reply(dir, offset, &asdu, op, range, out);
            return;
        }
        // Everything else starts something: a command or system command from the controlling
        // station, or process information the outstation reports (spontaneous, cyclic, or as
        // the answer to an interrogation or read). The latter are counted as requests too: the
        // outstation initiates them and nothing answers them.
        out.operation(op, MessageKind::Request, false, range);
        let awaits_confirmation = asdu.type_id.is_command()
            && code != TypeId::C_RD_NA_1
            && matches!(asdu.cause.0, Cause::ACTIVATION | Cause::DEACTIVATION);
        if !awaits_confirmation {
            return;
        }
        if self.pending.len() >= MAX_PENDING {
            // Confirmed commands whose termination never came go first, silently.
            let index = self.pending.iter().position(|p| p.confirmed).unwrap_or(0);
            let evicted = self.pending.remove(index);
            if !evicted.confirmed && !self.overflow_reported {
                self.overflow_reported = true;
                out.anomaly(
                    dir,
                    offset,
                    format_args!("more than {MAX_PENDING} commands without a confirmation; the oldest are forgotten"),
                );
            }
        }
        self.pending.push(Pending {
            type_id: code,
            common_address: asdu.common_address,
            ioa: asdu.first_ioa(),
            confirmed: false,
        });
    }

    /// A confirmation, termination or rejection of a command: paired by type, common address
    /// and information object address (§7.2.3: the reply mirrors the command's identifiers).
    fn reply(
        &mut self,
        dir: Direction,
        offset: u64,
        asdu: &Asdu<'_>,
        op: Operation,
        range: Option<(u32, u32)>,
        out: &mut Output<'_>,
    ) {
        let cause = asdu.cause.0;
        let rejected = asdu.negative || (Cause::UNKNOWN_TYPE..=Cause::UNKNOWN_IOA).contains(&cause);
        let ioa = asdu.first_ioa();
        let same = |p: &Pending| {
            p.type_id == asdu.type_id.0 && p.common_address == asdu.common_address && p.ioa == ioa
        };
        let index = match cause {
            // A termination follows the confirmation.
            Cause::ACTIVATION_TERM => self
                .pending
                .iter()
                .position(|p| same(p) && p.confirmed)
                .or_else(|| self.pending.iter().position(same)),
            _ => self.pending.iter().position(|p| same(p) && !p.confirmed),
        };
        let kind = match index {
            Some(i) => {
                let keep = cause == Cause::ACTIVATION_CON && !rejected;
                if keep {
                    if let Some(p) = self.pending.get_mut(i) {
                        p.confirmed = true;
                    }
                } else {
                    self.pending.remove(i);
                }
                MessageKind::Response
            }
            None => MessageKind::UnmatchedResponse,
        };
        if dir == Direction::ToServer && !asdu.type_id.is_command() {
            out.anomaly(
                dir,
                offset,
                format_args!(
                    "{} from the controlling station with cause {}",
                    op.name,
                    cause_name(cause)
                ),
            );
        }
        out.operation(op, kind, rejected, range);
    }
}

impl Session for Iec104Session {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let mut framer = std::mem::take(match dir {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        });
        framer.push(data, &mut |event| match event {
            Event::Frame { offset, frame } => self.frame(dir, offset, frame, out),
            Event::Garbage { offset, len } => out.anomaly(
                dir,
                offset,
                format_args!("{len} bytes without a valid APCI start and length skipped"),
            ),
        });
        match dir {
            Direction::ToServer => self.to_server = framer,
            Direction::ToClient => self.to_client = framer,
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        if let Some(slot) = self.next_send.get_mut(side(dir)) {
            *slot = None;
        }
        match dir {
            Direction::ToServer => self.to_server.gap(len),
            Direction::ToClient => self.to_client.gap(len),
        }
    }
}
