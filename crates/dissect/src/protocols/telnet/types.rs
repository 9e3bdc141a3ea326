//! Telnet command codes (RFC 854) and this dissector's one operation.

use crate::OpClass;

/// Interpret As Command.
pub(crate) const IAC: u8 = 255;
pub(crate) const DONT: u8 = 254;
pub(crate) const WILL: u8 = 251;
/// Subnegotiation begin and end (RFC 855).
pub(crate) const SB: u8 = 250;
pub(crate) const SE: u8 = 240;

/// A password prompt answered by the client.
pub(crate) const LOGIN: u16 = 1;

/// Name and class of an operation code.
pub fn operation_name(code: u16) -> (&'static str, OpClass) {
    match code {
        LOGIN => ("login", OpClass::Other),
        _ => ("Telnet message", OpClass::Other),
    }
}
