//! HART-IP: HART field-device commands carried over TCP or UDP.
//!
//! References (facts only): FieldComm Group HCF_SPEC-085 "HART-IP Protocol Specification"
//! (the 8-byte message header §10.2, message types and ids §10.2.1–10.2.3, Direct PDU §10.3.6),
//! HCF_SPEC-081 "Token-Passing Data Link Layer" (frame layout: delimiter, address, expansion
//! bytes, command, byte count, data, check byte §5), HCF_SPEC-127 "Universal Command
//! Specification" and HCF_SPEC-151 "Common Practice Command Specification" (command numbers and
//! the Command 0 response layout). CISA ICSNPP's hart_ip logs were used to check the layout.
//!
//! Port 5094 (TCP and UDP) is a hint only; recognition is by content (a complete header whose
//! byte count matches).
//!
//! Supported: every header field; request/response pairing by sequence number and message id;
//! error and NAK messages and failing status / HART response codes as exceptions; the HART
//! command carried by Token-Passing PDU (id 3) and Direct PDU (id 4) messages, including
//! Command 31's 16-bit expanded command number, as the operation's sub-code; the check byte of
//! token-passing frames; identity from Command 0/11/21 responses (manufacturer id, expanded
//! device type, device id, revisions), Command 13 (tag) and Command 20 (long tag).
//!
//! Not supported: the payloads of other commands (process values are not interpreted), the
//! Read Audit Log records, HART-IP over TLS (version 2 headers are framed, their bodies are not
//! decoded), and more than the first command of a Direct PDU carrying several.
//!
//! Publish messages (type 2, burst data sent by the device unasked) are counted as requests of
//! the device's own operation: there is no response to pair them with.

mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::{command_name, message_id_name};

use crate::{Confidence, Dissector, Protocol, Session, TCP_AND_UDP};
use zonewarden_model::Direction;

/// The HART-IP dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct HartIp;

impl Dissector for HartIp {
    fn protocol(&self) -> Protocol {
        Protocol::HartIp
    }

    fn transports(&self) -> &'static [u8] {
        TCP_AND_UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[5094]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::HartIpSession>::default()
    }
}
