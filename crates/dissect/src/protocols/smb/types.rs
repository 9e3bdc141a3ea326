//! SMB command tables as open enums: SMB2 commands ([MS-SMB2] §2.2.1.2) keep their own code;
//! SMB1 commands ([MS-CIFS] §2.2.2.1) are coded `0x100 | command`; unknown commands keep their
//! number under a generic name. NT status severities and dialect names.

use crate::OpClass;

/// SMB1 operation codes are offset so that they never collide with SMB2 ones.
pub(crate) const SMB1: u16 = 0x100;

/// SMB2 commands used by the session.
pub(crate) const SMB2_NEGOTIATE: u16 = 0;
pub(crate) const SMB2_SESSION_SETUP: u16 = 1;
pub(crate) const SMB2_CANCEL: u16 = 12;
/// SMB1 commands used by the session.
pub(crate) const SMB1_NEGOTIATE: u8 = 0x72;
pub(crate) const SMB1_SESSION_SETUP: u8 = 0x73;

/// Name and class of an operation code: reads and writes of file data and metadata are
/// `read`/`write`; session and tree management, opens, locks and I/O controls are `other`.
pub fn command_name(code: u16) -> (&'static str, OpClass) {
    use OpClass::{Diagnostic, Other, Read, Write};
    match code {
        0 => ("negotiate", Other),
        1 => ("session setup", Other),
        2 => ("logoff", Other),
        3 => ("tree connect", Other),
        4 => ("tree disconnect", Other),
        5 => ("create", Other),
        6 => ("close", Other),
        7 => ("flush", Write),
        8 => ("read", Read),
        9 => ("write", Write),
        10 => ("lock", Other),
        11 => ("ioctl", Other),
        12 => ("cancel", Other),
        13 => ("echo", Diagnostic),
        14 => ("query directory", Read),
        15 => ("change notify", Read),
        16 => ("query info", Read),
        17 => ("set info", Write),
        18 => ("oplock break", Other),
        0x100 => ("SMB1 create directory", Write),
        0x101 => ("SMB1 delete directory", Write),
        0x102 => ("SMB1 open", Other),
        0x103 => ("SMB1 create", Write),
        0x104 => ("SMB1 close", Other),
        0x105 => ("SMB1 flush", Write),
        0x106 => ("SMB1 delete", Write),
        0x107 => ("SMB1 rename", Write),
        0x108 => ("SMB1 query information", Read),
        0x109 => ("SMB1 set information", Write),
        0x10A => ("SMB1 read", Read),
        0x10B => ("SMB1 write", Write),
        0x110 => ("SMB1 check directory", Read),
        0x124 => ("SMB1 locking andx", Other),
        0x125 => ("SMB1 transaction", Other),
        0x12B => ("SMB1 echo", Diagnostic),
        0x12D => ("SMB1 open andx", Other),
        0x12E => ("SMB1 read andx", Read),
        0x12F => ("SMB1 write andx", Write),
        0x132 => ("SMB1 transaction2", Other),
        0x134 => ("SMB1 find close2", Other),
        0x170 => ("SMB1 tree connect", Other),
        0x171 => ("SMB1 tree disconnect", Other),
        0x172 => ("SMB1 negotiate", Other),
        0x173 => ("SMB1 session setup andx", Other),
        0x174 => ("SMB1 logoff andx", Other),
        0x175 => ("SMB1 tree connect andx", Other),
        0x1A0 => ("SMB1 nt transact", Other),
        0x1A2 => ("SMB1 nt create andx", Other),
        0x1A4 => ("SMB1 nt cancel", Other),
        _ if code & 0xFF00 == SMB1 => ("SMB1 other command", Other),
        _ => ("SMB2 other command", Other),
    }
}

/// NT status codes ([MS-ERREF] §2.3): severity 3 is an error. STATUS_MORE_PROCESSING_REQUIRED
/// (0xC0000016) is a step of a multi-leg session setup, not a failure.
pub(crate) fn is_error(status: u32) -> bool {
    status >> 30 == 3 && status != 0xC000_0016
}

/// STATUS_PENDING: an interim response to an asynchronous request ([MS-SMB2] §3.3.4.2).
pub(crate) const STATUS_PENDING: u32 = 0x0000_0103;

/// The SMB2 dialect revision as written in [MS-SMB2] §2.2.4 (`0x0311` → `3.1.1`).
pub(crate) fn dialect_name(revision: u16) -> Option<&'static str> {
    Some(match revision {
        0x0202 => "2.0.2",
        0x0210 => "2.1",
        0x0300 => "3.0",
        0x0302 => "3.0.2",
        0x0311 => "3.1.1",
        // 0x02FF ("SMB 2.???") only says the client should negotiate again with SMB2.
        _ => return None,
    })
}
