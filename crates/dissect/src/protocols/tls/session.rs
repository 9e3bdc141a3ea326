//! One TLS connection: a record framer per direction, handshake messages reassembled across
//! records (capped), hellos and the TLS 1.2 certificate decoded; everything after
//! ChangeCipherSpec or the first application data record is encrypted and left alone.

use super::cert;
use super::parser::{
    client_hello, content, handshake_header, leaf_certificate, server_hello, Record, RECORD_HEADER,
};
use super::types::{
    cipher_text, operation_name, version_name, ALERT, CERTIFICATE, CLIENT_HELLO, SERVER_HELLO,
};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Largest handshake message reassembled (certificate chains are a few KiB, rarely 30 KiB).
pub(crate) const MAX_HANDSHAKE: usize = 64 * 1024;
/// Longest SNI host name kept (a DNS name is at most 253 characters).
const MAX_NAME: usize = 255;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Mode {
    #[default]
    Records,
    /// Looking for a plausible record header after garbage or lost bytes.
    Resync,
    /// Encrypted from here on: nothing more is parsed in this direction.
    Encrypted,
}

#[derive(Debug, Default)]
struct Side {
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    offset: u64,
    mode: Mode,
    /// Handshake bytes not yet forming a whole message, and the stream offset of the record
    /// their message began in.
    handshake: Vec<u8>,
    handshake_offset: u64,
    /// Bytes of an oversized handshake message still to drop.
    skip: usize,
    /// Garbage was reported and no record has been parsed since.
    lost: bool,
}

#[derive(Debug, Default)]
pub(crate) struct TlsSession {
    sides: [Side; 2],
    client_hello_seen: bool,
}

fn operation(code: u16, subcode: Option<u16>) -> Operation {
    let (name, class) = operation_name(code);
    Operation {
        protocol: Protocol::Tls,
        code,
        subcode,
        name,
        class,
    }
}

/// Identity text: printable characters only, length capped.
fn text(value: &[u8], max: usize) -> String {
    String::from_utf8_lossy(value)
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}

impl TlsSession {
    /// Messages from the server answer the client's hello when it was seen.
    fn kind(&self, dir: Direction) -> MessageKind {
        match dir {
            Direction::ToServer => MessageKind::Request,
            Direction::ToClient if self.client_hello_seen => MessageKind::Response,
            Direction::ToClient => MessageKind::UnmatchedResponse,
        }
    }

    fn record(
        &mut self,
        dir: Direction,
        offset: u64,
        record: Record,
        fragment: &[u8],
        out: &mut Output<'_>,
    ) {
        let slot = usize::from(dir == Direction::ToClient);
        match record.content_type {
            content::HANDSHAKE => self.handshake(dir, slot, offset, fragment, out),
            content::ALERT => match fragment {
                // A cleartext alert is 2 bytes: level (1 warning, 2 fatal) and description
                // (RFC 8446 §6). Anything longer is an encrypted alert (seen mid-connection):
                // nothing readable, and the direction is encrypted.
                &[level @ (1 | 2), description] => {
                    let failure = level == 2 || description != 0;
                    out.operation(
                        operation(ALERT, Some(u16::from(description))),
                        self.kind(dir),
                        failure,
                        None,
                    );
                }
                [_] => out.anomaly(dir, offset, "TLS alert record shorter than 2 bytes"),
                _ => {
                    if let Some(side) = self.sides.get_mut(slot) {
                        side.mode = Mode::Encrypted;
                    }
                }
            },
            // From here on the records are protected (RFC 5246 §7.1, RFC 8446 §5).
            content::CHANGE_CIPHER_SPEC | content::APPLICATION_DATA => {
                if let Some(side) = self.sides.get_mut(slot) {
                    side.mode = Mode::Encrypted;
                }
            }
            _ => {}
        }
    }

    fn handshake(
        &mut self,
        dir: Direction,
        slot: usize,
        offset: u64,
        fragment: &[u8],
        out: &mut Output<'_>,
    ) {
        let Some(side) = self.sides.get_mut(slot) else {
            return;
        };
        let mut fragment = fragment;
        if side.skip > 0 {
            let n = side.skip.min(fragment.len());
            side.skip -= n;
            fragment = fragment.get(n..).unwrap_or_default();
        }
        if side.handshake.is_empty() {
            side.handshake_offset = offset;
        }
        side.handshake.extend_from_slice(fragment);
        let mut pending = std::mem::take(&mut side.handshake);
        let mut start_offset = side.handshake_offset;
        let mut pos = 0usize;
        let mut skip = 0usize;
        while let Some((kind, len)) = handshake_header(pending.get(pos..).unwrap_or_default()) {
            let total = len.saturating_add(4);
            if total > MAX_HANDSHAKE {
                out.anomaly(
                    dir,
                    start_offset,
                    format_args!(
                        "TLS handshake message of {total} bytes exceeds {MAX_HANDSHAKE}; skipped"
                    ),
                );
                let have = pending.len() - pos;
                skip = total - have.min(total);
                pos = pending.len();
                break;
            }
            let Some(message) = pending.get(pos..pos + total) else {
                break;
            };
            let body = message.get(4..).unwrap_or_default();
            self.message(dir, start_offset, kind, body, out);
            pos += total;
            start_offset = offset;
            if self
                .sides
                .get(slot)
                .is_some_and(|s| s.mode == Mode::Encrypted)
            {
                pos = pending.len();
                break;
            }
        }
        pending.drain(..pos.min(pending.len()));
        if let Some(side) = self.sides.get_mut(slot) {
            side.skip += skip;
            side.handshake = pending;
            if !side.handshake.is_empty() {
                side.handshake_offset = start_offset;
            }
        }
    }

    fn message(
        &mut self,
        dir: Direction,
        offset: u64,
        kind: u8,
        body: &[u8],
        out: &mut Output<'_>,
    ) {
        match (kind, dir) {
            (1, Direction::ToServer) => {
                self.client_hello_seen = true;
                out.operation(
                    operation(CLIENT_HELLO, None),
                    MessageKind::Request,
                    false,
                    None,
                );
                match client_hello(body) {
                    Some(hello) => {
                        if let Some(name) = hello.sni {
                            out.identity(
                                false,
                                "tls_sni",
                                text(name, MAX_NAME).to_ascii_lowercase(),
                            );
                        }
                        let offered: Vec<String> = if hello.versions.is_empty() {
                            vec![version_name(hello.legacy_version)]
                        } else {
                            hello.versions.iter().map(|&v| version_name(v)).collect()
                        };
                        out.identity(true, "tls_offered_versions", offered.join(", "));
                    }
                    None => out.anomaly(dir, offset, "malformed TLS ClientHello"),
                }
            }
            (2, Direction::ToClient) => {
                let kind = self.kind(dir);
                out.operation(operation(SERVER_HELLO, None), kind, false, None);
                match server_hello(body) {
                    Some(hello) => {
                        out.identity(false, "tls_version", version_name(hello.version));
                        out.identity(false, "tls_cipher", cipher_text(hello.cipher_suite));
                    }
                    None => out.anomaly(dir, offset, "malformed TLS ServerHello"),
                }
            }
            (11, _) => {
                out.operation(operation(CERTIFICATE, None), self.kind(dir), false, None);
                match leaf_certificate(body) {
                    Some(Some(der)) => match cert::facts(der) {
                        Ok(facts) => {
                            for (field, value) in facts {
                                out.identity(dir == Direction::ToServer, field, value);
                            }
                        }
                        Err(e) => out.anomaly(
                            dir,
                            offset,
                            format_args!("TLS certificate not parseable: {e}"),
                        ),
                    },
                    Some(None) => {}
                    None => out.anomaly(dir, offset, "malformed TLS Certificate message"),
                }
            }
            (1 | 2, _) => out.anomaly(dir, offset, "TLS hello sent by the wrong side"),
            _ => {}
        }
    }
}

/// Bytes to skip to the next plausible record header; keeps a tail that could still begin
/// one.
fn resync_distance(rest: &[u8]) -> usize {
    for skip in 0..rest.len() {
        let candidate = rest.get(skip..).unwrap_or_default();
        if candidate.len() < RECORD_HEADER {
            return skip;
        }
        if Record::parse(candidate).is_some_and(|r| r.version >= 0x0301) {
            return skip;
        }
    }
    rest.len()
}

impl Session for TlsSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        let Some(side) = self.sides.get_mut(slot) else {
            return;
        };
        if side.mode == Mode::Encrypted {
            side.offset += data.len() as u64;
            return;
        }
        let mut buf = std::mem::take(&mut side.buf);
        buf.extend_from_slice(data);
        let mut pos = 0usize;
        while let Some(side) = self.sides.get_mut(slot) {
            let rest = buf.get(pos..).unwrap_or_default();
            let offset = side.offset;
            match side.mode {
                Mode::Encrypted => {
                    side.offset += rest.len() as u64;
                    pos = buf.len();
                    break;
                }
                Mode::Resync => {
                    let skip = resync_distance(rest);
                    side.offset += skip as u64;
                    pos += skip;
                    if rest.len() - skip < RECORD_HEADER {
                        break;
                    }
                    side.mode = Mode::Records;
                }
                Mode::Records => {
                    if rest.len() < RECORD_HEADER {
                        break;
                    }
                    let Some(record) = Record::parse(rest) else {
                        if !side.lost {
                            out.anomaly(
                                dir,
                                offset,
                                "bytes that are not a TLS record; resynchronising",
                            );
                        }
                        side.lost = true;
                        side.mode = Mode::Resync;
                        side.offset += 1;
                        pos += 1;
                        continue;
                    };
                    let total = RECORD_HEADER + record.length;
                    let Some(fragment) = rest.get(RECORD_HEADER..total) else {
                        break;
                    };
                    side.lost = false;
                    side.offset += total as u64;
                    pos += total;
                    self.record(dir, offset, record, fragment, out);
                }
            }
        }
        buf.drain(..pos.min(buf.len()));
        if let Some(side) = self.sides.get_mut(slot) {
            if side.mode == Mode::Encrypted {
                side.offset += buf.len() as u64;
                buf.clear();
            }
            // Records are at most MAX_RECORD + 5 bytes (checked by `Record::parse`), so the
            // buffer never holds more than one partial record: that is its cap.
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
            side.handshake.clear();
            side.skip = 0;
            if side.mode != Mode::Encrypted {
                side.mode = Mode::Resync;
                side.lost = true;
            }
        }
    }
}
