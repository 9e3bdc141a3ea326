//! Borrowed, length-checked views of IEC 60870-5-104 APDUs (IEC 60870-5-104 §5) and the ASDUs
//! they carry (IEC 60870-5-101 §7.1, with the 104 field sizes of IEC 60870-5-104 §9).

use super::types::{element_size, Cause, TypeId, UFunction};

/// Every APDU starts with this octet (§5.1).
pub(crate) const START: u8 = 0x68;
/// The length octet counts the four control octets and the ASDU; at most 253 (§5.1).
pub(crate) const MIN_LENGTH: u8 = 4;
pub(crate) const MAX_LENGTH: u8 = 253;
/// Type, variable structure qualifier, two COT octets, two common address octets (§9).
pub(crate) const ASDU_HEADER_LEN: usize = 6;
/// Information object addresses are three octets in IEC 60870-5-104 (§9).
pub(crate) const IOA_LEN: usize = 3;

/// The APCI control field (§5.1, figures 6–8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    /// Numbered information transfer: send and receive sequence numbers, 15 bits each.
    I { send: u16, receive: u16 },
    /// Numbered supervisory function: acknowledges up to `receive`.
    S { receive: u16 },
    /// Unnumbered control function; `None` when the octet sets no single known function.
    U(Option<UFunction>, u8),
}

impl Control {
    pub(crate) fn parse(c: [u8; 4]) -> Control {
        let [c1, c2, c3, c4] = c;
        let receive = u16::from_le_bytes([c3, c4]) >> 1;
        if c1 & 1 == 0 {
            Control::I {
                send: u16::from_le_bytes([c1, c2]) >> 1,
                receive,
            }
        } else if c1 & 3 == 1 {
            Control::S { receive }
        } else {
            Control::U(UFunction::from_control(c1), c1)
        }
    }
}

/// A whole APDU: control field and ASDU octets (empty for S- and U-frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Apdu<'a> {
    pub control: Control,
    pub asdu: &'a [u8],
}

impl<'a> Apdu<'a> {
    /// `frame` is the whole APDU, start and length octets included.
    pub(crate) fn parse(frame: &'a [u8]) -> Option<Apdu<'a>> {
        let c: [u8; 4] = frame.get(2..6)?.try_into().ok()?;
        Some(Apdu {
            control: Control::parse(c),
            asdu: frame.get(6..)?,
        })
    }
}

/// The length octet of an APCI that starts at `b[0]`, when the start octet and the length are
/// valid.
pub(crate) fn frame_len(b: &[u8]) -> Option<Result<usize, ()>> {
    let (&start, rest) = b.split_first()?;
    if start != START {
        return Some(Err(()));
    }
    let &len = rest.first()?;
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&len) {
        return Some(Err(()));
    }
    Some(Ok(2 + usize::from(len)))
}

/// The data unit identifier and the information objects of an ASDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Asdu<'a> {
    pub type_id: TypeId,
    /// SQ bit: the objects are one sequence of elements after a single address.
    pub sequence: bool,
    /// Number of information objects or elements (7 bits).
    pub count: u8,
    pub cause: Cause,
    /// P/N bit: a negative confirmation.
    pub negative: bool,
    /// T bit: the ASDU was generated for test conditions.
    pub test: bool,
    pub originator: u8,
    pub common_address: u16,
    pub objects: &'a [u8],
}

impl<'a> Asdu<'a> {
    pub(crate) fn parse(b: &'a [u8]) -> Option<Asdu<'a>> {
        let h: &[u8; ASDU_HEADER_LEN] = b.get(..ASDU_HEADER_LEN)?.try_into().ok()?;
        let [type_id, vsq, cot, originator, ca0, ca1] = *h;
        Some(Asdu {
            type_id: TypeId(type_id),
            sequence: vsq & 0x80 != 0,
            count: vsq & 0x7F,
            cause: Cause(cot & 0x3F),
            negative: cot & 0x40 != 0,
            test: cot & 0x80 != 0,
            originator,
            common_address: u16::from_le_bytes([ca0, ca1]),
            objects: b.get(ASDU_HEADER_LEN..)?,
        })
    }

    /// The addresses the ASDU's objects refer to as (first IOA, number of addresses): for a
    /// sequence the consecutive range; for a list the span from the lowest to the highest IOA
    /// (the range a map can show). `None` without objects.
    pub(crate) fn ioa_range(&self) -> Option<(u32, u32)> {
        let first = ioa(self.objects)?;
        if self.sequence {
            return Some((first, u32::from(self.count.max(1))));
        }
        let size = element_size(self.type_id.0).unwrap_or(0);
        let (mut min, mut max) = (first, first);
        if size > 0 || self.type_id.0 == TypeId::C_RD_NA_1 {
            let stride = IOA_LEN + size;
            for i in 1..usize::from(self.count) {
                let Some(a) = self.objects.get(i * stride..).and_then(ioa) else {
                    break;
                };
                min = min.min(a);
                max = max.max(a);
            }
        }
        Some((min, max - min + 1))
    }

    /// The IOA of the first object, the key a confirmation repeats.
    pub(crate) fn first_ioa(&self) -> Option<u32> {
        ioa(self.objects)
    }

    /// Checks the object octets against the count and the type's element size.
    pub(crate) fn check(&self) -> Result<(), &'static str> {
        if self.count == 0 {
            return Err("variable structure qualifier counts no objects");
        }
        let Some(size) = element_size(self.type_id.0) else {
            return Ok(());
        };
        let n = usize::from(self.count);
        let expected = if self.sequence {
            IOA_LEN + n * size
        } else {
            n * (IOA_LEN + size)
        };
        if self.objects.len() != expected {
            return Err("length does not match the number of objects of this type");
        }
        Ok(())
    }
}

fn ioa(b: &[u8]) -> Option<u32> {
    let a: [u8; 3] = b.get(..IOA_LEN)?.try_into().ok()?;
    let [a0, a1, a2] = a;
    Some(u32::from_le_bytes([a0, a1, a2, 0]))
}
