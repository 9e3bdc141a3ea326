//! Omron FINS over UDP and TCP.
//!
//! References: Omron W342 "SYSMAC CS/CJ Series Communications Commands Reference" (FINS
//! header §3-2, command list and end codes §5-1, command formats §5-3); Omron W421 "CS/CJ
//! Ethernet Units Operation Manual" (FINS/TCP header and commands §7-4).
//!
//! Port 9600 (UDP and TCP) is a hint only; recognition is by content: the "FINS" magic of
//! FINS/TCP is certain, a plausible FINS header (UDP) only a maybe.
//!
//! Supported: the FINS/TCP header (length, command, error code; node address exchange and
//! error notifications), FINS/UDP datagrams, the FINS header (ICF response bit and
//! response-required bit, DNA/DA1/DA2, SNA/SA1/SA2, SID), every command as an operation with
//! code MRC<<8|SRC (tshark's `omron.command`; unknown codes kept as numbers), memory area
//! ranges (read, write, fill, transfer), responses paired with commands by SID, command code and
//! address, non-zero end codes as exceptions, controller model and version from Controller Data
//! Read responses (`model_name`, `firmware`).
//!
//! Not supported: decoding of command data beyond memory ranges (program and file contents,
//! clock values), FINS over Controller Link or serial (Host Link) framing.

mod parser;
mod pdu;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::{command_name, CommandCode};

use crate::{Confidence, Dissector, Protocol, Session, TCP_AND_UDP};
use zonewarden_model::Direction;

/// The Omron FINS dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fins;

impl Dissector for Fins {
    fn protocol(&self) -> Protocol {
        Protocol::Fins
    }

    fn transports(&self) -> &'static [u8] {
        TCP_AND_UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[9600]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::FinsSession>::default()
    }
}
