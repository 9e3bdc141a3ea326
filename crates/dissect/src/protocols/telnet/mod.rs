//! Telnet (RFC 854 "Telnet Protocol Specification", RFC 855 "Telnet Option Specifications"),
//! decoded for hygiene and identity: a login over Telnet sends the password in the clear, and
//! the text a device shows before its login prompt often names it.
//!
//! Port 23 is a hint: option negotiation (`IAC WILL/WONT/DO/DONT option`, RFC 854 "The TELNET
//! command structure") at the start of a stream is recognised on any port when two commands
//! follow each other, and is a guess with one; plain text is a guess (port 23 only).
//!
//! Supported: IAC commands and subnegotiations (`IAC SB … IAC SE`, capped at
//! [`session::MAX_SUBNEGOTIATION`] bytes) removed from the data, `IAC IAC` as a data byte.
//! Facts: `telnet_banner` about the server, its first non-empty printable line (at most 120
//! characters, ANSI escape sequences removed; or the text before the login prompt when no line
//! ended earlier); `cleartext_login` = `telnet` about both ends when the server asked for a
//! password (`password:`, usually after `login:` or `username:`, case-insensitive) and the
//! client answered. Operation: "login" (code 1, class other), once per answered password
//! prompt.
//!
//! Never kept: anything the client sends (user names, passwords, commands) and the server's
//! text after its login prompt (which echoes the user name).

mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::operation_name;

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

/// The Telnet dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Telnet;

impl Dissector for Telnet {
    fn protocol(&self) -> Protocol {
        Protocol::Telnet
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[23]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::TelnetSession>::default()
    }
}
