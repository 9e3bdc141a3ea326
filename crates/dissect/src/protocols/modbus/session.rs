//! One Modbus/TCP connection: framing per direction, requests paired with responses by
//! transaction id and unit, a cap on unanswered requests.

use super::parser::{Event, Framer};
use super::pdu::{self, check_response, device_objects, request_details, Mbap};
use super::types::{
    device_object_field, diagnostic_name, exception_name, function_name, mei_name, umas_name,
    FunctionCode,
};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Unanswered requests remembered per connection. Modbus/TCP clients rarely pipeline more than
/// a few; a scanner that never waits for answers must not grow this table.
const MAX_PENDING: usize = 64;

#[derive(Debug, Clone, Copy)]
struct Pending {
    transaction: u16,
    unit: u8,
    op: Operation,
}

#[derive(Debug, Default)]
pub(crate) struct ModbusSession {
    to_server: Framer,
    to_client: Framer,
    pending: Vec<Pending>,
    overflow_reported: bool,
    /// Unit ids addressed on this connection, one bit each.
    units: [u64; 4],
    unit_sweep_reported: bool,
}

/// Distinct unit ids on one connection that make a sweep: a gateway serves a handful of
/// serial slaves; a scanner (nmap modbus-discover, Metasploit modbus_findunitid) tries
/// them all.
pub(crate) const UNIT_SWEEP: u32 = 16;

pub(crate) fn operation(code: u8, subcode: Option<u16>) -> Operation {
    let (name, class) = match (code, subcode) {
        (FunctionCode::DIAGNOSTICS, Some(sub)) => diagnostic_name(sub),
        (FunctionCode::ENCAPSULATED_INTERFACE, Some(mei)) => mei_name(mei),
        (FunctionCode::UMAS, Some(function)) => umas_name(function),
        _ => function_name(code),
    };
    Operation {
        protocol: Protocol::Modbus,
        code: u16::from(code),
        subcode,
        name,
        class,
    }
}

/// The sub-code a response carries, for responses whose request was not seen.
fn response_subcode(code: u8, data: &[u8]) -> Option<u16> {
    match code {
        FunctionCode::DIAGNOSTICS => {
            let s = data.get(..2)?;
            Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
        }
        FunctionCode::ENCAPSULATED_INTERFACE => data.first().map(|&m| u16::from(m)),
        _ => None,
    }
}

impl ModbusSession {
    fn note_unit(&mut self, unit: u8, out: &mut Output<'_>) {
        if let Some(word) = self.units.get_mut(usize::from(unit / 64)) {
            *word |= 1u64 << (unit % 64);
        }
        let distinct: u32 = self.units.iter().map(|w| w.count_ones()).sum();
        if distinct >= UNIT_SWEEP && !self.unit_sweep_reported {
            self.unit_sweep_reported = true;
            out.probe(
                "unit id".to_string(),
                format_args!("requests to {distinct} unit ids on one connection (unit-id sweep)"),
            );
        }
    }

    fn request(&mut self, offset: u64, header: Mbap, pdu: &[u8], out: &mut Output<'_>) {
        let (Some(&function), data) = (pdu.first(), pdu.get(1..).unwrap_or_default()) else {
            return;
        };
        let code = function & 0x7F;
        if function & 0x80 != 0 {
            out.anomaly(
                Direction::ToServer,
                offset,
                format_args!("request with the exception bit set (function 0x{function:02x})"),
            );
        }
        self.note_unit(header.unit, out);
        let details = match request_details(code, data) {
            Ok(details) => details,
            Err(reason) => {
                out.malformed(
                    Direction::ToServer,
                    offset,
                    format_args!("malformed {} request: {reason}", function_name(code).0),
                );
                pdu::RequestDetails {
                    subcode: request_details_subcode(code, data),
                    range: None,
                }
            }
        };
        let op = operation(code, details.subcode);
        out.operation(op, MessageKind::Request, false, details.range);
        if self.pending.len() >= MAX_PENDING {
            self.pending.remove(0);
            if !self.overflow_reported {
                self.overflow_reported = true;
                out.anomaly(
                    Direction::ToServer,
                    offset,
                    format_args!("more than {MAX_PENDING} requests without a response; the oldest are forgotten"),
                );
            }
        }
        self.pending.push(Pending {
            transaction: header.transaction,
            unit: header.unit,
            op,
        });
    }

    fn response(&mut self, offset: u64, header: Mbap, pdu: &[u8], out: &mut Output<'_>) {
        let (Some(&function), data) = (pdu.first(), pdu.get(1..).unwrap_or_default()) else {
            return;
        };
        let code = function & 0x7F;
        let exception = function & 0x80 != 0;
        let matched = self
            .pending
            .iter()
            .position(|p| p.transaction == header.transaction && p.unit == header.unit)
            .map(|i| self.pending.remove(i));
        let op = match matched {
            Some(p) if p.op.code == u16::from(code) => Some(p.op),
            Some(p) => {
                out.anomaly(
                    Direction::ToClient,
                    offset,
                    format_args!(
                        "response function {code} does not match request function {}",
                        p.op.code
                    ),
                );
                None
            }
            None => None,
        };
        if exception {
            match data {
                [exception_code] => {
                    let _ = exception_name(*exception_code);
                }
                _ => out.anomaly(
                    Direction::ToClient,
                    offset,
                    "exception response is not exactly one exception code",
                ),
            }
        } else if let Err(reason) = check_response(code, data) {
            out.malformed(
                Direction::ToClient,
                offset,
                format_args!("malformed {} response: {reason}", function_name(code).0),
            );
        } else if code == FunctionCode::ENCAPSULATED_INTERFACE && data.first() == Some(&14) {
            match device_objects(data) {
                Ok(objects) => {
                    for (id, value) in objects {
                        if let Some(field) = device_object_field(id) {
                            out.identity(false, field, String::from_utf8_lossy(value).into_owned());
                        }
                    }
                }
                Err(reason) => out.malformed(
                    Direction::ToClient,
                    offset,
                    format_args!("malformed device identification: {reason}"),
                ),
            }
        }
        match op {
            Some(op) => out.operation(op, MessageKind::Response, exception, None),
            None => {
                let subcode = if exception {
                    None
                } else {
                    response_subcode(code, data)
                };
                out.operation(
                    operation(code, subcode),
                    MessageKind::UnmatchedResponse,
                    exception,
                    None,
                );
            }
        }
    }
}

/// The sub-code of a request whose other fields are malformed, where it can still be read.
fn request_details_subcode(code: u8, data: &[u8]) -> Option<u16> {
    match code {
        FunctionCode::UMAS => data.get(1).map(|&f| u16::from(f)),
        _ => response_subcode(code, data),
    }
}

impl Session for ModbusSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let mut framer = std::mem::take(match dir {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        });
        framer.push(data, &mut |event| match event {
            Event::Frame {
                offset,
                header,
                pdu,
            } => match dir {
                Direction::ToServer => self.request(offset, header, pdu, out),
                Direction::ToClient => self.response(offset, header, pdu, out),
            },
            Event::Garbage { offset, len } => out.anomaly(
                dir,
                offset,
                format_args!("{len} bytes that are not Modbus/TCP skipped"),
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
