//! IEC 60870-5-104 (telecontrol over TCP/IP).
//!
//! References: IEC 60870-5-104:2006 (APCI §5: start octet, length, I/S/U control fields;
//! ASDU field sizes §9: two-octet cause of transmission with originator address, two-octet
//! common address, three-octet information object address); IEC 60870-5-101:2003 (ASDU
//! structure §7.1, type identification §7.2.1, variable structure qualifier §7.2.2, cause of
//! transmission §7.2.3, information elements §7.3).
//!
//! Port 2404 is a hint only; recognition is by content (start octet 0x68, a length that
//! matches the frame, a consistent control field and ASDU).
//!
//! Supported: APCI framing and checks (I-frame send sequence continuity, S-frames, U-frame
//! STARTDT/STOPDT/TESTFR act/con), every ASDU as an operation of its type identification
//! (names per the 101/104 type table; unknown types kept as numbers), the object count checked
//! against each type's element size, IOA ranges of process information, commands and
//! parameters, commands (cause act/deact) paired with their confirmations and terminations by
//! type, common address and IOA, negative confirmations and "unknown …" causes as exceptions.
//!
//! Kinds: commands are requests and their actcon/deactcon/actterm replies responses. Process
//! information in the monitor direction (spontaneous, cyclic, interrogated) is initiated by the
//! outstation and nothing answers it, so it is counted as a request of its type; thus
//! requests + responses is the number of ASDUs per type.
//!
//! Not supported: decoding of information element values (measurands, timestamps), the
//! IEC 60870-5-101 field-size variants (one-octet COT or address) some gateways use, and
//! secure authentication (IEC 62351-5) ASDUs, which are kept as unknown types.

mod parser;
mod pdu;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::{cause_name, type_name, TypeId};

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

/// The IEC 60870-5-104 dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Iec104;

impl Dissector for Iec104 {
    fn protocol(&self) -> Protocol {
        Protocol::Iec104
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[2404]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::Iec104Session>::default()
    }
}
