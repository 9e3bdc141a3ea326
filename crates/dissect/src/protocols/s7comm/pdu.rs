//! Borrowed, length-checked views of TPKT, COTP, S7comm and S7comm-plus messages.

/// TPKT header: version (1), reserved (1), length (2) of the whole packet (RFC 1006 §6).
pub(crate) const TPKT_LEN: usize = 4;
/// Smallest TPKT packet that carries a COTP header: TPKT, length indicator and PDU type.
pub(crate) const MIN_TPKT_PACKET: u16 = 6;

/// COTP PDU types (ISO 8073 §13.1, high nibble of the type byte; class 0 uses these).
pub(crate) mod cotp_type {
    pub const CR: u8 = 0xE0;
    pub const CC: u8 = 0xD0;
    pub const DR: u8 = 0x80;
    pub const DC: u8 = 0xC0;
    pub const DT: u8 = 0xF0;
    pub const ED: u8 = 0x10;
    pub const AK: u8 = 0x60;
    pub const EA: u8 = 0x20;
    pub const RJ: u8 = 0x50;
    pub const ER: u8 = 0x70;
}

fn be16(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off.checked_add(2)?)?;
    Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
}

fn be32(b: &[u8], off: usize) -> Option<u32> {
    let s: [u8; 4] = b.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(s))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tpkt {
    pub length: u16,
}

impl Tpkt {
    pub(crate) fn parse(b: &[u8]) -> Option<Tpkt> {
        let h: &[u8; 4] = b.get(..TPKT_LEN)?.try_into().ok()?;
        let [version, reserved, l0, l1] = *h;
        (version == 3 && reserved == 0).then_some(Tpkt {
            length: u16::from_be_bytes([l0, l1]),
        })
    }

    pub(crate) fn is_plausible(&self) -> bool {
        self.length >= MIN_TPKT_PACKET
    }
}

/// A COTP TPDU (the payload of one TPKT packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cotp<'a> {
    /// Data: `eot` marks the last TPDU of a (possibly segmented) user message (§13.7).
    Data { eot: bool, payload: &'a [u8] },
    /// Connection request or confirm (§13.3, §13.4), with the TSAPs when present.
    Connect {
        confirm: bool,
        calling_tsap: Option<&'a [u8]>,
        called_tsap: Option<&'a [u8]>,
    },
    /// Any other TPDU type: disconnect, expedited, acknowledgements, errors.
    Other { kind: u8 },
}

/// Whether the high nibble of a type byte is a TPDU type ISO 8073 defines.
pub(crate) fn is_cotp_type(byte: u8) -> bool {
    use cotp_type::*;
    matches!(byte & 0xF0, CR | CC | DR | DC | DT | ED | AK | EA | RJ | ER)
}

impl<'a> Cotp<'a> {
    /// Parses the bytes after the TPKT header.
    pub(crate) fn parse(b: &'a [u8]) -> Result<Cotp<'a>, &'static str> {
        let (Some(&li), Some(&kind)) = (b.first(), b.get(1)) else {
            return Err("shorter than a COTP header");
        };
        let header = b
            .get(1..1 + usize::from(li))
            .ok_or("COTP length indicator runs past the packet")?;
        if li == 0 || li == 255 {
            return Err("invalid COTP length indicator");
        }
        let rest = b.get(1 + usize::from(li)..).unwrap_or_default();
        match kind & 0xF0 {
            cotp_type::DT => {
                // Class 0/1 DT: type, TPDU-NR with the EOT bit (§13.7.3).
                let nr = header.get(1).ok_or("COTP DT header too short")?;
                Ok(Cotp::Data {
                    eot: nr & 0x80 != 0,
                    payload: rest,
                })
            }
            t @ (cotp_type::CR | cotp_type::CC) => {
                // Type, destination reference (2), source reference (2), class (1), then
                // parameters as code, length, value (§13.3.4).
                let mut params = header.get(6..).ok_or("COTP CR/CC header too short")?;
                let (mut calling, mut called) = (None, None);
                while let Some((&code, tail)) = params.split_first() {
                    let Some((&len, tail)) = tail.split_first() else {
                        return Err("COTP parameter without length");
                    };
                    let value = tail
                        .get(..usize::from(len))
                        .ok_or("COTP parameter runs past the header")?;
                    match code {
                        0xC1 => calling = Some(value),
                        0xC2 => called = Some(value),
                        _ => {}
                    }
                    params = tail.get(usize::from(len)..).unwrap_or_default();
                }
                Ok(Cotp::Connect {
                    confirm: t == cotp_type::CC,
                    calling_tsap: calling,
                    called_tsap: called,
                })
            }
            t if is_cotp_type(t) => Ok(Cotp::Other { kind: t }),
            _ => Err("unknown COTP PDU type"),
        }
    }
}

/// A TSAP as S7 uses it: two bytes, connection type (1 PG, 2 OP, 3 S7 basic) then rack/slot;
/// or S7comm-plus' text TSAPs ("SIMATIC-ROOT-ES", …). MMS stacks use small numbers such as
/// 0x0001/0x0002 but also 0x0200, so only both TSAPs together are telling.
pub(crate) fn is_s7_tsap(tsap: &[u8]) -> bool {
    match tsap {
        [kind, _] => (1..=3).contains(kind),
        _ => tsap.starts_with(b"SIMATIC-"),
    }
}

/// S7comm protocol id, first byte of every S7comm PDU.
pub(crate) const S7_PROTOCOL_ID: u8 = 0x32;
/// S7comm-plus protocol id.
pub(crate) const PLUS_PROTOCOL_ID: u8 = 0x72;

/// An S7comm PDU: header, parameter and data parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct S7Pdu<'a> {
    pub rosctr: u8,
    pub pdu_ref: u16,
    /// Error class and code of ack and ack-data messages (0, 0 when absent or no error).
    pub error: (u8, u8),
    pub param: &'a [u8],
    pub data: &'a [u8],
}

impl<'a> S7Pdu<'a> {
    /// Parses a whole S7comm PDU: protocol id 0x32, ROSCTR, redundancy id (2), PDU reference
    /// (2), parameter length (2), data length (2), and for ack/ack-data error class and code.
    pub(crate) fn parse(b: &'a [u8]) -> Result<S7Pdu<'a>, &'static str> {
        let (Some(&S7_PROTOCOL_ID), Some(&rosctr)) = (b.first(), b.get(1)) else {
            return Err("not an S7comm header");
        };
        let (Some(pdu_ref), Some(param_len), Some(data_len)) = (be16(b, 4), be16(b, 6), be16(b, 8))
        else {
            return Err("shorter than the S7comm header");
        };
        let (header_len, error) = if matches!(rosctr, 2 | 3) {
            let (Some(&class), Some(&code)) = (b.get(10), b.get(11)) else {
                return Err("shorter than the acknowledgement header");
            };
            (12, (class, code))
        } else {
            (10, (0, 0))
        };
        let param_end = header_len + usize::from(param_len);
        let end = param_end + usize::from(data_len);
        if b.len() < end {
            return Err("parameter and data lengths run past the PDU");
        }
        if b.len() > end {
            return Err("bytes after the parameter and data parts");
        }
        Ok(S7Pdu {
            rosctr,
            pdu_ref,
            error,
            param: b.get(header_len..param_end).unwrap_or_default(),
            data: b.get(param_end..end).unwrap_or_default(),
        })
    }
}

/// An item of a Read Var / Write Var request in S7ANY syntax: transport size, element count,
/// DB number, area and start address (bit address: byte offset << 3 | bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AnyItem {
    pub transport_size: u8,
    pub length: u16,
    pub db: u16,
    pub area: u8,
    pub address: u32,
}

/// Variable specifications of a Read Var / Write Var job: `(items in S7ANY syntax, count of
/// all items)`. Items in other syntaxes (DBREAD 0xB0, NCK 0x82, drive 0xA2…) are counted and
/// skipped.
pub(crate) fn var_items(param: &[u8]) -> Result<(Vec<AnyItem>, u8), &'static str> {
    let (Some(&count), Some(mut rest)) = (param.get(1), param.get(2..)) else {
        return Err("no item count");
    };
    let mut items = Vec::with_capacity(usize::from(count).min(32));
    for _ in 0..count {
        let (Some(&spec), Some(&len)) = (rest.first(), rest.get(1)) else {
            return Err("item list shorter than its count");
        };
        if spec != 0x12 {
            return Err("item is not a variable specification (0x12)");
        }
        let body = rest
            .get(2..2 + usize::from(len))
            .ok_or("item runs past the parameters")?;
        if let [0x10, transport_size, l0, l1, d0, d1, area, a0, a1, a2] = *body {
            items.push(AnyItem {
                transport_size,
                length: u16::from_be_bytes([l0, l1]),
                db: u16::from_be_bytes([d0, d1]),
                area,
                address: u32::from_be_bytes([0, a0, a1, a2]),
            });
        } else if body.first() == Some(&0x10) {
            return Err("S7ANY item is not 10 bytes");
        }
        rest = rest.get(2 + usize::from(len)..).unwrap_or_default();
    }
    if !rest.is_empty() {
        return Err("bytes after the last item");
    }
    Ok((items, count))
}

impl AnyItem {
    /// Byte range `(start, bytes)` of the item. Counters and timers are addressed by number.
    pub(crate) fn range(&self) -> (u32, u32) {
        let count = u32::from(self.length);
        if matches!(self.area, 0x1C | 0x1D) {
            (self.address, count)
        } else {
            let size = super::types::transport_size_bytes(self.transport_size);
            (self.address >> 3, count.saturating_mul(size))
        }
    }
}

/// Return codes of a Read Var response's data items (return code, transport size, length,
/// value, padded to even length except after the last item).
pub(crate) fn read_var_return_codes(data: &[u8], count: u8) -> Result<Vec<u8>, &'static str> {
    let mut codes = Vec::with_capacity(usize::from(count).min(32));
    let mut rest = data;
    for i in 0..count {
        let (Some(&rc), Some(&size), Some(len)) = (rest.first(), rest.get(1), be16(rest, 2)) else {
            return Err("data item list shorter than its count");
        };
        codes.push(rc);
        if rc != 0xFF {
            // A failed item has no value (some servers still fill in a length).
            rest = rest.get(4..).unwrap_or_default();
            continue;
        }
        // Transport sizes 3 (bit), 4 (byte/word/dword) and 5 (integer) give the length in bits.
        let bytes = if matches!(size, 0x03..=0x05) {
            usize::from(len).div_ceil(8)
        } else {
            usize::from(len)
        };
        let padded = if i + 1 < count {
            bytes + bytes % 2
        } else {
            bytes
        };
        let end = 4 + padded;
        if rest.len() < 4 + bytes {
            return Err("data item runs past the data");
        }
        rest = rest.get(end.min(rest.len())..).unwrap_or_default();
    }
    Ok(codes)
}

/// The parameter part of a userdata PDU: head (3), length (1), method (1), type and group (1),
/// sub-function (1), sequence number (1), and in responses data unit reference (1), last data
/// unit (1) and error code (2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UserdataParam {
    /// High nibble of the type/group byte: 0 push, 4 request, 8 response.
    pub kind: u8,
    pub group: u8,
    pub subfunc: u8,
    pub sequence: u8,
    /// More data units follow (a fragmented response).
    pub more: bool,
    pub error: u16,
}

/// The usual userdata parameter head.
const USERDATA_HEAD: [u8; 3] = [0x00, 0x01, 0x12];

pub(crate) mod ud_kind {
    pub const PUSH: u8 = 0x0;
    pub const REQUEST: u8 = 0x4;
    pub const RESPONSE: u8 = 0x8;
}

impl UserdataParam {
    pub(crate) fn parse(param: &[u8]) -> Result<UserdataParam, &'static str> {
        let [h0, h1, h2, len, _method, type_group, subfunc, sequence, ref extra @ ..] = *param
        else {
            return Err("userdata parameters shorter than 8 bytes");
        };
        // Mode-transition pushes use the head 0x01 0x00 0x10 and a length byte (16) that does
        // not count the parameter bytes; only the usual head's length is checked.
        if [h0, h1, h2] == USERDATA_HEAD && usize::from(len) + 4 != param.len() {
            return Err("userdata parameter length does not match");
        }
        let (more, error) = match *extra {
            [_dur, last, e0, e1] => (last != 0, u16::from_be_bytes([e0, e1])),
            _ => (false, 0),
        };
        Ok(UserdataParam {
            kind: type_group >> 4,
            group: type_group & 0x0F,
            subfunc,
            sequence,
            more,
            error,
        })
    }
}

/// The data part of a userdata PDU: return code (1), transport size (1), length (2), value.
pub(crate) fn userdata_data(data: &[u8]) -> Option<(u8, &[u8])> {
    let (&rc, len) = (data.first()?, be16(data, 2)?);
    let value = data.get(4..4 + usize::from(len))?;
    Some((rc, value))
}

/// The header of an S7comm-plus message after COTP: protocol id 0x72, version, data length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PlusHeader {
    pub version: u8,
    pub data_len: u16,
}

/// S7comm-plus versions: 1 (unprotected), 2 and 3 (integrity-protected); 0xFE marks a
/// keep-alive/system event.
pub(crate) const PLUS_VERSION_SYSTEM_EVENT: u8 = 0xFE;

impl PlusHeader {
    pub(crate) fn parse(b: &[u8]) -> Option<PlusHeader> {
        let (&PLUS_PROTOCOL_ID, &version) = (b.first()?, b.get(1)?) else {
            return None;
        };
        Some(PlusHeader {
            version,
            data_len: be16(b, 2)?,
        })
    }

    pub(crate) fn is_plausible(&self) -> bool {
        matches!(self.version, 1..=3 | PLUS_VERSION_SYSTEM_EVENT)
    }
}

/// What the start of an S7comm-plus message says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PlusMessage {
    pub version: u8,
    pub opcode: u8,
    /// Function code (requests and responses; `None` for notifications).
    pub function: Option<u16>,
    pub sequence: Option<u16>,
    /// Session id (requests only).
    pub session: Option<u32>,
    /// The response's return value says the function failed.
    pub error: bool,
    /// The message ends here (trailer present); otherwise fragments follow.
    pub complete: bool,
}

/// Parses the first fragment of an S7comm-plus message (the whole COTP user data).
pub(crate) fn plus_message(b: &[u8]) -> Result<PlusMessage, &'static str> {
    let header = PlusHeader::parse(b).ok_or("shorter than the S7comm-plus header")?;
    let body_end = 4 + usize::from(header.data_len);
    let body = b
        .get(4..body_end)
        .ok_or("S7comm-plus data length runs past the message")?;
    let trailer = b.get(body_end..).unwrap_or_default();
    let complete = match trailer {
        [] => false,
        [PLUS_PROTOCOL_ID, v, 0, 0] if *v == header.version => true,
        _ => return Err("S7comm-plus trailer is not 0x72, version, 0"),
    };
    // V3 puts an integrity part (digest length, digest) before the opcode.
    let body = if header.version == 3 {
        let (&digest_len, rest) = body.split_first().ok_or("no integrity part")?;
        rest.get(usize::from(digest_len)..)
            .ok_or("integrity part runs past the data")?
    } else {
        body
    };
    let (&opcode, rest) = body.split_first().ok_or("no opcode")?;
    let mut msg = PlusMessage {
        version: header.version,
        opcode,
        function: None,
        sequence: None,
        session: None,
        error: false,
        complete,
    };
    use super::types::plus_opcode::*;
    match opcode {
        REQUEST | RESPONSE | RESPONSE2 => {
            // Reserved (2), function (2), reserved (2), sequence number (2).
            msg.function = Some(be16(rest, 2).ok_or("shorter than the function code")?);
            msg.sequence = Some(be16(rest, 6).ok_or("shorter than the sequence number")?);
            if opcode == REQUEST {
                msg.session = be32(rest, 8);
            } else {
                // Transport flags (1), then the return value as a variable-length integer; a
                // negative error code in its low 16 bits is a failure.
                if let Some(value) = rest.get(9..).and_then(vlq_u64) {
                    msg.error = (value & 0x8000) != 0 && (value & 0xFFFF) != 0;
                }
            }
        }
        NOTIFICATION => {}
        _ => return Err("unknown S7comm-plus opcode"),
    }
    Ok(msg)
}

/// An unsigned variable-length integer (7 bits per byte, high bit set on all but the last; the
/// ninth byte, if reached, contributes all 8 bits).
fn vlq_u64(b: &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    for (i, &byte) in b.iter().take(9).enumerate() {
        if i == 8 {
            return Some(value << 8 | u64::from(byte));
        }
        value = value << 7 | u64::from(byte & 0x7F);
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}
