//! One EtherNet/IP flow: framing per direction, encapsulation requests paired with replies by
//! command and sender context (and, for connected messaging, the CIP sequence count), the CIP
//! messages they carry decoded and paired, implicit I/O datagrams counted, caps on what is
//! remembered.

use super::parser::{Event, Framer};
use super::pdu::{
    carried_message, implicit_io, multiple_service_parts, parse_cpf, parse_path, transport_cpf,
    unconnected_send_inner, Header, Identity, Reply, Request,
};
use super::types::{
    cip_operation, command_operation, device_type_name, implicit_io_operation, is_error_status,
    vendor_name, Class, Command, Item, Service,
};
use crate::{MessageKind, Operation, Output, Session};
use zonewarden_model::{Direction, Timestamp};

/// Unanswered requests remembered per flow. Clients keep a few requests outstanding at most; a
/// scanner that never waits for replies must not grow this table.
const MAX_PENDING: usize = 64;
/// Embedded services of one Multiple Service Packet remembered for pairing their replies.
const MAX_EMBEDDED: usize = 64;

/// What the reply to a CIP request will be counted against.
#[derive(Debug, Clone)]
struct Expect {
    /// The operation the reply carries (for a routed request, the embedded one).
    op: Operation,
    /// The Unconnected Send that routed it: a routing failure is its own reply (0xD2).
    routed_by: Option<Operation>,
    /// A Multiple Service Packet's embedded operations, in order.
    embedded: Vec<Operation>,
    /// Get_Attributes_All to the Identity object: the reply describes the device.
    identity: bool,
}

#[derive(Debug, Clone)]
struct Pending {
    command: u16,
    context: u64,
    sequence: Option<u16>,
    encapsulation: Operation,
    cip: Option<Expect>,
}

#[derive(Debug, Default)]
pub(crate) struct EnipSession {
    to_server: Framer,
    to_client: Framer,
    pending: Vec<Pending>,
    overflow_reported: bool,
    embedded_cap_reported: bool,
}

/// Reports what a device says about itself in a ListIdentity item or an Identity
/// Get_Attributes_All reply.
fn identity_facts(identity: &Identity<'_>, about_client: bool, out: &mut Output<'_>) {
    out.identity(about_client, "vendor_id", identity.vendor.to_string());
    if let Some(name) = vendor_name(identity.vendor) {
        out.identity(about_client, "vendor", name.to_string());
    }
    out.identity(
        about_client,
        "device_type",
        device_type_name(identity.device_type)
            .map_or_else(|| identity.device_type.to_string(), str::to_string),
    );
    out.identity(
        about_client,
        "product_code",
        identity.product_code.to_string(),
    );
    let (major, minor) = identity.revision;
    out.identity(about_client, "revision", format!("{major}.{minor}"));
    out.identity(
        about_client,
        "serial_number",
        format!("0x{:08x}", identity.serial),
    );
    out.identity(
        about_client,
        "product_name",
        String::from_utf8_lossy(identity.product_name).into_owned(),
    );
}

/// A request's operation and its decoded parts; a malformed path is reported and the service
/// still counted (without a class).
fn describe<'a>(
    dir: Direction,
    offset: u64,
    message: &'a [u8],
    out: &mut Output<'_>,
) -> Option<(Operation, Request<'a>, Option<u32>)> {
    let request = match Request::parse(message) {
        Ok(request) => request,
        Err(reason) => {
            out.malformed(dir, offset, format_args!("malformed CIP request: {reason}"));
            return None;
        }
    };
    let path = match parse_path(request.path) {
        Ok(path) => path,
        Err(reason) => {
            out.malformed(
                dir,
                offset,
                format_args!(
                    "malformed request path of CIP service 0x{:02x}: {reason}",
                    request.service
                ),
            );
            Default::default()
        }
    };
    let op = cip_operation(request.service, path.class, path.symbolic);
    Some((op, request, path.class))
}

impl EnipSession {
    fn remember(&mut self, pending: Pending, offset: u64, out: &mut Output<'_>) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.remove(0);
            if !self.overflow_reported {
                self.overflow_reported = true;
                out.anomaly(
                    Direction::ToServer,
                    offset,
                    format_args!(
                        "more than {MAX_PENDING} requests without a reply; the oldest are forgotten"
                    ),
                );
            }
        }
        self.pending.push(pending);
    }

    /// A CIP request: reports it (and what it wraps) and returns what its reply will carry.
    fn cip_request(
        &mut self,
        dir: Direction,
        offset: u64,
        message: &[u8],
        depth: u8,
        out: &mut Output<'_>,
    ) -> Option<Expect> {
        let (op, request, class) = describe(dir, offset, message, out)?;
        out.operation(op, MessageKind::Request, false, None);
        let mut expect = Expect {
            op,
            routed_by: None,
            embedded: Vec::new(),
            identity: request.service == Service::GET_ATTRIBUTES_ALL
                && class == Some(Class::IDENTITY),
        };
        match (request.service, class) {
            // Unconnected Send carries the request for a device behind this one; the reply
            // is the embedded request's own reply (Vol. 1 §3-5.5.2).
            (Service::UNCONNECTED_SEND, Some(Class::CONNECTION_MANAGER)) if depth < 2 => {
                match unconnected_send_inner(request.data) {
                    Ok(inner) => {
                        if let Some(mut routed) =
                            self.cip_request(dir, offset, inner, depth + 1, out)
                        {
                            routed.routed_by = Some(op);
                            return Some(routed);
                        }
                    }
                    Err(reason) => out.malformed(
                        dir,
                        offset,
                        format_args!("malformed Unconnected_Send: {reason}"),
                    ),
                }
            }
            (Service::MULTIPLE_SERVICE_PACKET, _) => match multiple_service_parts(request.data) {
                Ok(parts) => {
                    for part in parts {
                        let Some((inner, _, _)) = describe(dir, offset, part, out) else {
                            continue;
                        };
                        out.operation(inner, MessageKind::Request, false, None);
                        if expect.embedded.len() < MAX_EMBEDDED {
                            expect.embedded.push(inner);
                        } else if !self.embedded_cap_reported {
                            self.embedded_cap_reported = true;
                            out.anomaly(
                                dir,
                                offset,
                                format_args!(
                                    "more than {MAX_EMBEDDED} services in one Multiple_Service_Packet; the rest are not paired"
                                ),
                            );
                        }
                    }
                }
                Err(reason) => out.malformed(
                    dir,
                    offset,
                    format_args!("malformed Multiple_Service_Packet request: {reason}"),
                ),
            },
            _ => {}
        }
        Some(expect)
    }

    /// A CIP reply, counted against what its request expected.
    fn cip_reply(
        &mut self,
        dir: Direction,
        offset: u64,
        message: &[u8],
        expect: Option<Expect>,
        out: &mut Output<'_>,
    ) {
        let reply = match Reply::parse(message) {
            Ok(reply) => reply,
            Err(reason) => {
                out.malformed(dir, offset, format_args!("malformed CIP reply: {reason}"));
                return;
            }
        };
        let service = reply.service & 0x7F;
        let error = is_error_status(reply.status);
        // A routing failure is answered by the Connection Manager itself.
        if let Some(routed_by) = expect.as_ref().and_then(|e| e.routed_by) {
            if u16::from(service) == routed_by.code {
                out.operation(routed_by, MessageKind::Response, error, None);
                return;
            }
        }
        let expect = match expect {
            Some(e) if e.op.code == u16::from(service) => Some(e),
            Some(e) => {
                out.anomaly(
                    dir,
                    offset,
                    format_args!(
                        "reply service 0x{service:02x} does not match request service 0x{:02x}",
                        e.op.code
                    ),
                );
                None
            }
            None => None,
        };
        match &expect {
            Some(e) => out.operation(e.op, MessageKind::Response, error, None),
            None => out.operation(
                cip_operation(service, None, false),
                MessageKind::UnmatchedResponse,
                error,
                None,
            ),
        }
        if expect.as_ref().is_some_and(|e| e.identity) && !error {
            match Identity::parse(reply.data) {
                Ok(identity) => identity_facts(&identity, dir == Direction::ToServer, out),
                Err(reason) => out.malformed(
                    dir,
                    offset,
                    format_args!("malformed Identity Get_Attributes_All reply: {reason}"),
                ),
            }
        }
        if service == Service::MULTIPLE_SERVICE_PACKET && !reply.data.is_empty() {
            let parts = match multiple_service_parts(reply.data) {
                Ok(parts) => parts,
                Err(reason) => {
                    out.malformed(
                        dir,
                        offset,
                        format_args!("malformed Multiple_Service_Packet reply: {reason}"),
                    );
                    return;
                }
            };
            let embedded = expect.map(|e| e.embedded).unwrap_or_default();
            for (i, part) in parts.into_iter().enumerate() {
                let inner = match Reply::parse(part) {
                    Ok(inner) => inner,
                    Err(reason) => {
                        out.malformed(
                            dir,
                            offset,
                            format_args!("malformed embedded CIP reply: {reason}"),
                        );
                        continue;
                    }
                };
                let code = inner.service & 0x7F;
                let error = is_error_status(inner.status);
                match embedded.get(i) {
                    Some(op) if op.code == u16::from(code) => {
                        out.operation(*op, MessageKind::Response, error, None)
                    }
                    _ => out.operation(
                        cip_operation(code, None, false),
                        MessageKind::UnmatchedResponse,
                        error,
                        None,
                    ),
                }
            }
        }
    }

    /// A CIP message carried by SendRRData/SendUnitData, request or reply by its service bit.
    fn cip(
        &mut self,
        dir: Direction,
        offset: u64,
        message: &[u8],
        expect: Option<Expect>,
        out: &mut Output<'_>,
    ) -> Option<Expect> {
        let service = *message.first()?;
        if service & 0x80 != 0 {
            self.cip_reply(dir, offset, message, expect, out);
            None
        } else {
            self.cip_request(dir, offset, message, 0, out)
        }
    }

    fn message(
        &mut self,
        dir: Direction,
        offset: u64,
        header: Header,
        body: &[u8],
        out: &mut Output<'_>,
    ) {
        let carried = match header.command {
            Command::SEND_RR_DATA | Command::SEND_UNIT_DATA => match transport_cpf(body) {
                Ok(items) => {
                    let carried = carried_message(&items);
                    if carried.is_none() {
                        out.anomaly(dir, offset, "no data item in the Common Packet Format");
                    }
                    carried
                }
                Err(reason) => {
                    out.malformed(
                        dir,
                        offset,
                        format_args!("malformed Common Packet Format: {reason}"),
                    );
                    None
                }
            },
            _ => None,
        };
        let sequence = carried.and_then(|c| c.sequence);
        match dir {
            Direction::ToServer => {
                let encapsulation = command_operation(header.command);
                out.operation(encapsulation, MessageKind::Request, false, None);
                if header.status != 0 {
                    out.anomaly(dir, offset, "request with a non-zero encapsulation status");
                }
                if matches!(
                    header.command,
                    Command::SEND_RR_DATA | Command::SEND_UNIT_DATA
                ) && header.session == 0
                {
                    out.anomaly(dir, offset, "data sent without a registered session");
                }
                let cip = carried.and_then(|c| self.cip(dir, offset, c.message, None, out));
                // NOP and UnRegisterSession have no reply (Vol. 2 §2-4.1, §2-4.5).
                if !matches!(header.command, Command::NOP | Command::UNREGISTER_SESSION) {
                    let pending = Pending {
                        command: header.command,
                        context: header.context,
                        sequence,
                        encapsulation,
                        cip,
                    };
                    self.remember(pending, offset, out);
                }
            }
            Direction::ToClient => {
                let matched = self
                    .pending
                    .iter()
                    .position(|p| {
                        // SendUnitData has no encapsulation reply (Vol. 2 §2-4.8): the target's
                        // own SendUnitData need not echo the sender context, so connected
                        // messages pair by the CIP sequence count alone.
                        let context = header.command == Command::SEND_UNIT_DATA
                            || p.context == header.context;
                        p.command == header.command
                            && context
                            && (p.sequence.is_none()
                                || sequence.is_none()
                                || p.sequence == sequence)
                    })
                    .map(|i| self.pending.remove(i));
                let exception = header.status != 0;
                let expect = match matched {
                    Some(p) => {
                        out.operation(p.encapsulation, MessageKind::Response, exception, None);
                        p.cip
                    }
                    None => {
                        out.operation(
                            command_operation(header.command),
                            MessageKind::UnmatchedResponse,
                            exception,
                            None,
                        );
                        None
                    }
                };
                if header.command == Command::LIST_IDENTITY && !exception {
                    self.list_identity(dir, offset, body, out);
                }
                if let Some(c) = carried {
                    // A reply with an unexpected request in it still counts as that request.
                    let _ = self.cip(dir, offset, c.message, expect, out);
                }
            }
        }
    }

    /// ListIdentity reply: one identity item per device (Vol. 2 §2-4.3.2).
    fn list_identity(&mut self, dir: Direction, offset: u64, body: &[u8], out: &mut Output<'_>) {
        let items = match parse_cpf(body) {
            Ok(items) => items,
            Err(reason) => {
                out.malformed(
                    dir,
                    offset,
                    format_args!("malformed ListIdentity reply: {reason}"),
                );
                return;
            }
        };
        for item in items.iter().filter(|i| i.kind == Item::LIST_IDENTITY) {
            match Identity::from_list_identity(item.data) {
                Ok(identity) => identity_facts(&identity, dir == Direction::ToServer, out),
                Err(reason) => out.malformed(
                    dir,
                    offset,
                    format_args!("malformed ListIdentity item: {reason}"),
                ),
            }
        }
    }
}

impl Session for EnipSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let mut framer = std::mem::take(match dir {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        });
        // Implicit I/O datagrams have no encapsulation header: each is counted on its own.
        if framer.is_idle() && implicit_io(data).is_some() {
            framer.skip(data.len());
            out.operation(implicit_io_operation(), MessageKind::Request, false, None);
        } else {
            framer.push(data, &mut |event| match event {
                Event::Frame {
                    offset,
                    header,
                    body,
                } => self.message(dir, offset, header, body, out),
                Event::Garbage { offset, len } => out.anomaly(
                    dir,
                    offset,
                    format_args!("{len} bytes that are not EtherNet/IP skipped"),
                ),
            });
        }
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
