//! BACnet codes as open enums: an unknown code is kept with its number, never dropped.

use crate::OpClass;

/// Operation codes: confirmed services use their service choice (0–255); unconfirmed services
/// are offset by this so the two choice spaces, which reuse the same numbers, never collide.
pub const UNCONFIRMED_BASE: u16 = 0x100;
/// A Reject whose request was not seen: the PDU carries no service choice.
pub const REJECT_UNMATCHED: u16 = 0x200;
/// An Abort whose transaction was not seen.
pub const ABORT_UNMATCHED: u16 = 0x201;

/// BVLC type of BACnet/IPv4 (Annex J.2).
pub const BVLC_TYPE_IP: u8 = 0x81;

/// BVLC functions (Annex J.2). Those that carry an NPDU are handled by the parser.
pub mod bvlc {
    pub const RESULT: u8 = 0x00;
    pub const FORWARDED_NPDU: u8 = 0x04;
    pub const DISTRIBUTE_BROADCAST: u8 = 0x09;
    pub const ORIGINAL_UNICAST: u8 = 0x0A;
    pub const ORIGINAL_BROADCAST: u8 = 0x0B;
    pub const SECURE_BVLL: u8 = 0x0C;
}

/// Name of a BVLC function (Annex J.2.1–J.2.13).
pub fn bvlc_function_name(function: u8) -> &'static str {
    match function {
        0x00 => "BVLC-Result",
        0x01 => "Write-Broadcast-Distribution-Table",
        0x02 => "Read-Broadcast-Distribution-Table",
        0x03 => "Read-Broadcast-Distribution-Table-Ack",
        0x04 => "Forwarded-NPDU",
        0x05 => "Register-Foreign-Device",
        0x06 => "Read-Foreign-Device-Table",
        0x07 => "Read-Foreign-Device-Table-Ack",
        0x08 => "Delete-Foreign-Device-Table-Entry",
        0x09 => "Distribute-Broadcast-To-Network",
        0x0A => "Original-Unicast-NPDU",
        0x0B => "Original-Broadcast-NPDU",
        0x0C => "Secure-BVLL",
        _ => "Unknown BVLC Function",
    }
}

/// APDU types (clause 20.1.1, the high nibble of the first APDU octet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PduType {
    ConfirmedRequest,
    UnconfirmedRequest,
    SimpleAck,
    ComplexAck,
    SegmentAck,
    Error,
    Reject,
    Abort,
    Unknown(u8),
}

impl PduType {
    pub fn from_nibble(n: u8) -> PduType {
        match n {
            0 => PduType::ConfirmedRequest,
            1 => PduType::UnconfirmedRequest,
            2 => PduType::SimpleAck,
            3 => PduType::ComplexAck,
            4 => PduType::SegmentAck,
            5 => PduType::Error,
            6 => PduType::Reject,
            7 => PduType::Abort,
            other => PduType::Unknown(other),
        }
    }
}

/// Confirmed service choices (clause 21, BACnetConfirmedServiceChoice).
pub mod confirmed {
    pub const READ_PROPERTY: u8 = 12;
    pub const READ_PROPERTY_MULTIPLE: u8 = 14;
    pub const DEVICE_COMMUNICATION_CONTROL: u8 = 17;
    pub const REINITIALIZE_DEVICE: u8 = 20;
}

/// Unconfirmed service choices (clause 21, BACnetUnconfirmedServiceChoice).
pub mod unconfirmed {
    pub const I_AM: u8 = 0;
    pub const I_HAVE: u8 = 1;
    pub const WHO_IS: u8 = 8;
}

/// Name and class of a confirmed service.
///
/// Classes: services that observe data (reads, COV/event notifications and subscriptions,
/// alarm summaries) are `read`; services that change property values or list contents are
/// `write`; creating or deleting objects and writing files change what the device is configured
/// to do (its object database and, through files, its program or firmware), so they are
/// `program`; restarting a device or silencing its communication is `control`.
pub fn confirmed_service(code: u8) -> (&'static str, OpClass) {
    use OpClass::*;
    match code {
        0 => ("acknowledgeAlarm", Write),
        1 => ("confirmedCOVNotification", Read),
        2 => ("confirmedEventNotification", Read),
        3 => ("getAlarmSummary", Read),
        4 => ("getEnrollmentSummary", Read),
        5 => ("subscribeCOV", Read),
        6 => ("atomicReadFile", Read),
        7 => ("atomicWriteFile", Program),
        8 => ("addListElement", Write),
        9 => ("removeListElement", Write),
        10 => ("createObject", Program),
        11 => ("deleteObject", Program),
        12 => ("readProperty", Read),
        13 => ("readPropertyConditional", Read),
        14 => ("readPropertyMultiple", Read),
        15 => ("writeProperty", Write),
        16 => ("writePropertyMultiple", Write),
        17 => ("deviceCommunicationControl", Control),
        18 => ("confirmedPrivateTransfer", Other),
        19 => ("confirmedTextMessage", Other),
        20 => ("reinitializeDevice", Control),
        21 => ("vtOpen", Other),
        22 => ("vtClose", Other),
        23 => ("vtData", Other),
        24 => ("authenticate", Other),
        25 => ("requestKey", Other),
        26 => ("readRange", Read),
        27 => ("lifeSafetyOperation", Control),
        28 => ("subscribeCOVProperty", Read),
        29 => ("getEventInformation", Read),
        30 => ("subscribeCOVPropertyMultiple", Read),
        31 => ("confirmedCOVNotificationMultiple", Read),
        32 => ("confirmedAuditNotification", Other),
        33 => ("auditLogQuery", Read),
        34 => ("authRequest", Other),
        _ => ("Unknown Confirmed Service", Other),
    }
}

/// Name and class of an unconfirmed service. Device and object discovery and time
/// synchronisation are `diagnostic`; `you-Are` assigns a device its identity, so `control`.
pub fn unconfirmed_service(code: u8) -> (&'static str, OpClass) {
    use OpClass::*;
    match code {
        0 => ("i-Am", Diagnostic),
        1 => ("i-Have", Diagnostic),
        2 => ("unconfirmedCOVNotification", Read),
        3 => ("unconfirmedEventNotification", Read),
        4 => ("unconfirmedPrivateTransfer", Other),
        5 => ("unconfirmedTextMessage", Other),
        6 => ("timeSynchronization", Diagnostic),
        7 => ("who-Has", Diagnostic),
        8 => ("who-Is", Diagnostic),
        9 => ("utcTimeSynchronization", Diagnostic),
        10 => ("writeGroup", Write),
        11 => ("unconfirmedCOVNotificationMultiple", Read),
        12 => ("unconfirmedAuditNotification", Other),
        13 => ("who-Am-I", Diagnostic),
        14 => ("you-Are", Control),
        _ => ("Unknown Unconfirmed Service", Other),
    }
}

/// reinitializeDevice states (clause 16.4.1.1.1) as operation names and classes: restarts are
/// `control`; backup and restore move the device's configuration, so `program`.
pub fn reinitialize_state(state: u32) -> (&'static str, OpClass) {
    use OpClass::*;
    match state {
        0 => ("reinitializeDevice coldstart", Control),
        1 => ("reinitializeDevice warmstart", Control),
        2 => ("reinitializeDevice start-backup", Program),
        3 => ("reinitializeDevice end-backup", Program),
        4 => ("reinitializeDevice start-restore", Program),
        5 => ("reinitializeDevice end-restore", Program),
        6 => ("reinitializeDevice abort-restore", Program),
        7 => ("reinitializeDevice activate-changes", Control),
        _ => ("reinitializeDevice (unknown state)", Control),
    }
}

/// deviceCommunicationControl enable-disable values (clause 16.1.1.1.2).
pub fn communication_control(value: u32) -> &'static str {
    match value {
        0 => "deviceCommunicationControl enable",
        1 => "deviceCommunicationControl disable",
        2 => "deviceCommunicationControl disable-initiation",
        _ => "deviceCommunicationControl (unknown value)",
    }
}

/// Network layer message types (clause 6.2.4): counted, never application operations.
pub fn network_message_name(code: u8) -> &'static str {
    match code {
        0x00 => "Who-Is-Router-To-Network",
        0x01 => "I-Am-Router-To-Network",
        0x02 => "I-Could-Be-Router-To-Network",
        0x03 => "Reject-Message-To-Network",
        0x04 => "Router-Busy-To-Network",
        0x05 => "Router-Available-To-Network",
        0x06 => "Initialize-Routing-Table",
        0x07 => "Initialize-Routing-Table-Ack",
        0x08 => "Establish-Connection-To-Network",
        0x09 => "Disconnect-Connection-To-Network",
        0x0A => "Challenge-Request",
        0x0B => "Security-Payload",
        0x0C => "Security-Response",
        0x0D => "Request-Key-Update",
        0x0E => "Update-Key-Set",
        0x0F => "Update-Distribution-Key",
        0x10 => "Request-Master-Key",
        0x11 => "Set-Master-Key",
        0x12 => "What-Is-Network-Number",
        0x13 => "Network-Number-Is",
        0x80..=0xFF => "Proprietary Network Message",
        _ => "Unknown Network Message",
    }
}

/// The device object type (clause 21, BACnetObjectType): only its properties describe the
/// device itself.
pub const OBJECT_DEVICE: u16 = 8;
/// Instance number meaning "any device" in requests (clause 12.11.1).
pub const WILDCARD_INSTANCE: u32 = 0x3F_FFFF;

/// Device object properties (clause 21, BACnetPropertyIdentifier) that become identity facts.
pub fn identity_property(property: u32) -> Option<&'static str> {
    Some(match property {
        12 => "revision",    // application-software-version
        44 => "firmware",    // firmware-revision
        70 => "model_name",  // model-name
        77 => "object_name", // object-name
        120 => "vendor_id",  // vendor-identifier
        121 => "vendor",     // vendor-name
        _ => return None,
    })
}

/// BACnet vendor identifiers (ASHRAE's registry) that are well established; others stay numbers.
pub fn vendor_name(id: u32) -> Option<&'static str> {
    Some(match id {
        0 => "ASHRAE",
        1 => "NIST",
        2 => "The Trane Company",
        3 => "McQuay International",
        4 => "PolarSoft",
        5 => "Johnson Controls, Inc.",
        6 => "American Auto-Matrix",
        7 => "Siemens Building Technologies, Ltd., Landis & Staefa Division Europe",
        8 => "Delta Controls",
        9 => "Siemens Building Technologies, Inc.",
        10 => "Tour Andover Controls Corporation",
        11 => "TAC",
        12 => "Orion Analysis Corporation",
        13 => "Teletrol Systems Inc.",
        14 => "Cimetrics Technology",
        15 => "Cornell University",
        16 => "United Technologies Carrier",
        17 => "Honeywell Inc.",
        18 => "Alerton / Honeywell",
        19 => "TAC AB",
        20 => "Hewlett-Packard Company",
        21 => "Dorsette's Inc.",
        22 => "Siemens Schweiz AG (Formerly: Cerberus AG)",
        23 => "York Controls Group",
        24 => "Automated Logic Corporation",
        25 => "CSI Control Systems International",
        26 => "Phoenix Controls Corporation",
        27 => "Innovex Technologies, Inc.",
        28 => "KMC Controls, Inc.",
        42 => "Acuity Brands Lighting, Inc.",
        260 => "BACnet Stack at SourceForge",
        _ => return None,
    })
}
