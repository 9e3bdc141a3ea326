//! One SMB connection: NBSS framing per direction (the first [`MAX_PARSE`] bytes of each
//! message are looked at, the rest skipped by count, so large reads and writes cost no
//! memory), SMB2 requests paired with responses by message id (compounded requests
//! followed), SMB1 by process and multiplex id, negotiation and session setup facts.

use super::ntlm;
use super::parser::{
    nbss, nbss_header, netbios_name, smb_magic, u16_le, Smb1Header, Smb2Header, NBSS_HEADER,
    SMB1_HEADER, SMB1_MAGIC, SMB2_HEADER, SMB2_MAGIC, TRANSFORM_MAGIC,
};
use super::types::{
    command_name, dialect_name, is_error, SMB1, SMB1_NEGOTIATE, SMB1_SESSION_SETUP, SMB2_CANCEL,
    SMB2_NEGOTIATE, SMB2_SESSION_SETUP, STATUS_PENDING,
};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Bytes of each message parsed (headers, negotiate and session setup bodies with their
/// security blobs); the rest of a message is skipped without being buffered.
pub(crate) const MAX_PARSE: usize = 8 * 1024;
/// Requests awaiting a response; past it the oldest is forgotten.
const MAX_PENDING: usize = 256;
/// SMB1 dialect names remembered from a negotiate request.
const MAX_DIALECTS: usize = 32;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Mode {
    #[default]
    Header,
    /// Skipping the unparsed rest of a message.
    Skip(u64),
    /// Looking for the next NBSS header followed by an SMB header.
    Resync,
}

#[derive(Debug, Default)]
struct Side {
    buf: Vec<u8>,
    offset: u64,
    mode: Mode,
    lost: bool,
}

#[derive(Debug, Default)]
pub(crate) struct SmbSession {
    sides: [Side; 2],
    /// (SMB2 message id, or SMB1 key with the top bit set; command code).
    pending: Vec<(u64, u16)>,
    /// Dialects offered by the last SMB1 negotiate request.
    dialects: Vec<String>,
}

fn operation(code: u16) -> Operation {
    let (name, class) = command_name(code);
    Operation {
        protocol: Protocol::Smb,
        code,
        subcode: None,
        name,
        class,
    }
}

const SMB1_KEY: u64 = 1 << 63;

impl SmbSession {
    fn expect(&mut self, key: u64, code: u16) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.remove(0);
        }
        self.pending.push((key, code));
    }

    fn answered(&mut self, key: u64, code: u16) -> MessageKind {
        match self.pending.iter().position(|&p| p == (key, code)) {
            Some(i) => {
                self.pending.remove(i);
                MessageKind::Response
            }
            None => MessageKind::UnmatchedResponse,
        }
    }

    /// A session message's first bytes (at most [`MAX_PARSE`]; the rest is skipped unparsed).
    fn message(&mut self, dir: Direction, offset: u64, msg: &[u8], out: &mut Output<'_>) {
        let magic = msg.get(..4).unwrap_or_default();
        if magic == SMB2_MAGIC {
            self.smb2(dir, offset, msg, out);
        } else if magic == SMB1_MAGIC {
            self.smb1(dir, offset, msg, out);
        } else if magic == TRANSFORM_MAGIC {
            // Encrypted SMB 3 traffic ([MS-SMB2] §3.1.4.3): nothing inside is readable.
            out.identity(false, "smb_encryption", "used".to_string());
        }
    }

    fn smb2(&mut self, dir: Direction, offset: u64, msg: &[u8], out: &mut Output<'_>) {
        let mut at = 0usize;
        // Compounded messages ([MS-SMB2] §3.2.4.1.4): each header gives the next's offset.
        while let Some(part) = msg.get(at..) {
            let Some(h) = Smb2Header::parse(part) else {
                out.anomaly(dir, offset + at as u64, "malformed SMB2 header");
                break;
            };
            let end = match h.next_command {
                0 => part.len(),
                n => usize::try_from(n).unwrap_or(usize::MAX).min(part.len()),
            };
            let body = part.get(SMB2_HEADER..end).unwrap_or_default();
            self.smb2_message(&h, body, out);
            match usize::try_from(h.next_command) {
                Ok(0) => break,
                Ok(n) if n >= SMB2_HEADER && n % 8 == 0 => at += n,
                _ => {
                    out.anomaly(
                        dir,
                        offset + at as u64,
                        "SMB2 next command offset not valid",
                    );
                    break;
                }
            }
            if at >= msg.len() {
                break;
            }
        }
    }

    fn smb2_message(&mut self, h: &Smb2Header, body: &[u8], out: &mut Output<'_>) {
        let op = operation(h.command);
        if !h.is_response() {
            out.operation(op, MessageKind::Request, false, None);
            if h.command != SMB2_CANCEL {
                self.expect(h.message_id, h.command);
            }
            return;
        }
        // An oplock or lease break notification ([MS-SMB2] §2.2.23): server-initiated.
        if h.message_id == u64::MAX {
            out.operation(op, MessageKind::Request, false, None);
            return;
        }
        // An interim response; the final one follows with the same message id.
        if h.status == STATUS_PENDING && h.flags & Smb2Header::ASYNC != 0 {
            return;
        }
        let kind = self.answered(h.message_id, h.command);
        out.operation(op, kind, is_error(h.status), None);
        match h.command {
            // NEGOTIATE response ([MS-SMB2] §2.2.4): StructureSize, SecurityMode,
            // DialectRevision.
            SMB2_NEGOTIATE if !is_error(h.status) => {
                if let Some(dialect) = u16_le(body, 4).and_then(dialect_name) {
                    out.identity(false, "smb_dialect", dialect.to_string());
                }
                if let Some(mode) = u16_le(body, 2) {
                    signing(mode & 0x0002 != 0, out);
                }
            }
            SMB2_SESSION_SETUP => challenge(body, out),
            _ => {}
        }
    }

    fn smb1(&mut self, dir: Direction, offset: u64, msg: &[u8], out: &mut Output<'_>) {
        let Some(h) = Smb1Header::parse(msg) else {
            out.anomaly(dir, offset, "malformed SMB1 header");
            return;
        };
        let code = SMB1 | u16::from(h.command);
        let op = operation(code);
        let params = msg.get(SMB1_HEADER..).unwrap_or_default();
        let key = SMB1_KEY | h.key;
        if !h.reply {
            out.operation(op, MessageKind::Request, false, None);
            self.expect(key, code);
            if h.command == SMB1_NEGOTIATE {
                self.dialects = smb1_dialects(params);
            } else {
                // SMB1 beyond negotiation: the client speaks it ([MS-SMB2] §3.2.4.2.2.1 is how
                // modern clients move on to SMB2 instead).
                out.identity(true, "smb1", "used".to_string());
            }
            return;
        }
        let kind = self.answered(key, code);
        out.operation(op, kind, h.error, None);
        // An SMB1 answer: the server speaks SMB1 (a finding for IEC 62443 hygiene).
        out.identity(false, "smb1", "used".to_string());
        match h.command {
            // NEGOTIATE response ([MS-CIFS] §2.2.4.52.2): WordCount, DialectIndex, and for
            // NT LM 0.12 (17 words) SecurityMode.
            SMB1_NEGOTIATE if !h.error => {
                if let Some(index) = u16_le(params, 1) {
                    if let Some(name) = self.dialects.get(usize::from(index)) {
                        out.identity(false, "smb_dialect", name.clone());
                    }
                }
                if let (Some(17), Some(mode)) = (params.first(), params.get(3)) {
                    signing(mode & 0x08 != 0, out);
                }
            }
            SMB1_SESSION_SETUP => challenge(params, out),
            _ => {}
        }
    }

    /// An NBSS session request (RFC 1002 §4.3.2): called and calling NetBIOS names.
    fn session_request(&mut self, body: &[u8], out: &mut Output<'_>) {
        let called = netbios_name(body);
        let calling = body.get(34..).and_then(netbios_name);
        for (about_client, name) in [(false, called), (true, calling)] {
            // `*SMBSERVER` is the generic name clients use when they do not know the real one.
            if let Some(name) = name.filter(|n| !n.starts_with('*')) {
                out.identity(about_client, "netbios_name", name);
            }
        }
    }
}

/// SMB signing required or not ([MS-SMB2] §2.2.4 SMB2_NEGOTIATE_SIGNING_REQUIRED, [MS-CIFS]
/// §2.2.4.52.2 NEGOTIATE_SECURITY_SIGNATURES_REQUIRED): unsigned SMB can be relayed.
fn signing(required: bool, out: &mut Output<'_>) {
    let value = if required { "required" } else { "not required" };
    out.identity(false, "smb_signing", value.to_string());
}

/// Server facts from an NTLMSSP CHALLENGE in a session setup response.
fn challenge(body: &[u8], out: &mut Output<'_>) {
    let Some(c) = ntlm::challenge(body) else {
        return;
    };
    let facts = [
        ("hostname", c.netbios_computer),
        ("netbios_domain", c.netbios_domain),
        ("dns_name", c.dns_computer),
        ("dns_domain", c.dns_domain),
        ("ntlm_version", c.version),
    ];
    for (field, value) in facts {
        if let Some(value) = value {
            out.identity(false, field, value);
        }
    }
}

/// Dialect strings of an SMB1 NEGOTIATE request ([MS-CIFS] §2.2.4.52.1): WordCount (0),
/// ByteCount, then `0x02 name NUL` per dialect.
fn smb1_dialects(params: &[u8]) -> Vec<String> {
    let bytes = params.get(3..).unwrap_or_default();
    bytes
        .split(|&c| c == 0)
        .filter_map(|d| d.strip_prefix(&[0x02]))
        .take(MAX_DIALECTS)
        .map(|d| {
            String::from_utf8_lossy(d)
                .chars()
                .filter(|c| !c.is_control())
                .take(64)
                .collect()
        })
        .collect()
}

enum Step {
    Used(usize),
    Wait,
}

impl SmbSession {
    fn step(&mut self, dir: Direction, slot: usize, rest: &[u8], out: &mut Output<'_>) -> Step {
        let Some(side) = self.sides.get_mut(slot) else {
            return Step::Wait;
        };
        let offset = side.offset;
        match side.mode {
            Mode::Skip(n) => {
                if rest.is_empty() {
                    return Step::Wait;
                }
                let take = n.min(rest.len() as u64);
                side.mode = if take == n {
                    Mode::Header
                } else {
                    Mode::Skip(n - take)
                };
                Step::Used(usize::try_from(take).unwrap_or(rest.len()))
            }
            Mode::Resync => {
                for i in 0..rest.len() {
                    let candidate = rest.get(i..).unwrap_or_default();
                    if candidate.len() < NBSS_HEADER + 4 {
                        return if i == 0 { Step::Wait } else { Step::Used(i) };
                    }
                    if candidate.first() == Some(&nbss::SESSION_MESSAGE)
                        && smb_magic(candidate.get(NBSS_HEADER..).unwrap_or_default())
                    {
                        side.mode = Mode::Header;
                        return Step::Used(i);
                    }
                }
                Step::Used(rest.len())
            }
            Mode::Header => {
                let Some((kind, len)) = nbss_header(rest) else {
                    if rest.len() < NBSS_HEADER {
                        return Step::Wait;
                    }
                    return self.lose(dir, slot, offset, out);
                };
                if kind == nbss::SESSION_MESSAGE && len > 0 {
                    let Some(magic) = rest.get(NBSS_HEADER..NBSS_HEADER + 4) else {
                        return Step::Wait;
                    };
                    if len < 4 || !smb_magic(magic) {
                        return self.lose(dir, slot, offset, out);
                    }
                }
                // Positive, negative and retarget responses and keep-alives carry nothing of
                // interest: skipped.
                let parsed = match kind {
                    nbss::SESSION_MESSAGE | nbss::SESSION_REQUEST => len.min(MAX_PARSE),
                    _ => 0,
                };
                let Some(body) = rest.get(NBSS_HEADER..NBSS_HEADER + parsed) else {
                    return Step::Wait;
                };
                if let Some(side) = self.sides.get_mut(slot) {
                    side.lost = false;
                    let skip = (len - parsed) as u64;
                    if skip > 0 {
                        side.mode = Mode::Skip(skip);
                    }
                }
                match kind {
                    nbss::SESSION_MESSAGE if len > 0 => self.message(dir, offset, body, out),
                    nbss::SESSION_REQUEST => self.session_request(body, out),
                    _ => {}
                }
                Step::Used(NBSS_HEADER + parsed)
            }
        }
    }

    fn lose(&mut self, dir: Direction, slot: usize, offset: u64, out: &mut Output<'_>) -> Step {
        if let Some(side) = self.sides.get_mut(slot) {
            if !side.lost {
                out.anomaly(
                    dir,
                    offset,
                    "bytes that are not an SMB message; resynchronising",
                );
            }
            side.lost = true;
            side.mode = Mode::Resync;
        }
        Step::Used(1)
    }
}

impl Session for SmbSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        let Some(side) = self.sides.get_mut(slot) else {
            return;
        };
        // Skip a large message's rest straight from the input, without copying it.
        let mut data = data;
        if let (Mode::Skip(n), true) = (side.mode, side.buf.is_empty()) {
            let take = n.min(data.len() as u64);
            side.mode = if take == n {
                Mode::Header
            } else {
                Mode::Skip(n - take)
            };
            side.offset += take;
            data = data
                .get(usize::try_from(take).unwrap_or(data.len())..)
                .unwrap_or_default();
        }
        let mut buf = std::mem::take(&mut side.buf);
        buf.extend_from_slice(data);
        let mut pos = 0usize;
        while pos < buf.len() {
            match self.step(dir, slot, buf.get(pos..).unwrap_or_default(), out) {
                Step::Used(n) => {
                    pos += n;
                    if let Some(side) = self.sides.get_mut(slot) {
                        side.offset += n as u64;
                    }
                }
                Step::Wait => break,
            }
        }
        buf.drain(..pos.min(buf.len()));
        // What stays is a partial header or a partial parsed prefix: at most
        // NBSS_HEADER + MAX_PARSE bytes.
        if let Some(side) = self.sides.get_mut(slot) {
            side.buf = buf;
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        if let Some(side) = self.sides.get_mut(slot) {
            side.offset = side
                .offset
                .saturating_add(side.buf.len() as u64)
                .saturating_add(len);
            side.buf.clear();
            side.mode = match side.mode {
                // The gap fell inside the skipped rest of a message: keep skipping.
                Mode::Skip(n) if n > len => Mode::Skip(n - len),
                Mode::Skip(n) if n == len => Mode::Header,
                _ => Mode::Resync,
            };
            side.lost = true;
        }
    }
}
