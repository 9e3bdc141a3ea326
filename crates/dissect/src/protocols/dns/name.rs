//! Domain names in DNS wire format (RFC 1035 §3.1 labels, §4.1.4 message compression).
//!
//! A name is a sequence of labels (length byte 1–63 then the bytes), ended by a zero byte or
//! by a pointer (two bytes `11` + 14-bit offset into the message) to the rest of the name.
//! Length bytes starting `01` or `10` are reserved (RFC 6891 §5 retired the one extended
//! label type that was defined). Crafted pointers can loop or nest deeply: the number of
//! pointers followed is capped, and so is the name's length (255 bytes, RFC 1035 §2.3.4).

/// Longest name in wire format, RFC 1035 §2.3.4.
const MAX_NAME: usize = 255;
/// Pointers followed in one name before it is declared a loop. Real names need one or two.
const MAX_POINTERS: usize = 16;

/// Why a name could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameError {
    Truncated,
    ReservedLabelType,
    PointerLoop,
    TooLong,
}

impl NameError {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            NameError::Truncated => "name runs past the end of the message",
            NameError::ReservedLabelType => "name with a reserved label type",
            NameError::PointerLoop => "name compression pointers loop or nest too deep",
            NameError::TooLong => "name longer than 255 bytes",
        }
    }
}

/// Reads the name at `start` of `msg`: its labels (borrowed from `msg`) and the offset just
/// after the name where it started (after the first pointer, if any).
pub(crate) fn read_name(msg: &[u8], start: usize) -> Result<(Vec<&[u8]>, usize), NameError> {
    let mut labels = Vec::new();
    let mut pos = start;
    let mut end = None;
    let mut pointers = 0usize;
    // The root's zero byte counts too.
    let mut wire_len = 1usize;
    loop {
        let &len = msg.get(pos).ok_or(NameError::Truncated)?;
        match len >> 6 {
            0 if len == 0 => {
                return Ok((labels, end.unwrap_or(pos + 1)));
            }
            0 => {
                let len = usize::from(len);
                let label = msg
                    .get(pos + 1..pos + 1 + len)
                    .ok_or(NameError::Truncated)?;
                wire_len += len + 1;
                if wire_len > MAX_NAME {
                    return Err(NameError::TooLong);
                }
                labels.push(label);
                pos += 1 + len;
            }
            3 => {
                let &low = msg.get(pos + 1).ok_or(NameError::Truncated)?;
                pointers += 1;
                if pointers > MAX_POINTERS {
                    return Err(NameError::PointerLoop);
                }
                if end.is_none() {
                    end = Some(pos + 2);
                }
                pos = (usize::from(len & 0x3F) << 8) | usize::from(low);
            }
            _ => return Err(NameError::ReservedLabelType),
        }
    }
}

/// A name as people write it: labels joined by dots, lowercase (names compare without case,
/// RFC 4343), no trailing dot; control characters replaced.
pub(crate) fn render(labels: &[&[u8]]) -> String {
    let mut out = String::new();
    for (i, label) in labels.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.extend(String::from_utf8_lossy(label).chars().map(|c| {
            if c.is_control() {
                '\u{FFFD}'
            } else {
                c.to_ascii_lowercase()
            }
        }));
    }
    out
}
