//! TPKT/COTP framing, the session and presentation wrappers, and BER views of MMS PDUs.

use crate::Confidence;

/// A COTP TSDU may span several DT TPDUs; more than this is treated as garbage.
const MAX_TSDU: usize = 64 << 10;
/// TPKT length field maximum (RFC 1006 §6).
const MAX_TPKT: usize = 65_535;
/// BER nesting walked when looking for the MMS PDU inside session/presentation/ACSE.
const MAX_DEPTH: usize = 10;

/// A BER element: first tag byte, tag number, content, and total length with header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
    pub first: u8,
    pub number: u32,
    pub content: &'a [u8],
    pub len: usize,
}

impl Tlv<'_> {
    pub(crate) fn constructed(&self) -> bool {
        self.first & 0x20 != 0
    }
}

/// Reads one BER element (definite lengths only, tags up to 28 bits).
pub(crate) fn tlv(b: &[u8]) -> Option<Tlv<'_>> {
    let &first = b.first()?;
    let mut pos = 1usize;
    let mut number = u32::from(first & 0x1F);
    if number == 0x1F {
        number = 0;
        loop {
            let &byte = b.get(pos)?;
            pos += 1;
            number = number.checked_mul(128)? | u32::from(byte & 0x7F);
            if byte & 0x80 == 0 {
                break;
            }
            if pos > 5 {
                return None;
            }
        }
    }
    let &len_byte = b.get(pos)?;
    pos += 1;
    let len = if len_byte & 0x80 == 0 {
        usize::from(len_byte)
    } else {
        let count = usize::from(len_byte & 0x7F);
        if count == 0 || count > 3 {
            return None;
        }
        let bytes = b.get(pos..pos + count)?;
        pos += count;
        bytes
            .iter()
            .fold(0usize, |acc, &x| (acc << 8) | usize::from(x))
    };
    let content = b.get(pos..pos.checked_add(len)?)?;
    Some(Tlv {
        first,
        number,
        content,
        len: pos + len,
    })
}

/// The elements of a BER content, in order (stops at the first that does not parse).
pub(crate) fn elements(mut b: &[u8]) -> impl Iterator<Item = Tlv<'_>> {
    std::iter::from_fn(move || {
        let element = tlv(b)?;
        b = b.get(element.len..).unwrap_or_default();
        Some(element)
    })
}

pub(crate) fn unsigned(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 5 {
        return None;
    }
    let value = b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
    u32::try_from(value).ok()
}

/// First tag bytes of MMS PDUs (ISO 9506-2 MMSpdu CHOICE).
fn is_mms_tag(first: u8) -> bool {
    matches!(first, 0xA0..=0xA4 | 0x85 | 0x86 | 0xA7 | 0xA8..=0xAA | 0x8B | 0x8C | 0xAD)
}

/// Finds an element with one of the `wanted` first tag bytes, depth first.
fn find<'a>(b: &'a [u8], wanted: &[u8], depth: usize) -> Option<&'a [u8]> {
    if depth > MAX_DEPTH {
        return None;
    }
    let mut rest = b;
    while let Some(element) = tlv(rest) {
        if wanted.contains(&element.first) {
            return rest.get(..element.len);
        }
        if element.constructed() {
            if let Some(found) = find(element.content, wanted, depth + 1) {
                return Some(found);
            }
        }
        rest = rest.get(element.len..).unwrap_or_default();
    }
    None
}

/// The MMS PDU (tag included) inside a COTP TSDU, through the session and presentation layers
/// when present.
pub(crate) fn mms_pdu(tsdu: &[u8]) -> Option<&[u8]> {
    match tsdu {
        // Session GIVE-TOKENS + DATA-TRANSFER (ISO 8327 §8.3), then presentation
        // fully-encoded-data: PDV-list with a presentation context id and the MMS PDU.
        [0x01, 0x00, 0x01, 0x00, rest @ ..] => {
            let user_data = tlv(rest).filter(|t| t.first == 0x61)?;
            let pdv = elements(user_data.content).find(|t| t.first == 0x30)?;
            let value = elements(pdv.content).find(|t| t.first == 0xA0)?;
            let pdu = tlv(value.content)?;
            value
                .content
                .get(..pdu.len)
                .filter(|_| is_mms_tag(pdu.first))
        }
        // CONNECT / ACCEPT SPDU: the MMS initiate sits deep inside presentation and ACSE.
        [0x0D | 0x0E, ..] => {
            let start = tsdu.iter().position(|&b| b == 0x31)?;
            find(tsdu.get(start..)?, &[0xA8, 0xA9, 0xAA], 0)
        }
        // FINISH / DISCONNECT / ABORT SPDUs carry the conclude or nothing of interest.
        [0x09 | 0x0A | 0x19, ..] => {
            let start = tsdu.iter().position(|&b| b == 0x61)?;
            find(tsdu.get(start..)?, &[0x8B, 0x8C, 0xAD], 0)
        }
        // MMS directly in COTP data.
        [first, ..] if is_mms_tag(*first) => {
            let pdu = tlv(tsdu)?;
            (pdu.len == tsdu.len()).then_some(tsdu)
        }
        _ => None,
    }
}

/// What the TPKT/COTP framer found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// A whole COTP TSDU (user data of DT TPDUs up to end-of-TSDU).
    Tsdu {
        offset: u64,
        data: &'a [u8],
    },
    /// A connection-management TPDU (CR, CC, DR, DC…): nothing to decode.
    Control,
    Garbage {
        offset: u64,
        len: usize,
    },
    TsduTooLong {
        offset: u64,
    },
}

/// Reads TPKTs (RFC 1006 §6) and reassembles COTP DT TPDUs (ISO 8073 §13.7) into TSDUs.
#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    tsdu: Vec<u8>,
    offset: u64,
    tsdu_offset: u64,
}

/// One TPKT at the start of `b`: total length, or `None` when more bytes are needed, or
/// `Err` when `b` does not start with a TPKT.
fn tpkt_len(b: &[u8]) -> Result<Option<usize>, ()> {
    match b {
        [0x03, 0x00, hi, lo, ..] => {
            let len = usize::from(u16::from_be_bytes([*hi, *lo]));
            // RFC 1006 asks for 7, but minimal 1-byte COTP headers (length 5) occur in the wild.
            if (5..=MAX_TPKT).contains(&len) {
                Ok((b.len() >= len).then_some(len))
            } else {
                Err(())
            }
        }
        [0x03] | [0x03, 0x00] | [0x03, 0x00, _] | [] => Ok(None),
        _ => Err(()),
    }
}

impl Framer {
    pub(crate) fn push(&mut self, data: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        self.buf.extend_from_slice(data);
        let buf = std::mem::take(&mut self.buf);
        let mut pos = 0usize;
        loop {
            let rest = buf.get(pos..).unwrap_or_default();
            match tpkt_len(rest) {
                Ok(None) => break,
                Ok(Some(len)) => {
                    let tpdu = rest.get(4..len).unwrap_or_default();
                    self.tpdu(tpdu, on);
                    self.offset += len as u64;
                    pos += len;
                }
                Err(()) => {
                    let skip = (1..rest.len())
                        .find(|&i| {
                            rest.get(i..)
                                .is_some_and(|r| r.first() == Some(&0x03) && tpkt_len(r).is_ok())
                        })
                        .unwrap_or(rest.len());
                    on(Event::Garbage {
                        offset: self.offset,
                        len: skip,
                    });
                    self.offset += skip as u64;
                    pos += skip;
                }
            }
        }
        self.buf = buf.get(pos..).unwrap_or_default().to_vec();
    }

    /// One COTP TPDU: length indicator, type, then (for DT) the EOT/TPDU-NR byte and data.
    fn tpdu(&mut self, tpdu: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        let (Some(&li), Some(&kind)) = (tpdu.first(), tpdu.get(1)) else {
            on(Event::Garbage {
                offset: self.offset,
                len: tpdu.len() + 4,
            });
            return;
        };
        if kind & 0xF0 != 0xF0 {
            on(Event::Control);
            return;
        }
        let eot = tpdu.get(2).is_some_and(|&b| b & 0x80 != 0);
        let data = tpdu.get(1 + usize::from(li)..).unwrap_or_default();
        if self.tsdu.is_empty() {
            self.tsdu_offset = self.offset;
        }
        if self.tsdu.len() + data.len() > MAX_TSDU {
            on(Event::TsduTooLong {
                offset: self.tsdu_offset,
            });
            self.tsdu.clear();
            return;
        }
        self.tsdu.extend_from_slice(data);
        if eot {
            let tsdu = std::mem::take(&mut self.tsdu);
            on(Event::Tsdu {
                offset: self.tsdu_offset,
                data: &tsdu,
            });
        }
    }

    pub(crate) fn gap(&mut self, len: u64) {
        self.offset += self.buf.len() as u64 + len;
        self.buf.clear();
        self.tsdu.clear();
    }
}

/// Recognition: a TPKT/COTP stream whose first data carries a session SPDU or an MMS PDU.
/// A connection request alone is not enough (S7comm uses the same transport).
pub(crate) fn probe(data: &[u8]) -> Confidence {
    let mut rest = data;
    loop {
        match tpkt_len(rest) {
            Err(()) => return Confidence::NotMine,
            Ok(None) => return Confidence::NeedMore,
            Ok(Some(len)) => {
                let tpdu = rest.get(4..len).unwrap_or_default();
                if let (Some(&li), Some(&kind)) = (tpdu.first(), tpdu.get(1)) {
                    if kind & 0xF0 == 0xF0 {
                        let user = tpdu.get(1 + usize::from(li)..).unwrap_or_default();
                        return if mms_pdu(user).is_some() {
                            Confidence::Certain
                        } else {
                            Confidence::NotMine
                        };
                    }
                }
                rest = rest.get(len..).unwrap_or_default();
            }
        }
    }
}
