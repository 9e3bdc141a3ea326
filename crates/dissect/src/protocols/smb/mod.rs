//! SMB over TCP: SMB2/SMB3 ([MS-SMB2] "Server Message Block (SMB) Protocol Versions 2 and 3")
//! and SMB1 ([MS-CIFS], [MS-SMB]), on port 445 (direct hosting, [MS-SMB2] §2.1) or 139 inside
//! the NetBIOS session service (RFC 1002 §4.3). Decoded for identity and hygiene: the dialect
//! a server settles on, whether it still speaks SMB1, whether it requires signing, and the
//! names its NTLM challenge gives.
//!
//! Ports 445 and 139 are hints only: an NBSS session message carrying `\xFFSMB`, `\xFESMB` or
//! `\xFDSMB`, or a session request with encoded NetBIOS names, is recognised on any port.
//!
//! Supported: NBSS framing (24-bit lengths on 445; session request, responses, keep-alives on
//! 139) with resynchronisation; of each message the first [`session::MAX_PARSE`] bytes are
//! parsed and the rest skipped by count (reads and writes of megabytes cost no memory); SMB2
//! compounded requests; SMB2 requests paired with responses by MessageId (interim
//! STATUS_PENDING responses and oplock break notifications recognised), SMB1 by PID and MID;
//! NT status errors as exceptions (STATUS_MORE_PROCESSING_REQUIRED is not one).
//!
//! Operations: SMB2 commands by name with their command code (read → read; write, flush, set
//! info → write; query directory/info → read; the rest other); SMB1 commands as `0x100 |
//! command` with names for the common ones. Facts about the server: `smb_dialect` (`3.1.1`,
//! `2.1`, or the SMB1 dialect string such as `NT LM 0.12`), `smb_signing` (`required` / `not
//! required`), `smb1` = `used` (also about a client sending SMB1 commands beyond negotiation),
//! `smb_encryption` = `used` (SMB 3 transform headers seen), and from the NTLMSSP CHALLENGE in
//! a session setup response ([MS-NLMP] §2.2.1.2): `hostname` (NetBIOS computer name),
//! `netbios_domain`, `dns_name`, `dns_domain`, `ntlm_version` (`10.0.17763`). On port 139,
//! `netbios_name` of both ends from the session request.
//!
//! Not decoded: file names and share paths (not recorded), the client's NTLM AUTHENTICATE
//! message (it carries the user name), SPNEGO/Kerberos, encrypted or compressed messages,
//! SMB1 AndX chains beyond the first command.

mod ntlm;
mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::command_name;

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

/// The SMB dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Smb;

impl Dissector for Smb {
    fn protocol(&self) -> Protocol {
        Protocol::Smb
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[445, 139]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::SmbSession>::default()
    }
}
