//! RDP connection setup ([MS-RDPBCGR] "Remote Desktop Protocol: Basic Connectivity and
//! Graphics Remoting" §2.2.1.1–2.2.1.2 and §3.1.5.1, over TPKT (RFC 1006 §6) and X.224 class 0
//! (ISO 8073 §13.3–13.4)), decoded for hygiene: which security protocol a server selects —
//! Standard RDP Security (RC4, no server authentication), TLS, or CredSSP with Network Level
//! Authentication — and which ones clients ask for.
//!
//! Port 3389 is a hint only. RDP shares TPKT and X.224 with S7comm and MMS (port 102), so
//! recognition is narrow: a Connection Request carrying a `Cookie:` routing token or an
//! RDP_NEG_REQ, or a Connection Confirm carrying RDP_NEG_RSP / RDP_NEG_FAILURE, is certain; a
//! request or confirm without any variable part is a guess (port 3389 only); a request with ISO
//! TSAP parameters (S7comm, MMS) is never RDP. The S7comm probe in turn only claims
//! requests with S7 TSAPs or S7 data.
//!
//! Operations: "connection request" (code 0xE0, the X.224 CR code) and "connection confirm"
//! (0xD0; an RDP_NEG_FAILURE is an exception with its failure code as sub-code). Facts:
//! `rdp_security` about the server (`rdp`, `tls`, `credssp(nla)`, `rdstls`,
//! `credssp(nla)-ex`, `rdsaad`) and `rdp_requested_security` about the client (the requested
//! protocol flags, e.g. `tls, credssp(nla)`).
//!
//! Never kept: the `Cookie: mstshash=` value (a user name). Not decoded: anything after the
//! first packet of each direction (TLS, CredSSP, MCS and the client core data of Standard RDP
//! Security).

mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::operation_name;

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

/// The RDP dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rdp;

impl Dissector for Rdp {
    fn protocol(&self) -> Protocol {
        Protocol::Rdp
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[3389]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::RdpSession>::default()
    }
}
