//! A minimal, bounded reader of the BER subset SNMP uses (X.690 §8.1: identifier, length,
//! contents; RFC 3416 §2 restricts SNMP to definite lengths and low tag numbers).
//!
//! Bounds: a length must fit in what remains of its enclosing value (so nothing is read past
//! the message and no length can make a loop skip backwards), lengths take at most 4 bytes,
//! nesting is capped at [`MAX_DEPTH`] levels, OIDs at [`MAX_ARCS`] arcs of at most 64 bits.

/// Nesting levels the reader enters (an SNMP message needs six: message, v3 scoped PDU, PDU,
/// variable bindings, binding, value).
pub(crate) const MAX_DEPTH: u8 = 8;
/// Arcs rendered in an OID (RFC 2578 §7.1.3 allows 128).
const MAX_ARCS: usize = 128;

/// Where (offset in the message) and why reading failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BerError {
    pub at: usize,
    pub why: &'static str,
}

/// One tag-length-value: its tag byte, contents, and where it and its contents start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
    pub at: usize,
    pub value_at: usize,
}

/// A cursor over the contents of one constructed value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ber<'a> {
    data: &'a [u8],
    /// Offset of `data` in the whole message.
    base: usize,
    pos: usize,
    depth: u8,
}

impl<'a> Ber<'a> {
    pub(crate) fn new(message: &'a [u8]) -> Self {
        Ber {
            data: message,
            base: 0,
            pos: 0,
            depth: 0,
        }
    }

    pub(crate) fn at(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn error(&self, why: &'static str) -> BerError {
        BerError { at: self.at(), why }
    }

    /// The next TLV, or `None` at the end of this value.
    pub(crate) fn next(&mut self) -> Result<Option<Tlv<'a>>, BerError> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let Some((&tag, after)) = rest.split_first() else {
            return Ok(None);
        };
        if tag & 0x1F == 0x1F {
            return Err(self.error("multi-byte BER tag (not used by SNMP)"));
        }
        let Some((&first, after)) = after.split_first() else {
            return Err(self.error("BER length missing"));
        };
        let (len, header) = if first & 0x80 == 0 {
            (usize::from(first), 2)
        } else {
            let count = usize::from(first & 0x7F);
            if count == 0 {
                return Err(self.error("indefinite BER length (not allowed in SNMP)"));
            }
            if count > 4 {
                return Err(self.error("BER length of more than 4 bytes"));
            }
            let Some(bytes) = after.get(..count) else {
                return Err(self.error("BER length truncated"));
            };
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, 2 + count)
        };
        let Some(value) = rest.get(header..).and_then(|v| v.get(..len)) else {
            return Err(self.error("BER length runs past the enclosing value"));
        };
        let tlv = Tlv {
            tag,
            value,
            at: self.at(),
            value_at: self.at() + header,
        };
        self.pos += header + len;
        Ok(Some(tlv))
    }

    /// The next TLV, which must exist and have tag `tag`.
    pub(crate) fn expect(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, BerError> {
        let at = self.at();
        match self.next()? {
            Some(tlv) if tlv.tag == tag => Ok(tlv),
            _ => Err(BerError { at, why: what }),
        }
    }

    /// A cursor over the contents of `tlv` (a constructed value read from this cursor).
    pub(crate) fn enter(&self, tlv: &Tlv<'a>) -> Result<Ber<'a>, BerError> {
        if self.depth >= MAX_DEPTH {
            return Err(BerError {
                at: tlv.at,
                why: "BER values nested too deep",
            });
        }
        Ok(Ber {
            data: tlv.value,
            base: tlv.value_at,
            pos: 0,
            depth: self.depth + 1,
        })
    }
}

/// A two's-complement INTEGER of at most 8 bytes.
pub(crate) fn integer(tlv: &Tlv<'_>) -> Result<i64, BerError> {
    let error = |why| BerError { at: tlv.at, why };
    if tlv.tag != 0x02 {
        return Err(error("INTEGER expected"));
    }
    let (&first, _) = tlv.value.split_first().ok_or(error("empty INTEGER"))?;
    if tlv.value.len() > 8 {
        return Err(error("INTEGER longer than 8 bytes"));
    }
    let start = if first & 0x80 != 0 { -1i64 } else { 0 };
    Ok(tlv
        .value
        .iter()
        .fold(start, |acc, &b| (acc << 8) | i64::from(b)))
}

/// An OBJECT IDENTIFIER in dotted form (X.690 §8.19: base-128 subidentifiers, the first one
/// encoding the first two arcs).
pub(crate) fn oid(value: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut current = 0u64;
    let mut open = false;
    for &b in value {
        if current > u64::MAX >> 7 {
            return None;
        }
        current = (current << 7) | u64::from(b & 0x7F);
        open = b & 0x80 != 0;
        if !open {
            if arcs.is_empty() {
                let (first, second) = match current {
                    0..=39 => (0, current),
                    40..=79 => (1, current - 40),
                    _ => (2, current - 80),
                };
                arcs.push(first);
                arcs.push(second);
            } else {
                arcs.push(current);
            }
            current = 0;
            if arcs.len() > MAX_ARCS {
                return None;
            }
        }
    }
    if open || arcs.is_empty() {
        return None;
    }
    Some(
        arcs.iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join("."),
    )
}
