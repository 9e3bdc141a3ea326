//! ADS codes as open enums: unknown codes keep their number.

use crate::OpClass;

pub(crate) mod command {
    pub const READ_DEVICE_INFO: u16 = 1;
    pub const READ: u16 = 2;
    pub const WRITE: u16 = 3;
    pub const READ_STATE: u16 = 4;
    pub const DEVICE_NOTIFICATION: u16 = 8;
    pub const READ_WRITE: u16 = 9;
}

/// The code under which UDP discovery messages are counted (not an ADS command id).
pub(crate) const DISCOVERY_CODE: u16 = 0x100;

/// Name and class of an ADS command id (Beckhoff "ADS-Protocol", command ids 1–9).
/// ReadWrite sends data to the device (and often calls functions there): `write`.
pub fn command_name(cmd: u16) -> (&'static str, OpClass) {
    use OpClass::*;
    match cmd {
        0 => ("Invalid", Other),
        command::READ_DEVICE_INFO => ("ADS Read Device Info", Diagnostic),
        command::READ => ("ADS Read", Read),
        command::WRITE => ("ADS Write", Write),
        command::READ_STATE => ("ADS Read State", Diagnostic),
        5 => ("ADS Write Control", Control),
        6 => ("ADS Add Device Notification", Read),
        7 => ("ADS Delete Device Notification", Other),
        command::DEVICE_NOTIFICATION => ("ADS Device Notification", Read),
        command::READ_WRITE => ("ADS Read Write", Write),
        _ => ("Unknown Command", Other),
    }
}

/// Name and class of a UDP discovery service id (bit 31, the reply flag, removed). Adding a
/// route grants a remote system access to the device: `control`.
pub fn discovery_service_name(service: u32) -> (&'static str, OpClass) {
    match service {
        1 => ("ADS Discovery", OpClass::Diagnostic),
        6 => ("ADS Discovery: Add Route", OpClass::Control),
        _ => ("ADS Discovery: Unknown Service", OpClass::Other),
    }
}

/// The ADSSTATE enumeration (TwinCAT ADS, `ADSSTATE`).
pub fn ads_state_name(state: u16) -> &'static str {
    match state {
        0 => "INVALID",
        1 => "IDLE",
        2 => "RESET",
        3 => "INIT",
        4 => "START",
        5 => "RUN",
        6 => "STOP",
        7 => "SAVECFG",
        8 => "LOADCFG",
        9 => "POWERFAILURE",
        10 => "POWERGOOD",
        11 => "ERROR",
        12 => "SHUTDOWN",
        13 => "SUSPEND",
        14 => "RESUME",
        15 => "CONFIG",
        16 => "RECONFIG",
        17 => "STOPPING",
        18 => "INCOMPATIBLE",
        19 => "EXCEPTION",
        _ => "UNKNOWN",
    }
}
