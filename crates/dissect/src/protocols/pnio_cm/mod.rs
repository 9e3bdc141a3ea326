//! PROFINET IO context management (PNIO-CM): connectionless DCE/RPC (DCE 1.1 RPC §12, "CL
//! PDU" header) carrying the PNIO interfaces of IEC 61158-6-10 §4.10 on UDP 34964, between an
//! IO controller or supervisor and an IO device.
//!
//! Supported: the 80-byte RPC header in either byte order (data representation label), PNIO
//! interface recognition by UUID (device, controller, supervisor, parameter server), the
//! operations Connect, Release, Read, Write, Control and Read Implicit with their classes,
//! pairing by activity and sequence number, fault/reject as errors, and I&M0 records in read
//! responses (vendor id, order id, serial number, hardware and software revision) as identity
//! facts about the device. A fragmented RPC body counts once (its first fragment); fragments are
//! not reassembled, so an I&M record split across fragments is not read.

mod pdu;
mod session;

#[cfg(test)]
mod tests;

use crate::{Confidence, Dissector, Protocol, Session, UDP};
use zonewarden_model::Direction;

#[derive(Debug, Clone, Copy, Default)]
pub struct PnioCm;

impl Dissector for PnioCm {
    fn protocol(&self) -> Protocol {
        Protocol::PnioCm
    }

    fn transports(&self) -> &'static [u8] {
        UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[34964]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        match pdu::Header::parse(data) {
            Some(h) if h.pnio_interface().is_some() => Confidence::Certain,
            Some(_) => Confidence::Maybe,
            None => Confidence::NotMine,
        }
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::PnioSession>::default()
    }
}
