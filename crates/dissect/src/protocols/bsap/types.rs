//! BSAP codes as open enums: unknown codes keep their number.

use crate::OpClass;

/// BSAP-IP message types (as ICSNPP names them).
pub(crate) mod message_type {
    pub const POLL: u16 = 0;
    pub const RESPONSE_COUNT: u16 = 1;
    pub const RESPONSE: u16 = 5;
    pub const REQUEST: u16 = 6;
}

/// The RDB (run-time database) application function.
pub(crate) const APP_RDB: u8 = 0x0C;

pub(crate) fn message_type_name(t: u16) -> (&'static str, OpClass) {
    match t {
        message_type::POLL => ("BSAP Poll", OpClass::Other),
        message_type::RESPONSE_COUNT => ("BSAP Response Count", OpClass::Other),
        message_type::RESPONSE => ("BSAP Response", OpClass::Other),
        message_type::REQUEST => ("BSAP Message", OpClass::Other),
        _ => ("BSAP Unknown Message Type", OpClass::Other),
    }
}

/// RDB function codes. 0x04 and 0x80 are confirmed by the ICSNPP logs; bit 7 marking writes
/// is inferred from them.
pub(crate) fn rdb_function_name(f: u8) -> (&'static str, OpClass) {
    match f {
        0x00 => ("RDB Read Signal by Address", OpClass::Read),
        0x04 => ("RDB Read Signal by Name", OpClass::Read),
        0x80 => ("RDB Write Signal by Address", OpClass::Write),
        0x84 => ("RDB Write Signal by Name", OpClass::Write),
        f if f & 0x80 != 0 => ("RDB Write (other function)", OpClass::Write),
        _ => ("RDB Read (other function)", OpClass::Read),
    }
}
