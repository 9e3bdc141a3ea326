//! FTP control connections (RFC 959 "File Transfer Protocol" §4–§5; RFC 2228 AUTH; RFC 2389
//! FEAT/OPTS; RFC 2428 EPRT/EPSV; RFC 3659 SIZE/MDTM/MLST/MLSD), decoded for hygiene and
//! identity: FTP sends user names and passwords in the clear, and its greeting names the server
//! software.
//!
//! Port 21 is a hint: a greeting `220` naming FTP (and not SMTP) is recognised on any port;
//! another `220` greeting, or a client opening with an FTP command, only on port 21.
//!
//! Supported: command and reply lines (CR LF, or a bare LF) capped at [`parser::MAX_LINE`]
//! bytes, multi-line replies (`123-` … `123 `, RFC 959 §4.2), preliminary 1xx replies, Telnet
//! IAC sequences before a command (the "Synch" sent with ABOR), replies paired with commands
//! first-in first-out. After a successful `AUTH` (reply 234) the connection carries TLS and is
//! not parsed further.
//!
//! Operations: each command (code in [`types::command`]; RETR, LIST, NLST… read; STOR, DELE,
//! MKD, RMD, RNFR, RNTO… write; the rest other); a 4xx/5xx reply is an exception. Facts:
//! `ftp_banner` about the server (the greeting's first line, at most 120 characters) and
//! `cleartext_login` = `ftp` about both ends once USER and PASS were both sent.
//!
//! Never kept: command arguments (user names, passwords, file names) and reply texts other than
//! the greeting. Data connections are not followed.

mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::command_name;

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

/// The FTP dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ftp;

impl Dissector for Ftp {
    fn protocol(&self) -> Protocol {
        Protocol::Ftp
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[21]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::FtpSession>::default()
    }
}
