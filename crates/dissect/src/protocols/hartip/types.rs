//! HART-IP and HART codes as open enums: unknown codes keep their number.

use crate::OpClass;

/// HART-IP message types (HCF_SPEC-085 §10.2.1).
pub(crate) mod message_type {
    pub const REQUEST: u8 = 0;
    pub const RESPONSE: u8 = 1;
    pub const PUBLISH: u8 = 2;
    pub const ERROR: u8 = 3;
    pub const NAK: u8 = 15;
}

/// HART-IP message ids (HCF_SPEC-085 §10.2.2).
pub(crate) mod message_id {
    pub const TOKEN_PASSING_PDU: u8 = 3;
    pub const DIRECT_PDU: u8 = 4;
}

/// Name and class of a HART-IP message id that carries no HART command.
pub fn message_id_name(id: u8) -> (&'static str, OpClass) {
    use OpClass::*;
    match id {
        0 => ("Session Initiate", Other),
        1 => ("Session Close", Other),
        2 => ("Keep Alive", Other),
        3 => ("Token-Passing PDU", Other),
        4 => ("Direct PDU", Other),
        5 => ("Read Audit Log", Diagnostic),
        _ => ("Unknown Message ID", Other),
    }
}

/// Name and class of a HART command (universal commands: HCF_SPEC-127; common practice
/// commands: HCF_SPEC-151). Reading configuration or identity is `diagnostic`; reading process
/// values is `read`; changing configuration or values is `write`; commands that change the
/// device's mode or state are `control`.
pub fn command_name(command: u16) -> (&'static str, OpClass) {
    use OpClass::*;
    match command {
        0 => ("Read Unique Identifier", Diagnostic),
        1 => ("Read Primary Variable", Read),
        2 => ("Read Loop Current and Percent of Range", Read),
        3 => ("Read Dynamic Variables and Loop Current", Read),
        6 => ("Write Polling Address", Write),
        7 => ("Read Loop Configuration", Diagnostic),
        8 => ("Read Dynamic Variable Classifications", Diagnostic),
        9 => ("Read Device Variables with Status", Read),
        11 => ("Read Unique Identifier Associated with Tag", Diagnostic),
        12 => ("Read Message", Diagnostic),
        13 => ("Read Tag, Descriptor, Date", Diagnostic),
        14 => ("Read Primary Variable Transducer Information", Diagnostic),
        15 => ("Read Device Information", Diagnostic),
        16 => ("Read Final Assembly Number", Diagnostic),
        17 => ("Write Message", Write),
        18 => ("Write Tag, Descriptor, Date", Write),
        19 => ("Write Final Assembly Number", Write),
        20 => ("Read Long Tag", Diagnostic),
        21 => (
            "Read Unique Identifier Associated with Long Tag",
            Diagnostic,
        ),
        22 => ("Write Long Tag", Write),
        31 => ("Expanded Command", Other),
        33 => ("Read Device Variables", Read),
        34 => ("Write Primary Variable Damping Value", Write),
        35 => ("Write Primary Variable Range Values", Write),
        36 => ("Set Primary Variable Upper Range Value", Write),
        37 => ("Set Primary Variable Lower Range Value", Write),
        38 => ("Reset Configuration Changed Flag", Control),
        39 => ("EEPROM Control", Control),
        40 => ("Enter/Exit Fixed Current Mode", Control),
        41 => ("Perform Self Test", Control),
        42 => ("Perform Device Reset", Control),
        43 => ("Set Primary Variable Zero", Write),
        44 => ("Write Primary Variable Units", Write),
        45 => ("Trim Loop Current Zero", Write),
        46 => ("Trim Loop Current Gain", Write),
        47 => ("Write Primary Variable Transfer Function", Write),
        48 => ("Read Additional Device Status", Diagnostic),
        49 => ("Write Primary Variable Transducer Serial Number", Write),
        50 => ("Read Dynamic Variable Assignments", Diagnostic),
        51 => ("Write Dynamic Variable Assignments", Write),
        52 => ("Set Device Variable Zero", Write),
        53 => ("Write Device Variable Units", Write),
        54 => ("Read Device Variable Information", Diagnostic),
        55 => ("Write Device Variable Damping Value", Write),
        56 => ("Write Device Variable Transducer Serial Number", Write),
        57 => ("Read Unit Tag, Descriptor, Date", Diagnostic),
        58 => ("Write Unit Tag, Descriptor, Date", Write),
        59 => ("Write Number of Response Preambles", Write),
        60 => ("Read Analog Channel and Percent of Range", Read),
        62 => ("Read Analog Channels", Read),
        63 => ("Read Analog Channel Information", Diagnostic),
        64 => ("Write Analog Channel Additional Damping Value", Write),
        65 => ("Write Analog Channel Range Values", Write),
        66 => ("Enter/Exit Fixed Analog Channel Mode", Control),
        67 => ("Trim Analog Channel Zero", Write),
        68 => ("Trim Analog Channel Gain", Write),
        69 => ("Write Analog Channel Transfer Function", Write),
        70 => ("Read Analog Channel Endpoint Values", Read),
        71 => ("Lock Device", Control),
        72 => ("Squawk", Control),
        73 => ("Find Device", Diagnostic),
        74 => ("Read I/O System Capabilities", Diagnostic),
        76 => ("Read Lock Device State", Diagnostic),
        78 => ("Read Aggregated Commands", Read),
        79 => ("Write Device Variable", Write),
        89 => ("Set Real-Time Clock", Write),
        90 => ("Read Real-Time Clock", Diagnostic),
        103 => ("Write Burst Period", Write),
        104 => ("Write Burst Trigger", Write),
        105 => ("Read Burst Mode Configuration", Diagnostic),
        107 => ("Write Burst Device Variables", Write),
        108 => ("Write Burst Mode Command Number", Write),
        109 => ("Burst Mode Control", Control),
        128..=253 => ("Device-Specific Command", Other),
        _ => ("Unknown Command", Other),
    }
}

/// Whether a HART response code (the first status byte of a response, HCF_SPEC-099 §7.3)
/// reports a failure. Bit 7 set is a communication error; 0 is success; the warning codes
/// (8 "update failure / set to nearest", 24–27, 96–111) leave the command executed.
pub(crate) fn response_code_failed(code: u8) -> bool {
    !matches!(code, 0 | 8 | 24..=27 | 96..=111)
}

/// Whether a HART-IP header status (HCF_SPEC-085 §10.2.4) reports a failure: 0 is success,
/// 8 a warning ("set to nearest possible value").
pub(crate) fn header_status_failed(status: u8) -> bool {
    !matches!(status, 0 | 8)
}
