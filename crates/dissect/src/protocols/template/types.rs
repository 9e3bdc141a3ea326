//! TEMPLATE: codes as open enums — a name and a class for every code, a catch-all for unknown
//! ones (kept with their number, never dropped).

use crate::OpClass;

pub(crate) fn code_name(code: u8) -> (&'static str, OpClass) {
    match code {
        1 => ("Read", OpClass::Read),
        2 => ("Write", OpClass::Write),
        3 => ("Stop", OpClass::Control),
        _ => ("Unknown Code", OpClass::Other),
    }
}
