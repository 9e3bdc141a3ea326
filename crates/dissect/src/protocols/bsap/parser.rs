//! BSAP-IP header and message views. One datagram is one packet; nothing is buffered.
//! Nothing here indexes.

use crate::Confidence;

pub(crate) const HEADER_LEN: usize = 14;
/// Messages looked at per packet (the count field is 16 bits; real packets carry one or two).
pub(crate) const MAX_MESSAGES: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub count: u16,
    pub message_type: u16,
}

/// One message of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Message<'a> {
    pub app_function: u8,
    pub sequence: u32,
    /// What follows the sequence.
    pub data: &'a [u8],
}

pub(crate) fn header(b: &[u8]) -> Option<Header> {
    let &[h0, h1, c0, c1, t0, t1] = b.first_chunk::<6>()?;
    b.get(..HEADER_LEN)?;
    if usize::from(u16::from_le_bytes([h0, h1])) != HEADER_LEN {
        return None;
    }
    Some(Header {
        count: u16::from_le_bytes([c0, c1]),
        message_type: u16::from_le_bytes([t0, t1]),
    })
}

/// The messages after the header; `Err` when their lengths do not add up to the datagram.
pub(crate) fn messages(b: &[u8], count: u16) -> Result<Vec<Message<'_>>, &'static str> {
    let mut rest = b.get(HEADER_LEN..).unwrap_or_default();
    let mut out = Vec::new();
    for _ in 0..count {
        let Some(&[l0, l1, l2, l3]) = rest.first_chunk::<4>() else {
            return Err("fewer messages than the header counts");
        };
        let len = usize::try_from(u32::from_le_bytes([l0, l1, l2, l3])).unwrap_or(usize::MAX);
        let Some(message) = rest.get(..len).filter(|_| len >= 9) else {
            return Err("message length beyond the datagram");
        };
        rest = rest.get(len..).unwrap_or_default();
        let Some(&[_, _, _, _, app, s0, s1, s2, s3]) = message.first_chunk::<9>() else {
            return Err("message shorter than its header");
        };
        if out.len() < MAX_MESSAGES {
            out.push(Message {
                app_function: app,
                sequence: u32::from_le_bytes([s0, s1, s2, s3]),
                data: message.get(9..).unwrap_or_default(),
            });
        }
    }
    if rest.is_empty() {
        Ok(out)
    } else {
        Err("bytes after the last message")
    }
}

/// Recognition: a header whose messages fill the datagram exactly is certain; a bare header
/// (a poll) is only consistent.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    if data.len() < HEADER_LEN {
        return match data.first_chunk::<2>() {
            None if data.first().is_none_or(|&b| b == 14) => Confidence::NeedMore,
            Some(&[14, 0]) => Confidence::NeedMore,
            _ => Confidence::NotMine,
        };
    }
    let Some(h) = header(data) else {
        return Confidence::NotMine;
    };
    if !matches!(h.message_type, 0 | 1 | 5 | 6) {
        return Confidence::NotMine;
    }
    match messages(data, h.count) {
        Ok(_) if h.count > 0 => Confidence::Certain,
        Ok(_) => Confidence::Maybe,
        Err(_) => Confidence::NotMine,
    }
}
