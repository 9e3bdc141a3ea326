//! OPC UA codes as open enums: an unknown service type id is kept with its number.

use crate::OpClass;

/// Operation code of a MSG whose body is encrypted (the service cannot be seen).
pub const ENCRYPTED: u16 = 0;
/// Operation code of an ERR message (the server closes the connection with a status code).
pub const TRANSPORT_ERROR: u16 = 1;
/// ServiceFault (Part 4 §7.30): the response to any request the server could not process.
pub const SERVICE_FAULT: u32 = 397;
pub const OPEN_SECURE_CHANNEL_REQUEST: u32 = 446;
pub const CLOSE_SECURE_CHANNEL_REQUEST: u32 = 452;
pub const CREATE_SESSION_REQUEST: u32 = 461;
pub const CREATE_SESSION_RESPONSE: u32 = 464;

/// The only security policy whose messages travel in clear (Part 7, SecurityPolicy None).
pub const POLICY_NONE: &[u8] = b"http://opcfoundation.org/UA/SecurityPolicy#None";

/// One service: its request's DefaultBinary encoding id (the operation code), name, class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    pub request: u32,
    pub name: &'static str,
    pub class: OpClass,
    /// The id seen is the response's encoding.
    pub is_response: bool,
}

/// Services as (request encoding id, response encoding id, name, class), from the
/// DefaultBinary encoding node ids of OPC 10000-6 Annex A / NodeIds.csv (Part 4 §5).
///
/// Classes: reading values, history, the address space, and subscriptions (whose purpose is
/// to read data) are `read`; Write and HistoryUpdate change process data: `write`; node
/// management (AddNodes, DeleteNodes, Add/DeleteReferences) changes the server's address space,
/// i.e. its configuration: `program`; Call runs methods, which act on the process or the
/// device: `control`; discovery is `diagnostic`; channel and session management `other`.
const SERVICES: &[(u32, u32, &str, OpClass)] = {
    use OpClass::*;
    &[
        (422, 425, "FindServers", Diagnostic),
        (12208, 12209, "FindServersOnNetwork", Diagnostic),
        (428, 431, "GetEndpoints", Diagnostic),
        (437, 440, "RegisterServer", Other),
        (12211, 12212, "RegisterServer2", Other),
        (446, 449, "OpenSecureChannel", Other),
        (452, 455, "CloseSecureChannel", Other),
        (461, 464, "CreateSession", Other),
        (467, 470, "ActivateSession", Other),
        (473, 476, "CloseSession", Other),
        (479, 482, "Cancel", Other),
        (488, 491, "AddNodes", Program),
        (494, 497, "AddReferences", Program),
        (500, 503, "DeleteNodes", Program),
        (506, 509, "DeleteReferences", Program),
        (527, 530, "Browse", Read),
        (533, 536, "BrowseNext", Read),
        (554, 557, "TranslateBrowsePathsToNodeIds", Read),
        (560, 563, "RegisterNodes", Read),
        (566, 569, "UnregisterNodes", Read),
        (615, 618, "QueryFirst", Read),
        (621, 624, "QueryNext", Read),
        (631, 634, "Read", Read),
        (664, 667, "HistoryRead", Read),
        (673, 676, "Write", Write),
        (700, 703, "HistoryUpdate", Write),
        (712, 715, "Call", Control),
        (751, 754, "CreateMonitoredItems", Read),
        (763, 766, "ModifyMonitoredItems", Read),
        (769, 772, "SetMonitoringMode", Read),
        (775, 778, "SetTriggering", Read),
        (781, 784, "DeleteMonitoredItems", Read),
        (787, 790, "CreateSubscription", Read),
        (793, 796, "ModifySubscription", Read),
        (799, 802, "SetPublishingMode", Read),
        (826, 829, "Publish", Read),
        (832, 835, "Republish", Read),
        (841, 844, "TransferSubscriptions", Read),
        (847, 850, "DeleteSubscriptions", Read),
    ]
};

/// The service whose request or response encoding id is `id`.
pub fn service(id: u32) -> Option<Service> {
    SERVICES
        .iter()
        .find_map(|&(request, response, name, class)| {
            (id == request || id == response).then_some(Service {
                request,
                name,
                class,
                is_response: id == response,
            })
        })
}

/// Name and class for an operation code that is not in the table.
pub fn unknown_service(id: u32) -> (&'static str, OpClass) {
    match id {
        SERVICE_FAULT => ("ServiceFault", OpClass::Other),
        _ => ("Unknown Service", OpClass::Other),
    }
}

/// MessageSecurityMode (Part 4 §7.20).
pub fn security_mode_name(mode: u32) -> &'static str {
    match mode {
        0 => "Invalid",
        1 => "None",
        2 => "Sign",
        3 => "SignAndEncrypt",
        _ => "Unknown",
    }
}

/// The message types of the UA Connection Protocol and UA Secure Conversation (Part 6 §7.1.2,
/// §6.7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Hello,
    Acknowledge,
    Error,
    ReverseHello,
    Open,
    Message,
    Close,
}

impl MessageType {
    pub fn from_bytes(b: [u8; 3]) -> Option<MessageType> {
        Some(match &b {
            b"HEL" => MessageType::Hello,
            b"ACK" => MessageType::Acknowledge,
            b"ERR" => MessageType::Error,
            b"RHE" => MessageType::ReverseHello,
            b"OPN" => MessageType::Open,
            b"MSG" => MessageType::Message,
            b"CLO" => MessageType::Close,
            _ => return None,
        })
    }

    /// Connection protocol messages are never chunked.
    pub fn is_connection(self) -> bool {
        matches!(
            self,
            MessageType::Hello
                | MessageType::Acknowledge
                | MessageType::Error
                | MessageType::ReverseHello
        )
    }
}

/// A status code's severity is Bad (Part 4 §7.39: the top two bits are 10).
pub fn is_bad(code: u32) -> bool {
    code >> 30 == 0b10
}
