//! One OPC UA TCP connection: framing per direction, the secure channel's security policy,
//! chunked messages reassembled (capped), requests paired with responses by request id.

use super::parser::{Event, Framer, BODY_CAP};
use super::pdu::{
    create_session_request, create_session_response, error, hello, open_request_mode,
    open_security_header, sequence_header, symmetric_security_header, type_id,
    ApplicationDescription, Header, Reader,
};
use super::types::{
    is_bad, security_mode_name, service, unknown_service, MessageType,
    CLOSE_SECURE_CHANNEL_REQUEST, CREATE_SESSION_REQUEST, CREATE_SESSION_RESPONSE, ENCRYPTED,
    OPEN_SECURE_CHANNEL_REQUEST, POLICY_NONE, SERVICE_FAULT, TRANSPORT_ERROR,
};
use crate::{MessageKind, OpClass, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Requests awaiting a response. Clients pipeline Publish requests, but rarely more than a
/// few dozen; a client that never gets answers must not grow this table.
const MAX_PENDING: usize = 128;

/// What the secure channel's OPN said about message security.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Policy {
    /// No OPN seen (the capture started later): bodies are decoded when they look clear.
    #[default]
    Unknown,
    /// SecurityPolicy None: everything is in clear.
    None,
    /// Any other policy: bodies may be encrypted and are not decoded.
    Secured,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    request_id: u32,
    op: Operation,
}

/// An unfinished chunked message of one direction (Part 6 §6.7.2.2: chunks of a message
/// share its request id; 'C' chunks precede the final 'F', an 'A' chunk aborts it).
#[derive(Debug)]
struct Partial {
    request_id: u32,
    offset: u64,
    body: Vec<u8>,
    truncated: bool,
}

#[derive(Debug, Default)]
pub(crate) struct OpcuaSession {
    to_server: Framer,
    to_client: Framer,
    policy: Policy,
    pending: Vec<Pending>,
    /// Encrypted requests not yet answered (their request ids cannot be read).
    encrypted_pending: u32,
    partial_to_server: Option<Partial>,
    partial_to_client: Option<Partial>,
    overflow_reported: bool,
}

fn operation(code: u32) -> Operation {
    let (code, name, class) = match service(code) {
        Some(s) => (s.request, s.name, s.class),
        None => {
            let (name, class) = unknown_service(code);
            (code, name, class)
        }
    };
    Operation {
        protocol: Protocol::Opcua,
        // Every standard service encoding id fits; a larger (vendor) one is kept saturated.
        code: u16::try_from(code).unwrap_or(u16::MAX),
        subcode: None,
        name,
        class,
    }
}

fn pseudo_operation(code: u16, name: &'static str, subcode: Option<u16>) -> Operation {
    Operation {
        protocol: Protocol::Opcua,
        code,
        subcode,
        name,
        class: OpClass::Other,
    }
}

fn text(b: Option<&[u8]>) -> Option<String> {
    b.map(|b| String::from_utf8_lossy(b).into_owned())
}

fn application_facts(about_client: bool, d: &ApplicationDescription<'_>, out: &mut Output<'_>) {
    if let Some(name) = text(d.application_name) {
        out.identity(about_client, "product_name", name);
    }
    if let Some(uri) = text(d.product_uri) {
        out.identity(about_client, "product_code", uri);
    }
    if let Some(uri) = text(d.application_uri) {
        out.identity(about_client, "application_uri", uri);
    }
}

impl OpcuaSession {
    fn message(
        &mut self,
        dir: Direction,
        offset: u64,
        header: Header,
        body: &[u8],
        truncated: bool,
        out: &mut Output<'_>,
    ) {
        match header.kind {
            MessageType::Hello => match hello(body) {
                Ok(url) => {
                    if let Some(url) = text(url) {
                        out.identity(false, "endpoint_url", url);
                    }
                }
                Err(reason) => {
                    out.malformed(dir, offset, format_args!("malformed Hello: {reason}"))
                }
            },
            MessageType::Acknowledge | MessageType::ReverseHello => {}
            MessageType::Error => match error(body) {
                Ok((status, _reason)) => out.operation(
                    pseudo_operation(
                        TRANSPORT_ERROR,
                        "Error Message",
                        u16::try_from(status >> 16).ok(),
                    ),
                    MessageKind::UnmatchedResponse,
                    true,
                    None,
                ),
                Err(reason) => {
                    out.malformed(dir, offset, format_args!("malformed Error: {reason}"))
                }
            },
            MessageType::Open => self.open(dir, offset, body, truncated, out),
            MessageType::Message | MessageType::Close => {
                self.secure_message(dir, offset, header, body, truncated, out)
            }
        }
    }

    fn open(
        &mut self,
        dir: Direction,
        offset: u64,
        body: &[u8],
        truncated: bool,
        out: &mut Output<'_>,
    ) {
        let (policy, mut r) = match open_security_header(body) {
            Ok(parts) => parts,
            Err(reason) => {
                if !truncated {
                    out.malformed(
                        dir,
                        offset,
                        format_args!("malformed OpenSecureChannel: {reason}"),
                    );
                }
                return;
            }
        };
        if let Some(uri) = text(policy) {
            out.identity(false, "security_policy", uri);
        }
        if policy != Some(POLICY_NONE) {
            // The rest of the OPN is encrypted with the peer's certificate.
            self.policy = Policy::Secured;
            let op = operation(OPEN_SECURE_CHANNEL_REQUEST);
            match dir {
                Direction::ToServer => {
                    self.encrypted_pending = self.encrypted_pending.saturating_add(1);
                    out.operation(op, MessageKind::Request, false, None);
                }
                Direction::ToClient => self.encrypted_answer(op, out),
            }
            return;
        }
        self.policy = Policy::None;
        match sequence_header(&mut r) {
            Ok((_sequence, request_id)) => {
                self.service(dir, offset, request_id, &mut r, truncated, out)
            }
            Err(_) => out.anomaly(
                dir,
                offset,
                "OpenSecureChannel shorter than its sequence header",
            ),
        }
    }

    /// An answer to an encrypted request: paired by order, as the request id is hidden.
    fn encrypted_answer(&mut self, op: Operation, out: &mut Output<'_>) {
        if self.encrypted_pending > 0 {
            self.encrypted_pending -= 1;
            out.operation(op, MessageKind::Response, false, None);
        } else {
            out.operation(op, MessageKind::UnmatchedResponse, false, None);
        }
    }

    fn secure_message(
        &mut self,
        dir: Direction,
        offset: u64,
        header: Header,
        body: &[u8],
        truncated: bool,
        out: &mut Output<'_>,
    ) {
        let partial = match dir {
            Direction::ToServer => &mut self.partial_to_server,
            Direction::ToClient => &mut self.partial_to_client,
        };
        if header.chunk == b'A' {
            // The sender gave up on the message: its chunks are dropped.
            *partial = None;
            return;
        }
        let mut r = match symmetric_security_header(body) {
            Ok(r) => r,
            Err(reason) => {
                out.malformed(dir, offset, format_args!("malformed message: {reason}"));
                return;
            }
        };
        if self.policy == Policy::Secured {
            if header.chunk != b'F' {
                return;
            }
            match (header.kind, dir) {
                (MessageType::Close, _) => out.operation(
                    operation(CLOSE_SECURE_CHANNEL_REQUEST),
                    MessageKind::Request,
                    false,
                    None,
                ),
                (_, Direction::ToServer) => {
                    self.encrypted_pending = self.encrypted_pending.saturating_add(1);
                    out.operation(
                        pseudo_operation(ENCRYPTED, "Encrypted Message", None),
                        MessageKind::Request,
                        false,
                        None,
                    );
                }
                (_, Direction::ToClient) => self
                    .encrypted_answer(pseudo_operation(ENCRYPTED, "Encrypted Message", None), out),
            }
            return;
        }
        let Ok((_sequence, request_id)) = sequence_header(&mut r) else {
            out.malformed(dir, offset, "message shorter than its sequence header");
            return;
        };
        let rest = r.rest();
        if header.chunk == b'C' {
            match partial {
                Some(p) if p.request_id == request_id => {
                    let room = BODY_CAP.saturating_sub(p.body.len());
                    p.body
                        .extend_from_slice(rest.get(..rest.len().min(room)).unwrap_or_default());
                    p.truncated |= truncated || rest.len() > room;
                }
                _ => {
                    if partial.is_some() {
                        out.anomaly(
                            dir,
                            offset,
                            "chunked message interrupted by another; its chunks are dropped",
                        );
                    }
                    let keep = rest.get(..rest.len().min(BODY_CAP)).unwrap_or_default();
                    *partial = Some(Partial {
                        request_id,
                        offset,
                        body: keep.to_vec(),
                        truncated: truncated || rest.len() > BODY_CAP,
                    });
                }
            }
            return;
        }
        match partial.take() {
            Some(mut p) if p.request_id == request_id => {
                let room = BODY_CAP.saturating_sub(p.body.len());
                p.body
                    .extend_from_slice(rest.get(..rest.len().min(room)).unwrap_or_default());
                let cut = p.truncated || truncated || rest.len() > room;
                let mut whole = Reader::new(&p.body);
                self.decode(dir, p.offset, request_id, &mut whole, cut, out);
            }
            other => {
                if other.is_some() {
                    out.anomaly(
                        dir,
                        offset,
                        "chunked message without its final chunk; its chunks are dropped",
                    );
                }
                let mut r = Reader::new(rest);
                self.decode(dir, offset, request_id, &mut r, truncated, out);
            }
        }
    }

    /// A cleartext (or possibly cleartext) message body after the sequence header.
    fn decode(
        &mut self,
        dir: Direction,
        offset: u64,
        request_id: u32,
        r: &mut Reader<'_>,
        truncated: bool,
        out: &mut Output<'_>,
    ) {
        let mut peek = *r;
        let known = matches!(type_id(&mut peek), Ok(Some(id)) if service(id).is_some() || id == SERVICE_FAULT);
        if self.policy == Policy::Unknown && !known {
            // No OPN seen and no recognisable service: most likely an encrypted channel.
            match dir {
                Direction::ToServer => {
                    self.encrypted_pending = self.encrypted_pending.saturating_add(1);
                    out.operation(
                        pseudo_operation(ENCRYPTED, "Encrypted Message", None),
                        MessageKind::Request,
                        false,
                        None,
                    );
                }
                Direction::ToClient => self
                    .encrypted_answer(pseudo_operation(ENCRYPTED, "Encrypted Message", None), out),
            }
            return;
        }
        self.service(dir, offset, request_id, r, truncated, out);
    }

    /// A service request or response: the body's type id, pairing, identity.
    fn service(
        &mut self,
        dir: Direction,
        offset: u64,
        request_id: u32,
        r: &mut Reader<'_>,
        truncated: bool,
        out: &mut Output<'_>,
    ) {
        let id = match type_id(r) {
            Ok(Some(id)) => id,
            Ok(None) => {
                out.anomaly(
                    dir,
                    offset,
                    "message body type is not a standard service encoding",
                );
                return;
            }
            Err(reason) => {
                out.malformed(dir, offset, format_args!("malformed message: {reason}"));
                return;
            }
        };
        let is_response = match service(id) {
            Some(s) => s.is_response,
            None => id == SERVICE_FAULT || dir == Direction::ToClient,
        };
        // Bodies cut by the cap may end inside a field: that is not the sender's fault.
        let mut malformed = |what: &str, reason: &str| {
            if !truncated {
                out.malformed(dir, offset, format_args!("malformed {what}: {reason}"));
            }
        };
        let mut facts: Vec<(bool, ApplicationDescription<'_>)> = Vec::new();
        let mut mode = None;
        if !is_response {
            match id {
                OPEN_SECURE_CHANNEL_REQUEST => match open_request_mode(r) {
                    Ok(m) => mode = Some(security_mode_name(m)),
                    Err(reason) => malformed("OpenSecureChannelRequest", reason),
                },
                CREATE_SESSION_REQUEST => match create_session_request(r) {
                    Ok(d) => facts.push((true, d)),
                    Err(reason) => malformed("CreateSessionRequest", reason),
                },
                _ => {}
            }
            self.request(dir, offset, request_id, operation(id), out);
        } else {
            let mut header = *r;
            let result = header.response_header();
            if let Err(reason) = result {
                malformed("response header", reason);
            }
            if id == CREATE_SESSION_RESPONSE {
                match create_session_response(r) {
                    Ok(Some(d)) => facts.push((false, d)),
                    Ok(None) => {}
                    Err(reason) => malformed("CreateSessionResponse", reason),
                }
            }
            let exception = id == SERVICE_FAULT || result.is_ok_and(is_bad);
            self.response(dir, offset, request_id, id, exception, out);
        }
        if let Some(mode) = mode {
            out.identity(false, "security_mode", mode.to_string());
        }
        for (about_client, d) in facts {
            application_facts(about_client, &d, out);
        }
    }

    fn request(
        &mut self,
        dir: Direction,
        offset: u64,
        request_id: u32,
        op: Operation,
        out: &mut Output<'_>,
    ) {
        out.operation(op, MessageKind::Request, false, None);
        if let Some(i) = self.pending.iter().position(|p| p.request_id == request_id) {
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
                        "more than {MAX_PENDING} requests without a response; the oldest are forgotten"
                    ),
                );
            }
        }
        self.pending.push(Pending { request_id, op });
    }

    fn response(
        &mut self,
        dir: Direction,
        offset: u64,
        request_id: u32,
        id: u32,
        exception: bool,
        out: &mut Output<'_>,
    ) {
        let matched = self
            .pending
            .iter()
            .position(|p| p.request_id == request_id)
            .map(|i| self.pending.remove(i));
        let expected = operation(id);
        match matched {
            // A ServiceFault answers any request.
            Some(p) if id == SERVICE_FAULT || p.op.code == expected.code => {
                out.operation(p.op, MessageKind::Response, exception, None);
            }
            other => {
                if let Some(p) = other {
                    out.anomaly(
                        dir,
                        offset,
                        format_args!(
                            "{} response to the {} request with request id {request_id}",
                            expected.name, p.op.name
                        ),
                    );
                }
                out.operation(expected, MessageKind::UnmatchedResponse, exception, None);
            }
        }
    }
}

impl Session for OpcuaSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let mut framer = std::mem::take(match dir {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        });
        framer.push(data, &mut |event| match event {
            Event::Message {
                offset,
                header,
                body,
                truncated,
            } => self.message(dir, offset, header, body, truncated, out),
            Event::Garbage { offset, len } => out.anomaly(
                dir,
                offset,
                format_args!("{len} bytes that are not OPC UA skipped"),
            ),
        });
        match dir {
            Direction::ToServer => self.to_server = framer,
            Direction::ToClient => self.to_client = framer,
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        match dir {
            Direction::ToServer => {
                self.to_server.gap(len);
                self.partial_to_server = None;
            }
            Direction::ToClient => {
                self.to_client.gap(len);
                self.partial_to_client = None;
            }
        }
    }
}
