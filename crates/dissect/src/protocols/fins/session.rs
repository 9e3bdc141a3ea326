//! One FINS association: FINS/TCP or FINS/UDP framing per direction (told apart by the
//! "FINS" magic), commands paired with responses by service id, command code and addresses,
//! controller identity from Controller Data Read, a cap on unanswered commands.

use super::parser::{Event, TcpFramer};
use super::pdu::{
    controller_model, is_failure, memory_range, Address, Frame, TcpHeader, MAGIC, TCP_FRAME_SEND,
    TCP_SEND_ERROR,
};
use super::types::{command_name, end_code_name, tcp_command_name, CommandCode};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Unanswered commands remembered per association. FINS clients wait for each response (the
/// SID only has 256 values); a scanner that never waits must not grow this table.
const MAX_PENDING: usize = 64;

#[derive(Debug, Clone, Copy)]
struct Pending {
    sid: u8,
    command: u16,
    /// The command's source, which the response names as its destination.
    source: Address,
    /// A Controller Data Read that asked for model and version (no parameter, or 0x00).
    wants_model: bool,
}

/// How one direction is framed, decided by its first bytes.
#[derive(Debug, Default)]
enum Mode {
    #[default]
    Undecided,
    Tcp(TcpFramer),
    /// Each `data` call is one FINS/UDP datagram.
    Udp,
}

#[derive(Debug, Default)]
pub(crate) struct FinsSession {
    to_server: Mode,
    to_client: Mode,
    /// Stream or datagram offset per direction for UDP anomalies.
    udp_offset: [u64; 2],
    pending: Vec<Pending>,
    overflow_reported: bool,
}

pub(crate) fn operation(code: u16) -> Operation {
    let (name, class) = command_name(code);
    Operation {
        protocol: Protocol::Fins,
        code,
        subcode: None,
        name,
        class,
    }
}

impl FinsSession {
    fn frame(&mut self, dir: Direction, offset: u64, bytes: &[u8], out: &mut Output<'_>) {
        let Some(frame) = Frame::parse(bytes) else {
            out.malformed(
                dir,
                offset,
                "FINS frame shorter than its header and command code",
            );
            return;
        };
        if frame.is_response() {
            self.response(dir, offset, &frame, out);
        } else {
            self.command(dir, offset, &frame, out);
        }
    }

    fn command(&mut self, dir: Direction, offset: u64, frame: &Frame<'_>, out: &mut Output<'_>) {
        let code = frame.command.0;
        let op = operation(code);
        let range = memory_range(frame.command, frame.data);
        if range.is_none()
            && matches!(
                code,
                CommandCode::MEMORY_AREA_READ
                    | CommandCode::MEMORY_AREA_WRITE
                    | CommandCode::MEMORY_AREA_FILL
                    | CommandCode::MEMORY_AREA_TRANSFER
            )
        {
            out.malformed(
                dir,
                offset,
                format_args!(
                    "malformed {} command: shorter than area, address and count",
                    op.name
                ),
            );
        }
        out.operation(op, MessageKind::Request, false, range);
        // ICF bit 0 set: no response wanted (W342 §3-2).
        if frame.icf & 1 != 0 {
            return;
        }
        if self.pending.len() >= MAX_PENDING {
            self.pending.remove(0);
            if !self.overflow_reported {
                self.overflow_reported = true;
                out.anomaly(
                    dir,
                    offset,
                    format_args!("more than {MAX_PENDING} commands without a response; the oldest are forgotten"),
                );
            }
        }
        self.pending.push(Pending {
            sid: frame.sid,
            command: code,
            source: frame.source,
            wants_model: code == CommandCode::CONTROLLER_DATA_READ
                && frame.data.first().is_none_or(|&p| p == 0),
        });
    }

    fn response(&mut self, dir: Direction, offset: u64, frame: &Frame<'_>, out: &mut Output<'_>) {
        let code = frame.command.0;
        let op = operation(code);
        let matched = self
            .pending
            .iter()
            .position(|p| p.sid == frame.sid && p.command == code && p.source == frame.destination)
            .map(|i| self.pending.remove(i));
        let kind = if matched.is_some() {
            MessageKind::Response
        } else {
            MessageKind::UnmatchedResponse
        };
        let Some((end_code, payload)) = frame.end_code() else {
            out.anomaly(
                dir,
                offset,
                format_args!("{} response without an end code", op.name),
            );
            out.operation(op, kind, false, None);
            return;
        };
        let failed = is_failure(end_code);
        if failed {
            out.anomaly(
                dir,
                offset,
                format_args!(
                    "{} failed: {} (end code 0x{end_code:04x})",
                    op.name,
                    end_code_name(end_code & 0x7F3F)
                ),
            );
        } else if code == CommandCode::CONTROLLER_DATA_READ && matched.is_none_or(|p| p.wants_model)
        {
            if let Some((model, version)) = controller_model(payload) {
                out.identity(false, "model_name", model);
                out.identity(false, "firmware", version);
            }
        }
        out.operation(op, kind, failed, None);
    }

    fn tcp_message(
        &mut self,
        dir: Direction,
        offset: u64,
        header: TcpHeader,
        data: &[u8],
        out: &mut Output<'_>,
    ) {
        if header.error != 0 {
            out.anomaly(
                dir,
                offset,
                format_args!(
                    "FINS/TCP {} with error code 0x{:08x}",
                    tcp_command_name(header.command),
                    header.error
                ),
            );
        }
        match header.command {
            TCP_FRAME_SEND => self.frame(dir, offset + 16, data, out),
            TCP_SEND_ERROR => out.anomaly(dir, offset, "FINS/TCP frame send error notification"),
            0 | 1 | 6 => {}
            other => out.anomaly(
                dir,
                offset,
                format_args!("unknown FINS/TCP command {other}"),
            ),
        }
    }
}

impl Session for FinsSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let index = usize::from(dir == Direction::ToClient);
        let mut mode = std::mem::take(match dir {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        });
        if matches!(mode, Mode::Undecided) {
            // FINS/TCP always starts with the magic; anything else is a FINS/UDP datagram.
            let n = data.len().min(MAGIC.len());
            mode = if data.get(..n) == MAGIC.get(..n) {
                Mode::Tcp(TcpFramer::default())
            } else {
                Mode::Udp
            };
        }
        match &mut mode {
            Mode::Tcp(framer) => framer.push(data, &mut |event| match event {
                Event::Message {
                    offset,
                    header,
                    data,
                } => self.tcp_message(dir, offset, header, data, out),
                Event::Garbage { offset, len } => out.anomaly(
                    dir,
                    offset,
                    format_args!("{len} bytes that are not FINS/TCP skipped"),
                ),
            }),
            Mode::Udp | Mode::Undecided => {
                let offset = self.udp_offset.get(index).copied().unwrap_or(0);
                self.frame(dir, offset, data, out);
                if let Some(o) = self.udp_offset.get_mut(index) {
                    *o += data.len() as u64;
                }
            }
        }
        match dir {
            Direction::ToServer => self.to_server = mode,
            Direction::ToClient => self.to_client = mode,
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        let mode = match dir {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        };
        if let Mode::Tcp(framer) = mode {
            framer.gap(len);
        }
    }
}
