//! DNP3 codes as open enums: an unknown code is kept with its number, never dropped.

use crate::OpClass;

/// Application layer function codes (IEEE 1815-2012 §4.2.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FunctionCode(pub u8);

impl FunctionCode {
    pub const CONFIRM: u8 = 0;
    pub const READ: u8 = 1;
    pub const WRITE: u8 = 2;
    pub const DIRECT_OPERATE_NR: u8 = 6;
    pub const IMMED_FREEZE_NR: u8 = 8;
    pub const FREEZE_CLEAR_NR: u8 = 10;
    pub const FREEZE_AT_TIME_NR: u8 = 12;
    pub const AUTHENTICATE_REQ: u8 = 32;
    pub const AUTHENTICATE_REQ_NR: u8 = 33;
    pub const RESPONSE: u8 = 129;
    pub const UNSOLICITED_RESPONSE: u8 = 130;
    pub const AUTHENTICATE_RESP: u8 = 131;

    /// Function codes the outstation sends (§4.2.2.5: 129–131).
    pub const fn is_response(code: u8) -> bool {
        matches!(code, 129..=131)
    }

    /// Requests the outstation answers with a response (§4.2.2.5: CONFIRM and the "no ack"
    /// variants get none). Only these are remembered for pairing.
    pub const fn expects_response(code: u8) -> bool {
        !matches!(
            code,
            Self::CONFIRM
                | Self::DIRECT_OPERATE_NR
                | Self::IMMED_FREEZE_NR
                | Self::FREEZE_CLEAR_NR
                | Self::FREEZE_AT_TIME_NR
                | Self::AUTHENTICATE_REQ_NR
        ) && !Self::is_response(code)
    }

    /// Whether the objects of a message with this function carry data after their headers
    /// (§4.4: READ, FREEZE, ASSIGN_CLASS, ENABLE/DISABLE_UNSOLICITED… carry headers only).
    pub const fn objects_carry_data(code: u8) -> bool {
        matches!(code, 2..=6 | 11 | 12 | 16..=18 | 25..=33 | 129..=131)
    }
}

/// Name and class of an application function code (IEEE 1815-2012 §4.2.2.5).
///
/// Classes: outputs driven by SELECT/OPERATE/DIRECT_OPERATE and counter freezes change process
/// data (`write`); restarts, application start/stop, INITIALIZE_DATA and (dis)enabling
/// unsolicited reporting change the device's behaviour (`control`); SAVE_CONFIGURATION,
/// DELETE_FILE and ACTIVATE_CONFIG change what the device runs (`program`); DELAY_MEASURE and
/// RECORD_CURRENT_TIME belong to time synchronisation (§5.4) and are `diagnostic`; opening,
/// closing and aborting files is `other` (the direction of transfer is in the READ/WRITE that
/// follows), GET_FILE_INFO `read`.
pub fn function_name(code: u8) -> (&'static str, OpClass) {
    use OpClass::*;
    match code {
        0 => ("CONFIRM", Other),
        1 => ("READ", Read),
        2 => ("WRITE", Write),
        3 => ("SELECT", Write),
        4 => ("OPERATE", Write),
        5 => ("DIRECT_OPERATE", Write),
        6 => ("DIRECT_OPERATE_NR", Write),
        7 => ("IMMED_FREEZE", Write),
        8 => ("IMMED_FREEZE_NR", Write),
        9 => ("FREEZE_CLEAR", Write),
        10 => ("FREEZE_CLEAR_NR", Write),
        11 => ("FREEZE_AT_TIME", Write),
        12 => ("FREEZE_AT_TIME_NR", Write),
        13 => ("COLD_RESTART", Control),
        14 => ("WARM_RESTART", Control),
        15 => ("INITIALIZE_DATA", Control),
        16 => ("INITIALIZE_APPL", Control),
        17 => ("START_APPL", Control),
        18 => ("STOP_APPL", Control),
        19 => ("SAVE_CONFIG", Program),
        20 => ("ENABLE_UNSOLICITED", Control),
        21 => ("DISABLE_UNSOLICITED", Control),
        22 => ("ASSIGN_CLASS", Other),
        23 => ("DELAY_MEASURE", Diagnostic),
        24 => ("RECORD_CURRENT_TIME", Diagnostic),
        25 => ("OPEN_FILE", Other),
        26 => ("CLOSE_FILE", Other),
        27 => ("DELETE_FILE", Program),
        28 => ("GET_FILE_INFO", Read),
        29 => ("AUTHENTICATE_FILE", Other),
        30 => ("ABORT_FILE", Other),
        31 => ("ACTIVATE_CONFIG", Program),
        32 => ("AUTHENTICATE_REQ", Other),
        33 => ("AUTHENTICATE_REQ_NR", Other),
        129 => ("RESPONSE", Other),
        130 => ("UNSOLICITED_RESPONSE", Read),
        131 => ("AUTHENTICATE_RESP", Other),
        _ => ("Unknown Function", Other),
    }
}

/// Secure Authentication v5 object variations of group 120 (IEEE 1815-2012 §7.5, §A.45),
/// named so that authentication traffic is visible as such in the map.
pub fn auth_object_name(variation: u8) -> &'static str {
    match variation {
        1 => "SA Challenge",
        2 => "SA Reply",
        3 => "SA Aggressive Mode Request",
        4 => "SA Session Key Status Request",
        5 => "SA Session Key Status",
        6 => "SA Session Key Change",
        7 => "SA Error",
        8 => "SA User Certificate",
        9 => "SA MAC",
        10 => "SA User Status Change",
        11 => "SA Update Key Change Request",
        12 => "SA Update Key Change Reply",
        13 => "SA Update Key Change",
        14 => "SA Update Key Change Signature",
        15 => "SA Update Key Change Confirmation",
        _ => "SA Unknown Object",
    }
}

/// The Secure Authentication group (§A.45).
pub const AUTH_GROUP: u8 = 120;

/// Internal indication bits (§4.2.2.7.2 IIN1, §4.2.2.7.3 IIN2), first octet then second,
/// least significant bit first.
pub const IIN_NAMES: [[&str; 8]; 2] = [
    [
        "BROADCAST",
        "CLASS_1_EVENTS",
        "CLASS_2_EVENTS",
        "CLASS_3_EVENTS",
        "NEED_TIME",
        "LOCAL_CONTROL",
        "DEVICE_TROUBLE",
        "DEVICE_RESTART",
    ],
    [
        "NO_FUNC_CODE_SUPPORT",
        "OBJECT_UNKNOWN",
        "PARAMETER_ERROR",
        "EVENT_BUFFER_OVERFLOW",
        "ALREADY_EXECUTING",
        "CONFIG_CORRUPT",
        "RESERVED_2",
        "RESERVED_1",
    ],
];

/// IIN bits that describe the device's state worth remembering (reported once per flow as
/// `cpu_state` identity notes, never as anomalies: they are legitimate device states).
pub const IIN_STATE_BITS: u16 = 0x80 | 0x40 | 0x20 | 0x10 | (0x20 << 8) | (0x08 << 8);

/// IIN2 bits by which the outstation rejects a request (§4.2.2.7.3: function not supported,
/// object unknown, parameter error, operation already executing): an error response.
pub const IIN_ERROR_BITS: u16 = (0x01 | 0x02 | 0x04 | 0x10) << 8;

/// Names of the IIN bits set in `iin` (first octet in the low byte), matching `mask`.
pub fn iin_flags(iin: u16, mask: u16) -> impl Iterator<Item = &'static str> {
    IIN_NAMES
        .iter()
        .flatten()
        .enumerate()
        .filter(move |(bit, _)| (iin & mask) >> bit & 1 == 1)
        .map(|(_, name)| *name)
}

/// Device attribute variations of group 0 that describe the device (§A.1, Table A-1), and the
/// identity field each becomes.
pub fn device_attribute_field(variation: u8) -> Option<&'static str> {
    Some(match variation {
        242 => "firmware",
        243 => "hardware_version",
        245 => "plant_name",
        247 => "station_name",
        248 => "serial_number",
        250 => "product_name",
        252 => "vendor",
        _ => return None,
    })
}

/// Link layer primary-to-secondary function codes that carry user data (§9.2.4.1.3).
pub const LINK_CONFIRMED_USER_DATA: u8 = 3;
pub const LINK_UNCONFIRMED_USER_DATA: u8 = 4;

/// How the objects of one group/variation are sized in the message (§A, object library).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectSize {
    /// Each object has this many octets.
    Fixed(usize),
    /// Objects are packed at this many bits each, the run padded to a whole octet.
    Packed(usize),
    /// Group 0 device attributes: data type, length and value per object.
    Attribute,
}

/// Size of the objects of a group/variation, where this crate knows it. Unknown sizes end the
/// object walk without an error: the message is still counted.
pub fn object_size(group: u8, variation: u8) -> Option<ObjectSize> {
    use ObjectSize::*;
    let fixed = |sizes: &[usize]| {
        usize::from(variation)
            .checked_sub(1)
            .and_then(|i| sizes.get(i))
            .map(|&n| Fixed(n))
    };
    match (group, variation) {
        (0, 1..=255) => Some(Attribute),
        (1, 1) | (10, 1) | (12, 3) | (80, 1) => Some(Packed(1)),
        (3, 1) => Some(Packed(2)),
        (1, 2) | (3, 2) | (10, 2) => Some(Fixed(1)),
        (2, _) | (4, _) => fixed(&[1, 7, 3]),
        (11, _) | (13, _) => fixed(&[1, 7]),
        (12, _) => fixed(&[11, 11]),
        (20, _) => fixed(&[5, 3, 5, 3, 4, 2, 4, 2]),
        (21, _) => fixed(&[5, 3, 5, 3, 11, 9, 11, 9, 4, 2, 4, 2]),
        (22, _) | (23, _) => fixed(&[5, 3, 5, 3, 11, 9, 11, 9]),
        (30, _) => fixed(&[5, 3, 4, 2, 5, 9]),
        (31, _) => fixed(&[5, 3, 11, 9, 4, 2, 5, 9]),
        (32, _) | (33, _) | (42, _) | (43, _) => fixed(&[5, 3, 11, 9, 5, 9, 11, 15]),
        (34, _) => fixed(&[2, 4, 4]),
        (40, _) => fixed(&[5, 3, 5, 9]),
        (41, _) => fixed(&[5, 3, 5, 9]),
        (50, _) => fixed(&[6, 10, 6, 11]),
        (51, _) => fixed(&[6, 6]),
        (52, _) => fixed(&[2, 2]),
        // Class data: headers only.
        (60, _) => Some(Fixed(0)),
        // Octet strings and virtual terminal objects: the variation is the length.
        (110..=113, 1..=255) => Some(Fixed(usize::from(variation))),
        (AUTH_GROUP, 3) => Some(Fixed(6)),
        (AUTH_GROUP, 4) => Some(Fixed(2)),
        _ => None,
    }
}

/// Names of requests sent in Secure Authentication aggressive mode (§7.2.3: the request itself
/// carries a g120v3 object and a MAC), so that authenticated control is visible as such.
pub fn aggressive_mode_name(code: u8) -> &'static str {
    match code {
        1 => "READ (SA aggressive mode)",
        2 => "WRITE (SA aggressive mode)",
        3 => "SELECT (SA aggressive mode)",
        4 => "OPERATE (SA aggressive mode)",
        5 => "DIRECT_OPERATE (SA aggressive mode)",
        6 => "DIRECT_OPERATE_NR (SA aggressive mode)",
        13 => "COLD_RESTART (SA aggressive mode)",
        14 => "WARM_RESTART (SA aggressive mode)",
        _ => "SA aggressive mode request",
    }
}
