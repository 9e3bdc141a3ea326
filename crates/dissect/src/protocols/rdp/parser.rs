//! TPKT (RFC 1006 §6) and the X.224 Connection Request / Confirm TPDUs as RDP uses them
//! ([MS-RDPBCGR] §2.2.1.1, §2.2.1.2): a fixed part (LI, code, DST-REF, SRC-REF, class 0), then
//! instead of ISO parameters an optional `Cookie: …\r\n` routing token and an 8-byte
//! negotiation structure. The probe. No indexing.

use crate::Confidence;

pub(crate) const TPKT_HEADER: usize = 4;
/// Largest first TPKT packet accepted (a connection request with a long routing token and
/// correlation info is a few hundred bytes).
pub(crate) const MAX_CONNECT: usize = 4096;
/// X.224 fixed part after LI: code, DST-REF, SRC-REF, class option.
const FIXED: usize = 6;

/// A TPKT packet at the start of `b`: `Ok(Some(len))` whole, `Ok(None)` partial, `Err` not
/// TPKT.
pub(crate) fn tpkt(b: &[u8]) -> Result<Option<usize>, ()> {
    match b {
        [] | [3] | [3, 0] | [3, 0, _] => Ok(None),
        [3, 0, h, l, ..] => {
            let len = usize::from(u16::from_be_bytes([*h, *l]));
            if len < TPKT_HEADER + 1 + FIXED {
                Err(())
            } else {
                Ok((b.len() >= len).then_some(len))
            }
        }
        _ => Err(()),
    }
}

/// The RDP negotiation structure of a confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Negotiation {
    /// RDP_NEG_RSP: the selected protocol.
    Selected(u32),
    /// RDP_NEG_FAILURE: the failure code.
    Failure(u32),
}

/// What an X.224 TPDU of an RDP connection says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Connect {
    /// Connection Request: whether a routing token or cookie line was present (its text is
    /// never kept), and RDP_NEG_REQ's requestedProtocols.
    Request {
        cookie: bool,
        requested: Option<u32>,
    },
    Confirm(Option<Negotiation>),
}

fn u32_le(b: &[u8]) -> Option<u32> {
    b.first_chunk::<4>().map(|&x| u32::from_le_bytes(x))
}

/// An 8-byte negotiation structure of `kind` at the start of `b`: type, flags, length 8
/// (little-endian), a 32-bit value.
fn negotiation(b: &[u8], kinds: &[u8]) -> Option<(u8, u32)> {
    let &[kind, _flags, 8, 0, ..] = b.first_chunk::<4>()? else {
        return None;
    };
    if !kinds.contains(&kind) {
        return None;
    }
    Some((kind, u32_le(b.get(4..8)?)?))
}

/// The X.224 TPDU of a whole TPKT packet, if it is an RDP connection request or confirm.
/// `None` for anything else, ISO TSAP parameters (S7comm, MMS) included.
pub(crate) fn connect(tpdu: &[u8]) -> Option<Connect> {
    let (&li, rest) = tpdu.split_first()?;
    // The length indicator covers the whole rest of the TPDU ([MS-RDPBCGR] §2.2.1.1).
    if usize::from(li) != rest.len() || rest.len() < FIXED {
        return None;
    }
    let (&code, _) = rest.split_first()?;
    // Class 0, no options.
    if rest.get(5) != Some(&0) {
        return None;
    }
    let variable = rest.get(FIXED..).unwrap_or_default();
    match code {
        0xE0 => {
            let (cookie, after) = match variable.strip_prefix(b"Cookie: ") {
                Some(text) => {
                    let end = text.windows(2).position(|w| w == b"\r\n")?;
                    (true, text.get(end + 2..).unwrap_or_default())
                }
                None => (false, variable),
            };
            let requested = match negotiation(after, &[0x01]) {
                Some((_, requested)) => Some(requested),
                // Nothing, or (after a cookie) something not understood.
                None if after.is_empty() || cookie => None,
                None => return None,
            };
            Some(Connect::Request { cookie, requested })
        }
        0xD0 => match negotiation(variable, &[0x02, 0x03]) {
            Some((0x02, selected)) => Some(Connect::Confirm(Some(Negotiation::Selected(selected)))),
            Some((_, code)) => Some(Connect::Confirm(Some(Negotiation::Failure(code)))),
            None if variable.is_empty() => Some(Connect::Confirm(None)),
            None => None,
        },
        _ => None,
    }
}

/// Recognition from the first packet: a connection request with a cookie or a negotiation
/// request, or a confirm with a negotiation response, is certain; a bare request or confirm
/// (old clients, or other ISO transport users without parameters) is a guess. A request with
/// ISO TSAP parameters (S7comm, MMS) is not RDP.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    match tpkt(data) {
        Err(()) => Confidence::NotMine,
        Ok(None) => match data.get(2..4) {
            Some(&[h, l]) if usize::from(u16::from_be_bytes([h, l])) > MAX_CONNECT => {
                Confidence::NotMine
            }
            // A partial packet: the TPDU code tells early whether it is a CR or CC at all.
            _ => match data.get(5) {
                Some(&(0xE0 | 0xD0)) | None => Confidence::NeedMore,
                Some(_) => Confidence::NotMine,
            },
        },
        Ok(Some(len)) => {
            let tpdu = data.get(TPKT_HEADER..len).unwrap_or_default();
            match connect(tpdu) {
                Some(Connect::Request { cookie, requested }) if cookie || requested.is_some() => {
                    Confidence::Certain
                }
                Some(Connect::Confirm(Some(_))) => Confidence::Certain,
                Some(_) => Confidence::Maybe,
                None => Confidence::NotMine,
            }
        }
    }
}
