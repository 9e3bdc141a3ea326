//! One C37.118 flow: framing per direction, CRC checks, frames counted by type, identity from
//! configuration frames.

use super::parser::{cfg12_stations, cfg3_first_station, command, crc_ok, Event, Framer, Header};
use super::types::{command_name, frame_type, frame_type_name};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Station names taken from one configuration frame (a PDC's concentrated stream may list
/// hundreds of PMUs; the identity table is capped anyway).
const MAX_STATIONS: usize = 16;

#[derive(Debug, Default)]
pub(crate) struct SynchrophasorSession {
    to_server: Framer,
    to_client: Framer,
    /// Configuration frames already mined for identity: they repeat unchanged.
    identity_seen: u8,
}

pub(crate) fn operation(ftype: u8, cmd: Option<u16>) -> Operation {
    let (name, class) = match cmd {
        Some(c) if ftype == frame_type::COMMAND => command_name(c),
        _ => frame_type_name(ftype),
    };
    Operation {
        protocol: Protocol::Synchrophasor,
        code: u16::from(ftype),
        subcode: cmd.filter(|_| ftype == frame_type::COMMAND),
        name,
        class,
    }
}

impl SynchrophasorSession {
    fn frame(
        &mut self,
        dir: Direction,
        offset: u64,
        header: Header,
        frame: &[u8],
        out: &mut Output<'_>,
    ) {
        if !crc_ok(frame) {
            out.anomaly(
                dir,
                offset,
                format_args!(
                    "{} with a bad CRC, not counted",
                    frame_type_name(header.frame_type).0
                ),
            );
            return;
        }
        if header.frame_type == frame_type::COMMAND {
            let cmd = command(frame);
            if cmd.is_none() {
                out.anomaly(dir, offset, "command frame without a CMD field");
            }
            out.operation(
                operation(header.frame_type, cmd),
                MessageKind::Request,
                false,
                None,
            );
            return;
        }
        // Sent by the PMU, unasked or on command: a request-like message of its own.
        out.operation(
            operation(header.frame_type, None),
            MessageKind::Request,
            false,
            None,
        );
        // The PMU is the flow's client when it spoke client→server.
        let about_client = dir == Direction::ToServer;
        let bit = 1u8 << header.frame_type;
        if self.identity_seen & bit != 0 {
            return;
        }
        let stations = match header.frame_type {
            frame_type::CFG1 | frame_type::CFG2 => cfg12_stations(frame, MAX_STATIONS),
            frame_type::CFG3 => cfg3_first_station(frame).into_iter().collect(),
            _ => return,
        };
        self.identity_seen |= bit;
        out.identity(about_client, "device_id", header.idcode.to_string());
        for (name, _pmu_id) in stations {
            out.identity(about_client, "station_name", name);
        }
    }
}

impl Session for SynchrophasorSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let mut framer = std::mem::take(match dir {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        });
        framer.push(data, &mut |event| match event {
            Event::Frame {
                offset,
                header,
                frame,
            } => self.frame(dir, offset, header, frame, out),
            Event::Garbage { offset, len } => out.anomaly(
                dir,
                offset,
                format_args!("{len} bytes that are not C37.118 frames skipped"),
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
