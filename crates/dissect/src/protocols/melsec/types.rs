//! MC protocol commands as open enums: unknown commands keep their number.

use crate::OpClass;

pub(crate) mod command {
    pub const READ_CPU_MODEL: u16 = 0x0101;
    pub const BATCH_READ: u16 = 0x0401;
    pub const BATCH_WRITE: u16 = 0x1401;
}

/// Operation codes of MELSOFT messages: this base plus the leading byte.
pub(crate) const MELSOFT_BASE: u16 = 0x100;

/// Name and class of a command (MELSEC Communication Protocol Reference Manual §8; SLMP).
pub fn command_name(cmd: u16) -> (&'static str, OpClass) {
    use OpClass::*;
    match cmd {
        0x0101 => ("Read CPU Model Name", Diagnostic),
        0x0401 => ("Batch Read", Read),
        0x1401 => ("Batch Write", Write),
        0x0403 => ("Random Read", Read),
        0x1402 => ("Random Write", Write),
        0x0406 => ("Batch Read Multiple Blocks", Read),
        0x1406 => ("Batch Write Multiple Blocks", Write),
        0x0801 => ("Monitor Registration", Read),
        0x0802 => ("Monitor", Read),
        0x0601 => ("Read Intelligent Module Buffer Memory", Read),
        0x1601 => ("Write Intelligent Module Buffer Memory", Write),
        0x0613 => ("Read Buffer Memory", Read),
        0x1613 => ("Write Buffer Memory", Write),
        0x0619 => ("Loopback Test", Diagnostic),
        0x1001 => ("Remote RUN", Control),
        0x1002 => ("Remote STOP", Control),
        0x1003 => ("Remote PAUSE", Control),
        0x1005 => ("Remote Latch Clear", Control),
        0x1006 => ("Remote RESET", Control),
        0x1617 => ("Clear Error Information", Control),
        0x1630 => ("Remote Password Unlock", Control),
        0x1631 => ("Remote Password Lock", Control),
        // File access (directory, open, read, write, delete…): moving programs and parameters.
        0x1800..=0x18FF => ("File Operation", Program),
        _ => ("Unknown Command", Other),
    }
}

pub(crate) fn melsoft_name() -> (&'static str, OpClass) {
    ("MELSOFT Message", OpClass::Other)
}
