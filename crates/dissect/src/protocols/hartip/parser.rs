//! HART-IP framing (the header's byte count gives the message length) and borrowed views of
//! the HART PDUs inside. Nothing here indexes: every field is read with `get`.

use super::types::{message_id, message_type};
use crate::Confidence;

/// The HART-IP header (HCF_SPEC-085 §10.2).
pub(crate) const HEADER_LEN: usize = 8;
/// Largest message framed. The byte count is 16 bits, but real messages (audit log pages
/// included) stay far below this; a larger count means the stream is not HART-IP. This is also
/// the cap on the per-direction buffer.
pub(crate) const MAX_MESSAGE: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub version: u8,
    pub message_type: u8,
    pub message_id: u8,
    pub status: u8,
    pub sequence: u16,
    /// Length of the whole message, header included.
    pub length: usize,
}

impl Header {
    /// `None` when fewer than eight bytes are available.
    pub(crate) fn parse(b: &[u8]) -> Option<Header> {
        let h: &[u8; HEADER_LEN] = b.get(..HEADER_LEN)?.try_into().ok()?;
        let [version, mtype, id, status, s0, s1, l0, l1] = *h;
        Some(Header {
            version,
            // The high nibble of the type byte is reserved.
            message_type: mtype & 0x0F,
            message_id: id,
            status,
            sequence: u16::from_be_bytes([s0, s1]),
            length: usize::from(u16::from_be_bytes([l0, l1])),
        })
    }

    /// Version 1 (and 2, the TLS-era revision), a defined message type, a sane length.
    pub(crate) fn is_plausible(&self) -> bool {
        matches!(self.version, 1 | 2)
            && matches!(
                self.message_type,
                message_type::REQUEST
                    | message_type::RESPONSE
                    | message_type::PUBLISH
                    | message_type::ERROR
                    | message_type::NAK
            )
            && (HEADER_LEN..=MAX_MESSAGE).contains(&self.length)
    }
}

/// A HART command as carried in a token-passing frame or a Direct PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Command<'a> {
    /// The command number (Command 31's expanded 16-bit number when present).
    pub number: u16,
    /// Response code and device status, in responses.
    pub response_code: Option<u8>,
    /// The command's data, after the status bytes and the expanded command number.
    pub data: &'a [u8],
    /// Check byte mismatch (token-passing frames only).
    pub bad_checksum: bool,
}

/// Frame types in the delimiter's low three bits (HCF_SPEC-081 §5.2.1).
const FRAME_BACK: u8 = 1;
const FRAME_STX: u8 = 2;
const FRAME_ACK: u8 = 6;
const EXPANDED_COMMAND: u8 = 31;

/// A token-passing frame without preambles (HCF_SPEC-081 §5; HART-IP strips the preambles):
/// delimiter, 1- or 5-byte address, 0–3 expansion bytes, command, byte count, data, check byte.
/// ACK and BACK frames (replies and burst data) start their data with two status bytes.
pub(crate) fn token_passing(b: &[u8]) -> Result<Command<'_>, &'static str> {
    let (&delimiter, rest) = b.split_first().ok_or("empty PDU")?;
    let address_len = if delimiter & 0x80 != 0 { 5 } else { 1 };
    let expansion = usize::from((delimiter >> 5) & 0x03);
    let frame_type = delimiter & 0x07;
    if !matches!(frame_type, FRAME_BACK | FRAME_STX | FRAME_ACK) {
        return Err("unknown frame type in delimiter");
    }
    let rest = rest
        .get(address_len + expansion..)
        .ok_or("PDU shorter than its address")?;
    let (&command, rest) = rest.split_first().ok_or("no command byte")?;
    let (&count, rest) = rest.split_first().ok_or("no byte count")?;
    let data = rest
        .get(..usize::from(count))
        .ok_or("byte count beyond the PDU")?;
    let body_len = 1 + address_len + expansion + 2 + usize::from(count);
    let bad_checksum = match rest.get(usize::from(count)) {
        Some(&check) => {
            let sum = b
                .get(..body_len)
                .unwrap_or_default()
                .iter()
                .fold(0u8, |acc, x| acc ^ x);
            sum != check
        }
        None => false,
    };
    let reply = frame_type != FRAME_STX;
    command_view(u16::from(command), reply, data, bad_checksum)
}

/// The first command of a Direct PDU (HCF_SPEC-085 §10.3.6): device status and extended
/// device status bytes, then commands of [16-bit number, byte count, data]; replies start
/// their data with the response code.
pub(crate) fn direct_pdu(b: &[u8], reply: bool) -> Result<Command<'_>, &'static str> {
    let rest = b.get(2..).ok_or("Direct PDU without status bytes")?;
    let (&[c0, c1, count], rest) = rest
        .split_first_chunk::<3>()
        .ok_or("Direct PDU without a command")?;
    let data = rest
        .get(..usize::from(count))
        .ok_or("byte count beyond the PDU")?;
    let number = u16::from_be_bytes([c0, c1]);
    if reply {
        let (&code, data) = data.split_first().ok_or("reply without a response code")?;
        Ok(Command {
            number,
            response_code: Some(code),
            data,
            bad_checksum: false,
        })
    } else {
        Ok(Command {
            number,
            response_code: None,
            data,
            bad_checksum: false,
        })
    }
}

/// Splits status bytes and the expanded command number off a command's data.
fn command_view(
    command: u16,
    reply: bool,
    data: &[u8],
    bad_checksum: bool,
) -> Result<Command<'_>, &'static str> {
    let (response_code, data) = if reply {
        let (&[code, _status], rest) = data
            .split_first_chunk::<2>()
            .ok_or("reply without status bytes")?;
        (Some(code), rest)
    } else {
        (None, data)
    };
    let (number, data) = if command == u16::from(EXPANDED_COMMAND) {
        match data.split_first_chunk::<2>() {
            Some((&[e0, e1], rest)) => (u16::from_be_bytes([e0, e1]), rest),
            // An error reply may omit the expanded number.
            None if response_code.is_some_and(|c| c != 0) => (command, data),
            None => return Err("Command 31 without its expanded command number"),
        }
    } else {
        (command, data)
    };
    Ok(Command {
        number,
        response_code,
        data,
        bad_checksum,
    })
}

/// Recognition from a flow's first bytes in one direction: whole messages that fill the bytes
/// exactly (a datagram, or a first segment) are certain.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    let mut pos = 0usize;
    let mut whole = 0usize;
    loop {
        let rest = data.get(pos..).unwrap_or_default();
        if rest.is_empty() {
            break;
        }
        let Some(header) = Header::parse(rest) else {
            // Too short for a header: only a plausible start is worth waiting for.
            let start_ok = rest.first().is_some_and(|v| matches!(v, 1 | 2))
                && rest.get(1).is_none_or(|t| matches!(t & 0x0F, 0..=3 | 15));
            return match (start_ok, whole > 0) {
                (false, _) => Confidence::NotMine,
                (true, true) => Confidence::Maybe,
                (true, false) => Confidence::NeedMore,
            };
        };
        if !header.is_plausible() || header.message_id > 127 {
            return Confidence::NotMine;
        }
        if rest.len() < header.length {
            return Confidence::Maybe;
        }
        if header.message_id > 5 {
            // A message id this version does not know: consistent, not conclusive.
            return Confidence::Maybe;
        }
        whole += 1;
        pos += header.length;
    }
    if whole > 0 {
        Confidence::Certain
    } else {
        Confidence::NeedMore
    }
}

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    Message {
        offset: u64,
        header: Header,
        body: &'a [u8],
    },
    /// Bytes that are not HART-IP, skipped.
    Garbage { offset: u64, len: usize },
}

/// Per-direction resumable framer.
#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    /// Stream offset of the first byte not yet consumed.
    offset: u64,
}

impl Framer {
    pub(crate) fn push(&mut self, data: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        self.buf.extend_from_slice(data);
        let buf = std::mem::take(&mut self.buf);
        let mut pos = 0usize;
        loop {
            let rest = buf.get(pos..).unwrap_or_default();
            let Some(header) = Header::parse(rest) else {
                break;
            };
            if !header.is_plausible() {
                let skip = resync_distance(rest);
                on(Event::Garbage {
                    offset: self.offset,
                    len: skip,
                });
                self.offset += skip as u64;
                pos += skip;
                continue;
            }
            let Some(message) = rest.get(..header.length) else {
                break;
            };
            on(Event::Message {
                offset: self.offset,
                header,
                body: message.get(HEADER_LEN..).unwrap_or_default(),
            });
            self.offset += header.length as u64;
            pos += header.length;
        }
        let tail = buf.get(pos..).unwrap_or_default();
        // A plausible header never announces more than MAX_MESSAGE, so the tail stays below it.
        self.buf.extend_from_slice(tail);
        if self.buf.len() > MAX_MESSAGE {
            on(Event::Garbage {
                offset: self.offset,
                len: self.buf.len(),
            });
            self.offset += self.buf.len() as u64;
            self.buf.clear();
        }
    }

    /// Lost bytes: the partial message is dropped; the next plausible header resynchronises.
    pub(crate) fn gap(&mut self, len: u64) {
        self.offset += self.buf.len() as u64 + len;
        self.buf.clear();
    }
}

/// Bytes to skip to the next place where a plausible header could start.
fn resync_distance(rest: &[u8]) -> usize {
    (1..rest.len())
        .find(|&skip| {
            rest.get(skip..)
                .is_some_and(|c| Header::parse(c).is_none_or(|h| h.is_plausible()))
        })
        .unwrap_or(rest.len().max(1))
}

/// Whether a message id carries a HART command.
pub(crate) fn carries_command(id: u8) -> bool {
    matches!(id, message_id::TOKEN_PASSING_PDU | message_id::DIRECT_PDU)
}
