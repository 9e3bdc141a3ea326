//! C37.118 codes as open enums: unknown codes keep their number.

use crate::OpClass;

/// Frame types (C37.118.2-2011 §6.2, Table 2: bits 6–4 of the second SYNC byte).
pub(crate) mod frame_type {
    pub const DATA: u8 = 0;
    pub const HEADER: u8 = 1;
    pub const CFG1: u8 = 2;
    pub const CFG2: u8 = 3;
    pub const COMMAND: u8 = 4;
    pub const CFG3: u8 = 5;
}

/// Name and class of a frame type. Data frames carry measurements (`read`); configuration and
/// header frames describe the PMU (`diagnostic`).
pub fn frame_type_name(t: u8) -> (&'static str, OpClass) {
    use OpClass::*;
    match t {
        frame_type::DATA => ("Data Frame", Read),
        frame_type::HEADER => ("Header Frame", Diagnostic),
        frame_type::CFG1 => ("Configuration Frame 1", Diagnostic),
        frame_type::CFG2 => ("Configuration Frame 2", Diagnostic),
        frame_type::COMMAND => ("Command Frame", Other),
        frame_type::CFG3 => ("Configuration Frame 3", Diagnostic),
        _ => ("Unknown Frame Type", Other),
    }
}

/// Name and class of a command (C37.118.2-2011 §6.6, Table 15). Turning the data stream off
/// or on changes what the PMU does (`control`); asking for header or configuration frames asks
/// about the device (`diagnostic`).
pub fn command_name(cmd: u16) -> (&'static str, OpClass) {
    use OpClass::*;
    match cmd {
        1 => ("Turn Off Transmission of Data Frames", Control),
        2 => ("Turn On Transmission of Data Frames", Control),
        3 => ("Send Header Frame", Diagnostic),
        4 => ("Send CFG-1 Frame", Diagnostic),
        5 => ("Send CFG-2 Frame", Diagnostic),
        6 => ("Send CFG-3 Frame", Diagnostic),
        8 => ("Extended Frame", Other),
        0x0100..=0x0FFF => ("User-Designated Command", Other),
        _ => ("Unknown Command", Other),
    }
}
