//! FINS codes as open enums: an unknown command or end code is kept with its number.

use crate::OpClass;

/// A FINS command code: main request code (MRC) in the high octet, sub-request code (SRC) in
/// the low octet, the number tshark shows as `omron.command`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandCode(pub u16);

impl CommandCode {
    pub const MEMORY_AREA_READ: u16 = 0x0101;
    pub const MEMORY_AREA_WRITE: u16 = 0x0102;
    pub const MEMORY_AREA_FILL: u16 = 0x0103;
    pub const MEMORY_AREA_TRANSFER: u16 = 0x0105;
    pub const CONTROLLER_DATA_READ: u16 = 0x0501;
}

/// Name and class of a command (Omron W342 "FINS Commands Reference", §5-1 command list).
///
/// Classes: memory area reads and forced-status reads observe process data (`read`); memory
/// writes, fills, transfers and forced set/reset change it (`write`); program, parameter area
/// (PLC Setup, I/O tables, routing tables) and file memory commands move logic and
/// configuration (`program`); RUN/STOP, access rights and error clearing change the
/// controller's state (`control`); everything that asks about the controller or the network,
/// including the clock, is `diagnostic`.
pub fn command_name(code: u16) -> (&'static str, OpClass) {
    use OpClass::*;
    match code {
        0x0101 => ("Memory Area Read", Read),
        0x0102 => ("Memory Area Write", Write),
        0x0103 => ("Memory Area Fill", Write),
        0x0104 => ("Multiple Memory Area Read", Read),
        0x0105 => ("Memory Area Transfer", Write),
        0x0201 => ("Parameter Area Read", Program),
        0x0202 => ("Parameter Area Write", Program),
        0x0203 => ("Parameter Area Clear", Program),
        0x0220 => ("Data Link Table Read", Program),
        0x0221 => ("Data Link Table Write", Program),
        0x0304 => ("Program Area Protect", Program),
        0x0305 => ("Program Area Protect Clear", Program),
        0x0306 => ("Program Area Read", Program),
        0x0307 => ("Program Area Write", Program),
        0x0308 => ("Program Area Clear", Program),
        0x0401 => ("Run", Control),
        0x0402 => ("Stop", Control),
        0x0501 => ("Controller Data Read", Diagnostic),
        0x0502 => ("Connection Data Read", Diagnostic),
        0x0601 => ("Controller Status Read", Diagnostic),
        0x0602 => ("Network Status Read", Diagnostic),
        0x0603 => ("Data Link Status Read", Diagnostic),
        0x0620 => ("Cycle Time Read", Diagnostic),
        0x0701 => ("Clock Read", Diagnostic),
        0x0702 => ("Clock Write", Diagnostic),
        0x0801 => ("Loop Back Test", Diagnostic),
        0x0802 => ("Broadcast Test Results Read", Diagnostic),
        0x0803 => ("Broadcast Test Data Send", Diagnostic),
        0x0920 => ("Message Read/Clear, FAL/FALS Read", Diagnostic),
        0x0C01 => ("Access Right Acquire", Control),
        0x0C02 => ("Access Right Forced Acquire", Control),
        0x0C03 => ("Access Right Release", Control),
        0x2101 => ("Error Clear", Control),
        0x2102 => ("Error Log Read", Diagnostic),
        0x2103 => ("Error Log Clear", Control),
        0x2201 => ("File Name Read", Program),
        0x2202 => ("Single File Read", Program),
        0x2203 => ("Single File Write", Program),
        0x2204 => ("File Memory Format", Program),
        0x2205 => ("File Delete", Program),
        0x2206 => ("Volume Label Create/Delete", Program),
        0x2207 => ("File Copy", Program),
        0x2208 => ("File Name Change", Program),
        0x2209 => ("File Data Check", Program),
        0x220A => ("Memory Area File Transfer", Program),
        0x220B => ("Parameter Area File Transfer", Program),
        0x220C => ("Program Area File Transfer", Program),
        0x220F => ("File Memory Index Read", Program),
        0x2210 => ("File Memory Read", Program),
        0x2211 => ("File Memory Write", Program),
        0x2215 => ("Create/Delete Directory", Program),
        0x2301 => ("Forced Set/Reset", Write),
        0x2302 => ("Forced Set/Reset Cancel", Write),
        0x230A => ("Multiple Forced Status Read", Read),
        0x2601 => ("Name Set", Other),
        0x2602 => ("Name Delete", Other),
        0x2603 => ("Name Read", Diagnostic),
        _ => ("Unknown Command", Other),
    }
}

/// Main response codes (W342 §5-1-3); the sub code refines them and is reported as a number.
pub fn end_code_name(code: u16) -> &'static str {
    match code >> 8 {
        0x00 => "Normal completion",
        0x01 => "Local node error",
        0x02 => "Destination node error",
        0x03 => "Controller error",
        0x04 => "Service unsupported",
        0x05 => "Routing table error",
        0x10 => "Command format error",
        0x11 => "Parameter error",
        0x20 => "Read not possible",
        0x21 => "Write not possible",
        0x22 => "Not executable in current mode",
        0x23 => "No unit",
        0x24 => "Start/stop not possible",
        0x25 => "Unit error",
        0x26 => "Command error",
        0x30 => "Access right error",
        0x40 => "Abort",
        _ => "Unknown End Code",
    }
}

/// FINS/TCP header commands (W421 §7-4, FINS/TCP method).
pub fn tcp_command_name(command: u32) -> &'static str {
    match command {
        0 => "node address data send (client)",
        1 => "node address data send (server)",
        2 => "FINS frame send",
        3 => "FINS frame send error notification",
        6 => "connection confirmation",
        _ => "unknown FINS/TCP command",
    }
}
