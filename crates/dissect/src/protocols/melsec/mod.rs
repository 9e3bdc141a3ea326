//! Mitsubishi MELSEC communication: MC protocol (SLMP) 3E and 4E binary frames, and the
//! MELSOFT engineering protocol (only recognised and counted).
//!
//! References (facts only): Mitsubishi "MELSEC Communication Protocol Reference Manual"
//! (SH-080008): 3E frame §5 (subheader 0x5000 / 0xD000, network number, PC number, request
//! destination module I/O number, station number, request data length, monitoring timer or
//! end code), 4E frame (subheader 0x5400 / 0xD400 with a serial number), command and
//! subcommand tables §8 (batch read/write 0x0401/0x1401, random read/write 0x0403/0x1402,
//! remote operations 0x1001–0x1006, CPU model read 0x0101, remote password 0x1630/0x1631);
//! "SLMP Reference Manual" (SH-080956) for the same codes.
//!
//! Ports: 5007, 5006, 5002 (MC protocol, user-configured in practice) and 5560/5562
//! (MELSOFT) are hints only; MC frames are recognised by content.
//!
//! Supported: 3E and 4E binary frames over TCP (any split point) and UDP; every command listed
//! in `types.rs` with name and class; end code ≠ 0 as exception; pairing (4E: serial number,
//! 3E: in order); the head device number and points of batch reads and writes as the address
//! range, with the device code as sub-code (so D and M registers are not mixed); the CPU model
//! name (0x0101 response) as identity.
//!
//! Not supported: ASCII-coded frames, 1E/2E frames, the contents of random and block
//! accesses.
//!
//! MELSOFT (GX Works ↔ CPU over 5560/5562): there is no public specification. From
//! `melsoft_UDP_clean_2.pcap` alone: requests start with 0x57 or 0x5A, the reply's first byte
//! is the request's with bit 7 set (0xD7, 0xDA), then 0x00 or 0x01 and two zero bytes. Only
//! that is used — guessed, stated as such: each message is counted as "MELSOFT Message"
//! (class other, code 0x100 + the leading byte without bit 7), replies paired in order.

mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::command_name;

use crate::{Confidence, Dissector, Protocol, Session, TCP_AND_UDP};
use zonewarden_model::Direction;

/// The MELSEC MC protocol / MELSOFT dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Melsec;

impl Dissector for Melsec {
    fn protocol(&self) -> Protocol {
        Protocol::Melsec
    }

    fn transports(&self) -> &'static [u8] {
        TCP_AND_UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[5007, 5006, 5002, 5560, 5562]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::MelsecSession>::default()
    }
}
