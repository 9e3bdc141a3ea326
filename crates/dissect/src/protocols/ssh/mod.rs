//! SSH (RFC 4253 "The Secure Shell (SSH) Transport Layer Protocol"), decoded for identity: the
//! identification string each side sends in the clear (§4.2: `SSH-protoversion-softwareversion
//! SP comments CR LF`, at most 255 characters) names the implementation and often the
//! operating system build, and the first binary packet (§6) is the key exchange (§7.1
//! SSH_MSG_KEXINIT). Everything after that is key exchange and encrypted traffic, not parsed.
//!
//! Ports 22 and 2222 are hints only: a stream starting with `SSH-` is SSH on any port.
//!
//! Operations: "banner" (code 0, one per side) and "key exchange" (code 20, SSH_MSG_KEXINIT);
//! the peers send both unprompted, the server's counted as the response. Facts: `ssh_banner`
//! about each side (CR LF removed), `os` when the software version or comment names Debian,
//! Ubuntu, Raspbian, FreeBSD or Windows (e.g. `OpenSSH_7.4p1 Debian-10+deb9u7` → Debian).
//!
//! Not decoded: the algorithms offered in KEXINIT, SSH 1 packets, anything encrypted.

mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::operation_name;

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

/// The SSH dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ssh;

impl Dissector for Ssh {
    fn protocol(&self) -> Protocol {
        Protocol::Ssh
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[22, 2222]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::SshSession>::default()
    }
}
