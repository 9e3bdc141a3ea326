//! Niagara Fox (Tridium Niagara AX/N4 station ↔ Workbench/station), and Fox over TLS.
//!
//! There is no public specification. Facts used, from public protocol analyses (e.g. the
//! Nmap `fox-info` script's description of the hello exchange) and the sample capture
//! `fox_info.pcap`: Fox is text; a message is a header line `fox a <n> -1 fox <command>`
//! followed either by `;;` or by a block `{`, one `key=type:value` line per field, and `};;`.
//! Values of type `b:` (and objects such as `o:bog`) may be binary blobs written as
//! `<length>[<bytes>]`; the framer skips them by their length, so a blob containing `;;` does
//! not end a message.
//!
//! Ports: 1911 (Fox) and 4911 (Fox over TLS) are hints only. Port 4911 carries TLS: its
//! records are only counted (operation code 0 "Fox/TLS Record"), nothing inside is decoded.
//!
//! Supported: framing at any split point, the command word as the operation (1 hello,
//! 2 challenge, 3 authenticate, 4 any other command; the command text itself is not kept),
//! identity from each side's hello (station name, application name and version, OS, host
//! name, brand).
//!
//! Guessed: the meaning of the header's numeric tokens (not used), and pairing: a message from
//! the server with the same command as an unanswered client message (the hello exchange) is
//! its response; other server messages (the challenge) are counted as server-initiated,
//! request-like messages.

mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::command_name;

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

/// The Niagara Fox dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fox;

impl Dissector for Fox {
    fn protocol(&self) -> Protocol {
        Protocol::Fox
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[1911, 4911]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::FoxSession>::default()
    }
}
