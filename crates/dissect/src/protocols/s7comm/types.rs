//! S7comm and S7comm-plus codes as open enums: an unknown code is kept with its number, never
//! dropped. Code values are the ones published in the Wireshark S7comm/S7comm-plus dissector
//! documentation and Siemens' SZL manual ("System Software for S7-300/400, System and Standard
//! Functions", chapter 34 "System Status Lists"); the names are ours.

use crate::OpClass;

/// Message types (ROSCTR, byte 1 of the S7comm header).
pub(crate) mod rosctr {
    pub const JOB: u8 = 1;
    pub const ACK: u8 = 2;
    pub const ACK_DATA: u8 = 3;
    pub const USERDATA: u8 = 7;
}

/// Job functions (first parameter byte of a job or ack-data message).
pub(crate) mod func {
    pub const CPU_SERVICES: u8 = 0x00;
    pub const READ_VAR: u8 = 0x04;
    pub const WRITE_VAR: u8 = 0x05;
    pub const REQUEST_DOWNLOAD: u8 = 0x1A;
    pub const DOWNLOAD_BLOCK: u8 = 0x1B;
    pub const DOWNLOAD_ENDED: u8 = 0x1C;
    pub const START_UPLOAD: u8 = 0x1D;
    pub const UPLOAD: u8 = 0x1E;
    pub const END_UPLOAD: u8 = 0x1F;
    pub const PI_SERVICE: u8 = 0x28;
    pub const PLC_STOP: u8 = 0x29;
    pub const SETUP_COMMUNICATION: u8 = 0xF0;
}

/// Name and class of a job function. Uploads move logic out of the PLC and downloads into it,
/// so both are `program`.
pub fn function_name(code: u8) -> (&'static str, OpClass) {
    use OpClass::*;
    match code {
        func::CPU_SERVICES => ("CPU Services", Other),
        func::READ_VAR => ("Read Var", Read),
        func::WRITE_VAR => ("Write Var", Write),
        func::REQUEST_DOWNLOAD => ("Request Download", Program),
        func::DOWNLOAD_BLOCK => ("Download Block", Program),
        func::DOWNLOAD_ENDED => ("Download Ended", Program),
        func::START_UPLOAD => ("Start Upload", Program),
        func::UPLOAD => ("Upload", Program),
        func::END_UPLOAD => ("End Upload", Program),
        func::PI_SERVICE => ("PI-Service", Control),
        func::PLC_STOP => ("PLC Stop", Control),
        func::SETUP_COMMUNICATION => ("Setup Communication", Other),
        _ => ("Unknown Function", Other),
    }
}

/// Program Invocation services (function 0x28), by the service name the request carries.
/// The sub-code is our index into this table, stable across versions (new services are
/// appended). Activating, deleting and persisting blocks change the program; starting the
/// program, compressing memory and NC state services change the device's state.
const PI_SERVICES: &[(&[u8], &str, OpClass)] = &[
    (
        b"_INSE",
        "PI-Service _INSE (activate block)",
        OpClass::Program,
    ),
    (
        b"_DELE",
        "PI-Service _DELE (delete block)",
        OpClass::Program,
    ),
    (
        b"P_PROGRAM",
        "PI-Service P_PROGRAM (start PLC)",
        OpClass::Control,
    ),
    (
        b"_MODU",
        "PI-Service _MODU (copy RAM to ROM)",
        OpClass::Program,
    ),
    (
        b"_GARB",
        "PI-Service _GARB (compress memory)",
        OpClass::Control,
    ),
    (
        b"_N_LOGIN_",
        "PI-Service _N_LOGIN_ (NC login)",
        OpClass::Control,
    ),
    (
        b"_N_LOGOUT",
        "PI-Service _N_LOGOUT (NC logout)",
        OpClass::Control,
    ),
    (
        b"_N_CANCEL",
        "PI-Service _N_CANCEL (cancel NC alarm)",
        OpClass::Control,
    ),
    (
        b"_N_F_DELE",
        "PI-Service _N_F_DELE (delete NC file)",
        OpClass::Program,
    ),
    (
        b"_N_F_COPY",
        "PI-Service _N_F_COPY (copy NC file)",
        OpClass::Program,
    ),
    (
        b"_N_F_OPER",
        "PI-Service _N_F_OPER (open NC file)",
        OpClass::Program,
    ),
    (
        b"_N_SELECT",
        "PI-Service _N_SELECT (select NC program)",
        OpClass::Control,
    ),
    (
        b"_N_NEWPWD",
        "PI-Service _N_NEWPWD (new NC password)",
        OpClass::Control,
    ),
];

/// Sub-code, name and class of a PI service name; `None` for a name not in the table.
pub fn pi_service(name: &[u8]) -> Option<(u16, &'static str, OpClass)> {
    PI_SERVICES
        .iter()
        .zip(0u16..)
        .find(|((n, _, _), _)| *n == name)
        .map(|((_, label, class), i)| (i, *label, *class))
}

/// Name and class of a PI service by sub-code (for paired responses built from requests).
pub fn pi_service_by_subcode(sub: u16) -> (&'static str, OpClass) {
    PI_SERVICES.get(usize::from(sub)).map_or(
        ("PI-Service (unknown service)", OpClass::Control),
        |(_, n, c)| (*n, *c),
    )
}

/// Memory areas of an S7ANY item address.
pub fn area_name(area: u8) -> &'static str {
    match area {
        0x03 => "System info (S200)",
        0x05 => "System flags (S200)",
        0x06 => "Analog inputs (S200)",
        0x07 => "Analog outputs (S200)",
        0x1C => "Counters (C)",
        0x1D => "Timers (T)",
        0x1E => "IEC counters (S200)",
        0x1F => "IEC timers (S200)",
        0x80 => "Direct peripheral access (P)",
        0x81 => "Inputs (I)",
        0x82 => "Outputs (Q)",
        0x83 => "Flags (M)",
        0x84 => "Data blocks (DB)",
        0x85 => "Instance data blocks (DI)",
        0x86 => "Local data (L)",
        0x87 => "Previous local data (V)",
        _ => "Unknown area",
    }
}

/// Bytes per element of an S7ANY transport size, for the length of an address range. Bits
/// count as one byte (the item touches that byte).
pub fn transport_size_bytes(size: u8) -> u32 {
    match size {
        0x01..=0x03 => 1,               // BIT, BYTE, CHAR
        0x04 | 0x05 | 0x09 | 0x0C => 2, // WORD, INT, DATE, S5TIME
        0x06..=0x08 | 0x0A | 0x0B => 4, // DWORD, DINT, REAL, TIME_OF_DAY, TIME
        0x0F => 8,                      // DATE_AND_TIME
        0x1C | 0x1D => 2,               // COUNTER, TIMER
        _ => 1,
    }
}

/// Userdata function groups (low nibble of the type/group parameter byte).
pub(crate) mod group {
    pub const MODE_TRANSITION: u8 = 0x0;
    pub const PROGRAMMER: u8 = 0x1;
    pub const CYCLIC: u8 = 0x2;
    pub const BLOCK: u8 = 0x3;
    pub const CPU: u8 = 0x4;
    pub const SECURITY: u8 = 0x5;
    pub const PBC: u8 = 0x6;
    pub const TIME: u8 = 0x7;
    pub const NC: u8 = 0xF;
}

/// CPU functions sub-function Read SZL.
pub(crate) const SUBFUNC_READ_SZL: u8 = 0x01;

/// The `Operation.code` of a userdata message: `0x7000 | group << 8 | sub-function`. Job
/// functions are one byte, so these never collide with them; tshark has no single field for
/// userdata (it shows the group and sub-function as two fields and no `s7comm.param.func`).
/// Mode-transition pushes carry the new CPU mode where others carry a sub-function, so for them
/// the code is `0x7000` and the mode is the sub-code.
pub fn userdata_code(grp: u8, subfunc: u8) -> u16 {
    if grp == group::MODE_TRANSITION {
        0x7000
    } else {
        0x7000 | u16::from(grp & 0x0F) << 8 | u16::from(subfunc)
    }
}

/// Name and class of a userdata function (group, sub-function).
///
/// Classes: SZL reads, diagnostics, alarms and clock reads are `diagnostic`; block lists and
/// block info are `read` (they show what program the PLC holds); cyclic subscriptions return
/// process data (`read`); forcing changes outputs (`write`); password and session-cleanup
/// change the protection level of the connection and setting the clock changes device state
/// (`control`).
pub fn userdata_name(grp: u8, subfunc: u8) -> (&'static str, OpClass) {
    use OpClass::*;
    match (grp, subfunc) {
        (group::MODE_TRANSITION, _) => ("Mode Transition", Diagnostic),
        (group::PROGRAMMER, 0x01) => ("Request Diag Data (Type 1)", Diagnostic),
        (group::PROGRAMMER, 0x02) => ("VarTab", Read),
        (group::PROGRAMMER, 0x0C) => ("Erase", Program),
        (group::PROGRAMMER, 0x0E) => ("Read Diag Data", Diagnostic),
        (group::PROGRAMMER, 0x0F) => ("Remove Diag Data", Diagnostic),
        (group::PROGRAMMER, 0x10) => ("Forces", Write),
        (group::PROGRAMMER, 0x13) => ("Request Diag Data (Type 2)", Diagnostic),
        (group::PROGRAMMER, 0x16) => ("Flash LED", Diagnostic),
        (group::PROGRAMMER, _) => ("Programmer Command (unknown)", Other),
        (group::CYCLIC, 0x01) => ("Cyclic Memory", Read),
        (group::CYCLIC, 0x04) => ("Cyclic Unsubscribe", Other),
        (group::CYCLIC, 0x05) => ("Cyclic Change-Driven Memory", Read),
        (group::CYCLIC, 0x07) => ("Cyclic Change-Driven Memory (modify)", Read),
        (group::CYCLIC, 0x08) => ("Cyclic Read Record", Read),
        (group::CYCLIC, _) => ("Cyclic Data (unknown)", Read),
        (group::BLOCK, 0x01) => ("List Blocks", Read),
        (group::BLOCK, 0x02) => ("List Blocks of Type", Read),
        (group::BLOCK, 0x03) => ("Get Block Info", Read),
        (group::BLOCK, _) => ("Block Function (unknown)", Other),
        (group::CPU, 0x01) => ("Read SZL", Diagnostic),
        (group::CPU, 0x02) => ("Message Service", Diagnostic),
        (group::CPU, 0x03) => ("Diagnostic Message", Diagnostic),
        (group::CPU, 0x05) => ("ALARM_8 Indication", Diagnostic),
        (group::CPU, 0x06) => ("NOTIFY Indication", Diagnostic),
        (group::CPU, 0x07) => ("ALARM_8 Lock", Control),
        (group::CPU, 0x08) => ("ALARM_8 Unlock", Control),
        (group::CPU, 0x09) => ("SCAN Indication", Diagnostic),
        (group::CPU, 0x0B) => ("ALARM Ack", Control),
        (group::CPU, 0x0C) => ("ALARM Ack Indication", Diagnostic),
        (group::CPU, 0x0D) => ("ALARM Lock Indication", Diagnostic),
        (group::CPU, 0x0E) => ("ALARM Unlock Indication", Diagnostic),
        (group::CPU, 0x11) => ("ALARM_SQ Indication", Diagnostic),
        (group::CPU, 0x12) => ("ALARM_S Indication", Diagnostic),
        (group::CPU, 0x13) => ("ALARM Query", Diagnostic),
        (group::CPU, 0x16) => ("NOTIFY_8 Indication", Diagnostic),
        (group::CPU, _) => ("CPU Function (unknown)", Diagnostic),
        (group::SECURITY, 0x01) => ("PLC Password", Control),
        (group::SECURITY, 0x02) => ("Clean Session", Control),
        (group::SECURITY, _) => ("Security Function (unknown)", Control),
        (group::PBC, 0x01) => ("BSEND/BRECV", Write),
        (group::PBC, _) => ("Block Communication (unknown)", Other),
        (group::TIME, 0x01) => ("Read Clock", Diagnostic),
        (group::TIME, 0x02) => ("Set Clock", Control),
        (group::TIME, 0x03) => ("Read Clock (following)", Diagnostic),
        (group::TIME, 0x04) => ("Set Clock (2)", Control),
        (group::TIME, _) => ("Time Function (unknown)", Diagnostic),
        (group::NC, _) => ("NC Programming", Program),
        _ => ("Unknown Userdata Function", Other),
    }
}

/// CPU operating modes as the mode-transition push and SZL 0x0424 report them (low nibble of
/// `bzu-id`, SZL manual §34.28).
pub fn cpu_mode_name(mode: u8) -> &'static str {
    match mode {
        0x00 => "STOP",
        0x01..=0x04 => "STOP",
        0x05..=0x07 => "STARTUP",
        0x08 | 0x09 => "RUN",
        0x0A => "HOLD",
        0x0B => "LINK-UP",
        0x0C => "UPDATE",
        0x0D => "DEFECTIVE",
        _ => "UNKNOWN",
    }
}

/// Mode-transition push (group 0): the sub-function byte is the new mode (Wireshark's table).
pub fn mode_transition_name(mode: u8) -> &'static str {
    match mode {
        0x00 => "STOP",
        0x01 => "STARTUP",
        0x02 => "RUN",
        0x03 => "HOT RESTART",
        0x04 => "HOLD",
        0x06 => "COLD RESTART",
        0x09 => "RUN",
        0x0B => "LINK-UP",
        0x0C => "UPDATE",
        _ => "UNKNOWN",
    }
}

/// SZL 0x001C record index → identity field (SZL manual §34.7, "component identification").
/// Index 4 (copyright) and the binary records are skipped.
pub fn component_field(index: u16) -> Option<&'static str> {
    Some(match index {
        1 => "station_name",
        2 => "module_name",
        3 => "plant_name",
        5 => "serial_number",
        7 => "module_type",
        _ => return None,
    })
}

/// S7comm-plus opcodes (byte after the header, or after the integrity part in V3).
pub(crate) mod plus_opcode {
    pub const REQUEST: u8 = 0x31;
    pub const RESPONSE: u8 = 0x32;
    pub const NOTIFICATION: u8 = 0x33;
    pub const RESPONSE2: u8 = 0x02;
}

/// S7comm-plus function code of CreateObject: the session set-up, always sent unprotected.
pub(crate) const PLUS_CREATE_OBJECT: u16 = 0x04CA;
/// `Operation.code` used for notifications, which carry no function code.
pub(crate) const PLUS_NOTIFICATION_CODE: u16 = 0x0033;

/// Name and class of an S7comm-plus function code. Explore browses the object tree
/// (`diagnostic`); CreateObject/DeleteObject open and close sessions and objects (`other`);
/// variable access is `read`/`write`. Writing a streamed variable is how engineering tools
/// download block bodies (`program`); reading one is also what HMIs do to load object
/// descriptions, so it stays `read`.
pub fn plus_function_name(code: u16) -> (&'static str, OpClass) {
    use OpClass::*;
    match code {
        PLUS_NOTIFICATION_CODE => ("Notification", Read),
        0x04B1 => ("Error", Other),
        0x04BB => ("Explore", Diagnostic),
        0x04CA => ("CreateObject", Other),
        0x04D4 => ("DeleteObject", Other),
        0x04F2 => ("SetVariable", Write),
        0x04FC => ("GetVariable", Read),
        0x0506 => ("AddLink", Other),
        0x051A => ("RemoveLink", Other),
        0x0524 => ("GetLink", Other),
        0x0542 => ("SetMultiVariables", Write),
        0x054C => ("GetMultiVariables", Read),
        0x0556 => ("BeginSequence", Other),
        0x0560 => ("EndSequence", Other),
        0x056B => ("Invoke", Other),
        0x057C => ("SetVarSubStreamed", Program),
        0x0586 => ("GetVarSubStreamed", Read),
        0x0590 => ("GetVariablesAddress", Read),
        0x059A => ("Abort", Other),
        0x05A9 => ("Error (2)", Other),
        0x05B3 => ("InitSsl", Other),
        _ => ("Unknown Function", Other),
    }
}
