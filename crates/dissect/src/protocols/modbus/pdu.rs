//! Borrowed, length-checked views of Modbus/TCP messages.

use super::types::{function_name, FunctionCode};

/// MBAP header length: transaction (2), protocol (2), length (2), unit (1).
pub(crate) const MBAP_LEN: usize = 7;
/// The length field counts the unit id and the PDU, whose maximum is 253 bytes.
pub(crate) const MAX_LENGTH_FIELD: u16 = 254;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mbap {
    pub transaction: u16,
    pub protocol: u16,
    pub length: u16,
    pub unit: u8,
}

impl Mbap {
    pub(crate) fn parse(b: &[u8]) -> Option<Mbap> {
        let h: &[u8; 7] = b.get(..MBAP_LEN)?.try_into().ok()?;
        let [t0, t1, p0, p1, l0, l1, unit] = *h;
        Some(Mbap {
            transaction: u16::from_be_bytes([t0, t1]),
            protocol: u16::from_be_bytes([p0, p1]),
            length: u16::from_be_bytes([l0, l1]),
            unit,
        })
    }

    /// Protocol 0 and a length that can hold a function code and fits the maximum PDU.
    pub(crate) fn is_plausible(&self) -> bool {
        self.protocol == 0 && (2..=MAX_LENGTH_FIELD).contains(&self.length)
    }

    /// Bytes of the whole frame, header included.
    pub(crate) fn frame_len(&self) -> usize {
        6 + usize::from(self.length)
    }
}

/// A function code byte names a function this crate knows (exception bit allowed).
pub(crate) fn is_known_function(byte: u8) -> bool {
    function_name(byte & 0x7F).0 != "Unknown Function" && byte & 0x7F != 0
}

fn be16(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off + 2)?;
    Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
}

/// What a request says beyond its function code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct RequestDetails {
    pub subcode: Option<u16>,
    /// (start address, quantity) of the data read or written.
    pub range: Option<(u32, u32)>,
}

/// Decodes and checks a request's data (the PDU after the function code), per V1.1b3 §6.
pub(crate) fn request_details(code: u8, data: &[u8]) -> Result<RequestDetails, &'static str> {
    let start_qty = |max_qty: u16| -> Result<RequestDetails, &'static str> {
        let (Some(start), Some(qty)) = (be16(data, 0), be16(data, 2)) else {
            return Err("shorter than start address and quantity");
        };
        if data.len() != 4 {
            return Err("length does not match start address and quantity");
        }
        if qty == 0 || qty > max_qty {
            return Err("quantity out of range");
        }
        Ok(RequestDetails {
            subcode: None,
            range: Some((u32::from(start), u32::from(qty))),
        })
    };
    match code {
        FunctionCode::READ_COILS | FunctionCode::READ_DISCRETE_INPUTS => start_qty(2000),
        FunctionCode::READ_HOLDING_REGISTERS | FunctionCode::READ_INPUT_REGISTERS => start_qty(125),
        FunctionCode::WRITE_SINGLE_COIL | FunctionCode::WRITE_SINGLE_REGISTER => {
            let (Some(address), Some(value)) = (be16(data, 0), be16(data, 2)) else {
                return Err("shorter than address and value");
            };
            if data.len() != 4 {
                return Err("length does not match address and value");
            }
            if code == FunctionCode::WRITE_SINGLE_COIL && value != 0xFF00 && value != 0 {
                return Err("coil value is neither 0xFF00 nor 0x0000");
            }
            Ok(RequestDetails {
                subcode: None,
                range: Some((u32::from(address), 1)),
            })
        }
        FunctionCode::WRITE_MULTIPLE_COILS | FunctionCode::WRITE_MULTIPLE_REGISTERS => {
            let (Some(start), Some(qty), Some(&count)) =
                (be16(data, 0), be16(data, 2), data.get(4))
            else {
                return Err("shorter than start, quantity and byte count");
            };
            let (max, expected) = if code == FunctionCode::WRITE_MULTIPLE_COILS {
                (1968, usize::from(qty).div_ceil(8))
            } else {
                (123, usize::from(qty) * 2)
            };
            if qty == 0 || qty > max {
                return Err("quantity out of range");
            }
            if usize::from(count) != expected || data.len() != 5 + expected {
                return Err("byte count does not match quantity");
            }
            Ok(RequestDetails {
                subcode: None,
                range: Some((u32::from(start), u32::from(qty))),
            })
        }
        FunctionCode::MASK_WRITE_REGISTER => match (be16(data, 0), data.len()) {
            (Some(address), 6) => Ok(RequestDetails {
                subcode: None,
                range: Some((u32::from(address), 1)),
            }),
            _ => Err("length is not 6"),
        },
        FunctionCode::READ_WRITE_MULTIPLE_REGISTERS => {
            let (Some(write_start), Some(write_qty), Some(&count)) =
                (be16(data, 4), be16(data, 6), data.get(8))
            else {
                return Err("shorter than its fixed fields");
            };
            if usize::from(count) != usize::from(write_qty) * 2
                || data.len() != 9 + usize::from(count)
            {
                return Err("byte count does not match write quantity");
            }
            Ok(RequestDetails {
                subcode: None,
                range: Some((u32::from(write_start), u32::from(write_qty))),
            })
        }
        FunctionCode::DIAGNOSTICS => match be16(data, 0) {
            Some(sub) => Ok(RequestDetails {
                subcode: Some(sub),
                range: None,
            }),
            None => Err("no sub-function"),
        },
        FunctionCode::ENCAPSULATED_INTERFACE => match data.first() {
            Some(&mei) => {
                if mei == 14 && data.len() != 3 {
                    return Err("read device identification request is not 3 bytes");
                }
                Ok(RequestDetails {
                    subcode: Some(u16::from(mei)),
                    range: None,
                })
            }
            None => Err("no MEI type"),
        },
        FunctionCode::UMAS => match data.get(1) {
            // Byte 0 is the session key, byte 1 the UMAS function.
            Some(&function) => Ok(RequestDetails {
                subcode: Some(u16::from(function)),
                range: None,
            }),
            None => Err("shorter than session key and UMAS function"),
        },
        _ => Ok(RequestDetails::default()),
    }
}

/// Checks a normal (non-exception) response's data against its function code.
pub(crate) fn check_response(code: u8, data: &[u8]) -> Result<(), &'static str> {
    match code {
        FunctionCode::READ_COILS
        | FunctionCode::READ_DISCRETE_INPUTS
        | FunctionCode::READ_HOLDING_REGISTERS
        | FunctionCode::READ_INPUT_REGISTERS
        | FunctionCode::READ_WRITE_MULTIPLE_REGISTERS => {
            let Some(&count) = data.first() else {
                return Err("no byte count");
            };
            if data.len() != 1 + usize::from(count) {
                return Err("byte count does not match the data");
            }
            let registers = !matches!(
                code,
                FunctionCode::READ_COILS | FunctionCode::READ_DISCRETE_INPUTS
            );
            if registers && count % 2 != 0 {
                return Err("odd byte count for registers");
            }
            Ok(())
        }
        FunctionCode::WRITE_SINGLE_COIL
        | FunctionCode::WRITE_SINGLE_REGISTER
        | FunctionCode::WRITE_MULTIPLE_COILS
        | FunctionCode::WRITE_MULTIPLE_REGISTERS => {
            if data.len() == 4 {
                Ok(())
            } else {
                Err("length is not 4")
            }
        }
        _ => Ok(()),
    }
}

/// The objects of a Read Device Identification response (V1.1b3 §6.21): `(object id, value)`.
pub(crate) fn device_objects(data: &[u8]) -> Result<Vec<(u8, &[u8])>, &'static str> {
    // MEI type, read device id code, conformity level, more follows, next object id, count.
    let (Some(&14), Some(&count)) = (data.first(), data.get(5)) else {
        return Err("shorter than the device identification header");
    };
    let mut objects = Vec::with_capacity(usize::from(count).min(16));
    let mut rest = data.get(6..).unwrap_or_default();
    for _ in 0..count {
        let (Some(&id), Some(&len)) = (rest.first(), rest.get(1)) else {
            return Err("object list shorter than its count");
        };
        let Some(value) = rest.get(2..2 + usize::from(len)) else {
            return Err("object value runs past the message");
        };
        objects.push((id, value));
        rest = rest.get(2 + usize::from(len)..).unwrap_or_default();
    }
    Ok(objects)
}
