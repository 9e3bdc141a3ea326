//! One MMS association: TPKT/COTP per direction, requests paired with responses by invokeID.

use super::parser::{elements, mms_pdu, tlv, unsigned, Event, Framer};
use super::types::{service, CANCEL, CONCLUDE, INFORMATION_REPORT, INITIATE, REJECT};
use crate::{MessageKind, OpClass, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

const MAX_PENDING: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct MmsSession {
    framers: [Framer; 2],
    pending: Vec<(u32, Operation)>,
}

fn op(code: u16, name: &'static str, class: OpClass) -> Operation {
    Operation {
        protocol: Protocol::Mms,
        code,
        subcode: None,
        name,
        class,
    }
}

fn service_op(number: u32) -> Operation {
    let code = u16::try_from(number).unwrap_or(u16::MAX);
    let (name, class) = service(code);
    op(code, name, class)
}

/// invokeID and the service element of a confirmed request or response content.
fn invoke_and_service(content: &[u8]) -> Option<(u32, Option<super::parser::Tlv<'_>>)> {
    let mut items = elements(content);
    let invoke = items.next().filter(|t| t.first == 0x02)?;
    let service = items.find(|t| t.first != 0x30);
    Some((unsigned(invoke.content)?, service))
}

impl MmsSession {
    fn pdu(&mut self, dir: Direction, offset: u64, bytes: &[u8], out: &mut Output<'_>) {
        let Some(pdu) = tlv(bytes) else {
            out.malformed(dir, offset, "MMS PDU does not parse as BER");
            return;
        };
        match pdu.first {
            0xA0 => match invoke_and_service(pdu.content) {
                Some((invoke, Some(service))) => {
                    let operation = service_op(service.number);
                    out.operation(operation, MessageKind::Request, false, None);
                    if self.pending.len() >= MAX_PENDING {
                        self.pending.remove(0);
                    }
                    self.pending.push((invoke, operation));
                }
                _ => out.anomaly(dir, offset, "confirmed request without invokeID or service"),
            },
            0xA1 | 0xA2 => {
                let error = pdu.first == 0xA2;
                // The error PDU's invokeID is [0] IMPLICIT; the response's a plain INTEGER.
                let parsed = if error {
                    elements(pdu.content)
                        .next()
                        .filter(|t| t.first == 0x80)
                        .and_then(|t| unsigned(t.content))
                        .map(|invoke| (invoke, None))
                } else {
                    invoke_and_service(pdu.content)
                };
                let Some((invoke, service)) = parsed else {
                    out.anomaly(dir, offset, "confirmed response without invokeID");
                    return;
                };
                let matched = self.pending.iter().position(|(i, _)| *i == invoke);
                let request = matched.map(|i| self.pending.remove(i).1);
                if let Some(s) = service.filter(|s| s.number == 2) {
                    identify_response(s.content, out);
                }
                match (request, service) {
                    (Some(request), _) => {
                        out.operation(request, MessageKind::Response, error, None)
                    }
                    (None, Some(s)) => out.operation(
                        service_op(s.number),
                        MessageKind::UnmatchedResponse,
                        error,
                        None,
                    ),
                    (None, None) => out.operation(
                        op(0xFFFF, "unknown service", OpClass::Other),
                        MessageKind::UnmatchedResponse,
                        error,
                        None,
                    ),
                }
            }
            0xA3 => {
                let report = op(INFORMATION_REPORT, "informationReport", OpClass::Read);
                out.operation(report, MessageKind::Request, false, None);
            }
            0xA4 => out.operation(
                op(REJECT, "reject", OpClass::Other),
                MessageKind::Request,
                true,
                None,
            ),
            0x85 => out.operation(
                op(CANCEL, "cancel", OpClass::Control),
                MessageKind::Request,
                false,
                None,
            ),
            0x86 | 0xA7 => out.operation(
                op(CANCEL, "cancel", OpClass::Control),
                MessageKind::Response,
                pdu.first == 0xA7,
                None,
            ),
            0xA8 => out.operation(
                op(INITIATE, "initiate", OpClass::Other),
                MessageKind::Request,
                false,
                None,
            ),
            0xA9 | 0xAA => out.operation(
                op(INITIATE, "initiate", OpClass::Other),
                MessageKind::Response,
                pdu.first == 0xAA,
                None,
            ),
            0x8B => out.operation(
                op(CONCLUDE, "conclude", OpClass::Other),
                MessageKind::Request,
                false,
                None,
            ),
            0x8C | 0xAD => out.operation(
                op(CONCLUDE, "conclude", OpClass::Other),
                MessageKind::Response,
                pdu.first == 0xAD,
                None,
            ),
            other => out.anomaly(
                dir,
                offset,
                format_args!("unknown MMS PDU tag 0x{other:02x}"),
            ),
        }
    }
}

/// identify-Response: vendorName [0], modelName [1], revision [2] (ISO 9506-2 §10.5).
fn identify_response(content: &[u8], out: &mut Output<'_>) {
    for element in elements(content) {
        let field = match element.first {
            0x80 => "vendor",
            0x81 => "model_name",
            0x82 => "revision",
            _ => continue,
        };
        out.identity(
            false,
            field,
            String::from_utf8_lossy(element.content).into_owned(),
        );
    }
}

impl Session for MmsSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let index = dir.index() & 1;
        let Some(framer) = self.framers.get_mut(index) else {
            return;
        };
        let mut framer = std::mem::take(framer);
        framer.push(data, &mut |event| match event {
            Event::Tsdu { offset, data } => match mms_pdu(data) {
                Some(pdu) => self.pdu(dir, offset, pdu, out),
                None => {
                    // Session or presentation PDUs without MMS (e.g. refusals) are normal.
                    if data
                        .first()
                        .is_some_and(|&b| b != 0x01 && b != 0x0D && b != 0x0E)
                    {
                        out.anomaly(
                            dir,
                            offset,
                            "COTP data that is neither a session SPDU nor an MMS PDU",
                        );
                    }
                }
            },
            Event::Control => {}
            Event::Garbage { offset, len } => out.anomaly(
                dir,
                offset,
                format_args!("{len} bytes that are not TPKT skipped"),
            ),
            Event::TsduTooLong { offset } => {
                out.anomaly(dir, offset, "COTP TSDU longer than 64 KiB dropped")
            }
        });
        if let Some(slot) = self.framers.get_mut(index) {
            *slot = framer;
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        if let Some(framer) = self.framers.get_mut(dir.index() & 1) {
            framer.gap(len);
        }
    }
}
