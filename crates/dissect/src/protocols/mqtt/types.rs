//! MQTT codes as open enums: an unknown packet type or reason code is kept with its number.

use crate::OpClass;

/// Control packet type, the high nibble of the first fixed-header octet (MQTT 3.1.1 §2.2.1,
/// MQTT 5.0 §2.1.2). The operation code is this number, as in tshark's `mqtt.msgtype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PacketType(pub u8);

impl PacketType {
    pub const CONNECT: u8 = 1;
    pub const CONNACK: u8 = 2;
    pub const PUBLISH: u8 = 3;
    pub const PUBACK: u8 = 4;
    pub const PUBREC: u8 = 5;
    pub const PUBREL: u8 = 6;
    pub const PUBCOMP: u8 = 7;
    pub const SUBSCRIBE: u8 = 8;
    pub const SUBACK: u8 = 9;
    pub const UNSUBSCRIBE: u8 = 10;
    pub const UNSUBACK: u8 = 11;
    pub const PINGREQ: u8 = 12;
    pub const PINGRESP: u8 = 13;
    pub const DISCONNECT: u8 = 14;
    /// MQTT 5.0 only (§3.15).
    pub const AUTH: u8 = 15;

    /// The flags the fixed header must carry (3.1.1 §2.2.2, 5.0 §2.1.3): PUBREL, SUBSCRIBE and
    /// UNSUBSCRIBE set 0b0010, PUBLISH uses them for DUP/QoS/RETAIN, every other type 0.
    /// `None` for type 0 (reserved) and PUBLISH.
    pub fn required_flags(self) -> Option<u8> {
        match self.0 {
            Self::PUBREL | Self::SUBSCRIBE | Self::UNSUBSCRIBE => Some(0b0010),
            1..=15 if self.0 != Self::PUBLISH => Some(0),
            _ => None,
        }
    }
}

/// Name and class of a packet type.
///
/// Classes: PUBLISH changes what every subscriber sees (a setpoint, a command, a reported
/// value) and is `write`, with its acknowledgements; SUBSCRIBE and UNSUBSCRIBE choose what a
/// client observes and are `read`, with theirs; connection management and keep-alive are
/// `other`.
pub fn packet_name(code: u8) -> (&'static str, OpClass) {
    use OpClass::*;
    match code {
        1 => ("CONNECT", Other),
        2 => ("CONNACK", Other),
        3 => ("PUBLISH", Write),
        4 => ("PUBACK", Write),
        5 => ("PUBREC", Write),
        6 => ("PUBREL", Write),
        7 => ("PUBCOMP", Write),
        8 => ("SUBSCRIBE", Read),
        9 => ("SUBACK", Read),
        10 => ("UNSUBSCRIBE", Read),
        11 => ("UNSUBACK", Read),
        12 => ("PINGREQ", Other),
        13 => ("PINGRESP", Other),
        14 => ("DISCONNECT", Other),
        15 => ("AUTH", Other),
        _ => ("Reserved Packet Type", Other),
    }
}

/// CONNACK return codes of MQTT 3.1/3.1.1 (§3.2.2.3); MQTT 5.0 uses [`reason_name`].
pub fn connack_v3_name(code: u8) -> &'static str {
    match code {
        0 => "Connection Accepted",
        1 => "unacceptable protocol version",
        2 => "identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => "Unknown Return Code",
    }
}

/// MQTT 5.0 reason codes (§2.4); 0x80 and above are failures.
pub fn reason_name(code: u8) -> &'static str {
    match code {
        0x00 => "Success",
        0x01 => "Granted QoS 1",
        0x02 => "Granted QoS 2",
        0x04 => "Disconnect with Will Message",
        0x10 => "No matching subscribers",
        0x11 => "No subscription existed",
        0x18 => "Continue authentication",
        0x19 => "Re-authenticate",
        0x80 => "Unspecified error",
        0x81 => "Malformed Packet",
        0x82 => "Protocol Error",
        0x83 => "Implementation specific error",
        0x84 => "Unsupported Protocol Version",
        0x85 => "Client Identifier not valid",
        0x86 => "Bad User Name or Password",
        0x87 => "Not authorized",
        0x88 => "Server unavailable",
        0x89 => "Server busy",
        0x8A => "Banned",
        0x8B => "Server shutting down",
        0x8C => "Bad authentication method",
        0x8D => "Keep Alive timeout",
        0x8E => "Session taken over",
        0x8F => "Topic Filter invalid",
        0x90 => "Topic Name invalid",
        0x91 => "Packet Identifier in use",
        0x92 => "Packet Identifier not found",
        0x93 => "Receive Maximum exceeded",
        0x94 => "Topic Alias invalid",
        0x95 => "Packet too large",
        0x96 => "Message rate too high",
        0x97 => "Quota exceeded",
        0x98 => "Administrative action",
        0x99 => "Payload format invalid",
        0x9A => "Retain not supported",
        0x9B => "QoS not supported",
        0x9C => "Use another server",
        0x9D => "Server moved",
        0x9E => "Shared Subscriptions not supported",
        0x9F => "Connection rate exceeded",
        0xA0 => "Maximum connect time",
        0xA1 => "Subscription Identifiers not supported",
        0xA2 => "Wildcard Subscriptions not supported",
        _ => "Unknown Reason Code",
    }
}

/// Protocol levels of the CONNECT variable header (3.1.1 §3.1.2.2, 5.0 §3.1.2.2).
pub fn protocol_level_name(level: u8) -> &'static str {
    match level {
        3 => "3.1",
        4 => "3.1.1",
        5 => "5.0",
        _ => "unknown",
    }
}
