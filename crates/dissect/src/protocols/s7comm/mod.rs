//! S7comm and S7comm-plus over ISO-on-TCP.
//!
//! References: RFC 1006 (ISO transport on top of TCP, TPKT header §6); ISO 8073 / X.224
//! (COTP class 0: CR/CC with TSAP parameters §13.3–13.4, DT with the EOT bit §13.7); Siemens
//! "System Software for S7-300/400, System and Standard Functions" chapter 34 (System Status
//! Lists: SZL 0x0011 module identification, 0x001C component identification, 0x0424 current
//! mode). S7comm and S7comm-plus are not publicly specified by Siemens; message layouts and
//! code tables are as published by the Wireshark S7comm/S7comm-plus dissector documentation
//! and Snap7, used here as facts only.
//!
//! Port 102 (ISO-TSAP) is a hint only; recognition is by content: a TPKT packet holding a COTP
//! connection request with S7 TSAPs, or COTP data starting with a consistent S7comm (0x32) or
//! S7comm-plus (0x72) header.
//!
//! Supported: TPKT framing with resynchronisation, COTP DT reassembly (capped), S7comm job /
//! ack / ack-data / userdata messages; every job function (names, classes; unknown kept as
//! numbers) with Read/Write Var S7ANY item ranges (sub-code = memory area when all items share
//! one), PI services by name, error class/code and item return codes as exceptions; userdata
//! function groups and sub-functions (code `0x7000 | group << 8 | sub-function`), Read SZL
//! with the SZL id as sub-code and identity from SZL 0x0011/0x001C/0x0424 across fragmented
//! responses, mode-transition pushes; S7comm-plus versions 1–3 with request/response pairing
//! by sequence number, notifications, fragment continuation and the integrity state.
//!
//! Not decoded: S7comm-plus object/attribute payloads (so S7-1200/1500 start/stop, which is a
//! SetVariable on the CPU object, shows as a write), alarm and diagnostic buffer contents,
//! block bodies.
//!
//! One dissector, two protocols: classic operations are reported as [`Protocol::S7comm`],
//! S7comm-plus operations as [`Protocol::S7commPlus`].

mod parser;
mod pdu;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::{area_name, function_name, plus_function_name, userdata_code, userdata_name};

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

/// The S7comm / S7comm-plus dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct S7comm;

impl Dissector for S7comm {
    fn protocol(&self) -> Protocol {
        Protocol::S7comm
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[102]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::S7Session>::default()
    }
}
