//! BACnet/IP.
//!
//! References: ANSI/ASHRAE 135 (BACnet): Annex J (BACnet/IP, BVLL messages J.2), clause 6.2
//! (NPDU: version, control, DNET/DADR, SNET/SADR, hop count, network layer messages), clause
//! 20.1 (APDU headers, segmentation), clause 20.2 (tagged encoding of service parameters),
//! clauses 13–17 (services), clause 21 (service choice, object type, property and enumeration
//! codes). Vendor ids follow ASHRAE's public vendor identifier registry.
//!
//! UDP 47808 (0xBAC0) is a hint only: recognition is by content (BVLC type 0x81, a known
//! function, a length equal to the datagram, a decodable NPDU/APDU). Both ends usually use
//! 47808, so the flow's client is whoever sent first; pairing never relies on direction names.
//!
//! Supported: every BVLC function (Forwarded-NPDU's B/IP address skipped), NPDU routing
//! fields and network layer messages (counted, not operations), all eight APDU types, every
//! confirmed and unconfirmed service by name and class (unknown choices kept as numbers).
//! Operation codes: the confirmed service choice (0–255) for confirmed requests and their
//! Simple-ACK/Complex-ACK/Error answers; `0x100 | choice` for unconfirmed requests; a Reject or
//! Abort is counted as an exception answer of the request it ends, or, when that request was
//! not seen, under 0x200 (Reject) / 0x201 (Abort). Decoded parameters: who-Is range, i-Am and
//! i-Have (device instance, vendor id and name → identity of the sender), ReadProperty and
//! ReadPropertyMultiple requests (checked), their ACKs' device object properties (object-name,
//! model-name, firmware-revision, application-software-version, vendor-name,
//! vendor-identifier → identity of the responder), reinitializeDevice state and
//! deviceCommunicationControl enable/disable (as sub-codes; whether a password was sent is
//! decoded but the password is never kept).
//!
//! Not supported: reassembly of segmented messages (each message is counted once, at its
//! first segment; later segments and Segment-ACKs are only counted), BACnet/IPv6 (BVLC type
//! 0x82), BACnet Secure Connect, BACnet over Ethernet/LLC or MS/TP (not IP, never reaches a
//! UDP dissector), decoding of property values other than the identity ones.

mod parser;
mod pdu;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::{
    bvlc_function_name, confirmed_service, network_message_name, unconfirmed_service,
    UNCONFIRMED_BASE,
};

use crate::{Confidence, Dissector, Protocol, Session, UDP};
use zonewarden_model::Direction;

/// The BACnet/IP dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bacnet;

impl Dissector for Bacnet {
    fn protocol(&self) -> Protocol {
        Protocol::Bacnet
    }

    fn transports(&self) -> &'static [u8] {
        UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[47808]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::BacnetSession>::default()
    }
}
