//! Borrowed, length-checked views of FINS frames (Omron W342 §3, FINS header and command
//! format) and of the FINS/TCP header (Omron W421 §7-4).

use super::types::{command_name, CommandCode};

/// FINS/TCP header: magic "FINS", length, command, error code (four octets each).
pub(crate) const TCP_HEADER_LEN: usize = 16;
pub(crate) const MAGIC: &[u8; 4] = b"FINS";
/// The length field counts the command, error code and data after it. FINS frames are at most
/// 2012 octets (W342 §3-1); larger values mean garbage.
pub(crate) const MAX_TCP_LENGTH: u32 = 8 + 2048;
/// The length field covers at least the command and error code.
pub(crate) const MIN_TCP_LENGTH: u32 = 8;
/// FINS header (10) and command code (2).
pub(crate) const FINS_HEADER_LEN: usize = 12;
/// FINS/TCP command carrying a FINS frame.
pub(crate) const TCP_FRAME_SEND: u32 = 2;
/// FINS/TCP command reporting a frame send error.
pub(crate) const TCP_SEND_ERROR: u32 = 3;

fn be32(b: &[u8], off: usize) -> Option<u32> {
    let v: [u8; 4] = b.get(off..off + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(v))
}

fn be16(b: &[u8], off: usize) -> Option<u16> {
    let v: [u8; 2] = b.get(off..off + 2)?.try_into().ok()?;
    Some(u16::from_be_bytes(v))
}

/// The FINS/TCP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TcpHeader {
    pub length: u32,
    pub command: u32,
    pub error: u32,
}

impl TcpHeader {
    /// `None` when more bytes are needed; `Err` when magic or length are wrong.
    pub(crate) fn parse(b: &[u8]) -> Option<Result<TcpHeader, ()>> {
        let n = b.len().min(MAGIC.len());
        if b.get(..n) != MAGIC.get(..n) {
            return Some(Err(()));
        }
        let (Some(length), Some(command), Some(error)) = (be32(b, 4), be32(b, 8), be32(b, 12))
        else {
            return None;
        };
        if !(MIN_TCP_LENGTH..=MAX_TCP_LENGTH).contains(&length) {
            return Some(Err(()));
        }
        Some(Ok(TcpHeader {
            length,
            command,
            error,
        }))
    }

    pub(crate) fn frame_len(&self) -> usize {
        8 + usize::try_from(self.length).unwrap_or(usize::MAX - 8)
    }
}

/// A network address: network, node, unit.
pub(crate) type Address = (u8, u8, u8);

/// A FINS frame: header, command code and the data after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame<'a> {
    pub icf: u8,
    pub destination: Address,
    pub source: Address,
    pub sid: u8,
    pub command: CommandCode,
    pub data: &'a [u8],
}

impl<'a> Frame<'a> {
    pub(crate) fn parse(b: &'a [u8]) -> Option<Frame<'a>> {
        let h: &[u8; FINS_HEADER_LEN] = b.get(..FINS_HEADER_LEN)?.try_into().ok()?;
        let [icf, _rsv, _gct, dna, da1, da2, sna, sa1, sa2, sid, mrc, src] = *h;
        Some(Frame {
            icf,
            destination: (dna, da1, da2),
            source: (sna, sa1, sa2),
            sid,
            command: CommandCode(u16::from_be_bytes([mrc, src])),
            data: b.get(FINS_HEADER_LEN..)?,
        })
    }

    /// ICF bit 6: the frame is a response.
    pub(crate) fn is_response(&self) -> bool {
        self.icf & 0x40 != 0
    }

    /// A response's end code (main and sub response codes, W342 §5-1-3) and the data after it.
    pub(crate) fn end_code(&self) -> Option<(u16, &'a [u8])> {
        Some((be16(self.data, 0)?, self.data.get(2..)?))
    }
}

/// The header looks like FINS: ICF bit 7 set and reserved bits 1–5 clear, RSV zero, a gateway
/// count of at most 7 (W342 §3-2), and a command this version knows.
pub(crate) fn is_plausible(b: &[u8]) -> bool {
    let (Some(&icf), Some(&rsv), Some(&gct)) = (b.first(), b.get(1), b.get(2)) else {
        return false;
    };
    let known = be16(b, 10).is_some_and(|c| command_name(c).0 != "Unknown Command");
    icf & 0x80 != 0 && icf & 0x3E == 0 && rsv == 0 && gct <= 7 && known
}

/// End codes mean failure when the main or sub code is non-zero; the relay error flag (bit 15)
/// and the PLC error flags (bits 6 and 7) only report conditions elsewhere (W342 §5-1-3).
pub(crate) fn is_failure(end_code: u16) -> bool {
    end_code & 0x7F3F != 0
}

/// (beginning word, number of items) of memory area commands (W342 §5-3-2 to §5-3-6): area
/// code, three-octet address (word and bit), then the count; a transfer's destination.
pub(crate) fn memory_range(code: CommandCode, data: &[u8]) -> Option<(u32, u32)> {
    match code.0 {
        CommandCode::MEMORY_AREA_READ
        | CommandCode::MEMORY_AREA_WRITE
        | CommandCode::MEMORY_AREA_FILL => {
            Some((u32::from(be16(data, 1)?), u32::from(be16(data, 4)?)))
        }
        CommandCode::MEMORY_AREA_TRANSFER => {
            Some((u32::from(be16(data, 5)?), u32::from(be16(data, 8)?)))
        }
        _ => None,
    }
}

/// Controller model and version of a Controller Data Read response (W342 §5-3-15): 20 ASCII
/// octets each, padded with spaces or NULs.
pub(crate) fn controller_model(payload: &[u8]) -> Option<(String, String)> {
    let text = |b: &[u8]| -> Option<String> {
        let s: String = b
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| char::from(c))
            .collect();
        let printable = s.chars().all(|c| c.is_ascii_graphic() || c == ' ');
        printable.then(|| s.trim().to_string())
    };
    Some((text(payload.get(..20)?)?, text(payload.get(20..40)?)?))
}
