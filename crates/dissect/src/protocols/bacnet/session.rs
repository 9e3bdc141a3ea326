//! One BACnet/IP flow: each datagram decoded, confirmed requests paired with their ACK, Error,
//! Reject or Abort by invoke id, what devices say about themselves kept as identity facts.
//!
//! BACnet peers are both clients and servers (most flows run 47808↔47808), so the kind of
//! message comes from the APDU type, never from the direction: a confirmed request is paired
//! with the answer that comes back the other way with the same invoke id and network route.

use super::parser::{self, Datagram};
use super::pdu::{
    app, character_string, device_communication_control, i_am, i_have, read_property_ack,
    read_property_multiple_ack, read_property_multiple_request, read_property_request,
    reinitialize_device, unsigned, who_is, Apdu, NetAddr, Npdu, PropertyValue, Segment, TagBody,
};
use super::types::{
    communication_control, confirmed, confirmed_service, identity_property, reinitialize_state,
    unconfirmed, unconfirmed_service, vendor_name, ABORT_UNMATCHED, OBJECT_DEVICE,
    REJECT_UNMATCHED, UNCONFIRMED_BASE, WILDCARD_INSTANCE,
};
use crate::{MessageKind, OpClass, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Open transactions remembered per flow. Invoke ids are one octet per requester, so a flow
/// holds at most 512 honest ones; a flooding scanner must not grow the table past this.
const MAX_PENDING: usize = 256;
/// Segments followed per transaction before the rest are only counted as a flood.
const MAX_SEGMENTS: u32 = 4096;

#[derive(Debug, Clone, Copy)]
struct Pending {
    /// Who sent the request.
    requester: Direction,
    invoke: u8,
    /// The request's routed destination and source (clause 6.2.2), hashed.
    route: u64,
    op: Operation,
    /// A (first) response has been reported; later segments are not counted again.
    answered: bool,
    segments: u32,
}

#[derive(Debug, Default)]
pub(crate) struct BacnetSession {
    pending: Vec<Pending>,
    /// Bytes seen per direction, to give anomalies a stream offset.
    to_server_bytes: u64,
    to_client_bytes: u64,
    overflow_reported: bool,
    /// Network layer messages (router discovery and the like): counted, not operations.
    pub(crate) network_messages: u64,
    /// BVLL messages without an NPDU (BVLC-Result, foreign device registration, BDT/FDT).
    pub(crate) link_messages: u64,
    /// Segments of segmented messages after the first, and Segment-ACKs.
    pub(crate) segments: u64,
    pub(crate) segment_acks: u64,
}

/// The operation of a confirmed service; `detail` is the reinitialize state or the
/// enable-disable value where the request carried one.
pub(crate) fn confirmed_operation(service: u8, detail: Option<u32>) -> Operation {
    let (mut name, mut class) = confirmed_service(service);
    let mut subcode = None;
    if let Some(value) = detail {
        subcode = u16::try_from(value).ok();
        match service {
            confirmed::REINITIALIZE_DEVICE => (name, class) = reinitialize_state(value),
            confirmed::DEVICE_COMMUNICATION_CONTROL => {
                (name, class) = (communication_control(value), OpClass::Control)
            }
            _ => {}
        }
    }
    Operation {
        protocol: Protocol::Bacnet,
        code: u16::from(service),
        subcode,
        name,
        class,
    }
}

pub(crate) fn unconfirmed_operation(service: u8) -> Operation {
    let (name, class) = unconfirmed_service(service);
    Operation {
        protocol: Protocol::Bacnet,
        code: UNCONFIRMED_BASE | u16::from(service),
        subcode: None,
        name,
        class,
    }
}

fn unmatched_operation(code: u16, name: &'static str) -> Operation {
    Operation {
        protocol: Protocol::Bacnet,
        code,
        subcode: None,
        name,
        class: OpClass::Other,
    }
}

/// A stable digest of a request's (destination, source) network addresses.
fn route(destination: Option<NetAddr<'_>>, source: Option<NetAddr<'_>>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    for a in [destination, source] {
        match a {
            None => eat(0),
            Some(a) => {
                eat(1);
                a.net.to_be_bytes().into_iter().for_each(&mut eat);
                eat(a.addr.len() as u8);
                a.addr.iter().copied().for_each(&mut eat);
            }
        }
    }
    h
}

/// Facts about the sender of a message: its direction says which end of the flow it is.
fn about_sender(dir: Direction) -> bool {
    dir == Direction::ToServer
}

impl BacnetSession {
    fn datagram(&mut self, dir: Direction, data: &[u8], out: &mut Output<'_>) {
        let counter = match dir {
            Direction::ToServer => &mut self.to_server_bytes,
            Direction::ToClient => &mut self.to_client_bytes,
        };
        let offset = *counter;
        *counter = counter.saturating_add(data.len() as u64);
        let parsed = parser::parse(data);
        if let Ok(d) = &parsed {
            if !d.bvlc.length_matches(data) {
                out.malformed(
                    dir,
                    offset,
                    format_args!(
                        "BVLC length {} does not match the {}-octet datagram",
                        d.bvlc.length,
                        data.len()
                    ),
                );
            }
        }
        match parsed {
            Err(reason) => out.malformed(
                dir,
                offset,
                format_args!("malformed BACnet/IP datagram: {reason}"),
            ),
            Ok(Datagram { npdu: None, .. }) => self.link_messages += 1,
            Ok(Datagram {
                npdu: Some(_),
                apdu: None,
                ..
            }) => self.network_messages += 1,
            Ok(Datagram {
                npdu: Some(npdu),
                apdu: Some(apdu),
                ..
            }) => self.apdu(dir, offset, &npdu, apdu, out),
        }
    }

    fn apdu(
        &mut self,
        dir: Direction,
        offset: u64,
        npdu: &Npdu<'_>,
        apdu: Apdu<'_>,
        out: &mut Output<'_>,
    ) {
        // A request's key is (destination, source); an answer travels the other way.
        let as_request = route(npdu.destination, npdu.source);
        let as_answer = route(npdu.source, npdu.destination);
        // What a message says about its sender describes this IP host only when the sender
        // is on the IP network itself; a routed one (SNET/SADR present) is a device behind a
        // BACnet router, which would be misattributed to the router's address.
        let sender = npdu.source.is_none().then_some(about_sender(dir));
        match apdu {
            Apdu::ConfirmedRequest {
                segment,
                invoke,
                service,
                data,
                ..
            } => {
                self.confirmed_request(dir, offset, as_request, invoke, service, segment, data, out)
            }
            Apdu::UnconfirmedRequest { service, data } => {
                self.unconfirmed_request(dir, offset, sender, service, data, out)
            }
            Apdu::SimpleAck { invoke, service } => {
                self.answer(dir, offset, as_answer, invoke, service, false, None, out);
            }
            Apdu::ComplexAck {
                segment,
                invoke,
                service,
                data,
            } => {
                let first =
                    self.answer(dir, offset, as_answer, invoke, service, false, segment, out);
                // Values are decoded from unsegmented ACKs only (segments are not reassembled).
                if first && segment.is_none() {
                    self.complex_ack_values(dir, offset, sender, service, data, out);
                }
            }
            Apdu::Error {
                invoke, service, ..
            } => {
                self.answer(dir, offset, as_answer, invoke, service, true, None, out);
            }
            Apdu::SegmentAck { .. } => self.segment_acks += 1,
            Apdu::Reject { invoke, .. } => {
                self.ends_transaction(dir.reverse(), as_answer, invoke, REJECT_UNMATCHED, out)
            }
            Apdu::Abort {
                invoke,
                from_server,
                ..
            } => {
                if from_server {
                    self.ends_transaction(dir.reverse(), as_answer, invoke, ABORT_UNMATCHED, out)
                } else {
                    self.ends_transaction(dir, as_request, invoke, ABORT_UNMATCHED, out)
                }
            }
        }
    }

    fn find(&self, requester: Direction, invoke: u8, route: u64) -> Option<usize> {
        let same = |p: &&Pending| p.requester == requester && p.invoke == invoke;
        self.pending
            .iter()
            .position(|p| same(&p) && p.route == route)
            // A router may rewrite the addressing: the invoke id alone still pairs.
            .or_else(|| self.pending.iter().position(|p| same(&p)))
    }

    fn remember(&mut self, dir: Direction, offset: u64, entry: Pending, out: &mut Output<'_>) {
        // An invoke id reused before its answer replaces the stale transaction.
        let same = |p: &Pending| {
            p.requester == entry.requester && p.invoke == entry.invoke && p.route == entry.route
        };
        if let Some(i) = self.pending.iter().position(same) {
            self.pending.remove(i);
        }
        if self.pending.len() >= MAX_PENDING {
            self.pending.remove(0);
            if !self.overflow_reported {
                self.overflow_reported = true;
                out.anomaly(
                    dir,
                    offset,
                    format_args!(
                        "more than {MAX_PENDING} confirmed requests without an answer; the oldest are forgotten"
                    ),
                );
            }
        }
        self.pending.push(entry);
    }

    /// Counts a later segment of a transaction; false once the cap is passed.
    fn count_segment(&mut self, index: usize, dir: Direction, offset: u64, out: &mut Output<'_>) {
        self.segments += 1;
        if let Some(p) = self.pending.get_mut(index) {
            p.segments = p.segments.saturating_add(1);
            if p.segments == MAX_SEGMENTS {
                out.anomaly(
                    dir,
                    offset,
                    format_args!(
                        "{} segmented with more than {MAX_SEGMENTS} segments",
                        p.op.name
                    ),
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn confirmed_request(
        &mut self,
        dir: Direction,
        offset: u64,
        route: u64,
        invoke: u8,
        service: u8,
        segment: Option<Segment>,
        data: &[u8],
        out: &mut Output<'_>,
    ) {
        if let Some(seg) = segment.filter(|s| s.sequence != 0) {
            // A later segment of a request already counted with its first segment.
            match self.find(dir, invoke, route) {
                Some(i) => self.count_segment(i, dir, offset, out),
                None => out.anomaly(
                    dir,
                    offset,
                    format_args!(
                        "segment {} of a {} request whose first segment was not seen",
                        seg.sequence,
                        confirmed_service(service).0
                    ),
                ),
            }
            return;
        }
        // A segmented request's first segment holds only part of the parameters.
        let whole = segment.is_none();
        let mut detail = None;
        let checked = match service {
            confirmed::READ_PROPERTY if whole => read_property_request(data).map(|_| ()),
            confirmed::READ_PROPERTY_MULTIPLE if whole => {
                read_property_multiple_request(data).map(|_| ())
            }
            confirmed::REINITIALIZE_DEVICE if whole => {
                reinitialize_device(data).map(|(state, _password)| detail = Some(state))
            }
            confirmed::DEVICE_COMMUNICATION_CONTROL if whole => {
                device_communication_control(data).map(|(value, _password)| detail = Some(value))
            }
            _ => Ok(()),
        };
        if let Err(reason) = checked {
            out.malformed(
                dir,
                offset,
                format_args!(
                    "malformed {} request: {reason}",
                    confirmed_service(service).0
                ),
            );
        }
        let op = confirmed_operation(service, detail);
        out.operation(op, MessageKind::Request, false, None);
        self.remember(
            dir,
            offset,
            Pending {
                requester: dir,
                invoke,
                route,
                op,
                answered: false,
                segments: 0,
            },
            out,
        );
    }

    fn unconfirmed_request(
        &mut self,
        dir: Direction,
        offset: u64,
        sender: Option<bool>,
        service: u8,
        data: &[u8],
        out: &mut Output<'_>,
    ) {
        let mut facts: Vec<(&'static str, String)> = Vec::new();
        let checked = match service {
            unconfirmed::WHO_IS => who_is(data).map(|_| ()),
            unconfirmed::I_AM => i_am(data).map(|device| {
                if device.object_type == OBJECT_DEVICE {
                    facts.push(("device_instance", device.instance.to_string()));
                }
                facts.push(("vendor_id", device.vendor.to_string()));
                if let Some(name) = vendor_name(device.vendor) {
                    facts.push(("vendor", name.to_string()));
                }
            }),
            unconfirmed::I_HAVE => i_have(data).map(|(object_type, instance)| {
                if object_type == OBJECT_DEVICE {
                    facts.push(("device_instance", instance.to_string()));
                }
            }),
            _ => Ok(()),
        };
        if let Some(about) = sender {
            for (field, value) in facts {
                out.identity(about, field, value);
            }
        }
        let op = unconfirmed_operation(service);
        if let Err(reason) = checked {
            out.malformed(
                dir,
                offset,
                format_args!("malformed {} request: {reason}", op.name),
            );
        }
        out.operation(op, MessageKind::Request, false, None);
    }

    /// A Simple-ACK, Complex-ACK or Error: the answer to a confirmed request of `service`.
    /// False for a later segment of an answer already counted.
    #[allow(clippy::too_many_arguments)]
    fn answer(
        &mut self,
        dir: Direction,
        offset: u64,
        route: u64,
        invoke: u8,
        service: u8,
        error: bool,
        segment: Option<Segment>,
        out: &mut Output<'_>,
    ) -> bool {
        let more = segment.is_some_and(|s| s.more_follows);
        let requester = dir.reverse();
        if let Some(i) = self.find(requester, invoke, route) {
            match self.pending.get(i).copied() {
                Some(p) if p.op.code == u16::from(service) => {
                    if more {
                        if let Some(entry) = self.pending.get_mut(i) {
                            entry.answered = true;
                        }
                    }
                    if p.answered {
                        self.count_segment(i, dir, offset, out);
                    } else {
                        out.operation(p.op, MessageKind::Response, error, None);
                    }
                    if !more {
                        self.pending.remove(i);
                    }
                    return !p.answered;
                }
                Some(p) => {
                    out.anomaly(
                        dir,
                        offset,
                        format_args!(
                            "answer for service {service} does not match the {} request with invoke id {invoke}",
                            p.op.name
                        ),
                    );
                    self.pending.remove(i);
                }
                None => {}
            }
        }
        let unmatched = confirmed_operation(service, None);
        out.operation(unmatched, MessageKind::UnmatchedResponse, error, None);
        if more {
            // Later segments belong to this answer, already counted.
            self.remember(
                dir,
                offset,
                Pending {
                    requester,
                    invoke,
                    route,
                    op: unmatched,
                    answered: true,
                    segments: 0,
                },
                out,
            );
        }
        true
    }

    fn complex_ack_values(
        &mut self,
        dir: Direction,
        offset: u64,
        sender: Option<bool>,
        service: u8,
        data: &[u8],
        out: &mut Output<'_>,
    ) {
        let values = match service {
            confirmed::READ_PROPERTY if !data.is_empty() => {
                read_property_ack(data).map(|v| vec![v])
            }
            confirmed::READ_PROPERTY_MULTIPLE if !data.is_empty() => {
                read_property_multiple_ack(data)
            }
            _ => return,
        };
        match values {
            Ok(values) => {
                if let Some(about) = sender {
                    for value in values {
                        device_fact(about, &value, out);
                    }
                }
            }
            Err(reason) => out.malformed(
                dir,
                offset,
                format_args!(
                    "malformed {} acknowledgement: {reason}",
                    confirmed_service(service).0
                ),
            ),
        }
    }

    /// A Reject or Abort: ends the transaction `requester` opened with `invoke`.
    fn ends_transaction(
        &mut self,
        requester: Direction,
        route: u64,
        invoke: u8,
        unmatched_code: u16,
        out: &mut Output<'_>,
    ) {
        match self.find(requester, invoke, route) {
            Some(i) => {
                let p = self.pending.remove(i);
                out.operation(p.op, MessageKind::Response, true, None);
            }
            None => {
                let name = if unmatched_code == REJECT_UNMATCHED {
                    "Reject (request not seen)"
                } else {
                    "Abort (request not seen)"
                };
                out.operation(
                    unmatched_operation(unmatched_code, name),
                    MessageKind::UnmatchedResponse,
                    true,
                    None,
                );
            }
        }
    }
}

/// A device object's property value that says who the device is.
fn device_fact(about: bool, value: &PropertyValue<'_>, out: &mut Output<'_>) {
    if value.object_type != OBJECT_DEVICE {
        return;
    }
    if value.instance != WILDCARD_INSTANCE {
        out.identity(about, "device_instance", value.instance.to_string());
    }
    let (Some(field), Some(tag)) = (identity_property(value.property), value.value) else {
        return;
    };
    let TagBody::Value(bytes) = tag.body else {
        return;
    };
    match (field, tag.number) {
        ("vendor_id", app::UNSIGNED) => {
            if let Ok(id) = unsigned(bytes) {
                out.identity(about, "vendor_id", id.to_string());
                if let Some(name) = vendor_name(id) {
                    out.identity(about, "vendor", name.to_string());
                }
            }
        }
        (_, app::CHARACTER_STRING) => {
            if let Some(text) = character_string(bytes) {
                out.identity(about, field, text);
            }
        }
        _ => {}
    }
}

impl Session for BacnetSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        self.datagram(dir, data, out);
    }

    /// Datagrams are independent: a lost one leaves nothing partial to drop. An answer that
    /// was lost leaves its request pending until the invoke id is reused or the cap is hit.
    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        let counter = match dir {
            Direction::ToServer => &mut self.to_server_bytes,
            Direction::ToClient => &mut self.to_client_bytes,
        };
        *counter = counter.saturating_add(len);
    }
}
