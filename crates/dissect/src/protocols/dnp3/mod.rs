//! DNP3 (Distributed Network Protocol), IEEE 1815-2012, over TCP and UDP.
//!
//! References: IEEE 1815-2012 §9 (data link layer: frame format §9.2.4.1, CRC-16/DNP over the
//! header and every 16-octet data block, Annex E), §8 (transport function: FIR/FIN/sequence),
//! §4 (application layer: control octet §4.2.2.4, function codes §4.2.2.5, internal
//! indications §4.2.2.7, object headers and qualifiers §4.2.2.7.3), §7 (Secure Authentication
//! v5, group 120 objects), Annex A (object library: object sizes, group 0 device attributes).
//! IEEE 1815-2012 Annex C / the DNP3 "IP networking" specification: port 20000, TCP and UDP,
//! each UDP datagram carrying whole link frames.
//!
//! Port 20000 is a hint only; recognition is by content: the start octets 0x05 0x64 and a
//! header whose CRC checks.
//!
//! Supported: link frames with every CRC checked (a bad CRC is an anomaly with its offset and
//! the frame is dropped), transport reassembly per source/destination pair (capped: 2048-octet
//! fragments, 4 in flight per direction), every application function code (names, classes;
//! unknown codes kept as numbers and reported), object headers walked with length checks
//! (the walk stops quietly at objects whose size is not in the object table), internal
//! indications (device states such as DEVICE_RESTART, NEED_TIME, DEVICE_TROUBLE,
//! CONFIG_CORRUPT noted as `cpu_state` identity facts; IIN2 request errors make a response an
//! error response), group 0 device attributes as identity (vendor, product, versions, serial
//! number, names), Secure Authentication (functions 32, 33, 131 named by their g120 object;
//! aggressive-mode requests named as such).
//!
//! Counting (the operation code is the application function code, as tshark's
//! `dnp3.al.func`): every master request is a request of its own code; a RESPONSE (129) is a
//! response of code 129 whose sub-code is the answered request's code (paired by application
//! sequence number and link addresses), or an unmatched response without sub-code; an
//! UNSOLICITED_RESPONSE (130) is initiated by the outstation and so counted as a request of
//! code 130, class `read`; the master's CONFIRM (0) is a request of code 0, class `other`.
//! Frames without application data (link-layer only) are not operations.

mod parser;
mod pdu;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::{function_name, FunctionCode};

use crate::{Confidence, Dissector, Protocol, Session, TCP_AND_UDP};
use zonewarden_model::Direction;

/// The DNP3 dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Dnp3;

impl Dissector for Dnp3 {
    fn protocol(&self) -> Protocol {
        Protocol::Dnp3
    }

    fn transports(&self) -> &'static [u8] {
        TCP_AND_UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[20000]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::Dnp3Session>::default()
    }
}
