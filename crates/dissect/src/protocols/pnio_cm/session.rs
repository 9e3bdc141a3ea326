//! Requests paired with responses by activity UUID and sequence number.

use super::pdu::{im0, Header, HEADER_LEN};
use crate::{MessageKind, OpClass, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

const MAX_PENDING: usize = 64;

/// PNIO operations (IEC 61158-6-10 "opnum"): establishing and ending an application
/// relationship and its control requests change the device's state; writes parameterise it.
fn operation(opnum: u16) -> Operation {
    let (name, class) = match opnum {
        0 => ("Connect", OpClass::Control),
        1 => ("Release", OpClass::Control),
        2 => ("Read", OpClass::Read),
        3 => ("Write", OpClass::Write),
        4 => ("Control", OpClass::Control),
        5 => ("Read Implicit", OpClass::Read),
        _ => ("Unknown Operation", OpClass::Other),
    };
    Operation {
        protocol: Protocol::PnioCm,
        code: opnum,
        subcode: None,
        name,
        class,
    }
}

#[derive(Debug, Default)]
pub(crate) struct PnioSession {
    pending: Vec<([u8; 16], u32, Operation)>,
}

impl Session for PnioSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let Some(header) = Header::parse(data) else {
            out.anomaly(dir, 0, "not a connectionless DCE/RPC PDU");
            return;
        };
        // A fragmented body is one operation: count its first fragment only.
        if header.fragment_number != 0 {
            return;
        }
        let key = (header.activity, header.sequence);
        match header.packet_type {
            // request, or the idempotent "ping"-free retransmission of one
            0 => {
                let op = operation(header.opnum);
                out.operation(op, MessageKind::Request, false, None);
                if self.pending.len() >= MAX_PENDING {
                    self.pending.remove(0);
                }
                self.pending.push((key.0, key.1, op));
            }
            // response, fault, reject
            2 | 3 | 6 => {
                let error = header.packet_type != 2;
                let matched = self
                    .pending
                    .iter()
                    .position(|(a, s, _)| (*a, *s) == key)
                    .map(|i| self.pending.remove(i).2);
                match matched {
                    Some(op) => out.operation(op, MessageKind::Response, error, None),
                    None => out.operation(
                        operation(header.opnum),
                        MessageKind::UnmatchedResponse,
                        error,
                        None,
                    ),
                }
                if header.opnum == 2 && !error {
                    if let Some((vendor, order, serial, hardware, software)) =
                        im0(data.get(HEADER_LEN..).unwrap_or_default())
                    {
                        out.identity(false, "vendor_id", format!("0x{vendor:04x}"));
                        out.identity(false, "order_code", order);
                        out.identity(false, "serial_number", serial);
                        out.identity(false, "hardware_version", hardware.to_string());
                        out.identity(false, "firmware", software);
                    }
                }
            }
            // working, nocall, ack, cancel, fack, cancel_ack: transport housekeeping.
            _ => {}
        }
    }

    fn gap(&mut self, _dir: Direction, _len: u64, _out: &mut Output<'_>) {}
}
