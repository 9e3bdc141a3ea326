//! Modbus codes as open enums: an unknown code is kept with its number, never dropped.

use crate::OpClass;

/// A Modbus function code (the exception bit 0x80 removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FunctionCode(pub u8);

impl FunctionCode {
    pub const READ_COILS: u8 = 1;
    pub const READ_DISCRETE_INPUTS: u8 = 2;
    pub const READ_HOLDING_REGISTERS: u8 = 3;
    pub const READ_INPUT_REGISTERS: u8 = 4;
    pub const WRITE_SINGLE_COIL: u8 = 5;
    pub const WRITE_SINGLE_REGISTER: u8 = 6;
    pub const DIAGNOSTICS: u8 = 8;
    pub const WRITE_MULTIPLE_COILS: u8 = 15;
    pub const WRITE_MULTIPLE_REGISTERS: u8 = 16;
    pub const MASK_WRITE_REGISTER: u8 = 22;
    pub const READ_WRITE_MULTIPLE_REGISTERS: u8 = 23;
    pub const ENCAPSULATED_INTERFACE: u8 = 43;
    pub const UMAS: u8 = 90;
}

/// Name and class of a function code (Modbus Application Protocol V1.1b3 §6).
pub fn function_name(code: u8) -> (&'static str, OpClass) {
    use OpClass::*;
    match code {
        1 => ("Read Coils", Read),
        2 => ("Read Discrete Inputs", Read),
        3 => ("Read Holding Registers", Read),
        4 => ("Read Input Registers", Read),
        5 => ("Write Single Coil", Write),
        6 => ("Write Single Register", Write),
        7 => ("Read Exception Status", Diagnostic),
        8 => ("Diagnostics", Diagnostic),
        11 => ("Get Comm Event Counter", Diagnostic),
        12 => ("Get Comm Event Log", Diagnostic),
        15 => ("Write Multiple Coils", Write),
        16 => ("Write Multiple Registers", Write),
        17 => ("Report Server ID", Diagnostic),
        20 => ("Read File Record", Read),
        21 => ("Write File Record", Write),
        22 => ("Mask Write Register", Write),
        23 => ("Read/Write Multiple Registers", Write),
        24 => ("Read FIFO Queue", Read),
        43 => ("Encapsulated Interface Transport", Diagnostic),
        90 => ("UMAS", Other),
        65..=72 | 100..=110 => ("User Defined", Other),
        _ => ("Unknown Function", Other),
    }
}

/// Diagnostics (function 8) sub-functions (V1.1b3 §6.8.1). Those that change the device's
/// behaviour are `control`.
pub fn diagnostic_name(sub: u16) -> (&'static str, OpClass) {
    use OpClass::*;
    match sub {
        0 => ("Return Query Data", Diagnostic),
        1 => ("Restart Communications Option", Control),
        2 => ("Return Diagnostic Register", Diagnostic),
        3 => ("Change ASCII Input Delimiter", Control),
        4 => ("Force Listen Only Mode", Control),
        10 => ("Clear Counters and Diagnostic Register", Control),
        11 => ("Return Bus Message Count", Diagnostic),
        12 => ("Return Bus Communication Error Count", Diagnostic),
        13 => ("Return Bus Exception Error Count", Diagnostic),
        14 => ("Return Server Message Count", Diagnostic),
        15 => ("Return Server No Response Count", Diagnostic),
        16 => ("Return Server NAK Count", Diagnostic),
        17 => ("Return Server Busy Count", Diagnostic),
        18 => ("Return Bus Character Overrun Count", Diagnostic),
        20 => ("Clear Overrun Counter and Flag", Control),
        _ => ("Diagnostics (unknown sub-function)", Diagnostic),
    }
}

/// Encapsulated Interface Transport (function 43) MEI types (V1.1b3 §6.19–6.21).
pub fn mei_name(mei: u16) -> (&'static str, OpClass) {
    match mei {
        13 => ("CANopen General Reference", OpClass::Other),
        14 => ("Read Device Identification", OpClass::Diagnostic),
        _ => (
            "Encapsulated Interface Transport (unknown MEI type)",
            OpClass::Other,
        ),
    }
}

/// Read Device Identification object names (V1.1b3 §6.21, table of object ids).
pub fn device_object_field(object: u8) -> Option<&'static str> {
    Some(match object {
        0 => "vendor",
        1 => "product_code",
        2 => "revision",
        3 => "vendor_url",
        4 => "product_name",
        5 => "model_name",
        6 => "user_application_name",
        _ => return None,
    })
}

/// UMAS (function 90) sub-functions. Starting, stopping and reserving the PLC are `control`;
/// moving the application (strategy) in either direction is `program`.
pub fn umas_name(sub: u16) -> (&'static str, OpClass) {
    use OpClass::*;
    match sub {
        0x01 => ("UMAS Init Communication", Diagnostic),
        0x02 => ("UMAS Read ID", Diagnostic),
        0x03 => ("UMAS Read Project Info", Diagnostic),
        0x04 => ("UMAS Read PLC Info", Diagnostic),
        0x06 => ("UMAS Read Card Info", Diagnostic),
        0x0A => ("UMAS Repeat", Other),
        0x10 => ("UMAS Take PLC Reservation", Control),
        0x11 => ("UMAS Release PLC Reservation", Control),
        0x12 => ("UMAS Keep Alive", Other),
        0x20 => ("UMAS Read Memory Block", Read),
        0x22 => ("UMAS Read Variables", Read),
        0x23 => ("UMAS Write Variables", Write),
        0x24 => ("UMAS Read Coils and Registers", Read),
        0x25 => ("UMAS Write Coils and Registers", Write),
        0x30 => ("UMAS Initialize Upload", Program),
        0x31 => ("UMAS Upload Block", Program),
        0x32 => ("UMAS End Strategy Upload", Program),
        0x33 => ("UMAS Initialize Download", Program),
        0x34 => ("UMAS Download Block", Program),
        0x35 => ("UMAS End Strategy Download", Program),
        0x39 => ("UMAS Read Ethernet Master Data", Read),
        0x40 => ("UMAS Start PLC", Control),
        0x41 => ("UMAS Stop PLC", Control),
        0x50 => ("UMAS Monitor PLC", Diagnostic),
        0x58 => ("UMAS Check PLC", Diagnostic),
        0x70 => ("UMAS Read IO Object", Read),
        0x71 => ("UMAS Write IO Object", Write),
        0x73 => ("UMAS Get Status Module", Diagnostic),
        _ => ("UMAS (unknown sub-function)", Other),
    }
}

/// Exception codes (V1.1b3 §7).
pub fn exception_name(code: u8) -> &'static str {
    match code {
        1 => "Illegal Function",
        2 => "Illegal Data Address",
        3 => "Illegal Data Value",
        4 => "Server Device Failure",
        5 => "Acknowledge",
        6 => "Server Device Busy",
        8 => "Memory Parity Error",
        10 => "Gateway Path Unavailable",
        11 => "Gateway Target Device Failed to Respond",
        _ => "Unknown Exception",
    }
}
