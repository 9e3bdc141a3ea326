//! One DNP3 association: link framing and CRC checks per direction, transport reassembly of
//! application fragments, requests paired with responses by application sequence number and
//! link addresses, caps on everything kept.

use super::parser::{Event, Framer};
use super::pdu::{deblock, walk_objects, AppHeader, LinkHeader, Objects, TransportHeader};
use super::types::{
    aggressive_mode_name, auth_object_name, device_attribute_field, function_name, iin_flags,
    FunctionCode, AUTH_GROUP, IIN_ERROR_BITS, IIN_STATE_BITS, LINK_CONFIRMED_USER_DATA,
    LINK_UNCONFIRMED_USER_DATA,
};
use crate::{MessageKind, OpClass, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Requests awaiting a response per association. The 4-bit application sequence number allows
/// 16 per master/outstation pair; a few pairs may share a connection.
const MAX_PENDING: usize = 32;
/// Largest application fragment reassembled (§8 and the common 2048-octet fragment size of
/// IEEE 1815-2012 §4.2.1); longer ones are followed to their end but only this much is kept
/// and decoded, and the first is reported.
pub(crate) const MAX_FRAGMENT: usize = 2048;
/// Fragments being reassembled at once per direction (one per source/destination pair).
pub(crate) const MAX_IN_FLIGHT: usize = 4;
/// Multi-fragment responses followed at once (one per outstation/master pair).
const MAX_CONTINUING: usize = 4;

/// Visible string, the data type of the descriptive device attributes (§A.1.1, Table A-2).
const ATTRIBUTE_VSTR: u8 = 1;

#[derive(Debug, Clone, Copy)]
struct Pending {
    requester: u16,
    responder: u16,
    seq: u8,
    op: Operation,
}

/// A response whose further fragments are expected (§4.2.2.4: FIN not set).
#[derive(Debug, Clone, Copy)]
struct Continuing {
    from: u16,
    to: u16,
    seq: u8,
    op: Operation,
}

/// An application fragment being reassembled from transport segments (§8.2).
#[derive(Debug)]
struct Reassembly {
    source: u16,
    destination: u16,
    next_seq: u8,
    /// Stream offset of the link frame with the first segment.
    offset: u64,
    data: Vec<u8>,
    /// Segments past [`MAX_FRAGMENT`] are followed but not kept: the header is still counted.
    truncated: bool,
}

#[derive(Debug, Default)]
struct Side {
    in_flight: Vec<Reassembly>,
    /// De-blocked user data of the current link frame (reused).
    user: Vec<u8>,
}

#[derive(Debug, Default)]
pub(crate) struct Dnp3Session {
    to_server: Framer,
    to_client: Framer,
    server_side: Side,
    client_side: Side,
    pending: Vec<Pending>,
    continuing: Vec<Continuing>,
    pending_reported: bool,
    fragment_cap_reported: bool,
    in_flight_reported: bool,
}

fn is_auth_request(code: u16) -> bool {
    code == u16::from(FunctionCode::AUTHENTICATE_REQ)
        || code == u16::from(FunctionCode::AUTHENTICATE_REQ_NR)
}

/// The operation of a request: its function, or the Secure Authentication object it carries.
pub(crate) fn request_operation(function: u8, objects: &Objects<'_>) -> Operation {
    let (name, class) = function_name(function);
    let auth = objects.headers.iter().find(|h| h.group == AUTH_GROUP);
    let (subcode, name) = match (function, auth) {
        (FunctionCode::AUTHENTICATE_REQ | FunctionCode::AUTHENTICATE_REQ_NR, Some(h)) => {
            (Some(u16::from(h.variation)), auth_object_name(h.variation))
        }
        (_, Some(h)) if h.variation == 3 => (None, aggressive_mode_name(function)),
        _ => (None, name),
    };
    Operation {
        protocol: Protocol::Dnp3,
        code: u16::from(function),
        subcode,
        name,
        class,
    }
}

/// The operation of a response: RESPONSE with the answered request's code as sub-code and its
/// class (`other` when the request was not seen); AUTHENTICATE_RESP by the g120 object.
fn response_operation(
    function: u8,
    request: Option<Operation>,
    objects: &Objects<'_>,
) -> Operation {
    let (name, class) = function_name(function);
    let auth = objects.headers.iter().find(|h| h.group == AUTH_GROUP);
    let (subcode, name, class) = match (function, auth) {
        (FunctionCode::AUTHENTICATE_RESP, Some(h)) => (
            Some(u16::from(h.variation)),
            auth_object_name(h.variation),
            class,
        ),
        (FunctionCode::AUTHENTICATE_RESP, None) => (None, name, class),
        _ => match request {
            Some(op) => (Some(op.code), name, op.class),
            None => (None, name, class),
        },
    };
    Operation {
        protocol: Protocol::Dnp3,
        code: u16::from(function),
        subcode,
        name,
        class,
    }
}

/// Lowest index and quantity of the points a request addresses, where its headers name points
/// of a single group (indices of different groups are different points).
fn request_range(objects: &Objects<'_>) -> Option<(u32, u32)> {
    let first = objects.headers.first()?;
    if objects.headers.iter().any(|h| h.group != first.group) {
        return None;
    }
    let (lo, hi) = objects
        .headers
        .iter()
        .filter_map(|h| h.indices)
        .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))?;
    Some((lo, (hi - lo).saturating_add(1)))
}

impl Dnp3Session {
    /// The pending request a first response fragment answers (same link pair reversed, same
    /// sequence number; the oldest of repeats). A Secure Authentication challenge answers a
    /// critical request whose real response is still to come (§7.4.1): that request stays
    /// pending. A RESPONSE after an authentication exchange answers the critical request, and
    /// ends the exchange.
    fn take_pending(&mut self, link: LinkHeader, seq: u8, function: u8) -> Option<Pending> {
        let answers = |p: &Pending| {
            p.responder == link.source && p.requester == link.destination && p.seq == seq
        };
        if function == FunctionCode::AUTHENTICATE_RESP {
            return self.pending.iter().find(|p| answers(p)).copied();
        }
        let position = self
            .pending
            .iter()
            .position(|p| answers(p) && !is_auth_request(p.op.code))
            .or_else(|| self.pending.iter().position(answers));
        let taken = position.map(|i| self.pending.remove(i));
        if taken.is_some_and(|p| !is_auth_request(p.op.code)) {
            self.pending
                .retain(|p| !(answers(p) && is_auth_request(p.op.code)));
        }
        taken
    }

    fn frame(
        &mut self,
        dir: Direction,
        side: &mut Side,
        offset: u64,
        header: LinkHeader,
        blocks: &[u8],
        out: &mut Output<'_>,
    ) {
        if let Err(bad) = deblock(blocks, &mut side.user) {
            out.malformed(
                dir,
                offset + bad as u64,
                "link data block CRC mismatch; frame dropped",
            );
            return;
        }
        let user = std::mem::take(&mut side.user);
        self.user_data(dir, side, offset, header, &user, out);
        side.user = user;
    }

    /// Transport reassembly (§8.2): FIR starts a fragment, segments follow in sequence, FIN
    /// completes it. Link-only frames (no user data) carry no application message.
    fn user_data(
        &mut self,
        dir: Direction,
        side: &mut Side,
        offset: u64,
        header: LinkHeader,
        user: &[u8],
        out: &mut Output<'_>,
    ) {
        let Some((&transport, segment)) = user.split_first() else {
            return;
        };
        let function = header.function();
        if !header.primary()
            || !matches!(
                function,
                LINK_CONFIRMED_USER_DATA | LINK_UNCONFIRMED_USER_DATA
            )
        {
            out.anomaly(
                dir,
                offset,
                format_args!(
                    "user data in a link frame that cannot carry it (control 0x{:02x})",
                    header.control
                ),
            );
            return;
        }
        let th = TransportHeader::parse(transport);
        let key = |r: &Reassembly| r.source == header.source && r.destination == header.destination;
        let existing = side.in_flight.iter().position(key);
        if th.fir {
            // A new first segment abandons any fragment of the same pair (§8.2.2).
            if let Some(i) = existing {
                side.in_flight.remove(i);
            }
            if th.fin {
                self.fragment(dir, offset, header, segment, false, out);
                return;
            }
            if side.in_flight.len() >= MAX_IN_FLIGHT {
                side.in_flight.remove(0);
                if !self.in_flight_reported {
                    self.in_flight_reported = true;
                    out.anomaly(
                        dir,
                        offset,
                        format_args!(
                            "more than {MAX_IN_FLIGHT} application fragments in reassembly; the oldest is dropped"
                        ),
                    );
                }
            }
            side.in_flight.push(Reassembly {
                source: header.source,
                destination: header.destination,
                next_seq: (th.seq + 1) & 0x3F,
                offset,
                data: segment.to_vec(),
                truncated: false,
            });
            return;
        }
        // A segment without FIR continues a fragment; without one in progress (the capture
        // started mid-fragment, or segments were lost) it is discarded, as a receiver would.
        let Some(i) = existing else {
            return;
        };
        let Some(r) = side.in_flight.get_mut(i) else {
            return;
        };
        if th.seq != r.next_seq {
            // A repeated segment is ignored (§8.2.2); any other sequence breaks the fragment.
            if th.seq != (r.next_seq + 0x3F) & 0x3F {
                side.in_flight.remove(i);
            }
            return;
        }
        if r.data.len() + segment.len() > MAX_FRAGMENT {
            if !r.truncated && !self.fragment_cap_reported {
                self.fragment_cap_reported = true;
                out.anomaly(
                    dir,
                    r.offset,
                    format_args!(
                        "application fragment longer than {MAX_FRAGMENT} octets; only its first {MAX_FRAGMENT} are decoded"
                    ),
                );
            }
            r.truncated = true;
        } else if !r.truncated {
            r.data.extend_from_slice(segment);
        }
        r.next_seq = (th.seq + 1) & 0x3F;
        if th.fin {
            let r = side.in_flight.remove(i);
            self.fragment(dir, r.offset, header, &r.data, r.truncated, out);
        }
    }

    /// One complete application fragment (§4.2.2).
    fn fragment(
        &mut self,
        dir: Direction,
        offset: u64,
        link: LinkHeader,
        fragment: &[u8],
        truncated: bool,
        out: &mut Output<'_>,
    ) {
        let (header, data) = match AppHeader::parse(fragment) {
            Ok(parsed) => parsed,
            Err(reason) => {
                out.anomaly(dir, offset, reason);
                return;
            }
        };
        let function = header.function;
        let objects = walk_objects(function, data);
        // A truncated fragment's objects end early by construction, not by malformation.
        if let Some((at, reason)) = objects.error.filter(|_| !truncated) {
            out.malformed(
                dir,
                offset,
                format_args!(
                    "malformed {} objects at application octet {}: {reason}",
                    function_name(function).0,
                    at + fragment.len() - data.len()
                ),
            );
        }
        if function_name(function).0 == "Unknown Function" {
            out.anomaly(
                dir,
                offset,
                format_args!("unknown application function code {function}"),
            );
        }
        if let Some(iin) = header.iin {
            // The device describes its own state: noted, never an anomaly.
            let about_client = dir == Direction::ToServer;
            for flag in iin_flags(iin, IIN_STATE_BITS) {
                out.identity(about_client, "cpu_state", flag.to_string());
            }
            for &(variation, kind, value) in &objects.attributes {
                if let Some(field) = device_attribute_field(variation) {
                    if kind == ATTRIBUTE_VSTR {
                        out.identity(
                            about_client,
                            field,
                            String::from_utf8_lossy(value).into_owned(),
                        );
                    }
                }
            }
        }
        match function {
            FunctionCode::RESPONSE | FunctionCode::AUTHENTICATE_RESP => {
                let exception = header.iin.is_some_and(|iin| iin & IIN_ERROR_BITS != 0);
                self.response(link, header, &objects, exception, out);
            }
            FunctionCode::UNSOLICITED_RESPONSE => {
                // Initiated by the outstation (§4.6.2): its own operation, counted like a
                // request; the master's CONFIRM is counted as a request of code 0.
                let op = response_operation(function, None, &objects);
                out.operation(op, MessageKind::Request, false, None);
            }
            _ => self.request(offset, dir, link, header, &objects, out),
        }
    }

    fn request(
        &mut self,
        offset: u64,
        dir: Direction,
        link: LinkHeader,
        header: AppHeader,
        objects: &Objects<'_>,
        out: &mut Output<'_>,
    ) {
        let function = header.function;
        let op = request_operation(function, objects);
        let range = match op.class {
            OpClass::Read | OpClass::Write => request_range(objects),
            _ => None,
        };
        out.operation(op, MessageKind::Request, false, range);
        if !FunctionCode::expects_response(function) {
            return;
        }
        let seq = header.control.seq;
        // A new request reusing a pending sequence number supersedes a different request
        // (§4.2.2.4.4); a repeat of the same request is kept, since masters that repeat without
        // waiting get one response per repeat (answered in order).
        // An authentication reply (g120v2) continues the challenged critical request, which
        // keeps waiting for its own response (IEEE 1815-2012 §7.4.1).
        let is_auth = is_auth_request(op.code);
        self.pending.retain(|p| {
            !(p.requester == link.source
                && p.responder == link.destination
                && p.seq == seq
                && p.op != op
                && !is_auth
                && !is_auth_request(p.op.code))
        });
        if self.pending.len() >= MAX_PENDING {
            self.pending.remove(0);
            if !self.pending_reported {
                self.pending_reported = true;
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
            requester: link.source,
            responder: link.destination,
            seq,
            op,
        });
    }

    fn response(
        &mut self,
        link: LinkHeader,
        header: AppHeader,
        objects: &Objects<'_>,
        exception: bool,
        out: &mut Output<'_>,
    ) {
        let control = header.control;
        let from_pair = |from: u16, to: u16| from == link.source && to == link.destination;
        let continued = self
            .continuing
            .iter()
            .position(|c| from_pair(c.from, c.to))
            .map(|i| self.continuing.remove(i));
        let (op, kind) = if control.fir {
            let matched = self.take_pending(link, control.seq, header.function);
            let op = response_operation(header.function, matched.map(|p| p.op), objects);
            let kind = if matched.is_some() {
                MessageKind::Response
            } else {
                MessageKind::UnmatchedResponse
            };
            (op, kind)
        } else {
            // Later fragments of a multi-fragment response count up from the first (§4.2.2.4).
            match continued {
                Some(c) if control.seq == (c.seq + 1) & 0x0F => (c.op, MessageKind::Response),
                _ => (
                    response_operation(header.function, None, objects),
                    MessageKind::UnmatchedResponse,
                ),
            }
        };
        out.operation(op, kind, exception, None);
        if !control.fin {
            if self.continuing.len() >= MAX_CONTINUING {
                self.continuing.remove(0);
            }
            self.continuing.push(Continuing {
                from: link.source,
                to: link.destination,
                seq: control.seq,
                op,
            });
        }
    }
}

impl Session for Dnp3Session {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let (mut framer, mut side) = match dir {
            Direction::ToServer => (
                std::mem::take(&mut self.to_server),
                std::mem::take(&mut self.server_side),
            ),
            Direction::ToClient => (
                std::mem::take(&mut self.to_client),
                std::mem::take(&mut self.client_side),
            ),
        };
        framer.push(data, &mut |event| match event {
            Event::Frame {
                offset,
                header,
                blocks,
            } => self.frame(dir, &mut side, offset, header, blocks, out),
            Event::Garbage {
                offset,
                len,
                reason,
            } => out.anomaly(dir, offset, format_args!("{reason}: {len} bytes skipped")),
        });
        match dir {
            Direction::ToServer => {
                self.to_server = framer;
                self.server_side = side;
            }
            Direction::ToClient => {
                self.to_client = framer;
                self.client_side = side;
            }
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        let (framer, side) = match dir {
            Direction::ToServer => (&mut self.to_server, &mut self.server_side),
            Direction::ToClient => (&mut self.to_client, &mut self.client_side),
        };
        framer.gap(len);
        side.in_flight.clear();
    }
}
