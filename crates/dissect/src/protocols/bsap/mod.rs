//! BSAP over IP (Bristol Standard Asynchronous Protocol, Emerson/Bristol ControlWave and
//! Network 3000 RTUs).
//!
//! There is no public specification at hand. The layout used here is the one CISA's ICSNPP
//! BSAP parser logs for `icsnpp_bsap-ip_example.pcap`, checked byte by byte against that
//! capture (facts only, no code):
//! - a 14-byte BSAP-IP header, all little-endian: header size (14), message count (2 bytes),
//!   message type (2 bytes: 0 poll, 1 "response count", 5 response, 6 request), message
//!   sequence (4), response sequence (4);
//! - then `count` messages, each: length (4 bytes, counting itself), application function
//!   (1 byte; 0x0C is RDB, the run-time database), sequence (4 bytes, shared by a request and
//!   its response), then for RDB requests two bytes and the RDB function code.
//!
//! RDB function codes confirmed by the ICSNPP logs: 0x04 read signal by name, 0x80 write
//! signal by address; 0x00 (read by address) and 0x84 (write by name) follow the same pattern
//! (bit 7 set: write), which is also used to classify other RDB codes — a guess, stated as such.
//!
//! Ports: UDP 1234 and 1235 are hints; recognition is by content (a header whose message
//! lengths add up to the datagram is certain; a poll is maybe, the port decides).
//!
//! Supported: message type, RDB function as sub-code of requests (classified read / write),
//! pairing of responses with requests by the message sequence.
//! Not supported: signal names and values, non-RDB application functions (counted as
//! "BSAP Message", class other), node status and errors (no exceptions are reported), BSAP
//! over serial lines.

mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

use crate::{Confidence, Dissector, Protocol, Session, UDP};
use zonewarden_model::Direction;

/// The BSAP-over-IP dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bsap;

impl Dissector for Bsap {
    fn protocol(&self) -> Protocol {
        Protocol::Bsap
    }

    fn transports(&self) -> &'static [u8] {
        UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[1234, 1235]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::BsapSession>::default()
    }
}
