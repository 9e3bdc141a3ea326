//! One ISO-on-TCP connection: TPKT framing and COTP reassembly per direction, S7comm jobs
//! paired with their acknowledgements by PDU reference, userdata requests with their responses
//! by PDU reference, group and sub-function, S7comm-plus requests with their responses by
//! sequence number; SZL identity records decoded across fragmented responses.

use super::parser::{Event, Framer, Joined, Reassembler};
use super::pdu::{
    plus_message, read_var_return_codes, ud_kind, userdata_data, var_items, Cotp, PlusHeader,
    S7Pdu, UserdataParam, PLUS_PROTOCOL_ID, PLUS_VERSION_SYSTEM_EVENT, S7_PROTOCOL_ID,
};
use super::types::{
    component_field, cpu_mode_name, func, function_name, group, mode_transition_name, pi_service,
    pi_service_by_subcode, plus_function_name, plus_opcode, rosctr, userdata_code, userdata_name,
    PLUS_CREATE_OBJECT, PLUS_NOTIFICATION_CODE, SUBFUNC_READ_SZL,
};
use crate::{MessageKind, OpClass, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Unanswered requests remembered per connection. S7 clients keep at most the negotiated
/// "max AmQ" (usually 1–8) jobs outstanding; a scanner that never waits must not grow this.
const MAX_PENDING: usize = 64;
/// SZL records longer than this are not decoded (identity records are 28–34 bytes).
const MAX_SZL_RECORD: usize = 512;

/// `Operation.code` for an ack (ROSCTR 2) without parameters whose job was not seen: it names
/// no function, and job functions are one byte.
const ACK_UNMATCHED_CODE: u16 = 0x0200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Job(u16),
    Userdata {
        pdu_ref: u16,
        group: u8,
        subfunc: u8,
    },
    Plus(u16),
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    /// Direction of the request (downloads are jobs the PLC sends to the programming device).
    dir: Direction,
    key: Key,
    op: Operation,
}

/// An SZL response whose records continue in the next userdata fragment.
#[derive(Debug, Default)]
struct SzlState {
    szl_id: u16,
    record_len: usize,
    records_left: u16,
    /// Bytes of a record cut by the fragment boundary (less than one record).
    carry: Vec<u8>,
}

/// Framing state of one direction, taken out of the session while its bytes are processed.
#[derive(Debug, Default)]
struct Transport {
    framer: Framer,
    cotp: Reassembler,
}

/// Message state of one direction.
#[derive(Debug, Default)]
struct Side {
    /// SZL response continued in the next fragment.
    szl: Option<SzlState>,
    /// An S7comm-plus message continues in the next fragment (its trailer not yet seen).
    plus_continues: bool,
    /// SZL id of the last Read SZL request in this direction, for follow-up requests (which
    /// carry no SZL id).
    last_szl: Option<u16>,
}

#[derive(Debug, Default)]
pub(crate) struct S7Session {
    transport: [Transport; 2],
    to_server: Side,
    to_client: Side,
    pending: Vec<Pending>,
    overflow_reported: bool,
    /// Last S7comm-plus integrity state reported for the server.
    integrity: Option<bool>,
}

fn job_operation(code: u8, subcode: Option<u16>) -> Operation {
    let (name, class) = match (code, subcode) {
        (func::PI_SERVICE, Some(sub)) => pi_service_by_subcode(sub),
        (func::PI_SERVICE, None) => ("PI-Service (unknown service)", OpClass::Control),
        _ => function_name(code),
    };
    Operation {
        protocol: Protocol::S7comm,
        code: u16::from(code),
        subcode,
        name,
        class,
    }
}

fn userdata_operation(grp: u8, subfunc: u8, subcode: Option<u16>) -> Operation {
    let (name, class) = userdata_name(grp, subfunc);
    Operation {
        protocol: Protocol::S7comm,
        code: userdata_code(grp, subfunc),
        subcode,
        name,
        class,
    }
}

fn plus_operation(code: u16) -> Operation {
    let (name, class) = plus_function_name(code);
    Operation {
        protocol: Protocol::S7commPlus,
        code,
        subcode: None,
        name,
        class,
    }
}

/// The PI service name of a PI-Service job: function, 7 reserved bytes, parameter block length
/// (2) and block, name length (1), name.
fn pi_service_name(param: &[u8]) -> Option<&[u8]> {
    let len = u16::from_be_bytes([*param.get(8)?, *param.get(9)?]);
    let after = 10usize.checked_add(usize::from(len))?;
    let name_len = *param.get(after)?;
    param.get(after + 1..after + 1 + usize::from(name_len))
}

/// Text of an SZL record field: up to the first NUL, printable ASCII only.
fn szl_text(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    b.get(..end)
        .unwrap_or_default()
        .iter()
        .map(|&c| {
            if (0x20..0x7F).contains(&c) {
                char::from(c)
            } else {
                ' '
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Identity facts in one SZL record (SZL manual §34: 0x0011 module identification, 0x001C
/// component identification, 0x0424 current mode).
fn szl_record(szl_id: u16, record: &[u8], about_client: bool, out: &mut Output<'_>) {
    let index = match record {
        [a, b, ..] => u16::from_be_bytes([*a, *b]),
        _ => return,
    };
    if szl_id == 0x0424 {
        if let Some(&bzu) = record.get(3) {
            out.identity(
                about_client,
                "cpu_state",
                cpu_mode_name(bzu & 0x0F).to_string(),
            );
        }
        return;
    }
    match szl_id & 0x00FF {
        0x11 => {
            // Index (2), order number MLFB (20), module type (2), Ausbg (2), Ausbe (2).
            let (Some(mlfb), Some(&[g0, g1, e0, e1])) = (record.get(2..22), record.get(24..28))
            else {
                return;
            };
            match index {
                1 => out.identity(about_client, "order_code", szl_text(mlfb)),
                // The firmware record puts 'V' and the version digits in Ausbg/Ausbe.
                7 if g0 == b'V' => {
                    out.identity(about_client, "firmware", format!("V{g1}.{e0}.{e1}"))
                }
                _ => {}
            }
        }
        0x1C => {
            if let (Some(field), Some(text)) = (component_field(index), record.get(2..)) {
                out.identity(about_client, field, szl_text(text));
            }
        }
        _ => {}
    }
}

impl SzlState {
    /// Decodes the whole records in `carry` + `bytes`; keeps a cut record for the next fragment.
    fn feed(&mut self, bytes: &[u8], about_client: bool, out: &mut Output<'_>) {
        if self.record_len == 0 || self.record_len > MAX_SZL_RECORD {
            return;
        }
        let mut joined = std::mem::take(&mut self.carry);
        joined.extend_from_slice(bytes);
        let mut rest = joined.as_slice();
        while self.records_left > 0 {
            let Some(record) = rest.get(..self.record_len) else {
                break;
            };
            szl_record(self.szl_id, record, about_client, out);
            self.records_left -= 1;
            rest = rest.get(self.record_len..).unwrap_or_default();
        }
        if self.records_left > 0 && rest.len() < self.record_len {
            self.carry = rest.to_vec();
        }
    }
}

impl S7Session {
    fn side(&mut self, dir: Direction) -> &mut Side {
        match dir {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        }
    }

    fn remember(&mut self, pending: Pending, offset: u64, out: &mut Output<'_>) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.remove(0);
            if !self.overflow_reported {
                self.overflow_reported = true;
                out.anomaly(
                    pending.dir,
                    offset,
                    format_args!(
                        "more than {MAX_PENDING} requests without a response; the oldest are forgotten"
                    ),
                );
            }
        }
        self.pending.push(pending);
    }

    fn take_pending(&mut self, request_dir: Direction, key: Key) -> Option<Pending> {
        let i = self
            .pending
            .iter()
            .position(|p| p.dir == request_dir && p.key == key)?;
        Some(self.pending.remove(i))
    }

    /// One COTP user message (joined DT TPDUs).
    fn message(&mut self, dir: Direction, offset: u64, bytes: &[u8], out: &mut Output<'_>) {
        match bytes.first() {
            Some(&S7_PROTOCOL_ID) => match S7Pdu::parse(bytes) {
                Ok(pdu) => self.s7(dir, offset, pdu, out),
                Err(reason) => {
                    out.malformed(dir, offset, format_args!("malformed S7comm PDU: {reason}"))
                }
            },
            Some(&PLUS_PROTOCOL_ID) => self.plus(dir, offset, bytes, out),
            Some(&other) => out.anomaly(
                dir,
                offset,
                format_args!("COTP data starting 0x{other:02x} is neither S7comm nor S7comm-plus"),
            ),
            None => {}
        }
    }

    fn s7(&mut self, dir: Direction, offset: u64, pdu: S7Pdu<'_>, out: &mut Output<'_>) {
        match pdu.rosctr {
            rosctr::JOB => self.job(dir, offset, pdu, out),
            rosctr::ACK | rosctr::ACK_DATA => self.ack(dir, offset, pdu, out),
            rosctr::USERDATA => self.userdata(dir, offset, pdu, out),
            other => out.anomaly(
                dir,
                offset,
                format_args!("unknown S7comm message type (ROSCTR {other})"),
            ),
        }
    }

    fn job(&mut self, dir: Direction, offset: u64, pdu: S7Pdu<'_>, out: &mut Output<'_>) {
        let Some(&code) = pdu.param.first() else {
            out.anomaly(dir, offset, "S7comm job without a function");
            return;
        };
        let mut subcode = None;
        let mut range = None;
        match code {
            func::READ_VAR | func::WRITE_VAR => match var_items(pdu.param) {
                Ok((items, _)) => {
                    let first = items.first();
                    let same_area = first.is_some_and(|f| items.iter().all(|i| i.area == f.area));
                    if let (Some(first), true) = (first, same_area) {
                        subcode = Some(u16::from(first.area));
                        if items.iter().all(|i| i.db == first.db) {
                            let (mut lo, mut hi) = (u32::MAX, 0u32);
                            for item in &items {
                                let (start, len) = item.range();
                                lo = lo.min(start);
                                hi = hi.max(start.saturating_add(len));
                            }
                            range = Some((lo, hi.saturating_sub(lo)));
                        }
                    }
                }
                Err(reason) => out.malformed(
                    dir,
                    offset,
                    format_args!("malformed {} request: {reason}", function_name(code).0),
                ),
            },
            func::PI_SERVICE => match pi_service_name(pdu.param) {
                Some(name) => subcode = pi_service(name).map(|(sub, _, _)| sub),
                None => out.malformed(dir, offset, "malformed PI-Service request: no service name"),
            },
            _ => {}
        }
        let op = job_operation(code, subcode);
        out.operation(op, MessageKind::Request, false, range);
        self.remember(
            Pending {
                dir,
                key: Key::Job(pdu.pdu_ref),
                op,
            },
            offset,
            out,
        );
    }

    fn ack(&mut self, dir: Direction, offset: u64, pdu: S7Pdu<'_>, out: &mut Output<'_>) {
        let function = pdu.param.first().copied();
        let mut exception = pdu.error != (0, 0);
        // Item return codes: 0xFF is success (Read Var data items, Write Var return codes).
        if !exception {
            let count = pdu.param.get(1).copied().unwrap_or(0);
            match function {
                Some(func::READ_VAR) => match read_var_return_codes(pdu.data, count) {
                    Ok(codes) => exception = codes.iter().any(|&c| c != 0xFF),
                    Err(reason) => out.malformed(
                        dir,
                        offset,
                        format_args!("malformed Read Var response: {reason}"),
                    ),
                },
                Some(func::WRITE_VAR) => {
                    if pdu.data.len() != usize::from(count) {
                        out.malformed(
                            dir,
                            offset,
                            "malformed Write Var response: return codes do not match the item count",
                        );
                    }
                    exception = pdu.data.iter().any(|&c| c != 0xFF);
                }
                _ => {}
            }
        }
        let matched = self.take_pending(dir.reverse(), Key::Job(pdu.pdu_ref));
        let op = match (matched, function) {
            (Some(p), Some(f)) if p.op.code != u16::from(f) => {
                out.anomaly(
                    dir,
                    offset,
                    format_args!(
                        "acknowledgement of function 0x{f:02x} answers job function 0x{:02x}",
                        p.op.code
                    ),
                );
                None
            }
            (Some(p), _) => Some(p.op),
            (None, _) => None,
        };
        match (op, function) {
            (Some(op), _) => out.operation(op, MessageKind::Response, exception, None),
            (None, Some(f)) => out.operation(
                job_operation(f, None),
                MessageKind::UnmatchedResponse,
                exception,
                None,
            ),
            (None, None) => out.operation(
                Operation {
                    protocol: Protocol::S7comm,
                    code: ACK_UNMATCHED_CODE,
                    subcode: None,
                    name: "Ack (job not seen)",
                    class: OpClass::Other,
                },
                MessageKind::UnmatchedResponse,
                exception,
                None,
            ),
        }
    }

    fn userdata(&mut self, dir: Direction, offset: u64, pdu: S7Pdu<'_>, out: &mut Output<'_>) {
        let param = match UserdataParam::parse(pdu.param) {
            Ok(param) => param,
            Err(reason) => {
                out.malformed(dir, offset, format_args!("malformed userdata: {reason}"));
                return;
            }
        };
        let about_client = dir == Direction::ToServer;
        let key = Key::Userdata {
            pdu_ref: pdu.pdu_ref,
            group: param.group,
            subfunc: param.subfunc,
        };
        let is_szl = param.group == group::CPU && param.subfunc == SUBFUNC_READ_SZL;
        match param.kind {
            ud_kind::REQUEST => {
                let mut subcode = None;
                if is_szl {
                    // Data: return code, transport size, length, SZL id (2), index (2); a
                    // follow-up request for the next fragment carries none.
                    let id = userdata_data(pdu.data)
                        .and_then(|(_, v)| v.get(..2))
                        .map(|s| {
                            u16::from_be_bytes([
                                s.first().copied().unwrap_or(0),
                                s.get(1).copied().unwrap_or(0),
                            ])
                        });
                    let side = self.side(dir);
                    subcode = id.or(side.last_szl);
                    side.last_szl = subcode;
                }
                let op = userdata_operation(param.group, param.subfunc, subcode);
                out.operation(op, MessageKind::Request, false, None);
                self.remember(Pending { dir, key, op }, offset, out);
            }
            ud_kind::RESPONSE => {
                let exception = param.error != 0;
                if is_szl && !exception {
                    self.szl_response(dir, offset, pdu.data, param.more, about_client, out);
                }
                match self.take_pending(dir.reverse(), key) {
                    Some(p) => out.operation(p.op, MessageKind::Response, exception, None),
                    None => out.operation(
                        userdata_operation(param.group, param.subfunc, None),
                        MessageKind::UnmatchedResponse,
                        exception,
                        None,
                    ),
                }
            }
            ud_kind::PUSH => {
                let subcode = if param.group == group::MODE_TRANSITION {
                    out.identity(
                        about_client,
                        "cpu_state",
                        mode_transition_name(param.subfunc).to_string(),
                    );
                    Some(u16::from(param.subfunc))
                } else {
                    None
                };
                out.operation(
                    userdata_operation(param.group, param.subfunc, subcode),
                    MessageKind::UnmatchedResponse,
                    false,
                    None,
                );
            }
            other => out.anomaly(dir, offset, format_args!("unknown userdata type {other}")),
        }
    }

    /// Records of a Read SZL response (first or following fragment).
    fn szl_response(
        &mut self,
        dir: Direction,
        offset: u64,
        data: &[u8],
        more: bool,
        about_client: bool,
        out: &mut Output<'_>,
    ) {
        let Some((rc, value)) = userdata_data(data) else {
            out.malformed(
                dir,
                offset,
                "malformed Read SZL response: data shorter than its length",
            );
            self.side(dir).szl = None;
            return;
        };
        if rc != 0xFF {
            self.side(dir).szl = None;
            return;
        }
        let mut state = match self.side(dir).szl.take() {
            // A following fragment: its data continues the records.
            Some(mut state) => {
                state.feed(value, about_client, out);
                state
            }
            None => {
                // SZL id (2), index (2), record length LENTHDR (2), record count N_DR (2).
                let [i0, i1, _, _, l0, l1, n0, n1, ref records @ ..] = *value else {
                    out.malformed(dir, offset, "malformed Read SZL response: no SZL header");
                    return;
                };
                let mut state = SzlState {
                    szl_id: u16::from_be_bytes([i0, i1]),
                    record_len: usize::from(u16::from_be_bytes([l0, l1])),
                    records_left: u16::from_be_bytes([n0, n1]),
                    carry: Vec::new(),
                };
                state.feed(records, about_client, out);
                state
            }
        };
        if more && state.records_left > 0 {
            state.carry.truncate(MAX_SZL_RECORD);
            self.side(dir).szl = Some(state);
        }
    }

    fn plus(&mut self, dir: Direction, offset: u64, bytes: &[u8], out: &mut Output<'_>) {
        let Some(header) = PlusHeader::parse(bytes) else {
            out.malformed(
                dir,
                offset,
                "malformed S7comm-plus message: shorter than its header",
            );
            return;
        };
        if header.version == PLUS_VERSION_SYSTEM_EVENT {
            // Keep-alive / system event: no function.
            return;
        }
        let side = self.side(dir);
        if side.plus_continues {
            // A following fragment: header and data, the trailer only on the last one.
            let end = 4 + usize::from(header.data_len);
            if bytes.len() > end {
                side.plus_continues = false;
            }
            return;
        }
        let msg = match plus_message(bytes) {
            Ok(msg) => msg,
            Err(reason) => {
                out.malformed(
                    dir,
                    offset,
                    format_args!("malformed S7comm-plus message: {reason}"),
                );
                return;
            }
        };
        side.plus_continues = !msg.complete;
        if dir == Direction::ToClient && msg.function != Some(PLUS_CREATE_OBJECT) {
            // CreateObject opens every session in version 1; what follows shows whether the
            // PLC protects the session's integrity (versions 2 and 3).
            let protected = msg.version >= 2;
            if self.integrity != Some(protected) {
                self.integrity = Some(protected);
                out.identity(
                    false,
                    "s7comm_plus_integrity",
                    if protected {
                        "protected"
                    } else {
                        "unprotected"
                    }
                    .to_string(),
                );
            }
        }
        match (msg.opcode, msg.function, msg.sequence) {
            (plus_opcode::REQUEST, Some(function), Some(seq)) => {
                let op = plus_operation(function);
                out.operation(op, MessageKind::Request, false, None);
                self.remember(
                    Pending {
                        dir,
                        key: Key::Plus(seq),
                        op,
                    },
                    offset,
                    out,
                );
            }
            (_, Some(function), Some(seq)) => {
                let op = match self.take_pending(dir.reverse(), Key::Plus(seq)) {
                    Some(p) if p.op.code == function => Some(p.op),
                    Some(p) => {
                        out.anomaly(
                            dir,
                            offset,
                            format_args!(
                                "S7comm-plus response function 0x{function:04x} answers request 0x{:04x}",
                                p.op.code
                            ),
                        );
                        None
                    }
                    None => None,
                };
                match op {
                    Some(op) => out.operation(op, MessageKind::Response, msg.error, None),
                    None => out.operation(
                        plus_operation(function),
                        MessageKind::UnmatchedResponse,
                        msg.error,
                        None,
                    ),
                }
            }
            _ => out.operation(
                plus_operation(PLUS_NOTIFICATION_CODE),
                MessageKind::UnmatchedResponse,
                false,
                None,
            ),
        }
    }

    fn packet(
        &mut self,
        cotp: &mut Reassembler,
        dir: Direction,
        offset: u64,
        tpdu: &[u8],
        out: &mut Output<'_>,
    ) {
        match Cotp::parse(tpdu) {
            Ok(Cotp::Data { eot, payload }) => match cotp.push(offset, eot, payload) {
                Joined::Pending => {}
                Joined::Message { offset, bytes } => self.message(dir, offset, bytes, out),
                Joined::Overflow { offset } => out.anomaly(
                    dir,
                    offset,
                    format_args!(
                        "segmented COTP message longer than {} bytes dropped",
                        super::parser::REASSEMBLY_CAP
                    ),
                ),
            },
            Ok(Cotp::Connect { .. }) | Ok(Cotp::Other { .. }) => {}
            Err(reason) => {
                out.malformed(dir, offset, format_args!("malformed COTP TPDU: {reason}"))
            }
        }
    }
}

fn index(dir: Direction) -> usize {
    match dir {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

impl Session for S7Session {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let Some(slot) = self.transport.get_mut(index(dir)) else {
            return;
        };
        let mut transport = std::mem::take(slot);
        let Transport { framer, cotp } = &mut transport;
        framer.push(data, &mut |event| match event {
            Event::Packet { offset, tpdu } => self.packet(cotp, dir, offset, tpdu, out),
            Event::Garbage { offset, len } => out.anomaly(
                dir,
                offset,
                format_args!("{len} bytes that are not TPKT skipped"),
            ),
        });
        if let Some(slot) = self.transport.get_mut(index(dir)) {
            *slot = transport;
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        if let Some(t) = self.transport.get_mut(index(dir)) {
            t.framer.gap(len);
            t.cotp.reset();
        }
        let side = self.side(dir);
        side.szl = None;
        side.plus_continues = false;
    }
}
