//! IEC 60870-5-104 codes as open enums: an unknown type identification or cause is kept with
//! its number, never dropped.

use crate::OpClass;

/// Type identification (IEC 60870-5-101 §7.2.1, extended by IEC 60870-5-104 §8 with the
/// time-tagged commands 58–64 and 107). Names and classes come from [`type_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub u8);

impl TypeId {
    pub const C_SC_NA_1: u8 = 45;
    pub const C_RD_NA_1: u8 = 102;
    pub const C_CS_NA_1: u8 = 103;

    /// Control direction (commands, system commands, parameters, most file transfer) as
    /// opposed to the monitor direction (process information the outstation reports).
    pub fn is_command(self) -> bool {
        matches!(self.0, 45..=69 | 100..=127)
    }
}

/// Name and class of a type identification.
///
/// Classes: process information in the monitor direction (1–44) observes the process and is
/// `read`; commands (45–69) drive outputs and setpoints and are `write`; interrogation, counter
/// interrogation and read (100–102) ask for process data and are `read`; clock synchronisation
/// (103), the test commands (104, 107) and delay acquisition (106) concern the device and the
/// link, not the process, so they are `diagnostic`; reset process (105) restarts the
/// outstation's application and is `control`; parameters (110–113) change how measurands are
/// reported and are `write`; file transfer (120–127) moves files such as disturbance records or
/// configuration and is `program`. End of initialisation (70) is the outstation announcing a
/// restart: `diagnostic`.
pub fn type_name(code: u8) -> (&'static str, OpClass) {
    use OpClass::*;
    match code {
        1 => ("M_SP_NA_1 Single-point information", Read),
        2 => ("M_SP_TA_1 Single-point information with time tag", Read),
        3 => ("M_DP_NA_1 Double-point information", Read),
        4 => ("M_DP_TA_1 Double-point information with time tag", Read),
        5 => ("M_ST_NA_1 Step position information", Read),
        6 => ("M_ST_TA_1 Step position information with time tag", Read),
        7 => ("M_BO_NA_1 Bitstring of 32 bit", Read),
        8 => ("M_BO_TA_1 Bitstring of 32 bit with time tag", Read),
        9 => ("M_ME_NA_1 Measured value, normalized", Read),
        10 => ("M_ME_TA_1 Measured value, normalized, with time tag", Read),
        11 => ("M_ME_NB_1 Measured value, scaled", Read),
        12 => ("M_ME_TB_1 Measured value, scaled, with time tag", Read),
        13 => ("M_ME_NC_1 Measured value, short floating point", Read),
        14 => (
            "M_ME_TC_1 Measured value, short floating point, with time tag",
            Read,
        ),
        15 => ("M_IT_NA_1 Integrated totals", Read),
        16 => ("M_IT_TA_1 Integrated totals with time tag", Read),
        17 => (
            "M_EP_TA_1 Event of protection equipment with time tag",
            Read,
        ),
        18 => (
            "M_EP_TB_1 Packed start events of protection equipment",
            Read,
        ),
        19 => (
            "M_EP_TC_1 Packed output circuit information of protection equipment",
            Read,
        ),
        20 => (
            "M_PS_NA_1 Packed single-point information with status change detection",
            Read,
        ),
        21 => (
            "M_ME_ND_1 Measured value, normalized, without quality descriptor",
            Read,
        ),
        30 => ("M_SP_TB_1 Single-point information with CP56Time2a", Read),
        31 => ("M_DP_TB_1 Double-point information with CP56Time2a", Read),
        32 => ("M_ST_TB_1 Step position information with CP56Time2a", Read),
        33 => ("M_BO_TB_1 Bitstring of 32 bit with CP56Time2a", Read),
        34 => (
            "M_ME_TD_1 Measured value, normalized, with CP56Time2a",
            Read,
        ),
        35 => ("M_ME_TE_1 Measured value, scaled, with CP56Time2a", Read),
        36 => (
            "M_ME_TF_1 Measured value, short floating point, with CP56Time2a",
            Read,
        ),
        37 => ("M_IT_TB_1 Integrated totals with CP56Time2a", Read),
        38 => (
            "M_EP_TD_1 Event of protection equipment with CP56Time2a",
            Read,
        ),
        39 => (
            "M_EP_TE_1 Packed start events of protection equipment with CP56Time2a",
            Read,
        ),
        40 => (
            "M_EP_TF_1 Packed output circuit information with CP56Time2a",
            Read,
        ),
        45 => ("C_SC_NA_1 Single command", Write),
        46 => ("C_DC_NA_1 Double command", Write),
        47 => ("C_RC_NA_1 Regulating step command", Write),
        48 => ("C_SE_NA_1 Set point command, normalized value", Write),
        49 => ("C_SE_NB_1 Set point command, scaled value", Write),
        50 => ("C_SE_NC_1 Set point command, short floating point", Write),
        51 => ("C_BO_NA_1 Bitstring of 32 bit command", Write),
        58 => ("C_SC_TA_1 Single command with CP56Time2a", Write),
        59 => ("C_DC_TA_1 Double command with CP56Time2a", Write),
        60 => ("C_RC_TA_1 Regulating step command with CP56Time2a", Write),
        61 => (
            "C_SE_TA_1 Set point command, normalized value, with CP56Time2a",
            Write,
        ),
        62 => (
            "C_SE_TB_1 Set point command, scaled value, with CP56Time2a",
            Write,
        ),
        63 => (
            "C_SE_TC_1 Set point command, short floating point, with CP56Time2a",
            Write,
        ),
        64 => (
            "C_BO_TA_1 Bitstring of 32 bit command with CP56Time2a",
            Write,
        ),
        70 => ("M_EI_NA_1 End of initialization", Diagnostic),
        100 => ("C_IC_NA_1 Interrogation command", Read),
        101 => ("C_CI_NA_1 Counter interrogation command", Read),
        102 => ("C_RD_NA_1 Read command", Read),
        103 => ("C_CS_NA_1 Clock synchronization command", Diagnostic),
        104 => ("C_TS_NA_1 Test command", Diagnostic),
        105 => ("C_RP_NA_1 Reset process command", Control),
        106 => ("C_CD_NA_1 Delay acquisition command", Diagnostic),
        107 => ("C_TS_TA_1 Test command with CP56Time2a", Diagnostic),
        110 => ("P_ME_NA_1 Parameter of measured value, normalized", Write),
        111 => ("P_ME_NB_1 Parameter of measured value, scaled", Write),
        112 => (
            "P_ME_NC_1 Parameter of measured value, short floating point",
            Write,
        ),
        113 => ("P_AC_NA_1 Parameter activation", Write),
        120 => ("F_FR_NA_1 File ready", Program),
        121 => ("F_SR_NA_1 Section ready", Program),
        122 => (
            "F_SC_NA_1 Call directory, select file, call file, call section",
            Program,
        ),
        123 => ("F_LS_NA_1 Last section, last segment", Program),
        124 => ("F_AF_NA_1 Ack file, ack section", Program),
        125 => ("F_SG_NA_1 Segment", Program),
        126 => ("F_DR_TA_1 Directory", Program),
        127 => ("F_SC_NB_1 Query log, request archive file", Program),
        22..=29 | 41..=44 => ("Reserved monitor type", Read),
        52..=57 | 65..=69 => ("Reserved command type", Write),
        _ => ("Unknown Type", Other),
    }
}

/// Bytes of one information element (without its 3-byte information object address) per type
/// (IEC 60870-5-101 §7.3, element lists of each type). `None` where the size varies (segment)
/// or the type is not defined, so the object count cannot be checked.
pub fn element_size(code: u8) -> Option<usize> {
    Some(match code {
        1 | 3 | 45 | 46 | 47 | 70 | 100 | 101 | 105 | 113 => 1,
        5 | 21 | 104 | 106 => 2,
        9 | 11 | 15 | 48 | 49 | 110 | 111 => 3,
        2 | 4 | 51 | 122 | 124 => 4,
        7 | 13 | 20 | 50 | 112 | 123 => 5,
        6 | 10 | 12 | 17 | 120 => 6,
        18 | 19 | 121 | 103 => 7,
        8 | 14 | 16 | 30 | 31 | 58 | 59 | 60 => 8,
        32 | 107 => 9,
        34 | 35 | 38 | 61 | 62 => 10,
        39 | 40 | 64 => 11,
        33 | 36 | 37 | 63 => 12,
        126 => 13,
        127 => 16,
        102 => 0,
        _ => return None,
    })
}

/// Cause of transmission, the low six bits of the COT octet (IEC 60870-5-101 §7.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cause(pub u8);

impl Cause {
    pub const ACTIVATION: u8 = 6;
    pub const ACTIVATION_CON: u8 = 7;
    pub const DEACTIVATION: u8 = 8;
    pub const DEACTIVATION_CON: u8 = 9;
    pub const ACTIVATION_TERM: u8 = 10;
    pub const UNKNOWN_TYPE: u8 = 44;
    pub const UNKNOWN_IOA: u8 = 47;

    /// Causes only the station answering a command sends: confirmations, termination, and the
    /// mirrored "unknown …" rejections (§7.2.3, causes 7, 9, 10, 44–47).
    pub fn is_reply(self) -> bool {
        matches!(
            self.0,
            Cause::ACTIVATION_CON
                | Cause::DEACTIVATION_CON
                | Cause::ACTIVATION_TERM
                | Cause::UNKNOWN_TYPE..=Cause::UNKNOWN_IOA
        )
    }
}

/// Name of a cause of transmission (IEC 60870-5-101 §7.2.3, table 14).
pub fn cause_name(cause: u8) -> &'static str {
    match cause {
        1 => "per/cyc",
        2 => "back",
        3 => "spont",
        4 => "init",
        5 => "req",
        6 => "act",
        7 => "actcon",
        8 => "deact",
        9 => "deactcon",
        10 => "actterm",
        11 => "retrem",
        12 => "retloc",
        13 => "file",
        20 => "inrogen",
        21..=36 => "inro (group)",
        37 => "reqcogen",
        38..=41 => "reqco (group)",
        44 => "unknown type identification",
        45 => "unknown cause of transmission",
        46 => "unknown common address of ASDU",
        47 => "unknown information object address",
        _ => "Unknown Cause",
    }
}

/// U-frame functions (IEC 60870-5-104 §5.3): exactly one of these bits is set in the first
/// control octet, besides the two low bits `11`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UFunction {
    StartDtAct,
    StartDtCon,
    StopDtAct,
    StopDtCon,
    TestFrAct,
    TestFrCon,
}

impl UFunction {
    pub fn from_control(c1: u8) -> Option<UFunction> {
        Some(match c1 {
            0x07 => UFunction::StartDtAct,
            0x0B => UFunction::StartDtCon,
            0x13 => UFunction::StopDtAct,
            0x23 => UFunction::StopDtCon,
            0x43 => UFunction::TestFrAct,
            0x83 => UFunction::TestFrCon,
            _ => return None,
        })
    }

    pub fn index(self) -> usize {
        self as usize
    }
}
