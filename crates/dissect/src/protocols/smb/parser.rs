//! The NetBIOS session service header (RFC 1002 §4.3.1; on port 445 the same 4 bytes with a
//! 24-bit length, [MS-SMB2] §2.1), SMB1 ([MS-CIFS] §2.2.3.1) and SMB2 ([MS-SMB2] §2.2.1)
//! headers, NetBIOS name decoding (RFC 1001 §14.1), and the probe. No indexing.

use crate::Confidence;

/// NBSS packet types (RFC 1002 §4.3.1).
pub(crate) mod nbss {
    pub const SESSION_MESSAGE: u8 = 0x00;
    pub const SESSION_REQUEST: u8 = 0x81;
    pub const POSITIVE_RESPONSE: u8 = 0x82;
    pub const NEGATIVE_RESPONSE: u8 = 0x83;
    /// 0x84 is the retarget response, skipped like the others.
    pub const KEEP_ALIVE: u8 = 0x85;
}

pub(crate) const NBSS_HEADER: usize = 4;
pub(crate) const SMB1_MAGIC: &[u8] = b"\xFFSMB";
pub(crate) const SMB2_MAGIC: &[u8] = b"\xFESMB";
/// SMB 3 transform header (encrypted message, [MS-SMB2] §2.2.41).
pub(crate) const TRANSFORM_MAGIC: &[u8] = b"\xFDSMB";
/// SMB 3.1.1 compression transform header ([MS-SMB2] §2.2.42).
pub(crate) const COMPRESSED_MAGIC: &[u8] = b"\xFCSMB";
pub(crate) const SMB1_HEADER: usize = 32;
pub(crate) const SMB2_HEADER: usize = 64;

pub(crate) fn u16_le(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at.checked_add(2)?)?
        .first_chunk::<2>()
        .map(|&x| u16::from_le_bytes(x))
}

pub(crate) fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?)?
        .first_chunk::<4>()
        .map(|&x| u32::from_le_bytes(x))
}

pub(crate) fn u64_le(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at.checked_add(8)?)?
        .first_chunk::<8>()
        .map(|&x| u64::from_le_bytes(x))
}

/// An NBSS header: type and length. Session messages use the 24-bit length of direct hosting
/// (on port 139 the top 7 bits are zero flags and the result is the same); the other types
/// have a 17-bit length (RFC 1002: the flags byte's low bit extends it).
pub(crate) fn nbss_header(b: &[u8]) -> Option<(u8, usize)> {
    let &[kind, a, h, l] = b.first_chunk::<4>()?;
    let len = match kind {
        nbss::SESSION_MESSAGE => usize::from(a) << 16 | usize::from(h) << 8 | usize::from(l),
        nbss::SESSION_REQUEST..=nbss::KEEP_ALIVE if a & 0xFE == 0 => {
            usize::from(a & 1) << 16 | usize::from(h) << 8 | usize::from(l)
        }
        _ => return None,
    };
    Some((kind, len))
}

/// Whether a session message holds an SMB message: one of the four protocol identifiers.
pub(crate) fn smb_magic(b: &[u8]) -> bool {
    let Some(magic) = b.get(..4) else {
        return false;
    };
    [SMB1_MAGIC, SMB2_MAGIC, TRANSFORM_MAGIC, COMPRESSED_MAGIC].contains(&magic)
}

/// An SMB2 header ([MS-SMB2] §2.2.1.1/§2.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Smb2Header {
    pub status: u32,
    pub command: u16,
    pub flags: u32,
    pub next_command: u32,
    pub message_id: u64,
}

impl Smb2Header {
    pub(crate) const RESPONSE: u32 = 0x1;
    pub(crate) const ASYNC: u32 = 0x2;

    pub(crate) fn parse(b: &[u8]) -> Option<Smb2Header> {
        if b.get(..4)? != SMB2_MAGIC || u16_le(b, 4)? != 64 {
            return None;
        }
        Some(Smb2Header {
            status: u32_le(b, 8)?,
            command: u16_le(b, 12)?,
            flags: u32_le(b, 16)?,
            next_command: u32_le(b, 20)?,
            message_id: u64_le(b, 24)?,
        })
    }

    pub(crate) fn is_response(&self) -> bool {
        self.flags & Self::RESPONSE != 0
    }
}

/// An SMB1 header ([MS-CIFS] §2.2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Smb1Header {
    pub command: u8,
    /// NT status, or 0/1 from the DOS error class (0 success).
    pub error: bool,
    pub reply: bool,
    /// Process id (high and low) and multiplex id: what pairs a reply with its request.
    pub key: u64,
}

impl Smb1Header {
    pub(crate) fn parse(b: &[u8]) -> Option<Smb1Header> {
        if b.get(..4)? != SMB1_MAGIC {
            return None;
        }
        let command = *b.get(4)?;
        let flags = *b.get(9)?;
        let flags2 = u16_le(b, 10)?;
        // SMB_FLAGS2_NT_STATUS: a 32-bit NT status; else ErrorClass, reserved, ErrorCode.
        let error = if flags2 & 0x4000 != 0 {
            super::types::is_error(u32_le(b, 5)?)
        } else {
            *b.get(5)? != 0
        };
        let pid_high = u16_le(b, 12)?;
        let pid = u16_le(b, 26)?;
        let mid = u16_le(b, 30)?;
        Some(Smb1Header {
            command,
            error,
            reply: flags & 0x80 != 0,
            key: u64::from(pid_high) << 32 | u64::from(pid) << 16 | u64::from(mid),
        })
    }
}

/// A NetBIOS name in first-level encoding (RFC 1001 §14.1): length 32, then each half-byte as
/// a letter `A`–`P`. Returns the 15-character name without trailing spaces.
pub(crate) fn netbios_name(b: &[u8]) -> Option<String> {
    let (&len, rest) = b.split_first()?;
    if len != 32 {
        return None;
    }
    let encoded = rest.get(..32)?;
    let mut name = Vec::with_capacity(16);
    for pair in encoded.chunks_exact(2) {
        let (&hi, &lo) = (pair.first()?, pair.get(1)?);
        if !(b'A'..=b'P').contains(&hi) || !(b'A'..=b'P').contains(&lo) {
            return None;
        }
        name.push((hi - b'A') << 4 | (lo - b'A'));
    }
    // The 16th byte is the name's suffix (service type).
    name.truncate(15);
    let text: String = name
        .iter()
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                char::from(c)
            } else {
                '?'
            }
        })
        .collect();
    Some(text.trim_end().to_string())
}

/// Recognition: an NBSS session message holding an SMB header, or a session request with
/// encoded names, is certain; the short NBSS control packets are a guess.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    let Some(&kind) = data.first() else {
        return Confidence::NeedMore;
    };
    match kind {
        nbss::SESSION_MESSAGE => {
            let Some(payload) = data.get(NBSS_HEADER..NBSS_HEADER + 4) else {
                return Confidence::NeedMore;
            };
            let len = nbss_header(data).map_or(0, |(_, len)| len);
            if smb_magic(payload) && len >= SMB1_HEADER {
                Confidence::Certain
            } else {
                Confidence::NotMine
            }
        }
        nbss::SESSION_REQUEST => match nbss_header(data) {
            None if data.len() < NBSS_HEADER => Confidence::NeedMore,
            None => Confidence::NotMine,
            Some(_) => match data.get(NBSS_HEADER..NBSS_HEADER + 33) {
                None => Confidence::NeedMore,
                Some(called) if netbios_name(called).is_some() => Confidence::Certain,
                Some(_) => Confidence::NotMine,
            },
        },
        nbss::POSITIVE_RESPONSE | nbss::KEEP_ALIVE => match data {
            [_, 0, 0, 0] => Confidence::Maybe,
            [_, 0, 0, 0, next, ..]
                if *next == nbss::SESSION_MESSAGE || *next == nbss::KEEP_ALIVE =>
            {
                Confidence::Maybe
            }
            [_] | [_, 0] | [_, 0, 0] => Confidence::NeedMore,
            _ => Confidence::NotMine,
        },
        nbss::NEGATIVE_RESPONSE => match data {
            [_, 0, 0, 1, code] if (0x80..=0x8F).contains(code) => Confidence::Maybe,
            [_] | [_, 0] | [_, 0, 0] | [_, 0, 0, 1] => Confidence::NeedMore,
            _ => Confidence::NotMine,
        },
        _ => Confidence::NotMine,
    }
}
